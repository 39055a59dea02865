//! Export every user with role, teams (and team role), contacts, plus the
//! custom user roles and custom team roles, to JSON lines or CSV: for audits
//! and for the migration off Opsgenie (end of support 2027-04-05).
//!
//! Each user carries an identity map (Opsgenie id, username, e-mail) and the
//! counterpart of their role in Jira Service Management as Atlassian
//! documents it (`opsgenie_users::models::jsm_role::jsm_role_for`, the mapping
//! the migration check uses too): User -> Agent, Admin -> Operations global
//! admin, Owner -> Product admin (Site admin if they are one), Stakeholder ->
//! Stakeholder, a custom role stays custom (recreate it). Observer has no
//! documented counterpart: review.
//!
//! Key rights: Configuration Access with Read.
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example export -- --out users.jsonl
//! OPSGENIE_API_KEY=... cargo run --example export -- --format csv --out users.csv
//! ```
//!
//! Resumable: the output file is appended to, and users already in it are
//! skipped, so an interrupted export continues where it stopped (a half-written
//! last record is cut off first; a file that is not UTF-8 is refused rather
//! than appended to). `--max N` stops after N new users (batches).
//!
//! JSON lines hold the records of `opsgenie_users::export` (one shape for
//! this writer and the migration check's reader): `customRole`, `teamRole`,
//! `user`, then, once every user is written, the on-call section: every
//! `team`, every schedule's `rotation` (participants in order) and every
//! `escalation` (rules: condition, notifyType, delay, recipient; `team` null
//! for one without an owner team), closed by `exportComplete`. The section
//! is written once: a run stopped by `--max` writes none, a resumed run
//! writes only the records not there yet and the closing record, and a file
//! that has the closing record gets nothing more. Read it back with
//! `migration_check --from-export FILE` (feature `atlassian`).
//! CSV holds the users and writes the roles to `<out>.roles.csv` (no
//! on-call section: use JSON lines for the migration check).
//!
//! Against the simulator: start `cargo run --example sim_server -- --users 300 --teams 4`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the commands above.
//!
//! A progress bar on stderr shows the users exported, the rate and the time
//! left (one request per user). `RUST_LOG=opsgenie_users=debug` prints every
//! request, rate-limit wait and retry to stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use opsgenie_users::api::users::UserSort;
use opsgenie_users::export::{
    read_on_call, CustomRoleRecord, OnCall, Record, TeamRecord, TeamRoleRecord, UserRecord,
};
use opsgenie_users::models::role::CustomRole;
use opsgenie_users::models::team::TeamRoleDef;
use opsgenie_users::models::user::User;
use opsgenie_users::Client;
use serde_json::Value;

#[path = "common/mod.rs"]
mod common;

/// What an earlier, possibly interrupted, run left in the output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// How many leading bytes hold complete records: the rest is a
    /// half-written last record, cut off before appending.
    pub keep: usize,
    /// The usernames of the complete user records.
    pub done: BTreeSet<String>,
    /// JSON lines: the role records are there; CSV: the header is there.
    pub has_roles: bool,
    /// JSON lines: the on-call records already there.
    pub on_call: OnCallDone,
}

/// The on-call records (teams, rotations, escalations) of an earlier run:
/// they are written once, after the last user, and a resumed run writes
/// only those not there yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnCallDone {
    /// The closing `exportComplete` record is there: nothing more to write.
    pub complete: bool,
    /// Team names.
    pub teams: BTreeSet<String>,
    /// (schedule, rotation) names.
    pub rotations: BTreeSet<(String, String)>,
    /// Escalation names.
    pub escalations: BTreeSet<String>,
}

/// Reads the bytes of an earlier output (`csv`: a CSV file, else JSON
/// lines). Only records that end with their line break count: a record cut
/// anywhere, inside a multi-byte character or (CSV) after a line break
/// inside a quoted field, is not done and is cut off. Text that is not
/// UTF-8 is not a file this program wrote: an error, so that nothing is
/// appended to it.
pub fn resume_from(data: &[u8], csv: bool) -> Result<Resumed, String> {
    // The end of the last complete record: its line break. In CSV a line
    // break inside quotes belongs to a field (a quote inside a quoted field
    // is written twice, so the quotes before a record's end are even).
    let mut in_quotes = false;
    let mut keep = 0;
    for (i, b) in data.iter().enumerate() {
        match b {
            b'"' if csv => in_quotes = !in_quotes,
            b'\n' if !in_quotes => keep = i + 1,
            _ => {}
        }
    }
    let complete = std::str::from_utf8(&data[..keep]).map_err(|e| {
        format!(
            "not UTF-8 at byte {}: not a file this program wrote (choose another --out)",
            e.valid_up_to()
        )
    })?;
    let mut done = BTreeSet::new();
    let mut has_roles = false;
    let mut on_call = OnCallDone::default();
    if csv {
        let mut r = csv::Reader::from_reader(complete.as_bytes());
        for row in r.records().flatten() {
            if let Some(u) = row.get(1) {
                done.insert(u.to_string());
            }
        }
        has_roles = !complete.is_empty();
    } else {
        for line in complete.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            match v["type"].as_str() {
                Some("user") => {
                    if let Some(u) = v["username"].as_str() {
                        done.insert(u.to_string());
                    }
                }
                Some("team") => {
                    on_call.teams.extend(v["name"].as_str().map(String::from));
                }
                Some("rotation") => {
                    if let (Some(s), Some(r)) = (v["schedule"].as_str(), v["rotation"].as_str()) {
                        on_call.rotations.insert((s.to_string(), r.to_string()));
                    }
                }
                Some("escalation") => {
                    on_call
                        .escalations
                        .extend(v["name"].as_str().map(String::from));
                }
                Some("exportComplete") => on_call.complete = true,
                Some(_) => has_roles = true,
                None => {}
            }
        }
    }
    Ok(Resumed {
        keep,
        done,
        has_roles,
        on_call,
    })
}

/// Cuts a half-written last record off the output file `path` and returns
/// what is already there. A missing file is a fresh start; a file that
/// cannot be read is an error (appending to it would export everyone
/// twice).
fn resume(path: &Path, csv: bool) -> Result<Resumed, String> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Resumed {
                keep: 0,
                done: BTreeSet::new(),
                has_roles: false,
                on_call: OnCallDone::default(),
            })
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let r = resume_from(&data, csv).map_err(|e| format!("{}: {e}", path.display()))?;
    if r.keep != data.len() {
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(r.keep as u64))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(r)
}

/// The CSV header of the users file.
pub const CSV_HEADER: &str =
    "id,username,email,fullName,role,jsmRole,teams,contacts,blocked,verified,createdAt";

/// The custom and team roles as JSON lines.
pub fn role_lines(custom_roles: &[CustomRole], team_roles: &[(String, TeamRoleDef)]) -> String {
    let custom = custom_roles
        .iter()
        .map(|r| Record::CustomRole(CustomRoleRecord::new(r)));
    let team = team_roles
        .iter()
        .map(|(team, r)| Record::TeamRole(TeamRoleRecord::new(team.as_str(), r)));
    custom.chain(team).map(|r| r.to_line()).collect()
}

/// One user's record, line break included: a JSON line, or a CSV record.
/// `teams` holds (team, role in the team) pairs.
pub fn user_record(
    full: &User,
    teams: &[(String, String)],
    csv_out: bool,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let r = UserRecord::new(full, teams);
    if !csv_out {
        return Ok(Record::User(r).to_line().into_bytes());
    }
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record([
        r.id.as_str(),
        r.username.as_str(),
        r.email.as_str(),
        r.full_name.as_deref().unwrap_or(""),
        r.role.as_str(),
        r.jsm_role.as_str(),
        &r.teams
            .iter()
            .map(|m| format!("{}:{}", m.team, m.role))
            .collect::<Vec<_>>()
            .join(";"),
        &r.contacts
            .iter()
            .map(|c| format!("{}:{}", c.method, c.to))
            .collect::<Vec<_>>()
            .join(";"),
        &r.blocked.unwrap_or(false).to_string(),
        &r.verified.unwrap_or(false).to_string(),
        &r.created_at,
    ])?;
    Ok(w.into_inner()?)
}

/// The on-call records not in `done`, then the closing `exportComplete`:
/// teams (id -> name), then rotations and escalations.
pub fn on_call_lines(
    done: &OnCallDone,
    teams: &BTreeMap<String, String>,
    on_call: OnCall,
) -> String {
    let teams = teams
        .iter()
        .filter(|(_, name)| !done.teams.contains(*name))
        .map(|(id, name)| Record::Team(TeamRecord::new(id.as_str(), name.as_str())));
    let rotations = on_call
        .rotations
        .into_iter()
        .filter(|r| {
            !done
                .rotations
                .contains(&(r.schedule.clone(), r.rotation.clone()))
        })
        .map(Record::Rotation);
    let escalations = on_call
        .escalations
        .into_iter()
        .filter(|e| !done.escalations.contains(&e.name))
        .map(Record::Escalation);
    teams
        .chain(rotations)
        .chain(escalations)
        .chain([Record::ExportComplete])
        .map(|r| r.to_line())
        .collect()
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut csv_out = false;
    let mut out: Option<PathBuf> = None;
    let mut max = usize::MAX;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" => match it.next().as_deref() {
                Some("csv") => csv_out = true,
                Some("jsonl") => csv_out = false,
                other => return Err(format!("--format csv|jsonl, got {other:?}").into()),
            },
            "--out" => out = it.next().map(PathBuf::from),
            "--max" => max = it.next().ok_or("--max needs a number")?.parse()?,
            other => {
                return Err(format!(
                "unknown argument {other}; usage: export --out FILE [--format jsonl|csv] [--max N]"
            )
                .into())
            }
        }
    }
    let out = out.ok_or("usage: export --out FILE [--format jsonl|csv] [--max N]")?;
    let client = Client::from_env()?;
    let s = export(&client, &out, csv_out, max).await?;
    println!(
        "exported {} user(s) to {} ({} already there); {} custom role(s), {} team role(s)",
        s.exported,
        out.display(),
        s.skipped,
        s.custom_roles,
        s.team_roles
    );
    if let Some((teams, rotations, escalations)) = s.on_call {
        println!("on-call: {teams} team(s), {rotations} rotation(s), {escalations} escalation(s)");
    }
    Ok(())
}

/// What one run of [`export`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Users written.
    pub exported: usize,
    /// Users already in the file.
    pub skipped: usize,
    /// Custom user roles read.
    pub custom_roles: usize,
    /// Custom team roles read.
    pub team_roles: usize,
    /// The on-call section's teams, rotations and escalations, when this
    /// run wrote it.
    pub on_call: Option<(usize, usize, usize)>,
}

/// Exports the account of `client` to `out` (CSV or JSON lines), resuming
/// what an earlier run left there, at most `max` new users. The
/// `migration_check` example's `--demo --via-export` calls it too.
pub async fn export(
    client: &Client,
    out: &Path,
    csv_out: bool,
    max: usize,
) -> Result<Summary, Box<dyn std::error::Error>> {
    let Resumed {
        done,
        has_roles,
        on_call: on_call_done,
        ..
    } = resume(out, csv_out)?;

    // Roles and memberships: a handful of calls, then one call per user.
    let custom_roles = client.roles().list().await?;
    let mut memberships: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut team_roles = Vec::new();
    let mut team_names = BTreeMap::new();
    for t in client.teams().list().await? {
        team_names.insert(t.id.to_string(), t.name.clone());
        let team = client.teams().get(&t.id).await?;
        for m in &team.members {
            if let Some(id) = &m.user.id {
                memberships
                    .entry(id.as_str().to_string())
                    .or_default()
                    .push((team.name.clone(), m.role.to_string()));
            }
        }
        for r in client.teams().roles(&t.id).list().await? {
            team_roles.push((team.name.clone(), r));
        }
    }

    let mut file = OpenOptions::new().create(true).append(true).open(out)?;
    if csv_out {
        let mut w = csv::Writer::from_path(out.with_extension("roles.csv"))?;
        w.write_record([
            "kind",
            "team",
            "name",
            "extendedRole",
            "granted",
            "disallowed",
            "jsmRole",
        ])?;
        for r in &custom_roles {
            let rights = |v: &[opsgenie_users::models::role::Right]| {
                v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";")
            };
            w.write_record([
                "customRole",
                "",
                &r.name,
                r.extended_role.as_ref().map(|e| e.as_str()).unwrap_or(""),
                &rights(&r.granted_rights),
                &rights(&r.disallowed_rights),
                "custom",
            ])?;
        }
        for (team, r) in &team_roles {
            let granted: Vec<&str> = r
                .rights
                .iter()
                .filter(|x| x.granted)
                .map(|x| x.right.as_str())
                .collect();
            let denied: Vec<&str> = r
                .rights
                .iter()
                .filter(|x| !x.granted)
                .map(|x| x.right.as_str())
                .collect();
            w.write_record([
                "teamRole",
                team,
                &r.name,
                "",
                &granted.join(";"),
                &denied.join(";"),
                "custom",
            ])?;
        }
        w.flush()?;
        if !has_roles {
            writeln!(file, "{CSV_HEADER}")?;
        }
    } else if !has_roles {
        file.write_all(role_lines(&custom_roles, &team_roles).as_bytes())?;
    }

    // Users, in a stable order, one line each, flushed as we go.
    let (mut exported, mut skipped) = (0usize, 0usize);
    // Every user's id and username, for participants given by id only.
    let mut usernames = BTreeMap::new();
    let mut finished = true;
    let bar = common::progress(0);
    let mut users = client
        .users()
        .list()
        .limit(100)
        .sort(UserSort::Username)
        .stream();
    while let Some(u) = users.try_next().await? {
        // The users still to export, once the first page told the total.
        let total = users.total_count().unwrap_or(0);
        bar.set_length(total.saturating_sub(done.len() as u64).min(max as u64));
        usernames.insert(u.id.to_string(), u.username.as_str().to_lowercase());
        if done.contains(u.username.as_str()) {
            skipped += 1;
            continue;
        }
        if exported == max {
            finished = false;
            break;
        }
        let full: User = client.users().get(&u.id).expand_contacts().await?;
        let teams = memberships
            .get(full.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        file.write_all(&user_record(&full, teams, csv_out)?)?;
        file.flush()?;
        exported += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut summary = Summary {
        exported,
        skipped,
        custom_roles: custom_roles.len(),
        team_roles: team_roles.len(),
        on_call: None,
    };

    // The on-call section, once every user is written (JSON lines only).
    if !csv_out && finished && !on_call_done.complete {
        let on_call = read_on_call(client, &usernames, &team_names).await?;
        let (rotations, escalations) = (on_call.rotations.len(), on_call.escalations.len());
        file.write_all(on_call_lines(&on_call_done, &team_names, on_call).as_bytes())?;
        file.flush()?;
        summary.on_call = Some((team_names.len(), rotations, escalations));
    }
    Ok(summary)
}
