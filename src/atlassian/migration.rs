//! Is the move from Opsgenie complete? Compares an Opsgenie account with
//! the Atlassian side and lists what differs, as typed data
//! ([`MigrationReport`]) and as a readable table (its `Display`).
//!
//! People are matched by e-mail: an Opsgenie username is the e-mail address
//! of an Atlassian account in the organization's directory. Then:
//!
//! * every Opsgenie user without a directory account, or whose account is
//!   suspended ([`UserFinding`]);
//! * every Opsgenie team without an Atlassian team of the same name
//!   (case-insensitive), or whose members differ ([`TeamFinding`]);
//! * when JSM Operations is checked, every Opsgenie rotation without a JSM
//!   rotation of the same schedule and rotation name, or whose participants
//!   differ in order or content ([`RotationFinding`]).
//!
//! The JSM role each user should have (by [`jsm_role_for`]) is reported for
//! each matched user but not verified: none of these APIs reads a person's
//! JSM role. Escalations are not compared yet.
//!
//! ```no_run
//! use opsgenie_users::atlassian::migration::{AtlassianSnapshot, OpsgenieSnapshot};
//! # async fn demo(
//! #     opsgenie: opsgenie_users::Client,
//! #     admin: opsgenie_users::atlassian::AdminClient,
//! #     teams: opsgenie_users::atlassian::TeamsClient,
//! #     jsm: opsgenie_users::atlassian::JsmOpsClient,
//! # ) -> opsgenie_users::Result<()> {
//! let before = OpsgenieSnapshot::collect(&opsgenie).await?;
//! let after = AtlassianSnapshot::collect(&admin, "dir-1", &teams, Some(&jsm)).await?;
//! let report = before.compare(&after);
//! print!("{report}");
//! std::process::exit(if report.is_complete() { 0 } else { 1 });
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use futures::TryStreamExt;
use serde::Serialize;

use super::admin::DirectoryUser;
use super::client::{AdminClient, JsmOpsClient, TeamsClient};
use super::ids::{AccountId, DirectoryId, PlatformTeamId};
use super::jsm::schedules::OpsParticipant;
use super::mapping::{jsm_role_for, JsmRole};
use super::teams::PlatformTeam;
use crate::error::Result;
use crate::ids::{ScheduleRef, TeamRef};
use crate::models::schedule::{Participant, ParticipantType};
use crate::models::user::Role;
use crate::request::{ApiRequest, Domain};
use crate::Client;

/// An Opsgenie user, as the check needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OgUser {
    /// The username (an e-mail address).
    pub username: String,
    /// The account role.
    #[serde(serialize_with = "role_name")]
    pub role: Option<Role>,
}

fn role_name<S: serde::Serializer>(r: &Option<Role>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_some(&r.as_ref().map(|r| r.as_str().to_string()))
}

/// A rotation participant on either side, in comparable form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Slot {
    /// A person, by e-mail (lowercased).
    User(String),
    /// A team, by name.
    Team(String),
    /// Nobody.
    Nobody,
    /// Something else (schedule, escalation, unknown id), as `type:id`.
    Other(String),
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Slot::User(e) => f.write_str(e),
            Slot::Team(t) => write!(f, "team {t}"),
            Slot::Nobody => f.write_str("nobody"),
            Slot::Other(o) => f.write_str(o),
        }
    }
}

/// A rotation, named by schedule and rotation name, with its participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NamedRotation {
    /// The schedule's name.
    pub schedule: String,
    /// The rotation's name.
    pub rotation: String,
    /// Participants in order.
    pub participants: Vec<Slot>,
}

/// The Opsgenie side: users, teams with member usernames, rotations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpsgenieSnapshot {
    /// Every user.
    pub users: Vec<OgUser>,
    /// Team name -> member usernames.
    pub teams: BTreeMap<String, BTreeSet<String>>,
    /// Every rotation of every schedule.
    pub rotations: Vec<NamedRotation>,
}

/// The Atlassian side: directory users, teams with members and, when JSM
/// Operations was read, its rotations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AtlassianSnapshot {
    /// The directory's users.
    pub users: Vec<DirectoryUser>,
    /// Every team with its member account ids.
    pub teams: Vec<(PlatformTeam, BTreeSet<AccountId>)>,
    /// JSM rotations (`None`: JSM Operations was not read).
    pub rotations: Option<Vec<NamedRotation>>,
}

/// A person who is not ready on the Atlassian side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserFinding {
    /// No directory account has this e-mail address.
    NoAccount {
        /// The Opsgenie username.
        username: String,
        /// The JSM role they should get.
        expected_role: Option<String>,
    },
    /// The account exists but its access is suspended.
    Suspended {
        /// The Opsgenie username.
        username: String,
        /// The account.
        account_id: AccountId,
    },
}

/// A team that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TeamFinding {
    /// No Atlassian team has this name.
    Missing {
        /// The Opsgenie team name.
        team: String,
    },
    /// Members differ.
    MembersDiffer {
        /// The team name.
        team: String,
        /// The Atlassian team id.
        team_id: PlatformTeamId,
        /// Opsgenie members not in the Atlassian team (usernames).
        missing: Vec<String>,
        /// Atlassian members not in the Opsgenie team (e-mail, or account
        /// id marked "not in the directory").
        extra: Vec<String>,
    },
}

/// A rotation that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationFinding {
    /// No JSM rotation has this schedule and rotation name.
    Missing {
        /// Schedule name.
        schedule: String,
        /// Rotation name.
        rotation: String,
    },
    /// Participants differ (content or order).
    ParticipantsDiffer {
        /// Schedule name.
        schedule: String,
        /// Rotation name.
        rotation: String,
        /// In Opsgenie.
        expected: Vec<Slot>,
        /// In JSM.
        actual: Vec<Slot>,
    },
}

/// A person found on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MatchedUser {
    /// The Opsgenie username.
    pub username: String,
    /// The Atlassian account.
    pub account_id: AccountId,
    /// The JSM role they should have (not verified: no API reads it).
    pub expected_role: Option<String>,
}

/// What [`OpsgenieSnapshot::compare`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MigrationReport {
    /// People found on both sides.
    pub matched: Vec<MatchedUser>,
    /// People not ready.
    pub users: Vec<UserFinding>,
    /// Teams that differ.
    pub teams: Vec<TeamFinding>,
    /// Rotations that differ (empty when JSM was not read).
    pub rotations: Vec<RotationFinding>,
    /// Teams compared.
    pub teams_checked: usize,
    /// Rotations compared (`None`: JSM was not read).
    pub rotations_checked: Option<usize>,
}

impl MigrationReport {
    /// True when nothing differs.
    pub fn is_complete(&self) -> bool {
        self.users.is_empty() && self.teams.is_empty() && self.rotations.is_empty()
    }

    /// How many findings.
    pub fn findings(&self) -> usize {
        self.users.len() + self.teams.len() + self.rotations.len()
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "users: {} matched, {} not ready | teams: {} checked, {} differ | rotations: {}",
            self.matched.len(),
            self.users.len(),
            self.teams_checked,
            self.teams.len(),
            match self.rotations_checked {
                Some(n) => format!("{n} checked, {} differ", self.rotations.len()),
                None => "not checked".into(),
            }
        )?;
        if self.is_complete() {
            return writeln!(f, "nothing differs: the migration is complete");
        }
        writeln!(f, "{:<10} {:<32} DETAIL", "KIND", "WHAT")?;
        for u in &self.users {
            match u {
                UserFinding::NoAccount {
                    username,
                    expected_role,
                } => writeln!(
                    f,
                    "{:<10} {:<32} no Atlassian account with this e-mail (should be {})",
                    "user",
                    username,
                    expected_role.as_deref().unwrap_or("unmapped role")
                )?,
                UserFinding::Suspended {
                    username,
                    account_id,
                } => writeln!(
                    f,
                    "{:<10} {:<32} account {account_id} is suspended",
                    "user", username
                )?,
            }
        }
        for t in &self.teams {
            match t {
                TeamFinding::Missing { team } => writeln!(
                    f,
                    "{:<10} {:<32} no Atlassian team with this name",
                    "team", team
                )?,
                TeamFinding::MembersDiffer {
                    team,
                    missing,
                    extra,
                    ..
                } => writeln!(
                    f,
                    "{:<10} {:<32} missing: {}; extra: {}",
                    "team",
                    team,
                    join(missing),
                    join(extra)
                )?,
            }
        }
        for r in &self.rotations {
            match r {
                RotationFinding::Missing { schedule, rotation } => writeln!(
                    f,
                    "{:<10} {:<32} no JSM rotation with this schedule and name",
                    "rotation",
                    format!("{schedule} / {rotation}")
                )?,
                RotationFinding::ParticipantsDiffer {
                    schedule,
                    rotation,
                    expected,
                    actual,
                } => writeln!(
                    f,
                    "{:<10} {:<32} Opsgenie: {}; JSM: {}",
                    "rotation",
                    format!("{schedule} / {rotation}"),
                    join(expected),
                    join(actual)
                )?,
            }
        }
        Ok(())
    }
}

impl OpsgenieSnapshot {
    /// Reads users, teams (with members) and every schedule's rotations
    /// from Opsgenie. One request per team and per schedule.
    pub async fn collect(client: &Client) -> Result<OpsgenieSnapshot> {
        let users: Vec<crate::models::user::User> = client.users().list_all().try_collect().await?;
        let by_id: BTreeMap<String, String> = users
            .iter()
            .map(|u| {
                (
                    u.id.as_str().to_string(),
                    u.username.as_str().to_lowercase(),
                )
            })
            .collect();
        let mut teams = BTreeMap::new();
        for t in client.teams().list().await? {
            let full = client.teams().get(TeamRef::Id(t.id.clone())).await?;
            let members = full
                .members
                .iter()
                .filter_map(|m| {
                    m.user
                        .username
                        .as_ref()
                        .map(|u| u.as_str().to_lowercase())
                        .or_else(|| {
                            m.user
                                .id
                                .as_ref()
                                .and_then(|i| by_id.get(i.as_str()).cloned())
                        })
                })
                .collect();
            teams.insert(full.name.clone(), members);
        }
        #[derive(serde::Deserialize)]
        struct Sched {
            id: String,
            name: String,
        }
        let schedules: Vec<Sched> = client
            .send(ApiRequest::get(Domain::Configuration).path("v2/schedules"))
            .await?
            .data()?;
        let mut rotations = Vec::new();
        for s in schedules {
            let rs = client
                .schedules()
                .rotations(ScheduleRef::id(s.id.as_str()))
                .list()
                .await?;
            for r in rs {
                rotations.push(NamedRotation {
                    schedule: s.name.clone(),
                    rotation: r.name.clone().unwrap_or_else(|| r.id.to_string()),
                    participants: r.participants.iter().map(|p| og_slot(p, &by_id)).collect(),
                });
            }
        }
        Ok(OpsgenieSnapshot {
            users: users
                .into_iter()
                .map(|u| OgUser {
                    username: u.username.as_str().to_string(),
                    role: u.role.map(|r| r.name),
                })
                .collect(),
            teams,
            rotations,
        })
    }

    /// Compares with the Atlassian side.
    pub fn compare(&self, atl: &AtlassianSnapshot) -> MigrationReport {
        compare(self, atl)
    }
}

fn og_slot(p: &Participant, by_id: &BTreeMap<String, String>) -> Slot {
    match p.kind {
        ParticipantType::User => p
            .username
            .as_ref()
            .map(|u| u.to_lowercase())
            .or_else(|| p.id.as_ref().and_then(|i| by_id.get(i).cloned()))
            .map(Slot::User)
            .unwrap_or_else(|| Slot::Other(format!("user:{}", p.id.as_deref().unwrap_or("?")))),
        ParticipantType::Team => {
            Slot::Team(p.name.clone().or_else(|| p.id.clone()).unwrap_or_default())
        }
        ParticipantType::None => Slot::Nobody,
        _ => Slot::Other(format!(
            "{}:{}",
            p.kind.as_str(),
            p.name.as_deref().or(p.id.as_deref()).unwrap_or("?")
        )),
    }
}

impl AtlassianSnapshot {
    /// Reads the directory's users, every team with its members and, with
    /// `jsm`, every schedule's rotations. One request per page, team and schedule.
    pub async fn collect(
        admin: &AdminClient,
        directory: impl Into<DirectoryId>,
        teams: &TeamsClient,
        jsm: Option<&JsmOpsClient>,
    ) -> Result<AtlassianSnapshot> {
        let users: Vec<DirectoryUser> =
            admin.users(directory).list().stream().try_collect().await?;
        let mut all_teams = Vec::new();
        let listed: Vec<PlatformTeam> = teams.list().stream().try_collect().await?;
        for t in listed {
            let members: BTreeSet<AccountId> = teams
                .members(t.team_id.clone())
                .list()
                .stream()
                .map_ok(|m| m.account_id)
                .try_collect()
                .await?;
            all_teams.push((t, members));
        }
        let rotations = match jsm {
            None => None,
            Some(jsm) => {
                let email: BTreeMap<&str, String> = users
                    .iter()
                    .filter_map(|u| {
                        u.email
                            .as_ref()
                            .map(|e| (u.account_id.as_str(), e.to_lowercase()))
                    })
                    .collect();
                let team_names: BTreeMap<&str, &str> = all_teams
                    .iter()
                    .map(|(t, _)| (t.team_id.as_str(), t.display_name.as_str()))
                    .collect();
                let mut out = Vec::new();
                let schedules: Vec<_> = jsm.schedules().list().stream().try_collect().await?;
                for s in schedules {
                    let rs: Vec<_> = jsm
                        .schedules()
                        .rotations(s.id.clone())
                        .list()
                        .stream()
                        .try_collect()
                        .await?;
                    for r in rs {
                        out.push(NamedRotation {
                            schedule: s.name.clone(),
                            rotation: r.name.clone().unwrap_or_else(|| r.id.to_string()),
                            participants: r
                                .participants
                                .iter()
                                .map(|p| jsm_slot(p, &email, &team_names))
                                .collect(),
                        });
                    }
                }
                Some(out)
            }
        };
        Ok(AtlassianSnapshot {
            users,
            teams: all_teams,
            rotations,
        })
    }
}

fn jsm_slot(
    p: &OpsParticipant,
    email: &BTreeMap<&str, String>,
    teams: &BTreeMap<&str, &str>,
) -> Slot {
    let id = p.id.as_deref().unwrap_or("?");
    match p.kind.as_str() {
        "user" => email
            .get(id)
            .cloned()
            .map(Slot::User)
            .unwrap_or_else(|| Slot::Other(format!("user:{id}"))),
        "team" => teams
            .get(id)
            .map(|n| Slot::Team(n.to_string()))
            .unwrap_or_else(|| Slot::Other(format!("team:{id}"))),
        "noone" | "none" => Slot::Nobody,
        other => Slot::Other(format!("{other}:{id}")),
    }
}

fn compare(og: &OpsgenieSnapshot, atl: &AtlassianSnapshot) -> MigrationReport {
    let mut report = MigrationReport::default();
    let by_email: BTreeMap<String, &DirectoryUser> = atl
        .users
        .iter()
        .filter_map(|u| u.email.as_ref().map(|e| (e.to_lowercase(), u)))
        .collect();
    let email_of: BTreeMap<&AccountId, String> = atl
        .users
        .iter()
        .filter_map(|u| u.email.as_ref().map(|e| (&u.account_id, e.to_lowercase())))
        .collect();
    for u in &og.users {
        let expected_role = u
            .role
            .as_ref()
            .and_then(|r| jsm_role_for(r, false))
            .map(|r: JsmRole| r.to_string());
        match by_email.get(&u.username.to_lowercase()) {
            None => report.users.push(UserFinding::NoAccount {
                username: u.username.clone(),
                expected_role,
            }),
            Some(d) if d.is_suspended() => report.users.push(UserFinding::Suspended {
                username: u.username.clone(),
                account_id: d.account_id.clone(),
            }),
            Some(d) => report.matched.push(MatchedUser {
                username: u.username.clone(),
                account_id: d.account_id.clone(),
                expected_role,
            }),
        }
    }
    for (name, og_members) in &og.teams {
        report.teams_checked += 1;
        let Some((team, members)) = atl
            .teams
            .iter()
            .find(|(t, _)| t.display_name.eq_ignore_ascii_case(name))
        else {
            report
                .teams
                .push(TeamFinding::Missing { team: name.clone() });
            continue;
        };
        let actual: BTreeSet<String> = members
            .iter()
            .map(|a| {
                email_of
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| format!("{a} (not in the directory)"))
            })
            .collect();
        let expected: BTreeSet<String> = og_members.iter().map(|m| m.to_lowercase()).collect();
        let missing: Vec<String> = expected.difference(&actual).cloned().collect();
        let extra: Vec<String> = actual.difference(&expected).cloned().collect();
        if !missing.is_empty() || !extra.is_empty() {
            report.teams.push(TeamFinding::MembersDiffer {
                team: name.clone(),
                team_id: team.team_id.clone(),
                missing,
                extra,
            });
        }
    }
    if let Some(jsm) = &atl.rotations {
        report.rotations_checked = Some(og.rotations.len());
        for r in &og.rotations {
            let found = jsm.iter().find(|j| {
                j.schedule.eq_ignore_ascii_case(&r.schedule)
                    && j.rotation.eq_ignore_ascii_case(&r.rotation)
            });
            match found {
                None => report.rotations.push(RotationFinding::Missing {
                    schedule: r.schedule.clone(),
                    rotation: r.rotation.clone(),
                }),
                Some(j) if j.participants != r.participants => {
                    report.rotations.push(RotationFinding::ParticipantsDiffer {
                        schedule: r.schedule.clone(),
                        rotation: r.rotation.clone(),
                        expected: r.participants.clone(),
                        actual: j.participants.clone(),
                    })
                }
                Some(_) => {}
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_user(id: &str, email: &str, status: &str) -> DirectoryUser {
        serde_json::from_value(
            serde_json::json!({"accountId": id, "email": email, "status": status}),
        )
        .unwrap()
    }

    fn team(id: &str, name: &str) -> PlatformTeam {
        serde_json::from_value(serde_json::json!({"teamId": id, "displayName": name})).unwrap()
    }

    #[test]
    fn finds_missing_people_teams_and_rotations() {
        let og = OpsgenieSnapshot {
            users: vec![
                OgUser {
                    username: "Jane@x.com".into(),
                    role: Some(Role::Admin),
                },
                OgUser {
                    username: "bob@x.com".into(),
                    role: Some(Role::User),
                },
                OgUser {
                    username: "sus@x.com".into(),
                    role: Some(Role::User),
                },
            ],
            teams: [
                (
                    "SRE".to_string(),
                    ["jane@x.com".to_string(), "bob@x.com".to_string()].into(),
                ),
                ("DB".to_string(), BTreeSet::new()),
            ]
            .into(),
            rotations: vec![NamedRotation {
                schedule: "sre".into(),
                rotation: "weekly".into(),
                participants: vec![Slot::User("jane@x.com".into()), Slot::Nobody],
            }],
        };
        let atl = AtlassianSnapshot {
            users: vec![
                dir_user("a-j", "jane@x.com", "active"),
                dir_user("a-s", "sus@x.com", "suspended"),
                dir_user("a-o", "other@x.com", "active"),
            ],
            teams: vec![(team("t-1", "sre"), ["a-j".into(), "a-o".into()].into())],
            rotations: Some(vec![NamedRotation {
                schedule: "SRE".into(),
                rotation: "Weekly".into(),
                participants: vec![Slot::User("jane@x.com".into())],
            }]),
        };
        let r = og.compare(&atl);
        assert_eq!(r.matched.len(), 1);
        assert_eq!(
            r.matched[0].expected_role.as_deref(),
            Some("Operations global admin")
        );
        assert_eq!(
            r.users,
            vec![
                UserFinding::NoAccount {
                    username: "bob@x.com".into(),
                    expected_role: Some("Agent".into())
                },
                UserFinding::Suspended {
                    username: "sus@x.com".into(),
                    account_id: "a-s".into()
                },
            ]
        );
        assert_eq!(
            r.teams,
            vec![
                TeamFinding::Missing { team: "DB".into() },
                TeamFinding::MembersDiffer {
                    team: "SRE".into(),
                    team_id: "t-1".into(),
                    missing: vec!["bob@x.com".into()],
                    extra: vec!["other@x.com".into()],
                },
            ]
        );
        assert_eq!(r.rotations.len(), 1);
        assert!(!r.is_complete());
        assert_eq!(r.findings(), 5);
        let table = r.to_string();
        assert!(table.contains("bob@x.com"), "{table}");
        assert!(
            table.contains("missing: bob@x.com; extra: other@x.com"),
            "{table}"
        );
        assert!(
            table.contains("Opsgenie: jane@x.com, nobody; JSM: jane@x.com"),
            "{table}"
        );
    }

    #[test]
    fn an_empty_difference_is_complete() {
        let r = OpsgenieSnapshot::default().compare(&AtlassianSnapshot::default());
        assert!(r.is_complete());
        assert!(r.to_string().contains("migration is complete"));
        assert_eq!(r.rotations_checked, None);
    }
}
