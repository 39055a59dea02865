//! Property tests over what users hand the SDK: identifiers and the CSV
//! files of the examples.
//!
//! * Every `*Ref` / `*Id` constructor, used in a real call (through a canned
//!   transport): a malformed identifier is refused with
//!   [`Error::InvalidInput`](opsgenie_users::Error::InvalidInput) before
//!   anything is sent; a valid one reaches the server as exactly one
//!   percent-encoded path segment that decodes back to it. The same for the
//!   Atlassian directory id of the SCIM base URL.
//! * The CSV readers of `bulk_sync` and `scim_sync`: a file written by a CSV
//!   writer reads back as written (with or without a byte-order mark), a
//!   duplicate or an empty key is an error naming it, and any bytes end in
//!   rows or an error, never a panic.
//! * The resume reader of `export`: an output file (JSON lines or CSV, as
//!   `export` writes it) cut at any byte resumes after its last complete
//!   record, with exactly the users of the complete records done; any bytes
//!   end in such a cut or an error, never a panic.
//!
//! Case counts (set explicitly below; with `tests/decode_props.rs` over
//! 100,000 per run): `identifiers_are_one_segment_or_refused` 12,000 (two
//! calls each), `directory_ids_are_one_segment_or_refused` 10,000,
//! `bulk_sync_reads_what_was_written` 5,000,
//! `scim_sync_reads_what_was_written` 5,000,
//! `csv_readers_survive_any_bytes` 10,000,
//! `export_resumes_after_complete_records_only` 6,000,
//! `export_resume_survives_any_bytes` 6,000: 54,000.
// Both examples include their shared `common` module.
#![allow(clippy::duplicate_mod)]

#[path = "support/canned.rs"]
mod canned;
#[path = "support/identifiers.rs"]
mod identifiers;

#[allow(dead_code)]
#[path = "../examples/bulk_sync.rs"]
mod bulk_sync;
#[allow(dead_code)]
#[path = "../examples/export.rs"]
mod export;
#[allow(dead_code)]
#[path = "../examples/scim_sync.rs"]
mod scim_sync;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use opsgenie_users::Error;
use proptest::prelude::*;

use canned::{clients, runtime, watched, Answer};
use identifiers::{acceptable, check_atlassian_base_url, check_uri, KINDS, REFERENCE};

/// Identifier values: printable text, anything at all, path tricks,
/// control and invisible characters, and lengths around the 512-byte limit.
fn id_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{1,40}",
        2 => any::<String>(),
        3 => prop::sample::select(&[
            "", " ", "\t", ".", "..", "...", "./", "a/b", "../x", "%2e%2e", "%2F", "a?b#c",
            "a;b=c", "a,b", "\\", "\\..", "a\nb", "\u{0}", "\u{7f}", "\u{85}", "\u{2028}",
            "\u{200b}", "\u{feff}", "\u{202e}", "ü", "🦀", "a+b@x.com", "@", "~", "-._~",
            "jane@example.com", "%", "%%", "%zz", "+", " a ", "%20", "a b",
        ][..]).prop_map(str::to_string),
        1 => (505usize..520).prop_map(|n| "a".repeat(n)),
        1 => (250usize..260).prop_map(|n| "é".repeat(n)),
        2 => "[ -~]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12_000))]
    #[test]
    fn identifiers_are_one_segment_or_refused(kind in prop::sample::select(KINDS), v in id_value()) {
        thread_local!(static ENV: (tokio::runtime::Runtime, std::sync::Arc<canned::Canned>, opsgenie_users::Client, opsgenie_users::scim::ScimClient) = {
            let rt = runtime();
            let (canned, client, scim) = rt.block_on(async { clients() });
            (rt, canned, client, scim)
        });
        ENV.with(|(rt, canned, client, scim)| {
            let not_found = || Answer { status: 404, content_type: None, body: Bytes::from_static(b"{}") };
            let send = |v: &str| {
                canned.reset(not_found());
                let out = watched("identifiers", || rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), kind.call(client, scim, v)).await
                }));
                (out.expect("an identifier call ends"), canned.uris())
            };
            let (_, reference) = send(REFERENCE);
            prop_assert_eq!(reference.len(), 1);
            let (result, sent) = send(&v);
            if acceptable(&v) {
                prop_assert_eq!(sent.len(), 1, "{:?} {:?}: {:?}", kind, v, result);
                prop_assert!(matches!(result, Err(Error::NotFound(_))), "{:?}", result);
                check_uri(&reference[0], &sent[0], &v).map_err(TestCaseError::fail)?;
            } else {
                prop_assert!(sent.is_empty(), "{:?} {:?} was sent: {:?}", kind, v, sent);
                prop_assert!(matches!(result, Err(Error::InvalidInput(_))), "{:?} {:?}: {:?}", kind, v, result);
            }
            Ok(())
        })?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]
    #[test]
    fn directory_ids_are_one_segment_or_refused(v in id_value()) {
        check_atlassian_base_url(&v).map_err(TestCaseError::fail)?;
        // The public helpers agree with the calls.
        prop_assert_eq!(opsgenie_users::ids::validate("x", &v).is_ok(), acceptable(&v));
        let user = opsgenie_users::UserRef::from(v.as_str());
        match user.to_segment() {
            Ok(seg) => identifiers::check_segment(&seg, &v).map_err(TestCaseError::fail)?,
            Err(e) => prop_assert!(matches!(e, Error::InvalidInput(_)) && !acceptable(&v)),
        }
    }
}

// ---------------------------------------------------------------------------
// CSV readers.

/// A field a person might type: text with commas, quotes, semicolons,
/// colons, line breaks, spaces around it, non-ASCII.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 ._@-]{0,12}",
        2 => "[a-z ,;:\"'\\n\\r-]{0,12}",
        1 => "\\PC{0,12}",
    ]
}

fn username() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._+-]{1,10}@[a-z]{1,6}\\.(com|org|example)"
}

/// What a CSV reader keeps of a written field: the csv crate trims
/// surrounding white space (`Trim::All`, Unicode white space).
fn trimmed(s: &str) -> String {
    s.trim().to_string()
}

fn write_csv(header: &[&str], rows: &[Vec<String>], bom: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header).expect("header");
    for r in rows {
        w.write_record(r).expect("record");
    }
    let mut out = if bom {
        "\u{feff}".as_bytes().to_vec()
    } else {
        Vec::new()
    };
    out.extend(w.into_inner().expect("flush"));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]
    /// bulk_sync: rows keyed by lowercased username, as written; a username
    /// twice (in any case) or an empty one is an error naming the record.
    #[test]
    fn bulk_sync_reads_what_was_written(
        rows in prop::collection::vec((username(), field(), field(), field()), 0..6),
        bom in any::<bool>(),
        extra_column in any::<bool>(),
    ) {
        let mut header = vec!["username", "fullName", "role", "teams"];
        let mut records: Vec<Vec<String>> = rows
            .iter()
            .map(|(u, f, r, t)| vec![u.clone(), f.clone(), r.clone(), t.clone()])
            .collect();
        if extra_column {
            header.push("notes");
            records.iter_mut().for_each(|r| r.push("x".into()));
        }
        let data = write_csv(&header, &records, bom);
        let got = bulk_sync::read_rows("users.csv", &data);
        let mut seen = BTreeMap::new();
        let mut expected_err = None;
        for (n, (u, ..)) in rows.iter().enumerate() {
            if seen.insert(u.to_lowercase(), n).is_some() && expected_err.is_none() {
                expected_err = Some((n + 1, u.to_lowercase()));
            }
        }
        match (got, expected_err) {
            (Err(e), Some((record, user))) => {
                prop_assert!(e.contains(&format!("record {record}")) && e.contains(&user), "{}", e);
            }
            (Ok(map), None) => {
                prop_assert_eq!(map.len(), rows.len());
                for (u, f, r, t) in &rows {
                    let row = &map[&u.to_lowercase()];
                    prop_assert_eq!(&row.full_name, &trimmed(f));
                    prop_assert_eq!(&row.role, &trimmed(r));
                    prop_assert_eq!(&row.teams, &trimmed(t));
                    // The team list splits without panicking, names trimmed and non-empty.
                    for (team, _) in bulk_sync::desired_teams(row) {
                        prop_assert!(!team.is_empty() || trimmed(t).contains(':'));
                    }
                    let _ = bulk_sync::role_of(row);
                }
            }
            (got, want) => prop_assert!(false, "read {:?}, expected the error {:?}", got.map(|m| m.len()), want),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]
    /// scim_sync: every column as written, groups split on `;`, `active`
    /// read as a boolean; a duplicate or empty `externalId` is an error.
    #[test]
    fn scim_sync_reads_what_was_written(
        rows in prop::collection::vec(
            ("[a-z0-9-]{0,6}", username(), field(), field(), field(),
             prop::sample::select(&["", "true", "TRUE", "yes", "1", "false", "No", "0", "maybe"][..]),
             prop::collection::vec("[a-z -]{0,6}", 0..3)),
            0..6),
        bom in any::<bool>(),
    ) {
        let header = ["externalId", "userName", "givenName", "familyName", "displayName", "active", "groups"];
        let records: Vec<Vec<String>> = rows
            .iter()
            .map(|(x, u, g, f, d, a, gs)| vec![x.clone(), u.clone(), g.clone(), f.clone(), d.clone(), a.to_string(), gs.join(";")])
            .collect();
        let data = write_csv(&header, &records, bom);
        let text = String::from_utf8(data).expect("UTF-8");
        let got = scim_sync::parse_csv(&text);
        // The first problem, in file order.
        let mut seen = std::collections::BTreeSet::new();
        let mut problem = None;
        for (n, (x, _, _, _, _, a, _)) in rows.iter().enumerate() {
            let line = n + 2;
            let bad = !matches!(a.to_ascii_lowercase().as_str(), "" | "true" | "yes" | "1" | "false" | "no" | "0")
                || x.is_empty()
                || !seen.insert(x.clone());
            if bad {
                problem = Some(line);
                break;
            }
        }
        match (got, problem) {
            (Err(e), Some(line)) => prop_assert!(e.starts_with(&format!("line {line}:")), "{}", e),
            (Ok(users), None) => {
                prop_assert_eq!(users.len(), rows.len());
                for (u, (x, name, g, f, d, a, gs)) in users.iter().zip(&rows) {
                    prop_assert_eq!(&u.external_id, x);
                    prop_assert_eq!(&u.user_name, name);
                    prop_assert_eq!(&u.given_name, &trimmed(g));
                    prop_assert_eq!(&u.family_name, &trimmed(f));
                    prop_assert_eq!(&u.display_name, &trimmed(d));
                    prop_assert_eq!(u.active, matches!(a.to_ascii_lowercase().as_str(), "" | "true" | "yes" | "1"));
                    let want: Vec<String> = gs.iter().map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect();
                    prop_assert_eq!(&u.groups, &want);
                }
            }
            (got, want) => prop_assert!(false, "read {:?}, expected a problem on line {:?}", got, want),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]
    /// Any bytes, or a valid file cut or spliced: rows or an error.
    #[test]
    fn csv_readers_survive_any_bytes(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "\\PC{0,200}".prop_map(String::into_bytes),
            prop::collection::vec(prop::sample::select(&[
                "username", "fullName", "externalId", "userName", ",", "\"", "\"\"", ";", ":",
                "\n", "\r\n", "\r", " ", "a@x.com", "A@X.COM", "true", "\u{feff}", "\u{0}", "é",
            ][..]), 0..60).prop_map(|parts| parts.concat().into_bytes()),
        ],
    ) {
        watched("csv", || {
            let _ = bulk_sync::read_rows("f.csv", &data);
            let _ = scim_sync::parse_csv(&String::from_utf8_lossy(&data));
        });
    }
}

#[test]
fn bulk_sync_names_the_duplicate_username() {
    // The error named the alphabetically last username, not the duplicate.
    let e = bulk_sync::read_rows("u.csv", b"username\nz@x.com\nA@x.com\na@x.com\n").unwrap_err();
    assert_eq!(e, "u.csv record 3: a@x.com appears twice");
    let e = bulk_sync::read_rows("u.csv", b"username,fullName\n  ,Nobody\n").unwrap_err();
    assert_eq!(e, "u.csv record 1: the username is empty");
    // A byte-order mark (as spreadsheet programs write) is fine.
    let rows = bulk_sync::read_rows("u.csv", "\u{feff}username\nJane@X.com\n".as_bytes()).unwrap();
    assert!(rows.contains_key("jane@x.com"));
}

// ---------------------------------------------------------------------------
// The export's resume reader.

/// What people and servers put in names: commas, quotes, line breaks,
/// non-ASCII, control characters.
fn export_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ._@-]{1,12}",
        2 => "[a-z ,;:\"'\\n\\r-]{1,12}",
        1 => "\\PC{1,12}",
        1 => any::<String>(),
    ]
}

/// A user as `GET /v2/users/{id}?expand=contact` answers it.
fn export_user(n: usize, username: &str, full_name: &str) -> opsgenie_users::models::user::User {
    serde_json::from_value(serde_json::json!({
        "id": format!("u-{n}"), "username": username, "fullName": full_name,
        "role": {"id": "Admin", "name": "Admin"}, "blocked": false, "verified": true,
        "createdAt": "2017-05-11T12:36:07.217Z",
        "userContacts": [{"contactMethod": "email", "to": username, "enabled": true}]
    }))
    .expect("a user")
}

/// An output file as `export` writes it: its bytes, and per record where it
/// ends and whose user record it is (`None`: a role record or the header).
fn export_file(
    users: &[(String, String)],
    csv: bool,
    roles: bool,
) -> (Vec<u8>, Vec<(usize, Option<String>)>) {
    let mut data = Vec::new();
    let mut ends = Vec::new();
    if csv {
        data.extend(format!("{}\n", export::CSV_HEADER).into_bytes());
        ends.push((data.len(), None));
    } else if roles {
        let role: opsgenie_users::models::role::CustomRole =
            serde_json::from_value(serde_json::json!({"id": "r-1", "name": "Aud,\"itor\n"}))
                .expect("a role");
        let team_role: opsgenie_users::models::team::TeamRoleDef =
            serde_json::from_value(serde_json::json!({"id": "tr-1", "name": "Lead", "rights": []}))
                .expect("a team role");
        for line in export::role_lines(&[role], &[("sre".into(), team_role)]).split_inclusive('\n')
        {
            data.extend(line.as_bytes());
            ends.push((data.len(), None));
        }
    }
    for (n, (username, full_name)) in users.iter().enumerate() {
        let user = export_user(n, username, full_name);
        let teams = [("sre, \"core\"".to_string(), "admin".to_string())];
        data.extend(export::user_record(&user, &teams, csv).expect("a record"));
        ends.push((data.len(), Some(username.clone())));
    }
    (data, ends)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6_000))]
    /// An output cut at any byte (an export stopped mid-write) resumes
    /// after its last complete record: exactly the users of complete
    /// records are done, and a record appended after the cut reads back.
    #[test]
    fn export_resumes_after_complete_records_only(
        users in prop::collection::vec((export_text(), export_text()), 0..5),
        csv in any::<bool>(),
        roles in any::<bool>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let (data, ends) = export_file(&users, csv, roles);
        let cut = cut.index(data.len() + 1);
        let got = export::resume_from(&data[..cut], csv).map_err(TestCaseError::fail)?;
        let complete: Vec<_> = ends.iter().filter(|(end, _)| *end <= cut).collect();
        let keep = complete.last().map_or(0, |(end, _)| *end);
        prop_assert_eq!(got.keep, keep, "cut at {} of {:?}", cut, String::from_utf8_lossy(&data));
        let done: std::collections::BTreeSet<String> =
            complete.iter().filter_map(|(_, u)| u.clone()).collect();
        prop_assert_eq!(&got.done, &done);
        prop_assert_eq!(got.has_roles, complete.iter().any(|(_, u)| u.is_none()));
        // Appending after the cut, as the export does, gives a file whose
        // records all read back.
        let mut next = data[..got.keep].to_vec();
        if csv && !got.has_roles {
            next.extend(format!("{}\n", export::CSV_HEADER).into_bytes());
        }
        next.extend(export::user_record(&export_user(9, "new@x.com", "N, \"ew\"\n"), &[], csv).expect("a record"));
        let again = export::resume_from(&next, csv).map_err(TestCaseError::fail)?;
        prop_assert_eq!(again.keep, next.len());
        let mut want = done;
        want.insert("new@x.com".to_string());
        prop_assert_eq!(again.done, want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6_000))]
    /// Any bytes, or a real output with bytes changed: a cut at a line
    /// break (kept bytes are UTF-8) or an error, never a panic.
    #[test]
    fn export_resume_survives_any_bytes(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "\\PC{0,200}".prop_map(String::into_bytes),
            (prop::collection::vec((export_text(), export_text()), 0..4), any::<bool>(),
             prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4))
                .prop_map(|(users, csv, changes)| {
                    let (mut data, _) = export_file(&users, csv, true);
                    for (at, b) in changes {
                        if !data.is_empty() {
                            let i = at.index(data.len());
                            data[i] = b;
                        }
                    }
                    data
                }),
        ],
        csv in any::<bool>(),
    ) {
        if let Ok(r) = watched("export resume", || export::resume_from(&data, csv)) {
            prop_assert!(r.keep <= data.len());
            prop_assert!(r.keep == 0 || data[r.keep - 1] == b'\n');
            prop_assert!(std::str::from_utf8(&data[..r.keep]).is_ok());
        }
    }
}

#[test]
fn export_resume_cuts_a_csv_record_inside_a_quoted_line_break() {
    // The last line break was taken as a record's end even inside quotes:
    // a record cut after a line break in a name was kept, and the next
    // records were appended inside its open quote.
    let data = format!(
        "{}\nu-1,a@x.com,a@x.com,\"Ann\nLee\",User,Agent,,,false,true,\nu-2,b@x.com,b@x.com,\"Bob\n",
        export::CSV_HEADER
    );
    let r = export::resume_from(data.as_bytes(), true).unwrap();
    assert_eq!(r.keep, data.find("u-2").unwrap());
    assert_eq!(r.done.into_iter().collect::<Vec<_>>(), ["a@x.com"]);
}

#[test]
fn export_resume_keeps_a_file_cut_inside_a_character_and_refuses_other_bytes() {
    // A last line cut inside a multi-byte character made the file unreadable
    // as text, and an unreadable file counted as absent: everyone was
    // exported again after the users already there.
    let line = "{\"type\":\"user\",\"username\":\"a@x.com\"}\n";
    let mut data = format!("{line}{{\"type\":\"user\",\"fullName\":\"Zoë").into_bytes();
    data.pop();
    let r = export::resume_from(&data, false).unwrap();
    assert_eq!((r.keep, r.done.len()), (line.len(), 1));
    // Bytes that are not UTF-8 before the last line break: not an export's.
    let e = export::resume_from(b"\xff\xfe{}\n", false).unwrap_err();
    assert!(e.contains("not UTF-8"), "{e}");
}
