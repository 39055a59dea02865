//! Bucket math: the state of one (credential, base URL, domain) bucket and the
//! pure functions that grant, release and learn. Time is always passed in, so
//! everything here is tested without a clock.
//!
//! Each bucket has two windows, per second and per minute. A window is a
//! sliding log of reserved slots (it mirrors the server's rolling window)
//! plus a GCRA pacer with a burst of two slots, which spreads the budget
//! evenly instead of sending it in bursts: a wrong estimate then costs one
//! 429, not one per request in flight.
//!
//! A pacing target `t` sets the pacer's rate to `t × L` per period and
//! stretches the log to `period / t` (at most `L` in any stretched window: a
//! margin for clock and network jitter). Limits the user configured or the
//! server advertised use [`LimiterConfig::stated_target`] (default 0.98),
//! limits learned from 429s [`LimiterConfig::target`] (default 0.95).
//!
//! How 429s move the estimates, and why, is described in the [module
//! documentation](super) ("How limits are learned"); [`Window::throttled`]
//! implements it.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Feedback, LimiterConfig, Limits};

/// Where a window's limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitSource {
    /// Set by the user ([`LimiterConfig::limit`] or at runtime).
    Configured,
    /// Advertised by `GET /v2/request-limits/`.
    Discovered,
    /// Estimated from what the server accepted before it answered 429.
    Learned,
}

/// Which of a domain's two rolling windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum WindowKind {
    /// The per-second window (`X-RateLimit-Period-In-Sec: 1`).
    Second,
    /// The per-minute window (`X-RateLimit-Period-In-Sec: 60`).
    Minute,
}

impl WindowKind {
    /// The window's length.
    pub(crate) fn period(self) -> Duration {
        match self {
            WindowKind::Second => Duration::from_secs(1),
            WindowKind::Minute => Duration::from_secs(60),
        }
    }

    /// The window a 429 tripped, from `X-RateLimit-Period-In-Sec` (minute when absent).
    pub(crate) fn from_period_secs(secs: Option<u64>) -> WindowKind {
        match secs {
            Some(1) => WindowKind::Second,
            _ => WindowKind::Minute,
        }
    }

    fn probe(self, cfg: &LimiterConfig) -> &Probe {
        match self {
            WindowKind::Second => &cfg.second_probe,
            WindowKind::Minute => &cfg.probe,
        }
    }
}

/// One request's place in a window's log, in 16 bytes: its grant time as
/// nanoseconds after the window's first grant ([`Window::started`], never
/// moved), and its id.
///
/// A full log holds [`LOG_MAX`] slots and a bucket two logs; every grant
/// writes the next slot, so at a high rate the logs stream through the
/// cache. With a `tokio::time::Instant` and a `u64`, and whether its request
/// was answered, a slot took 32 bytes (two full logs 512 KiB, a core's whole
/// second-level cache on the 2-core machine of issue 13).
#[derive(Debug, Clone, Copy)]
struct Slot {
    at: u64,
    id: u64,
}

/// `d` in whole nanoseconds (saturating: 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A window's estimate learned from 429s (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
struct Learned {
    /// The estimate right after the last reaction.
    base: f64,
    /// The rate to climb back to after a cut (equal to `base` otherwise).
    ceiling: f64,
    /// When it was set; growth counts from here.
    at: Instant,
    /// A 429 confirmed that our own requests fill the window at this rate.
    confirmed: bool,
    /// Set while 429s keep coming with the window shared with others.
    shared: Option<Shared>,
}

/// A run of 429s that came with the window shared with other consumers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Shared {
    /// The first of them.
    since: Instant,
    /// The most of our requests the window held at one of them.
    most: f64,
    /// How many, one per period at most: each doubles the time to climb
    /// back (up to 8 times), so a consumer that stays is met by fewer and
    /// fewer 429s.
    cuts: u32,
}

/// Growth is bounded: an estimate never runs away to infinity.
const MAX_GROWTH: f64 = 100.0;
/// Two counts agree when each is at least this share of the other.
const OWN_SHARE: f64 = 0.8;
/// How far under a limit a count may fall from arrival jitter alone: one
/// request in ten, at least one.
fn jitter(limit: f64) -> f64 {
    (limit / 10.0).max(1.0)
}

/// 429s at a stated limit (within `forget`) before it is taken as too high.
const STATED_STRIKES: u32 = 3;
/// The longest a 429's `Retry-After` holds a window (the retry policy's
/// default `max_retry_after` too): a server asking for more is not obeyed
/// for longer than this by the limiter.
const RETRY_AFTER_HOLD_MAX: Duration = Duration::from_secs(60);

/// The most slots a window's log keeps. Enough for any limit Opsgenie
/// states or a 429 teaches (hundreds to a few thousand per minute); past it
/// the oldest slot leaves as a new one comes, so a bucket's memory and the
/// time its lock is held do not grow with the request rate (a full log takes
/// 128 KiB, see [`Slot`]). A window whose limit is higher than this is kept
/// to it by the pacer alone.
const LOG_MAX: usize = 8192;

/// `d / divisor` to the nanosecond, for a positive `divisor` (saturating).
/// On every grant, so plain float arithmetic:
/// [`Duration::div_f64`]'s exact conversion costs several times more.
fn div(d: Duration, divisor: f64) -> Duration {
    Duration::from_nanos((d.as_secs_f64() / divisor * 1e9) as u64)
}

impl Learned {
    /// The estimate `now`.
    fn estimate(&self, p: &Probe, now: Instant) -> f64 {
        let s = now.saturating_duration_since(self.at);
        if !self.confirmed {
            let Some(r) = s.checked_sub(p.settle) else {
                return self.base;
            };
            let doublings = r.as_secs_f64() / p.doubling.as_secs_f64().max(1e-3);
            return self.base * 2f64.powf(doublings).min(MAX_GROWTH);
        }
        let mut plateau_from = Duration::ZERO;
        if self.base < self.ceiling {
            // Concave return from the cut to the confirmed level.
            let cuts = self.shared.map_or(1, |sh| sh.cuts.clamp(1, 4));
            let recovery = p.recovery * (1u32 << (cuts - 1));
            let x = 1.0 - s.as_secs_f64() / recovery.as_secs_f64().max(1e-3);
            if x > 0.0 {
                return self.ceiling - (self.ceiling - self.base) * x * x * x;
            }
            plateau_from = recovery;
        }
        p.grow(self.ceiling, s.saturating_sub(plateau_from))
    }
}

/// One rolling window of a bucket.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    kind: WindowKind,
    stated: Option<(u32, LimitSource)>,
    learned: Option<Learned>,
    log: VecDeque<Slot>,
    /// GCRA theoretical arrival time.
    tat: Option<Instant>,
    /// No grant before this (set by a reaction to a 429).
    paused_until: Option<Instant>,
    /// The last reaction to a 429: requests granted before it were already
    /// in flight, so their 429s carry no new information.
    reacted_at: Option<Instant>,
    /// First grant, the start of the slow start.
    started: Option<Instant>,
    /// 429s that came with our count at a stated limit.
    strikes: Option<Shared>,
    /// When the knowledge of the limit (stated, learned, strikes, pause,
    /// last reaction) last changed: a [`Knowledge`] written later replaces it.
    changed_at: Option<Instant>,
}

/// How many requests a window held when the server refused one, counted by
/// a shared store over every limiter on it (in place of this limiter's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    /// Requests granted in the period before the refused one.
    pub(crate) count: u32,
    /// How long before the refused one the oldest of them was granted.
    pub(crate) oldest: Duration,
}

/// The limit a window enforces right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Effective {
    /// Requests allowed in any `window`.
    pub(crate) cap: u32,
    /// Length of the sliding log: the period stretched by the pacing target.
    pub(crate) window: Duration,
    /// Pacing interval between grants (the pacing target applied).
    pub(crate) interval: Duration,
    /// Where the limit comes from.
    pub(crate) source: LimitSource,
    /// The estimate of the server's limit per period.
    pub(crate) estimate: f64,
}

/// The pacer lets this many slots go back to back after an idle spell.
const BURST: u32 = 2;

impl Effective {
    fn burst(&self) -> u32 {
        BURST.clamp(1, self.cap.max(1))
    }
}

/// What one window made of a 429.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reaction {
    /// The request was sent before the last reaction: nothing new.
    Stale,
    /// None of our requests was in the window: paused, nothing learned.
    Paused,
    /// The estimate changed.
    Estimate(f64),
}

impl Window {
    fn new(kind: WindowKind, stated: Option<(u32, LimitSource)>) -> Self {
        Window {
            kind,
            stated,
            learned: None,
            log: VecDeque::new(),
            tat: None,
            paused_until: None,
            reacted_at: None,
            started: None,
            strikes: None,
            changed_at: None,
        }
    }

    /// The limit in force at `now`, or `None` when unknown.
    pub(crate) fn effective(&self, now: Instant, cfg: &LimiterConfig) -> Option<Effective> {
        let period = self.kind.period();
        let probe = self.kind.probe(cfg);
        let (estimate, target, source) = match (&self.learned, self.stated) {
            (Some(l), stated) => {
                let mut est = l.estimate(probe, now);
                match stated {
                    // The user's limit is a ceiling the probe never passes.
                    Some((cap, LimitSource::Configured)) => est = est.min(f64::from(cap)),
                    // An advertised limit bounds the fast, unconfirmed growth;
                    // a confirmed estimate probes past it (it may be stale).
                    Some((cap, _)) if !l.confirmed => est = est.min(f64::from(cap).max(l.base)),
                    _ => {}
                }
                (est, cfg.target, LimitSource::Learned)
            }
            (None, Some((cap, src))) => (f64::from(cap), cfg.stated_target, src),
            (None, None) => return None,
        };
        let cap = (estimate.floor() as u32).max(1);
        let target = target.clamp(0.05, 1.0);
        // At most `cap` in any window stretched to `period / target`: a
        // margin for the jitter between our grant and the server's arrival
        // time (a request sent exactly a period after another can arrive
        // within the period). The pacer runs at `target` of the estimate,
        // the same average rate.
        let window = div(period, target);
        let interval = div(period, target * estimate.max(1.0));
        Some(Effective {
            cap,
            window,
            interval,
            source,
            estimate,
        })
    }

    /// The pacing interval of an unknown per-second window in slow start, or
    /// `None` when it is not paced.
    fn slow_start_interval(&self, now: Instant, cfg: &LimiterConfig) -> Option<Duration> {
        if self.kind != WindowKind::Second {
            return None;
        }
        let initial = cfg.slow_start.filter(|r| *r > 0.0)?;
        let elapsed = self
            .started
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let doublings = elapsed.as_secs_f64() / cfg.second_probe.doubling.as_secs_f64().max(1e-3);
        if doublings > 16.0 {
            // Over 650,000/s from the default start: no longer a constraint.
            return None;
        }
        Some(div(Duration::from_secs(1), initial * 2f64.powf(doublings)))
    }

    /// `t` as a slot's time: nanoseconds after the first grant.
    fn offset(&self, t: Instant) -> u64 {
        self.started
            .map_or(0, |e| nanos(t.saturating_duration_since(e)))
    }

    /// The time `slot` was granted. (`now` stands in for the first grant's
    /// time where there was none, which a slot in the log rules out.)
    fn time(&self, slot: &Slot, now: Instant) -> Instant {
        self.started
            .map_or(now, |e| e + Duration::from_nanos(slot.at))
    }

    /// Drops the slots granted `keep` or longer before `now`, answered or
    /// not. Slots are not marked when their answers come (that took the
    /// bucket's lock a second time in every call): a request still in flight
    /// after `keep` has left the log, and its 429, if one comes, teaches
    /// nothing (the answered slots of the period before it have left too, so
    /// a count of them would be short).
    fn expire(&mut self, now: Instant, keep: Duration) {
        let (now, keep) = (self.offset(now), nanos(keep));
        while self
            .log
            .front()
            .is_some_and(|s| now.saturating_sub(s.at) >= keep)
        {
            self.log.pop_front();
        }
    }

    /// When this window next has room (`None`: now).
    #[cfg(test)]
    fn next_free(&mut self, now: Instant, cfg: &LimiterConfig) -> Option<Instant> {
        self.next_free_with(now, cfg).0
    }

    /// [`next_free`](Self::next_free), and the limit in force at `now`
    /// (for [`grant_with`](Self::grant_with), which then need not work it
    /// out again).
    fn next_free_with(
        &mut self,
        now: Instant,
        cfg: &LimiterConfig,
    ) -> (Option<Instant>, Option<Effective>) {
        // Keep the longest stretched window, and a period more: a 429 that
        // comes within a period of its request's grant finds the request's
        // slot and every slot of the period before it (see
        // [`throttled`](Self::throttled)).
        let period = self.kind.period();
        let keep = div(period, cfg.target.min(cfg.stated_target).clamp(0.05, 1.0)) + period;
        self.expire(now, keep);
        let mut at = self.paused_until.filter(|p| *p > now);
        let later = |at: &mut Option<Instant>, t: Instant| {
            if t > now {
                *at = Some(at.map_or(t, |a| a.max(t)));
            }
        };
        let Some(eff) = self.effective(now, cfg) else {
            if let (Some(interval), Some(last)) =
                (self.slow_start_interval(now, cfg), self.log.back())
            {
                // Slow start: one interval (at today's rate) after the last grant.
                later(&mut at, self.time(last, now) + interval);
            }
            return (at, None);
        };
        // The log is ordered by grant time: the slots still inside the
        // window are a suffix of it. A log shorter than the cap cannot fill
        // the window: the search (over up to a minute of grants) is skipped.
        let first = if self.log.len() < eff.cap as usize {
            self.log.len()
        } else {
            let (at, window) = (self.offset(now), nanos(eff.window));
            self.log
                .partition_point(|s| at.saturating_sub(s.at) >= window)
        };
        let in_window = self.log.len() - first;
        if in_window >= eff.cap as usize {
            // Room comes back when the slot `in_window - cap` places into the
            // window leaves it.
            later(
                &mut at,
                self.time(&self.log[first + in_window - eff.cap as usize], now) + eff.window,
            );
        }
        if let Some(tat) = self.tat {
            let tau = eff.interval * (eff.burst() - 1);
            later(&mut at, tat.checked_sub(tau).unwrap_or(tat));
        }
        (at, Some(eff))
    }

    #[cfg(test)]
    fn grant(&mut self, now: Instant, id: u64, cfg: &LimiterConfig) {
        let eff = self.effective(now, cfg);
        self.grant_with(now, id, eff);
    }

    /// Grants request `id` a slot at `now`, under the limit `eff` in force.
    fn grant_with(&mut self, now: Instant, id: u64, eff: Option<Effective>) {
        self.started.get_or_insert(now);
        if self.log.len() >= LOG_MAX {
            self.log.pop_front();
        }
        let at = self.offset(now);
        self.log.push_back(Slot { at, id });
        if let Some(eff) = eff {
            let base = self.tat.map_or(now, |t| t.max(now));
            self.tat = Some(base + eff.interval);
        }
    }

    /// Where request `id`'s slot is in the log, if it is there. Ids are
    /// handed out in increasing order as slots are granted (see
    /// [`BucketState::grant`]), so the log is sorted by id as well as by time.
    ///
    /// Each grant takes the next id and the log loses slots only at its
    /// front, except where a slot is given back or a 429's slot removed:
    /// so the slot is nearly always `id - first id` places in, found with
    /// one look. Otherwise (a removal before it, or ids not consecutive) it
    /// is searched for. A scan of the newest few found it only while no
    /// more than that many requests had been granted since; with several
    /// tasks at once the search that followed touched a dozen cold lines of
    /// a log up to 8,192 slots long.
    fn position(&self, id: u64) -> Option<usize> {
        let first = self.log.front()?.id;
        let guess = usize::try_from(id.checked_sub(first)?).ok()?;
        if self.log.get(guess).is_some_and(|s| s.id == id) {
            return Some(guess);
        }
        let pos = self.log.partition_point(|s| s.id < id);
        (self.log.get(pos)?.id == id).then_some(pos)
    }

    fn release(&mut self, now: Instant, id: u64, cfg: &LimiterConfig) {
        if let Some(pos) = self.position(id) {
            self.log.remove(pos);
            if let (Some(tat), Some(eff)) = (self.tat, self.effective(now, cfg)) {
                self.tat = Some(tat.checked_sub(eff.interval).unwrap_or(now).max(now));
            }
        }
    }

    /// Reacts to a 429 of request `id` that tripped this window (see the
    /// module documentation). The request's slot is given back in any case.
    ///
    /// `counted`: the window's requests as a shared store counted them (every
    /// limiter on the store is "ours"); `None`: this limiter's own log.
    fn throttled(
        &mut self,
        now: Instant,
        id: u64,
        cfg: &LimiterConfig,
        counted: Option<Counted>,
    ) -> Reaction {
        let Some(pos) = self.position(id) else {
            return Reaction::Stale;
        };
        let sent_at = self.log[pos].at;
        let sent = self.time(&self.log[pos], now);
        let period = self.kind.period();
        // Ours in the server's window when it refused: granted in the period
        // before the refused one, answered or still in flight.
        let (count, oldest) = match counted {
            Some(c) => (
                c.count as usize,
                sent.checked_sub(c.oldest.min(period)).unwrap_or(sent),
            ),
            None => {
                let period = nanos(period);
                let mut own = self
                    .log
                    .iter()
                    .take(pos)
                    .filter(|s| sent_at.saturating_sub(s.at) < period);
                let oldest = own.next();
                let count = usize::from(oldest.is_some()) + own.count();
                (count, oldest.map_or(sent, |s| self.time(s, now)))
            }
        };
        self.log.remove(pos);
        if self.reacted_at.is_some_and(|r| sent < r) {
            return Reaction::Stale;
        }
        self.reacted_at = Some(now);
        self.changed_at = Some(now);
        if count == 0 {
            // Someone else filled the window: nothing measured, wait it out.
            self.paused_until = Some(now + period);
            return Reaction::Paused;
        }
        let a = count as f64;
        let probe = self.kind.probe(cfg);
        if let (None, Some((cap, _))) = (&self.learned, self.stated) {
            // A stated limit refused with our count at it, give or take the
            // arrival jitter of one request in ten: keep it and wait for the
            // window, unless it keeps happening (then it is a little high).
            let cap = f64::from(cap);
            if a >= cap - jitter(cap) {
                let strikes = match self.strikes {
                    Some(sh) if now.saturating_duration_since(sh.since) < probe.forget => Shared {
                        since: sh.since,
                        most: sh.most.max(a),
                        cuts: sh.cuts + 1,
                    },
                    _ => Shared {
                        since: now,
                        most: a,
                        cuts: 1,
                    },
                };
                self.strikes = Some(strikes);
                if strikes.cuts < STATED_STRIKES {
                    self.paused_until = Some(oldest + period).filter(|p| *p > now);
                    return Reaction::Estimate(cap);
                }
            }
        }
        self.strikes = None;
        let before = self.effective(now, cfg).map(|e| e.estimate);
        let fresh = |base: f64, confirmed: bool| Learned {
            base,
            ceiling: base,
            at: now,
            confirmed,
            shared: None,
        };
        let learned = match (&self.learned, before) {
            (Some(l), Some(prev)) if l.confirmed => {
                if a >= l.ceiling.floor() {
                    // Our own traffic filled the window at the confirmed
                    // level, or above it while probing: `A` is the limit.
                    fresh(a, true)
                } else if l.shared.is_none() && a >= l.ceiling - jitter(l.ceiling) {
                    // One short of the level: the arrival jitter of one
                    // request. The level stays; a probe above it stops. If
                    // the next 429 is short again, the window is shared.
                    Learned {
                        shared: Some(Shared {
                            since: now,
                            most: a,
                            cuts: 0,
                        }),
                        ..fresh(l.ceiling, true)
                    }
                } else {
                    // Fewer of ours than the level: the window is shared
                    // (or the limit went down). Cut the current rate and
                    // climb back to the level, never lowering the level on
                    // one 429 (a neighbour would otherwise ratchet it down
                    // step by step); once such 429s have kept coming for
                    // `forget`, our largest share since is the limit.
                    let sh = l.shared.map_or(
                        Shared {
                            since: now,
                            most: a,
                            cuts: 1,
                        },
                        |sh| Shared {
                            since: sh.since,
                            most: sh.most.max(a),
                            // 429s within a period of the last cut meet the
                            // same full window: not a further event.
                            cuts: sh.cuts
                                + u32::from(sent.saturating_duration_since(l.at) >= period),
                        },
                    );
                    if now.saturating_duration_since(sh.since) >= probe.forget {
                        fresh(sh.most, true)
                    } else {
                        Learned {
                            base: a.max(probe.beta * prev).min(l.ceiling),
                            ceiling: l.ceiling,
                            at: now,
                            confirmed: true,
                            shared: Some(sh),
                        }
                    }
                }
            }
            // Two counts a period or more apart that agree confirm it.
            (Some(l), Some(_))
                if sent.saturating_duration_since(l.at) >= period
                    && a >= OWN_SHARE * l.base
                    && a * OWN_SHARE <= l.base =>
            {
                // Both counts are lower bounds: the larger is the limit.
                fresh(a.max(l.base), true)
            }
            // The first 429 (limit unknown or stated), one within a period
            // of the last, or a count that disagrees with an unconfirmed
            // estimate: an unconfirmed lower bound.
            _ => fresh(a, false),
        };
        self.learned = Some(learned);
        let eff = self.effective(now, cfg);
        // The server called the window full: no grant before the oldest of
        // ours in it has left (the log cap already says so when `A` fills
        // the estimate; after a cut it does not).
        self.paused_until = Some(oldest + period).filter(|p| *p > now);
        if let Some(eff) = eff {
            self.tat = Some(now + eff.interval);
        }
        Reaction::Estimate(eff.map_or(a, |e| e.estimate))
    }

    fn set_stated(&mut self, now: Instant, stated: Option<(u32, LimitSource)>) {
        if self.stated != stated {
            // News for other limiters; the same limit stated again resets
            // what was learned here, but a newer note on a shared store
            // still applies.
            self.changed_at = Some(now);
        }
        self.stated = stated;
        self.strikes = None;
        // A new stated limit replaces what was learned: the adaptive estimate
        // takes over again at the next 429.
        self.learned = None;
    }
}
/// Everything a limiter store keeps for one bucket.
#[derive(Debug, Clone)]
pub(crate) struct BucketState {
    second: Window,
    minute: Window,
    /// Requests granted and not given back.
    pub(crate) sent: u64,
    /// 429 answers seen.
    pub(crate) throttled: u64,
    /// Callers waiting for a slot right now.
    pub(crate) queued: usize,
    /// The id of the next slot [`grant`](Self::grant) hands out.
    next_id: u64,
    /// The time of the latest grant. A caller's clock is read before it
    /// takes the bucket's lock, so another caller that read the clock
    /// later may be granted first: the earlier reading then counts as this
    /// (time in the bucket never runs backwards, and the pacer does not
    /// refuse a caller for having read the clock a moment too soon).
    latest: Option<Instant>,
    /// Total time callers spent waiting for a slot.
    pub(crate) total_wait: Duration,
}

/// What [`BucketState::complete`] learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Learning {
    /// Nothing new.
    Nothing,
    /// A 429 tripped `window`.
    Throttled {
        /// The window that tripped.
        window: WindowKind,
        /// The new estimate of its limit (`None`: unchanged, either because
        /// the request was sent before the last reaction or because none of
        /// ours was in the window, which then pauses).
        estimate: Option<f64>,
        /// The window reacted (its knowledge changed): the 429 was not for
        /// a request sent before the last reaction.
        reacted: bool,
    },
}

impl BucketState {
    /// A fresh bucket with these stated limits (unknown windows are adaptive).
    pub(crate) fn new(limits: Limits, source: LimitSource) -> Self {
        BucketState {
            second: Window::new(WindowKind::Second, limits.per_second.map(|l| (l, source))),
            minute: Window::new(WindowKind::Minute, limits.per_minute.map(|l| (l, source))),
            sent: 0,
            throttled: 0,
            queued: 0,
            next_id: 1,
            latest: None,
            total_wait: Duration::ZERO,
        }
    }

    fn window_mut(&mut self, kind: WindowKind) -> &mut Window {
        match kind {
            WindowKind::Second => &mut self.second,
            WindowKind::Minute => &mut self.minute,
        }
    }

    /// Reserves a slot at `now` and returns its id (ids increase with
    /// every grant), or says when to try again.
    pub(crate) fn grant(&mut self, now: Instant, cfg: &LimiterConfig) -> Result<u64, Instant> {
        let id = self.next_id;
        self.try_grant(now, id, cfg)?;
        self.next_id += 1;
        Ok(id)
    }

    /// Reserves a slot for request `id` at `now`, or says when to try
    /// again. `id` must be higher than every id granted before.
    pub(crate) fn try_grant(
        &mut self,
        now: Instant,
        id: u64,
        cfg: &LimiterConfig,
    ) -> Result<(), Instant> {
        let now = self.latest.map_or(now, |latest| latest.max(now));
        let (second, second_eff) = self.second.next_free_with(now, cfg);
        let (minute, minute_eff) = self.minute.next_free_with(now, cfg);
        if let Some(at) = second.max(minute) {
            return Err(at);
        }
        self.second.grant_with(now, id, second_eff);
        self.minute.grant_with(now, id, minute_eff);
        self.latest = Some(now);
        self.sent += 1;
        Ok(())
    }

    /// Gives back the slot of a request that was abandoned before it completed.
    pub(crate) fn release(&mut self, now: Instant, id: u64, cfg: &LimiterConfig) {
        let before = self.minute.log.len();
        self.second.release(now, id, cfg);
        self.minute.release(now, id, cfg);
        if self.minute.log.len() < before {
            self.sent = self.sent.saturating_sub(1);
        }
    }

    /// Records how request `id` ended and learns from a 429 (its own count).
    #[cfg(test)]
    pub(crate) fn complete(
        &mut self,
        now: Instant,
        id: u64,
        feedback: &Feedback,
        cfg: &LimiterConfig,
    ) -> Learning {
        self.complete_counted(now, id, feedback, cfg, None)
    }

    /// [`complete`](Self::complete), with a 429's window count from a shared
    /// store (`None`: this limiter's own requests).
    pub(crate) fn complete_counted(
        &mut self,
        now: Instant,
        id: u64,
        feedback: &Feedback,
        cfg: &LimiterConfig,
        counted: Option<Counted>,
    ) -> Learning {
        if !feedback.throttled {
            // An answer or a lost request: its slot stays as it is.
            return Learning::Nothing;
        }
        self.throttled += 1;
        let kind =
            WindowKind::from_period_secs(feedback.rate_limit.as_ref().and_then(|r| r.period_secs));
        // The server did not act on it: the slot does not count in either
        // window; the tripped one learns from it.
        let other = match kind {
            WindowKind::Second => WindowKind::Minute,
            WindowKind::Minute => WindowKind::Second,
        };
        self.window_mut(other).release(now, id, cfg);
        let reaction = self.window_mut(kind).throttled(now, id, cfg, counted);
        // The server said when to come back (`Retry-After`, which the Atlassian
        // APIs send): the tripped window grants nothing before then, whatever
        // its own count says, so the other callers do not run into the same
        // refusal while the one that got it waits.
        if let Some(wait) = feedback.rate_limit.as_ref().and_then(|r| r.retry_after) {
            let until = now + wait.min(RETRY_AFTER_HOLD_MAX);
            let w = self.window_mut(kind);
            if w.paused_until.is_none_or(|p| p < until) {
                w.paused_until = Some(until);
            }
        }
        Learning::Throttled {
            window: kind,
            estimate: match reaction {
                Reaction::Estimate(e) => Some(e),
                Reaction::Stale | Reaction::Paused => None,
            },
            reacted: reaction != Reaction::Stale,
        }
    }

    /// Replaces the stated limits (user configuration or discovery).
    pub(crate) fn set_limits(&mut self, now: Instant, limits: Limits, source: LimitSource) {
        self.second
            .set_stated(now, limits.per_second.map(|l| (l, source)));
        self.minute
            .set_stated(now, limits.per_minute.map(|l| (l, source)));
    }

    /// What `kind`'s window knows of the server's limit at `now`, for other
    /// limiters (processes) to adopt.
    pub(crate) fn knowledge(&self, kind: WindowKind, now: Instant) -> Knowledge {
        let w = match kind {
            WindowKind::Second => &self.second,
            WindowKind::Minute => &self.minute,
        };
        let ago = |t: Instant| now.saturating_duration_since(t).as_millis() as u64;
        let run = |sh: &Shared| RunNote {
            since: ago(sh.since),
            most: sh.most,
            cuts: sh.cuts,
        };
        Knowledge {
            period: kind.period().as_secs(),
            // Never changed: the stated limit it started with, news from now.
            changed: w.changed_at.map_or(0, ago),
            stated: w.stated.map(|(n, src)| (n, src == LimitSource::Discovered)),
            learned: w.learned.as_ref().map(|l| LearnedNote {
                base: l.base,
                ceiling: l.ceiling,
                at: ago(l.at),
                confirmed: l.confirmed,
                shared: l.shared.as_ref().map(run),
            }),
            strikes: w.strikes.as_ref().map(run),
            paused: w
                .paused_until
                .filter(|p| *p > now)
                .map(|p| p.saturating_duration_since(now).as_millis() as u64),
            reacted: w.reacted_at.map(ago),
        }
    }

    /// Adopts `k`, written `age` ago by another limiter on a shared store,
    /// if it is newer than what the window knows. A limit configured here
    /// stays (the other limiter's configured limit is its own). Returns
    /// whether anything was adopted.
    pub(crate) fn adopt(&mut self, now: Instant, k: &Knowledge, age: Duration) -> bool {
        let kind = match k.period {
            1 => WindowKind::Second,
            60 => WindowKind::Minute,
            _ => return false,
        };
        // Times in `k` are milliseconds before it was written.
        let written = now.checked_sub(age).unwrap_or(now);
        let at = |ms: u64| {
            written
                .checked_sub(Duration::from_millis(ms))
                .unwrap_or(written)
        };
        let changed = at(k.changed);
        let w = self.window_mut(kind);
        if w.changed_at.is_some_and(|c| c >= changed) {
            return false;
        }
        if k.learned.is_none()
            && k.strikes.is_none()
            && k.stated
                .is_some_and(|(n, discovered)| discovered && w.stated.is_some_and(|(m, _)| m == n))
        {
            // The limit this window states already, and nothing learned:
            // no news (another process discovered what this one knows).
            return false;
        }
        let run = |r: &RunNote| Shared {
            since: at(r.since),
            most: r.most,
            cuts: r.cuts,
        };
        w.changed_at = Some(changed);
        if !matches!(w.stated, Some((_, LimitSource::Configured))) {
            w.stated = match k.stated {
                Some((n, true)) => Some((n.max(1), LimitSource::Discovered)),
                _ => w.stated,
            };
        }
        w.learned = k.learned.as_ref().map(|l| Learned {
            base: l.base.max(1.0),
            ceiling: l.ceiling.max(1.0),
            at: at(l.at),
            confirmed: l.confirmed,
            shared: l.shared.as_ref().map(run),
        });
        w.strikes = k.strikes.as_ref().map(run);
        w.paused_until = k
            .paused
            .map(|ms| written + Duration::from_millis(ms))
            .filter(|p| *p > now)
            .max(w.paused_until.filter(|p| *p > now));
        if let Some(r) = k.reacted.map(at) {
            w.reacted_at = Some(w.reacted_at.map_or(r, |m| m.max(r)));
        }
        true
    }

    /// The limits in force at `now` for each window (`None`: unknown).
    pub(crate) fn effective(
        &self,
        now: Instant,
        cfg: &LimiterConfig,
    ) -> (Option<Effective>, Option<Effective>) {
        (
            self.second.effective(now, cfg),
            self.minute.effective(now, cfg),
        )
    }
}

/// What one window knows of the server's limit, written for the other
/// limiters on a shared [`LimiterStore`](super::LimiterStore) (other
/// processes): its times are milliseconds before it was written (the store
/// tells how long ago that was on its own clock), so no two hosts' clocks
/// need to agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Knowledge {
    /// The window's period in seconds (1 or 60).
    period: u64,
    /// Since the knowledge last changed.
    changed: u64,
    /// The stated limit, and whether it was discovered (else configured).
    stated: Option<(u32, bool)>,
    learned: Option<LearnedNote>,
    strikes: Option<RunNote>,
    /// No grant for this long.
    paused: Option<u64>,
    /// Since the last reaction to a 429.
    reacted: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LearnedNote {
    base: f64,
    ceiling: f64,
    at: u64,
    confirmed: bool,
    shared: Option<RunNote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RunNote {
    since: u64,
    most: f64,
    cuts: u32,
}

impl Knowledge {
    /// The window's period.
    pub(crate) fn period(&self) -> Duration {
        Duration::from_secs(self.period)
    }

    /// The discovered limit it states, if any.
    pub(crate) fn discovered(&self) -> Option<u32> {
        self.stated.filter(|(_, d)| *d).map(|(n, _)| n)
    }
}

/// How a window's estimate moves after a 429 (see the [module
/// documentation](super) for the whole rule). One for the per-second window
/// ([`Probe::per_second`]) and one for the per-minute window
/// ([`Probe::per_minute`]): a mistake in the first costs a second, in the
/// second up to a minute, so the first is probed much faster.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::ratelimit::{LimiterConfig, Probe};
/// let mut careful = Probe::per_minute();
/// careful.hold = Duration::from_secs(120);
/// let cfg = LimiterConfig::default().probe(careful);
/// # let _ = cfg;
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Probe {
    /// How long an unconfirmed estimate (the first 429's count of our own
    /// requests) stays flat before it grows: one period by default, so the
    /// server's window has turned over.
    pub settle: Duration,
    /// Doubling time of an unconfirmed estimate once settled (1 s for the
    /// per-second window, 30 s for the per-minute one).
    pub doubling: Duration,
    /// The share of the estimate kept when a 429 comes while others use the
    /// quota (default 0.7, multiplicative decrease).
    pub beta: f64,
    /// Time to climb back from such a cut to the rate before it, on a
    /// concave curve (2 s per second, 20 s per minute).
    pub recovery: Duration,
    /// Time a confirmed estimate holds before probing upward (20 s per
    /// second, 45 s per minute).
    pub hold: Duration,
    /// Time unit of the upward ramp (10 s per second, 30 s per minute).
    pub step: Duration,
    /// Growth per squared step (default 0.02: +2 % after one step, +8 %
    /// after two, +18 % after three).
    pub gain: f64,
    /// How long 429s must keep coming with the window shared before our
    /// share is taken as the limit (60 s per second, 10 min per minute):
    /// a consumer that stays is then no longer probed against every few
    /// seconds, one that leaves sooner costs nothing lasting.
    pub forget: Duration,
}

impl Default for Probe {
    /// The per-minute window's defaults.
    fn default() -> Self {
        Probe::per_minute()
    }
}

impl Probe {
    /// Defaults for the per-second window.
    pub fn per_second() -> Self {
        Probe {
            settle: Duration::from_secs(1),
            doubling: Duration::from_secs(1),
            beta: 0.7,
            recovery: Duration::from_secs(2),
            hold: Duration::from_secs(20),
            step: Duration::from_secs(10),
            gain: 0.02,
            forget: Duration::from_secs(60),
        }
    }

    /// Defaults for the per-minute window.
    pub fn per_minute() -> Self {
        Probe {
            settle: Duration::from_secs(60),
            doubling: Duration::from_secs(30),
            beta: 0.7,
            recovery: Duration::from_secs(20),
            hold: Duration::from_secs(45),
            step: Duration::from_secs(30),
            gain: 0.02,
            forget: Duration::from_secs(600),
        }
    }

    /// A confirmed estimate `elapsed` after it was learned at `limit`
    /// (flat for [`hold`](Self::hold), then `gain × steps²`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use opsgenie_users::ratelimit::Probe;
    /// let p = Probe::per_minute();
    /// assert_eq!(p.grow(100.0, Duration::from_secs(45)), 100.0);
    /// assert!((p.grow(100.0, Duration::from_secs(105)) - 108.0).abs() < 1e-9);
    /// ```
    pub fn grow(&self, limit: f64, elapsed: Duration) -> f64 {
        let Some(ramp) = elapsed.checked_sub(self.hold) else {
            return limit;
        };
        let s = ramp.as_secs_f64() / self.step.as_secs_f64().max(1e-3);
        limit * (1.0 + self.gain * s * s).min(MAX_GROWTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RateLimitInfo;

    fn cfg() -> LimiterConfig {
        LimiterConfig::default()
    }

    fn ok() -> Feedback {
        Feedback {
            status: Some(201),
            rate_limit: None,
            throttled: false,
        }
    }

    fn throttled(period: u64) -> Feedback {
        Feedback {
            status: Some(429),
            rate_limit: Some(RateLimitInfo {
                state: Some("THROTTLED".into()),
                reason: Some("Configuration".into()),
                period_secs: Some(period),
                ..Default::default()
            }),
            throttled: true,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Grants as fast as the bucket allows from `start` until `until`,
    /// completing each with `fb`; returns the grant times.
    fn drain(b: &mut BucketState, start: Instant, until: Instant, fb: &Feedback) -> Vec<Instant> {
        let cfg = cfg();
        let mut now = start;
        let mut id = 0;
        let mut times = vec![];
        while now < until {
            match b.try_grant(now, id, &cfg) {
                Ok(()) => {
                    b.complete(now, id, fb, &cfg);
                    times.push(now);
                    id += 1;
                }
                Err(at) => {
                    assert!(at > now, "next slot must be in the future");
                    now = at;
                }
            }
        }
        times
    }

    fn max_in_any(times: &[Instant], period: Duration) -> usize {
        let mut best = 0;
        let mut lo = 0;
        for hi in 0..times.len() {
            while times[hi].duration_since(times[lo]) >= period {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
        best
    }

    /// A server window of `limit` per second, and what it accepted.
    struct Server {
        limit: usize,
        hits: Vec<Instant>,
    }

    impl Server {
        fn admit(&mut self, now: Instant) -> bool {
            let in_window = self
                .hits
                .iter()
                .filter(|t| now.saturating_duration_since(**t) < secs(1))
                .count();
            if in_window >= self.limit {
                return false;
            }
            self.hits.push(now);
            true
        }
    }

    /// Runs one caller sending back to back (1 ms round trip) against
    /// `server` from `start` to `until`; returns (accepted, throttled) times.
    fn run(
        b: &mut BucketState,
        server: &mut Server,
        start: Instant,
        until: Instant,
        first_id: u64,
    ) -> (Vec<Instant>, Vec<Instant>) {
        let cfg = cfg();
        let (mut now, mut id) = (start, first_id);
        let (mut acc, mut thr) = (vec![], vec![]);
        while now < until {
            match b.try_grant(now, id, &cfg) {
                Ok(()) => {
                    let fb = if server.admit(now) {
                        acc.push(now);
                        ok()
                    } else {
                        thr.push(now);
                        throttled(1)
                    };
                    now += ms(1);
                    b.complete(now, id, &fb, &cfg);
                    id += 1;
                }
                Err(at) => now = at,
            }
        }
        (acc, thr)
    }

    #[test]
    fn without_slow_start_unknown_limits_never_wait() {
        let cfg = LimiterConfig {
            slow_start: None,
            ..cfg()
        };
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let now = Instant::now();
        for id in 0..1000 {
            assert_eq!(b.try_grant(now, id, &cfg), Ok(()));
        }
        assert_eq!(b.sent, 1000);
    }

    #[test]
    fn unknown_per_second_window_slow_starts_and_doubles_each_second() {
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let t0 = Instant::now();
        let times = drain(&mut b, t0, t0 + secs(4), &ok());
        let in_second = |n: u64| {
            times
                .iter()
                .filter(|t| t.duration_since(t0) >= secs(n) && t.duration_since(t0) < secs(n + 1))
                .count()
        };
        // 10/s doubling every second: ~14, ~29, ~58, ~115 (10·2^t integrated).
        let counts: Vec<usize> = (0..4).map(in_second).collect();
        assert!((12..=16).contains(&counts[0]), "{counts:?}");
        for w in counts.windows(2) {
            assert!(w[1] >= 2 * w[0] - 3 && w[1] <= 2 * w[0] + 3, "{counts:?}");
        }
        // Per-second limits stay unknown in the statistics.
        assert_eq!(b.effective(t0, &cfg()).0, None);
    }

    #[test]
    fn stated_limit_is_never_exceeded_in_any_window_and_paced() {
        let limits = Limits::per_minute(600).and_per_second(10);
        let mut b = BucketState::new(limits, LimitSource::Configured);
        let t0 = Instant::now();
        let times = drain(&mut b, t0, t0 + secs(600), &ok());
        assert!(max_in_any(&times, secs(60)) <= 600);
        assert!(max_in_any(&times, secs(1)) <= 10);
        // 98 % of 6000 over ten minutes, give or take the last slot.
        let n = times.len();
        assert!((5870..=5900).contains(&n), "{n}");
        // Evenly spread: never more than the burst of two within a pacing interval.
        assert!(max_in_any(&times, ms(100)) <= 2);
    }

    #[test]
    fn minute_limit_alone_is_spread_not_burst() {
        let mut b = BucketState::new(Limits::per_minute(120), LimitSource::Configured);
        let t0 = Instant::now();
        let times = drain(&mut b, t0, t0 + secs(10), &ok());
        // 120 / 61.2 s ≈ 1.96/s with a burst of 2: about 20 in 10 s, not 120,
        // and never more than burst + 1 within a second.
        assert!((18..=22).contains(&times.len()), "{}", times.len());
        assert!(max_in_any(&times, secs(1)) <= 3);
    }

    #[test]
    fn log_is_bounded_and_a_limit_past_it_is_paced() {
        // 600,000 per minute (10,000/s): a minute of grants would be 600,000
        // slots; the log keeps LOG_MAX.
        let limits = Limits::per_minute(600_000).and_per_second(20_000);
        let mut b = BucketState::new(limits, LimitSource::Configured);
        let cfg = cfg();
        let t0 = Instant::now();
        let mut now = t0;
        let mut granted = 0u32;
        while granted < 30_000 {
            match b.grant(now, &cfg) {
                // Half of them not answered yet.
                Ok(id) if id % 2 == 0 => b.complete(now, id, &ok(), &cfg),
                Ok(_) => Learning::Nothing,
                Err(at) => {
                    now = at;
                    continue;
                }
            };
            granted += 1;
        }
        assert!(b.minute.log.len() <= LOG_MAX && b.second.log.len() <= LOG_MAX);
        assert_eq!(b.minute.log.len(), LOG_MAX);
        // The pacer still holds the rate: 98 % of 10,000/s.
        let elapsed = now.duration_since(t0).as_secs_f64();
        let rate = f64::from(granted) / elapsed;
        assert!((9_700.0..=9_900.0).contains(&rate), "{rate}/s");
    }

    #[test]
    fn a_slot_is_found_after_removals_and_past_the_newest_few() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::unknown(), LimitSource::Configured);
        let mut now = Instant::now();
        let mut ids = Vec::new();
        while ids.len() < 40 {
            match b.grant(now, &cfg) {
                Ok(id) => ids.push(id),
                Err(at) => now = at,
            }
        }
        assert_eq!(ids, (1..=40).collect::<Vec<_>>());
        // Consecutive ids: found where the id says, however far back.
        assert_eq!(b.minute.position(4), Some(3));
        assert_eq!(b.minute.position(40), Some(39));
        // Slots given back in the middle: the later ones are searched for.
        b.release(now, 6, &cfg);
        b.release(now, 21, &cfg);
        assert_eq!(b.minute.position(6), None);
        assert_eq!(b.minute.position(5), Some(4));
        assert_eq!(b.minute.position(7), Some(5));
        assert_eq!(b.minute.position(22), Some(19));
        assert_eq!(b.second.position(40), Some(37));
        assert_eq!(b.minute.position(41), None);
        assert_eq!(b.minute.position(0), None);
        // An answer leaves the log as it is: no lock is taken for it.
        let before: Vec<(u64, u64)> = b.minute.log.iter().map(|s| (s.at, s.id)).collect();
        b.complete(now, 7, &ok(), &cfg);
        let after: Vec<(u64, u64)> = b.minute.log.iter().map(|s| (s.at, s.id)).collect();
        assert_eq!(after, before);
    }

    #[test]
    fn a_429_within_a_period_of_its_grant_counts_the_whole_period_before_it() {
        // Limits unknown: a per-second 429 teaches the count of our slots in
        // the second before the refused request's grant.
        let cfg = cfg();
        let mut b = BucketState::new(Limits::default(), LimitSource::Discovered);
        let t0 = Instant::now();
        let grant = |b: &mut BucketState, at: Instant, id: u64| {
            let mut now = at;
            while let Err(next) = b.try_grant(now, id, &cfg) {
                now = next;
            }
            now
        };
        // Eight requests a tenth of a second apart, answered at once.
        for id in 1..=8 {
            let at = grant(&mut b, t0 + ms(100) * id as u32, id);
            b.complete(at, id, &ok(), &cfg);
        }
        let sent = grant(&mut b, t0 + ms(850), 9);
        // Another request a little later (the log is trimmed at each grant),
        // then request 9's 429, 0.9 s after its grant: the answered slots
        // 0.15-0.75 s older than it are past the stretched window by then,
        // and still counted.
        let other = grant(&mut b, sent + ms(800), 10);
        let learned = b.complete(sent + ms(900), 9, &throttled(1), &cfg);
        assert!(other < sent + ms(900));
        assert_eq!(
            learned,
            Learning::Throttled {
                window: WindowKind::Second,
                estimate: Some(8.0),
                reacted: true,
            }
        );
    }

    #[test]
    fn a_request_in_flight_past_the_kept_log_teaches_nothing_by_its_429() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::per_minute(600), LimitSource::Discovered);
        let t0 = Instant::now();
        b.try_grant(t0, 1, &cfg).unwrap();
        // A grant 2.1 s later trims the per-second log (kept for the
        // stretched second and a second more): request 1, still in flight,
        // leaves it. Its 429 then finds no slot there and changes nothing.
        let later = t0 + ms(2_100);
        b.try_grant(later, 2, &cfg).unwrap();
        assert_eq!(b.second.position(1), None);
        let learned = b.complete(later, 1, &throttled(1), &cfg);
        assert_eq!(
            learned,
            Learning::Throttled {
                window: WindowKind::Second,
                estimate: None,
                reacted: false,
            }
        );
        assert_eq!(b.effective(later, &cfg).0, None);
    }

    #[test]
    fn throttle_learns_what_was_accepted_and_holds_the_domain() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::per_minute(120), LimitSource::Configured);
        let t0 = Instant::now();
        let mut now = t0;
        let mut id = 0;
        // The server accepts 74 then refuses.
        while id < 74 {
            match b.try_grant(now, id, &cfg) {
                Ok(()) => {
                    b.complete(now, id, &ok(), &cfg);
                    id += 1;
                }
                Err(at) => now = at,
            }
        }
        let mut now = now + ms(400);
        while let Err(at) = b.try_grant(now, 74, &cfg) {
            now = at;
        }
        let learned = b.complete(now, 74, &throttled(60), &cfg);
        assert_eq!(
            learned,
            Learning::Throttled {
                window: WindowKind::Minute,
                estimate: Some(74.0),
                reacted: true,
            }
        );
        assert_eq!(b.throttled, 1);
        let (_, minute) = b.effective(now, &cfg);
        let minute = minute.unwrap();
        assert_eq!(minute.cap, 74);
        assert_eq!(minute.window, div(secs(60), 0.95));
        assert_eq!(minute.source, LimitSource::Learned);
        // Room again only once enough of the accepted requests left the window.
        let next = b.try_grant(now, 75, &cfg).unwrap_err();
        assert!(next > now + secs(20), "{:?}", next - now);
    }

    #[test]
    fn retry_after_holds_the_tripped_window_until_then_capped_at_a_minute() {
        let cfg = LimiterConfig {
            slow_start: None,
            ..cfg()
        };
        let with_retry_after = |secs_: u64| {
            let mut fb = throttled(1);
            if let Some(r) = fb.rate_limit.as_mut() {
                r.retry_after = Some(secs(secs_));
            }
            fb
        };
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let now = Instant::now();
        for id in 0..3 {
            b.try_grant(now, id, &cfg).unwrap();
        }
        b.complete(now, 0, &ok(), &cfg);
        b.complete(now, 1, &with_retry_after(5), &cfg);
        // Without Retry-After the per-second window would open within a second.
        assert_eq!(b.try_grant(now + secs(2), 3, &cfg), Err(now + secs(5)));
        assert_eq!(b.try_grant(now + secs(5), 3, &cfg), Ok(()));
        // A shorter Retry-After never shortens a hold; a longer one than a
        // minute holds a minute.
        b.complete(now + secs(5), 2, &with_retry_after(3600), &cfg);
        assert_eq!(
            b.try_grant(now + secs(6), 4, &cfg),
            Err(now + secs(5) + secs(60))
        );
    }

    #[test]
    fn throttle_with_nothing_of_ours_in_the_window_pauses_it_and_learns_nothing() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let now = Instant::now();
        b.try_grant(now, 1, &cfg).unwrap();
        assert_eq!(
            b.complete(now, 1, &throttled(1), &cfg),
            Learning::Throttled {
                window: WindowKind::Second,
                estimate: None,
                reacted: true,
            }
        );
        assert_eq!(b.try_grant(now, 2, &cfg), Err(now + secs(1)));
        assert_eq!(b.try_grant(now + secs(1), 2, &cfg), Ok(()));
        assert_eq!(b.effective(now, &cfg).0, None, "still unknown");
    }

    #[test]
    fn a_slot_takes_16_bytes_and_keeps_its_time_and_id_exactly() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        let cfg = cfg();
        let mut b = BucketState::new(Limits::per_minute(1_000), LimitSource::Configured);
        let t0 = Instant::now();
        // Nanoseconds apart, and a day later: each slot's time comes back
        // to the nanosecond.
        let times = [
            t0,
            t0 + Duration::from_nanos(1),
            t0 + Duration::from_nanos(1_000_000_007),
            t0 + Duration::from_secs(86_400) + Duration::from_nanos(3),
        ];
        for (i, t) in times.iter().enumerate() {
            b.minute.grant(*t, (i as u64 + 1) << 40, &cfg);
        }
        let log: Vec<(Instant, u64)> = b
            .minute
            .log
            .iter()
            .map(|s| (b.minute.time(s, t0), s.id))
            .collect();
        let want: Vec<(Instant, u64)> = times
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, (i as u64 + 1) << 40))
            .collect();
        assert_eq!(log, want);
    }

    #[test]
    fn a_clock_read_before_the_latest_grant_is_not_refused_for_it() {
        // A high advertised limit (the pacer's interval about a microsecond):
        // two workers read the clock, the later reader takes the lock first.
        let cfg = cfg();
        let limits = Limits::per_minute(60_000_000).and_per_second(1_000_000);
        let mut b = BucketState::new(limits, LimitSource::Discovered);
        let t0 = Instant::now();
        let us = Duration::from_micros;
        assert_eq!(b.try_grant(t0 + us(10), 1, &cfg), Ok(()));
        // Read 5 µs before that grant: counted as read at it, and the pacer's
        // burst of two has room.
        assert_eq!(b.try_grant(t0 + us(5), 2, &cfg), Ok(()));
        // The pacer still holds: a third at once waits an interval.
        let third = b.try_grant(t0 + us(5), 3, &cfg).unwrap_err();
        assert!(third > t0 + us(10) && third < t0 + us(12), "{third:?}");
        // Both slots sit in the log at the later time, not before it.
        assert_eq!(
            b.minute
                .log
                .iter()
                .map(|s| b.minute.time(s, t0))
                .collect::<Vec<_>>(),
            [t0 + us(10); 2]
        );
    }

    #[test]
    fn released_slot_is_reusable_at_once() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::per_second(1), LimitSource::Configured);
        let now = Instant::now();
        b.try_grant(now, 1, &cfg).unwrap();
        assert!(b.try_grant(now, 2, &cfg).is_err());
        b.release(now, 1, &cfg);
        assert_eq!(b.sent, 0);
        assert_eq!(b.try_grant(now, 2, &cfg), Ok(()));
    }

    #[test]
    fn in_flight_requests_count_and_their_late_429s_teach_nothing() {
        let cfg = LimiterConfig {
            slow_start: None,
            ..cfg()
        };
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let t0 = Instant::now();
        // 14 sent at once; the server accepts 10 (ids 0..10), refuses 4.
        for id in 0..14 {
            b.try_grant(t0, id, &cfg).unwrap();
        }
        let t1 = t0 + ms(2);
        for id in 0..7 {
            b.complete(t1, id, &ok(), &cfg);
        }
        // The 429 of id 10 arrives before the answers of 7..10: they count.
        let first = b.complete(t1, 10, &throttled(1), &cfg);
        assert_eq!(
            first,
            Learning::Throttled {
                window: WindowKind::Second,
                estimate: Some(10.0),
                reacted: true,
            }
        );
        for id in 11..14 {
            let late = b.complete(t1 + ms(1), id, &throttled(1), &cfg);
            assert_eq!(
                late,
                Learning::Throttled {
                    window: WindowKind::Second,
                    estimate: None,
                    reacted: false,
                }
            );
        }
        assert_eq!(b.effective(t1, &cfg).0.unwrap().estimate, 10.0);
        assert_eq!((b.sent, b.throttled), (14, 4));
    }

    #[test]
    fn unconfirmed_estimate_settles_doubles_and_is_confirmed_by_the_next_429() {
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let mut server = Server {
            limit: 10,
            hits: vec![],
        };
        let t0 = Instant::now();
        let (acc, thr) = run(&mut b, &mut server, t0, t0 + secs(30), 0);
        // Slow start trips once; the unconfirmed estimate grows after a
        // second and trips once more; that 429 confirms 10, which then holds.
        assert_eq!(
            thr.len(),
            2,
            "{:?}",
            thr.iter().map(|t| *t - t0).collect::<Vec<_>>()
        );
        assert!(thr[1] - t0 < secs(4));
        let w = b.second.learned.clone().unwrap();
        assert!(w.confirmed);
        assert_eq!(w.base, 10.0);
        // 95 % of 10/s from then on, probing up slowly after the hold.
        let late = acc.iter().filter(|t| **t >= t0 + secs(10)).count();
        assert!((188..=200).contains(&late), "{late}");
    }

    #[test]
    fn a_429_from_a_window_others_filled_recovers_within_seconds() {
        // A restart: the previous run's last 8 requests are still in the
        // server's window when this one starts.
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let t0 = Instant::now();
        let mut server = Server {
            limit: 10,
            hits: vec![t0 - ms(300); 8],
        };
        let (acc, thr) = run(&mut b, &mut server, t0, t0 + secs(20), 0);
        let first = thr[0];
        // Within 10 s of the first 429, a full second at >= 90 % of the limit.
        let best = (0..100)
            .map(|i| first + ms(100 * i))
            .map(|from| {
                acc.iter()
                    .filter(|t| **t >= from && **t < from + secs(1))
                    .count()
            })
            .max()
            .unwrap();
        assert!(best >= 9, "{best}");
        let tenth = first + secs(10);
        let after: usize = acc
            .iter()
            .filter(|t| **t >= tenth && **t < tenth + secs(5))
            .count();
        assert!(after >= 45, "{after}");
    }

    #[test]
    fn a_confirmed_estimate_is_cut_not_replaced_when_others_share_the_window() {
        let cfg = cfg();
        let p = Probe::per_second();
        let t0 = Instant::now();
        let mut w = Window::new(WindowKind::Second, None);
        w.learned = Some(Learned {
            base: 10.0,
            ceiling: 10.0,
            at: t0,
            confirmed: true,
            shared: None,
        });
        // Three of ours in the last second, then a 429: someone else sent 7.
        let t1 = t0 + secs(5);
        for id in 0..4 {
            w.grant(t1 + ms(100 * id), id, &cfg);
        }
        let t2 = t1 + ms(400);
        assert_eq!(w.throttled(t2, 3, &cfg, None), Reaction::Estimate(7.0));
        let l = w.learned.clone().unwrap();
        assert_eq!((l.base, l.ceiling, l.confirmed), (7.0, 10.0, true));
        // Back at the old rate after `recovery`, most of the way after half.
        assert!(l.estimate(&p, t2 + secs(1)) > 9.5);
        assert_eq!(l.estimate(&p, t2 + secs(2)), 10.0);
        // No grant until our oldest request in that window has left it.
        assert_eq!(w.next_free(t2, &cfg), Some(t1 + secs(1)));
    }

    #[test]
    fn advertised_limit_is_corrected_by_the_first_429_and_bounds_the_fast_growth() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::per_second(40), LimitSource::Discovered);
        let mut server = Server {
            limit: 10,
            hits: vec![],
        };
        let t0 = Instant::now();
        let (_, thr) = run(&mut b, &mut server, t0, t0 + secs(20), 0);
        assert_eq!(
            thr.len(),
            2,
            "{:?}",
            thr.iter().map(|t| *t - t0).collect::<Vec<_>>()
        );
        let l = b.second.learned.clone().unwrap();
        assert!(l.confirmed && l.base == 10.0);
        // An unconfirmed estimate does not grow past the advertised limit.
        let mut w = Window::new(WindowKind::Second, Some((12, LimitSource::Discovered)));
        w.learned = Some(Learned {
            base: 2.0,
            ceiling: 2.0,
            at: t0,
            confirmed: false,
            shared: None,
        });
        assert_eq!(w.effective(t0 + secs(1), &cfg).unwrap().estimate, 2.0);
        assert_eq!(w.effective(t0 + secs(3), &cfg).unwrap().estimate, 8.0);
        assert_eq!(w.effective(t0 + secs(10), &cfg).unwrap().estimate, 12.0);
    }

    #[test]
    fn a_429_at_a_stated_limit_is_jitter_until_it_repeats() {
        let cfg = cfg();
        let t0 = Instant::now();
        let mut w = Window::new(WindowKind::Second, Some((10, LimitSource::Discovered)));
        let mut id = 0;
        let mut trip = |w: &mut Window, at: Instant| {
            // Nine of ours in the second, the tenth refused.
            for i in 0..10 {
                w.grant(at + ms(100 * i), id + i, &cfg);
            }
            let r = w.throttled(at + ms(950), id + 9, &cfg, None);
            id += 10;
            r
        };
        assert_eq!(trip(&mut w, t0), Reaction::Estimate(10.0));
        assert!(w.learned.is_none(), "kept the stated limit");
        assert_eq!(w.next_free(t0 + ms(950), &cfg), Some(t0 + secs(1)));
        assert_eq!(trip(&mut w, t0 + secs(5)), Reaction::Estimate(10.0));
        // The third within a minute: the stated limit is a little high.
        assert_eq!(trip(&mut w, t0 + secs(10)), Reaction::Estimate(9.0));
        assert_eq!(w.learned.as_ref().map(|l| l.base), Some(9.0));
    }

    #[test]
    fn configured_limit_caps_the_probe_but_discovered_does_not() {
        let cfg = cfg();
        let now = Instant::now();
        for (source, expect) in [
            (LimitSource::Configured, 120.0),
            (LimitSource::Discovered, 198.0),
        ] {
            let mut w = Window::new(WindowKind::Minute, Some((120, source)));
            w.learned = Some(Learned {
                base: 100.0,
                ceiling: 100.0,
                at: now,
                confirmed: true,
                shared: None,
            });
            let e = w.effective(now + secs(255), &cfg).unwrap();
            assert!(
                (e.estimate - expect).abs() < 1e-9,
                "{source:?}: {}",
                e.estimate
            );
        }
    }

    #[test]
    fn probe_holds_then_ramps_up_convexly() {
        let p = Probe::per_minute();
        assert_eq!(p.grow(100.0, secs(44)), 100.0);
        assert!((p.grow(100.0, secs(75)) - 102.0).abs() < 1e-9);
        assert!((p.grow(100.0, secs(105)) - 108.0).abs() < 1e-9);
        assert!((p.grow(100.0, secs(255)) - 198.0).abs() < 1e-9);
    }
}
