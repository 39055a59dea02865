//! Schedule rotations and escalations: what offboarding reads and writes
//! back. Fields the crate does not model are kept in `extra` and sent back
//! unchanged, so a read-modify-write never drops server data.

use serde::{Deserialize, Serialize};

use crate::ids::{EscalationId, RotationId, UserRef};
use crate::models::common::{open_enum, EntityRef};

/// Fields of an object that this crate does not model, kept verbatim.
pub type Extra = serde_json::Map<String, serde_json::Value>;

open_enum! {
    /// What a rotation participant or escalation recipient is.
    ParticipantType {
        /// A user.
        User => "user",
        /// A team.
        Team => "team",
        /// An escalation.
        Escalation => "escalation",
        /// A schedule.
        Schedule => "schedule",
        /// A group.
        Group => "group",
        /// Nobody (an empty rotation slot).
        None => "none",
        /// Everyone.
        All => "all",
    }
    /// A type this crate does not know, kept verbatim.
    Other
}

/// A rotation participant or an escalation rule's recipient:
/// `{"type": "user", "id": ..., "username": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Participant {
    /// What it is.
    #[serde(rename = "type")]
    pub kind: ParticipantType,
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The username, for users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The name, for teams, schedules and escalations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Anything else the server sent.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Participant {
    /// The user with id `id`.
    pub fn user_id(id: impl Into<String>) -> Self {
        Participant {
            kind: ParticipantType::User,
            id: Some(id.into()),
            username: None,
            name: None,
            extra: Extra::new(),
        }
    }

    /// True when this is `user` (id exact, username ignoring ASCII case).
    pub fn is_user(&self, user: &UserRef) -> bool {
        if self.kind != ParticipantType::User {
            return false;
        }
        match user {
            UserRef::Id(i) => self.id.as_deref() == Some(i.as_str()),
            UserRef::Username(n) => self
                .username
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(n.as_str())),
        }
    }
}

/// A schedule rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Rotation {
    /// The rotation's id.
    pub id: RotationId,
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `daily`, `weekly`, `hourly`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<String>,
    /// The participants, in rotation order (a user may appear more than once).
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// Anything else (`startDate`, `length`, `timeRestriction`, `_parent`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of Update Schedule Rotation as offboarding sends it: only the
/// participant list, so nothing else about the rotation can change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotationParticipantsUpdate {
    /// The new participants, in order.
    pub participants: Vec<Participant>,
}

/// The delay of an escalation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EscalationDelay {
    /// How long.
    pub time_amount: i64,
    /// `minutes` (default), `hours`, `days`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_unit: Option<String>,
}

/// One rule of an escalation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EscalationRule {
    /// `if-not-acked` or `if-not-closed` (the spec's default when absent:
    /// `if-not-acked`). Absent stays absent when the rule is written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// `default`, `next`, `previous`, `users`, `admins`, `all` (the spec's
    /// default when absent: `default`). Absent stays absent when written back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_type: Option<String>,
    /// The delay after which the rule fires.
    pub delay: EscalationDelay,
    /// Who is notified.
    pub recipient: Participant,
    /// Anything else the server sent.
    #[serde(flatten)]
    pub extra: Extra,
}

impl EscalationRule {
    /// The spec's default `condition` for a rule that has none.
    pub const DEFAULT_CONDITION: &'static str = "if-not-acked";
    /// The spec's default `notifyType` for a rule that has none.
    pub const DEFAULT_NOTIFY_TYPE: &'static str = "default";

    /// The rule with an absent (or empty) `condition` / `notifyType` set to
    /// the spec's documented default, as a write requires them.
    ///
    /// ```
    /// use opsgenie_users::models::schedule::EscalationRule;
    /// let r: EscalationRule = serde_json::from_value(serde_json::json!({
    ///     "delay": {"timeAmount": 5}, "recipient": {"type": "team", "id": "t1"}
    /// })).unwrap();
    /// let r = r.with_defaults();
    /// assert_eq!(r.condition.as_deref(), Some("if-not-acked"));
    /// assert_eq!(r.notify_type.as_deref(), Some("default"));
    /// ```
    pub fn with_defaults(mut self) -> Self {
        for (field, default) in [
            (&mut self.condition, Self::DEFAULT_CONDITION),
            (&mut self.notify_type, Self::DEFAULT_NOTIFY_TYPE),
        ] {
            if field.as_deref().is_none_or(|v| v.trim().is_empty()) {
                *field = Some(default.to_string());
            }
        }
        self
    }
}

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Escalation {
    /// The escalation's id.
    pub id: EscalationId,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// The owning team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_team: Option<EntityRef>,
    /// The rules, in order.
    #[serde(default)]
    pub rules: Vec<EscalationRule>,
    /// Anything else (`description`, `repeat`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// Body of Update Escalation as offboarding sends it: only the rules
/// (the whole list; the API replaces it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationRulesUpdate {
    /// The new rules, in order.
    pub rules: Vec<EscalationRule>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_round_trip() {
        let raw = serde_json::json!({
            "id": "e1", "name": "ops", "description": "d",
            "rules": [{"condition": "if-not-acked", "notifyType": "default",
                "delay": {"timeAmount": 5, "timeUnit": "minutes"},
                "recipient": {"type": "user", "id": "u1", "username": "a@x.com"},
                "future": 1}],
            "repeat": {"waitInterval": 10}
        });
        let e: Escalation = serde_json::from_value(raw.clone()).unwrap();
        assert!(e.rules[0].recipient.is_user(&UserRef::username("A@x.com")));
        assert_eq!(serde_json::to_value(&e).unwrap(), raw);
        let p: Participant = serde_json::from_str(r#"{"type":"robot"}"#).unwrap();
        assert_eq!(p.kind, ParticipantType::Other("robot".into()));
    }
}
