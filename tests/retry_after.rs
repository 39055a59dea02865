//! `Retry-After` on the one request path, for every client: under tokio's
//! paused clock with a scripted transport (exact waits, deadline and
//! maximum), and against a mock server and the Atlassian simulator in real
//! time (one-second waits).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use opsgenie_users::ratelimit::Unlimited;
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{ApiRequest, Client, Domain, Error, RetryPolicy};
use tokio::time::Instant;

/// A status and the headers to answer it with.
type Answer = (u16, Vec<(&'static str, String)>);

/// Answers from a script (then 200 `{}`), recording when each request came.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Script {
    fn new(answers: Vec<Answer>) -> Self {
        let s = Script::default();
        s.answers.lock().unwrap().extend(answers);
        s
    }
    fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
    fn gap(&self) -> Duration {
        let a = self.arrivals();
        assert_eq!(a.len(), 2, "two attempts expected");
        a[1] - a[0]
    }
}

#[async_trait::async_trait]
impl Transport for Script {
    async fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.arrivals.lock().unwrap().push(Instant::now());
        let (status, headers) = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, Vec::new()));
        let mut b = http::Response::builder()
            .status(status)
            .header("content-type", "application/json");
        for (k, v) in headers {
            b = b.header(k, v);
        }
        Ok(b.body(Bytes::from_static(b"{}")).unwrap())
    }
}

fn retry_after(v: &str) -> Vec<(&'static str, String)> {
    vec![("retry-after", v.to_string())]
}

fn opsgenie(t: &Script, deadline: Duration, policy: RetryPolicy) -> Client {
    Client::builder()
        .api_key("retry-after-key")
        .discover_rate_limits(false)
        .transport(t.clone())
        .rate_limiter(Arc::new(Unlimited))
        .retry_policy(policy)
        .deadline(deadline)
        .build()
        .unwrap()
}

fn get() -> ApiRequest {
    ApiRequest::get(Domain::Configuration).path("v2/users/jane@example.com")
}

const MINUTES: Duration = Duration::from_secs(300);

#[tokio::test(start_paused = true)]
async fn opsgenie_answers_without_retry_after_keep_their_backoff() {
    // Opsgenie documents no Retry-After: a 429 is retried after the full-jitter
    // backoff (below 200 ms on the first retry), as before. The paused
    // clock's timer rounds a sleep up to the next millisecond (a jitter just
    // under 200 ms measured 200 ms and failed once).
    let t = Script::new(vec![(429, Vec::new())]);
    let c = opsgenie(&t, MINUTES, RetryPolicy::default());
    c.send(get()).await.unwrap();
    assert!(t.gap() <= Duration::from_millis(201), "{:?}", t.gap());
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_at_least_the_seconds_asked() {
    let t = Script::new(vec![(429, retry_after("30"))]);
    let c = opsgenie(&t, MINUTES, RetryPolicy::default());
    let resp = c.send(get()).await.unwrap();
    assert_eq!(resp.attempts(), 2);
    let gap = t.gap();
    assert!(gap >= Duration::from_secs(30), "{gap:?}");
    // The jitter is under the first backoff ceiling (200 ms); the paused
    // clock's timer rounds a sleep up to the next millisecond.
    assert!(
        gap <= Duration::from_millis(30_201),
        "{gap:?}: only the backoff's jitter on top"
    );
}

#[tokio::test(start_paused = true)]
async fn an_http_date_is_measured_from_the_response_date() {
    let t = Script::new(vec![(
        503,
        vec![
            ("retry-after", "Wed, 21 Oct 2015 07:28:45 GMT".into()),
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT".into()),
        ],
    )]);
    let c = opsgenie(&t, MINUTES, RetryPolicy::default());
    c.send(get()).await.unwrap();
    let gap = t.gap();
    assert!(
        gap >= Duration::from_secs(45) && gap <= Duration::from_millis(45_201),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_wait_past_the_deadline_returns_the_answer_at_once() {
    let t = Script::new(vec![(429, retry_after("30"))]);
    let c = opsgenie(&t, Duration::from_secs(20), RetryPolicy::default());
    let start = Instant::now();
    match c.send(get()).await {
        Err(e @ Error::RateLimited { attempts: 1, .. }) => {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Instant::now(), start, "no wait at all");
    assert_eq!(t.arrivals().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_wait_over_the_maximum_returns_the_answer_at_once() {
    // A maintenance window: an hour.
    let t = Script::new(vec![(503, retry_after("3600")), (503, retry_after("3600"))]);
    let c = opsgenie(&t, Duration::from_secs(7200), RetryPolicy::default());
    let start = Instant::now();
    match c.send(get()).await {
        Err(e @ Error::Api(_)) => {
            assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
            assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Instant::now(), start);
    assert_eq!(t.arrivals().len(), 1);
    // A policy allowed to wait that long does, within the deadline.
    let patient = RetryPolicy::default().max_retry_after(Duration::from_secs(3600));
    let c = opsgenie(&t, Duration::from_secs(7200), patient);
    c.send(get()).await.unwrap();
    assert_eq!(t.arrivals().len(), 3);
    assert!(t.arrivals()[2] - t.arrivals()[1] >= Duration::from_secs(3600));
}

#[tokio::test(start_paused = true)]
async fn retry_after_never_resends_an_unsafe_write() {
    // A 503 to a POST may have been applied: Retry-After does not make it safe.
    let t = Script::new(vec![(503, retry_after("1"))]);
    let c = opsgenie(&t, MINUTES, RetryPolicy::default());
    let post = ApiRequest::post(Domain::Configuration)
        .path("v2/users")
        .json(&serde_json::json!({"username": "jane@example.com"}));
    let resp = c.execute(&post).await.unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(t.arrivals().len(), 1);
    // A 429 to a POST was not acted on: it is retried after the wait.
    let t = Script::new(vec![(429, retry_after("2"))]);
    let c = opsgenie(&t, MINUTES, RetryPolicy::default());
    let post = ApiRequest::post(Domain::Configuration)
        .path("v2/users")
        .json(&serde_json::json!({"username": "jane@example.com"}));
    c.send(post).await.unwrap();
    assert!(t.gap() >= Duration::from_secs(2));
}

#[cfg(feature = "atlassian")]
mod atlassian {
    use super::*;
    use futures::TryStreamExt;
    use httpmock::prelude::*;
    use opsgenie_users::atlassian::{AdminClient, JsmOpsClient, TeamsClient};
    use opsgenie_users_sim::atlassian::AtlassianServer;

    #[tokio::test(start_paused = true)]
    async fn every_atlassian_client_honours_it() {
        let t = Script::new(vec![(429, retry_after("12"))]);
        let admin = AdminClient::builder()
            .org_id("o-1")
            .api_key("k")
            .transport(t.clone())
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap();
        admin.directories().await.unwrap();
        assert!(t.gap() >= Duration::from_secs(12), "{:?}", t.gap());

        let t = Script::new(vec![(503, retry_after("7"))]);
        let teams = TeamsClient::builder()
            .site("example")
            .org_id("o-1")
            .credentials("me@example.com", "t")
            .transport(t.clone())
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap();
        // `{}` is no team: the answer after the wait fails to decode.
        let e = teams.get("t-1").await.unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        assert!(t.gap() >= Duration::from_secs(7), "{:?}", t.gap());

        let t = Script::new(vec![(429, retry_after("5"))]);
        let jsm = JsmOpsClient::builder()
            .cloud_id("c-1")
            .credentials("me@example.com", "t")
            .transport(t.clone())
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap();
        jsm.roles().list().await.unwrap();
        assert!(t.gap() >= Duration::from_secs(5), "{:?}", t.gap());

        // A suspend (a POST) met by a 503 is not resent, whatever the wait.
        let t = Script::new(vec![(503, retry_after("1"))]);
        let admin = AdminClient::builder()
            .org_id("o-1")
            .api_key("k")
            .transport(t.clone())
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap();
        let e = admin.users("d-1").suspend("a-1").await.unwrap_err();
        assert!(matches!(e, Error::AmbiguousOutcome { .. }), "{e:?}");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(t.arrivals().len(), 1);
    }

    fn jsm_at(url: String, policy: RetryPolicy) -> JsmOpsClient {
        JsmOpsClient::builder()
            .base_url(url)
            .credentials("me@example.com", "tok-123")
            .retry_policy(policy)
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn mock_server_429_is_retried_after_its_wait() {
        let s = MockServer::start_async().await;
        let m = s
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/jsm/ops/api/c-1/v1/schedules")
                    .header("authorization", "Basic bWVAZXhhbXBsZS5jb206dG9rLTEyMw==");
                then.status(429)
                    .header("retry-after", "1")
                    .json_body(serde_json::json!({"message": "slow down"}));
            })
            .await;
        let j = jsm_at(
            format!("{}/jsm/ops/api/c-1", s.base_url()),
            RetryPolicy::default().max_attempts(2),
        );
        let start = std::time::Instant::now();
        match j.schedules().list().await {
            Err(e @ Error::RateLimited { attempts: 2, .. }) => {
                assert_eq!(e.retry_after(), Some(Duration::from_secs(1)))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(m.calls_async().await, 2);
    }

    #[tokio::test]
    async fn mock_server_http_date_counts_from_its_date_header() {
        // Both dates are long past: against this machine's clock the wait
        // would be nothing; against the answer's Date it is one second.
        let s = MockServer::start_async().await;
        let m = s
            .mock_async(|when, then| {
                when.method(GET).path("/jsm/ops/api/c-1/v1/roles");
                then.status(503)
                    .header("date", "Wed, 21 Oct 2015 07:28:00 GMT")
                    .header("retry-after", "Wed, 21 Oct 2015 07:28:01 GMT")
                    .body("down for maintenance");
            })
            .await;
        let j = jsm_at(
            format!("{}/jsm/ops/api/c-1", s.base_url()),
            RetryPolicy::default().max_attempts(2),
        );
        let start = std::time::Instant::now();
        match j.roles().list().await {
            Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 503),
            other => panic!("{other:?}"),
        }
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(m.calls_async().await, 2);
    }

    #[tokio::test]
    async fn simulator_503_with_retry_after_is_waited_out() {
        let s = AtlassianServer::start().await.unwrap();
        s.add_schedule("Primary", None, &[]);
        s.fail_next_retry_after("/jsm/ops/api/sim-cloud/v1/schedules", 503, 1, "1");
        let j = JsmOpsClient::builder()
            .base_url(s.jsm_url())
            .credentials(s.email(), s.api_token())
            .rate_limiter(Arc::new(Unlimited))
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        let all: Vec<_> = j.schedules().list().stream().try_collect().await.unwrap();
        assert_eq!(all.len(), 1);
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        let statuses: Vec<u16> = s.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [503, 200]);
    }
}
