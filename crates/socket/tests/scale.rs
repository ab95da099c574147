//! Ten thousand connections on one listener, and per-packet work that does
//! not grow with them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::field_reassign_with_default
)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use common::{B_IP, Net};
use strata_core::time::Duration;
use strata_socket::{Fd, SocketKind, SocketsConfig};
use strata_tcp::connection::State;

fn small_config() -> SocketsConfig {
    let mut c = SocketsConfig::default();
    c.tcp.send_buffer = 1024;
    c.tcp.recv_buffer = 1024;
    c.listener.syn_backlog = 2048;
    c.listener.accept_backlog = 2048;
    c
}

/// Opens `n` connections to one listener, accepting as they complete.
fn open(net: &mut Net, n: usize) -> (Fd, Vec<Fd>, Vec<Fd>) {
    net.log_enabled = false;
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b
        .bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        .unwrap();
    net.b.listen(l, 2048).unwrap();
    let mut clients = Vec::with_capacity(n);
    let mut servers = Vec::with_capacity(n);
    while clients.len() < n {
        let batch = (n - clients.len()).min(1000);
        for _ in 0..batch {
            let fd = net.a.socket(SocketKind::Stream).unwrap();
            net.a
                .connect(net.now, fd, SocketAddrV4::new(B_IP, 80))
                .unwrap_err();
            clients.push(fd);
        }
        net.exchange();
        while let Ok((fd, _)) = net.b.accept(l) {
            servers.push(fd);
        }
    }
    net.advance(Duration::from_millis(100));
    while let Ok((fd, _)) = net.b.accept(l) {
        servers.push(fd);
    }
    (l, clients, servers)
}

#[test]
fn ten_thousand_connections_on_one_listener() {
    const N: usize = 10_000;
    let mut net = Net::with_configs(small_config(), small_config(), 50);
    let (_l, clients, servers) = open(&mut net, N);
    assert_eq!(servers.len(), N, "every connection accepted");
    assert_eq!(net.b.len(), N + 1);
    for c in &clients {
        assert_eq!(net.a.tcp_state(*c).unwrap(), State::Established);
    }
    // Each client says who it is; each server socket echoes it back.
    for (i, c) in clients.iter().enumerate() {
        let now = net.now;
        net.a.send(now, *c, &(i as u32).to_be_bytes()).unwrap();
    }
    net.advance(Duration::from_millis(100));
    let mut buf = [0u8; 16];
    for s in &servers {
        let n = net.b.recv(*s, &mut buf).unwrap();
        assert_eq!(n, 4);
        let now = net.now;
        net.b.send(now, *s, &buf[..4]).unwrap();
    }
    net.advance(Duration::from_millis(100));
    let mut seen = vec![false; N];
    for (i, c) in clients.iter().enumerate() {
        let n = net.a.recv(*c, &mut buf).unwrap();
        assert_eq!(n, 4);
        let id = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
        assert_eq!(id, i, "each connection got its own bytes back");
        seen[id] = true;
    }
    assert!(seen.iter().all(|s| *s));
    let per_conn = net.b.memory_estimate() / N;
    eprintln!("memory estimate per connection: {per_conn} bytes (buffers 2 x 1024)");
    assert!(per_conn < 16 * 1024, "{per_conn} bytes per idle connection");

    // Everyone closes; the FIN exchanges and TIME-WAIT run in the
    // background and every connection is reaped.
    for c in &clients {
        let now = net.now;
        net.a.close(now, *c).unwrap();
    }
    net.advance(Duration::from_millis(100));
    for s in &servers {
        let mut buf = [0u8; 4];
        assert_eq!(net.b.recv(*s, &mut buf), Ok(0));
        let now = net.now;
        net.b.close(now, *s).unwrap();
    }
    net.advance(Duration::from_millis(100));
    assert_eq!(net.b.len(), 1, "only the listener");
    assert_eq!(net.a.len(), N, "clients in TIME-WAIT");
    net.advance(Duration::from_secs(61));
    assert_eq!(net.a.len(), 0);
    assert_eq!(net.a.stats().reaped, N as u64);
}

/// Sockets looked at and timers fired on both sides while one segment
/// crosses on an idle connection and its ACK comes back.
fn work_for_one_segment(n: usize) -> (u64, u64) {
    let mut net = Net::with_configs(small_config(), small_config(), 51);
    let (_l, clients, servers) = open(&mut net, n);
    assert_eq!(servers.len(), n);
    net.advance(Duration::from_secs(1));
    let before = (
        net.a.stats().sockets_visited + net.b.stats().sockets_visited,
        net.a.stats().timers_fired + net.b.stats().timers_fired,
    );
    let c = clients[n / 2];
    let now = net.now;
    net.a.send(now, c, b"x").unwrap();
    net.advance(Duration::from_secs(1));
    let mut buf = [0u8; 4];
    assert_eq!(net.b.recv(servers[n / 2], &mut buf), Ok(1));
    (
        net.a.stats().sockets_visited + net.b.stats().sockets_visited - before.0,
        net.a.stats().timers_fired + net.b.stats().timers_fired - before.1,
    )
}

#[test]
fn per_segment_work_is_flat_in_the_number_of_connections() {
    let one = work_for_one_segment(1);
    let many = work_for_one_segment(10_000);
    eprintln!("work for one segment: 1 connection {one:?}, 10,000 connections {many:?}");
    assert_eq!(one, many, "the same sockets are visited");
    assert!(many.0 <= 6 && many.1 <= 4, "{many:?}");
}
