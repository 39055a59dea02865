//! RFC 7644 §3.4.2.2 filter expressions, built so that user input stays a value.
//!
//! Values are written as JSON string literals (the grammar's `compValue`
//! follows JSON): `"` becomes `\"`, `\` becomes `\\`, and control characters
//! become `\n`, `\u0001`, ... So `jane" or userName pr or "` filters for a user
//! named exactly that, and never widens the filter.
//!
//! ```
//! use opsgenie_users::scim::Filter;
//! let f = Filter::user_name_eq(r#"ja"ne\"#);
//! assert_eq!(f.to_string(), r#"userName eq "ja\"ne\\""#);
//! let f = Filter::eq("title", "SRE").and(Filter::eq("active", true).or(Filter::present("nickName")));
//! assert_eq!(f.to_string(), r#"title eq "SRE" and (active eq true or nickName pr)"#);
//! ```
//!
//! Atlassian supports only `userName eq`, `externalId eq` (Users) and
//! `displayName eq` (Groups); `and`/`or` and the other operators are for
//! servers that support more.

use std::fmt;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `co` (contains)
    Co,
    /// `sw` (starts with)
    Sw,
    /// `ew` (ends with)
    Ew,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

/// A comparison value: string, boolean, integer or null.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterValue {
    /// A string (escaped on output).
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// `null`.
    Null,
}

impl From<&str> for FilterValue {
    fn from(s: &str) -> Self {
        FilterValue::Str(s.to_string())
    }
}
impl From<String> for FilterValue {
    fn from(s: String) -> Self {
        FilterValue::Str(s)
    }
}
impl From<&String> for FilterValue {
    fn from(s: &String) -> Self {
        FilterValue::Str(s.clone())
    }
}
impl From<bool> for FilterValue {
    fn from(b: bool) -> Self {
        FilterValue::Bool(b)
    }
}
impl From<i64> for FilterValue {
    fn from(n: i64) -> Self {
        FilterValue::Int(n)
    }
}

impl fmt::Display for FilterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterValue::Str(s) => f.write_str(&quote(s)),
            FilterValue::Bool(b) => write!(f, "{b}"),
            FilterValue::Int(n) => write!(f, "{n}"),
            FilterValue::Null => f.write_str("null"),
        }
    }
}

/// Writes `s` as a filter string literal: JSON string syntax, so `"`, `\`
/// and control characters are escaped and nothing else changes.
///
/// ```
/// assert_eq!(opsgenie_users::scim::quote("a\"b\\c\n"), r#""a\"b\\c\n""#);
/// ```
pub fn quote(s: &str) -> String {
    // Serializing a &str to JSON cannot fail.
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prec {
    Or,
    And,
    Atom,
}

/// A filter expression. Build it with the constructors and combinators; the
/// result is always syntactically valid, whatever the values contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    text: String,
    prec: Prec,
    invalid: Option<String>,
}

impl Filter {
    /// `attr op value`. `attr` is an attribute path such as `userName`,
    /// `name.givenName` or `urn:...:User:department`; an invalid path makes
    /// the request using the filter fail before sending.
    pub fn compare(attr: &str, op: Op, value: impl Into<FilterValue>) -> Filter {
        Filter {
            text: format!("{attr} {} {}", op.as_str(), value.into()),
            prec: Prec::Atom,
            invalid: check_attr(attr),
        }
    }

    /// `attr eq value`.
    pub fn eq(attr: &str, value: impl Into<FilterValue>) -> Filter {
        Filter::compare(attr, Op::Eq, value)
    }
    /// `attr ne value`.
    pub fn ne(attr: &str, value: impl Into<FilterValue>) -> Filter {
        Filter::compare(attr, Op::Ne, value)
    }
    /// `attr co value`.
    pub fn contains(attr: &str, value: impl Into<FilterValue>) -> Filter {
        Filter::compare(attr, Op::Co, value)
    }
    /// `attr sw value`.
    pub fn starts_with(attr: &str, value: impl Into<FilterValue>) -> Filter {
        Filter::compare(attr, Op::Sw, value)
    }
    /// `attr pr` (has a value).
    pub fn present(attr: &str) -> Filter {
        Filter {
            text: format!("{attr} pr"),
            prec: Prec::Atom,
            invalid: check_attr(attr),
        }
    }

    /// `userName eq "value"` (supported by Atlassian).
    pub fn user_name_eq(value: impl Into<String>) -> Filter {
        Filter::eq("userName", FilterValue::Str(value.into()))
    }
    /// `externalId eq "value"` (supported by Atlassian).
    pub fn external_id_eq(value: impl Into<String>) -> Filter {
        Filter::eq("externalId", FilterValue::Str(value.into()))
    }
    /// `displayName eq "value"` (supported by Atlassian on Groups).
    pub fn display_name_eq(value: impl Into<String>) -> Filter {
        Filter::eq("displayName", FilterValue::Str(value.into()))
    }

    /// `attr[inner]`, e.g. `emails[type eq "work"]`.
    pub fn value_path(attr: &str, inner: Filter) -> Filter {
        Filter {
            text: format!("{attr}[{}]", inner.text),
            prec: Prec::Atom,
            invalid: check_attr(attr).or(inner.invalid),
        }
    }

    /// `self and other`, with parentheses where `or` would bind wrongly.
    pub fn and(self, other: Filter) -> Filter {
        let l = self.wrapped_above(Prec::Or);
        let r = other.wrapped_above(Prec::Or);
        Filter {
            text: format!("{} and {}", l.0, r.0),
            prec: Prec::And,
            invalid: l.1.or(r.1),
        }
    }

    /// `self or other`.
    pub fn or(self, other: Filter) -> Filter {
        Filter {
            text: format!("{} or {}", self.text, other.text),
            prec: Prec::Or,
            invalid: self.invalid.or(other.invalid),
        }
    }

    /// `not (self)`.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        Filter {
            text: format!("not ({})", self.text),
            prec: Prec::Atom,
            invalid: self.invalid,
        }
    }

    fn wrapped_above(self, p: Prec) -> (String, Option<String>) {
        if self.prec == p {
            (format!("({})", self.text), self.invalid)
        } else {
            (self.text, self.invalid)
        }
    }

    /// The filter text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Why the filter cannot be sent (an invalid attribute path), if so.
    pub fn invalid_reason(&self) -> Option<&str> {
        self.invalid.as_deref()
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`, ATTRNAME = ALPHA *(nameChar).
fn check_attr(attr: &str) -> Option<String> {
    fn name_ok(n: &str) -> bool {
        let mut c = n.chars();
        matches!(c.next(), Some(f) if f.is_ascii_alphabetic())
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '$')
    }
    let rest = if attr.len() > 4 && attr[..4].eq_ignore_ascii_case("urn:") {
        match attr.rfind(':') {
            Some(i)
                if attr[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ":._-".contains(c)) =>
            {
                &attr[i + 1..]
            }
            _ => return Some(format!("invalid SCIM attribute path {attr:?}")),
        }
    } else {
        attr
    };
    let mut parts = rest.split('.');
    let ok = parts.next().is_some_and(name_ok)
        && parts.next().is_none_or(name_ok)
        && parts.next().is_none();
    if ok {
        None
    } else {
        Some(format!("invalid SCIM attribute path {attr:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        let f = Filter::user_name_eq("a\"b\\c\u{1}\n");
        assert_eq!(f.as_str(), r#"userName eq "a\"b\\c\u0001\n""#);
        let injected = Filter::user_name_eq(r#"x" or userName pr or userName eq "y"#);
        assert_eq!(
            injected.as_str(),
            r#"userName eq "x\" or userName pr or userName eq \"y""#
        );
    }

    #[test]
    fn precedence_is_kept_by_parentheses() {
        let a = Filter::eq("a", 1);
        let b = Filter::eq("b", true);
        let c = Filter::eq("c", FilterValue::Null);
        assert_eq!(
            a.clone().or(b.clone()).and(c.clone()).as_str(),
            "(a eq 1 or b eq true) and c eq null"
        );
        assert_eq!(
            a.clone().and(b.clone()).or(c.clone()).as_str(),
            "a eq 1 and b eq true or c eq null"
        );
        assert_eq!(
            a.and(b.or(c)).not().as_str(),
            "not (a eq 1 and (b eq true or c eq null))"
        );
    }

    #[test]
    fn attribute_paths_are_checked() {
        assert!(Filter::eq("userName", "x").invalid_reason().is_none());
        assert!(Filter::eq("name.givenName", "x").invalid_reason().is_none());
        assert!(Filter::eq(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "x"
        )
        .invalid_reason()
        .is_none());
        for bad in ["", "user name", "a.b.c", "1x", "x\" or \"", "a)"] {
            assert!(Filter::eq(bad, "x").invalid_reason().is_some(), "{bad}");
        }
        let combined = Filter::eq("ok", "x").and(Filter::present("bad attr"));
        assert!(combined.invalid_reason().is_some());
    }
}
