//! The crate's error type.
//!
//! Every failure keeps what the server said: status, `requestId`, message,
//! field errors, rate-limit headers and (a bounded snippet of) the raw body.
//! Non-JSON error bodies, such as an HTML 503 page from the CDN in front of
//! the API, still become a typed error carrying the status.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderName, Method, StatusCode};
use serde_json::Value;

use crate::request::ApiResponse;
use crate::transport::TransportError;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many bytes of a body are kept in errors.
pub(crate) const SNIPPET_LIMIT: usize = 2048;

/// How many bytes of a short text from the body (`requestId`, `scimType`,
/// SCIM `status`, a serde path, a field error's name or reason) an error keeps.
pub(crate) const FIELD_LIMIT: usize = 256;

/// How many field errors (`errors: {field: reason}`) an error keeps.
pub(crate) const MAX_FIELD_ERRORS: usize = 20;

/// The `schemas` value of a SCIM error body (RFC 7644 §3.12).
const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Rate-limit headers of a response: the `X-RateLimit-*` headers Opsgenie
/// sends on every response, and `Retry-After` (RFC 9110 §10.2.3), which
/// Atlassian's APIs send with 429 and 503 answers (Opsgenie documents none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RateLimitInfo {
    /// `X-RateLimit-State`: `OK` or `THROTTLED`.
    pub state: Option<String>,
    /// `X-RateLimit-Reason`: the request domain that tripped (e.g. `Configuration`).
    pub reason: Option<String>,
    /// `X-RateLimit-Period-In-Sec`: which window tripped, `60` or `1`.
    pub period_secs: Option<u64>,
    /// `Retry-After`: how long the server asked the client to wait before
    /// trying again. Either form is read: a number of seconds, or an HTTP
    /// date, taken relative to the response's own `Date` header (the
    /// server's clock) or, without one, to this machine's clock; a date in
    /// the past is a zero wait. An unreadable value is ignored.
    pub retry_after: Option<Duration>,
}

impl RateLimitInfo {
    /// Reads the `X-RateLimit-*` and `Retry-After` headers; `None` when none is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        // Names made once, not parsed from text at every response.
        const STATE: HeaderName = HeaderName::from_static("x-ratelimit-state");
        const REASON: HeaderName = HeaderName::from_static("x-ratelimit-reason");
        const PERIOD: HeaderName = HeaderName::from_static("x-ratelimit-period-in-sec");
        const RETRY_AFTER: HeaderName = http::header::RETRY_AFTER;
        const DATE: HeaderName = http::header::DATE;
        // One pass over the (few) headers rather than a hashed lookup per
        // name: most answers carry none but the state.
        let (mut state, mut reason, mut period, mut retry_after, mut date) =
            (None, None, None, None, None);
        for (name, value) in headers {
            let slot = if *name == STATE {
                &mut state
            } else if *name == REASON {
                &mut reason
            } else if *name == PERIOD {
                &mut period
            } else if *name == RETRY_AFTER {
                &mut retry_after
            } else if *name == DATE {
                &mut date
            } else {
                continue;
            };
            // The first value of a name, as `HeaderMap::get` gives it.
            if slot.is_none() {
                *slot = Some(value.to_str().ok().map(str::trim));
            }
        }
        let info = RateLimitInfo {
            state: state.flatten().map(str::to_string),
            reason: reason.flatten().map(str::to_string),
            period_secs: period.flatten().and_then(|s| s.parse().ok()),
            retry_after: retry_after
                .flatten()
                .and_then(|v| parse_retry_after(v, date.flatten())),
        };
        if info == RateLimitInfo::default() {
            None
        } else {
            Some(info)
        }
    }

    /// True when the server said `X-RateLimit-State: THROTTLED`.
    pub fn is_throttled(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("THROTTLED"))
    }
}

/// The longest `Retry-After` read (a day): a larger number of seconds is
/// taken as this much, which no retry policy waits for anyway.
const RETRY_AFTER_CEILING: Duration = Duration::from_secs(24 * 3600);

/// Reads a `Retry-After` value (RFC 9110 §10.2.3): `delay-seconds` or an
/// HTTP date. A date is measured from `date` (the response's `Date` header)
/// when that parses, else from this machine's clock.
///
/// ```
/// use std::time::Duration;
/// use opsgenie_users::error::parse_retry_after;
/// assert_eq!(parse_retry_after("120", None), Some(Duration::from_secs(120)));
/// assert_eq!(
///     parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", Some("Wed, 21 Oct 2015 07:28:00 GMT")),
///     Some(Duration::from_secs(30))
/// );
/// assert_eq!(parse_retry_after("soon", None), None);
/// ```
pub fn parse_retry_after(value: &str, date: Option<&str>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only: seconds (a value past u64 is still "a long time").
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_CEILING));
    }
    let at = parse_http_date(value)?;
    let now = date
        .and_then(parse_http_date)
        .unwrap_or_else(jiff::Timestamp::now);
    let wait = at.as_second().saturating_sub(now.as_second());
    Some(Duration::from_secs(wait.max(0) as u64).min(RETRY_AFTER_CEILING))
}

/// An HTTP date in any of the three forms RFC 9110 §5.6.7 asks recipients
/// to accept: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete
/// RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
fn parse_http_date(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(ts) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(s) {
        return Some(ts);
    }
    let utc = |dt: jiff::civil::DateTime| dt.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok();
    for format in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Some(z) = jiff::fmt::strtime::parse(format, s)
            .ok()
            .and_then(|t| t.to_datetime().ok())
            .and_then(utc)
        {
            return Some(z.timestamp());
        }
    }
    None
}

/// What the server answered to a failed call: status, the parsed body (an
/// Opsgenie body or a SCIM error body, whichever came) and every response header.
///
/// Its `Debug` form shows at most 256 characters of the body.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `message` from the JSON body, if the body was Opsgenie JSON (cut to
    /// 2 KiB, like every text an error keeps from the body: a server cannot
    /// make an error message grow with its answer).
    pub message: Option<String>,
    /// `requestId` from the body (or the `X-Request-Id` header); quote it to
    /// Atlassian support. Cut to 256 bytes.
    pub request_id: Option<String>,
    /// Field errors (`errors: {field: reason}`), typically on 422: the first
    /// 20 fields, names and reasons cut to 256 bytes.
    pub errors: BTreeMap<String, String>,
    /// Rate-limit headers of the response (read from [`headers`](Self::headers)).
    pub rate_limit: Option<RateLimitInfo>,
    /// Every header of the response (`X-Request-Id`, `WWW-Authenticate`,
    /// `X-RateLimit-*`, ...). Response headers carry no credential.
    pub headers: HeaderMap,
    /// `Content-Type` of the body.
    pub content_type: Option<String>,
    /// The body, cut to at most 2 KiB (lossy UTF-8).
    pub raw_body: String,
    /// What a SCIM error body said (`scimType`, `detail`, `status`), when the
    /// body was one (answers of the [SCIM client](crate::scim::ScimClient)).
    /// For those, `message` holds the SCIM `detail` (or Atlassian's `error`)
    /// and `request_id` Atlassian's `traceId`.
    pub scim: Option<ScimErrorDetail>,
}

/// How many characters of the body `Debug` shows.
const DEBUG_BODY_CHARS: usize = 256;

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body: String = self.raw_body.chars().take(DEBUG_BODY_CHARS).collect();
        let body = if body.len() < self.raw_body.len() {
            format!("{body}… ({} bytes kept)", self.raw_body.len())
        } else {
            body
        };
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("request_id", &self.request_id)
            .field("errors", &self.errors)
            .field("rate_limit", &self.rate_limit)
            .field("scim", &self.scim)
            .field("content_type", &self.content_type)
            .field("headers", &self.headers)
            .field("raw_body", &body)
            .finish()
    }
}

/// The SCIM part of an error answer (`urn:ietf:params:scim:api:messages:2.0:Error`,
/// RFC 7644 §3.12), or of Atlassian's non-SCIM `{"error", "traceId"}` bodies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ScimErrorDetail {
    /// `scimType`, e.g. `uniqueness`, `invalidFilter`, `mutability`.
    pub scim_type: Option<ScimType>,
    /// `detail`: the human-readable explanation.
    pub detail: Option<String>,
    /// `status` as the body gave it (RFC 7644 says a string; some servers send a number).
    pub status: Option<String>,
}

/// The `scimType` of a SCIM error (RFC 7644 §3.12, Table 9).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax was invalid or the filter is not supported.
    InvalidFilter,
    /// The filter matches more results than the server will return.
    TooMany,
    /// A unique attribute value (`userName`, `externalId`, ...) is already in use.
    Uniqueness,
    /// An attempt to modify an immutable or read-only attribute.
    Mutability,
    /// The body's structure was invalid or did not match the schema.
    InvalidSyntax,
    /// The PATCH `path` was invalid.
    InvalidPath,
    /// The PATCH `path` filter matched nothing.
    NoTarget,
    /// A required value was missing or a value was invalid.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// The request carried information the server will not accept there.
    Sensitive,
    /// A value this crate does not know.
    Other(String),
}

impl ScimType {
    /// Parses a `scimType` value (exact spelling from RFC 7644; unknown values are kept).
    pub fn parse(s: &str) -> ScimType {
        match s {
            "invalidFilter" => ScimType::InvalidFilter,
            "tooMany" => ScimType::TooMany,
            "uniqueness" => ScimType::Uniqueness,
            "mutability" => ScimType::Mutability,
            "invalidSyntax" => ScimType::InvalidSyntax,
            "invalidPath" => ScimType::InvalidPath,
            "noTarget" => ScimType::NoTarget,
            "invalidValue" => ScimType::InvalidValue,
            "invalidVers" => ScimType::InvalidVers,
            "sensitive" => ScimType::Sensitive,
            other => ScimType::Other(other.to_string()),
        }
    }

    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::Other(s) => s,
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ApiError {
    /// Builds the error from a response. Never fails: a body that is neither
    /// Opsgenie JSON nor a SCIM error (HTML, empty, truncated) just leaves
    /// `message` empty.
    ///
    /// Both body shapes are read: Opsgenie's `{"message", "requestId",
    /// "errors"}` and the SCIM error schema (`status` as string or number,
    /// `scimType`, `detail`) or Atlassian's `{"error", "traceId"}`.
    ///
    /// ```
    /// use http::{HeaderMap, StatusCode};
    /// use opsgenie_users::ApiError;
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-request-id", "r-7".parse().unwrap());
    /// let e = ApiError::from_parts(StatusCode::BAD_REQUEST, &headers, br#"{"message":"bad"}"#);
    /// assert_eq!(e.message.as_deref(), Some("bad"));
    /// assert_eq!(e.request_id.as_deref(), Some("r-7"));
    /// assert_eq!(e.header("X-Request-Id"), Some("r-7"));
    /// ```
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| parsed.as_ref().and_then(|v| v.get(name));
        // Every text taken from the body is cut (`limit` bytes), so a server
        // cannot make an error, its `Display` or a log line grow with its answer.
        let text_of = |v: &Value, limit: usize| match v {
            Value::String(s) => Some(cut(s, limit)),
            Value::Null => None,
            other => Some(cut(&other.to_string(), limit)),
        };
        let text = |name: &str, limit: usize| field(name).and_then(|v| text_of(v, limit));
        let header_request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(|s| cut(s, FIELD_LIMIT));
        let errors = match field("errors") {
            Some(Value::Object(map)) => map
                .iter()
                .take(MAX_FIELD_ERRORS)
                .map(|(k, v)| {
                    (
                        cut(k, FIELD_LIMIT),
                        text_of(v, FIELD_LIMIT).unwrap_or_else(|| "null".into()),
                    )
                })
                .collect(),
            // Atlassian's APIs answer `{"errors": [{"code", "title", "detail"}]}`.
            Some(Value::Array(items)) => array_errors(items),
            _ => BTreeMap::new(),
        };
        let is_scim_error = field("schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(SCIM_ERROR_SCHEMA)))
            || ["scimType", "detail", "error", "traceId"]
                .iter()
                .any(|k| field(k).is_some());
        let detail = text("detail", SNIPPET_LIMIT);
        let message = detail
            .clone()
            .or_else(|| text("error", SNIPPET_LIMIT))
            .or_else(|| text("message", SNIPPET_LIMIT))
            .or_else(|| first_array_error(field("errors")).map(|m| cut(&m, SNIPPET_LIMIT)));
        let scim = is_scim_error.then(|| ScimErrorDetail {
            scim_type: text("scimType", FIELD_LIMIT)
                .as_deref()
                .map(ScimType::parse),
            detail,
            status: text("status", FIELD_LIMIT),
        });
        ApiError {
            status,
            message,
            request_id: text("traceId", FIELD_LIMIT)
                .or_else(|| text("requestId", FIELD_LIMIT))
                .or(header_request_id),
            errors,
            rate_limit: RateLimitInfo::from_headers(headers),
            headers: headers.clone(),
            content_type: headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            raw_body: snippet(body),
            scim,
        }
    }

    /// A response header as text, when present and visible ASCII
    /// (the name is case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// True when the body was not JSON (e.g. an HTML error page from the CDN).
    pub fn is_non_json(&self) -> bool {
        !self
            .content_type
            .as_deref()
            .is_some_and(|c| c.contains("json"))
            && serde_json::from_str::<serde_json::Value>(&self.raw_body).is_err()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        match &self.message {
            Some(m) => write!(f, ": {m}")?,
            None if !self.raw_body.is_empty() => {
                let first: String = self.raw_body.chars().take(120).collect();
                write!(f, ": non-JSON body: {}", first.replace('\n', " "))?
            }
            None => {}
        }
        if let Some(t) = self.scim.as_ref().and_then(|s| s.scim_type.as_ref()) {
            write!(f, " (scimType {t})")?;
        }
        for (k, v) in &self.errors {
            write!(f, "; {k}: {v}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (requestId {id})")?;
        }
        Ok(())
    }
}

/// The text of one object of an `errors` array: its `detail`, `title` or
/// `message`, or the object itself.
fn array_error_text(v: &Value) -> String {
    ["detail", "title", "message"]
        .iter()
        .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| v.to_string())
}

/// The objects of `errors: [...]` as field errors, keyed by each one's
/// `code` (or its position); other elements are ignored. At most 20 are
/// kept, codes and texts cut to 256 bytes.
fn array_errors(items: &[Value]) -> BTreeMap<String, String> {
    items
        .iter()
        .take(MAX_FIELD_ERRORS)
        .enumerate()
        .filter(|(_, v)| v.is_object())
        .map(|(i, v)| {
            let key = v
                .get("code")
                .and_then(|c| match c {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| format!("errors[{i}]"));
            (
                cut(&key, FIELD_LIMIT),
                cut(&array_error_text(v), FIELD_LIMIT),
            )
        })
        .collect()
}

fn first_array_error(errors: Option<&Value>) -> Option<String> {
    errors
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|v| v.is_object()))
        .map(array_error_text)
}

/// Cuts a body to [`SNIPPET_LIMIT`] bytes at a character boundary.
pub(crate) fn snippet(body: &[u8]) -> String {
    cut(&String::from_utf8_lossy(body), SNIPPET_LIMIT)
}

/// `text` cut to at most `limit` bytes at a character boundary, with `…`
/// when something was cut.
pub(crate) fn cut(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Displays typed steps or blockers as one `; `-separated line.
fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a refused DELETE was refused because the resource is still in
/// use: always for 422 and 428 (Opsgenie's answers for that), and for any
/// other 4xx whose message or field errors say so.
fn is_blocked_delete(e: &ApiError) -> bool {
    match e.status.as_u16() {
        422 | 428 => true,
        400..=499 => {
            let text = e
                .message
                .iter()
                .chain(e.errors.keys())
                .chain(e.errors.values())
                .map(|t| t.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            [
                "in use",
                "is used",
                "used by",
                "used in",
                "referenced",
                "only owner",
                "sole owner",
                "last owner",
                "is assigned",
                "cannot be deleted",
                "can not be deleted",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        }
        _ => false,
    }
}

/// Everything that can go wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the key is missing, wrong, revoked, or for another region
    /// (EU accounts must use [`Region::Eu`](crate::Region::Eu)); for the SCIM
    /// client, the bearer token is wrong or expired (Atlassian tokens expire after a year).
    #[error("unauthorized (check the API key and region, or the SCIM bearer token): {0}")]
    Unauthorized(Box<ApiError>),
    /// 403: the key lacks a right. User, team and role calls need a key with
    /// **Configuration Access** (Settings > API key management).
    #[error("forbidden (the API key needs Configuration Access and the matching Read/Create-Update/Delete right): {0}")]
    Forbidden(Box<ApiError>),
    /// 404: no such user, team, role or contact.
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// 409 from the REST API or a SCIM server: a unique value is already
    /// taken (a team name; a SCIM `userName`, `externalId` or group
    /// `displayName`). From a SCIM server, [`Error::scim_type`] is usually
    /// [`ScimType::Uniqueness`].
    #[error("conflict: a unique value is already in use: {0}")]
    Conflict(Box<ApiError>),
    /// 429 after the retry policy gave up.
    #[error("rate limited{}: {error}", .error.rate_limit.as_ref().and_then(|r| r.reason.as_deref()).map(|d| format!(" in domain {d}")).unwrap_or_default())]
    RateLimited {
        /// The last 429 answer.
        error: Box<ApiError>,
        /// How many attempts were made.
        attempts: u32,
    },
    /// Any other non-success status (400, 415, 422, 5xx, ...).
    #[error("API error: {0}")]
    Api(Box<ApiError>),
    /// The connection failed (DNS, TLS, refused, reset) or the transport failed.
    #[error("transport error: {0}")]
    Transport(#[from] TransportError),
    /// No complete answer (headers and whole body) within the per-attempt
    /// timeout ([`ClientBuilder::request_timeout`](crate::ClientBuilder::request_timeout)).
    /// The request may have reached the server.
    #[error("{request} timed out after {after:?}")]
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
        /// The method and URL of the request, without query string
        /// (e.g. `GET https://api.opsgenie.com/v2/users`).
        request: String,
    },
    /// The call's overall deadline passed
    /// ([`ClientBuilder::deadline`](crate::ClientBuilder::deadline)): it covers
    /// every attempt, the backoff between them and the wait for a rate-limit
    /// slot. Whether a write was applied is told by `may_have_reached_server`.
    #[error("{request} exceeded its {after:?} deadline after {attempts} attempt(s){}",
        if *.may_have_reached_server { "; the request may have reached the server" } else { "; the request never reached the server" })]
    DeadlineExceeded {
        /// The deadline that passed.
        after: Duration,
        /// The method and URL of the request, without query string.
        request: String,
        /// Attempts started (0: the call was still waiting for a rate-limit slot).
        attempts: u32,
        /// False only when no attempt may have reached the server (none was
        /// sent, or each failed before sending or was throttled).
        may_have_reached_server: bool,
    },
    /// The response body was longer than the client's cap
    /// ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size),
    /// default 16 MiB); reading stopped at the cap. Not retried. The server
    /// answered, so a write may have been applied.
    #[error("the response body exceeds the {limit}-byte limit ({request})")]
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: u64,
        /// The method and URL of the request, without query string.
        request: String,
    },
    /// A success answer whose body did not decode into the expected type.
    #[error("could not decode the HTTP {status} response at `{path}`: {message}; body starts: {snippet}")]
    Decode {
        /// HTTP status of the response.
        status: StatusCode,
        /// serde path of the failing field (`data[3].role.name`), `.` for the
        /// root; cut to 256 bytes (it may hold keys of the body).
        path: String,
        /// What serde said; cut to 2 KiB (it may quote a value of the body).
        message: String,
        /// The start of the body.
        snippet: String,
    },
    /// A team refused a member (422): Opsgenie answers this, for example,
    /// when the user is a Stakeholder (stakeholders cannot be team members).
    /// The server's message says why; the client does not guess roles.
    #[error("the team refused the member: {0}")]
    MemberRejected(Box<ApiError>),
    /// A DELETE was refused because something still uses what it deletes:
    /// a user in a schedule rotation or an escalation, the only Owner, a role
    /// still assigned. Opsgenie answers 422, or 428 as its docs list for an
    /// entity used by another; any other 4xx to a DELETE whose message says
    /// the resource is in use counts too. Every call maps such an answer
    /// here, REST or SCIM. The server's message names what blocks.
    #[error("delete blocked: {0}")]
    DeleteBlocked(Box<ApiError>),
    /// A multi-step operation was refused before any write because of
    /// blockers the caller did not accept.
    #[error("{operation} refused: {}", join(.blockers))]
    Blocked {
        /// What was refused, e.g. `offboard jane@example.com`.
        operation: String,
        /// What blocks (each displays as one line).
        blockers: Vec<crate::api::offboard::Blocker>,
    },
    /// A multi-step operation stopped half-way: `applied` steps took
    /// effect, `not_applied` did not, `cause` is the failure that stopped it.
    #[error("{operation} stopped after {} of {} steps: {cause}; applied: [{}]; not applied: [{}]",
        .applied.len(), .applied.len() + .not_applied.len(), join(.applied), join(.not_applied))]
    PartiallyApplied {
        /// What was attempted.
        operation: String,
        /// Steps that took effect, in order (offboarding steps carry their outcome).
        applied: Vec<crate::api::Step>,
        /// Steps that did not (the failed one first).
        not_applied: Vec<crate::api::Step>,
        /// The failure.
        cause: Box<Error>,
    },
    /// The call was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A non-idempotent write (e.g. a create) may or may not have been applied:
    /// the answer was lost and the state could not be confirmed. Nothing was resent.
    #[error("outcome unknown for {operation}: {cause}")]
    AmbiguousOutcome {
        /// What was attempted, e.g. `create user jane@example.com`.
        operation: String,
        /// The failure that hid the answer.
        cause: Box<Error>,
    },
}

impl Error {
    /// The server's answer, for every variant that has one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::NotFound(e)
            | Error::Conflict(e)
            | Error::Api(e) => Some(e),
            Error::MemberRejected(e) | Error::DeleteBlocked(e) => Some(e),
            Error::RateLimited { error, .. } => Some(error),
            Error::AmbiguousOutcome { cause, .. } | Error::PartiallyApplied { cause, .. } => {
                cause.api_error()
            }
            _ => None,
        }
    }

    /// The wait the server asked for with `Retry-After`, when it answered
    /// with one (see [`RateLimitInfo::retry_after`]).
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error()
            .and_then(|e| e.rate_limit.as_ref())
            .and_then(|r| r.retry_after)
    }

    /// HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(|e| e.status)
    }

    /// The `requestId` the server gave, when it answered.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.request_id.as_deref())
    }

    /// The server's `message`, when it sent one.
    pub fn message(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.message.as_deref())
    }

    /// The SCIM error body (`scimType`, `detail`, `status`), when a SCIM server answered.
    pub fn scim_detail(&self) -> Option<&ScimErrorDetail> {
        self.api_error().and_then(|e| e.scim.as_ref())
    }

    /// The SCIM `scimType` of the answer, when a SCIM server sent one.
    pub fn scim_type(&self) -> Option<&ScimType> {
        self.scim_detail().and_then(|s| s.scim_type.as_ref())
    }

    /// True if a write that failed this way may still have been applied by
    /// the server (the request may have arrived but the answer was lost).
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::ResponseTooLarge { .. } => true,
            Error::DeadlineExceeded {
                may_have_reached_server,
                ..
            } => *may_have_reached_server,
            Error::Transport(t) => t.may_have_reached_server(),
            Error::Api(e) => e.status.is_server_error(),
            _ => false,
        }
    }

    /// The one mapping from a non-success answer to a variant, for REST and
    /// SCIM alike (the request method decides [`DeleteBlocked`](Error::DeleteBlocked)).
    pub(crate) fn from_response(resp: &ApiResponse) -> Self {
        let e = Box::new(ApiError::from_parts(resp.status, &resp.headers, &resp.body));
        match e.status.as_u16() {
            401 => Error::Unauthorized(e),
            403 => Error::Forbidden(e),
            404 => Error::NotFound(e),
            429 => Error::RateLimited {
                error: e,
                attempts: resp.attempts,
            },
            _ if resp.method == Method::DELETE && is_blocked_delete(&e) => Error::DeleteBlocked(e),
            409 => Error::Conflict(e),
            _ => Error::Api(e),
        }
    }

    pub(crate) fn decode(
        status: StatusCode,
        body: &[u8],
        err: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        // Both may quote the body (a key, a value): cut like every text an
        // error keeps from an answer.
        let path = cut(&err.path().to_string(), FIELD_LIMIT);
        let inner = err.into_inner();
        Error::Decode {
            status,
            path,
            message: cut(&inner.to_string(), SNIPPET_LIMIT),
            snippet: snippet(&body[..body.len().min(256)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn answer(method: Method, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        Error::from_response(&ApiResponse::new(
            method,
            status,
            headers.clone(),
            Bytes::copy_from_slice(body),
        ))
    }

    fn get(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        answer(Method::GET, status, headers, body)
    }

    #[test]
    fn html_503_keeps_status_and_snippet() {
        let mut h = HeaderMap::new();
        h.insert("content-type", "text/html".parse().unwrap());
        let body = b"<html><body><h1>503 Service Unavailable</h1></body></html>";
        let e = get(StatusCode::SERVICE_UNAVAILABLE, &h, body);
        assert_eq!(e.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        let api = e.api_error().unwrap();
        assert!(api.is_non_json());
        assert!(api.message.is_none());
        assert!(api.scim.is_none());
        assert!(e.to_string().contains("503"), "{e}");
        assert!(e.to_string().contains("Service Unavailable"), "{e}");
    }

    #[test]
    fn json_422_with_field_errors() {
        let body = br#"{"message":"Request body is not processable","errors":{"username":"must be email"},"took":0.1,"requestId":"r-1"}"#;
        let e = get(StatusCode::UNPROCESSABLE_ENTITY, &HeaderMap::new(), body);
        let api = e.api_error().unwrap();
        assert_eq!(
            api.errors.get("username").map(String::as_str),
            Some("must be email")
        );
        assert_eq!(e.request_id(), Some("r-1"));
        assert!(matches!(e, Error::Api(_)));
        assert!(api.scim.is_none(), "an Opsgenie body is not a SCIM error");
        assert!(e.to_string().contains("username: must be email"));
    }

    #[test]
    fn atlassian_error_arrays_become_message_and_field_errors() {
        let body = br#"{"errors":[{"id":"e1","status":"404","code":"USER_NOT_FOUND","title":"Not Found","detail":"No user 712020:x"},{"title":"second"}]}"#;
        let e = get(StatusCode::NOT_FOUND, &HeaderMap::new(), body);
        assert!(matches!(e, Error::NotFound(_)));
        assert_eq!(e.message(), Some("No user 712020:x"));
        let api = e.api_error().unwrap();
        assert_eq!(
            api.errors.get("USER_NOT_FOUND").map(String::as_str),
            Some("No user 712020:x")
        );
        assert_eq!(
            api.errors.get("errors[1]").map(String::as_str),
            Some("second")
        );
        let odd = get(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"errors":[1,"x",null]}"#,
        );
        assert_eq!(odd.message(), None);
        assert!(odd.api_error().unwrap().errors.is_empty());
    }

    #[test]
    fn truncated_json_and_huge_bodies_do_not_panic() {
        let e = get(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            br#"{"message":"#,
        );
        assert!(e.message().is_none());
        let big = "é".repeat(10_000);
        let e = get(
            StatusCode::INTERNAL_SERVER_ERROR,
            &HeaderMap::new(),
            big.as_bytes(),
        );
        assert!(e.api_error().unwrap().raw_body.len() <= SNIPPET_LIMIT + 4);
        // Debug shows the start of the body, not all of it.
        let debug = format!("{:?}", e.api_error().unwrap());
        assert!(debug.len() < 1_000, "{} chars", debug.len());
        assert!(debug.contains("bytes kept"), "{debug}");
        // Odd JSON shapes are not an error either.
        let e = get(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"errors":[1,2],"status":{"x":1},"message":7}"#,
        );
        assert_eq!(e.message(), Some("7"));
        assert!(e.api_error().unwrap().errors.is_empty());
    }

    #[test]
    fn texts_from_the_body_are_bounded() {
        // A server cannot make an error (or its Display) grow with its answer.
        let huge = "é".repeat(5_000);
        let errors: serde_json::Map<String, Value> = (0..100)
            .map(|i| (format!("{i}{huge}"), Value::String(huge.clone())))
            .collect();
        let body = serde_json::json!({
            "message": huge, "requestId": [huge], "errors": errors,
            "scimType": huge, "status": huge,
        });
        let e = get(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body.to_string().as_bytes(),
        );
        let api = e.api_error().unwrap();
        assert!(api.message.as_ref().unwrap().len() <= SNIPPET_LIMIT + 3);
        assert!(api.request_id.as_ref().unwrap().len() <= FIELD_LIMIT + 3);
        assert_eq!(api.errors.len(), MAX_FIELD_ERRORS);
        assert!(api
            .errors
            .iter()
            .all(|(k, v)| k.len() <= FIELD_LIMIT + 3 && v.len() <= FIELD_LIMIT + 3));
        let scim = api.scim.as_ref().unwrap();
        assert!(scim.status.as_ref().unwrap().len() <= FIELD_LIMIT + 3);
        assert!(scim.scim_type.as_ref().unwrap().as_str().len() <= FIELD_LIMIT + 3);
        assert!(e.to_string().len() < 16 * 1024, "{}", e.to_string().len());
        assert!(format!("{e:?}").len() < 32 * 1024);

        // Decode errors quote the body: cut too.
        let resp = ApiResponse::new(
            Method::GET,
            StatusCode::OK,
            HeaderMap::new(),
            Bytes::from(format!(r#"{{"data":{{"{huge}":{{"n":"{huge}"}}}}}}"#)),
        );
        #[derive(Debug, serde::Deserialize)]
        struct D {
            #[allow(dead_code)]
            n: u32,
        }
        let e = resp
            .data::<std::collections::HashMap<String, D>>()
            .unwrap_err();
        let Error::Decode { path, message, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(path.len() <= FIELD_LIMIT + 3, "{}", path.len());
        assert!(message.len() <= SNIPPET_LIMIT + 3, "{}", message.len());
        assert!(e.to_string().len() < 8 * 1024);
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-State", "THROTTLED".parse().unwrap());
        h.insert("X-RateLimit-Reason", "Configuration".parse().unwrap());
        h.insert("X-RateLimit-Period-In-Sec", "60".parse().unwrap());
        let e = get(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        let rl = e.api_error().unwrap().rate_limit.clone().unwrap();
        assert!(rl.is_throttled());
        assert_eq!(rl.period_secs, Some(60));
        assert!(e.to_string().contains("domain Configuration"), "{e}");
    }

    #[test]
    fn retry_after_in_seconds_and_http_dates() {
        let secs = |v: &str, d: Option<&str>| parse_retry_after(v, d).map(|d| d.as_secs());
        assert_eq!(secs("0", None), Some(0));
        assert_eq!(secs(" 7 ", None), Some(7));
        assert_eq!(secs("99999999999999999999999", None), Some(24 * 3600));
        let date = Some("Sun, 06 Nov 1994 08:49:37 GMT");
        // The three forms RFC 9110 asks a recipient to read.
        assert_eq!(secs("Sun, 06 Nov 1994 08:50:37 GMT", date), Some(60));
        assert_eq!(secs("Sunday, 06-Nov-94 08:49:47 GMT", date), Some(10));
        assert_eq!(secs("Sun Nov  6 08:49:42 1994", date), Some(5));
        // A date in the past is no wait; junk is no value.
        assert_eq!(secs("Sun, 06 Nov 1994 08:00:00 GMT", date), Some(0));
        for junk in ["", "-1", "1.5", "soon", "Sun, 99 Nov 1994 08:00:00 GMT"] {
            assert_eq!(secs(junk, date), None, "{junk:?}");
        }
        // Without a Date header, against this machine's clock: a date a
        // minute ahead of now is about a minute away.
        let ahead = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60);
        let text = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&ahead)
            .unwrap();
        let w = secs(&text, None).unwrap();
        assert!((55..=60).contains(&w), "{w}");
    }

    #[test]
    fn retry_after_is_kept_with_the_error() {
        let mut h = HeaderMap::new();
        h.insert("Retry-After", "12".parse().unwrap());
        let e = get(StatusCode::TOO_MANY_REQUESTS, &h, b"");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
        let rl = e.api_error().unwrap().rate_limit.clone().unwrap();
        assert_eq!(rl.state, None);
        assert!(!rl.is_throttled());
        // No header, no value; an unreadable one is as good as none.
        assert_eq!(
            get(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b"").retry_after(),
            None
        );
        h.insert("Retry-After", "later".parse().unwrap());
        let e = get(StatusCode::SERVICE_UNAVAILABLE, &h, b"");
        assert!(e.api_error().unwrap().rate_limit.is_none());
    }

    #[test]
    fn every_response_header_is_kept() {
        let mut h = HeaderMap::new();
        h.insert("WWW-Authenticate", "Bearer realm=\"scim\"".parse().unwrap());
        h.insert("X-Request-Id", "r-42".parse().unwrap());
        h.insert("X-Custom", "kept".parse().unwrap());
        let e = get(StatusCode::UNAUTHORIZED, &h, b"");
        let api = e.api_error().unwrap();
        assert_eq!(
            api.header("www-authenticate"),
            Some("Bearer realm=\"scim\"")
        );
        assert_eq!(api.header("x-custom"), Some("kept"));
        assert_eq!(api.headers.len(), 3);
        assert_eq!(e.request_id(), Some("r-42"));
    }

    #[test]
    fn scim_error_bodies_are_typed() {
        let h = HeaderMap::new();
        let e = get(
            StatusCode::CONFLICT,
            &h,
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"taken"}"#,
        );
        assert!(matches!(e, Error::Conflict(_)), "{e:?}");
        assert_eq!(e.scim_type(), Some(&ScimType::Uniqueness));
        assert_eq!(e.message(), Some("taken"));
        assert!(e.to_string().contains("scimType uniqueness"), "{e}");

        let e = get(
            StatusCode::BAD_REQUEST,
            &h,
            br#"{"status":400,"scimType":"invalidFilter","detail":"bad"}"#,
        );
        assert!(matches!(e, Error::Api(_)));
        let scim = e.scim_detail().unwrap();
        assert_eq!(scim.status.as_deref(), Some("400"));
        assert_eq!(scim.scim_type, Some(ScimType::InvalidFilter));

        let e = get(
            StatusCode::UNAUTHORIZED,
            &h,
            br#"{"error":"Unauthorized","traceId":"t-9"}"#,
        );
        assert!(matches!(e, Error::Unauthorized(_)));
        assert_eq!(e.request_id(), Some("t-9"));
        assert_eq!(e.message(), Some("Unauthorized"));
        assert!(e.scim_detail().is_some());

        let e = get(
            StatusCode::BAD_REQUEST,
            &h,
            br#"{"scimType":"somethingNew"}"#,
        );
        assert_eq!(e.scim_type(), Some(&ScimType::Other("somethingNew".into())));
    }

    #[test]
    fn conflicts_map_to_one_variant() {
        let rest = get(
            StatusCode::CONFLICT,
            &HeaderMap::new(),
            br#"{"message":"Team with name [ops] already exists","requestId":"r"}"#,
        );
        assert!(matches!(rest, Error::Conflict(_)), "{rest:?}");
        assert_eq!(rest.scim_type(), None);
        let post = answer(
            Method::POST,
            StatusCode::CONFLICT,
            &HeaderMap::new(),
            br#"{"scimType":"uniqueness","detail":"userName taken"}"#,
        );
        assert!(matches!(post, Error::Conflict(_)), "{post:?}");
    }

    #[test]
    fn blocked_deletes_are_delete_blocked_whatever_the_status() {
        let h = HeaderMap::new();
        let used = br#"{"message":"User is used in schedule [ops] and escalation [night]"}"#;
        for status in [422, 428, 400, 409] {
            let status = StatusCode::from_u16(status).unwrap();
            let e = answer(Method::DELETE, status, &h, used);
            assert!(matches!(e, Error::DeleteBlocked(_)), "{status}: {e:?}");
            assert_eq!(e.status(), Some(status));
            // The same answer to another method is not a blocked delete.
            let e = answer(Method::PATCH, status, &h, used);
            assert!(!matches!(e, Error::DeleteBlocked(_)), "{status}: {e:?}");
        }
        // 422/428 to a DELETE are blocked deletes even without a message.
        let e = answer(Method::DELETE, StatusCode::UNPROCESSABLE_ENTITY, &h, b"");
        assert!(matches!(e, Error::DeleteBlocked(_)), "{e:?}");
        // Other 4xx to a DELETE keep their usual variant.
        for other in [
            &br#"{"message":"Invalid identifier"}"#[..],
            br#"{"message":"Schedule identifier is not valid"}"#,
        ] {
            let e = answer(Method::DELETE, StatusCode::BAD_REQUEST, &h, other);
            assert!(matches!(e, Error::Api(_)), "{e:?}");
        }
        let e = answer(
            Method::DELETE,
            StatusCode::BAD_REQUEST,
            &h,
            br#"{"message":"User is the only owner of the account"}"#,
        );
        assert!(matches!(e, Error::DeleteBlocked(_)), "{e:?}");
        let e = answer(Method::DELETE, StatusCode::NOT_FOUND, &h, used);
        assert!(matches!(e, Error::NotFound(_)), "{e:?}");
        let e = answer(Method::DELETE, StatusCode::SERVICE_UNAVAILABLE, &h, used);
        assert!(matches!(e, Error::Api(_)), "{e:?}");
    }
}
