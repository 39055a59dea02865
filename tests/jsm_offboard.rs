//! The `jsm_offboard` example (feature `atlassian`), run as a program
//! against an Atlassian simulator holding a migrated Opsgenie account.
#![cfg(feature = "atlassian")]

use std::process::Output;

use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "support/examples.rs"]
mod support_examples;
use support_examples::atlassian_env;

async fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    support_examples::run_example("jsm_offboard", args, env).await
}

fn out(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The writes the simulator received, as `METHOD path` (listing a team's
/// members is a POST to `.../members`: a read).
fn writes(atl: &AtlassianServer) -> Vec<String> {
    atl.requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/members"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// A migrated account; the leaver is the first person of `schedule-01`'s
/// rotation and first in a new escalation of their team; the successor is
/// outside that team and that rotation.
struct World {
    _og: Server,
    atl: AtlassianServer,
    leaver: String,
    leaver_email: String,
    successor: String,
    successor_email: String,
    team: String,
    schedule: String,
    escalation: String,
}

async fn world() -> World {
    let og = Server::builder()
        .seed(Seed::new().users(8).teams(2).schedules(1))
        .start()
        .await
        .unwrap();
    let atl = AtlassianServer::start().await.unwrap();
    atl.migrate_from(&og);
    let schedule = atl
        .schedules()
        .into_iter()
        .find(|s| s.name == "schedule-01")
        .unwrap();
    let on_call: Vec<String> = schedule.rotations[0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect();
    let leaver = on_call[0].clone();
    let team = atl
        .teams()
        .into_iter()
        .find(|t| t.members.contains(&leaver))
        .unwrap();
    let successor = atl
        .users()
        .into_iter()
        .find(|u| {
            !on_call.contains(&u.account_id)
                && !team.members.contains(&u.account_id)
                && u.email.starts_with("user")
        })
        .unwrap();
    let other = team.members.iter().find(|m| **m != leaver).unwrap().clone();
    let escalation = atl.add_escalation(
        &team.team_id,
        "after-hours",
        &[leaver.as_str(), other.as_str()],
    );
    atl.add_forwarding_rule(&other, &leaver);
    let email = |id: &str| atl.user(id).unwrap().email;
    World {
        leaver_email: email(&leaver),
        successor_email: successor.email.clone(),
        leaver,
        successor: successor.account_id,
        team: team.team_id,
        schedule: schedule.id,
        escalation,
        _og: og,
        atl,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_changes_nothing_then_apply_hands_over_before_removing() {
    let w = world().await;
    let env = atlassian_env(&w.atl);
    let args = [
        w.leaver_email.as_str(),
        "--successor",
        w.successor_email.as_str(),
    ];

    let dry = run(&args, &env).await;
    let text = out(&dry);
    assert_eq!(dry.status.code(), Some(0), "{text}");
    assert!(
        text.contains(&format!("would add {} to team", w.successor_email)),
        "{text}"
    );
    assert!(text.contains("in rotation schedule-01 / "), "{text}");
    assert!(
        text.contains(&format!(
            "would notify {} instead of {} in 1 rule(s) of escalation ",
            w.successor_email, w.leaver_email
        )),
        "{text}"
    );
    assert!(text.contains("/ after-hours"), "{text}");
    assert!(
        text.contains(&format!("would remove {} from team", w.leaver_email)),
        "{text}"
    );
    assert!(text.contains("would suspend"), "{text}");
    assert!(text.contains("JSDCLOUD-17225"), "{text}");
    assert!(text.contains("forwarding rule"), "{text}");
    assert!(text.contains("dry run: nothing was changed"), "{text}");
    assert_eq!(
        writes(&w.atl),
        Vec::<String>::new(),
        "a dry run writes nothing"
    );

    let done = run(&[&args[..], &["--apply"][..]].concat(), &env).await;
    let text = out(&done);
    assert_eq!(done.status.code(), Some(0), "{text}");
    assert!(text.contains("done: suspend"), "{text}");

    // The successor took the leaver's place, in the same position.
    let rotation = &w
        .atl
        .schedules()
        .into_iter()
        .find(|s| s.id == w.schedule)
        .unwrap()
        .rotations[0];
    assert_eq!(rotation["participants"][0]["id"], w.successor.as_str());
    assert!(!rotation.to_string().contains(&w.leaver));
    let esc = w
        .atl
        .escalations()
        .into_iter()
        .find(|e| e.id == w.escalation)
        .unwrap();
    assert_eq!(
        esc.body["rules"][0]["recipient"]["id"],
        w.successor.as_str()
    );
    assert_eq!(
        esc.body["rules"][0]["condition"], "if-not-acked",
        "fields kept"
    );
    assert_eq!(
        esc.body["rules"][1]["delay"],
        serde_json::json!({"timeAmount": 10, "timeUnit": "minutes"}),
        "other rules kept"
    );
    // Teams: the successor joined the team whose duties they took; the leaver left all.
    assert!(w.atl.team(&w.team).unwrap().members.contains(&w.successor));
    assert!(w.atl.teams().iter().all(|t| !t.members.contains(&w.leaver)));
    assert_eq!(w.atl.user(&w.leaver).unwrap().status, "suspended");

    // Order: add, then the hand-over, then the removals, the suspension last.
    let ws = writes(&w.atl);
    let pos = |pred: &dyn Fn(&String) -> bool| ws.iter().position(pred).unwrap();
    let rpos = |pred: &dyn Fn(&String) -> bool| ws.iter().rposition(pred).unwrap();
    let first_add = pos(&|w: &String| w.ends_with("/members/add"));
    let last_patch = rpos(&|w: &String| w.starts_with("PATCH "));
    let first_remove = pos(&|w: &String| w.ends_with("/members/remove"));
    assert!(
        first_add < pos(&|w: &String| w.starts_with("PATCH ")),
        "{ws:#?}"
    );
    assert!(last_patch < first_remove, "{ws:#?}");
    assert!(ws.last().unwrap().ends_with("/suspend"), "{ws:#?}");
    assert_eq!(
        ws.iter().filter(|w| w.starts_with("PATCH ")).count(),
        2,
        "{ws:#?}"
    );

    // Again: nothing left to do, nothing written.
    let before = writes(&w.atl).len();
    let again = run(&[&args[..], &["--apply"][..]].concat(), &env).await;
    let text = out(&again);
    assert_eq!(again.status.code(), Some(0), "{text}");
    assert!(text.contains("nothing to do"), "{text}");
    assert_eq!(writes(&w.atl).len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_successor_is_refused_before_any_write() {
    let w = world().await;
    let out_ = run(
        &[
            w.leaver.as_str(),
            "--successor",
            "nobody@example.com",
            "--apply",
        ],
        &atlassian_env(&w.atl),
    )
    .await;
    let text = out(&out_);
    assert_eq!(out_.status.code(), Some(1), "{text}");
    assert!(
        text.contains("no directory user nobody@example.com"),
        "{text}"
    );
    assert_eq!(writes(&w.atl), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_hand_over_stops_before_the_leaver_is_removed_or_suspended() {
    let w = world().await;
    w.atl.fail_next(
        &format!(
            "/jsm/ops/api/{}/v1/teams/{}/escalations/{}",
            w.atl.cloud_id(),
            w.team,
            w.escalation
        ),
        400,
        1,
    );
    // The leaver by account id, the successor by e-mail.
    let failed = run(
        &[
            w.leaver.as_str(),
            "--successor",
            w.successor_email.as_str(),
            "--apply",
        ],
        &atlassian_env(&w.atl),
    )
    .await;
    let text = out(&failed);
    assert_eq!(failed.status.code(), Some(1), "{text}");
    assert!(text.contains("FAILED: notify"), "{text}");
    assert!(text.contains("stopped"), "{text}");
    assert!(w.atl.team(&w.team).unwrap().members.contains(&w.leaver));
    assert_eq!(w.atl.user(&w.leaver).unwrap().status, "active");
    assert!(!writes(&w.atl)
        .iter()
        .any(|w| w.ends_with("/members/remove")));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_runs_offline_dry_then_applied() {
    let dry = run(&["--demo"], &[]).await;
    let text = out(&dry);
    assert_eq!(dry.status.code(), Some(0), "{text}");
    assert!(text.contains("would suspend"), "{text}");
    let done = run(&["--demo", "--apply"], &[]).await;
    let text = out(&done);
    assert_eq!(done.status.code(), Some(0), "{text}");
    assert!(text.contains("done: suspend"), "{text}");
}
