//! Typed SCIM identifiers: the server-assigned `id` of a user or a group.
//! In a path each is validated and encoded as one segment by
//! [`ApiRequest::segment`](crate::ApiRequest::segment).

use std::fmt;

use crate::ids::{string_id, PathSegment};

string_id!(
    /// A SCIM user's `id`, assigned by the server (not the `userName`, not
    /// the `externalId`).
    ///
    /// ```
    /// use opsgenie_users::scim::ScimUserId;
    /// let id = ScimUserId::from("2819c223-7f76-453a-919d-413861904646");
    /// assert_eq!(id, "2819c223-7f76-453a-919d-413861904646");
    /// ```
    ScimUserId,
    "SCIM user id"
);
string_id!(
    /// A SCIM group's `id`, assigned by the server (not its `displayName`).
    ScimGroupId,
    "SCIM group id"
);
