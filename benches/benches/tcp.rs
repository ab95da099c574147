//! The TCP connection's own cost, without IP or a simulated path: two
//! `strata_tcp::Connection`s in memory, every segment handed straight
//! from one's `poll_transmit` to the other's `handle_segment` (checksum
//! written by the sender, verified by the receiver, as on a real path).
//!
//! - `tcp_bulk/<mss>`: a stream from A to B through an established pair,
//!   read by B as it arrives, in bytes per second of payload, for a
//!   1460-byte MSS (a 1500-byte MTU) and the largest MSS an IPv4 datagram
//!   carries (65495: 65535 minus 20 bytes of IPv4 and 20 of TCP header).
//!   Timestamps are on, so each segment carries 12 bytes less payload.
//! - `tcp_segment/<mss>`: one full-sized data segment end to end: A emits
//!   it, B takes it in, B's application reads it, B emits its ACK and A
//!   takes that in; the time per iteration is the per-segment cost.
//! - `tcp_receive/<mss>`: the receiver's share alone, timed around it:
//!   verify the checksum and parse one full-sized data segment, take it
//!   in (`handle_segment`, which copies the payload into the receive
//!   buffer) and write the ACK (`poll_transmit`). The application's read
//!   and everything on A's side run untimed.

// Benchmarks are test code, not library code: a broken fixture should stop
// the run loudly, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use core::net::{Ipv4Addr, SocketAddrV4};
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::Config;
use strata_tcp::{Connection, Segment, State};

const A_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const A: SocketAddrV4 = SocketAddrV4::new(A_IP, 40_000);
const B: SocketAddrV4 = SocketAddrV4::new(B_IP, 80);

/// The largest TCP payload in one IPv4 datagram.
const MAX_MSS: u16 = 65_495;

/// Room for the largest segment: payload, 60 bytes of header at most.
const SEGMENT_ROOM: usize = MAX_MSS as usize + 60;

/// An established pair and the plumbing between them.
struct Pair {
    a: Connection,
    b: Connection,
    now: Instant,
    wire: Vec<u8>,
    data: Vec<u8>,
    sink: Vec<u8>,
    /// Payload bytes in a full-sized segment.
    mss: usize,
}

impl Pair {
    fn new(mss: u16) -> Self {
        let config = Config {
            mss,
            // Room for a few dozen of the largest segments in flight, so
            // neither window is what limits the stream.
            send_buffer: 4 << 20,
            recv_buffer: 4 << 20,
            // Acknowledge each segment at once: the ACK is part of the
            // per-segment cost measured, and no delayed-ACK timer stalls
            // the stream.
            ack_delay: None,
            nagle: false,
            ..Config::default()
        };
        let now = Instant::ZERO;
        let mut pair = Pair {
            a: Connection::connect_with_iss(now, A, B, config, 1_000).unwrap(),
            b: Connection::listen(now, B, config, &strata_tcp::isn::IsnGenerator::new([7; 16]))
                .unwrap(),
            now,
            wire: vec![0; SEGMENT_ROOM],
            data: (0..1 << 20).map(|i: u32| (i * 31 + 7) as u8).collect(),
            sink: vec![0; 1 << 20],
            mss: mss as usize,
        };
        // The handshake (and anything else pending) goes through the same
        // plumbing as the data.
        for _ in 0..4 {
            pair.a_to_b();
            pair.b_to_a();
        }
        assert_eq!(pair.a.state(), State::Established);
        assert_eq!(pair.b.state(), State::Established);
        // The timestamp option takes 12 bytes of every segment's MSS.
        pair.mss = pair.a.send_mss();
        assert!(pair.mss + 12 >= mss as usize, "MSS not negotiated");
        pair
    }

    /// Moves one segment from A to B, if A has one; its payload length.
    fn a_to_b(&mut self) -> Option<usize> {
        let t = self.a.poll_transmit(self.now, &mut self.wire)?;
        let seg = Segment::parse_verified(&self.wire[..t.len], t.src, t.dst).unwrap();
        self.b.handle_segment(self.now, t.src, t.dst, &seg);
        Some(t.repr.payload_len)
    }

    /// Moves every segment B has (its ACKs) to A.
    fn b_to_a(&mut self) {
        while let Some(t) = self.b.poll_transmit(self.now, &mut self.wire) {
            let seg = Segment::parse_verified(&self.wire[..t.len], t.src, t.dst).unwrap();
            self.a.handle_segment(self.now, t.src, t.dst, &seg);
        }
    }

    /// B's application reads everything there is; the bytes read.
    fn read(&mut self) -> usize {
        let mut total = 0;
        while let Ok(n) = self.b.recv(&mut self.sink) {
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    }

    /// A's application keeps its send buffer full.
    fn fill(&mut self) {
        while let Ok(n) = self.a.send(&self.data) {
            if n == 0 {
                break;
            }
        }
    }

    /// One full-sized segment from A to B and its ACK back; the payload
    /// bytes B read.
    fn one_segment(&mut self) -> usize {
        // A microsecond per segment keeps the clock moving (RTT samples,
        // timestamps) without ever reaching a retransmission timeout.
        self.now += Duration::from_micros(1);
        if self.a.send_queue() < 2 * self.mss {
            self.fill();
        }
        let sent = self.a_to_b();
        let read = self.read();
        self.b_to_a();
        if sent.is_none() {
            // Window-limited, or a timer pending: run the timers that
            // are due by now.
            self.timers();
        }
        read
    }

    fn timers(&mut self) {
        for conn in [&mut self.a, &mut self.b] {
            if conn.poll_timeout().is_some_and(|t| t <= self.now) {
                conn.handle_timeout(self.now);
            }
        }
    }

    /// Streams `bytes` from A to B.
    fn transfer(&mut self, bytes: usize) {
        let mut read = 0;
        let mut idle = 0;
        while read < bytes {
            let n = self.one_segment();
            read += n;
            idle = if n == 0 { idle + 1 } else { 0 };
            assert!(idle < 1_000, "stream stalled: {:?}", self.a.stats());
        }
    }
}

fn bulk(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_bulk");
    const CHUNK: usize = 4 << 20;
    for mss in [1460u16, MAX_MSS] {
        let mut pair = Pair::new(mss);
        // Past slow start before measuring.
        pair.transfer(CHUNK);
        group.throughput(Throughput::Bytes(CHUNK as u64));
        group.bench_function(BenchmarkId::from_parameter(mss), |bench| {
            bench.iter(|| pair.transfer(black_box(CHUNK)));
        });
        let s = pair.a.stats();
        assert_eq!(s.retransmissions, 0, "a lossless pipe retransmitted");
    }
    group.finish();
}

fn segment(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_segment");
    for mss in [1460u16, MAX_MSS] {
        let mut pair = Pair::new(mss);
        pair.transfer(4 << 20);
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::from_parameter(mss), |bench| {
            bench.iter(|| black_box(pair.one_segment()));
        });
    }
    group.finish();
}

fn receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_receive");
    for mss in [1460u16, MAX_MSS] {
        let mut pair = Pair::new(mss);
        pair.transfer(4 << 20);
        let mut segment = vec![0u8; SEGMENT_ROOM];
        let mut ack = vec![0u8; SEGMENT_ROOM];
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::from_parameter(mss), |bench| {
            bench.iter_custom(|iters| {
                let mut timed = std::time::Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    pair.now += Duration::from_micros(1);
                    if pair.a.send_queue() < 2 * pair.mss {
                        pair.fill();
                    }
                    let Some(t) = pair.a.poll_transmit(pair.now, &mut segment) else {
                        pair.timers();
                        continue;
                    };
                    let start = std::time::Instant::now();
                    let seg = Segment::parse_verified(&segment[..t.len], t.src, t.dst).unwrap();
                    pair.b.handle_segment(pair.now, t.src, t.dst, &seg);
                    let reply = pair.b.poll_transmit(pair.now, &mut ack);
                    timed += start.elapsed();
                    black_box(&reply);
                    if let Some(r) = reply {
                        let seg = Segment::parse_verified(&ack[..r.len], r.src, r.dst).unwrap();
                        pair.a.handle_segment(pair.now, r.src, r.dst, &seg);
                    }
                    pair.b_to_a();
                    pair.read();
                    done += 1;
                }
                timed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bulk, segment, receive);
criterion_main!(benches);
