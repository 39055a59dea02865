//! Rate limiter and request-path overhead.
//!
//! * `permit/*`: acquiring and completing a permit when the bucket has room,
//!   uncontended and with 64 tasks contending for the same bucket.
//! * `simulated_creates`: 1,000 user creates against a simulated server
//!   enforcing 600/min and 10/s (paused clock); prints achieved rate / limit
//!   and the 429 count.
//! * `overhead/*`: `Client::send` versus a bare reqwest GET against the same
//!   local HTTP server; prints the ratio.
//!
//! Run with `cargo bench --all-features --bench ratelimit`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opsgenie_users::ratelimit::{
    AdaptiveLimiter, BucketKey, Feedback, Limits, RateLimiter, Unlimited,
};
use opsgenie_users::retry::Outcome;
use opsgenie_users::{ApiRequest, Client, Domain};
use opsgenie_users_sim::ratelimit::Scenario;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn key() -> BucketKey {
    BucketKey {
        credential: 7,
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

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn permits(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("permit");
    let unlimited: Arc<dyn RateLimiter> = Arc::new(Unlimited);
    // Limits far above what the bench reaches: the bucket always has room,
    // so this measures the bookkeeping, not waiting.
    let adaptive: Arc<dyn RateLimiter> = Arc::new(AdaptiveLimiter::default());
    let known: Arc<dyn RateLimiter> = Arc::new(AdaptiveLimiter::new(
        opsgenie_users::ratelimit::LimiterConfig::default().limit(
            Domain::Configuration,
            Limits::per_minute(u32::MAX / 2).and_per_second(u32::MAX / 2),
        ),
    ));
    for (name, l) in [
        ("unlimited", &unlimited),
        ("adaptive_unknown", &adaptive),
        ("adaptive_known", &known),
    ] {
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("uncontended/{name}"), |b| {
            let k = key();
            let fb = ok();
            b.to_async(&rt).iter(|| async {
                let p = l.acquire(black_box(&k)).await;
                p.complete(&fb);
            })
        });
        g.throughput(Throughput::Elements(64));
        g.bench_function(format!("64_tasks/{name}"), |b| {
            b.to_async(&rt).iter(|| async {
                let tasks: Vec<_> = (0..64)
                    .map(|_| {
                        let l = l.clone();
                        tokio::spawn(async move {
                            let p = l.acquire(&key()).await;
                            p.complete(&ok());
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            })
        });
    }
    g.finish();
}

fn simulated_creates(c: &mut Criterion) {
    let paused = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    };
    let limits = Limits::per_minute(600).and_per_second(10);
    let scenario = Scenario::new(limits).configured(limits).workers(8);
    let (report, server) = paused().block_on(scenario.run_batch(1000));
    let per_min = report.succeeded as f64 / report.elapsed.as_secs_f64() * 60.0;
    println!(
        "1,000 simulated creates at a known 600/min + 10/s (8 workers): {} ok, {} failed, {:.1} s simulated, {:.1}/min = {:.1} % of the limit, {} x 429",
        report.succeeded,
        report.failed,
        report.elapsed.as_secs_f64(),
        per_min,
        per_min / 6.0,
        server.throttled()
    );
    let mut g = c.benchmark_group("simulated_creates");
    g.sample_size(10);
    g.bench_function("1000_at_known_limit", |b| {
        b.iter(|| paused().block_on(scenario.run_batch(1000)))
    });
    g.finish();
}

/// A tiny HTTP/1.1 keep-alive server answering every request with the same
/// small JSON body.
async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let _ = sock.set_nodelay(true);
            tokio::spawn(async move {
                let body = r#"{"data":{"id":"u1","username":"jane@example.com"},"took":0.001,"requestId":"r"}"#;
                // One write per response (two small writes meet Nagle + delayed ACK).
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-ratelimit-state: OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let mut buf = vec![0u8; 8192];
                let mut have = 0;
                loop {
                    match sock.read(&mut buf[have..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have += n,
                    }
                    while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                        if sock.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..have, 0);
                        have -= end + 4;
                    }
                    if have == buf.len() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn overhead(c: &mut Criterion) {
    let rt = runtime();
    let base = rt.block_on(serve());
    let client = Client::builder()
        .api_key("bench-key")
        .base_url(&base)
        .build()
        .unwrap();
    let raw = reqwest::Client::new();
    let url = format!("{base}/v2/users/jane@example.com");
    let sdk = || {
        let client = client.clone();
        async move {
            let r = client
                .send(
                    ApiRequest::get(Domain::Configuration)
                        .path("v2/users")
                        .segment("username", "jane@example.com"),
                )
                .await
                .unwrap();
            black_box(r.body().len());
        }
    };
    let bare = || {
        let raw = raw.clone();
        let url = url.clone();
        async move {
            let r = raw
                .get(&url)
                .header("authorization", "GenieKey bench-key")
                .header("accept", "application/json")
                .send()
                .await
                .unwrap();
            black_box(r.bytes().await.unwrap().len());
        }
    };
    // A direct, interleaved measurement for the ratio.
    rt.block_on(async {
        for _ in 0..200 {
            sdk().await;
            bare().await;
        }
        let (mut t_sdk, mut t_raw) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..20 {
            let t = StdInstant::now();
            for _ in 0..100 {
                sdk().await;
            }
            t_sdk += t.elapsed();
            let t = StdInstant::now();
            for _ in 0..100 {
                bare().await;
            }
            t_raw += t.elapsed();
        }
        println!(
            "Client::send {:.1} µs vs raw reqwest {:.1} µs per GET: ratio {:.2}",
            t_sdk.as_secs_f64() / 2000.0 * 1e6,
            t_raw.as_secs_f64() / 2000.0 * 1e6,
            t_sdk.as_secs_f64() / t_raw.as_secs_f64()
        );
    });
    let mut g = c.benchmark_group("overhead");
    g.bench_function("client_send", |b| b.to_async(&rt).iter(sdk));
    g.bench_function("raw_reqwest", |b| b.to_async(&rt).iter(bare));
    g.finish();
}

criterion_group!(benches, permits, simulated_creates, overhead);
criterion_main!(benches);
