//! Bulk verification (`UsersHandler::verify`) against a mock server: the
//! user list is read newest first, 100 a page, only until every expected
//! user was seen; a user the list did not show is read once before it is
//! reported missing; fields are compared as the single-user checks do.
mod common;

use httpmock::prelude::*;
use opsgenie_users::api::users::{Expected, Mismatch};
use opsgenie_users::models::user::{Role, UserAddress, UserCreate, UserUpdate};
use opsgenie_users::UserRef;
use serde_json::{json, Value};

fn user(i: usize, role: &str) -> Value {
    json!({
        "id": format!("id-{i}"), "username": format!("u{i}@x.com"), "fullName": format!("U {i}"),
        "role": {"id": role, "name": role}, "timeZone": "Europe/Berlin",
        "userAddress": {"country": "DE", "state": "", "city": "Berlin", "line": "", "zipCode": ""}
    })
}

fn page_query(offset: &'static str) -> [(&'static str, &'static str); 4] {
    [
        ("offset", offset),
        ("limit", "100"),
        ("sort", "insertedAt"),
        ("order", "desc"),
    ]
}

#[tokio::test]
async fn reads_newest_first_and_stops_once_every_user_was_seen() {
    let server = MockServer::start_async().await;
    let users: Vec<Value> = (0..100)
        .map(|i| user(i, if i == 7 { "User" } else { "Admin" }))
        .collect();
    let first = common::expect(
        &server,
        GET,
        "/v2/users",
        &page_query("0"),
        None,
        200,
        json!({"data": users, "totalCount": 250, "took": 0.1}),
    )
    .await;
    let second = common::expect(
        &server,
        GET,
        "/v2/users",
        &page_query("100"),
        None,
        200,
        json!({"data": [], "took": 0.1}),
    )
    .await;
    let client = common::client(&server.base_url());
    let expected = vec![
        Expected::created(&UserCreate::new("U3@X.com", "U 3").role(Role::Admin)),
        // Asked for Admin, stored as User: a downgrade.
        Expected::created(&UserCreate::new("u7@x.com", "U 7").role(Role::Admin)),
        Expected::updated(UserRef::id("id-9"), &UserUpdate::new().full_name("Renamed")),
    ];
    let checks = client.users().verify(expected).await.unwrap();
    first.assert_calls_async(1).await;
    second.assert_calls_async(0).await;
    assert_eq!(checks.len(), 3);
    assert!(checks[0].is_clean(), "{:?}", checks[0]);
    assert_eq!(checks[0].expected.as_str(), "u3@x.com");
    assert_eq!(checks[1].mismatches.len(), 1, "{:?}", checks[1]);
    assert!(checks[1].mismatches[0].is_role_downgrade());
    assert_eq!(
        checks[2].mismatches,
        vec![Mismatch::FullName {
            requested: "Renamed".into(),
            actual: Some("U 9".into())
        }]
    );
    assert_eq!(checks[2].user.as_ref().unwrap().id.as_str(), "id-9");
}

#[tokio::test]
async fn a_user_the_list_did_not_show_is_read_once_before_it_is_missing() {
    let server = MockServer::start_async().await;
    let list = common::expect(
        &server,
        GET,
        "/v2/users",
        &page_query("0"),
        None,
        200,
        json!({"data": [user(1, "User")], "totalCount": 1, "took": 0.1}),
    )
    .await;
    let gone = common::expect(
        &server,
        GET,
        "/v2/users/ghost@x.com",
        &[],
        None,
        404,
        json!({"message": "User not found"}),
    )
    .await;
    // Skipped by the list (users deleted meanwhile shift the pages), there on a read.
    let late = common::expect(
        &server,
        GET,
        "/v2/users/id-2",
        &[],
        None,
        200,
        json!({"data": user(2, "User")}),
    )
    .await;
    let client = common::client(&server.base_url());
    // Only the city was updated: the other parts are not compared.
    let city = UserAddress {
        city: Some("Berlin".into()),
        ..Default::default()
    };
    let checks = client
        .users()
        .verify([
            Expected::updated("u1@x.com", &UserUpdate::new().user_address(city)),
            Expected::created(&UserCreate::new("ghost@x.com", "Ghost")),
            Expected::updated(UserRef::id("id-2"), &UserUpdate::new().role(Role::User)),
        ])
        .await
        .unwrap();
    list.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    late.assert_calls_async(1).await;
    assert!(checks[0].is_clean(), "{:?}", checks[0]);
    assert!(checks[1].is_missing() && !checks[1].is_clean());
    assert!(checks[1].mismatches.is_empty());
    assert!(checks[2].is_clean(), "{:?}", checks[2]);
}

#[tokio::test]
async fn nothing_expected_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let checks = common::client(&server.base_url())
        .users()
        .verify(Vec::new())
        .await
        .unwrap();
    assert!(checks.is_empty());
    any.assert_calls_async(0).await;
}
