//! The two-endpoint driver: event ordering, deadlines, livelock guards,
//! tracing and reproducibility.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use strata_core::time::{Duration, Instant};
use strata_sim::{
    Direction, Endpoint, Fate, Limits, LinkConfig, Outcome, Side, Simulation, Stall, TraceKind,
};

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// Sends `total` numbered pings one at a time, retransmitting after `rto`
/// until the matching pong arrives.
#[derive(Debug)]
struct Pinger {
    total: u64,
    next: u64,
    done: u64,
    rto: Duration,
    timer: Option<Instant>,
    pending: bool,
    transmissions: u64,
}

impl Pinger {
    fn new(total: u64, rto: Duration) -> Self {
        Self {
            total,
            next: 0,
            done: 0,
            rto,
            timer: None,
            pending: false,
            transmissions: 0,
        }
    }
}

impl Endpoint for Pinger {
    fn receive(&mut self, _now: Instant, packet: &[u8]) {
        let Ok(bytes) = <[u8; 8]>::try_from(packet) else {
            return;
        };
        if u64::from_be_bytes(bytes) == self.next && self.timer.is_some() {
            self.done += 1;
            self.next += 1;
            self.timer = None;
            self.pending = self.next < self.total;
        }
    }

    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        if !self.pending {
            return false;
        }
        self.pending = false;
        self.timer = Some(now + self.rto);
        self.transmissions += 1;
        buf.extend_from_slice(&self.next.to_be_bytes());
        true
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        self.timer
    }

    fn on_timeout(&mut self, _now: Instant) {
        self.timer = None;
        self.pending = true;
    }
}

/// Answers every packet with the same bytes.
#[derive(Debug, Default)]
struct Echo {
    queue: VecDeque<Vec<u8>>,
    seen: BTreeSet<Vec<u8>>,
    received: u64,
}

impl Endpoint for Echo {
    fn receive(&mut self, _now: Instant, packet: &[u8]) {
        self.received += 1;
        self.seen.insert(packet.to_vec());
        self.queue.push_back(packet.to_vec());
    }

    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        match self.queue.pop_front() {
            Some(p) => {
                *buf = p;
                true
            }
            None => false,
        }
    }
}

fn ping_pong(seed: u64, config: LinkConfig, n: u64) -> Simulation<Pinger, Echo> {
    let mut pinger = Pinger::new(n, Duration::from_millis(50));
    pinger.pending = true;
    Simulation::new(pinger, Echo::default(), config, config, seed)
}

#[test]
fn ping_pong_completes_over_twenty_percent_loss() {
    let config = LinkConfig::lossy(0.2).with_delay(Duration::from_millis(10));
    for seed in 0..20 {
        let mut sim = ping_pong(seed, config, 200);
        let outcome = sim.run_until(|s| s.a().done == 200, ms(3_600_000));
        assert_eq!(outcome, Outcome::Done, "seed {seed}");
        let a = sim.a();
        assert!(a.transmissions > 200, "no retransmission with 20% loss?");
        // Each exchange is one round trip (20 ms) plus a 50 ms timeout per
        // retransmission.
        let retransmissions = a.transmissions - 200;
        let expected = ms(200 * 20) + Duration::from_millis(50).saturating_mul(retransmissions);
        assert!(sim.now() <= expected && sim.now() >= ms(200 * 20));
        assert_eq!(sim.b().seen.len(), 200);
        let (ab, ba) = (sim.link_ab().stats(), sim.link_ba().stats());
        assert_eq!(ab.sent, a.transmissions);
        assert!(ab.dropped_loss > 0 && ba.dropped_loss > 0);
        assert_eq!(ab.delivered, sim.b().received);
    }
}

#[test]
fn ping_pong_survives_a_hostile_path() {
    for seed in 0..10 {
        let mut sim = ping_pong(seed, LinkConfig::hostile(), 100);
        let outcome = sim.run_until(|s| s.a().done == 100, ms(3_600_000));
        assert_eq!(outcome, Outcome::Done, "seed {seed}");
    }
}

#[test]
fn afterwards_nothing_is_scheduled() {
    let mut sim = ping_pong(1, LinkConfig::lossy(0.2), 10);
    assert_eq!(sim.run(ms(60_000)), Outcome::Idle);
    assert_eq!(sim.a().done, 10);
    let at = sim.now();
    // Idle again at once, time unchanged.
    assert_eq!(sim.run(ms(120_000)), Outcome::Idle);
    assert_eq!(sim.now(), at);
}

#[test]
fn same_seed_same_trace_different_seed_different() {
    let config = LinkConfig::hostile().with_bandwidth(1_000_000);
    let trace = |seed| {
        let mut sim = ping_pong(seed, config, 50);
        sim.record_trace(true);
        assert_eq!(sim.run(ms(3_600_000)), Outcome::Idle);
        (sim.now(), sim.take_trace())
    };
    let (t1, a) = trace(9);
    let (t2, b) = trace(9);
    let (_, c) = trace(10);
    assert!(a.len() > 200);
    assert_eq!(t1, t2);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn deadline_stops_time_exactly() {
    let config = LinkConfig::clean().with_delay(Duration::from_millis(10));
    let mut sim = ping_pong(0, config, 1_000);
    assert_eq!(sim.run(ms(95)), Outcome::Deadline);
    assert_eq!(sim.now(), ms(95));
    // Pings at 0, 20, 40, 60, 80 ms answered at 20..=100: four by 95 ms.
    assert_eq!(sim.a().done, 4);
    // Events at the deadline itself still run.
    assert_eq!(sim.run(ms(100)), Outcome::Deadline);
    assert_eq!(sim.a().done, 5);
    // A deadline in the past changes nothing.
    assert_eq!(sim.run(ms(50)), Outcome::Deadline);
    assert_eq!(sim.now(), ms(100));
}

#[test]
fn condition_is_checked_before_anything_happens() {
    let mut sim = ping_pong(0, LinkConfig::clean(), 10);
    assert_eq!(sim.run_until(|_| true, ms(1000)), Outcome::Done);
    assert_eq!(sim.now(), Instant::ZERO);
    // The endpoints did get to transmit at the starting instant.
    assert_eq!(sim.a().transmissions, 1);
}

#[test]
fn zero_delay_conversation_completes_in_one_instant() {
    let mut sim = ping_pong(0, LinkConfig::clean(), 10_000);
    assert_eq!(
        sim.run_until(|s| s.a().done == 10_000, ms(1)),
        Outcome::Done
    );
    assert_eq!(sim.now(), Instant::ZERO);
}

#[test]
fn start_time_and_endpoints_by_reference() {
    let mut pinger = Pinger::new(3, Duration::from_millis(50));
    pinger.pending = true;
    let mut echo = Echo::default();
    {
        let config = LinkConfig::clean().with_delay(Duration::from_millis(1));
        let mut sim =
            Simulation::new(&mut pinger, &mut echo, config, config, 0).with_start_time(ms(1000));
        assert_eq!(sim.run(ms(2000)), Outcome::Idle);
        assert_eq!(sim.now(), ms(1006));
    }
    assert_eq!(pinger.done, 3);
    assert_eq!(echo.received, 3);
}

/// Logs what happens to it, to check the order within an instant.
#[derive(Debug, Default)]
struct Logger {
    log: Vec<(Instant, &'static str)>,
    timer: Option<Instant>,
    send: bool,
}

impl Endpoint for Logger {
    fn receive(&mut self, now: Instant, _packet: &[u8]) {
        self.log.push((now, "receive"));
    }
    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        if self.send {
            self.send = false;
            buf.push(1);
            return true;
        }
        false
    }
    fn next_timeout(&mut self) -> Option<Instant> {
        self.timer
    }
    fn on_timeout(&mut self, now: Instant) {
        self.log.push((now, "timeout"));
        self.timer = None;
    }
}

#[test]
fn arrivals_come_before_timers_at_the_same_instant() {
    let sender = Logger {
        send: true,
        ..Logger::default()
    };
    let receiver = Logger {
        timer: Some(ms(10)),
        ..Logger::default()
    };
    let config = LinkConfig::clean().with_delay(Duration::from_millis(10));
    let mut sim = Simulation::new(sender, receiver, config, config, 0);
    assert_eq!(sim.run(ms(100)), Outcome::Idle);
    assert_eq!(sim.b().log, [(ms(10), "receive"), (ms(10), "timeout")]);
}

#[test]
fn a_timer_in_the_past_fires_now() {
    let a = Logger {
        timer: Some(ms(1)),
        ..Logger::default()
    };
    let mut sim = Simulation::new(
        a,
        Logger::default(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        0,
    )
    .with_start_time(ms(50));
    assert_eq!(sim.run(ms(100)), Outcome::Idle);
    assert_eq!(sim.a().log, [(ms(50), "timeout")]);
}

/// A timer that never moves: a classic bug the simulator must not spin on.
struct StuckTimer;

impl Endpoint for StuckTimer {
    fn receive(&mut self, _now: Instant, _packet: &[u8]) {}
    fn transmit(&mut self, _now: Instant, _buf: &mut Vec<u8>) -> bool {
        false
    }
    fn next_timeout(&mut self) -> Option<Instant> {
        Some(ms(7))
    }
    fn on_timeout(&mut self, _now: Instant) {}
}

#[test]
fn a_timer_that_never_moves_is_reported() {
    let mut sim = Simulation::new(
        Echo::default(),
        StuckTimer,
        LinkConfig::clean(),
        LinkConfig::clean(),
        0,
    );
    assert_eq!(
        sim.run(ms(1000)),
        Outcome::Stalled(Stall::TimerNotAdvancing {
            side: Side::B,
            at: ms(7)
        })
    );
}

/// Sends forever.
struct Firehose;

impl Endpoint for Firehose {
    fn receive(&mut self, _now: Instant, _packet: &[u8]) {}
    fn transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> bool {
        buf.push(0);
        true
    }
}

#[test]
fn an_endless_sender_is_reported() {
    let limits = Limits {
        max_transmits_per_poll: 1000,
        ..Limits::default()
    };
    let mut sim = Simulation::new(
        Firehose,
        Echo::default(),
        LinkConfig::lossy(1.0),
        LinkConfig::clean(),
        0,
    )
    .with_limits(limits);
    assert_eq!(
        sim.run(ms(1000)),
        Outcome::Stalled(Stall::EndlessTransmit {
            side: Side::A,
            at: Instant::ZERO
        })
    );
    assert_eq!(sim.link_ab().stats().sent, 1000);
}

#[test]
fn endless_ping_pong_in_zero_time_is_reported() {
    let mut a = Echo::default();
    a.queue.push_back(vec![1, 2, 3]);
    let limits = Limits {
        max_steps_per_instant: 10_000,
        ..Limits::default()
    };
    let mut sim = Simulation::new(
        a,
        Echo::default(),
        LinkConfig::clean(),
        LinkConfig::clean(),
        0,
    )
    .with_limits(limits);
    assert_eq!(
        sim.run(ms(1000)),
        Outcome::Stalled(Stall::InstantLivelock { at: Instant::ZERO })
    );
    // With a delay the same pair simply bounces until the deadline.
    let mut a = Echo::default();
    a.queue.push_back(vec![1, 2, 3]);
    let config = LinkConfig::clean().with_delay(Duration::from_millis(1));
    let mut sim = Simulation::new(a, Echo::default(), config, config, 0);
    assert_eq!(sim.run(ms(1000)), Outcome::Deadline);
    assert_eq!(sim.b().received, 500);
    assert_eq!(sim.a().received, 500);
}

#[test]
fn trace_hook_and_record_agree_and_draw_a_ladder() {
    let config = LinkConfig::clean()
        .with_delay(Duration::from_millis(5))
        .with_loss(0.3);
    let mut sim = ping_pong(3, config, 20);
    let lines = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&lines);
    sim.set_trace_hook(move |e| sink.borrow_mut().push(e.to_string()));
    sim.record_trace(true);
    assert_eq!(sim.run(ms(60_000)), Outcome::Idle);
    let record: Vec<String> = sim.trace().iter().map(ToString::to_string).collect();
    assert_eq!(*lines.borrow(), record);
    for line in &record {
        println!("{line}");
    }

    let trace = sim.trace();
    let sent = |d| {
        trace
            .iter()
            .filter(|r| r.direction == d && matches!(r.kind, TraceKind::Sent(_)))
            .count() as u64
    };
    let delivered = |d| {
        trace
            .iter()
            .filter(|r| r.direction == d && matches!(r.kind, TraceKind::Delivered { .. }))
            .count() as u64
    };
    assert_eq!(sent(Direction::AToB), sim.link_ab().stats().sent);
    assert_eq!(delivered(Direction::AToB), sim.link_ab().stats().delivered);
    assert_eq!(sent(Direction::BToA), sim.link_ba().stats().sent);
    assert_eq!(delivered(Direction::BToA), sim.link_ba().stats().delivered);
    // Every delivery matches a send that promised it, at that time.
    for r in trace {
        if let TraceKind::Delivered { sent_at, .. } = r.kind {
            let promised = trace.iter().any(|s| {
                s.direction == r.direction
                    && s.time == sent_at
                    && s.packet == r.packet
                    && matches!(s.kind, TraceKind::Sent(Fate::InFlight { arrives_at, .. }) if arrives_at == r.time)
            });
            assert!(promised, "{r}");
        }
    }
    assert!(
        record
            .iter()
            .any(|l| l.contains("A ----> B") && l.contains("lost"))
    );
    assert!(
        record
            .iter()
            .any(|l| l.contains("A <---- B") && l.contains("delivered"))
    );
    assert_eq!(
        record[0],
        "       0.000000s  A ----> B      8 bytes  sent, arrives 0.005000s"
    );

    // Turning recording off drops the record; the hook can go too.
    sim.record_trace(false);
    sim.clear_trace_hook();
    assert!(sim.trace().is_empty());
}

#[test]
fn links_can_be_cut_and_restored_between_runs() {
    let config = LinkConfig::clean().with_delay(Duration::from_millis(10));
    let mut sim = ping_pong(0, config, 100);
    assert_eq!(
        sim.run_until(|s| s.a().done == 10, ms(10_000)),
        Outcome::Done
    );
    sim.link_ab_mut().set_config(LinkConfig::lossy(1.0));
    assert_eq!(
        sim.run(sim.now() + Duration::from_secs(1)),
        Outcome::Deadline
    );
    // The 11th ping left before the cut (endpoints transmit before the
    // condition is checked); nothing after it got through.
    assert_eq!(sim.a().done, 11);
    sim.link_ab_mut().set_config(config);
    assert_eq!(
        sim.run_until(|s| s.a().done == 100, ms(100_000)),
        Outcome::Done
    );
    let (pinger, _) = sim.into_endpoints();
    assert!(pinger.transmissions >= 100 + 19);
}

#[test]
fn boxed_endpoints_work() {
    let mut p = Pinger::new(5, Duration::from_millis(10));
    p.pending = true;
    let a: Box<dyn Endpoint> = Box::new(p);
    let b: Box<dyn Endpoint> = Box::new(Echo::default());
    let mut sim = Simulation::new(a, b, LinkConfig::lossy(0.5), LinkConfig::lossy(0.5), 4);
    assert_eq!(sim.run(ms(100_000)), Outcome::Idle);
    assert!(sim.link_ba().stats().delivered >= 5);
}
