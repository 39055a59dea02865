//! Rate limiting and retries through the real client path: paused-clock
//! simulations against a simulated rate-limited server, and attempt counting
//! against a mock server.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use httpmock::prelude::*;
use opsgenie_users::ratelimit::{
    AdaptiveLimiter, BucketKey, Feedback, LimitSource, LimiterConfig, Limits, RateLimiter,
};
use opsgenie_users::retry::Outcome;
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{ApiRequest, Client, Domain, Error, RetryPolicy};
use opsgenie_users_sim::ratelimit::Scenario;
use tokio::time::Instant;

const MIN: Duration = Duration::from_secs(60);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test(start_paused = true)]
async fn known_limit_no_throttle_and_at_least_97_percent_of_quota() {
    let limits = Limits::per_minute(600).and_per_second(10);
    let r = Scenario::new(limits).configured(limits).run().await;
    println!("known limit: {r:?}");
    assert_eq!(r.throttled, 0);
    assert_eq!(r.load.failed, 0);
    assert!(r.accepted as f64 >= 0.97 * 6000.0, "{}", r.accepted);
    assert_eq!(r.stats.len(), 1);
    assert_eq!(r.stats[0].throttled, 0);
    assert_eq!(r.stats[0].per_minute, Some(600.0));
}

#[tokio::test(start_paused = true)]
async fn thousand_creates_at_a_known_limit() {
    let limits = Limits::per_minute(600).and_per_second(10);
    let (r, server) = Scenario::new(limits)
        .configured(limits)
        .workers(8)
        .run_batch(1000)
        .await;
    let per_minute = r.succeeded as f64 / r.elapsed.as_secs_f64() * 60.0;
    println!("1000 creates: {r:?}, {per_minute:.1}/min");
    assert_eq!((r.succeeded, r.failed, server.throttled()), (1000, 0, 0));
    assert_eq!(server.accepted(), 1000);
    // The first 10 go at once (per-second burst); the rest at the paced rate.
    assert!(per_minute >= 0.97 * 600.0, "{per_minute}");
}

#[tokio::test(start_paused = true)]
async fn wrong_configured_limit_is_learned_quickly() {
    let r = Scenario::new(Limits::per_minute(74))
        .configured(Limits::per_minute(120))
        .run()
        .await;
    println!("configured 120, real 74: {r:?}");
    assert!(r.throttled <= 10, "{} throttles", r.throttled);
    // From 180 s on, every rolling minute gets >= 90 % of the real quota.
    let worst = r.min_rolling_minute(secs(180), secs(540));
    assert!(
        worst as f64 >= 0.9 * 74.0,
        "worst minute after 180 s: {worst}"
    );
    assert_eq!(r.load.failed, 0);
    assert_eq!(r.stats[0].throttled as usize, r.throttled);
}

#[tokio::test(start_paused = true)]
async fn rate_climbs_back_after_a_limit_increase() {
    let raise = secs(300);
    let r = Scenario::new(Limits::per_minute(74))
        .change_at(raise, Limits::per_minute(148))
        .duration(secs(720))
        .run()
        .await;
    // Within 5 minutes of the increase, a full minute at >= 90 % of the new limit.
    let reached = r.first_minute_with(134, raise, raise + secs(240));
    println!("74 -> 148 at 300 s: {r:?}, a minute at >= 90 % starts {reached:?} after start");
    assert!(reached.is_some());
    assert_eq!(r.load.failed, 0);
}

// ---- learning a per-second limit: alone, advertised wrong, shared ---------

/// Opsgenie's Configuration limits on the plans the issue measured.
fn live() -> Limits {
    Limits::per_minute(600).and_per_second(10)
}

/// 300 creates from 4 workers, 1 ms each way (a local server).
fn bulk(s: Scenario) -> Scenario {
    s.workers(4).latency(Duration::from_millis(1))
}

#[tokio::test(start_paused = true)]
async fn unknown_limits_300_creates_at_the_per_second_limit_with_two_429s() {
    let start = Instant::now();
    let (r, server) = bulk(Scenario::new(live())).run_batch(300).await;
    let thr: Vec<Duration> = server
        .throttled_times()
        .iter()
        .map(|t| *t - start)
        .collect();
    println!("unknown, 300 creates: {r:?}, 429s at {thr:?}");
    assert_eq!((r.succeeded, r.failed), (300, 0));
    // Slow start trips once, the unconfirmed estimate once more.
    assert!(server.throttled() <= 2, "{thr:?}");
    // From then on, 95 % of the limit: every 10 s after the first 5 s.
    for from in [5, 15] {
        let n = server.accepted_between(start + secs(from), start + secs(from + 10));
        assert!(n >= 94, "{n} accepted in [{from} s, {} s)", from + 10);
    }
}

#[tokio::test(start_paused = true)]
async fn advertised_limits_four_times_too_high_are_corrected_with_two_429s() {
    let start = Instant::now();
    let (r, server) =
        bulk(Scenario::new(live()).advertised(Limits::per_minute(2400).and_per_second(40)))
            .run_batch(300)
            .await;
    let thr: Vec<Duration> = server
        .throttled_times()
        .iter()
        .map(|t| *t - start)
        .collect();
    println!("advertised 4x, 300 creates: {r:?}, 429s at {thr:?}");
    assert_eq!((r.succeeded, r.failed), (300, 0));
    assert!(server.throttled() <= 2, "{thr:?}");
    for from in [5, 15] {
        let n = server.accepted_between(start + secs(from), start + secs(from + 10));
        assert!(n >= 94, "{n} accepted in [{from} s, {} s)", from + 10);
    }
}

#[tokio::test(start_paused = true)]
async fn advertised_right_limits_cost_no_429() {
    let (r, server) = bulk(Scenario::new(live()).advertised(live()))
        .run_batch(300)
        .await;
    assert_eq!((r.succeeded, server.throttled()), (300, 0));
}

/// The accepted requests in `[from, from + 10 s)` of a run.
fn ten_seconds_from(r: &opsgenie_users_sim::ratelimit::ScenarioReport, from: Duration) -> usize {
    r.accepted_in(from, from + secs(10))
}

#[tokio::test(start_paused = true)]
async fn a_window_left_full_by_a_previous_run_does_not_collapse_the_estimate() {
    // A restart: the interrupted run's last 8 requests are still in the
    // server's one-second window when this run starts.
    for advertised in [None, Some(live())] {
        let mut s = bulk(Scenario::new(live()))
            .other_consumer_at(Duration::ZERO, 8)
            .duration(secs(60));
        if let Some(l) = advertised {
            s = s.advertised(l);
        }
        let r = s.run().await;
        let thr = r.throttled_at();
        println!("restart (advertised {advertised:?}): {r:?}, 429s at {thr:?}");
        let first = thr[0];
        // At least 90 % of the real limit within 10 s of the 429, and kept.
        let n = ten_seconds_from(&r, first + secs(10));
        assert!(n >= 90, "{n} accepted in the 10 s from 10 s after the 429");
        assert!(r.throttled <= 4, "{thr:?}");
        // The whole minute: within 1/1.2 of the limit's pace (95 % of 600).
        assert!(r.accepted as f64 >= 570.0 / 1.2, "{}", r.accepted);
    }
}

#[tokio::test(start_paused = true)]
async fn another_consumer_costs_seconds_once_it_stops() {
    // Alone and settled at 10/s; from 20 s to 30 s another tool sends 6/s.
    let r = bulk(Scenario::new(live()))
        .other_load(secs(20), secs(30), 6.0)
        .duration(secs(60))
        .run()
        .await;
    let thr = r.throttled_at();
    println!("another consumer at 6/s from 20 s to 30 s: {r:?}, 429s at {thr:?}");
    // Sharing: we keep a share while it sends (the server takes 10 in all).
    assert!(r.accepted_in(secs(21), secs(30)) >= 25);
    // Once it stops, at least 90 % of the limit within 10 s, and kept.
    let n = r.accepted_in(secs(32), secs(42));
    assert!(n >= 90, "{n}");
    let n = r.accepted_in(secs(40), secs(50));
    assert!(n >= 93, "{n}");
    assert!(
        thr.iter().all(|t| *t < secs(32) || *t > secs(50)),
        "{thr:?}"
    );
}

// ---- the limiter on its own: FIFO, cancellation ---------------------------

fn key() -> BucketKey {
    BucketKey {
        credential: 1,
        base_url: "https://api.opsgenie.com/".into(),
        domain: Domain::Configuration,
    }
}

fn ok() -> Feedback {
    Feedback::from_outcome(&Outcome::Response {
        status: http::StatusCode::OK,
        rate_limit: None,
    })
}

#[tokio::test(start_paused = true)]
async fn waiters_are_served_in_fifo_order() {
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_second(1)),
    ));
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (l, o) = (limiter.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let p = l.acquire(&key()).await;
            o.lock().unwrap().push(i);
            p.complete(&ok());
        }));
        // Let task i enqueue before task i + 1 starts.
        tokio::task::yield_now().await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(limiter.stats()[0].sent, 6);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_waiter_leaves_the_queue_and_a_dropped_permit_frees_its_slot() {
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_minute(1)),
    ));
    let start = Instant::now();
    // A permit dropped without completing gives its slot back at once.
    drop(limiter.acquire(&key()).await);
    let first = limiter.acquire(&key()).await;
    assert_eq!(
        Instant::now(),
        start,
        "the dropped slot was reusable at once"
    );
    first.complete(&ok());
    // A waiter is queued, then cancelled.
    let l = limiter.clone();
    let waiter = tokio::spawn(async move { l.acquire(&key()).await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(limiter.stats()[0].queued, 1);
    waiter.abort();
    assert!(waiter.await.unwrap_err().is_cancelled());
    assert_eq!(limiter.stats()[0].queued, 0);
    assert_eq!(limiter.stats()[0].sent, 1);
    // The next caller gets the slot the cancelled one would have had.
    let next = limiter.acquire(&key()).await;
    let waited = Instant::now() - start;
    assert!(
        waited > MIN && waited < MIN + Duration::from_secs(2),
        "{waited:?}"
    );
    next.complete(&ok());
}

#[tokio::test(start_paused = true)]
async fn limits_change_at_runtime_and_wake_the_queue() {
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_minute(1)),
    ));
    let start = Instant::now();
    limiter.acquire(&key()).await.complete(&ok());
    let l = limiter.clone();
    let waiter = tokio::spawn(async move {
        l.acquire(&key()).await.complete(&ok());
        Instant::now()
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    limiter.set_limits(
        Domain::Configuration,
        Limits::per_second(10),
        LimitSource::Configured,
    );
    let granted = waiter.await.unwrap();
    assert_eq!(granted - start, Duration::from_secs(5));
    assert_eq!(limiter.stats()[0].per_second, Some(10.0));
}

#[tokio::test(start_paused = true)]
async fn buckets_of_one_domain_stay_apart_and_a_permit_may_outlive_its_limiter() {
    // The domain's first bucket is found by a fast path, the others in the
    // map: each credential and base URL keeps its own bucket whichever came first.
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_minute(1)),
    ));
    let other_key = BucketKey {
        credential: 2,
        ..key()
    };
    let other_url = BucketKey {
        base_url: "https://api.eu.opsgenie.com/".into(),
        ..key()
    };
    let start = Instant::now();
    for k in [key(), other_key.clone(), other_url.clone()] {
        limiter.acquire(&k).await.complete(&ok());
    }
    assert_eq!(Instant::now(), start, "three buckets, one request each");
    for k in [&key(), &other_key, &other_url] {
        assert!(limiter.try_acquire(k).is_none(), "{k:?} is full");
    }
    assert_eq!(limiter.stats().len(), 3);
    assert!(limiter.stats().iter().all(|s| s.sent == 1));
    // Full for a minute: the next of the first bucket waits for it.
    limiter.acquire(&key()).await.complete(&ok());
    assert!(Instant::now() - start >= Duration::from_secs(60));
    // A permit outliving its limiter completes or drops without effect.
    let later = Instant::now() + Duration::from_secs(61);
    tokio::time::sleep_until(later).await;
    let done = limiter.acquire(&other_key).await;
    let dropped = limiter.acquire(&other_url).await;
    drop(limiter);
    done.complete(&Feedback::from_outcome(&Outcome::Response {
        status: http::StatusCode::TOO_MANY_REQUESTS,
        rate_limit: None,
    }));
    drop(dropped);
}

/// Always answers 503 and counts requests.
#[derive(Clone, Default)]
struct Always503(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Transport for Always503 {
    async fn send(
        &self,
        _req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, TransportError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(http::Response::builder()
            .status(503)
            .header("content-type", "text/html")
            .body(bytes::Bytes::from_static(
                b"<html>Service Unavailable</html>",
            ))
            .unwrap())
    }
}

#[tokio::test(start_paused = true)]
async fn dropping_a_call_during_backoff_stops_its_retries() {
    let t = Always503::default();
    let client = Client::builder()
        .api_key("k")
        .transport(t.clone())
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_secs(10)))
        .build()
        .unwrap();
    let call = client.send(ApiRequest::get(Domain::Configuration).path("v2/users"));
    // The first attempt fails at once; the call then sleeps in its backoff.
    let start = Instant::now();
    assert!(tokio::time::timeout(Duration::from_millis(1), call)
        .await
        .is_err());
    assert_eq!(Instant::now() - start, Duration::from_millis(1));
    tokio::time::sleep(MIN * 10).await;
    assert_eq!(
        t.0.load(Ordering::SeqCst),
        1,
        "no retry after the call was dropped"
    );
}

// ---- retries against a mock server, counting attempts ----------------------

fn retrying_client(base: &str, policy: RetryPolicy) -> Client {
    Client::builder()
        .api_key(common::KEY)
        .base_url(base)
        .retry_policy(
            policy
                .base_delay(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(20)),
        )
        .request_timeout(Duration::from_secs(5))
        // These tests count attempts: no limits read first.
        .discover_rate_limits(false)
        .build()
        .unwrap()
}

/// A responder answering `first` to the first call and 2xx `then` afterwards.
fn first_then(
    first: u16,
    then: u16,
    first_headers: &'static [(&'static str, &'static str)],
) -> impl Fn(&httpmock::HttpMockRequest) -> httpmock::HttpMockResponse + Send + Sync + 'static {
    let n = AtomicUsize::new(0);
    move |_req| {
        let mut b =
            httpmock::HttpMockResponse::builder().header("content-type", "application/json");
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            for (k, v) in first_headers {
                b = b.header(*k, *v);
            }
            b.status(first)
                .body(r#"{"message":"slow down","took":0.0,"requestId":"r1"}"#)
                .build()
        } else {
            b.status(then)
                .header("x-ratelimit-state", "OK")
                .body(r#"{"result":"Created","data":{"id":"u1","name":"jane@example.com"},"took":0.1,"requestId":"r2"}"#)
                .build()
        }
    }
}

#[tokio::test]
async fn throttled_post_is_retried_then_succeeds() {
    let server = MockServer::start_async().await;
    let body = serde_json::json!({"username": "jane@example.com", "fullName": "Jane"});
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/users")
                .header("authorization", common::auth())
                .header("content-type", "application/json")
                .json_body(body.clone());
            then.respond_with(first_then(
                429,
                201,
                &[
                    ("x-ratelimit-state", "THROTTLED"),
                    ("x-ratelimit-reason", "Configuration"),
                    ("x-ratelimit-period-in-sec", "1"),
                ],
            ));
        })
        .await;
    let c = retrying_client(&server.base_url(), RetryPolicy::default());
    let resp = c
        .send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/users")
                .json(&body),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.attempts(), 2);
    assert_eq!(m.calls_async().await, 2);
    let stats = c.rate_limit_stats();
    assert_eq!((stats[0].sent, stats[0].throttled), (2, 1));
    assert_eq!(
        stats[0].per_second, None,
        "none of ours was in the window: nothing to learn from"
    );
}

#[tokio::test]
async fn get_is_retried_after_503() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users/jane@example.com");
            then.respond_with(first_then(503, 200, &[]));
        })
        .await;
    let c = retrying_client(&server.base_url(), RetryPolicy::default());
    let resp = c
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/users")
                .segment("username", "jane@example.com"),
        )
        .await
        .unwrap();
    assert_eq!((resp.status().as_u16(), resp.attempts()), (200, 2));
    assert_eq!(m.calls_async().await, 2);
}

#[tokio::test]
async fn post_is_never_resent_after_503() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/users");
            then.status(503)
                .header("content-type", "text/html")
                .body("<html>503</html>");
        })
        .await;
    let c = retrying_client(&server.base_url(), RetryPolicy::default());
    let err = c
        .send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/users")
                .json(&serde_json::json!({"username": "a@b.c"})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    assert_eq!(m.calls_async().await, 1);
}

#[tokio::test]
async fn retry_budget_runs_dry() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users");
            then.status(503).body("down");
        })
        .await;
    // Room for exactly two 5xx retries (cost 5 each); no limit on attempts.
    let c = retrying_client(
        &server.base_url(),
        RetryPolicy::default().max_attempts(100).budget(10),
    );
    let get = || c.send(ApiRequest::get(Domain::Configuration).path("v2/users"));
    let err = get().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(m.calls_async().await, 3, "first attempt + two paid retries");
    get().await.unwrap_err();
    assert_eq!(m.calls_async().await, 4, "budget dry: a single attempt");
}

#[tokio::test]
async fn throttle_without_retries_is_a_rate_limited_error() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path("/v2/users");
            then.status(429)
                .header("x-ratelimit-state", "THROTTLED")
                .header("x-ratelimit-reason", "Search")
                .header("x-ratelimit-period-in-sec", "60")
                .body(r#"{"message":"too many","requestId":"r"}"#);
        })
        .await;
    let c = retrying_client(&server.base_url(), RetryPolicy::none());
    let err = c
        .send(ApiRequest::get(Domain::Search).path("v2/users"))
        .await
        .unwrap_err();
    match err {
        Error::RateLimited { error, attempts } => {
            assert_eq!(attempts, 1);
            let rl = error.rate_limit.unwrap();
            assert_eq!(
                (rl.reason.as_deref(), rl.period_secs),
                (Some("Search"), Some(60))
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(m.calls_async().await, 1);
}

#[tokio::test]
async fn discovered_limits_feed_the_limiter() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/request-limits/")
                .header("authorization", common::auth());
            then.status(200).json_body(serde_json::json!({"data": {"rateLimits": [
                {"domain": "configuration", "limits": [{"limit": 600, "periodInSeconds": 60}, {"limit": 10, "periodInSeconds": 1}]},
                {"domain": "search", "limits": [{"limit": 300, "periodInSeconds": 60}]}
            ]}, "took": 0.01, "requestId": "r"}));
        })
        .await;
    let c = retrying_client(&server.base_url(), RetryPolicy::none());
    let found = c.discover_rate_limits().await.unwrap();
    assert_eq!(found.len(), 2);
    m.assert_async().await;
    let stats = c.rate_limit_stats();
    let conf = stats
        .iter()
        .find(|s| s.key.domain == Domain::Configuration)
        .unwrap();
    assert_eq!(
        (conf.per_minute, conf.per_second),
        (Some(600.0), Some(10.0))
    );
    assert_eq!(conf.source, Some(LimitSource::Discovered));
}

/// `try_acquire` grants while the bucket has room and nobody waits, says
/// `None` once a window is full (reserving nothing: the bucket's count and
/// queue are unchanged), and the slot of a permit dropped unsent comes back.
#[tokio::test(start_paused = true)]
async fn try_acquire_grants_only_free_slots_and_reserves_nothing_otherwise() {
    let limiter = AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_second(2)),
    );
    let k = key();
    let sent = |l: &AdaptiveLimiter| l.stats().first().map_or(0, |s| s.sent);
    let a = limiter.try_acquire(&k).expect("room for the first");
    let b = limiter.try_acquire(&k).expect("room for the second");
    assert_eq!(sent(&limiter), 2);
    assert!(limiter.try_acquire(&k).is_none(), "the window is full");
    let s = &limiter.stats()[0];
    assert_eq!((s.sent, s.queued), (2, 0));
    a.complete(&ok());
    // Dropped before sending: the slot is given back and can be granted again.
    drop(b);
    assert_eq!(sent(&limiter), 1);
    let c = limiter.try_acquire(&k).expect("the given-back slot");
    c.complete(&ok());
    assert!(limiter.try_acquire(&k).is_none());
    // Once the (slightly stretched) window has passed, there is room again.
    tokio::time::advance(secs(2)).await;
    assert!(limiter.try_acquire(&k).is_some());
}
