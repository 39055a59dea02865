//! The core request path against a mock server and against Prism.
mod common;

use httpmock::prelude::*;
use opsgenie_users::{ApiRequest, Client, Domain, Error};

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

/// `ClientBuilder::user_agent` puts the caller's product in front of the
/// SDK's own, on every request (the first-call read of the limits too).
#[tokio::test]
async fn user_agent_names_the_tool_before_the_sdk() {
    let server = MockServer::start_async().await;
    let ua = format!(
        "acme-offboarding/2.3 {}",
        opsgenie_users::client::USER_AGENT
    );
    let limits = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/request-limits/")
                .header("user-agent", ua.as_str());
            then.status(404);
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/u-1")
                .header("authorization", common::auth())
                .header("user-agent", ua.as_str());
            then.status(200)
                .json_body(serde_json::json!({"data": {"id": "u-1"}, "requestId": "r"}));
        })
        .await;
    let c = Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .user_agent("  acme-offboarding/2.3 ")
        .build()
        .unwrap();
    c.send(
        ApiRequest::get(Domain::Configuration)
            .path("v2/users")
            .segment("id", "u-1"),
    )
    .await
    .unwrap();
    limits.assert_async().await;
    get.assert_async().await;
}

/// A product that cannot lead a `User-Agent` fails the build: nothing is
/// sent with a mangled header.
#[test]
fn user_agent_refuses_what_is_not_visible_ascii() {
    for bad in [
        "",
        "   ",
        "acme\nsync/1",
        "acme\tsync/1",
        "acmé/1",
        "acme\u{7f}/1",
    ] {
        let err = Client::builder()
            .api_key("k")
            .user_agent(bad)
            .build()
            .unwrap_err();
        let Error::InvalidInput(msg) = &err else {
            panic!("{bad:?}: {err:?}");
        };
        assert!(msg.contains("user agent"), "{bad:?}: {msg}");
    }
    // A product token with a comment is fine.
    assert!(Client::builder()
        .api_key("k")
        .user_agent("acme-sync/1.0 (+https://acme.example/ops)")
        .build()
        .is_ok());
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
