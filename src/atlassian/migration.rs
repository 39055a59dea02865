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
//! * every matched user whose Jira Service Management product role (read
//!   from the Admin API's role assignments of the account) is not the one
//!   [`jsm_role_for`] maps their Opsgenie role to, and, when JSM Operations
//!   is checked, every Opsgenie custom role with no JSM custom user role of
//!   the same name ([`RoleFinding`]);
//! * when JSM Operations is checked, every Opsgenie rotation without a JSM
//!   rotation of the same schedule and rotation name, or whose participants
//!   differ in order or content ([`RotationFinding`]);
//! * when JSM Operations is checked, every team-owned Opsgenie escalation
//!   without a JSM escalation of the same name under the team of the same
//!   name, or whose rules differ: condition, notify type, delay (in
//!   minutes) or recipient, in order ([`EscalationFinding`]). Escalations
//!   without an owner team are listed as skipped: in JSM every escalation
//!   belongs to a team. A JSM rule's `delay` is read as integer minutes or
//!   as Opsgenie's `{timeAmount, timeUnit}` (its shape is not confirmed on
//!   the vendor page).
//!
//! # From an export file
//!
//! [`OpsgenieSnapshot::from_export`] reads the JSON lines of the `export`
//! example (the records of [`crate::export`]) instead of the account: no
//! Opsgenie key is needed, e.g. after Opsgenie is turned off. Its on-call
//! section (teams, rotations, escalations, closed by `exportComplete`)
//! makes the check as complete as a live one; an export without it (an
//! older one, or one stopped early) has rotations and escalations "not
//! checked" rather than missing.
//!
//! # Roles: what is compared, what cannot be
//!
//! A product role is a role assignment (`roleId`) on the Jira Service
//! Management resource (a `resourceId` of the form
//! `ari:cloud:jira-servicedesk::site/{cloudId}`): `atlassian/user` for an
//! Agent, `atlassian/admin` for a product admin, `atlassian/stakeholder` for
//! a Stakeholder; `atlassian/site-admin` (or that platform role) makes an
//! Owner's expected role Site admin. The highest product role held is
//! compared with the expected one. Two things no API reads, so the check
//! only notes them on the matched user ([`MatchedUser::role_note`]): the
//! Operations global admin role (an Opsgenie Admin is checked to be an
//! Agent) and which people hold a custom user role (the role's existence is
//! checked, and its holders need Agent access).
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

use super::admin::{DirectoryUser, RoleAssignment};
use super::client::{AdminClient, JsmOpsClient, TeamsClient};
use super::ids::{AccountId, DirectoryId, PlatformTeamId};
use super::jsm::schedules::{OpsEscalationRule, OpsParticipant};
use super::teams::PlatformTeam;
use crate::error::Result;
use crate::export::{
    read_on_call, read_records, EscalationRecord, ExportError, OnCall, Record, RotationRecord,
    RuleRecord,
};
use crate::ids::TeamRef;
use crate::models::jsm_role::{jsm_role_for, JsmRole};
use crate::models::user::Role;
use crate::Client;

pub use crate::export::Slot;

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

/// One escalation rule in comparable form: when, under which condition,
/// whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EscalationStep {
    /// `if-not-acked` (the default when absent) or `if-not-closed`.
    pub condition: String,
    /// `default` (the default when absent), `next`, `all`, ...
    pub notify_type: String,
    /// The delay in minutes (`None`: absent or in an unknown unit).
    pub delay_minutes: Option<i64>,
    /// Whom.
    pub recipient: Slot,
}

impl EscalationStep {
    /// A rule notifying `recipient` after `delay_minutes`, with the default
    /// condition and notify type.
    pub fn new(delay_minutes: i64, recipient: Slot) -> Self {
        EscalationStep {
            condition: "if-not-acked".into(),
            notify_type: "default".into(),
            delay_minutes: Some(delay_minutes),
            recipient,
        }
    }
}

impl fmt::Display for EscalationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.delay_minutes {
            Some(m) => write!(f, "+{m}m")?,
            None => f.write_str("+?m")?,
        }
        if self.condition != "if-not-acked" {
            write!(f, " {}", self.condition)?;
        }
        if self.notify_type != "default" {
            write!(f, " ({})", self.notify_type)?;
        }
        write!(f, " {}", self.recipient)
    }
}

/// An escalation, named by owner team and escalation name, with its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct NamedEscalation {
    /// The owner team's name.
    pub team: String,
    /// The escalation's name.
    pub name: String,
    /// Its rules in order.
    pub rules: Vec<EscalationStep>,
}

/// The Opsgenie side: users, teams with member usernames, custom roles,
/// rotations and escalations; read from the account
/// ([`collect`](Self::collect)) or from an export file
/// ([`from_export`](Self::from_export)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct OpsgenieSnapshot {
    /// Every user, by username.
    pub users: Vec<OgUser>,
    /// Team name -> member usernames (lowercased).
    pub teams: BTreeMap<String, BTreeSet<String>>,
    /// The custom user roles' names.
    pub custom_roles: Vec<String>,
    /// Every rotation of every schedule (`None`: not known, e.g. an export
    /// without its on-call section; rotations are then not compared).
    pub rotations: Option<Vec<NamedRotation>>,
    /// Every escalation that has an owner team (`None`: not known;
    /// escalations are then not compared).
    pub escalations: Option<Vec<NamedEscalation>>,
    /// Names of the escalations without an owner team (not compared).
    pub escalations_without_team: Vec<String>,
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
    /// Each directory user's role assignments, by account id (`None`: not read).
    pub role_assignments: Option<BTreeMap<String, Vec<RoleAssignment>>>,
    /// Names of the JSM custom user roles (`None`: JSM Operations was not read).
    pub custom_roles: Option<Vec<String>>,
    /// JSM escalations of every team (`None`: JSM Operations was not read).
    pub escalations: Option<Vec<NamedEscalation>>,
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

/// A person whose JSM role is not the mapped one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RoleFinding {
    /// The product role on Jira Service Management differs.
    ProductRoleDiffers {
        /// The Opsgenie username.
        username: String,
        /// The account.
        account_id: AccountId,
        /// The JSM role the mapping gives (e.g. `Agent`).
        expected: String,
        /// The role id that role needs (e.g. `atlassian/user`).
        expected_role_id: String,
        /// The role ids held on Jira Service Management (empty: no access).
        actual: Vec<String>,
    },
    /// The person's Opsgenie custom role has no JSM custom user role of the
    /// same name.
    CustomRoleMissing {
        /// The Opsgenie username.
        username: String,
        /// The custom role's name.
        role: String,
    },
    /// An Opsgenie custom role that nobody holds has no JSM custom user
    /// role of the same name (one somebody holds is reported with them,
    /// as [`CustomRoleMissing`](Self::CustomRoleMissing)).
    UnheldCustomRoleMissing {
        /// The custom role's name.
        role: String,
    },
}

/// An escalation that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EscalationFinding {
    /// No JSM escalation of this name under the team of this name.
    Missing {
        /// The owner team's name.
        team: String,
        /// The escalation's name.
        escalation: String,
    },
    /// Rules differ (condition, notify type, delay, recipient or order).
    RulesDiffer {
        /// The owner team's name.
        team: String,
        /// The escalation's name.
        escalation: String,
        /// In Opsgenie.
        expected: Vec<EscalationStep>,
        /// In JSM.
        actual: Vec<EscalationStep>,
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
    /// The JSM role they should have.
    pub expected_role: Option<String>,
    /// What of that role could not be verified, when something could not
    /// (no API reads the Operations global admin role or who holds a
    /// custom user role); `None` when the role was fully compared.
    pub role_note: Option<String>,
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
    /// Roles that differ (empty when role assignments were not read).
    pub roles: Vec<RoleFinding>,
    /// Escalations that differ (empty when JSM was not read).
    pub escalations: Vec<EscalationFinding>,
    /// Teams compared.
    pub teams_checked: usize,
    /// Rotations compared (`None`: JSM was not read).
    pub rotations_checked: Option<usize>,
    /// Matched users whose role was compared (`None`: role assignments were not read).
    pub roles_checked: Option<usize>,
    /// Escalations compared (`None`: JSM was not read).
    pub escalations_checked: Option<usize>,
    /// Opsgenie escalations without an owner team, not compared (JSM has
    /// no escalation outside a team).
    pub escalations_skipped: Vec<String>,
}

impl MigrationReport {
    /// True when nothing differs.
    pub fn is_complete(&self) -> bool {
        self.findings() == 0
    }

    /// How many findings.
    pub fn findings(&self) -> usize {
        self.users.len()
            + self.teams.len()
            + self.rotations.len()
            + self.roles.len()
            + self.escalations.len()
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
        let checked = |n: Option<usize>, differ: usize| match n {
            Some(n) => format!("{n} checked, {differ} differ"),
            None => "not checked".into(),
        };
        writeln!(
            f,
            "users: {} matched, {} not ready | roles: {} | teams: {} checked, {} differ | rotations: {} | escalations: {}",
            self.matched.len(),
            self.users.len(),
            checked(self.roles_checked, self.roles.len()),
            self.teams_checked,
            self.teams.len(),
            checked(self.rotations_checked, self.rotations.len()),
            checked(self.escalations_checked, self.escalations.len()),
        )?;
        if !self.escalations_skipped.is_empty() {
            writeln!(
                f,
                "escalations without an owner team (not compared): {}",
                join(&self.escalations_skipped)
            )?;
        }
        for m in &self.matched {
            if let Some(note) = &m.role_note {
                writeln!(f, "note: {}: {note}", m.username)?;
            }
        }
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
        for r in &self.roles {
            match r {
                RoleFinding::ProductRoleDiffers {
                    username,
                    expected,
                    expected_role_id,
                    actual,
                    ..
                } => writeln!(
                    f,
                    "{:<10} {:<32} should be {expected} ({expected_role_id}); has: {}",
                    "role",
                    username,
                    join(actual)
                )?,
                RoleFinding::CustomRoleMissing { username, role } => writeln!(
                    f,
                    "{:<10} {:<32} no JSM custom user role named {role:?}",
                    "role", username
                )?,
                RoleFinding::UnheldCustomRoleMissing { role } => writeln!(
                    f,
                    "{:<10} {:<32} no JSM custom user role of this name (nobody holds it)",
                    "role", role
                )?,
            }
        }
        for e in &self.escalations {
            match e {
                EscalationFinding::Missing { team, escalation } => writeln!(
                    f,
                    "{:<10} {:<32} no JSM escalation with this name under this team",
                    "escalation",
                    format!("{team} / {escalation}")
                )?,
                EscalationFinding::RulesDiffer {
                    team,
                    escalation,
                    expected,
                    actual,
                } => writeln!(
                    f,
                    "{:<10} {:<32} Opsgenie: {}; JSM: {}",
                    "escalation",
                    format!("{team} / {escalation}"),
                    join(expected),
                    join(actual)
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
    /// Reads users, teams (with members), custom roles, every schedule's
    /// rotations and every escalation from Opsgenie. One request per team
    /// and per schedule; rotations and escalations are read by
    /// [`read_on_call`], as the `export` example reads them.
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
        let mut team_names = BTreeMap::new();
        for t in client.teams().list().await? {
            team_names.insert(t.id.to_string(), t.name.clone());
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
        let custom_roles = client
            .roles()
            .list()
            .await?
            .into_iter()
            .map(|r| r.name)
            .collect();
        let on_call = read_on_call(client, &by_id, &team_names).await?;
        let mut snapshot = OpsgenieSnapshot {
            users: users
                .into_iter()
                .map(|u| OgUser {
                    username: u.username.as_str().to_string(),
                    role: u.role.map(|r| r.name),
                })
                .collect(),
            teams,
            custom_roles,
            ..Default::default()
        };
        snapshot.users.sort_by(|a, b| a.username.cmp(&b.username));
        snapshot.set_on_call(on_call);
        Ok(snapshot)
    }

    /// Rebuilds the snapshot from an export's JSON lines (as the `export`
    /// example writes them, see [`crate::export`]): users with their roles,
    /// teams with members (from the users' team lists and the `team`
    /// records), custom roles and, when the file holds its complete on-call
    /// section (closed by `exportComplete`), rotations and escalations.
    /// Without it (an older export, or one stopped early) rotations and
    /// escalations are `None`: not compared, rather than all missing.
    ///
    /// The first line that cannot be read is an error with its line number
    /// ([`ExportError`]); records of an unknown type are skipped.
    ///
    /// ```
    /// use opsgenie_users::atlassian::migration::OpsgenieSnapshot;
    /// let file = r#"{"type":"user","username":"jane@example.com","role":"Admin","teams":[{"team":"SRE","role":"admin"}]}"#;
    /// let og = OpsgenieSnapshot::from_export(file.as_bytes())?;
    /// assert_eq!(og.teams["SRE"].len(), 1);
    /// assert!(og.rotations.is_none()); // no on-call section: not compared
    /// # Ok::<(), opsgenie_users::export::ExportError>(())
    /// ```
    pub fn from_export<R: std::io::BufRead>(
        reader: R,
    ) -> std::result::Result<OpsgenieSnapshot, ExportError> {
        let mut snapshot = OpsgenieSnapshot::default();
        let mut on_call = OnCall::default();
        let mut complete = false;
        let mut seen = BTreeSet::new();
        for record in read_records(reader) {
            match record? {
                Record::User(u) => {
                    if !seen.insert(u.username.clone()) {
                        continue;
                    }
                    let member = u.username.to_lowercase();
                    for m in &u.teams {
                        snapshot
                            .teams
                            .entry(m.team.clone())
                            .or_default()
                            .insert(member.clone());
                    }
                    snapshot.users.push(OgUser {
                        role: (!u.role.is_empty()).then(|| Role::from(u.role)),
                        username: u.username,
                    });
                }
                Record::Team(t) => {
                    snapshot.teams.entry(t.name).or_default();
                }
                Record::CustomRole(r) => {
                    if !snapshot.custom_roles.contains(&r.name) {
                        snapshot.custom_roles.push(r.name)
                    }
                }
                Record::Rotation(r) => on_call.rotations.push(r),
                Record::Escalation(e) => on_call.escalations.push(e),
                Record::ExportComplete => complete = true,
                Record::TeamRole(_) => {}
            }
        }
        snapshot.users.sort_by(|a, b| a.username.cmp(&b.username));
        if complete {
            snapshot.set_on_call(on_call);
        }
        Ok(snapshot)
    }

    /// Sets rotations and escalations from what [`read_on_call`] read (or
    /// an export holds).
    fn set_on_call(&mut self, on_call: OnCall) {
        self.rotations = Some(on_call.rotations.into_iter().map(named_rotation).collect());
        let mut escalations = Vec::new();
        self.escalations_without_team.clear();
        for e in on_call.escalations {
            match named_escalation(e) {
                Ok(e) => escalations.push(e),
                Err(name) => self.escalations_without_team.push(name),
            }
        }
        self.escalations = Some(escalations);
    }

    /// Compares with the Atlassian side.
    pub fn compare(&self, atl: &AtlassianSnapshot) -> MigrationReport {
        compare(self, atl)
    }
}

fn named_rotation(r: RotationRecord) -> NamedRotation {
    NamedRotation {
        schedule: r.schedule,
        rotation: r.rotation,
        participants: r.participants,
    }
}

/// The escalation in comparable form, or its name when it has no owner
/// team.
fn named_escalation(e: EscalationRecord) -> std::result::Result<NamedEscalation, String> {
    let Some(team) = e.team else {
        return Err(e.name);
    };
    Ok(NamedEscalation {
        team,
        name: e.name,
        rules: e.rules.into_iter().map(step).collect(),
    })
}

fn step(r: RuleRecord) -> EscalationStep {
    EscalationStep {
        condition: r
            .condition
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "if-not-acked".into()),
        notify_type: r
            .notify_type
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "default".into()),
        delay_minutes: minutes(r.delay.time_amount, r.delay.time_unit.as_deref()),
        recipient: r.recipient,
    }
}

/// Minutes of a delay in `unit` (`minutes` when absent); `None` for an
/// unknown unit.
fn minutes(amount: i64, unit: Option<&str>) -> Option<i64> {
    let factor = match unit.unwrap_or("minutes").to_ascii_lowercase().as_str() {
        "minutes" | "minute" | "m" => 1,
        "hours" | "hour" | "h" => 60,
        "days" | "day" | "d" => 1440,
        _ => return None,
    };
    amount.checked_mul(factor)
}

/// The delay of a JSM escalation rule: integer minutes, or
/// `{timeAmount, timeUnit}` like Opsgenie's (the shape is not confirmed:
/// both are read).
fn jsm_minutes(rule: &OpsEscalationRule) -> Option<i64> {
    match rule.other.get("delay")? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::Object(o) => minutes(
            o.get("timeAmount")?.as_i64()?,
            o.get("timeUnit").and_then(|u| u.as_str()),
        ),
        _ => None,
    }
}

impl AtlassianSnapshot {
    /// Reads the directory's users with their role assignments, every team
    /// with its members and, with `jsm`, the custom user roles, every
    /// schedule's rotations and every team's escalations. One request per
    /// page, directory user, team and schedule.
    pub async fn collect(
        admin: &AdminClient,
        directory: impl Into<DirectoryId>,
        teams: &TeamsClient,
        jsm: Option<&JsmOpsClient>,
    ) -> Result<AtlassianSnapshot> {
        let directory = directory.into();
        let users: Vec<DirectoryUser> = admin
            .users(directory.clone())
            .list()
            .stream()
            .try_collect()
            .await?;
        let mut role_assignments = BTreeMap::new();
        for u in &users {
            let roles: Vec<RoleAssignment> = admin
                .users(directory.clone())
                .role_assignments(u.account_id.clone())
                .stream()
                .try_collect()
                .await?;
            role_assignments.insert(u.account_id.to_string(), roles);
        }
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
        let mut snapshot = AtlassianSnapshot {
            users,
            teams: all_teams,
            rotations: None,
            role_assignments: Some(role_assignments),
            custom_roles: None,
            escalations: None,
        };
        if let Some(jsm) = jsm {
            snapshot.read_jsm(jsm).await?;
        }
        Ok(snapshot)
    }

    async fn read_jsm(&mut self, jsm: &JsmOpsClient) -> Result<()> {
        let roles: Vec<super::jsm::OpsCustomRole> =
            jsm.roles().list().stream().try_collect().await?;
        let mut names = Names::default();
        for u in &self.users {
            if let Some(e) = &u.email {
                names
                    .email
                    .insert(u.account_id.to_string(), e.to_lowercase());
            }
        }
        for (t, _) in &self.teams {
            names
                .other
                .insert(("team", t.team_id.to_string()), t.display_name.clone());
        }
        let schedules: Vec<_> = jsm.schedules().list().stream().try_collect().await?;
        let mut raw_rotations = Vec::new();
        for s in schedules {
            names
                .other
                .insert(("schedule", s.id.to_string()), s.name.clone());
            let rs: Vec<_> = jsm
                .schedules()
                .rotations(s.id.clone())
                .list()
                .stream()
                .try_collect()
                .await?;
            raw_rotations.push((s.name, rs));
        }
        let ops_teams: Vec<super::jsm::OpsTeam> = jsm.teams().list().stream().try_collect().await?;
        let mut raw_escalations = Vec::new();
        for t in ops_teams {
            let team = names
                .other
                .get(&("team", t.team_id.to_string()))
                .cloned()
                .or(t.team_name.clone())
                .unwrap_or_else(|| t.team_id.to_string());
            let es: Vec<_> = jsm
                .escalations(t.team_id.clone())
                .list()
                .stream()
                .try_collect()
                .await?;
            for e in &es {
                if let Some(n) = &e.name {
                    names
                        .other
                        .insert(("escalation", e.id.to_string()), n.clone());
                }
            }
            raw_escalations.push((team, es));
        }
        let mut rotations = Vec::new();
        for (schedule, rs) in raw_rotations {
            for r in rs {
                rotations.push(NamedRotation {
                    schedule: schedule.clone(),
                    rotation: r.name.clone().unwrap_or_else(|| r.id.to_string()),
                    participants: r.participants.iter().map(|p| names.slot(p)).collect(),
                });
            }
        }
        let mut escalations = Vec::new();
        for (team, es) in raw_escalations {
            for e in es {
                escalations.push(NamedEscalation {
                    team: team.clone(),
                    name: e.name.clone().unwrap_or_else(|| e.id.to_string()),
                    rules: e
                        .rules
                        .iter()
                        .map(|r| EscalationStep {
                            condition: text_field(r, "condition", "if-not-acked"),
                            notify_type: text_field(r, "notifyType", "default"),
                            delay_minutes: jsm_minutes(r),
                            recipient: names.slot(&r.recipient),
                        })
                        .collect(),
                });
            }
        }
        self.rotations = Some(rotations);
        self.escalations = Some(escalations);
        self.custom_roles = Some(roles.into_iter().map(|r| r.name).collect());
        Ok(())
    }
}

fn text_field(rule: &OpsEscalationRule, key: &str, default: &str) -> String {
    rule.other
        .get(key)
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .unwrap_or(default)
        .to_string()
}

/// Account e-mails and team, schedule and escalation names by id, to turn
/// JSM participants into [`Slot`]s.
#[derive(Default)]
struct Names {
    email: BTreeMap<String, String>,
    other: BTreeMap<(&'static str, String), String>,
}

impl Names {
    fn slot(&self, p: &OpsParticipant) -> Slot {
        let id = p.id.as_deref().unwrap_or("?");
        match p.kind.as_str() {
            "user" => self
                .email
                .get(id)
                .cloned()
                .map(Slot::User)
                .unwrap_or_else(|| Slot::Other(format!("user:{id}"))),
            "team" => self
                .other
                .get(&("team", id.to_string()))
                .map(|n| Slot::Team(n.clone()))
                .unwrap_or_else(|| Slot::Other(format!("team:{id}"))),
            "noone" | "none" => Slot::Nobody,
            kind @ ("schedule" | "escalation") => {
                let key: &'static str = if kind == "schedule" {
                    "schedule"
                } else {
                    "escalation"
                };
                let name = self.other.get(&(key, id.to_string())).map(String::as_str);
                Slot::Other(format!("{kind}:{}", name.unwrap_or(id)))
            }
            other => Slot::Other(format!("{other}:{id}")),
        }
    }
}

/// The product role a [`JsmRole`] needs on Jira Service Management
/// (`None`: nothing beyond what made it expected, i.e. site admin).
fn needed_role_id(role: &JsmRole) -> Option<&'static str> {
    match role {
        JsmRole::Agent | JsmRole::OperationsGlobalAdmin | JsmRole::Custom(_) => {
            Some("atlassian/user")
        }
        JsmRole::ProductAdmin => Some("atlassian/admin"),
        JsmRole::Stakeholder => Some("atlassian/stakeholder"),
        JsmRole::SiteAdmin => None,
    }
}

/// The highest product role among `held` (admin > user > stakeholder).
fn highest(held: &BTreeSet<&str>) -> Option<&'static str> {
    ["atlassian/admin", "atlassian/user", "atlassian/stakeholder"]
        .into_iter()
        .find(|r| held.contains(r))
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
    if atl.role_assignments.is_some() {
        report.roles_checked = Some(0);
    }
    for u in &og.users {
        let Some(d) = by_email.get(&u.username.to_lowercase()) else {
            report.users.push(UserFinding::NoAccount {
                username: u.username.clone(),
                expected_role: u
                    .role
                    .as_ref()
                    .and_then(|r| jsm_role_for(r, false))
                    .map(|r| r.to_string()),
            });
            continue;
        };
        if d.is_suspended() {
            report.users.push(UserFinding::Suspended {
                username: u.username.clone(),
                account_id: d.account_id.clone(),
            });
            continue;
        }
        let assignments = atl.role_assignments.as_ref().map(|all| {
            all.get(d.account_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
        });
        let site_admin = d.platform_roles.iter().any(|r| r == "atlassian/site-admin")
            || assignments.is_some_and(|a| a.iter().any(|r| r.role_id == "atlassian/site-admin"));
        let expected = u.role.as_ref().and_then(|r| jsm_role_for(r, site_admin));
        let mut note = None;
        if let (Some(assignments), Some(expected)) = (assignments, &expected) {
            if let Some(n) = report.roles_checked.as_mut() {
                *n += 1;
            }
            let held: BTreeSet<&str> = assignments
                .iter()
                .filter(|a| a.resource_id.contains(":jira-servicedesk:"))
                .map(|a| a.role_id.as_str())
                .collect();
            if let Some(needed) = needed_role_id(expected) {
                if highest(&held) != Some(needed) {
                    report.roles.push(RoleFinding::ProductRoleDiffers {
                        username: u.username.clone(),
                        account_id: d.account_id.clone(),
                        expected: expected.to_string(),
                        expected_role_id: needed.to_string(),
                        actual: held.iter().map(|r| r.to_string()).collect(),
                    });
                }
            }
            match expected {
                JsmRole::OperationsGlobalAdmin => {
                    note = Some(
                        "Agent access checked; no API reads the Operations global admin role"
                            .to_string(),
                    )
                }
                JsmRole::Custom(name) => match &atl.custom_roles {
                    Some(roles) if !roles.iter().any(|r| r == name) => {
                        report.roles.push(RoleFinding::CustomRoleMissing {
                            username: u.username.clone(),
                            role: name.clone(),
                        })
                    }
                    Some(_) => {
                        note = Some(format!(
                            "custom role {name:?} exists and Agent access checked; no API reads who holds a custom role"
                        ))
                    }
                    None => {
                        note = Some(format!(
                            "Agent access checked; custom role {name:?} not checked (JSM Operations not read)"
                        ))
                    }
                },
                _ => {}
            }
        }
        report.matched.push(MatchedUser {
            username: u.username.clone(),
            account_id: d.account_id.clone(),
            expected_role: expected.map(|r| r.to_string()),
            role_note: note,
        });
    }
    if let Some(jsm_roles) = &atl.custom_roles {
        for role in &og.custom_roles {
            let held = og
                .users
                .iter()
                .any(|u| matches!(&u.role, Some(Role::Custom(r)) if r == role));
            if !held && !jsm_roles.contains(role) {
                report
                    .roles
                    .push(RoleFinding::UnheldCustomRoleMissing { role: role.clone() });
            }
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
    if let (Some(og_rotations), Some(jsm)) = (&og.rotations, &atl.rotations) {
        report.rotations_checked = Some(og_rotations.len());
        for r in og_rotations {
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
    report.escalations_skipped = og.escalations_without_team.clone();
    if let (Some(og_escalations), Some(jsm)) = (&og.escalations, &atl.escalations) {
        report.escalations_checked = Some(og_escalations.len());
        for e in og_escalations {
            let found = jsm.iter().find(|j| {
                j.team.eq_ignore_ascii_case(&e.team) && j.name.eq_ignore_ascii_case(&e.name)
            });
            match found {
                None => report.escalations.push(EscalationFinding::Missing {
                    team: e.team.clone(),
                    escalation: e.name.clone(),
                }),
                Some(j) if j.rules != e.rules => {
                    report.escalations.push(EscalationFinding::RulesDiffer {
                        team: e.team.clone(),
                        escalation: e.name.clone(),
                        expected: e.rules.clone(),
                        actual: j.rules.clone(),
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
            rotations: Some(vec![NamedRotation {
                schedule: "sre".into(),
                rotation: "weekly".into(),
                participants: vec![Slot::User("jane@x.com".into()), Slot::Nobody],
            }]),
            ..Default::default()
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
            ..Default::default()
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

    fn assignment(role: &str) -> RoleAssignment {
        RoleAssignment::new(role, "ari:cloud:jira-servicedesk::site/c-1")
    }

    #[test]
    fn compares_roles_by_the_mapping() {
        let user = |name: &str, role: Role| OgUser {
            username: name.into(),
            role: Some(role),
        };
        let og = OpsgenieSnapshot {
            users: vec![
                user("agent@x.com", Role::User),
                user("owner@x.com", Role::Owner),
                user("site@x.com", Role::Owner),
                user("admin@x.com", Role::Admin),
                user("noc@x.com", Role::Custom("NOC".into())),
                user("gone@x.com", Role::Custom("Gone".into())),
                user("stake@x.com", Role::Stakeholder),
            ],
            ..Default::default()
        };
        let roles: BTreeMap<String, Vec<RoleAssignment>> = [
            ("a-1", vec![assignment("atlassian/user")]),
            // An Owner who is only an agent.
            ("a-2", vec![assignment("atlassian/user")]),
            (
                "a-3",
                vec![RoleAssignment::new(
                    "atlassian/site-admin",
                    "ari:cloud:platform::site/c-1",
                )],
            ),
            ("a-4", vec![assignment("atlassian/user")]),
            ("a-5", vec![assignment("atlassian/user")]),
            ("a-6", vec![assignment("atlassian/user")]),
            // A Stakeholder with agent access: more than mapped.
            (
                "a-7",
                vec![
                    assignment("atlassian/user"),
                    assignment("atlassian/stakeholder"),
                ],
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let atl = AtlassianSnapshot {
            users: [
                "agent@x.com",
                "owner@x.com",
                "site@x.com",
                "admin@x.com",
                "noc@x.com",
                "gone@x.com",
                "stake@x.com",
            ]
            .iter()
            .enumerate()
            .map(|(i, e)| dir_user(&format!("a-{}", i + 1), e, "active"))
            .collect(),
            role_assignments: Some(roles),
            custom_roles: Some(vec!["NOC".into()]),
            ..Default::default()
        };
        let r = og.compare(&atl);
        assert_eq!(r.roles_checked, Some(7));
        assert_eq!(
            r.roles,
            vec![
                RoleFinding::ProductRoleDiffers {
                    username: "owner@x.com".into(),
                    account_id: "a-2".into(),
                    expected: "Product admin".into(),
                    expected_role_id: "atlassian/admin".into(),
                    actual: vec!["atlassian/user".into()],
                },
                RoleFinding::CustomRoleMissing {
                    username: "gone@x.com".into(),
                    role: "Gone".into(),
                },
                RoleFinding::ProductRoleDiffers {
                    username: "stake@x.com".into(),
                    account_id: "a-7".into(),
                    expected: "Stakeholder".into(),
                    expected_role_id: "atlassian/stakeholder".into(),
                    actual: vec!["atlassian/stakeholder".into(), "atlassian/user".into()],
                },
            ]
        );
        let site = r
            .matched
            .iter()
            .find(|m| m.username == "site@x.com")
            .unwrap();
        assert_eq!(site.expected_role.as_deref(), Some("Site admin"));
        let admin = r
            .matched
            .iter()
            .find(|m| m.username == "admin@x.com")
            .unwrap();
        assert!(admin
            .role_note
            .as_deref()
            .unwrap()
            .contains("Operations global admin"));
        let table = r.to_string();
        assert!(
            table.contains("should be Product admin (atlassian/admin); has: atlassian/user"),
            "{table}"
        );
        assert!(
            table.contains("no JSM custom user role named \"Gone\""),
            "{table}"
        );
        assert_eq!(r.findings(), 3);
    }

    #[test]
    fn compares_escalation_rules_in_order() {
        let steps = |who: &[&str]| -> Vec<EscalationStep> {
            who.iter()
                .enumerate()
                .map(|(i, w)| EscalationStep::new(5 * i as i64, Slot::User(w.to_string())))
                .collect()
        };
        let esc = |team: &str, name: &str, rules| NamedEscalation {
            team: team.into(),
            name: name.into(),
            rules,
        };
        let og = OpsgenieSnapshot {
            escalations: Some(vec![
                esc("SRE", "night", steps(&["a@x.com", "b@x.com"])),
                esc("SRE", "day", steps(&["a@x.com"])),
                esc("DB", "db", steps(&["c@x.com"])),
            ]),
            escalations_without_team: vec!["orphan".into()],
            ..Default::default()
        };
        let mut later = steps(&["a@x.com"]);
        later[0].delay_minutes = Some(15);
        let atl = AtlassianSnapshot {
            escalations: Some(vec![
                esc("sre", "Night", steps(&["a@x.com", "b@x.com"])),
                esc("SRE", "day", later),
            ]),
            ..Default::default()
        };
        let r = og.compare(&atl);
        assert_eq!(r.escalations_checked, Some(3));
        assert_eq!(r.escalations_skipped, vec!["orphan".to_string()]);
        assert_eq!(
            r.escalations,
            vec![
                EscalationFinding::RulesDiffer {
                    team: "SRE".into(),
                    escalation: "day".into(),
                    expected: steps(&["a@x.com"]),
                    actual: {
                        let mut s = steps(&["a@x.com"]);
                        s[0].delay_minutes = Some(15);
                        s
                    },
                },
                EscalationFinding::Missing {
                    team: "DB".into(),
                    escalation: "db".into(),
                },
            ]
        );
        let table = r.to_string();
        assert!(
            table.contains("Opsgenie: +0m a@x.com; JSM: +15m a@x.com"),
            "{table}"
        );
        assert!(table.contains("not compared): orphan"), "{table}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["escalations"][0]["kind"], "rules_differ");
        assert_eq!(json["escalations"][0]["actual"][0]["delay_minutes"], 15);
    }

    #[test]
    fn jsm_delays_are_read_as_minutes_or_amount_and_unit() {
        let rule = |delay: serde_json::Value| -> OpsEscalationRule {
            serde_json::from_value(serde_json::json!({
                "recipient": {"type": "noone"}, "delay": delay
            }))
            .unwrap()
        };
        assert_eq!(jsm_minutes(&rule(serde_json::json!(10))), Some(10));
        assert_eq!(
            jsm_minutes(&rule(
                serde_json::json!({"timeAmount": 2, "timeUnit": "hours"})
            )),
            Some(120)
        );
        assert_eq!(
            jsm_minutes(&rule(serde_json::json!({"timeAmount": 3}))),
            Some(3)
        );
        assert_eq!(
            jsm_minutes(&rule(
                serde_json::json!({"timeAmount": 3, "timeUnit": "weeks"})
            )),
            None
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
