//! Custom team roles: `client.teams().roles(team)` (`/v2/teams/{team}/roles`).

use super::team_path;
use crate::api::{call, named_segment, send_create, send_data, send_write};
use crate::client::Client;
use crate::error::Error;
use crate::ids::{TeamRef, TeamRoleId, TeamRoleRef};
use crate::models::common::{Created, WriteResult};
use crate::models::team::{TeamRoleDef, TeamRoleWrite};
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
    /// [`TeamRolesHandler::update`].
    UpdateTeamRole -> WriteResult
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
        let lookup = {
            let (h, name) = (self.clone(), name.clone());
            Box::pin(async move {
                h.get(TeamRoleRef::name(name.clone()))
                    .await?
                    .id
                    .ok_or_else(|| {
                        Error::InvalidInput(format!("team role {name} was read back without an id"))
                    })
            })
        };
        let (client, what) = (
            self.client.clone(),
            format!("create team role {name} in team {}", self.team),
        );
        CreateTeamRole::new(async move { send_create(&client, req, what, Some(lookup)).await })
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

    /// Updates a custom team role (PATCH; only the fields set are sent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{TeamRight, TeamRoleWrite};
    /// client
    ///     .teams()
    ///     .roles("sre")
    ///     .update("Lead", TeamRoleWrite::update().right(TeamRight::denied("delete-team")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, role: impl Into<TeamRoleRef>, update: TeamRoleWrite) -> UpdateTeamRole {
        let req = self
            .one(ApiRequest::patch(Domain::Configuration), &role.into())
            .json(&update)
            .idempotent(true);
        UpdateTeamRole::new(send_write(self.client.clone(), req))
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
