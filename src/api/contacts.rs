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

use crate::api::{call, id_segment, send_create, send_data, send_write, user_segment};
use crate::client::Client;
use crate::ids::{ContactId, UserRef};
use crate::models::common::{Created, WriteResult};
use crate::models::contact::{Contact, ContactCreate};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;

impl Client {
    /// The contacts of `user` (by id, or by username when it contains `@`).
    pub fn contacts(&self, user: impl Into<UserRef>) -> ContactsHandler {
        ContactsHandler {
            client: self.clone(),
            user: user.into(),
        }
    }
}

/// Contact calls for one user. Get one with [`Client::contacts`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct ContactsHandler {
    client: Client,
    user: UserRef,
}

#[derive(Serialize)]
struct To<'a> {
    to: &'a str,
}

call!(
    /// [`ContactsHandler::create`]: await it for the new contact's id.
    CreateContact -> Created<ContactId>
);
call!(
    /// [`ContactsHandler::get`].
    GetContact -> Contact
);
call!(
    /// [`ContactsHandler::list`].
    ListContacts -> Vec<Contact>
);
call!(
    /// [`ContactsHandler::update`], [`enable`](ContactsHandler::enable),
    /// [`disable`](ContactsHandler::disable).
    UpdateContact -> WriteResult
);
call!(
    /// [`ContactsHandler::delete`].
    DeleteContact -> WriteResult
);

impl ContactsHandler {
    fn base(&self, req: ApiRequest) -> ApiRequest {
        user_segment(req.path("v2/users"), &self.user).path("contacts")
    }

    fn one(&self, req: ApiRequest, contact: &ContactId) -> ApiRequest {
        id_segment(self.base(req), contact)
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
    /// println!("{}", r.id);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, contact: ContactCreate) -> CreateContact {
        let req = self
            .base(ApiRequest::post(Domain::Configuration))
            .json(&contact);
        let what = format!("create contact of {}", self.user);
        let client = self.client.clone();
        CreateContact::new(async move { send_create(&client, req, what, None).await })
    }

    /// Gets one contact.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let c = client.contacts("jane@example.com").get("b9a8a3f4-6c1d-4d2e-9f0a-1b2c3d4e5f60").await?;
    /// println!("{} enabled: {:?}", c.to, c.status.map(|s| s.enabled));
    /// # Ok(()) }
    /// ```
    pub fn get(&self, contact: impl Into<ContactId>) -> GetContact {
        let req = self.one(ApiRequest::get(Domain::Configuration), &contact.into());
        GetContact::new(send_data(self.client.clone(), req))
    }

    /// Lists the user's contacts.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let all = client.contacts("jane@example.com").list().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListContacts {
        let req = self.base(ApiRequest::get(Domain::Configuration));
        ListContacts::new(send_data(self.client.clone(), req))
    }

    /// Changes a contact's address (`PATCH`, body `{"to": ...}`; the method
    /// cannot change). Idempotent: sending the same address twice is harmless.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").update("b9a8a3f4", "1-5555550199").await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, contact: impl Into<ContactId>, to: &str) -> UpdateContact {
        let req = self
            .one(ApiRequest::patch(Domain::Configuration), &contact.into())
            .json(&To { to })
            .idempotent(true);
        UpdateContact::new(send_write(self.client.clone(), req))
    }

    /// Deletes a contact.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").delete("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, contact: impl Into<ContactId>) -> DeleteContact {
        let req = self.one(ApiRequest::delete(Domain::Configuration), &contact.into());
        DeleteContact::new(send_write(self.client.clone(), req))
    }

    /// Enables a contact (`POST .../enable`, no body; idempotent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").enable("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub fn enable(&self, contact: impl Into<ContactId>) -> UpdateContact {
        self.toggle(contact.into(), "enable")
    }

    /// Disables a contact (`POST .../disable`, no body; idempotent).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").disable("b9a8a3f4").await?;
    /// # Ok(()) }
    /// ```
    pub fn disable(&self, contact: impl Into<ContactId>) -> UpdateContact {
        self.toggle(contact.into(), "disable")
    }

    fn toggle(&self, contact: ContactId, action: &str) -> UpdateContact {
        let req = self
            .one(ApiRequest::post(Domain::Configuration), &contact)
            .path(action)
            .idempotent(true);
        UpdateContact::new(send_write(self.client.clone(), req))
    }
}
