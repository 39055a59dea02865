//! Resource handlers: one module per resource. Each builds [`ApiRequest`](crate::ApiRequest)s
//! and sends them through [`Client::send`](crate::Client::send); none builds HTTP by hand.
//!
//! Every handler is owned and cheap to clone (it holds a [`Client`], an
//! `Arc`): `client.users()`, `client.teams()`, `client.roles()`,
//! `client.contacts(user)`, `client.schedules()`, `client.escalations()`,
//! `client.forwarding_rules()`, `client.offboarding()`. Every call returns a builder that is awaited
//! directly (it implements [`IntoFuture`](std::future::IntoFuture)):
//! required inputs are arguments, optional ones are setters, and nothing is
//! sent until the builder is awaited.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! let team = client.teams().get("sre").await?;
//! let jane = client.users().get("jane@example.com").expand_contacts().await?;
//! # let _ = (team, jane); Ok(()) }
//! ```

pub mod contacts;
pub mod forwarding;
pub mod offboard;
pub mod roles;
pub mod schedules;
pub mod teams;
pub mod users;
pub(crate) mod write;

use std::fmt;
use std::future::Future;

use futures::FutureExt;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::ids::{NamedSegment, PathSegment, UserRef};
use crate::models::common::{Created, WriteResult};
use crate::request::ApiResponse;
use crate::Client;

pub use offboard::OffboardingStep;
pub use teams::MembershipStep;

type Req = crate::request::ApiRequest;

/// Declares a call builder: a named type, awaited directly, that sends
/// nothing until awaited. Calls without optional inputs use it; a setter
/// can be added later without changing the type's name.
macro_rules! call {
    ($(#[$m:meta])* $name:ident -> $out:ty) => {
        $(#[$m])*
        #[must_use = "a call does nothing until awaited"]
        pub struct $name(futures::future::BoxFuture<'static, $crate::Result<$out>>);

        impl $name {
            fn new(fut: impl std::future::Future<Output = $crate::Result<$out>> + Send + 'static) -> Self {
                $name(Box::pin(fut))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }

        impl std::future::IntoFuture for $name {
            type Output = $crate::Result<$out>;
            type IntoFuture = futures::future::BoxFuture<'static, $crate::Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                self.0
            }
        }
    };
}
pub(crate) use call;

/// A step of a multi-step operation, as [`Error::PartiallyApplied`] lists it.
///
/// ```
/// use opsgenie_users::api::{MembershipStep, Step};
/// use opsgenie_users::models::team::{MemberUser, TeamRole};
/// use opsgenie_users::UserRef;
/// let user = MemberUser::from(&UserRef::id("u-3"));
/// let s = Step::Membership(MembershipStep::Remove { user: user.clone(), team: None });
/// assert_eq!(s.to_string(), "remove u-3");
/// let s = Step::from(MembershipStep::Add { user, role: TeamRole::Admin, team: Some("sre".into()) });
/// assert_eq!(s.to_string(), "add u-3 to team sre as admin");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// An offboarding step; `outcome` is set for a step that was applied.
    Offboarding {
        /// The step.
        step: OffboardingStep,
        /// What happened, for an applied step.
        #[serde(skip_serializing_if = "Option::is_none")]
        outcome: Option<offboard::StepOutcome>,
    },
    /// A team membership change.
    Membership(MembershipStep),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Offboarding {
                step,
                outcome: Some(o),
            } => write!(f, "{step}: {o:?}"),
            Step::Offboarding {
                step,
                outcome: None,
            } => step.fmt(f),
            Step::Membership(m) => m.fmt(f),
        }
    }
}

impl From<OffboardingStep> for Step {
    fn from(step: OffboardingStep) -> Self {
        Step::Offboarding {
            step,
            outcome: None,
        }
    }
}

impl From<MembershipStep> for Step {
    fn from(m: MembershipStep) -> Self {
        Step::Membership(m)
    }
}

/// Appends an identifier as one validated, encoded path segment.
pub(crate) fn id_segment(req: Req, id: &impl PathSegment) -> Req {
    req.segment(id.kind(), id.as_str())
}

/// Appends a user identifier as one validated, encoded path segment.
pub(crate) fn user_segment(req: Req, user: &UserRef) -> Req {
    id_segment(req, user)
}

/// Appends an id-or-name identifier as one path segment and its type as the
/// query parameter `type_param` (`identifierType`, `teamIdentifierType`, ...).
pub(crate) fn named_segment(req: Req, type_param: &str, value: &impl NamedSegment) -> Req {
    id_segment(req, value).query(type_param, value.identifier_type())
}

/// Decodes a write answer; an empty body (some 202s) is an empty result.
pub(crate) fn write_result(resp: &ApiResponse) -> Result<WriteResult> {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(WriteResult::default());
    }
    resp.json()
}

/// Sends `req` and decodes the answer's `data`. The send's own future with
/// the decoding mapped onto it: no second future around it.
pub(crate) fn send_data<T: DeserializeOwned>(
    client: Client,
    req: Req,
) -> impl Future<Output = Result<T>> + Send {
    Client::send_on(client, req).map(|answer| answer?.data())
}

/// Sends `req` and decodes the write answer, like [`send_data`].
pub(crate) fn send_write(
    client: Client,
    req: Req,
) -> impl Future<Output = Result<WriteResult>> + Send {
    Client::send_on(client, req).map(|answer| write_result(&answer?))
}

/// Sends a create and returns the created entity's typed id, on the one
/// path of writes that finish ([`write::finish`]): a lost answer is settled
/// with `lookup` (by the unique name the create sent; `Ok(None)`: not
/// there), the create resent when it was not applied, and an answer without
/// an id completed by the lookup.
///
/// The request is borrowed, as [`write::finish`] borrows it: the caller's
/// future keeps it once (a request handed over by value would be stored
/// twice: in the caller's future and in this one).
pub(crate) fn send_create<'a, I, F, L>(
    client: &'a Client,
    req: &'a mut Req,
    what: String,
    lookup: L,
) -> impl Future<Output = Result<Created<I>>> + 'a
where
    I: From<String> + 'a,
    L: Fn() -> F + 'a,
    F: Future<Output = Result<Option<I>>>,
{
    let has_id = |w: &WriteResult| w.data.as_ref().is_some_and(|d| d.id.is_some());
    write::finish(client, req, what, has_id, lookup).map(|done| {
        let done = done?;
        let request_id = done.request_id();
        let (result, data) = match done.answer {
            Some((w, _)) => (w.result, w.data.unwrap_or_default()),
            None => (String::new(), Default::default()),
        };
        let id = match done.found {
            Some(id) => *id,
            // `has_id` held: the answer carried the id.
            None => I::from(data.id.unwrap_or_default()),
        };
        Ok(Created::new(id, data.name, result, request_id))
    })
}

/// A read's result with 404 as `None`: what a lookup after a lost write answers.
pub(crate) fn found<T>(read: Result<T>) -> Result<Option<T>> {
    match read {
        Ok(t) => Ok(Some(t)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// True for the errors an idempotent removal treats as "already done".
pub(crate) fn is_gone(e: &Error) -> bool {
    matches!(e, Error::NotFound(_))
}

/// Resolves a user to their id: an id is returned as is, a username is
/// looked up with `GET /v2/users/{username}`.
pub(crate) async fn resolve_user_id(
    client: &crate::Client,
    user: &UserRef,
) -> Result<crate::ids::UserId> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: crate::ids::UserId,
    }
    match user {
        UserRef::Id(i) => Ok(i.clone()),
        UserRef::Username(_) => {
            let req = user_segment(
                Req::get(crate::Domain::Configuration).path("v2/users"),
                user,
            );
            Ok(client.send(req).await?.data::<IdOnly>()?.id)
        }
    }
}
