//! Custom user role writes of JSM Operations: create, update (the complete
//! role, read then written back) and delete. Reads and assignment are on
//! [`CustomRolesHandler`] in the [parent module](super).
//!
//! Vendor reference: <https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/api-group-custom-user-roles/>.
//!
//! | call | endpoint | status |
//! |---|---|---|
//! | [`CustomRolesHandler::update`] | `PUT /v1/roles/{identifier}?identifierType=id`, body `{id, name, grantedRights, disallowedRights}`, answer `{message, data: {id, name}}` | confirmed (the page's "Update custom user role"); the body has no `extendedRole`, so the built-in role a custom role extends cannot be changed (delete and create instead) |
//! | [`CustomRolesHandler::delete`] | `DELETE /v1/roles/{identifier}?identifierType=id` | path confirmed; a role still assigned to someone cannot be deleted (Atlassian's Operations help on custom roles, operations-help.atlassian.net), with a status no page gives |
//! | [`CustomRolesHandler::create`] | `POST /v1/roles`, body `{name, extendedRole, grantedRights, disallowedRights}` | **unconfirmed**: the create was not read on the vendor page (searched again 2026-11-30: no page gives the JSM create body; only Opsgenie's `POST /v2/roles` `{name, extendedRole, grantedRights, disallowedRights}` was found); path from public clients (circleyu/go-jsmops), body fields from the role the page's GET answers (go-jsmops's own `{name, description, permissions}` disagrees with that page and was not followed), answer `{data: {id, name}}` (or `{id, name}`) inferred from the update's |
//!
//! Right names (`alert-create`, `alert-delete`, ...) are sent as given.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{seg, write, CustomRolesHandler, OpsCustomRole, OpsWrite};
use crate::api::call;
use crate::atlassian::ids::OpsRoleId;
use crate::error::Result;
use crate::request::ApiRequest;

type Fields = serde_json::Map<String, serde_json::Value>;

/// A new custom user role, the body of [`CustomRolesHandler::create`].
///
/// ```
/// use opsgenie_users::atlassian::OpsRoleWrite;
/// let role = OpsRoleWrite::new("Finance").extended_role("user").grant("alert-create").disallow("alert-delete");
/// assert_eq!(
///     serde_json::to_value(&role).unwrap(),
///     serde_json::json!({
///         "name": "Finance", "extendedRole": "user",
///         "grantedRights": ["alert-create"], "disallowedRights": ["alert-delete"],
///     })
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpsRoleWrite {
    /// The name (unique).
    pub name: String,
    /// The built-in role it extends (`user`, `observer`, `stakeholder`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_role: Option<String>,
    /// Rights granted beyond the extended role.
    pub granted_rights: Vec<String>,
    /// Rights taken away from the extended role.
    pub disallowed_rights: Vec<String>,
}

impl OpsRoleWrite {
    /// A role named `name`, with no rights changed.
    pub fn new(name: impl Into<String>) -> Self {
        OpsRoleWrite {
            name: name.into(),
            extended_role: None,
            granted_rights: Vec::new(),
            disallowed_rights: Vec::new(),
        }
    }

    /// The built-in role to extend.
    pub fn extended_role(mut self, role: impl Into<String>) -> Self {
        self.extended_role = Some(role.into());
        self
    }

    /// Grants a right.
    pub fn grant(mut self, right: impl Into<String>) -> Self {
        add(&mut self.granted_rights, right.into());
        self
    }

    /// Disallows a right.
    pub fn disallow(mut self, right: impl Into<String>) -> Self {
        add(&mut self.disallowed_rights, right.into());
        self
    }
}

fn add(set: &mut Vec<String>, right: String) {
    if !set.contains(&right) {
        set.push(right);
    }
}

fn remove(set: &mut Vec<String>, right: &str) {
    set.retain(|r| r != right);
}

#[derive(Deserialize)]
struct IdOnly {
    id: OpsRoleId,
}

/// The answer of a create: `{data: {id, name}}` like the update's, or the
/// role itself.
#[derive(Deserialize)]
#[serde(untagged)]
enum CreatedRole {
    Wrapped { data: IdOnly },
    Bare(IdOnly),
}

call!(
    /// [`CustomRolesHandler::create`]: await it for the new role's id.
    CreateOpsRole -> OpsRoleId
);

fn by_id(req: ApiRequest, role: &OpsRoleId) -> ApiRequest {
    seg(req.path("v1/roles"), role).query("identifierType", "id")
}

impl CustomRolesHandler {
    /// Creates a custom user role (`POST /v1/roles`) and returns its id.
    /// Not idempotent: a lost answer is
    /// [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome) (look
    /// for the name in [`list`](Self::list) before creating again).
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::OpsRoleWrite;
    /// let id = jsm
    ///     .roles()
    ///     .create(OpsRoleWrite::new("Finance").extended_role("user").grant("alert-create"))
    ///     .await?;
    /// println!("{id}");
    /// # Ok(()) }
    /// ```
    pub fn create(&self, role: OpsRoleWrite) -> CreateOpsRole {
        let mut req = self
            .client
            .request(Method::POST)
            .path("v1/roles")
            .json(&role);
        if role.name.trim().is_empty() {
            req = req.invalid("a custom role needs a name");
        }
        if let Some(r) = role
            .granted_rights
            .iter()
            .find(|r| role.disallowed_rights.contains(r))
        {
            req = req.invalid(format!("right {r} is both granted and disallowed"));
        }
        let what = format!("create custom role {}", role.name);
        let conn = self.client.conn.clone();
        CreateOpsRole::new(async move {
            let created: CreatedRole = conn.send_write(req, what).await?.json()?;
            Ok(match created {
                CreatedRole::Wrapped { data } | CreatedRole::Bare(data) => data.id,
            })
        })
    }

    /// Updates a custom user role: reads it, applies the changes set on the
    /// returned builder in order, and writes the **complete** role back
    /// (`PUT /v1/roles/{id}` replaces `name`, `grantedRights` and
    /// `disallowedRights` whole; fields this crate does not know are
    /// written back as read). Rights change as sets. Writing the same values
    /// again changes nothing, so the PUT is retried like other idempotent
    /// requests.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// jsm.roles()
    ///     .update("288c1908-2337-47c0-8a15-9d80fb12aaaa")
    ///     .grant("alert-close")
    ///     .disallow("alert-delete")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, role: impl Into<OpsRoleId>) -> UpdateOpsRole {
        UpdateOpsRole {
            handler: self.clone(),
            role: role.into(),
            changes: Vec::new(),
        }
    }

    /// Deletes a custom user role (`DELETE /v1/roles/{id}`). Atlassian
    /// refuses to delete a role still assigned to someone: an answer whose
    /// message says so is [`Error::DeleteBlocked`](crate::Error::DeleteBlocked).
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// jsm.roles().delete("288c1908-2337-47c0-8a15-9d80fb12aaaa").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, role: impl Into<OpsRoleId>) -> OpsWrite {
        let role = role.into();
        let req = by_id(self.client.request(Method::DELETE), &role);
        write(
            self.client.conn.clone(),
            req,
            format!("delete custom role {role}"),
        )
    }
}

/// The complete role as `PUT /v1/roles/{id}` takes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleBody<'a> {
    id: &'a OpsRoleId,
    name: &'a str,
    granted_rights: &'a [String],
    disallowed_rights: &'a [String],
    #[serde(flatten)]
    other: &'a Fields,
}

/// One change an [`UpdateOpsRole`] applies to the role it read.
#[derive(Debug, Clone)]
enum RoleChange {
    Name(String),
    Grant(String),
    Revoke(String),
    Disallow(String),
    Allow(String),
    Granted(Vec<String>),
    Disallowed(Vec<String>),
}

impl RoleChange {
    fn apply(self, role: &mut OpsCustomRole) {
        match self {
            RoleChange::Name(n) => role.name = n,
            RoleChange::Grant(r) => {
                remove(&mut role.disallowed_rights, &r);
                add(&mut role.granted_rights, r);
            }
            RoleChange::Revoke(r) => remove(&mut role.granted_rights, &r),
            RoleChange::Disallow(r) => {
                remove(&mut role.granted_rights, &r);
                add(&mut role.disallowed_rights, r);
            }
            RoleChange::Allow(r) => remove(&mut role.disallowed_rights, &r),
            RoleChange::Granted(r) => role.granted_rights = r,
            RoleChange::Disallowed(r) => role.disallowed_rights = r,
        }
    }
}

/// [`CustomRolesHandler::update`]: set the changes, then await it. Read,
/// change, write the complete role.
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until awaited"]
pub struct UpdateOpsRole {
    handler: CustomRolesHandler,
    role: OpsRoleId,
    changes: Vec<RoleChange>,
}

impl UpdateOpsRole {
    fn with(mut self, c: RoleChange) -> Self {
        self.changes.push(c);
        self
    }
    /// Renames the role.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.with(RoleChange::Name(name.into()))
    }
    /// Grants a right (and takes it out of the disallowed rights).
    pub fn grant(self, right: impl Into<String>) -> Self {
        self.with(RoleChange::Grant(right.into()))
    }
    /// Takes a right out of the granted rights.
    pub fn revoke(self, right: impl Into<String>) -> Self {
        self.with(RoleChange::Revoke(right.into()))
    }
    /// Disallows a right (and takes it out of the granted rights).
    pub fn disallow(self, right: impl Into<String>) -> Self {
        self.with(RoleChange::Disallow(right.into()))
    }
    /// Takes a right out of the disallowed rights.
    pub fn allow(self, right: impl Into<String>) -> Self {
        self.with(RoleChange::Allow(right.into()))
    }
    /// Replaces the granted rights whole (an empty list clears them).
    pub fn granted_rights<S: Into<String>>(self, rights: impl IntoIterator<Item = S>) -> Self {
        self.with(RoleChange::Granted(
            rights.into_iter().map(Into::into).collect(),
        ))
    }
    /// Replaces the disallowed rights whole (an empty list clears them).
    pub fn disallowed_rights<S: Into<String>>(self, rights: impl IntoIterator<Item = S>) -> Self {
        self.with(RoleChange::Disallowed(
            rights.into_iter().map(Into::into).collect(),
        ))
    }

    async fn run(self) -> Result<()> {
        let mut role = self.handler.get(self.role).await?;
        for c in self.changes {
            c.apply(&mut role);
        }
        let body = RoleBody {
            id: &role.id,
            name: &role.name,
            granted_rights: &role.granted_rights,
            disallowed_rights: &role.disallowed_rights,
            other: &role.other,
        };
        let mut req = by_id(self.handler.client.request(Method::PUT), &role.id).json(&body);
        if role.name.trim().is_empty() {
            req = req.invalid("a custom role needs a name");
        }
        let what = format!("update custom role {}", role.id);
        write(self.handler.client.conn.clone(), req, what).await
    }
}

impl std::future::IntoFuture for UpdateOpsRole {
    type Output = Result<()>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
