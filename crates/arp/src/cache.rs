//! The neighbour cache: IPv4 next hop to Ethernet address, as a sans-IO
//! state machine.
//!
//! [`ArpCache`] never reads a clock and never touches a device. The host
//! feeds it received ARP packets ([`ArpCache::handle`]), asks it for next
//! hops ([`ArpCache::lookup`]), parks datagrams for neighbours still being
//! resolved ([`ArpCache::enqueue`]), and drains what it wants sent
//! ([`ArpCache::poll_transmit`]) and what it has to report
//! ([`ArpCache::poll_event`]); timers run when the host calls
//! [`ArpCache::handle_timeout`] at [`ArpCache::poll_timeout`].
//!
//! # Behaviour
//!
//! - **Resolution** (RFC 826): a lookup of an unknown neighbour creates an
//!   *incomplete* entry and queues one broadcast request. Further requests
//!   follow every [`CacheConfig::retry_interval`] (RFC 1122 §2.3.2.1: at
//!   most one per second per destination by default) until
//!   [`CacheConfig::max_requests`] have gone unanswered; one more interval
//!   later the neighbour is declared unreachable: an
//!   [`ArpEvent::Unreachable`] carries the datagrams that were waiting, and
//!   for [`CacheConfig::unreachable_hold`] lookups of it fail at once.
//!   Lookups never send requests themselves, so a hundred lookups in a
//!   millisecond cost one request. Every neighbour has its own timer: one
//!   that never answers delays nobody else.
//! - **Queueing**: up to [`CacheConfig::queue_per_neighbour`] datagrams wait
//!   per neighbour; further ones are refused ([`QueueFull`]), never
//!   displacing older ones. On resolution they leave in arrival order.
//! - **Learning** follows RFC 826's merge rule: a packet from a sender
//!   already in the table updates it; a packet whose target is one of our
//!   addresses also creates an entry for its sender (so a host that asks us
//!   is answered without a request of our own). Requests between other hosts
//!   create nothing. RFC 5227 probes (sender 0.0.0.0) are answered but never
//!   learned; broadcast, multicast, loopback and unspecified senders are
//!   never learned.
//! - **Expiry and refresh**: an entry lives for
//!   [`CacheConfig::reachable_time`] after its last confirmation (a reply to
//!   us, or a packet aimed at one of our addresses). If it was used since
//!   then, unicast requests to the known hardware address go out shortly
//!   before it expires (the last `max_requests × retry_interval`, at most
//!   half the lifetime), so an entry in use is confirmed again instead of
//!   dropped and traffic never stalls on a fresh broadcast resolution. An
//!   idle entry simply expires.
//! - **Our addresses**: requests for them are answered; adding one
//!   broadcasts RFC 5227 announcements ([`ANNOUNCE_NUM`] of them,
//!   [`ANNOUNCE_INTERVAL`] apart). A packet from another host claiming one
//!   of our addresses raises [`ArpEvent::Conflict`], and we defend the
//!   address with one announcement at most every [`DEFEND_INTERVAL`]
//!   (RFC 5227 §2.4 (b)).
//! - **Probing before use** (opt-in, [`ArpCache::probe_address`]): an
//!   address can be checked first (RFC 5227 §2.1): [`PROBE_NUM`] probes
//!   from 0.0.0.0, then [`ANNOUNCE_WAIT`] of silence, and only then is it
//!   ours ([`ArpEvent::AddressClaimed`], announcements as above). Any ARP
//!   packet from another host with it as sender, or another host's probe
//!   for it, during that time ends the attempt
//!   ([`ArpEvent::ProbeConflict`]): the address is not taken. While
//!   probing, requests for it are not answered.
//! - **Bounded memory**: at most [`CacheConfig::max_entries`] dynamic
//!   entries (static ones are configuration and not counted); when full, a
//!   new neighbour evicts an old one chosen by a CLOCK sweep (idle entries
//!   first, recently used ones get a second chance, entries with waiting
//!   datagrams last). Learning from the network only ever evicts idle
//!   entries, so a flood of requests cannot push out neighbours in use.
//!   The ARP packets waiting to be sent and the events waiting to be
//!   polled are capped as well.
//!
//! # Cost
//!
//! Entries live in a hash map keyed by address (a `BTreeMap` without the
//! `std` feature); timers in a binary heap with lazy invalidation, one live
//! heap item per entry; the queues of work hold `(address, id)` tokens
//! checked against the entry when popped. Nothing on the per-packet path
//! scans the table, and the stale tokens and heap items are compacted away
//! in amortised constant time.
//!
//! # Example
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_arp::cache::{ArpCache, ArpEvent, ArpTransmit, CacheConfig, Resolution};
//! use strata_arp::{MacAddress, Repr};
//! use strata_core::time::{Duration, Instant};
//!
//! let ours = MacAddress::new([0x02, 0, 0, 0, 0, 1]);
//! let theirs = MacAddress::new([0x02, 0, 0, 0, 0, 2]);
//! let (me, peer) = (Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2));
//!
//! let mut cache = ArpCache::new(CacheConfig::default(), ours);
//! let now = Instant::ZERO;
//! cache.add_address(now, me);
//! // The gratuitous announcement goes first.
//! assert_eq!(cache.poll_transmit(now), Some(ArpTransmit::Arp(Repr::gratuitous(ours, me))));
//!
//! // Unknown neighbour: a broadcast request, and the datagram waits.
//! assert_eq!(cache.lookup(now, peer), Resolution::Pending);
//! cache.enqueue(now, peer, b"datagram".to_vec())?;
//! let Some(ArpTransmit::Arp(request)) = cache.poll_transmit(now) else { unreachable!() };
//! assert_eq!(request, Repr::request(ours, me, peer));
//!
//! // The reply resolves it and releases the datagram.
//! let later = now + Duration::from_millis(1);
//! cache.handle(later, &Repr::reply_to(&request, theirs));
//! assert_eq!(cache.poll_event(), Some(ArpEvent::Resolved { ip: peer, mac: theirs }));
//! assert_eq!(
//!     cache.poll_transmit(later),
//!     Some(ArpTransmit::Datagram { dst: theirs, next_hop: peer, packet: b"datagram".to_vec() })
//! );
//! assert_eq!(cache.lookup(later, peer), Resolution::Resolved(theirs));
//! # Ok::<(), strata_arp::cache::QueueFull>(())
//! ```

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt;
use core::net::Ipv4Addr;

use strata_core::time::{Duration, Instant};
use strata_ethernet::MacAddress;

use crate::{Operation, Repr};

#[cfg(feature = "std")]
type Map<K, V> = std::collections::HashMap<K, V, AddrHash>;

/// Hashing for the cache's IPv4 keys: every datagram sent looks its next
/// hop up, and SipHash over four bytes cost more than the rest of the
/// lookup. A multiply-fold keyed per cache from the standard library's
/// random keys keeps the bucket of an address unpredictable to a
/// neighbour choosing addresses, and the table is bounded anyway.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
struct AddrHash {
    key: u64,
}

#[cfg(feature = "std")]
impl Default for AddrHash {
    fn default() -> Self {
        use core::hash::BuildHasher as _;
        AddrHash {
            key: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64),
        }
    }
}

#[cfg(feature = "std")]
impl core::hash::BuildHasher for AddrHash {
    type Hasher = AddrHasher;

    fn build_hasher(&self) -> AddrHasher {
        AddrHasher { state: self.key }
    }
}

/// See [`AddrHash`].
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
struct AddrHasher {
    state: u64,
}

#[cfg(feature = "std")]
impl AddrHasher {
    /// An odd constant with well-spread bits (the golden ratio's).
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

    fn mix(&mut self, word: u64) {
        let product = u128::from(self.state ^ word) * u128::from(Self::MULTIPLIER);
        // Folding the high half in spreads every input bit over the low
        // bits, which pick the bucket.
        #[allow(clippy::cast_possible_truncation)]
        let folded = (product as u64) ^ ((product >> 64) as u64);
        self.state = folded;
    }
}

#[cfg(feature = "std")]
impl core::hash::Hasher for AddrHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (to, from) in word.iter_mut().zip(chunk) {
                *to = *from;
            }
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn finish(&self) -> u64 {
        let mut last = *self;
        last.mix(0);
        last.state
    }
}
#[cfg(not(feature = "std"))]
type Map<K, V> = alloc::collections::BTreeMap<K, V>;

/// Announcements sent when an address is added (RFC 5227 `ANNOUNCE_NUM`).
pub const ANNOUNCE_NUM: u32 = 2;
/// Time between those announcements (RFC 5227 `ANNOUNCE_INTERVAL`).
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// Shortest time between two announcements defending an address against a
/// conflicting host (RFC 5227 `DEFEND_INTERVAL`).
pub const DEFEND_INTERVAL: Duration = Duration::from_secs(10);
/// Longest wait before the first probe (RFC 5227 `PROBE_WAIT`); the
/// caller picks the actual wait, at random, so hosts that power up
/// together do not probe in step.
pub const PROBE_WAIT: Duration = Duration::from_secs(1);
/// Probes sent before an address is claimed (RFC 5227 `PROBE_NUM`).
pub const PROBE_NUM: u32 = 3;
/// Time between probes: RFC 5227 asks for a random time between
/// `PROBE_MIN` (1 s) and `PROBE_MAX` (2 s); the cache uses the middle.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(1500);
/// Silence after the last probe before the address is claimed (RFC 5227
/// `ANNOUNCE_WAIT`).
pub const ANNOUNCE_WAIT: Duration = Duration::from_secs(2);
/// ARP replies and announcements held for [`ArpCache::poll_transmit`];
/// beyond this they are dropped (and counted), since a host that does not
/// drain them is flooded anyway and the askers retry.
pub const CONTROL_QUEUE_CAP: usize = 64;
/// Entries the eviction sweep looks at for an idle victim before it settles
/// for a busy one; bounds the cost of one insertion into a full table.
const EVICT_SCAN: usize = 64;

/// Tunables of an [`ArpCache`].
///
/// The defaults follow RFC 1122 and Linux: requests one second apart, three
/// of them, entries valid for a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheConfig {
    /// How long an entry stays valid after the neighbour last confirmed it.
    pub reachable_time: Duration,
    /// Time between two requests for the same neighbour; RFC 1122 asks for
    /// no more than one per second.
    pub retry_interval: Duration,
    /// Unanswered requests before a neighbour is declared unreachable (0 is
    /// treated as 1). Also the number of unicast refresh probes.
    pub max_requests: u32,
    /// Datagrams held per neighbour while it is resolved; once full, new
    /// ones are refused and the old ones kept.
    pub queue_per_neighbour: usize,
    /// Dynamic entries the table holds at most; a new neighbour then evicts
    /// an old, preferably idle, one.
    pub max_entries: usize,
    /// How long a neighbour that failed to answer makes new lookups fail at
    /// once instead of starting another round of requests.
    pub unreachable_hold: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            reachable_time: Duration::from_secs(60),
            retry_interval: Duration::from_secs(1),
            max_requests: 3,
            queue_per_neighbour: 8,
            max_entries: 1024,
            unreachable_hold: Duration::from_secs(3),
        }
    }
}

/// What [`ArpCache::lookup`] knows about a next hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Send to this hardware address.
    Resolved(MacAddress),
    /// A resolution is under way: [`ArpCache::enqueue`] the datagram.
    Pending,
    /// The neighbour did not answer recently (or the address cannot be
    /// resolved, such as 0.0.0.0): fail the send.
    Unreachable,
}

/// Something the cache wants sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArpTransmit {
    /// An ARP packet. The Ethernet destination is `target_mac` when it is
    /// set (replies, refresh probes) and broadcast when it is zero
    /// (requests, announcements); [`ArpTransmit::destination`] says which.
    Arp(Repr),
    /// A datagram that waited for its next hop to be resolved: an IPv4
    /// packet without Ethernet header, to be framed for `dst`.
    Datagram {
        /// The next hop's hardware address.
        dst: MacAddress,
        /// The next hop the datagram was queued for.
        next_hop: Ipv4Addr,
        /// The IPv4 datagram as given to [`ArpCache::enqueue`].
        packet: Vec<u8>,
    },
}

impl ArpTransmit {
    /// The Ethernet destination of the frame carrying this.
    #[must_use]
    pub fn destination(&self) -> MacAddress {
        match self {
            Self::Arp(repr) if repr.target_mac.is_unspecified() => MacAddress::BROADCAST,
            Self::Arp(repr) => repr.target_mac,
            Self::Datagram { dst, .. } => *dst,
        }
    }
}

/// Something the host should know about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArpEvent {
    /// A neighbour that was being resolved (or had failed) answered.
    Resolved {
        /// Its IPv4 address.
        ip: Ipv4Addr,
        /// Its hardware address.
        mac: MacAddress,
    },
    /// A neighbour did not answer (or its entry had to be given up, such as
    /// by eviction while datagrams waited): fail the sockets waiting on it,
    /// answer the dropped datagrams with ICMP host unreachable.
    Unreachable {
        /// Its IPv4 address.
        ip: Ipv4Addr,
        /// The datagrams that were waiting for it, oldest first.
        dropped: Vec<Vec<u8>>,
    },
    /// Another host sent an ARP packet claiming one of our addresses.
    Conflict {
        /// Our address.
        ip: Ipv4Addr,
        /// The other host's hardware address.
        mac: MacAddress,
    },
    /// An address being probed ([`ArpCache::probe_address`]) is in use
    /// (or being probed) by another host: it was not taken.
    ProbeConflict {
        /// The address.
        ip: Ipv4Addr,
        /// The other host's hardware address.
        mac: MacAddress,
    },
    /// An address being probed drew no conflict: it is ours now
    /// (requests for it are answered, its announcements go out).
    AddressClaimed {
        /// The address.
        ip: Ipv4Addr,
    },
}

/// [`ArpCache::enqueue`] refused a datagram: the neighbour's queue is full
/// (or the queue size is configured as zero). The datagram is discarded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueFull;

impl fmt::Display for QueueFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many datagrams are already waiting for this neighbour to be resolved")
    }
}

impl core::error::Error for QueueFull {}

/// Where a table entry stands, for diagnostics ([`ArpCache::state`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NeighbourState {
    /// Requests are going out; no answer yet.
    Incomplete,
    /// Confirmed and valid.
    Reachable(MacAddress),
    /// Still valid, but unicast probes are asking it to confirm again.
    Probing(MacAddress),
    /// It did not answer; lookups fail until the hold time ends.
    Failed,
    /// Configured with [`ArpCache::insert_static`]: never expires.
    Static(MacAddress),
}

/// Counters for diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CacheStats {
    /// Requests handed out by [`ArpCache::poll_transmit`] (broadcast and
    /// unicast).
    pub requests: u64,
    /// Replies queued to requests for our addresses.
    pub replies: u64,
    /// Announcements queued (on add and in defence).
    pub announcements: u64,
    /// Entries evicted to make room.
    pub evictions: u64,
    /// Neighbours declared unreachable after their requests went
    /// unanswered.
    pub failures: u64,
    /// Replies and announcements dropped because [`CONTROL_QUEUE_CAP`]
    /// were already waiting.
    pub control_dropped: u64,
    /// Events discarded, oldest first, because the host did not poll them.
    pub events_dropped: u64,
    /// RFC 5227 probes sent for addresses not yet ours.
    pub probes: u64,
    /// Addresses given up because another host used or probed them.
    pub probe_conflicts: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Incomplete {
        /// Requests queued so far in this round.
        sent: u32,
    },
    Reachable {
        mac: MacAddress,
        expires: Instant,
        refresh_at: Instant,
        /// Unicast refresh probes queued since the last confirmation.
        probes: u32,
        /// Looked up since the last confirmation: worth refreshing.
        used: bool,
    },
    Failed {
        until: Instant,
    },
    Static {
        mac: MacAddress,
    },
}

#[derive(Debug)]
struct Entry {
    state: State,
    queue: VecDeque<Vec<u8>>,
    /// Distinguishes this entry from earlier ones for the same address, so
    /// tokens and timers left by those are recognised as stale.
    id: u64,
    /// When the entry next needs attention.
    timer: Option<Instant>,
    /// The earliest heap item for this entry that is still live.
    armed: Option<Instant>,
    /// CLOCK bit: used since the eviction sweep last passed.
    referenced: bool,
    request_queued: bool,
    flush_queued: bool,
    /// When a request for it was last queued: a new round of requests
    /// (after expiry or failure) still keeps `retry_interval` from it.
    last_request: Option<Instant>,
}

impl Entry {
    fn mac(&self) -> Option<MacAddress> {
        match self.state {
            State::Reachable { mac, .. } | State::Static { mac } => Some(mac),
            State::Incomplete { .. } | State::Failed { .. } => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    Neighbour,
    Announce,
    Probe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Instant,
    ip: Ipv4Addr,
    kind: TimerKind,
    id: u64,
}

/// An address being probed before use.
#[derive(Debug)]
struct Candidate {
    id: u64,
    /// Probes still to send; at zero the next timer claims the address.
    probes_left: u32,
    next: Instant,
}

#[derive(Debug)]
struct OurAddress {
    id: u64,
    announcements_left: u32,
    next_announce: Option<Instant>,
    last_defended: Option<Instant>,
}

/// Everything but the table itself, so an entry borrowed from the table can
/// be worked on together with the queues.
#[derive(Debug)]
struct Work {
    timers: BinaryHeap<Reverse<Timer>>,
    /// Entries in creation order, swept by eviction.
    ring: VecDeque<(Ipv4Addr, u64)>,
    /// Entries that want a request sent.
    requests: VecDeque<(Ipv4Addr, u64)>,
    /// Entries with datagrams ready to go.
    flush: VecDeque<(Ipv4Addr, u64)>,
    /// Replies and announcements.
    control: VecDeque<Repr>,
    /// Datagrams for addresses that need no resolution (broadcast,
    /// multicast, our own).
    direct: VecDeque<(MacAddress, Ipv4Addr, Vec<u8>)>,
    direct_cap: usize,
    events: VecDeque<ArpEvent>,
    event_cap: usize,
    /// Datagrams held, in entry queues and `direct`.
    queued: usize,
    stats: CacheStats,
}

impl Work {
    fn arm(&mut self, ip: Ipv4Addr, entry: &mut Entry, at: Option<Instant>) {
        entry.timer = at;
        let Some(at) = at else { return };
        // A later deadline reuses the item already in the heap: it fires,
        // finds the entry's real deadline later, and re-arms. So an entry
        // confirmed a thousand times a second adds no heap items.
        if entry.armed.is_none_or(|armed| at < armed) {
            entry.armed = Some(at);
            self.timers.push(Reverse(Timer {
                at,
                ip,
                kind: TimerKind::Neighbour,
                id: entry.id,
            }));
        }
    }

    fn queue_request(&mut self, now: Instant, ip: Ipv4Addr, entry: &mut Entry) {
        entry.last_request = Some(now);
        if !entry.request_queued {
            entry.request_queued = true;
            self.requests.push_back((ip, entry.id));
        }
    }

    fn queue_flush(&mut self, ip: Ipv4Addr, entry: &mut Entry) {
        if !entry.flush_queued && !entry.queue.is_empty() {
            entry.flush_queued = true;
            self.flush.push_back((ip, entry.id));
        }
    }

    fn control(&mut self, repr: Repr) {
        if self.control.len() >= CONTROL_QUEUE_CAP {
            self.stats.control_dropped += 1;
        } else {
            self.control.push_back(repr);
        }
    }

    fn event(&mut self, event: ArpEvent) {
        if self.events.len() >= self.event_cap {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(event);
    }

    /// Takes an entry's datagrams and reports them with the neighbour.
    fn unreachable(&mut self, ip: Ipv4Addr, entry: &mut Entry) {
        let dropped: Vec<Vec<u8>> = entry.queue.drain(..).collect();
        self.queued = self.queued.saturating_sub(dropped.len());
        self.event(ArpEvent::Unreachable { ip, dropped });
    }
}

/// The ARP cache of one interface: see the [module documentation](self).
#[derive(Debug)]
pub struct ArpCache {
    config: CacheConfig,
    our_mac: MacAddress,
    entries: Map<Ipv4Addr, Entry>,
    /// Entries that are not static: what `max_entries` bounds.
    dynamic: usize,
    next_id: u64,
    addresses: Map<Ipv4Addr, OurAddress>,
    /// Our addresses in the order added; the first is the source of our
    /// requests.
    address_order: Vec<Ipv4Addr>,
    /// Addresses being probed before use.
    probing: Map<Ipv4Addr, Candidate>,
    work: Work,
}

impl ArpCache {
    /// An empty cache for an interface with hardware address `our_mac` and,
    /// so far, no IPv4 address.
    #[must_use]
    pub fn new(config: CacheConfig, our_mac: MacAddress) -> Self {
        Self {
            config,
            our_mac,
            entries: Map::default(),
            dynamic: 0,
            next_id: 0,
            addresses: Map::default(),
            address_order: Vec::new(),
            probing: Map::default(),
            work: Work {
                timers: BinaryHeap::new(),
                ring: VecDeque::new(),
                requests: VecDeque::new(),
                flush: VecDeque::new(),
                control: VecDeque::new(),
                direct: VecDeque::new(),
                direct_cap: config.queue_per_neighbour,
                events: VecDeque::new(),
                event_cap: config.max_entries.saturating_mul(2).max(1024),
                queued: 0,
                stats: CacheStats::default(),
            },
        }
    }

    /// The configuration the cache was made with.
    #[must_use]
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Our hardware address.
    #[must_use]
    pub fn our_mac(&self) -> MacAddress {
        self.our_mac
    }

    /// Makes `ip` one of our addresses: requests for it are answered from
    /// now on, and [`ANNOUNCE_NUM`] RFC 5227 announcements go out, the first
    /// at once. A neighbour entry for `ip` is dropped. Adding an address
    /// again restarts its announcements. Unspecified, broadcast and
    /// multicast addresses are ignored.
    pub fn add_address(&mut self, now: Instant, ip: Ipv4Addr) {
        if !is_unicast(ip) {
            return;
        }
        self.probing.remove(&ip);
        self.remove_entry(ip);
        let id = self.fresh_id();
        let next_announce = (ANNOUNCE_NUM > 1).then(|| now + ANNOUNCE_INTERVAL);
        let previous = self.addresses.insert(
            ip,
            OurAddress {
                id,
                announcements_left: ANNOUNCE_NUM.saturating_sub(1),
                next_announce,
                last_defended: None,
            },
        );
        if previous.is_none() {
            self.address_order.push(ip);
        }
        if ANNOUNCE_NUM > 0 {
            self.work.stats.announcements += 1;
            self.work.control(Repr::gratuitous(self.our_mac, ip));
        }
        if let Some(at) = next_announce {
            self.push_timer(Timer {
                at,
                ip,
                kind: TimerKind::Announce,
                id,
            });
        }
    }

    /// Stops treating `ip` as ours: no more answers or announcements for it
    /// (and stops probing it).
    pub fn remove_address(&mut self, ip: Ipv4Addr) {
        self.probing.remove(&ip);
        if self.addresses.remove(&ip).is_some() {
            self.address_order.retain(|a| *a != ip);
        }
    }

    /// Checks that `ip` is free before taking it (RFC 5227 §2.1): the
    /// first probe goes out after `wait` (capped at [`PROBE_WAIT`]; pick it
    /// at random), [`PROBE_NUM`] in all [`PROBE_INTERVAL`] apart, and
    /// [`ANNOUNCE_WAIT`] after the last one the address becomes ours as
    /// with [`ArpCache::add_address`], reported as
    /// [`ArpEvent::AddressClaimed`]. Another host using or probing the
    /// address meanwhile ends the attempt with [`ArpEvent::ProbeConflict`].
    /// An address already ours, or not unicast, is left alone; probing one
    /// again starts over.
    pub fn probe_address(&mut self, now: Instant, ip: Ipv4Addr, wait: Duration) {
        if !is_unicast(ip) || self.addresses.contains_key(&ip) {
            return;
        }
        let id = self.fresh_id();
        let next = now + wait.min(PROBE_WAIT);
        self.probing.insert(
            ip,
            Candidate {
                id,
                probes_left: PROBE_NUM,
                next,
            },
        );
        self.push_timer(Timer {
            at: next,
            ip,
            kind: TimerKind::Probe,
            id,
        });
    }

    /// Whether `ip` is being probed (not ours yet, no conflict so far).
    #[must_use]
    pub fn is_probing(&self, ip: Ipv4Addr) -> bool {
        self.probing.contains_key(&ip)
    }

    /// Whether `ip` is one of our addresses.
    #[must_use]
    pub fn is_our_address(&self, ip: Ipv4Addr) -> bool {
        self.addresses.contains_key(&ip)
    }

    /// Our addresses, in the order they were added.
    pub fn addresses(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.address_order.iter().copied()
    }

    /// Takes in a received ARP packet: learns or refreshes its sender per
    /// RFC 826's merge rule, queues a reply if it asks for one of our
    /// addresses, releases the datagrams of a neighbour it resolves, and
    /// reports a conflict if its sender claims one of our addresses.
    /// Opcodes other than request and reply are ignored, and so are our
    /// own packets echoed back.
    pub fn handle(&mut self, now: Instant, packet: &Repr) {
        self.handle_packet(now, packet);
        self.tidy();
    }

    fn handle_packet(&mut self, now: Instant, packet: &Repr) {
        let is_request = packet.operation == Operation::REQUEST;
        if !is_request && packet.operation != Operation::REPLY {
            return;
        }
        if packet.sender_mac == self.our_mac {
            return;
        }
        if !self.probing.is_empty() && self.probe_conflict(packet) {
            return;
        }
        let sender = packet.sender_ip;
        if let Some(ours) = self.addresses.get_mut(&sender) {
            self.work.event(ArpEvent::Conflict {
                ip: sender,
                mac: packet.sender_mac,
            });
            let defend = ours
                .last_defended
                .is_none_or(|at| now >= at + DEFEND_INTERVAL);
            if defend {
                ours.last_defended = Some(now);
                self.work.stats.announcements += 1;
                self.work.control(Repr::gratuitous(self.our_mac, sender));
            }
            return;
        }

        let target_ours = self.addresses.contains_key(&packet.target_ip);
        let learnable = packet.sender_mac.is_unicast()
            && !packet.sender_mac.is_unspecified()
            && is_unicast(sender)
            && !sender.is_loopback();
        let mut merged = false;
        if learnable && let Some(entry) = self.entries.get_mut(&sender) {
            merged = true;
            let confirms = target_ours
                || (packet.operation == Operation::REPLY && packet.target_mac == self.our_mac);
            Self::merge(
                &self.config,
                &mut self.work,
                now,
                sender,
                entry,
                packet.sender_mac,
                confirms,
            );
        }
        if target_ours {
            if learnable && !merged && self.make_room(false) {
                let mut entry = self.new_entry(State::Failed { until: now });
                self.work.ring.push_back((sender, entry.id));
                confirm(
                    &self.config,
                    &mut self.work,
                    now,
                    sender,
                    &mut entry,
                    packet.sender_mac,
                );
                self.entries.insert(sender, entry);
                self.dynamic += 1;
            }
            if is_request {
                self.work.stats.replies += 1;
                self.work.control(Repr::reply_to(packet, self.our_mac));
            }
        }
    }

    fn merge(
        config: &CacheConfig,
        work: &mut Work,
        now: Instant,
        ip: Ipv4Addr,
        entry: &mut Entry,
        mac: MacAddress,
        confirms: bool,
    ) {
        match &mut entry.state {
            // Configured by the administrator: the network does not get to
            // change it (as on Linux).
            State::Static { .. } => {}
            State::Incomplete { .. } | State::Failed { .. } => {
                confirm(config, work, now, ip, entry, mac);
                work.event(ArpEvent::Resolved { ip, mac });
                work.queue_flush(ip, entry);
            }
            State::Reachable { mac: known, .. } => {
                if confirms {
                    confirm(config, work, now, ip, entry, mac);
                } else {
                    // Overheard (an announcement, a request to someone
                    // else): take the new address, but it proves nothing
                    // about reachability from here.
                    *known = mac;
                }
            }
        }
    }

    /// What to send to `next_hop`. An unknown neighbour gets an entry and a
    /// request (returning [`Resolution::Pending`]); a pending one is left to
    /// its retry timer, so repeated lookups send nothing more. A lookup
    /// marks the entry as in use, which gets it refreshed before it
    /// expires. The limited broadcast and multicast addresses resolve to
    /// their Ethernet group addresses, our own addresses to our MAC, and
    /// 0.0.0.0 is [`Resolution::Unreachable`].
    pub fn lookup(&mut self, now: Instant, next_hop: Ipv4Addr) -> Resolution {
        let resolution = self.resolve(now, next_hop);
        self.tidy();
        resolution
    }

    fn resolve(&mut self, now: Instant, next_hop: Ipv4Addr) -> Resolution {
        if let Some(fixed) = self.fixed(next_hop) {
            return fixed;
        }
        let config = self.config;
        let Some(entry) = self.entries.get_mut(&next_hop) else {
            return if self.start(now, next_hop) {
                Resolution::Pending
            } else {
                Resolution::Unreachable
            };
        };
        entry.referenced = true;
        match &mut entry.state {
            State::Static { mac } => Resolution::Resolved(*mac),
            State::Incomplete { .. } => Resolution::Pending,
            State::Failed { until } => {
                if now < *until {
                    Resolution::Unreachable
                } else {
                    restart(&config, &mut self.work, now, next_hop, entry);
                    Resolution::Pending
                }
            }
            State::Reachable {
                mac,
                expires,
                refresh_at,
                probes,
                used,
            } => {
                let mac = *mac;
                if now >= *expires {
                    restart(&config, &mut self.work, now, next_hop, entry);
                    return Resolution::Pending;
                }
                let first_use = !*used;
                *used = true;
                if first_use && now >= *refresh_at && *probes == 0 {
                    // It went idle before the refresh point and is wanted
                    // again: start probing now rather than let it lapse.
                    service(&config, &mut self.work, now, next_hop, entry);
                }
                Resolution::Resolved(mac)
            }
        }
    }

    /// Holds `packet`, an IPv4 datagram without Ethernet header, until
    /// `next_hop` is resolved; starts the resolution if none is under way.
    /// If the neighbour is already resolved the datagram is released at once
    /// through [`ArpCache::poll_transmit`]; if it is known unreachable the
    /// datagram comes straight back in an [`ArpEvent::Unreachable`].
    /// Datagrams for addresses that need no resolution (broadcast,
    /// multicast, our own) share one queue of `queue_per_neighbour`.
    ///
    /// # Errors
    /// [`QueueFull`] when [`CacheConfig::queue_per_neighbour`] datagrams
    /// already wait for `next_hop`; the new one is discarded, the waiting
    /// ones kept.
    pub fn enqueue(
        &mut self,
        now: Instant,
        next_hop: Ipv4Addr,
        packet: Vec<u8>,
    ) -> Result<(), QueueFull> {
        let resolution = self.lookup(now, next_hop);
        let cap = self.config.queue_per_neighbour;
        let Some(entry) = self.entries.get_mut(&next_hop) else {
            return match resolution {
                Resolution::Resolved(mac) => {
                    if self.work.direct.len() >= self.work.direct_cap {
                        return Err(QueueFull);
                    }
                    self.work.direct.push_back((mac, next_hop, packet));
                    self.work.queued += 1;
                    Ok(())
                }
                Resolution::Pending | Resolution::Unreachable => {
                    self.work.event(ArpEvent::Unreachable {
                        ip: next_hop,
                        dropped: vec![packet],
                    });
                    Ok(())
                }
            };
        };
        if resolution == Resolution::Unreachable {
            self.work.event(ArpEvent::Unreachable {
                ip: next_hop,
                dropped: vec![packet],
            });
            return Ok(());
        }
        if entry.queue.len() >= cap {
            return Err(QueueFull);
        }
        entry.queue.push_back(packet);
        self.work.queued += 1;
        if matches!(resolution, Resolution::Resolved(_)) {
            self.work.queue_flush(next_hop, entry);
        }
        Ok(())
    }

    /// Adds a permanent entry: it never expires, is never evicted, does not
    /// count against [`CacheConfig::max_entries`], and received packets do
    /// not change it. A neighbour being resolved is resolved by it.
    /// Ignored for our own addresses and addresses that cannot be a
    /// neighbour (unspecified, broadcast, multicast).
    pub fn insert_static(&mut self, ip: Ipv4Addr, mac: MacAddress) {
        if !is_unicast(ip) || self.addresses.contains_key(&ip) {
            return;
        }
        if let Some(entry) = self.entries.get_mut(&ip) {
            let was = entry.state;
            entry.state = State::Static { mac };
            entry.timer = None;
            match was {
                State::Static { .. } => {}
                State::Incomplete { .. } | State::Failed { .. } => {
                    self.dynamic = self.dynamic.saturating_sub(1);
                    self.work.event(ArpEvent::Resolved { ip, mac });
                }
                State::Reachable { .. } => self.dynamic = self.dynamic.saturating_sub(1),
            }
            self.work.queue_flush(ip, entry);
        } else {
            let entry = self.new_entry(State::Static { mac });
            self.entries.insert(ip, entry);
        }
    }

    /// Forgets the entry for `ip`, static or not. Datagrams waiting for it
    /// are reported in an [`ArpEvent::Unreachable`]. Returns whether there
    /// was one.
    pub fn remove(&mut self, ip: Ipv4Addr) -> bool {
        self.remove_entry(ip)
    }

    /// The next packet to send: replies and announcements first, then
    /// requests, then released datagrams.
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<ArpTransmit> {
        if let Some(repr) = self.work.control.pop_front() {
            return Some(ArpTransmit::Arp(repr));
        }
        while let Some((ip, id)) = self.work.requests.pop_front() {
            let Some(entry) = self.entries.get_mut(&ip) else {
                continue;
            };
            if entry.id != id {
                continue;
            }
            entry.request_queued = false;
            let target_mac = match entry.state {
                State::Incomplete { .. } => MacAddress::UNSPECIFIED,
                // A refresh probe: unicast to the address we believe in
                // (Linux leaves the target hardware field zero; RFC 826
                // ignores it in requests, and here it picks the Ethernet
                // destination).
                State::Reachable { mac, .. } => mac,
                State::Failed { .. } | State::Static { .. } => continue,
            };
            let sender_ip = self
                .address_order
                .first()
                .copied()
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            self.work.stats.requests += 1;
            return Some(ArpTransmit::Arp(Repr {
                operation: Operation::REQUEST,
                sender_mac: self.our_mac,
                sender_ip,
                target_mac,
                target_ip: ip,
            }));
        }
        if let Some((dst, next_hop, packet)) = self.work.direct.pop_front() {
            self.work.queued = self.work.queued.saturating_sub(1);
            return Some(ArpTransmit::Datagram {
                dst,
                next_hop,
                packet,
            });
        }
        while let Some(&(ip, id)) = self.work.flush.front() {
            let entry = match self.entries.get_mut(&ip) {
                Some(entry) if entry.id == id => entry,
                _ => {
                    self.work.flush.pop_front();
                    continue;
                }
            };
            let packet = match entry.mac() {
                Some(dst) => entry.queue.pop_front().map(|p| (dst, p)),
                None => None,
            };
            if entry.queue.is_empty() || packet.is_none() {
                entry.flush_queued = false;
                self.work.flush.pop_front();
            }
            if let Some((dst, packet)) = packet {
                self.work.queued = self.work.queued.saturating_sub(1);
                return Some(ArpTransmit::Datagram {
                    dst,
                    next_hop: ip,
                    packet,
                });
            }
        }
        None
    }

    /// The next event for the host, oldest first.
    pub fn poll_event(&mut self) -> Option<ArpEvent> {
        self.work.events.pop_front()
    }

    /// When [`ArpCache::handle_timeout`] should next run; `None` when no
    /// timer is set. It may be earlier than strictly needed (a timer that
    /// was pushed back fires, finds nothing to do and re-arms), never later.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.work.timers.peek().map(|Reverse(t)| t.at)
    }

    /// Runs every timer due at `now`: retries, declaring neighbours
    /// unreachable, refresh probes, expiry, announcements.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(&Reverse(timer)) = self.work.timers.peek() {
            if timer.at > now {
                break;
            }
            self.work.timers.pop();
            match timer.kind {
                TimerKind::Neighbour => self.fire_neighbour(now, timer),
                TimerKind::Announce => self.fire_announce(now, timer),
                TimerKind::Probe => self.fire_probe(now, timer),
            }
        }
        self.tidy();
    }

    /// Every entry with its hardware address if known (incomplete and failed
    /// entries have none), in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (Ipv4Addr, Option<MacAddress>)> + '_ {
        self.entries.iter().map(|(ip, entry)| (*ip, entry.mac()))
    }

    /// Where the entry for `ip` stands, if there is one.
    #[must_use]
    pub fn state(&self, ip: Ipv4Addr) -> Option<NeighbourState> {
        let entry = self.entries.get(&ip)?;
        Some(match entry.state {
            State::Incomplete { .. } => NeighbourState::Incomplete,
            State::Reachable { mac, probes, .. } if probes > 0 => NeighbourState::Probing(mac),
            State::Reachable { mac, .. } => NeighbourState::Reachable(mac),
            State::Failed { .. } => NeighbourState::Failed,
            State::Static { mac } => NeighbourState::Static(mac),
        })
    }

    /// Dynamic entries in the table (at most
    /// [`CacheConfig::max_entries`]).
    #[must_use]
    pub fn len(&self) -> usize {
        self.dynamic
    }

    /// Whether the table holds no entry at all, static ones included.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Datagrams held, waiting for resolution or for
    /// [`ArpCache::poll_transmit`].
    #[must_use]
    pub fn queued_packets(&self) -> usize {
        self.work.queued
    }

    /// Datagrams held for `next_hop`.
    #[must_use]
    pub fn queued_for(&self, next_hop: Ipv4Addr) -> usize {
        self.entries.get(&next_hop).map_or(0, |e| e.queue.len())
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> &CacheStats {
        &self.work.stats
    }

    // --- internals ---

    fn fixed(&self, ip: Ipv4Addr) -> Option<Resolution> {
        if ip.is_broadcast() {
            Some(Resolution::Resolved(MacAddress::BROADCAST))
        } else if ip.is_multicast() {
            // RFC 1112 §6.4: 01:00:5e and the low 23 bits of the group.
            let [_, b, c, d] = ip.octets();
            Some(Resolution::Resolved(MacAddress::new([
                0x01,
                0x00,
                0x5e,
                b & 0x7f,
                c,
                d,
            ])))
        } else if ip.is_unspecified() {
            Some(Resolution::Unreachable)
        } else if self.addresses.contains_key(&ip) {
            Some(Resolution::Resolved(self.our_mac))
        } else {
            None
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    fn new_entry(&mut self, state: State) -> Entry {
        Entry {
            state,
            queue: VecDeque::new(),
            id: self.fresh_id(),
            timer: None,
            armed: None,
            referenced: false,
            request_queued: false,
            flush_queued: false,
            last_request: None,
        }
    }

    /// Creates an incomplete entry for `ip` and queues its first request.
    fn start(&mut self, now: Instant, ip: Ipv4Addr) -> bool {
        if !self.make_room(true) {
            return false;
        }
        let mut entry = self.new_entry(State::Incomplete { sent: 0 });
        entry.referenced = true;
        self.work.ring.push_back((ip, entry.id));
        restart(&self.config, &mut self.work, now, ip, &mut entry);
        self.entries.insert(ip, entry);
        self.dynamic += 1;
        true
    }

    /// Ensures one more dynamic entry fits. `aggressive` (our own traffic
    /// needs it) may evict a busy entry after the sweep found no idle one;
    /// otherwise (learning from the network) only idle entries go.
    fn make_room(&mut self, aggressive: bool) -> bool {
        if self.dynamic < self.config.max_entries {
            return true;
        }
        let mut scanned = 0;
        while let Some((ip, id)) = self.work.ring.pop_front() {
            let Some(entry) = self.entries.get_mut(&ip) else {
                continue;
            };
            if entry.id != id || matches!(entry.state, State::Static { .. }) {
                continue;
            }
            let busy = entry.referenced
                || !entry.queue.is_empty()
                || matches!(entry.state, State::Incomplete { .. });
            if busy {
                if scanned < EVICT_SCAN {
                    scanned += 1;
                    if aggressive {
                        entry.referenced = false;
                    }
                    self.work.ring.push_back((ip, id));
                    continue;
                }
                if !aggressive {
                    self.work.ring.push_back((ip, id));
                    return false;
                }
            }
            self.remove_entry(ip);
            self.work.stats.evictions += 1;
            return self.dynamic < self.config.max_entries;
        }
        false
    }

    fn remove_entry(&mut self, ip: Ipv4Addr) -> bool {
        let Some(mut entry) = self.entries.remove(&ip) else {
            return false;
        };
        if !matches!(entry.state, State::Static { .. }) {
            self.dynamic = self.dynamic.saturating_sub(1);
        }
        if !entry.queue.is_empty() {
            self.work.unreachable(ip, &mut entry);
        }
        true
    }

    fn fire_neighbour(&mut self, now: Instant, timer: Timer) {
        let config = self.config;
        let Some(entry) = self.entries.get_mut(&timer.ip) else {
            return;
        };
        if entry.id != timer.id || entry.armed != Some(timer.at) {
            return;
        }
        entry.armed = None;
        let Some(due) = entry.timer else { return };
        if due > now {
            self.work.arm(timer.ip, entry, Some(due));
            return;
        }
        entry.timer = None;
        if service(&config, &mut self.work, now, timer.ip, entry) {
            self.remove_entry(timer.ip);
        }
    }

    fn fire_announce(&mut self, now: Instant, timer: Timer) {
        let Some(ours) = self.addresses.get_mut(&timer.ip) else {
            return;
        };
        if ours.id != timer.id || ours.next_announce != Some(timer.at) {
            return;
        }
        ours.announcements_left = ours.announcements_left.saturating_sub(1);
        ours.next_announce = (ours.announcements_left > 0).then(|| now + ANNOUNCE_INTERVAL);
        let next = ours.next_announce;
        self.work.stats.announcements += 1;
        self.work.control(Repr::gratuitous(self.our_mac, timer.ip));
        if let Some(at) = next {
            self.push_timer(Timer { at, ..timer });
        }
    }

    /// RFC 5227 §2.1.1: while probing, a packet from another host with the
    /// address as sender (it uses it), or a probe for it (it wants it
    /// too), means we must not take it. Returns whether it was such a
    /// conflict.
    fn probe_conflict(&mut self, packet: &Repr) -> bool {
        let ip = if self.probing.contains_key(&packet.sender_ip) {
            packet.sender_ip
        } else if packet.operation == Operation::REQUEST
            && packet.sender_ip.is_unspecified()
            && self.probing.contains_key(&packet.target_ip)
        {
            packet.target_ip
        } else {
            return false;
        };
        self.probing.remove(&ip);
        self.work.stats.probe_conflicts += 1;
        self.work.event(ArpEvent::ProbeConflict {
            ip,
            mac: packet.sender_mac,
        });
        true
    }

    fn fire_probe(&mut self, now: Instant, timer: Timer) {
        let Some(candidate) = self.probing.get_mut(&timer.ip) else {
            return;
        };
        if candidate.id != timer.id || candidate.next != timer.at {
            return;
        }
        if candidate.probes_left == 0 {
            self.probing.remove(&timer.ip);
            self.add_address(now, timer.ip);
            self.work.event(ArpEvent::AddressClaimed { ip: timer.ip });
            return;
        }
        candidate.probes_left -= 1;
        candidate.next = now
            + if candidate.probes_left > 0 {
                PROBE_INTERVAL
            } else {
                ANNOUNCE_WAIT
            };
        let at = candidate.next;
        self.work.stats.probes += 1;
        self.work.control(Repr::probe(self.our_mac, timer.ip));
        self.push_timer(Timer { at, ..timer });
    }

    fn push_timer(&mut self, timer: Timer) {
        self.work.timers.push(Reverse(timer));
        self.compact_timers();
    }

    /// Keeps the heap and the token queues proportional to the table; two
    /// comparisons unless there is work to do.
    fn tidy(&mut self) {
        self.compact_timers();
        self.compact_ring();
    }

    /// Rebuilds the heap from the live deadlines once stale items outnumber
    /// them: O(n) after at least n stale pushes, so amortised O(1).
    fn compact_timers(&mut self) {
        let live = self.entries.len() + self.addresses.len() + self.probing.len();
        if self.work.timers.len() <= live.saturating_mul(2) + 64 {
            return;
        }
        let mut heap = Vec::with_capacity(live);
        for (ip, entry) in &mut self.entries {
            entry.armed = entry.timer;
            if let Some(at) = entry.timer {
                heap.push(Reverse(Timer {
                    at,
                    ip: *ip,
                    kind: TimerKind::Neighbour,
                    id: entry.id,
                }));
            }
        }
        for (ip, ours) in &self.addresses {
            if let Some(at) = ours.next_announce {
                heap.push(Reverse(Timer {
                    at,
                    ip: *ip,
                    kind: TimerKind::Announce,
                    id: ours.id,
                }));
            }
        }
        for (ip, candidate) in &self.probing {
            heap.push(Reverse(Timer {
                at: candidate.next,
                ip: *ip,
                kind: TimerKind::Probe,
                id: candidate.id,
            }));
        }
        self.work.timers = BinaryHeap::from(heap);
    }

    /// Drops the tokens of entries that are gone once they outnumber the
    /// live ones (amortised O(1), as for the heap).
    fn compact_ring(&mut self) {
        let limit = self.entries.len().saturating_mul(2) + 64;
        let entries = &self.entries;
        let live = |&(ip, id): &(Ipv4Addr, u64)| entries.get(&ip).is_some_and(|e| e.id == id);
        let work = &mut self.work;
        if work.ring.len() > limit {
            work.ring.retain(live);
        }
        if work.requests.len() > limit {
            work.requests.retain(live);
        }
        if work.flush.len() > limit {
            work.flush.retain(live);
        }
    }
}

/// Records a confirmation: the entry is valid for `reachable_time` from
/// `now`, with refresh probes due towards the end.
fn confirm(
    config: &CacheConfig,
    work: &mut Work,
    now: Instant,
    ip: Ipv4Addr,
    entry: &mut Entry,
    mac: MacAddress,
) {
    let lifetime = config.reachable_time;
    let window = config
        .retry_interval
        .saturating_mul(u64::from(max_requests(config)))
        .min(Duration::from_micros(lifetime.total_micros() / 2));
    let expires = now + lifetime;
    let refresh_at = expires - window;
    entry.state = State::Reachable {
        mac,
        expires,
        refresh_at,
        probes: 0,
        used: false,
    };
    work.arm(ip, entry, Some(refresh_at));
}

/// Starts a fresh round of broadcast requests, keeping waiting datagrams.
/// The first goes out now, or once `retry_interval` has passed since the
/// last request for this neighbour (RFC 1122 §2.3.2.1: no flooding, even
/// when a round of unicast probes runs straight into a new resolution).
fn restart(config: &CacheConfig, work: &mut Work, now: Instant, ip: Ipv4Addr, entry: &mut Entry) {
    let earliest = entry.last_request.map(|at| at + config.retry_interval);
    match earliest {
        Some(at) if at > now => {
            entry.state = State::Incomplete { sent: 0 };
            work.arm(ip, entry, Some(at));
        }
        _ => {
            entry.state = State::Incomplete { sent: 1 };
            work.queue_request(now, ip, entry);
            work.arm(ip, entry, Some(now + config.retry_interval));
        }
    }
}

/// The entry's timer is due: advance it. Returns true when the entry is to
/// be removed.
fn service(
    config: &CacheConfig,
    work: &mut Work,
    now: Instant,
    ip: Ipv4Addr,
    entry: &mut Entry,
) -> bool {
    match &mut entry.state {
        State::Static { .. } => false,
        State::Incomplete { sent } => {
            if *sent < max_requests(config) {
                *sent += 1;
                work.queue_request(now, ip, entry);
                work.arm(ip, entry, Some(now + config.retry_interval));
                false
            } else {
                work.stats.failures += 1;
                work.unreachable(ip, entry);
                let until = now + config.unreachable_hold;
                entry.state = State::Failed { until };
                if until > now {
                    work.arm(ip, entry, Some(until));
                    false
                } else {
                    true
                }
            }
        }
        State::Failed { until } => {
            let until = *until;
            if now >= until {
                true
            } else {
                work.arm(ip, entry, Some(until));
                false
            }
        }
        State::Reachable {
            expires,
            refresh_at,
            probes,
            used,
            ..
        } => {
            let expires = *expires;
            if now >= expires {
                return true;
            }
            if now >= *refresh_at && *used && *probes < max_requests(config) {
                *probes += 1;
                work.queue_request(now, ip, entry);
                let next = (now + config.retry_interval).min(expires);
                work.arm(ip, entry, Some(next));
            } else {
                work.arm(ip, entry, Some(expires));
            }
            false
        }
    }
}

fn max_requests(config: &CacheConfig) -> u32 {
    config.max_requests.max(1)
}

/// An address a neighbour (or we) can have: not 0.0.0.0, broadcast or
/// multicast.
fn is_unicast(ip: Ipv4Addr) -> bool {
    !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast()
}

#[cfg(test)]
mod tests {

    //! Bounds on the internal structures, which the public API cannot see.

    use super::*;

    /// The keyed address hash must still tell addresses apart (the map's
    /// buckets come from its low bits, its control bytes from the high
    /// ones), and must differ between caches.
    #[cfg(feature = "std")]
    #[test]
    fn address_hash_spreads_a_subnet_and_is_keyed() {
        use core::hash::BuildHasher as _;
        let a = AddrHash::default();
        let b = AddrHash::default();
        let mut low = std::collections::HashSet::new();
        let mut high = std::collections::HashSet::new();
        for host in 0u32..4096 {
            let ip = Ipv4Addr::from_bits(0xc612_0000 | host);
            let h = a.hash_one(ip);
            low.insert(h & 0xfff);
            high.insert(h >> 57);
        }
        // 4,096 addresses into 4,096 buckets: a fair hash fills about 63%.
        assert!(low.len() > 2_400, "{} buckets used", low.len());
        assert_eq!(high.len(), 128, "every 7-bit tag value occurs");
        let ip = Ipv4Addr::new(198, 18, 0, 1);
        assert_ne!(a.hash_one(ip), b.hash_one(ip));
    }

    const OURS: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 1]);
    const ME: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);

    fn host(i: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) + 2 + (i % 0x1_fff0))
    }

    fn mac(i: u32) -> MacAddress {
        let [_, b, c, d] = i.to_be_bytes();
        MacAddress::new([0x02, 0, 0, b, c, d])
    }

    fn bounded(cache: &ArpCache) {
        let live = cache.entries.len() + cache.addresses.len();
        assert!(
            cache.work.timers.len() <= 2 * live + 65,
            "{}",
            cache.work.timers.len()
        );
        let tokens = 2 * cache.entries.len() + 65;
        assert!(cache.work.ring.len() <= tokens, "{}", cache.work.ring.len());
        assert!(cache.work.requests.len() <= tokens);
        assert!(cache.work.flush.len() <= tokens);
        assert!(cache.work.control.len() <= CONTROL_QUEUE_CAP);
        assert!(cache.dynamic <= cache.config.max_entries);
    }

    #[test]
    fn a_chatty_neighbour_adds_no_heap_items() {
        let mut cache = ArpCache::new(CacheConfig::default(), OURS);
        cache.add_address(Instant::ZERO, ME);
        for i in 0..100_000 {
            let now = Instant::from_micros(i * 100);
            cache.handle(now, &Repr::request(mac(1), host(1), ME));
            cache.handle_timeout(now);
            while cache.poll_transmit(now).is_some() {}
        }
        // One entry, one address: a couple of items, not thousands.
        assert!(cache.work.timers.len() <= 3, "{}", cache.work.timers.len());
    }

    #[test]
    fn a_flood_of_new_senders_stays_within_bounds() {
        let config = CacheConfig {
            max_entries: 16,
            ..CacheConfig::default()
        };
        let mut cache = ArpCache::new(config, OURS);
        cache.add_address(Instant::ZERO, ME);
        for i in 0..50_000 {
            let now = Instant::from_micros(u64::from(i) * 10);
            cache.handle(now, &Repr::request(mac(i), host(i), ME));
            cache.handle_timeout(now);
            bounded(&cache);
        }
        assert_eq!(cache.len(), 16);
        // The replies nobody drained were capped and counted.
        assert!(cache.work.stats.control_dropped > 0);
    }

    #[test]
    fn resolution_churn_without_polling_stays_within_bounds() {
        // New neighbours every 100 ms fill the table and evict; every
        // second, they fail first (the host polls timers only then).
        for spacing in [100, 1_000] {
            let config = CacheConfig {
                max_entries: 8,
                unreachable_hold: Duration::ZERO,
                ..CacheConfig::default()
            };
            let mut cache = ArpCache::new(config, OURS);
            cache.add_address(Instant::ZERO, ME);
            for i in 0..20_000 {
                let now = Instant::from_millis(u64::from(i) * spacing);
                let _ = cache.lookup(now, host(i));
                let _ = cache.enqueue(now, host(i), alloc::vec![0; 20]);
                cache.handle_timeout(now);
                while cache.poll_event().is_some() {}
                bounded(&cache);
            }
            let stats = cache.work.stats;
            if spacing == 100 {
                assert!(stats.evictions > 10_000, "{stats:?}");
            } else {
                assert!(stats.failures > 10_000, "{stats:?}");
            }
        }
    }
}
