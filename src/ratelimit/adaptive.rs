//! The default scheduler: FIFO waiting per bucket, slots reserved at grant,
//! learning from 429s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::bucket::{BucketState, Learning, LimitSource, WindowKind};
use super::store::{InMemoryStore, LimiterStore};
use super::{
    BucketKey, BucketStats, Domain, Feedback, LimiterConfig, Limits, Permit, PermitHandle,
    RateLimiter,
};

/// The default [`RateLimiter`]: a bucket per (credential, base URL, domain)
/// with per-second and per-minute windows, adaptive to the server.
///
/// * Callers wait in FIFO order (a fair async mutex per bucket, no polling);
///   the head of the queue sleeps until the bucket has room.
/// * A slot is reserved when granted; a permit dropped before its request
///   was sent (the call was cancelled) gives it back, one dropped after
///   sending keeps it (the server has probably counted the request), and a
///   caller dropped while queued simply leaves the queue.
/// * A 429 re-estimates the tripped window's limit from our requests in it,
///   holding the domain until the window has room, and tells a window we
///   filled ourselves from one shared with other consumers: the first is
///   confirmed and probed upward slowly, the second is cut and recovers
///   within seconds ([`Probe`](super::Probe); the rule and its reasons are in
///   the [module documentation](super)).
/// * An unknown per-second window starts paced and doubles its pace every
///   second until the first 429 ([`LimiterConfig::slow_start`]).
/// * Limits can be configured per domain ([`LimiterConfig::limit`]), changed
///   at runtime ([`set_limits`](RateLimiter::set_limits)) or discovered.
///
/// Time comes from tokio (`tokio::time`), so tests can run it under a paused
/// clock. Clones share state.
///
/// ```
/// use std::sync::Arc;
/// use opsgenie_users::{Client, Domain};
/// use opsgenie_users::ratelimit::{AdaptiveLimiter, LimitSource, Limits, LimiterConfig, RateLimiter};
///
/// let limiter = Arc::new(AdaptiveLimiter::new(LimiterConfig::default()));
/// // Share one limiter between clients of the same account to share buckets.
/// let a = Client::builder().api_key("key").rate_limiter(limiter.clone()).build();
/// // Adjust at runtime:
/// limiter.set_limits(Domain::Configuration, Limits::per_minute(300), LimitSource::Configured);
/// # let _ = a;
/// ```
#[derive(Clone)]
pub struct AdaptiveLimiter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AdaptiveLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdaptiveLimiter")
            .field("config", &*self.inner.config())
            .finish_non_exhaustive()
    }
}

struct Inner {
    cfg: RwLock<Arc<LimiterConfig>>,
    /// Limits advertised for a domain (every account).
    discovered: RwLock<HashMap<Domain, Limits>>,
    /// Limits advertised for one account's bucket.
    discovered_for: RwLock<HashMap<BucketKey, Limits>>,
    store: Box<dyn LimiterStore>,
    gates: Mutex<HashMap<BucketKey, Arc<Gate>>>,
    next_id: AtomicU64,
}

/// The waiting machinery of one bucket (process-local, unlike its state).
struct Gate {
    /// FIFO queue: tokio's mutex hands the lock out in request order.
    queue: tokio::sync::Mutex<()>,
    /// Woken when the bucket may have room earlier than computed.
    changed: Notify,
    last_stats: Mutex<Option<Instant>>,
}

impl Default for AdaptiveLimiter {
    fn default() -> Self {
        AdaptiveLimiter::new(LimiterConfig::default())
    }
}

impl AdaptiveLimiter {
    /// A limiter with `config` and an in-memory store.
    pub fn new(config: LimiterConfig) -> Self {
        Self::with_store(config, InMemoryStore::default())
    }

    /// A limiter keeping its bucket state in `store`.
    fn with_store(config: LimiterConfig, store: impl LimiterStore) -> Self {
        AdaptiveLimiter {
            inner: Arc::new(Inner {
                cfg: RwLock::new(Arc::new(config)),
                discovered: RwLock::new(HashMap::new()),
                discovered_for: RwLock::new(HashMap::new()),
                store: Box::new(store),
                gates: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// The current configuration.
    pub fn config(&self) -> Arc<LimiterConfig> {
        self.inner.config()
    }

    /// Changes the pacing targets at runtime (see [`LimiterConfig`]).
    pub fn set_targets(&self, learned: f64, stated: f64) {
        let mut cfg = (*self.inner.config()).clone();
        cfg = cfg.target(learned).stated_target(stated);
        *self.inner.cfg.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cfg);
        self.inner.notify_all(None);
    }
}

impl Inner {
    fn config(&self) -> Arc<LimiterConfig> {
        self.cfg.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn gate(&self, key: &BucketKey) -> Arc<Gate> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates
            .entry(key.clone())
            .or_insert_with(|| {
                Arc::new(Gate {
                    queue: tokio::sync::Mutex::new(()),
                    changed: Notify::new(),
                    last_stats: Mutex::new(None),
                })
            })
            .clone()
    }

    fn initial(&self, key: &BucketKey) -> (Limits, LimitSource) {
        if let Some(l) = self.config().limits.get(&key.domain) {
            return (*l, LimitSource::Configured);
        }
        if let Some(l) = self
            .discovered_for
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return (*l, LimitSource::Discovered);
        }
        if let Some(l) = self
            .discovered
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key.domain)
        {
            return (*l, LimitSource::Discovered);
        }
        (Limits::unknown(), LimitSource::Configured)
    }

    fn update(&self, key: &BucketKey, f: &mut dyn FnMut(&mut BucketState)) {
        let init = || {
            let (limits, source) = self.initial(key);
            BucketState::new(limits, source)
        };
        self.store.update(key, &init, f);
    }

    fn notify_all(&self, domain: Option<Domain>) {
        let gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        for (k, g) in gates.iter() {
            if domain.is_none_or(|d| d == k.domain) {
                g.changed.notify_waiters();
            }
        }
    }

    fn stats_of(
        &self,
        key: &BucketKey,
        st: &BucketState,
        now: Instant,
        cfg: &LimiterConfig,
    ) -> BucketStats {
        let (second, minute) = st.effective(now, cfg);
        BucketStats {
            key: key.clone(),
            sent: st.sent,
            throttled: st.throttled,
            per_minute: minute.map(|e| e.estimate),
            per_second: second.map(|e| e.estimate),
            source: minute.or(second).map(|e| e.source),
            per_minute_source: minute.map(|e| e.source),
            per_second_source: second.map(|e| e.source),
            queued: st.queued,
            total_wait: st.total_wait,
        }
    }

    fn maybe_emit_stats(
        &self,
        key: &BucketKey,
        gate: &Gate,
        st: &BucketState,
        now: Instant,
        cfg: &LimiterConfig,
    ) {
        let mut last = gate.last_stats.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|l| now.saturating_duration_since(l) < cfg.stats_interval) {
            return;
        }
        *last = Some(now);
        let s = self.stats_of(key, st, now, cfg);
        tracing::info!(
            target: "opsgenie_users::ratelimit",
            domain = %key.domain,
            sent = s.sent,
            throttled = s.throttled,
            per_minute = ?s.per_minute,
            per_second = ?s.per_second,
            per_minute_source = ?s.per_minute_source,
            per_second_source = ?s.per_second_source,
            queued = s.queued,
            total_wait_ms = s.total_wait.as_millis() as u64,
            "rate limit stats"
        );
    }
}

/// Counts a caller in the queue for as long as it waits (also when dropped).
struct Queued<'a> {
    inner: &'a Inner,
    key: &'a BucketKey,
    /// Already counted out (with the grant, under the same update).
    left: bool,
}

impl<'a> Queued<'a> {
    fn enter(inner: &'a Inner, key: &'a BucketKey) -> Self {
        inner.update(key, &mut |st| st.queued += 1);
        Queued {
            inner,
            key,
            left: false,
        }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if !self.left {
            self.inner
                .update(self.key, &mut |st| st.queued = st.queued.saturating_sub(1));
        }
    }
}

#[async_trait]
impl RateLimiter for AdaptiveLimiter {
    async fn acquire(&self, key: &BucketKey) -> Permit {
        let inner = &*self.inner;
        let gate = inner.gate(key);
        let start = Instant::now();
        let mut queued = Queued::enter(inner, key);
        let _turn = gate.queue.lock().await;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        loop {
            let changed = gate.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            let cfg = inner.config();
            let mut result = Ok(());
            inner.update(key, &mut |st| {
                result = st.try_grant(now, id, &cfg);
                if result.is_ok() {
                    // Out of the queue before the statistics are taken.
                    st.queued = st.queued.saturating_sub(1);
                    st.total_wait += now.saturating_duration_since(start);
                    inner.maybe_emit_stats(key, &gate, st, now, &cfg);
                }
            });
            match result {
                Ok(()) => {
                    queued.left = true;
                    break;
                }
                Err(at) => {
                    tracing::trace!(domain = %key.domain, wait_ms = at.saturating_duration_since(now).as_millis() as u64, "waiting for a rate-limit slot");
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut changed => {}
                    }
                }
            }
        }
        drop(queued);
        let waited_ms = start.elapsed().as_millis() as u64;
        if waited_ms > 0 {
            tracing::debug!(domain = %key.domain, waited_ms, "rate-limit slot granted after a wait");
        }
        Permit::new(Box::new(Handle {
            inner: self.inner.clone(),
            key: key.clone(),
            id,
        }))
    }

    fn set_limits(&self, domain: Domain, limits: Limits, source: LimitSource) {
        let inner = &*self.inner;
        match source {
            LimitSource::Discovered => {
                if inner.config().limits.contains_key(&domain) {
                    // The user's configuration wins over the advertised one.
                    return;
                }
                inner
                    .discovered
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(domain, limits);
            }
            _ => {
                let mut cfg = (*inner.config()).clone();
                cfg.limits.insert(domain, limits);
                *inner.cfg.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(cfg);
            }
        }
        let keys: Vec<BucketKey> = inner
            .gates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .filter(|k| k.domain == domain)
            .cloned()
            .collect();
        for key in keys {
            inner.update(&key, &mut |st| st.set_limits(limits, source));
        }
        tracing::info!(target: "opsgenie_users::ratelimit", domain = %domain, per_minute = ?limits.per_minute, per_second = ?limits.per_second, ?source, "rate limits set");
        inner.notify_all(Some(domain));
    }

    fn set_bucket_limits(&self, key: &BucketKey, limits: Limits, source: LimitSource) {
        let inner = &*self.inner;
        if source == LimitSource::Discovered {
            if inner.config().limits.contains_key(&key.domain) {
                // The user's configuration wins over the advertised one.
                return;
            }
            inner
                .discovered_for
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key.clone(), limits);
        }
        inner.update(key, &mut |st| st.set_limits(limits, source));
        tracing::info!(target: "opsgenie_users::ratelimit", domain = %key.domain, per_minute = ?limits.per_minute, per_second = ?limits.per_second, ?source, "rate limits set for one account");
        inner.gate(key).changed.notify_waiters();
    }

    fn stats(&self) -> Vec<BucketStats> {
        let now = Instant::now();
        let cfg = self.inner.config();
        self.inner
            .store
            .snapshot()
            .iter()
            .map(|(k, st)| self.inner.stats_of(k, st, now, &cfg))
            .collect()
    }
}

struct Handle {
    inner: Arc<Inner>,
    key: BucketKey,
    id: u64,
}

impl PermitHandle for Handle {
    fn complete(self: Box<Self>, feedback: &Feedback) {
        let now = Instant::now();
        let cfg = self.inner.config();
        let mut learning = Learning::Nothing;
        let mut throttled = 0;
        self.inner.update(&self.key, &mut |st| {
            learning = st.complete(now, self.id, feedback, &cfg);
            throttled = st.throttled;
        });
        if let Learning::Throttled { window, estimate } = learning {
            let period = match window {
                WindowKind::Second => 1,
                WindowKind::Minute => 60,
            };
            let reason = feedback
                .rate_limit
                .as_ref()
                .and_then(|r| r.reason.as_deref());
            match estimate {
                Some(estimate) => tracing::info!(
                    target: "opsgenie_users::ratelimit",
                    domain = %self.key.domain,
                    reason,
                    period_secs = period,
                    estimate,
                    throttled,
                    "throttled (429): limit re-estimated"
                ),
                None => tracing::debug!(
                    target: "opsgenie_users::ratelimit",
                    domain = %self.key.domain,
                    reason,
                    period_secs = period,
                    throttled,
                    "throttled (429): sent before the last 429 or none of ours in the window; estimate kept"
                ),
            }
            // The 429's slot was given back: the head of the queue may go sooner.
            self.inner.gate(&self.key).changed.notify_waiters();
        }
    }

    fn cancel(self: Box<Self>) {
        let now = Instant::now();
        let cfg = self.inner.config();
        self.inner
            .update(&self.key, &mut |st| st.release(now, self.id, &cfg));
        self.inner.gate(&self.key).changed.notify_waiters();
    }
}
