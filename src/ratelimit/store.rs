//! Where limiter state lives: the process-local bucket state of the
//! [`AdaptiveLimiter`](super::AdaptiveLimiter), and the [`LimiterStore`] that
//! several limiters (and processes) share: a ledger of request slots and a
//! board of what each learned about the limits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::bucket::BucketState;
use super::BucketKey;

/// Holds the [`BucketState`] of every bucket of one limiter, in this process.
///
/// Each bucket's state has a lock of its own ([`StateCell`]): `update` runs
/// `f` atomically with respect to other updates of the same key (the
/// limiter reserves slots inside it), and a caller holding the cell (the
/// limiter's gate of the bucket) updates it without looking the key up in
/// the map again.
#[derive(Debug, Default)]
pub(crate) struct LocalStates {
    buckets: Mutex<super::KeyMap<StateCell>>,
}

/// One bucket's state behind its own lock, shared by the map and the
/// limiter's gate of the bucket.
pub(crate) type StateCell = Arc<Mutex<BucketState>>;

/// Runs `f` on the state in `cell`.
pub(crate) fn update_cell<R>(cell: &StateCell, f: impl FnOnce(&mut BucketState) -> R) -> R {
    f(&mut cell.lock().unwrap_or_else(|e| e.into_inner()))
}

impl LocalStates {
    /// `key`'s state, first created with `init` if missing.
    pub(crate) fn cell(&self, key: &BucketKey, init: &dyn Fn() -> BucketState) -> StateCell {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cell) = map.get(key) {
            return cell.clone();
        }
        let cell = Arc::new(Mutex::new(init()));
        map.insert(key.clone(), cell.clone());
        cell
    }

    /// Runs `f` on `key`'s state, first creating it with `init` if missing.
    pub(crate) fn update(
        &self,
        key: &BucketKey,
        init: &dyn Fn() -> BucketState,
        f: &mut dyn FnMut(&mut BucketState),
    ) {
        update_cell(&self.cell(key, init), f);
    }

    /// A copy of every bucket's state.
    pub(crate) fn snapshot(&self) -> Vec<(BucketKey, BucketState)> {
        let cells: Vec<(BucketKey, StateCell)> = {
            let map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            map.iter().map(|(k, c)| (k.clone(), c.clone())).collect()
        };
        let mut v: Vec<_> = cells
            .into_iter()
            .map(|(k, c)| (k, update_cell(&c, |s| s.clone())))
            .collect();
        v.sort_by(|a, b| {
            (a.0.domain, &a.0.base_url, a.0.credential).cmp(&(
                b.0.domain,
                &b.0.base_url,
                b.0.credential,
            ))
        });
        v
    }
}

/// One rolling window a [`LimiterStore`] enforces for a reservation.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::ratelimit::WindowLimit;
/// let per_second = WindowLimit::new(Duration::from_secs(1), Some(10));
/// assert_eq!(per_second.window, Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WindowLimit {
    /// The server's period for this window (1 s or 60 s): slots are logged
    /// per period.
    pub period: Duration,
    /// Length of the sliding log the cap applies to (the period, or a little
    /// more as a margin for clock and network skew).
    pub window: Duration,
    /// Requests allowed in any `window`; `None`: unknown (no cap).
    pub cap: Option<u32>,
}

impl WindowLimit {
    /// A window of exactly `period`.
    pub fn new(period: Duration, cap: Option<u32>) -> Self {
        WindowLimit {
            period,
            window: period,
            cap,
        }
    }

    /// Sets the sliding log's length (at least the period).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(self.period);
        self
    }
}

/// A slot reserved in a [`LimiterStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    id: String,
    at: Duration,
    notes: u64,
}

impl Slot {
    /// A slot named `id` (unique within the store), reserved at `at` on the
    /// store's clock, when the bucket's notes were at version `notes`.
    pub fn new(id: impl Into<String>, at: Duration, notes: u64) -> Self {
        Slot {
            id: id.into(),
            at,
            notes,
        }
    }

    /// The slot's name in the store.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When it was reserved, as time since the store's epoch.
    pub fn at(&self) -> Duration {
        self.at
    }

    /// The version of the bucket's notes ([`LimiterStore::notes`]) when the
    /// slot was reserved: a limiter reads them when it changed.
    pub fn notes(&self) -> u64 {
        self.notes
    }
}

/// The answer of [`LimiterStore::reserve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// A slot was taken in every window.
    Granted(Slot),
    /// No room: ask again after this long.
    Wait(Duration),
}

/// The answer of [`LimiterStore::throttled`]: what a window held, counted
/// over every limiter on the store, when the server refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counted {
    /// Slots reserved in the period before the refused one.
    pub count: u32,
    /// How long before the refused slot the oldest of them was reserved
    /// (zero when `count` is zero).
    pub oldest: Duration,
    /// The version of the bucket's notes.
    pub notes: u64,
}

impl Counted {
    /// `count` slots, the oldest `oldest` before the refused one; notes at
    /// version `notes`.
    pub fn new(count: u32, oldest: Duration, notes: u64) -> Self {
        Counted {
            count,
            oldest,
            notes,
        }
    }
}

/// A note one limiter left on the store for the others
/// ([`LimiterStore::publish`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Note {
    /// The window it is about (1 s or 60 s).
    pub period: Duration,
    /// What the limiter wrote (opaque to the store).
    pub body: String,
    /// How long ago it was written, on the store's clock.
    pub age: Duration,
}

impl Note {
    /// A note about `period`'s window, written `age` ago.
    pub fn new(period: Duration, body: impl Into<String>, age: Duration) -> Self {
        Note {
            period,
            body: body.into(),
            age,
        }
    }
}

/// What several [`AdaptiveLimiter`](super::AdaptiveLimiter)s share
/// ([`AdaptiveLimiter::with_store`](super::AdaptiveLimiter::with_store)),
/// per bucket: a ledger of request slots, so that together they stay within
/// the account's quota, and a board of notes, so that what one learns (a
/// 429, a discovered limit, the level it settled on) reaches all of them.
///
/// The limiter paces its own callers, then reserves each request's slot
/// here under the limits it knows; after a 429 it asks the store how many
/// slots the window held (over every limiter), learns from that count as it
/// would from its own, and leaves what it learned as a note; the others read
/// the notes when [`Slot::notes`] says they changed.
///
/// Time is the store's own: durations since an epoch the store chooses (its
/// creation for [`InMemoryStore`], the Redis server's clock for
/// `RedisStore`), never a caller's `Instant`, so a store can span processes
/// and hosts.
///
/// Implementations must make [`reserve`](LimiterStore::reserve) atomic (two
/// callers never take the same room), must not block forever (answer from a
/// local fallback rather than fail), and must not panic.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::ratelimit::{InMemoryStore, LimiterStore, Reservation, WindowLimit};
/// # use opsgenie_users::{Domain, ratelimit::BucketKey};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let store = InMemoryStore::new();
/// let key = BucketKey { credential: 1, base_url: "https://api.opsgenie.com".into(), domain: Domain::Configuration };
/// let one_per_second = [WindowLimit::new(Duration::from_secs(1), Some(1))];
/// assert!(matches!(store.reserve(&key, &one_per_second).await, Reservation::Granted(_)));
/// assert!(matches!(store.reserve(&key, &one_per_second).await, Reservation::Wait(_)));
/// # }
/// ```
#[async_trait]
pub trait LimiterStore: Send + Sync + 'static {
    /// Takes one slot in `key`'s bucket if every window in `windows` has
    /// room, else says how long to wait.
    async fn reserve(&self, key: &BucketKey, windows: &[WindowLimit]) -> Reservation;

    /// Gives back a slot whose request was never sent.
    async fn release(&self, key: &BucketKey, slot: &Slot);

    /// The server answered `slot`'s request with a 429 for the window of
    /// `period`: gives the slot back (the server did not act on it) and
    /// counts the slots reserved in the `period` before it. `None`: the
    /// store cannot count now (unreachable); the limiter then counts its own.
    async fn throttled(&self, key: &BucketKey, slot: &Slot, period: Duration) -> Option<Counted>;

    /// Leaves `body` as the note about `key`'s window of `period` (replacing
    /// the previous one) and moves the bucket's notes to a new version.
    async fn publish(&self, key: &BucketKey, period: Duration, body: &str);

    /// The bucket's notes and their version.
    async fn notes(&self, key: &BucketKey) -> (u64, Vec<Note>);
}

/// A [`LimiterStore`] in this process's memory: limiters (and clients) of
/// one process built on one `InMemoryStore` share a quota. Time comes from
/// tokio (`tokio::time`), so it runs under a paused test clock.
#[derive(Debug)]
pub struct InMemoryStore {
    epoch: Instant,
    next: std::sync::atomic::AtomicU64,
    ledgers: Mutex<HashMap<BucketKey, Ledger>>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// Per period (in ms): slots as (store time, id), oldest first.
    logs: HashMap<u128, VecDeque<(Duration, String)>>,
    /// Per period (in ms): the note and when it was written.
    notes: HashMap<u128, (String, Duration)>,
    /// Version of the notes.
    version: u64,
}

/// Slots of one log, as (age, id).
#[cfg(feature = "redis")]
pub(crate) type RecentSlots = Vec<(Duration, String)>;

impl Default for InMemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryStore {
    /// An empty store whose epoch is now.
    pub fn new() -> Self {
        InMemoryStore {
            epoch: Instant::now(),
            next: std::sync::atomic::AtomicU64::new(1),
            ledgers: Mutex::new(HashMap::new()),
        }
    }

    fn ledgers(&self) -> std::sync::MutexGuard<'_, HashMap<BucketKey, Ledger>> {
        self.ledgers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ledgers, and the store's clock read with their lock held: a
    /// reading taken before it could be older than a slot another caller
    /// logged in the meantime, and the logs (searched by time) would fall
    /// out of order.
    fn ledgers_now(
        &self,
    ) -> (
        std::sync::MutexGuard<'_, HashMap<BucketKey, Ledger>>,
        Duration,
    ) {
        let map = self.ledgers();
        (map, Instant::now().saturating_duration_since(self.epoch))
    }

    /// The synchronous core of [`LimiterStore::reserve`] (also the fallback
    /// of the Redis store).
    pub(crate) fn reserve_now(&self, key: &BucketKey, windows: &[WindowLimit]) -> Reservation {
        let (mut map, now) = self.ledgers_now();
        let ledger = map.entry(key.clone()).or_default();
        let mut wait = Duration::ZERO;
        for w in windows {
            let log = ledger.logs.entry(w.period.as_millis()).or_default();
            let win = w.window.max(w.period);
            // Kept twice the window: a 429 answered late still counts what
            // its window held.
            while log.front().is_some_and(|(at, _)| *at + win * 2 <= now) {
                log.pop_front();
            }
            if let Some(cap) = w.cap.map(|c| c.max(1) as usize) {
                let first = log.partition_point(|(at, _)| *at + win <= now);
                let used = log.len() - first;
                if used >= cap {
                    let (at, _) = &log[first + used - cap];
                    wait = wait.max((*at + win).saturating_sub(now));
                }
            }
        }
        if !wait.is_zero() {
            return Reservation::Wait(wait);
        }
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("m{n}");
        for w in windows {
            ledger
                .logs
                .entry(w.period.as_millis())
                .or_default()
                .push_back((now, id.clone()));
        }
        Reservation::Granted(Slot::new(id, now, ledger.version))
    }

    /// Logs slot `id` in each of `periods` at the current time, without a
    /// cap (the Redis store's copy of the slots Redis granted it).
    #[cfg(feature = "redis")]
    pub(crate) fn record_now(&self, key: &BucketKey, windows: &[WindowLimit], id: &str) {
        let (mut map, now) = self.ledgers_now();
        let ledger = map.entry(key.clone()).or_default();
        for w in windows {
            let log = ledger.logs.entry(w.period.as_millis()).or_default();
            let win = w.window.max(w.period);
            while log.front().is_some_and(|(at, _)| *at + win * 2 <= now) {
                log.pop_front();
            }
            log.push_back((now, id.to_string()));
        }
    }

    /// Every slot of the last `within` per bucket and period: (bucket,
    /// period, [(age, id)]).
    #[cfg(feature = "redis")]
    pub(crate) fn recent(&self, within: Duration) -> Vec<(BucketKey, Duration, RecentSlots)> {
        let (map, now) = self.ledgers_now();
        let mut out = Vec::new();
        for (key, ledger) in map.iter() {
            for (period, log) in &ledger.logs {
                let slots: Vec<_> = log
                    .iter()
                    .filter(|(at, _)| now.saturating_sub(*at) < within)
                    .map(|(at, id)| (now.saturating_sub(*at), id.clone()))
                    .collect();
                if !slots.is_empty() {
                    out.push((key.clone(), Duration::from_millis(*period as u64), slots));
                }
            }
        }
        out
    }

    pub(crate) fn release_now(&self, key: &BucketKey, slot: &Slot) {
        if let Some(ledger) = self.ledgers().get_mut(key) {
            for log in ledger.logs.values_mut() {
                log.retain(|(_, id)| id != &slot.id);
            }
        }
    }

    pub(crate) fn throttled_now(&self, key: &BucketKey, slot: &Slot, period: Duration) -> Counted {
        let mut map = self.ledgers();
        let Some(ledger) = map.get_mut(key) else {
            return Counted::new(0, Duration::ZERO, 0);
        };
        let mut before = Vec::new();
        for (p, log) in ledger.logs.iter_mut() {
            let pos = log.iter().position(|(_, id)| id == &slot.id);
            if *p == period.as_millis() {
                // Granted before it (in order: under a paused clock many
                // slots share one time), within the period.
                before = log
                    .iter()
                    .take(pos.unwrap_or(log.len()))
                    .map(|(at, _)| *at)
                    .filter(|at| *at <= slot.at && *at + period > slot.at)
                    .collect();
            }
            if let Some(pos) = pos {
                log.remove(pos);
            }
        }
        let oldest = before.first().map_or(Duration::ZERO, |at| slot.at - *at);
        Counted::new(before.len() as u32, oldest, ledger.version)
    }

    pub(crate) fn publish_now(&self, key: &BucketKey, period: Duration, body: &str) {
        let (mut map, now) = self.ledgers_now();
        let ledger = map.entry(key.clone()).or_default();
        ledger
            .notes
            .insert(period.as_millis(), (body.to_string(), now));
        ledger.version += 1;
    }

    pub(crate) fn notes_now(&self, key: &BucketKey) -> (u64, Vec<Note>) {
        let (map, now) = self.ledgers_now();
        let Some(ledger) = map.get(key) else {
            return (0, Vec::new());
        };
        let mut notes: Vec<Note> = ledger
            .notes
            .iter()
            .map(|(p, (body, at))| {
                Note::new(
                    Duration::from_millis(*p as u64),
                    body.clone(),
                    now.saturating_sub(*at),
                )
            })
            .collect();
        notes.sort_by_key(|n| n.period);
        (ledger.version, notes)
    }
}

#[async_trait]
impl LimiterStore for InMemoryStore {
    async fn reserve(&self, key: &BucketKey, windows: &[WindowLimit]) -> Reservation {
        self.reserve_now(key, windows)
    }

    async fn release(&self, key: &BucketKey, slot: &Slot) {
        self.release_now(key, slot);
    }

    async fn throttled(&self, key: &BucketKey, slot: &Slot, period: Duration) -> Option<Counted> {
        Some(self.throttled_now(key, slot, period))
    }

    async fn publish(&self, key: &BucketKey, period: Duration, body: &str) {
        self.publish_now(key, period, body);
    }

    async fn notes(&self, key: &BucketKey) -> (u64, Vec<Note>) {
        self.notes_now(key)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::{
        AdaptiveLimiter, Feedback, LimitSource, LimiterConfig, Limits, RateLimiter,
    };
    use super::*;
    use crate::error::RateLimitInfo;
    use crate::Domain;

    fn key() -> BucketKey {
        BucketKey {
            credential: 7,
            base_url: "https://api.example".into(),
            domain: Domain::Configuration,
        }
    }

    fn limits(sec: u32, min: u32) -> [WindowLimit; 2] {
        [
            WindowLimit::new(Duration::from_secs(1), Some(sec)),
            WindowLimit::new(Duration::from_secs(60), Some(min)),
        ]
    }

    fn granted(r: Reservation) -> Slot {
        match r {
            Reservation::Granted(s) => s,
            other => panic!("expected a slot, got {other:?}"),
        }
    }

    /// A 429 for the per-second window.
    fn throttled_second() -> Feedback {
        Feedback {
            status: Some(429),
            rate_limit: Some(RateLimitInfo {
                period_secs: Some(1),
                ..RateLimitInfo::default()
            }),
            throttled: true,
        }
    }

    fn accepted() -> Feedback {
        Feedback {
            status: Some(201),
            rate_limit: None,
            throttled: false,
        }
    }

    #[test]
    fn in_memory_logs_stay_in_time_order_under_concurrent_reserves() {
        let s = InMemoryStore::new();
        let w = [WindowLimit::new(Duration::from_secs(60), None)];
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..5_000 {
                        granted(s.reserve_now(&key(), &w));
                    }
                });
            }
        });
        let map = s.ledgers();
        let log = &map[&key()].logs[&60_000];
        assert_eq!(log.len(), 20_000);
        let behind = log
            .iter()
            .zip(log.iter().skip(1))
            .filter(|(a, b)| b.0 < a.0)
            .count();
        assert_eq!(behind, 0, "slots logged before an older one");
    }

    #[tokio::test(start_paused = true)]
    async fn in_memory_ledger_caps_each_window_and_says_when() {
        let s = InMemoryStore::new();
        let w = limits(2, 3);
        granted(s.reserve(&key(), &w).await);
        granted(s.reserve(&key(), &w).await);
        assert_eq!(
            s.reserve(&key(), &w).await,
            Reservation::Wait(Duration::from_secs(1))
        );
        tokio::time::advance(Duration::from_millis(1000)).await;
        granted(s.reserve(&key(), &w).await);
        // The minute window is full now: the oldest slot frees it at 60 s.
        assert_eq!(
            s.reserve(&key(), &w).await,
            Reservation::Wait(Duration::from_secs(59))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn in_memory_throttle_gives_the_slot_back_and_counts_the_period_before_it() {
        let s = InMemoryStore::new();
        let unknown = [
            WindowLimit::new(Duration::from_secs(1), None),
            WindowLimit::new(Duration::from_secs(60), None),
        ];
        let first = granted(s.reserve(&key(), &unknown).await);
        tokio::time::advance(Duration::from_millis(300)).await;
        let mut slots = vec![first];
        for _ in 0..4 {
            slots.push(granted(s.reserve(&key(), &unknown).await));
        }
        // A given-back slot does not count.
        s.release(&key(), &slots[1]).await;
        let c = s
            .throttled(&key(), &slots[4], Duration::from_secs(1))
            .await
            .unwrap();
        // Before the refused one: slots 0, 2, 3; the oldest 300 ms before.
        assert_eq!((c.count, c.oldest), (3, Duration::from_millis(300)));
        // The refused slot is gone from both windows: 3 in each.
        let c = s
            .throttled(&key(), &slots[3], Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(c.count, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn notes_carry_a_version_and_their_age() {
        let s = InMemoryStore::new();
        let w = limits(10, 600);
        assert_eq!(granted(s.reserve(&key(), &w).await).notes(), 0);
        s.publish(&key(), Duration::from_secs(1), "second").await;
        tokio::time::advance(Duration::from_millis(250)).await;
        s.publish(&key(), Duration::from_secs(60), "minute").await;
        assert_eq!(granted(s.reserve(&key(), &w).await).notes(), 2);
        let (version, notes) = s.notes(&key()).await;
        assert_eq!(version, 2);
        assert_eq!(
            notes,
            vec![
                Note::new(Duration::from_secs(1), "second", Duration::from_millis(250)),
                Note::new(Duration::from_secs(60), "minute", Duration::ZERO),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_limiters_on_one_store_share_the_quota() {
        let store: Arc<dyn LimiterStore> = Arc::new(InMemoryStore::new());
        let cfg = LimiterConfig::default().limit(Domain::Configuration, Limits::per_second(5));
        let limiters = [
            Arc::new(AdaptiveLimiter::with_store(cfg.clone(), store.clone())),
            Arc::new(AdaptiveLimiter::with_store(cfg, store)),
        ];
        let start = Instant::now();
        let mut tasks = Vec::new();
        for l in &limiters {
            for _ in 0..10 {
                let l = l.clone();
                tasks.push(tokio::spawn(async move {
                    let mut p = l.acquire(&key()).await;
                    let at = Instant::now();
                    p.mark_sent();
                    p.complete(&Feedback::unanswered());
                    at
                }));
            }
        }
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap() - start);
        }
        at.sort();
        // Alone, each limiter would grant 5 per second: together they do.
        for (i, t) in at.iter().enumerate() {
            let in_window = at[i..]
                .iter()
                .filter(|u| **u < *t + Duration::from_secs(1))
                .count();
            assert!(
                in_window <= 5,
                "{in_window} grants within a second from {t:?}: {at:?}"
            );
        }
        assert!(at[19] >= Duration::from_secs(3), "{at:?}");
    }

    /// Runs `n` requests through `l`, each answered at once with `fb(i)`.
    async fn send(l: &AdaptiveLimiter, n: usize, fb: impl Fn(usize) -> Feedback) {
        for i in 0..n {
            let mut p = l.acquire(&key()).await;
            p.mark_sent();
            p.complete(&fb(i));
        }
        // The 429's learning runs in a task of its own (it asks the store).
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_is_counted_over_every_limiter_and_what_is_learned_reaches_the_others() {
        let store: Arc<dyn LimiterStore> = Arc::new(InMemoryStore::new());
        let cfg = LimiterConfig::default().slow_start(None);
        let a = AdaptiveLimiter::with_store(cfg.clone(), store.clone());
        let b = AdaptiveLimiter::with_store(cfg.clone(), store.clone());
        // Limit unknown: a sends 4, b 4, then a's fifth is refused. Alone, a
        // would learn 4 (its own), and take b for a neighbour; the store
        // counted 8.
        send(&a, 4, |_| accepted()).await;
        send(&b, 4, |_| accepted()).await;
        send(&a, 1, |_| throttled_second()).await;
        let per_second = |l: &AdaptiveLimiter| l.stats()[0].per_second;
        assert_eq!(per_second(&a), Some(8.0));
        // b adopts it at its next reservation.
        assert_eq!(per_second(&b), None);
        tokio::time::advance(Duration::from_secs(2)).await;
        send(&b, 1, |_| accepted()).await;
        let s = b.stats();
        assert_eq!(s[0].per_second_source, Some(LimitSource::Learned));
        // Settled one period, then doubling each second: the same estimate
        // in both.
        assert_eq!(s[0].per_second, a.stats()[0].per_second);
        assert!(s[0].per_second.unwrap() > 8.0);

        // A third limiter joining later starts from it too.
        let c = AdaptiveLimiter::with_store(cfg, store);
        send(&c, 1, |_| accepted()).await;
        assert_eq!(c.stats()[0].per_second, a.stats()[0].per_second);
    }

    #[tokio::test(start_paused = true)]
    async fn discovered_limits_reach_limiters_that_did_not_discover_them() {
        let store: Arc<dyn LimiterStore> = Arc::new(InMemoryStore::new());
        let a = AdaptiveLimiter::with_store(LimiterConfig::default(), store.clone());
        let b = AdaptiveLimiter::with_store(LimiterConfig::default(), store.clone());
        let configured = AdaptiveLimiter::with_store(
            LimiterConfig::default().limit(Domain::Configuration, Limits::per_second(3)),
            store,
        );
        a.set_bucket_limits(
            &key(),
            Limits::per_minute(600).and_per_second(10),
            LimitSource::Discovered,
        );
        tokio::task::yield_now().await;
        send(&b, 1, |_| accepted()).await;
        let s = b.stats();
        assert_eq!(
            (s[0].per_second, s[0].per_minute),
            (Some(10.0), Some(600.0))
        );
        assert_eq!(s[0].per_second_source, Some(LimitSource::Discovered));
        // A limit configured in a limiter stays its own.
        send(&configured, 1, |_| accepted()).await;
        assert_eq!(configured.stats()[0].per_second, Some(3.0));
    }
}
