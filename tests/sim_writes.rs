//! Issue 11 on the simulator: every update call round-trips through
//! `opsgenie-users-sim`, whose writes follow the spec strictly (a PUT
//! replaces the whole resource, a PATCH replaces each top-level field it
//! names, unmodelled fields are stored and answered back). Each property
//! creates a random complete resource (unknown fields included) with a raw
//! request, makes one change through the SDK, reads the resource back raw
//! and checks that the change, and nothing else, happened on the server.

#[path = "support/update_model.rs"]
mod update_model;

use opsgenie_users::{ApiRequest, Client, Domain, RetryPolicy, UserRef};
use opsgenie_users_sim::Server;
use proptest::prelude::*;
use serde_json::{json, Value};
use update_model::*;

/// Cases per property (each starts its own simulator).
const CASES: u32 = 128;

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A client without retries and without client-side rate limiting: the
/// simulator enforces no limit unless told to, and these tests are about
/// what a write leaves on the server, not about pacing (which would make
/// each case wait for its slots).
fn plain(server: &Server) -> Client {
    server
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        .discover_rate_limits(false)
        .build()
        .unwrap()
}

fn cfg(req: fn(Domain) -> ApiRequest, path: &str) -> ApiRequest {
    req(Domain::Configuration).path(path)
}

/// Sends a raw request; panics on an error answer (setup and read-back only).
async fn raw(c: &Client, req: ApiRequest) -> Value {
    c.send(req).await.unwrap().json().unwrap()
}

/// Creates with a raw POST and answers `data.id`.
async fn create(c: &Client, path: &str, body: &Value) -> String {
    let v = raw(c, cfg(ApiRequest::post, path).json(body)).await;
    v["data"]["id"].as_str().unwrap().to_string()
}

/// Reads `data` with a raw GET.
async fn read(c: &Client, path: &str, query: &[(&str, &str)]) -> Value {
    let mut req = cfg(ApiRequest::get, path);
    for (k, v) in query {
        req = req.query(k, v);
    }
    raw(c, req).await["data"].clone()
}

async fn custom_role_case(body: Value, change: RoleChange) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let id = create(&c, "v2/roles", &body).await;
    let path = format!("v2/roles/{id}");
    let before = read(&c, &path, &[("identifierType", "id")]).await;
    let update = c
        .roles()
        .update(opsgenie_users::CustomRoleRef::id(id.as_str()));
    apply_role(update, &change).await.unwrap();
    let after = read(&c, &path, &[("identifierType", "id")]).await;
    server.shutdown().await;
    (
        normalised_role(&after),
        normalised_role(&expected_role(&before, &change)),
    )
}

/// Answers (after, expected), each split by `split_team_role`.
async fn team_role_case(body: Value, change: TeamRoleChange) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    create(&c, "v2/teams", &json!({"name": "sre"})).await;
    let q = [("teamIdentifierType", "name"), ("identifierType", "id")];
    let id = {
        let req = cfg(ApiRequest::post, "v2/teams/sre/roles")
            .query("teamIdentifierType", "name")
            .json(&body);
        raw(&c, req).await["data"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let path = format!("v2/teams/sre/roles/{id}");
    let before = read(&c, &path, &q).await;
    let update = c
        .teams()
        .roles(opsgenie_users::TeamRef::name("sre"))
        .update(opsgenie_users::TeamRoleRef::id(id.as_str()));
    apply_team_role(update, &change).await.unwrap();
    let after = read(&c, &path, &q).await;
    server.shutdown().await;
    (
        split_team_role(&after),
        expected_team_role(&before, &change),
    )
}

async fn user_case(body: Value, change: UserChange) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let id = create(&c, "v2/users", &body).await;
    let path = format!("v2/users/{id}");
    let before = read(&c, &path, &[]).await;
    let (update, expected) = user_update(&before, &change);
    c.users()
        .update(UserRef::id(id.as_str()), update)
        .await
        .unwrap();
    let after = read(&c, &path, &[]).await;
    server.shutdown().await;
    (after, expected)
}

// ------------------------------------------------- escalation handover (offboarding)

/// One rule: `condition`, `notifyType` and `timeUnit` each written or left
/// out (the spec's default), the recipient 0 = the leaver, 1 = another
/// user, 2 = a team, 3 = a schedule; unknown fields.
fn rule() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(proptest::sample::select(
            &["if-not-acked", "if-not-closed"][..],
        )),
        proptest::option::of(proptest::sample::select(
            &["default", "next", "previous", "users", "admins", "all"][..],
        )),
        0i64..120,
        proptest::option::of(proptest::sample::select(&["minutes", "hours", "days"][..])),
        0u8..4,
        unknown(),
    )
        .prop_map(|(cond, notify, amount, unit, who, extra)| {
            let recipient = match who {
                0 => json!({"type": "user", "username": "leaver@example.com"}),
                1 => json!({"type": "user", "username": "other@example.com"}),
                2 => json!({"type": "team", "name": "sre"}),
                _ => json!({"type": "schedule", "name": "sre_schedule"}),
            };
            let mut r = json!({"delay": {"timeAmount": amount}, "recipient": recipient});
            if let Some(c) = cond {
                r["condition"] = json!(c);
            }
            if let Some(n) = notify {
                r["notifyType"] = json!(n);
            }
            if let Some(u) = unit {
                r["delay"]["timeUnit"] = json!(u);
            }
            with(r, extra)
        })
}

fn escalation() -> impl Strategy<Value = Value> {
    (
        proptest::collection::vec(rule(), 1..5),
        proptest::option::of((1i64..30, 1i64..5)),
        unknown(),
    )
        .prop_map(|(mut rules, repeat, extra)| {
            // At least one rule names the leaver.
            rules[0]["recipient"] = json!({"type": "user", "username": "leaver@example.com"});
            let mut e = json!({"name": "handover", "description": "d", "rules": rules});
            if let Some((wait, count)) = repeat {
                e["repeat"] = json!({"waitInterval": wait, "count": count});
            }
            with(e, extra)
        })
}

/// A rule with the spec's defaults filled in, as the server reads it.
fn effective_rule(r: &Value) -> Value {
    let mut r = r.clone();
    for (k, d) in [("condition", "if-not-acked"), ("notifyType", "default")] {
        if r.get(k).is_none() {
            r[k] = json!(d);
        }
    }
    if r["delay"].get("timeUnit").is_none() {
        r["delay"]["timeUnit"] = json!("minutes");
    }
    r
}

/// Answers (after, expected) with every rule in its effective form.
async fn handover_case(body: Value) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    for u in ["leaver", "other", "successor"] {
        let u = json!({"username": format!("{u}@example.com"), "fullName": u});
        create(&c, "v2/users", &u).await;
    }
    create(&c, "v2/teams", &json!({"name": "sre"})).await;
    let id = create(&c, "v2/escalations", &body).await;
    let path = format!("v2/escalations/{id}");
    let before = read(&c, &path, &[("identifierType", "id")]).await;
    let successor = server.user("successor@example.com").unwrap();
    let leaver = server.user("leaver@example.com").unwrap();
    let plan = c
        .offboarding()
        .plan("leaver@example.com")
        .await
        .expect("plan");
    c.offboarding()
        .execute(&plan)
        .successor("successor@example.com")
        .delete(false)
        .await
        .expect("handover");
    let after = read(&c, &path, &[("identifierType", "id")]).await;
    server.shutdown().await;
    let mut expected = before.clone();
    for r in expected["rules"].as_array_mut().unwrap() {
        if r["recipient"]["id"] == json!(leaver.id) {
            r["recipient"] =
                json!({"type": "user", "id": successor.id, "username": successor.username});
        }
    }
    let effective = |v: &Value| {
        let mut v = v.clone();
        v["rules"] = v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(effective_rule)
            .collect();
        v
    };
    (effective(&after), effective(&expected))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sim_custom_role_update_changes_only_what_it_names(body in custom_role(json!({})), change in role_change()) {
        let (after, expected) = run(custom_role_case(body, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_team_role_update_changes_only_what_it_names(body in team_role(json!({})), change in team_role_change()) {
        let (after, expected) = run(team_role_case(body, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_user_update_changes_only_what_it_names(body in user(json!({})), change in user_change()) {
        let (after, expected) = run(user_case(body, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_escalation_handover_changes_only_the_recipient(body in escalation()) {
        let (after, expected) = run(handover_case(body));
        prop_assert_eq!(after, expected);
    }
}

// ------------------------------------------------- the simulator's strictness itself

#[tokio::test]
async fn a_role_put_without_the_rights_empties_them() {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let id = create(
        &c,
        "v2/roles",
        &json!({"name": "Auditor", "extendedRole": "observer", "grantedRights": ["a"],
                "disallowedRights": ["b"], "xNew": 1}),
    )
    .await;
    let put = cfg(ApiRequest::put, &format!("v2/roles/{id}"))
        .query("identifierType", "id")
        .json(&json!({"disallowedRights": ["c"]}));
    raw(&c, put).await;
    let after = read(&c, &format!("v2/roles/{id}"), &[("identifierType", "id")]).await;
    assert_eq!(
        after,
        json!({"id": id, "name": "Auditor", "extendedRole": "user", "grantedRights": [],
               "disallowedRights": ["c"]})
    );
}

#[tokio::test]
async fn an_escalation_rule_with_an_empty_condition_is_refused() {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let rule = json!({"condition": "", "notifyType": "default", "delay": {"timeAmount": 0},
                      "recipient": {"type": "user", "username": "owner@example.com"}});
    let err = c
        .send(cfg(ApiRequest::post, "v2/escalations").json(&json!({"name": "e", "rules": [rule]})))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err}");
    assert!(err.to_string().contains("condition"), "{err}");
}

#[tokio::test]
async fn a_rotation_keeps_its_time_restriction_until_a_patch_names_it() {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let restriction = json!({"type": "time-of-day",
                             "restriction": {"startHour": 9, "startMin": 0, "endHour": 17, "endMin": 0}});
    let s = raw(
        &c,
        cfg(ApiRequest::post, "v2/schedules").json(&json!({"name": "day", "rotations": [{
            "name": "r", "type": "weekly", "startDate": "2026-01-05T09:00:00Z",
            "participants": [{"type": "user", "username": "owner@example.com"}],
            "timeRestriction": restriction
        }]})),
    )
    .await;
    let sid = s["data"]["id"].as_str().unwrap().to_string();
    let rotations = format!("v2/schedules/{sid}/rotations");
    let rot = read(&c, &rotations, &[]).await[0].clone();
    assert_eq!(rot["timeRestriction"], restriction);
    let rid = rot["id"].as_str().unwrap();
    let patch =
        cfg(ApiRequest::patch, &format!("{rotations}/{rid}")).json(&json!({"name": "day shift"}));
    raw(&c, patch).await;
    let rot = read(&c, &format!("{rotations}/{rid}"), &[]).await;
    assert_eq!(rot["name"], "day shift");
    assert_eq!(rot["timeRestriction"], restriction);
    let other = json!({"type": "weekday-and-time-of-day", "restrictions": []});
    let patch = cfg(ApiRequest::patch, &format!("{rotations}/{rid}"))
        .json(&json!({"timeRestriction": other}));
    raw(&c, patch).await;
    let rot = read(&c, &format!("{rotations}/{rid}"), &[]).await;
    assert_eq!(rot["timeRestriction"], other);
}

#[tokio::test]
async fn forwarding_rule_update_through_the_sdk_is_a_full_put() {
    use opsgenie_users::models::forwarding::{ForwardingRuleUpdate, UserMeta};
    use opsgenie_users::ForwardingRuleRef;
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    for u in ["a", "b", "d"] {
        let u = json!({"username": format!("{u}@example.com"), "fullName": u});
        create(&c, "v2/users", &u).await;
    }
    let id = server
        .add_forwarding_rule("a@example.com", "b@example.com")
        .unwrap();
    let rules = c.forwarding_rules();
    let rule = rules.get(ForwardingRuleRef::id(id.as_str())).await.unwrap();
    let d = server.user("d@example.com").unwrap();
    let update = ForwardingRuleUpdate::from_rule(&rule)
        .unwrap()
        .to_user(UserMeta::id(d.id.as_str()));
    rules
        .update(ForwardingRuleRef::id(id.as_str()), update)
        .await
        .unwrap();
    let stored = server.forwarding_rules();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].to_user, d.id);
    assert_eq!(stored[0].alias, "forward-a@example.com");
    // The spec requires endDate on the PUT: a body without it is refused.
    let put = cfg(ApiRequest::put, &format!("v2/forwarding-rules/{id}")).json(&json!({
        "fromUser": {"username": "a@example.com"}, "toUser": {"username": "b@example.com"},
        "startDate": "2026-01-01T00:00:00Z"
    }));
    let err = c.send(put).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{err}");
    assert_eq!(server.forwarding_rules()[0].to_user, d.id);
}

#[tokio::test]
async fn the_plan_lists_an_override_naming_the_user_as_a_warning() {
    let server = Server::builder()
        .seed(opsgenie_users_sim::Seed::new().users(6).schedules(1))
        .start()
        .await
        .unwrap();
    let c = plain(&server);
    server
        .add_override("schedule-01", "user0001@example.com", "cover-week")
        .unwrap();
    let listed = read(
        &c,
        &format!("v2/schedules/{}/overrides", server.schedules()[0].id),
        &[],
    )
    .await;
    assert_eq!(listed[0]["alias"], "cover-week");
    assert_eq!(listed[0]["user"]["username"], "user0001@example.com");
    let plan = c.offboarding().plan("user0001@example.com").await.unwrap();
    assert_eq!(plan.overrides.len(), 1, "{:?}", plan.overrides);
    assert_eq!(plan.overrides[0].alias.as_deref(), Some("cover-week"));
    let warnings = plan.warnings();
    assert!(
        warnings.iter().any(|w| w.contains("cover-week")),
        "{warnings:?}"
    );
    // A warning, not a blocker: the rotation blocks, the override does not.
    assert!(plan
        .blockers()
        .iter()
        .all(|b| !b.to_string().contains("cover-week")));
}
