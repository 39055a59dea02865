//! Builds the example programs once per test binary and finds them, for the
//! tests that run an example as a program (`tests/examples.rs`,
//! `tests/migration_check.rs`, `tests/jsm_offboard.rs`, `tests/redis_store.rs`).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The path of example `name`, after one `cargo build --all-features
/// --examples` (the same build the suite uses, so nothing is rebuilt).
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        // The variables cargo sets for a running test would make this nested
        // build look different from a plain one and rebuild dependencies.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            let keep = matches!(k.as_str(), "CARGO_HOME" | "CARGO_TARGET_DIR")
                || k.starts_with("CARGO_BUILD_")
                || k.starts_with("CARGO_REGISTRIES_")
                || k.starts_with("CARGO_NET_");
            if (k.starts_with("CARGO_") && !keep) || k == "LD_LIBRARY_PATH" || k == "OUT_DIR" {
                cmd.env_remove(&k);
            }
        }
        let status = cmd
            .args(["build", "--all-features", "--examples", "--quiet"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
    });
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("debug").join("examples").join(name)
}

/// Runs example `name` with `args`, the Opsgenie and Atlassian variables of
/// this environment removed and `env` set instead (logging off).
pub async fn run_example(name: &str, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.args(args);
    for var in [
        "OPSGENIE_API_KEY",
        "OPSGENIE_API_URL",
        "ATLASSIAN_ORG_ID",
        "ATLASSIAN_ADMIN_KEY",
        "ATLASSIAN_DIRECTORY_ID",
        "ATLASSIAN_SITE",
        "ATLASSIAN_SITE_URL",
        "ATLASSIAN_EMAIL",
        "ATLASSIAN_API_TOKEN",
        "ATLASSIAN_API_URL",
        "JSM_CLOUD_ID",
        "JSM_BASE_URL",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    tokio::task::spawn_blocking(move || cmd.output().expect("example runs"))
        .await
        .unwrap()
}

/// The variables that point an example at the Atlassian simulator `atl`
/// (Admin, Teams and JSM Operations).
#[cfg(feature = "atlassian")]
pub fn atlassian_env(
    atl: &opsgenie_users_sim::atlassian::AtlassianServer,
) -> Vec<(&'static str, String)> {
    vec![
        ("ATLASSIAN_ORG_ID", atl.org_id().to_string()),
        ("ATLASSIAN_ADMIN_KEY", atl.admin_key().to_string()),
        ("ATLASSIAN_API_URL", atl.url().to_string()),
        ("ATLASSIAN_SITE_URL", atl.url().to_string()),
        ("ATLASSIAN_EMAIL", atl.email().to_string()),
        ("ATLASSIAN_API_TOKEN", atl.api_token().to_string()),
        ("JSM_BASE_URL", atl.jsm_url()),
    ]
}
