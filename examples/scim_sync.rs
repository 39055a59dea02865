//! scim_sync: converge a SCIM user directory (Atlassian Guard, or any SCIM 2.0
//! server) to a CSV file of desired users and group memberships.
//!
//! What it does, in order:
//! 1. reads every user and group of the directory;
//! 2. creates users missing from the directory, updates those whose
//!    attributes differ (matched on `externalId`, else on `userName`),
//!    deactivates active users absent from the CSV (or marked `active=false`);
//!    it never deletes a user unless `--delete-missing` is given;
//! 3. creates the groups the CSV names and sets their members to exactly the
//!    CSV's active users (groups the CSV does not name are left alone).
//!
//! `--dry-run` prints the plan and changes nothing. While it applies, a
//! progress bar on stderr shows the steps done, the rate and the time left.
//! `RUST_LOG=opsgenie_users=debug` prints every request, rate-limit wait and
//! retry to stderr.
//!
//! CSV (header required, `groups` separated by `;`, fields may be quoted):
//!
//! ```text
//! externalId,userName,givenName,familyName,displayName,active,groups
//! okta-1,jane@example.com,Jane,Doe,Jane Doe,true,opsgenie-responders;sre
//! okta-2,sam@example.com,Sam,Lee,"Lee, Sam",true,sre
//! ```
//!
//! Token: the directory's SCIM API key (Atlassian Administration > Security >
//! Identity providers > your directory > set up user provisioning). It can
//! create, change and deactivate every user of the directory: keep it secret;
//! it expires after a year.
//!
//! Run:
//!
//! ```sh
//! ATLASSIAN_DIRECTORY_ID=... SCIM_TOKEN=... cargo run --example scim_sync -- users.csv --dry-run
//! # any SCIM server instead of Atlassian:
//! SCIM_BASE_URL=http://127.0.0.1:8080/tenant SCIM_TOKEN=... cargo run --example scim_sync -- users.csv
//! ```
//!
//! The CSV is read with the `csv` crate (a dev-dependency, shared with the
//! other examples); `tests/scim_server.rs` runs `parse_csv`, `plan` and
//! `apply` against scim2-server.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use opsgenie_users::scim::{Name, PatchOp, ScimClient, ScimGroup, ScimUser};
use serde_json::Value;

#[path = "common/mod.rs"]
mod common;

/// One CSV row.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredUser {
    pub external_id: String,
    pub user_name: String,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub active: bool,
    pub groups: Vec<String>,
}

impl DesiredUser {
    fn to_scim(&self) -> ScimUser {
        let mut u = ScimUser::new(&self.user_name)
            .external_id(&self.external_id)
            .active(self.active);
        if !self.given_name.is_empty() || !self.family_name.is_empty() {
            u = u.name(Name::new(&self.given_name, &self.family_name));
        }
        if !self.display_name.is_empty() {
            u = u.display_name(&self.display_name);
        }
        u
    }
}

/// A CSV row as written; `active` and `groups` are interpreted by [`parse_csv`].
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    external_id: String,
    user_name: String,
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    groups: String,
}

/// Parses the CSV text (see the top of the file for the columns).
pub fn parse_csv(text: &str) -> Result<Vec<DesiredUser>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, row) in reader.deserialize::<Row>().enumerate() {
        let line = n + 2;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        let user = DesiredUser {
            active: match row.active.to_ascii_lowercase().as_str() {
                "" | "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                other => return Err(format!("line {line}: active={other:?}")),
            },
            groups: row
                .groups
                .split(';')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(String::from)
                .collect(),
            external_id: row.external_id,
            user_name: row.user_name,
            given_name: row.given_name,
            family_name: row.family_name,
            display_name: row.display_name,
        };
        if user.external_id.is_empty() || user.user_name.is_empty() {
            return Err(format!("line {line}: externalId and userName are required"));
        }
        if !seen.insert(user.external_id.clone()) {
            return Err(format!(
                "line {line}: duplicate externalId {:?}",
                user.external_id
            ));
        }
        out.push(user);
    }
    Ok(out)
}

/// The directory as read.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub users: Vec<ScimUser>,
    pub groups: Vec<ScimGroup>,
}

/// Reads every user and group.
pub async fn fetch(scim: &ScimClient) -> opsgenie_users::Result<Directory> {
    Ok(Directory {
        users: scim.users().list().all().await?,
        groups: scim.groups().list().all().await?,
    })
}

/// One step of the plan. Users are named by `userName`; members of groups
/// are resolved to ids when applied (new users get theirs on creation).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    CreateUser(Box<ScimUser>),
    UpdateUser {
        id: String,
        user_name: String,
        changes: serde_json::Map<String, Value>,
    },
    DeactivateUser {
        id: String,
        user_name: String,
    },
    DeleteUser {
        id: String,
        user_name: String,
    },
    CreateGroup {
        name: String,
    },
    AddMembers {
        group: String,
        user_names: Vec<String>,
    },
    RemoveMembers {
        group: String,
        members: Vec<(String, String)>,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreateUser(u) => write!(
                f,
                "create user {} (externalId {})",
                u.user_name,
                u.external_id.as_deref().unwrap_or("")
            ),
            Action::UpdateUser {
                user_name, changes, ..
            } => {
                write!(
                    f,
                    "update user {user_name}: {}",
                    Value::Object(changes.clone())
                )
            }
            Action::DeactivateUser { user_name, .. } => write!(f, "deactivate user {user_name}"),
            Action::DeleteUser { user_name, .. } => write!(f, "DELETE user {user_name}"),
            Action::CreateGroup { name } => write!(f, "create group {name}"),
            Action::AddMembers { group, user_names } => {
                write!(f, "add to {group}: {}", user_names.join(", "))
            }
            Action::RemoveMembers { group, members } => {
                let names: Vec<&str> = members.iter().map(|(_, label)| label.as_str()).collect();
                write!(f, "remove from {group}: {}", names.join(", "))
            }
        }
    }
}

/// Computes what to do; pure, so `--dry-run` is exactly what `apply` would run.
pub fn plan(desired: &[DesiredUser], dir: &Directory, delete_missing: bool) -> Vec<Action> {
    let mut actions = Vec::new();
    let by_ext: HashMap<&str, &ScimUser> = dir
        .users
        .iter()
        .filter_map(|u| u.external_id.as_deref().map(|e| (e, u)))
        .collect();
    let by_name: HashMap<String, &ScimUser> = dir
        .users
        .iter()
        .map(|u| (u.user_name.to_lowercase(), u))
        .collect();
    let mut matched: BTreeSet<String> = BTreeSet::new();
    // id -> userName, to print members
    let mut label_of: HashMap<String, String> = HashMap::new();
    for u in &dir.users {
        if let Some(id) = &u.id {
            label_of.insert(id.to_string(), u.user_name.clone());
        }
    }

    for d in desired {
        let existing = by_ext.get(d.external_id.as_str()).copied().or_else(|| {
            by_name
                .get(&d.user_name.to_lowercase())
                .copied()
                .filter(|u| u.external_id.as_deref().is_none_or(str::is_empty))
        });
        let want = d.to_scim();
        match existing {
            None => actions.push(Action::CreateUser(Box::new(want))),
            Some(e) => {
                let id = e.id.as_deref().unwrap_or_default().to_string();
                matched.insert(id.clone());
                let changes = want.changes_from(e);
                if !changes.is_empty() {
                    actions.push(Action::UpdateUser {
                        id,
                        user_name: d.user_name.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for u in &dir.users {
        let Some(id) = &u.id else { continue };
        if matched.contains(id.as_str()) {
            continue;
        }
        if delete_missing {
            actions.push(Action::DeleteUser {
                id: id.to_string(),
                user_name: u.user_name.clone(),
            });
        } else if u.active != Some(false) {
            actions.push(Action::DeactivateUser {
                id: id.to_string(),
                user_name: u.user_name.clone(),
            });
        }
    }

    // groups named in the CSV: members = the active users listing them
    let mut want_members: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for d in desired {
        for g in &d.groups {
            let set = want_members.entry(g.as_str()).or_default();
            if d.active {
                set.insert(d.user_name.to_lowercase());
            }
        }
    }
    let group_by_name: HashMap<&str, &ScimGroup> = dir
        .groups
        .iter()
        .map(|g| (g.display_name.as_str(), g))
        .collect();
    let name_of_id: HashMap<&str, String> = dir
        .users
        .iter()
        .filter_map(|u| u.id.as_deref().map(|id| (id, u.user_name.to_lowercase())))
        .collect();
    // users matched by externalId may be renamed by this run: member names follow the CSV
    let mut csv_name_of_id: HashMap<String, String> = HashMap::new();
    for d in desired {
        if let Some(e) = by_ext.get(d.external_id.as_str()) {
            if let Some(id) = &e.id {
                csv_name_of_id.insert(id.to_string(), d.user_name.to_lowercase());
            }
        }
    }
    for (group, want) in want_members {
        let (have_names, have_ids): (BTreeSet<String>, Vec<(String, String)>) =
            match group_by_name.get(group) {
                None => {
                    actions.push(Action::CreateGroup {
                        name: group.to_string(),
                    });
                    (BTreeSet::new(), Vec::new())
                }
                Some(g) => {
                    let ids: Vec<(String, String)> = g
                        .members
                        .iter()
                        .map(|m| {
                            let name = csv_name_of_id
                                .get(&m.value)
                                .cloned()
                                .or_else(|| name_of_id.get(m.value.as_str()).cloned())
                                .unwrap_or_else(|| m.value.clone());
                            (m.value.clone(), name)
                        })
                        .collect();
                    (ids.iter().map(|(_, n)| n.clone()).collect(), ids)
                }
            };
        let add: Vec<String> = want.difference(&have_names).cloned().collect();
        if !add.is_empty() {
            actions.push(Action::AddMembers {
                group: group.to_string(),
                user_names: add,
            });
        }
        let remove: Vec<(String, String)> = have_ids
            .into_iter()
            .filter(|(_, name)| !want.contains(name))
            .map(|(id, name)| (id.clone(), label_of.get(&id).cloned().unwrap_or(name)))
            .collect();
        if !remove.is_empty() {
            actions.push(Action::RemoveMembers {
                group: group.to_string(),
                members: remove,
            });
        }
    }
    actions
}

/// Runs the plan in order. Stops at the first failure (what was done stays
/// done; running again converges the rest).
pub async fn apply(
    scim: &ScimClient,
    dir: &Directory,
    actions: &[Action],
) -> opsgenie_users::Result<usize> {
    let mut ids: HashMap<String, String> = dir
        .users
        .iter()
        .filter_map(|u| {
            u.id.clone()
                .map(|id| (u.user_name.to_lowercase(), id.into()))
        })
        .collect();
    let mut groups: HashMap<String, String> = dir
        .groups
        .iter()
        .filter_map(|g| g.id.clone().map(|id| (g.display_name.clone(), id.into())))
        .collect();
    let missing = |what: &str| opsgenie_users::Error::InvalidInput(format!("unknown {what}"));
    let bar = common::progress(actions.len() as u64);
    for a in actions {
        bar.set_message(a.to_string());
        match a {
            Action::CreateUser(u) => {
                let created = scim.users().create((**u).clone()).await?;
                ids.insert(
                    u.user_name.to_lowercase(),
                    created.id.map(String::from).unwrap_or_default(),
                );
            }
            Action::UpdateUser {
                id,
                user_name,
                changes,
            } => {
                scim.users()
                    .patch(
                        id,
                        PatchOp::new().replace_attributes(Value::Object(changes.clone())),
                    )
                    .await?;
                ids.insert(user_name.to_lowercase(), id.clone());
            }
            Action::DeactivateUser { id, .. } => {
                scim.users().deactivate(id).await?;
            }
            Action::DeleteUser { id, .. } => scim.users().delete(id).await?,
            Action::CreateGroup { name } => {
                let g = scim.groups().create(ScimGroup::new(name)).await?;
                groups.insert(name.clone(), g.id.map(String::from).unwrap_or_default());
            }
            Action::AddMembers { group, user_names } => {
                let gid = groups.get(group).ok_or_else(|| missing(group))?;
                let member_ids = user_names
                    .iter()
                    .map(|n| ids.get(n).cloned().ok_or_else(|| missing(n)))
                    .collect::<Result<Vec<_>, _>>()?;
                scim.groups().add_members(gid, &member_ids).await?;
            }
            Action::RemoveMembers { group, members } => {
                let gid = groups.get(group).ok_or_else(|| missing(group))?;
                scim.groups()
                    .remove_members(gid, members.iter().map(|(id, _)| id))
                    .await?;
            }
        }
        bar.suspend(|| println!("done: {a}"));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(actions.len())
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let delete_missing = args.iter().any(|a| a == "--delete-missing");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: scim_sync <users.csv> [--dry-run] [--delete-missing]");
        std::process::exit(2);
    };
    let desired = parse_csv(&std::fs::read_to_string(path)?)?;
    let token = std::env::var("SCIM_TOKEN").map_err(|_| "SCIM_TOKEN is not set")?;
    let builder = ScimClient::builder().token(token);
    let scim = match (
        std::env::var("SCIM_BASE_URL"),
        std::env::var("ATLASSIAN_DIRECTORY_ID"),
    ) {
        (Ok(url), _) => builder.base_url(url),
        (_, Ok(dir)) => builder.atlassian_directory(&dir),
        _ => return Err("set SCIM_BASE_URL or ATLASSIAN_DIRECTORY_ID".into()),
    }
    .build()?;

    let dir = fetch(&scim).await?;
    let actions = plan(&desired, &dir, delete_missing);
    println!(
        "{} users and {} groups in the directory, {} in the CSV: {} change(s)",
        dir.users.len(),
        dir.groups.len(),
        desired.len(),
        actions.len()
    );
    for a in &actions {
        println!("  {a}");
    }
    if dry_run || actions.is_empty() {
        return Ok(());
    }
    apply(&scim, &dir, &actions).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_errors() {
        let users = parse_csv(
            "externalId,userName,givenName,familyName,displayName,active,groups\n\
             1,a@x,A,B,\"B, A\",false,g1; g2\n\
             2,b@x,,,\"say \"\"hi\"\"\",,\n",
        )
        .unwrap();
        assert_eq!(users[0].display_name, "B, A");
        assert!(!users[0].active);
        assert_eq!(users[0].groups, ["g1", "g2"]);
        assert_eq!(users[1].display_name, "say \"hi\"");
        assert!(users[1].active && users[1].groups.is_empty());
        assert!(parse_csv("userName\nx").is_err());
        assert!(parse_csv("externalId,userName\n1,a\n1,b").is_err());
        assert!(parse_csv("externalId,userName,active\n1,a,maybe").is_err());
    }
}
