//! A user's notification contacts: `client.contacts(user)`
//! (`/v2/users/{user}/contacts`).
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
//! let contacts = client.contacts("jane@example.com");
//! let created = contacts.create(ContactCreate::new(ContactMethod::Sms, "1-5555550100")).await?;
//! for c in contacts.list().await? {
//!     println!("{} {} {}", c.id, c.method, c.to);
//! }
//! # Ok(()) }
//! ```

use serde::Serialize;

use crate::api::{user_segment, write_result};
use crate::client::Client;
use crate::error::Result;
use crate::ids::{ContactId, UserRef};
use crate::models::common::WriteResult;
use crate::models::contact::{Contact, ContactCreate};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// The contacts of `user` (by id, or by username when it contains `@`).
    pub fn contacts(&self, user: impl Into<UserRef>) -> ContactsHandler<'_> {
        ContactsHandler {
            client: self,
            user: user.into(),
        }
    }
}

/// Contact calls for one user. Get one with [`Client::contacts`].
#[derive(Debug, Clone)]
pub struct ContactsHandler<'c> {
    client: &'c Client,
    user: UserRef,
}

#[derive(Serialize)]
struct To<'a> {
    to: &'a str,
}

impl ContactsHandler<'_> {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        user_segment(req.path("v2/users"), &self.user).path("contacts")
    }

    fn one(&self, req: ApiRequest, contact: &ContactId) -> ApiRequest {
        self.base(req).segment("contact id", contact.as_str())
    }

    /// Adds a contact (`POST`), answering 201 with the new contact's id.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::contact::{ContactCreate, ContactMethod};
    /// let r = client
    ///     .contacts("jane@example.com")
    ///     .create(ContactCreate::new(ContactMethod::Voice, "1-5555550100"))
    ///     .await?;
    /// println!("{:?}", r.id());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, contact: ContactCreate) -> Result<WriteResult> {
        let req = self
            .base(ApiRequest::post(Domain::Configuration))
            .json(&contact);
        write_result(&self.client.send(req).await?)
    }

    /// Gets one contact.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let c = client.contacts("jane@example.com").get("b9a8a3f4-6c1d-4d2e-9f0a-1b2c3d4e5f60").await?;
    /// println!("{} enabled: {:?}", c.to, c.status.map(|s| s.enabled));
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, contact: impl Into<ContactId>) -> Result<Contact> {
        let req = self.one(ApiRequest::get(Domain::Configuration), &contact.into());
        self.client.send(req).await?.data()
    }

    /// Lists the user's contacts.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let all = client.contacts("jane@example.com").list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self) -> Result<Vec<Contact>> {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        self.client.send(req).await?.data()
    }

    /// Changes a contact's address (`PATCH`, body `{"to": ...}`; the method
    /// cannot change). Idempotent: sending the same address twice is harmless.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").update("b9a8a3f4", "1-5555550199").await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, contact: impl Into<ContactId>, to: &str) -> Result<WriteResult> {
        let req = self
            .one(ApiRequest::patch(Domain::Configuration), &contact.into())
            .json(&To { to })
            .idempotent(true);
        write_result(&self.client.send(req).await?)
    }

    /// Deletes a contact.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").delete("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, contact: impl Into<ContactId>) -> Result<WriteResult> {
        let req = self.one(ApiRequest::delete(Domain::Configuration), &contact.into());
        write_result(&self.client.send(req).await?)
    }

    /// Enables a contact (`POST .../enable`, no body; idempotent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").enable("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub async fn enable(&self, contact: impl Into<ContactId>) -> Result<WriteResult> {
        self.toggle(contact.into(), "enable").await
    }

    /// Disables a contact (`POST .../disable`, no body; idempotent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").disable("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub async fn disable(&self, contact: impl Into<ContactId>) -> Result<WriteResult> {
        self.toggle(contact.into(), "disable").await
    }

    async fn toggle(&self, contact: ContactId, action: &str) -> Result<WriteResult> {
        let req = self
            .one(ApiRequest::post(Domain::Configuration), &contact)
            .path(action)
            .idempotent(true);
        write_result(&self.client.send(req).await?)
    }
}
