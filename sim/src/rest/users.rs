//! `/v2/users`: create, get, update, delete, list (query, sort, paging) and
//! what references a user (teams, schedules, escalations, forwarding rules).
//!
//! `PATCH /v2/users/{identifier}` is "Update User (Partial)": each top-level
//! field named replaces the stored one whole, so a `userAddress` with only
//! `city` leaves the other address parts empty; fields not named stay.

use serde_json::{json, Map, Value};

use super::escalations::{escalation_json, forwarding_json};
use super::*;

/// The user fields the simulator models, read-only ones included (anything
/// else is stored as written).
const KNOWN: [&str; 15] = [
    "id",
    "username",
    "fullName",
    "role",
    "skypeUsername",
    "timeZone",
    "locale",
    "userAddress",
    "tags",
    "details",
    "invitationDisabled",
    "blocked",
    "verified",
    "createdAt",
    "userContacts",
];

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
    with_unmodelled(Value::Object(o), &u.extra)
}

/// Applies the optional profile fields of a create or update body: each
/// field named replaces the stored one whole (`userAddress`, `tags` and
/// `details` included); the others stay, unmodelled fields too.
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
    patch_unmodelled(&mut u.extra, o, &KNOWN);
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

pub(super) fn create_user(st: &mut State, r: &Req) -> Out {
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

pub(super) fn get_user(st: &State, r: &Req, ident: &str) -> Out {
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

pub(super) fn update_user(st: &mut State, r: &Req, ident: &str) -> Out {
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

pub(super) fn delete_user(st: &mut State, ident: &str) -> Out {
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

pub(super) fn list_users(st: &State, r: &Req) -> Out {
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

pub(super) fn user_teams(st: &State, ident: &str) -> Out {
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

pub(super) fn user_schedules(st: &State, ident: &str) -> Out {
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

pub(super) fn user_escalations(st: &State, ident: &str) -> Out {
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

pub(super) fn user_forwarding(st: &State, ident: &str) -> Out {
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
