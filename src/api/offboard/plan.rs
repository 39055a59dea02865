//! The offboarding plan: what deleting a user would block on or break.

use std::fmt;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::gone_is_none;
use crate::client::Client;
use crate::error::Result;
use crate::ids::{
    EscalationId, EscalationRef, ForwardingRuleId, RotationId, ScheduleId, ScheduleRef, TeamId,
    TeamRef, UserId, UserRef, Username,
};
use crate::models::forwarding::UserMeta;
use crate::models::schedule::Participant;
use crate::models::team::TeamRole;
use crate::models::user::Role;
use crate::request::{ApiRequest, Domain};

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
/// it for approval; execute it with [`OffboardingHandler::execute`](super::OffboardingHandler::execute).
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

    pub(super) fn user_ref(&self) -> UserRef {
        UserRef::Id(self.user.id.clone())
    }

    pub(super) fn is_user(&self, p: &Participant) -> bool {
        p.is_user(&UserRef::Id(self.user.id.clone()))
            || p.is_user(&UserRef::Username(self.user.username.clone()))
    }

    pub(super) fn is_user_ref(&self, r: &UserRef) -> bool {
        match r {
            UserRef::Id(id) => id == &self.user.id,
            UserRef::Username(n) => n.as_str().eq_ignore_ascii_case(self.user.username.as_str()),
        }
    }

    pub(super) fn is_meta(&self, m: &UserMeta) -> bool {
        m.id.as_ref() == Some(&self.user.id)
            || m.username
                .as_ref()
                .is_some_and(|n| n.as_str().eq_ignore_ascii_case(self.user.username.as_str()))
    }
}

pub(super) async fn plan(c: Client, user: UserRef) -> Result<OffboardingPlan> {
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
