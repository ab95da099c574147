//! How fast the simulator moves packets. Prints rates, asserts only
//! correctness (timing assertions would be flaky on shared CI machines).
//! For meaningful numbers:
//! `cargo test -p strata-sim --release --test throughput -- --nocapture`.

use std::time::Instant as WallClock;

use strata_core::time::{Duration, Instant};
use strata_sim::{Endpoint, Link, LinkConfig, Outcome, Simulation};

/// Fewer packets in debug builds, where the rate means little anyway.
const PACKETS: u64 = if cfg!(debug_assertions) {
    200_000
} else {
    4_000_000
};

fn report(what: &str, packets: u64, started: WallClock) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {packets} packets in {secs:.3} s = {:.2} M packets/s",
        packets as f64 / secs / 1e6
    );
}

#[test]
fn link_throughput() {
    // A bottleneck with a standing queue of about 100 packets and every
    // impairment switched on.
    let config = LinkConfig::clean()
        .with_delay(Duration::from_millis(10))
        .with_jitter(Duration::from_micros(100))
        .with_bandwidth(1_000_000_000)
        .with_queue_limit(1 << 20)
        .with_loss(0.01)
        .with_duplication(0.001)
        .with_reordering(0.01, Duration::from_millis(1))
        .with_corruption(0.001);
    let mut link = Link::new(config, 1);
    let started = WallClock::now();
    let mut delivered = 0u64;
    let mut now = Instant::ZERO;
    let mut spare: Vec<Vec<u8>> = Vec::new();
    for _ in 0..PACKETS {
        // 1500 bytes every 12 µs fills 1 Gbit/s exactly.
        now += Duration::from_micros(12);
        let mut p = spare.pop().unwrap_or_else(|| Vec::with_capacity(1500));
        p.clear();
        p.extend_from_slice(&[0; 1500]);
        link.send(now, p);
        while let Some(p) = link.deliver(now) {
            delivered += 1;
            spare.push(p);
        }
    }
    report(
        "Link, recycled 1500-byte buffers, all impairments",
        PACKETS,
        started,
    );
    let s = link.stats();
    assert_eq!(s.sent, PACKETS);
    assert_eq!(
        s.sent + s.duplicated,
        s.delivered + s.dropped() + link.in_flight() as u64
    );
    assert_eq!(delivered, s.delivered);

    let mut link = Link::new(
        LinkConfig::lossy(0.01).with_delay(Duration::from_millis(1)),
        1,
    );
    let started = WallClock::now();
    for i in 0..PACKETS {
        let now = Instant::from_micros(i);
        link.send(now, vec![0; 64]);
        while link.deliver(now).is_some() {}
    }
    report(
        "Link, fresh 64-byte packets, 1000 in flight",
        PACKETS,
        started,
    );
}

/// Sends `total` 1460-byte segments with a fixed window; stands in for a
/// bulk TCP sender.
struct Sender {
    total: u64,
    next: u64,
    acked: u64,
    window: u64,
}

impl Endpoint for Sender {
    fn receive(&mut self, _now: Instant, packet: &[u8]) {
        let ack = packet
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_be_bytes);
        self.acked = self.acked.max(ack);
    }
    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        if self.next == self.total || self.next >= self.acked + self.window {
            return false;
        }
        // extend_from_slice is a memcpy even in debug builds, where
        // `resize` is a byte loop that would dominate the measurement.
        buf.extend_from_slice(&self.next.to_be_bytes());
        buf.extend_from_slice(&[0; 1452]);
        self.next += 1;
        true
    }
}

/// Acknowledges every segment.
#[derive(Default)]
struct Receiver {
    received: u64,
    pending_ack: bool,
}

impl Endpoint for Receiver {
    fn receive(&mut self, _now: Instant, _packet: &[u8]) {
        self.received += 1;
        self.pending_ack = true;
    }
    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        if !self.pending_ack {
            return false;
        }
        self.pending_ack = false;
        buf.extend_from_slice(&self.received.to_be_bytes());
        true
    }
}

#[test]
fn simulation_throughput() {
    let total = PACKETS / 2;
    let data = LinkConfig::clean()
        .with_delay(Duration::from_millis(5))
        .with_bandwidth(10_000_000_000);
    let acks = LinkConfig::clean().with_delay(Duration::from_millis(5));
    let sender = Sender {
        total,
        next: 0,
        acked: 0,
        window: 1000,
    };
    let mut sim = Simulation::new(sender, Receiver::default(), data, acks, 1);
    let started = WallClock::now();
    let outcome = sim.run_until(|s| s.a().acked == total, Instant::from_millis(1 << 40));
    let moved = sim.link_ab().stats().delivered + sim.link_ba().stats().delivered;
    report(
        "Simulation, windowed bulk transfer (data + acks)",
        moved,
        started,
    );
    assert_eq!(outcome, Outcome::Done);
    assert_eq!(sim.b().received, total);
    let bytes = total * 1460;
    println!(
        "  {} MiB of payload in {} of virtual time",
        bytes >> 20,
        sim.now()
    );
}
