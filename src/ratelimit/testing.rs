//! A simulated rate-limited Opsgenie server, as a [`Transport`], and a load
//! driver: run the real client against them under tokio's paused clock to
//! see how the scheduler behaves over simulated minutes in milliseconds.
//!
//! ```
//! use opsgenie_users::{ApiRequest, Client, Domain, RetryPolicy};
//! use opsgenie_users::ratelimit::Limits;
//! use opsgenie_users::ratelimit::testing::{run_load, RateLimitedServer};
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
//! let server = RateLimitedServer::new(Limits::per_minute(74));
//! let client = Client::builder()
//!     .api_key("sim")
//!     .base_url("http://127.0.0.1:1")
//!     .transport(server.clone())
//!     .build()
//!     .unwrap();
//! let start = tokio::time::Instant::now();
//! let report = run_load(&client, 4, start + Duration::from_secs(120), |i| {
//!     ApiRequest::post(Domain::Configuration)
//!         .path("v2/users")
//!         .json(&serde_json::json!({"username": format!("u{i}@example.com"), "fullName": "U"}))
//! })
//! .await;
//! assert!(report.succeeded > 100);
//! println!("accepted {} throttled {}", server.accepted(), server.throttled());
//! # }
//! ```

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::time::Instant;

use super::{Domain, Limits};
use crate::transport::{Transport, TransportError};
use crate::{ApiRequest, Client};

/// A server enforcing per-minute and per-second rolling windows the way
/// Opsgenie does: a refused request answers 429 with `X-RateLimit-State:
/// THROTTLED`, `X-RateLimit-Reason` and `X-RateLimit-Period-In-Sec`, and does
/// not count; every other answer is `201` with `X-RateLimit-State: OK`.
/// Clones share state; limits can be changed while it runs.
#[derive(Clone)]
pub struct RateLimitedServer {
    inner: Arc<ServerInner>,
}

struct ServerInner {
    state: Mutex<ServerState>,
    latency: Duration,
    domain: Domain,
    requests: AtomicU64,
}

struct ServerState {
    limits: Limits,
    window: VecDeque<Instant>,
    accepted: Vec<Instant>,
    throttled: Vec<Instant>,
}

impl RateLimitedServer {
    /// A server with `limits` (unknown windows are unlimited), 40 ms latency
    /// each way, throttling in [`Domain::Configuration`].
    pub fn new(limits: Limits) -> Self {
        Self::with_latency(limits, Duration::from_millis(40))
    }

    /// A server with `limits` and this one-way latency.
    pub fn with_latency(limits: Limits, latency: Duration) -> Self {
        RateLimitedServer {
            inner: Arc::new(ServerInner {
                state: Mutex::new(ServerState {
                    limits,
                    window: VecDeque::new(),
                    accepted: Vec::new(),
                    throttled: Vec::new(),
                }),
                latency,
                domain: Domain::Configuration,
                requests: AtomicU64::new(0),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the enforced limits from now on.
    pub fn set_limits(&self, limits: Limits) {
        self.state().limits = limits;
    }

    /// Requests accepted so far.
    pub fn accepted(&self) -> usize {
        self.state().accepted.len()
    }

    /// Requests refused with 429 so far.
    pub fn throttled(&self) -> usize {
        self.state().throttled.len()
    }

    /// Requests accepted with arrival in `[from, to)`.
    pub fn accepted_between(&self, from: Instant, to: Instant) -> usize {
        self.state()
            .accepted
            .iter()
            .filter(|t| **t >= from && **t < to)
            .count()
    }

    /// Requests refused with arrival in `[from, to)`.
    pub fn throttled_between(&self, from: Instant, to: Instant) -> usize {
        self.state()
            .throttled
            .iter()
            .filter(|t| **t >= from && **t < to)
            .count()
    }

    /// Decides on a request arriving at `now`: `None` accepts, `Some(period)` refuses.
    fn admit(&self, now: Instant) -> Option<u64> {
        let mut st = self.state();
        while st
            .window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= Duration::from_secs(60))
        {
            st.window.pop_front();
        }
        let last_second = st
            .window
            .iter()
            .rev()
            .take_while(|t| now.saturating_duration_since(**t) < Duration::from_secs(1))
            .count();
        let refused = if st
            .limits
            .per_second
            .is_some_and(|l| last_second >= l as usize)
        {
            Some(1)
        } else if st
            .limits
            .per_minute
            .is_some_and(|l| st.window.len() >= l as usize)
        {
            Some(60)
        } else {
            None
        };
        match refused {
            Some(_) => st.throttled.push(now),
            None => {
                st.window.push_back(now);
                st.accepted.push(now);
            }
        }
        refused
    }
}

#[async_trait]
impl Transport for RateLimitedServer {
    async fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        tokio::time::sleep(self.inner.latency).await;
        let n = self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let refused = self.admit(Instant::now());
        tokio::time::sleep(self.inner.latency).await;
        let b = http::Response::builder().header("content-type", "application/json");
        let resp = match refused {
            None => b
                .status(201)
                .header("x-ratelimit-state", "OK")
                .body(Bytes::from(format!(
                    r#"{{"result":"Created","data":{{"id":"sim-{n}","name":"u{n}"}},"took":0.01,"requestId":"sim-{n}"}}"#
                ))),
            Some(period) => b
                .status(429)
                .header("x-ratelimit-state", "THROTTLED")
                .header("x-ratelimit-reason", self.inner.domain.as_str())
                .header("x-ratelimit-period-in-sec", period.to_string())
                .body(Bytes::from(format!(
                    r#"{{"message":"You are making too many requests! To avoid errors, we recommend you limit requests.","took":0.0,"requestId":"sim-{n}"}}"#
                ))),
        };
        Ok(resp.unwrap_or_default())
    }
}

/// What [`run_load`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Calls that returned a success.
    pub succeeded: u64,
    /// Calls that returned an error (including rate-limit errors after the retries).
    pub failed: u64,
    /// Calls still waiting or in flight at the deadline (dropped).
    pub cancelled: u64,
}

/// Runs `workers` tasks that send `make(i)` back to back through `client`
/// until `until`; calls still running then are dropped (cancelled).
pub async fn run_load<F>(client: &Client, workers: usize, until: Instant, make: F) -> LoadReport
where
    F: Fn(u64) -> ApiRequest + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let client = client.clone();
        let make = make.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = LoadReport::default();
            loop {
                if Instant::now() >= until {
                    return r;
                }
                let req = make(next.fetch_add(1, Ordering::Relaxed));
                match tokio::time::timeout_at(until, client.send(req)).await {
                    Ok(Ok(_)) => r.succeeded += 1,
                    Ok(Err(_)) => r.failed += 1,
                    Err(_) => {
                        r.cancelled += 1;
                        return r;
                    }
                }
            }
        }));
    }
    let mut total = LoadReport::default();
    for t in tasks {
        if let Ok(r) = t.await {
            total.succeeded += r.succeeded;
            total.failed += r.failed;
            total.cancelled += r.cancelled;
        }
    }
    total
}
