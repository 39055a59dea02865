//! Issue 11, SDK side: no write loses data and every write answer is read
//! honestly. Each test pins what is sent (method, path, query, whole body)
//! against a mock server.
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use opsgenie_users::models::user::UserUpdate;
use opsgenie_users::transport::{Transport, TransportError, TransportErrorKind};
use opsgenie_users::{Client, Error, RetryPolicy, UserRef};
use serde_json::json;

const UID: &str = "415ec30e-80ce-4219-b16e-0d4e5dc50f0a";

/// Asserts the raw query string (encoding and order included).
fn raw_query(
    expected: impl Into<String>,
) -> impl Fn(&httpmock::HttpMockRequest) -> bool + Send + Sync + 'static {
    let expected = expected.into();
    move |req| req.uri().query().unwrap_or("") == expected
}

// ------------------------------------------------- empty 2xx write answers

#[tokio::test]
async fn user_update_and_delete_accept_an_empty_2xx_body() {
    let server = MockServer::start_async().await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(format!("/v2/users/{UID}"))
                .is_true(raw_query(""))
                .header("authorization", common::auth())
                .json_body(json!({"locale": "en_GB"}));
            then.status(202);
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("/v2/users/{UID}"))
                .is_true(raw_query(""))
                .header("authorization", common::auth());
            then.status(200).body("  ");
        })
        .await;
    let users = common::client(&server.base_url()).users();
    let w = users
        .update(UserRef::id(UID), UserUpdate::new().locale("en_GB"))
        .await
        .expect("a 202 without a body is an accepted update");
    assert_eq!(w.result, "");
    let w = users
        .delete(UserRef::id(UID))
        .await
        .expect("a 200 without a body is a done delete");
    assert_eq!(w.result, "");
    patch.assert_async().await;
    delete.assert_async().await;
}

// ------------------------------------------------- delete: 404 after a retry

/// Answers each attempt from a script; records `METHOD path` per attempt.
struct Script {
    answers: Mutex<Vec<Result<(u16, &'static str), TransportErrorKind>>>,
    seen: Mutex<Vec<String>>,
}

impl Script {
    fn new(answers: Vec<Result<(u16, &'static str), TransportErrorKind>>) -> Arc<Self> {
        Arc::new(Script {
            answers: Mutex::new(answers.into_iter().rev().collect()),
            seen: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait::async_trait]
impl Transport for Script {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("{} {}", req.method(), req.uri().path()));
        let next = self.answers.lock().unwrap().pop().expect("script ran out");
        let (status, body) = next.map_err(|k| TransportError::new(k, "scripted"))?;
        Ok(http::Response::builder()
            .status(status)
            .body(bytes::Bytes::from_static(body.as_bytes()))
            .unwrap())
    }
}

fn scripted(script: &Arc<Script>) -> Client {
    Client::builder()
        .api_key(common::KEY)
        .base_url("http://127.0.0.1:9")
        .transport_arc(script.clone())
        .rate_limiter(Arc::new(opsgenie_users::ratelimit::Unlimited))
        .discover_rate_limits(false)
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap()
}

const NOT_FOUND: &str = r#"{"message":"User not found","requestId":"r-404"}"#;

#[tokio::test]
async fn delete_404_after_only_unsent_or_refused_attempts_is_not_found() {
    // 429 (never acted on), then 404: the user never existed.
    for first in [
        Ok((429, r#"{"message":"slow down"}"#)),
        Err(TransportErrorKind::Connect),
    ] {
        let script = Script::new(vec![first, Ok((404, NOT_FOUND))]);
        let out = scripted(&script).users().delete("ghost@x.com").await;
        assert!(
            matches!(out, Err(Error::NotFound(_))),
            "{first:?} then 404: {out:?}"
        );
        assert_eq!(
            *script.seen.lock().unwrap(),
            vec!["DELETE /v2/users/ghost@x.com"; 2]
        );
    }
}

#[tokio::test]
async fn delete_404_after_an_attempt_that_may_have_acted_is_done() {
    for first in [
        Ok((503, "<html>503</html>")),
        Err(TransportErrorKind::Io),
        Err(TransportErrorKind::Timeout),
    ] {
        // A throttle after the acting attempt does not undo it.
        let script = Script::new(vec![
            first,
            Ok((429, r#"{"message":"slow down"}"#)),
            Ok((404, NOT_FOUND)),
        ]);
        let w = scripted(&script)
            .users()
            .delete("jo@x.com")
            .await
            .unwrap_or_else(|e| panic!("{first:?}, 429, 404: {e:?}"));
        assert_eq!(w.result, "Deleted");
        assert_eq!(w.request_id.as_deref(), Some("r-404"));
        assert_eq!(script.seen.lock().unwrap().len(), 3);
    }
}

// ------------------------------------------------- escalation rules

#[tokio::test]
async fn rules_read_without_condition_or_notify_type_are_written_with_the_spec_defaults() {
    let server = MockServer::start_async().await;
    let rules = json!([
        {"delay": {"timeAmount": 0}, "recipient": {"type": "user", "id": "u1"}, "future": {"x": 1}},
        {"condition": "if-not-closed", "notifyType": "all",
         "delay": {"timeAmount": 5, "timeUnit": "minutes"}, "recipient": {"type": "team", "id": "t1"}}
    ]);
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/escalations/e1")
                .is_true(raw_query("identifierType=id"));
            then.status(200)
                .json_body(json!({"data": {"id": "e1", "name": "ops", "rules": rules}}));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v2/escalations/e1")
                .is_true(raw_query("identifierType=id"))
                .header("authorization", common::auth())
                .json_body(json!({"rules": [
                    {"condition": "if-not-acked", "notifyType": "default",
                     "delay": {"timeAmount": 0}, "recipient": {"type": "user", "id": "u1"},
                     "future": {"x": 1}},
                    {"condition": "if-not-closed", "notifyType": "all",
                     "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                     "recipient": {"type": "team", "id": "t1"}}
                ]}));
            then.status(200).json_body(json!({"result": "Updated"}));
        })
        .await;
    let esc = common::client(&server.base_url()).escalations();
    let e = esc
        .get(opsgenie_users::EscalationRef::id("e1"))
        .await
        .unwrap();
    // Absent stays absent in the model.
    assert_eq!(e.rules[0].condition, None);
    esc.set_rules(&e.id, e.rules).await.unwrap();
    get.assert_async().await;
    patch.assert_async().await;
}

// ------------------------------------------------- custom user role: read, change, PUT whole

#[tokio::test]
async fn custom_role_update_puts_the_complete_role_with_rights_as_sets() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/roles/Auditor")
                .is_true(raw_query("identifierType=name"))
                .header("authorization", common::auth());
            then.status(200).json_body(json!({"data": {
                "id": "r-1", "name": "Auditor", "extendedRole": "observer",
                "grantedRights": ["logs-page-access", "reports-access"],
                "disallowedRights": ["alert-delete"], "someNewField": {"k": 1}
            }}));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path("/v2/roles/r-1")
                .is_true(raw_query("identifierType=id"))
                .header("authorization", common::auth())
                .header("content-type", "application/json")
                .json_body(json!({
                    "name": "Auditor", "extendedRole": "user",
                    "grantedRights": ["logs-page-access", "alert-delete"],
                    "disallowedRights": ["maintenance-edit"],
                    "someNewField": {"k": 1}
                }));
            then.status(200)
                .json_body(json!({"result": "Updated", "requestId": "rq-u"}));
        })
        .await;
    let w = common::client(&server.base_url())
        .roles()
        .update("Auditor")
        .revoke("reports-access")
        .grant("alert-delete") // leaves the disallowed list
        .disallow("maintenance-edit")
        .grant("logs-page-access") // already granted: not duplicated
        .extended_role(opsgenie_users::models::role::ExtendedRole::User)
        .await
        .unwrap();
    assert_eq!(w.result, "Updated");
    get.assert_async().await;
    put.assert_async().await;
}

// ------------------------------------------------- team role: read, merge, PATCH the whole list

#[tokio::test]
async fn team_role_update_patches_the_whole_rights_list() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/teams/sre/roles/Lead")
                .is_true(raw_query("teamIdentifierType=name&identifierType=name"));
            then.status(200).json_body(json!({"data": {
                "id": "tr-1", "name": "Lead",
                "rights": [{"right": "manage-members", "granted": true},
                           {"right": "edit-escalations", "granted": true},
                           {"right": "delete-team", "granted": false}]
            }}));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v2/teams/sre/roles/tr-1")
                .is_true(raw_query("teamIdentifierType=name&identifierType=id"))
                .header("authorization", common::auth())
                .json_body(json!({"name": "Lead", "rights": [
                    {"right": "manage-members", "granted": false},
                    {"right": "delete-team", "granted": false},
                    {"right": "edit-schedules", "granted": true}
                ]}));
            then.status(202);
        })
        .await;
    common::client(&server.base_url())
        .teams()
        .roles("sre")
        .update("Lead")
        .deny("manage-members")
        .remove("edit-escalations")
        .grant("edit-schedules")
        .await
        .unwrap();
    get.assert_async().await;
    patch.assert_async().await;
}

// ------------------------------------------------- user address: merged, verified whole

fn address_user(city: &str, zip: &str) -> serde_json::Value {
    json!({"data": {
        "id": UID, "username": "jo@x.com", "fullName": "Jo",
        "userAddress": {"country": "GB", "state": "England", "city": city,
                        "line": "1 High St", "zipCode": zip}
    }})
}

/// The PATCH of `jo@x.com` with `body` (no query, the key sent), answered 200.
async fn expect_patch(server: &MockServer, body: serde_json::Value) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v2/users/jo@x.com")
                .is_true(raw_query(""))
                .header("authorization", common::auth())
                .json_body(body);
            then.status(200).json_body(json!({"result": "Updated"}));
        })
        .await
}

#[tokio::test]
async fn updating_only_the_city_keeps_the_rest_of_the_address() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/users/jo@x.com")
                .is_true(raw_query(""));
            then.status(200).json_body(address_user("York", "YO1 7HH"));
        })
        .await;
    let patch = expect_patch(
        &server,
        json!({"locale": "en_GB", "userAddress": {
            "country": "GB", "state": "England", "city": "Leeds",
            "line": "1 High St", "zipCode": "YO1 7HH"}}),
    )
    .await;
    let city = opsgenie_users::models::user::UserAddress {
        city: Some("Leeds".into()),
        ..Default::default()
    };
    common::client(&server.base_url())
        .users()
        .update(
            "jo@x.com",
            UserUpdate::new().locale("en_GB").user_address(city),
        )
        .await
        .unwrap();
    get.assert_async().await;
    patch.assert_async().await;
}

#[tokio::test]
async fn an_update_with_a_whole_address_sends_only_the_patch() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jo@x.com");
            then.status(200).json_body(address_user("York", "YO1 7HH"));
        })
        .await;
    let patch = expect_patch(
        &server,
        json!({"userAddress": {
            "country": "GB", "state": "England", "city": "Leeds",
            "line": "2 Low St", "zipCode": "LS1 1AA"}}),
    )
    .await;
    let address = opsgenie_users::models::user::UserAddress {
        country: Some("GB".into()),
        state: Some("England".into()),
        city: Some("Leeds".into()),
        line: Some("2 Low St".into()),
        zip_code: Some("LS1 1AA".into()),
    };
    let out = common::client(&server.base_url())
        .users()
        .update("jo@x.com", UserUpdate::new().user_address(address))
        .await
        .unwrap();
    assert_eq!(out.result, "Updated");
    patch.assert_async().await;
    // Nothing to merge: the current address is not read.
    assert_eq!(get.calls_async().await, 0);
}

#[tokio::test]
async fn update_checked_compares_the_whole_address() {
    let server = MockServer::start_async().await;
    // First read: the current address; read-back: the server dropped the zip code.
    let mut reads = vec![address_user("York", "YO1 7HH"), address_user("Leeds", "")];
    reads.reverse();
    let reads = Arc::new(Mutex::new(reads));
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jo@x.com");
            let reads = reads.clone();
            then.respond_with(move |_req: &httpmock::HttpMockRequest| {
                let body = reads.lock().unwrap().pop().unwrap();
                httpmock::HttpMockResponse::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .build()
            });
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path("/v2/users/jo@x.com")
                .json_body(json!({"userAddress": {
                "country": "GB", "state": "England", "city": "Leeds",
                "line": "1 High St", "zipCode": "YO1 7HH"}}));
            then.status(202);
        })
        .await;
    let city = opsgenie_users::models::user::UserAddress {
        city: Some("Leeds".into()),
        ..Default::default()
    };
    let v = common::client(&server.base_url())
        .users()
        .update_checked("jo@x.com", UserUpdate::new().user_address(city))
        .await
        .unwrap();
    assert!(
        matches!(
            &v.mismatches[..],
            [opsgenie_users::api::users::Mismatch::UserAddress { .. }]
        ),
        "{:?}",
        v.mismatches
    );
    get.assert_calls_async(2).await;
    patch.assert_async().await;
}

// ------------------------------------------------- SCIM

const SCIM_TOKEN: &str = "scim-token-0000";
const SCIM_BASE: &str = "/scim/directory/dir-1";

fn scim(server: &MockServer) -> opsgenie_users::scim::ScimClient {
    opsgenie_users::scim::ScimClient::builder()
        .base_url(format!("{}{SCIM_BASE}", server.base_url()))
        .token(SCIM_TOKEN)
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("scim client")
}

fn sp(rest: &str) -> String {
    format!("{SCIM_BASE}{rest}")
}

fn scim_list(items: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
           "totalResults": items.len(), "startIndex": 1, "itemsPerPage": items.len(), "Resources": items})
}

#[tokio::test]
async fn upsert_with_a_new_family_name_recomputes_name_formatted() {
    use opsgenie_users::scim::{Name, ScimUser, Upserted};
    let server = MockServer::start_async().await;
    let existing = json!({
        "schemas": [opsgenie_users::scim::USER_SCHEMA], "id": "u-7", "userName": "jane@example.com",
        "externalId": "okta-9", "active": true,
        "name": {"givenName": "Jane", "familyName": "Doe", "middleName": "Q", "formatted": "Jane Q Doe"}
    });
    let by_ext = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(sp("/Users"))
                .query_param("filter", r#"externalId eq "okta-9""#);
            then.status(200)
                .json_body(scim_list(vec![existing.clone()]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(sp("/Users/u-7"))
                .header("authorization", format!("Bearer {SCIM_TOKEN}"))
                .json_body(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    // The complete name: a server replacing `name` whole
                    // keeps the middle name too.
                    "Operations": [{"op": "replace", "value": {"name": {
                        "givenName": "Jane", "familyName": "Roe", "middleName": "Q",
                        "formatted": "Jane Q Roe"}}}]
                }));
            then.status(200).json_body(existing.clone());
        })
        .await;
    let out = scim(&server)
        .users()
        .upsert(
            &ScimUser::new("jane@example.com")
                .external_id("okta-9")
                .name(Name::new("Jane", "Roe")),
        )
        .await
        .unwrap();
    assert!(matches!(out, Upserted::Updated(_)), "{out:?}");
    by_ext.assert_async().await;
    patch.assert_async().await;
}

#[tokio::test]
async fn group_replace_reads_the_members_and_puts_them_back() {
    use opsgenie_users::scim::ScimGroup;
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(sp("/Groups/g-1")).is_true(raw_query(""));
            then.status(200).json_body(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g-1",
                "displayName": "ops", "members": [{"value": "u-1", "display": "Ann"}, {"value": "u-2"}]
            }));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(sp("/Groups/g-1"))
                .is_true(raw_query(""))
                .header("authorization", format!("Bearer {SCIM_TOKEN}"))
                .json_body(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "ops-team",
                    "members": [{"value": "u-1", "display": "Ann"}, {"value": "u-2"}]
                }));
            then.status(200)
                .json_body(json!({"id": "g-1", "displayName": "ops-team"}));
        })
        .await;
    // As read from a list that left the members out.
    let g = scim(&server)
        .groups()
        .replace("g-1", ScimGroup::new("ops-team"))
        .await
        .unwrap();
    assert_eq!(g.display_name, "ops-team");
    get.assert_async().await;
    put.assert_async().await;

    // A member change through replace is refused before any PUT.
    let e = scim(&server)
        .groups()
        .replace("g-1", ScimGroup::new("ops-team").member("u-9"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    put.assert_calls_async(1).await;
}

#[tokio::test]
async fn deactivate_finds_groups_by_a_members_filter_not_only_by_the_users_list() {
    let server = MockServer::start_async().await;
    let user_patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path(sp("/Users/u-1")).json_body(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]}));
            // The server lists one group on the user, but the user is in two.
            then.status(200)
                .json_body(json!({"id": "u-1", "userName": "a@b", "active": false,
                "groups": [{"value": "g-1"}]}));
        })
        .await;
    let search = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(sp("/Groups"))
                .query_param("filter", r#"members[value eq "u-1"]"#)
                .query_param("startIndex", "1")
                .query_param("count", "100");
            then.status(200).json_body(scim_list(vec![
                json!({"id": "g-1", "displayName": "a"}),
                json!({"id": "g-3", "displayName": "c"}),
            ]));
        })
        .await;
    let mut removes = Vec::new();
    for g in ["g-1", "g-3"] {
        removes.push(
            server
                .mock_async(|when, then| {
                    when.method(PATCH)
                        .path(sp(&format!("/Groups/{g}")))
                        .json_body(json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "remove", "path": "members[value eq \"u-1\"]"}]}));
                    then.status(204);
                })
                .await,
        );
    }
    let done = scim(&server)
        .users()
        .deactivate("u-1")
        .strip_groups(true)
        .await
        .unwrap();
    assert_eq!(done.removed_from_groups, ["g-1", "g-3"]);
    user_patch.assert_async().await;
    search.assert_async().await;
    for m in removes {
        m.assert_async().await;
    }
}

// ------------------------------------------------- property: one change, nothing else moves

/// An in-memory server holding one resource (JSON): GET answers it as
/// `data`, PUT replaces it whole (keeping the id), PATCH replaces each
/// top-level field it names. Every write body is recorded.
struct Store {
    resource: Mutex<serde_json::Value>,
    writes: Mutex<Vec<(String, String, serde_json::Value)>>,
}

#[async_trait::async_trait]
impl Transport for Store {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        let method = req.method().clone();
        let target = format!(
            "{}?{}",
            req.uri().path(),
            req.uri().query().unwrap_or_default()
        );
        let mut res = self.resource.lock().unwrap();
        let body = if method == http::Method::GET {
            json!({"data": *res})
        } else {
            let sent: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
            self.writes
                .lock()
                .unwrap()
                .push((method.to_string(), target, sent.clone()));
            let id = res["id"].clone();
            if method == http::Method::PUT {
                *res = sent;
                res["id"] = id;
            } else {
                for (k, v) in sent.as_object().unwrap() {
                    res[k] = v.clone();
                }
            }
            json!({"result": "Updated"})
        };
        Ok(http::Response::builder()
            .status(200)
            .body(bytes::Bytes::from(body.to_string()))
            .unwrap())
    }
}

fn store_client(resource: serde_json::Value) -> (Client, Arc<Store>) {
    let store = Arc::new(Store {
        resource: Mutex::new(resource),
        writes: Mutex::new(Vec::new()),
    });
    let c = Client::builder()
        .api_key(common::KEY)
        .base_url("http://127.0.0.1:9")
        .transport_arc(store.clone())
        .rate_limiter(Arc::new(opsgenie_users::ratelimit::Unlimited))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (c, store)
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// An in-memory SCIM server holding one group (`/scim/Groups/g-1`): GET
/// answers it, PUT replaces it whole (RFC 7644 §3.5.1; `id` and `meta`
/// stay). Every request is recorded as `METHOD path?query`.
struct GroupStore {
    group: Mutex<serde_json::Value>,
    seen: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Transport for GroupStore {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        self.seen.lock().unwrap().push(format!(
            "{} {}?{}",
            req.method(),
            req.uri().path(),
            req.uri().query().unwrap_or_default()
        ));
        let mut g = self.group.lock().unwrap();
        let status = match (req.method().as_str(), req.uri().path()) {
            ("GET", "/scim/Groups/g-1") => 200,
            ("PUT", "/scim/Groups/g-1") => {
                let mut sent: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
                sent["id"] = g["id"].clone();
                sent["meta"] = g["meta"].clone();
                *g = sent;
                200
            }
            _ => 404,
        };
        Ok(http::Response::builder()
            .status(status)
            .header("content-type", "application/scim+json")
            .body(bytes::Bytes::from(g.to_string()))
            .unwrap())
    }
}

fn group_store(group: serde_json::Value) -> (opsgenie_users::scim::ScimClient, Arc<GroupStore>) {
    let store = Arc::new(GroupStore {
        group: Mutex::new(group),
        seen: Mutex::new(Vec::new()),
    });
    let c = opsgenie_users::scim::ScimClient::builder()
        .base_url("http://127.0.0.1:9/scim")
        .token(SCIM_TOKEN)
        .transport_arc(store.clone())
        .rate_limiter(Arc::new(opsgenie_users::ratelimit::Unlimited))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (c, store)
}

#[path = "support/update_model.rs"]
mod update_model;

mod props {
    use super::update_model::*;
    use super::*;
    use proptest::prelude::*;

    /// A complete group `g-1`: members with their `display`, `$ref`,
    /// `type` and an unknown sub-attribute, maybe an external id, unknown
    /// attributes.
    fn scim_group() -> impl Strategy<Value = serde_json::Value> {
        (
            "grp-[a-z]{3,6}",
            proptest::option::of("ext-[a-z]{3,6}"),
            proptest::collection::btree_map(
                "u-[a-z0-9]{4}",
                ("[A-Z][a-z]{2,6}", any::<bool>()),
                0..5,
            ),
            unknown(),
        )
            .prop_map(|(name, ext, members, extra)| {
                let members: Vec<_> = members
                    .into_iter()
                    .map(|(id, (display, flag))| {
                        json!({"value": id, "display": display, "type": "User",
                               "$ref": format!("https://scim.example.com/Users/{id}"),
                               "xSince": {"nested": {"flag": flag}}})
                    })
                    .collect();
                let mut g = json!({
                    "schemas": [opsgenie_users::scim::GROUP_SCHEMA], "id": "g-1",
                    "displayName": name, "members": members,
                    "meta": {"resourceType": "Group", "version": "W/\"1\""},
                });
                if let Some(e) = ext {
                    g["externalId"] = json!(e);
                }
                with(g, extra)
            })
    }

    #[derive(Debug, Clone)]
    enum GroupChange {
        DisplayName(String),
        ExternalId(String),
        /// An unknown attribute set (added or replaced).
        Unknown(String, i32),
    }

    fn group_change() -> impl Strategy<Value = GroupChange> {
        prop_oneof![
            "renamed-[a-z]{3,6}".prop_map(GroupChange::DisplayName),
            "ext-[a-z]{3,6}".prop_map(GroupChange::ExternalId),
            ("x[A-Z][a-z]{1,6}", any::<i32>()).prop_map(|(k, v)| GroupChange::Unknown(k, v)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// `groups().replace` with the group as read (members included, or
        /// left out as a list may answer it) and one change: the PUT keeps
        /// every member with its sub-attributes, and every other attribute.
        #[test]
        fn scim_group_replace_changes_only_what_it_names(
            before in scim_group(), change in group_change(), listed in any::<bool>(),
        ) {
            let (scim, store) = group_store(before.clone());
            let mut group: opsgenie_users::scim::ScimGroup = serde_json::from_value(before.clone()).unwrap();
            if listed {
                group.members.clear();
            }
            let mut expected = before.clone();
            match change {
                GroupChange::DisplayName(v) => {
                    expected["displayName"] = json!(v);
                    group.display_name = v;
                }
                GroupChange::ExternalId(v) => {
                    expected["externalId"] = json!(v);
                    group.external_id = Some(v);
                }
                GroupChange::Unknown(k, v) => {
                    expected[&k] = json!(v);
                    group.extra.insert(k, json!(v));
                }
            }
            run(async { scim.groups().replace("g-1", group).await }).unwrap();
            prop_assert_eq!(
                store.seen.lock().unwrap().clone(),
                vec!["GET /scim/Groups/g-1?".to_string(), "PUT /scim/Groups/g-1?".to_string()]
            );
            // An empty multi-valued attribute and none are the same state
            // (RFC 7643 §2.5).
            let no_empty_members = |mut g: serde_json::Value| {
                if g["members"].as_array().is_some_and(|m| m.is_empty()) {
                    g.as_object_mut().unwrap().remove("members");
                }
                g
            };
            prop_assert_eq!(
                no_empty_members(store.group.lock().unwrap().clone()),
                no_empty_members(expected)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn custom_role_update_changes_only_what_it_names(before in custom_role(json!({"id": "r-1"})), change in role_change()) {
            let (c, store) = store_client(before.clone());
            let update = c.roles().update(opsgenie_users::CustomRoleRef::id("r-1"));
            run(async { apply_role(update, &change).await }).unwrap();
            let writes = store.writes.lock().unwrap().clone();
            prop_assert_eq!(writes.len(), 1);
            prop_assert_eq!(&writes[0].0, "PUT");
            prop_assert_eq!(&writes[0].1, "/v2/roles/r-1?identifierType=id");
            let after = store.resource.lock().unwrap().clone();
            prop_assert_eq!(normalised_role(&after), normalised_role(&expected_role(&before, &change)));
        }

        #[test]
        fn team_role_update_changes_only_what_it_names(before in team_role(json!({"id": "tr-1"})), change in team_role_change()) {
            let (c, store) = store_client(before.clone());
            let update = c.teams().roles(opsgenie_users::TeamRef::name("sre")).update(opsgenie_users::TeamRoleRef::id("tr-1"));
            run(async { apply_team_role(update, &change).await }).unwrap();
            let writes = store.writes.lock().unwrap().clone();
            prop_assert_eq!(writes.len(), 1);
            prop_assert_eq!(&writes[0].0, "PATCH");
            prop_assert_eq!(&writes[0].1, "/v2/teams/sre/roles/tr-1?teamIdentifierType=name&identifierType=id");
            let after = store.resource.lock().unwrap().clone();
            prop_assert_eq!(split_team_role(&after), expected_team_role(&before, &change));
        }

        #[test]
        fn user_update_changes_only_what_it_names(
            before in user(json!({"id": UID, "role": {"id": "User", "name": "User"}})),
            change in user_change(),
        ) {
            let (c, store) = store_client(before.clone());
            let (update, expected) = user_update(&before, &change);
            run(async { c.users().update(UserRef::id(UID), update).await }).unwrap();
            let writes = store.writes.lock().unwrap().clone();
            prop_assert_eq!(writes.len(), 1);
            prop_assert_eq!(&writes[0].0, "PATCH");
            prop_assert_eq!(writes[0].1.clone(), format!("/v2/users/{UID}?"));
            prop_assert_eq!(store.resource.lock().unwrap().clone(), expected);
        }
    }
}
