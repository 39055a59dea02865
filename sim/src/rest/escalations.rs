//! `/v2/escalations` and `/v2/forwarding-rules`.

use serde_json::{json, Value};

use super::schedules::{owner_team_json, owner_team_ref};
use super::*;

pub(super) fn escalation_json(st: &State, e: &Escalation) -> Value {
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
    };
    let data = id_name(&e.id, &e.name);
    st.escalations.push(e);
    result(201, "Created", Some(data))
}

pub(super) fn update_escalation(st: &mut State, r: &Req, e: &str) -> Out {
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
        start_date: opt_str(o, "startDate")?
            .map(String::from)
            .unwrap_or_else(now_rfc3339),
        end_date: opt_str(o, "endDate")?.map(String::from),
    };
    let data = json!({"id": rule.id, "alias": rule.alias});
    st.forwarding.push(rule);
    ok(201, json!({ "result": "Created", "data": data }))
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
