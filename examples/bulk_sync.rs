//! Converge the account's users and team memberships to a CSV file.
//!
//! ```csv
//! username,fullName,role,teams
//! jane@example.com,Jane Doe,Admin,Platform:admin;Payments
//! sam@example.com,"Sam O'Neil, Jr.",User,Payments
//! ```
//!
//! `teams` lists `Team` or `Team:teamRole` separated by `;` (default team role
//! `user`). Usernames are compared lowercased, memberships as sets. Missing
//! users are created, differing `fullName`/`role` updated (then read back:
//! fields the server did not apply are reported), missing memberships added
//! and team roles changed. Memberships that are not in the file are removed
//! only with `--prune` (for the users in the file). Users not in the file are
//! never touched. Calls run with bounded concurrency (`--concurrency N`,
//! default 4) under the client's rate-limit scheduler, which paces each
//! request domain and absorbs 429s.
//!
//! Key rights: Configuration Access with Read and Create/Update (and Delete
//! for `--prune`, which removes memberships).
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example bulk_sync -- users.csv [--dry-run] [--no-invite] [--prune]
//! ```
//!
//! `--no-invite` creates users with `invitationDisabled` (no e-mail).
//! `--dry-run` prints the plan and writes nothing. Against the simulator: start
//! `cargo run --example sim_server -- --users 20 --teams 3 --limit configuration=120/5`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the command.
//! Exit status: 0 all applied, 1 refused, 2 some operations failed.
//!
//! While it applies, a progress bar on stderr shows the operations done, the
//! rate and the time left. `RUST_LOG=opsgenie_users=debug` prints every
//! request, rate-limit wait and retry to stderr.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use opsgenie_users::models::team::TeamRole;
use opsgenie_users::models::user::{Role, User};
use opsgenie_users::models::user::{UserCreate, UserUpdate};
use opsgenie_users::{Client, UserRef};

#[path = "common/mod.rs"]
mod common;

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    username: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    teams: String,
}

#[derive(Debug)]
enum Op {
    Create(Row),
    Update {
        username: String,
        full_name: Option<String>,
        role: Option<Role>,
    },
    Add {
        team: String,
        username: String,
        role: TeamRole,
    },
    ChangeRole {
        team: String,
        username: String,
        role: TeamRole,
    },
    Remove {
        team: String,
        username: String,
    },
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Create(r) => write!(f, "create {} ({}, {})", r.username, r.full_name, role_of(r)),
            Op::Update {
                username,
                full_name,
                role,
            } => {
                write!(f, "update {username}:")?;
                if let Some(n) = full_name {
                    write!(f, " fullName={n:?}")?;
                }
                if let Some(r) = role {
                    write!(f, " role={r}")?;
                }
                Ok(())
            }
            Op::Add {
                team,
                username,
                role,
            } => write!(f, "add {username} to {team} as {role}"),
            Op::ChangeRole {
                team,
                username,
                role,
            } => {
                write!(f, "change {username} in {team} to {role}")
            }
            Op::Remove { team, username } => write!(f, "remove {username} from {team}"),
        }
    }
}

fn role_of(r: &Row) -> Role {
    if r.role.trim().is_empty() {
        Role::User
    } else {
        Role::from(r.role.trim())
    }
}

/// `Team:role;Team2` -> {Team: role, Team2: user}
fn desired_teams(r: &Row) -> BTreeMap<String, TeamRole> {
    r.teams
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| match t.rsplit_once(':') {
            Some((team, role)) => (team.trim().to_string(), TeamRole::from(role.trim())),
            None => (t.to_string(), TeamRole::User),
        })
        .collect()
}

#[derive(Default)]
struct Summary {
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: Vec<String>,
    added: usize,
    changed: usize,
    removed: usize,
    not_stuck: Vec<String>,
}

#[tokio::main]
async fn main() {
    common::init_logging();
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(2),
        Err(e) => common::exit_with(&*e, 1),
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let (dry_run, no_invite, prune) = (flag("--dry-run"), flag("--no-invite"), flag("--prune"));
    let concurrency = match args.iter().position(|a| a == "--concurrency") {
        Some(i) => args
            .get(i + 1)
            .ok_or("--concurrency needs a number")?
            .parse()?,
        None => 4usize,
    };
    let Some(path) = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--concurrency"))
        .map(|(_, a)| a)
    else {
        return Err(
            "usage: bulk_sync FILE.csv [--dry-run] [--no-invite] [--prune] [--concurrency N]"
                .into(),
        );
    };
    let started = Instant::now();

    // 1. The file.
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for (n, row) in csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)?
        .deserialize::<Row>()
        .enumerate()
    {
        let mut row = row.map_err(|e| format!("{path} record {}: {e}", n + 1))?;
        row.username = row.username.to_lowercase();
        if rows.insert(row.username.clone(), row).is_some() {
            return Err(format!("{path}: {} appears twice", rows.keys().last().unwrap()).into());
        }
    }

    // 2. The account: every user (one stream), every team with its members.
    let client = Client::from_env()?;
    let users: BTreeMap<String, User> = client
        .users()
        .list()
        .limit(100)
        .stream()
        .map_ok(|u| (u.username.as_str().to_lowercase(), u))
        .try_collect()
        .await?;
    let mut members: BTreeMap<String, BTreeMap<String, TeamRole>> = BTreeMap::new();
    for t in client.teams().list().await? {
        let team = client.teams().get(&t.id).await?;
        let m = members.entry(team.name.clone()).or_default();
        for member in team.members {
            if let Some(u) = member.user.username {
                m.insert(u.as_str().to_lowercase(), member.role);
            }
        }
    }

    // 3. The diff.
    let mut summary = Summary::default();
    let (mut user_ops, mut team_ops) = (Vec::new(), Vec::new());
    for (username, row) in &rows {
        match users.get(username) {
            None => user_ops.push(Op::Create(row.clone())),
            Some(u) => {
                let full_name = (!row.full_name.is_empty()
                    && u.full_name.as_deref() != Some(row.full_name.as_str()))
                .then(|| row.full_name.clone());
                let role = (!row.role.is_empty()
                    && u.role.as_ref().map(|r| &r.name) != Some(&role_of(row)))
                .then(|| role_of(row));
                if full_name.is_some() || role.is_some() {
                    user_ops.push(Op::Update {
                        username: username.clone(),
                        full_name,
                        role,
                    });
                } else {
                    summary.unchanged += 1;
                }
            }
        }
        let want = desired_teams(row);
        for (team, role) in &want {
            let Some(current) = members.get(team) else {
                summary
                    .failed
                    .push(format!("{username}: team {team} does not exist"));
                continue;
            };
            match current.get(username) {
                None => team_ops.push(Op::Add {
                    team: team.clone(),
                    username: username.clone(),
                    role: role.clone(),
                }),
                Some(r) if r != role => team_ops.push(Op::ChangeRole {
                    team: team.clone(),
                    username: username.clone(),
                    role: role.clone(),
                }),
                Some(_) => {}
            }
        }
        if prune {
            for (team, current) in &members {
                if current.contains_key(username) && !want.contains_key(team) {
                    team_ops.push(Op::Remove {
                        team: team.clone(),
                        username: username.clone(),
                    });
                }
            }
        }
    }
    if dry_run {
        for op in user_ops.iter().chain(&team_ops) {
            println!("would {op}");
        }
        println!(
            "dry run: {} user write(s), {} membership change(s), {} unchanged, {} problem(s)",
            user_ops.len(),
            team_ops.len(),
            summary.unchanged,
            summary.failed.len()
        );
        for f in &summary.failed {
            println!("problem: {f}");
        }
        return Ok(summary.failed.is_empty());
    }

    // 4. Apply: users first (memberships need them), each phase with bounded concurrency.
    let bar = common::progress((user_ops.len() + team_ops.len()) as u64);
    for phase in [user_ops, team_ops] {
        let results: Vec<(String, Result<Vec<String>, String>)> =
            futures::stream::iter(phase.into_iter().map(|op| {
                let client = client.clone();
                let bar = bar.clone();
                async move {
                    let label = op.to_string();
                    let r = apply(&client, &op, no_invite).await;
                    bar.inc(1);
                    bar.set_message(label.clone());
                    (label, r)
                }
            }))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (label, r) in results {
            match r {
                Ok(mismatches) => {
                    let verb = label.split(' ').next().unwrap_or("");
                    match verb {
                        "create" => summary.created += 1,
                        "update" => summary.updated += 1,
                        "add" => summary.added += 1,
                        "change" => summary.changed += 1,
                        "remove" => summary.removed += 1,
                        _ => {}
                    }
                    summary.not_stuck.extend(mismatches);
                }
                Err(e) => summary.failed.push(format!("{label}: {e}")),
            }
        }
    }
    bar.finish_and_clear();

    // 5. Summary.
    let throttled: u64 = client.rate_limit_stats().iter().map(|s| s.throttled).sum();
    for f in &summary.failed {
        println!("failed: {f}");
    }
    for n in &summary.not_stuck {
        println!("did not stick: {n}");
    }
    println!(
        "created={} updated={} unchanged={} failed={} memberships added={} changed={} removed={} not_stuck={} 429s={} elapsed={:.1}s",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.failed.len(),
        summary.added,
        summary.changed,
        summary.removed,
        summary.not_stuck.len(),
        throttled,
        started.elapsed().as_secs_f64()
    );
    Ok(summary.failed.is_empty())
}

/// A membership write reports no field mismatches.
fn no_mismatches<T>(_: T) -> Vec<String> {
    Vec::new()
}

/// Applies one operation; returns the fields that did not stick.
async fn apply(client: &Client, op: &Op, no_invite: bool) -> Result<Vec<String>, String> {
    let users = client.users();
    let teams = client.teams();
    let describe = |user: &str, m: &[opsgenie_users::api::users::Mismatch]| {
        m.iter()
            .map(|m| format!("{user}: {} ({m:?})", m.field()))
            .collect::<Vec<_>>()
    };
    match op {
        Op::Create(row) => {
            let mut c =
                UserCreate::new(row.username.as_str(), row.full_name.as_str()).role(role_of(row));
            if no_invite {
                c = c.invitation_disabled(true);
            }
            let v = users.create_checked(c).await.map_err(|e| e.to_string())?;
            Ok(describe(&row.username, &v.mismatches))
        }
        Op::Update {
            username,
            full_name,
            role,
        } => {
            let mut u = UserUpdate::new();
            if let Some(n) = full_name {
                u = u.full_name(n.as_str());
            }
            if let Some(r) = role {
                u = u.role(r.clone());
            }
            let v = users
                .update_checked(UserRef::from(username.as_str()), u)
                .await
                .map_err(|e| e.to_string())?;
            Ok(describe(username, &v.mismatches))
        }
        Op::Add {
            team,
            username,
            role,
        } => teams
            .add_member(team.as_str(), username.as_str(), role.clone())
            .await
            .map(no_mismatches)
            .map_err(|e| e.to_string()),
        Op::ChangeRole {
            team,
            username,
            role,
        } => teams
            .change_member_role(team.as_str(), username.as_str(), role.clone())
            .await
            .map(no_mismatches)
            .map_err(|e| e.to_string()),
        Op::Remove { team, username } => teams
            .remove_member(team.as_str(), username.as_str())
            .await
            .map(no_mismatches)
            .map_err(|e| e.to_string()),
    }
}
