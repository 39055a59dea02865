//! Custom team roles: `client.teams().roles(team)` (`/v2/teams/{team}/roles`).

use super::team_path;
use crate::api::{call, found, named_segment, send_create, send_data, send_write};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{TeamRef, TeamRoleId, TeamRoleRef};
use crate::models::common::{Created, WriteResult};
use crate::models::team::{TeamRight, TeamRoleDef, TeamRoleWrite};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

call!(
    /// [`TeamRolesHandler::create`]: await it for the new role's id.
    CreateTeamRole -> Created<TeamRoleId>
);
call!(
    /// [`TeamRolesHandler::get`].
    GetTeamRole -> TeamRoleDef
);
call!(
    /// [`TeamRolesHandler::list`].
    ListTeamRoles -> Vec<TeamRoleDef>
);
call!(
    /// [`TeamRolesHandler::delete`].
    DeleteTeamRole -> WriteResult
);

/// Custom team role calls (`/v2/teams/{team}/roles`). Get one with
/// [`TeamsHandler::roles`](super::TeamsHandler::roles). The team goes with `teamIdentifierType`, the role
/// with `identifierType`; role names are case-sensitive and sent verbatim.
#[derive(Debug, Clone)]
pub struct TeamRolesHandler {
    pub(super) client: Client,
    pub(super) team: TeamRef,
}

impl TeamRolesHandler {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        team_path(req, &self.team, "teamIdentifierType").path("roles")
    }

    fn one(&self, req: ApiRequest, role: &TeamRoleRef) -> ApiRequest {
        named_segment(self.base(req), "identifierType", role)
    }

    /// Creates a custom team role (name and rights required; rights are open
    /// strings, never checked against a list).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{TeamRight, TeamRoleWrite};
    /// client
    ///     .teams()
    ///     .roles("sre")
    ///     .create(TeamRoleWrite::new("Lead").right(TeamRight::granted("manage-members")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn create(&self, role: TeamRoleWrite) -> CreateTeamRole {
        let mut req = self
            .base(ApiRequest::post(Domain::Configuration))
            .json(&role);
        if !role.is_complete() {
            req =
                req.invalid("a team role needs a name and a rights list (use TeamRoleWrite::new)");
        }
        let name = role.role_name().unwrap_or_default().to_string();
        let (h, client, what) = (
            self.clone(),
            self.client.clone(),
            format!("create team role {name} in team {}", self.team),
        );
        CreateTeamRole::new(async move {
            let lookup = || async {
                let Some(role) = found(h.get(TeamRoleRef::name(name.clone())).await)? else {
                    return Ok(None);
                };
                role.id.map(Some).ok_or_else(|| {
                    Error::InvalidInput(format!("team role {name} was read back without an id"))
                })
            };
            send_create(&client, &mut req, what, lookup).await
        })
    }

    /// Gets a custom team role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let role = client.teams().roles("sre").get("Lead").await?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, role: impl Into<TeamRoleRef>) -> GetTeamRole {
        let req = self.one(ApiRequest::get(Domain::Configuration), &role.into());
        GetTeamRole::new(send_data(self.client.clone(), req))
    }

    /// Lists the team's custom roles.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for r in client.teams().roles("sre").list().await? {
    ///     println!("{} {:?}", r.name, r.rights);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListTeamRoles {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        ListTeamRoles::new(send_data(self.client.clone(), req))
    }

    /// Updates a custom team role: reads it, applies the changes set on the
    /// returned builder in order, and PATCHes `name` and the **whole**
    /// `rights` list (the PATCH replaces the array it names, so a list of
    /// only the changed rights would drop the others). Rights change as a
    /// set keyed by name: [`grant`](UpdateTeamRole::grant),
    /// [`deny`](UpdateTeamRole::deny), [`remove`](UpdateTeamRole::remove).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client
    ///     .teams()
    ///     .roles("sre")
    ///     .update("Lead")
    ///     .deny("delete-team")
    ///     .grant("manage-members")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, role: impl Into<TeamRoleRef>) -> UpdateTeamRole {
        UpdateTeamRole {
            handler: self.clone(),
            role: role.into(),
            changes: Vec::new(),
        }
    }

    /// Deletes a custom team role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.teams().roles("sre").delete("Lead").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, role: impl Into<TeamRoleRef>) -> DeleteTeamRole {
        let req = self.one(ApiRequest::delete(Domain::Configuration), &role.into());
        DeleteTeamRole::new(send_write(self.client.clone(), req))
    }
}

#[derive(Debug, Clone)]
enum TeamRoleChange {
    Name(String),
    Set(TeamRight),
    Remove(String),
    Rights(Vec<TeamRight>),
}

/// [`TeamRolesHandler::update`]: set the changes, then await it. Read,
/// change, write the whole rights list.
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until awaited"]
pub struct UpdateTeamRole {
    handler: TeamRolesHandler,
    role: TeamRoleRef,
    changes: Vec<TeamRoleChange>,
}

impl UpdateTeamRole {
    fn with(mut self, c: TeamRoleChange) -> Self {
        self.changes.push(c);
        self
    }
    /// Renames the role.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.with(TeamRoleChange::Name(name.into()))
    }
    /// Grants a right (replacing any entry of that name).
    pub fn grant(self, right: impl Into<String>) -> Self {
        self.with(TeamRoleChange::Set(TeamRight::granted(right)))
    }
    /// Marks a right explicitly not granted (replacing any entry of that name).
    pub fn deny(self, right: impl Into<String>) -> Self {
        self.with(TeamRoleChange::Set(TeamRight::denied(right)))
    }
    /// Sets one right as given (replacing any entry of that name).
    pub fn right(self, right: TeamRight) -> Self {
        self.with(TeamRoleChange::Set(right))
    }
    /// Removes the entry for a right.
    pub fn remove(self, right: impl Into<String>) -> Self {
        self.with(TeamRoleChange::Remove(right.into()))
    }
    /// Replaces the rights whole.
    pub fn rights(self, rights: Vec<TeamRight>) -> Self {
        self.with(TeamRoleChange::Rights(rights))
    }

    async fn run(self) -> Result<WriteResult> {
        let read = self.handler.get(self.role.clone()).await?;
        let mut role = TeamRoleWrite::new(read.name.clone()).rights(read.rights.clone());
        for c in self.changes {
            role = match c {
                TeamRoleChange::Name(n) => role.name(n),
                TeamRoleChange::Set(r) => role.set_right(r),
                TeamRoleChange::Remove(r) => role.remove_right(&r),
                TeamRoleChange::Rights(r) => role.rights(r),
            };
        }
        // Address the role by the id read when there is one (a rename must
        // not lose it).
        let target = read.id.map(TeamRoleRef::from).unwrap_or(self.role);
        let req = self
            .handler
            .one(ApiRequest::patch(Domain::Configuration), &target)
            .json(&role)
            .idempotent(true);
        send_write(self.handler.client.clone(), req).await
    }
}

impl std::future::IntoFuture for UpdateTeamRole {
    type Output = Result<WriteResult>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<WriteResult>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
