//! The one retry layer. Which outcomes are retried, and after how long.
//!
//! * 429 is retried for every method: the server did not act on it.
//! * 5xx, timeouts and broken connections are retried only for idempotent
//!   calls (GET, PUT, DELETE and writes the resource marks as safe). A create
//!   that may have reached the server is never resent blindly.
//! * Connection failures before anything was sent are retried for every method.

use std::time::Duration;

use http::StatusCode;

use crate::error::RateLimitInfo;
use crate::transport::TransportError;

/// What an attempt ended with, as the retry policy sees it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The server answered with this status.
    Response {
        /// HTTP status.
        status: StatusCode,
        /// Its rate-limit headers.
        rate_limit: Option<&'a RateLimitInfo>,
    },
    /// No answer within the request timeout.
    Timeout,
    /// The transport failed.
    Transport(&'a TransportError),
}

/// The policy's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this delay.
    Retry(Duration),
    /// Return the outcome to the caller.
    Stop,
}

/// Retry settings. `RetryPolicy::default()` retries up to 5 attempts with
/// exponential backoff (200 ms × 2^n, full jitter, capped at 30 s).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Total attempts allowed, first one included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Base delay of the exponential backoff.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// Upper bound of one backoff.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Whether `outcome` may be retried at all for a call of this idempotency.
    pub fn is_retryable(idempotent: bool, outcome: &Outcome<'_>) -> bool {
        match outcome {
            Outcome::Response { status, .. } => {
                status.as_u16() == 429 || (idempotent && status.is_server_error())
            }
            Outcome::Timeout => idempotent,
            Outcome::Transport(e) => idempotent || !e.may_have_reached_server(),
        }
    }

    /// The ceiling of the backoff before attempt `attempt + 1` (attempt counts from 1).
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        self.base.saturating_mul(1u32 << exp).min(self.max_backoff)
    }

    /// Decides after attempt number `attempt` (1-based). `jitter` in `[0, 1)`
    /// scales the delay (full jitter); pass a random number.
    pub fn decide(
        &self,
        attempt: u32,
        idempotent: bool,
        outcome: &Outcome<'_>,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts || !Self::is_retryable(idempotent, outcome) {
            return Decision::Stop;
        }
        let ceiling = self.backoff_ceiling(attempt);
        Decision::Retry(ceiling.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TransportErrorKind;

    fn status(s: u16) -> Outcome<'static> {
        Outcome::Response {
            status: StatusCode::from_u16(s).unwrap(),
            rate_limit: None,
        }
    }

    #[test]
    fn throttle_is_retried_for_posts_but_5xx_is_not() {
        let p = RetryPolicy::default();
        assert!(matches!(
            p.decide(1, false, &status(429), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(p.decide(1, false, &status(503), 0.5), Decision::Stop);
        assert!(matches!(
            p.decide(1, true, &status(503), 0.5),
            Decision::Retry(_)
        ));
        assert_eq!(p.decide(1, true, &status(404), 0.5), Decision::Stop);
        assert_eq!(p.decide(1, false, &Outcome::Timeout, 0.5), Decision::Stop);
        let refused = TransportError::new(TransportErrorKind::Connect, "refused");
        assert!(matches!(
            p.decide(1, false, &Outcome::Transport(&refused), 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn none_never_retries_and_backoff_is_capped() {
        assert_eq!(
            RetryPolicy::none().decide(1, true, &status(429), 0.5),
            Decision::Stop
        );
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(30), Duration::from_secs(30));
        assert_eq!(
            p.decide(4, true, &status(503), 1.0),
            Decision::Retry(Duration::from_millis(1600))
        );
        assert_eq!(p.decide(5, true, &status(503), 1.0), Decision::Stop);
    }
}
