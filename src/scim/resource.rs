//! SCIM CRUD written once: the [`ScimResource`] trait (users and groups) and
//! the call builders every resource shares: create, get, replace, patch and
//! delete. Each builder is owned (it holds a clone of the client) and awaited
//! directly.

use std::fmt;
use std::future::IntoFuture;

use futures::future::BoxFuture;
use http::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{ScimClient, SCIM_JSON};
use super::ids::{ScimGroupId, ScimUserId};
use super::models::{ScimGroup, ScimUser};
use super::patch::PatchOp;
use crate::error::{Error, Result};
use crate::request::ApiRequest;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ScimUser {}
    impl Sealed for super::ScimGroup {}
}

/// A SCIM resource this client manages ([`ScimUser`], [`ScimGroup`]): its
/// endpoint, its typed id, and how it is sent. Sealed.
pub trait ScimResource:
    sealed::Sealed + Serialize + DeserializeOwned + Clone + Send + Sync + 'static
{
    /// The endpoint, e.g. `Users`.
    const ENDPOINT: &'static str;
    /// What the id of this resource is called in errors.
    const ID_KIND: &'static str;
    /// The typed id.
    type Id: AsRef<str> + Clone + fmt::Debug + Send + Sync + 'static;
    /// The server-assigned id, when the resource has one.
    fn resource_id(&self) -> Option<&Self::Id>;
    /// A copy ready to send (schema URNs filled in).
    #[doc(hidden)]
    fn for_sending(&self) -> Self;
    /// How the resource is named in an [`Error::AmbiguousOutcome`].
    #[doc(hidden)]
    fn describe(&self) -> String;
}

impl ScimResource for ScimUser {
    const ENDPOINT: &'static str = "Users";
    const ID_KIND: &'static str = "SCIM user id";
    type Id = ScimUserId;
    fn resource_id(&self) -> Option<&ScimUserId> {
        self.id.as_ref()
    }
    fn for_sending(&self) -> Self {
        ScimUser::for_sending(self)
    }
    fn describe(&self) -> String {
        format!("SCIM user {:?}", self.user_name)
    }
}

impl ScimResource for ScimGroup {
    const ENDPOINT: &'static str = "Groups";
    const ID_KIND: &'static str = "SCIM group id";
    type Id = ScimGroupId;
    fn resource_id(&self) -> Option<&ScimGroupId> {
        self.id.as_ref()
    }
    fn for_sending(&self) -> Self {
        ScimGroup::for_sending(self)
    }
    fn describe(&self) -> String {
        format!("SCIM group {:?}", self.display_name)
    }
}

/// `{endpoint}/{id}` in the SCIM domain.
pub(crate) fn item_request<T: ScimResource>(
    client: &ScimClient,
    method: Method,
    id: &T::Id,
) -> ApiRequest {
    client
        .request(method)
        .path(T::ENDPOINT)
        .segment(T::ID_KIND, id.as_ref())
}

macro_rules! into_future {
    ($builder:ident, $out:ty) => {
        impl<T: ScimResource> IntoFuture for $builder<T> {
            type Output = Result<$out>;
            type IntoFuture = BoxFuture<'static, Result<$out>>;
            fn into_future(self) -> Self::IntoFuture {
                Box::pin(self.run())
            }
        }
    };
}

/// `POST /{endpoint}`, from `create` on [`ScimUsers`](super::ScimUsers) or
/// [`ScimGroups`](super::ScimGroups). Await it for the created resource.
///
/// Not retried after a timeout or 5xx: such a failure comes back as
/// [`Error::AmbiguousOutcome`].
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimCreate<T> {
    client: ScimClient,
    resource: T,
}

impl<T: ScimResource> ScimCreate<T> {
    pub(crate) fn new(client: ScimClient, resource: T) -> Self {
        ScimCreate { client, resource }
    }

    async fn run(self) -> Result<T> {
        let req = self
            .client
            .request(Method::POST)
            .path(T::ENDPOINT)
            .json_as(&self.resource.for_sending(), SCIM_JSON);
        self.client
            .send_write(req, || format!("create {}", self.resource.describe()))
            .await?
            .json()
    }
}
into_future!(ScimCreate, T);

/// `GET /{endpoint}/{id}`. Await it for the resource.
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimGet<T: ScimResource> {
    client: ScimClient,
    id: T::Id,
}

impl<T: ScimResource> ScimGet<T> {
    pub(crate) fn new(client: ScimClient, id: T::Id) -> Self {
        ScimGet { client, id }
    }

    async fn run(self) -> Result<T> {
        let req = item_request::<T>(&self.client, Method::GET, &self.id);
        self.client.send(req).await?.json()
    }
}
into_future!(ScimGet, T);

/// `PUT /{endpoint}/{id}`: replaces every attribute (attributes left out
/// are cleared). Await it for the resource as the server has it.
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimReplace<T: ScimResource> {
    client: ScimClient,
    id: T::Id,
    resource: T,
}

impl<T: ScimResource> ScimReplace<T> {
    pub(crate) fn new(client: ScimClient, id: T::Id, resource: T) -> Self {
        ScimReplace {
            client,
            id,
            resource,
        }
    }

    async fn run(self) -> Result<T> {
        let req = item_request::<T>(&self.client, Method::PUT, &self.id)
            .json_as(&self.resource.for_sending(), SCIM_JSON);
        self.client.send(req).await?.json()
    }
}
into_future!(ScimReplace, T);

/// `PATCH /{endpoint}/{id}`. Await it for `Some(resource)` when the server
/// sends it (Atlassian: 200 with the resource) or `None` when it answers 204
/// without a body (RFC 7644 allows both; scim2-server does the latter); with
/// [`read_back`](Self::read_back), a 204 is followed by a GET.
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimPatch<T: ScimResource> {
    client: ScimClient,
    id: T::Id,
    op: PatchOp,
    invalid: Option<String>,
}

impl<T: ScimResource> ScimPatch<T> {
    pub(crate) fn new(client: ScimClient, id: T::Id, op: PatchOp) -> Self {
        ScimPatch {
            client,
            id,
            op,
            invalid: None,
        }
    }

    /// Refuses the call before sending (input the handler could not accept).
    pub(crate) fn refuse(mut self, reason: Option<String>) -> Self {
        self.invalid = reason;
        self
    }

    /// Reads the resource back when the server answered without a body:
    /// the builder then resolves to the resource itself.
    pub fn read_back(self) -> ScimPatchAndGet<T> {
        ScimPatchAndGet { patch: self }
    }

    async fn run(self) -> Result<Option<T>> {
        if let Some(reason) = self.invalid {
            return Err(Error::InvalidInput(reason));
        }
        if self.op.is_empty() {
            return Err(Error::InvalidInput(
                "a SCIM PATCH needs at least one operation".into(),
            ));
        }
        let req = item_request::<T>(&self.client, Method::PATCH, &self.id)
            .json_as(&self.op, SCIM_JSON)
            .idempotent(self.op.is_idempotent());
        let what = || format!("PATCH {}/{}", T::ENDPOINT, self.id.as_ref());
        let resp = self.client.send_write(req, what).await?;
        if resp.status == StatusCode::NO_CONTENT || resp.body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            resp.json().map(Some)
        }
    }
}
into_future!(ScimPatch, Option<T>);

/// A [`ScimPatch`] that reads the resource back when the server answered
/// without a body; from [`ScimPatch::read_back`].
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimPatchAndGet<T: ScimResource> {
    patch: ScimPatch<T>,
}

impl<T: ScimResource> ScimPatchAndGet<T> {
    async fn run(self) -> Result<T> {
        let client = self.patch.client.clone();
        let id = self.patch.id.clone();
        match self.patch.run().await? {
            Some(r) => Ok(r),
            None => ScimGet::<T>::new(client, id).await,
        }
    }
}
into_future!(ScimPatchAndGet, T);

/// `DELETE /{endpoint}/{id}`. A refusal because the resource is still in
/// use is [`Error::DeleteBlocked`], as on every call.
#[must_use = "nothing is sent until the builder is awaited"]
#[derive(Debug)]
pub struct ScimDelete<T: ScimResource> {
    client: ScimClient,
    id: T::Id,
}

impl<T: ScimResource> ScimDelete<T> {
    pub(crate) fn new(client: ScimClient, id: T::Id) -> Self {
        ScimDelete { client, id }
    }

    async fn run(self) -> Result<()> {
        let req = item_request::<T>(&self.client, Method::DELETE, &self.id);
        self.client.send(req).await.map(|_| ())
    }
}
into_future!(ScimDelete, ());
