use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::{Transport, TransportError, TransportErrorKind};

/// The default transport: reqwest with rustls.
///
/// It carries a connect timeout; the overall request timeout is applied by
/// the client around every transport (so custom transports get it too).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with the given connect timeout and user agent.
    pub fn new(connect_timeout: Duration, user_agent: &str) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .user_agent(user_agent)
            // Never follow redirects: a redirect would resend the key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))?;
        Ok(ReqwestTransport { client })
    }

    /// Wraps an existing reqwest client (proxies, custom roots, ...).
    /// Set its redirect policy to `none` so the key is never forwarded.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let req = reqwest::Request::try_from(req)
            .map_err(|e| TransportError::new(TransportErrorKind::Request, strip(&e)))?;
        let resp = self.client.execute(req).await.map_err(classify)?;
        let status = resp.status();
        let version = resp.version();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(classify)?;
        let mut out = http::Response::builder()
            .status(status)
            .version(version)
            .body(body)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, e.to_string()))?;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    let kind = if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_builder() {
        TransportErrorKind::Request
    } else if e.is_body() || e.is_request() || e.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, strip(&e))
}

/// reqwest errors print the URL; ours never contain credentials (the key
/// travels in a header), but strip query strings anyway to keep logs short.
fn strip(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
