//! Fault injection: what to answer instead of (or around) the normal answer,
//! and which requests it applies to ([`Server::inject`](crate::Server::inject)),
//! or a seeded random share of all requests ([`RandomFaults`]).

use std::collections::HashMap;
use std::time::Duration;

use http::Method;

/// A failure to inject instead of (or around) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with an Opsgenie JSON error body; nothing is applied.
    Status(u16),
    /// Answer the CDN's HTML `503 Service Unavailable` page (no rate-limit headers).
    Html503,
    /// Close the connection without an answer; nothing is applied.
    Drop,
    /// Apply the request, then close the connection without an answer (a
    /// create whose answer was lost). The same as `AfterCommit(Box::new(Fault::Drop))`.
    DropAfterCommit,
    /// Wait this long once the request is admitted (it counts against the
    /// rate limit on arrival), then handle it and answer normally.
    Delay(Duration),
    /// Apply the request, then answer with the inner fault instead of the
    /// normal answer: a write that took effect although the client sees a
    /// 5xx, the HTML 503 page or a dropped connection.
    ///
    /// ```
    /// use opsgenie_users_sim::Fault;
    /// let lost = Fault::AfterCommit(Box::new(Fault::Status(503)));
    /// assert!(lost.applies());
    /// assert!(!Fault::Status(503).applies());
    /// ```
    AfterCommit(Box<Fault>),
}

impl Fault {
    /// True when the server applies the request despite the fault (a delay
    /// answers normally; an after-commit fault hides an applied request).
    pub fn applies(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_) | Fault::DropAfterCommit | Fault::AfterCommit(_)
        )
    }

    /// True when the client gets no answer (the connection is closed).
    pub fn drops(&self) -> bool {
        match self {
            Fault::Drop | Fault::DropAfterCommit => true,
            Fault::AfterCommit(inner) => inner.drops(),
            _ => false,
        }
    }
}

/// When to inject a [`Fault`]: matching requests, how many times.
#[derive(Debug, Clone)]
pub struct FaultRule {
    pub(crate) fault: Fault,
    method: Option<Method>,
    path_prefix: Option<String>,
    pub(crate) remaining: Option<u32>,
}

impl FaultRule {
    /// Injects `fault` into every request until [`times`](Self::times) says otherwise.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            method: None,
            path_prefix: None,
            remaining: None,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }

    /// Only requests whose (still encoded) path starts with `prefix`, e.g. `/v2/users`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    pub(crate) fn matches(&self, m: &Method, path: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_ref().is_none_or(|x| x == m)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

/// A seeded random share of all requests faulted, for runs that must meet
/// an unreliable server ([`ServerBuilder::random_faults`](crate::ServerBuilder::random_faults)).
///
/// Each faulted request gets one of, with equal chance: a JSON 500, 502 or
/// 503, the HTML 503 page, a dropped connection, or a delay (default 2 to
/// 5 s) before the normal answer. Of the faulted writes (any method but
/// GET and HEAD) other than delays, a share (default one half) is applied
/// before the fault ([`Fault::AfterCommit`]); the others are not applied.
///
/// The draw is a function of the seed and the request itself (method,
/// path, query, body, and how many identical requests came before), not of
/// arrival order: the same seed faults the same requests however
/// concurrent the client is. Rules added with
/// [`Server::inject`](crate::Server::inject) take precedence.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users_sim::RandomFaults;
/// let f = RandomFaults::new(0.05, 1).delay(Duration::from_millis(20), Duration::from_millis(50));
/// assert_eq!(f.rate(), 0.05);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    rate: f64,
    seed: u64,
    applied: f64,
    delay: (Duration, Duration),
}

impl RandomFaults {
    /// Faults a `rate` share (0 to 1) of the requests, drawn from `seed`.
    pub fn new(rate: f64, seed: u64) -> Self {
        RandomFaults {
            rate: rate.clamp(0.0, 1.0),
            seed,
            applied: 0.5,
            delay: (Duration::from_secs(2), Duration::from_secs(5)),
        }
    }

    /// The share (0 to 1) of faulted writes applied before the fault (default 0.5).
    pub fn applied_share(mut self, share: f64) -> Self {
        self.applied = share.clamp(0.0, 1.0);
        self
    }

    /// The range a delay is drawn from (default 2 to 5 s).
    pub fn delay(mut self, min: Duration, max: Duration) -> Self {
        self.delay = (min, max.max(min));
        self
    }

    /// The share of requests faulted.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The fault for a request whose content hashes to `key`, seen
    /// `occurrence` times before.
    fn pick(&self, key: u64, occurrence: u64, write: bool) -> Option<Fault> {
        let mut rng = fastrand::Rng::with_seed(
            key ^ self.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ occurrence.wrapping_mul(0xc2b2_ae3d_27d4_eb4f),
        );
        if rng.f64() >= self.rate {
            return None;
        }
        let fault = match rng.u8(0..6) {
            0 => Fault::Status(500),
            1 => Fault::Status(502),
            2 => Fault::Status(503),
            3 => Fault::Html503,
            4 => Fault::Drop,
            _ => {
                let (min, max) = self.delay;
                let span = (max - min).as_millis() as u64;
                return Some(Fault::Delay(min + Duration::from_millis(rng.u64(0..=span))));
            }
        };
        if write && rng.f64() < self.applied {
            Some(Fault::AfterCommit(Box::new(fault)))
        } else {
            Some(fault)
        }
    }
}

/// [`RandomFaults`] with the count of identical requests seen so far.
#[derive(Debug)]
pub(crate) struct RandomFaultState {
    config: RandomFaults,
    seen: HashMap<u64, u64>,
}

impl RandomFaultState {
    pub(crate) fn new(config: RandomFaults) -> Self {
        RandomFaultState {
            config,
            seen: HashMap::new(),
        }
    }

    /// The fault (if any) for this request.
    pub(crate) fn draw(
        &mut self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Option<Fault> {
        let key = fnv1a(&[
            method.as_str().as_bytes(),
            path.as_bytes(),
            query.unwrap_or("").as_bytes(),
            body,
        ]);
        let n = self.seen.entry(key).or_insert(0);
        let occurrence = *n;
        *n += 1;
        let write = !matches!(*method, Method::GET | Method::HEAD);
        self.config.pick(key, occurrence, write)
    }
}

/// FNV-1a over the parts, each followed by a separator: a hash that is the
/// same on every run and platform.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_faults_the_same_requests() {
        let draws = |seed| {
            let mut st = RandomFaultState::new(RandomFaults::new(0.3, seed));
            (0..200)
                .map(|i| {
                    let body = format!("{{\"username\":\"u{i}@x.com\"}}");
                    st.draw(&Method::POST, "/v2/users", None, body.as_bytes())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
        let faulted = draws(1).iter().filter(|f| f.is_some()).count();
        assert!((30..=90).contains(&faulted), "{faulted} of 200 at 30 %");
    }

    #[test]
    fn every_kind_occurs_and_only_writes_are_applied() {
        let mut st = RandomFaultState::new(
            RandomFaults::new(1.0, 7).delay(Duration::from_secs(2), Duration::from_secs(5)),
        );
        let mut kinds = std::collections::BTreeSet::new();
        let (mut applied, mut writes) = (0, 0);
        for i in 0..600 {
            let path = format!("/v2/users/u{i}");
            let get = st.draw(&Method::GET, &path, None, b"").unwrap();
            assert!(!matches!(get, Fault::AfterCommit(_)), "{get:?}");
            if let Fault::Delay(d) = get {
                assert!((2000..=5000).contains(&d.as_millis()), "{d:?}");
            }
            let post = st.draw(&Method::POST, &path, None, b"{}").unwrap();
            let inner = match &post {
                Fault::AfterCommit(inner) => {
                    applied += 1;
                    (**inner).clone()
                }
                other => other.clone(),
            };
            if !matches!(inner, Fault::Delay(_)) {
                writes += 1;
            }
            kinds.insert(match inner {
                Fault::Status(s) => format!("{s}"),
                Fault::Delay(_) => "delay".into(),
                other => format!("{other:?}"),
            });
        }
        assert_eq!(kinds.len(), 6, "{kinds:?}");
        let share = f64::from(applied) / f64::from(writes);
        assert!((0.4..0.6).contains(&share), "{share}");
    }
}
