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
//! JSON lines hold `{"type": "customRole" | "teamRole" | "user", ...}`
//! records; CSV holds the users and writes the roles to `<out>.roles.csv`.
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
use opsgenie_users::models::jsm_role::{jsm_role_for, JsmRole};
use opsgenie_users::models::role::CustomRole;
use opsgenie_users::models::team::TeamRoleDef;
use opsgenie_users::models::user::{Role, User};
use opsgenie_users::Client;
use serde_json::{json, Value};

#[path = "common/mod.rs"]
mod common;

/// The Jira Service Management counterpart of an Opsgenie account role, by
/// the crate's one mapping ([`jsm_role_for`]). Whether an Owner was a site
/// admin is not known here, so an Owner reads "Product admin (Site admin if
/// they are one)".
fn jsm_role(role: &Role) -> String {
    match jsm_role_for(role, false) {
        Some(JsmRole::ProductAdmin) => "Product admin (Site admin if they are one)".into(),
        Some(r) => r.to_string(),
        None => "review (no documented counterpart)".into(),
    }
}

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
                Some(_) => has_roles = true,
                None => {}
            }
        }
    }
    Ok(Resumed {
        keep,
        done,
        has_roles,
    })
}

/// Cuts a half-written last record off the output file `path` and returns
/// the usernames already exported, and whether the roles (CSV: the header)
/// are written. A missing file is a fresh start; a file that cannot be read
/// is an error (appending to it would export everyone twice).
fn resume(path: &Path, csv: bool) -> Result<(BTreeSet<String>, bool), String> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((BTreeSet::new(), false)),
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
    Ok((r.done, r.has_roles))
}

/// The CSV header of the users file.
pub const CSV_HEADER: &str =
    "id,username,email,fullName,role,jsmRole,teams,contacts,blocked,verified,createdAt";

/// The custom and team roles as JSON lines.
pub fn role_lines(custom_roles: &[CustomRole], team_roles: &[(String, TeamRoleDef)]) -> String {
    let mut out = String::new();
    for r in custom_roles {
        let line = json!({
            "type": "customRole", "id": r.id.as_str(), "name": r.name,
            "extendedRole": r.extended_role.as_ref().map(|e| e.as_str()),
            "grantedRights": r.granted_rights.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            "disallowedRights": r.disallowed_rights.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
            "jsmRole": "custom",
        });
        out.push_str(&format!("{line}\n"));
    }
    for (team, r) in team_roles {
        let line = json!({"type": "teamRole", "team": team, "name": r.name, "rights": r.rights});
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// One user's record, line break included: a JSON line, or a CSV record.
/// `teams` holds (team, role in the team) pairs.
pub fn user_record(
    full: &User,
    teams: &[(String, String)],
    csv_out: bool,
) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let role = full
        .role
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or(Role::User);
    let contacts: Vec<(String, String, bool)> = full
        .contacts
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            (
                c.method.map(|m| m.to_string()).unwrap_or_default(),
                c.to.unwrap_or_default(),
                c.enabled.unwrap_or(true),
            )
        })
        .collect();
    let created = full.created_at.map(|t| t.to_string()).unwrap_or_default();
    if csv_out {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record([
            full.id.as_str(),
            full.username.as_str(),
            full.username.as_str(),
            full.full_name.as_deref().unwrap_or(""),
            role.as_str(),
            &jsm_role(&role),
            &teams
                .iter()
                .map(|(t, r)| format!("{t}:{r}"))
                .collect::<Vec<_>>()
                .join(";"),
            &contacts
                .iter()
                .map(|(m, to, _)| format!("{m}:{to}"))
                .collect::<Vec<_>>()
                .join(";"),
            &full.blocked.unwrap_or(false).to_string(),
            &full.verified.unwrap_or(false).to_string(),
            &created,
        ])?;
        Ok(w.into_inner()?)
    } else {
        let line = json!({
            "type": "user",
            "id": full.id.as_str(), "username": full.username.as_str(), "email": full.username.as_str(),
            "fullName": full.full_name, "role": role.as_str(),
            "roleKind": if role.is_builtin() { "builtin" } else { "custom" },
            "jsmRole": jsm_role(&role),
            "teams": teams.iter().map(|(t, r)| json!({"team": t, "role": r})).collect::<Vec<_>>(),
            "contacts": contacts.iter().map(|(m, to, on)| json!({"method": m, "to": to, "enabled": on})).collect::<Vec<_>>(),
            "blocked": full.blocked, "verified": full.verified, "createdAt": created,
        });
        Ok(format!("{line}\n").into_bytes())
    }
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
    let (done, has_roles) = resume(&out, csv_out)?;

    // Roles and memberships: a handful of calls, then one call per user.
    let custom_roles = client.roles().list().await?;
    let mut memberships: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut team_roles = Vec::new();
    for t in client.teams().list().await? {
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

    let mut file = OpenOptions::new().create(true).append(true).open(&out)?;
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
        if done.contains(u.username.as_str()) {
            skipped += 1;
            continue;
        }
        if exported == max {
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
    println!(
        "exported {exported} user(s) to {} ({skipped} already there); {} custom role(s), {} team role(s)",
        out.display(),
        custom_roles.len(),
        team_roles.len()
    );
    Ok(())
}
