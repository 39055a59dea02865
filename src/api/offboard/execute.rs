//! Running an offboarding plan: handover, re-read, teams, delete.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::plan::*;
use super::{gone_is_none, written};
use crate::api::Step;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::{
    EscalationId, ForwardingRuleId, ForwardingRuleRef, RotationId, ScheduleId, TeamId, UserId,
    UserRef,
};
use crate::models::forwarding::{ForwardingRuleUpdate, UserMeta};
use crate::models::schedule::Participant;
use crate::models::team::TeamRole;

/// Builder returned by [`OffboardingHandler::execute`](super::OffboardingHandler::execute): set the options,
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
    pub(super) client: Client,
    pub(super) plan: OffboardingPlan,
    pub(super) successor: Option<UserRef>,
    pub(super) dry_run: bool,
    pub(super) accept_blockers: bool,
    pub(super) delete: bool,
    pub(super) delete_forwarding: bool,
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
