//! The core request path against a mock server and against Prism.
mod common;

use httpmock::prelude::*;
use opsgenie_users::{ApiRequest, Domain, Error};

#[tokio::test]
async fn sends_key_user_agent_and_encoded_path() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/a%2Bb@x.com")
                .query_param("expand", "contact")
                .header("authorization", common::auth())
                .header("user-agent", opsgenie_users::client::USER_AGENT);
            then.status(200)
                .json_body(serde_json::json!({"data": {"id": "1"}, "requestId": "r"}));
        })
        .await;
    let c = common::client(&server.base_url());
    let resp = c
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/users")
                .segment("username", "a+b@x.com")
                .query("expand", "contact"),
        )
        .await
        .unwrap();
    assert_eq!(resp.request_id().as_deref(), Some("r"));
    m.assert_async().await;
}

#[tokio::test]
async fn invalid_identifier_sends_nothing() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|_w, t| {
            t.status(200);
        })
        .await;
    let c = common::client(&server.base_url());
    let err = c
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/users")
                .segment("username", " "),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(m.calls_async().await, 0);
}

#[tokio::test]
async fn prism_accepts_a_plain_get() {
    let Some((c, v)) = common::prism_client() else {
        return;
    };
    let _ = c
        .send(ApiRequest::get(Domain::Configuration).path("v2/roles"))
        .await;
    v.assert_none();
}
