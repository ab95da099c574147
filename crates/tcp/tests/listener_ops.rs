//! Drives a listener with an arbitrary sequence of operations: SYNs, ACKs,
//! resets and data from a small pool of peers (sequence and acknowledgment
//! numbers often exactly what the listener expects, so handshakes and
//! cookies really complete), arbitrary headers from arbitrary addresses,
//! arbitrary bytes parsed as segments, genuine clients
//! (`Connection::connect`) doing whole handshakes, time passing, timers, `accept` and `close`. Segments from a peer whose
//! connection was accepted go to that connection, as the demultiplexing
//! contract says. It checks:
//!
//! - nothing panics, and `poll_transmit` always stops;
//! - the SYN, accept and reply queues never exceed their configured bounds;
//! - every segment the listener writes parses, verifies, matches the
//!   header it reports, and comes from the listener's port;
//! - `accept` returns only connections whose handshake completed: the
//!   listener sent a SYN-ACK with the connection's ISS to that peer (or a
//!   cookie SYN-ACK), the peer sent an ACK of it, and the connection's
//!   first event is `Established`.
//!
//! The fuzz target `tcp_listener` mounts this file as a module, so the same
//! driver runs under libFuzzer there and over seeded random inputs in
//! `cargo test` here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{HashMap, HashSet};

use core::net::{Ipv4Addr, SocketAddrV4};

use arbitrary::{Arbitrary, Unstructured};
use strata_core::rand::SplitMix64;
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::Config;
use strata_tcp::listener::{AcceptOverflow, Listener, ListenerConfig, SynCookies};
use strata_tcp::{Connection, Event, Flags, Options, Repr, Segment, Timestamps};

const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 9, 1);
const PORT: u16 = 8080;
const PEERS: usize = 6;

fn peer(i: u8) -> SocketAddrV4 {
    let i = usize::from(i) % PEERS;
    // Two peers share an address, two share a port.
    let ip = Ipv4Addr::new(198, 18, 9, 10 + (i / 2) as u8);
    SocketAddrV4::new(ip, 50_000 + (i % 3) as u16)
}

/// Where a sequence or acknowledgment number lies.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Near {
    Exact,
    Offset(i16),
    Raw(u32),
}

impl Near {
    fn resolve(self, expected: u32) -> u32 {
        match self {
            Near::Exact => expected,
            Near::Offset(d) => expected.wrapping_add(d as i32 as u32),
            Near::Raw(x) => x,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct SynOptions {
    mss: Option<u16>,
    wscale: Option<u8>,
    sack: bool,
    tsval: Option<u32>,
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    /// A SYN from a pool peer, its sequence number near its last ISN.
    Syn {
        peer: u8,
        isn: Near,
        options: SynOptions,
        extra_flags: u16,
    },
    /// An ACK from a pool peer for the last SYN-ACK it got.
    Ack {
        peer: u8,
        ack: Near,
        seq: Near,
        payload: u8,
        fin: bool,
        echo: Option<Near>,
    },
    /// A reset from a pool peer near what the listener expects.
    Rst {
        peer: u8,
        seq: Near,
        ack: bool,
    },
    /// An arbitrary header from an arbitrary address.
    Raw {
        from_pool: Option<u8>,
        src: u32,
        src_port: u16,
        to_us: bool,
        seq: u32,
        ack: u32,
        flags: u16,
        window: u16,
        options: SynOptions,
        sack: Vec<(u32, u32)>,
        payload: u8,
    },
    /// Arbitrary bytes parsed as a segment (checksum not checked).
    Bytes {
        from_pool: u8,
        bytes: Vec<u8>,
    },
    /// A genuine client from the pool opens a connection.
    Connect {
        peer: u8,
    },
    /// Genuine clients and accepted connections exchange what they have.
    Pump,
    /// Time passes: milliseconds.
    Advance(u16),
    /// Time passes: seconds.
    Leap(u8),
    /// Run the listener's timers at its deadline.
    Timeout,
    Accept,
    Transmit,
    Close,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Setup {
    syn_backlog: u8,
    accept_backlog: u8,
    syn_ack_retries: u8,
    cookies: u8,
    reset_on_overflow: bool,
    reply_queue: u8,
    challenge_ack_limit: u8,
    any_address: bool,
    timestamps: bool,
    window_scaling: bool,
    sack: bool,
    /// The host polls the listener after every segment, as a real one
    /// does; otherwise only `Transmit` operations do, and queues fill up.
    host_polls: bool,
    seed: u64,
}

/// What a run reached, so tests can tell the driver gets deep.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(not(test), allow(dead_code))] // the fuzz target reads none of it
pub struct Summary {
    /// Connections `accept` returned.
    pub accepted: u64,
    /// Cookie handshakes completed.
    pub cookies_validated: u64,
    /// Embryos dropped after their last SYN-ACK.
    pub embryos_expired: u64,
    /// Embryos removed by a reset.
    pub embryos_reset: u64,
    /// Segments handed to connections waiting in the accept queue.
    pub delivered: u64,
}

/// What a pool peer knows.
#[derive(Clone, Copy, Debug, Default)]
struct PeerState {
    /// Its last SYN's sequence number.
    isn: u32,
    /// The last SYN-ACK it received: (our ISS, our TSval).
    syn_ack: Option<(u32, Option<u32>)>,
}

struct Harness {
    listener: Listener,
    config: ListenerConfig,
    now: Instant,
    peers: [PeerState; PEERS],
    /// Genuine clients, by address.
    clients: HashMap<SocketAddrV4, Connection>,
    /// Connections taken with `accept`, by remote address.
    owned: HashMap<SocketAddrV4, Connection>,
    /// (peer, ISS) of every SYN-ACK the listener sent.
    syn_acks: HashSet<(SocketAddrV4, u32)>,
    /// (peer, acknowledgment number) of every ACK the listener was fed.
    acks: HashSet<(SocketAddrV4, u32)>,
    accepted: u64,
    host_polls: bool,
    buf: Vec<u8>,
}

fn config(setup: &Setup) -> ListenerConfig {
    let connection = Config {
        send_buffer: 4096,
        recv_buffer: if setup.window_scaling { 1 << 17 } else { 8192 },
        timestamps: setup.timestamps,
        window_scaling: setup.window_scaling,
        sack: setup.sack,
        ..Config::default()
    };
    ListenerConfig {
        syn_backlog: usize::from(setup.syn_backlog % 6),
        accept_backlog: 1 + usize::from(setup.accept_backlog % 4),
        syn_ack_retries: u32::from(setup.syn_ack_retries % 4),
        syn_ack_timeout: Duration::from_millis(500),
        syn_cookies: match setup.cookies % 3 {
            0 => SynCookies::Never,
            1 => SynCookies::WhenFull,
            _ => SynCookies::Always,
        },
        accept_overflow: if setup.reset_on_overflow {
            AcceptOverflow::Reset
        } else {
            AcceptOverflow::DropAck
        },
        reply_queue: usize::from(setup.reply_queue % 8),
        challenge_ack_limit: u32::from(setup.challenge_ack_limit % 5),
        connection,
    }
}

fn syn_options(o: &SynOptions) -> Options {
    let mut options = Options::new();
    options.mss = o.mss;
    options.window_scale = o.wscale;
    options.sack_permitted = o.sack;
    options.timestamps = o.tsval.map(|tsval| Timestamps { tsval, tsecr: 0 });
    options
}

impl Harness {
    fn check_bounds(&self) {
        let l = &self.listener;
        assert!(l.syn_queue_len() <= self.config.syn_backlog);
        assert!(l.accept_queue_len() <= self.config.accept_backlog);
        assert!(l.reply_queue_len() <= self.config.reply_queue);
    }

    /// Feeds a segment from `src`, routed as a host would.
    fn feed(&mut self, src: Ipv4Addr, dst: Ipv4Addr, repr: Repr, payload: &[u8]) {
        let mut repr = repr;
        repr.payload_len = payload.len();
        let mut bytes = vec![0u8; repr.header_len() + payload.len()];
        bytes[repr.header_len()..].copy_from_slice(payload);
        if repr.emit(&mut bytes, src, dst).is_err() {
            return;
        }
        let seg = Segment::parse_verified(&bytes[..], src, dst).unwrap();
        let from = SocketAddrV4::new(src, repr.src_port);
        if repr.flags.contains(Flags::ACK) {
            self.acks.insert((from, repr.ack));
        }
        if let Some(conn) = self.owned.get_mut(&from)
            && dst == *conn.local().ip()
            && repr.dst_port == conn.local().port()
        {
            conn.handle_segment(self.now, src, dst, &seg);
            return;
        }
        self.listener.handle_segment(self.now, src, dst, &seg);
        self.check_bounds();
        if self.host_polls {
            self.transmit();
        }
    }

    /// Takes everything the listener sends, checks it, and hands it to
    /// the pool's records and the genuine clients.
    fn transmit(&mut self) {
        for _ in 0..10_000 {
            let Some(t) = self.listener.poll_transmit(self.now, &mut self.buf) else {
                self.check_bounds();
                return;
            };
            let bytes = self.buf[..t.len].to_vec();
            let seg = Segment::parse_verified(&bytes[..], t.src, t.dst).unwrap();
            assert_eq!(Repr::parse(&seg).unwrap(), t.repr);
            if std::env::var("STRATA_OPS_TRACE").is_ok() {
                eprintln!("listener -> {} {:?}", t.dst, t.repr);
            }
            assert_eq!(t.repr.src_port, PORT);
            if !self.config_any() {
                assert_eq!(t.src, LOCAL_IP);
            }
            let to = SocketAddrV4::new(t.dst, t.repr.dst_port);
            if t.repr.flags.contains(Flags::SYN | Flags::ACK) {
                self.syn_acks.insert((to, t.repr.seq));
                let tsval = t.repr.options.timestamps.map(|ts| ts.tsval);
                for (i, p) in self.peers.iter_mut().enumerate() {
                    if peer(i as u8) == to {
                        p.syn_ack = Some((t.repr.seq, tsval));
                    }
                }
            }
            if let Some(c) = self.clients.get_mut(&to) {
                c.handle_segment(self.now, t.src, t.dst, &seg);
            }
        }
        panic!("poll_transmit never stops");
    }

    fn config_any(&self) -> bool {
        self.listener.local().ip().is_unspecified()
    }

    /// Genuine clients and accepted connections exchange segments.
    fn pump(&mut self) {
        for _ in 0..50 {
            let mut moved = false;
            let mut keys: Vec<_> = self.clients.keys().copied().collect();
            keys.sort();
            for k in keys {
                // Bounded: two connections can keep answering each other
                // at one instant (duplicate ACKs are not rate-limited).
                for _ in 0..1000 {
                    let c = self.clients.get_mut(&k).unwrap();
                    let Some(t) = c.poll_transmit(self.now, &mut self.buf) else {
                        break;
                    };
                    moved = true;
                    if std::env::var("STRATA_OPS_TRACE").is_ok() {
                        eprintln!("client {k} -> {:?}", t.repr);
                    }
                    let payload = self.buf[t.repr.header_len()..t.len].to_vec();
                    self.feed(t.src, t.dst, t.repr, &payload);
                }
            }
            let mut keys: Vec<_> = self.owned.keys().copied().collect();
            keys.sort();
            for k in keys {
                for _ in 0..1000 {
                    let c = self.owned.get_mut(&k).unwrap();
                    let Some(t) = c.poll_transmit(self.now, &mut self.buf) else {
                        break;
                    };
                    moved = true;
                    let bytes = self.buf[..t.len].to_vec();
                    let seg = Segment::parse_verified(&bytes[..], t.src, t.dst).unwrap();
                    let to = SocketAddrV4::new(t.dst, t.repr.dst_port);
                    if let Some(client) = self.clients.get_mut(&to) {
                        client.handle_segment(self.now, t.src, t.dst, &seg);
                    }
                }
            }
            self.transmit();
            if !moved {
                return;
            }
        }
    }

    fn accept(&mut self) {
        while let Some(mut conn) = self.listener.accept() {
            self.accepted += 1;
            let remote = conn.remote();
            assert_eq!(conn.local().port(), PORT);
            // Without polling after every segment, a peer may predict the
            // ISS of a SYN-ACK still queued (RFC 6528 ISNs of one 4-tuple
            // advance with the clock), so "sent" is checked only when the
            // host polls.
            assert!(
                !self.host_polls || self.syn_acks.contains(&(remote, conn.iss())),
                "accepted a connection from {remote} whose SYN-ACK (ISS {}) was never sent",
                conn.iss()
            );
            assert!(
                self.acks.contains(&(remote, conn.iss().wrapping_add(1))),
                "accepted a connection from {remote} whose SYN-ACK was never acknowledged"
            );
            assert_eq!(conn.poll_event(), Some(Event::Established));
            assert!(self.listener.holds(*conn.local().ip(), remote).is_none());
            self.check_bounds();
            self.owned.insert(remote, conn);
        }
    }

    fn timers(&mut self) {
        if let Some(t) = self.listener.poll_timeout() {
            self.now = self.now.max(t);
            self.listener.handle_timeout(self.now);
            // Everything due ran (stale deadlines included): what is left
            // lies ahead, so a host sleeping until then misses nothing and
            // never spins.
            assert!(
                self.listener
                    .poll_timeout()
                    .is_none_or(|next| next > self.now),
                "deadline {:?} still due at {:?}",
                self.listener.poll_timeout(),
                self.now
            );
        }
        for c in self.clients.values_mut().chain(self.owned.values_mut()) {
            if c.poll_timeout().is_some_and(|t| t <= self.now) {
                c.handle_timeout(self.now);
            }
        }
        self.check_bounds();
    }
}

/// Runs the operations `data` encodes; panics if an invariant breaks.
pub fn run(data: &[u8]) -> Summary {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else {
        return Summary::default();
    };
    let verbose = std::env::var("STRATA_OPS_VERBOSE").is_ok();
    if verbose {
        eprintln!("{setup:?}");
    }
    let config = config(&setup);
    let local = if setup.any_address {
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, PORT)
    } else {
        SocketAddrV4::new(LOCAL_IP, PORT)
    };
    let listener = Listener::from_random(local, config, &mut SplitMix64::new(setup.seed)).unwrap();
    let mut h = Harness {
        listener,
        config,
        now: Instant::from_millis(1_000_000),
        peers: [PeerState::default(); PEERS],
        clients: HashMap::new(),
        owned: HashMap::new(),
        syn_acks: HashSet::new(),
        acks: HashSet::new(),
        accepted: 0,
        host_polls: setup.host_polls,
        buf: vec![0u8; 2048],
    };
    for _ in 0..1000 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        if verbose {
            eprintln!(
                "{op:?} syn {} accept {} replies {}",
                h.listener.syn_queue_len(),
                h.listener.accept_queue_len(),
                h.listener.reply_queue_len()
            );
        }
        match op {
            Op::Syn {
                peer: i,
                isn,
                options,
                extra_flags,
            } => {
                let p = peer(i);
                let state = &mut h.peers[usize::from(i) % PEERS];
                state.isn = isn.resolve(state.isn);
                let flags = Flags::SYN | Flags::from_bits_truncate(extra_flags & 0x0e8);
                let repr = Repr {
                    src_port: p.port(),
                    dst_port: PORT,
                    seq: state.isn,
                    ack: 0,
                    flags,
                    window: 65_535,
                    urgent: 0,
                    options: syn_options(&options),
                    payload_len: 0,
                };
                h.feed(*p.ip(), LOCAL_IP, repr, &[]);
            }
            Op::Ack {
                peer: i,
                ack,
                seq,
                payload,
                fin,
                echo,
            } => {
                let p = peer(i);
                let state = h.peers[usize::from(i) % PEERS];
                let (iss, tsval) = state.syn_ack.unwrap_or((0, None));
                let mut flags = Flags::ACK;
                if fin {
                    flags |= Flags::FIN;
                }
                let mut options = Options::new();
                options.timestamps = echo.map(|e| Timestamps {
                    tsval: 7,
                    tsecr: e.resolve(tsval.unwrap_or(0)),
                });
                let repr = Repr {
                    src_port: p.port(),
                    dst_port: PORT,
                    seq: seq.resolve(state.isn.wrapping_add(1)),
                    ack: ack.resolve(iss.wrapping_add(1)),
                    flags,
                    window: 30_000,
                    urgent: 0,
                    options,
                    payload_len: 0,
                };
                let data = vec![0x5a; usize::from(payload % 64)];
                h.feed(*p.ip(), LOCAL_IP, repr, &data);
            }
            Op::Rst { peer: i, seq, ack } => {
                let p = peer(i);
                let state = h.peers[usize::from(i) % PEERS];
                let mut flags = Flags::RST;
                if ack {
                    flags |= Flags::ACK;
                }
                let repr = Repr {
                    src_port: p.port(),
                    dst_port: PORT,
                    seq: seq.resolve(state.isn.wrapping_add(1)),
                    ack: state.syn_ack.map_or(0, |(iss, _)| iss.wrapping_add(1)),
                    flags,
                    window: 0,
                    urgent: 0,
                    options: Options::new(),
                    payload_len: 0,
                };
                h.feed(*p.ip(), LOCAL_IP, repr, &[]);
            }
            Op::Raw {
                from_pool,
                src,
                src_port,
                to_us,
                seq,
                ack,
                flags,
                window,
                options,
                sack,
                payload,
            } => {
                let from = match from_pool {
                    Some(i) => peer(i),
                    None => SocketAddrV4::new(Ipv4Addr::from(src), src_port),
                };
                let mut o = syn_options(&options);
                for block in sack.into_iter().take(4) {
                    let _ = o.sack.push(block);
                }
                if let Some(ts) = &mut o.timestamps {
                    ts.tsecr = ack;
                }
                let repr = Repr {
                    src_port: from.port(),
                    dst_port: if to_us { PORT } else { src_port },
                    seq,
                    ack,
                    flags: Flags::from_bits_truncate(flags),
                    window,
                    urgent: 0,
                    options: o,
                    payload_len: 0,
                };
                let dst = if to_us {
                    LOCAL_IP
                } else {
                    Ipv4Addr::from(src.rotate_left(8))
                };
                let data = vec![0xa5; usize::from(payload % 32)];
                h.feed(*from.ip(), dst, repr, &data);
            }
            Op::Bytes { from_pool, bytes } => {
                let from = peer(from_pool);
                if let Ok(seg) = Segment::parse(&bytes[..]) {
                    if seg.flags().contains(Flags::ACK) {
                        h.acks
                            .insert((SocketAddrV4::new(*from.ip(), seg.src_port()), seg.ack()));
                    }
                    h.listener.handle_segment(h.now, *from.ip(), LOCAL_IP, &seg);
                    h.check_bounds();
                }
            }
            Op::Connect { peer: i } => {
                let p = peer(i);
                if !h.clients.contains_key(&p) {
                    let client = Connection::connect_with_iss(
                        h.now,
                        p,
                        SocketAddrV4::new(LOCAL_IP, PORT),
                        Config::default(),
                        h.peers[usize::from(i) % PEERS].isn ^ 0x5555,
                    )
                    .unwrap();
                    h.clients.insert(p, client);
                    h.pump();
                }
            }
            Op::Pump => h.pump(),
            Op::Advance(ms) => h.now += Duration::from_millis(u64::from(ms)),
            Op::Leap(s) => h.now += Duration::from_secs(u64::from(s)),
            Op::Timeout => h.timers(),
            Op::Accept => h.accept(),
            Op::Transmit => h.transmit(),
            Op::Close => {
                h.listener.close();
                h.check_bounds();
                assert!(h.listener.accept().is_none());
            }
        }
    }
    // Wind down: everything is sent, every timer runs out, every
    // completed connection is accepted.
    for _ in 0..100 {
        h.pump();
        h.accept();
        if h.listener.poll_timeout().is_none() {
            break;
        }
        h.timers();
    }
    h.transmit();
    h.accept();
    assert_eq!(h.listener.accept_queue_len(), 0);
    if h.listener.poll_timeout().is_none() {
        assert_eq!(h.listener.syn_queue_len(), 0, "embryos without timers");
    }
    if verbose {
        eprintln!("accepted {} stats {:?}", h.accepted, h.listener.stats());
    }
    let stats = h.listener.stats();
    Summary {
        accepted: h.accepted,
        cookies_validated: stats.cookies_validated,
        embryos_expired: stats.embryos_expired,
        embryos_reset: stats.embryos_reset,
        delivered: stats.segments_delivered,
    }
}

#[cfg(test)]
mod tests {
    use strata_core::rand::{RandomSource, SplitMix64};

    #[test]
    fn random_operation_sequences() {
        let runs: u64 = std::env::var("STRATA_OPS_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3000);
        let from: u64 = std::env::var("STRATA_OPS_FROM")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut total = super::Summary::default();
        for seed in from..from + runs {
            if std::env::var("STRATA_OPS_VERBOSE").is_ok() {
                eprintln!("seed {seed}");
            }
            let mut rng = SplitMix64::new(seed);
            let len = 32 + rng.below(3000) as usize;
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            let s = super::run(&data);
            total.accepted += s.accepted;
            total.cookies_validated += s.cookies_validated;
            total.embryos_expired += s.embryos_expired;
            total.embryos_reset += s.embryos_reset;
            total.delivered += s.delivered;
        }
        eprintln!("{runs} runs: {total:?}");
        // Random bytes reach every path that matters.
        if runs >= 3000 {
            assert!(total.accepted > 100, "{total:?}");
            assert!(total.cookies_validated > 10, "{total:?}");
            assert!(total.embryos_expired > 10, "{total:?}");
            assert!(total.embryos_reset > 10, "{total:?}");
            assert!(total.delivered > 10, "{total:?}");
        }
    }
}
