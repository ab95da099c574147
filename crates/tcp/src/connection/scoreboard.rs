//! The sender's SACK scoreboard and the loss-recovery arithmetic of
//! RFC 6675 (IsLost, pipe, NextSeg).
//!
//! Ranges are in the sender's 64-bit sequence space (octets since the
//! ISS), sorted, disjoint and never touching, all above SND.UNA.

use alloc::vec::Vec;

/// RFC 6675 DupThresh.
pub(crate) const DUP_THRESH: u64 = 3;

#[derive(Debug)]
pub(crate) struct Scoreboard {
    sacked: Vec<(u64, u64)>,
    /// Whether IsLost counts SACKed segments at all: not once the path
    /// showed reordering, when RACK's reordering window decides instead
    /// (RFC 8985 §6.2 step 4 replaces DupThresh then).
    pub(crate) by_count: bool,
}

/// A stretch of unSACKed octets and whether RFC 6675 deems it lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hole {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) lost: bool,
}

impl Scoreboard {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            sacked: Vec::with_capacity(n),
            by_count: true,
        }
    }

    /// Marks `[start, end)` SACKed; returns how many octets were new.
    pub(crate) fn insert(&mut self, start: u64, end: u64) -> u64 {
        if start >= end {
            return 0;
        }
        let first = self.sacked.partition_point(|&(_, e)| e < start);
        let last = self.sacked.partition_point(|&(s, _)| s <= end);
        let mut merged = (start, end);
        let mut already = 0u64;
        for &(s, e) in self.sacked.get(first..last).unwrap_or_default() {
            already += e.min(end).saturating_sub(s.max(start));
            merged = (merged.0.min(s), merged.1.max(e));
        }
        if first < last {
            self.sacked.drain(first..last);
        }
        self.sacked.insert(first, merged);
        (end - start).saturating_sub(already)
    }

    /// Forgets everything below the new cumulative acknowledgment;
    /// returns how many SACKed octets that was (the rest of what the ACK
    /// covers is newly delivered).
    pub(crate) fn advance(&mut self, una: u64) -> u64 {
        let gone = self.sacked.partition_point(|&(_, e)| e <= una);
        let mut forgotten: u64 = self.sacked.drain(..gone).map(|(s, e)| e - s).sum();
        if let Some(first) = self.sacked.first_mut()
            && first.0 < una
        {
            forgotten += una - first.0;
            first.0 = una;
        }
        forgotten
    }

    /// The first octet SACKed.
    pub(crate) fn first_sacked(&self) -> Option<u64> {
        self.sacked.first().map(|&(s, _)| s)
    }

    /// One past the highest octet SACKed.
    pub(crate) fn highest_sacked(&self) -> Option<u64> {
        self.sacked.last().map(|&(_, e)| e)
    }

    /// Octets SACKed in total.
    pub(crate) fn sacked_bytes(&self) -> u64 {
        self.sacked.iter().map(|&(s, e)| e - s).sum()
    }

    /// The holes between `una` and `max`, lowest first, each flagged lost
    /// per RFC 6675 IsLost: DupThresh discontiguous SACKed ranges above
    /// it, or more than (DupThresh - 1) * SMSS SACKed octets above it.
    /// Octets below `lost_below` count as lost whatever the SACKs say (a
    /// retransmission timeout or NewReno's inference marked them).
    pub(crate) fn holes(&self, una: u64, max: u64, smss: u64, lost_below: u64) -> Holes<'_> {
        Holes {
            sacked: &self.sacked,
            next: 0,
            cursor: una,
            max,
            above_blocks: self.sacked.len() as u64,
            above_bytes: self.sacked_bytes(),
            by_count: self.by_count,
            smss,
            lost_below,
        }
    }

    /// RFC 6675 pipe: octets in flight. An unSACKed octet counts unless it
    /// is lost, and a lost one counts again once retransmitted (at or below
    /// `high_rxt`).
    pub(crate) fn pipe(
        &self,
        una: u64,
        max: u64,
        smss: u64,
        lost_below: u64,
        high_rxt: u64,
    ) -> u64 {
        let mut pipe = 0;
        for hole in self.holes(una, max, smss, lost_below) {
            if hole.lost {
                pipe += high_rxt.min(hole.end).saturating_sub(hole.start);
            } else {
                pipe += hole.end - hole.start;
            }
        }
        pipe
    }
}

/// Iterator over the holes, splitting a hole where `lost_below` cuts it.
pub(crate) struct Holes<'a> {
    sacked: &'a [(u64, u64)],
    next: usize,
    cursor: u64,
    max: u64,
    above_blocks: u64,
    above_bytes: u64,
    by_count: bool,
    smss: u64,
    lost_below: u64,
}

impl Iterator for Holes<'_> {
    type Item = Hole;

    fn next(&mut self) -> Option<Hole> {
        while self.cursor < self.max {
            let (end, block) = match self.sacked.get(self.next) {
                Some(&(s, e)) => (s.min(self.max), Some((s, e))),
                None => (self.max, None),
            };
            let start = self.cursor;
            if start < end {
                let by_sack = self.by_count
                    && (self.above_blocks >= DUP_THRESH
                        || self.above_bytes > (DUP_THRESH - 1) * self.smss);
                if by_sack {
                    self.cursor = end;
                    self.skip_block(block);
                    return Some(Hole {
                        start,
                        end,
                        lost: true,
                    });
                }
                if start < self.lost_below {
                    let cut = end.min(self.lost_below);
                    self.cursor = cut;
                    if cut == end {
                        self.skip_block(block);
                    }
                    return Some(Hole {
                        start,
                        end: cut,
                        lost: true,
                    });
                }
                self.cursor = end;
                self.skip_block(block);
                return Some(Hole {
                    start,
                    end,
                    lost: false,
                });
            }
            self.skip_block(block);
            if block.is_none() {
                break;
            }
        }
        None
    }
}

impl Holes<'_> {
    /// Moves past the SACKed block that ends the current hole.
    fn skip_block(&mut self, block: Option<(u64, u64)>) {
        if let Some((s, e)) = block {
            self.cursor = self.cursor.max(e);
            self.next += 1;
            self.above_blocks = self.above_blocks.saturating_sub(1);
            self.above_bytes = self.above_bytes.saturating_sub(e - s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    const M: u64 = 100;

    #[test]
    fn insert_counts_new_octets() {
        let mut sb = Scoreboard::with_capacity(4);
        assert_eq!(sb.insert(100, 200), 100);
        assert_eq!(sb.insert(150, 250), 50);
        assert_eq!(sb.insert(100, 250), 0);
        assert_eq!(sb.insert(300, 400), 100);
        assert_eq!(sb.insert(250, 300), 50);
        assert_eq!(sb.sacked_bytes(), 300);
        sb.advance(150);
        assert_eq!(sb.sacked_bytes(), 250);
        sb.advance(1000);
        assert_eq!(sb.sacked_bytes(), 0);
    }

    #[test]
    fn is_lost_by_blocks_and_bytes() {
        let mut sb = Scoreboard::with_capacity(4);
        // Segments of 100: 1 lost, 2 and 4 and 6 SACKed.
        sb.insert(200, 300);
        sb.insert(400, 500);
        sb.insert(600, 700);
        let holes: Vec<_> = sb.holes(100, 800, M, 100).collect();
        assert_eq!(
            holes,
            [
                Hole {
                    start: 100,
                    end: 200,
                    lost: true
                },
                Hole {
                    start: 300,
                    end: 400,
                    lost: false
                },
                Hole {
                    start: 500,
                    end: 600,
                    lost: false
                },
                Hole {
                    start: 700,
                    end: 800,
                    lost: false
                },
            ]
        );
        // 3 SMSS SACKed above the second hole makes it lost by bytes.
        sb.insert(450, 600);
        let holes: Vec<_> = sb.holes(100, 800, M, 100).collect();
        assert_eq!(
            holes[1],
            Hole {
                start: 300,
                end: 400,
                lost: true
            }
        );
        assert_eq!(
            holes[2],
            Hole {
                start: 700,
                end: 800,
                lost: false
            }
        );
        // pipe: lost holes not retransmitted do not count.
        assert_eq!(sb.pipe(100, 800, M, 100, 100), 100);
        assert_eq!(sb.pipe(100, 800, M, 100, 150), 150);
    }

    #[test]
    fn lost_below_splits_holes() {
        let sb = Scoreboard::with_capacity(1);
        let holes: Vec<_> = sb.holes(0, 500, M, 200).collect();
        assert_eq!(
            holes,
            [
                Hole {
                    start: 0,
                    end: 200,
                    lost: true
                },
                Hole {
                    start: 200,
                    end: 500,
                    lost: false
                },
            ]
        );
        assert_eq!(sb.pipe(0, 500, M, 200, 100), 400);
        assert_eq!(sb.pipe(0, 500, M, 0, 0), 500);
    }
}
