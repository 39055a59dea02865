//! Issue 11 on the simulator: every update call round-trips through
//! `opsgenie-users-sim`, whose writes follow the spec strictly (a PUT
//! replaces the whole resource, a PATCH replaces each top-level field it
//! names, unmodelled fields are stored and answered back). Each property
//! creates a random complete resource (unknown fields included) with a raw
//! request, makes one change through the SDK, reads the resource back raw
//! and checks that the change, and nothing else, happened on the server.
//!
//! Covered: custom role, team role, user, escalation handover (128 cases
//! each); team, contact (update / enable / disable), rotation participants,
//! escalation rules, forwarding rule, SCIM user replace / patch / upsert,
//! SCIM group patch (64 each). SCIM group replace (`PUT /Groups`, not served
//! by the simulator) has its property in `tests/writes.rs`.

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

/// An escalation with each rule as [`effective_rule`] reads it.
fn effective_rules(v: &Value) -> Value {
    let mut v = v.clone();
    v["rules"] = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(effective_rule)
        .collect();
    v
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
    (effective_rules(&after), effective_rules(&expected))
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

// ------------------------------------------------- the other update calls

/// Cases per property of the calls below (each starts its own simulator).
const MORE_CASES: u32 = 64;

/// Users `u0@example.com` .. `u3@example.com`.
const PEOPLE: [&str; 4] = [
    "u0@example.com",
    "u1@example.com",
    "u2@example.com",
    "u3@example.com",
];

async fn create_people(c: &Client) {
    for u in PEOPLE {
        create(c, "v2/users", &json!({"username": u, "fullName": u})).await;
    }
}

/// A user as the simulator renders a recipient or member: `{type, id, username}`.
fn user_recipient(server: &Server, username: &str) -> Value {
    let u = server.user(username).unwrap();
    json!({"type": "user", "id": u.id, "username": u.username})
}

// ---- team (PATCH: name, description, members whole)

/// A team: name, description, members (each of the people at most once,
/// admin or user), unknown fields.
fn team() -> impl Strategy<Value = Value> {
    (
        "team[a-z]{3,6}",
        "[a-z ]{0,12}",
        proptest::collection::vec(0u8..3, PEOPLE.len()),
        unknown(),
    )
        .prop_map(|(name, description, placement, extra)| {
            let members: Vec<Value> = PEOPLE
                .iter()
                .zip(&placement)
                .filter(|(_, p)| **p != 0)
                .map(|(u, p)| {
                    json!({"user": {"username": u}, "role": if *p == 1 { "admin" } else { "user" }})
                })
                .collect();
            with(
                json!({"name": name, "description": description, "members": members}),
                extra,
            )
        })
}

#[derive(Debug, Clone)]
enum TeamChange {
    Name(String),
    Description(String),
    /// The whole member list: (person, admin).
    Members(Vec<(usize, bool)>),
}

fn team_change() -> impl Strategy<Value = TeamChange> {
    prop_oneof![
        "renamed[a-z]{3,6}".prop_map(TeamChange::Name),
        "[a-z ]{0,12}".prop_map(TeamChange::Description),
        proptest::collection::btree_map(0..PEOPLE.len(), any::<bool>(), 0..=PEOPLE.len())
            .prop_map(|m| TeamChange::Members(m.into_iter().collect())),
    ]
}

async fn team_case(body: Value, change: TeamChange, by_name: bool) -> (Value, Value) {
    use opsgenie_users::models::team::{TeamMember, TeamRole, TeamUpdate};
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    create_people(&c).await;
    let id = create(&c, "v2/teams", &body).await;
    let path = format!("v2/teams/{id}");
    let q = [("identifierType", "id")];
    let before = read(&c, &path, &q).await;
    let mut expected = before.clone();
    let update = match change {
        TeamChange::Name(n) => {
            expected["name"] = json!(n);
            TeamUpdate::new().name(n)
        }
        TeamChange::Description(d) => {
            expected["description"] = json!(d);
            TeamUpdate::new().description(d)
        }
        TeamChange::Members(m) => {
            let role = |admin: bool| if admin { "admin" } else { "user" };
            expected["members"] = m
                .iter()
                .map(|(p, admin)| {
                    let mut u = user_recipient(&server, PEOPLE[*p]);
                    u.as_object_mut().unwrap().remove("type");
                    json!({"user": u, "role": role(*admin)})
                })
                .collect();
            TeamUpdate::new().members(
                m.iter()
                    .map(|(p, admin)| {
                        TeamMember::new(UserRef::username(PEOPLE[*p]), TeamRole::from(role(*admin)))
                    })
                    .collect(),
            )
        }
    };
    let team = if by_name {
        opsgenie_users::TeamRef::name(before["name"].as_str().unwrap())
    } else {
        opsgenie_users::TeamRef::id(id.as_str())
    };
    c.teams().update(team, update).await.unwrap();
    let after = read(&c, &path, &q).await;
    server.shutdown().await;
    (after, expected)
}

// ---- contacts (PATCH `to`, enable, disable)

/// A valid address for `method` (0 sms, 1 voice, 2 email).
fn address() -> impl Strategy<Value = (String, String)> {
    (
        "[1-9][0-9]{0,2}-[0-9]{6,10}",
        "[a-z]{3,8}@example\\.(com|org)",
    )
}

/// 1 to 4 contacts: (method 0 sms / 1 voice / 2 email, phone, e-mail, enabled).
fn contacts() -> impl Strategy<Value = Vec<(usize, (String, String), bool)>> {
    proptest::collection::vec((0usize..3, address(), any::<bool>()), 1..5)
}

#[derive(Debug, Clone)]
enum ContactChange {
    /// A new address (the phone or the e-mail, as the method takes).
    To((String, String)),
    Enable,
    Disable,
}

fn contact_change() -> impl Strategy<Value = ContactChange> {
    prop_oneof![
        address().prop_map(ContactChange::To),
        Just(ContactChange::Enable),
        Just(ContactChange::Disable),
    ]
}

const METHODS: [&str; 3] = ["sms", "voice", "email"];

/// Answers (after, expected): `{"user": the user, "contacts": the list}`.
async fn contact_case(
    user_body: Value,
    list: Vec<(usize, (String, String), bool)>,
    pick: proptest::sample::Index,
    change: ContactChange,
) -> (Value, Value) {
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    let uid = create(&c, "v2/users", &user_body).await;
    let base = format!("v2/users/{uid}/contacts");
    let mut created = Vec::new();
    for (m, (phone, mail), enabled) in &list {
        let to = if *m == 2 { mail } else { phone };
        let body = json!({"method": METHODS[*m], "to": to});
        // The same method and address twice is refused: keep the first.
        let Ok(r) = c.send(cfg(ApiRequest::post, &base).json(&body)).await else {
            continue;
        };
        let id = r.json::<Value>().unwrap()["data"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        if !enabled {
            raw(&c, cfg(ApiRequest::post, &format!("{base}/{id}/disable"))).await;
        }
        created.push((id, *m));
    }
    let state = |c: Client| {
        let (uid, base) = (uid.clone(), base.clone());
        async move {
            json!({"user": read(&c, &format!("v2/users/{uid}"), &[]).await,
                   "contacts": read(&c, &base, &[]).await})
        }
    };
    let before = state(c.clone()).await;
    let (id, m) = pick.get(&created).clone();
    let mut expected = before.clone();
    let entry = expected["contacts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x["id"] == json!(id))
        .unwrap();
    let handler = c.contacts(UserRef::id(uid.as_str()));
    match change {
        ContactChange::To((phone, mail)) => {
            let to = if m == 2 { mail } else { phone };
            entry["to"] = json!(to);
            handler.update(id.as_str(), &to).await.unwrap();
        }
        ContactChange::Enable => {
            entry["status"]["enabled"] = json!(true);
            handler.enable(id.as_str()).await.unwrap();
        }
        ContactChange::Disable => {
            entry["status"]["enabled"] = json!(false);
            handler.disable(id.as_str()).await.unwrap();
        }
    }
    let after = state(c.clone()).await;
    server.shutdown().await;
    (after, expected)
}

// ---- rotation participants (PATCH `participants` only)

const STARTS: [&str; 3] = [
    "2026-01-05T09:00:00Z",
    "2026-02-01T00:00:00Z",
    "2026-03-15T12:30:00Z",
];
const ENDS: [&str; 2] = ["2027-01-01T00:00:00Z", "2027-06-30T18:00:00Z"];

/// A rotation: type, start, maybe an end, length, 1-4 participants (people
/// by username, or the team), maybe a time restriction, unknown fields.
fn rotation() -> impl Strategy<Value = Value> {
    (
        "rot[a-z]{2,5}",
        proptest::sample::select(&["daily", "weekly", "hourly"][..]),
        proptest::sample::select(&STARTS[..]),
        proptest::option::of(proptest::sample::select(&ENDS[..])),
        1u32..4,
        proptest::collection::vec(0..=PEOPLE.len(), 1..5),
        proptest::option::of((0u32..12, 12u32..24)),
        unknown(),
    )
        .prop_map(|(name, kind, start, end, length, who, hours, extra)| {
            let participants: Vec<Value> = who
                .iter()
                .map(|p| match PEOPLE.get(*p) {
                    Some(u) => json!({"type": "user", "username": u}),
                    None => json!({"type": "team", "name": "sre"}),
                })
                .collect();
            let mut r = json!({"name": name, "type": kind, "startDate": start,
                               "length": length, "participants": participants});
            if let Some(e) = end {
                r["endDate"] = json!(e);
            }
            if let Some((from, to)) = hours {
                r["timeRestriction"] = json!({"type": "time-of-day", "restriction":
                    {"startHour": from, "startMin": 0, "endHour": to, "endMin": 30}});
            }
            with(r, extra)
        })
}

/// Answers (after, expected): `{"schedule": .., "rotations": [..]}`.
async fn rotation_case(
    rotations: Vec<Value>,
    pick: proptest::sample::Index,
    who: Vec<usize>,
) -> (Value, Value) {
    use opsgenie_users::models::schedule::Participant;
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    create_people(&c).await;
    create(&c, "v2/teams", &json!({"name": "sre"})).await;
    let sid = create(
        &c,
        "v2/schedules",
        &json!({"name": "day", "timezone": "Europe/Berlin", "rotations": rotations}),
    )
    .await;
    let state = |c: Client| {
        let sid = sid.clone();
        async move {
            json!({"schedule": read(&c, &format!("v2/schedules/{sid}"), &[("identifierType", "id")]).await,
                   "rotations": read(&c, &format!("v2/schedules/{sid}/rotations"), &[]).await})
        }
    };
    let before = state(c.clone()).await;
    let mut expected = before.clone();
    let k = pick.index(rotations.len());
    let rid = before["rotations"][k]["id"].as_str().unwrap().to_string();
    expected["rotations"][k]["participants"] = who
        .iter()
        .map(|p| user_recipient(&server, PEOPLE[*p]))
        .collect();
    // The schedule's own read shows its rotations too.
    if expected["schedule"]["rotations"].is_array() {
        expected["schedule"]["rotations"][k]["participants"] =
            expected["rotations"][k]["participants"].clone();
    }
    let participants = who
        .iter()
        .map(|p| Participant::user_id(server.user(PEOPLE[*p]).unwrap().id))
        .collect();
    c.schedules()
        .rotations(opsgenie_users::ScheduleRef::id(sid.as_str()))
        .set_participants(rid.as_str(), participants)
        .await
        .unwrap();
    let after = state(c.clone()).await;
    server.shutdown().await;
    (after, expected)
}

// ---- escalation rules (PATCH `rules`, the whole list)

#[derive(Debug, Clone)]
enum RuleChange {
    Delay(i64),
    /// 0 = another user, 1 = the team, 2 = the team's schedule.
    Recipient(u8),
    Condition(&'static str),
    NotifyType(&'static str),
    /// The rules written back as read.
    Nothing,
}

fn rule_change() -> impl Strategy<Value = RuleChange> {
    prop_oneof![
        (0i64..120).prop_map(RuleChange::Delay),
        (0u8..3).prop_map(RuleChange::Recipient),
        proptest::sample::select(&["if-not-acked", "if-not-closed"][..])
            .prop_map(RuleChange::Condition),
        proptest::sample::select(&["default", "next", "previous", "users", "admins", "all"][..])
            .prop_map(RuleChange::NotifyType),
        Just(RuleChange::Nothing),
    ]
}

/// Answers (after, expected) with every rule in its effective form.
async fn escalation_rules_case(
    body: Value,
    pick: proptest::sample::Index,
    change: RuleChange,
) -> (Value, Value) {
    use opsgenie_users::EscalationRef;
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    for u in ["leaver", "other", "successor"] {
        let u = json!({"username": format!("{u}@example.com"), "fullName": u});
        create(&c, "v2/users", &u).await;
    }
    create(&c, "v2/teams", &json!({"name": "sre"})).await;
    let id = create(&c, "v2/escalations", &body).await;
    let path = format!("v2/escalations/{id}");
    let q = [("identifierType", "id")];
    let before = read(&c, &path, &q).await;
    let escalations = c.escalations();
    let mut rules = escalations
        .get(EscalationRef::id(id.as_str()))
        .await
        .unwrap()
        .rules;
    let k = pick.index(rules.len());
    let mut expected = before.clone();
    let rule = &mut expected["rules"][k];
    match change {
        RuleChange::Delay(n) => {
            rules[k].delay.time_amount = n;
            rule["delay"]["timeAmount"] = json!(n);
        }
        RuleChange::Recipient(who) => {
            let (sdk, sim) = match who {
                0 => (
                    json!({"type": "user", "username": "successor@example.com"}),
                    user_recipient(&server, "successor@example.com"),
                ),
                1 => {
                    let t = server.team("sre").unwrap();
                    (
                        json!({"type": "team", "name": "sre"}),
                        json!({"type": "team", "id": t.id, "name": t.name}),
                    )
                }
                _ => {
                    let s = server
                        .schedules()
                        .into_iter()
                        .find(|s| s.name == "sre_schedule")
                        .unwrap();
                    (
                        json!({"type": "schedule", "id": s.id}),
                        json!({"type": "schedule", "id": s.id, "name": s.name}),
                    )
                }
            };
            rules[k].recipient = serde_json::from_value(sdk).unwrap();
            rule["recipient"] = sim;
        }
        RuleChange::Condition(x) => {
            rules[k].condition = Some(x.to_string());
            rule["condition"] = json!(x);
        }
        RuleChange::NotifyType(x) => {
            rules[k].notify_type = Some(x.to_string());
            rule["notifyType"] = json!(x);
        }
        RuleChange::Nothing => {}
    }
    escalations
        .set_rules(EscalationRef::id(id.as_str()), rules)
        .await
        .unwrap();
    let after = read(&c, &path, &q).await;
    server.shutdown().await;
    (effective_rules(&after), effective_rules(&expected))
}

// ---- forwarding rule (PUT, the complete rule)

#[derive(Debug, Clone)]
enum ForwardChange {
    /// (person, by id)
    ToUser(usize, bool),
    FromUser(usize, bool),
    Start(&'static str),
    End(&'static str),
}

fn forward_change() -> impl Strategy<Value = ForwardChange> {
    prop_oneof![
        (0..PEOPLE.len(), any::<bool>()).prop_map(|(p, id)| ForwardChange::ToUser(p, id)),
        (0..PEOPLE.len(), any::<bool>()).prop_map(|(p, id)| ForwardChange::FromUser(p, id)),
        proptest::sample::select(&STARTS[..]).prop_map(ForwardChange::Start),
        proptest::sample::select(&ENDS[..]).prop_map(ForwardChange::End),
    ]
}

/// A rule body: from, to (two of the people), start, end, maybe an alias.
fn forwarding() -> impl Strategy<Value = Value> {
    (
        0..PEOPLE.len(),
        1..PEOPLE.len(),
        proptest::sample::select(&STARTS[..]),
        proptest::sample::select(&ENDS[..]),
        proptest::option::of("fw-[a-z]{3,6}"),
    )
        .prop_map(|(from, step, start, end, alias)| {
            let to = (from + step) % PEOPLE.len();
            let mut r = json!({"fromUser": {"username": PEOPLE[from]},
                               "toUser": {"username": PEOPLE[to]},
                               "startDate": start, "endDate": end});
            if let Some(a) = alias {
                r["alias"] = json!(a);
            }
            r
        })
}

async fn forwarding_case(body: Value, change: ForwardChange, by_alias: bool) -> (Value, Value) {
    use opsgenie_users::models::forwarding::{ForwardingRuleUpdate, UserMeta};
    use opsgenie_users::ForwardingRuleRef;
    let server = Server::builder().start().await.unwrap();
    let c = plain(&server);
    create_people(&c).await;
    let id = create(&c, "v2/forwarding-rules", &body).await;
    let path = format!("v2/forwarding-rules/{id}");
    let q = [("identifierType", "id")];
    let before = read(&c, &path, &q).await;
    let rules = c.forwarding_rules();
    let rule = rules.get(ForwardingRuleRef::id(id.as_str())).await.unwrap();
    let mut update = ForwardingRuleUpdate::from_rule(&rule).unwrap();
    let mut expected = before.clone();
    let meta = |p: usize, by_id: bool| {
        let u = server.user(PEOPLE[p]).unwrap();
        let sim = json!({"id": u.id, "username": u.username});
        if by_id {
            (UserMeta::id(u.id.as_str()), sim)
        } else {
            (UserMeta::username(u.username.as_str()), sim)
        }
    };
    match change {
        ForwardChange::ToUser(p, by_id) => {
            let (m, sim) = meta(p, by_id);
            update = update.to_user(m);
            expected["toUser"] = sim;
        }
        ForwardChange::FromUser(p, by_id) => {
            let (m, sim) = meta(p, by_id);
            update.from_user = m;
            expected["fromUser"] = sim;
        }
        ForwardChange::Start(t) => {
            update.start_date = t.parse().unwrap();
            expected["startDate"] = json!(t);
        }
        ForwardChange::End(t) => {
            update = update.end_date(t.parse().unwrap());
            expected["endDate"] = json!(t);
        }
    }
    let target = if by_alias {
        ForwardingRuleRef::alias(before["alias"].as_str().unwrap())
    } else {
        ForwardingRuleRef::id(id.as_str())
    };
    rules.update(target, update).await.unwrap();
    let after = read(&c, &path, &q).await;
    server.shutdown().await;
    (after, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(MORE_CASES))]

    #[test]
    fn sim_team_update_changes_only_what_it_names(body in team(), change in team_change(), by_name in any::<bool>()) {
        let (after, expected) = run(team_case(body, change, by_name));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_contact_update_changes_only_that_contact(
        body in user(json!({})), list in contacts(), pick in any::<proptest::sample::Index>(),
        change in contact_change(),
    ) {
        let (after, expected) = run(contact_case(body, list, pick, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_rotation_participants_change_only_the_participants(
        rotations in proptest::collection::vec(rotation(), 1..3),
        pick in any::<proptest::sample::Index>(),
        who in proptest::collection::vec(0..PEOPLE.len(), 1..5),
    ) {
        let (after, expected) = run(rotation_case(rotations, pick, who));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_escalation_rules_update_changes_only_that_rule(
        body in escalation(), pick in any::<proptest::sample::Index>(), change in rule_change(),
    ) {
        let (after, expected) = run(escalation_rules_case(body, pick, change));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_forwarding_rule_update_changes_only_what_it_names(
        body in forwarding(), change in forward_change(), by_alias in any::<bool>(),
    ) {
        let by_alias = by_alias && body.get("alias").is_some();
        let (after, expected) = run(forwarding_case(body, change, by_alias));
        prop_assert_eq!(after, expected);
    }
}

// ------------------------------------------------- SCIM users (PUT, PATCH, upsert)

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// An extension no model knows.
const ACME: &str = "urn:example:params:scim:schemas:extension:acme:1.0:User";

fn scim_client(server: &Server) -> opsgenie_users::scim::ScimClient {
    opsgenie_users::scim::ScimClient::builder()
        .base_url(server.scim_url())
        .token(server.scim_token())
        .retry_policy(RetryPolicy::none())
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        .build()
        .unwrap()
}

/// POSTs `body` to `/{resource}` as it is (no SDK model in between);
/// answers the new resource's id.
async fn scim_create(
    scim: &opsgenie_users::scim::ScimClient,
    resource: &str,
    body: &Value,
) -> String {
    let req = scim.request(http::Method::POST).path(resource).json(body);
    let created: Value = scim.send(req).await.unwrap().json().unwrap();
    created["id"].as_str().unwrap().to_string()
}

/// The resource as the server has it, without `meta`.
async fn scim_read(scim: &opsgenie_users::scim::ScimClient, resource: &str, id: &str) -> Value {
    let req = scim
        .request(http::Method::GET)
        .path(resource)
        .segment("id", id);
    without_meta(&scim.send(req).await.unwrap().json::<Value>().unwrap())
}

/// A complete SCIM user: core attributes, a name with its `formatted`
/// form, both extensions (the enterprise one and one no model knows),
/// unknown core attributes.
fn scim_user() -> impl Strategy<Value = Value> {
    (
        "[a-z]{3,8}",
        ("[A-Z][a-z]{2,6}", proptest::option::of("[A-Z][a-z]{2,6}"), "[A-Z][a-z]{2,8}"),
        proptest::option::of("[A-Z][a-z ]{2,10}"),
        any::<bool>(),
        "[A-Z][a-z]{2,8}",
        "[a-z]{3,6}",
        unknown(),
    )
        .prop_map(|(login, (given, middle, family), title, active, dept, badge, extra)| {
            let formatted = match &middle {
                Some(m) => format!("{given} {m} {family}"),
                None => format!("{given} {family}"),
            };
            let mut name = json!({"givenName": given, "familyName": family, "formatted": formatted});
            if let Some(m) = middle {
                name["middleName"] = json!(m);
            }
            let mut u = json!({
                "schemas": [opsgenie_users::scim::USER_SCHEMA, ENTERPRISE, ACME],
                "userName": format!("{login}@example.com"), "externalId": format!("ext-{login}"),
                "name": name, "displayName": format!("{given} {family}"), "active": active,
                "emails": [{"value": format!("{login}@example.com"), "type": "work", "primary": true}],
                ENTERPRISE: {"department": dept, "organization": "Example"},
                ACME: {"badge": badge, "floor": 3},
            });
            if let Some(t) = title {
                u["title"] = json!(t);
            }
            with(u, extra)
        })
}

#[derive(Debug, Clone)]
enum ScimChange {
    DisplayName(String),
    Title(String),
    Active(bool),
    GivenName(String),
    FamilyName(String),
    Department(String),
    Badge(String),
    Email(String),
}

fn scim_change() -> impl Strategy<Value = ScimChange> {
    prop_oneof![
        "[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}".prop_map(ScimChange::DisplayName),
        "[A-Z][a-z]{2,10}".prop_map(ScimChange::Title),
        any::<bool>().prop_map(ScimChange::Active),
        "[A-Z][a-z]{2,8}".prop_map(ScimChange::GivenName),
        "[A-Z][a-z]{2,8}".prop_map(ScimChange::FamilyName),
        "[A-Z][a-z]{2,8}".prop_map(ScimChange::Department),
        "[a-z]{3,6}".prop_map(ScimChange::Badge),
        "[a-z]{3,8}@example\\.org".prop_map(ScimChange::Email),
    ]
}

/// `name.formatted` as the SDK recomputes it (RFC 7643 §4.1.1 order).
fn formatted(name: &Value) -> Value {
    let parts: Vec<&str> = [
        "honorificPrefix",
        "givenName",
        "middleName",
        "familyName",
        "honorificSuffix",
    ]
    .iter()
    .filter_map(|k| name[*k].as_str())
    .collect();
    json!(parts.join(" "))
}

/// `before` with the change made; `recompute` also refreshes
/// `name.formatted` after a name part changed (what upsert promises).
fn scim_expected(before: &Value, change: &ScimChange, recompute: bool) -> Value {
    let mut e = before.clone();
    match change {
        ScimChange::DisplayName(v) => e["displayName"] = json!(v),
        ScimChange::Title(v) => e["title"] = json!(v),
        ScimChange::Active(v) => e["active"] = json!(v),
        ScimChange::GivenName(v) | ScimChange::FamilyName(v) => {
            let key = if matches!(change, ScimChange::GivenName(_)) {
                "givenName"
            } else {
                "familyName"
            };
            e["name"][key] = json!(v);
            if recompute {
                e["name"]["formatted"] = formatted(&e["name"]);
            }
        }
        ScimChange::Department(v) => e[ENTERPRISE]["department"] = json!(v),
        ScimChange::Badge(v) => e[ACME]["badge"] = json!(v),
        ScimChange::Email(v) => {
            e["emails"] = json!([{"value": v, "type": "work", "primary": true}])
        }
    }
    e
}

/// A SCIM document without `meta` (its `lastModified` moves with every write).
fn without_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

#[derive(Debug, Clone, Copy)]
enum ScimCall {
    Replace,
    Patch,
    Upsert,
}

/// Answers (after, expected), both without `meta`.
async fn scim_user_case(body: Value, change: ScimChange, call: ScimCall) -> (Value, Value) {
    use opsgenie_users::scim::{EnterpriseUser, MultiValue, Name, PatchOp, ScimUser};
    let server = Server::builder().start().await.unwrap();
    let scim = scim_client(&server);
    let users = scim.users();
    let id = scim_create(&scim, "Users", &body).await;
    let read = || scim_read(&scim, "Users", &id);
    let before = read().await;
    let expected = scim_expected(&before, &change, matches!(call, ScimCall::Upsert));
    match call {
        ScimCall::Replace => {
            let mut u = users.get(id.as_str()).await.unwrap();
            match change.clone() {
                ScimChange::DisplayName(v) => u.display_name = Some(v),
                ScimChange::Title(v) => u.title = Some(v),
                ScimChange::Active(v) => u.active = Some(v),
                ScimChange::GivenName(v) => u.name.as_mut().unwrap().given_name = Some(v),
                ScimChange::FamilyName(v) => u.name.as_mut().unwrap().family_name = Some(v),
                ScimChange::Department(v) => u.enterprise.as_mut().unwrap().department = Some(v),
                ScimChange::Badge(v) => u.extra.get_mut(ACME).unwrap()["badge"] = json!(v),
                ScimChange::Email(v) => u.emails = vec![MultiValue::new(v, "work").primary()],
            }
            users.replace(id.as_str(), u).await.unwrap();
        }
        ScimCall::Patch => {
            let (path, value) = match change.clone() {
                ScimChange::DisplayName(v) => ("displayName".to_string(), json!(v)),
                ScimChange::Title(v) => ("title".into(), json!(v)),
                ScimChange::Active(v) => ("active".into(), json!(v)),
                ScimChange::GivenName(v) => ("name.givenName".into(), json!(v)),
                ScimChange::FamilyName(v) => ("name.familyName".into(), json!(v)),
                ScimChange::Department(v) => (format!("{ENTERPRISE}:department"), json!(v)),
                ScimChange::Badge(v) => (format!("{ACME}:badge"), json!(v)),
                ScimChange::Email(v) => (
                    "emails".into(),
                    json!([{"value": v, "type": "work", "primary": true}]),
                ),
            };
            users
                .patch(id.as_str(), PatchOp::new().replace(path, value))
                .await
                .unwrap();
        }
        ScimCall::Upsert => {
            // What an identity provider knows: the keys, and the one
            // attribute it changes; `active` as the server has it.
            let mut u = ScimUser::new(before["userName"].as_str().unwrap())
                .external_id(before["externalId"].as_str().unwrap());
            u.active = before["active"].as_bool();
            match change.clone() {
                ScimChange::DisplayName(v) => u.display_name = Some(v),
                ScimChange::Title(v) => u.title = Some(v),
                ScimChange::Active(v) => u.active = Some(v),
                ScimChange::GivenName(v) => {
                    u.name = Some(serde_json::from_value::<Name>(json!({"givenName": v})).unwrap())
                }
                ScimChange::FamilyName(v) => {
                    u.name = Some(serde_json::from_value::<Name>(json!({"familyName": v})).unwrap())
                }
                ScimChange::Department(v) => {
                    u.enterprise = Some(
                        serde_json::from_value::<EnterpriseUser>(json!({"department": v})).unwrap(),
                    )
                }
                ScimChange::Badge(v) => {
                    u.extra.insert(ACME.into(), json!({"badge": v}));
                }
                ScimChange::Email(v) => u.emails = vec![MultiValue::new(v, "work").primary()],
            }
            users.upsert(&u).await.unwrap();
        }
    }
    let after = read().await;
    server.shutdown().await;
    (after, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(MORE_CASES))]

    #[test]
    fn sim_scim_user_replace_changes_only_what_it_names(body in scim_user(), change in scim_change()) {
        let (after, expected) = run(scim_user_case(body, change, ScimCall::Replace));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_scim_user_patch_changes_only_what_it_names(body in scim_user(), change in scim_change()) {
        let (after, expected) = run(scim_user_case(body, change, ScimCall::Patch));
        prop_assert_eq!(after, expected);
    }

    #[test]
    fn sim_scim_user_upsert_changes_only_what_it_names(body in scim_user(), change in scim_change()) {
        let (after, expected) = run(scim_user_case(body, change, ScimCall::Upsert));
        prop_assert_eq!(after, expected);
    }
}

// ------------------------------------------------- SCIM groups (PATCH)

/// A group: display name, maybe an external id, some of four users as
/// members (by index), unknown attributes.
fn scim_group() -> impl Strategy<Value = (Value, Vec<usize>)> {
    (
        "grp-[a-z]{3,6}",
        proptest::option::of("ext-[a-z]{3,6}"),
        proptest::collection::btree_set(0usize..4, 0..=4),
        unknown(),
    )
        .prop_map(|(name, ext, members, extra)| {
            let mut g =
                json!({"schemas": [opsgenie_users::scim::GROUP_SCHEMA], "displayName": name});
            if let Some(e) = ext {
                g["externalId"] = json!(e);
            }
            (with(g, extra), members.into_iter().collect())
        })
}

#[derive(Debug, Clone)]
enum GroupChange {
    Add(Vec<usize>),
    Remove(Vec<usize>),
    DisplayName(String),
    ExternalId(String),
}

fn group_change() -> impl Strategy<Value = GroupChange> {
    let some =
        || proptest::collection::btree_set(0usize..4, 1..=4).prop_map(|s| s.into_iter().collect());
    prop_oneof![
        some().prop_map(GroupChange::Add),
        some().prop_map(GroupChange::Remove),
        "renamed-[a-z]{3,6}".prop_map(GroupChange::DisplayName),
        "ext-[a-z]{3,6}".prop_map(GroupChange::ExternalId),
    ]
}

/// Answers (after, expected), both without `meta`.
async fn scim_group_case(
    (mut body, members): (Value, Vec<usize>),
    change: GroupChange,
) -> (Value, Value) {
    use opsgenie_users::scim::PatchOp;
    let server = Server::builder().start().await.unwrap();
    let scim = scim_client(&server);
    let mut ids = Vec::new();
    for n in 0..4 {
        let u = json!({"schemas": [opsgenie_users::scim::USER_SCHEMA],
                       "userName": format!("m{n}@example.com")});
        ids.push(scim_create(&scim, "Users", &u).await);
    }
    body["members"] = members.iter().map(|m| json!({"value": ids[*m]})).collect();
    let gid = scim_create(&scim, "Groups", &body).await;
    let read = || scim_read(&scim, "Groups", &gid);
    let before = read().await;
    let mut expected = before.clone();
    let groups = scim.groups();
    match change {
        GroupChange::Add(add) => {
            let list = expected["members"].as_array_mut().unwrap();
            for m in &add {
                if !list.iter().any(|x| x["value"] == json!(ids[*m])) {
                    list.push(json!({"value": ids[*m]}));
                }
            }
            let add: Vec<&str> = add.iter().map(|m| ids[*m].as_str()).collect();
            groups.add_members(gid.as_str(), add).await.unwrap();
        }
        GroupChange::Remove(remove) => {
            let gone: Vec<Value> = remove.iter().map(|m| json!(ids[*m])).collect();
            expected["members"]
                .as_array_mut()
                .unwrap()
                .retain(|x| !gone.contains(&x["value"]));
            let remove: Vec<&str> = remove.iter().map(|m| ids[*m].as_str()).collect();
            groups.remove_members(gid.as_str(), remove).await.unwrap();
        }
        GroupChange::DisplayName(v) => {
            expected["displayName"] = json!(v);
            groups
                .patch(gid.as_str(), PatchOp::new().replace("displayName", v))
                .await
                .unwrap();
        }
        GroupChange::ExternalId(v) => {
            expected["externalId"] = json!(v);
            groups
                .patch(gid.as_str(), PatchOp::new().replace("externalId", v))
                .await
                .unwrap();
        }
    }
    let after = read().await;
    server.shutdown().await;
    (after, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(MORE_CASES))]

    #[test]
    fn sim_scim_group_patch_changes_only_what_it_names(group in scim_group(), change in group_change()) {
        let (after, expected) = run(scim_group_case(group, change));
        prop_assert_eq!(after, expected);
    }
}
