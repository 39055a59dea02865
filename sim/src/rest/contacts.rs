//! `/v2/users/{user}/contacts`: notification contacts (every user keeps a
//! default e-mail contact that cannot be deleted).

use serde_json::{json, Value};

use super::*;

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

pub(super) fn list_contacts(st: &State, user: &str) -> Out {
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

pub(super) fn create_contact(st: &mut State, r: &Req, user: &str) -> Out {
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

pub(super) fn get_contact(st: &State, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    ok(
        200,
        json!({ "data": contact_json(&st.users[i].contacts[j]) }),
    )
}

pub(super) fn update_contact(st: &mut State, r: &Req, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    let to = req_str(r.obj()?, "to")?.to_string();
    let c = &mut st.users[i].contacts[j];
    if c.is_default {
        return Err(fail(422, "The default e-mail contact cannot be changed"));
    }
    c.to = to;
    result(200, "Updated", Some(json!({"id": c.id})))
}

pub(super) fn delete_contact(st: &mut State, user: &str, contact: &str) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    if st.users[i].contacts[j].is_default {
        return Err(fail(422, "The default e-mail contact cannot be deleted"));
    }
    let c = st.users[i].contacts.remove(j);
    result(200, "Deleted", Some(json!({"id": c.id})))
}

pub(super) fn toggle_contact(st: &mut State, user: &str, contact: &str, enable: bool) -> Out {
    let (i, j) = find_contact(st, user, contact)?;
    let c = &mut st.users[i].contacts[j];
    c.enabled = enable;
    result(
        200,
        if enable { "Enabled" } else { "Disabled" },
        Some(json!({"id": c.id})),
    )
}
