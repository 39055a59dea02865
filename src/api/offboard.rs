//! Offboarding: audit what deleting a user would block or break, show the
//! plan for approval, then hand over, leave teams and delete, safely.
//!
//! Opsgenie refuses to delete a user who is still in a schedule rotation or
//! an escalation rule, or who is the only Owner (422; the docs also list 428),
//! and a delete cannot be undone. So:
//!
//! 1. [`OffboardingHandler::plan`] reads the user's teams, rotations, escalations,
//!    schedule overrides, forwarding rules and role into an [`OffboardingPlan`]
//!    (serializable, for a tool to show and store). Nothing the server names
//!    is dropped: a schedule or escalation that lists the user but cannot be
//!    read in detail is a blocker with the reason
//!    ([`Blocker::UnreadableSchedule`], [`Blocker::UnreadableEscalation`]).
//! 2. [`OffboardingHandler::execute`] refuses, before sending anything, while
//!    blockers remain that the run will not clear, unless the caller accepts
//!    them. With a successor it hands every rotation slot and escalation
//!    recipient to them (read, replace, write back) and makes them admin of
//!    every team the user was the only admin of. Then, before anything
//!    irreversible, it re-reads the user's schedules and escalations and
//!    stops (nothing more changed) if the server still lists any. Only then
//!    does it redirect (or delete) the forwarding rules to the user, remove
//!    the user from each team and delete the user. Each step is idempotent:
//!    something already done counts as done, so running the same plan twice
//!    is safe and the second run writes nothing. A dry run only reads.
//!
//! Schedule overrides that name the user are listed in the plan as
//! warnings, not blockers: the guides say a user in an on-call schedule
//! cannot be deleted, but whether an override alone blocks the delete is
//! not verified. When the server does list such a schedule for the user,
//! the re-read before the delete stops the run. Overrides are read only in
//! the schedules the server lists for the user.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! let plan = client.offboarding().plan("leaver@example.com").await?;
//! println!("{}", serde_json::to_string_pretty(&plan).unwrap());
//! for b in plan.blockers() {
//!     println!("blocker: {b}");
//! }
//! let report = client
//!     .offboarding()
//!     .execute(&plan)
//!     .successor("successor@example.com")
//!     .await?;
//! assert!(report.deleted);
//! # Ok(()) }
//! ```

use std::fmt;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::api::{call, is_gone, Step};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{
    EscalationId, EscalationRef, ForwardingRuleId, ForwardingRuleRef, RotationId, ScheduleId,
    ScheduleRef, TeamId, TeamRef, UserId, UserRef, Username,
};
use crate::models::forwarding::{ForwardingRuleUpdate, UserMeta};
use crate::models::schedule::Participant;
use crate::models::team::TeamRole;
use crate::models::user::Role;
use crate::request::{ApiRequest, Domain};

impl Client {
    /// The offboarding workflow.
    pub fn offboarding(&self) -> OffboardingHandler {
        OffboardingHandler {
            client: self.clone(),
        }
    }
}

/// Offboarding calls. Get one with [`Client::offboarding`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OffboardingHandler {
    client: Client,
}

call!(
    /// [`OffboardingHandler::plan`].
    PlanOffboarding -> OffboardingPlan
);

/// The user being offboarded (or their successor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanUser {
    /// Id.
    pub id: UserId,
    /// Username.
    pub username: Username,
    /// Account role name, as the server sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A team the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedTeam {
    /// Team id.
    pub id: TeamId,
    /// Team name.
    pub name: String,
    /// The user's role in it.
    pub role: TeamRole,
    /// The user is the team's only admin: a blocker without a successor;
    /// with one, the successor is made admin before the user leaves.
    pub only_admin: bool,
}

/// A schedule override that names the user. Listed as a warning: whether an
/// override blocks the delete is not verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedOverride {
    /// Schedule id.
    pub schedule_id: ScheduleId,
    /// Schedule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_name: Option<String>,
    /// The override's alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// A rotation that includes the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedRotation {
    /// Schedule id.
    pub schedule_id: ScheduleId,
    /// Schedule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_name: Option<String>,
    /// Rotation id.
    pub rotation_id: RotationId,
    /// Rotation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_name: Option<String>,
    /// How many participant slots are the user's.
    pub slots: usize,
}

/// An escalation with rules that notify the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedEscalation {
    /// Escalation id.
    pub id: EscalationId,
    /// Escalation name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Indexes (0-based) of the rules whose recipient is the user.
    pub rules: Vec<usize>,
}

/// A forwarding rule from or to the user; it stops working with the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedForwarding {
    /// Rule id.
    pub id: ForwardingRuleId,
    /// Alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The user's notifications are forwarded to someone (`true`), or
    /// someone's are forwarded to the user (`false`).
    pub from_user: bool,
}

/// Everything deleting a user would block on or break. Serialize it to show
/// it for approval; execute it with [`OffboardingHandler::execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OffboardingPlan {
    /// Who.
    pub user: PlanUser,
    /// Team memberships (removed by the execution).
    pub teams: Vec<PlannedTeam>,
    /// Rotations that include the user (block the delete).
    pub rotations: Vec<PlannedRotation>,
    /// Escalations with rules that notify the user (block the delete).
    pub escalations: Vec<PlannedEscalation>,
    /// Forwarding rules from or to the user. Rules to the user are
    /// redirected to the successor (or deleted, when asked) by the execution.
    pub forwarding_rules: Vec<PlannedForwarding>,
    /// Schedule overrides that name the user (warnings, not blockers).
    #[serde(default)]
    pub overrides: Vec<PlannedOverride>,
    /// Schedules and escalations the server lists for the user but that
    /// could not be read in detail: only [`Blocker::UnreadableSchedule`] and
    /// [`Blocker::UnreadableEscalation`]. Each blocks the execution.
    #[serde(default)]
    pub unreadable: Vec<Blocker>,
    /// The user is the account's only Owner (blocks the delete; no
    /// successor handover changes that: make someone else Owner first).
    pub sole_owner: bool,
}

/// Something that makes the server refuse the delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Blocker {
    /// The user is in a rotation.
    Rotation {
        /// Schedule id.
        schedule_id: ScheduleId,
        /// Rotation id.
        rotation_id: RotationId,
    },
    /// An escalation's rules notify the user.
    Escalation {
        /// Escalation id.
        escalation_id: EscalationId,
    },
    /// The server lists the user on this schedule (read again before the
    /// delete, after the handover).
    Schedule {
        /// Schedule id.
        schedule_id: ScheduleId,
    },
    /// The server lists the user on this schedule, but its rotations could
    /// not be read (or name no such user): nothing can be handed over.
    UnreadableSchedule {
        /// Schedule id.
        schedule_id: ScheduleId,
        /// Why.
        reason: String,
    },
    /// The server lists the user in this escalation, but no rule could be
    /// read that names the user.
    UnreadableEscalation {
        /// Escalation id.
        escalation_id: EscalationId,
        /// Why.
        reason: String,
    },
    /// The user is the only admin of a team, and no successor takes over.
    OnlyTeamAdmin {
        /// Team id.
        team_id: TeamId,
        /// Team name.
        team_name: String,
    },
    /// The user is the only Owner.
    SoleOwner,
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Rotation {
                schedule_id,
                rotation_id,
            } => write!(f, "in rotation {rotation_id} of schedule {schedule_id}"),
            Blocker::Escalation { escalation_id } => {
                write!(f, "notified by escalation {escalation_id}")
            }
            Blocker::Schedule { schedule_id } => write!(f, "still on schedule {schedule_id}"),
            Blocker::UnreadableSchedule {
                schedule_id,
                reason,
            } => write!(
                f,
                "on schedule {schedule_id}, which cannot be read: {reason}"
            ),
            Blocker::UnreadableEscalation {
                escalation_id,
                reason,
            } => write!(
                f,
                "notified by escalation {escalation_id}, which cannot be read: {reason}"
            ),
            Blocker::OnlyTeamAdmin { team_name, .. } => {
                write!(f, "the only admin of team {team_name}")
            }
            Blocker::SoleOwner => f.write_str("the account's only Owner"),
        }
    }
}

impl OffboardingPlan {
    /// What makes the server refuse the delete.
    pub fn blockers(&self) -> Vec<Blocker> {
        let mut b: Vec<Blocker> = self
            .rotations
            .iter()
            .map(|r| Blocker::Rotation {
                schedule_id: r.schedule_id.clone(),
                rotation_id: r.rotation_id.clone(),
            })
            .collect();
        b.extend(self.escalations.iter().map(|e| Blocker::Escalation {
            escalation_id: e.id.clone(),
        }));
        b.extend(self.unreadable.iter().cloned());
        b.extend(
            self.teams
                .iter()
                .filter(|t| t.only_admin)
                .map(|t| Blocker::OnlyTeamAdmin {
                    team_id: t.id.clone(),
                    team_name: t.name.clone(),
                }),
        );
        if self.sole_owner {
            b.push(Blocker::SoleOwner);
        }
        b
    }

    /// What breaks without blocking: forwarding rules that stop or need a
    /// successor, schedule overrides that name the user (not known to block
    /// the delete).
    pub fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .forwarding_rules
            .iter()
            .map(|f| {
                let name = f.alias.as_deref().unwrap_or(f.id.as_str());
                if f.from_user {
                    format!("forwarding rule {name} from the user stops")
                } else {
                    format!("forwarding rule {name} to the user is redirected to the successor (or deleted)")
                }
            })
            .collect();
        w.extend(self.overrides.iter().map(|o| {
            format!(
                "override {} of schedule {} names the user (not known to block the delete)",
                o.alias.as_deref().unwrap_or("?"),
                o.schedule_name.as_deref().unwrap_or(o.schedule_id.as_str())
            )
        }));
        w
    }

    /// Blockers that a run with (`true`) or without (`false`) a successor
    /// leaves in place. A successor clears rotations, escalations and teams
    /// without another admin; nothing clears a sole Owner or what could not
    /// be read.
    pub fn remaining_blockers(&self, with_successor: bool) -> Vec<Blocker> {
        self.blockers()
            .into_iter()
            .filter(|b| {
                !with_successor
                    || !matches!(
                        b,
                        Blocker::Rotation { .. }
                            | Blocker::Escalation { .. }
                            | Blocker::OnlyTeamAdmin { .. }
                    )
            })
            .collect()
    }

    fn user_ref(&self) -> UserRef {
        UserRef::Id(self.user.id.clone())
    }

    fn is_user(&self, p: &Participant) -> bool {
        p.is_user(&UserRef::Id(self.user.id.clone()))
            || p.is_user(&UserRef::Username(self.user.username.clone()))
    }

    fn is_user_ref(&self, r: &UserRef) -> bool {
        match r {
            UserRef::Id(id) => id == &self.user.id,
            UserRef::Username(n) => n.as_str().eq_ignore_ascii_case(self.user.username.as_str()),
        }
    }

    fn is_meta(&self, m: &UserMeta) -> bool {
        m.id.as_ref() == Some(&self.user.id)
            || m.username
                .as_ref()
                .is_some_and(|n| n.as_str().eq_ignore_ascii_case(self.user.username.as_str()))
    }
}

impl OffboardingHandler {
    /// Reads everything that deleting `user` would block on or break:
    /// `GET /v2/users/{user}`, their teams (each team read for its admins),
    /// schedules (each schedule's rotations and overrides read), escalations
    /// (each read in full when its listing names no rule for the user),
    /// forwarding rules and, for an Owner, the other Owners. Writes nothing.
    /// A schedule or escalation the server lists but that cannot be read is
    /// a [`Blocker`] with the reason, never left out.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let plan = client.offboarding().plan("leaver@example.com").await?;
    /// if plan.blockers().is_empty() {
    ///     println!("nothing blocks the delete");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn plan(&self, user: impl Into<UserRef>) -> PlanOffboarding {
        let c = self.client.clone();
        let user = user.into();
        PlanOffboarding::new(async move { plan(c, user).await })
    }

    /// Prepares the execution of `plan`; await the returned
    /// [`ExecuteOffboarding`] to run it.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let plan = client.offboarding().plan("leaver@example.com").await?;
    /// // First show what would happen: reads only.
    /// let preview = client
    ///     .offboarding()
    ///     .execute(&plan)
    ///     .successor("successor@example.com")
    ///     .dry_run(true)
    ///     .await?;
    /// for s in &preview.steps {
    ///     println!("{}: {:?}", s.step, s.outcome);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn execute(&self, plan: &OffboardingPlan) -> ExecuteOffboarding {
        ExecuteOffboarding {
            client: self.client.clone(),
            plan: plan.clone(),
            successor: None,
            dry_run: false,
            accept_blockers: false,
            delete: true,
            delete_forwarding: false,
        }
    }
}

async fn plan(c: Client, user: UserRef) -> Result<OffboardingPlan> {
    let u = c.users().get(user).await?;
    let me = PlanUser {
        id: u.id.clone(),
        username: u.username.clone(),
        role: u.role_name().map(|r| r.as_str().to_string()),
    };
    let me_ref = UserRef::Id(me.id.clone());
    let mut plan = OffboardingPlan {
        user: me,
        teams: Vec::new(),
        rotations: Vec::new(),
        escalations: Vec::new(),
        forwarding_rules: Vec::new(),
        overrides: Vec::new(),
        unreadable: Vec::new(),
        sole_owner: false,
    };

    for t in c.users().teams(me_ref.clone()).await? {
        // A team deleted since the listing is no membership to plan for.
        let Some(team) = gone_is_none(c.teams().get(TeamRef::from(&t.id)).await)? else {
            continue;
        };
        let Some(m) = team
            .member(&me_ref)
            .or_else(|| team.member(&UserRef::Username(plan.user.username.clone())))
        else {
            continue;
        };
        let only_admin = m.role == TeamRole::Admin && team.admins().count() == 1;
        plan.teams.push(PlannedTeam {
            id: team.id.clone(),
            name: team.name.clone(),
            role: m.role.clone(),
            only_admin,
        });
    }

    for s in c.users().schedules(me_ref.clone()).await? {
        let rotations = match c.schedules().rotations(&s.id).list().await {
            Ok(r) => r,
            Err(e) => {
                plan.unreadable.push(Blocker::UnreadableSchedule {
                    schedule_id: s.id.clone(),
                    reason: format!("reading its rotations failed: {e}"),
                });
                continue;
            }
        };
        let before = plan.rotations.len();
        for r in rotations {
            let slots = r.participants.iter().filter(|p| plan.is_user(p)).count();
            if slots > 0 {
                plan.rotations.push(PlannedRotation {
                    schedule_id: s.id.clone(),
                    schedule_name: s.name.clone(),
                    rotation_id: r.id.clone(),
                    rotation_name: r.name.clone(),
                    slots,
                });
            }
        }
        match list_overrides(&c, &s.id).await {
            Ok(overrides) => {
                let mine: Vec<PlannedOverride> = overrides
                    .into_iter()
                    .filter(|o| o.user.as_ref().is_some_and(|u| plan.is_user(u)))
                    .map(|o| PlannedOverride {
                        schedule_id: s.id.clone(),
                        schedule_name: s.name.clone(),
                        alias: o.alias,
                    })
                    .collect();
                plan.overrides.extend(mine);
            }
            // Overrides are warnings; a schedule whose rotations were read
            // is not made a blocker by an unreadable override list.
            Err(e) => tracing::debug!(schedule = %s.id, error = %e, "overrides not readable"),
        }
        let overridden = plan.overrides.iter().any(|o| o.schedule_id == s.id);
        if plan.rotations.len() == before && !overridden {
            plan.unreadable.push(Blocker::UnreadableSchedule {
                schedule_id: s.id.clone(),
                reason: "listed for the user, but no rotation or override names them".into(),
            });
        }
    }

    for e in c.users().escalations(me_ref.clone()).await? {
        let mut rules: Vec<usize> = e
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.recipient.as_ref().is_some_and(|rc| {
                    rc.kind == "user"
                        && (rc.id.as_deref() == Some(plan.user.id.as_str())
                            || rc.username.as_deref().is_some_and(|n| {
                                n.eq_ignore_ascii_case(plan.user.username.as_str())
                            }))
                })
            })
            .map(|(i, _)| i)
            .collect();
        if rules.is_empty() {
            // The listing names the user but shows no rule for them: read
            // the escalation itself; what cannot be read blocks.
            match c.escalations().get(EscalationRef::from(&e.id)).await {
                Ok(full) => {
                    rules = full
                        .rules
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| plan.is_user(&r.recipient))
                        .map(|(i, _)| i)
                        .collect();
                    if rules.is_empty() {
                        plan.unreadable.push(Blocker::UnreadableEscalation {
                            escalation_id: e.id.clone(),
                            reason: "listed for the user, but no rule names them".into(),
                        });
                    }
                }
                Err(err) => plan.unreadable.push(Blocker::UnreadableEscalation {
                    escalation_id: e.id.clone(),
                    reason: format!("reading it failed: {err}"),
                }),
            }
        }
        if !rules.is_empty() {
            plan.escalations.push(PlannedEscalation {
                id: e.id.clone(),
                name: e.name.clone(),
                rules,
            });
        }
    }

    for f in c.users().forwarding_rules(me_ref.clone()).await? {
        let is_me = |m: &Option<crate::models::user::UserMeta>| {
            m.as_ref().is_some_and(|m| {
                m.id.as_ref() == Some(&plan.user.id)
                    || m.username.as_ref().is_some_and(|n| {
                        n.as_str().eq_ignore_ascii_case(plan.user.username.as_str())
                    })
            })
        };
        let from_user = is_me(&f.from_user) || !is_me(&f.to_user);
        plan.forwarding_rules.push(PlannedForwarding {
            id: f.id.clone(),
            alias: f.alias.clone(),
            from_user,
        });
    }

    if u.role_name() == Some(&Role::Owner) {
        let owners: Vec<_> = c
            .users()
            .list()
            .query("role:Owner")
            .stream()
            .try_collect()
            .await?;
        plan.sole_owner = !owners
            .iter()
            .any(|o| o.id != plan.user.id && o.role_name() == Some(&Role::Owner));
    }
    Ok(plan)
}

/// One schedule override, as far as the plan needs it.
#[derive(Deserialize)]
struct OverrideRead {
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    user: Option<Participant>,
}

/// `GET /v2/schedules/{id}/overrides?scheduleIdentifierType=id`.
async fn list_overrides(c: &Client, schedule: &ScheduleId) -> Result<Vec<OverrideRead>> {
    let req = crate::api::named_segment(
        ApiRequest::get(Domain::Configuration).path("v2/schedules"),
        "scheduleIdentifierType",
        &ScheduleRef::from(schedule),
    )
    .path("overrides");
    c.send(req).await?.data()
}

/// Builder returned by [`OffboardingHandler::execute`]: set the options,
/// then await it. Awaiting it runs the plan:
///
/// - Refuses with [`Error::Blocked`], before sending anything, while
///   blockers remain that this run will not clear (rotations, escalations
///   and teams without another admin when there is no successor; a sole
///   Owner and unreadable schedules or escalations always), unless
///   [`accept_blockers`](Self::accept_blockers) is set.
/// - Reads the user first: if they are gone, every step is
///   [`StepOutcome::AlreadyDone`] and nothing is written.
/// - Each handover re-reads the rotation or escalation, replaces the
///   user with the successor and writes the list back (already without
///   the user: nothing written). A team the user was the only admin of
///   gets the successor as admin (added before the user leaves).
/// - Before the first irreversible step (when the user is to be deleted
///   and blockers were not accepted) it re-reads the user's schedules and
///   escalations; if the server still lists any, it stops with
///   [`Error::Blocked`] listing them ([`Blocker::Schedule`],
///   [`Blocker::Escalation`]), inside [`Error::PartiallyApplied`] when
///   the handover wrote; nothing more is changed.
/// - Forwarding rules to the user are redirected to the successor
///   (the rule is read and written back complete), or deleted with
///   [`delete_forwarding`](Self::delete_forwarding).
/// - Leaving a team that the user already left, or deleting a user
///   already gone (404), counts as done.
/// - A dry run reads but never writes (and never deletes).
/// - A failure after some writes is [`Error::PartiallyApplied`] listing
///   the steps done and not done; a delete the server refuses (422/428)
///   is [`Error::DeleteBlocked`] with the server's message (as the cause
///   when earlier steps wrote).
#[derive(Debug, Clone)]
#[must_use = "an ExecuteOffboarding does nothing until awaited"]
pub struct ExecuteOffboarding {
    client: Client,
    plan: OffboardingPlan,
    successor: Option<UserRef>,
    dry_run: bool,
    accept_blockers: bool,
    delete: bool,
    delete_forwarding: bool,
}

/// One step of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OffboardingStep {
    /// Give the user's slots in a rotation to the successor.
    HandOverRotation {
        /// Schedule id.
        schedule_id: ScheduleId,
        /// Rotation id.
        rotation_id: RotationId,
    },
    /// Give the user's escalation rules to the successor.
    HandOverEscalation {
        /// Escalation id.
        escalation_id: EscalationId,
    },
    /// Make the successor an admin of a team the user is the only admin of.
    KeepTeamAdmin {
        /// Team id.
        team_id: TeamId,
        /// Team name.
        team_name: String,
    },
    /// Re-read the user's schedules and escalations; stop if any remain.
    VerifyUnblocked,
    /// Point a forwarding rule to the user at the successor instead.
    RedirectForwarding {
        /// Rule id.
        rule_id: ForwardingRuleId,
    },
    /// Delete a forwarding rule to the user.
    DeleteForwarding {
        /// Rule id.
        rule_id: ForwardingRuleId,
    },
    /// Remove the user from a team.
    LeaveTeam {
        /// Team id.
        team_id: TeamId,
        /// Team name.
        team_name: String,
    },
    /// Delete the user.
    DeleteUser,
}

impl fmt::Display for OffboardingStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OffboardingStep::HandOverRotation {
                schedule_id,
                rotation_id,
            } => write!(
                f,
                "hand over rotation {rotation_id} of schedule {schedule_id}"
            ),
            OffboardingStep::HandOverEscalation { escalation_id } => {
                write!(f, "hand over escalation {escalation_id}")
            }
            OffboardingStep::KeepTeamAdmin { team_name, .. } => {
                write!(f, "make the successor admin of team {team_name}")
            }
            OffboardingStep::VerifyUnblocked => {
                f.write_str("check that no schedule or escalation lists the user")
            }
            OffboardingStep::RedirectForwarding { rule_id } => {
                write!(f, "redirect forwarding rule {rule_id} to the successor")
            }
            OffboardingStep::DeleteForwarding { rule_id } => {
                write!(f, "delete forwarding rule {rule_id}")
            }
            OffboardingStep::LeaveTeam { team_name, .. } => write!(f, "leave team {team_name}"),
            OffboardingStep::DeleteUser => f.write_str("delete the user"),
        }
    }
}

/// What happened to a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepOutcome {
    /// Written.
    Done,
    /// Nothing to do: already in the wanted state.
    AlreadyDone,
    /// Dry run: would be written.
    WouldDo,
    /// Not done, and why (e.g. no successor given).
    Skipped(String),
}

/// One line of an [`OffboardingReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StepReport {
    /// The step.
    pub step: OffboardingStep,
    /// What happened.
    pub outcome: StepOutcome,
}

/// What an execution did, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OffboardingReport {
    /// The user.
    pub user: PlanUser,
    /// The successor, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<UserId>,
    /// A dry run (nothing written).
    pub dry_run: bool,
    /// Every step, in order.
    pub steps: Vec<StepReport>,
    /// The user is gone at the end (deleted now or before).
    pub deleted: bool,
}

impl OffboardingReport {
    /// True when the run wrote nothing because everything was already done.
    pub fn is_noop(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.outcome == StepOutcome::AlreadyDone)
    }
}

impl ExecuteOffboarding {
    /// Hand every rotation slot and escalation recipient to this user.
    pub fn successor(mut self, user: impl Into<UserRef>) -> Self {
        self.successor = Some(user.into());
        self
    }

    /// Only read and report what would be written (default `false`).
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Go ahead although blockers remain (the delete will then most likely
    /// be refused with [`Error::DeleteBlocked`]). Default `false`.
    pub fn accept_blockers(mut self, yes: bool) -> Self {
        self.accept_blockers = yes;
        self
    }

    /// Delete the user at the end (default `true`); `false` stops after
    /// leaving the teams.
    pub fn delete(mut self, yes: bool) -> Self {
        self.delete = yes;
        self
    }

    /// Delete the forwarding rules to the user instead of redirecting them
    /// to the successor (default `false`).
    pub fn delete_forwarding(mut self, yes: bool) -> Self {
        self.delete_forwarding = yes;
        self
    }

    fn all_steps(&self) -> Vec<OffboardingStep> {
        let p = &self.plan;
        let mut steps: Vec<OffboardingStep> = p
            .rotations
            .iter()
            .map(|r| OffboardingStep::HandOverRotation {
                schedule_id: r.schedule_id.clone(),
                rotation_id: r.rotation_id.clone(),
            })
            .collect();
        steps.extend(
            p.escalations
                .iter()
                .map(|e| OffboardingStep::HandOverEscalation {
                    escalation_id: e.id.clone(),
                }),
        );
        steps.extend(p.teams.iter().filter(|t| t.only_admin).map(|t| {
            OffboardingStep::KeepTeamAdmin {
                team_id: t.id.clone(),
                team_name: t.name.clone(),
            }
        }));
        if self.delete {
            steps.push(OffboardingStep::VerifyUnblocked);
        }
        steps.extend(p.forwarding_rules.iter().filter(|f| !f.from_user).map(|f| {
            if self.delete_forwarding {
                OffboardingStep::DeleteForwarding {
                    rule_id: f.id.clone(),
                }
            } else {
                OffboardingStep::RedirectForwarding {
                    rule_id: f.id.clone(),
                }
            }
        }));
        steps.extend(p.teams.iter().map(|t| OffboardingStep::LeaveTeam {
            team_id: t.id.clone(),
            team_name: t.name.clone(),
        }));
        if self.delete {
            steps.push(OffboardingStep::DeleteUser);
        }
        steps
    }

    async fn run(self) -> Result<OffboardingReport> {
        let c = &self.client;
        let plan = &self.plan;
        let op = format!("offboard {}", plan.user.username);
        let remaining = plan.remaining_blockers(self.successor.is_some());
        if !remaining.is_empty() && !self.accept_blockers {
            return Err(Error::Blocked {
                operation: op,
                blockers: remaining,
            });
        }
        let steps = self.all_steps();
        let mut report = OffboardingReport {
            user: plan.user.clone(),
            successor: None,
            dry_run: self.dry_run,
            steps: Vec::new(),
            deleted: false,
        };
        // The user gone: the plan was executed before.
        if gone_is_none(c.users().get(plan.user_ref()).await)?.is_none() {
            report.steps = steps
                .into_iter()
                .map(|step| StepReport {
                    step,
                    outcome: StepOutcome::AlreadyDone,
                })
                .collect();
            report.deleted = true;
            return Ok(report);
        }
        let successor = match &self.successor {
            Some(s) => {
                let id = crate::api::resolve_user_id(c, s).await?;
                if id == plan.user.id {
                    return Err(Error::InvalidInput(
                        "the successor is the user being offboarded".into(),
                    ));
                }
                Some(id)
            }
            None => None,
        };
        report.successor = successor.clone();

        let mut wrote = false;
        for step in steps {
            let outcome = match self.run_step(&step, successor.as_ref(), &op).await {
                Ok(o) => o,
                Err(cause) => {
                    if !wrote {
                        return Err(cause);
                    }
                    let done_count = report.steps.len();
                    let all = self.all_steps();
                    return Err(Error::PartiallyApplied {
                        operation: op,
                        applied: report
                            .steps
                            .iter()
                            .map(|s| Step::Offboarding {
                                step: s.step.clone(),
                                outcome: Some(s.outcome.clone()),
                            })
                            .collect(),
                        not_applied: all[done_count..].iter().cloned().map(Step::from).collect(),
                        cause: Box::new(cause),
                    });
                }
            };
            if outcome == StepOutcome::Done && step != OffboardingStep::VerifyUnblocked {
                wrote = true;
                if step == OffboardingStep::DeleteUser {
                    report.deleted = true;
                }
            }
            if outcome == StepOutcome::AlreadyDone && step == OffboardingStep::DeleteUser {
                report.deleted = true;
            }
            report.steps.push(StepReport { step, outcome });
        }
        Ok(report)
    }

    /// Whether a handover should write: `Err` carries the outcome when not
    /// (the user is no longer named, no successor, or a dry run).
    fn handover_gate<'s>(
        &self,
        still_named: bool,
        successor: Option<&'s UserId>,
    ) -> std::result::Result<&'s UserId, StepOutcome> {
        if !still_named {
            return Err(StepOutcome::AlreadyDone);
        }
        let s = successor.ok_or_else(|| StepOutcome::Skipped("no successor given".into()))?;
        if self.dry_run {
            return Err(StepOutcome::WouldDo);
        }
        Ok(s)
    }

    async fn run_step(
        &self,
        step: &OffboardingStep,
        successor: Option<&UserId>,
        op: &str,
    ) -> Result<StepOutcome> {
        let c = &self.client;
        let plan = &self.plan;
        let replace = |p: Participant, s: &UserId| {
            if plan.is_user(&p) {
                Participant::user_id(s.as_str())
            } else {
                p
            }
        };
        match step {
            OffboardingStep::HandOverRotation {
                schedule_id,
                rotation_id,
            } => {
                let rotations = c.schedules().rotations(schedule_id);
                let Some(rotation) = gone_is_none(rotations.get(rotation_id).await)? else {
                    return Ok(StepOutcome::AlreadyDone);
                };
                let named = rotation.participants.iter().any(|p| plan.is_user(p));
                let s = match self.handover_gate(named, successor) {
                    Ok(s) => s,
                    Err(outcome) => return Ok(outcome),
                };
                let participants = rotation
                    .participants
                    .into_iter()
                    .map(|p| replace(p, s))
                    .collect();
                written(rotations.set_participants(rotation_id, participants).await)
            }
            OffboardingStep::HandOverEscalation { escalation_id } => {
                let esc = c.escalations();
                let Some(e) = gone_is_none(esc.get(escalation_id).await)? else {
                    return Ok(StepOutcome::AlreadyDone);
                };
                let named = e.rules.iter().any(|r| plan.is_user(&r.recipient));
                let s = match self.handover_gate(named, successor) {
                    Ok(s) => s,
                    Err(outcome) => return Ok(outcome),
                };
                let rules = e
                    .rules
                    .into_iter()
                    .map(|mut r| {
                        r.recipient = replace(r.recipient, s);
                        r
                    })
                    .collect();
                written(esc.set_rules(escalation_id, rules).await)
            }
            _ if self.dry_run => Ok(StepOutcome::WouldDo),
            OffboardingStep::KeepTeamAdmin { team_id, .. } => {
                let Some(s) = successor else {
                    return Ok(StepOutcome::Skipped("no successor given".into()));
                };
                let teams = c.teams();
                let Some(team) = gone_is_none(teams.get(team_id).await)? else {
                    return Ok(StepOutcome::AlreadyDone);
                };
                let succ = UserRef::Id(s.clone());
                let other_admin = team
                    .members
                    .iter()
                    .filter(|m| m.role == TeamRole::Admin)
                    .any(|m| !m.user.to_ref().is_some_and(|r| plan.is_user_ref(&r)));
                if other_admin {
                    return Ok(StepOutcome::AlreadyDone);
                }
                if team.member(&succ).is_some() {
                    teams
                        .change_member_role(team_id, succ, TeamRole::Admin)
                        .await?;
                    Ok(StepOutcome::Done)
                } else {
                    written(teams.add_member(team_id, succ, TeamRole::Admin).await)
                }
            }
            OffboardingStep::VerifyUnblocked => {
                if self.accept_blockers {
                    return Ok(StepOutcome::Skipped("blockers accepted".into()));
                }
                let remaining = still_listed(c, plan.user_ref()).await?;
                if remaining.is_empty() {
                    Ok(StepOutcome::Done)
                } else {
                    Err(Error::Blocked {
                        operation: op.to_string(),
                        blockers: remaining,
                    })
                }
            }
            OffboardingStep::RedirectForwarding { rule_id } => {
                let Some(s) = successor else {
                    return Ok(StepOutcome::Skipped("no successor given".into()));
                };
                let rules = c.forwarding_rules();
                let Some(rule) = gone_is_none(rules.get(ForwardingRuleRef::from(rule_id)).await)?
                else {
                    return Ok(StepOutcome::AlreadyDone);
                };
                let to_me = rule.to_user.as_ref().is_some_and(|u| plan.is_meta(u));
                if !to_me {
                    return Ok(StepOutcome::AlreadyDone);
                }
                let Some(update) = ForwardingRuleUpdate::from_rule(&rule) else {
                    return Ok(StepOutcome::Skipped(
                        "the rule was read without fromUser or startDate; a complete update cannot be built"
                            .into(),
                    ));
                };
                written(
                    rules
                        .update(
                            ForwardingRuleRef::from(rule_id),
                            update.to_user(UserMeta::id(s.clone())),
                        )
                        .await,
                )
            }
            OffboardingStep::DeleteForwarding { rule_id } => written(
                c.forwarding_rules()
                    .delete(ForwardingRuleRef::from(rule_id))
                    .await,
            ),
            OffboardingStep::LeaveTeam { team_id, .. } => {
                written(c.teams().remove_member(team_id, plan.user_ref()).await)
            }
            OffboardingStep::DeleteUser => written(c.users().delete(plan.user_ref()).await),
        }
    }
}

impl std::future::IntoFuture for ExecuteOffboarding {
    type Output = Result<OffboardingReport>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<OffboardingReport>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// What the server still lists for the user: schedules and escalations.
async fn still_listed(c: &Client, user: UserRef) -> Result<Vec<Blocker>> {
    let mut b: Vec<Blocker> = c
        .users()
        .schedules(user.clone())
        .await?
        .into_iter()
        .map(|s| Blocker::Schedule { schedule_id: s.id })
        .collect();
    b.extend(
        c.users()
            .escalations(user)
            .await?
            .into_iter()
            .map(|e| Blocker::Escalation {
                escalation_id: e.id,
            }),
    );
    Ok(b)
}

/// A read whose 404 means "no longer there".
fn gone_is_none<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A write: done, or already done when the target is gone (404).
fn written<T>(r: Result<T>) -> Result<StepOutcome> {
    Ok(match gone_is_none(r)? {
        Some(_) => StepOutcome::Done,
        None => StepOutcome::AlreadyDone,
    })
}
