//! The Admin users search, JSM Operations custom role writes and the
//! forwarding-rule update (feature `atlassian`): exact requests against a
//! mock server (method, path, query, `Authorization`, body), how each
//! answer maps to a result or error, and the same calls against the
//! Atlassian simulator.
#![cfg(feature = "atlassian")]

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use opsgenie_users::atlassian::{AdminClient, JsmOpsClient, OpsRoleWrite};
use opsgenie_users::ratelimit::Unlimited;
use opsgenie_users::{Error, RetryPolicy};
use opsgenie_users_sim::atlassian::AtlassianServer;
use serde_json::json;

#[path = "support/atlassian_mock.rs"]
mod atlassian_mock;
use atlassian_mock::{bearer, expect, ADMIN_KEY, BASIC};

fn admin_at(url: &str, org: &str, key: &str) -> AdminClient {
    AdminClient::builder()
        .base_url(url)
        .org_id(org)
        .api_key(key)
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn jsm_at(url: &str, email: &str, token: &str) -> JsmOpsClient {
    JsmOpsClient::builder()
        .base_url(url)
        .credentials(email, token)
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn admin(s: &MockServer) -> AdminClient {
    admin_at(&s.base_url(), "org-1", ADMIN_KEY)
}

fn jsm(s: &MockServer) -> JsmOpsClient {
    jsm_at(
        &format!("{}/jsm/ops/api/cloud-1", s.base_url()),
        "me@example.com",
        "tok-123",
    )
}

const SEARCH: &str = "/admin/v2/orgs/org-1/directories/dir-1/users/search";

#[tokio::test]
async fn users_search_pages_by_cursor_in_the_body() {
    let s = MockServer::start_async().await;
    let a = admin(&s);
    let p1 = expect(
        &s,
        POST,
        SEARCH,
        &[],
        &bearer(),
        Some(json!({"limit": 2, "searchTerm": "ja", "status": ["active", "suspended"], "expand": ["groups"]})),
        200,
        Some(json!({"data": [
            {"accountId": "a-1", "email": "jane@x.com", "status": "active", "groups": [{"id": "g"}]},
            {"accountId": "a-2", "email": "jake@x.com", "status": "suspended"},
        ], "links": {"self": "c-1", "next": "c-2"}})),
    )
    .await;
    let p2 = expect(
        &s,
        POST,
        SEARCH,
        &[],
        &bearer(),
        Some(json!({"cursor": "c-2", "limit": 2, "searchTerm": "ja", "status": ["active", "suspended"], "expand": ["groups"]})),
        200,
        Some(json!({"data": [{"accountId": "a-3", "email": "jan@x.com"}], "links": {"self": "c-2"}})),
    )
    .await;
    let search = a
        .users("dir-1")
        .search()
        .search_term("ja")
        .status(["active", "suspended"])
        .expand(["groups"])
        .limit(2);
    let first = search.clone().await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.next.as_deref(), Some("c-2"));
    assert!(first.items[1].is_suspended());
    let all: Vec<_> = search.stream().try_collect().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|u| u.account_id.as_str())
            .collect::<Vec<_>>(),
        ["a-1", "a-2", "a-3"]
    );
    assert_eq!(p1.calls_async().await, 2, "once awaited, once streamed");
    p2.assert_async().await;
}

#[tokio::test]
async fn find_by_email_sends_one_exact_search() {
    let s = MockServer::start_async().await;
    let a = admin_at(&s.base_url(), "org 1", ADMIN_KEY);
    let path = "/admin/v2/orgs/org%201/directories/-/users/search";
    let found = expect(
        &s,
        POST,
        path,
        &[],
        &bearer(),
        Some(json!({"emails": ["Jane@Example.com"]})),
        200,
        // The server may answer other users too: only the address that
        // equals the one asked for (ignoring case) counts.
        Some(json!({"data": [
            {"accountId": "a-0", "email": "janet@example.com"},
            {"accountId": "a-1", "email": "jane@example.com", "accountStatus": "active"},
        ], "links": {}})),
    )
    .await;
    let u = a
        .users("-")
        .find_by_email("Jane@Example.com")
        .await
        .unwrap()
        .unwrap();
    found.assert_async().await;
    assert_eq!(u.account_id, "a-1");
    assert_eq!(u.account_status.as_deref(), Some("active"));

    let none = expect(
        &s,
        POST,
        path,
        &[],
        &bearer(),
        Some(json!({"emails": ["nobody@example.com"]})),
        200,
        Some(json!({"data": [], "links": {}})),
    )
    .await;
    assert!(a
        .users("-")
        .find_by_email("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    none.assert_async().await;
}

#[tokio::test]
async fn users_search_refusals_and_errors() {
    let s = MockServer::start_async().await;
    let a = admin(&s);
    let any = s
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    // Refused before sending: both kinds of address filter, or no address.
    let both = a
        .users("dir-1")
        .search()
        .emails(["a@x.com"])
        .search_term("a")
        .await;
    assert!(matches!(both, Err(Error::InvalidInput(_))), "{both:?}");
    assert!(matches!(
        a.users("dir-1").find_by_email(" ").await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(any.calls_async().await, 0);
    any.delete_async().await;

    // Each status is a typed error.
    for (status, check) in [
        (
            400u16,
            (|e: &Error| matches!(e, Error::Api(a) if a.status == 400)) as fn(&Error) -> bool,
        ),
        (401, |e| matches!(e, Error::Unauthorized(_))),
        (403, |e| matches!(e, Error::Forbidden(_))),
        (404, |e| matches!(e, Error::NotFound(_))),
        (429, |e| matches!(e, Error::RateLimited { .. })),
        (503, |e| matches!(e, Error::Api(a) if a.status == 503)),
    ] {
        let m = s
            .mock_async(move |when, then| {
                when.method(POST).path(SEARCH);
                then.status(status).json_body(json!({"errors": [{"status": status.to_string(), "code": "X", "title": "X", "detail": "refused"}]}));
            })
            .await;
        let e = a.users("dir-1").search().await.unwrap_err();
        assert!(check(&e), "{status}: {e:?}");
        m.delete_async().await;
    }
    // A 200 that is not the documented shape is a decode error.
    s.mock_async(|when, then| {
        when.method(POST).path(SEARCH);
        then.status(200)
            .json_body(json!({"data": {"accountId": "a"}}));
    })
    .await;
    assert!(matches!(
        a.users("dir-1").search().await,
        Err(Error::Decode { .. })
    ));
}

const ROLES: &str = "/jsm/ops/api/cloud-1/v1/roles";

#[tokio::test]
async fn custom_role_create_update_delete_are_exact() {
    let s = MockServer::start_async().await;
    let j = jsm(&s);
    let create = expect(
        &s,
        POST,
        ROLES,
        &[],
        BASIC,
        Some(json!({"name": "Finance", "extendedRole": "user", "grantedRights": ["alert-create"], "disallowedRights": ["alert-delete"]})),
        201,
        Some(json!({"message": "Created", "data": {"id": "r-1", "name": "Finance"}})),
    )
    .await;
    let id = j
        .roles()
        .create(
            OpsRoleWrite::new("Finance")
                .extended_role("user")
                .grant("alert-create")
                .disallow("alert-delete"),
        )
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(id, "r-1");

    // Update: read, then the complete role back (no extendedRole: the PUT
    // body has none), an unknown field written back as read.
    let read = expect(
        &s,
        GET,
        &format!("{ROLES}/r-1"),
        &[],
        BASIC,
        None,
        200,
        Some(
            json!({"id": "r-1", "name": "Finance", "extendedRole": "user",
            "grantedRights": ["alert-create", "alert-action"], "disallowedRights": ["alert-delete"],
            "futureField": {"kept": true}}),
        ),
    )
    .await;
    let put = expect(
        &s,
        PUT,
        &format!("{ROLES}/r-1"),
        &[("identifierType", "id")],
        BASIC,
        Some(json!({"id": "r-1", "name": "Money",
            "grantedRights": ["alert-action", "alert-delete"], "disallowedRights": ["alert-close"],
            "futureField": {"kept": true}})),
        200,
        Some(json!({"message": "Updated", "data": {"id": "r-1", "name": "Money"}})),
    )
    .await;
    j.roles()
        .update("r-1")
        .name("Money")
        .revoke("alert-create")
        .grant("alert-delete")
        .disallow("alert-close")
        .await
        .unwrap();
    read.assert_async().await;
    put.assert_async().await;

    let delete = expect(
        &s,
        DELETE,
        &format!("{ROLES}/r-1"),
        &[("identifierType", "id")],
        BASIC,
        None,
        204,
        None,
    )
    .await;
    j.roles().delete("r-1").await.unwrap();
    delete.assert_async().await;
}

#[tokio::test]
async fn custom_role_write_answers_map_to_errors() {
    let s = MockServer::start_async().await;
    let j = jsm(&s);
    let any = s
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    // Refused before sending.
    for bad in [
        OpsRoleWrite::new(" "),
        OpsRoleWrite::new("x").grant("a").disallow("a"),
    ] {
        assert!(matches!(
            j.roles().create(bad).await,
            Err(Error::InvalidInput(_))
        ));
    }
    assert_eq!(any.calls_async().await, 0);
    any.delete_async().await;

    // A create whose answer is lost may have been applied.
    let lost = s
        .mock_async(|when, then| {
            when.method(POST).path(ROLES);
            then.status(502).body("<html>bad gateway</html>");
        })
        .await;
    match j.roles().create(OpsRoleWrite::new("Finance")).await {
        Err(Error::AmbiguousOutcome { operation, cause }) => {
            assert_eq!(operation, "create custom role Finance");
            assert_eq!(cause.status().map(|s| s.as_u16()), Some(502));
        }
        other => panic!("{other:?}"),
    }
    lost.delete_async().await;
    let taken = s
        .mock_async(|when, then| {
            when.method(POST).path(ROLES);
            then.status(409).json_body(json!({"message": "taken"}));
        })
        .await;
    assert!(matches!(
        j.roles().create(OpsRoleWrite::new("Finance")).await,
        Err(Error::Conflict(_))
    ));
    taken.delete_async().await;
    // An answer without an id is a decode error.
    s.mock_async(|when, then| {
        when.method(POST).path(ROLES);
        then.status(201).json_body(json!({"message": "Created"}));
    })
    .await;
    assert!(matches!(
        j.roles().create(OpsRoleWrite::new("Finance")).await,
        Err(Error::Decode { .. })
    ));

    // Update of a missing role stops at the read: no PUT.
    s.mock_async(|when, then| {
        when.method(GET).path(format!("{ROLES}/gone"));
        then.status(404)
            .json_body(json!({"message": "role not found"}));
    })
    .await;
    let put = s
        .mock_async(|when, then| {
            when.method(PUT);
            then.status(200);
        })
        .await;
    assert!(matches!(
        j.roles().update("gone").grant("x").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(put.calls_async().await, 0);
    // A 400 to the PUT is an API error carrying the message.
    s.mock_async(|when, then| {
        when.method(GET).path(format!("{ROLES}/r-2"));
        then.status(200).json_body(
            json!({"id": "r-2", "name": "R", "grantedRights": [], "disallowedRights": []}),
        );
    })
    .await;
    put.delete_async().await;
    s.mock_async(|when, then| {
        when.method(PUT).path(format!("{ROLES}/r-2"));
        then.status(400)
            .json_body(json!({"message": "unknown right"}));
    })
    .await;
    match j.roles().update("r-2").grant("nope").await {
        Err(Error::Api(e)) => assert_eq!(e.message.as_deref(), Some("unknown right")),
        other => panic!("{other:?}"),
    }
    // Deleting a role still assigned: the message says so.
    s.mock_async(|when, then| {
        when.method(DELETE).path(format!("{ROLES}/r-2"));
        then.status(400)
            .json_body(json!({"message": "Custom role is assigned to users"}));
    })
    .await;
    assert!(matches!(
        j.roles().delete("r-2").await,
        Err(Error::DeleteBlocked(_))
    ));
    s.mock_async(|when, then| {
        when.method(DELETE).path(format!("{ROLES}/r-3"));
        then.status(409).json_body(json!({"message": "conflict"}));
    })
    .await;
    assert!(matches!(
        j.roles().delete("r-3").await,
        Err(Error::Conflict(_))
    ));
}

const RULES: &str = "/jsm/ops/api/cloud-1/v1/forwarding-rules";

#[tokio::test]
async fn forwarding_rule_update_writes_the_complete_rule() {
    let s = MockServer::start_async().await;
    let j = jsm(&s);
    let read = expect(
        &s,
        GET,
        &format!("{RULES}/f-1"),
        &[],
        BASIC,
        None,
        200,
        Some(json!({"id": "f-1", "fromUserId": "a-1", "toUserId": "a-2",
            "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-02-01T00:00:00Z", "note": "kept"})),
    )
    .await;
    let put = expect(
        &s,
        PUT,
        &format!("{RULES}/f-1"),
        &[],
        BASIC,
        Some(json!({"fromUserId": "a-1", "toUserId": "a-3",
            "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-12-31T23:59:00Z", "note": "kept"})),
        200,
        Some(json!({"id": "f-1"})),
    )
    .await;
    j.forwarding_rules()
        .update("f-1")
        .to_user("a-3")
        .end_date("2026-12-31T23:59:00Z".parse().unwrap())
        .await
        .unwrap();
    read.assert_async().await;
    put.assert_async().await;
    let rule = j.forwarding_rules().get("f-1").await.unwrap();
    assert_eq!(rule.to_user_id.unwrap(), "a-2", "as the mock read it");
    assert_eq!(rule.other["note"], "kept");

    // A rule read without an end date cannot be written whole: nothing is sent.
    s.mock_async(|when, then| {
        when.method(GET).path(format!("{RULES}/f-2"));
        then.status(200)
            .json_body(json!({"id": "f-2", "fromUserId": "a-1", "toUserId": "a-2", "startDate": "2026-01-01T00:00:00Z"}));
    })
    .await;
    let none = s
        .mock_async(|when, then| {
            when.method(PUT).path(format!("{RULES}/f-2"));
            then.status(200);
        })
        .await;
    assert!(matches!(
        j.forwarding_rules().update("f-2").to_user("a-3").await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(none.calls_async().await, 0);
    // ...unless the update sets it.
    none.delete_async().await;
    let put2 = expect(
        &s,
        PUT,
        &format!("{RULES}/f-2"),
        &[],
        BASIC,
        Some(json!({"fromUserId": "a-1", "toUserId": "a-2",
            "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-03-01T00:00:00Z"})),
        400,
        Some(json!({"message": "endDate is in the past"})),
    )
    .await;
    match j
        .forwarding_rules()
        .update("f-2")
        .end_date("2026-03-01T00:00:00Z".parse().unwrap())
        .await
    {
        Err(Error::Api(e)) => assert_eq!(e.message.as_deref(), Some("endDate is in the past")),
        other => panic!("{other:?}"),
    }
    put2.assert_async().await;
    s.mock_async(|when, then| {
        when.method(GET).path(format!("{RULES}/gone"));
        then.status(404).json_body(json!({"message": "not found"}));
    })
    .await;
    assert!(matches!(
        j.forwarding_rules().update("gone").to_user("a-3").await,
        Err(Error::NotFound(_))
    ));
}

// ------------------------------------------------------------ simulator

fn sim_admin(s: &AtlassianServer) -> AdminClient {
    admin_at(s.url(), s.org_id(), s.admin_key())
}

fn sim_jsm(s: &AtlassianServer) -> JsmOpsClient {
    jsm_at(&s.jsm_url(), s.email(), s.api_token())
}

#[tokio::test]
async fn sim_users_search_and_find_by_email() {
    let s = AtlassianServer::start().await.unwrap();
    let ids: Vec<String> = (0..7)
        .map(|i| s.add_user(&format!("user{i}@example.com"), &format!("User {i}")))
        .collect();
    let jane = s.add_user("Jane.Doe@Example.com", "Jane Doe");
    let group = s.add_group("ops");
    let a = sim_admin(&s);
    let users = a.users(s.directory_id());
    a.groups(s.directory_id())
        .add_member(group.as_str(), jane.as_str())
        .await
        .unwrap();
    users.suspend(ids[3].as_str()).await.unwrap();

    // Every user, 3 a page, in order.
    let all: Vec<_> = users
        .search()
        .limit(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    assert_eq!(all[7].account_id, jane.as_str());
    // Filters.
    let page = users.search().search_term("doe").await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(!page.has_next());
    let suspended: Vec<_> = users
        .search()
        .status(["suspended"])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].account_id, ids[3].as_str());
    let in_group = users.search().group_ids([group.clone()]).await.unwrap();
    assert_eq!(in_group.items.len(), 1);
    let by_mail = users
        .search()
        .emails(["user1@example.com", "user2@example.com"])
        .await
        .unwrap();
    assert_eq!(by_mail.items.len(), 2);
    // Every directory at once.
    let everywhere = a
        .users("-")
        .find_by_email("jane.doe@example.com")
        .await
        .unwrap();
    assert_eq!(everywhere.unwrap().account_id, jane.as_str());
    assert!(users
        .find_by_email("ghost@example.com")
        .await
        .unwrap()
        .is_none());
    // What the simulator refuses, the way Atlassian documents it.
    match users.search().limit(500).await {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 400),
        other => panic!("{other:?}"),
    }
    match users.search().role_ids(["atlassian/user"]).await {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 400),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        a.users("other-dir").search().await,
        Err(Error::NotFound(_))
    ));
    // The searches were POSTs with a Bearer key, their filters in the body.
    let searches: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/users/search"))
        .collect();
    assert!(searches.iter().all(|r| r.method == "POST"
        && r.auth_scheme.as_deref() == Some("Bearer")
        && r.query.is_none()));
    assert_eq!(searches[1].body.as_ref().unwrap()["cursor"], "cur-3");
}

#[tokio::test]
async fn sim_custom_roles_create_update_assign_delete() {
    let s = AtlassianServer::start().await.unwrap();
    let jane = s.add_user("jane@example.com", "Jane");
    let j = sim_jsm(&s);
    let roles = j.roles();

    let id = roles
        .create(
            OpsRoleWrite::new("Finance")
                .extended_role("observer")
                .grant("alert-create")
                .disallow("alert-delete"),
        )
        .await
        .unwrap();
    let read = roles.get(&id).await.unwrap();
    assert_eq!(read.name, "Finance");
    assert_eq!(read.extended_role.as_deref(), Some("observer"));
    assert_eq!(read.granted_rights, ["alert-create"]);
    assert!(matches!(
        roles.create(OpsRoleWrite::new("Finance")).await,
        Err(Error::Conflict(_))
    ));

    roles
        .update(id.as_str())
        .name("Money")
        .grant("alert-delete")
        .grant("alert-close")
        .revoke("alert-create")
        .await
        .unwrap();
    let stored = s
        .custom_roles()
        .into_iter()
        .find(|r| r.id == id.as_str())
        .unwrap();
    assert_eq!(stored.name, "Money");
    assert_eq!(stored.extended_role, "observer", "the PUT cannot change it");
    assert_eq!(stored.granted_rights, ["alert-delete", "alert-close"]);
    assert!(stored.disallowed_rights.is_empty());
    // Writing the same role again changes nothing.
    roles.update(&id).await.unwrap();
    assert_eq!(
        s.custom_roles()
            .into_iter()
            .find(|r| r.id == id.as_str())
            .unwrap(),
        stored
    );
    assert!(matches!(
        roles.update("no-such-role").name("x").await,
        Err(Error::NotFound(_))
    ));

    // A role assigned to someone cannot be deleted.
    roles.assign(&id, [jane.as_str()]).await.unwrap();
    assert!(matches!(
        roles.delete(&id).await,
        Err(Error::DeleteBlocked(_))
    ));
    let other = roles.create(OpsRoleWrite::new("Spare")).await.unwrap();
    roles.delete(&other).await.unwrap();
    assert!(s.custom_roles().iter().all(|r| r.id != other.as_str()));
    assert!(matches!(
        roles.delete(&other).await,
        Err(Error::NotFound(_))
    ));
    let listed: Vec<_> = roles.list().stream().try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].granted_rights, ["alert-delete", "alert-close"]);
}

#[tokio::test]
async fn sim_forwarding_rule_update() {
    let s = AtlassianServer::start().await.unwrap();
    let leaver = s.add_user("leaver@example.com", "Leaver");
    let cover = s.add_user("cover@example.com", "Cover");
    let next = s.add_user("next@example.com", "Next");
    let id = s.add_forwarding_rule(&leaver, &cover);
    let j = sim_jsm(&s);
    let rules = j.forwarding_rules();

    let rule = rules.get(id.as_str()).await.unwrap();
    assert_eq!(rule.from_user_id.as_ref().unwrap(), leaver.as_str());
    assert_eq!(rule.to_user_id.as_ref().unwrap(), cover.as_str());
    rules
        .update(id.as_str())
        .to_user(next.as_str())
        .end_date("2026-06-30T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    let stored = &s.forwarding_rules()[0];
    assert_eq!(stored["toUserId"], next.as_str());
    assert_eq!(stored["fromUserId"], leaver.as_str());
    assert_eq!(stored["endDate"], "2026-06-30T00:00:00Z");
    assert_eq!(stored["startDate"], "2026-01-01T00:00:00Z");
    // The simulator checks the rule as a whole.
    match rules.update(id.as_str()).to_user("712020:ghost").await {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 400),
        other => panic!("{other:?}"),
    }
    match rules
        .update(id.as_str())
        .end_date("2025-01-01T00:00:00Z".parse().unwrap())
        .await
    {
        Err(Error::Api(e)) => assert_eq!(
            e.message.as_deref(),
            Some("endDate must be after startDate")
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        rules.update("gone").to_user(next.as_str()).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.forwarding_rules()[0]["toUserId"], next.as_str());
}
