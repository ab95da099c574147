//! One direction of a simulated link: [`Link`].

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;

use strata_core::rand::{RandomSource, SplitMix64};
use strata_core::time::{Duration, Instant};

use crate::config::{LinkConfig, MAX_CORRUPT_BITS};

/// Why a link dropped a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Random loss on the wire (independent or burst).
    Loss,
    /// The bottleneck queue was full (tail drop).
    QueueFull,
    /// The packet was longer than the MTU.
    TooBig,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Loss => "lost",
            DropReason::QueueFull => "dropped: queue full",
            DropReason::TooBig => "dropped: larger than MTU",
        })
    }
}

/// What a link decided for a packet when it was sent. Everything is decided
/// up front, so a trace of sends alone can draw the whole ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fate {
    /// The packet will never arrive.
    Dropped(DropReason),
    /// The packet is on its way.
    InFlight {
        /// When it arrives.
        arrives_at: Instant,
        /// Whether bits will be flipped on arrival.
        corrupted: bool,
        /// Whether it was held back so later packets can overtake it.
        reordered: bool,
        /// Whether an identical second copy arrives right after it.
        duplicated: bool,
    },
}

impl fmt::Display for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Fate::Dropped(reason) => reason.fmt(f),
            Fate::InFlight {
                arrives_at,
                corrupted,
                reordered,
                duplicated,
            } => {
                write!(f, "arrives {arrives_at}")?;
                for (flag, name) in [
                    (reordered, "reordered"),
                    (corrupted, "corrupted"),
                    (duplicated, "duplicated"),
                ] {
                    if flag {
                        write!(f, ", {name}")?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// A packet coming out of a link, with what happened to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// The bytes, corrupted if `corrupted` is set.
    pub packet: Vec<u8>,
    /// When it was sent.
    pub sent_at: Instant,
    /// When it was due to arrive (at or before the time it was collected).
    pub arrived_at: Instant,
    /// Whether bits were flipped.
    pub corrupted: bool,
    /// Whether this is the second copy of a duplicated packet.
    pub duplicate: bool,
}

/// Counters of everything a link did.
///
/// Every sent packet is accounted for exactly once: `sent + duplicated ==
/// delivered + dropped() + in flight` (duplicates are extra copies, never
/// dropped). The probabilistic counters count sent packets the impairment
/// was applied to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LinkStats {
    /// Packets handed to [`Link::send`].
    pub sent: u64,
    /// Bytes handed to [`Link::send`].
    pub sent_bytes: u64,
    /// Packets handed out by [`Link::deliver`], duplicates included.
    pub delivered: u64,
    /// Bytes handed out by [`Link::deliver`], duplicates included.
    pub delivered_bytes: u64,
    /// Packets lost on the wire.
    pub dropped_loss: u64,
    /// Packets dropped because the bottleneck queue was full.
    pub dropped_queue: u64,
    /// Packets dropped because they were longer than the MTU.
    pub dropped_mtu: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Packets held back for reordering.
    pub reordered: u64,
    /// Packets sent without delay, ahead of earlier ones.
    pub early: u64,
    /// Packets whose bits were flipped (a duplicated packet counts once).
    pub corrupted: u64,
}

impl LinkStats {
    /// All drops, whatever the reason.
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.dropped_loss + self.dropped_queue + self.dropped_mtu
    }
}

/// A packet waiting to arrive. Ordered so that `BinaryHeap`, a max-heap,
/// pops the earliest arrival first, ties going to the earlier send.
#[derive(Debug)]
struct Pending {
    at: Instant,
    seq: u64,
    sent_at: Instant,
    corrupt_seed: u64,
    /// How many bits to flip on arrival, 0 for none.
    corrupt_bits: u8,
    duplicate: bool,
    packet: Vec<u8>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// A probability as a threshold on a uniform 64-bit draw, so a decision
/// costs one integer comparison and 0 and 1 are exact.
#[derive(Clone, Copy, Debug)]
struct Chance(u128);

const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

impl Chance {
    fn new(p: f64) -> Self {
        Chance((crate::config::sanitize_probability(p) * TWO_POW_64) as u128)
    }

    /// Draws only when the outcome is uncertain, so impairments that are
    /// off cost nothing.
    fn roll(self, rng: &mut SplitMix64) -> bool {
        if self.0 == 0 {
            false
        } else if self.0 > u128::from(u64::MAX) {
            true
        } else {
            u128::from(rng.next_u64()) < self.0
        }
    }
}

/// The configuration's probabilities, precomputed.
#[derive(Clone, Copy, Debug)]
struct Chances {
    loss: Chance,
    duplicate: Chance,
    reorder: Chance,
    early: Chance,
    corrupt: Chance,
    burst: Option<Burst>,
}

#[derive(Clone, Copy, Debug)]
struct Burst {
    enter_bad: Chance,
    leave_bad: Chance,
    loss_good: Chance,
    loss_bad: Chance,
}

impl Chances {
    fn new(c: &LinkConfig) -> Self {
        Self {
            loss: Chance::new(c.loss()),
            duplicate: Chance::new(c.duplication()),
            reorder: Chance::new(c.reordering()),
            early: Chance::new(c.early()),
            corrupt: Chance::new(c.corruption()),
            burst: c.burst_loss().map(|m| Burst {
                enter_bad: Chance::new(m.enter_bad),
                leave_bad: Chance::new(m.leave_bad),
                loss_good: Chance::new(m.loss_good),
                loss_bad: Chance::new(m.loss_bad),
            }),
        }
    }
}

/// One direction of a simulated link.
///
/// Feed it packets with [`send`](Self::send), ask when the next one is due
/// with [`next_delivery`](Self::next_delivery), and collect due packets with
/// [`deliver`](Self::deliver). Time is whatever the caller says it is; all
/// randomness comes from the seed, so the same calls with the same seed give
/// the same result on every run and every machine.
///
/// ```
/// use strata_core::time::{Duration, Instant};
/// use strata_sim::{Link, LinkConfig};
///
/// let config = LinkConfig::clean()
///     .with_delay(Duration::from_millis(10))
///     .with_bandwidth(8_000_000); // 1 byte per microsecond
/// let mut link = Link::new(config, 7);
/// link.send(Instant::ZERO, vec![0; 1000]);
/// // 1000 µs to serialize, 10 ms to propagate.
/// let due = link.next_delivery().unwrap();
/// assert_eq!(due, Instant::from_micros(11_000));
/// assert_eq!(link.deliver(due - Duration::from_micros(1)), None);
/// assert_eq!(link.deliver(due).map(|p| p.len()), Some(1000));
/// ```
#[derive(Debug)]
pub struct Link {
    config: LinkConfig,
    chances: Chances,
    rng: SplitMix64,
    /// Packets that keep their place: their arrival times never decrease
    /// in send order (the FIFO rule), so a queue keeps them sorted by
    /// (time, sequence) at O(1) per packet.
    in_order: VecDeque<Pending>,
    /// Packets held back for reordering, which may be overtaken: a heap
    /// keyed by (time, sequence). Deliveries merge the two.
    held_back: BinaryHeap<Pending>,
    next_seq: u64,
    /// When the bottleneck finishes serializing what it has: `wire_free_at`
    /// plus `wire_free_frac / bandwidth` microseconds. The fraction keeps
    /// fast links exact where whole microseconds would round every packet.
    wire_free_at: Instant,
    wire_free_frac: u64,
    /// The arrival time of the latest packet that was not reordered, which
    /// later packets may not overtake.
    fifo_last: Instant,
    burst_bad: bool,
    stats: LinkStats,
}

impl Link {
    /// A link that behaves as `config` says, its random choices determined by
    /// `seed`.
    #[must_use]
    pub fn new(config: LinkConfig, seed: u64) -> Self {
        Self {
            chances: Chances::new(&config),
            config,
            rng: SplitMix64::new(seed),
            in_order: VecDeque::new(),
            held_back: BinaryHeap::new(),
            next_seq: 0,
            wire_free_at: Instant::ZERO,
            wire_free_frac: 0,
            fifo_last: Instant::ZERO,
            burst_bad: false,
            stats: LinkStats::default(),
        }
    }

    /// The current configuration.
    #[must_use]
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Changes the configuration from now on (to cut the link, say, with
    /// [`LinkConfig::lossy(1.0)`](LinkConfig::lossy)). Packets already in
    /// flight keep the fate they were given.
    pub fn set_config(&mut self, config: LinkConfig) {
        if config.bandwidth() != self.config.bandwidth() && self.wire_free_frac != 0 {
            // The fraction is in units of the old bandwidth: round up to a
            // whole microsecond rather than convert.
            self.wire_free_at += Duration::from_micros(1);
            self.wire_free_frac = 0;
        }
        self.chances = Chances::new(&config);
        self.config = config;
    }

    /// What the link has done so far.
    #[must_use]
    pub fn stats(&self) -> &LinkStats {
        &self.stats
    }

    /// How many packets (duplicates included) are waiting to arrive.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_order.len() + self.held_back.len()
    }

    /// When the earliest waiting packet arrives, `None` if none is waiting.
    #[must_use]
    pub fn next_delivery(&self) -> Option<Instant> {
        match (self.in_order.front(), self.held_back.peek()) {
            (Some(a), Some(b)) => Some(a.at.min(b.at)),
            (a, b) => a.or(b).map(|p| p.at),
        }
    }

    /// Puts `packet` on the link at `now` and says what will become of it.
    ///
    /// `now` should not go backwards between calls; if it does, the packet
    /// still never overtakes an earlier one.
    pub fn send(&mut self, now: Instant, packet: Vec<u8>) -> Fate {
        let len = packet.len();
        self.stats.sent += 1;
        self.stats.sent_bytes += len as u64;

        if self.config.mtu().is_some_and(|mtu| len > mtu) {
            self.stats.dropped_mtu += 1;
            return Fate::Dropped(DropReason::TooBig);
        }

        let departs = match self.config.bandwidth() {
            Some(bandwidth) => match self.serialize(now, len, bandwidth) {
                Some(t) => t,
                None => {
                    self.stats.dropped_queue += 1;
                    return Fate::Dropped(DropReason::QueueFull);
                }
            },
            None => now,
        };

        if self.lost() {
            self.stats.dropped_loss += 1;
            return Fate::Dropped(DropReason::Loss);
        }

        let jitter = self.config.jitter().total_micros();
        let jitter = if jitter == 0 {
            Duration::ZERO
        } else {
            Duration::from_micros(self.rng.below(jitter.saturating_add(1)))
        };
        // Jitter that reorders ignores the FIFO rule, and the packet goes
        // where packets that may be overtaken wait; so does a packet sent
        // early, and it overtakes.
        let early = self.chances.early.roll(&mut self.rng);
        let free = self.config.jitter_reorders() || early;
        let own = if early {
            self.stats.early += 1;
            departs
        } else {
            departs + self.config.delay() + jitter
        };
        let normal = if free { own } else { own.max(self.fifo_last) };
        let reordered = self.chances.reorder.roll(&mut self.rng);
        let arrives_at = if reordered {
            self.stats.reordered += 1;
            normal + self.config.reorder_delay()
        } else {
            if !free {
                self.fifo_last = normal;
            }
            normal
        };

        let (corrupt_bits, corrupt_seed) = if len > 0 && self.chances.corrupt.roll(&mut self.rng) {
            self.stats.corrupted += 1;
            let max = u64::from(self.config.corrupt_bits().clamp(1, MAX_CORRUPT_BITS));
            let bits = 1 + self.rng.below(max);
            (u8::try_from(bits).unwrap_or(1), self.rng.next_u64())
        } else {
            (0, 0)
        };

        let duplicated = self.chances.duplicate.roll(&mut self.rng);
        let copy = duplicated.then(|| packet.clone());
        let pending = |duplicate, packet| Pending {
            at: arrives_at,
            seq: 0,
            sent_at: now,
            corrupt_seed,
            corrupt_bits,
            duplicate,
            packet,
        };
        self.enqueue(pending(false, packet), reordered || free);
        if let Some(packet) = copy {
            self.stats.duplicated += 1;
            self.enqueue(pending(true, packet), reordered || free);
        }

        Fate::InFlight {
            arrives_at,
            corrupted: corrupt_bits > 0,
            reordered,
            duplicated,
        }
    }

    /// The next packet due at or before `now`, earliest first (ties in send
    /// order), or `None` if nothing is due yet.
    pub fn deliver(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.deliver_arrival(now).map(|a| a.packet)
    }

    /// Like [`deliver`](Self::deliver), with what happened to the packet.
    pub fn deliver_arrival(&mut self, now: Instant) -> Option<Arrival> {
        let from_heap = match (self.in_order.front(), self.held_back.peek()) {
            (Some(a), Some(b)) => (b.at, b.seq) < (a.at, a.seq),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        let p = if from_heap {
            if self.held_back.peek()?.at > now {
                return None;
            }
            self.held_back.pop()?
        } else {
            if self.in_order.front()?.at > now {
                return None;
            }
            self.in_order.pop_front()?
        };
        let mut packet = p.packet;
        if p.corrupt_bits > 0 {
            flip_bits(&mut packet, p.corrupt_bits, p.corrupt_seed);
        }
        self.stats.delivered += 1;
        self.stats.delivered_bytes += packet.len() as u64;
        Some(Arrival {
            packet,
            sent_at: p.sent_at,
            arrived_at: p.at,
            corrupted: p.corrupt_bits > 0,
            duplicate: p.duplicate,
        })
    }

    /// Gives `p` the next sequence number and files it where deliveries
    /// will look for it.
    fn enqueue(&mut self, mut p: Pending, reordered: bool) {
        p.seq = self.next_seq;
        self.next_seq += 1;
        if reordered {
            self.held_back.push(p);
        } else {
            self.in_order.push_back(p);
        }
    }

    /// Queues `len` bytes on the bottleneck at `now`; returns when the last
    /// bit leaves, or `None` if the queue has no room.
    fn serialize(&mut self, now: Instant, len: usize, bandwidth: u64) -> Option<Instant> {
        const MICROS_PER_SEC: u128 = 1_000_000;
        let bw = u128::from(bandwidth);
        if self.wire_free_at < now {
            self.wire_free_at = now;
            self.wire_free_frac = 0;
        }
        if let Some(limit) = self.config.queue_limit() {
            // Bits not yet on the wire = remaining busy time * bandwidth.
            let busy = u128::from((self.wire_free_at - now).total_micros());
            let bits = (busy * bw + u128::from(self.wire_free_frac)).div_ceil(MICROS_PER_SEC);
            let backlog = bits.div_ceil(8);
            if backlog.saturating_add(len as u128) > limit as u128 {
                return None;
            }
        }
        // Serialization time in units of 1/bandwidth microseconds.
        let units = (len as u128) * 8 * MICROS_PER_SEC + u128::from(self.wire_free_frac);
        let whole = u64::try_from(units / bw).unwrap_or(u64::MAX);
        // The remainder is below `bw`, which fits in u64.
        self.wire_free_frac = u64::try_from(units % bw).unwrap_or(0);
        self.wire_free_at += Duration::from_micros(whole);
        Some(if self.wire_free_frac > 0 {
            self.wire_free_at + Duration::from_micros(1)
        } else {
            self.wire_free_at
        })
    }

    /// Runs the loss models for one packet; the burst model's state moves
    /// once per packet that reaches the wire.
    fn lost(&mut self) -> bool {
        let mut lost = self.chances.loss.roll(&mut self.rng);
        if let Some(b) = self.chances.burst {
            let flip = if self.burst_bad {
                b.leave_bad
            } else {
                b.enter_bad
            };
            if flip.roll(&mut self.rng) {
                self.burst_bad = !self.burst_bad;
            }
            let loss = if self.burst_bad {
                b.loss_bad
            } else {
                b.loss_good
            };
            lost |= loss.roll(&mut self.rng);
        }
        lost
    }
}

/// Flips `count` distinct bits of `packet` chosen by `seed`. The choice is
/// drawn from its own generator so that the link's stream of decisions does
/// not depend on when packets are collected, and so a duplicate gets the
/// same damage as its original.
fn flip_bits(packet: &mut [u8], count: u8, seed: u64) {
    let total = (packet.len() as u64).saturating_mul(8);
    let count = u64::from(count).min(total);
    let mut rng = SplitMix64::new(seed);
    let mut chosen = [0u64; MAX_CORRUPT_BITS as usize];
    let mut n = 0usize;
    while (n as u64) < count {
        let bit = rng.below(total);
        if chosen.iter().take(n).any(|&c| c == bit) {
            continue;
        }
        if let Some(slot) = chosen.get_mut(n) {
            *slot = bit;
        }
        n += 1;
        let byte = usize::try_from(bit / 8).unwrap_or(usize::MAX);
        if let Some(b) = packet.get_mut(byte) {
            *b ^= 1 << (bit % 8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> Instant {
        Instant::from_micros(us)
    }

    #[test]
    fn clean_link_delivers_in_order_at_send_time() {
        let mut link = Link::new(LinkConfig::clean(), 1);
        for i in 0..10u8 {
            link.send(t(5), vec![i]);
        }
        assert_eq!(link.next_delivery(), Some(t(5)));
        assert_eq!(link.deliver(t(4)), None);
        let got: Vec<u8> = std::iter::from_fn(|| link.deliver(t(5)))
            .map(|p| p[0])
            .collect();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        assert_eq!(link.next_delivery(), None);
    }

    #[test]
    fn flip_bits_flips_exactly_count_distinct_bits() {
        for count in 1..=64u8 {
            let mut p = vec![0u8; 100];
            flip_bits(&mut p, count, u64::from(count) * 31);
            let ones: u32 = p.iter().map(|b| b.count_ones()).sum();
            assert_eq!(ones, u32::from(count));
        }
        // Fewer bits than asked when the packet is tiny.
        let mut p = vec![0u8; 1];
        flip_bits(&mut p, 64, 3);
        assert_eq!(p, [0xff]);
        let mut empty: Vec<u8> = Vec::new();
        flip_bits(&mut empty, 5, 3);
        assert!(empty.is_empty());
    }

    #[test]
    fn fractional_serialization_is_exact() {
        // 1500 bytes at 10 Gbit/s is 1.2 µs: 1000 of them take 1200 µs.
        let mut link = Link::new(LinkConfig::clean().with_bandwidth(10_000_000_000), 1);
        let mut last = None;
        for _ in 0..1000 {
            last = Some(link.send(t(0), vec![0; 1500]));
        }
        assert_eq!(
            last,
            Some(Fate::InFlight {
                arrives_at: t(1200),
                corrupted: false,
                reordered: false,
                duplicated: false
            })
        );
    }

    #[test]
    fn ties_go_to_the_earlier_send_across_both_queues() {
        let mut link = Link::new(
            LinkConfig::clean().with_reordering(1.0, Duration::from_micros(10)),
            1,
        );
        link.send(t(0), vec![0]); // held back until 10
        link.set_config(LinkConfig::clean().with_duplication(1.0));
        link.send(t(10), vec![1]); // arrives at 10, twice
        link.set_config(LinkConfig::clean().with_reordering(1.0, Duration::ZERO));
        link.send(t(10), vec![2]); // "held back" by nothing: also 10
        let order: Vec<u8> = std::iter::from_fn(|| link.deliver(t(10)))
            .map(|p| p[0])
            .collect();
        assert_eq!(order, [0, 1, 1, 2]);
        assert_eq!(link.in_flight(), 0);
        assert_eq!(link.next_delivery(), None);
    }

    #[test]
    fn mtu_drops_larger_packets_only() {
        let mut link = Link::new(LinkConfig::clean().with_mtu(100), 1);
        assert!(matches!(
            link.send(t(0), vec![0; 100]),
            Fate::InFlight { .. }
        ));
        assert_eq!(
            link.send(t(0), vec![0; 101]),
            Fate::Dropped(DropReason::TooBig)
        );
        assert_eq!(link.stats().dropped_mtu, 1);
    }

    #[test]
    fn changing_bandwidth_mid_flight_rounds_up() {
        let mut link = Link::new(LinkConfig::clean().with_bandwidth(3_000_000), 1);
        link.send(t(0), vec![0; 1]); // 8/3 µs
        link.set_config(LinkConfig::clean().with_bandwidth(8_000_000));
        let f = link.send(t(0), vec![0; 1]); // starts at 3 µs, takes 1 µs
        assert!(matches!(f, Fate::InFlight { arrives_at, .. } if arrives_at == t(4)));
    }

    #[test]
    fn duplicate_is_identical_even_when_corrupted() {
        let cfg = LinkConfig::clean()
            .with_duplication(1.0)
            .with_corruption(1.0)
            .with_corrupt_bits(8);
        let mut link = Link::new(cfg, 9);
        link.send(t(0), vec![0x55; 64]);
        let first = link.deliver_arrival(t(0)).unwrap();
        let second = link.deliver_arrival(t(0)).unwrap();
        assert!(!first.duplicate && second.duplicate);
        assert!(first.corrupted && second.corrupted);
        assert_eq!(first.packet, second.packet);
        assert_ne!(first.packet, vec![0x55; 64]);
        assert_eq!(link.stats().corrupted, 1);
        assert_eq!(link.stats().duplicated, 1);
        assert_eq!(link.stats().delivered, 2);
    }
}
