//! The fault injector: deterministic per seed, impairment rates as
//! configured, delays and bandwidth respected, corruption visible.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use strata::device::fault::FaultInjector;
use strata::device::memory::{self, MemoryConfig, MemoryDevice};
use strata::device::pcap::{PcapFormat, PcapOptions, PcapWriter};
use strata::device::{Device, DeviceError};
use strata_core::time::{Duration, Instant};
use strata_sim::LinkConfig;

fn t(us: u64) -> Instant {
    Instant::from_micros(us)
}

/// Frame `n`: `len` bytes, the number in the first 8, a pattern after.
fn numbered(n: u64, len: usize) -> impl FnOnce(&mut [u8]) -> Option<usize> {
    move |buf| {
        buf[..8].copy_from_slice(&n.to_be_bytes());
        for (i, b) in buf[8..len].iter_mut().enumerate() {
            *b = (i as u8) ^ (n as u8);
        }
        Some(len)
    }
}

fn expected(n: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    numbered(n, len)(&mut v);
    v
}

fn number(frame: &[u8]) -> u64 {
    u64::from_be_bytes(frame[..8].try_into().unwrap())
}

fn big_pair() -> (MemoryDevice, MemoryDevice) {
    memory::pair_with(MemoryConfig {
        mtu: 1500,
        queue_len: 1 << 16,
    })
}

/// Sends `count` frames 100 µs apart through an injector with `config`
/// and `seed`, then collects everything at the peer (after letting every
/// delay pass). Returns the frames in arrival order.
fn run(config: LinkConfig, seed: u64, count: u64) -> Vec<Vec<u8>> {
    let (a, mut b) = big_pair();
    let mut a = FaultInjector::new(a, config, seed).with_max_held(1 << 16);
    let mut got = Vec::new();
    for n in 0..count {
        let now = t(n * 100);
        assert_eq!(
            a.transmit(now, numbered(n, 60 + (n % 200) as usize)),
            Ok(Some(60 + (n % 200) as usize))
        );
        while let Some(f) = b.receive(now, <[u8]>::to_vec) {
            got.push(f);
        }
    }
    // Drain whatever is still held.
    while let Some(at) = a.poll_at() {
        assert_eq!(a.receive(at, |_| ()), None);
        while let Some(f) = b.receive(at, <[u8]>::to_vec) {
            got.push(f);
        }
    }
    assert_eq!(a.held(), 0);
    got
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    let config = LinkConfig::hostile().with_corrupt_bits(4);
    let one = run(config, 42, 10_000);
    let two = run(config, 42, 10_000);
    assert_eq!(one, two);
    let other = run(config, 43, 10_000);
    assert_ne!(one, other);
    // Something of every kind happened.
    assert!(one.len() < 10_000 + 500);
    let numbers: Vec<u64> = one.iter().map(|f| number(f)).collect();
    assert!(numbers.windows(2).any(|w| w[1] < w[0]), "no reordering");
    assert!(numbers.windows(2).any(|w| w[1] == w[0]), "no duplicate");
}

/// `x` is within `tolerance` (absolute) of `p` over `n` trials.
fn close(count: usize, n: u64, p: f64, tolerance: f64) -> bool {
    let rate = count as f64 / n as f64;
    (rate - p).abs() <= tolerance
}

#[test]
fn loss_and_duplication_rates_over_100k_frames() {
    const N: u64 = 100_000;
    // Binomial standard deviations: loss sqrt(0.1*0.9/1e5) = 0.00095,
    // duplication sqrt(0.05*0.95/1e5) = 0.00069: a tolerance of 0.005 is
    // more than 5 sigma.
    for seed in [1, 2, 3] {
        let got = run(LinkConfig::lossy(0.1), seed, N);
        assert!(
            close(N as usize - got.len(), N, 0.1, 0.005),
            "seed {seed}: {} delivered",
            got.len()
        );
        // Survivors arrive in order, intact.
        let numbers: Vec<u64> = got.iter().map(|f| number(f)).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
        for f in &got {
            let n = number(f);
            assert_eq!(*f, expected(n, 60 + (n % 200) as usize));
        }

        let got = run(LinkConfig::clean().with_duplication(0.05), seed, N);
        assert!(
            close(got.len() - N as usize, N, 0.05, 0.005),
            "seed {seed}: {} delivered",
            got.len()
        );
        // Every frame arrives, the copy right after the original.
        let numbers: Vec<u64> = got.iter().map(|f| number(f)).collect();
        assert!(numbers.windows(2).all(|w| w[0] <= w[1]));
        let mut distinct = numbers.clone();
        distinct.dedup();
        assert_eq!(distinct, (0..N).collect::<Vec<_>>());
    }
}

#[test]
fn reordering_rate_and_corruption_rate() {
    const N: u64 = 100_000;
    // Held back 1 ms while frames go every 100 µs: each reordered frame is
    // overtaken by about ten.
    let config = LinkConfig::clean().with_reordering(0.02, Duration::from_millis(1));
    let (a, mut b) = big_pair();
    let mut a = FaultInjector::new(a, config, 5).with_max_held(1 << 16);
    let mut got = Vec::new();
    for n in 0..N {
        a.transmit(t(n * 100), numbered(n, 64)).unwrap();
        while let Some(x) = b.receive(t(n * 100), number) {
            got.push(x);
        }
    }
    while let Some(at) = a.poll_at() {
        a.receive(at, |_| ());
        while let Some(x) = b.receive(at, number) {
            got.push(x);
        }
    }
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..N).collect::<Vec<_>>());
    let reordered = a.transmit_link().stats().reordered;
    assert!(close(reordered as usize, N, 0.02, 0.003), "{reordered}");
    // A frame is late when a later-numbered frame arrived before it.
    let mut max = 0;
    let late = got
        .iter()
        .filter(|&&x| {
            let late = x < max;
            max = max.max(x);
            late
        })
        .count();
    assert_eq!(late as u64, reordered);

    let got = run(LinkConfig::clean().with_corruption(0.01), 9, N);
    assert_eq!(got.len(), N as usize);
    let damaged = got
        .iter()
        .enumerate()
        .filter(|(i, f)| **f != expected(*i as u64, 60 + (*i as u64 % 200) as usize))
        .count();
    assert!(close(damaged, N, 0.01, 0.002), "{damaged}");
}

#[test]
fn corruption_flips_bits_and_nothing_else() {
    let config = LinkConfig::clean()
        .with_corruption(1.0)
        .with_corrupt_bits(8);
    let (a, mut b) = big_pair();
    let mut a = FaultInjector::new(a, config, 11);
    for n in 0..1000u64 {
        a.transmit(t(0), numbered(n, 200)).unwrap();
        let got = b.receive(t(0), <[u8]>::to_vec).unwrap();
        let want = expected(n, 200);
        assert_eq!(got.len(), want.len());
        let flipped: u32 = got
            .iter()
            .zip(&want)
            .map(|(x, y)| (x ^ y).count_ones())
            .sum();
        assert!((1..=8).contains(&flipped), "{flipped} bits flipped");
    }
    assert_eq!(a.transmit_link().stats().corrupted, 1000);
}

#[test]
fn delayed_frames_are_released_when_due_in_order() {
    let config = LinkConfig::clean()
        .with_delay(Duration::from_millis(10))
        .with_jitter(Duration::from_millis(3));
    let (a, mut b) = big_pair();
    let mut a = FaultInjector::new(a, config, 3);
    // All sent before the first is due.
    for n in 0..100u64 {
        a.transmit(t(n * 100), numbered(n, 64)).unwrap();
    }
    assert_eq!(a.held(), 100);
    // Nothing before the first is due.
    let first = a.poll_at().unwrap();
    assert!(first >= t(10_000) && first <= t(13_000), "{first}");
    a.receive(first - Duration::from_micros(1), |_| ());
    assert_eq!(b.receive(t(0), number), None);
    // Stepping from one poll_at to the next releases frames one by one, in
    // send order (jitter never reorders), never early.
    let mut next = 0;
    while let Some(at) = a.poll_at() {
        assert!(at >= t(next * 100 + 10_000), "frame {next} due at {at}");
        assert!(at <= t(next * 100 + 13_000), "frame {next} due at {at}");
        assert_eq!(a.transmit(at, |_| None), Ok(None));
        while let Some(x) = b.receive(at, number) {
            assert_eq!(x, next);
            next += 1;
        }
    }
    assert_eq!(next, 100);
}

#[test]
fn bandwidth_paces_frames() {
    // 8 Mbit/s: one byte per microsecond.
    let config = LinkConfig::clean().with_bandwidth(8_000_000);
    let (a, mut b) = big_pair();
    let mut a = FaultInjector::new(a, config, 1);
    for n in 0..10 {
        a.transmit(t(0), numbered(n, 1000)).unwrap();
    }
    assert_eq!(a.held(), 10);
    for n in 0..10u64 {
        let due = t((n + 1) * 1000);
        assert_eq!(a.poll_at(), Some(due));
        a.receive(due - Duration::from_micros(1), |_| ());
        assert_eq!(b.receive(due, number), None, "frame {n} early");
        a.receive(due, |_| ());
        assert_eq!(b.receive(due, number), Some(n));
    }
    assert_eq!(a.poll_at(), None);
    // 100 frames of 1250 bytes at t = 0 take 125 ms: a 10 Mbit/s pace.
    let (c, mut d) = big_pair();
    let mut c = FaultInjector::new(c, LinkConfig::clean().with_bandwidth(10_000_000), 1);
    for n in 0..100 {
        c.transmit(t(0), numbered(n, 1250)).unwrap();
    }
    let mut last = t(0);
    let mut count = 0;
    while let Some(at) = c.poll_at() {
        c.receive(at, |_| ());
        while d.receive(at, |_| ()).is_some() {
            count += 1;
            last = at;
        }
    }
    assert_eq!(count, 100);
    assert_eq!(last, t(100_000));
}

#[test]
fn receive_path_faults() {
    let (mut a, b) = big_pair();
    let mut b =
        FaultInjector::new(b, LinkConfig::clean(), 4).with_receive_faults(LinkConfig::lossy(1.0));
    for n in 0..10 {
        a.transmit(t(0), numbered(n, 64)).unwrap();
    }
    assert_eq!(b.receive(t(0), number), None);
    assert_eq!(b.receive_link().unwrap().stats().dropped_loss, 10);
    // The transmit path of the same injector is clean.
    b.transmit(t(0), numbered(99, 64)).unwrap();
    assert_eq!(a.receive(t(0), number), Some(99));
    // Delay on receive: frames wait in the injector, not in the device.
    b.set_receive_config(Some(
        LinkConfig::clean().with_delay(Duration::from_millis(5)),
    ));
    a.transmit(t(0), numbered(7, 64)).unwrap();
    assert_eq!(b.receive(t(0), number), None);
    assert_eq!(b.poll_at(), Some(t(5000)));
    assert_eq!(b.receive(t(5000), number), Some(7));
    b.set_receive_config(None);
    a.transmit(t(6000), numbered(8, 64)).unwrap();
    assert_eq!(b.receive(t(6000), number), Some(8));
}

#[test]
fn busy_inner_device_holds_frames_then_refuses() {
    let (a, mut b) = memory::pair_with(MemoryConfig {
        mtu: 1500,
        queue_len: 4,
    });
    let mut a = FaultInjector::new(a, LinkConfig::clean(), 1).with_max_held(8);
    // 4 go into the device's queue, 8 more are held, then Busy.
    for n in 0..12 {
        assert_eq!(a.transmit(t(0), numbered(n, 64)), Ok(Some(64)), "frame {n}");
    }
    assert_eq!(a.held(), 8);
    assert_eq!(a.poll_at(), Some(t(0)));
    assert_eq!(a.transmit(t(0), numbered(12, 64)), Err(DeviceError::Busy));
    assert_eq!(a.stats().busy, 1);
    // The peer drains; the held frames follow in order on the next calls.
    let mut got = Vec::new();
    for step in 0..10 {
        a.receive(t(step), |_| ());
        while let Some(x) = b.receive(t(step), number) {
            got.push(x);
        }
    }
    assert_eq!(got, (0..12).collect::<Vec<_>>());
    assert_eq!(a.held(), 0);
    assert_eq!(a.poll_at(), None);
}

#[test]
fn closed_inner_device_is_reported() {
    let (a, b) = big_pair();
    let mut a = FaultInjector::new(a, LinkConfig::clean(), 1);
    drop(b);
    assert_eq!(a.transmit(t(0), numbered(1, 64)), Err(DeviceError::Closed));
    assert_eq!(a.stats().inner_errors, 1);
    assert_eq!(a.stats().last_error, Some(DeviceError::Closed));
    assert_eq!(
        a.transmit(t(0), |_| Some(2000)),
        Err(DeviceError::FrameTooLong {
            len: 2000,
            max: 1514
        })
    );
}

#[test]
fn stacks_with_the_pcap_writer() {
    // The capture outside the injector sees what the host sent; the one
    // inside sees what survived the link.
    let (a, mut b) = big_pair();
    let options = PcapOptions {
        format: PcapFormat::Pcap,
        ..PcapOptions::default()
    };
    let wire = PcapWriter::with_options(a, Vec::new(), options.clone()).unwrap();
    let lossy = FaultInjector::new(wire, LinkConfig::lossy(0.5), 8);
    let mut host = PcapWriter::with_options(lossy, Vec::new(), options).unwrap();
    for n in 0..1000 {
        host.transmit(t(n), numbered(n, 64)).unwrap();
    }
    let mut received = 0;
    while b.receive(t(1000), |_| ()).is_some() {
        received += 1;
    }
    assert_eq!(host.frames_written(), 1000);
    assert_eq!(host.device().inner().frames_written(), received);
    assert!((400..600).contains(&received), "{received}");
}
