//! A bounded cache whose entries expire under the caller's clock.
//!
//! Entries carry an absolute expiry computed from the TTL at insertion; a
//! lookup at or after it finds nothing (and drops the entry). When the cache
//! is full, expired entries go first and then the entry closest to expiring:
//! it is the one whose loss costs least, since it would have to be fetched
//! again soonest anyway. Both the map and the expiry index are ordered
//! trees, so every operation is `O(log n)` and the memory is bounded by the
//! capacity.

use std::collections::{BTreeMap, BTreeSet};

use strata_core::time::{Duration, Instant};

#[derive(Debug)]
struct Slot<V> {
    value: V,
    expires: Instant,
}

/// Maps keys to values until their TTL runs out, holding at most
/// `capacity` entries.
#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    capacity: usize,
    entries: BTreeMap<K, Slot<V>>,
    by_expiry: BTreeSet<(Instant, K)>,
}

impl<K: Ord + Clone, V> Cache<K, V> {
    /// An empty cache for at most `capacity` entries (0 disables caching).
    pub(crate) fn new(capacity: usize) -> Self {
        Cache {
            capacity,
            entries: BTreeMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    /// How many entries are stored, expired ones included until they are
    /// noticed.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Stores `value` under `key` for `ttl` from `now`, replacing what was
    /// there. A zero TTL means "use once, do not cache" (RFC 1035 3.2.1).
    pub(crate) fn insert(&mut self, now: Instant, key: K, value: V, ttl: Duration) {
        if self.capacity == 0 || ttl == Duration::ZERO {
            return;
        }
        self.remove(&key);
        if self.entries.len() >= self.capacity {
            self.purge_expired(now);
        }
        while self.entries.len() >= self.capacity {
            let Some((_, victim)) = self.by_expiry.pop_first() else {
                break;
            };
            self.entries.remove(&victim);
        }
        let expires = now + ttl;
        self.by_expiry.insert((expires, key.clone()));
        self.entries.insert(key, Slot { value, expires });
    }

    /// The value under `key` and how long it stays valid, unless absent or
    /// expired at `now`.
    pub(crate) fn get(&mut self, now: Instant, key: &K) -> Option<(&V, Duration)> {
        let expires = self.entries.get(key)?.expires;
        if expires <= now {
            self.remove(key);
            return None;
        }
        self.entries
            .get(key)
            .map(|slot| (&slot.value, expires.saturating_duration_since(now)))
    }

    /// Drops `key`'s entry, if any.
    pub(crate) fn remove(&mut self, key: &K) {
        if let Some(slot) = self.entries.remove(key) {
            self.by_expiry.remove(&(slot.expires, key.clone()));
        }
    }

    /// Drops every entry expired at `now`.
    pub(crate) fn purge_expired(&mut self, now: Instant) {
        while let Some((expires, _)) = self.by_expiry.first() {
            if *expires > now {
                break;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.by_expiry.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: u64) -> Instant {
        Instant::ZERO + Duration::from_secs(secs)
    }

    #[test]
    fn entries_expire_under_the_given_clock() {
        let mut c: Cache<&str, u32> = Cache::new(4);
        c.insert(t(0), "a", 1, Duration::from_secs(10));
        assert_eq!(c.get(t(3), &"a"), Some((&1, Duration::from_secs(7))));
        assert_eq!(c.get(t(10), &"a"), None);
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn zero_ttl_and_zero_capacity_store_nothing() {
        let mut c: Cache<&str, u32> = Cache::new(4);
        c.insert(t(0), "a", 1, Duration::ZERO);
        assert_eq!(c.len(), 0);
        let mut c: Cache<&str, u32> = Cache::new(0);
        c.insert(t(0), "a", 1, Duration::from_secs(1));
        assert_eq!(c.len(), 0);
    }

    #[test]
    fn replacing_updates_value_and_expiry() {
        let mut c: Cache<&str, u32> = Cache::new(2);
        c.insert(t(0), "a", 1, Duration::from_secs(5));
        c.insert(t(0), "a", 2, Duration::from_secs(50));
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(t(20), &"a").map(|(v, _)| *v), Some(2));
    }

    #[test]
    fn full_cache_evicts_expired_then_soonest_expiring() {
        let mut c: Cache<u32, u32> = Cache::new(3);
        c.insert(t(0), 1, 1, Duration::from_secs(100));
        c.insert(t(0), 2, 2, Duration::from_secs(5));
        c.insert(t(0), 3, 3, Duration::from_secs(50));
        // Full, nothing expired: key 2 expires first and goes.
        c.insert(t(1), 4, 4, Duration::from_secs(60));
        assert_eq!(c.len(), 3);
        assert!(c.get(t(1), &2).is_none());
        assert!(c.get(t(1), &1).is_some());
        // At t=55 key 3 has expired: it goes, though key 4 expires sooner
        // than key 1.
        c.insert(t(55), 5, 5, Duration::from_secs(1000));
        assert_eq!(c.len(), 3);
        assert!(c.get(t(55), &4).is_some());
        assert!(c.get(t(55), &1).is_some());
        c.purge_expired(t(10_000));
        assert_eq!(c.len(), 0);
        c.insert(t(0), 9, 9, Duration::from_secs(1));
        c.clear();
        assert_eq!(c.len(), 0);
    }
}
