//! The resolver of a whole host against name servers that are not there:
//! the ICMP port unreachable a host answers for a closed port fails that
//! server at once (next server, or "refused" when none is left) instead of
//! leaving the lookup to wait for its timeout.
// Test helpers: a failed expectation is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod host_common;

use std::net::{SocketAddr, SocketAddrV4};

use host_common::{config, sa};
use strata::device::memory;
use strata::iface::Interface;
use strata_core::time::{Duration, Instant};
use strata_dns::resolver::Config as ResolverConfig;
use strata_dns::wire::{Builder, Class, Flags, Message, RData, RecordType};
use strata_socket::{Error, Lookup, ResolveError, SocketKind};

const WWW: std::net::Ipv4Addr = std::net::Ipv4Addr::new(198, 18, 0, 80);

/// Host .1 whose resolver asks `servers` in order (5 s timeout, two
/// rounds), and host .2, joined by a cable.
fn hosts(servers: &[SocketAddrV4]) -> (Interface, Interface) {
    let mut ca = config(1);
    let mut r = ResolverConfig::with_nameservers(&[]);
    r.nameservers = servers.iter().map(|s| SocketAddr::V4(*s)).collect();
    r.timeout = Duration::from_secs(5);
    r.attempts = 2;
    r.edns = false;
    ca.sockets.resolver = Some(r);
    (
        Interface::new(ca).unwrap(),
        Interface::new(config(2)).unwrap(),
    )
}

/// An A answer (198.18.0.80) to `query`.
fn answer(query: &[u8]) -> Vec<u8> {
    let q = Message::parse(query).unwrap();
    let question = q.question().unwrap();
    let flags = Flags(Flags::RESPONSE | Flags::RECURSION_DESIRED | Flags::RECURSION_AVAILABLE);
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, q.id(), flags).unwrap();
    b.question(question.name(), question.qtype(), Class::IN)
        .unwrap();
    if question.qtype() == RecordType::A {
        b.answer(question.name(), Class::IN, 300, &RData::A(WWW))
            .unwrap();
    }
    b.finish().to_vec()
}

/// Runs both hosts in 1 ms steps until the lookup ends (at most `limit`);
/// host .2 answers DNS on the UDP socket `server` if given. Returns the
/// outcome and how long it took.
fn run(
    a: &mut Interface,
    b: &mut Interface,
    lookup: Lookup,
    server: Option<strata_socket::Fd>,
    limit: Duration,
) -> (Result<Vec<std::net::Ipv4Addr>, Error>, Duration) {
    let (mut da, mut db) = memory::pair(1500);
    let start = Instant::ZERO;
    let mut now = start;
    while now - start <= limit {
        a.poll(now, &mut da);
        b.poll(now, &mut db);
        if let Some(fd) = server {
            let mut buf = [0u8; 1500];
            while let Ok((n, from)) = b.sockets().recv_from(fd, &mut buf) {
                let reply = answer(&buf[..n]);
                b.sockets().send_to(now, fd, &reply, from).unwrap();
            }
        }
        a.poll(now, &mut da);
        if let Some(result) = a.sockets().poll_resolve(lookup) {
            return (result, now - start);
        }
        now += Duration::from_millis(1);
    }
    panic!("the lookup did not end within {limit:?}");
}

#[test]
fn no_server_listening_is_refused_at_once() {
    let (mut a, mut b) = hosts(&[sa(2, 53)]);
    let lookup = a
        .sockets()
        .resolve(Instant::ZERO, "www.example.test")
        .unwrap();
    let (result, took) = run(&mut a, &mut b, lookup, None, Duration::from_secs(60));
    let err = result.unwrap_err();
    assert!(
        matches!(err, Error::Resolve(ResolveError::Refused { .. })),
        "{err:?}"
    );
    // Two tries (A and AAAA each), each refused in a round trip: far
    // inside the 5 s timeout.
    assert!(took < Duration::from_millis(50), "took {took:?}");
    let stats = a.sockets_ref().resolver_stats().unwrap();
    assert_eq!(stats.timeouts, 0);
    assert!(stats.unreachable >= 2, "{stats:?}");
    assert!(b.stats().icmp_errors_sent >= 2);
    assert_eq!(a.stats().rx_icmp_errors, stats.unreachable);
}

#[test]
fn a_silent_first_server_is_skipped_for_the_next_at_once() {
    // The first server has nothing on port 53; the second (same host,
    // port 5353) answers.
    let (mut a, mut b) = hosts(&[sa(2, 53), sa(2, 5353)]);
    let fd = b.sockets().socket(SocketKind::Datagram).unwrap();
    b.sockets().bind(fd, sa(2, 5353)).unwrap();
    let lookup = a
        .sockets()
        .resolve(Instant::ZERO, "www.example.test")
        .unwrap();
    let (result, took) = run(&mut a, &mut b, lookup, Some(fd), Duration::from_secs(60));
    assert_eq!(result.unwrap(), [WWW]);
    assert!(took < Duration::from_millis(50), "took {took:?}");
    let stats = a.sockets_ref().resolver_stats().unwrap();
    assert_eq!(stats.timeouts, 0);
    assert_eq!(stats.unreachable, 2, "A and AAAA each refused once");
}
