//! ICMP errors and unreachable neighbours reaching the sockets they concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use common::{B_IP, Net};
use strata_core::time::Duration;
use strata_socket::{Error, IcmpError, IcmpErrorKind, SocketKind, SocketsConfig};
use strata_tcp::connection::State;

fn syn_sent(net: &mut Net, dst: SocketAddrV4) -> (strata_socket::Fd, IcmpError) {
    let c = net.a.socket(SocketKind::Stream).unwrap();
    net.a.connect(net.now, c, dst).unwrap_err();
    net.exchange();
    let iss = net.a.tcp_connection(c).unwrap().iss();
    let e = IcmpError {
        kind: IcmpErrorKind::HostUnreachable,
        protocol: 6,
        local: net.a.local_addr(c).unwrap(),
        remote: dst,
        tcp_seq: Some(iss),
    };
    (c, e)
}

#[test]
fn hard_errors_abort_a_connect() {
    let nowhere = SocketAddrV4::new(Ipv4Addr::new(198, 18, 9, 1), 80);
    for (kind, expected) in [
        (IcmpErrorKind::HostUnreachable, Error::HostUnreachable),
        (IcmpErrorKind::NetUnreachable, Error::NetworkUnreachable),
        (IcmpErrorKind::PortUnreachable, Error::ConnectionRefused),
        (IcmpErrorKind::ProtocolUnreachable, Error::ConnectionRefused),
        (IcmpErrorKind::AdminProhibited, Error::HostUnreachable),
    ] {
        let mut net = Net::new(40);
        let (c, mut e) = syn_sent(&mut net, nowhere);
        e.kind = kind;
        // A quoted sequence number outside the window is ignored (RFC 5927).
        let mut forged = e;
        forged.tcp_seq = Some(e.tcp_seq.unwrap().wrapping_add(1000));
        net.a.handle_icmp_error(net.now, &forged);
        assert_eq!(net.a.tcp_state(c).unwrap(), State::SynSent);
        net.a.handle_icmp_error(net.now, &e);
        assert_eq!(net.a.tcp_state(c).unwrap(), State::Closed);
        assert!(net.a.readiness(c).unwrap().error);
        assert_eq!(net.a.take_error(c).unwrap(), Some(expected.clone()));
        assert_eq!(net.a.send(net.now, c, b"x"), Err(expected));
        net.exchange();
        assert_eq!(net.a.poll_at(), None);
    }
}

#[test]
fn soft_errors_on_established_are_recorded() {
    let mut net = Net::new(41);
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b.bind(l, SocketAddrV4::new(B_IP, 80)).unwrap();
    net.b.listen(l, 4).unwrap();
    let (c, e) = syn_sent(&mut net, SocketAddrV4::new(B_IP, 80));
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
    let una = net.a.tcp_connection(c).unwrap().snd_una();
    let soft = IcmpError {
        tcp_seq: Some(una),
        ..e
    };
    net.a.handle_icmp_error(net.now, &soft);
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
    assert!(!net.a.readiness(c).unwrap().error);
    assert_eq!(
        net.a.last_icmp_error(c).unwrap(),
        Some(IcmpErrorKind::HostUnreachable)
    );
    let te = IcmpError {
        kind: IcmpErrorKind::TimeExceeded,
        ..soft
    };
    net.a.handle_icmp_error(net.now, &te);
    assert_eq!(
        net.a.last_icmp_error(c).unwrap(),
        Some(IcmpErrorKind::TimeExceeded)
    );
    let frag = IcmpError {
        kind: IcmpErrorKind::FragmentationNeeded { mtu: 1280 },
        ..soft
    };
    net.a.handle_icmp_error(net.now, &frag);
    assert_eq!(net.a.path_mtu(c).unwrap(), Some(1280));
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
    // The connection it concerns sends smaller segments from now on
    // (RFC 1191): 1280 less 40 bytes of IPv4 and TCP headers.
    assert!(net.a.tcp_connection(c).unwrap().send_mss() <= 1240);
    // A new connection to that destination offers an MSS that fits.
    let c2 = net.a.socket(SocketKind::Stream).unwrap();
    net.a
        .connect(net.now, c2, SocketAddrV4::new(B_IP, 80))
        .unwrap_err();
    assert_eq!(net.a.tcp_connection(c2).unwrap().config().mss, 1240);
    assert!(net.a.stats().icmp_errors >= 3);
}

#[test]
fn soft_error_reported_when_the_connection_times_out() {
    let mut config = SocketsConfig::default();
    config.tcp.max_retries = 2;
    let mut net = Net::with_configs(config, SocketsConfig::default(), 42);
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b.bind(l, SocketAddrV4::new(B_IP, 80)).unwrap();
    net.b.listen(l, 4).unwrap();
    let (c, e) = syn_sent(&mut net, SocketAddrV4::new(B_IP, 80));
    // The path dies: everything is dropped from now on.
    net.filter = Some(Box::new(|_| false));
    net.a.send(net.now, c, b"lost").unwrap();
    net.exchange();
    let una = net.a.tcp_connection(c).unwrap().snd_una();
    net.a.handle_icmp_error(
        net.now,
        &IcmpError {
            tcp_seq: Some(una),
            ..e
        },
    );
    net.advance(Duration::from_secs(60));
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Closed);
    assert_eq!(net.a.take_error(c).unwrap(), Some(Error::HostUnreachable));
}

#[test]
fn neighbour_unreachable_fails_connects() {
    let mut net = Net::new(43);
    let far = Ipv4Addr::new(198, 18, 3, 3);
    let c = net.a.socket(SocketKind::Stream).unwrap();
    net.a
        .connect(net.now, c, SocketAddrV4::new(far, 22))
        .unwrap_err();
    let other = net.a.socket(SocketKind::Stream).unwrap();
    net.a
        .connect(net.now, other, SocketAddrV4::new(B_IP, 22))
        .unwrap_err();
    let u = net.a.socket(SocketKind::Datagram).unwrap();
    net.a
        .connect(net.now, u, SocketAddrV4::new(far, 53))
        .unwrap();
    net.a.neighbour_unreachable(net.now, far);
    assert_eq!(net.a.take_error(c).unwrap(), Some(Error::HostUnreachable));
    assert_eq!(net.a.tcp_state(other).unwrap(), State::SynSent);
    assert_eq!(net.a.send(net.now, u, b"q"), Err(Error::HostUnreachable));
    assert_eq!(Error::HostUnreachable.errno_name(), "EHOSTUNREACH");
}
