//! Fragment reassembly (RFC 791 §3.2, RFC 815), hardened against floods
//! and overlap attacks.
//!
//! Fragments belong together when their source, destination, protocol and
//! identification match ([`FragmentKey`]). Each pending datagram keeps the
//! bytes received as disjoint pieces ordered by offset (RFC 815's holes
//! are the gaps between them), so inserting a fragment costs O(log n) in
//! the pieces already held plus the pieces it overlaps, and a fragment far
//! into the datagram holds only its own bytes, not the hole before it.
//!
//! The rules, chosen so that a datagram is rebuilt from exactly one
//! consistent set of bytes or not at all:
//! - an identical duplicate (or a fragment whose bytes agree with what is
//!   held where they overlap) is accepted;
//! - overlapping bytes that disagree drop the whole datagram (the spirit of
//!   RFC 5722: no reassembler can know which copy the sender meant, and
//!   overlaps are how IDS evasion and teardrop-style attacks work);
//! - two last fragments with different ends, or data past the end a last
//!   fragment set, drop the whole datagram;
//! - a datagram longer than [`ReassemblyConfig::max_datagram`] (at most
//!   65535 with its header) is dropped;
//! - a fragment that is not the last must carry a non-zero multiple of 8
//!   bytes (the next offset could not be expressed otherwise);
//! - memory is capped per source and in total, counting the bytes held plus
//!   a fixed overhead per datagram and per piece held, and the number of
//!   pending datagrams is capped: a fragment that would exceed a cap is
//!   dropped (nothing held is evicted, so a flood cannot push out
//!   datagrams already under way) and the reason reported;
//! - a datagram still incomplete [`ReassemblyConfig::timeout`] after its
//!   first fragment arrived is discarded by
//!   [`handle_timeout`](Reassembler::handle_timeout), which returns it so the
//!   host can send ICMP time exceeded (code 1) quoting the first fragment,
//!   when that arrived (RFC 792, RFC 1122 §3.3.2).
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_core::time::Instant;
//! use strata_ipv4::fragment::fragment;
//! use strata_ipv4::reassembly::{ReassemblyConfig, ReassemblyOutcome, Reassembler};
//! use strata_ipv4::{Packet, Protocol, Repr};
//!
//! let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
//! let mut header = Repr::new(
//!     Ipv4Addr::new(198, 18, 0, 1),
//!     Ipv4Addr::new(198, 18, 0, 2),
//!     Protocol::UDP,
//!     payload.len(),
//! );
//! header.identification = 0x1234;
//!
//! let mut reassembler = Reassembler::new(ReassemblyConfig::default());
//! let mut result = None;
//! // Deliver the fragments last first.
//! let pieces: Vec<_> = fragment(&header, &payload, 1500)?.collect();
//! for (repr, range) in pieces.into_iter().rev() {
//!     let mut buf = vec![0u8; repr.total_len()];
//!     buf[repr.header_len()..].copy_from_slice(&payload[range]);
//!     repr.emit(&mut buf)?;
//!     let packet = Packet::parse(&buf[..])?;
//!     match reassembler.insert(Instant::ZERO, &packet) {
//!         ReassemblyOutcome::Held => {}
//!         ReassemblyOutcome::Complete(whole) => result = Some(whole),
//!         ReassemblyOutcome::Dropped(why) => return Err(why.into()),
//!     }
//! }
//! let whole = result.ok_or("incomplete")?;
//! assert_eq!(whole.header, header);
//! assert_eq!(whole.payload, payload);
//! assert_eq!(reassembler.memory(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv4Addr;

use strata_core::time::{Duration, Instant};

use crate::header::HEADER_LEN;
use crate::packet::Packet;
use crate::protocol::Protocol;
use crate::repr::Repr;

/// Limits of a [`Reassembler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// How long a datagram may stay incomplete, counted from its first
    /// fragment's arrival. RFC 1122 suggests 60 to 120 s; Linux uses 30 s,
    /// the default here.
    pub timeout: Duration,
    /// Longest datagram, header included, to rebuild; values above 65535
    /// act as 65535 (the total length field's limit).
    pub max_datagram: usize,
    /// Memory all pending datagrams of one source may hold, in bytes
    /// (see [`Reassembler::memory`]).
    pub max_per_source: usize,
    /// Memory all pending datagrams may hold, in bytes.
    pub max_total: usize,
    /// Number of datagrams that may be pending at once.
    pub max_pending: usize,
}

impl Default for ReassemblyConfig {
    /// 30 s, 65535 bytes, 256 KiB per source, 4 MiB in total (Linux's
    /// `ipfrag_high_thresh`), 1024 pending datagrams.
    fn default() -> Self {
        ReassemblyConfig {
            timeout: Duration::from_secs(30),
            max_datagram: 65535,
            max_per_source: 256 * 1024,
            max_total: 4 * 1024 * 1024,
            max_pending: 1024,
        }
    }
}

/// What identifies the fragments of one datagram (RFC 791).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FragmentKey {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: Protocol,
    /// The identification field.
    pub identification: u16,
}

impl FragmentKey {
    /// The key of a parsed packet.
    #[must_use]
    pub fn of<T: AsRef<[u8]>>(packet: &Packet<T>) -> FragmentKey {
        FragmentKey {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            identification: packet.identification(),
        }
    }
}

/// A datagram rebuilt from its fragments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reassembled {
    /// The first fragment's header with fragment offset 0, More Fragments
    /// clear and `payload_len` the whole payload's length.
    pub header: Repr,
    /// The whole payload.
    pub payload: Vec<u8>,
}

/// Why a fragment was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReassemblyDrop {
    /// The fragment overlaps bytes already held with different content;
    /// the whole datagram was dropped.
    Overlap {
        /// The fragment's offset, in bytes.
        offset: usize,
        /// The fragment's payload length.
        len: usize,
    },
    /// The fragments disagree on where the datagram ends (two last
    /// fragments with different ends, or data past the end); the whole
    /// datagram was dropped.
    Inconsistent {
        /// The payload length an earlier last fragment set, or the end of
        /// the data held.
        end: usize,
        /// The end this fragment implies.
        found: usize,
    },
    /// The datagram would exceed `max_datagram` (header included); the
    /// whole datagram was dropped.
    TooBig,
    /// Keeping the fragment would exceed `max_per_source` for its source;
    /// the fragment alone was dropped.
    SourceCap,
    /// Keeping the fragment would exceed `max_total`; the fragment alone
    /// was dropped.
    TotalCap,
    /// The fragment would start a datagram past `max_pending`; it was
    /// dropped.
    PendingCap,
    /// A fragment other than the last with a payload that is empty or not
    /// a multiple of 8 bytes; the fragment alone was dropped.
    Malformed,
}

impl ReassemblyDrop {
    /// Whether the whole datagram was discarded, not just this fragment.
    #[must_use]
    pub const fn dropped_datagram(&self) -> bool {
        matches!(
            self,
            ReassemblyDrop::Overlap { .. }
                | ReassemblyDrop::Inconsistent { .. }
                | ReassemblyDrop::TooBig
        )
    }
}

impl fmt::Display for ReassemblyDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ReassemblyDrop::Overlap { offset, len } => write!(
                f,
                "fragment at offset {offset} ({len} bytes) overlaps different data; datagram dropped"
            ),
            ReassemblyDrop::Inconsistent { end, found } => write!(
                f,
                "fragment implies the datagram ends at {found}, but it ends at {end}; datagram dropped"
            ),
            ReassemblyDrop::TooBig => {
                f.write_str("reassembled datagram would exceed the size limit; datagram dropped")
            }
            ReassemblyDrop::SourceCap => {
                f.write_str("fragment dropped: reassembly memory for its source is full")
            }
            ReassemblyDrop::TotalCap => f.write_str("fragment dropped: reassembly memory is full"),
            ReassemblyDrop::PendingCap => {
                f.write_str("fragment dropped: too many datagrams pending reassembly")
            }
            ReassemblyDrop::Malformed => f.write_str(
                "fragment dropped: not the last, yet its payload is empty or not a multiple of 8",
            ),
        }
    }
}

impl core::error::Error for ReassemblyDrop {}

/// What [`Reassembler::insert`] did with a fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReassemblyOutcome {
    /// The fragment completed its datagram (or was a whole datagram).
    Complete(Reassembled),
    /// The fragment is held until the rest arrives.
    Held,
    /// The fragment was discarded, and maybe its datagram with it.
    Dropped(ReassemblyDrop),
}

/// A datagram discarded because it stayed incomplete too long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedOut {
    /// The first fragment's header if it arrived, else the header of the
    /// earliest fragment that did.
    pub header: Repr,
    /// The first fragment (offset 0) as received, header included, if it
    /// arrived: what ICMP time exceeded quotes. The host sends that error
    /// only when this is `Some` (RFC 792, RFC 1122 §3.3.2).
    pub first_fragment: Option<Vec<u8>>,
}

/// Memory counted for each pending datagram on top of its bytes: the
/// state, its map and timer entries.
const DATAGRAM_OVERHEAD: usize = core::mem::size_of::<Datagram>()
    + 2 * core::mem::size_of::<FragmentKey>()
    + core::mem::size_of::<(Instant, u64)>()
    + 64;

/// Memory counted per piece held: its `Vec`, its B-tree entry and a share
/// of a node, and allocator rounding.
const PIECE_OVERHEAD: usize = core::mem::size_of::<Vec<u8>>() + 4 * core::mem::size_of::<usize>();

#[derive(Debug)]
struct Datagram {
    /// The first fragment's header once it arrived; until then the
    /// earliest fragment's.
    header: Repr,
    /// The first fragment's header bytes, once it arrived.
    first_header: Option<Vec<u8>>,
    /// The first fragment's payload length.
    first_len: usize,
    /// The payload bytes received, by offset: disjoint pieces, each the
    /// part of a fragment no earlier piece covered. Holes are the gaps.
    pieces: BTreeMap<usize, Vec<u8>>,
    /// Sum of the pieces' lengths.
    held: usize,
    /// Highest end of any fragment received.
    max_end: usize,
    /// The payload length, once the last fragment arrived.
    total: Option<usize>,
    /// Key of this datagram's timer.
    timer: (Instant, u64),
    /// What [`Datagram::memory`] returned when last accounted.
    memory: usize,
}

impl Datagram {
    fn memory_for(held: usize, pieces: usize, header_bytes: usize) -> usize {
        DATAGRAM_OVERHEAD
            .saturating_add(held)
            .saturating_add(pieces.saturating_mul(PIECE_OVERHEAD))
            .saturating_add(header_bytes)
    }

    fn memory(&self) -> usize {
        Self::memory_for(
            self.held,
            self.pieces.len(),
            self.first_header.as_ref().map_or(0, Vec::len),
        )
    }

    /// The pieces overlapping `[offset, end)`, from the last backwards.
    fn overlapping(&self, offset: usize, end: usize) -> impl Iterator<Item = (usize, &[u8])> {
        self.pieces
            .range(..end)
            .rev()
            .map(|(&start, bytes)| (start, bytes.as_slice()))
            .take_while(move |(start, bytes)| start + bytes.len() > offset)
    }

    /// Whether `bytes` at `offset` agree with every byte held in their
    /// range, and the gaps in that range that nothing covers yet (in
    /// descending order).
    fn check(&self, offset: usize, bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
        let end = offset + bytes.len();
        let mut gaps = Vec::new();
        // Walking backwards, `cursor` is where the uncovered part ends.
        let mut cursor = end;
        for (start, held) in self.overlapping(offset, end) {
            let stop = start + held.len();
            let lo = start.max(offset);
            let hi = stop.min(end);
            let mine = held.get(lo - start..hi - start);
            let theirs = bytes.get(lo - offset..hi - offset);
            if mine.is_none() || mine != theirs {
                return None;
            }
            if hi < cursor {
                gaps.push((hi, cursor));
            }
            cursor = lo;
        }
        if offset < cursor {
            gaps.push((offset, cursor));
        }
        Some(gaps)
    }

    /// Whether the pieces cover `[0, total)`: they are disjoint and lie
    /// within it, so counting bytes suffices.
    fn is_complete(&self) -> bool {
        self.total
            .is_some_and(|total| self.held == total && self.max_end == total)
    }

    /// The bytes of `[0, len)`, all of which are held.
    fn prefix(&self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        for (_, bytes) in self.pieces.range(..len) {
            let room = len - out.len();
            out.extend_from_slice(bytes.get(..room).unwrap_or(bytes));
        }
        out
    }

    fn timed_out(self) -> TimedOut {
        let first_fragment = self.first_header.as_ref().map(|header| {
            let mut bytes = header.clone();
            bytes.extend_from_slice(&self.prefix(self.first_len));
            bytes
        });
        TimedOut {
            header: self.header,
            first_fragment,
        }
    }
}

/// Rebuilds datagrams from their fragments within memory and time limits.
///
/// Sans-IO: time comes in as arguments, and expired datagrams leave only
/// through [`handle_timeout`](Reassembler::handle_timeout). Pending
/// datagrams are found through ordered maps (O(log n), n at most
/// `max_pending`); nothing scans all of them.
#[derive(Debug)]
pub struct Reassembler {
    config: ReassemblyConfig,
    datagrams: BTreeMap<FragmentKey, Datagram>,
    /// Deadlines, each with a sequence number to keep keys unique.
    timers: BTreeMap<(Instant, u64), FragmentKey>,
    next_timer: u64,
    /// Memory per source, for sources with pending datagrams.
    per_source: BTreeMap<Ipv4Addr, usize>,
    memory: usize,
}

impl Reassembler {
    /// An empty reassembler.
    #[must_use]
    pub fn new(config: ReassemblyConfig) -> Self {
        Reassembler {
            config,
            datagrams: BTreeMap::new(),
            timers: BTreeMap::new(),
            next_timer: 0,
            per_source: BTreeMap::new(),
            memory: 0,
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Bytes held by all pending datagrams, overhead included; never above
    /// `max_total`.
    #[must_use]
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Bytes held for `src`'s pending datagrams; never above
    /// `max_per_source`.
    #[must_use]
    pub fn memory_of(&self, src: Ipv4Addr) -> usize {
        self.per_source.get(&src).copied().unwrap_or(0)
    }

    /// Number of datagrams awaiting fragments.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.datagrams.len()
    }

    /// When the oldest pending datagram expires.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.first_key_value().map(|(&(at, _), _)| at)
    }

    /// Discards every datagram whose deadline is at or before `now` and
    /// returns them, oldest first.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<TimedOut> {
        let mut expired = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            if let Some(datagram) = self.take(&key) {
                expired.push(datagram.timed_out());
            }
        }
        expired
    }

    /// Removes a datagram and its accounting (its timer stays if the caller
    /// already took it).
    fn take(&mut self, key: &FragmentKey) -> Option<Datagram> {
        let datagram = self.datagrams.remove(key)?;
        self.timers.remove(&datagram.timer);
        self.account(key.src, datagram.memory, 0);
        Some(datagram)
    }

    /// Replaces `old` bytes of `src`'s accounting by `new`.
    fn account(&mut self, src: Ipv4Addr, old: usize, new: usize) {
        self.memory = self.memory.saturating_sub(old).saturating_add(new);
        let entry = self.per_source.entry(src).or_insert(0);
        *entry = entry.saturating_sub(old).saturating_add(new);
        if *entry == 0 {
            self.per_source.remove(&src);
        }
    }

    /// Drops the whole datagram of `key` (if pending) and reports `why`.
    fn drop_datagram(&mut self, key: &FragmentKey, why: ReassemblyDrop) -> ReassemblyOutcome {
        let _ = self.take(key);
        ReassemblyOutcome::Dropped(why)
    }

    /// Adds a fragment. A packet that is no fragment (offset 0, More
    /// Fragments clear) comes straight back as
    /// [`Complete`](ReassemblyOutcome::Complete).
    ///
    /// The header checksum is the caller's business (verify before
    /// inserting). Cost: O(log n) in the pending datagrams and in the
    /// pieces of this one, plus the pieces it overlaps and the bytes
    /// compared and copied.
    pub fn insert<T: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        packet: &Packet<T>,
    ) -> ReassemblyOutcome {
        let max_datagram = self.config.max_datagram.min(usize::from(u16::MAX));
        let offset = usize::from(packet.fragment_offset_bytes());
        let bytes = packet.payload();
        let len = bytes.len();
        let end = offset + len;
        let last = !packet.more_fragments();

        if offset == 0 && last {
            let Ok(header) = Repr::parse(packet) else {
                return ReassemblyOutcome::Dropped(ReassemblyDrop::Malformed);
            };
            let total = header.header_len() + len;
            if total > max_datagram {
                return ReassemblyOutcome::Dropped(ReassemblyDrop::TooBig);
            }
            return ReassemblyOutcome::Complete(Reassembled {
                header,
                payload: bytes.to_vec(),
            });
        }
        if !last && (len == 0 || !len.is_multiple_of(8)) {
            return ReassemblyOutcome::Dropped(ReassemblyDrop::Malformed);
        }
        let key = FragmentKey::of(packet);
        let Ok(repr) = Repr::parse(packet) else {
            return ReassemblyOutcome::Dropped(ReassemblyDrop::Malformed);
        };

        // Header length the whole datagram will have: the first fragment's
        // if known (this one, or one held), else the minimum.
        let held = self.datagrams.get(&key);
        let first_hlen = if offset == 0 {
            packet.header_len()
        } else {
            held.and_then(|d| d.first_header.as_ref())
                .map_or(HEADER_LEN, Vec::len)
        };
        let data_end = held.map_or(0, |d| d.max_end).max(end);
        let whole = first_hlen + data_end;
        if whole > max_datagram {
            return self.drop_datagram(&key, ReassemblyDrop::TooBig);
        }

        let gaps = match held {
            Some(d) => {
                if let Some(total) = d.total {
                    if (last && end != total) || end > total {
                        return self.drop_datagram(
                            &key,
                            ReassemblyDrop::Inconsistent {
                                end: total,
                                found: end,
                            },
                        );
                    }
                } else if last && d.max_end > end {
                    return self.drop_datagram(
                        &key,
                        ReassemblyDrop::Inconsistent {
                            end: d.max_end,
                            found: end,
                        },
                    );
                }
                match d.check(offset, bytes) {
                    Some(gaps) => gaps,
                    None => {
                        return self.drop_datagram(&key, ReassemblyDrop::Overlap { offset, len });
                    }
                }
            }
            None if len == 0 => Vec::new(),
            None => alloc::vec![(offset, end)],
        };

        // Memory this datagram will hold after the fragment: its new
        // pieces, and the first header if this is the first fragment.
        let new_bytes: usize = gaps.iter().map(|&(lo, hi)| hi - lo).sum();
        let (old_memory, held_bytes, pieces, header_bytes) = match held {
            Some(d) => (
                d.memory,
                d.held,
                d.pieces.len(),
                match (&d.first_header, offset) {
                    (Some(h), _) => h.len(),
                    (None, 0) => packet.header_len(),
                    (None, _) => 0,
                },
            ),
            None => {
                if self.datagrams.len() >= self.config.max_pending {
                    return ReassemblyOutcome::Dropped(ReassemblyDrop::PendingCap);
                }
                (0, 0, 0, if offset == 0 { packet.header_len() } else { 0 })
            }
        };
        let predicted =
            Datagram::memory_for(held_bytes + new_bytes, pieces + gaps.len(), header_bytes);
        let growth = predicted.saturating_sub(old_memory);
        if self.memory_of(key.src).saturating_add(growth) > self.config.max_per_source {
            return ReassemblyOutcome::Dropped(ReassemblyDrop::SourceCap);
        }
        if self.memory.saturating_add(growth) > self.config.max_total {
            return ReassemblyOutcome::Dropped(ReassemblyDrop::TotalCap);
        }

        let datagram = match self.datagrams.entry(key) {
            alloc::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            alloc::collections::btree_map::Entry::Vacant(e) => {
                let deadline = now + self.config.timeout;
                let timer = (deadline, self.next_timer);
                self.next_timer = self.next_timer.wrapping_add(1);
                self.timers.insert(timer, key);
                e.insert(Datagram {
                    header: repr,
                    first_header: None,
                    first_len: 0,
                    pieces: BTreeMap::new(),
                    held: 0,
                    max_end: 0,
                    total: None,
                    timer,
                    memory: 0,
                })
            }
        };
        for (lo, hi) in gaps {
            if let Some(piece) = bytes.get(lo - offset..hi - offset) {
                datagram.pieces.insert(lo, piece.to_vec());
                datagram.held += piece.len();
            }
        }
        datagram.max_end = datagram.max_end.max(end);
        if offset == 0 && datagram.first_header.is_none() {
            datagram.first_header = Some(packet.header_bytes().to_vec());
            datagram.first_len = len;
            datagram.header = repr;
        }
        if last {
            datagram.total = Some(end);
        }
        let old = datagram.memory;
        datagram.memory = datagram.memory();
        let new = datagram.memory;
        let complete = datagram.is_complete();
        self.account(key.src, old, new);

        if !complete {
            return ReassemblyOutcome::Held;
        }
        match self.take(&key) {
            Some(datagram) => {
                let mut header = datagram.header;
                let payload = datagram.prefix(datagram.held);
                header.fragment_offset = 0;
                header.more_fragments = false;
                header.payload_len = payload.len();
                ReassemblyOutcome::Complete(Reassembled { header, payload })
            }
            None => ReassemblyOutcome::Held,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    impl Reassembler {
        /// The bookkeeping agrees with the state it summarises.
        fn check_invariants(&self) {
            let mut total = 0;
            let mut per_source = BTreeMap::new();
            for (key, d) in &self.datagrams {
                assert_eq!(d.memory, d.memory());
                assert_eq!(self.timers.get(&d.timer), Some(key));
                let mut end = 0;
                let mut held = 0;
                for (&start, bytes) in &d.pieces {
                    assert!(start >= end, "pieces overlap");
                    assert!(!bytes.is_empty());
                    end = start + bytes.len();
                    held += bytes.len();
                }
                assert!(end <= d.max_end);
                assert_eq!(held, d.held);
                if let Some(t) = d.total {
                    assert_eq!(t, d.max_end);
                }
                total += d.memory;
                *per_source.entry(key.src).or_insert(0) += d.memory;
            }
            assert_eq!(self.timers.len(), self.datagrams.len());
            assert_eq!(total, self.memory);
            assert_eq!(per_source, self.per_source);
        }
    }

    fn packet(
        id: u16,
        src: u8,
        offset_units: u16,
        more: bool,
        len: usize,
        corrupt: bool,
    ) -> Vec<u8> {
        let mut repr = Repr::new(
            Ipv4Addr::new(198, 18, 0, src),
            Ipv4Addr::new(198, 18, 1, 1),
            Protocol::UDP,
            len,
        );
        repr.identification = id;
        repr.fragment_offset = offset_units;
        repr.more_fragments = more;
        let mut buf = vec![0u8; repr.total_len()];
        let start = usize::from(offset_units) * 8;
        for (i, b) in buf[repr.header_len()..].iter_mut().enumerate() {
            *b = ((start + i) as u8) ^ u8::from(corrupt);
        }
        repr.emit(&mut buf).unwrap();
        buf
    }

    proptest! {
        #[test]
        fn bookkeeping_stays_consistent(
            ops in proptest::collection::vec(
                (0u16..3, 0u8..3, 0u16..40, any::<bool>(), 0usize..200, proptest::bool::weighted(0.05), 0u64..3000),
                1..150,
            ),
            max_total in 0usize..20_000,
            max_per_source in 0usize..10_000,
            max_pending in 0usize..6,
        ) {
            let mut r = Reassembler::new(ReassemblyConfig {
                timeout: Duration::from_secs(1),
                max_datagram: 65535,
                max_per_source,
                max_total,
                max_pending,
            });
            let mut now = Instant::ZERO;
            for (id, src, offset, more, len, corrupt, advance) in ops {
                now += Duration::from_millis(advance);
                let _ = r.handle_timeout(now);
                r.check_invariants();
                let bytes = packet(id, src, offset, more, len, corrupt);
                let outcome = r.insert(now, &Packet::parse(&bytes[..]).unwrap());
                if let ReassemblyOutcome::Complete(whole) = outcome {
                    prop_assert_eq!(whole.payload.len(), whole.header.payload_len);
                }
                r.check_invariants();
                prop_assert!(r.memory() <= max_total);
                prop_assert!(r.pending() <= max_pending);
            }
        }
    }
}
