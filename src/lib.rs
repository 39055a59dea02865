//! # opsgenie-users
//!
//! Async Rust SDK for Opsgenie user management: users, contacts, teams,
//! custom roles, the Atlassian SCIM directory, with a rate-limit-aware
//! scheduler and paginating streams.
//!
//! ```no_run
//! # async fn demo() -> opsgenie_users::Result<()> {
//! let client = opsgenie_users::Client::from_env()?;
//! # let _ = client;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
#[cfg(feature = "atlassian")]
pub mod atlassian;
pub mod client;
pub mod error;
pub mod export;
pub mod ids;
pub mod models;
pub mod pagination;
pub mod ratelimit;
pub mod request;
pub mod retry;
pub mod scim;
mod secret;
pub mod transport;

// Compile the README's Rust snippets as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use client::{Client, ClientBuilder, Region};
pub use error::{ApiError, Error, RateLimitInfo, Result, ScimErrorDetail, ScimType};
pub use ids::{
    ContactId, CustomRoleId, CustomRoleRef, EscalationId, EscalationRef, ForwardingRuleId,
    ForwardingRuleRef, RotationId, ScheduleId, ScheduleRef, TeamId, TeamRef, TeamRoleId,
    TeamRoleRef, UserId, UserRef, Username,
};
pub use request::Domain;
pub use request::{ApiRequest, ApiResponse};
pub use retry::RetryPolicy;
pub use secret::{BasicAuth, BearerToken, GenieKey};
