//! Bucket math: the state of one (credential, base URL, domain) bucket and the
//! pure functions that grant, release and learn. Time is always passed in, so
//! everything here is tested without a clock.
//!
//! Each bucket has two windows, per second and per minute. A window is a
//! sliding log of reserved slots (it mirrors the server's rolling window
//! exactly) plus a GCRA pacer (a token bucket with a small burst) that spreads
//! the minute's budget over the minute instead of sending it in one burst.
//!
//! A pacing target `t` sets the pacer's rate to `t × L` per period. Limits the
//! user configured or the server advertised use [`LimiterConfig::stated_target`]
//! (default 0.98) and also stretch the log to `period / t` (at most `L` in any
//! stretched window: a margin for clock and network skew); limits learned
//! from 429s use [`LimiterConfig::target`] (default 0.95) with a log of exactly
//! one period, mirroring what the server just accepted.

use std::collections::VecDeque;
use std::time::Duration;

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    InFlight,
    Accepted,
    /// No answer (timeout, broken connection): counted as used.
    Unknown,
}

#[derive(Debug, Clone)]
struct Slot {
    at: Instant,
    id: u64,
    state: SlotState,
}

#[derive(Debug, Clone)]
struct Learned {
    /// Requests the server accepted in the window that tripped.
    limit: f64,
    /// When it was learned; probing upward starts from here.
    at: Instant,
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
}

/// The limit a window enforces right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Effective {
    /// Requests allowed in any `window`.
    pub(crate) cap: u32,
    /// Length of the sliding log: the period, stretched for stated limits.
    pub(crate) window: Duration,
    /// Pacing interval between grants (the pacing target applied).
    pub(crate) interval: Duration,
    /// Where the limit comes from.
    pub(crate) source: LimitSource,
    /// The estimate of the server's limit per period.
    pub(crate) estimate: f64,
}

impl Effective {
    /// Burst the pacer allows: a second's worth of the paced rate.
    fn burst(&self) -> u32 {
        let per_sec = 1.0 / self.interval.as_secs_f64().max(1e-9);
        (per_sec.ceil() as u32).clamp(1, self.cap.max(1))
    }
}

impl Window {
    fn new(kind: WindowKind, stated: Option<(u32, LimitSource)>) -> Self {
        Window {
            kind,
            stated,
            learned: None,
            log: VecDeque::new(),
            tat: None,
        }
    }

    /// The limit in force at `now`, or `None` when unknown (not limited).
    pub(crate) fn effective(&self, now: Instant, cfg: &LimiterConfig) -> Option<Effective> {
        let period = self.kind.period();
        let (estimate, target, source) = match (&self.learned, self.stated) {
            (Some(l), stated) => {
                let mut est = cfg.probe.grow(l.limit, now.saturating_duration_since(l.at));
                if let Some((cap, LimitSource::Configured)) = stated {
                    est = est.min(f64::from(cap));
                }
                (est, cfg.target, LimitSource::Learned)
            }
            (None, Some((cap, src))) => (f64::from(cap), cfg.stated_target, src),
            (None, None) => return None,
        };
        let cap = (estimate.floor() as u32).max(1);
        let target = target.clamp(0.05, 1.0);
        // Stated limits: at most `cap` in any stretched window (a margin for
        // skew). Learned limits: the log mirrors the server's window exactly
        // (it holds the domain after a 429 until the server has room), and
        // the pacer runs at `target` of the estimate.
        let window = match source {
            LimitSource::Learned => period,
            _ => period.div_f64(target),
        };
        let interval = period.div_f64(target * estimate.max(1.0));
        Some(Effective {
            cap,
            window,
            interval,
            source,
            estimate,
        })
    }

    fn expire(&mut self, now: Instant, keep: Duration) {
        while let Some(front) = self.log.front() {
            if now.saturating_duration_since(front.at) >= keep && front.state != SlotState::InFlight
            {
                self.log.pop_front();
            } else {
                break;
            }
        }
    }

    /// When this window next has room (`None`: now).
    fn next_free(&mut self, now: Instant, cfg: &LimiterConfig) -> Option<Instant> {
        // Keep the longest stretched window, which also covers a full
        // (unstretched) period for learning from accepted counts.
        let keep = self
            .kind
            .period()
            .div_f64(cfg.target.min(cfg.stated_target).clamp(0.05, 1.0));
        self.expire(now, keep);
        let eff = self.effective(now, cfg)?;
        // The log is ordered by grant time: the slots still inside the
        // window are a suffix of it.
        let first = self
            .log
            .partition_point(|s| now.saturating_duration_since(s.at) >= eff.window);
        let in_window = self.log.len() - first;
        let mut at: Option<Instant> = None;
        if in_window >= eff.cap as usize {
            // Room comes back when the slot `in_window - cap` places into the
            // window leaves it.
            at = Some(self.log[first + in_window - eff.cap as usize].at + eff.window);
        }
        if let Some(tat) = self.tat {
            let tau = eff.interval * (eff.burst() - 1);
            let allowed = tat.checked_sub(tau).unwrap_or(tat);
            if allowed > now {
                at = Some(at.map_or(allowed, |a| a.max(allowed)));
            }
        }
        at
    }

    fn grant(&mut self, now: Instant, id: u64, cfg: &LimiterConfig) {
        self.log.push_back(Slot {
            at: now,
            id,
            state: SlotState::InFlight,
        });
        if let Some(eff) = self.effective(now, cfg) {
            let base = self.tat.map_or(now, |t| t.max(now));
            self.tat = Some(base + eff.interval);
        }
    }

    fn release(&mut self, now: Instant, id: u64, cfg: &LimiterConfig) {
        // Recent slots are at the back.
        if let Some(pos) = self.log.iter().rposition(|s| s.id == id) {
            self.log.remove(pos);
            if let (Some(tat), Some(eff)) = (self.tat, self.effective(now, cfg)) {
                self.tat = Some(tat.checked_sub(eff.interval).unwrap_or(now).max(now));
            }
        }
    }

    fn mark(&mut self, id: u64, state: SlotState) {
        if let Some(s) = self.log.iter_mut().rev().find(|s| s.id == id) {
            s.state = state;
        }
    }

    /// Requests the server accepted within the last `period` before `now`.
    fn accepted_within(&self, now: Instant, period: Duration) -> usize {
        self.log
            .iter()
            .filter(|s| {
                s.state == SlotState::Accepted && now.saturating_duration_since(s.at) < period
            })
            .count()
    }

    fn learn(&mut self, now: Instant) -> f64 {
        let accepted = self.accepted_within(now, self.kind.period()).max(1) as f64;
        self.learned = Some(Learned {
            limit: accepted,
            at: now,
        });
        accepted
    }

    fn set_stated(&mut self, stated: Option<(u32, LimitSource)>) {
        self.stated = stated;
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
    paused_until: Option<Instant>,
    /// Requests granted and not given back.
    pub(crate) sent: u64,
    /// 429 answers seen.
    pub(crate) throttled: u64,
    /// Callers waiting for a slot right now.
    pub(crate) queued: usize,
    /// Total time callers spent waiting for a slot.
    pub(crate) total_wait: Duration,
}

/// What [`BucketState::complete`] learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Learning {
    /// Nothing new.
    Nothing,
    /// A 429 tripped `window`; the new estimate of its limit.
    Throttled {
        /// The window that tripped.
        window: WindowKind,
        /// Requests the server accepted in that window before refusing.
        estimate: f64,
    },
}

impl BucketState {
    /// A fresh bucket with these stated limits (unknown windows are adaptive).
    pub(crate) fn new(limits: Limits, source: LimitSource) -> Self {
        BucketState {
            second: Window::new(WindowKind::Second, limits.per_second.map(|l| (l, source))),
            minute: Window::new(WindowKind::Minute, limits.per_minute.map(|l| (l, source))),
            paused_until: None,
            sent: 0,
            throttled: 0,
            queued: 0,
            total_wait: Duration::ZERO,
        }
    }

    fn window_mut(&mut self, kind: WindowKind) -> &mut Window {
        match kind {
            WindowKind::Second => &mut self.second,
            WindowKind::Minute => &mut self.minute,
        }
    }

    /// The window of `kind`.
    pub(crate) fn window(&self, kind: WindowKind) -> &Window {
        match kind {
            WindowKind::Second => &self.second,
            WindowKind::Minute => &self.minute,
        }
    }

    /// Reserves a slot for request `id` at `now`, or says when to try again.
    pub(crate) fn try_grant(
        &mut self,
        now: Instant,
        id: u64,
        cfg: &LimiterConfig,
    ) -> Result<(), Instant> {
        let mut wait = self.paused_until.filter(|p| *p > now);
        for kind in [WindowKind::Second, WindowKind::Minute] {
            if let Some(at) = self.window_mut(kind).next_free(now, cfg) {
                wait = Some(wait.map_or(at, |w| w.max(at)));
            }
        }
        if let Some(at) = wait {
            return Err(at);
        }
        self.second.grant(now, id, cfg);
        self.minute.grant(now, id, cfg);
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

    /// Records how request `id` ended and learns from a 429.
    pub(crate) fn complete(
        &mut self,
        now: Instant,
        id: u64,
        feedback: &Feedback,
        cfg: &LimiterConfig,
    ) -> Learning {
        if !feedback.throttled {
            let state = if feedback.status.is_some() {
                SlotState::Accepted
            } else {
                SlotState::Unknown
            };
            self.second.mark(id, state);
            self.minute.mark(id, state);
            return Learning::Nothing;
        }
        self.throttled += 1;
        // The server did not act on it: the slot does not count.
        self.second.release(now, id, cfg);
        self.minute.release(now, id, cfg);
        let kind =
            WindowKind::from_period_secs(feedback.rate_limit.as_ref().and_then(|r| r.period_secs));
        let estimate = self.window_mut(kind).learn(now);
        if self.window(kind).accepted_within(now, kind.period()) == 0 {
            // Nothing of ours was accepted: someone else filled the window.
            // Pause for the whole window.
            self.paused_until = Some(now + kind.period());
        }
        Learning::Throttled {
            window: kind,
            estimate,
        }
    }

    /// Replaces the stated limits (user configuration or discovery).
    pub(crate) fn set_limits(&mut self, limits: Limits, source: LimitSource) {
        self.second
            .set_stated(limits.per_second.map(|l| (l, source)));
        self.minute
            .set_stated(limits.per_minute.map(|l| (l, source)));
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

/// How a learned estimate probes upward after a 429: it holds for `hold`,
/// then grows by `gain × s²` of itself, `s` counted in `step`s (a convex,
/// CUBIC-like ramp: slow near the old limit, faster the longer no 429 comes).
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// Time after a 429 before probing starts (default 45 s).
    pub hold: Duration,
    /// Time unit of the ramp (default 30 s).
    pub step: Duration,
    /// Growth per squared step (default 0.02: +2 % after one step, +8 % after two, +18 % after three).
    pub gain: f64,
}

impl Default for Probe {
    fn default() -> Self {
        Probe {
            hold: Duration::from_secs(45),
            step: Duration::from_secs(30),
            gain: 0.02,
        }
    }
}

impl Probe {
    /// The estimate `elapsed` after learning `limit`.
    pub fn grow(&self, limit: f64, elapsed: Duration) -> f64 {
        let Some(ramp) = elapsed.checked_sub(self.hold) else {
            return limit;
        };
        let s = ramp.as_secs_f64() / self.step.as_secs_f64().max(1e-3);
        limit * (1.0 + self.gain * s * s).min(100.0)
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
            }),
            throttled: true,
        }
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

    #[test]
    fn unknown_limits_never_wait() {
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let now = Instant::now();
        for id in 0..1000 {
            assert_eq!(b.try_grant(now, id, &cfg()), Ok(()));
        }
        assert_eq!(b.sent, 1000);
    }

    #[test]
    fn stated_limit_is_never_exceeded_in_any_window_and_paced() {
        let limits = Limits::per_minute(600).and_per_second(10);
        let mut b = BucketState::new(limits, LimitSource::Configured);
        let t0 = Instant::now();
        let times = drain(&mut b, t0, t0 + Duration::from_secs(600), &ok());
        assert!(max_in_any(&times, Duration::from_secs(60)) <= 600);
        assert!(max_in_any(&times, Duration::from_secs(1)) <= 10);
        // 98 % of 6000 over ten minutes, give or take the last slot.
        let n = times.len();
        assert!((5870..=5900).contains(&n), "{n}");
    }

    #[test]
    fn minute_limit_alone_is_spread_not_burst() {
        let mut b = BucketState::new(Limits::per_minute(120), LimitSource::Configured);
        let t0 = Instant::now();
        let times = drain(&mut b, t0, t0 + Duration::from_secs(10), &ok());
        // 120 / 61.2 s ≈ 1.96/s with a burst of 2: about 20 in 10 s, not 120,
        // and never more than burst + 1 within a second.
        assert!((18..=22).contains(&times.len()), "{}", times.len());
        assert!(max_in_any(&times, Duration::from_secs(1)) <= 3);
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
        let now = now + Duration::from_millis(400);
        b.try_grant(now, 74, &cfg).unwrap_or(());
        let learned = b.complete(now, 74, &throttled(60), &cfg);
        assert_eq!(
            learned,
            Learning::Throttled {
                window: WindowKind::Minute,
                estimate: 74.0
            }
        );
        assert_eq!(b.throttled, 1);
        let (_, minute) = b.effective(now, &cfg);
        let minute = minute.unwrap();
        assert_eq!(minute.cap, 74);
        assert_eq!(minute.window, Duration::from_secs(60));
        assert_eq!(minute.source, LimitSource::Learned);
        // Room again only once enough of the accepted requests left the stretched window.
        let next = b.try_grant(now, 75, &cfg).unwrap_err();
        assert!(next > now + Duration::from_secs(20), "{:?}", next - now);
    }

    #[test]
    fn throttle_with_nothing_accepted_pauses_the_whole_window() {
        let cfg = cfg();
        let mut b = BucketState::new(Limits::default(), LimitSource::Configured);
        let now = Instant::now();
        b.try_grant(now, 1, &cfg).unwrap();
        b.complete(now, 1, &throttled(1), &cfg);
        assert_eq!(b.try_grant(now, 2, &cfg), Err(now + Duration::from_secs(1)));
        assert_eq!(b.try_grant(now + Duration::from_secs(1), 2, &cfg), Ok(()));
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
    fn probe_holds_then_ramps_up_convexly() {
        let p = Probe::default();
        assert_eq!(p.grow(100.0, Duration::from_secs(44)), 100.0);
        assert!((p.grow(100.0, Duration::from_secs(75)) - 102.0).abs() < 1e-9);
        assert!((p.grow(100.0, Duration::from_secs(105)) - 108.0).abs() < 1e-9);
        assert!((p.grow(100.0, Duration::from_secs(255)) - 198.0).abs() < 1e-9);
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
                limit: 100.0,
                at: now,
            });
            let e = w.effective(now + Duration::from_secs(255), &cfg).unwrap();
            assert!(
                (e.estimate - expect).abs() < 1e-9,
                "{source:?}: {}",
                e.estimate
            );
        }
    }
}
