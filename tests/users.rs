//! The Users API against a mock server: what is sent (method, path, query,
//! headers, exact body) and how every answer maps to a typed result.
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use opsgenie_users::api::users::{Mismatch, UserSort};
use opsgenie_users::models::common::SortOrder;
use opsgenie_users::models::contact::ContactMethod;
use opsgenie_users::models::user::{Role, UserAddress};
use opsgenie_users::models::user::{UserCreate, UserUpdate};
use opsgenie_users::transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};
use opsgenie_users::{Client, Error, RetryPolicy, UserRef};
use serde_json::{json, Value};

const UID: &str = "415ec30e-80ce-4219-b16e-0d4e5dc50f0a";

fn user_json(id: &str, username: &str) -> Value {
    json!({
        "id": id, "username": username, "fullName": "Jane Doe",
        "role": {"id": "Admin", "name": "Admin"}, "timeZone": "Europe/Berlin",
        "locale": "en_US", "blocked": false, "verified": true,
        "createdAt": "2017-05-11T12:36:07.217Z"
    })
}

fn created(id: &str, name: &str) -> Value {
    json!({"result": "Created", "data": {"id": id, "name": name}, "took": 0.2, "requestId": "req-1"})
}

/// Asserts the raw query string (encoding and order included).
fn raw_query(
    expected: impl Into<String>,
) -> impl Fn(&httpmock::HttpMockRequest) -> bool + Send + Sync + 'static {
    let expected = expected.into();
    move |req| req.uri().query().unwrap_or("") == expected
}

/// The existence lookup a lost create makes: `GET /v2/users/jo@x.com` finds user `UID`.
async fn mock_lookup_found(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/jo@x.com")
                .header("authorization", common::auth());
            then.status(200)
                .json_body(json!({"data": user_json(UID, "jo@x.com")}));
        })
        .await
}

// ---------------------------------------------------------------- create

#[tokio::test]
async fn create_sends_every_field_and_returns_the_id() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/users")
                .is_true(raw_query(""))
                .header("authorization", common::auth())
                .header("content-type", "application/json")
                .json_body(json!({
                    "username": "jane@example.com", "fullName": "Jane Doe",
                    "role": {"name": "Stakeholder"}, "skypeUsername": "jane.d",
                    "timeZone": "US/Arizona", "locale": "en_GB",
                    "userAddress": {"country": "US", "state": "AZ", "city": "Phoenix",
                                    "line": "1 Main St", "zipCode": "85001"},
                    "tags": ["oncall", "sre"], "details": {"team": ["a", "b"]},
                    "invitationDisabled": true
                }));
            then.status(201).json_body(created(UID, "jane@example.com"));
        })
        .await;
    let c = common::client(&server.base_url());
    let mut details = BTreeMap::new();
    details.insert("team".to_string(), vec!["a".to_string(), "b".to_string()]);
    let out = c
        .users()
        .create(
            UserCreate::new("jane@example.com", "Jane Doe")
                .role(Role::Stakeholder)
                .skype_username("jane.d")
                .time_zone("US/Arizona")
                .locale("en_GB")
                .user_address(UserAddress {
                    country: Some("US".into()),
                    state: Some("AZ".into()),
                    city: Some("Phoenix".into()),
                    line: Some("1 Main St".into()),
                    zip_code: Some("85001".into()),
                })
                .tags(["oncall", "sre"])
                .details(details)
                .invitation_disabled(true),
        )
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(out.id.as_str(), UID);
    assert_eq!(out.username.as_str(), "jane@example.com");
    assert!(!out.recovered);
    assert_eq!(out.request_id.as_deref(), Some("req-1"));
}

#[tokio::test]
async fn create_minimal_body_always_carries_the_role() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users").json_body(
                json!({"username": "jo@example.com", "fullName": "Jo", "role": {"name": "User"}}),
            );
            then.status(202).json_body(created("u-2", "jo@example.com"));
        })
        .await;
    let out = common::client(&server.base_url())
        .users()
        .create(UserCreate::new("jo@example.com", "Jo"))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(out.id.as_str(), "u-2");
}

#[tokio::test]
async fn create_errors_are_typed_and_never_followed_by_a_lookup() {
    type Check = fn(&Error) -> bool;
    let cases: Vec<(u16, Value, Check)> = vec![
        (
            400,
            json!({"message": "bad json"}),
            |e| matches!(e, Error::Api(a) if a.status == 400),
        ),
        (401, json!({"message": "no key"}), |e| {
            matches!(e, Error::Unauthorized(_))
        }),
        (403, json!({"message": "no rights"}), |e| {
            matches!(e, Error::Forbidden(_))
        }),
        (404, json!({"message": "?"}), |e| {
            matches!(e, Error::NotFound(_))
        }),
        (
            409,
            json!({"message": "conflict"}),
            |e| matches!(e, Error::Conflict(a) if a.status == 409),
        ),
        (
            422,
            json!({"message": "User already exists", "errors": {"username": "taken"}, "requestId": "r-422"}),
            |e| {
                matches!(e, Error::Api(a) if a.status == 422 && a.errors["username"] == "taken")
                    && e.request_id() == Some("r-422")
            },
        ),
        (429, json!({"message": "slow down"}), |e| {
            matches!(e, Error::RateLimited { attempts: 1, .. })
        }),
    ];
    for (status, body, check) in cases {
        let server = MockServer::start_async().await;
        let post = server
            .mock_async(|when, then| {
                when.method(POST).path("/v2/users");
                then.status(status)
                    .header(
                        "X-RateLimit-State",
                        if status == 429 { "THROTTLED" } else { "OK" },
                    )
                    .json_body(body.clone());
            })
            .await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET);
                then.status(200)
                    .json_body(json!({"data": user_json(UID, "jo@x.com")}));
            })
            .await;
        let err = common::client(&server.base_url())
            .users()
            .create(UserCreate::new("jo@x.com", "Jo"))
            .await
            .unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert_eq!(post.calls_async().await, 1, "{status}");
        assert_eq!(get.calls_async().await, 0, "{status}");
    }
}

#[tokio::test]
async fn create_with_lost_answer_503_html_is_sent_once_then_looked_up() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html><body><h1>503 Service Unavailable</h1></body></html>");
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/a%2Bb@example.com")
                .header("authorization", common::auth());
            then.status(200)
                .json_body(json!({"data": user_json(UID, "a+b@example.com")}));
        })
        .await;
    // Even with the default retry policy (which retries idempotent calls on 5xx),
    // the POST is not resent.
    let c = Client::builder()
        .api_key(common::KEY)
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let out = c
        .users()
        .create(UserCreate::new("A+B@example.com", "A B"))
        .await
        .unwrap();
    assert_eq!(post.calls_async().await, 1);
    assert_eq!(get.calls_async().await, 1);
    assert!(out.recovered);
    assert_eq!(out.id.as_str(), UID);
    assert_eq!(out.username.as_str(), "a+b@example.com");
}

#[tokio::test]
async fn create_with_lost_answer_and_no_user_is_resent_within_the_policy() {
    // Each lookup finds nothing, so the create was not applied: it is sent
    // again while the policy allows attempts (none with retries off), and
    // the last 500 is the answer: no unknown outcome.
    for (policy, sends) in [
        (RetryPolicy::none(), 1),
        (
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1)),
            3,
        ),
    ] {
        let server = MockServer::start_async().await;
        let post = server
            .mock_async(|when, then| {
                when.method(POST).path("/v2/users").json_body(
                    json!({"username": "jo@x.com", "fullName": "Jo", "role": {"name": "User"}}),
                );
                then.status(500).json_body(json!({"message": "internal"}));
            })
            .await;
        let get = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/v2/users/jo@x.com")
                    .header("authorization", common::auth());
                then.status(404)
                    .json_body(json!({"message": "User not found"}));
            })
            .await;
        let err = Client::builder()
            .api_key(common::KEY)
            .base_url(server.base_url())
            .retry_policy(policy)
            .build()
            .unwrap()
            .users()
            .create(UserCreate::new("jo@x.com", "Jo"))
            .await
            .unwrap_err();
        assert!(matches!(&err, Error::Api(a) if a.status == 500), "{err:?}");
        assert_eq!(post.calls_async().await, sends);
        assert_eq!(get.calls_async().await, sends);
    }
}

/// Fails every POST as if the connection broke after sending; forwards the rest.
struct ResetOnPost(ReqwestTransport, Option<Duration>);

#[async_trait::async_trait]
impl Transport for ResetOnPost {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        if req.method() == http::Method::POST {
            if let Some(hang) = self.1 {
                tokio::time::sleep(hang).await;
            }
            return Err(TransportError::new(
                TransportErrorKind::Io,
                "connection reset by peer",
            ));
        }
        self.0.send(req).await
    }
}

#[tokio::test]
async fn create_after_connection_reset_or_timeout_recovers_by_username() {
    for hang in [None, Some(Duration::from_secs(30))] {
        let server = MockServer::start_async().await;
        let get = mock_lookup_found(&server).await;
        let c = Client::builder()
            .api_key(common::KEY)
            .base_url(server.base_url())
            .transport(ResetOnPost(
                ReqwestTransport::new(Duration::from_secs(5), "t").unwrap(),
                hang,
            ))
            // A hanging POST hits this timeout; the GET answers well within it.
            .request_timeout(Duration::from_millis(300))
            .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
            .build()
            .unwrap();
        let out = c
            .users()
            .create(UserCreate::new("jo@x.com", "Jo"))
            .await
            .unwrap();
        assert!(out.recovered, "{hang:?}");
        assert_eq!(out.id.as_str(), UID);
        assert_eq!(get.calls_async().await, 1);
    }
}

#[tokio::test]
async fn create_refuses_a_malformed_username_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_w, t| {
            t.status(201);
        })
        .await;
    let err = common::client(&server.base_url())
        .users()
        .create(UserCreate::new("a\nb@x.com", "X"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(any.calls_async().await, 0);
}

// ---------------------------------------------------------------- get

#[tokio::test]
async fn get_by_id_and_by_username_with_contacts() {
    let server = MockServer::start_async().await;
    let by_id = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v2/users/{UID}"))
                .is_true(raw_query(""))
                .header("authorization", common::auth())
                .header("accept", "application/json");
            then.status(200).json_body(
                json!({"data": user_json(UID, "jane@example.com"), "took": 0.01, "requestId": "r"}),
            );
        })
        .await;
    let mut with_contacts = user_json(UID, "jane@example.com");
    with_contacts["userContacts"] = json!([
        {"id": "c1", "contactMethod": "email", "to": "jane@example.com", "enabled": true},
        {"id": "c2", "contactMethod": "pigeon", "to": "roof", "enabled": false, "disabledReason": "weather"}
    ]);
    let by_name = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/jane@example.com")
                .is_true(raw_query("expand=contact"))
                .header("authorization", common::auth());
            then.status(200).json_body(json!({"data": with_contacts}));
        })
        .await;
    let c = common::client(&server.base_url());
    let u = c.users().get(UserRef::id(UID)).await.unwrap();
    assert_eq!(u.username.as_str(), "jane@example.com");
    assert_eq!(u.role_name(), Some(&Role::Admin));
    assert_eq!(
        u.created_at.unwrap().to_string(),
        "2017-05-11T12:36:07.217Z"
    );
    assert!(u.contacts.is_none());
    let u = c
        .users()
        .get("jane@example.com")
        .expand_contacts()
        .await
        .unwrap();
    let contacts = u.contacts.unwrap();
    assert_eq!(contacts[0].method, Some(ContactMethod::Email));
    assert_eq!(
        contacts[1].method,
        Some(ContactMethod::Other("pigeon".into()))
    );
    assert_eq!(contacts[1].disabled_reason.as_deref(), Some("weather"));
    by_id.assert_async().await;
    by_name.assert_async().await;
}

#[tokio::test]
async fn every_status_maps_to_its_typed_result() {
    let server = MockServer::start_async().await;
    let statuses: [u16; 11] = [200, 201, 202, 400, 401, 403, 404, 409, 422, 429, 500];
    for s in statuses {
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/v2/users/s{s}@x.com"));
                if s < 300 {
                    then.status(s)
                        .json_body(json!({"data": user_json("id", "s@x.com")}));
                } else {
                    then.status(s).header("X-RateLimit-State", "THROTTLED").json_body(
                        json!({"message": format!("m{s}"), "took": 0.0, "requestId": format!("r{s}")}),
                    );
                }
            })
            .await;
    }
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/s503@x.com");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html><h1>503 Service Temporarily Unavailable</h1></html>");
        })
        .await;
    let c = common::client(&server.base_url());
    for s in statuses.into_iter().chain([503]) {
        let r = c.users().get(format!("s{s}@x.com")).await;
        match s {
            200..=299 => assert_eq!(r.unwrap().id.as_str(), "id"),
            _ => {
                let e = r.unwrap_err();
                assert_eq!(e.status().map(|x| x.as_u16()), Some(s), "{e:?}");
                let ok = match s {
                    401 => matches!(e, Error::Unauthorized(_)),
                    403 => matches!(e, Error::Forbidden(_)),
                    404 => matches!(e, Error::NotFound(_)),
                    429 => matches!(e, Error::RateLimited { .. }),
                    409 => matches!(e, Error::Conflict(_)),
                    _ => matches!(e, Error::Api(_)),
                };
                assert!(ok, "{s}: {e:?}");
                if s == 503 {
                    assert!(e.api_error().unwrap().is_non_json());
                    assert!(e.to_string().contains("Temporarily Unavailable"), "{e}");
                } else {
                    assert_eq!(e.message(), Some(format!("m{s}").as_str()));
                    assert_eq!(e.request_id(), Some(format!("r{s}").as_str()));
                }
            }
        }
    }
}

#[tokio::test]
async fn success_with_a_broken_body_is_a_decode_error_not_a_panic() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/t@x.com");
            then.status(200).body(r#"{"data": {"id": "1", "userna"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/w@x.com");
            then.status(200).json_body(
                json!({"data": {"id": "1", "username": "w@x.com", "createdAt": "yesterday"}}),
            );
        })
        .await;
    let c = common::client(&server.base_url());
    let e = c.users().get("t@x.com").await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    match c.users().get("w@x.com").await.unwrap_err() {
        Error::Decode { path, .. } => assert_eq!(path, "data.createdAt"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn unknown_fields_and_enum_values_decode() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/u@x.com");
            then.status(200).json_body(json!({"data": {
                "id": "1", "username": "u@x.com", "role": {"id": "x", "name": "Incident Commander", "level": 3},
                "userAddress": {"city": "Oslo", "geo": [1, 2]}, "details": {"k": ["v"]},
                "mutedUntil": "2030-01-01T00:00:00Z", "brandNewField": {"nested": true},
                "userContacts": [{"id": "c", "contactMethod": "telepathy", "to": "?", "flag": 1}]
            }, "expandable": ["contact"], "took": 0.1}));
        })
        .await;
    let u = common::client(&server.base_url())
        .users()
        .get("u@x.com")
        .await
        .unwrap();
    assert_eq!(
        u.role_name(),
        Some(&Role::Custom("Incident Commander".into()))
    );
    assert_eq!(u.user_address.unwrap().city.as_deref(), Some("Oslo"));
    assert_eq!(u.details["k"], vec!["v"]);
    assert!(u.muted_until.is_some());
    assert_eq!(
        u.contacts.unwrap()[0].method,
        Some(ContactMethod::Other("telepathy".into()))
    );
}

#[tokio::test]
async fn special_identifiers_reach_the_server_encoded() {
    let cases = [
        ("a+b@x.com", "/v2/users/a%2Bb@x.com"),
        ("a/b@x.com", "/v2/users/a%2Fb@x.com"),
        ("a?b@x.com", "/v2/users/a%3Fb@x.com"),
        ("a#b@x.com", "/v2/users/a%23b@x.com"),
        ("100%@x.com", "/v2/users/100%25@x.com"),
        ("sp ace@x.com", "/v2/users/sp%20ace@x.com"),
    ];
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for (name, path) in cases {
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(GET).path(path).is_true(raw_query(""));
                    then.status(200)
                        .json_body(json!({"data": user_json("1", name)}));
                })
                .await,
        );
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(PATCH)
                        .path(path)
                        .json_body(json!({"locale": "de_DE"}));
                    then.status(200).json_body(json!({"result": "Updated"}));
                })
                .await,
        );
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(GET).path(format!("{path}/teams"));
                    then.status(200).json_body(json!({"data": []}));
                })
                .await,
        );
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(DELETE).path(path);
                    then.status(200).json_body(json!({"result": "Deleted"}));
                })
                .await,
        );
    }
    let users = common::client(&server.base_url()).users();
    for (name, _) in cases {
        assert_eq!(users.get(name).await.unwrap().username.as_str(), name);
        users
            .update(name, UserUpdate::new().locale("de_DE"))
            .await
            .unwrap();
        assert!(users.teams(name).await.unwrap().is_empty());
        users.delete(name).await.unwrap();
    }
    for m in mocks {
        assert_eq!(m.calls_async().await, 1);
    }
}

#[tokio::test]
async fn malformed_identifiers_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_w, t| {
            t.status(200);
        })
        .await;
    let users = common::client(&server.base_url()).users();
    for bad in ["", " ", "..", "a\u{0}b", "x\r\ny"] {
        assert!(
            matches!(users.get(bad).await, Err(Error::InvalidInput(_))),
            "{bad:?}"
        );
        assert!(matches!(
            users.delete(bad).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            users.schedules(bad).await,
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            users.update(bad, UserUpdate::new().locale("x")).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(any.calls_async().await, 0);
}

// ---------------------------------------------------------------- update / delete

#[tokio::test]
async fn update_sends_only_set_fields() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(format!("/v2/users/{UID}"))
                .is_true(raw_query(""))
                .header("authorization", common::auth())
                .header("content-type", "application/json")
                .json_body(
                    json!({"fullName": "Jane Smith", "role": {"name": "admin"}, "tags": []}),
                );
            then.status(200).json_body(json!({
                "result": "Updated", "data": {"id": UID, "name": "jane@example.com"},
                "took": 0.049, "requestId": "r-u"
            }));
        })
        .await;
    let w = common::client(&server.base_url())
        .users()
        .update(
            UserRef::id(UID),
            UserUpdate::new()
                .full_name("Jane Smith")
                .role("admin")
                .tags(Vec::<String>::new()),
        )
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.result, "Updated");
    assert_eq!(w.request_id.as_deref(), Some("r-u"));
}

#[tokio::test]
async fn update_and_delete_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(PATCH).path("/v2/users/gone@x.com");
            then.status(404)
                .json_body(json!({"message": "User not found"}));
        })
        .await;
    let del = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/v2/users/oncall@x.com")
                .header("authorization", common::auth())
                .is_true(|r| r.body_ref().is_empty());
            then.status(422).json_body(json!({
                "message": "User is referenced by schedule rotations", "requestId": "r-d"
            }));
        })
        .await;
    let users = common::client(&server.base_url()).users();
    let e = users
        .update("gone@x.com", UserUpdate::new().locale("en_US"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let e = users.delete("oncall@x.com").await.unwrap_err();
    assert!(matches!(e, Error::DeleteBlocked(_)), "{e:?}");
    assert_eq!(e.status().unwrap().as_u16(), 422);
    assert!(e.message().unwrap().contains("schedule"));
    // A blocked delete is typed the same as offboarding's.
    assert!(matches!(e, Error::DeleteBlocked(_)), "{e:?}");
    del.assert_async().await;
}

#[tokio::test]
async fn a_428_delete_is_delete_blocked_and_a_400_stays_api() {
    let server = MockServer::start_async().await;
    let blocked = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v2/users/owner@x.com");
            then.status(428).json_body(
                json!({"message": "User is used by escalation sre", "requestId": "r-4"}),
            );
        })
        .await;
    let bad = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v2/users/bad@x.com");
            then.status(400)
                .json_body(json!({"message": "Bad request"}));
        })
        .await;
    let users = common::client(&server.base_url()).users();
    let e = users.delete("owner@x.com").await.unwrap_err();
    assert!(
        matches!(&e, Error::DeleteBlocked(a) if a.status.as_u16() == 428),
        "{e:?}"
    );
    assert_eq!(e.request_id(), Some("r-4"));
    let e = users.delete("bad@x.com").await.unwrap_err();
    assert!(
        matches!(&e, Error::Api(a) if a.status.as_u16() == 400),
        "{e:?}"
    );
    blocked.assert_calls_async(1).await;
    bad.assert_calls_async(1).await;
}

#[tokio::test]
async fn delete_answers_deleted() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("/v2/users/{UID}"))
                .is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200)
                .json_body(json!({"result": "Deleted", "took": 0.204, "requestId": "abc123"}));
        })
        .await;
    let w = common::client(&server.base_url())
        .users()
        .delete(UserRef::id(UID))
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(w.result, "Deleted");
    assert!(w.data.is_none());
}

// ---------------------------------------------------------------- verified writes

#[tokio::test]
async fn create_checked_reports_a_downgraded_role_and_ignores_tz_aliases() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users").json_body(json!({
                "username": "jo@x.com", "fullName": "Jo", "role": {"name": "admin"},
                "timeZone": "US/Arizona"
            }));
            then.status(201).json_body(created(UID, "jo@x.com"));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v2/users/{UID}"));
            then.status(200).json_body(json!({"data": {
                "id": UID, "username": "jo@x.com", "fullName": "Jo",
                "role": {"id": "User", "name": "User"}, "timeZone": "America/Phoenix"
            }}));
        })
        .await;
    let v = common::client(&server.base_url())
        .users()
        .create_checked(
            UserCreate::new("jo@x.com", "Jo")
                .role("admin")
                .time_zone("US/Arizona"),
        )
        .await
        .unwrap();
    post.assert_async().await;
    get.assert_async().await;
    assert_eq!(
        v.mismatches,
        vec![Mismatch::Role {
            requested: Role::Custom("admin".into()),
            actual: Some(Role::User)
        }]
    );
    assert!(v.mismatches[0].is_role_downgrade());
    assert_eq!(v.write.id.as_str(), UID);
}

#[tokio::test]
async fn update_checked_reports_ignored_full_name_and_other_time_zone() {
    let server = MockServer::start_async().await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path("/v2/users/jo@x.com").json_body(
                json!({"fullName": "New Name", "timeZone": "Europe/Kiev", "locale": "en_GB"}),
            );
            then.status(200).json_body(json!({"result": "Updated"}));
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jo@x.com");
            then.status(200).json_body(json!({"data": {
                "id": UID, "username": "jo@x.com", "fullName": "Linked Account Name",
                "timeZone": "Europe/Kyiv", "locale": "en_GB"
            }}));
        })
        .await;
    let users = common::client(&server.base_url()).users();
    let v = users
        .update_checked(
            "jo@x.com",
            UserUpdate::new()
                .full_name("New Name")
                .time_zone("Europe/Kiev")
                .locale("en_GB"),
        )
        .await
        .unwrap();
    assert_eq!(
        v.mismatches,
        vec![Mismatch::FullName {
            requested: "New Name".into(),
            actual: Some("Linked Account Name".into())
        }]
    );
    assert!(!v.is_clean());
    patch.assert_async().await;
    get.assert_async().await;
}

// ---------------------------------------------------------------- user sub-lists

#[tokio::test]
async fn teams_schedules_escalations_forwarding_rules() {
    let server = MockServer::start_async().await;
    let base = "/v2/users/jane@example.com";
    let teams = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{base}/teams"))
                .is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200).json_body(
                json!({"data": [{"id": "t1", "name": "SRE"}], "took": 0.1, "requestId": "r"}),
            );
        })
        .await;
    let schedules = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{base}/schedules"))
                .is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200).json_body(
                json!({"data": [{"id": "s1", "name": "SRE_schedule", "enabled": true}]}),
            );
        })
        .await;
    let escalations = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{base}/escalations")).is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200).json_body(json!({"data": [{
                "id": "e1", "name": "SRE_escalation", "description": "", "ownerTeam": {"id": "t1", "name": "SRE"},
                "rules": [{"condition": "if-not-acked", "notifyType": "default",
                           "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                           "recipient": {"type": "user", "id": "u1", "username": "jane@example.com"}},
                          {"condition": "some-new-condition", "notifyType": "whatever",
                           "delay": {"timeAmount": 0}, "recipient": {"type": "schedule", "name": "SRE_schedule"}}],
                "repeat": {"waitInterval": 10}
            }]}));
        })
        .await;
    let rules = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{base}/forwarding-rules"))
                .is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200).json_body(json!({"data": [{
                "id": "f1", "alias": "vacation",
                "fromUser": {"id": "u1", "username": "jane@example.com"},
                "toUser": {"id": "u2", "username": "joe@example.com"},
                "startDate": "2026-12-20T00:00:00Z", "endDate": "2027-01-03T00:00:00Z"
            }]}));
        })
        .await;
    let users = common::client(&server.base_url()).users();
    let t = users.teams("jane@example.com").await.unwrap();
    assert_eq!(
        (t[0].id.as_str(), t[0].name.as_deref()),
        ("t1", Some("SRE"))
    );
    let s = users.schedules("jane@example.com").await.unwrap();
    assert_eq!(s[0].enabled, Some(true));
    let e = users.escalations("jane@example.com").await.unwrap();
    assert_eq!(e[0].rules.len(), 2);
    let r0 = e[0].rules[0].recipient.as_ref().unwrap();
    assert_eq!(
        (r0.kind.as_str(), r0.username.as_deref()),
        ("user", Some("jane@example.com"))
    );
    assert_eq!(
        e[0].rules[1].condition.as_deref(),
        Some("some-new-condition")
    );
    assert_eq!(
        e[0].owner_team.as_ref().unwrap().name.as_deref(),
        Some("SRE")
    );
    let f = users.forwarding_rules("jane@example.com").await.unwrap();
    assert_eq!(
        f[0].to_user
            .as_ref()
            .unwrap()
            .username
            .as_ref()
            .unwrap()
            .as_str(),
        "joe@example.com"
    );
    assert!(f[0].start_date.unwrap() < f[0].end_date.unwrap());
    for m in [teams, schedules, escalations, rules] {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn sub_list_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/x@x.com/escalations");
            then.status(403)
                .json_body(json!({"message": "key lacks Configuration Access"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/x@x.com/forwarding-rules");
            then.status(429)
                .header("X-RateLimit-State", "THROTTLED")
                .header("X-RateLimit-Reason", "Configuration")
                .header("X-RateLimit-Period-In-Sec", "60")
                .body("");
        })
        .await;
    let users = common::client(&server.base_url()).users();
    assert!(matches!(
        users.escalations("x@x.com").await,
        Err(Error::Forbidden(_))
    ));
    match users.forwarding_rules("x@x.com").await {
        Err(Error::RateLimited { error, .. }) => {
            assert_eq!(
                error.rate_limit.unwrap().reason.as_deref(),
                Some("Configuration")
            )
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- list and stream

#[tokio::test]
async fn list_sends_every_parameter_and_reads_the_page() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .is_true(raw_query(
                    "offset=20&limit=10&sort=insertedAt&order=desc&query=role%3Aadmin+blocked%3Afalse",
                ))
                .header("authorization", common::auth());
            then.status(200).json_body(json!({
                "totalCount": 31, "data": [user_json("1", "a@x.com")],
                "paging": {"first": "https://api.opsgenie.com/v2/users?limit=10&offset=0",
                           "next": "https://api.opsgenie.com/v2/users?limit=10&offset=30"},
                "took": 0.266, "requestId": "r-l"
            }));
        })
        .await;
    let page = common::client(&server.base_url())
        .users()
        .list()
        .offset(20)
        .limit(10)
        .sort(UserSort::InsertedAt)
        .order(SortOrder::Desc)
        .query("role:admin blocked:false")
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.total_count, Some(31));
    assert_eq!(page.request_id.as_deref(), Some("r-l"));
    assert_eq!(page.next_position(), Some((30, 10)));
}

#[tokio::test]
async fn list_always_sends_a_limit() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .is_true(raw_query("offset=0&limit=100"));
            then.status(200)
                .json_body(json!({"data": [], "totalCount": 0}));
        })
        .await;
    let page = common::client(&server.base_url())
        .users()
        .list()
        .await
        .unwrap();
    m.assert_async().await;
    assert!(page.items.is_empty());
    assert_eq!(page.next_position(), None);
}

#[tokio::test]
async fn limit_out_of_range_sends_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_w, t| {
            t.status(200).json_body(json!({"data": []}));
        })
        .await;
    let users = common::client(&server.base_url()).users();
    for limit in [0, 101, u32::MAX] {
        let e = users.list().limit(limit).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.contains("limit")),
            "{e:?}"
        );
        let mut s = users.list().limit(limit).stream();
        assert!(matches!(s.try_next().await, Err(Error::InvalidInput(_))));
        assert!(s.try_next().await.unwrap().is_none());
    }
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn list_errors_are_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users");
            then.status(429)
                .header("X-RateLimit-State", "THROTTLED")
                .header("X-RateLimit-Reason", "Search")
                .json_body(json!({"message": "rate limit"}));
        })
        .await;
    match common::client(&server.base_url()).users().list().await {
        Err(Error::RateLimited { error, attempts }) => {
            assert_eq!(attempts, 1);
            assert_eq!(error.rate_limit.unwrap().reason.as_deref(), Some("Search"));
        }
        other => panic!("{other:?}"),
    }
}

/// Users `id-{i}` / `u{i}@x.com` for `i` in `range`.
fn numbered_users(range: std::ops::Range<usize>) -> Vec<Value> {
    range
        .map(|i| user_json(&format!("id-{i}"), &format!("u{i}@x.com")))
        .collect()
}

/// `GET /v2/users?offset=..&limit=..` (exact query) answers `body`.
async fn mock_page(
    server: &MockServer,
    offset: usize,
    limit: usize,
    body: Value,
) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .is_true(raw_query(format!("offset={offset}&limit={limit}")))
                .header("authorization", common::auth());
            then.status(200).json_body(body);
        })
        .await
}

/// Serves `total` users in pages of `limit`, with `next` links on another
/// host (which must not be followed) on every page but the last.
async fn serve_pages(server: &MockServer, total: usize, limit: usize) -> Vec<httpmock::Mock<'_>> {
    let mut mocks = Vec::new();
    let mut offset = 0;
    loop {
        let n = limit.min(total.saturating_sub(offset));
        let data = numbered_users(offset..offset + n);
        let mut body = json!({"data": data, "totalCount": total, "took": 0.1,
            "paging": {"first": format!("https://api.opsgenie.com/v2/users?limit={limit}&offset=0")}});
        if offset + n < total {
            body["paging"]["next"] = json!(format!(
                "https://api.opsgenie.com/v2/users?limit={limit}&offset={}",
                offset + n
            ));
        }
        mocks.push(mock_page(server, offset, limit, body).await);
        offset += n;
        if offset >= total {
            break;
        }
    }
    mocks
}

#[tokio::test]
async fn stream_of_0_1_and_1050_users() {
    for (total, pages) in [(0usize, 1usize), (1, 1), (1050, 11)] {
        let server = MockServer::start_async().await;
        let mocks = serve_pages(&server, total, 100).await;
        assert_eq!(mocks.len(), pages);
        let mut s = common::client(&server.base_url()).users().list_all();
        assert_eq!(s.total_count(), None);
        let mut ids = Vec::new();
        while let Some(u) = s.try_next().await.unwrap() {
            ids.push(u.id.to_string());
            assert_eq!(s.total_count(), Some(total as u64));
        }
        assert_eq!(ids.len(), total);
        assert!(ids
            .iter()
            .enumerate()
            .all(|(i, id)| *id == format!("id-{i}")));
        assert_eq!(s.pages_fetched() as usize, pages);
        for m in mocks {
            assert_eq!(m.calls_async().await, 1, "total {total}");
        }
    }
}

#[tokio::test]
async fn stream_of_exactly_100_users_stops_on_the_empty_page() {
    let server = MockServer::start_async().await;
    let first = mock_page(
        &server,
        0,
        100,
        json!({"data": numbered_users(0..100), "totalCount": 100,
        "paging": {"next": "https://api.opsgenie.com/v2/users?limit=100&offset=100"}}),
    )
    .await;
    let second = mock_page(
        &server,
        100,
        100,
        json!({"data": [], "totalCount": 100,
        "paging": {"next": "https://api.opsgenie.com/v2/users?limit=100&offset=200"}}),
    )
    .await;
    let users: Vec<_> = common::client(&server.base_url())
        .users()
        .list_all()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 100);
    assert_eq!(first.calls_async().await, 1);
    assert_eq!(second.calls_async().await, 1);
}

#[tokio::test]
async fn stream_terminates_when_the_server_repeats_next() {
    let server = MockServer::start_async().await;
    let p0 = mock_page(
        &server,
        0,
        2,
        json!({"data": numbered_users(0..2),
        "paging": {"next": "https://api.opsgenie.com/v2/users?limit=2&offset=2"}}),
    )
    .await;
    // Broken server: next points at this same page again.
    let p2 = mock_page(
        &server,
        2,
        2,
        json!({"data": numbered_users(2..4),
        "paging": {"next": "https://api.opsgenie.com/v2/users?limit=2&offset=2"}}),
    )
    .await;
    let users: Vec<_> = common::client(&server.base_url())
        .users()
        .list()
        .limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 4);
    assert_eq!(p0.calls_async().await, 1);
    assert_eq!(p2.calls_async().await, 1);
}

#[tokio::test]
async fn stream_keeps_filters_on_every_page_and_yields_a_page_error() {
    let server = MockServer::start_async().await;
    let p0 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users")
                .is_true(raw_query("offset=0&limit=1&sort=username&query=role%3Aadmin"));
            then.status(200).json_body(json!({"data": [user_json("1", "a@x.com")], "totalCount": 3,
                "paging": {"next": "https://api.opsgenie.com/v2/users?limit=1&offset=1&sort=username&query=role:admin"}}));
        })
        .await;
    let p1 = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users").is_true(raw_query(
                "offset=1&limit=1&sort=username&query=role%3Aadmin",
            ));
            then.status(503)
                .header("content-type", "text/html")
                .body("<html>down</html>");
        })
        .await;
    let mut s = common::client(&server.base_url())
        .users()
        .list()
        .limit(1)
        .sort(UserSort::Username)
        .query("role:admin")
        .stream();
    assert_eq!(s.try_next().await.unwrap().unwrap().id.as_str(), "1");
    let e = s.try_next().await.unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 503);
    assert!(s.try_next().await.unwrap().is_none());
    p0.assert_async().await;
    p1.assert_async().await;
}

#[tokio::test]
async fn create_accepted_without_id_finds_it_by_username() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users");
            then.status(202)
                .json_body(json!({"result": "Accepted", "requestId": "r-202"}));
        })
        .await;
    let get = mock_lookup_found(&server).await;
    let out = common::client(&server.base_url())
        .users()
        .create(UserCreate::new("Jo@X.com", "Jo"))
        .await
        .unwrap();
    assert_eq!(out.id.as_str(), UID);
    assert!(!out.recovered);
    assert_eq!(out.request_id.as_deref(), Some("r-202"));
    post.assert_async().await;
    get.assert_async().await;
}

#[tokio::test]
async fn create_with_a_truncated_success_body_is_recovered() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users");
            then.status(201)
                .body(r#"{"result":"Created","data":{"id":"4"#);
        })
        .await;
    let get = mock_lookup_found(&server).await;
    let out = common::client(&server.base_url())
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap();
    assert!(out.recovered);
    assert_eq!(out.id.as_str(), UID);
    assert_eq!(post.calls_async().await, 1);
    assert_eq!(get.calls_async().await, 1);
}

/// Answers DELETE with 503 (HTML) the first time and 404 after; records calls.
#[derive(Default)]
struct DeleteThenGone(std::sync::Mutex<Vec<String>>);

#[async_trait::async_trait]
impl Transport for DeleteThenGone {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        let mut seen = self.0.lock().unwrap();
        seen.push(format!("{} {}", req.method(), req.uri().path()));
        let (status, body): (u16, &'static [u8]) = if seen.len() == 1 {
            (503, b"<html>503</html>")
        } else {
            (404, br#"{"message":"User not found","requestId":"r-404"}"#)
        };
        Ok(http::Response::builder()
            .status(status)
            .body(bytes::Bytes::from_static(body))
            .unwrap())
    }
}

#[tokio::test]
async fn delete_whose_retry_finds_the_user_gone_succeeds() {
    let transport = std::sync::Arc::new(DeleteThenGone::default());
    let c = Client::builder()
        .api_key(common::KEY)
        .base_url("http://127.0.0.1:9")
        .transport_arc(transport.clone())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .discover_rate_limits(false)
        .build()
        .unwrap();
    let w = c.users().delete("jo@x.com").await.unwrap();
    assert_eq!(w.result, "Deleted");
    assert_eq!(w.request_id.as_deref(), Some("r-404"));
    assert_eq!(
        *transport.0.lock().unwrap(),
        vec!["DELETE /v2/users/jo@x.com", "DELETE /v2/users/jo@x.com"]
    );
    // Without a retry, a 404 is NotFound.
    let once = Client::builder()
        .api_key(common::KEY)
        .base_url("http://127.0.0.1:9")
        .transport(DeleteThenGone(std::sync::Mutex::new(vec!["x".into()])))
        .retry_policy(RetryPolicy::none())
        .discover_rate_limits(false)
        .build()
        .unwrap();
    assert!(matches!(
        once.users().delete("jo@x.com").await,
        Err(Error::NotFound(_))
    ));
}

// ---------------------------------------------------------------- against the simulator

/// The whole Users API against the embedded simulator's real-shaped answers.
mod against_the_simulator {
    use super::*;
    use opsgenie_users_sim::{Fault, FaultRule, Seed, Server};

    #[tokio::test]
    async fn list_all_pages_through_251_users() {
        let server = Server::builder()
            .seed(Seed::new().users(250))
            .start()
            .await
            .unwrap();
        let mut s = server.client().users().list_all();
        let mut n = 0;
        while s.try_next().await.unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 251);
        assert_eq!(s.total_count(), Some(251));
        assert_eq!(s.pages_fetched(), 3);
        let lists: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.path == "/v2/users")
            .map(|r| r.query.unwrap_or_default())
            .collect();
        assert_eq!(
            lists,
            vec![
                "offset=0&limit=100",
                "offset=100&limit=100",
                "offset=200&limit=100"
            ]
        );
    }

    #[tokio::test]
    async fn verified_writes_catch_silent_rewrites() {
        let server = Server::start().await.unwrap();
        let users = server.client().users();
        let v = users
            .create_checked(
                UserCreate::new("Jo@Example.com", "Jo")
                    .role("admin")
                    .time_zone("US/Arizona")
                    .invitation_disabled(true),
            )
            .await
            .unwrap();
        assert_eq!(v.user.username.as_str(), "jo@example.com");
        assert_eq!(v.mismatches.len(), 1, "{:?}", v.mismatches);
        assert!(v.mismatches[0].is_role_downgrade());

        assert!(server.link_atlassian_account("jo@example.com"));
        let v = users
            .update_checked(
                &v.write.id,
                UserUpdate::new().full_name("Joanna").role(Role::Observer),
            )
            .await
            .unwrap();
        assert_eq!(v.mismatches.len(), 1, "{:?}", v.mismatches);
        assert_eq!(v.mismatches[0].field(), "fullName");
        assert_eq!(v.user.role_name(), Some(&Role::Observer));
    }

    #[tokio::test]
    async fn lost_create_answers_are_recovered_or_resent_once() {
        let server = Server::start().await.unwrap();
        let users = server.client().users();
        server.inject(
            FaultRule::new(Fault::DropAfterCommit)
                .method(http::Method::POST)
                .path_prefix("/v2/users")
                .times(1),
        );
        let out = users
            .create(UserCreate::new("kept@example.com", "Kept"))
            .await
            .unwrap();
        assert!(out.recovered);
        assert_eq!(server.user("kept@example.com").unwrap().id, out.id.as_str());

        server.inject(
            FaultRule::new(Fault::Drop)
                .method(http::Method::POST)
                .path_prefix("/v2/users")
                .times(1),
        );
        // Not applied: the lookup finds nothing and the create is sent again.
        let out = users
            .create(UserCreate::new("lost@example.com", "Lost"))
            .await
            .unwrap();
        assert!(!out.recovered);
        assert_eq!(server.user("lost@example.com").unwrap().id, out.id.as_str());

        let posts: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .map(|r| (r.body.unwrap()["username"].clone(), r.served))
            .collect();
        assert_eq!(
            posts,
            vec![
                (json!("kept@example.com"), Some(201)),
                (json!("lost@example.com"), None),
                (json!("lost@example.com"), Some(201)),
            ],
            "the applied create is not resent; the lost one is, once"
        );
    }

    #[tokio::test]
    async fn reads_and_delete_decode_real_shapes() {
        let server = Server::builder()
            .seed(Seed::new().users(3).teams(1).schedules(1))
            .start()
            .await
            .unwrap();
        let users = server.client().users();
        let c = users
            .create(UserCreate::new("a+b@example.com", "A B"))
            .await
            .unwrap();
        server.add_schedule("Night", &["a+b@example.com"]).unwrap();
        server.add_escalation("Wake", &["a+b@example.com"]).unwrap();
        server
            .add_forwarding_rule("a+b@example.com", "owner@example.com")
            .unwrap();
        let u = users
            .get("a+b@example.com")
            .expand_contacts()
            .await
            .unwrap();
        assert_eq!(u.id, c.id);
        assert!(u.created_at.is_some());
        assert!(users.teams(&u.id).await.unwrap().is_empty());
        let s = users.schedules(&u.id).await.unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name.as_deref(), Some("Night"));
        let e = users.escalations(&u.id).await.unwrap();
        assert_eq!(e[0].name.as_deref(), Some("Wake"));
        let f = users.forwarding_rules(&u.id).await.unwrap();
        assert_eq!(
            f[0].to_user
                .as_ref()
                .unwrap()
                .username
                .as_ref()
                .unwrap()
                .as_str(),
            "owner@example.com"
        );
        // Referenced by a rotation and an escalation: 422.
        let err = users.delete(&u.id).await.unwrap_err();
        assert!(matches!(err, Error::DeleteBlocked(_)), "{err:?}");
        assert_eq!(err.status().unwrap().as_u16(), 422);
        let fresh = users
            .create(UserCreate::new("free@example.com", "Free"))
            .await
            .unwrap();
        assert_eq!(users.delete(&fresh.id).await.unwrap().result, "Deleted");
        assert!(matches!(
            users.get(&fresh.id).await,
            Err(Error::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn create_with_lost_answer_and_failed_lookup_is_ambiguous() {
    let server = MockServer::start_async().await;
    let post = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users");
            then.status(502).body("<html>Bad Gateway</html>");
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jo@x.com");
            then.status(403)
                .json_body(json!({"message": "no Read right"}));
        })
        .await;
    let err = common::client(&server.base_url())
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap_err();
    match &err {
        Error::AmbiguousOutcome { operation, cause } => {
            assert!(operation.contains("lookup failed"), "{operation}");
            assert_eq!(cause.status().map(|s| s.as_u16()), Some(502));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(post.calls_async().await, 1);
    assert_eq!(get.calls_async().await, 1);
}
