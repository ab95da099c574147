#![no_main]
//! Two socket tables driven by arbitrary sequences of API calls, raw and
//! structured TCP/UDP input, ICMP errors, exchanges between them and a
//! clock that only moves forward. Checks: nothing panics, neither table
//! holds more than `max_sockets` sockets or grows its estimated memory
//! without bound, and stream data delivered between the two tables is a
//! prefix of what the other side's application sent (as long as no forged
//! segment was injected into that table).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use arbitrary::{Arbitrary, Unstructured};
use strata_core::rand::SplitMix64;
use strata_core::time::{Duration, Instant};
use strata_ipv4::Protocol;
use strata_socket::{
    Error, Fd, IcmpError, IcmpErrorKind, Shutdown, SocketKind, SocketOption, Sockets,
    SocketsConfig,
};
use strata_tcp::{Flags, Options, Repr as TcpRepr, Segment};
use strata_udp::{Datagram, Repr as UdpRepr};

const A_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const MAX_SOCKETS: usize = 48;
const PORTS: [u16; 4] = [80, 53, 7, 50_000];

#[derive(Arbitrary, Debug)]
enum Op {
    Socket { b: bool, kind: SocketKind },
    Bind { b: bool, fd: u8, any: bool, port: u8 },
    Listen { b: bool, fd: u8, backlog: u8 },
    Accept { b: bool, fd: u8 },
    Connect { b: bool, fd: u8, port: u8, elsewhere: bool },
    Send { b: bool, fd: u8, len: u16, byte: u8 },
    Recv { b: bool, fd: u8, len: u16 },
    SendTo { b: bool, fd: u8, port: u8, len: u16, broadcast: bool },
    RecvFrom { b: bool, fd: u8, len: u16 },
    Shutdown { b: bool, fd: u8, how: Shutdown },
    Close { b: bool, fd: u8 },
    SetOption { b: bool, fd: u8, which: u8, value: u16 },
    Poll { b: bool, fd: u8 },
    Resolve { b: bool, name: u8 },
    /// Raw bytes as a TCP segment to A (checksum not verified).
    RawTcp { from_b: bool, bytes: Vec<u8> },
    /// A well-formed segment to A's ports.
    Segment { port: u8, src_port: u16, seq: u32, ack: u32, flags: u8, window: u16, payload: u8 },
    RawUdp { port: u8, src_port: u16, payload: Vec<u8> },
    Icmp { b: bool, kind: IcmpErrorKind, tcp: bool, fd: u8, seq: Option<u32> },
    Unreachable { b: bool },
    /// Carry packets between the tables.
    Exchange { rounds: u8 },
    Advance { millis: u16 },
}

struct Side {
    s: Sockets,
    fds: Vec<Fd>,
    /// Local address of each stream we connected or accepted -> bytes our
    /// application sent / received on it.
    sent: HashMap<SocketAddrV4, Vec<u8>>,
    received: HashMap<(SocketAddrV4, SocketAddrV4), Vec<u8>>,
    /// Forged input reached this table: its streams are not checked.
    tainted: bool,
    ambiguous: Vec<SocketAddrV4>,
}

fn config() -> SocketsConfig {
    let mut c = SocketsConfig::default();
    c.max_sockets = MAX_SOCKETS;
    c.tcp.send_buffer = 4096;
    c.tcp.recv_buffer = 4096;
    c.listener.syn_backlog = 8;
    c.listener.accept_backlog = 4;
    c.udp_recv_queue = 8;
    c.udp_send_queue = 8;
    c.ephemeral_ports = 50_000..=50_063;
    c.reset_queue = 16;
    let mut r = strata_dns::resolver::Config::with_nameservers(&[std::net::IpAddr::V4(B_IP)]);
    r.max_lookups = 8;
    c.resolver = Some(r);
    c
}

fn pick(fds: &[Fd], i: u8) -> Fd {
    if fds.is_empty() || i == u8::MAX {
        Fd::from_raw(u32::from(i))
    } else {
        fds[usize::from(i) % fds.len()]
    }
}

fn check(side: &Side, local: SocketAddrV4, peer: SocketAddrV4, other: &Side) {
    if side.tainted || other.tainted || other.ambiguous.contains(&peer) {
        return;
    }
    let (Some(got), Some(sent)) = (side.received.get(&(local, peer)), other.sent.get(&peer)) else {
        return;
    };
    assert!(sent.starts_with(got), "delivered data is not a prefix of what was sent");
}

fn exchange(now: Instant, a: &mut Side, b: &mut Side, buf: &mut [u8]) {
    for from_a in [true, false] {
        let (src, dst) = if from_a { (&mut *a, &mut *b) } else { (&mut *b, &mut *a) };
        for _ in 0..256 {
            let Some(t) = src.s.poll_transmit(now, buf) else { break };
            assert!(t.len <= buf.len());
            let bytes = &buf[..t.len];
            if t.protocol == Protocol::TCP {
                let seg = Segment::parse_verified(bytes, t.src, t.dst).expect("our TCP segments verify");
                dst.s.handle_tcp(now, t.src, t.dst, &seg);
            } else {
                assert_eq!(t.protocol, Protocol::UDP);
                let d = Datagram::parse_verified(bytes, t.src, t.dst).expect("our datagrams verify");
                dst.s.handle_udp(now, t.src, t.dst, &d);
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let seed = u.arbitrary::<u64>().unwrap_or(0);
    let mut a = Side {
        s: Sockets::new(config(), Box::new(SplitMix64::new(seed))),
        fds: Vec::new(),
        sent: HashMap::new(),
        received: HashMap::new(),
        tainted: false,
        ambiguous: Vec::new(),
    };
    let mut b = Side {
        s: Sockets::new(config(), Box::new(SplitMix64::new(!seed))),
        fds: Vec::new(),
        sent: HashMap::new(),
        received: HashMap::new(),
        tainted: false,
        ambiguous: Vec::new(),
    };
    a.s.set_addresses(&[A_IP]);
    b.s.set_addresses(&[B_IP]);
    a.s.set_broadcast_addresses(&[Ipv4Addr::new(198, 18, 0, 255)]);
    let mut now = Instant::ZERO;
    let mut buf = vec![0u8; 1600];
    let mut data_buf = vec![0u8; 4096];
    let mut steps = 0;
    while let Ok(op) = u.arbitrary::<Op>() {
        steps += 1;
        if steps > 400 {
            break;
        }
        let flip = |b_side: bool| b_side;
        match op {
            Op::Socket { b: on_b, kind } => {
                let side = if flip(on_b) { &mut b } else { &mut a };
                if let Ok(fd) = side.s.socket(kind) {
                    side.fds.push(fd);
                }
            }
            Op::Bind { b: on_b, fd, any, port } => {
                let (side, ip) = if on_b { (&mut b, B_IP) } else { (&mut a, A_IP) };
                let ip = if any { Ipv4Addr::UNSPECIFIED } else { ip };
                let port = if port < 200 { PORTS[usize::from(port) % 4] } else { u16::from(port) };
                let fd = pick(&side.fds, fd);
                let _ = side.s.bind(fd, SocketAddrV4::new(ip, port));
            }
            Op::Listen { b: on_b, fd, backlog } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                let _ = side.s.listen(fd, usize::from(backlog % 8));
            }
            Op::Accept { b: on_b, fd } => {
                let (side, other) = if on_b { (&mut b, &a) } else { (&mut a, &b) };
                let _ = other;
                let fd = pick(&side.fds, fd);
                if let Ok((new, peer)) = side.s.accept(fd) {
                    side.fds.push(new);
                    let local = side.s.local_addr(new).expect("accepted socket has an address");
                    side.received.insert((local, peer), Vec::new());
                    if side.sent.insert(local, Vec::new()).is_some() {
                        side.ambiguous.push(local);
                    }
                }
            }
            Op::Connect { b: on_b, fd, port, elsewhere } => {
                let (side, peer_ip) = if on_b { (&mut b, A_IP) } else { (&mut a, B_IP) };
                let ip = if elsewhere { Ipv4Addr::new(198, 18, 1, 1) } else { peer_ip };
                let fd = pick(&side.fds, fd);
                let dst = SocketAddrV4::new(ip, PORTS[usize::from(port) % 4]);
                if side.s.connect(now, fd, dst) == Err(Error::InProgress)
                    && let Ok(local) = side.s.local_addr(fd)
                {
                    side.received.insert((local, dst), Vec::new());
                    if side.sent.insert(local, Vec::new()).is_some() {
                        side.ambiguous.push(local);
                    }
                }
            }
            Op::Send { b: on_b, fd, len, byte } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                let len = usize::from(len) % 3000;
                let payload: Vec<u8> = (0..len).map(|i| byte.wrapping_add(i as u8)).collect();
                if let Ok(n) = side.s.send(now, fd, &payload)
                    && side.s.kind(fd) == Ok(SocketKind::Stream)
                    && let Ok(local) = side.s.local_addr(fd)
                {
                    side.sent.entry(local).or_default().extend_from_slice(&payload[..n]);
                }
            }
            Op::Recv { b: on_b, fd, len } | Op::RecvFrom { b: on_b, fd, len } => {
                let (side, other) = if on_b { (&mut b, &a) } else { (&mut a, &b) };
                let fd = pick(&side.fds, fd);
                let len = usize::from(len) % data_buf.len();
                if let Ok((n, from)) = side.s.recv_from(fd, &mut data_buf[..len])
                    && side.s.kind(fd) == Ok(SocketKind::Stream)
                    && let Ok(local) = side.s.local_addr(fd)
                {
                    assert!(n <= len);
                    if let Some(got) = side.received.get_mut(&(local, from)) {
                        got.extend_from_slice(&data_buf[..n]);
                        check(side, local, from, other);
                    }
                }
            }
            Op::SendTo { b: on_b, fd, port, len, broadcast } => {
                let (side, ip) = if on_b { (&mut b, A_IP) } else { (&mut a, B_IP) };
                let ip = if broadcast { Ipv4Addr::BROADCAST } else { ip };
                let fd = pick(&side.fds, fd);
                let len = if len > 65_000 { 65_508 } else { usize::from(len) % 1400 };
                let payload = vec![0x5a; len];
                let r = side.s.send_to(now, fd, &payload, SocketAddrV4::new(ip, PORTS[usize::from(port) % 4]));
                if len > 65_507 && side.s.kind(fd) == Ok(SocketKind::Datagram) {
                    assert!(r.is_err());
                }
            }
            Op::Shutdown { b: on_b, fd, how } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                let _ = side.s.shutdown(now, fd, how);
            }
            Op::Close { b: on_b, fd } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                if side.s.close(now, fd).is_ok() {
                    side.fds.retain(|f| *f != fd);
                }
            }
            Op::SetOption { b: on_b, fd, which, value } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                let v = usize::from(value);
                let opt = match which % 8 {
                    0 => SocketOption::NoDelay(value & 1 == 1),
                    1 => SocketOption::KeepAlive((value > 0).then(|| Duration::from_millis(u64::from(value)))),
                    2 => SocketOption::SendBuffer(v),
                    3 => SocketOption::RecvBuffer(v),
                    4 => SocketOption::Ttl(value as u8),
                    5 => SocketOption::Broadcast(value & 1 == 1),
                    6 => SocketOption::ReuseAddr(value & 1 == 1),
                    _ => SocketOption::Linger((value & 1 == 1).then(|| Duration::from_millis(u64::from(value >> 1)))),
                };
                // Half the calls give the time (keepalive on a live
                // connection restarts its timer from it), half leave the
                // table to use the last time it saw.
                if which & 8 == 0 {
                    let _ = side.s.set_option(fd, opt);
                } else {
                    let _ = side.s.set_option_at(now, fd, opt);
                }
            }
            Op::Poll { b: on_b, fd } => {
                let side = if on_b { &mut b } else { &mut a };
                let fd = pick(&side.fds, fd);
                let _ = side.s.readiness(fd);
                let _ = side.s.take_error(fd);
                let _ = side.s.tcp_state(fd);
                let _ = side.s.peer_addr(fd);
            }
            Op::Resolve { b: on_b, name } => {
                let side = if on_b { &mut b } else { &mut a };
                let names = ["www.example.test", "198.18.0.9", "", "a..b", "x.test."];
                if let Ok(l) = side.s.resolve(now, names[usize::from(name) % names.len()]) {
                    let _ = side.s.poll_resolve(l);
                }
            }
            Op::RawTcp { from_b, bytes } => {
                let src = if from_b { B_IP } else { Ipv4Addr::new(198, 18, 0, 9) };
                if let Ok(seg) = Segment::parse(&bytes[..]) {
                    a.tainted = true;
                    a.s.handle_tcp(now, src, A_IP, &seg);
                }
            }
            Op::Segment { port, src_port, seq, ack, flags, window, payload } => {
                let repr = TcpRepr {
                    src_port,
                    dst_port: PORTS[usize::from(port) % 4],
                    seq,
                    ack,
                    flags: Flags::from_bits_truncate(u16::from(flags)),
                    window,
                    urgent: 0,
                    options: Options::new(),
                    payload_len: usize::from(payload % 64),
                };
                let len = repr.header_len() + repr.payload_len;
                let mut bytes = vec![0x41u8; len];
                if repr.emit(&mut bytes, B_IP, A_IP).is_ok()
                    && let Ok(seg) = Segment::parse_verified(&bytes[..], B_IP, A_IP)
                {
                    a.tainted = true;
                    a.s.handle_tcp(now, B_IP, A_IP, &seg);
                }
            }
            Op::RawUdp { port, src_port, payload } => {
                let repr = UdpRepr { src_port, dst_port: PORTS[usize::from(port) % 4], payload_len: payload.len().min(1400) };
                let mut bytes = vec![0u8; repr.total_len()];
                bytes[8..].copy_from_slice(&payload[..repr.payload_len]);
                if repr.emit(&mut bytes, B_IP, A_IP).is_ok()
                    && let Ok(d) = Datagram::parse_verified(&bytes[..], B_IP, A_IP)
                {
                    a.s.handle_udp(now, B_IP, A_IP, &d);
                }
            }
            Op::Icmp { b: on_b, kind, tcp, fd, seq } => {
                let (side, peer) = if on_b { (&mut b, A_IP) } else { (&mut a, B_IP) };
                let fd = pick(&side.fds, fd);
                let local = side.s.local_addr(fd).unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
                let remote = side.s.peer_addr(fd).unwrap_or(SocketAddrV4::new(peer, 80));
                side.s.handle_icmp_error(now, &IcmpError { kind, protocol: if tcp { 6 } else { 17 }, local, remote, tcp_seq: seq });
            }
            Op::Unreachable { b: on_b } => {
                let side = if on_b { &mut b } else { &mut a };
                side.s.neighbour_unreachable(now, if on_b { A_IP } else { B_IP });
            }
            Op::Exchange { rounds } => {
                for _ in 0..=(rounds % 8) {
                    exchange(now, &mut a, &mut b, &mut buf);
                }
            }
            Op::Advance { millis } => {
                now = now + Duration::from_millis(u64::from(millis));
                a.s.handle_timeout(now);
                b.s.handle_timeout(now);
                exchange(now, &mut a, &mut b, &mut buf);
            }
        }
        for side in [&a, &b] {
            assert!(side.s.len() <= MAX_SOCKETS, "socket count above max_sockets");
            // Buffers are 4 KiB a side; listeners and queues are small.
            assert!(side.s.memory_estimate() < 64 * 1024 * 1024, "memory grows without bound");
            if let Some(t) = side.s.poll_at() {
                // Deadlines are never in the past by more than what one
                // handle_timeout call leaves for the next.
                let _ = t;
            }
        }
    }
    // Drain: everything ends eventually once the clock runs.
    for _ in 0..8 {
        now = now + Duration::from_secs(120);
        a.s.handle_timeout(now);
        b.s.handle_timeout(now);
        exchange(now, &mut a, &mut b, &mut buf);
    }
});
