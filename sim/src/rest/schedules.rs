//! `/v2/schedules`: schedules, their rotations and their overrides.
//!
//! `PATCH .../rotations/{id}` is "Update Schedule Rotation (Partial)": each
//! field named replaces the stored one whole (`participants`,
//! `timeRestriction`); the others stay. `PUT .../overrides/{alias}` is
//! "Update Schedule Override", a full replacement (`user`, `startDate`,
//! `endDate` required; `rotations` absent means all rotations).

use serde_json::{json, Map, Value};

use super::*;

pub(super) fn owner_team_json(st: &State, id: &Option<String>) -> Option<Value> {
    let id = id.as_ref()?;
    st.teams
        .iter()
        .find(|t| &t.id == id)
        .map(|t| id_name(&t.id, &t.name))
}

/// The rotation fields the simulator models (anything else is stored as written).
const ROTATION_KNOWN: [&str; 9] = [
    "id",
    "name",
    "startDate",
    "endDate",
    "type",
    "length",
    "participants",
    "timeRestriction",
    "_parent",
];

fn rotation_json(r: &Rotation) -> Value {
    let mut v = json!({
        "id": r.id, "name": r.name, "startDate": r.start_date, "type": r.kind,
        "length": r.length,
        "participants": r.participants.iter().map(State::recipient_json).collect::<Vec<_>>(),
    });
    if let Some(e) = &r.end_date {
        v["endDate"] = json!(e);
    }
    if let Some(t) = &r.time_restriction {
        v["timeRestriction"] = t.clone();
    }
    with_unmodelled(v, &r.extra)
}

/// The spec's `TimeRestrictionInterval`: an object whose `type` is
/// `time-of-day` or `weekday-and-time-of-day`; the rest is kept as written.
fn time_restriction(o: &Map<String, Value>) -> Result<Option<Value>, Fail> {
    match o.get("timeRestriction") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(t)) => match t.get("type").and_then(|x| x.as_str()) {
            Some("time-of-day" | "weekday-and-time-of-day") => Ok(Some(v.clone())),
            _ => Err(field_fail(
                "timeRestriction.type",
                "should be one of [weekday-and-time-of-day, time-of-day]",
            )),
        },
        Some(_) => Err(field_fail("timeRestriction", "should be an object")),
    }
}

fn rotation_type(o: &Map<String, Value>) -> Result<Option<&str>, Fail> {
    match opt_str(o, "type")? {
        Some(k) if !["daily", "weekly", "hourly"].contains(&k) => {
            Err(field_fail("type", "should be daily, weekly or hourly"))
        }
        k => Ok(k),
    }
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
    let kind = rotation_type(o)?.ok_or_else(|| field_fail("type", "is required"))?;
    let start = req_time(o, "startDate")?;
    Ok(Rotation {
        id: st.uuid(),
        name: opt_str(o, "name")?.unwrap_or("rotation").to_string(),
        start_date: start.to_string(),
        end_date: opt_time(o, "endDate")?.map(String::from),
        kind: kind.to_string(),
        length: o.get("length").and_then(|v| v.as_u64()).unwrap_or(1) as u32,
        participants: parse_recipients(st, o.get("participants"), "participants")?,
        time_restriction: time_restriction(o)?,
        extra: unmodelled(o, &ROTATION_KNOWN),
    })
}

pub(super) fn owner_team_ref(st: &State, o: &Map<String, Value>) -> Result<Option<String>, Fail> {
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

pub(super) fn create_schedule(st: &mut State, r: &Req) -> Out {
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
        overrides: Vec::new(),
    };
    let data = json!({"id": s.id, "name": s.name, "enabled": s.enabled});
    st.schedules.push(s);
    ok(201, json!({ "data": data }))
}

pub(super) fn create_rotation(st: &mut State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let body = r.body.clone().unwrap_or(Value::Null);
    let rot = parse_rotation(st, &body)?;
    let data = id_name(&rot.id, &rot.name);
    st.schedules[i].rotations.push(rot);
    result(201, "Created", Some(data))
}

pub(super) fn update_rotation(st: &mut State, r: &Req, s: &str, id: &str) -> Out {
    let (i, j) = find_rotation(st, r, s, id)?;
    let o = r.obj()?;
    let participants = match o.get("participants") {
        Some(v) => Some(parse_recipients(st, Some(v), "participants")?),
        None => None,
    };
    let kind = rotation_type(o)?;
    let start = opt_time(o, "startDate")?;
    let end = opt_time(o, "endDate")?;
    let restriction = time_restriction(o)?;
    let rot = &mut st.schedules[i].rotations[j];
    if let Some(n) = opt_str(o, "name")? {
        rot.name = n.to_string();
    }
    if let Some(t) = kind {
        rot.kind = t.to_string();
    }
    if let Some(d) = start {
        rot.start_date = d.to_string();
    }
    if let Some(d) = end {
        rot.end_date = Some(d.to_string());
    }
    if let Some(l) = o.get("length").and_then(|v| v.as_u64()) {
        rot.length = l as u32;
    }
    if let Some(p) = participants {
        rot.participants = p;
    }
    if o.contains_key("timeRestriction") {
        rot.time_restriction = restriction;
    }
    patch_unmodelled(&mut rot.extra, o, &ROTATION_KNOWN);
    result(200, "Updated", Some(id_name(&rot.id, &rot.name)))
}

pub(super) fn list_schedules(st: &State, r: &Req) -> Out {
    let rot = r.q("expand").is_some_and(|e| e.contains("rotation"));
    let data: Vec<Value> = st
        .schedules
        .iter()
        .map(|s| schedule_json(st, s, rot))
        .collect();
    ok(200, json!({ "data": data, "expandable": ["rotation"] }))
}

pub(super) fn get_schedule(st: &State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("identifierType"))?;
    ok(
        200,
        json!({ "data": schedule_json(st, &st.schedules[i], true) }),
    )
}

pub(super) fn delete_schedule(st: &mut State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("identifierType"))?;
    let s = st.schedules.remove(i);
    result(200, "Deleted", Some(id_name(&s.id, &s.name)))
}

pub(super) fn list_rotations(st: &State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let data: Vec<Value> = st.schedules[i]
        .rotations
        .iter()
        .map(rotation_json)
        .collect();
    ok(200, json!({ "data": data }))
}

pub(super) fn get_rotation(st: &State, r: &Req, s: &str, id: &str) -> Out {
    let (i, j) = find_rotation(st, r, s, id)?;
    let sch = &st.schedules[i];
    let mut v = rotation_json(&sch.rotations[j]);
    v["_parent"] = json!({"id": sch.id, "name": sch.name, "enabled": sch.enabled});
    ok(200, json!({ "data": v }))
}

pub(super) fn delete_rotation(st: &mut State, r: &Req, s: &str, id: &str) -> Out {
    let (i, j) = find_rotation(st, r, s, id)?;
    let rot = st.schedules[i].rotations.remove(j);
    result(200, "Deleted", Some(id_name(&rot.id, &rot.name)))
}

// ---- overrides ---------------------------------------------------------------

fn override_json(sch: &Schedule, x: &ScheduleOverride) -> Value {
    json!({
        "_parent": {"id": sch.id, "name": sch.name, "enabled": sch.enabled},
        "alias": x.alias,
        "user": State::recipient_json(&x.user),
        "startDate": x.start_date,
        "endDate": x.end_date,
        "rotations": x.rotations,
    })
}

fn find_override(st: &State, r: &Req, s: &str, alias: &str) -> Result<(usize, usize), Fail> {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let j = st.schedules[i]
        .overrides
        .iter()
        .position(|x| x.alias == alias)
        .ok_or_else(|| fail(404, format!("No override exists with alias [{alias}]")))?;
    Ok((i, j))
}

/// The body of a create or update: `user` (a user or `none`), `startDate`
/// before `endDate`, optional `rotations` of the schedule.
fn parse_override(
    st: &State,
    sch: usize,
    o: &Map<String, Value>,
) -> Result<(Recipient, String, String, Vec<Value>), Fail> {
    let user = o
        .get("user")
        .ok_or_else(|| field_fail("user", "is required"))?;
    let user = st.resolve_recipient(user, "user")?;
    if user.kind != "user" && user.kind != "none" {
        return Err(field_fail("user", "should be a user or none"));
    }
    let start = req_time(o, "startDate")?;
    let end = req_time(o, "endDate")?;
    if end.parse::<jiff::Timestamp>().ok() <= start.parse::<jiff::Timestamp>().ok() {
        return Err(field_fail("endDate", "should be after startDate"));
    }
    let rotations = match o.get("rotations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            for x in a {
                let id = x.get("id").and_then(|v| v.as_str());
                let name = x.get("name").and_then(|v| v.as_str());
                if !st.schedules[sch]
                    .rotations
                    .iter()
                    .any(|r| Some(r.id.as_str()) == id || Some(r.name.as_str()) == name)
                {
                    return Err(field_fail("rotations", "rotation does not exist"));
                }
            }
            a.clone()
        }
        Some(_) => return Err(field_fail("rotations", "should be a list")),
    };
    Ok((user, start.to_string(), end.to_string(), rotations))
}

pub(super) fn list_overrides(st: &State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let sch = &st.schedules[i];
    let data: Vec<Value> = sch
        .overrides
        .iter()
        .map(|x| override_json(sch, x))
        .collect();
    ok(200, json!({ "data": data }))
}

pub(super) fn create_override(st: &mut State, r: &Req, s: &str) -> Out {
    let i = find_schedule(st, s, r.q("scheduleIdentifierType"))?;
    let o = r.obj()?;
    let (user, start_date, end_date, rotations) = parse_override(st, i, o)?;
    let alias = match opt_str(o, "alias")? {
        Some(a) => a.to_string(),
        None => st.uuid(),
    };
    if st.schedules[i].overrides.iter().any(|x| x.alias == alias) {
        return Err(fail(
            409,
            format!("Override with alias [{alias}] already exists"),
        ));
    }
    st.schedules[i].overrides.push(ScheduleOverride {
        alias: alias.clone(),
        user,
        start_date,
        end_date,
        rotations,
    });
    result(201, "Created", Some(json!({ "alias": alias })))
}

pub(super) fn get_override(st: &State, r: &Req, s: &str, alias: &str) -> Out {
    let (i, j) = find_override(st, r, s, alias)?;
    let sch = &st.schedules[i];
    ok(
        200,
        json!({ "data": override_json(sch, &sch.overrides[j]) }),
    )
}

pub(super) fn update_override(st: &mut State, r: &Req, s: &str, alias: &str) -> Out {
    let (i, j) = find_override(st, r, s, alias)?;
    let (user, start_date, end_date, rotations) = parse_override(st, i, r.obj()?)?;
    let x = &mut st.schedules[i].overrides[j];
    x.user = user;
    x.start_date = start_date;
    x.end_date = end_date;
    x.rotations = rotations;
    result(200, "Updated", Some(json!({ "alias": x.alias })))
}

pub(super) fn delete_override(st: &mut State, r: &Req, s: &str, alias: &str) -> Out {
    let (i, j) = find_override(st, r, s, alias)?;
    let x = st.schedules[i].overrides.remove(j);
    result(200, "Deleted", Some(json!({ "alias": x.alias })))
}
