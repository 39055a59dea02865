//! The request description every call builds, and the response it gets.
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

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ids;
use crate::ratelimit::Domain;

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
            path: String::new(),
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
    pub fn invalid(mut self, reason: impl Into<String>) -> Self {
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
/// [`Client::execute`](crate::Client::execute).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// How many attempts the call took (1 when not retried).
    pub attempts: u32,
}

impl ApiResponse {
    /// Decodes the body as JSON; a mismatch becomes [`Error::Decode`] with the
    /// serde path of the offending field and the start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
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
    /// variant (a 429 carries the number of attempts made).
    ///
    /// ```
    /// # use opsgenie_users::ApiResponse;
    /// let resp = ApiResponse {
    ///     status: http::StatusCode::NOT_FOUND,
    ///     headers: http::HeaderMap::new(),
    ///     body: bytes::Bytes::from_static(br#"{"message":"User not found"}"#),
    ///     attempts: 1,
    /// };
    /// assert!(matches!(resp.error_for_status(), Err(opsgenie_users::Error::NotFound(_))));
    /// ```
    pub fn error_for_status(self) -> Result<Self> {
        if self.status.is_success() {
            return Ok(self);
        }
        Err(
            match Error::from_response(self.status, &self.headers, &self.body) {
                Error::RateLimited { error, .. } => Error::RateLimited {
                    error,
                    attempts: self.attempts,
                },
                e => e,
            },
        )
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
        let resp = ApiResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(br#"{"data":{"n":"x"}}"#),
            attempts: 1,
        };
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
