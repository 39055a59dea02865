//! Rate limiting: request domains, the limiter interface the client asks for
//! a permit before every attempt, and the default adaptive scheduler.
//!
//! Opsgenie limits each account per *request domain*, with a per-minute and a
//! per-second rolling window. Each call names its domain when it is built (no
//! URL sniffing): user, team and role management is [`Domain::Configuration`],
//! List Users is [`Domain::Search`].
//!
//! The client's default limiter is an [`AdaptiveLimiter`]: one bucket per
//! (credential, base URL, domain), FIFO waiting, slots reserved at grant and
//! given back when a caller gives up before its request was sent. Limits can
//! be configured per domain, changed at runtime, discovered from `GET /v2/request-limits/`
//! ([`Client::discover_rate_limits`](crate::Client::discover_rate_limits)), or
//! left unknown; a 429 always teaches the scheduler the real limit. By
//! default a [`Client`](crate::Client) reads `GET /v2/request-limits/` before
//! its first call ([`ClientBuilder::discover_rate_limits`](crate::ClientBuilder::discover_rate_limits)).
//!
//! ```no_run
//! use std::sync::Arc;
//! use opsgenie_users::{Client, Domain};
//! use opsgenie_users::ratelimit::{AdaptiveLimiter, LimiterConfig, Limits, RateLimiter};
//!
//! # async fn demo() -> opsgenie_users::Result<()> {
//! let limiter = Arc::new(AdaptiveLimiter::new(
//!     LimiterConfig::default().limit(Domain::Configuration, Limits::per_minute(600).and_per_second(10)),
//! ));
//! let client = Client::builder().api_key("key").rate_limiter(limiter.clone()).build()?;
//! // ... run a bulk job, then:
//! for s in limiter.stats() {
//!     println!("{}: sent {} throttled {} waited {:?}", s.key.domain, s.sent, s.throttled, s.total_wait);
//! }
//! # let _ = client; Ok(()) }
//! ```
//!
//! # How limits are learned
//!
//! A 429 says the server's window was full when the request arrived; it does
//! not say whose requests filled it. Another process on the same account, a
//! second replica, or this same job restarted a moment ago all share the
//! quota. Counting only our own requests (call it `A`: ours granted in the
//! period before the refused one, answered or still in flight) gives a lower
//! bound on the limit, exact when nobody else is sending. (Each window keeps
//! its slots for its stretched length and one period more, answered or not:
//! a 429 that comes later than that after its request was granted, for a
//! request in flight that long, teaches nothing.) The estimate treats it so:
//!
//! * **A 429 with our count at a stated limit** (configured or advertised,
//!   within one request in ten): the arrival jitter of one request, not a
//!   wrong limit. The limit stays; the window waits until the oldest of ours
//!   has left. The third such 429 within [`Probe::forget`] means the stated
//!   limit is a little high: it is then treated as below.
//! * **First 429 of a window** (limit unknown, or our count clearly under a
//!   stated limit): the estimate becomes `A`, *unconfirmed*. A stated limit
//!   is corrected at once, since the server's answer outranks an
//!   advertisement. An unconfirmed estimate stays
//!   flat for [`Probe::settle`] (one period by default: the server's window
//!   turns over, so anything others left in it is gone) and then doubles every
//!   [`Probe::doubling`] (1 s for the per-second window: a mistake there costs
//!   one second; 30 s for the per-minute window), capped by a stated limit.
//!   If `A` was our share of a window others had filled, the estimate is back
//!   at the real limit a few doublings later instead of staying at the handful
//!   we happened to get.
//! * **A later 429, a period or more after the first, whose count agrees**
//!   (within 20 % of the count the unconfirmed estimate started from): our
//!   own traffic filled the window both times, so the larger count is the
//!   limit. The estimate becomes that, *confirmed*: it holds for [`Probe::hold`], then
//!   probes upward on a slow convex ramp (`gain × steps²`), so a raised
//!   limit is found in minutes; the 429 that ends a probe confirms the level
//!   again. A count that disagrees replaces an unconfirmed estimate, still
//!   unconfirmed (a restart: a first count of 2 in a window the previous run
//!   had filled, a later one of 10).
//! * **A 429 one short of a confirmed level** (one request in ten): arrival
//!   jitter. The level stays and a probe above it stops.
//! * **A 429 with fewer of ours than that**: someone else is
//!   using the quota (or, rarely, the limit went down). Like CUBIC (and the
//!   adaptive limiter of the AWS SDKs), the current rate is cut to
//!   [`Probe::beta`] of itself (never below `A`) instead of being replaced
//!   by our own count, and climbs back to the confirmed level within
//!   [`Probe::recovery`] on a concave curve (fast at first, slow near the
//!   level). The level itself is not lowered by such a 429: a neighbour
//!   sending steadily would otherwise ratchet it down one step per 429.
//!   Each further 429 of the same run (one a period at most; those within a
//!   period of a cut meet the same full window) doubles the time to climb
//!   back, up to eight times, so a
//!   neighbour that stays is met by fewer and fewer 429s, and once they have
//!   kept coming for [`Probe::forget`] (a minute for the per-second window)
//!   our largest share since becomes the level. A throttle caused by a
//!   neighbour thus costs a few seconds, not minutes at a fraction of the
//!   limit.
//! * **A 429 with none of our requests in the window**: the limit is not
//!   learned (nothing was measured); the window pauses for one period.
//! * **A 429 for a request sent before the last reaction** (it was in flight)
//!   carries no new information: its slot is given back, nothing else.
//!
//! After each reaction the window waits until the oldest of our requests in
//! it has left (a cut does not resend into a window the server just called
//! full), and the pacer starts again from one interval.
//!
//! An unknown per-second window starts in *slow start* (as TCP does): paced
//! at [`LimiterConfig::slow_start`] per second (default 10), doubling every
//! second until the first 429. Without it, every request in flight when the
//! limit is first reached would be refused; with it, a job at a 10/s limit
//! sees one 429 there. An unknown per-minute window is not paced (the
//! per-second slow start already spreads the start of a job).
//!
//! Why this shape: replacing the estimate by our own count at every 429
//! (what this limiter did before) is exact for a job alone on its account
//! and collapses when it is not: a job restarted while its previous run's
//! last requests were still in the server's window learned "2 per second"
//! and crawled for minutes. Cutting by a factor at every 429 (pure CUBIC)
//! never collapses but keeps probing past a limit that is fixed, one 429
//! every few seconds. Opsgenie's limits are fixed per plan, so a count
//! confirmed twice is worth holding to, while a first count, or one that
//! disagrees, is only a lower bound worth testing quickly. Per-second
//! windows use short settle, doubling and recovery times (a wrong guess
//! costs at most a second of 429s); per-minute windows long ones. The
//! figures (paused-clock scenarios in `tests/ratelimit.rs`, and runs of the
//! examples against the simulator) are in the README.

mod adaptive;
mod bucket;
#[cfg(feature = "redis")]
mod redis;
mod store;

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::RateLimitInfo;
use crate::retry::Outcome;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreConfig};
pub(crate) use crate::request::Domain;
pub use adaptive::AdaptiveLimiter;
pub use bucket::{LimitSource, Probe};
pub use store::{Counted, InMemoryStore, LimiterStore, Note, Reservation, Slot, WindowLimit};

/// A map keyed by [`BucketKey`], hashed with rustc-hash's Fx hasher instead
/// of the standard SipHash: the keys come from the client's own
/// configuration, never from a server, so the maps need no defence against
/// chosen collisions, and SipHash of the base URL (three per call: the
/// bucket's gate at the permit, its state at the grant and at the
/// completion) was a measurable share of a permit's cost.
pub(crate) type KeyMap<V> = HashMap<BucketKey, V, rustc_hash::FxBuildHasher>;

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

/// What the client reports back to the limiter after an attempt: the
/// attempt's [`Outcome`], classified once and shared with the retry policy.
///
/// ```
/// use http::StatusCode;
/// use opsgenie_users::ratelimit::Feedback;
/// use opsgenie_users::retry::Outcome;
/// let fb = Feedback::from_outcome(&Outcome::Response { status: StatusCode::TOO_MANY_REQUESTS, rate_limit: None });
/// assert!(fb.throttled);
/// assert_eq!(fb.status, Some(429));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Feedback {
    /// HTTP status, or `None` when no response arrived (timeout, connection error).
    pub status: Option<u16>,
    /// The `X-RateLimit-*` headers of the response.
    pub rate_limit: Option<RateLimitInfo>,
    /// The server throttled the attempt ([`Outcome::is_throttle`]): it did
    /// not act on it.
    pub throttled: bool,
}

impl Feedback {
    /// The feedback of a sent request whose answer never came (its caller
    /// gave up): the slot counts as used.
    pub fn unanswered() -> Self {
        Feedback {
            status: None,
            rate_limit: None,
            throttled: false,
        }
    }

    /// The feedback of an attempt that ended with `outcome`.
    pub fn from_outcome(outcome: &Outcome<'_>) -> Self {
        let (status, rate_limit) = match outcome {
            Outcome::Response { status, rate_limit } => {
                (Some(status.as_u16()), rate_limit.cloned())
            }
            _ => (None, None),
        };
        Feedback {
            status,
            rate_limit,
            throttled: outcome.is_throttle(),
        }
    }
}

/// A granted slot. Report the outcome with [`Permit::complete`].
///
/// Dropping it without completing tells the limiter the attempt was
/// abandoned: a permit dropped before its request was sent gives its slot
/// back; once [`mark_sent`](Permit::mark_sent) was called, the server has
/// probably counted the request, so the slot stays used (the limiter is told
/// "no answer", as for a timeout).
///
/// ```
/// use opsgenie_users::ratelimit::Permit;
/// let mut permit = Permit::unlimited();
/// permit.mark_sent();
/// drop(permit); // a sent request keeps its slot
/// ```
pub struct Permit {
    inner: Held,
    sent: bool,
}

/// What a [`Permit`] holds: the default limiter's handle is kept inline
/// (no allocation per permit), any other limiter's boxed.
enum Held {
    Nothing,
    Adaptive(adaptive::Handle),
    Boxed(Box<dyn PermitHandle>),
}

impl Held {
    fn take(&mut self) -> Held {
        std::mem::replace(self, Held::Nothing)
    }

    fn complete(self, feedback: &Feedback) {
        match self {
            Held::Nothing => {}
            Held::Adaptive(h) => h.finish(feedback),
            Held::Boxed(h) => h.complete(feedback),
        }
    }

    fn cancel(self) {
        match self {
            Held::Nothing => {}
            Held::Adaptive(h) => h.give_back(),
            Held::Boxed(h) => h.cancel(),
        }
    }
}

/// The limiter side of a [`Permit`].
pub trait PermitHandle: Send + 'static {
    /// The attempt finished with `feedback` (also called with
    /// [`Feedback::unanswered`] when a sent request's caller gave up).
    fn complete(self: Box<Self>, feedback: &Feedback);
    /// The attempt was abandoned before its request was sent (the caller's
    /// future was dropped): the slot may be given back.
    fn cancel(self: Box<Self>);
}

impl Permit {
    /// A permit that tracks nothing.
    pub fn unlimited() -> Self {
        Permit {
            inner: Held::Nothing,
            sent: false,
        }
    }

    /// Wraps a limiter's handle.
    pub fn new(handle: Box<dyn PermitHandle>) -> Self {
        Permit {
            inner: Held::Boxed(handle),
            sent: false,
        }
    }

    /// The default limiter's permit, without a box.
    pub(crate) fn adaptive(handle: adaptive::Handle) -> Self {
        Permit {
            inner: Held::Adaptive(handle),
            sent: false,
        }
    }

    /// Records that the request is being handed to the transport: from now
    /// on, dropping the permit counts the slot as used.
    pub fn mark_sent(&mut self) {
        self.sent = true;
    }

    /// Reports the outcome of the attempt made with this permit.
    pub fn complete(mut self, feedback: &Feedback) {
        self.inner.take().complete(feedback);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let held = self.inner.take();
        if self.sent {
            held.complete(&Feedback::unanswered());
        } else {
            held.cancel();
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("tracked", &!matches!(self.inner, Held::Nothing))
            .field("sent", &self.sent)
            .finish()
    }
}

/// Grants permits. The client calls [`acquire`](RateLimiter::acquire) before
/// every attempt and completes the permit with what the server said.
#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits until `key`'s bucket has a slot and reserves it. Dropping the
    /// returned future leaves the queue at once.
    async fn acquire(&self, key: &BucketKey) -> Permit;

    /// A permit for `key` at once, without waiting, or `None`. The client
    /// asks this first and awaits [`acquire`](Self::acquire) only on
    /// `None`, so a limiter that can tell cheaply that a slot is free (and
    /// nobody waits ahead) saves the call its future. `None` must leave
    /// nothing reserved. The default implementation always says `None`.
    ///
    /// ```
    /// use opsgenie_users::ratelimit::{BucketKey, RateLimiter, Unlimited};
    /// use opsgenie_users::Domain;
    /// let key = BucketKey { credential: 1, base_url: "https://api.opsgenie.com/".into(), domain: Domain::Configuration };
    /// assert!(Unlimited.try_acquire(&key).is_some());
    /// ```
    fn try_acquire(&self, key: &BucketKey) -> Option<Permit> {
        let _ = key;
        None
    }

    /// Sets the limits of `domain` (every credential and base URL) at
    /// runtime. The default implementation ignores them.
    fn set_limits(&self, domain: Domain, limits: Limits, source: LimitSource) {
        let _ = (domain, limits, source);
    }

    /// Sets the limits of one bucket: `key`'s credential, base URL and
    /// domain. The client calls it with what `GET /v2/request-limits/`
    /// advertised for its account ([`LimitSource::Discovered`]), so a limiter
    /// shared between accounts keeps each account's limits apart. The default
    /// implementation calls [`set_limits`](Self::set_limits) for the domain.
    fn set_bucket_limits(&self, key: &BucketKey, limits: Limits, source: LimitSource) {
        self.set_limits(key.domain, limits, source);
    }

    /// Statistics per bucket. The default implementation has none.
    fn stats(&self) -> Vec<BucketStats> {
        Vec::new()
    }
}

/// A domain's limits per window; `None` means unknown (learned from 429s).
///
/// ```
/// use opsgenie_users::ratelimit::Limits;
/// let l = Limits::per_minute(600).and_per_second(10);
/// assert_eq!((l.per_minute, l.per_second), (Some(600), Some(10)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Requests per rolling minute.
    pub per_minute: Option<u32>,
    /// Requests per rolling second.
    pub per_second: Option<u32>,
}

impl Limits {
    /// Unknown in both windows: fully adaptive.
    pub fn unknown() -> Self {
        Limits::default()
    }

    /// `n` requests per minute, per-second window unknown.
    pub fn per_minute(n: u32) -> Self {
        Limits {
            per_minute: Some(n.max(1)),
            per_second: None,
        }
    }

    /// `n` requests per second, per-minute window unknown.
    pub fn per_second(n: u32) -> Self {
        Limits {
            per_minute: None,
            per_second: Some(n.max(1)),
        }
    }

    /// Adds a per-second limit.
    pub fn and_per_second(mut self, n: u32) -> Self {
        self.per_second = Some(n.max(1));
        self
    }

    /// Adds a per-minute limit.
    pub fn and_per_minute(mut self, n: u32) -> Self {
        self.per_minute = Some(n.max(1));
        self
    }
}

/// Settings of the [`AdaptiveLimiter`].
///
/// ```
/// use opsgenie_users::Domain;
/// use opsgenie_users::ratelimit::{LimiterConfig, Limits};
/// let cfg = LimiterConfig::default()
///     .limit(Domain::Configuration, Limits::per_minute(74))
///     .target(0.9);
/// # let _ = cfg;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LimiterConfig {
    /// Limits per domain the user knows; other domains start unknown.
    pub limits: HashMap<Domain, Limits>,
    /// Pacing target for limits learned from 429s: the fraction of the
    /// estimate to use (default 0.95).
    pub target: f64,
    /// Pacing target for configured or discovered limits (default 0.98): a
    /// small margin for clock and network skew between us and the server.
    pub stated_target: f64,
    /// How the per-minute window's learned estimate moves ([`Probe::per_minute`]).
    pub probe: Probe,
    /// How the per-second window's learned estimate moves ([`Probe::per_second`]).
    pub second_probe: Probe,
    /// Initial pace, in requests per second, of a per-second window whose
    /// limit is unknown; it doubles every [`Probe::doubling`] of
    /// `second_probe` until the first 429 (default 10). `None`: an unknown
    /// window does not wait at all, and a job's first burst meets the limit
    /// with every request it has in flight.
    pub slow_start: Option<f64>,
    /// Interval of the periodic `tracing` statistics event per bucket (default 60 s).
    pub stats_interval: Duration,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            limits: HashMap::new(),
            target: 0.95,
            stated_target: 0.98,
            probe: Probe::per_minute(),
            second_probe: Probe::per_second(),
            slow_start: Some(10.0),
            stats_interval: Duration::from_secs(60),
        }
    }
}

impl LimiterConfig {
    /// Sets `domain`'s known limits.
    pub fn limit(mut self, domain: Domain, limits: Limits) -> Self {
        self.limits.insert(domain, limits);
        self
    }

    /// Pacing target for learned limits, in `(0, 1]`.
    pub fn target(mut self, fraction: f64) -> Self {
        self.target = fraction.clamp(0.05, 1.0);
        self
    }

    /// Pacing target for configured and discovered limits, in `(0, 1]`.
    pub fn stated_target(mut self, fraction: f64) -> Self {
        self.stated_target = fraction.clamp(0.05, 1.0);
        self
    }

    /// How the per-minute window's learned estimate moves.
    pub fn probe(mut self, probe: Probe) -> Self {
        self.probe = probe;
        self
    }

    /// How the per-second window's learned estimate moves.
    pub fn second_probe(mut self, probe: Probe) -> Self {
        self.second_probe = probe;
        self
    }

    /// The initial pace of an unknown per-second window (see
    /// [`slow_start`](Self::slow_start)); `None` switches slow start off.
    pub fn slow_start(mut self, per_second: Option<f64>) -> Self {
        self.slow_start = per_second.filter(|r| r.is_finite() && *r > 0.0);
        self
    }
}

/// A snapshot of one bucket, from [`RateLimiter::stats`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BucketStats {
    /// The bucket.
    pub key: BucketKey,
    /// Requests sent: slots granted and not given back (429s included).
    pub sent: u64,
    /// 429 answers.
    pub throttled: u64,
    /// Current estimate of the server's per-minute limit (`None`: unknown).
    pub per_minute: Option<f64>,
    /// Current estimate of the server's per-second limit (`None`: unknown).
    pub per_second: Option<f64>,
    /// Where the per-minute estimate comes from, or else the per-second one.
    pub source: Option<LimitSource>,
    /// Where the per-minute estimate comes from (`None`: unknown).
    pub per_minute_source: Option<LimitSource>,
    /// Where the per-second estimate comes from (`None`: unknown).
    pub per_second_source: Option<LimitSource>,
    /// Callers waiting for a slot.
    pub queued: usize,
    /// Total time callers spent waiting for a slot.
    pub total_wait: Duration,
}

/// Parses the body of `GET /v2/request-limits/`:
/// `{"data": {"rateLimits": [{"domain": "configuration", "limits": [{"limit": 600, "periodInSeconds": 60}, ...]}]}}`.
/// Unknown domains and periods other than 1 and 60 seconds are skipped;
/// anything malformed yields an empty list (the endpoint is undocumented).
///
/// ```
/// use opsgenie_users::Domain;
/// use opsgenie_users::ratelimit::{parse_request_limits, Limits};
/// let body = br#"{"data":{"rateLimits":[{"domain":"configuration","limits":[
///     {"limit":600,"periodInSeconds":60},{"limit":10,"periodInSeconds":1}]}]}}"#;
/// assert_eq!(
///     parse_request_limits(body),
///     vec![(Domain::Configuration, Limits::per_minute(600).and_per_second(10))]
/// );
/// ```
pub fn parse_request_limits(body: &[u8]) -> Vec<(Domain, Limits)> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(list) = v.pointer("/data/rateLimits").and_then(|l| l.as_array()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in list {
        let Some(domain) = entry
            .get("domain")
            .and_then(|d| d.as_str())
            .and_then(Domain::parse)
        else {
            continue;
        };
        let mut limits = Limits::unknown();
        for l in entry
            .get("limits")
            .and_then(|l| l.as_array())
            .into_iter()
            .flatten()
        {
            let limit = l.get("limit").and_then(|x| x.as_u64());
            let period = l.get("periodInSeconds").and_then(|x| x.as_u64());
            match (limit, period) {
                (Some(n), Some(60)) if n > 0 => {
                    limits.per_minute = Some(n.min(u32::MAX as u64) as u32)
                }
                (Some(n), Some(1)) if n > 0 => {
                    limits.per_second = Some(n.min(u32::MAX as u64) as u32)
                }
                _ => {}
            }
        }
        if limits != Limits::unknown() {
            out.push((domain, limits));
        }
    }
    out
}

/// A limiter that never waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

#[async_trait]
impl RateLimiter for Unlimited {
    async fn acquire(&self, _key: &BucketKey) -> Permit {
        Permit::unlimited()
    }

    fn try_acquire(&self, _key: &BucketKey) -> Option<Permit> {
        Some(Permit::unlimited())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_limits_parse_and_tolerate_junk() {
        let body = br#"{"data":{"rateLimits":[
            {"domain":"configuration","limits":[{"limit":600,"periodInSeconds":60},{"limit":10,"periodInSeconds":1}]},
            {"domain":"search","limits":[{"limit":300,"periodInSeconds":60},{"limit":5,"periodInSeconds":3600}]},
            {"domain":"brand-new","limits":[{"limit":1,"periodInSeconds":1}]},
            {"domain":"alert","limits":"nope"}
        ]}}"#;
        assert_eq!(
            parse_request_limits(body),
            vec![
                (
                    Domain::Configuration,
                    Limits::per_minute(600).and_per_second(10)
                ),
                (Domain::Search, Limits::per_minute(300)),
            ]
        );
        assert!(parse_request_limits(b"<html>502</html>").is_empty());
        assert!(parse_request_limits(br#"{"data":{}}"#).is_empty());
    }
}
