//! Routing and the three APIs' behaviour.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State as AxState;
use axum::response::Response;
use http::{header, Method};
use serde_json::{json, Value};

use super::{AShared, AState, AtlassianRequest, DirGroup, SimTeam};
use crate::handler::lock;

/// An answer before it becomes a response.
struct Ans {
    status: u16,
    body: Option<Value>,
}

fn ok(body: Value) -> Ans {
    Ans {
        status: 200,
        body: Some(body),
    }
}

fn no_content() -> Ans {
    Ans {
        status: 204,
        body: None,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Api {
    Admin,
    Teams,
    Jsm,
}

fn err(api: Api, status: u16, detail: &str) -> Ans {
    let code = match status {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        429 => "TOO_MANY_REQUESTS",
        _ => "ERROR",
    };
    let body = match api {
        Api::Admin => json!({"errors": [{
            "status": status.to_string(), "code": code, "title": code, "detail": detail,
        }]}),
        Api::Teams => json!({"code": code, "message": detail}),
        Api::Jsm => json!({"message": detail, "errors": [{"title": detail}]}),
    };
    Ans {
        status,
        body: Some(body),
    }
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

struct Req {
    method: Method,
    query: Vec<(String, String)>,
    body: Option<Value>,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}

/// A number query parameter in `range` (default when absent); `Err` on junk.
fn num(
    req: &Req,
    k: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize, String> {
    match req.q(k) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(format!(
                "{k} must be a number from {} to {}",
                range.start(),
                range.end()
            )),
        },
    }
}

pub(crate) async fn handle(
    AxState(sh): AxState<Arc<AShared>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 8 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let json_body: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let req = Req {
        method: parts.method.clone(),
        query,
        body: json_body.clone(),
    };
    let api = match seg_refs.as_slice() {
        ["admin", ..] => Some(Api::Admin),
        ["gateway", "api", "public", "teams", ..] => Some(Api::Teams),
        ["jsm", ..] => Some(Api::Jsm),
        _ => None,
    };
    let mut retry_after: Option<String> = None;
    let ans = match api {
        None => err(Api::Jsm, 404, "no such API"),
        Some(api) => {
            let expected = match api {
                Api::Admin => format!("Bearer {}", sh.admin_key),
                _ => format!(
                    "Basic {}",
                    b64(format!("{}:{}", sh.email, sh.api_token).as_bytes())
                ),
            };
            let decoded = format!("/{}", segs.join("/"));
            let failure = {
                let mut f = lock(&sh.failures);
                let hit = f.iter_mut().find(|(p, _, n, _)| {
                    *n > 0 && (path.starts_with(p.as_str()) || decoded.starts_with(p.as_str()))
                });
                hit.map(|(_, status, n, retry_after)| {
                    *n -= 1;
                    (*status, retry_after.clone())
                })
            };
            if auth != expected {
                err(api, 401, "missing or wrong credentials")
            } else if let Some((status, ra)) = failure {
                retry_after = ra;
                err(api, status, "injected failure")
            } else if !bytes.iter().all(u8::is_ascii_whitespace) && json_body.is_none() {
                err(api, 400, "the body is not JSON")
            } else {
                let mut st = lock(&sh.state);
                match api {
                    Api::Admin => admin(&sh, &mut st, &req, &seg_refs),
                    Api::Teams => teams(&sh, &mut st, &req, &seg_refs),
                    Api::Jsm => jsm(&sh, &mut st, &req, &seg_refs),
                }
            }
        }
    };
    lock(&sh.log).push(AtlassianRequest {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(String::from),
        auth_scheme: auth
            .split(' ')
            .next()
            .filter(|s| !s.is_empty())
            .map(String::from),
        body: json_body,
        status: ans.status,
    });
    let mut b = Response::builder().status(ans.status);
    if let Some(ra) = retry_after {
        b = b.header(header::RETRY_AFTER, ra);
    } else if ans.status == 429 {
        b = b.header(header::RETRY_AFTER, "1");
    }
    match ans.body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap_or_default(),
        None => b.body(Body::empty()).unwrap_or_default(),
    }
}

// ---------------------------------------------------------------- Admin API

fn admin_user(u: &super::DirUser) -> Value {
    json!({
        "accountId": u.account_id,
        "accountType": "atlassian",
        "status": u.status,
        "accountStatus": "active",
        "membershipStatus": "active",
        "name": u.name,
        "email": u.email,
        "emailVerified": true,
        "claimStatus": "unmanaged",
        "platformRoles": [],
        "links": {"self": u.account_id},
    })
}

/// One page of `items` by the Admin API's opaque `cursor`/`limit`.
fn admin_page(req: &Req, items: Vec<Value>) -> Ans {
    let limit = match num(req, "limit", 100, 1..=1000) {
        Ok(n) => n,
        Err(e) => return err(Api::Admin, 400, &e),
    };
    cursor_page(req.q("cursor"), limit, items)
}

/// The page of `items` that starts at `cursor` (`cur-N`), `limit` long.
fn cursor_page(cursor: Option<&str>, limit: usize, items: Vec<Value>) -> Ans {
    let start = match cursor {
        None => 0,
        Some(c) => match c.strip_prefix("cur-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= items.len() => n,
            _ => return err(Api::Admin, 400, "invalid page cursor"),
        },
    };
    let end = (start + limit).min(items.len());
    let mut links = json!({"self": format!("cur-{start}")});
    if end < items.len() {
        links["next"] = json!(format!("cur-{end}"));
    }
    ok(json!({"data": items[start..end].to_vec(), "links": links}))
}

fn admin(sh: &AShared, st: &mut AState, req: &Req, segs: &[&str]) -> Ans {
    let rest = match segs {
        ["admin", "v2", "orgs", org, rest @ ..] if *org == sh.org_id => rest,
        ["admin", "v2", "orgs", ..] => return err(Api::Admin, 404, "organization not found"),
        _ => return err(Api::Admin, 404, "not found"),
    };
    let m = &req.method;
    match rest {
        ["directories"] if m == Method::GET => ok(json!({
            "data": [{"directoryId": sh.directory_id, "name": "Local directory"}],
            "links": {},
        })),
        ["users", "invite"] if m == Method::POST => invite(st, req),
        // `-` stands for every directory the key administers (documented
        // for the users list and search).
        ["directories", "-", "users"] => directory(st, req, &["users"]),
        ["directories", "-", "users", "search"] => directory(st, req, &["users", "search"]),
        ["directories", dir, rest @ ..] => {
            if *dir != sh.directory_id {
                return err(Api::Admin, 404, "directory not found");
            }
            directory(st, req, rest)
        }
        _ => err(Api::Admin, 404, "not found"),
    }
}

fn invite(st: &mut AState, req: &Req) -> Ans {
    let Some(body) = &req.body else {
        return err(Api::Admin, 400, "a body is required");
    };
    let emails: Option<Vec<String>> = body["emails"].as_array().map(|a| {
        a.iter()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect()
    });
    let emails = match emails {
        Some(e) if !e.is_empty() && e.iter().all(|e| e.contains('@')) => e,
        _ => {
            return err(
                Api::Admin,
                400,
                "emails: one or more e-mail addresses are required",
            )
        }
    };
    st.invitations.push(body.clone());
    let mut out = Vec::new();
    for email in emails {
        let existing = st
            .users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(&email))
            .map(|u| u.account_id.clone());
        let id = match existing {
            Some(id) => id,
            None => {
                let id = st.account_id();
                let name = email.split('@').next().unwrap_or("").to_string();
                st.users.push(super::DirUser {
                    account_id: id.clone(),
                    email: email.clone(),
                    name,
                    status: "active".into(),
                });
                id
            }
        };
        out.push(json!({"email": email, "accountId": id}));
    }
    ok(json!({"data": out}))
}

fn group_mut<'a>(st: &'a mut AState, id: &str) -> Option<&'a mut DirGroup> {
    st.groups.iter_mut().find(|g| g.id == id)
}

/// A list of strings in a search body (absent: empty); `Err` when not one.
fn strings(body: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{key} must be an array of strings")),
        Some(_) => Err(format!("{key} must be an array of strings")),
    }
}

/// `POST .../directories/{directoryId}/users/search`.
fn search_users(st: &AState, req: &Req) -> Ans {
    const KNOWN: [&str; 17] = [
        "cursor",
        "limit",
        "emails",
        "searchTerm",
        "accountIds",
        "status",
        "accountStatus",
        "membershipStatus",
        "claimStatus",
        "mfaEnabled",
        "emailDomains",
        "groupIds",
        "expand",
        "roleIds",
        "resourceIds",
        "directoryIds",
        "sortBy",
    ];
    const NOT_SIMULATED: [&str; 4] = ["roleIds", "resourceIds", "directoryIds", "sortBy"];
    const EXPAND: [&str; 4] = [
        "platformRoles",
        "counts.resources",
        "productAccess",
        "groups",
    ];
    let Some(Value::Object(body)) = &req.body else {
        return err(Api::Admin, 400, "a JSON object body is required");
    };
    if let Some(k) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return err(Api::Admin, 400, &format!("unknown field {k}"));
    }
    if let Some(k) = NOT_SIMULATED.iter().find(|k| body.contains_key(**k)) {
        return err(
            Api::Admin,
            400,
            &format!("the simulator does not filter by {k}"),
        );
    }
    let lists = (|| -> Result<_, String> {
        Ok((
            strings(body, "emails")?,
            strings(body, "accountIds")?,
            strings(body, "status")?,
            strings(body, "accountStatus")?,
            strings(body, "membershipStatus")?,
            strings(body, "emailDomains")?,
            strings(body, "groupIds")?,
            strings(body, "expand")?,
        ))
    })();
    let (emails, accounts, status, account_status, membership, domains, groups, expand) =
        match lists {
            Ok(l) => l,
            Err(e) => return err(Api::Admin, 400, &e),
        };
    let term = match body.get("searchTerm") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.to_lowercase()),
        Some(_) => return err(Api::Admin, 400, "searchTerm must be a string"),
    };
    if term.is_some() && !emails.is_empty() {
        return err(
            Api::Admin,
            400,
            "searchTerm and emails are mutually exclusive",
        );
    }
    if let Some(x) = expand.iter().find(|x| !EXPAND.contains(&x.as_str())) {
        return err(Api::Admin, 400, &format!("unknown expand value {x}"));
    }
    let claim = match body.get("claimStatus") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) if c == "managed" || c == "unmanaged" => Some(c.as_str()),
        Some(_) => return err(Api::Admin, 400, "claimStatus must be managed or unmanaged"),
    };
    let mfa = match body.get("mfaEnabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return err(Api::Admin, 400, "mfaEnabled must be a boolean"),
    };
    let limit = match body.get("limit") {
        None | Some(Value::Null) => 50,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=100) => n as usize,
            _ => return err(Api::Admin, 400, "limit must be a number from 1 to 100"),
        },
    };
    let cursor = match body.get("cursor") {
        None | Some(Value::Null) => None,
        Some(Value::String(c)) => Some(c.as_str()),
        Some(_) => return err(Api::Admin, 400, "cursor must be a string"),
    };
    let any =
        |wanted: &[String], value: &str| wanted.is_empty() || wanted.iter().any(|w| w == value);
    let items = st
        .users
        .iter()
        .filter(|u| {
            let email = u.email.to_lowercase();
            (emails.is_empty() || emails.iter().any(|e| e.to_lowercase() == email))
                && term
                    .as_ref()
                    .is_none_or(|t| email.contains(t) || u.name.to_lowercase().contains(t))
                && any(&accounts, &u.account_id)
                && any(&status, &u.status)
                && any(&account_status, "active")
                && any(&membership, &u.status)
                && (domains.is_empty()
                    || domains.iter().any(|d| {
                        email.ends_with(&format!("@{}", d.trim_start_matches('@').to_lowercase()))
                    }))
                && (groups.is_empty()
                    || st
                        .groups
                        .iter()
                        .any(|g| groups.contains(&g.id) && g.members.contains(&u.account_id)))
                // Every simulated account is unmanaged, without two-step verification.
                && claim.is_none_or(|c| c == "unmanaged")
                && mfa.is_none_or(|m| !m)
        })
        .map(|u| {
            let mut v = admin_user(u);
            if expand.iter().any(|x| x == "groups") {
                v["groups"] = st
                    .groups
                    .iter()
                    .filter(|g| g.members.contains(&u.account_id))
                    .map(|g| json!({"id": g.id, "name": g.name, "description": ""}))
                    .collect();
            }
            v
        })
        .collect();
    cursor_page(cursor, limit, items)
}

fn directory(st: &mut AState, req: &Req, rest: &[&str]) -> Ans {
    let m = &req.method;
    match rest {
        ["users"] if m == Method::GET => {
            let items = st.users.iter().map(admin_user).collect();
            admin_page(req, items)
        }
        ["users", "search"] if m == Method::POST => search_users(st, req),
        ["users", acct, action @ ("suspend" | "restore")] if m == Method::POST => {
            match st.user_by_account(acct) {
                Some(i) => {
                    st.users[i].status = if *action == "suspend" {
                        "suspended".into()
                    } else {
                        "active".into()
                    };
                    no_content()
                }
                None => err(Api::Admin, 404, "user not found in this directory"),
            }
        }
        ["users", acct, "role-assignments"] if m == Method::GET => {
            if st.user_by_account(acct).is_none() {
                return err(Api::Admin, 404, "user not found in this directory");
            }
            // The roles the user holds through the groups they are in (the
            // simulator gives roles to groups only), grouped by resource as
            // the documented answer is: `{resourceId, roleAssignments:
            // [{role, roleAssignmentMethods}], roles (deprecated), userDirectoryStatus}`.
            let mut by_resource: Vec<(String, Vec<String>)> = Vec::new();
            for g in st
                .groups
                .iter()
                .filter(|g| g.members.iter().any(|a| a == acct))
            {
                for (r, res) in &g.roles {
                    match by_resource.iter_mut().find(|(x, _)| x == res) {
                        Some((_, roles)) if roles.contains(r) => {}
                        Some((_, roles)) => roles.push(r.clone()),
                        None => by_resource.push((res.clone(), vec![r.clone()])),
                    }
                }
            }
            let items = by_resource
                .into_iter()
                .map(|(res, roles)| {
                    let held: Vec<Value> = roles
                        .iter()
                        .map(|r| json!({"role": r, "roleAssignmentMethods": ["group_direct"]}))
                        .collect();
                    json!({"resourceId": res, "roleAssignments": held, "roles": roles,
                           "userDirectoryStatus": "active"})
                })
                .collect();
            admin_page(req, items)
        }
        ["users", acct] if m == Method::DELETE => match st.user_by_account(acct) {
            Some(i) => {
                st.users.remove(i);
                for g in &mut st.groups {
                    g.members.retain(|a| a != acct);
                }
                no_content()
            }
            None => err(Api::Admin, 404, "user not found in this directory"),
        },
        ["groups"] if m == Method::GET => {
            let items = st
                .groups
                .iter()
                .map(|g| json!({"id": g.id, "name": g.name, "description": "", "managedBy": "admins"}))
                .collect();
            admin_page(req, items)
        }
        ["groups", g, "memberships"] if m == Method::POST => {
            let Some(acct) = req
                .body
                .as_ref()
                .and_then(|b| b["accountId"].as_str())
                .map(str::to_string)
            else {
                return err(Api::Admin, 400, "accountId is required");
            };
            if st.user_by_account(&acct).is_none() {
                return err(Api::Admin, 404, "user not found in this directory");
            }
            match group_mut(st, g) {
                Some(group) => {
                    if !group.members.contains(&acct) {
                        group.members.push(acct);
                    }
                    no_content()
                }
                None => err(Api::Admin, 404, "group not found"),
            }
        }
        ["groups", g, "memberships", acct] if m == Method::DELETE => match group_mut(st, g) {
            Some(group) if group.members.iter().any(|a| a == acct) => {
                group.members.retain(|a| a != acct);
                no_content()
            }
            Some(_) => err(Api::Admin, 404, "the user is not a member of this group"),
            None => err(Api::Admin, 404, "group not found"),
        },
        ["groups", g, "role-assignments"] if m == Method::GET => match group_mut(st, g) {
            Some(group) => {
                // Grouped by resource, as documented: `{resourceId, roles, defaultRole}`.
                let mut by_resource: Vec<(String, Vec<String>)> = Vec::new();
                for (r, res) in &group.roles {
                    match by_resource.iter_mut().find(|(x, _)| x == res) {
                        Some((_, roles)) => roles.push(r.clone()),
                        None => by_resource.push((res.clone(), vec![r.clone()])),
                    }
                }
                let items = by_resource
                    .into_iter()
                    .map(|(res, roles)| json!({"resourceId": res, "roles": roles, "defaultRole": null}))
                    .collect();
                admin_page(req, items)
            }
            None => err(Api::Admin, 404, "group not found"),
        },
        ["groups", g, "role-assignments", verb @ ("assign" | "revoke")] if m == Method::POST => {
            let body = req.body.clone().unwrap_or(Value::Null);
            let (Some(role), Some(res)) = (body["roleId"].as_str(), body["resourceId"].as_str())
            else {
                return err(Api::Admin, 400, "roleId and resourceId are required");
            };
            let pair = (role.to_string(), res.to_string());
            match group_mut(st, g) {
                Some(group) => {
                    if *verb == "assign" {
                        if !group.roles.contains(&pair) {
                            group.roles.push(pair);
                        }
                    } else {
                        group.roles.retain(|p| *p != pair);
                    }
                    no_content()
                }
                None => err(Api::Admin, 404, "group not found"),
            }
        }
        _ => err(Api::Admin, 404, "not found"),
    }
}

// ---------------------------------------------------------------- Teams API

fn team_json(sh: &AShared, t: &SimTeam) -> Value {
    json!({
        "teamId": t.team_id,
        "displayName": t.display_name,
        "description": "",
        "organizationId": sh.org_id,
        "teamType": "OPEN",
    })
}

fn teams(sh: &AShared, st: &mut AState, req: &Req, segs: &[&str]) -> Ans {
    let rest = match segs {
        ["gateway", "api", "public", "teams", "v1", "org", org, "teams", rest @ ..]
            if *org == sh.org_id =>
        {
            rest
        }
        _ => return err(Api::Teams, 404, "not found"),
    };
    let m = &req.method;
    match rest {
        [] if m == Method::GET => {
            let size = match num(req, "size", 50, 1..=300) {
                Ok(n) => n,
                Err(e) => return err(Api::Teams, 400, &e),
            };
            let start = match req.q("cursor") {
                None => 0,
                Some(c) => match c.strip_prefix("t-").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n <= st.teams.len() => n,
                    _ => return err(Api::Teams, 400, "invalid cursor"),
                },
            };
            let end = (start + size).min(st.teams.len());
            let entities: Vec<Value> = st.teams[start..end]
                .iter()
                .map(|t| team_json(sh, t))
                .collect();
            let cursor = (end < st.teams.len()).then(|| format!("t-{end}"));
            ok(json!({"entities": entities, "cursor": cursor}))
        }
        [team] if m == Method::GET => match st.teams.iter().find(|t| t.team_id == *team) {
            Some(t) => ok(team_json(sh, t)),
            None => err(Api::Teams, 404, "team not found"),
        },
        [team, "members"] if m == Method::POST => {
            let Some(t) = st.teams.iter().find(|t| t.team_id == *team) else {
                return err(Api::Teams, 404, "team not found");
            };
            let body = req.body.clone().unwrap_or(json!({}));
            let first = match &body["first"] {
                Value::Null => 50,
                v => match v.as_u64() {
                    Some(n @ 1..=50) => n as usize,
                    _ => return err(Api::Teams, 400, "first must be from 1 to 50"),
                },
            };
            let start = match &body["after"] {
                Value::Null => 0,
                v => match v
                    .as_str()
                    .and_then(|c| c.strip_prefix("m-"))
                    .and_then(|n| n.parse::<usize>().ok())
                {
                    Some(n) if n <= t.members.len() => n,
                    _ => return err(Api::Teams, 400, "invalid cursor"),
                },
            };
            let end = (start + first).min(t.members.len());
            let results: Vec<Value> = t.members[start..end]
                .iter()
                .map(|a| json!({"accountId": a}))
                .collect();
            ok(json!({
                "results": results,
                "pageInfo": {"endCursor": format!("m-{end}"), "hasNextPage": end < t.members.len()},
            }))
        }
        [team, "members", verb @ ("add" | "remove")] if m == Method::POST => {
            let ids: Option<Vec<String>> = req
                .body
                .as_ref()
                .and_then(|b| b["members"].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m["accountId"].as_str().map(str::to_string))
                        .collect()
                });
            let ids = match ids {
                Some(ids) if (1..=50).contains(&ids.len()) => ids,
                _ => return err(Api::Teams, 400, "members: 1 to 50 account ids are required"),
            };
            let known: Vec<bool> = ids
                .iter()
                .map(|a| st.user_by_account(a).is_some())
                .collect();
            let Some(t) = st.teams.iter_mut().find(|t| t.team_id == *team) else {
                return err(Api::Teams, 404, "team not found");
            };
            let mut done = Vec::new();
            let mut errors = Vec::new();
            for (id, known) in ids.into_iter().zip(known) {
                if *verb == "add" {
                    if !known {
                        errors.push(json!({"accountId": id, "code": "USER_NOT_FOUND", "message": "no such account"}));
                        continue;
                    }
                    if !t.members.contains(&id) {
                        t.members.push(id.clone());
                    }
                    done.push(json!({"accountId": id}));
                } else if t.members.contains(&id) {
                    t.members.retain(|a| *a != id);
                } else {
                    errors.push(json!({"accountId": id, "code": "NOT_A_MEMBER", "message": "not a member of the team"}));
                }
            }
            if *verb == "add" {
                ok(json!({"members": done, "errors": errors}))
            } else {
                ok(json!({"errors": errors}))
            }
        }
        _ => err(Api::Teams, 404, "not found"),
    }
}

// ----------------------------------------------------------- JSM Operations

/// One page of `items` by `offset`/`size`, with an absolute `links.next`.
fn jsm_page(sh: &AShared, req: &Req, path: &str, items: Vec<Value>) -> Ans {
    let size = match num(req, "size", 20, 1..=100) {
        Ok(n) => n,
        Err(e) => return err(Api::Jsm, 400, &e),
    };
    let offset = match num(req, "offset", 0, 0..=usize::MAX) {
        Ok(n) => n.min(items.len()),
        Err(e) => return err(Api::Jsm, 400, &e),
    };
    let end = (offset + size).min(items.len());
    let mut links = json!({});
    if end < items.len() {
        links["next"] = json!(format!(
            "{}/jsm/ops/api/{}/v1/{path}?offset={end}&size={size}",
            sh.url, sh.cloud_id
        ));
    }
    ok(json!({"values": items[offset..end].to_vec(), "count": items.len(), "links": links}))
}

/// Checks a participant or recipient `{type, id}`.
fn check_party(st: &AState, p: &Value) -> Result<(), String> {
    let kind = p["type"].as_str().unwrap_or("");
    let id = p["id"].as_str();
    match (kind, id) {
        ("noone", _) => Ok(()),
        ("user", Some(id)) if st.user_by_account(id).is_some() => Ok(()),
        ("user", Some(id)) => Err(format!("user {id} does not exist")),
        ("team", Some(id)) if st.teams.iter().any(|t| t.team_id == id) => Ok(()),
        ("team", Some(id)) => Err(format!("team {id} does not exist")),
        ("escalation" | "schedule", Some(_)) => Ok(()),
        _ => Err(format!("invalid participant {p}")),
    }
}

fn jsm(sh: &AShared, st: &mut AState, req: &Req, segs: &[&str]) -> Ans {
    let rest = match segs {
        ["jsm", "ops", "api", cloud, "v1", rest @ ..] if *cloud == sh.cloud_id => rest,
        _ => return err(Api::Jsm, 404, "not found"),
    };
    let m = &req.method;
    match rest {
        ["teams"] if m == Method::GET => {
            let items = st
                .teams
                .iter()
                .filter(|t| t.ops_enabled)
                .map(
                    |t| json!({"teamId": t.team_id, "teamName": t.display_name, "description": ""}),
                )
                .collect();
            jsm_page(sh, req, "teams", items)
        }
        ["teams", team, "enable-ops"] if m == Method::POST => enable_ops(st, req, team),
        ["teams", team, rest @ ..] => {
            if !st.teams.iter().any(|t| t.team_id == *team && t.ops_enabled) {
                return err(Api::Jsm, 404, "no team with Operations enabled has this id");
            }
            match rest {
                ["roles", ..] => team_roles(sh, st, req, team, &rest[1..]),
                ["escalations", ..] => escalations(sh, st, req, team, &rest[1..]),
                _ => err(Api::Jsm, 404, "not found"),
            }
        }
        ["roles"] if m == Method::GET => {
            let items = st.roles.iter().map(role_json).collect();
            jsm_page(sh, req, "roles", items)
        }
        ["roles"] if m == Method::POST => create_role(st, req),
        ["roles", "assign"] if m == Method::POST => {
            let body = req.body.clone().unwrap_or(Value::Null);
            let Some(ident) = body["roleIdentifier"].as_str() else {
                return err(Api::Jsm, 400, "roleIdentifier is required");
            };
            let users: Vec<String> = body["users"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|u| u.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if users.is_empty() {
                return err(Api::Jsm, 400, "users must list one or more account ids");
            }
            if let Some(u) = users.iter().find(|u| st.user_by_account(u).is_none()) {
                return err(Api::Jsm, 400, &format!("user {u} does not exist"));
            }
            match st
                .roles
                .iter_mut()
                .find(|r| r.id == ident || r.name == ident)
            {
                Some(role) => {
                    for u in users {
                        if !role.users.contains(&u) {
                            role.users.push(u);
                        }
                    }
                    ok(json!({"result": "assigned"}))
                }
                None => err(Api::Jsm, 404, "role not found"),
            }
        }
        ["roles", ident] => role(st, req, ident),
        ["schedules"] if m == Method::GET => {
            let items = st.schedules.iter().map(schedule_json).collect();
            jsm_page(sh, req, "schedules", items)
        }
        ["schedules", id] if m == Method::GET => match st.schedules.iter().find(|s| s.id == *id) {
            Some(s) => ok(schedule_json(s)),
            None => err(Api::Jsm, 404, "schedule not found"),
        },
        ["schedules", id, "rotations", rest @ ..] => rotations(sh, st, req, id, rest),
        ["forwarding-rules"] if m == Method::GET => {
            let items = st.forwarding.clone();
            jsm_page(sh, req, "forwarding-rules", items)
        }
        ["forwarding-rules", id] => {
            let pos = st.forwarding.iter().position(|f| f["id"] == *id);
            match (pos, m) {
                (Some(i), &Method::GET) => ok(st.forwarding[i].clone()),
                (Some(i), &Method::PUT) => update_forwarding(st, req, i),
                (Some(i), &Method::DELETE) => {
                    st.forwarding.remove(i);
                    no_content()
                }
                (None, _) => err(Api::Jsm, 404, "forwarding rule not found"),
                _ => err(Api::Jsm, 405, "method not allowed"),
            }
        }
        _ => err(Api::Jsm, 404, "not found"),
    }
}

fn role_json(r: &super::SimCustomRole) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "extendedRole": r.extended_role,
        "grantedRights": r.granted_rights,
        "disallowedRights": r.disallowed_rights,
    })
}

/// Name and right lists of a role body; `Err` with the 400 message.
fn role_fields(
    body: &serde_json::Map<String, Value>,
) -> Result<(String, Vec<String>, Vec<String>), String> {
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or("name is required")?
        .to_string();
    let granted = strings(body, "grantedRights")?;
    let disallowed = strings(body, "disallowedRights")?;
    if let Some(r) = granted.iter().find(|r| disallowed.contains(r)) {
        return Err(format!("right {r} is both granted and disallowed"));
    }
    Ok((name, granted, disallowed))
}

/// `POST /v1/roles`.
fn create_role(st: &mut AState, req: &Req) -> Ans {
    let Some(Value::Object(body)) = &req.body else {
        return err(Api::Jsm, 400, "a JSON object is required");
    };
    const FIELDS: [&str; 4] = ["name", "extendedRole", "grantedRights", "disallowedRights"];
    if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return err(Api::Jsm, 400, &format!("unknown field {k}"));
    }
    let (name, granted, disallowed) = match role_fields(body) {
        Ok(f) => f,
        Err(e) => return err(Api::Jsm, 400, &e),
    };
    let extended = match body.get("extendedRole") {
        None | Some(Value::Null) => "user".to_string(),
        Some(Value::String(r)) if ["user", "observer", "stakeholder"].contains(&r.as_str()) => {
            r.clone()
        }
        Some(_) => {
            return err(
                Api::Jsm,
                400,
                "extendedRole must be user, observer or stakeholder",
            )
        }
    };
    if st.roles.iter().any(|r| r.name == name) {
        return err(Api::Jsm, 409, "a custom role with this name exists");
    }
    let id = st.uuid();
    st.roles.push(super::SimCustomRole {
        id: id.clone(),
        name: name.clone(),
        extended_role: extended,
        granted_rights: granted,
        disallowed_rights: disallowed,
        users: Vec::new(),
    });
    Ans {
        status: 201,
        body: Some(json!({"message": "Created", "data": {"id": id, "name": name}})),
    }
}

/// `GET`, `PUT`, `DELETE /v1/roles/{identifier}?identifierType=id|name`.
fn role(st: &mut AState, req: &Req, ident: &str) -> Ans {
    let by_name = match req.q("identifierType") {
        None | Some("id") => false,
        Some("name") => true,
        Some(_) => return err(Api::Jsm, 400, "identifierType must be id or name"),
    };
    let Some(i) = st.roles.iter().position(|r| {
        if by_name {
            r.name == ident
        } else {
            r.id == ident
        }
    }) else {
        return err(Api::Jsm, 404, "role not found");
    };
    let m = &req.method;
    if m == Method::GET {
        return ok(role_json(&st.roles[i]));
    }
    if m == Method::DELETE {
        if !st.roles[i].users.is_empty() {
            return err(
                Api::Jsm,
                409,
                "the role is assigned to users and cannot be deleted",
            );
        }
        st.roles.remove(i);
        return no_content();
    }
    if m != Method::PUT {
        return err(Api::Jsm, 405, "method not allowed");
    }
    let Some(Value::Object(body)) = &req.body else {
        return err(Api::Jsm, 400, "a JSON object is required");
    };
    const FIELDS: [&str; 4] = ["id", "name", "grantedRights", "disallowedRights"];
    if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return err(Api::Jsm, 400, &format!("unknown field {k}"));
    }
    if body.get("id").is_some_and(|id| *id != st.roles[i].id) {
        return err(Api::Jsm, 400, "id does not match the role");
    }
    let (name, granted, disallowed) = match role_fields(body) {
        Ok(f) => f,
        Err(e) => return err(Api::Jsm, 400, &e),
    };
    if st
        .roles
        .iter()
        .enumerate()
        .any(|(j, r)| j != i && r.name == name)
    {
        return err(Api::Jsm, 409, "a custom role with this name exists");
    }
    let r = &mut st.roles[i];
    r.name = name;
    r.granted_rights = granted;
    r.disallowed_rights = disallowed;
    ok(json!({"message": "Updated", "data": {"id": r.id, "name": r.name}}))
}

/// `PUT /v1/forwarding-rules/{id}`: the whole rule.
fn update_forwarding(st: &mut AState, req: &Req, i: usize) -> Ans {
    let Some(Value::Object(body)) = &req.body else {
        return err(Api::Jsm, 400, "a JSON object is required");
    };
    const FIELDS: [&str; 5] = ["id", "fromUserId", "toUserId", "startDate", "endDate"];
    if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return err(Api::Jsm, 400, &format!("unknown field {k}"));
    }
    if body
        .get("id")
        .is_some_and(|id| *id != st.forwarding[i]["id"])
    {
        return err(Api::Jsm, 400, "id does not match the rule");
    }
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(from), Some(to), Some(start), Some(end)) = (
        field("fromUserId"),
        field("toUserId"),
        field("startDate"),
        field("endDate"),
    ) else {
        return err(
            Api::Jsm,
            400,
            "fromUserId, toUserId, startDate and endDate are required",
        );
    };
    for u in [&from, &to] {
        if st.user_by_account(u).is_none() {
            return err(Api::Jsm, 400, &format!("user {u} does not exist"));
        }
    }
    let (Ok(s), Ok(e)) = (
        start.parse::<jiff::Timestamp>(),
        end.parse::<jiff::Timestamp>(),
    ) else {
        return err(
            Api::Jsm,
            400,
            "startDate and endDate must be ISO 8601 times",
        );
    };
    if e <= s {
        return err(Api::Jsm, 400, "endDate must be after startDate");
    }
    let id = st.forwarding[i]["id"].clone();
    st.forwarding[i] = json!({
        "id": id, "fromUserId": from, "toUserId": to, "startDate": start, "endDate": end,
    });
    ok(st.forwarding[i].clone())
}

fn schedule_json(s: &super::SimSchedule) -> Value {
    json!({"id": s.id, "name": s.name, "teamId": s.team_id, "timezone": "UTC", "enabled": true})
}

fn enable_ops(st: &mut AState, req: &Req, team: &str) -> Ans {
    let body = req.body.clone().unwrap_or(Value::Null);
    let admins: Vec<String> = body["adminAccountIds"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if admins.is_empty() {
        return err(
            Api::Jsm,
            400,
            "adminAccountIds must name one or more admins",
        );
    }
    if let Some(p) = body["platformTeamId"].as_str() {
        if p != team {
            return err(Api::Jsm, 400, "platformTeamId does not match the path");
        }
    }
    if let Some(a) = admins.iter().find(|a| st.user_by_account(a).is_none()) {
        return err(Api::Jsm, 400, &format!("user {a} does not exist"));
    }
    match st.teams.iter_mut().find(|t| t.team_id == team) {
        Some(t) if t.ops_enabled => {
            err(Api::Jsm, 409, "Operations is already enabled for this team")
        }
        Some(t) => {
            t.ops_enabled = true;
            t.ops_admins = admins;
            ok(json!({"result": "enabled"}))
        }
        None => err(Api::Jsm, 404, "team not found"),
    }
}

fn team_roles(sh: &AShared, st: &mut AState, req: &Req, team: &str, rest: &[&str]) -> Ans {
    let m = req.method.clone();
    let next_id = st.uuid();
    let Some(t) = st.teams.iter_mut().find(|t| t.team_id == team) else {
        return err(Api::Jsm, 404, "team not found");
    };
    match rest {
        [] if m == Method::GET => {
            let items = t.team_roles.clone();
            jsm_page(sh, req, &format!("teams/{team}/roles"), items)
        }
        [] if m == Method::POST => {
            let body = req.body.clone().unwrap_or(Value::Null);
            let Some(name) = body["name"].as_str().filter(|n| !n.trim().is_empty()) else {
                return err(Api::Jsm, 400, "name is required");
            };
            if t.team_roles.iter().any(|r| r["name"] == name) {
                return err(Api::Jsm, 409, "a team role with this name exists");
            }
            let rights = body.get("rights").cloned().unwrap_or(json!([]));
            let ok_rights = rights.as_array().is_some_and(|a| {
                a.iter()
                    .all(|r| r["right"].is_string() && r["granted"].is_boolean())
            });
            if !ok_rights {
                return err(Api::Jsm, 400, "rights must be [{right, granted}]");
            }
            let role = json!({"id": next_id, "name": name, "rights": rights});
            t.team_roles.push(role.clone());
            Ans {
                status: 201,
                body: Some(role),
            }
        }
        [id] => {
            let Some(i) = t.team_roles.iter().position(|r| r["id"] == *id) else {
                return err(Api::Jsm, 404, "team role not found");
            };
            if m == Method::GET {
                ok(t.team_roles[i].clone())
            } else if m == Method::DELETE {
                t.team_roles.remove(i);
                no_content()
            } else if m == Method::PATCH {
                if let Some(Value::Object(patch)) = &req.body {
                    for (k, v) in patch {
                        if k != "id" {
                            t.team_roles[i][k] = v.clone();
                        }
                    }
                }
                ok(t.team_roles[i].clone())
            } else {
                err(Api::Jsm, 405, "method not allowed")
            }
        }
        _ => err(Api::Jsm, 404, "not found"),
    }
}

fn escalations(sh: &AShared, st: &mut AState, req: &Req, team: &str, rest: &[&str]) -> Ans {
    let m = &req.method;
    match rest {
        [] if m == Method::GET => {
            let items = st
                .escalations
                .iter()
                .filter(|e| e.team_id == team)
                .map(|e| e.body.clone())
                .collect();
            jsm_page(sh, req, &format!("teams/{team}/escalations"), items)
        }
        [id] => {
            let Some(i) = st
                .escalations
                .iter()
                .position(|e| e.team_id == team && e.id == *id)
            else {
                return err(Api::Jsm, 404, "escalation not found");
            };
            if m == Method::GET {
                return ok(st.escalations[i].body.clone());
            }
            if m != Method::PATCH {
                return err(Api::Jsm, 405, "method not allowed");
            }
            let Some(Value::Object(patch)) = &req.body else {
                return err(Api::Jsm, 400, "a JSON object is required");
            };
            if let Some(rules) = patch.get("rules") {
                let Some(rules) = rules.as_array().filter(|r| !r.is_empty()) else {
                    return err(Api::Jsm, 400, "rules must be a non-empty array");
                };
                for r in rules {
                    if let Err(e) = check_party(st, &r["recipient"]) {
                        return err(Api::Jsm, 400, &e);
                    }
                }
            }
            let body = &mut st.escalations[i].body;
            for (k, v) in patch {
                if k != "id" {
                    body[k] = v.clone();
                }
            }
            ok(body.clone())
        }
        _ => err(Api::Jsm, 404, "not found"),
    }
}

fn rotations(sh: &AShared, st: &mut AState, req: &Req, schedule: &str, rest: &[&str]) -> Ans {
    let m = &req.method;
    let Some(si) = st.schedules.iter().position(|s| s.id == schedule) else {
        return err(Api::Jsm, 404, "schedule not found");
    };
    match rest {
        [] if m == Method::GET => {
            let items = st.schedules[si].rotations.clone();
            jsm_page(sh, req, &format!("schedules/{schedule}/rotations"), items)
        }
        [id] => {
            let Some(ri) = st.schedules[si]
                .rotations
                .iter()
                .position(|r| r["id"] == *id)
            else {
                return err(Api::Jsm, 404, "rotation not found");
            };
            if m == Method::GET {
                return ok(st.schedules[si].rotations[ri].clone());
            }
            if m != Method::PATCH {
                return err(Api::Jsm, 405, "method not allowed");
            }
            let Some(Value::Object(patch)) = &req.body else {
                return err(Api::Jsm, 400, "a JSON object is required");
            };
            if let Some(ps) = patch.get("participants") {
                let Some(ps) = ps.as_array().filter(|p| !p.is_empty()) else {
                    return err(Api::Jsm, 400, "participants must be a non-empty array");
                };
                for p in ps {
                    if let Err(e) = check_party(st, p) {
                        return err(Api::Jsm, 400, &e);
                    }
                }
            }
            let rot = &mut st.schedules[si].rotations[ri];
            for (k, v) in patch {
                if k != "id" {
                    rot[k] = v.clone();
                }
            }
            ok(rot.clone())
        }
        _ => err(Api::Jsm, 404, "not found"),
    }
}
