//! REST API v2 routes of the simulator. Each handler reads a [`Req`] and
//! answers the body without `took` / `requestId` (the HTTP layer adds them).

mod contacts;
mod escalations;
mod roles;
mod schedules;
mod teams;
mod users;

use http::Method;
use serde_json::{json, Map, Value};

use crate::model::*;
use crate::state::{canonical_tz, fail, field_fail, Fail, State};

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

    pub(super) fn obj(&self) -> Result<&Map<String, Value>, Fail> {
        match &self.body {
            Some(Value::Object(o)) => Ok(o),
            Some(_) => Err(fail(400, "Request body should be a JSON object")),
            None => Err(fail(400, "Request body is missing")),
        }
    }
}

pub(crate) type Out = Result<(u16, Value), Fail>;

pub(super) fn ok(status: u16, body: Value) -> Out {
    Ok((status, body))
}

pub(super) fn result(status: u16, result: &str, data: Option<Value>) -> Out {
    let mut o = Map::new();
    o.insert("result".into(), json!(result));
    if let Some(d) = data {
        o.insert("data".into(), d);
    }
    Ok((status, Value::Object(o)))
}

pub(super) fn id_name(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name})
}

pub(super) fn opt_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Fail> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_fail(key, "should be a string")),
    }
}

pub(super) fn req_str<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, Fail> {
    match opt_str(o, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(field_fail(key, "is required")),
    }
}

pub(super) fn str_list(o: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, Fail> {
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

/// The fields of `o` not in `known`: what a create or a PUT stores as
/// [`Unmodelled`].
pub(super) fn unmodelled(o: &Map<String, Value>, known: &[&str]) -> Unmodelled {
    o.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// PATCH: each field of `o` not in `known` replaces the stored one; the
/// others stay.
pub(super) fn patch_unmodelled(stored: &mut Unmodelled, o: &Map<String, Value>, known: &[&str]) {
    stored.extend(unmodelled(o, known));
}

/// Adds the stored unmodelled fields to an answer object (never over a
/// modelled one).
pub(super) fn with_unmodelled(mut v: Value, extra: &Unmodelled) -> Value {
    if let Value::Object(o) = &mut v {
        for (k, x) in extra {
            o.entry(k.clone()).or_insert_with(|| x.clone());
        }
    }
    v
}

/// An RFC 3339 date-time field, if present.
pub(super) fn opt_time<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Fail> {
    match opt_str(o, key)? {
        Some(t) if t.parse::<jiff::Timestamp>().is_err() => {
            Err(field_fail(key, "should be an ISO-8601 date-time"))
        }
        t => Ok(t),
    }
}

/// A required RFC 3339 date-time field.
pub(super) fn req_time<'a>(o: &'a Map<String, Value>, key: &str) -> Result<&'a str, Fail> {
    opt_time(o, key)?.ok_or_else(|| field_fail(key, "is required"))
}

/// Routes one `/v2/...` request.
pub(crate) fn dispatch(st: &mut State, r: &Req, limits: Value) -> Out {
    use contacts::*;
    use escalations::*;
    use roles::*;
    use schedules::*;
    use teams::*;
    use users::*;
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
        ("GET", ["v2", "roles"]) => list_roles(st),
        ("POST", ["v2", "roles"]) => create_role(st, r),
        ("GET", ["v2", "roles", x]) => get_role(st, r, x),
        ("PUT", ["v2", "roles", x]) => update_role(st, r, x),
        ("DELETE", ["v2", "roles", x]) => delete_role(st, r, x),
        ("GET", ["v2", "schedules"]) => list_schedules(st, r),
        ("POST", ["v2", "schedules"]) => create_schedule(st, r),
        ("GET", ["v2", "schedules", s]) => get_schedule(st, r, s),
        ("DELETE", ["v2", "schedules", s]) => delete_schedule(st, r, s),
        ("GET", ["v2", "schedules", s, "rotations"]) => list_rotations(st, r, s),
        ("POST", ["v2", "schedules", s, "rotations"]) => create_rotation(st, r, s),
        ("GET", ["v2", "schedules", s, "rotations", id]) => get_rotation(st, r, s, id),
        ("PATCH", ["v2", "schedules", s, "rotations", id]) => update_rotation(st, r, s, id),
        ("DELETE", ["v2", "schedules", s, "rotations", id]) => delete_rotation(st, r, s, id),
        ("GET", ["v2", "schedules", s, "overrides"]) => list_overrides(st, r, s),
        ("POST", ["v2", "schedules", s, "overrides"]) => create_override(st, r, s),
        ("GET", ["v2", "schedules", s, "overrides", a]) => get_override(st, r, s, a),
        ("PUT", ["v2", "schedules", s, "overrides", a]) => update_override(st, r, s, a),
        ("DELETE", ["v2", "schedules", s, "overrides", a]) => delete_override(st, r, s, a),
        ("GET", ["v2", "escalations"]) => list_escalations(st),
        ("POST", ["v2", "escalations"]) => create_escalation(st, r),
        ("GET", ["v2", "escalations", e]) => get_escalation(st, r, e),
        ("PATCH", ["v2", "escalations", e]) => update_escalation(st, r, e),
        ("DELETE", ["v2", "escalations", e]) => delete_escalation(st, r, e),
        ("GET", ["v2", "forwarding-rules"]) => list_forwarding(st),
        ("POST", ["v2", "forwarding-rules"]) => create_forwarding(st, r),
        ("GET", ["v2", "forwarding-rules", f]) => get_forwarding(st, r, f),
        ("PUT", ["v2", "forwarding-rules", f]) => update_forwarding(st, r, f),
        ("DELETE", ["v2", "forwarding-rules", f]) => delete_forwarding(st, r, f),
        ("GET", ["v2", "request-limits"]) => ok(200, json!({ "data": { "rateLimits": limits } })),
        _ => Err(fail(404, "No handler found for this path and method")),
    }
}
