//! Offboarding: audit what deleting a user would block or break, show the
//! plan for approval, then hand over, leave teams and delete, safely.
//!
//! Opsgenie refuses to delete a user who is still in a schedule rotation or
//! an escalation rule, or who is the only Owner (422; the docs also list 428),
//! and a delete cannot be undone. So:
//!
//! 1. [`Offboarding::plan`] reads the user's teams, rotations, escalations,
//!    forwarding rules and role into an [`OffboardingPlan`] (serializable,
//!    for a tool to show and store).
//! 2. [`Offboarding::execute`] refuses, before sending anything, while
//!    blockers remain that the run will not clear, unless the caller accepts
//!    them. With a successor it hands every rotation slot and escalation
//!    recipient to them (read, replace, write back), removes the user from
//!    each team, then deletes the user. Each step is idempotent: something
//!    already done counts as done, so running the same plan twice is safe
//!    and the second run writes nothing. A dry run only reads.
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
//!     .send()
//!     .await?;
//! assert!(report.deleted);
//! # Ok(()) }
//! ```

use std::fmt;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::api::is_gone;
use crate::api::schedules::{EscalationRef, ScheduleRef};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{TeamId, TeamRef, UserId, UserRef, Username};
use crate::models::schedule::Participant;
use crate::models::team::TeamRole;
use crate::models::user::Role;

impl Client {
    /// The offboarding workflow.
    pub fn offboarding(&self) -> Offboarding<'_> {
        Offboarding { client: self }
    }
}

/// Offboarding calls. Get one with [`Client::offboarding`].
#[derive(Debug, Clone, Copy)]
pub struct Offboarding<'c> {
    client: &'c Client,
}

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
    /// The user is the team's only admin: the team is left without one.
    pub only_admin: bool,
}

/// A rotation that includes the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedRotation {
    /// Schedule id.
    pub schedule_id: String,
    /// Schedule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_name: Option<String>,
    /// Rotation id.
    pub rotation_id: String,
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
    pub id: String,
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
    pub id: String,
    /// Alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The user's notifications are forwarded to someone (`true`), or
    /// someone's are forwarded to the user (`false`).
    pub from_user: bool,
}

/// Everything deleting a user would block on or break. Serialize it to show
/// it for approval; execute it with [`Offboarding::execute`].
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
    /// Forwarding rules from or to the user.
    pub forwarding_rules: Vec<PlannedForwarding>,
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
        schedule_id: String,
        /// Rotation id.
        rotation_id: String,
    },
    /// An escalation's rules notify the user.
    Escalation {
        /// Escalation id.
        escalation_id: String,
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
        if self.sole_owner {
            b.push(Blocker::SoleOwner);
        }
        b
    }

    /// What breaks without blocking: teams left without an admin,
    /// forwarding rules that stop.
    pub fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .teams
            .iter()
            .filter(|t| t.only_admin)
            .map(|t| format!("team {} is left without an admin", t.name))
            .collect();
        w.extend(self.forwarding_rules.iter().map(|f| {
            format!(
                "forwarding rule {} {} the user stops",
                f.alias.as_deref().unwrap_or(&f.id),
                if f.from_user { "from" } else { "to" }
            )
        }));
        w
    }

    /// Blockers that a run with (`true`) or without (`false`) a successor
    /// leaves in place.
    pub fn remaining_blockers(&self, with_successor: bool) -> Vec<Blocker> {
        self.blockers()
            .into_iter()
            .filter(|b| !with_successor || matches!(b, Blocker::SoleOwner))
            .collect()
    }

    fn user_ref(&self) -> UserRef {
        UserRef::Id(self.user.id.clone())
    }

    fn is_user(&self, p: &Participant) -> bool {
        p.is_user(&UserRef::Id(self.user.id.clone()))
            || p.is_user(&UserRef::Username(self.user.username.clone()))
    }
}

impl<'c> Offboarding<'c> {
    /// Reads everything that deleting `user` would block on or break:
    /// `GET /v2/users/{user}`, their teams (each team read for its admins),
    /// schedules (each schedule's rotations read), escalations, forwarding
    /// rules and, for an Owner, the other Owners. Writes nothing.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let plan = client.offboarding().plan("leaver@example.com").await?;
    /// if plan.blockers().is_empty() {
    ///     println!("nothing blocks the delete");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn plan(&self, user: impl Into<UserRef>) -> Result<OffboardingPlan> {
        let c = self.client;
        let u = c.users().get(user.into()).send().await?;
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
            let rotations = c
                .schedules()
                .rotations(ScheduleRef::id(s.id.clone()))
                .list()
                .await;
            for r in gone_is_none(rotations)?.unwrap_or_default() {
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
        }

        for e in c.users().escalations(me_ref.clone()).await? {
            let rules: Vec<usize> = e
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

    /// Prepares the execution of `plan`; see [`ExecuteOffboarding::send`].
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
    ///     .send()
    ///     .await?;
    /// for s in &preview.steps {
    ///     println!("{}: {:?}", s.step, s.outcome);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn execute<'p>(&self, plan: &'p OffboardingPlan) -> ExecuteOffboarding<'c, 'p> {
        ExecuteOffboarding {
            client: self.client,
            plan,
            successor: None,
            dry_run: false,
            accept_blockers: false,
            delete: true,
        }
    }
}

/// Builder returned by [`Offboarding::execute`].
#[derive(Debug)]
#[must_use = "call .send().await"]
pub struct ExecuteOffboarding<'c, 'p> {
    client: &'c Client,
    plan: &'p OffboardingPlan,
    successor: Option<UserRef>,
    dry_run: bool,
    accept_blockers: bool,
    delete: bool,
}

/// One step of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OffboardingStep {
    /// Give the user's slots in a rotation to the successor.
    HandOverRotation {
        /// Schedule id.
        schedule_id: String,
        /// Rotation id.
        rotation_id: String,
    },
    /// Give the user's escalation rules to the successor.
    HandOverEscalation {
        /// Escalation id.
        escalation_id: String,
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

impl ExecuteOffboarding<'_, '_> {
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

    fn all_steps(&self) -> Vec<OffboardingStep> {
        let p = self.plan;
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
        steps.extend(p.teams.iter().map(|t| OffboardingStep::LeaveTeam {
            team_id: t.id.clone(),
            team_name: t.name.clone(),
        }));
        if self.delete {
            steps.push(OffboardingStep::DeleteUser);
        }
        steps
    }

    /// Runs the plan.
    ///
    /// - Refuses with [`Error::Blocked`], before sending anything, while
    ///   blockers remain that this run will not clear (rotations and
    ///   escalations without a successor; a sole Owner always), unless
    ///   [`accept_blockers`](Self::accept_blockers) is set.
    /// - Reads the user first: if they are gone, every step is
    ///   [`StepOutcome::AlreadyDone`] and nothing is written.
    /// - Each handover re-reads the rotation or escalation, replaces the
    ///   user with the successor and writes the list back (already without
    ///   the user: nothing written). Leaving a team that the user already
    ///   left, or deleting a user already gone (404), counts as done.
    /// - A dry run reads but never writes (and never deletes).
    /// - A failure after some writes is [`Error::PartiallyApplied`] listing
    ///   the steps done and not done; a delete the server refuses (422/428)
    ///   is [`Error::DeleteBlocked`] with the server's message (as the cause
    ///   when earlier steps wrote).
    pub async fn send(self) -> Result<OffboardingReport> {
        let c = self.client;
        let plan = self.plan;
        let op = format!("offboard {}", plan.user.username);
        let remaining = plan.remaining_blockers(self.successor.is_some());
        if !remaining.is_empty() && !self.accept_blockers {
            return Err(Error::Blocked {
                operation: op,
                blockers: remaining.iter().map(|b| b.to_string()).collect(),
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
        if gone_is_none(c.users().get(plan.user_ref()).send().await)?.is_none() {
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
            let outcome = match self.run_step(&step, successor.as_ref()).await {
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
                            .map(|s| format!("{}: {:?}", s.step, s.outcome))
                            .collect(),
                        not_applied: all[done_count..].iter().map(|s| s.to_string()).collect(),
                        cause: Box::new(cause),
                    });
                }
            };
            if outcome == StepOutcome::Done {
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
    ) -> Result<StepOutcome> {
        let c = self.client;
        let plan = self.plan;
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
                let rotations = c
                    .schedules()
                    .rotations(ScheduleRef::id(schedule_id.clone()));
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
                let id = EscalationRef::id(escalation_id.clone());
                let Some(e) = gone_is_none(esc.get(id.clone()).await)? else {
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
                written(esc.set_rules(id, rules).await)
            }
            _ if self.dry_run => Ok(StepOutcome::WouldDo),
            OffboardingStep::LeaveTeam { team_id, .. } => written(
                c.teams()
                    .remove_member(TeamRef::from(team_id), plan.user_ref())
                    .await,
            ),
            OffboardingStep::DeleteUser => written(c.users().delete(plan.user_ref()).await),
        }
    }
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
