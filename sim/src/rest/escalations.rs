//! `/v2/escalations` and `/v2/forwarding-rules`.

use serde_json::{json, Map, Value};

use super::schedules::{owner_team_json, owner_team_ref};
use super::*;

/// The escalation fields the simulator models (anything else is stored as written).
const KNOWN: [&str; 6] = ["id", "name", "description", "rules", "ownerTeam", "repeat"];
/// The rule fields the simulator models.
const RULE_KNOWN: [&str; 4] = ["condition", "notifyType", "delay", "recipient"];
const CONDITIONS: [&str; 2] = ["if-not-acked", "if-not-closed"];
const NOTIFY_TYPES: [&str; 6] = ["default", "next", "previous", "users", "admins", "all"];
const TIME_UNITS: [&str; 7] = [
    "days",
    "hours",
    "minutes",
    "seconds",
    "miliseconds",
    "micros",
    "nanos",
];

fn rule_json(r: &EscalationRule) -> Value {
    let mut v = json!({"recipient": State::recipient_json(&r.recipient)});
    if let Some(c) = &r.condition {
        v["condition"] = json!(c);
    }
    if let Some(n) = &r.notify_type {
        v["notifyType"] = json!(n);
    }
    v["delay"] = json!({"timeAmount": r.delay.amount});
    if let Some(u) = &r.delay.unit {
        v["delay"]["timeUnit"] = json!(u);
    }
    with_unmodelled(v, &r.extra)
}

pub(super) fn escalation_json(st: &State, e: &Escalation) -> Value {
    let rules: Vec<Value> = e.rules.iter().map(rule_json).collect();
    let mut v = json!({"id": e.id, "name": e.name, "description": e.description, "rules": rules});
    if let Some(t) = owner_team_json(st, &e.owner_team) {
        v["ownerTeam"] = t;
    }
    if let Some(r) = &e.repeat {
        v["repeat"] = r.clone();
    }
    with_unmodelled(v, &e.extra)
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

/// An optional enum field: absent stays absent (the spec's default), an
/// empty or unknown value is refused.
fn opt_enum(o: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<Option<String>, Fail> {
    match opt_str(o, key)? {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
        Some(v) => Err(field_fail(
            key,
            format!("should be one of [{}], got [{v}]", allowed.join(", ")),
        )),
    }
}

/// The spec's `Duration`: `timeAmount` required, `timeUnit` optional.
fn parse_delay(v: Option<&Value>) -> Result<Delay, Fail> {
    let o = v
        .and_then(|v| v.as_object())
        .ok_or_else(|| field_fail("delay", "is required"))?;
    let amount = o
        .get("timeAmount")
        .and_then(|v| v.as_i64())
        .ok_or_else(|| field_fail("delay.timeAmount", "is required"))?;
    let unit = opt_enum(o, "timeUnit", &TIME_UNITS)?;
    Ok(Delay { amount, unit })
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
            Ok(EscalationRule {
                condition: opt_enum(o, "condition", &CONDITIONS)?,
                notify_type: opt_enum(o, "notifyType", &NOTIFY_TYPES)?,
                delay: parse_delay(o.get("delay"))?,
                recipient: st.resolve_recipient(
                    o.get("recipient")
                        .ok_or_else(|| field_fail("recipient", "is required"))?,
                    "recipient",
                )?,
                extra: unmodelled(o, &RULE_KNOWN),
            })
        })
        .collect()
}

fn repeat(o: &Map<String, Value>) -> Result<Option<Value>, Fail> {
    match o.get("repeat") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(field_fail("repeat", "should be an object")),
    }
}

pub(super) fn create_escalation(st: &mut State, r: &Req) -> Out {
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
        repeat: repeat(o)?,
        extra: unmodelled(o, &KNOWN),
    };
    let data = id_name(&e.id, &e.name);
    st.escalations.push(e);
    result(201, "Created", Some(data))
}

/// "Update Escalation (Partial)": each field named replaces the stored one
/// whole (`rules` is the complete new list, each rule kept as written);
/// the others stay.
pub(super) fn update_escalation(st: &mut State, r: &Req, e: &str) -> Out {
    let i = find_escalation(st, e, r.q("identifierType"))?;
    let o = r.obj()?;
    let rules = match o.get("rules") {
        Some(v) => Some(parse_rules(st, Some(v))?),
        None => None,
    };
    let owner_team = match o.get("ownerTeam") {
        Some(_) => Some(owner_team_ref(st, o)?),
        None => None,
    };
    let name = opt_str(o, "name")?;
    if let Some(n) = name {
        if st
            .escalations
            .iter()
            .enumerate()
            .any(|(k, x)| k != i && x.name == n)
        {
            return Err(fail(
                409,
                format!("Escalation with name [{n}] already exists"),
            ));
        }
    }
    let repeat = repeat(o)?;
    let esc = &mut st.escalations[i];
    if let Some(n) = name {
        esc.name = n.to_string();
    }
    if let Some(d) = opt_str(o, "description")? {
        esc.description = d.to_string();
    }
    if let Some(rl) = rules {
        esc.rules = rl;
    }
    if let Some(t) = owner_team {
        esc.owner_team = t;
    }
    if o.contains_key("repeat") {
        esc.repeat = repeat;
    }
    patch_unmodelled(&mut esc.extra, o, &KNOWN);
    result(200, "Updated", Some(id_name(&esc.id, &esc.name)))
}

pub(super) fn forwarding_json(st: &State, f: &ForwardingRule) -> Value {
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

pub(super) fn create_forwarding(st: &mut State, r: &Req) -> Out {
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
        start_date: req_time(o, "startDate")?.to_string(),
        end_date: Some(req_time(o, "endDate")?.to_string()),
    };
    if let Some(a) = opt_str(o, "alias")? {
        if st.forwarding.iter().any(|f| f.alias == a) {
            return Err(fail(
                409,
                format!("Forwarding rule with alias [{a}] already exists"),
            ));
        }
    }
    let data = json!({"id": rule.id, "alias": rule.alias});
    st.forwarding.push(rule);
    ok(201, json!({ "result": "Created", "data": data }))
}

/// "Update Forwarding Rule" (`PUT`): a full replacement. `fromUser`,
/// `toUser`, `startDate` and `endDate` are required, as the spec says; the
/// alias (the rule's other identifier, not in the update body) stays.
pub(super) fn update_forwarding(st: &mut State, r: &Req, f: &str) -> Out {
    let i = find_forwarding(st, r, f)?;
    let o = r.obj()?;
    let from = st.resolve_user_ref(o.get("fromUser"), "fromUser")?;
    let to = st.resolve_user_ref(o.get("toUser"), "toUser")?;
    let start = req_time(o, "startDate")?.to_string();
    let end = req_time(o, "endDate")?.to_string();
    let (from, to) = (st.users[from].id.clone(), st.users[to].id.clone());
    let rule = &mut st.forwarding[i];
    rule.from_user = from;
    rule.to_user = to;
    rule.start_date = start;
    rule.end_date = Some(end);
    let data = json!({"id": rule.id, "alias": rule.alias});
    result(200, "Updated", Some(data))
}

pub(super) fn list_escalations(st: &State) -> Out {
    let data: Vec<Value> = st
        .escalations
        .iter()
        .map(|e| escalation_json(st, e))
        .collect();
    ok(200, json!({ "data": data }))
}

pub(super) fn get_escalation(st: &State, r: &Req, e: &str) -> Out {
    let i = find_escalation(st, e, r.q("identifierType"))?;
    ok(
        200,
        json!({ "data": escalation_json(st, &st.escalations[i]) }),
    )
}

pub(super) fn delete_escalation(st: &mut State, r: &Req, e: &str) -> Out {
    let i = find_escalation(st, e, r.q("identifierType"))?;
    let e = st.escalations.remove(i);
    result(200, "Deleted", Some(id_name(&e.id, &e.name)))
}

pub(super) fn list_forwarding(st: &State) -> Out {
    let data: Vec<Value> = st
        .forwarding
        .iter()
        .map(|f| forwarding_json(st, f))
        .collect();
    ok(200, json!({ "data": data }))
}

pub(super) fn get_forwarding(st: &State, r: &Req, f: &str) -> Out {
    let i = find_forwarding(st, r, f)?;
    ok(
        200,
        json!({ "data": forwarding_json(st, &st.forwarding[i]) }),
    )
}

pub(super) fn delete_forwarding(st: &mut State, r: &Req, f: &str) -> Out {
    let i = find_forwarding(st, r, f)?;
    let f = st.forwarding.remove(i);
    result(200, "Deleted", Some(json!({"id": f.id, "alias": f.alias})))
}
