//! `/v2/teams`: teams, their members and their team roles.

use serde_json::{json, Map, Value};

use super::*;

/// The team fields the simulator models (anything else is stored as written).
const TEAM_KNOWN: [&str; 4] = ["id", "name", "description", "members"];

fn team_json(t: &Team, members: bool) -> Value {
    let mut v = json!({"id": t.id, "name": t.name, "description": t.description});
    if members {
        v["members"] = t
            .members
            .iter()
            .map(|m| json!({"user": {"id": m.user_id, "username": m.username}, "role": m.role}))
            .collect();
        // The full read also carries what was written beyond the model.
        v = with_unmodelled(v, &t.extra);
    }
    v
}

pub(super) fn list_teams(st: &State) -> Out {
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

pub(super) fn create_team(st: &mut State, r: &Req) -> Out {
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
    st.teams[i].extra = unmodelled(o, &TEAM_KNOWN);
    let t = &st.teams[i];
    result(201, "Created", Some(id_name(&t.id, &t.name)))
}

pub(super) fn get_team(st: &State, r: &Req, t: &str) -> Out {
    let i = st.find_team(t, r.q("identifierType"))?;
    ok(200, json!({ "data": team_json(&st.teams[i], true) }))
}

pub(super) fn update_team(st: &mut State, r: &Req, t: &str) -> Out {
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
    patch_unmodelled(&mut team.extra, o, &TEAM_KNOWN);
    result(200, "Updated", Some(id_name(&team.id, &team.name)))
}

pub(super) fn delete_team(st: &mut State, r: &Req, t: &str) -> Out {
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

pub(super) fn add_member(st: &mut State, r: &Req, t: &str) -> Out {
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

pub(super) fn remove_member(st: &mut State, r: &Req, t: &str, member: &str) -> Out {
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

/// The team role fields the simulator models (anything else is stored as written).
const ROLE_KNOWN: [&str; 3] = ["id", "name", "rights"];

fn team_role_json(r: &TeamRole) -> Value {
    with_unmodelled(
        json!({"id": r.id, "name": r.name, "rights": r.rights}),
        &r.extra,
    )
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

pub(super) fn list_team_roles(st: &State, r: &Req, t: &str) -> Out {
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

pub(super) fn create_team_role(st: &mut State, r: &Req, t: &str) -> Out {
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
        extra: unmodelled(o, &ROLE_KNOWN),
    });
    result(201, "Created", Some(id_name(&id, &name)))
}

pub(super) fn get_team_role(st: &State, r: &Req, t: &str, x: &str) -> Out {
    let (i, j) = find_team_role(st, r, t, x)?;
    ok(
        200,
        json!({ "data": team_role_json(&st.teams[i].roles[j]) }),
    )
}

/// "Update Team Role (Partial)": each field named replaces the stored one
/// whole (`rights` is the complete new list); the others stay.
pub(super) fn update_team_role(st: &mut State, r: &Req, t: &str, x: &str) -> Out {
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
    patch_unmodelled(&mut team.roles[j].extra, o, &ROLE_KNOWN);
    let role = &team.roles[j];
    result(200, "Updated", Some(id_name(&role.id, &role.name)))
}

pub(super) fn delete_team_role(st: &mut State, r: &Req, t: &str, x: &str) -> Out {
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
