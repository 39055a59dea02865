//! Writes that finish: a write whose answer was lost is looked up, resent
//! only when it was not applied, and recovered when a resend meets the
//! conflict of an attempt that landed after all. Every request is scripted
//! and checked in order (method, path and query, body, headers): the same
//! path answers differently over time here, which httpmock cannot do.
mod common;
#[path = "support/script.rs"]
mod script;

use std::time::Duration;

use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
use opsgenie_users::models::team::TeamRole;
use opsgenie_users::models::user::UserCreate;
use opsgenie_users::{Error, RetryPolicy};
use script::{data, error, get, reset, step, Script};
use serde_json::{json, Value};

const UID: &str = "415ec30e-80ce-4219-b16e-0d4e5dc50f0a";

fn policy() -> RetryPolicy {
    RetryPolicy::default().base_delay(Duration::from_millis(1))
}

fn create_body() -> Option<Value> {
    Some(json!({"username": "jo@x.com", "fullName": "Jo", "role": {"name": "User"}}))
}

fn created() -> Value {
    json!({"result": "Created", "data": {"id": UID, "name": "jo@x.com"}, "took": 0.1, "requestId": "r-201"})
}

fn jo() -> Value {
    data(
        json!({"id": UID, "username": "jo@x.com", "fullName": "Jo", "role": {"id": "User", "name": "User"}}),
    )
}

fn post_user(status: u16, answer: Value) -> script::Step {
    step("POST", "/v2/users", create_body(), status, answer)
}

const LOOKUP: &str = "/v2/users/jo@x.com";

#[tokio::test]
async fn create_met_by_503_not_found_is_resent_and_created() {
    let (client, script) = Script::client_with(
        vec![
            post_user(503, error("Service Unavailable")),
            step("GET", LOOKUP, None, 404, error("User not found")),
            post_user(201, created()),
        ],
        policy(),
    );
    let out = client
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap();
    script.assert_done();
    assert_eq!(out.id.as_str(), UID);
    assert!(!out.recovered, "the resend's answer was read");
    assert_eq!(out.request_id.as_deref(), Some("r-201"));
    let s = client.request_stats();
    assert_eq!((s.attempts, s.retries, s.resends), (3, 1, 1), "{s:?}");
    assert_eq!((s.recovered, s.ambiguous), (0, 0), "{s:?}");
}

#[tokio::test]
async fn reset_then_resend_conflict_is_looked_up_again_and_recovered() {
    // Opsgenie answers a taken username with 422; a 409 means the same.
    for conflict in [409, 422] {
        let (client, script) = Script::client_with(
            vec![
                reset("POST", "/v2/users", create_body()),
                step("GET", LOOKUP, None, 404, error("User not found")),
                post_user(conflict, error("User already exists")),
                get(LOOKUP, jo()),
            ],
            policy(),
        );
        let out = client
            .users()
            .create(UserCreate::new("jo@x.com", "Jo"))
            .await
            .unwrap();
        script.assert_done();
        assert!(out.recovered, "{conflict}");
        assert_eq!(out.id.as_str(), UID);
        let s = client.request_stats();
        assert_eq!((s.resends, s.recovered, s.ambiguous), (1, 1, 0), "{s:?}");
    }
}

#[tokio::test]
async fn lookups_that_keep_failing_leave_the_outcome_unknown() {
    // The lookup is a GET: retried up to the policy's 3 attempts, then the
    // create is ambiguous and never resent.
    let lookup_fails = || step("GET", LOOKUP, None, 503, error("Service Unavailable"));
    let (client, script) = Script::client_with(
        vec![
            post_user(502, error("Bad Gateway")),
            lookup_fails(),
            lookup_fails(),
            lookup_fails(),
        ],
        policy().max_attempts(3),
    );
    let err = client
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap_err();
    script.assert_done();
    match &err {
        Error::AmbiguousOutcome { operation, cause } => {
            assert!(operation.contains("create user jo@x.com"), "{operation}");
            assert!(operation.contains("lookup failed"), "{operation}");
            assert_eq!(cause.status().map(|s| s.as_u16()), Some(502));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.request_stats().ambiguous, 1);
}

#[tokio::test]
async fn a_422_is_never_resent_nor_looked_up() {
    let (client, script) =
        Script::client_with(vec![post_user(422, error("User already exists"))], policy());
    let err = client
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap_err();
    script.assert_done();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err:?}");
    assert_eq!(client.request_stats().attempts, 1);
}

#[tokio::test]
async fn resends_stop_at_the_policy_attempts_with_the_last_error() {
    let not_found = || step("GET", LOOKUP, None, 404, error("User not found"));
    let (client, script) = Script::client_with(
        vec![
            post_user(503, error("Service Unavailable")),
            not_found(),
            post_user(500, error("Internal Server Error")),
            not_found(),
        ],
        policy().max_attempts(2),
    );
    let err = client
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap_err();
    script.assert_done();
    // Confirmed absent: a plain error, not an unknown outcome.
    assert!(matches!(&err, Error::Api(a) if a.status == 500), "{err:?}");
    assert_eq!(client.request_stats().resends, 1);
}

#[tokio::test]
async fn resends_are_paid_from_the_retry_budget() {
    // A budget of 4 tokens cannot pay the 5 a resend after a 5xx costs.
    let (client, script) = Script::client_with(
        vec![
            post_user(503, error("Service Unavailable")),
            step("GET", LOOKUP, None, 404, error("User not found")),
        ],
        policy().budget(4),
    );
    let err = client
        .users()
        .create(UserCreate::new("jo@x.com", "Jo"))
        .await
        .unwrap_err();
    script.assert_done();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err:?}");
}

const MEMBERS: &str = "/v2/teams/sre/members?teamIdentifierType=name";
const TEAM: &str = "/v2/teams/sre?identifierType=name";

fn add_body() -> Option<Value> {
    Some(json!({"user": {"username": "jo@x.com"}, "role": "admin"}))
}

fn team(members: Value) -> Value {
    data(json!({"id": "t-1", "name": "sre", "members": members}))
}

#[tokio::test]
async fn a_lost_membership_add_is_looked_up_then_resent_or_recovered() {
    let (client, script) = Script::client_with(
        vec![
            step("POST", MEMBERS, add_body(), 502, error("Bad Gateway")),
            get(TEAM, team(json!([]))),
            step(
                "POST",
                MEMBERS,
                add_body(),
                200,
                json!({"result": "Added", "took": 0.1, "requestId": "r-add"}),
            ),
        ],
        policy(),
    );
    let w = client
        .teams()
        .add_member("sre", "jo@x.com", TeamRole::Admin)
        .await
        .unwrap();
    script.assert_done();
    assert_eq!(w.result, "Added");

    let (client, script) = Script::client_with(
        vec![
            reset("POST", MEMBERS, add_body()),
            get(
                TEAM,
                team(json!([{"user": {"id": UID, "username": "Jo@x.com"}, "role": "admin"}])),
            ),
        ],
        policy(),
    );
    client
        .teams()
        .add_member("sre", "jo@x.com", TeamRole::Admin)
        .await
        .unwrap();
    script.assert_done();
    assert_eq!(client.request_stats().recovered, 1);
}

#[tokio::test]
async fn a_lost_contact_create_is_found_by_method_and_address() {
    let body = Some(json!({"method": "sms", "to": "1-5555550100"}));
    let contacts = "/v2/users/jo@x.com/contacts";
    let (client, script) = Script::client_with(
        vec![
            step(
                "POST",
                contacts,
                body.clone(),
                503,
                error("Service Unavailable"),
            ),
            get(contacts, data(json!([]))),
            reset("POST", contacts, body),
            get(
                contacts,
                data(json!([
                    {"id": "c-1", "method": "email", "to": "jo@x.com"},
                    {"id": "c-2", "method": "sms", "to": "1-5555550100"}
                ])),
            ),
        ],
        policy(),
    );
    let c = client
        .contacts("jo@x.com")
        .create(ContactCreate::new(ContactMethod::Sms, "1-5555550100"))
        .await
        .unwrap();
    script.assert_done();
    assert_eq!(c.id.as_str(), "c-2");
    let s = client.request_stats();
    assert_eq!((s.resends, s.recovered), (1, 1), "{s:?}");
}
