//! [`ScimClient`], its builder, and the request path it shares with the REST client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use url::Url;

use super::models::{ListOrArray, ResourceType, Schema, ServiceProviderConfig};
use crate::client::{check_base_url, Auth, ClientBuilder, Core, Endpoint};
use crate::error::{Error, Result};
use crate::ratelimit::RateLimiter;
use crate::request::{ApiRequest, ApiResponse, Domain};
use crate::retry::RetryPolicy;
use crate::secret::BearerToken;
use crate::transport::Transport;
use crate::Client;

/// The SCIM media type, sent as `Content-Type` and `Accept`.
pub const SCIM_JSON: &str = "application/scim+json";

/// Atlassian's SCIM endpoint prefix; the directory id follows.
pub const ATLASSIAN_SCIM_PREFIX: &str = "https://api.atlassian.com/scim/directory/";

pub(crate) struct Inner {
    core: Arc<Core>,
    endpoint: Endpoint,
}

/// A SCIM 2.0 client (RFC 7644), for Atlassian's user directory or any SCIM
/// server. Cheap to clone.
///
/// It runs on the same request path as [`Client`]: the same transport,
/// retry policy and rate limiter, under its own [`Domain::Scim`] budget.
/// Requests carry `Authorization: Bearer <token>` and `application/scim+json`.
///
/// ```no_run
/// use opsgenie_users::scim::{ScimClient, ScimUser, Filter};
/// use futures::TryStreamExt;
/// # async fn demo() -> opsgenie_users::Result<()> {
/// let scim = ScimClient::builder()
///     .atlassian_directory("6f3c6a52-...-directory-id")
///     .token(std::env::var("ATLASSIAN_SCIM_TOKEN").unwrap_or_default())
///     .build()?;
/// let jane = scim.users().create(ScimUser::new("jane@example.com").external_id("okta-1")).await?;
/// let found: Vec<ScimUser> = scim
///     .users()
///     .list()
///     .filter(Filter::external_id_eq("okta-1"))
///     .stream()
///     .try_collect()
///     .await?;
/// # let _ = (jane, found);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ScimClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClient")
            .field("base_url", &self.inner.endpoint.base_url().as_str())
            .field("token", &"***")
            .finish()
    }
}

impl ScimClient {
    /// Starts a builder.
    pub fn builder() -> ScimClientBuilder {
        ScimClientBuilder::default()
    }

    /// A SCIM client that shares `client`'s transport, rate limiter, retry
    /// policy and timeouts. `base_url` is the SCIM base (see
    /// [`atlassian_base_url`](Self::atlassian_base_url)); plain `http://` is
    /// accepted only for loopback hosts.
    ///
    /// ```no_run
    /// # fn demo(client: &opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::{scim::ScimClient, BearerToken};
    /// let scim = ScimClient::from_client(
    ///     client,
    ///     &ScimClient::atlassian_base_url("my-directory-id")?,
    ///     BearerToken::new("scim-token"),
    /// )?;
    /// # let _ = scim; Ok(()) }
    /// ```
    pub fn from_client(client: &Client, base_url: &str, token: BearerToken) -> Result<ScimClient> {
        Self::from_core(client.core(), base_url, token, false)
    }

    fn from_core(
        core: Arc<Core>,
        base_url: &str,
        token: BearerToken,
        allow_insecure: bool,
    ) -> Result<ScimClient> {
        if token.expose().is_empty() {
            return Err(Error::InvalidInput("the SCIM bearer token is empty".into()));
        }
        let base_url = check_base_url(base_url, allow_insecure)?;
        Ok(ScimClient {
            inner: Arc::new(Inner {
                core,
                endpoint: Endpoint::new(base_url, Auth::bearer(&token)),
            }),
        })
    }

    /// `https://api.atlassian.com/scim/directory/{directoryId}` with the id
    /// validated and percent-encoded.
    ///
    /// ```
    /// use opsgenie_users::scim::ScimClient;
    /// assert_eq!(
    ///     ScimClient::atlassian_base_url("abc-123").unwrap(),
    ///     "https://api.atlassian.com/scim/directory/abc-123"
    /// );
    /// assert!(ScimClient::atlassian_base_url("../x").is_ok()); // encoded, stays one segment
    /// assert!(ScimClient::atlassian_base_url(" ").is_err());
    /// ```
    pub fn atlassian_base_url(directory_id: &str) -> Result<String> {
        crate::ids::validate("directory id", directory_id)?;
        Ok(format!(
            "{ATLASSIAN_SCIM_PREFIX}{}",
            crate::ids::encode_segment(directory_id)
        ))
    }

    /// The SCIM base URL.
    pub fn base_url(&self) -> &Url {
        self.inner.endpoint.base_url()
    }

    /// `GET /ServiceProviderConfig`: what the server supports.
    pub async fn service_provider_config(&self) -> Result<ServiceProviderConfig> {
        self.send(self.request(Method::GET).path("ServiceProviderConfig"))
            .await?
            .json()
    }

    /// `GET /ResourceTypes`.
    pub async fn resource_types(&self) -> Result<Vec<ResourceType>> {
        self.send(self.request(Method::GET).path("ResourceTypes"))
            .await?
            .json::<ListOrArray<_>>()
            .map(ListOrArray::into_vec)
    }

    /// `GET /Schemas`.
    pub async fn schemas(&self) -> Result<Vec<Schema>> {
        self.send(self.request(Method::GET).path("Schemas"))
            .await?
            .json::<ListOrArray<_>>()
            .map(ListOrArray::into_vec)
    }

    /// A request in the SCIM domain accepting `application/scim+json`; add
    /// the path relative to the base URL (`"Users"`).
    pub fn request(&self, method: Method) -> ApiRequest {
        ApiRequest::new(method, Domain::Scim).accept(SCIM_JSON)
    }

    /// Sends `req` and returns the final response whatever its status.
    pub async fn execute(&self, req: &ApiRequest) -> Result<ApiResponse> {
        self.inner.core.execute(&self.inner.endpoint, req).await
    }

    /// Sends `req`; a non-success status becomes the matching [`Error`] by
    /// the mapping every call shares ([`ApiResponse::error_for_status`]),
    /// carrying the SCIM `detail`/`scimType` (or Atlassian's `error`/`traceId`).
    pub async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.execute(&req).await?.error_for_status()
    }

    /// Sends a write; when the answer was lost after the request may have
    /// arrived, the error becomes [`Error::AmbiguousOutcome`] naming `what`.
    pub(crate) async fn send_write(
        &self,
        req: ApiRequest,
        what: impl FnOnce() -> String,
    ) -> Result<ApiResponse> {
        let idempotent = req.is_idempotent();
        match self.send(req).await {
            Err(e) if !idempotent && e.may_have_reached_server() => Err(Error::AmbiguousOutcome {
                operation: what(),
                cause: Box::new(e),
            }),
            other => other,
        }
    }
}

/// Builds a [`ScimClient`]: a base URL (or Atlassian directory id) and a
/// bearer token are required; transport, limiter, retry and timeouts work
/// as on [`ClientBuilder`].
#[derive(Default)]
pub struct ScimClientBuilder {
    settings: ClientBuilder,
    base_url: Option<std::result::Result<String, String>>,
    token: Option<BearerToken>,
    allow_insecure_http: bool,
}

impl fmt::Debug for ScimClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl ScimClientBuilder {
    /// The SCIM base URL, e.g. `https://api.atlassian.com/scim/directory/{id}`
    /// or `http://127.0.0.1:8080/tenant` for a local server.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(Ok(url.into()));
        self
    }

    /// The base URL of the Atlassian directory `directory_id` (Atlassian
    /// Administration > Security > Identity providers > your directory).
    pub fn atlassian_directory(mut self, directory_id: &str) -> Self {
        self.base_url =
            Some(ScimClient::atlassian_base_url(directory_id).map_err(|e| e.to_string()));
        self
    }

    /// The directory's API key (bearer token). Atlassian tokens expire after a year.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(BearerToken::new(token));
        self
    }

    /// The token, already wrapped.
    pub fn bearer_token(mut self, token: BearerToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Use this transport instead of the default reqwest one.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.settings = self.settings.transport(transport);
        self
    }

    /// Use this transport (shared).
    pub fn transport_arc(mut self, transport: Arc<dyn Transport>) -> Self {
        self.settings = self.settings.transport_arc(transport);
        self
    }

    /// Use this rate limiter (share one with the REST client to share its scheduler).
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.settings = self.settings.rate_limiter(limiter);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings = self.settings.retry_policy(policy);
        self
    }

    /// Connect timeout of the default transport (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.settings = self.settings.connect_timeout(d);
        self
    }

    /// Timeout of one attempt, body included (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.settings = self.settings.request_timeout(d);
        self
    }

    /// Overall deadline of one call, retries and rate-limit waits included
    /// (default 5 minutes; see [`ClientBuilder::deadline`]).
    pub fn deadline(mut self, d: Duration) -> Self {
        self.settings = self.settings.deadline(d);
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB; see
    /// [`ClientBuilder::max_response_size`]).
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.settings = self.settings.max_response_size(bytes);
        self
    }

    /// Names your tool in the `User-Agent` header, in front of the SDK's
    /// own (see [`ClientBuilder::user_agent`]).
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.settings = self.settings.user_agent(product);
        self
    }

    /// Allow `http://` to hosts other than loopback (off: the token would travel in clear text).
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<ScimClient> {
        let base = match self.base_url {
            Some(Ok(u)) => u,
            Some(Err(e)) => return Err(Error::InvalidInput(e)),
            None => return Err(Error::InvalidInput(
                "a SCIM base URL is required (ScimClientBuilder::base_url or atlassian_directory)"
                    .into(),
            )),
        };
        let token = self.token.ok_or_else(|| {
            Error::InvalidInput("a SCIM bearer token is required (ScimClientBuilder::token)".into())
        })?;
        ScimClient::from_core(
            self.settings.core()?,
            &base,
            token,
            self.allow_insecure_http,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_requires_base_and_token_and_keeps_the_token_secret() {
        assert!(ScimClient::builder().token("t").build().is_err());
        assert!(ScimClient::builder().base_url("https://x").build().is_err());
        assert!(ScimClient::builder()
            .base_url("http://scim.example.com")
            .token("t")
            .build()
            .is_err());
        assert!(ScimClient::builder()
            .atlassian_directory("")
            .token("t")
            .build()
            .is_err());
        let c = ScimClient::builder()
            .atlassian_directory("dir 1")
            .token("very-secret")
            .build()
            .unwrap();
        assert_eq!(
            c.base_url().as_str(),
            "https://api.atlassian.com/scim/directory/dir%201"
        );
        assert!(!format!("{c:?}").contains("very-secret"));
        let b = ScimClient::builder().token("very-secret");
        assert!(!format!("{b:?}").contains("very-secret"));
    }
}
