//! The HTTP layer: one axum fallback handler that authenticates, rate
//! limits, injects faults, logs, and hands the request to the REST or SCIM
//! dispatcher.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::response::Response;
use http::{header, HeaderMap, Method};
use opsgenie_users::Domain;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::fault::{Fault, FaultRule, RandomFaultState};
use crate::rest::{self, Req};
use crate::scim;
use crate::server::{KeyRights, RequestLimits};
use crate::state::{fail, Fail, State};
use crate::window::RollingWindow;

/// One request as the simulator saw it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The `requestId` answered (also in the `X-Request-ID` header).
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// Path as received (percent-encoded).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// The JSON body, if any.
    pub body: Option<Value>,
    /// The rate-limit domain it counted against.
    pub domain: Domain,
    /// Status answered; `None` when the connection was dropped (or the
    /// client gave up before the answer).
    pub status: Option<u16>,
    /// Answered 429 by the rate limiter.
    pub throttled: bool,
    /// The injected fault, if any.
    pub fault: Option<Fault>,
    /// The status the server's own handling produced, when it handled the
    /// request: differs from `status` when a fault replaced the answer of a
    /// request that was applied ([`Fault::AfterCommit`]); `None` when a
    /// fault stopped the request before it was handled.
    pub served: Option<u16>,
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) keys: Mutex<Vec<(String, KeyRights)>>,
    pub(crate) admin_key: String,
    pub(crate) scim_token: String,
    pub(crate) directory: String,
    pub(crate) limits: Mutex<BTreeMap<Domain, RollingWindow>>,
    /// What `GET /v2/request-limits/` answers.
    pub(crate) request_limits: RequestLimits,
    /// Requests of other consumers of the account's quota the windows
    /// accepted and refused, per domain (not in the request log).
    pub(crate) others: Mutex<BTreeMap<Domain, (u64, u64)>>,
    pub(crate) faults: Mutex<Vec<FaultRule>>,
    pub(crate) random_faults: Mutex<Option<RandomFaultState>>,
    pub(crate) log: Mutex<Vec<RequestRecord>>,
    pub(crate) throttled: Mutex<BTreeMap<Domain, u64>>,
    pub(crate) counter: AtomicU64,
    pub(crate) id_salt: u64,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave our data half-written in a
    // way later requests care about; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

enum Api {
    Rest,
    Scim(Vec<String>),
    Unknown,
}

fn classify(method: &Method, path: &str) -> (Api, Domain) {
    if path == "/v2/users" && method == Method::GET {
        return (Api::Rest, Domain::Search);
    }
    if path.starts_with("/v2/") {
        return (Api::Rest, Domain::Configuration);
    }
    if let Some(rest) = path.strip_prefix("/scim/directory/") {
        let segs = rest
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        return (Api::Scim(segs), Domain::Scim);
    }
    (Api::Unknown, Domain::Configuration)
}

/// Path segments decoded like the live API does: `+` means a space.
fn rest_segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

impl Shared {
    fn request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut rng =
            fastrand::Rng::with_seed(self.id_salt ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let h: String = (0..16).map(|_| format!("{:02x}", rng.u8(..))).collect();
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    fn take_fault(&self, m: &Method, path: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let rule = faults.iter_mut().find(|r| r.matches(m, path))?;
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        Some(rule.fault.clone())
    }

    fn random_fault(
        &self,
        m: &Method,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Option<Fault> {
        lock(&self.random_faults)
            .as_mut()
            .and_then(|r| r.draw(m, path, query, body))
    }

    fn admit(&self, domain: Domain) -> Result<(), u64> {
        let mut limits = lock(&self.limits);
        match limits.get_mut(&domain) {
            Some(window) => window.admit(Instant::now()),
            None => Ok(()),
        }
    }

    /// Another consumer of the account's quota sends `n` requests in
    /// `domain` now; returns how many the window accepted.
    pub(crate) fn other_consumer(&self, domain: Domain, n: u64) -> u64 {
        let now = Instant::now();
        let mut accepted = 0;
        {
            let mut limits = lock(&self.limits);
            for _ in 0..n {
                let ok = match limits.get_mut(&domain) {
                    Some(window) => window.admit(now).is_ok(),
                    None => true,
                };
                accepted += u64::from(ok);
            }
        }
        let mut others = lock(&self.others);
        let e = others.entry(domain).or_default();
        e.0 += accepted;
        e.1 += n - accepted;
        accepted
    }

    /// The `rateLimits` list of `GET /v2/request-limits/`, or `None` when
    /// the endpoint is not there.
    fn limits_json(&self) -> Option<Value> {
        let listed: Vec<(Domain, opsgenie_users::ratelimit::Limits)> = match &self.request_limits {
            RequestLimits::Enforced => lock(&self.limits)
                .iter()
                .map(|(d, w)| (*d, w.limits()))
                .collect(),
            RequestLimits::Advertised(map) => map.iter().map(|(d, l)| (*d, *l)).collect(),
            RequestLimits::NotFound => return None,
        };
        Some(Value::Array(
            listed
                .into_iter()
                .map(|(d, limits)| {
                    let mut l = Vec::new();
                    if let Some(pm) = limits.per_minute {
                        l.push(json!({"limit": pm, "periodInSeconds": 60}));
                    }
                    if let Some(ps) = limits.per_second {
                        l.push(json!({"limit": ps, "periodInSeconds": 1}));
                    }
                    json!({"domain": d.as_str().to_lowercase(), "limits": l})
                })
                .collect(),
        ))
    }
}

struct Ctx {
    started: Instant,
    request_id: String,
}

impl Ctx {
    fn took(&self) -> f64 {
        (self.started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0 + 0.001
    }

    fn headers(&self, b: http::response::Builder) -> http::response::Builder {
        b.header("X-Request-ID", &self.request_id)
            .header("X-Response-Time", format!("{:.3}", self.took()))
    }

    /// An Opsgenie JSON answer with `took` and `requestId` and
    /// `X-RateLimit-State: OK`.
    fn json(&self, status: u16, body: Value) -> Response {
        let mut body = match body {
            Value::Object(o) => o,
            other => {
                let mut o = serde_json::Map::new();
                o.insert("data".into(), other);
                o
            }
        };
        body.insert("took".into(), json!(self.took()));
        body.insert("requestId".into(), json!(self.request_id));
        self.headers(Response::builder())
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-RateLimit-State", "OK")
            .body(Body::from(Value::Object(body).to_string()))
            .unwrap_or_default()
    }

    fn error(&self, f: &Fail) -> Response {
        let mut o = serde_json::Map::new();
        o.insert("message".into(), json!(f.message));
        if let Some(e) = &f.errors {
            o.insert("errors".into(), json!(e));
        }
        self.json(f.status, Value::Object(o))
    }

    fn throttled(&self, domain: Domain, period: u64) -> Response {
        self.headers(Response::builder())
            .status(429)
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-RateLimit-State", "THROTTLED")
            .header("X-RateLimit-Reason", domain.as_str())
            .header("X-RateLimit-Period-In-Sec", period.to_string())
            .body(Body::from(
                json!({
                    "message": "You are making too many requests! To avoid errors, we recommend you limit requests.",
                    "took": self.took(),
                    "requestId": self.request_id,
                })
                .to_string(),
            ))
            .unwrap_or_default()
    }

    fn scim(&self, status: u16, body: Value) -> Response {
        let b = self
            .headers(Response::builder())
            .status(status)
            .header(header::CONTENT_TYPE, "application/scim+json");
        if status == 204 {
            return b.body(Body::empty()).unwrap_or_default();
        }
        b.body(Body::from(body.to_string())).unwrap_or_default()
    }
}

fn html_503() -> Response {
    Response::builder()
        .status(503)
        .header(header::CONTENT_TYPE, "text/html")
        .body(Body::from(
            "<html><head><title>503 Service Temporarily Unavailable</title></head>\
             <body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
        ))
        .unwrap_or_default()
}

/// An answer whose body fails at once: hyper closes the connection and the
/// client sees it drop without a complete response.
fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("simulated dropped connection"))
    });
    Response::builder()
        .status(200)
        .header(header::CONTENT_LENGTH, "1048576")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let ct = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            ct == "application/json" || ct == "application/scim+json"
        })
        .unwrap_or(false)
}

pub(crate) async fn handle(
    AxState(sh): AxState<Arc<Shared>>,
    req: axum::extract::Request,
) -> Response {
    let ctx = Ctx {
        started: Instant::now(),
        request_id: sh.request_id(),
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 8 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let (api, domain) = classify(&parts.method, &path);
    let json_body: Option<Value> = if bytes.is_empty() {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    let mut record = RequestRecord {
        request_id: ctx.request_id.clone(),
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(String::from),
        body: json_body.clone(),
        domain,
        status: None,
        throttled: false,
        fault: None,
        served: None,
    };
    let fault = sh
        .take_fault(&parts.method, &path)
        .or_else(|| sh.random_fault(&parts.method, &path, parts.uri.query(), &bytes));
    record.fault = fault.clone();
    // Logged on arrival: a client that gives up (timeout) drops this future.
    lock(&sh.log).push(record.clone());
    // What replaces the normal answer, and whether the request is applied first.
    // A delay starts once the request is admitted (it counts against the
    // rate limit when it arrives, as at a gateway), then it is handled.
    let applied = fault.as_ref().is_none_or(Fault::applies);
    let (replace, delay) = match &fault {
        Some(Fault::AfterCommit(inner)) => (Some((**inner).clone()), None),
        Some(Fault::DropAfterCommit) => (Some(Fault::Drop), None),
        Some(Fault::Delay(d)) => (None, Some(*d)),
        Some(other) => (Some(other.clone()), None),
        None => (None, None),
    };
    let served = if applied {
        Some(
            serve(
                &sh,
                &ctx,
                &parts,
                (api, domain),
                &bytes,
                json_body,
                &mut record,
                delay,
            )
            .await,
        )
    } else {
        None
    };
    record.served = served.as_ref().map(|r| r.status().as_u16());
    let resp = match replace {
        Some(Fault::Html503) => html_503(),
        Some(Fault::Status(s)) => ctx.error(&fail(s, "Internal Server Error")),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            served.unwrap_or_else(|| ctx.error(&fail(500, "Internal Server Error")))
        }
        Some(_) => dropped(),
        None => served.unwrap_or_else(|| ctx.error(&fail(500, "Internal Server Error"))),
    };
    let dropped_conn = record.fault.as_ref().is_some_and(Fault::drops);
    record.status = (!dropped_conn).then(|| resp.status().as_u16());
    let mut log = lock(&sh.log);
    if let Some(r) = log
        .iter_mut()
        .rev()
        .find(|r| r.request_id == record.request_id)
    {
        *r = record;
    }
    resp
}

/// Handles a request: authentication, rate limit, then (after `delay`, an
/// injected slow answer) rights, body checks and the REST or SCIM dispatcher.
#[allow(clippy::too_many_arguments)]
async fn serve(
    sh: &Shared,
    ctx: &Ctx,
    parts: &http::request::Parts,
    (api, domain): (Api, Domain),
    bytes: &[u8],
    json_body: Option<Value>,
    record: &mut RequestRecord,
    delay: Option<std::time::Duration>,
) -> Response {
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_default();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body_ok = bytes.is_empty() || json_body.is_some();
    match api {
        Api::Unknown => ctx.error(&fail(404, "No handler found for this path")),
        Api::Rest => {
            let key = auth
                .strip_prefix("GenieKey ")
                .map(str::trim)
                .unwrap_or_default();
            let rights = lock(&sh.keys)
                .iter()
                .find(|(k, _)| !key.is_empty() && k == key)
                .map(|(_, r)| *r);
            let Some(rights) = rights else {
                return ctx.error(&fail(401, "Could not authenticate"));
            };
            if let Err(period) = sh.admit(domain) {
                record.throttled = true;
                *lock(&sh.throttled).entry(domain).or_default() += 1;
                return ctx.throttled(domain, period);
            }
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let allowed = rights.configuration_access
                && match parts.method {
                    Method::GET | Method::HEAD => rights.read,
                    Method::DELETE => rights.delete,
                    _ => rights.create_update,
                };
            if !allowed {
                return ctx.error(&fail(
                    403,
                    "The API key is not authorized for this request: it needs Configuration Access and the right for this operation",
                ));
            }
            if !bytes.is_empty()
                && matches!(parts.method, Method::POST | Method::PATCH | Method::PUT)
            {
                if !is_json(&parts.headers) {
                    return ctx.error(&fail(415, "Unsupported Media Type: send application/json"));
                }
                if !body_ok {
                    return ctx.error(&fail(400, "Could not read the request body: invalid JSON"));
                }
            }
            let req = Req {
                method: parts.method.clone(),
                segs: rest_segments(parts.uri.path()),
                query,
                body: json_body,
                base: host,
            };
            let limits = sh.limits_json();
            if limits.is_none() && req.method == Method::GET && req.segs == ["v2", "request-limits"]
            {
                // An account (or a proxy) without the undocumented endpoint.
                return ctx.error(&fail(404, "No handler found for this path and method"));
            }
            let limits = limits.unwrap_or_default();
            let mut st = lock(&sh.state);
            match rest::dispatch(&mut st, &req, limits) {
                Ok((status, body)) => ctx.json(status, body),
                Err(f) => ctx.error(&f),
            }
        }
        Api::Scim(segs) => {
            let token = auth.strip_prefix("Bearer ").map(str::trim).unwrap_or("");
            if token.is_empty() || token != sh.scim_token {
                return ctx.scim(
                    401,
                    json!({"error": "Unauthorized", "traceId": ctx.request_id}),
                );
            }
            if segs.first().map(String::as_str) != Some(sh.directory.as_str()) {
                return ctx.scim(404, scim::error_body(&fail(404, "Directory not found")));
            }
            if let Err(_period) = sh.admit(domain) {
                record.throttled = true;
                *lock(&sh.throttled).entry(domain).or_default() += 1;
                return ctx.scim(429, scim::error_body(&fail(429, "Too many requests")));
            }
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            if !body_ok {
                return ctx.scim(
                    400,
                    scim::error_body(&fail(400, "Could not read the request body: invalid JSON")),
                );
            }
            let req = Req {
                method: parts.method.clone(),
                segs: Vec::new(),
                query,
                body: json_body,
                base: host.clone(),
            };
            let rest: Vec<&str> = segs[1..].iter().map(String::as_str).collect();
            let base = format!("{host}/scim/directory/{}", sh.directory);
            let mut st = lock(&sh.state);
            match scim::dispatch(&mut st, &req, &rest, &base) {
                Ok((status, body)) => ctx.scim(status, body),
                Err(f) => ctx.scim(f.status, scim::error_body(&f)),
            }
        }
    }
}
