//! Quickstart: connect, then create, get, list, update and delete a user.
//!
//! Needs an API key with Configuration Access (Read, Create/Update, Delete).
//! Run: `OPSGENIE_API_KEY=... cargo run --example quickstart` (add `--eu` for EU accounts,
//! or set `OPSGENIE_API_URL`).

use opsgenie_users::api::users::{UserCreate, UserUpdate};
use opsgenie_users::models::user::Role;
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

    let users = client.users();
    // A throwaway user, created without an invitation e-mail and deleted at the end.
    let username = format!("quickstart-{}@example.com", fastrand::u32(..));
    let created = users
        .create_checked(
            UserCreate::new(username.as_str(), "Quickstart User")
                .role(Role::Observer)
                .time_zone("US/Arizona")
                .invitation_disabled(true),
        )
        .await?;
    println!("created {} ({})", created.user.username, created.write.id);
    for m in &created.mismatches {
        println!("  did not stick: {} {m:?}", m.field());
    }

    let jane = users.get(&created.write.id).expand_contacts().await?;
    println!(
        "got {}: role {:?}, time zone {:?}, {} contacts",
        jane.username,
        jane.role_name(),
        jane.time_zone,
        jane.contacts.as_ref().map_or(0, Vec::len)
    );

    let page = users.list().limit(10).send().await?;
    println!(
        "first page: {} of {:?} users",
        page.items.len(),
        page.total_count
    );

    users
        .update(
            &jane.id,
            UserUpdate::new().full_name("Quickstart User (renamed)"),
        )
        .await?;
    println!("teams: {:?}", users.teams(&jane.id).await?);

    users.delete(&jane.id).await?;
    println!("deleted {}", jane.username);
    Ok(())
}
