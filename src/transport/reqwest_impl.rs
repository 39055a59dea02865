use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};

use super::{MaxResponseSize, Transport, TransportError, TransportErrorKind};

/// The default transport: reqwest with rustls.
///
/// It carries a connect timeout; the per-attempt timeout and the overall
/// deadline are applied by the client around every transport (so custom
/// transports get them too). It reads the body chunk by chunk and stops as
/// soon as it passes the request's [`MaxResponseSize`] (a `Content-Length`
/// over the cap fails before any body byte is read), so a server cannot make
/// it buffer more than the cap.
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
            .map_err(|e| TransportError::new(TransportErrorKind::Other, strip(&e.without_url())))?;
        Ok(ReqwestTransport { client })
    }

    /// Wraps an existing reqwest client (proxies, custom roots, ...).
    /// Set its redirect policy to `none` so the key is never forwarded.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

fn too_large(limit: u64) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the response body exceeds the {limit}-byte limit"),
    )
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(
        &self,
        req: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let limit = req
            .extensions()
            .get::<MaxResponseSize>()
            .map_or(crate::client::DEFAULT_MAX_RESPONSE_SIZE, |m| m.0);
        let req = reqwest::Request::try_from(req).map_err(|e| {
            TransportError::new(TransportErrorKind::Request, strip(&e.without_url()))
        })?;
        let mut resp = self.client.execute(req).await.map_err(classify)?;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large(limit));
        }
        let status = resp.status();
        let version = resp.version();
        let headers = std::mem::take(resp.headers_mut());
        let mut body = BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        let mut out = http::Response::builder()
            .status(status)
            .version(version)
            .body(body.freeze())
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
    // reqwest prints the URL, query string included (personal data such as
    // `query=username:...`): drop it; the client names the request itself,
    // without its query.
    TransportError::new(kind, strip(&e.without_url()))
}

/// The error and its sources, on one line.
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
