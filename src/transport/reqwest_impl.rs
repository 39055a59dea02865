use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::Either;
use futures::task::AtomicWaker;

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
///
/// It resolves host names itself (the system's resolver, as reqwest's own)
/// and so sees each connection reqwest is about to open: with `n` requests
/// in flight to a named host it keeps to about `n + 1` connections, where
/// hyper's pool alone opens more (a request sent a moment before the one it
/// follows has put its connection back opens another).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    /// What this transport's clones share (requests in flight, connections
    /// opened).
    shared: Arc<Shared>,
    /// True when `client` resolves names with a [`WaitingResolver`] on
    /// `shared`.
    resolves: bool,
}

impl ReqwestTransport {
    /// A transport with the given connect timeout and user agent.
    ///
    /// The user agent goes on requests that carry none: a
    /// [`Client`](crate::Client)'s requests always carry the client's own
    /// (name your tool with
    /// [`ClientBuilder::user_agent`](crate::ClientBuilder::user_agent)).
    pub fn new(connect_timeout: Duration, user_agent: &str) -> Result<Self, TransportError> {
        let shared = Arc::<Shared>::default();
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(WaitingResolver(shared.clone())))
            .connect_timeout(connect_timeout)
            .user_agent(user_agent)
            // Never follow redirects: a redirect would resend the key to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::new(TransportErrorKind::Other, strip(&e.without_url())))?;
        Ok(ReqwestTransport {
            client,
            shared,
            resolves: true,
        })
    }

    /// Wraps an existing reqwest client (proxies, custom roots, ...).
    /// Set its redirect policy to `none` so the key is never forwarded.
    ///
    /// Such a client keeps its own resolver: after each body, with at least
    /// two other requests in flight, the transport lets hyper's tasks put
    /// the connection back before it returns, which keeps the connection
    /// count near the concurrency at a small cost per request.
    pub fn from_client(client: reqwest::Client) -> Self {
        ReqwestTransport {
            client,
            shared: Arc::default(),
            resolves: false,
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
        // A connect to a named host goes through this transport's resolver,
        // which waits for a connection on its way back to the pool; to an
        // address (or with a reqwest client of the user's), the request
        // passes its turn after its body instead.
        let named = matches!(req.url().host(), Some(url::Host::Domain(_)));
        let pass = !(named && self.resolves);
        let in_flight = InFlight::enter(&self.shared.in_flight);
        let pending = OwnConnect::new(self.client.execute(req));
        read_response(pending, limit, in_flight, pass)
    }
}

/// Waits for the answer to a request handed to reqwest and reads its body,
/// up to `limit` bytes; then, if `pass`, lets the connection go back to the
/// pool (see below) before it returns.
async fn read_response(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    limit: u64,
    in_flight: InFlight<'_>,
    pass: bool,
) -> Result<http::Response<Bytes>, TransportError> {
    // A future of its own: the response and the buffers it reads into are
    // gone from this one by the time it yields.
    let out = read_body(pending, limit).await?;
    // hyper hands the connection back to its pool from tasks of its own
    // (its connection task, then the one that puts the connection back),
    // woken as the body ends; a request sent before they ran finds no
    // idle connection and opens one more. To a named host the transport's
    // resolver keeps that connect from happening ([`WaitingResolver`], at
    // no cost per request). To an address, which reqwest connects to
    // without a resolver, the task lets those tasks run first: it goes to
    // the back of its worker's queue, behind the tasks it woke, once (a
    // self-wake: no poll of the I/O driver, no wait for the queue to
    // empty, which `tokio::task::yield_now` costs).
    // Only with at least two other requests in flight: a caller alone
    // finds an idle connection in the pool anyway, and so did two callers
    // at a time (3 connections in 14 runs of 4,000 creates without the
    // pass), where passing the turn made a create cost 1.29x the CPU of a
    // hand-written reqwest call instead of 1.17x. Measured with
    // benches/overhead.rs at 127.0.0.1 (14 interleaved runs each, 2
    // workers): 4 tasks 1.15x CPU and 4-6 connections (yield_now: 1.19x,
    // 4-6), 8 tasks 1.11x and 9-11 (yield_now: 1.13x, 8-10; none at all:
    // 9-14); valgrind: about 2,300 instructions per create with 8 tasks.
    if pass && in_flight.others() >= 2 {
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

/// The state a transport's clones share: requests in flight, and what its
/// resolver knows of the connections it opened.
#[derive(Debug, Default)]
struct Shared {
    /// Requests between being handed to reqwest and the end of their body.
    in_flight: AtomicUsize,
    /// Connections this transport's resolver let open. Closes are not told
    /// to it: a wait that no connection coming back ended resets it.
    opened: AtomicUsize,
    /// Connects still to let through without a wait, after a wait that no
    /// connection coming back ended (the server closed some).
    eager: AtomicUsize,
}

/// The longest a connect waits for a connection on its way back to the
/// pool: longer than a loaded machine keeps a runnable task waiting (with
/// 5 ms, 3 of 20 runs of the overhead bench under load opened a tenth
/// connection for 8 tasks; with 20 ms, none of 47), short beside a connect
/// with TLS.
const CONNECT_WAIT: Duration = Duration::from_millis(20);
/// Connects let through without a wait after a wait that no connection
/// coming back ended.
const EAGER_AFTER_VAIN_WAIT: usize = 64;

impl Shared {
    /// True when a connect about to start should wait: more connections
    /// are open than requests in flight (this one included), so one is on
    /// its way back to the pool. One connection more than the requests in
    /// flight is opened without a wait: with a spare connection, a request
    /// sent before the one it follows has put its connection back still
    /// finds one, with no connect at all.
    fn connect_may_wait(&self) -> bool {
        let eager = self.eager.load(Ordering::Relaxed);
        if eager > 0 {
            self.eager.store(eager - 1, Ordering::Relaxed);
            return false;
        }
        self.in_flight.load(Ordering::Relaxed) < self.opened.load(Ordering::Relaxed)
    }

    /// Waits for `end` (the request, answered over a connection that came
    /// back) up to [`CONNECT_WAIT`]; then for `resolution` (of the host,
    /// started only then). A request that ended by then needs no connection.
    async fn wait_then_resolve(
        &self,
        end: &RequestEnd,
        resolution: impl Future<Output = Result<reqwest::dns::Addrs, BoxError>>,
    ) -> Result<reqwest::dns::Addrs, BoxError> {
        let ended = std::future::poll_fn(|cx| {
            end.waker.register(cx.waker());
            if end.has_ended() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        });
        let wait = tokio::time::sleep(CONNECT_WAIT);
        if let Either::Left(_) =
            futures::future::select(std::pin::pin!(ended), std::pin::pin!(wait)).await
        {
            return Err(NotNeeded.into());
        }
        let addrs = resolution.await?;
        // A connection that came back late, while the name was resolved.
        if end.has_ended() {
            return Err(NotNeeded.into());
        }
        // None came back: fewer connections are open than counted.
        let others = self.in_flight.load(Ordering::Relaxed).saturating_sub(1);
        self.opened.store(others + 1, Ordering::Relaxed);
        self.eager.store(EAGER_AFTER_VAIN_WAIT, Ordering::Relaxed);
        Ok(addrs)
    }
}

/// The system's resolution of `host` (getaddrinfo, on the blocking pool,
/// as reqwest's own resolver does).
async fn resolve(host: String) -> Result<reqwest::dns::Addrs, BoxError> {
    let addrs = tokio::task::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0))
    })
    .await??;
    Ok(Box::new(addrs))
}

thread_local! {
    /// True while a request's future is polled for the first time: the
    /// poll in which hyper starts its connect, if it needs one.
    static FIRST_POLL: Cell<bool> = const { Cell::new(false) };
    /// The end of the request of that poll, when its connect waits on it
    /// (set by the resolver, taken by [`OwnConnect`]).
    static WAITED_ON: Cell<Option<Arc<RequestEnd>>> = const { Cell::new(None) };
}

/// reqwest's answer to a request, its first poll marked as the request's
/// own (so the resolver knows the request of a connect it makes wait);
/// tells that connect, if any, when dropped: answered, failed or given up.
/// Three thread-local accesses in the request's first poll and none after
/// (a task-local scope around every poll of the request's future cost
/// about 700 instructions per call, valgrind).
struct OwnConnect<F> {
    pending: F,
    first: bool,
    end: EndOnDrop,
}

impl<F> OwnConnect<F> {
    fn new(pending: F) -> Self {
        OwnConnect {
            pending,
            first: true,
            end: EndOnDrop(None),
        }
    }
}

impl<F: Future + Unpin> Future for OwnConnect<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        if !this.first {
            return Pin::new(&mut this.pending).poll(cx);
        }
        this.first = false;
        let out = {
            let _first = FirstPoll::start();
            Pin::new(&mut this.pending).poll(cx)
        };
        this.end.0 = WAITED_ON.take();
        out
    }
}

/// [`FIRST_POLL`] set until dropped (a poll that panics included).
struct FirstPoll;

impl FirstPoll {
    fn start() -> FirstPoll {
        FIRST_POLL.set(true);
        FirstPoll
    }
}

impl Drop for FirstPoll {
    fn drop(&mut self) {
        FIRST_POLL.set(false);
    }
}

/// A request's end, for a connect that waits on it.
#[derive(Debug, Default)]
struct RequestEnd {
    ended: AtomicBool,
    waker: AtomicWaker,
}

impl RequestEnd {
    fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }
}

/// Tells a waiting connect, if any, that its request ended, when dropped.
struct EndOnDrop(Option<Arc<RequestEnd>>);

impl Drop for EndOnDrop {
    fn drop(&mut self) {
        if let Some(end) = &self.0 {
            end.ended.store(true, Ordering::Release);
            end.waker.wake();
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The resolver of [`ReqwestTransport::new`]: the system's, as reqwest's
/// own, asked by reqwest for each connection it opens to a named host.
///
/// hyper's pool opens a connection whenever a request finds no idle one,
/// and keeps it even when a connection came back first (the connect goes
/// on in the background). A connection is on its way back for a moment
/// after each body ends (hyper's own tasks put it back), so a caller that
/// sends again at once opens one more. While more connections are open
/// than requests in flight, one of them is on its way back: the connect
/// waits (up to [`CONNECT_WAIT`]) before it resolves, and if its request
/// is answered meanwhile (over the connection that came back) it ends
/// without connecting. Asked only when a request finds no idle
/// connection, it costs nothing per request.
struct WaitingResolver(Arc<Shared>);

impl reqwest::dns::Resolve for WaitingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let shared = self.0.clone();
        // hyper starts a request's connect in the request's first poll
        // (later, in the background, the connect only goes on).
        let end = if FIRST_POLL.get() && shared.connect_may_wait() {
            // One end per request, should hyper start a second connect.
            let end = WAITED_ON.take().unwrap_or_default();
            WAITED_ON.set(Some(end.clone()));
            Some(end)
        } else {
            None
        };
        let host = name.as_str().to_owned();
        Box::pin(async move {
            match end {
                Some(end) => shared.wait_then_resolve(&end, resolve(host)).await,
                None => {
                    shared.opened.fetch_add(1, Ordering::Relaxed);
                    resolve(host).await
                }
            }
        })
    }
}

/// The error of a connect that a connection coming back made unneeded
/// (hyper drops it: its request was answered).
#[derive(Debug)]
struct NotNeeded;

impl std::fmt::Display for NotNeeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection not needed: the request was answered over a pooled one")
    }
}

impl std::error::Error for NotNeeded {}

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

    /// A transport's shared state with `in_flight` requests and `opened`
    /// connections counted.
    fn shared(in_flight: usize, opened: usize) -> Arc<Shared> {
        let s = Arc::<Shared>::default();
        s.in_flight.store(in_flight, Ordering::Relaxed);
        s.opened.store(opened, Ordering::Relaxed);
        s
    }

    fn count(a: &AtomicUsize) -> usize {
        a.load(Ordering::Relaxed)
    }

    /// Asserts that a connect ended without connecting: its request was
    /// answered over a connection that came back.
    fn assert_not_needed(resolved: Result<reqwest::dns::Addrs, BoxError>) {
        match resolved {
            Err(e) => assert!(e.is::<NotNeeded>(), "{e}"),
            Ok(_) => panic!("connected for a request that was answered"),
        }
    }

    /// The resolver asked for `localhost` in a request's first poll (as
    /// hyper asks it); the request ends when `end` is sent or dropped.
    async fn resolve_in_request(
        resolver: WaitingResolver,
    ) -> (reqwest::dns::Resolving, tokio::sync::oneshot::Sender<()>) {
        use reqwest::dns::Resolve;
        let (end_tx, end_rx) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(OwnConnect::new(Box::pin(async move {
            let _ = tx.send(resolver.resolve("localhost".parse().unwrap()));
            let _ = end_rx.await;
        })));
        (rx.await.unwrap(), end_tx)
    }

    #[test]
    fn a_connect_waits_only_while_more_connections_are_open_than_requests_in_flight() {
        assert!(!shared(2, 2).connect_may_wait(), "the spare connection");
        assert!(!shared(1, 0).connect_may_wait());
        let s = shared(2, 3);
        assert!(s.connect_may_wait());
        // After a wait in vain, the next connects go at once.
        s.eager.store(EAGER_AFTER_VAIN_WAIT, Ordering::Relaxed);
        for _ in 0..EAGER_AFTER_VAIN_WAIT {
            assert!(!s.connect_may_wait());
        }
        assert!(s.connect_may_wait());
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_connect_ends_without_connecting_once_its_request_is_answered() {
        let s = shared(1, 2);
        let (mut resolving, end) = resolve_in_request(WaitingResolver(s.clone())).await;
        let started = tokio::time::Instant::now();
        assert!(futures::poll!(resolving.as_mut()).is_pending(), "waits");
        end.send(()).unwrap();
        assert_not_needed(resolving.await);
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "ends when the request does"
        );
        assert_eq!(count(&s.opened), 2, "no connection counted");
        assert_eq!(count(&s.eager), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_connect_connects_when_no_connection_comes_back() {
        let s = shared(2, 3);
        let (resolving, _end) = resolve_in_request(WaitingResolver(s.clone())).await;
        let started = tokio::time::Instant::now();
        let Ok(addrs) = resolving.await else {
            panic!("localhost resolves");
        };
        assert_eq!(started.elapsed(), CONNECT_WAIT);
        assert!(addrs.into_iter().any(|a| a.ip().is_loopback()));
        // Counted anew: the other request's connection and this one.
        assert_eq!(count(&s.opened), 2);
        assert_eq!(count(&s.eager), EAGER_AFTER_VAIN_WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connect_ends_without_connecting_when_its_request_is_answered_while_it_resolves() {
        let s = shared(2, 3);
        let end = Arc::new(RequestEnd::default());
        let started = tokio::time::Instant::now();
        // The wait runs out; the request is answered (over a connection
        // that came back late) while the name resolves.
        let resolution = async {
            assert_eq!(started.elapsed(), CONNECT_WAIT, "resolves after the wait");
            drop(EndOnDrop(Some(end.clone())));
            let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(([127, 0, 0, 1], 0).into()));
            Ok(addrs)
        };
        assert_not_needed(s.wait_then_resolve(&end, resolution).await);
        // Not a wait in vain: a connection did come back.
        assert_eq!(count(&s.opened), 3);
        assert_eq!(count(&s.eager), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connect_with_no_connection_to_spare_does_not_wait() {
        let s = shared(2, 2);
        let (resolving, _end) = resolve_in_request(WaitingResolver(s.clone())).await;
        let started = tokio::time::Instant::now();
        assert!(resolving.await.is_ok());
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(count(&s.opened), 3);
        // Outside a request (no end to wait for) a connect goes at once too.
        let s = shared(1, 2);
        let resolving = reqwest::dns::Resolve::resolve(
            &WaitingResolver(s.clone()),
            "localhost".parse().unwrap(),
        );
        assert!(resolving.await.is_ok());
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(count(&s.opened), 3);
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
