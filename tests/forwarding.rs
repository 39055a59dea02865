//! Forwarding rules (`/v2/forwarding-rules`) and what offboarding does with
//! them, plus the offboarding stand-in from issue 11 (a schedule whose
//! rotations answer 404), against a mock server: method, path, exact query,
//! headers and exact bodies.
mod common;
use common::expect;

use httpmock::prelude::*;
use httpmock::Mock;
use opsgenie_users::api::offboard::{Blocker, OffboardingPlan, StepOutcome};
use opsgenie_users::models::forwarding::{ForwardingRuleUpdate, UserMeta};
use opsgenie_users::{Error, ForwardingRuleRef};
use serde_json::{json, Value};

fn data(v: Value) -> Value {
    json!({"data": v, "took": 0.1, "requestId": "rq-1"})
}

fn done(r: &str) -> Value {
    json!({"result": r, "took": 0.1, "requestId": "rq-2"})
}

fn rule() -> Value {
    json!({"id": "f-1", "alias": "vacation",
        "fromUser": {"id": "u-o", "username": "other@x.com"},
        "toUser": {"id": "u-l", "username": "leaver@x.com"},
        "startDate": "2026-02-01T00:00:00Z", "endDate": "2026-02-08T00:00:00Z"})
}

#[tokio::test]
async fn get_list_update_delete_send_the_documented_requests() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let rules = c.forwarding_rules();

    let by_alias = expect(
        &s,
        GET,
        "/v2/forwarding-rules/vacation",
        &[("identifierType", "alias")],
        None,
        200,
        data(rule()),
    )
    .await;
    let r = rules.get("vacation").await.unwrap();
    by_alias.assert_async().await;
    assert_eq!(r.id, "f-1");
    assert_eq!(r.to_user.as_ref().unwrap().id.as_ref().unwrap(), "u-l");

    let by_id = expect(
        &s,
        GET,
        "/v2/forwarding-rules/f-1",
        &[("identifierType", "id")],
        None,
        200,
        data(rule()),
    )
    .await;
    rules.get(&r.id).await.unwrap();
    by_id.assert_async().await;

    let list = expect(
        &s,
        GET,
        "/v2/forwarding-rules",
        &[],
        None,
        200,
        data(json!([rule()])),
    )
    .await;
    assert_eq!(rules.list().await.unwrap().len(), 1);
    list.assert_async().await;

    // The update is the complete rule with only toUser changed.
    let put = expect(
        &s,
        PUT,
        "/v2/forwarding-rules/f-1",
        &[("identifierType", "id")],
        Some(json!({"fromUser": {"id": "u-o", "username": "other@x.com"},
            "toUser": {"username": "cover@x.com"},
            "startDate": "2026-02-01T00:00:00Z", "endDate": "2026-02-08T00:00:00Z"})),
        200,
        done("Updated"),
    )
    .await;
    let update = ForwardingRuleUpdate::from_rule(&r)
        .unwrap()
        .to_user(UserMeta::username("cover@x.com"));
    rules
        .update(ForwardingRuleRef::id("f-1"), update)
        .await
        .unwrap();
    put.assert_async().await;

    let del = expect(
        &s,
        DELETE,
        "/v2/forwarding-rules/vacation",
        &[("identifierType", "alias")],
        None,
        200,
        done("Deleted"),
    )
    .await;
    rules
        .delete(ForwardingRuleRef::alias("vacation"))
        .await
        .unwrap();
    del.assert_async().await;

    // A 404 is typed, not a panic or an empty rule.
    let missing = expect(
        &s,
        GET,
        "/v2/forwarding-rules/nope",
        &[("identifierType", "alias")],
        None,
        404,
        json!({"message": "Forwarding rule not found", "took": 0.1, "requestId": "rq-3"}),
    )
    .await;
    let err = rules.get("nope").await.unwrap_err();
    missing.assert_async().await;
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err:?}");
}

/// A plan with one forwarding rule to the leaver and nothing blocking.
fn forwarding_plan() -> OffboardingPlan {
    serde_json::from_value(json!({
        "user": {"id": "u-l", "username": "leaver@x.com"},
        "teams": [], "rotations": [], "escalations": [],
        "forwarding_rules": [{"id": "f-1", "alias": "vacation", "from_user": false}],
        "sole_owner": false
    }))
    .unwrap()
}

/// The reads every execution with a successor starts with.
async fn execution_reads(s: &MockServer) -> Vec<Mock<'_>> {
    vec![
        expect(
            s,
            GET,
            "/v2/users/u-l",
            &[],
            None,
            200,
            data(json!({"id": "u-l", "username": "leaver@x.com"})),
        )
        .await,
        expect(
            s,
            GET,
            "/v2/users/successor@x.com",
            &[],
            None,
            200,
            data(json!({"id": "u-s", "username": "successor@x.com"})),
        )
        .await,
        expect(
            s,
            GET,
            "/v2/users/u-l/schedules",
            &[],
            None,
            200,
            data(json!([])),
        )
        .await,
        expect(
            s,
            GET,
            "/v2/users/u-l/escalations",
            &[],
            None,
            200,
            data(json!([])),
        )
        .await,
    ]
}

/// Fails before the fix: offboarding only warned about the rule.
#[tokio::test]
async fn offboarding_redirects_a_rule_to_the_user_to_the_successor() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let reads = execution_reads(&s).await;
    let get = expect(
        &s,
        GET,
        "/v2/forwarding-rules/f-1",
        &[("identifierType", "id")],
        None,
        200,
        data(rule()),
    )
    .await;
    let put = expect(
        &s,
        PUT,
        "/v2/forwarding-rules/f-1",
        &[("identifierType", "id")],
        Some(json!({"fromUser": {"id": "u-o", "username": "other@x.com"},
            "toUser": {"id": "u-s"},
            "startDate": "2026-02-01T00:00:00Z", "endDate": "2026-02-08T00:00:00Z"})),
        200,
        done("Updated"),
    )
    .await;
    let delete = expect(&s, DELETE, "/v2/users/u-l", &[], None, 200, done("Deleted")).await;
    let report = c
        .offboarding()
        .execute(&forwarding_plan())
        .successor("successor@x.com")
        .await
        .unwrap();
    for m in &reads {
        m.assert_async().await;
    }
    get.assert_async().await;
    put.assert_async().await;
    delete.assert_async().await;
    assert!(report.deleted);
    let lines: Vec<String> = report.steps.iter().map(|s| s.step.to_string()).collect();
    assert_eq!(
        lines,
        [
            "check that no schedule or escalation lists the user",
            "redirect forwarding rule f-1 to the successor",
            "delete the user"
        ]
    );
    assert!(report.steps.iter().all(|s| s.outcome == StepOutcome::Done));
}

#[tokio::test]
async fn offboarding_deletes_a_rule_to_the_user_when_asked() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let reads = execution_reads(&s).await;
    let del_rule = expect(
        &s,
        DELETE,
        "/v2/forwarding-rules/f-1",
        &[("identifierType", "id")],
        None,
        200,
        done("Deleted"),
    )
    .await;
    let del_user = expect(&s, DELETE, "/v2/users/u-l", &[], None, 200, done("Deleted")).await;
    let report = c
        .offboarding()
        .execute(&forwarding_plan())
        .successor("successor@x.com")
        .delete_forwarding(true)
        .await
        .unwrap();
    for m in &reads {
        m.assert_async().await;
    }
    del_rule.assert_async().await;
    del_user.assert_async().await;
    assert_eq!(
        report.steps[1].step.to_string(),
        "delete forwarding rule f-1"
    );
    assert!(report.deleted);
}

/// The stand-in from issue 11: the user is on two schedules, one schedule's
/// rotations answer 404, and the user is the only admin of a team. Before
/// the fix the plan dropped that schedule, the run took the user out of the
/// team and the delete failed with 422. Now the plan names it as a blocker
/// (with the reason) and the run is refused before anything is written.
#[tokio::test]
async fn standin_unreadable_schedule_blocks_and_nothing_is_written() {
    let s = MockServer::start_async().await;
    let c = common::client(&s.base_url());
    let leaver = json!({"id": "u-l", "username": "leaver@x.com",
        "role": {"id": "User", "name": "User"}});
    expect(
        &s,
        GET,
        "/v2/users/leaver@x.com",
        &[],
        None,
        200,
        data(leaver),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/users/u-l/teams",
        &[],
        None,
        200,
        data(json!([{"id": "t-p", "name": "Platform"}])),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/teams/t-p",
        &[("identifierType", "id")],
        None,
        200,
        data(json!({"id": "t-p", "name": "Platform", "members": [
            {"user": {"id": "u-l", "username": "leaver@x.com"}, "role": "admin"},
            {"user": {"id": "u-o", "username": "other@x.com"}, "role": "user"}]})),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/users/u-l/schedules",
        &[],
        None,
        200,
        data(json!([{"id": "s-1", "name": "day"}, {"id": "s-2", "name": "night"}])),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/schedules/s-1/rotations",
        &[("scheduleIdentifierType", "id")],
        None,
        200,
        data(json!([{"id": "r-1", "name": "weekly", "type": "weekly",
            "participants": [{"type": "user", "id": "u-l"}]}])),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/schedules/s-1/overrides",
        &[("scheduleIdentifierType", "id")],
        None,
        200,
        data(json!([])),
    )
    .await;
    let night = expect(
        &s,
        GET,
        "/v2/schedules/s-2/rotations",
        &[("scheduleIdentifierType", "id")],
        None,
        404,
        json!({"message": "Schedule not found", "took": 0.1, "requestId": "rq-9"}),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/users/u-l/escalations",
        &[],
        None,
        200,
        data(json!([])),
    )
    .await;
    expect(
        &s,
        GET,
        "/v2/users/u-l/forwarding-rules",
        &[],
        None,
        200,
        data(json!([])),
    )
    .await;
    // Any write fails the test.
    let writes = s
        .mock_async(|when, then| {
            when.is_true(|req| req.method() != "GET");
            then.status(500);
        })
        .await;

    let plan = c.offboarding().plan("leaver@x.com").await.unwrap();
    night.assert_async().await;
    let blockers = plan.blockers();
    assert_eq!(blockers.len(), 3, "{blockers:?}");
    assert!(matches!(&blockers[0], Blocker::Rotation { schedule_id, .. } if schedule_id == "s-1"));
    assert!(
        matches!(&blockers[1], Blocker::UnreadableSchedule { schedule_id, reason }
            if schedule_id == "s-2" && reason.contains("Schedule not found")),
        "{blockers:?}"
    );
    assert_eq!(blockers[2].to_string(), "the only admin of team Platform");

    // `--yes` with a successor: the unreadable schedule still blocks.
    let err = c
        .offboarding()
        .execute(&plan)
        .successor("other@x.com")
        .await
        .unwrap_err();
    match &err {
        Error::Blocked { blockers, .. } => {
            assert_eq!(blockers.len(), 1, "{blockers:?}");
            assert!(matches!(&blockers[0], Blocker::UnreadableSchedule { .. }));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(writes.calls_async().await, 0, "nothing was written");
}
