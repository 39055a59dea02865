//! The rolling-window rate model both servers of this crate enforce: the
//! HTTP simulator ([`Server`](crate::Server), per request domain) and the
//! in-process [`RateLimitedServer`](crate::ratelimit::RateLimitedServer).

use std::collections::VecDeque;
use std::time::Duration;

use opsgenie_users::ratelimit::Limits;
use tokio::time::Instant;

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

/// Opsgenie's throttling of one request domain: at most `per_second`
/// requests in any 1-second window and `per_minute` in any 60-second window
/// (a `None` window is unlimited). A refused request does not count.
#[derive(Debug, Clone)]
pub(crate) struct RollingWindow {
    limits: Limits,
    /// Arrival times of the accepted requests of the last minute, oldest first.
    hits: VecDeque<Instant>,
}

impl RollingWindow {
    pub(crate) fn new(limits: Limits) -> Self {
        RollingWindow {
            limits,
            hits: VecDeque::new(),
        }
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Enforces `limits` from now on; requests already accepted keep counting.
    pub(crate) fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Accepts a request arriving at `now` (it counts from then on), or
    /// refuses it with the period in seconds (1 or 60) of the full window,
    /// the value of `X-RateLimit-Period-In-Sec`. The per-second window is
    /// checked first.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .hits
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
        {
            self.hits.pop_front();
        }
        if let Some(per_second) = self.limits.per_second {
            let last_second = self
                .hits
                .iter()
                .rev()
                .take_while(|t| now.saturating_duration_since(**t) < SECOND)
                .count();
            if last_second >= per_second as usize {
                return Err(1);
            }
        }
        if let Some(per_minute) = self.limits.per_minute {
            if self.hits.len() >= per_minute as usize {
                return Err(60);
            }
        }
        self.hits.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_second_window_refuses_with_period_1_and_reopens_after_a_second() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(Limits::per_minute(100).and_per_second(2));
        assert_eq!(w.admit(t0), Ok(()));
        assert_eq!(w.admit(t0 + Duration::from_millis(10)), Ok(()));
        assert_eq!(w.admit(t0 + Duration::from_millis(20)), Err(1));
        // The first hit leaves the second at t0 + 1 s.
        assert_eq!(w.admit(t0 + Duration::from_millis(999)), Err(1));
        assert_eq!(w.admit(t0 + SECOND), Ok(()));
    }

    #[test]
    fn per_minute_window_refuses_with_period_60_and_refusals_do_not_count() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(Limits::per_minute(3));
        for i in 0..3 {
            assert_eq!(w.admit(t0 + Duration::from_secs(i)), Ok(()));
        }
        for i in 3..60 {
            assert_eq!(w.admit(t0 + Duration::from_secs(i)), Err(60));
        }
        // Refused requests took no slot: each accepted one frees its slot
        // exactly a minute after it arrived.
        assert_eq!(w.admit(t0 + MINUTE), Ok(()));
        assert_eq!(w.admit(t0 + MINUTE), Err(60));
        assert_eq!(w.admit(t0 + MINUTE + SECOND), Ok(()));
    }

    #[test]
    fn unknown_limits_accept_everything_and_new_limits_see_past_hits() {
        let t0 = Instant::now();
        let mut w = RollingWindow::new(Limits::unknown());
        for _ in 0..1000 {
            assert_eq!(w.admit(t0), Ok(()));
        }
        w.set_limits(Limits::per_minute(1000));
        assert_eq!(w.limits(), Limits::per_minute(1000));
        assert_eq!(w.admit(t0), Err(60));
        assert_eq!(w.admit(t0 + MINUTE), Ok(()));
    }
}
