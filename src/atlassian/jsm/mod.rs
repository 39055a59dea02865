//! The Jira Service Management Operations REST API
//! (`https://api.atlassian.com/jsm/ops/api/{cloudId}/v1/...`): teams with
//! Operations, team roles, custom user roles and their assignment,
//! schedules and rotations, escalations, forwarding rules.
//!
//! Vendor reference: <https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/intro/>
//! (groups "Team", "Team roles", "Custom user roles", "Schedules",
//! "Schedule rotations", "Escalations", "Forwarding rules"). Basic auth
//! (account e-mail and API token) or OAuth 2.0; Atlassian service accounts
//! cannot call it (JSDCLOUD-17685). Rate limits are not documented: the
//! client's adaptive scheduler starts with unknown limits in its own
//! [`Domain::JsmOps`](crate::Domain::JsmOps) buckets and learns from 429s.
//!
//! Lists take `offset` and `size` and answer `{values, links: {next}}`; the
//! `next` URL is never followed, only its `offset` is read (see
//! [`paging`](super::paging)).
//!
//! | call | endpoint | status |
//! |---|---|---|
//! | [`OpsTeamsHandler::list`] | `GET /v1/teams` | path confirmed (API groups); item fields `teamId`/`teamName` inferred (`id`/`name` accepted too) |
//! | [`OpsTeamsHandler::enable_ops`] | `POST /v1/teams/{teamId}/enable-ops` `{platformTeamId, adminAccountIds, inviteUsernames}` | body from the official Terraform provider |
//! | [`TeamRolesHandler`] | `/v1/teams/{teamId}/roles[/{id}]` (GET, POST, PATCH, DELETE), `{id, name, rights: [{right, granted}]}` | shape from the official Terraform provider |
//! | [`CustomRolesHandler`] | `GET /v1/roles[/{id}]`, `POST /v1/roles/assign` `{roleIdentifier, users}` | paths and the role's fields `{id, name, extendedRole, grantedRights, disallowedRights}` confirmed (api-group-custom-user-roles); assign body from public clients (`users` taken to be account ids: unconfirmed) |
//! | [`CustomRolesHandler::create`], [`update`](CustomRolesHandler::update), [`delete`](CustomRolesHandler::delete) | `POST /v1/roles`, `PUT` and `DELETE /v1/roles/{id}?identifierType=id` | see [`roles`] |
//! | [`schedules`] | `/v1/schedules[/{id}]`, `/v1/schedules/{id}/rotations[/{id}]` (PATCH), participants `{type, id}` | paths confirmed; participant shape from public clients |
//! | [`schedules::OpsEscalationsHandler`] | `/v1/teams/{teamId}/escalations[/{id}]` (PATCH) | as above; rules are written back with every field they were read with. A rule's `delay` shape is **not confirmed**: the vendor page (<https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/api-group-escalations/>) was found (2026-11-30) but its rule fields could not be read; it is read as Opsgenie's `{timeAmount, timeUnit}` or as integer minutes, and the simulator stores Opsgenie's shape |
//! | [`schedules::OpsForwardingRulesHandler`] | `/v1/forwarding-rules[/{id}]` (GET, PUT, DELETE), `{id, fromUserId, toUserId, startDate, endDate}` | paths and the rule's fields confirmed (api-group-forwarding-rules); the update (`PUT`) body is taken to be the create body (`{fromUserId, toUserId, startDate, endDate}`, all required there): the update's own field list could not be read (searched again 2026-11-30: the page's list and create sections were read, the update's was not) |
//!
//! No call assigns a team role to a member or changes a team's admins
//! (Atlassian's JSDCLOUD-17225; the Terraform provider cannot either):
//! admins are named once by [`enable_ops`](OpsTeamsHandler::enable_ops).

pub mod roles;
pub mod schedules;

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::future::BoxFuture;
use http::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::client::{Conn, JsmOpsClient};
use super::ids::{AccountId, OpsRoleId, OpsTeamRoleId, PlatformTeamId};
use super::paging::{offset_of, stream_items, CursorPage, Fetch, ItemStream};
use crate::api::call;
use crate::error::Result;
use crate::ids::PathSegment;
use crate::request::ApiRequest;

/// A team with Operations enabled, as `GET /v1/teams` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpsTeam {
    /// The platform team id.
    #[serde(alias = "id")]
    pub team_id: PlatformTeamId,
    /// The name.
    #[serde(default, alias = "name")]
    pub team_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Body of [`OpsTeamsHandler::enable_ops`]: who administers the team's
/// Operations (the only time the API names team admins) and whom to invite.
///
/// ```
/// use opsgenie_users::atlassian::EnableOps;
/// let body = EnableOps::new(["712020:admin"]).invite("new@example.com");
/// let v = serde_json::to_value(&body).unwrap();
/// assert_eq!(v["adminAccountIds"][0], "712020:admin");
/// assert_eq!(v["inviteUsernames"][0], "new@example.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnableOps {
    /// Set from the path when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_team_id: Option<PlatformTeamId>,
    /// The team's Operations admins.
    pub admin_account_ids: Vec<AccountId>,
    /// E-mail addresses to invite.
    pub invite_usernames: Vec<String>,
}

impl EnableOps {
    /// With these admins.
    pub fn new<A: Into<AccountId>>(admins: impl IntoIterator<Item = A>) -> Self {
        EnableOps {
            platform_team_id: None,
            admin_account_ids: admins.into_iter().map(Into::into).collect(),
            invite_usernames: Vec::new(),
        }
    }

    /// Also invites `email`.
    pub fn invite(mut self, email: impl Into<String>) -> Self {
        self.invite_usernames.push(email.into());
        self
    }
}

/// One right of a team role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TeamRoleRight {
    /// The right, e.g. `manage-members`.
    pub right: String,
    /// Granted or not.
    pub granted: bool,
}

impl TeamRoleRight {
    /// `right`, granted or not.
    pub fn new(right: impl Into<String>, granted: bool) -> Self {
        TeamRoleRight {
            right: right.into(),
            granted,
        }
    }
}

/// A custom team role. It defines rights; no API assigns it to a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpsTeamRole {
    /// Its id.
    pub id: OpsTeamRoleId,
    /// Its name.
    pub name: String,
    /// Its rights.
    #[serde(default)]
    pub rights: Vec<TeamRoleRight>,
}

#[derive(Serialize)]
struct NewTeamRole<'a> {
    name: &'a str,
    rights: &'a [TeamRoleRight],
}

/// A custom user role, as `GET /v1/roles/{id}` answers it (fields
/// confirmed on the vendor page); fields this crate does not know are kept
/// in `other` and written back by [`CustomRolesHandler::update`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpsCustomRole {
    /// Its id.
    pub id: OpsRoleId,
    /// Its name.
    pub name: String,
    /// The built-in role it extends (`user`, `observer`, `stakeholder`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_role: Option<String>,
    /// Rights granted beyond the extended role.
    #[serde(default)]
    pub granted_rights: Vec<String>,
    /// Rights taken away from the extended role.
    #[serde(default)]
    pub disallowed_rights: Vec<String>,
    /// Every other field.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignRole<'a> {
    role_identifier: &'a str,
    users: &'a [AccountId],
}

#[derive(Deserialize)]
struct ValuesPage<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    #[serde(default)]
    links: Option<NextLink>,
}

#[derive(Deserialize)]
struct NextLink {
    #[serde(default)]
    next: Option<String>,
}

/// An offset-paged list call of JSM Operations: set `size`/`offset`, await
/// it for one [`CursorPage`] (its `next` is the next offset), or
/// [`stream`](Self::stream) every item.
#[must_use = "a call does nothing until awaited or streamed"]
pub struct OpsList<T> {
    conn: Arc<Conn>,
    base: ApiRequest,
    size: Option<u32>,
    offset: Option<u32>,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for OpsList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsList")
            .field("path", &self.base.path_str())
            .field("size", &self.size)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<T: DeserializeOwned + Send + 'static> OpsList<T> {
    pub(crate) fn new(conn: Arc<Conn>, base: ApiRequest) -> Self {
        OpsList {
            conn,
            base,
            size: None,
            offset: None,
            _item: PhantomData,
        }
    }

    /// Items per page.
    pub fn size(mut self, n: u32) -> Self {
        self.size = Some(n.max(1));
        self
    }

    /// Start at this offset.
    pub fn offset(mut self, n: u32) -> Self {
        self.offset = Some(n);
        self
    }

    fn fetcher(conn: Arc<Conn>, base: ApiRequest, size: Option<u32>) -> Fetch<T> {
        Box::new(move |offset| {
            let conn = conn.clone();
            let req = base
                .clone()
                .query_opt("offset", offset)
                .query_opt("size", size);
            Box::pin(async move {
                let page: ValuesPage<T> = conn.send(req).await?.json()?;
                let next = page.links.and_then(|l| l.next).and_then(|n| offset_of(&n));
                Ok(CursorPage::new(page.values, next))
            })
        })
    }

    /// Every item, page after page, fetched lazily.
    pub fn stream(self) -> ItemStream<T> {
        stream_items(
            self.offset.map(|o| o.to_string()),
            Self::fetcher(self.conn, self.base, self.size),
        )
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for OpsList<T> {
    type Output = Result<CursorPage<T>>;
    type IntoFuture = BoxFuture<'static, Result<CursorPage<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        Self::fetcher(self.conn, self.base, self.size)(self.offset.map(|o| o.to_string()))
    }
}

call!(
    /// A JSM write whose answer is not needed.
    OpsWrite -> ()
);
call!(
    /// [`TeamRolesHandler::get`], [`TeamRolesHandler::create`].
    GetOpsTeamRole -> OpsTeamRole
);
call!(
    /// [`CustomRolesHandler::get`].
    GetOpsCustomRole -> OpsCustomRole
);

pub(crate) fn seg(req: ApiRequest, id: &impl PathSegment) -> ApiRequest {
    req.segment(id.kind(), id.as_str())
}

pub(crate) fn get_json<T: DeserializeOwned + Send + 'static>(
    conn: Arc<Conn>,
    req: ApiRequest,
) -> BoxFuture<'static, Result<T>> {
    Box::pin(async move { conn.send(req).await?.json() })
}

pub(crate) fn write(conn: Arc<Conn>, req: ApiRequest, what: String) -> OpsWrite {
    OpsWrite::new(async move { conn.send_write(req, what).await.map(|_| ()) })
}

impl JsmOpsClient {
    /// Teams with Operations.
    pub fn teams(&self) -> OpsTeamsHandler {
        OpsTeamsHandler {
            client: self.clone(),
        }
    }

    /// The custom team roles of one team.
    pub fn team_roles(&self, team: impl Into<PlatformTeamId>) -> TeamRolesHandler {
        TeamRolesHandler {
            client: self.clone(),
            team: team.into(),
        }
    }

    /// Custom user roles.
    pub fn roles(&self) -> CustomRolesHandler {
        CustomRolesHandler {
            client: self.clone(),
        }
    }
}

/// Team calls. Get one with [`JsmOpsClient::teams`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OpsTeamsHandler {
    client: JsmOpsClient,
}

impl OpsTeamsHandler {
    /// Lists the teams that have Operations (`GET /v1/teams`).
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let teams: Vec<_> = jsm.teams().list().stream().try_collect().await?;
    /// # let _ = teams; Ok(()) }
    /// ```
    pub fn list(&self) -> OpsList<OpsTeam> {
        OpsList::new(
            self.client.conn.clone(),
            self.client.request(Method::GET).path("v1/teams"),
        )
    }

    /// Enables Operations for a platform team
    /// (`POST /v1/teams/{teamId}/enable-ops`), naming its Operations admins:
    /// the only call that sets team admins. Not idempotent: a lost answer is
    /// [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome).
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::EnableOps;
    /// jsm.teams()
    ///     .enable_ops("0a1b2c3d-4e5f-6789-abcd-ef0123456789", EnableOps::new(["712020:admin"]))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn enable_ops(&self, team: impl Into<PlatformTeamId>, mut body: EnableOps) -> OpsWrite {
        let team = team.into();
        body.platform_team_id = Some(team.clone());
        let mut req = seg(self.client.request(Method::POST).path("v1/teams"), &team)
            .path("enable-ops")
            .json(&body);
        if body.admin_account_ids.is_empty() {
            req = req.invalid("enable-ops needs at least one admin account id");
        }
        write(
            self.client.conn.clone(),
            req,
            format!("enable Operations for team {team}"),
        )
    }
}

/// Custom team role calls of one team. Get one with
/// [`JsmOpsClient::team_roles`]; cheap to clone. A role defines rights;
/// nothing in the API gives it to a member.
#[derive(Debug, Clone)]
pub struct TeamRolesHandler {
    client: JsmOpsClient,
    team: PlatformTeamId,
}

impl TeamRolesHandler {
    fn base(&self, method: Method) -> ApiRequest {
        seg(self.client.request(method).path("v1/teams"), &self.team).path("roles")
    }

    /// Lists the team's roles (`GET /v1/teams/{teamId}/roles`).
    pub fn list(&self) -> OpsList<OpsTeamRole> {
        OpsList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Gets one role.
    pub fn get(&self, role: impl Into<OpsTeamRoleId>) -> GetOpsTeamRole {
        let req = seg(self.base(Method::GET), &role.into());
        GetOpsTeamRole::new(get_json(self.client.conn.clone(), req))
    }

    /// Creates a role (`POST /v1/teams/{teamId}/roles`) and returns it as
    /// answered. Not idempotent.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::TeamRoleRight;
    /// let role = jsm
    ///     .team_roles("0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    ///     .create("rotation-editor", vec![TeamRoleRight::new("manage-rotations", true)])
    ///     .await?;
    /// # let _ = role; Ok(()) }
    /// ```
    pub fn create(&self, name: &str, rights: Vec<TeamRoleRight>) -> GetOpsTeamRole {
        let req = self.base(Method::POST).json(&NewTeamRole {
            name,
            rights: &rights,
        });
        let what = format!("create team role {name} in team {}", self.team);
        let conn = self.client.conn.clone();
        GetOpsTeamRole::new(async move { conn.send_write(req, what).await?.json() })
    }

    /// Deletes a role.
    pub fn delete(&self, role: impl Into<OpsTeamRoleId>) -> OpsWrite {
        let role = role.into();
        let req = seg(self.base(Method::DELETE), &role);
        write(
            self.client.conn.clone(),
            req,
            format!("delete team role {role}"),
        )
    }
}

/// Custom user role calls. Get one with [`JsmOpsClient::roles`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct CustomRolesHandler {
    client: JsmOpsClient,
}

impl CustomRolesHandler {
    /// Lists the custom user roles (`GET /v1/roles`).
    pub fn list(&self) -> OpsList<OpsCustomRole> {
        OpsList::new(
            self.client.conn.clone(),
            self.client.request(Method::GET).path("v1/roles"),
        )
    }

    /// Gets one role (`GET /v1/roles/{id}`).
    pub fn get(&self, role: impl Into<OpsRoleId>) -> GetOpsCustomRole {
        let req = seg(
            self.client.request(Method::GET).path("v1/roles"),
            &role.into(),
        );
        GetOpsCustomRole::new(get_json(self.client.conn.clone(), req))
    }

    /// Gives a custom role to users (`POST /v1/roles/assign`
    /// `{roleIdentifier, users}`). The target state is absolute (the users
    /// have the role), so the call is marked idempotent.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::AccountId;
    /// jsm.roles().assign("role-1", [AccountId::new("712020:abc")]).await?;
    /// # Ok(()) }
    /// ```
    pub fn assign<A: Into<AccountId>>(
        &self,
        role: impl Into<OpsRoleId>,
        users: impl IntoIterator<Item = A>,
    ) -> OpsWrite {
        let role = role.into();
        let users: Vec<AccountId> = users.into_iter().map(Into::into).collect();
        let mut req = self
            .client
            .request(Method::POST)
            .path("v1/roles/assign")
            .json(&AssignRole {
                role_identifier: role.as_str(),
                users: &users,
            })
            .idempotent(true);
        if users.is_empty() {
            req = req.invalid("roles/assign needs at least one user");
        }
        if let Err(e) = crate::ids::validate("role id", role.as_str()) {
            req = req.invalid(e.to_string());
        }
        write(
            self.client.conn.clone(),
            req,
            format!("assign role {role} to {} users", users.len()),
        )
    }
}
