//! Typed identifiers of the Atlassian platform. Each is validated and
//! percent-encoded as exactly one path segment when a request is built,
//! like the Opsgenie ids ([`crate::ids`]).

use std::fmt;

use crate::ids::{string_id, PathSegment};

string_id!(
    /// An Atlassian account id (`accountId`), the key of a person on every
    /// Atlassian API, e.g. `712020:6a1c...` or a 24-hex legacy id. Opsgenie
    /// user ids and usernames do not carry over: match people by e-mail.
    AccountId, "account id"
);
string_id!(
    /// An organization id (Atlassian Administration URL, or shown when an
    /// organization API key is created).
    OrgId, "organization id"
);
string_id!(
    /// A user directory of an organization (`GET /admin/v2/orgs/{orgId}/directories`).
    DirectoryId, "directory id"
);
string_id!(
    /// A group of a directory.
    GroupId, "group id"
);
string_id!(
    /// A platform team id (a UUID): the id of an Atlassian team in the Teams
    /// API, and the `teamId` of the same team in JSM Operations once
    /// Operations is enabled for it. Opsgenie team ids do not carry over.
    PlatformTeamId, "team id"
);
string_id!(
    /// A Jira site's cloud id (`https://{site}.atlassian.net/_edge/tenant_info`).
    CloudId, "cloud id"
);
string_id!(
    /// A JSM Operations schedule id.
    OpsScheduleId, "schedule id"
);
string_id!(
    /// A JSM Operations schedule rotation id.
    OpsRotationId, "rotation id"
);
string_id!(
    /// A JSM Operations escalation id (escalations live under a team).
    OpsEscalationId, "escalation id"
);
string_id!(
    /// A JSM Operations custom user role identifier (its id).
    OpsRoleId, "role id"
);
string_id!(
    /// A JSM Operations team role identifier (its id).
    OpsTeamRoleId, "team role id"
);
string_id!(
    /// A JSM Operations forwarding rule id.
    OpsForwardingRuleId, "forwarding rule id"
);

impl PlatformTeamId {
    /// True when the id has the shape of a UUID (8-4-4-4-12 hex digits),
    /// the shape platform team ids have.
    ///
    /// ```
    /// use opsgenie_users::atlassian::PlatformTeamId;
    /// assert!(PlatformTeamId::new("0a1b2c3d-4e5f-6789-abcd-ef0123456789").is_uuid());
    /// assert!(!PlatformTeamId::new("sre").is_uuid());
    /// ```
    pub fn is_uuid(&self) -> bool {
        let parts: Vec<&str> = self.0.split('-').collect();
        parts.len() == 5
            && parts
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
    }
}
