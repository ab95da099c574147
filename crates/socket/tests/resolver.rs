//! Name resolution: hosts table, a fake DNS server on the other host
//! (UDP), and a truncated answer that forces the query over TCP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default
)]

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};

use common::{A_IP, B_IP, Net};
use strata_core::time::Duration;
use strata_dns::resolver::Config as ResolverConfig;
use strata_dns::wire::{Builder, Class, Flags, Message, RData, RecordType};
use strata_socket::{Error, Fd, LookupKind, ResolveError, SocketKind, SocketsConfig};

const WWW: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 80);

fn client_config() -> SocketsConfig {
    let mut c = SocketsConfig::default();
    let mut r = ResolverConfig::with_nameservers(&[IpAddr::V4(B_IP)]);
    r.edns = false;
    c.resolver = Some(r);
    c.hosts
        .insert(
            "server.example.test",
            IpAddr::V4(Ipv4Addr::new(198, 18, 0, 2)),
        )
        .unwrap();
    c
}

/// The answer the fake server gives: A 198.18.0.80 for A questions,
/// nothing (NODATA) for others; with `truncate`, only the TC bit.
fn answer(query: &[u8], truncate: bool) -> Vec<u8> {
    let q = Message::parse(query).unwrap();
    let question = q.question().unwrap();
    let mut flags = Flags(Flags::RESPONSE | Flags::RECURSION_DESIRED | Flags::RECURSION_AVAILABLE);
    if truncate {
        flags = flags.with_truncated(true);
    }
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, q.id(), flags).unwrap();
    b.question(question.name(), question.qtype(), Class::IN)
        .unwrap();
    if !truncate && question.qtype() == RecordType::A {
        b.answer(question.name(), Class::IN, 300, &RData::A(WWW))
            .unwrap();
    }
    b.finish().to_vec()
}

struct Server {
    udp: Fd,
    tcp: Fd,
    conns: Vec<(Fd, Vec<u8>)>,
    udp_queries: usize,
    tcp_queries: usize,
}

impl Server {
    fn new(net: &mut Net) -> Self {
        let udp = net.b.socket(SocketKind::Datagram).unwrap();
        net.b.bind(udp, SocketAddrV4::new(B_IP, 53)).unwrap();
        let tcp = net.b.socket(SocketKind::Stream).unwrap();
        net.b.bind(tcp, SocketAddrV4::new(B_IP, 53)).unwrap();
        net.b.listen(tcp, 8).unwrap();
        Server {
            udp,
            tcp,
            conns: Vec::new(),
            udp_queries: 0,
            tcp_queries: 0,
        }
    }

    /// Answers everything waiting; UDP answers are truncated if asked.
    fn serve(&mut self, net: &mut Net, truncate_udp: bool) {
        let now = net.now;
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = net.b.recv_from(self.udp, &mut buf) {
            self.udp_queries += 1;
            let reply = answer(&buf[..n], truncate_udp);
            net.b.send_to(now, self.udp, &reply, from).unwrap();
        }
        while let Ok((fd, _)) = net.b.accept(self.tcp) {
            self.conns.push((fd, Vec::new()));
        }
        for (fd, pending) in &mut self.conns {
            while let Ok(n) = net.b.recv(*fd, &mut buf) {
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&buf[..n]);
            }
            while pending.len() >= 2 {
                let len = u16::from_be_bytes([pending[0], pending[1]]) as usize;
                if pending.len() < 2 + len {
                    break;
                }
                let query: Vec<u8> = pending.drain(..2 + len).skip(2).collect();
                self.tcp_queries += 1;
                let reply = answer(&query, false);
                let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&reply);
                assert_eq!(net.b.send(now, *fd, &framed).unwrap(), framed.len());
            }
        }
    }
}

#[test]
fn names_from_the_hosts_table_and_literals() {
    let mut net = Net::with_configs(client_config(), SocketsConfig::default(), 60);
    let now = net.now;
    let l = net.a.resolve(now, "server.example.test").unwrap();
    assert_eq!(net.a.poll_resolve(l), Some(Ok(vec![B_IP])));
    assert_eq!(
        net.a.poll_resolve(l),
        Some(Err(Error::InvalidInput)),
        "spent"
    );
    let l = net.a.resolve(now, "198.18.0.7").unwrap();
    assert_eq!(
        net.a.poll_resolve(l),
        Some(Ok(vec![Ipv4Addr::new(198, 18, 0, 7)]))
    );
    net.exchange();
    assert!(net.log.is_empty(), "nothing was sent");
    // Without a resolver only the hosts table answers.
    let mut bare = SocketsConfig::default();
    bare.hosts.insert("a.test", IpAddr::V4(A_IP)).unwrap();
    let mut net = Net::with_configs(bare, SocketsConfig::default(), 61);
    let l = net.a.resolve(now, "a.test").unwrap();
    assert_eq!(net.a.poll_resolve(l), Some(Ok(vec![A_IP])));
    let e = net.a.resolve(now, "b.test").unwrap_err();
    assert!(matches!(e, Error::Resolve(ResolveError::NoServers { .. })));
}

#[test]
fn a_name_answered_over_udp() {
    let mut net = Net::with_configs(client_config(), SocketsConfig::default(), 62);
    let mut server = Server::new(&mut net);
    let now = net.now;
    let l = net.a.resolve(now, "www.example.test").unwrap();
    assert_eq!(net.a.poll_resolve(l), None);
    let mut result = None;
    let ok = net.run_until(Duration::from_secs(10), |net| {
        server.serve(net, false);
        result = net.a.poll_resolve(l);
        result.is_some()
    });
    assert!(ok);
    assert_eq!(result, Some(Ok(vec![WWW])));
    assert_eq!(server.udp_queries, 2, "A and AAAA");
    assert_eq!(server.tcp_queries, 0);
    // The queries came from the resolver's own ports, not a user socket.
    assert!(
        net.log
            .iter()
            .all(|s| s.udp.is_some_and(|(sp, dp, _)| sp == 53 || dp == 53))
    );
    // Asked again: the cache answers the A question (the NODATA answer
    // to AAAA carried no SOA, so it is not cached, RFC 2308 §5).
    let l = net.a.resolve(net.now, "www.example.test").unwrap();
    let mut result = None;
    assert!(net.run_until(Duration::from_secs(10), |net| {
        server.serve(net, false);
        result = net.a.poll_resolve(l);
        result.is_some()
    }));
    assert_eq!(result, Some(Ok(vec![WWW])));
    assert!(server.udp_queries <= 3, "{} queries", server.udp_queries);
    // The whole answer is there too.
    let l = net
        .a
        .resolve_records(
            net.now,
            "www.example.test",
            LookupKind::Record(RecordType::A),
        )
        .unwrap();
    let answer = net.a.poll_resolve_answer(l).unwrap().unwrap();
    assert_eq!(answer.addresses, vec![IpAddr::V4(WWW)]);
    assert_eq!(net.a.len(), 0, "no socket left behind");
}

#[test]
fn a_truncated_answer_moves_to_tcp() {
    let mut net = Net::with_configs(client_config(), SocketsConfig::default(), 63);
    let mut server = Server::new(&mut net);
    let l = net.a.resolve(net.now, "big.example.test").unwrap();
    let mut result = None;
    let ok = net.run_until(Duration::from_secs(10), |net| {
        server.serve(net, true);
        result = net.a.poll_resolve(l);
        result.is_some()
    });
    assert!(ok);
    assert_eq!(result, Some(Ok(vec![WWW])));
    assert!(server.tcp_queries >= 1);
    assert!(net.a.resolver_stats().unwrap().truncated >= 1);
    assert!(
        net.log
            .iter()
            .any(|s| s.tcp.is_some_and(|t| t.dst_port == 53))
    );
    // The resolver's connections close and are reaped.
    for (fd, _) in &server.conns {
        let now = net.now;
        let _ = net.b.close(now, *fd);
    }
    net.advance(Duration::from_secs(120));
    assert_eq!(net.a.len(), 0);
}

#[test]
fn no_answer_times_out() {
    let mut config = client_config();
    if let Some(r) = config.resolver.as_mut() {
        r.timeout = Duration::from_secs(1);
        r.attempts = 1;
    }
    let mut net = Net::with_configs(config, SocketsConfig::default(), 64);
    let l = net.a.resolve(net.now, "silent.example.test").unwrap();
    net.advance(Duration::from_secs(5));
    let r = net.a.poll_resolve(l).unwrap().unwrap_err();
    assert!(
        matches!(r, Error::Resolve(ResolveError::TimedOut { .. })),
        "{r:?}"
    );
    assert_eq!(r.errno_name(), "EAI_AGAIN");
}

#[test]
fn name_servers_set_later() {
    // No resolver configured: set_nameservers starts one.
    let mut net = Net::new(65);
    let mut server = Server::new(&mut net);
    assert!(net.a.resolve(net.now, "www.example.test").is_err());
    net.a.set_nameservers(&[B_IP]);
    let l = net.a.resolve(net.now, "www.example.test").unwrap();
    let mut result = None;
    assert!(net.run_until(Duration::from_secs(10), |net| {
        server.serve(net, false);
        result = net.a.poll_resolve(l);
        result.is_some()
    }));
    assert_eq!(result, Some(Ok(vec![WWW])));
    // A lookup in flight when the servers change fails instead of hanging.
    let l = net.a.resolve(net.now, "other.example.test").unwrap();
    net.a.set_nameservers(&[Ipv4Addr::new(198, 18, 0, 53)]);
    let r = net.a.poll_resolve(l).unwrap().unwrap_err();
    assert!(matches!(r, Error::Resolve(ResolveError::TimedOut { .. })));
    net.a.cancel_resolve(l);
}
