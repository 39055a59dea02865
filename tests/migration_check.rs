//! The `migration_check` example (feature `atlassian`), run as a program
//! against the Opsgenie and Atlassian simulators started here.
#![cfg(feature = "atlassian")]

use std::process::{Command, Output};

use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "support/examples.rs"]
mod support_examples;
use support_examples::example;

async fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(example("migration_check"));
    cmd.args(args);
    for var in [
        "OPSGENIE_API_KEY",
        "OPSGENIE_API_URL",
        "ATLASSIAN_ORG_ID",
        "ATLASSIAN_ADMIN_KEY",
        "ATLASSIAN_DIRECTORY_ID",
        "ATLASSIAN_SITE",
        "ATLASSIAN_SITE_URL",
        "ATLASSIAN_EMAIL",
        "ATLASSIAN_API_TOKEN",
        "ATLASSIAN_API_URL",
        "JSM_CLOUD_ID",
        "JSM_BASE_URL",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || cmd.output().expect("example runs"))
        .await
        .unwrap()
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
