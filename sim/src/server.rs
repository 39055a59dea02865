//! The simulator's configuration ([`ServerBuilder`], [`Seed`], [`KeyRights`])
//! and the running [`Server`] with its state accessors.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opsgenie_users::ratelimit::Limits;
use opsgenie_users::{Client, ClientBuilder, Domain};

use crate::fault::{FaultRule, RandomFaultState, RandomFaults};
use crate::handler::{self, lock, RequestRecord, Shared};
use crate::model::*;
use crate::state::{SeedCounts, State};
use crate::window::RollingWindow;

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

/// What the undocumented `GET /v2/request-limits/` answers. The live API
/// serves it on the accounts Opsgenie's own backup tool reads, but it is not
/// in the spec, may be missing behind a proxy, and may disagree with what the
/// server enforces (API-NOTES: "optional and possibly stale").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestLimits {
    /// The limits the simulator enforces (the default).
    #[default]
    Enforced,
    /// These limits, whatever is enforced: a stale or wrong advertisement.
    /// Domains not listed are not advertised.
    Advertised(BTreeMap<Domain, Limits>),
    /// 404, as where the endpoint does not exist. The request still counts
    /// against the Configuration quota.
    NotFound,
}

/// Configures a [`Server`] before it starts.
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    seed: Seed,
    rng_seed: u64,
    limits: BTreeMap<Domain, Limits>,
    api_key: Option<String>,
    scim_token: Option<String>,
    directory: String,
    addr: SocketAddr,
    random_faults: Option<RandomFaults>,
    request_limits: RequestLimits,
    background: Vec<(Domain, f64)>,
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
            random_faults: None,
            request_limits: RequestLimits::Enforced,
            background: Vec::new(),
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
    pub fn limit(mut self, domain: Domain, limit: Limits) -> Self {
        self.limits.insert(domain, limit);
        self
    }

    /// What `GET /v2/request-limits/` answers (default: the enforced limits).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use opsgenie_users::{ApiRequest, Domain, Error};
    /// use opsgenie_users_sim::{RequestLimits, Server};
    /// let server = Server::builder().request_limits(RequestLimits::NotFound).start().await?;
    /// let asked = server
    ///     .client()
    ///     .send(ApiRequest::get(Domain::Configuration).path("v2/request-limits/"))
    ///     .await;
    /// assert!(matches!(asked, Err(Error::NotFound(_))));
    /// # Ok(()) }
    /// ```
    pub fn request_limits(mut self, answer: RequestLimits) -> Self {
        self.request_limits = answer;
        self
    }

    /// Advertises `limits` for `domain` in `GET /v2/request-limits/`,
    /// whatever [`limit`](Self::limit) enforces (e.g. four times too high).
    /// Once called, only the domains advertised this way are listed.
    pub fn advertise(mut self, domain: Domain, limits: Limits) -> Self {
        let mut map = match self.request_limits {
            RequestLimits::Advertised(map) => map,
            _ => BTreeMap::new(),
        };
        map.insert(domain, limits);
        self.request_limits = RequestLimits::Advertised(map);
        self
    }

    /// Another consumer of the account's quota (another tool, a second
    /// replica) sends `per_second` requests a second in `domain` for as long
    /// as the server runs, evenly spaced. Its requests count in the
    /// domain's windows like any other; refused ones do not. See also
    /// [`Server::other_consumer`] for a one-off burst.
    pub fn background_load(mut self, domain: Domain, per_second: f64) -> Self {
        if per_second.is_finite() && per_second > 0.0 {
            self.background.push((domain, per_second));
        }
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

    /// Faults a seeded random share of the requests (none by default).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use opsgenie_users_sim::{RandomFaults, Server};
    /// let server = Server::builder().random_faults(RandomFaults::new(0.05, 1)).start().await?;
    /// # drop(server); Ok(()) }
    /// ```
    pub fn random_faults(mut self, faults: RandomFaults) -> Self {
        self.random_faults = Some(faults);
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
                    .map(|(d, limit)| (d, RollingWindow::new(limit)))
                    .collect(),
            ),
            request_limits: self.request_limits,
            others: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(Vec::new()),
            random_faults: Mutex::new(self.random_faults.map(RandomFaultState::new)),
            log: Mutex::new(Vec::new()),
            throttled: Mutex::new(BTreeMap::new()),
            counter: AtomicU64::new(0),
            id_salt: salt,
        });
        let admin = shared.admin_key.clone();
        lock(&shared.keys).push((admin, KeyRights::full()));
        let app = axum::Router::new()
            .fallback(handler::handle)
            .with_state(shared.clone());
        let background = self
            .background
            .into_iter()
            .map(|(domain, rate)| {
                let weak = Arc::downgrade(&shared);
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        let Some(shared) = weak.upgrade() else { return };
                        shared.other_consumer(domain, 1);
                    }
                })
            })
            .collect();
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
            background,
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
    /// The [`ServerBuilder::background_load`] tasks.
    background: Vec<tokio::task::JoinHandle<()>>,
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
        for task in &self.background {
            task.abort();
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
    /// Requests already accepted keep counting against the new limit.
    pub fn set_limit(&self, domain: Domain, limit: Option<Limits>) {
        let mut windows = lock(&self.shared.limits);
        match limit {
            Some(limit) => windows
                .entry(domain)
                .or_insert_with(|| RollingWindow::new(limit))
                .set_limits(limit),
            None => {
                windows.remove(&domain);
            }
        }
    }

    /// Another consumer of the account's quota sends `n` requests in
    /// `domain` at once (a burst of another tool, or the last requests of a
    /// run that was just interrupted); returns how many the domain's windows
    /// accepted. They fill the windows like any request but are not in
    /// [`requests`](Self::requests) nor in [`throttled`](Self::throttled).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use opsgenie_users::{ratelimit::Limits, Domain};
    /// use opsgenie_users_sim::Server;
    /// let server = Server::builder()
    ///     .limit(Domain::Configuration, Limits::per_minute(5))
    ///     .start()
    ///     .await?;
    /// assert_eq!(server.other_consumer(Domain::Configuration, 8), 5);
    /// assert_eq!(server.others(Domain::Configuration), (5, 3));
    /// # Ok(()) }
    /// ```
    pub fn other_consumer(&self, domain: Domain, n: u64) -> u64 {
        self.shared.other_consumer(domain, n)
    }

    /// Requests of other consumers ([`other_consumer`](Self::other_consumer),
    /// [`ServerBuilder::background_load`]) in `domain`: (accepted, refused).
    pub fn others(&self, domain: Domain) -> (u64, u64) {
        lock(&self.shared.others)
            .get(&domain)
            .copied()
            .unwrap_or((0, 0))
    }

    /// Adds a fault rule (rules are tried in the order added).
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.shared.faults).push(rule);
    }

    /// Removes every fault rule (random faults stay: see [`set_random_faults`](Self::set_random_faults)).
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Starts (or with `None` stops) faulting a seeded random share of the
    /// requests. Starting afresh forgets which requests were seen.
    pub fn set_random_faults(&self, faults: Option<RandomFaults>) {
        *lock(&self.shared.random_faults) = faults.map(RandomFaultState::new);
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
            let mut rule = EscalationRule::notify(st.user_recipient(i));
            rule.delay = Delay::minutes(10 * n as i64);
            rules.push(rule);
        }
        let id = st.uuid();
        st.escalations.push(Escalation {
            id: id.clone(),
            name: name.to_string(),
            description: String::new(),
            owner_team: None,
            rules,
            repeat: None,
            extra: Unmodelled::new(),
        });
        Some(id)
    }

    /// Creates a forwarding rule from one user to another, from now for 30
    /// days (the spec requires an end), and returns its id.
    pub fn add_forwarding_rule(&self, from: &str, to: &str) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let f = st.find_user(from)?;
        let t = st.find_user(to)?;
        let id = st.uuid();
        let now = jiff::Timestamp::now();
        let end = now
            .checked_add(jiff::SignedDuration::from_hours(30 * 24))
            .unwrap_or(now);
        let rule = ForwardingRule {
            id: id.clone(),
            alias: format!("forward-{}", st.users[f].username),
            from_user: st.users[f].id.clone(),
            to_user: st.users[t].id.clone(),
            start_date: format!("{now:.3}"),
            end_date: Some(format!("{end:.3}")),
        };
        st.forwarding.push(rule);
        Some(id)
    }

    /// Adds an override to schedule `schedule` (its name) putting `user` on
    /// call for the whole of 2027, and returns its alias; `None` if the
    /// schedule or the user is unknown or the alias is taken.
    pub fn add_override(&self, schedule: &str, user: &str, alias: &str) -> Option<String> {
        let mut st = lock(&self.shared.state);
        let s = st.schedules.iter().position(|s| s.name == schedule)?;
        let u = st.find_user(user)?;
        if st.schedules[s].overrides.iter().any(|o| o.alias == alias) {
            return None;
        }
        let user = st.user_recipient(u);
        st.schedules[s].overrides.push(ScheduleOverride {
            alias: alias.to_string(),
            user,
            start_date: "2027-01-01T00:00:00Z".into(),
            end_date: "2028-01-01T00:00:00Z".into(),
            rotations: Vec::new(),
        });
        Some(alias.to_string())
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
