//! The resolver's timer table: one deadline per pending transaction.
//!
//! The next deadline the caller must honour is the table's minimum, so the
//! deadlines are kept ordered; a second map from key to deadline lets a
//! timer be moved or cancelled in `O(log n)` without a scan.

use std::collections::{BTreeMap, BTreeSet};

use strata_core::time::Instant;

/// Deadlines keyed by `K`, at most one per key.
#[derive(Debug)]
pub(crate) struct TimerTable<K> {
    by_key: BTreeMap<K, Instant>,
    ordered: BTreeSet<(Instant, K)>,
}

impl<K: Ord + Copy> TimerTable<K> {
    /// An empty table.
    pub(crate) fn new() -> Self {
        TimerTable {
            by_key: BTreeMap::new(),
            ordered: BTreeSet::new(),
        }
    }

    /// Arms (or re-arms) `key`'s timer for `at`.
    pub(crate) fn set(&mut self, key: K, at: Instant) {
        self.cancel(key);
        self.by_key.insert(key, at);
        self.ordered.insert((at, key));
    }

    /// Disarms `key`'s timer, if armed.
    pub(crate) fn cancel(&mut self, key: K) {
        if let Some(at) = self.by_key.remove(&key) {
            self.ordered.remove(&(at, key));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.ordered.first().map(|(at, _)| *at)
    }

    /// Disarms and returns one timer due at `now`, earliest first.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<K> {
        let (at, key) = *self.ordered.first()?;
        if at > now {
            return None;
        }
        self.ordered.pop_first();
        self.by_key.remove(&key);
        Some(key)
    }

    /// How many timers are armed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_rearm_moves() {
        let mut t = TimerTable::new();
        t.set(1u32, Instant::from_millis(30));
        t.set(2, Instant::from_millis(10));
        t.set(3, Instant::from_millis(20));
        assert_eq!(t.next(), Some(Instant::from_millis(10)));
        t.set(2, Instant::from_millis(40));
        assert_eq!(t.len(), 3);
        assert_eq!(t.next(), Some(Instant::from_millis(20)));
        t.cancel(3);
        t.cancel(3);
        assert_eq!(t.pop_expired(Instant::from_millis(29)), None);
        assert_eq!(t.pop_expired(Instant::from_millis(100)), Some(1));
        assert_eq!(t.pop_expired(Instant::from_millis(100)), Some(2));
        assert_eq!(t.pop_expired(Instant::from_millis(100)), None);
        assert_eq!(t.next(), None);
    }
}
