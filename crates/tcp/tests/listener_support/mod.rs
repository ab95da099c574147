//! Helpers shared by the listener tests: segments as they went over the
//! wire, a server host that routes segments between its listener and the
//! connections it accepted (the demultiplexing contract of
//! `strata_tcp::listener`), and clients.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::rand::SplitMix64;
use strata_core::time::Instant;
use strata_tcp::connection::Config;
use strata_tcp::listener::{Listener, ListenerConfig, Outcome};
use strata_tcp::{Connection, Event, Flags, Repr, Segment};

pub const SERVER_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
pub const SERVER: SocketAddrV4 = SocketAddrV4::new(SERVER_IP, 80);

pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

pub fn secs(n: u64) -> Instant {
    Instant::from_millis(n * 1000)
}

/// The `n`-th client address: 198.18.1.x, port 40000 + n.
pub fn client_addr(n: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(198, 18, 1, (n % 250) as u8 + 1), 40_000 + n)
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
    pub fn has(&self, f: Flags) -> bool {
        self.repr.flags.contains(f)
    }
    pub fn is(&self, f: Flags) -> bool {
        self.repr.flags == f
    }
    /// A copy with the header changed by `f` (checksum recomputed).
    pub fn edit(&self, f: impl FnOnce(&mut Repr)) -> Seg {
        let mut repr = self.repr;
        f(&mut repr);
        build(self.src, self.dst, repr, self.payload())
    }
    /// The same header with another payload.
    pub fn with_payload(&self, payload: &[u8]) -> Seg {
        build(self.src, self.dst, self.repr, payload)
    }
    pub fn from(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.src, self.repr.src_port)
    }
    pub fn to(&self) -> SocketAddrV4 {
        SocketAddrV4::new(self.dst, self.repr.dst_port)
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

/// A bare header from `from` to `to`.
pub fn header(from: SocketAddrV4, to: SocketAddrV4, seq: u32, ack: u32, flags: Flags) -> Repr {
    Repr {
        src_port: from.port(),
        dst_port: to.port(),
        seq,
        ack,
        flags,
        window: 65_535,
        urgent: 0,
        options: strata_tcp::Options::new(),
        payload_len: 0,
    }
}

pub fn raw(from: SocketAddrV4, to: SocketAddrV4, repr: Repr, payload: &[u8]) -> Seg {
    build(*from.ip(), *to.ip(), repr, payload)
}

fn check(t: &strata_tcp::Transmit, bytes: &[u8]) {
    let seg = Segment::parse_verified(bytes, t.src, t.dst).unwrap();
    assert_eq!(Repr::parse(&seg).unwrap(), t.repr);
}

/// Every segment the listener wants to send now.
pub fn drain_listener(l: &mut Listener, now: Instant) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1600];
    for _ in 0..1_000_000 {
        match l.poll_transmit(now, &mut buf) {
            Some(t) => {
                let bytes = buf[..t.len].to_vec();
                check(&t, &bytes);
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

/// Every segment a connection wants to send now.
pub fn drain(conn: &mut Connection, now: Instant) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1600];
    for _ in 0..1_000_000 {
        match conn.poll_transmit(now, &mut buf) {
            Some(t) => {
                let bytes = buf[..t.len].to_vec();
                check(&t, &bytes);
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

pub fn one(conn: &mut Connection, now: Instant) -> Seg {
    let mut segs = drain(conn, now);
    assert_eq!(segs.len(), 1, "expected one segment, got {segs:#?}");
    segs.pop().unwrap()
}

pub fn one_from(l: &mut Listener, now: Instant) -> Seg {
    let mut segs = drain_listener(l, now);
    assert_eq!(segs.len(), 1, "expected one segment, got {segs:#?}");
    segs.pop().unwrap()
}

pub fn silent(l: &mut Listener, now: Instant) {
    let segs = drain_listener(l, now);
    assert!(segs.is_empty(), "expected silence, got {segs:#?}");
}

/// Hands `seg` to the listener as received.
pub fn feed(l: &mut Listener, now: Instant, seg: &Seg) -> Outcome {
    let view = Segment::parse_verified(&seg.bytes[..], seg.src, seg.dst).unwrap();
    l.handle_segment(now, seg.src, seg.dst, &view)
}

/// Hands `seg` to a connection as received.
pub fn deliver(conn: &mut Connection, now: Instant, seg: &Seg) {
    let view = Segment::parse_verified(&seg.bytes[..], seg.src, seg.dst).unwrap();
    conn.handle_segment(now, seg.src, seg.dst, &view);
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

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

pub fn listener(config: ListenerConfig) -> Listener {
    Listener::from_random(SERVER, config, &mut SplitMix64::new(42)).unwrap()
}

pub fn client(n: u16, config: Config, now: Instant) -> Connection {
    Connection::connect_with_iss(
        now,
        client_addr(n),
        SERVER,
        config,
        1_000 + u32::from(n) * 7919,
    )
    .unwrap()
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

/// A server host: a listener and the connections it accepted, routed as
/// the listener's module documentation says.
pub struct Server {
    pub listener: Listener,
    pub conns: HashMap<SocketAddrV4, Connection>,
    /// Accept every completed connection as soon as it is there.
    pub auto_accept: bool,
    pub outcomes: Vec<Outcome>,
}

impl Server {
    pub fn new(listener: Listener) -> Self {
        Self {
            listener,
            conns: HashMap::new(),
            auto_accept: true,
            outcomes: Vec::new(),
        }
    }

    pub fn receive(&mut self, now: Instant, seg: &Seg) {
        if let Some(conn) = self.conns.get_mut(&seg.from()) {
            deliver(conn, now, seg);
            return;
        }
        let outcome = feed(&mut self.listener, now, seg);
        self.outcomes.push(outcome);
        if self.auto_accept {
            self.accept_all();
        }
    }

    pub fn accept_all(&mut self) -> usize {
        let mut n = 0;
        while let Some(conn) = self.listener.accept() {
            assert!(self.conns.insert(conn.remote(), conn).is_none());
            n += 1;
        }
        n
    }

    pub fn drain(&mut self, now: Instant) -> Vec<Seg> {
        let mut out = drain_listener(&mut self.listener, now);
        let mut keys: Vec<_> = self.conns.keys().copied().collect();
        keys.sort();
        for k in keys {
            out.extend(drain(self.conns.get_mut(&k).unwrap(), now));
        }
        out
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conns
            .values()
            .filter_map(Connection::poll_timeout)
            .chain(self.listener.poll_timeout())
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.listener.poll_timeout().is_some_and(|t| t <= now) {
            self.listener.handle_timeout(now);
        }
        for conn in self.conns.values_mut() {
            if conn.poll_timeout().is_some_and(|t| t <= now) {
                conn.handle_timeout(now);
            }
        }
        if self.auto_accept {
            self.accept_all();
        }
    }

    pub fn conn(&mut self, n: u16) -> &mut Connection {
        self.conns.get_mut(&client_addr(n)).expect("accepted")
    }
}

/// Decides whether a segment in flight is lost (`true` = client to server).
pub type DropFn = Box<dyn FnMut(bool, &Seg) -> bool>;

/// A server and clients joined by zero-delay wires; `drop` decides, for
/// each segment in flight (`true` = client to server), whether it is lost.
pub struct World {
    pub server: Server,
    pub clients: HashMap<SocketAddrV4, Connection>,
    pub log: Vec<(bool, Seg)>,
    pub drop: DropFn,
}

impl World {
    pub fn new(listener: Listener) -> Self {
        Self {
            server: Server::new(listener),
            clients: HashMap::new(),
            log: Vec::new(),
            drop: Box::new(|_, _| false),
        }
    }

    pub fn add_client(&mut self, conn: Connection) {
        self.clients.insert(conn.local(), conn);
    }

    pub fn client(&mut self, n: u16) -> &mut Connection {
        self.clients.get_mut(&client_addr(n)).unwrap()
    }

    /// Exchanges segments at `now` until everyone is quiet.
    pub fn pump(&mut self, now: Instant) {
        for _ in 0..100_000 {
            let mut moved = false;
            let mut keys: Vec<_> = self.clients.keys().copied().collect();
            keys.sort();
            for k in keys {
                for s in drain(self.clients.get_mut(&k).unwrap(), now) {
                    moved = true;
                    if !(self.drop)(true, &s) {
                        self.server.receive(now, &s);
                    }
                    self.log.push((true, s));
                }
            }
            for s in self.server.drain(now) {
                moved = true;
                if !(self.drop)(false, &s)
                    && let Some(c) = self.clients.get_mut(&s.to())
                {
                    deliver(c, now, &s);
                }
                self.log.push((false, s));
            }
            if !moved {
                return;
            }
        }
        panic!("no quiescence");
    }

    /// Runs timers and exchanges event by event until `until`.
    pub fn run(&mut self, from: Instant, until: Instant) {
        let mut now = from;
        loop {
            self.pump(now);
            let next = self
                .clients
                .values()
                .filter_map(Connection::poll_timeout)
                .chain(self.server.poll_timeout())
                .min();
            match next {
                Some(t) if t <= until => {
                    now = now.max(t);
                    for c in self.clients.values_mut() {
                        if c.poll_timeout().is_some_and(|t| t <= now) {
                            c.handle_timeout(now);
                        }
                    }
                    self.server.handle_timeout(now);
                }
                _ => return,
            }
        }
    }
}
