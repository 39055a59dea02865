//! Every teams / roles / contacts / rotations / escalations / offboarding
//! call sent to Prism (the official spec in mock mode): the spec must accept
//! each request. Run with `scripts/test.sh --test contract_teams`.
//! Prism invents response values, so results are not checked here.
mod common;

use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
use opsgenie_users::models::schedule::Participant;
use opsgenie_users::models::team::{TeamCreate, TeamRight, TeamRole, TeamRoleWrite, TeamUpdate};
use opsgenie_users::{CustomRoleRef, EscalationRef, ScheduleRef, TeamRef, TeamRoleRef, UserRef};

#[tokio::test]
async fn team_calls_match_the_spec() {
    let Some((c, v)) = common::prism_client() else {
        return;
    };
    let t = c.teams();
    let _ = t
        .create(
            TeamCreate::new("sre")
                .description("d")
                .member("a@x.com", TeamRole::Admin)
                .member(UserRef::id("u-1"), TeamRole::User),
        )
        .await;
    let _ = t.get(TeamRef::name("sre")).await;
    let _ = t.get(TeamRef::id("t-1")).await;
    let _ = t.list().await;
    let _ = t
        .update(
            TeamRef::id("t-1"),
            TeamUpdate::new().name("n").description("d"),
        )
        .await;
    let _ = t.delete(TeamRef::name("sre")).await;
    let _ = t
        .add_member(TeamRef::name("sre"), "a+b@x.com", TeamRole::Admin)
        .await;
    let _ = t
        .add_member(
            TeamRef::id("t-1"),
            UserRef::id("u-1"),
            TeamRole::Custom("Lead".into()),
        )
        .await;
    let _ = t.remove_member(TeamRef::name("sre"), "a@x.com").await;
    let _ = t
        .remove_member(TeamRef::id("t-1"), UserRef::id("u-1"))
        .await;
    let r = t.roles(TeamRef::name("sre"));
    let _ = r
        .create(TeamRoleWrite::new("Lead").right(TeamRight::granted("manage-members")))
        .await;
    let _ = r.list().await;
    let _ = r.get(TeamRoleRef::name("Lead")).await;
    let _ = r
        .update(TeamRoleRef::id("tr-1"))
        .right(TeamRight::denied("x"))
        .await;
    let _ = r.delete(TeamRoleRef::name("Lead")).await;
    v.assert_none();
}

#[tokio::test]
async fn role_and_contact_calls_match_the_spec() {
    let Some((c, v)) = common::prism_client() else {
        return;
    };
    let _ = c
        .roles()
        .create(
            CustomRoleWrite::new("Ops")
                .extended_role(ExtendedRole::User)
                .grant("logs-page-access")
                .disallow("x"),
        )
        .await;
    let _ = c.roles().get(CustomRoleRef::name("Ops")).await;
    let _ = c.roles().list().await;
    let _ = c
        .roles()
        .update(CustomRoleRef::id("r-1"))
        .name("Ops2")
        .await;
    let _ = c.roles().delete(CustomRoleRef::name("Ops2")).await;
    let h = c.contacts("a+b@x.com");
    let _ = h
        .create(ContactCreate::new(ContactMethod::Sms, "1-5555550100"))
        .await;
    let _ = h.list().await;
    let _ = h.get("c-1").await;
    let _ = h.update("c-1", "1-5555550199").await;
    let _ = h.enable("c-1").await;
    let _ = h.disable("c-1").await;
    let _ = h.delete("c-1").await;
    v.assert_none();
}

#[tokio::test]
async fn rotation_and_escalation_calls_match_the_spec() {
    let Some((c, v)) = common::prism_client() else {
        return;
    };
    let r = c.schedules().rotations(ScheduleRef::name("sre schedule"));
    let _ = r.list().await;
    let _ = r.get("rot-1").await;
    let _ = r
        .set_participants("rot-1", vec![Participant::user_id("u-1")])
        .await;
    let _ = c.escalations().list().await;
    let _ = c
        .escalations()
        .get(EscalationRef::name("sre_escalation"))
        .await;
    let e: opsgenie_users::models::schedule::EscalationRule =
        serde_json::from_value(serde_json::json!({
            "condition": "if-not-acked", "notifyType": "default",
            "delay": {"timeAmount": 5, "timeUnit": "minutes"},
            "recipient": {"type": "user", "id": "u-1", "username": "a@x.com"}
        }))
        .unwrap();
    let _ = c
        .escalations()
        .set_rules(EscalationRef::id("e-1"), vec![e])
        .await;
    v.assert_none();
}

#[tokio::test]
async fn offboarding_and_role_listing_match_the_spec() {
    let Some((c, v)) = common::prism_client() else {
        return;
    };
    let _ = c.roles().all().await;
    let _ = c.offboarding().plan("leaver@x.com").await;
    let plan: opsgenie_users::api::offboard::OffboardingPlan =
        serde_json::from_value(serde_json::json!({
            "user": {"id": "u-l", "username": "leaver@x.com"},
            "teams": [{"id": "t-ops", "name": "ops", "role": "user", "only_admin": false}],
            "rotations": [{"schedule_id": "s-1", "rotation_id": "rot-1", "slots": 1}],
            "escalations": [{"id": "e-1", "rules": [0]}],
            "forwarding_rules": [], "sole_owner": true
        }))
        .unwrap();
    let _ = c
        .offboarding()
        .execute(&plan)
        .successor("successor@x.com")
        .accept_blockers(true)
        .await;
    v.assert_none();
    assert!(v.answered() >= 6, "{}", v.answered());
}
