//! Helpers shared by the integration tests. Each test binary includes this
//! module with `mod common;` and uses what it needs.
#![allow(dead_code)]

use std::time::Duration;

use opsgenie_users::{Client, RetryPolicy};

/// The API key every mock-server test uses; assert it in `Authorization`.
pub const KEY: &str = "test-key-0000";

/// A client for a mock server at `base` (an `httpmock::MockServer::base_url()`),
/// with retries, rate limiting and the read of the account's limits off, so
/// each status maps straight to its result (a mocked 429 would otherwise hold
/// the domain for the window) and the mock sees only the test's requests.
pub fn client(base: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry_policy(RetryPolicy::none())
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        // No limiter to feed, and the mocks expect only the test's requests.
        .discover_rate_limits(false)
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// `GenieKey <KEY>`, the expected `Authorization` header value.
pub fn auth() -> String {
    format!("GenieKey {KEY}")
}

/// The value of `var`, naming a test server `scripts/test.sh` starts
/// (`server`). When it is absent the test is skipped: this returns `None`
/// (the test returns at once) after printing, once per test binary, which
/// suite is skipped and why. With `CI` set, an absent server fails the test:
/// CI never skips a suite silently.
pub fn external_server(var: &str, server: &str) -> Option<String> {
    if let Ok(v) = std::env::var(var) {
        return Some(v);
    }
    let why = format!("{var} is not set; scripts/test.sh starts {server}");
    assert!(std::env::var_os("CI").is_none(), "{why}");
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        // Straight to stderr: the test harness captures `eprintln!`.
        use std::io::Write as _;
        let binary = std::env::args().next().unwrap_or_default();
        let binary = std::path::Path::new(&binary)
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.rsplit_once('-').map(|(name, _hash)| name.to_string()))
            .unwrap_or(binary);
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED in `{binary}`: the tests needing {server} ({why})"
        );
    });
    None
}

/// The Prism mock server started by `scripts/test.sh`, or `None` (skip the
/// test) when it is not running; see [`external_server`].
pub fn prism_url() -> Option<String> {
    external_server("OPSGENIE_PRISM_URL", "Prism")
}

/// What Prism objected to, recorded by [`PrismCheck`].
#[derive(Default)]
pub struct Violations(
    std::sync::Mutex<Vec<String>>,
    std::sync::atomic::AtomicUsize,
);

impl Violations {
    /// Fails the test if any request violated the spec, or none was answered.
    pub fn assert_none(&self) {
        let v = self.0.lock().unwrap();
        assert!(self.answered() > 0, "no request reached Prism: {v:?}");
        assert!(v.is_empty(), "spec violations:\n{}", v.join("\n"));
    }
    /// How many requests Prism answered.
    pub fn answered(&self) -> usize {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// The findings so far.
    pub fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A transport that forwards to reqwest and records every request Prism
/// rejects: an `sl-violations` response header, or a 422/400/404/405 answer
/// from Prism's validator or router. In proxy mode those statuses come from
/// the upstream server and count only when Prism itself produced them
/// (`application/problem+json`).
pub struct PrismCheck {
    inner: opsgenie_users::transport::ReqwestTransport,
    pub violations: std::sync::Arc<Violations>,
    pub proxy: bool,
}

#[async_trait::async_trait]
impl opsgenie_users::transport::Transport for PrismCheck {
    async fn send(
        &self,
        req: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opsgenie_users::transport::TransportError> {
        let what = format!("{} {}", req.method(), req.uri());
        let resp = match self.inner.send(req).await {
            Ok(r) => r,
            Err(e) => {
                self.violations
                    .0
                    .lock()
                    .unwrap()
                    .push(format!("{what}: Prism unreachable: {e}"));
                return Err(e);
            }
        };
        self.violations
            .1
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let status = resp.status().as_u16();
        if let Some(v) = resp.headers().get("sl-violations") {
            self.violations
                .0
                .lock()
                .unwrap()
                .push(format!("{what}: {}", v.to_str().unwrap_or("?")));
        } else if matches!(status, 400 | 404 | 405 | 422)
            && (!self.proxy
                || resp
                    .headers()
                    .get("content-type")
                    .is_some_and(|c| c.to_str().unwrap_or("").contains("problem+json")))
        {
            self.violations.0.lock().unwrap().push(format!(
                "{what}: Prism answered {status}: {}",
                String::from_utf8_lossy(resp.body())
            ));
        }
        Ok(resp)
    }
}

/// A client that sends to Prism and records spec violations. Call the SDK as
/// usual (decoding Prism's invented response values may fail: ignore the
/// results), then `violations.assert_none()`. `None` when Prism is not
/// running: skip the test.
pub fn prism_client() -> Option<(Client, std::sync::Arc<Violations>)> {
    Some(prism_checked(prism_url()?, KEY.to_string(), false))
}

/// A client on `url` whose transport records what Prism finds against the
/// spec (`proxy`: Prism forwards to a real-shaped server). No retries, no
/// limiter: each call is exactly one request.
fn prism_checked(url: String, key: String, proxy: bool) -> (Client, std::sync::Arc<Violations>) {
    let violations = std::sync::Arc::new(Violations::default());
    let transport = PrismCheck {
        inner: opsgenie_users::transport::ReqwestTransport::new(
            Duration::from_secs(5),
            "opsgenie-users-tests",
        )
        .expect("transport"),
        violations: violations.clone(),
        proxy,
    };
    let client = Client::builder()
        .api_key(key)
        .base_url(url)
        .transport(transport)
        .retry_policy(RetryPolicy::none())
        .rate_limiter(std::sync::Arc::new(opsgenie_users::ratelimit::Unlimited))
        // `GET /v2/request-limits/` is not in the spec Prism checks against.
        .discover_rate_limits(false)
        .build()
        .expect("client");
    (client, violations)
}

/// Prism in proxy mode in front of the simulator, started by
/// `scripts/test.sh`: `(URL, API key of the simulated account)`, or `None`
/// (skip the test) when it is not running; see [`external_server`].
pub fn prism_proxy() -> Option<(String, String)> {
    let server = "the simulator behind `prism proxy`";
    Some((
        external_server("OPSGENIE_PRISM_PROXY_URL", server)?,
        external_server("OPSGENIE_PRISM_PROXY_KEY", server)?,
    ))
}

/// A client that talks to the simulator through `prism proxy` and records
/// every request or response Prism finds against the spec. Unlike
/// [`prism_client`], the answers are real-shaped: decode them. `None` when
/// the proxy is not running: skip the test.
pub fn prism_proxy_client() -> Option<(Client, std::sync::Arc<Violations>)> {
    let (url, key) = prism_proxy()?;
    Some(prism_checked(url, key, true))
}

/// Registers a mock that only matches the exact request: method, path,
/// exactly these query parameters, the key, and (when given) the exact JSON
/// body with `Content-Type: application/json`.
pub async fn expect<'a>(
    server: &'a httpmock::MockServer,
    method: httpmock::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<serde_json::Value>,
    status: u16,
    answer: serde_json::Value,
) -> httpmock::Mock<'a> {
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    server
        .mock_async(move |mut when, then| {
            when = when
                .method(method)
                .path(path)
                .header("authorization", auth())
                .query_param_count(".*", ".*", query.len());
            for (k, v) in &query {
                when = when.query_param(k, v);
            }
            match body {
                Some(b) => {
                    when.header("content-type", "application/json").json_body(b);
                }
                None => {
                    when.header_missing("content-type");
                }
            }
            then.status(status)
                .header("content-type", "application/json")
                .json_body(answer);
        })
        .await
}
