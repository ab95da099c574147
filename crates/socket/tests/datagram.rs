//! UDP sockets, binding rules, ephemeral ports and error mapping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default
)]

mod common;

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddrV4};

use common::{A_IP, B_IP, Net, tables};
use strata_core::time::{Duration, Instant};
use strata_socket::{
    Error, IcmpError, IcmpErrorKind, SocketKind, SocketOption, SocketsConfig, UdpDelivery,
};
use strata_udp::{Datagram, Repr};

#[test]
fn udp_echo() {
    let mut net = Net::new(21);
    let server = net.b.socket(SocketKind::Datagram).unwrap();
    net.b.bind(server, SocketAddrV4::new(B_IP, 7)).unwrap();
    let client = net.a.socket(SocketKind::Datagram).unwrap();
    let now = net.now;
    assert_eq!(
        net.a
            .send_to(now, client, b"ping", SocketAddrV4::new(B_IP, 7)),
        Ok(4)
    );
    // Sending bound the client to an ephemeral port.
    let client_addr = net.a.local_addr(client).unwrap();
    assert!(client_addr.port() >= 49152);
    net.exchange();
    assert!(net.b.readiness(server).unwrap().readable);
    let mut buf = [0u8; 64];
    let (n, from) = net.b.recv_from(server, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, SocketAddrV4::new(A_IP, client_addr.port()));
    net.b.send_to(now, server, &buf[..n], from).unwrap();
    net.exchange();
    let (n, from) = net.a.recv_from(client, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, SocketAddrV4::new(B_IP, 7));
    assert_eq!(net.a.recv_from(client, &mut buf), Err(Error::WouldBlock));
    // A datagram longer than the buffer is cut, like recvfrom.
    net.b
        .send_to(now, server, b"0123456789", from_addr(&net.a, client))
        .unwrap();
    net.exchange();
    let mut small = [0u8; 4];
    assert_eq!(net.a.recv(client, &mut small), Ok(4));
    assert_eq!(&small, b"0123");
    assert_eq!(net.a.recv(client, &mut small), Err(Error::WouldBlock));
}

fn from_addr(s: &strata_socket::Sockets, fd: strata_socket::Fd) -> SocketAddrV4 {
    SocketAddrV4::new(A_IP, s.local_addr(fd).unwrap().port())
}

#[test]
fn connected_udp_filters_and_sends() {
    let mut net = Net::new(22);
    let server = net.b.socket(SocketKind::Datagram).unwrap();
    net.b
        .bind(server, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5000))
        .unwrap();
    let client = net.a.socket(SocketKind::Datagram).unwrap();
    net.a
        .connect(net.now, client, SocketAddrV4::new(B_IP, 5000))
        .unwrap();
    assert_eq!(
        net.a.peer_addr(client).unwrap(),
        SocketAddrV4::new(B_IP, 5000)
    );
    let now = net.now;
    net.a.send(now, client, b"hi").unwrap();
    net.exchange();
    let mut buf = [0u8; 8];
    let (n, from) = net.b.recv_from(server, &mut buf).unwrap();
    assert_eq!(n, 2);
    // A reply from another port does not reach the connected socket.
    let other = net.b.socket(SocketKind::Datagram).unwrap();
    net.b.send_to(now, other, b"spoof", from).unwrap();
    net.exchange();
    assert_eq!(net.a.recv(client, &mut buf), Err(Error::WouldBlock));
    assert_eq!(net.unreachable.len(), 1);
    net.b.send_to(now, server, b"real", from).unwrap();
    net.exchange();
    assert_eq!(net.a.recv(client, &mut buf), Ok(4));
}

#[test]
fn port_unreachable_refuses_connected_socket() {
    let mut net = Net::new(23);
    let client = net.a.socket(SocketKind::Datagram).unwrap();
    let dst = SocketAddrV4::new(B_IP, 9999);
    net.a.connect(net.now, client, dst).unwrap();
    let now = net.now;
    net.a.send(now, client, b"anyone?").unwrap();
    net.exchange();
    let u = net.unreachable.pop().expect("no socket on B");
    assert_eq!(u.dst, dst);
    // B's host answers with ICMP port unreachable quoting the datagram.
    net.a.handle_icmp_error(
        now,
        &IcmpError {
            kind: IcmpErrorKind::PortUnreachable,
            protocol: 17,
            local: u.src,
            remote: u.dst,
            tcp_seq: None,
        },
    );
    let r = net.a.readiness(client).unwrap();
    assert!(r.error && r.readable);
    assert_eq!(
        net.a.send(now, client, b"again"),
        Err(Error::ConnectionRefused)
    );
    // Reported once.
    assert_eq!(net.a.send(now, client, b"again"), Ok(5));
    assert_eq!(
        net.a.last_icmp_error(client).unwrap(),
        Some(IcmpErrorKind::PortUnreachable)
    );
    // An unconnected socket ignores such errors, as BSD sockets do.
    let loose = net.a.socket(SocketKind::Datagram).unwrap();
    net.a.send_to(now, loose, b"x", dst).unwrap();
    net.exchange();
    let u = net.unreachable.pop().unwrap();
    net.a.handle_icmp_error(
        now,
        &IcmpError {
            kind: IcmpErrorKind::PortUnreachable,
            protocol: 17,
            local: u.src,
            remote: u.dst,
            tcp_seq: None,
        },
    );
    assert!(!net.a.readiness(loose).unwrap().error);
}

#[test]
fn broadcast_needs_permission_and_size_is_bounded() {
    let mut net = Net::new(24);
    net.a
        .set_broadcast_addresses(&[Ipv4Addr::new(198, 18, 0, 255)]);
    let s = net.a.socket(SocketKind::Datagram).unwrap();
    let now = net.now;
    let everyone = SocketAddrV4::new(Ipv4Addr::BROADCAST, 67);
    let subnet = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 255), 67);
    assert_eq!(
        net.a.send_to(now, s, b"x", everyone),
        Err(Error::PermissionDenied)
    );
    assert_eq!(
        net.a.send_to(now, s, b"x", subnet),
        Err(Error::PermissionDenied)
    );
    assert_eq!(Error::PermissionDenied.errno_name(), "EACCES");
    assert_eq!(
        net.a.connect(now, s, everyone),
        Err(Error::PermissionDenied)
    );
    net.a.set_option(s, SocketOption::Broadcast(true)).unwrap();
    assert_eq!(net.a.send_to(now, s, b"x", everyone), Ok(1));
    assert_eq!(net.a.send_to(now, s, b"x", subnet), Ok(1));
    // The broadcast reaches B's socket bound to the unspecified address.
    let r = net.b.socket(SocketKind::Datagram).unwrap();
    net.b
        .bind(r, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 67))
        .unwrap();
    net.exchange();
    let mut buf = [0u8; 4];
    assert_eq!(net.b.recv(r, &mut buf), Ok(1));
    // Sizes: 65,507 is the most UDP carries over IPv4.
    let big = vec![0u8; 65_508];
    let dst = SocketAddrV4::new(B_IP, 9);
    assert_eq!(net.a.send_to(now, s, &big, dst), Err(Error::MessageTooLong));
    assert_eq!(net.a.send_to(now, s, &big[..65_507], dst), Ok(65_507));
    assert_eq!(
        net.a.send_to(now, s, b"x", SocketAddrV4::new(B_IP, 0)),
        Err(Error::InvalidInput)
    );
}

#[test]
fn bounded_queues_drop_and_count() {
    let mut config = SocketsConfig::default();
    config.udp_recv_queue = 4;
    config.udp_send_queue = 3;
    let mut net = Net::with_configs(config.clone(), config, 25);
    let r = net.b.socket(SocketKind::Datagram).unwrap();
    net.b.bind(r, SocketAddrV4::new(B_IP, 4000)).unwrap();
    let s = net.a.socket(SocketKind::Datagram).unwrap();
    let now = net.now;
    let dst = SocketAddrV4::new(B_IP, 4000);
    for i in 0..3u8 {
        net.a.send_to(now, s, &[i], dst).unwrap();
    }
    assert!(!net.a.readiness(s).unwrap().writable);
    assert_eq!(net.a.send_to(now, s, b"x", dst), Err(Error::WouldBlock));
    net.exchange();
    assert!(net.a.readiness(s).unwrap().writable);
    for i in 3..10u8 {
        net.a.send_to(now, s, &[i], dst).unwrap();
        net.exchange();
    }
    assert_eq!(net.b.udp_dropped(r).unwrap(), 6);
    assert_eq!(net.b.stats().udp_recv_dropped, 6);
    let mut buf = [0u8; 4];
    for i in 0..4u8 {
        assert_eq!(net.b.recv(r, &mut buf), Ok(1));
        assert_eq!(buf[0], i, "the first four were kept");
    }
    // Direct check of the delivery outcome.
    let mut bytes = [0u8; 9];
    bytes[8] = 1;
    Repr {
        src_port: 1,
        dst_port: 4000,
        payload_len: 1,
    }
    .emit(&mut bytes, A_IP, B_IP)
    .unwrap();
    let d = Datagram::parse_verified(&bytes[..], A_IP, B_IP).unwrap();
    for _ in 0..4 {
        assert_eq!(
            net.b.handle_udp(now, A_IP, B_IP, &d),
            UdpDelivery::Delivered
        );
    }
    assert_eq!(
        net.b.handle_udp(now, A_IP, B_IP, &d),
        UdpDelivery::QueueFull
    );
}

#[test]
fn bind_conflicts() {
    let mut net = Net::new(26);
    let b = &mut net.b;
    let x = b.socket(SocketKind::Stream).unwrap();
    let y = b.socket(SocketKind::Stream).unwrap();
    let z = b.socket(SocketKind::Datagram).unwrap();
    assert_eq!(
        b.bind(x, SocketAddrV4::new(Ipv4Addr::new(198, 18, 7, 7), 80)),
        Err(Error::AddrNotAvailable)
    );
    b.bind(x, SocketAddrV4::new(B_IP, 80)).unwrap();
    assert_eq!(
        b.bind(x, SocketAddrV4::new(B_IP, 81)),
        Err(Error::InvalidState)
    );
    assert_eq!(
        b.bind(y, SocketAddrV4::new(B_IP, 80)),
        Err(Error::AddrInUse)
    );
    assert_eq!(
        b.bind(y, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80)),
        Err(Error::AddrInUse)
    );
    // UDP ports are a separate space.
    b.bind(z, SocketAddrV4::new(B_IP, 80)).unwrap();
    let z2 = b.socket(SocketKind::Datagram).unwrap();
    assert_eq!(
        b.bind(z2, SocketAddrV4::new(B_IP, 80)),
        Err(Error::AddrInUse)
    );
    assert_eq!(Error::AddrInUse.errno_name(), "EADDRINUSE");
    assert_eq!(Error::AddrNotAvailable.errno_name(), "EADDRNOTAVAIL");
    b.listen(x, 4).unwrap();
    // Even with SO_REUSEADDR a listening port stays taken.
    b.set_option(y, SocketOption::ReuseAddr(true)).unwrap();
    assert_eq!(
        b.bind(y, SocketAddrV4::new(B_IP, 80)),
        Err(Error::AddrInUse)
    );
    let now = Instant::ZERO;
    b.close(now, x).unwrap();
    b.bind(y, SocketAddrV4::new(B_IP, 80)).unwrap();
}

#[test]
fn reuse_addr_over_time_wait() {
    let mut net = Net::new(27);
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b.bind(l, SocketAddrV4::new(B_IP, 80)).unwrap();
    net.b.listen(l, 4).unwrap();
    let c = net.a.socket(SocketKind::Stream).unwrap();
    net.a
        .connect(net.now, c, SocketAddrV4::new(B_IP, 80))
        .unwrap_err();
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    let now = net.now;
    // The server closes first and ends in TIME-WAIT holding port 80.
    net.b.close(now, l).unwrap();
    net.b.close(now, s).unwrap();
    net.advance(Duration::from_millis(100));
    net.a.close(net.now, c).unwrap();
    net.advance(Duration::from_millis(100));
    assert_eq!(net.b.len(), 1, "one connection in TIME-WAIT");
    let again = net.b.socket(SocketKind::Stream).unwrap();
    assert_eq!(
        net.b.bind(again, SocketAddrV4::new(B_IP, 80)),
        Err(Error::AddrInUse)
    );
    net.b
        .set_option(again, SocketOption::ReuseAddr(true))
        .unwrap();
    net.b.bind(again, SocketAddrV4::new(B_IP, 80)).unwrap();
    net.b.listen(again, 4).unwrap();
}

#[test]
fn ephemeral_ports_unique_and_random() {
    let (mut a, _) = tables(SocketsConfig::default(), SocketsConfig::default(), 28);
    let now = Instant::ZERO;
    let dst = SocketAddrV4::new(B_IP, 80);
    let mut ports = Vec::new();
    for _ in 0..3000 {
        let fd = a.socket(SocketKind::Stream).unwrap();
        assert_eq!(a.connect(now, fd, dst), Err(Error::InProgress));
        ports.push(a.local_addr(fd).unwrap().port());
    }
    let unique: HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(unique.len(), ports.len(), "no port used twice");
    assert!(ports.iter().all(|p| (49152..=65535).contains(p)));
    // Not a counter: successive ports are not simply consecutive.
    let steps_of_one = ports
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1))
        .count();
    assert!(
        steps_of_one < ports.len() * 3 / 4,
        "{steps_of_one} unit steps"
    );
    // Another destination starts elsewhere in the range.
    let fd = a.socket(SocketKind::Stream).unwrap();
    a.connect(
        now,
        fd,
        SocketAddrV4::new(Ipv4Addr::new(198, 18, 5, 5), 443),
    )
    .unwrap_err();
    let other = a.local_addr(fd).unwrap().port();
    assert!(!unique.contains(&other));
    // Different secrets give different choices for the same destination.
    let mut firsts = HashSet::new();
    for seed in 0..16 {
        let (mut t, _) = tables(
            SocketsConfig::default(),
            SocketsConfig::default(),
            1000 + seed,
        );
        let fd = t.socket(SocketKind::Stream).unwrap();
        t.connect(now, fd, dst).unwrap_err();
        firsts.insert(t.local_addr(fd).unwrap().port());
    }
    assert!(firsts.len() >= 14, "first ports: {firsts:?}");
    // UDP binds to port 0 draw distinct ports too, avoiding TCP's? No:
    // separate spaces, but distinct among themselves.
    let mut udp = HashSet::new();
    for _ in 0..500 {
        let fd = a.socket(SocketKind::Datagram).unwrap();
        a.bind(fd, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
            .unwrap();
        assert!(udp.insert(a.local_addr(fd).unwrap().port()));
    }
}

#[test]
fn ephemeral_range_exhaustion() {
    let mut config = SocketsConfig::default();
    config.ephemeral_ports = 50000..=50009;
    let (mut a, _) = tables(config, SocketsConfig::default(), 29);
    let now = Instant::ZERO;
    let dst = SocketAddrV4::new(B_IP, 80);
    for _ in 0..10 {
        let fd = a.socket(SocketKind::Stream).unwrap();
        a.connect(now, fd, dst).unwrap_err();
    }
    let fd = a.socket(SocketKind::Stream).unwrap();
    assert_eq!(a.connect(now, fd, dst), Err(Error::AddrNotAvailable));
}

#[test]
fn max_sockets_is_enforced() {
    let mut config = SocketsConfig::default();
    config.max_sockets = 3;
    let (mut a, _) = tables(config, SocketsConfig::default(), 30);
    for _ in 0..3 {
        a.socket(SocketKind::Datagram).unwrap();
    }
    let e = a.socket(SocketKind::Stream).unwrap_err();
    assert_eq!(e, Error::TooManyOpenFiles);
    assert_eq!(e.errno_name(), "EMFILE");
    assert_eq!(a.len(), 3);
}

#[test]
fn error_mapping() {
    let table = [
        (
            Error::WouldBlock,
            "EWOULDBLOCK",
            std::io::ErrorKind::WouldBlock,
        ),
        (
            Error::InProgress,
            "EINPROGRESS",
            std::io::ErrorKind::WouldBlock,
        ),
        (
            Error::ConnectionRefused,
            "ECONNREFUSED",
            std::io::ErrorKind::ConnectionRefused,
        ),
        (
            Error::ConnectionReset,
            "ECONNRESET",
            std::io::ErrorKind::ConnectionReset,
        ),
        (
            Error::ConnectionAborted,
            "ECONNABORTED",
            std::io::ErrorKind::ConnectionAborted,
        ),
        (Error::TimedOut, "ETIMEDOUT", std::io::ErrorKind::TimedOut),
        (
            Error::HostUnreachable,
            "EHOSTUNREACH",
            std::io::ErrorKind::HostUnreachable,
        ),
        (
            Error::NetworkUnreachable,
            "ENETUNREACH",
            std::io::ErrorKind::NetworkUnreachable,
        ),
        (
            Error::NotConnected,
            "ENOTCONN",
            std::io::ErrorKind::NotConnected,
        ),
        (
            Error::IsConnected,
            "EISCONN",
            std::io::ErrorKind::InvalidInput,
        ),
        (
            Error::AlreadyInProgress,
            "EALREADY",
            std::io::ErrorKind::WouldBlock,
        ),
        (
            Error::BadDescriptor,
            "EBADF",
            std::io::ErrorKind::InvalidInput,
        ),
        (
            Error::NotListening,
            "EINVAL",
            std::io::ErrorKind::InvalidInput,
        ),
        (Error::BrokenPipe, "EPIPE", std::io::ErrorKind::BrokenPipe),
        (
            Error::MessageTooLong,
            "EMSGSIZE",
            std::io::ErrorKind::InvalidInput,
        ),
        (
            Error::NoBufferSpace,
            "ENOBUFS",
            std::io::ErrorKind::OutOfMemory,
        ),
        (
            Error::Unsupported,
            "EOPNOTSUPP",
            std::io::ErrorKind::Unsupported,
        ),
    ];
    for (e, name, kind) in table {
        assert_eq!(e.errno_name(), name);
        assert_eq!(e.io_kind(), kind);
        let io: std::io::Error = e.clone().into();
        assert_eq!(io.kind(), kind);
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(Error::ConnectionRefused.to_string(), "Connection refused");
    assert_eq!(Error::AddrInUse.to_string(), "Address already in use");
    let nx = Error::Resolve(strata_socket::ResolveError::NxDomain {
        name: "x.test".into(),
    });
    assert_eq!(nx.errno_name(), "EAI_NONAME");
    assert!(nx.to_string().contains("x.test"));
}

#[test]
fn wrong_calls_for_the_kind() {
    let mut net = Net::new(31);
    let now = net.now;
    let u = net.a.socket(SocketKind::Datagram).unwrap();
    let t = net.a.socket(SocketKind::Stream).unwrap();
    assert_eq!(net.a.listen(u, 1), Err(Error::Unsupported));
    assert_eq!(net.a.accept(t), Err(Error::NotListening));
    assert_eq!(net.a.send(now, t, b"x"), Err(Error::NotConnected));
    assert_eq!(net.a.send(now, u, b"x"), Err(Error::NotConnected));
    let mut buf = [0u8; 2];
    assert_eq!(net.a.recv(t, &mut buf), Err(Error::NotConnected));
    assert_eq!(net.a.peer_addr(t), Err(Error::NotConnected));
    assert_eq!(net.a.tcp_state(u), Err(Error::Unsupported));
    assert_eq!(
        net.a
            .connect(now, t, SocketAddrV4::new(Ipv4Addr::BROADCAST, 80)),
        Err(Error::NetworkUnreachable)
    );
    assert_eq!(
        net.a
            .connect(now, t, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80)),
        Err(Error::AddrNotAvailable)
    );
    assert_eq!(
        net.a.set_option(t, SocketOption::Ttl(0)),
        Err(Error::InvalidInput)
    );
}

/// A datagram larger than the buffer lent to `poll_transmit_into` is kept,
/// first in line, and the caller learns the size it needs; other sockets'
/// traffic does not overtake it and nothing is dropped.
#[test]
fn oversized_datagram_waits_for_a_large_enough_buffer() {
    use strata_socket::TransmitPoll;
    let mut net = Net::new(23);
    let now = net.now;
    let big = net.a.socket(SocketKind::Datagram).unwrap();
    let small = net.a.socket(SocketKind::Datagram).unwrap();
    let to = SocketAddrV4::new(B_IP, 9);
    let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    net.a.send_to(now, big, &payload, to).unwrap();
    net.a.send_to(now, small, b"tiny", to).unwrap();
    let mut mtu_buf = [0u8; 1480];
    for _ in 0..3 {
        assert_eq!(
            net.a.poll_transmit_into(now, &mut mtu_buf),
            TransmitPoll::NeedsBuffer(3008)
        );
    }
    let mut large = vec![0u8; 65_515];
    let TransmitPoll::Written(t) = net.a.poll_transmit_into(now, &mut large) else {
        panic!("the held datagram was not sent");
    };
    assert_eq!(t.len, 3008);
    assert!(!t.dont_fragment);
    let d = Datagram::parse(&large[..t.len]).unwrap();
    assert_eq!(d.payload(), &payload[..]);
    assert!(d.verify_checksum(A_IP, B_IP));
    // Then the small one fits the small buffer.
    let TransmitPoll::Written(t) = net.a.poll_transmit_into(now, &mut mtu_buf) else {
        panic!("the small datagram was not sent");
    };
    assert_eq!(t.len, 12);
    assert_eq!(
        net.a.poll_transmit_into(now, &mut mtu_buf),
        TransmitPoll::Idle
    );
    assert_eq!(net.a.stats().udp_send_dropped, 0);
    // poll_transmit keeps its documented behaviour: it drops what does not fit.
    net.a.send_to(now, big, &payload, to).unwrap();
    assert_eq!(net.a.poll_transmit(now, &mut mtu_buf), None);
    assert_eq!(net.a.stats().udp_send_dropped, 1);
}
