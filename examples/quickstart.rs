//! Quickstart: create, get, list (as a stream), update and delete a user.
//!
//! With `OPSGENIE_API_KEY` set it talks to your account (`OPSGENIE_API_URL`
//! overrides the base URL; `--eu` picks `https://api.eu.opsgenie.com`). It
//! creates `quickstart-<random>@example.com` with invitations disabled and
//! deletes it again. The key needs Configuration Access with Read,
//! Create/Update and Delete.
//!
//! Without a key it starts the built-in simulator (seeded with 25 users and
//! 2 teams) and runs the same steps against it:
//!
//! ```sh
//! cargo run --example quickstart
//! OPSGENIE_API_KEY=... cargo run --example quickstart -- --eu
//! ```
//!
//! `RUST_LOG=opsgenie_users=debug` prints every request, rate-limit wait and
//! retry to stderr.

use futures::TryStreamExt;
use opsgenie_users::models::user::Role;
use opsgenie_users::models::user::{UserCreate, UserUpdate};
use opsgenie_users::{Client, Region};
use opsgenie_users_sim::{Seed, Server};

#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let eu = std::env::args().any(|a| a == "--eu");
    // Keep the simulator alive until the end of `main` when we use it.
    let (client, _simulator) = match std::env::var("OPSGENIE_API_KEY") {
        Ok(key) if !key.trim().is_empty() => {
            let mut b = Client::builder().api_key(key.trim());
            b = match std::env::var("OPSGENIE_API_URL") {
                Ok(url) if !url.trim().is_empty() => b.base_url(url.trim()),
                _ if eu => b.region(Region::Eu),
                _ => b,
            };
            (b.build()?, None)
        }
        _ => {
            println!("OPSGENIE_API_KEY is not set: using the built-in simulator.");
            println!("(Set OPSGENIE_API_KEY, and OPSGENIE_API_URL or --eu for EU accounts, to use your account.)");
            let sim = Server::builder()
                .seed(Seed::new().users(25).teams(2))
                .start()
                .await?;
            (sim.client(), Some(sim))
        }
    };
    println!("API: {}", client.base_url());
    let users = client.users();

    // 1. Create (no invitation e-mail).
    let username = format!("quickstart-{:06x}@example.com", fastrand::u32(..0xff_ffff));
    let created = users
        .create(
            UserCreate::new(username.as_str(), "Quickstart User")
                .role(Role::User)
                .invitation_disabled(true),
        )
        .await?;
    println!("created  {} (id {})", created.username, created.id);

    // 2. Get, with the contacts expanded.
    let user = users.get(&created.id).expand_contacts().await?;
    println!(
        "get      {} role={} contacts={}",
        user.username,
        user.role
            .as_ref()
            .map(|r| r.name.to_string())
            .unwrap_or_default(),
        user.contacts.as_ref().map_or(0, Vec::len)
    );

    // 3. List every user as a stream: pages of 100 are fetched as you go.
    let mut stream = users.list().limit(100).stream();
    let mut count = 0usize;
    while let Some(u) = stream.try_next().await? {
        if count < 3 {
            println!("list     {}", u.username);
        }
        count += 1;
    }
    println!("list     {count} users in total");

    // 4. Update (only the fields set are sent).
    users
        .update(
            &created.id,
            UserUpdate::new()
                .full_name("Quickstart User (renamed)")
                .time_zone("Europe/Berlin"),
        )
        .await?;
    let user = users.get(&created.id).await?;
    println!(
        "updated  fullName={:?} timeZone={:?}",
        user.full_name.unwrap_or_default(),
        user.time_zone.unwrap_or_default()
    );

    // 5. Delete.
    users.delete(&created.id).await?;
    println!("deleted  {}", created.username);
    Ok(())
}
