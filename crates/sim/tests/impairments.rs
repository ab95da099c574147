//! Each impairment, measured over many packets against its configuration.
//! Everything is seeded, so these are exact reproductions, not flaky
//! statistics: the tolerances only say the model is right, not lucky.

use strata_core::time::{Duration, Instant};
use strata_sim::{DropReason, Fate, GilbertElliott, Link, LinkConfig};

const N: u64 = 100_000;

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

/// Within five standard deviations of a binomial proportion.
fn assert_rate(observed: u64, trials: u64, p: f64, what: &str) {
    let rate = observed as f64 / trials as f64;
    let sigma = (p * (1.0 - p) / trials as f64).sqrt();
    assert!(
        (rate - p).abs() <= 5.0 * sigma + 1e-9,
        "{what}: observed {rate:.5} over {trials}, configured {p}"
    );
}

/// Arrival times and bytes, in delivery order.
type Arrivals = Vec<(Instant, Vec<u8>)>;

/// Sends `n` small packets 1 ms apart and drains the link.
fn run(config: LinkConfig, seed: u64, n: u64) -> (Link, Vec<Fate>, Arrivals) {
    let mut link = Link::new(config, seed);
    let mut fates = Vec::new();
    let mut out = Vec::new();
    for i in 0..n {
        let now = t(i * 1000);
        fates.push(link.send(now, i.to_be_bytes().to_vec()));
        while let Some(a) = link.deliver_arrival(now) {
            out.push((a.arrived_at, a.packet));
        }
    }
    while let Some(at) = link.next_delivery() {
        while let Some(a) = link.deliver_arrival(at) {
            out.push((a.arrived_at, a.packet));
        }
    }
    (link, fates, out)
}

#[test]
fn loss_rate_matches() {
    for (seed, p) in [0.001, 0.01, 0.1, 0.2, 0.5, 0.9].into_iter().enumerate() {
        let (link, fates, out) = run(LinkConfig::lossy(p), seed as u64, N);
        let s = link.stats();
        assert_rate(s.dropped_loss, N, p, "loss");
        let lost = fates
            .iter()
            .filter(|f| **f == Fate::Dropped(DropReason::Loss))
            .count() as u64;
        assert_eq!(lost, s.dropped_loss);
        assert_eq!(s.delivered, N - s.dropped_loss);
        assert_eq!(out.len() as u64, s.delivered);
    }
}

#[test]
fn duplication_rate_matches() {
    for (seed, p) in [0.01, 0.1, 0.5].into_iter().enumerate() {
        let (link, _, out) = run(LinkConfig::clean().with_duplication(p), seed as u64, N);
        let s = link.stats();
        assert_rate(s.duplicated, N, p, "duplication");
        assert_eq!(s.delivered, N + s.duplicated);
        // A copy arrives right after its original.
        let pairs = out.windows(2).filter(|w| w[0] == w[1]).count() as u64;
        assert_eq!(pairs, s.duplicated);
    }
}

#[test]
fn reordering_rate_matches_and_reorders() {
    let p = 0.05;
    let config = LinkConfig::clean()
        .with_delay(Duration::from_millis(10))
        .with_reordering(p, Duration::from_micros(3500));
    let (link, _, out) = run(config, 3, N);
    let s = link.stats();
    assert_rate(s.reordered, N, p, "reordering");
    let ids: Vec<u64> = out
        .iter()
        .map(|(_, p)| u64::from_be_bytes(p[..8].try_into().unwrap()))
        .collect();
    // A held-back packet is overtaken by the three sent in the next 3.5 ms
    // (fewer when one of those is held back as well): displaced by about 3.
    let overtaken = ids.windows(2).filter(|w| w[0] > w[1]).count() as u64;
    assert!(overtaken > 0);
    assert!(overtaken <= s.reordered);
    let displaced: u64 = ids
        .iter()
        .enumerate()
        .map(|(pos, id)| (pos as u64).saturating_sub(*id))
        .sum();
    assert!(displaced * 10 >= s.reordered * 27, "displaced {displaced}");
    // Everything still arrives, in delivery-time order.
    assert_eq!(ids.len() as u64, N);
    assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn corruption_rate_matches_and_flips_bounded_bits() {
    for (seed, (p, bits)) in [(0.01, 1u8), (0.1, 3), (0.5, 64)].into_iter().enumerate() {
        let config = LinkConfig::clean()
            .with_corruption(p)
            .with_corrupt_bits(bits);
        let mut link = Link::new(config, seed as u64);
        let original = vec![0xa5u8; 100];
        let mut damaged = 0u64;
        let mut flipped_total = 0u64;
        for i in 0..N {
            let now = t(i);
            let fate = link.send(now, original.clone());
            let a = link.deliver_arrival(now).unwrap();
            let flipped: u32 = a
                .packet
                .iter()
                .zip(&original)
                .map(|(x, y)| (x ^ y).count_ones())
                .sum();
            assert_eq!(a.corrupted, flipped > 0);
            assert!(matches!(fate, Fate::InFlight { corrupted, .. } if corrupted == a.corrupted));
            assert!(flipped <= u32::from(bits));
            if a.corrupted {
                damaged += 1;
                flipped_total += u64::from(flipped);
            }
        }
        assert_eq!(damaged, link.stats().corrupted);
        assert_rate(damaged, N, p, "corruption");
        // Uniform in 1..=bits: mean (bits + 1) / 2.
        let mean = flipped_total as f64 / damaged as f64;
        let expected = (f64::from(bits) + 1.0) / 2.0;
        assert!(
            (mean - expected).abs() < expected * 0.05 + 0.01,
            "mean bits {mean}"
        );
    }
}

#[test]
fn single_bit_corruption_is_caught_by_the_internet_checksum() {
    let mut link = Link::new(LinkConfig::clean().with_corruption(1.0), 11);
    let mut packet: Vec<u8> = (0..=255u8).cycle().take(60).collect();
    let c = strata_core::checksum::checksum(&packet);
    packet.extend_from_slice(&c.to_be_bytes());
    assert_eq!(strata_core::checksum::checksum(&packet), 0);
    for i in 0..10_000 {
        link.send(t(i), packet.clone());
        let got = link.deliver(t(i)).unwrap();
        assert_ne!(strata_core::checksum::checksum(&got), 0);
    }
}

#[test]
fn gilbert_elliott_loss_comes_in_bursts() {
    // Bad 10% of the time, bursts of 5 packets on average.
    let model = GilbertElliott::new(0.2 / 9.0, 0.2);
    let config = LinkConfig::clean().with_burst_loss(model);
    let (link, fates, _) = run(config, 5, N);
    let lost = link.stats().dropped_loss as f64 / N as f64;
    assert!((lost - model.mean_loss()).abs() < 0.01, "lost {lost}");
    let mut bursts = 0u64;
    let mut in_burst = false;
    for f in &fates {
        let l = matches!(f, Fate::Dropped(DropReason::Loss));
        if l && !in_burst {
            bursts += 1;
        }
        in_burst = l;
    }
    let mean_burst = link.stats().dropped_loss as f64 / bursts as f64;
    assert!((mean_burst - 5.0).abs() < 0.5, "mean burst {mean_burst}");
    // Independent loss of the same rate has bursts of about 1.1.
    let (link, fates, _) = run(LinkConfig::lossy(0.1), 5, N);
    let runs = fates
        .windows(2)
        .filter(|w| w[1] == Fate::Dropped(DropReason::Loss) && w[0] != w[1])
        .count() as f64;
    assert!(link.stats().dropped_loss as f64 / runs < 1.3);
}

#[test]
fn gilbert_elliott_state_loss() {
    let model = GilbertElliott::new(0.1, 0.1).with_state_loss(0.02, 0.5);
    let (link, _, _) = run(LinkConfig::clean().with_burst_loss(model), 8, N);
    let lost = link.stats().dropped_loss as f64 / N as f64;
    assert!((lost - 0.26).abs() < 0.02, "lost {lost}");
}

#[test]
fn jitter_stays_in_range_and_keeps_order() {
    let delay = Duration::from_millis(5);
    let jitter = Duration::from_millis(2);
    let config = LinkConfig::clean().with_delay(delay).with_jitter(jitter);
    // 1 ms apart with 2 ms of jitter: without the FIFO rule they would
    // overtake each other often.
    let (_, fates, out) = run(config, 4, N);
    let mut total = 0u64;
    for (i, f) in fates.iter().enumerate() {
        let Fate::InFlight { arrives_at, .. } = *f else {
            panic!("clean link dropped a packet")
        };
        let extra = (arrives_at - t(i as u64 * 1000) - delay).total_micros();
        assert!(extra <= 3000, "extra {extra}");
        total += extra;
    }
    assert!(total > 0);
    let ids: Vec<u64> = out
        .iter()
        .map(|(_, p)| u64::from_be_bytes(p[..8].try_into().unwrap()))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // Far apart, the jitter is uniform: mean about half of it.
    let mut link = Link::new(config, 4);
    let mut sum = 0u64;
    for i in 0..N {
        let now = t(i * 10_000);
        if let Fate::InFlight { arrives_at, .. } = link.send(now, vec![0]) {
            let extra = (arrives_at - now - delay).total_micros();
            assert!(extra <= 2000);
            sum += extra;
        }
        while link.deliver(now + Duration::from_millis(9)).is_some() {}
    }
    let mean = sum as f64 / N as f64;
    assert!((mean - 1000.0).abs() < 15.0, "mean jitter {mean}");
}

#[test]
fn reordering_jitter_reorders_within_its_range() {
    let delay = Duration::from_millis(5);
    let config = LinkConfig::clean()
        .with_delay(delay)
        .with_reordering_jitter(Duration::from_millis(10));
    assert!(config.jitter_reorders());
    assert!(
        !config
            .with_jitter(Duration::from_millis(1))
            .jitter_reorders()
    );
    // 1 ms apart with 10 ms of independent jitter: most neighbours swap
    // half the time, yet every packet keeps its own drawn delay.
    let (link, fates, out) = run(config, 5, N);
    assert_eq!(link.stats().delivered, N);
    for (i, f) in fates.iter().enumerate() {
        let Fate::InFlight { arrives_at, .. } = *f else {
            panic!("clean link dropped a packet")
        };
        let extra = (arrives_at - t(i as u64 * 1000) - delay).total_micros();
        assert!(extra <= 10_000, "extra {extra}");
    }
    let ids: Vec<u64> = out
        .iter()
        .map(|(_, p)| u64::from_be_bytes(p[..8].try_into().unwrap()))
        .collect();
    let swapped = ids.windows(2).filter(|w| w[0] > w[1]).count() as u64;
    // Two neighbours 1 ms apart with delays uniform over 10 ms arrive out
    // of order with probability 0.405; consecutive arrivals see a bit less.
    assert!(swapped > N / 4 && swapped < N / 2, "swapped {swapped}");
    // Arrivals are handed out in time order all the same.
    assert!(out.windows(2).all(|w| w[0].0 <= w[1].0));
}

#[test]
fn early_packets_skip_the_delay_and_overtake() {
    let delay = Duration::from_millis(10);
    let config = LinkConfig::clean().with_delay(delay).with_early(0.05);
    let (link, fates, out) = run(config, 6, N);
    let s = link.stats();
    assert_rate(s.early, N, 0.05, "early");
    let mut early = 0;
    for (i, f) in fates.iter().enumerate() {
        let Fate::InFlight { arrives_at, .. } = *f else {
            panic!("clean link dropped a packet")
        };
        let sent = t(i as u64 * 1000);
        if arrives_at == sent {
            early += 1;
        } else {
            assert_eq!(arrives_at, sent + delay);
        }
    }
    assert_eq!(early, s.early);
    // Each early packet overtakes the ten sent in the 10 ms before it.
    let ids: Vec<u64> = out
        .iter()
        .map(|(_, p)| u64::from_be_bytes(p[..8].try_into().unwrap()))
        .collect();
    let overtaking = ids.windows(2).filter(|w| w[0] > w[1]).count() as u64;
    assert!(overtaking > s.early * 9 / 10, "{overtaking} of {}", s.early);
}

#[test]
fn bandwidth_serializes_back_to_back_packets() {
    // 10 Mbit/s, 1000 packets of 1250 bytes = 10 Mbit: exactly one second.
    let delay = Duration::from_millis(20);
    let config = LinkConfig::clean()
        .with_bandwidth(10_000_000)
        .with_delay(delay);
    let mut link = Link::new(config, 1);
    let mut arrivals = Vec::new();
    for _ in 0..1000 {
        if let Fate::InFlight { arrives_at, .. } = link.send(Instant::ZERO, vec![0; 1250]) {
            arrivals.push(arrives_at);
        }
    }
    assert_eq!(arrivals.len(), 1000);
    // Each packet takes 1 ms; the first arrives after its own
    // serialization plus the delay.
    for (i, at) in arrivals.iter().enumerate() {
        assert_eq!(
            *at,
            Instant::ZERO + delay + Duration::from_millis(i as u64 + 1)
        );
    }
    assert_eq!(*arrivals.last().unwrap(), Instant::from_millis(1020));

    // Packets sent slower than the link drains never queue.
    let mut link = Link::new(config, 1);
    for i in 0..100 {
        let now = Instant::from_millis(2 * i);
        let f = link.send(now, vec![0; 1250]);
        assert!(
            matches!(f, Fate::InFlight { arrives_at, .. } if arrives_at == now + delay + Duration::from_millis(1))
        );
    }
}

#[test]
fn bandwidth_with_odd_rates_accumulates_exactly() {
    // 7 Mbit/s, 1500-byte packets: 12000/7 µs each, not a whole number.
    let config = LinkConfig::clean().with_bandwidth(7_000_000);
    let mut link = Link::new(config, 1);
    let n = 7000u64;
    let mut last = Instant::ZERO;
    for _ in 0..n {
        if let Fate::InFlight { arrives_at, .. } = link.send(Instant::ZERO, vec![0; 1500]) {
            last = arrives_at;
        }
    }
    // 7000 * 12000 bits / 7 Mbit/s = 12 s exactly.
    assert_eq!(last, Instant::from_millis(12_000));
}

#[test]
fn full_queue_drops_the_tail() {
    // 1 byte per microsecond, room for 10 packets of 1000 bytes.
    let config = LinkConfig::clean()
        .with_bandwidth(8_000_000)
        .with_queue_limit(10_000);
    let mut link = Link::new(config, 1);
    let fates: Vec<Fate> = (0..20).map(|_| link.send(t(0), vec![0; 1000])).collect();
    assert!(
        fates[..10]
            .iter()
            .all(|f| matches!(f, Fate::InFlight { .. }))
    );
    assert!(
        fates[10..]
            .iter()
            .all(|f| *f == Fate::Dropped(DropReason::QueueFull))
    );
    assert_eq!(link.stats().dropped_queue, 10);
    // Half drained after 5 ms: room for exactly 5 more.
    let fates: Vec<Fate> = (0..8).map(|_| link.send(t(5000), vec![0; 1000])).collect();
    let admitted = fates
        .iter()
        .filter(|f| matches!(f, Fate::InFlight { .. }))
        .count();
    assert_eq!(admitted, 5);
    assert_eq!(link.stats().dropped_queue, 13);
    // Deliveries come at 1 ms intervals, in order.
    let mut times = Vec::new();
    while let Some(at) = link.next_delivery() {
        link.deliver(at).unwrap();
        times.push(at.total_micros());
    }
    assert_eq!(times, (1..=15).map(|i| i * 1000).collect::<Vec<_>>());
}

#[test]
fn a_lost_packet_still_uses_the_bottleneck() {
    let config = LinkConfig::clean().with_bandwidth(8_000_000).with_loss(1.0);
    let mut link = Link::new(config, 1);
    assert_eq!(
        link.send(t(0), vec![0; 1000]),
        Fate::Dropped(DropReason::Loss)
    );
    link.set_config(LinkConfig::clean().with_bandwidth(8_000_000));
    let f = link.send(t(0), vec![0; 1000]);
    assert!(matches!(f, Fate::InFlight { arrives_at, .. } if arrives_at == t(2000)));
}

#[test]
fn same_seed_same_fates_different_seed_different() {
    let config = LinkConfig::hostile().with_bandwidth(50_000_000);
    let (_, a, out_a) = run(config, 77, 10_000);
    let (_, b, out_b) = run(config, 77, 10_000);
    let (_, c, _) = run(config, 78, 10_000);
    assert_eq!(a, b);
    assert_eq!(out_a, out_b);
    assert_ne!(a, c);
}
