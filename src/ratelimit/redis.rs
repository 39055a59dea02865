//! A [`LimiterStore`] in Redis, shared by every process of an account.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::Script;
use async_trait::async_trait;

use super::store::{Counted, InMemoryStore, LimiterStore, Note, Reservation, Slot, WindowLimit};
use super::BucketKey;
use crate::error::{Error, Result};

/// Reserves a slot in every window, or says how long to wait, in one atomic
/// step on the server's clock.
///
/// KEYS: the log of each window (sorted set: slot id scored by its time in
/// µs), then the bucket's notes version.
/// ARGV: the slot id, then per window its cap (0: unknown) and its log
/// length in µs.
/// Returns `{1, now, version}` when granted, `{0, wait, version}` (µs) when
/// not. Bounds are formatted with `%.0f`: Lua's own number-to-string keeps
/// 14 digits, fewer than a time in µs has.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS - 1
local version = tonumber(redis.call('GET', KEYS[#KEYS]) or '0')
local wait = 0
for i = 1, n do
  local log = KEYS[i]
  local cap = tonumber(ARGV[2 * i])
  local win = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', string.format('%.0f', now - 2 * win))
  if cap > 0 then
    local used = redis.call('ZCOUNT', log, '(' .. string.format('%.0f', now - win), '+inf')
    if used >= cap then
      local idx = redis.call('ZCARD', log) - cap
      local oldest = redis.call('ZRANGE', log, idx, idx, 'WITHSCORES')
      local w = tonumber(oldest[2]) + win - now
      if w > wait then wait = w end
    end
  end
end
if wait > 0 then return {0, math.ceil(wait), version} end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], math.ceil(2 * tonumber(ARGV[2 * i + 1]) / 1000) + 1000)
end
return {1, now, version}
";

/// A 429 for a slot: gives the slot back and counts the slots of the
/// period before it.
///
/// KEYS: the period's log, the other log, the notes version.
/// ARGV: slot id, the slot's time in µs, period in µs.
/// Returns `{count, oldest (µs before the slot), version}`.
const THROTTLED: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local version = tonumber(redis.call('GET', KEYS[3]) or '0')
local at = tonumber(ARGV[2])
local from = '(' .. string.format('%.0f', at - tonumber(ARGV[3]))
local upto = string.format('%.0f', at)
local n = redis.call('ZCOUNT', KEYS[1], from, upto)
local oldest = 0
if n > 0 then
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], from, upto, 'WITHSCORES', 'LIMIT', 0, 1)
  oldest = at - tonumber(first[2])
end
return {n, oldest, version}
";

/// Leaves a note (prefixed with the server's time in µs) and moves the
/// notes version.
///
/// KEYS: the note, the notes version. ARGV: the body, time to live in ms.
const PUBLISH: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('SET', KEYS[1], string.format('%.0f', now) .. ' ' .. ARGV[1], 'PX', ARGV[2])
local v = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return v
";

/// The notes version, the server's time in µs, then each note ('' when
/// missing), all as strings.
///
/// KEYS: the notes version, then the notes.
const NOTES: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = {redis.call('GET', KEYS[1]) or '0', string.format('%.0f', now)}
for i = 2, #KEYS do
  out[#out + 1] = redis.call('GET', KEYS[i]) or ''
end
return out
";

/// Logs slots a store granted while Redis was unreachable (and its copies
/// of those Redis granted before), back-dated on the server's clock, so the
/// processes coming back do not take the room these slots still hold.
///
/// KEYS: the log. ARGV: the log's time to live in ms, then per slot its age
/// in µs and its id.
const REPLAY: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], now - tonumber(ARGV[i]), ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
";

/// How long a note lives without a newer one (the notes describe limits
/// fixed per plan: an hour-old level is still worth starting from).
const NOTE_TTL: Duration = Duration::from_secs(3600);

/// The windows a bucket has: per second and per minute.
const PERIODS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(60)];

/// Settings of a [`RedisStore`].
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::ratelimit::RedisStoreConfig;
/// let cfg = RedisStoreConfig::default().fallback_share(0.5).timeout(Duration::from_millis(200));
/// assert_eq!(cfg.fallback_share, 0.5);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RedisStoreConfig {
    /// Prefix of every key the store writes (default `opsgenie-users:rl`).
    pub prefix: String,
    /// While Redis is unreachable, each process keeps to this fraction of
    /// every known limit (default 0.25: four processes together stay within
    /// the quota).
    pub fallback_share: f64,
    /// How long one Redis call may take before the store falls back (default 500 ms).
    pub timeout: Duration,
    /// How often the store tries Redis again while it is unreachable (default 1 s).
    pub retry_interval: Duration,
}

impl Default for RedisStoreConfig {
    fn default() -> Self {
        RedisStoreConfig {
            prefix: "opsgenie-users:rl".into(),
            fallback_share: 0.25,
            timeout: Duration::from_millis(500),
            retry_interval: Duration::from_secs(1),
        }
    }
}

impl RedisStoreConfig {
    /// Sets the key prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the fallback share of each limit, in `(0, 1]`.
    pub fn fallback_share(mut self, fraction: f64) -> Self {
        self.fallback_share = if fraction.is_finite() {
            fraction.clamp(0.01, 1.0)
        } else {
            0.25
        };
        self
    }

    /// Sets the time limit of one Redis call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets how often an unreachable Redis is tried again.
    pub fn retry_interval(mut self, every: Duration) -> Self {
        self.retry_interval = every.max(Duration::from_millis(10));
        self
    }
}

/// A [`LimiterStore`] in Redis: every process whose limiter uses a store on
/// the same Redis (and key prefix) shares one quota per bucket.
///
/// * A reservation is one Lua script run atomically on the server (sent as
///   `EVALSHA`, loaded again when the server lost it), on the server's clock
///   (`TIME`), so hosts with skewed clocks agree.
/// * What a limiter learns (from a 429, counted over every process's slots,
///   or from `GET /v2/request-limits/`) is left as a note, with the server's
///   time, that the other processes adopt; notes live an hour without a
///   newer one.
/// * When Redis is unreachable (or slower than
///   [`RedisStoreConfig::timeout`]), the store warns once through `tracing`,
///   keeps each process to [`RedisStoreConfig::fallback_share`] of every
///   known limit in memory, tries Redis again every
///   [`RedisStoreConfig::retry_interval`] in the background, and returns to
///   it when it answers. A caller never waits on a dead Redis longer than
///   the timeout, and its request is never dropped.
///
/// The connection is opened on first use (inside a tokio runtime) and
/// re-opened by the `redis` crate's connection manager.
///
/// ```no_run
/// use std::sync::Arc;
/// use opsgenie_users::Client;
/// use opsgenie_users::ratelimit::RedisStore;
///
/// # fn demo() -> opsgenie_users::Result<()> {
/// let store = RedisStore::open("redis://127.0.0.1:6379/")?;
/// let client = Client::builder().api_key("key").limiter_store(Arc::new(store)).build()?;
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: ::redis::Client,
    cfg: RedisStoreConfig,
    conn: Mutex<Option<ConnectionManager>>,
    /// Redis is unreachable: serve from `fallback`.
    down: AtomicBool,
    /// A background task is trying Redis again.
    probing: AtomicBool,
    fallback: InMemoryStore,
    /// Unique slot ids: a per-store random tag and a counter.
    tag: String,
    next: AtomicU64,
    reserve: Script,
    throttled: Script,
    publish: Script,
    notes: Script,
    replay: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info may hold a password: not shown.
        f.debug_struct("RedisStore")
            .field("config", &self.inner.cfg)
            .field("down", &self.inner.down.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Slot ids the fallback gave out start with this.
const LOCAL: &str = "local:";

impl RedisStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port/[db]`)
    /// with default settings. Nothing is sent until first use.
    pub fn open(url: &str) -> Result<Self> {
        Self::with_config(url, RedisStoreConfig::default())
    }

    /// A store on the Redis at `url` with `cfg`.
    pub fn with_config(url: &str, cfg: RedisStoreConfig) -> Result<Self> {
        // The error's text may repeat the URL (and its password): not kept.
        let client = ::redis::Client::open(url)
            .map_err(|e| Error::InvalidInput(format!("invalid Redis URL ({:?})", e.kind())))?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                cfg,
                conn: Mutex::new(None),
                down: AtomicBool::new(false),
                probing: AtomicBool::new(false),
                fallback: InMemoryStore::new(),
                tag: format!("{}-{:016x}", std::process::id(), fastrand::u64(..)),
                next: AtomicU64::new(1),
                reserve: Script::new(RESERVE),
                throttled: Script::new(THROTTLED),
                publish: Script::new(PUBLISH),
                notes: Script::new(NOTES),
                replay: Script::new(REPLAY),
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &RedisStoreConfig {
        &self.inner.cfg
    }

    /// Whether the store is serving from its local fallback (Redis unreachable).
    pub fn is_fallback(&self) -> bool {
        self.inner.down.load(Ordering::Relaxed)
    }
}

impl Inner {
    fn conn(self: &Arc<Self>) -> Option<ConnectionManager> {
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.cfg.timeout))
                .set_response_timeout(Some(self.cfg.timeout))
                .set_number_of_retries(1)
                .set_max_delay(self.cfg.retry_interval);
            match ConnectionManager::new_lazy_with_config(self.client.clone(), cfg) {
                Ok(c) => *guard = Some(c),
                Err(e) => {
                    self.went_down(&e);
                    return None;
                }
            }
        }
        guard.clone()
    }

    /// The key of `key`'s bucket for `what`; the `{...}` hash tag keeps a
    /// bucket's keys in one cluster slot (one script touches them all).
    fn key(&self, key: &BucketKey, what: &str) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.base_url.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!(
            "{}:{{{:016x}:{:016x}:{}}}:{}",
            self.cfg.prefix, key.credential, h, key.domain, what
        )
    }

    fn log_key(&self, key: &BucketKey, period: Duration) -> String {
        self.key(key, &format!("log:{}", period.as_millis()))
    }

    fn note_key(&self, key: &BucketKey, period: Duration) -> String {
        self.key(key, &format!("note:{}", period.as_millis()))
    }

    fn version_key(&self, key: &BucketKey) -> String {
        self.key(key, "notes")
    }

    /// Runs `f` on Redis unless it is down; `None` (and down from now on)
    /// on an error or a time-out.
    async fn call<T, F, Fut>(self: &Arc<Self>, f: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = ::redis::RedisResult<T>>,
    {
        if self.down.load(Ordering::Relaxed) {
            return None;
        }
        let conn = self.conn()?;
        match tokio::time::timeout(self.cfg.timeout, f(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.went_down(&e);
                None
            }
            Err(_) => {
                self.went_down(&"timed out");
                None
            }
        }
    }

    fn went_down(self: &Arc<Self>, why: &dyn fmt::Debug) {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                target: "opsgenie_users::ratelimit",
                error = ?why,
                fallback_share = self.cfg.fallback_share,
                "Redis limiter store unreachable: each process keeps to its fallback share of the limits until it is back"
            );
        }
        if !self.probing.swap(true, Ordering::Relaxed) {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(probe(self.clone()));
            } else {
                self.probing.store(false, Ordering::Relaxed);
            }
        }
    }

    fn fallback_windows(&self, windows: &[WindowLimit]) -> Vec<WindowLimit> {
        windows
            .iter()
            .map(|w| {
                let mut w = *w;
                w.cap = w
                    .cap
                    .map(|c| ((f64::from(c) * self.cfg.fallback_share).floor() as u32).max(1));
                w
            })
            .collect()
    }
}

/// Tries Redis every retry interval until it answers, then leaves the fallback.
async fn probe(inner: Arc<Inner>) {
    loop {
        tokio::time::sleep(inner.cfg.retry_interval).await;
        let Some(mut conn) = inner.conn() else {
            continue;
        };
        let cmd = ::redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        if let Ok(Ok(_)) = tokio::time::timeout(inner.cfg.timeout, ping).await {
            if !replay(&inner, conn).await {
                continue;
            }
            inner.down.store(false, Ordering::Relaxed);
            inner.probing.store(false, Ordering::Relaxed);
            tracing::info!(target: "opsgenie_users::ratelimit", "Redis limiter store reachable again: back to the shared quota");
            return;
        }
    }
}

/// Writes the slots of the last two minutes this store knows of (granted
/// by the fallback, or copies of Redis's) into Redis: a Redis that restarted
/// empty would otherwise let every process send a full window at once on
/// top of what the fallback sent. Returns whether Redis took them.
async fn replay(inner: &Arc<Inner>, mut conn: ConnectionManager) -> bool {
    for (key, period, slots) in inner.fallback.recent(Duration::from_secs(120)) {
        let mut inv = inner.replay.prepare_invoke();
        inv.key(inner.log_key(&key, period))
            .arg((period * 2 + Duration::from_secs(1)).as_millis() as u64);
        for (age, id) in slots {
            let id = match id.strip_prefix(&inner.tag) {
                Some(_) => id,
                None => format!("{}-{LOCAL}{id}", inner.tag),
            };
            inv.arg(age.as_micros() as u64).arg(id);
        }
        let done = inv.invoke_async::<i64>(&mut conn);
        if !matches!(
            tokio::time::timeout(inner.cfg.timeout, done).await,
            Ok(Ok(_))
        ) {
            return false;
        }
    }
    true
}

fn micros(d: i64) -> Duration {
    Duration::from_micros(d.max(0) as u64)
}

#[async_trait]
impl LimiterStore for RedisStore {
    async fn reserve(&self, key: &BucketKey, windows: &[WindowLimit]) -> Reservation {
        let inner = &self.inner;
        let id = format!(
            "{}-{}",
            inner.tag,
            inner.next.fetch_add(1, Ordering::Relaxed)
        );
        let mut inv = inner.reserve.prepare_invoke();
        inv.arg(&id);
        for w in windows {
            inv.key(inner.log_key(key, w.period))
                .arg(w.cap.unwrap_or(0))
                .arg(w.window.max(w.period).as_micros() as u64);
        }
        inv.key(inner.version_key(key));
        let answer = inner
            .call(|mut c| async move { inv.invoke_async::<(i64, i64, i64)>(&mut c).await })
            .await;
        match answer {
            Some((1, now, version)) => {
                // A copy, for the fallback's count if Redis goes away.
                inner.fallback.record_now(key, windows, &id);
                Reservation::Granted(Slot::new(id, micros(now), version.max(0) as u64))
            }
            Some((_, wait, _)) => Reservation::Wait(micros(wait.max(1))),
            None => match inner
                .fallback
                .reserve_now(key, &inner.fallback_windows(windows))
            {
                Reservation::Granted(slot) => Reservation::Granted(Slot::new(
                    format!("{LOCAL}{}", slot.id()),
                    slot.at(),
                    slot.notes(),
                )),
                wait => wait,
            },
        }
    }

    async fn release(&self, key: &BucketKey, slot: &Slot) {
        let inner = &self.inner;
        if let Some(local) = slot.id().strip_prefix(LOCAL) {
            inner
                .fallback
                .release_now(key, &Slot::new(local, slot.at(), slot.notes()));
            return;
        }
        inner.fallback.release_now(key, slot);
        let keys = PERIODS.map(|p| inner.log_key(key, p));
        let id = slot.id().to_string();
        inner
            .call(|mut c| async move {
                let mut pipe = ::redis::pipe();
                for k in &keys {
                    pipe.zrem(k, &id).ignore();
                }
                pipe.query_async::<()>(&mut c).await
            })
            .await;
    }

    async fn throttled(&self, key: &BucketKey, slot: &Slot, period: Duration) -> Option<Counted> {
        let inner = &self.inner;
        if let Some(local) = slot.id().strip_prefix(LOCAL) {
            let slot = Slot::new(local, slot.at(), slot.notes());
            return Some(inner.fallback.throttled_now(key, &slot, period));
        }
        inner.fallback.release_now(key, slot);
        let other = PERIODS.into_iter().find(|p| *p != period).unwrap_or(period);
        let mut inv = inner.throttled.prepare_invoke();
        inv.key(inner.log_key(key, period))
            .key(inner.log_key(key, other))
            .key(inner.version_key(key))
            .arg(slot.id())
            .arg(slot.at().as_micros() as u64)
            .arg(period.as_micros() as u64);
        let counted = inner
            .call(|mut c| async move { inv.invoke_async::<(i64, i64, i64)>(&mut c).await })
            .await;
        // None: Redis went away since the slot was taken.
        counted.map(|(n, oldest, version)| {
            Counted::new(
                n.clamp(0, i64::from(u32::MAX)) as u32,
                micros(oldest).min(period),
                version.max(0) as u64,
            )
        })
    }

    async fn publish(&self, key: &BucketKey, period: Duration, body: &str) {
        let inner = &self.inner;
        let mut inv = inner.publish.prepare_invoke();
        inv.key(inner.note_key(key, period))
            .key(inner.version_key(key))
            .arg(body)
            .arg(NOTE_TTL.as_millis() as u64);
        let published = inner
            .call(|mut c| async move { inv.invoke_async::<i64>(&mut c).await })
            .await;
        if published.is_none() {
            inner.fallback.publish_now(key, period, body);
        }
    }

    async fn notes(&self, key: &BucketKey) -> (u64, Vec<Note>) {
        let inner = &self.inner;
        let mut inv = inner.notes.prepare_invoke();
        inv.key(inner.version_key(key));
        for p in PERIODS {
            inv.key(inner.note_key(key, p));
        }
        let answer = inner
            .call(|mut c| async move { inv.invoke_async::<Vec<String>>(&mut c).await })
            .await;
        let Some(answer) = answer else {
            return inner.fallback.notes_now(key);
        };
        let number = |s: Option<&String>| s.and_then(|s| s.trim().parse::<i64>().ok());
        let version = number(answer.first()).unwrap_or(0).max(0) as u64;
        let now = number(answer.get(1)).unwrap_or(0);
        let notes = PERIODS
            .into_iter()
            .zip(answer.iter().skip(2))
            .filter_map(|(period, raw)| {
                let (at, body) = raw.split_once(' ')?;
                let at = at.parse::<i64>().ok()?;
                Some(Note::new(period, body, micros(now - at)))
            })
            .collect();
        (version, notes)
    }
}
