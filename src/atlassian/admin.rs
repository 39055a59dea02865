//! The Atlassian Admin (organizations) API, v2: directories, the users of
//! a directory (list, suspend, restore, remove), invitations, groups with
//! their memberships and product roles.
//!
//! Vendor reference: <https://developer.atlassian.com/cloud/admin/organization/rest/intro/>
//! (users: `.../rest/api-group-users/`, groups: `.../rest/api-group-groups/`,
//! directory: `.../rest/api-group-directory/`). Authentication: an
//! organization API key as `Authorization: Bearer`. Every request is rate
//! limited (429 on excess), with unpublished numbers.
//!
//! | call | endpoint | status |
//! |---|---|---|
//! | [`AdminClient::directories`] | `GET /admin/v2/orgs/{orgId}/directories` | path confirmed (changelog); answer shape `{data: [{directoryId, name}], links}` inferred |
//! | [`DirectoryUsersHandler::list`] | `GET /admin/v2/orgs/{orgId}/directories/{directoryId}/users` (`cursor`, `limit`) | confirmed (api-group-users: `{data: [...], links: {next}}`); Atlassian marks it deprecated after 2027-06-30 in favour of `POST .../users/search` |
//! | [`DirectoryUsersHandler::search`], [`find_by_email`](DirectoryUsersHandler::find_by_email) | `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/search`, body `{cursor, limit, emails, searchTerm, accountIds, status, accountStatus, membershipStatus, claimStatus, emailDomains, groupIds, roleIds, resourceIds, expand}` answering `{data, links: {next}}` | path, body fields, paging and the answer's user fields confirmed (api-group-users, "Search for users in an organization"; the same in Atlassian's published OpenAPI as generated clients carry it); `searchTerm` and `emails` are mutually exclusive (400), `directoryId` `-` searches every directory, `limit` defaults to 50. Unconfirmed: the largest `limit`, how many `emails` one request takes, whether `emails` match case-insensitively |
//! | [`DirectoryUsersHandler::suspend`] / [`restore`](DirectoryUsersHandler::restore) | `POST .../directories/{directoryId}/users/{accountId}/suspend` / `/restore` | path from the Admin changelog and public clients; the v1 `.../directory/users/{accountId}/suspend-access` is confirmed on the vendor page |
//! | [`DirectoryUsersHandler::role_assignments`] | `GET .../directories/{directoryId}/users/{accountId}/role-assignments` (`cursor`, `limit`) | path from the Admin API reference ("Get user role assignments", scope `read:directories:admin`) as public clients restate it. Answer read in the shape of Atlassian's published schema as clients generated from it carry it (jira.js `MultiDirectoryUserRoleAssignmentPage`, checked 2026-11-30): `{data: [{resourceId, resourceOwner, roleAssignments: [{role, roleAssignmentMethods}], roles (deprecated), directoryId, userDirectoryStatus}], links: {next}}`, one [`RoleAssignment`] per role; a flat `{roleId, resourceId}` item is read too. No vendor page was found: **inferred from the schema, not seen on a live organization** |
//! | [`DirectoryUsersHandler::remove`] | `DELETE .../directories/{directoryId}/users/{accountId}` | as above (v1 `DELETE .../directory/users/{accountId}` confirmed) |
//! | [`AdminClient::invite`] | `POST /admin/v2/orgs/{orgId}/users/invite` | path and body fields confirmed by the vendor's and public clients' docs; answer kept as JSON (shape unconfirmed). The v1 invite ends after 2026-06-30 |
//! | [`GroupsHandler`] | `GET .../groups`, `POST .../groups/{groupId}/memberships` `{accountId}`, `DELETE .../memberships/{accountId}`, `GET .../role-assignments`, `POST .../role-assignments/assign|revoke` `{roleId, resourceId}` | list and paths confirmed (api-group-groups); membership and assign bodies as clients generated from Atlassian's schema send them; the role-assignment answer read as that schema gives it, grouped by resource (`{data: [{resourceId, resourceOwner, defaultRole, roles}], links}`), **inferred from the schema** |
//!
//! A SCIM `DELETE` (the [`scim`](crate::scim) module) only deactivates a
//! user; removing someone from the organization's directory is
//! [`DirectoryUsersHandler::remove`].

use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

use futures::future::BoxFuture;
use http::Method;
use serde::{Deserialize, Serialize};

use super::client::{AdminClient, Conn};
use super::ids::{AccountId, DirectoryId, GroupId};
use super::paging::{stream_items, CursorPage, Fetch, ItemStream};
use crate::api::call;
use crate::error::Result;
use crate::ids::PathSegment;
use crate::request::ApiRequest;

/// A user directory of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Directory {
    /// Its id.
    pub directory_id: DirectoryId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A user of a directory, as the v2 list answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DirectoryUser {
    /// The Atlassian account id.
    pub account_id: AccountId,
    /// `atlassian`, `customer`, `app`...
    #[serde(default)]
    pub account_type: Option<String>,
    /// Access in this directory: `active`, `suspended`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// The account itself: `active`, `inactive`, `closed`.
    #[serde(default)]
    pub account_status: Option<String>,
    /// Membership of the organization.
    #[serde(default)]
    pub membership_status: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// E-mail address (the key that matches an Opsgenie username).
    #[serde(default)]
    pub email: Option<String>,
    /// `managed` or `unmanaged`.
    #[serde(default)]
    pub claim_status: Option<String>,
    /// Platform roles, e.g. `atlassian/org-admin`.
    #[serde(default)]
    pub platform_roles: Vec<String>,
}

impl DirectoryUser {
    /// True when the directory answered `status: suspended`.
    pub fn is_suspended(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("suspended"))
    }
}

/// A group of a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Group {
    /// Its id.
    pub id: GroupId,
    /// Its name (e.g. `jira-servicemanagement-users`).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// The directory it belongs to.
    #[serde(default)]
    pub directory_id: Option<DirectoryId>,
    /// `external` when synced from an identity provider (its members are
    /// then managed there, not through this API).
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// A role on a resource: what gives a user, or a group's members, product
/// access. Body of `role-assignments/assign` and `/revoke`; one item of the
/// role-assignment lists, which the API answers grouped by resource
/// (`{resourceId, roles: [...]}` for a group, `{resourceId, roleAssignments:
/// [{role, roleAssignmentMethods}], roles}` for a user) and this crate
/// reads as one `RoleAssignment` per role. A platform role without a
/// resource (e.g. `atlassian/org-admin`) has an empty `resource_id`.
///
/// ```
/// use opsgenie_users::atlassian::RoleAssignment;
/// let r = RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c-1");
/// assert_eq!(
///     serde_json::to_value(&r).unwrap(),
///     serde_json::json!({"roleId": "atlassian/user", "resourceId": "ari:cloud:jira-servicedesk::site/c-1"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RoleAssignment {
    /// The role, e.g. `atlassian/user`, `atlassian/admin`.
    pub role_id: String,
    /// The resource (a product on a site, as an ARI).
    pub resource_id: String,
}

impl RoleAssignment {
    /// `role_id` on `resource_id`.
    pub fn new(role_id: impl Into<String>, resource_id: impl Into<String>) -> Self {
        RoleAssignment {
            role_id: role_id.into(),
            resource_id: resource_id.into(),
        }
    }
}

/// An invitation (`POST /admin/v2/orgs/{orgId}/users/invite`): e-mails,
/// optionally the app roles to give and the groups to add them to.
///
/// ```
/// use opsgenie_users::atlassian::{Invite, PermissionRule};
/// let invite = Invite::new(["jane@example.com"])
///     .permission(PermissionRule::new("ari:cloud:jira-servicedesk::site/c-1", "atlassian/user"))
///     .notify("Welcome to JSM");
/// let v = serde_json::to_value(&invite).unwrap();
/// assert_eq!(v["emails"][0], "jane@example.com");
/// assert_eq!(v["sendNotification"], true);
/// assert_eq!(v["permissionRules"][0]["role"], "atlassian/user");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Invite {
    /// Addresses to invite.
    pub emails: Vec<String>,
    /// App roles to give.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub permission_rules: Vec<PermissionRule>,
    /// Groups (ids) to add them to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub additional_groups: Vec<GroupId>,
    /// Send an e-mail invitation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_notification: Option<bool>,
    /// The text of the invitation e-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_text: Option<String>,
}

impl Invite {
    /// Invite these addresses.
    pub fn new<S: Into<String>>(emails: impl IntoIterator<Item = S>) -> Self {
        Invite {
            emails: emails.into_iter().map(Into::into).collect(),
            permission_rules: Vec::new(),
            additional_groups: Vec::new(),
            send_notification: None,
            notification_text: None,
        }
    }

    /// Gives a role on a resource.
    pub fn permission(mut self, rule: PermissionRule) -> Self {
        self.permission_rules.push(rule);
        self
    }

    /// Adds them to a group.
    pub fn group(mut self, group: impl Into<GroupId>) -> Self {
        self.additional_groups.push(group.into());
        self
    }

    /// Sends an invitation e-mail with `text`.
    pub fn notify(mut self, text: impl Into<String>) -> Self {
        self.send_notification = Some(true);
        self.notification_text = Some(text.into());
        self
    }
}

/// A role on a resource, in an [`Invite`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PermissionRule {
    /// The resource (ARI).
    pub resource: String,
    /// The role, e.g. `atlassian/user`.
    pub role: String,
}

impl PermissionRule {
    /// `role` on `resource`.
    pub fn new(resource: impl Into<String>, role: impl Into<String>) -> Self {
        PermissionRule {
            resource: resource.into(),
            role: role.into(),
        }
    }
}

mod sealed {
    use serde::Deserialize;

    /// How the `data` entries of an Admin API list page become items.
    pub trait AdminItem: Sized + Send + 'static {
        /// One entry as the page carries it.
        type Wire: serde::de::DeserializeOwned + Send;
        /// The items of a page's entries, in order.
        fn expand(wire: Vec<Self::Wire>) -> Vec<Self>;
    }

    /// One entry of a role-assignment list. The documented answers group the
    /// roles by resource: a group's `{resourceId, roles}`, a user's
    /// `{resourceId, roleAssignments: [{role, roleAssignmentMethods}], roles}`
    /// (`roles` deprecated there); a flat `{roleId, resourceId}` is read too.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct RoleAssignmentEntry {
        #[serde(default)]
        pub(super) resource_id: Option<String>,
        #[serde(default)]
        pub(super) role_id: Option<String>,
        #[serde(default)]
        pub(super) roles: Option<Vec<String>>,
        #[serde(default)]
        pub(super) role_assignments: Option<Vec<HeldRole>>,
    }

    /// `{role, roleAssignmentMethods}` (the methods are not kept).
    #[derive(Deserialize)]
    pub struct HeldRole {
        #[serde(default)]
        pub(super) role: Option<String>,
    }
}

use sealed::{AdminItem, RoleAssignmentEntry};

macro_rules! admin_items {
    ($($t:ty),*) => {$(
        impl AdminItem for $t {
            type Wire = $t;
            fn expand(wire: Vec<$t>) -> Vec<$t> {
                wire
            }
        }
    )*};
}
admin_items!(DirectoryUser, Group, Directory);

impl AdminItem for RoleAssignment {
    type Wire = RoleAssignmentEntry;
    fn expand(wire: Vec<RoleAssignmentEntry>) -> Vec<RoleAssignment> {
        let mut out: Vec<RoleAssignment> = Vec::new();
        for e in wire {
            let resource = e.resource_id.unwrap_or_default();
            let held = e
                .role_assignments
                .into_iter()
                .flatten()
                .filter_map(|h| h.role);
            let roles = e
                .role_id
                .into_iter()
                .chain(held)
                .chain(e.roles.into_iter().flatten());
            for role in roles {
                let r = RoleAssignment::new(role, resource.clone());
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out
    }
}

#[derive(Deserialize)]
struct DataPage<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

/// A list call of the Admin API: set a page size and start cursor, await
/// it for one [`CursorPage`], or [`stream`](Self::stream) every item.
#[must_use = "a call does nothing until awaited or streamed"]
pub struct AdminList<T> {
    conn: Arc<Conn>,
    base: ApiRequest,
    limit: Option<u32>,
    cursor: Option<String>,
    _item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for AdminList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminList")
            .field("path", &self.base.path_str())
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .finish()
    }
}

/// [`DirectoryUsersHandler::list`].
pub type ListDirectoryUsers = AdminList<DirectoryUser>;
/// [`GroupsHandler::list`].
pub type ListGroups = AdminList<Group>;
/// [`GroupsHandler::role_assignments`], [`DirectoryUsersHandler::role_assignments`].
pub type ListRoleAssignments = AdminList<RoleAssignment>;

impl<T: AdminItem> AdminList<T> {
    fn new(conn: Arc<Conn>, base: ApiRequest) -> Self {
        AdminList {
            conn,
            base,
            limit: None,
            cursor: None,
            _item: PhantomData,
        }
    }

    /// Items per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n.max(1));
        self
    }

    /// Start at this cursor (a page's `next`).
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    fn fetcher(conn: Arc<Conn>, base: ApiRequest, limit: Option<u32>) -> Fetch<T> {
        Box::new(move |cursor| {
            let conn = conn.clone();
            let req = base
                .clone()
                .query_opt("cursor", cursor)
                .query_opt("limit", limit);
            Box::pin(async move {
                let page: DataPage<T::Wire> = conn.send(req).await?.json()?;
                Ok(CursorPage::new(
                    T::expand(page.data),
                    page.links.and_then(|l| l.next).filter(|n| !n.is_empty()),
                ))
            })
        })
    }

    /// Every item, page after page, fetched lazily.
    pub fn stream(self) -> ItemStream<T> {
        stream_items(self.cursor, Self::fetcher(self.conn, self.base, self.limit))
    }
}

impl<T: AdminItem> IntoFuture for AdminList<T> {
    type Output = Result<CursorPage<T>>;
    type IntoFuture = BoxFuture<'static, Result<CursorPage<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        let fetch = Self::fetcher(self.conn, self.base, self.limit);
        fetch(self.cursor)
    }
}

call!(
    /// [`DirectoryUsersHandler::find_by_email`].
    FindUserByEmail -> Option<DirectoryUser>
);
call!(
    /// [`AdminClient::directories`].
    ListDirectories -> Vec<Directory>
);
call!(
    /// [`AdminClient::invite`].
    InviteUsers -> serde_json::Value
);
call!(
    /// A write that answers nothing of interest: suspend, restore, remove,
    /// memberships, role assignments.
    AdminWrite -> ()
);

fn seg(req: ApiRequest, id: &impl PathSegment) -> ApiRequest {
    req.segment(id.kind(), id.as_str())
}

impl AdminClient {
    fn org_path(&self, method: Method) -> ApiRequest {
        seg(self.request(method).path("admin/v2/orgs"), &self.org)
    }

    fn write(&self, req: ApiRequest, what: String) -> AdminWrite {
        let conn = self.conn.clone();
        AdminWrite::new(async move { conn.send_write(req, what).await.map(|_| ()) })
    }

    /// The organization's directories (every page).
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// for d in admin.directories().await? {
    ///     println!("{} {:?}", d.directory_id, d.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn directories(&self) -> ListDirectories {
        let list: AdminList<Directory> = AdminList::new(
            self.conn.clone(),
            self.org_path(Method::GET).path("directories"),
        );
        ListDirectories::new(async move {
            use futures::TryStreamExt;
            list.stream().try_collect().await
        })
    }

    /// Invites people by e-mail (`POST /admin/v2/orgs/{orgId}/users/invite`).
    /// Not idempotent (each attempt may send an e-mail): never retried after
    /// the request may have arrived; a lost answer is
    /// [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome). Returns the answer as JSON.
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::Invite;
    /// admin.invite(Invite::new(["jane@example.com"])).await?;
    /// # Ok(()) }
    /// ```
    pub fn invite(&self, invite: Invite) -> InviteUsers {
        let mut req = self
            .org_path(Method::POST)
            .path("users/invite")
            .json(&invite);
        if invite.emails.is_empty() {
            req = req.invalid("an invitation needs at least one e-mail address");
        }
        let what = format!("invite {}", invite.emails.join(", "));
        let conn = self.conn.clone();
        InviteUsers::new(async move {
            let resp = conn.send_write(req, what).await?;
            if resp.body().iter().all(u8::is_ascii_whitespace) {
                return Ok(serde_json::Value::Null);
            }
            resp.json()
        })
    }

    /// The users of one directory.
    pub fn users(&self, directory: impl Into<DirectoryId>) -> DirectoryUsersHandler {
        DirectoryUsersHandler {
            client: self.clone(),
            directory: directory.into(),
        }
    }

    /// The groups of one directory.
    pub fn groups(&self, directory: impl Into<DirectoryId>) -> GroupsHandler {
        GroupsHandler {
            client: self.clone(),
            directory: directory.into(),
        }
    }
}

/// User calls of one directory. Get one with [`AdminClient::users`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct DirectoryUsersHandler {
    client: AdminClient,
    directory: DirectoryId,
}

impl DirectoryUsersHandler {
    fn base(&self, method: Method) -> ApiRequest {
        seg(
            self.client.org_path(method).path("directories"),
            &self.directory,
        )
        .path("users")
    }

    fn user(&self, method: Method, account: &AccountId) -> ApiRequest {
        seg(self.base(method), account)
    }

    /// Lists the directory's users (`GET .../directories/{directoryId}/users`).
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let mut users = admin.users("dir-1").list().limit(100).stream();
    /// while let Some(u) = users.try_next().await? {
    ///     println!("{} {:?}", u.account_id, u.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListDirectoryUsers {
        AdminList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// The user's product and platform roles
    /// (`GET .../directories/{directoryId}/users/{accountId}/role-assignments`):
    /// what the migration check compares with the mapped JSM role. Items are
    /// `{roleId, resourceId}` (other fields ignored).
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let roles: Vec<_> = admin.users("dir-1").role_assignments("712020:abc").stream().try_collect().await?;
    /// let agent = roles.iter().any(|r| r.role_id == "atlassian/user");
    /// # let _ = agent; Ok(()) }
    /// ```
    pub fn role_assignments(&self, account: impl Into<AccountId>) -> ListRoleAssignments {
        let account = account.into();
        let req = self.user(Method::GET, &account).path("role-assignments");
        AdminList::new(self.client.conn.clone(), req)
    }

    /// Suspends the user's access in this directory (they keep their roles
    /// and groups for a later [`restore`](Self::restore)). A POST: a lost
    /// answer is [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome), never retried blindly.
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// admin.users("dir-1").suspend("712020:abc").await?;
    /// # Ok(()) }
    /// ```
    pub fn suspend(&self, account: impl Into<AccountId>) -> AdminWrite {
        let account = account.into();
        let req = self.user(Method::POST, &account).path("suspend");
        self.client.write(req, format!("suspend {account}"))
    }

    /// Searches the directory's users (`POST .../directories/{directoryId}/users/search`,
    /// the replacement of [`list`](Self::list) after 2027-06-30). Use the
    /// directory id `-` to search every directory the key administers.
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// let page = admin.users("dir-1").search().search_term("jane").limit(20).await?;
    /// for u in page.items {
    ///     println!("{} {:?}", u.account_id, u.email);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn search(&self) -> SearchDirectoryUsers {
        let base = self.base(Method::POST).path("search");
        SearchDirectoryUsers {
            conn: self.client.conn.clone(),
            base,
            body: SearchBody::default(),
        }
    }

    /// The user with this e-mail address, if the directory has one: how an
    /// Opsgenie username becomes an Atlassian account id. One search by
    /// `emails`; of the answer, the user whose address equals `email`
    /// ignoring ASCII case (whether Atlassian's match ignores case is not
    /// documented, so a differently cased address may not be found).
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// match admin.users("-").find_by_email("jane@example.com").await? {
    ///     Some(u) => println!("jane is {}", u.account_id),
    ///     None => println!("jane has no account"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn find_by_email(&self, email: impl Into<String>) -> FindUserByEmail {
        let email = email.into();
        let mut search = self.search().emails([email.clone()]);
        if email.trim().is_empty() {
            search.base = search.base.invalid("an e-mail address is required");
        }
        FindUserByEmail::new(async move {
            use futures::TryStreamExt;
            let mut users = search.stream();
            while let Some(u) = users.try_next().await? {
                if u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email.trim()))
                {
                    return Ok(Some(u));
                }
            }
            Ok(None)
        })
    }

    /// Restores a suspended user's access.
    pub fn restore(&self, account: impl Into<AccountId>) -> AdminWrite {
        let account = account.into();
        let req = self.user(Method::POST, &account).path("restore");
        self.client.write(req, format!("restore {account}"))
    }

    /// Removes the user from the directory (they lose every role and group;
    /// only a new invitation brings them back). A DELETE: idempotent.
    pub fn remove(&self, account: impl Into<AccountId>) -> AdminWrite {
        let account = account.into();
        let req = self.user(Method::DELETE, &account);
        self.client.write(req, format!("remove {account}"))
    }
}

/// The body of a users search (`POST .../directories/{directoryId}/users/search`):
/// the filters set on a [`SearchDirectoryUsers`], plus the page's cursor and size.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct SearchBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    emails: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_term: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    account_ids: Vec<AccountId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    status: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    account_status: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    membership_status: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claim_status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_domains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group_ids: Vec<GroupId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    role_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resource_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    expand: Vec<String>,
}

/// A users search of the Admin API ([`DirectoryUsersHandler::search`]): set
/// filters (each narrows the result), await it for one [`CursorPage`], or
/// [`stream`](Self::stream) every match, page after page. The search is a
/// POST that only reads, so it is retried like a GET.
///
/// `emails` matches whole addresses exactly; `search_term` matches part of
/// a name or address. Atlassian refuses the two together (400): so does
/// this builder, before sending.
///
/// ```no_run
/// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
/// use futures::TryStreamExt;
/// let found: Vec<_> = admin
///     .users("-") // every directory
///     .search()
///     .emails(["jane@example.com", "joe@example.com"])
///     .status(["active", "suspended"])
///     .stream()
///     .try_collect()
///     .await?;
/// # let _ = found; Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a call does nothing until awaited or streamed"]
pub struct SearchDirectoryUsers {
    conn: Arc<Conn>,
    base: ApiRequest,
    body: SearchBody,
}

impl std::fmt::Debug for SearchDirectoryUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchDirectoryUsers")
            .field("path", &self.base.path_str())
            .field("body", &self.body)
            .finish()
    }
}

impl SearchDirectoryUsers {
    /// Users with exactly these e-mail addresses (not with [`search_term`](Self::search_term)).
    pub fn emails<S: Into<String>>(mut self, emails: impl IntoIterator<Item = S>) -> Self {
        self.body.emails.extend(emails.into_iter().map(Into::into));
        self
    }

    /// Users whose name or address contains `term` (not with [`emails`](Self::emails)).
    pub fn search_term(mut self, term: impl Into<String>) -> Self {
        self.body.search_term = Some(term.into());
        self
    }

    /// These accounts only.
    pub fn account_ids<A: Into<AccountId>>(mut self, ids: impl IntoIterator<Item = A>) -> Self {
        self.body
            .account_ids
            .extend(ids.into_iter().map(Into::into));
        self
    }

    /// Composite status: `active`, `suspended`, `not_invited`, `deactivated`, `for_deletion`.
    pub fn status<S: Into<String>>(mut self, status: impl IntoIterator<Item = S>) -> Self {
        self.body.status.extend(status.into_iter().map(Into::into));
        self
    }

    /// Account lifecycle status: `active`, `inactive`, `closed`.
    pub fn account_status<S: Into<String>>(mut self, status: impl IntoIterator<Item = S>) -> Self {
        self.body
            .account_status
            .extend(status.into_iter().map(Into::into));
        self
    }

    /// Membership of the organization: `active`, `suspended`, `no_membership`.
    pub fn membership_status<S: Into<String>>(
        mut self,
        status: impl IntoIterator<Item = S>,
    ) -> Self {
        self.body
            .membership_status
            .extend(status.into_iter().map(Into::into));
        self
    }

    /// `managed` or `unmanaged` accounts only.
    pub fn claim_status(mut self, claim: impl Into<String>) -> Self {
        self.body.claim_status = Some(claim.into());
        self
    }

    /// Addresses in these domains (`example.com`).
    pub fn email_domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.body
            .email_domains
            .extend(domains.into_iter().map(Into::into));
        self
    }

    /// Members of these groups.
    pub fn group_ids<G: Into<GroupId>>(mut self, groups: impl IntoIterator<Item = G>) -> Self {
        self.body
            .group_ids
            .extend(groups.into_iter().map(Into::into));
        self
    }

    /// Holders of these roles (`atlassian/user`, `atlassian/admin`, ...).
    pub fn role_ids<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.body.role_ids.extend(roles.into_iter().map(Into::into));
        self
    }

    /// With access to these resources (ARIs).
    pub fn resource_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.body
            .resource_ids
            .extend(ids.into_iter().map(Into::into));
        self
    }

    /// Extra fields in each user: `platformRoles`, `counts.resources`,
    /// `productAccess`, `groups` (kept in [`DirectoryUser`] where it has a field).
    pub fn expand<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.body.expand.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Users per page (Atlassian's default: 50).
    pub fn limit(mut self, n: u32) -> Self {
        self.body.limit = Some(n.max(1));
        self
    }

    /// Start at this cursor (a page's `next`).
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.body.cursor = Some(cursor.into());
        self
    }

    fn fetcher(conn: Arc<Conn>, base: ApiRequest, body: SearchBody) -> Fetch<DirectoryUser> {
        let invalid = (!body.emails.is_empty() && body.search_term.is_some())
            .then_some("a users search takes emails or a search term, not both");
        Box::new(move |cursor| {
            let conn = conn.clone();
            let mut page = body.clone();
            page.cursor = cursor;
            let mut req = base.clone().json(&page).idempotent(true);
            if let Some(reason) = invalid {
                req = req.invalid(reason);
            }
            Box::pin(async move {
                let page: DataPage<DirectoryUser> = conn.send(req).await?.json()?;
                Ok(CursorPage::new(
                    page.data,
                    page.links.and_then(|l| l.next).filter(|n| !n.is_empty()),
                ))
            })
        })
    }

    /// Every match, page after page, fetched lazily.
    pub fn stream(self) -> ItemStream<DirectoryUser> {
        let mut body = self.body;
        let start = body.cursor.take();
        stream_items(start, Self::fetcher(self.conn, self.base, body))
    }
}

impl IntoFuture for SearchDirectoryUsers {
    type Output = Result<CursorPage<DirectoryUser>>;
    type IntoFuture = BoxFuture<'static, Result<CursorPage<DirectoryUser>>>;
    fn into_future(self) -> Self::IntoFuture {
        let mut body = self.body;
        let start = body.cursor.take();
        Self::fetcher(self.conn, self.base, body)(start)
    }
}

/// Group calls of one directory. Get one with [`AdminClient::groups`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct GroupsHandler {
    client: AdminClient,
    directory: DirectoryId,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Membership<'a> {
    account_id: &'a AccountId,
}

impl GroupsHandler {
    fn base(&self, method: Method) -> ApiRequest {
        seg(
            self.client.org_path(method).path("directories"),
            &self.directory,
        )
        .path("groups")
    }

    fn group(&self, method: Method, group: &GroupId) -> ApiRequest {
        seg(self.base(method), group)
    }

    /// Lists the directory's groups.
    pub fn list(&self) -> ListGroups {
        AdminList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Adds a user to a group (`POST .../groups/{groupId}/memberships`).
    /// Groups synced from an identity provider refuse it.
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// admin.groups("dir-1").add_member("g-1", "712020:abc").await?;
    /// # Ok(()) }
    /// ```
    pub fn add_member(
        &self,
        group: impl Into<GroupId>,
        account: impl Into<AccountId>,
    ) -> AdminWrite {
        let (group, account) = (group.into(), account.into());
        let req = self
            .group(Method::POST, &group)
            .path("memberships")
            .json(&Membership {
                account_id: &account,
            });
        self.client
            .write(req, format!("add {account} to group {group}"))
    }

    /// Removes a user from a group (`DELETE .../memberships/{accountId}`).
    pub fn remove_member(
        &self,
        group: impl Into<GroupId>,
        account: impl Into<AccountId>,
    ) -> AdminWrite {
        let (group, account) = (group.into(), account.into());
        let req = seg(
            self.group(Method::DELETE, &group).path("memberships"),
            &account,
        );
        self.client
            .write(req, format!("remove {account} from group {group}"))
    }

    /// The group's product roles (`GET .../groups/{groupId}/role-assignments`).
    pub fn role_assignments(&self, group: impl Into<GroupId>) -> ListRoleAssignments {
        let req = self
            .group(Method::GET, &group.into())
            .path("role-assignments");
        AdminList::new(self.client.conn.clone(), req)
    }

    /// Gives the group's members a role (`POST .../role-assignments/assign`).
    ///
    /// ```no_run
    /// # async fn demo(admin: opsgenie_users::atlassian::AdminClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::RoleAssignment;
    /// admin
    ///     .groups("dir-1")
    ///     .assign_role("g-1", RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c-1"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn assign_role(&self, group: impl Into<GroupId>, role: RoleAssignment) -> AdminWrite {
        self.role_write(group.into(), role, "assign")
    }

    /// Takes a role away from the group (`POST .../role-assignments/revoke`).
    pub fn revoke_role(&self, group: impl Into<GroupId>, role: RoleAssignment) -> AdminWrite {
        self.role_write(group.into(), role, "revoke")
    }

    fn role_write(&self, group: GroupId, role: RoleAssignment, verb: &'static str) -> AdminWrite {
        let req = self
            .group(Method::POST, &group)
            .path("role-assignments")
            .path(verb)
            .json(&role);
        let what = format!(
            "{verb} role {} on {} for group {group}",
            role.role_id, role.resource_id
        );
        self.client.write(req, what)
    }
}
