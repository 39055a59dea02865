//! Paginating streams over list calls.
//!
//! A list call returns one [`Page`]; its builder's `stream()` returns a
//! [`Paginated`] stream of items that fetches pages lazily, one at a time
//! (only the current page is held in memory). The next page is found by:
//!
//! 1. the `paging.next` link of the answer: only its `offset` and `limit`
//!    query parameters are used, its host and path are never followed (a
//!    link without a readable offset falls back to offset arithmetic,
//!    bounded by `totalCount`);
//! 2. offset arithmetic (`offset + items`) when the answer has no `paging`
//!    object at all, stopping at a short page or at `totalCount`.
//!
//! The stream ends on an empty page, on a page whose `paging` has no `next`,
//! and when the next offset would not move forward (a server repeating its
//! `next` link cannot make it loop). A failed page ends the stream after
//! yielding the error.
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use futures::TryStreamExt;
//! let mut users = client.users().list().limit(100).stream();
//! while let Some(user) = users.try_next().await? {
//!     println!("{} of {:?}: {}", user.username, users.total_count(), user.id);
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::Result;
use crate::models::common::Paging;
use crate::request::ApiRequest;
use crate::Client;

/// The largest page Opsgenie serves.
pub const MAX_PAGE_SIZE: u32 = 100;

/// One page of a list answer.
///
/// ```
/// use opsgenie_users::pagination::Page;
/// let p: Page<u32> = Page::new(vec![1, 2], 0, 2);
/// assert_eq!(p.next_position(), Some((2, 2)));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// `totalCount` as the server reported it for this page.
    pub total_count: Option<u64>,
    /// The paging links, when the answer had a `paging` object.
    pub paging: Option<Paging>,
    /// The offset this page was requested with.
    pub offset: u32,
    /// The limit this page was requested with.
    pub limit: u32,
    /// The answer's `requestId`.
    pub request_id: Option<String>,
}

impl<T> Page<T> {
    /// A page without paging links or total (offset arithmetic applies).
    pub fn new(items: Vec<T>, offset: u32, limit: u32) -> Self {
        Page {
            items,
            total_count: None,
            paging: None,
            offset,
            limit,
            request_id: None,
        }
    }

    /// Where the next page starts, `(offset, limit)`, or `None` when this is
    /// the last page (see the [module docs](self) for the rules). Does not
    /// check for repetition: [`Paginated`] does that across pages.
    pub fn next_position(&self) -> Option<(u32, u32)> {
        let len = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        if len == 0 {
            return None;
        }
        let arithmetic = self.offset.saturating_add(len);
        match &self.paging {
            Some(paging) => {
                let (offset, limit) = paging.next_offset_limit()?;
                let limit = limit
                    .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
                    .unwrap_or(self.limit);
                match offset {
                    Some(offset) => Some((offset, limit)),
                    // A `next` link without a readable offset: arithmetic,
                    // bounded by totalCount when the server sent one.
                    None if self.total_count.is_some_and(|t| u64::from(arithmetic) >= t) => None,
                    None => Some((arithmetic, limit)),
                }
            }
            None => {
                if len < self.limit {
                    return None;
                }
                if self.total_count.is_some_and(|t| u64::from(arithmetic) >= t) {
                    return None;
                }
                Some((arithmetic, self.limit))
            }
        }
    }
}

/// The standard list envelope: `{"data": [...], "totalCount": n, "paging": {...}, "requestId": ...}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListEnvelope<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    total_count: Option<i64>,
    #[serde(default)]
    paging: Option<Paging>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Sends `req` (which must already carry its `offset`/`limit` query) and
/// decodes the standard list envelope into a [`Page`].
pub(crate) async fn fetch_page<T: DeserializeOwned>(
    client: &Client,
    req: ApiRequest,
    offset: u32,
    limit: u32,
) -> Result<Page<T>> {
    let resp = client.send(req).await?;
    let env: ListEnvelope<T> = resp.json()?;
    let request_id = env.request_id.or_else(|| resp.request_id());
    Ok(Page {
        items: env.data,
        // A negative total (Prism invents -9007199254740991) means "unknown".
        total_count: env.total_count.and_then(|t| u64::try_from(t).ok()),
        paging: env.paging,
        offset,
        limit,
        request_id,
    })
}

/// Fetches the page at `(offset, limit)`.
pub(crate) type PageFetcher<T> =
    Arc<dyn Fn(u32, u32) -> BoxFuture<'static, Result<Page<T>>> + Send + Sync>;

/// A lazy stream of pages, starting at `(offset, limit)`. Ends after the last
/// page, after an error, or when the next offset does not move forward.
pub(crate) fn pages<T: Send + 'static>(
    fetch: PageFetcher<T>,
    offset: u32,
    limit: u32,
) -> BoxStream<'static, Result<Page<T>>> {
    struct State<T> {
        fetch: PageFetcher<T>,
        next: Option<(u32, u32)>,
    }
    let state = State {
        fetch,
        next: Some((offset, limit)),
    };
    futures::stream::unfold(state, |mut st| async move {
        let (offset, limit) = st.next.take()?;
        match (st.fetch)(offset, limit).await {
            Ok(page) => {
                st.next = page.next_position();
                if let Some((next_offset, _)) = st.next {
                    if next_offset <= offset {
                        tracing::warn!(
                            offset,
                            next_offset,
                            "paging.next does not move forward; stopping"
                        );
                        st.next = None;
                    }
                }
                Some((Ok(page), st))
            }
            Err(e) => Some((Err(e), st)),
        }
    })
    .boxed()
}

/// A stream of items over lazily fetched pages; see the [module docs](self).
///
/// [`total_count`](Self::total_count) reports the server's `totalCount` once
/// the first page has arrived.
pub struct Paginated<T> {
    pages: BoxStream<'static, Result<Page<T>>>,
    buffer: VecDeque<T>,
    total_count: Option<u64>,
    pages_fetched: u32,
    done: bool,
}

impl<T> std::fmt::Debug for Paginated<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paginated")
            .field("buffered", &self.buffer.len())
            .field("total_count", &self.total_count)
            .field("pages_fetched", &self.pages_fetched)
            .field("done", &self.done)
            .finish()
    }
}

// No field is pinned structurally: the page stream is boxed.
impl<T> Unpin for Paginated<T> {}

impl<T: Send + 'static> Paginated<T> {
    /// Items of the pages produced by `pages`.
    pub(crate) fn new(pages: BoxStream<'static, Result<Page<T>>>) -> Self {
        Paginated {
            pages,
            buffer: VecDeque::new(),
            total_count: None,
            pages_fetched: 0,
            done: false,
        }
    }

    /// Items of all pages from `(offset, limit)` on, fetched with `fetch`.
    pub(crate) fn from_fetcher(fetch: PageFetcher<T>, offset: u32, limit: u32) -> Self {
        Self::new(pages(fetch, offset, limit))
    }
}

impl<T> Paginated<T> {
    /// `totalCount` from the most recent page (`None` before the first page
    /// arrives or when the server did not send it).
    pub fn total_count(&self) -> Option<u64> {
        self.total_count
    }

    /// How many pages have been fetched so far.
    pub fn pages_fetched(&self) -> u32 {
        self.pages_fetched
    }
}

impl<T> Stream for Paginated<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match futures::ready!(this.pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => {
                    this.pages_fetched += 1;
                    if page.total_count.is_some() {
                        this.total_count = page.total_count;
                    }
                    this.buffer = page.items.into();
                }
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn with_next(items: Vec<u32>, offset: u32, limit: u32, next: Option<&str>) -> Page<u32> {
        Page {
            paging: Some(Paging {
                next: next.map(str::to_string),
                ..Paging::default()
            }),
            ..Page::new(items, offset, limit)
        }
    }

    #[test]
    fn next_position_rules() {
        // Follows next's offset/limit, ignoring its host.
        let p = with_next(
            vec![1; 3],
            0,
            3,
            Some("https://elsewhere/x?offset=3&limit=3"),
        );
        assert_eq!(p.next_position(), Some((3, 3)));
        // Missing next: last page.
        assert_eq!(with_next(vec![1; 3], 0, 3, None).next_position(), None);
        // Empty page: stop even with next.
        assert_eq!(
            with_next(vec![], 0, 3, Some("?offset=3")).next_position(),
            None
        );
        // next without offset: arithmetic; out-of-range limit: keep ours.
        assert_eq!(
            with_next(vec![1; 2], 4, 2, Some("/v2/users?limit=1000")).next_position(),
            Some((6, 2))
        );
        let mut junk_at_end = with_next(vec![1; 2], 4, 2, Some("string"));
        junk_at_end.total_count = Some(6);
        assert_eq!(junk_at_end.next_position(), None);
        // No paging object: arithmetic until a short page or totalCount.
        assert_eq!(Page::new(vec![1; 2], 0, 2).next_position(), Some((2, 2)));
        assert_eq!(Page::new(vec![1; 1], 0, 2).next_position(), None);
        let mut full = Page::new(vec![1; 2], 2, 2);
        full.total_count = Some(4);
        assert_eq!(full.next_position(), None);
    }

    #[tokio::test]
    async fn repeated_next_terminates() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let fetch: PageFetcher<u32> = Arc::new(move |offset, limit| {
            c.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                Ok(with_next(
                    vec![offset; 2],
                    offset,
                    limit,
                    Some("https://x/v2/users?offset=2&limit=2"),
                ))
            })
        });
        let items: Vec<u32> = Paginated::from_fetcher(fetch, 0, 2)
            .try_collect()
            .await
            .unwrap();
        // Page at 0, page at 2 (whose next says 2 again): stop.
        assert_eq!(items, vec![0, 0, 2, 2]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn error_ends_the_stream_after_yielding_it() {
        let fetch: PageFetcher<u32> = Arc::new(|offset, limit| {
            Box::pin(async move {
                if offset == 0 {
                    Ok(Page::new(vec![1, 2], offset, limit))
                } else {
                    Err(crate::Error::InvalidInput("boom".into()))
                }
            })
        });
        let mut s = Paginated::from_fetcher(fetch, 0, 2);
        assert_eq!(s.try_next().await.unwrap(), Some(1));
        assert_eq!(s.try_next().await.unwrap(), Some(2));
        assert!(s.try_next().await.is_err());
        assert!(s.next().await.is_none());
        assert_eq!(s.pages_fetched(), 1);
    }
}
