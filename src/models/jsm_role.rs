//! How Opsgenie roles become Jira Service Management roles at migration
//! (no feature needed: the `export` example and the `atlassian` migration
//! check share it; the `atlassian` module re-exports it).
//!
//! Source: Atlassian Support, "Get started with alert responding as an
//! Operations global admin" and the Opsgenie migration guide
//! (<https://support.atlassian.com/jira-service-management-cloud/>; the
//! table is restated in `JSM-NOTES.md`). Whether Stakeholder exists depends
//! on the plan (Premium and Enterprise only).

use std::fmt;

use crate::models::user::Role;

/// A role on the Jira Service Management side.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JsmRole {
    /// A JSM agent (an Opsgenie User).
    Agent,
    /// Operations global admin (an Opsgenie Admin).
    OperationsGlobalAdmin,
    /// Product admin of Jira Service Management (an Opsgenie Owner who was
    /// not a site admin).
    ProductAdmin,
    /// Site admin (an Opsgenie Owner who was a site admin).
    SiteAdmin,
    /// Stakeholder (Premium and Enterprise plans).
    Stakeholder,
    /// A custom user role, same name.
    Custom(String),
}

impl fmt::Display for JsmRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsmRole::Agent => f.write_str("Agent"),
            JsmRole::OperationsGlobalAdmin => f.write_str("Operations global admin"),
            JsmRole::ProductAdmin => f.write_str("Product admin"),
            JsmRole::SiteAdmin => f.write_str("Site admin"),
            JsmRole::Stakeholder => f.write_str("Stakeholder"),
            JsmRole::Custom(name) => write!(f, "custom role {name:?}"),
        }
    }
}

/// The JSM role an Opsgenie `role` becomes at migration, by Atlassian's
/// documented mapping: User -> Agent, Admin -> Operations global admin,
/// Owner -> product admin (site admin if they were one), Stakeholder ->
/// Stakeholder, a custom role stays custom. `None` for Observer, which the
/// mapping does not name.
///
/// ```
/// use opsgenie_users::models::jsm_role::{jsm_role_for, JsmRole};
/// use opsgenie_users::models::user::Role;
/// assert_eq!(jsm_role_for(&Role::User, false), Some(JsmRole::Agent));
/// assert_eq!(jsm_role_for(&Role::Admin, false), Some(JsmRole::OperationsGlobalAdmin));
/// assert_eq!(jsm_role_for(&Role::Owner, false), Some(JsmRole::ProductAdmin));
/// assert_eq!(jsm_role_for(&Role::Owner, true), Some(JsmRole::SiteAdmin));
/// assert_eq!(jsm_role_for(&Role::Stakeholder, false), Some(JsmRole::Stakeholder));
/// assert_eq!(jsm_role_for(&Role::Custom("NOC".into()), false), Some(JsmRole::Custom("NOC".into())));
/// assert_eq!(jsm_role_for(&Role::Observer, false), None);
/// ```
pub fn jsm_role_for(role: &Role, site_admin: bool) -> Option<JsmRole> {
    match role {
        Role::User => Some(JsmRole::Agent),
        Role::Admin => Some(JsmRole::OperationsGlobalAdmin),
        Role::Owner if site_admin => Some(JsmRole::SiteAdmin),
        Role::Owner => Some(JsmRole::ProductAdmin),
        Role::Stakeholder => Some(JsmRole::Stakeholder),
        Role::Custom(name) => Some(JsmRole::Custom(name.clone())),
        Role::Observer => None,
    }
}
