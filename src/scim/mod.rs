//! SCIM 2.0 client (RFC 7643/7644) for the Atlassian user directory, or any
//! SCIM server.
//!
//! Atlassian Guard provisions Atlassian accounts (and through group-to-product
//! assignment, Opsgenie access) over SCIM at
//! `https://api.atlassian.com/scim/directory/{directoryId}`, authenticated by
//! the directory's bearer token (which expires after a year).
//!
//! ```no_run
//! use opsgenie_users::scim::{Filter, PatchOp, ScimClient, ScimUser, Upserted};
//! # async fn demo() -> opsgenie_users::Result<()> {
//! let scim = ScimClient::builder()
//!     .atlassian_directory("your-directory-id")
//!     .token("your-scim-token")
//!     .build()?;
//!
//! // create or update, keyed on the identity provider's id
//! let outcome = scim
//!     .users()
//!     .upsert(&ScimUser::new("jane@example.com").external_id("okta-00u1").display_name("Jane Doe"))
//!     .await?;
//! let id = outcome.user().id.clone().expect("the server assigns an id");
//!
//! // offboard: deactivate (never delete) and drop group memberships
//! scim.users().deactivate(&id).strip_groups(true).await?;
//!
//! // any other change
//! scim.users().patch(&id, PatchOp::new().replace("title", "Former SRE")).await?;
//! let _ = scim.users().list().filter(Filter::user_name_eq("jane@example.com")).await?;
//! # Ok(()) }
//! ```
//!
//! Provider differences the client handles rather than hides:
//! * PATCH may answer `200` with the resource (Atlassian) or `204` without a
//!   body (scim2-server): [`ScimUsers::patch`] resolves to an `Option`,
//!   [`ScimPatch::read_back`] reads back.
//! * `DELETE /Users/{id}` deactivates on Atlassian but deletes elsewhere:
//!   use [`ScimUsers::deactivate`] to offboard.
//! * Error `status` arrives as a string or a number; Atlassian's 401/403
//!   bodies are `{"error", "traceId"}`: all become typed [`Error`](crate::Error)s,
//!   409 as [`Error::Conflict`](crate::Error::Conflict), as from the REST API.
//! * Member removal uses the `members[value eq "id"]` path form.
//!
//! # Tested against scim2-server 0.8.3
//!
//! `tests/scim_server.rs` runs the client against the real server (with
//! Atlassian's schema files). What it accepted, rejected, and how the client
//! deals with it:
//!
//! | RFC 7644 feature | scim2-server | client |
//! |---|---|---|
//! | PATCH result (§3.5.2) | `204` no body (`200` + resource only with `?attributes=`) | [`ScimUsers::patch`] resolves to `None`; [`ScimPatch::read_back`] reads back |
//! | Error `status` (§3.12) | JSON string `"409"` | string or number accepted, kept as text in [`ScimErrorDetail`](crate::ScimErrorDetail) |
//! | Duplicate `userName` | `409` `scimType: uniqueness`, case-insensitive | [`Error::Conflict`](crate::Error::Conflict) |
//! | Bad token | `401` SCIM error, `WWW-Authenticate: Bearer` | [`Error::Unauthorized`](crate::Error::Unauthorized) |
//! | Filters incl. `and`/`or`, `pr`, value paths | all accepted | [`Filter`] builds any; Atlassian takes only `eq` on `userName`/`externalId`/`displayName` |
//! | Filter string escapes | JSON rules (control characters must be `\uXXXX`) | values written as JSON strings (property test against the server) |
//! | `remove` with a `value` | `400 invalidValue` | [`PatchOp::remove_members`] uses the path form |
//! | `remove` whose filter matches nothing | `204` | same call is safe to repeat (retried like `replace`) |
//! | `op: "Replace"` capitalised | accepted | always sends lowercase, reads either |
//! | Unknown attributes in a body | `400 invalidSyntax` | kept in `extra` on read; sending them is the caller's choice |
//! | `readOnly` `id`/`meta`/`groups` in a PUT body | ignored | sent back as read (round trip) |
//! | `id` in a PATCH | `400 mutability` | not produced by [`ScimUser::changes_from`] |
//! | `startIndex`/`count` | any `count` up to 1000 | `count` 1 to 100 (Atlassian's maximum; others refused before sending); stops on total, empty page, or a page of seen ids |
//! | Cursor paging (RFC 9865) | off by default | `nextCursor` followed when sent |
//! | `sortBy`/`sortOrder`, `attributes`, `excludedAttributes` | accepted | [`ScimList`] options |
//! | `User.groups` | never filled | [`Deactivate::strip_groups`] scans groups when it is empty |
//! | Deleting a user | removes it; group memberships stay dangling | [`ScimUsers::delete`] documented per provider |
//! | HTTP/1.0, no keep-alive | every request on a new connection | nothing to do (reqwest handles it) |
//! | `POST /.search`, Bulk, ETag `If-Match` (`412`) | supported | not used by the client |

mod client;
mod filter;
mod groups;
mod ids;
mod list;
mod models;
mod patch;
mod resource;
mod users;

pub use client::{ScimClient, ScimClientBuilder, ATLASSIAN_SCIM_PREFIX, SCIM_JSON};
pub use filter::{quote, Filter, FilterValue, Op};
pub use groups::{ScimGroups, ScimReplaceGroup};
pub use ids::{ScimGroupId, ScimUserId};
pub use list::ScimList;
pub use models::{
    AtlassianUser, EnterpriseUser, Extra, GroupRef, ListResponse, Member, Meta, MultiValue, Name,
    ResourceType, Schema, SchemaAttribute, SchemaExtension, ScimGroup, ScimUser,
    ServiceProviderConfig, Supported, ATLASSIAN_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ERROR_SCHEMA,
    GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA,
};
pub use patch::{PatchKind, PatchOp, PatchOperation};
pub use resource::{
    ScimCreate, ScimDelete, ScimGet, ScimPatch, ScimPatchAndGet, ScimReplace, ScimResource,
};
pub use users::{Deactivate, Deactivated, ScimUsers, Upserted};
