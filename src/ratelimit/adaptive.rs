//! The default scheduler: FIFO waiting per bucket, slots reserved at grant,
//! learning from 429s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use async_trait::async_trait;
use crossbeam_utils::CachePadded;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::bucket::{BucketState, Learning, LimitSource, WindowKind};
use serde::{Deserialize, Serialize};

use super::bucket::{Counted, Knowledge};
use super::store::{
    update_cell, LimiterStore, LocalStates, Reservation, Slot, StateCell, WindowLimit,
};
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
///   holding the domain until the window has room (and at least until the
///   429's `Retry-After`, when it has one, for at most a minute), and tells a window we
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
    /// Read-locked by every call (a write to the lock's word): on a cache
    /// line of its own, apart from the fields every call only reads.
    cfg: CachePadded<RwLock<Arc<LimiterConfig>>>,
    /// Limits advertised for a domain (every account).
    discovered: RwLock<HashMap<Domain, Limits>>,
    /// Limits advertised for one account's bucket.
    discovered_for: RwLock<HashMap<BucketKey, Limits>>,
    store: LocalStates,
    /// The ledger and notes shared with other limiters, if any.
    shared: Option<Arc<dyn LimiterStore>>,
    /// This limiter's name on the shared store's notes (its own are skipped).
    tag: u64,
    /// Per bucket: the version of the shared store's notes last read.
    seen: Mutex<HashMap<BucketKey, u64>>,
    /// Read per call; written only when a bucket is first used.
    gates: RwLock<super::KeyMap<Arc<CachePadded<Gate>>>>,
    /// Per domain, the first bucket used: a client's calls nearly always
    /// draw from it, and find it here without the map's lock or a hash
    /// (a lock taken by every call of every worker moves its cache line
    /// from core to core).
    first: [OnceLock<Arc<CachePadded<Gate>>>; FIRST_SLOTS],
    /// This limiter, for its gates (not kept alive by them).
    me: Weak<Inner>,
}

/// Slots of [`Inner::first`]: one per [`Domain`], with room for more.
const FIRST_SLOTS: usize = 16;

/// The waiting machinery of one bucket (process-local, unlike its state).
struct Gate {
    /// The bucket (permits hold the gate, not a copy of the key).
    key: BucketKey,
    /// The bucket's state, the same cell as in the limiter's map: a call
    /// updates it without looking the key up again.
    state: StateCell,
    /// FIFO queue: tokio's mutex hands the lock out in request order.
    queue: tokio::sync::Mutex<()>,
    /// Woken when the bucket may have room earlier than computed.
    changed: Notify,
    last_stats: Mutex<Option<Instant>>,
    /// The limiter, reached only off the common path (a 429, a permit
    /// given back, a shared store): a permit holds the gate alone, so its
    /// grant and completion touch one reference count, not two.
    limiter: Weak<Inner>,
}

impl Default for AdaptiveLimiter {
    fn default() -> Self {
        AdaptiveLimiter::new(LimiterConfig::default())
    }
}

impl AdaptiveLimiter {
    /// A limiter with `config`, local to this process.
    pub fn new(config: LimiterConfig) -> Self {
        Self::build(config, None)
    }

    /// A limiter with `config` that also reserves every request's slot in
    /// `store`, shared with the other limiters on it (other clients, other
    /// processes with a `RedisStore`): they stay within one quota together.
    ///
    /// What one learns reaches all: a 429 is judged by the number of
    /// requests the store counted in the window (all limiters', so a window
    /// the limiters filled together is not taken for a neighbour's), and
    /// the resulting estimate (confirmed level, cut and recovery, pause), as
    /// well as limits discovered from `GET /v2/request-limits/`, are left as
    /// notes on the store, which the other limiters adopt at their next
    /// reservation. A limit configured in a limiter stays its own.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use opsgenie_users::Client;
    /// use opsgenie_users::ratelimit::{AdaptiveLimiter, InMemoryStore, LimiterConfig};
    ///
    /// let store = Arc::new(InMemoryStore::new());
    /// let a = Arc::new(AdaptiveLimiter::with_store(LimiterConfig::default(), store.clone()));
    /// let b = Arc::new(AdaptiveLimiter::with_store(LimiterConfig::default(), store));
    /// let sync_job = Client::builder().api_key("key").rate_limiter(a).build();
    /// let chat_bot = Client::builder().api_key("key").rate_limiter(b).build();
    /// # let _ = (sync_job, chat_bot);
    /// ```
    pub fn with_store(config: LimiterConfig, store: Arc<dyn LimiterStore>) -> Self {
        Self::build(config, Some(store))
    }

    fn build(config: LimiterConfig, shared: Option<Arc<dyn LimiterStore>>) -> Self {
        AdaptiveLimiter {
            inner: Arc::new_cyclic(|me| Inner {
                cfg: CachePadded::new(RwLock::new(Arc::new(config))),
                discovered: RwLock::new(HashMap::new()),
                discovered_for: RwLock::new(HashMap::new()),
                store: LocalStates::default(),
                shared,
                tag: fastrand::u64(..),
                seen: Mutex::new(HashMap::new()),
                gates: RwLock::new(super::KeyMap::default()),
                first: Default::default(),
                me: me.clone(),
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

    fn gate(&self, key: &BucketKey) -> Arc<CachePadded<Gate>> {
        let first = self.first.get(key.domain as usize);
        if let Some(gate) = first.and_then(OnceLock::get) {
            if gate.key == *key {
                return gate.clone();
            }
        }
        let gate = self.gate_of_map(key);
        if let Some(first) = first {
            // Taken by the domain's first bucket; later ones stay in the map.
            first.get_or_init(|| gate.clone());
        }
        gate
    }

    fn gate_of_map(&self, key: &BucketKey) -> Arc<CachePadded<Gate>> {
        // Shared lock first: callers of a known bucket do not wait for
        // each other here.
        if let Some(gate) = self
            .gates
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return gate.clone();
        }
        let mut gates = self.gates.write().unwrap_or_else(|e| e.into_inner());
        // Looked up again: another caller may have added it meanwhile; the
        // key is copied only for a new bucket.
        if let Some(gate) = gates.get(key) {
            return gate.clone();
        }
        let gate = Arc::new(CachePadded::new(Gate {
            key: key.clone(),
            state: self.store.cell(key, &|| self.fresh(key)),
            queue: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
            last_stats: Mutex::new(None),
            limiter: self.me.clone(),
        }));
        gates.insert(key.clone(), gate.clone());
        gate
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

    /// A new bucket's state.
    fn fresh(&self, key: &BucketKey) -> BucketState {
        let (limits, source) = self.initial(key);
        BucketState::new(limits, source)
    }

    fn update(&self, key: &BucketKey, f: &mut dyn FnMut(&mut BucketState)) {
        self.store.update(key, &|| self.fresh(key), f);
    }

    fn notify_all(&self, domain: Option<Domain>) {
        let gates = self.gates.read().unwrap_or_else(|e| e.into_inner());
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
        // Nobody listens: no lock, no statistics.
        if !tracing::enabled!(target: "opsgenie_users::ratelimit", tracing::Level::INFO) {
            return;
        }
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

impl Inner {
    /// One look at `gate`'s bucket for a caller waiting since `start`:
    /// grants a slot (`Ok`, its id) or says when to look again. `queue`: how
    /// the caller stands in the bucket's queue count.
    fn look(
        &self,
        gate: &Gate,
        start: Instant,
        now: Instant,
        queue: InQueue,
    ) -> Result<u64, Instant> {
        let counted = queue == InQueue::Counted;
        // Read under the lock, not cloned: the configuration is only ever
        // replaced with the lock held for writing, never while a bucket's
        // lock is held (so this order cannot deadlock).
        let cfg = self.cfg.read().unwrap_or_else(|e| e.into_inner());
        update_cell(&gate.state, |st| {
            // Callers wait: one that did not queue goes behind them.
            if queue == InQueue::Never && st.queued > 0 {
                return Err(now);
            }
            let result = st.grant(now, &cfg);
            match result {
                Ok(_) => {
                    // Out of the queue before the statistics are taken.
                    if counted {
                        st.queued = st.queued.saturating_sub(1);
                    }
                    st.total_wait += now.saturating_duration_since(start);
                    self.maybe_emit_stats(&gate.key, gate, st, now, &cfg);
                }
                Err(_) if queue == InQueue::CountIfRefused => st.queued += 1,
                Err(_) => {}
            }
            result
        })
    }
}

/// How a caller stands in its bucket's queue count when it looks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InQueue {
    /// Counted in: a grant counts it out.
    Counted,
    /// Not counted: a refusal counts it in (it waits).
    CountIfRefused,
    /// Not counted, and not counted on a refusal ([`RateLimiter::try_acquire`]:
    /// a refused caller goes on to `acquire`, which counts it); refused
    /// while others wait (they are counted), so it never passes them.
    Never,
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
        Queued::counted(inner, key)
    }

    /// The caller was already counted in.
    fn counted(inner: &'a Inner, key: &'a BucketKey) -> Self {
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
        let key = &gate.key;
        let start = Instant::now();
        // A caller is counted in the queue while it waits: for its turn
        // (behind others), or for room in the bucket.
        let mut queued = None;
        let _turn = match gate.queue.try_lock() {
            // Nobody ahead: the common, uncontended case.
            Ok(turn) => turn,
            Err(_) => {
                queued = Some(Queued::enter(inner, key));
                gate.queue.lock().await
            }
        };
        // Armed (enabled) only once a first look found no room: a change
        // after that look wakes the caller rather than being missed.
        let mut changed = std::pin::pin!(gate.changed.notified());
        let mut armed = false;
        // The first look reads the clock read at the start.
        let mut now = start;
        let mut looked = false;
        let id = loop {
            if looked {
                now = Instant::now();
            }
            looked = true;
            let queue = if queued.is_some() {
                InQueue::Counted
            } else {
                InQueue::CountIfRefused
            };
            let result = inner.look(&gate, start, now, queue);
            let at = match result {
                Ok(granted) => {
                    if let Some(q) = queued.as_mut() {
                        q.left = true;
                    }
                    break granted;
                }
                Err(at) => at,
            };
            if queued.is_none() {
                queued = Some(Queued::counted(inner, key));
            }
            if !armed {
                changed.as_mut().enable();
                armed = true;
                continue;
            }
            tracing::trace!(domain = %key.domain, wait_ms = at.saturating_duration_since(now).as_millis() as u64, "waiting for a rate-limit slot");
            let fired = tokio::select! {
                _ = tokio::time::sleep_until(at) => false,
                _ = changed.as_mut() => true,
            };
            if fired {
                // A used notification is replaced, armed before the next look.
                changed.set(gate.changed.notified());
                changed.as_mut().enable();
            }
        };
        drop(queued);
        let mut waited = now > start;
        let mut handle = Unsent(Some(Handle {
            gate: gate.clone(),
            id,
            slot: None,
        }));
        if let Some(shared) = &inner.shared {
            // Still at the head of the queue: the other limiters on the store
            // may hold the room this one's pacing saw.
            loop {
                let windows = inner.shared_windows(key);
                match shared.reserve(key, &windows).await {
                    Reservation::Granted(slot) => {
                        let notes = slot.notes();
                        if let Some(h) = handle.0.as_mut() {
                            h.slot = Some(slot);
                        }
                        inner.catch_up(&**shared, key, notes).await;
                        break;
                    }
                    Reservation::Wait(d) => {
                        waited = true;
                        tracing::trace!(domain = %key.domain, wait_ms = d.as_millis() as u64, "waiting for a shared rate-limit slot");
                        tokio::time::sleep(d.max(std::time::Duration::from_millis(1))).await;
                    }
                }
            }
        }
        // Granted at the first look (the common case): no clock read.
        let waited_ms = if waited {
            start.elapsed().as_millis() as u64
        } else {
            0
        };
        if waited_ms > 0 {
            tracing::debug!(domain = %key.domain, waited_ms, "rate-limit slot granted after a wait");
        }
        match handle.0.take() {
            Some(h) => Permit::adaptive(h),
            None => Permit::unlimited(),
        }
    }

    /// Grants at once when nobody waits ahead and the bucket has room;
    /// never with a shared store (its reservation is asynchronous).
    fn try_acquire(&self, key: &BucketKey) -> Option<Permit> {
        let inner = &*self.inner;
        if inner.shared.is_some() {
            return None;
        }
        let gate = inner.gate(key);
        let now = Instant::now();
        // Refused (no room, or others waiting: the count of waiters is read
        // under the bucket's lock, without taking the FIFO queue's turn):
        // `acquire` follows, looks again and counts the caller in.
        let id = inner.look(&gate, now, now, InQueue::Never).ok()?;
        Some(Permit::adaptive(Handle {
            gate,
            id,
            slot: None,
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
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .filter(|k| k.domain == domain)
            .cloned()
            .collect();
        for key in keys {
            let now = Instant::now();
            inner.update(&key, &mut |st| st.set_limits(now, limits, source));
            if source == LimitSource::Discovered {
                self.publish_discovered(&key);
            }
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
        let now = Instant::now();
        inner.update(key, &mut |st| st.set_limits(now, limits, source));
        if source == LimitSource::Discovered {
            self.publish_discovered(key);
        }
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

/// The limiter side of a default-limiter [`Permit`].
pub(crate) struct Handle {
    gate: Arc<CachePadded<Gate>>,
    id: u64,
    /// The slot reserved in the shared store, if any.
    slot: Option<Slot>,
}

/// A granted handle not handed out yet: dropped (the caller gave up while
/// waiting for the shared store), it gives its slots back.
struct Unsent(Option<Handle>);

impl Drop for Unsent {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            h.give_back();
        }
    }
}

/// The windows the shared store enforces, from the local bucket's limits.
fn shared_windows(
    (second, minute): (
        Option<super::bucket::Effective>,
        Option<super::bucket::Effective>,
    ),
) -> Vec<WindowLimit> {
    [(WindowKind::Second, second), (WindowKind::Minute, minute)]
        .into_iter()
        .map(|(kind, e)| match e {
            // A little more margin than one process needs: requests of
            // several processes reach the server with more jitter.
            Some(e) => WindowLimit::new(kind.period(), Some(e.cap))
                .window(e.window.max(kind.period() + kind.period() / 20)),
            None => WindowLimit::new(kind.period(), None),
        })
        .collect()
}

/// Runs a store call in the background (permit completion is synchronous).
fn spawn_store<F>(f: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(f);
    }
}

impl Handle {
    /// Records the outcome and learns from a 429 (`counted`: the window's
    /// requests as the shared store counted them).
    fn learn(&self, feedback: &Feedback, counted: Option<Counted>) -> Learning {
        if !feedback.throttled {
            // An answer or a lost request: its slot stays in the log as it
            // is, nothing to learn (no lock, no clock read, no configuration).
            return Learning::Nothing;
        }
        let Some(inner) = self.gate.limiter.upgrade() else {
            // The limiter is gone: nobody to learn for.
            return Learning::Nothing;
        };
        let now = Instant::now();
        let cfg = inner.config();
        let mut learning = Learning::Nothing;
        let mut throttled = 0;
        update_cell(&self.gate.state, |st| {
            learning = st.complete_counted(now, self.id, feedback, &cfg, counted);
            throttled = st.throttled;
        });
        if let Learning::Throttled {
            window, estimate, ..
        } = learning
        {
            let period = match window {
                WindowKind::Second => 1,
                WindowKind::Minute => 60,
            };
            let reason = feedback
                .rate_limit
                .as_ref()
                .and_then(|r| r.reason.as_deref());
            let counted = counted.map(|c| c.count);
            match estimate {
                Some(estimate) => tracing::info!(
                    target: "opsgenie_users::ratelimit",
                    domain = %self.gate.key.domain,
                    reason,
                    period_secs = period,
                    estimate,
                    throttled,
                    shared_count = counted,
                    "throttled (429): limit re-estimated"
                ),
                None => tracing::debug!(
                    target: "opsgenie_users::ratelimit",
                    domain = %self.gate.key.domain,
                    reason,
                    period_secs = period,
                    throttled,
                    shared_count = counted,
                    "throttled (429): sent before the last 429 or none of ours in the window; estimate kept"
                ),
            }
            // The 429's slot was given back: the head of the queue may go sooner.
            self.gate.changed.notify_waiters();
        }
        learning
    }

    /// A 429 with a shared store: the store gives the slot back and counts
    /// the window over every limiter; what others learned first is adopted,
    /// then this one learns and leaves its note.
    async fn throttled_shared(
        self,
        inner: Arc<Inner>,
        shared: Arc<dyn LimiterStore>,
        slot: Slot,
        feedback: Feedback,
    ) {
        let kind =
            WindowKind::from_period_secs(feedback.rate_limit.as_ref().and_then(|r| r.period_secs));
        let counted = match shared.throttled(&self.gate.key, &slot, kind.period()).await {
            Some(c) => {
                inner.catch_up(&*shared, &self.gate.key, c.notes).await;
                Some(Counted {
                    count: c.count,
                    oldest: c.oldest,
                })
            }
            None => None,
        };
        if let Learning::Throttled {
            window,
            reacted: true,
            ..
        } = self.learn(&feedback, counted)
        {
            inner.publish(&*shared, &self.gate.key, &[window]).await;
        }
    }
}

impl Handle {
    /// [`PermitHandle::complete`] without the box.
    pub(crate) fn finish(self, feedback: &Feedback) {
        if feedback.throttled && self.slot.is_some() {
            if let (Some(inner), Ok(rt)) = (
                self.gate.limiter.upgrade(),
                tokio::runtime::Handle::try_current(),
            ) {
                if let (Some(shared), Some(slot)) = (inner.shared.clone(), self.slot.clone()) {
                    rt.spawn(self.throttled_shared(inner, shared, slot, feedback.clone()));
                    return;
                }
            }
        }
        self.learn(feedback, None);
    }

    /// [`PermitHandle::cancel`] without the box.
    pub(crate) fn give_back(self) {
        // The limiter is gone: nobody to give the slot back to.
        let Some(inner) = self.gate.limiter.upgrade() else {
            return;
        };
        let now = Instant::now();
        let cfg = inner.config();
        update_cell(&self.gate.state, |st| st.release(now, self.id, &cfg));
        self.gate.changed.notify_waiters();
        if let (Some(shared), Some(slot)) = (inner.shared.clone(), self.slot) {
            let key = self.gate.key.clone();
            spawn_store(async move { shared.release(&key, &slot).await });
        }
    }
}

impl PermitHandle for Handle {
    fn complete(self: Box<Self>, feedback: &Feedback) {
        self.finish(feedback);
    }

    fn cancel(self: Box<Self>) {
        self.give_back();
    }
}

/// A note on the shared store: what limiter `from` knows of one window.
#[derive(Serialize, Deserialize)]
struct Board {
    from: u64,
    window: Knowledge,
}

impl AdaptiveLimiter {
    /// Leaves the limits just discovered for `key` on the shared store (if
    /// any), for the limiters that did not discover them: in each window
    /// whose note does not state them already (a note that does may hold a
    /// level learned since, which stays).
    fn publish_discovered(&self, key: &BucketKey) {
        let Some(shared) = self.inner.shared.clone() else {
            return;
        };
        let inner = self.inner.clone();
        let key = key.clone();
        spawn_store(async move {
            let (_, notes) = shared.notes(&key).await;
            let now = Instant::now();
            let mut kinds = Vec::new();
            for kind in [WindowKind::Second, WindowKind::Minute] {
                let mut mine = None;
                inner.update(&key, &mut |st| mine = st.knowledge(kind, now).discovered());
                let Some(mine) = mine else { continue };
                let stated = notes.iter().any(|n| {
                    serde_json::from_str::<Board>(&n.body).is_ok_and(|b| {
                        b.window.period() == kind.period() && b.window.discovered() == Some(mine)
                    })
                });
                if !stated {
                    kinds.push(kind);
                }
            }
            inner.publish(&*shared, &key, &kinds).await;
        });
    }
}

impl Inner {
    /// The windows the shared store enforces now, from `key`'s limits.
    fn shared_windows(&self, key: &BucketKey) -> Vec<WindowLimit> {
        let now = Instant::now();
        let cfg = self.config();
        let mut windows = Vec::new();
        self.update(key, &mut |st| {
            windows = shared_windows(st.effective(now, &cfg))
        });
        windows
    }

    /// Leaves what `key`'s `kinds` windows know as notes on `shared`.
    async fn publish(&self, shared: &dyn LimiterStore, key: &BucketKey, kinds: &[WindowKind]) {
        for kind in kinds {
            let now = Instant::now();
            let mut knowledge = None;
            self.update(key, &mut |st| knowledge = Some(st.knowledge(*kind, now)));
            let Some(window) = knowledge else { continue };
            let board = Board {
                from: self.tag,
                window,
            };
            if let Ok(body) = serde_json::to_string(&board) {
                shared.publish(key, kind.period(), &body).await;
            }
        }
    }

    /// Reads `key`'s notes on `shared` unless version `notes` was read
    /// already, and adopts what other limiters learned since this one last
    /// changed its mind.
    async fn catch_up(&self, shared: &dyn LimiterStore, key: &BucketKey, notes: u64) {
        let seen =
            |v: u64| self.seen.lock().unwrap_or_else(|e| e.into_inner()).get(key) == Some(&v);
        if seen(notes) {
            return;
        }
        let (version, notes) = shared.notes(key).await;
        let now = Instant::now();
        let mut adopted = false;
        for note in notes {
            let Ok(board) = serde_json::from_str::<Board>(&note.body) else {
                continue;
            };
            if board.from == self.tag {
                continue;
            }
            self.update(key, &mut |st| {
                adopted |= st.adopt(now, &board.window, note.age);
            });
        }
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), version);
        if adopted {
            let cfg = self.config();
            let mut stats = None;
            self.update(key, &mut |st| {
                stats = Some(self.stats_of(key, st, now, &cfg))
            });
            if let Some(s) = stats {
                tracing::debug!(
                    target: "opsgenie_users::ratelimit",
                    domain = %key.domain,
                    per_second = ?s.per_second,
                    per_minute = ?s.per_minute,
                    "limits adopted from another limiter on the shared store"
                );
            }
            self.gate(key).changed.notify_waiters();
        }
    }
}
