//! The Users API (`/v2/users`), reached through [`Client::users`].
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::api::users::{UserCreate, UserUpdate};
//! use opsgenie_users::models::user::Role;
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

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids::{self, UserId, UserRef, Username};
use crate::models::common::{SortOrder, WriteResult};
use crate::models::timezone::same_time_zone;
use crate::models::user::{
    ForwardingRule, Role, User, UserAddress, UserEscalation, UserRole, UserSchedule, UserTeam,
};
use crate::pagination::{self, Page, PageFetcher, Paginated, MAX_PAGE_SIZE};
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
    pub fn users(&self) -> Users {
        Users {
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
pub struct Users {
    client: Client,
}

/// The optional fields [`UserCreate`] and [`UserUpdate`] share; each is
/// sent only when set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct OptionalFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    skype_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_address: Option<UserAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<BTreeMap<String, Vec<String>>>,
}

impl OptionalFields {
    fn requested(&self, full_name: Option<String>, role: Option<Role>) -> Requested {
        Requested {
            full_name,
            role,
            skype_username: self.skype_username.clone(),
            time_zone: self.time_zone.clone(),
            locale: self.locale.clone(),
            user_address: self.user_address.clone(),
            tags: self.tags.clone(),
            details: self.details.clone(),
        }
    }
}

/// The optional-field setters [`UserCreate`] and [`UserUpdate`] share (on an
/// update, tags and details replace the current ones).
macro_rules! optional_user_setters {
    () => {
        /// Skype username.
        pub fn skype_username(mut self, v: impl Into<String>) -> Self {
            self.optional.skype_username = Some(v.into());
            self
        }
        /// IANA time zone, e.g. `Europe/Berlin` (on create, default: the account's).
        pub fn time_zone(mut self, v: impl Into<String>) -> Self {
            self.optional.time_zone = Some(v.into());
            self
        }
        /// Locale, e.g. `en_US` (on create, default: the account's).
        pub fn locale(mut self, v: impl Into<String>) -> Self {
            self.optional.locale = Some(v.into());
            self
        }
        /// Postal address.
        pub fn user_address(mut self, v: UserAddress) -> Self {
            self.optional.user_address = Some(v);
            self
        }
        /// Tags.
        pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
            self.optional.tags = Some(tags.into_iter().map(Into::into).collect());
            self
        }
        /// Custom properties: key to list of values.
        pub fn details(mut self, v: BTreeMap<String, Vec<String>>) -> Self {
            self.optional.details = Some(v);
            self
        }
    };
}

/// The fields of a new user (`POST /v2/users`). `username` and `fullName` are
/// required; every other field is sent only when set, except `role`, which
/// is always sent (default [`Role::User`], what the server would pick anyway;
/// the spec marks it required).
///
/// ```
/// use opsgenie_users::api::users::UserCreate;
/// use opsgenie_users::models::user::Role;
/// let u = UserCreate::new("jane@example.com", "Jane Doe")
///     .role(Role::Observer)
///     .time_zone("Europe/Berlin")
///     .invitation_disabled(true);
/// assert_eq!(
///     serde_json::to_value(&u).unwrap(),
///     serde_json::json!({"username": "jane@example.com", "fullName": "Jane Doe",
///         "role": {"name": "Observer"}, "timeZone": "Europe/Berlin", "invitationDisabled": true})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCreate {
    username: Username,
    full_name: String,
    role: UserRole,
    #[serde(flatten)]
    optional: OptionalFields,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_disabled: Option<bool>,
}

impl UserCreate {
    /// A new user with its username (e-mail; stored lowercased, immutable)
    /// and display name.
    pub fn new(username: impl Into<Username>, full_name: impl Into<String>) -> Self {
        UserCreate {
            username: username.into(),
            full_name: full_name.into(),
            role: UserRole::new(Role::User),
            optional: OptionalFields::default(),
            invitation_disabled: None,
        }
    }
    /// The account role (default `User`). Names are case-sensitive; an
    /// unknown name silently becomes `User` on the server.
    pub fn role(mut self, role: impl Into<Role>) -> Self {
        self.role = UserRole::new(role);
        self
    }
    optional_user_setters!();
    /// `true`: no invitation e-mail is sent (quiet bulk onboarding).
    pub fn invitation_disabled(mut self, yes: bool) -> Self {
        self.invitation_disabled = Some(yes);
        self
    }
    /// The username.
    pub fn username(&self) -> &Username {
        &self.username
    }

    fn requested(&self) -> Requested {
        self.optional
            .requested(Some(self.full_name.clone()), Some(self.role.name.clone()))
    }
}

/// A partial update (`PATCH /v2/users/{id}`): only the fields set here are
/// sent. There is no username field: Opsgenie does not allow changing it
/// (e-mail changes go through SCIM or the Atlassian account).
///
/// ```
/// use opsgenie_users::api::users::UserUpdate;
/// let u = UserUpdate::new().full_name("Jane Smith").tags(["oncall"]);
/// assert_eq!(
///     serde_json::to_value(&u).unwrap(),
///     serde_json::json!({"fullName": "Jane Smith", "tags": ["oncall"]})
/// );
/// assert_eq!(serde_json::to_string(&UserUpdate::new()).unwrap(), "{}");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<UserRole>,
    #[serde(flatten)]
    optional: OptionalFields,
}

impl UserUpdate {
    /// An empty update.
    pub fn new() -> Self {
        Self::default()
    }
    /// Display name (ignored by the server for users linked to an Atlassian account).
    pub fn full_name(mut self, v: impl Into<String>) -> Self {
        self.full_name = Some(v.into());
        self
    }
    /// Account role (case-sensitive; an unknown name becomes `User`).
    pub fn role(mut self, role: impl Into<Role>) -> Self {
        self.role = Some(UserRole::new(role));
        self
    }
    optional_user_setters!();
    /// True when no field is set (the PATCH would change nothing).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn requested(&self) -> Requested {
        self.optional.requested(
            self.full_name.clone(),
            self.role.as_ref().map(|r| r.name.clone()),
        )
    }
}

/// The answer to [`Users::create`].
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

/// A field a verified write asked for but the server did not apply, as the
/// read-back shows it. `actual` is what the server holds now.
///
/// ```
/// use opsgenie_users::api::users::Mismatch;
/// use opsgenie_users::models::user::Role;
/// let m = Mismatch::Role { requested: Role::from("admin"), actual: Some(Role::User) };
/// assert!(m.is_role_downgrade());
/// assert_eq!(m.field(), "role");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The role did not stick (typically an unknown or mistyped name became `User`).
    Role {
        /// Sent.
        requested: Role,
        /// Read back.
        actual: Option<Role>,
    },
    /// `fullName` was ignored (accounts linked to Atlassian accounts keep theirs).
    FullName {
        /// Sent.
        requested: String,
        /// Read back.
        actual: Option<String>,
    },
    /// `skypeUsername` differs.
    SkypeUsername {
        /// Sent.
        requested: String,
        /// Read back.
        actual: Option<String>,
    },
    /// The time zone differs by canonical IANA name (aliases such as
    /// `US/Arizona` / `America/Phoenix` are not reported).
    TimeZone {
        /// Sent.
        requested: String,
        /// Read back.
        actual: Option<String>,
    },
    /// `locale` differs.
    Locale {
        /// Sent.
        requested: String,
        /// Read back.
        actual: Option<String>,
    },
    /// A part of the address that was sent differs.
    UserAddress {
        /// Sent.
        requested: UserAddress,
        /// Read back.
        actual: Option<UserAddress>,
    },
    /// The tags differ (compared as sets).
    Tags {
        /// Sent.
        requested: Vec<String>,
        /// Read back.
        actual: Vec<String>,
    },
    /// The details differ (values compared as sets per key).
    Details {
        /// Sent.
        requested: BTreeMap<String, Vec<String>>,
        /// Read back.
        actual: BTreeMap<String, Vec<String>>,
    },
}

impl Mismatch {
    /// The JSON field name (`role`, `fullName`, `timeZone`, ...).
    pub fn field(&self) -> &'static str {
        match self {
            Mismatch::Role { .. } => "role",
            Mismatch::FullName { .. } => "fullName",
            Mismatch::SkypeUsername { .. } => "skypeUsername",
            Mismatch::TimeZone { .. } => "timeZone",
            Mismatch::Locale { .. } => "locale",
            Mismatch::UserAddress { .. } => "userAddress",
            Mismatch::Tags { .. } => "tags",
            Mismatch::Details { .. } => "details",
        }
    }

    /// True when a role other than `User` was asked for and the user ended up as `User`.
    pub fn is_role_downgrade(&self) -> bool {
        matches!(self, Mismatch::Role { requested, actual: Some(Role::User) } if *requested != Role::User)
    }
}

/// The result of a verified write: what the write answered, the user as read
/// back afterwards, and every requested field that did not stick.
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// use opsgenie_users::api::users::UserCreate;
/// let v = client.users().create_checked(UserCreate::new("jo@example.com", "Jo").role("admin")).await?;
/// for m in &v.mismatches {
///     eprintln!("{} did not stick: {m:?}", m.field());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verified<W> {
    /// What the write answered.
    pub write: W,
    /// The user as read back after the write.
    pub user: User,
    /// Requested fields the server did not apply (empty: everything stuck).
    pub mismatches: Vec<Mismatch>,
}

impl<W> Verified<W> {
    /// True when every requested field stuck.
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// What a write asked for, for comparison with the read-back.
struct Requested {
    full_name: Option<String>,
    role: Option<Role>,
    skype_username: Option<String>,
    time_zone: Option<String>,
    locale: Option<String>,
    user_address: Option<UserAddress>,
    tags: Option<Vec<String>>,
    details: Option<BTreeMap<String, Vec<String>>>,
}

fn sorted(v: &[String]) -> Vec<&String> {
    let mut s: Vec<&String> = v.iter().collect();
    s.sort();
    s.dedup();
    s
}

fn address_sticks(requested: &UserAddress, actual: Option<&UserAddress>) -> bool {
    let empty = UserAddress::default();
    let actual = actual.unwrap_or(&empty);
    let part = |r: &Option<String>, a: &Option<String>| {
        r.as_deref()
            .is_none_or(|r| r == a.as_deref().unwrap_or_default())
    };
    part(&requested.country, &actual.country)
        && part(&requested.state, &actual.state)
        && part(&requested.city, &actual.city)
        && part(&requested.line, &actual.line)
        && part(&requested.zip_code, &actual.zip_code)
}

impl Requested {
    fn diff(self, user: &User) -> Vec<Mismatch> {
        let mut out = Vec::new();
        if let Some(requested) = self.role {
            let actual = user.role_name().cloned();
            if actual.as_ref() != Some(&requested) {
                out.push(Mismatch::Role { requested, actual });
            }
        }
        if let Some(requested) = self.full_name {
            if user.full_name.as_deref() != Some(requested.as_str()) {
                out.push(Mismatch::FullName {
                    requested,
                    actual: user.full_name.clone(),
                });
            }
        }
        if let Some(requested) = self.skype_username {
            if user.skype_username.as_deref().unwrap_or_default() != requested {
                out.push(Mismatch::SkypeUsername {
                    requested,
                    actual: user.skype_username.clone(),
                });
            }
        }
        if let Some(requested) = self.time_zone {
            let same = user
                .time_zone
                .as_deref()
                .is_some_and(|a| same_time_zone(a, &requested));
            if !same {
                out.push(Mismatch::TimeZone {
                    requested,
                    actual: user.time_zone.clone(),
                });
            }
        }
        if let Some(requested) = self.locale {
            if user.locale.as_deref() != Some(requested.as_str()) {
                out.push(Mismatch::Locale {
                    requested,
                    actual: user.locale.clone(),
                });
            }
        }
        if let Some(requested) = self.user_address {
            if !address_sticks(&requested, user.user_address.as_ref()) {
                out.push(Mismatch::UserAddress {
                    requested,
                    actual: user.user_address.clone(),
                });
            }
        }
        if let Some(requested) = self.tags {
            if sorted(&requested) != sorted(&user.tags) {
                out.push(Mismatch::Tags {
                    requested,
                    actual: user.tags.clone(),
                });
            }
        }
        if let Some(requested) = self.details {
            let norm = |m: &BTreeMap<String, Vec<String>>| -> BTreeMap<String, Vec<String>> {
                m.iter()
                    .map(|(k, v)| (k.clone(), sorted(v).into_iter().cloned().collect()))
                    .collect()
            };
            if norm(&requested) != norm(&user.details) {
                out.push(Mismatch::Details {
                    requested,
                    actual: user.details.clone(),
                });
            }
        }
        out
    }
}

fn user_path(method: fn(Domain) -> ApiRequest, user: &UserRef) -> ApiRequest {
    super::user_segment(method(Domain::Configuration).path("v2/users"), user)
}

impl Users {
    /// Creates a user (`POST /v2/users`, 201) and returns its id.
    ///
    /// A create is never resent blindly. When its answer is lost (timeout,
    /// broken connection, 5xx, or a success body that does not decode), the
    /// username is looked up once (`GET /v2/users/{username}`): if the user
    /// exists its id is returned with [`CreatedUser::recovered`] set;
    /// otherwise the call fails with [`Error::AmbiguousOutcome`] (the create
    /// may still be applied later; nothing was resent). A user that already
    /// existed under that username before the call is indistinguishable from
    /// one this call created.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::UserCreate;
    /// let created = client
    ///     .users()
    ///     .create(UserCreate::new("jane@example.com", "Jane Doe").invitation_disabled(true))
    ///     .await?;
    /// println!("{}", created.id);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, user: UserCreate) -> Result<CreatedUser> {
        let mut req = ApiRequest::post(Domain::Configuration)
            .path("v2/users")
            .json(&user)
            .idempotent(false);
        if let Err(e) = ids::validate("username", user.username.as_str()) {
            req = req.invalid(e.to_string());
        }
        let lost = match self.client.send(req).await {
            Ok(resp) => match resp.json::<WriteResult>() {
                Ok(w) => match w.data.as_ref().and_then(|d| d.id.clone()) {
                    Some(id) => {
                        let username = w
                            .data
                            .and_then(|d| d.name)
                            .map(Username::new)
                            .unwrap_or_else(|| user.username.clone());
                        return Ok(CreatedUser {
                            id: UserId::new(id),
                            username,
                            recovered: false,
                            request_id: w.request_id.or_else(|| resp.request_id()),
                        });
                    }
                    // Accepted without an id (202): find it by username.
                    None => {
                        let found = self.lookup_created(&user.username).await;
                        return match found {
                            Ok(Some(u)) => Ok(CreatedUser {
                                id: u.id,
                                username: u.username,
                                recovered: false,
                                request_id: w.request_id.or_else(|| resp.request_id()),
                            }),
                            // Accepted but not visible yet: applied asynchronously.
                            Ok(None) => Err(Error::AmbiguousOutcome {
                                operation: format!(
                                    "create user {} (accepted without an id, not found by username yet)",
                                    user.username
                                ),
                                cause: Box::new(Error::Api(Box::new(crate::ApiError::from_parts(
                                    resp.status,
                                    &resp.headers,
                                    &resp.body,
                                )))),
                            }),
                            // Accepted, but the id could not be read back.
                            Err(e) => Err(Error::AmbiguousOutcome {
                                operation: format!(
                                    "create user {} (accepted without an id; the lookup failed)",
                                    user.username
                                ),
                                cause: Box::new(e),
                            }),
                        };
                    }
                },
                Err(decode) => decode,
            },
            Err(e) if e.may_have_reached_server() => e,
            Err(e) => return Err(e),
        };
        tracing::warn!(username = %user.username, error = %lost, "create user: answer lost; looking the username up instead of resending");
        match self.lookup_created(&user.username).await {
            Ok(Some(u)) => Ok(CreatedUser {
                id: u.id,
                username: u.username,
                recovered: true,
                request_id: None,
            }),
            Ok(None) => Err(Error::AmbiguousOutcome {
                operation: format!("create user {}", user.username),
                cause: Box::new(lost),
            }),
            Err(lookup) => {
                tracing::warn!(username = %user.username, error = %lookup, "create user: the lookup after a lost answer failed too");
                Err(Error::AmbiguousOutcome {
                    operation: format!(
                        "create user {} (the lookup failed: {lookup})",
                        user.username
                    ),
                    cause: Box::new(lost),
                })
            }
        }
    }

    /// `GET /v2/users/{username}` (lowercased, as the server stores it):
    /// `Ok(None)` on 404.
    async fn lookup_created(&self, username: &Username) -> Result<Option<User>> {
        let lower = UserRef::username(username.as_str().to_lowercase());
        match self.get(lower).send().await {
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
    /// use opsgenie_users::api::users::UserCreate;
    /// let v = client
    ///     .users()
    ///     .create_checked(UserCreate::new("jo@example.com", "Jo").role("Site Reliability"))
    ///     .await?;
    /// if v.mismatches.iter().any(|m| m.is_role_downgrade()) {
    ///     eprintln!("no such role; {} is a plain User", v.user.username);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_checked(&self, user: UserCreate) -> Result<Verified<CreatedUser>> {
        let requested = user.requested();
        let write = self.create(user).await?;
        let read = self.get(&write.id).send().await?;
        Ok(Verified {
            mismatches: requested.diff(&read),
            write,
            user: read,
        })
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
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::UserUpdate;
    /// client.users().update("jane@example.com", UserUpdate::new().locale("en_GB")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        user: impl Into<UserRef>,
        update: UserUpdate,
    ) -> Result<WriteResult> {
        let user = user.into();
        let req = user_path(ApiRequest::patch, &user)
            .json(&update)
            .idempotent(true);
        self.client.send(req).await?.json()
    }

    /// [`update`](Self::update), then reads the user back and reports every
    /// requested field that did not stick.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::UserUpdate;
    /// let v = client
    ///     .users()
    ///     .update_checked("jane@example.com", UserUpdate::new().time_zone("US/Arizona"))
    ///     .await?;
    /// assert!(v.is_clean() || !v.mismatches.is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn update_checked(
        &self,
        user: impl Into<UserRef>,
        update: UserUpdate,
    ) -> Result<Verified<WriteResult>> {
        let user = user.into();
        let requested = update.requested();
        let write = self.update(user.clone(), update).await?;
        let read = self.get(user).send().await?;
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
    /// DELETE is retried after a 5xx or timeout. When such a retry answers
    /// 404, the user is gone either way (most likely the earlier attempt
    /// deleted it and its answer was lost), so the call succeeds with
    /// `result` = `"Deleted"` and [`WriteResult::request_id`] of the 404. A 404
    /// on the first attempt is [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.users().delete("jane@example.com").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, user: impl Into<UserRef>) -> Result<WriteResult> {
        let req = user_path(ApiRequest::delete, &user.into());
        let resp = self.client.execute(&req).await?;
        if resp.status == http::StatusCode::NOT_FOUND && resp.attempts > 1 {
            tracing::info!(path = %req.path_str(), attempts = resp.attempts, "delete user: retry found the user already gone");
            return Ok(WriteResult {
                result: "Deleted".into(),
                request_id: resp.request_id(),
                ..WriteResult::default()
            });
        }
        resp.error_for_status()?.json()
    }

    /// Lists users (`GET /v2/users`, rate-limit domain **Search**), one page
    /// or as a stream.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::api::users::UserSort;
    /// use opsgenie_users::models::common::SortOrder;
    /// let page = client.users().list().limit(50).sort(UserSort::FullName)
    ///     .order(SortOrder::Desc).query("role:admin").send().await?;
    /// println!("{} of {:?}", page.items.len(), page.total_count);
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListUsers {
        ListUsers {
            client: self.client.clone(),
            params: ListParams::default(),
        }
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

    async fn sub_list<T: serde::de::DeserializeOwned>(
        &self,
        user: UserRef,
        what: &str,
    ) -> Result<Vec<T>> {
        let req = user_path(ApiRequest::get, &user).path(what);
        self.client.send(req).await?.data()
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
    pub async fn teams(&self, user: impl Into<UserRef>) -> Result<Vec<UserTeam>> {
        self.sub_list(user.into(), "teams").await
    }

    /// The schedules the user takes part in (`GET /v2/users/{id}/schedules`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let s = client.users().schedules("jane@example.com").await?;
    /// # let _ = s; Ok(()) }
    /// ```
    pub async fn schedules(&self, user: impl Into<UserRef>) -> Result<Vec<UserSchedule>> {
        self.sub_list(user.into(), "schedules").await
    }

    /// The escalation policies naming the user (`GET /v2/users/{id}/escalations`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let e = client.users().escalations("jane@example.com").await?;
    /// # let _ = e; Ok(()) }
    /// ```
    pub async fn escalations(&self, user: impl Into<UserRef>) -> Result<Vec<UserEscalation>> {
        self.sub_list(user.into(), "escalations").await
    }

    /// Forwarding rules from or to the user (`GET /v2/users/{id}/forwarding-rules`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let f = client.users().forwarding_rules("jane@example.com").await?;
    /// # let _ = f; Ok(()) }
    /// ```
    pub async fn forwarding_rules(&self, user: impl Into<UserRef>) -> Result<Vec<ForwardingRule>> {
        self.sub_list(user.into(), "forwarding-rules").await
    }
}

/// Builder of `GET /v2/users/{id}`; `.await` it or call [`send`](Self::send).
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// let u = client.users().get("jane@example.com").expand_contacts().send().await?;
/// for c in u.contacts.unwrap_or_default() {
///     println!("{:?} {:?}", c.method, c.to);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a GetUser does nothing until awaited or sent"]
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

    /// Sends the request.
    pub async fn send(self) -> Result<User> {
        let req = user_path(ApiRequest::get, &self.user)
            .query_opt("expand", self.expand_contacts.then_some("contact"));
        self.client.send(req).await?.data()
    }
}

impl IntoFuture for GetUser {
    type Output = Result<User>;
    type IntoFuture = BoxFuture<'static, Result<User>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Sort field of List Users.
///
/// The official spec names the query parameter `sortField`; the live API
/// (and Opsgenie's own Go SDK) use `sort`, which is what this crate sends.
///
/// ```
/// assert_eq!(opsgenie_users::api::users::UserSort::InsertedAt.as_str(), "insertedAt");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserSort {
    /// `username`.
    Username,
    /// `fullName`.
    FullName,
    /// `insertedAt` (creation time).
    InsertedAt,
}

impl UserSort {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Username => "username",
            UserSort::FullName => "fullName",
            UserSort::InsertedAt => "insertedAt",
        }
    }
}

#[derive(Debug, Clone)]
struct ListParams {
    offset: u32,
    limit: u32,
    sort: Option<UserSort>,
    order: Option<SortOrder>,
    query: Option<String>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            offset: 0,
            limit: MAX_PAGE_SIZE,
            sort: None,
            order: None,
            query: None,
        }
    }
}

impl ListParams {
    fn request(&self, offset: u32, limit: u32) -> ApiRequest {
        let mut req = ApiRequest::get(Domain::Search)
            .path("v2/users")
            .query("offset", offset)
            .query("limit", limit)
            // The spec says `sortField`; the live API reads `sort`.
            .query_opt("sort", self.sort.map(UserSort::as_str))
            .query_opt("order", self.order.map(SortOrder::as_str))
            .query_opt("query", self.query.as_deref());
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            req = req.invalid(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}"
            ));
        }
        req
    }
}

/// Builder of List Users (`GET /v2/users`, rate-limit domain **Search**).
///
/// `limit` is always sent (default 100, the maximum; the guides say the
/// server's default is 20, the spec says 100) and validated to `1..=100`
/// before anything is sent.
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// use futures::TryStreamExt;
/// let mut admins = client.users().list().query("role:admin").stream();
/// while let Some(u) = admins.try_next().await? {
///     println!("{}", u.username);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ListUsers does nothing until sent or streamed"]
pub struct ListUsers {
    client: Client,
    params: ListParams,
}

impl ListUsers {
    /// Users to skip (default 0).
    pub fn offset(mut self, offset: u32) -> Self {
        self.params.offset = offset;
        self
    }
    /// Page size, 1 to 100 (default 100). Out of range fails with
    /// [`Error::InvalidInput`] before sending.
    pub fn limit(mut self, limit: u32) -> Self {
        self.params.limit = limit;
        self
    }
    /// Sort field (sent as `sort`, see [`UserSort`]).
    pub fn sort(mut self, sort: UserSort) -> Self {
        self.params.sort = Some(sort);
        self
    }
    /// Sort direction.
    pub fn order(mut self, order: SortOrder) -> Self {
        self.params.order = Some(order);
        self
    }
    /// A search such as `role:admin`, `username:jane@example.com`, `blocked:true`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.params.query = Some(query.into());
        self
    }

    /// Fetches one page.
    pub async fn send(self) -> Result<Page<User>> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        let req = self.params.request(offset, limit);
        pagination::fetch_page(&self.client, req, offset, limit).await
    }

    fn fetcher(self) -> PageFetcher<User> {
        let client = self.client;
        let params = Arc::new(self.params);
        Arc::new(move |offset, limit| {
            let client = client.clone();
            let req = params.request(offset, limit);
            Box::pin(async move { pagination::fetch_page(&client, req, offset, limit).await })
        })
    }

    /// All users from `offset` on, one page in memory at a time.
    pub fn stream(self) -> Paginated<User> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        Paginated::from_fetcher(self.fetcher(), offset, limit)
    }

    /// All pages from `offset` on, lazily (each [`Page`] carries `totalCount`).
    pub fn pages(self) -> BoxStream<'static, Result<Page<User>>> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        pagination::pages(self.fetcher(), offset, limit)
    }
}

impl IntoFuture for ListUsers {
    type Output = Result<Page<User>>;
    type IntoFuture = BoxFuture<'static, Result<Page<User>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: serde_json::Value) -> User {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn diff_reports_what_did_not_stick() {
        let req = UserCreate::new("jo@x.com", "Jo Doe")
            .role("admin")
            .time_zone("US/Arizona")
            .locale("en_GB")
            .tags(["b", "a"])
            .user_address(UserAddress {
                city: Some("Berlin".into()),
                ..Default::default()
            })
            .requested();
        let back = user(serde_json::json!({
            "id": "1", "username": "jo@x.com", "fullName": "Jo Doe",
            "role": {"id": "User", "name": "User"}, "timeZone": "America/Phoenix",
            "locale": "en_US", "tags": ["a", "b"],
            "userAddress": {"country": "", "city": "Berlin"}
        }));
        let m = req.diff(&back);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(m[0].is_role_downgrade());
        assert_eq!(m[1].field(), "locale");
    }

    #[test]
    fn diff_of_an_update_only_checks_set_fields() {
        let back = user(serde_json::json!({"id": "1", "username": "jo@x.com", "fullName": "Old"}));
        assert!(UserUpdate::new().requested().diff(&back).is_empty());
        let m = UserUpdate::new()
            .full_name("New")
            .time_zone("UTC")
            .requested()
            .diff(&back);
        assert_eq!(
            m,
            vec![
                Mismatch::FullName {
                    requested: "New".into(),
                    actual: Some("Old".into())
                },
                Mismatch::TimeZone {
                    requested: "UTC".into(),
                    actual: None
                }
            ]
        );
        let gmt = user(serde_json::json!({"id": "1", "username": "jo@x.com", "timeZone": "GMT"}));
        assert!(UserUpdate::new()
            .time_zone("UTC")
            .requested()
            .diff(&gmt)
            .is_empty());
    }

    #[test]
    fn list_request_validates_limit_and_names_sort_sort() {
        let p = ListParams {
            sort: Some(UserSort::FullName),
            order: Some(SortOrder::Desc),
            query: Some("role:admin".into()),
            ..ListParams::default()
        };
        let r = p.request(0, 100);
        assert_eq!(r.domain(), Domain::Search);
        let q: Vec<(&str, &str)> = r
            .query_pairs()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("offset", "0"),
                ("limit", "100"),
                ("sort", "fullName"),
                ("order", "desc"),
                ("query", "role:admin")
            ]
        );
        assert!(p.request(0, 0).invalid.is_some());
        assert!(p.request(0, 101).invalid.is_some());
        assert!(p.request(0, 1).invalid.is_none());
    }
}
