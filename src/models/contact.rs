//! Contact models: a user's notification contacts.
//!
//! [`Contact`] is what the contacts calls (`/v2/users/{id}/contacts`, in
//! [`api::contacts`](crate::api::contacts)) return. [`UserContact`] is the
//! smaller shape of one entry of `userContacts`, which
//! `GET /v2/users/{id}?expand=contact` adds to a user.

use serde::{Deserialize, Serialize};

use crate::ids::ContactId;
use crate::models::common::open_enum;

open_enum! {
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
    ContactMethod {
        /// `email`.
        Email => "email",
        /// `sms`.
        Sms => "sms",
        /// `voice`.
        Voice => "voice",
        /// `mobile` (the Opsgenie app).
        Mobile => "mobile",
    }
    /// Any other value, kept as sent.
    Other
}

/// Whether a contact receives notifications.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ContactStatus {
    /// Enabled.
    #[serde(default)]
    pub enabled: bool,
    /// Why it is disabled, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
}

/// One contact of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Contact {
    /// The contact's id.
    pub id: ContactId,
    /// The method.
    pub method: ContactMethod,
    /// The address: e-mail address or phone number (`<country code>-<number>`).
    #[serde(default)]
    pub to: String,
    /// Enabled or not (list and get answers carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ContactStatus>,
    /// Order among the user's contacts (list answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_order: Option<i32>,
}

/// Body of Create Contact.
///
/// ```
/// use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
/// let c = ContactCreate::new(ContactMethod::Sms, "1-5555550100");
/// assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"method":"sms","to":"1-5555550100"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactCreate {
    method: ContactMethod,
    to: String,
}

impl ContactCreate {
    /// A contact reached by `method` at `to`.
    pub fn new(method: ContactMethod, to: impl Into<String>) -> Self {
        ContactCreate {
            method,
            to: to.into(),
        }
    }
    /// The method.
    pub fn method(&self) -> &ContactMethod {
        &self.method
    }

    /// The address.
    pub fn to(&self) -> &str {
        &self.to
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
    pub id: Option<ContactId>,
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
