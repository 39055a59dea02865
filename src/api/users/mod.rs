//! The Users API (`/v2/users`), reached through [`Client::users`].
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::user::{Role, UserCreate, UserUpdate};
//!
//! let created = client
//!     .users()
//!     .create(UserCreate::new("jane@example.com", "Jane Doe").role(Role::Admin))
//!     .await?;
//! let jane = client.users().get(&created.id).expand_contacts().await?;
//! client
//!     .users()
//!     .update("jane@example.com", UserUpdate::new().time_zone("Europe/Berlin"))
//!     .await?;
//! let teams = client.users().teams(&jane.id).await?;
//! # let _ = teams; Ok(()) }
//! ```
//!
//! Rate-limit domains: List Users counts as **Search**, every other call here
//! as **Configuration**.

mod list;
mod verify;

pub use list::{ListUsers, UserSort};
pub use verify::{Expected, Mismatch, UserCheck, Verified};

use std::collections::HashMap;
use std::future::IntoFuture;

use futures::future::BoxFuture;
use futures::TryStreamExt;

use crate::api::write::{finish, Named};
use crate::api::{call, send_write, write_result};
use crate::error::{Error, Result};
use crate::ids::{self, UserId, UserRef, Username};
use crate::models::common::WriteResult;
use crate::models::user::{
    ForwardingRule, User, UserCreate, UserEscalation, UserSchedule, UserTeam, UserUpdate,
};
use crate::pagination::Paginated;
use crate::ratelimit::Domain;
use crate::request::ApiRequest;
use crate::Client;

impl Client {
    /// The Users API.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let jane = client.users().get("jane@example.com").await?;
    /// # let _ = jane; Ok(()) }
    /// ```
    pub fn users(&self) -> UsersHandler {
        UsersHandler {
            client: self.clone(),
        }
    }
}

/// Handler for `/v2/users`; get it from [`Client::users`]. Cheap to clone.
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// let users = client.users();
/// let page = users.list().limit(10).await?;
/// let first = users.get(&page.items[0].id).await?;
/// # let _ = first; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UsersHandler {
    client: Client,
}

/// The answer to [`UsersHandler::create`].
///
/// ```
/// # fn demo(c: opsgenie_users::api::users::CreatedUser) {
/// if c.recovered {
///     println!("the create's answer was lost; {} was found by username", c.username);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedUser {
    /// The new user's id.
    pub id: UserId,
    /// The username as the server stored it (lowercased) or as sent.
    pub username: Username,
    /// True when the create's answer was lost (timeout, broken connection,
    /// 5xx) and the id was found by looking the username up instead.
    pub recovered: bool,
    /// `requestId` of the create's answer, when there was one.
    pub request_id: Option<String>,
}

/// The PATCH of an update: absolute values, so marked idempotent.
fn patch_request(user: &UserRef, update: &UserUpdate) -> ApiRequest {
    user_path(ApiRequest::patch, user)
        .json(update)
        .idempotent(true)
}

/// True when the update sets part of `userAddress`: the PATCH replaces the
/// address whole, so the rest is read from the user first.
fn partial_address(update: &UserUpdate) -> bool {
    update.optional.user_address.as_ref().is_some_and(|a| {
        [&a.country, &a.state, &a.city, &a.line, &a.zip_code]
            .iter()
            .any(|p| p.is_none())
    })
}

fn user_path(method: fn(Domain) -> ApiRequest, user: &UserRef) -> ApiRequest {
    crate::api::user_segment(method(Domain::Configuration).path("v2/users"), user)
}

call!(
    /// [`UsersHandler::create`]: await it for the new user's id.
    CreateUser -> CreatedUser
);
call!(
    /// [`UsersHandler::create_checked`].
    CreateUserChecked -> Verified<CreatedUser>
);
call!(
    /// [`UsersHandler::verify`].
    VerifyUsers -> Vec<UserCheck>
);
call!(
    /// [`UsersHandler::update`].
    UpdateUser -> WriteResult
);
call!(
    /// [`UsersHandler::update_checked`].
    UpdateUserChecked -> Verified<WriteResult>
);
call!(
    /// [`UsersHandler::delete`].
    DeleteUser -> WriteResult
);
call!(
    /// [`UsersHandler::teams`].
    ListUserTeams -> Vec<UserTeam>
);
call!(
    /// [`UsersHandler::schedules`].
    ListUserSchedules -> Vec<UserSchedule>
);
call!(
    /// [`UsersHandler::escalations`].
    ListUserEscalations -> Vec<UserEscalation>
);
call!(
    /// [`UsersHandler::forwarding_rules`].
    ListUserForwardingRules -> Vec<ForwardingRule>
);

/// Wraps `$name_now` (an `async fn(&self, ..)`) as a call builder.
macro_rules! deferred {
    ($self:ident, $ty:ident, $now:ident ( $($arg:expr),* )) => {{
        let h = $self.clone();
        $ty::new(async move { h.$now($($arg),*).await })
    }};
}

impl UsersHandler {
    /// Creates a user (`POST /v2/users`, 201) and returns its id.
    ///
    /// A create is never resent blindly. When its answer is lost (timeout,
    /// broken connection, 5xx), the username is looked up
    /// (`GET /v2/users/{username}`):
    ///
    /// * found: its id is returned with [`CreatedUser::recovered`] set;
    /// * not found: the create was not applied and is sent again, as an
    ///   attempt under the retry policy (its attempts and retry budget). A
    ///   resend answered with a conflict (the 422 for a taken username, or a
    ///   409) means the earlier attempt landed after all: the username is
    ///   looked up again and the user returned as recovered;
    /// * the lookup fails (after its own retries): [`Error::AmbiguousOutcome`].
    ///
    /// A success answer that does not decode, or a 202 without an id, is
    /// looked up but never resent (the server accepted it). A user that
    /// already existed under that username before the call is
    /// indistinguishable from one this call created.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::user::UserCreate;
    /// let created = client
    ///     .users()
    ///     .create(UserCreate::new("jane@example.com", "Jane Doe").invitation_disabled(true))
    ///     .await?;
    /// println!("{}", created.id);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, user: UserCreate) -> CreateUser {
        // The request is built here and the call keeps only it and the
        // username (for the lookup that settles a lost answer), not the
        // whole `UserCreate`: nothing is sent before the first poll.
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/users")
            .json(&user);
        if let Err(e) = ids::validate("username", user.username.as_str()) {
            req = req.invalid(e.to_string());
        }
        let (h, username) = (self.clone(), user.username);
        CreateUser::new(async move {
            let what = Named("create user", username.as_str());
            let has_id = |w: &WriteResult| w.data.as_ref().is_some_and(|d| d.id.is_some());
            let lookup = || h.lookup_created(&username);
            let done = finish(&h.client, &mut req, what, has_id, lookup).await?;
            let recovered = done.recovered();
            let request_id = done.request_id();
            if let Some(u) = done.found {
                return Ok(CreatedUser {
                    id: u.id,
                    username: u.username,
                    recovered,
                    request_id,
                });
            }
            let data = done.answer.and_then(|(w, _)| w.data).unwrap_or_default();
            Ok(CreatedUser {
                id: UserId::new(data.id.unwrap_or_default()),
                username: data
                    .name
                    .map(Username::new)
                    .unwrap_or_else(|| username.clone()),
                recovered,
                request_id,
            })
        })
    }

    /// `GET /v2/users/{username}` (lowercased, as the server stores it):
    /// `Ok(None)` on 404.
    async fn lookup_created(&self, username: &Username) -> Result<Option<User>> {
        let lower = UserRef::username(username.as_str().to_lowercase());
        match self.get(lower).await {
            Ok(u) => Ok(Some(u)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`create`](Self::create), then reads the user back and reports every
    /// requested field that did not stick (role downgraded to `User`,
    /// `fullName` ignored, time zone different by canonical IANA name, ...).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::user::UserCreate;
    /// let v = client
    ///     .users()
    ///     .create_checked(UserCreate::new("jo@example.com", "Jo").role("Site Reliability"))
    ///     .await?;
    /// if v.mismatches.iter().any(|m| m.is_role_downgrade()) {
    ///     eprintln!("no such role; {} is a plain User", v.user.username);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn create_checked(&self, user: UserCreate) -> CreateUserChecked {
        deferred!(self, CreateUserChecked, create_checked_now(user))
    }

    async fn create_checked_now(&self, user: UserCreate) -> Result<Verified<CreatedUser>> {
        let requested = user.requested();
        let write = self.create(user).await?;
        let read = self.get(&write.id).await?;
        Ok(Verified {
            mismatches: requested.diff(&read),
            write,
            user: read,
        })
    }

    /// Checks many writes at once: reads the user list (`GET /v2/users`,
    /// 100 users a page, rate-limit domain **Search**, which has its own
    /// quota) instead of one `GET` per user, and compares each expected
    /// user's fields as [`create_checked`](Self::create_checked) and
    /// [`update_checked`](Self::update_checked) do. Returns one
    /// [`UserCheck`] per expectation, in order.
    ///
    /// The list is read newest first (`sort=insertedAt&order=desc`) and
    /// stops as soon as every expected user was seen, so checking fresh
    /// creates reads only as many pages as there are new users. A user the
    /// list did not show is read once by `GET /v2/users/{id}` before it is
    /// reported missing (a list read page by page can skip a user when
    /// others are deleted meanwhile).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::Expected;
    /// use opsgenie_users::models::user::UserCreate;
    /// let batch: Vec<UserCreate> = (1..=300)
    ///     .map(|n| UserCreate::new(format!("user{n}@example.com"), format!("User {n}")))
    ///     .collect();
    /// for u in &batch {
    ///     client.users().create(u.clone()).await?;
    /// }
    /// let checks = client.users().verify(batch.iter().map(Expected::created)).await?;
    /// let bad = checks.iter().filter(|c| !c.is_clean()).count();
    /// println!("{bad} of {} did not come out as written", checks.len());
    /// # Ok(()) }
    /// ```
    pub fn verify(&self, expected: impl IntoIterator<Item = Expected>) -> VerifyUsers {
        let expected: Vec<Expected> = expected.into_iter().collect();
        deferred!(self, VerifyUsers, verify_now(expected))
    }

    async fn verify_now(&self, expected: Vec<Expected>) -> Result<Vec<UserCheck>> {
        let mut seen: Vec<Option<User>> = vec![None; expected.len()];
        // Expectations still unmatched, by key (a user may be expected twice).
        let mut waiting: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in expected.iter().enumerate() {
            waiting.entry(e.key()).or_default().push(i);
        }
        if !waiting.is_empty() {
            let mut pages = self
                .list()
                .sort(UserSort::InsertedAt)
                .order(crate::models::common::SortOrder::Desc)
                .pages();
            while !waiting.is_empty() {
                let Some(page) = pages.try_next().await? else {
                    break;
                };
                for u in page.items {
                    for key in verify::keys_of(&u) {
                        for i in waiting.remove(&key).unwrap_or_default() {
                            seen[i] = Some(u.clone());
                        }
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(expected.len());
        for (e, slot) in expected.into_iter().zip(seen) {
            let user = match slot {
                Some(u) => Some(u),
                None => crate::api::found(self.get(e.user().clone()).await)?,
            };
            out.push(e.check(user));
        }
        Ok(out)
    }

    /// Gets a user by id or username (`GET /v2/users/{id}`). Await it
    /// directly, or add [`expand_contacts`](GetUser::expand_contacts) first.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let u = client.users().get("a+b@example.com").await?; // `+` is sent as %2B
    /// let with_contacts = client.users().get(&u.id).expand_contacts().await?;
    /// # let _ = with_contacts; Ok(()) }
    /// ```
    pub fn get(&self, user: impl Into<UserRef>) -> GetUser {
        GetUser {
            client: self.client.clone(),
            user: user.into(),
            expand_contacts: false,
        }
    }

    /// Partially updates a user (`PATCH /v2/users/{id}`): only the set fields
    /// are sent. The PATCH sets absolute values, so repeating it is harmless:
    /// it is marked idempotent and may be retried after a 5xx or timeout.
    ///
    /// The PATCH replaces `userAddress` whole, so an update that sets part of
    /// the address (say only the city) first reads the user and sends the
    /// merged address: the parts not set keep their current values (set a
    /// part to `""` to clear it). A 2xx with an empty body is success.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::user::{UserAddress, UserUpdate};
    /// client.users().update("jane@example.com", UserUpdate::new().locale("en_GB")).await?;
    /// // Only the city changes; country, state, line and zip code are kept.
    /// let city = UserAddress { city: Some("Leeds".into()), ..Default::default() };
    /// client.users().update("jane@example.com", UserUpdate::new().user_address(city)).await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, user: impl Into<UserRef>, update: UserUpdate) -> UpdateUser {
        let user = user.into();
        if !partial_address(&update) {
            // Nothing to read first: the call is the PATCH's own future,
            // built here (nothing is sent before the first poll).
            let req = patch_request(&user, &update);
            return UpdateUser::new(send_write(self.client.clone(), req));
        }
        deferred!(self, UpdateUser, update_now(user, update))
    }

    async fn update_now(&self, user: UserRef, update: UserUpdate) -> Result<WriteResult> {
        let update = self.merge_address(&user, update).await?;
        self.patch(&user, &update).await
    }

    /// Completes a partial `userAddress` with the user's current address.
    async fn merge_address(&self, user: &UserRef, mut update: UserUpdate) -> Result<UserUpdate> {
        let partial = partial_address(&update);
        if let Some(address) = update.optional.user_address.take() {
            let merged = if !partial {
                address
            } else {
                let current = self
                    .get(user.clone())
                    .await?
                    .user_address
                    .unwrap_or_default();
                address.merged_over(current)
            };
            update.optional.user_address = Some(merged);
        }
        Ok(update)
    }

    async fn patch(&self, user: &UserRef, update: &UserUpdate) -> Result<WriteResult> {
        send_write(self.client.clone(), patch_request(user, update)).await
    }

    /// [`update`](Self::update), then reads the user back and reports every
    /// requested field that did not stick (the address compares whole,
    /// merged as sent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::user::UserUpdate;
    /// let v = client
    ///     .users()
    ///     .update_checked("jane@example.com", UserUpdate::new().time_zone("US/Arizona"))
    ///     .await?;
    /// assert!(v.is_clean() || !v.mismatches.is_empty());
    /// # Ok(()) }
    /// ```
    pub fn update_checked(
        &self,
        user: impl Into<UserRef>,
        update: UserUpdate,
    ) -> UpdateUserChecked {
        let user = user.into();
        deferred!(self, UpdateUserChecked, update_checked_now(user, update))
    }

    async fn update_checked_now(
        &self,
        user: UserRef,
        update: UserUpdate,
    ) -> Result<Verified<WriteResult>> {
        let update = self.merge_address(&user, update).await?;
        let requested = update.requested();
        let write = self.patch(&user, &update).await?;
        let read = self.get(user).await?;
        Ok(Verified {
            mismatches: requested.diff(&read),
            write,
            user: read,
        })
    }

    /// Deletes a user (`DELETE /v2/users/{id}`): immediate and permanent.
    /// Fails with 422 (or 428) while a schedule rotation or escalation
    /// references the user, or when they are the only Owner; audit first with
    /// [`schedules`](Self::schedules) and [`escalations`](Self::escalations).
    ///
    /// DELETE is retried after a 5xx or timeout. When a retry answers 404
    /// after an attempt the server may have acted on (a 5xx, a timeout, a
    /// broken connection), the user is gone either way (most likely that
    /// attempt deleted it and its answer was lost), so the call succeeds with
    /// `result` = `"Deleted"` and [`WriteResult::request_id`] of the 404. A 404
    /// otherwise (first attempt, or after throttles only) is
    /// [`Error::NotFound`]. A 2xx with an empty body is success.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.users().delete("jane@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, user: impl Into<UserRef>) -> DeleteUser {
        let req = user_path(ApiRequest::delete, &user.into());
        let client = self.client.clone();
        DeleteUser::new(async move { delete_user(&client, req).await })
    }

    /// Lists users (`GET /v2/users`, rate-limit domain **Search**), one page
    /// or as a stream.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::UserSort;
    /// use opsgenie_users::models::common::SortOrder;
    /// let page = client.users().list().limit(50).sort(UserSort::FullName)
    ///     .order(SortOrder::Desc).query("role:admin").await?;
    /// println!("{} of {:?}", page.items.len(), page.total_count);
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListUsers {
        ListUsers::new(self.client.clone())
    }

    /// Every user, as a lazy stream of pages of 100: shorthand for
    /// `list().stream()`.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use futures::TryStreamExt;
    /// let all: Vec<_> = client.users().list_all().try_collect().await?;
    /// # let _ = all; Ok(()) }
    /// ```
    pub fn list_all(&self) -> Paginated<User> {
        self.list().stream()
    }

    fn sub_list<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        user: UserRef,
        what: &str,
    ) -> impl std::future::Future<Output = Result<Vec<T>>> + Send + 'static {
        let req = user_path(ApiRequest::get, &user).path(what);
        crate::api::send_data(self.client.clone(), req)
    }

    /// The teams the user is a member of (`GET /v2/users/{id}/teams`; not paginated).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for t in client.users().teams("jane@example.com").await? {
    ///     println!("{} {:?}", t.id, t.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn teams(&self, user: impl Into<UserRef>) -> ListUserTeams {
        ListUserTeams::new(self.sub_list(user.into(), "teams"))
    }

    /// The schedules the user takes part in (`GET /v2/users/{id}/schedules`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let s = client.users().schedules("jane@example.com").await?;
    /// # let _ = s; Ok(()) }
    /// ```
    pub fn schedules(&self, user: impl Into<UserRef>) -> ListUserSchedules {
        ListUserSchedules::new(self.sub_list(user.into(), "schedules"))
    }

    /// The escalation policies naming the user (`GET /v2/users/{id}/escalations`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let e = client.users().escalations("jane@example.com").await?;
    /// # let _ = e; Ok(()) }
    /// ```
    pub fn escalations(&self, user: impl Into<UserRef>) -> ListUserEscalations {
        ListUserEscalations::new(self.sub_list(user.into(), "escalations"))
    }

    /// Forwarding rules from or to the user (`GET /v2/users/{id}/forwarding-rules`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let f = client.users().forwarding_rules("jane@example.com").await?;
    /// # let _ = f; Ok(()) }
    /// ```
    pub fn forwarding_rules(&self, user: impl Into<UserRef>) -> ListUserForwardingRules {
        ListUserForwardingRules::new(self.sub_list(user.into(), "forwarding-rules"))
    }
}

/// Builder of `GET /v2/users/{id}`; set the options, then await it.
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// let u = client.users().get("jane@example.com").expand_contacts().await?;
/// for c in u.contacts.unwrap_or_default() {
///     println!("{:?} {:?}", c.method, c.to);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a GetUser does nothing until awaited"]
pub struct GetUser {
    client: Client,
    user: UserRef,
    expand_contacts: bool,
}

impl GetUser {
    /// Adds `expand=contact`: the answer carries the user's contacts.
    pub fn expand_contacts(mut self) -> Self {
        self.expand_contacts = true;
        self
    }
}

impl IntoFuture for GetUser {
    type Output = Result<User>;
    type IntoFuture = BoxFuture<'static, Result<User>>;
    fn into_future(self) -> Self::IntoFuture {
        // The request is built here (nothing is sent before the first poll).
        let req = user_path(ApiRequest::get, &self.user)
            .query_opt("expand", self.expand_contacts.then_some("contact"));
        Box::pin(super::send_data(self.client, req))
    }
}

/// `DELETE /v2/users/{user}`: a 404 after an earlier attempt that may have
/// been acted on (a 5xx, a timeout, a broken connection) means the user is
/// gone, most likely deleted by the attempt whose answer was lost. A 404
/// after only throttled or unsent attempts is [`Error::NotFound`]: nothing
/// was deleted.
async fn delete_user(client: &Client, req: ApiRequest) -> Result<WriteResult> {
    let resp = client.execute(&req).await?;
    if resp.status == http::StatusCode::NOT_FOUND && resp.earlier_attempt_may_have_acted() {
        tracing::info!(path = %req.path_str(), attempts = resp.attempts, "delete user: retry found the user already gone");
        return Ok(WriteResult {
            result: "Deleted".into(),
            request_id: resp.request_id(),
            ..WriteResult::default()
        });
    }
    write_result(&resp.error_for_status()?)
}
