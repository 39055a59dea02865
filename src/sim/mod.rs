//! An embedded, in-memory Opsgenie account for tests, examples and demos
//! (feature `sim`).
//!
//! [`Server::start`] binds `127.0.0.1` on a free port and serves the REST v2
//! calls this SDK wraps (users, contacts, teams and members, team roles,
//! custom user roles, schedules and rotations, escalations, forwarding rules)
//! and the Atlassian SCIM Users/Groups subset, with the behaviour the live
//! API is known for:
//!
//! * `Authorization: GenieKey <key>`: unknown key 401; a key without
//!   Configuration Access (or without the right for the method) 403.
//! * Usernames are stored lowercased and cannot be changed (PATCH with another
//!   username answers 422); duplicate username 422; duplicate team name 409.
//! * Role names are case-sensitive and an unknown role silently becomes `User`.
//! * Deleting a user referenced by a schedule rotation or escalation, or the
//!   sole Owner, answers 422. Stakeholders cannot join teams or rotations (422).
//! * List Users: `limit` 1..=100 (default 20), `offset`, `sort`
//!   (`username|fullName|insertedAt`; `sortField` too), `order`, `query`
//!   (`field:value`), `totalCount` and absolute `paging` links.
//! * Per-domain rate limits (List Users is `Search`, the rest
//!   `Configuration`, SCIM `Scim`) with a per-second and a per-minute rolling
//!   window: 429 with `X-RateLimit-State: THROTTLED`, `X-RateLimit-Reason` and
//!   `X-RateLimit-Period-In-Sec`, never `Retry-After`. Every other answer
//!   carries `X-RateLimit-State: OK`; every JSON answer `took` and `requestId`.
//! * Fault injection ([`Fault`]): JSON 5xx, the CDN's HTML 503, a dropped
//!   connection (before or after the write was applied), a delay.
//!
//! The account starts with one user, its sole Owner `owner@example.com`;
//! [`Seed`] adds deterministic users, teams and schedules. Tests read the
//! state back ([`Server::users`], [`Server::teams`], ...) and the request log
//! ([`Server::requests`], [`Server::throttled`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use opsgenie_users::sim::{Seed, Server};
//! use opsgenie_users::{ApiRequest, Domain};
//!
//! let server = Server::builder().seed(Seed::new().users(30).teams(2)).start().await?;
//! let client = server.client();
//! let page: serde_json::Value = client
//!     .send(ApiRequest::get(Domain::Search).path("v2/users").query("limit", 10))
//!     .await?
//!     .json()?;
//! assert_eq!(page["totalCount"], 31); // 30 seeded + the account owner
//! assert_eq!(server.users().len(), 31);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Where the simulator knowingly departs from the official OpenAPI spec (it
//! follows the live API), the item documenting the behaviour says so; see
//! also `docs/simulator.md` in the repository.

mod model;
mod rest;
mod scim;
mod state;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::response::Response;
use http::{header, HeaderMap, Method};
use serde_json::{json, Value};
use tokio::time::Instant;

pub use model::*;

use crate::ratelimit::Domain;
use crate::{Client, ClientBuilder};
use rest::Req;
use state::{fail, Fail, SeedCounts, State};

/// What an API key may do, as set in Opsgenie's API key management.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyRights {
    /// Read (GET).
    pub read: bool,
    /// Create and update (POST, PATCH, PUT).
    pub create_update: bool,
    /// Delete (DELETE).
    pub delete: bool,
    /// Configuration Access: required by every user, team and role call.
    pub configuration_access: bool,
}

impl KeyRights {
    /// Every right.
    pub const fn full() -> Self {
        KeyRights {
            read: true,
            create_update: true,
            delete: true,
            configuration_access: true,
        }
    }

    /// Read and Configuration Access only: writes answer 403.
    pub const fn read_only() -> Self {
        KeyRights {
            read: true,
            create_update: false,
            delete: false,
            configuration_access: true,
        }
    }

    /// Read, Create/Update and Delete but no Configuration Access: every
    /// call the simulator serves answers 403 (the mistake the guides warn about).
    pub const fn without_configuration_access() -> Self {
        KeyRights {
            read: true,
            create_update: true,
            delete: true,
            configuration_access: false,
        }
    }
}

/// A per-domain limit: a per-minute and a per-second rolling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limit {
    /// Requests accepted in any 60-second window.
    pub per_minute: Option<u32>,
    /// Requests accepted in any 1-second window.
    pub per_second: Option<u32>,
}

impl Limit {
    /// Both windows.
    pub const fn new(per_minute: u32, per_second: u32) -> Self {
        Limit {
            per_minute: Some(per_minute),
            per_second: Some(per_second),
        }
    }
}

/// A failure to inject instead of (or around) the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status with an Opsgenie JSON error body; nothing is applied.
    Status(u16),
    /// Answer the CDN's HTML `503 Service Unavailable` page (no rate-limit headers).
    Html503,
    /// Close the connection without an answer; nothing is applied.
    Drop,
    /// Apply the request, then close the connection without an answer (a
    /// create whose answer was lost).
    DropAfterCommit,
    /// Wait this long, then answer normally.
    Delay(Duration),
}

/// When to inject a [`Fault`]: matching requests, how many times.
#[derive(Debug, Clone)]
pub struct FaultRule {
    fault: Fault,
    method: Option<Method>,
    path_prefix: Option<String>,
    remaining: Option<u32>,
}

impl FaultRule {
    /// Injects `fault` into every request until [`times`](Self::times) says otherwise.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            fault,
            method: None,
            path_prefix: None,
            remaining: None,
        }
    }

    /// Only requests with this method.
    pub fn method(mut self, m: Method) -> Self {
        self.method = Some(m);
        self
    }

    /// Only requests whose (still encoded) path starts with `prefix`, e.g. `/v2/users`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, m: &Method, path: &str) -> bool {
        self.remaining != Some(0)
            && self.method.as_ref().is_none_or(|x| x == m)
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

/// How many objects to create at start. Deterministic for a given
/// [`ServerBuilder::rng_seed`].
///
/// * users `user0001@example.com`...: every 10th an Admin, some Observers and
///   Stakeholders, the rest Users;
/// * teams `team-01`...: non-stakeholder users spread round-robin, the first
///   member of each team its admin (plus the `<team>_schedule` and
///   `<team>_escalation` Opsgenie creates with every team);
/// * schedules `schedule-01`...: one weekly rotation with two users each and
///   an escalation `schedule-NN-escalation` notifying the schedule then its
///   first user (so those users cannot be deleted until handed over).
#[derive(Debug, Clone, Copy, Default)]
pub struct Seed(SeedCounts);

impl Seed {
    /// Nothing (the account owner only).
    pub fn new() -> Self {
        Seed::default()
    }
    /// This many users.
    pub fn users(mut self, n: usize) -> Self {
        self.0.users = n;
        self
    }
    /// This many teams.
    pub fn teams(mut self, n: usize) -> Self {
        self.0.teams = n;
        self
    }
    /// This many schedules (each with a rotation and an escalation).
    pub fn schedules(mut self, n: usize) -> Self {
        self.0.schedules = n;
        self
    }
}

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
}

#[derive(Debug)]
struct Window {
    limit: Limit,
    hits: VecDeque<Instant>,
}

impl Window {
    /// Records a hit, or returns the period (1 or 60) of the window that is full.
    fn admit(&mut self, now: Instant) -> Result<(), u64> {
        while self
            .hits
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.hits.pop_front();
        }
        if let Some(ps) = self.limit.per_second {
            let recent = self
                .hits
                .iter()
                .rev()
                .take_while(|t| now.duration_since(**t) < Duration::from_secs(1))
                .count();
            if recent >= ps as usize {
                return Err(1);
            }
        }
        if let Some(pm) = self.limit.per_minute {
            if self.hits.len() >= pm as usize {
                return Err(60);
            }
        }
        self.hits.push_back(now);
        Ok(())
    }
}

struct Shared {
    state: Mutex<State>,
    keys: Mutex<Vec<(String, KeyRights)>>,
    admin_key: String,
    scim_token: String,
    directory: String,
    limits: Mutex<BTreeMap<Domain, Window>>,
    faults: Mutex<Vec<FaultRule>>,
    log: Mutex<Vec<RequestRecord>>,
    throttled: Mutex<BTreeMap<Domain, u64>>,
    counter: AtomicU64,
    id_salt: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave our data half-written in a
    // way later requests care about; keep serving.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Configures a [`Server`] before it starts.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    seed: Seed,
    rng_seed: u64,
    limits: BTreeMap<Domain, Limit>,
    api_key: Option<String>,
    scim_token: Option<String>,
    directory: String,
    addr: SocketAddr,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            seed: Seed::new(),
            rng_seed: 0x0951_6e1e,
            limits: BTreeMap::new(),
            api_key: None,
            scim_token: None,
            directory: "sim-directory".into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl ServerBuilder {
    /// Objects to create at start.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// Seed of the id generator (same seed, same ids).
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = seed;
        self
    }

    /// Enforces `limit` on `domain` (no limit by default).
    pub fn limit(mut self, domain: Domain, limit: Limit) -> Self {
        self.limits.insert(domain, limit);
        self
    }

    /// The full-rights API key (default: random).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The SCIM bearer token (default: random).
    pub fn scim_token(mut self, token: impl Into<String>) -> Self {
        self.scim_token = Some(token.into());
        self
    }

    /// The SCIM directory id (default `sim-directory`).
    pub fn directory_id(mut self, id: impl Into<String>) -> Self {
        self.directory = id.into();
        self
    }

    /// Listen address (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let mut state = State::new(self.rng_seed);
        state.seed(self.seed.0);
        let salt = fastrand::u64(..);
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            keys: Mutex::new(Vec::new()),
            admin_key: self
                .api_key
                .unwrap_or_else(|| format!("sim-{:016x}", fastrand::u64(..))),
            scim_token: self
                .scim_token
                .unwrap_or_else(|| format!("sim-scim-{:016x}", fastrand::u64(..))),
            directory: self.directory,
            limits: Mutex::new(
                self.limits
                    .into_iter()
                    .map(|(d, limit)| {
                        (
                            d,
                            Window {
                                limit,
                                hits: VecDeque::new(),
                            },
                        )
                    })
                    .collect(),
            ),
            faults: Mutex::new(Vec::new()),
            log: Mutex::new(Vec::new()),
            throttled: Mutex::new(BTreeMap::new()),
            counter: AtomicU64::new(0),
            id_salt: salt,
        });
        let admin = shared.admin_key.clone();
        lock(&shared.keys).push((admin, KeyRights::full()));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Server {
            shared,
            url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running simulator. Stops when dropped or on [`shutdown`](Self::shutdown).
pub struct Server {
    shared: Arc<Shared>,
    url: String,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Server {
    /// Starts an empty account (its owner only) on a free loopback port.
    pub async fn start() -> std::io::Result<Server> {
        ServerBuilder::default().start().await
    }

    /// Configure first.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (give it to `ClientBuilder::base_url`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full-rights API key.
    pub fn api_key(&self) -> &str {
        &self.shared.admin_key
    }

    /// A client builder with the simulator's URL and full-rights key set.
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .api_key(self.shared.admin_key.clone())
            .base_url(self.url.clone())
    }

    /// A ready client (default retry policy, full-rights key).
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            .expect("a loopback http URL and a non-empty key always build")
    }

    /// Registers another API key with `rights` and returns it.
    pub fn add_key(&self, rights: KeyRights) -> String {
        let key = format!("sim-{:016x}", fastrand::u64(..));
        lock(&self.shared.keys).push((key.clone(), rights));
        key
    }

    /// SCIM base URL: `<url>/scim/directory/<directory id>`.
    pub fn scim_url(&self) -> String {
        format!("{}/scim/directory/{}", self.url, self.shared.directory)
    }

    /// The SCIM directory id.
    pub fn directory_id(&self) -> &str {
        &self.shared.directory
    }

    /// The SCIM bearer token.
    pub fn scim_token(&self) -> &str {
        &self.shared.scim_token
    }

    /// Sets (or with `None` removes) the limit of `domain` at runtime.
    pub fn set_limit(&self, domain: Domain, limit: Option<Limit>) {
        let mut l = lock(&self.shared.limits);
        match limit {
            Some(limit) => {
                l.insert(
                    domain,
                    Window {
                        limit,
                        hits: VecDeque::new(),
                    },
                );
            }
            None => {
                l.remove(&domain);
            }
        }
    }

    /// Adds a fault rule (rules are tried in the order added).
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.faults).push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the request log (not the 429 counters).
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// How many requests of `domain` were answered 429.
    pub fn throttled(&self, domain: Domain) -> u64 {
        lock(&self.shared.throttled)
            .get(&domain)
            .copied()
            .unwrap_or(0)
    }

    /// How many requests were answered 429 in all.
    pub fn throttled_total(&self) -> u64 {
        lock(&self.shared.throttled).values().sum()
    }

    /// All users, in creation order.
    pub fn users(&self) -> Vec<User> {
        lock(&self.shared.state).users.clone()
    }

    /// A user by id or username (case-insensitive).
    pub fn user(&self, ident: &str) -> Option<User> {
        let st = lock(&self.shared.state);
        st.find_user(ident).map(|i| st.users[i].clone())
    }

    /// All teams.
    pub fn teams(&self) -> Vec<Team> {
        lock(&self.shared.state).teams.clone()
    }

    /// A team by name.
    pub fn team(&self, name: &str) -> Option<Team> {
        lock(&self.shared.state)
            .teams
            .iter()
            .find(|t| t.name == name)
            .cloned()
    }

    /// The custom user roles.
    pub fn custom_roles(&self) -> Vec<CustomRole> {
        lock(&self.shared.state).roles.clone()
    }

    /// All schedules.
    pub fn schedules(&self) -> Vec<Schedule> {
        lock(&self.shared.state).schedules.clone()
    }

    /// All escalations.
    pub fn escalations(&self) -> Vec<Escalation> {
        lock(&self.shared.state).escalations.clone()
    }

    /// All forwarding rules.
    pub fn forwarding_rules(&self) -> Vec<ForwardingRule> {
        lock(&self.shared.state).forwarding.clone()
    }

    /// The SCIM users.
    pub fn scim_users(&self) -> Vec<ScimResource> {
        lock(&self.shared.state).scim_users.clone()
    }

    /// The SCIM groups.
    pub fn scim_groups(&self) -> Vec<ScimResource> {
        lock(&self.shared.state).scim_groups.clone()
    }

    /// Marks a user as linked to an Atlassian account: from now on `fullName`
    /// updates answer 200 but change nothing. False if no such user.
    pub fn link_atlassian_account(&self, user: &str) -> bool {
        let mut st = lock(&self.shared.state);
        match st.find_user(user) {
            Some(i) => {
                st.users[i].atlassian_linked = true;
                true
            }
            None => false,
        }
    }

    /// Creates a schedule with one weekly rotation of `participants`
    /// (usernames) and returns its id; `None` if a user is unknown or the
    /// name is taken.
    pub fn add_schedule(&self, name: &str, participants: &[&str]) -> Option<String> {
        let mut st = lock(&self.shared.state);
        if st.schedules.iter().any(|s| s.name == name) {
            return None;
        }
        let mut ps = Vec::new();
        for p in participants {
            ps.push(st.user_recipient(st.find_user(p)?));
        }
        Some(st.push_schedule(name, String::new(), ps))
    }

    /// Creates an escalation notifying `users` (usernames) in turn, 10
    /// minutes apart, and returns its id; `None` if a user is unknown.
    pub fn add_escalation(&self, name: &str, users: &[&str]) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let mut rules = Vec::new();
        for (n, u) in users.iter().enumerate() {
            let i = st.find_user(u)?;
            rules.push(EscalationRule {
                condition: "if-not-acked".into(),
                notify_type: "default".into(),
                delay_minutes: 10 * n as i64,
                recipient: st.user_recipient(i),
            });
        }
        let id = st.uuid();
        st.escalations.push(Escalation {
            id: id.clone(),
            name: name.to_string(),
            description: String::new(),
            owner_team: None,
            rules,
        });
        Some(id)
    }

    /// Creates a forwarding rule from one user to another and returns its id.
    pub fn add_forwarding_rule(&self, from: &str, to: &str) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let f = st.find_user(from)?;
        let t = st.find_user(to)?;
        let id = st.uuid();
        let rule = ForwardingRule {
            id: id.clone(),
            alias: format!("forward-{}", st.users[f].username),
            from_user: st.users[f].id.clone(),
            to_user: st.users[t].id.clone(),
            start_date: state::now_rfc3339(),
            end_date: None,
        };
        st.forwarding.push(rule);
        Some(id)
    }

    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

// ---- HTTP layer -------------------------------------------------------------

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

    fn admit(&self, domain: Domain) -> Result<(), u64> {
        let mut limits = lock(&self.limits);
        match limits.get_mut(&domain) {
            Some(w) => w.admit(Instant::now()),
            None => Ok(()),
        }
    }

    fn limits_json(&self) -> Value {
        let limits = lock(&self.limits);
        Value::Array(
            limits
                .iter()
                .map(|(d, w)| {
                    let mut l = Vec::new();
                    if let Some(pm) = w.limit.per_minute {
                        l.push(json!({"limit": pm, "periodInSeconds": 60}));
                    }
                    if let Some(ps) = w.limit.per_second {
                        l.push(json!({"limit": ps, "periodInSeconds": 1}));
                    }
                    json!({"domain": d.as_str().to_lowercase(), "limits": l})
                })
                .collect(),
        )
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

async fn handle(AxState(sh): AxState<Arc<Shared>>, req: axum::extract::Request) -> Response {
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
    };
    let fault = sh.take_fault(&parts.method, &path);
    record.fault = fault.clone();
    // Logged on arrival: a client that gives up (timeout) drops this future.
    lock(&sh.log).push(record.clone());
    let resp = match &fault {
        Some(Fault::Html503) => Some(html_503()),
        Some(Fault::Status(s)) => Some(ctx.error(&fail(*s, "Internal Server Error"))),
        Some(Fault::Drop) => Some(dropped()),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(*d).await;
            None
        }
        Some(Fault::DropAfterCommit) | None => None,
    };
    let resp = match resp {
        Some(r) => r,
        None => {
            let r = serve(
                &sh,
                &ctx,
                &parts,
                api,
                domain,
                &bytes,
                json_body,
                &mut record,
            );
            if fault == Some(Fault::DropAfterCommit) {
                dropped()
            } else {
                r
            }
        }
    };
    let dropped_conn = matches!(record.fault, Some(Fault::Drop | Fault::DropAfterCommit));
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

#[allow(clippy::too_many_arguments)]
fn serve(
    sh: &Shared,
    ctx: &Ctx,
    parts: &http::request::Parts,
    api: Api,
    domain: Domain,
    bytes: &[u8],
    json_body: Option<Value>,
    record: &mut RequestRecord,
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
