//! The one retry layer: which outcomes are retried, after how long, and the
//! retry budget that stops a failing server from being hammered.
//!
//! * 429 is retried for every method: the server did not act on it.
//! * 5xx, timeouts and broken connections are retried only for idempotent
//!   calls (GET, PUT, DELETE and writes the resource marks as safe). A create
//!   that may have reached the server is never resent blindly.
//! * A connection that failed before anything was sent is retried for every
//!   method.
//! * When the answer carries `Retry-After` (Atlassian's APIs send it with 429
//!   and 503; Opsgenie documents none), a retry waits at least that long; a
//!   wait over [`RetryPolicy::max_retry_after`] (default 60 s), or one that
//!   would end after the call's deadline, is not made: the answer goes back
//!   to the caller, its wait readable with [`Error::retry_after`].
//!
//! The decision is a pure function of (attempt, idempotency, outcome, jitter),
//! [`RetryPolicy::decide`], so it is tested without a network. The client
//! loop (`Core::execute`) asks it after every attempt, then takes the retry's
//! cost from the shared retry budget; when the budget is dry it stops.
//!
//! ```
//! use std::time::Duration;
//! use http::StatusCode;
//! use opsgenie_users::retry::{Decision, Outcome, RetryPolicy};
//!
//! let policy = RetryPolicy::default();
//! let throttled = Outcome::Response { status: StatusCode::TOO_MANY_REQUESTS, rate_limit: None };
//! // A POST that was throttled is retried: the server did not act on it.
//! assert!(matches!(policy.decide(1, false, &throttled, 0.5), Decision::Retry(_)));
//! // A POST that met a 503 is not: it may have been applied.
//! let unavailable = Outcome::Response { status: StatusCode::SERVICE_UNAVAILABLE, rate_limit: None };
//! assert_eq!(policy.decide(1, false, &unavailable, 0.5), Decision::Stop);
//! ```

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;

use crate::error::{Error, RateLimitInfo};
use crate::transport::{TransportError, TransportErrorKind};

/// What an attempt ended with: classified once per attempt, read by the
/// retry policy and (as [`Feedback`](crate::ratelimit::Feedback)) by the limiter.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
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

impl<'a> Outcome<'a> {
    /// True for a success answer (2xx).
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Response { status, .. } if status.is_success())
    }

    /// True for a 429 (or any answer flagged `X-RateLimit-State: THROTTLED`).
    pub fn is_throttle(&self) -> bool {
        match self {
            Outcome::Response { status, rate_limit } => {
                *status == StatusCode::TOO_MANY_REQUESTS
                    || rate_limit.is_some_and(|r| r.is_throttled() && !status.is_success())
            }
            _ => false,
        }
    }

    /// True when the server may have acted on the attempt: a 5xx that is not
    /// a throttle, a timeout, or a connection that broke after the request
    /// may have left. A 2xx/4xx answer, a throttle, a refused connection or
    /// an unbuilt request did not apply anything (a 2xx is final anyway).
    ///
    /// ```
    /// use http::StatusCode;
    /// use opsgenie_users::retry::Outcome;
    /// let answered = |s: u16| Outcome::Response { status: StatusCode::from_u16(s).unwrap(), rate_limit: None };
    /// assert!(answered(503).may_have_acted());
    /// assert!(!answered(429).may_have_acted());
    /// assert!(Outcome::Timeout.may_have_acted());
    /// ```
    pub fn may_have_acted(&self) -> bool {
        match self {
            Outcome::Response { status, .. } => status.is_server_error() && !self.is_throttle(),
            Outcome::Timeout => true,
            Outcome::Transport(e) => !matches!(
                e.kind(),
                TransportErrorKind::Connect | TransportErrorKind::Request
            ),
        }
    }

    /// The outcome a call's error stands for, when it is one the retry
    /// policy knows: a 5xx (or 429) answer, a timeout, a transport failure.
    pub(crate) fn of_error(e: &'a Error) -> Option<Self> {
        match e {
            Error::Api(a) => Some(Outcome::Response {
                status: a.status,
                rate_limit: a.rate_limit.as_ref(),
            }),
            Error::Timeout { .. } => Some(Outcome::Timeout),
            Error::Transport(t) => Some(Outcome::Transport(t)),
            _ => None,
        }
    }

    /// True when the attempt ran out of time (ours or the transport's).
    pub fn is_timeout(&self) -> bool {
        match self {
            Outcome::Timeout => true,
            Outcome::Transport(e) => e.kind() == TransportErrorKind::Timeout,
            Outcome::Response { .. } => false,
        }
    }
}

/// The policy's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Try again after this delay.
    Retry(Duration),
    /// Return the outcome to the caller.
    Stop,
}

/// Retry settings: plain data, cheap to clone.
///
/// `RetryPolicy::default()` makes up to 5 attempts; the delay before retry
/// `n` is drawn uniformly from `[0, min(cap, max(window hint, 200 ms × 2^(n-1))))`
/// ("full jitter"; cap 30 s), where the window hint is the rate-limit window
/// the server said tripped (`X-RateLimit-Period-In-Sec`). When the answer
/// says `Retry-After: w`, the delay is `w` plus that same full-jitter draw:
/// never earlier than the server asked, and spread so that clients throttled
/// together do not all come back at once; a `w` over
/// [`max_retry_after`](Self::max_retry_after) (default 60 s) ends the retries
/// instead (the client also stops when the wait would pass the call's
/// deadline). Retries draw from a
/// budget of 500 tokens shared by all clones of a client: a throttle costs 5,
/// a timeout 10, any other retryable failure 5, and every success refunds 1.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::{Client, RetryPolicy};
///
/// let policy = RetryPolicy::default()
///     .max_attempts(8)
///     .max_backoff(Duration::from_secs(10))
///     .budget(1_000);
/// let client = Client::builder().api_key("key").retry_policy(policy).build();
/// # let _ = client;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    budget: u32,
    throttle_cost: u32,
    timeout_cost: u32,
    error_cost: u32,
    success_refund: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            budget: 500,
            throttle_cost: 5,
            timeout_cost: 10,
            error_cost: 5,
            success_refund: 1,
        }
    }
}

impl RetryPolicy {
    /// Never retry: every outcome goes straight back to the caller.
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

    /// Base delay of the exponential backoff (default 200 ms).
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base = d;
        self
    }

    /// Upper bound of one backoff (default 30 s).
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The longest `Retry-After` a retry waits for (default 60 s). An answer
    /// asking for more is returned to the caller at once (see
    /// [`Error::retry_after`]); the call's deadline bounds the wait too.
    ///
    /// ```
    /// use std::time::Duration;
    /// use opsgenie_users::RetryPolicy;
    /// let patient = RetryPolicy::default().max_retry_after(Duration::from_secs(120));
    /// # let _ = patient;
    /// ```
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Capacity of the retry budget in tokens (default 500). `0` disables
    /// retries once the first one would be needed.
    pub fn budget(mut self, tokens: u32) -> Self {
        self.budget = tokens;
        self
    }

    /// Budget costs: of a retry after a throttle (default 5), after a timeout
    /// (default 10), after any other retryable failure (default 5).
    pub fn costs(mut self, throttle: u32, timeout: u32, other: u32) -> Self {
        self.throttle_cost = throttle;
        self.timeout_cost = timeout;
        self.error_cost = other;
        self
    }

    /// Tokens a success gives back to the budget (default 1).
    pub fn success_refund(mut self, tokens: u32) -> Self {
        self.success_refund = tokens;
        self
    }

    /// The configured attempt limit.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether `outcome` may be retried at all for a call of this idempotency.
    pub fn is_retryable(idempotent: bool, outcome: &Outcome<'_>) -> bool {
        if outcome.is_throttle() {
            return true;
        }
        match outcome {
            Outcome::Response { status, .. } => idempotent && status.is_server_error(),
            Outcome::Timeout => idempotent,
            // An oversized answer would be just as large the next time.
            Outcome::Transport(e) if e.kind() == TransportErrorKind::BodyTooLarge => false,
            Outcome::Transport(e) => idempotent || !e.may_have_reached_server(),
        }
    }

    /// The exponential part of the ceiling before retry `attempt` (attempt
    /// counts from 1): `base × 2^(attempt-1)`, capped.
    pub fn backoff_ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        self.base.saturating_mul(1u32 << exp).min(self.max_backoff)
    }

    /// The window the server said tripped, as a lower bound for the ceiling.
    fn window_hint(outcome: &Outcome<'_>) -> Duration {
        match outcome {
            Outcome::Response {
                rate_limit: Some(rl),
                ..
            } if outcome.is_throttle() => Duration::from_secs(rl.period_secs.unwrap_or(0)),
            _ => Duration::ZERO,
        }
    }

    /// Budget tokens a retry after `outcome` costs.
    pub fn retry_cost(&self, outcome: &Outcome<'_>) -> u32 {
        if outcome.is_throttle() {
            self.throttle_cost
        } else if outcome.is_timeout() {
            self.timeout_cost
        } else {
            self.error_cost
        }
    }

    /// The server's `Retry-After`, when the outcome is an answer carrying one.
    fn retry_after(outcome: &Outcome<'_>) -> Option<Duration> {
        match outcome {
            Outcome::Response {
                rate_limit: Some(rl),
                ..
            } => rl.retry_after,
            _ => None,
        }
    }

    /// Decides after attempt number `attempt` (1-based). `jitter` in `[0, 1)`
    /// scales the delay (full jitter); pass a random number. Pure: the budget
    /// is checked by the client afterwards (its shared retry budget), and
    /// the deadline by the client loop.
    ///
    /// ```
    /// use std::time::Duration;
    /// use http::{HeaderMap, StatusCode};
    /// use opsgenie_users::retry::{Decision, Outcome, RetryPolicy};
    /// use opsgenie_users::RateLimitInfo;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("retry-after", "3".parse().unwrap());
    /// let info = RateLimitInfo::from_headers(&headers);
    /// let throttled = Outcome::Response { status: StatusCode::TOO_MANY_REQUESTS, rate_limit: info.as_ref() };
    /// // At least the 3 s asked for, plus a jittered share of the backoff.
    /// assert_eq!(RetryPolicy::default().decide(1, false, &throttled, 0.0), Decision::Retry(Duration::from_secs(3)));
    /// // A policy that waits at most 2 s gives the answer back instead.
    /// let impatient = RetryPolicy::default().max_retry_after(Duration::from_secs(2));
    /// assert_eq!(impatient.decide(1, false, &throttled, 0.0), Decision::Stop);
    /// ```
    pub fn decide(
        &self,
        attempt: u32,
        idempotent: bool,
        outcome: &Outcome<'_>,
        jitter: f64,
    ) -> Decision {
        self.decide_drawing(attempt, idempotent, outcome, || jitter)
    }

    /// [`decide`](Self::decide), with the jitter drawn by `jitter` only when
    /// a retry is decided: the client's calls pass the random generator,
    /// whose state (one more cache line per call) a success never touches.
    pub(crate) fn decide_drawing(
        &self,
        attempt: u32,
        idempotent: bool,
        outcome: &Outcome<'_>,
        jitter: impl FnOnce() -> f64,
    ) -> Decision {
        if attempt >= self.max_attempts || !Self::is_retryable(idempotent, outcome) {
            return Decision::Stop;
        }
        let jitter = jitter().clamp(0.0, 1.0);
        if let Some(wait) = Self::retry_after(outcome) {
            if wait > self.max_retry_after {
                return Decision::Stop;
            }
            // Never earlier than asked; the jittered backoff spreads clients
            // that were told the same wait.
            return Decision::Retry(
                wait.saturating_add(self.backoff_ceiling(attempt).mul_f64(jitter)),
            );
        }
        let ceiling = self
            .backoff_ceiling(attempt)
            .max(Self::window_hint(outcome))
            .min(self.max_backoff);
        Decision::Retry(ceiling.mul_f64(jitter))
    }

    /// A fresh budget sized by this policy.
    pub(crate) fn new_budget(&self) -> RetryBudget {
        RetryBudget::new(self.budget)
    }
}

/// The retry budget (smithy-style token bucket): retries withdraw tokens,
/// successes refund them. Shared by every clone of a client.
///
/// An atomic, not a lock: every successful call refunds, and a full budget
/// (the usual state) is only read, so the calls of several workers do not
/// pass its cache line between them.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    capacity: u32,
    tokens: AtomicU32,
}

impl RetryBudget {
    /// A full budget of `capacity` tokens.
    pub(crate) fn new(capacity: u32) -> Self {
        RetryBudget {
            capacity,
            tokens: AtomicU32::new(capacity),
        }
    }

    /// Takes `cost` tokens if there are that many; false (and nothing taken) otherwise.
    pub(crate) fn try_withdraw(&self, cost: u32) -> bool {
        self.tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(cost))
            .is_ok()
    }

    /// Gives back `tokens`, up to the capacity; a full budget is left unwritten.
    pub(crate) fn refund(&self, tokens: u32) {
        if tokens == 0 || self.tokens.load(Ordering::Acquire) >= self.capacity {
            return;
        }
        let capacity = self.capacity;
        // `Err` only when already full: nothing to do.
        let _ = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t < capacity).then(|| t.saturating_add(tokens).min(capacity))
            });
    }

    /// Tokens left.
    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.tokens.load(Ordering::Acquire)
    }
}

impl RetryPolicy {
    /// Records the end of an attempt in `budget` and returns the final
    /// decision: a retry whose cost the budget cannot pay becomes `Stop`.
    pub(crate) fn settle(
        &self,
        budget: &RetryBudget,
        outcome: &Outcome<'_>,
        decision: Decision,
    ) -> Decision {
        if outcome.is_success() {
            budget.refund(self.success_refund);
        }
        match decision {
            Decision::Retry(d) if budget.try_withdraw(self.retry_cost(outcome)) => {
                Decision::Retry(d)
            }
            _ => Decision::Stop,
        }
    }
}

/// What a client's request path did since the client was built (shared by
/// its clones): [`Client::request_stats`](crate::Client::request_stats).
///
/// ```
/// let client = opsgenie_users::Client::builder().api_key("k").build()?;
/// let s = client.request_stats();
/// assert_eq!((s.attempts, s.retries, s.recovered, s.ambiguous), (0, 0, 0, 0));
/// # Ok::<(), opsgenie_users::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestStats {
    /// Attempts handed to the transport: first attempts, retries and resends.
    pub attempts: u64,
    /// Attempts that repeated an earlier one: retries (after a 429, or a 5xx
    /// or timeout of an idempotent call) and resends of writes a lookup found
    /// not applied.
    pub retries: u64,
    /// The resends among the retries.
    pub resends: u64,
    /// Writes whose answer was lost (or unreadable) and that a lookup found applied.
    pub recovered: u64,
    /// Writes left with an unknown outcome ([`Error::AmbiguousOutcome`]).
    pub ambiguous: u64,
}

/// The counters behind [`RequestStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) attempts: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) resends: AtomicU64,
    pub(crate) recovered: AtomicU64,
    pub(crate) ambiguous: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RequestStats {
            attempts: get(&self.attempts),
            retries: get(&self.retries),
            resends: get(&self.resends),
            recovered: get(&self.recovered),
            ambiguous: get(&self.ambiguous),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16) -> Outcome<'static> {
        Outcome::Response {
            status: StatusCode::from_u16(s).unwrap(),
            rate_limit: None,
        }
    }

    fn throttled(period: u64) -> RateLimitInfo {
        RateLimitInfo {
            state: Some("THROTTLED".into()),
            reason: Some("Configuration".into()),
            period_secs: Some(period),
            ..Default::default()
        }
    }

    fn retry(d: Decision) -> Duration {
        match d {
            Decision::Retry(d) => d,
            Decision::Stop => panic!("expected a retry"),
        }
    }

    #[test]
    fn throttle_is_retried_for_every_method() {
        let p = RetryPolicy::default();
        for idempotent in [true, false] {
            assert!(matches!(
                p.decide(1, idempotent, &status(429), 0.5),
                Decision::Retry(_)
            ));
        }
    }

    #[test]
    fn server_errors_and_timeouts_only_for_idempotent_calls() {
        let p = RetryPolicy::default();
        for s in [500, 502, 503, 504] {
            assert_eq!(p.decide(1, false, &status(s), 0.5), Decision::Stop, "{s}");
            assert!(matches!(
                p.decide(1, true, &status(s), 0.5),
                Decision::Retry(_)
            ));
        }
        assert_eq!(p.decide(1, false, &Outcome::Timeout, 0.5), Decision::Stop);
        assert!(matches!(
            p.decide(1, true, &Outcome::Timeout, 0.5),
            Decision::Retry(_)
        ));
        let reset = TransportError::new(TransportErrorKind::Io, "connection reset");
        assert_eq!(
            p.decide(1, false, &Outcome::Transport(&reset), 0.5),
            Decision::Stop
        );
        assert!(matches!(
            p.decide(1, true, &Outcome::Transport(&reset), 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn connect_failure_is_safe_for_every_method() {
        let p = RetryPolicy::default();
        let refused = TransportError::new(TransportErrorKind::Connect, "refused");
        assert!(matches!(
            p.decide(1, false, &Outcome::Transport(&refused), 0.5),
            Decision::Retry(_)
        ));
    }

    #[test]
    fn client_errors_and_successes_stop() {
        let p = RetryPolicy::default();
        for s in [200, 201, 400, 401, 403, 404, 409, 422] {
            assert_eq!(p.decide(1, true, &status(s), 0.5), Decision::Stop, "{s}");
        }
    }

    #[test]
    fn none_never_retries() {
        assert_eq!(
            RetryPolicy::none().decide(1, true, &status(429), 0.5),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_doubles_with_full_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ceiling(1), Duration::from_millis(200));
        assert_eq!(p.backoff_ceiling(3), Duration::from_millis(800));
        assert_eq!(p.backoff_ceiling(30), Duration::from_secs(30));
        assert_eq!(
            retry(p.decide(4, true, &status(503), 1.0)),
            Duration::from_millis(1600)
        );
        assert_eq!(
            retry(p.decide(2, true, &status(503), 0.25)),
            Duration::from_millis(100)
        );
        assert_eq!(retry(p.decide(1, true, &status(503), 0.0)), Duration::ZERO);
        assert_eq!(p.decide(5, true, &status(503), 1.0), Decision::Stop);
        let long = RetryPolicy::default().max_attempts(40);
        assert_eq!(
            retry(long.decide(35, true, &status(503), 1.0)),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn window_hint_raises_the_ceiling_within_the_cap() {
        let p = RetryPolicy::default();
        let sec = throttled(1);
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&sec),
        };
        assert_eq!(retry(p.decide(1, false, &o, 1.0)), Duration::from_secs(1));
        assert_eq!(
            retry(p.decide(1, false, &o, 0.5)),
            Duration::from_millis(500)
        );
        let min = throttled(60);
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&min),
        };
        assert_eq!(retry(p.decide(1, false, &o, 1.0)), Duration::from_secs(30));
        let capped = RetryPolicy::default().max_backoff(Duration::from_secs(5));
        assert_eq!(
            retry(capped.decide(1, false, &o, 1.0)),
            Duration::from_secs(5)
        );
    }

    fn with_retry_after(secs: u64) -> RateLimitInfo {
        RateLimitInfo {
            retry_after: Some(Duration::from_secs(secs)),
            ..Default::default()
        }
    }

    #[test]
    fn retry_after_is_a_floor_with_jitter_on_top() {
        let p = RetryPolicy::default();
        let ra = with_retry_after(5);
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&ra),
        };
        assert_eq!(retry(p.decide(1, false, &o, 0.0)), Duration::from_secs(5));
        // Full jitter of the 200 ms ceiling on top, never below the wait.
        assert_eq!(
            retry(p.decide(1, false, &o, 1.0)),
            Duration::from_millis(5200)
        );
        assert_eq!(
            retry(p.decide(3, false, &o, 0.5)),
            Duration::from_millis(5400)
        );
        // Longer than the 30 s backoff cap: still honoured up to max_retry_after.
        let long = with_retry_after(45);
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&long),
        };
        assert_eq!(retry(p.decide(1, true, &o, 0.0)), Duration::from_secs(45));
        // Over the maximum: the answer goes back to the caller.
        let too_long = with_retry_after(61);
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&too_long),
        };
        assert_eq!(p.decide(1, true, &o, 0.0), Decision::Stop);
        let patient = RetryPolicy::default().max_retry_after(Duration::from_secs(120));
        assert_eq!(
            retry(patient.decide(1, true, &o, 0.0)),
            Duration::from_secs(61)
        );
    }

    #[test]
    fn retry_after_never_makes_an_unsafe_retry() {
        let p = RetryPolicy::default();
        let ra = with_retry_after(1);
        let unavailable = |s: u16| Outcome::Response {
            status: StatusCode::from_u16(s).unwrap(),
            rate_limit: Some(&ra),
        };
        // A 503 with Retry-After: a GET waits for it, a POST is not resent.
        assert_eq!(
            retry(p.decide(1, true, &unavailable(503), 0.0)),
            Duration::from_secs(1)
        );
        assert_eq!(p.decide(1, false, &unavailable(503), 0.0), Decision::Stop);
        // Statuses that are never retried stay so, Retry-After or not.
        assert_eq!(p.decide(1, true, &unavailable(400), 0.0), Decision::Stop);
        assert_eq!(p.decide(1, true, &unavailable(301), 0.0), Decision::Stop);
        // The attempt limit still holds.
        assert_eq!(p.decide(5, true, &unavailable(429), 0.0), Decision::Stop);
        // Retry-After wins over the window hint.
        let both = RateLimitInfo {
            retry_after: Some(Duration::from_secs(2)),
            ..throttled(60)
        };
        let o = Outcome::Response {
            status: StatusCode::TOO_MANY_REQUESTS,
            rate_limit: Some(&both),
        };
        assert_eq!(retry(p.decide(1, true, &o, 0.0)), Duration::from_secs(2));
    }

    #[test]
    fn budget_costs_and_refunds() {
        let p = RetryPolicy::default().budget(12);
        let b = p.new_budget();
        let throttle = status(429);
        let d = p.decide(1, true, &throttle, 0.5);
        assert!(matches!(p.settle(&b, &throttle, d), Decision::Retry(_)));
        assert_eq!(b.available(), 7);
        let timeout = Outcome::Timeout;
        let d = p.decide(1, true, &timeout, 0.5);
        assert_eq!(p.settle(&b, &timeout, d), Decision::Stop, "10 > 7 left");
        assert_eq!(b.available(), 7);
        let ok = status(200);
        assert_eq!(
            p.settle(&b, &ok, p.decide(1, true, &ok, 0.5)),
            Decision::Stop
        );
        assert_eq!(b.available(), 8);
        for _ in 0..10 {
            b.refund(1);
        }
        assert_eq!(b.available(), 12, "refunds stop at the capacity");
        assert_eq!(p.retry_cost(&status(503)), 5);
    }
}
