//! The three Atlassian clients ([`AdminClient`], [`TeamsClient`],
//! [`JsmOpsClient`]) and their builders. Each runs on the crate's one
//! request path (transport, rate limiter, retry policy, deadline, typed
//! errors) under its own [`Domain`], with its own base URL and credential.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use url::Url;

use super::ids::{CloudId, OrgId};
use crate::client::{check_base_url, Auth, ClientBuilder, Core, Endpoint};
use crate::error::{Error, Result};
use crate::ratelimit::RateLimiter;
use crate::request::{ApiRequest, ApiResponse, Domain};
use crate::retry::RetryPolicy;
use crate::secret::{BasicAuth, BearerToken};
use crate::transport::Transport;
use crate::Client;

/// `https://api.atlassian.com`: the Admin API's host (paths start `/admin/`).
pub const ATLASSIAN_API: &str = "https://api.atlassian.com";

/// One API's connection: shared core, base URL, credential, domain.
pub(crate) struct Conn {
    core: Arc<Core>,
    endpoint: Endpoint,
    domain: Domain,
}

impl Conn {
    pub(crate) fn request(&self, method: Method) -> ApiRequest {
        ApiRequest::new(method, self.domain)
    }

    pub(crate) async fn execute(&self, req: &ApiRequest) -> Result<ApiResponse> {
        self.core.execute(&self.endpoint, req).await
    }

    pub(crate) async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.execute(&req).await?.error_for_status()
    }

    /// Sends a write; a non-idempotent one whose answer was lost after the
    /// request may have arrived ends in [`Error::AmbiguousOutcome`](crate::Error::AmbiguousOutcome) naming `what`.
    pub(crate) async fn send_write(&self, req: ApiRequest, what: String) -> Result<ApiResponse> {
        let idempotent = req.is_idempotent();
        match self.send(req).await {
            Err(e) if !idempotent && e.may_have_reached_server() => Err(Error::AmbiguousOutcome {
                operation: what,
                cause: Box::new(e),
            }),
            other => other,
        }
    }
}

/// The settings every builder shares: where the core comes from and the
/// base URL.
#[derive(Default)]
struct Common {
    settings: ClientBuilder,
    shared: Option<Arc<Core>>,
    base_url: Option<String>,
    allow_insecure_http: bool,
}

impl Common {
    fn conn(self, default_base: Option<String>, auth: Auth, domain: Domain) -> Result<Conn> {
        let base = self.base_url.or(default_base).ok_or_else(|| {
            Error::InvalidInput(format!("a base URL is required for the {domain} API"))
        })?;
        let base_url = check_base_url(&base, self.allow_insecure_http)?;
        let core = match self.shared {
            Some(core) => core,
            None => self.settings.core()?,
        };
        Ok(Conn {
            core,
            endpoint: Endpoint::new(base_url, auth),
            domain,
        })
    }
}

/// The builder methods every Atlassian client builder has.
macro_rules! common_setters {
    () => {
        /// Reuse `client`'s transport, rate limiter, retry policy and
        /// timeouts (one scheduler for every API; buckets stay separate per
        /// credential, base URL and domain). Overrides the settings below.
        pub fn shared_with(mut self, client: &Client) -> Self {
            self.common.shared = Some(client.core());
            self
        }

        /// Another base URL (a proxy, the simulator, a mock server).
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.common.base_url = Some(url.into());
            self
        }

        /// Use this transport instead of the default reqwest one.
        pub fn transport(mut self, transport: impl Transport) -> Self {
            self.common.settings = self.common.settings.transport(transport);
            self
        }

        /// Use this transport (shared).
        pub fn transport_arc(mut self, transport: Arc<dyn Transport>) -> Self {
            self.common.settings = self.common.settings.transport_arc(transport);
            self
        }

        /// Use this rate limiter (default: an adaptive limiter, limits
        /// unknown and learned from 429s: none of these APIs publishes its limits).
        pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
            self.common.settings = self.common.settings.rate_limiter(limiter);
            self
        }

        /// The retry policy (default: [`RetryPolicy::default`]).
        pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
            self.common.settings = self.common.settings.retry_policy(policy);
            self
        }

        /// Connect timeout of the default transport (default 10 s).
        pub fn connect_timeout(mut self, d: Duration) -> Self {
            self.common.settings = self.common.settings.connect_timeout(d);
            self
        }

        /// Timeout of one attempt, body included (default 30 s).
        pub fn request_timeout(mut self, d: Duration) -> Self {
            self.common.settings = self.common.settings.request_timeout(d);
            self
        }

        /// Overall deadline of one call, retries and waits included (default 5 minutes).
        pub fn deadline(mut self, d: Duration) -> Self {
            self.common.settings = self.common.settings.deadline(d);
            self
        }

        /// Largest response body accepted, in bytes (default 16 MiB).
        pub fn max_response_size(mut self, bytes: u64) -> Self {
            self.common.settings = self.common.settings.max_response_size(bytes);
            self
        }

        /// Names your tool in the `User-Agent` header, in front of the
        /// SDK's own (see [`ClientBuilder::user_agent`](crate::ClientBuilder::user_agent)).
        pub fn user_agent(mut self, product: impl Into<String>) -> Self {
            self.common.settings = self.common.settings.user_agent(product);
            self
        }

        /// Allow `http://` to hosts other than loopback (off: the credential
        /// would travel in clear text).
        pub fn allow_insecure_http(mut self, yes: bool) -> Self {
            self.common.allow_insecure_http = yes;
            self
        }
    };
}

/// The Atlassian Admin (organizations) API: directory users, groups and
/// their product roles, invitations. Authenticates with an organization API
/// key (`Authorization: Bearer <key>`). Cheap to clone.
///
/// ```no_run
/// use opsgenie_users::atlassian::AdminClient;
/// use futures::TryStreamExt;
/// # async fn demo() -> opsgenie_users::Result<()> {
/// let admin = AdminClient::builder()
///     .org_id("6f3c...-org")
///     .api_key(std::env::var("ATLASSIAN_ADMIN_KEY").unwrap_or_default())
///     .build()?;
/// let dirs = admin.directories().await?;
/// let users: Vec<_> = admin.users(&dirs[0].directory_id).list().stream().try_collect().await?;
/// # let _ = users; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AdminClient {
    pub(crate) conn: Arc<Conn>,
    pub(crate) org: OrgId,
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("base_url", &self.conn.endpoint.base_url().as_str())
            .field("org", &self.org)
            .field("api_key", &"***")
            .finish()
    }
}

impl AdminClient {
    /// Starts a builder.
    pub fn builder() -> AdminClientBuilder {
        AdminClientBuilder::default()
    }

    /// The organization.
    pub fn org_id(&self) -> &OrgId {
        &self.org
    }

    /// The base URL (`https://api.atlassian.com` by default).
    pub fn base_url(&self) -> &Url {
        self.conn.endpoint.base_url()
    }

    /// A request in the [`Domain::AtlassianAdmin`] domain; add the path
    /// (`"admin/v2/orgs"`, then segments).
    pub fn request(&self, method: Method) -> ApiRequest {
        self.conn.request(method)
    }

    /// Sends `req`; a non-success status becomes the matching [`Error`].
    pub async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.conn.send(req).await
    }
}

/// Builds an [`AdminClient`]: the organization id and its API key are required.
#[derive(Default)]
pub struct AdminClientBuilder {
    common: Common,
    org: Option<OrgId>,
    key: Option<BearerToken>,
}

impl fmt::Debug for AdminClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClientBuilder")
            .field("base_url", &self.common.base_url)
            .field("org", &self.org)
            .field("api_key", &self.key.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl AdminClientBuilder {
    /// The organization id.
    pub fn org_id(mut self, org: impl Into<OrgId>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// The organization API key (Atlassian Administration > Settings > API keys).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(BearerToken::new(key));
        self
    }

    common_setters!();

    /// Builds the client.
    pub fn build(self) -> Result<AdminClient> {
        let org = required_id(self.org, "an organization id (AdminClientBuilder::org_id)")?;
        let key = self.key.filter(|k| !k.expose().is_empty()).ok_or_else(|| {
            Error::InvalidInput(
                "an organization API key is required (AdminClientBuilder::api_key)".into(),
            )
        })?;
        let conn = self.common.conn(
            Some(ATLASSIAN_API.to_string()),
            Auth::bearer(&key),
            Domain::AtlassianAdmin,
        )?;
        Ok(AdminClient {
            conn: Arc::new(conn),
            org,
        })
    }
}

/// The Atlassian Teams public API on a site
/// (`https://{site}.atlassian.net/gateway/api/public/teams/v1/org/{orgId}/...`):
/// teams and their members. Authenticates with an account e-mail and API
/// token (Basic). Cheap to clone.
///
/// ```no_run
/// use opsgenie_users::atlassian::TeamsClient;
/// # async fn demo() -> opsgenie_users::Result<()> {
/// let teams = TeamsClient::builder()
///     .site("example")
///     .org_id("6f3c...-org")
///     .credentials("ops@example.com", std::env::var("ATLASSIAN_API_TOKEN").unwrap_or_default())
///     .build()?;
/// let page = teams.list().await?;
/// # let _ = page; Ok(()) }
/// ```
#[derive(Clone)]
pub struct TeamsClient {
    pub(crate) conn: Arc<Conn>,
    pub(crate) org: OrgId,
}

impl fmt::Debug for TeamsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsClient")
            .field("base_url", &self.conn.endpoint.base_url().as_str())
            .field("org", &self.org)
            .field("credentials", &"***")
            .finish()
    }
}

impl TeamsClient {
    /// Starts a builder.
    pub fn builder() -> TeamsClientBuilder {
        TeamsClientBuilder::default()
    }

    /// The organization.
    pub fn org_id(&self) -> &OrgId {
        &self.org
    }

    /// The site URL (`https://{site}.atlassian.net`).
    pub fn base_url(&self) -> &Url {
        self.conn.endpoint.base_url()
    }

    /// A request in the [`Domain::AtlassianTeams`] domain.
    pub fn request(&self, method: Method) -> ApiRequest {
        self.conn.request(method)
    }

    /// Sends `req`; a non-success status becomes the matching [`Error`].
    pub async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.conn.send(req).await
    }
}

/// Builds a [`TeamsClient`]: site (or base URL), organization id and
/// credentials are required.
#[derive(Default)]
pub struct TeamsClientBuilder {
    common: Common,
    site: Option<std::result::Result<String, String>>,
    org: Option<OrgId>,
    auth: Option<BasicAuth>,
}

impl fmt::Debug for TeamsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamsClientBuilder")
            .field("base_url", &self.common.base_url)
            .field("site", &self.site)
            .field("org", &self.org)
            .field("credentials", &self.auth)
            .finish_non_exhaustive()
    }
}

impl TeamsClientBuilder {
    /// The site name: `example` for `https://example.atlassian.net`.
    pub fn site(mut self, site: &str) -> Self {
        self.site = Some(site_url(site));
        self
    }

    /// The organization id.
    pub fn org_id(mut self, org: impl Into<OrgId>) -> Self {
        self.org = Some(org.into());
        self
    }

    /// An Atlassian account e-mail and one of its API tokens.
    pub fn credentials(mut self, email: impl Into<String>, token: impl Into<String>) -> Self {
        self.auth = Some(BasicAuth::new(email, token));
        self
    }

    /// The credentials, already wrapped.
    pub fn basic_auth(mut self, auth: BasicAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    common_setters!();

    /// Builds the client.
    pub fn build(self) -> Result<TeamsClient> {
        let org = required_id(self.org, "an organization id (TeamsClientBuilder::org_id)")?;
        let auth = required_basic(self.auth, "TeamsClientBuilder::credentials")?;
        let site = self.site.transpose().map_err(Error::InvalidInput)?;
        let conn = self
            .common
            .conn(site, Auth::basic(&auth), Domain::AtlassianTeams)?;
        Ok(TeamsClient {
            conn: Arc::new(conn),
            org,
        })
    }
}

/// The Jira Service Management Operations REST API of one site
/// (`https://api.atlassian.com/jsm/ops/api/{cloudId}/v1/...`): teams with
/// Operations, team roles, custom user roles, schedules and rotations,
/// escalations, forwarding rules. Authenticates with an account e-mail and
/// API token (Basic); service accounts cannot call it. Cheap to clone.
///
/// ```no_run
/// use opsgenie_users::atlassian::JsmOpsClient;
/// use futures::TryStreamExt;
/// # async fn demo() -> opsgenie_users::Result<()> {
/// let jsm = JsmOpsClient::builder()
///     .cloud_id("a436116f-02ce-4520-8fbb-7301462a1674")
///     .credentials("ops@example.com", std::env::var("ATLASSIAN_API_TOKEN").unwrap_or_default())
///     .build()?;
/// let schedules: Vec<_> = jsm.schedules().list().stream().try_collect().await?;
/// # let _ = schedules; Ok(()) }
/// ```
#[derive(Clone)]
pub struct JsmOpsClient {
    pub(crate) conn: Arc<Conn>,
}

impl fmt::Debug for JsmOpsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsmOpsClient")
            .field("base_url", &self.conn.endpoint.base_url().as_str())
            .field("credentials", &"***")
            .finish()
    }
}

impl JsmOpsClient {
    /// Starts a builder.
    pub fn builder() -> JsmOpsClientBuilder {
        JsmOpsClientBuilder::default()
    }

    /// `https://api.atlassian.com/jsm/ops/api/{cloudId}` with the id
    /// validated and percent-encoded.
    ///
    /// ```
    /// use opsgenie_users::atlassian::JsmOpsClient;
    /// assert_eq!(
    ///     JsmOpsClient::base_url_for("c-1").unwrap(),
    ///     "https://api.atlassian.com/jsm/ops/api/c-1"
    /// );
    /// assert!(JsmOpsClient::base_url_for("").is_err());
    /// ```
    pub fn base_url_for(cloud_id: &str) -> Result<String> {
        crate::ids::validate("cloud id", cloud_id)?;
        Ok(format!(
            "{ATLASSIAN_API}/jsm/ops/api/{}",
            crate::ids::encode_segment(cloud_id)
        ))
    }

    /// The base URL (ends with the cloud id).
    pub fn base_url(&self) -> &Url {
        self.conn.endpoint.base_url()
    }

    /// A request in the [`Domain::JsmOps`] domain; add the path (`"v1/teams"`).
    pub fn request(&self, method: Method) -> ApiRequest {
        self.conn.request(method)
    }

    /// Sends `req`; a non-success status becomes the matching [`Error`].
    pub async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.conn.send(req).await
    }
}

/// Builds a [`JsmOpsClient`]: the cloud id (or base URL) and credentials
/// are required.
#[derive(Default)]
pub struct JsmOpsClientBuilder {
    common: Common,
    cloud: Option<std::result::Result<String, String>>,
    auth: Option<BasicAuth>,
}

impl fmt::Debug for JsmOpsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsmOpsClientBuilder")
            .field("base_url", &self.common.base_url)
            .field("cloud", &self.cloud)
            .field("credentials", &self.auth)
            .finish_non_exhaustive()
    }
}

impl JsmOpsClientBuilder {
    /// The site's cloud id.
    pub fn cloud_id(mut self, cloud: impl Into<CloudId>) -> Self {
        let cloud: CloudId = cloud.into();
        self.cloud = Some(JsmOpsClient::base_url_for(cloud.as_str()).map_err(|e| e.to_string()));
        self
    }

    /// An Atlassian account e-mail and one of its API tokens (the account
    /// needs an Agent or higher role in Jira Service Management).
    pub fn credentials(mut self, email: impl Into<String>, token: impl Into<String>) -> Self {
        self.auth = Some(BasicAuth::new(email, token));
        self
    }

    /// The credentials, already wrapped.
    pub fn basic_auth(mut self, auth: BasicAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    common_setters!();

    /// Builds the client.
    pub fn build(self) -> Result<JsmOpsClient> {
        let auth = required_basic(self.auth, "JsmOpsClientBuilder::credentials")?;
        let cloud = self.cloud.transpose().map_err(Error::InvalidInput)?;
        let conn = self
            .common
            .conn(cloud, Auth::basic(&auth), Domain::JsmOps)?;
        Ok(JsmOpsClient {
            conn: Arc::new(conn),
        })
    }
}

fn site_url(site: &str) -> std::result::Result<String, String> {
    let ok = !site.is_empty()
        && site.len() <= 63
        && site.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !site.starts_with('-');
    if ok {
        Ok(format!("https://{site}.atlassian.net"))
    } else {
        Err(format!(
            "invalid site name {site:?}: expected the `example` of example.atlassian.net"
        ))
    }
}

fn required_id<I: crate::ids::PathSegment>(id: Option<I>, what: &str) -> Result<I> {
    let id = id.ok_or_else(|| Error::InvalidInput(format!("{what} is required")))?;
    crate::ids::validate(id.kind(), id.as_str())?;
    Ok(id)
}

fn required_basic(auth: Option<BasicAuth>, setter: &str) -> Result<BasicAuth> {
    match auth {
        Some(a) if !a.is_empty() => Ok(a),
        Some(_) => Err(Error::InvalidInput(
            "the account e-mail and API token must not be empty".into(),
        )),
        None => Err(Error::InvalidInput(format!(
            "an account e-mail and API token are required ({setter})"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_require_their_inputs_and_hide_secrets() {
        assert!(AdminClient::builder().api_key("k").build().is_err());
        assert!(AdminClient::builder().org_id("o").build().is_err());
        assert!(AdminClient::builder()
            .org_id("")
            .api_key("k")
            .build()
            .is_err());
        let a = AdminClient::builder()
            .org_id("o-1")
            .api_key("admin-s3cret")
            .build()
            .unwrap();
        assert_eq!(a.base_url().as_str(), "https://api.atlassian.com/");
        assert!(!format!("{a:?}").contains("s3cret"));

        assert!(TeamsClient::builder()
            .org_id("o")
            .credentials("me@example.com", "t")
            .build()
            .is_err());
        assert!(TeamsClient::builder()
            .site("bad/site")
            .org_id("o")
            .credentials("me@example.com", "t")
            .build()
            .is_err());
        let t = TeamsClient::builder()
            .site("example")
            .org_id("o-1")
            .credentials("me@example.com", "team-s3cret")
            .build()
            .unwrap();
        assert_eq!(t.base_url().as_str(), "https://example.atlassian.net/");
        assert!(!format!("{t:?}").contains("s3cret"));
        let b = TeamsClient::builder().credentials("me@example.com", "team-s3cret");
        assert!(!format!("{b:?}").contains("s3cret"));

        assert!(JsmOpsClient::builder().cloud_id("c").build().is_err());
        assert!(JsmOpsClient::builder()
            .cloud_id("c")
            .credentials("", "t")
            .build()
            .is_err());
        let j = JsmOpsClient::builder()
            .cloud_id("c 1")
            .credentials("me@example.com", "jsm-s3cret")
            .build()
            .unwrap();
        assert_eq!(
            j.base_url().as_str(),
            "https://api.atlassian.com/jsm/ops/api/c%201"
        );
        assert!(!format!("{j:?}").contains("s3cret"));
        assert!(JsmOpsClient::builder()
            .base_url("http://example.com/jsm")
            .credentials("me@example.com", "t")
            .build()
            .is_err());
    }
}
