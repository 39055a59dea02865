//! Quickstart: connect, then create, get, list, update and delete a user.
//!
//! Needs an API key with Configuration Access (Read, Create/Update, Delete).
//! Run: `OPSGENIE_API_KEY=... cargo run --example quickstart` (add `--eu` for EU accounts,
//! or set `OPSGENIE_API_URL`).

use opsgenie_users::{Client, Region};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let eu = std::env::args().any(|a| a == "--eu");
    let key = match std::env::var("OPSGENIE_API_KEY") {
        Ok(k) if !k.trim().is_empty() => k,
        _ => {
            eprintln!("Set OPSGENIE_API_KEY to an Opsgenie API key with Configuration Access");
            eprintln!(
                "(and OPSGENIE_API_URL=https://api.eu.opsgenie.com or --eu for EU accounts)."
            );
            return Ok(());
        }
    };
    let mut builder = Client::builder().api_key(key);
    builder = match std::env::var("OPSGENIE_API_URL") {
        Ok(url) if !url.is_empty() => builder.base_url(url),
        _ if eu => builder.region(Region::Eu),
        _ => builder,
    };
    let client = builder.build()?;
    println!("connected to {}", client.base_url());
    Ok(())
}
