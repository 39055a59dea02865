//! The Atlassian Teams public API: teams of an organization and their
//! members, on a site (`https://{site}.atlassian.net/gateway/api/public/teams/v1/org/{orgId}/...`).
//!
//! Vendor reference: <https://developer.atlassian.com/platform/teams/rest/v1/api-group-teams-members-public-api/>
//! (members) and <https://developer.atlassian.com/platform/teams/rest/v1/api-group-teams-public-api/>
//! (teams). Authentication: an account e-mail and API token (Basic); Forge
//! and OAuth 2.0 apps cannot call it.
//!
//! | call | endpoint | status |
//! |---|---|---|
//! | [`TeamsClient::list`] | `GET .../teams` (`size` up to 300, `cursor`) answering `{entities, cursor}` | query parameters confirmed (vendor Postman collection); answer fields from public clients |
//! | [`TeamsClient::get`] | `GET .../teams/{teamId}` | confirmed |
//! | [`TeamMembersHandler::list`] | `POST .../teams/{teamId}/members` `{first, after}` answering `{results: [{accountId}], pageInfo: {endCursor, hasNextPage}}` | request confirmed; answer fields from the official Terraform provider and public clients |
//! | [`TeamMembersHandler::add`] / [`remove`](TeamMembersHandler::remove) | `POST .../members/add` / `/remove` `{members: [{accountId}]}` (1 to 50) | confirmed; a partial success lists refusals in `errors` |
//!
//! # Team roles and team admins
//!
//! Nothing here (nor in the JSM Operations API) sets a member's role in a
//! team or makes someone a team admin: members are plain account ids. A
//! team's Operations admins are named once, when Operations is enabled
//! ([`OpsTeamsHandler::enable_ops`](super::jsm::OpsTeamsHandler::enable_ops));
//! later changes are made in the product (Atlassian's JSDCLOUD-17225).

use std::future::IntoFuture;
use std::sync::Arc;

use futures::future::BoxFuture;
use http::Method;
use serde::{Deserialize, Serialize};

use super::client::{Conn, TeamsClient};
use super::ids::{AccountId, PlatformTeamId};
use super::paging::{stream_items, CursorPage, Fetch, ItemStream};
use crate::api::call;
use crate::error::Result;
use crate::ids::PathSegment;
use crate::request::ApiRequest;

/// The most members one add or remove call takes.
pub const MAX_MEMBERS_PER_CALL: usize = 50;

/// An Atlassian (platform) team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlatformTeam {
    /// The team id (a UUID; the same id in JSM Operations).
    pub team_id: PlatformTeamId,
    /// The name.
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The organization.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// `OPEN`, `MEMBER_INVITE` or `EXTERNAL` (synced from an identity provider).
    #[serde(default)]
    pub team_type: Option<String>,
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TeamMember {
    /// The member's account id.
    pub account_id: AccountId,
}

impl From<AccountId> for TeamMember {
    fn from(account_id: AccountId) -> Self {
        TeamMember { account_id }
    }
}

/// A member the server refused to add or remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MembershipError {
    /// Whom it concerns.
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// A machine-readable code.
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// The answer to [`TeamMembersHandler::add`] or [`remove`](TeamMembersHandler::remove):
/// a success may be partial.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MembershipChange {
    /// Members added (empty for a removal).
    #[serde(default)]
    pub members: Vec<TeamMember>,
    /// Members refused.
    #[serde(default)]
    pub errors: Vec<MembershipError>,
}

impl MembershipChange {
    /// True when nobody was refused.
    pub fn is_complete(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Deserialize)]
struct TeamsPage {
    #[serde(default)]
    entities: Vec<PlatformTeam>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MembersPage {
    #[serde(default)]
    results: Vec<TeamMember>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    #[serde(default)]
    end_cursor: Option<String>,
    #[serde(default)]
    has_next_page: bool,
}

#[derive(Serialize)]
struct MembersFetch<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<&'a str>,
}

#[derive(Serialize)]
struct MembersBody<'a> {
    members: &'a [TeamMember],
}

call!(
    /// [`TeamsClient::get`].
    GetPlatformTeam -> PlatformTeam
);
call!(
    /// [`TeamMembersHandler::add`] and [`TeamMembersHandler::remove`].
    ChangeMembers -> MembershipChange
);

/// A cursor-paged list call of the Teams API: await it for one
/// [`CursorPage`], or [`stream`](Self::stream) every item.
#[must_use = "a call does nothing until awaited or streamed"]
pub struct TeamsList<T> {
    fetch: Fetch<T>,
    cursor: Option<String>,
}

impl<T> std::fmt::Debug for TeamsList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamsList")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

/// [`TeamsClient::list`].
pub type ListPlatformTeams = TeamsList<PlatformTeam>;
/// [`TeamMembersHandler::list`].
pub type ListTeamMembers = TeamsList<TeamMember>;

impl<T: Send + 'static> TeamsList<T> {
    /// Start at this cursor.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// Every item, page after page, fetched lazily.
    pub fn stream(self) -> ItemStream<T> {
        stream_items(self.cursor, self.fetch)
    }
}

impl<T: Send + 'static> IntoFuture for TeamsList<T> {
    type Output = Result<CursorPage<T>>;
    type IntoFuture = BoxFuture<'static, Result<CursorPage<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        (self.fetch)(self.cursor)
    }
}

fn seg(req: ApiRequest, id: &impl PathSegment) -> ApiRequest {
    req.segment(id.kind(), id.as_str())
}

impl TeamsClient {
    fn teams_path(&self, method: Method) -> ApiRequest {
        seg(
            self.request(method).path("gateway/api/public/teams/v1/org"),
            &self.org,
        )
        .path("teams")
    }

    /// Lists the organization's teams (`GET .../teams`), `size` per page
    /// (at most 300; default: the server's).
    ///
    /// ```no_run
    /// # async fn demo(teams: opsgenie_users::atlassian::TeamsClient) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let all: Vec<_> = teams.list().stream().try_collect().await?;
    /// # let _ = all; Ok(()) }
    /// ```
    pub fn list(&self) -> ListPlatformTeams {
        self.list_sized(None)
    }

    /// [`list`](Self::list) with `size` teams per page (1 to 300).
    pub fn list_sized(&self, size: Option<u32>) -> ListPlatformTeams {
        let conn: Arc<Conn> = self.conn.clone();
        let base = self
            .teams_path(Method::GET)
            .query_opt("size", size.map(|s| s.clamp(1, 300)));
        TeamsList {
            fetch: Box::new(move |cursor| {
                let conn = conn.clone();
                let req = base.clone().query_opt("cursor", cursor);
                Box::pin(async move {
                    let page: TeamsPage = conn.send(req).await?.json()?;
                    Ok(CursorPage::new(
                        page.entities,
                        page.cursor.filter(|c| !c.is_empty()),
                    ))
                })
            }),
            cursor: None,
        }
    }

    /// Gets one team (`GET .../teams/{teamId}`).
    pub fn get(&self, team: impl Into<PlatformTeamId>) -> GetPlatformTeam {
        let req = seg(self.teams_path(Method::GET), &team.into());
        let conn = self.conn.clone();
        GetPlatformTeam::new(async move { conn.send(req).await?.json() })
    }

    /// The members of one team.
    pub fn members(&self, team: impl Into<PlatformTeamId>) -> TeamMembersHandler {
        TeamMembersHandler {
            client: self.clone(),
            team: team.into(),
        }
    }
}

/// Member calls of one team. Get one with [`TeamsClient::members`]; cheap to clone.
///
/// Members carry no role: see the [module docs](self#team-roles-and-team-admins).
#[derive(Debug, Clone)]
pub struct TeamMembersHandler {
    client: TeamsClient,
    team: PlatformTeamId,
}

impl TeamMembersHandler {
    fn path(&self, method: Method) -> ApiRequest {
        seg(self.client.teams_path(method), &self.team).path("members")
    }

    /// Lists the members (`POST .../members` with `{first, after}`: a read,
    /// so it is retried like a GET).
    ///
    /// ```no_run
    /// # async fn demo(teams: opsgenie_users::atlassian::TeamsClient) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let members: Vec<_> = teams.members("0a1b2c3d-4e5f-6789-abcd-ef0123456789").list().stream().try_collect().await?;
    /// # let _ = members; Ok(()) }
    /// ```
    pub fn list(&self) -> ListTeamMembers {
        self.list_sized(None)
    }

    /// [`list`](Self::list) with `first` members per page.
    pub fn list_sized(&self, first: Option<u32>) -> ListTeamMembers {
        let conn = self.client.conn.clone();
        let base = self.path(Method::POST).idempotent(true);
        TeamsList {
            fetch: Box::new(move |after| {
                let conn = conn.clone();
                let req = base.clone().json(&MembersFetch {
                    first: first.map(|f| f.max(1)),
                    after: after.as_deref(),
                });
                Box::pin(async move {
                    let page: MembersPage = conn.send(req).await?.json()?;
                    let next = page
                        .page_info
                        .filter(|p| p.has_next_page)
                        .and_then(|p| p.end_cursor)
                        .filter(|c| !c.is_empty());
                    Ok(CursorPage::new(page.results, next))
                })
            }),
            cursor: None,
        }
    }

    /// Adds members (`POST .../members/add`, 1 to 50 account ids). Adding
    /// someone already there changes nothing, so the call is marked
    /// idempotent (retried after a 5xx). Refusals come back in
    /// [`MembershipChange::errors`], not as an error.
    ///
    /// ```no_run
    /// # async fn demo(teams: opsgenie_users::atlassian::TeamsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::AccountId;
    /// let change = teams
    ///     .members("0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    ///     .add([AccountId::new("712020:abc")])
    ///     .await?;
    /// assert!(change.is_complete());
    /// # Ok(()) }
    /// ```
    pub fn add<A: Into<AccountId>>(&self, accounts: impl IntoIterator<Item = A>) -> ChangeMembers {
        self.change("add", accounts)
    }

    /// Removes members (`POST .../members/remove`, 1 to 50 account ids);
    /// idempotent like [`add`](Self::add).
    pub fn remove<A: Into<AccountId>>(
        &self,
        accounts: impl IntoIterator<Item = A>,
    ) -> ChangeMembers {
        self.change("remove", accounts)
    }

    fn change<A: Into<AccountId>>(
        &self,
        verb: &'static str,
        accounts: impl IntoIterator<Item = A>,
    ) -> ChangeMembers {
        let members: Vec<TeamMember> = accounts
            .into_iter()
            .map(|a| TeamMember::from(a.into()))
            .collect();
        let mut req = self
            .path(Method::POST)
            .path(verb)
            .json(&MembersBody { members: &members })
            .idempotent(true);
        if members.is_empty() || members.len() > MAX_MEMBERS_PER_CALL {
            req = req.invalid(format!(
                "members/{verb} takes 1 to {MAX_MEMBERS_PER_CALL} account ids, not {}",
                members.len()
            ));
        }
        for m in &members {
            if let Err(e) = crate::ids::validate("account id", m.account_id.as_str()) {
                req = req.invalid(e.to_string());
            }
        }
        let conn = self.client.conn.clone();
        ChangeMembers::new(async move {
            let resp = conn.send(req).await?;
            if resp.body().iter().all(u8::is_ascii_whitespace) {
                return Ok(MembershipChange::default());
            }
            resp.json()
        })
    }
}
