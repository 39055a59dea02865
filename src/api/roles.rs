//! Custom user roles: `client.roles()` (`/v2/roles`).
//!
//! Roles are addressed by [`RoleRef`] (id or name) with an explicit
//! `identifierType`. Names are case-sensitive and sent exactly as given:
//! `"admin"` is not `"Admin"`. The list call returns custom roles only.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
//! client
//!     .roles()
//!     .create(CustomRoleWrite::new("ReadOnlyOps").extended_role(ExtendedRole::User).grant("logs-page-access"))
//!     .await?;
//! let role = client.roles().get(opsgenie_users::RoleRef::name("ReadOnlyOps")).await?;
//! # Ok(()) }
//! ```

use crate::api::{named_segment, write_result};
use crate::client::Client;
use crate::error::Result;
use crate::ids::RoleRef;
use crate::models::common::WriteResult;
use crate::models::role::{CustomRole, CustomRoleWrite};
use crate::models::user::Role;
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// Custom user roles.
    pub fn roles(&self) -> RolesHandler<'_> {
        RolesHandler { client: self }
    }
}

/// Custom user role calls. Get one with [`Client::roles`].
#[derive(Debug, Clone, Copy)]
pub struct RolesHandler<'c> {
    client: &'c Client,
}

fn role_path(req: ApiRequest, role: &RoleRef) -> ApiRequest {
    named_segment(req.path("v2/roles"), "role", "identifierType", role)
}

impl RolesHandler<'_> {
    /// Creates a custom role (`POST /v2/roles`). A duplicate name answers 422.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
    /// let r = client
    ///     .roles()
    ///     .create(CustomRoleWrite::new("Auditor").extended_role(ExtendedRole::Observer))
    ///     .await?;
    /// println!("{:?}", r.id());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, role: CustomRoleWrite) -> Result<WriteResult> {
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/roles")
            .json(&role);
        if !role.has_name() {
            req = req.invalid("a custom role needs a name (use CustomRoleWrite::new)");
        }
        write_result(&self.client.send(req).await?)
    }

    /// Gets a custom role by id or (case-sensitive) name.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let role = client.roles().get(opsgenie_users::RoleRef::name("Auditor")).await?;
    /// println!("{:?} {:?}", role.extended_role, role.granted_rights);
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, role: RoleRef) -> Result<CustomRole> {
        let req = role_path(ApiRequest::get(Domain::Configuration), &role);
        self.client.send(req).await?.data()
    }

    /// Lists the custom roles (`GET /v2/roles`; the built-ins Owner, Admin,
    /// User, Observer and Stakeholder are not included: see [`all`](Self::all)).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for r in client.roles().list().await? {
    ///     println!("{} {}", r.id, r.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<CustomRole>> {
        let req = ApiRequest::get(Domain::Configuration).path("v2/roles");
        self.client.send(req).await?.data()
    }

    /// Every role a user can have, as one list: the built-ins (Owner, Admin,
    /// User, Observer, Stakeholder) followed by the custom roles, by exact name.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::user::Role;
    /// let roles = client.roles().all().await?;
    /// assert_eq!(roles[0], Role::Owner);
    /// # Ok(()) }
    /// ```
    pub async fn all(&self) -> Result<Vec<Role>> {
        let mut roles = vec![
            Role::Owner,
            Role::Admin,
            Role::User,
            Role::Observer,
            Role::Stakeholder,
        ];
        roles.extend(self.list().await?.into_iter().map(|r| Role::Custom(r.name)));
        Ok(roles)
    }

    /// Updates a custom role (`PUT /v2/roles/{role}`; only the fields set
    /// are sent). Writing the same values again changes nothing, so the call
    /// is retried like other idempotent requests.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::role::CustomRoleWrite;
    /// client
    ///     .roles()
    ///     .update(opsgenie_users::RoleRef::name("Auditor"), CustomRoleWrite::update().disallow("alert-delete"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, role: RoleRef, update: CustomRoleWrite) -> Result<WriteResult> {
        let req = role_path(ApiRequest::put(Domain::Configuration), &role).json(&update);
        write_result(&self.client.send(req).await?)
    }

    /// Deletes a custom role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.roles().delete(opsgenie_users::RoleRef::name("Auditor")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, role: RoleRef) -> Result<WriteResult> {
        let req = role_path(ApiRequest::delete(Domain::Configuration), &role);
        write_result(&self.client.send(req).await?)
    }
}
