//! `/v2/roles`: custom user roles (names case-sensitive, unique).

use serde_json::{json, Map, Value};

use super::*;

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

pub(super) fn create_role(st: &mut State, r: &Req) -> Out {
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

pub(super) fn update_role(st: &mut State, r: &Req, x: &str) -> Out {
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

pub(super) fn delete_role(st: &mut State, r: &Req, x: &str) -> Out {
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

pub(super) fn list_roles(st: &State) -> Out {
    let data: Vec<Value> = st.roles.iter().map(role_json).collect();
    ok(200, json!({ "data": data }))
}

pub(super) fn get_role(st: &State, r: &Req, x: &str) -> Out {
    let i = find_role(st, r, x)?;
    ok(200, json!({ "data": role_json(&st.roles[i]) }))
}
