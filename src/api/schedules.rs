//! Schedule rotations (`client.schedules()`) and escalations
//! (`client.escalations()`): the reads and writes offboarding needs to hand
//! a user's rotation slots and escalation rules to someone else.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::ScheduleRef;
//! for r in client.schedules().rotations(ScheduleRef::name("sre-schedule")).list().await? {
//!     println!("{} has {} participants", r.id, r.participants.len());
//! }
//! # Ok(()) }
//! ```

use crate::api::{named_segment, write_result};
use crate::client::Client;
use crate::error::Result;
use crate::ids::NameOrId;
use crate::models::common::WriteResult;
use crate::models::schedule::{
    Escalation, EscalationRule, EscalationRulesUpdate, Participant, Rotation,
    RotationParticipantsUpdate,
};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

/// A schedule by id or name (sent with `scheduleIdentifierType`).
pub type ScheduleRef = NameOrId;
/// An escalation by id or name (sent with `identifierType`).
pub type EscalationRef = NameOrId;

impl Client {
    /// Schedule rotations.
    pub fn schedules(&self) -> SchedulesHandler<'_> {
        SchedulesHandler { client: self }
    }

    /// Escalations.
    pub fn escalations(&self) -> EscalationsHandler<'_> {
        EscalationsHandler { client: self }
    }
}

/// Schedule calls. Get one with [`Client::schedules`].
#[derive(Debug, Clone, Copy)]
pub struct SchedulesHandler<'c> {
    client: &'c Client,
}

impl<'c> SchedulesHandler<'c> {
    /// The rotations of one schedule.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let rotations = client.schedules().rotations(opsgenie_users::ScheduleRef::name("sre_schedule"));
    /// let all = rotations.list().await?;
    /// # Ok(()) }
    /// ```
    pub fn rotations(&self, schedule: ScheduleRef) -> RotationsHandler<'c> {
        RotationsHandler {
            client: self.client,
            schedule,
        }
    }
}

/// Rotation calls of one schedule (`/v2/schedules/{schedule}/rotations`,
/// always with `scheduleIdentifierType`). Get one with
/// [`SchedulesHandler::rotations`].
#[derive(Debug, Clone)]
pub struct RotationsHandler<'c> {
    client: &'c Client,
    schedule: ScheduleRef,
}

impl RotationsHandler<'_> {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        named_segment(
            req.path("v2/schedules"),
            "schedule",
            "scheduleIdentifierType",
            &self.schedule,
        )
        .path("rotations")
    }

    /// Lists the schedule's rotations with their participants.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let rotations = client.schedules().rotations(opsgenie_users::ScheduleRef::id("5b6d4ad5")).list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<Rotation>> {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        self.client.send(req).await?.data()
    }

    /// Gets one rotation.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let r = client.schedules().rotations(opsgenie_users::ScheduleRef::name("sre")).get("a47c6f3c").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, rotation: &str) -> Result<Rotation> {
        let req = self
            .base(ApiRequest::get(Domain::Configuration))
            .segment("rotation id", rotation);
        self.client.send(req).await?.data()
    }

    /// Replaces the rotation's participants (`PATCH`, body
    /// `{"participants": [...]}`; nothing else about the rotation is sent, so
    /// nothing else changes). Idempotent: the list is absolute.
    ///
    /// Spec note: the OpenAPI file describes participants as `{type, id}`;
    /// the live API answers with `username` / `name` too. Participants read
    /// from a rotation are written back with every field they came with.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::schedule::Participant;
    /// client
    ///     .schedules()
    ///     .rotations(opsgenie_users::ScheduleRef::name("sre"))
    ///     .set_participants("a47c6f3c", vec![Participant::user_id("b5b9e2a4")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_participants(
        &self,
        rotation: &str,
        participants: Vec<Participant>,
    ) -> Result<WriteResult> {
        let mut req = self
            .base(ApiRequest::patch(Domain::Configuration))
            .segment("rotation id", rotation)
            .json(&RotationParticipantsUpdate {
                participants: participants.clone(),
            })
            .idempotent(true);
        if participants.is_empty() {
            req = req.invalid("a rotation needs at least one participant");
        }
        write_result(&self.client.send(req).await?)
    }
}

/// Escalation calls (`/v2/escalations`, always with `identifierType`). Get
/// one with [`Client::escalations`].
#[derive(Debug, Clone, Copy)]
pub struct EscalationsHandler<'c> {
    client: &'c Client,
}

fn escalation_path(req: ApiRequest, e: &EscalationRef) -> ApiRequest {
    named_segment(
        req.path("v2/escalations"),
        "escalation",
        "identifierType",
        e,
    )
}

impl EscalationsHandler<'_> {
    /// Gets one escalation with its rules.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let e = client.escalations().get(opsgenie_users::EscalationRef::name("sre_escalation")).await?;
    /// for rule in &e.rules {
    ///     println!("{} after {} -> {:?}", rule.condition, rule.delay.time_amount, rule.recipient.username);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, escalation: EscalationRef) -> Result<Escalation> {
        let req = escalation_path(ApiRequest::get(Domain::Configuration), &escalation);
        self.client.send(req).await?.data()
    }

    /// Lists every escalation.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let all = client.escalations().list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<Escalation>> {
        let req = ApiRequest::get(Domain::Configuration).path("v2/escalations");
        self.client.send(req).await?.data()
    }

    /// Replaces the escalation's rules (`PATCH`, body `{"rules": [...]}`, the
    /// whole list). Idempotent: the list is absolute.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::EscalationRef;
    /// let e = client.escalations().get(EscalationRef::id("9a0b1c2d")).await?;
    /// client.escalations().set_rules(EscalationRef::id(e.id.clone()), e.rules).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_rules(
        &self,
        escalation: EscalationRef,
        rules: Vec<EscalationRule>,
    ) -> Result<WriteResult> {
        let req = escalation_path(ApiRequest::patch(Domain::Configuration), &escalation)
            .json(&EscalationRulesUpdate { rules })
            .idempotent(true);
        write_result(&self.client.send(req).await?)
    }
}
