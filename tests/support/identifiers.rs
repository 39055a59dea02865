//! Identifier checks shared by `tests/input_props.rs` and the `identifiers`
//! fuzz target: every `*Ref` / `*Id` constructor, used in a real call
//! through a canned transport, is either refused before anything is sent
//! ([`Error::InvalidInput`]) or reaches the server as exactly one
//! percent-encoded path segment that decodes back to the value.
#![allow(dead_code)]

use opsgenie_users::scim::{ScimClient, ScimGroupId, ScimUserId};
use opsgenie_users::{
    Client, ContactId, CustomRoleId, CustomRoleRef, Error, EscalationId, EscalationRef,
    ForwardingRuleId, ForwardingRuleRef, RotationId, ScheduleId, ScheduleRef, TeamId, TeamRef,
    TeamRoleId, TeamRoleRef, UserId, UserRef, Username,
};

/// Each way of naming something in a path.
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    UserId,
    Username,
    UserFromStr,
    TeamId,
    TeamName,
    CustomRoleId,
    CustomRoleName,
    TeamRoleId,
    TeamRoleName,
    ScheduleId,
    ScheduleName,
    RotationId,
    EscalationId,
    EscalationName,
    ForwardingRuleId,
    ForwardingRuleAlias,
    ContactId,
    ScimUserId,
    ScimGroupId,
}

pub const KINDS: &[IdKind] = &[
    IdKind::UserId,
    IdKind::Username,
    IdKind::UserFromStr,
    IdKind::TeamId,
    IdKind::TeamName,
    IdKind::CustomRoleId,
    IdKind::CustomRoleName,
    IdKind::TeamRoleId,
    IdKind::TeamRoleName,
    IdKind::ScheduleId,
    IdKind::ScheduleName,
    IdKind::RotationId,
    IdKind::EscalationId,
    IdKind::EscalationName,
    IdKind::ForwardingRuleId,
    IdKind::ForwardingRuleAlias,
    IdKind::ContactId,
    IdKind::ScimUserId,
    IdKind::ScimGroupId,
];

/// A value every kind accepts, to find where the identifier goes in the path.
pub const REFERENCE: &str = "ref-0x1";

impl IdKind {
    /// Sends the one call that puts `v` in its path.
    pub async fn call(self, c: &Client, s: &ScimClient, v: &str) -> Result<(), Error> {
        use IdKind as K;
        let v = v.to_string();
        match self {
            K::UserId => c.users().get(UserRef::Id(UserId::new(v))).await.map(drop),
            K::Username => c
                .users()
                .get(UserRef::Username(Username::new(v)))
                .await
                .map(drop),
            K::UserFromStr => c.users().get(v.as_str()).await.map(drop),
            K::TeamId => c.teams().get(TeamRef::id(TeamId::new(v))).await.map(drop),
            K::TeamName => c.teams().get(TeamRef::name(v)).await.map(drop),
            K::CustomRoleId => c
                .roles()
                .get(CustomRoleRef::id(CustomRoleId::new(v)))
                .await
                .map(drop),
            K::CustomRoleName => c.roles().get(CustomRoleRef::name(v)).await.map(drop),
            K::TeamRoleId => c
                .teams()
                .roles(TeamRef::id("t-1"))
                .get(TeamRoleRef::id(TeamRoleId::new(v)))
                .await
                .map(drop),
            K::TeamRoleName => c
                .teams()
                .roles(TeamRef::id("t-1"))
                .get(TeamRoleRef::name(v))
                .await
                .map(drop),
            K::ScheduleId => c
                .schedules()
                .rotations(ScheduleRef::id(ScheduleId::new(v)))
                .list()
                .await
                .map(drop),
            K::ScheduleName => c
                .schedules()
                .rotations(ScheduleRef::name(v))
                .list()
                .await
                .map(drop),
            K::RotationId => c
                .schedules()
                .rotations(ScheduleRef::id("s-1"))
                .get(RotationId::new(v))
                .await
                .map(drop),
            K::EscalationId => c
                .escalations()
                .get(EscalationRef::id(EscalationId::new(v)))
                .await
                .map(drop),
            K::EscalationName => c.escalations().get(EscalationRef::name(v)).await.map(drop),
            K::ForwardingRuleId => c
                .forwarding_rules()
                .get(ForwardingRuleRef::id(ForwardingRuleId::new(v)))
                .await
                .map(drop),
            K::ForwardingRuleAlias => c
                .forwarding_rules()
                .get(ForwardingRuleRef::alias(v))
                .await
                .map(drop),
            K::ContactId => c
                .contacts(UserRef::id("u-1"))
                .get(ContactId::new(v))
                .await
                .map(drop),
            K::ScimUserId => s.users().get(ScimUserId::new(v)).await.map(drop),
            K::ScimGroupId => s.groups().get(ScimGroupId::new(v)).await.map(drop),
        }
    }
}

/// Whether an identifier may go into a path, written independently of the
/// SDK: not blank, no control character, at most 512 bytes, not `.`/`..`.
pub fn acceptable(v: &str) -> bool {
    !v.trim().is_empty()
        && !v.chars().any(char::is_control)
        && v.len() <= 512
        && v != "."
        && v != ".."
}

/// Checks that the encoded segment holds only unreserved characters, `@`
/// and well-formed escapes, and decodes to `v`.
pub fn check_segment(seg: &str, v: &str) -> Result<(), String> {
    let b = seg.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return Err(format!("bad escape in {seg:?}"));
            }
            i += 3;
        } else if b[i].is_ascii_alphanumeric() || b"-._~@".contains(&b[i]) {
            i += 1;
        } else {
            return Err(format!("{:?} left raw in {seg:?}", b[i] as char));
        }
    }
    let decoded = percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .map_err(|e| format!("{seg:?} is not UTF-8 once decoded: {e}"))?;
    if decoded != v {
        return Err(format!("{seg:?} decodes to {decoded:?}, not {v:?}"));
    }
    Ok(())
}

/// Compares the URI sent for `v` with the one sent for [`REFERENCE`]: same
/// segments and query, except the identifier's one segment, which must be
/// `v` encoded.
pub fn check_uri(reference: &str, sent: &str, v: &str) -> Result<(), String> {
    let parse = |u: &str| url::Url::parse(u).map_err(|e| format!("{u:?}: {e}"));
    let (r, s) = (parse(reference)?, parse(sent)?);
    let rs: Vec<&str> = r.path_segments().map(|p| p.collect()).unwrap_or_default();
    let ss: Vec<&str> = s.path_segments().map(|p| p.collect()).unwrap_or_default();
    if rs.len() != ss.len() {
        return Err(format!("{sent:?} has not the segments of {reference:?}"));
    }
    let at = rs
        .iter()
        .position(|x| *x == REFERENCE)
        .ok_or_else(|| format!("{REFERENCE} not in {reference:?}"))?;
    for (i, (a, b)) in rs.iter().zip(&ss).enumerate() {
        if i != at && a != b {
            return Err(format!("segment {i} of {sent:?} changed ({a:?} -> {b:?})"));
        }
    }
    check_segment(ss[at], v)?;
    if r.query() != s.query() {
        return Err(format!("query of {sent:?} is not that of {reference:?}"));
    }
    Ok(())
}

/// The Atlassian SCIM base URL for a directory id: refused, or one segment.
pub fn check_atlassian_base_url(v: &str) -> Result<(), String> {
    match ScimClient::atlassian_base_url(v) {
        Err(Error::InvalidInput(_)) if !acceptable(v) => Ok(()),
        Err(e) => Err(format!("directory id {v:?} refused: {e}")),
        Ok(_) if !acceptable(v) => Err(format!("directory id {v:?} accepted")),
        Ok(u) => {
            let url = url::Url::parse(&u).map_err(|e| format!("{u:?}: {e}"))?;
            let segs: Vec<&str> = url.path_segments().map(|p| p.collect()).unwrap_or_default();
            match segs.as_slice() {
                ["scim", "directory", seg] => check_segment(seg, v),
                _ => Err(format!("{u:?} is not /scim/directory/<one segment>")),
            }
        }
    }
}
