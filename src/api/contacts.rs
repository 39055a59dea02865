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
use crate::models::contact::{Contact, ContactCreate, ContactMethod};
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
    /// When the answer is lost (5xx, timeout, broken connection) the user's
    /// contacts are listed: a contact with the same method and address
    /// means it was created; none means it was not, and it is sent again
    /// (an attempt under the retry policy); a failing lookup leaves
    /// [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome).
    ///
    /// The address is checked before anything is sent (see [`check_to`]): an
    /// SMS or voice number must be `<countryCode>-<number>` (digits, one
    /// dash, e.g. `1-5555550100`), an e-mail address must have a local part
    /// and a domain; otherwise the call is [`Error::InvalidInput`](crate::Error::InvalidInput).
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
        let mut req = self
            .base(ApiRequest::post(Domain::Configuration))
            .json(&contact);
        if let Err(reason) = check_to(contact.method(), contact.to()) {
            req = req.invalid(reason);
        }
        let what = format!("create contact of {}", self.user);
        let h = self.clone();
        CreateContact::new(async move {
            // A lost answer: the contact is there when the user has one with
            // the same method and address.
            let lookup = || async {
                let all = h.list().await?;
                Ok(all
                    .into_iter()
                    .find(|c| {
                        c.method == *contact.method() && c.to.eq_ignore_ascii_case(contact.to())
                    })
                    .map(|c| c.id))
            };
            send_create(&h.client, &mut req, what, lookup).await
        })
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
    /// The address is checked before anything is sent (see [`check_update_to`]):
    /// one with `@` must be an e-mail address, one written like a phone
    /// number the `<countryCode>-<number>` of an SMS or voice contact (e.g.
    /// `1-5555550100`), and none may be empty; otherwise the call is
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) and no request is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// client.contacts("jane@example.com").update("b9a8a3f4", "1-5555550199").await?;
    /// # Ok(()) }
    /// ```
    pub fn update(&self, contact: impl Into<ContactId>, to: &str) -> UpdateContact {
        let mut req = self
            .one(ApiRequest::patch(Domain::Configuration), &contact.into())
            .json(&To { to })
            .idempotent(true);
        if let Err(reason) = check_update_to(to) {
            req = req.invalid(reason);
        }
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

/// Checks a contact address for the documented format of its method:
/// `sms` and `voice` take `<countryCode>-<number>` (a 1-3 digit country
/// code, one dash, then only digits, 15 digits at most in all, as E.164
/// allows), `email` an address with a local part and a domain. `mobile` and
/// unknown methods are not checked. The error says what is wrong.
///
/// ```
/// use opsgenie_users::api::contacts::check_to;
/// use opsgenie_users::models::contact::ContactMethod;
/// assert!(check_to(&ContactMethod::Sms, "1-5550100").is_ok());
/// assert!(check_to(&ContactMethod::Sms, "1-555-0100").is_err()); // two dashes
/// assert!(check_to(&ContactMethod::Voice, "+1 555 0100").is_err());
/// assert!(check_to(&ContactMethod::Email, "jane@example.com").is_ok());
/// assert!(check_to(&ContactMethod::Email, "jane").is_err());
/// ```
pub fn check_to(method: &ContactMethod, to: &str) -> std::result::Result<(), String> {
    match method {
        ContactMethod::Sms | ContactMethod::Voice => {
            let ok = to.split_once('-').is_some_and(|(cc, number)| {
                let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
                digits(cc) && cc.len() <= 3 && digits(number) && cc.len() + number.len() <= 15
            });
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "{method} contact {to:?} is not <countryCode>-<number> \
                     (digits and one dash, e.g. 1-5555550100)"
                ))
            }
        }
        ContactMethod::Email => match to.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && domain.contains('.')
                    && !to.contains(char::is_whitespace) =>
            {
                Ok(())
            }
            _ => Err(format!("email contact {to:?} is not an e-mail address")),
        },
        _ => Ok(()),
    }
}

/// Checks the new address of [`ContactsHandler::update`], which does not
/// know the contact's method: an address with `@` is checked as an e-mail
/// address, one written like a phone number (digits with `-`, `+`, spaces,
/// dots or parentheses) as the `<countryCode>-<number>` of an SMS or voice
/// contact (see [`check_to`]). An empty address is refused; any other
/// passes: a `mobile` contact's address has no documented format.
///
/// ```
/// use opsgenie_users::api::contacts::check_update_to;
/// assert!(check_update_to("1-5550100").is_ok());
/// assert!(check_update_to("jane@example.com").is_ok());
/// assert!(check_update_to("1-555-0100").is_err()); // two dashes
/// assert!(check_update_to("+1 (555) 0100").is_err()); // not <countryCode>-<number>
/// assert!(check_update_to("jane@").is_err());
/// assert!(check_update_to("Jane's phone").is_ok()); // not an address we can check
/// ```
pub fn check_update_to(to: &str) -> std::result::Result<(), String> {
    let phone_like = to.bytes().any(|b| b.is_ascii_digit())
        && to
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-+ .()".contains(&b));
    if to.trim().is_empty() {
        Err(format!("contact {to:?} is empty"))
    } else if to.contains('@') {
        check_to(&ContactMethod::Email, to)
    } else if !phone_like {
        Ok(())
    } else {
        check_to(&ContactMethod::Sms, to)
            .map_err(|_| format!("contact {to:?} is neither an e-mail address nor <countryCode>-<number> (digits and one dash, e.g. 1-5555550100)"))
    }
}
