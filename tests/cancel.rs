//! Cancellation under tokio's paused clock: a call dropped at any await
//! point (waiting for a rate-limit slot, in flight, in its backoff sleep)
//! leaves the client usable, gives back only the slots of requests that were
//! never sent, and leaves no task behind.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use opsgenie_users::ratelimit::{AdaptiveLimiter, LimiterConfig, Limits, RateLimiter};
use opsgenie_users::scim::ScimClient;
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{ApiRequest, Client, Domain, RetryPolicy};
use tokio::time::Instant;

/// What the scripted transport does with the next request.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Answer 200 at once.
    Ok,
    /// Answer 503 at once.
    Unavailable,
    /// Never answer.
    Hang,
}

/// Follows a script (then answers 200), records when each request came.
#[derive(Clone, Default)]
struct Scripted {
    script: Arc<Mutex<Vec<Step>>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Scripted {
    fn new(steps: &[Step]) -> Self {
        let s = Scripted::default();
        s.script.lock().unwrap().extend(steps.iter().rev());
        s
    }
    fn count(&self) -> usize {
        self.arrivals.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl Transport for Scripted {
    async fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.arrivals.lock().unwrap().push(Instant::now());
        let step = self.script.lock().unwrap().pop().unwrap_or(Step::Ok);
        let status = match step {
            Step::Ok => 200,
            Step::Unavailable => 503,
            Step::Hang => std::future::pending().await,
        };
        Ok(http::Response::builder()
            .status(status)
            .body(Bytes::from_static(br#"{"data":[]}"#))
            .unwrap())
    }
}

fn limited_client(t: &Scripted, limits: Limits, policy: RetryPolicy) -> Client {
    Client::builder()
        .api_key("cancel-test-key")
        // The script answers only the calls the tests make.
        .discover_rate_limits(false)
        .transport(t.clone())
        .rate_limiter(Arc::new(AdaptiveLimiter::new(
            LimiterConfig::default().limit(Domain::Configuration, limits),
        )))
        .retry_policy(policy)
        .build()
        .unwrap()
}

fn get() -> ApiRequest {
    ApiRequest::get(Domain::Configuration).path("v2/users/jane@example.com")
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Most arrivals within any `window`.
fn max_in_any(times: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= window {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

#[tokio::test(start_paused = true)]
async fn callers_giving_up_after_sending_do_not_make_the_limiter_over_admit() {
    // 10 a minute; every request hangs and every caller gives up after 1 s.
    let t = Scripted::new(&[Step::Hang; 100]);
    let client = limited_client(&t, Limits::per_minute(10), RetryPolicy::none());
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(1), c.send(get())).await;
        }));
    }
    // Let the callers run for three minutes.
    tokio::time::sleep(Duration::from_secs(180)).await;
    let arrivals = t.arrivals.lock().unwrap().clone();
    let worst = max_in_any(&arrivals, Duration::from_secs(60));
    println!(
        "{} requests admitted in 180 s, at most {worst} in any minute",
        arrivals.len()
    );
    assert!(
        worst <= 10,
        "{worst} requests in one minute at a limit of 10"
    );
    // Each timed-out request counts as sent.
    let stats = client.rate_limit_stats();
    assert_eq!(stats[0].sent as usize, arrivals.len());
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn dropped_while_waiting_for_a_slot() {
    let base = alive_tasks();
    let t = Scripted::default();
    let client = limited_client(&t, Limits::per_minute(1), RetryPolicy::none());
    let start = Instant::now();
    client.send(get()).await.unwrap();
    // The next call waits for the minute's slot; give up after 5 s.
    let waited = tokio::time::timeout(Duration::from_secs(5), client.send(get())).await;
    assert!(waited.is_err());
    let s = &client.rate_limit_stats()[0];
    assert_eq!((s.queued, s.sent), (0, 1), "left the queue, took no slot");
    assert_eq!(t.count(), 1);
    // An aborted task waiting for a slot leaves the queue too.
    let c = client.clone();
    let task = tokio::spawn(async move { c.send(get()).await });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(client.rate_limit_stats()[0].queued, 1);
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_eq!(client.rate_limit_stats()[0].queued, 0);
    // The client still works: the next call gets the next minute's slot.
    client.send(get()).await.unwrap();
    let took = Instant::now() - start;
    assert!(
        took > Duration::from_secs(60) && took < Duration::from_secs(63),
        "{took:?}"
    );
    assert_eq!(t.count(), 2);
    assert_eq!(alive_tasks(), base);
}

#[tokio::test(start_paused = true)]
async fn dropped_while_in_flight() {
    let base = alive_tasks();
    let t = Scripted::new(&[Step::Hang]);
    let client = limited_client(&t, Limits::per_minute(2), RetryPolicy::default());
    let start = Instant::now();
    let gave_up = tokio::time::timeout(Duration::from_secs(1), client.send(get())).await;
    assert!(gave_up.is_err());
    let s = &client.rate_limit_stats()[0];
    assert_eq!(
        (s.queued, s.sent),
        (0, 1),
        "the sent request keeps its slot"
    );
    // The client still works, on the minute's second slot.
    client.send(get()).await.unwrap();
    // A third request must wait for the hung one to leave the window.
    client.send(get()).await.unwrap();
    assert!(Instant::now() - start >= Duration::from_secs(60));
    assert_eq!(t.count(), 3);
    assert_eq!(client.rate_limit_stats()[0].queued, 0);
    assert_eq!(alive_tasks(), base);
}

#[tokio::test(start_paused = true)]
async fn dropped_in_backoff_sleep() {
    let base = alive_tasks();
    let t = Scripted::new(&[Step::Unavailable]);
    let client = limited_client(
        &t,
        Limits::per_minute(600),
        RetryPolicy::default().base_delay(Duration::from_secs(10)),
    );
    // The 503 comes at once; the call then sleeps up to 10 s before retrying.
    let call = tokio::spawn({
        let c = client.clone();
        async move { c.send(get()).await }
    });
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(t.count(), 1);
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(t.count(), 1, "no retry after the call was dropped");
    client.send(get()).await.unwrap();
    let s = &client.rate_limit_stats()[0];
    assert_eq!((s.queued, s.sent), (0, 2));
    assert_eq!(alive_tasks(), base);
}

/// A SCIM page of one user, with more pages announced.
#[derive(Clone, Default)]
struct Pages {
    hang_from: usize,
    calls: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Transport for Pages {
    async fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n == self.hang_from {
            std::future::pending::<()>().await;
        }
        let body = format!(
            r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":100,"startIndex":{},"itemsPerPage":1,"Resources":[{{"id":"u{n}","userName":"u{n}@example.com"}}]}}"#,
            n + 1
        );
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/scim+json")
            .body(Bytes::from(body))
            .unwrap())
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_dropped_mid_page_leaves_the_client_usable() {
    let base = alive_tasks();
    let t = Pages {
        hang_from: 2,
        calls: Arc::default(),
    };
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Scim, Limits::per_minute(600)),
    ));
    let scim = ScimClient::builder()
        .base_url("http://127.0.0.1:9/scim")
        .token("cancel-test-token")
        .transport(t.clone())
        .rate_limiter(limiter.clone())
        .build()
        .unwrap();
    let mut users = scim.users().list().count(1).stream();
    assert!(users.next().await.unwrap().is_ok());
    assert!(users.next().await.unwrap().is_ok());
    // The third page hangs: drop the stream while it is in flight.
    assert!(tokio::time::timeout(Duration::from_secs(1), users.next())
        .await
        .is_err());
    drop(users);
    assert_eq!(t.calls.load(Ordering::SeqCst), 3);
    let s = &limiter.stats()[0];
    assert_eq!((s.queued, s.sent), (0, 3));
    // The client still works.
    let page = scim.users().list().count(1).await.unwrap();
    assert_eq!(page.resources.len(), 1);
    assert_eq!(limiter.stats()[0].sent, 4);
    assert_eq!(alive_tasks(), base);
}
