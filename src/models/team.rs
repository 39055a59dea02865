//! Teams, team members, custom team roles, and membership as a set.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{TeamId, TeamRoleId, UserId, UserRef, Username};
use crate::models::common::open_enum;

open_enum! {
    /// A member's role in a team: `admin`, `user`, or the name of a custom
    /// team role (kept verbatim, case included).
    ///
    /// ```
    /// use opsgenie_users::models::team::TeamRole;
    /// assert_eq!(TeamRole::from("admin"), TeamRole::Admin);
    /// assert_eq!(TeamRole::from("On-call Lead").as_str(), "On-call Lead");
    /// ```
    TeamRole {
        /// `admin`: manages the team.
        Admin => "admin",
        /// `user`: a plain member (the server's default).
        User => "user",
    }
    /// A custom team role, by name.
    Custom
}

// Not derived: the enum comes from `open_enum!`, which has no `#[default]` slot.
#[allow(clippy::derivable_impls)]
impl Default for TeamRole {
    fn default() -> Self {
        TeamRole::User
    }
}

/// A user as Opsgenie names one inside a team: `{"id": ..., "username": ...}`.
/// Answers carry both; requests carry one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MemberUser {
    /// The user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// The user's username (e-mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<Username>,
}

impl From<&UserRef> for MemberUser {
    fn from(u: &UserRef) -> Self {
        match u {
            UserRef::Id(i) => MemberUser {
                id: Some(i.clone()),
                username: None,
            },
            UserRef::Username(n) => MemberUser {
                id: None,
                username: Some(n.clone()),
            },
        }
    }
}

impl MemberUser {
    /// The user as a [`UserRef`], preferring the id.
    pub fn to_ref(&self) -> Option<UserRef> {
        self.id
            .clone()
            .map(UserRef::Id)
            .or_else(|| self.username.clone().map(UserRef::Username))
    }

    /// True when this names `user` (ids compared exactly, usernames
    /// ignoring ASCII case, as Opsgenie stores them lowercased).
    pub fn is(&self, user: &UserRef) -> bool {
        match user {
            UserRef::Id(i) => self.id.as_ref() == Some(i),
            UserRef::Username(n) => self
                .username
                .as_ref()
                .is_some_and(|u| u.as_str().eq_ignore_ascii_case(n.as_str())),
        }
    }
}

/// A team member with their team role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamMember {
    /// Who.
    pub user: MemberUser,
    /// Their role in the team (`user` when the server omits it).
    #[serde(default)]
    pub role: TeamRole,
}

impl TeamMember {
    /// A member for requests (create/update team).
    pub fn new(user: impl Into<UserRef>, role: TeamRole) -> Self {
        TeamMember {
            user: MemberUser::from(&user.into()),
            role,
        }
    }
}

/// A team. `members` is empty when the answer carries none (team lists).
/// Opsgenie returns members in no stable order: treat them as a set
/// (see [`diff_members`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Team {
    /// The team's id.
    pub id: TeamId,
    /// The team's name.
    #[serde(default)]
    pub name: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The members.
    #[serde(default)]
    pub members: Vec<TeamMember>,
}

impl Team {
    /// The member that is `user`, if any.
    pub fn member(&self, user: &UserRef) -> Option<&TeamMember> {
        self.members.iter().find(|m| m.user.is(user))
    }

    /// Members whose role is `admin`.
    pub fn admins(&self) -> impl Iterator<Item = &TeamMember> {
        self.members.iter().filter(|m| m.role == TeamRole::Admin)
    }
}

/// Body of Create Team. Only `name` is required.
///
/// ```
/// use opsgenie_users::models::team::{TeamCreate, TeamRole};
/// let t = TeamCreate::new("sre")
///     .description("Site reliability")
///     .member("jane@example.com", TeamRole::Admin);
/// assert_eq!(
///     serde_json::to_value(&t).unwrap(),
///     serde_json::json!({"name": "sre", "description": "Site reliability",
///         "members": [{"user": {"username": "jane@example.com"}, "role": "admin"}]})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamCreate {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    members: Vec<TeamMember>,
}

impl TeamCreate {
    /// A team called `name` (a duplicate name answers 409).
    pub fn new(name: impl Into<String>) -> Self {
        TeamCreate {
            name: name.into(),
            description: None,
            members: Vec::new(),
        }
    }
    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// Adds a member.
    pub fn member(mut self, user: impl Into<UserRef>, role: TeamRole) -> Self {
        self.members.push(TeamMember::new(user, role));
        self
    }
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// Body of Update Team (PATCH). Only the fields set are sent. Setting
/// `members` replaces the whole member list.
///
/// ```
/// use opsgenie_users::models::team::TeamUpdate;
/// let u = TeamUpdate::new().description("On-call for payments");
/// assert_eq!(serde_json::to_string(&u).unwrap(), r#"{"description":"On-call for payments"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TeamUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<TeamMember>>,
}

impl TeamUpdate {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }
    /// Renames the team.
    pub fn name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }
    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// Replaces the whole member list.
    pub fn members(mut self, members: Vec<TeamMember>) -> Self {
        self.members = Some(members);
        self
    }
}

/// One right of a custom team role: `{"right": "manage-members", "granted": true}`.
/// Rights are open strings: the crate never rejects one it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamRight {
    /// The right's name, e.g. `manage-members`, `edit-escalations`.
    pub right: String,
    /// Granted (`true`) or explicitly not granted.
    #[serde(default)]
    pub granted: bool,
}

impl TeamRight {
    /// A granted right.
    pub fn granted(right: impl Into<String>) -> Self {
        TeamRight {
            right: right.into(),
            granted: true,
        }
    }
    /// A right explicitly not granted.
    pub fn denied(right: impl Into<String>) -> Self {
        TeamRight {
            right: right.into(),
            granted: false,
        }
    }
}

/// A custom team role (`/v2/teams/{team}/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamRoleDef {
    /// The role's id.
    #[serde(default)]
    pub id: Option<TeamRoleId>,
    /// The role's name (case-sensitive).
    #[serde(default)]
    pub name: String,
    /// Its rights.
    #[serde(default)]
    pub rights: Vec<TeamRight>,
}

/// Body of Create Team Role (`name` and `rights` required). Updates go
/// through [`TeamRolesHandler::update`](crate::api::teams::TeamRolesHandler::update),
/// which writes the whole rights list.
///
/// ```
/// use opsgenie_users::models::team::{TeamRight, TeamRoleWrite};
/// let r = TeamRoleWrite::new("Lead").right(TeamRight::granted("manage-members"));
/// assert_eq!(
///     serde_json::to_value(&r).unwrap(),
///     serde_json::json!({"name": "Lead", "rights": [{"right": "manage-members", "granted": true}]})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TeamRoleWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rights: Option<Vec<TeamRight>>,
}

impl TeamRoleWrite {
    /// A role called `name` with no rights yet (create sends `"rights": []`).
    pub fn new(name: impl Into<String>) -> Self {
        TeamRoleWrite {
            name: Some(name.into()),
            rights: Some(Vec::new()),
        }
    }
    /// Renames the role.
    pub fn name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }
    /// Sets a right: replaces the entry of the same name, or appends it.
    pub(crate) fn set_right(mut self, r: TeamRight) -> Self {
        let rights = self.rights.get_or_insert_with(Vec::new);
        match rights.iter_mut().find(|x| x.right == r.right) {
            Some(x) => *x = r,
            None => rights.push(r),
        }
        self
    }
    /// Removes the entry of a right.
    pub(crate) fn remove_right(mut self, right: &str) -> Self {
        if let Some(rights) = &mut self.rights {
            rights.retain(|x| x.right != right);
        }
        self
    }
    /// Adds a right.
    pub fn right(mut self, r: TeamRight) -> Self {
        self.rights.get_or_insert_with(Vec::new).push(r);
        self
    }
    /// Replaces the rights.
    pub fn rights(mut self, r: Vec<TeamRight>) -> Self {
        self.rights = Some(r);
        self
    }
    pub(crate) fn is_complete(&self) -> bool {
        self.name.is_some() && self.rights.is_some()
    }
    pub(crate) fn role_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// A wanted membership: who, with which team role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredMember {
    /// The user, by id or username.
    pub user: UserRef,
    /// The wanted team role.
    pub role: TeamRole,
}

impl DesiredMember {
    /// `user` with `role`.
    pub fn new(user: impl Into<UserRef>, role: TeamRole) -> Self {
        DesiredMember {
            user: user.into(),
            role,
        }
    }
}

/// A member whose team role should change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MemberRoleChange {
    /// The member.
    pub user: MemberUser,
    /// The current role.
    pub from: TeamRole,
    /// The wanted role.
    pub to: TeamRole,
}

/// What turns the actual member set into the desired one. Each list is
/// sorted by user id (then username), so equal inputs give equal diffs
/// whatever order the server returned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct MemberDiff {
    /// Desired users who are not members.
    pub add: Vec<TeamMember>,
    /// Members who are not desired (removed only when asked).
    pub remove: Vec<TeamMember>,
    /// Members with another role than desired.
    pub change_role: Vec<MemberRoleChange>,
    /// Members already as desired.
    pub unchanged: Vec<TeamMember>,
}

impl MemberDiff {
    /// True when applying (with removals) would change nothing.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty() && self.change_role.is_empty()
    }
}

/// Compares a desired member set with the actual members of a team, keyed
/// by user id. A desired username is matched to the member with that
/// username (case-insensitively; Opsgenie stores usernames lowercased) and
/// so to their id; one matching nobody is an addition by username.
/// [`TeamsHandler::diff_members`](crate::api::teams::TeamsHandler::diff_members)
/// resolves every username to an id first.
///
/// The same user listed twice in `desired` is refused with
/// [`Error::InvalidInput`], even with the same role.
///
/// ```
/// use opsgenie_users::models::team::{diff_members, DesiredMember, TeamMember, TeamRole};
/// use opsgenie_users::UserRef;
/// let actual: Vec<TeamMember> = serde_json::from_value(serde_json::json!([
///     {"user": {"id": "u2", "username": "bob@x.com"}, "role": "admin"},
///     {"user": {"id": "u1", "username": "ann@x.com"}, "role": "user"}
/// ])).unwrap();
/// let desired = [
///     DesiredMember::new("ann@x.com", TeamRole::Admin),
///     DesiredMember::new(UserRef::id("u3"), TeamRole::User),
/// ];
/// let d = diff_members(&desired, &actual).unwrap();
/// assert_eq!(d.add.len(), 1);
/// assert_eq!(d.change_role[0].to, TeamRole::Admin);
/// assert_eq!(d.remove[0].user.username.as_ref().unwrap().as_str(), "bob@x.com");
/// ```
pub fn diff_members(desired: &[DesiredMember], actual: &[TeamMember]) -> Result<MemberDiff> {
    // Key every actual member by id (or lowercased username if the server
    // left the id out).
    let key_of = |u: &MemberUser| -> String {
        match (&u.id, &u.username) {
            (Some(i), _) => format!("id:{}", i.as_str()),
            (None, Some(n)) => format!("username:{}", n.as_str().to_ascii_lowercase()),
            (None, None) => String::new(),
        }
    };
    let mut actual_by_key: BTreeMap<String, &TeamMember> = BTreeMap::new();
    let mut by_id: HashMap<&str, &TeamMember> = HashMap::new();
    let mut by_username: HashMap<String, &TeamMember> = HashMap::new();
    for m in actual {
        actual_by_key.insert(key_of(&m.user), m);
        if let Some(i) = &m.user.id {
            by_id.entry(i.as_str()).or_insert(m);
        }
        if let Some(n) = &m.user.username {
            by_username
                .entry(n.as_str().to_ascii_lowercase())
                .or_insert(m);
        }
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut diff = MemberDiff::default();
    for d in desired {
        // Same matching as `MemberUser::is`, through the indexes.
        let matched = match &d.user {
            UserRef::Id(i) => by_id.get(i.as_str()).copied(),
            UserRef::Username(n) => by_username.get(&n.as_str().to_ascii_lowercase()).copied(),
        };
        let key = match matched {
            Some(m) => key_of(&m.user),
            None => key_of(&MemberUser::from(&d.user)),
        };
        if !seen.insert(key) {
            return Err(Error::InvalidInput(format!(
                "user {} is listed more than once in the desired members",
                d.user
            )));
        }
        match matched {
            None => diff.add.push(TeamMember {
                user: MemberUser::from(&d.user),
                role: d.role.clone(),
            }),
            Some(m) if m.role == d.role => diff.unchanged.push(m.clone()),
            Some(m) => diff.change_role.push(MemberRoleChange {
                user: m.user.clone(),
                from: m.role.clone(),
                to: d.role.clone(),
            }),
        }
    }
    for (key, m) in &actual_by_key {
        if !seen.contains(key) {
            diff.remove.push((*m).clone());
        }
    }
    // Borrowed keys: sorting allocates nothing.
    let order = |a: &MemberUser, b: &MemberUser| {
        (a.id.as_ref(), a.username.as_ref()).cmp(&(b.id.as_ref(), b.username.as_ref()))
    };
    diff.add.sort_by(|a, b| order(&a.user, &b.user));
    diff.remove.sort_by(|a, b| order(&a.user, &b.user));
    diff.unchanged.sort_by(|a, b| order(&a.user, &b.user));
    diff.change_role.sort_by(|a, b| order(&a.user, &b.user));
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, name: &str, role: &str) -> TeamMember {
        serde_json::from_value(
            serde_json::json!({"user": {"id": id, "username": name}, "role": role}),
        )
        .unwrap()
    }

    #[test]
    fn team_role_keeps_unknown_values() {
        let r: TeamRole = serde_json::from_str(r#""On-Call Lead""#).unwrap();
        assert_eq!(r, TeamRole::Custom("On-Call Lead".into()));
        assert_eq!(serde_json::to_string(&r).unwrap(), r#""On-Call Lead""#);
        let m: TeamMember = serde_json::from_str(r#"{"user":{"id":"1"}}"#).unwrap();
        assert_eq!(m.role, TeamRole::User);
    }

    #[test]
    fn diff_is_order_independent() {
        let a = vec![
            member("1", "a@x.com", "admin"),
            member("2", "b@x.com", "user"),
            member("3", "c@x.com", "user"),
        ];
        let mut b = a.clone();
        b.reverse();
        let desired = vec![
            DesiredMember::new("B@x.com", TeamRole::Admin),
            DesiredMember::new(UserRef::id("1"), TeamRole::Admin),
            DesiredMember::new("d@x.com", TeamRole::User),
        ];
        let mut desired_rev = desired.clone();
        desired_rev.reverse();
        let d1 = diff_members(&desired, &a).unwrap();
        let d2 = diff_members(&desired_rev, &b).unwrap();
        assert_eq!(d1, d2);
        assert_eq!(d1.unchanged, vec![member("1", "a@x.com", "admin")]);
        assert_eq!(d1.change_role.len(), 1);
        assert_eq!(d1.change_role[0].from, TeamRole::User);
        assert_eq!(d1.remove, vec![member("3", "c@x.com", "user")]);
        assert_eq!(
            d1.add[0].user.username.as_ref().map(|u| u.as_str()),
            Some("d@x.com")
        );
        assert!(!d1.is_empty());
    }

    #[test]
    fn duplicates_in_desired_are_refused() {
        let a = vec![member("1", "a@x.com", "admin")];
        let desired = vec![
            DesiredMember::new("a@x.com", TeamRole::Admin),
            DesiredMember::new(UserRef::id("1"), TeamRole::User),
        ];
        assert!(matches!(
            diff_members(&desired, &a),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn same_set_is_empty_diff() {
        let a = vec![
            member("1", "a@x.com", "admin"),
            member("2", "b@x.com", "On-Call"),
        ];
        let desired = vec![
            DesiredMember::new(UserRef::id("2"), TeamRole::Custom("On-Call".into())),
            DesiredMember::new(UserRef::id("1"), TeamRole::Admin),
        ];
        assert!(diff_members(&desired, &a).unwrap().is_empty());
    }
}
