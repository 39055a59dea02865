//! Runs the rate-limit scenarios against a simulated Opsgenie server under a
//! paused clock (simulated minutes take milliseconds) and prints the figures
//! quoted in the README's "Rate limits" section.
//!
//! Run: `cargo run --example ratelimit_sim`
//!
//! * `--markdown`: prints the README's rate-limit table instead (what
//!   `scripts/perf-report.sh` puts in the README).
//! * `--svg PATH`: also draws the achieved rate over time against the
//!   limit, each 429 marked, for a known limit, an unknown limit and a limit
//!   raised mid-run (`docs/ratelimit.svg`).
//!
//! `RUST_LOG=opsgenie_users=info` prints the limiter's limit changes and
//! statistics to stderr (`debug`: every simulated request; a lot).

use std::time::Duration;

use opsgenie_users::ratelimit::Limits;
use opsgenie_users_sim::ratelimit::{Scenario, ScenarioReport};

#[path = "common/mod.rs"]
mod common;

const S: fn(u64) -> Duration = Duration::from_secs;

/// A duration as `225 s`, or `none` (the README's spelling).
fn secs(d: Option<Duration>) -> String {
    d.map_or("none".into(), |d| format!("{} s", d.as_secs()))
}

/// `5880` as `5,880`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    common::init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let markdown = args.iter().any(|a| a == "--markdown");
    let svg = args
        .iter()
        .position(|a| a == "--svg")
        .and_then(|i| args.get(i + 1).cloned());

    let known = Limits::per_minute(600).and_per_second(10);
    let r1 = Scenario::new(known).configured(known).run().await;
    let r2 = Scenario::new(Limits::per_minute(74))
        .configured(Limits::per_minute(120))
        .run()
        .await;
    let r3 = Scenario::new(Limits::per_minute(74)).run().await;
    let raise = S(300);
    let r4 = Scenario::new(Limits::per_minute(74))
        .change_at(raise, Limits::per_minute(148))
        .duration(S(720))
        .run()
        .await;
    let (b, server) = Scenario::new(known)
        .configured(known)
        .workers(8)
        .run_batch(1000)
        .await;

    let worst2 = r2.min_rolling_minute(S(180), S(540));
    let sustained2 = r2.sustained_from(67, S(540));
    let sustained3 = r3.sustained_from(67, S(540));
    let reached4 = r4
        .first_minute_with(134, raise, S(720))
        .map(|t| t - raise + S(60));
    let rate5 = b.succeeded as f64 / b.elapsed.as_secs_f64() * 60.0;

    if markdown {
        println!("| Scenario | Target | Measured |");
        println!("|---|---|---|");
        println!(
            "| Limit known (600/min + 10/s), 10 min | 0 × 429, ≥ 97 % of quota | {} × 429, {} / 6,000 = {:.1} % |",
            r1.throttled,
            thousands(r1.accepted),
            r1.accepted as f64 / 60.0
        );
        println!(
            "| Configured 120/min, server enforces 74/min, 10 min | ≤ 10 × 429, ≥ 90 % sustained within 180 s | {} × 429; every rolling minute from {} on ≥ 90 % (worst after 180 s: {worst2} = {:.0} %) |",
            r2.throttled,
            secs(sustained2),
            worst2 as f64 / 0.74
        );
        println!(
            "| Nothing configured, server enforces 74/min, 10 min | (no target) | {} × 429; every rolling minute from {} on ≥ 90 % |",
            r3.throttled,
            secs(sustained3)
        );
        println!(
            "| Server raises 74 → 148/min at 5 min | climbs back within 5 min | a full minute at ≥ 90 % of 148 completed {} after the increase; {} × 429 |",
            secs(reached4),
            r4.throttled
        );
        println!(
            "| 1,000 creates at a known 600/min + 10/s, 8 workers | (report) | {:.1} s simulated, {rate5:.1}/min = {:.1} % of the limit, {} × 429 |",
            b.elapsed.as_secs_f64(),
            rate5 / 6.0,
            server.throttled()
        );
    } else {
        println!("16 workers creating users back to back, 40 ms latency each way\n");
        println!("1. Limit known (600/min + 10/s), 10 minutes");
        println!(
            "   accepted {} of 6000 = {:.1} % of quota (target >= 97 %), 429s: {} (target 0)",
            r1.accepted,
            r1.accepted as f64 / 60.0,
            r1.throttled
        );
        println!("   per minute: {:?}\n", r1.per_minute);
        println!("2. Configured 120/min, server enforces 74/min, 10 minutes");
        println!("   429s in total: {} (target <= 10)", r2.throttled);
        println!(
            "   worst rolling minute from 180 s on: {worst2} = {:.1} % of 74 (target >= 90 %)",
            worst2 as f64 / 0.74
        );
        println!("   every rolling minute from {sustained2:?} on gets >= 90 % (target <= 180 s)");
        println!("   per minute: {:?}\n", r2.per_minute);
        println!("3. Nothing configured (adaptive), server enforces 74/min, 10 minutes");
        println!(
            "   429s in total: {}, every rolling minute from {sustained3:?} on gets >= 90 %",
            r3.throttled
        );
        println!("   per minute: {:?}\n", r3.per_minute);
        println!("4. Server raises 74/min to 148/min at 300 s, 12 minutes");
        println!("   a full minute at >= 90 % of 148 completed {reached4:?} after the increase (target <= 300 s)");
        println!(
            "   429s in total: {}; per minute: {:?}\n",
            r4.throttled, r4.per_minute
        );
        println!("5. 1,000 creates at a known 600/min + 10/s, 8 workers");
        println!(
            "   {} ok, {} failed in {:.1} s simulated: {rate5:.1}/min = {:.1} % of the limit, 429s: {}",
            b.succeeded,
            b.failed,
            b.elapsed.as_secs_f64(),
            rate5 / 6.0,
            server.throttled()
        );
    }

    if let Some(path) = svg {
        let panels = [
            chart::Panel::new("Limit known: 600/min + 10/s, configured", &r1, |_| 600.0),
            chart::Panel::new(
                "Limit unknown: the server enforces 74/min, nothing configured",
                &r3,
                |_| 74.0,
            ),
            chart::Panel::new(
                "Limit raised mid-run: 74/min, then 148/min from 300 s",
                &r4,
                move |t| if t < raise.as_secs_f64() { 74.0 } else { 148.0 },
            ),
        ];
        match chart::draw(&path, &panels) {
            Ok(()) => eprintln!("wrote {path}"),
            Err(e) => {
                eprintln!("error: cannot draw {path}: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// The SVG: one panel per scenario, requests accepted in the trailing
/// minute (the server's own rolling window) against the per-minute limit.
mod chart {
    use plotters::prelude::*;

    use super::ScenarioReport;

    pub struct Panel {
        title: &'static str,
        /// (seconds, requests accepted in the 60 s before).
        rate: Vec<(f64, f64)>,
        /// (seconds, per-minute limit).
        limit: Vec<(f64, f64)>,
        /// (seconds, rate then) of each 429.
        throttled: Vec<(f64, f64)>,
        end: f64,
    }

    impl Panel {
        pub fn new(title: &'static str, r: &ScenarioReport, limit: impl Fn(f64) -> f64) -> Panel {
            let accepted: Vec<f64> = r
                .accepted_offsets()
                .iter()
                .map(|d| d.as_secs_f64())
                .collect();
            let end = (r.per_minute.len() * 60) as f64;
            // Requests accepted in (t - 60, t], by two pointers over the arrivals.
            let trailing = |t: f64| {
                let hi = accepted.partition_point(|a| *a <= t);
                let lo = accepted.partition_point(|a| *a <= t - 60.0);
                (hi - lo) as f64
            };
            let rate = (0..=end as usize)
                .map(|s| (s as f64, trailing(s as f64)))
                .collect();
            let limit = (0..=end as usize)
                .map(|s| (s as f64, limit(s as f64)))
                .collect();
            let throttled = r
                .throttled_offsets()
                .iter()
                .map(|d| (d.as_secs_f64(), trailing(d.as_secs_f64())))
                .collect();
            Panel {
                title,
                rate,
                limit,
                throttled,
                end,
            }
        }
    }

    pub fn draw(path: &str, panels: &[Panel]) -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path, (900, 300 * panels.len() as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        for (area, p) in root.split_evenly((panels.len(), 1)).iter().zip(panels) {
            let top = p.limit.iter().map(|l| l.1).fold(0.0, f64::max) * 1.2;
            let mut chart = ChartBuilder::on(area)
                .caption(p.title, ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(0f64..p.end, 0f64..top)?;
            chart
                .configure_mesh()
                .x_desc("simulated time (s)")
                .y_desc("accepted in the last 60 s")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .light_line_style(WHITE)
                .draw()?;
            let red = RGBColor(200, 30, 30);
            let blue = RGBColor(30, 90, 200);
            chart
                .draw_series(LineSeries::new(
                    p.limit.iter().copied(),
                    red.stroke_width(2),
                ))?
                .label("limit per minute")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2))
                });
            chart
                .draw_series(LineSeries::new(
                    p.rate.iter().copied(),
                    blue.stroke_width(2),
                ))?
                .label("achieved (rolling minute)")
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2))
                });
            chart
                .draw_series(
                    p.throttled
                        .iter()
                        .map(|&pt| Cross::new(pt, 5, BLACK.stroke_width(2))),
                )?
                .label(format!("429 ({})", p.throttled.len()))
                .legend(|(x, y)| Cross::new((x + 10, y), 5, BLACK.stroke_width(2)));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
        Ok(())
    }
}
