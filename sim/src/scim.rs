//! The Atlassian SCIM 2.0 subset under `/scim/directory/{directoryId}`:
//! Users and Groups with the filters Atlassian supports, PATCH answering 200
//! with the resource, DELETE of a user deactivating it.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::model::ScimResource;
use crate::rest::{Out, Req};
use crate::state::{fail, now_rfc3339, Fail, State};

pub(crate) const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn scim_fail(status: u16, scim_type: Option<&str>, detail: impl Into<String>) -> Fail {
    let mut f = fail(status, detail);
    f.errors = scim_type.map(|t| BTreeMap::from([("scimType".to_string(), t.to_string())]));
    f
}

/// Routes one request below the directory base; `segs` start after the directory id.
pub(crate) fn dispatch(st: &mut State, r: &Req, segs: &[&str], base: &str) -> Out {
    match (r.method.as_str(), segs) {
        ("GET", ["Users"]) => list(st, r, true),
        ("POST", ["Users"]) => create(st, r, true, base),
        ("GET", ["Users", id]) => get(st, true, id),
        ("PUT", ["Users", id]) => replace(st, r, true, id),
        ("PATCH", ["Users", id]) => patch(st, r, true, id),
        ("DELETE", ["Users", id]) => {
            // Atlassian deactivates on DELETE; the account and its history stay.
            let i = find(st, true, id)?;
            st.scim_users[i].document["active"] = json!(false);
            touch(&mut st.scim_users[i].document);
            Ok((204, Value::Null))
        }
        ("GET", ["Groups"]) => list(st, r, false),
        ("POST", ["Groups"]) => create(st, r, false, base),
        ("GET", ["Groups", id]) => get(st, false, id),
        ("PATCH", ["Groups", id]) => patch(st, r, false, id),
        ("DELETE", ["Groups", id]) => {
            let i = find(st, false, id)?;
            st.scim_groups.remove(i);
            Ok((204, Value::Null))
        }
        ("GET", ["ServiceProviderConfig"]) => Ok((
            200,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": {"supported": true},
                "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": true, "maxResults": 100},
                "changePassword": {"supported": false},
                "sort": {"supported": false},
                "etag": {"supported": false},
                "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                    "description": "Authentication with a directory API key"}],
            }),
        )),
        ("GET", ["ResourceTypes"]) => Ok((
            200,
            json!({
                "schemas": [LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2,
                "Resources": [
                    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
                     "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
                     "schemaExtensions": [
                        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
                        {"schema": "urn:scim:schemas:extension:atlassian-external:1.0", "required": false}]},
                    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group",
                     "name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA},
                ],
            }),
        )),
        ("GET", ["Schemas"]) => Ok((
            200,
            json!({
                "schemas": [LIST_SCHEMA], "totalResults": 2, "startIndex": 1, "itemsPerPage": 2,
                "Resources": [
                    {"id": USER_SCHEMA, "name": "User", "attributes": []},
                    {"id": GROUP_SCHEMA, "name": "Group", "attributes": []},
                ],
            }),
        )),
        _ => Err(scim_fail(404, None, "Resource not found")),
    }
}

fn store(st: &mut State, users: bool) -> &mut Vec<ScimResource> {
    if users {
        &mut st.scim_users
    } else {
        &mut st.scim_groups
    }
}

fn find(st: &State, users: bool, id: &str) -> Result<usize, Fail> {
    let list = if users {
        &st.scim_users
    } else {
        &st.scim_groups
    };
    list.iter()
        .position(|r| r.id == id)
        .ok_or_else(|| scim_fail(404, None, format!("Resource {id} not found")))
}

fn touch(doc: &mut Value) {
    doc["meta"]["lastModified"] = json!(now_rfc3339());
}

/// The user document as served: stored document plus read-only `groups`.
fn render(st: &State, users: bool, i: usize) -> Value {
    if !users {
        return st.scim_groups[i].document.clone();
    }
    let u = &st.scim_users[i];
    let mut doc = u.document.clone();
    let groups: Vec<Value> = st
        .scim_groups
        .iter()
        .filter(|g| g.member_ids().contains(&u.id))
        .map(|g| json!({"value": g.id, "display": g.name().unwrap_or_default(), "type": "direct"}))
        .collect();
    doc["groups"] = Value::Array(groups);
    doc
}

fn get(st: &State, users: bool, id: &str) -> Out {
    let i = find(st, users, id)?;
    Ok((200, render(st, users, i)))
}

fn key_of(users: bool) -> &'static str {
    if users {
        "userName"
    } else {
        "displayName"
    }
}

/// The unique name must be present and unused (`userName` case-insensitively).
fn check_unique(st: &State, users: bool, doc: &Value, except: Option<&str>) -> Result<(), Fail> {
    let key = key_of(users);
    let name = doc
        .get(key)
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| scim_fail(400, Some("invalidValue"), format!("{key} is required")))?;
    let list = if users {
        &st.scim_users
    } else {
        &st.scim_groups
    };
    if list.iter().any(|r| {
        Some(r.id.as_str()) != except && r.name().is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) {
        return Err(scim_fail(
            409,
            Some("uniqueness"),
            format!("{key} {name} is already in use"),
        ));
    }
    Ok(())
}

fn check_members(st: &State, doc: &Value) -> Result<(), Fail> {
    for m in doc
        .get("members")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
    {
        let id = m.get("value").and_then(|v| v.as_str()).unwrap_or("");
        if !st.scim_users.iter().any(|u| u.id == id) {
            return Err(scim_fail(
                400,
                Some("invalidValue"),
                format!("member {id} does not exist"),
            ));
        }
    }
    Ok(())
}

fn body(r: &Req) -> Result<Value, Fail> {
    match &r.body {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        _ => Err(scim_fail(
            400,
            Some("invalidSyntax"),
            "a JSON object is required",
        )),
    }
}

fn create(st: &mut State, r: &Req, users: bool, base: &str) -> Out {
    let mut doc = body(r)?;
    check_unique(st, users, &doc, None)?;
    if !users {
        check_members(st, &doc)?;
    }
    let id = st.uuid();
    let now = now_rfc3339();
    let kind = if users { "User" } else { "Group" };
    doc["id"] = json!(id);
    doc["meta"] = json!({
        "resourceType": kind, "created": now, "lastModified": now,
        "location": format!("{base}/{kind}s/{id}"),
    });
    if users && doc.get("active").is_none() {
        doc["active"] = json!(true);
    }
    if let Some(o) = doc.as_object_mut() {
        o.remove("groups");
    }
    store(st, users).push(ScimResource { id, document: doc });
    let i = store(st, users).len() - 1;
    Ok((201, render(st, users, i)))
}

fn replace(st: &mut State, r: &Req, users: bool, id: &str) -> Out {
    let i = find(st, users, id)?;
    let mut doc = body(r)?;
    check_unique(st, users, &doc, Some(id))?;
    let old = &store(st, users)[i].document;
    doc["id"] = json!(id);
    doc["meta"] = old["meta"].clone();
    if users && doc.get("active").is_none() {
        doc["active"] = json!(true);
    }
    if let Some(o) = doc.as_object_mut() {
        o.remove("groups");
    }
    touch(&mut doc);
    store(st, users)[i].document = doc;
    Ok((200, render(st, users, i)))
}

/// Reads `attr eq "value"` (the only form Atlassian supports), unescaping `\"` and `\\`.
fn parse_filter(f: &str) -> Result<(String, String), Fail> {
    let bad = || {
        scim_fail(
            400,
            Some("invalidFilter"),
            format!("Unsupported filter: {f}"),
        )
    };
    let f = f.trim();
    let (attr, rest) = f.split_once(char::is_whitespace).ok_or_else(bad)?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("eq")
        .or_else(|| rest.strip_prefix("EQ"))
        .ok_or_else(bad)?
        .trim_start();
    let mut chars = rest.chars();
    if chars.next() != Some('"') {
        return Err(bad());
    }
    let mut value = String::new();
    let mut closed = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next().ok_or_else(bad)?),
            '"' => {
                closed = true;
                break;
            }
            c => value.push(c),
        }
    }
    if !closed || !chars.as_str().trim().is_empty() {
        return Err(bad());
    }
    Ok((attr.to_string(), value))
}

fn list(st: &State, r: &Req, users: bool) -> Out {
    let filter = match r.q("filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            let (attr, value) = parse_filter(f)?;
            let allowed: &[&str] = if users {
                &["userName", "externalId"]
            } else {
                &["displayName"]
            };
            if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&attr)) {
                return Err(scim_fail(
                    400,
                    Some("invalidFilter"),
                    format!("Filtering on {attr} is not supported"),
                ));
            }
            Some((attr, value))
        }
        None => None,
    };
    let parse = |k: &str, d: i64| -> Result<i64, Fail> {
        r.q(k)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    scim_fail(
                        400,
                        Some("invalidValue"),
                        format!("{k} should be an integer"),
                    )
                })
            })
            .unwrap_or(Ok(d))
    };
    let start = parse("startIndex", 1)?.max(1);
    let count = parse("count", 100)?.clamp(0, 100);
    let items = if users {
        &st.scim_users
    } else {
        &st.scim_groups
    };
    let hits: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, res)| match &filter {
            None => true,
            Some((attr, value)) => {
                let got = res
                    .document
                    .get(if attr.eq_ignore_ascii_case("externalId") {
                        "externalId"
                    } else {
                        key_of(users)
                    })
                    .and_then(|v| v.as_str());
                match got {
                    Some(g) if attr.eq_ignore_ascii_case("externalId") => g == value,
                    Some(g) => g.eq_ignore_ascii_case(value),
                    None => false,
                }
            }
        })
        .map(|(i, _)| i)
        .collect();
    let page: Vec<Value> = hits
        .iter()
        .skip((start - 1) as usize)
        .take(count as usize)
        .map(|&i| render(st, users, i))
        .collect();
    Ok((
        200,
        json!({
            "schemas": [LIST_SCHEMA], "totalResults": hits.len(), "startIndex": start,
            "itemsPerPage": page.len(), "Resources": page,
        }),
    ))
}

fn member_filter(path: &str) -> Option<String> {
    let inner = path.strip_prefix("members[")?.strip_suffix(']')?;
    let (attr, value) = parse_filter(inner).ok()?;
    (attr == "value").then_some(value)
}

/// Sets the sub-attributes a complex value (an object) names and leaves
/// the others unchanged (RFC 7644 §3.5.2.3: "Sub-attributes that are not
/// specified in the value parameter are left unchanged"). A multi-valued
/// value is added to the attribute's values by `add` (§3.5.2.1: "a new
/// value is added to the attribute"; a value already there is not added
/// twice) and replaces them by `replace` (§3.5.2.3); any other value
/// replaces what was there.
fn merge(target: &mut Value, value: Value, add: bool) {
    match (target, value) {
        (Value::Object(t), Value::Object(v)) => {
            for (k, v) in v {
                if add {
                    merge(t.entry(k).or_insert(Value::Null), v, add);
                } else {
                    t.insert(k, v);
                }
            }
        }
        (Value::Array(t), Value::Array(v)) if add => {
            for item in v {
                if !t.contains(&item) {
                    t.push(item);
                }
            }
        }
        (target, value) => *target = value,
    }
}

/// `add` / `replace` of `value` at `path` (see [`merge`]); an extension's
/// attributes are its sub-attributes.
fn set_path(doc: &mut Value, path: &str, value: Value, add: bool) {
    if path.starts_with("urn:") && doc.get(path).is_some() {
        // A whole extension, named by its schema URN.
        merge(&mut doc[path], value, add);
        return;
    }
    if let Some(idx) = path.rfind(':').filter(|_| path.starts_with("urn:")) {
        let (ext, attr) = (&path[..idx], &path[idx + 1..]);
        if !doc[ext].is_object() {
            doc[ext] = json!({});
        }
        merge(&mut doc[ext][attr], value, add);
        return;
    }
    match path.split_once('.') {
        Some((a, b)) => {
            if !doc[a].is_object() {
                doc[a] = json!({});
            }
            merge(&mut doc[a][b], value, add);
        }
        None => merge(&mut doc[path], value, add),
    }
}

fn remove_path(doc: &mut Value, path: &str) {
    if let Some(idx) = path.rfind(':').filter(|_| path.starts_with("urn:")) {
        if let Some(o) = doc[&path[..idx]].as_object_mut() {
            o.remove(&path[idx + 1..]);
        }
        return;
    }
    match path.split_once('.') {
        Some((a, b)) => {
            if let Some(o) = doc[a].as_object_mut() {
                o.remove(b);
            }
        }
        None => {
            if let Some(o) = doc.as_object_mut() {
                o.remove(path);
            }
        }
    }
}

fn patch(st: &mut State, r: &Req, users: bool, id: &str) -> Out {
    let i = find(st, users, id)?;
    let b = body(r)?;
    let schemas_ok = b["schemas"]
        .as_array()
        .is_some_and(|a| a.iter().any(|s| s == PATCH_SCHEMA));
    let ops = b["Operations"].as_array().cloned().unwrap_or_default();
    if !schemas_ok || ops.is_empty() {
        return Err(scim_fail(
            400,
            Some("invalidSyntax"),
            "a PatchOp with Operations is required",
        ));
    }
    let mut doc = store(st, users)[i].document.clone();
    for op in ops {
        let kind = op["op"].as_str().unwrap_or("").to_ascii_lowercase();
        let path = op["path"].as_str().map(str::to_string);
        let value = op.get("value").cloned().unwrap_or(Value::Null);
        match (kind.as_str(), path.as_deref()) {
            ("add" | "replace", None) => {
                let Value::Object(o) = value else {
                    return Err(scim_fail(
                        400,
                        Some("invalidValue"),
                        "value should be an object",
                    ));
                };
                // Each attribute (or extension, by its URN) named.
                for (k, v) in o {
                    merge(&mut doc[&k], v, kind == "add");
                }
            }
            ("add", Some("members")) if !users => {
                let mut members: Vec<Value> =
                    doc["members"].as_array().cloned().unwrap_or_default();
                for m in value.as_array().into_iter().flatten() {
                    if !members.iter().any(|x| x["value"] == m["value"]) {
                        members.push(json!({"value": m["value"]}));
                    }
                }
                doc["members"] = Value::Array(members);
            }
            ("remove", Some(p)) if !users && p.starts_with("members") => {
                let drop: Vec<String> = match member_filter(p) {
                    Some(v) => vec![v],
                    None if p == "members" && value.is_array() => value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m["value"].as_str().map(String::from))
                        .collect(),
                    None if p == "members" => {
                        doc["members"] = json!([]);
                        Vec::new()
                    }
                    None => {
                        return Err(scim_fail(
                            400,
                            Some("invalidPath"),
                            format!("Unsupported path {p}"),
                        ))
                    }
                };
                if let Some(a) = doc["members"].as_array_mut() {
                    a.retain(|m| {
                        !m["value"]
                            .as_str()
                            .is_some_and(|v| drop.iter().any(|d| d == v))
                    });
                }
            }
            ("add" | "replace", Some(p)) => set_path(&mut doc, p, value, kind == "add"),
            ("remove", Some(p)) => remove_path(&mut doc, p),
            _ => {
                return Err(scim_fail(
                    400,
                    Some("invalidSyntax"),
                    format!("Unsupported operation {kind}"),
                ))
            }
        }
    }
    check_unique(st, users, &doc, Some(id))?;
    if !users {
        check_members(st, &doc)?;
    }
    touch(&mut doc);
    store(st, users)[i].document = doc;
    Ok((200, render(st, users, i)))
}

pub(crate) fn error_body(f: &Fail) -> Value {
    let mut o = Map::new();
    o.insert(
        "schemas".into(),
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
    );
    o.insert("status".into(), json!(f.status.to_string()));
    o.insert("detail".into(), json!(f.message));
    if let Some(t) = f.errors.as_ref().and_then(|e| e.get("scimType")) {
        o.insert("scimType".into(), json!(t));
    }
    Value::Object(o)
}
