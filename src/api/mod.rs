//! Resource handlers: one module per resource. Each builds [`ApiRequest`](crate::ApiRequest)s
//! and sends them through [`Client::send`](crate::Client::send); none builds HTTP by hand.

pub mod contacts;
pub mod offboard;
pub mod roles;
pub mod schedules;
pub mod teams;
pub mod users;

use crate::error::{Error, Result};
use crate::ids::{NameOrId, UserRef};
use crate::models::common::WriteResult;
use crate::request::ApiResponse;

type Req = crate::request::ApiRequest;

/// Appends a user identifier as one validated, encoded path segment.
pub(crate) fn user_segment(req: Req, user: &UserRef) -> Req {
    req.segment(user.kind(), user.as_str())
}

/// Appends an id-or-name identifier as one path segment and its type as the
/// query parameter `type_param` (`identifierType`, `teamIdentifierType`, ...).
pub(crate) fn named_segment(req: Req, kind: &str, type_param: &str, value: &NameOrId) -> Req {
    req.segment(kind, value.as_str())
        .query(type_param, value.identifier_type())
}

/// Decodes a write answer; an empty body (some 202s) is an empty result.
pub(crate) fn write_result(resp: &ApiResponse) -> Result<WriteResult> {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(WriteResult::default());
    }
    resp.json()
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
