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

mod reqwest_impl;

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
    /// Anything else.
    Other,
}

/// A failure below HTTP.
#[derive(Debug, Clone)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// Creates an error of `kind`. Do not put credentials in `message`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
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
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for TransportError {}
