use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};

use super::{MaxResponseSize, RequestUrl, Transport, TransportError, TransportErrorKind};

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
    /// Requests of this transport (and its clones) between being handed
    /// to reqwest and the end of their body.
    in_flight: Arc<AtomicUsize>,
}

impl ReqwestTransport {
    /// A transport with the given connect timeout and user agent.
    ///
    /// The user agent goes on requests that carry none: a
    /// [`Client`](crate::Client)'s requests always carry the client's own
    /// (name your tool with
    /// [`ClientBuilder::user_agent`](crate::ClientBuilder::user_agent)).
    pub fn new(connect_timeout: Duration, user_agent: &str) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .user_agent(user_agent)
            // Never follow redirects: a redirect would resend the key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, strip(&e.without_url())))?;
        Ok(ReqwestTransport::from_client(client))
    }

    /// Wraps an existing reqwest client (proxies, custom roots, ...).
    /// Set its redirect policy to `none` so the key is never forwarded.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            in_flight: Arc::default(),
        }
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
        let (mut parts, body) = req.into_parts();
        let limit = parts
            .extensions
            .get::<MaxResponseSize>()
            .map_or(crate::client::DEFAULT_MAX_RESPONSE_SIZE, |m| m.0);
        // The client hands over the URL it parsed; reqwest's own conversion
        // would print the URI and parse it once more.
        let url = match parts.extensions.remove::<RequestUrl>() {
            Some(RequestUrl(url)) if same_target(&url, &parts.uri) => url,
            _ => url::Url::parse(&parts.uri.to_string()).map_err(|e| {
                TransportError::new(TransportErrorKind::Request, format!("invalid URL: {e}"))
            })?,
        };
        let mut req = reqwest::Request::new(parts.method, url);
        *req.headers_mut() = parts.headers;
        *req.version_mut() = parts.version;
        *req.body_mut() = Some(reqwest::Body::from(body));
        self.start(req, limit).await
    }
}

impl ReqwestTransport {
    /// The client's own way in: the request in parts, with the URL it
    /// parsed, and no `http::Request` (its URI, printed and parsed again,
    /// and its extensions) in between. The same exchange as
    /// [`Transport::send`].
    ///
    /// Not an `async fn`: the request is handed to reqwest before the
    /// returned future is first polled, so the future carries reqwest's
    /// pending call (16 bytes) rather than the method, URL, headers and
    /// body, which an `async fn` keeps for its whole life (its arguments,
    /// and the request built from them).
    pub(crate) fn send_parts(
        &self,
        method: http::Method,
        url: url::Url,
        headers: http::HeaderMap,
        body: Bytes,
        limit: u64,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + '_ {
        let mut req = reqwest::Request::new(method, url);
        *req.headers_mut() = headers;
        *req.body_mut() = Some(reqwest::Body::from(body));
        self.start(req, limit)
    }

    /// Hands `req` to reqwest, counted in flight until its body is read:
    /// the one exchange behind both ways in.
    fn start(
        &self,
        req: reqwest::Request,
        limit: u64,
    ) -> impl Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + '_ {
        let in_flight = InFlight::enter(&self.in_flight);
        read_response(self.client.execute(req), limit, in_flight)
    }
}

/// Waits for the answer to a request handed to reqwest and reads its body,
/// up to `limit` bytes; then lets the connection go back to the pool (see
/// below) before it returns.
async fn read_response(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    limit: u64,
    in_flight: InFlight<'_>,
) -> Result<http::Response<Bytes>, TransportError> {
    // A future of its own: the response and the buffers it reads into are
    // gone from this one by the time it yields.
    let out = read_body(pending, limit).await?;
    // hyper hands the connection back to its pool from tasks of its own
    // (its connection task, then the one that puts the connection back),
    // woken as the body ends: letting them run before this call's caller
    // sends again keeps the next request from opening another connection.
    // This task goes to the back of its worker's queue, behind the tasks
    // it woke, once (a self-wake: no poll of the I/O driver, no wait for
    // the queue to empty, which `tokio::task::yield_now` costs).
    // Only with at least two other requests in flight: a caller alone
    // finds an idle connection in the pool anyway, and so did two callers
    // at a time (3 connections in 14 runs of 4,000 creates without the
    // pass), where passing the turn made a create cost 1.29x the CPU of a
    // hand-written reqwest call instead of 1.17x. Measured with
    // benches/overhead.rs (14 interleaved runs each, 2 workers): 4 tasks
    // 1.15x CPU and 4-6 connections (yield_now: 1.19x, 4-6), 8 tasks 1.11x
    // and 9-11 (yield_now: 1.13x, 8-10; none at all: 9-14).
    if in_flight.others() >= 2 {
        pass_turn().await;
    }
    drop(in_flight);
    Ok(out)
}

/// Ready at its second poll, having woken its task at the first: the task
/// runs again after the tasks already queued on its worker.
fn pass_turn() -> impl Future<Output = ()> {
    let mut passed = false;
    std::future::poll_fn(move |cx| {
        if passed {
            return Poll::Ready(());
        }
        passed = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// The answer to a request handed to reqwest, its body read up to `limit`
/// bytes.
async fn read_body(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    limit: u64,
) -> Result<http::Response<Bytes>, TransportError> {
    let mut resp = pending.await.map_err(classify)?;
    let expected = resp.content_length();
    if expected.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    // A body that comes in one chunk (the common case) is kept as it
    // came; more chunks are copied once into a buffer sized by the
    // `Content-Length`.
    let mut first = Bytes::new();
    let mut rest: Option<BytesMut> = None;
    let mut len = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        len += chunk.len() as u64;
        if len > limit {
            return Err(too_large(limit));
        }
        match rest.as_mut() {
            Some(buf) => buf.extend_from_slice(&chunk),
            None if first.is_empty() => first = chunk,
            None => {
                let cap = expected.unwrap_or(0).clamp(len, limit) as usize;
                let mut buf = BytesMut::with_capacity(cap);
                buf.extend_from_slice(&first);
                buf.extend_from_slice(&chunk);
                rest = Some(buf);
            }
        }
    }
    // The head is taken only now: kept in `resp` while the body is read,
    // it is not kept twice in this future.
    let mut out = http::Response::new(rest.map_or(first, BytesMut::freeze));
    *out.status_mut() = resp.status();
    *out.version_mut() = resp.version();
    *out.headers_mut() = std::mem::take(resp.headers_mut());
    Ok(out)
}

/// One request counted in its transport's `in_flight` until dropped (the
/// body read, an error, or the caller giving up).
/// Borrowed from the transport: no reference count to change (a cache line
/// every worker writes) per request.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count)
    }

    /// How many other requests of the same transport are in flight.
    fn others(&self) -> usize {
        self.0.load(Ordering::Relaxed).saturating_sub(1)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// True when `uri` still names `url` (a wrapper may have rewritten it).
fn same_target(url: &url::Url, uri: &http::Uri) -> bool {
    use url::Position;
    uri.scheme_str() == Some(url.scheme())
        && uri.authority().map(|a| a.as_str())
            == Some(&url[Position::BeforeUsername..Position::AfterPort])
        && uri.path_and_query().map(|p| p.as_str())
            == Some(&url[Position::BeforePath..Position::AfterQuery])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_turn_wakes_its_task_once_and_is_ready_at_the_next_poll() {
        struct Count(AtomicUsize);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(count.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let mut pass = std::pin::pin!(pass_turn());
        assert!(pass.as_mut().poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::Relaxed), 1, "woken before Pending");
        assert!(pass.as_mut().poll(&mut cx).is_ready());
        assert_eq!(count.0.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn in_flight_counts_until_dropped() {
        let count = Arc::new(AtomicUsize::new(0));
        let first = InFlight::enter(&count);
        assert_eq!(first.others(), 0, "alone");
        let second = InFlight::enter(&count);
        assert_eq!((first.others(), second.others()), (1, 1));
        let third = InFlight::enter(&count);
        assert_eq!(third.others(), 2);
        // A caller giving up (its future dropped) leaves the count too.
        drop((second, third));
        assert_eq!(first.others(), 0);
        drop(first);
        assert_eq!(count.load(Ordering::Relaxed), 0);
    }
}
