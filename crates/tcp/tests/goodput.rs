//! Goodput and retransmissions per path scenario, NewReno against CUBIC,
//! SACK on against off, kept as a snapshot
//! (`tests/snapshots/goodput.md`) so that a change in the connection's
//! behaviour under loss shows up as a diff.
//!
//! The simulation is seeded and runs in virtual time, so the table is
//! exactly reproducible and compared byte for byte. After an intended
//! change, rewrite it with
//! `STRATA_UPDATE_SNAPSHOTS=1 cargo test -p strata-tcp --test goodput`
//! and review the diff. `STRATA_GOODPUT_BYTES` changes the transfer size
//! for exploration (the snapshot is only compared at the default size);
//! `STRATA_GOODPUT_DEBUG=1` prints both ends' counters per cell.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use std::fmt::Write as _;
use std::time::Instant as WallClock;

use connection_support::*;
use strata_core::time::{Duration, Instant};
use strata_sim::{LinkConfig, Outcome, Simulation};
use strata_tcp::congestion::Algorithm;
use strata_tcp::connection::Config;
use strata_tcp::isn::IsnGenerator;
use strata_tcp::{Connection, State};

/// Bytes per cell: 4 MiB is some 16 windows of the path's 250 KB
/// bandwidth-delay product, past slow start, while the 36 cells stay
/// within a couple of seconds of test time.
const DEFAULT_BYTES: usize = 4 << 20;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/goodput.md");

fn bytes() -> usize {
    std::env::var("STRATA_GOODPUT_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BYTES)
}

/// The path: 10 ms each way (20 ms RTT), a 100 Mbit/s bottleneck with a
/// 256 KiB queue (about one bandwidth-delay product).
fn base() -> LinkConfig {
    LinkConfig::clean()
        .with_delay(Duration::from_millis(10))
        .with_bandwidth(100_000_000)
        .with_queue_limit(256 * 1024)
}

fn scenarios() -> Vec<(&'static str, LinkConfig)> {
    vec![
        ("clean", base()),
        ("1% loss", base().with_loss(0.01)),
        ("5% loss", base().with_loss(0.05)),
        ("20% loss", base().with_loss(0.20)),
        ("5% duplication", base().with_duplication(0.05)),
        (
            "25% reordered by 8 ms",
            base().with_reordering(0.25, Duration::from_millis(8)),
        ),
        ("1% corruption", base().with_corruption(0.01)),
        (
            "all at once",
            base()
                .with_jitter(Duration::from_millis(2))
                .with_loss(0.05)
                .with_duplication(0.05)
                .with_reordering(0.10, Duration::from_millis(5))
                .with_corruption(0.01),
        ),
        (
            // Issue #6's netem: 10 ms plus or minus 5 ms drawn per packet,
            // 5% sent undelayed, 2% loss, 1% duplication.
            "netem 10±5 ms, 5% early, 2% loss, 1% dup",
            base()
                .with_delay(Duration::from_millis(5))
                .with_reordering_jitter(Duration::from_millis(10))
                .with_early(0.05)
                .with_loss(0.02)
                .with_duplication(0.01),
        ),
    ]
}

fn config(algorithm: Algorithm, sack: bool) -> Config {
    Config {
        // Above the path's BDP plus its queue so the window never caps
        // the clean case.
        send_buffer: 1024 * 1024,
        recv_buffer: 1024 * 1024,
        sack,
        congestion: algorithm,
        min_rto: Duration::from_millis(200),
        max_retries: 30,
        ..Config::default()
    }
}

/// One cell of the table.
struct Cell {
    /// Virtual time from the first SYN until the last byte was read.
    delivered_at: Duration,
    segments: u64,
    retransmissions: u64,
    timeouts: u64,
    fast_retransmits: u64,
    sack_recoveries: u64,
    lost_retransmissions: u64,
    tail_loss_probes: u64,
    wall_ms: u128,
}

/// Sends `size` bytes from A to B, B closes after end of stream; checks
/// that the stream arrived byte-exact and both ends closed.
fn transfer(size: usize, seed: u64, link: LinkConfig, algorithm: Algorithm, sack: bool) -> Cell {
    let wall = WallClock::now();
    let c = config(algorithm, sack);
    let isn = IsnGenerator::new([seed as u8; 16]);
    let a = Connection::connect(Instant::ZERO, A, B, c, &isn).unwrap();
    let b = Connection::listen(Instant::ZERO, B, c, &isn).unwrap();
    let mut ha = Host::new(a, A_IP, B_IP);
    let mut hb = Host::new(b, B_IP, A_IP);
    ha.to_send = pattern(size, seed);
    ha.shutdown_when_done = true;
    hb.shutdown_after_eof = true;
    let mut sim = Simulation::new(ha, hb, link, link, seed);
    let deadline = Instant::from_millis(3_600_000);
    let outcome = sim.run_until(|s| s.b().received.len() >= size, deadline);
    assert_eq!(outcome, Outcome::Done, "seed {seed}: stream never arrived");
    let delivered_at = sim.now() - Instant::ZERO;
    let outcome = sim.run_until(
        |s| {
            s.b().conn.state() == State::Closed
                && matches!(s.a().conn.state(), State::TimeWait | State::Closed)
        },
        deadline,
    );
    let (a, b) = (sim.a(), sim.b());
    assert_eq!(
        outcome,
        Outcome::Done,
        "seed {seed}: no clean close: a {} b {}\na {:?}\nb {:?}",
        a.conn.state(),
        b.conn.state(),
        a.conn.stats(),
        b.conn.stats(),
    );
    assert_eq!(b.received.len(), size, "seed {seed}");
    assert!(b.received == a.to_send, "seed {seed}: stream corrupted");
    assert!(b.eof && a.eof);
    let s = a.conn.stats();
    if std::env::var_os("STRATA_GOODPUT_DEBUG").is_some() {
        eprintln!(
            "{link:?} {algorithm:?} {sack} {:?} ssthresh {}\n  a {:?}\n  b {:?}",
            a.conn.hystart_phase(),
            a.conn.ssthresh(),
            a.conn.stats(),
            b.conn.stats()
        );
    }
    Cell {
        delivered_at,
        segments: s.segments_sent,
        retransmissions: s.retransmissions,
        timeouts: s.timeouts,
        fast_retransmits: s.fast_retransmits,
        sack_recoveries: s.sack_recoveries,
        lost_retransmissions: s.lost_retransmissions,
        tail_loss_probes: s.tail_loss_probes,
        wall_ms: wall.elapsed().as_millis(),
    }
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::NewReno => "NewReno",
        Algorithm::Cubic => "CUBIC",
    }
}

/// Runs every cell (one thread per scenario) and renders the table.
fn table(size: usize) -> String {
    let combos = [
        (Algorithm::NewReno, false),
        (Algorithm::NewReno, true),
        (Algorithm::Cubic, false),
        (Algorithm::Cubic, true),
    ];
    let scenarios = scenarios();
    let rows: Vec<Vec<Cell>> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios
            .iter()
            .enumerate()
            .map(|(i, &(_, link))| {
                scope.spawn(move || {
                    combos
                        .iter()
                        .map(|&(algorithm, sack)| {
                            transfer(size, 1 + i as u64, link, algorithm, sack)
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut out = String::new();
    writeln!(
        out,
        "# Goodput per scenario\n\n\
         {} KiB from A to B over 10 ms each way, 100 Mbit/s, a 256 KiB queue;\n\
         1 MiB buffers, MSS 1460, timestamps on, min RTO 200 ms; seeded, virtual time.\n\
         Goodput = bytes / virtual time from the SYN until the last byte was read.\n\
         Segments, retransmissions, RTOs, fast retransmits, SACK recoveries, retransmissions\n\
         found lost again by RACK and tail loss probes (RFC 8985) are the sender's.\n\
         Regenerate with `STRATA_UPDATE_SNAPSHOTS=1 cargo test -p strata-tcp --test goodput`.\n",
        size / 1024
    )
    .unwrap();
    writeln!(
        out,
        "| scenario | cc | SACK | goodput MB/s | time s | segments | retransmitted | RTOs | fast rtx | SACK recoveries | lost rtx | TLP |"
    )
    .unwrap();
    writeln!(
        out,
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    .unwrap();
    for ((name, _), row) in scenarios.iter().zip(&rows) {
        for ((algorithm, sack), cell) in combos.iter().zip(row) {
            let secs = cell.delivered_at.total_micros() as f64 / 1e6;
            writeln!(
                out,
                "| {name} | {} | {} | {:.3} | {:.3} | {} | {} | {} | {} | {} | {} | {} |",
                algorithm_name(*algorithm),
                if *sack { "on" } else { "off" },
                size as f64 / secs / 1e6,
                secs,
                cell.segments,
                cell.retransmissions,
                cell.timeouts,
                cell.fast_retransmits,
                cell.sack_recoveries,
                cell.lost_retransmissions,
                cell.tail_loss_probes,
            )
            .unwrap();
            eprintln!(
                "{name:>24} {:>7} sack {:>3}: {} ms wall",
                algorithm_name(*algorithm),
                if *sack { "on" } else { "off" },
                cell.wall_ms
            );
        }
    }
    out
}

#[test]
fn goodput_table_matches_snapshot() {
    let wall = WallClock::now();
    let size = bytes();
    let table = table(size);
    println!("{table}");
    eprintln!("goodput table: {} ms wall", wall.elapsed().as_millis());
    if size != DEFAULT_BYTES {
        eprintln!("STRATA_GOODPUT_BYTES is set: snapshot not compared");
        return;
    }
    if std::env::var_os("STRATA_UPDATE_SNAPSHOTS").is_some_and(|v| v != "0") {
        std::fs::write(SNAPSHOT, &table).unwrap();
        eprintln!("rewrote {SNAPSHOT}");
        return;
    }
    let stored = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if stored != table {
        let diff: Vec<String> = stored
            .lines()
            .zip(table.lines())
            .filter(|(old, new)| old != new)
            .map(|(old, new)| format!("- {old}\n+ {new}"))
            .collect();
        panic!(
            "goodput table differs from {SNAPSHOT} ({} lines stored, {} now):\n{}\n\
             If the change is intended, rerun with STRATA_UPDATE_SNAPSHOTS=1 and commit the file.",
            stored.lines().count(),
            table.lines().count(),
            diff.join("\n")
        );
    }
}
