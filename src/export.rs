//! The records of an account export: one JSON object a line, tagged by
//! `type`. The `export` example writes them with these types and the
//! migration check reads them back with [`read_records`] (feature
//! `atlassian`: `OpsgenieSnapshot::from_export`), so writer and reader
//! share one shape.
//!
//! | `type` | what | since |
//! |---|---|---|
//! | `customRole` | a custom user role ([`CustomRoleRecord`]) | first version |
//! | `teamRole` | a custom team role ([`TeamRoleRecord`]) | first version |
//! | `user` | a user with role, teams (and team role), contacts ([`UserRecord`]) | first version |
//! | `team` | a team, members or not ([`TeamRecord`]) | on-call section |
//! | `rotation` | a schedule rotation with its participants in order ([`RotationRecord`]) | on-call section |
//! | `escalation` | an escalation with its rules; `team` null when it has no owner team ([`EscalationRecord`]) | on-call section |
//! | `exportComplete` | closes the on-call section: every team, rotation and escalation was written ([`Record::ExportComplete`]) | on-call section |
//!
//! The on-call section is written once, after the last user: a file
//! without its closing `exportComplete` record (an older export, or one
//! interrupted before the end) holds no complete list of rotations and
//! escalations, and a check reading it compares neither. Records of an
//! unknown `type` are skipped (a newer writer's), blank lines too.
//!
//! ```
//! use opsgenie_users::export::{read_records, Record};
//! let file = concat!(
//!     r#"{"type":"user","username":"jane@example.com","role":"Admin","teams":[{"team":"SRE","role":"admin"}]}"#, "\n",
//!     r#"{"type":"somethingNewer","x":1}"#, "\n",
//! );
//! let records: Vec<Record> = read_records(file.as_bytes()).collect::<Result<_, _>>()?;
//! assert!(matches!(&records[..], [Record::User(u)] if u.username == "jane@example.com"));
//! # Ok::<(), opsgenie_users::export::ExportError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::ids::ScheduleRef;
use crate::models::jsm_role::{jsm_role_for, JsmRole};
use crate::models::role::CustomRole;
use crate::models::schedule::{EscalationDelay, Participant, ParticipantType};
use crate::models::team::{TeamRight, TeamRoleDef};
use crate::models::user::{Role, User};
use crate::request::{ApiRequest, Domain};
use crate::Client;

/// One line of an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Record {
    /// A custom user role.
    CustomRole(CustomRoleRecord),
    /// A custom team role.
    TeamRole(TeamRoleRecord),
    /// A user.
    User(UserRecord),
    /// A team.
    Team(TeamRecord),
    /// A schedule rotation.
    Rotation(RotationRecord),
    /// An escalation.
    Escalation(EscalationRecord),
    /// The end of the on-call section: teams, rotations and escalations
    /// are complete.
    ExportComplete,
}

/// The `type` values [`read_records`] reads; others are skipped.
pub const RECORD_TYPES: [&str; 7] = [
    "customRole",
    "teamRole",
    "user",
    "team",
    "rotation",
    "escalation",
    "exportComplete",
];

impl Record {
    /// The record as one JSON line, line break included.
    pub fn to_line(&self) -> String {
        // Strings, numbers, booleans and string-keyed maps only: this
        // cannot fail.
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }
}

/// A custom user role (`type: customRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomRoleRecord {
    /// The role's id.
    #[serde(default)]
    pub id: String,
    /// The role's name.
    pub name: String,
    /// The built-in role it extends.
    #[serde(default)]
    pub extended_role: Option<String>,
    /// Rights added.
    #[serde(default)]
    pub granted_rights: Vec<String>,
    /// Rights taken away.
    #[serde(default)]
    pub disallowed_rights: Vec<String>,
    /// Its counterpart in Jira Service Management: always `custom`.
    #[serde(default)]
    pub jsm_role: String,
}

impl CustomRoleRecord {
    /// The record of `role`.
    pub fn new(role: &CustomRole) -> Self {
        CustomRoleRecord {
            id: role.id.as_str().to_string(),
            name: role.name.clone(),
            extended_role: role.extended_role.as_ref().map(|e| e.as_str().to_string()),
            granted_rights: role
                .granted_rights
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            disallowed_rights: role
                .disallowed_rights
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            jsm_role: "custom".into(),
        }
    }
}

/// A custom team role (`type: teamRole`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamRoleRecord {
    /// The team's name.
    pub team: String,
    /// The role's name.
    pub name: String,
    /// Its rights.
    #[serde(default)]
    pub rights: Vec<TeamRight>,
}

impl TeamRoleRecord {
    /// The record of `role`, a role of team `team`.
    pub fn new(team: impl Into<String>, role: &TeamRoleDef) -> Self {
        TeamRoleRecord {
            team: team.into(),
            name: role.name.clone(),
            rights: role.rights.clone(),
        }
    }
}

/// A team membership of a user: the team's name and the member's role in
/// it (`admin`, `user` or a custom team role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Membership {
    /// The team's name.
    pub team: String,
    /// The role in the team.
    #[serde(default)]
    pub role: String,
}

/// A notification contact of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactRecord {
    /// `email`, `sms`, `voice`, `mobile`.
    #[serde(default)]
    pub method: String,
    /// The address or number.
    #[serde(default)]
    pub to: String,
    /// Enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A user (`type: user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserRecord {
    /// The Opsgenie user id.
    #[serde(default)]
    pub id: String,
    /// The username (an e-mail address).
    pub username: String,
    /// The e-mail address (the username).
    #[serde(default)]
    pub email: String,
    /// The full name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The account role's name (`User` when the user had none).
    #[serde(default)]
    pub role: String,
    /// `builtin` or `custom`.
    #[serde(default)]
    pub role_kind: String,
    /// The role's counterpart in Jira Service Management, as text.
    #[serde(default)]
    pub jsm_role: String,
    /// Team memberships.
    #[serde(default)]
    pub teams: Vec<Membership>,
    /// Notification contacts (with `expand=contact`).
    #[serde(default)]
    pub contacts: Vec<ContactRecord>,
    /// Blocked.
    #[serde(default)]
    pub blocked: Option<bool>,
    /// Verified.
    #[serde(default)]
    pub verified: Option<bool>,
    /// When it was created (RFC 3339), empty when unknown.
    #[serde(default)]
    pub created_at: String,
}

/// The Jira Service Management counterpart of an Opsgenie account role as
/// text, by the crate's one mapping ([`jsm_role_for`]). Whether an Owner
/// is a site admin is not known from Opsgenie, so an Owner reads "Product
/// admin (Site admin if they are one)"; Observer, with no documented
/// counterpart, "review (no documented counterpart)".
pub fn jsm_role_text(role: &Role) -> String {
    match jsm_role_for(role, false) {
        Some(JsmRole::ProductAdmin) => "Product admin (Site admin if they are one)".into(),
        Some(r) => r.to_string(),
        None => "review (no documented counterpart)".into(),
    }
}

impl UserRecord {
    /// The record of `user` (read with its contacts), member of `teams`:
    /// (team name, role in the team) pairs.
    pub fn new(user: &User, teams: &[(String, String)]) -> Self {
        let role = user
            .role
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or(Role::User);
        UserRecord {
            id: user.id.as_str().to_string(),
            username: user.username.as_str().to_string(),
            email: user.username.as_str().to_string(),
            full_name: user.full_name.clone(),
            role: role.as_str().to_string(),
            role_kind: if role.is_builtin() {
                "builtin"
            } else {
                "custom"
            }
            .into(),
            jsm_role: jsm_role_text(&role),
            teams: teams
                .iter()
                .map(|(team, role)| Membership {
                    team: team.clone(),
                    role: role.clone(),
                })
                .collect(),
            contacts: user
                .contacts
                .iter()
                .flatten()
                .map(|c| ContactRecord {
                    method: c.method.as_ref().map(|m| m.to_string()).unwrap_or_default(),
                    to: c.to.clone().unwrap_or_default(),
                    enabled: c.enabled.unwrap_or(true),
                })
                .collect(),
            blocked: user.blocked,
            verified: user.verified,
            created_at: user.created_at.map(|t| t.to_string()).unwrap_or_default(),
        }
    }
}

/// A team (`type: team`), listed so that a team without members is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamRecord {
    /// The Opsgenie team id.
    #[serde(default)]
    pub id: String,
    /// The team's name.
    pub name: String,
}

impl TeamRecord {
    /// A team record.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        TeamRecord {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// A rotation participant or an escalation recipient, by name rather than
/// id: what a migration can compare across accounts. In a record:
/// `{"type": "user", "name": "jane@example.com"}`, `{"type": "team", "name":
/// "SRE"}`, `{"type": "nobody"}`, `{"type": "other", "name": "schedule:Night"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Slot {
    /// A person, by e-mail (lowercased).
    User(String),
    /// A team, by name.
    Team(String),
    /// Nobody.
    Nobody,
    /// Something else (schedule, escalation, unknown id), as `type:name`
    /// (or `type:id` when the name is unknown).
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

/// A schedule rotation (`type: rotation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RotationRecord {
    /// The schedule's name.
    pub schedule: String,
    /// The rotation's name (its id when it has none).
    pub rotation: String,
    /// Participants in order.
    #[serde(default)]
    pub participants: Vec<Slot>,
}

/// One escalation rule as Opsgenie holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RuleRecord {
    /// `if-not-acked` or `if-not-closed` (absent: `if-not-acked`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `default`, `next`, `previous`, `users`, `admins`, `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_type: Option<String>,
    /// The delay, as Opsgenie gives it (`{timeAmount, timeUnit}`).
    pub delay: EscalationDelay,
    /// Whom.
    pub recipient: Slot,
}

/// An escalation (`type: escalation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EscalationRecord {
    /// The escalation's name.
    pub name: String,
    /// The owner team's name; `None` (null) for an escalation without one.
    #[serde(default)]
    pub team: Option<String>,
    /// The rules in order.
    #[serde(default)]
    pub rules: Vec<RuleRecord>,
}

/// Rotations and escalations of an account, read by [`read_on_call`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct OnCall {
    /// Every rotation of every schedule, schedule by schedule.
    pub rotations: Vec<RotationRecord>,
    /// Every escalation, with or without an owner team.
    pub escalations: Vec<EscalationRecord>,
}

/// Reads every schedule's rotations and every escalation: one request for
/// the schedules, one per schedule, one for the escalations. `usernames`
/// (user id -> username) and `teams` (team id -> name) name participants
/// the answers give by id only. The migration check's live read and the
/// `export` example both read through this.
pub async fn read_on_call(
    client: &Client,
    usernames: &BTreeMap<String, String>,
    teams: &BTreeMap<String, String>,
) -> Result<OnCall> {
    let mut names: BTreeMap<(ParticipantType, String), String> = teams
        .iter()
        .map(|(id, name)| ((ParticipantType::Team, id.clone()), name.clone()))
        .collect();
    #[derive(Deserialize)]
    struct Sched {
        id: String,
        name: String,
    }
    let schedules: Vec<Sched> = client
        .send(ApiRequest::get(Domain::Configuration).path("v2/schedules"))
        .await?
        .data()?;
    for s in &schedules {
        names.insert((ParticipantType::Schedule, s.id.clone()), s.name.clone());
    }
    let all_escalations = client.escalations().list().await?;
    for e in &all_escalations {
        names.insert(
            (ParticipantType::Escalation, e.id.to_string()),
            e.name.clone(),
        );
    }
    let mut on_call = OnCall::default();
    for s in schedules {
        let rs = client
            .schedules()
            .rotations(ScheduleRef::id(s.id.as_str()))
            .list()
            .await?;
        for r in rs {
            on_call.rotations.push(RotationRecord {
                schedule: s.name.clone(),
                rotation: r.name.clone().unwrap_or_else(|| r.id.to_string()),
                participants: r
                    .participants
                    .iter()
                    .map(|p| slot(p, usernames, &names))
                    .collect(),
            });
        }
    }
    for e in all_escalations {
        let team = e.owner_team.as_ref().and_then(|t| {
            t.name.clone().or_else(|| {
                t.id.as_ref()
                    .and_then(|i| names.get(&(ParticipantType::Team, i.clone())).cloned())
            })
        });
        on_call.escalations.push(EscalationRecord {
            name: e.name.clone(),
            team,
            rules: e
                .rules
                .iter()
                .map(|r| RuleRecord {
                    condition: r.condition.clone(),
                    notify_type: r.notify_type.clone(),
                    delay: r.delay.clone(),
                    recipient: slot(&r.recipient, usernames, &names),
                })
                .collect(),
        });
    }
    Ok(on_call)
}

/// Reads every team's id and name (one request), for [`read_on_call`]
/// and [`TeamRecord`]s.
pub async fn team_names(client: &Client) -> Result<BTreeMap<String, String>> {
    Ok(client
        .teams()
        .list()
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect())
}

/// A participant by name: a user by username (lowercased), a team,
/// schedule or escalation by name, as `type:id` when neither is known.
fn slot(
    p: &Participant,
    usernames: &BTreeMap<String, String>,
    names: &BTreeMap<(ParticipantType, String), String>,
) -> Slot {
    let named = || {
        p.name.clone().or_else(|| {
            p.id.as_ref()
                .and_then(|i| names.get(&(p.kind.clone(), i.clone())).cloned())
        })
    };
    match p.kind {
        ParticipantType::User => p
            .username
            .clone()
            .or_else(|| p.id.as_ref().and_then(|i| usernames.get(i).cloned()))
            .map(|u| Slot::User(u.to_lowercase()))
            .unwrap_or_else(|| Slot::Other(format!("user:{}", p.id.as_deref().unwrap_or("?")))),
        ParticipantType::Team => Slot::Team(named().or_else(|| p.id.clone()).unwrap_or_default()),
        ParticipantType::None => Slot::Nobody,
        _ => Slot::Other(format!(
            "{}:{}",
            p.kind.as_str(),
            named().or_else(|| p.id.clone()).as_deref().unwrap_or("?")
        )),
    }
}

/// A line of an export that could not be read. Nothing is dropped: the
/// line number (from 1), the record's `type` and the field path where
/// decoding stopped, and the underlying error as the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The line could not be read (an I/O error, or bytes that are not
    /// UTF-8).
    #[error("export line {line}: cannot be read: {source}")]
    Read {
        /// The line number, from 1.
        line: usize,
        /// What reading said.
        #[source]
        source: std::io::Error,
    },
    /// The line is not a JSON object with a string `type` (e.g. cut off
    /// by an interrupted export).
    #[error("export line {line}: not a JSON record with a \"type\": {source}")]
    NotJson {
        /// The line number, from 1.
        line: usize,
        /// What the JSON parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A record of a known type whose fields do not fit it.
    #[error("export line {line}: {record_type} record, field {path}: {source}")]
    BadRecord {
        /// The line number, from 1.
        line: usize,
        /// The record's `type`.
        record_type: String,
        /// Where in the record decoding stopped (`.` for the record itself).
        path: String,
        /// What decoding said.
        #[source]
        source: serde_json::Error,
    },
}

impl ExportError {
    /// The line number (from 1) of the line that could not be read.
    pub fn line(&self) -> usize {
        match self {
            ExportError::Read { line, .. }
            | ExportError::NotJson { line, .. }
            | ExportError::BadRecord { line, .. } => *line,
        }
    }
}

/// Decodes a record of type `kind` (one of [`RECORD_TYPES`]) field by
/// field, so that an error names the field's path (a tagged enum would
/// buffer the fields and lose it).
fn decode(
    kind: &str,
    v: &serde_json::Value,
) -> std::result::Result<Record, serde_path_to_error::Error<serde_json::Error>> {
    fn d<'a, T: Deserialize<'a>>(
        v: &'a serde_json::Value,
    ) -> std::result::Result<T, serde_path_to_error::Error<serde_json::Error>> {
        serde_path_to_error::deserialize(v)
    }
    Ok(match kind {
        "customRole" => Record::CustomRole(d(v)?),
        "teamRole" => Record::TeamRole(d(v)?),
        "user" => Record::User(d(v)?),
        "team" => Record::Team(d(v)?),
        "rotation" => Record::Rotation(d(v)?),
        "escalation" => Record::Escalation(d(v)?),
        _ => Record::ExportComplete,
    })
}

/// Reads an export's JSON lines: each record, or the error of the first
/// line that cannot be read (then nothing more). Blank lines and records
/// of an unknown `type` are skipped.
pub fn read_records<R: BufRead>(reader: R) -> impl Iterator<Item = Result<Record, ExportError>> {
    let mut lines = reader.lines().enumerate();
    let mut failed = false;
    std::iter::from_fn(move || loop {
        if failed {
            return None;
        }
        let (n, line) = lines.next()?;
        let line_no = n + 1;
        let fail = |e: ExportError, failed: &mut bool| {
            *failed = true;
            Some(Err(e))
        };
        let text = match line {
            Ok(t) => t,
            Err(source) => {
                return fail(
                    ExportError::Read {
                        line: line_no,
                        source,
                    },
                    &mut failed,
                )
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(source) => {
                return fail(
                    ExportError::NotJson {
                        line: line_no,
                        source,
                    },
                    &mut failed,
                )
            }
        };
        let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
            use serde::de::Error as _;
            return fail(
                ExportError::NotJson {
                    line: line_no,
                    source: serde_json::Error::custom("no string \"type\""),
                },
                &mut failed,
            );
        };
        if !RECORD_TYPES.contains(&kind) {
            continue;
        }
        let kind = kind.to_string();
        match decode(&kind, &value) {
            Ok(r) => return Some(Ok(r)),
            Err(e) => {
                let path = e.path().to_string();
                return fail(
                    ExportError::BadRecord {
                        line: line_no,
                        record_type: kind,
                        path,
                        source: e.into_inner(),
                    },
                    &mut failed,
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<std::result::Result<Record, ExportError>> {
        read_records(text.as_bytes()).collect()
    }

    #[test]
    fn a_first_version_line_reads_as_it_was_written() {
        // A line as the first `export` wrote it, field for field.
        let line = r#"{"type":"user","id":"u-1","username":"jane@x.com","email":"jane@x.com","fullName":"Jane","role":"Admin","roleKind":"builtin","jsmRole":"Operations global admin","teams":[{"team":"SRE","role":"admin"}],"contacts":[{"method":"email","to":"jane@x.com","enabled":true}],"blocked":false,"verified":true,"createdAt":"2017-05-11T12:36:07.217Z"}"#;
        let got = read(line);
        let Ok(Record::User(u)) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(u.role, "Admin");
        assert_eq!(u.teams[0].team, "SRE");
        // Written back, the same line.
        assert_eq!(Record::User(u.clone()).to_line(), format!("{line}\n"));
    }

    #[test]
    fn records_write_and_read_back() {
        let records = vec![
            Record::Team(TeamRecord::new("t-1", "SRE")),
            Record::Rotation(RotationRecord {
                schedule: "sre".into(),
                rotation: "weekly".into(),
                participants: vec![
                    Slot::User("a@x.com".into()),
                    Slot::Nobody,
                    Slot::Team("DB".into()),
                    Slot::Other("escalation:night".into()),
                ],
            }),
            Record::Escalation(EscalationRecord {
                name: "night".into(),
                team: None,
                rules: vec![RuleRecord {
                    condition: Some("if-not-closed".into()),
                    notify_type: None,
                    delay: EscalationDelay {
                        time_amount: 2,
                        time_unit: Some("hours".into()),
                    },
                    recipient: Slot::User("a@x.com".into()),
                }],
            }),
            Record::ExportComplete,
        ];
        let text: String = records.iter().map(Record::to_line).collect();
        assert!(text.contains(r#"{"type":"nobody"}"#), "{text}");
        assert!(
            text.contains(r#""delay":{"timeAmount":2,"timeUnit":"hours"}"#),
            "{text}"
        );
        assert!(text.ends_with("{\"type\":\"exportComplete\"}\n"), "{text}");
        let back: Vec<Record> = read(&text).into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(back, records);
    }

    #[test]
    fn unknown_types_and_blank_lines_are_skipped() {
        let got = read(
            "\n{\"type\":\"alertPolicy\",\"x\":[1]}\n  \n{\"type\":\"team\",\"name\":\"SRE\"}\n",
        );
        assert_eq!(got.len(), 1);
        assert!(matches!(&got[0], Ok(Record::Team(t)) if t.name == "SRE"));
    }

    #[test]
    fn bad_lines_are_typed_errors_with_their_line_number() {
        let ok = r#"{"type":"team","name":"SRE"}"#;
        let cases: [(&str, usize); 5] = [
            // Cut off by an interrupted export.
            (r#"{"type":"user","usern"#, 2),
            (r#"["not", "an", "object"]"#, 2),
            (r#"{"name":"no type"}"#, 2),
            (r#"{"type":"user","role":"Admin"}"#, 2),
            (
                r#"{"type":"rotation","schedule":"s","rotation":"r","participants":[{"type":"user","name":7}]}"#,
                2,
            ),
        ];
        for (bad, line) in cases {
            let text = format!("{ok}\n{bad}\n{ok}\n");
            let got = read(&text);
            assert_eq!(got.len(), 2, "stops at the first bad line: {bad}");
            assert!(got[0].is_ok());
            let e = got[1].as_ref().unwrap_err();
            assert_eq!(e.line(), line, "{bad}");
            assert!(e.to_string().starts_with("export line 2: "), "{e}");
            assert!(std::error::Error::source(e).is_some());
        }
        let got = read(
            r#"{"type":"rotation","schedule":"s","rotation":"r","participants":[{"type":"user","name":7}]}"#,
        );
        match &got[0] {
            Err(ExportError::BadRecord {
                record_type, path, ..
            }) => {
                assert_eq!(record_type, "rotation");
                assert_eq!(path, "participants[0]");
            }
            other => panic!("{other:?}"),
        }
        // Bytes that are not UTF-8.
        let got: Vec<_> = read_records(&b"{\"type\":\"team\",\"name\":\"\xff\"}\n"[..]).collect();
        assert!(matches!(&got[..], [Err(ExportError::Read { line: 1, .. })]));
    }
}
