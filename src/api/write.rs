//! Writes that finish: the one path every non-idempotent write takes (a
//! user, team, role or contact create, a team membership add).
//!
//! A write whose outcome is unknown (a 5xx after sending, a broken
//! connection, a timeout) is never resent blindly. It is looked up instead:
//!
//! * found: the write was applied and its answer lost; the call succeeds
//!   ("recovered");
//! * not found: it was not applied; it is sent again. The resend is an
//!   attempt like any retry: it goes through [`Client::send`], counts
//!   against the retry policy's attempts and is paid from the shared retry
//!   budget ([`Client::resend_delay`]);
//! * a conflict (409, or the 422 Opsgenie answers for a duplicate username)
//!   to a resend means the earlier attempt landed after the lookup: it is
//!   looked up again and recovered;
//! * the lookup itself failing (after its own retries) leaves the outcome
//!   unknown: [`Error::AmbiguousOutcome`].
//!
//! A 2xx whose body lacks what the caller needs (a 202 without an id) or
//! does not decode was applied: it is looked up but never resent.

use std::fmt;
use std::future::Future;

use crate::api::write_result;
use crate::error::{Error, Result};
use crate::models::common::WriteResult;
use crate::request::{ApiRequest, ApiResponse};
use crate::Client;

/// How a write ended: the answer, what the lookup found, or both.
#[derive(Debug)]
pub(crate) struct Finished<T> {
    /// The decoded 2xx answer and its request id, when one was read.
    pub(crate) answer: Option<(WriteResult, Option<String>)>,
    /// What the lookup found, when the answer was lost or incomplete.
    /// Boxed (only this rare path allocates): a `User` kept inline made
    /// every create's poll function reserve stack for it, 3,064 bytes of
    /// frame against 936, under which each send ran.
    pub(crate) found: Option<Box<T>>,
}

impl<T> Finished<T> {
    /// True when the answer was lost (or unreadable) and the lookup found the write applied.
    pub(crate) fn recovered(&self) -> bool {
        self.answer.is_none()
    }

    /// The answer's `requestId` (from the body, else the header).
    pub(crate) fn request_id(&self) -> Option<String> {
        self.answer
            .as_ref()
            .and_then(|(w, id)| w.request_id.clone().or(id.clone()))
    }
}

/// A conflict answer to a resend: the earlier attempt may have landed.
fn is_conflict(e: &Error) -> bool {
    match e {
        Error::Conflict(_) => true,
        Error::Api(a) => a.status.as_u16() == 422,
        _ => false,
    }
}

/// The name of a write, for errors and logs: `"create user"` and the
/// username give `create user jo@x.com`, written out only when an error or
/// a log line needs it (not on every call).
pub(crate) struct Named<'a>(pub(crate) &'static str, pub(crate) &'a str);

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}

/// What [`finish`] needs of a write's name.
pub(crate) type What<'a> = &'a (dyn fmt::Display + Sync);

fn ambiguous(what: What<'_>, why: &str, cause: Error) -> Error {
    Error::AmbiguousOutcome {
        operation: format!("{what} ({why})"),
        cause: Box::new(cause),
    }
}

/// Sends the write `req` (as non-idempotent: the retry layer resends it only
/// after a throttle or a connection that never reached the server) and
/// settles an unknown outcome with `lookup` (`Ok(None)`: not there). A 2xx
/// answer for which `complete` is false is completed by the lookup.
/// `what` names the write in errors and logs (`create user jo@x.com`),
/// written out only when one needs it.
///
/// The request is borrowed (and marked non-idempotent in place): it stays
/// in the caller's future, which keeps it for its own use anyway, and is
/// not stored a second time in this one (the first `create` future was 1,144
/// bytes with it twice, over the 1,032 that glibc's per-thread cache serves).
pub(crate) fn finish<'a, T, F, L>(
    client: &'a Client,
    req: &'a mut ApiRequest,
    what: impl fmt::Display + Sync + 'a,
    complete: impl Fn(&WriteResult) -> bool + 'a,
    lookup: L,
) -> impl Future<Output = Result<Finished<T>>> + 'a
where
    L: Fn() -> F + 'a,
    F: Future<Output = Result<Option<T>>>,
    T: 'a,
{
    req.idempotent = false;
    let req: &'a ApiRequest = req;
    async move {
        let what: What<'_> = &what;
        // The usual write, one send with a complete answer, on a future of its
        // own size; everything else (lookups, resends, their waits) is boxed:
        // it would otherwise size, and be copied with, every write's future.
        let answer = client
            .execute(req)
            .await
            .and_then(ApiResponse::error_for_status);
        if let Ok(resp) = &answer {
            if let Ok(w) = write_result(resp) {
                if complete(&w) {
                    let request_id = request_id(Some(&w), resp);
                    return Ok(Finished {
                        answer: Some((w, request_id)),
                        found: None,
                    });
                }
            }
        }
        settle_boxed(client, req, what, complete, lookup, answer).await
    }
}

/// [`settle`], boxed. Not inlined: the settling future is built on the
/// stack before it is moved into its box, and in the caller's poll function
/// that space would widen the stack frame every write's sends run under.
#[inline(never)]
fn settle_boxed<'a, T, F, L>(
    client: &'a Client,
    req: &'a ApiRequest,
    what: What<'a>,
    complete: impl Fn(&WriteResult) -> bool + 'a,
    lookup: L,
    answer: Result<ApiResponse>,
) -> std::pin::Pin<Box<impl Future<Output = Result<Finished<T>>> + 'a>>
where
    L: Fn() -> F + 'a,
    F: Future<Output = Result<Option<T>>> + 'a,
    T: 'a,
{
    Box::pin(settle(client, req, what, complete, lookup, answer))
}

/// The `requestId` to keep beside a write's decoded answer: none when the
/// answer carries it (the body is read again for it, or the header, only
/// when not).
fn request_id(written: Option<&WriteResult>, resp: &ApiResponse) -> Option<String> {
    match written {
        Some(w) if w.request_id.is_some() => None,
        _ => resp.request_id(),
    }
}

/// [`finish`] after a first send that did not end the write (`answer`: its
/// outcome): lookups, resends and their waits. A 2xx answer is decoded
/// again here, on this rare path.
async fn settle<T, F, L>(
    client: &Client,
    req: &ApiRequest,
    what: What<'_>,
    complete: impl Fn(&WriteResult) -> bool,
    lookup: L,
    mut answer: Result<ApiResponse>,
) -> Result<Finished<T>>
where
    L: Fn() -> F,
    F: Future<Output = Result<Option<T>>>,
{
    let mut sends = 1u32;
    loop {
        let resent = sends > 1;
        let lost = match answer {
            Ok(resp) => {
                let written = write_result(&resp);
                let request_id = request_id(written.as_ref().ok(), &resp);
                let why = match written {
                    Ok(w) if complete(&w) => {
                        return Ok(Finished {
                            answer: Some((w, request_id)),
                            found: None,
                        })
                    }
                    Ok(w) => Ok(w),
                    Err(e) => Err(e),
                };
                // Applied, but the answer does not say enough: look it up,
                // never resend.
                return match (lookup().await, why) {
                    (Ok(Some(found)), Ok(w)) => Ok(Finished {
                        answer: Some((w, request_id)),
                        found: Some(Box::new(found)),
                    }),
                    (Ok(Some(found)), Err(_)) => {
                        client.count_recovered();
                        Ok(Finished {
                            answer: None,
                            found: Some(Box::new(found)),
                        })
                    }
                    (Ok(None), why) => {
                        let cause = why.err().unwrap_or_else(|| Error::Decode {
                            status: resp.status,
                            path: "data.id".into(),
                            message: "the write answered without an id".into(),
                            snippet: crate::error::snippet(&resp.body[..resp.body.len().min(256)]),
                        });
                        client.count_ambiguous();
                        Err(ambiguous(
                            what,
                            "accepted without an id, not found by lookup yet",
                            cause,
                        ))
                    }
                    (Err(e), _) => {
                        client.count_ambiguous();
                        Err(ambiguous(
                            what,
                            "accepted without an id; the lookup failed",
                            e,
                        ))
                    }
                };
            }
            Err(e) if resent && is_conflict(&e) => {
                tracing::info!(what = %what, error = %e, "write: the resend met a conflict; looking it up again");
                return match lookup().await {
                    Ok(Some(found)) => {
                        client.count_recovered();
                        Ok(Finished {
                            answer: None,
                            found: Some(Box::new(found)),
                        })
                    }
                    Ok(None) => Err(e),
                    Err(lookup) => {
                        client.count_ambiguous();
                        Err(ambiguous(
                            what,
                            &format!("the resend met a conflict and the lookup failed: {lookup}"),
                            e,
                        ))
                    }
                };
            }
            Err(e) if e.may_have_reached_server() => e,
            Err(e) => return Err(e),
        };
        tracing::warn!(what = %what, error = %lost, sends, "write: answer lost; looking it up before sending again");
        match lookup().await {
            Ok(Some(found)) => {
                client.count_recovered();
                return Ok(Finished {
                    answer: None,
                    found: Some(Box::new(found)),
                });
            }
            Ok(None) => match client.resend_delay(sends, &lost) {
                Some(delay) => {
                    tracing::info!(what = %what, sends, ?delay, "write: not applied; sending it again");
                    tokio::time::sleep(delay).await;
                    sends += 1;
                    // `execute` borrows the request: nothing is copied for a send.
                    answer = client
                        .execute(req)
                        .await
                        .and_then(ApiResponse::error_for_status);
                }
                // Not applied, and the policy allows no further attempt.
                None => return Err(lost),
            },
            Err(lookup) => {
                tracing::warn!(what = %what, error = %lookup, "write: the lookup after a lost answer failed too");
                client.count_ambiguous();
                return Err(ambiguous(
                    what,
                    &format!("the lookup failed: {lookup}"),
                    lost,
                ));
            }
        }
    }
}
