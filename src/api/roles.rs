//! Custom user roles: `client.roles()` (`/v2/roles`).
//!
//! Roles are addressed by [`CustomRoleRef`] (id or name) with an explicit
//! `identifierType`. Names are case-sensitive and sent exactly as given:
//! `"admin"` is not `"Admin"`. The list call returns custom roles only.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
//! let created = client
//!     .roles()
//!     .create(CustomRoleWrite::new("ReadOnlyOps").extended_role(ExtendedRole::User).grant("logs-page-access"))
//!     .await?;
//! let role = client.roles().get("ReadOnlyOps").await?; // a string is a name
//! let same = client.roles().get(&created.id).await?;
//! # let _ = (role, same);
//! # Ok(()) }
//! ```

use crate::api::{call, named_segment, send_create, send_data, send_write};
use crate::client::Client;
use crate::ids::{CustomRoleId, CustomRoleRef};
use crate::models::common::{Created, WriteResult};
use crate::models::role::{CustomRole, CustomRoleWrite};
use crate::models::user::Role;
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// Custom user roles.
    pub fn roles(&self) -> RolesHandler {
        RolesHandler {
            client: self.clone(),
        }
    }
}

/// Custom user role calls. Get one with [`Client::roles`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct RolesHandler {
    client: Client,
}

fn role_path(req: ApiRequest, role: &CustomRoleRef) -> ApiRequest {
    named_segment(req.path("v2/roles"), "identifierType", role)
}

call!(
    /// [`RolesHandler::create`]: await it for the new role's id.
    CreateRole -> Created<CustomRoleId>
);
call!(
    /// [`RolesHandler::get`].
    GetRole -> CustomRole
);
call!(
    /// [`RolesHandler::list`].
    ListRoles -> Vec<CustomRole>
);
call!(
    /// [`RolesHandler::all`].
    ListAllRoles -> Vec<Role>
);
call!(
    /// [`RolesHandler::update`].
    UpdateRole -> WriteResult
);
call!(
    /// [`RolesHandler::delete`].
    DeleteRole -> WriteResult
);

impl RolesHandler {
    /// Creates a custom role (`POST /v2/roles`). A duplicate name answers 422.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::role::{CustomRoleWrite, ExtendedRole};
    /// let r = client
    ///     .roles()
    ///     .create(CustomRoleWrite::new("Auditor").extended_role(ExtendedRole::Observer))
    ///     .await?;
    /// println!("{}", r.id);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, role: CustomRoleWrite) -> CreateRole {
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/roles")
            .json(&role);
        if !role.has_name() {
            req = req.invalid("a custom role needs a name (use CustomRoleWrite::new)");
        }
        let name = role.role_name().unwrap_or_default().to_string();
        let handler = self.clone();
        let lookup = {
            let name = name.clone();
            Box::pin(async move { Ok(handler.get(CustomRoleRef::name(name)).await?.id) })
        };
        let client = self.client.clone();
        CreateRole::new(async move {
            send_create(&client, req, format!("create role {name}"), Some(lookup)).await
        })
    }

    /// Gets a custom role by id or (case-sensitive) name.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let role = client.roles().get("Auditor").await?;
    /// println!("{:?} {:?}", role.extended_role, role.granted_rights);
    /// # Ok(()) }
    /// ```
    pub fn get(&self, role: impl Into<CustomRoleRef>) -> GetRole {
        let req = role_path(ApiRequest::get(Domain::Configuration), &role.into());
        GetRole::new(send_data(self.client.clone(), req))
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
    pub fn list(&self) -> ListRoles {
        let req = ApiRequest::get(Domain::Configuration).path("v2/roles");
        ListRoles::new(send_data(self.client.clone(), req))
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
    pub fn all(&self) -> ListAllRoles {
        let list = self.list();
        ListAllRoles::new(async move {
            let mut roles = vec![
                Role::Owner,
                Role::Admin,
                Role::User,
                Role::Observer,
                Role::Stakeholder,
            ];
            roles.extend(list.await?.into_iter().map(|r| Role::Custom(r.name)));
            Ok(roles)
        })
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
    ///     .update("Auditor", CustomRoleWrite::update().disallow("alert-delete"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, role: impl Into<CustomRoleRef>, update: CustomRoleWrite) -> UpdateRole {
        let req = role_path(ApiRequest::put(Domain::Configuration), &role.into()).json(&update);
        UpdateRole::new(send_write(self.client.clone(), req))
    }

    /// Deletes a custom role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.roles().delete("Auditor").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, role: impl Into<CustomRoleRef>) -> DeleteRole {
        let req = role_path(ApiRequest::delete(Domain::Configuration), &role.into());
        DeleteRole::new(send_write(self.client.clone(), req))
    }
}
