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
//! users are created, differing `fullName`/`role` updated, missing
//! memberships added and team roles changed. The user writes are then
//! verified in bulk: the user list is read (100 users a page, in the Search
//! rate-limit domain, while the membership changes use the Configuration
//! one) and every field the server did not apply, or a user not there, is
//! reported. `--no-verify` skips that read. Memberships that are not in the file are removed
//! only with `--prune` (for the users in the file). Users not in the file are
//! never touched. Calls run with bounded concurrency (`--concurrency N`,
//! default 4) under the client's rate-limit scheduler, which paces each
//! request domain and absorbs 429s.
//!
//! Key rights: Configuration Access with Read and Create/Update (and Delete
//! for `--prune`, which removes memberships).
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example bulk_sync -- users.csv [--dry-run] [--no-invite] [--prune] [--no-verify]
//! ```
//!
//! A write whose answer is lost (5xx, reset, timeout) is looked up and sent
//! again only if it was not applied (see `UsersHandler::create`).
//!
//! `--no-invite` creates users with `invitationDisabled` (no e-mail).
//! `--dry-run` prints the plan and writes nothing. Against the simulator: start
//! `cargo run --example sim_server -- --users 20 --teams 3 --limit configuration=120/5`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the command.
//! Exit status: 0 all applied, 1 refused, 2 some operations failed.
//!
//! The summary line counts the writes, then the request path's work:
//! `attempts` (requests sent), `retries` (of which repeats: after a 429, a
//! 5xx of an idempotent call, or a resend of a write found not applied),
//! `recovered` (writes whose answer was lost but that a lookup found
//! applied) and `ambiguous` (writes whose outcome stayed unknown). A `rate:`
//! line gives, per rate-limit domain, the requests sent per second over the
//! run as a share of the limit the client knew.
//!
//! While it applies, a progress bar on stderr shows the operations done, the
//! rate and the time left. `RUST_LOG=opsgenie_users=debug` prints every
//! request, rate-limit wait and retry to stderr.

use std::collections::BTreeMap;
use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use opsgenie_users::api::users::{Expected, UserCheck};
use opsgenie_users::models::team::TeamRole;
use opsgenie_users::models::user::{Role, User};
use opsgenie_users::models::user::{UserCreate, UserUpdate};
use opsgenie_users::{Client, UserRef};

#[path = "common/mod.rs"]
mod common;

/// A CSV record (`pub`: `tests/input_props.rs` reads files through
/// [`read_rows`]).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub teams: String,
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

/// The rows of the CSV file `path` (its bytes: `data`), by lowercased
/// username. A record that does not parse, an empty username or one that
/// appears twice (in any case) is an error naming the file and the record.
pub fn read_rows(path: &str, data: &[u8]) -> Result<BTreeMap<String, Row>, String> {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for (n, row) in csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data)
        .deserialize::<Row>()
        .enumerate()
    {
        let record = n + 1;
        let mut row = row.map_err(|e| format!("{path} record {record}: {e}"))?;
        row.username = row.username.to_lowercase();
        if row.username.is_empty() {
            return Err(format!("{path} record {record}: the username is empty"));
        }
        if rows.contains_key(&row.username) {
            return Err(format!(
                "{path} record {record}: {} appears twice",
                row.username
            ));
        }
        rows.insert(row.username.clone(), row);
    }
    Ok(rows)
}

pub fn role_of(r: &Row) -> Role {
    if r.role.trim().is_empty() {
        Role::User
    } else {
        Role::from(r.role.trim())
    }
}

/// `Team:role;Team2` -> {Team: role, Team2: user}
pub fn desired_teams(r: &Row) -> BTreeMap<String, TeamRole> {
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
    /// The user writes applied, to verify.
    written: Vec<Expected>,
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
    let verify = !flag("--no-verify");
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
            "usage: bulk_sync FILE.csv [--dry-run] [--no-invite] [--prune] [--no-verify] [--concurrency N]"
                .into(),
        );
    };
    let started = Instant::now();

    // 1. The file.
    let rows = read_rows(path, &std::fs::read(path)?)?;

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

    // 4. Apply: users first (memberships need them), each phase with bounded
    // concurrency. The user writes are verified from the user list (Search
    // domain) while the membership changes run (Configuration domain).
    let bar = common::progress((user_ops.len() + team_ops.len()) as u64);
    let user_results = apply_all(&client, user_ops, no_invite, concurrency, &bar).await;
    summary.record(user_results);
    let written = std::mem::take(&mut summary.written);
    let check = async {
        if verify && !written.is_empty() {
            Some(client.users().verify(written).await)
        } else {
            None
        }
    };
    let (team_results, checks) = futures::join!(
        apply_all(&client, team_ops, no_invite, concurrency, &bar),
        check
    );
    summary.record(team_results);
    bar.finish_and_clear();
    match checks {
        Some(Ok(checks)) => summary.checked(&checks),
        Some(Err(e)) => summary.failed.push(format!("verification: {e}")),
        None => {}
    }

    // 5. Summary.
    let elapsed = started.elapsed().as_secs_f64();
    let stats = client.rate_limit_stats();
    let throttled: u64 = stats.iter().map(|s| s.throttled).sum();
    let work = client.request_stats();
    for f in &summary.failed {
        println!("failed: {f}");
    }
    for n in &summary.not_stuck {
        println!("did not stick: {n}");
    }
    println!(
        "created={} updated={} unchanged={} failed={} memberships added={} changed={} removed={} not_stuck={} 429s={} elapsed={:.1}s attempts={} retries={} recovered={} ambiguous={}",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.failed.len(),
        summary.added,
        summary.changed,
        summary.removed,
        summary.not_stuck.len(),
        throttled,
        elapsed,
        work.attempts,
        work.retries,
        work.recovered,
        work.ambiguous,
    );
    let rates: Vec<String> = stats
        .iter()
        .filter(|s| s.sent > 0)
        .map(|s| {
            let rate = s.sent as f64 / elapsed.max(0.001);
            // The binding limit per second: the per-second one, or the
            // per-minute one spread over its minute, whichever is lower.
            let limit = match (s.per_second, s.per_minute.map(|m| m / 60.0)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match limit {
                Some(l) => format!(
                    "{} {} requests {rate:.1}/s = {:.0}% of {l:.1}/s",
                    s.key.domain,
                    s.sent,
                    100.0 * rate / l
                ),
                None => format!(
                    "{} {} requests {rate:.1}/s (limit unknown)",
                    s.key.domain, s.sent
                ),
            }
        })
        .collect();
    println!("rate: {}", rates.join("; "));
    Ok(summary.failed.is_empty())
}

/// What applying one operation gave: the write to verify, if it is a user write.
type Applied = Result<Option<Expected>, String>;

/// Applies `ops` with at most `concurrency` at a time.
async fn apply_all(
    client: &Client,
    ops: Vec<Op>,
    no_invite: bool,
    concurrency: usize,
    bar: &indicatif::ProgressBar,
) -> Vec<(String, Applied)> {
    futures::stream::iter(ops.into_iter().map(|op| async move {
        let label = op.to_string();
        let r = apply(client, &op, no_invite).await;
        bar.inc(1);
        bar.set_message(label.clone());
        (label, r)
    }))
    .buffer_unordered(concurrency.max(1))
    .collect()
    .await
}

impl Summary {
    fn record(&mut self, results: Vec<(String, Applied)>) {
        for (label, r) in results {
            match r {
                Ok(expected) => {
                    let verb = label.split(' ').next().unwrap_or("");
                    match verb {
                        "create" => self.created += 1,
                        "update" => self.updated += 1,
                        "add" => self.added += 1,
                        "change" => self.changed += 1,
                        "remove" => self.removed += 1,
                        _ => {}
                    }
                    self.written.extend(expected);
                }
                Err(e) => self.failed.push(format!("{label}: {e}")),
            }
        }
    }

    fn checked(&mut self, checks: &[UserCheck]) {
        for c in checks {
            if c.is_missing() {
                self.failed
                    .push(format!("{}: not found after the write", c.expected));
            }
            for m in &c.mismatches {
                self.not_stuck
                    .push(format!("{}: {} ({m:?})", c.expected, m.field()));
            }
        }
    }
}

/// A membership write has nothing to verify.
fn nothing_to_verify<T>(_: T) -> Option<Expected> {
    None
}

/// Applies one operation; returns the user write to verify, if any.
async fn apply(client: &Client, op: &Op, no_invite: bool) -> Applied {
    let users = client.users();
    let teams = client.teams();
    match op {
        Op::Create(row) => {
            let mut c =
                UserCreate::new(row.username.as_str(), row.full_name.as_str()).role(role_of(row));
            if no_invite {
                c = c.invitation_disabled(true);
            }
            let expected = Expected::created(&c);
            users.create(c).await.map_err(|e| e.to_string())?;
            Ok(Some(expected))
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
            let user = UserRef::from(username.as_str());
            let expected = Expected::updated(user.clone(), &u);
            users.update(user, u).await.map_err(|e| e.to_string())?;
            Ok(Some(expected))
        }
        Op::Add {
            team,
            username,
            role,
        } => teams
            .add_member(team.as_str(), username.as_str(), role.clone())
            .await
            .map(nothing_to_verify)
            .map_err(|e| e.to_string()),
        Op::ChangeRole {
            team,
            username,
            role,
        } => teams
            .change_member_role(team.as_str(), username.as_str(), role.clone())
            .await
            .map(nothing_to_verify)
            .map_err(|e| e.to_string()),
        Op::Remove { team, username } => teams
            .remove_member(team.as_str(), username.as_str())
            .await
            .map(nothing_to_verify)
            .map_err(|e| e.to_string()),
    }
}
