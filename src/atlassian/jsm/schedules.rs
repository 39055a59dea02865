//! JSM Operations schedules and rotations, escalations (under a team) and
//! forwarding rules: what offboarding edits to hand a person's on-call
//! duties to someone else. See the [parent module](super) for sources.
//!
//! Rotations and escalation rules are written back with every field they
//! were read with ([`OpsRotation::other`], [`OpsEscalationRule::other`]):
//! only the participants or recipients change.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{get_json, seg, write, OpsList, OpsWrite};
use crate::api::call;
use crate::atlassian::client::JsmOpsClient;
use crate::atlassian::ids::{
    AccountId, OpsEscalationId, OpsForwardingRuleId, OpsRotationId, OpsScheduleId, PlatformTeamId,
};
use crate::request::ApiRequest;

type Fields = serde_json::Map<String, serde_json::Value>;

/// A rotation participant or escalation recipient: `{type, id}` with type
/// `user` (an account id), `team`, `escalation`, `schedule` or `noone`.
///
/// ```
/// use opsgenie_users::atlassian::OpsParticipant;
/// let p = OpsParticipant::user("712020:abc");
/// assert_eq!(serde_json::to_value(&p).unwrap(), serde_json::json!({"type": "user", "id": "712020:abc"}));
/// assert_eq!(p.account_id().unwrap().as_str(), "712020:abc");
/// assert_eq!(serde_json::to_value(OpsParticipant::noone()).unwrap(), serde_json::json!({"type": "noone"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpsParticipant {
    /// `user`, `team`, `escalation`, `schedule` or `noone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id (none for `noone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl OpsParticipant {
    /// A person.
    pub fn user(account: impl Into<AccountId>) -> Self {
        OpsParticipant {
            kind: "user".into(),
            id: Some(account.into().as_str().to_string()),
        }
    }

    /// A team.
    pub fn team(team: impl Into<PlatformTeamId>) -> Self {
        OpsParticipant {
            kind: "team".into(),
            id: Some(team.into().as_str().to_string()),
        }
    }

    /// Nobody (a gap in the rotation).
    pub fn noone() -> Self {
        OpsParticipant {
            kind: "noone".into(),
            id: None,
        }
    }

    /// The account id, for a `user`.
    pub fn account_id(&self) -> Option<AccountId> {
        match (&*self.kind, &self.id) {
            ("user", Some(id)) => Some(AccountId::new(id.clone())),
            _ => None,
        }
    }
}

/// A schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpsSchedule {
    /// Its id.
    pub id: OpsScheduleId,
    /// Its name.
    pub name: String,
    /// The owner team.
    #[serde(default)]
    pub team_id: Option<PlatformTeamId>,
    /// Every other field.
    #[serde(flatten)]
    pub other: Fields,
}

/// A rotation of a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpsRotation {
    /// Its id.
    pub id: OpsRotationId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Who takes turns.
    #[serde(default)]
    pub participants: Vec<OpsParticipant>,
    /// Every other field (type, length, start date, time restriction...).
    #[serde(flatten)]
    pub other: Fields,
}

/// An escalation policy of a team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpsEscalation {
    /// Its id.
    pub id: OpsEscalationId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its rules, in order.
    #[serde(default)]
    pub rules: Vec<OpsEscalationRule>,
    /// Every other field.
    #[serde(flatten)]
    pub other: Fields,
}

/// One escalation rule: whom to notify, and (in `other`) when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpsEscalationRule {
    /// Whom.
    pub recipient: OpsParticipant,
    /// Every other field (condition, notifyType, delay).
    #[serde(flatten)]
    pub other: Fields,
}

/// A forwarding rule: notifications for `from_user_id` go to `to_user_id`
/// between the two dates (`{id, fromUserId, toUserId, startDate, endDate}`,
/// confirmed on the vendor page). Fields this crate does not know are kept
/// in `other` and written back by [`OpsForwardingRulesHandler::update`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpsForwardingRule {
    /// Its id.
    pub id: OpsForwardingRuleId,
    /// Whose notifications are forwarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<AccountId>,
    /// Who receives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user_id: Option<AccountId>,
    /// From when (ISO 8601, as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Until when (ISO 8601, as read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Every other field.
    #[serde(flatten)]
    pub other: Fields,
}

#[derive(Serialize)]
struct Participants<'a> {
    participants: &'a [OpsParticipant],
}

#[derive(Serialize)]
struct Rules<'a> {
    rules: &'a [OpsEscalationRule],
}

call!(
    /// [`OpsSchedulesHandler::get`].
    GetOpsSchedule -> OpsSchedule
);
call!(
    /// [`OpsRotationsHandler::get`].
    GetOpsRotation -> OpsRotation
);
call!(
    /// [`OpsEscalationsHandler::get`].
    GetOpsEscalation -> OpsEscalation
);
call!(
    /// [`OpsForwardingRulesHandler::get`].
    GetOpsForwardingRule -> OpsForwardingRule
);

impl JsmOpsClient {
    /// Schedules and their rotations.
    pub fn schedules(&self) -> OpsSchedulesHandler {
        OpsSchedulesHandler {
            client: self.clone(),
        }
    }

    /// The escalations of one team.
    pub fn escalations(&self, team: impl Into<PlatformTeamId>) -> OpsEscalationsHandler {
        OpsEscalationsHandler {
            client: self.clone(),
            team: team.into(),
        }
    }

    /// Forwarding rules.
    pub fn forwarding_rules(&self) -> OpsForwardingRulesHandler {
        OpsForwardingRulesHandler {
            client: self.clone(),
        }
    }
}

/// Schedule calls. Get one with [`JsmOpsClient::schedules`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OpsSchedulesHandler {
    client: JsmOpsClient,
}

impl OpsSchedulesHandler {
    fn base(&self, method: Method) -> ApiRequest {
        self.client.request(method).path("v1/schedules")
    }

    /// Lists the schedules (`GET /v1/schedules`).
    pub fn list(&self) -> OpsList<OpsSchedule> {
        OpsList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Gets one schedule.
    pub fn get(&self, schedule: impl Into<OpsScheduleId>) -> GetOpsSchedule {
        let req = seg(self.base(Method::GET), &schedule.into());
        GetOpsSchedule::new(get_json(self.client.conn.clone(), req))
    }

    /// The rotations of one schedule.
    pub fn rotations(&self, schedule: impl Into<OpsScheduleId>) -> OpsRotationsHandler {
        OpsRotationsHandler {
            client: self.client.clone(),
            schedule: schedule.into(),
        }
    }
}

/// Rotation calls of one schedule. Get one with
/// [`OpsSchedulesHandler::rotations`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OpsRotationsHandler {
    client: JsmOpsClient,
    schedule: OpsScheduleId,
}

impl OpsRotationsHandler {
    fn base(&self, method: Method) -> ApiRequest {
        seg(
            self.client.request(method).path("v1/schedules"),
            &self.schedule,
        )
        .path("rotations")
    }

    /// Lists the rotations (`GET /v1/schedules/{id}/rotations`).
    pub fn list(&self) -> OpsList<OpsRotation> {
        OpsList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Gets one rotation.
    pub fn get(&self, rotation: impl Into<OpsRotationId>) -> GetOpsRotation {
        let req = seg(self.base(Method::GET), &rotation.into());
        GetOpsRotation::new(get_json(self.client.conn.clone(), req))
    }

    /// Replaces the rotation's participants (`PATCH`, body
    /// `{participants}`; nothing else is sent). Idempotent: the list is absolute.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::OpsParticipant;
    /// jsm.schedules()
    ///     .rotations("s-1")
    ///     .set_participants("r-1", vec![OpsParticipant::user("712020:successor")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_participants(
        &self,
        rotation: impl Into<OpsRotationId>,
        participants: Vec<OpsParticipant>,
    ) -> OpsWrite {
        let rotation = rotation.into();
        let mut req = seg(self.base(Method::PATCH), &rotation)
            .json(&Participants {
                participants: &participants,
            })
            .idempotent(true);
        if participants.is_empty() {
            req = req.invalid("a rotation needs at least one participant");
        }
        write(
            self.client.conn.clone(),
            req,
            format!("set the participants of rotation {rotation}"),
        )
    }
}

/// Escalation calls of one team. Get one with
/// [`JsmOpsClient::escalations`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OpsEscalationsHandler {
    client: JsmOpsClient,
    team: PlatformTeamId,
}

impl OpsEscalationsHandler {
    fn base(&self, method: Method) -> ApiRequest {
        seg(self.client.request(method).path("v1/teams"), &self.team).path("escalations")
    }

    /// Lists the team's escalations (`GET /v1/teams/{teamId}/escalations`).
    pub fn list(&self) -> OpsList<OpsEscalation> {
        OpsList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Gets one escalation.
    pub fn get(&self, escalation: impl Into<OpsEscalationId>) -> GetOpsEscalation {
        let req = seg(self.base(Method::GET), &escalation.into());
        GetOpsEscalation::new(get_json(self.client.conn.clone(), req))
    }

    /// Replaces the escalation's rules (`PATCH`, body `{rules}`), each
    /// written with every field it was read with. Idempotent.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::atlassian::OpsParticipant;
    /// let esc = jsm.escalations("t-1");
    /// let mut e = esc.get("e-1").await?;
    /// for rule in &mut e.rules {
    ///     if rule.recipient == OpsParticipant::user("712020:leaver") {
    ///         rule.recipient = OpsParticipant::user("712020:successor");
    ///     }
    /// }
    /// esc.set_rules(&e.id, e.rules.clone()).await?;
    /// # Ok(()) }
    /// ```
    pub fn set_rules(
        &self,
        escalation: impl Into<OpsEscalationId>,
        rules: Vec<OpsEscalationRule>,
    ) -> OpsWrite {
        let escalation = escalation.into();
        let mut req = seg(self.base(Method::PATCH), &escalation)
            .json(&Rules { rules: &rules })
            .idempotent(true);
        if rules.is_empty() {
            req = req.invalid("an escalation needs at least one rule");
        }
        write(
            self.client.conn.clone(),
            req,
            format!("set the rules of escalation {escalation}"),
        )
    }
}

/// Forwarding rule calls. Get one with [`JsmOpsClient::forwarding_rules`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct OpsForwardingRulesHandler {
    client: JsmOpsClient,
}

impl OpsForwardingRulesHandler {
    fn base(&self, method: Method) -> ApiRequest {
        self.client.request(method).path("v1/forwarding-rules")
    }

    /// Lists the forwarding rules (`GET /v1/forwarding-rules`).
    pub fn list(&self) -> OpsList<OpsForwardingRule> {
        OpsList::new(self.client.conn.clone(), self.base(Method::GET))
    }

    /// Gets one rule.
    pub fn get(&self, rule: impl Into<OpsForwardingRuleId>) -> GetOpsForwardingRule {
        let req = seg(self.base(Method::GET), &rule.into());
        GetOpsForwardingRule::new(get_json(self.client.conn.clone(), req))
    }

    /// Updates a rule: reads it, applies the changes set on the returned
    /// builder, and writes the **complete** rule back
    /// (`PUT /v1/forwarding-rules/{id}` with `fromUserId`, `toUserId`,
    /// `startDate`, `endDate`, and any field this crate does not know, as
    /// read). Idempotent: writing the same rule again changes nothing.
    ///
    /// ```no_run
    /// # async fn demo(jsm: opsgenie_users::atlassian::JsmOpsClient) -> opsgenie_users::Result<()> {
    /// // Hand a leaver's forwarding to their successor, until the end of the year.
    /// jsm.forwarding_rules()
    ///     .update("6667cb5b-a5ce-4550-9469-1dbcabac6ffb")
    ///     .to_user("712020:successor")
    ///     .end_date("2026-12-31T23:59:00Z".parse().expect("a timestamp"))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, rule: impl Into<OpsForwardingRuleId>) -> UpdateOpsForwardingRule {
        UpdateOpsForwardingRule {
            handler: self.clone(),
            rule: rule.into(),
            from: None,
            to: None,
            start: None,
            end: None,
        }
    }

    /// Deletes a rule (`DELETE /v1/forwarding-rules/{id}`).
    pub fn delete(&self, rule: impl Into<OpsForwardingRuleId>) -> OpsWrite {
        let rule = rule.into();
        let req = seg(self.base(Method::DELETE), &rule);
        write(
            self.client.conn.clone(),
            req,
            format!("delete forwarding rule {rule}"),
        )
    }
}

/// The complete rule as `PUT /v1/forwarding-rules/{id}` takes it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ForwardingBody<'a> {
    from_user_id: &'a AccountId,
    to_user_id: &'a AccountId,
    start_date: &'a str,
    end_date: &'a str,
    #[serde(flatten)]
    other: &'a Fields,
}

/// [`OpsForwardingRulesHandler::update`]: set the changes, then await it.
/// Read, change, write the complete rule.
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until awaited"]
pub struct UpdateOpsForwardingRule {
    handler: OpsForwardingRulesHandler,
    rule: OpsForwardingRuleId,
    from: Option<AccountId>,
    to: Option<AccountId>,
    start: Option<jiff::Timestamp>,
    end: Option<jiff::Timestamp>,
}

impl UpdateOpsForwardingRule {
    /// Forward this person's notifications instead.
    pub fn from_user(mut self, account: impl Into<AccountId>) -> Self {
        self.from = Some(account.into());
        self
    }
    /// Forward them to this person.
    pub fn to_user(mut self, account: impl Into<AccountId>) -> Self {
        self.to = Some(account.into());
        self
    }
    /// Start forwarding at this time.
    pub fn start_date(mut self, at: jiff::Timestamp) -> Self {
        self.start = Some(at);
        self
    }
    /// Stop forwarding at this time.
    pub fn end_date(mut self, at: jiff::Timestamp) -> Self {
        self.end = Some(at);
        self
    }

    async fn run(self) -> crate::Result<()> {
        let mut rule = self.handler.get(self.rule).await?;
        if let Some(a) = self.from {
            rule.from_user_id = Some(a);
        }
        if let Some(a) = self.to {
            rule.to_user_id = Some(a);
        }
        if let Some(t) = self.start {
            rule.start_date = Some(t.to_string());
        }
        if let Some(t) = self.end {
            rule.end_date = Some(t.to_string());
        }
        let req = self.handler.base(Method::PUT);
        let req = seg(req, &rule.id);
        let what = format!("update forwarding rule {}", rule.id);
        let req = match (
            &rule.from_user_id,
            &rule.to_user_id,
            &rule.start_date,
            &rule.end_date,
        ) {
            (Some(from), Some(to), Some(start), Some(end)) => req.json(&ForwardingBody {
                from_user_id: from,
                to_user_id: to,
                start_date: start,
                end_date: end,
                other: &rule.other,
            }),
            _ => req.invalid(
                "the rule was read without fromUserId, toUserId, startDate or endDate, \
                 and the change does not set it: a complete update cannot be built",
            ),
        };
        write(self.handler.client.conn.clone(), req, what).await
    }
}

impl std::future::IntoFuture for UpdateOpsForwardingRule {
    type Output = crate::Result<()>;
    type IntoFuture = futures::future::BoxFuture<'static, crate::Result<()>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
