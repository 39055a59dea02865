//! Typed identifiers. Every identifier is validated before a request is
//! built and percent-encoded as exactly one path segment, so
//! `a+b@example.com` reaches the server as `a%2Bb@example.com` (a raw `+`
//! would be decoded as a space and the lookup would fail with 404).

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::Error;

/// Everything except RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`)
/// and `@` (kept readable in usernames) gets encoded: `+`, `/`, `?`, `#`,
/// `%`, `&`, space, the sub-delimiters `;` `=` `,` `!` `$` `'` `(` `)` `*`,
/// `:` and every non-ASCII byte. A raw `;` would let many servers cut the
/// segment there (matrix parameters): `ops;old` could reach team `ops`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Percent-encodes `s` as one path segment.
///
/// ```
/// assert_eq!(opsgenie_users::ids::encode_segment("a+b@x.com"), "a%2Bb@x.com");
/// assert_eq!(opsgenie_users::ids::encode_segment("a/b?c#d%"), "a%2Fb%3Fc%23d%25");
/// assert_eq!(opsgenie_users::ids::encode_segment("ops;old=1,2"), "ops%3Bold%3D1%2C2");
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

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(s: &$name) -> Self {
                s.clone()
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

        impl PathSegment for $name {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

pub(crate) use string_id;

/// An identifier that goes into a path as one encoded segment.
pub(crate) trait PathSegment {
    /// How error messages name it (`team`, `rotation id`, ...).
    fn kind(&self) -> &'static str;
    /// The raw value.
    fn as_str(&self) -> &str;
}

/// An identifier addressed by id or name, sent with an `identifierType`.
pub(crate) trait NamedSegment: PathSegment {
    /// `id` or `name`.
    fn identifier_type(&self) -> &'static str;
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
    /// A custom user role's id (`/v2/roles`).
    CustomRoleId, "role id"
);
string_id!(
    /// A custom team role's id (`/v2/teams/{team}/roles`).
    TeamRoleId, "team role id"
);
string_id!(
    /// A schedule's id.
    ScheduleId, "schedule id"
);
string_id!(
    /// A schedule rotation's id (rotations are addressed by id only).
    RotationId, "rotation id"
);
string_id!(
    /// An escalation policy's id.
    EscalationId, "escalation id"
);
string_id!(
    /// A contact's id (contacts are addressed by id only).
    ContactId, "contact id"
);
string_id!(
    /// A forwarding rule's id.
    ForwardingRuleId, "forwarding rule id"
);

/// Generates an id-or-name reference type: distinct per resource, so a team
/// reference does not type-check where a role is expected.
macro_rules! name_or_id {
    ($(#[$m:meta])* $name:ident, $id:ident, $kind:literal, $what:literal) => {
        name_or_id!($(#[$m])* $name, $id, $kind, $what, Name, name, "name");
    };
    ($(#[$m:meta])* $name:ident, $id:ident, $kind:literal, $what:literal, $Alt:ident, $alt:ident, $alt_type:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            /// By id.
            Id($id),
            #[doc = concat!("By ", $alt_type, " (case-sensitive, sent verbatim).")]
            $Alt(String),
        }

        impl $name {
            #[doc = concat!("A ", $what, " by id.")]
            pub fn id(s: impl Into<$id>) -> Self {
                $name::Id(s.into())
            }
            #[doc = concat!("A ", $what, " by ", $alt_type, " (case-sensitive).")]
            pub fn $alt(s: impl Into<String>) -> Self {
                $name::$Alt(s.into())
            }
            /// The raw value.
            pub fn as_str(&self) -> &str {
                match self {
                    $name::Id(i) => i.as_str(),
                    $name::$Alt(n) => n,
                }
            }
            #[doc = concat!("`id` or `", $alt_type, "`: the value of the matching `identifierType` query parameter.")]
            pub fn identifier_type(&self) -> &'static str {
                match self {
                    $name::Id(_) => "id",
                    $name::$Alt(_) => $alt_type,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}={}", self.identifier_type(), self.as_str())
            }
        }

        #[doc = concat!("A string is a ", $what, " ", $alt_type, "; use [`", stringify!($name), "::id`] for an id.")]
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::$Alt(s.to_string())
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::$Alt(s)
            }
        }
        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name::$Alt(s.clone())
            }
        }
        impl From<$id> for $name {
            fn from(i: $id) -> Self {
                $name::Id(i)
            }
        }
        impl From<&$id> for $name {
            fn from(i: &$id) -> Self {
                $name::Id(i.clone())
            }
        }
        impl From<&$name> for $name {
            fn from(r: &$name) -> Self {
                r.clone()
            }
        }

        impl PathSegment for $name {
            fn kind(&self) -> &'static str {
                $kind
            }
            fn as_str(&self) -> &str {
                $name::as_str(self)
            }
        }

        impl NamedSegment for $name {
            fn identifier_type(&self) -> &'static str {
                $name::identifier_type(self)
            }
        }
    };
}

name_or_id!(
    /// A team, by id or by name. A string is a name:
    ///
    /// ```
    /// use opsgenie_users::{TeamId, TeamRef};
    /// assert_eq!(TeamRef::from("sre"), TeamRef::name("sre"));
    /// assert_eq!(TeamRef::from(TeamId::new("t-1")), TeamRef::id("t-1"));
    /// assert_eq!(TeamRef::id("t-1").identifier_type(), "id");
    /// ```
    ///
    /// Each resource has its own reference type, so a team reference is not
    /// accepted where a custom role is expected (nor a team id where a role
    /// id is):
    ///
    /// ```compile_fail
    /// # async fn demo(client: opsgenie_users::Client) {
    /// let team = opsgenie_users::TeamRef::name("sre");
    /// let _ = client.roles().get(team).await; // error: a TeamRef is not a CustomRoleRef
    /// # }
    /// ```
    ///
    /// ```compile_fail
    /// # async fn demo(client: opsgenie_users::Client) {
    /// let team = opsgenie_users::TeamId::new("t-1");
    /// let _ = client.teams().roles("sre").get(&team).await; // error: a TeamId is not a TeamRoleRef
    /// # }
    /// ```
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) {
    /// let role = opsgenie_users::CustomRoleRef::name("sre"); // the right type compiles
    /// let _ = client.roles().get(role).await;
    /// # }
    /// ```
    TeamRef, TeamId, "team", "team"
);
name_or_id!(
    /// A custom user role (`/v2/roles`), by id or by name. A string is a name.
    ///
    /// ```
    /// use opsgenie_users::CustomRoleRef;
    /// assert_eq!(CustomRoleRef::from("Auditor"), CustomRoleRef::name("Auditor"));
    /// ```
    CustomRoleRef, CustomRoleId, "role", "custom role"
);
name_or_id!(
    /// A custom team role (`/v2/teams/{team}/roles`), by id or by name. A string is a name.
    ///
    /// ```
    /// use opsgenie_users::TeamRoleRef;
    /// assert_eq!(TeamRoleRef::from("Lead"), TeamRoleRef::name("Lead"));
    /// ```
    TeamRoleRef, TeamRoleId, "team role", "team role"
);
name_or_id!(
    /// A schedule, by id or by name (sent with `scheduleIdentifierType`). A string is a name.
    ///
    /// ```
    /// use opsgenie_users::ScheduleRef;
    /// assert_eq!(ScheduleRef::from("sre_schedule"), ScheduleRef::name("sre_schedule"));
    /// ```
    ScheduleRef, ScheduleId, "schedule", "schedule"
);
name_or_id!(
    /// An escalation, by id or by name (sent with `identifierType`). A string is a name.
    ///
    /// ```
    /// use opsgenie_users::EscalationRef;
    /// assert_eq!(EscalationRef::from("sre_escalation"), EscalationRef::name("sre_escalation"));
    /// ```
    EscalationRef, EscalationId, "escalation", "escalation"
);
name_or_id!(
    /// A forwarding rule, by id or by alias (sent with `identifierType`). A
    /// string is an alias.
    ///
    /// ```
    /// use opsgenie_users::ForwardingRuleRef;
    /// assert_eq!(ForwardingRuleRef::from("vacation"), ForwardingRuleRef::alias("vacation"));
    /// assert_eq!(ForwardingRuleRef::alias("vacation").identifier_type(), "alias");
    /// assert_eq!(ForwardingRuleRef::id("f-1").identifier_type(), "id");
    /// ```
    ForwardingRuleRef, ForwardingRuleId, "forwarding rule", "forwarding rule", Alias, alias, "alias"
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

impl PathSegment for UserRef {
    fn kind(&self) -> &'static str {
        UserRef::kind(self)
    }
    fn as_str(&self) -> &str {
        UserRef::as_str(self)
    }
}

impl From<&UserRef> for UserRef {
    fn from(u: &UserRef) -> Self {
        u.clone()
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

    #[test]
    fn refs_of_each_resource_convert_and_name_their_identifier_type() {
        assert_eq!(TeamRef::from("sre"), TeamRef::Name("sre".into()));
        assert_eq!(TeamRef::from(String::from("sre")), TeamRef::name("sre"));
        assert_eq!(
            TeamRef::from(&TeamId::new("t")),
            TeamRef::Id(TeamId::new("t"))
        );
        assert_eq!(CustomRoleRef::from("Ops").identifier_type(), "name");
        assert_eq!(
            CustomRoleRef::from(CustomRoleId::new("r")).identifier_type(),
            "id"
        );
        assert_eq!(
            TeamRoleRef::from(&TeamRoleId::new("tr")),
            TeamRoleRef::id("tr")
        );
        assert_eq!(ScheduleRef::from("s").to_string(), "name=s");
        assert_eq!(EscalationRef::id("e").to_string(), "id=e");
        assert_eq!(EscalationRef::from(&EscalationId::new("e")).as_str(), "e");
        // A user string: `@` makes a username, anything else an id.
        assert!(matches!(UserRef::from("a@x.com"), UserRef::Username(_)));
        assert!(matches!(UserRef::from("u-1"), UserRef::Id(_)));
        // Ids compare with plain strings.
        assert_eq!(RotationId::new("r-1"), "r-1");
        assert!(ContactId::new("c") == *"c");
        // Serde: the same JSON as a plain string.
        assert_eq!(
            serde_json::to_string(&ScheduleId::new("s")).unwrap(),
            r#""s""#
        );
    }

    #[test]
    fn each_ref_is_encoded_as_one_segment_with_its_kind() {
        let req = |r: &dyn PathSegment| {
            crate::request::ApiRequest::get(crate::Domain::Configuration)
                .path("v2/x")
                .segment(r.kind(), r.as_str())
        };
        assert_eq!(req(&TeamRef::name("a/b")).path_str(), "/v2/x/a%2Fb");
        assert_eq!(req(&RotationId::new("r+1")).path_str(), "/v2/x/r%2B1");
        assert_eq!(req(&ScheduleRef::name("x y")).path_str(), "/v2/x/x%20y");
        let bad = req(&TeamRoleRef::name(".."));
        assert!(
            bad.invalid.as_deref().unwrap().contains("team role"),
            "{bad:?}"
        );
        let bad = req(&ContactId::new(" "));
        assert!(
            bad.invalid.as_deref().unwrap().contains("contact id"),
            "{bad:?}"
        );
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

        #[test]
        fn a_segment_holds_only_unreserved_at_and_escapes(s in "[ -~]{1,32}|\\PC{1,32}") {
            let enc = encode_segment(&s);
            let b = enc.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let c = b[i];
                if c == b'%' {
                    prop_assert!(i + 2 < b.len(), "truncated escape in {enc}");
                    prop_assert!(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit(), "bad escape in {enc}");
                    i += 3;
                } else {
                    prop_assert!(c.is_ascii_alphanumeric() || b"-._~@".contains(&c), "{} left raw in {enc}", c as char);
                    i += 1;
                }
            }
            let dec = percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap();
            prop_assert_eq!(dec, s);
        }
    }

    #[test]
    fn matrix_and_sub_delims_are_encoded() {
        assert_eq!(encode_segment("ops;old"), "ops%3Bold");
        assert_eq!(encode_segment("a=b,c"), "a%3Db%2Cc");
        assert_eq!(encode_segment("a!$'()*:b"), "a%21%24%27%28%29%2A%3Ab");
        assert_eq!(encode_segment("jane@x.com"), "jane@x.com");
    }
}
