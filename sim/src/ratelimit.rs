//! A simulated rate-limited Opsgenie server, as a [`Transport`], and a load
//! driver: run the real client against them under tokio's paused clock to
//! see how the scheduler behaves over simulated minutes in milliseconds.
//! The server throttles with the same rolling-window model as the HTTP
//! simulator ([`Server`](crate::Server)).
//!
//! ```
//! use opsgenie_users::{ApiRequest, Client, Domain};
//! use opsgenie_users::ratelimit::Limits;
//! use opsgenie_users_sim::ratelimit::{run_load, RateLimitedServer};
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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use opsgenie_users::ratelimit::{AdaptiveLimiter, BucketStats, LimiterConfig, Limits, RateLimiter};
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{ApiRequest, Client, Domain};
use tokio::time::Instant;

use crate::window::RollingWindow;

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
    /// What `GET /v2/request-limits/` advertises (`None`: 404).
    advertised: Mutex<Option<Limits>>,
}

struct ServerState {
    window: RollingWindow,
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
                    window: RollingWindow::new(limits),
                    accepted: Vec::new(),
                    throttled: Vec::new(),
                }),
                latency,
                domain: Domain::Configuration,
                requests: AtomicU64::new(0),
                advertised: Mutex::new(None),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ServerState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers `GET /v2/request-limits/` with `limits` for the Configuration
    /// domain (right or wrong); `None` (the default) answers 404. The
    /// request counts against the window like any other.
    pub fn advertise(&self, limits: Option<Limits>) {
        *self
            .inner
            .advertised
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = limits;
    }

    /// Changes the enforced limits from now on.
    pub fn set_limits(&self, limits: Limits) {
        self.state().window.set_limits(limits);
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

    /// Another consumer of the same quota sends `n` requests now (they fill
    /// the window like ours, refused ones do not count); returns how many
    /// were accepted. They are not in [`accepted`](Self::accepted) nor
    /// [`throttled`](Self::throttled).
    pub fn other_consumer(&self, n: usize) -> usize {
        let now = Instant::now();
        let mut st = self.state();
        (0..n).filter(|_| st.window.admit(now).is_ok()).count()
    }

    /// Arrival times of the accepted requests.
    pub fn accepted_times(&self) -> Vec<Instant> {
        self.state().accepted.clone()
    }

    /// Refused requests' arrival times.
    pub fn throttled_times(&self) -> Vec<Instant> {
        self.state().throttled.clone()
    }

    /// Decides on a request arriving at `now`: `None` accepts, `Some(period)` refuses.
    fn admit(&self, now: Instant) -> Option<u64> {
        let mut st = self.state();
        match st.window.admit(now) {
            Ok(()) => {
                st.accepted.push(now);
                None
            }
            Err(period) => {
                st.throttled.push(now);
                Some(period)
            }
        }
    }
}

#[async_trait]
impl Transport for RateLimitedServer {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        tokio::time::sleep(self.inner.latency).await;
        let n = self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let refused = self.admit(Instant::now());
        tokio::time::sleep(self.inner.latency).await;
        let b = http::Response::builder().header("content-type", "application/json");
        let limits_asked =
            req.method() == http::Method::GET && req.uri().path().ends_with("/v2/request-limits/");
        let advertised = *self
            .inner
            .advertised
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let resp = match refused {
            None if limits_asked => match advertised {
                Some(l) => {
                    let mut listed = Vec::new();
                    if let Some(pm) = l.per_minute {
                        listed.push(serde_json::json!({"limit": pm, "periodInSeconds": 60}));
                    }
                    if let Some(ps) = l.per_second {
                        listed.push(serde_json::json!({"limit": ps, "periodInSeconds": 1}));
                    }
                    let body = serde_json::json!({
                        "data": {"rateLimits": [{"domain": "configuration", "limits": listed}]},
                        "took": 0.001, "requestId": format!("sim-{n}"),
                    });
                    b.status(200)
                        .header("x-ratelimit-state", "OK")
                        .body(Bytes::from(body.to_string()))
                }
                None => b.status(404).header("x-ratelimit-state", "OK").body(Bytes::from(
                    format!(r#"{{"message":"No handler found","took":0.0,"requestId":"sim-{n}"}}"#),
                )),
            },
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

/// What [`run_load`] or [`run_batch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Calls that returned a success.
    pub succeeded: u64,
    /// Calls that returned an error (including rate-limit errors after the retries).
    pub failed: u64,
    /// Calls still waiting or in flight at the deadline (dropped).
    pub cancelled: u64,
    /// Time from the first call to the last answer (simulated under a paused clock).
    pub elapsed: Duration,
}

/// Runs `workers` tasks that send `make(i)` back to back through `client`
/// until `until`; calls still running then are dropped (cancelled).
pub async fn run_load<F>(client: &Client, workers: usize, until: Instant, make: F) -> LoadReport
where
    F: Fn(u64) -> ApiRequest + Send + Sync + 'static,
{
    drive(client, workers, u64::MAX, Some(until), make).await
}

/// Sends `make(0)` .. `make(n - 1)` through `client` from `workers` tasks and
/// waits for all of them.
pub async fn run_batch<F>(client: &Client, workers: usize, n: u64, make: F) -> LoadReport
where
    F: Fn(u64) -> ApiRequest + Send + Sync + 'static,
{
    drive(client, workers, n, None, make).await
}

/// `workers` tasks sending `make(0..n)` until done or `until`.
async fn drive<F>(
    client: &Client,
    workers: usize,
    n: u64,
    until: Option<Instant>,
    make: F,
) -> LoadReport
where
    F: Fn(u64) -> ApiRequest + Send + Sync + 'static,
{
    let start = Instant::now();
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
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || until.is_some_and(|u| Instant::now() >= u) {
                    return r;
                }
                let call = client.send(make(i));
                let result = match until {
                    Some(u) => tokio::time::timeout_at(u, call).await,
                    None => Ok(call.await),
                };
                match result {
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
    total.elapsed = start.elapsed();
    total
}

/// A bulk-create simulation: the real [`Client`] with an
/// [`AdaptiveLimiter`] against a [`RateLimitedServer`].
/// Run it under a paused tokio clock (`#[tokio::test(start_paused = true)]`
/// or `Builder::start_paused`) to simulate minutes in milliseconds.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::ratelimit::Limits;
/// use opsgenie_users_sim::ratelimit::Scenario;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// // The user believes 120/min, the server enforces 74/min.
/// let report = Scenario::new(Limits::per_minute(74))
///     .configured(Limits::per_minute(120))
///     .duration(Duration::from_secs(300))
///     .run()
///     .await;
/// assert!(report.throttled <= 10);
/// println!("{:?}", report.per_minute);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Scenario {
    server: Limits,
    configured: Option<Limits>,
    change: Option<(Duration, Limits)>,
    advertised: Option<Limits>,
    others: Vec<(Duration, usize)>,
    other_loads: Vec<(Duration, Duration, f64)>,
    workers: usize,
    duration: Duration,
    latency: Duration,
}

/// What a [`Scenario`] measured.
#[derive(Clone)]
pub struct ScenarioReport {
    /// Requests the server accepted in each whole minute.
    pub per_minute: Vec<usize>,
    /// Requests the server accepted in total.
    pub accepted: usize,
    /// 429 answers in total.
    pub throttled: usize,
    /// What the callers saw.
    pub load: LoadReport,
    /// The limiter's statistics at the end.
    pub stats: Vec<BucketStats>,
    server: RateLimitedServer,
    start: Instant,
}

impl std::fmt::Debug for ScenarioReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScenarioReport")
            .field("per_minute", &self.per_minute)
            .field("accepted", &self.accepted)
            .field("throttled", &self.throttled)
            .field("load", &self.load)
            .finish_non_exhaustive()
    }
}

impl Scenario {
    /// A server enforcing `server` limits; the client knows nothing; 16
    /// workers for 10 minutes, 40 ms latency each way.
    pub fn new(server: Limits) -> Self {
        Scenario {
            server,
            configured: None,
            change: None,
            advertised: None,
            others: Vec::new(),
            other_loads: Vec::new(),
            workers: 16,
            duration: Duration::from_secs(600),
            latency: Duration::from_millis(40),
        }
    }

    /// The limits the client is configured with (right or wrong).
    pub fn configured(mut self, limits: Limits) -> Self {
        self.configured = Some(limits);
        self
    }

    /// The server advertises `limits` in `GET /v2/request-limits/` (right or
    /// wrong) and the client reads them before its first call, as by
    /// default. Without this the client skips that read.
    pub fn advertised(mut self, limits: Limits) -> Self {
        self.advertised = Some(limits);
        self
    }

    /// The server switches to `limits` at `at` after the start.
    pub fn change_at(mut self, at: Duration, limits: Limits) -> Self {
        self.change = Some((at, limits));
        self
    }

    /// Another consumer of the same quota sends `n` requests at once `at`
    /// after the start (at `Duration::ZERO`: a window the previous run of a
    /// job left full).
    pub fn other_consumer_at(mut self, at: Duration, n: usize) -> Self {
        self.others.push((at, n));
        self
    }

    /// Another consumer of the same quota sends `per_second` requests a
    /// second, evenly spaced, from `from` to `until` after the start.
    pub fn other_load(mut self, from: Duration, until: Duration, per_second: f64) -> Self {
        if per_second.is_finite() && per_second > 0.0 {
            self.other_loads.push((from, until, per_second));
        }
        self
    }

    /// Concurrent callers.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// How long the load runs.
    pub fn duration(mut self, d: Duration) -> Self {
        self.duration = d;
        self
    }

    /// One-way network latency.
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }

    fn client(&self, server: &RateLimitedServer) -> (Client, Arc<AdaptiveLimiter>) {
        let mut cfg = LimiterConfig::default();
        if let Some(l) = self.configured {
            cfg = cfg.limit(Domain::Configuration, l);
        }
        let limiter = Arc::new(AdaptiveLimiter::new(cfg));
        server.advertise(self.advertised);
        let client = Client::builder()
            .api_key("simulated-key")
            .base_url("http://127.0.0.1:9")
            .transport(server.clone())
            .rate_limiter(limiter.clone())
            .discover_rate_limits(self.advertised.is_some())
            .build()
            .unwrap_or_else(|e| panic!("static client configuration: {e}"));
        (client, limiter)
    }

    /// Runs user creates (`POST /v2/users`) until the duration is over.
    pub async fn run(&self) -> ScenarioReport {
        let server = RateLimitedServer::with_latency(self.server, self.latency);
        let (client, limiter) = self.client(&server);
        let start = Instant::now();
        self.schedule(&server, start);
        let load = run_load(&client, self.workers, start + self.duration, create_user).await;
        let minutes = (self.duration.as_secs() / 60) as u32;
        let per_minute = (0..minutes)
            .map(|m| {
                let from = start + Duration::from_secs(60 * u64::from(m));
                server.accepted_between(from, from + Duration::from_secs(60))
            })
            .collect();
        ScenarioReport {
            per_minute,
            accepted: server.accepted(),
            throttled: server.throttled(),
            load,
            stats: limiter.stats(),
            server,
            start,
        }
    }

    /// Starts the limit change and the other consumers.
    fn schedule(&self, server: &RateLimitedServer, start: Instant) {
        if let Some((at, limits)) = self.change {
            let s = server.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start + at).await;
                s.set_limits(limits);
            });
        }
        for &(from, until, rate) in &self.other_loads {
            let s = server.clone();
            tokio::spawn(async move {
                let every = Duration::from_secs_f64(1.0 / rate);
                let mut next = start + from;
                while next < start + until {
                    tokio::time::sleep_until(next).await;
                    s.other_consumer(1);
                    next += every;
                }
            });
        }
        for &(at, n) in &self.others {
            if at.is_zero() {
                server.other_consumer(n);
                continue;
            }
            let s = server.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(start + at).await;
                s.other_consumer(n);
            });
        }
    }

    /// Sends `n` user creates and waits for all of them.
    pub async fn run_batch(&self, n: u64) -> (LoadReport, RateLimitedServer) {
        let server = RateLimitedServer::with_latency(self.server, self.latency);
        let (client, _) = self.client(&server);
        self.schedule(&server, Instant::now());
        let report = run_batch(&client, self.workers, n, create_user).await;
        (report, server)
    }
}

/// The request the scenarios send: a user create.
pub fn create_user(i: u64) -> ApiRequest {
    ApiRequest::post(Domain::Configuration)
        .path("v2/users")
        .json(&serde_json::json!({
            "username": format!("user{i}@example.com"),
            "fullName": format!("User {i}"),
        }))
}

impl ScenarioReport {
    /// When each accepted request arrived, as offsets from the start, in order.
    pub fn accepted_offsets(&self) -> Vec<Duration> {
        let st = self.server.state();
        st.accepted.iter().map(|t| *t - self.start).collect()
    }

    /// When each refused (429) request arrived, as offsets from the start, in order.
    pub fn throttled_offsets(&self) -> Vec<Duration> {
        let st = self.server.state();
        st.throttled.iter().map(|t| *t - self.start).collect()
    }

    /// Requests accepted with arrival between `from` and `to` after the start.
    pub fn accepted_in(&self, from: Duration, to: Duration) -> usize {
        self.server
            .accepted_between(self.start + from, self.start + to)
    }

    /// When each 429 was answered, as offsets from the start.
    pub fn throttled_at(&self) -> Vec<Duration> {
        self.server
            .throttled_times()
            .into_iter()
            .map(|t| t.saturating_duration_since(self.start))
            .collect()
    }

    /// Requests accepted in the rolling minute starting `offset` after the start.
    pub fn minute_from(&self, offset: Duration) -> usize {
        let from = self.start + offset;
        self.server
            .accepted_between(from, from + Duration::from_secs(60))
    }

    /// The smallest rolling minute starting between `from` and `to` (10 s steps).
    pub fn min_rolling_minute(&self, from: Duration, to: Duration) -> usize {
        let mut t = from;
        let mut min = usize::MAX;
        while t <= to {
            min = min.min(self.minute_from(t));
            t += Duration::from_secs(10);
        }
        min
    }

    /// The earliest offset (10 s steps, up to `to`) from which every rolling
    /// minute starting before `to` accepts at least `n` requests.
    pub fn sustained_from(&self, n: usize, to: Duration) -> Option<Duration> {
        let mut t = Duration::ZERO;
        while t <= to {
            if self.min_rolling_minute(t, to) >= n {
                return Some(t);
            }
            t += Duration::from_secs(10);
        }
        None
    }

    /// The first offset (5 s steps from `from`) whose rolling minute accepts
    /// at least `n` requests.
    pub fn first_minute_with(&self, n: usize, from: Duration, to: Duration) -> Option<Duration> {
        let mut t = from;
        while t <= to {
            if self.minute_from(t) >= n {
                return Some(t);
            }
            t += Duration::from_secs(5);
        }
        None
    }
}
