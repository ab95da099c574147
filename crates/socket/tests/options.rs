//! Socket options, and a transfer through the BSD calls over a lossy link.
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
use strata_socket::{Error, Fd, Shutdown, SocketKind, SocketOption};
use strata_tcp::State;

/// A connection from A to B's port 80, established and idle: (A's end,
/// B's end).
fn idle_connection(net: &mut Net) -> (Fd, Fd) {
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b
        .bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        .unwrap();
    net.b.listen(l, 4).unwrap();
    let c = net.a.socket(SocketKind::Stream).unwrap();
    let now = net.now;
    net.a
        .connect(now, c, SocketAddrV4::new(B_IP, 80))
        .unwrap_err();
    net.exchange();
    let (s, _) = net.b.accept(l).unwrap();
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
    (c, s)
}

/// Segments A sent since the log was last cleared.
fn sent_by_a(net: &Net) -> usize {
    net.log.iter().filter(|s| s.from == Side::A).count()
}

#[test]
fn keepalive_enabled_on_an_idle_connection_probes_and_times_out_a_dead_peer() {
    let mut net = Net::new(72);
    let (c, s) = idle_connection(&mut net);
    assert_eq!(net.a.tcp_connection(c).unwrap().config().keepalive, None);
    net.advance(Duration::from_secs(100));
    // The table knows the time from its last poll; set_option uses it.
    assert_eq!(net.a.last_now(), net.now);
    let enabled_at = net.now;
    net.a
        .set_option(c, SocketOption::KeepAlive(Some(Duration::from_secs(60))))
        .unwrap();
    assert_eq!(net.a.poll_at(), Some(enabled_at + Duration::from_secs(60)));

    // Silence until the idle time has passed, then one probe, answered.
    net.log.clear();
    net.advance(Duration::from_secs(59));
    assert_eq!(sent_by_a(&net), 0);
    net.advance(Duration::from_secs(2));
    assert_eq!(sent_by_a(&net), 1);
    let probe = net.log.iter().find(|x| x.from == Side::A).unwrap();
    let probe = probe.tcp.as_ref().unwrap();
    // RFC 9293 §3.8.4: SEG.SEQ = SND.NXT-1, so the peer must answer.
    assert_eq!(
        probe.seq.wrapping_add(1),
        net.a.tcp_connection(c).unwrap().snd_nxt()
    );
    assert!(net.log.iter().any(|x| x.from == Side::B));
    assert_eq!(net.a.tcp_stats(c).unwrap().keepalive_probes, 1);
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);

    // The peer dies: nothing it sends arrives any more. The default
    // keepalive (interval 75 s, 9 probes) gives up after 60 s + 9 x 75 s.
    net.filter = Some(Box::new(|x| x.from != Side::B));
    net.log.clear();
    net.advance(Duration::from_secs(60 + 9 * 75 + 60));
    assert_eq!(sent_by_a(&net), 9, "nine probes");
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Closed);
    let err = net.a.recv(c, &mut [0u8; 8]).unwrap_err();
    assert_eq!(err, Error::TimedOut);
    assert_eq!(err.errno_name(), "ETIMEDOUT");
    // B never knew (it heard the probes but its answers were lost).
    assert_eq!(net.b.tcp_state(s).unwrap(), State::Established);
}

#[test]
fn keepalive_set_at_an_explicit_time_and_turned_off_again() {
    let mut net = Net::new(73);
    let (c, _s) = idle_connection(&mut net);
    let t = net.now + Duration::from_secs(5);
    net.a
        .set_option_at(t, c, SocketOption::KeepAlive(Some(Duration::from_secs(30))))
        .unwrap();
    assert_eq!(net.a.last_now(), t);
    assert_eq!(net.a.poll_at(), Some(t + Duration::from_secs(30)));
    // Setting the same value keeps the timer where it was.
    net.a
        .set_option_at(
            t + Duration::from_secs(10),
            c,
            SocketOption::KeepAlive(Some(Duration::from_secs(30))),
        )
        .unwrap();
    assert_eq!(net.a.poll_at(), Some(t + Duration::from_secs(30)));
    // Off: no timer, no probes however long it stays idle.
    net.a.set_option(c, SocketOption::KeepAlive(None)).unwrap();
    assert_eq!(net.a.poll_at(), None);
    net.log.clear();
    net.advance(Duration::from_secs(3600));
    assert_eq!(sent_by_a(&net), 0);
    assert_eq!(net.a.tcp_state(c).unwrap(), State::Established);
}

#[test]
fn options_shape_new_connections() {
    let mut net = Net::new(70);
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b
        .bind(l, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80))
        .unwrap();
    net.b.set_option(l, SocketOption::RecvBuffer(8192)).unwrap();
    net.b.set_option(l, SocketOption::NoDelay(true)).unwrap();
    net.b.listen(l, 4).unwrap();
    assert_eq!(
        net.b.set_option(l, SocketOption::RecvBuffer(4096)),
        Err(Error::Unsupported)
    );

    let c = net.a.socket(SocketKind::Stream).unwrap();
    net.a.set_option(c, SocketOption::NoDelay(true)).unwrap();
    net.a
        .set_option(c, SocketOption::SendBuffer(16 * 1024))
        .unwrap();
    net.a
        .set_option(c, SocketOption::KeepAlive(Some(Duration::from_secs(30))))
        .unwrap();
    net.a.set_option(c, SocketOption::Ttl(7)).unwrap();
    assert_eq!(net.a.options(c).unwrap().ttl, 7);
    net.a
        .connect(net.now, c, SocketAddrV4::new(B_IP, 80))
        .unwrap_err();
    net.exchange();
    let config = *net.a.tcp_connection(c).unwrap().config();
    assert!(!config.nagle);
    assert_eq!(config.send_buffer, 16 * 1024);
    assert_eq!(config.keepalive.unwrap().idle, Duration::from_secs(30));
    assert!(
        net.log
            .iter()
            .filter(|s| s.from == Side::A)
            .all(|s| s.transmit.ttl == 7)
    );
    assert!(
        net.log
            .iter()
            .filter(|s| s.from == Side::B)
            .all(|s| s.transmit.ttl == 64)
    );
    assert!(net.log.iter().all(|s| s.transmit.dont_fragment));

    // Accepted connections inherit the listener's options.
    let (s, _) = net.b.accept(l).unwrap();
    let accepted = *net.b.tcp_connection(s).unwrap().config();
    assert_eq!(accepted.recv_buffer, 8192);
    assert!(!accepted.nagle);
    assert!(net.b.options(s).unwrap().no_delay);

    // A live connection takes Nagle, keepalive and buffer changes at
    // once.
    assert_eq!(net.a.set_option(c, SocketOption::NoDelay(true)), Ok(()));
    assert_eq!(net.a.set_option(c, SocketOption::NoDelay(false)), Ok(()));
    assert!(net.a.tcp_connection(c).unwrap().config().nagle);
    net.a
        .set_option(c, SocketOption::RecvBuffer(32 * 1024))
        .unwrap();
    assert_eq!(
        net.a
            .set_option(c, SocketOption::KeepAlive(Some(Duration::from_secs(30)))),
        Ok(())
    );
    assert_eq!(
        net.a
            .set_option(c, SocketOption::KeepAlive(Some(Duration::from_secs(60)))),
        Ok(())
    );
    assert_eq!(
        net.a
            .tcp_connection(c)
            .unwrap()
            .config()
            .keepalive
            .unwrap()
            .idle,
        Duration::from_secs(60)
    );
    assert_eq!(
        net.a
            .set_option(c, SocketOption::KeepAlive(Some(Duration::ZERO))),
        Err(Error::InvalidInput)
    );
    assert_eq!(
        net.a.set_option(c, SocketOption::SendBuffer(0)),
        Err(Error::InvalidInput)
    );
    // The TTL changes at once.
    net.a.set_option(c, SocketOption::Ttl(9)).unwrap();
    let now = net.now;
    net.a.send(now, c, b"x").unwrap();
    net.log.clear();
    net.exchange();
    assert_eq!(
        net.log
            .iter()
            .find(|s| s.from == Side::A)
            .unwrap()
            .transmit
            .ttl,
        9
    );
}

#[test]
fn bulk_transfer_under_loss_is_byte_exact() {
    let mut net = Net::new(71);
    net.log_enabled = false;
    net.loss = 50; // 5 % each way
    let l = net.b.socket(SocketKind::Stream).unwrap();
    net.b.bind(l, SocketAddrV4::new(B_IP, 80)).unwrap();
    net.b.listen(l, 4).unwrap();
    let c = net.a.socket(SocketKind::Stream).unwrap();
    net.a
        .connect(net.now, c, SocketAddrV4::new(B_IP, 80))
        .unwrap_err();
    let mut server = None;
    assert!(net.run_until(Duration::from_secs(60), |net| {
        if let Ok((fd, _)) = net.b.accept(l) {
            server = Some(fd);
        }
        server.is_some() && net.a.readiness(c).unwrap().writable
    }));
    let s = server.unwrap();
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut sent = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    let mut shut = false;
    let ok = net.run_until(Duration::from_secs(600), |net| {
        let now = net.now;
        while sent < data.len() {
            match net.a.send(now, c, &data[sent..]) {
                Ok(n) => sent += n,
                Err(Error::WouldBlock) => break,
                Err(e) => panic!("send: {e}"),
            }
        }
        if sent == data.len() && !shut {
            net.a.shutdown(now, c, Shutdown::Write).unwrap();
            shut = true;
        }
        loop {
            match net.b.recv(s, &mut buf) {
                Ok(0) => return true,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(Error::WouldBlock) => return false,
                Err(e) => panic!("recv: {e}"),
            }
        }
    });
    assert!(ok, "received {} of {}", got.len(), data.len());
    assert!(got == data, "byte-exact");
    assert!(net.dropped > 0);
    assert!(net.a.tcp_stats(c).unwrap().retransmissions > 0);
}

/// A host derives its MSS from the MTU it sends on (RFC 9293 §3.7.1), so
/// a jumbo-frame link carries jumbo segments; `SocketsConfig::tcp.mss`
/// only caps it.
#[test]
fn mss_follows_the_mtu_and_the_config_caps_it() {
    for (mtu, cap, expected) in [
        (1500, None, 1460),
        (9000, None, 8960),
        (9000, Some(4000), 4000),
        (576, None, 536),
    ] {
        let mut ca = strata_socket::SocketsConfig::default();
        if let Some(cap) = cap {
            ca.tcp.mss = cap;
        }
        let mut net = Net::with_configs(ca, strata_socket::SocketsConfig::default(), 71);
        net.a.set_mtu(mtu);
        net.b.set_mtu(mtu);
        let l = net.b.socket(SocketKind::Stream).unwrap();
        net.b.bind(l, SocketAddrV4::new(B_IP, 80)).unwrap();
        net.b.listen(l, 4).unwrap();
        let c = net.a.socket(SocketKind::Stream).unwrap();
        net.a
            .connect(net.now, c, SocketAddrV4::new(B_IP, 80))
            .unwrap_err();
        net.exchange();
        let (s, _) = net.b.accept(l).unwrap();
        let client = net.a.tcp_connection(c).unwrap();
        assert_eq!(client.config().mss, expected, "MTU {mtu}, cap {cap:?}");
        // Both ends use timestamps: 12 option bytes in every segment.
        let payload = usize::from(expected) - 12;
        assert_eq!(client.send_mss(), payload);
        assert_eq!(
            net.b.tcp_connection(s).unwrap().send_mss(),
            payload,
            "the server sends what the client offered"
        );
    }
}
