//! [`Client`], [`ClientBuilder`] and the single request path.
//!
//! Every call flows: call builder → [`Client::send`] → limiter permit →
//! transport (under the request timeout) → classification (ok / retry /
//! error) → typed result. There is no other retry layer.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use crossbeam_utils::CachePadded;
use futures::future::Either;
use futures::FutureExt;
use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use tokio::time::{Instant, Sleep};
use url::Url;

use crate::error::{Error, RateLimitInfo, Result};
use crate::ratelimit::{
    parse_request_limits, AdaptiveLimiter, BucketKey, BucketStats, Feedback, LimitSource,
    LimiterConfig, LimiterStore, Limits, Permit, RateLimiter,
};
use crate::request::{ApiRequest, ApiResponse, Domain};
use crate::retry::{Counters, Decision, Outcome, RequestStats, RetryBudget, RetryPolicy};
use crate::secret::{BasicAuth, BearerToken, GenieKey};
use crate::transport::{
    redact_url, MaxResponseSize, RequestUrl, ReqwestTransport, Transport, TransportError,
    TransportErrorKind,
};

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout for one attempt, from sending to the last body byte.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default overall deadline of one call: every attempt, the backoff between
/// them and the wait for rate-limit slots.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);
/// Default cap on the size of a response body (16 MiB).
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 16 * 1024 * 1024;
/// How long the automatic read of `GET /v2/request-limits/` may take (all
/// its attempts) before the first call goes ahead without it (see
/// [`ClientBuilder::discover_rate_limits`]).
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// The `User-Agent` sent by default; [`ClientBuilder::user_agent`] puts
/// your tool's name in front of it.
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

/// How a request authenticates: the `Authorization` value, built once per
/// client and marked sensitive (so `http` and reqwest never print it), and
/// the credential's fingerprint for the limiter's bucket keys.
#[derive(Clone)]
pub(crate) struct Auth {
    /// `None` when the credential holds characters not allowed in a header:
    /// every call then fails with [`Error::InvalidInput`] before sending.
    header: Option<HeaderValue>,
    fingerprint: u64,
}

impl Auth {
    pub(crate) fn genie(key: &GenieKey) -> Auth {
        Auth::new(format!("GenieKey {}", key.expose()), key.fingerprint())
    }

    pub(crate) fn bearer(token: &BearerToken) -> Auth {
        Auth::new(format!("Bearer {}", token.expose()), token.fingerprint())
    }

    #[cfg_attr(not(feature = "atlassian"), allow(dead_code))]
    pub(crate) fn basic(basic: &BasicAuth) -> Auth {
        Auth::new(format!("Basic {}", basic.encoded()), basic.fingerprint())
    }

    fn new(raw: String, fingerprint: u64) -> Auth {
        let header = HeaderValue::try_from(raw).ok().map(|mut v| {
            v.set_sensitive(true);
            v
        });
        Auth {
            header,
            fingerprint,
        }
    }

    fn header(&self) -> Result<&HeaderValue> {
        self.header.as_ref().ok_or_else(|| {
            Error::InvalidInput("the credential contains characters not allowed in a header".into())
        })
    }
}

/// Where and as whom a client's calls go: the base URL, the credential and
/// the limiter's bucket key of each domain, all built once per client rather
/// than on every call.
pub(crate) struct Endpoint {
    base_url: Url,
    auth: Auth,
    /// Indexed by [`Domain::index`].
    keys: [BucketKey; Domain::ALL.len()],
}

impl Endpoint {
    pub(crate) fn new(base_url: Url, auth: Auth) -> Endpoint {
        let keys = Domain::ALL.map(|domain| BucketKey {
            credential: auth.fingerprint,
            base_url: base_url.as_str().to_string(),
            domain,
        });
        Endpoint {
            base_url,
            auth,
            keys,
        }
    }

    /// The API base URL.
    pub(crate) fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The limiter bucket of requests to this endpoint in `domain`.
    fn key(&self, domain: Domain) -> &BucketKey {
        &self.keys[domain.index()]
    }
}

/// The shared machinery under every client: transport, limiter, retry, timeouts.
pub(crate) struct Core {
    pub(crate) transport: Arc<dyn Transport>,
    /// The same transport when it is the default one: called directly, with
    /// the request in parts (see [`ReqwestTransport::send_parts`]).
    pub(crate) direct: Option<ReqwestTransport>,
    pub(crate) limiter: Arc<dyn RateLimiter>,
    pub(crate) retry: RetryPolicy,
    /// Written by every call: on cache lines of their own, apart from the
    /// fields every call only reads.
    pub(crate) budget: CachePadded<RetryBudget>,
    pub(crate) counters: CachePadded<Counters>,
    pub(crate) request_timeout: Duration,
    pub(crate) deadline: Duration,
    pub(crate) max_response_size: u64,
    /// `User-Agent` of every request: [`USER_AGENT`], after the caller's
    /// product when one was given ([`ClientBuilder::user_agent`]).
    pub(crate) user_agent: HeaderValue,
}

/// How far a call got, for the error when the deadline passes.
#[derive(Debug, Default)]
struct Progress {
    attempts: u32,
    /// An attempt is with the transport right now.
    in_flight: bool,
    /// An earlier attempt may have reached the server.
    reached: bool,
    /// An earlier attempt may have been acted on (see [`Outcome::may_have_acted`]).
    acted: bool,
}

/// The overall deadline of a call passed (while waiting for a permit or
/// with a request in flight).
struct DeadlinePassed;

/// What follows a settled attempt.
enum Step {
    /// The call's result.
    Done(Result<ApiResponse>),
    /// Another attempt after this wait.
    Retry(Duration),
}

/// How one attempt ended.
enum Attempt {
    Answer(ApiResponse),
    Failed(TransportError),
    TimedOut,
}

impl Core {
    /// Runs `req` against `base` until the retry policy stops or the deadline
    /// passes. Returns the final response whatever its status; `Err` only
    /// when no usable response came (or the request was refused before sending).
    ///
    /// Cancel-safe: dropping the future at any await point leaves nothing
    /// behind. A permit still waited for leaves the queue, a permit whose
    /// request was not sent gives its slot back, one whose request was sent
    /// keeps it, and no task is spawned.
    pub(crate) async fn execute(&self, to: &Endpoint, req: &ApiRequest) -> Result<ApiResponse> {
        if let Some(reason) = &req.invalid {
            return Err(Error::InvalidInput(reason.clone()));
        }
        let url = build_url(&to.base_url, req)?;
        let start = Instant::now();
        let mut progress = Progress::default();
        // One timer at a time: the deadline bounds the wait for a permit
        // (a timer only when the permit is not granted at once) and each
        // attempt's own timeout, rather than a second timer around the call.
        let deadline = start + self.deadline;
        let auth_header = to.auth.header()?;
        // The attempts run in this function's own loop, not in an async fn
        // of their own: each level of futures copies the one below it (on
        // the stack, then into its state) when it starts it.
        let key = to.key(req.domain);
        let DeadlinePassed = loop {
            // One attempt, in a block: what it holds is gone from the call's
            // future while a retry waits.
            let delay = {
                // A slot free at once needs no future and no timer; the clock
                // read at the start of the call then also starts the attempt.
                let (mut permit, sent_at) = match self.limiter.try_acquire(key) {
                    Some(p) if progress.attempts == 0 => (p, start),
                    Some(p) => (p, Instant::now()),
                    None => {
                        match tokio::time::timeout_at(deadline, self.limiter.acquire(key)).await {
                            Ok(p) => (p, Instant::now()),
                            Err(_) => break DeadlinePassed,
                        }
                    }
                };
                progress.attempts += 1;
                let attempt = progress.attempts;
                Counters::bump(&self.counters.attempts);
                if attempt > 1 {
                    Counters::bump(&self.counters.retries);
                }
                // Built by a plain function: only the transport's future, not
                // the request it was made from, is kept across the await.
                let send = match self.start_send(req, &url, auth_header) {
                    Ok(send) => send,
                    Err(e) => return Err(e),
                };
                tracing::debug!(method = %req.method, path = %req.path, domain = %req.domain, attempt, "sending");
                // From here on the server may count the request: a permit dropped
                // with this future keeps its slot.
                permit.mark_sent();
                progress.in_flight = true;
                let mut timer = Box::pin(tokio::time::sleep_until(
                    deadline.min(sent_at + self.request_timeout),
                ));
                let result = within(timer.as_mut(), std::pin::pin!(send)).await;
                Self::keep_timer(timer);
                if result.is_err() && Instant::now() >= deadline {
                    break DeadlinePassed;
                }
                progress.in_flight = false;
                match self.settle(req, &url, result, permit, deadline, &mut progress) {
                    Step::Done(answer) => return answer,
                    Step::Retry(delay) => delay,
                }
            };
            tokio::time::sleep(delay).await;
        };
        let may_have_reached_server = progress.reached || progress.in_flight;
        tracing::warn!(method = %req.method, path = %req.path, domain = %req.domain, attempts = progress.attempts, may_have_reached_server, deadline = ?self.deadline, "deadline exceeded");
        Err(Error::DeadlineExceeded {
            after: self.deadline,
            request: request_label(req, &url),
            attempts: progress.attempts,
            may_have_reached_server,
        })
    }

    /// An attempt's request, handed to its transport: the future of the
    /// exchange (see [`ReqwestTransport::send_parts`] for the default one).
    fn start_send<'a>(
        &'a self,
        req: &ApiRequest,
        url: &Url,
        auth_header: &HeaderValue,
    ) -> Result<
        impl Future<Output = std::result::Result<http::Response<Bytes>, TransportError>> + Send + 'a,
    > {
        let headers = build_headers(req, auth_header, &self.user_agent)?;
        let body = req.body.clone().unwrap_or_default();
        Ok(match &self.direct {
            Some(direct) => Either::Right(direct.send_parts(
                req.method.clone(),
                url.clone(),
                headers,
                body,
                self.max_response_size,
            )),
            None => Either::Left(self.transport.send(build_http(
                req,
                url,
                headers,
                body,
                self.max_response_size,
            )?)),
        })
    }

    /// What follows an attempt (`result`: its transport's answer, or its
    /// timeout): the limiter learns from it, the retry policy decides on it.
    /// A plain function, so that nothing of it is kept in the call's future
    /// while a retry waits.
    fn settle(
        &self,
        req: &ApiRequest,
        url: &Url,
        result: std::result::Result<
            std::result::Result<http::Response<Bytes>, TransportError>,
            TimedOut,
        >,
        permit: Permit,
        deadline: Instant,
        progress: &mut Progress,
    ) -> Step {
        let attempt = progress.attempts;
        let ended = match result {
            Ok(Ok(resp)) if resp.body().len() as u64 > self.max_response_size => {
                Attempt::Failed(TransportError::new(
                    TransportErrorKind::BodyTooLarge,
                    "the transport returned a body over the limit",
                ))
            }
            Ok(Ok(resp)) => {
                let (parts, body) = resp.into_parts();
                Attempt::Answer(ApiResponse {
                    method: req.method.clone(),
                    status: parts.status,
                    headers: parts.headers,
                    body,
                    attempts: attempt,
                    earlier_may_have_acted: progress.acted,
                })
            }
            Ok(Err(e)) => Attempt::Failed(e),
            Err(TimedOut) => Attempt::TimedOut,
        };
        // Classified once: the limiter learns from it, the retry policy
        // decides on it. The feedback owns the rate-limit headers the
        // outcome borrows (read once, not copied).
        let mut feedback = match &ended {
            Attempt::Answer(r) => Feedback {
                status: Some(r.status.as_u16()),
                rate_limit: RateLimitInfo::from_headers(&r.headers),
                throttled: false,
            },
            _ => Feedback::unanswered(),
        };
        let outcome = match &ended {
            Attempt::Answer(resp) => Outcome::Response {
                status: resp.status,
                rate_limit: feedback.rate_limit.as_ref(),
            },
            Attempt::Failed(e) => Outcome::Transport(e),
            Attempt::TimedOut => Outcome::Timeout,
        };
        feedback.throttled = outcome.is_throttle();
        progress.acted |= outcome.may_have_acted();
        progress.reached |= match &outcome {
            Outcome::Transport(e) => e.may_have_reached_server(),
            other => !other.is_throttle(),
        };
        permit.complete(&feedback);
        // Pure decision first, then the shared retry budget pays for it.
        let wanted = self
            .retry
            .decide_drawing(attempt, req.idempotent, &outcome, fastrand::f64);
        let mut decision = self.retry.settle(&self.budget, &outcome, wanted);
        if wanted != decision {
            tracing::warn!(method = %req.method, path = %req.path, domain = %req.domain, attempt, "retry budget exhausted: not retrying");
        }
        if let Decision::Retry(delay) = decision {
            if Instant::now() + delay >= deadline {
                // The retry could not finish in time: the caller gets
                // this answer rather than a deadline error later.
                tracing::debug!(method = %req.method, path = %req.path, attempt, ?delay, "not retrying: the backoff would pass the deadline");
                decision = Decision::Stop;
            }
        }
        match decision {
            Decision::Stop => Step::Done(match ended {
                Attempt::Answer(resp) => {
                    tracing::debug!(method = %req.method, path = %req.path, status = resp.status.as_u16(), attempt, "done");
                    Ok(resp)
                }
                Attempt::Failed(e) if e.kind() == TransportErrorKind::BodyTooLarge => {
                    Err(Error::ResponseTooLarge {
                        limit: self.max_response_size,
                        request: request_label(req, url),
                    })
                }
                Attempt::Failed(e) => Err(Error::Transport(e.with_request(&req.method, url))),
                Attempt::TimedOut => Err(Error::Timeout {
                    after: self.request_timeout,
                    request: request_label(req, url),
                }),
            }),
            Decision::Retry(delay) => {
                let status = match &ended {
                    Attempt::Answer(r) => Some(r.status.as_u16()),
                    _ => None,
                };
                tracing::info!(method = %req.method, path = %req.path, domain = %req.domain, attempt, ?status, ?delay, "retrying");
                Step::Retry(delay)
            }
        }
    }

    /// Keeps an ended attempt's timer registered until the next attempt
    /// ends, and drops the one kept before.
    ///
    /// Why: tokio wakes its parked time driver (a write to its event fd,
    /// and a worker thread woken only to park again) whenever a new timer
    /// is due before every timer the driver saw when it parked, and always
    /// when it saw none. Between two calls the driver usually parks after
    /// the first call's timer is gone, so each call's timer woke it
    /// (0.92 extra `write` and 0.64 extra `epoll_wait` per sequential call
    /// under `strace -f`, against none for a hand-written client without
    /// a timeout). With the last timer kept, a new one (due later) wakes
    /// nothing. A kept timer is only ever dropped, never polled, so one
    /// from another runtime (a client used on several) is harmless; it
    /// fires at the latest when its attempt's timeout would have, waking
    /// nothing that still waits.
    ///
    /// Kept per thread, not per client: a runtime's worker registers its
    /// timers with its own part of the time driver, and a slot shared by
    /// the workers would be a lock they contend for on every call.
    fn keep_timer(timer: Pin<Box<Sleep>>) {
        thread_local! {
            /// The timer of the attempt that ended last on this thread, never
            /// polled again.
            static LAST_TIMER: RefCell<Option<Pin<Box<Sleep>>>> = const { RefCell::new(None) };
        }
        // Dropped outside the borrow. While the thread's locals are torn down
        // the timer is simply dropped.
        let before = LAST_TIMER
            .try_with(|last| last.borrow_mut().replace(timer))
            .ok()
            .flatten();
        drop(before);
    }
}

/// The attempt's timeout passed.
struct TimedOut;

/// `fut`'s output, or [`TimedOut`] if `timer` elapses first (the timer is
/// polled only while `fut` is pending, as [`tokio::time::timeout`] does).
///
/// Both are borrowed, pinned where the caller keeps them: an `async fn`
/// taking `fut` by value would keep it twice (its argument, and the pinned
/// copy it polls).
fn within<'a, F: Future>(
    mut timer: Pin<&'a mut Sleep>,
    mut fut: Pin<&'a mut F>,
) -> impl Future<Output = std::result::Result<F::Output, TimedOut>> + 'a {
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    })
}

/// `METHOD url` without query string or user info, for errors.
fn request_label(req: &ApiRequest, url: &Url) -> String {
    format!("{} {}", req.method, redact_url(url))
}

fn build_url(base: &Url, req: &ApiRequest) -> Result<Url> {
    let base_path = base.path().trim_end_matches('/');
    let mut url = base.clone();
    if base_path.is_empty() {
        // The API at the root (every region, most proxies): the request's
        // path as it is, without formatting a copy.
        url.set_path(&req.path);
    } else {
        url.set_path(&format!("{base_path}{}", req.path));
    }
    if req.query.is_empty() {
        if url.query().is_some() {
            url.set_query(None);
        }
    } else {
        url.query_pairs_mut()
            .clear()
            .extend_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    Ok(url)
}

/// The headers of every request: credential, `Accept`, `User-Agent` and,
/// with a body, `Content-Type`.
fn build_headers(
    req: &ApiRequest,
    auth: &HeaderValue,
    user_agent: &HeaderValue,
) -> Result<http::HeaderMap> {
    // Media types come from the caller (`&'static str`, but unchecked). A
    // visible-ASCII one is kept without a copy (`from_static` panics on
    // anything else, hence the check); any other goes through `from_str`,
    // which copies it or says why it is not a header value.
    let value = |v: &'static str| {
        if v.bytes().all(|b| b == b'\t' || (32..127).contains(&b)) {
            return Ok(HeaderValue::from_static(v));
        }
        HeaderValue::from_str(v).map_err(|e| {
            Error::Transport(TransportError::new(
                TransportErrorKind::Request,
                e.to_string(),
            ))
        })
    };
    let mut h = http::HeaderMap::with_capacity(4);
    h.insert(AUTHORIZATION, auth.clone());
    h.insert(
        ACCEPT,
        match req.accept {
            None => HeaderValue::from_static("application/json"),
            Some(a) => value(a)?,
        },
    );
    h.insert(http::header::USER_AGENT, user_agent.clone());
    if let Some(ct) = req.content_type {
        h.insert(CONTENT_TYPE, value(ct)?);
    }
    Ok(h)
}

/// The request a custom transport gets: method, absolute URI, `headers`,
/// `body`, and in its extensions the response size cap and the parsed URL.
fn build_http(
    req: &ApiRequest,
    url: &Url,
    headers: http::HeaderMap,
    body: Bytes,
    max_response_size: u64,
) -> Result<http::Request<Bytes>> {
    let mut r = http::Request::new(body);
    *r.method_mut() = req.method.clone();
    *r.uri_mut() = http::Uri::try_from(url.as_str()).map_err(|e| {
        Error::Transport(TransportError::new(
            TransportErrorKind::Request,
            e.to_string(),
        ))
    })?;
    *r.headers_mut() = headers;
    r.extensions_mut()
        .insert(MaxResponseSize(max_response_size));
    // A default transport wrapped by the caller takes the parsed URL from here.
    r.extensions_mut().insert(RequestUrl(url.clone()));
    Ok(r)
}

struct ClientInner {
    core: Arc<Core>,
    endpoint: Endpoint,
    /// Set once the account's limits were read (or the read failed); `None`
    /// when discovery is off. One per client (credential and base URL):
    /// concurrent first calls share one read, later calls only check it.
    discovery: Option<tokio::sync::OnceCell<()>>,
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
    /// Padded: the `Arc`'s counts, written by every clone and drop (each
    /// call clones the client), are on a cache line apart from what every
    /// call reads.
    inner: Arc<CachePadded<ClientInner>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.endpoint.base_url.as_str())
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
    /// (e.g. `https://api.eu.opsgenie.com`). With the `redis` feature and
    /// `OPSGENIE_REDIS_URL` set (e.g. `redis://127.0.0.1:6379/`), its
    /// limiter shares the quota through a
    /// [`RedisStore`](crate::ratelimit::RedisStore) with every process
    /// doing the same.
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
        #[cfg(feature = "redis")]
        if let Ok(url) = std::env::var("OPSGENIE_REDIS_URL") {
            if !url.trim().is_empty() {
                b = b.limiter_store(Arc::new(crate::ratelimit::RedisStore::open(url.trim())?));
            }
        }
        b.build()
    }

    /// The API base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.endpoint.base_url
    }

    /// Sends a request on the client's one request path and returns the
    /// response if its status is a success; any other status becomes the
    /// matching [`Error`] variant.
    ///
    /// Awaited like an `async fn`; written as a function returning a future
    /// so the request is kept once in that future (an `async fn` keeps its
    /// by-value arguments twice).
    pub fn send(&self, req: ApiRequest) -> impl Future<Output = Result<ApiResponse>> + Send + '_ {
        Self::send_on(self, req)
    }

    /// [`send`](Self::send) on a borrowed or an owned client: a call that
    /// owns its client (a builder's boxed future) sends on it without a
    /// future of its own around `send`'s (each level of futures copies the
    /// one below it when it starts it).
    pub(crate) fn send_on<C>(
        client: C,
        req: ApiRequest,
    ) -> impl Future<Output = Result<ApiResponse>> + Send
    where
        C: Borrow<Client> + Send,
    {
        Self::execute_on(client, req).map(|answer| answer?.error_for_status())
    }

    /// Like [`send`](Self::send) but returns the final response whatever its status.
    ///
    /// The client's first call first reads the account's rate limits (see
    /// [`ClientBuilder::discover_rate_limits`]).
    pub fn execute<'a>(
        &'a self,
        req: &'a ApiRequest,
    ) -> impl Future<Output = Result<ApiResponse>> + Send + 'a {
        Self::execute_on(self, req)
    }

    /// The one request path of [`send`](Self::send) and
    /// [`execute`](Self::execute), on a borrowed or an owned client and
    /// request: both are this future, the first with its status checked
    /// (mapped onto it, not a future around it).
    #[allow(clippy::manual_async_fn)]
    fn execute_on<C, R>(client: C, req: R) -> impl Future<Output = Result<ApiResponse>> + Send
    where
        C: Borrow<Client> + Send,
        R: Borrow<ApiRequest> + Send,
    {
        async move {
            let req: &ApiRequest = req.borrow();
            if let Some(reason) = &req.invalid {
                // Refused before anything is sent, the limits read included.
                return Err(Error::InvalidInput(reason.clone()));
            }
            let this: &Client = client.borrow();
            this.discover_once().await;
            let inner = &*this.inner;
            inner.core.execute(&inner.endpoint, req).await
        }
    }

    /// Reads the advertised limits before the client's first call, once.
    /// Whatever happens (404, 403, timeout, an odd body), the caller's call
    /// goes ahead: the limits then stay unknown and are learned from 429s.
    async fn discover_once(&self) {
        let Some(cell) = &self.inner.discovery else {
            return;
        };
        if cell.initialized() {
            return;
        }
        let timeout = DISCOVERY_TIMEOUT.min(self.inner.core.request_timeout);
        cell.get_or_init(|| async {
            // Boxed: a client reads its limits once, and the read (a whole
            // request) would otherwise size every call's future.
            let read = Box::pin(self.read_request_limits());
            let outcome = tokio::time::timeout(timeout, read).await;
            match outcome {
                Ok(Ok(found)) if found.is_empty() => tracing::info!(
                    target: "opsgenie_users::ratelimit",
                    "GET /v2/request-limits/ advertised no usable limits: limits unknown, learned from 429s"
                ),
                Ok(Ok(found)) => tracing::debug!(
                    target: "opsgenie_users::ratelimit",
                    domains = found.len(),
                    "rate limits discovered"
                ),
                Ok(Err(e)) => tracing::info!(
                    target: "opsgenie_users::ratelimit",
                    error = %e,
                    "GET /v2/request-limits/ failed: limits unknown, learned from 429s"
                ),
                Err(_) => tracing::info!(
                    target: "opsgenie_users::ratelimit",
                    ?timeout,
                    "GET /v2/request-limits/ timed out: limits unknown, learned from 429s"
                ),
            }
        })
        .await;
    }

    /// `GET /v2/request-limits/` on the one request path (it counts against
    /// the Configuration quota like any call); hands what it found to the
    /// limiter for this client's credential and base URL.
    async fn read_request_limits(&self) -> Result<Vec<(Domain, Limits)>> {
        let inner = &*self.inner;
        let req = ApiRequest::get(Domain::Configuration).path("v2/request-limits/");
        let resp = inner
            .core
            .execute(&inner.endpoint, &req)
            .await?
            .error_for_status()?;
        let found = parse_request_limits(&resp.body);
        for (domain, limits) in &found {
            let key = inner.endpoint.key(*domain);
            inner
                .core
                .limiter
                .set_bucket_limits(key, *limits, LimitSource::Discovered);
        }
        Ok(found)
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

    /// What this client's request path did so far (all clones together):
    /// attempts, retries, resends, writes recovered by a lookup and writes
    /// left ambiguous.
    ///
    /// ```no_run
    /// # fn demo(client: opsgenie_users::Client) {
    /// let s = client.request_stats();
    /// println!("{} attempts, {} retries, {} recovered", s.attempts, s.retries, s.recovered);
    /// # }
    /// ```
    pub fn request_stats(&self) -> RequestStats {
        self.inner.core.counters.snapshot()
    }

    /// The delay before sending again a write whose answer was lost (`lost`)
    /// and that a lookup found not applied, after `sends` sends of it; `None`
    /// when the retry policy stops (attempts used up, an outcome it never
    /// retries, budget dry). A resend is an attempt like any retry: the
    /// policy decides it as for an idempotent call and the shared retry
    /// budget pays for it.
    pub(crate) fn resend_delay(&self, sends: u32, lost: &Error) -> Option<Duration> {
        let core = &self.inner.core;
        let outcome = Outcome::of_error(lost)?;
        let wanted = core
            .retry
            .decide_drawing(sends, true, &outcome, fastrand::f64);
        match core.retry.settle(&core.budget, &outcome, wanted) {
            Decision::Retry(delay) => {
                Counters::bump(&core.counters.resends);
                Counters::bump(&core.counters.retries);
                Some(delay)
            }
            Decision::Stop => None,
        }
    }

    /// Counts a write recovered by a lookup.
    pub(crate) fn count_recovered(&self) {
        Counters::bump(&self.inner.core.counters.recovered);
    }

    /// Counts a write left ambiguous.
    pub(crate) fn count_ambiguous(&self) {
        Counters::bump(&self.inner.core.counters.ambiguous);
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
    /// `GET /v2/request-limits/` now and hands them to the limiter for this
    /// client's credential and base URL (domains the user configured keep
    /// the user's limits). Returns what was found; an account without the
    /// endpoint gives an error or an empty list. The advertised numbers may
    /// be stale: 429s still have the last word.
    ///
    /// A client does this by itself before its first call (see
    /// [`ClientBuilder::discover_rate_limits`]); call it to read the limits
    /// again, or to see them. A successful call here also counts as that
    /// first read.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let found = client.discover_rate_limits().await?;
    /// println!("{found:?}");
    /// # Ok(()) }
    /// ```
    pub async fn discover_rate_limits(&self) -> Result<Vec<(Domain, Limits)>> {
        let found = self.read_request_limits().await?;
        if let Some(cell) = &self.inner.discovery {
            // Already set when an automatic read ran first: nothing to do.
            let _ = cell.set(());
        }
        Ok(found)
    }

    /// The shared core, for sibling clients (SCIM) that reuse transport, limiter and retry.
    pub(crate) fn core(&self) -> Arc<Core> {
        self.inner.core.clone()
    }
}

/// Builds a [`Client`]. Only the API key is required.
///
/// # Timeouts and limits
///
/// Every call is bounded in time and memory, whatever the server does:
///
/// | setting | default | covers |
/// |---|---|---|
/// | [`connect_timeout`](Self::connect_timeout) | 10 s | opening a connection (TCP and TLS) of the default transport |
/// | [`request_timeout`](Self::request_timeout) | 30 s | one attempt, from sending to the last body byte (a server that sends its headers and then stalls is cut off); applied around any transport |
/// | [`deadline`](Self::deadline) | 5 min | the whole call: waiting for rate-limit slots, every attempt and the backoff between them |
/// | [`max_response_size`](Self::max_response_size) | 16 MiB | the body of one response, enforced while reading |
///
/// A per-attempt timeout ends in [`Error::Timeout`] (or a retry, for
/// idempotent calls), the deadline in [`Error::DeadlineExceeded`] (which says
/// whether the request may have reached the server), the size cap in
/// [`Error::ResponseTooLarge`]. A retry whose backoff would end after the
/// deadline is not made: the call returns its last answer instead.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::Client;
/// let client = Client::builder()
///     .api_key("your-api-key")
///     .connect_timeout(Duration::from_secs(5))
///     .request_timeout(Duration::from_secs(20))
///     .deadline(Duration::from_secs(120))
///     .max_response_size(4 * 1024 * 1024)
///     .build()?;
/// # let _ = client;
/// # Ok::<(), opsgenie_users::Error>(())
/// ```
#[derive(Default)]
pub struct ClientBuilder {
    key: Option<GenieKey>,
    base_url: Option<String>,
    region: Option<Region>,
    transport: Option<Arc<dyn Transport>>,
    limiter: Option<Arc<dyn RateLimiter>>,
    store: Option<Arc<dyn LimiterStore>>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    deadline: Option<Duration>,
    max_response_size: Option<u64>,
    user_agent: Option<String>,
    allow_insecure_http: bool,
    no_discovery: bool,
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
    /// buckets). Default: a fresh [`AdaptiveLimiter`] per client, with the
    /// limits the account advertises (see
    /// [`discover_rate_limits`](Self::discover_rate_limits)), else unknown
    /// and learned from 429s; pass [`Unlimited`](crate::ratelimit::Unlimited)
    /// to switch limiting off.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Keeps the default [`AdaptiveLimiter`]'s slots in `store`, shared
    /// with every limiter on it ([`AdaptiveLimiter::with_store`]): e.g. a
    /// `RedisStore` (feature `redis`) shared by several processes. Ignored
    /// when [`rate_limiter`](Self::rate_limiter) is set.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use opsgenie_users::Client;
    /// use opsgenie_users::ratelimit::InMemoryStore;
    /// let store = Arc::new(InMemoryStore::new());
    /// let a = Client::builder().api_key("key").limiter_store(store.clone()).build();
    /// let b = Client::builder().api_key("key").limiter_store(store).build();
    /// # let _ = (a, b);
    /// ```
    pub fn limiter_store(mut self, store: Arc<dyn LimiterStore>) -> Self {
        self.store = Some(store);
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

    /// Timeout of one attempt, from handing the request to the transport to
    /// the last byte of the body, applied around any transport (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = Some(d);
        self
    }

    /// Overall deadline of one call, covering the wait for rate-limit slots,
    /// every attempt and the backoff between them (default 5 minutes). When
    /// it passes, the call ends with [`Error::DeadlineExceeded`].
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = Some(d);
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB). The default
    /// transport stops reading at the cap (and refuses a larger
    /// `Content-Length` at once); for a custom transport the client checks
    /// the length of the body it returns. Over the cap, the call ends with
    /// [`Error::ResponseTooLarge`].
    pub fn max_response_size(mut self, bytes: u64) -> Self {
        self.max_response_size = Some(bytes);
        self
    }

    /// Names your tool in the `User-Agent` header of every request, in
    /// front of the SDK's own ([`USER_AGENT`]): `"{product} opsgenie-users/{version}"`.
    /// Give it as a product token, `name/version` (e.g.
    /// `"acme-offboarding/2.3"`), so that Atlassian support and your proxy
    /// logs can tell your tool's requests apart. Visible ASCII and spaces
    /// only: any other character, or an empty name, makes
    /// [`build`](Self::build) fail with [`Error::InvalidInput`].
    ///
    /// ```
    /// let client = opsgenie_users::Client::builder()
    ///     .api_key("your-api-key")
    ///     .user_agent("acme-offboarding/2.3")
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), opsgenie_users::Error>(())
    /// ```
    pub fn user_agent(mut self, product: impl Into<String>) -> Self {
        self.user_agent = Some(product.into());
        self
    }

    /// Whether the client reads the account's limits from
    /// `GET /v2/request-limits/` before its first call (default: yes).
    ///
    /// The read happens once per client (clones share it; concurrent first
    /// calls wait for the same read), goes through the rate limiter like any
    /// call and counts against the Configuration quota. What it advertises
    /// becomes each domain's limit for this client's credential and base URL
    /// ([`LimitSource::Discovered`]; limits you configured on the limiter
    /// win). It is never an error to the caller: a 404 (an account or proxy
    /// without the endpoint), a 403, a timeout after [`DISCOVERY_TIMEOUT`] or
    /// an odd body leaves the limits unknown, learned from 429s, and the
    /// caller's own call proceeds. Advertised limits that are too high are
    /// corrected by the first 429 in each window.
    ///
    /// Turn it off for a custom limiter that needs no limits (such as
    /// [`Unlimited`](crate::ratelimit::Unlimited)), with scripted transports
    /// that expect only your own requests, or to keep the first call from
    /// waiting for the read; [`Client::discover_rate_limits`] still reads the
    /// limits on demand.
    ///
    /// ```
    /// let client = opsgenie_users::Client::builder()
    ///     .api_key("your-api-key")
    ///     .discover_rate_limits(false)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), opsgenie_users::Error>(())
    /// ```
    pub fn discover_rate_limits(mut self, yes: bool) -> Self {
        self.no_discovery = !yes;
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
            inner: Arc::new(CachePadded::new(ClientInner {
                core,
                endpoint: Endpoint::new(base_url, Auth::genie(&key)),
                discovery: (!self.no_discovery).then(tokio::sync::OnceCell::new),
            })),
        })
    }

    pub(crate) fn core(&self) -> Result<Arc<Core>> {
        let user_agent = match &self.user_agent {
            None => HeaderValue::from_static(USER_AGENT),
            Some(product) => product_user_agent(product)?,
        };
        let (transport, direct): (Arc<dyn Transport>, _) = match &self.transport {
            Some(t) => (t.clone(), None),
            None => {
                // The client's own `User-Agent` goes on every request it
                // builds, so reqwest's default is never the one sent.
                let t = ReqwestTransport::new(
                    self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                    USER_AGENT,
                )
                .map_err(Error::Transport)?;
                (Arc::new(t.clone()), Some(t))
            }
        };
        let retry = self.retry.clone().unwrap_or_default();
        Ok(Arc::new(Core {
            transport,
            direct,
            limiter: self.limiter.clone().unwrap_or_else(|| match &self.store {
                Some(store) => Arc::new(AdaptiveLimiter::with_store(
                    LimiterConfig::default(),
                    store.clone(),
                )),
                None => Arc::new(AdaptiveLimiter::default()),
            }),
            budget: CachePadded::new(retry.new_budget()),
            counters: CachePadded::default(),
            retry,
            request_timeout: self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT),
            deadline: self.deadline.unwrap_or(DEFAULT_DEADLINE),
            max_response_size: self.max_response_size.unwrap_or(DEFAULT_MAX_RESPONSE_SIZE),
            user_agent,
        }))
    }
}

/// `"{product} opsgenie-users/{version}"`, or why `product` cannot lead a
/// `User-Agent` header.
fn product_user_agent(product: &str) -> Result<HeaderValue> {
    let product = product.trim();
    if product.is_empty() {
        return Err(Error::InvalidInput(
            "the user agent product is empty (ClientBuilder::user_agent)".into(),
        ));
    }
    // Visible ASCII and spaces: `HeaderValue` would also take tabs and
    // bytes over 127, which proxies and log tools mangle.
    if let Some(c) = product
        .chars()
        .find(|c| !(c.is_ascii_graphic() || *c == ' '))
    {
        return Err(Error::InvalidInput(format!(
            "the user agent product may hold only visible ASCII and spaces, not {c:?} (ClientBuilder::user_agent)"
        )));
    }
    HeaderValue::from_str(&format!("{product} {USER_AGENT}"))
        .map_err(|e| Error::InvalidInput(format!("invalid user agent: {e}")))
}

/// Parses a base URL and refuses plain `http://` to anything but loopback
/// unless `allow_insecure` is set.
pub(crate) fn check_base_url(raw: &str, allow_insecure: bool) -> Result<Url> {
    let url = Url::parse(raw)
        // The text is not repeated: a malformed URL may still hold credentials.
        .map_err(|e| Error::InvalidInput(format!("invalid base URL: {e}")))?;
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
        // Neither a malformed URL nor one with credentials is repeated in the error.
        for raw in ["https://u:s3cret@[::1", "https://u:s3cret@h.example/"] {
            let e = check_base_url(raw, false).unwrap_err();
            assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
        }
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

    /// Every call's future is boxed once (its builder's `IntoFuture`) and
    /// moved into the box: its size is copied, and allocated, per call.
    /// `users().get` was 4,136 bytes: async fns kept their by-value
    /// arguments twice, the transport kept the whole request after handing
    /// it to reqwest, and the once-per-client read of the limits sized every
    /// call. Then 1,552: an attempt kept the request it had handed over,
    /// and its whole classification while a retry waited (rustc lays out
    /// every local a suspension point may see). Then 1,080; then 944, with
    /// the attempts in `Core::execute`'s own loop and `send` not calling
    /// `execute`; now 856, the builder's boxed future being `send`'s own
    /// with the decoding mapped onto it (rustc 1.95, tokio 1.54, reqwest
    /// 0.12, in debug and release builds alike): under glibc's per-thread
    /// cache limit for small allocations (1,032 bytes). `users().create`
    /// was 1,144 bytes (its request stored twice: in the call's future and
    /// in the write's) and `teams().create` 2,080 (the whole write stored
    /// twice); 984 and 992 now, the write borrowing the request. The bounds
    /// leave room for other compilers without letting any come back.
    #[test]
    fn call_futures_stay_small() {
        use std::future::IntoFuture;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _in_runtime = rt.enter();
        let c = Client::builder().api_key("k").build().unwrap();
        let t = ReqwestTransport::new(Duration::from_secs(1), "t").unwrap();
        let url = Url::parse("https://api.opsgenie.com/v2/users/x").unwrap();
        let transport = std::mem::size_of_val(&t.send_parts(
            http::Method::GET,
            url,
            http::HeaderMap::new(),
            Bytes::new(),
            1,
        ));
        let get = std::mem::size_of_val(&*c.users().get("x").into_future());
        let send = std::mem::size_of_val(&c.send(ApiRequest::get(crate::Domain::Search)));
        let create = std::mem::size_of_val(
            &*c.users()
                .create(crate::models::user::UserCreate::new("x@example.com", "X"))
                .into_future(),
        );
        let team = std::mem::size_of_val(
            &*c.teams()
                .create(crate::models::team::TeamCreate::new("sre"))
                .into_future(),
        );
        println!(
            "transport {transport} B, send {send} B, users().get {get} B, users().create {create} B, teams().create {team} B"
        );
        assert!(transport <= 448, "{transport}");
        assert!(send <= 1088, "{send}");
        assert!(get <= 1024, "{get}");
        assert!(create <= 1024, "{create}");
        assert!(team <= 1024, "{team}");
    }
}
