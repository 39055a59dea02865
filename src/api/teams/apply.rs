//! Membership changes as steps: [`TeamsHandler::apply_members`] and the
//! typed steps a partial failure lists.

use std::fmt;

use serde::Serialize;

use super::TeamsHandler;
use crate::api::is_gone;
use crate::error::{Error, Result};
use crate::ids::TeamRef;
use crate::models::team::{MemberDiff, MemberRoleChange, MemberUser, TeamMember, TeamRole};

/// One membership change of [`TeamsHandler::apply_members`] or
/// [`TeamsHandler::change_member_role`], as
/// [`Error::PartiallyApplied`] lists it. `team` is the team's name when the
/// step names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MembershipStep {
    /// Add the user with a role.
    Add {
        /// Who.
        user: MemberUser,
        /// With which team role.
        role: TeamRole,
        /// The team's name, when the step names it.
        team: Option<String>,
    },
    /// Change the user's team role.
    ChangeRole {
        /// Who.
        user: MemberUser,
        /// The current role.
        from: TeamRole,
        /// The wanted role.
        to: TeamRole,
    },
    /// Remove the user.
    Remove {
        /// Who.
        user: MemberUser,
        /// The team's name, when the step names it.
        team: Option<String>,
    },
    /// Add the user back with their previous role after a failed change.
    Restore {
        /// Who.
        user: MemberUser,
        /// The previous role.
        role: TeamRole,
        /// The team's name.
        team: String,
    },
}

fn who(u: &MemberUser) -> String {
    u.to_ref()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "?".into())
}

impl fmt::Display for MembershipStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembershipStep::Add {
                user,
                role,
                team: Some(t),
            } => write!(f, "add {} to team {t} as {role}", who(user)),
            MembershipStep::Add {
                user,
                role,
                team: None,
            } => write!(f, "add {} as {role}", who(user)),
            MembershipStep::ChangeRole { user, from, to } => {
                write!(f, "change {} from {from} to {to}", who(user))
            }
            MembershipStep::Remove {
                user,
                team: Some(t),
            } => write!(f, "remove {} from team {t}", who(user)),
            MembershipStep::Remove { user, team: None } => write!(f, "remove {}", who(user)),
            MembershipStep::Restore { user, role, team } => {
                write!(f, "restore {} in team {team} as {role}", who(user))
            }
        }
    }
}

/// Builder returned by [`TeamsHandler::apply_members`]: set the options,
/// then await it.
#[derive(Debug, Clone)]
#[must_use = "an ApplyMembers does nothing until awaited"]
pub struct ApplyMembers {
    pub(super) handler: TeamsHandler,
    pub(super) team: TeamRef,
    pub(super) diff: MemberDiff,
    pub(super) remove_unlisted: bool,
}

/// What an awaited [`ApplyMembers`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[non_exhaustive]
pub struct ApplyReport {
    /// Members added.
    pub added: Vec<TeamMember>,
    /// Role changes made.
    pub role_changed: Vec<MemberRoleChange>,
    /// Members removed.
    pub removed: Vec<TeamMember>,
    /// Unlisted members left in place (removal not requested).
    pub kept_unlisted: Vec<TeamMember>,
}

impl ApplyMembers {
    /// Also remove members the desired set does not list (default: keep them).
    pub fn remove_unlisted(mut self, yes: bool) -> Self {
        self.remove_unlisted = yes;
        self
    }

    /// Applies the diff. A failure stops at once with
    /// [`Error::PartiallyApplied`] naming every step done and not done.
    async fn run(self) -> Result<ApplyReport> {
        let h = &self.handler;
        let team = &self.team;
        let mut steps: Vec<crate::api::Step> = Vec::new();
        for m in &self.diff.add {
            steps.push(
                MembershipStep::Add {
                    user: m.user.clone(),
                    role: m.role.clone(),
                    team: None,
                }
                .into(),
            );
        }
        for c in &self.diff.change_role {
            steps.push(
                MembershipStep::ChangeRole {
                    user: c.user.clone(),
                    from: c.from.clone(),
                    to: c.to.clone(),
                }
                .into(),
            );
        }
        if self.remove_unlisted {
            for m in &self.diff.remove {
                steps.push(
                    MembershipStep::Remove {
                        user: m.user.clone(),
                        team: None,
                    }
                    .into(),
                );
            }
        }
        let mut report = ApplyReport::default();
        let mut done = 0usize;
        let fail = |done: usize, cause: Error| Error::PartiallyApplied {
            operation: format!("apply member changes to team {team}"),
            applied: steps[..done].to_vec(),
            not_applied: steps[done..].to_vec(),
            cause: Box::new(cause),
        };
        for m in &self.diff.add {
            let Some(user) = m.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            h.add_member(team.clone(), user, m.role.clone())
                .await
                .map_err(|e| fail(done, e))?;
            report.added.push(m.clone());
            done += 1;
        }
        for c in &self.diff.change_role {
            let Some(user) = c.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            h.change_member_role(team.clone(), user, c.to.clone())
                .await
                .map_err(|e| fail(done, e))?;
            report.role_changed.push(c.clone());
            done += 1;
        }
        for m in &self.diff.remove {
            if !self.remove_unlisted {
                report.kept_unlisted.push(m.clone());
                continue;
            }
            let Some(user) = m.user.to_ref() else {
                return Err(fail(
                    done,
                    Error::InvalidInput("a member without id or username".into()),
                ));
            };
            match h.remove_member(team.clone(), user).await {
                Ok(_) => {}
                Err(e) if is_gone(&e) => {}
                Err(e) => return Err(fail(done, e)),
            }
            report.removed.push(m.clone());
            done += 1;
        }
        Ok(report)
    }
}

impl std::future::IntoFuture for ApplyMembers {
    type Output = Result<ApplyReport>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<ApplyReport>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
