//! The simulator's stored objects, as tests read them back with
//! [`Server`](crate::Server)'s snapshot methods.
//!
//! These are the simulator's own records, not the SDK's models: they keep
//! fields the API never shows (`invitation_disabled`, `atlassian_linked`) so
//! tests can assert what a call really changed.

use std::collections::BTreeMap;

use serde::Serialize;

/// Fields of a stored object that the simulator does not model, kept as
/// they were written (a stand-in for fields newer than the SDK). A PUT
/// replaces them with the body's; a PATCH replaces those it names.
pub type Unmodelled = BTreeMap<String, serde_json::Value>;

/// The five built-in account roles. Names are case-sensitive.
pub const BUILTIN_ROLES: [&str; 5] = ["Owner", "Admin", "User", "Observer", "Stakeholder"];

/// An account role as stored on a user: built-ins use their name as id,
/// custom roles a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UserRole {
    /// `Admin` for built-ins, a UUID for custom roles.
    pub id: String,
    /// The role name, exactly as defined.
    pub name: String,
}

impl UserRole {
    pub(crate) fn builtin(name: &str) -> Self {
        UserRole {
            id: name.to_string(),
            name: name.to_string(),
        }
    }
}

/// A user's postal address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// Country.
    #[serde(default)]
    pub country: String,
    /// State or region.
    #[serde(default)]
    pub state: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Street line.
    #[serde(default)]
    pub line: String,
    /// Postal code.
    #[serde(default, rename = "zipCode")]
    pub zip_code: String,
}

/// A user account.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct User {
    /// UUID.
    pub id: String,
    /// E-mail address, stored lowercased; immutable.
    pub username: String,
    /// Display name.
    pub full_name: String,
    /// Account role.
    pub role: UserRole,
    /// Skype name.
    pub skype_username: Option<String>,
    /// Time zone as stored (legacy aliases are canonicalised, e.g. `US/Arizona` -> `America/Phoenix`).
    pub time_zone: String,
    /// Locale, e.g. `en_US`.
    pub locale: String,
    /// Postal address.
    pub user_address: Option<Address>,
    /// Tags.
    pub tags: Vec<String>,
    /// Custom details.
    pub details: BTreeMap<String, Vec<String>>,
    /// Blocked from logging in (read-only in the API).
    pub blocked: bool,
    /// E-mail verified (read-only in the API).
    pub verified: bool,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// Created with `invitationDisabled: true` (no invitation e-mail sent).
    pub invitation_disabled: bool,
    /// Linked to an Atlassian account: `fullName` updates are silently ignored.
    pub atlassian_linked: bool,
    /// Notification contacts; the first is the default e-mail contact.
    pub contacts: Vec<Contact>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
    pub(crate) seq: u64,
}

/// A notification contact of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Contact {
    /// Contact id.
    pub id: String,
    /// `email`, `sms`, `voice` or `mobile`.
    pub method: String,
    /// Address or number.
    pub to: String,
    /// Whether notifications go to it.
    pub enabled: bool,
    /// The default e-mail contact every user has (cannot be deleted).
    pub is_default: bool,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member {
    /// The member's user id.
    pub user_id: String,
    /// The member's username.
    pub username: String,
    /// Team role: `admin`, `user` or a custom team role name.
    pub role: String,
}

/// One right of a custom team role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct TeamRight {
    /// The right's name (any string is kept).
    pub right: String,
    /// Granted (true) or denied.
    #[serde(default)]
    pub granted: bool,
}

/// A custom team role.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TeamRole {
    /// UUID.
    pub id: String,
    /// Name, unique within the team.
    pub name: String,
    /// Rights.
    pub rights: Vec<TeamRight>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Team {
    /// UUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Members in insertion order.
    pub members: Vec<Member>,
    /// Custom team roles.
    pub roles: Vec<TeamRole>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

/// A custom user role.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CustomRole {
    /// UUID.
    pub id: String,
    /// Name (case-sensitive, unique).
    pub name: String,
    /// `user`, `observer` or `stakeholder`.
    pub extended_role: String,
    /// Rights granted on top of the extended role.
    pub granted_rights: Vec<String>,
    /// Rights taken away.
    pub disallowed_rights: Vec<String>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

/// A rotation participant or escalation recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// `user`, `team`, `schedule`, `escalation`, `none`, ...
    pub kind: String,
    /// Id of the referenced object, if any.
    pub id: Option<String>,
    /// Username (users) or name (teams, schedules, escalations).
    pub name: Option<String>,
}

impl Recipient {
    /// Whether this is the user with `user_id`.
    pub fn is_user(&self, user_id: &str) -> bool {
        self.kind == "user" && self.id.as_deref() == Some(user_id)
    }
}

/// A schedule rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rotation {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// RFC 3339 start.
    pub start_date: String,
    /// RFC 3339 end, if any.
    pub end_date: Option<String>,
    /// `daily`, `weekly` or `hourly`.
    pub kind: String,
    /// Length in units of `kind`.
    pub length: u32,
    /// Participants in order.
    pub participants: Vec<Recipient>,
    /// `timeRestriction` as written (`type` checked), if any.
    pub time_restriction: Option<serde_json::Value>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

/// A schedule override: someone else on call for a while.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScheduleOverride {
    /// The override's alias (its identifier within the schedule).
    pub alias: String,
    /// Who is on call instead (`user` or `none`).
    pub user: Recipient,
    /// RFC 3339 start.
    pub start_date: String,
    /// RFC 3339 end.
    pub end_date: String,
    /// The rotations it applies to (`{id}` or `{name}`), all when empty.
    pub rotations: Vec<serde_json::Value>,
}

/// An on-call schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Schedule {
    /// UUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: String,
    /// IANA time zone.
    pub timezone: String,
    /// Enabled.
    pub enabled: bool,
    /// Owner team id.
    pub owner_team: Option<String>,
    /// Rotations.
    pub rotations: Vec<Rotation>,
    /// Overrides.
    pub overrides: Vec<ScheduleOverride>,
}

/// One rule of an escalation policy, kept as written: a `condition`,
/// `notifyType` or `timeUnit` left out stays absent (the spec's default
/// applies) and the answers leave it out too, as the spec allows, so a
/// client must apply the documented defaults itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EscalationRule {
    /// `if-not-acked` or `if-not-closed`; `None`: not written (`if-not-acked`).
    pub condition: Option<String>,
    /// `default`, `next`, `previous`, `users`, `admins` or `all`; `None`:
    /// not written (`default`).
    pub notify_type: Option<String>,
    /// The delay, in the unit it was written with.
    pub delay: Delay,
    /// Who is notified.
    pub recipient: Recipient,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

impl EscalationRule {
    /// `if-not-acked`, `default`, no delay: notify `recipient`.
    pub fn notify(recipient: Recipient) -> Self {
        EscalationRule {
            condition: Some("if-not-acked".into()),
            notify_type: Some("default".into()),
            delay: Delay::minutes(0),
            recipient,
            extra: Unmodelled::new(),
        }
    }
}

/// A duration as the API writes it (`{"timeAmount", "timeUnit"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delay {
    /// `timeAmount`.
    pub amount: i64,
    /// `timeUnit`: `minutes`, `hours`, `days`, ...; `None`: not written
    /// (`minutes`, the spec's default).
    pub unit: Option<String>,
}

impl Delay {
    /// `amount` minutes.
    pub fn minutes(amount: i64) -> Self {
        Delay {
            amount,
            unit: Some("minutes".into()),
        }
    }
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Escalation {
    /// UUID.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Owner team id.
    pub owner_team: Option<String>,
    /// Rules in order.
    pub rules: Vec<EscalationRule>,
    /// `repeat` as written, if any.
    pub repeat: Option<serde_json::Value>,
    /// Fields the simulator does not model, as written.
    pub extra: Unmodelled,
}

/// A notification forwarding rule from one user to another.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ForwardingRule {
    /// UUID.
    pub id: String,
    /// Alias.
    pub alias: String,
    /// Forwarded user id.
    pub from_user: String,
    /// Receiving user id.
    pub to_user: String,
    /// RFC 3339 start.
    pub start_date: String,
    /// RFC 3339 end.
    pub end_date: Option<String>,
}

/// A SCIM resource (user or group) as stored: the JSON document is the truth.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScimResource {
    /// Resource id.
    pub id: String,
    /// The stored document (without the computed `groups` of users).
    pub document: serde_json::Value,
}

impl ScimResource {
    /// `userName` (users) or `displayName` (groups).
    pub fn name(&self) -> Option<&str> {
        self.document
            .get("userName")
            .or_else(|| self.document.get("displayName"))
            .and_then(|v| v.as_str())
    }

    /// `active` (users; absent means active).
    pub fn active(&self) -> bool {
        self.document
            .get("active")
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
    }

    /// Member ids (groups).
    pub fn member_ids(&self) -> Vec<String> {
        self.document
            .get("members")
            .and_then(|m| m.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.get("value").and_then(|v| v.as_str()).map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}
