//! Teams, members, team roles, custom user roles, contacts, rotations and
//! escalations against a mock server: method, path, query (identifier types
//! included), headers, exact bodies, and how every documented status maps.
mod common;
use common::expect;
#[path = "support/script.rs"]
mod script;

use std::future::Future;
use std::pin::Pin;

use httpmock::prelude::*;
use opsgenie_users::api::teams::RoleChangeMethod;
use opsgenie_users::api::{MembershipStep, Step};
use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole, Right};
use opsgenie_users::models::schedule::{Participant, ParticipantType};
use opsgenie_users::models::team::{
    DesiredMember, TeamCreate, TeamRight, TeamRole, TeamRoleWrite, TeamUpdate,
};
use opsgenie_users::{
    Client, ContactId, CustomRoleId, CustomRoleRef, Error, EscalationRef, ScheduleRef, TeamId,
    TeamRef, TeamRoleId, TeamRoleRef, UserRef,
};
use script::{data, step, written, Script};
use serde_json::{json, Value};

fn result(r: &str, id: &str, name: &str) -> Value {
    json!({"result": r, "data": {"id": id, "name": name}, "took": 0.2, "requestId": "rq-1"})
}

const TEAM: &str = "8418d193-2dab-4490-b331-8c02cdd196b7";

fn team_body() -> Value {
    data(json!({
        "id": TEAM, "name": "sre", "description": "Site reliability",
        "members": [
            {"user": {"id": "u-2", "username": "bob@x.com"}, "role": "Incident Lead"},
            {"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}
        ]
    }))
}

// ---------------------------------------------------------------- teams

/// Typed steps as the lines their `Display` gives.
fn strings(steps: &[Step]) -> Vec<String> {
    steps.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn create_team_sends_exact_body() {
    let s = MockServer::start_async().await;
    let m = expect(
        &s,
        POST,
        "/v2/teams",
        &[],
        Some(json!({"name": "sre", "description": "Site reliability",
            "members": [{"user": {"username": "ann@x.com"}, "role": "admin"},
                        {"user": {"id": "u-2"}, "role": "user"}]})),
        201,
        result("Created", TEAM, "sre"),
    )
    .await;
    let c = common::client(&s.base_url());
    let r = c
        .teams()
        .create(
            TeamCreate::new("sre")
                .description("Site reliability")
                .member("ann@x.com", TeamRole::Admin)
                .member(UserRef::id("u-2"), TeamRole::User),
        )
        .await
        .unwrap();
    assert_eq!(r.id, TeamId::new(TEAM));
    assert_eq!(r.name.as_deref(), Some("sre"));
    assert_eq!(r.result, "Created");
    assert_eq!(r.request_id.as_deref(), Some("rq-1"));
    m.assert_async().await;
}

#[tokio::test]
async fn get_team_by_name_and_by_id_always_sends_identifier_type() {
    let s = MockServer::start_async().await;
    let by_name = expect(
        &s,
        GET,
        "/v2/teams/sre%20team",
        &[("identifierType", "name")],
        None,
        200,
        team_body(),
    )
    .await;
    let by_id = expect(
        &s,
        GET,
        &format!("/v2/teams/{TEAM}"),
        &[("identifierType", "id")],
        None,
        200,
        team_body(),
    )
    .await;
    let c = common::client(&s.base_url());
    let t = c.teams().get(TeamRef::name("sre team")).await.unwrap();
    assert_eq!(t.id.as_str(), TEAM);
    assert_eq!(t.description.as_deref(), Some("Site reliability"));
    let bob = t.member(&UserRef::username("BOB@x.com")).unwrap();
    assert_eq!(bob.role, TeamRole::Custom("Incident Lead".into()));
    assert_eq!(t.admins().count(), 1);
    let t2 = c.teams().get(TeamRef::id(TEAM)).await.unwrap();
    assert_eq!(t, t2);
    let members = c.teams().members(TeamRef::id(TEAM)).await.unwrap();
    assert_eq!(members.len(), 2);
    by_name.assert_async().await;
    by_id.assert_calls_async(2).await;
}

#[tokio::test]
async fn list_teams() {
    let s = MockServer::start_async().await;
    let m = expect(
        &s,
        GET,
        "/v2/teams",
        &[],
        None,
        200,
        data(json!([{"id": "t1", "name": "a", "description": ""}, {"id": "t2", "name": "b"}])),
    )
    .await;
    let c = common::client(&s.base_url());
    let teams = c.teams().list().await.unwrap();
    assert_eq!(
        teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert!(teams[1].members.is_empty());
    m.assert_async().await;
}

#[tokio::test]
async fn update_team_by_name_resolves_the_id_then_patches_only_set_fields() {
    let s = MockServer::start_async().await;
    let get = expect(
        &s,
        GET,
        "/v2/teams/sre",
        &[("identifierType", "name")],
        None,
        200,
        team_body(),
    )
    .await;
    let patch = expect(
        &s,
        PATCH,
        &format!("/v2/teams/{TEAM}"),
        &[("identifierType", "id")],
        Some(json!({"description": "SRE", "members": [{"user": {"id": "u-1"}, "role": "admin"}]})),
        200,
        result("Updated", TEAM, "sre"),
    )
    .await;
    let c = common::client(&s.base_url());
    c.teams()
        .update(
            TeamRef::name("sre"),
            TeamUpdate::new().description("SRE").members(vec![
                opsgenie_users::models::team::TeamMember::new(UserRef::id("u-1"), TeamRole::Admin),
            ]),
        )
        .await
        .unwrap();
    get.assert_async().await;
    patch.assert_async().await;
}

#[tokio::test]
async fn delete_team() {
    let s = MockServer::start_async().await;
    let m = expect(
        &s,
        DELETE,
        "/v2/teams/a%2Fb",
        &[("identifierType", "name")],
        None,
        200,
        result("Deleted", TEAM, "a/b"),
    )
    .await;
    let c = common::client(&s.base_url());
    c.teams().delete(TeamRef::name("a/b")).await.unwrap();
    m.assert_async().await;
}

// -------------------------------------------------------------- members

#[tokio::test]
async fn add_member_by_username_and_by_id() {
    let s = MockServer::start_async().await;
    let by_name = expect(
        &s,
        POST,
        "/v2/teams/sre/members",
        &[("teamIdentifierType", "name")],
        Some(json!({"user": {"username": "a+b@x.com"}, "role": "admin"})),
        200,
        result("Added", TEAM, "sre"),
    )
    .await;
    let by_id = expect(
        &s,
        POST,
        &format!("/v2/teams/{TEAM}/members"),
        &[("teamIdentifierType", "id")],
        Some(json!({"user": {"id": "u-9"}, "role": "Incident Lead"})),
        200,
        result("Added", TEAM, "sre"),
    )
    .await;
    let c = common::client(&s.base_url());
    c.teams()
        .add_member(TeamRef::name("sre"), "a+b@x.com", TeamRole::Admin)
        .await
        .unwrap();
    c.teams()
        .add_member(
            TeamRef::id(TEAM),
            UserRef::id("u-9"),
            TeamRole::Custom("Incident Lead".into()),
        )
        .await
        .unwrap();
    by_name.assert_async().await;
    by_id.assert_async().await;
}

#[tokio::test]
async fn adding_a_stakeholder_surfaces_the_servers_422() {
    let s = MockServer::start_async().await;
    let m = expect(&s, POST, "/v2/teams/sre/members", &[("teamIdentifierType", "name")],
        Some(json!({"user": {"username": "viewer@x.com"}, "role": "user"})), 422,
        json!({"message": "Stakeholder users can not be added to teams", "took": 0.01, "requestId": "rq-422"})).await;
    let c = common::client(&s.base_url());
    let err = c
        .teams()
        .add_member(TeamRef::name("sre"), "viewer@x.com", TeamRole::User)
        .await
        .unwrap_err();
    match &err {
        Error::MemberRejected(e) => {
            assert_eq!(e.status.as_u16(), 422);
            assert_eq!(
                e.message.as_deref(),
                Some("Stakeholder users can not be added to teams")
            );
            assert_eq!(e.request_id.as_deref(), Some("rq-422"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.message(),
        Some("Stakeholder users can not be added to teams")
    );
    m.assert_async().await;
}

#[tokio::test]
async fn remove_member_sends_both_identifier_types() {
    let s = MockServer::start_async().await;
    let by_name = expect(
        &s,
        DELETE,
        "/v2/teams/sre/members/a%2Bb@x.com",
        &[
            ("teamIdentifierType", "name"),
            ("memberIdentifierType", "username"),
        ],
        None,
        200,
        result("Removed", TEAM, "sre"),
    )
    .await;
    let by_id = expect(
        &s,
        DELETE,
        &format!("/v2/teams/{TEAM}/members/u-1"),
        &[("teamIdentifierType", "id"), ("memberIdentifierType", "id")],
        None,
        200,
        result("Removed", TEAM, "sre"),
    )
    .await;
    let c = common::client(&s.base_url());
    c.teams()
        .remove_member(TeamRef::name("sre"), "a+b@x.com")
        .await
        .unwrap();
    c.teams()
        .remove_member(TeamRef::id(TEAM), UserRef::id("u-1"))
        .await
        .unwrap();
    by_name.assert_async().await;
    by_id.assert_async().await;
}

#[tokio::test]
async fn malformed_identifiers_send_nothing() {
    let s = MockServer::start_async().await;
    let any = s
        .mock_async(|_w, t| {
            t.status(200);
        })
        .await;
    let c = common::client(&s.base_url());
    let errs = vec![
        c.teams().get(TeamRef::name("")).await.map(|_| ()),
        c.teams()
            .remove_member(TeamRef::name("sre"), UserRef::id(".."))
            .await
            .map(|_| ()),
        c.teams()
            .add_member(TeamRef::id(" "), "a@x.com", TeamRole::User)
            .await
            .map(|_| ()),
        c.teams().create(TeamCreate::new("")).await.map(|_| ()),
        c.teams()
            .roles(TeamRef::name("sre"))
            .get(TeamRoleRef::name("a\nb"))
            .await
            .map(|_| ()),
        c.teams()
            .roles(TeamRef::name("sre"))
            .create(TeamRoleWrite::default())
            .await
            .map(|_| ()),
        c.roles()
            .create(CustomRoleWrite::default())
            .await
            .map(|_| ()),
        c.contacts("").list().await.map(|_| ()),
        c.contacts("a@x.com").get("..").await.map(|_| ()),
        c.schedules()
            .rotations(ScheduleRef::name("s"))
            .set_participants("r", vec![])
            .await
            .map(|_| ()),
    ];
    for e in errs {
        assert!(matches!(e, Err(Error::InvalidInput(_))), "{e:?}");
    }
    assert_eq!(any.calls_async().await, 0);
}

// -------------------------------------------------- change role / diff / apply

fn team_with(members: Value) -> Value {
    data(json!({"id": TEAM, "name": "sre", "members": members}))
}

#[tokio::test]
async fn change_member_role_in_place_keeps_the_membership() {
    let (c, script) = Script::client(vec![
        step(
            "GET",
            "/v2/teams/sre?identifierType=name",
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "user"}])),
        ),
        step(
            "POST",
            &format!("/v2/teams/{TEAM}/members?teamIdentifierType=id"),
            Some(json!({"user": {"id": "u-1"}, "role": "admin"})),
            200,
            written("Added"),
        ),
        step(
            "GET",
            &format!("/v2/teams/{TEAM}?identifierType=id"),
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}])),
        ),
    ]);
    let ch = c
        .teams()
        .change_member_role(TeamRef::name("sre"), "ann@x.com", TeamRole::Admin)
        .await
        .unwrap();
    assert_eq!(ch.method, RoleChangeMethod::InPlace);
    assert_eq!((ch.from, ch.to), (TeamRole::User, TeamRole::Admin));
    script.assert_done();
}

#[tokio::test]
async fn change_member_role_falls_back_to_remove_then_add() {
    let (c, script) = Script::client(vec![
        step(
            "GET",
            &format!("/v2/teams/{TEAM}?identifierType=id"),
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}])),
        ),
        step(
            "POST",
            &format!("/v2/teams/{TEAM}/members?teamIdentifierType=id"),
            Some(json!({"user": {"id": "u-1"}, "role": "user"})),
            200,
            written("Added"),
        ),
        // The add did not change the role.
        step(
            "GET",
            &format!("/v2/teams/{TEAM}?identifierType=id"),
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}])),
        ),
        step(
            "DELETE",
            &format!("/v2/teams/{TEAM}/members/u-1?teamIdentifierType=id&memberIdentifierType=id"),
            None,
            200,
            written("Removed"),
        ),
        step(
            "POST",
            &format!("/v2/teams/{TEAM}/members?teamIdentifierType=id"),
            Some(json!({"user": {"id": "u-1"}, "role": "user"})),
            200,
            written("Added"),
        ),
    ]);
    let ch = c
        .teams()
        .change_member_role(TeamRef::id(TEAM), UserRef::id("u-1"), TeamRole::User)
        .await
        .unwrap();
    assert_eq!(ch.method, RoleChangeMethod::Readded);
    script.assert_done();
}

#[tokio::test]
async fn change_member_role_reports_partial_failure_and_restores() {
    let add = |role: &str| {
        step(
            "POST",
            &format!("/v2/teams/{TEAM}/members?teamIdentifierType=id"),
            Some(json!({"user": {"id": "u-1"}, "role": role})),
            200,
            written("Added"),
        )
    };
    let mut refused = add("Ghost Role");
    refused.status = 422;
    refused.answer = script::error("Team role not found");
    let mut refused_again = add("Ghost Role");
    refused_again.status = 422;
    refused_again.answer = script::error("Team role not found");
    let (c, script) = Script::client(vec![
        step(
            "GET",
            &format!("/v2/teams/{TEAM}?identifierType=id"),
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}])),
        ),
        refused,
        step(
            "DELETE",
            &format!("/v2/teams/{TEAM}/members/u-1?teamIdentifierType=id&memberIdentifierType=id"),
            None,
            200,
            written("Removed"),
        ),
        refused_again,
        add("admin"),
    ]);
    let err = c
        .teams()
        .change_member_role(
            TeamRef::id(TEAM),
            UserRef::id("u-1"),
            TeamRole::Custom("Ghost Role".into()),
        )
        .await
        .unwrap_err();
    match &err {
        Error::PartiallyApplied {
            applied,
            not_applied,
            cause,
            ..
        } => {
            assert_eq!(
                strings(applied),
                &[
                    "remove u-1 from team sre",
                    "restore u-1 in team sre as admin"
                ]
            );
            assert_eq!(strings(not_applied), &["add u-1 to team sre as Ghost Role"]);
            // The steps are typed: the failed add names the role it asked for.
            assert!(matches!(
                &not_applied[0],
                Step::Membership(MembershipStep::Add { role, .. }) if *role == TeamRole::Custom("Ghost Role".into())
            ));
            assert!(matches!(**cause, Error::MemberRejected(_)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.message(), Some("Team role not found"));
    script.assert_done();
}

#[tokio::test]
async fn change_member_role_of_a_non_member_writes_nothing() {
    let (c, script) = Script::client(vec![step(
        "GET",
        "/v2/teams/sre?identifierType=name",
        None,
        200,
        team_with(json!([])),
    )]);
    let err = c
        .teams()
        .change_member_role(TeamRef::name("sre"), "ann@x.com", TeamRole::Admin)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    script.assert_done();
}

#[tokio::test]
async fn diff_resolves_usernames_and_apply_is_additive_by_default() {
    let actual = json!([
        {"user": {"id": "u-3", "username": "cat@x.com"}, "role": "user"},
        {"user": {"id": "u-1", "username": "ann@x.com"}, "role": "user"}
    ]);
    let (c, script) = Script::client(vec![
        step(
            "GET",
            "/v2/teams/sre?identifierType=name",
            None,
            200,
            team_with(actual.clone()),
        ),
        // dan is not a member: resolved to an id.
        step(
            "GET",
            "/v2/users/dan%2Bops@x.com",
            None,
            200,
            data(json!({"id": "u-4", "username": "dan+ops@x.com"})),
        ),
    ]);
    let desired = [
        DesiredMember::new("ANN@x.com", TeamRole::Admin),
        DesiredMember::new("dan+ops@x.com", TeamRole::User),
    ];
    let diff = c
        .teams()
        .diff_members(TeamRef::name("sre"), &desired)
        .await
        .unwrap();
    assert_eq!(diff.add.len(), 1);
    assert_eq!(
        diff.add[0].user.id.as_ref().map(|i| i.as_str()),
        Some("u-4")
    );
    assert_eq!(diff.change_role.len(), 1);
    assert_eq!(diff.remove.len(), 1);
    script.assert_done();

    // Additive: no removal.
    script.push(vec![
        step(
            "POST",
            "/v2/teams/sre/members?teamIdentifierType=name",
            Some(json!({"user": {"id": "u-4"}, "role": "user"})),
            200,
            written("Added"),
        ),
        step(
            "GET",
            "/v2/teams/sre?identifierType=name",
            None,
            200,
            team_with(actual.clone()),
        ),
        step(
            "POST",
            &format!("/v2/teams/{TEAM}/members?teamIdentifierType=id"),
            Some(json!({"user": {"id": "u-1"}, "role": "admin"})),
            200,
            written("Added"),
        ),
        step(
            "GET",
            &format!("/v2/teams/{TEAM}?identifierType=id"),
            None,
            200,
            team_with(json!([{"user": {"id": "u-1", "username": "ann@x.com"}, "role": "admin"}])),
        ),
    ]);
    let report = c
        .teams()
        .apply_members(TeamRef::name("sre"), &diff)
        .await
        .unwrap();
    assert_eq!(report.added.len(), 1);
    assert_eq!(report.role_changed.len(), 1);
    assert!(report.removed.is_empty());
    assert_eq!(
        report.kept_unlisted[0].user.id.as_ref().map(|i| i.as_str()),
        Some("u-3")
    );
    script.assert_done();

    // Removal only when asked; a failed step is reported precisely.
    let only_remove = opsgenie_users::models::team::diff_members(
        &[DesiredMember::new(UserRef::id("u-1"), TeamRole::User)],
        &serde_json::from_value::<Vec<_>>(actual).unwrap(),
    )
    .unwrap();
    script.push(vec![step(
        "DELETE",
        "/v2/teams/sre/members/u-3?teamIdentifierType=name&memberIdentifierType=id",
        None,
        503,
        script::error("unavailable"),
    )]);
    let err = c
        .teams()
        .apply_members(TeamRef::name("sre"), &only_remove)
        .remove_unlisted(true)
        .await
        .unwrap_err();
    match err {
        Error::PartiallyApplied {
            applied,
            not_applied,
            ..
        } => {
            assert!(applied.is_empty());
            assert_eq!(strings(&not_applied), ["remove u-3"]);
        }
        other => panic!("{other:?}"),
    }
    script.assert_done();
}

// ----------------------------------------------------------- team roles

#[tokio::test]
async fn team_role_calls() {
    let s = MockServer::start_async().await;
    let tq = [("teamIdentifierType", "name")];
    let rq = [("teamIdentifierType", "name"), ("identifierType", "name")];
    let create = expect(
        &s,
        POST,
        "/v2/teams/sre/roles",
        &tq,
        Some(
            json!({"name": "Lead", "rights": [{"right": "manage-members", "granted": true},
            {"right": "some-future-right", "granted": false}]}),
        ),
        201,
        result("Created", "tr-1", "Lead"),
    )
    .await;
    let list = expect(&s, GET, "/v2/teams/sre/roles", &tq, None, 200,
        data(json!([{"id": "tr-1", "name": "Lead", "rights": [{"right": "x-new", "granted": true}]}]))).await;
    let get = expect(
        &s,
        GET,
        "/v2/teams/sre/roles/Lead",
        &rq,
        None,
        200,
        data(json!({"id": "tr-1", "name": "Lead", "rights": []})),
    )
    .await;
    let update = expect(
        &s,
        PATCH,
        "/v2/teams/sre/roles/tr-1",
        &[("teamIdentifierType", "name"), ("identifierType", "id")],
        Some(json!({"name": "Lead", "rights": [{"right": "delete-team", "granted": false}]})),
        200,
        result("Updated", "tr-1", "Lead"),
    )
    .await;
    let delete = expect(
        &s,
        DELETE,
        "/v2/teams/sre/roles/tr-1",
        &[("teamIdentifierType", "name"), ("identifierType", "id")],
        None,
        200,
        result("Deleted", "tr-1", "Lead"),
    )
    .await;
    let c = common::client(&s.base_url());
    let roles = c.teams().roles(TeamRef::name("sre"));
    let created = roles
        .create(
            TeamRoleWrite::new("Lead")
                .right(TeamRight::granted("manage-members"))
                .right(TeamRight::denied("some-future-right")),
        )
        .await
        .unwrap();
    assert_eq!(created.id, TeamRoleId::new("tr-1"), "a typed team role id");
    assert_eq!(created.request_id.as_deref(), Some("rq-1"));
    let l = roles.list().await.unwrap();
    assert_eq!(l[0].rights[0].right, "x-new");
    assert_eq!(
        roles.get(TeamRoleRef::name("Lead")).await.unwrap().id,
        Some(TeamRoleId::new("tr-1"))
    );
    // Update reads the role, then PATCHes the whole rights list by id.
    roles
        .update(TeamRoleRef::name("Lead"))
        .deny("delete-team")
        .await
        .unwrap();
    roles.delete(TeamRoleRef::id("tr-1")).await.unwrap();
    get.assert_calls_async(2).await;
    for m in [create, list, update, delete] {
        m.assert_async().await;
    }
}

// ------------------------------------------------------ custom user roles

#[tokio::test]
async fn custom_role_calls_keep_case_and_send_identifier_type() {
    let s = MockServer::start_async().await;
    let create = expect(&s, POST, "/v2/roles", &[],
        Some(json!({"name": "ReadOnlyOps", "extendedRole": "observer", "grantedRights": ["logs-page-access"],
            "disallowedRights": ["future-right"]})), 201, result("Created", "r-1", "ReadOnlyOps")).await;
    let get = expect(
        &s,
        GET,
        "/v2/roles/ReadOnlyOps",
        &[("identifierType", "name")],
        None,
        200,
        data(
            json!({"id": "r-1", "name": "ReadOnlyOps", "extendedRole": "auditor",
            "grantedRights": ["logs-page-access"], "disallowedRights": []}),
        ),
    )
    .await;
    let list = expect(
        &s,
        GET,
        "/v2/roles",
        &[],
        None,
        200,
        data(json!([{"id": "r-1", "name": "ReadOnlyOps", "extendedRole": "user"}])),
    )
    .await;
    let update = expect(
        &s,
        PUT,
        "/v2/roles/r-1",
        &[("identifierType", "id")],
        Some(json!({"name": "readOnlyOps", "extendedRole": "auditor",
            "grantedRights": [], "disallowedRights": []})),
        200,
        result("Updated", "r-1", "readOnlyOps"),
    )
    .await;
    let delete = expect(
        &s,
        DELETE,
        "/v2/roles/readOnlyOps",
        &[("identifierType", "name")],
        None,
        200,
        result("Deleted", "r-1", "readOnlyOps"),
    )
    .await;
    let c = common::client(&s.base_url());
    let created = c
        .roles()
        .create(
            CustomRoleWrite::new("ReadOnlyOps")
                .extended_role(ExtendedRole::Observer)
                .grant("logs-page-access")
                .disallow("future-right"),
        )
        .await
        .unwrap();
    assert_eq!(
        created.id,
        CustomRoleId::new("r-1"),
        "a typed custom role id"
    );
    assert_eq!(created.result, "Created");
    let r = c
        .roles()
        .get(CustomRoleRef::name("ReadOnlyOps"))
        .await
        .unwrap();
    assert_eq!(r.extended_role, Some(ExtendedRole::Other("auditor".into())));
    assert_eq!(r.granted_rights, vec![Right::new("logs-page-access")]);
    let l = c.roles().list().await.unwrap();
    assert_eq!(l[0].extended_role, Some(ExtendedRole::User));
    assert!(l[0].granted_rights.is_empty());
    // Update reads the role (by name), then PUTs the complete role by id.
    c.roles()
        .update(CustomRoleRef::name("ReadOnlyOps"))
        .name("readOnlyOps")
        .granted_rights(vec![])
        .await
        .unwrap();
    c.roles()
        .delete(CustomRoleRef::name("readOnlyOps"))
        .await
        .unwrap();
    get.assert_calls_async(2).await;
    for m in [create, list, update, delete] {
        m.assert_async().await;
    }
}

// ---------------------------------------------------------------- contacts

#[tokio::test]
async fn contact_calls() {
    let s = MockServer::start_async().await;
    let base = "/v2/users/a%2Bb@x.com/contacts";
    let one = format!("{base}/c-1");
    let create = expect(
        &s,
        POST,
        base,
        &[],
        Some(json!({"method": "sms", "to": "1-5555550100"})),
        201,
        result("Created", "c-1", ""),
    )
    .await;
    let list = expect(&s, GET, base, &[], None, 200, data(json!([
        {"id": "c-1", "method": "sms", "to": "1-5555550100", "status": {"enabled": true}, "applyOrder": 1},
        {"id": "c-2", "method": "pager", "to": "x", "status": {"enabled": false, "disabledReason": "bounced"}}
    ]))).await;
    let get = expect(&s, GET, &one, &[], None, 200,
        data(json!({"id": "c-1", "method": "voice", "to": "1-5555550100", "status": {"enabled": true}}))).await;
    let update = expect(
        &s,
        PATCH,
        &one,
        &[],
        Some(json!({"to": "1-5555550199"})),
        200,
        result("Updated", "c-1", ""),
    )
    .await;
    let enable = expect(
        &s,
        POST,
        &format!("{one}/enable"),
        &[],
        None,
        200,
        result("Enabled", "c-1", ""),
    )
    .await;
    let disable = expect(
        &s,
        POST,
        &format!("{one}/disable"),
        &[],
        None,
        200,
        result("Disabled", "c-1", ""),
    )
    .await;
    let delete = expect(
        &s,
        DELETE,
        &one,
        &[],
        None,
        200,
        result("Deleted", "c-1", ""),
    )
    .await;
    let c = common::client(&s.base_url());
    let h = c.contacts("a+b@x.com");
    assert_eq!(
        h.create(ContactCreate::new(ContactMethod::Sms, "1-5555550100"))
            .await
            .unwrap()
            .id,
        ContactId::new("c-1")
    );
    let l = h.list().await.unwrap();
    assert_eq!(l[0].method, ContactMethod::Sms);
    assert_eq!(l[0].apply_order, Some(1));
    assert_eq!(l[1].method, ContactMethod::Other("pager".into()));
    assert_eq!(
        l[1].status.as_ref().unwrap().disabled_reason.as_deref(),
        Some("bounced")
    );
    assert_eq!(h.get("c-1").await.unwrap().method, ContactMethod::Voice);
    h.update("c-1", "1-5555550199").await.unwrap();
    h.enable("c-1").await.unwrap();
    h.disable("c-1").await.unwrap();
    h.delete("c-1").await.unwrap();
    for m in [create, list, get, update, enable, disable, delete] {
        m.assert_async().await;
    }
}

// ---------------------------------------------------- rotations, escalations

#[tokio::test]
async fn rotation_and_escalation_calls() {
    let s = MockServer::start_async().await;
    let rot = json!({"id": "rot-1", "name": "weekly", "type": "weekly", "startDate": "2026-01-01T00:00:00Z",
        "participants": [{"type": "user", "id": "u-1", "username": "ann@x.com"}, {"type": "none"}]});
    let list = expect(
        &s,
        GET,
        "/v2/schedules/sre%20schedule/rotations",
        &[("scheduleIdentifierType", "name")],
        None,
        200,
        data(json!([rot.clone()])),
    )
    .await;
    let get = expect(
        &s,
        GET,
        "/v2/schedules/s-1/rotations/rot-1",
        &[("scheduleIdentifierType", "id")],
        None,
        200,
        data(rot.clone()),
    )
    .await;
    let patch = expect(
        &s,
        PATCH,
        "/v2/schedules/s-1/rotations/rot-1",
        &[("scheduleIdentifierType", "id")],
        Some(json!({"participants": [{"type": "user", "id": "u-9"}, {"type": "none"}]})),
        200,
        result("Updated", "rot-1", "weekly"),
    )
    .await;
    let esc = json!({"id": "e-1", "name": "sre_escalation", "ownerTeam": {"id": TEAM, "name": "sre"},
        "rules": [{"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 5, "timeUnit": "minutes"},
            "recipient": {"type": "user", "id": "u-1", "username": "ann@x.com"}}],
        "repeat": {"waitInterval": 10, "count": 1}});
    let eget = expect(
        &s,
        GET,
        "/v2/escalations/sre_escalation",
        &[("identifierType", "name")],
        None,
        200,
        data(esc.clone()),
    )
    .await;
    let elist = expect(
        &s,
        GET,
        "/v2/escalations",
        &[],
        None,
        200,
        data(json!([esc.clone()])),
    )
    .await;
    let epatch = expect(&s, PATCH, "/v2/escalations/e-1", &[("identifierType", "id")],
        Some(json!({"rules": [{"condition": "if-not-acked", "notifyType": "default",
            "delay": {"timeAmount": 5, "timeUnit": "minutes"}, "recipient": {"type": "user", "id": "u-9"}}]})),
        200, result("Updated", "e-1", "sre_escalation")).await;
    let c = common::client(&s.base_url());
    let rs = c
        .schedules()
        .rotations(ScheduleRef::name("sre schedule"))
        .list()
        .await
        .unwrap();
    assert_eq!(rs[0].participants[1].kind, ParticipantType::None);
    assert_eq!(rs[0].extra["startDate"], "2026-01-01T00:00:00Z");
    let r = c
        .schedules()
        .rotations(ScheduleRef::id("s-1"))
        .get("rot-1")
        .await
        .unwrap();
    assert!(r.participants[0].is_user(&UserRef::id("u-1")));
    let mut parts = r.participants.clone();
    parts[0] = Participant::user_id("u-9");
    c.schedules()
        .rotations(ScheduleRef::id("s-1"))
        .set_participants("rot-1", parts)
        .await
        .unwrap();
    let e = c
        .escalations()
        .get(EscalationRef::name("sre_escalation"))
        .await
        .unwrap();
    assert_eq!(
        e.owner_team.as_ref().and_then(|t| t.name.as_deref()),
        Some("sre")
    );
    assert_eq!(c.escalations().list().await.unwrap().len(), 1);
    let mut rules = e.rules.clone();
    rules[0].recipient = Participant::user_id("u-9");
    c.escalations()
        .set_rules(EscalationRef::id("e-1"), rules)
        .await
        .unwrap();
    for m in [list, get, patch, eget, elist, epatch] {
        m.assert_async().await;
    }
}

// ------------------------------------------------------- status mapping

type Call = Box<dyn Fn(Client) -> Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>>;

macro_rules! call {
    ($name:literal, |$c:ident| $body:expr) => {
        (
            $name,
            Box::new(|$c: Client| {
                Box::pin(async move { $body.await.map(|_| ()) })
                    as Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>
            }) as Call,
        )
    };
}

fn every_call() -> Vec<(&'static str, Call)> {
    vec![
        call!("teams.create", |c| c.teams().create(TeamCreate::new("t"))),
        call!("teams.get", |c| c.teams().get(TeamRef::name("t"))),
        call!("teams.list", |c| c.teams().list()),
        call!("teams.update", |c| c
            .teams()
            .update(TeamRef::id("t"), TeamUpdate::new().name("u"))),
        call!("teams.delete", |c| c.teams().delete(TeamRef::id("t"))),
        call!("teams.add_member", |c| c.teams().add_member(
            TeamRef::id("t"),
            "a@x.com",
            TeamRole::User
        )),
        call!("teams.remove_member", |c| c
            .teams()
            .remove_member(TeamRef::id("t"), "a@x.com")),
        call!("team_roles.create", |c| c
            .teams()
            .roles(TeamRef::id("t"))
            .create(TeamRoleWrite::new("r"))),
        call!("team_roles.get", |c| c
            .teams()
            .roles(TeamRef::id("t"))
            .get(TeamRoleRef::name("r"))),
        call!("team_roles.list", |c| c
            .teams()
            .roles(TeamRef::id("t"))
            .list()),
        call!("team_roles.update", |c| c
            .teams()
            .roles(TeamRef::id("t"))
            .update(TeamRoleRef::name("r"))
            .name("s")),
        call!("team_roles.delete", |c| c
            .teams()
            .roles(TeamRef::id("t"))
            .delete(TeamRoleRef::name("r"))),
        call!("roles.create", |c| c
            .roles()
            .create(CustomRoleWrite::new("r"))),
        call!("roles.get", |c| c.roles().get(CustomRoleRef::name("r"))),
        call!("roles.list", |c| c.roles().list()),
        call!("roles.update", |c| c
            .roles()
            .update(CustomRoleRef::name("r"))
            .name("s")),
        call!("roles.delete", |c| c
            .roles()
            .delete(CustomRoleRef::name("r"))),
        call!("contacts.create", |c| c
            .contacts("a@x.com")
            .create(ContactCreate::new(ContactMethod::Email, "b@x.com"))),
        call!("contacts.get", |c| c.contacts("a@x.com").get("c")),
        call!("contacts.list", |c| c.contacts("a@x.com").list()),
        call!("contacts.update", |c| c
            .contacts("a@x.com")
            .update("c", "d@x.com")),
        call!("contacts.delete", |c| c.contacts("a@x.com").delete("c")),
        call!("contacts.enable", |c| c.contacts("a@x.com").enable("c")),
        call!("contacts.disable", |c| c.contacts("a@x.com").disable("c")),
        call!("rotations.list", |c| c
            .schedules()
            .rotations(ScheduleRef::id("s"))
            .list()),
        call!("rotations.get", |c| c
            .schedules()
            .rotations(ScheduleRef::id("s"))
            .get("r")),
        call!("rotations.set_participants", |c| c
            .schedules()
            .rotations(ScheduleRef::id("s"))
            .set_participants("r", vec![Participant::user_id("u")])),
        call!("escalations.get", |c| c
            .escalations()
            .get(EscalationRef::id("e"))),
        call!("escalations.list", |c| c.escalations().list()),
        call!("escalations.set_rules", |c| c
            .escalations()
            .set_rules(EscalationRef::id("e"), vec![])),
    ]
}

/// The calls of [`every_call`] that send a DELETE.
const DELETE_CALLS: [&str; 5] = [
    "teams.delete",
    "teams.remove_member",
    "team_roles.delete",
    "roles.delete",
    "contacts.delete",
];

/// Writes whose lost answer (a 5xx) is settled by a lookup: with the lookup
/// failing too, the outcome is unknown.
const LOOKED_UP_CALLS: [&str; 5] = [
    "teams.create",
    "teams.add_member",
    "team_roles.create",
    "roles.create",
    "contacts.create",
];

#[tokio::test]
async fn every_documented_status_maps_to_its_error() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    for status in [400u16, 401, 402, 403, 404, 409, 422, 428, 429, 500] {
        let m = s
            .mock_async(move |_w, t| {
                t.status(status)
                    .header("content-type", "application/json")
                    .header("X-RateLimit-State", if status == 429 { "THROTTLED" } else { "OK" })
                    .json_body(json!({"message": format!("status {status}"), "took": 0.0, "requestId": "rq-e"}));
            })
            .await;
        for (name, call) in every_call() {
            let err = call(c.clone()).await.expect_err(name);
            assert_eq!(
                err.status().map(|s| s.as_u16()),
                Some(status),
                "{name}: {err:?}"
            );
            assert_eq!(
                err.message(),
                Some(format!("status {status}").as_str()),
                "{name}"
            );
            assert_eq!(err.request_id(), Some("rq-e"), "{name}");
            let ok = match status {
                401 => matches!(err, Error::Unauthorized(_)),
                403 => matches!(err, Error::Forbidden(_)),
                404 => matches!(err, Error::NotFound(_)),
                429 => matches!(err, Error::RateLimited { .. }),
                // One mapping for every call: a DELETE refused with 422/428 is a blocked delete.
                422 | 428 if DELETE_CALLS.contains(&name) => matches!(err, Error::DeleteBlocked(_)),
                422 if name == "teams.add_member" => matches!(err, Error::MemberRejected(_)),
                500 if LOOKED_UP_CALLS.contains(&name) => {
                    matches!(err, Error::AmbiguousOutcome { .. })
                }
                409 => matches!(err, Error::Conflict(_)),
                _ => matches!(err, Error::Api(_)),
            };
            assert!(ok, "{name} {status}: {err:?}");
        }
        let lookups = if status == 500 {
            LOOKED_UP_CALLS.len()
        } else {
            0
        };
        assert_eq!(
            m.calls_async().await,
            every_call().len() + lookups,
            "one request per call at {status}, and one lookup per lost write"
        );
        m.delete_async().await;
    }
    // An HTML page from the CDN is a typed error with its status, not a decode failure.
    let html = s
        .mock_async(|_w, t| {
            t.status(503)
                .header("content-type", "text/html")
                .body("<html><h1>503 Service Unavailable</h1></html>");
        })
        .await;
    for (name, call) in every_call() {
        let err = call(c.clone()).await.expect_err(name);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{name}");
        assert!(err.api_error().unwrap().is_non_json(), "{name}");
    }
    html.delete_async().await;
    // Success answers that do not decode name the failing field.
    let bad = s
        .mock_async(|_w, t| {
            t.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"data": {"id": 7}}));
        })
        .await;
    let err = c.teams().get(TeamRef::id("t")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { path, .. } if path == "data.id"),
        "{err:?}"
    );
    bad.delete_async().await;
}

#[test]
fn call_futures_are_send() {
    // Handlers own a client clone; every call builder (and its future) is
    // Send + 'static, so it can be spawned.
    use std::future::IntoFuture;
    fn is_send<T: Send + 'static>(_: &T) {}
    let c = common::client("http://127.0.0.1:9");
    is_send(&c.teams().get(TeamRef::name("x")));
    is_send(
        &c.teams()
            .change_member_role(TeamRef::name("x"), "a@x.com", TeamRole::Admin),
    );
    is_send(
        &c.teams()
            .apply_members(TeamRef::name("x"), &Default::default())
            .into_future(),
    );
    is_send(&c.roles().all());
    is_send(&c.contacts("a@x.com").list());
    let plan: opsgenie_users::api::offboard::OffboardingPlan = serde_json::from_value(json!({
        "user": {"id": "u", "username": "u@x.com"}, "teams": [], "rotations": [],
        "escalations": [], "forwarding_rules": [], "sole_owner": false
    }))
    .unwrap();
    is_send(&c.offboarding().plan("a@x.com"));
    is_send(&c.offboarding().execute(&plan));
    is_send(&c.offboarding().execute(&plan).into_future());
}

/// Every handler against the embedded simulator's real-shaped answers:
/// decoding, the stakeholder refusal, the role-change fallback (the server
/// ignores a re-add), membership sync, team roles, custom roles, contacts.
#[tokio::test]
async fn against_the_simulator() {
    use opsgenie_users::models::user::Role;
    use opsgenie_users::models::user::UserCreate;
    use opsgenie_users_sim::Server;

    let server = Server::start().await.unwrap();
    let c = server.client();
    for (u, role) in [
        ("ann@x.com", Role::User),
        ("bob@x.com", Role::User),
        ("viewer@x.com", Role::Stakeholder),
    ] {
        c.users()
            .create(UserCreate::new(u, "Some One").role(role))
            .await
            .unwrap();
    }
    let created = c
        .teams()
        .create(TeamCreate::new("payments").member("ann@x.com", TeamRole::Admin))
        .await
        .unwrap();
    let team = TeamRef::from(&created.id);

    // A stakeholder is refused by the server, typed, with its message.
    let err = c
        .teams()
        .add_member(team.clone(), "viewer@x.com", TeamRole::User)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MemberRejected(_)), "{err:?}");
    assert!(err.message().is_some_and(|m| !m.is_empty()));

    c.teams()
        .add_member(TeamRef::name("payments"), "bob@x.com", TeamRole::User)
        .await
        .unwrap();
    let ch = c
        .teams()
        .change_member_role(team.clone(), "bob@x.com", TeamRole::Admin)
        .await
        .unwrap();
    assert_eq!(ch.method, RoleChangeMethod::Readded);
    let t = c.teams().get(TeamRef::name("payments")).await.unwrap();
    assert_eq!(t.admins().count(), 2);

    // Sync to {ann: user}: additive first, then with removals.
    let desired = [DesiredMember::new("ann@x.com", TeamRole::User)];
    let diff = c
        .teams()
        .diff_members(team.clone(), &desired)
        .await
        .unwrap();
    let r = c.teams().apply_members(team.clone(), &diff).await.unwrap();
    assert_eq!((r.role_changed.len(), r.kept_unlisted.len()), (1, 1));
    let diff = c
        .teams()
        .diff_members(team.clone(), &desired)
        .await
        .unwrap();
    c.teams()
        .apply_members(team.clone(), &diff)
        .remove_unlisted(true)
        .await
        .unwrap();
    assert!(c
        .teams()
        .diff_members(team.clone(), &desired)
        .await
        .unwrap()
        .is_empty());
    let members = c.teams().members(team.clone()).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].role, TeamRole::User);

    let roles = c.teams().roles(team.clone());
    roles
        .create(TeamRoleWrite::new("Lead").right(TeamRight::granted("manage-members")))
        .await
        .unwrap();
    assert_eq!(
        roles.get(TeamRoleRef::name("Lead")).await.unwrap().rights,
        [TeamRight::granted("manage-members")]
    );
    roles
        .update(TeamRoleRef::name("Lead"))
        .name("Leader")
        .grant("edit-escalations")
        .await
        .unwrap();
    let listed = roles.list().await.unwrap();
    assert_eq!(listed[0].name, "Leader");
    assert_eq!(
        listed[0].rights,
        [
            TeamRight::granted("manage-members"),
            TeamRight::granted("edit-escalations")
        ],
        "the rights not named by the update survive"
    );
    roles.delete(TeamRoleRef::name("Leader")).await.unwrap();

    c.roles()
        .create(
            CustomRoleWrite::new("ReadOnlyOps")
                .extended_role(ExtendedRole::Observer)
                .grant("logs-page-access"),
        )
        .await
        .unwrap();
    let got = c
        .roles()
        .get(CustomRoleRef::name("ReadOnlyOps"))
        .await
        .unwrap();
    assert_eq!(got.extended_role, Some(ExtendedRole::Observer));
    assert!(matches!(
        c.roles().get(CustomRoleRef::name("readonlyops")).await,
        Err(Error::NotFound(_))
    ));
    let all = c.roles().all().await.unwrap();
    assert_eq!(all.last(), Some(&Role::Custom("ReadOnlyOps".into())));
    c.roles()
        .delete(CustomRoleRef::id(got.id.as_str()))
        .await
        .unwrap();

    let contacts = c.contacts("ann@x.com");
    let id = contacts
        .create(ContactCreate::new(ContactMethod::Sms, "1-5555550100"))
        .await
        .unwrap();
    let id = id.id.to_string();
    contacts.disable(id.as_str()).await.unwrap();
    assert_eq!(
        contacts
            .get(id.as_str())
            .await
            .unwrap()
            .status
            .map(|s| s.enabled),
        Some(false)
    );
    contacts.enable(id.as_str()).await.unwrap();
    contacts.update(id.as_str(), "1-5555550199").await.unwrap();
    assert!(contacts
        .list()
        .await
        .unwrap()
        .iter()
        .any(|c| c.to == "1-5555550199"));
    contacts.delete(id.as_str()).await.unwrap();

    c.teams()
        .update(
            TeamRef::name("payments"),
            TeamUpdate::new().description("Payments on-call"),
        )
        .await
        .unwrap();
    assert_eq!(
        c.teams()
            .get(team.clone())
            .await
            .unwrap()
            .description
            .as_deref(),
        Some("Payments on-call")
    );
    assert!(c
        .teams()
        .list()
        .await
        .unwrap()
        .iter()
        .any(|t| t.name == "payments"));
    c.teams().delete(team).await.unwrap();
    server.shutdown().await;
}

// ------------------------------------------------------- typed ids on create

#[tokio::test]
async fn a_create_answered_without_an_id_is_resolved_by_name() {
    let s = MockServer::start_async().await;
    let create = expect(
        &s,
        POST,
        "/v2/teams",
        &[],
        Some(json!({"name": "a/b"})),
        202,
        json!({"result": "Request will be processed", "took": 0.1, "requestId": "rq-7"}),
    )
    .await;
    let lookup = expect(
        &s,
        GET,
        "/v2/teams/a%2Fb",
        &[("identifierType", "name")],
        None,
        200,
        data(json!({"id": "t-9", "name": "a/b"})),
    )
    .await;
    let c = common::client(&s.base_url());
    let created = c.teams().create(TeamCreate::new("a/b")).await.unwrap();
    assert_eq!(created.id, TeamId::new("t-9"));
    assert_eq!(created.result, "Request will be processed");
    assert_eq!(created.request_id.as_deref(), Some("rq-7"));
    create.assert_async().await;
    lookup.assert_async().await;
}

#[tokio::test]
async fn a_create_without_an_id_that_cannot_be_found_is_ambiguous() {
    let s = MockServer::start_async().await;
    let create = expect(
        &s,
        POST,
        "/v2/users/ann@x.com/contacts",
        &[],
        Some(json!({"method": "email", "to": "ann@x.com"})),
        202,
        json!({"result": "Accepted"}),
    )
    .await;
    // The user's contacts, without the new one (not there yet).
    let lookup = expect(
        &s,
        GET,
        "/v2/users/ann@x.com/contacts",
        &[],
        None,
        200,
        json!({"data": [{"id": "c-1", "method": "sms", "to": "1-5555550100"}]}),
    )
    .await;
    let c = common::client(&s.base_url());
    let err = c
        .contacts("ann@x.com")
        .create(ContactCreate::new(ContactMethod::Email, "ann@x.com"))
        .await
        .unwrap_err();
    match &err {
        Error::AmbiguousOutcome { operation, cause } => {
            assert!(operation.contains("without an id"), "{operation}");
            assert!(matches!(**cause, Error::Decode { .. }), "{cause:?}");
        }
        other => panic!("{other:?}"),
    }
    create.assert_calls_async(1).await;
    lookup.assert_calls_async(1).await;
}

#[tokio::test]
async fn typed_refs_reach_the_server_as_one_segment_with_their_identifier_type() {
    let s = MockServer::start_async().await;
    let by_id = expect(
        &s,
        GET,
        "/v2/schedules/s%2B1/rotations/r%3F1",
        &[("scheduleIdentifierType", "id")],
        None,
        200,
        data(json!({"id": "r?1", "participants": []})),
    )
    .await;
    let by_name = expect(
        &s,
        GET,
        "/v2/escalations/on%20call",
        &[("identifierType", "name")],
        None,
        200,
        data(json!({"id": "e-1", "name": "on call", "rules": []})),
    )
    .await;
    let c = common::client(&s.base_url());
    let schedule = opsgenie_users::ScheduleId::new("s+1");
    let rotation = c
        .schedules()
        .rotations(&schedule)
        .get(opsgenie_users::RotationId::new("r?1"))
        .await
        .unwrap();
    assert_eq!(rotation.id, "r?1");
    let e = c.escalations().get("on call").await.unwrap();
    assert_eq!(e.id, opsgenie_users::EscalationId::new("e-1"));
    by_id.assert_async().await;
    by_name.assert_async().await;
}
