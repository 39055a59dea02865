//! Listing and searching: one page, or a lazy [`Stream`] over all of them.

use std::collections::HashSet;
use std::future::IntoFuture;
use std::marker::PhantomData;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt};
use http::Method;

use super::client::ScimClient;
use super::filter::Filter;
use super::models::ListResponse;
use super::resource::ScimResource;
use crate::error::{Error, Result};
use crate::models::common::SortOrder;
use crate::pagination::MAX_PAGE_SIZE;

/// A list or search of `T` (`GET /Users?filter=...&startIndex=...&count=...`).
///
/// Awaiting the builder fetches one page; [`stream`](Self::stream) walks all
/// pages lazily, `count` (1 to [`MAX_PAGE_SIZE`], the same bound as REST
/// lists; anything else is refused before sending) at a time, and stops when `totalResults` is
/// reached, a page is empty, or the server stops advancing (a page holding
/// only resources already seen). When the server answers with a
/// `nextCursor` (RFC 9865), the stream follows the cursor instead.
///
/// ```no_run
/// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
/// use futures::TryStreamExt;
/// use opsgenie_users::scim::Filter;
/// let mut users = scim.users().list().count(50).stream();
/// while let Some(user) = users.try_next().await? {
///     println!("{} active={:?}", user.user_name, user.active);
/// }
/// let page = scim.users().list().filter(Filter::user_name_eq("jane@example.com")).await?;
/// println!("{} match", page.total_results.unwrap_or(0));
/// # Ok(()) }
/// ```
#[must_use = "a list does nothing until awaited or streamed"]
pub struct ScimList<T> {
    client: ScimClient,
    filter: Option<Filter>,
    count: u32,
    start_index: u64,
    attributes: Vec<String>,
    excluded_attributes: Vec<String>,
    sort_by: Option<String>,
    sort_order: Option<SortOrder>,
    cursor: bool,
    _t: PhantomData<fn() -> T>,
}

impl<T: ScimResource> ScimList<T> {
    pub(crate) fn new(client: ScimClient) -> Self {
        ScimList {
            client,
            filter: None,
            count: MAX_PAGE_SIZE,
            start_index: 1,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
            sort_by: None,
            sort_order: None,
            cursor: false,
            _t: PhantomData,
        }
    }

    /// Only resources matching `filter`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Page size, 1 to [`MAX_PAGE_SIZE`] (default 100, Atlassian's maximum).
    /// Any other value makes the call fail with [`Error::InvalidInput`]
    /// before anything is sent.
    pub fn count(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// 1-based index of the first resource (default 1).
    pub fn start_index(mut self, index: u64) -> Self {
        self.start_index = index.max(1);
        self
    }

    /// Return only these attributes (plus `id`).
    pub fn attributes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.attributes = attrs.into_iter().map(Into::into).collect();
        self
    }

    /// Leave these attributes out (e.g. `members` of big groups).
    pub fn excluded_attributes<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        attrs: I,
    ) -> Self {
        self.excluded_attributes = attrs.into_iter().map(Into::into).collect();
        self
    }

    /// Sort by an attribute (servers that support sorting).
    pub fn sort_by(mut self, attr: impl Into<String>, order: SortOrder) -> Self {
        self.sort_by = Some(attr.into());
        self.sort_order = Some(order);
        self
    }

    /// Ask for cursor paging (RFC 9865: the first request carries an empty
    /// `cursor`). Without it, a `nextCursor` the server sends anyway is still followed.
    pub fn cursor_paging(mut self, yes: bool) -> Self {
        self.cursor = yes;
        self
    }

    fn request(&self, position: &Position) -> crate::request::ApiRequest {
        let mut req = self
            .client
            .request(Method::GET)
            .path(T::ENDPOINT)
            .query("count", self.count);
        if !(1..=MAX_PAGE_SIZE).contains(&self.count) {
            req = req.invalid(format!(
                "count must be between 1 and {MAX_PAGE_SIZE}, got {}",
                self.count
            ));
        }
        match position {
            Position::Index(i) => {
                req = req.query("startIndex", i);
                if self.cursor && *i == self.start_index {
                    req = req.query("cursor", "");
                }
            }
            Position::Cursor(c) => req = req.query("cursor", c),
        }
        if let Some(f) = &self.filter {
            if let Some(reason) = f.invalid_reason() {
                req = req.invalid(reason.to_string());
            }
            req = req.query("filter", f.as_str());
        }
        if !self.attributes.is_empty() {
            req = req.query("attributes", self.attributes.join(","));
        }
        if !self.excluded_attributes.is_empty() {
            req = req.query("excludedAttributes", self.excluded_attributes.join(","));
        }
        if let Some(s) = &self.sort_by {
            req = req.query("sortBy", s);
        }
        if let Some(o) = self.sort_order {
            req = req.query(
                "sortOrder",
                match o {
                    SortOrder::Asc => "ascending",
                    SortOrder::Desc => "descending",
                },
            );
        }
        req
    }

    /// Fetches one page (at `start_index`).
    async fn page(self) -> Result<ListResponse<T>> {
        let pos = Position::Index(self.start_index);
        self.client.send(self.request(&pos)).await?.json()
    }

    /// The single match of the filter, if any; more than one match is an
    /// error (lookups by a unique key must not pick one at random).
    pub async fn one(self) -> Result<Option<T>> {
        let what = self
            .filter
            .as_ref()
            .map(|f| format!("SCIM filter `{f}`"))
            .unwrap_or_else(|| format!("listing {}", T::ENDPOINT));
        let page = self.count(2).start_index(1).page().await?;
        let mut v = page.resources;
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.pop()),
            n => Err(Error::InvalidInput(format!(
                "{what} matched {n} resources, expected at most one"
            ))),
        }
    }

    /// Fetches every page and collects the resources.
    pub async fn all(self) -> Result<Vec<T>> {
        use futures::TryStreamExt;
        self.stream().try_collect().await
    }

    /// Every matching resource, page by page, fetched as the stream is polled.
    /// An error ends the stream after being yielded. The stream is boxed
    /// (`Unpin`), so `try_next().await` works without pinning.
    pub fn stream(self) -> BoxStream<'static, Result<T>> {
        let start = Position::Index(self.start_index);
        let state = PageState {
            list: self,
            next: Some(start),
            seen: HashSet::new(),
            last_page: None,
        };
        stream::unfold(state, |mut st| async move {
            let pos = st.next.take()?;
            let page = match st.list.client.send(st.list.request(&pos)).await {
                Ok(resp) => resp.json::<ListResponse<T>>(),
                Err(e) => Err(e),
            };
            let page = match page {
                Ok(p) => p,
                Err(e) => return Some((vec![Err(e)], st)),
            };
            let items = st.advance(&pos, page);
            Some((items.into_iter().map(Ok).collect::<Vec<_>>(), st))
        })
        .flat_map(stream::iter)
        .boxed()
    }
}

enum Position {
    Index(u64),
    Cursor(String),
}

struct PageState<T> {
    list: ScimList<T>,
    next: Option<Position>,
    seen: HashSet<String>,
    /// The resources of the previous page, serialized: a server that
    /// answers the same page again (resources without ids included) ends
    /// the listing.
    last_page: Option<String>,
}

impl<T: ScimResource> PageState<T> {
    /// Keeps the new resources of `page` and decides where the next page is.
    fn advance(&mut self, pos: &Position, page: ListResponse<T>) -> Vec<T> {
        let received = page.resources.len() as u64;
        let this_page = serde_json::to_string(&page.resources).ok();
        if received > 0 && this_page.is_some() && this_page == self.last_page {
            tracing::warn!(
                endpoint = T::ENDPOINT,
                "SCIM server returned the previous page again; stopping"
            );
            return Vec::new();
        }
        self.last_page = this_page;
        let fresh: Vec<T> = page
            .resources
            .into_iter()
            .filter(|r| match r.resource_id() {
                Some(id) => self.seen.insert(id.as_ref().to_string()),
                None => true,
            })
            .collect();
        if received == 0 {
            return fresh;
        }
        if fresh.is_empty() {
            tracing::warn!(
                endpoint = T::ENDPOINT,
                "SCIM server returned a page of resources already seen; stopping"
            );
            return fresh;
        }
        self.next = match (pos, page.next_cursor) {
            (Position::Cursor(prev), Some(c)) if *prev == c => None,
            (_, Some(c)) if !c.is_empty() => Some(Position::Cursor(c)),
            (Position::Cursor(_), _) => None,
            (Position::Index(requested), _) => {
                let first = page.start_index.unwrap_or(*requested).max(1);
                // A `startIndex` near u64::MAX (a hostile or broken server)
                // ends the listing instead of overflowing.
                match (first.checked_add(received), page.total_results) {
                    (None, _) => None,
                    (Some(next), Some(total)) if next > total => None,
                    (Some(next), _) if next <= *requested => None,
                    (Some(next), _) => Some(Position::Index(next)),
                }
            }
        };
        fresh
    }
}

impl<T: ScimResource> IntoFuture for ScimList<T> {
    type Output = Result<ListResponse<T>>;
    type IntoFuture = BoxFuture<'static, Result<ListResponse<T>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.page())
    }
}

impl<T> std::fmt::Debug for ScimList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimList")
            .field("filter", &self.filter)
            .field("count", &self.count)
            .field("start_index", &self.start_index)
            .finish_non_exhaustive()
    }
}
