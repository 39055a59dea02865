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

use crate::api::{call, is_gone};
use crate::client::Client;
use crate::error::Result;
use crate::ids::UserRef;

mod execute;
mod plan;

pub use execute::{
    ExecuteOffboarding, OffboardingReport, OffboardingStep, StepOutcome, StepReport,
};
pub use plan::{
    Blocker, OffboardingPlan, PlanUser, PlannedEscalation, PlannedForwarding, PlannedOverride,
    PlannedRotation, PlannedTeam,
};

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
        PlanOffboarding::new(async move { plan::plan(c, user).await })
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
