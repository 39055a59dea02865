//! Every Atlassian call (feature `atlassian`) against the Atlassian
//! simulator: what the call returns and what the simulator's state shows.
#![cfg(feature = "atlassian")]

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use opsgenie_users::atlassian::{
    AccountId, AdminClient, EnableOps, Invite, JsmOpsClient, OpsParticipant, PermissionRule,
    RoleAssignment, TeamRoleRight, TeamsClient,
};
use opsgenie_users::ratelimit::Unlimited;
use opsgenie_users::{Error, RetryPolicy};
use opsgenie_users_sim::atlassian::AtlassianServer;

fn admin(s: &AtlassianServer) -> AdminClient {
    AdminClient::builder()
        .base_url(s.url())
        .org_id(s.org_id())
        .api_key(s.admin_key())
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap()
}

fn teams(s: &AtlassianServer) -> TeamsClient {
    TeamsClient::builder()
        .base_url(s.url())
        .org_id(s.org_id())
        .credentials(s.email(), s.api_token())
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap()
}

fn jsm(s: &AtlassianServer) -> JsmOpsClient {
    JsmOpsClient::builder()
        .base_url(s.jsm_url())
        .credentials(s.email(), s.api_token())
        .retry_policy(RetryPolicy::none())
        .rate_limiter(Arc::new(Unlimited))
        .build()
        .unwrap()
}

#[tokio::test]
async fn admin_directory_users_list_suspend_restore_remove() {
    let s = AtlassianServer::start().await.unwrap();
    let ids: Vec<String> = (0..5)
        .map(|i| s.add_user(&format!("u{i}@example.com"), &format!("User {i}")))
        .collect();
    let a = admin(&s);

    let dirs = a.directories().await.unwrap();
    assert_eq!(dirs.len(), 1);
    assert_eq!(dirs[0].directory_id, s.directory_id());
    let users = a.users(&dirs[0].directory_id);

    let first = users.list().limit(2).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert!(first.has_next());
    let all: Vec<_> = users.list().limit(2).stream().try_collect().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|u| u.account_id.as_str())
            .collect::<Vec<_>>(),
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(all[3].email.as_deref(), Some("u3@example.com"));
    // Three pages of 2, 2 and 1.
    let pages = s
        .requests()
        .iter()
        .filter(|r| {
            r.path.ends_with("/users") && r.query.as_deref().is_some_and(|q| q.contains("limit=2"))
        })
        .count();
    assert_eq!(pages, 4, "one awaited page, then three streamed");

    users.suspend(ids[1].as_str()).await.unwrap();
    assert_eq!(s.user(&ids[1]).unwrap().status, "suspended");
    let listed: Vec<_> = users.list().stream().try_collect().await.unwrap();
    assert!(listed[1].is_suspended());
    users.restore(ids[1].as_str()).await.unwrap();
    assert_eq!(s.user(&ids[1]).unwrap().status, "active");

    users.remove(ids[4].as_str()).await.unwrap();
    assert!(s.user(&ids[4]).is_none());
    match users.remove(ids[4].as_str()).await {
        Err(Error::NotFound(e)) => assert_eq!(
            e.message.as_deref(),
            Some("user not found in this directory")
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        users.suspend("712020:nobody").await,
        Err(Error::NotFound(_))
    ));
    // Only the Bearer scheme reached the Admin API.
    assert!(s
        .requests()
        .iter()
        .all(|r| r.auth_scheme.as_deref() == Some("Bearer")));
}

#[tokio::test]
async fn admin_invite_and_groups() {
    let s = AtlassianServer::start().await.unwrap();
    let jane = s.add_user("jane@example.com", "Jane");
    let group = s.add_group("jira-servicemanagement-users");
    let a = admin(&s);

    let answer = a
        .invite(
            Invite::new(["new@example.com"])
                .permission(PermissionRule::new(
                    "ari:cloud:jira-servicedesk::site/c",
                    "atlassian/user",
                ))
                .group(group.as_str()),
        )
        .await
        .unwrap();
    assert_eq!(answer["data"][0]["email"], "new@example.com");
    assert!(s.users().iter().any(|u| u.email == "new@example.com"));
    assert_eq!(s.invitations()[0]["additionalGroups"][0], group.as_str());
    assert!(matches!(
        a.invite(Invite::new(Vec::<String>::new())).await,
        Err(Error::InvalidInput(_))
    ));

    let groups = a.groups(s.directory_id());
    let listed: Vec<_> = groups.list().stream().try_collect().await.unwrap();
    assert_eq!(listed[0].name, "jira-servicemanagement-users");

    groups
        .add_member(group.as_str(), jane.as_str())
        .await
        .unwrap();
    assert_eq!(s.groups()[0].members, vec![jane.clone()]);
    groups
        .remove_member(group.as_str(), jane.as_str())
        .await
        .unwrap();
    assert!(s.groups()[0].members.is_empty());
    assert!(matches!(
        groups.remove_member(group.as_str(), jane.as_str()).await,
        Err(Error::NotFound(_))
    ));

    let role = RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c");
    groups
        .assign_role(group.as_str(), role.clone())
        .await
        .unwrap();
    let roles: Vec<_> = groups
        .role_assignments(group.as_str())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(roles, vec![role.clone()]);
    groups.revoke_role(group.as_str(), role).await.unwrap();
    assert!(s.groups()[0].roles.is_empty());
}

#[tokio::test]
async fn teams_list_get_members_add_remove() {
    let s = AtlassianServer::start().await.unwrap();
    let people: Vec<String> = (0..5)
        .map(|i| s.add_user(&format!("p{i}@example.com"), "P"))
        .collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let sre = s.add_team("SRE", &refs[..3]);
    let _db = s.add_team("DB", &[]);
    let _net = s.add_team("Network", &[]);
    let t = teams(&s);

    let all: Vec<_> = t.list_sized(Some(2)).stream().try_collect().await.unwrap();
    assert_eq!(
        all.iter()
            .map(|t| t.display_name.as_str())
            .collect::<Vec<_>>(),
        ["SRE", "DB", "Network"]
    );
    let one = t.get(sre.as_str()).await.unwrap();
    assert_eq!(one.display_name, "SRE");
    assert!(one.team_id.is_uuid());
    assert!(matches!(
        t.get("no-such-team").await,
        Err(Error::NotFound(_))
    ));

    let members = t.members(sre.as_str());
    let listed: Vec<_> = members
        .list_sized(Some(2))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|m| m.account_id.as_str())
            .collect::<Vec<_>>(),
        &refs[..3]
    );

    let change = members
        .add([AccountId::new(refs[3]), AccountId::new("712020:ghost")])
        .await
        .unwrap();
    assert_eq!(change.members.len(), 1);
    assert_eq!(change.errors.len(), 1);
    assert_eq!(change.errors[0].code.as_deref(), Some("USER_NOT_FOUND"));
    assert!(!change.is_complete());
    assert_eq!(s.team(&sre).unwrap().members.len(), 4);

    let removed = members.remove([refs[0]]).await.unwrap();
    assert!(removed.is_complete());
    assert!(!s.team(&sre).unwrap().members.contains(&people[0]));

    let too_many: Vec<String> = (0..51).map(|i| format!("a{i}")).collect();
    assert!(matches!(
        members.add(too_many).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        members.remove(Vec::<String>::new()).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(s
        .requests()
        .iter()
        .all(|r| r.auth_scheme.as_deref() == Some("Basic")));
}

#[tokio::test]
async fn jsm_teams_enable_ops_and_team_roles() {
    let s = AtlassianServer::start().await.unwrap();
    let lead = s.add_user("lead@example.com", "Lead");
    let team = s.add_team("SRE", &[&lead]);
    let j = jsm(&s);

    assert!(j.teams().list().await.unwrap().items.is_empty());
    j.teams()
        .enable_ops(team.as_str(), EnableOps::new([lead.as_str()]))
        .await
        .unwrap();
    let t = s.team(&team).unwrap();
    assert!(t.ops_enabled);
    assert_eq!(t.ops_admins, vec![lead.clone()]);
    match j
        .teams()
        .enable_ops(team.as_str(), EnableOps::new([lead.as_str()]))
        .await
    {
        Err(Error::Conflict(e)) => assert!(e.message.unwrap().contains("already enabled")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        j.teams()
            .enable_ops(team.as_str(), EnableOps::new(Vec::<String>::new()))
            .await,
        Err(Error::InvalidInput(_))
    ));
    let listed: Vec<_> = j.teams().list().stream().try_collect().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].team_id, team.as_str());
    assert_eq!(listed[0].team_name.as_deref(), Some("SRE"));

    let roles = j.team_roles(team.as_str());
    let created = roles
        .create(
            "rotation-editor",
            vec![TeamRoleRight::new("manage-rotations", true)],
        )
        .await
        .unwrap();
    assert_eq!(
        created.rights,
        vec![TeamRoleRight::new("manage-rotations", true)]
    );
    assert_eq!(
        roles.get(&created.id).await.unwrap().name,
        "rotation-editor"
    );
    assert_eq!(roles.list().await.unwrap().items.len(), 1);
    assert!(matches!(
        roles.create("rotation-editor", vec![]).await,
        Err(Error::Conflict(_))
    ));
    roles.delete(&created.id).await.unwrap();
    assert!(s.team(&team).unwrap().team_roles.is_empty());
    assert!(matches!(
        roles.get(&created.id).await,
        Err(Error::NotFound(_))
    ));
    // A team without Operations has no JSM side.
    let other = s.add_team("Plain", &[]);
    assert!(matches!(
        j.team_roles(other.as_str()).list().await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn jsm_custom_roles_list_get_assign() {
    let s = AtlassianServer::start().await.unwrap();
    let jane = s.add_user("jane@example.com", "Jane");
    let noc = s.add_custom_role("NOC");
    let j = jsm(&s);
    let all: Vec<_> = j.roles().list().stream().try_collect().await.unwrap();
    assert_eq!(all[0].name, "NOC");
    assert_eq!(j.roles().get(noc.as_str()).await.unwrap().id, noc.as_str());
    j.roles()
        .assign(noc.as_str(), [jane.as_str()])
        .await
        .unwrap();
    assert_eq!(s.custom_roles()[0].users, vec![jane]);
    match j.roles().assign(noc.as_str(), ["712020:ghost"]).await {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 400),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        j.roles()
            .assign("no-role", [s.users()[0].account_id.as_str()])
            .await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn jsm_schedules_rotations_escalations_forwarding() {
    let s = AtlassianServer::start().await.unwrap();
    let leaver = s.add_user("leaver@example.com", "Leaver");
    let next = s.add_user("next@example.com", "Next");
    let team = s.add_team("SRE", &[&leaver, &next]);
    s.enable_ops(&team, &[&next]);
    let mut schedule_ids = Vec::new();
    for i in 0..25 {
        schedule_ids.push(s.add_schedule(&format!("s{i:02}"), Some(&team), &[&leaver, &next]));
    }
    let esc = s.add_escalation(&team, "SRE escalation", &[&leaver, &next]);
    let fwd = s.add_forwarding_rule(&leaver, &next);
    let j = jsm(&s);

    // 25 schedules: two pages of the default 20, the next link read for its offset.
    let all: Vec<_> = j.schedules().list().stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 25);
    let first = j.schedules().list().size(10).await.unwrap();
    assert_eq!(first.next.as_deref(), Some("10"));
    let (sid, rid) = &schedule_ids[0];
    assert_eq!(j.schedules().get(sid.as_str()).await.unwrap().name, "s00");

    let rotations = j.schedules().rotations(sid.as_str());
    let rots: Vec<_> = rotations.list().stream().try_collect().await.unwrap();
    assert_eq!(
        rots[0].participants,
        vec![
            OpsParticipant::user(leaver.as_str()),
            OpsParticipant::user(next.as_str())
        ]
    );
    assert_eq!(rots[0].other["type"], "weekly");
    rotations
        .set_participants(rid.as_str(), vec![OpsParticipant::user(next.as_str())])
        .await
        .unwrap();
    let after = rotations.get(rid.as_str()).await.unwrap();
    assert_eq!(
        after.participants,
        vec![OpsParticipant::user(next.as_str())]
    );
    assert_eq!(after.other["length"], 1, "other fields are kept");
    match rotations
        .set_participants(rid.as_str(), vec![OpsParticipant::user("712020:ghost")])
        .await
    {
        Err(Error::Api(e)) => assert_eq!(e.status.as_u16(), 400),
        other => panic!("{other:?}"),
    }

    let escalations = j.escalations(team.as_str());
    let list: Vec<_> = escalations.list().stream().try_collect().await.unwrap();
    assert_eq!(list.len(), 1);
    let mut e = escalations.get(esc.as_str()).await.unwrap();
    assert_eq!(e.rules.len(), 2);
    for r in &mut e.rules {
        if r.recipient == OpsParticipant::user(leaver.as_str()) {
            r.recipient = OpsParticipant::user(next.as_str());
        }
    }
    escalations.set_rules(&e.id, e.rules.clone()).await.unwrap();
    let stored = &s.escalations()[0].body;
    assert_eq!(stored["rules"][0]["recipient"]["id"], next.as_str());
    assert_eq!(
        stored["rules"][1]["delay"],
        serde_json::json!({"timeAmount": 10, "timeUnit": "minutes"}),
        "rule fields written back"
    );
    assert!(matches!(
        escalations.set_rules(&e.id, vec![]).await,
        Err(Error::InvalidInput(_))
    ));

    let rules = j.forwarding_rules();
    let listed: Vec<_> = rules.list().stream().try_collect().await.unwrap();
    assert_eq!(listed[0].id, fwd.as_str());
    assert_eq!(
        rules.get(fwd.as_str()).await.unwrap().to_user_id.unwrap(),
        next.as_str()
    );
    rules.delete(fwd.as_str()).await.unwrap();
    assert!(s.forwarding_rules().is_empty());
    assert!(matches!(
        rules.get(fwd.as_str()).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_never_printed() {
    let s = AtlassianServer::start().await.unwrap();
    let a = AdminClient::builder()
        .base_url(s.url())
        .org_id(s.org_id())
        .api_key("wrong-admin-secret")
        .build()
        .unwrap();
    let e = a.directories().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert!(!format!("{e} {e:?}").contains("wrong-admin-secret"));
    let t = TeamsClient::builder()
        .base_url(s.url())
        .org_id(s.org_id())
        .credentials(s.email(), "wrong-team-secret")
        .build()
        .unwrap();
    let e = t.list().await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)));
    assert!(!format!("{e} {e:?}").contains("wrong-team-secret"));
    // The org API key is not accepted by JSM Operations.
    let j = JsmOpsClient::builder()
        .base_url(s.jsm_url())
        .credentials(s.email(), s.admin_key())
        .build()
        .unwrap();
    assert!(matches!(
        j.schedules().list().await,
        Err(Error::Unauthorized(_))
    ));
}

#[tokio::test]
async fn reads_are_retried_and_non_idempotent_writes_are_not() {
    let s = AtlassianServer::start().await.unwrap();
    let jane = s.add_user("jane@example.com", "Jane");
    let retrying = |b: opsgenie_users::atlassian::AdminClientBuilder| {
        b.retry_policy(RetryPolicy::default().max_attempts(3))
            .rate_limiter(Arc::new(Unlimited))
            .deadline(Duration::from_secs(20))
            .build()
            .unwrap()
    };
    let a = retrying(
        AdminClient::builder()
            .base_url(s.url())
            .org_id(s.org_id())
            .api_key(s.admin_key()),
    );
    let users_path = format!(
        "/admin/v2/orgs/{}/directories/{}/users",
        s.org_id(),
        s.directory_id()
    );
    s.fail_next(&users_path, 503, 1);
    let page = a.users(s.directory_id()).list().await.unwrap();
    assert_eq!(page.items.len(), 1, "the GET was retried after the 503");

    s.fail_next(&format!("{users_path}/{jane}/suspend"), 503, 1);
    match a.users(s.directory_id()).suspend(jane.as_str()).await {
        Err(Error::AmbiguousOutcome { operation, .. }) => assert!(operation.contains("suspend")),
        other => panic!("{other:?}"),
    }
    let suspends = s
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/suspend"))
        .count();
    assert_eq!(suspends, 1, "a POST is not repeated after a 5xx");
    assert_eq!(s.user(&jane).unwrap().status, "active");

    // A 429 with retries off: RateLimited.
    let j = jsm(&s);
    s.fail_next("/jsm/", 429, 1);
    assert!(matches!(
        j.schedules().list().await,
        Err(Error::RateLimited { attempts: 1, .. })
    ));
}
