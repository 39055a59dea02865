//! Runs the embedded Opsgenie simulator as a process, for trying tools and
//! scripts against it (no Opsgenie account needed).
//!
//! Rights: none; it prints a full-rights API key for the simulated account.
//!
//! Run: `cargo run --example sim_server -- --users 50 --teams 3 --schedules 2`
//! It prints `OPSGENIE_API_URL=...`, `OPSGENIE_API_KEY=...`, `OPSGENIE_SCIM_URL=...` and
//! `OPSGENIE_SCIM_TOKEN=...` lines (ready for `export`), then serves until killed.
//! Other flags: `--port N` (default: a free one), `--api-key K`, `--scim-token T`,
//! `--rng-seed N`, `--limit DOMAIN=PER_MINUTE/PER_SECOND` (e.g. `--limit configuration=74/10`;
//! repeatable), `--faults RATE:SEED` (e.g. `--faults 0.05:1`: 5 % of the requests faulted
//! with seed 1, see `RandomFaults`). `GET /v2/request-limits/` advertises the enforced limits unless
//! `--advertise DOMAIN=PER_MINUTE/PER_SECOND` (repeatable) advertises others, or
//! `--no-request-limits` makes it answer 404. `--background DOMAIN=PER_SECOND`
//! adds another consumer of that domain's quota (a second tool or replica).
//!
//! Stopped with Ctrl-C or SIGTERM, it prints what it served, counted on the
//! server's side: requests and 429s per domain, and the user creates (sent,
//! applied, refused because the username existed, faulted).
//!
//! The figures of the README's "Rate limits" section come from runs against
//! `--limit configuration=600/10 --limit search=300/5`.
//!
//! It honours `RUST_LOG` like the other examples, but the simulator logs
//! nothing of its own: run the client with `RUST_LOG=opsgenie_users=debug`
//! to watch the requests from its side.

use std::net::SocketAddr;

use opsgenie_users::ratelimit::Limits;
use opsgenie_users::Domain;
use opsgenie_users_sim::{Fault, RandomFaults, RequestLimits, Seed, Server};

#[path = "common/mod.rs"]
mod common;

fn parse_limit(spec: &str) -> Result<(Domain, Limits), String> {
    let (domain, nums) = spec
        .split_once('=')
        .ok_or_else(|| format!("--limit {spec}: expected DOMAIN=PER_MINUTE/PER_SECOND"))?;
    let domain = Domain::parse(domain).ok_or_else(|| format!("unknown domain {domain}"))?;
    let (pm, ps) = nums
        .split_once('/')
        .ok_or_else(|| format!("--limit {spec}: expected PER_MINUTE/PER_SECOND"))?;
    let num = |s: &str| s.parse::<u32>().map_err(|e| format!("--limit {spec}: {e}"));
    Ok((
        domain,
        Limits::per_minute(num(pm)?).and_per_second(num(ps)?),
    ))
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Server::builder();
    let mut seed = Seed::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => {
                builder = builder.bind(SocketAddr::from(([127, 0, 0, 1], value()?.parse()?)))
            }
            "--users" => seed = seed.users(value()?.parse()?),
            "--teams" => seed = seed.teams(value()?.parse()?),
            "--schedules" => seed = seed.schedules(value()?.parse()?),
            "--api-key" => builder = builder.api_key(value()?),
            "--scim-token" => builder = builder.scim_token(value()?),
            "--rng-seed" => builder = builder.rng_seed(value()?.parse()?),
            "--faults" => {
                let spec = value()?;
                let (rate, seed) = spec.split_once(':').unwrap_or((spec.as_str(), "1"));
                builder = builder.random_faults(RandomFaults::new(rate.parse()?, seed.parse()?));
            }
            "--limit" => {
                let (domain, limit) = parse_limit(&value()?)?;
                builder = builder.limit(domain, limit);
            }
            "--advertise" => {
                let (domain, limit) = parse_limit(&value()?)?;
                builder = builder.advertise(domain, limit);
            }
            "--no-request-limits" => builder = builder.request_limits(RequestLimits::NotFound),
            "--background" => {
                let spec = value()?;
                let (domain, rate) = spec
                    .split_once('=')
                    .ok_or_else(|| format!("--background {spec}: expected DOMAIN=PER_SECOND"))?;
                let domain =
                    Domain::parse(domain).ok_or_else(|| format!("unknown domain {domain}"))?;
                builder = builder.background_load(domain, rate.parse()?);
            }
            "-h" | "--help" => {
                println!("usage: sim_server [--port N] [--users N] [--teams N] [--schedules N] [--api-key K] [--scim-token T] [--rng-seed N] [--limit DOMAIN=PER_MINUTE/PER_SECOND]... [--faults RATE:SEED] [--advertise DOMAIN=PER_MINUTE/PER_SECOND]... [--no-request-limits] [--background DOMAIN=PER_SECOND]...");
                return Ok(());
            }
            other => return Err(format!("unknown flag {other} (try --help)").into()),
        }
    }
    let server = builder.seed(seed).start().await?;
    println!("OPSGENIE_API_URL={}", server.url());
    println!("OPSGENIE_API_KEY={}", server.api_key());
    println!("OPSGENIE_SCIM_URL={}", server.scim_url());
    println!("OPSGENIE_SCIM_TOKEN={}", server.scim_token());
    eprintln!(
        "simulator serving {} users; stop it with Ctrl-C",
        server.users().len()
    );
    stopped().await;
    eprint!("{}", report(&server));
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one (`kill`, a CI script).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The server's own account of the run, from its request log.
fn report(server: &Server) -> String {
    use std::collections::BTreeMap;
    use std::fmt::Write;

    let log = server.requests();
    let mut per_domain: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in &log {
        let e = per_domain.entry(r.domain.to_string()).or_default();
        e.0 += 1;
        e.1 += usize::from(r.throttled);
    }
    let creates: Vec<_> = log
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/users")
        .collect();
    let served = |status: u16| creates.iter().filter(|r| r.served == Some(status)).count();
    let faulted: Vec<_> = creates.iter().filter_map(|r| r.fault.as_ref()).collect();
    let delayed = faulted
        .iter()
        .filter(|f| matches!(f, Fault::Delay(_)))
        .count();
    let hidden = faulted.iter().filter(|f| f.applies()).count() - delayed;
    let mut out = format!("served {} requests\n", log.len());
    for (domain, (n, throttled)) in per_domain {
        let _ = writeln!(out, "  {domain}: {n} requests, {throttled} x 429");
    }
    let _ = writeln!(
        out,
        "user creates: {} sent, {} applied (201), {} for an existing username (422), {} x 429; \
         faulted: {delayed} delayed, {hidden} applied behind a failed answer, {} not applied",
        creates.len(),
        served(201),
        served(422),
        creates.iter().filter(|r| r.throttled).count(),
        faulted.len() - delayed - hidden,
    );
    let _ = writeln!(out, "users now: {}", server.users().len());
    out
}
