//! ARP as whole hosts use it: resolution with the first datagram held and
//! then released, expiry of idle entries, refresh of entries in use without
//! a new broadcast, and failure reported to the sockets.
// The observer closure is outside a #[test] function; a failure there is a
// failed test all the same.
#![allow(clippy::unwrap_used)]

mod host_common;

use std::io::ErrorKind;
use std::sync::{Arc, Mutex};

use host_common::{config, ip, mac, pair_net_with, sa};
use strata::iface::Direction;
use strata::net::{HostHandle, SimNet, UdpSocket};
use strata_arp::cache::NeighbourState;
use strata_core::time::Duration;
use strata_ethernet::{EtherType, Frame, MacAddress};

/// What an observer saw: direction, Ethernet destination, and the ARP
/// packet if the frame was one.
type Seen = Arc<Mutex<Vec<(Direction, MacAddress, Option<strata_arp::Repr>, EtherType)>>>;

fn watch(net: &SimNet, host: &HostHandle) -> Seen {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    net.with_interface(host, |i, _| {
        i.set_observer(Some(Box::new(move |record| {
            let eth = Frame::parse(record.frame).unwrap();
            let arp = (eth.ethertype() == EtherType::ARP).then(|| {
                strata_arp::Repr::parse(&strata_arp::Packet::parse(eth.payload()).unwrap()).unwrap()
            });
            sink.lock()
                .unwrap()
                .push((record.direction, eth.dst(), arp, eth.ethertype()));
        })));
    })
    .unwrap();
    seen
}

fn broadcast_requests_for(seen: &Seen, target: core::net::Ipv4Addr) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(d, dst, arp, _)| {
            *d == Direction::Tx
                && dst.is_broadcast()
                && arp.is_some_and(|a| {
                    a.operation == strata_arp::Operation::REQUEST && a.target_ip == target
                })
        })
        .count()
}

fn short_lived() -> (SimNet, HostHandle, HostHandle) {
    let mut a = config(1);
    let mut b = config(2);
    a.arp.reachable_time = Duration::from_secs(5);
    b.arp.reachable_time = Duration::from_secs(5);
    pair_net_with(a, b, 1500)
}

#[test]
fn first_datagram_waits_for_resolution_then_goes_out() {
    let (net, a, b) = short_lived();
    let seen = watch(&net, &a);
    let server = UdpSocket::bind(&b, sa(2, 9)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 1009)).unwrap();
    client.send_to(b"first", sa(2, 9)).unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = server.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");

    // Request (broadcast), reply (to us), then the datagram (to .2's MAC).
    let log = seen.lock().unwrap().clone();
    let request = log
        .iter()
        .position(|(d, dst, arp, _)| {
            *d == Direction::Tx && dst.is_broadcast() && arp.is_some_and(|a| a.target_ip == ip(2))
        })
        .expect("an ARP request for .2");
    let reply = log
        .iter()
        .position(|(d, _, arp, _)| {
            *d == Direction::Rx && arp.is_some_and(|a| a.operation == strata_arp::Operation::REPLY)
        })
        .expect("an ARP reply");
    let datagram = log
        .iter()
        .position(|(d, dst, _, t)| *d == Direction::Tx && *t == EtherType::IPV4 && *dst == mac(2))
        .expect("the datagram");
    assert!(request < reply && reply < datagram);
    assert_eq!(
        net.with_interface(&a, |i, _| i.stats().tx_arp_queued)
            .unwrap(),
        1
    );

    // Both learned each other: a from the reply, b from the request aimed at it.
    assert_eq!(
        net.with_interface(&a, |i, _| i.arp().state(ip(2))).unwrap(),
        Some(NeighbourState::Reachable(mac(2)))
    );
    assert_eq!(
        net.with_interface(&b, |i, _| i.arp().state(ip(1))).unwrap(),
        Some(NeighbourState::Reachable(mac(1)))
    );
    assert_eq!(broadcast_requests_for(&seen, ip(2)), 1);
}

#[test]
fn idle_entry_expires_and_is_resolved_again() {
    let (net, a, b) = short_lived();
    let seen = watch(&net, &a);
    let server = UdpSocket::bind(&b, sa(2, 9)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 1009)).unwrap();
    let mut buf = [0u8; 8];
    client.send_to(b"one", sa(2, 9)).unwrap();
    server.recv_from(&mut buf).unwrap();
    assert!(
        net.with_interface(&a, |i, _| i.arp().state(ip(2)))
            .unwrap()
            .is_some()
    );

    net.run_for(Duration::from_secs(8)).unwrap();
    assert_eq!(
        net.with_interface(&a, |i, _| i.arp().state(ip(2))).unwrap(),
        None
    );

    client.send_to(b"two", sa(2, 9)).unwrap();
    server.recv_from(&mut buf).unwrap();
    assert_eq!(broadcast_requests_for(&seen, ip(2)), 2);
    assert_eq!(
        net.with_interface(&a, |i, _| i.stats().tx_arp_queued)
            .unwrap(),
        2
    );
}

#[test]
fn entry_in_use_is_refreshed_without_a_broadcast() {
    let (net, a, b) = short_lived();
    let seen = watch(&net, &a);
    let server = UdpSocket::bind(&b, sa(2, 9)).unwrap();
    let client = UdpSocket::bind(&a, sa(1, 1009)).unwrap();
    let mut buf = [0u8; 8];
    // 30 s of traffic, every 250 ms, over an entry that lives 5 s.
    for _ in 0..120 {
        client.send_to(b"tick", sa(2, 9)).unwrap();
        server.recv_from(&mut buf).unwrap();
        net.run_for(Duration::from_millis(250)).unwrap();
    }
    assert_eq!(
        broadcast_requests_for(&seen, ip(2)),
        1,
        "only the first resolution was broadcast"
    );
    let unicast_probes = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(d, dst, arp, _)| *d == Direction::Tx && *dst == mac(2) && arp.is_some())
        .count();
    assert!(
        unicast_probes >= 5,
        "refreshed by unicast requests ({unicast_probes})"
    );
    // Nothing ever waited for ARP again.
    assert_eq!(
        net.with_interface(&a, |i, _| i.stats().tx_arp_queued)
            .unwrap(),
        1
    );
}

#[test]
fn silent_neighbour_fails_a_connected_udp_socket() {
    let (net, a, _b) = short_lived();
    let mut client = UdpSocket::bind(&a, sa(1, 1010)).unwrap();
    client.connect(sa(99, 53)).unwrap();
    client.send(b"hello?").unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = [0u8; 8];
    let err = client.recv(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{err}");
    let stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    assert_eq!(stats.tx_drop_neighbour_unreachable, 1);
    assert_eq!(
        net.with_interface(&a, |i, _| i.arp().state(ip(99)))
            .unwrap(),
        Some(NeighbourState::Failed)
    );
}
