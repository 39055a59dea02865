//! REST API v2 routes of the simulator. Each handler reads a [`Req`] and
//! answers the body without `took` / `requestId` (the HTTP layer adds them).

use http::Method;
use serde_json::{json, Map, Value};

use super::model::*;
use super::state::{canonical_tz, fail, field_fail, now_rfc3339, Fail, State};

/// A decoded request.
pub(crate) struct Req {
    pub method: Method,
    /// Path segments, percent-decoded (`+` becomes a space, as on the live API).
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// `http://host:port` as the client addressed us (for absolute paging links).
    pub base: String,
}

impl Req {
    pub(crate) fn q(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn obj(&self) -> Result<&Map<String, Value>, Fail> {
        match &self.body {
            Some(Value::Object(o)) => Ok(o),
            Some(_) => Err(fail(400, "Request body should be a JSON object")),
            None => Err(fail(400, "Request body is missing")),
        }
    }
}

pub(crate) type Out = Result<(u16, Value), Fail>;

fn ok(status: u16, body: Value) -> Out {
    Ok((status, body))
}

fn result(status: u16, result: &str, data: Option<Value>) -> Out {
    let mut o = Map::new();
    o.insert("result".into(), json!(result));
    if let Some(d) = data {
        o.insert("data".into(), d);
    }
    Ok((status, Value::Object(o)))
}

fn id_name(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name})
}

fn opt_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Fail> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_fail(key, "should be a string")),
    }
}

fn req_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, Fail> {
    match opt_str(o, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(field_fail(key, "is required")),
    }
}

fn str_list(o: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, Fail> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| field_fail(key, "should be a list of strings"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(field_fail(key, "should be a list of strings")),
    }
}

/// Routes one `/v2/...` request.
pub(crate) fn dispatch(st: &mut State, r: &Req, limits: Value) -> Out {
    let segs: Vec<&str> = r.segs.iter().map(String::as_str).collect();
    let m = &r.method;
    match (m.as_str(), &segs[..]) {
        ("GET", ["v2", "users"]) => list_users(st, r),
        ("POST", ["v2", "users"]) => create_user(st, r),
        ("GET", ["v2", "users", u]) => get_user(st, r, u),
        ("PATCH", ["v2", "users", u]) => update_user(st, r, u),
        ("DELETE", ["v2", "users", u]) => delete_user(st, u),
        ("GET", ["v2", "users", u, "teams"]) => user_teams(st, u),
        ("GET", ["v2", "users", u, "schedules"]) => user_schedules(st, u),
        ("GET", ["v2", "users", u, "escalations"]) => user_escalations(st, u),
        ("GET", ["v2", "users", u, "forwarding-rules"]) => user_forwarding(st, u),
        ("GET", ["v2", "users", u, "contacts"]) => list_contacts(st, u),
        ("POST", ["v2", "users", u, "contacts"]) => create_contact(st, r, u),
        ("GET", ["v2", "users", u, "contacts", c]) => get_contact(st, u, c),
        ("PATCH", ["v2", "users", u, "contacts", c]) => update_contact(st, r, u, c),
        ("DELETE", ["v2", "users", u, "contacts", c]) => delete_contact(st, u, c),
        ("POST", ["v2", "users", u, "contacts", c, action @ ("enable" | "disable")]) => {
            toggle_contact(st, u, c, *action == "enable")
        }
        ("GET", ["v2", "teams"]) => list_teams(st),
        ("POST", ["v2", "teams"]) => create_team(st, r),
        ("GET", ["v2", "teams", t]) => get_team(st, r, t),
        ("PATCH", ["v2", "teams", t]) => update_team(st, r, t),
        ("DELETE", ["v2", "teams", t]) => delete_team(st, r, t),
        ("POST", ["v2", "teams", t, "members"]) => add_member(st, r, t),
        ("DELETE", ["v2", "teams", t, "members", u]) => remove_member(st, r, t, u),
        ("GET", ["v2", "teams", t, "roles"]) => list_team_roles(st, r, t),
        ("POST", ["v2", "teams", t, "roles"]) => create_team_role(st, r, t),
        ("GET", ["v2", "teams", t, "roles", x]) => get_team_role(st, r, t, x),
        ("PATCH", ["v2", "teams", t, "roles", x]) => update_team_role(st, r, t, x),
        ("DELETE", ["v2", "teams", t, "roles", x]) => delete_team_role(st, r, t, x),
        ("GET", ["v2", "roles"]) => {
            let data: Vec<Value> = st.roles.iter().map(role_json).collect();
            ok(200, json!({ "data": data }))
        }
        ("POST", ["v2", "roles"]) => create_role(st, r),
        ("GET", ["v2", "roles", x]) => {
            let i = find_role(st, r, x)?;
            ok(200, json!({ "data": role_json(&st.roles[i]) }))
        }
        ("PUT", ["v2", "roles", x]) => update_role(st, r, x),
        ("DELETE", ["v2", "roles", x]) => delete_role(st, r, x),
        ("GET", ["v2", "schedules"]) => {
            let rot = r.q("expand").is_some_and(|e| e.contains("rotation"));
            let data: Vec<Value> = st
                .schedules
                .iter()
                .map(|s| schedule_json(st, s, rot))
                .collect();
            ok(200, json!({ "data": data, "expandable": ["rotation"] }))
        }
        ("POST", ["v2", "schedules"]) => create_schedule(st, r),
        ("GET", ["v2", "schedules", s]) => {
            let i = find_schedule(st, s, r.q("identifierType"))?;
            ok(
                200,
                json!({ "data": schedule_json(st, &st.schedules[i], true) }),
            )
        }
        ("DELETE", ["v2", "schedules", s]) => {
            let i = find_schedule(st, s, r.q("identifierType"))?;
            let s = st.schedules.remove(i);
            result(200, "Deleted", Some(id_name(&s.id, &s.name)))
        }
        ("GET", ["v2", "schedules", s, "rotations"]) => {
            let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
            let data: Vec<Value> = st.schedules[i]
                .rotations
                .iter()
                .map(rotation_json)
                .collect();
            ok(200, json!({ "data": data }))
        }
        ("POST", ["v2", "schedules", s, "rotations"]) => create_rotation(st, r, s),
        ("GET", ["v2", "schedules", s, "rotations", id]) => {
            let (i, j) = find_rotation(st, r, s, id)?;
            let sch = &st.schedules[i];
            let mut v = rotation_json(&sch.rotations[j]);
            v["_parent"] = json!({"id": sch.id, "name": sch.name, "enabled": sch.enabled});
            ok(200, json!({ "data": v }))
        }
        ("PATCH", ["v2", "schedules", s, "rotations", id]) => update_rotation(st, r, s, id),
        ("DELETE", ["v2", "schedules", s, "rotations", id]) => {
            let (i, j) = find_rotation(st, r, s, id)?;
            let rot = st.schedules[i].rotations.remove(j);
            result(200, "Deleted", Some(id_name(&rot.id, &rot.name)))
        }
        ("GET", ["v2", "escalations"]) => {
            let data: Vec<Value> = st
                .escalations
                .iter()
                .map(|e| escalation_json(st, e))
                .collect();
            ok(200, json!({ "data": data }))
        }
        ("POST", ["v2", "escalations"]) => create_escalation(st, r),
        ("GET", ["v2", "escalations", e]) => {
            let i = find_escalation(st, e, r.q("identifierType"))?;
            ok(
                200,
                json!({ "data": escalation_json(st, &st.escalations[i]) }),
            )
        }
        ("PATCH", ["v2", "escalations", e]) => update_escalation(st, r, e),
        ("DELETE", ["v2", "escalations", e]) => {
            let i = find_escalation(st, e, r.q("identifierType"))?;
            let e = st.escalations.remove(i);
            result(200, "Deleted", Some(id_name(&e.id, &e.name)))
        }
        ("GET", ["v2", "forwarding-rules"]) => {
            let data: Vec<Value> = st
                .forwarding
                .iter()
                .map(|f| forwarding_json(st, f))
                .collect();
            ok(200, json!({ "data": data }))
        }
        ("POST", ["v2", "forwarding-rules"]) => create_forwarding(st, r),
        ("GET", ["v2", "forwarding-rules", f]) => {
            let i = find_forwarding(st, r, f)?;
            ok(
                200,
                json!({ "data": forwarding_json(st, &st.forwarding[i]) }),
            )
        }
        ("DELETE", ["v2", "forwarding-rules", f]) => {
            let i = find_forwarding(st, r, f)?;
            let f = st.forwarding.remove(i);
            result(200, "Deleted", Some(json!({"id": f.id, "alias": f.alias})))
        }
        ("GET", ["v2", "request-limits"]) => ok(200, json!({ "data": { "rateLimits": limits } })),
        _ => Err(fail(404, "No handler found for this path and method")),
    }
}

// ---- users -----------------------------------------------------------------

pub(crate) fn user_json(u: &User, contacts: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(u.id));
    o.insert("username".into(), json!(u.username));
    o.insert("fullName".into(), json!(u.full_name));
    o.insert("role".into(), json!({"id": u.role.id, "name": u.role.name}));
    if let Some(s) = &u.skype_username {
        o.insert("skypeUsername".into(), json!(s));
    }
    o.insert("timeZone".into(), json!(u.time_zone));
    o.insert("locale".into(), json!(u.locale));
    if let Some(a) = &u.user_address {
        o.insert("userAddress".into(), json!(a));
    }
    o.insert("tags".into(), json!(u.tags));
    o.insert("details".into(), json!(u.details));
    o.insert("blocked".into(), json!(u.blocked));
    o.insert("verified".into(), json!(u.verified));
    o.insert("createdAt".into(), json!(u.created_at));
    if contacts {
        let c: Vec<Value> = u
            .contacts
            .iter()
            .map(|c| json!({"id": c.id, "contactMethod": c.method, "to": c.to, "enabled": c.enabled}))
            .collect();
        o.insert("userContacts".into(), Value::Array(c));
    }
    Value::Object(o)
}

/// Applies the optional profile fields of a create or update body.
fn apply_profile(st: &State, u: &mut User, o: &Map<String, Value>) -> Result<(), Fail> {
    if let Some(n) = opt_str(o, "fullName")? {
        if n.trim().is_empty() || n.chars().count() > 512 {
            return Err(field_fail("fullName", "should be 1 to 512 characters"));
        }
        // Accounts linked to an Atlassian account take their name from it:
        // the live API answers 200 and keeps the old name.
        if !u.atlassian_linked {
            u.full_name = n.to_string();
        }
    }
    if o.contains_key("role") {
        u.role = st.resolve_role(o.get("role"));
    }
    if let Some(s) = opt_str(o, "skypeUsername")? {
        u.skype_username = Some(s.to_string());
    }
    if let Some(tz) = opt_str(o, "timeZone")? {
        u.time_zone = canonical_tz(tz);
    }
    if let Some(l) = opt_str(o, "locale")? {
        u.locale = l.to_string();
    }
    if let Some(a) = o.get("userAddress").filter(|v| !v.is_null()) {
        let addr: Address = serde_json::from_value(a.clone())
            .map_err(|e| field_fail("userAddress", e.to_string()))?;
        u.user_address = Some(addr);
    }
    if let Some(t) = str_list(o, "tags")? {
        u.tags = t;
    }
    if let Some(d) = o.get("details").filter(|v| !v.is_null()) {
        u.details = serde_json::from_value(d.clone())
            .map_err(|_| field_fail("details", "should map strings to lists of strings"))?;
    }
    if let Some(b) = o.get("invitationDisabled").and_then(|v| v.as_bool()) {
        u.invitation_disabled = b;
    }
    Ok(())
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.len() <= 100
}

fn create_user(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?;
    let username = req_str(o, "username")?.trim().to_string();
    if !valid_email(&username) {
        return Err(field_fail(
            "username",
            "should be a valid e-mail address of at most 100 characters",
        ));
    }
    let full_name = req_str(o, "fullName")?;
    let role = st.resolve_role(o.get("role"));
    let idx = st.insert_user(&username, full_name, role)?;
    let mut u = st.users[idx].clone();
    if let Err(e) = apply_profile(st, &mut u, o) {
        st.users.remove(idx);
        return Err(e);
    }
    st.users[idx] = u;
    let u = &st.users[idx];
    result(201, "Created", Some(id_name(&u.id, &u.username)))
}

fn get_user(st: &State, r: &Req, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let expand = r
        .query
        .iter()
        .any(|(k, v)| k == "expand" && v.split(',').any(|x| x.trim() == "contact"));
    ok(
        200,
        json!({ "data": user_json(&st.users[i], expand), "expandable": ["contact"] }),
    )
}

fn update_user(st: &mut State, r: &Req, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let o = r.obj()?;
    if let Some(name) = opt_str(o, "username")? {
        if name.to_lowercase() != st.users[i].username {
            return Err(field_fail(
                "username",
                "Username can not be changed; change the e-mail address of the Atlassian account instead",
            ));
        }
    }
    let mut u = st.users[i].clone();
    apply_profile(st, &mut u, o)?;
    st.users[i] = u;
    let u = &st.users[i];
    result(200, "Updated", Some(id_name(&u.id, &u.username)))
}

fn delete_user(st: &mut State, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    if let Some(f) = st.delete_blockers(i) {
        return Err(f);
    }
    let u = st.remove_user(i);
    result(200, "Deleted", Some(id_name(&u.id, &u.username)))
}

fn matches_query(st: &State, u: &User, query: &str) -> Result<bool, Fail> {
    for term in query
        .split(" AND ")
        .flat_map(|t| t.split(" and "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let (field, value) = match term.split_once(':') {
            Some((f, v)) => (f.trim(), v.trim().trim_matches('"').to_lowercase()),
            None => ("", term.trim_matches('"').to_lowercase()),
        };
        let hit = match field {
            "" => u.username.contains(&value) || u.full_name.to_lowercase().contains(&value),
            "username" => u.username == value,
            "fullName" | "fullname" => u.full_name.to_lowercase().contains(&value),
            "role" => u.role.name.to_lowercase() == value || u.role.id.to_lowercase() == value,
            "blocked" => u.blocked.to_string() == value,
            "verified" => u.verified.to_string() == value,
            "locale" => u.locale.to_lowercase() == value,
            "timeZone" | "timezone" => u.time_zone.to_lowercase() == value,
            "tag" | "tags" => u.tags.iter().any(|t| t.to_lowercase() == value),
            "team" => st.teams.iter().any(|t| {
                t.name.to_lowercase() == value && t.members.iter().any(|m| m.user_id == u.id)
            }),
            other => {
                return Err(field_fail(
                    "query",
                    format!("Invalid query: unknown field [{other}]"),
                ))
            }
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

fn parse_num(r: &Req, key: &str, default: i64) -> Result<i64, Fail> {
    match r.q(key) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| field_fail(key, "should be an integer")),
    }
}

fn list_users(st: &State, r: &Req) -> Out {
    let limit = parse_num(r, "limit", 20)?;
    if !(1..=100).contains(&limit) {
        return Err(field_fail("limit", "should be between 1 and 100"));
    }
    let offset = parse_num(r, "offset", 0)?;
    if offset < 0 {
        return Err(field_fail("offset", "should not be negative"));
    }
    // The live API reads `sort`; the spec calls it `sortField`. Accept both.
    let sort = r.q("sort").or_else(|| r.q("sortField"));
    let order = r.q("order");
    let desc = match order.unwrap_or("asc") {
        "asc" => false,
        "desc" => true,
        other => {
            return Err(field_fail(
                "order",
                format!("should be asc or desc, got [{other}]"),
            ))
        }
    };
    let query = r.q("query").filter(|q| !q.trim().is_empty());
    let mut hits: Vec<&User> = Vec::new();
    for u in &st.users {
        if query
            .map(|q| matches_query(st, u, q))
            .transpose()?
            .unwrap_or(true)
        {
            hits.push(u);
        }
    }
    match sort.unwrap_or("insertedAt") {
        "username" => hits.sort_by(|a, b| a.username.cmp(&b.username)),
        "fullName" => hits.sort_by(|a, b| {
            a.full_name
                .to_lowercase()
                .cmp(&b.full_name.to_lowercase())
                .then(a.seq.cmp(&b.seq))
        }),
        "insertedAt" => hits.sort_by_key(|u| u.seq),
        other => {
            return Err(field_fail(
                "sort",
                format!("should be one of [username, fullName, insertedAt], got [{other}]"),
            ))
        }
    }
    if desc {
        hits.reverse();
    }
    let total = hits.len() as i64;
    let page: Vec<Value> = hits
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|u| user_json(u, false))
        .collect();
    let link = |off: i64| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        ser.append_pair("limit", &limit.to_string());
        ser.append_pair("offset", &off.to_string());
        if let Some(s) = sort {
            ser.append_pair("sort", s);
        }
        if let Some(o) = order {
            ser.append_pair("order", o);
        }
        if let Some(q) = query {
            ser.append_pair("query", q);
        }
        format!("{}/v2/users?{}", r.base, ser.finish())
    };
    let mut paging = Map::new();
    if offset > 0 {
        paging.insert("prev".into(), json!(link((offset - limit).max(0))));
    }
    if offset + limit < total {
        paging.insert("next".into(), json!(link(offset + limit)));
    }
    paging.insert("first".into(), json!(link(0)));
    let last = if total == 0 {
        0
    } else {
        (total - 1) / limit * limit
    };
    paging.insert("last".into(), json!(link(last)));
    ok(
        200,
        json!({ "data": page, "totalCount": total, "paging": Value::Object(paging) }),
    )
}

fn user_teams(st: &State, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let id = &st.users[i].id;
    let data: Vec<Value> = st
        .teams
        .iter()
        .filter(|t| t.members.iter().any(|m| &m.user_id == id))
        .map(|t| id_name(&t.id, &t.name))
        .collect();
    ok(200, json!({ "data": data }))
}

fn user_schedules(st: &State, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let id = &st.users[i].id;
    let data: Vec<Value> = st
        .schedules
        .iter()
        .filter(|s| {
            s.rotations
                .iter()
                .any(|r| r.participants.iter().any(|p| p.is_user(id)))
        })
        .map(|s| json!({"id": s.id, "name": s.name, "enabled": s.enabled}))
        .collect();
    ok(200, json!({ "data": data }))
}

fn user_escalations(st: &State, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let id = &st.users[i].id;
    let data: Vec<Value> = st
        .escalations
        .iter()
        .filter(|e| e.rules.iter().any(|r| r.recipient.is_user(id)))
        .map(|e| escalation_json(st, e))
        .collect();
    ok(200, json!({ "data": data }))
}

fn user_forwarding(st: &State, ident: &str) -> Out {
    let i = st.user_or_404(ident)?;
    let id = &st.users[i].id;
    let data: Vec<Value> = st
        .forwarding
        .iter()
        .filter(|f| &f.from_user == id || &f.to_user == id)
        .map(|f| forwarding_json(st, f))
        .collect();
    ok(200, json!({ "data": data }))
}

// ---- contacts --------------------------------------------------------------

const CONTACT_METHODS: [&str; 4] = ["email", "sms", "voice", "mobile"];

fn contact_json(c: &Contact) -> Value {
    json!({"id": c.id, "method": c.method, "to": c.to, "status": {"enabled": c.enabled}})
}

fn find_contact(st: &State, user: &str, contact: &str) -> Result<(usize, usize), Fail> {
    let i = st.user_or_404(user)?;
    let j = st.users[i]
        .contacts
        .iter()
        .position(|c| c.id == contact)
        .ok_or_else(|| fail(404, format!("No contact exists with id [{contact}]")))?;
    Ok((i, j))
}

fn list_contacts(st: &State, user: &str) -> Out {
    let i = st.user_or_404(user)?;
    let data: Vec<Value> = st.users[i]
        .contacts
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let mut v = contact_json(c);
            v["applyOrder"] = json!(n);
            v
        })
        .collect();
    ok(200, json!({ "data": data }))
}

fn create_contact(st: &mut State, r: &Req, user: &str) -> Out {
    let i = st.user_or_404(user)?;
    let o = r.obj()?;
    let method = req_str(o, "method")?;
    if !CONTACT_METHODS.contains(&method) {
        return Err(field_fail(
            "method",
            format!("should be one of {CONTACT_METHODS:?}"),
        ));
    }
    let to = req_str(o, "to")?;
    if st.users[i]
        .contacts
        .iter()
        .any(|c| c.method == method && c.to == to)
    {
        return Err(field_fail(
            "to",
            format!("Contact [{method}: {to}] already exists"),
        ));
    }
    let id = st.uuid();
    st.users[i].contacts.push(Contact {
        id: id.clone(),
        method: method.to_string(),
        to: to.to_string(),
        enabled: true,
        is_default: false,
    });
    result(201, "Created", Some(json!({"id": id})))
}

fn get_contact(st: &State, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    ok(
        200,
        json!({ "data": contact_json(&st.users[i].contacts[j]) }),
    )
}

fn update_contact(st: &mut State, r: &Req, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    let to = req_str(r.obj()?, "to")?.to_string();
    let c = &mut st.users[i].contacts[j];
    if c.is_default {
        return Err(fail(422, "The default e-mail contact cannot be changed"));
    }
    c.to = to;
    result(200, "Updated", Some(json!({"id": c.id})))
}

fn delete_contact(st: &mut State, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    if st.users[i].contacts[j].is_default {
        return Err(fail(422, "The default e-mail contact cannot be deleted"));
    }
    let c = st.users[i].contacts.remove(j);
    result(200, "Deleted", Some(json!({"id": c.id})))
}

fn toggle_contact(st: &mut State, user: &str, contact: &str, enable: bool) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    let c = &mut st.users[i].contacts[j];
    c.enabled = enable;
    result(
        200,
        if enable { "Enabled" } else { "Disabled" },
        Some(json!({"id": c.id})),
    )
}

// ---- teams -----------------------------------------------------------------

fn team_json(t: &Team, members: bool) -> Value {
    let mut v = json!({"id": t.id, "name": t.name, "description": t.description});
    if members {
        v["members"] = t
            .members
            .iter()
            .map(|m| json!({"user": {"id": m.user_id, "username": m.username}, "role": m.role}))
            .collect();
    }
    v
}

fn list_teams(st: &State) -> Out {
    let data: Vec<Value> = st.teams.iter().map(|t| team_json(t, false)).collect();
    ok(200, json!({ "data": data, "expandable": ["member"] }))
}

fn parse_members(st: &State, team: Option<usize>, v: &Value) -> Result<Vec<Member>, Fail> {
    let arr = v
        .as_array()
        .ok_or_else(|| field_fail("members", "should be a list"))?;
    let mut out: Vec<Member> = Vec::new();
    for m in arr {
        let (u, role) = member_from(st, team, m)?;
        if !out.iter().any(|x| x.user_id == st.users[u].id) {
            out.push(Member {
                user_id: st.users[u].id.clone(),
                username: st.users[u].username.clone(),
                role,
            });
        }
    }
    Ok(out)
}

/// Resolves `{"user": {...}, "role": ...}`: the user must exist and not be a
/// Stakeholder; the role must be admin, user or one of the team's roles.
fn member_from(st: &State, team: Option<usize>, m: &Value) -> Result<(usize, String), Fail> {
    let u = st.resolve_user_ref(m.get("user"), "user")?;
    if st.is_stakeholder(u) {
        return Err(fail(
            422,
            format!(
                "User [{}] is a Stakeholder; stakeholders cannot be added to teams",
                st.users[u].username
            ),
        ));
    }
    let role = match m.get("role") {
        None | Some(Value::Null) => "user".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(field_fail("role", "should be a string")),
    };
    match team {
        Some(t) => st.check_team_role(t, &role)?,
        None if role != "admin" && role != "user" => {
            return Err(field_fail(
                "role",
                format!("Team role [{role}] does not exist"),
            ))
        }
        None => {}
    }
    Ok((u, role))
}

fn create_team(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?;
    let name = req_str(o, "name")?.to_string();
    if name.chars().count() > 100 {
        return Err(field_fail("name", "should be at most 100 characters"));
    }
    let description = opt_str(o, "description")?.unwrap_or("").to_string();
    let members = match o.get("members").filter(|v| !v.is_null()) {
        Some(v) => parse_members(st, None, v)?,
        None => Vec::new(),
    };
    let i = st.insert_team(&name, &description, members)?;
    let t = &st.teams[i];
    result(201, "Created", Some(id_name(&t.id, &t.name)))
}

fn get_team(st: &State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("identifierType"))?;
    ok(200, json!({ "data": team_json(&st.teams[i], true) }))
}

fn update_team(st: &mut State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("identifierType"))?;
    let o = r.obj()?;
    if let Some(name) = opt_str(o, "name")? {
        if st
            .teams
            .iter()
            .enumerate()
            .any(|(k, x)| k != i && x.name == name)
        {
            return Err(fail(409, format!("Team with name [{name}] already exists")));
        }
    }
    let members = match o.get("members").filter(|v| !v.is_null()) {
        Some(v) => Some(parse_members(st, Some(i), v)?),
        None => None,
    };
    let team = &mut st.teams[i];
    if let Some(name) = opt_str(o, "name")? {
        team.name = name.to_string();
    }
    if let Some(d) = opt_str(o, "description")? {
        team.description = d.to_string();
    }
    if let Some(m) = members {
        team.members = m;
    }
    result(200, "Updated", Some(id_name(&team.id, &team.name)))
}

fn delete_team(st: &mut State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("identifierType"))?;
    let team = st.teams.remove(i);
    for s in &mut st.schedules {
        if s.owner_team.as_deref() == Some(&team.id) {
            s.owner_team = None;
        }
    }
    for e in &mut st.escalations {
        if e.owner_team.as_deref() == Some(&team.id) {
            e.owner_team = None;
        }
    }
    result(200, "Deleted", Some(id_name(&team.id, &team.name)))
}

fn add_member(st: &mut State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("teamIdentifierType"))?;
    let body = r.body.clone().unwrap_or(Value::Null);
    if !body.is_object() {
        return Err(fail(400, "Request body should be a JSON object"));
    }
    let (u, role) = member_from(st, Some(i), &body)?;
    let user_id = st.users[u].id.clone();
    let username = st.users[u].username.clone();
    let team = &mut st.teams[i];
    // Adding an existing member changes nothing (there is no call to change
    // a member's team role: remove and add again).
    if !team.members.iter().any(|m| m.user_id == user_id) {
        team.members.push(Member {
            user_id,
            username,
            role,
        });
    }
    result(200, "Added", Some(id_name(&team.id, &team.name)))
}

fn remove_member(st: &mut State, r: &Req, t: &str, member: &str) -> Out {
    let i = st.find_team(t, r.q("teamIdentifierType"))?;
    let team = &mut st.teams[i];
    let lower = member.to_lowercase();
    let pos = team
        .members
        .iter()
        .position(|m| match r.q("memberIdentifierType") {
            Some("id") => m.user_id == member,
            Some("username") => m.username == lower,
            _ => m.user_id == member || m.username == lower,
        });
    let Some(pos) = pos else {
        return Err(fail(
            404,
            format!("User [{member}] is not a member of team [{}]", team.name),
        ));
    };
    team.members.remove(pos);
    result(200, "Removed", Some(id_name(&team.id, &team.name)))
}

// ---- team roles ------------------------------------------------------------

fn team_role_json(r: &TeamRole) -> Value {
    json!({"id": r.id, "name": r.name, "rights": r.rights})
}

fn parse_rights(o: &Map<String, Value>) -> Result<Option<Vec<TeamRight>>, Fail> {
    match o.get("rights") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|_| field_fail("rights", "should be a list of {right, granted}")),
    }
}

fn find_team_role(st: &State, r: &Req, t: &str, x: &str) -> Result<(usize, usize), Fail> {
    let i = st.find_team(t, r.q("teamIdentifierType"))?;
    let j = State::find_named(
        &st.teams[i].roles,
        x,
        r.q("identifierType"),
        "team role",
        |r| &r.id,
        |r| &r.name,
    )?;
    Ok((i, j))
}

fn list_team_roles(st: &State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("teamIdentifierType"))?;
    let data: Vec<Value> = st.teams[i].roles.iter().map(team_role_json).collect();
    ok(200, json!({ "data": data }))
}

fn check_team_role_name(team: &Team, name: &str, except: Option<usize>) -> Result<(), Fail> {
    if name.eq_ignore_ascii_case("admin") || name.eq_ignore_ascii_case("user") {
        return Err(field_fail(
            "name",
            format!("[{name}] is a built-in team role"),
        ));
    }
    if team
        .roles
        .iter()
        .enumerate()
        .any(|(k, r)| Some(k) != except && r.name == name)
    {
        return Err(field_fail(
            "name",
            format!("Team role [{name}] already exists"),
        ));
    }
    Ok(())
}

fn create_team_role(st: &mut State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("teamIdentifierType"))?;
    let o = r.obj()?;
    let name = req_str(o, "name")?.to_string();
    let rights = parse_rights(o)?.ok_or_else(|| field_fail("rights", "is required"))?;
    check_team_role_name(&st.teams[i], &name, None)?;
    let id = st.uuid();
    st.teams[i].roles.push(TeamRole {
        id: id.clone(),
        name: name.clone(),
        rights,
    });
    result(201, "Created", Some(id_name(&id, &name)))
}

fn get_team_role(st: &State, r: &Req, t: &str, x: &str) -> Out {
    let (i, j) = find_team_role(st, r, t, x)?;
    ok(
        200,
        json!({ "data": team_role_json(&st.teams[i].roles[j]) }),
    )
}

fn update_team_role(st: &mut State, r: &Req, t: &str, x: &str) -> Out {
    let (i, j) = find_team_role(st, r, t, x)?;
    let o = r.obj()?;
    let name = opt_str(o, "name")?.map(String::from);
    if let Some(n) = &name {
        check_team_role_name(&st.teams[i], n, Some(j))?;
    }
    let rights = parse_rights(o)?;
    let team = &mut st.teams[i];
    let old = team.roles[j].name.clone();
    if let Some(n) = name {
        for m in team.members.iter_mut().filter(|m| m.role == old) {
            m.role = n.clone();
        }
        team.roles[j].name = n;
    }
    if let Some(rt) = rights {
        team.roles[j].rights = rt;
    }
    let role = &team.roles[j];
    result(200, "Updated", Some(id_name(&role.id, &role.name)))
}

fn delete_team_role(st: &mut State, r: &Req, t: &str, x: &str) -> Out {
    let (i, j) = find_team_role(st, r, t, x)?;
    let team = &mut st.teams[i];
    let name = team.roles[j].name.clone();
    if team.members.iter().any(|m| m.role == name) {
        return Err(fail(
            422,
            format!("Team role [{name}] is assigned to members and cannot be deleted"),
        ));
    }
    let role = team.roles.remove(j);
    result(200, "Deleted", Some(id_name(&role.id, &role.name)))
}

// ---- custom user roles -----------------------------------------------------

fn role_json(r: &CustomRole) -> Value {
    json!({
        "id": r.id, "name": r.name, "extendedRole": r.extended_role,
        "grantedRights": r.granted_rights, "disallowedRights": r.disallowed_rights,
    })
}

fn find_role(st: &State, r: &Req, x: &str) -> Result<usize, Fail> {
    State::find_named(
        &st.roles,
        x,
        r.q("identifierType"),
        "role",
        |r| &r.id,
        |r| &r.name,
    )
}

fn check_role_name(st: &State, name: &str, except: Option<usize>) -> Result<(), Fail> {
    if BUILTIN_ROLES.iter().any(|b| b.eq_ignore_ascii_case(name)) {
        return Err(field_fail("name", format!("[{name}] is a built-in role")));
    }
    if st
        .roles
        .iter()
        .enumerate()
        .any(|(k, r)| Some(k) != except && r.name == name)
    {
        return Err(field_fail(
            "name",
            format!("Role with name [{name}] already exists"),
        ));
    }
    Ok(())
}

fn extended_role(o: &Map<String, Value>) -> Result<Option<String>, Fail> {
    match opt_str(o, "extendedRole")? {
        None => Ok(None),
        Some(e @ ("user" | "observer" | "stakeholder")) => Ok(Some(e.to_string())),
        Some(other) => Err(field_fail(
            "extendedRole",
            format!("should be one of [user, observer, stakeholder], got [{other}]"),
        )),
    }
}

fn create_role(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?;
    let name = req_str(o, "name")?.to_string();
    check_role_name(st, &name, None)?;
    let role = CustomRole {
        id: st.uuid(),
        name,
        extended_role: extended_role(o)?.unwrap_or_else(|| "user".into()),
        granted_rights: str_list(o, "grantedRights")?.unwrap_or_default(),
        disallowed_rights: str_list(o, "disallowedRights")?.unwrap_or_default(),
    };
    let data = id_name(&role.id, &role.name);
    st.roles.push(role);
    result(201, "Created", Some(data))
}

fn update_role(st: &mut State, r: &Req, x: &str) -> Out {
    let i = find_role(st, r, x)?;
    let o = r.obj()?;
    let name = opt_str(o, "name")?.map(String::from);
    if let Some(n) = &name {
        check_role_name(st, n, Some(i))?;
    }
    let ext = extended_role(o)?;
    let granted = str_list(o, "grantedRights")?;
    let disallowed = str_list(o, "disallowedRights")?;
    let role = &mut st.roles[i];
    if let Some(n) = name {
        role.name = n;
    }
    if let Some(e) = ext {
        role.extended_role = e;
    }
    if let Some(g) = granted {
        role.granted_rights = g;
    }
    if let Some(d) = disallowed {
        role.disallowed_rights = d;
    }
    let (id, name) = (role.id.clone(), role.name.clone());
    for u in st.users.iter_mut().filter(|u| u.role.id == id) {
        u.role.name = name.clone();
    }
    result(200, "Updated", Some(id_name(&id, &name)))
}

fn delete_role(st: &mut State, r: &Req, x: &str) -> Out {
    let i = find_role(st, r, x)?;
    let id = st.roles[i].id.clone();
    let users = st.users.iter().filter(|u| u.role.id == id).count();
    if users > 0 {
        return Err(fail(
            422,
            format!(
                "Role [{}] is assigned to {users} user(s) and cannot be deleted",
                st.roles[i].name
            ),
        ));
    }
    let role = st.roles.remove(i);
    result(200, "Deleted", Some(id_name(&role.id, &role.name)))
}

// ---- schedules, rotations, escalations, forwarding rules -------------------

fn owner_team_json(st: &State, id: &Option<String>) -> Option<Value> {
    let id = id.as_ref()?;
    st.teams
        .iter()
        .find(|t| &t.id == id)
        .map(|t| id_name(&t.id, &t.name))
}

fn rotation_json(r: &Rotation) -> Value {
    let mut v = json!({
        "id": r.id, "name": r.name, "startDate": r.start_date, "type": r.kind,
        "length": r.length,
        "participants": r.participants.iter().map(State::recipient_json).collect::<Vec<_>>(),
    });
    if let Some(e) = &r.end_date {
        v["endDate"] = json!(e);
    }
    v
}

fn schedule_json(st: &State, s: &Schedule, rotations: bool) -> Value {
    let mut v = json!({
        "id": s.id, "name": s.name, "description": s.description,
        "timezone": s.timezone, "enabled": s.enabled,
    });
    if let Some(t) = owner_team_json(st, &s.owner_team) {
        v["ownerTeam"] = t;
    }
    if rotations {
        v["rotations"] = s.rotations.iter().map(rotation_json).collect();
    }
    v
}

fn find_schedule(st: &State, s: &str, id_type: Option<&str>) -> Result<usize, Fail> {
    State::find_named(
        &st.schedules,
        s,
        id_type,
        "schedule",
        |x| &x.id,
        |x| &x.name,
    )
}

fn find_rotation(st: &State, r: &Req, s: &str, id: &str) -> Result<(usize, usize), Fail> {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let j = st.schedules[i]
        .rotations
        .iter()
        .position(|x| x.id == id)
        .ok_or_else(|| fail(404, format!("No rotation exists with id [{id}]")))?;
    Ok((i, j))
}

fn parse_recipients(st: &State, v: Option<&Value>, field: &str) -> Result<Vec<Recipient>, Fail> {
    match v {
        Some(Value::Array(a)) => a.iter().map(|p| st.resolve_recipient(p, field)).collect(),
        _ => Err(field_fail(field, "should be a list")),
    }
}

fn parse_rotation(st: &mut State, v: &Value) -> Result<Rotation, Fail> {
    let o = v
        .as_object()
        .ok_or_else(|| field_fail("rotations", "should be objects"))?;
    let kind = req_str(o, "type")?;
    if !["daily", "weekly", "hourly"].contains(&kind) {
        return Err(field_fail("type", "should be daily, weekly or hourly"));
    }
    let start = req_str(o, "startDate")?;
    if start.parse::<jiff::Timestamp>().is_err() {
        return Err(field_fail("startDate", "should be an ISO-8601 date-time"));
    }
    Ok(Rotation {
        id: st.uuid(),
        name: opt_str(o, "name")?.unwrap_or("rotation").to_string(),
        start_date: start.to_string(),
        end_date: opt_str(o, "endDate")?.map(String::from),
        kind: kind.to_string(),
        length: o.get("length").and_then(|v| v.as_u64()).unwrap_or(1) as u32,
        participants: parse_recipients(st, o.get("participants"), "participants")?,
    })
}

fn owner_team_ref(st: &State, o: &Map<String, Value>) -> Result<Option<String>, Fail> {
    let Some(t) = o.get("ownerTeam").and_then(|v| v.as_object()) else {
        return Ok(None);
    };
    let id = t.get("id").and_then(|v| v.as_str());
    let name = t.get("name").and_then(|v| v.as_str());
    st.teams
        .iter()
        .find(|x| Some(x.id.as_str()) == id || Some(x.name.as_str()) == name)
        .map(|x| Some(x.id.clone()))
        .ok_or_else(|| field_fail("ownerTeam", "team does not exist"))
}

fn create_schedule(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?.clone();
    let name = req_str(&o, "name")?.to_string();
    if st.schedules.iter().any(|s| s.name == name) {
        return Err(fail(
            409,
            format!("Schedule with name [{name}] already exists"),
        ));
    }
    let owner_team = owner_team_ref(st, &o)?;
    let mut rotations = Vec::new();
    if let Some(Value::Array(a)) = o.get("rotations") {
        for v in a {
            rotations.push(parse_rotation(st, v)?);
        }
    }
    let s = Schedule {
        id: st.uuid(),
        name,
        description: opt_str(&o, "description")?.unwrap_or("").to_string(),
        timezone: canonical_tz(opt_str(&o, "timezone")?.unwrap_or("Etc/UTC")),
        enabled: o.get("enabled").and_then(|v| v.as_bool()).unwrap_or(true),
        owner_team,
        rotations,
    };
    let data = json!({"id": s.id, "name": s.name, "enabled": s.enabled});
    st.schedules.push(s);
    ok(201, json!({ "data": data }))
}

fn create_rotation(st: &mut State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let body = r.body.clone().unwrap_or(Value::Null);
    let rot = parse_rotation(st, &body)?;
    let data = id_name(&rot.id, &rot.name);
    st.schedules[i].rotations.push(rot);
    result(201, "Created", Some(data))
}

fn update_rotation(st: &mut State, r: &Req, s: &str, id: &str) -> Out {
    let (i, j) = find_rotation(st, r, s, id)?;
    let o = r.obj()?;
    let participants = match o.get("participants") {
        Some(v) => Some(parse_recipients(st, Some(v), "participants")?),
        None => None,
    };
    let rot = &mut st.schedules[i].rotations[j];
    if let Some(n) = opt_str(o, "name")? {
        rot.name = n.to_string();
    }
    if let Some(t) = opt_str(o, "type")? {
        rot.kind = t.to_string();
    }
    if let Some(d) = opt_str(o, "startDate")? {
        rot.start_date = d.to_string();
    }
    if let Some(d) = opt_str(o, "endDate")? {
        rot.end_date = Some(d.to_string());
    }
    if let Some(l) = o.get("length").and_then(|v| v.as_u64()) {
        rot.length = l as u32;
    }
    if let Some(p) = participants {
        rot.participants = p;
    }
    result(200, "Updated", Some(id_name(&rot.id, &rot.name)))
}

fn escalation_json(st: &State, e: &Escalation) -> Value {
    let rules: Vec<Value> = e
        .rules
        .iter()
        .map(|r| {
            json!({
                "condition": r.condition, "notifyType": r.notify_type,
                "delay": {"timeAmount": r.delay_minutes, "timeUnit": "minutes"},
                "recipient": State::recipient_json(&r.recipient),
            })
        })
        .collect();
    let mut v = json!({"id": e.id, "name": e.name, "description": e.description, "rules": rules});
    if let Some(t) = owner_team_json(st, &e.owner_team) {
        v["ownerTeam"] = t;
    }
    v
}

fn find_escalation(st: &State, e: &str, id_type: Option<&str>) -> Result<usize, Fail> {
    State::find_named(
        &st.escalations,
        e,
        id_type,
        "escalation",
        |x| &x.id,
        |x| &x.name,
    )
}

fn parse_rules(st: &State, v: Option<&Value>) -> Result<Vec<EscalationRule>, Fail> {
    let Some(Value::Array(a)) = v else {
        return Err(field_fail("rules", "should be a list"));
    };
    a.iter()
        .map(|r| {
            let o = r
                .as_object()
                .ok_or_else(|| field_fail("rules", "should be objects"))?;
            let delay = o.get("delay").cloned().unwrap_or(json!({}));
            let amount = delay
                .get("timeAmount")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            let minutes = match delay.get("timeUnit").and_then(|v| v.as_str()) {
                Some("hours") => amount * 60,
                Some("days") => amount * 1440,
                _ => amount,
            };
            Ok(EscalationRule {
                condition: opt_str(o, "condition")?
                    .unwrap_or("if-not-acked")
                    .to_string(),
                notify_type: opt_str(o, "notifyType")?.unwrap_or("default").to_string(),
                delay_minutes: minutes,
                recipient: st.resolve_recipient(
                    o.get("recipient")
                        .ok_or_else(|| field_fail("recipient", "is required"))?,
                    "recipient",
                )?,
            })
        })
        .collect()
}

fn create_escalation(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?;
    let name = req_str(o, "name")?.to_string();
    if st.escalations.iter().any(|e| e.name == name) {
        return Err(fail(
            409,
            format!("Escalation with name [{name}] already exists"),
        ));
    }
    let rules = parse_rules(st, o.get("rules"))?;
    let owner_team = owner_team_ref(st, o)?;
    let e = Escalation {
        id: st.uuid(),
        name,
        description: opt_str(o, "description")?.unwrap_or("").to_string(),
        owner_team,
        rules,
    };
    let data = id_name(&e.id, &e.name);
    st.escalations.push(e);
    result(201, "Created", Some(data))
}

fn update_escalation(st: &mut State, r: &Req, e: &str) -> Out {
    let i = find_escalation(st, e, r.q("identifierType"))?;
    let o = r.obj()?;
    let rules = match o.get("rules") {
        Some(v) => Some(parse_rules(st, Some(v))?),
        None => None,
    };
    let esc = &mut st.escalations[i];
    if let Some(n) = opt_str(o, "name")? {
        esc.name = n.to_string();
    }
    if let Some(d) = opt_str(o, "description")? {
        esc.description = d.to_string();
    }
    if let Some(rl) = rules {
        esc.rules = rl;
    }
    result(200, "Updated", Some(id_name(&esc.id, &esc.name)))
}

fn forwarding_json(st: &State, f: &ForwardingRule) -> Value {
    let name = |id: &str| {
        st.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.username.clone())
            .unwrap_or_default()
    };
    let mut v = json!({
        "id": f.id, "alias": f.alias, "startDate": f.start_date,
        "fromUser": {"id": f.from_user, "username": name(&f.from_user)},
        "toUser": {"id": f.to_user, "username": name(&f.to_user)},
    });
    if let Some(e) = &f.end_date {
        v["endDate"] = json!(e);
    }
    v
}

fn find_forwarding(st: &State, r: &Req, f: &str) -> Result<usize, Fail> {
    let by_alias = r.q("identifierType") == Some("alias");
    st.forwarding
        .iter()
        .position(|x| if by_alias { x.alias == f } else { x.id == f })
        .ok_or_else(|| {
            fail(
                404,
                format!("No forwarding rule exists with identifier [{f}]"),
            )
        })
}

fn create_forwarding(st: &mut State, r: &Req) -> Out {
    let o = r.obj()?;
    let from = st.resolve_user_ref(o.get("fromUser"), "fromUser")?;
    let to = st.resolve_user_ref(o.get("toUser"), "toUser")?;
    let id = st.uuid();
    let rule = ForwardingRule {
        alias: opt_str(o, "alias")?
            .map(String::from)
            .unwrap_or_else(|| id.clone()),
        id,
        from_user: st.users[from].id.clone(),
        to_user: st.users[to].id.clone(),
        start_date: opt_str(o, "startDate")?
            .map(String::from)
            .unwrap_or_else(now_rfc3339),
        end_date: opt_str(o, "endDate")?.map(String::from),
    };
    let data = json!({"id": rule.id, "alias": rule.alias});
    st.forwarding.push(rule);
    ok(201, json!({ "result": "Created", "data": data }))
}
