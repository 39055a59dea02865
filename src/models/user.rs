//! User models: [`User`], its [`Role`], address, and the small views of the
//! teams, schedules, escalations and forwarding rules that reference a user.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{EscalationId, ForwardingRuleId, ScheduleId, TeamId, UserId, Username};
use crate::models::contact::UserContact;

/// A user's account role.
///
/// The built-ins are `Owner`, `Admin`, `User`, `Observer` and `Stakeholder`;
/// anything else is a custom role's name, kept exactly as written. Role names
/// are **case-sensitive**: `"admin"` is [`Role::Custom("admin")`](Role::Custom),
/// not [`Role::Admin`]. Sending a name the account does not know (such as
/// `"admin"`) does not fail: Opsgenie silently gives the user the `User` role.
/// Use [`UsersHandler::create_checked`](crate::api::users::UsersHandler::create_checked) or
/// [`update_checked`](crate::api::users::UsersHandler::update_checked) to catch that.
///
/// ```
/// use opsgenie_users::models::user::Role;
/// assert_eq!(Role::from("Admin"), Role::Admin);
/// assert_eq!(Role::from("admin"), Role::Custom("admin".into()));
/// let r: Role = serde_json::from_str(r#""Site Reliability""#).unwrap();
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#""Site Reliability""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `Owner`: full rights, including billing.
    Owner,
    /// `Admin`.
    Admin,
    /// `User` (the default, and what unknown role names fall back to on the server).
    User,
    /// `Observer`: read-only.
    Observer,
    /// `Stakeholder`: receives updates; cannot be a team member.
    Stakeholder,
    /// A custom role, by its exact (case-sensitive) name.
    Custom(String),
}

impl Role {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::User => "User",
            Role::Observer => "Observer",
            Role::Stakeholder => "Stakeholder",
            Role::Custom(s) => s,
        }
    }

    /// True for the five built-in roles.
    pub fn is_builtin(&self) -> bool {
        !matches!(self, Role::Custom(_))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Role {
    fn from(s: &str) -> Self {
        match s {
            "Owner" => Role::Owner,
            "Admin" => Role::Admin,
            "User" => Role::User,
            "Observer" => Role::Observer,
            "Stakeholder" => Role::Stakeholder,
            other => Role::Custom(other.to_string()),
        }
    }
}

impl From<String> for Role {
    fn from(s: String) -> Self {
        match Role::from(s.as_str()) {
            Role::Custom(_) => Role::Custom(s),
            builtin => builtin,
        }
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Role::from)
    }
}

/// The `role` object of a user: `{"id": ..., "name": ...}`. Built-in roles
/// come back with their name as id; custom roles with a UUID.
///
/// ```
/// use opsgenie_users::models::user::{Role, UserRole};
/// let r = UserRole::new(Role::Admin);
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"name":"Admin"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserRole {
    /// Role id (`Admin` for built-ins, a UUID for custom roles). Not sent on writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The role.
    pub name: Role,
}

impl UserRole {
    /// A role reference by name, as writes send it.
    pub fn new(role: impl Into<Role>) -> Self {
        UserRole {
            id: None,
            name: role.into(),
        }
    }
}

impl From<Role> for UserRole {
    fn from(r: Role) -> Self {
        UserRole::new(r)
    }
}

/// A user's postal address. Every part is optional.
///
/// ```
/// use opsgenie_users::models::user::UserAddress;
/// let a = UserAddress { city: Some("Berlin".into()), country: Some("DE".into()), ..Default::default() };
/// assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"country":"DE","city":"Berlin"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAddress {
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
}

impl UserAddress {
    /// This address with every part it does not set taken from `current`.
    ///
    /// ```
    /// use opsgenie_users::models::user::UserAddress;
    /// let current = UserAddress { city: Some("York".into()), country: Some("GB".into()), ..Default::default() };
    /// let city = UserAddress { city: Some("Leeds".into()), ..Default::default() };
    /// let m = city.merged_over(current);
    /// assert_eq!((m.city.as_deref(), m.country.as_deref()), (Some("Leeds"), Some("GB")));
    /// ```
    pub fn merged_over(self, current: UserAddress) -> UserAddress {
        UserAddress {
            country: self.country.or(current.country),
            state: self.state.or(current.state),
            city: self.city.or(current.city),
            line: self.line.or(current.line),
            zip_code: self.zip_code.or(current.zip_code),
        }
    }

    /// True when no part is set (or every set part is empty): the server
    /// sends empty strings for parts never set.
    pub fn is_empty(&self) -> bool {
        [
            &self.country,
            &self.state,
            &self.city,
            &self.line,
            &self.zip_code,
        ]
        .iter()
        .all(|p| p.as_deref().is_none_or(str::is_empty))
    }
}

/// An Opsgenie user, as `GET /v2/users/{id}` and `GET /v2/users` return it.
///
/// Every field is optional except `id` and `username` (the server may omit
/// any other), unknown fields are ignored, and `createdAt` is a
/// [`jiff::Timestamp`]. `contacts` is filled only by a get with
/// [`expand_contacts`](crate::api::users::GetUser::expand_contacts).
///
/// ```
/// use opsgenie_users::models::user::{Role, User};
/// let u: User = serde_json::from_str(r#"{
///     "id": "f4df67fe-15cb-4c88-ad9c-a1a83a785fe6", "username": "jane@example.com",
///     "fullName": "Jane Doe", "role": {"id": "Admin", "name": "Admin"},
///     "timeZone": "Europe/Berlin", "createdAt": "2017-05-11T12:36:07.217Z",
///     "somethingNew": 1
/// }"#).unwrap();
/// assert_eq!(u.role.unwrap().name, Role::Admin);
/// assert_eq!(u.created_at.unwrap().as_second(), 1494506167);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Id (UUID).
    pub id: UserId,
    /// Username (e-mail, lowercased by the server).
    pub username: Username,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Account role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<UserRole>,
    /// Skype username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skype_username: Option<String>,
    /// Time zone as the server reports it (it may be another alias of the
    /// zone that was written; compare with
    /// [`same_time_zone`](crate::models::timezone::same_time_zone)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Locale, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Custom properties: key to list of values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, Vec<String>>,
    /// Blocked from logging in (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<bool>,
    /// E-mail verified (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// When the user was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<jiff::Timestamp>,
    /// Notifications muted until (listed by the spec; rarely present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<jiff::Timestamp>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_address: Option<UserAddress>,
    /// Notification contacts; present only with `expand=contact`.
    #[serde(
        default,
        rename = "userContacts",
        skip_serializing_if = "Option::is_none"
    )]
    pub contacts: Option<Vec<UserContact>>,
}

impl User {
    /// The role name, if the server sent a role.
    ///
    /// ```
    /// # use opsgenie_users::models::user::{Role, User};
    /// let u: User = serde_json::from_str(r#"{"id":"1","username":"a@b.c","role":{"name":"Observer"}}"#).unwrap();
    /// assert_eq!(u.role_name(), Some(&Role::Observer));
    /// ```
    pub fn role_name(&self) -> Option<&Role> {
        self.role.as_ref().map(|r| &r.name)
    }
}

/// A team the user belongs to (`GET /v2/users/{id}/teams`).
///
/// ```
/// let t: opsgenie_users::models::user::UserTeam = serde_json::from_str(r#"{"id":"t-1","name":"SRE"}"#).unwrap();
/// assert_eq!(t.name.as_deref(), Some("SRE"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserTeam {
    /// Team id.
    pub id: TeamId,
    /// Team name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A schedule the user takes part in (`GET /v2/users/{id}/schedules`).
///
/// ```
/// let s: opsgenie_users::models::user::UserSchedule =
///     serde_json::from_str(r#"{"id":"s-1","name":"SRE_schedule","enabled":true}"#).unwrap();
/// assert_eq!(s.enabled, Some(true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserSchedule {
    /// Schedule id.
    pub id: ScheduleId,
    /// Schedule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the schedule is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A reference to a team (id and name), e.g. an escalation's owner team.
///
/// ```
/// let t: opsgenie_users::models::user::TeamMeta = serde_json::from_str(r#"{"name":"SRE"}"#).unwrap();
/// assert!(t.id.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamMeta {
    /// Team id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<TeamId>,
    /// Team name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A reference to a user (id and username), e.g. in a forwarding rule.
///
/// ```
/// let u: opsgenie_users::models::user::UserMeta = serde_json::from_str(r#"{"username":"a@b.c"}"#).unwrap();
/// assert_eq!(u.username.unwrap().as_str(), "a@b.c");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserMeta {
    /// User id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// Username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<Username>,
}

/// An escalation policy that names the user (`GET /v2/users/{id}/escalations`).
/// Rules are kept small: who is notified, when, after how long.
///
/// ```
/// let e: opsgenie_users::models::user::UserEscalation = serde_json::from_str(r#"{
///   "id":"e-1","name":"SRE_escalation","ownerTeam":{"id":"t-1","name":"SRE"},
///   "rules":[{"condition":"if-not-acked","notifyType":"default",
///             "delay":{"timeAmount":5,"timeUnit":"minutes"},
///             "recipient":{"type":"user","id":"u-1","username":"jane@example.com"}}]}"#).unwrap();
/// assert_eq!(e.rules[0].recipient.as_ref().unwrap().kind, "user");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserEscalation {
    /// Escalation id.
    pub id: EscalationId,
    /// Escalation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The team that owns the escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_team: Option<TeamMeta>,
    /// Escalation rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<EscalationRule>,
}

/// One rule of an escalation. Enum-like fields are kept as the strings the
/// server sent (`if-not-acked`, `default`, `minutes`, ...), so new values never
/// fail decoding.
///
/// ```
/// let r: opsgenie_users::models::user::EscalationRule =
///     serde_json::from_str(r#"{"condition":"if-not-closed","notifyType":"all"}"#).unwrap();
/// assert_eq!(r.notify_type.as_deref(), Some("all"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EscalationRule {
    /// `if-not-acked` or `if-not-closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `default`, `next`, `previous`, `users`, `admins`, `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_type: Option<String>,
    /// Delay before the rule fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<RuleDelay>,
    /// Who is notified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
}

/// A delay: an amount and a unit (`minutes` by default on the server).
///
/// ```
/// let d: opsgenie_users::models::user::RuleDelay = serde_json::from_str(r#"{"timeAmount":5}"#).unwrap();
/// assert_eq!(d.time_amount, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RuleDelay {
    /// Amount.
    #[serde(default)]
    pub time_amount: i64,
    /// Unit (`minutes`, `hours`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<String>,
}

/// A recipient of a rule: `{"type": "user"|"team"|"schedule"|..., "id", "name"|"username"}`.
///
/// ```
/// let r: opsgenie_users::models::user::Recipient =
///     serde_json::from_str(r#"{"type":"schedule","name":"SRE_schedule"}"#).unwrap();
/// assert_eq!(r.kind, "schedule");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recipient {
    /// `user`, `team`, `schedule`, `escalation`, `all`, `none`, ...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Id of the recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name (teams, schedules, escalations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Username (users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// A forwarding rule from or to the user (`GET /v2/users/{id}/forwarding-rules`).
///
/// ```
/// let f: opsgenie_users::models::user::ForwardingRule = serde_json::from_str(r#"{
///   "id":"f-1","alias":"vacation","fromUser":{"username":"a@x.com"},"toUser":{"username":"b@x.com"},
///   "startDate":"2026-01-01T00:00:00Z","endDate":"2026-01-08T00:00:00Z"}"#).unwrap();
/// assert_eq!(f.to_user.unwrap().username.unwrap().as_str(), "b@x.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ForwardingRule {
    /// Rule id.
    pub id: ForwardingRuleId,
    /// Alias of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Whose notifications are forwarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user: Option<UserMeta>,
    /// Who receives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user: Option<UserMeta>,
    /// Start of forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<jiff::Timestamp>,
    /// End of forwarding (none: until removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<jiff::Timestamp>,
}

// ---- Write payloads: create and update ----

/// The optional fields [`UserCreate`] and [`UserUpdate`] share; each is
/// sent only when set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OptionalFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) skype_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_address: Option<UserAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) details: Option<BTreeMap<String, Vec<String>>>,
}

/// The optional-field setters [`UserCreate`] and [`UserUpdate`] share (on an
/// update, tags and details replace the current ones).
macro_rules! optional_user_setters {
    () => {
        /// Skype username.
        pub fn skype_username(mut self, v: impl Into<String>) -> Self {
            self.optional.skype_username = Some(v.into());
            self
        }
        /// IANA time zone, e.g. `Europe/Berlin` (on create, default: the account's).
        pub fn time_zone(mut self, v: impl Into<String>) -> Self {
            self.optional.time_zone = Some(v.into());
            self
        }
        /// Locale, e.g. `en_US` (on create, default: the account's).
        pub fn locale(mut self, v: impl Into<String>) -> Self {
            self.optional.locale = Some(v.into());
            self
        }
        /// Postal address.
        pub fn user_address(mut self, v: UserAddress) -> Self {
            self.optional.user_address = Some(v);
            self
        }
        /// Tags.
        pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.optional.tags = Some(tags.into_iter().map(Into::into).collect());
            self
        }
        /// Custom properties: key to list of values.
        pub fn details(mut self, v: BTreeMap<String, Vec<String>>) -> Self {
            self.optional.details = Some(v);
            self
        }
    };
}

/// The fields of a new user (`POST /v2/users`). `username` and `fullName` are
/// required; every other field is sent only when set, except `role`, which
/// is always sent (default [`Role::User`], what the server would pick anyway;
/// the spec marks it required).
///
/// ```
/// use opsgenie_users::models::user::UserCreate;
/// use opsgenie_users::models::user::Role;
/// let u = UserCreate::new("jane@example.com", "Jane Doe")
///     .role(Role::Observer)
///     .time_zone("Europe/Berlin")
///     .invitation_disabled(true);
/// assert_eq!(
///     serde_json::to_value(&u).unwrap(),
///     serde_json::json!({"username": "jane@example.com", "fullName": "Jane Doe",
///         "role": {"name": "Observer"}, "timeZone": "Europe/Berlin", "invitationDisabled": true})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCreate {
    pub(crate) username: Username,
    pub(crate) full_name: String,
    pub(crate) role: UserRole,
    #[serde(flatten)]
    pub(crate) optional: OptionalFields,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_disabled: Option<bool>,
}

impl UserCreate {
    /// A new user with its username (e-mail; stored lowercased, immutable)
    /// and display name.
    pub fn new(username: impl Into<Username>, full_name: impl Into<String>) -> Self {
        UserCreate {
            username: username.into(),
            full_name: full_name.into(),
            role: UserRole::new(Role::User),
            optional: OptionalFields::default(),
            invitation_disabled: None,
        }
    }
    /// The account role (default `User`). Names are case-sensitive; an
    /// unknown name silently becomes `User` on the server.
    pub fn role(mut self, role: impl Into<Role>) -> Self {
        self.role = UserRole::new(role);
        self
    }
    optional_user_setters!();
    /// `true`: no invitation e-mail is sent (quiet bulk onboarding).
    pub fn invitation_disabled(mut self, yes: bool) -> Self {
        self.invitation_disabled = Some(yes);
        self
    }
    /// The username.
    pub fn username(&self) -> &Username {
        &self.username
    }
}

/// A partial update (`PATCH /v2/users/{id}`): only the fields set here are
/// sent. There is no username field: Opsgenie does not allow changing it
/// (e-mail changes go through SCIM or the Atlassian account).
///
/// ```
/// use opsgenie_users::models::user::UserUpdate;
/// let u = UserUpdate::new().full_name("Jane Smith").tags(["oncall"]);
/// assert_eq!(
///     serde_json::to_value(&u).unwrap(),
///     serde_json::json!({"fullName": "Jane Smith", "tags": ["oncall"]})
/// );
/// assert_eq!(serde_json::to_string(&UserUpdate::new()).unwrap(), "{}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) role: Option<UserRole>,
    #[serde(flatten)]
    pub(crate) optional: OptionalFields,
}

impl UserUpdate {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }
    /// Display name (ignored by the server for users linked to an Atlassian account).
    pub fn full_name(mut self, v: impl Into<String>) -> Self {
        self.full_name = Some(v.into());
        self
    }
    /// Account role (case-sensitive; an unknown name becomes `User`).
    pub fn role(mut self, role: impl Into<Role>) -> Self {
        self.role = Some(UserRole::new(role));
        self
    }
    optional_user_setters!();
    /// True when no field is set (the PATCH would change nothing).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_exactly() {
        for name in [
            "Owner",
            "Admin",
            "User",
            "Observer",
            "Stakeholder",
            "admin",
            "OWNER",
            "Custom Ops",
            "",
            "ünïcode",
        ] {
            let r: Role = serde_json::from_value(serde_json::json!(name)).unwrap();
            assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!(name));
            assert_eq!(Role::from(name.to_string()), r);
        }
        assert_eq!(Role::from("admin"), Role::Custom("admin".into()));
        assert!(Role::Admin.is_builtin());
        assert!(!Role::from("admin").is_builtin());
    }

    #[test]
    fn user_tolerates_unknown_and_missing_fields() {
        let u: User = serde_json::from_str(
            r#"{"id":"1","username":"a@b.c","role":{"name":"NewRole","extra":true},
                "userAddress":{"country":"","city":"X","planet":"Earth"},
                "userContacts":[{"id":"c","contactMethod":"carrier-pigeon","to":"x"}],
                "details":{"k":["v1","v2"]},"tags":["t"],"blocked":false,"new":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(u.role_name(), Some(&Role::Custom("NewRole".into())));
        assert_eq!(u.details["k"], vec!["v1", "v2"]);
        let c = &u.contacts.as_ref().unwrap()[0];
        assert_eq!(
            c.method,
            Some(crate::models::contact::ContactMethod::Other(
                "carrier-pigeon".into()
            ))
        );
        assert!(!u.user_address.as_ref().unwrap().is_empty());
        assert!(UserAddress {
            country: Some(String::new()),
            ..Default::default()
        }
        .is_empty());
    }
}
