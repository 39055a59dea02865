//! Typed SCIM identifiers: the server-assigned `id` of a user or a group.
//! In a path each is validated and encoded as one segment by
//! [`ApiRequest::segment`](crate::ApiRequest::segment).

use std::fmt;

macro_rules! scim_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps the value. It is validated when a request is built.
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }
            /// The raw value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        /// Reads as the raw value, so `Option<Id>::as_deref()` gives `Option<&str>`.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

scim_id!(
    /// A SCIM user's `id`, assigned by the server (not the `userName`, not
    /// the `externalId`).
    ///
    /// ```
    /// use opsgenie_users::scim::ScimUserId;
    /// let id = ScimUserId::from("2819c223-7f76-453a-919d-413861904646");
    /// assert_eq!(id, "2819c223-7f76-453a-919d-413861904646");
    /// ```
    ScimUserId
);
scim_id!(
    /// A SCIM group's `id`, assigned by the server (not its `displayName`).
    ScimGroupId
);
