//! Whole hosts exchanging UDP over an in-memory cable: plain exchange,
//! a datagram fragmented and reassembled, port unreachable turned into
//! ConnectionRefused, broadcast rules.

mod host_common;

use std::io::ErrorKind;

use host_common::{ip, pair_net, sa};
use strata::net::UdpSocket;
use strata_core::time::Duration;

#[test]
fn udp_request_and_answer() {
    let (_net, a, b) = pair_net(1500);
    let server = UdpSocket::bind(&b, sa(2, 53)).unwrap();
    let client = UdpSocket::bind(&a, sa(0, 0).to_unspecified()).unwrap();
    client.send_to(b"query", sa(2, 53)).unwrap();

    let mut buf = [0u8; 64];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"query");
    assert_eq!(*from.ip(), ip(1));
    assert_eq!(from.port(), client.local_addr().unwrap().port());
    server.send_to(b"answer", from).unwrap();

    let (n, from) = client.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"answer");
    assert_eq!(from, sa(2, 53));
}

#[test]
fn datagram_of_5000_bytes_is_fragmented_and_reassembled() {
    let (net, a, b) = pair_net(1500);
    let server = UdpSocket::bind(&b, sa(2, 7000)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 7001)).unwrap();
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(client.send_to(&data, sa(2, 7000)).unwrap(), 5000);

    let mut buf = vec![0u8; 9000];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(n, 5000);
    assert_eq!(&buf[..n], &data[..]);
    assert_eq!(from, sa(1, 7001));

    // 5008 bytes of UDP in 1480-byte pieces: four fragments.
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    let b_stats = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    assert_eq!(a_stats.tx_fragments, 4);
    assert_eq!(b_stats.rx_fragments, 4);
    assert_eq!(b_stats.rx_reassembled, 1);
    assert_eq!(
        net.with_interface(&b, |i, _| i.reassembler().pending())
            .unwrap(),
        0
    );
}

#[test]
fn port_unreachable_refuses_a_connected_socket() {
    let (net, a, b) = pair_net(1500);
    let mut client = UdpSocket::bind(&a, sa(1, 40000)).unwrap();
    client.connect(sa(2, 9999)).unwrap();
    client.send(b"anyone?").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 16];
    let err = client.recv(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    let b_stats = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    assert_eq!(b_stats.rx_drop_udp_no_socket, 1);
    assert_eq!(b_stats.icmp_errors_sent, 1);
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(a_stats.rx_icmp_errors, 1);
}

#[test]
fn broadcast_to_a_closed_port_draws_no_icmp() {
    let (net, a, b) = pair_net(1500);
    let client = UdpSocket::bind(&a, sa(1, 40001)).unwrap();
    // Without SO_BROADCAST the send is refused, as on Linux.
    let err = client.send_to(b"x", sa(255, 9)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    client.set_broadcast(true).unwrap();
    client.send_to(b"hello all", sa(255, 9)).unwrap();
    net.run_for(Duration::from_millis(100)).unwrap();
    let b_stats = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    assert_eq!(b_stats.rx_drop_udp_no_socket, 1);
    assert_eq!(b_stats.icmp_errors_sent, 0);
    // No ARP was needed for a broadcast.
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(a_stats.tx_arp_queued, 0);
}

#[test]
fn broadcast_reaches_a_bound_socket() {
    let (_net, a, b) = pair_net(1500);
    let server = UdpSocket::bind(&b, sa(0, 6000).to_unspecified()).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 6001)).unwrap();
    client.set_broadcast(true).unwrap();
    client
        .send_to(
            b"dhcp-ish",
            std::net::SocketAddrV4::new(std::net::Ipv4Addr::BROADCAST, 6000),
        )
        .unwrap();
    let mut buf = [0u8; 32];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"dhcp-ish");
    assert_eq!(from, sa(1, 6001));
}

trait Unspecified {
    fn to_unspecified(self) -> Self;
}

impl Unspecified for std::net::SocketAddrV4 {
    fn to_unspecified(self) -> Self {
        std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, self.port())
    }
}

/// Segments and datagrams that fit the MTU are written by the sockets
/// straight into the device's transmit buffer; only a datagram that must
/// be fragmented goes through the interface's own buffer. The first
/// datagram (next hop unresolved) is still copied into the ARP queue and
/// arrives once ARP answers.
#[test]
fn socket_frames_are_built_in_the_device_buffer() {
    let (net, a, b) = pair_net(1500);
    let server = UdpSocket::bind(&b, sa(2, 7000)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 7001)).unwrap();
    let mut buf = vec![0u8; 9000];
    for round in 0..3u8 {
        client.send_to(&[round; 1472], sa(2, 7000)).unwrap();
        let (n, _) = server.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], &[round; 1472][..]);
    }
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(a_stats.tx_in_place, 3);
    assert_eq!(a_stats.tx_via_scratch, 0);
    assert_eq!(a_stats.tx_arp_queued, 1);

    // One byte more than fits a 1500-byte MTU: built aside, fragmented.
    let data: Vec<u8> = (0..1473u32).map(|i| i as u8).collect();
    client.send_to(&data, sa(2, 7000)).unwrap();
    client.send_to(b"after", sa(2, 7000)).unwrap();
    let (n, _) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &data[..]);
    let (n, _) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"after");
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(a_stats.tx_via_scratch, 1);
    assert_eq!(a_stats.tx_fragments, 2);
    assert_eq!(a_stats.tx_in_place, 4);
    let sockets = net
        .with_interface(&a, |i, _| i.sockets_ref().stats().udp_send_dropped)
        .unwrap();
    assert_eq!(sockets, 0);
}
