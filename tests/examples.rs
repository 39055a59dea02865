//! Runs the example binaries against a simulator started here and asserts
//! their outcome from the simulator's state. The examples are built once
//! (`cargo build --all-features --examples`, the same build as the suite).
#![cfg(feature = "sim")]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use opsgenie_users::sim::{Seed, Server};

fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--all-features", "--examples", "--quiet"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
    });
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("debug").join("examples").join(name)
}

/// Runs `name args...` with the simulator's URL and key in the environment
/// (`None`: no key at all).
async fn run(server: Option<&Server>, name: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .env_remove("OPSGENIE_API_KEY")
        .env_remove("OPSGENIE_API_URL");
    if let Some(s) = server {
        cmd.env("OPSGENIE_API_KEY", s.api_key())
            .env("OPSGENIE_API_URL", s.url())
            .env("OPSGENIE_SCIM_URL", s.scim_url())
            .env("OPSGENIE_SCIM_TOKEN", s.scim_token());
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("example runs"))
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("opsgenie-users-{:08x}-{name}", fastrand::u32(..)));
    std::fs::write(&p, contents).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn quickstart_runs_without_a_key_on_its_own_simulator() {
    let out = run(None, "quickstart", &[]).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(text.contains("using the built-in simulator"), "{text}");
    for step in [
        "created ",
        "get ",
        "list ",
        "27 users in total",
        "updated ",
        "deleted ",
    ] {
        assert!(text.contains(step), "missing {step:?} in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn quickstart_with_a_key_uses_that_account() {
    let server = Server::builder()
        .seed(Seed::new().users(150))
        .start()
        .await
        .unwrap();
    let out = run(Some(&server), "quickstart", &[]).await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("152 users in total"),
        "{}",
        stdout(&out)
    );
    let calls: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods.iter().filter(|m| **m == "POST").count(), 1);
    assert_eq!(methods.iter().filter(|m| **m == "PATCH").count(), 1);
    assert_eq!(methods.iter().filter(|m| **m == "DELETE").count(), 1);
    // Two pages of 100 for 152 users.
    assert_eq!(
        calls
            .iter()
            .filter(|(m, p)| m == "GET" && p == "/v2/users")
            .count(),
        2
    );
    // Created then deleted: the account is as before.
    assert_eq!(server.users().len(), 151);
}

#[tokio::test(flavor = "multi_thread")]
async fn onboard_creates_adds_to_teams_and_contacts() {
    let server = Server::builder()
        .seed(Seed::new().users(10).teams(2))
        .start()
        .await
        .unwrap();
    let out = run(
        Some(&server),
        "onboard",
        &[
            "Jane.Doe@example.com",
            "Jane Doe",
            "--role",
            "Admin",
            "--team",
            "team-01:admin",
            "--team",
            "team-02",
            "--sms",
            "1-555-0100",
            "--no-invite",
        ],
    )
    .await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let jane = server.user("jane.doe@example.com").unwrap();
    assert_eq!(jane.role.name, "Admin");
    assert!(jane.invitation_disabled);
    assert_eq!(jane.contacts.len(), 2);
    assert_eq!(jane.contacts[1].to, "1-555-0100");
    let role_in = |team: &str| {
        server
            .team(team)
            .unwrap()
            .members
            .into_iter()
            .find(|m| m.user_id == jane.id)
            .map(|m| m.role)
    };
    assert_eq!(role_in("team-01").as_deref(), Some("admin"));
    assert_eq!(role_in("team-02").as_deref(), Some("user"));
    assert!(stdout(&out).contains("verified: role=Admin teams=2 contacts=2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn onboard_refuses_a_mistyped_role_before_creating_anything() {
    let server = Server::start().await.unwrap();
    let out = run(
        Some(&server),
        "onboard",
        &["sam@example.com", "Sam", "--role", "admin"],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("did you mean \"Admin\""),
        "{}",
        stderr(&out)
    );
    assert!(server.user("sam@example.com").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_converges_custom_roles_from_a_file() {
    let server = Server::start().await.unwrap();
    let file = temp_file(
        "roles.json",
        r#"[{"name": "Responder", "extendedRole": "user", "grantedRights": ["logs-page-access"]},
            {"name": "Auditor", "extendedRole": "observer", "disallowedRights": ["reports-access"]}]"#,
    );
    let path = file.to_str().unwrap();
    let dry = run(Some(&server), "roles", &[path, "--dry-run"]).await;
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(server.custom_roles().is_empty(), "a dry run writes nothing");

    let first = run(Some(&server), "roles", &[path]).await;
    assert!(
        stdout(&first).contains("created=2 updated=0 unchanged=0"),
        "{}",
        stdout(&first)
    );
    let again = run(Some(&server), "roles", &[path]).await;
    assert!(
        stdout(&again).contains("created=0 updated=0 unchanged=2"),
        "{}",
        stdout(&again)
    );

    std::fs::write(
        &file,
        r#"[{"name": "Responder", "extendedRole": "user", "grantedRights": ["logs-page-access", "reports-access"]}]"#,
    )
    .unwrap();
    let third = run(Some(&server), "roles", &[path]).await;
    assert!(
        stdout(&third).contains("created=0 updated=1 unchanged=0"),
        "{}",
        stdout(&third)
    );
    let roles = server.custom_roles();
    assert_eq!(roles.len(), 2, "roles missing from the file are left alone");
    let responder = roles.iter().find(|r| r.name == "Responder").unwrap();
    assert_eq!(
        responder.granted_rights,
        ["logs-page-access", "reports-access"]
    );
    let auditor = roles.iter().find(|r| r.name == "Auditor").unwrap();
    assert_eq!(auditor.extended_role, "observer");
    let _ = std::fs::remove_file(file);
}
