//! `/v2/roles`: custom user roles (names case-sensitive, unique).
//!
//! `PUT /v2/roles/{identifier}` is "Update Custom User Role", not
//! "(Partial)" like the PATCH calls: a full replacement. A field the body
//! leaves out takes its default (`extendedRole` `user`, empty
//! `grantedRights` / `disallowedRights`, no unmodelled fields); only `name`,
//! the role's identity and not required by the spec, stays when absent.

use serde_json::{json, Map, Value};

use super::*;

/// The fields the simulator models (anything else is stored as written).
const KNOWN: [&str; 5] = [
    "id",
    "name",
    "extendedRole",
    "grantedRights",
    "disallowedRights",
];

fn role_json(r: &CustomRole) -> Value {
    let v = json!({
        "id": r.id, "name": r.name, "extendedRole": r.extended_role,
        "grantedRights": r.granted_rights, "disallowedRights": r.disallowed_rights,
    });
    with_unmodelled(v, &r.extra)
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
        extra: unmodelled(o, &KNOWN),
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
    // A full replacement: what the body leaves out takes its default.
    let ext = extended_role(o)?.unwrap_or_else(|| "user".into());
    let granted = str_list(o, "grantedRights")?.unwrap_or_default();
    let disallowed = str_list(o, "disallowedRights")?.unwrap_or_default();
    let role = &mut st.roles[i];
    if let Some(n) = name {
        role.name = n;
    }
    role.extended_role = ext;
    role.granted_rights = granted;
    role.disallowed_rights = disallowed;
    role.extra = unmodelled(o, &KNOWN);
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
