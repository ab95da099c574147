//! Helpers shared by the connection tests: segment plumbing between two
//! connections by hand, and a `strata_sim` endpoint for whole
//! conversations.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::{Duration, Instant};
use strata_sim::Endpoint;
use strata_tcp::connection::Config;
use strata_tcp::{Connection, Event, Flags, Repr, Segment};

pub const A_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
pub const B_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
pub const A: SocketAddrV4 = SocketAddrV4::new(A_IP, 40_000);
pub const B: SocketAddrV4 = SocketAddrV4::new(B_IP, 80);
pub const ISS_A: u32 = 1_000;
pub const ISS_B: u32 = 5_000;

pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// A segment as it went over the wire.
#[derive(Clone, Debug)]
pub struct Seg {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub repr: Repr,
    pub bytes: Vec<u8>,
}

impl Seg {
    pub fn payload(&self) -> &[u8] {
        &self.bytes[self.repr.header_len()..]
    }
    pub fn flags(&self) -> Flags {
        self.repr.flags
    }
    pub fn has(&self, f: Flags) -> bool {
        self.repr.flags.contains(f)
    }
    /// A copy with the header changed by `f` (checksum recomputed).
    pub fn edit(&self, f: impl FnOnce(&mut Repr)) -> Seg {
        let mut repr = self.repr;
        f(&mut repr);
        let payload = self.payload().to_vec();
        build(self.src, self.dst, repr, &payload)
    }
}

/// A segment built from scratch.
pub fn build(src: Ipv4Addr, dst: Ipv4Addr, mut repr: Repr, payload: &[u8]) -> Seg {
    repr.payload_len = payload.len();
    let hl = repr.header_len();
    let mut bytes = vec![0u8; hl + payload.len()];
    bytes[hl..].copy_from_slice(payload);
    repr.emit(&mut bytes, src, dst).unwrap();
    Seg {
        src,
        dst,
        repr,
        bytes,
    }
}

/// Every segment `conn` wants to send now.
pub fn drain(conn: &mut Connection, now: Instant) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1600];
    for _ in 0..100_000 {
        match conn.poll_transmit(now, &mut buf) {
            Some(t) => {
                let bytes = buf[..t.len].to_vec();
                let seg = Segment::parse_verified(&bytes[..], t.src, t.dst).unwrap();
                assert_eq!(Repr::parse(&seg).unwrap(), t.repr);
                out.push(Seg {
                    src: t.src,
                    dst: t.dst,
                    repr: t.repr,
                    bytes,
                });
            }
            None => return out,
        }
    }
    panic!("poll_transmit never stops");
}

/// Exactly one segment.
pub fn one(conn: &mut Connection, now: Instant) -> Seg {
    let mut segs = drain(conn, now);
    assert_eq!(segs.len(), 1, "expected one segment, got {segs:#?}");
    segs.pop().unwrap()
}

/// Nothing to send.
pub fn none(conn: &mut Connection, now: Instant) {
    let segs = drain(conn, now);
    assert!(segs.is_empty(), "expected silence, got {segs:#?}");
}

/// Hands `seg` to `conn` as received.
pub fn deliver(conn: &mut Connection, now: Instant, seg: &Seg) {
    let view = Segment::parse_verified(&seg.bytes[..], seg.src, seg.dst).unwrap();
    conn.handle_segment(now, seg.src, seg.dst, &view);
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// Everything readable now.
pub fn read_all(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = conn.recv(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

pub fn client(config: Config) -> Connection {
    Connection::connect_with_iss(ms(0), A, B, config, ISS_A).unwrap()
}

/// A client and a server after the three-way handshake at time 0, events
/// drained.
pub fn established(ca: Config, cb: Config) -> (Connection, Connection) {
    let mut a = client(ca);
    let syn = one(&mut a, ms(0));
    let mut b = Connection::accept(ms(0), B, A, &syn.repr, cb, ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    deliver(&mut a, ms(0), &synack);
    let ack = one(&mut a, ms(0));
    deliver(&mut b, ms(0), &ack);
    assert_eq!(a.state(), strata_tcp::State::Established);
    assert_eq!(b.state(), strata_tcp::State::Established);
    events(&mut a);
    events(&mut b);
    (a, b)
}

/// Passes segments back and forth at `now` until both are silent; returns
/// the segments in order (`true` = from a).
pub fn pump(a: &mut Connection, b: &mut Connection, now: Instant) -> Vec<(bool, Seg)> {
    let mut log = Vec::new();
    for _ in 0..100_000 {
        let from_a = drain(a, now);
        let from_b = drain(b, now);
        if from_a.is_empty() && from_b.is_empty() {
            return log;
        }
        for s in from_a {
            deliver(b, now, &s);
            log.push((true, s));
        }
        for s in from_b {
            deliver(a, now, &s);
            log.push((false, s));
        }
    }
    panic!("no quiescence");
}

/// Runs both connections' timers and exchanges, advancing time event by
/// event (zero link delay) until `until`.
pub fn run(a: &mut Connection, b: &mut Connection, from: Instant, until: Instant) -> Instant {
    let mut now = from;
    loop {
        pump(a, b, now);
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => {
                now = now.max(t);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            _ => return until,
        }
    }
}

/// A data pattern that makes misplaced bytes obvious.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An application on one end of a simulated path: writes `to_send`,
/// optionally shuts down after it, reads everything.
pub struct Host {
    pub conn: Connection,
    pub local_ip: Ipv4Addr,
    pub remote_ip: Ipv4Addr,
    pub to_send: Vec<u8>,
    pub sent: usize,
    pub received: Vec<u8>,
    pub shutdown_when_done: bool,
    /// Shut down only once the peer's stream ended (a server).
    pub shutdown_after_eof: bool,
    pub shut: bool,
    pub eof: bool,
    pub events: Vec<Event>,
    pub corrupt: u64,
    /// Read at most this many bytes per `read_interval` (a slow reader),
    /// if set.
    pub read_limit: Option<usize>,
    pub read_interval: Duration,
    next_read: Instant,
    pub reading: bool,
    scratch: Vec<u8>,
}

impl Host {
    pub fn new(conn: Connection, local_ip: Ipv4Addr, remote_ip: Ipv4Addr) -> Self {
        Self {
            conn,
            local_ip,
            remote_ip,
            to_send: Vec::new(),
            sent: 0,
            received: Vec::new(),
            shutdown_when_done: false,
            shutdown_after_eof: false,
            shut: false,
            eof: false,
            events: Vec::new(),
            corrupt: 0,
            read_limit: None,
            read_interval: Duration::from_millis(1),
            next_read: Instant::ZERO,
            reading: true,
            scratch: vec![0; 65536],
        }
    }

    fn app(&mut self, now: Instant) {
        while self.sent < self.to_send.len() {
            match self.conn.send(&self.to_send[self.sent..]) {
                Ok(n) if n > 0 => self.sent += n,
                _ => break,
            }
        }
        let due = self.read_limit.is_none() || now >= self.next_read;
        if self.reading && due {
            if self.read_limit.is_some() {
                self.next_read = now + self.read_interval;
            }
            let limit = self.read_limit.unwrap_or(self.scratch.len());
            loop {
                match self.conn.recv(&mut self.scratch[..limit]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => {
                        self.received.extend_from_slice(&self.scratch[..n]);
                        if self.read_limit.is_some() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        }
        let wants = self.shutdown_when_done || (self.shutdown_after_eof && self.eof);
        if wants && !self.shut && self.sent == self.to_send.len() && self.conn.shutdown().is_ok() {
            self.shut = true;
        }
        while let Some(e) = self.conn.poll_event() {
            self.events.push(e);
        }
    }
}

impl Endpoint for Host {
    fn receive(&mut self, now: Instant, packet: &[u8]) {
        match Segment::parse_verified(packet, self.remote_ip, self.local_ip) {
            Ok(seg) => self
                .conn
                .handle_segment(now, self.remote_ip, self.local_ip, &seg),
            Err(_) => self.corrupt += 1,
        }
        self.app(now);
    }

    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.app(now);
        buf.resize(1600, 0);
        match self.conn.poll_transmit(now, buf) {
            Some(t) => {
                buf.truncate(t.len);
                true
            }
            None => {
                buf.clear();
                false
            }
        }
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        let reader =
            (self.read_limit.is_some() && self.reading && !self.eof).then_some(self.next_read);
        [self.conn.poll_timeout(), reader]
            .into_iter()
            .flatten()
            .min()
    }

    fn on_timeout(&mut self, now: Instant) {
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
        }
        self.app(now);
    }
}

/// Ten milliseconds.
pub const TEN_MS: Duration = Duration::from_millis(10);
