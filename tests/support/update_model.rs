//! An independent model of the update calls, shared by the property tests
//! that run them against a recording store (`tests/writes.rs`) and against
//! the simulator (`tests/sim_writes.rs`): random complete resources with
//! fields no model knows, one random change each, the SDK builder call that
//! makes it, and what the resource must look like afterwards.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use opsgenie_users::api::roles::UpdateRole;
use opsgenie_users::api::teams::UpdateTeamRole;
use opsgenie_users::models::user::{UserAddress, UserUpdate};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Rights the generated roles use; the last is one no model knows.
pub const RIGHTS: [&str; 8] = [
    "logs-page-access",
    "alert-delete",
    "reports-access",
    "maintenance-edit",
    "heartbeat-edit",
    "schedule-edit",
    "user-edit",
    "x-future-right",
];

/// The keys of `userAddress`, in the order [`UserChange::AddressPart`] numbers them.
pub const ADDRESS_KEYS: [&str; 5] = ["country", "state", "city", "line", "zipCode"];

pub fn right() -> impl Strategy<Value = String> {
    proptest::sample::select(&RIGHTS[..]).prop_map(str::to_string)
}

/// Fields no model knows: a number, a string, an object.
pub fn unknown() -> impl Strategy<Value = Map<String, Value>> {
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

/// `o` with the fields of `extra` added.
pub fn with(mut o: Value, extra: Map<String, Value>) -> Value {
    for (k, v) in extra {
        o[k] = v;
    }
    o
}

/// The strings of a JSON array as a set (empty for anything else).
pub fn set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The rights placed by `placement` (0 none, 1 granted, 2 disallowed / denied).
fn placed(placement: &[u8], kind: u8) -> Vec<&'static str> {
    RIGHTS
        .iter()
        .zip(placement)
        .filter(|(_, p)| **p == kind)
        .map(|(r, _)| *r)
        .collect()
}

// ------------------------------------------------- custom user role (PUT)

/// A complete custom role (granted and disallowed are disjoint sets) with
/// unknown fields; `fixed` fields (e.g. an `id`) are added as they are.
pub fn custom_role(fixed: Value) -> impl Strategy<Value = Value> {
    (
        "Role[A-Z][a-z]{2,6}",
        proptest::option::of(proptest::sample::select(
            &["user", "observer", "stakeholder"][..],
        )),
        proptest::collection::vec(0u8..3, RIGHTS.len()),
        unknown(),
    )
        .prop_map(move |(name, ext, placement, extra)| {
            let mut o = json!({
                "name": name,
                "grantedRights": placed(&placement, 1),
                "disallowedRights": placed(&placement, 2),
            });
            if let Some(e) = ext {
                o["extendedRole"] = json!(e);
            }
            with(
                with(o, extra),
                fixed.as_object().cloned().unwrap_or_default(),
            )
        })
}

#[derive(Debug, Clone)]
pub enum RoleChange {
    Name(String),
    Extended(&'static str),
    Grant(String),
    Revoke(String),
    Disallow(String),
    Allow(String),
}

pub fn role_change() -> impl Strategy<Value = RoleChange> {
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

/// The SDK call that makes the change.
pub fn apply_role(b: UpdateRole, c: &RoleChange) -> UpdateRole {
    match c.clone() {
        RoleChange::Name(n) => b.name(n),
        RoleChange::Extended(e) => b.extended_role(e.into()),
        RoleChange::Grant(r) => b.grant(r),
        RoleChange::Revoke(r) => b.revoke(r),
        RoleChange::Disallow(r) => b.disallow(r),
        RoleChange::Allow(r) => b.allow(r),
    }
}

/// The role as the change must leave it (rights as sets).
pub fn expected_role(before: &Value, c: &RoleChange) -> Value {
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

/// A role with its rights lists as sorted sets (their order is not meaningful).
pub fn normalised_role(v: &Value) -> Value {
    let mut v = v.clone();
    v["grantedRights"] = json!(set(&v["grantedRights"]));
    v["disallowedRights"] = json!(set(&v["disallowedRights"]));
    v
}

// ------------------------------------------------- team role (PATCH, rights whole)

/// A team role (distinct rights, each granted or denied) with unknown
/// fields; `fixed` fields are added as they are.
pub fn team_role(fixed: Value) -> impl Strategy<Value = Value> {
    (
        "Lead[A-Z][a-z]{2,6}",
        proptest::collection::vec(0u8..3, RIGHTS.len()),
        unknown(),
    )
        .prop_map(move |(name, placement, extra)| {
            let rights: Vec<_> = RIGHTS
                .iter()
                .zip(&placement)
                .filter(|(_, p)| **p != 0)
                .map(|(r, p)| json!({"right": r, "granted": *p == 1}))
                .collect();
            let o = with(json!({"name": name, "rights": rights}), extra);
            with(o, fixed.as_object().cloned().unwrap_or_default())
        })
}

#[derive(Debug, Clone)]
pub enum TeamRoleChange {
    Name(String),
    Grant(String),
    Deny(String),
    Remove(String),
}

pub fn team_role_change() -> impl Strategy<Value = TeamRoleChange> {
    prop_oneof![
        "Renamed[A-Z][a-z]{2,6}".prop_map(TeamRoleChange::Name),
        right().prop_map(TeamRoleChange::Grant),
        right().prop_map(TeamRoleChange::Deny),
        right().prop_map(TeamRoleChange::Remove),
    ]
}

/// The SDK call that makes the change.
pub fn apply_team_role(b: UpdateTeamRole, c: &TeamRoleChange) -> UpdateTeamRole {
    match c.clone() {
        TeamRoleChange::Name(n) => b.name(n),
        TeamRoleChange::Grant(r) => b.grant(r),
        TeamRoleChange::Deny(r) => b.deny(r),
        TeamRoleChange::Remove(r) => b.remove(r),
    }
}

/// A team role's rights as right -> granted.
pub fn rights_map(v: &Value) -> BTreeMap<String, bool> {
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

/// A team role as `{"rights": {right: granted}, "rest": every other field}`,
/// the form in which [`expected_team_role`] answers.
pub fn split_team_role(v: &Value) -> Value {
    let mut rest = v.clone();
    if let Some(o) = rest.as_object_mut() {
        o.remove("rights");
    }
    json!({"rights": rights_map(v), "rest": rest})
}

/// The team role as the change must leave it, split by [`split_team_role`].
pub fn expected_team_role(before: &Value, c: &TeamRoleChange) -> Value {
    let mut after = before.clone();
    let mut rights = rights_map(before);
    match c {
        TeamRoleChange::Name(n) => after["name"] = json!(n),
        TeamRoleChange::Grant(r) => {
            rights.insert(r.clone(), true);
        }
        TeamRoleChange::Deny(r) => {
            rights.insert(r.clone(), false);
        }
        TeamRoleChange::Remove(r) => {
            rights.remove(r);
        }
    }
    let mut split = split_team_role(&after);
    split["rights"] = json!(rights);
    split
}

// ------------------------------------------------- user (PATCH, address merged)

/// A complete user: every writable field set, a full address, unknown
/// fields; `fixed` fields (e.g. `id`, `role`) are added as they are.
pub fn user(fixed: Value) -> impl Strategy<Value = Value> {
    (
        "[A-Z][a-z]{2,8} [A-Z][a-z]{2,8}",
        proptest::sample::select(&["Europe/Berlin", "US/Arizona", "Asia/Tokyo"][..]),
        proptest::sample::select(&["en_US", "en_GB", "de_DE"][..]),
        proptest::collection::vec("[a-z]{3,6}", 5),
        proptest::collection::vec("[a-z]{2,6}", 0..3),
        unknown(),
    )
        .prop_map(move |(full_name, tz, locale, addr, tags, extra)| {
            let o = json!({
                "username": "jo@example.com", "fullName": full_name,
                "role": {"name": "User"}, "timeZone": tz, "locale": locale,
                "skypeUsername": "jo.sk", "tags": tags, "details": {"team": ["a"]},
                "userAddress": {"country": addr[0], "state": addr[1], "city": addr[2],
                                "line": addr[3], "zipCode": addr[4]}
            });
            with(
                with(o, extra),
                fixed.as_object().cloned().unwrap_or_default(),
            )
        })
}

#[derive(Debug, Clone)]
pub enum UserChange {
    FullName(String),
    Locale(&'static str),
    TimeZone(&'static str),
    Tags(Vec<String>),
    /// One address part (0 country .. 4 zipCode) set alone.
    AddressPart(usize, String),
}

pub fn user_change() -> impl Strategy<Value = UserChange> {
    prop_oneof![
        "[A-Z][a-z]{2,8}".prop_map(UserChange::FullName),
        proptest::sample::select(&["en_US", "fr_FR"][..]).prop_map(UserChange::Locale),
        proptest::sample::select(&["Europe/Paris", "Asia/Tokyo"][..])
            .prop_map(UserChange::TimeZone),
        proptest::collection::vec("[a-z]{2,6}", 0..3).prop_map(UserChange::Tags),
        (0usize..5, "[A-Z][a-z]{2,8}").prop_map(|(i, v)| UserChange::AddressPart(i, v)),
    ]
}

/// The update that makes the change, and the user as it must leave `before`.
pub fn user_update(before: &Value, c: &UserChange) -> (UserUpdate, Value) {
    let mut expected = before.clone();
    let update = match c.clone() {
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
    (update, expected)
}
