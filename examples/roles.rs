//! Create or update custom user roles from a JSON file, so role definitions
//! live in version control.
//!
//! Key rights: Configuration Access with Read and Create/Update.
//!
//! The file is a list of roles as the API describes them:
//!
//! ```json
//! [
//!   {"name": "Responder", "extendedRole": "user", "grantedRights": ["logs-page-access"]},
//!   {"name": "Auditor", "extendedRole": "observer", "disallowedRights": ["reports-access"]}
//! ]
//! ```
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example roles -- roles.json [--dry-run]
//! ```
//!
//! Against the simulator: start `cargo run --example sim_server`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the
//! command above. Names are case-sensitive and matched exactly; rights are
//! compared as sets and any right string is accepted (the API's list grows).
//! Roles missing from the file are left alone.
//!
//! `RUST_LOG=opsgenie_users=debug` prints every request, rate-limit wait and
//! retry to stderr.

use std::collections::BTreeSet;

use opsgenie_users::models::role::{CustomRole, CustomRoleWrite, ExtendedRole, Right};
use opsgenie_users::Client;
use serde::Deserialize;

#[path = "common/mod.rs"]
mod common;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Desired {
    name: String,
    #[serde(default = "default_extended")]
    extended_role: String,
    #[serde(default)]
    granted_rights: Vec<String>,
    #[serde(default)]
    disallowed_rights: Vec<String>,
}

fn default_extended() -> String {
    "user".into()
}

fn set(rights: &[Right]) -> BTreeSet<&str> {
    rights.iter().map(Right::as_str).collect()
}

fn strings(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// What differs between the file and the account, by field name.
fn differences(want: &Desired, have: &CustomRole) -> Vec<&'static str> {
    let mut d = Vec::new();
    if have.extended_role.as_ref().map(|e| e.as_str()) != Some(want.extended_role.as_str()) {
        d.push("extendedRole");
    }
    if set(&have.granted_rights) != strings(&want.granted_rights) {
        d.push("grantedRights");
    }
    if set(&have.disallowed_rights) != strings(&want.disallowed_rights) {
        d.push("disallowedRights");
    }
    d
}

fn rights(names: &[String]) -> Vec<Right> {
    names.iter().map(|r| Right::new(r.as_str())).collect()
}

fn write(want: &Desired, base: CustomRoleWrite) -> CustomRoleWrite {
    base.extended_role(ExtendedRole::from(want.extended_role.as_str()))
        .granted_rights(rights(&want.granted_rights))
        .disallowed_rights(rights(&want.disallowed_rights))
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        return Err("usage: roles FILE.json [--dry-run]".into());
    };
    let desired: Vec<Desired> = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let client = Client::from_env()?;
    let existing = client.roles().list().await?;
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for want in &desired {
        match existing.iter().find(|r| r.name == want.name) {
            None => {
                println!("create    {} (extends {})", want.name, want.extended_role);
                if !dry_run {
                    client
                        .roles()
                        .create(write(want, CustomRoleWrite::new(want.name.as_str())))
                        .await?;
                }
                created += 1;
            }
            Some(have) => {
                let diff = differences(want, have);
                if diff.is_empty() {
                    println!("unchanged {}", want.name);
                    unchanged += 1;
                    continue;
                }
                println!("update    {} ({})", want.name, diff.join(", "));
                if !dry_run {
                    // Read, change, PUT the complete role.
                    client
                        .roles()
                        .update(&have.id)
                        .extended_role(ExtendedRole::from(want.extended_role.as_str()))
                        .granted_rights(rights(&want.granted_rights))
                        .disallowed_rights(rights(&want.disallowed_rights))
                        .await?;
                }
                updated += 1;
            }
        }
    }
    println!(
        "{}created={created} updated={updated} unchanged={unchanged}",
        if dry_run { "dry run: " } else { "" }
    );
    Ok(())
}
