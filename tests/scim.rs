//! The SCIM client against a mock server: exact requests, headers, paging and
//! error mapping.

use std::time::Duration;

use futures::TryStreamExt;
use httpmock::prelude::*;
use opsgenie_users::scim::{
    Filter, PatchOp, ScimClient, ScimGroup, ScimUser, Upserted, SCIM_JSON, USER_SCHEMA,
};
use opsgenie_users::{Error, RetryPolicy, ScimType};
use serde_json::json;

const TOKEN: &str = "scim-token-0000";
const BASE: &str = "/scim/directory/dir-1";

fn scim(server: &MockServer) -> ScimClient {
    ScimClient::builder()
        .base_url(format!("{}{BASE}", server.base_url()))
        .token(TOKEN)
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(5))
        .build()
        .expect("scim client")
}

fn p(rest: &str) -> String {
    format!("{BASE}{rest}")
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn user_json(id: &str, user_name: &str) -> serde_json::Value {
    json!({"schemas": [USER_SCHEMA], "id": id, "userName": user_name, "active": true,
           "meta": {"resourceType": "User", "version": "W/\"1\""}})
}

fn list_json(total: u64, start: u64, items: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
           "totalResults": total, "startIndex": start, "itemsPerPage": items.len(), "Resources": items})
}

#[tokio::test]
async fn create_user_sends_exact_body_and_headers() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(p("/Users"))
                .header("authorization", bearer())
                .header("content-type", SCIM_JSON)
                .header("accept", SCIM_JSON)
                .json_body(json!({
                    "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                    "externalId": "okta-1",
                    "userName": "jane@example.com",
                    "displayName": "Jane Doe",
                    "active": true,
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "SRE"}
                }));
            then.status(201)
                .header("content-type", SCIM_JSON)
                .json_body(user_json("u-1", "jane@example.com"));
        })
        .await;
    let u = scim(&server)
        .users()
        .create(
            ScimUser::new("jane@example.com")
                .external_id("okta-1")
                .display_name("Jane Doe")
                .department("SRE"),
        )
        .await
        .unwrap();
    assert_eq!(u.id.as_deref(), Some("u-1"));
    assert_eq!(u.meta.unwrap().version.as_deref(), Some("W/\"1\""));
    m.assert_async().await;
}

#[tokio::test]
async fn get_replace_delete_use_encoded_ids() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users/a%2Fb%3Fc"))
                .header("authorization", bearer());
            then.status(200).json_body(user_json("a/b?c", "x@y"));
        })
        .await;
    let put = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(p("/Users/u-1"))
                .header("content-type", SCIM_JSON)
                .json_body(
                    json!({"schemas": [USER_SCHEMA], "id": "u-1", "userName": "x@y",
                                  "title": "SRE", "active": true, "x-vendor": 7,
                                  "meta": {"resourceType": "User", "version": "W/\"1\""}}),
                );
            then.status(200).json_body(user_json("u-1", "x@y"));
        })
        .await;
    let del = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(p("/Users/u-1"))
                .header("authorization", bearer());
            then.status(204);
        })
        .await;
    let c = scim(&server);
    assert_eq!(c.users().get("a/b?c").await.unwrap().user_name, "x@y");
    // read-modify-replace keeps attributes the crate does not know
    let mut u: ScimUser = serde_json::from_value(user_json("u-1", "x@y")).unwrap();
    u.extra.insert("x-vendor".into(), json!(7));
    u.title = Some("SRE".into());
    c.users().replace("u-1", u).await.unwrap();
    c.users().delete("u-1").await.unwrap();
    get.assert_async().await;
    put.assert_async().await;
    del.assert_async().await;
}

#[tokio::test]
async fn invalid_ids_and_filters_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_w, then| {
            then.status(200).json_body(json!({}));
        })
        .await;
    let c = scim(&server);
    assert!(matches!(
        c.users().get("").await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        c.users().get("..").await,
        Err(Error::InvalidInput(_))
    ));
    let bad = c
        .users()
        .list()
        .filter(Filter::eq("userName\" or \"", "x"))
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    assert!(matches!(
        c.users().patch("u-1", PatchOp::new()).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        c.groups().add_members("g-1", Vec::<&str>::new()).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        c.groups().remove_members("g-1", ["ok", ""]).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(any.calls_async().await, 0);
}

/// One page-size rule for REST and SCIM: 1 to `pagination::MAX_PAGE_SIZE`,
/// anything else refused before sending (SCIM used to clamp silently).
#[tokio::test]
async fn out_of_range_count_is_refused_before_sending() {
    use opsgenie_users::pagination::MAX_PAGE_SIZE;
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_w, then| {
            then.status(200).json_body(list_json(0, 1, vec![]));
        })
        .await;
    let c = scim(&server);
    for count in [0, MAX_PAGE_SIZE + 1, 1_000] {
        let e = c.users().list().count(count).await.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.contains("count")),
            "{count}: {e:?}"
        );
        let e = c
            .groups()
            .list()
            .count(count)
            .stream()
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "{count}: {e:?}");
        let rest = opsgenie_users::Client::builder()
            .api_key("k")
            .base_url(server.base_url())
            .build()
            .unwrap();
        let e = rest.users().list().limit(count).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput(_)), "REST {count}: {e:?}");
    }
    assert_eq!(any.calls_async().await, 0, "nothing was sent");
    // The bounds themselves are accepted.
    let page = c.users().list().count(MAX_PAGE_SIZE).await.unwrap();
    assert!(page.resources.is_empty());
    c.users().list().count(1).await.unwrap();
    assert_eq!(any.calls_async().await, 2);
}

/// The same server answer gives the same variant from a REST call and a
/// SCIM call: one mapping.
#[tokio::test]
async fn rest_and_scim_map_the_same_answer_to_the_same_variant() {
    let server = MockServer::start_async().await;
    let rest = opsgenie_users::Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let c = scim(&server);

    // 409: a unique value is taken.
    let conflict = json!({"message": "already exists", "requestId": "r-409"});
    let m = server
        .mock_async(|when, then| {
            when.method(POST);
            then.status(409)
                .header("content-type", "application/json")
                .json_body(conflict.clone());
        })
        .await;
    let from_rest = rest
        .teams()
        .create(opsgenie_users::models::team::TeamCreate::new("ops"))
        .await
        .unwrap_err();
    let from_scim = c.users().create(ScimUser::new("dup")).await.unwrap_err();
    for e in [&from_rest, &from_scim] {
        assert!(matches!(e, Error::Conflict(_)), "{e:?}");
        assert_eq!(e.message(), Some("already exists"));
        assert_eq!(e.request_id(), Some("r-409"));
    }
    assert_eq!(m.calls_async().await, 2);
    m.delete_async().await;

    // A blocked delete: 422, 428 or another 4xx saying the user is in use.
    for (status, message) in [
        (422, "User is used in schedule [ops-rotation]"),
        (428, "User is used in escalation [night]"),
        (
            400,
            "User is the only owner of the account and cannot be deleted",
        ),
    ] {
        let m = server
            .mock_async(|when, then| {
                when.method(DELETE);
                then.status(status)
                    .header("content-type", "application/json")
                    .json_body(json!({"message": message, "requestId": "r-del"}));
            })
            .await;
        let from_rest = rest.users().delete("jane@example.com").await.unwrap_err();
        let from_scim = c.users().delete("u-1").await.unwrap_err();
        for e in [&from_rest, &from_scim] {
            assert!(matches!(e, Error::DeleteBlocked(_)), "{status}: {e:?}");
            assert_eq!(e.status().map(|s| s.as_u16()), Some(status));
            assert_eq!(e.message(), Some(message));
        }
        assert_eq!(m.calls_async().await, 2);
        m.delete_async().await;
    }
}

/// `ApiError` keeps every response header, not only the rate-limit ones.
#[tokio::test]
async fn api_errors_expose_the_response_headers() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET);
            then.status(401)
                .header("content-type", "application/json")
                .header("www-authenticate", "Bearer realm=\"directory\"")
                .header("x-request-id", "hdr-1")
                .header("x-ratelimit-state", "OK")
                .json_body(json!({"error": "Unauthorized"}));
        })
        .await;
    let rest = opsgenie_users::Client::builder()
        .api_key("k")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let from_rest = rest.users().get("jane@example.com").await.unwrap_err();
    let from_scim = scim(&server).users().get("u-1").await.unwrap_err();
    for e in [&from_rest, &from_scim] {
        assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
        let api = e.api_error().unwrap();
        assert_eq!(
            api.header("WWW-Authenticate"),
            Some("Bearer realm=\"directory\"")
        );
        assert_eq!(api.headers["x-request-id"], "hdr-1");
        assert_eq!(api.header("x-ratelimit-state"), Some("OK"));
        assert_eq!(e.request_id(), Some("hdr-1"));
        // Response headers carry no credential, and Debug shows them.
        let debug = format!("{e:?}");
        assert!(debug.contains("www-authenticate"), "{debug}");
        assert!(
            !debug.contains(TOKEN) && !debug.contains("GenieKey"),
            "{debug}"
        );
    }
}

#[tokio::test]
async fn patch_returns_the_resource_or_none_on_204() {
    let server = MockServer::start_async().await;
    let with_body = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(p("/Users/u-200"))
                .header("content-type", SCIM_JSON)
                .json_body(
                    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": false}]}),
                );
            then.status(200).json_body(user_json("u-200", "a@b"));
        })
        .await;
    let no_body = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Users/u-204"));
            then.status(204);
        })
        .await;
    let reread = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users/u-204"));
            then.status(200).json_body(user_json("u-204", "c@d"));
        })
        .await;
    let c = scim(&server);
    let op = PatchOp::deactivate_user();
    assert_eq!(
        c.users()
            .patch("u-200", op.clone())
            .await
            .unwrap()
            .unwrap()
            .id
            .as_deref(),
        Some("u-200")
    );
    assert!(c
        .users()
        .patch("u-204", op.clone())
        .await
        .unwrap()
        .is_none());
    assert_eq!(reread.calls_async().await, 0);
    let u = c.users().patch("u-204", op).read_back().await.unwrap();
    assert_eq!(u.user_name, "c@d");
    with_body.assert_async().await;
    assert_eq!(no_body.calls_async().await, 2);
    reread.assert_async().await;
}

#[tokio::test]
async fn filter_values_are_escaped_in_the_query() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("filter", r#"userName eq "x\" or userName pr or \"\\""#)
                .query_param("startIndex", "1")
                .query_param("count", "2");
            then.status(200).json_body(list_json(0, 1, vec![]));
        })
        .await;
    let found = scim(&server)
        .users()
        .find_by_user_name(r#"x" or userName pr or "\"#)
        .await
        .unwrap();
    assert!(found.is_none());
    m.assert_async().await;
}

#[tokio::test]
async fn stream_pages_by_start_index_until_total_results() {
    let server = MockServer::start_async().await;
    let p1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("startIndex", "1")
                .query_param("count", "2")
                .query_param("filter", "active eq true");
            then.status(200).json_body(list_json(
                3,
                1,
                vec![user_json("1", "a"), user_json("2", "b")],
            ));
        })
        .await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("startIndex", "3")
                .query_param("count", "2");
            then.status(200)
                .json_body(list_json(3, 3, vec![user_json("3", "c")]));
        })
        .await;
    let users: Vec<ScimUser> = scim(&server)
        .users()
        .list()
        .filter(Filter::eq("active", true))
        .count(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    p1.assert_async().await;
    p2.assert_async().await;
}

#[tokio::test]
async fn stream_stops_when_the_server_does_not_advance() {
    let server = MockServer::start_async().await;
    // ignores startIndex: always the first page, and claims 10 results
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users"));
            then.status(200).json_body(list_json(
                10,
                1,
                vec![user_json("1", "a"), user_json("2", "b")],
            ));
        })
        .await;
    let users = scim(&server).users().list().count(2).all().await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(m.calls_async().await, 2);
}

#[tokio::test]
async fn stream_stops_on_an_empty_page_without_total() {
    let server = MockServer::start_async().await;
    let p1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Groups"))
                .query_param("startIndex", "1");
            then.status(200)
                .json_body(json!({"Resources": [{"id": "g1", "displayName": "x"}]}));
        })
        .await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Groups"))
                .query_param("startIndex", "2");
            then.status(200).json_body(json!({"Resources": []}));
        })
        .await;
    let groups = scim(&server).groups().list().count(1).all().await.unwrap();
    assert_eq!(groups.len(), 1);
    p1.assert_async().await;
    p2.assert_async().await;
}

#[tokio::test]
async fn stream_follows_next_cursor() {
    let server = MockServer::start_async().await;
    let p1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("cursor", "")
                .query_param("count", "100");
            then.status(200)
                .json_body(json!({"totalResults": 2, "itemsPerPage": 1,
                "nextCursor": "c-2", "Resources": [user_json("1", "a")]}));
        })
        .await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("cursor", "c-2");
            then.status(200)
                .json_body(json!({"totalResults": 2, "itemsPerPage": 1,
                "Resources": [user_json("2", "b")]}));
        })
        .await;
    let users = scim(&server)
        .users()
        .list()
        .cursor_paging(true)
        .all()
        .await
        .unwrap();
    assert_eq!(users.len(), 2);
    p1.assert_async().await;
    p2.assert_async().await;
}

#[tokio::test]
async fn errors_map_to_typed_variants() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(p("/Users"));
            then.status(409)
                .header("content-type", SCIM_JSON)
                .json_body(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409", "scimType": "uniqueness", "detail": "userName taken"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users/forbidden"));
            then.status(403)
                .json_body(json!({"error": "Forbidden", "traceId": "trace-7"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users/gone"));
            then.status(404)
                .json_body(json!({"status": 404, "detail": "no such user"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users"));
            then.status(400)
                .json_body(json!({"status": "400", "scimType": "invalidFilter",
                "detail": "Unsupported filter"}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Groups/html"));
            then.status(502)
                .header("content-type", "text/html")
                .body("<html>Bad Gateway</html>");
        })
        .await;
    let c = scim(&server);
    let e = c.users().create(ScimUser::new("dup")).await.unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert_eq!(e.scim_type(), Some(&ScimType::Uniqueness));
    assert_eq!(e.message(), Some("userName taken"));

    let e = c.users().get("forbidden").await.unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    assert_eq!(e.request_id(), Some("trace-7"));
    assert_eq!(e.message(), Some("Forbidden"));

    let e = c.users().get("gone").await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    let detail = e.scim_detail().unwrap();
    assert_eq!(detail.status.as_deref(), Some("404"));
    assert_eq!(detail.detail.as_deref(), Some("no such user"));

    let e = c.users().list().await.unwrap_err();
    assert_eq!(e.scim_type(), Some(&ScimType::InvalidFilter));
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400));

    let e = c.groups().get("html").await.unwrap_err();
    assert!(matches!(e, Error::Api(_)), "{e:?}");
    assert!(e.api_error().unwrap().is_non_json());
}

#[tokio::test]
async fn a_create_is_never_resent_and_a_lost_answer_is_ambiguous() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(POST).path(p("/Users"));
            then.status(503).body("busy");
        })
        .await;
    let c = ScimClient::builder()
        .base_url(format!("{}{BASE}", server.base_url()))
        .token(TOKEN)
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let e = c.users().create(ScimUser::new("a")).await.unwrap_err();
    assert!(matches!(e, Error::AmbiguousOutcome { .. }), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(m.calls_async().await, 1);
}

#[tokio::test]
async fn upsert_patches_the_existing_user_after_a_409() {
    let server = MockServer::start_async().await;
    let by_ext = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("filter", r#"externalId eq "okta-9""#);
            then.status(200).json_body(list_json(0, 1, vec![]));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(p("/Users"));
            then.status(409)
                .json_body(json!({"status": "409", "scimType": "uniqueness"}));
        })
        .await;
    let by_name = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("filter", r#"userName eq "jane@example.com""#);
            then.status(200)
                .json_body(list_json(1, 1, vec![user_json("u-7", "jane@example.com")]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Users/u-7")).json_body(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"externalId": "okta-9", "title": "SRE"}}]
            }));
            then.status(200)
                .json_body(user_json("u-7", "jane@example.com"));
        })
        .await;
    let out = scim(&server)
        .users()
        .upsert(
            &ScimUser::new("jane@example.com")
                .external_id("okta-9")
                .title("SRE"),
        )
        .await
        .unwrap();
    assert!(matches!(out, Upserted::Updated(_)), "{out:?}");
    assert_eq!(by_ext.calls_async().await, 2);
    create.assert_async().await;
    by_name.assert_async().await;
    patch.assert_async().await;
}

#[tokio::test]
async fn upsert_does_not_take_over_another_identitys_account() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("filter", r#"externalId eq "mine""#);
            then.status(200).json_body(list_json(0, 1, vec![]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(p("/Users"));
            then.status(409).json_body(json!({"status": "409"}));
        })
        .await;
    let mut other = user_json("u-8", "jane@example.com");
    other["externalId"] = json!("someone-else");
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users"))
                .query_param("filter", r#"userName eq "jane@example.com""#);
            then.status(200)
                .json_body(list_json(1, 1, vec![other.clone()]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH);
            then.status(200);
        })
        .await;
    let e = scim(&server)
        .users()
        .upsert(&ScimUser::new("jane@example.com").external_id("mine"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert_eq!(patch.calls_async().await, 0);
}

#[tokio::test]
async fn deactivate_strips_groups_listed_on_the_user() {
    let server = MockServer::start_async().await;
    let mut answered = user_json("u-1", "a@b");
    answered["active"] = json!(false);
    answered["groups"] = json!([{"value": "g-1", "display": "ops"}, {"value": "g-2"}]);
    let user_patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Users/u-1")).json_body(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}]}));
            then.status(200).json_body(answered.clone());
        })
        .await;
    let mut group_patches = Vec::new();
    for g in ["g-1", "g-2"] {
        group_patches.push(
            server
                .mock_async(|when, then| {
                    when.method(PATCH)
                        .path(p(&format!("/Groups/{g}")))
                        .json_body(json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "remove", "path": "members[value eq \"u-1\"]"}]}));
                    then.status(204);
                })
                .await,
        );
    }
    // The groups are also searched by member; this one finds what the user listed.
    let search = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Groups"))
                .query_param("filter", r#"members[value eq "u-1"]"#);
            then.status(200).json_body(list_json(
                1,
                1,
                vec![json!({"id": "g-2", "displayName": "b", "members": [{"value": "u-1"}]})],
            ));
        })
        .await;
    let done = scim(&server)
        .users()
        .deactivate("u-1")
        .strip_groups(true)
        .await
        .unwrap();
    assert_eq!(done.removed_from_groups, ["g-1", "g-2"]);
    search.assert_async().await;
    assert_eq!(done.user.unwrap().active, Some(false));
    user_patch.assert_async().await;
    for m in group_patches {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn groups_and_discovery() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(p("/Groups")).json_body(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "ops", "members": [{"value": "u-1"}]}));
            then.status(201)
                .json_body(json!({"id": "g-1", "displayName": "ops",
                "members": [{"value": "u-1", "display": "A"}]}));
        })
        .await;
    let add = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Groups/g-1")).json_body(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": "u-2"}, {"value": "u-3"}]}]}));
            then.status(204);
        })
        .await;
    let spc = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/ServiceProviderConfig"));
            then.status(200)
                .json_body(json!({"patch": {"supported": true},
                "filter": {"supported": true, "maxResults": 100}, "bulk": {"supported": false}}));
        })
        .await;
    let rts = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/ResourceTypes"));
            then.status(200).json_body(json!([{"id": "User", "name": "User", "endpoint": "/Users",
                "schema": USER_SCHEMA, "schemaExtensions": [{"schema": "urn:x", "required": false}]}]));
        })
        .await;
    let schemas = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Schemas"));
            then.status(200).json_body(list_json(
                1,
                1,
                vec![json!({"id": USER_SCHEMA,
                "attributes": [{"name": "userName", "type": "string", "uniqueness": "server"}]})],
            ));
        })
        .await;
    let c = scim(&server);
    let g = c
        .groups()
        .create(ScimGroup::new("ops").member("u-1"))
        .await
        .unwrap();
    assert_eq!(g.members[0].display.as_deref(), Some("A"));
    assert!(c
        .groups()
        .add_members("g-1", ["u-2", "u-3"])
        .await
        .unwrap()
        .is_none());
    let cfg = c.service_provider_config().await.unwrap();
    assert!(cfg.patch.unwrap().is_supported());
    assert_eq!(cfg.filter.unwrap().extra["maxResults"], json!(100));
    assert_eq!(
        c.resource_types().await.unwrap()[0].schema_extensions[0].schema,
        "urn:x"
    );
    assert_eq!(
        c.schemas().await.unwrap()[0].attributes[0]
            .uniqueness
            .as_deref(),
        Some("server")
    );
    for m in [create, add, spc, rts, schemas] {
        m.assert_async().await;
    }
}

#[tokio::test]
async fn user_agent_names_the_tool_before_the_sdk() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(p("/Users/u-1")).header(
                "user-agent",
                format!("acme-scim-sync/1.0 {}", opsgenie_users::client::USER_AGENT),
            );
            then.status(200).json_body(user_json("u-1", "a"));
        })
        .await;
    let c = ScimClient::builder()
        .base_url(format!("{}{BASE}", server.base_url()))
        .token(TOKEN)
        .user_agent("acme-scim-sync/1.0")
        .build()
        .unwrap();
    c.users().get("u-1").await.unwrap();
    m.assert_async().await;
    let bad = ScimClient::builder()
        .base_url(format!("{}{BASE}", server.base_url()))
        .token(TOKEN)
        .user_agent("acme\r\nx-injected: 1")
        .build();
    assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
}

#[tokio::test]
async fn from_client_shares_the_rest_clients_settings() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users/u-1"))
                .header("authorization", bearer())
                .header("user-agent", opsgenie_users::client::USER_AGENT);
            then.status(200).json_body(user_json("u-1", "a"));
        })
        .await;
    let rest = opsgenie_users::Client::builder()
        .api_key("genie")
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let c = ScimClient::from_client(
        &rest,
        &format!("{}{BASE}", server.base_url()),
        opsgenie_users::BearerToken::new(TOKEN),
    )
    .unwrap();
    c.users().get("u-1").await.unwrap();
    m.assert_async().await;
    assert!(ScimClient::from_client(
        &rest,
        "http://scim.example.com/x",
        opsgenie_users::BearerToken::new(TOKEN)
    )
    .is_err());
}

/// The client against the crate's simulator, which answers the Atlassian
/// way: PATCH 200 with the resource, DELETE of a user deactivates, 401 as
/// `{error, traceId}`, only the `eq` filters Atlassian supports.
mod atlassian_flavour {
    use super::*;
    use opsgenie_users_sim::Server;

    #[tokio::test]
    async fn patch_returns_the_user_and_delete_only_deactivates() {
        let sim = Server::start().await.unwrap();
        let c = ScimClient::builder()
            .base_url(sim.scim_url())
            .token(sim.scim_token())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let u = c
            .users()
            .create(ScimUser::new("jane@example.com").external_id("okta-1"))
            .await
            .unwrap();
        let id = u.id.unwrap();
        let patched = c
            .users()
            .patch(&id, PatchOp::new().replace("title", "SRE"))
            .await
            .unwrap()
            .expect("Atlassian answers PATCH with the resource");
        assert_eq!(patched.title.as_deref(), Some("SRE"));

        c.users().delete(&id).await.unwrap();
        let after = c.users().get(&id).await.unwrap();
        assert_eq!(
            after.active,
            Some(false),
            "DELETE deactivated, did not delete"
        );

        let e = c
            .users()
            .list()
            .filter(Filter::eq("title", "SRE"))
            .await
            .unwrap_err();
        assert_eq!(e.scim_type(), Some(&ScimType::InvalidFilter));
        let found = c
            .users()
            .find_by_user_name("jane@example.com")
            .await
            .unwrap();
        assert_eq!(found.unwrap().id.as_deref(), Some(id.as_str()));

        let bad = ScimClient::builder()
            .base_url(sim.scim_url())
            .token("wrong")
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let e = bad.users().get(&id).await.unwrap_err();
        assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
        assert!(e.request_id().is_some(), "traceId is kept: {e:?}");
        assert_eq!(e.message(), Some("Unauthorized"));
    }
}

#[tokio::test]
async fn only_idempotent_patches_are_retried() {
    let server = MockServer::start_async().await;
    let replace = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Users/u-r"));
            then.status(503).body("busy");
        })
        .await;
    let add = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Groups/g-a"));
            then.status(503).body("busy");
        })
        .await;
    let c = ScimClient::builder()
        .base_url(format!("{}{BASE}", server.base_url()))
        .token(TOKEN)
        .retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    // replace/remove: same effect when repeated, so retried
    let e = c
        .users()
        .patch("u-r", PatchOp::deactivate_user())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api(_)), "{e:?}");
    assert_eq!(replace.calls_async().await, 3);
    // add: may append twice, so sent once and reported as ambiguous
    let e = c.groups().add_members("g-a", ["u-1"]).await.unwrap_err();
    assert!(matches!(e, Error::AmbiguousOutcome { .. }), "{e:?}");
    assert_eq!(add.calls_async().await, 1);
}

/// `deactivate().strip_groups(true)` against a server that refuses the
/// `members[value eq ..]` group filter with `status`: every group is listed
/// (no filter) and scanned, and only the groups listing the user get the
/// PATCH that removes it.
async fn deactivate_scans_every_group_when_the_member_filter_is_refused(status: u16) {
    let server = MockServer::start_async().await;
    let mut deactivated = user_json("u-1", "a@b");
    deactivated["active"] = json!(false);
    let user_patch = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(p("/Users/u-1"))
                .query_param_count(".*", ".*", 0)
                .header("authorization", bearer())
                .header("content-type", SCIM_JSON)
                .header("accept", SCIM_JSON)
                .json_body(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "replace", "path": "active", "value": false}]}));
            then.status(200)
                .header("content-type", SCIM_JSON)
                .json_body(deactivated.clone());
        })
        .await;
    // The answer names no groups: the user is read again, still without any.
    let user_get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Users/u-1"))
                .query_param_count(".*", ".*", 0)
                .header("authorization", bearer())
                .header("accept", SCIM_JSON);
            then.status(200)
                .header("content-type", SCIM_JSON)
                .json_body(deactivated.clone());
        })
        .await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(p("/Groups"))
                .query_param("filter", r#"members[value eq "u-1"]"#)
                .query_param("count", "100")
                .query_param("startIndex", "1")
                .query_param_count(".*", ".*", 3)
                .header("authorization", bearer())
                .header("accept", SCIM_JSON);
            then.status(status)
                .header("content-type", SCIM_JSON)
                .json_body(
                    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": status.to_string(), "scimType": "invalidFilter",
                    "detail": "filtering groups by members is not supported"}),
                );
        })
        .await;
    let scan =
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(p("/Groups"))
                    .query_param("count", "100")
                    .query_param("startIndex", "1")
                    .query_param_count(".*", ".*", 2)
                    .header("authorization", bearer())
                    .header("accept", SCIM_JSON);
                then.status(200).header("content-type", SCIM_JSON).json_body(list_json(
                3,
                1,
                vec![
                    json!({"id": "g-1", "displayName": "ops",
                           "members": [{"value": "u-9"}, {"value": "u-1"}]}),
                    json!({"id": "g-2", "displayName": "dev", "members": [{"value": "u-9"}]}),
                    json!({"id": "g-3", "displayName": "sre", "members": [{"value": "u-1"}]}),
                ],
            ));
            })
            .await;
    let mut removals = Vec::new();
    for g in ["g-1", "g-3"] {
        removals.push(
            server
                .mock_async(|when, then| {
                    when.method(PATCH)
                        .path(p(&format!("/Groups/{g}")))
                        .query_param_count(".*", ".*", 0)
                        .header("authorization", bearer())
                        .header("content-type", SCIM_JSON)
                        .header("accept", SCIM_JSON)
                        .json_body(json!({
                            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                            "Operations": [{"op": "remove", "path": "members[value eq \"u-1\"]"}]}));
                    then.status(204);
                })
                .await,
        );
    }
    let untouched = server
        .mock_async(|when, then| {
            when.method(PATCH).path(p("/Groups/g-2"));
            then.status(500);
        })
        .await;
    let done = scim(&server)
        .users()
        .deactivate("u-1")
        .strip_groups(true)
        .await
        .unwrap();
    assert_eq!(done.removed_from_groups, ["g-1", "g-3"], "{status}");
    assert_eq!(done.user.unwrap().active, Some(false));
    user_patch.assert_async().await;
    user_get.assert_async().await;
    refused.assert_async().await;
    scan.assert_async().await;
    for m in removals {
        m.assert_async().await;
    }
    assert_eq!(
        untouched.calls_async().await,
        0,
        "g-2 does not list the user"
    );
}

#[tokio::test]
async fn deactivate_scans_every_group_after_a_400_for_the_member_filter() {
    deactivate_scans_every_group_when_the_member_filter_is_refused(400).await;
}

#[tokio::test]
async fn deactivate_scans_every_group_after_a_501_for_the_member_filter() {
    deactivate_scans_every_group_when_the_member_filter_is_refused(501).await;
}
