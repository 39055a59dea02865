//! Is the move from Opsgenie to Jira Service Management complete? Compares
//! the Opsgenie account (users and their roles, teams and members, schedule
//! rotations, escalations) with the Atlassian side (the organization
//! directory's users and their product roles, Atlassian teams and members,
//! JSM Operations custom roles, rotations and team escalations), matching
//! people by e-mail, and prints every difference as a table (or JSON with
//! `--json`). Roles follow Atlassian's documented mapping
//! (`opsgenie_users::models::jsm_role::jsm_role_for`); what no API reads (the
//! Operations global admin role, who holds a custom role) is printed as a
//! note, not a difference.
//!
//! Exit status: 0 when nothing differs, 1 while anything does, 2 on error.
//!
//! ```sh
//! # Offline, on the simulators (an Opsgenie account and a half-done migration):
//! cargo run --features atlassian --example migration_check -- --demo
//! # The same, the Opsgenie side written to a new file by the export
//! # example's code and read back from it:
//! cargo run --features atlassian --example migration_check -- --demo --via-export demo.jsonl
//!
//! # From an export file (no Opsgenie key needed; rotations and escalations
//! # are compared when the file holds the export's on-call section):
//! OPSGENIE_API_KEY=... cargo run --example export -- --out account.jsonl
//! ATLASSIAN_ORG_ID=... ... cargo run --features atlassian --example migration_check -- --from-export account.jsonl
//!
//! # For real:
//! OPSGENIE_API_KEY=... \
//! ATLASSIAN_ORG_ID=... ATLASSIAN_ADMIN_KEY=... \
//! ATLASSIAN_SITE=example ATLASSIAN_EMAIL=me@example.com ATLASSIAN_API_TOKEN=... \
//! JSM_CLOUD_ID=... \
//! cargo run --features atlassian --example migration_check
//! ```
//!
//! Environment: `OPSGENIE_API_KEY` (+ `OPSGENIE_API_URL`; not with
//! `--from-export FILE`, which reads the JSON lines of the `export` example
//! instead of the account), `ATLASSIAN_ORG_ID`,
//! `ATLASSIAN_ADMIN_KEY` (organization API key), `ATLASSIAN_DIRECTORY_ID`
//! (default: the organization's first directory), `ATLASSIAN_SITE` (the
//! `example` of example.atlassian.net) or `ATLASSIAN_SITE_URL`,
//! `ATLASSIAN_EMAIL` and `ATLASSIAN_API_TOKEN` (an account allowed to read
//! teams and JSM Operations), `JSM_CLOUD_ID` or `JSM_BASE_URL` (optional:
//! without it custom roles, rotations and escalations are not compared),
//! `ATLASSIAN_API_URL` (another Admin API host, e.g. a simulator).
//!
//! Rights: Opsgenie Configuration Access with Read; an organization API key;
//! an Agent (or higher) in JSM. It only reads.

// `--demo --via-export` includes the export example, which loads
// `common/mod.rs` a second time.
#![allow(clippy::duplicate_mod)]

use std::error::Error;

use opsgenie_users::atlassian::migration::{AtlassianSnapshot, OpsgenieSnapshot};
use opsgenie_users::atlassian::{
    AccountId, AdminClient, JsmOpsClient, OpsParticipant, TeamsClient,
};
use opsgenie_users::Client;
use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "common/mod.rs"]
mod common;

// The export example's code, for `--demo --via-export`.
#[allow(dead_code)]
#[path = "export.rs"]
mod export;

type BoxError = Box<dyn Error + Send + Sync>;

struct Sides {
    /// `None` with `--from-export`: the Opsgenie side is read from a file.
    opsgenie: Option<Client>,
    admin: AdminClient,
    directory: Option<String>,
    teams: TeamsClient,
    jsm: Option<JsmOpsClient>,
}

/// The clients, from the environment; without an Opsgenie client when the
/// Opsgenie side comes from an export file.
fn from_env(with_opsgenie: bool) -> Result<Sides, BoxError> {
    let opsgenie = if with_opsgenie {
        Some(Client::from_env()?)
    } else {
        None
    };
    let c = common::atlassian::from_env(opsgenie.as_ref())?;
    Ok(Sides {
        opsgenie,
        admin: c.admin,
        directory: c.directory,
        teams: c.teams,
        jsm: c.jsm,
    })
}

/// Starts both simulators, migrates the Opsgenie account to the Atlassian
/// one, then leaves the migration unfinished: one person not in the
/// directory, one suspended, one without agent access, a team member
/// missing, a rotation changed, an escalation rule delayed.
async fn demo() -> Result<(Server, AtlassianServer, Sides), BoxError> {
    let og = Server::builder()
        .seed(Seed::new().users(8).teams(2).schedules(1))
        .start()
        .await?;
    let atl = AtlassianServer::start().await?;
    let accounts = atl.migrate_from(&og);
    let opsgenie = Some(og.client());
    let sides = Sides {
        admin: AdminClient::builder()
            .base_url(atl.url())
            .org_id(atl.org_id())
            .api_key(atl.admin_key())
            .build()?,
        directory: None,
        teams: TeamsClient::builder()
            .base_url(atl.url())
            .org_id(atl.org_id())
            .credentials(atl.email(), atl.api_token())
            .build()?,
        jsm: Some(
            JsmOpsClient::builder()
                .base_url(atl.jsm_url())
                .credentials(atl.email(), atl.api_token())
                .build()?,
        ),
        opsgenie,
    };
    // Undo parts of the migration through the SDK.
    let users = og.users();
    let account = |username: &str| -> AccountId {
        let id = &users
            .iter()
            .find(|u| u.username == username)
            .expect("seeded")
            .id;
        AccountId::new(accounts[id].clone())
    };
    let dir = atl.directory_id().to_string();
    sides
        .admin
        .users(dir.as_str())
        .remove(account("user0008@example.com"))
        .await?;
    sides
        .admin
        .users(dir.as_str())
        .suspend(account("user0007@example.com"))
        .await?;
    let team = atl
        .teams()
        .into_iter()
        .find(|t| t.display_name == "team-01")
        .expect("seeded");
    let first = AccountId::new(team.members[0].clone());
    sides
        .teams
        .members(team.team_id.as_str())
        .remove([first])
        .await?;
    let schedule = atl
        .schedules()
        .into_iter()
        .find(|s| s.name == "schedule-01")
        .expect("seeded");
    let rotation = schedule.rotations[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    sides
        .jsm
        .as_ref()
        .expect("set above")
        .schedules()
        .rotations(schedule.id.as_str())
        .set_participants(
            rotation,
            vec![OpsParticipant::user(account("user0001@example.com"))],
        )
        .await?;
    // user0002 loses agent access (out of the product's user group).
    let agents = atl
        .groups()
        .into_iter()
        .find(|g| g.name == "jira-servicemanagement-users")
        .expect("migrated");
    sides
        .admin
        .groups(dir.as_str())
        .remove_member(agents.id.as_str(), account("user0002@example.com"))
        .await?;
    // team-02's escalation waits 5 minutes longer at its first rule.
    let team2 = atl
        .teams()
        .into_iter()
        .find(|t| t.display_name == "team-02")
        .expect("seeded");
    let jsm = sides.jsm.as_ref().expect("set above");
    let esc = jsm.escalations(team2.team_id.as_str());
    let found = esc.list().await?.items;
    let mut e = found
        .into_iter()
        .next()
        .ok_or("team-02 has an escalation")?;
    e.rules[0].other.insert(
        "delay".into(),
        serde_json::json!({"timeAmount": 5, "timeUnit": "minutes"}),
    );
    esc.set_rules(e.id.clone(), e.rules).await?;
    Ok((og, atl, sides))
}

async fn run() -> Result<bool, BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let export = match args.iter().position(|a| a == "--from-export") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or("--from-export needs a file (written by the export example)")?
                .clone(),
        ),
        None => None,
    };
    let via_export = match args.iter().position(|a| a == "--via-export") {
        Some(i) => Some(
            args.get(i + 1)
                .ok_or("--via-export needs a file that does not exist yet")?
                .clone(),
        ),
        None => None,
    };
    let demo_mode = args.iter().any(|a| a == "--demo");
    if via_export.is_some() && !demo_mode {
        return Err("--via-export goes with --demo (else: export, then --from-export)".into());
    }
    let (_servers, sides) = if demo_mode {
        if export.is_some() {
            return Err("--demo reads its own simulated account: drop --from-export".into());
        }
        let (og, atl, sides) = demo().await?;
        (Some((og, atl)), sides)
    } else {
        (None, from_env(export.is_none())?)
    };
    // The demo through a file: the simulated account exported by the
    // export example's code, then read back as with --from-export.
    let export = match (via_export, &sides.opsgenie) {
        (Some(path), Some(client)) => {
            if std::path::Path::new(&path).exists() {
                return Err(format!("{path} exists: --via-export writes a new file").into());
            }
            eprintln!("exporting the simulated Opsgenie account to {path}...");
            export::export(client, std::path::Path::new(&path), false, usize::MAX)
                .await
                .map_err(|e| format!("export to {path}: {e}"))?;
            Some(path)
        }
        _ => export,
    };
    let directory = match sides.directory.clone() {
        Some(d) => d,
        None => sides
            .admin
            .directories()
            .await?
            .first()
            .map(|d| d.directory_id.to_string())
            .ok_or("the organization has no directory")?,
    };
    let before = match (&export, &sides.opsgenie) {
        (Some(path), _) => {
            eprintln!("reading the export {path}...");
            let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
            OpsgenieSnapshot::from_export(std::io::BufReader::new(file))
                .map_err(|e| format!("{path}: {e}"))?
        }
        (None, Some(client)) => {
            eprintln!("reading Opsgenie...");
            OpsgenieSnapshot::collect(client).await?
        }
        (None, None) => return Err("no Opsgenie client".into()),
    };
    eprintln!("reading the Atlassian side...");
    let after = AtlassianSnapshot::collect(
        &sides.admin,
        directory.as_str(),
        &sides.teams,
        sides.jsm.as_ref(),
    )
    .await?;
    let report = before.compare(&after);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(report.is_complete())
}

#[tokio::main]
async fn main() {
    common::init_logging();
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => common::exit_with(&*e, 2),
    }
}
