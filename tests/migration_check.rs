//! The `migration_check` example (feature `atlassian`), run as a program
//! against the Opsgenie and Atlassian simulators started here.
#![cfg(feature = "atlassian")]

use std::process::Output;

use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "support/examples.rs"]
mod support_examples;
use support_examples::atlassian_env;

async fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    support_examples::run_example("migration_check", args, env).await
}

fn env_for(og: &Server, atl: &AtlassianServer) -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("OPSGENIE_API_KEY", og.api_key().to_string()),
        ("OPSGENIE_API_URL", og.url().to_string()),
    ];
    env.extend(atlassian_env(atl));
    env
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

/// The demo through a file written by the export code: the same findings
/// as the demo reading the account, and the file is a complete export.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_through_an_export_file_reports_the_same() {
    let path = std::env::temp_dir().join(format!(
        "opsgenie-users-migration-{}-demo.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let file = path.to_str().unwrap();
    let out = run(&["--demo", "--via-export", file, "--json"], &[]).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    // By username: user0007 (suspended), user0008 (no account).
    assert_eq!(kinds("users"), ["suspended", "no_account"]);
    assert_eq!(kinds("teams"), ["members_differ"]);
    assert_eq!(kinds("rotations"), ["participants_differ"]);
    assert_eq!(kinds("roles"), ["product_role_differs"]);
    assert_eq!(kinds("escalations"), ["rules_differ"]);
    assert!(report["rotations_checked"].as_u64().unwrap() > 0);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("{\"type\":\"exportComplete\"}\n"), "{text}");

    // An existing file is not overwritten; --via-export needs --demo.
    let out = run(&["--demo", "--via-export", file], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    let out = run(&["--via-export", file], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_file(&path);
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

// ------------------------------------------------------- from an export file

fn export_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "opsgenie-users-migration-{}-{name}.jsonl",
        std::process::id()
    ))
}

async fn export(og: &Server, path: &std::path::Path, args: &[&str]) -> String {
    let mut all = vec!["--out", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = support_examples::run_example(
        "export",
        &all,
        &[
            ("OPSGENIE_API_KEY", og.api_key().to_string()),
            ("OPSGENIE_API_URL", og.url().to_string()),
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn read_export(path: &std::path::Path) -> OpsgenieSnapshot {
    let file = std::fs::File::open(path).unwrap();
    OpsgenieSnapshot::from_export(std::io::BufReader::new(file)).unwrap()
}

/// The export written in two runs (`--max`, then the rest), and after an
/// interruption in its on-call section, reads back as exactly what the live
/// check reads from the account, each record once.
#[tokio::test(flavor = "multi_thread")]
async fn an_export_reads_back_as_the_live_account_and_resumes_its_on_call_section() {
    let og = account().await;
    // A team nobody is in, and a custom role nobody holds.
    og.client()
        .teams()
        .create(opsgenie_users::models::team::TeamCreate::new("empty-team"))
        .await
        .unwrap();
    og.client()
        .roles()
        .create(opsgenie_users::models::role::CustomRoleWrite::new("Unused"))
        .await
        .unwrap();
    let path = export_path("resume");
    let _ = std::fs::remove_file(&path);
    let first = export(&og, &path, &["--max", "4"]).await;
    assert!(!first.contains("on-call:"), "{first}");
    let partial = read_export(&path);
    assert_eq!(partial.users.len(), 4);
    assert_eq!(partial.rotations, None, "no on-call section yet");
    assert_eq!(partial.escalations, None);

    let second = export(&og, &path, &[]).await;
    assert!(
        second.contains("on-call: 3 team(s), 1 rotation(s), 4 escalation(s)"),
        "{second}"
    );
    let live = OpsgenieSnapshot::collect(&og.client()).await.unwrap();
    assert_eq!(read_export(&path), live);
    assert!(live.teams["empty-team"].is_empty());
    assert!(live.custom_roles.contains(&"Unused".to_string()));
    // A new team gets its own escalation, as in Opsgenie.
    assert_eq!(live.escalations.as_ref().unwrap().len(), 3);
    assert_eq!(
        live.escalations_without_team,
        vec!["schedule-01-escalation".to_string()]
    );

    // Complete: a third run adds nothing.
    let complete = std::fs::read_to_string(&path).unwrap();
    export(&og, &path, &[]).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), complete);

    // Stopped while writing the on-call section: the last escalation and
    // the closing record are gone, the escalation before it is cut.
    let lines: Vec<&str> = complete.lines().collect();
    let n = lines.len();
    assert_eq!(lines[n - 1], r#"{"type":"exportComplete"}"#);
    let mut cut = lines[..n - 3].join("\n");
    cut.push('\n');
    cut.push_str(&lines[n - 3][..10]);
    std::fs::write(&path, &cut).unwrap();
    let err = OpsgenieSnapshot::from_export(cut.as_bytes()).unwrap_err();
    assert_eq!(err.line(), n - 2, "the cut line: {err}");
    cut.truncate(cut.rfind('\n').unwrap() + 1);
    assert_eq!(
        OpsgenieSnapshot::from_export(cut.as_bytes())
            .unwrap()
            .rotations,
        None,
        "not closed: not compared"
    );
    export(&og, &path, &[]).await;
    assert_eq!(read_export(&path), live);
    let again = std::fs::read_to_string(&path).unwrap();
    let mut sorted_again: Vec<&str> = again.lines().collect();
    let mut sorted_complete = lines.clone();
    sorted_again.sort();
    sorted_complete.sort();
    assert_eq!(sorted_again, sorted_complete, "every record once");
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_runs_from_an_export_file_without_an_opsgenie_key() {
    let og = account().await;
    let atl = AtlassianServer::start().await.unwrap();
    atl.migrate_from(&og);
    let path = export_path("check");
    let _ = std::fs::remove_file(&path);
    export(&og, &path, &[]).await;
    let file = path.to_str().unwrap();
    let env = atlassian_env(&atl);

    let out = run(&["--from-export", file], &env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("migration is complete"), "{stdout}");
    assert!(
        stdout.contains("rotations: 1 checked, 0 differ"),
        "{stdout}"
    );
    assert!(
        stdout.contains("escalations: 2 checked, 0 differ"),
        "{stdout}"
    );

    // The Atlassian side changes: the file-based check sees it, as the live
    // one does.
    let (admin, _) = clients(&atl);
    let leaver = atl
        .users()
        .into_iter()
        .find(|u| u.email == "user0004@example.com")
        .unwrap();
    admin
        .users(atl.directory_id())
        .suspend(AccountId::new(leaver.account_id.clone()))
        .await
        .unwrap();
    let out = run(&["--from-export", file, "--json"], &env).await;
    assert_eq!(out.status.code(), Some(1));
    let from_file: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let live = serde_json::to_value(compare(&og, &atl).await).unwrap();
    assert_eq!(from_file, live);
    assert_eq!(from_file["users"][0]["kind"], "suspended");

    // An export of the first version (no on-call section): rotations and
    // escalations are not compared, not reported missing.
    let text = std::fs::read_to_string(&path).unwrap();
    let old: String = text
        .lines()
        .filter(|l| {
            ["\"customRole\"", "\"teamRole\"", "\"user\""]
                .iter()
                .any(|t| l.starts_with(&format!("{{\"type\":{t}")))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, old).unwrap();
    let out = run(&["--from-export", file], &env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("rotations: not checked | escalations: not checked"),
        "{stdout}"
    );
    assert!(!stdout.contains("no JSM escalation"), "{stdout}");

    // A bad line: exit 2, naming the file and the line.
    std::fs::write(
        &path,
        format!(
            "{}{{\"type\":\"user\",\"role\":7}}\n",
            text.lines().next().unwrap().to_owned() + "\n"
        ),
    )
    .unwrap();
    let out = run(&["--from-export", file], &env).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{file}: export line 2")),
        "{stderr}"
    );
    let _ = std::fs::remove_file(&path);
}
