//! Onboard one person: create the user with a checked role, add them to
//! teams with a team role, add notification contacts, then verify it all by
//! reading back.
//!
//! It converges, like `bulk_sync`: a user who already exists is checked and
//! updated (full name, role), memberships and contacts are added only where
//! missing (a team role that differs is changed), so running it again after
//! a partial failure completes the rest, and a run with nothing left to do
//! writes nothing.
//!
//! Key rights: Configuration Access with Read and Create/Update.
//!
//! ```sh
//! OPSGENIE_API_KEY=... cargo run --example onboard -- jane@example.com "Jane Doe" \
//!     --role Admin --team Platform:admin --team Payments --sms 1-5550100 --no-invite
//! ```
//!
//! Against the simulator: start `cargo run --example sim_server -- --teams 2`,
//! export the `OPSGENIE_API_URL` and `OPSGENIE_API_KEY` it prints, then run the
//! command above with `--team team-01:admin`.
//!
//! Phone numbers (`--sms`, `--voice`) are `<countryCode>-<number>`: digits
//! and one dash, e.g. `1-5550100`; another format is refused before it is
//! sent.
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
use opsgenie_users::models::user::{UserCreate, UserUpdate};
use opsgenie_users::{Client, Error, TeamRef, UserRef};

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

    // 2. Create and read back, or check and update the user who exists.
    let existing = match client.users().get(args.username.as_str()).await {
        Ok(u) => Some(u),
        Err(e) if e.status().map(|s| s.as_u16()) == Some(404) => None,
        Err(e) => return Err(e.into()),
    };
    let (user, mismatches) = match existing {
        None => {
            let verified = client
                .users()
                .create_checked(
                    UserCreate::new(args.username.as_str(), args.full_name.as_str())
                        .role(args.role.clone())
                        .invitation_disabled(args.no_invite),
                )
                .await?;
            println!(
                "created {} ({}) as {}",
                verified.user.username, verified.user.id, args.role
            );
            (verified.user, verified.mismatches)
        }
        Some(u) => {
            let mut update = UserUpdate::new();
            let mut changes = Vec::new();
            if u.full_name.as_deref() != Some(args.full_name.as_str()) {
                update = update.full_name(args.full_name.as_str());
                changes.push("full name");
            }
            if u.role_name() != Some(&args.role) {
                update = update.role(args.role.clone());
                changes.push("role");
            }
            if changes.is_empty() {
                println!("exists: {} ({}), up to date", u.username, u.id);
                (u, Vec::new())
            } else {
                let verified = client.users().update_checked(&u.id, update).await?;
                println!(
                    "exists: {} ({}), updated {}",
                    u.username,
                    u.id,
                    changes.join(", ")
                );
                (verified.user, verified.mismatches)
            }
        }
    };
    for m in &mismatches {
        clean = false;
        println!("  did not stick: {} ({m:?})", m.field());
    }
    let me = UserRef::from(&user.id);

    // 3. Teams, with the team role: added where missing, role changed where it differs.
    for (team, role) in &args.teams {
        let outcome = match client.teams().get(team.as_str()).await {
            Ok(t) => match t.member(&me).map(|m| m.role.clone()) {
                Some(current) if &current == role => {
                    Ok(format!("already in team {team} as {role}"))
                }
                Some(current) => client
                    .teams()
                    .change_member_role(TeamRef::from(&t.id), me.clone(), role.clone())
                    .await
                    .map(|_| format!("team {team}: {current} -> {role}")),
                None => client
                    .teams()
                    .add_member(TeamRef::from(&t.id), me.clone(), role.clone())
                    .await
                    .map(|_| format!("added to team {team} as {role}")),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(line) => println!("{line}"),
            Err(e) => {
                clean = false;
                println!("  team {team}: {e}");
            }
        }
    }

    // 4. Contacts: added where missing. A failure stops the run; running it
    //    again (with the address fixed) adds what is still missing.
    let have = client.contacts(&user.id).list().await?;
    for (method, to) in &args.contacts {
        if have.iter().any(|c| &c.method == method && c.to == *to) {
            println!("contact {method} {to} already there");
            continue;
        }
        match client
            .contacts(&user.id)
            .create(ContactCreate::new(method.clone(), to.as_str()))
            .await
        {
            Ok(_) => println!("added contact {method} {to}"),
            Err(e @ Error::InvalidInput(_)) => {
                return Err(format!(
                    "contact {method} {to}: {e} (nothing sent; fix it and run again)"
                )
                .into())
            }
            Err(e) => return Err(e.into()),
        }
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
