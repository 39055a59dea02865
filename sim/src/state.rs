//! The in-memory account: storage, lookups, seeding and the referential
//! rules (who blocks a delete, who may join a team).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::model::*;

/// A refusal: the HTTP status, the message and optional field errors.
#[derive(Debug, Clone)]
pub(crate) struct Fail {
    pub status: u16,
    pub message: String,
    pub errors: Option<BTreeMap<String, String>>,
}

pub(crate) fn fail(status: u16, message: impl Into<String>) -> Fail {
    Fail {
        status,
        message: message.into(),
        errors: None,
    }
}

pub(crate) fn field_fail(field: &str, reason: impl Into<String>) -> Fail {
    let reason = reason.into();
    Fail {
        status: 422,
        message: format!("{field}: {reason}"),
        errors: Some(BTreeMap::from([(field.to_string(), reason)])),
    }
}

/// How many of each object [`Seed`](crate::Seed) asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SeedCounts {
    pub users: usize,
    pub teams: usize,
    pub schedules: usize,
}

/// The whole account.
pub(crate) struct State {
    rng: fastrand::Rng,
    seq: u64,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    pub roles: Vec<CustomRole>,
    pub schedules: Vec<Schedule>,
    pub escalations: Vec<Escalation>,
    pub forwarding: Vec<ForwardingRule>,
    pub scim_users: Vec<ScimResource>,
    pub scim_groups: Vec<ScimResource>,
}

const FIRST: [&str; 16] = [
    "Ada", "Ben", "Chloe", "Dmitri", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jun", "Kofi",
    "Lena", "Mateo", "Nora", "Omar", "Priya",
];
const LAST: [&str; 12] = [
    "Lovelace", "Okafor", "Nakamura", "Petrov", "Yilmaz", "Haddad", "Novak", "Sato", "Ivanova",
    "Park", "Mensah", "Garcia",
];

/// Legacy zone names the API stores under their canonical name.
const TZ_ALIASES: [(&str, &str); 6] = [
    ("US/Arizona", "America/Phoenix"),
    ("US/Eastern", "America/New_York"),
    ("US/Central", "America/Chicago"),
    ("US/Mountain", "America/Denver"),
    ("US/Pacific", "America/Los_Angeles"),
    ("Europe/Kiev", "Europe/Kyiv"),
];

pub(crate) fn canonical_tz(tz: &str) -> String {
    TZ_ALIASES
        .iter()
        .find(|(alias, _)| *alias == tz)
        .map(|(_, canon)| canon.to_string())
        .unwrap_or_else(|| tz.to_string())
}

/// The first of `items` (`(id, name)`) matching the body's `id` or `name`.
fn by_id_or_name<'a>(
    mut items: impl Iterator<Item = (&'a String, &'a String)>,
    obj: &Map<String, Value>,
    kind: String,
    field: &str,
    missing: &str,
) -> Result<Recipient, Fail> {
    let id = obj.get("id").and_then(|v| v.as_str());
    let name = obj.get("name").and_then(|v| v.as_str());
    let (i, n) = items
        .find(|(i, n)| Some(i.as_str()) == id || Some(n.as_str()) == name)
        .ok_or_else(|| field_fail(field, missing))?;
    Ok(Recipient {
        kind,
        id: Some(i.clone()),
        name: Some(n.clone()),
    })
}

pub(crate) fn now_rfc3339() -> String {
    let ts = jiff::Timestamp::now();
    format!("{ts:.3}")
}

impl State {
    pub(crate) fn new(seed: u64) -> Self {
        let mut s = State {
            rng: fastrand::Rng::with_seed(seed),
            seq: 0,
            users: Vec::new(),
            teams: Vec::new(),
            roles: Vec::new(),
            schedules: Vec::new(),
            escalations: Vec::new(),
            forwarding: Vec::new(),
            scim_users: Vec::new(),
            scim_groups: Vec::new(),
        };
        // Every account has the user who signed up: its first (and sole) Owner.
        s.insert_user(
            "owner@example.com",
            "Account Owner",
            UserRole::builtin("Owner"),
        )
        .expect("fresh account");
        s
    }

    /// A random version-4 UUID from the seeded generator.
    pub(crate) fn uuid(&mut self) -> String {
        let mut b = [0u8; 16];
        for x in b.iter_mut() {
            *x = self.rng.u8(..);
        }
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Creates a user with defaults, or fails when the username exists.
    pub(crate) fn insert_user(
        &mut self,
        username: &str,
        full_name: &str,
        role: UserRole,
    ) -> Result<usize, Fail> {
        let username = username.trim().to_lowercase();
        if self.user_by_username(&username).is_some() {
            return Err(field_fail(
                "username",
                format!("User with username [{username}] already exists"),
            ));
        }
        let id = self.uuid();
        let contact_id = self.uuid();
        let seq = self.next_seq();
        self.users.push(User {
            id,
            username: username.clone(),
            full_name: full_name.to_string(),
            role,
            skype_username: None,
            time_zone: "Etc/UTC".to_string(),
            locale: "en_US".to_string(),
            user_address: None,
            tags: Vec::new(),
            details: BTreeMap::new(),
            blocked: false,
            verified: false,
            created_at: now_rfc3339(),
            invitation_disabled: false,
            atlassian_linked: false,
            contacts: vec![Contact {
                id: contact_id,
                method: "email".into(),
                to: username,
                enabled: true,
                is_default: true,
            }],
            extra: Unmodelled::new(),
            seq,
        });
        Ok(self.users.len() - 1)
    }

    pub(crate) fn user_by_username(&self, username: &str) -> Option<usize> {
        let lower = username.to_lowercase();
        self.users.iter().position(|u| u.username == lower)
    }

    /// A user by id or username (the API accepts either in paths).
    pub(crate) fn find_user(&self, ident: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.id == ident)
            .or_else(|| self.user_by_username(ident))
    }

    pub(crate) fn user_or_404(&self, ident: &str) -> Result<usize, Fail> {
        self.find_user(ident)
            .ok_or_else(|| fail(404, format!("No user exists with identifier [{ident}]")))
    }

    /// A `{"id": ..}` / `{"username": ..}` user reference from a body.
    pub(crate) fn resolve_user_ref(&self, v: Option<&Value>, field: &str) -> Result<usize, Fail> {
        let obj = v
            .and_then(|v| v.as_object())
            .ok_or_else(|| field_fail(field, "should be an object with id or username"))?;
        if let Some(id) = obj.get("id").and_then(|v| v.as_str()) {
            return self
                .users
                .iter()
                .position(|u| u.id == id)
                .ok_or_else(|| field_fail(field, format!("User [{id}] does not exist")));
        }
        if let Some(name) = obj.get("username").and_then(|v| v.as_str()) {
            return self
                .user_by_username(name)
                .ok_or_else(|| field_fail(field, format!("User [{name}] does not exist")));
        }
        Err(field_fail(field, "id or username is required"))
    }

    /// Resolves a requested role. Unknown names silently become `User`, as
    /// the live API does.
    pub(crate) fn resolve_role(&self, v: Option<&Value>) -> UserRole {
        let obj = v.and_then(|v| v.as_object());
        let name = obj.and_then(|o| o.get("name")).and_then(|v| v.as_str());
        let id = obj.and_then(|o| o.get("id")).and_then(|v| v.as_str());
        for wanted in [name, id].into_iter().flatten() {
            if BUILTIN_ROLES.contains(&wanted) {
                return UserRole::builtin(wanted);
            }
            if let Some(r) = self
                .roles
                .iter()
                .find(|r| r.name == wanted || r.id == wanted)
            {
                return UserRole {
                    id: r.id.clone(),
                    name: r.name.clone(),
                };
            }
        }
        UserRole::builtin("User")
    }

    /// The user at `idx` as a rotation participant / escalation recipient.
    pub(crate) fn user_recipient(&self, idx: usize) -> Recipient {
        Recipient {
            kind: "user".into(),
            id: Some(self.users[idx].id.clone()),
            name: Some(self.users[idx].username.clone()),
        }
    }

    /// Adds a schedule with one weekly rotation of `participants`; returns its id.
    pub(crate) fn push_schedule(
        &mut self,
        name: &str,
        description: String,
        participants: Vec<Recipient>,
    ) -> String {
        let id = self.uuid();
        let rotation = self.uuid();
        self.schedules.push(Schedule {
            id: id.clone(),
            name: name.to_string(),
            description,
            timezone: "Etc/UTC".into(),
            enabled: true,
            owner_team: None,
            rotations: vec![Rotation {
                id: rotation,
                name: "primary".into(),
                start_date: "2026-01-05T09:00:00Z".into(),
                end_date: None,
                kind: "weekly".into(),
                length: 1,
                participants,
                time_restriction: None,
                extra: Unmodelled::new(),
            }],
            overrides: Vec::new(),
        });
        id
    }

    pub(crate) fn is_stakeholder(&self, user: usize) -> bool {
        let role = &self.users[user].role;
        role.name == "Stakeholder"
            || self
                .roles
                .iter()
                .any(|r| r.id == role.id && r.extended_role == "stakeholder")
    }

    /// Finds a team by `identifierType` (`id`, the documented default, or `name`).
    pub(crate) fn find_team(&self, ident: &str, id_type: Option<&str>) -> Result<usize, Fail> {
        let by_name = match id_type.unwrap_or("id") {
            "id" => false,
            "name" => true,
            other => {
                return Err(field_fail(
                    "identifierType",
                    format!("should be one of [id, name], got [{other}]"),
                ))
            }
        };
        self.teams
            .iter()
            .position(|t| {
                if by_name {
                    t.name == ident
                } else {
                    t.id == ident
                }
            })
            .ok_or_else(|| fail(404, format!("No team exists with identifier [{ident}]")))
    }

    pub(crate) fn find_named<T>(
        items: &[T],
        ident: &str,
        id_type: Option<&str>,
        what: &str,
        id: impl Fn(&T) -> &str,
        name: impl Fn(&T) -> &str,
    ) -> Result<usize, Fail> {
        let by_name = match id_type.unwrap_or("id") {
            "id" => false,
            "name" => true,
            other => {
                return Err(field_fail(
                    "identifierType",
                    format!("should be one of [id, name], got [{other}]"),
                ))
            }
        };
        items
            .iter()
            .position(|t| {
                if by_name {
                    name(t) == ident
                } else {
                    id(t) == ident
                }
            })
            .ok_or_else(|| fail(404, format!("No {what} exists with identifier [{ident}]")))
    }

    /// Parses a participant / recipient, resolving users and checking that
    /// stakeholders are not put on call.
    pub(crate) fn resolve_recipient(&self, v: &Value, field: &str) -> Result<Recipient, Fail> {
        let obj = v
            .as_object()
            .ok_or_else(|| field_fail(field, "should be an object"))?;
        let kind = obj
            .get("type")
            .and_then(|v| v.as_str())
            .ok_or_else(|| field_fail(field, "type is required"))?
            .to_string();
        match kind.as_str() {
            "user" => {
                let idx = self.resolve_user_ref(Some(v), field)?;
                if self.is_stakeholder(idx) {
                    return Err(field_fail(
                        field,
                        "Stakeholder users cannot be added to schedules or escalations",
                    ));
                }
                Ok(self.user_recipient(idx))
            }
            "team" => {
                let teams = self.teams.iter().map(|t| (&t.id, &t.name));
                by_id_or_name(teams, obj, kind, field, "team does not exist")
            }
            "schedule" => {
                let schedules = self.schedules.iter().map(|s| (&s.id, &s.name));
                by_id_or_name(schedules, obj, kind, field, "schedule does not exist")
            }
            "none" | "all" => Ok(Recipient {
                kind,
                id: None,
                name: None,
            }),
            "escalation" | "group" => Ok(Recipient {
                kind,
                id: obj.get("id").and_then(|v| v.as_str()).map(String::from),
                name: obj.get("name").and_then(|v| v.as_str()).map(String::from),
            }),
            other => Err(field_fail(field, format!("unknown type [{other}]"))),
        }
    }

    pub(crate) fn recipient_json(r: &Recipient) -> Value {
        let mut o = Map::new();
        o.insert("type".into(), json!(r.kind));
        if let Some(id) = &r.id {
            o.insert("id".into(), json!(id));
        }
        if let Some(n) = &r.name {
            let key = if r.kind == "user" { "username" } else { "name" };
            o.insert(key.into(), json!(n));
        }
        Value::Object(o)
    }

    /// Why `user` cannot be deleted, if anything blocks it.
    pub(crate) fn delete_blockers(&self, user: usize) -> Option<Fail> {
        let u = &self.users[user];
        if u.role.name == "Owner"
            && self.users.iter().filter(|x| x.role.name == "Owner").count() == 1
        {
            return Some(fail(
                422,
                format!(
                    "User [{}] is the only owner of the account and cannot be deleted",
                    u.username
                ),
            ));
        }
        let schedules: Vec<String> = self
            .schedules
            .iter()
            .filter(|s| {
                s.rotations
                    .iter()
                    .any(|r| r.participants.iter().any(|p| p.is_user(&u.id)))
            })
            .map(|s| s.name.clone())
            .collect();
        let escalations: Vec<String> = self
            .escalations
            .iter()
            .filter(|e| e.rules.iter().any(|r| r.recipient.is_user(&u.id)))
            .map(|e| e.name.clone())
            .collect();
        if schedules.is_empty() && escalations.is_empty() {
            return None;
        }
        let mut errors = BTreeMap::new();
        if !schedules.is_empty() {
            errors.insert("schedules".to_string(), schedules.join(", "));
        }
        if !escalations.is_empty() {
            errors.insert("escalations".to_string(), escalations.join(", "));
        }
        Some(Fail {
            status: 422,
            message: format!(
                "User [{}] cannot be deleted: it is used in schedule rotations [{}] and escalations [{}]",
                u.username,
                schedules.join(", "),
                escalations.join(", ")
            ),
            errors: Some(errors),
        })
    }

    /// Removes a user and every membership / forwarding rule of it.
    pub(crate) fn remove_user(&mut self, user: usize) -> User {
        let u = self.users.remove(user);
        for t in &mut self.teams {
            t.members.retain(|m| m.user_id != u.id);
        }
        self.forwarding
            .retain(|f| f.from_user != u.id && f.to_user != u.id);
        for s in &mut self.schedules {
            s.overrides.retain(|o| !o.user.is_user(&u.id));
        }
        u
    }

    /// Creates a team and the default schedule and escalation Opsgenie
    /// creates with it (`<name>_schedule`, `<name>_escalation`).
    pub(crate) fn insert_team(
        &mut self,
        name: &str,
        description: &str,
        members: Vec<Member>,
    ) -> Result<usize, Fail> {
        if self.teams.iter().any(|t| t.name == name) {
            return Err(fail(409, format!("Team with name [{name}] already exists")));
        }
        let id = self.uuid();
        self.teams.push(Team {
            id: id.clone(),
            name: name.to_string(),
            description: description.to_string(),
            members,
            roles: Vec::new(),
            extra: Unmodelled::new(),
        });
        let sched_id = self.uuid();
        let sched_name = format!("{name}_schedule");
        if !self.schedules.iter().any(|s| s.name == sched_name) {
            self.schedules.push(Schedule {
                id: sched_id.clone(),
                name: sched_name.clone(),
                description: String::new(),
                timezone: "Etc/UTC".into(),
                enabled: true,
                owner_team: Some(id.clone()),
                rotations: Vec::new(),
                overrides: Vec::new(),
            });
            let esc_id = self.uuid();
            let esc_name = format!("{name}_escalation");
            if !self.escalations.iter().any(|e| e.name == esc_name) {
                self.escalations.push(Escalation {
                    id: esc_id,
                    name: esc_name,
                    description: String::new(),
                    owner_team: Some(id),
                    rules: vec![EscalationRule::notify(Recipient {
                        kind: "schedule".into(),
                        id: Some(sched_id),
                        name: Some(sched_name),
                    })],
                    repeat: None,
                    extra: Unmodelled::new(),
                });
            }
        }
        Ok(self.teams.len() - 1)
    }

    /// Checks a team role name against the team's roles.
    pub(crate) fn check_team_role(&self, team: usize, role: &str) -> Result<(), Fail> {
        if role == "admin"
            || role == "user"
            || self.teams[team].roles.iter().any(|r| r.name == role)
        {
            Ok(())
        } else {
            Err(field_fail(
                "role",
                format!("Team role [{role}] does not exist"),
            ))
        }
    }

    /// Fills the account with `counts` deterministic objects.
    pub(crate) fn seed(&mut self, counts: SeedCounts) {
        let mut users = Vec::new();
        for i in 1..=counts.users {
            let first = FIRST[(i - 1) % FIRST.len()];
            let last = LAST[((i - 1) / FIRST.len()) % LAST.len()];
            let role = if i % 10 == 0 {
                "Admin"
            } else if i % 25 == 7 {
                "Stakeholder"
            } else if i % 20 == 3 {
                "Observer"
            } else {
                "User"
            };
            let username = format!("user{i:04}@example.com");
            if let Ok(idx) = self.insert_user(
                &username,
                &format!("{first} {last} {i}"),
                UserRole::builtin(role),
            ) {
                self.users[idx].verified = i % 3 != 0;
                self.users[idx].tags = vec![format!("cohort-{}", i % 4)];
                if role != "Stakeholder" {
                    users.push(idx);
                }
            }
        }
        for j in 1..=counts.teams {
            let members: Vec<Member> = users
                .iter()
                .enumerate()
                .filter(|(k, _)| k % counts.teams == j - 1)
                .enumerate()
                .map(|(n, (_, &u))| Member {
                    user_id: self.users[u].id.clone(),
                    username: self.users[u].username.clone(),
                    role: if n == 0 { "admin" } else { "user" }.into(),
                })
                .collect();
            let _ = self.insert_team(
                &format!("team-{j:02}"),
                &format!("Seeded team {j}"),
                members,
            );
        }
        for k in 1..=counts.schedules {
            let participants: Vec<Recipient> = (0..2)
                .filter_map(|n| users.get((k - 1) * 2 + n))
                .map(|&u| self.user_recipient(u))
                .collect();
            let first = participants.first().cloned();
            let name = format!("schedule-{k:02}");
            let sid = self.push_schedule(&name, format!("Seeded schedule {k}"), participants);
            let mut rules = vec![EscalationRule::notify(Recipient {
                kind: "schedule".into(),
                id: Some(sid),
                name: Some(name.clone()),
            })];
            if let Some(first) = first {
                let mut rule = EscalationRule::notify(first);
                rule.delay = Delay::minutes(10);
                rules.push(rule);
            }
            let eid = self.uuid();
            self.escalations.push(Escalation {
                id: eid,
                name: format!("{name}-escalation"),
                description: String::new(),
                owner_team: None,
                rules,
                repeat: None,
                extra: Unmodelled::new(),
            });
        }
    }
}
