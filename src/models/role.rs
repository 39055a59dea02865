//! Custom user roles (`/v2/roles`).

use serde::{Deserialize, Serialize};

use crate::ids::CustomRoleId;
use crate::models::common::open_enum;
use crate::models::schedule::Extra;

open_enum! {
    /// The built-in role a custom role extends.
    ///
    /// ```
    /// use opsgenie_users::models::role::ExtendedRole;
    /// assert_eq!(ExtendedRole::from("observer"), ExtendedRole::Observer);
    /// assert_eq!(ExtendedRole::from("auditor").as_str(), "auditor");
    /// ```
    ExtendedRole {
        /// `user`.
        User => "user",
        /// `observer`.
        Observer => "observer",
        /// `stakeholder`.
        Stakeholder => "stakeholder",
    }
    /// A value this crate does not know, kept verbatim.
    Other
}

/// A user right granted or disallowed by a custom role, e.g.
/// `logs-page-access`. An open string: the crate never rejects a right it
/// does not know (the set grows on the server side).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Right(String);

impl Right {
    /// A right by name.
    pub fn new(s: impl Into<String>) -> Self {
        Right(s.into())
    }
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Right {
    fn from(s: &str) -> Self {
        Right(s.to_string())
    }
}

impl From<String> for Right {
    fn from(s: String) -> Self {
        Right(s)
    }
}

impl std::fmt::Display for Right {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A custom user role. Names are case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomRole {
    /// The role's id.
    pub id: CustomRoleId,
    /// The role's name, exactly as stored.
    #[serde(default)]
    pub name: String,
    /// The built-in role it extends (absent in some answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_role: Option<ExtendedRole>,
    /// Rights added on top of the extended role.
    #[serde(default)]
    pub granted_rights: Vec<Right>,
    /// Rights taken away from the extended role.
    #[serde(default)]
    pub disallowed_rights: Vec<Right>,
    /// Fields this crate does not know, kept and written back by
    /// [`RolesHandler::update`](crate::api::roles::RolesHandler::update).
    #[serde(flatten)]
    pub extra: Extra,
}

impl CustomRole {
    /// Grants `r`: adds it to the granted rights (once) and takes it out of
    /// the disallowed ones.
    ///
    /// ```
    /// use opsgenie_users::models::role::{CustomRole, Right};
    /// let mut r: CustomRole = serde_json::from_value(serde_json::json!({
    ///     "id": "r1", "name": "Ops", "grantedRights": ["a"], "disallowedRights": ["b"]
    /// })).unwrap();
    /// r.grant("b");
    /// r.grant("a");
    /// assert_eq!(r.granted_rights, [Right::new("a"), Right::new("b")]);
    /// assert!(r.disallowed_rights.is_empty());
    /// ```
    pub fn grant(&mut self, r: impl Into<Right>) {
        let r = r.into();
        self.disallowed_rights.retain(|x| *x != r);
        insert_once(&mut self.granted_rights, r);
    }
    /// Revokes `r`: takes it out of the granted rights.
    pub fn revoke(&mut self, r: impl Into<Right>) {
        let r = r.into();
        self.granted_rights.retain(|x| *x != r);
    }
    /// Disallows `r`: adds it to the disallowed rights (once) and takes it
    /// out of the granted ones.
    pub fn disallow(&mut self, r: impl Into<Right>) {
        let r = r.into();
        self.granted_rights.retain(|x| *x != r);
        insert_once(&mut self.disallowed_rights, r);
    }
    /// Allows `r` again: takes it out of the disallowed rights.
    pub fn allow(&mut self, r: impl Into<Right>) {
        let r = r.into();
        self.disallowed_rights.retain(|x| *x != r);
    }
}

fn insert_once(list: &mut Vec<Right>, r: Right) {
    if !list.contains(&r) {
        list.push(r);
    }
}

/// Body of Create Custom User Role (`name` required). Updates go through
/// [`RolesHandler::update`](crate::api::roles::RolesHandler::update), which
/// writes the complete role.
///
/// ```
/// use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
/// let r = CustomRoleWrite::new("ReadOnlyOps")
///     .extended_role(ExtendedRole::User)
///     .grant("logs-page-access");
/// assert_eq!(
///     serde_json::to_value(&r).unwrap(),
///     serde_json::json!({"name": "ReadOnlyOps", "extendedRole": "user",
///         "grantedRights": ["logs-page-access"]})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomRoleWrite {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_role: Option<ExtendedRole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    granted_rights: Option<Vec<Right>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disallowed_rights: Option<Vec<Right>>,
}

impl CustomRoleWrite {
    /// A role called `name` (case-sensitive; a duplicate answers 422).
    pub fn new(name: impl Into<String>) -> Self {
        CustomRoleWrite {
            name: Some(name.into()),
            ..Default::default()
        }
    }
    /// Renames the role.
    pub fn name(mut self, n: impl Into<String>) -> Self {
        self.name = Some(n.into());
        self
    }
    /// The built-in role to extend.
    pub fn extended_role(mut self, r: ExtendedRole) -> Self {
        self.extended_role = Some(r);
        self
    }
    /// Grants a right.
    pub fn grant(mut self, r: impl Into<Right>) -> Self {
        self.granted_rights
            .get_or_insert_with(Vec::new)
            .push(r.into());
        self
    }
    /// Disallows a right.
    pub fn disallow(mut self, r: impl Into<Right>) -> Self {
        self.disallowed_rights
            .get_or_insert_with(Vec::new)
            .push(r.into());
        self
    }
    /// Replaces the granted rights (an empty list clears them).
    pub fn granted_rights(mut self, r: Vec<Right>) -> Self {
        self.granted_rights = Some(r);
        self
    }
    /// Replaces the disallowed rights (an empty list clears them).
    pub fn disallowed_rights(mut self, r: Vec<Right>) -> Self {
        self.disallowed_rights = Some(r);
        self
    }
    pub(crate) fn has_name(&self) -> bool {
        self.name.is_some()
    }
    pub(crate) fn role_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_extended_role_and_rights_are_kept() {
        let r: CustomRole = serde_json::from_value(serde_json::json!({
            "id": "r1", "name": "Auditors", "extendedRole": "auditor",
            "grantedRights": ["brand-new-right"], "disallowedRights": []
        }))
        .unwrap();
        assert_eq!(r.extended_role, Some(ExtendedRole::Other("auditor".into())));
        assert_eq!(r.granted_rights, vec![Right::new("brand-new-right")]);
        let back = serde_json::to_value(&r).unwrap();
        assert_eq!(back["extendedRole"], "auditor");
    }
}
