//! The `migration_check` example (feature `atlassian`), run as a program
//! against the Opsgenie and Atlassian simulators started here.
#![cfg(feature = "atlassian")]

use std::process::Output;

use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "support/examples.rs"]
mod support_examples;

async fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    support_examples::run_example("migration_check", args, env).await
}

fn env_for(og: &Server, atl: &AtlassianServer) -> Vec<(&'static str, String)> {
    vec![
        ("OPSGENIE_API_KEY", og.api_key().to_string()),
        ("OPSGENIE_API_URL", og.url().to_string()),
        ("ATLASSIAN_ORG_ID", atl.org_id().to_string()),
        ("ATLASSIAN_ADMIN_KEY", atl.admin_key().to_string()),
        ("ATLASSIAN_API_URL", atl.url().to_string()),
        ("ATLASSIAN_SITE_URL", atl.url().to_string()),
        ("ATLASSIAN_EMAIL", atl.email().to_string()),
        ("ATLASSIAN_API_TOKEN", atl.api_token().to_string()),
        ("JSM_BASE_URL", atl.jsm_url()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_reports_an_unfinished_migration_and_exits_1() {
    let out = run(&["--demo"], &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("user0008@example.com             no Atlassian account"),
        "{stdout}"
    );
    assert!(stdout.contains("is suspended"), "{stdout}");
    assert!(stdout.contains("team-01"), "{stdout}");
    assert!(stdout.contains("schedule-01 / primary"), "{stdout}");
    assert!(
        stdout.contains("should be Agent (atlassian/user); has: -"),
        "{stdout}"
    );
    assert!(
        stdout.contains("team-02 / team-02_escalation") && stdout.contains("JSM: +5m"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complete_migration_exits_0_and_a_difference_exits_1() {
    let og = Server::builder()
        .seed(Seed::new().users(5).teams(2).schedules(1))
        .start()
        .await
        .unwrap();
    let atl = AtlassianServer::start().await.unwrap();
    let accounts = atl.migrate_from(&og);
    let env = env_for(&og, &atl);

    let out = run(&[], &env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("migration is complete"), "{stdout}");
    assert!(stdout.contains("6 matched"), "{stdout}");
    // Six people, one of them an Observer (no mapped role, not compared).
    assert!(stdout.contains("roles: 5 checked, 0 differ"), "{stdout}");
    assert!(
        stdout.contains("escalations: 2 checked, 0 differ"),
        "{stdout}"
    );

    // A person added to an Opsgenie team after the migration.
    let newcomer = og
        .users()
        .into_iter()
        .find(|u| u.username == "user0005@example.com")
        .unwrap();
    let team = og
        .teams()
        .into_iter()
        .find(|t| !t.members.iter().any(|m| m.user_id == newcomer.id))
        .unwrap();
    og.client()
        .teams()
        .add_member(
            opsgenie_users::TeamRef::id(team.id.as_str()),
            opsgenie_users::UserRef::id(newcomer.id.as_str()),
            opsgenie_users::models::team::TeamRole::User,
        )
        .await
        .unwrap();
    let out = run(&["--json"], &env).await;
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["teams"][0]["kind"], "members_differ");
    assert_eq!(report["teams"][0]["team"], team.name.as_str());
    assert_eq!(report["teams"][0]["missing"][0], "user0005@example.com");
    assert_eq!(report["users"].as_array().unwrap().len(), 0);
    assert!(accounts.contains_key(&newcomer.id));

    // Bad credentials: exit 2, and the token is not printed.
    let mut bad = env.clone();
    bad.retain(|(k, _)| *k != "ATLASSIAN_API_TOKEN");
    bad.push(("ATLASSIAN_API_TOKEN", "wrong-secret-token".into()));
    let out = run(&[], &bad).await;
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("wrong-secret-token"), "{all}");
}

// ---------------------------------------------------------------- in process

use futures::TryStreamExt;
use opsgenie_users::atlassian::migration::{
    AtlassianSnapshot, EscalationFinding, MigrationReport, OpsgenieSnapshot, RoleFinding,
};
use opsgenie_users::atlassian::{AccountId, AdminClient, JsmOpsClient, TeamsClient};

async fn compare(og: &Server, atl: &AtlassianServer) -> MigrationReport {
    let admin = AdminClient::builder()
        .base_url(atl.url())
        .org_id(atl.org_id())
        .api_key(atl.admin_key())
        .build()
        .unwrap();
    let teams = TeamsClient::builder()
        .base_url(atl.url())
        .org_id(atl.org_id())
        .credentials(atl.email(), atl.api_token())
        .build()
        .unwrap();
    let jsm = JsmOpsClient::builder()
        .base_url(atl.jsm_url())
        .credentials(atl.email(), atl.api_token())
        .build()
        .unwrap();
    let before = OpsgenieSnapshot::collect(&og.client()).await.unwrap();
    let after = AtlassianSnapshot::collect(&admin, atl.directory_id(), &teams, Some(&jsm))
        .await
        .unwrap();
    before.compare(&after)
}

fn clients(atl: &AtlassianServer) -> (AdminClient, JsmOpsClient) {
    (
        AdminClient::builder()
            .base_url(atl.url())
            .org_id(atl.org_id())
            .api_key(atl.admin_key())
            .build()
            .unwrap(),
        JsmOpsClient::builder()
            .base_url(atl.jsm_url())
            .credentials(atl.email(), atl.api_token())
            .build()
            .unwrap(),
    )
}

/// An Opsgenie account with every role (an Owner, Admins, Users,
/// Stakeholders, a custom role) and team escalations.
async fn account() -> Server {
    let og = Server::builder()
        .seed(Seed::new().users(12).teams(2).schedules(1))
        .start()
        .await
        .unwrap();
    let c = og.client();
    c.roles()
        .create(
            opsgenie_users::models::role::CustomRoleWrite::new("Responder")
                .extended_role(opsgenie_users::models::role::ExtendedRole::User),
        )
        .await
        .unwrap();
    c.users()
        .update(
            "user0003@example.com",
            opsgenie_users::models::user::UserUpdate::new().role("Responder"),
        )
        .await
        .unwrap();
    og
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_and_escalations_of_a_clean_migration_match() {
    let og = account().await;
    let atl = AtlassianServer::start().await.unwrap();
    atl.migrate_from(&og);
    let r = compare(&og, &atl).await;
    assert!(r.is_complete(), "{r}");
    assert_eq!(r.roles_checked, Some(r.matched.len() - observers(&og)));
    assert_eq!(r.escalations_checked, Some(2), "{r}");
    assert_eq!(
        r.escalations_skipped,
        vec!["schedule-01-escalation".to_string()]
    );
    let responder = r
        .matched
        .iter()
        .find(|m| m.username == "user0003@example.com")
        .unwrap();
    assert_eq!(
        responder.expected_role.as_deref(),
        Some("custom role \"Responder\"")
    );
    assert!(responder
        .role_note
        .as_deref()
        .unwrap()
        .contains("who holds a custom role"));
    let owner = r
        .matched
        .iter()
        .find(|m| m.username == "owner@example.com")
        .unwrap();
    assert_eq!(owner.expected_role.as_deref(), Some("Product admin"));
}

fn observers(og: &Server) -> usize {
    og.users()
        .iter()
        .filter(|u| u.role.name == "Observer")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_product_role_and_a_missing_custom_role_are_reported() {
    let og = account().await;
    let atl = AtlassianServer::start().await.unwrap();
    let accounts = atl.migrate_from(&og);
    let account_of = |username: &str| {
        let id = og
            .users()
            .into_iter()
            .find(|u| u.username == username)
            .unwrap()
            .id;
        AccountId::new(accounts[&id].clone())
    };
    let group = |name: &str| {
        atl.groups()
            .into_iter()
            .find(|g| g.name == name)
            .unwrap()
            .id
    };
    let (admin, _) = clients(&atl);
    let groups = admin.groups(atl.directory_id());
    // The Owner is demoted to agent; a User loses access altogether.
    groups
        .remove_member(
            group("jira-servicemanagement-admins"),
            account_of("owner@example.com"),
        )
        .await
        .unwrap();
    groups
        .add_member(
            group("jira-servicemanagement-users"),
            account_of("owner@example.com"),
        )
        .await
        .unwrap();
    groups
        .remove_member(
            group("jira-servicemanagement-users"),
            account_of("user0001@example.com"),
        )
        .await
        .unwrap();
    // A custom role created in Opsgenie after the migration.
    let c = og.client();
    c.roles()
        .create(
            opsgenie_users::models::role::CustomRoleWrite::new("Night shift")
                .extended_role(opsgenie_users::models::role::ExtendedRole::User),
        )
        .await
        .unwrap();
    c.users()
        .update(
            "user0002@example.com",
            opsgenie_users::models::user::UserUpdate::new().role("Night shift"),
        )
        .await
        .unwrap();

    let r = compare(&og, &atl).await;
    assert_eq!(r.findings(), 3, "{r}");
    assert!(
        r.roles.contains(&RoleFinding::ProductRoleDiffers {
            username: "owner@example.com".into(),
            account_id: account_of("owner@example.com"),
            expected: "Product admin".into(),
            expected_role_id: "atlassian/admin".into(),
            actual: vec!["atlassian/user".into()],
        }),
        "{r}"
    );
    assert!(
        r.roles.contains(&RoleFinding::ProductRoleDiffers {
            username: "user0001@example.com".into(),
            account_id: account_of("user0001@example.com"),
            expected: "Agent".into(),
            expected_role_id: "atlassian/user".into(),
            actual: vec![],
        }),
        "{r}"
    );
    assert!(
        r.roles.contains(&RoleFinding::CustomRoleMissing {
            username: "user0002@example.com".into(),
            role: "Night shift".into(),
        }),
        "{r}"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "custom_role_missing")
            .count(),
        1
    );
    let table = r.to_string();
    assert!(
        table.contains("no JSM custom user role named \"Night shift\""),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_and_a_missing_escalation_are_reported() {
    let og = account().await;
    let atl = AtlassianServer::start().await.unwrap();
    let accounts = atl.migrate_from(&og);
    let (_, jsm) = clients(&atl);
    // team-01's escalation now notifies a person instead of the schedule.
    let team = atl
        .teams()
        .into_iter()
        .find(|t| t.display_name == "team-01")
        .unwrap();
    let handler = jsm.escalations(team.team_id.as_str());
    let e: Vec<_> = handler.list().stream().try_collect().await.unwrap();
    let mut rules = e[0].rules.clone();
    let someone = accounts.values().next().unwrap().clone();
    rules[0].recipient = opsgenie_users::atlassian::OpsParticipant::user(someone.as_str());
    handler.set_rules(e[0].id.clone(), rules).await.unwrap();
    // A team (with its default escalation) created in Opsgenie afterwards.
    og.client()
        .teams()
        .create(opsgenie_users::models::team::TeamCreate::new("team-late"))
        .await
        .unwrap();

    let r = compare(&og, &atl).await;
    assert_eq!(r.escalations_checked, Some(3));
    assert_eq!(r.escalations.len(), 2, "{r}");
    match &r.escalations[0] {
        EscalationFinding::RulesDiffer {
            team,
            escalation,
            expected,
            actual,
            ..
        } => {
            assert_eq!(
                (team.as_str(), escalation.as_str()),
                ("team-01", "team-01_escalation")
            );
            assert_eq!(
                expected[0].recipient.to_string(),
                "schedule:team-01_schedule"
            );
            assert_ne!(expected[0].recipient, actual[0].recipient);
            assert_eq!(expected[0].delay_minutes, actual[0].delay_minutes);
        }
        other => panic!("{other:?}"),
    }
    assert!(r.escalations.contains(&EscalationFinding::Missing {
        team: "team-late".into(),
        escalation: "team-late_escalation".into(),
    }));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["escalations"][0]["kind"], "rules_differ");
    assert!(
        r.to_string().contains("team-01 / team-01_escalation"),
        "{r}"
    );
}
