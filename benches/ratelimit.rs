//! Rate limiter and request-path overhead.
//!
//! * `permit/*`: acquiring and completing a permit when the bucket has room,
//!   uncontended and with 64 tasks contending for the same bucket.
//! * `simulated_creates`: 1,000 user creates against a simulated server
//!   enforcing 600/min and 10/s (paused clock); prints achieved rate / limit
//!   and the 429 count.
//!
//! Headline lines (`name=value`, then the figures behind it as more
//! `key=value` pairs, for `scripts/perf-report.sh`): `permit_uncontended_ns`
//! and `permit_64_tasks_ns` (acquire + complete, per permit, adaptive limiter
//! with unknown limits, the default; known limits and `Unlimited` beside it;
//! the 64 tasks are spawned, spawns included), and
//! `simulated_creates_rate_pct` (achieved rate / known limit). The SDK's
//! overhead over a hand-written reqwest call is `benches/overhead.rs`.
//!
//! Run with `cargo bench --all-features --bench ratelimit`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use criterion::{Criterion, Throughput};
use opsgenie_users::ratelimit::{
    AdaptiveLimiter, BucketKey, Feedback, Limits, RateLimiter, Unlimited,
};
use opsgenie_users::retry::Outcome;
use opsgenie_users::Domain;
use opsgenie_users_sim::ratelimit::Scenario;

#[path = "common/mod.rs"]
mod common;

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

/// The limiters measured: `Unlimited`, the default (limits unknown), and
/// known limits far above what the bench reaches (the bucket always has
/// room, so this measures the bookkeeping, not waiting).
fn limiters() -> [(&'static str, Arc<dyn RateLimiter>); 3] {
    [
        ("unlimited", Arc::new(Unlimited)),
        ("adaptive_unknown", Arc::new(AdaptiveLimiter::default())),
        (
            "adaptive_known",
            Arc::new(AdaptiveLimiter::new(
                opsgenie_users::ratelimit::LimiterConfig::default().limit(
                    Domain::Configuration,
                    Limits::per_minute(u32::MAX / 2).and_per_second(u32::MAX / 2),
                ),
            )),
        ),
    ]
}

/// Acquire + complete on an uncontended bucket.
async fn uncontended(l: &Arc<dyn RateLimiter>, k: &BucketKey, fb: &Feedback) {
    let p = l.acquire(black_box(k)).await;
    p.complete(fb);
}

/// 64 spawned tasks taking one permit each from the same bucket.
async fn contended_64(l: &Arc<dyn RateLimiter>) {
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
}

/// Nanoseconds per permit, median of `rounds` timings of `per` permits.
fn per_permit(
    rt: &tokio::runtime::Runtime,
    l: &Arc<dyn RateLimiter>,
    contended: bool,
    rounds: usize,
) -> f64 {
    let (k, fb) = (key(), ok());
    let mut v: Vec<f64> = (0..rounds)
        .map(|_| {
            rt.block_on(async {
                let t = StdInstant::now();
                if contended {
                    for _ in 0..16 {
                        contended_64(l).await;
                    }
                    t.elapsed().as_secs_f64() / (16.0 * 64.0)
                } else {
                    for _ in 0..2000 {
                        uncontended(l, &k, &fb).await;
                    }
                    t.elapsed().as_secs_f64() / 2000.0
                }
            })
        })
        .collect();
    common::median(&mut v) * 1e9
}

fn permit_headlines(rt: &tokio::runtime::Runtime, rounds: usize) {
    let ls = limiters();
    for (name, contended) in [("uncontended", false), ("64_tasks", true)] {
        // Warm up, then measure.
        let ns: Vec<f64> = ls
            .iter()
            .map(|(_, l)| {
                per_permit(rt, l, contended, 1);
                per_permit(rt, l, contended, rounds)
            })
            .collect();
        println!(
            "permit_{name}_ns={:.0} known_ns={:.0} unlimited_ns={:.0}",
            ns[1], ns[2], ns[0]
        );
    }
}

fn permits(c: &mut Criterion, rt: &tokio::runtime::Runtime) {
    let mut g = c.benchmark_group("permit");
    for (name, l) in limiters() {
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("uncontended/{name}"), |b| {
            let (k, fb) = (key(), ok());
            b.to_async(rt).iter(|| uncontended(&l, &k, &fb))
        });
        g.throughput(Throughput::Elements(64));
        g.bench_function(format!("64_tasks/{name}"), |b| {
            b.to_async(rt).iter(|| contended_64(&l))
        });
    }
    g.finish();
}

fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

fn simulated_headline() {
    let limits = Limits::per_minute(600).and_per_second(10);
    let scenario = Scenario::new(limits).configured(limits).workers(8);
    let (report, server) = paused().block_on(scenario.run_batch(1000));
    let per_min = report.succeeded as f64 / report.elapsed.as_secs_f64() * 60.0;
    println!(
        "simulated_creates_rate_pct={:.1} ok={} failed={} simulated_s={:.1} per_min={:.1} throttled={}",
        per_min / 6.0,
        report.succeeded,
        report.failed,
        report.elapsed.as_secs_f64(),
        per_min,
        server.throttled()
    );
}

fn simulated_creates(c: &mut Criterion) {
    let limits = Limits::per_minute(600).and_per_second(10);
    let scenario = Scenario::new(limits).configured(limits).workers(8);
    let mut g = c.benchmark_group("simulated_creates");
    g.sample_size(10);
    g.bench_function("1000_at_known_limit", |b| {
        b.iter(|| paused().block_on(scenario.run_batch(1000)))
    });
    g.finish();
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then
    // a quick pass checks that everything runs.
    let full = std::env::args().any(|a| a == "--bench");
    let rt = runtime();
    permit_headlines(&rt, if full { 50 } else { 1 });
    simulated_headline();
    if !full {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    permits(&mut c, &rt);
    simulated_creates(&mut c);
    c.final_summary();
}
