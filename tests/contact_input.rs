//! A contact's address is checked for its documented format before the
//! create is sent: `<countryCode>-<number>` for SMS and voice (issue 11:
//! `1-555-0100`, two dashes, was sent and refused with 422 after the user
//! and the memberships were created).
mod common;

use httpmock::prelude::*;
use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
use opsgenie_users::Error;
use serde_json::json;

#[tokio::test]
async fn a_malformed_number_is_refused_before_sending_and_a_good_one_is_sent() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let any = s
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users/jane@x.com/contacts");
            then.status(500);
        })
        .await;
    for (method, to) in [
        (ContactMethod::Sms, "1-555-0100"),
        (ContactMethod::Voice, "+1 5550100"),
        (ContactMethod::Sms, "15550100"),
        (ContactMethod::Sms, "1234-5550100"),
        (ContactMethod::Email, "jane"),
    ] {
        let err = c
            .contacts("jane@x.com")
            .create(ContactCreate::new(method.clone(), to))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains(to)),
            "{method} {to}: {err:?}"
        );
    }
    assert_eq!(any.calls_async().await, 0, "nothing was sent");
    any.delete_async().await;

    let good = s
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/users/jane@x.com/contacts")
                .header("authorization", common::auth())
                .header("content-type", "application/json")
                .json_body(json!({"method": "sms", "to": "1-5550100"}));
            then.status(201)
                .header("content-type", "application/json")
                .json_body(json!({"result": "Created", "data": {"id": "c-1"},
                    "took": 0.1, "requestId": "rq-1"}));
        })
        .await;
    let created = c
        .contacts("jane@x.com")
        .create(ContactCreate::new(ContactMethod::Sms, "1-5550100"))
        .await
        .unwrap();
    good.assert_async().await;
    assert_eq!(created.id, "c-1");
}

#[tokio::test]
async fn an_update_to_a_malformed_address_is_refused_before_sending_and_a_good_one_is_sent() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let any = s
        .mock_async(|when, then| {
            when.path_includes("/v2/users/");
            then.status(500);
        })
        .await;
    for to in [
        "1-555-0100",
        "+1 5550100",
        "15550100",
        "1234-5550100",
        "jane@",
        "",
        "  ",
        "(555) 0100",
        "jane @x.com",
    ] {
        let err = c
            .contacts("jane@x.com")
            .update("c-1", to)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(m) if m.contains(&format!("{to:?}"))),
            "{to}: {err:?}"
        );
    }
    assert_eq!(any.calls_async().await, 0, "nothing was sent");
    any.delete_async().await;

    // A mobile contact's address has no documented format: not checked.
    for to in ["1-5550199", "jane.doe@example.com", "Jane's phone"] {
        let good = s
            .mock_async(|when, then| {
                when.method(PATCH)
                    .path("/v2/users/jane@x.com/contacts/c-1")
                    .query_param_count(".*", ".*", 0)
                    .header("authorization", common::auth())
                    .header("content-type", "application/json")
                    .json_body(json!({ "to": to }));
                then.status(200)
                    .header("content-type", "application/json")
                    .json_body(json!({"result": "Updated", "data": {"id": "c-1"},
                        "took": 0.1, "requestId": "rq-2"}));
            })
            .await;
        c.contacts("jane@x.com").update("c-1", to).await.unwrap();
        good.assert_async().await;
        good.delete_async().await;
    }
}
