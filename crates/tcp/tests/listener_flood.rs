//! A SYN flood against a listener, in the simulator: thousands of SYNs per
//! simulated second from spoofed 198.18.x.y addresses and random ports,
//! while real clients connect, send a request, read a response and close.
//! With SYN cookies every real client gets through; without them, the SYN
//! queue stays full of spoofed embryos and they do not.
//!
//! Side A of the simulation is "the Internet" (the attacker and the real
//! clients), side B the server host: a listener plus the connections it
//! accepted, routed as the listener's demultiplexing contract says.
//! Packets carry an 8-byte stand-in for the IP header (source and
//! destination addresses) before the TCP segment.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::{HashMap, VecDeque};

use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::rand::{RandomSource, SplitMix64};
use strata_core::time::{Duration, Instant};
use strata_sim::{Endpoint, LinkConfig, Outcome, Simulation};
use strata_tcp::connection::Config;
use strata_tcp::listener::{Listener, ListenerConfig, ListenerStats, SynCookies};
use strata_tcp::{Connection, Flags, Options, Repr, Segment, State};

const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(198, 19, 0, 1), 443);
const IP_HEADER: usize = 8;

fn client_addr(n: usize) -> SocketAddrV4 {
    SocketAddrV4::new(
        Ipv4Addr::new(198, 19, 1 + (n / 200) as u8, 1 + (n % 200) as u8),
        49_152 + n as u16,
    )
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
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

/// Writes the next segment of `poll` (after the address header) into
/// `buf`; `false` if there is none.
fn emit(buf: &mut Vec<u8>, poll: impl FnOnce(&mut [u8]) -> Option<strata_tcp::Transmit>) -> bool {
    buf.resize(IP_HEADER + 1600, 0);
    match poll(&mut buf[IP_HEADER..]) {
        Some(t) => {
            buf[..4].copy_from_slice(&t.src.octets());
            buf[4..8].copy_from_slice(&t.dst.octets());
            buf.truncate(IP_HEADER + t.len);
            true
        }
        None => {
            buf.clear();
            false
        }
    }
}

fn addresses(packet: &[u8]) -> (Ipv4Addr, Ipv4Addr) {
    let src: [u8; 4] = packet[..4].try_into().unwrap();
    let dst: [u8; 4] = packet[4..8].try_into().unwrap();
    (Ipv4Addr::from(src), Ipv4Addr::from(dst))
}

/// A real client: connects at `start`, sends its request, shuts down, and
/// reads the response to the end.
struct Client {
    start: Instant,
    conn: Option<Connection>,
    request: Vec<u8>,
    sent: usize,
    expect: Vec<u8>,
    received: Vec<u8>,
    eof: bool,
    connected_at: Option<Instant>,
    failed: bool,
}

struct Internet {
    clients: Vec<Client>,
    by_addr: HashMap<SocketAddrV4, usize>,
    rng: SplitMix64,
    /// Spoofed SYNs per tick, one tick per millisecond until `flood_end`.
    per_tick: u32,
    next_tick: Instant,
    flood_end: Instant,
    pending: VecDeque<Vec<u8>>,
    spoofed_sent: u64,
    /// Replies to spoofed addresses (cookie SYN-ACKs, resets) that reached
    /// nobody.
    backscatter: u64,
    config: Config,
}

impl Internet {
    fn flood(&mut self, now: Instant) {
        while self.next_tick <= now && self.next_tick < self.flood_end {
            for _ in 0..self.per_tick {
                let r = self.rng.next_u64();
                let src = SocketAddrV4::new(
                    Ipv4Addr::new(198, 18, (r >> 8) as u8, r as u8),
                    1024 + ((r >> 16) % 64_000) as u16,
                );
                let mut options = Options::new();
                options.mss = Some(1460);
                options.window_scale = Some(7);
                options.sack_permitted = true;
                if r & (1 << 40) != 0 {
                    options.timestamps = Some(strata_tcp::Timestamps {
                        tsval: (r >> 32) as u32,
                        tsecr: 0,
                    });
                }
                let repr = Repr {
                    src_port: src.port(),
                    dst_port: SERVER.port(),
                    seq: (r >> 24) as u32,
                    ack: 0,
                    flags: Flags::SYN,
                    window: 64_240,
                    urgent: 0,
                    options,
                    payload_len: 0,
                };
                let mut packet = vec![0u8; IP_HEADER + repr.header_len()];
                packet[..4].copy_from_slice(&src.ip().octets());
                packet[4..8].copy_from_slice(&SERVER.ip().octets());
                repr.emit(&mut packet[IP_HEADER..], *src.ip(), *SERVER.ip())
                    .unwrap();
                self.pending.push_back(packet);
                self.spoofed_sent += 1;
            }
            self.next_tick += Duration::from_millis(1);
        }
    }

    fn app(&mut self, now: Instant) {
        for (i, c) in self.clients.iter_mut().enumerate() {
            if c.conn.is_none() && now >= c.start && !c.failed {
                let isn = 0x1000_0000u32.wrapping_mul(i as u32 + 1);
                c.conn = Some(
                    Connection::connect_with_iss(now, client_addr(i), SERVER, self.config, isn)
                        .unwrap(),
                );
                self.by_addr.insert(client_addr(i), i);
            }
            let Some(conn) = c.conn.as_mut() else {
                continue;
            };
            if c.connected_at.is_none() && conn.state() == State::Established {
                c.connected_at = Some(now);
            }
            if conn.state() == State::Closed && conn.error().is_some() {
                c.failed = true;
            }
            while c.sent < c.request.len() {
                match conn.send(&c.request[c.sent..]) {
                    Ok(n) if n > 0 => c.sent += n,
                    _ => break,
                }
            }
            if c.sent == c.request.len() && conn.state() == State::Established {
                let _ = conn.shutdown();
            }
            let mut buf = [0u8; 8192];
            loop {
                match conn.recv(&mut buf) {
                    Ok(0) => {
                        c.eof = true;
                        break;
                    }
                    Ok(n) => c.received.extend_from_slice(&buf[..n]),
                    Err(_) => break,
                }
            }
            while conn.poll_event().is_some() {}
        }
    }
}

impl Endpoint for Internet {
    fn receive(&mut self, now: Instant, packet: &[u8]) {
        let (src, dst) = addresses(packet);
        let Ok(seg) = Segment::parse_verified(&packet[IP_HEADER..], src, dst) else {
            return;
        };
        let to = SocketAddrV4::new(dst, seg.dst_port());
        match self.by_addr.get(&to) {
            Some(&i) => {
                if let Some(conn) = self.clients[i].conn.as_mut() {
                    conn.handle_segment(now, src, dst, &seg);
                }
            }
            None => self.backscatter += 1,
        }
        self.app(now);
    }

    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.flood(now);
        self.app(now);
        if let Some(packet) = self.pending.pop_front() {
            *buf = packet;
            return true;
        }
        for c in &mut self.clients {
            if let Some(conn) = c.conn.as_mut()
                && emit(buf, |b| conn.poll_transmit(now, b))
            {
                return true;
            }
        }
        false
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        let flood = (self.next_tick < self.flood_end).then_some(self.next_tick);
        let starts = self
            .clients
            .iter()
            .filter(|c| c.conn.is_none() && !c.failed)
            .map(|c| c.start);
        self.clients
            .iter()
            .filter_map(|c| c.conn.as_ref().and_then(Connection::poll_timeout))
            .chain(starts)
            .chain(flood)
            .min()
    }

    fn on_timeout(&mut self, now: Instant) {
        for c in &mut self.clients {
            if let Some(conn) = c.conn.as_mut()
                && conn.poll_timeout().is_some_and(|t| t <= now)
            {
                conn.handle_timeout(now);
            }
        }
        self.flood(now);
        self.app(now);
    }
}

/// The server application: reads each request to its end, then sends
/// the response and closes.
struct ServerConn {
    conn: Connection,
    request: Vec<u8>,
    response: Vec<u8>,
    sent: usize,
    served: bool,
    shut: bool,
}

struct Server {
    listener: Listener,
    conns: HashMap<SocketAddrV4, ServerConn>,
    response_len: usize,
    max_syn_queue: usize,
    max_accept_queue: usize,
    requests_served: usize,
}

impl Server {
    fn app(&mut self) {
        while let Some(conn) = self.listener.accept() {
            let remote = conn.remote();
            let seed = u64::from(remote.port());
            self.conns.insert(
                remote,
                ServerConn {
                    conn,
                    request: Vec::new(),
                    response: pattern(self.response_len, seed),
                    sent: 0,
                    served: false,
                    shut: false,
                },
            );
        }
        for s in self.conns.values_mut() {
            let mut buf = [0u8; 8192];
            let mut eof = false;
            loop {
                match s.conn.recv(&mut buf) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => s.request.extend_from_slice(&buf[..n]),
                    Err(_) => break,
                }
            }
            if eof && !s.served {
                s.served = true;
                self.requests_served += 1;
            }
            if s.served {
                while s.sent < s.response.len() {
                    match s.conn.send(&s.response[s.sent..]) {
                        Ok(n) if n > 0 => s.sent += n,
                        _ => break,
                    }
                }
                if s.sent == s.response.len() && !s.shut {
                    s.shut = s.conn.shutdown().is_ok();
                }
            }
            while s.conn.poll_event().is_some() {}
        }
    }

    fn check_bounds(&mut self) {
        let l = &self.listener;
        assert!(l.syn_queue_len() <= l.config().syn_backlog);
        assert!(l.accept_queue_len() <= l.config().accept_backlog);
        assert!(l.reply_queue_len() <= l.config().reply_queue);
        self.max_syn_queue = self.max_syn_queue.max(l.syn_queue_len());
        self.max_accept_queue = self.max_accept_queue.max(l.accept_queue_len());
    }
}

impl Endpoint for Server {
    fn receive(&mut self, now: Instant, packet: &[u8]) {
        let (src, dst) = addresses(packet);
        let Ok(seg) = Segment::parse_verified(&packet[IP_HEADER..], src, dst) else {
            return;
        };
        // The demultiplexing contract: own connections first, then the
        // listener.
        let from = SocketAddrV4::new(src, seg.src_port());
        match self.conns.get_mut(&from) {
            Some(s) => s.conn.handle_segment(now, src, dst, &seg),
            None => {
                self.listener.handle_segment(now, src, dst, &seg);
            }
        }
        self.check_bounds();
        self.app();
    }

    fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.app();
        let listener = &mut self.listener;
        if emit(buf, |b| listener.poll_transmit(now, b)) {
            return true;
        }
        for s in self.conns.values_mut() {
            if emit(buf, |b| s.conn.poll_transmit(now, b)) {
                return true;
            }
        }
        false
    }

    fn next_timeout(&mut self) -> Option<Instant> {
        self.conns
            .values()
            .filter_map(|s| s.conn.poll_timeout())
            .chain(self.listener.poll_timeout())
            .min()
    }

    fn on_timeout(&mut self, now: Instant) {
        if self.listener.poll_timeout().is_some_and(|t| t <= now) {
            self.listener.handle_timeout(now);
        }
        for s in self.conns.values_mut() {
            if s.conn.poll_timeout().is_some_and(|t| t <= now) {
                s.conn.handle_timeout(now);
            }
        }
        // Finished connections leave the table (TIME-WAIT is the client's).
        self.conns
            .retain(|_, s| s.conn.state() != State::Closed || s.conn.poll_timeout().is_some());
        self.check_bounds();
        self.app();
    }
}

struct Report {
    clients: usize,
    completed: usize,
    connected: usize,
    spoofed: u64,
    seconds: u64,
    backscatter: u64,
    served: usize,
    stats: ListenerStats,
    max_syn_queue: usize,
    max_accept_queue: usize,
    worst_connect: Duration,
}

fn flood(cookies: SynCookies, seed: u64) -> Report {
    const CLIENTS: usize = 60;
    const SYNS_PER_SECOND: u32 = 5_000;
    let flood_secs = 20;
    let config = Config::default();
    let listener_config = ListenerConfig {
        syn_cookies: cookies,
        ..ListenerConfig::default()
    };
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        clients.push(Client {
            // Starting once the flood has filled the SYN queue, one every
            // 250 ms.
            start: Instant::from_millis(500 + 250 * i as u64),
            conn: None,
            request: pattern(20_000, 1_000 + i as u64),
            sent: 0,
            expect: pattern(100_000, u64::from(client_addr(i).port())),
            received: Vec::new(),
            eof: false,
            connected_at: None,
            failed: false,
        });
    }
    let internet = Internet {
        clients,
        by_addr: HashMap::new(),
        rng: SplitMix64::new(seed),
        per_tick: SYNS_PER_SECOND / 1000,
        next_tick: Instant::ZERO,
        flood_end: Instant::from_millis(flood_secs * 1000),
        pending: VecDeque::new(),
        spoofed_sent: 0,
        backscatter: 0,
        config,
    };
    let server = Server {
        listener: Listener::from_random(SERVER, listener_config, &mut SplitMix64::new(seed + 1))
            .unwrap(),
        conns: HashMap::new(),
        response_len: 100_000,
        max_syn_queue: 0,
        max_accept_queue: 0,
        requests_served: 0,
    };
    let link = LinkConfig::clean()
        .with_delay(Duration::from_millis(15))
        .with_jitter(Duration::from_millis(1))
        .with_bandwidth(200_000_000)
        .with_queue_limit(4 << 20)
        .with_loss(0.002);
    let mut sim = Simulation::new(internet, server, link, link, seed);
    let outcome = sim.run(Instant::from_millis(flood_secs * 1000 + 5_000));
    assert!(
        matches!(outcome, Outcome::Deadline | Outcome::Idle),
        "{outcome:?}"
    );
    let (internet, server) = sim.into_endpoints();
    let mut completed = 0;
    let mut connected = 0;
    let mut worst_connect = Duration::ZERO;
    for c in &internet.clients {
        if let Some(at) = c.connected_at {
            connected += 1;
            worst_connect = worst_connect.max(at - c.start);
        }
        if c.eof && c.received == c.expect {
            completed += 1;
        }
    }
    Report {
        clients: CLIENTS,
        completed,
        connected,
        spoofed: internet.spoofed_sent,
        seconds: flood_secs,
        backscatter: internet.backscatter,
        served: server.requests_served,
        stats: *server.listener.stats(),
        max_syn_queue: server.max_syn_queue,
        max_accept_queue: server.max_accept_queue,
        worst_connect,
    }
}

fn print(label: &str, r: &Report) {
    println!(
        "{label}: {} spoofed SYNs in {} s ({}/s); {}/{} clients connected, {} completed \
         (request 20 kB, response 100 kB), worst connect time {}; server served {}; \
         max SYN queue {}, max accept queue {}; backscatter {}; {:?}",
        r.spoofed,
        r.seconds,
        r.spoofed / r.seconds,
        r.connected,
        r.clients,
        r.completed,
        r.worst_connect,
        r.served,
        r.max_syn_queue,
        r.max_accept_queue,
        r.backscatter,
        r.stats
    );
}

#[test]
fn real_clients_get_through_a_syn_flood_thanks_to_cookies() {
    let r = flood(SynCookies::WhenFull, 7);
    print("cookies when full", &r);
    assert_eq!(r.spoofed, 100_000);
    assert_eq!(r.connected, r.clients);
    assert_eq!(r.completed, r.clients);
    assert_eq!(r.served, r.clients);
    // The flood filled the SYN queue and kept it full: the real clients
    // came in by cookie.
    assert_eq!(r.max_syn_queue, 256);
    assert!(r.stats.syn_queue_overflows > 90_000, "{:?}", r.stats);
    assert!(r.stats.cookies_sent > 90_000, "{:?}", r.stats);
    assert_eq!(r.stats.cookies_validated, r.clients as u64);
    assert_eq!(r.stats.cookies_rejected, 0);
    assert_eq!(r.stats.accepted, r.clients as u64);
    // At most one handshake segment lost to the path's 0.2% loss, which
    // costs the 1 s initial RTO (RFC 6298 §2.1), never a lockout.
    assert!(
        r.worst_connect < Duration::from_millis(1500),
        "{:?}",
        r.worst_connect
    );
}

#[test]
fn without_cookies_the_same_flood_locks_clients_out() {
    let r = flood(SynCookies::Never, 7);
    print("no cookies", &r);
    assert_eq!(r.max_syn_queue, 256);
    assert_eq!(r.stats.cookies_sent, 0);
    // A client gets in only if its SYN happens to find a slot an embryo
    // just left; at 5000 spoofed SYNs a second against 63 s embryo
    // lifetimes, none does.
    assert!(r.connected < r.clients / 10, "{} connected", r.connected);
}
