//! Schedule rotations (`client.schedules()`) and escalations
//! (`client.escalations()`): the reads and writes offboarding needs to hand
//! a user's rotation slots and escalation rules to someone else.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! for r in client.schedules().rotations("sre-schedule").list().await? {
//!     println!("{} has {} participants", r.id, r.participants.len());
//! }
//! # Ok(()) }
//! ```

use crate::api::{call, id_segment, named_segment, send_data, send_write};
use crate::client::Client;
use crate::ids::{EscalationRef, RotationId, ScheduleRef};
use crate::models::common::WriteResult;
use crate::models::schedule::{
    Escalation, EscalationRule, EscalationRulesUpdate, Participant, Rotation,
    RotationParticipantsUpdate,
};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// Schedule rotations.
    pub fn schedules(&self) -> SchedulesHandler {
        SchedulesHandler {
            client: self.clone(),
        }
    }

    /// Escalations.
    pub fn escalations(&self) -> EscalationsHandler {
        EscalationsHandler {
            client: self.clone(),
        }
    }
}

/// Schedule calls. Get one with [`Client::schedules`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct SchedulesHandler {
    client: Client,
}

impl SchedulesHandler {
    /// The rotations of one schedule (by id, or by name: a string is a name).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let rotations = client.schedules().rotations("sre_schedule");
    /// let all = rotations.list().await?;
    /// # Ok(()) }
    /// ```
    pub fn rotations(&self, schedule: impl Into<ScheduleRef>) -> RotationsHandler {
        RotationsHandler {
            client: self.client.clone(),
            schedule: schedule.into(),
        }
    }
}

/// Rotation calls of one schedule (`/v2/schedules/{schedule}/rotations`,
/// always with `scheduleIdentifierType`). Get one with
/// [`SchedulesHandler::rotations`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct RotationsHandler {
    client: Client,
    schedule: ScheduleRef,
}

call!(
    /// [`RotationsHandler::list`].
    ListRotations -> Vec<Rotation>
);
call!(
    /// [`RotationsHandler::get`].
    GetRotation -> Rotation
);
call!(
    /// [`RotationsHandler::set_participants`].
    SetParticipants -> WriteResult
);
call!(
    /// [`EscalationsHandler::get`].
    GetEscalation -> Escalation
);
call!(
    /// [`EscalationsHandler::list`].
    ListEscalations -> Vec<Escalation>
);
call!(
    /// [`EscalationsHandler::set_rules`].
    SetEscalationRules -> WriteResult
);

impl RotationsHandler {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        named_segment(
            req.path("v2/schedules"),
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
    pub fn list(&self) -> ListRotations {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        ListRotations::new(send_data(self.client.clone(), req))
    }

    /// Gets one rotation.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let r = client.schedules().rotations("sre").get("a47c6f3c").await?;
    /// # Ok(()) }
    /// ```
    pub fn get(&self, rotation: impl Into<RotationId>) -> GetRotation {
        let req = id_segment(
            self.base(ApiRequest::get(Domain::Configuration)),
            &rotation.into(),
        );
        GetRotation::new(send_data(self.client.clone(), req))
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
    ///     .rotations("sre")
    ///     .set_participants("a47c6f3c", vec![Participant::user_id("b5b9e2a4")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_participants(
        &self,
        rotation: impl Into<RotationId>,
        participants: Vec<Participant>,
    ) -> SetParticipants {
        let mut req = id_segment(
            self.base(ApiRequest::patch(Domain::Configuration)),
            &rotation.into(),
        )
        .json(&RotationParticipantsUpdate {
            participants: participants.clone(),
        })
        .idempotent(true);
        if participants.is_empty() {
            req = req.invalid("a rotation needs at least one participant");
        }
        SetParticipants::new(send_write(self.client.clone(), req))
    }
}

/// Escalation calls (`/v2/escalations`, always with `identifierType`). Get
/// one with [`Client::escalations`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct EscalationsHandler {
    client: Client,
}

fn escalation_path(req: ApiRequest, e: &EscalationRef) -> ApiRequest {
    named_segment(req.path("v2/escalations"), "identifierType", e)
}

impl EscalationsHandler {
    /// Gets one escalation with its rules.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let e = client.escalations().get("sre_escalation").await?;
    /// for rule in &e.rules {
    ///     println!("{:?} after {} -> {:?}", rule.condition, rule.delay.time_amount, rule.recipient.username);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get(&self, escalation: impl Into<EscalationRef>) -> GetEscalation {
        let req = escalation_path(ApiRequest::get(Domain::Configuration), &escalation.into());
        GetEscalation::new(send_data(self.client.clone(), req))
    }

    /// Lists every escalation.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let all = client.escalations().list().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListEscalations {
        let req = ApiRequest::get(Domain::Configuration).path("v2/escalations");
        ListEscalations::new(send_data(self.client.clone(), req))
    }

    /// Replaces the escalation's rules (`PATCH`, body `{"rules": [...]}`, the
    /// whole list). Idempotent: the list is absolute.
    ///
    /// A rule read without `condition` or `notifyType` is sent with the
    /// spec's documented default (`if-not-acked`, `default`), never with an
    /// empty string; every other field of each rule (unknown ones too) is
    /// sent as read.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::EscalationRef;
    /// let e = client.escalations().get(EscalationRef::id("9a0b1c2d")).await?;
    /// client.escalations().set_rules(&e.id, e.rules).await?;
    /// # Ok(()) }
    /// ```
    pub fn set_rules(
        &self,
        escalation: impl Into<EscalationRef>,
        rules: Vec<EscalationRule>,
    ) -> SetEscalationRules {
        let req = escalation_path(ApiRequest::patch(Domain::Configuration), &escalation.into())
            .json(&EscalationRulesUpdate {
                rules: rules
                    .into_iter()
                    .map(EscalationRule::with_defaults)
                    .collect(),
            })
            .idempotent(true);
        SetEscalationRules::new(send_write(self.client.clone(), req))
    }
}
