//! Offboard one person on the Jira Service Management side (after
//! Opsgenie): hand their places in schedule rotations and escalation rules
//! to a named successor, take them out of their Atlassian teams, then
//! suspend their access in the organization's directory (Admin API). The
//! Opsgenie counterpart is the `offboard` example.
//!
//! A dry run by default: it prints the plan and changes nothing. With
//! `--apply` it acts, in an order that never leaves a duty uncovered:
//!
//! 1. the successor joins each team whose rotation or escalation they take
//!    over (when not a member yet);
//! 2. each rotation gets the successor in the leaver's place (same position);
//! 3. each escalation rule notifying the leaver notifies the successor
//!    (other fields written back as read);
//! 4. only then the leaver leaves their teams;
//! 5. last, their access is suspended (restorable; nothing is deleted).
//!
//! It stops at the first failure (exit 1) with what was done so far; a
//! second run plans only what is left.
//!
//! ```sh
//! # Offline, on the simulators (an Opsgenie account migrated to an Atlassian one):
//! cargo run --features atlassian --example jsm_offboard -- --demo
//! cargo run --features atlassian --example jsm_offboard -- --demo --apply
//!
//! # For real (the leaver and the successor by e-mail or account id):
//! ATLASSIAN_ORG_ID=... ATLASSIAN_ADMIN_KEY=... \
//! ATLASSIAN_SITE=example ATLASSIAN_EMAIL=me@example.com ATLASSIAN_API_TOKEN=... \
//! JSM_CLOUD_ID=... \
//! cargo run --features atlassian --example jsm_offboard -- leaver@example.com --successor boss@example.com [--apply]
//! ```
//!
//! Environment: `ATLASSIAN_ORG_ID`, `ATLASSIAN_ADMIN_KEY` (organization API
//! key), `ATLASSIAN_DIRECTORY_ID` (default: the organization's first
//! directory), `ATLASSIAN_SITE` (the `example` of example.atlassian.net) or
//! `ATLASSIAN_SITE_URL`, `ATLASSIAN_EMAIL` and `ATLASSIAN_API_TOKEN` (an
//! account allowed to edit teams and JSM Operations; not a service account),
//! `JSM_CLOUD_ID` or `JSM_BASE_URL`, `ATLASSIAN_API_URL` (another Admin API
//! host, e.g. a simulator).
//!
//! What no API does, and the program says so in its output: **no API
//! assigns a team role to a member or changes a team's Operations admins**
//! (Atlassian's JSDCLOUD-17225), so if the leaver administers a team's
//! Operations, name another admin in Jira Service Management by hand. It
//! lists forwarding rules that mention the leaver for review but changes
//! none. Removing the person from the directory (rather than suspending)
//! is left to a person: it cannot be undone.
//!
//! Exit status: 0 done (or dry run), 1 refused or failed.

use std::collections::BTreeSet;
use std::error::Error;

use futures::TryStreamExt;
use opsgenie_users::atlassian::{
    AccountId, AdminClient, DirectoryUser, JsmOpsClient, OpsEscalation, OpsEscalationRule,
    OpsParticipant, OpsRotation, OpsScheduleId, PlatformTeamId, TeamsClient,
};
use opsgenie_users_sim::atlassian::AtlassianServer;
use opsgenie_users_sim::{Seed, Server};

#[path = "common/mod.rs"]
mod common;

type BoxError = Box<dyn Error + Send + Sync>;

struct Args {
    leaver: Option<String>,
    successor: Option<String>,
    apply: bool,
    demo: bool,
}

const USAGE: &str = "usage: jsm_offboard LEAVER --successor WHO [--apply] | --demo [--apply]";

fn parse() -> Result<Args, BoxError> {
    let mut args = Args {
        leaver: None,
        successor: None,
        apply: false,
        demo: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--successor" => args.successor = Some(it.next().ok_or("--successor needs a person")?),
            "--apply" => args.apply = true,
            "--demo" => args.demo = true,
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}").into()),
            _ if args.leaver.is_none() => args.leaver = Some(a),
            _ => return Err(format!("unexpected argument {a}").into()),
        }
    }
    if !args.demo && (args.leaver.is_none() || args.successor.is_none()) {
        return Err(USAGE.into());
    }
    Ok(args)
}

struct Sides {
    admin: AdminClient,
    directory: Option<String>,
    teams: TeamsClient,
    jsm: JsmOpsClient,
}

fn from_env() -> Result<Sides, BoxError> {
    let c = common::atlassian::from_env(None)?;
    Ok(Sides {
        admin: c.admin,
        directory: c.directory,
        teams: c.teams,
        jsm: c.jsm.ok_or("JSM_CLOUD_ID or JSM_BASE_URL is not set")?,
    })
}

/// Starts both simulators and migrates the Opsgenie account; the leaver is
/// the first person of `schedule-01`'s rotation (also put first in an
/// escalation of their team and given a forwarding rule), the successor the
/// first directory user outside that rotation.
async fn demo() -> Result<(Server, AtlassianServer, Sides, String, String), BoxError> {
    let og = Server::builder()
        .seed(Seed::new().users(8).teams(2).schedules(1))
        .start()
        .await?;
    let atl = AtlassianServer::start().await?;
    atl.migrate_from(&og);
    let schedule = atl
        .schedules()
        .into_iter()
        .find(|s| s.name == "schedule-01")
        .ok_or("the seed has schedule-01")?;
    let on_call: Vec<String> = schedule.rotations[0]["participants"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter(|p| p["type"] == "user")
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let leaver = on_call
        .first()
        .ok_or("schedule-01 has nobody on call")?
        .clone();
    let successor = atl
        .users()
        .into_iter()
        .find(|u| !on_call.contains(&u.account_id) && u.email.starts_with("user"))
        .ok_or("no successor candidate")?
        .account_id;
    let team = atl
        .teams()
        .into_iter()
        .find(|t| t.members.contains(&leaver))
        .ok_or("the leaver is in no team")?;
    let other = team
        .members
        .iter()
        .find(|m| **m != leaver)
        .cloned()
        .unwrap_or_else(|| leaver.clone());
    atl.add_escalation(
        &team.team_id,
        "after-hours",
        &[leaver.as_str(), other.as_str()],
    );
    atl.add_forwarding_rule(&leaver, &other);
    let sides = Sides {
        admin: AdminClient::builder()
            .base_url(atl.url())
            .org_id(atl.org_id())
            .api_key(atl.admin_key())
            .build()?,
        directory: None,
        teams: TeamsClient::builder()
            .base_url(atl.url())
            .org_id(atl.org_id())
            .credentials(atl.email(), atl.api_token())
            .build()?,
        jsm: JsmOpsClient::builder()
            .base_url(atl.jsm_url())
            .credentials(atl.email(), atl.api_token())
            .build()?,
    };
    Ok((og, atl, sides, leaver, successor))
}

fn find<'a>(users: &'a [DirectoryUser], who: &str) -> Option<&'a DirectoryUser> {
    users.iter().find(|u| {
        u.account_id.as_str() == who
            || u.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(who))
    })
}

fn label(u: &DirectoryUser) -> String {
    match &u.email {
        Some(e) => format!("{e} ({})", u.account_id),
        None => u.account_id.to_string(),
    }
}

/// One write, in the order they are made.
enum Step {
    JoinTeam {
        team: PlatformTeamId,
        name: String,
    },
    Rotation {
        schedule: OpsScheduleId,
        what: String,
        rotation: OpsRotation,
        participants: Vec<OpsParticipant>,
    },
    Escalation {
        team: PlatformTeamId,
        what: String,
        escalation: OpsEscalation,
        rules: Vec<OpsEscalationRule>,
        replaced: usize,
    },
    LeaveTeam {
        team: PlatformTeamId,
        name: String,
    },
    Suspend,
}

struct Plan {
    leaver: DirectoryUser,
    successor: DirectoryUser,
    steps: Vec<Step>,
    /// Team names the leaver was in (for the team-admin note).
    teams: Vec<String>,
    /// Forwarding rules that mention the leaver (ids).
    forwarding: Vec<String>,
}

impl Step {
    fn describe(&self, leaver: &str, successor: &str) -> String {
        match self {
            Step::JoinTeam { name, .. } => {
                format!("add {successor} to team {name} (they take over its on-call duties)")
            }
            Step::Rotation { what, .. } => {
                format!("put {successor} in {leaver}'s place in rotation {what}")
            }
            Step::Escalation { what, replaced, .. } => format!(
                "notify {successor} instead of {leaver} in {replaced} rule(s) of escalation {what}"
            ),
            Step::LeaveTeam { name, .. } => format!("remove {leaver} from team {name}"),
            Step::Suspend => format!("suspend {leaver}'s access in the directory (Admin API)"),
        }
    }
}

async fn plan(
    sides: &Sides,
    directory: &str,
    leaver: &str,
    successor: &str,
) -> Result<Plan, BoxError> {
    let users: Vec<DirectoryUser> = sides
        .admin
        .users(directory)
        .list()
        .stream()
        .try_collect()
        .await?;
    let l = find(&users, leaver)
        .ok_or_else(|| format!("no directory user {leaver}"))?
        .clone();
    let s = find(&users, successor)
        .ok_or_else(|| format!("no directory user {successor} (the successor)"))?
        .clone();
    if l.account_id == s.account_id {
        return Err("the successor is the leaver".into());
    }
    if s.is_suspended() {
        return Err(format!("the successor {} is suspended", label(&s)).into());
    }
    let (la, sa) = (l.account_id.clone(), s.account_id.clone());
    let me = OpsParticipant::user(la.clone());
    let them = OpsParticipant::user(sa.clone());

    // Teams and members (Teams API).
    let mut member_of: Vec<(PlatformTeamId, String, BTreeSet<AccountId>)> = Vec::new();
    let teams: Vec<_> = sides.teams.list().stream().try_collect().await?;
    for t in teams {
        let members: BTreeSet<AccountId> = sides
            .teams
            .members(t.team_id.clone())
            .list()
            .stream()
            .map_ok(|m| m.account_id)
            .try_collect()
            .await?;
        member_of.push((t.team_id, t.display_name, members));
    }
    let team_name = |id: &PlatformTeamId| {
        member_of
            .iter()
            .find(|(t, _, _)| t == id)
            .map(|(_, n, _)| n.clone())
            .unwrap_or_else(|| id.to_string())
    };

    let mut handover = Vec::new();
    let mut owners: BTreeSet<PlatformTeamId> = BTreeSet::new();
    // Rotations.
    let schedules: Vec<_> = sides.jsm.schedules().list().stream().try_collect().await?;
    for sched in schedules {
        let rotations: Vec<OpsRotation> = sides
            .jsm
            .schedules()
            .rotations(sched.id.clone())
            .list()
            .stream()
            .try_collect()
            .await?;
        for r in rotations {
            if !r.participants.contains(&me) {
                continue;
            }
            let participants = r
                .participants
                .iter()
                .map(|p| if *p == me { them.clone() } else { p.clone() })
                .collect();
            if let Some(t) = &sched.team_id {
                owners.insert(t.clone());
            }
            handover.push(Step::Rotation {
                schedule: sched.id.clone(),
                what: format!(
                    "{} / {}",
                    sched.name,
                    r.name.clone().unwrap_or_else(|| r.id.to_string())
                ),
                rotation: r,
                participants,
            });
        }
    }
    // Escalations, under each team with Operations.
    let ops_teams: Vec<_> = sides.jsm.teams().list().stream().try_collect().await?;
    for t in ops_teams {
        let escalations: Vec<OpsEscalation> = sides
            .jsm
            .escalations(t.team_id.clone())
            .list()
            .stream()
            .try_collect()
            .await?;
        for e in escalations {
            let replaced = e.rules.iter().filter(|r| r.recipient == me).count();
            if replaced == 0 {
                continue;
            }
            let rules = e
                .rules
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    if r.recipient == me {
                        r.recipient = them.clone();
                    }
                    r
                })
                .collect();
            owners.insert(t.team_id.clone());
            handover.push(Step::Escalation {
                team: t.team_id.clone(),
                what: format!(
                    "{} / {}",
                    team_name(&t.team_id),
                    e.name.clone().unwrap_or_else(|| e.id.to_string())
                ),
                escalation: e,
                rules,
                replaced,
            });
        }
    }

    let mut steps = Vec::new();
    for (id, name, members) in &member_of {
        if owners.contains(id) && !members.contains(&sa) {
            steps.push(Step::JoinTeam {
                team: id.clone(),
                name: name.clone(),
            });
        }
    }
    steps.extend(handover);
    let mut teams = Vec::new();
    for (id, name, members) in &member_of {
        if members.contains(&la) {
            teams.push(name.clone());
            steps.push(Step::LeaveTeam {
                team: id.clone(),
                name: name.clone(),
            });
        }
    }
    if !l.is_suspended() {
        steps.push(Step::Suspend);
    }

    // Forwarding rules: listed for review (any field holding the leaver's
    // account id counts: `fromUserId`, `toUserId`, or one not known here).
    let rules: Vec<_> = sides
        .jsm
        .forwarding_rules()
        .list()
        .stream()
        .try_collect()
        .await?;
    let forwarding = rules
        .into_iter()
        .filter(|r| {
            serde_json::to_value(r)
                .unwrap_or_default()
                .to_string()
                .contains(&format!("\"{la}\""))
        })
        .map(|r| r.id.to_string())
        .collect();
    Ok(Plan {
        leaver: l,
        successor: s,
        steps,
        teams,
        forwarding,
    })
}

async fn apply(sides: &Sides, directory: &str, plan: &Plan, step: &Step) -> Result<(), BoxError> {
    let (la, sa) = (&plan.leaver.account_id, &plan.successor.account_id);
    match step {
        Step::JoinTeam { team, .. } => {
            let change = sides.teams.members(team.clone()).add([sa.clone()]).await?;
            if !change.is_complete() {
                return Err(format!("the team refused the successor: {:?}", change.errors).into());
            }
        }
        Step::Rotation {
            schedule,
            rotation,
            participants,
            ..
        } => {
            sides
                .jsm
                .schedules()
                .rotations(schedule.clone())
                .set_participants(rotation.id.clone(), participants.clone())
                .await?
        }
        Step::Escalation {
            team,
            escalation,
            rules,
            ..
        } => {
            sides
                .jsm
                .escalations(team.clone())
                .set_rules(escalation.id.clone(), rules.clone())
                .await?
        }
        Step::LeaveTeam { team, .. } => {
            let change = sides
                .teams
                .members(team.clone())
                .remove([la.clone()])
                .await?;
            // Not a member any more is what this step wants.
            let refused: Vec<_> = change
                .errors
                .iter()
                .filter(|e| e.code.as_deref() != Some("NOT_A_MEMBER"))
                .collect();
            if !refused.is_empty() {
                return Err(format!("the team refused the removal: {refused:?}").into());
            }
        }
        Step::Suspend => sides.admin.users(directory).suspend(la.clone()).await?,
    }
    Ok(())
}

async fn run() -> Result<(), BoxError> {
    let args = parse()?;
    let (_servers, sides, leaver, successor) = if args.demo {
        let (og, atl, sides, l, s) = demo().await?;
        (
            Some((og, atl)),
            sides,
            args.leaver.clone().unwrap_or(l),
            args.successor.clone().unwrap_or(s),
        )
    } else {
        (
            None,
            from_env()?,
            args.leaver.clone().unwrap_or_default(),
            args.successor.clone().unwrap_or_default(),
        )
    };
    let directory = match sides.directory.clone() {
        Some(d) => d,
        None => sides
            .admin
            .directories()
            .await?
            .first()
            .map(|d| d.directory_id.to_string())
            .ok_or("the organization has no directory")?,
    };
    let plan = plan(&sides, &directory, &leaver, &successor).await?;
    let (l, s) = (label(&plan.leaver), label(&plan.successor));
    println!("leaver:    {l}");
    println!("successor: {s}");
    if plan.steps.is_empty() {
        println!("nothing to do: {l} holds no duties, is in no team and is suspended");
    }
    let leaver_name = plan
        .leaver
        .email
        .clone()
        .unwrap_or_else(|| plan.leaver.account_id.to_string());
    let successor_name = plan
        .successor
        .email
        .clone()
        .unwrap_or_else(|| plan.successor.account_id.to_string());
    let mut failed = None;
    for (n, step) in plan.steps.iter().enumerate() {
        let what = step.describe(&leaver_name, &successor_name);
        if !args.apply {
            println!("{:>2}. would {what}", n + 1);
            continue;
        }
        match apply(&sides, &directory, &plan, step).await {
            Ok(()) => println!("{:>2}. done: {what}", n + 1),
            Err(e) => {
                println!("{:>2}. FAILED: {what}", n + 1);
                failed = Some(e);
                break;
            }
        }
    }
    println!("not done by any API (do it in Jira Service Management by hand):");
    for t in &plan.teams {
        println!(
            "  - team {t}: if {leaver_name} is one of its Operations admins or holds a team role, \
             name someone else there; no API reads or changes team admins or a member's team role \
             (JSDCLOUD-17225)"
        );
    }
    for f in &plan.forwarding {
        println!("  - forwarding rule {f} mentions {leaver_name}: review it (left unchanged)");
    }
    if plan.teams.is_empty() && plan.forwarding.is_empty() {
        println!("  - nothing");
    }
    if let Some(e) = failed {
        println!("stopped: later steps were not attempted; run again to continue");
        return Err(e);
    }
    if !args.apply {
        println!("dry run: nothing was changed; re-run with --apply to act");
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    common::init_logging();
    if let Err(e) = run().await {
        common::exit_with(&*e, 1);
    }
}
