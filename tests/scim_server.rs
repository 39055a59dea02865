//! The SCIM client against a real SCIM 2.0 server: scim2-server 0.8.3,
//! started by `scripts/test.sh` with the Atlassian schema and resource-type
//! files, `--dynamic-tenants` (each test uses its own tenant) and a bearer
//! token. Run with `scripts/test.sh --test scim_server`.
//!
//! Differences from Atlassian seen here, and asserted, are listed in the
//! `scim` module docs: PATCH answers 204 without a body, error `status` is a
//! string, HTTP/1.0 without connection reuse, no `groups` on users.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use opsgenie_users::scim::{
    Filter, MultiValue, Name, PatchOp, ScimClient, ScimGroup, ScimUser, ScimUserId, Upserted,
    ATLASSIAN_USER_SCHEMA, ENTERPRISE_USER_SCHEMA,
};
use opsgenie_users::{Error, RetryPolicy, ScimType};

mod common;

/// scim2-server's URL and bearer token, or `None` (skip the test) when it is
/// not running; see [`common::external_server`].
fn server() -> Option<(String, String)> {
    Some((
        common::external_server("OPSGENIE_SCIM_URL", "scim2-server")?,
        common::external_server("OPSGENIE_SCIM_TOKEN", "scim2-server")?,
    ))
}

/// A fresh tenant name, so tests never see each other's resources.
fn tenant(name: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{name}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn client_with_token(url: &str, tenant: &str, token: &str) -> ScimClient {
    ScimClient::builder()
        .base_url(format!("{url}/{tenant}"))
        .token(token)
        .retry_policy(RetryPolicy::none())
        .request_timeout(Duration::from_secs(10))
        .build()
        .expect("scim client")
}

/// A client for a fresh tenant; `None` when scim2-server is not running.
fn client(name: &str) -> Option<ScimClient> {
    let (url, token) = server()?;
    Some(client_with_token(&url, &tenant(name), &token))
}

/// Creates a user with just a `userName` and returns its id.
async fn new_user(c: &ScimClient, user_name: &str) -> ScimUserId {
    c.users()
        .create(ScimUser::new(user_name))
        .await
        .unwrap()
        .id
        .expect("id")
}

#[tokio::test]
async fn user_lifecycle_with_extensions() {
    let Some(c) = client("users") else {
        return;
    };
    let created = c
        .users()
        .create(
            ScimUser::new("jane@example.com")
                .external_id("okta-1")
                .name(Name::new("Jane", "Doe"))
                .display_name("Jane Doe")
                .email(MultiValue::new("jane@example.com", "work").primary())
                .organization("Example")
                .department("SRE"),
        )
        .await
        .unwrap();
    let id = created.id.clone().expect("id");
    assert!(created.schemas.iter().any(|s| s == ENTERPRISE_USER_SCHEMA));
    assert_eq!(
        created.enterprise.as_ref().unwrap().department.as_deref(),
        Some("SRE")
    );
    assert_eq!(created.primary_email(), Some("jane@example.com"));
    assert!(created.meta.as_ref().unwrap().created_at().is_some());

    // the Atlassian extension is known to the server through the schema files
    let mut got = c.users().get(&id).await.unwrap();
    assert_eq!(got, created);
    got.atlassian = Some(Default::default());
    got.atlassian.as_mut().unwrap().atlassian_account_id = Some("acc-1".into());
    got.title = Some("Lead".into());
    let replaced = c.users().replace(&id, got).await.unwrap();
    assert_eq!(replaced.atlassian_account_id(), Some("acc-1"));
    assert!(replaced.schemas.iter().any(|s| s == ATLASSIAN_USER_SCHEMA));
    assert_eq!(replaced.title.as_deref(), Some("Lead"));

    // scim2-server answers PATCH with 204 and no body
    let patched = c
        .users()
        .patch(&id, PatchOp::deactivate_user())
        .await
        .unwrap();
    assert!(patched.is_none());
    assert_eq!(c.users().get(&id).await.unwrap().active, Some(false));
    let back = c
        .users()
        .patch(&id, PatchOp::reactivate_user().replace("nickName", "JD"))
        .read_back()
        .await
        .unwrap();
    assert_eq!(back.active, Some(true));
    assert_eq!(back.nick_name.as_deref(), Some("JD"));

    // delete on a plain RFC 7644 server deletes for good
    c.users().delete(&id).await.unwrap();
    let e = c.users().get(&id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert_eq!(e.scim_detail().unwrap().status.as_deref(), Some("404"));
}

#[tokio::test]
async fn duplicate_user_name_is_a_uniqueness_error() {
    let Some(c) = client("dup") else {
        return;
    };
    new_user(&c, "dup@example.com").await;
    // userName is caseExact=false: another casing is the same name
    let e = c
        .users()
        .create(ScimUser::new("DUP@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict(_)), "{e:?}");
    assert_eq!(e.scim_type(), Some(&ScimType::Uniqueness));
    assert_eq!(
        e.scim_detail().unwrap().status.as_deref(),
        Some("409"),
        "scim2-server sends status as a string"
    );
}

#[tokio::test]
async fn bad_token_is_unauthorized() {
    let Some((url, _token)) = server() else {
        return;
    };
    let c = client_with_token(&url, &tenant("auth"), "not-the-token");
    let e = c.users().list().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert!(
        e.message().is_some_and(|m| m.contains("Authorization")),
        "{e}"
    );
}

#[tokio::test]
async fn list_with_filter_and_paging_across_more_than_100_users() {
    let Some(c) = client("paging") else {
        return;
    };
    let n = 205;
    let futs = (0..n).map(|i| {
        let c = c.clone();
        async move {
            c.users()
                .create(
                    ScimUser::new(format!("user{i:03}@example.com"))
                        .external_id(format!("ext-{i}"))
                        .active(i % 5 != 0),
                )
                .await
        }
    });
    // a handful at a time: the server speaks HTTP/1.0, one connection per request
    let created: Vec<ScimUser> = futures::stream::iter(futs)
        .buffer_unordered(4)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(created.len(), n);

    let all = c.users().list().all().await.unwrap();
    assert_eq!(all.len(), n);
    let mut ids: Vec<_> = all.iter().map(|u| u.id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no duplicates across pages");

    let first = c.users().list().count(100).await.unwrap();
    assert_eq!(first.total_results, Some(n as u64));
    assert_eq!(first.resources.len(), 100);

    let inactive: Vec<ScimUser> = c
        .users()
        .list()
        .filter(Filter::eq("active", false))
        .count(7)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(inactive.len(), 41);
    assert!(inactive.iter().all(|u| u.active == Some(false)));

    let one = c
        .users()
        .find_by_external_id("ext-150")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.user_name, "user150@example.com");
    let combined = c
        .users()
        .list()
        .filter(Filter::user_name_eq("user001@example.com").or(Filter::external_id_eq("ext-2")))
        .all()
        .await
        .unwrap();
    assert_eq!(combined.len(), 2);
}

#[tokio::test]
async fn sorting_and_attribute_projection() {
    let Some(c) = client("sort") else {
        return;
    };
    for n in ["bea", "al", "cy"] {
        c.users()
            .create(ScimUser::new(n).display_name(n.to_uppercase()))
            .await
            .unwrap();
    }
    let users = c
        .users()
        .list()
        .sort_by("userName", opsgenie_users::models::common::SortOrder::Desc)
        .attributes(["userName"])
        .all()
        .await
        .unwrap();
    let names: Vec<_> = users.iter().map(|u| u.user_name.as_str()).collect();
    assert_eq!(names, ["cy", "bea", "al"]);
    assert!(users
        .iter()
        .all(|u| u.display_name.is_none() && u.id.is_some()));
    let without = c
        .users()
        .list()
        .excluded_attributes(["displayName"])
        .await
        .unwrap();
    assert!(without.resources.iter().all(|u| u.display_name.is_none()));
}

#[tokio::test]
async fn groups_with_members_add_and_remove() {
    let Some(c) = client("groups") else {
        return;
    };
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(new_user(&c, &format!("{name}@example.com")).await);
    }
    let g = c
        .groups()
        .create(ScimGroup::new("opsgenie-responders").member(&ids[0]))
        .await
        .unwrap();
    let gid = g.id.clone().unwrap();
    assert_eq!(g.members.len(), 1);

    assert!(c
        .groups()
        .add_members(&gid, [&ids[1], &ids[2]])
        .await
        .unwrap()
        .is_none());
    let members = |g: ScimGroup| {
        let mut m: Vec<String> = g.members.into_iter().map(|m| m.value).collect();
        m.sort();
        m
    };
    let mut want = ids.clone();
    want.sort();
    assert_eq!(members(c.groups().get(&gid).await.unwrap()), want);

    c.groups()
        .remove_members(&gid, [&ids[0], &ids[2]])
        .await
        .unwrap();
    assert_eq!(
        members(c.groups().get(&gid).await.unwrap()),
        vec![ids[1].clone()]
    );

    let found = c
        .groups()
        .find_by_display_name("opsgenie-responders")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_deref(), Some(gid.as_str()));

    c.groups().delete(&gid).await.unwrap();
    assert!(matches!(
        c.groups().get(&gid).await.unwrap_err(),
        Error::NotFound(_)
    ));
}

#[tokio::test]
async fn deactivate_strips_group_memberships_found_by_scanning() {
    let Some(c) = client("deactivate") else {
        return;
    };
    let uid = new_user(&c, "leaver@example.com").await;
    let sid = new_user(&c, "stayer@example.com").await;
    let g1 = c
        .groups()
        .create(ScimGroup::new("one").member(&uid).member(&sid))
        .await
        .unwrap()
        .id
        .unwrap();
    let g2 = c
        .groups()
        .create(ScimGroup::new("two").member(&sid))
        .await
        .unwrap()
        .id
        .unwrap();
    let done = c.users().deactivate(&uid).strip_groups(true).await.unwrap();
    assert_eq!(done.removed_from_groups, vec![g1.clone()]);
    assert_eq!(c.users().get(&uid).await.unwrap().active, Some(false));
    let g1 = c.groups().get(&g1).await.unwrap();
    assert_eq!(g1.members.len(), 1);
    assert_eq!(g1.members[0].value, sid);
    assert_eq!(c.groups().get(&g2).await.unwrap().members.len(), 1);
}

#[tokio::test]
async fn upsert_creates_updates_and_leaves_alone() {
    let Some(c) = client("upsert") else {
        return;
    };
    let want = ScimUser::new("sam@example.com")
        .external_id("idp-sam")
        .display_name("Sam");
    let first = c.users().upsert(&want).await.unwrap();
    assert!(matches!(first, Upserted::Created(_)), "{first:?}");
    let again = c.users().upsert(&want).await.unwrap();
    assert!(matches!(again, Upserted::Unchanged(_)), "{again:?}");
    let changed = c
        .users()
        .upsert(&want.clone().display_name("Samantha").department("Ops"))
        .await
        .unwrap();
    match changed {
        Upserted::Updated(u) => {
            assert_eq!(u.display_name.as_deref(), Some("Samantha"));
            assert_eq!(u.enterprise.unwrap().department.as_deref(), Some("Ops"));
        }
        other => panic!("{other:?}"),
    }
    // a user created without externalId by someone else is adopted after the 409
    new_user(&c, "kim@example.com").await;
    let adopted = c
        .users()
        .upsert(&ScimUser::new("kim@example.com").external_id("idp-kim"))
        .await
        .unwrap();
    assert!(matches!(adopted, Upserted::Updated(_)), "{adopted:?}");
    assert_eq!(adopted.user().external_id.as_deref(), Some("idp-kim"));
    assert_eq!(c.users().list().all().await.unwrap().len(), 2);
}

#[tokio::test]
async fn discovery_endpoints() {
    let Some(c) = client("discovery") else {
        return;
    };
    let cfg = c.service_provider_config().await.unwrap();
    assert!(cfg.patch.unwrap().is_supported());
    let types = c.resource_types().await.unwrap();
    let user = types.iter().find(|t| t.name == "User").unwrap();
    assert!(user
        .schema_extensions
        .iter()
        .any(|e| e.schema == ATLASSIAN_USER_SCHEMA));
    let schemas = c.schemas().await.unwrap();
    assert!(schemas.iter().any(|s| s.id == ATLASSIAN_USER_SCHEMA
        && s.attributes.iter().any(|a| a.name == "atlassianAccountId")));
}

#[tokio::test]
async fn server_rejects_unknown_attributes() {
    // scim2-server validates against its schemas: an attribute it does not
    // know is a 400 invalidSyntax, not silently dropped.
    let Some(c) = client("unknown") else {
        return;
    };
    let mut u = ScimUser::new("x@example.com");
    u.extra.insert("favouriteColour".into(), "blue".into());
    let e = c.users().create(u).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(e.scim_type(), Some(&ScimType::InvalidSyntax));
}

// The example's logic, run against the real server.
#[allow(dead_code)]
#[path = "../examples/scim_sync.rs"]
mod scim_sync;

#[tokio::test]
async fn scim_sync_example_converges_the_directory() {
    let Some(c) = client("sync") else {
        return;
    };
    let old = c
        .users()
        .create(ScimUser::new("old@example.com").external_id("old"))
        .await
        .unwrap();
    let bob = c
        .users()
        .create(
            ScimUser::new("bob@example.com")
                .external_id("bob")
                .name(Name::new("Bob", "Stone"))
                .display_name("Bob"),
        )
        .await
        .unwrap();
    let ops = c
        .groups()
        .create(
            ScimGroup::new("ops")
                .member(old.id.clone().unwrap())
                .member(bob.id.clone().unwrap()),
        )
        .await
        .unwrap();
    let csv = "externalId,userName,givenName,familyName,displayName,active,groups\n\
               alice,alice@example.com,Alice,Liddell,Alice,true,ops;dev\n\
               bob,bob@example.com,Bob,Stone,Robert,true,ops\n\
               carl,carl@example.com,Carl,,,false,dev\n";
    let desired = scim_sync::parse_csv(csv).unwrap();

    let dir = scim_sync::fetch(&c).await.unwrap();
    let plan = scim_sync::plan(&desired, &dir, false);
    let text: Vec<String> = plan.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "create user alice@example.com (externalId alice)",
            r#"update user bob@example.com: {"displayName":"Robert"}"#,
            "create user carl@example.com (externalId carl)",
            "deactivate user old@example.com",
            "create group dev",
            "add to dev: alice@example.com",
            "add to ops: alice@example.com",
            "remove from ops: old@example.com",
        ]
    );
    // planning changed nothing (what --dry-run relies on)
    assert_eq!(c.users().list().all().await.unwrap().len(), 2);

    assert_eq!(scim_sync::apply(&c, &dir, &plan).await.unwrap(), 8);
    let after = scim_sync::fetch(&c).await.unwrap();
    assert!(
        scim_sync::plan(&desired, &after, false).is_empty(),
        "converged"
    );
    assert_eq!(
        c.users()
            .get(old.id.as_deref().unwrap())
            .await
            .unwrap()
            .active,
        Some(false)
    );
    let carl = c
        .users()
        .find_by_external_id("carl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carl.active, Some(false));
    let ops = c.groups().get(ops.id.as_deref().unwrap()).await.unwrap();
    assert_eq!(ops.members.len(), 2);
    let dev = c
        .groups()
        .find_by_display_name("dev")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dev.members.len(), 1);
    // nothing was hard-deleted
    assert_eq!(after.users.len(), 4);
}

mod escaping {
    use super::*;
    use proptest::prelude::*;

    fn weird_string() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            4 => any::<char>(),
            2 => Just('"'),
            2 => Just('\\'),
            1 => Just(' '),
            1 => Just(')'),
            1 => Just('('),
            1 => Just('['),
            1 => prop::char::range('\0', '\x1f'),
        ];
        prop::collection::vec(ch, 0..24).prop_map(String::from_iter)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever a value holds, `userName eq <value>` finds exactly the
        /// user with that name, as judged by the real server's filter parser.
        #[test]
        fn any_value_filters_for_itself(s in weird_string()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let Some(c) = client("prop") else {
                    return Ok(());
                };
                // decoys an injected `or userName pr` or a broken quote would match
                for d in ["decoy", "decoy\"", "decoy\\"] {
                    new_user(&c, d).await;
                }
                let name = format!("{s}#x");
                let created = c.users().create(ScimUser::new(name.clone())).await.unwrap();
                let found = c
                    .users()
                    .list()
                    .filter(Filter::user_name_eq(name.clone()))
                    .all()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("the server refused the filter: {e}")))?;
                prop_assert_eq!(found.len(), 1, "filter {:?}", Filter::user_name_eq(name.clone()).to_string());
                prop_assert_eq!(&found[0].id, &created.id);
                prop_assert_eq!(&found[0].user_name, &name);
                Ok(())
            })?;
        }
    }
}
