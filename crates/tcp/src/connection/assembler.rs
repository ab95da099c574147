//! Out-of-order bookkeeping on the receive side.
//!
//! The bytes themselves sit in the receive ring at their final place; this
//! only remembers which ranges beyond the first gap have arrived, as a
//! sorted list of disjoint, non-touching ranges in the receiver's 64-bit
//! sequence space (so wrap-around never enters a comparison). There is no
//! fixed limit on the number of gaps: the list grows (amortized, rarely
//! reallocating) as the peer's reordering demands.
//!
//! It also keeps the SACK blocks to report, most recent first (RFC 2018
//! §4): the block holding the latest arrival leads, then the blocks
//! reported before it that are still distinct.

use alloc::vec::Vec;

/// Most SACK blocks we ever report; fewer fit beside timestamps.
pub(crate) const MAX_REPORTED: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct Assembler {
    /// Sorted by start; disjoint and never touching.
    ranges: Vec<(u64, u64)>,
    /// Ranges to report in SACK blocks, most recent first.
    recent: [(u64, u64); MAX_REPORTED],
    recent_len: usize,
}

impl Assembler {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            ranges: Vec::with_capacity(n),
            recent: [(0, 0); MAX_REPORTED],
            recent_len: 0,
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of separate out-of-order ranges held.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Records `[start, end)` as received; returns the merged range that
    /// now contains it.
    pub(crate) fn insert(&mut self, start: u64, end: u64) -> (u64, u64) {
        if start >= end {
            return (start, end);
        }
        // First range whose end reaches `start` (touching counts).
        let first = self.ranges.partition_point(|&(_, e)| e < start);
        // One past the last range whose start is within reach of `end`.
        let last = self.ranges.partition_point(|&(s, _)| s <= end);
        let mut merged = (start, end);
        if first < last {
            if let (Some(&(s, _)), Some(&(_, e))) =
                (self.ranges.get(first), self.ranges.get(last - 1))
            {
                merged = (merged.0.min(s), merged.1.max(e));
            }
            self.ranges.drain(first..last);
        }
        self.ranges.insert(first, merged);
        self.note_recent(merged);
        merged
    }

    /// If the first range starts at or before `at`, removes it and returns
    /// its end: the bytes up to there are now in order.
    pub(crate) fn pop_contiguous(&mut self, at: u64) -> Option<u64> {
        match self.ranges.first() {
            Some(&(s, e)) if s <= at => {
                self.ranges.remove(0);
                Some(e)
            }
            _ => None,
        }
    }

    /// Forgets everything below `at` (the new in-order edge) in the SACK
    /// report list.
    pub(crate) fn forget_below(&mut self, at: u64) {
        let mut kept = 0;
        for i in 0..self.recent_len {
            if let Some(&(s, e)) = self.recent.get(i)
                && e > at
            {
                if let Some(slot) = self.recent.get_mut(kept) {
                    *slot = (s.max(at), e);
                }
                kept += 1;
            }
        }
        self.recent_len = kept;
    }

    /// Puts `block` first in the report list, dropping older entries it
    /// covers or overlaps.
    fn note_recent(&mut self, block: (u64, u64)) {
        let mut next = [(0u64, 0u64); MAX_REPORTED];
        let mut n = 0;
        if let Some(slot) = next.get_mut(0) {
            *slot = block;
            n = 1;
        }
        for i in 0..self.recent_len {
            let Some(&(s, e)) = self.recent.get(i) else {
                continue;
            };
            let overlaps = s <= block.1 && block.0 <= e;
            if overlaps {
                continue;
            }
            // Still a distinct range? It may have merged into another one
            // already listed.
            let current = self.containing(s).unwrap_or((s, e));
            if next.iter().take(n).any(|&b| b == current) {
                continue;
            }
            if let Some(slot) = next.get_mut(n) {
                *slot = current;
                n += 1;
            }
        }
        self.recent = next;
        self.recent_len = n;
    }

    /// The held range containing `seq`.
    fn containing(&self, seq: u64) -> Option<(u64, u64)> {
        let i = self.ranges.partition_point(|&(_, e)| e <= seq);
        self.ranges.get(i).copied().filter(|&(s, _)| s <= seq)
    }

    /// The held range that covers all of `[start, end)`, if one does: the
    /// segment carrying it is a duplicate.
    pub(crate) fn covering(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        self.containing(start).filter(|&(_, e)| e >= end)
    }

    /// Up to `max` blocks to report, most recent first.
    pub(crate) fn sack_blocks(&self, max: usize) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.recent.iter().take(self.recent_len.min(max)).copied()
    }

    /// One past the highest octet held, if any.
    pub(crate) fn end(&self) -> Option<u64> {
        self.ranges.last().map(|&(_, e)| e)
    }

    /// Every held range, lowest first.
    #[cfg(test)]
    pub(crate) fn ranges(&self) -> &[(u64, u64)] {
        &self.ranges
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.ranges.clear();
        self.recent_len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn merges_overlapping_and_touching() {
        let mut a = Assembler::with_capacity(4);
        a.insert(10, 20);
        a.insert(30, 40);
        a.insert(50, 60);
        assert_eq!(a.ranges(), &[(10, 20), (30, 40), (50, 60)]);
        assert_eq!(a.insert(20, 30), (10, 40));
        assert_eq!(a.ranges(), &[(10, 40), (50, 60)]);
        assert_eq!(a.insert(5, 70), (5, 70));
        assert_eq!(a.ranges(), &[(5, 70)]);
        assert_eq!(a.insert(80, 90), (80, 90));
        assert_eq!(a.insert(0, 1), (0, 1));
        assert_eq!(a.ranges(), &[(0, 1), (5, 70), (80, 90)]);
        assert_eq!(a.pop_contiguous(0), Some(1));
        assert_eq!(a.pop_contiguous(1), None);
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn many_gaps() {
        let mut a = Assembler::with_capacity(1);
        for i in (0..1000u64).rev() {
            a.insert(i * 10 + 1, i * 10 + 5);
        }
        assert_eq!(a.len(), 1000);
        for i in 0..1000u64 {
            a.insert(i * 10 + 5, i * 10 + 11);
        }
        assert_eq!(a.ranges(), &[(1, 10_001)]);
    }

    #[test]
    fn reports_most_recent_first() {
        let mut a = Assembler::with_capacity(4);
        a.insert(10, 20);
        a.insert(30, 40);
        a.insert(50, 60);
        let blocks: Vec<_> = a.sack_blocks(4).collect();
        assert_eq!(blocks, [(50, 60), (30, 40), (10, 20)]);
        a.insert(40, 45);
        let blocks: Vec<_> = a.sack_blocks(4).collect();
        assert_eq!(blocks, [(30, 45), (50, 60), (10, 20)]);
        a.insert(70, 80);
        a.insert(90, 95);
        let blocks: Vec<_> = a.sack_blocks(3).collect();
        assert_eq!(blocks, [(90, 95), (70, 80), (30, 45)]);
        a.forget_below(42);
        let blocks: Vec<_> = a.sack_blocks(4).collect();
        assert_eq!(blocks, [(90, 95), (70, 80), (42, 45), (50, 60)]);
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.sack_blocks(4).count(), 0);
    }
}
