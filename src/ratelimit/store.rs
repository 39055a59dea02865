//! Where bucket state lives, apart from the algorithm that changes it.

use std::collections::HashMap;
use std::sync::Mutex;

use super::bucket::BucketState;
use super::BucketKey;

/// Holds the [`BucketState`] of every bucket. The [`AdaptiveLimiter`](super::AdaptiveLimiter)
/// only reads and changes state through this trait; [`InMemoryStore`] is the
/// one store.
///
/// `update` must run `f` atomically with respect to other updates of the same
/// key (a lock, a transaction): the limiter reserves slots inside it.
pub(crate) trait LimiterStore: Send + Sync + 'static {
    /// Runs `f` on `key`'s state, first creating it with `init` if missing.
    fn update(
        &self,
        key: &BucketKey,
        init: &dyn Fn() -> BucketState,
        f: &mut dyn FnMut(&mut BucketState),
    );

    /// A copy of every bucket's state.
    fn snapshot(&self) -> Vec<(BucketKey, BucketState)>;
}

/// The default store: a map behind a mutex, local to this process.
#[derive(Debug, Default)]
pub(crate) struct InMemoryStore {
    buckets: Mutex<HashMap<BucketKey, BucketState>>,
}

impl LimiterStore for InMemoryStore {
    fn update(
        &self,
        key: &BucketKey,
        init: &dyn Fn() -> BucketState,
        f: &mut dyn FnMut(&mut BucketState),
    ) {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = map.get_mut(key) {
            f(state);
        } else {
            let mut state = init();
            f(&mut state);
            map.insert(key.clone(), state);
        }
    }

    fn snapshot(&self) -> Vec<(BucketKey, BucketState)> {
        let map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = map.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
        v.sort_by(|a, b| {
            (a.0.domain, &a.0.base_url, a.0.credential).cmp(&(
                b.0.domain,
                &b.0.base_url,
                b.0.credential,
            ))
        });
        v
    }
}
