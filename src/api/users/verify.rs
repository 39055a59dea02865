//! Verified writes: what a write asked for, compared with the user read
//! back afterwards ([`Mismatch`], [`Verified`]), one user at a time or many
//! from the user list ([`Expected`], [`UserCheck`]).

use std::collections::BTreeMap;

use crate::ids::UserRef;
use crate::models::timezone::same_time_zone;
use crate::models::user::{OptionalFields, Role, User, UserAddress, UserCreate, UserUpdate};

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
/// use opsgenie_users::models::user::UserCreate;
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

/// What a user should look like after a write, for
/// [`UsersHandler::verify`](super::UsersHandler::verify): the user and the
/// fields the write set, compared as [`create_checked`](super::UsersHandler::create_checked)
/// and [`update_checked`](super::UsersHandler::update_checked) compare them.
///
/// ```
/// use opsgenie_users::api::users::Expected;
/// use opsgenie_users::models::user::{UserCreate, UserUpdate};
/// let create = UserCreate::new("Jo@Example.com", "Jo").role("admin");
/// let e = Expected::created(&create);
/// assert_eq!(e.user().as_str(), "jo@example.com");
/// let e = Expected::updated("sam@example.com", &UserUpdate::new().locale("en_GB"));
/// assert_eq!(e.user().as_str(), "sam@example.com");
/// ```
#[derive(Debug, Clone)]
pub struct Expected {
    user: UserRef,
    requested: Requested,
}

impl Expected {
    /// After a create: found by username (lowercased, as the server stores
    /// it), every field the create set compared (the address whole).
    pub fn created(create: &UserCreate) -> Self {
        Expected {
            user: UserRef::username(create.username.as_str().to_lowercase()),
            requested: create.requested(),
        }
    }

    /// After an update of `user` (id or username): the fields the update
    /// set. A partial address compares only the parts it sets (the update
    /// kept the others).
    pub fn updated(user: impl Into<UserRef>, update: &UserUpdate) -> Self {
        let mut requested = update.requested();
        requested.address_parts_only = true;
        let user = match user.into() {
            UserRef::Username(n) => UserRef::username(n.as_str().to_lowercase()),
            id => id,
        };
        Expected { user, requested }
    }

    /// The user it is about.
    pub fn user(&self) -> &UserRef {
        &self.user
    }

    /// The key a listed user matches this expectation by (see [`keys_of`]).
    pub(crate) fn key(&self) -> String {
        match &self.user {
            UserRef::Id(id) => format!("id:{id}"),
            UserRef::Username(n) => format!("username:{}", n.as_str().to_lowercase()),
        }
    }

    /// The result for `user` as read (`None`: not found).
    pub(crate) fn check(self, user: Option<User>) -> UserCheck {
        let mismatches = match &user {
            Some(u) => self.requested.diff(u),
            None => Vec::new(),
        };
        UserCheck {
            expected: self.user,
            user,
            mismatches,
        }
    }
}

/// The keys a listed user is found by: its id and its lowercased username.
pub(crate) fn keys_of(u: &User) -> [String; 2] {
    [
        format!("id:{}", u.id),
        format!("username:{}", u.username.as_str().to_lowercase()),
    ]
}

/// One user's result of [`UsersHandler::verify`](super::UsersHandler::verify).
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// use opsgenie_users::api::users::Expected;
/// use opsgenie_users::models::user::UserCreate;
/// let create = UserCreate::new("jo@example.com", "Jo").role("admin");
/// client.users().create(create.clone()).await?;
/// for c in client.users().verify([Expected::created(&create)]).await? {
///     if c.is_missing() {
///         eprintln!("{} is not there", c.expected);
///     }
///     for m in &c.mismatches {
///         eprintln!("{}: {} did not stick", c.expected, m.field());
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserCheck {
    /// The user expected.
    pub expected: UserRef,
    /// The user as read; `None`: not found.
    pub user: Option<User>,
    /// Requested fields the server did not apply (empty when missing).
    pub mismatches: Vec<Mismatch>,
}

impl UserCheck {
    /// True when the user was found and every requested field stuck.
    pub fn is_clean(&self) -> bool {
        self.user.is_some() && self.mismatches.is_empty()
    }

    /// True when the user was not found.
    pub fn is_missing(&self) -> bool {
        self.user.is_none()
    }
}

/// What a write asked for, for comparison with the read-back.
#[derive(Debug, Clone)]
pub(crate) struct Requested {
    full_name: Option<String>,
    role: Option<Role>,
    skype_username: Option<String>,
    time_zone: Option<String>,
    locale: Option<String>,
    user_address: Option<UserAddress>,
    /// Compare only the address parts set (an update merges the rest).
    address_parts_only: bool,
    tags: Option<Vec<String>>,
    details: Option<BTreeMap<String, Vec<String>>>,
}

fn sorted(v: &[String]) -> Vec<&String> {
    let mut s: Vec<&String> = v.iter().collect();
    s.sort();
    s.dedup();
    s
}

/// The whole address compares: every part, absent and empty alike (the
/// server sends `""` for a part never set). An update's address was merged
/// with the current one before sending, so it names every part.
fn address_sticks(requested: &UserAddress, actual: Option<&UserAddress>) -> bool {
    let empty = UserAddress::default();
    let actual = actual.unwrap_or(&empty);
    let part = |r: &Option<String>, a: &Option<String>| {
        r.as_deref().unwrap_or_default() == a.as_deref().unwrap_or_default()
    };
    part(&requested.country, &actual.country)
        && part(&requested.state, &actual.state)
        && part(&requested.city, &actual.city)
        && part(&requested.line, &actual.line)
        && part(&requested.zip_code, &actual.zip_code)
}

impl Requested {
    pub(crate) fn diff(self, user: &User) -> Vec<Mismatch> {
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
            let compared = if self.address_parts_only {
                requested
                    .clone()
                    .merged_over(user.user_address.clone().unwrap_or_default())
            } else {
                requested.clone()
            };
            if !address_sticks(&compared, user.user_address.as_ref()) {
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

impl OptionalFields {
    fn requested(&self, full_name: Option<String>, role: Option<Role>) -> Requested {
        Requested {
            full_name,
            role,
            skype_username: self.skype_username.clone(),
            time_zone: self.time_zone.clone(),
            locale: self.locale.clone(),
            user_address: self.user_address.clone(),
            address_parts_only: false,
            tags: self.tags.clone(),
            details: self.details.clone(),
        }
    }
}

impl UserCreate {
    pub(crate) fn requested(&self) -> Requested {
        self.optional
            .requested(Some(self.full_name.clone()), Some(self.role.name.clone()))
    }
}

impl UserUpdate {
    pub(crate) fn requested(&self) -> Requested {
        self.optional.requested(
            self.full_name.clone(),
            self.role.as_ref().map(|r| r.name.clone()),
        )
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
}
