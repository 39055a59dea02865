//! Fault injection: what to answer instead of (or around) the normal answer,
//! and which requests it applies to ([`Server::inject`](crate::Server::inject)).

use std::time::Duration;

use http::Method;

/// A failure to inject instead of (or around) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with an Opsgenie JSON error body; nothing is applied.
    Status(u16),
    /// Answer the CDN's HTML `503 Service Unavailable` page (no rate-limit headers).
    Html503,
    /// Close the connection without an answer; nothing is applied.
    Drop,
    /// Apply the request, then close the connection without an answer (a
    /// create whose answer was lost).
    DropAfterCommit,
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// When to inject a [`Fault`]: matching requests, how many times.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub(crate) fault: Fault,
    method: Option<Method>,
    path_prefix: Option<String>,
    pub(crate) remaining: Option<u32>,
}

impl FaultRule {
    /// Injects `fault` into every request until [`times`](Self::times) says otherwise.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            method: None,
            path_prefix: None,
            remaining: None,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }

    /// Only requests whose (still encoded) path starts with `prefix`, e.g. `/v2/users`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    pub(crate) fn matches(&self, m: &Method, path: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_ref().is_none_or(|x| x == m)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}
