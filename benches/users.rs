//! Users API throughput without a network: decoding a full page of users,
//! and streaming 1,050 users (11 pages) through an in-memory transport.
//!
//! Run: `cargo bench --all-features --bench users`.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::TryStreamExt;
use opsgenie_users::models::user::User;
use opsgenie_users::transport::{Transport, TransportError};
use opsgenie_users::{Client, RetryPolicy};
use serde_json::{json, Value};

fn user(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{i:012}"), "username": format!("user{i}@example.com"),
        "fullName": format!("User {i}"), "role": {"id": "User", "name": "User"},
        "timeZone": "Europe/Berlin", "locale": "en_US", "tags": ["oncall"],
        "details": {"team": ["sre"]}, "blocked": false, "verified": true,
        "createdAt": "2024-05-11T12:36:07.217Z",
        "userAddress": {"country": "DE", "state": "", "city": "Berlin", "line": "", "zipCode": ""}
    })
}

fn page(offset: usize, limit: usize, total: usize) -> Vec<u8> {
    let end = (offset + limit).min(total);
    let mut body = json!({
        "data": (offset..end).map(user).collect::<Vec<_>>(),
        "totalCount": total, "took": 0.1, "requestId": "r",
        "paging": {"first": format!("https://api.opsgenie.com/v2/users?limit={limit}&offset=0")}
    });
    if end < total {
        body["paging"]["next"] = json!(format!(
            "https://api.opsgenie.com/v2/users?limit={limit}&offset={end}"
        ));
    }
    serde_json::to_vec(&body).unwrap()
}

/// Serves List Users pages of 100 of a fixed account, prepared up front so
/// the bench measures the SDK, not the fake server.
struct Pages {
    by_offset: std::collections::HashMap<usize, Bytes>,
}

impl Pages {
    fn new(total: usize) -> Self {
        let by_offset = (0..total.max(1))
            .step_by(100)
            .map(|o| (o, Bytes::from(page(o, 100, total))))
            .collect();
        Pages { by_offset }
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
            .body(self.by_offset[&offset].clone())
            .unwrap())
    }
}

fn bench(c: &mut Criterion) {
    let body = page(0, 100, 100);
    let mut g = c.benchmark_group("users");
    g.throughput(Throughput::Elements(100));
    g.bench_function("decode_page_of_100", |b| {
        b.iter(|| {
            #[derive(serde::Deserialize)]
            struct Env {
                data: Vec<User>,
            }
            let env: Env = serde_json::from_slice(&body).unwrap();
            assert_eq!(env.data.len(), 100);
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key("bench-key")
        .base_url("http://127.0.0.1:9")
        .transport(Pages::new(1050))
        .retry_policy(RetryPolicy::none())
        // Measure the SDK, not the scheduler's pacing.
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        .build()
        .unwrap();
    g.throughput(Throughput::Elements(1050));
    g.bench_function("stream_1050_users", |b| {
        b.to_async(&rt).iter(|| async {
            let n = client
                .users()
                .list_all()
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
                .unwrap();
            assert_eq!(n, 1050);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
