//! The offboarding workflow, request by request: plan -> refuse -> hand over
//! to a successor -> delete, and a second run of the same plan is a no-op.
//! The scripted transport fails the test on any request out of order, with
//! another body, or not expected at all.
mod common;
#[path = "support/script.rs"]
mod script;

use opsgenie_users::api::offboard::{Blocker, OffboardingPlan, OffboardingStep, StepOutcome};
use opsgenie_users::api::Step;
use opsgenie_users::Error;
use script::{data, error, get, step, written, Script};
use serde_json::{json, Value};

fn leaver() -> Value {
    json!({"id": "u-l", "username": "leaver@x.com", "fullName": "Lea Ver",
        "role": {"id": "User", "name": "User"}, "blocked": false, "verified": true})
}

fn rotation_1() -> Value {
    json!({"id": "rot-1", "name": "weekly", "type": "weekly", "length": 1,
        "startDate": "2026-01-05T09:00:00Z",
        "participants": [
            {"type": "user", "id": "u-l", "username": "leaver@x.com"},
            {"type": "user", "id": "u-o", "username": "other@x.com"},
            {"type": "user", "id": "u-l", "username": "leaver@x.com"}
        ],
        "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 9, "endHour": 17, "startMin": 0, "endMin": 0}}})
}

fn escalation_1() -> Value {
    json!({"id": "e-1", "name": "sre_escalation", "ownerTeam": {"id": "t-sre", "name": "sre"},
        "rules": [
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 0, "timeUnit": "minutes"},
             "recipient": {"type": "user", "id": "u-l", "username": "leaver@x.com"}},
            {"condition": "if-not-acked", "notifyType": "all",
             "delay": {"timeAmount": 10, "timeUnit": "minutes"},
             "recipient": {"type": "team", "id": "t-sre", "name": "sre"}}
        ],
        "repeat": {"waitInterval": 5, "count": 2, "resetRecipientStates": false, "closeAlertAfterAll": false}})
}

/// The reads `plan("leaver@x.com")` makes, in order.
fn plan_reads() -> Vec<script::Step> {
    vec![
        get("/v2/users/leaver@x.com", data(leaver())),
        get(
            "/v2/users/u-l/teams",
            data(json!([{"id": "t-sre", "name": "sre"}, {"id": "t-ops", "name": "ops"}])),
        ),
        get(
            "/v2/teams/t-sre?identifierType=id",
            data(json!({"id": "t-sre", "name": "sre", "members": [
            {"user": {"id": "u-o", "username": "other@x.com"}, "role": "user"},
            {"user": {"id": "u-l", "username": "leaver@x.com"}, "role": "admin"}]})),
        ),
        get(
            "/v2/teams/t-ops?identifierType=id",
            data(json!({"id": "t-ops", "name": "ops", "members": [
            {"user": {"id": "u-l", "username": "leaver@x.com"}, "role": "user"},
            {"user": {"id": "u-o", "username": "other@x.com"}, "role": "admin"}]})),
        ),
        get(
            "/v2/users/u-l/schedules",
            data(json!([{"id": "s-1", "name": "sre_schedule", "enabled": true}])),
        ),
        get(
            "/v2/schedules/s-1/rotations?scheduleIdentifierType=id",
            data(json!([rotation_1(),
            {"id": "rot-2", "name": "backup", "type": "daily",
             "participants": [{"type": "user", "id": "u-o", "username": "other@x.com"}]}])),
        ),
        get(
            "/v2/schedules/s-1/overrides?scheduleIdentifierType=id",
            data(
                json!([{"alias": "cover", "user": {"type": "user", "id": "u-l"},
                "startDate": "2026-03-01T00:00:00Z", "endDate": "2026-03-02T00:00:00Z"},
                {"alias": "other", "user": {"type": "user", "id": "u-o"}}]),
            ),
        ),
        get("/v2/users/u-l/escalations", data(json!([escalation_1()]))),
        get(
            "/v2/users/u-l/forwarding-rules",
            data(json!([{"id": "f-1", "alias": "vacation",
            "fromUser": {"id": "u-l", "username": "leaver@x.com"}, "toUser": {"id": "u-o", "username": "other@x.com"},
            "startDate": "2026-02-01T00:00:00Z"}])),
        ),
    ]
}

/// The first reads of an execution with a successor: the user still
/// exists, the successor's id, the rotation to rewrite.
fn handover_start() -> Vec<script::Step> {
    vec![
        get("/v2/users/u-l", data(leaver())),
        get(
            "/v2/users/successor@x.com",
            data(json!({"id": "u-s", "username": "successor@x.com"})),
        ),
        get(
            "/v2/schedules/s-1/rotations/rot-1?scheduleIdentifierType=id",
            data(rotation_1()),
        ),
    ]
}

/// Executes `plan` with the successor `successor@x.com`.
async fn hand_over(
    c: &opsgenie_users::Client,
    plan: &OffboardingPlan,
) -> opsgenie_users::api::offboard::OffboardingReport {
    c.offboarding()
        .execute(plan)
        .successor("successor@x.com")
        .await
        .unwrap()
}

/// Typed steps or blockers as the lines their `Display` gives.
fn strings<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn plan_refuse_hand_over_delete_then_noop() {
    // 1. Plan: reads only.
    let (c, script) = Script::client(plan_reads());
    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    script.assert_done();
    assert_eq!(script.take_seen().len(), 9);
    assert_eq!(
        serde_json::to_value(&plan).unwrap(),
        json!({
            "user": {"id": "u-l", "username": "leaver@x.com", "role": "User"},
            "teams": [
                {"id": "t-sre", "name": "sre", "role": "admin", "only_admin": true},
                {"id": "t-ops", "name": "ops", "role": "user", "only_admin": false}
            ],
            "rotations": [{"schedule_id": "s-1", "schedule_name": "sre_schedule",
                "rotation_id": "rot-1", "rotation_name": "weekly", "slots": 2}],
            "escalations": [{"id": "e-1", "name": "sre_escalation", "rules": [0]}],
            "forwarding_rules": [{"id": "f-1", "alias": "vacation", "from_user": true}],
            "overrides": [{"schedule_id": "s-1", "schedule_name": "sre_schedule", "alias": "cover"}],
            "unreadable": [],
            "sole_owner": false
        })
    );
    assert_eq!(
        plan.blockers(),
        vec![
            Blocker::Rotation {
                schedule_id: "s-1".into(),
                rotation_id: "rot-1".into()
            },
            Blocker::Escalation {
                escalation_id: "e-1".into()
            },
            Blocker::OnlyTeamAdmin {
                team_id: "t-sre".into(),
                team_name: "sre".into()
            },
        ]
    );
    // An override is a warning: whether it blocks the delete is unverified.
    assert_eq!(
        plan.warnings(),
        [
            "forwarding rule vacation from the user stops",
            "override cover of schedule sre_schedule names the user (not known to block the delete)"
        ]
    );
    // The plan survives a JSON round trip (a tool stores it for approval).
    let plan: OffboardingPlan =
        serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();

    // 2. Without a successor the blockers remain: refused, nothing sent.
    let err = c.offboarding().execute(&plan).await.unwrap_err();
    match &err {
        Error::Blocked { blockers, .. } => {
            assert_eq!(
                strings(blockers),
                &[
                    "in rotation rot-1 of schedule s-1",
                    "notified by escalation e-1",
                    "the only admin of team sre"
                ]
            );
            // Typed: the same blockers the plan lists.
            assert_eq!(blockers, &plan.blockers());
        }
        other => panic!("{other:?}"),
    }
    assert!(script.take_seen().is_empty(), "a refused run sends nothing");

    // 3. With a successor: hand over, leave teams, delete.
    let mut handed_rotation = rotation_1();
    handed_rotation["participants"] = json!([
        {"type": "user", "id": "u-s"},
        {"type": "user", "id": "u-o", "username": "other@x.com"},
        {"type": "user", "id": "u-s"}
    ]);
    let mut handed_rules = escalation_1()["rules"].clone();
    handed_rules[0]["recipient"] = json!({"type": "user", "id": "u-s"});
    script.push(handover_start());
    script.push(vec![
        step(
            "PATCH",
            "/v2/schedules/s-1/rotations/rot-1?scheduleIdentifierType=id",
            Some(json!({"participants": handed_rotation["participants"]})),
            200,
            written("Updated"),
        ),
        get(
            "/v2/escalations/e-1?identifierType=id",
            data(escalation_1()),
        ),
        step(
            "PATCH",
            "/v2/escalations/e-1?identifierType=id",
            Some(json!({"rules": handed_rules})),
            200,
            written("Updated"),
        ),
        // The successor becomes admin of sre before the leaver leaves it.
        get(
            "/v2/teams/t-sre?identifierType=id",
            data(json!({"id": "t-sre", "name": "sre", "members": [
            {"user": {"id": "u-o", "username": "other@x.com"}, "role": "user"},
            {"user": {"id": "u-l", "username": "leaver@x.com"}, "role": "admin"}]})),
        ),
        step(
            "POST",
            "/v2/teams/t-sre/members?teamIdentifierType=id",
            Some(json!({"user": {"id": "u-s"}, "role": "admin"})),
            200,
            written("Added"),
        ),
        // Nothing listed any more: the irreversible steps may start.
        get("/v2/users/u-l/schedules", data(json!([]))),
        get("/v2/users/u-l/escalations", data(json!([]))),
        step(
            "DELETE",
            "/v2/teams/t-sre/members/u-l?teamIdentifierType=id&memberIdentifierType=id",
            None,
            200,
            written("Removed"),
        ),
        step(
            "DELETE",
            "/v2/teams/t-ops/members/u-l?teamIdentifierType=id&memberIdentifierType=id",
            None,
            200,
            written("Removed"),
        ),
        step("DELETE", "/v2/users/u-l", None, 200, written("Deleted")),
    ]);
    let report = hand_over(&c, &plan).await;
    script.assert_done();
    assert!(report.deleted);
    assert_eq!(report.successor.as_ref().map(|s| s.as_str()), Some("u-s"));
    assert!(
        report.steps.iter().all(|s| s.outcome == StepOutcome::Done),
        "{report:?}"
    );
    assert_eq!(
        serde_json::to_value(&report.steps[2].step).unwrap(),
        json!({"kind": "keep_team_admin", "team_id": "t-sre", "team_name": "sre"})
    );
    assert_eq!(
        report
            .steps
            .iter()
            .map(|s| s.step.to_string())
            .collect::<Vec<_>>(),
        [
            "hand over rotation rot-1 of schedule s-1",
            "hand over escalation e-1",
            "make the successor admin of team sre",
            "check that no schedule or escalation lists the user",
            "leave team sre",
            "leave team ops",
            "delete the user"
        ]
    );
    script.take_seen();

    // 4. The same plan again: the user is gone, nothing is written.
    script.push(vec![step(
        "GET",
        "/v2/users/u-l",
        None,
        404,
        error("User not found"),
    )]);
    let again = hand_over(&c, &plan).await;
    script.assert_done();
    assert_eq!(script.take_seen(), ["GET /v2/users/u-l"]);
    assert!(again.is_noop() && again.deleted);
    assert_eq!(again.steps.len(), 7);
}

#[tokio::test]
async fn dry_run_reads_but_never_writes() {
    let (c, script) = Script::client(plan_reads());
    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    script.push(handover_start());
    script.push(vec![get(
        "/v2/escalations/e-1?identifierType=id",
        data(escalation_1()),
    )]);
    let report = c
        .offboarding()
        .execute(&plan)
        .successor("successor@x.com")
        .dry_run(true)
        .await
        .unwrap();
    script.assert_done();
    assert!(report.dry_run && !report.deleted);
    assert!(
        report
            .steps
            .iter()
            .all(|s| s.outcome == StepOutcome::WouldDo),
        "{report:?}"
    );
}

/// A plan with one team membership and nothing blocking.
fn simple_plan() -> OffboardingPlan {
    serde_json::from_value(json!({
        "user": {"id": "u-l", "username": "leaver@x.com"},
        "teams": [{"id": "t-ops", "name": "ops", "role": "user", "only_admin": false}],
        "rotations": [], "escalations": [], "forwarding_rules": [], "sole_owner": false
        // `overrides` and `unreadable` default to empty (a plan stored before they existed).
    }))
    .unwrap()
}

/// The re-read before the irreversible steps: nothing listed.
fn nothing_listed() -> Vec<script::Step> {
    vec![
        get("/v2/users/u-l/schedules", data(json!([]))),
        get("/v2/users/u-l/escalations", data(json!([]))),
    ]
}

/// The user still exists (and, when the user is to be deleted, nothing
/// lists them); leaving team ops answers 404 (already left).
fn left_ops_already(delete: bool) -> Vec<script::Step> {
    let mut v = vec![get("/v2/users/u-l", data(leaver()))];
    if delete {
        v.extend(nothing_listed());
    }
    v.extend([step(
        "DELETE",
        "/v2/teams/t-ops/members/u-l?teamIdentifierType=id&memberIdentifierType=id",
        None,
        404,
        error("Member not found"),
    )]);
    v
}

#[tokio::test]
async fn a_refused_delete_is_typed_and_already_done_steps_succeed() {
    let plan = simple_plan();
    let (c, script) = Script::client(vec![
        get("/v2/users/u-l", data(leaver())),
        get("/v2/users/u-l/schedules", data(json!([]))),
        get("/v2/users/u-l/escalations", data(json!([]))),
        step(
            "DELETE",
            "/v2/teams/t-ops/members/u-l?teamIdentifierType=id&memberIdentifierType=id",
            None,
            200,
            written("Removed"),
        ),
        step(
            "DELETE",
            "/v2/users/u-l",
            None,
            422,
            error("User is in escalation [sre_escalation], can not be deleted"),
        ),
    ]);
    let err = c.offboarding().execute(&plan).await.unwrap_err();
    script.assert_done();
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
                    "check that no schedule or escalation lists the user: Done",
                    "leave team ops: Done"
                ]
            );
            assert_eq!(strings(not_applied), &["delete the user"]);
            assert_eq!(
                not_applied,
                &[Step::from(OffboardingStep::DeleteUser)],
                "typed steps"
            );
            match &**cause {
                Error::DeleteBlocked(e) => assert_eq!(e.status.as_u16(), 422),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.message(),
        Some("User is in escalation [sre_escalation], can not be deleted")
    );

    // Run again after the blocker was cleared by hand: the team was already
    // left (404 counts as done), a 428 is refused the same way when nothing
    // was written before it.
    script.push(left_ops_already(true));
    script.push(vec![step(
        "DELETE",
        "/v2/users/u-l",
        None,
        428,
        error("User is used by schedule sre_schedule"),
    )]);
    let err = c.offboarding().execute(&plan).await.unwrap_err();
    script.assert_done();
    assert!(
        matches!(&err, Error::DeleteBlocked(e) if e.status.as_u16() == 428),
        "{err:?}"
    );
    assert_eq!(err.message(), Some("User is used by schedule sre_schedule"));

    // Keeping the user: leaves teams only.
    script.push(left_ops_already(false));
    let report = c.offboarding().execute(&plan).delete(false).await.unwrap();
    script.assert_done();
    assert_eq!(report.steps.len(), 1);
    assert_eq!(
        report.steps[0].step,
        OffboardingStep::LeaveTeam {
            team_id: "t-ops".into(),
            team_name: "ops".into()
        }
    );
    assert!(report.is_noop() && !report.deleted);
}

#[tokio::test]
async fn the_sole_owner_blocks_even_with_a_successor() {
    let owner =
        json!({"id": "u-l", "username": "leaver@x.com", "role": {"id": "Owner", "name": "Owner"}});
    let (c, script) = Script::client(vec![
        get("/v2/users/leaver@x.com", data(owner.clone())),
        get("/v2/users/u-l/teams", data(json!([]))),
        get("/v2/users/u-l/schedules", data(json!([]))),
        get("/v2/users/u-l/escalations", data(json!([]))),
        get("/v2/users/u-l/forwarding-rules", data(json!([]))),
        get(
            "/v2/users?offset=0&limit=100&query=role%3AOwner",
            json!({
            "data": [owner, {"id": "u-a", "username": "admin@x.com", "role": {"id": "Admin", "name": "Admin"}}],
            "totalCount": 2, "took": 0.1, "requestId": "r"}),
        ),
    ]);
    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    script.assert_done();
    script.take_seen();
    assert!(plan.sole_owner);
    assert_eq!(plan.blockers(), [Blocker::SoleOwner]);
    let err = c
        .offboarding()
        .execute(&plan)
        .successor("successor@x.com")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Blocked { blockers, .. } if strings(blockers) == ["the account's only Owner"] && blockers == &[Blocker::SoleOwner]),
        "{err:?}"
    );
    assert!(script.take_seen().is_empty());

    // Accepting the blocker sends the delete, and the server's refusal comes back typed.
    script.push(vec![
        get(
            "/v2/users/u-l",
            data(json!({"id": "u-l", "username": "leaver@x.com"})),
        ),
        step(
            "DELETE",
            "/v2/users/u-l",
            None,
            422,
            error("The only owner can not be deleted"),
        ),
    ]);
    let err = c
        .offboarding()
        .execute(&plan)
        .accept_blockers(true)
        .await
        .unwrap_err();
    script.assert_done();
    assert!(matches!(err, Error::DeleteBlocked(_)), "{err:?}");
}

/// The whole workflow against the embedded simulator: real-shaped answers,
/// the server's own 422 while the user is still referenced, and the state
/// read back from the server at the end.
#[tokio::test]
async fn offboarding_against_the_simulator() {
    use opsgenie_users::models::team::{TeamCreate, TeamRole};
    use opsgenie_users::models::user::UserCreate;
    use opsgenie_users::{ApiRequest, Domain};
    use opsgenie_users_sim::Server;

    let server = Server::start().await.unwrap();
    let c = server.client();
    let leaver = c
        .users()
        .create(UserCreate::new("leaver@x.com", "Lea Ver"))
        .await
        .unwrap();
    let succ = c
        .users()
        .create(UserCreate::new("successor@x.com", "Suc Cessor"))
        .await
        .unwrap();
    let other = c
        .users()
        .create(UserCreate::new("other@x.com", "Oth Er"))
        .await
        .unwrap();
    c.teams()
        .create(
            TeamCreate::new("sre")
                .member("leaver@x.com", TeamRole::Admin)
                .member("other@x.com", TeamRole::User),
        )
        .await
        .unwrap();
    let user = |id: &opsgenie_users::UserId| json!({"type": "user", "id": id.as_str()});
    c.send(ApiRequest::post(Domain::Configuration).path("v2/schedules").json(&json!({
        "name": "payments_rota", "timezone": "Europe/Berlin",
        "rotations": [{"name": "weekly", "type": "weekly", "startDate": "2026-01-05T09:00:00Z",
            "participants": [user(&leaver.id), user(&other.id)]}]
    })))
    .await
    .unwrap();
    c.send(
        ApiRequest::post(Domain::Configuration)
            .path("v2/escalations")
            .json(&json!({
                "name": "payments_escalation",
                "rules": [{"condition": "if-not-acked", "notifyType": "default",
                    "delay": {"timeAmount": 0}, "recipient": user(&leaver.id)}]
            })),
    )
    .await
    .unwrap();

    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    assert_eq!(plan.user.id, leaver.id);
    assert_eq!(plan.teams.len(), 1);
    assert!(plan.teams[0].only_admin);
    assert_eq!(plan.rotations.len(), 1);
    assert_eq!(plan.rotations[0].slots, 1);
    assert_eq!(plan.escalations[0].rules, [0]);
    assert!(!plan.sole_owner);

    // Accepting the blockers without a successor: the server refuses the delete.
    let err = c
        .offboarding()
        .execute(&plan)
        .accept_blockers(true)
        .await
        .unwrap_err();
    match &err {
        Error::PartiallyApplied { cause, .. } => {
            assert!(matches!(**cause, Error::DeleteBlocked(_)), "{cause:?}")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.message().is_some(),
        "the server's message is kept: {err:?}"
    );
    assert!(server.user("leaver@x.com").is_some());

    let report = hand_over(&c, &plan).await;
    assert!(report.deleted);
    // The team was already left by the refused run; the successor is its admin now.
    assert_eq!(
        report.steps[4].outcome,
        StepOutcome::AlreadyDone,
        "{report:?}"
    );
    assert_eq!(report.steps[2].outcome, StepOutcome::Done, "{report:?}");
    let sre = c.teams().get("sre").await.unwrap();
    assert_eq!(sre.admins().count(), 1);
    assert!(sre
        .member(&opsgenie_users::UserRef::from(&succ.id))
        .is_some());
    assert!(server.user("leaver@x.com").is_none());
    let schedules = server.schedules();
    let rotation = &schedules
        .iter()
        .find(|s| s.name == "payments_rota")
        .unwrap()
        .rotations[0];
    let ids: Vec<_> = rotation
        .participants
        .iter()
        .map(|p| p.id.clone().unwrap())
        .collect();
    assert_eq!(ids, [succ.id.to_string(), other.id.to_string()]);
    let escalations = server.escalations();
    let esc = escalations
        .iter()
        .find(|e| e.name == "payments_escalation")
        .unwrap();
    assert_eq!(esc.rules[0].recipient.id.as_deref(), Some(succ.id.as_str()));
    assert_eq!(esc.rules[0].condition.as_deref(), Some("if-not-acked"));

    server.clear_requests();
    assert!(hand_over(&c, &plan).await.is_noop());
    let methods: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET"], "a second run only looks the user up");
    server.shutdown().await;
}

/// A team deleted since the listing is skipped (no membership left), but a
/// schedule the server lists for the user is never dropped: rotations that
/// cannot be read (404 or another error) make it a blocker with the reason.
/// Fails before the fix: the schedule was dropped as "deleted meanwhile".
#[tokio::test]
async fn plan_blocks_on_a_schedule_that_cannot_be_read() {
    let (c, script) = Script::client(vec![
        get("/v2/users/u-l", data(leaver())),
        get(
            "/v2/users/u-l/teams",
            data(json!([{"id": "t-gone", "name": "gone"}])),
        ),
        step(
            "GET",
            "/v2/teams/t-gone?identifierType=id",
            None,
            404,
            error("Team not found"),
        ),
        get(
            "/v2/users/u-l/schedules",
            data(json!([{"id": "s-gone", "name": "gone"}, {"id": "s-5xx", "name": "flaky"}])),
        ),
        step(
            "GET",
            "/v2/schedules/s-gone/rotations?scheduleIdentifierType=id",
            None,
            404,
            error("Schedule not found"),
        ),
        step(
            "GET",
            "/v2/schedules/s-5xx/rotations?scheduleIdentifierType=id",
            None,
            403,
            error("Forbidden"),
        ),
        get(
            "/v2/users/u-l/escalations",
            data(json!([{"id": "e-9", "name": "hidden"}])),
        ),
        step(
            "GET",
            "/v2/escalations/e-9?identifierType=id",
            None,
            404,
            error("Escalation not found"),
        ),
        get("/v2/users/u-l/forwarding-rules", data(json!([]))),
    ]);
    let plan = c
        .offboarding()
        .plan(opsgenie_users::UserRef::id("u-l"))
        .await
        .unwrap();
    script.assert_done();
    assert_eq!(script.take_seen().len(), 9);
    assert!(plan.teams.is_empty() && plan.rotations.is_empty());
    let blockers = plan.blockers();
    assert_eq!(blockers.len(), 3, "{blockers:?}");
    assert!(
        matches!(&blockers[0], Blocker::UnreadableSchedule { schedule_id, reason }
            if schedule_id == "s-gone" && reason.contains("Schedule not found")),
        "{blockers:?}"
    );
    assert!(
        matches!(&blockers[1], Blocker::UnreadableSchedule { schedule_id, reason }
            if schedule_id == "s-5xx" && reason.contains("Forbidden")),
        "{blockers:?}"
    );
    assert!(
        matches!(&blockers[2], Blocker::UnreadableEscalation { escalation_id, .. } if escalation_id == "e-9"),
        "{blockers:?}"
    );
    // A successor cannot clear them: refused before anything is sent.
    let err = c
        .offboarding()
        .execute(&plan)
        .successor("successor@x.com")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Blocked { blockers: b, .. } if b == &blockers),
        "{err:?}"
    );
    assert!(script.take_seen().is_empty(), "nothing was sent");
}

/// The handover wrote, but the server still lists the user on a schedule:
/// the run stops before leaving any team or deleting, with a typed error
/// listing what remains. Fails before the fix: the run left the team and
/// the delete was refused.
#[tokio::test]
async fn execution_stops_before_the_irreversible_steps_when_still_listed() {
    let (c, script) = Script::client(plan_reads());
    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    script.take_seen();
    let mut handed_rules = escalation_1()["rules"].clone();
    handed_rules[0]["recipient"] = json!({"type": "user", "id": "u-s"});
    script.push(handover_start());
    let handed = json!([
        {"type": "user", "id": "u-s"},
        {"type": "user", "id": "u-o", "username": "other@x.com"},
        {"type": "user", "id": "u-s"}
    ]);
    script.push(vec![
        step(
            "PATCH",
            "/v2/schedules/s-1/rotations/rot-1?scheduleIdentifierType=id",
            Some(json!({"participants": handed})),
            200,
            written("Updated"),
        ),
        get(
            "/v2/escalations/e-1?identifierType=id",
            data(escalation_1()),
        ),
        step(
            "PATCH",
            "/v2/escalations/e-1?identifierType=id",
            Some(json!({"rules": handed_rules})),
            200,
            written("Updated"),
        ),
        get(
            "/v2/teams/t-sre?identifierType=id",
            data(json!({"id": "t-sre", "name": "sre", "members": [
            {"user": {"id": "u-s", "username": "successor@x.com"}, "role": "admin"},
            {"user": {"id": "u-l", "username": "leaver@x.com"}, "role": "admin"}]})),
        ),
        get(
            "/v2/users/u-l/schedules",
            data(json!([{"id": "s-2", "name": "hidden_schedule"}])),
        ),
        get("/v2/users/u-l/escalations", data(json!([]))),
    ]);
    let err = c
        .offboarding()
        .execute(&plan)
        .successor("successor@x.com")
        .await
        .unwrap_err();
    script.assert_done();
    let seen = script.take_seen();
    assert!(
        !seen.iter().any(|r| r.starts_with("DELETE")),
        "no team left, no user deleted: {seen:?}"
    );
    match &err {
        Error::PartiallyApplied {
            applied,
            not_applied,
            cause,
            ..
        } => {
            assert_eq!(
                strings(applied),
                [
                    "hand over rotation rot-1 of schedule s-1: Done",
                    "hand over escalation e-1: Done",
                    // The successor was already an admin too.
                    "make the successor admin of team sre: AlreadyDone"
                ]
            );
            assert_eq!(
                strings(not_applied),
                [
                    "check that no schedule or escalation lists the user",
                    "leave team sre",
                    "leave team ops",
                    "delete the user"
                ]
            );
            assert!(
                matches!(&**cause, Error::Blocked { blockers, .. }
                    if blockers == &[Blocker::Schedule { schedule_id: "s-2".into() }]),
                "{cause:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Without a successor, a team whose only admin leaves is a blocker.
#[tokio::test]
async fn an_only_admin_without_a_successor_blocks() {
    let plan: OffboardingPlan = serde_json::from_value(json!({
        "user": {"id": "u-l", "username": "leaver@x.com"},
        "teams": [{"id": "t-sre", "name": "sre", "role": "admin", "only_admin": true}],
        "rotations": [], "escalations": [], "forwarding_rules": [], "sole_owner": false
    }))
    .unwrap();
    let (c, script) = Script::client(vec![]);
    let err = c.offboarding().execute(&plan).await.unwrap_err();
    assert!(
        matches!(&err, Error::Blocked { blockers, .. }
            if strings(blockers) == ["the only admin of team sre"]),
        "{err:?}"
    );
    assert!(script.take_seen().is_empty());
}
