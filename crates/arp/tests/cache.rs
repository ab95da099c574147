//! Behaviour of the ARP neighbour cache, driven through its public API with
//! a simulated clock.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use core::net::Ipv4Addr;

use strata_arp::cache::{
    ANNOUNCE_INTERVAL, ArpCache, ArpEvent, ArpTransmit, CacheConfig, NeighbourState, QueueFull,
    Resolution,
};
use strata_arp::{MacAddress, Operation, Packet, Repr};
use strata_core::time::{Duration, Instant};
use strata_ethernet::{EtherType, Frame};

const OURS: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 0x01]);
const PEER_A: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 0x0a]);
const PEER_B: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 0x0b]);
const OTHER: MacAddress = MacAddress::new([0x02, 0, 0, 0, 0, 0x66]);
const ME: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const A: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 3);
const ELSEWHERE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 99);

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// A cache that owns ME and has already sent its first announcement.
fn cache_with(config: CacheConfig) -> ArpCache {
    let mut cache = ArpCache::new(config, OURS);
    cache.add_address(Instant::ZERO, ME);
    assert_eq!(
        cache.poll_transmit(Instant::ZERO),
        Some(ArpTransmit::Arp(Repr::gratuitous(OURS, ME)))
    );
    cache
}

fn cache() -> ArpCache {
    cache_with(CacheConfig::default())
}

fn drain(cache: &mut ArpCache, now: Instant) -> Vec<ArpTransmit> {
    core::iter::from_fn(|| cache.poll_transmit(now)).collect()
}

fn events(cache: &mut ArpCache) -> Vec<ArpEvent> {
    core::iter::from_fn(|| cache.poll_event()).collect()
}

/// [`advance_all`] without our own address announcements, which the
/// caches made by [`cache_with`] send again at 2 s.
fn advance(cache: &mut ArpCache, from: Instant, until: Instant) -> Vec<(Instant, ArpTransmit)> {
    let announcement = ArpTransmit::Arp(Repr::gratuitous(OURS, ME));
    let mut sent = advance_all(cache, from, until);
    sent.retain(|(_, t)| *t != announcement);
    sent
}

/// Runs every timer up to and including `until`, collecting what is sent
/// and when. Starts by draining what is already queued at `from`.
fn advance_all(cache: &mut ArpCache, from: Instant, until: Instant) -> Vec<(Instant, ArpTransmit)> {
    let mut sent: Vec<(Instant, ArpTransmit)> =
        drain(cache, from).into_iter().map(|t| (from, t)).collect();
    while let Some(at) = cache.poll_timeout() {
        if at > until {
            break;
        }
        assert!(at >= from, "timer in the past: {at:?} < {from:?}");
        cache.handle_timeout(at);
        sent.extend(drain(cache, at).into_iter().map(|t| (at, t)));
    }
    sent
}

fn broadcast_request(target: Ipv4Addr) -> ArpTransmit {
    ArpTransmit::Arp(Repr::request(OURS, ME, target))
}

fn unicast_probe(target: Ipv4Addr, mac: MacAddress) -> ArpTransmit {
    ArpTransmit::Arp(Repr {
        target_mac: mac,
        ..Repr::request(OURS, ME, target)
    })
}

fn reply_from(mac: MacAddress, ip: Ipv4Addr) -> Repr {
    Repr::reply_to(&Repr::request(OURS, ME, ip), mac)
}

fn datagram(dst: MacAddress, next_hop: Ipv4Addr, packet: &[u8]) -> ArpTransmit {
    ArpTransmit::Datagram {
        dst,
        next_hop,
        packet: packet.to_vec(),
    }
}

#[test]
fn request_reply_then_queued_datagrams_leave_in_order() {
    let mut cache = cache();
    assert_eq!(cache.lookup(ms(0), A), Resolution::Pending);
    for p in [b"one", b"two", b"thr"] {
        cache.enqueue(ms(0), A, p.to_vec()).unwrap();
    }
    assert_eq!(cache.queued_for(A), 3);
    assert_eq!(cache.state(A), Some(NeighbourState::Incomplete));

    let sent = drain(&mut cache, ms(0));
    assert_eq!(sent, vec![broadcast_request(A)]);
    assert_eq!(sent[0].destination(), MacAddress::BROADCAST);
    let ArpTransmit::Arp(request) = sent[0] else {
        panic!()
    };
    assert_eq!(request.operation, Operation::REQUEST);
    assert_eq!(request.target_mac, MacAddress::UNSPECIFIED);

    cache.handle(ms(5), &Repr::reply_to(&request, PEER_A));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved { ip: A, mac: PEER_A }]
    );
    assert_eq!(
        drain(&mut cache, ms(5)),
        vec![
            datagram(PEER_A, A, b"one"),
            datagram(PEER_A, A, b"two"),
            datagram(PEER_A, A, b"thr"),
        ]
    );
    assert_eq!(cache.queued_packets(), 0);
    assert_eq!(cache.lookup(ms(6), A), Resolution::Resolved(PEER_A));
    assert_eq!(cache.state(A), Some(NeighbourState::Reachable(PEER_A)));
    assert_eq!(cache.entries().collect::<Vec<_>>(), vec![(A, Some(PEER_A))]);

    // Once resolved, enqueue releases at once.
    cache.enqueue(ms(7), A, b"now".to_vec()).unwrap();
    assert_eq!(drain(&mut cache, ms(7)), vec![datagram(PEER_A, A, b"now")]);
    assert!(events(&mut cache).is_empty());
}

#[test]
fn retries_at_the_interval_then_unreachable_with_the_dropped_datagrams() {
    let mut cache = cache();
    assert_eq!(cache.lookup(ms(0), A), Resolution::Pending);
    cache.enqueue(ms(0), A, b"first".to_vec()).unwrap();
    cache.enqueue(ms(0), A, b"second".to_vec()).unwrap();

    let sent = advance(&mut cache, ms(0), ms(2_999));
    assert_eq!(
        sent,
        vec![
            (ms(0), broadcast_request(A)),
            (ms(1_000), broadcast_request(A)),
            (ms(2_000), broadcast_request(A)),
        ]
    );
    assert!(
        events(&mut cache).is_empty(),
        "not before max_requests intervals"
    );
    assert_eq!(cache.poll_timeout(), Some(ms(3_000)));

    assert!(advance(&mut cache, ms(2_999), ms(3_000)).is_empty());
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Unreachable {
            ip: A,
            dropped: vec![b"first".to_vec(), b"second".to_vec()]
        }]
    );
    assert_eq!(cache.queued_packets(), 0);
    assert_eq!(cache.state(A), Some(NeighbourState::Failed));
    assert_eq!(cache.stats().failures, 1);

    // During the hold, lookups fail fast and send nothing; enqueued
    // datagrams come straight back.
    assert_eq!(cache.lookup(ms(4_000), A), Resolution::Unreachable);
    cache.enqueue(ms(4_000), A, b"third".to_vec()).unwrap();
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Unreachable {
            ip: A,
            dropped: vec![b"third".to_vec()]
        }]
    );
    assert!(drain(&mut cache, ms(4_000)).is_empty());

    // After the hold the entry is gone; a new lookup starts over.
    assert!(advance(&mut cache, ms(4_000), ms(6_000)).is_empty());
    assert_eq!(cache.state(A), None);
    assert_eq!(cache.lookup(ms(6_500), A), Resolution::Pending);
    assert_eq!(drain(&mut cache, ms(6_500)), vec![broadcast_request(A)]);
}

#[test]
fn a_failed_neighbour_that_answers_late_is_resolved() {
    let mut cache = cache();
    cache.lookup(ms(0), A);
    advance(&mut cache, ms(0), ms(3_000));
    assert!(matches!(
        events(&mut cache)[..],
        [ArpEvent::Unreachable { ip: A, .. }]
    ));
    cache.handle(ms(3_100), &reply_from(PEER_A, A));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved { ip: A, mac: PEER_A }]
    );
    assert_eq!(cache.lookup(ms(3_200), A), Resolution::Resolved(PEER_A));
}

#[test]
fn lookups_are_rate_limited_per_neighbour() {
    let mut cache = cache();
    let mut requests = 0;
    for i in 0..100 {
        let now = Instant::from_micros(i * 10);
        cache.handle_timeout(now);
        assert_eq!(cache.lookup(now, A), Resolution::Pending);
        requests += drain(&mut cache, now).len();
    }
    assert_eq!(requests, 1, "100 lookups within 1 ms send one request");
    assert_eq!(cache.stats().requests, 1);
}

#[test]
fn a_failing_neighbour_does_not_delay_another() {
    let mut cache = cache();
    cache.lookup(ms(0), A);
    cache.enqueue(ms(0), A, b"to a".to_vec()).unwrap();
    assert_eq!(drain(&mut cache, ms(0)), vec![broadcast_request(A)]);

    // A is hammered, then B is wanted: B's request goes out at once.
    for _ in 0..1_000 {
        assert_eq!(cache.lookup(ms(500), A), Resolution::Pending);
    }
    assert_eq!(cache.lookup(ms(500), B), Resolution::Pending);
    cache.enqueue(ms(500), B, b"to b".to_vec()).unwrap();
    assert_eq!(drain(&mut cache, ms(500)), vec![broadcast_request(B)]);

    cache.handle(ms(600), &reply_from(PEER_B, B));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved { ip: B, mac: PEER_B }]
    );
    assert_eq!(
        drain(&mut cache, ms(600)),
        vec![datagram(PEER_B, B, b"to b")]
    );

    // A keeps retrying on its own schedule and fails; B is untouched.
    let sent = advance(&mut cache, ms(600), ms(3_000));
    assert_eq!(
        sent,
        vec![
            (ms(1_000), broadcast_request(A)),
            (ms(2_000), broadcast_request(A))
        ]
    );
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Unreachable {
            ip: A,
            dropped: vec![b"to a".to_vec()]
        }]
    );
    assert_eq!(cache.lookup(ms(3_000), B), Resolution::Resolved(PEER_B));
}

#[test]
fn idle_entries_expire_without_probes() {
    let config = CacheConfig::default();
    let mut cache = cache_with(config);
    cache.lookup(ms(0), A);
    drain(&mut cache, ms(0));
    cache.handle(ms(0), &reply_from(PEER_A, A));
    events(&mut cache);

    let lifetime = config.reachable_time.total_millis();
    assert!(advance(&mut cache, ms(0), ms(lifetime - 1)).is_empty());
    assert_eq!(cache.state(A), Some(NeighbourState::Reachable(PEER_A)));
    assert!(advance(&mut cache, ms(lifetime - 1), ms(lifetime)).is_empty());
    assert_eq!(cache.state(A), None, "expired after reachable_time");
    assert!(cache.is_empty());
    assert_eq!(cache.lookup(ms(lifetime + 1), A), Resolution::Pending);
    assert_eq!(
        drain(&mut cache, ms(lifetime + 1)),
        vec![broadcast_request(A)]
    );
}

#[test]
fn entries_in_use_are_refreshed_by_unicast_before_expiry() {
    let mut cache = cache();
    cache.lookup(ms(0), A);
    drain(&mut cache, ms(0));
    cache.handle(ms(0), &reply_from(PEER_A, A));
    events(&mut cache);

    // Traffic flows: a lookup every ten seconds.
    let mut sent = Vec::new();
    let mut now = ms(0);
    for step in 1..=5 {
        let next = ms(step * 10_000);
        sent.extend(advance(&mut cache, now, next));
        now = next;
        assert_eq!(cache.lookup(now, A), Resolution::Resolved(PEER_A));
    }
    sent.extend(advance(&mut cache, now, ms(57_000)));
    // 3 s before expiry (max_requests x retry_interval) a unicast probe to
    // the known address, nothing broadcast.
    assert_eq!(sent, vec![(ms(57_000), unicast_probe(A, PEER_A))]);
    assert_eq!(sent[0].1.destination(), PEER_A);
    assert_eq!(cache.state(A), Some(NeighbourState::Probing(PEER_A)));
    assert_eq!(cache.lookup(ms(57_050), A), Resolution::Resolved(PEER_A));

    // The neighbour answers the probe: valid for another reachable_time.
    let ArpTransmit::Arp(probe) = sent[0].1 else {
        panic!()
    };
    cache.handle(ms(57_100), &Repr::reply_to(&probe, PEER_A));
    assert!(
        events(&mut cache).is_empty(),
        "a refresh is not a new resolution"
    );
    assert!(advance(&mut cache, ms(57_100), ms(70_000)).is_empty());
    assert_eq!(cache.state(A), Some(NeighbourState::Reachable(PEER_A)));
    assert_eq!(cache.lookup(ms(70_000), A), Resolution::Resolved(PEER_A));
    // In use again, so probed again 3 s before the new expiry (117.1 s).
    let sent = advance(&mut cache, ms(70_000), ms(114_100));
    assert_eq!(sent, vec![(ms(114_100), unicast_probe(A, PEER_A))]);
}

#[test]
fn a_silent_neighbour_in_use_is_probed_then_dropped() {
    let mut cache = cache();
    cache.lookup(ms(0), A);
    drain(&mut cache, ms(0));
    cache.handle(ms(0), &reply_from(PEER_A, A));
    events(&mut cache);
    cache.lookup(ms(1_000), A);

    let sent = advance(&mut cache, ms(1_000), ms(60_000));
    assert_eq!(
        sent,
        vec![
            (ms(57_000), unicast_probe(A, PEER_A)),
            (ms(58_000), unicast_probe(A, PEER_A)),
            (ms(59_000), unicast_probe(A, PEER_A)),
        ]
    );
    assert_eq!(cache.state(A), None);
    // The next use resolves from scratch (it may have a new address).
    assert_eq!(cache.lookup(ms(60_001), A), Resolution::Pending);
    assert_eq!(drain(&mut cache, ms(60_001)), vec![broadcast_request(A)]);
}

#[test]
fn a_late_host_never_gets_two_requests_out_within_the_interval() {
    let config = CacheConfig {
        reachable_time: Duration::from_secs(10),
        ..CacheConfig::default()
    };
    let mut cache = cache_with(config);
    cache.lookup(ms(0), A);
    drain(&mut cache, ms(0));
    cache.handle(ms(0), &reply_from(PEER_A, A));
    cache.lookup(ms(1_000), A);
    // Probes due at 7, 8 and 9 s; the host runs its timers late for the
    // last one, then looks the neighbour up just after expiry.
    let mut probes = Vec::new();
    for t in [7_000, 8_000, 9_900] {
        cache.handle_timeout(ms(t));
        probes.extend(drain(&mut cache, ms(t)).into_iter().map(|p| (ms(t), p)));
    }
    probes.retain(|(_, p)| *p != ArpTransmit::Arp(Repr::gratuitous(OURS, ME)));
    assert_eq!(
        probes,
        vec![
            (ms(7_000), unicast_probe(A, PEER_A)),
            (ms(8_000), unicast_probe(A, PEER_A)),
            (ms(9_900), unicast_probe(A, PEER_A)),
        ]
    );
    assert_eq!(cache.lookup(ms(10_000), A), Resolution::Pending);
    // The broadcast waits until a full interval after the last probe.
    let sent = advance(&mut cache, ms(10_000), ms(10_900));
    assert_eq!(sent, vec![(ms(10_900), broadcast_request(A))]);
}

#[test]
fn answers_requests_for_our_address_only() {
    let mut cache = cache();
    let request = Repr::request(PEER_A, A, ME);
    cache.handle(ms(1), &request);
    let sent = drain(&mut cache, ms(1));
    assert_eq!(sent.len(), 1);
    let ArpTransmit::Arp(reply) = sent[0] else {
        panic!()
    };
    assert_eq!(reply.operation, Operation::REPLY);
    assert_eq!(reply.sender_mac, OURS);
    assert_eq!(reply.sender_ip, ME);
    assert_eq!(reply.target_mac, PEER_A);
    assert_eq!(reply.target_ip, A);
    assert_eq!(sent[0].destination(), PEER_A, "replies go unicast");
    assert_eq!(cache.stats().replies, 1);

    // A request for someone else: no answer.
    cache.handle(ms(2), &Repr::request(PEER_B, B, ELSEWHERE));
    assert!(drain(&mut cache, ms(2)).is_empty());
    // A reply addressed to us is not answered.
    cache.handle(ms(3), &reply_from(PEER_B, B));
    assert!(drain(&mut cache, ms(3)).is_empty());
    // After the address is removed, requests for it go unanswered.
    cache.remove_address(ME);
    cache.handle(ms(4), &Repr::request(PEER_A, A, ME));
    assert!(drain(&mut cache, ms(4)).is_empty());
}

#[test]
fn probes_for_our_address_are_answered_but_not_learned() {
    let mut cache = cache();
    let probe = Repr::probe(PEER_A, ME);
    assert!(probe.is_probe());
    cache.handle(ms(1), &probe);
    let sent = drain(&mut cache, ms(1));
    assert_eq!(sent, vec![ArpTransmit::Arp(Repr::reply_to(&probe, OURS))]);
    assert_eq!(sent[0].destination(), PEER_A);
    assert!(cache.is_empty());
    assert!(events(&mut cache).is_empty());
}

#[test]
fn adding_an_address_announces_it_twice() {
    let mut cache = ArpCache::new(CacheConfig::default(), OURS);
    cache.add_address(ms(100), ME);
    assert!(cache.is_our_address(ME));
    let sent = advance_all(&mut cache, ms(100), ms(60_000));
    let announcement = ArpTransmit::Arp(Repr::gratuitous(OURS, ME));
    let second = ms(100) + ANNOUNCE_INTERVAL;
    assert_eq!(
        sent,
        vec![
            (ms(100), announcement.clone()),
            (second, announcement.clone())
        ]
    );
    assert_eq!(announcement.destination(), MacAddress::BROADCAST);
    let ArpTransmit::Arp(repr) = announcement else {
        panic!()
    };
    assert!(repr.is_gratuitous());
    assert_eq!(repr.operation, Operation::REQUEST);
    assert_eq!((repr.sender_ip, repr.target_ip), (ME, ME));
    assert_eq!(cache.stats().announcements, 2);
    assert_eq!(cache.addresses().collect::<Vec<_>>(), vec![ME]);

    // Removing an address cancels its pending announcement.
    cache.add_address(ms(70_000), A);
    assert_eq!(drain(&mut cache, ms(70_000)).len(), 1);
    cache.remove_address(A);
    assert!(advance_all(&mut cache, ms(70_000), ms(80_000)).is_empty());
}

#[test]
fn requests_to_us_teach_the_sender_requests_to_others_do_not() {
    let mut cache = cache();
    cache.handle(ms(1), &Repr::request(PEER_A, A, ME));
    drain(&mut cache, ms(1));
    assert_eq!(cache.state(A), Some(NeighbourState::Reachable(PEER_A)));
    // Learned: no request needed to talk back.
    assert_eq!(cache.lookup(ms(2), A), Resolution::Resolved(PEER_A));
    assert!(drain(&mut cache, ms(2)).is_empty());
    assert!(events(&mut cache).is_empty());

    // Overheard traffic between others creates nothing...
    cache.handle(ms(3), &Repr::request(PEER_B, B, ELSEWHERE));
    cache.handle(ms(3), &Repr::gratuitous(PEER_B, B));
    assert_eq!(cache.state(B), None);
    assert_eq!(cache.len(), 1);
    // ...but updates a sender already in the table (RFC 826 merge).
    cache.handle(ms(4), &Repr::gratuitous(OTHER, A));
    assert_eq!(cache.lookup(ms(5), A), Resolution::Resolved(OTHER));
    cache.handle(ms(6), &Repr::request(PEER_A, A, ELSEWHERE));
    assert_eq!(cache.lookup(ms(7), A), Resolution::Resolved(PEER_A));

    // Senders that are not unicast hosts are never learned.
    cache.handle(ms(8), &Repr::request(MacAddress::BROADCAST, B, ME));
    cache.handle(ms(8), &Repr::request(PEER_B, Ipv4Addr::BROADCAST, ME));
    cache.handle(
        ms(8),
        &Repr::request(PEER_B, Ipv4Addr::new(224, 0, 0, 1), ME),
    );
    assert_eq!(cache.len(), 1);
}

#[test]
fn a_pending_neighbour_is_resolved_by_its_own_request() {
    let mut cache = cache();
    cache.lookup(ms(0), A);
    cache.enqueue(ms(0), A, b"x".to_vec()).unwrap();
    drain(&mut cache, ms(0));
    // A asks for us before answering: that resolves it too.
    cache.handle(ms(1), &Repr::request(PEER_A, A, ME));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved { ip: A, mac: PEER_A }]
    );
    assert_eq!(
        drain(&mut cache, ms(1)),
        vec![
            ArpTransmit::Arp(Repr::reply_to(&Repr::request(PEER_A, A, ME), OURS)),
            datagram(PEER_A, A, b"x"),
        ]
    );
}

#[test]
fn conflicts_are_reported_and_defended_at_most_every_ten_seconds() {
    let mut cache = cache();
    cache.handle(ms(1_000), &Repr::gratuitous(OTHER, ME));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Conflict { ip: ME, mac: OTHER }]
    );
    let defence = ArpTransmit::Arp(Repr::gratuitous(OURS, ME));
    assert_eq!(drain(&mut cache, ms(1_000)), vec![defence.clone()]);

    // A reply from a host using our address: reported, not defended again yet.
    cache.handle(
        ms(5_000),
        &Repr::reply_to(&Repr::request(PEER_A, A, ME), OTHER),
    );
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Conflict { ip: ME, mac: OTHER }]
    );
    assert!(drain(&mut cache, ms(5_000)).is_empty());
    assert_eq!(
        cache.state(ME),
        None,
        "our address never becomes a neighbour"
    );

    cache.handle(ms(11_000), &Repr::request(OTHER, ME, A));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Conflict { ip: ME, mac: OTHER }]
    );
    assert_eq!(drain(&mut cache, ms(11_000)), vec![defence]);

    // Our own announcement looped back is not a conflict.
    cache.handle(ms(12_000), &Repr::gratuitous(OURS, ME));
    assert!(events(&mut cache).is_empty());
}

#[test]
fn the_table_is_capped_and_evicts_idle_entries_first() {
    let config = CacheConfig {
        max_entries: 4,
        ..CacheConfig::default()
    };
    let mut cache = cache_with(config);
    let peer = |i: u8| Ipv4Addr::new(198, 18, 1, i);
    let mac = |i: u8| MacAddress::new([0x02, 0, 0, 0, 1, i]);
    // Four neighbours learned from their requests; 1 and 3 are in use.
    for i in 1..=4 {
        cache.handle(ms(1), &Repr::request(mac(i), peer(i), ME));
    }
    drain(&mut cache, ms(1));
    assert_eq!(cache.len(), 4);
    cache.lookup(ms(2), peer(1));
    cache.lookup(ms(2), peer(3));

    // A fifth one learned passively, and an idle one goes.
    cache.handle(ms(3), &Repr::request(mac(5), peer(5), ME));
    assert_eq!(cache.len(), 4);
    assert_eq!(
        cache.state(peer(2)),
        None,
        "the oldest idle entry is evicted"
    );
    for i in [1, 3, 4, 5] {
        assert!(cache.state(peer(i)).is_some(), "{i} kept");
    }
    assert_eq!(cache.stats().evictions, 1);

    // Our own lookups evict too, still idle ones first.
    assert_eq!(cache.lookup(ms(4), peer(6)), Resolution::Pending);
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.state(peer(4)), None);
    assert_eq!(cache.lookup(ms(4), peer(1)), Resolution::Resolved(mac(1)));
    assert_eq!(cache.lookup(ms(4), peer(3)), Resolution::Resolved(mac(3)));
    cache.lookup(ms(4), peer(5));

    // Every entry busy: passive learning gives up rather than evict one.
    cache.handle(ms(5), &Repr::request(mac(7), peer(7), ME));
    assert_eq!(cache.state(peer(7)), None);
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.entries().count(), 4);

    // Static entries are extra.
    cache.insert_static(peer(9), mac(9));
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.entries().count(), 5);
}

#[test]
fn a_table_full_of_pending_neighbours_gives_up_the_oldest_with_its_datagrams() {
    let config = CacheConfig {
        max_entries: 2,
        ..CacheConfig::default()
    };
    let mut cache = cache_with(config);
    cache.enqueue(ms(0), A, b"a".to_vec()).unwrap();
    cache.enqueue(ms(0), B, b"b".to_vec()).unwrap();
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.lookup(ms(1), ELSEWHERE), Resolution::Pending);
    assert_eq!(cache.len(), 2);
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Unreachable {
            ip: A,
            dropped: vec![b"a".to_vec()]
        }]
    );
    assert_eq!(cache.queued_packets(), 1);
}

#[test]
fn the_queue_per_neighbour_refuses_new_datagrams_when_full() {
    let config = CacheConfig {
        queue_per_neighbour: 2,
        ..CacheConfig::default()
    };
    let mut cache = cache_with(config);
    cache.enqueue(ms(0), A, b"1".to_vec()).unwrap();
    cache.enqueue(ms(0), A, b"2".to_vec()).unwrap();
    assert_eq!(cache.enqueue(ms(0), A, b"3".to_vec()), Err(QueueFull));
    assert_eq!(cache.queued_for(A), 2);
    // Another neighbour has its own queue.
    cache.enqueue(ms(0), B, b"b".to_vec()).unwrap();
    drain(&mut cache, ms(0));
    cache.handle(ms(1), &reply_from(PEER_A, A));
    assert_eq!(
        drain(&mut cache, ms(1)),
        vec![datagram(PEER_A, A, b"1"), datagram(PEER_A, A, b"2")]
    );
    assert!(!QueueFull.to_string().is_empty());
}

#[test]
fn static_entries_resolve_at_once_and_do_not_change_or_expire() {
    let mut cache = cache();
    cache.insert_static(A, PEER_A);
    assert_eq!(cache.lookup(ms(0), A), Resolution::Resolved(PEER_A));
    cache.handle(ms(1), &Repr::reply_to(&Repr::request(OURS, ME, A), OTHER));
    cache.handle(ms(1), &Repr::gratuitous(OTHER, A));
    assert!(advance(&mut cache, ms(1), ms(1_000_000)).is_empty());
    assert_eq!(cache.lookup(ms(1_000_000), A), Resolution::Resolved(PEER_A));
    assert_eq!(cache.state(A), Some(NeighbourState::Static(PEER_A)));
    assert_eq!(cache.len(), 0);

    // A static entry resolves a pending neighbour and releases its queue.
    cache.enqueue(ms(1_000_000), B, b"q".to_vec()).unwrap();
    cache.insert_static(B, PEER_B);
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved { ip: B, mac: PEER_B }]
    );
    let sent = drain(&mut cache, ms(1_000_000));
    assert_eq!(sent.last(), Some(&datagram(PEER_B, B, b"q")));
    assert!(cache.remove(B));
    assert_eq!(cache.state(B), None);
}

#[test]
fn group_and_own_addresses_need_no_resolution() {
    let mut cache = cache();
    assert_eq!(
        cache.lookup(ms(0), Ipv4Addr::BROADCAST),
        Resolution::Resolved(MacAddress::BROADCAST)
    );
    assert_eq!(
        cache.lookup(ms(0), Ipv4Addr::new(239, 129, 2, 3)),
        Resolution::Resolved(MacAddress::new([0x01, 0x00, 0x5e, 0x01, 0x02, 0x03]))
    );
    assert_eq!(cache.lookup(ms(0), ME), Resolution::Resolved(OURS));
    assert_eq!(
        cache.lookup(ms(0), Ipv4Addr::UNSPECIFIED),
        Resolution::Unreachable
    );
    cache
        .enqueue(ms(0), Ipv4Addr::BROADCAST, b"bc".to_vec())
        .unwrap();
    assert_eq!(
        drain(&mut cache, ms(0)),
        vec![datagram(MacAddress::BROADCAST, Ipv4Addr::BROADCAST, b"bc")]
    );
    assert!(cache.is_empty());
}

#[test]
fn many_confirmations_do_not_grow_the_timer_heap() {
    // A chatty neighbour confirming itself every millisecond for a minute:
    // poll_timeout stays meaningful and nothing fires early.
    let mut cache = cache();
    for i in 0..60_000 {
        cache.handle(ms(i), &Repr::request(PEER_A, A, ME));
        cache.handle_timeout(ms(i));
        drain(&mut cache, ms(i));
    }
    assert_eq!(cache.state(A), Some(NeighbourState::Reachable(PEER_A)));
    let next = cache.poll_timeout().unwrap();
    assert!(next <= ms(59_999) + Duration::from_secs(60));
}

// --- Real packets captured from Linux 6.x on a veth pair ----------------

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

// 198.18.60.1 (96:d2:ff:98:70:87) resolving 198.18.60.2 (7e:c6:81:95:17:dc),
// and the announcement Linux sends (arp_notify) when .2 changes its address
// to 02:00:5e:10:00:02. The same captures as the crate's unit tests.
const REQUEST_FRAME: &str = "ffffffffffff 96d2ff987087 0806
    0001 0800 06 04 0001 96d2ff987087 c6123c01 000000000000 c6123c02";
const REPLY_FRAME: &str = "96d2ff987087 7ec6819517dc 0806
    0001 0800 06 04 0002 7ec6819517dc c6123c02 96d2ff987087 c6123c01";
const NOTIFY_FRAME: &str = "ffffffffffff 02005e100002 0806
    0001 0800 06 04 0001 02005e100002 c6123c02 000000000000 c6123c02";

const LINUX_1: Ipv4Addr = Ipv4Addr::new(198, 18, 60, 1);
const LINUX_2: Ipv4Addr = Ipv4Addr::new(198, 18, 60, 2);
const MAC_1: MacAddress = MacAddress::new([0x96, 0xd2, 0xff, 0x98, 0x70, 0x87]);
const MAC_2: MacAddress = MacAddress::new([0x7e, 0xc6, 0x81, 0x95, 0x17, 0xdc]);
const MAC_2_NEW: MacAddress = MacAddress::new([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02]);

/// The ARP packet of a captured frame, parsed as the host would.
fn captured(frame: &str) -> (Frame<Vec<u8>>, Repr) {
    let frame = Frame::parse(hex(frame)).unwrap();
    assert_eq!(frame.ethertype(), EtherType::ARP);
    let repr = Repr::parse(&Packet::parse(frame.payload()).unwrap()).unwrap();
    (frame, repr)
}

fn emitted(repr: &Repr) -> [u8; 28] {
    let mut buf = [0u8; 28];
    repr.emit(&mut buf).unwrap();
    buf
}

#[test]
fn linux_capture_our_request_is_byte_identical_and_its_reply_resolves() {
    let mut cache = ArpCache::new(CacheConfig::default(), MAC_1);
    cache.add_address(ms(0), LINUX_1);
    drain(&mut cache, ms(0));
    cache.enqueue(ms(0), LINUX_2, b"ip".to_vec()).unwrap();
    let sent = drain(&mut cache, ms(0));
    let ArpTransmit::Arp(request) = sent[0] else {
        panic!()
    };

    let (frame, linux_request) = captured(REQUEST_FRAME);
    assert_eq!(request, linux_request);
    assert_eq!(&emitted(&request)[..], frame.payload());
    assert_eq!(sent[0].destination(), frame.dst());

    let (reply_frame, reply) = captured(REPLY_FRAME);
    assert_eq!(reply_frame.dst(), MAC_1);
    cache.handle(ms(1), &reply);
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::Resolved {
            ip: LINUX_2,
            mac: MAC_2
        }]
    );
    assert_eq!(
        drain(&mut cache, ms(1)),
        vec![datagram(MAC_2, LINUX_2, b"ip")]
    );

    // Then .2 changes its hardware address and announces it.
    let (_, notify) = captured(NOTIFY_FRAME);
    cache.handle(ms(2), &notify);
    assert_eq!(
        cache.lookup(ms(3), LINUX_2),
        Resolution::Resolved(MAC_2_NEW)
    );
}

#[test]
fn linux_capture_we_answer_its_request_byte_identically() {
    let mut cache = ArpCache::new(CacheConfig::default(), MAC_2);
    cache.add_address(ms(0), LINUX_2);
    drain(&mut cache, ms(0));

    let (_, request) = captured(REQUEST_FRAME);
    cache.handle(ms(1), &request);
    let sent = drain(&mut cache, ms(1));
    let (reply_frame, linux_reply) = captured(REPLY_FRAME);
    assert_eq!(sent, vec![ArpTransmit::Arp(linux_reply)]);
    let ArpTransmit::Arp(reply) = sent[0] else {
        panic!()
    };
    assert_eq!(&emitted(&reply)[..], reply_frame.payload());
    assert_eq!(sent[0].destination(), reply_frame.dst());
    // And the asker was learned (RFC 826: it is talking to us).
    assert_eq!(cache.lookup(ms(2), LINUX_1), Resolution::Resolved(MAC_1));
}

#[test]
fn linux_capture_our_announcement_is_byte_identical() {
    let mut cache = ArpCache::new(CacheConfig::default(), MAC_2_NEW);
    cache.add_address(ms(0), LINUX_2);
    let sent = drain(&mut cache, ms(0));
    let (frame, notify) = captured(NOTIFY_FRAME);
    assert_eq!(sent, vec![ArpTransmit::Arp(notify)]);
    let ArpTransmit::Arp(ours) = sent[0] else {
        panic!()
    };
    assert_eq!(&emitted(&ours)[..], frame.payload());
    assert_eq!(sent[0].destination(), frame.dst());

    // The same announcement heard by a host without an entry for .2
    // creates none.
    let mut other = ArpCache::new(CacheConfig::default(), MAC_1);
    other.add_address(ms(0), LINUX_1);
    other.handle(ms(1), &notify);
    assert_eq!(other.state(LINUX_2), None);
}

const NEW: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 50);

/// A cache with no address that starts probing NEW at 0 with a 300 ms
/// initial wait.
fn prober() -> ArpCache {
    let mut cache = ArpCache::new(CacheConfig::default(), OURS);
    cache.probe_address(ms(0), NEW, Duration::from_millis(300));
    assert!(cache.is_probing(NEW));
    assert!(!cache.is_our_address(NEW));
    assert!(drain(&mut cache, ms(0)).is_empty());
    cache
}

#[test]
fn a_probed_address_is_claimed_after_three_silent_probes() {
    let mut cache = prober();
    // Requests for it are not answered while it is tentative.
    cache.handle(ms(100), &Repr::request(PEER_A, A, NEW));
    assert!(drain(&mut cache, ms(100)).is_empty());
    let sent = advance_all(&mut cache, ms(0), ms(10_000));
    let probe = ArpTransmit::Arp(Repr::probe(OURS, NEW));
    let announce = ArpTransmit::Arp(Repr::gratuitous(OURS, NEW));
    // Probes at 0.3, 1.8 and 3.3 s; claimed 2 s after the last, then the
    // two announcements 2 s apart.
    assert_eq!(
        sent,
        vec![
            (ms(300), probe.clone()),
            (ms(1_800), probe.clone()),
            (ms(3_300), probe),
            (ms(5_300), announce.clone()),
            (ms(7_300), announce),
        ]
    );
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::AddressClaimed { ip: NEW }]
    );
    assert!(cache.is_our_address(NEW));
    assert!(!cache.is_probing(NEW));
    assert_eq!(cache.stats().probes, 3);
    assert_eq!(cache.stats().probe_conflicts, 0);
    // Now it is answered.
    cache.handle(ms(10_000), &Repr::request(PEER_A, A, NEW));
    assert_eq!(
        drain(&mut cache, ms(10_000)),
        vec![ArpTransmit::Arp(Repr::reply_to(
            &Repr::request(PEER_A, A, NEW),
            OURS
        ))]
    );
}

#[test]
fn a_host_using_the_address_stops_the_probing() {
    let mut cache = prober();
    let sent = advance_all(&mut cache, ms(0), ms(1_000));
    assert_eq!(sent.len(), 1);
    // The owner answers our probe.
    cache.handle(ms(1_001), &Repr::reply_to(&Repr::probe(OURS, NEW), OTHER));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::ProbeConflict {
            ip: NEW,
            mac: OTHER
        }]
    );
    assert!(!cache.is_probing(NEW));
    assert!(advance_all(&mut cache, ms(1_001), ms(20_000)).is_empty());
    assert!(!cache.is_our_address(NEW));
    assert_eq!(cache.stats().probe_conflicts, 1);
}

#[test]
fn another_hosts_probe_for_the_same_address_stops_ours() {
    let mut cache = prober();
    advance_all(&mut cache, ms(0), ms(2_000));
    // Our own probe echoed back (same MAC) is no conflict.
    cache.handle(ms(2_000), &Repr::probe(OURS, NEW));
    assert!(cache.is_probing(NEW));
    // Someone else's is (RFC 5227 §2.1.1).
    cache.handle(ms(2_100), &Repr::probe(OTHER, NEW));
    assert_eq!(
        events(&mut cache),
        vec![ArpEvent::ProbeConflict {
            ip: NEW,
            mac: OTHER
        }]
    );
    assert!(advance_all(&mut cache, ms(2_100), ms(20_000)).is_empty());
    assert!(!cache.is_our_address(NEW));
}
