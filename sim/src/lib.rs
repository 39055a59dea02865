//! # opsgenie-users-sim
//!
//! Test servers for code built on the [`opsgenie_users`] SDK: an in-memory
//! Opsgenie account served over HTTP ([`Server`]), and an in-process
//! rate-limited server with a load driver ([`ratelimit`]). Add it to your
//! `[dev-dependencies]`:
//!
//! ```toml
//! [dev-dependencies]
//! opsgenie-users-sim = "0.1"
//! ```
//!
//! ## The simulator
//!
//! [`Server::start`] binds `127.0.0.1` on a free port and serves the REST v2
//! calls the SDK wraps (users, contacts, teams and members, team roles,
//! custom user roles, schedules with rotations and overrides, escalations,
//! forwarding rules)
//! and the Atlassian SCIM Users/Groups subset, with the behaviour the live
//! API is known for:
//!
//! * `Authorization: GenieKey <key>`: unknown key 401; a key without
//!   Configuration Access (or without the right for the method) 403.
//! * Usernames are stored lowercased and cannot be changed (PATCH with another
//!   username answers 422); duplicate username 422; duplicate team name 409.
//! * Role names are case-sensitive and an unknown role silently becomes `User`.
//! * Deleting a user referenced by a schedule rotation or escalation, or the
//!   sole Owner, answers 422. Stakeholders cannot join teams or rotations (422).
//! * List Users: `limit` 1..=100 (default 20), `offset`, `sort`
//!   (`username|fullName|insertedAt`; `sortField` too), `order`, `query`
//!   (`field:value`), `totalCount` and absolute `paging` links.
//! * Per-domain rate limits (List Users is `Search`, the rest
//!   `Configuration`, SCIM `Scim`) with a per-second and a per-minute rolling
//!   window ([`ServerBuilder::limit`] with the SDK's
//!   [`Limits`](opsgenie_users::ratelimit::Limits)): 429 with `X-RateLimit-State: THROTTLED`, `X-RateLimit-Reason` and
//!   `X-RateLimit-Period-In-Sec`, never `Retry-After`. Every other answer
//!   carries `X-RateLimit-State: OK`; every JSON answer `took` and `requestId`.
//! * The undocumented `GET /v2/request-limits/` (in the Configuration
//!   domain) advertises the enforced limits, or others, or answers 404
//!   ([`ServerBuilder::request_limits`], [`ServerBuilder::advertise`]).
//! * Other consumers of the same quota: a steady background load
//!   ([`ServerBuilder::background_load`]) or a burst ([`Server::other_consumer`]).
//! * Fault injection ([`Fault`]): JSON 5xx, the CDN's HTML 503, a dropped
//!   connection, each before or after the write was applied, a delay; by
//!   rule ([`Server::inject`]) or for a seeded random share of all requests
//!   ([`RandomFaults`]).
//!
//! ## Write semantics
//!
//! The simulator is as strict as the spec allows, so it catches a client
//! that loses data instead of forgiving it:
//!
//! * A `PUT` is a full update, as the spec names it ("Update Custom User
//!   Role", "Update Forwarding Rule", "Update Schedule Override", not
//!   "(Partial)"): the body replaces the whole resource, and a field it
//!   leaves out takes its default or is gone (a custom role's
//!   `grantedRights`, `disallowedRights` and `extendedRole`; a forwarding
//!   rule or override refuses a body without its required fields).
//! * A `PATCH` ("(Partial)") replaces each top-level field it names whole
//!   (a user's `userAddress`, `tags` and `details`, a team role's `rights`,
//!   a team's `members`, an escalation's `rules`, a rotation's
//!   `participants` and `timeRestriction`) and keeps every field it does not
//!   name.
//! * Fields the simulator does not model are stored as written (a stand-in
//!   for fields newer than the SDK; [`Unmodelled`]) and answered back: a
//!   PATCH keeps those it does not name, a PUT replaces them with the body's.
//! * Escalation rules keep every field as written (`condition`,
//!   `notifyType`, `delay` with its unit, `recipient`, unmodelled ones). A
//!   `condition`, `notifyType` or `timeUnit` written absent stays absent in
//!   the answers (the spec's default applies), and an empty or unknown value
//!   is refused (422).
//!
//! The account starts with one user, its sole Owner `owner@example.com`;
//! [`Seed`] adds deterministic users, teams and schedules. Tests read the
//! state back ([`Server::users`], [`Server::teams`], ...) and the request log
//! ([`Server::requests`], [`Server::throttled`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use opsgenie_users::{ApiRequest, Domain};
//! use opsgenie_users_sim::{Seed, Server};
//!
//! let server = Server::builder().seed(Seed::new().users(30).teams(2)).start().await?;
//! let client = server.client();
//! let page: serde_json::Value = client
//!     .send(ApiRequest::get(Domain::Search).path("v2/users").query("limit", 10))
//!     .await?
//!     .json()?;
//! assert_eq!(page["totalCount"], 31); // 30 seeded + the account owner
//! assert_eq!(server.users().len(), 31);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Where the simulator knowingly departs from the official OpenAPI spec (it
//! follows the live API), the item documenting the behaviour says so; see
//! also `docs/simulator.md` in the repository.
//!
//! ## The rate-limit harness
//!
//! [`ratelimit::RateLimitedServer`] is a [`Transport`](opsgenie_users::transport::Transport)
//! that throttles like Opsgenie without any network, and [`ratelimit::Scenario`]
//! runs the real client's scheduler against it under tokio's paused clock:
//! minutes of a bulk job in milliseconds. Both servers share one rolling-window
//! model.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod atlassian;
mod fault;
mod handler;
mod model;
pub mod ratelimit;
mod rest;
mod scim;
mod server;
mod state;
mod window;

pub use fault::{Fault, FaultRule, RandomFaults};
pub use handler::RequestRecord;
pub use model::*;
pub use server::{KeyRights, RequestLimits, Seed, Server, ServerBuilder};

// Compile the README's Rust snippet as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
