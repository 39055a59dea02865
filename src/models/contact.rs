//! Contact models.
//!
//! [`UserContact`] is the shape of one entry of `userContacts`, which
//! `GET /v2/users/{id}?expand=contact` adds to a user. It is deliberately
//! small (the fields the spec lists for that expansion); the contacts calls
//! (`/v2/users/{id}/contacts`) live in [`api::contacts`](crate::api::contacts).

use serde::{Deserialize, Serialize};

/// How a contact is reached. Unknown methods are kept as [`ContactMethod::Other`].
///
/// ```
/// use opsgenie_users::models::contact::ContactMethod;
/// let m: ContactMethod = serde_json::from_str(r#""sms""#).unwrap();
/// assert_eq!(m, ContactMethod::Sms);
/// let o: ContactMethod = serde_json::from_str(r#""pager""#).unwrap();
/// assert_eq!(o, ContactMethod::Other("pager".into()));
/// assert_eq!(serde_json::to_string(&o).unwrap(), r#""pager""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContactMethod {
    /// `email`.
    Email,
    /// `sms`.
    Sms,
    /// `voice`.
    Voice,
    /// `mobile` (the Opsgenie app).
    Mobile,
    /// Any other value, kept as sent.
    Other(String),
}

impl ContactMethod {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            ContactMethod::Email => "email",
            ContactMethod::Sms => "sms",
            ContactMethod::Voice => "voice",
            ContactMethod::Mobile => "mobile",
            ContactMethod::Other(s) => s,
        }
    }
}

impl From<&str> for ContactMethod {
    fn from(s: &str) -> Self {
        match s {
            "email" => ContactMethod::Email,
            "sms" => ContactMethod::Sms,
            "voice" => ContactMethod::Voice,
            "mobile" => ContactMethod::Mobile,
            other => ContactMethod::Other(other.to_string()),
        }
    }
}

impl Serialize for ContactMethod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ContactMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ContactMethod::from(s.as_str()))
    }
}

/// One notification contact of a user, as `expand=contact` returns it.
///
/// ```
/// use opsgenie_users::models::contact::{ContactMethod, UserContact};
/// let c: UserContact = serde_json::from_str(
///     r#"{"id":"c-1","contactMethod":"email","to":"jane@example.com","enabled":true}"#,
/// ).unwrap();
/// assert_eq!(c.method, Some(ContactMethod::Email));
/// assert_eq!(c.to.as_deref(), Some("jane@example.com"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserContact {
    /// Contact id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<crate::ids::ContactId>,
    /// `email`, `sms`, `voice`, `mobile`.
    #[serde(
        default,
        rename = "contactMethod",
        alias = "method",
        skip_serializing_if = "Option::is_none"
    )]
    pub method: Option<ContactMethod>,
    /// Address: e-mail, phone number (`1-5555555555`), device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Whether notifications go to this contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Why the contact was disabled (e.g. by the system after failures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}
