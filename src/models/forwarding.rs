//! Forwarding rules (`/v2/forwarding-rules`): a user's notifications are
//! forwarded to another user for a while.
//!
//! Reads use [`ForwardingRule`] (the same type `users().forwarding_rules`
//! returns); an update sends a complete [`ForwardingRuleUpdate`].

use jiff::Timestamp;
use serde::Serialize;

pub use crate::models::user::{ForwardingRule, UserMeta};

/// The body of `PUT /v2/forwarding-rules/{identifier}`: the spec requires
/// `fromUser`, `toUser`, `startDate` and `endDate`, so an update is always
/// a complete rule. Build it from the rule as read
/// ([`ForwardingRuleUpdate::from_rule`]) and change what you mean to.
///
/// ```
/// use opsgenie_users::models::forwarding::{ForwardingRule, ForwardingRuleUpdate, UserMeta};
/// let rule: ForwardingRule = serde_json::from_str(r#"{"id":"f-1",
///   "fromUser":{"username":"a@x.com"},"toUser":{"username":"b@x.com"},
///   "startDate":"2026-01-01T00:00:00Z","endDate":"2026-01-08T00:00:00Z"}"#).unwrap();
/// let update = ForwardingRuleUpdate::from_rule(&rule)
///     .unwrap()
///     .to_user(UserMeta::username("c@x.com"));
/// assert_eq!(serde_json::to_value(&update).unwrap(), serde_json::json!({
///     "fromUser": {"username": "a@x.com"}, "toUser": {"username": "c@x.com"},
///     "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-01-08T00:00:00Z"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ForwardingRuleUpdate {
    /// Whose notifications are forwarded.
    pub from_user: UserMeta,
    /// Who receives them.
    pub to_user: UserMeta,
    /// Start of forwarding.
    pub start_date: Timestamp,
    /// End of forwarding; a rule read without one is written back without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Timestamp>,
}

impl ForwardingRuleUpdate {
    /// A complete update with every field of `rule` as read; `None` when the
    /// rule lacks `fromUser`, `toUser` or `startDate` (a complete update
    /// cannot be built without guessing).
    pub fn from_rule(rule: &ForwardingRule) -> Option<Self> {
        Some(ForwardingRuleUpdate {
            from_user: rule.from_user.clone()?,
            to_user: rule.to_user.clone()?,
            start_date: rule.start_date?,
            end_date: rule.end_date,
        })
    }

    /// A new rule body.
    pub fn new(from_user: UserMeta, to_user: UserMeta, start_date: Timestamp) -> Self {
        ForwardingRuleUpdate {
            from_user,
            to_user,
            start_date,
            end_date: None,
        }
    }

    /// Forward to this user instead.
    pub fn to_user(mut self, user: UserMeta) -> Self {
        self.to_user = user;
        self
    }

    /// End of forwarding.
    pub fn end_date(mut self, end: Timestamp) -> Self {
        self.end_date = Some(end);
        self
    }
}

impl UserMeta {
    /// A user by id.
    pub fn id(id: impl Into<crate::ids::UserId>) -> Self {
        UserMeta {
            id: Some(id.into()),
            username: None,
        }
    }

    /// A user by username.
    pub fn username(name: impl Into<crate::ids::Username>) -> Self {
        UserMeta {
            id: None,
            username: Some(name.into()),
        }
    }
}
