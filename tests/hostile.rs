//! Servers that misbehave: endless or oversized bodies, headers then silence,
//! calls that run past their deadline, and failures whose errors must not
//! carry the query string (personal data) of the request.
//!
//! The raw servers here listen on 127.0.0.1 only, serve a bounded number of
//! connections, and stop by themselves.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use opsgenie_users::ratelimit::{AdaptiveLimiter, LimiterConfig, Limits};
use opsgenie_users::scim::ScimClient;
use opsgenie_users::transport::{MaxResponseSize, Transport, TransportError};
use opsgenie_users::{ApiRequest, Client, Domain, Error, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "hostile-test-key";
/// A query value that must never show up in an error.
const PERSONAL: &str = "jane.private@example.com";
const MIB: u64 = 1024 * 1024;

/// What a raw server does after reading a request's headers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// A chunked 200 that never ends (until `CAP_WRITE` bytes or the peer leaves).
    Endless,
    /// Headers announcing a body of this many bytes, then silence.
    Announce(u64),
    /// Headers and 10 of 100 body bytes, then silence.
    Stall,
    /// A whole answer (`{}`) that closes the connection.
    Close,
}

/// Most bytes a raw server writes on one connection.
const CAP_WRITE: u64 = 256 * MIB;
/// How long a raw server keeps a silent connection open.
const HOLD: Duration = Duration::from_secs(20);

/// Starts a raw HTTP/1.1 server on loopback for up to `max_conns`
/// connections; returns its base URL and a connection counter.
async fn raw_server(b: Behaviour, max_conns: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let conns = Arc::new(AtomicUsize::new(0));
    let counter = conns.clone();
    tokio::spawn(async move {
        for _ in 0..max_conns {
            let Ok(Ok((mut sock, _))) =
                tokio::time::timeout(Duration::from_secs(30), listener.accept()).await
            else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let _ = tokio::time::timeout(HOLD, serve(&mut sock, b)).await;
            });
        }
    });
    (base, conns)
}

async fn serve(sock: &mut tokio::net::TcpStream, b: Behaviour) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut chunk).await?;
        if n == 0 || buf.len() > 64 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    match b {
        Behaviour::Endless => {
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let data = vec![b' '; 64 * 1024];
            let mut written = 0;
            while written < CAP_WRITE {
                sock.write_all(format!("{:x}\r\n", data.len()).as_bytes())
                    .await?;
                sock.write_all(&data).await?;
                sock.write_all(b"\r\n").await?;
                written += data.len() as u64;
            }
        }
        Behaviour::Announce(len) => {
            sock.write_all(
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n[")
                    .as_bytes(),
            )
            .await?;
            tokio::time::sleep(HOLD).await;
        }
        Behaviour::Close => {
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await?;
        }
        Behaviour::Stall => {
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"data\":[")
                .await?;
            tokio::time::sleep(HOLD).await;
        }
    }
    Ok(())
}

fn client(base: &str) -> opsgenie_users::ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .rate_limiter(Arc::new(opsgenie_users::ratelimit::Unlimited))
        // The servers here count connections: only the test's own requests.
        .discover_rate_limits(false)
}

fn list_users() -> ApiRequest {
    ApiRequest::get(Domain::Search)
        .path("v2/users")
        .query("query", format!("username:{PERSONAL}"))
}

/// The error names the request's path but not its query, in `Display` and `Debug`.
fn assert_no_query(e: &Error, path: &str) {
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(shown.contains(path), "the path is named: {shown}");
        assert!(
            !shown.contains("jane.private"),
            "no query value in errors: {shown}"
        );
        assert!(!shown.contains("query="), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
    }
}

// ---- response size cap -----------------------------------------------------

#[tokio::test]
async fn an_endless_body_stops_at_the_cap_and_is_not_retried() {
    let (base, conns) = raw_server(Behaviour::Endless, 4).await;
    let c = client(&base)
        .max_response_size(MIB)
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let e = c.send(list_users()).await.unwrap_err();
    println!("endless body: {e} after {:?}", start.elapsed());
    assert!(
        matches!(e, Error::ResponseTooLarge { limit, .. } if limit == MIB),
        "{e:?}"
    );
    assert!(e.may_have_reached_server());
    assert_eq!(conns.load(Ordering::SeqCst), 1, "not retried");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_no_query(&e, "/v2/users");
}

#[tokio::test]
async fn a_content_length_over_the_cap_fails_before_reading() {
    let (base, _) = raw_server(Behaviour::Announce(256 * MIB), 1).await;
    let c = client(&base)
        .max_response_size(MIB)
        .request_timeout(Duration::from_secs(15))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let e = c.send(list_users()).await.unwrap_err();
    // The body never comes: only the announced length can have tripped it.
    assert!(matches!(e, Error::ResponseTooLarge { .. }), "{e:?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// Returns a body of `len` bytes and records the cap it was given.
struct BigBody {
    len: usize,
    seen_cap: std::sync::Mutex<Option<u64>>,
}

#[async_trait::async_trait]
impl Transport for BigBody {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        *self.seen_cap.lock().unwrap() = req.extensions().get::<MaxResponseSize>().map(|m| m.0);
        Ok(http::Response::builder()
            .status(200)
            .body(Bytes::from(vec![b' '; self.len]))
            .unwrap())
    }
}

#[tokio::test]
async fn the_client_checks_the_body_of_a_custom_transport() {
    let t = Arc::new(BigBody {
        len: 17 * MIB as usize,
        seen_cap: Default::default(),
    });
    let c = Client::builder()
        .api_key(KEY)
        .transport_arc(t.clone())
        .build()
        .unwrap();
    let e = c.send(list_users()).await.unwrap_err();
    assert!(
        matches!(e, Error::ResponseTooLarge { limit, .. } if limit == 16 * MIB),
        "the default cap is 16 MiB: {e:?}"
    );
    assert_eq!(*t.seen_cap.lock().unwrap(), Some(16 * MIB));
    // At the cap exactly, the body is accepted.
    let t = BigBody {
        len: MIB as usize,
        seen_cap: Default::default(),
    };
    let c = Client::builder()
        .api_key(KEY)
        .transport(t)
        .max_response_size(MIB)
        .build()
        .unwrap();
    assert_eq!(c.send(list_users()).await.unwrap().body().len() as u64, MIB);
}

// ---- timeouts and the deadline ---------------------------------------------

#[tokio::test]
async fn headers_then_silence_times_out_per_attempt() {
    let (base, conns) = raw_server(Behaviour::Stall, 3).await;
    let c = client(&base)
        .request_timeout(Duration::from_millis(300))
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let e = c.send(list_users()).await.unwrap_err();
    let took = start.elapsed();
    println!("stalled body: {e} after {took:?}");
    assert!(
        matches!(e, Error::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{e:?}"
    );
    assert_eq!(conns.load(Ordering::SeqCst), 2, "a GET is retried once");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_no_query(&e, "/v2/users");
}

/// One client used on a runtime, then (that runtime gone) on another: the
/// client keeps the timer of its last attempt until the next attempt ends,
/// so the second runtime's attempt replaces, and the client's drop drops,
/// a timer of a runtime that no longer exists. Both calls still time out
/// on time; nothing panics.
#[test]
fn one_client_on_two_runtimes_one_after_the_other_times_out_on_each() {
    // A server outliving both runtimes: headers and part of a body, then
    // silence, on each connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let conns = Arc::new(AtomicUsize::new(0));
    let counted = conns.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut sock in listener.incoming().flatten().take(2) {
            use std::io::{Read, Write};
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf);
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789");
            held.push(sock);
        }
        std::thread::sleep(HOLD);
    });
    let c = client(&base)
        .request_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for round in 1..=2 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        let e = rt.block_on(c.send(list_users())).unwrap_err();
        println!("round {round}: {e} after {:?}", start.elapsed());
        assert!(matches!(e, Error::Timeout { .. }), "round {round}: {e:?}");
        assert!(start.elapsed() < Duration::from_secs(3), "round {round}");
        assert_eq!(conns.load(Ordering::SeqCst), round);
        drop(rt);
    }
    drop(c);
}

/// Never answers; counts requests.
#[derive(Clone, Default)]
struct Silent(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl Transport for Silent {
    async fn send(
        &self,
        _req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::pending().await
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_covers_every_attempt_and_backoff() {
    let t = Silent::default();
    let c = Client::builder()
        .api_key(KEY)
        .transport(t.clone())
        .discover_rate_limits(false)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(100)
                .budget(100_000)
                .base_delay(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let e = c
        .send(ApiRequest::get(Domain::Configuration).path("v2/users/x"))
        .await
        .unwrap_err();
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(300),
        "the default 5 min"
    );
    match &e {
        Error::DeadlineExceeded {
            after,
            attempts,
            may_have_reached_server,
            ..
        } => {
            assert_eq!(*after, Duration::from_secs(300));
            assert!(*may_have_reached_server);
            // 30 s per attempt (and at most 1 ms of backoff): the tenth
            // attempt was in flight when the deadline passed.
            assert_eq!(*attempts, 10);
            assert_eq!(*attempts as usize, t.0.load(Ordering::SeqCst));
        }
        other => panic!("{other:?}"),
    }
    assert!(e.may_have_reached_server());
    assert!(e.to_string().contains("may have reached"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn the_deadline_covers_the_wait_for_a_slot() {
    let t = Silent::default();
    let limiter = Arc::new(AdaptiveLimiter::new(
        LimiterConfig::default().limit(Domain::Configuration, Limits::per_minute(1)),
    ));
    let c = Client::builder()
        .api_key(KEY)
        .transport(t.clone())
        .discover_rate_limits(false)
        .rate_limiter(limiter)
        .request_timeout(Duration::from_secs(1))
        .deadline(Duration::from_secs(10))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let req = || ApiRequest::get(Domain::Configuration).path("v2/users/x");
    // The first call takes the minute's slot (and times out).
    assert!(matches!(c.send(req()).await, Err(Error::Timeout { .. })));
    let start = tokio::time::Instant::now();
    let e = c.send(req()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    match e {
        Error::DeadlineExceeded {
            attempts,
            may_have_reached_server,
            ..
        } => assert_eq!((attempts, may_have_reached_server), (0, false)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.0.load(Ordering::SeqCst),
        1,
        "the second call was never sent"
    );
    assert_eq!(c.rate_limit_stats()[0].queued, 0);
}

#[tokio::test(start_paused = true)]
async fn a_backoff_past_the_deadline_returns_the_last_answer() {
    /// Always 503.
    struct Unavailable;
    #[async_trait::async_trait]
    impl Transport for Unavailable {
        async fn send(
            &self,
            _req: http::Request<Bytes>,
        ) -> Result<http::Response<Bytes>, TransportError> {
            Ok(http::Response::builder()
                .status(503)
                .body(Bytes::from_static(b"down"))
                .unwrap())
        }
    }
    let c = Client::builder()
        .api_key(KEY)
        .transport(Unavailable)
        .deadline(Duration::from_secs(1))
        // The call alone: the read of the limits before a first call has a
        // deadline of its own, and its retries (jittered) would add to the time.
        .discover_rate_limits(false)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(100)
                .base_delay(Duration::from_secs(10))
                .max_backoff(Duration::from_secs(10)),
        )
        .build()
        .unwrap();
    let start = tokio::time::Instant::now();
    let e = c
        .send(ApiRequest::get(Domain::Configuration).path("v2/users/x"))
        .await
        .unwrap_err();
    // No sleep is started that would end past the deadline: the last 503
    // comes back, not a deadline error.
    assert!(matches!(&e, Error::Api(a) if a.status == 503), "{e:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
}

// ---- connections ---------------------------------------------------------

/// Every request opens a connection here: the default transport's wait for
/// a connection on its way back to the pool (a connect to a named host
/// while more are open than requests in flight) finds none coming back,
/// and must neither fail a request nor skip a connect it needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_host_that_closes_every_connection_answers_every_request() {
    const TASKS: usize = 4;
    const EACH: usize = 25;
    let (base, conns) = raw_server(Behaviour::Close, TASKS * EACH).await;
    let base = base.replace("127.0.0.1", "localhost");
    let c = client(&base)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move {
                for _ in 0..EACH {
                    let r = c.send(list_users()).await.unwrap();
                    assert_eq!(r.status(), 200);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        conns.load(Ordering::SeqCst),
        TASKS * EACH,
        "one connection per request"
    );
}

// ---- no query strings in errors --------------------------------------------

/// A loopback port with nothing listening.
async fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    base
}

#[tokio::test]
async fn connection_refused_errors_name_the_path_not_the_query() {
    let base = closed_port().await;
    let c = client(&base)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.send(list_users()).await.unwrap_err();
    println!("refused: {e}");
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(!e.may_have_reached_server());
    assert_no_query(&e, "/v2/users");

    let scim = ScimClient::builder()
        .base_url(format!("{base}/scim/directory/d1"))
        .token("hostile-scim-token")
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = scim
        .send(
            scim.request(http::Method::GET)
                .path("Users")
                .query("filter", format!("userName eq \"{PERSONAL}\"")),
        )
        .await
        .unwrap_err();
    println!("refused (SCIM): {e}");
    assert_no_query(&e, "/scim/directory/d1/Users");
    assert!(!format!("{e:?}").contains("filter"), "{e:?}");
    assert!(!format!("{e:?}").contains("hostile-scim-token"));
}
