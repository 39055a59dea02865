//! Offboard one person safely: build the offboarding plan (teams, schedule
//! rotations, escalations, forwarding rules, schedule overrides, sole-Owner
//! check), print it, and only with `--yes` hand their on-call duties to a
//! successor, take them out of their teams and delete them.
//!
//! Key rights: Configuration Access with Read, Create/Update and Delete.
//! With `--scim-deactivate` also `OPSGENIE_SCIM_URL` (the directory base,
//! `https://api.atlassian.com/scim/directory/<id>`) and `OPSGENIE_SCIM_TOKEN`
//! (an Atlassian Guard directory API key).
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example offboard -- leaver@example.com --successor boss@example.com
//! OPSGENIE_API_KEY=... cargo run --example offboard -- leaver@example.com --successor boss@example.com --yes
//! OPSGENIE_API_KEY=... OPSGENIE_SCIM_URL=... OPSGENIE_SCIM_TOKEN=... \
//!     cargo run --example offboard -- leaver@example.com --successor boss@example.com --yes --scim-deactivate
//! OPSGENIE_API_KEY=... cargo run --example offboard -- leaver@example.com --successor boss@example.com --yes --delete-forwarding
//! ```
//!
//! Without `--yes` it is a dry run: it prints the plan and every step it
//! would take, and writes nothing. `--scim-deactivate` keeps the Opsgenie user
//! (no hard delete: history stays) and instead deactivates the Atlassian
//! account through SCIM (`active: false`, group memberships removed), after
//! the hand-over and team removal.
//!
//! Forwarding rules that forward someone's notifications to the leaver are
//! redirected to the successor; with `--delete-forwarding` they are deleted
//! instead. Rules that forward the leaver's own notifications go away with
//! the user.
//!
//! Against the simulator: start `cargo run --example sim_server -- --users 20 --teams 2 --schedules 2`,
//! export the four variables it prints, then run the commands above with
//! `user0001@example.com` (on call in `schedule-01`) and `--successor user0004@example.com`.
//!
//! Exit status: 0 done (or dry run), 1 refused or failed.
//!
//! `RUST_LOG=opsgenie_users=debug` prints every request, rate-limit wait and
//! retry to stderr.

use opsgenie_users::api::offboard::StepOutcome;
use opsgenie_users::scim::ScimClient;
use opsgenie_users::{BearerToken, Client};

#[path = "common/mod.rs"]
mod common;

struct Args {
    user: String,
    successor: Option<String>,
    yes: bool,
    scim: bool,
    delete_forwarding: bool,
}

fn parse() -> Result<Args, String> {
    let mut user = None;
    let mut args = Args {
        user: String::new(),
        successor: None,
        yes: false,
        scim: false,
        delete_forwarding: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--successor" => args.successor = Some(it.next().ok_or("--successor needs a user")?),
            "--yes" => args.yes = true,
            "--scim-deactivate" => args.scim = true,
            "--delete-forwarding" => args.delete_forwarding = true,
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            _ if user.is_none() => user = Some(a),
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    args.user = user.ok_or(
        "usage: offboard USER [--successor USER] [--yes] [--scim-deactivate] [--delete-forwarding]",
    )?;
    Ok(args)
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    let client = Client::from_env()?;
    let scim = if args.scim {
        let url = std::env::var("OPSGENIE_SCIM_URL")
            .map_err(|_| "--scim-deactivate needs OPSGENIE_SCIM_URL")?;
        let token = std::env::var("OPSGENIE_SCIM_TOKEN")
            .map_err(|_| "--scim-deactivate needs OPSGENIE_SCIM_TOKEN")?;
        Some(ScimClient::from_client(
            &client,
            &url,
            BearerToken::new(token),
        )?)
    } else {
        None
    };

    // 1. The plan: everything that blocks or breaks on delete.
    let plan = client.offboarding().plan(args.user.as_str()).await?;
    println!("plan:\n{}", serde_json::to_string_pretty(&plan)?);
    for b in plan.blockers() {
        println!("blocker: {b}");
    }
    for w in plan.warnings() {
        println!("warning: {w}");
    }

    // 2. Execute (a dry run without --yes). Refused before any write while
    //    blockers remain that the successor does not clear.
    let mut exec = client
        .offboarding()
        .execute(&plan)
        .dry_run(!args.yes)
        .delete(scim.is_none())
        .delete_forwarding(args.delete_forwarding);
    if let Some(s) = &args.successor {
        exec = exec.successor(s.as_str());
    }
    let report = exec.await?;
    for s in &report.steps {
        let what = match &s.outcome {
            StepOutcome::Done => "done".to_string(),
            StepOutcome::AlreadyDone => "already done".to_string(),
            StepOutcome::WouldDo => "would do".to_string(),
            StepOutcome::Skipped(why) => format!("skipped: {why}"),
            other => format!("{other:?}"),
        };
        println!("step: {} ({what})", s.step);
    }
    if !args.yes {
        println!("dry run: nothing was changed; re-run with --yes to apply");
        return Ok(());
    }

    // 3. The SCIM path: deactivate the Atlassian account instead of deleting.
    if let Some(scim) = scim {
        let found = scim
            .users()
            .find_by_user_name(plan.user.username.as_str())
            .await?
            .ok_or_else(|| format!("no SCIM user with userName {}", plan.user.username))?;
        let id = found.id.clone().ok_or("the SCIM user has no id")?;
        let done = scim.users().deactivate(&id).strip_groups(true).await?;
        println!(
            "deactivated {} in the directory (removed from {} group(s)); the Opsgenie user is kept",
            plan.user.username,
            done.removed_from_groups.len()
        );
    } else if report.deleted {
        println!("deleted {}", plan.user.username);
    }
    Ok(())
}
