//! The request description every call builds (with its rate-limit
//! [`Domain`]), and the response it gets.
//!
//! Resource modules never build HTTP requests by hand: they describe the call
//! with an [`ApiRequest`] and hand it to [`Client::send`](crate::Client::send).
//! The same type is the escape hatch for endpoints this crate does not wrap:
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::{ApiRequest, Domain};
//! let resp = client
//!     .send(ApiRequest::get(Domain::Configuration).path("v2/heartbeats"))
//!     .await?;
//! let body: serde_json::Value = resp.json()?;
//! # Ok(()) }
//! ```

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids;

/// An Opsgenie request domain (a separate rate-limit budget).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Domain {
    /// User, team, role, contact, schedule and escalation management.
    Configuration,
    /// List/search calls such as List Users.
    Search,
    /// Alert API.
    Alert,
    /// Incident API.
    Incident,
    /// Integration API.
    Integration,
    /// Heartbeat API.
    Heartbeat,
    /// Who-is-on-call calls.
    ScheduleOncalls,
    /// Email integration.
    Email,
    /// Integration action configuration.
    IntegrationConfiguration,
    /// The Atlassian SCIM directory API (its own, separate limit).
    Scim,
    /// The Atlassian Admin (organizations) API, `api.atlassian.com/admin`
    /// (limits unpublished: learned from 429s).
    AtlassianAdmin,
    /// The Atlassian Teams public API (limits unpublished).
    AtlassianTeams,
    /// The Jira Service Management Operations REST API (limits unpublished).
    JsmOps,
}

impl Domain {
    /// Every domain.
    pub const ALL: [Domain; 13] = [
        Domain::Configuration,
        Domain::Search,
        Domain::Alert,
        Domain::Incident,
        Domain::Integration,
        Domain::Heartbeat,
        Domain::ScheduleOncalls,
        Domain::Email,
        Domain::IntegrationConfiguration,
        Domain::Scim,
        Domain::AtlassianAdmin,
        Domain::AtlassianTeams,
        Domain::JsmOps,
    ];

    /// Its position in [`Domain::ALL`] (the declaration order), for tables
    /// indexed by domain.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The name Opsgenie uses in `X-RateLimit-Reason` (e.g. `Configuration`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Domain::Configuration => "Configuration",
            Domain::Search => "Search",
            Domain::Alert => "Alert",
            Domain::Incident => "Incident",
            Domain::Integration => "Integration",
            Domain::Heartbeat => "Heartbeat",
            Domain::ScheduleOncalls => "Schedule-oncalls",
            Domain::Email => "Email",
            Domain::IntegrationConfiguration => "Integration Configuration",
            Domain::Scim => "Scim",
            Domain::AtlassianAdmin => "Atlassian Admin",
            Domain::AtlassianTeams => "Atlassian Teams",
            Domain::JsmOps => "JSM Ops",
        }
    }

    /// Parses a domain name as sent in headers or by `GET /v2/request-limits/`
    /// (case, `-`, `_` and spaces are ignored).
    pub fn parse(s: &str) -> Option<Domain> {
        let norm: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Domain::ALL.into_iter().find(|d| {
            let n: String = d
                .as_str()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            n == norm
        })
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One API call, before it is sent.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Bytes>,
    pub(crate) content_type: Option<&'static str>,
    pub(crate) accept: Option<&'static str>,
    pub(crate) domain: Domain,
    pub(crate) idempotent: bool,
    pub(crate) invalid: Option<String>,
}

impl ApiRequest {
    /// A request with `method` in rate-limit `domain`. GET, HEAD, PUT and
    /// DELETE count as idempotent (retried on 5xx and timeouts); POST and
    /// PATCH do not unless [`idempotent`](Self::idempotent) says so.
    pub fn new(method: Method, domain: Domain) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        ApiRequest {
            method,
            // Room for most paths (`/v2/users/{id}/contacts/{id}`): built
            // piece by piece, it would otherwise grow two or three times.
            path: String::with_capacity(64),
            query: Vec::new(),
            body: None,
            content_type: None,
            accept: None,
            domain,
            idempotent,
            invalid: None,
        }
    }

    /// A GET.
    pub fn get(domain: Domain) -> Self {
        Self::new(Method::GET, domain)
    }
    /// A POST.
    pub fn post(domain: Domain) -> Self {
        Self::new(Method::POST, domain)
    }
    /// A PATCH.
    pub fn patch(domain: Domain) -> Self {
        Self::new(Method::PATCH, domain)
    }
    /// A PUT.
    pub fn put(domain: Domain) -> Self {
        Self::new(Method::PUT, domain)
    }
    /// A DELETE.
    pub fn delete(domain: Domain) -> Self {
        Self::new(Method::DELETE, domain)
    }

    /// Appends literal path segments, e.g. `"v2/users"`. Not encoded: pass
    /// only fixed strings here and user input through [`segment`](Self::segment).
    /// A trailing `/` is kept (`"v2/request-limits/"`).
    pub fn path(mut self, literal: &str) -> Self {
        if self.path.ends_with('/') {
            self.path.pop();
        }
        for part in literal.split('/').filter(|p| !p.is_empty()) {
            self.path.push('/');
            self.path.push_str(part);
        }
        if literal.ends_with('/') {
            self.path.push('/');
        }
        self
    }

    /// Appends one identifier as a single percent-encoded segment. An invalid
    /// identifier (empty, control characters, `..`) makes the request fail
    /// with [`Error::InvalidInput`] before anything is sent.
    pub fn segment(mut self, kind: &str, value: &str) -> Self {
        if let Err(e) = ids::validate(kind, value) {
            self.invalid.get_or_insert(e.to_string());
        }
        if !self.path.ends_with('/') {
            self.path.push('/');
        }
        self.path.push_str(&ids::encode_segment(value));
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<V: ToString>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sets a JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.json_as(body, "application/json")
    }

    /// Sets a JSON body with another content type (SCIM uses `application/scim+json`).
    pub fn json_as<T: Serialize + ?Sized>(mut self, body: &T, content_type: &'static str) -> Self {
        match serde_json::to_vec(body) {
            Ok(v) => {
                self.body = Some(Bytes::from(v));
                self.content_type = Some(content_type);
            }
            Err(e) => {
                self.invalid
                    .get_or_insert(format!("request body does not serialize: {e}"));
            }
        }
        self
    }

    /// Sets the `Accept` header (default `application/json`).
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.accept = Some(media_type);
        self
    }

    /// Marks the call as safe (or unsafe) to repeat after a 5xx or timeout.
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Refuses the request with `reason` (validation done by the caller).
    pub(crate) fn invalid(mut self, reason: impl Into<String>) -> Self {
        self.invalid.get_or_insert(reason.into());
        self
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The encoded path, starting with `/`.
    pub fn path_str(&self) -> &str {
        &self.path
    }
    /// The query parameters, in order.
    pub fn query_pairs(&self) -> &[(String, String)] {
        &self.query
    }
    /// The rate-limit domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }
    /// Whether the call may be repeated after a 5xx or timeout.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
    /// The body, if any.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }
}

/// A response with a success status, or any final response from
/// [`Client::execute`](crate::Client::execute). It remembers the method of
/// the request it answers (a refused DELETE maps to
/// [`Error::DeleteBlocked`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiResponse {
    pub(crate) method: Method,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) attempts: u32,
    pub(crate) earlier_may_have_acted: bool,
}

impl ApiResponse {
    /// A response to a `method` request, answered at the first attempt
    /// (for tests and custom transports; the client builds its own).
    pub fn new(method: Method, status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        ApiResponse {
            method,
            status,
            headers,
            body,
            attempts: 1,
            earlier_may_have_acted: false,
        }
    }

    /// Sets how many attempts the call took.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The method of the request this answers.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The whole body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// How many attempts the call took (1 when not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// True when an attempt before this answer may have been acted on by
    /// the server (see [`Outcome::may_have_acted`](crate::retry::Outcome::may_have_acted)):
    /// a 5xx, a timeout or a broken connection, not a throttle. A 404 to a
    /// retried DELETE means "done" only then.
    pub fn earlier_attempt_may_have_acted(&self) -> bool {
        self.earlier_may_have_acted
    }

    /// Marks that an earlier attempt may have been acted on.
    pub fn with_earlier_attempt_may_have_acted(mut self, yes: bool) -> Self {
        self.earlier_may_have_acted = yes;
        self
    }

    /// Decodes the body as JSON; a mismatch becomes [`Error::Decode`] with the
    /// serde path of the offending field and the start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        // Plain serde_json first: tracking the path costs time on every
        // field. Only a body that fails is decoded again, for the path.
        if let Ok(v) = serde_json::from_slice(&self.body) {
            return Ok(v);
        }
        let de = &mut serde_json::Deserializer::from_slice(&self.body);
        serde_path_to_error::deserialize(de).map_err(|e| Error::decode(self.status, &self.body, e))
    }

    /// Decodes `{"data": ...}`, the envelope of most Opsgenie answers.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T> {
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            data: T,
        }
        self.json::<Envelope<T>>().map(|e| e.data)
    }

    /// `Ok(self)` for a success status; otherwise the matching [`Error`]
    /// variant, by the one mapping every call uses (REST and SCIM): 401
    /// [`Unauthorized`](Error::Unauthorized), 403 [`Forbidden`](Error::Forbidden),
    /// 404 [`NotFound`](Error::NotFound), 429 [`RateLimited`](Error::RateLimited)
    /// (with the number of attempts made), a DELETE refused because the
    /// resource is in use [`DeleteBlocked`](Error::DeleteBlocked), 409
    /// [`Conflict`](Error::Conflict), anything else [`Api`](Error::Api).
    ///
    /// ```
    /// use bytes::Bytes;
    /// use http::{HeaderMap, Method, StatusCode};
    /// use opsgenie_users::{ApiResponse, Error};
    /// let resp = ApiResponse::new(
    ///     Method::GET,
    ///     StatusCode::NOT_FOUND,
    ///     HeaderMap::new(),
    ///     Bytes::from_static(br#"{"message":"User not found"}"#),
    /// );
    /// assert!(matches!(resp.error_for_status(), Err(Error::NotFound(_))));
    /// let blocked = ApiResponse::new(
    ///     Method::DELETE,
    ///     StatusCode::UNPROCESSABLE_ENTITY,
    ///     HeaderMap::new(),
    ///     Bytes::from_static(br#"{"message":"User is used in schedule [ops]"}"#),
    /// );
    /// assert!(matches!(blocked.error_for_status(), Err(Error::DeleteBlocked(_))));
    /// ```
    pub fn error_for_status(self) -> Result<Self> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Error::from_response(&self))
        }
    }

    /// The `requestId` of the answer, from the body or the `X-Request-Id` header.
    pub fn request_id(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct R {
            #[serde(rename = "requestId")]
            request_id: Option<String>,
        }
        serde_json::from_slice::<R>(&self.body)
            .ok()
            .and_then(|r| r.request_id)
            .or_else(|| {
                self.headers
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_segments() {
        let r = ApiRequest::get(Domain::Configuration)
            .path("v2/users")
            .segment("username", "a+b@x.com")
            .path("teams");
        assert_eq!(r.path_str(), "/v2/users/a%2Bb@x.com/teams");
        assert!(r.invalid.is_none());
        let bad = ApiRequest::get(Domain::Configuration)
            .path("v2/users")
            .segment("username", "");
        assert!(bad.invalid.unwrap().contains("username"));
        let slash = ApiRequest::get(Domain::Configuration).path("v2/request-limits/");
        assert_eq!(slash.path_str(), "/v2/request-limits/");
        let joined = ApiRequest::get(Domain::Configuration)
            .path("v2/users/")
            .segment("id", "u1")
            .path("/teams");
        assert_eq!(joined.path_str(), "/v2/users/u1/teams");
    }

    #[test]
    fn domain_names_parse_in_any_spelling() {
        assert_eq!(Domain::parse("configuration"), Some(Domain::Configuration));
        assert_eq!(
            Domain::parse("Schedule-oncalls"),
            Some(Domain::ScheduleOncalls)
        );
        assert_eq!(
            Domain::parse("integration_configuration"),
            Some(Domain::IntegrationConfiguration)
        );
        assert_eq!(Domain::parse("nope"), None);
        for (i, d) in Domain::ALL.into_iter().enumerate() {
            assert_eq!(Domain::parse(d.as_str()), Some(d));
            assert_eq!(d.index(), i);
        }
    }

    #[test]
    fn idempotency_defaults_follow_the_method() {
        assert!(ApiRequest::get(Domain::Search).is_idempotent());
        assert!(ApiRequest::delete(Domain::Search).is_idempotent());
        assert!(!ApiRequest::post(Domain::Search).is_idempotent());
        assert!(!ApiRequest::patch(Domain::Search).is_idempotent());
        assert!(ApiRequest::patch(Domain::Search)
            .idempotent(true)
            .is_idempotent());
    }

    #[test]
    fn decode_errors_name_the_path() {
        let resp = ApiResponse::new(
            Method::GET,
            StatusCode::OK,
            HeaderMap::new(),
            Bytes::from_static(br#"{"data":{"n":"x"}}"#),
        );
        #[derive(Debug, serde::Deserialize)]
        struct D {
            #[allow(dead_code)]
            n: u32,
        }
        match resp.data::<D>() {
            Err(Error::Decode { path, status, .. }) => {
                assert_eq!(path, "data.n");
                assert_eq!(status, StatusCode::OK);
            }
            other => panic!("{other:?}"),
        }
    }
}
