//! What every example program shares: logging chosen by `RUST_LOG`, an
//! error report a person reads, and a progress bar with rate and time left.
//!
//! An example includes it with `#[path = "common/mod.rs"] mod common;` and
//! starts like this:
//!
//! ```ignore
//! #[tokio::main]
//! async fn main() {
//!     common::init_logging();
//!     if let Err(e) = run().await {
//!         common::exit_with(&*e, 1);
//!     }
//! }
//! ```
//!
//! Logs and the progress bar go to stderr, so stdout holds only the
//! program's own output (and can be piped).

// Each example uses the part it needs.
#![allow(dead_code)]

use std::error::Error;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

#[cfg(feature = "atlassian")]
pub mod atlassian;

/// The bar being drawn, if any: log lines are written while it is
/// suspended, so they scroll above it instead of tearing it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn current_bar() -> Option<ProgressBar> {
    BAR.lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .filter(|b| !b.is_finished() && !b.is_hidden())
}

/// Sends the SDK's `tracing` events to stderr, filtered by `RUST_LOG`:
/// `RUST_LOG=opsgenie_users=debug` shows every request sent and answered,
/// each wait for a rate-limit slot, each retry and the limiter's statistics;
/// `RUST_LOG=opsgenie_users=info` only retries, limit changes and statistics.
/// Off when `RUST_LOG` is unset or empty.
pub fn init_logging() {
    let spec = match std::env::var("RUST_LOG") {
        Ok(s) if !s.trim().is_empty() => s,
        _ => return,
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&spec) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("warning: ignoring RUST_LOG={spec:?}: {e}");
            return;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(|| LogWriter)
        .init();
}

/// stderr, with the progress bar (if one is drawn) cleared while a log line
/// is written. Each event arrives as one `write_all`.
struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match current_bar() {
            Some(bar) => bar.suspend(|| io::stderr().write(buf)),
            None => io::stderr().write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match current_bar() {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf)),
            None => io::stderr().write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// A progress bar on stderr showing position, rate and time left
/// (`len` may be 0 until known: set it with `set_length`). indicatif hides it
/// when stderr is not a terminal, so pipes and tests see nothing of it.
/// Print to stdout through `bar.suspend(|| println!(..))` while it is drawn.
pub fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} {per_sec:1} ETA {eta} [{elapsed}] {wide_msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    *BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
    bar
}

/// The report of a failure: `error: <Display>`, then one `  caused by: ...`
/// line per `source()` in the chain. A cause whose text the line above
/// already contains is not repeated.
pub fn report(error: &(dyn Error + 'static)) -> String {
    let mut last = error.to_string();
    let mut out = format!("error: {last}\n");
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !last.contains(&text) {
            out.push_str(&format!("  caused by: {text}\n"));
        }
        last = text;
        source = cause.source();
    }
    out
}

/// Prints [`report`] to stderr (below the progress bar, which stops where it
/// was) and exits with `code`.
pub fn exit_with(error: &(dyn Error + 'static), code: i32) -> ! {
    if let Some(bar) = current_bar() {
        bar.abandon();
    }
    eprint!("{}", report(error));
    std::process::exit(code)
}
