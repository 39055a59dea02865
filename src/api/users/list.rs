//! List Users (`GET /v2/users`, rate-limit domain **Search**): one page, a
//! stream of users, or a stream of pages.

use std::future::IntoFuture;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::models::common::SortOrder;
use crate::models::user::User;
use crate::pagination::{self, Page, PageFetcher, Paginated, MAX_PAGE_SIZE};
use crate::ratelimit::Domain;
use crate::request::ApiRequest;
use crate::Client;

/// Sort field of List Users.
///
/// The official spec names the query parameter `sortField`; the live API
/// (and Opsgenie's own Go SDK) use `sort`, which is what this crate sends.
///
/// ```
/// assert_eq!(opsgenie_users::api::users::UserSort::InsertedAt.as_str(), "insertedAt");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserSort {
    /// `username`.
    Username,
    /// `fullName`.
    FullName,
    /// `insertedAt` (creation time).
    InsertedAt,
}

impl UserSort {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Username => "username",
            UserSort::FullName => "fullName",
            UserSort::InsertedAt => "insertedAt",
        }
    }
}

#[derive(Debug, Clone)]
struct ListParams {
    offset: u32,
    limit: u32,
    sort: Option<UserSort>,
    order: Option<SortOrder>,
    query: Option<String>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            offset: 0,
            limit: MAX_PAGE_SIZE,
            sort: None,
            order: None,
            query: None,
        }
    }
}

impl ListParams {
    fn request(&self, offset: u32, limit: u32) -> ApiRequest {
        let mut req = ApiRequest::get(Domain::Search)
            .path("v2/users")
            .query("offset", offset)
            .query("limit", limit)
            // The spec says `sortField`; the live API reads `sort`.
            .query_opt("sort", self.sort.map(UserSort::as_str))
            .query_opt("order", self.order.map(SortOrder::as_str))
            .query_opt("query", self.query.as_deref());
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            req = req.invalid(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}"
            ));
        }
        req
    }
}

/// Builder of List Users (`GET /v2/users`, rate-limit domain **Search**).
///
/// `limit` is always sent (default 100, the maximum; the guides say the
/// server's default is 20, the spec says 100) and validated to `1..=100`
/// before anything is sent.
///
/// ```no_run
/// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
/// use futures::TryStreamExt;
/// let mut admins = client.users().list().query("role:admin").stream();
/// while let Some(u) = admins.try_next().await? {
///     println!("{}", u.username);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a ListUsers does nothing until awaited or streamed"]
pub struct ListUsers {
    client: Client,
    params: ListParams,
}

impl ListUsers {
    pub(super) fn new(client: Client) -> Self {
        ListUsers {
            client,
            params: ListParams::default(),
        }
    }

    /// Users to skip (default 0).
    pub fn offset(mut self, offset: u32) -> Self {
        self.params.offset = offset;
        self
    }
    /// Page size, 1 to 100 (default 100). Out of range fails with
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) before sending.
    pub fn limit(mut self, limit: u32) -> Self {
        self.params.limit = limit;
        self
    }
    /// Sort field (sent as `sort`, see [`UserSort`]).
    pub fn sort(mut self, sort: UserSort) -> Self {
        self.params.sort = Some(sort);
        self
    }
    /// Sort direction.
    pub fn order(mut self, order: SortOrder) -> Self {
        self.params.order = Some(order);
        self
    }
    /// A search such as `role:admin`, `username:jane@example.com`, `blocked:true`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.params.query = Some(query.into());
        self
    }

    /// Fetches one page (what awaiting the builder does).
    async fn send(self) -> Result<Page<User>> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        let req = self.params.request(offset, limit);
        pagination::fetch_page(&self.client, req, offset, limit).await
    }

    fn fetcher(self) -> PageFetcher<User> {
        let client = self.client;
        let params = Arc::new(self.params);
        Arc::new(move |offset, limit| {
            let client = client.clone();
            let req = params.request(offset, limit);
            Box::pin(async move { pagination::fetch_page(&client, req, offset, limit).await })
        })
    }

    /// All users from `offset` on, one page in memory at a time.
    pub fn stream(self) -> Paginated<User> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        Paginated::from_fetcher(self.fetcher(), offset, limit)
    }

    /// All pages from `offset` on, lazily (each [`Page`] carries `totalCount`).
    pub fn pages(self) -> BoxStream<'static, Result<Page<User>>> {
        let (offset, limit) = (self.params.offset, self.params.limit);
        pagination::pages(self.fetcher(), offset, limit)
    }
}

impl IntoFuture for ListUsers {
    type Output = Result<Page<User>>;
    type IntoFuture = BoxFuture<'static, Result<Page<User>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_request_validates_limit_and_names_sort_sort() {
        let p = ListParams {
            sort: Some(UserSort::FullName),
            order: Some(SortOrder::Desc),
            query: Some("role:admin".into()),
            ..ListParams::default()
        };
        let r = p.request(0, 100);
        assert_eq!(r.domain(), Domain::Search);
        let q: Vec<(&str, &str)> = r
            .query_pairs()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            vec![
                ("offset", "0"),
                ("limit", "100"),
                ("sort", "fullName"),
                ("order", "desc"),
                ("query", "role:admin")
            ]
        );
        assert!(p.request(0, 0).invalid.is_some());
        assert!(p.request(0, 101).invalid.is_some());
        assert!(p.request(0, 1).invalid.is_none());
    }
}
