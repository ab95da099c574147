//! RFC 5227 probing of the interface's address (opt-in): a free address
//! becomes usable after the probes; one already in use on the link is
//! never used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod host_common;

use std::sync::{Arc, Mutex};

use host_common::{config, ip, mac};
use strata::device::Device;
use strata::device::memory::{self, MemoryDevice};
use strata::iface::{AddressState, Direction, Interface, InterfaceConfig, PingError};
use strata_core::time::{Duration, Instant};
use strata_ethernet::{EtherType, Frame};
use strata_socket::{Error, SocketKind};

type Sent = Arc<Mutex<Vec<(Instant, strata_arp::Repr)>>>;

/// Records the ARP packets `host` sends.
fn watch(host: &mut Interface) -> Sent {
    let sent: Sent = Arc::default();
    let sink = sent.clone();
    host.set_observer(Some(Box::new(move |record| {
        let eth = Frame::parse(record.frame).unwrap();
        if record.direction == Direction::Tx && eth.ethertype() == EtherType::ARP {
            let repr = strata_arp::Repr::parse(&strata_arp::Packet::parse(eth.payload()).unwrap())
                .unwrap();
            sink.lock().unwrap().push((record.time, repr));
        }
    })));
    sent
}

/// Polls both hosts every 10 ms from `*now` for `d`.
fn run(
    a: &mut Interface,
    da: &mut MemoryDevice,
    b: &mut Interface,
    db: &mut MemoryDevice,
    now: &mut Instant,
    d: Duration,
) {
    let end = *now + d;
    while *now < end {
        a.poll(*now, da);
        b.poll(*now, db);
        a.poll(*now, da);
        *now += Duration::from_millis(10);
    }
}

/// Host `n` (MAC ..:0n) that wants 198.18.0.`address` and probes first.
fn probing(n: u8, address: u8) -> InterfaceConfig {
    let mut c = config(n);
    c.address = format!("198.18.0.{address}/24").parse().unwrap();
    c.probe_address = true;
    c
}

#[test]
fn a_free_address_is_probed_then_used() {
    let (mut da, mut db) = memory::pair(1500);
    let mut a = Interface::new(probing(1, 1)).unwrap();
    let mut b = Interface::new(config(2)).unwrap();
    let sent = watch(&mut a);
    assert_eq!(a.address_state(), AddressState::Probing);
    let mut now = Instant::ZERO;

    // While probing: no socket address, no ping, and b's ping goes
    // unanswered (a does not answer ARP for the address, nor take IPv4).
    let s = a.sockets().socket(SocketKind::Datagram).unwrap();
    assert_eq!(
        a.sockets().bind(s, host_common::sa(1, 7)),
        Err(Error::AddrNotAvailable)
    );
    assert_eq!(
        a.ping(now, ip(2), 1, 1, b"x").unwrap_err(),
        PingError::NoRoute
    );
    b.ping(now, ip(1), 1, 1, b"early").unwrap();
    run(
        &mut a,
        &mut da,
        &mut b,
        &mut db,
        &mut now,
        Duration::from_secs(4),
    );
    assert_eq!(a.address_state(), AddressState::Probing);
    assert!(b.poll_ping().is_none());
    assert_eq!(a.stats().rx_ipv4, 0);
    assert_eq!(a.stats().echo_replies_sent, 0);
    assert!(
        sent.lock()
            .unwrap()
            .iter()
            .all(|(_, r)| r.operation == strata_arp::Operation::REQUEST)
    );

    run(
        &mut a,
        &mut da,
        &mut b,
        &mut db,
        &mut now,
        Duration::from_secs(4),
    );
    assert_eq!(a.address_state(), AddressState::Usable);
    assert_eq!(a.stats().address_conflicts, 0);
    // Three probes from 0.0.0.0 (the first within a second), then the
    // announcement once claimed, at least 2 s after the last probe.
    let sent = sent.lock().unwrap().clone();
    let probes: Vec<Instant> = sent
        .iter()
        .filter(|(_, r)| r.sender_ip.is_unspecified() && r.target_ip == ip(1))
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(probes.len(), 3, "{sent:?}");
    assert!(probes[0] <= Instant::from_millis(1_000));
    let announced = sent
        .iter()
        .find(|(_, r)| r.is_gratuitous())
        .map(|(t, _)| *t)
        .expect("announced");
    assert!(announced >= probes[2] + Duration::from_secs(2));
    assert!(
        sent.iter()
            .all(|(t, r)| *t >= announced || r.sender_ip.is_unspecified()),
        "nothing but probes before the claim: {sent:?}"
    );

    // Now usable: sockets bind, pings are answered both ways.
    a.sockets().bind(s, host_common::sa(1, 7)).unwrap();
    b.ping(now, ip(1), 1, 2, b"late").unwrap();
    a.ping(now, ip(2), 1, 3, b"hi").unwrap();
    run(
        &mut a,
        &mut da,
        &mut b,
        &mut db,
        &mut now,
        Duration::from_millis(100),
    );
    assert_eq!(b.poll_ping().unwrap().seq, 2);
    assert_eq!(a.poll_ping().unwrap().seq, 3);
}

#[test]
fn an_address_in_use_is_not_used() {
    let (mut da, mut db) = memory::pair(1500);
    // a wants .2, which b already has.
    let mut a = Interface::new(probing(1, 2)).unwrap();
    let mut b = Interface::new(config(2)).unwrap();
    let sent = watch(&mut a);
    let mut now = Instant::ZERO;
    run(
        &mut a,
        &mut da,
        &mut b,
        &mut db,
        &mut now,
        Duration::from_secs(30),
    );
    assert_eq!(a.address_state(), AddressState::Conflict { mac: mac(2) });
    assert_eq!(a.stats().address_conflicts, 1);
    // a never claimed it: b's own announcement (or its answer to a's
    // probe) stopped a before it announced anything; all a sent were
    // probes from 0.0.0.0.
    let sent = sent.lock().unwrap().clone();
    assert!(sent.len() <= 1, "{sent:?}");
    assert!(sent.iter().all(|(_, r)| r.sender_ip.is_unspecified()));
    assert_eq!(b.address_state(), AddressState::Usable);
    assert_eq!(a.ping(now, ip(9), 1, 1, b"x"), Err(PingError::NoRoute));
    assert!(a.sockets_ref().addresses().is_empty());
    // b still works normally for everyone else.
    assert_eq!(b.stats().address_conflicts, 0);
}

#[test]
fn a_probe_answered_by_the_owner_is_a_conflict() {
    let (mut da, mut db) = memory::pair(1500);
    let mut b = Interface::new(config(2)).unwrap();
    // b's first announcement goes out before a is on the link.
    b.poll(Instant::ZERO, &mut db);
    while da.receive(Instant::ZERO, |_| ()).is_some() {}
    let mut a = Interface::new(probing(1, 2)).unwrap();
    let sent = watch(&mut a);
    let mut now = Instant::ZERO;
    run(
        &mut a,
        &mut da,
        &mut b,
        &mut db,
        &mut now,
        Duration::from_millis(1_500),
    );
    // a's first probe (within PROBE_WAIT) drew b's reply.
    assert_eq!(a.address_state(), AddressState::Conflict { mac: mac(2) });
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].1.sender_ip.is_unspecified());
    assert_eq!(sent[0].1.target_ip, ip(2));
    assert_eq!(b.arp().stats().replies, 1);
}
