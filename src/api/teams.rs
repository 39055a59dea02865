//! Teams, team members and custom team roles: `client.teams()`.
//!
//! Teams are addressed by [`TeamRef`] (id or name) and every request carries
//! the matching `identifierType` (`teamIdentifierType` on member and role
//! paths). The API's documented default is `id`, while the official Go SDK
//! sends `name`; never relying on a default avoids mixing them up.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::team::{TeamCreate, TeamRole};
//! use opsgenie_users::TeamRef;
//! client.teams().create(TeamCreate::new("sre").description("Site reliability")).await?;
//! client.teams().add_member(TeamRef::name("sre"), "jane@example.com", TeamRole::Admin).await?;
//! let team = client.teams().get(TeamRef::name("sre")).await?;
//! println!("{} has {} members", team.name, team.members.len());
//! # Ok(()) }
//! ```

use serde::Serialize;

use crate::api::{is_gone, named_segment, user_segment, write_result};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{NameOrId, RoleRef, TeamId, TeamRef, UserRef};
use crate::models::common::WriteResult;
use crate::models::team::{
    diff_members, DesiredMember, MemberDiff, MemberRoleChange, MemberUser, Team, TeamCreate,
    TeamMember, TeamRole, TeamRoleDef, TeamRoleWrite, TeamUpdate,
};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl From<TeamId> for NameOrId {
    fn from(id: TeamId) -> Self {
        NameOrId::Id(id.as_str().to_string())
    }
}

impl From<&TeamId> for NameOrId {
    fn from(id: &TeamId) -> Self {
        NameOrId::Id(id.as_str().to_string())
    }
}

impl Client {
    /// Teams, their members and custom team roles.
    pub fn teams(&self) -> TeamsHandler<'_> {
        TeamsHandler { client: self }
    }
}

/// Team calls. Get one with [`Client::teams`].
#[derive(Debug, Clone, Copy)]
pub struct TeamsHandler<'c> {
    client: &'c Client,
}

fn team_path(req: ApiRequest, team: &TeamRef, type_param: &str) -> ApiRequest {
    named_segment(req.path("v2/teams"), "team", type_param, team)
}

/// The body of Add Team Member.
#[derive(Serialize)]
struct AddMember<'a> {
    user: MemberUser,
    role: &'a TeamRole,
}

impl<'c> TeamsHandler<'c> {
    /// Creates a team (`POST /v2/teams`). A duplicate name answers 409
    /// ([`Error::Api`]). Opsgenie may create side objects named after the
    /// team (a default schedule and escalation).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{TeamCreate, TeamRole};
    /// let created = client
    ///     .teams()
    ///     .create(TeamCreate::new("payments").member("jane@example.com", TeamRole::Admin))
    ///     .await?;
    /// println!("team id {:?}", created.id());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, team: TeamCreate) -> Result<WriteResult> {
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/teams")
            .json(&team);
        if let Err(e) = crate::ids::validate("team name", team.name()) {
            req = req.invalid(e.to_string());
        }
        write_result(&self.client.send(req).await?)
    }

    /// Gets a team with its members (`GET /v2/teams/{team}?identifierType=`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::TeamRef;
    /// let team = client.teams().get(TeamRef::id("8418d193-2dab-4490-b331-8c02cdd196b7")).await?;
    /// for m in &team.members {
    ///     println!("{:?} {}", m.user.username, m.role);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, team: impl Into<TeamRef>) -> Result<Team> {
        let req = team_path(
            ApiRequest::get(Domain::Configuration),
            &team.into(),
            "identifierType",
        );
        self.client.send(req).await?.data()
    }

    /// Lists every team (`GET /v2/teams`; not paginated).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for t in client.teams().list().await? {
    ///     println!("{} {}", t.id, t.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<Team>> {
        let req = ApiRequest::get(Domain::Configuration).path("v2/teams");
        self.client.send(req).await?.data()
    }

    /// Updates a team (`PATCH /v2/teams/{id}`): only the fields set are
    /// sent; [`TeamUpdate::members`] replaces the whole member list.
    ///
    /// The endpoint takes an id only: a [`TeamRef::Name`] is first resolved
    /// with a GET, then the PATCH goes to the id (with `identifierType=id`,
    /// which the OpenAPI file does not list for this operation; it is sent
    /// anyway so no call relies on a server-side default).
    /// Setting the same values again changes nothing, so the call is retried
    /// like other idempotent requests.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::TeamUpdate;
    /// use opsgenie_users::TeamRef;
    /// client.teams().update(TeamRef::name("sre"), TeamUpdate::new().description("SRE")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        team: impl Into<TeamRef>,
        update: TeamUpdate,
    ) -> Result<WriteResult> {
        let id = self.resolve_id(team.into()).await?;
        let req = team_path(
            ApiRequest::patch(Domain::Configuration),
            &id,
            "identifierType",
        )
        .json(&update)
        .idempotent(true);
        write_result(&self.client.send(req).await?)
    }

    /// Deletes a team (`DELETE /v2/teams/{team}?identifierType=`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.teams().delete(opsgenie_users::TeamRef::name("old-team")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, team: impl Into<TeamRef>) -> Result<WriteResult> {
        let req = team_path(
            ApiRequest::delete(Domain::Configuration),
            &team.into(),
            "identifierType",
        );
        write_result(&self.client.send(req).await?)
    }

    /// The team's members (from Get Team; there is no separate list call).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let members = client.teams().members(opsgenie_users::TeamRef::name("sre")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn members(&self, team: impl Into<TeamRef>) -> Result<Vec<TeamMember>> {
        Ok(self.get(team).await?.members)
    }

    /// Adds a member (`POST /v2/teams/{team}/members?teamIdentifierType=`,
    /// body `{"user": {"id"|"username": ...}, "role": ...}`). Adding the same
    /// member again changes nothing, so the call counts as idempotent.
    ///
    /// A 422 becomes [`Error::MemberRejected`] with the server's message:
    /// Opsgenie refuses Stakeholders as team members this way.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::TeamRole;
    /// use opsgenie_users::{Error, TeamRef};
    /// match client.teams().add_member(TeamRef::name("sre"), "jane@example.com", TeamRole::User).await {
    ///     Ok(_) => {}
    ///     Err(Error::MemberRejected(e)) => eprintln!("refused: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn add_member(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
        role: TeamRole,
    ) -> Result<WriteResult> {
        let user = user.into();
        let mut req = team_path(
            ApiRequest::post(Domain::Configuration),
            &team.into(),
            "teamIdentifierType",
        )
        .path("members")
        .json(&AddMember {
            user: MemberUser::from(&user),
            role: &role,
        })
        .idempotent(true);
        if let Err(e) = crate::ids::validate("member", user.as_str()) {
            req = req.invalid(e.to_string());
        }
        match self.client.send(req).await {
            Ok(resp) => write_result(&resp),
            Err(Error::Api(e)) if e.status.as_u16() == 422 => Err(Error::MemberRejected(e)),
            Err(e) => Err(e),
        }
    }

    /// Removes a member (`DELETE /v2/teams/{team}/members/{user}` with
    /// `teamIdentifierType` and `memberIdentifierType` = `id` | `username`).
    ///
    /// Spec note: the official OpenAPI file lists only `teamIdentifierType`
    /// here; the API documentation and the live API also take
    /// `memberIdentifierType`, which this call always sends so a username is
    /// never mistaken for an id.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.teams().remove_member(opsgenie_users::TeamRef::name("sre"), "jane@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove_member(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
    ) -> Result<WriteResult> {
        let user = user.into();
        let member_type = match user {
            UserRef::Id(_) => "id",
            UserRef::Username(_) => "username",
        };
        let req = team_path(
            ApiRequest::delete(Domain::Configuration),
            &team.into(),
            "teamIdentifierType",
        )
        .path("members");
        let req = user_segment(req, &user).query("memberIdentifierType", member_type);
        write_result(&self.client.send(req).await?)
    }

    /// Changes a member's team role. There is no endpoint for it; this
    /// helper does it in the safe order:
    ///
    /// 1. reads the team (a user who is not a member is refused with
    ///    [`Error::InvalidInput`]; the same role returns
    ///    [`RoleChangeMethod::Unchanged`] without writing);
    /// 2. adds the member again with the new role, then reads back: if the
    ///    role took, done ([`RoleChangeMethod::InPlace`]), the user was never
    ///    out of the team;
    /// 3. otherwise removes and adds with the new role
    ///    ([`RoleChangeMethod::Readded`]). If that add fails, it re-adds the
    ///    previous role and returns [`Error::PartiallyApplied`] listing exactly
    ///    which steps took effect (including whether the restore worked).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::TeamRole;
    /// let change = client
    ///     .teams()
    ///     .change_member_role(opsgenie_users::TeamRef::name("sre"), "jane@example.com", TeamRole::Admin)
    ///     .await?;
    /// println!("{} -> {} ({:?})", change.from, change.to, change.method);
    /// # Ok(()) }
    /// ```
    pub async fn change_member_role(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
        role: TeamRole,
    ) -> Result<RoleChange> {
        let team = team.into();
        let user = user.into();
        let current = self.get(team.clone()).await?;
        let member = current
            .member(&user)
            .cloned()
            .ok_or_else(|| Error::InvalidInput(format!("{user} is not a member of team {team}")))?;
        let from = member.role.clone();
        let done = |method| RoleChange {
            team: current.id.clone(),
            user: member.user.clone(),
            from: from.clone(),
            to: role.clone(),
            method,
        };
        if from == role {
            return Ok(done(RoleChangeMethod::Unchanged));
        }
        let team_id = TeamRef::from(&current.id);
        let who = member.user.to_ref().unwrap_or_else(|| user.clone());
        // 1. Add with the new role, keeping the membership throughout.
        match self
            .add_member(team_id.clone(), who.clone(), role.clone())
            .await
        {
            Ok(_) => {
                let after = self.get(team_id.clone()).await?;
                if after.member(&who).is_some_and(|m| m.role == role) {
                    return Ok(done(RoleChangeMethod::InPlace));
                }
            }
            Err(e) if !refused_by_server(&e) => return Err(e),
            Err(_) => {}
        }
        // 2. Remove, then add with the new role.
        let op = format!(
            "change team role of {who} in team {} from {from} to {role}",
            current.name
        );
        let remove_step = format!("remove {who} from team {}", current.name);
        let add_step = format!("add {who} to team {} as {role}", current.name);
        match self.remove_member(team_id.clone(), who.clone()).await {
            Ok(_) => {}
            Err(e) if is_gone(&e) => {}
            Err(e) => return Err(e),
        }
        match self
            .add_member(team_id.clone(), who.clone(), role.clone())
            .await
        {
            Ok(_) => Ok(done(RoleChangeMethod::Readded)),
            Err(cause) => {
                let restore_step = format!("restore {who} in team {} as {from}", current.name);
                let restored = self.add_member(team_id, who.clone(), from.clone()).await;
                let (applied, not_applied) = if restored.is_ok() {
                    (vec![remove_step, restore_step], vec![add_step])
                } else {
                    (vec![remove_step], vec![add_step, restore_step])
                };
                Err(Error::PartiallyApplied {
                    operation: op,
                    applied,
                    not_applied,
                    cause: Box::new(cause),
                })
            }
        }
    }

    /// Reads the team and compares its members with `desired`, as sets keyed
    /// by user id: usernames are resolved to ids (from the team's own member
    /// list, else with `GET /v2/users/{username}`), so order and the way a
    /// user is named do not matter. See [`diff_members`] for the pure version.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{DesiredMember, TeamRole};
    /// use opsgenie_users::TeamRef;
    /// let desired = [
    ///     DesiredMember::new("jane@example.com", TeamRole::Admin),
    ///     DesiredMember::new("joe@example.com", TeamRole::User),
    /// ];
    /// let diff = client.teams().diff_members(TeamRef::name("sre"), &desired).await?;
    /// println!("{} to add, {} to remove", diff.add.len(), diff.remove.len());
    /// # Ok(()) }
    /// ```
    pub async fn diff_members(
        &self,
        team: impl Into<TeamRef>,
        desired: &[DesiredMember],
    ) -> Result<MemberDiff> {
        let team = self.get(team).await?;
        let mut resolved = Vec::with_capacity(desired.len());
        for d in desired {
            let user = match &d.user {
                UserRef::Username(_) if team.member(&d.user).is_none() => {
                    UserRef::Id(crate::api::resolve_user_id(self.client, &d.user).await?)
                }
                other => other.clone(),
            };
            resolved.push(DesiredMember::new(user, d.role.clone()));
        }
        diff_members(&resolved, &team.members)
    }

    /// Applies a [`MemberDiff`]: adds, then role changes (with
    /// [`change_member_role`](Self::change_member_role)), then, only when
    /// [`ApplyMembers::remove_unlisted`] is set, removals. Additive by default.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client, diff: opsgenie_users::models::team::MemberDiff) -> opsgenie_users::Result<()> {
    /// let report = client
    ///     .teams()
    ///     .apply_members(opsgenie_users::TeamRef::name("sre"), &diff)
    ///     .remove_unlisted(true)
    ///     .send()
    ///     .await?;
    /// println!("added {}, removed {}", report.added.len(), report.removed.len());
    /// # Ok(()) }
    /// ```
    pub fn apply_members(&self, team: impl Into<TeamRef>, diff: &MemberDiff) -> ApplyMembers<'c> {
        ApplyMembers {
            handler: *self,
            team: team.into(),
            diff: diff.clone(),
            remove_unlisted: false,
        }
    }

    /// The team's custom team roles.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let roles = client.teams().roles(opsgenie_users::TeamRef::name("sre")).list().await?;
    /// # Ok(()) }
    /// ```
    pub fn roles(&self, team: impl Into<TeamRef>) -> TeamRolesHandler<'c> {
        TeamRolesHandler {
            client: self.client,
            team: team.into(),
        }
    }

    async fn resolve_id(&self, team: TeamRef) -> Result<TeamRef> {
        match team {
            NameOrId::Id(_) => Ok(team),
            NameOrId::Name(_) => Ok(TeamRef::from(&self.get(team).await?.id)),
        }
    }
}

/// True when the server answered with a refusal that another approach may
/// avoid (4xx other than auth and throttling).
fn refused_by_server(e: &Error) -> bool {
    match e {
        Error::MemberRejected(_) => true,
        Error::Api(a) => a.status.is_client_error(),
        _ => false,
    }
}

/// How [`TeamsHandler::change_member_role`] changed the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum RoleChangeMethod {
    /// The member already had the role: nothing was written.
    Unchanged,
    /// Adding with the new role updated it; the user stayed a member.
    InPlace,
    /// Removed and added again with the new role.
    Readded,
}

/// The result of [`TeamsHandler::change_member_role`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoleChange {
    /// The team's id.
    pub team: TeamId,
    /// The member.
    pub user: MemberUser,
    /// The previous role.
    pub from: TeamRole,
    /// The new role.
    pub to: TeamRole,
    /// How it was done.
    pub method: RoleChangeMethod,
}

/// Builder returned by [`TeamsHandler::apply_members`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct ApplyMembers<'c> {
    handler: TeamsHandler<'c>,
    team: TeamRef,
    diff: MemberDiff,
    remove_unlisted: bool,
}

/// What [`ApplyMembers::send`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Members added.
    pub added: Vec<TeamMember>,
    /// Role changes made.
    pub role_changed: Vec<MemberRoleChange>,
    /// Members removed.
    pub removed: Vec<TeamMember>,
    /// Unlisted members left in place (removal not requested).
    pub kept_unlisted: Vec<TeamMember>,
}

impl ApplyMembers<'_> {
    /// Also remove members the desired set does not list (default: keep them).
    pub fn remove_unlisted(mut self, yes: bool) -> Self {
        self.remove_unlisted = yes;
        self
    }

    /// Applies the diff. A failure stops at once with
    /// [`Error::PartiallyApplied`] naming every step done and not done.
    pub async fn send(self) -> Result<ApplyReport> {
        let h = self.handler;
        let team = &self.team;
        let who = |u: &MemberUser| {
            u.to_ref()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "?".into())
        };
        let mut steps: Vec<String> = Vec::new();
        for m in &self.diff.add {
            steps.push(format!("add {} as {}", who(&m.user), m.role));
        }
        for c in &self.diff.change_role {
            steps.push(format!(
                "change {} from {} to {}",
                who(&c.user),
                c.from,
                c.to
            ));
        }
        if self.remove_unlisted {
            for m in &self.diff.remove {
                steps.push(format!("remove {}", who(&m.user)));
            }
        }
        let mut report = ApplyReport::default();
        let mut done = 0usize;
        let fail = |done: usize, cause: Error| Error::PartiallyApplied {
            operation: format!("apply member changes to team {team}"),
            applied: steps[..done].to_vec(),
            not_applied: steps[done..].to_vec(),
            cause: Box::new(cause),
        };
        for m in &self.diff.add {
            let Some(user) = m.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            h.add_member(team.clone(), user, m.role.clone())
                .await
                .map_err(|e| fail(done, e))?;
            report.added.push(m.clone());
            done += 1;
        }
        for c in &self.diff.change_role {
            let Some(user) = c.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            h.change_member_role(team.clone(), user, c.to.clone())
                .await
                .map_err(|e| fail(done, e))?;
            report.role_changed.push(c.clone());
            done += 1;
        }
        for m in &self.diff.remove {
            if !self.remove_unlisted {
                report.kept_unlisted.push(m.clone());
                continue;
            }
            let Some(user) = m.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            match h.remove_member(team.clone(), user).await {
                Ok(_) => {}
                Err(e) if is_gone(&e) => {}
                Err(e) => return Err(fail(done, e)),
            }
            report.removed.push(m.clone());
            done += 1;
        }
        Ok(report)
    }
}

/// Custom team role calls (`/v2/teams/{team}/roles`). Get one with
/// [`TeamsHandler::roles`]. The team goes with `teamIdentifierType`, the role
/// with `identifierType`; role names are case-sensitive and sent verbatim.
#[derive(Debug, Clone)]
pub struct TeamRolesHandler<'c> {
    client: &'c Client,
    team: TeamRef,
}

impl TeamRolesHandler<'_> {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        team_path(req, &self.team, "teamIdentifierType").path("roles")
    }

    fn one(&self, req: ApiRequest, role: &RoleRef) -> ApiRequest {
        named_segment(self.base(req), "team role", "identifierType", role)
    }

    /// Creates a custom team role (name and rights required; rights are open
    /// strings, never checked against a list).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{TeamRight, TeamRoleWrite};
    /// client
    ///     .teams()
    ///     .roles(opsgenie_users::TeamRef::name("sre"))
    ///     .create(TeamRoleWrite::new("Lead").right(TeamRight::granted("manage-members")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, role: TeamRoleWrite) -> Result<WriteResult> {
        let mut req = self
            .base(ApiRequest::post(Domain::Configuration))
            .json(&role);
        if !role.is_complete() {
            req =
                req.invalid("a team role needs a name and a rights list (use TeamRoleWrite::new)");
        }
        write_result(&self.client.send(req).await?)
    }

    /// Gets a custom team role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::{RoleRef, TeamRef};
    /// let role = client.teams().roles(TeamRef::name("sre")).get(RoleRef::name("Lead")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, role: RoleRef) -> Result<TeamRoleDef> {
        let req = self.one(ApiRequest::get(Domain::Configuration), &role);
        self.client.send(req).await?.data()
    }

    /// Lists the team's custom roles.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for r in client.teams().roles(opsgenie_users::TeamRef::name("sre")).list().await? {
    ///     println!("{} {:?}", r.name, r.rights);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<TeamRoleDef>> {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        self.client.send(req).await?.data()
    }

    /// Updates a custom team role (PATCH; only the fields set are sent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::{TeamRight, TeamRoleWrite};
    /// use opsgenie_users::{RoleRef, TeamRef};
    /// client
    ///     .teams()
    ///     .roles(TeamRef::name("sre"))
    ///     .update(RoleRef::name("Lead"), TeamRoleWrite::update().right(TeamRight::denied("delete-team")))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, role: RoleRef, update: TeamRoleWrite) -> Result<WriteResult> {
        let req = self
            .one(ApiRequest::patch(Domain::Configuration), &role)
            .json(&update)
            .idempotent(true);
        write_result(&self.client.send(req).await?)
    }

    /// Deletes a custom team role.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::{RoleRef, TeamRef};
    /// client.teams().roles(TeamRef::name("sre")).delete(RoleRef::name("Lead")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, role: RoleRef) -> Result<WriteResult> {
        let req = self.one(ApiRequest::delete(Domain::Configuration), &role);
        write_result(&self.client.send(req).await?)
    }
}
