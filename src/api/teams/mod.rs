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
//! let created = client.teams().create(TeamCreate::new("sre").description("Site reliability")).await?;
//! client.teams().add_member("sre", "jane@example.com", TeamRole::Admin).await?; // a string is a name
//! let team = client.teams().get(&created.id).await?; // a TeamId is a TeamRef
//! println!("{} has {} members", team.name, team.members.len());
//! # Ok(()) }
//! ```

use serde::Serialize;

mod apply;
mod roles;

pub use apply::{ApplyMembers, ApplyReport, MembershipStep};
pub use roles::{
    CreateTeamRole, DeleteTeamRole, GetTeamRole, ListTeamRoles, TeamRolesHandler, UpdateTeamRole,
};

use crate::api::{
    call, found, is_gone, named_segment, send_create, send_data, send_write, user_segment,
    write::finish, write_result,
};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{TeamId, TeamRef, UserRef};
use crate::models::common::{Created, WriteResult};
use crate::models::team::{
    diff_members, DesiredMember, MemberDiff, MemberUser, Team, TeamCreate, TeamMember, TeamRole,
    TeamUpdate,
};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// Teams, their members and custom team roles.
    pub fn teams(&self) -> TeamsHandler {
        TeamsHandler {
            client: self.clone(),
        }
    }
}

/// Team calls. Get one with [`Client::teams`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct TeamsHandler {
    client: Client,
}

fn team_path(req: ApiRequest, team: &TeamRef, type_param: &str) -> ApiRequest {
    named_segment(req.path("v2/teams"), type_param, team)
}

call!(
    /// [`TeamsHandler::create`]: await it for the new team's id.
    CreateTeam -> Created<TeamId>
);
call!(
    /// [`TeamsHandler::get`].
    GetTeam -> Team
);
call!(
    /// [`TeamsHandler::list`].
    ListTeams -> Vec<Team>
);
call!(
    /// [`TeamsHandler::update`].
    UpdateTeam -> WriteResult
);
call!(
    /// [`TeamsHandler::delete`].
    DeleteTeam -> WriteResult
);
call!(
    /// [`TeamsHandler::members`].
    ListMembers -> Vec<TeamMember>
);
call!(
    /// [`TeamsHandler::add_member`].
    AddMember -> WriteResult
);
call!(
    /// [`TeamsHandler::remove_member`].
    RemoveMember -> WriteResult
);
call!(
    /// [`TeamsHandler::change_member_role`].
    ChangeMemberRole -> RoleChange
);
call!(
    /// [`TeamsHandler::diff_members`].
    DiffMembers -> MemberDiff
);
/// The body of Add Team Member.
#[derive(Serialize)]
struct AddMemberBody<'a> {
    user: MemberUser,
    role: &'a TeamRole,
}

impl TeamsHandler {
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
    /// println!("team id {}", created.id);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, team: TeamCreate) -> CreateTeam {
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/teams")
            .json(&team);
        if let Err(e) = crate::ids::validate("team name", team.name()) {
            req = req.invalid(e.to_string());
        }
        let name = team.name().to_string();
        let (h, client) = (self.clone(), self.client.clone());
        CreateTeam::new(async move {
            let lookup = || async { found(h.get(TeamRef::name(name.clone())).await.map(|t| t.id)) };
            send_create(&client, &mut req, format!("create team {name}"), lookup).await
        })
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
    pub fn get(&self, team: impl Into<TeamRef>) -> GetTeam {
        let req = team_path(
            ApiRequest::get(Domain::Configuration),
            &team.into(),
            "identifierType",
        );
        GetTeam::new(send_data(self.client.clone(), req))
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
    pub fn list(&self) -> ListTeams {
        let req = ApiRequest::get(Domain::Configuration).path("v2/teams");
        ListTeams::new(send_data(self.client.clone(), req))
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
    /// client.teams().update("sre", TeamUpdate::new().description("SRE")).await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, team: impl Into<TeamRef>, update: TeamUpdate) -> UpdateTeam {
        let (h, team) = (self.clone(), team.into());
        UpdateTeam::new(async move {
            let id = h.resolve_id(team).await?;
            let req = team_path(
                ApiRequest::patch(Domain::Configuration),
                &id,
                "identifierType",
            )
            .json(&update)
            .idempotent(true);
            write_result(&h.client.send(req).await?)
        })
    }

    /// Deletes a team (`DELETE /v2/teams/{team}?identifierType=`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.teams().delete("old-team").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, team: impl Into<TeamRef>) -> DeleteTeam {
        let req = team_path(
            ApiRequest::delete(Domain::Configuration),
            &team.into(),
            "identifierType",
        );
        DeleteTeam::new(send_write(self.client.clone(), req))
    }

    /// The team's members (from Get Team; there is no separate list call).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let members = client.teams().members("sre").await?;
    /// # Ok(()) }
    /// ```
    pub fn members(&self, team: impl Into<TeamRef>) -> ListMembers {
        let get = self.get(team);
        ListMembers::new(async move { Ok(get.await?.members) })
    }

    /// Adds a member (`POST /v2/teams/{team}/members?teamIdentifierType=`,
    /// body `{"user": {"id"|"username": ...}, "role": ...}`).
    ///
    /// When the answer is lost (5xx, timeout, broken connection) the team is
    /// read: the user among its members means the add was applied (the
    /// result is then empty: no answer was read); otherwise the add is sent
    /// again, as an attempt under the retry policy. A failing lookup leaves
    /// [`Error::AmbiguousOutcome`].
    ///
    /// A 422 becomes [`Error::MemberRejected`] with the server's message:
    /// Opsgenie refuses Stakeholders as team members this way.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::team::TeamRole;
    /// use opsgenie_users::Error;
    /// match client.teams().add_member("sre", "jane@example.com", TeamRole::User).await {
    ///     Ok(_) => {}
    ///     Err(Error::MemberRejected(e)) => eprintln!("refused: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn add_member(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
        role: TeamRole,
    ) -> AddMember {
        let (user, team) = (user.into(), team.into());
        let mut req = team_path(
            ApiRequest::post(Domain::Configuration),
            &team,
            "teamIdentifierType",
        )
        .path("members")
        .json(&AddMemberBody {
            user: MemberUser::from(&user),
            role: &role,
        });
        if let Err(e) = crate::ids::validate("member", user.as_str()) {
            req = req.invalid(e.to_string());
        }
        let h = self.clone();
        AddMember::new(async move {
            let what = format!("add {user} to team {team}");
            let lookup = || async {
                let team = found(h.get(team.clone()).await)?;
                Ok(team.and_then(|t| t.member(&user).map(|_| ())))
            };
            match finish(&h.client, &mut req, &what, |_| true, lookup).await {
                Ok(done) => Ok(done.answer.map(|(w, _)| w).unwrap_or_default()),
                Err(Error::Api(e)) if e.status.as_u16() == 422 => Err(Error::MemberRejected(e)),
                Err(e) => Err(e),
            }
        })
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
    /// client.teams().remove_member("sre", "jane@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub fn remove_member(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
    ) -> RemoveMember {
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
        RemoveMember::new(send_write(self.client.clone(), req))
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
    ///     .change_member_role("sre", "jane@example.com", TeamRole::Admin)
    ///     .await?;
    /// println!("{} -> {} ({:?})", change.from, change.to, change.method);
    /// # Ok(()) }
    /// ```
    pub fn change_member_role(
        &self,
        team: impl Into<TeamRef>,
        user: impl Into<UserRef>,
        role: TeamRole,
    ) -> ChangeMemberRole {
        let h = self.clone();
        let (team, user) = (team.into(), user.into());
        ChangeMemberRole::new(async move { h.change_member_role_now(team, user, role).await })
    }

    async fn change_member_role_now(
        &self,
        team: TeamRef,
        user: UserRef,
        role: TeamRole,
    ) -> Result<RoleChange> {
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
        let member_user = MemberUser::from(&who);
        let remove_step = MembershipStep::Remove {
            user: member_user.clone(),
            team: Some(current.name.clone()),
        };
        let add_step = MembershipStep::Add {
            user: member_user.clone(),
            role: role.clone(),
            team: Some(current.name.clone()),
        };
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
                let restore_step = MembershipStep::Restore {
                    user: member_user,
                    role: from.clone(),
                    team: current.name.clone(),
                };
                let restored = self.add_member(team_id, who.clone(), from.clone()).await;
                let (applied, not_applied) = if restored.is_ok() {
                    (
                        vec![remove_step.into(), restore_step.into()],
                        vec![add_step.into()],
                    )
                } else {
                    (
                        vec![remove_step.into()],
                        vec![add_step.into(), restore_step.into()],
                    )
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
    /// let desired = [
    ///     DesiredMember::new("jane@example.com", TeamRole::Admin),
    ///     DesiredMember::new("joe@example.com", TeamRole::User),
    /// ];
    /// let diff = client.teams().diff_members("sre", &desired).await?;
    /// println!("{} to add, {} to remove", diff.add.len(), diff.remove.len());
    /// # Ok(()) }
    /// ```
    pub fn diff_members(&self, team: impl Into<TeamRef>, desired: &[DesiredMember]) -> DiffMembers {
        let get = self.get(team);
        let client = self.client.clone();
        let desired = desired.to_vec();
        DiffMembers::new(async move {
            let team = get.await?;
            let mut resolved = Vec::with_capacity(desired.len());
            for d in desired {
                let user = match &d.user {
                    UserRef::Username(_) if team.member(&d.user).is_none() => {
                        UserRef::Id(crate::api::resolve_user_id(&client, &d.user).await?)
                    }
                    other => other.clone(),
                };
                resolved.push(DesiredMember::new(user, d.role));
            }
            diff_members(&resolved, &team.members)
        })
    }

    /// Applies a [`MemberDiff`]: adds, then role changes (with
    /// [`change_member_role`](Self::change_member_role)), then, only when
    /// [`ApplyMembers::remove_unlisted`] is set, removals. Additive by default.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client, diff: opsgenie_users::models::team::MemberDiff) -> opsgenie_users::Result<()> {
    /// let report = client
    ///     .teams()
    ///     .apply_members("sre", &diff)
    ///     .remove_unlisted(true)
    ///     .await?;
    /// println!("added {}, removed {}", report.added.len(), report.removed.len());
    /// # Ok(()) }
    /// ```
    pub fn apply_members(&self, team: impl Into<TeamRef>, diff: &MemberDiff) -> ApplyMembers {
        ApplyMembers {
            handler: self.clone(),
            team: team.into(),
            diff: diff.clone(),
            remove_unlisted: false,
        }
    }

    /// The team's custom team roles.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let roles = client.teams().roles("sre").list().await?;
    /// # Ok(()) }
    /// ```
    pub fn roles(&self, team: impl Into<TeamRef>) -> TeamRolesHandler {
        TeamRolesHandler {
            client: self.client.clone(),
            team: team.into(),
        }
    }

    async fn resolve_id(&self, team: TeamRef) -> Result<TeamRef> {
        match team {
            TeamRef::Id(_) => Ok(team),
            TeamRef::Name(_) => Ok(TeamRef::from(&self.get(team).await?.id)),
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
