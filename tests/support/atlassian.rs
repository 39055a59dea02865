//! The Atlassian side (feature `atlassian`) of the decoder checks shared by
//! `tests/decode_props.rs` and the `atlassian_answers` fuzz target: a valid
//! answer for every shape the Admin, Teams and JSM Operations clients
//! decode, every call that decodes one (run through the same canned
//! transport as the Opsgenie calls), and the direct decoding of every
//! Atlassian model type. Needs `decoders.rs` beside it at the crate root.
#![allow(dead_code)]

use futures::StreamExt;
use opsgenie_users::atlassian::{
    AccountId, AdminClient, Directory, DirectoryUser, EnableOps, Group, Invite, JsmOpsClient,
    MembershipChange, MembershipError, OpsCustomRole, OpsEscalation, OpsEscalationRule,
    OpsForwardingRule, OpsParticipant, OpsRotation, OpsSchedule, OpsTeam, OpsTeamRole,
    PermissionRule, PlatformTeam, RoleAssignment, TeamMember, TeamRoleRight, TeamsClient,
};
use opsgenie_users::{Client, Error};
use serde_json::{json, Value};

use crate::decoders::{clone_err, dbg, round_trips};

/// The three Atlassian clients, on `client`'s transport, limiter and
/// retry policy (the canned ones of the property tests).
#[derive(Debug, Clone)]
pub struct Clients {
    pub admin: AdminClient,
    pub teams: TeamsClient,
    pub jsm: JsmOpsClient,
}

/// The credentials of the Atlassian clients (never expected in any output).
pub const ADMIN_KEY: &str = "props-admin-key-41c7";
pub const API_TOKEN: &str = "props-api-token-8e3a";
/// `ops@example.com:` + [`API_TOKEN`] in base64, as the Basic header carries it.
pub const BASIC: &str = "b3BzQGV4YW1wbGUuY29tOnByb3BzLWFwaS10b2tlbi04ZTNh";

pub fn clients(client: &Client) -> Clients {
    Clients {
        admin: AdminClient::builder()
            .org_id("org-1")
            .api_key(ADMIN_KEY)
            .base_url("https://admin.props.invalid")
            .shared_with(client)
            .build()
            .expect("admin client"),
        teams: TeamsClient::builder()
            .base_url("https://site.props.invalid")
            .org_id("org-1")
            .credentials("ops@example.com", API_TOKEN)
            .shared_with(client)
            .build()
            .expect("teams client"),
        jsm: JsmOpsClient::builder()
            .base_url("https://jsm.props.invalid/jsm/ops/api/cloud-1")
            .credentials("ops@example.com", API_TOKEN)
            .shared_with(client)
            .build()
            .expect("jsm client"),
    }
}

// ---------------------------------------------------------------------------
// Valid answers, one per shape.

pub const TEAM_ID: &str = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";

pub fn directory() -> Value {
    json!({"directoryId": "d-1", "name": "Main"})
}

pub fn directory_user() -> Value {
    json!({"accountId": "712020:6a1c", "accountType": "atlassian", "status": "active",
        "accountStatus": "active", "membershipStatus": "member", "name": "Jane",
        "nickname": "jd", "email": "jane@example.com", "claimStatus": "managed",
        "platformRoles": ["atlassian/org-admin"]})
}

pub fn group() -> Value {
    json!({"id": "g-1", "name": "jira-servicemanagement-users", "description": "",
        "directoryId": "d-1", "managedBy": "external"})
}

pub fn role_assignment() -> Value {
    json!({"roleId": "atlassian/user", "resourceId": "ari:cloud:jira-servicedesk::site/c-1"})
}

pub fn admin_page(item: Value) -> Value {
    json!({"data": [item], "links": {"next": "cursor-2"}})
}

pub fn platform_team() -> Value {
    json!({"teamId": TEAM_ID, "displayName": "sre", "description": "", "organizationId": "org-1",
        "teamType": "OPEN"})
}

pub fn membership_change() -> Value {
    json!({"members": [{"accountId": "712020:6a1c"}],
        "errors": [{"accountId": "712020:ffff", "code": "NOT_FOUND", "message": "no such account"}]})
}

pub fn ops_page(item: Value) -> Value {
    json!({"values": [item], "links": {"next": "https://api.atlassian.com/jsm/ops/api/c/v1/teams?size=1&offset=1"}})
}

pub fn ops_team() -> Value {
    json!({"teamId": TEAM_ID, "teamName": "sre", "description": ""})
}

pub fn ops_team_role() -> Value {
    json!({"id": "tr-1", "name": "Lead", "rights": [{"right": "manage-members", "granted": true},
        {"right": "edit-escalations", "granted": false}]})
}

pub fn ops_custom_role() -> Value {
    json!({"id": "r-1", "name": "Auditor", "grantedRights": ["logs-page-access"], "x": 1.5})
}

pub fn ops_schedule() -> Value {
    json!({"id": "s-1", "name": "sre_schedule", "teamId": TEAM_ID, "enabled": true,
        "timezone": "Europe/Berlin"})
}

pub fn ops_rotation() -> Value {
    json!({"id": "r-1", "name": "rot", "type": "weekly", "length": 1,
        "startDate": "2024-01-01T00:00:00Z",
        "participants": [{"type": "user", "id": "712020:6a1c"}, {"type": "team", "id": TEAM_ID},
            {"type": "noone"}],
        "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 8, "endHour": 18}}})
}

pub fn ops_escalation() -> Value {
    json!({"id": "e-1", "name": "night", "rules": [{"condition": "if-not-acked",
        "notifyType": "default", "delay": {"timeAmount": 5, "timeUnit": "minutes"},
        "recipient": {"type": "user", "id": "712020:6a1c"}}], "repeat": {"waitInterval": 0}})
}

pub fn ops_forwarding_rule() -> Value {
    json!({"id": "f-1", "fromUserId": "712020:6a1c", "toUserId": "712020:ffff",
        "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-01-08T00:00:00Z"})
}

// ---------------------------------------------------------------------------
// The calls.

/// An Atlassian call, with the answer its first request expects.
#[derive(Debug, Clone, Copy)]
pub enum Atl {
    Directories,
    DirectoryUsers,
    StreamDirectoryUsers,
    Suspend,
    Restore,
    RemoveUser,
    InviteUsers,
    Groups,
    AddGroupMember,
    RemoveGroupMember,
    RoleAssignments,
    AssignRole,
    ListTeams,
    StreamTeams,
    GetTeam,
    ListMembers,
    StreamMembers,
    AddMembers,
    RemoveMembers,
    OpsTeams,
    StreamOpsTeams,
    EnableTeamOps,
    TeamRoles,
    GetTeamRole,
    CreateTeamRole,
    DeleteTeamRole,
    CustomRoles,
    GetCustomRole,
    AssignCustomRole,
    Schedules,
    GetSchedule,
    Rotations,
    GetRotation,
    SetParticipants,
    Escalations,
    GetEscalation,
    SetRules,
    ForwardingRules,
    GetForwardingRule,
    DeleteForwardingRule,
}

pub const ATL: &[Atl] = &[
    Atl::Directories,
    Atl::DirectoryUsers,
    Atl::StreamDirectoryUsers,
    Atl::Suspend,
    Atl::Restore,
    Atl::RemoveUser,
    Atl::InviteUsers,
    Atl::Groups,
    Atl::AddGroupMember,
    Atl::RemoveGroupMember,
    Atl::RoleAssignments,
    Atl::AssignRole,
    Atl::ListTeams,
    Atl::StreamTeams,
    Atl::GetTeam,
    Atl::ListMembers,
    Atl::StreamMembers,
    Atl::AddMembers,
    Atl::RemoveMembers,
    Atl::OpsTeams,
    Atl::StreamOpsTeams,
    Atl::EnableTeamOps,
    Atl::TeamRoles,
    Atl::GetTeamRole,
    Atl::CreateTeamRole,
    Atl::DeleteTeamRole,
    Atl::CustomRoles,
    Atl::GetCustomRole,
    Atl::AssignCustomRole,
    Atl::Schedules,
    Atl::GetSchedule,
    Atl::Rotations,
    Atl::GetRotation,
    Atl::SetParticipants,
    Atl::Escalations,
    Atl::GetEscalation,
    Atl::SetRules,
    Atl::ForwardingRules,
    Atl::GetForwardingRule,
    Atl::DeleteForwardingRule,
];

/// A stream's items, at most 60 (more than the pages a canned answer can
/// honestly lead to), or its first error.
async fn drain<T: std::fmt::Debug>(
    s: futures::stream::BoxStream<'static, opsgenie_users::Result<T>>,
) -> Result<String, Error> {
    let items: Vec<_> = s.take(60).collect().await;
    if let Some(Err(e)) = items.iter().find(|r| r.is_err()) {
        return Err(clone_err(e));
    }
    Ok(dbg(items.len()))
}

impl Atl {
    pub fn template(self) -> Value {
        use Atl::*;
        match self {
            Directories => admin_page(directory()),
            DirectoryUsers | StreamDirectoryUsers => admin_page(directory_user()),
            Groups => admin_page(group()),
            RoleAssignments => admin_page(role_assignment()),
            Suspend | Restore | RemoveUser | AddGroupMember | RemoveGroupMember | AssignRole
            | EnableTeamOps | DeleteTeamRole | AssignCustomRole | SetParticipants | SetRules
            | DeleteForwardingRule => json!({}),
            InviteUsers => json!({"id": "inv-1", "status": "PENDING"}),
            ListTeams | StreamTeams => json!({"entities": [platform_team()], "cursor": "c-2"}),
            GetTeam => platform_team(),
            ListMembers | StreamMembers => json!({"results": [{"accountId": "712020:6a1c"}],
                "pageInfo": {"endCursor": "c-2", "hasNextPage": true}}),
            AddMembers | RemoveMembers => membership_change(),
            OpsTeams | StreamOpsTeams => ops_page(ops_team()),
            TeamRoles => ops_page(ops_team_role()),
            GetTeamRole | CreateTeamRole => ops_team_role(),
            CustomRoles => ops_page(ops_custom_role()),
            GetCustomRole => ops_custom_role(),
            Schedules => ops_page(ops_schedule()),
            GetSchedule => ops_schedule(),
            Rotations => ops_page(ops_rotation()),
            GetRotation => ops_rotation(),
            Escalations => ops_page(ops_escalation()),
            GetEscalation => ops_escalation(),
            ForwardingRules => ops_page(ops_forwarding_rule()),
            GetForwardingRule => ops_forwarding_rule(),
        }
    }

    /// Runs the call; the value's `Debug` text on success.
    pub async fn run(self, c: &Clients) -> Result<String, Error> {
        use Atl::*;
        let jane = || AccountId::new("712020:6a1c");
        let users = c.admin.users("d-1");
        let groups = c.admin.groups("d-1");
        let members = c.teams.members(TEAM_ID);
        let team_roles = c.jsm.team_roles(TEAM_ID);
        let rotations = c.jsm.schedules().rotations("s-1");
        let escalations = c.jsm.escalations(TEAM_ID);
        let role = || RoleAssignment::new("atlassian/user", "ari:cloud:jira-servicedesk::site/c-1");
        Ok(match self {
            Directories => dbg(c.admin.directories().await?),
            DirectoryUsers => dbg(users.list().limit(2).await?),
            StreamDirectoryUsers => drain(users.list().limit(2).stream()).await?,
            Suspend => dbg(users.suspend(jane()).await?),
            Restore => dbg(users.restore(jane()).await?),
            RemoveUser => dbg(users.remove(jane()).await?),
            InviteUsers => dbg(c
                .admin
                .invite(
                    Invite::new(["jane@example.com"]).permission(PermissionRule::new(
                        "ari:cloud:jira-servicedesk::site/c-1",
                        "atlassian/user",
                    )),
                )
                .await?),
            Groups => dbg(groups.list().await?),
            AddGroupMember => dbg(groups.add_member("g-1", jane()).await?),
            RemoveGroupMember => dbg(groups.remove_member("g-1", jane()).await?),
            RoleAssignments => dbg(groups.role_assignments("g-1").await?),
            AssignRole => dbg(groups.assign_role("g-1", role()).await?),
            ListTeams => dbg(c.teams.list().await?),
            StreamTeams => drain(c.teams.list().stream()).await?,
            GetTeam => dbg(c.teams.get(TEAM_ID).await?),
            ListMembers => dbg(members.list().await?),
            StreamMembers => drain(members.list_sized(Some(2)).stream()).await?,
            AddMembers => dbg(members.add([jane()]).await?),
            RemoveMembers => dbg(members.remove([jane()]).await?),
            OpsTeams => dbg(c.jsm.teams().list().await?),
            StreamOpsTeams => drain(c.jsm.teams().list().size(2).stream()).await?,
            EnableTeamOps => dbg(c
                .jsm
                .teams()
                .enable_ops(TEAM_ID, EnableOps::new([jane()]))
                .await?),
            TeamRoles => dbg(team_roles.list().await?),
            GetTeamRole => dbg(team_roles.get("tr-1").await?),
            CreateTeamRole => dbg(team_roles
                .create("Lead", vec![TeamRoleRight::new("manage-members", true)])
                .await?),
            DeleteTeamRole => dbg(team_roles.delete("tr-1").await?),
            CustomRoles => dbg(c.jsm.roles().list().await?),
            GetCustomRole => dbg(c.jsm.roles().get("r-1").await?),
            AssignCustomRole => dbg(c.jsm.roles().assign("r-1", [jane()]).await?),
            Schedules => dbg(c.jsm.schedules().list().await?),
            GetSchedule => dbg(c.jsm.schedules().get("s-1").await?),
            Rotations => dbg(rotations.list().await?),
            GetRotation => dbg(rotations.get("r-1").await?),
            SetParticipants => dbg(rotations
                .set_participants("r-1", vec![OpsParticipant::user(jane())])
                .await?),
            Escalations => dbg(escalations.list().await?),
            GetEscalation => dbg(escalations.get("e-1").await?),
            SetRules => {
                let rule: OpsEscalationRule = serde_json::from_value(
                    json!({"recipient": {"type": "user", "id": "712020:6a1c"}, "condition": "if-not-acked"}),
                )
                .expect("a rule");
                dbg(escalations.set_rules("e-1", vec![rule]).await?)
            }
            ForwardingRules => dbg(c.jsm.forwarding_rules().list().await?),
            GetForwardingRule => dbg(c.jsm.forwarding_rules().get("f-1").await?),
            DeleteForwardingRule => dbg(c.jsm.forwarding_rules().delete("f-1").await?),
        })
    }
}

// ---------------------------------------------------------------------------
// Direct decoding.

/// Every Atlassian model type, decoded from `bytes`: a value that
/// round-trips, or a serde error.
pub fn decode_every_atlassian_model(bytes: &[u8]) -> Result<(), String> {
    round_trips::<Directory>(bytes)?;
    round_trips::<DirectoryUser>(bytes)?;
    round_trips::<Group>(bytes)?;
    round_trips::<RoleAssignment>(bytes)?;
    round_trips::<PermissionRule>(bytes)?;
    round_trips::<PlatformTeam>(bytes)?;
    round_trips::<TeamMember>(bytes)?;
    round_trips::<MembershipError>(bytes)?;
    round_trips::<MembershipChange>(bytes)?;
    round_trips::<OpsTeam>(bytes)?;
    round_trips::<TeamRoleRight>(bytes)?;
    round_trips::<OpsTeamRole>(bytes)?;
    round_trips::<OpsCustomRole>(bytes)?;
    round_trips::<OpsParticipant>(bytes)?;
    round_trips::<OpsSchedule>(bytes)?;
    round_trips::<OpsRotation>(bytes)?;
    round_trips::<OpsEscalation>(bytes)?;
    round_trips::<OpsEscalationRule>(bytes)?;
    round_trips::<OpsForwardingRule>(bytes)?;
    Ok(())
}

/// Atlassian models and their valid templates, for the direct decoding test.
pub fn atlassian_model_templates() -> Vec<Value> {
    vec![
        directory(),
        directory_user(),
        group(),
        role_assignment(),
        json!({"resource": "ari:cloud:jira-servicedesk::site/c-1", "role": "atlassian/user"}),
        platform_team(),
        json!({"accountId": "712020:6a1c"}),
        membership_change(),
        ops_team(),
        json!({"id": TEAM_ID, "name": "sre"}),
        ops_team_role(),
        ops_custom_role(),
        json!({"type": "user", "id": "712020:6a1c"}),
        ops_schedule(),
        ops_rotation(),
        ops_escalation(),
        ops_forwarding_rule(),
    ]
}
