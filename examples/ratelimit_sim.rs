//! Runs the rate-limit scenarios against a simulated Opsgenie server under a
//! paused clock (simulated minutes take milliseconds) and prints the figures
//! quoted in the README's "Rate limits" section.
//!
//! Run: `cargo run --example ratelimit_sim`
//!
//! `RUST_LOG=opsgenie_users=info` prints the limiter's limit changes and
//! statistics to stderr (`debug`: every simulated request; a lot).

use std::time::Duration;

use opsgenie_users::ratelimit::Limits;
use opsgenie_users_sim::ratelimit::Scenario;

#[path = "common/mod.rs"]
mod common;

const S: fn(u64) -> Duration = Duration::from_secs;

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    common::init_logging();
    println!("16 workers creating users back to back, 40 ms latency each way\n");

    let known = Limits::per_minute(600).and_per_second(10);
    let r = Scenario::new(known).configured(known).run().await;
    println!("1. Limit known (600/min + 10/s), 10 minutes");
    println!(
        "   accepted {} of 6000 = {:.1} % of quota (target >= 97 %), 429s: {} (target 0)",
        r.accepted,
        r.accepted as f64 / 60.0,
        r.throttled
    );
    println!("   per minute: {:?}\n", r.per_minute);

    let r = Scenario::new(Limits::per_minute(74))
        .configured(Limits::per_minute(120))
        .run()
        .await;
    let worst = r.min_rolling_minute(S(180), S(540));
    println!("2. Configured 120/min, server enforces 74/min, 10 minutes");
    println!("   429s in total: {} (target <= 10)", r.throttled);
    println!(
        "   worst rolling minute from 180 s on: {worst} = {:.1} % of 74 (target >= 90 %)",
        worst as f64 / 0.74
    );
    println!(
        "   every rolling minute from {:?} on gets >= 90 % (target <= 180 s)",
        r.sustained_from(67, S(540))
    );
    println!("   per minute: {:?}\n", r.per_minute);

    let r = Scenario::new(Limits::per_minute(74)).run().await;
    println!("3. Nothing configured (adaptive), server enforces 74/min, 10 minutes");
    println!(
        "   429s in total: {}, every rolling minute from {:?} on gets >= 90 %",
        r.throttled,
        r.sustained_from(67, S(540))
    );
    println!("   per minute: {:?}\n", r.per_minute);

    let raise = S(300);
    let r = Scenario::new(Limits::per_minute(74))
        .change_at(raise, Limits::per_minute(148))
        .duration(S(720))
        .run()
        .await;
    let reached = r
        .first_minute_with(134, raise, S(720))
        .map(|t| t - raise + S(60));
    println!("4. Server raises 74/min to 148/min at 300 s, 12 minutes");
    println!("   a full minute at >= 90 % of 148 completed {reached:?} after the increase (target <= 300 s)");
    println!(
        "   429s in total: {}; per minute: {:?}\n",
        r.throttled, r.per_minute
    );

    let (b, server) = Scenario::new(known)
        .configured(known)
        .workers(8)
        .run_batch(1000)
        .await;
    let rate = b.succeeded as f64 / b.elapsed.as_secs_f64() * 60.0;
    println!("5. 1,000 creates at a known 600/min + 10/s, 8 workers");
    println!(
        "   {} ok, {} failed in {:.1} s simulated: {:.1}/min = {:.1} % of the limit, 429s: {}",
        b.succeeded,
        b.failed,
        b.elapsed.as_secs_f64(),
        rate,
        rate / 6.0,
        server.throttled()
    );
}
