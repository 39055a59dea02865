//! SCIM 2.0 resources (RFC 7643) with the enterprise and Atlassian extensions.
//!
//! Every struct keeps attributes it does not know in `extra`, so a resource
//! read from a server and written back (`replace`) loses nothing, including
//! extensions this crate has never heard of.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::ids::{ScimGroupId, ScimUserId};

/// Schema URN of the core User resource.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of the core Group resource.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Schema URN of the enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Schema URN of Atlassian's User extension (`atlassianAccountId`).
pub const ATLASSIAN_USER_SCHEMA: &str = "urn:scim:schemas:extension:atlassian-external:1.0";
/// Message URN of a PATCH body.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Message URN of a list answer.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Message URN of an error answer.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Unknown attributes, kept verbatim.
pub type Extra = BTreeMap<String, Value>;

/// Accepts `true`, `false`, `"true"`, `"False"`: some directories send
/// booleans as strings (`active: "True"`).
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Str(String),
    }
    match Option::<B>::deserialize(d)? {
        None => Ok(None),
        Some(B::Bool(b)) => Ok(Some(b)),
        Some(B::Str(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(B::Str(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(B::Str(s)) => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {s:?}"
        ))),
    }
}

/// `meta` (RFC 7643 §3.1): read-only, set by the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Meta {
    /// `User`, `Group`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// Creation time as the server wrote it (xsd:dateTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Last modification time as the server wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The resource's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The version (ETag), e.g. `W/"3"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Meta {
    /// `created` parsed as a timestamp, when it is one.
    pub fn created_at(&self) -> Option<jiff::Timestamp> {
        self.created.as_deref().and_then(|s| s.parse().ok())
    }
    /// `lastModified` parsed as a timestamp, when it is one.
    pub fn last_modified_at(&self) -> Option<jiff::Timestamp> {
        self.last_modified.as_deref().and_then(|s| s.parse().ok())
    }
}

/// `name` of a User.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Name {
    /// The full name, formatted for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Middle name(s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Unknown attributes (`honorificPrefix`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Name {
    /// A name from given and family name.
    pub fn new(given_name: impl Into<String>, family_name: impl Into<String>) -> Self {
        Name {
            given_name: Some(given_name.into()),
            family_name: Some(family_name.into()),
            ..Name::default()
        }
    }
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MultiValue {
    /// The value (an address, a number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `work`, `home`, `mobile`, ...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the preferred value.
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
    /// A human-readable label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

impl MultiValue {
    /// A value of type `kind` (`work`, ...).
    pub fn new(value: impl Into<String>, kind: impl Into<String>) -> Self {
        MultiValue {
            value: Some(value.into()),
            kind: Some(kind.into()),
            ..MultiValue::default()
        }
    }

    /// Marks it primary.
    pub fn primary(mut self) -> Self {
        self.primary = Some(true);
        self
    }
}

/// A group a user belongs to (`groups` of a User, read-only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupRef {
    /// The group's `id`.
    #[serde(default)]
    pub value: String,
    /// The group's URI.
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The group's `displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `direct` or `indirect`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The enterprise User extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
/// Atlassian honours `organization` and `department`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EnterpriseUser {
    /// Employee number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    /// Cost center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Division.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Manager (`{value, $ref, displayName}`), kept as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<Value>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Atlassian's User extension (`urn:scim:schemas:extension:atlassian-external:1.0`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AtlassianUser {
    /// The Atlassian account the SCIM user is linked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlassian_account_id: Option<String>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A SCIM User (RFC 7643 §4.1).
///
/// ```
/// use opsgenie_users::scim::{ScimUser, Name, MultiValue};
/// let user = ScimUser::new("jane@example.com")
///     .external_id("okta-00u1")
///     .name(Name::new("Jane", "Doe"))
///     .display_name("Jane Doe")
///     .email(MultiValue::new("jane@example.com", "work").primary())
///     .department("SRE");
/// assert_eq!(user.active, Some(true));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScimUser {
    /// Schema URNs. The client adds the core and any used extension URN before sending.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Server-assigned id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ScimUserId>,
    /// The identity provider's id for the user: the stable key for syncing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Unique login name (Atlassian: the e-mail address). Empty when the
    /// server left it out (e.g. `attributes=id`).
    #[serde(default)]
    pub user_name: String,
    /// Real name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Preferred language, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Time zone, e.g. `Europe/Berlin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Whether the account is active. `None` when the server did not say.
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
    /// E-mail addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiValue>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<MultiValue>,
    /// Groups the user is in (read-only: change them through the group).
    /// Not every server fills it (scim2-server does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRef>,
    /// The enterprise extension.
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<EnterpriseUser>,
    /// The Atlassian extension.
    #[serde(
        rename = "urn:scim:schemas:extension:atlassian-external:1.0",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub atlassian: Option<AtlassianUser>,
    /// Server metadata (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes and extensions this crate does not know, kept for the round trip.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ScimUser {
    /// A new, active user with `userName` (Atlassian: the e-mail address).
    pub fn new(user_name: impl Into<String>) -> Self {
        ScimUser {
            schemas: vec![USER_SCHEMA.to_string()],
            user_name: user_name.into(),
            active: Some(true),
            ..ScimUser::default()
        }
    }

    /// Sets `externalId`.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }
    /// Sets `name`.
    pub fn name(mut self, name: Name) -> Self {
        self.name = Some(name);
        self
    }
    /// Sets `displayName`.
    pub fn display_name(mut self, v: impl Into<String>) -> Self {
        self.display_name = Some(v.into());
        self
    }
    /// Sets `title`.
    pub fn title(mut self, v: impl Into<String>) -> Self {
        self.title = Some(v.into());
        self
    }
    /// Sets `active`.
    pub fn active(mut self, yes: bool) -> Self {
        self.active = Some(yes);
        self
    }
    /// Adds an e-mail address.
    pub fn email(mut self, email: MultiValue) -> Self {
        self.emails.push(email);
        self
    }
    /// Adds a phone number.
    pub fn phone_number(mut self, phone: MultiValue) -> Self {
        self.phone_numbers.push(phone);
        self
    }
    /// Sets the enterprise `organization`.
    pub fn organization(mut self, v: impl Into<String>) -> Self {
        self.enterprise
            .get_or_insert_with(Default::default)
            .organization = Some(v.into());
        self
    }
    /// Sets the enterprise `department`.
    pub fn department(mut self, v: impl Into<String>) -> Self {
        self.enterprise
            .get_or_insert_with(Default::default)
            .department = Some(v.into());
        self
    }

    /// The Atlassian account id, when the server linked one.
    pub fn atlassian_account_id(&self) -> Option<&str> {
        self.atlassian
            .as_ref()
            .and_then(|a| a.atlassian_account_id.as_deref())
    }

    /// The primary e-mail address (or the first one).
    pub fn primary_email(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary == Some(true))
            .or_else(|| self.emails.first())
            .and_then(|e| e.value.as_deref())
    }

    /// The attributes of `self` (top level, as JSON) that `existing` does not
    /// already have with the same value: the `replace` a PATCH needs to make
    /// `existing` match. Objects compare by the keys `self` sets (so a
    /// server-added `name.formatted` is no difference); arrays compare whole.
    /// `id`, `meta`, `schemas` and the read-only `groups` are never included.
    ///
    /// ```
    /// use opsgenie_users::scim::ScimUser;
    /// let have = ScimUser::new("a@x.com").display_name("A");
    /// let want = ScimUser::new("a@x.com").display_name("Ann").title("SRE");
    /// let c = want.changes_from(&have);
    /// assert_eq!(c.keys().collect::<Vec<_>>(), ["displayName", "title"]);
    /// ```
    pub fn changes_from(&self, existing: &ScimUser) -> serde_json::Map<String, Value> {
        let want = serde_json::to_value(self).unwrap_or(Value::Null);
        let have = serde_json::to_value(existing).unwrap_or(Value::Null);
        let mut out = serde_json::Map::new();
        if let (Value::Object(want), Value::Object(have)) = (want, have) {
            for (k, v) in want {
                if matches!(k.as_str(), "id" | "meta" | "schemas" | "groups") {
                    continue;
                }
                if !have.get(&k).is_some_and(|h| json_contains(h, &v)) {
                    out.insert(k, v);
                }
            }
        }
        out
    }

    /// A copy ready to send: `schemas` lists the core URN and the URN of
    /// every extension present; read-only `groups` and `meta` stay as they
    /// are (servers ignore them, RFC 7644 §3.5.1).
    pub(crate) fn for_sending(&self) -> ScimUser {
        let mut u = self.clone();
        ensure_schema(&mut u.schemas, USER_SCHEMA);
        if u.enterprise.is_some() {
            ensure_schema(&mut u.schemas, ENTERPRISE_USER_SCHEMA);
        }
        if u.atlassian.is_some() {
            ensure_schema(&mut u.schemas, ATLASSIAN_USER_SCHEMA);
        }
        for key in u.extra.keys() {
            if key.starts_with("urn:") && u.extra[key].is_object() {
                let k = key.clone();
                if !u.schemas.iter().any(|s| s.eq_ignore_ascii_case(&k)) {
                    u.schemas.push(k);
                }
            }
        }
        u
    }
}

/// `have` already holds everything `want` says (objects: recursively, by
/// key; anything else, arrays included: equal).
fn json_contains(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Object(h), Value::Object(w)) => w
            .iter()
            .all(|(k, wv)| h.get(k).is_some_and(|hv| json_contains(hv, wv))),
        _ => have == want,
    }
}

fn ensure_schema(schemas: &mut Vec<String>, urn: &str) {
    if !schemas.iter().any(|s| s.eq_ignore_ascii_case(urn)) {
        schemas.push(urn.to_string());
    }
}

/// A member of a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// The member's `id` (a User or Group id).
    #[serde(default)]
    pub value: String,
    /// The member's URI.
    #[serde(rename = "$ref", default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The member's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `User` or `Group`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Unknown attributes.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Member {
    /// A member by id.
    pub fn new(id: impl Into<String>) -> Self {
        Member {
            value: id.into(),
            ..Member::default()
        }
    }
}

/// A SCIM Group (RFC 7643 §4.2).
///
/// ```
/// use opsgenie_users::scim::ScimGroup;
/// let g = ScimGroup::new("opsgenie-responders").member("2819c223");
/// assert_eq!(g.members[0].value, "2819c223");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScimGroup {
    /// Schema URNs.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Server-assigned id (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ScimGroupId>,
    /// The identity provider's id for the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The group's name (unique on Atlassian).
    #[serde(default)]
    pub display_name: String,
    /// Members. Large groups may come back without members unless asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// Server metadata (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes and extensions this crate does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ScimGroup {
    /// A new group named `display_name`.
    pub fn new(display_name: impl Into<String>) -> Self {
        ScimGroup {
            schemas: vec![GROUP_SCHEMA.to_string()],
            display_name: display_name.into(),
            ..ScimGroup::default()
        }
    }

    /// Adds a member by id.
    pub fn member(mut self, id: impl Into<ScimUserId>) -> Self {
        self.members.push(Member::new(String::from(id.into())));
        self
    }

    /// Sets `externalId`.
    pub fn external_id(mut self, id: impl Into<String>) -> Self {
        self.external_id = Some(id.into());
        self
    }

    pub(crate) fn for_sending(&self) -> ScimGroup {
        let mut g = self.clone();
        ensure_schema(&mut g.schemas, GROUP_SCHEMA);
        g
    }
}

/// One page of a list or search (`urn:ietf:params:scim:api:messages:2.0:ListResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ListResponse<T> {
    /// Total number of matches, when the server says.
    #[serde(default)]
    pub total_results: Option<u64>,
    /// 1-based index of the first resource of this page.
    #[serde(default)]
    pub start_index: Option<u64>,
    /// Number of resources on this page.
    #[serde(default)]
    pub items_per_page: Option<u64>,
    /// The resources.
    #[serde(rename = "Resources", default = "Vec::new")]
    pub resources: Vec<T>,
    /// Cursor of the next page (RFC 9865), when the server pages by cursor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Unknown attributes (`schemas`, `previousCursor`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ServiceProviderConfig` (RFC 7643 §5): what the server supports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServiceProviderConfig {
    /// PATCH support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<Supported>,
    /// Bulk support (`maxOperations`, `maxPayloadSize` in `extra`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk: Option<Supported>,
    /// Filter support (`maxResults` in `extra`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Supported>,
    /// Password change support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_password: Option<Supported>,
    /// Sorting support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Supported>,
    /// ETag support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<Supported>,
    /// Accepted authentication schemes, as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication_schemes: Vec<Value>,
    /// Everything else (`schemas`, `meta`, `pagination`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `{"supported": bool, ...}` of a [`ServiceProviderConfig`] feature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Supported {
    /// Whether the feature is supported.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub supported: Option<bool>,
    /// Limits and other details (`maxResults`, `maxOperations`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Supported {
    /// `true` only when the server said so.
    pub fn is_supported(&self) -> bool {
        self.supported == Some(true)
    }
}

/// A resource type (RFC 7643 §6): an endpoint and its schemas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceType {
    /// Id, e.g. `User`.
    #[serde(default)]
    pub id: Option<String>,
    /// Name, e.g. `User`.
    #[serde(default)]
    pub name: String,
    /// Endpoint, e.g. `/Users`.
    #[serde(default)]
    pub endpoint: String,
    /// Core schema URN.
    #[serde(default)]
    pub schema: String,
    /// Extension schemas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_extensions: Vec<SchemaExtension>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An extension of a [`ResourceType`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SchemaExtension {
    /// Extension schema URN.
    pub schema: String,
    /// Whether resources must carry it.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub required: Option<bool>,
}

/// A schema (RFC 7643 §7): its attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Name, e.g. `User`.
    #[serde(default)]
    pub name: Option<String>,
    /// Attribute definitions.
    #[serde(default)]
    pub attributes: Vec<SchemaAttribute>,
    /// Everything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One attribute definition of a [`Schema`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SchemaAttribute {
    /// Attribute name.
    pub name: String,
    /// `string`, `boolean`, `complex`, ...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Multi-valued or not.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub multi_valued: Option<bool>,
    /// Required or not.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub required: Option<bool>,
    /// `readOnly`, `readWrite`, `immutable`, `writeOnly`.
    #[serde(default)]
    pub mutability: Option<String>,
    /// `none`, `server`, `global`.
    #[serde(default)]
    pub uniqueness: Option<String>,
    /// Sub-attributes of a complex attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<SchemaAttribute>,
    /// Everything else (`description`, `caseExact`, `returned`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A discovery answer: RFC 7644 says a ListResponse, some servers send a bare array.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum ListOrArray<T> {
    List(ListResponse<T>),
    Array(Vec<T>),
}

impl<T> ListOrArray<T> {
    pub(crate) fn into_vec(self) -> Vec<T> {
        match self {
            ListOrArray::List(l) => l.resources,
            ListOrArray::Array(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_attributes_and_extensions_survive_a_round_trip() {
        let body = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:example:custom:1.0"],
            "id": "u1",
            "userName": "jane@example.com",
            "active": "True",
            "x-vendor": {"a": [1, 2]},
            "name": {"givenName": "Jane", "honorificSuffix": "III"},
            "emails": [{"value": "j@x", "primary": true, "verified": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "SRE", "costCenter": "7", "badge": 5},
            "urn:scim:schemas:extension:atlassian-external:1.0": {"atlassianAccountId": "acc"},
            "urn:example:custom:1.0": {"shoe": 42},
            "meta": {"resourceType": "User", "version": "W/\"1\"", "etagish": 1}
        });
        let u: ScimUser = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(u.active, Some(true));
        assert_eq!(u.atlassian_account_id(), Some("acc"));
        assert_eq!(
            u.enterprise.as_ref().unwrap().department.as_deref(),
            Some("SRE")
        );
        assert_eq!(u.extra["urn:example:custom:1.0"], json!({"shoe": 42}));
        let mut back = serde_json::to_value(&u).unwrap();
        // the only normalisation: the string boolean becomes a boolean
        back["active"] = json!("True");
        assert_eq!(back, body);
    }

    #[test]
    fn for_sending_lists_the_extension_schemas() {
        let u = ScimUser {
            schemas: vec![],
            ..ScimUser::new("a").department("D")
        };
        let mut u = u;
        u.extra
            .insert("urn:example:x:1.0".into(), json!({"k": "v"}));
        let s = u.for_sending().schemas;
        assert_eq!(
            s,
            vec![USER_SCHEMA, ENTERPRISE_USER_SCHEMA, "urn:example:x:1.0"]
        );
    }

    #[test]
    fn a_bad_boolean_is_a_decode_error_not_a_panic() {
        let r = serde_json::from_value::<ScimUser>(json!({"userName": "a", "active": "maybe"}));
        assert!(r.unwrap_err().to_string().contains("maybe"));
    }

    #[test]
    fn discovery_accepts_list_or_array() {
        let a: ListOrArray<ResourceType> = serde_json::from_value(
            json!([{"name": "User", "endpoint": "/Users", "schema": USER_SCHEMA}]),
        )
        .unwrap();
        assert_eq!(a.into_vec()[0].endpoint, "/Users");
        let l: ListOrArray<ResourceType> = serde_json::from_value(json!({"totalResults": 1, "Resources": [{"name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA}]}))
            .unwrap();
        assert_eq!(l.into_vec()[0].name, "Group");
    }
}
