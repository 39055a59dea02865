//! Users API throughput and memory without a network: decoding a page of
//! users the way the SDK does, and streaming users through an in-memory
//! transport.
//!
//! Headline lines (`name=value`, then the figures behind it as more
//! `key=value` pairs, for `scripts/perf-report.sh`):
//!
//! * `decode_per_user_ns`: one user of a List Users page of 100, decoded by
//!   the SDK's response path (plain `serde_json` beside it).
//! * `stream_peak_rss_kb_1000`, `stream_peak_rss_kb_100000`: the process's
//!   peak resident memory while streaming 1,000 and 100,000 users (the peak
//!   is reset before each run through `/proc/self/clear_refs`; Linux).
//!
//! Run: `cargo bench --all-features --bench users`.

use std::time::Instant;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use futures::TryStreamExt;
use opsgenie_users::models::user::User;
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{ApiResponse, Client, RetryPolicy};

#[path = "common/mod.rs"]
mod common;

/// Serves List Users pages of 100 of an account of `total` users. Every page
/// carries the same 100 users (prepared once) and its own `paging` links, so
/// the fake server holds one page whatever the account's size.
struct Pages {
    users: Bytes,
    total: usize,
}

impl Pages {
    fn new(total: usize) -> Self {
        let users: Vec<_> = (0..100).map(common::user).collect();
        Pages {
            users: Bytes::from(serde_json::to_vec(&users).unwrap()),
            total,
        }
    }

    fn body(&self, offset: usize) -> Bytes {
        let end = (offset + 100).min(self.total);
        let mut b = Vec::with_capacity(self.users.len() + 200);
        b.extend_from_slice(b"{\"data\":");
        if end > offset {
            b.extend_from_slice(&self.users[..]);
        } else {
            b.extend_from_slice(b"[]");
        }
        b.extend_from_slice(
            format!(
                r#","totalCount":{},"took":0.1,"requestId":"r","paging":{{"#,
                self.total
            )
            .as_bytes(),
        );
        if end < self.total {
            b.extend_from_slice(
                format!(r#""next":"https://api.opsgenie.com/v2/users?limit=100&offset={end}","#)
                    .as_bytes(),
            );
        }
        b.extend_from_slice(br#""first":"https://api.opsgenie.com/v2/users?limit=100&offset=0"}}"#);
        Bytes::from(b)
    }
}

#[async_trait::async_trait]
impl Transport for Pages {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let offset: usize = req
            .uri()
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("offset="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok(http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(self.body(offset))
            .unwrap())
    }
}

fn client(total: usize) -> Client {
    Client::builder()
        .api_key("bench-key")
        .base_url("http://127.0.0.1:9")
        .transport(Pages::new(total))
        .retry_policy(RetryPolicy::none())
        // Measure the SDK, not the scheduler's pacing.
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        .build()
        .unwrap()
}

async fn stream_all(client: &Client) -> usize {
    client
        .users()
        .list_all()
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .unwrap()
}

/// The SDK's decode of a List Users answer (`{"data": [...]}`).
fn sdk_decode(resp: &ApiResponse) -> Vec<User> {
    resp.data::<Vec<User>>().unwrap()
}

fn decode_headline(body: &Bytes, iters: usize) {
    let resp = ApiResponse::new(
        http::Method::GET,
        http::StatusCode::OK,
        http::HeaderMap::new(),
        body.clone(),
    );
    #[derive(serde::Deserialize)]
    struct Env {
        data: Vec<User>,
    }
    let (mut sdk, mut plain, mut path) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..iters {
        let t = Instant::now();
        assert_eq!(std::hint::black_box(sdk_decode(&resp)).len(), 100);
        sdk.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let env: Env = serde_json::from_slice(body).unwrap();
        assert_eq!(std::hint::black_box(env.data).len(), 100);
        plain.push(t.elapsed().as_secs_f64());
        // What the SDK did before it decoded with plain serde_json first.
        let t = Instant::now();
        let de = &mut serde_json::Deserializer::from_slice(body);
        let env: Env = serde_path_to_error::deserialize(de).unwrap();
        assert_eq!(std::hint::black_box(env.data).len(), 100);
        path.push(t.elapsed().as_secs_f64());
    }
    let ns = |v: &mut Vec<f64>| common::median(v) / 100.0 * 1e9;
    println!(
        "decode_per_user_ns={:.0} plain_ns={:.0} path_tracking_ns={:.0} pages={iters}",
        ns(&mut sdk),
        ns(&mut plain),
        ns(&mut path)
    );
}

/// Peak RSS in KiB after resetting it, while streaming `total` users.
fn stream_peak_rss(rt: &tokio::runtime::Runtime, total: usize) -> Option<u64> {
    let client = client(total);
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    let n = rt.block_on(stream_all(&client));
    assert_eq!(n, total);
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let body = Bytes::from(common::page(0, 100, 100));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    decode_headline(&body, if full { 300 } else { 3 });
    for total in [1_000, if full { 100_000 } else { 10_000 }] {
        match stream_peak_rss(&rt, total) {
            Some(kb) => println!("stream_peak_rss_kb_{total}={kb}"),
            None => println!("stream_peak_rss_kb_{total}=n/a"),
        }
    }
    if !full {
        return;
    }

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("users");
    g.throughput(Throughput::Elements(100));
    let resp = ApiResponse::new(
        http::Method::GET,
        http::StatusCode::OK,
        http::HeaderMap::new(),
        body.clone(),
    );
    g.bench_function("decode_page_of_100", |b| b.iter(|| sdk_decode(&resp)));
    let client = client(1050);
    g.throughput(Throughput::Elements(1050));
    g.bench_function("stream_1050_users", |b| {
        b.to_async(&rt).iter(|| async {
            assert_eq!(stream_all(&client).await, 1050);
        })
    });
    g.finish();
    c.final_summary();
}
