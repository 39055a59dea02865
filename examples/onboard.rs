//! Onboard one person: create the user with a checked role, add them to
//! teams with a team role, add notification contacts, then verify it all by
//! reading back.
//!
//! Key rights: Configuration Access with Read and Create/Update.
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example onboard -- jane@example.com "Jane Doe" \
//!     --role Admin --team Platform:admin --team Payments --sms 1-555-0100 --no-invite
//! ```
//!
//! Against the simulator: start `cargo run --example sim_server -- --teams 2`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the
//! command above with `--team team-01:admin`.
//!
//! Role names are case-sensitive and Opsgenie silently turns an unknown role
//! into `User`: the role is checked against the built-in and custom roles
//! before anything is created, and the created user is read back. Exit
//! status: 0 done, 1 refused or failed, 2 done but something did not stick.
//!
//! `RUST_LOG=opsgenie_users=debug` prints every request, rate-limit wait and
//! retry to stderr.

use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
use opsgenie_users::models::team::TeamRole;
use opsgenie_users::models::user::Role;
use opsgenie_users::models::user::UserCreate;
use opsgenie_users::Client;

#[path = "common/mod.rs"]
mod common;

struct Args {
    username: String,
    full_name: String,
    role: Role,
    teams: Vec<(String, TeamRole)>,
    contacts: Vec<(ContactMethod, String)>,
    no_invite: bool,
}

fn parse() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut args = Args {
        username: String::new(),
        full_name: String::new(),
        role: Role::User,
        teams: Vec::new(),
        contacts: Vec::new(),
        no_invite: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--role" => args.role = Role::from(value()?),
            "--team" => {
                let v = value()?;
                let (team, role) = match v.rsplit_once(':') {
                    Some((t, r)) => (t.to_string(), TeamRole::from(r)),
                    None => (v, TeamRole::User),
                };
                args.teams.push((team, role));
            }
            "--sms" => args.contacts.push((ContactMethod::Sms, value()?)),
            "--voice" => args.contacts.push((ContactMethod::Voice, value()?)),
            "--email" => args.contacts.push((ContactMethod::Email, value()?)),
            "--no-invite" => args.no_invite = true,
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
            _ => positional.push(a),
        }
    }
    match <[String; 2]>::try_from(positional) {
        Ok([u, f]) => {
            args.username = u;
            args.full_name = f;
            Ok(args)
        }
        Err(_) => Err("usage: onboard USERNAME \"FULL NAME\" [--role ROLE] [--team TEAM[:ROLE]]... [--sms N] [--voice N] [--email ADDR] [--no-invite]".into()),
    }
}

#[tokio::main]
async fn main() {
    common::init_logging();
    let code = match run().await {
        Ok(true) => 0,
        Ok(false) => 2,
        Err(e) => common::exit_with(&*e, 1),
    };
    std::process::exit(code);
}

/// Ok(true): everything stuck; Ok(false): done with differences.
async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let args = parse()?;
    let client = Client::from_env()?;
    let mut clean = true;

    // 1. Check the role exists, exactly as spelled.
    if let Role::Custom(name) = &args.role {
        let custom = client.roles().list().await?;
        if !custom.iter().any(|r| &r.name == name) {
            let builtin = [
                Role::Owner,
                Role::Admin,
                Role::User,
                Role::Observer,
                Role::Stakeholder,
            ];
            let hint = builtin
                .iter()
                .map(|r| r.as_str().to_string())
                .chain(custom.iter().map(|r| r.name.clone()))
                .find(|r| r.eq_ignore_ascii_case(name))
                .map(|r| format!(" (did you mean {r:?}? names are case-sensitive)"))
                .unwrap_or_default();
            return Err(format!(
                "no role named {name:?}{hint}; Opsgenie would silently make the user a User"
            )
            .into());
        }
    }

    // 2. Create and read back.
    let verified = client
        .users()
        .create_checked(
            UserCreate::new(args.username.as_str(), args.full_name.as_str())
                .role(args.role.clone())
                .invitation_disabled(args.no_invite),
        )
        .await?;
    let user = &verified.user;
    println!("created {} ({}) as {}", user.username, user.id, args.role);
    for m in &verified.mismatches {
        clean = false;
        println!("  did not stick: {} ({m:?})", m.field());
    }

    // 3. Teams, with the team role.
    for (team, role) in &args.teams {
        match client
            .teams()
            .add_member(team.as_str(), &user.id, role.clone())
            .await
        {
            Ok(_) => println!("added to team {team} as {role}"),
            Err(e) => {
                clean = false;
                println!("  team {team}: {e}");
            }
        }
    }

    // 4. Contacts.
    for (method, to) in &args.contacts {
        client
            .contacts(&user.id)
            .create(ContactCreate::new(method.clone(), to.as_str()))
            .await?;
        println!("added contact {method} {to}");
    }

    // 5. Verify from the server's side.
    let back = client.users().get(&user.id).expand_contacts().await?;
    let teams = client.users().teams(&user.id).await?;
    let contacts = back.contacts.unwrap_or_default();
    for (team, _) in &args.teams {
        if !teams
            .iter()
            .any(|t| t.name.as_deref() == Some(team.as_str()))
        {
            clean = false;
            println!("  verify: not a member of {team}");
        }
    }
    for (method, to) in &args.contacts {
        if !contacts
            .iter()
            .any(|c| c.to.as_deref() == Some(to.as_str()) && c.method.as_ref() == Some(method))
        {
            clean = false;
            println!("  verify: contact {method} {to} missing");
        }
    }
    println!(
        "verified: role={} teams={} contacts={}",
        back.role.map(|r| r.name.to_string()).unwrap_or_default(),
        teams.len(),
        contacts.len()
    );
    Ok(clean)
}
