//! Generators of hostile response bodies for the property tests
//! (`tests/decode_props.rs`): valid answers with mutations (wrong types,
//! missing and unknown fields, unknown enum values, huge numbers and
//! strings, deep nesting), then cut, spliced or wrapped in HTML; and raw
//! bodies (empty, random bytes, HTML pages, unterminated nesting).
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value};

/// Numbers no `f64`/`i64`/`u64` holds exactly: written into a body in
/// place of a marker string after serialization (see [`render`]).
pub const EDGE_NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "-9007199254740991",
    "9007199254740993",
    "4294967296",
    "2147483648",
    "-1",
    "-0",
    "0.5",
    "123456789012345678901234567890123456789012345678901234567890",
    "1.7976931348623157e309",
    "0.000000000000000000000000000000000000000000000000000000000001",
];

/// Strings a server might put where an enum, a date or an id belongs.
pub const WORDS: &[&str] = &[
    "",
    " ",
    "Admin",
    "admin",
    "Owner",
    "User",
    "user",
    "Observer",
    "Stakeholder",
    "observer",
    "sms",
    "pager",
    "email",
    "voice",
    "mobile",
    "team",
    "schedule",
    "escalation",
    "robot",
    "True",
    "false",
    "maybe",
    "null",
    "2017-05-11T12:36:07.217Z",
    "2017-13-45T99:99:99Z",
    "+999999-01-01T00:00:00Z",
    "-009999-01-01T00:00:00Z",
    "1970-01-01T00:00:00+25:00",
    "https://api.opsgenie.com/v2/users?limit=2&offset=2",
    "https://evil.example/v2/users?offset=18446744073709551616&limit=0",
    "/v2/users?offset=-1&limit=999999",
    "?offset=4294967295&limit=100",
    "::not a url",
    "urn:ietf:params:scim:api:messages:2.0:Error",
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:api:messages:2.0:ListResponse",
    "uniqueness",
    "somethingNew",
    "..",
    ".",
    "a/b",
    "%2F",
    "\u{0}",
    "\u{feff}",
    "\u{202e}evil",
    "é",
    "🦀",
];

/// Keys a server sends, so that random objects often hit a known field.
pub const KEYS: &[&str] = &[
    "data",
    "id",
    "name",
    "username",
    "fullName",
    "role",
    "message",
    "errors",
    "requestId",
    "traceId",
    "detail",
    "scimType",
    "status",
    "error",
    "schemas",
    "result",
    "took",
    "paging",
    "next",
    "totalCount",
    "members",
    "user",
    "rights",
    "rules",
    "participants",
    "type",
    "delay",
    "recipient",
    "timeAmount",
    "Resources",
    "totalResults",
    "startIndex",
    "itemsPerPage",
    "nextCursor",
    "userName",
    "active",
    "meta",
    "rateLimits",
    "domain",
    "limits",
    "limit",
    "periodInSeconds",
    "createdAt",
    "startDate",
    "endDate",
    "userContacts",
    "contactMethod",
    "method",
    "to",
    "grantedRights",
    "extendedRole",
];

/// A string marker that [`render`] replaces with `EDGE_NUMBERS[i]`.
fn number_marker(i: usize) -> Value {
    Value::String(format!("\u{1}N{i}\u{1}"))
}

/// Any JSON scalar, hostile ones included.
pub fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => Just(Value::Null),
        3 => any::<bool>().prop_map(Value::Bool),
        3 => any::<i64>().prop_map(Value::from),
        2 => any::<u64>().prop_map(Value::from),
        2 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        3 => (0..EDGE_NUMBERS.len()).prop_map(number_marker),
        5 => "\\PC{0,16}".prop_map(Value::String),
        2 => any::<String>().prop_map(Value::String),
        5 => prop::sample::select(WORDS).prop_map(|s| Value::String(s.to_string())),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ]
}

/// Nested arrays and objects, alternating, `depth` deep around `leaf`
/// (past serde_json's limit of 128 when `depth` is large).
pub fn nest(depth: usize, leaf: Value) -> Value {
    let mut v = leaf;
    for i in 0..depth {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            let mut m = Map::new();
            m.insert("data".into(), v);
            Value::Object(m)
        };
    }
    v
}

/// Any JSON value: small random trees, and now and then a deep one.
pub fn json() -> impl Strategy<Value = Value> {
    let tree = scalar().prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    });
    prop_oneof![
        12 => tree,
        1 => (1usize..300, scalar()).prop_map(|(d, leaf)| nest(d, leaf)),
    ]
}

/// One change to a valid answer, at the node picked by the index (nodes
/// counted in pre-order).
#[derive(Debug, Clone)]
pub enum Mutation {
    /// The node becomes another value (a wrong type, an unknown enum value, ...).
    Replace(Index, Value),
    /// The node leaves its object or array (a missing required field).
    Remove(Index),
    /// An object node gains a field (unknown or duplicate-looking).
    Add(Index, String, Value),
    /// The node is buried under `n` levels of arrays and objects.
    Bury(Index, usize),
    /// The node becomes a huge string (`n` repetitions of a 5-byte piece
    /// with a quote and a backslash, up to ~100 KB) or a huge array.
    Huge(Index, usize, bool),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        16 => (any::<Index>(), json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        8 => any::<Index>().prop_map(Mutation::Remove),
        8 => (any::<Index>(), key(), json()).prop_map(|(i, k, v)| Mutation::Add(i, k, v)),
        4 => (any::<Index>(), 1usize..200).prop_map(|(i, n)| Mutation::Bury(i, n)),
        // Rare: a huge value costs its size in every later step.
        1 => (any::<Index>(), 1usize..20_000, any::<bool>()).prop_map(|(i, n, s)| Mutation::Huge(i, n, s)),
    ]
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.values().map(count).sum(),
        _ => 0,
    }
}

/// Applies `m` to the `target`-th node of `v` (pre-order, `v` itself is 0).
/// `Remove` on the root leaves it alone.
fn apply_at(v: &mut Value, target: usize, seen: &mut usize, m: &Mutation) -> bool {
    if *seen == target {
        match m {
            Mutation::Replace(_, new) => *v = new.clone(),
            Mutation::Add(_, k, new) => {
                if let Value::Object(o) = v {
                    o.insert(k.clone(), new.clone());
                } else {
                    *v = Value::Array(vec![v.take(), new.clone()]);
                }
            }
            Mutation::Bury(_, n) => *v = nest(*n, v.take()),
            Mutation::Huge(_, n, true) => *v = Value::String("é\"\\".repeat(*n)),
            Mutation::Huge(_, n, false) => *v = Value::Array(vec![Value::from(1); *n]),
            Mutation::Remove(_) => {}
        }
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => {
            for i in 0..a.len() {
                if matches!(m, Mutation::Remove(_)) && *seen == target {
                    a.remove(i);
                    return true;
                }
                if apply_at(&mut a[i], target, seen, m) {
                    return true;
                }
            }
        }
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                if matches!(m, Mutation::Remove(_)) && *seen == target {
                    o.remove(&k);
                    return true;
                }
                if apply_at(o.get_mut(&k).expect("key"), target, seen, m) {
                    return true;
                }
            }
        }
        _ => {}
    }
    false
}

/// `template` with the mutations applied in order.
pub fn mutate(template: &Value, mutations: &[Mutation]) -> Value {
    let mut v = template.clone();
    for m in mutations {
        let idx = match m {
            Mutation::Replace(i, _)
            | Mutation::Remove(i)
            | Mutation::Add(i, _, _)
            | Mutation::Bury(i, _)
            | Mutation::Huge(i, _, _) => i,
        };
        let target = idx.index(count(&v));
        apply_at(&mut v, target, &mut 0, m);
    }
    v
}

/// The JSON text of `v`, number markers replaced by their raw numbers.
pub fn render(v: &Value) -> Vec<u8> {
    let mut text = serde_json::to_string(v).expect("a Value serializes");
    if text.contains("\\u0001N") {
        for (i, n) in EDGE_NUMBERS.iter().enumerate() {
            text = text.replace(&format!("\"\\u0001N{i}\\u0001\""), n);
        }
    }
    text.into_bytes()
}

/// What happens to the bytes on the way: nothing, cut short, a splice of
/// junk, a BOM, trailing garbage, or an HTML page around them.
#[derive(Debug, Clone)]
pub enum Wrap {
    None,
    Truncate(Index),
    Splice(Index, Vec<u8>),
    Bom,
    Trailing(Vec<u8>),
    Html,
}

pub fn wrap() -> impl Strategy<Value = Wrap> {
    prop_oneof![
        8 => Just(Wrap::None),
        4 => any::<Index>().prop_map(Wrap::Truncate),
        2 => (any::<Index>(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(i, b)| Wrap::Splice(i, b)),
        1 => Just(Wrap::Bom),
        1 => prop::collection::vec(any::<u8>(), 1..8).prop_map(Wrap::Trailing),
        1 => Just(Wrap::Html),
    ]
}

pub fn apply_wrap(mut body: Vec<u8>, w: &Wrap) -> Vec<u8> {
    match w {
        Wrap::None => body,
        Wrap::Truncate(i) => {
            body.truncate(i.index(body.len().max(1)));
            body
        }
        Wrap::Splice(i, junk) => {
            let at = i.index(body.len() + 1);
            let end = (at + junk.len()).min(body.len());
            body.splice(at..end, junk.iter().copied());
            body
        }
        Wrap::Bom => {
            let mut b = "\u{feff}".as_bytes().to_vec();
            b.extend(body);
            b
        }
        Wrap::Trailing(junk) => {
            body.extend_from_slice(junk);
            body
        }
        Wrap::Html => {
            let mut b = b"<html><body><pre>".to_vec();
            b.extend(body);
            b.extend_from_slice(b"</pre></body></html>");
            b
        }
    }
}

/// A body that need not be JSON at all.
pub fn raw_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(Vec::new()),
        1 => Just(b" \r\n\t ".to_vec()),
        3 => prop::collection::vec(any::<u8>(), 0..256),
        2 => "\\PC{0,64}".prop_map(String::into_bytes),
        2 => Just(b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>503</h1></body></html>".to_vec()),
        1 => Just(b"<html>".to_vec()),
        3 => prop::sample::select(&[
            "null", "true", "0", "\"x\"", "[]", "{}", "{\"data\":null}", "{\"data\":[]}",
            "{\"data\":{}}", "{\"data\":[null]}", "{\"data\":[{}]}", "{\"Resources\":null}",
            "{\"Resources\":[{}]}", "{\"data\":{\"rateLimits\":[{}]}}", "[{}]", "{\"data\":\"\"}",
            "{\"result\":null}", "{\"message\":null,\"errors\":null}",
        ][..]).prop_map(|s| s.as_bytes().to_vec()),
        // Unterminated or closed nesting, up to 100,000 deep.
        1 => (1usize..100_000, prop::sample::select(&["[", "{\"data\":", "{\"Resources\":[", "{\"a\":["][..]), any::<bool>())
            .prop_map(|(n, open, close)| {
                let mut s = open.repeat(n);
                if close {
                    s.push('1');
                    for _ in 0..n {
                        s.push_str(match open { "[" => "]", "{\"data\":" => "}", _ => "]}" });
                    }
                }
                s.into_bytes()
            }),
        2 => (prop::sample::select(EDGE_NUMBERS), prop::sample::select(&["data", "totalCount", "took", "totalResults", "startIndex"][..]))
            .prop_map(|(n, k)| format!("{{\"{k}\":{n}}}").into_bytes()),
        4 => json().prop_map(|v| render(&v)),
    ]
}

/// A status: mostly success, any class now and then.
pub fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        12 => Just(200u16),
        2 => prop::sample::select(&[201u16, 202, 204][..]),
        4 => prop::sample::select(&[400u16, 401, 403, 404, 409, 422, 428, 429, 500, 502, 503][..]),
        1 => 100u16..600,
    ]
}

/// A `Content-Type`, or none.
pub fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(prop::sample::select(
        &[
            "application/json",
            "application/json; charset=utf-8",
            "application/scim+json",
            "text/html",
            "text/plain",
        ][..],
    ))
}
