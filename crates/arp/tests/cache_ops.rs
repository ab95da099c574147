//! Drives an [`ArpCache`] with an arbitrary sequence of operations
//! (received packets from a small pool of hosts, lookups, datagrams queued,
//! time moving forward by arbitrary steps, timers, transmits drained or
//! not, addresses and static entries added and removed) under an arbitrary
//! configuration (zero-sized queues and tables, zero intervals included),
//! and checks its invariants after every step:
//!
//! - nothing panics, and `handle_timeout` always returns;
//! - the table never holds more than `max_entries` dynamic entries and no
//!   neighbour's queue more than `queue_per_neighbour` datagrams;
//! - every datagram the cache accepted is, exactly once, either transmitted
//!   (to the next hop it was queued for) or reported dropped in an
//!   `Unreachable` event for that next hop, or still held: the count held
//!   always equals `queued_packets()`; none is duplicated, none invented;
//! - requests only ever ask for addresses a host can have;
//! - once time runs far enough with no more input, every dynamic entry is
//!   gone and nothing is held.
//!
//! The fuzz target `arp_cache` mounts this file as a module (`#[path = ...]
//! mod driver;`), so the same driver runs under libFuzzer there and over
//! seeded random inputs in `cargo test` here. It decodes its input by hand
//! so the crate needs no `arbitrary` dev-dependency.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use strata_arp::cache::{ArpCache, ArpEvent, ArpTransmit, CacheConfig};
use strata_arp::{MacAddress, Operation, Repr};
use strata_core::time::{Duration, Instant};

const OUR_MAC: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 0x01]);

/// Neighbours, our candidate addresses, and the addresses that can never
/// be neighbours.
const IPS: [Ipv4Addr; 16] = [
    Ipv4Addr::new(198, 18, 0, 1),
    Ipv4Addr::new(198, 18, 0, 2),
    Ipv4Addr::new(198, 18, 0, 3),
    Ipv4Addr::new(198, 18, 0, 4),
    Ipv4Addr::new(198, 18, 0, 5),
    Ipv4Addr::new(198, 18, 0, 6),
    Ipv4Addr::new(198, 18, 0, 7),
    Ipv4Addr::new(198, 18, 0, 8),
    Ipv4Addr::new(198, 18, 0, 9),
    Ipv4Addr::new(198, 18, 0, 10),
    Ipv4Addr::new(198, 18, 1, 1),
    Ipv4Addr::new(198, 18, 1, 2),
    Ipv4Addr::UNSPECIFIED,
    Ipv4Addr::BROADCAST,
    Ipv4Addr::new(224, 0, 0, 251),
    Ipv4Addr::new(127, 0, 0, 1),
];

const MACS: [MacAddress; 8] = [
    OUR_MAC,
    MacAddress::new([0x02, 0, 0, 0, 0, 0x0a]),
    MacAddress::new([0x02, 0, 0, 0, 0, 0x0b]),
    MacAddress::new([0x02, 0, 0, 0, 0, 0x0c]),
    MacAddress::new([0x02, 0, 0, 0, 0, 0x0d]),
    MacAddress::BROADCAST,
    MacAddress::UNSPECIFIED,
    MacAddress::new([0x01, 0x00, 0x5e, 0, 0, 0xfb]),
];

const OPERATIONS: [Operation; 4] = [
    Operation::REQUEST,
    Operation::REPLY,
    Operation::RARP_REQUEST,
    Operation::REQUEST,
];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn pick<T: Copy, const N: usize>(&mut self, pool: &[T; N]) -> Option<T> {
        Some(pool[usize::from(self.byte()?) % N])
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.byte()?, self.byte()?]))
    }
}

struct Driver {
    cache: ArpCache,
    config: CacheConfig,
    now: Instant,
    next_id: u64,
    /// Datagrams accepted and not yet transmitted or reported: id -> the
    /// next hop it was queued for.
    held: BTreeMap<u64, Ipv4Addr>,
    transmitted: u64,
    dropped: u64,
}

impl Driver {
    fn new(input: &mut Input<'_>) -> Option<Self> {
        let config = CacheConfig {
            max_entries: usize::from(input.byte()? % 6),
            queue_per_neighbour: usize::from(input.byte()? % 4),
            max_requests: u32::from(input.byte()? % 4),
            retry_interval: Duration::from_millis(u64::from(input.byte()? % 4) * 500),
            reachable_time: Duration::from_secs(u64::from(input.byte()? % 8)),
            unreachable_hold: Duration::from_secs(u64::from(input.byte()? % 4)),
        };
        Some(Self {
            cache: ArpCache::new(config, OUR_MAC),
            config,
            now: Instant::ZERO,
            next_id: 0,
            held: BTreeMap::new(),
            transmitted: 0,
            dropped: 0,
        })
    }

    fn step(&mut self, input: &mut Input<'_>) -> Option<()> {
        match input.byte()? % 13 {
            0 => {
                let repr = Repr {
                    operation: input.pick(&OPERATIONS)?,
                    sender_mac: input.pick(&MACS)?,
                    sender_ip: input.pick(&IPS)?,
                    target_mac: input.pick(&MACS)?,
                    target_ip: input.pick(&IPS)?,
                };
                self.cache.handle(self.now, &repr);
            }
            1 => {
                let ip = input.pick(&IPS)?;
                let _ = self.cache.lookup(self.now, ip);
            }
            2 => {
                let ip = input.pick(&IPS)?;
                let id = self.next_id;
                self.next_id += 1;
                // QueueFull: refused, so not held.
                if let Ok(()) = self.cache.enqueue(self.now, ip, id.to_be_bytes().to_vec()) {
                    self.held.insert(id, ip);
                }
            }
            3 => self.now += Duration::from_millis(u64::from(input.u16()?)),
            4 => self.cache.handle_timeout(self.now),
            5 => {
                if let Some(at) = self.cache.poll_timeout() {
                    self.now = self.now.max(at);
                }
                self.cache.handle_timeout(self.now);
            }
            6 => {
                for _ in 0..input.byte()? % 8 {
                    if !self.transmit() {
                        break;
                    }
                }
            }
            7 => self.cache.add_address(self.now, input.pick(&IPS)?),
            8 => self.cache.remove_address(input.pick(&IPS)?),
            9 => self
                .cache
                .insert_static(input.pick(&IPS)?, input.pick(&MACS)?),
            10 => {
                let _ = self.cache.remove(input.pick(&IPS)?);
            }
            11 => {
                let ip = input.pick(&IPS)?;
                let wait = Duration::from_millis(u64::from(input.byte()?) * 8);
                self.cache.probe_address(self.now, ip, wait);
            }
            _ => while self.transmit() {},
        }
        self.events();
        self.check();
        Some(())
    }

    /// Takes one transmit; false when there was none.
    fn transmit(&mut self) -> bool {
        let Some(transmit) = self.cache.poll_transmit(self.now) else {
            return false;
        };
        match transmit {
            ArpTransmit::Arp(repr) => {
                assert_eq!(repr.sender_mac, OUR_MAC);
                if repr.operation == Operation::REQUEST && !repr.is_gratuitous() {
                    let ip = repr.target_ip;
                    assert!(
                        !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast(),
                        "request for {ip}"
                    );
                }
            }
            ArpTransmit::Datagram {
                next_hop, packet, ..
            } => {
                let id = u64::from_be_bytes(packet.try_into().unwrap());
                assert_eq!(
                    self.held.remove(&id),
                    Some(next_hop),
                    "datagram {id} transmitted but not held for {next_hop}"
                );
                self.transmitted += 1;
            }
        }
        true
    }

    fn events(&mut self) {
        while let Some(event) = self.cache.poll_event() {
            match &event {
                ArpEvent::AddressClaimed { ip } => {
                    assert!(self.cache.is_our_address(*ip), "claimed {ip} is not ours");
                }
                ArpEvent::ProbeConflict { ip, mac } => {
                    assert!(!self.cache.is_probing(*ip), "{ip} still probed");
                    assert_ne!(*mac, OUR_MAC, "our own packet taken for a conflict");
                }
                _ => {}
            }
            if let ArpEvent::Unreachable { ip, dropped } = event {
                for packet in dropped {
                    let id = u64::from_be_bytes(packet.try_into().unwrap());
                    assert_eq!(
                        self.held.remove(&id),
                        Some(ip),
                        "datagram {id} reported dropped but not held for {ip}"
                    );
                    self.dropped += 1;
                }
            }
        }
    }

    fn check(&self) {
        assert!(self.cache.len() <= self.config.max_entries);
        for ip in IPS {
            assert!(self.cache.queued_for(ip) <= self.config.queue_per_neighbour);
        }
        assert_eq!(self.held.len(), self.cache.queued_packets());
        assert_eq!(self.cache.stats().events_dropped, 0);
    }

    /// No more input: run time forward until no timer is left, draining
    /// everything; then nothing dynamic may remain.
    fn finish(&mut self) {
        let mut rounds = 0;
        loop {
            while self.transmit() {}
            self.events();
            self.check();
            let Some(at) = self.cache.poll_timeout() else {
                break;
            };
            self.now = self.now.max(at);
            self.cache.handle_timeout(self.now);
            rounds += 1;
            assert!(rounds < 100_000, "timers never settle");
        }
        assert_eq!(self.cache.len(), 0, "dynamic entries outlive every timer");
        assert_eq!(self.cache.queued_packets(), 0);
        assert!(self.held.is_empty(), "datagrams lost: {:?}", self.held);
    }
}

/// What one run did, so tests can tell that the paths were exercised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Datagrams offered to `enqueue` (accepted or refused).
    pub offered: u64,
    /// Transmitted.
    pub transmitted: u64,
    /// Reported dropped.
    pub dropped: u64,
    /// Requests sent.
    pub requests: u64,
    /// Entries evicted.
    pub evictions: u64,
}

/// Runs one input through the cache, checking every invariant.
pub fn run(data: &[u8]) -> Summary {
    let mut input = Input(data);
    let Some(mut driver) = Driver::new(&mut input) else {
        return Summary::default();
    };
    while driver.step(&mut input).is_some() {}
    driver.finish();
    Summary {
        offered: driver.next_id,
        transmitted: driver.transmitted,
        dropped: driver.dropped,
        requests: driver.cache.stats().requests,
        evictions: driver.cache.stats().evictions,
    }
}

#[cfg(test)]
mod tests {
    use strata_core::rand::{RandomSource, SplitMix64};

    #[test]
    fn seeded_random_operation_sequences_keep_the_invariants() {
        let mut rng = SplitMix64::new(0x5eed_a4b0);
        let mut total = super::Summary::default();
        for _ in 0..3_000 {
            let len = 6 + rng.below(600) as usize;
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            let s = super::run(&data);
            total.offered += s.offered;
            total.transmitted += s.transmitted;
            total.dropped += s.dropped;
            total.requests += s.requests;
            total.evictions += s.evictions;
        }
        eprintln!("{total:?}");
        // The runs reach every fate of a datagram, and eviction.
        assert!(total.transmitted > 100, "{total:?}");
        assert!(total.dropped > 100, "{total:?}");
        assert!(total.requests > 100, "{total:?}");
        assert!(total.evictions > 10, "{total:?}");
    }

    #[test]
    fn a_dense_resolution_story_keeps_the_invariants() {
        // Roomy config, then: lookups and enqueues for several hosts, replies
        // for some, time passing in small steps.
        let mut data = vec![5, 3, 3, 2, 5, 3];
        for round in 0..50u8 {
            let host = round % 10;
            data.extend([1, host, 2, host, 2, host, 6, 7]);
            data.extend([0, 1, 1 + round % 4, host, 0, 0]);
            data.extend([3, 0, 200, 4, 11]);
        }
        let s = super::run(&data);
        assert!(s.transmitted > 0 && s.requests > 0, "{s:?}");
    }
}
