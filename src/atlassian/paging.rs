//! Paging of the three APIs, each with its own scheme, behind one shape: a
//! call returns a [`CursorPage`] and its `stream()` a lazy
//! [`ItemStream`] of every item.
//!
//! * Admin API: `cursor` and `limit` query parameters; the answer's
//!   `links.next` is the next cursor.
//! * Teams API: teams with `cursor`/`size` query parameters and the
//!   answer's `cursor`; members with `{first, after}` in the body and the
//!   answer's `pageInfo.endCursor`/`hasNextPage` (Relay style).
//! * JSM Operations: `offset`/`size` query parameters; the answer's
//!   `links.next` URL is never followed: only its `offset` is read.
//!
//! A stream stops when there is no next cursor, when a cursor repeats (a
//! server repeating itself cannot make it loop), and after yielding an error.

use std::collections::HashSet;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};

use crate::error::Result;

/// A lazily fetched stream of items across pages.
pub type ItemStream<T> = BoxStream<'static, Result<T>>;

/// One page: its items and the cursor of the next page (`None`: last page).
///
/// ```
/// use opsgenie_users::atlassian::CursorPage;
/// let page = CursorPage::new(vec![1, 2], Some("c2".to_string()));
/// assert!(page.has_next());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CursorPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// The next page's cursor (for JSM Operations, its offset).
    pub next: Option<String>,
}

impl<T> CursorPage<T> {
    /// A page.
    pub fn new(items: Vec<T>, next: Option<String>) -> Self {
        CursorPage { items, next }
    }

    /// True when another page follows.
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }
}

pub(crate) type Fetch<T> =
    Box<dyn Fn(Option<String>) -> BoxFuture<'static, Result<CursorPage<T>>> + Send + Sync>;

/// Streams every item, starting at `start`, fetching with `fetch`.
pub(crate) fn stream_items<T: Send + 'static>(
    start: Option<String>,
    fetch: Fetch<T>,
) -> ItemStream<T> {
    struct St<T> {
        fetch: Fetch<T>,
        cursor: Option<String>,
        seen: HashSet<String>,
    }
    let st = St {
        fetch,
        cursor: start,
        seen: HashSet::new(),
    };
    stream::try_unfold(Some(st), |state| async move {
        let Some(mut st) = state else {
            return Ok::<_, crate::Error>(None);
        };
        let page = (st.fetch)(st.cursor.take()).await?;
        let next = page
            .next
            .filter(|c| !c.is_empty() && st.seen.insert(c.clone()));
        let rest = match next {
            Some(c) => {
                st.cursor = Some(c);
                Some(st)
            }
            None => None,
        };
        Ok(Some((page.items, rest)))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

/// The `offset` query parameter of a JSM `links.next` URL (relative or
/// absolute); its host and path are ignored.
pub(crate) fn offset_of(next: &str) -> Option<String> {
    let query = next.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "offset")
        .map(|(_, v)| v.into_owned())
        .filter(|v| v.parse::<u64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn stops_on_last_page_and_on_a_repeated_cursor() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let fetch: Fetch<u32> = Box::new(move |cursor| {
            c.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                Ok(match cursor.as_deref() {
                    None => CursorPage::new(vec![1, 2], Some("a".into())),
                    Some("a") => CursorPage::new(vec![3], Some("b".into())),
                    // A server that keeps answering "a" again.
                    _ => CursorPage::new(vec![4], Some("a".into())),
                })
            })
        });
        let all: Vec<u32> = stream_items(None, fetch).try_collect().await.unwrap();
        assert_eq!(all, vec![1, 2, 3, 4]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn offsets_are_read_from_next_links_only() {
        assert_eq!(
            offset_of("https://evil.example/v1/teams?size=50&offset=100").as_deref(),
            Some("100")
        );
        assert_eq!(offset_of("/v1/teams?offset=x"), None);
        assert_eq!(offset_of("/v1/teams"), None);
    }
}
