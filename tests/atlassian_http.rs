//! The Atlassian clients (feature `atlassian`) against a mock server: the
//! exact method, path, query, `Authorization` scheme and body of a
//! representative call of each kind, and how answers map to errors.
#![cfg(feature = "atlassian")]

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use opsgenie_users::atlassian::{
    AccountId, AdminClient, EnableOps, Invite, JsmOpsClient, OpsParticipant, PermissionRule,
    RoleAssignment, TeamsClient,
};
use opsgenie_users::ratelimit::Unlimited;
use opsgenie_users::{Error, RetryPolicy};
use serde_json::json;

#[path = "support/atlassian_mock.rs"]
mod atlassian_mock;
use atlassian_mock::{bearer, expect, ADMIN_KEY, BASIC};

fn admin(s: &MockServer) -> AdminClient {
    AdminClient::builder()
        .base_url(s.base_url())
        .org_id("org 1")
        .api_key(ADMIN_KEY)
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn teams(s: &MockServer) -> TeamsClient {
    TeamsClient::builder()
        .base_url(s.base_url())
        .org_id("org-1")
        .credentials("me@example.com", "tok-123")
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap()
}

fn jsm(s: &MockServer) -> JsmOpsClient {
    JsmOpsClient::builder()
        .base_url(format!("{}/jsm/ops/api/cloud-1", s.base_url()))
        .credentials("me@example.com", "tok-123")
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap()
}

/// The shared builder setting reaches the Atlassian clients' requests.
#[tokio::test]
async fn user_agent_names_the_tool_before_the_sdk() {
    let s = MockServer::start_async().await;
    let m = s
        .mock_async(|when, then| {
            when.method(GET)
                .path("/admin/v2/orgs/org-1/directories")
                .header(
                    "user-agent",
                    format!("acme-jsm-move/0.4 {}", opsgenie_users::client::USER_AGENT),
                );
            then.status(200)
                .json_body(json!({"data": [{"directoryId": "d-1", "name": "main"}], "links": {}}));
        })
        .await;
    let a = AdminClient::builder()
        .base_url(s.base_url())
        .org_id("org-1")
        .api_key(ADMIN_KEY)
        .user_agent("acme-jsm-move/0.4")
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap();
    let dirs = a.directories().await.unwrap();
    assert_eq!(dirs.len(), 1);
    m.assert_async().await;
}

#[tokio::test]
async fn admin_requests_are_exact() {
    let s = MockServer::start_async().await;
    let a = admin(&s);
    let users = "/admin/v2/orgs/org%201/directories/dir-1/users";

    let p1 = expect(
        &s,
        GET,
        users,
        &[("limit", "2")],
        &bearer(),
        None,
        200,
        Some(json!({"data": [{"accountId": "a-1", "email": "a@x.com"}, {"accountId": "a-2"}], "links": {"self": "s", "next": "c-2"}})),
    )
    .await;
    let p2 = expect(
        &s,
        GET,
        users,
        &[("limit", "2"), ("cursor", "c-2")],
        &bearer(),
        None,
        200,
        Some(json!({"data": [{"accountId": "a-3", "status": "suspended"}], "links": {}})),
    )
    .await;
    let all: Vec<_> = a
        .users("dir-1")
        .list()
        .limit(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    p1.assert_async().await;
    p2.assert_async().await;
    assert_eq!(all.len(), 3);
    assert!(all[2].is_suspended());
    assert_eq!(all[0].email.as_deref(), Some("a@x.com"));

    // An account id is one encoded segment; suspend sends no body.
    let suspend = expect(
        &s,
        POST,
        "/admin/v2/orgs/org%201/directories/dir-1/users/712020%3Aa%2Fb/suspend",
        &[],
        &bearer(),
        None,
        204,
        None,
    )
    .await;
    a.users("dir-1").suspend("712020:a/b").await.unwrap();
    suspend.assert_async().await;

    let remove = expect(
        &s,
        DELETE,
        "/admin/v2/orgs/org%201/directories/dir-1/users/a-1",
        &[],
        &bearer(),
        None,
        204,
        None,
    )
    .await;
    a.users("dir-1").remove("a-1").await.unwrap();
    remove.assert_async().await;

    let invite = expect(
        &s,
        POST,
        "/admin/v2/orgs/org%201/users/invite",
        &[],
        &bearer(),
        Some(json!({
            "emails": ["new@x.com"],
            "permissionRules": [{"resource": "ari:site", "role": "atlassian/user"}],
            "sendNotification": true,
            "notificationText": "hi",
        })),
        200,
        Some(json!({"data": {"invited": 1}})),
    )
    .await;
    let answer = a
        .invite(
            Invite::new(["new@x.com"])
                .permission(PermissionRule::new("ari:site", "atlassian/user"))
                .notify("hi"),
        )
        .await
        .unwrap();
    invite.assert_async().await;
    assert_eq!(answer["data"]["invited"], 1);

    let member = expect(
        &s,
        POST,
        "/admin/v2/orgs/org%201/directories/dir-1/groups/g-1/memberships",
        &[],
        &bearer(),
        Some(json!({"accountId": "a-1"})),
        204,
        None,
    )
    .await;
    a.groups("dir-1").add_member("g-1", "a-1").await.unwrap();
    member.assert_async().await;

    let assign = expect(
        &s,
        POST,
        "/admin/v2/orgs/org%201/directories/dir-1/groups/g-1/role-assignments/assign",
        &[],
        &bearer(),
        Some(json!({"roleId": "atlassian/user", "resourceId": "ari:site"})),
        204,
        None,
    )
    .await;
    a.groups("dir-1")
        .assign_role("g-1", RoleAssignment::new("atlassian/user", "ari:site"))
        .await
        .unwrap();
    assign.assert_async().await;
}

#[tokio::test]
async fn teams_requests_are_exact_and_basic_authenticated() {
    let s = MockServer::start_async().await;
    let t = teams(&s);
    let base = "/gateway/api/public/teams/v1/org/org-1/teams";

    let list = expect(
        &s,
        GET,
        base,
        &[("size", "300")],
        BASIC,
        None,
        200,
        Some(json!({"entities": [{"teamId": "t-1", "displayName": "SRE"}], "cursor": null})),
    )
    .await;
    let page = t.list_sized(Some(1000)).await.unwrap();
    list.assert_async().await;
    assert_eq!(page.items[0].display_name, "SRE");
    assert!(!page.has_next());

    let m1 = expect(
        &s,
        POST,
        &format!("{base}/t-1/members"),
        &[],
        BASIC,
        Some(json!({"first": 2})),
        200,
        Some(json!({"results": [{"accountId": "a-1"}, {"accountId": "a-2"}], "pageInfo": {"endCursor": "e2", "hasNextPage": true}})),
    )
    .await;
    let m2 = expect(
        &s,
        POST,
        &format!("{base}/t-1/members"),
        &[],
        BASIC,
        Some(json!({"first": 2, "after": "e2"})),
        200,
        Some(json!({"results": [{"accountId": "a-3"}], "pageInfo": {"endCursor": "e3", "hasNextPage": false}})),
    )
    .await;
    let members: Vec<_> = t
        .members("t-1")
        .list_sized(Some(2))
        .stream()
        .try_collect()
        .await
        .unwrap();
    m1.assert_async().await;
    m2.assert_async().await;
    assert_eq!(members.len(), 3);

    let add = expect(
        &s,
        POST,
        &format!("{base}/t-1/members/add"),
        &[],
        BASIC,
        Some(json!({"members": [{"accountId": "a-4"}, {"accountId": "a-5"}]})),
        200,
        Some(json!({"members": [{"accountId": "a-4"}], "errors": [{"accountId": "a-5", "code": "X", "message": "no"}]})),
    )
    .await;
    let change = t
        .members("t-1")
        .add([AccountId::new("a-4"), AccountId::new("a-5")])
        .await
        .unwrap();
    add.assert_async().await;
    assert_eq!(change.errors[0].account_id.as_ref().unwrap(), "a-5");
}

#[tokio::test]
async fn jsm_requests_are_exact_and_next_links_are_not_followed() {
    let s = MockServer::start_async().await;
    let j = jsm(&s);
    let base = "/jsm/ops/api/cloud-1/v1";

    // `next` points at another host: only its offset is used.
    let p1 = expect(
        &s,
        GET,
        &format!("{base}/schedules"),
        &[("size", "1")],
        BASIC,
        None,
        200,
        Some(json!({"values": [{"id": "s-1", "name": "A"}], "links": {"next": "https://evil.example/steal?offset=1&size=1"}})),
    )
    .await;
    let p2 = expect(
        &s,
        GET,
        &format!("{base}/schedules"),
        &[("size", "1"), ("offset", "1")],
        BASIC,
        None,
        200,
        Some(json!({"values": [{"id": "s-2", "name": "B", "timezone": "UTC"}], "links": {}})),
    )
    .await;
    let all: Vec<_> = j
        .schedules()
        .list()
        .size(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    p1.assert_async().await;
    p2.assert_async().await;
    assert_eq!(all[1].other["timezone"], "UTC");

    let enable = expect(
        &s,
        POST,
        &format!("{base}/teams/t-1/enable-ops"),
        &[],
        BASIC,
        Some(json!({"platformTeamId": "t-1", "adminAccountIds": ["a-1"], "inviteUsernames": []})),
        200,
        Some(json!({})),
    )
    .await;
    j.teams()
        .enable_ops("t-1", EnableOps::new(["a-1"]))
        .await
        .unwrap();
    enable.assert_async().await;

    let assign = expect(
        &s,
        POST,
        &format!("{base}/roles/assign"),
        &[],
        BASIC,
        Some(json!({"roleIdentifier": "r-1", "users": ["a-1", "a-2"]})),
        200,
        Some(json!({"result": "ok"})),
    )
    .await;
    j.roles().assign("r-1", ["a-1", "a-2"]).await.unwrap();
    assign.assert_async().await;

    let patch = expect(
        &s,
        PATCH,
        &format!("{base}/schedules/s-1/rotations/r-1"),
        &[],
        BASIC,
        Some(json!({"participants": [{"type": "user", "id": "a-2"}, {"type": "noone"}]})),
        200,
        Some(json!({"id": "r-1"})),
    )
    .await;
    j.schedules()
        .rotations("s-1")
        .set_participants(
            "r-1",
            vec![OpsParticipant::user("a-2"), OpsParticipant::noone()],
        )
        .await
        .unwrap();
    patch.assert_async().await;
}

#[tokio::test]
async fn answers_map_to_typed_errors() {
    let s = MockServer::start_async().await;
    let a = admin(&s);
    s.mock_async(|when, then| {
        when.path("/admin/v2/orgs/org%201/directories/d/users/gone/restore");
        then.status(404).json_body(json!({"errors": [{"status": "404", "code": "USER_NOT_FOUND", "title": "Not Found", "detail": "No such user"}]}));
    })
    .await;
    match a.users("d").restore("gone").await {
        Err(Error::NotFound(e)) => {
            assert_eq!(e.message.as_deref(), Some("No such user"));
            assert_eq!(
                e.errors.get("USER_NOT_FOUND").map(String::as_str),
                Some("No such user")
            );
        }
        other => panic!("{other:?}"),
    }

    let t = teams(&s);
    s.mock_async(|when, then| {
        when.path("/gateway/api/public/teams/v1/org/org-1/teams/t-9");
        then.status(401)
            .json_body(json!({"code": "UNAUTHORIZED", "message": "Bad credentials"}));
    })
    .await;
    let e = t.get("t-9").await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)));
    assert!(!format!("{e} {e:?}").contains("tok-123"));

    let j = jsm(&s);
    s.mock_async(|when, then| {
        when.path("/jsm/ops/api/cloud-1/v1/teams/t-2/enable-ops");
        then.status(409)
            .json_body(json!({"message": "already enabled"}));
    })
    .await;
    assert!(matches!(
        j.teams().enable_ops("t-2", EnableOps::new(["a"])).await,
        Err(Error::Conflict(_))
    ));
    s.mock_async(|when, then| {
        when.path("/jsm/ops/api/cloud-1/v1/teams");
        then.status(429)
            .header("retry-after", "3")
            .json_body(json!({"message": "slow down"}));
    })
    .await;
    assert!(matches!(
        j.teams().list().await,
        Err(Error::RateLimited { attempts: 1, .. })
    ));
    s.mock_async(|when, then| {
        when.path("/jsm/ops/api/cloud-1/v1/roles");
        then.status(502)
            .header("content-type", "text/html")
            .body("<html>bad gateway</html>");
    })
    .await;
    match j.roles().list().await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status.as_u16(), 502);
            assert!(e.is_non_json());
        }
        other => panic!("{other:?}"),
    }
    // A 200 with a body that is not the documented shape is a decode error.
    s.mock_async(|when, then| {
        when.path("/jsm/ops/api/cloud-1/v1/forwarding-rules");
        then.status(200).json_body(json!({"values": "nope"}));
    })
    .await;
    assert!(matches!(
        j.forwarding_rules().list().await,
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn a_groups_role_assignments_are_read_from_the_grouped_answer() {
    let s = MockServer::start_async().await;
    let m = expect(
        &s,
        GET,
        "/admin/v2/orgs/org%201/directories/dir-1/groups/g-1/role-assignments",
        &[],
        &bearer(),
        None,
        200,
        Some(json!({
            "data": [
                {"resourceId": "ari:cloud:jira-servicedesk::site/c-1", "resourceOwner": "jira-servicedesk",
                 "defaultRole": "atlassian/user", "roles": ["atlassian/user", "atlassian/stakeholder"]},
                {"resourceId": "ari:cloud:confluence::site/c-1", "roles": []}
            ],
            "links": {"next": null},
        })),
    )
    .await;
    let roles: Vec<RoleAssignment> = admin(&s)
        .groups("dir-1")
        .role_assignments("g-1")
        .stream()
        .try_collect()
        .await
        .unwrap();
    m.assert_async().await;
    assert_eq!(
        roles,
        vec![
            RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c-1"),
            RoleAssignment::new(
                "atlassian/stakeholder",
                "ari:cloud:jira-servicedesk::site/c-1"
            ),
        ]
    );
}

#[tokio::test]
async fn a_users_role_assignments_are_read_page_by_page() {
    let s = MockServer::start_async().await;
    let path = "/admin/v2/orgs/org%201/directories/dir-1/users/712020%3Aabc/role-assignments";
    let p1 = expect(
        &s,
        GET,
        path,
        &[("limit", "1")],
        &bearer(),
        None,
        200,
        // The documented answer: roles grouped by resource, with
        // `roleAssignments` (and the deprecated `roles`) per resource.
        Some(json!({
            "data": [
                {"resourceId": "ari:cloud:jira-servicedesk::site/c-1", "resourceOwner": "jira-servicedesk",
                 "roles": ["atlassian/user", "atlassian/admin"],
                 "roleAssignments": [
                     {"role": "atlassian/user", "roleAssignmentMethods": ["group_direct"]},
                     {"role": "atlassian/admin", "roleAssignmentMethods": ["direct", "inferred"]}
                 ],
                 "directoryId": "dir-1", "userDirectoryStatus": "active"},
                {"roleAssignments": [{"role": "atlassian/org-admin", "roleAssignmentMethods": ["direct"]}],
                 "directoryId": null, "userDirectoryStatus": null}
            ],
            "links": {"next": "c-2", "self": "c-1", "prev": null},
        })),
    )
    .await;
    let p2 = expect(
        &s,
        GET,
        path,
        &[("limit", "1"), ("cursor", "c-2")],
        &bearer(),
        None,
        200,
        // A flat `{roleId, resourceId}` item is read as well.
        Some(json!({"data": [{"roleId": "atlassian/site-admin", "resourceId": "ari:cloud:platform::site/c-1"}], "links": {}})),
    )
    .await;
    let roles: Vec<RoleAssignment> = admin(&s)
        .users("dir-1")
        .role_assignments("712020:abc")
        .limit(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    p1.assert_async().await;
    p2.assert_async().await;
    assert_eq!(
        roles,
        vec![
            RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c-1"),
            RoleAssignment::new("atlassian/admin", "ari:cloud:jira-servicedesk::site/c-1"),
            RoleAssignment::new("atlassian/org-admin", ""),
            RoleAssignment::new("atlassian/site-admin", "ari:cloud:platform::site/c-1"),
        ]
    );
}
