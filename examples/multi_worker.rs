//! Several worker processes creating users on one account, sharing its quota
//! through one Redis (`RedisStore`, feature `redis`).
//!
//! Rights: an API key that can create users (Configuration domain).
//!
//! Run against the simulator, limited like Opsgenie's Standard plan, and a
//! local Redis:
//!
//! ```text
//! cargo run --example sim_server -- --limit configuration=600/10    # prints OPSGENIE_API_URL/KEY
//! redis-server --port 6379 &
//! export OPSGENIE_API_URL=... OPSGENIE_API_KEY=... OPSGENIE_REDIS_URL=redis://127.0.0.1:6379/
//! cargo run --features redis --example multi_worker -- --workers 4 --users 150
//! ```
//!
//! The program starts `--workers` copies of itself (`--worker I`), each
//! creating `--users` users named `PREFIX-I-J@example.com` (`--prefix`,
//! default `mw`), and prints one line per worker plus the combined rate.
//! Without `OPSGENIE_REDIS_URL` (or with `--local`) each worker has only its
//! own limiter: they overshoot the quota together and draw 429s.
//! Each worker prints `worker I: created C failed F throttled T fallback SEEN
//! back BACK`, where SEEN says whether Redis was unreachable at some point
//! and BACK whether the worker returned to it afterwards.

use std::error::Error;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use opsgenie_users::models::user::UserCreate;
use opsgenie_users::ratelimit::{AdaptiveLimiter, LimiterConfig, RateLimiter, RedisStore};
use opsgenie_users::Client;

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

struct Args {
    workers: usize,
    users: usize,
    prefix: String,
    worker: Option<usize>,
    local: bool,
    concurrency: usize,
}

fn parse() -> Result<Args, Box<dyn Error>> {
    let mut a = Args {
        workers: 4,
        users: 150,
        prefix: "mw".into(),
        worker: None,
        local: false,
        concurrency: 4,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--workers" => a.workers = value()?.parse()?,
            "--users" => a.users = value()?.parse()?,
            "--prefix" => a.prefix = value()?,
            "--worker" => a.worker = Some(value()?.parse()?),
            "--concurrency" => a.concurrency = value()?.parse::<usize>()?.max(1),
            "--local" => a.local = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(a)
}

async fn run() -> Result<(), Box<dyn Error>> {
    let args = parse()?;
    match args.worker {
        Some(i) => worker(&args, i).await,
        None => parent(&args),
    }
}

/// Starts the workers, waits for them, prints their lines and the rate.
fn parent(args: &Args) -> Result<(), Box<dyn Error>> {
    let exe = std::env::current_exe()?;
    let start = Instant::now();
    let children = (0..args.workers)
        .map(|i| {
            let mut cmd = Command::new(&exe);
            cmd.args(["--worker", &i.to_string()])
                .args(["--users", &args.users.to_string()])
                .args(["--prefix", &args.prefix])
                .args(["--concurrency", &args.concurrency.to_string()])
                .stdout(Stdio::piped());
            if args.local {
                cmd.arg("--local");
            }
            cmd.spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut failed = 0;
    for child in children {
        let out = child.wait_with_output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            failed += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let total = args.workers * args.users;
    println!(
        "total: {total} users by {} workers in {secs:.1} s = {:.2} requests/s",
        args.workers,
        total as f64 / secs
    );
    if failed > 0 {
        return Err(format!("{failed} worker(s) failed").into());
    }
    Ok(())
}

/// Creates this worker's users, `concurrency` at a time.
async fn worker(args: &Args, index: usize) -> Result<(), Box<dyn Error>> {
    let key = std::env::var("OPSGENIE_API_KEY").map_err(|_| "OPSGENIE_API_KEY is not set")?;
    let mut builder = Client::builder().api_key(key);
    if let Ok(url) = std::env::var("OPSGENIE_API_URL") {
        builder = builder.base_url(url);
    }
    // `Client::from_env()` shares the quota the same way when
    // OPSGENIE_REDIS_URL is set; here the store is kept to report whether it
    // fell back, and the limiter to count the 429s.
    let store = match std::env::var("OPSGENIE_REDIS_URL") {
        Ok(url) if !args.local && !url.trim().is_empty() => Some(RedisStore::open(url.trim())?),
        _ => None,
    };
    let limiter = Arc::new(match &store {
        Some(store) => {
            AdaptiveLimiter::with_store(LimiterConfig::default(), Arc::new(store.clone()))
        }
        None => AdaptiveLimiter::default(),
    });
    // The client reads the advertised limits before its first call; with
    // the store, what one worker reads or learns from a 429 reaches all.
    let client = builder.rate_limiter(limiter.clone()).build()?;

    let seen = Arc::new(AtomicBool::new(false));
    let back = Arc::new(AtomicBool::new(false));
    let watch = store.clone().map(|store| {
        let (seen, back) = (seen.clone(), back.clone());
        tokio::spawn(async move {
            loop {
                if store.is_fallback() {
                    seen.store(true, Ordering::Relaxed);
                    back.store(false, Ordering::Relaxed);
                } else if seen.load(Ordering::Relaxed) {
                    back.store(true, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });

    let results: Vec<_> = futures::stream::iter(0..args.users)
        .map(|j| {
            let client = client.clone();
            let email = format!("{}-{index}-{j}@example.com", args.prefix);
            async move {
                let name = email.clone();
                client.users().create(UserCreate::new(email, name)).await
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    if let Some(w) = watch {
        w.abort();
    }
    let failed: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let throttled: u64 = limiter.stats().iter().map(|s| s.throttled).sum();
    println!(
        "worker {index}: created {} failed {} throttled {throttled} fallback {} back {}",
        results.len() - failed.len(),
        failed.len(),
        seen.load(Ordering::Relaxed),
        back.load(Ordering::Relaxed),
    );
    for e in &failed {
        eprintln!("worker {index}: {e}");
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("worker {index}: {} users not created", failed.len()).into())
    }
}
