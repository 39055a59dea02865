//! An in-memory Atlassian organization for code that manages people after
//! Opsgenie: the Admin API (directory users, groups, invitations), the
//! Teams public API (teams and members) and the JSM Operations REST API
//! (teams with Operations, team roles, custom user roles, schedules and
//! rotations, escalations, forwarding rules), served by one
//! [`AtlassianServer`] on a loopback port.
//!
//! The shapes follow Atlassian's documentation (Admin:
//! <https://developer.atlassian.com/cloud/admin/organization/rest/intro/>, Teams:
//! <https://developer.atlassian.com/platform/teams/rest/v1/>, JSM Operations:
//! <https://developer.atlassian.com/cloud/jira/service-desk-ops/rest/v2/intro/>),
//! not any client's; where the documentation is silent the simulator says
//! what it chose on the item:
//!
//! * Paths: `/admin/v2/orgs/{orgId}/...`, `/gateway/api/public/teams/v1/org/{orgId}/teams/...`,
//!   `/jsm/ops/api/{cloudId}/v1/...`; another org or cloud id is 404.
//! * Auth: the Admin API wants `Authorization: Bearer <org API key>`, the
//!   other two `Basic base64(email:token)`; anything else is 401 (a Bearer
//!   key on the Teams or JSM API too).
//! * Paging: Admin `cursor`/`limit` (default 100, 1..=1000) answering
//!   `{data, links: {next}}`; Teams lists `cursor`/`size` (default 50,
//!   1..=300) answering `{entities, cursor}`, members `{first, after}` in the
//!   body (default 50, 1..=50 here) answering `{results, pageInfo}`; JSM
//!   `offset`/`size` (default 20, 1..=100 here) answering
//!   `{values, links: {next}}` with an absolute `next` URL.
//! * Teams `members/add` and `/remove` take 1 to 50 members (400 otherwise)
//!   and report unknown accounts or non-members in `errors` with 200.
//! * Role-assignment lists are grouped by resource, in the shape of
//!   Atlassian's published schema (as clients generated from it carry it):
//!   a group's (`GET .../groups/{groupId}/role-assignments`) are
//!   `{resourceId, roles, defaultRole}` items; a user's
//!   (`GET .../directories/{directoryId}/users/{accountId}/role-assignments`)
//!   are `{resourceId, roleAssignments: [{role, roleAssignmentMethods}],
//!   roles, userDirectoryStatus}` items, from the groups the user is in (the
//!   simulator gives roles to groups only).
//! * JSM calls on a team need Operations enabled on it (404 before);
//!   `enable-ops` on an enabled team is 409; rotation participants and
//!   escalation recipients of type `user` must be directory users (400).
//! * Error bodies: Admin `{"errors": [{"status", "code", "title", "detail"}]}`,
//!   Teams `{"code", "message"}`, JSM `{"message", "errors": [{"title"}]}`
//!   (the simulator's choice where Atlassian does not show one).
//! * Admin users search (`POST .../directories/{directoryId}/users/search`,
//!   directory `-` for all): `emails` match whole addresses ignoring case
//!   (the simulator's choice: the documentation says "exact"), `searchTerm`
//!   part of a name or address; both together is 400, as documented; a
//!   body field it does not know, or one it does not simulate (`roleIds`,
//!   `resourceIds`, `directoryIds`, `sortBy`), is 400; `limit` 1..=100
//!   (default 50).
//! * JSM custom user roles `{id, name, extendedRole, grantedRights,
//!   disallowedRights}`: `POST /v1/roles` answers 201 `{message, data: {id,
//!   name}}` (a taken name 409); `PUT /v1/roles/{identifier}` replaces name
//!   and both right lists and takes only `id`, `name`, `grantedRights`,
//!   `disallowedRights` (anything else is 400); `identifierType` is `id`
//!   (default) or `name`; a right both granted and disallowed is 400;
//!   deleting a role still assigned to someone is 409 (Atlassian refuses it
//!   with a status it does not document).
//! * JSM forwarding rules `{id, fromUserId, toUserId, startDate, endDate}`;
//!   `PUT /v1/forwarding-rules/{id}` needs all four (the create's required
//!   fields), users that exist and an end after the start (400 otherwise).
//! * [`AtlassianServer::fail_next`] answers a status instead (a 429 carries
//!   `Retry-After: 1`); [`AtlassianServer::fail_next_retry_after`] with any
//!   `Retry-After`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use opsgenie_users_sim::atlassian::AtlassianServer;
//! let server = AtlassianServer::start().await?;
//! let jane = server.add_user("jane@example.com", "Jane");
//! let team = server.add_team("SRE", &[&jane]);
//! server.enable_ops(&team, &[&jane]);
//! assert_eq!(server.team(&team).unwrap().members, vec![jane]);
//! # Ok(()) }
//! ```

mod handler;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::handler::lock;

/// A user of the organization's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirUser {
    /// The account id.
    pub account_id: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
}

/// A group of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Member account ids.
    pub members: Vec<String>,
    /// `(roleId, resourceId)` pairs.
    pub roles: Vec<(String, String)>,
}

/// A platform team, with its JSM Operations side.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimTeam {
    /// The team id (a UUID).
    pub team_id: String,
    /// Its name.
    pub display_name: String,
    /// Member account ids, in the order added.
    pub members: Vec<String>,
    /// Operations enabled.
    pub ops_enabled: bool,
    /// Operations admins named by `enable-ops`.
    pub ops_admins: Vec<String>,
    /// Custom team roles (`{id, name, rights}` as stored).
    pub team_roles: Vec<Value>,
}

/// A JSM Operations schedule with its rotations.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimSchedule {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Owner team.
    pub team_id: Option<String>,
    /// Rotations as stored (`{id, name, type, length, participants, ...}`).
    pub rotations: Vec<Value>,
}

/// A JSM Operations escalation of a team.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimEscalation {
    /// Its id.
    pub id: String,
    /// Owner team.
    pub team_id: String,
    /// Escalation as stored (`{id, name, rules, ...}`).
    pub body: Value,
}

/// A JSM Operations custom user role and whom it was assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SimCustomRole {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The built-in role it extends (`user`, `observer`, `stakeholder`).
    pub extended_role: String,
    /// Rights granted beyond the extended role.
    pub granted_rights: Vec<String>,
    /// Rights taken away from the extended role.
    pub disallowed_rights: Vec<String>,
    /// Account ids it was assigned to.
    pub users: Vec<String>,
}

/// One request as the Atlassian simulator saw it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AtlassianRequest {
    /// Method.
    pub method: String,
    /// Path as received (percent-encoded).
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// The scheme of `Authorization` (`Bearer`, `Basic`), never the credential.
    pub auth_scheme: Option<String>,
    /// JSON body.
    pub body: Option<Value>,
    /// Status answered.
    pub status: u16,
}

#[derive(Default)]
pub(crate) struct AState {
    pub(crate) users: Vec<DirUser>,
    pub(crate) groups: Vec<DirGroup>,
    pub(crate) teams: Vec<SimTeam>,
    pub(crate) schedules: Vec<SimSchedule>,
    pub(crate) escalations: Vec<SimEscalation>,
    pub(crate) roles: Vec<SimCustomRole>,
    pub(crate) forwarding: Vec<Value>,
    pub(crate) invitations: Vec<Value>,
    pub(crate) next_id: u64,
}

impl AState {
    pub(crate) fn uuid(&mut self) -> String {
        self.next_id += 1;
        let n = self.next_id;
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            n.wrapping_mul(0x9e37_79b9) & 0xffff_ffff,
            n & 0xffff,
            n & 0xfff,
            (n >> 12) & 0xfff,
            n
        )
    }

    pub(crate) fn account_id(&mut self) -> String {
        self.next_id += 1;
        format!(
            "712020:{:08x}-{:04x}-4000-a000-{:012x}",
            self.next_id, self.next_id, self.next_id
        )
    }

    pub(crate) fn user_by_account(&self, id: &str) -> Option<usize> {
        self.users.iter().position(|u| u.account_id == id)
    }
}

/// An injected failure: `(path prefix, status, remaining, Retry-After value)`.
pub(crate) type Failure = (String, u16, u32, Option<String>);

pub(crate) struct AShared {
    pub(crate) state: Mutex<AState>,
    pub(crate) org_id: String,
    pub(crate) directory_id: String,
    pub(crate) cloud_id: String,
    pub(crate) admin_key: String,
    pub(crate) email: String,
    pub(crate) api_token: String,
    pub(crate) log: Mutex<Vec<AtlassianRequest>>,
    pub(crate) failures: Mutex<Vec<Failure>>,
    pub(crate) url: String,
}

/// Configures an [`AtlassianServer`].
#[derive(Debug, Clone)]
pub struct AtlassianServerBuilder {
    org_id: String,
    directory_id: String,
    cloud_id: String,
    admin_key: Option<String>,
    email: String,
    api_token: Option<String>,
    addr: SocketAddr,
}

impl Default for AtlassianServerBuilder {
    fn default() -> Self {
        AtlassianServerBuilder {
            org_id: "sim-org".into(),
            directory_id: "sim-directory".into(),
            cloud_id: "sim-cloud".into(),
            admin_key: None,
            email: "admin@example.com".into(),
            api_token: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl AtlassianServerBuilder {
    /// The organization id (default `sim-org`).
    pub fn org_id(mut self, id: impl Into<String>) -> Self {
        self.org_id = id.into();
        self
    }
    /// The directory id (default `sim-directory`).
    pub fn directory_id(mut self, id: impl Into<String>) -> Self {
        self.directory_id = id.into();
        self
    }
    /// The site's cloud id (default `sim-cloud`).
    pub fn cloud_id(mut self, id: impl Into<String>) -> Self {
        self.cloud_id = id.into();
        self
    }
    /// The organization API key (default: random).
    pub fn admin_key(mut self, key: impl Into<String>) -> Self {
        self.admin_key = Some(key.into());
        self
    }
    /// The account e-mail and API token the Teams and JSM APIs accept
    /// (default `admin@example.com` and a random token).
    pub fn credentials(mut self, email: impl Into<String>, token: impl Into<String>) -> Self {
        self.email = email.into();
        self.api_token = Some(token.into());
        self
    }
    /// Listen address (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> std::io::Result<AtlassianServer> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(AShared {
            state: Mutex::new(AState::default()),
            org_id: self.org_id,
            directory_id: self.directory_id,
            cloud_id: self.cloud_id,
            admin_key: self
                .admin_key
                .unwrap_or_else(|| format!("sim-admin-{:016x}", fastrand::u64(..))),
            email: self.email,
            api_token: self
                .api_token
                .unwrap_or_else(|| format!("sim-token-{:016x}", fastrand::u64(..))),
            log: Mutex::new(Vec::new()),
            failures: Mutex::new(Vec::new()),
            url: format!("http://{addr}"),
        });
        let app = axum::Router::new()
            .fallback(handler::handle)
            .with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(AtlassianServer {
            shared,
            url: format!("http://{addr}"),
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running Atlassian simulator. Stops when dropped or on [`shutdown`](Self::shutdown).
pub struct AtlassianServer {
    shared: Arc<AShared>,
    url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for AtlassianServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtlassianServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for AtlassianServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl AtlassianServer {
    /// Starts an empty organization on a free loopback port.
    pub async fn start() -> std::io::Result<AtlassianServer> {
        AtlassianServerBuilder::default().start().await
    }

    /// Configure first.
    pub fn builder() -> AtlassianServerBuilder {
        AtlassianServerBuilder::default()
    }

    /// The server's URL, e.g. `http://127.0.0.1:41234`: the base URL of the
    /// Admin client and of the Teams client (it plays the site).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSM Operations base URL: `<url>/jsm/ops/api/<cloud id>`.
    pub fn jsm_url(&self) -> String {
        format!("{}/jsm/ops/api/{}", self.url, self.shared.cloud_id)
    }

    /// The organization id.
    pub fn org_id(&self) -> &str {
        &self.shared.org_id
    }

    /// The directory id.
    pub fn directory_id(&self) -> &str {
        &self.shared.directory_id
    }

    /// The cloud id.
    pub fn cloud_id(&self) -> &str {
        &self.shared.cloud_id
    }

    /// The organization API key (Admin API).
    pub fn admin_key(&self) -> &str {
        &self.shared.admin_key
    }

    /// The account e-mail the Teams and JSM APIs accept.
    pub fn email(&self) -> &str {
        &self.shared.email
    }

    /// Its API token.
    pub fn api_token(&self) -> &str {
        &self.shared.api_token
    }

    /// Adds an active directory user and returns the account id.
    pub fn add_user(&self, email: &str, name: &str) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.account_id();
        st.users.push(DirUser {
            account_id: id.clone(),
            email: email.to_string(),
            name: name.to_string(),
            status: "active".into(),
        });
        id
    }

    /// Adds a group and returns its id.
    pub fn add_group(&self, name: &str) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        st.groups.push(DirGroup {
            id: id.clone(),
            name: name.to_string(),
            members: Vec::new(),
            roles: Vec::new(),
        });
        id
    }

    /// Adds a platform team with these members (account ids) and returns its id.
    pub fn add_team(&self, name: &str, members: &[&str]) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        st.teams.push(SimTeam {
            team_id: id.clone(),
            display_name: name.to_string(),
            members: members.iter().map(|m| m.to_string()).collect(),
            ops_enabled: false,
            ops_admins: Vec::new(),
            team_roles: Vec::new(),
        });
        id
    }

    /// Enables Operations on a team (as `enable-ops` would). False if no such team.
    pub fn enable_ops(&self, team: &str, admins: &[&str]) -> bool {
        let mut st = lock(&self.shared.state);
        match st.teams.iter_mut().find(|t| t.team_id == team) {
            Some(t) => {
                t.ops_enabled = true;
                t.ops_admins = admins.iter().map(|a| a.to_string()).collect();
                true
            }
            None => false,
        }
    }

    /// Adds a schedule owned by `team` with one weekly rotation of these
    /// users (account ids); returns `(schedule id, rotation id)`.
    pub fn add_schedule(&self, name: &str, team: Option<&str>, users: &[&str]) -> (String, String) {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        let rot = st.uuid();
        let participants: Vec<Value> = users
            .iter()
            .map(|u| serde_json::json!({"type": "user", "id": u}))
            .collect();
        st.schedules.push(SimSchedule {
            id: id.clone(),
            name: name.to_string(),
            team_id: team.map(str::to_string),
            rotations: vec![serde_json::json!({
                "id": rot,
                "name": format!("{name} weekly"),
                "type": "weekly",
                "length": 1,
                "startDate": "2026-01-05T09:00:00Z",
                "participants": participants,
            })],
        });
        (id, rot)
    }

    /// Adds an escalation of `team` notifying these users (account ids) in
    /// turn, 10 minutes apart; returns its id.
    pub fn add_escalation(&self, team: &str, name: &str, users: &[&str]) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        let rules: Vec<Value> = users
            .iter()
            .enumerate()
            .map(|(n, u)| {
                serde_json::json!({
                    "condition": "if-not-acked",
                    "notifyType": "default",
                    "delay": {"timeAmount": 10 * n, "timeUnit": "minutes"},
                    "recipient": {"type": "user", "id": u},
                })
            })
            .collect();
        st.escalations.push(SimEscalation {
            id: id.clone(),
            team_id: team.to_string(),
            body: serde_json::json!({"id": id, "name": name, "rules": rules, "enabled": true}),
        });
        id
    }

    /// Adds a custom user role and returns its id.
    pub fn add_custom_role(&self, name: &str) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        st.roles.push(SimCustomRole {
            id: id.clone(),
            name: name.to_string(),
            extended_role: "user".into(),
            granted_rights: Vec::new(),
            disallowed_rights: Vec::new(),
            users: Vec::new(),
        });
        id
    }

    /// Adds a directory user to a group (as `POST .../memberships` would).
    /// False if the group or the user is unknown.
    pub fn add_to_group(&self, group: &str, account_id: &str) -> bool {
        let mut st = lock(&self.shared.state);
        if st.user_by_account(account_id).is_none() {
            return false;
        }
        match st.groups.iter_mut().find(|g| g.id == group) {
            Some(g) => {
                if !g.members.iter().any(|m| m == account_id) {
                    g.members.push(account_id.to_string());
                }
                true
            }
            None => false,
        }
    }

    /// Gives a group a product role on a resource (as
    /// `role-assignments/assign` would). False if no such group.
    pub fn assign_group_role(&self, group: &str, role_id: &str, resource_id: &str) -> bool {
        let mut st = lock(&self.shared.state);
        match st.groups.iter_mut().find(|g| g.id == group) {
            Some(g) => {
                let pair = (role_id.to_string(), resource_id.to_string());
                if !g.roles.contains(&pair) {
                    g.roles.push(pair);
                }
                true
            }
            None => false,
        }
    }

    /// The resource id (ARI) of Jira Service Management on this site:
    /// `ari:cloud:jira-servicedesk::site/<cloud id>`.
    pub fn jsm_resource(&self) -> String {
        format!("ari:cloud:jira-servicedesk::site/{}", self.shared.cloud_id)
    }

    /// Gives a custom user role to an account (as `roles/assign` would).
    /// False if the role or the user is unknown.
    pub fn assign_custom_role(&self, role: &str, account_id: &str) -> bool {
        let mut st = lock(&self.shared.state);
        if st.user_by_account(account_id).is_none() {
            return false;
        }
        match st.roles.iter_mut().find(|r| r.id == role || r.name == role) {
            Some(r) => {
                if !r.users.iter().any(|u| u == account_id) {
                    r.users.push(account_id.to_string());
                }
                true
            }
            None => false,
        }
    }

    /// Adds a forwarding rule from one account to another, for 2026, in the
    /// documented shape `{id, fromUserId, toUserId, startDate, endDate}`;
    /// returns its id.
    pub fn add_forwarding_rule(&self, from: &str, to: &str) -> String {
        let mut st = lock(&self.shared.state);
        let id = st.uuid();
        st.forwarding.push(serde_json::json!({
            "id": id,
            "fromUserId": from,
            "toUserId": to,
            "startDate": "2026-01-01T00:00:00Z",
            "endDate": "2027-01-01T00:00:00Z",
        }));
        id
    }

    /// Copies an Opsgenie simulator's account here the way Atlassian's
    /// migration moves it (support.atlassian.com, "Teams after
    /// migration"): each user becomes a directory account with the same
    /// e-mail, each team an Atlassian team with the same name and members and
    /// Operations enabled (its Opsgenie admins become Operations admins),
    /// each schedule and rotation keeps its name and participants, each
    /// team-owned escalation keeps its rules (recipients mapped to account,
    /// team and schedule ids). Product access follows the documented role
    /// mapping, given through groups (the simulator's choice of names):
    /// Users, Admins and custom-role holders join
    /// `jira-servicemanagement-users` (`atlassian/user` on
    /// [`jsm_resource`](Self::jsm_resource)), Owners
    /// `jira-servicemanagement-admins` (`atlassian/admin`), Stakeholders
    /// `jira-servicemanagement-stakeholders` (`atlassian/stakeholder`);
    /// Observers get nothing. Each Opsgenie custom role becomes a JSM custom
    /// user role of the same name, assigned to its holders. Returns Opsgenie
    /// user id -> account id. Users already here (same e-mail) are reused.
    pub fn migrate_from(
        &self,
        opsgenie: &crate::Server,
    ) -> std::collections::BTreeMap<String, String> {
        use std::collections::BTreeMap;
        let mut accounts: BTreeMap<String, String> = BTreeMap::new();
        let mut teams: BTreeMap<String, String> = BTreeMap::new();
        let resource = self.jsm_resource();
        let mut access: BTreeMap<&str, String> = BTreeMap::new();
        for (name, role) in [
            ("jira-servicemanagement-users", "atlassian/user"),
            ("jira-servicemanagement-admins", "atlassian/admin"),
            (
                "jira-servicemanagement-stakeholders",
                "atlassian/stakeholder",
            ),
        ] {
            let existing = self
                .groups()
                .into_iter()
                .find(|g| g.name == name)
                .map(|g| g.id);
            let id = existing.unwrap_or_else(|| self.add_group(name));
            self.assign_group_role(&id, role, &resource);
            access.insert(role, id);
        }
        let mut custom: BTreeMap<String, String> = BTreeMap::new();
        for r in opsgenie.custom_roles() {
            let existing = self
                .custom_roles()
                .into_iter()
                .find(|c| c.name == r.name)
                .map(|c| c.id);
            let id = existing.unwrap_or_else(|| self.add_custom_role(&r.name));
            custom.insert(r.name.clone(), id);
        }
        for u in opsgenie.users() {
            let existing = self
                .users()
                .into_iter()
                .find(|d| d.email.eq_ignore_ascii_case(&u.username))
                .map(|d| d.account_id);
            let id = existing.unwrap_or_else(|| self.add_user(&u.username, &u.full_name));
            let product_role = match u.role.name.as_str() {
                "Owner" => Some("atlassian/admin"),
                "Stakeholder" => Some("atlassian/stakeholder"),
                "Observer" => None,
                _ => Some("atlassian/user"),
            };
            if let Some(group) = product_role.and_then(|r| access.get(r)) {
                self.add_to_group(group, &id);
            }
            if let Some(role) = custom.get(&u.role.name) {
                self.assign_custom_role(role, &id);
            }
            accounts.insert(u.id.clone(), id);
        }
        for t in opsgenie.teams() {
            let members: Vec<&str> = t
                .members
                .iter()
                .filter_map(|m| accounts.get(&m.user_id).map(String::as_str))
                .collect();
            let admins: Vec<&str> = t
                .members
                .iter()
                .filter(|m| m.role == "admin")
                .filter_map(|m| accounts.get(&m.user_id).map(String::as_str))
                .collect();
            let id = self.add_team(&t.name, &members);
            self.enable_ops(&id, &admins);
            teams.insert(t.id.clone(), id);
        }
        let mut st = lock(&self.shared.state);
        let og_schedules = opsgenie.schedules();
        let schedule_ids: BTreeMap<String, String> = og_schedules
            .iter()
            .map(|s| (s.id.clone(), st.uuid()))
            .collect();
        let party = |kind: &str, id: &Option<String>| -> Value {
            match (kind, id) {
                ("schedule", Some(i)) => {
                    serde_json::json!({"type": "schedule", "id": schedule_ids.get(i).cloned().unwrap_or_else(|| i.clone())})
                }
                ("user", Some(i)) => {
                    serde_json::json!({"type": "user", "id": accounts.get(i).cloned().unwrap_or_else(|| i.clone())})
                }
                ("team", Some(i)) => {
                    serde_json::json!({"type": "team", "id": teams.get(i).cloned().unwrap_or_else(|| i.clone())})
                }
                ("none", _) => serde_json::json!({"type": "noone"}),
                (k, i) => serde_json::json!({"type": k, "id": i}),
            }
        };
        for s in og_schedules {
            let id = schedule_ids.get(&s.id).cloned().unwrap_or_default();
            let rotations = s
                .rotations
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "name": r.name,
                        "type": r.kind,
                        "length": r.length,
                        "startDate": r.start_date,
                        "participants": r.participants.iter().map(|p| party(&p.kind, &p.id)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            st.schedules.push(SimSchedule {
                id,
                name: s.name.clone(),
                team_id: s.owner_team.as_ref().and_then(|t| teams.get(t).cloned()),
                rotations,
            });
        }
        for e in opsgenie.escalations() {
            let Some(team) = e.owner_team.as_ref().and_then(|t| teams.get(t).cloned()) else {
                continue;
            };
            let rules: Vec<Value> = e
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "condition": r.condition.as_deref().unwrap_or("if-not-acked"),
                        "notifyType": r.notify_type.as_deref().unwrap_or("default"),
                        "delay": {
                            "timeAmount": r.delay.amount,
                            "timeUnit": r.delay.unit.as_deref().unwrap_or("minutes"),
                        },
                        "recipient": party(&r.recipient.kind, &r.recipient.id),
                    })
                })
                .collect();
            st.escalations.push(SimEscalation {
                id: e.id.clone(),
                team_id: team,
                body: serde_json::json!({"id": e.id, "name": e.name, "rules": rules, "enabled": true}),
            });
        }
        accounts
    }

    /// The directory users.
    pub fn users(&self) -> Vec<DirUser> {
        lock(&self.shared.state).users.clone()
    }

    /// A directory user by account id.
    pub fn user(&self, account_id: &str) -> Option<DirUser> {
        let st = lock(&self.shared.state);
        st.user_by_account(account_id).map(|i| st.users[i].clone())
    }

    /// The groups.
    pub fn groups(&self) -> Vec<DirGroup> {
        lock(&self.shared.state).groups.clone()
    }

    /// The teams.
    pub fn teams(&self) -> Vec<SimTeam> {
        lock(&self.shared.state).teams.clone()
    }

    /// A team by id.
    pub fn team(&self, id: &str) -> Option<SimTeam> {
        lock(&self.shared.state)
            .teams
            .iter()
            .find(|t| t.team_id == id)
            .cloned()
    }

    /// The schedules.
    pub fn schedules(&self) -> Vec<SimSchedule> {
        lock(&self.shared.state).schedules.clone()
    }

    /// The escalations.
    pub fn escalations(&self) -> Vec<SimEscalation> {
        lock(&self.shared.state).escalations.clone()
    }

    /// The custom user roles.
    pub fn custom_roles(&self) -> Vec<SimCustomRole> {
        lock(&self.shared.state).roles.clone()
    }

    /// The forwarding rules as stored.
    pub fn forwarding_rules(&self) -> Vec<Value> {
        lock(&self.shared.state).forwarding.clone()
    }

    /// The invitation bodies received.
    pub fn invitations(&self) -> Vec<Value> {
        lock(&self.shared.state).invitations.clone()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<AtlassianRequest> {
        lock(&self.shared.log).clone()
    }

    /// Answers `status` (with the API's error body; a 429 with
    /// `Retry-After: 1`) to the next `count` requests whose path (as sent
    /// or percent-decoded) starts with `path_prefix`, without acting on them.
    pub fn fail_next(&self, path_prefix: &str, status: u16, count: u32) {
        let retry_after = (status == 429).then(|| "1".to_string());
        lock(&self.shared.failures).push((path_prefix.to_string(), status, count, retry_after));
    }

    /// Like [`fail_next`](Self::fail_next), with `Retry-After: <retry_after>`
    /// on each of those answers (seconds or an HTTP date, sent as given), as
    /// Atlassian sends it with 429 and 503.
    pub fn fail_next_retry_after(
        &self,
        path_prefix: &str,
        status: u16,
        count: u32,
        retry_after: &str,
    ) {
        lock(&self.shared.failures).push((
            path_prefix.to_string(),
            status,
            count,
            Some(retry_after.to_string()),
        ));
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
