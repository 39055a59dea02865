//! Typed identifiers. Every identifier is validated before a request is
//! built and percent-encoded as exactly one path segment, so
//! `a+b@example.com` reaches the server as `a%2Bb@example.com` (a raw `+`
//! would be decoded as a space and the lookup would fail with 404).

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::error::Error;

/// Everything except RFC 3986 unreserved characters and `@`, `:`, `!`, `$`,
/// `'`, `(`, `)`, `*`, `,`, `;`, `=` gets encoded. In particular `+`, `/`, `?`,
/// `#`, `%`, `&`, space and every non-ASCII byte are encoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Percent-encodes `s` as one path segment.
///
/// ```
/// assert_eq!(opsgenie_users::ids::encode_segment("a+b@x.com"), "a%2Bb@x.com");
/// assert_eq!(opsgenie_users::ids::encode_segment("a/b?c#d%"), "a%2Fb%3Fc%23d%25");
/// ```
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Checks an identifier before use: not empty, not blank, no control
/// characters, at most 512 bytes, and not `.` or `..` (which would change
/// the path even when encoded).
pub fn validate(kind: &str, s: &str) -> Result<(), Error> {
    if s.trim().is_empty() {
        return Err(Error::InvalidInput(format!("{kind} must not be empty")));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{kind} must not contain control characters"
        )));
    }
    if s.len() > 512 {
        return Err(Error::InvalidInput(format!(
            "{kind} is longer than 512 bytes"
        )));
    }
    if s == "." || s == ".." {
        return Err(Error::InvalidInput(format!(
            "{kind} must not be `.` or `..`"
        )));
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident, $kind:literal) => {
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

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A user's id (a UUID assigned by Opsgenie).
    UserId, "user id"
);
string_id!(
    /// A user's username: the e-mail address they log in with. Opsgenie stores
    /// it lowercased and it cannot be changed after creation.
    Username, "username"
);
string_id!(
    /// A team's id.
    TeamId, "team id"
);
string_id!(
    /// A custom role's id (user roles and team roles).
    RoleId, "role id"
);
string_id!(
    /// A contact's id.
    ContactId, "contact id"
);

/// A user, by id or by username. Either works in every user path.
///
/// ```
/// use opsgenie_users::UserRef;
/// let by_name: UserRef = "jane@example.com".into();   // contains '@': a username
/// let by_id = UserRef::id("2d6d4b5e-8f0a-4c1e-9d43-0c1e2f3a4b5c");
/// assert!(matches!(by_name, UserRef::Username(_)));
/// assert!(matches!(by_id, UserRef::Id(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By id.
    Id(UserId),
    /// By username (e-mail).
    Username(Username),
}

impl UserRef {
    /// By id.
    pub fn id(s: impl Into<String>) -> Self {
        UserRef::Id(UserId::new(s))
    }
    /// By username.
    pub fn username(s: impl Into<String>) -> Self {
        UserRef::Username(Username::new(s))
    }
    /// The raw value.
    pub fn as_str(&self) -> &str {
        match self {
            UserRef::Id(i) => i.as_str(),
            UserRef::Username(u) => u.as_str(),
        }
    }
    /// `user id` or `username`: how error messages name this identifier.
    pub fn kind(&self) -> &'static str {
        match self {
            UserRef::Id(_) => "user id",
            UserRef::Username(_) => "username",
        }
    }
    /// Validates and encodes as one path segment.
    pub fn to_segment(&self) -> Result<String, Error> {
        validate(self.kind(), self.as_str())?;
        Ok(encode_segment(self.as_str()))
    }
}

impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string with `@` is taken as a username, anything else as an id.
impl From<&str> for UserRef {
    fn from(s: &str) -> Self {
        if s.contains('@') {
            UserRef::username(s)
        } else {
            UserRef::id(s)
        }
    }
}
impl From<String> for UserRef {
    fn from(s: String) -> Self {
        UserRef::from(s.as_str())
    }
}
impl From<UserId> for UserRef {
    fn from(i: UserId) -> Self {
        UserRef::Id(i)
    }
}
impl From<&UserId> for UserRef {
    fn from(i: &UserId) -> Self {
        UserRef::Id(i.clone())
    }
}
impl From<Username> for UserRef {
    fn from(u: Username) -> Self {
        UserRef::Username(u)
    }
}
impl From<&Username> for UserRef {
    fn from(u: &Username) -> Self {
        UserRef::Username(u.clone())
    }
}

/// An entity (team, custom role) addressed by id or by name. Requests always
/// carry the matching `identifierType`, never a server-side default.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NameOrId {
    /// By id.
    Id(String),
    /// By name (case-sensitive).
    Name(String),
}

impl NameOrId {
    /// By id.
    pub fn id(s: impl Into<String>) -> Self {
        NameOrId::Id(s.into())
    }
    /// By name.
    pub fn name(s: impl Into<String>) -> Self {
        NameOrId::Name(s.into())
    }
    /// The raw value.
    pub fn as_str(&self) -> &str {
        match self {
            NameOrId::Id(s) | NameOrId::Name(s) => s,
        }
    }
    /// `id` or `name`, the value of the `identifierType` query parameter.
    pub fn identifier_type(&self) -> &'static str {
        match self {
            NameOrId::Id(_) => "id",
            NameOrId::Name(_) => "name",
        }
    }
    /// Validates and encodes as one path segment.
    pub fn to_segment(&self, kind: &str) -> Result<String, Error> {
        validate(kind, self.as_str())?;
        Ok(encode_segment(self.as_str()))
    }
}

impl fmt::Display for NameOrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.identifier_type(), self.as_str())
    }
}

/// A team by id or name.
pub type TeamRef = NameOrId;
/// A custom role (user role or team role) by id or name.
pub type RoleRef = NameOrId;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn specials_are_encoded() {
        assert_eq!(encode_segment("a+b@x.com"), "a%2Bb@x.com");
        assert_eq!(encode_segment("x y"), "x%20y");
        assert_eq!(encode_segment("ü"), "%C3%BC");
        assert_eq!(encode_segment(".."), "..");
        assert!(validate("id", "..").is_err());
        assert!(validate("id", " ").is_err());
        assert!(validate("id", "a\nb").is_err());
        assert!(validate("id", "ok@x.com").is_ok());
    }

    proptest! {
        #[test]
        fn any_string_round_trips_as_one_segment(s in "\\PC{1,64}") {
            prop_assume!(s != "." && s != "..");
            let enc = encode_segment(&s);
            prop_assert!(!enc.contains('/'));
            prop_assert!(!enc.contains('?'));
            prop_assert!(!enc.contains('#'));
            prop_assert!(!enc.contains('+'));
            prop_assert!(!enc.contains(' '));
            let dec = percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap();
            prop_assert_eq!(dec, s.clone());
            // And a URL parser keeps it as exactly one segment.
            let url = url::Url::parse(&format!("https://h/v2/users/{enc}")).unwrap();
            let segs: Vec<_> = url.path_segments().unwrap().collect();
            prop_assert_eq!(segs.len(), 3);
            prop_assert_eq!(percent_encoding::percent_decode_str(segs[2]).decode_utf8().unwrap(), s);
        }
    }
}
