//! After Opsgenie: clients for the Atlassian APIs where an Opsgenie
//! account's users, teams and on-call configuration live once it moves to
//! Jira Service Management (feature `atlassian`).
//!
//! Opsgenie's REST API ends with its support on 2027-04-05. There is no
//! user endpoint in JSM Operations: people and product access are in the
//! Atlassian Admin API, teams and members in the Teams public API, on-call
//! configuration in the JSM Operations REST API. Each has its own base URL
//! and credential; all three run on this crate's one request path (the same
//! transport, retry policy, deadline and typed [`Error`](crate::Error)s),
//! each in its own rate-limit [`Domain`](crate::Domain) with unknown limits
//! that the adaptive scheduler learns from 429s, never sharing Opsgenie's
//! buckets.
//!
//! | API | client | base URL | credential |
//! |---|---|---|---|
//! | Admin ([`admin`]) | [`AdminClient`] | `https://api.atlassian.com` | organization API key, Bearer |
//! | Teams ([`teams`]) | [`TeamsClient`] | `https://{site}.atlassian.net` | account e-mail + API token, Basic |
//! | JSM Operations ([`jsm`]) | [`JsmOpsClient`] | `https://api.atlassian.com/jsm/ops/api/{cloudId}` | account e-mail + API token, Basic |
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use opsgenie_users::atlassian::{AdminClient, JsmOpsClient, TeamsClient};
//! # async fn demo(opsgenie: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! let admin = AdminClient::builder().org_id("org-1").api_key("org-key").shared_with(&opsgenie).build()?;
//! let teams = TeamsClient::builder()
//!     .site("example")
//!     .org_id("org-1")
//!     .credentials("ops@example.com", "api-token")
//!     .shared_with(&opsgenie)
//!     .build()?;
//! let jsm = JsmOpsClient::builder()
//!     .cloud_id("cloud-1")
//!     .credentials("ops@example.com", "api-token")
//!     .shared_with(&opsgenie)
//!     .build()?;
//! let people: Vec<_> = admin.users("dir-1").list().stream().try_collect().await?;
//! let all_teams: Vec<_> = teams.list().stream().try_collect().await?;
//! let schedules = jsm.schedules().list().await?;
//! # let _ = (people, all_teams, schedules); Ok(()) }
//! ```
//!
//! # Identifiers
//!
//! People are keyed by Atlassian [`AccountId`], teams by platform team
//! UUIDs ([`PlatformTeamId`]); Opsgenie user ids, usernames and team ids do
//! not carry over. Match people by e-mail address.
//!
//! # Team roles and team admins
//!
//! **No API assigns a team role to a member or changes a team's admins.**
//! Teams API members are plain account ids; JSM Operations team roles
//! ([`TeamRolesHandler`]) define rights but cannot be given to anyone through
//! the API (Atlassian's JSDCLOUD-17225; the official Terraform provider has
//! the same limit). A team's Operations admins are named once, when
//! Operations is enabled ([`OpsTeamsHandler::enable_ops`]). An Opsgenie team
//! admin becomes the team's Operations admin at migration.
//!
//! # Roles
//!
//! Atlassian's migration maps Opsgenie roles as [`jsm_role_for`] encodes:
//! User -> Agent, Admin -> Operations global admin, Owner -> product admin
//! (site admin if they were one), Stakeholder -> Stakeholder (Premium and
//! Enterprise), custom roles stay custom. The mapping itself lives in
//! [`models::jsm_role`](crate::models::jsm_role) (no feature needed);
//! [`migration`] compares it with each person's product role assignments
//! ([`DirectoryUsersHandler::role_assignments`]) and the JSM custom user
//! roles. No API reads the Operations global admin role or who holds a
//! custom user role.
//!
//! # What was confirmed
//!
//! Each module's table lists its endpoints with the vendor page and whether
//! the path and shapes were confirmed there or inferred (from the official
//! Terraform provider `atlassian/terraform-provider-atlassian-operations`
//! and public clients). Answer fields that could not be confirmed are kept
//! loosely (optional fields, unknown fields preserved and written back).
//!
//! # Writes
//!
//! The crate's rules apply: GET, PUT and DELETE are retried after a 5xx or
//! timeout; a POST is retried only where the target state is absolute
//! (Teams `members/add` and `/remove`, JSM `roles/assign`, reads sent as a
//! POST), PATCHes of rotation participants and escalation rules are
//! absolute too. Any other POST (invite, suspend, restore, enable-ops,
//! create) is never repeated after the request may have arrived, and a lost
//! answer is [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome).

pub mod admin;
mod client;
pub mod ids;
pub mod jsm;
pub mod migration;
pub mod paging;
pub mod teams;

pub use crate::models::jsm_role::{jsm_role_for, JsmRole};
pub use admin::{
    AdminList, Directory, DirectoryUser, DirectoryUsersHandler, FindUserByEmail, Group,
    GroupsHandler, Invite, PermissionRule, RoleAssignment, SearchDirectoryUsers,
};
pub use client::{
    AdminClient, AdminClientBuilder, JsmOpsClient, JsmOpsClientBuilder, TeamsClient,
    TeamsClientBuilder, ATLASSIAN_API,
};
pub use ids::{
    AccountId, CloudId, DirectoryId, GroupId, OpsEscalationId, OpsForwardingRuleId, OpsRoleId,
    OpsRotationId, OpsScheduleId, OpsTeamRoleId, OrgId, PlatformTeamId,
};
pub use jsm::roles::{CreateOpsRole, OpsRoleWrite, UpdateOpsRole};
pub use jsm::schedules::{
    OpsEscalation, OpsEscalationRule, OpsEscalationsHandler, OpsForwardingRule,
    OpsForwardingRulesHandler, OpsParticipant, OpsRotation, OpsRotationsHandler, OpsSchedule,
    OpsSchedulesHandler, UpdateOpsForwardingRule,
};
pub use jsm::{
    CustomRolesHandler, EnableOps, OpsCustomRole, OpsList, OpsTeam, OpsTeamRole, OpsTeamsHandler,
    TeamRoleRight, TeamRolesHandler,
};
pub use paging::{CursorPage, ItemStream};
pub use teams::{
    MembershipChange, MembershipError, PlatformTeam, TeamMember, TeamMembersHandler, TeamsList,
};
