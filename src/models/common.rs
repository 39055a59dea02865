//! Envelope types shared by every resource: the answer to a write, paging
//! links, sort order.

use serde::{Deserialize, Serialize};

/// The answer to a write (create, update, delete, add, ...):
/// `{"result": "Created", "data": {"id": "...", "name": "..."}, "took": 0.1, "requestId": "..."}`.
///
/// Some writes (delete) carry no `data`; some answer 202 (accepted, applied
/// asynchronously).
///
/// ```
/// let w: opsgenie_users::models::common::WriteResult = serde_json::from_str(
///     r#"{"result":"Created","data":{"id":"u-1","name":"jane@example.com"},"took":0.2,"requestId":"r-1"}"#,
/// ).unwrap();
/// assert_eq!(w.result, "Created");
/// assert_eq!(w.data.unwrap().id.as_deref(), Some("u-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WriteResult {
    /// `Created`, `Updated`, `Deleted`, `Added`, ... (kept as sent).
    #[serde(default)]
    pub result: String,
    /// The id and name of the entity written, when the server sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<WriteData>,
    /// Server processing time in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took: Option<f64>,
    /// The request id, to quote to Atlassian support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl WriteResult {
    /// The id of the written entity, if the server returned one.
    ///
    /// ```
    /// let w: opsgenie_users::models::common::WriteResult =
    ///     serde_json::from_str(r#"{"result":"Added","data":{"id":"t-1","name":"sre"}}"#).unwrap();
    /// assert_eq!(w.id(), Some("t-1"));
    /// ```
    pub fn id(&self) -> Option<&str> {
        self.data.as_ref().and_then(|d| d.id.as_deref())
    }
}

/// The answer to a create: the new entity's typed id, and what the server
/// said about the write (`result`, `requestId`).
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// use opsgenie_users::models::team::TeamCreate;
/// let created = client.teams().create(TeamCreate::new("payments")).await?;
/// let team = client.teams().get(&created.id).await?; // a TeamId is a TeamRef
/// println!("{} ({:?})", team.name, created.request_id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Created<I> {
    /// The new entity's id.
    pub id: I,
    /// Its name, when the answer carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Created`, ... (kept as sent; empty when the answer had no body).
    pub result: String,
    /// The request id, to quote to Atlassian support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl<I> Created<I> {
    /// A create's answer (mostly for tests and fakes).
    ///
    /// ```
    /// use opsgenie_users::{models::common::Created, TeamId};
    /// let c = Created::new(TeamId::new("t-1"), None, "Created", None);
    /// assert_eq!(c.id, "t-1");
    /// ```
    pub fn new(
        id: I,
        name: Option<String>,
        result: impl Into<String>,
        request_id: Option<String>,
    ) -> Self {
        Created {
            id,
            name,
            result: result.into(),
            request_id,
        }
    }
}

/// `data` of a [`WriteResult`].
///
/// ```
/// let d = opsgenie_users::models::common::WriteData { id: Some("u-1".into()), name: None };
/// assert_eq!(d.id.as_deref(), Some("u-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WriteData {
    /// Id of the entity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name of the entity (a user's username, a team's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Paging links of a list answer. Opsgenie sends absolute URLs; only their
/// `offset` and `limit` query parameters are used (the host is never trusted).
///
/// ```
/// use opsgenie_users::models::common::Paging;
/// let p: Paging = serde_json::from_str(r#"{"next":"https://api.opsgenie.com/v2/users?limit=2&offset=2"}"#).unwrap();
/// assert_eq!(p.next_offset_limit(), Some((Some(2), Some(2))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Paging {
    /// First page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// Next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// Previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

impl Paging {
    /// `offset` and `limit` of the `next` link, read from its query string
    /// (`None` inside when a parameter is missing or not a number; `None`
    /// outside when there is no `next` link at all). A relative link is
    /// accepted too.
    pub fn next_offset_limit(&self) -> Option<(Option<u32>, Option<u32>)> {
        let next = self.next.as_deref()?;
        let url = url::Url::parse(next)
            .or_else(|_| url::Url::parse("http://relative.invalid/")?.join(next))
            .ok();
        let mut offset = None;
        let mut limit = None;
        if let Some(url) = url {
            for (k, v) in url.query_pairs() {
                match k.as_ref() {
                    "offset" => offset = v.trim().parse().ok(),
                    "limit" => limit = v.trim().parse().ok(),
                    _ => {}
                }
            }
        }
        Some((offset, limit))
    }
}

/// Sort direction of a list call (`order=asc|desc`).
///
/// ```
/// assert_eq!(opsgenie_users::models::common::SortOrder::Desc.as_str(), "desc");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending (the server's default).
    Asc,
    /// Descending.
    Desc,
}

impl SortOrder {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl std::fmt::Display for SortOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"id": ..., "name": ...}`: how Opsgenie names an entity it refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EntityRef {
    /// The id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl EntityRef {
    /// A reference with both fields set.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        EntityRef {
            id: Some(id.into()),
            name: Some(name.into()),
        }
    }
}

/// Defines a string-valued enum with known variants and a catch-all that
/// keeps unknown values verbatim, so a value the crate does not know never
/// fails decoding and round-trips unchanged.
macro_rules! open_enum {
    (
        $(#[$m:meta])*
        $name:ident { $( $(#[$vm:meta])* $variant:ident => $wire:literal ),+ $(,)? }
        $(#[$om:meta])* $other:ident
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vm])* $variant, )+
            $(#[$om])*
            $other(String),
        }

        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::$other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )+
                    other => $name::$other(other.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::from(s.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s))
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_parsing_ignores_host_and_tolerates_junk() {
        let p = Paging {
            next: Some("https://evil.example/v2/users?offset=200&limit=100&x=1".into()),
            ..Paging::default()
        };
        assert_eq!(p.next_offset_limit(), Some((Some(200), Some(100))));
        let rel = Paging {
            next: Some("/v2/users?offset=5".into()),
            ..Paging::default()
        };
        assert_eq!(rel.next_offset_limit(), Some((Some(5), None)));
        let junk = Paging {
            next: Some("::not a url?offset=abc".into()),
            ..Paging::default()
        };
        assert_eq!(junk.next_offset_limit(), Some((None, None)));
        assert_eq!(Paging::default().next_offset_limit(), None);
    }

    #[test]
    fn write_result_without_data() {
        let w: WriteResult =
            serde_json::from_str(r#"{"result":"Deleted","took":0.204,"requestId":"abc123"}"#)
                .unwrap();
        assert_eq!(w.result, "Deleted");
        assert!(w.data.is_none());
        assert_eq!(w.request_id.as_deref(), Some("abc123"));
    }
}
