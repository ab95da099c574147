//! Every packet is accounted for exactly once, whatever the configuration,
//! and extreme configurations neither panic nor hang.

use std::collections::HashMap;

use proptest::prelude::*;
use strata_core::time::{Duration, Instant};
use strata_sim::{
    DropReason, Endpoint, Fate, GilbertElliott, Link, LinkConfig, LinkStats, Outcome, Simulation,
};

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]
}

fn config() -> impl Strategy<Value = LinkConfig> {
    (
        (0u64..100_000, 0u64..20_000, 0u64..20_000),
        prop::option::of(prop_oneof![Just(0u64), 1_000u64..10_000_000_000]),
        prop::option::of(0usize..50_000),
        prop::option::of(0usize..3000),
        (
            probability(),
            probability(),
            probability(),
            probability(),
            1u8..=64,
        ),
        prop::option::of((probability(), probability(), probability(), probability())),
    )
        .prop_map(
            |(
                (delay, jitter, extra),
                bandwidth,
                queue,
                mtu,
                (loss, dup, reorder, corrupt, bits),
                burst,
            )| {
                let mut c = LinkConfig::clean()
                    .with_delay(Duration::from_micros(delay))
                    .with_jitter(Duration::from_micros(jitter))
                    .with_loss(loss)
                    .with_duplication(dup)
                    .with_reordering(reorder, Duration::from_micros(extra))
                    .with_corruption(corrupt)
                    .with_corrupt_bits(bits);
                if let Some(bw) = bandwidth {
                    c = c.with_bandwidth(bw);
                }
                if let Some(q) = queue {
                    c = c.with_queue_limit(q);
                }
                if let Some(m) = mtu {
                    c = c.with_mtu(m);
                }
                if let Some((e, l, g, b)) = burst {
                    c = c.with_burst_loss(GilbertElliott::new(e, l).with_state_loss(g, b));
                }
                c
            },
        )
}

#[derive(Clone, Debug)]
enum Op {
    /// Advance the clock, then send a packet of this length.
    Send { gap: u64, len: usize },
    /// Advance the clock, then collect everything due.
    Deliver { gap: u64 },
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0u64..5_000, 8usize..2000).prop_map(|(gap, len)| Op::Send { gap, len }),
            1 => (0u64..50_000).prop_map(|gap| Op::Deliver { gap }),
        ],
        0..300,
    )
}

fn check_identity(s: &LinkStats, in_flight: usize) {
    assert_eq!(
        s.sent + s.duplicated,
        s.delivered + s.dropped() + in_flight as u64,
        "{s:?} with {in_flight} in flight"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_packet_is_accounted_for_once(config in config(), ops in ops(), seed: u64) {
        let mut link = Link::new(config, seed);
        let mut now = Instant::ZERO;
        // Copies still expected per packet id, and the promised arrival
        // times of all copies.
        let mut expected: HashMap<u64, u32> = HashMap::new();
        let mut promised: Vec<Instant> = Vec::new();
        let mut arrived: Vec<Instant> = Vec::new();
        let mut dropped = 0u64;
        let mut next_id = 0u64;
        let mut last_arrival = Instant::ZERO;

        let mut collect = |link: &mut Link, now: Instant, expected: &mut HashMap<u64, u32>, arrived: &mut Vec<Instant>| {
            while let Some(a) = link.deliver_arrival(now) {
                assert!(a.arrived_at <= now);
                assert!(a.arrived_at >= last_arrival, "out of time order");
                assert!(a.arrived_at >= a.sent_at);
                last_arrival = a.arrived_at;
                arrived.push(a.arrived_at);
                if !a.corrupted {
                    let id = u64::from_be_bytes(a.packet[..8].try_into().unwrap());
                    let left = expected.get_mut(&id).expect("unknown or dropped packet arrived");
                    assert!(*left > 0, "packet {id} arrived too often");
                    *left -= 1;
                }
                check_identity(link.stats(), link.in_flight());
            }
        };

        for op in ops {
            match op {
                Op::Send { gap, len } => {
                    now += Duration::from_micros(gap);
                    let mut packet = vec![0u8; len];
                    packet[..8].copy_from_slice(&next_id.to_be_bytes());
                    match link.send(now, packet) {
                        Fate::Dropped(reason) => {
                            dropped += 1;
                            if reason == DropReason::TooBig {
                                prop_assert!(config.mtu().is_some_and(|m| len > m));
                            }
                        }
                        Fate::InFlight { arrives_at, duplicated, .. } => {
                            prop_assert!(arrives_at >= now + config.delay());
                            let copies = 1 + u32::from(duplicated);
                            expected.insert(next_id, copies);
                            for _ in 0..copies {
                                promised.push(arrives_at);
                            }
                        }
                    }
                    next_id += 1;
                    check_identity(link.stats(), link.in_flight());
                }
                Op::Deliver { gap } => {
                    now += Duration::from_micros(gap);
                    collect(&mut link, now, &mut expected, &mut arrived);
                }
            }
        }
        // Drain.
        while let Some(at) = link.next_delivery() {
            collect(&mut link, at, &mut expected, &mut arrived);
        }
        prop_assert_eq!(link.in_flight(), 0);
        let s = *link.stats();
        check_identity(&s, 0);
        prop_assert_eq!(s.sent, next_id);
        prop_assert_eq!(s.dropped(), dropped);
        prop_assert_eq!(s.delivered, promised.len() as u64);
        // Uncorrupted copies all arrived; corrupted ones are counted below.
        let corrupted_left: u32 = expected.values().sum();
        prop_assert!(u64::from(corrupted_left) <= 2 * s.corrupted);
        promised.sort();
        prop_assert_eq!(promised, arrived);
        if config.bandwidth().is_none() {
            prop_assert_eq!(s.dropped_queue, 0);
        }
    }
}

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

fn drain(link: &mut Link) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(at) = link.next_delivery() {
        while let Some(p) = link.deliver(at) {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_impairment_at_probability_one() {
    let all = LinkConfig::clean()
        .with_loss(1.0)
        .with_duplication(1.0)
        .with_reordering(1.0, Duration::from_millis(1))
        .with_corruption(1.0);
    let mut link = Link::new(all, 1);
    for i in 0..1000 {
        assert_eq!(
            link.send(t(i), vec![0; 10]),
            Fate::Dropped(DropReason::Loss)
        );
    }
    assert!(drain(&mut link).is_empty());

    let mut link = Link::new(all.with_loss(0.0), 1);
    for i in 0..1000 {
        let f = link.send(t(i), vec![0; 10]);
        assert_eq!(
            f,
            Fate::InFlight {
                arrives_at: t(i + 1000),
                corrupted: true,
                reordered: true,
                duplicated: true
            }
        );
    }
    let out = drain(&mut link);
    assert_eq!(out.len(), 2000);
    assert!(out.iter().all(|p| p != &vec![0; 10]));
    assert_eq!(link.stats().reordered, 1000);
}

#[test]
fn burst_loss_at_the_extremes() {
    // Always bad, always losing.
    let mut link = Link::new(
        LinkConfig::clean().with_burst_loss(GilbertElliott::new(1.0, 0.0)),
        1,
    );
    for i in 0..100 {
        assert_eq!(link.send(t(i), vec![1]), Fate::Dropped(DropReason::Loss));
    }
    // Never leaving good.
    let mut link = Link::new(
        LinkConfig::clean().with_burst_loss(GilbertElliott::new(0.0, 1.0)),
        1,
    );
    for i in 0..100 {
        assert!(matches!(link.send(t(i), vec![1]), Fate::InFlight { .. }));
    }
    // Alternating every packet.
    let mut link = Link::new(
        LinkConfig::clean().with_burst_loss(GilbertElliott::new(1.0, 1.0)),
        1,
    );
    let lost = (0..100)
        .filter(|i| link.send(t(*i), vec![1]) == Fate::Dropped(DropReason::Loss))
        .count();
    assert_eq!(lost, 50);
}

#[test]
fn huge_delays_saturate_instead_of_overflowing() {
    let end = Instant::from_micros(u64::MAX);
    let config = LinkConfig::clean()
        .with_delay(Duration::MAX)
        .with_jitter(Duration::MAX)
        .with_reordering(0.5, Duration::MAX);
    let mut link = Link::new(config, 1);
    for i in 0..100 {
        link.send(t(i), vec![0; 10]);
    }
    link.send(end, vec![0; 10]);
    assert_eq!(link.next_delivery(), Some(end));
    assert_eq!(link.deliver(end - Duration::from_micros(1)), None);
    assert_eq!(drain(&mut link).len(), 101);

    // A simulation over such a link just reaches its deadline.
    let mut sim = Simulation::new(Chatty::new(3), Chatty::new(0), config, config, 1);
    assert_eq!(sim.run(Instant::from_millis(1000)), Outcome::Deadline);
    assert_eq!(sim.now(), Instant::from_millis(1000));
    // And the end of time is reachable without overflow.
    assert_eq!(sim.run(end), Outcome::Idle);
    assert_eq!(sim.now(), end);
    assert_eq!(sim.b().received, 3);
}

/// Sends some one-byte packets at the start and counts what it receives.
struct Chatty {
    to_send: u32,
    received: u32,
}

impl Chatty {
    fn new(to_send: u32) -> Self {
        Self {
            to_send,
            received: 0,
        }
    }
}

impl Endpoint for Chatty {
    fn receive(&mut self, _now: Instant, _packet: &[u8]) {
        self.received += 1;
    }
    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        if self.to_send == 0 {
            return false;
        }
        self.to_send -= 1;
        buf.push(0);
        true
    }
}

#[test]
fn extreme_bandwidths() {
    // One bit per second: a 1 MB packet takes 8 million seconds.
    let mut link = Link::new(LinkConfig::clean().with_bandwidth(1), 1);
    let f = link.send(t(0), vec![0; 1_000_000]);
    assert!(
        matches!(f, Fate::InFlight { arrives_at, .. } if arrives_at == t(8_000_000 * 1_000_000))
    );
    // The backlog of that packet is measured without overflow.
    let mut link = Link::new(
        LinkConfig::clean()
            .with_bandwidth(1)
            .with_queue_limit(2_000_000),
        1,
    );
    for _ in 0..2 {
        assert!(matches!(
            link.send(t(0), vec![0; 1_000_000]),
            Fate::InFlight { .. }
        ));
    }
    assert_eq!(
        link.send(t(0), vec![0; 1]),
        Fate::Dropped(DropReason::QueueFull)
    );
    // The fastest link possible serializes in no time at all.
    let mut link = Link::new(LinkConfig::clean().with_bandwidth(u64::MAX), 1);
    for _ in 0..1000 {
        let f = link.send(t(5), vec![0; 1500]);
        assert!(matches!(f, Fate::InFlight { arrives_at, .. } if arrives_at <= t(6)));
    }
    // Zero is documented as unlimited.
    let mut link = Link::new(LinkConfig::clean().with_bandwidth(0).with_queue_limit(0), 1);
    assert!(
        matches!(link.send(t(5), vec![0; 1500]), Fate::InFlight { arrives_at, .. } if arrives_at == t(5))
    );
}

#[test]
fn zero_limits_drop_everything_but_empty_packets() {
    let config = LinkConfig::clean()
        .with_bandwidth(1_000_000)
        .with_queue_limit(0);
    let mut link = Link::new(config, 1);
    assert_eq!(
        link.send(t(0), vec![0]),
        Fate::Dropped(DropReason::QueueFull)
    );
    assert!(matches!(link.send(t(0), Vec::new()), Fate::InFlight { .. }));

    let mut link = Link::new(LinkConfig::clean().with_mtu(0).with_corruption(1.0), 1);
    assert_eq!(link.send(t(0), vec![0]), Fate::Dropped(DropReason::TooBig));
    // An empty packet has no bits to flip.
    assert_eq!(
        link.send(t(0), Vec::new()),
        Fate::InFlight {
            arrives_at: t(0),
            corrupted: false,
            reordered: false,
            duplicated: false
        }
    );
    assert_eq!(link.deliver(t(0)), Some(Vec::new()));
}

#[test]
fn time_going_backwards_keeps_order() {
    let config = LinkConfig::clean()
        .with_delay(Duration::from_millis(1))
        .with_bandwidth(8_000_000);
    let mut link = Link::new(config, 1);
    for (i, now) in [5000u64, 1000, 3000, 0].into_iter().enumerate() {
        link.send(t(now), vec![i as u8; 100]);
    }
    let order: Vec<u8> = drain(&mut link).iter().map(|p| p[0]).collect();
    assert_eq!(order, [0, 1, 2, 3]);
}

#[cfg(feature = "arbitrary")]
#[test]
fn arbitrary_configs_run() {
    use arbitrary::{Arbitrary, Unstructured};
    use strata_core::rand::{RandomSource, SplitMix64};
    let mut rng = SplitMix64::new(0);
    for _ in 0..200 {
        let mut bytes = vec![0u8; 128];
        rng.fill(&mut bytes);
        let config = LinkConfig::arbitrary(&mut Unstructured::new(&bytes)).unwrap();
        let mut link = Link::new(config, rng.next_u64());
        for i in 0..200 {
            link.send(t(i * 100), vec![0; 100]);
        }
        drain(&mut link);
        let s = link.stats();
        assert_eq!(s.sent + s.duplicated, s.delivered + s.dropped());
    }
}
