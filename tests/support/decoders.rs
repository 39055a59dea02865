//! What the decoder property tests (`tests/decode_props.rs`) and the fuzz
//! targets (`fuzz/`) share, without proptest: a valid answer for every shape
//! the SDK decodes, every REST and SCIM call that decodes one, the checks
//! each outcome must pass, and the direct decoding of every model type.
#![allow(dead_code)]

use std::fmt::Debug;

use bytes::Bytes;
use futures::StreamExt;
use opsgenie_users::models::common::{Paging, WriteResult};
use opsgenie_users::models::contact::{Contact, ContactCreate, ContactMethod, UserContact};
use opsgenie_users::models::role::{CustomRole, CustomRoleWrite};
use opsgenie_users::models::schedule::{Escalation, Rotation};
use opsgenie_users::models::team::{
    DesiredMember, Team, TeamMember, TeamRole, TeamRoleDef, TeamRoleWrite,
};
use opsgenie_users::models::user::{
    ForwardingRule, Role, User, UserCreate, UserEscalation, UserSchedule, UserTeam, UserUpdate,
};
use opsgenie_users::scim::{
    Filter, ListResponse, PatchOp, ResourceType, Schema, ScimClient, ScimGroup, ScimUser,
    ServiceProviderConfig,
};
use opsgenie_users::{
    ApiRequest, Client, CustomRoleRef, Domain, Error, EscalationRef, ForwardingRuleRef,
    ScheduleRef, TeamRef, TeamRoleRef, UserRef,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// The longest `Display` of an error a case may produce: texts an error
/// keeps from the body are cut, so a server cannot make it grow.
pub const MAX_ERROR_TEXT: usize = 16 * 1024;

// ---------------------------------------------------------------------------
// Valid answers, one per shape the SDK decodes.

pub fn user() -> Value {
    json!({
        "id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "username": "jane@example.com",
        "fullName": "Jane Doe", "role": {"id": "Admin", "name": "Admin"},
        "skypeUsername": "jd", "timeZone": "Europe/Berlin", "locale": "en_US",
        "tags": ["sre"], "details": {"k": ["v"]}, "blocked": false, "verified": true,
        "createdAt": "2017-05-11T12:36:07.217Z", "mutedUntil": "2030-01-01T00:00:00Z",
        "userAddress": {"country": "DE", "state": "", "city": "Berlin", "line": "x", "zipCode": "1"},
        "userContacts": [{"id": "c-1", "contactMethod": "email", "to": "jane@example.com",
            "enabled": true, "disabledReason": ""}]
    })
}

pub fn data(v: Value) -> Value {
    json!({"data": v, "took": 0.01, "requestId": "r-1"})
}

pub fn write() -> Value {
    json!({"result": "Created", "data": {"id": "id-1", "name": "n"}, "took": 0.2, "requestId": "r-1"})
}

pub fn team() -> Value {
    json!({"id": "t-1", "name": "sre", "description": "d", "members": [
        {"user": {"id": "u-1", "username": "jane@example.com"}, "role": "admin"},
        {"user": {"id": "u-2", "username": "bob@example.com"}}
    ]})
}

pub fn rule() -> Value {
    json!({"condition": "if-not-acked", "notifyType": "default",
        "delay": {"timeAmount": 5, "timeUnit": "minutes"},
        "recipient": {"type": "user", "id": "u-1", "username": "jane@example.com"}})
}

pub fn escalation() -> Value {
    json!({"id": "e-1", "name": "night", "description": "", "ownerTeam": {"id": "t-1", "name": "sre"},
        "rules": [rule()], "repeat": {"waitInterval": 0, "count": 1}})
}

pub fn rotation() -> Value {
    json!({"id": "r-1", "name": "rot", "type": "weekly", "startDate": "2024-01-01T00:00:00Z",
        "length": 1, "participants": [{"type": "user", "id": "u-1", "username": "jane@example.com"},
        {"type": "escalation", "id": "e-1", "name": "night"}, {"type": "none"}],
        "_parent": {"id": "s-1", "name": "sre_schedule", "enabled": true}})
}

pub fn forwarding_rule() -> Value {
    json!({"id": "f-1", "alias": "vacation", "fromUser": {"id": "u-1", "username": "a@x.com"},
        "toUser": {"username": "b@x.com"}, "startDate": "2026-01-01T00:00:00Z",
        "endDate": "2026-01-08T00:00:00Z"})
}

pub fn contact() -> Value {
    json!({"id": "c-1", "method": "sms", "to": "1-5550100",
        "status": {"enabled": false, "disabledReason": "bounced"}, "applyOrder": 0})
}

pub fn custom_role() -> Value {
    json!({"id": "r-1", "name": "Auditor", "extendedRole": "observer",
        "grantedRights": ["logs-page-access"], "disallowedRights": ["reports-access"], "x": 1})
}

pub fn team_role() -> Value {
    json!({"id": "tr-1", "name": "Lead", "rights": [{"right": "manage-members", "granted": true},
        {"right": "edit-escalations"}]})
}

pub fn request_limits() -> Value {
    json!({"data": {"rateLimits": [
        {"domain": "configuration", "limits": [{"limit": 600, "periodInSeconds": 60}, {"limit": 10, "periodInSeconds": 1}]},
        {"domain": "search", "limits": [{"limit": 300, "periodInSeconds": 60}]}
    ]}})
}

pub fn rest_error() -> Value {
    json!({"message": "Request body is not processable", "errors": {"username": "must be email"},
        "took": 0.1, "requestId": "r-9"})
}

pub fn scim_error() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
        "scimType": "uniqueness", "detail": "userName taken"})
}

pub fn scim_user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "2819c223-7f76-453a-919d-413861904646", "externalId": "okta-1",
        "userName": "jane@example.com",
        "name": {"formatted": "Jane Doe", "givenName": "Jane", "familyName": "Doe", "x": 1},
        "displayName": "Jane", "nickName": "J", "title": "SRE", "preferredLanguage": "en",
        "timezone": "Europe/Berlin", "active": "True",
        "emails": [{"value": "jane@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 555", "type": "mobile", "primary": "false"}],
        "groups": [{"value": "g-1", "display": "sre", "$ref": "https://x/Groups/g-1"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops",
            "organization": "Acme", "manager": {"value": "u-9"}},
        "urn:scim:schemas:extension:atlassian-external:1.0": {"atlassianAccountId": "acc-1"},
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z",
            "lastModified": "2024-01-02T00:00:00Z", "location": "https://x/Users/1", "version": "W/\"1\""}
    })
}

pub fn scim_group() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g-1",
        "displayName": "sre", "externalId": "okta-g",
        "members": [{"value": "2819c223", "display": "Jane", "type": "User", "$ref": "https://x/Users/1"}],
        "meta": {"resourceType": "Group"}})
}

pub fn scim_list(resource: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 2, "startIndex": 1, "itemsPerPage": 2, "Resources": [resource]})
}

pub fn service_provider_config() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true}, "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": "true", "maxResults": 100}, "changePassword": {"supported": false},
        "sort": {"supported": false}, "etag": {"supported": false},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token"}]})
}

pub fn resource_type() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
        "name": "User", "endpoint": "/Users", "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
        "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}]})
}

pub fn schema() -> Value {
    json!({"id": "urn:ietf:params:scim:schemas:core:2.0:User", "name": "User", "attributes": [
        {"name": "userName", "type": "string", "multiValued": false, "required": "true",
         "mutability": "readWrite", "uniqueness": "server",
         "subAttributes": [{"name": "x", "type": "string"}]}]})
}

// ---------------------------------------------------------------------------
// The calls.

/// A REST call, with the answer its first request expects.
#[derive(Debug, Clone, Copy)]
pub enum Rest {
    GetUser,
    GetUserExpanded,
    ListUsers,
    StreamUsers,
    CreateUser,
    CreateUserChecked,
    UpdateUser,
    DeleteUser,
    UserTeams,
    UserSchedules,
    UserEscalations,
    UserForwardingRules,
    GetContact,
    ListContacts,
    CreateContact,
    GetTeam,
    ListTeams,
    CreateTeam,
    ListMembers,
    DiffMembers,
    ChangeMemberRole,
    AddMember,
    GetTeamRole,
    ListTeamRoles,
    CreateTeamRole,
    GetRole,
    ListRoles,
    AllRoles,
    CreateRole,
    ListRotations,
    GetRotation,
    GetEscalation,
    ListEscalations,
    GetForwardingRule,
    ListForwardingRules,
    DiscoverLimits,
    PlanOffboarding,
    RawData,
}

pub const REST: &[Rest] = &[
    Rest::GetUser,
    Rest::GetUserExpanded,
    Rest::ListUsers,
    Rest::StreamUsers,
    Rest::CreateUser,
    Rest::CreateUserChecked,
    Rest::UpdateUser,
    Rest::DeleteUser,
    Rest::UserTeams,
    Rest::UserSchedules,
    Rest::UserEscalations,
    Rest::UserForwardingRules,
    Rest::GetContact,
    Rest::ListContacts,
    Rest::CreateContact,
    Rest::GetTeam,
    Rest::ListTeams,
    Rest::CreateTeam,
    Rest::ListMembers,
    Rest::DiffMembers,
    Rest::ChangeMemberRole,
    Rest::AddMember,
    Rest::GetTeamRole,
    Rest::ListTeamRoles,
    Rest::CreateTeamRole,
    Rest::GetRole,
    Rest::ListRoles,
    Rest::AllRoles,
    Rest::CreateRole,
    Rest::ListRotations,
    Rest::GetRotation,
    Rest::GetEscalation,
    Rest::ListEscalations,
    Rest::GetForwardingRule,
    Rest::ListForwardingRules,
    Rest::DiscoverLimits,
    Rest::PlanOffboarding,
    Rest::RawData,
];

impl Rest {
    pub fn template(self) -> Value {
        use Rest::*;
        match self {
            GetUser | GetUserExpanded | PlanOffboarding => data(user()),
            ListUsers | StreamUsers => json!({
                "data": [user(), {"id": "u-2", "username": "bob@example.com"}], "totalCount": 5,
                "paging": {"first": "https://api.opsgenie.com/v2/users?limit=2&offset=0",
                    "next": "https://api.opsgenie.com/v2/users?limit=2&offset=2"},
                "took": 0.1, "requestId": "r-1"}),
            CreateUser | CreateUserChecked | UpdateUser | DeleteUser | CreateContact
            | CreateTeam | AddMember | CreateTeamRole | CreateRole => write(),
            UserTeams => data(json!([{"id": "t-1", "name": "sre"}])),
            UserSchedules => data(json!([{"id": "s-1", "name": "sre_schedule", "enabled": true}])),
            UserEscalations | ListEscalations => data(json!([escalation()])),
            GetEscalation => data(escalation()),
            UserForwardingRules | ListForwardingRules => data(json!([forwarding_rule()])),
            GetForwardingRule => data(forwarding_rule()),
            GetContact => data(contact()),
            ListContacts => data(json!([contact()])),
            GetTeam | ListMembers | DiffMembers | ChangeMemberRole => data(team()),
            ListTeams => data(json!([{"id": "t-1", "name": "sre", "description": ""}])),
            GetTeamRole => data(team_role()),
            ListTeamRoles => data(json!([team_role()])),
            GetRole => data(custom_role()),
            ListRoles | AllRoles => data(json!([custom_role()])),
            ListRotations => data(json!([rotation()])),
            GetRotation => data(rotation()),
            DiscoverLimits => request_limits(),
            RawData => data(json!({"anything": [1, "two", null]})),
        }
    }

    /// Runs the call; the value's `Debug` text on success.
    pub async fn run(self, c: &Client) -> Result<String, Error> {
        use Rest::*;
        let jane = || UserRef::username("jane@example.com");
        Ok(match self {
            GetUser => dbg(c.users().get(jane()).await?),
            GetUserExpanded => dbg(c.users().get(jane()).expand_contacts().await?),
            ListUsers => dbg(c.users().list().limit(2).await?),
            StreamUsers => {
                // A stream is bounded by its consumer; 60 items is more than
                // the pages a canned answer can honestly lead to.
                let items: Vec<_> = c.users().list().limit(2).stream().take(60).collect().await;
                if let Some(Err(e)) = items.iter().find(|r| r.is_err()) {
                    return Err(clone_err(e));
                }
                dbg(items.len())
            }
            CreateUser => dbg(c
                .users()
                .create(UserCreate::new("jane@example.com", "Jane"))
                .await?),
            CreateUserChecked => dbg(c
                .users()
                .create_checked(UserCreate::new("jane@example.com", "Jane").role(Role::Admin))
                .await?),
            UpdateUser => dbg(c
                .users()
                .update(jane(), UserUpdate::new().full_name("J"))
                .await?),
            DeleteUser => dbg(c.users().delete(jane()).await?),
            UserTeams => dbg(c.users().teams(jane()).await?),
            UserSchedules => dbg(c.users().schedules(jane()).await?),
            UserEscalations => dbg(c.users().escalations(jane()).await?),
            UserForwardingRules => dbg(c.users().forwarding_rules(jane()).await?),
            GetContact => dbg(c.contacts(jane()).get("c-1").await?),
            ListContacts => dbg(c.contacts(jane()).list().await?),
            CreateContact => dbg(c
                .contacts(jane())
                .create(ContactCreate::new(ContactMethod::Sms, "1-5550100"))
                .await?),
            GetTeam => dbg(c.teams().get(TeamRef::name("sre")).await?),
            ListTeams => dbg(c.teams().list().await?),
            CreateTeam => dbg(c
                .teams()
                .create(opsgenie_users::models::team::TeamCreate::new("sre"))
                .await?),
            ListMembers => dbg(c.teams().members("sre").await?),
            DiffMembers => dbg(c
                .teams()
                .diff_members(
                    "sre",
                    &[DesiredMember::new(
                        UserRef::username("jane@example.com"),
                        TeamRole::Admin,
                    )],
                )
                .await?),
            ChangeMemberRole => dbg(c
                .teams()
                .change_member_role("sre", jane(), TeamRole::Admin)
                .await?),
            AddMember => dbg(c.teams().add_member("sre", jane(), TeamRole::User).await?),
            GetTeamRole => dbg(c
                .teams()
                .roles("sre")
                .get(TeamRoleRef::name("Lead"))
                .await?),
            ListTeamRoles => dbg(c.teams().roles("sre").list().await?),
            CreateTeamRole => dbg(c
                .teams()
                .roles("sre")
                .create(TeamRoleWrite::new("Lead"))
                .await?),
            GetRole => dbg(c.roles().get(CustomRoleRef::name("Auditor")).await?),
            ListRoles => dbg(c.roles().list().await?),
            AllRoles => dbg(c.roles().all().await?),
            CreateRole => dbg(c.roles().create(CustomRoleWrite::new("Auditor")).await?),
            ListRotations => dbg(c
                .schedules()
                .rotations(ScheduleRef::name("sre_schedule"))
                .list()
                .await?),
            GetRotation => dbg(c
                .schedules()
                .rotations(ScheduleRef::name("sre_schedule"))
                .get("r-1")
                .await?),
            GetEscalation => dbg(c.escalations().get(EscalationRef::name("night")).await?),
            ListEscalations => dbg(c.escalations().list().await?),
            GetForwardingRule => dbg(c
                .forwarding_rules()
                .get(ForwardingRuleRef::alias("vacation"))
                .await?),
            ListForwardingRules => dbg(c.forwarding_rules().list().await?),
            DiscoverLimits => dbg(c.discover_rate_limits().await?),
            PlanOffboarding => dbg(c.offboarding().plan(jane()).await?),
            RawData => dbg(c
                .send(ApiRequest::get(Domain::Configuration).path("v2/heartbeats"))
                .await?
                .data::<Value>()?),
        })
    }
}

/// A SCIM call, with the answer its first request expects.
#[derive(Debug, Clone, Copy)]
pub enum Scim {
    GetUser,
    GetGroup,
    ListUsers,
    ListGroups,
    StreamUsers,
    AllUsers,
    AllGroups,
    FindUser,
    FindByExternalId,
    FindGroup,
    CreateUser,
    CreateGroup,
    ReplaceUser,
    PatchUser,
    PatchAndRead,
    DeleteUser,
    Upsert,
    Deactivate,
    ServiceProviderConfig,
    ResourceTypes,
    Schemas,
    Error,
}

pub const SCIM: &[Scim] = &[
    Scim::GetUser,
    Scim::GetGroup,
    Scim::ListUsers,
    Scim::ListGroups,
    Scim::StreamUsers,
    Scim::AllUsers,
    Scim::AllGroups,
    Scim::FindUser,
    Scim::FindByExternalId,
    Scim::FindGroup,
    Scim::CreateUser,
    Scim::CreateGroup,
    Scim::ReplaceUser,
    Scim::PatchUser,
    Scim::PatchAndRead,
    Scim::DeleteUser,
    Scim::Upsert,
    Scim::Deactivate,
    Scim::ServiceProviderConfig,
    Scim::ResourceTypes,
    Scim::Schemas,
    Scim::Error,
];

impl Scim {
    pub fn template(self) -> Value {
        use Scim::*;
        match self {
            GetUser | CreateUser | ReplaceUser | PatchUser | PatchAndRead | Deactivate => {
                scim_user()
            }
            GetGroup | CreateGroup => scim_group(),
            ListUsers | StreamUsers | AllUsers | FindUser | FindByExternalId | Upsert => {
                scim_list(scim_user())
            }
            ListGroups | AllGroups | FindGroup => scim_list(scim_group()),
            DeleteUser => Value::Null,
            ServiceProviderConfig => service_provider_config(),
            ResourceTypes => scim_list(resource_type()),
            Schemas => json!([schema()]),
            Error => scim_error(),
        }
    }

    pub async fn run(self, s: &ScimClient) -> Result<String, opsgenie_users::Error> {
        use Scim::*;
        let jane = || ScimUser::new("jane@example.com").external_id("okta-1");
        Ok(match self {
            GetUser => dbg(s.users().get("u-1").await?),
            GetGroup => dbg(s.groups().get("g-1").await?),
            ListUsers => dbg(s.users().list().count(2).await?),
            ListGroups => dbg(s.groups().list().await?),
            StreamUsers => {
                let items: Vec<_> = s.users().list().count(2).stream().take(60).collect().await;
                if let Some(Err(e)) = items.iter().find(|r| r.is_err()) {
                    return Err(clone_err(e));
                }
                dbg(items.len())
            }
            AllUsers => dbg(s.users().list().count(2).all().await?),
            AllGroups => dbg(s.groups().list().all().await?),
            FindUser => dbg(s.users().find_by_user_name("jane@example.com").await?),
            FindByExternalId => dbg(s.users().find_by_external_id("okta-1").await?),
            FindGroup => dbg(s.groups().find_by_display_name("sre").await?),
            CreateUser => dbg(s.users().create(jane()).await?),
            CreateGroup => dbg(s.groups().create(ScimGroup::new("sre")).await?),
            ReplaceUser => dbg(s.users().replace("u-1", jane()).await?),
            PatchUser => dbg(s
                .users()
                .patch("u-1", PatchOp::new().replace("title", "x"))
                .await?),
            PatchAndRead => dbg(s
                .users()
                .patch("u-1", PatchOp::new().replace("title", "x"))
                .read_back()
                .await?),
            DeleteUser => dbg(s.users().delete("u-1").await?),
            Upsert => dbg(s.users().upsert(&jane()).await?),
            Deactivate => dbg(s.users().deactivate("u-1").strip_groups(true).await?),
            ServiceProviderConfig => dbg(s.service_provider_config().await?),
            ResourceTypes => dbg(s.resource_types().await?),
            Schemas => dbg(s.schemas().await?),
            Error => dbg(s
                .users()
                .list()
                .filter(Filter::user_name_eq("a"))
                .one()
                .await?),
        })
    }
}

pub fn dbg<T: Debug>(v: T) -> String {
    format!("{v:?}")
}

/// Errors are not `Clone`; a stream's error is checked through its text
/// and status, kept in an `Api`-free stand-in when it has none.
pub fn clone_err(e: &Error) -> Error {
    match e.api_error() {
        Some(api) => {
            let resp = opsgenie_users::ApiResponse::new(
                http::Method::GET,
                api.status,
                api.headers.clone(),
                Bytes::from(api.raw_body.clone()),
            );
            resp.error_for_status().expect_err("an error status")
        }
        None => Error::InvalidInput(format!("stream error: {e}")),
    }
}

// ---------------------------------------------------------------------------
// What every outcome must satisfy.

/// Checks the outcome of one call answered `status` after `hits` requests:
/// a value, or a typed error that keeps a non-success status, comes from
/// decoding on a success status, is bounded in size, and shows neither
/// `secrets`. `Err` says what is wrong.
pub fn check_outcome(
    what: &str,
    status: u16,
    hits: usize,
    max_hits: usize,
    secrets: &[&str],
    outcome: &Result<String, Error>,
) -> Result<(), String> {
    if hits > max_hits {
        return Err(format!(
            "{what}: {hits} requests for one call: it does not stop"
        ));
    }
    let shows_secret = |s: &str| secrets.iter().any(|k| s.contains(k));
    let e = match outcome {
        Ok(v) if shows_secret(v) => return Err(format!("{what}: a secret in {v}")),
        Ok(_) => return Ok(()),
        Err(e) => e,
    };
    let text = e.to_string();
    let debug = format!("{e:?}");
    if text.len() > MAX_ERROR_TEXT || debug.len() > 4 * MAX_ERROR_TEXT {
        return Err(format!(
            "{what}: error text of {} bytes (Debug {}): {}…",
            text.len(),
            debug.len(),
            text.chars().take(300).collect::<String>()
        ));
    }
    if shows_secret(&text) || shows_secret(&debug) {
        return Err(format!("{what}: a secret in {debug}"));
    }
    let success = (200..300).contains(&status);
    if success && e.status().is_some() {
        // A success answer the SDK cannot use is a decode error (or one
        // that wraps it), never a server error.
        return Err(format!("{what}: HTTP {status} became {e:?}"));
    }
    if !success && e.status().map(|s| s.as_u16()) != Some(status) {
        return Err(format!("{what}: HTTP {status} became {e:?}"));
    }
    Ok(())
}

/// The `secrets` that `body` (the server's answer) does not hold itself. An
/// error may quote the answer (a decode error shows a snippet of it), so a
/// secret the server sent back is the server's text, not a leak; the
/// fuzzer, which sees the comparisons, soon learns to write the secrets
/// into bodies.
pub fn secrets_not_in<'a>(body: &[u8], secrets: &[&'a str]) -> Vec<&'a str> {
    secrets
        .iter()
        .copied()
        .filter(|s| !body.windows(s.len()).any(|w| w == s.as_bytes()))
        .collect()
}

/// A decoded value serializes, and the result decodes to the same value.
pub fn round_trips<T>(bytes: &[u8]) -> Result<(), String>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(v) = serde_json::from_slice::<T>(bytes) else {
        return Ok(());
    };
    let text = serde_json::to_vec(&v).map_err(|e| format!("{v:?} does not serialize: {e}"))?;
    let back: T = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{} does not decode back: {e}",
            String::from_utf8_lossy(&text)
        )
    })?;
    if back != v {
        return Err(format!("{v:?} came back as {back:?}"));
    }
    Ok(())
}

/// Every model type, decoded from `bytes`.
pub fn decode_every_model(bytes: &[u8]) -> Result<(), String> {
    round_trips::<User>(bytes)?;
    round_trips::<UserTeam>(bytes)?;
    round_trips::<UserSchedule>(bytes)?;
    round_trips::<UserEscalation>(bytes)?;
    round_trips::<UserContact>(bytes)?;
    round_trips::<ForwardingRule>(bytes)?;
    round_trips::<Contact>(bytes)?;
    round_trips::<Team>(bytes)?;
    round_trips::<TeamMember>(bytes)?;
    round_trips::<TeamRoleDef>(bytes)?;
    round_trips::<CustomRole>(bytes)?;
    round_trips::<Rotation>(bytes)?;
    round_trips::<Escalation>(bytes)?;
    round_trips::<WriteResult>(bytes)?;
    round_trips::<Paging>(bytes)?;
    round_trips::<Role>(bytes)?;
    round_trips::<ScimUser>(bytes)?;
    round_trips::<ScimGroup>(bytes)?;
    round_trips::<ListResponse<ScimUser>>(bytes)?;
    round_trips::<ListResponse<ScimGroup>>(bytes)?;
    round_trips::<ServiceProviderConfig>(bytes)?;
    round_trips::<ResourceType>(bytes)?;
    round_trips::<Schema>(bytes)?;
    // The envelopes the client reads.
    round_trips::<Vec<User>>(bytes)?;
    round_trips::<Vec<Team>>(bytes)?;
    Ok(())
}

/// Models and their valid templates, for the direct decoding test.
pub fn model_templates() -> Vec<Value> {
    vec![
        user(),
        team(),
        escalation(),
        rotation(),
        forwarding_rule(),
        contact(),
        custom_role(),
        team_role(),
        write(),
        scim_user(),
        scim_group(),
        scim_list(scim_user()),
        service_provider_config(),
        resource_type(),
        schema(),
        json!({"id": "t-1", "name": "sre"}),
        json!({"id": "s-1", "name": "sre_schedule", "enabled": true}),
        json!({"user": {"id": "u-1"}, "role": "admin"}),
        json!({"next": "https://api.opsgenie.com/v2/users?limit=2&offset=2"}),
        json!("Admin"),
    ]
}
