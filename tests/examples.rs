//! Runs the example binaries against a simulator started here and asserts
//! their outcome from the simulator's state. The examples are built once
//! (`cargo build --all-features --examples`, the same build as the suite).

use std::path::PathBuf;
use std::process::{Command, Output};

use opsgenie_users_sim::{Seed, Server};

#[path = "support/examples.rs"]
mod support_examples;
use support_examples::example;

/// Runs `name args...` with the simulator's URL and key in the environment
/// (`None`: no key at all).
async fn run(server: Option<&Server>, name: &str, args: &[&str]) -> Output {
    run_with(server, name, args, &[]).await
}

/// [`run`], then `env` set on top (logging is off unless `env` sets `RUST_LOG`).
async fn run_with(
    server: Option<&Server>,
    name: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.args(args)
        .env_remove("OPSGENIE_API_KEY")
        .env_remove("OPSGENIE_API_URL")
        .env_remove("RUST_LOG");
    if let Some(s) = server {
        cmd.env("OPSGENIE_API_KEY", s.api_key())
            .env("OPSGENIE_API_URL", s.url())
            .env("OPSGENIE_SCIM_URL", s.scim_url())
            .env("OPSGENIE_SCIM_TOKEN", s.scim_token())
            // scim_sync's names.
            .env_remove("ATLASSIAN_DIRECTORY_ID")
            .env("SCIM_BASE_URL", s.scim_url())
            .env("SCIM_TOKEN", s.scim_token());
    }
    cmd.envs(env.iter().copied());
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
            "1-5550100",
            "--no-invite",
        ],
    )
    .await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let jane = server.user("jane.doe@example.com").unwrap();
    assert_eq!(jane.role.name, "Admin");
    assert!(jane.invitation_disabled);
    assert_eq!(jane.contacts.len(), 2);
    assert_eq!(jane.contacts[1].to, "1-5550100");
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

/// Issue 11: the first run fails at the contact (a number with two dashes,
/// refused before it is sent); the second run, with the number fixed,
/// finds the user, keeps the memberships and adds the contact. Before the
/// fix the second run failed at once with "already exists".
#[tokio::test(flavor = "multi_thread")]
async fn onboard_fails_at_the_contact_then_a_second_run_completes() {
    let server = Server::builder()
        .seed(Seed::new().users(3).teams(2))
        .start()
        .await
        .unwrap();
    let args = |sms: &'static str| {
        [
            "new.person+ops@example.com",
            "New Person",
            "--role",
            "Admin",
            "--team",
            "team-01:admin",
            "--team",
            "team-02",
            "--sms",
            sms,
        ]
    };
    let first = run(Some(&server), "onboard", &args("1-555-0100")).await;
    assert_eq!(first.status.code(), Some(1), "{}", stdout(&first));
    assert!(
        stderr(&first).contains("<countryCode>-<number>"),
        "{}",
        stderr(&first)
    );
    let person = server.user("new.person+ops@example.com").unwrap();
    assert_eq!(
        person.contacts.len(),
        1,
        "only the e-mail: nothing was sent"
    );
    let role_in = |team: &str| {
        server
            .team(team)
            .unwrap()
            .members
            .into_iter()
            .find(|m| m.user_id == person.id)
            .map(|m| m.role)
    };
    assert_eq!(role_in("team-01").as_deref(), Some("admin"));

    let before = server.requests().len();
    let second = run(Some(&server), "onboard", &args("1-5550100")).await;
    let text = stdout(&second);
    assert!(second.status.success(), "{text}\n{}", stderr(&second));
    assert!(
        text.contains("exists: new.person+ops@example.com"),
        "{text}"
    );
    assert!(text.contains("already in team team-01 as admin"), "{text}");
    assert!(text.contains("added contact sms 1-5550100"), "{text}");
    assert!(
        text.contains("verified: role=Admin teams=2 contacts=2"),
        "{text}"
    );
    let person = server.user("new.person+ops@example.com").unwrap();
    assert_eq!(person.contacts.len(), 2);
    assert_eq!(person.contacts[1].to, "1-5550100");
    assert_eq!(role_in("team-02").as_deref(), Some("user"));
    // The second run wrote only the contact.
    let writes: Vec<String> = server.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(
        writes[0].starts_with("POST") && writes[0].ends_with("/contacts"),
        "{writes:?}"
    );

    // A third run has nothing to do.
    let before = server.requests().len();
    let third = run(Some(&server), "onboard", &args("1-5550100")).await;
    assert!(third.status.success(), "{}", stderr(&third));
    assert!(
        server.requests()[before..]
            .iter()
            .all(|r| r.method == "GET"),
        "a converged run only reads"
    );
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

#[tokio::test(flavor = "multi_thread")]
async fn offboard_plans_refuses_hands_over_and_deletes() {
    let server = Server::builder()
        .seed(Seed::new().users(10).teams(2).schedules(2))
        .start()
        .await
        .unwrap();
    let leaver = server.user("user0001@example.com").unwrap();
    let rotation_has = |user: &str| {
        let id = server.user(user).map(|u| u.id).unwrap_or_default();
        server
            .schedules()
            .into_iter()
            .find(|s| s.name == "schedule-01")
            .unwrap()
            .rotations[0]
            .participants
            .iter()
            .any(|p| p.id.as_deref() == Some(id.as_str()))
    };
    assert!(rotation_has("user0001@example.com"));

    // Dry run: the plan and the steps, nothing written.
    let dry = run(
        Some(&server),
        "offboard",
        &[
            "user0001@example.com",
            "--successor",
            "user0004@example.com",
        ],
    )
    .await;
    assert!(dry.status.success(), "{}\n{}", stdout(&dry), stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("blocker: in rotation"), "{text}");
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert!(server.user(&leaver.id).is_some());
    assert!(rotation_has("user0001@example.com"));

    // --yes without a successor: refused, still nothing written.
    let refused = run(
        Some(&server),
        "offboard",
        &["user0001@example.com", "--yes"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    let why = stderr(&refused);
    assert!(why.starts_with("error: "), "{why}");
    assert!(why.contains("refused"), "{why}");
    assert!(!why.contains("Blocked {"), "Debug form: {why}");
    assert!(server.user(&leaver.id).is_some());
    assert!(server
        .team("team-01")
        .unwrap()
        .members
        .iter()
        .any(|m| m.user_id == leaver.id));

    // --yes with a successor: handed over, out of the teams, deleted.
    let done = run(
        Some(&server),
        "offboard",
        &[
            "user0001@example.com",
            "--successor",
            "user0004@example.com",
            "--yes",
        ],
    )
    .await;
    assert!(
        done.status.success(),
        "{}\n{}",
        stdout(&done),
        stderr(&done)
    );
    assert!(stdout(&done).contains("deleted user0001@example.com"));
    assert!(server.user(&leaver.id).is_none());
    assert!(rotation_has("user0004@example.com"));
    let successor = server.user("user0004@example.com").unwrap();
    let esc = server
        .escalations()
        .into_iter()
        .find(|e| e.name == "schedule-01-escalation")
        .unwrap();
    assert!(esc.rules.iter().any(|r| r.recipient.is_user(&successor.id)));
    assert!(!server
        .team("team-01")
        .unwrap()
        .members
        .iter()
        .any(|m| m.user_id == leaver.id));
}

#[tokio::test(flavor = "multi_thread")]
async fn offboard_redirects_forwarding_to_the_successor_or_deletes_it_with_the_flag() {
    for delete in [false, true] {
        let server = Server::builder()
            .seed(Seed::new().users(10).teams(2).schedules(2))
            .start()
            .await
            .unwrap();
        let to_leaver = server
            .add_forwarding_rule("user0003@example.com", "user0001@example.com")
            .unwrap();
        let from_leaver = server
            .add_forwarding_rule("user0001@example.com", "user0002@example.com")
            .unwrap();
        let before = server.forwarding_rules();
        let mut args = vec![
            "user0001@example.com",
            "--successor",
            "user0004@example.com",
            "--yes",
        ];
        if delete {
            args.push("--delete-forwarding");
        }
        let out = run(Some(&server), "offboard", &args).await;
        assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
        let text = stdout(&out);
        let step = if delete {
            format!("delete forwarding rule {to_leaver} (done)")
        } else {
            format!("redirect forwarding rule {to_leaver} to the successor (done)")
        };
        assert!(text.contains(&step), "{text}");
        assert!(server.user("user0001@example.com").is_none());
        let after = server.forwarding_rules();
        // The leaver's own rule goes away with the user.
        assert!(after.iter().all(|f| f.id != from_leaver), "{after:?}");
        if delete {
            assert!(after.is_empty(), "{after:?}");
        } else {
            let successor = server.user("user0004@example.com").unwrap();
            let old = before.iter().find(|f| f.id == to_leaver).unwrap();
            let new = after.iter().find(|f| f.id == to_leaver).unwrap();
            assert_eq!(new.to_user, successor.id);
            // Everything else of the rule is as it was.
            let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap();
            assert_eq!((&new.alias, &new.from_user), (&old.alias, &old.from_user));
            assert_eq!(at(&new.start_date), at(&old.start_date));
            assert_eq!(
                new.end_date.as_deref().map(at),
                old.end_date.as_deref().map(at)
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn offboard_scim_deactivate_keeps_the_opsgenie_user() {
    let server = Server::builder()
        .seed(Seed::new().users(10).teams(2).schedules(2))
        .start()
        .await
        .unwrap();
    let scim = opsgenie_users::scim::ScimClient::builder()
        .base_url(server.scim_url())
        .token(server.scim_token())
        .build()
        .unwrap();
    let mut u = opsgenie_users::scim::ScimUser::new("user0005@example.com");
    u.active = Some(true);
    scim.users().create(u.clone()).await.unwrap();
    let out = run(
        Some(&server),
        "offboard",
        &["user0005@example.com", "--yes", "--scim-deactivate"],
    )
    .await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let user = server.user("user0005@example.com").expect("not deleted");
    assert!(server
        .teams()
        .iter()
        .all(|t| t.members.iter().all(|m| m.user_id != user.id)));
    let directory = server.scim_users();
    assert_eq!(directory.len(), 1);
    assert!(!directory[0].active());
}

#[tokio::test(flavor = "multi_thread")]
async fn export_is_complete_resumable_and_maps_roles() {
    let server = Server::builder()
        .seed(Seed::new().users(25).teams(2))
        .start()
        .await
        .unwrap();
    let c = server.client();
    c.roles()
        .create(
            opsgenie_users::models::role::CustomRoleWrite::new("Responder")
                .extended_role(opsgenie_users::models::role::ExtendedRole::User)
                .grant("logs-page-access"),
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
    c.teams()
        .roles(opsgenie_users::TeamRef::name("team-01"))
        .create(
            opsgenie_users::models::team::TeamRoleWrite::new("Lead").right(
                opsgenie_users::models::team::TeamRight::granted("manage-members"),
            ),
        )
        .await
        .unwrap();

    let out = temp_file("export.jsonl", "");
    let path = out.to_str().unwrap();
    let first = run(Some(&server), "export", &["--out", path, "--max", "10"]).await;
    assert!(first.status.success(), "{}", stderr(&first));
    // No key, no RUST_LOG and not a terminal: no progress bar, no logs.
    assert_eq!(stderr(&first), "");
    assert!(
        stdout(&first).contains("exported 10 user(s)"),
        "{}",
        stdout(&first)
    );
    // An interruption in the middle of a line.
    let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    std::io::Write::write_all(&mut f, br#"{"type":"user","usern"#).unwrap();
    drop(f);
    let second = run(Some(&server), "export", &["--out", path]).await;
    assert!(
        stdout(&second).contains("exported 16 user(s)"),
        "{}",
        stdout(&second)
    );
    assert!(
        stdout(&second).contains("(10 already there)"),
        "{}",
        stdout(&second)
    );

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is whole JSON"))
        .collect();
    let users: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "user").collect();
    let names: std::collections::BTreeSet<&str> = users
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(users.len(), 26);
    assert_eq!(names.len(), 26, "nobody twice");
    assert_eq!(
        lines.iter().filter(|l| l["type"] == "customRole").count(),
        1
    );
    assert_eq!(lines.iter().filter(|l| l["type"] == "teamRole").count(), 1);
    let by = |name: &str| *users.iter().find(|u| u["username"] == name).unwrap();
    assert_eq!(
        by("owner@example.com")["jsmRole"],
        "Product admin (Site admin if they are one)"
    );
    assert_eq!(
        by("user0010@example.com")["jsmRole"],
        "Operations global admin"
    );
    assert_eq!(by("user0001@example.com")["jsmRole"], "Agent");
    assert_eq!(
        by("user0003@example.com")["jsmRole"],
        "custom role \"Responder\""
    );
    assert_eq!(by("user0003@example.com")["roleKind"], "custom");
    let u1 = by("user0001@example.com");
    assert_eq!(
        u1["id"],
        server.user("user0001@example.com").unwrap().id.as_str()
    );
    assert_eq!(u1["email"], "user0001@example.com");
    assert_eq!(
        u1["teams"][0],
        serde_json::json!({"team": "team-01", "role": "admin"})
    );
    assert_eq!(u1["contacts"][0]["method"], "email");

    let csv_out = temp_file("export.csv", "");
    let csv_path = csv_out.to_str().unwrap();
    let csv_run = run(
        Some(&server),
        "export",
        &["--format", "csv", "--out", csv_path],
    )
    .await;
    assert!(csv_run.status.success(), "{}", stderr(&csv_run));
    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    assert_eq!(reader.records().count(), 26);
    let roles = std::fs::read_to_string(csv_out.with_extension("roles.csv")).unwrap();
    assert!(
        roles.contains("customRole,,Responder,user,logs-page-access,,custom"),
        "{roles}"
    );
    for p in [out, csv_out.with_extension("roles.csv"), csv_out] {
        let _ = std::fs::remove_file(p);
    }
}

/// 100 new users, each added to a team, against a simulator that faults 5 %
/// of the requests (seed 1, short delays): everything is applied, nothing
/// fails, and the summary's `recovered` is what the server's log shows (each
/// write applied behind a fault, found by a lookup).
#[tokio::test(flavor = "multi_thread")]
async fn bulk_sync_finishes_under_random_faults() {
    use std::time::Duration;
    let server = Server::builder()
        .seed(Seed::new().teams(2))
        .random_faults(
            opsgenie_users_sim::RandomFaults::new(0.05, 1)
                .delay(Duration::from_millis(20), Duration::from_millis(80)),
        )
        .start()
        .await
        .unwrap();
    let mut csv = String::from("username,fullName,role,teams\n");
    for n in 1..=100 {
        csv.push_str(&format!(
            "f{n:03}@example.com,F {n},User,team-0{}\n",
            1 + n % 2
        ));
    }
    let file = temp_file("faults.csv", &csv);
    let out = run(
        Some(&server),
        "bulk_sync",
        &[file.to_str().unwrap(), "--no-invite"],
    )
    .await;
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("created=100 updated=0 unchanged=0 failed=0 memberships added=100 "),
        "{text}"
    );
    let log = server.requests();
    let hidden = log
        .iter()
        .filter(|r| r.method == "POST")
        .filter(|r| {
            r.fault
                .as_ref()
                .is_some_and(|f| f.applies() && !matches!(f, opsgenie_users_sim::Fault::Delay(_)))
        })
        .count();
    assert!(hidden > 0, "seed 1 hides some writes behind faults");
    assert!(
        text.contains(&format!(" recovered={hidden} ambiguous=0")),
        "{hidden}: {text}"
    );
    assert!(text.contains("rate: Configuration "), "{text}");
    for n in 1..=100 {
        let user = server
            .user(&format!("f{n:03}@example.com"))
            .expect("created");
        assert_eq!(user.full_name, format!("F {n}"));
        let team = server.team(&format!("team-0{}", 1 + n % 2)).unwrap();
        assert!(team.members.iter().any(|m| m.user_id == user.id), "f{n:03}");
    }
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_sync_converges_under_rate_limits() {
    let server = Server::builder()
        .seed(Seed::new().users(6).teams(2))
        .limit(
            opsgenie_users::Domain::Configuration,
            opsgenie_users::ratelimit::Limits::per_minute(600).and_per_second(4),
        )
        .start()
        .await
        .unwrap();
    let file = temp_file(
        "users.csv",
        "username,fullName,role,teams\n\
         user0001@example.com,Ada Lovelace 1,User,team-01:admin\n\
         user0002@example.com,Ben Renamed,Admin,team-02\n\
         user0003@example.com,,,team-02\n\
         new1@example.com,New One,Admin,team-01;team-02:admin\n\
         NEW2@Example.com,\"Quote, Person\",admin,\n\
         new3@example.com,New Three,User,team-99\n",
    );
    let path = file.to_str().unwrap();
    let before = server.users().len();

    let dry = run(Some(&server), "bulk_sync", &[path, "--dry-run"]).await;
    assert!(
        stdout(&dry).contains("would create new1@example.com"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(server.users().len(), before, "a dry run writes nothing");

    let out = run(
        Some(&server),
        "bulk_sync",
        &[path, "--no-invite", "--prune"],
    )
    .await;
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "one row names a missing team:\n{text}\n{}",
        stderr(&out)
    );
    assert!(
        text.contains("created=3 updated=1 unchanged=2 failed=1 memberships added=3 changed=1 removed=1 not_stuck=1"),
        "{text}"
    );
    assert!(text.contains("team team-99 does not exist"), "{text}");
    assert!(
        text.contains("did not stick: new2@example.com: role"),
        "{text}"
    );
    let throttled = server.throttled_total();
    assert!(
        text.contains(&format!("429s={throttled} ")),
        "server sent {throttled}:\n{text}"
    );

    let new1 = server.user("new1@example.com").unwrap();
    assert_eq!(new1.role.name, "Admin");
    assert!(new1.invitation_disabled);
    assert_eq!(
        server.user("new2@example.com").unwrap().full_name,
        "Quote, Person"
    );
    assert_eq!(server.user("new2@example.com").unwrap().role.name, "User");
    let u2 = server.user("user0002@example.com").unwrap();
    assert_eq!(
        (u2.full_name.as_str(), u2.role.name.as_str()),
        ("Ben Renamed", "Admin")
    );
    let role_in = |team: &str, user: &str| {
        let id = server.user(user).unwrap().id;
        server
            .team(team)
            .unwrap()
            .members
            .into_iter()
            .find(|m| m.user_id == id)
            .map(|m| m.role)
    };
    assert_eq!(
        role_in("team-01", "new1@example.com").as_deref(),
        Some("user")
    );
    assert_eq!(
        role_in("team-02", "new1@example.com").as_deref(),
        Some("admin")
    );
    assert_eq!(
        role_in("team-02", "user0002@example.com").as_deref(),
        Some("user")
    );
    assert_eq!(role_in("team-01", "user0003@example.com"), None, "pruned");
    assert_eq!(
        role_in("team-02", "user0003@example.com").as_deref(),
        Some("user")
    );
    assert_eq!(
        role_in("team-01", "user0001@example.com").as_deref(),
        Some("admin")
    );
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread")]
async fn scim_sync_converges_the_simulated_directory() {
    let server = Server::start().await.unwrap();
    let file = temp_file(
        "scim.csv",
        "externalId,userName,givenName,familyName,displayName,active,groups\n\
         okta-1,jane@example.com,Jane,Doe,Jane Doe,true,opsgenie-responders\n\
         okta-2,sam@example.com,Sam,Lee,\"Lee, Sam\",true,opsgenie-responders;sre\n",
    );
    let path = file.to_str().unwrap();
    let out = run(Some(&server), "scim_sync", &[path]).await;
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let users = server.scim_users();
    assert_eq!(users.len(), 2);
    assert!(users.iter().all(|u| u.active()));
    let groups = server.scim_groups();
    let members = |name: &str| {
        groups
            .iter()
            .find(|g| g.name() == Some(name))
            .map(|g| g.member_ids().len())
    };
    assert_eq!(members("opsgenie-responders"), Some(2));
    assert_eq!(members("sre"), Some(1));
    let _ = std::fs::remove_file(file);
}

// What the examples print when they fail, and their logs.

#[path = "../examples/common/mod.rs"]
mod common;

/// An error with an optional cause, to build chains.
#[derive(Debug)]
struct Failure(&'static str, Option<Box<Failure>>);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.1.as_deref().map(|e| e as _)
    }
}

#[test]
fn the_error_report_is_display_then_each_new_cause() {
    let e = Failure(
        "sync failed",
        Some(Box::new(Failure(
            "reading users.csv: disk full",
            // Already in the line above: not repeated.
            Some(Box::new(Failure(
                "disk full",
                Some(Box::new(Failure("os error 28", None))),
            ))),
        ))),
    );
    assert_eq!(
        common::report(&e),
        "error: sync failed\n  caused by: reading users.csv: disk full\n  caused by: os error 28\n"
    );
    assert_eq!(common::report(&Failure("alone", None)), "error: alone\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_example_prints_the_error_for_a_person_and_exits_non_zero() {
    let server = Server::start().await.unwrap();
    let out = run_with(
        Some(&server),
        "quickstart",
        &[],
        &[("OPSGENIE_API_KEY", "not-the-simulators-key")],
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.to_lowercase().contains("unauthorized"), "{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    for debug in [
        "Error: ",
        "Unauthorized(",
        "ApiError {",
        "status: ",
        "raw_body",
    ] {
        assert!(!err.contains(debug), "Debug form ({debug:?}) in: {err}");
    }
    assert!(
        !err.contains("not-the-simulators-key"),
        "the key leaked: {err}"
    );
    assert!(!stdout(&out).contains("created"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_log_shows_requests_waits_and_retries_on_stderr_only() {
    let server = Server::builder()
        .seed(Seed::new().users(6).teams(2))
        .limit(
            opsgenie_users::Domain::Configuration,
            opsgenie_users::ratelimit::Limits::per_minute(600).and_per_second(4),
        )
        // Not advertised: the client learns the limit from a 429.
        .request_limits(opsgenie_users_sim::RequestLimits::NotFound)
        .start()
        .await
        .unwrap();
    let file = temp_file(
        "users.csv",
        "username,fullName,role,teams\n\
         a1@example.com,A 1,User,team-01\n\
         a2@example.com,A 2,User,team-01\n\
         a3@example.com,A 3,User,team-02\n\
         a4@example.com,A 4,User,team-02\n\
         a5@example.com,A 5,User,team-01;team-02\n\
         a6@example.com,A 6,User,team-01;team-02\n",
    );
    let path = file.to_str().unwrap();
    let out = run_with(
        Some(&server),
        "bulk_sync",
        &[path, "--no-invite", "--concurrency", "8"],
        &[("RUST_LOG", "opsgenie_users=debug")],
    )
    .await;
    let (text, log) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}\n{log}");
    assert!(text.contains("created=6 "), "{text}");
    assert!(log.contains("DEBUG") && log.contains("sending"), "{log}");
    assert!(log.contains("path=/v2/users"), "{log}");
    assert!(!text.contains("sending"), "logs stay off stdout: {text}");
    assert!(!log.contains('\u{1b}'), "no colours when not a terminal");
    assert!(!log.contains(server.api_key()), "the key leaked");
    // Six creates at once over 4/s, unknown to the client: throttled, retried, then paced.
    assert!(server.throttled_total() > 0, "{log}");
    assert!(log.contains("retrying"), "{log}");
    assert!(
        log.contains("rate-limit slot granted after a wait"),
        "{log}"
    );
    let _ = std::fs::remove_file(file);
}
