//! Rate limiting: request domains and the limiter interface the client asks
//! for a permit before every attempt.
//!
//! Opsgenie limits each account per *request domain*, with a per-minute and a
//! per-second window. Each call names its domain when it is built (no URL
//! sniffing): user, team and role management is [`Domain::Configuration`],
//! List Users is [`Domain::Search`].

use std::fmt;

use async_trait::async_trait;

use crate::error::RateLimitInfo;

/// An Opsgenie request domain (a separate rate-limit budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Domain {
    /// User, team, role, contact, schedule and escalation management.
    Configuration,
    /// List/search calls such as List Users.
    Search,
    /// Alert API.
    Alert,
    /// Incident API.
    Incident,
    /// Integration API.
    Integration,
    /// Heartbeat API.
    Heartbeat,
    /// Who-is-on-call calls.
    ScheduleOncalls,
    /// Email integration.
    Email,
    /// Integration action configuration.
    IntegrationConfiguration,
    /// The Atlassian SCIM directory API (its own, separate limit).
    Scim,
}

impl Domain {
    /// Every domain.
    pub const ALL: [Domain; 10] = [
        Domain::Configuration,
        Domain::Search,
        Domain::Alert,
        Domain::Incident,
        Domain::Integration,
        Domain::Heartbeat,
        Domain::ScheduleOncalls,
        Domain::Email,
        Domain::IntegrationConfiguration,
        Domain::Scim,
    ];

    /// The name Opsgenie uses in `X-RateLimit-Reason` (e.g. `Configuration`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Domain::Configuration => "Configuration",
            Domain::Search => "Search",
            Domain::Alert => "Alert",
            Domain::Incident => "Incident",
            Domain::Integration => "Integration",
            Domain::Heartbeat => "Heartbeat",
            Domain::ScheduleOncalls => "Schedule-oncalls",
            Domain::Email => "Email",
            Domain::IntegrationConfiguration => "Integration Configuration",
            Domain::Scim => "Scim",
        }
    }

    /// Parses a domain name as sent in headers or by `GET /v2/request-limits/`
    /// (case, `-`, `_` and spaces are ignored).
    pub fn parse(s: &str) -> Option<Domain> {
        let norm: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Domain::ALL.into_iter().find(|d| {
            let n: String = d
                .as_str()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            n == norm
        })
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which bucket a request draws from: one per credential, base URL and domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey {
    /// Fingerprint of the credential (never the credential itself).
    pub credential: u64,
    /// Base URL of the API (region or custom host).
    pub base_url: String,
    /// Request domain.
    pub domain: Domain,
}

/// What the client reports back to the limiter after an attempt.
#[derive(Debug, Clone)]
pub struct Feedback {
    /// HTTP status, or `None` when no response arrived (timeout, connection error).
    pub status: Option<u16>,
    /// The `X-RateLimit-*` headers of the response.
    pub rate_limit: Option<RateLimitInfo>,
}

/// A granted slot. Report the outcome with [`Permit::complete`]; dropping
/// it without completing tells the limiter the request was abandoned.
pub struct Permit {
    inner: Option<Box<dyn PermitHandle>>,
}

/// The limiter side of a [`Permit`].
pub trait PermitHandle: Send + 'static {
    /// The attempt finished with `feedback`.
    fn complete(self: Box<Self>, feedback: &Feedback);
    /// The attempt was abandoned (the caller's future was dropped).
    fn cancel(self: Box<Self>);
}

impl Permit {
    /// A permit that tracks nothing.
    pub fn unlimited() -> Self {
        Permit { inner: None }
    }

    /// Wraps a limiter's handle.
    pub fn new(handle: Box<dyn PermitHandle>) -> Self {
        Permit {
            inner: Some(handle),
        }
    }

    /// Reports the outcome of the attempt made with this permit.
    pub fn complete(mut self, feedback: &Feedback) {
        if let Some(h) = self.inner.take() {
            h.complete(feedback);
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(h) = self.inner.take() {
            h.cancel();
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("tracked", &self.inner.is_some())
            .finish()
    }
}

/// Grants permits. The client calls [`acquire`](RateLimiter::acquire) before
/// every attempt and completes the permit with what the server said.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits until `key`'s bucket has a slot and reserves it.
    async fn acquire(&self, key: &BucketKey) -> Permit;
}

/// A limiter that never waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait]
impl RateLimiter for Unlimited {
    async fn acquire(&self, _key: &BucketKey) -> Permit {
        Permit::unlimited()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_parse_in_any_spelling() {
        assert_eq!(Domain::parse("configuration"), Some(Domain::Configuration));
        assert_eq!(
            Domain::parse("Schedule-oncalls"),
            Some(Domain::ScheduleOncalls)
        );
        assert_eq!(
            Domain::parse("integration_configuration"),
            Some(Domain::IntegrationConfiguration)
        );
        assert_eq!(Domain::parse("nope"), None);
        for d in Domain::ALL {
            assert_eq!(Domain::parse(d.as_str()), Some(d));
        }
    }
}
