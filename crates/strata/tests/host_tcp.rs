//! TCP between whole hosts through the blocking layer: connect, accept,
//! transfer and close reading like std::net code; refusal; many
//! connections on one listener.

mod host_common;

use std::io::{ErrorKind, Read, Write};

use host_common::{config, ip, pair_net, pair_net_with, sa};
use strata::net::{TcpListener, TcpStream};
use strata_core::time::Duration;
use strata_socket::SocketKind;

#[test]
fn connect_accept_transfer_close() {
    let (net, a, b) = pair_net(1500);
    let listener = TcpListener::bind(&b, sa(2, 8080)).unwrap();
    let mut client = TcpStream::connect(&a, sa(2, 8080)).unwrap();
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(server.peer_addr().unwrap(), peer);
    assert_eq!(client.peer_addr().unwrap(), sa(2, 8080));
    assert_eq!(*peer.ip(), ip(1));

    // 300 kB each way, in pieces, the way an application would.
    let up: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let down: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    let mut got_up = Vec::new();
    let mut got_down = Vec::new();
    let mut sent_up = 0;
    let mut sent_down = 0;
    let mut buf = vec![0u8; 16 * 1024];
    while got_up.len() < up.len() || got_down.len() < down.len() {
        if sent_up < up.len() {
            sent_up += client
                .write(&up[sent_up..(sent_up + 20_000).min(up.len())])
                .unwrap();
        }
        if sent_down < down.len() {
            sent_down += server
                .write(&down[sent_down..(sent_down + 20_000).min(down.len())])
                .unwrap();
        }
        if got_up.len() < sent_up {
            let n = server.read(&mut buf).unwrap();
            got_up.extend_from_slice(&buf[..n]);
        }
        if got_down.len() < sent_down {
            let n = client.read(&mut buf).unwrap();
            got_down.extend_from_slice(&buf[..n]);
        }
    }
    assert!(got_up == up);
    assert!(got_down == down);

    // Orderly close: the client shuts down writing, the server sees EOF,
    // answers with its own close, and the client sees EOF too.
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    server.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    drop(server);
    let n = client.read(&mut buf).unwrap();
    assert_eq!(n, 0);
    assert_eq!(client.tcp_state().unwrap(), strata_tcp::State::TimeWait);
    drop(client);
    // After TIME-WAIT (2 MSL) everything is gone.
    net.run_for(Duration::from_secs(300)).unwrap();
    let a_sockets = net.with_interface(&a, |i, _| i.sockets().len()).unwrap();
    let b_sockets = net.with_interface(&b, |i, _| i.sockets().len()).unwrap();
    assert_eq!(a_sockets, 0);
    assert_eq!(b_sockets, 1, "only the listener is left");
}

#[test]
fn connect_to_a_closed_port_is_refused() {
    let (_net, a, _b) = pair_net(1500);
    let err = TcpStream::connect(&a, sa(2, 81)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn connect_to_a_silent_address_fails_with_host_unreachable() {
    let (_net, a, _b) = pair_net(1500);
    let err = TcpStream::connect(&a, sa(50, 80)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{err}");
}

#[test]
fn incoming_serves_connections_in_order() {
    let (_net, a, b) = pair_net(1500);
    let listener = TcpListener::bind(&b, sa(2, 7)).unwrap();
    let mut clients: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&a, sa(2, 7)).unwrap())
        .collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&[i as u8; 3]).unwrap();
    }
    for (i, stream) in listener.incoming().take(3).enumerate() {
        let mut stream = stream.unwrap();
        let mut buf = [0u8; 3];
        stream.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [i as u8; 3]);
        stream.write_all(&buf).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let mut buf = [0u8; 3];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [i as u8; 3]);
    }
}

/// 10,000 connections open at once on one listener, each carrying a
/// request and an answer; then all closed. Per-packet cost must not grow
/// with the number of sockets, which the wall-clock bound checks coarsely.
#[test]
fn ten_thousand_concurrent_connections_on_one_listener() {
    const N: usize = 10_000;
    let started = std::time::Instant::now();
    let mut ca = config(1);
    let mut cb = config(2);
    cb.sockets.listener.accept_backlog = N;
    cb.sockets.listener.syn_backlog = N;
    ca.arp.queue_per_neighbour = N;
    let (net, a, b) = pair_net_with(ca, cb, 1500);
    let listener = TcpListener::bind_with_backlog(&b, sa(2, 80), N).unwrap();

    // Open all of them without blocking, as an event loop would.
    let fds: Vec<_> = net
        .with_interface(&a, |i, now| {
            let s = i.sockets();
            (0..N)
                .map(|_| {
                    let fd = s.socket(SocketKind::Stream).unwrap();
                    match s.connect(now, fd, sa(2, 80)) {
                        Ok(()) | Err(strata_socket::Error::InProgress) => {}
                        Err(e) => panic!("connect: {e}"),
                    }
                    fd
                })
                .collect()
        })
        .unwrap();
    let all_up = net
        .run_until(Duration::from_secs(60), |net| {
            net.with_interface(&a, |i, _| {
                fds.iter()
                    .all(|fd| i.sockets().readiness(*fd).unwrap().writable)
            })
            .unwrap()
        })
        .unwrap();
    assert!(all_up, "every connection established");

    let mut accepted = Vec::with_capacity(N);
    for _ in 0..N {
        accepted.push(listener.accept().unwrap());
    }
    assert_eq!(
        net.with_interface(&b, |i, _| i.sockets().len()).unwrap(),
        N + 1
    );
    let mut clients: Vec<TcpStream> = fds.iter().map(|fd| TcpStream::from_fd(&a, *fd)).collect();

    // Every client sends its index; every server stream echoes it.
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(&(i as u32).to_be_bytes()).unwrap();
    }
    for (s, _) in accepted.iter_mut() {
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).unwrap();
        s.write_all(&buf).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let mut buf = [0u8; 4];
        c.read_exact(&mut buf).unwrap();
        assert_eq!(u32::from_be_bytes(buf), i as u32);
    }
    drop(clients);
    drop(accepted);
    net.run_for(Duration::from_secs(300)).unwrap();
    assert_eq!(net.with_interface(&a, |i, _| i.sockets().len()).unwrap(), 0);
    assert_eq!(net.with_interface(&b, |i, _| i.sockets().len()).unwrap(), 1);
    let elapsed = started.elapsed();
    eprintln!("10,000 connections: {elapsed:?} wall clock");
    assert!(
        elapsed < std::time::Duration::from_secs(60),
        "took {elapsed:?}"
    );
}

#[test]
fn keepalive_enabled_on_a_live_connection_probes_then_times_out_a_dead_peer() {
    let (net, a, b) = pair_net(1500);
    let listener = TcpListener::bind(&b, sa(2, 80)).unwrap();
    let mut client = TcpStream::connect(&a, sa(2, 80)).unwrap();
    let (_server, _) = listener.accept().unwrap();
    net.run_for(Duration::from_secs(30)).unwrap();

    // Turned on while established and idle: the first probe comes one
    // idle time later.
    let fd = client.fd();
    client.set_keepalive(Some(Duration::from_secs(60))).unwrap();
    let probes = |net: &strata::net::SimNet| {
        net.with_interface(&a, |i, _| {
            i.sockets_ref().tcp_stats(fd).unwrap().keepalive_probes
        })
        .unwrap()
    };
    net.run_for(Duration::from_secs(59)).unwrap();
    assert_eq!(probes(&net), 0);
    net.run_for(Duration::from_secs(2)).unwrap();
    assert_eq!(probes(&net), 1);
    // Answered: still up, and the next probe a full idle time later.
    net.run_for(Duration::from_secs(50)).unwrap();
    assert_eq!(probes(&net), 1);
    assert_eq!(client.tcp_state().unwrap(), strata_tcp::State::Established);

    // The peer goes dead: it loses its route, so none of its answers
    // leave it.
    net.with_interface(&b, |i, _| {
        i.routes().remove("198.18.0.0/24".parse().unwrap())
    })
    .unwrap()
    .unwrap();
    let dead_at = net.now();
    let mut buf = [0u8; 16];
    let err = client.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(client.tcp_state().unwrap(), strata_tcp::State::Closed);
    // Ten probes in all (one answered, nine not); given up one interval
    // after the last, within the idle time plus nine intervals.
    assert_eq!(probes(&net), 10);
    let waited = net.now() - dead_at;
    assert!(
        waited <= Duration::from_secs(60 + 9 * 75),
        "gave up after {waited:?}"
    );
    assert!(
        waited >= Duration::from_secs(9 * 75),
        "gave up after {waited:?}"
    );
}
