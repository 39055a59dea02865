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

use crate::api::{call, found, named_segment, send_create, send_data, send_write};
use crate::client::Client;
use crate::error::Result;
use crate::ids::{CustomRoleId, CustomRoleRef};
use crate::models::common::{Created, WriteResult};
use crate::models::role::{CustomRole, CustomRoleWrite, ExtendedRole, Right};
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
        let (h, client) = (self.clone(), self.client.clone());
        CreateRole::new(async move {
            let lookup =
                || async { found(h.get(CustomRoleRef::name(name.clone())).await.map(|r| r.id)) };
            send_create(&client, &mut req, format!("create role {name}"), lookup).await
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

    /// Updates a custom role: reads it, applies the changes set on the
    /// returned builder in order, and writes the **complete** role back
    /// (`PUT /v2/roles/{id}` is a full replacement: `name`, `extendedRole`,
    /// `grantedRights`, `disallowedRights` and any field this crate does not
    /// know, as read). Rights change as sets: [`grant`](UpdateRole::grant),
    /// [`revoke`](UpdateRole::revoke), [`disallow`](UpdateRole::disallow),
    /// [`allow`](UpdateRole::allow). Writing the same values again changes
    /// nothing, so the PUT is retried like other idempotent requests.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::role::ExtendedRole;
    /// client
    ///     .roles()
    ///     .update("Auditor")
    ///     .grant("logs-page-access")
    ///     .disallow("alert-delete")
    ///     .extended_role(ExtendedRole::Observer)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, role: impl Into<CustomRoleRef>) -> UpdateRole {
        UpdateRole {
            handler: self.clone(),
            role: role.into(),
            changes: Vec::new(),
        }
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

/// The complete role as `PUT /v2/roles/{id}` takes it (everything but `id`).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleBody<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_role: Option<&'a ExtendedRole>,
    granted_rights: &'a [Right],
    disallowed_rights: &'a [Right],
    #[serde(flatten)]
    extra: &'a crate::models::schedule::Extra,
}

/// One change an [`UpdateRole`] applies to the role it read.
#[derive(Debug, Clone)]
enum RoleChange {
    Name(String),
    Extended(ExtendedRole),
    Grant(Right),
    Revoke(Right),
    Disallow(Right),
    Allow(Right),
    Granted(Vec<Right>),
    Disallowed(Vec<Right>),
}

/// [`RolesHandler::update`]: set the changes, then await it. Read, change,
/// write the complete role.
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until awaited"]
pub struct UpdateRole {
    handler: RolesHandler,
    role: CustomRoleRef,
    changes: Vec<RoleChange>,
}

impl UpdateRole {
    fn with(mut self, c: RoleChange) -> Self {
        self.changes.push(c);
        self
    }
    /// Renames the role (case-sensitive; a taken name answers 422).
    pub fn name(self, name: impl Into<String>) -> Self {
        self.with(RoleChange::Name(name.into()))
    }
    /// The built-in role to extend.
    pub fn extended_role(self, r: ExtendedRole) -> Self {
        self.with(RoleChange::Extended(r))
    }
    /// Grants a right (and takes it out of the disallowed rights).
    pub fn grant(self, r: impl Into<Right>) -> Self {
        self.with(RoleChange::Grant(r.into()))
    }
    /// Takes a right out of the granted rights.
    pub fn revoke(self, r: impl Into<Right>) -> Self {
        self.with(RoleChange::Revoke(r.into()))
    }
    /// Disallows a right (and takes it out of the granted rights).
    pub fn disallow(self, r: impl Into<Right>) -> Self {
        self.with(RoleChange::Disallow(r.into()))
    }
    /// Takes a right out of the disallowed rights.
    pub fn allow(self, r: impl Into<Right>) -> Self {
        self.with(RoleChange::Allow(r.into()))
    }
    /// Replaces the granted rights whole (an empty list clears them).
    pub fn granted_rights(self, r: Vec<Right>) -> Self {
        self.with(RoleChange::Granted(r))
    }
    /// Replaces the disallowed rights whole (an empty list clears them).
    pub fn disallowed_rights(self, r: Vec<Right>) -> Self {
        self.with(RoleChange::Disallowed(r))
    }

    async fn run(self) -> Result<WriteResult> {
        let mut role = self.handler.get(self.role).await?;
        for c in self.changes {
            match c {
                RoleChange::Name(n) => role.name = n,
                RoleChange::Extended(e) => role.extended_role = Some(e),
                RoleChange::Grant(r) => role.grant(r),
                RoleChange::Revoke(r) => role.revoke(r),
                RoleChange::Disallow(r) => role.disallow(r),
                RoleChange::Allow(r) => role.allow(r),
                RoleChange::Granted(r) => role.granted_rights = r,
                RoleChange::Disallowed(r) => role.disallowed_rights = r,
            }
        }
        let body = RoleBody {
            name: &role.name,
            extended_role: role.extended_role.as_ref(),
            granted_rights: &role.granted_rights,
            disallowed_rights: &role.disallowed_rights,
            extra: &role.extra,
        };
        let req = role_path(
            ApiRequest::put(Domain::Configuration),
            &CustomRoleRef::id(role.id.clone()),
        )
        .json(&body);
        send_write(self.handler.client.clone(), req).await
    }
}

impl std::future::IntoFuture for UpdateRole {
    type Output = Result<WriteResult>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<WriteResult>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
