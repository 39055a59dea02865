//! The pluggable HTTP transport: one async method, request in, response out.
//!
//! The default is [`ReqwestTransport`] (rustls, no OpenSSL). Supply your own
//! to record, replay or route requests:
//!
//! ```
//! use async_trait::async_trait;
//! use bytes::Bytes;
//! use opsgenie_users::transport::{Transport, TransportError};
//!
//! struct AlwaysNotFound;
//!
//! #[async_trait]
//! impl Transport for AlwaysNotFound {
//!     async fn send(&self, _req: http::Request<Bytes>) -> Result<http::Response<Bytes>, TransportError> {
//!         Ok(http::Response::builder().status(404).body(Bytes::from_static(b"{}")).unwrap())
//!     }
//! }
//! ```
//!
//! A transport must not retry by itself: the client has the one retry layer.
//!
//! **Limits the client enforces around every transport.** The client runs
//! each attempt under its per-attempt timeout and each call under its overall
//! deadline (see [`ClientBuilder`](crate::ClientBuilder)), and it checks the
//! length of the body a transport returns against the response size cap
//! ([`ClientBuilder::max_response_size`](crate::ClientBuilder::max_response_size)):
//! a longer body becomes [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
//! That check comes after the body was read, so a custom transport should
//! also stop reading once the body passes the [`MaxResponseSize`] the client
//! puts in every request's extensions, and answer
//! [`TransportErrorKind::BodyTooLarge`]; [`ReqwestTransport`] does.

mod reqwest_impl;

use std::borrow::Cow;
use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

pub use reqwest_impl::ReqwestTransport;

/// Sends one HTTP request and returns the whole response.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends `req` (absolute URI, headers and body set) and returns the response.
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError>;
}

/// The response size cap of a request, in bytes: the client inserts it in the
/// extensions of every `http::Request` it hands to a transport.
///
/// ```
/// use opsgenie_users::transport::MaxResponseSize;
/// # fn demo(req: &http::Request<bytes::Bytes>) {
/// let cap = req.extensions().get::<MaxResponseSize>().map_or(u64::MAX, |m| m.0);
/// # let _ = cap; }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxResponseSize(pub u64);

/// The request's URL as the client parsed it, in the extensions of every
/// request it hands to a transport: [`ReqwestTransport`] uses it instead of
/// parsing the URI again (when the URI still names it).
#[derive(Debug, Clone)]
pub(crate) struct RequestUrl(pub(crate) url::Url);

/// What kind of transport failure happened; drives retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (DNS, refused, TLS handshake): the request never left.
    Connect,
    /// The transport's own timeout fired.
    Timeout,
    /// The connection broke after the request may have been sent.
    Io,
    /// The request could not be built (bad header value, ...): nothing was sent.
    Request,
    /// The response body was longer than the [`MaxResponseSize`] of the
    /// request (by its `Content-Length` or while reading). Never retried.
    BodyTooLarge,
    /// Anything else.
    Other,
}

/// A failure below HTTP.
///
/// Its message and `Display`/`Debug` never carry a URL's query string or
/// user info (a query holds personal data such as `query=username:...` or a
/// SCIM `filter`): any URL in the message is cut to scheme, host and path.
/// The client adds the method and (so cut) URL of the failed request.
#[derive(Debug, Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    request: Option<String>,
}

impl TransportError {
    /// Creates an error of `kind`. Do not put credentials in `message`; URLs
    /// in it lose their query string, fragment and user info.
    ///
    /// ```
    /// use opsgenie_users::transport::{TransportError, TransportErrorKind};
    /// let e = TransportError::new(
    ///     TransportErrorKind::Connect,
    ///     "refused: https://u:p@h.example/v2/users?query=username:jane",
    /// );
    /// assert_eq!(e.message(), "refused: https://h.example/v2/users");
    /// ```
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        let message = message.into();
        let message = match redact_urls(&message) {
            Cow::Borrowed(_) => message,
            Cow::Owned(m) => m,
        };
        TransportError {
            kind,
            message,
            request: None,
        }
    }

    /// The message (URLs in it cut to scheme, host and path).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Names the request that failed: its method and URL without query.
    pub(crate) fn with_request(mut self, method: &http::Method, url: &url::Url) -> Self {
        self.request = Some(format!("{method} {}", redact_url(url)));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// True unless the request certainly never left this machine.
    pub fn may_have_reached_server(&self) -> bool {
        !matches!(
            self.kind,
            TransportErrorKind::Connect | TransportErrorKind::Request
        )
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)?;
        if let Some(r) = &self.request {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// `url` without query string, fragment or user info: safe for errors and logs.
pub(crate) fn redact_url(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Cuts every `http://` or `https://` URL in `text` to scheme, host and
/// path: its user info and everything from `?` or `#` on are removed.
fn redact_urls(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !lower.contains("http://") && !lower.contains("https://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    let mut i = 0;
    while i < text.len() {
        let tail = &lower[i..];
        let scheme = if tail.starts_with("https://") {
            8
        } else if tail.starts_with("http://") {
            7
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        // The URL runs to the first white space or closing delimiter.
        let end = text[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>' | ']'))
            .map_or(text.len(), |n| i + n);
        let url = &text[i..end];
        let authority_end = url[scheme..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |n| scheme + n);
        let host_start = url[scheme..authority_end]
            .rfind('@')
            .map_or(scheme, |n| scheme + n + 1);
        let path_end = url[authority_end..]
            .find(['?', '#'])
            .map_or(url.len(), |n| authority_end + n);
        out.push_str(&text[rest..i]);
        out.push_str(&url[..scheme]);
        out.push_str(&url[host_start..path_end]);
        rest = end;
        i = end;
    }
    out.push_str(&text[rest..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_query_fragment_and_user_info() {
        let cases = [
            ("no url here", "no url here"),
            (
                "error sending request for url (http://127.0.0.1:9/v2/users?query=username:jane%40x.com&limit=5)",
                "error sending request for url (http://127.0.0.1:9/v2/users)",
            ),
            (
                "HTTPS://bob:pw@h.example/scim/Users?filter=userName+eq+%22jane%22 failed",
                "HTTPS://h.example/scim/Users failed",
            ),
            ("at https://h.example#frag then é", "at https://h.example then é"),
            ("two: http://a/x?q=1 and http://b/y?q=2", "two: http://a/x and http://b/y"),
        ];
        for (input, want) in cases {
            assert_eq!(redact_urls(input), want, "{input}");
        }
        let url = url::Url::parse("https://u:p@h.example/v2/users?query=jane#x").unwrap();
        assert_eq!(redact_url(&url), "https://h.example/v2/users");
        let e = TransportError::new(TransportErrorKind::Io, "reset")
            .with_request(&http::Method::GET, &url);
        assert_eq!(e.to_string(), "Io: reset (GET https://h.example/v2/users)");
        assert!(!format!("{e:?}").contains("jane"));
    }
}
