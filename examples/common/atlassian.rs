//! The Atlassian clients of the examples that work on the Jira Service
//! Management side (`migration_check`, `jsm_offboard`), read from the
//! environment:
//!
//! `ATLASSIAN_ORG_ID`, `ATLASSIAN_ADMIN_KEY` (organization API key),
//! `ATLASSIAN_API_URL` (another Admin API host, e.g. a simulator),
//! `ATLASSIAN_DIRECTORY_ID`, `ATLASSIAN_SITE` (the `example` of
//! example.atlassian.net) or `ATLASSIAN_SITE_URL`, `ATLASSIAN_EMAIL` and
//! `ATLASSIAN_API_TOKEN`, `JSM_CLOUD_ID` or `JSM_BASE_URL` (optional here:
//! `jsm` is `None` without them).

use std::error::Error;

use opsgenie_users::atlassian::{AdminClient, JsmOpsClient, TeamsClient};
use opsgenie_users::Client;

type BoxError = Box<dyn Error + Send + Sync>;

/// A required variable (set and not blank).
pub fn env(name: &str) -> Result<String, BoxError> {
    opt_env(name).ok_or_else(|| format!("{name} is not set (or run with --demo)").into())
}

/// An optional variable (`None` when unset or blank).
pub fn opt_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The three Atlassian clients and the directory to work in.
pub struct Clients {
    pub admin: AdminClient,
    /// `ATLASSIAN_DIRECTORY_ID`; `None`: the organization's first directory.
    pub directory: Option<String>,
    pub teams: TeamsClient,
    /// `None` when neither `JSM_CLOUD_ID` nor `JSM_BASE_URL` is set.
    pub jsm: Option<JsmOpsClient>,
}

/// The clients, from the environment; with `shared`, they use that
/// Opsgenie client's transport and limiter.
pub fn from_env(shared: Option<&Client>) -> Result<Clients, BoxError> {
    let org = env("ATLASSIAN_ORG_ID")?;
    let mut admin = AdminClient::builder()
        .org_id(org.as_str())
        .api_key(env("ATLASSIAN_ADMIN_KEY")?);
    if let Some(og) = shared {
        admin = admin.shared_with(og);
    }
    if let Some(url) = opt_env("ATLASSIAN_API_URL") {
        admin = admin.base_url(url);
    }
    let email = env("ATLASSIAN_EMAIL")?;
    let token = env("ATLASSIAN_API_TOKEN")?;
    let mut teams = TeamsClient::builder()
        .org_id(org.as_str())
        .credentials(email.as_str(), token.as_str());
    if let Some(og) = shared {
        teams = teams.shared_with(og);
    }
    teams = match (opt_env("ATLASSIAN_SITE_URL"), opt_env("ATLASSIAN_SITE")) {
        (Some(url), _) => teams.base_url(url),
        (None, Some(site)) => teams.site(&site),
        (None, None) => return Err("ATLASSIAN_SITE or ATLASSIAN_SITE_URL is not set".into()),
    };
    let jsm = match (opt_env("JSM_BASE_URL"), opt_env("JSM_CLOUD_ID")) {
        (Some(url), _) => Some(JsmOpsClient::builder().base_url(url)),
        (None, Some(cloud)) => Some(JsmOpsClient::builder().cloud_id(cloud.as_str())),
        (None, None) => None,
    }
    .map(|b| {
        let b = b.credentials(email.as_str(), token.as_str());
        match shared {
            Some(og) => b.shared_with(og),
            None => b,
        }
        .build()
    })
    .transpose()?;
    Ok(Clients {
        admin: admin.build()?,
        directory: opt_env("ATLASSIAN_DIRECTORY_ID"),
        teams: teams.build()?,
        jsm,
    })
}
