//! RFC 7644 §3.5.2 PATCH bodies.
//!
//! ```
//! use opsgenie_users::scim::PatchOp;
//! use serde_json::json;
//! let op = PatchOp::new()
//!     .replace("title", "SRE")
//!     .add("emails", json!([{"value": "j@example.com", "type": "work"}]))
//!     .remove(r#"phoneNumbers[type eq "fax"]"#);
//! assert_eq!(
//!     serde_json::to_value(&op).unwrap(),
//!     json!({
//!         "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!         "Operations": [
//!             {"op": "replace", "path": "title", "value": "SRE"},
//!             {"op": "add", "path": "emails", "value": [{"value": "j@example.com", "type": "work"}]},
//!             {"op": "remove", "path": "phoneNumbers[type eq \"fax\"]"}
//!         ]
//!     })
//! );
//! ```

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::filter::quote;
use super::models::PATCH_OP_SCHEMA;

/// `add`, `remove` or `replace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    /// Add a value (to a multi-valued attribute: append).
    Add,
    /// Remove the value(s) at `path`.
    Remove,
    /// Replace the value at `path`.
    Replace,
}

impl<'de> Deserialize<'de> for PatchKind {
    /// Case-insensitive: Microsoft Entra sends `Replace`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.to_ascii_lowercase().as_str() {
            "add" => Ok(PatchKind::Add),
            "remove" => Ok(PatchKind::Remove),
            "replace" => Ok(PatchKind::Replace),
            _ => Err(serde::de::Error::custom(format!("unknown PATCH op {s:?}"))),
        }
    }
}

/// One operation of a [`PatchOp`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchKind,
    /// The attribute path (`active`, `members[value eq "id"]`); `None` for
    /// an `add`/`replace` whose value is an object of attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The value (absent for `remove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// A PATCH request body: `schemas` plus `Operations`, applied in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    /// Always `urn:ietf:params:scim:api:messages:2.0:PatchOp`.
    pub schemas: Vec<String>,
    /// The operations.
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

impl Default for PatchOp {
    fn default() -> Self {
        PatchOp::new()
    }
}

impl PatchOp {
    /// An empty PATCH.
    pub fn new() -> Self {
        PatchOp {
            schemas: vec![PATCH_OP_SCHEMA.to_string()],
            operations: Vec::new(),
        }
    }

    fn push(mut self, op: PatchKind, path: Option<String>, value: Option<Value>) -> Self {
        self.operations.push(PatchOperation { op, path, value });
        self
    }

    /// `{"op": "add", "path": path, "value": value}`.
    pub fn add(self, path: impl Into<String>, value: impl Into<Value>) -> Self {
        self.push(PatchKind::Add, Some(path.into()), Some(value.into()))
    }

    /// `{"op": "add", "value": {...}}` without a path: `value` is an object of attributes.
    pub fn add_attributes(self, value: impl Into<Value>) -> Self {
        self.push(PatchKind::Add, None, Some(value.into()))
    }

    /// `{"op": "replace", "path": path, "value": value}`.
    pub fn replace(self, path: impl Into<String>, value: impl Into<Value>) -> Self {
        self.push(PatchKind::Replace, Some(path.into()), Some(value.into()))
    }

    /// `{"op": "replace", "value": {...}}` without a path.
    pub fn replace_attributes(self, value: impl Into<Value>) -> Self {
        self.push(PatchKind::Replace, None, Some(value.into()))
    }

    /// `{"op": "remove", "path": path}`.
    pub fn remove(self, path: impl Into<String>) -> Self {
        self.push(PatchKind::Remove, Some(path.into()), None)
    }

    /// `replace active = false`: the safe offboarding path (keeps history,
    /// reversible), unlike DELETE.
    pub fn deactivate_user() -> Self {
        PatchOp::new().replace("active", false)
    }

    /// `replace active = true`.
    pub fn reactivate_user() -> Self {
        PatchOp::new().replace("active", true)
    }

    /// `add members [{"value": id}, ...]` (one operation).
    pub fn add_members<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let members: Vec<Value> = ids
            .into_iter()
            .map(|id| serde_json::json!({ "value": id.as_ref() }))
            .collect();
        PatchOp::new().add("members", members)
    }

    /// One `remove members[value eq "id"]` per id. This path form is the one
    /// every server accepts (scim2-server refuses a `remove` with a value).
    pub fn remove_members<I, S>(ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ids.into_iter().fold(PatchOp::new(), |op, id| {
            op.remove(format!("members[value eq {}]", quote(id.as_ref())))
        })
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// True when sending it twice has the same effect as once (only
    /// `replace` and `remove`): such a PATCH may be retried after a timeout.
    pub fn is_idempotent(&self) -> bool {
        self.operations.iter().all(|o| o.op != PatchKind::Add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_helpers() {
        assert_eq!(
            serde_json::to_value(PatchOp::add_members(["u1", "u2"])).unwrap(),
            json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}
            ]})
        );
        assert_eq!(
            serde_json::to_value(PatchOp::remove_members(["u1", "x\"y"])).unwrap(),
            json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [
                {"op": "remove", "path": "members[value eq \"u1\"]"},
                {"op": "remove", "path": "members[value eq \"x\\\"y\"]"}
            ]})
        );
        assert!(PatchOp::remove_members(["a"]).is_idempotent());
        assert!(!PatchOp::add_members(["a"]).is_idempotent());
    }

    #[test]
    fn deactivate_and_case_insensitive_ops() {
        assert_eq!(
            serde_json::to_value(PatchOp::deactivate_user()).unwrap()["Operations"],
            json!([{"op": "replace", "path": "active", "value": false}])
        );
        let p: PatchOp = serde_json::from_value(json!({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "Replace", "value": {"active": false}}]})).unwrap();
        assert_eq!(p.operations[0].op, PatchKind::Replace);
    }
}
