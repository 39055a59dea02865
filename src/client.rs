//! [`Client`], [`ClientBuilder`] and the single request path.
//!
//! Every call flows: call builder → [`Client::send`] → limiter permit →
//! transport (under the request timeout) → classification (ok / retry /
//! error) → typed result. There is no other retry layer.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use url::Url;

use crate::error::{Error, RateLimitInfo, Result};
use crate::ratelimit::{
    parse_request_limits, AdaptiveLimiter, BucketKey, BucketStats, Feedback, LimitSource, Limits,
    RateLimiter,
};
use crate::request::{ApiRequest, ApiResponse, Domain};
use crate::retry::{Decision, Outcome, RetryBudget, RetryPolicy};
use crate::secret::{BearerToken, GenieKey};
use crate::transport::{ReqwestTransport, Transport, TransportError, TransportErrorKind};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout for one attempt, from sending to the last body byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The `User-Agent` sent by default.
pub const USER_AGENT: &str = concat!("opsgenie-users/", env!("CARGO_PKG_VERSION"));

/// Where the account lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Region {
    /// `https://api.opsgenie.com` (the default).
    Us,
    /// `https://api.eu.opsgenie.com`: EU accounts must use this; the global URL answers 401 for them.
    Eu,
}

impl Region {
    /// The API base URL of the region.
    pub fn base_url(&self) -> &'static str {
        match self {
            Region::Us => "https://api.opsgenie.com",
            Region::Eu => "https://api.eu.opsgenie.com",
        }
    }
}

/// How a request authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    Genie(GenieKey),
    Bearer(BearerToken),
}

impl Auth {
    fn header(&self) -> Result<HeaderValue> {
        let raw = match self {
            Auth::Genie(k) => format!("GenieKey {}", k.expose()),
            Auth::Bearer(t) => format!("Bearer {}", t.expose()),
        };
        let mut v = HeaderValue::from_str(&raw).map_err(|_| {
            Error::InvalidInput("the credential contains characters not allowed in a header".into())
        })?;
        v.set_sensitive(true);
        Ok(v)
    }

    fn fingerprint(&self) -> u64 {
        match self {
            Auth::Genie(k) => k.fingerprint(),
            Auth::Bearer(t) => t.fingerprint(),
        }
    }
}

/// The shared machinery under every client: transport, limiter, retry, timeouts.
pub(crate) struct Core {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) limiter: Arc<dyn RateLimiter>,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) request_timeout: Duration,
}

impl Core {
    /// Runs `req` against `base` until the retry policy stops. Returns the
    /// final response whatever its status; `Err` only when no response came
    /// (or the request was refused before sending).
    pub(crate) async fn execute(
        &self,
        base: &Url,
        auth: &Auth,
        req: &ApiRequest,
    ) -> Result<ApiResponse> {
        if let Some(reason) = &req.invalid {
            return Err(Error::InvalidInput(reason.clone()));
        }
        let url = build_url(base, req)?;
        let auth_header = auth.header()?;
        let key = BucketKey {
            credential: auth.fingerprint(),
            base_url: base.as_str().to_string(),
            domain: req.domain,
        };
        let mut attempt: u32 = 0;
        let mut earlier_may_have_acted = false;
        loop {
            attempt += 1;
            let permit = self.limiter.acquire(&key).await;
            let http_req = build_http(req, &url, &auth_header)?;
            tracing::debug!(method = %req.method, path = %req.path, domain = %req.domain, attempt, "sending");
            let answer =
                match tokio::time::timeout(self.request_timeout, self.transport.send(http_req))
                    .await
                {
                    Ok(Ok(resp)) => {
                        let (parts, body) = resp.into_parts();
                        Ok(ApiResponse {
                            method: req.method.clone(),
                            status: parts.status,
                            headers: parts.headers,
                            body,
                            attempts: attempt,
                            earlier_may_have_acted,
                        })
                    }
                    Ok(Err(e)) => Err(Error::Transport(e)),
                    Err(_) => Err(Error::Timeout {
                        after: self.request_timeout,
                    }),
                };
            // Classified once: the limiter learns from it, the retry policy decides on it.
            let rate_limit = answer
                .as_ref()
                .ok()
                .and_then(|r| RateLimitInfo::from_headers(&r.headers));
            let outcome = match &answer {
                Ok(resp) => Outcome::Response {
                    status: resp.status,
                    rate_limit: rate_limit.as_ref(),
                },
                Err(Error::Transport(e)) => Outcome::Transport(e),
                Err(_) => Outcome::Timeout,
            };
            permit.complete(&Feedback::from_outcome(&outcome));
            // Pure decision first, then the shared retry budget pays for it.
            let wanted = self
                .retry
                .decide(attempt, req.idempotent, &outcome, fastrand::f64());
            let decision = self.retry.settle(&self.budget, &outcome, wanted);
            if wanted != decision {
                tracing::warn!(method = %req.method, path = %req.path, domain = %req.domain, attempt, "retry budget exhausted: not retrying");
            }
            earlier_may_have_acted |= outcome.may_have_acted();
            match decision {
                Decision::Stop => {
                    if let Ok(resp) = &answer {
                        tracing::debug!(method = %req.method, path = %req.path, status = resp.status.as_u16(), attempt, "done");
                    }
                    return answer;
                }
                Decision::Retry(delay) => {
                    let status = answer.as_ref().ok().map(|r| r.status.as_u16());
                    tracing::info!(method = %req.method, path = %req.path, domain = %req.domain, attempt, ?status, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

fn build_url(base: &Url, req: &ApiRequest) -> Result<Url> {
    let base_path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    url.set_path(&format!("{base_path}{}", req.path));
    if req.query.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut()
            .clear()
            .extend_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    Ok(url)
}

fn build_http(req: &ApiRequest, url: &Url, auth: &HeaderValue) -> Result<http::Request<Bytes>> {
    let mut b = http::Request::builder()
        .method(req.method.clone())
        .uri(url.as_str())
        .header(AUTHORIZATION, auth.clone())
        .header(ACCEPT, req.accept.unwrap_or("application/json"))
        .header(http::header::USER_AGENT, USER_AGENT);
    if let Some(ct) = req.content_type {
        b = b.header(CONTENT_TYPE, ct);
    }
    b.body(req.body.clone().unwrap_or_default()).map_err(|e| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Request,
            e.to_string(),
        ))
    })
}

struct ClientInner {
    core: Arc<Core>,
    base_url: Url,
    auth: Auth,
}

/// The Opsgenie REST API v2 client. Cheap to clone (an `Arc` inside); share it
/// across tasks.
///
/// ```no_run
/// use opsgenie_users::{Client, Region};
/// # fn demo() -> opsgenie_users::Result<()> {
/// let client = Client::builder()
///     .api_key("your-api-key")
///     .region(Region::Eu)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("api_key", &"***")
            .finish()
    }
}

impl Client {
    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `OPSGENIE_API_KEY` and, optionally, `OPSGENIE_API_URL`
    /// (e.g. `https://api.eu.opsgenie.com`).
    pub fn from_env() -> Result<Client> {
        let key = std::env::var("OPSGENIE_API_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::InvalidInput("OPSGENIE_API_KEY is not set".into()))?;
        let mut b = Client::builder().api_key(key);
        if let Ok(url) = std::env::var("OPSGENIE_API_URL") {
            if !url.trim().is_empty() {
                b = b.base_url(url.trim());
            }
        }
        b.build()
    }

    /// The API base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Sends a request on the client's one request path and returns the
    /// response if its status is a success; any other status becomes the
    /// matching [`Error`] variant.
    pub async fn send(&self, req: ApiRequest) -> Result<ApiResponse> {
        self.execute(&req).await?.error_for_status()
    }

    /// Like [`send`](Self::send) but returns the final response whatever its status.
    pub async fn execute(&self, req: &ApiRequest) -> Result<ApiResponse> {
        self.inner
            .core
            .execute(&self.inner.base_url, &self.inner.auth, req)
            .await
    }

    /// Per-bucket rate-limit statistics of this client's limiter (requests
    /// sent, 429s, current estimates, queue length, total wait).
    ///
    /// ```no_run
    /// # fn demo(client: opsgenie_users::Client) {
    /// for s in client.rate_limit_stats() {
    ///     println!("{}: {} sent, {} throttled, ~{:?}/min", s.key.domain, s.sent, s.throttled, s.per_minute);
    /// }
    /// # }
    /// ```
    pub fn rate_limit_stats(&self) -> Vec<BucketStats> {
        self.inner.core.limiter.stats()
    }

    /// Sets a domain's limits at runtime (for every bucket of this client's
    /// limiter). A later 429 still re-estimates them.
    ///
    /// ```no_run
    /// # fn demo(client: opsgenie_users::Client) {
    /// use opsgenie_users::{Domain, ratelimit::Limits};
    /// client.set_rate_limits(Domain::Configuration, Limits::per_minute(600).and_per_second(10));
    /// # }
    /// ```
    pub fn set_rate_limits(&self, domain: Domain, limits: Limits) {
        self.inner
            .core
            .limiter
            .set_limits(domain, limits, LimitSource::Configured);
    }

    /// Reads the account's advertised limits from the undocumented
    /// `GET /v2/request-limits/` and hands them to the limiter (domains the
    /// user configured keep the user's limits). Returns what was found; an
    /// account without the endpoint gives an error or an empty list. The
    /// advertised numbers may be stale: 429s still have the last word.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let found = client.discover_rate_limits().await?;
    /// println!("{found:?}");
    /// # Ok(()) }
    /// ```
    pub async fn discover_rate_limits(&self) -> Result<Vec<(Domain, Limits)>> {
        let resp = self
            .send(ApiRequest::get(Domain::Configuration).path("v2/request-limits/"))
            .await?;
        let found = parse_request_limits(&resp.body);
        for (domain, limits) in &found {
            self.inner
                .core
                .limiter
                .set_limits(*domain, *limits, LimitSource::Discovered);
        }
        Ok(found)
    }

    /// The shared core, for sibling clients (SCIM) that reuse transport, limiter and retry.
    pub(crate) fn core(&self) -> Arc<Core> {
        self.inner.core.clone()
    }
}

/// Builds a [`Client`]. Only the API key is required.
#[derive(Default)]
pub struct ClientBuilder {
    key: Option<GenieKey>,
    base_url: Option<String>,
    region: Option<Region>,
    transport: Option<Arc<dyn Transport>>,
    limiter: Option<Arc<dyn RateLimiter>>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    allow_insecure_http: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API key (needs Configuration Access for user, team and role calls).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(GenieKey::new(key));
        self
    }

    /// The API key, already wrapped.
    pub fn genie_key(mut self, key: GenieKey) -> Self {
        self.key = Some(key);
        self
    }

    /// The region (default [`Region::Us`]). Overridden by [`base_url`](Self::base_url).
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// A custom base URL (a proxy, the simulator, a mock server).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Use this transport instead of the default reqwest one.
    pub fn transport(mut self, transport: impl Transport) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// Use this transport (shared).
    pub fn transport_arc(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Use this rate limiter (share one `Arc` between clients to share
    /// buckets). Default: a fresh [`AdaptiveLimiter`] per client, with every
    /// limit unknown (learned from 429s); pass
    /// [`Unlimited`](crate::ratelimit::Unlimited) to switch limiting off.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Connect timeout of the default transport (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// Timeout of one attempt, applied around any transport (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }

    /// Allow `http://` to hosts other than loopback. Off by default: the key
    /// would travel in clear text.
    pub fn allow_insecure_http(mut self, yes: bool) -> Self {
        self.allow_insecure_http = yes;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let key = self.key.clone().ok_or_else(|| {
            Error::InvalidInput("an API key is required (ClientBuilder::api_key)".into())
        })?;
        if key.expose().is_empty() {
            return Err(Error::InvalidInput("the API key is empty".into()));
        }
        let raw = match (&self.base_url, &self.region) {
            (Some(u), _) => u.clone(),
            (None, Some(r)) => r.base_url().to_string(),
            (None, None) => Region::Us.base_url().to_string(),
        };
        let base_url = check_base_url(&raw, self.allow_insecure_http)?;
        let core = self.core()?;
        Ok(Client {
            inner: Arc::new(ClientInner {
                core,
                base_url,
                auth: Auth::Genie(key),
            }),
        })
    }

    pub(crate) fn core(&self) -> Result<Arc<Core>> {
        let transport = match &self.transport {
            Some(t) => t.clone(),
            None => Arc::new(
                ReqwestTransport::new(
                    self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                    USER_AGENT,
                )
                .map_err(Error::Transport)?,
            ),
        };
        let retry = self.retry.clone().unwrap_or_default();
        Ok(Arc::new(Core {
            transport,
            limiter: self
                .limiter
                .clone()
                .unwrap_or_else(|| Arc::new(AdaptiveLimiter::default())),
            budget: retry.new_budget(),
            retry,
            request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
        }))
    }
}

/// Parses a base URL and refuses plain `http://` to anything but loopback
/// unless `allow_insecure` is set.
pub(crate) fn check_base_url(raw: &str, allow_insecure: bool) -> Result<Url> {
    let url = Url::parse(raw)
        .map_err(|e| Error::InvalidInput(format!("invalid base URL {raw:?}: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if !loopback && !allow_insecure {
                return Err(Error::InvalidInput(format!(
                    "refusing plain http:// to non-loopback host {:?}: the key would travel unencrypted (use https or ClientBuilder::allow_insecure_http)",
                    url.host_str().unwrap_or("")
                )));
            }
        }
        other => {
            return Err(Error::InvalidInput(format!(
                "unsupported URL scheme {other:?}"
            )))
        }
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::InvalidInput(
            "the base URL must not carry a query, fragment or credentials".into(),
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_base_url("http://127.0.0.1:8080", false).is_ok());
        assert!(check_base_url("http://localhost", false).is_ok());
        assert!(check_base_url("http://[::1]:1", false).is_ok());
        assert!(check_base_url("http://example.com", false).is_err());
        assert!(check_base_url("http://10.0.0.1", false).is_err());
        assert!(check_base_url("http://example.com", true).is_ok());
        assert!(check_base_url("https://api.eu.opsgenie.com", false).is_ok());
        assert!(check_base_url("ftp://x", true).is_err());
        assert!(check_base_url("https://u:p@x", false).is_err());
    }

    #[test]
    fn url_keeps_base_path_and_encoded_segments() {
        let base = Url::parse("https://proxy.example/opsgenie/").unwrap();
        let req = ApiRequest::get(crate::Domain::Search)
            .path("v2/users")
            .segment("username", "a+b@x.com")
            .query("expand", "contact");
        let url = build_url(&base, &req).unwrap();
        assert_eq!(
            url.as_str(),
            "https://proxy.example/opsgenie/v2/users/a%2Bb@x.com?expand=contact"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let c = Client::builder()
            .api_key("super-secret-key")
            .build()
            .unwrap();
        assert!(!format!("{c:?}").contains("super-secret"));
        let b = Client::builder().api_key("super-secret-key");
        assert!(!format!("{b:?}").contains("super-secret"));
        assert_eq!(c.base_url().as_str(), "https://api.opsgenie.com/");
        let eu = Client::builder()
            .api_key("k")
            .region(Region::Eu)
            .build()
            .unwrap();
        assert_eq!(eu.base_url().host_str(), Some("api.eu.opsgenie.com"));
    }
}
