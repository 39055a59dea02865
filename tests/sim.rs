//! The simulator's behaviours, driven through the SDK's request path.
mod common;

use std::time::Duration;

use http::Method;
use opsgenie_users::ratelimit::Limits;
use opsgenie_users::{ApiRequest, ApiResponse, Client, Domain, Error, RetryPolicy};
use opsgenie_users_sim::{Fault, FaultRule, KeyRights, Seed, Server};
use serde_json::{json, Value};

/// A client without retries, so each answer maps straight to its result,
/// and without the read of the account's limits, so the request log holds
/// only the test's requests and the limiter does not know the limits.
fn plain(server: &Server) -> Client {
    server
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .discover_rate_limits(false)
        .build()
        .unwrap()
}

fn with_key(server: &Server, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(server.url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

fn users() -> ApiRequest {
    ApiRequest::get(Domain::Search).path("v2/users")
}

fn create(username: &str, full_name: &str, role: &str) -> ApiRequest {
    ApiRequest::post(Domain::Configuration)
        .path("v2/users")
        .json(&json!({"username": username, "fullName": full_name, "role": {"name": role}}))
}

fn get_user(ident: &str) -> ApiRequest {
    ApiRequest::get(Domain::Configuration)
        .path("v2/users")
        .segment("user", ident)
}

fn body(resp: &ApiResponse) -> Value {
    resp.json().unwrap()
}

fn status(err: &Error) -> u16 {
    err.status().map(|s| s.as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn user_lifecycle_with_lowercased_usernames() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    let resp = c
        .send(create("Jane.Doe+ops@Example.com", "Jane Doe", "Admin"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let created = body(&resp);
    assert_eq!(created["result"], "Created");
    assert_eq!(created["data"]["name"], "jane.doe+ops@example.com");
    assert!(created["took"].is_number());
    assert!(created["requestId"].is_string());
    assert_eq!(resp.headers()["x-ratelimit-state"], "OK");
    let id = created["data"]["id"].as_str().unwrap().to_string();

    // By username in any case, encoded as one segment (`+` -> %2B), and by id.
    let by_name = body(&c.send(get_user("JANE.DOE+ops@example.com")).await.unwrap());
    assert_eq!(by_name["data"]["id"], id.as_str());
    assert_eq!(
        by_name["data"]["role"],
        json!({"id": "Admin", "name": "Admin"})
    );
    let by_id = body(&c.send(get_user(&id)).await.unwrap());
    assert_eq!(by_id["data"]["username"], "jane.doe+ops@example.com");
    assert!(by_id["data"].get("userContacts").is_none());

    // The default e-mail contact shows with expand=contact.
    let expanded = body(
        &c.send(get_user(&id).query("expand", "contact"))
            .await
            .unwrap(),
    );
    assert_eq!(
        expanded["data"]["userContacts"][0]["to"],
        "jane.doe+ops@example.com"
    );

    let upd = c
        .send(
            ApiRequest::patch(Domain::Configuration)
                .path("v2/users")
                .segment("user", &id)
                .json(&json!({"fullName": "Jane Smith", "timeZone": "US/Arizona", "tags": ["oncall"]})),
        )
        .await
        .unwrap();
    assert_eq!(body(&upd)["result"], "Updated");
    let stored = server.user(&id).unwrap();
    assert_eq!(stored.full_name, "Jane Smith");
    assert_eq!(stored.time_zone, "America/Phoenix");
    assert_eq!(stored.tags, vec!["oncall".to_string()]);

    let del = c
        .send(
            ApiRequest::delete(Domain::Configuration)
                .path("v2/users")
                .segment("user", &id),
        )
        .await
        .unwrap();
    assert_eq!(body(&del)["result"], "Deleted");
    assert!(server.user(&id).is_none());
    let gone = c.send(get_user(&id)).await.unwrap_err();
    assert!(matches!(gone, Error::NotFound(_)), "{gone:?}");
}

#[tokio::test]
async fn raw_plus_in_a_path_is_a_space_like_on_the_live_api() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    c.send(create("a+b@example.com", "A B", "User"))
        .await
        .unwrap();
    // A client that forgot to encode `+` asks for "a b@example.com".
    let raw = reqwest::Client::new()
        .get(format!("{}/v2/users/a+b@example.com", server.url()))
        .header("Authorization", format!("GenieKey {}", server.api_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 404);
    assert!(c.send(get_user("a+b@example.com")).await.is_ok());
}

#[tokio::test]
async fn duplicate_username_and_username_change_are_422() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    c.send(create("sam@example.com", "Sam", "User"))
        .await
        .unwrap();
    let dup = c
        .send(create("SAM@example.com", "Sam 2", "User"))
        .await
        .unwrap_err();
    assert_eq!(status(&dup), 422);
    assert!(dup.api_error().unwrap().errors.contains_key("username"));

    let change = c
        .send(
            ApiRequest::patch(Domain::Configuration)
                .path("v2/users")
                .segment("user", "sam@example.com")
                .json(&json!({"username": "samuel@example.com", "fullName": "Samuel"})),
        )
        .await
        .unwrap_err();
    assert_eq!(status(&change), 422);
    let sam = server.user("sam@example.com").unwrap();
    assert_eq!(sam.full_name, "Sam", "a refused PATCH changes nothing");
    assert!(server.user("samuel@example.com").is_none());
}

#[tokio::test]
async fn roles_are_case_sensitive_and_unknown_ones_become_user() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    c.send(
        ApiRequest::post(Domain::Configuration)
            .path("v2/roles")
            .json(&json!({"name": "Responder", "extendedRole": "user", "grantedRights": ["logs-page-access"]})),
    )
    .await
    .unwrap();
    for (user, asked, got) in [
        ("a@example.com", "Admin", "Admin"),
        ("b@example.com", "admin", "User"),
        ("c@example.com", "Superhero", "User"),
        ("d@example.com", "Responder", "Responder"),
        ("e@example.com", "responder", "User"),
    ] {
        let resp = c.send(create(user, "X", asked)).await.unwrap();
        assert_eq!(resp.status().as_u16(), 201, "{asked} is accepted silently");
        assert_eq!(server.user(user).unwrap().role.name, got, "{asked}");
    }
    let custom = server.custom_roles();
    assert_eq!(custom.len(), 1);
    assert_eq!(server.user("d@example.com").unwrap().role.id, custom[0].id);

    let dup = c
        .send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/roles")
                .json(&json!({"name": "Responder"})),
        )
        .await
        .unwrap_err();
    assert_eq!(status(&dup), 422);
    // GET /v2/roles lists custom roles only.
    let list = body(
        &c.send(ApiRequest::get(Domain::Configuration).path("v2/roles"))
            .await
            .unwrap(),
    );
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["data"][0]["grantedRights"],
        json!(["logs-page-access"])
    );
}

#[tokio::test]
async fn keys_401_and_403() {
    let server = Server::start().await.unwrap();
    let wrong = with_key(&server, "not-a-key");
    let e = wrong.send(users()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert!(e.request_id().is_some());

    let no_config = with_key(
        &server,
        &server.add_key(KeyRights::without_configuration_access()),
    );
    let e = no_config.send(users()).await.unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");

    let read_only = with_key(&server, &server.add_key(KeyRights::read_only()));
    assert!(read_only.send(users()).await.is_ok());
    let e = read_only
        .send(create("x@example.com", "X", "User"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    assert!(server.user("x@example.com").is_none());
}

#[tokio::test]
async fn list_pages_sorts_and_queries() {
    let server = Server::builder()
        .seed(Seed::new().users(250))
        .start()
        .await
        .unwrap();
    let c = plain(&server);
    let e = c.send(users().query("limit", 101)).await.unwrap_err();
    assert_eq!(status(&e), 422);

    // Default page is 20; paging links are absolute and carry the query.
    let first = body(&c.send(users()).await.unwrap());
    assert_eq!(first["data"].as_array().unwrap().len(), 20);
    assert_eq!(first["totalCount"], 251);
    let next = first["paging"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/v2/users?", server.url())),
        "{next}"
    );
    assert!(first["paging"].get("prev").is_none());

    // Walk `next` to the end: every user exactly once, no `next` on the last page.
    let mut seen = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = body(
            &c.send(
                users()
                    .query("limit", 100)
                    .query("offset", offset)
                    .query("sort", "username")
                    .query("order", "desc"),
            )
            .await
            .unwrap(),
        );
        for u in page["data"].as_array().unwrap() {
            assert!(seen.insert(u["username"].as_str().unwrap().to_string()));
        }
        match page["paging"]["next"].as_str() {
            Some(n) => {
                assert!(
                    n.contains("sort=username") && n.contains("order=desc"),
                    "{n}"
                );
                offset += 100;
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 251);
    assert_eq!(offset, 200);

    let sorted = body(
        &c.send(
            users()
                .query("sort", "username")
                .query("order", "desc")
                .query("limit", 2),
        )
        .await
        .unwrap(),
    );
    assert_eq!(sorted["data"][0]["username"], "user0250@example.com");

    let admins = body(
        &c.send(users().query("query", "role:admin").query("limit", 100))
            .await
            .unwrap(),
    );
    assert_eq!(admins["totalCount"], 25);
    assert!(admins["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["role"]["name"] == "Admin"));
    let one = body(
        &c.send(users().query("query", "username:USER0042@example.com"))
            .await
            .unwrap(),
    );
    assert_eq!(one["totalCount"], 1);

    let log = server.requests();
    assert!(log.iter().all(|r| r.domain == Domain::Search));
}

#[tokio::test]
async fn delete_is_blocked_by_rotations_escalations_and_the_sole_owner() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    for u in ["on@example.com", "esc@example.com", "free@example.com"] {
        c.send(create(u, "X", "User")).await.unwrap();
    }
    server.add_schedule("primary", &["on@example.com"]).unwrap();
    server.add_escalation("page", &["esc@example.com"]).unwrap();
    server.add_forwarding_rule("free@example.com", "on@example.com");
    let delete = |u: &str| {
        ApiRequest::delete(Domain::Configuration)
            .path("v2/users")
            .segment("user", u)
    };

    let e = c.send(delete("on@example.com")).await.unwrap_err();
    assert_eq!(status(&e), 422);
    assert!(e.message().unwrap().contains("primary"), "{e}");
    let e = c.send(delete("esc@example.com")).await.unwrap_err();
    assert_eq!(status(&e), 422);
    assert!(e.message().unwrap().contains("page"), "{e}");
    let e = c.send(delete("owner@example.com")).await.unwrap_err();
    assert_eq!(status(&e), 422);
    assert!(e.message().unwrap().contains("only owner"), "{e}");
    assert_eq!(server.users().len(), 4);

    // Not referenced: deleted, and its forwarding rule with it.
    c.send(delete("free@example.com")).await.unwrap();
    assert!(server.forwarding_rules().is_empty());

    // Hand the rotation over, then the delete goes through.
    let sched = body(
        &c.send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/schedules")
                .segment("schedule", "primary")
                .query("identifierType", "name"),
        )
        .await
        .unwrap(),
    );
    let rot = sched["data"]["rotations"][0]["id"].as_str().unwrap();
    c.send(
        ApiRequest::patch(Domain::Configuration)
            .path("v2/schedules")
            .segment("schedule", "primary")
            .path("rotations")
            .segment("rotation", rot)
            .query("scheduleIdentifierType", "name")
            .json(&json!({"participants": [{"type": "user", "username": "esc@example.com"}]})),
    )
    .await
    .unwrap();
    c.send(delete("on@example.com")).await.unwrap();

    // A second owner makes the first one deletable.
    c.send(create("owner2@example.com", "Second Owner", "Owner"))
        .await
        .unwrap();
    c.send(delete("owner@example.com")).await.unwrap();
}

#[tokio::test]
async fn teams_members_and_stakeholders() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    c.send(create("dev@example.com", "Dev", "User"))
        .await
        .unwrap();
    c.send(create("stake@example.com", "Stake", "Stakeholder"))
        .await
        .unwrap();
    let team = |name: &str| {
        ApiRequest::post(Domain::Configuration)
            .path("v2/teams")
            .json(&json!({"name": name, "description": "d"}))
    };
    let created = body(&c.send(team("Platform")).await.unwrap());
    let team_id = created["data"]["id"].as_str().unwrap().to_string();
    let e = c.send(team("Platform")).await.unwrap_err();
    assert_eq!(status(&e), 409);
    // Opsgenie creates a schedule and an escalation with every team.
    assert!(server
        .schedules()
        .iter()
        .any(|s| s.name == "Platform_schedule"));
    assert!(server
        .escalations()
        .iter()
        .any(|s| s.name == "Platform_escalation"));

    let add = |user: &str, role: &str| {
        ApiRequest::post(Domain::Configuration)
            .path("v2/teams")
            .segment("team", "Platform")
            .path("members")
            .query("teamIdentifierType", "name")
            .json(&json!({"user": {"username": user}, "role": role}))
    };
    let added = body(&c.send(add("dev@example.com", "admin")).await.unwrap());
    assert_eq!(added["result"], "Added");
    let e = c.send(add("stake@example.com", "user")).await.unwrap_err();
    assert_eq!(status(&e), 422);
    assert!(e.message().unwrap().contains("Stakeholder"));
    let e = c.send(add("dev@example.com", "captain")).await.unwrap_err();
    assert_eq!(status(&e), 422);

    // The documented default identifierType is id: a name without it is 404.
    let e = c
        .send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/teams")
                .segment("team", "Platform"),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(_)));
    let got = body(
        &c.send(
            ApiRequest::get(Domain::Configuration)
                .path("v2/teams")
                .segment("team", &team_id)
                .query("identifierType", "id"),
        )
        .await
        .unwrap(),
    );
    assert_eq!(got["data"]["members"][0]["role"], "admin");
    assert_eq!(
        got["data"]["members"][0]["user"]["username"],
        "dev@example.com"
    );

    let mine = body(
        &c.send(get_user("dev@example.com").path("teams"))
            .await
            .unwrap(),
    );
    assert_eq!(mine["data"][0]["name"], "Platform");

    c.send(
        ApiRequest::delete(Domain::Configuration)
            .path("v2/teams")
            .segment("team", &team_id)
            .path("members")
            .segment("member", "dev@example.com")
            .query("teamIdentifierType", "id")
            .query("memberIdentifierType", "username"),
    )
    .await
    .unwrap();
    assert!(server.team("Platform").unwrap().members.is_empty());
}

#[tokio::test]
async fn throttles_per_domain_with_the_real_headers() {
    let server = Server::builder()
        .limit(
            Domain::Configuration,
            Limits::per_minute(1000).and_per_second(2),
        )
        .limit(Domain::Search, Limits::per_minute(3))
        .start()
        .await
        .unwrap();
    let c = plain(&server);
    // The request-limits endpoint reports what is configured.
    let limits = body(
        &c.send(ApiRequest::get(Domain::Configuration).path("v2/request-limits"))
            .await
            .unwrap(),
    );
    let domains: Vec<&str> = limits["data"]["rateLimits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains, ["configuration", "search"]);
    let mut throttled = None;
    for _ in 0..5 {
        if let Err(e) = c.send(get_user("owner@example.com")).await {
            throttled = Some(e);
            break;
        }
    }
    let e = throttled.expect("the per-second window must trip within 5 calls in a row");
    let Error::RateLimited { error, attempts } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*attempts, 1);
    let rl = error.rate_limit.clone().unwrap();
    assert!(rl.is_throttled());
    assert_eq!(rl.reason.as_deref(), Some("Configuration"));
    assert_eq!(rl.period_secs, Some(1));
    assert!(error.request_id.is_some());

    for _ in 0..3 {
        c.send(users()).await.unwrap();
    }
    let e = c.send(users()).await.unwrap_err();
    let rl = e.api_error().unwrap().rate_limit.clone().unwrap();
    assert_eq!(rl.reason.as_deref(), Some("Search"));
    assert_eq!(rl.period_secs, Some(60));
    assert!(server.throttled(Domain::Configuration) >= 1);
    assert_eq!(server.throttled(Domain::Search), 1);
    assert_eq!(
        server.throttled_total(),
        server.requests().iter().filter(|r| r.throttled).count() as u64
    );

    // No Retry-After, ever.
    let raw = reqwest::Client::new()
        .get(format!("{}/v2/users", server.url()))
        .header("Authorization", format!("GenieKey {}", server.api_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 429);
    assert!(raw.headers().get("retry-after").is_none());
    assert_eq!(raw.headers()["x-ratelimit-state"], "THROTTLED");
}

#[tokio::test]
async fn injected_faults() {
    let server = Server::start().await.unwrap();
    let c = server
        .client_builder()
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_millis(300))
        .discover_rate_limits(false)
        .build()
        .unwrap();

    server.inject(FaultRule::new(Fault::Status(502)).times(1));
    let e = c.send(users()).await.unwrap_err();
    assert_eq!(status(&e), 502);
    assert!(e.request_id().is_some());

    server.inject(FaultRule::new(Fault::Html503).times(1));
    let e = c.send(users()).await.unwrap_err();
    assert_eq!(status(&e), 503);
    assert!(e.api_error().unwrap().is_non_json());
    assert!(e.api_error().unwrap().rate_limit.is_none());

    server.inject(FaultRule::new(Fault::Drop).times(1));
    let e = c.send(users()).await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");

    // The write is applied, the answer lost.
    server.inject(
        FaultRule::new(Fault::DropAfterCommit)
            .method(Method::POST)
            .path_prefix("/v2/users")
            .times(1),
    );
    let e = c
        .send(create("lost@example.com", "Lost", "User"))
        .await
        .unwrap_err();
    assert!(e.may_have_reached_server(), "{e:?}");
    assert!(server.user("lost@example.com").is_some());

    server.inject(FaultRule::new(Fault::Delay(Duration::from_secs(5))).times(1));
    let e = c.send(users()).await.unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");

    // Rules are used up; the default client retries an idempotent GET through a 503.
    server.inject(FaultRule::new(Fault::Html503).times(2));
    let retrying = server
        .client_builder()
        .retry_policy(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .discover_rate_limits(false)
        .build()
        .unwrap();
    let ok = retrying.send(users()).await.unwrap();
    assert_eq!(ok.attempts(), 3);
    let faults: Vec<_> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.fault.map(|f| (f, r.status)))
        .collect();
    assert_eq!(faults.len(), 7);
    assert_eq!(faults[2], (Fault::Drop, None));
}

#[tokio::test]
async fn seeding_is_deterministic_and_schedules_block() {
    let a = Server::builder()
        .seed(Seed::new().users(40).teams(3).schedules(2))
        .rng_seed(7)
        .start()
        .await
        .unwrap();
    let b = Server::builder()
        .seed(Seed::new().users(40).teams(3).schedules(2))
        .rng_seed(7)
        .start()
        .await
        .unwrap();
    let ids = |s: &Server| s.users().into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.users().len(), 41);
    let teams = a.teams();
    assert_eq!(teams.len(), 3);
    assert!(teams.iter().all(|t| t.members[0].role == "admin"));
    // No stakeholder is a member anywhere.
    for t in &teams {
        for m in &t.members {
            assert_ne!(a.user(&m.user_id).unwrap().role.name, "Stakeholder");
        }
    }
    // 3 team schedules + 2 seeded with rotations of two users.
    assert_eq!(a.schedules().len(), 5);
    let sched = a
        .schedules()
        .into_iter()
        .find(|s| s.name == "schedule-01")
        .unwrap();
    let on_call = sched.rotations[0].participants[0].name.clone().unwrap();
    let c = plain(&a);
    let mine = body(&c.send(get_user(&on_call).path("schedules")).await.unwrap());
    assert_eq!(mine["data"][0]["name"], "schedule-01");
    let esc = body(
        &c.send(get_user(&on_call).path("escalations"))
            .await
            .unwrap(),
    );
    assert_eq!(esc["data"][0]["name"], "schedule-01-escalation");
    let e = c
        .send(
            ApiRequest::delete(Domain::Configuration)
                .path("v2/users")
                .segment("user", &on_call),
        )
        .await
        .unwrap_err();
    assert_eq!(status(&e), 422);
}

#[tokio::test]
async fn contacts_crud() {
    let server = Server::start().await.unwrap();
    let c = plain(&server);
    let contacts = || {
        ApiRequest::get(Domain::Configuration)
            .path("v2/users")
            .segment("user", "owner@example.com")
            .path("contacts")
    };
    let created = body(
        &c.send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/users")
                .segment("user", "owner@example.com")
                .path("contacts")
                .json(&json!({"method": "sms", "to": "1-5550100"})),
        )
        .await
        .unwrap(),
    );
    let id = created["data"]["id"].as_str().unwrap().to_string();
    let bad = c
        .send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/users")
                .segment("user", "owner@example.com")
                .path("contacts")
                .json(&json!({"method": "pigeon", "to": "roof"})),
        )
        .await
        .unwrap_err();
    assert_eq!(status(&bad), 422);
    c.send(
        ApiRequest::post(Domain::Configuration)
            .path("v2/users")
            .segment("user", "owner@example.com")
            .path("contacts")
            .segment("contact", &id)
            .path("disable"),
    )
    .await
    .unwrap();
    let list = body(&c.send(contacts()).await.unwrap());
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(list["data"][1]["status"]["enabled"], false);
    let owner = server.user("owner@example.com").unwrap();
    assert!(owner.contacts[0].is_default);
    let e = c
        .send(
            ApiRequest::delete(Domain::Configuration)
                .path("v2/users")
                .segment("user", "owner@example.com")
                .path("contacts")
                .segment("contact", &owner.contacts[0].id),
        )
        .await
        .unwrap_err();
    assert_eq!(status(&e), 422);
}

#[tokio::test]
async fn scim_users_and_groups() {
    let server = Server::start().await.unwrap();
    let http = reqwest::Client::new();
    let base = server.scim_url();
    let token = server.scim_token().to_string();
    let send = |m: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = http.request(m, format!("{base}{path}")).bearer_auth(&token);
        if let Some(b) = body {
            r = r
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        r.send()
    };
    let jane = send(
        reqwest::Method::POST,
        "/Users",
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "jane@example.com", "externalId": "e-1", "name": {"givenName": "Jane"}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(jane.status().as_u16(), 201);
    let jane: Value = serde_json::from_slice(&jane.bytes().await.unwrap()).unwrap();
    let jid = jane["id"].as_str().unwrap().to_string();
    assert_eq!(jane["active"], true);

    let dup = send(
        reqwest::Method::POST,
        "/Users",
        Some(json!({"userName": "JANE@example.com"})),
    )
    .await
    .unwrap();
    assert_eq!(dup.status().as_u16(), 409);
    let dup: Value = serde_json::from_slice(&dup.bytes().await.unwrap()).unwrap();
    assert_eq!(dup["scimType"], "uniqueness");
    assert_eq!(dup["status"], "409");

    let found: Value = send(
        reqwest::Method::GET,
        "/Users?filter=externalId%20eq%20%22e-1%22",
        None,
    )
    .await
    .unwrap()
    .bytes()
    .await
    .map(|b| serde_json::from_slice(&b).unwrap())
    .unwrap();
    assert_eq!(found["totalResults"], 1);
    let unsupported = send(
        reqwest::Method::GET,
        "/Users?filter=title%20eq%20%22x%22",
        None,
    )
    .await
    .unwrap();
    assert_eq!(unsupported.status().as_u16(), 400);

    let group: Value = send(
        reqwest::Method::POST,
        "/Groups",
        Some(json!({"displayName": "opsgenie-users", "members": [{"value": jid}]})),
    )
    .await
    .unwrap()
    .bytes()
    .await
    .map(|b| serde_json::from_slice(&b).unwrap())
    .unwrap();
    let gid = group["id"].as_str().unwrap().to_string();
    let got: Value = send(reqwest::Method::GET, &format!("/Users/{jid}"), None)
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(got["groups"][0]["value"], gid.as_str());

    let patched = send(
        reqwest::Method::PATCH,
        &format!("/Users/{jid}"),
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}]}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        patched.status().as_u16(),
        200,
        "Atlassian answers PATCH with the resource"
    );
    let patched: Value = serde_json::from_slice(&patched.bytes().await.unwrap()).unwrap();
    assert_eq!(patched["active"], false);

    // RFC 7644 §3.5.2.1: `add` to a multi-valued attribute adds values (with
    // or without a path; one already there is not added twice); §3.5.2.3:
    // `replace` replaces them all; a complex attribute keeps the
    // sub-attributes not named.
    let patch = |ops: Value| {
        send(
            reqwest::Method::PATCH,
            &format!("/Users/{jid}"),
            Some(
                json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": ops}),
            ),
        )
    };
    let emails = |v: &Value| -> Vec<String> {
        v["emails"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["value"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let home = json!({"value": "jane@home.example", "type": "home"});
    let work = json!({"value": "jane@work.example", "type": "work"});
    let read = |r: reqwest::Response| async move {
        assert_eq!(r.status().as_u16(), 200);
        serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).unwrap()
    };
    let v = read(
        patch(json!([{"op": "add", "path": "emails", "value": [home]}]))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(emails(&v), ["jane@home.example"]);
    let v = read(
        patch(json!([{"op": "add", "value": {"emails": [work, home], "name": {"familyName": "Doe"}}}]))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(emails(&v), ["jane@home.example", "jane@work.example"]);
    assert_eq!(v["name"]["givenName"], "Jane");
    assert_eq!(v["name"]["familyName"], "Doe");
    let v = read(
        patch(json!([{"op": "replace", "path": "emails", "value": [work]}]))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(emails(&v), ["jane@work.example"]);

    send(
        reqwest::Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": format!("members[value eq \"{jid}\"]")}]}),
        ),
    )
    .await
    .unwrap();
    assert!(server.scim_groups()[0].member_ids().is_empty());

    let del = send(reqwest::Method::DELETE, &format!("/Users/{jid}"), None)
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 204);
    assert_eq!(server.scim_users().len(), 1, "DELETE deactivates");
    assert!(!server.scim_users()[0].active());

    let bad = http
        .get(format!("{base}/Users"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
}

#[tokio::test]
async fn bad_bodies_and_shutdown() {
    let server = Server::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v2/users", server.url());
    let key = format!("GenieKey {}", server.api_key());
    let r = http
        .post(&url)
        .header("Authorization", &key)
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert!(v["took"].is_number() && v["requestId"].is_string());
    let r = http
        .post(&url)
        .header("Authorization", &key)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let base = server.url().to_string();
    server.shutdown().await;
    assert!(http.get(format!("{base}/v2/users")).send().await.is_err());
}

/// The SDK against the simulator through `prism proxy` (started by
/// `scripts/test.sh`): the SDK's requests and the simulator's answers must
/// both match the official spec, and the SDK must decode every answer.
mod through_prism_proxy {
    use super::*;
    use futures::StreamExt;
    use opsgenie_users::api::users::UserSort;
    use opsgenie_users::models::common::SortOrder;
    use opsgenie_users::models::user::{Role, UserAddress};
    use opsgenie_users::models::user::{UserCreate, UserUpdate};

    fn unique(prefix: &str) -> String {
        format!("{prefix}-{:08x}", fastrand::u32(..))
    }

    #[tokio::test]
    async fn users() {
        let Some((c, violations)) = common::prism_proxy_client() else {
            return;
        };
        let users = c.users();
        let name = format!("{}@example.com", unique("proxy"));
        let created = users
            .create(
                UserCreate::new(name.as_str(), "Proxy Person")
                    .role(Role::Admin)
                    .time_zone("Europe/Berlin")
                    .locale("en_GB")
                    .tags(["proxy"])
                    .user_address(UserAddress {
                        city: Some("Berlin".into()),
                        ..Default::default()
                    })
                    .invitation_disabled(true),
            )
            .await
            .unwrap();
        let got = users.get(&created.id).expand_contacts().await.unwrap();
        assert_eq!(got.username.as_str(), name);
        assert_eq!(got.contacts.unwrap().len(), 1);
        users
            .update(
                name.as_str(),
                UserUpdate::new().full_name("Proxy P").locale("de_DE"),
            )
            .await
            .unwrap();
        let admins = users
            .list()
            .limit(5)
            .query("role:admin")
            .sort(UserSort::FullName)
            .order(SortOrder::Desc)
            .await
            .unwrap();
        assert!(admins
            .items
            .iter()
            .all(|u| u.role.as_ref().unwrap().name == Role::Admin));
        let all: Vec<_> = users.list().limit(7).stream().collect().await;
        assert!(all.len() > 30, "{}", all.len());
        assert!(all.iter().all(|u| u.is_ok()));
        // user0001 is on schedule-01's rotation and escalation (seeded by scripts/test.sh).
        assert!(!users
            .schedules("user0001@example.com")
            .await
            .unwrap()
            .is_empty());
        assert!(!users
            .escalations("user0001@example.com")
            .await
            .unwrap()
            .is_empty());
        assert!(!users
            .teams("user0001@example.com")
            .await
            .unwrap()
            .is_empty());
        users.forwarding_rules(name.as_str()).await.unwrap();
        // Error answers must match the spec too.
        let dup = users
            .create(UserCreate::new(name.as_str(), "Again"))
            .await
            .unwrap_err();
        assert_eq!(status(&dup), 422);
        let blocked = users.delete("user0001@example.com").await.unwrap_err();
        assert_eq!(status(&blocked), 422);
        users.delete(&created.id).await.unwrap();
        let gone = users.get(name.as_str()).await.unwrap_err();
        assert!(matches!(gone, Error::NotFound(_)));
        violations.assert_none();
    }

    #[tokio::test]
    async fn teams_roles_contacts_schedules() {
        let Some((c, violations)) = common::prism_proxy_client() else {
            return;
        };
        let cfg = || Domain::Configuration;
        let team = unique("proxy-team");
        let role = unique("Proxy Role");
        let user = format!("{}@example.com", unique("member"));
        c.send(create(&user, "Member", "User")).await.unwrap();
        let calls = [
            ApiRequest::post(cfg())
                .path("v2/teams")
                .json(&json!({"name": team, "description": "via proxy",
                    "members": [{"user": {"username": user}, "role": "admin"}]})),
            ApiRequest::get(cfg()).path("v2/teams"),
            ApiRequest::get(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .query("identifierType", "name"),
            ApiRequest::post(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .path("roles")
                .query("teamIdentifierType", "name")
                .json(&json!({"name": "responder", "rights": [{"right": "manage-members", "granted": true}]})),
            ApiRequest::get(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .path("roles")
                .query("teamIdentifierType", "name"),
            ApiRequest::get(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .path("roles")
                .segment("role", "responder")
                .query("teamIdentifierType", "name")
                .query("identifierType", "name"),
            ApiRequest::post(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .path("members")
                .query("teamIdentifierType", "name")
                .json(&json!({"user": {"username": "user0002@example.com"}, "role": "responder"})),
            ApiRequest::delete(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .path("members")
                .segment("member", "user0002@example.com")
                .query("teamIdentifierType", "name"),
            ApiRequest::post(cfg())
                .path("v2/roles")
                .json(&json!({"name": role, "extendedRole": "user", "grantedRights": ["logs-page-access"], "disallowedRights": []})),
            ApiRequest::get(cfg()).path("v2/roles"),
            ApiRequest::get(cfg())
                .path("v2/roles")
                .segment("role", &role)
                .query("identifierType", "name"),
            ApiRequest::put(cfg())
                .path("v2/roles")
                .segment("role", &role)
                .query("identifierType", "name")
                .json(&json!({"grantedRights": ["logs-page-access", "reports-access"]})),
            ApiRequest::post(cfg())
                .path("v2/users")
                .segment("user", &user)
                .path("contacts")
                .json(&json!({"method": "sms", "to": "1-5550100"})),
            ApiRequest::get(cfg())
                .path("v2/users")
                .segment("user", &user)
                .path("contacts"),
            ApiRequest::get(cfg()).path("v2/schedules"),
            ApiRequest::get(cfg())
                .path("v2/schedules")
                .segment("schedule", "schedule-01")
                .query("identifierType", "name"),
            ApiRequest::get(cfg())
                .path("v2/schedules")
                .segment("schedule", "schedule-01")
                .path("rotations")
                .query("scheduleIdentifierType", "name"),
            ApiRequest::get(cfg()).path("v2/escalations"),
            ApiRequest::get(cfg())
                .path("v2/escalations")
                .segment("escalation", "schedule-01-escalation")
                .query("identifierType", "name"),
            ApiRequest::get(cfg()).path("v2/forwarding-rules"),
        ];
        for call in calls {
            let what = format!("{} {}", call.method(), call.path_str());
            c.send(call).await.unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        // Rotations and escalations read back and written again (the offboarding path).
        let rot: Value = c
            .send(
                ApiRequest::get(cfg())
                    .path("v2/schedules")
                    .segment("schedule", "schedule-01")
                    .path("rotations")
                    .query("scheduleIdentifierType", "name"),
            )
            .await
            .unwrap()
            .json()
            .unwrap();
        let rid = rot["data"][0]["id"].as_str().unwrap();
        c.send(
            ApiRequest::get(cfg())
                .path("v2/schedules")
                .segment("schedule", "schedule-01")
                .path("rotations")
                .segment("rotation", rid)
                .query("scheduleIdentifierType", "name"),
        )
        .await
        .unwrap();
        c.send(
            ApiRequest::patch(cfg())
                .path("v2/schedules")
                .segment("schedule", "schedule-01")
                .path("rotations")
                .segment("rotation", rid)
                .query("scheduleIdentifierType", "name")
                .json(&json!({"participants": rot["data"][0]["participants"]})),
        )
        .await
        .unwrap();
        let dup = c
            .send(
                ApiRequest::post(cfg())
                    .path("v2/teams")
                    .json(&json!({"name": team})),
            )
            .await
            .unwrap_err();
        assert_eq!(status(&dup), 409);
        c.send(
            ApiRequest::delete(cfg())
                .path("v2/teams")
                .segment("team", &team)
                .query("identifierType", "name"),
        )
        .await
        .unwrap();
        violations.assert_none();
    }

    /// The proxy check is live: a create without `role` (the spec requires
    /// it, the live API and the simulator default to User) is reported.
    #[tokio::test]
    async fn proxy_reports_what_the_spec_forbids() {
        let Some((c, violations)) = common::prism_proxy_client() else {
            return;
        };
        let name = format!("{}@example.com", unique("norole"));
        c.send(
            ApiRequest::post(Domain::Configuration)
                .path("v2/users")
                .json(&json!({"username": name, "fullName": "No Role"})),
        )
        .await
        .unwrap();
        let found = violations.list();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("role"), "{found:?}");
    }
}
