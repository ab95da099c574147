//! TCP through the BSD calls: two socket tables talking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default
)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use common::{B_IP, Net, Side};
use strata_core::time::Duration;
use strata_socket::{Error, Shutdown, SocketKind, SocketOption, SocketsConfig};
use strata_tcp::Flags;
use strata_tcp::connection::State;

fn listen(net: &mut Net, port: u16, backlog: usize) -> strata_socket::Fd {
    let fd = net.b.socket(SocketKind::Stream).unwrap();
    net.b
        .bind(fd, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
        .unwrap();
    net.b.listen(fd, backlog).unwrap();
    fd
}

fn connect(net: &mut Net, port: u16) -> strata_socket::Fd {
    let fd = net.a.socket(SocketKind::Stream).unwrap();
    let now = net.now;
    assert_eq!(
        net.a.connect(now, fd, SocketAddrV4::new(B_IP, port)),
        Err(Error::InProgress)
    );
    fd
}

#[test]
fn connect_accept_transfer_close() {
    let mut net = Net::new(1);
    let l = listen(&mut net, 80, 8);
    let c = connect(&mut net, 80);
    assert_eq!(net.a.tcp_state(c).unwrap(), State::SynSent);
    assert!(!net.a.readiness(c).unwrap().writable);
    assert_eq!(net.b.accept(l), Err(Error::WouldBlock));
    net.exchange();
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
    assert!(net.a.readiness(c).unwrap().writable);
    assert!(net.b.readiness(l).unwrap().readable);

    let (s, peer) = net.b.accept(l).unwrap();
    assert_ne!(s, l);
    assert_eq!(peer, net.a.local_addr(c).unwrap());
    assert_eq!(net.b.peer_addr(s).unwrap(), peer);
    assert_eq!(net.b.local_addr(s).unwrap(), SocketAddrV4::new(B_IP, 80));
    assert_eq!(net.a.peer_addr(c).unwrap(), SocketAddrV4::new(B_IP, 80));
    assert_eq!(net.b.accept(l), Err(Error::WouldBlock));

    // Data both ways, more than one segment's worth.
    let request: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let now = net.now;
    assert_eq!(net.a.send(now, c, &request).unwrap(), request.len());
    net.advance(Duration::from_millis(200));
    let mut got = vec![0u8; 10_000];
    let n = net.b.recv(s, &mut got).unwrap();
    assert_eq!(&got[..n], &request[..]);
    assert_eq!(net.b.recv(s, &mut got), Err(Error::WouldBlock));
    let now = net.now;
    net.b.send(now, s, b"response").unwrap();
    net.advance(Duration::from_millis(200));
    let n = net.a.recv(c, &mut got).unwrap();
    assert_eq!(&got[..n], b"response");

    // Client closes first: it ends in TIME-WAIT, the server in CLOSED.
    let now = net.now;
    net.a.close(now, c).unwrap();
    assert_eq!(net.a.readiness(c), Err(Error::BadDescriptor));
    net.advance(Duration::from_millis(200));
    assert_eq!(net.b.recv(s, &mut got), Ok(0));
    assert!(net.b.readiness(s).unwrap().readable);
    let now = net.now;
    net.b.close(now, s).unwrap();
    net.advance(Duration::from_millis(200));
    assert_eq!(net.a.len(), 1, "the closed client lingers in TIME-WAIT");
    let row = net.a.sockets().next().unwrap();
    assert_eq!((row.fd, row.state), (None, Some(State::TimeWait)));
    assert_eq!(row.peer, Some(SocketAddrV4::new(B_IP, 80)));
    assert_eq!(net.b.len(), 1, "only the listener is left");
    net.advance(Duration::from_secs(61));
    assert_eq!(net.a.len(), 0, "TIME-WAIT ended and the orphan was reaped");
    assert_eq!(net.a.stats().reaped, 1);
    assert_eq!(net.b.stats().reaped, 1);
    assert_eq!(
        net.count_flag(Side::A, Flags::RST) + net.count_flag(Side::B, Flags::RST),
        0
    );
}

#[test]
fn descriptors_are_reused_lowest_first() {
    let mut net = Net::new(2);
    let a = net.a.socket(SocketKind::Stream).unwrap();
    let b = net.a.socket(SocketKind::Datagram).unwrap();
    assert_eq!(a.to_string(), "fd 3");
    assert_eq!(b.as_raw(), 4);
    let now = net.now;
    net.a.close(now, a).unwrap();
    assert_eq!(net.a.close(now, a), Err(Error::BadDescriptor));
    let c = net.a.socket(SocketKind::Stream).unwrap();
    assert_eq!(c, a);
    assert_eq!(net.a.kind(c).unwrap(), SocketKind::Stream);
}

#[test]
fn refused_connect_reports_econnrefused() {
    let mut net = Net::new(3);
    let c = connect(&mut net, 81);
    net.exchange();
    assert_eq!(net.count_flag(Side::B, Flags::RST), 1);
    let r = net.a.readiness(c).unwrap();
    assert!(r.error && !r.writable && r.hangup);
    let e = net.a.take_error(c).unwrap().unwrap();
    assert_eq!(e, Error::ConnectionRefused);
    assert_eq!(e.errno_name(), "ECONNREFUSED");
    assert_eq!(net.a.take_error(c).unwrap(), None);
    assert!(!net.a.readiness(c).unwrap().error);
    let now = net.now;
    assert_eq!(net.a.send(now, c, b"x"), Err(Error::ConnectionRefused));
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Closed);
}

#[test]
fn connect_times_out() {
    let mut config = SocketsConfig::default();
    config.tcp.syn_retries = 2;
    let mut net = Net::with_configs(config, SocketsConfig::default(), 4);
    let c = net.a.socket(SocketKind::Stream).unwrap();
    let nowhere = SocketAddrV4::new(Ipv4Addr::new(198, 18, 9, 9), 80);
    assert_eq!(net.a.connect(net.now, c, nowhere), Err(Error::InProgress));
    assert_eq!(
        net.a.connect(net.now, c, nowhere),
        Err(Error::AlreadyInProgress)
    );
    net.advance(Duration::from_secs(2));
    assert!(!net.a.readiness(c).unwrap().error);
    net.advance(Duration::from_secs(10));
    assert_eq!(net.count_flag(Side::A, Flags::SYN), 3);
    assert!(net.a.readiness(c).unwrap().error);
    assert_eq!(net.a.take_error(c).unwrap(), Some(Error::TimedOut));
    assert_eq!(net.a.poll_at(), None, "nothing left to time");
}

#[test]
fn listen_backlog_and_many_clients() {
    let mut net = Net::new(5);
    let l = listen(&mut net, 8080, 4);
    let clients: Vec<_> = (0..20).map(|_| connect(&mut net, 8080)).collect();
    net.exchange();
    // Only the backlog's worth completed into the accept queue; the other
    // clients' last ACKs were dropped and are completed later.
    let listener = net.b.listener_stats(l).unwrap();
    assert!(listener.accepted == 0);
    let mut accepted = Vec::new();
    let ok = net.run_until(Duration::from_secs(120), |net| {
        while let Ok((fd, _)) = net.b.accept(l) {
            accepted.push(fd);
        }
        accepted.len() == clients.len()
    });
    assert!(ok, "accepted {} of {}", accepted.len(), clients.len());
    let mut fds = accepted.clone();
    fds.sort();
    fds.dedup();
    assert_eq!(fds.len(), clients.len(), "a new descriptor per connection");
    // Each accepted socket talks to its own client.
    for (i, c) in clients.iter().enumerate() {
        let now = net.now;
        net.a.send(now, *c, &[i as u8; 3]).unwrap();
    }
    net.advance(Duration::from_millis(100));
    let mut seen = Vec::new();
    for fd in &accepted {
        let mut buf = [0u8; 8];
        let n = net.b.recv(*fd, &mut buf).unwrap();
        assert_eq!(n, 3);
        assert!(buf[..3].iter().all(|b| *b == buf[0]));
        let peer = net.b.peer_addr(*fd).unwrap();
        let client = clients[buf[0] as usize];
        assert_eq!(peer, net.a.local_addr(client).unwrap());
        seen.push(buf[0]);
    }
    seen.sort();
    assert_eq!(seen, (0..20).collect::<Vec<u8>>());
}

#[test]
fn half_close_keeps_receiving() {
    let mut net = Net::new(6);
    let l = listen(&mut net, 9000, 4);
    let c = connect(&mut net, 9000);
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    let now = net.now;
    net.a.send(now, c, b"question").unwrap();
    net.a.shutdown(now, c, Shutdown::Write).unwrap();
    assert_eq!(net.a.send(now, c, b"more"), Err(Error::BrokenPipe));
    net.advance(Duration::from_millis(100));
    assert_eq!(net.a.tcp_state(c).unwrap(), State::FinWait2);
    let mut buf = [0u8; 64];
    let n = net.b.recv(s, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"question");
    assert_eq!(
        net.b.recv(s, &mut buf),
        Ok(0),
        "end of stream after the FIN"
    );
    // The server still answers over its open half.
    let now = net.now;
    assert!(net.b.readiness(s).unwrap().writable);
    net.b.send(now, s, b"answer").unwrap();
    net.advance(Duration::from_millis(100));
    let n = net.a.recv(c, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"answer");
    assert!(!net.a.readiness(c).unwrap().hangup);
    let now = net.now;
    net.b.close(now, s).unwrap();
    net.advance(Duration::from_millis(100));
    assert_eq!(net.a.recv(c, &mut buf), Ok(0));
    let r = net.a.readiness(c).unwrap();
    assert!(r.readable && r.hangup && !r.error);
    assert_eq!(net.a.tcp_state(c).unwrap(), State::TimeWait);
}

#[test]
fn close_with_unread_data_sends_rst() {
    let mut net = Net::new(7);
    let l = listen(&mut net, 7000, 4);
    let c = connect(&mut net, 7000);
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    let now = net.now;
    net.a.send(now, c, b"never read").unwrap();
    net.advance(Duration::from_millis(100));
    assert!(net.b.readiness(s).unwrap().readable);
    let now = net.now;
    net.b.close(now, s).unwrap();
    net.exchange();
    assert_eq!(net.count_flag(Side::B, Flags::RST), 1);
    assert_eq!(net.count_flag(Side::B, Flags::FIN), 0);
    let r = net.a.readiness(c).unwrap();
    assert!(r.error && r.hangup);
    let mut buf = [0u8; 8];
    assert_eq!(net.a.recv(c, &mut buf), Err(Error::ConnectionReset));
    assert_eq!(net.b.len(), 1, "the reset connection was reaped at once");
}

#[test]
fn linger_zero_resets() {
    let mut net = Net::new(8);
    let l = listen(&mut net, 7001, 4);
    let c = connect(&mut net, 7001);
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    net.a
        .set_option(c, SocketOption::Linger(Some(Duration::ZERO)))
        .unwrap();
    let now = net.now;
    net.a.close(now, c).unwrap();
    net.exchange();
    assert_eq!(net.count_flag(Side::A, Flags::RST), 1);
    assert_eq!(net.b.take_error(s).unwrap(), Some(Error::ConnectionReset));
    assert_eq!(net.a.len(), 0);
}

#[test]
fn orphan_that_never_finishes_is_aborted() {
    let mut config = SocketsConfig::default();
    config.orphan_timeout = Duration::from_secs(5);
    let mut net = Net::with_configs(config, SocketsConfig::default(), 9);
    let l = listen(&mut net, 7002, 4);
    let c = connect(&mut net, 7002);
    net.exchange();
    let (_s, _) = net.b.accept(l).unwrap();
    let now = net.now;
    net.a.close(now, c).unwrap();
    // The server never closes: the client sits in FIN-WAIT-2.
    net.advance(Duration::from_secs(1));
    assert_eq!(net.a.len(), 1);
    net.advance(Duration::from_secs(5));
    assert_eq!(net.a.len(), 0, "aborted after orphan_timeout");
    assert_eq!(net.count_flag(Side::A, Flags::RST), 1);
}

#[test]
fn listener_close_resets_unaccepted() {
    let mut net = Net::new(10);
    let l = listen(&mut net, 7003, 4);
    let c = connect(&mut net, 7003);
    net.exchange();
    let now = net.now;
    net.b.close(now, l).unwrap();
    net.exchange();
    assert_eq!(net.a.take_error(c).unwrap(), Some(Error::ConnectionReset));
    assert_eq!(net.b.len(), 0);
    // The port is free again.
    let l2 = listen(&mut net, 7003, 4);
    assert_eq!(net.b.tcp_state(l2).unwrap(), State::Listen);
}

#[test]
fn readiness_transitions() {
    let mut net = Net::new(11);
    let l = listen(&mut net, 7004, 4);
    let c = net.a.socket(SocketKind::Stream).unwrap();
    let r = net.a.readiness(c).unwrap();
    assert!(!r.readable && !r.writable && !r.error);
    assert!(!net.b.readiness(l).unwrap().readable);
    assert_eq!(
        net.a.connect(net.now, c, SocketAddrV4::new(B_IP, 7004)),
        Err(Error::InProgress)
    );
    let r = net.a.readiness(c).unwrap();
    assert!(!r.readable && !r.writable);
    net.exchange();
    let r = net.a.readiness(c).unwrap();
    assert!(!r.readable && r.writable && !r.hangup);
    assert!(net.b.readiness(l).unwrap().readable);
    let (s, _) = net.b.accept(l).unwrap();
    assert!(!net.b.readiness(l).unwrap().readable);
    let now = net.now;
    net.b.send(now, s, b"x").unwrap();
    net.advance(Duration::from_millis(50));
    assert!(net.a.readiness(c).unwrap().readable);
    let mut buf = [0u8; 4];
    assert_eq!(net.a.recv(c, &mut buf), Ok(1));
    assert!(!net.a.readiness(c).unwrap().readable);
    // Fill the send buffer: not writable until the peer reads.
    let big = vec![7u8; 200_000];
    let now = net.now;
    let mut sent = 0;
    while let Ok(n) = net.a.send(now, c, &big) {
        sent += n;
    }
    assert_eq!(sent, 64 * 1024);
    assert!(!net.a.readiness(c).unwrap().writable);
    net.advance(Duration::from_millis(50));
    let mut sink = vec![0u8; 1 << 20];
    let mut total = 0;
    let ok = net.run_until(Duration::from_secs(5), |net| {
        while let Ok(n) = net.b.recv(s, &mut sink) {
            total += n;
        }
        total == sent
    });
    assert!(ok);
    assert!(net.a.readiness(c).unwrap().writable);
    // Peer FIN: readable (EOF) but not hung up until we shut our side.
    let now = net.now;
    net.b.shutdown(now, s, Shutdown::Write).unwrap();
    net.advance(Duration::from_millis(50));
    let r = net.a.readiness(c).unwrap();
    assert!(r.readable && r.writable && !r.hangup);
    let now = net.now;
    net.a.shutdown(now, c, Shutdown::Write).unwrap();
    net.advance(Duration::from_millis(50));
    let r = net.a.readiness(c).unwrap();
    assert!(r.readable && !r.writable && r.hangup);
}

#[test]
fn shutdown_read_reports_end() {
    let mut net = Net::new(12);
    let l = listen(&mut net, 7005, 4);
    let c = connect(&mut net, 7005);
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    let now = net.now;
    net.b.send(now, s, b"data").unwrap();
    net.advance(Duration::from_millis(50));
    net.a.shutdown(now, c, Shutdown::Read).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(net.a.recv(c, &mut buf), Ok(0));
    assert_eq!(
        net.a
            .shutdown(now, strata_socket::Fd::from_raw(99), Shutdown::Read),
        Err(Error::BadDescriptor)
    );
    assert_eq!(
        net.b.shutdown(now, l, Shutdown::Read),
        Err(Error::NotConnected)
    );
}
