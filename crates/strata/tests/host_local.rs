//! A host talking to itself (local delivery): datagrams to its own
//! address or to 127.0.0.0/8 never reach the device, ARP or the wire, and
//! are received on the host's next poll; 127.0.0.0/8 arriving from the
//! wire is a martian.

mod host_common;

use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddrV4;

use host_common::{host_and_peer, ip, ipv4_frame, mac, pair_net, pair_net_with, sa, udp};
use strata::iface::PingReplyKind;
use strata::net::{TcpListener, TcpStream, UdpSocket};
use strata_core::time::{Duration, Instant};
use strata_ipv4::{Protocol, Repr as Ipv4Repr};

fn localhost(port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, port)
}

#[test]
fn ping_of_own_address_and_of_localhost_answers_without_the_wire() {
    let (mut host, mut dev, mut peer) = host_and_peer(1);
    let mut now = Instant::ZERO;
    // Let the address announcements go out first, so what follows is
    // only the pings.
    host_common::drive(&mut host, &mut dev, &mut peer, &mut now, 5);
    peer.frames.clear();
    let arp_before = host.arp().len();

    host.ping(now, ip(1), 7, 1, b"to myself").unwrap();
    // Pending local work: poll now.
    assert_eq!(host.poll_at(), Some(Instant::ZERO));
    let mut replies = Vec::new();
    for _ in 0..4 {
        let r = host.poll(now, &mut dev);
        assert_eq!(r.transmitted, 0);
        while let Some(reply) = host.poll_ping() {
            replies.push(reply);
        }
    }
    assert_eq!(replies.len(), 1);
    let reply = &replies[0];
    assert_eq!(reply.kind, PingReplyKind::Echo);
    assert_eq!(
        (reply.from, reply.ident, reply.seq, reply.len),
        (ip(1), 7, 1, 9)
    );
    assert_eq!(reply.rtt, Duration::ZERO);

    host.ping(now, "127.0.0.1".parse().unwrap(), 7, 2, b"lo")
        .unwrap();
    for _ in 0..4 {
        host.poll(now, &mut dev);
    }
    let reply = host.poll_ping().unwrap();
    assert_eq!(
        reply.from,
        "127.0.0.1".parse::<std::net::Ipv4Addr>().unwrap()
    );
    assert_eq!((reply.seq, reply.len), (2, 2));

    let s = host.stats();
    assert_eq!(s.tx_local, 4, "two requests and two replies looped back");
    assert_eq!(s.rx_local, 4);
    assert_eq!(s.echo_replies_sent, 2);
    assert_eq!(s.tx_drop_local_queue_full, 0);
    // Nothing went to the device, and ARP was never asked.
    peer.pump(now);
    assert!(peer.frames.is_empty(), "{:?}", peer.frames);
    assert_eq!(host.arp().len(), arp_before);
    // And then the host rests again.
    assert_ne!(host.poll_at(), Some(Instant::ZERO));
}

#[test]
fn tcp_connection_to_own_listener_transfers_byte_exact_and_closes() {
    let (net, a, b) = pair_net(1500);
    let listener = TcpListener::bind(&a, sa(1, 8080)).unwrap();
    let mut client = TcpStream::connect(&a, sa(1, 8080)).unwrap();
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(*peer.ip(), ip(1));

    // 200 KB each way, in pieces interleaved so a single thread never
    // waits on itself.
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut echoed = Vec::new();
    for chunk in data.chunks(16_384) {
        client.write_all(chunk).unwrap();
        let mut got = vec![0u8; chunk.len()];
        server.read_exact(&mut got).unwrap();
        server.write_all(&got).unwrap();
        let mut back = vec![0u8; chunk.len()];
        client.read_exact(&mut back).unwrap();
        echoed.extend_from_slice(&back);
    }
    assert_eq!(echoed, data);

    // Four-way close.
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    assert_eq!(server.read_to_end(&mut rest).unwrap(), 0);
    drop(server);
    let mut rest = Vec::new();
    assert_eq!(client.read_to_end(&mut rest).unwrap(), 0);

    let sa_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert!(sa_stats.rx_local > 2 * 200_000 / 1460, "{sa_stats:?}");
    assert_eq!(sa_stats.rx_tcp, sa_stats.rx_local);
    assert_eq!(sa_stats.tx_drop_local_queue_full, 0);
    // The other host on the cable saw no IPv4 at all.
    let sb_stats = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    assert_eq!(sb_stats.rx_ipv4, 0, "{sb_stats:?}");
}

#[test]
fn tcp_to_localhost_reaches_a_wildcard_listener() {
    let (_net, a, _b) = pair_net(1500);
    let listener = TcpListener::bind(&a, SocketAddrV4::new(0.into(), 9000)).unwrap();
    let mut client = TcpStream::connect(&a, localhost(9000)).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    assert_eq!(server.local_addr().unwrap(), localhost(9000));
    client.write_all(b"over lo").unwrap();
    let mut got = [0u8; 7];
    server.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"over lo");
    server.write_all(b"back").unwrap();
    let mut got = [0u8; 4];
    client.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"back");
}

#[test]
fn connect_to_own_closed_port_is_refused_at_once() {
    let (net, a, _b) = pair_net(1500);
    let start = net.now();
    let err = TcpStream::connect(&a, sa(1, 8081)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    // The reset came back in the same instant: no retransmission timer.
    assert!(net.now() - start < Duration::from_millis(10));
}

#[test]
fn udp_send_to_self_and_port_unreachable_from_self() {
    let (net, a, b) = pair_net(1500);
    let server = UdpSocket::bind(&a, sa(1, 5000)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 5001)).unwrap();
    client.send_to(b"hello me", sa(1, 5000)).unwrap();
    let mut buf = [0u8; 32];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello me");
    assert_eq!(from, sa(1, 5001));
    server.send_to(b"hi", from).unwrap();
    let (n, _) = client.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi");
    // 127.0.0.1 reaches a socket bound to the wildcard address.
    let any = UdpSocket::bind(&a, SocketAddrV4::new(0.into(), 5003)).unwrap();
    client.send_to(b"lo", localhost(5003)).unwrap();
    let (n, from) = any.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"lo"[..], sa(1, 5001)));

    // A closed port on this host answers with port unreachable, through
    // the same loop, and a connected socket reports it.
    let mut lonely = UdpSocket::bind(&a, sa(1, 5002)).unwrap();
    lonely.connect(sa(1, 5999)).unwrap();
    lonely.send(b"anyone?").unwrap();
    lonely.set_read_timeout(Some(Duration::from_secs(1)));
    let err = lonely.recv(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    let s = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(s.rx_udp, 3);
    assert_eq!(s.rx_drop_udp_no_socket, 1);
    assert_eq!(s.icmp_errors_sent, 1);
    assert_eq!(s.rx_icmp_errors, 1);
    assert_eq!(s.tx_local, 5);
    let sb = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    assert_eq!(sb.rx_ipv4, 0);
}

#[test]
fn loopback_queue_is_bounded() {
    let mut ca = host_common::config(1);
    ca.max_local_queue = 4;
    let (net, a, _b) = pair_net_with(ca, host_common::config(2), 1500);
    let server = UdpSocket::bind(&a, sa(1, 5000)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 5001)).unwrap();
    for i in 0..10u8 {
        client.send_to(&[i], sa(1, 5000)).unwrap();
    }
    let mut buf = [0u8; 4];
    let mut got = Vec::new();
    for _ in 0..4 {
        let (n, _) = server.recv_from(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, [0, 1, 2, 3]);
    net.run_for(Duration::from_millis(10)).unwrap();
    let s = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(s.tx_local, 4);
    assert_eq!(s.tx_drop_local_queue_full, 6);
    assert_eq!(s.rx_udp, 4);
}

#[test]
fn localhost_from_the_wire_is_a_martian() {
    let (mut host, mut dev, mut peer) = host_and_peer(1);
    let mut now = Instant::ZERO;
    let _server = {
        let s = host.sockets();
        let fd = s.socket(strata_socket::SocketKind::Datagram).unwrap();
        s.bind(fd, SocketAddrV4::new(0.into(), 53)).unwrap();
        fd
    };
    let lo = localhost(53);
    let d = udp(sa(9, 4000), lo, b"sneaky");
    let ipr = Ipv4Repr::new(ip(9), *lo.ip(), Protocol::UDP, d.len());
    peer.send(now, &ipv4_frame(mac(9), mac(1), &ipr, &d));
    host_common::drive(&mut host, &mut dev, &mut peer, &mut now, 3);
    let s = host.stats();
    assert_eq!(s.rx_drop_martian, 1);
    assert_eq!(s.rx_udp, 0);
    assert_eq!(s.icmp_errors_sent, 0);
    assert_eq!(s.rx_frames_accounted(), s.rx_frames);
}
