//! Issue 11 on the simulator: every update call round-trips through
//! `opsgenie-users-sim`, whose writes follow the spec strictly (a PUT
//! replaces the whole resource, a PATCH replaces each top-level field it
//! names, unmodelled fields are stored and answered back). Each property
//! creates a random complete resource (unknown fields included) with a raw
//! request, makes one change through the SDK, reads the resource back raw
//! and checks that the change, and nothing else, happened on the server.

use std::collections::{BTreeMap, BTreeSet};

use opsgenie_users::models::user::{UserAddress, UserUpdate};
use opsgenie_users::{ApiRequest, Client, Domain, RetryPolicy, UserRef};
use opsgenie_users_sim::Server;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Cases per property (each starts its own simulator).
const CASES: u32 = 128;

fn run<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn plain(server: &Server) -> Client {
    server
        .client_builder()
        .retry_policy(RetryPolicy::none())
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

const RIGHTS: [&str; 8] = [
    "logs-page-access",
    "alert-delete",
    "reports-access",
    "maintenance-edit",
    "heartbeat-edit",
    "schedule-edit",
    "user-edit",
    "x-future-right",
];

fn right() -> impl Strategy<Value = String> {
    proptest::sample::select(&RIGHTS[..]).prop_map(str::to_string)
}

/// Fields no model knows: a number, a string, an object.
fn unknown() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    proptest::collection::btree_map(
        "x[A-Z][a-z]{1,6}",
        prop_oneof![
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z]{0,6}".prop_map(|s| json!(s)),
            any::<bool>().prop_map(|b| json!({"nested": {"flag": b}})),
        ],
        0..3,
    )
    .prop_map(|m| m.into_iter().collect())
}

fn with(mut o: Value, extra: serde_json::Map<String, Value>) -> Value {
    for (k, v) in extra {
        o[k] = v;
    }
    o
}

fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

// ------------------------------------------------- custom user role (PUT)

fn custom_role() -> impl Strategy<Value = Value> {
    (
        "Role[A-Z][a-z]{2,6}",
        proptest::option::of(proptest::sample::select(
            &["user", "observer", "stakeholder"][..],
        )),
        proptest::collection::vec(0u8..3, RIGHTS.len()),
        unknown(),
    )
        .prop_map(|(name, ext, placement, extra)| {
            let pick = |k| {
                RIGHTS
                    .iter()
                    .zip(&placement)
                    .filter(|(_, p)| **p == k)
                    .map(|(r, _)| *r)
                    .collect::<Vec<_>>()
            };
            let mut o =
                json!({"name": name, "grantedRights": pick(1), "disallowedRights": pick(2)});
            if let Some(e) = ext {
                o["extendedRole"] = json!(e);
            }
            with(o, extra)
        })
}

#[derive(Debug, Clone)]
enum RoleChange {
    Name(String),
    Extended(&'static str),
    Grant(String),
    Revoke(String),
    Disallow(String),
    Allow(String),
}

fn role_change() -> impl Strategy<Value = RoleChange> {
    prop_oneof![
        "Renamed[A-Z][a-z]{2,6}".prop_map(RoleChange::Name),
        proptest::sample::select(&["user", "observer", "stakeholder"][..])
            .prop_map(RoleChange::Extended),
        right().prop_map(RoleChange::Grant),
        right().prop_map(RoleChange::Revoke),
        right().prop_map(RoleChange::Disallow),
        right().prop_map(RoleChange::Allow),
    ]
}

/// The role as the change must leave it (rights as sets).
fn expected_role(before: &Value, c: &RoleChange) -> Value {
    let mut after = before.clone();
    let mut granted = set(&before["grantedRights"]);
    let mut disallowed = set(&before["disallowedRights"]);
    match c {
        RoleChange::Name(n) => after["name"] = json!(n),
        RoleChange::Extended(e) => after["extendedRole"] = json!(e),
        RoleChange::Grant(r) => {
            granted.insert(r.clone());
            disallowed.remove(r);
        }
        RoleChange::Revoke(r) => {
            granted.remove(r);
        }
        RoleChange::Disallow(r) => {
            disallowed.insert(r.clone());
            granted.remove(r);
        }
        RoleChange::Allow(r) => {
            disallowed.remove(r);
        }
    }
    after["grantedRights"] = json!(granted);
    after["disallowedRights"] = json!(disallowed);
    after
}

fn normalised_role(v: &Value) -> Value {
    let mut v = v.clone();
    v["grantedRights"] = json!(set(&v["grantedRights"]));
    v["disallowedRights"] = json!(set(&v["disallowedRights"]));
    v
}

async fn custom_role_case(body: Value, change: RoleChange) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let id = create(&c, "v2/roles", &body).await;
    let path = format!("v2/roles/{id}");
    let before = read(&c, &path, &[("identifierType", "id")]).await;
    let b = c
        .roles()
        .update(opsgenie_users::CustomRoleRef::id(id.as_str()));
    let b = match change.clone() {
        RoleChange::Name(n) => b.name(n),
        RoleChange::Extended(e) => b.extended_role(e.into()),
        RoleChange::Grant(r) => b.grant(r),
        RoleChange::Revoke(r) => b.revoke(r),
        RoleChange::Disallow(r) => b.disallow(r),
        RoleChange::Allow(r) => b.allow(r),
    };
    b.await.unwrap();
    let after = read(&c, &path, &[("identifierType", "id")]).await;
    server.shutdown().await;
    (
        normalised_role(&after),
        normalised_role(&expected_role(&before, &change)),
    )
}

// ------------------------------------------------- team role (PATCH, rights whole)

fn team_role() -> impl Strategy<Value = Value> {
    (
        "Lead[A-Z][a-z]{2,6}",
        proptest::collection::vec(0u8..3, RIGHTS.len()),
        unknown(),
    )
        .prop_map(|(name, placement, extra)| {
            let rights: Vec<_> = RIGHTS
                .iter()
                .zip(&placement)
                .filter(|(_, p)| **p != 0)
                .map(|(r, p)| json!({"right": r, "granted": *p == 1}))
                .collect();
            with(json!({"name": name, "rights": rights}), extra)
        })
}

#[derive(Debug, Clone)]
enum TeamRoleChange {
    Name(String),
    Grant(String),
    Deny(String),
    Remove(String),
}

fn team_role_change() -> impl Strategy<Value = TeamRoleChange> {
    prop_oneof![
        "Renamed[A-Z][a-z]{2,6}".prop_map(TeamRoleChange::Name),
        right().prop_map(TeamRoleChange::Grant),
        right().prop_map(TeamRoleChange::Deny),
        right().prop_map(TeamRoleChange::Remove),
    ]
}

fn rights_map(v: &Value) -> BTreeMap<String, bool> {
    v["rights"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["right"].as_str().unwrap_or_default().to_string(),
                        r["granted"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Answers (after, expected), each as (rights, every other field).
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
    let b = c
        .teams()
        .roles(opsgenie_users::TeamRef::name("sre"))
        .update(opsgenie_users::TeamRoleRef::id(id.as_str()));
    let mut expected = before.clone();
    let mut rights = rights_map(&before);
    let b = match change {
        TeamRoleChange::Name(n) => {
            expected["name"] = json!(n);
            b.name(n)
        }
        TeamRoleChange::Grant(r) => {
            rights.insert(r.clone(), true);
            b.grant(r)
        }
        TeamRoleChange::Deny(r) => {
            rights.insert(r.clone(), false);
            b.deny(r)
        }
        TeamRoleChange::Remove(r) => {
            rights.remove(&r);
            b.remove(r)
        }
    };
    b.await.unwrap();
    let mut after = read(&c, &path, &q).await;
    server.shutdown().await;
    let after_rights = rights_map(&after);
    after.as_object_mut().unwrap().remove("rights");
    expected.as_object_mut().unwrap().remove("rights");
    (
        json!({"rights": after_rights, "rest": after}),
        json!({"rights": rights, "rest": expected}),
    )
}

// ------------------------------------------------- user (PATCH, address merged)

const ADDRESS_KEYS: [&str; 5] = ["country", "state", "city", "line", "zipCode"];

fn user() -> impl Strategy<Value = Value> {
    (
        "[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}",
        proptest::sample::select(&["Europe/Berlin", "US/Arizona", "Asia/Tokyo"][..]),
        proptest::sample::select(&["en_US", "en_GB", "de_DE"][..]),
        proptest::collection::vec("[a-z]{3,6}", 5),
        proptest::collection::vec("[a-z]{2,6}", 0..3),
        unknown(),
    )
        .prop_map(|(full_name, tz, locale, addr, tags, extra)| {
            let o = json!({
                "username": "jo@example.com", "fullName": full_name,
                "role": {"name": "User"}, "timeZone": tz, "locale": locale,
                "skypeUsername": "jo.sk", "tags": tags, "details": {"team": ["a"]},
                "userAddress": {"country": addr[0], "state": addr[1], "city": addr[2],
                                "line": addr[3], "zipCode": addr[4]}
            });
            with(o, extra)
        })
}

#[derive(Debug, Clone)]
enum UserChange {
    FullName(String),
    Locale(&'static str),
    TimeZone(&'static str),
    Tags(Vec<String>),
    /// One address part (0 country .. 4 zipCode) set alone.
    AddressPart(usize, String),
}

fn user_change() -> impl Strategy<Value = UserChange> {
    prop_oneof![
        "[A-Z][a-z]{2,8}".prop_map(UserChange::FullName),
        proptest::sample::select(&["en_US", "fr_FR"][..]).prop_map(UserChange::Locale),
        proptest::sample::select(&["Europe/Paris", "Asia/Tokyo"][..])
            .prop_map(UserChange::TimeZone),
        proptest::collection::vec("[a-z]{2,6}", 0..3).prop_map(UserChange::Tags),
        (0usize..5, "[A-Z][a-z]{2,8}").prop_map(|(i, v)| UserChange::AddressPart(i, v)),
    ]
}

async fn user_case(body: Value, change: UserChange) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let id = create(&c, "v2/users", &body).await;
    let path = format!("v2/users/{id}");
    let before = read(&c, &path, &[]).await;
    let mut expected = before.clone();
    let update = match change {
        UserChange::FullName(n) => {
            expected["fullName"] = json!(n);
            UserUpdate::new().full_name(n)
        }
        UserChange::Locale(l) => {
            expected["locale"] = json!(l);
            UserUpdate::new().locale(l)
        }
        UserChange::TimeZone(t) => {
            expected["timeZone"] = json!(t);
            UserUpdate::new().time_zone(t)
        }
        UserChange::Tags(t) => {
            expected["tags"] = json!(t);
            UserUpdate::new().tags(t)
        }
        UserChange::AddressPart(i, v) => {
            expected["userAddress"][ADDRESS_KEYS[i]] = json!(v);
            let mut a = UserAddress::default();
            *[
                &mut a.country,
                &mut a.state,
                &mut a.city,
                &mut a.line,
                &mut a.zip_code,
            ][i] = Some(v);
            UserUpdate::new().user_address(a)
        }
    };
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
    fn sim_custom_role_update_changes_only_what_it_names(body in custom_role(), change in role_change()) {
        let (after, expected) = run(custom_role_case(body, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_team_role_update_changes_only_what_it_names(body in team_role(), change in team_role_change()) {
        let (after, expected) = run(team_role_case(body, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_user_update_changes_only_what_it_names(body in user(), change in user_change()) {
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
