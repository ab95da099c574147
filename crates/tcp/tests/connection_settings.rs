//! Settings changed on a live connection: the send MSS after ICMP
//! "fragmentation needed" (RFC 1191), Nagle, keepalive and buffer sizes.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::{Config, KeepAlive, MIN_PATH_MSS};
use strata_tcp::{Connection, Error, Event, Flags};

fn cfg() -> Config {
    Config::default()
}

/// Runs both ends to quiescence as `run` does, but drops A's segments
/// longer than `mtu_at(now)` (IPv4 header included) on the way, as a
/// router on a narrower path would; returns the segments B received.
fn run_through_router(
    a: &mut Connection,
    b: &mut Connection,
    from: Instant,
    until: Instant,
    mtu: usize,
    mut app: impl FnMut(&mut Connection, &mut Connection),
) -> (Instant, Vec<Seg>, usize) {
    let mut now = from;
    let mut received = Vec::new();
    let mut dropped = 0;
    loop {
        for _ in 0..100_000 {
            app(a, b);
            let from_a = drain(a, now);
            let from_b = drain(b, now);
            if from_a.is_empty() && from_b.is_empty() {
                break;
            }
            for s in from_a {
                if s.bytes.len() + 20 > mtu {
                    dropped += 1;
                    continue;
                }
                deliver(b, now, &s);
                received.push(s);
            }
            for s in from_b {
                deliver(a, now, &s);
            }
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => {
                now = now.max(t);
                a.handle_timeout(now);
                b.handle_timeout(now);
            }
            _ => return (now, received, dropped),
        }
    }
}

#[test]
fn path_mtu_lowers_the_send_mss_and_the_transfer_continues() {
    // RFC 1191 §6.3: on "fragmentation needed", segments are cut to the
    // reported MTU; the data in flight that the router dropped is sent
    // again in smaller segments and nothing is lost.
    let (mut a, mut b) = established(cfg(), cfg());
    assert_eq!(a.send_mss(), 1448);
    let data = pattern(300_000, 7);
    let limit = std::cell::Cell::new(100_000);
    let mut sent = 0;
    let mut got = Vec::new();
    let mut app = |a: &mut Connection, b: &mut Connection| {
        while sent < limit.get() {
            match a.send(&data[sent..limit.get()]) {
                Ok(n) if n > 0 => sent += n,
                _ => break,
            }
        }
        got.extend(read_all(b));
    };
    // A first part on the full path.
    let (now, before, dropped) =
        run_through_router(&mut a, &mut b, ms(0), ms(1000), 1500, &mut app);
    assert_eq!(dropped, 0);
    assert!(before.iter().any(|s| s.payload().len() == 1448));
    // Then the path narrows to 1000 bytes with a window of data in
    // flight: the router drops it all and reports the first.
    limit.set(data.len());
    app(&mut a, &mut b);
    let in_flight = drain(&mut a, now);
    assert!(in_flight.len() > 4);
    assert!(in_flight.iter().all(|s| s.bytes.len() + 20 > 1000));
    a.set_path_mtu(1000);
    // 1000 - 40 of headers - 12 of timestamps option.
    assert_eq!(a.send_mss(), 948);
    let (_, after, dropped) = run_through_router(&mut a, &mut b, now, ms(600_000), 1000, &mut app);
    assert_eq!(dropped, 0, "every segment after the ICMP fits the path");
    assert!(after.iter().all(|s| s.bytes.len() + 20 <= 1000));
    assert!(after.iter().filter(|s| s.payload().len() == 948).count() > 100);
    got.extend(read_all(&mut b));
    assert_eq!(sent, data.len());
    assert_eq!(got.len(), data.len());
    assert!(got == data, "stream corrupted");
}

#[test]
fn queued_data_is_resegmented_when_it_is_retransmitted() {
    // Full-sized segments sent before the ICMP; all lost. Their
    // retransmissions are cut to the new MSS.
    let (mut a, mut b) = established(cfg(), cfg());
    let data = pattern(4 * 1448, 3);
    a.send(&data).unwrap();
    let lost = drain(&mut a, ms(0));
    assert!(lost.iter().all(|s| s.payload().len() == 1448));
    a.set_path_mtu(576);
    let (_, got, dropped) = run_through_router(&mut a, &mut b, ms(0), ms(60_000), 576, |_, _| {});
    assert_eq!(dropped, 0);
    assert!(got.iter().all(|s| s.payload().len() <= 536 - 12));
    assert_eq!(read_all(&mut b), data);
    assert!(a.stats().retransmissions > 0);
}

#[test]
fn path_mss_has_a_floor_and_never_exceeds_what_was_negotiated() {
    let (mut a, _b) = established(cfg(), cfg());
    // A forged or absurd MTU: held at the RFC 9293 default MSS.
    a.set_path_mtu(68);
    assert_eq!(a.send_mss(), usize::from(MIN_PATH_MSS) - 12);
    a.set_send_mss(0);
    assert_eq!(a.send_mss(), usize::from(MIN_PATH_MSS) - 12);
    // A grown path lifts the cap, but only up to the peer's MSS.
    a.set_path_mtu(9000);
    assert_eq!(a.send_mss(), 1448);
    a.set_send_mss(1200);
    assert_eq!(a.send_mss(), 1188);
    a.set_send_mss(u16::MAX);
    assert_eq!(a.send_mss(), 1448);
    // Before the handshake, the cap waits for the peer's MSS.
    let mut c = client(cfg());
    c.set_path_mtu(1280);
    let syn = one(&mut c, ms(0));
    assert_eq!(
        syn.repr.options.mss,
        Some(1460),
        "our MSS option is not the path's"
    );
    let mut d = Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    deliver(&mut c, ms(0), &one(&mut d, ms(0)));
    assert_eq!(c.send_mss(), 1280 - 40 - 12);
}

#[test]
fn turning_nagle_off_flushes_a_held_segment() {
    let (mut a, _b) = established(cfg(), cfg());
    a.send(b"a").unwrap();
    assert_eq!(one(&mut a, ms(0)).payload(), b"a");
    a.send(b"b").unwrap();
    none(&mut a, ms(1));
    a.set_nagle(false);
    assert!(!a.config().nagle);
    let seg = one(&mut a, ms(2));
    assert_eq!(seg.payload(), b"b");
    assert!(seg.has(Flags::PSH));
    // And on again: held once more.
    a.set_nagle(true);
    a.send(b"c").unwrap();
    none(&mut a, ms(3));
}

#[test]
fn keepalive_set_on_a_live_connection_rearms_its_timer() {
    let (mut a, mut b) = established(cfg(), cfg());
    assert_eq!(a.poll_timeout(), None);
    a.set_keepalive(ms(1000), Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(a.poll_timeout(), Some(ms(11_000)));
    assert_eq!(
        a.config().keepalive,
        Some(KeepAlive {
            idle: Duration::from_secs(10),
            ..KeepAlive::default()
        })
    );
    // Set again later: the wait starts over.
    a.set_keepalive(ms(5000), Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(a.poll_timeout(), Some(ms(15_000)));
    a.handle_timeout(ms(15_000));
    let probe = one(&mut a, ms(15_000));
    assert_eq!(probe.payload(), b"");
    assert_eq!(probe.repr.seq, a.snd_nxt().wrapping_sub(1));
    assert_eq!(a.stats().keepalive_probes, 1);
    deliver(&mut b, ms(15_001), &probe);
    deliver(&mut a, ms(15_002), &one(&mut b, ms(15_001)));
    // Off: no timer left.
    a.set_keepalive(ms(16_000), None).unwrap();
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.config().keepalive, None);
    // Full parameters, and a zero idle time refused without a change.
    let ka = KeepAlive {
        idle: Duration::from_secs(1),
        interval: Duration::from_secs(1),
        probes: 2,
    };
    a.set_keepalive_config(ms(20_000), Some(ka)).unwrap();
    assert_eq!(a.poll_timeout(), Some(ms(21_000)));
    assert_eq!(
        a.set_keepalive(ms(20_000), Some(Duration::ZERO)),
        Err(Error::InvalidConfig)
    );
    assert_eq!(a.config().keepalive, Some(ka));
    // Unanswered, the probes end the connection: one after the idle
    // time, one an interval later, then the count is spent.
    let mut now = ms(20_000);
    while let Some(t) = a.poll_timeout() {
        now = t;
        a.handle_timeout(now);
        drain(&mut a, now);
    }
    assert_eq!(now, ms(23_000));
    assert_eq!(a.stats().keepalive_probes, 3);
    assert!(events(&mut a).contains(&Event::TimedOut));
}

#[test]
fn growing_the_receive_buffer_opens_the_window() {
    let small = Config {
        recv_buffer: 4096,
        ..cfg()
    };
    let (mut a, mut b) = established(cfg(), small);
    let data = pattern(20_000, 5);
    let n = a.send(&data).unwrap();
    assert_eq!(n, data.len());
    // Past the sender's SWS override timer too.
    let now = run(&mut a, &mut b, ms(0), ms(5000));
    // Nobody read: the window is closed at 4096 bytes.
    assert_eq!(b.recv_queue(), 4096);
    assert_eq!(a.send_window(), 0);
    // Shrinking below what is held is refused silently.
    assert_eq!(b.set_recv_buffer(1000).unwrap(), 4096);
    assert_eq!(b.set_recv_buffer(0), Err(Error::InvalidConfig));
    assert_eq!(b.set_recv_buffer(64 * 1024).unwrap(), 64 * 1024);
    let update = one(&mut b, now);
    assert!(update.repr.window > 0);
    deliver(&mut a, now, &update);
    run(&mut a, &mut b, now, now + Duration::from_secs(2));
    assert_eq!(read_all(&mut b), data);
}

#[test]
fn receive_buffer_never_shrinks_the_advertised_window() {
    // RFC 9293 §3.8.6: the right window edge must not move back.
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(&pattern(1000, 1)).unwrap();
    let seg = one(&mut a, ms(0));
    deliver(&mut b, ms(0), &seg);
    b.handle_timeout(ms(50));
    let ack = one(&mut b, ms(50));
    let edge = ack
        .repr
        .ack
        .wrapping_add(u32::from(ack.repr.window) << b.window_shifts().0);
    let size = b.set_recv_buffer(1).unwrap();
    assert!(size >= 64 * 1024 - 1000, "{size}");
    read_all(&mut b);
    b.set_recv_buffer(1).unwrap();
    deliver(&mut a, ms(50), &ack);
    a.send(&pattern(1, 1)).unwrap();
    deliver(&mut b, ms(60), &one(&mut a, ms(60)));
    b.handle_timeout(ms(200));
    let later = one(&mut b, ms(200));
    let later_edge = later
        .repr
        .ack
        .wrapping_add(u32::from(later.repr.window) << b.window_shifts().0);
    assert!(later_edge.wrapping_sub(edge) as i32 >= 0);
}

#[test]
fn growing_the_send_buffer_wakes_a_blocked_writer() {
    let small = Config {
        send_buffer: 1000,
        ..cfg()
    };
    let (mut a, mut b) = established(small, cfg());
    let data = pattern(5000, 9);
    assert_eq!(a.send(&data).unwrap(), 1000);
    assert_eq!(a.send(&data[1000..]), Err(Error::WouldBlock));
    assert_eq!(a.set_send_buffer(0), Err(Error::InvalidConfig));
    assert_eq!(a.set_send_buffer(10_000).unwrap(), 10_000);
    assert_eq!(events(&mut a), vec![Event::Writable]);
    assert_eq!(a.send(&data[1000..]).unwrap(), 4000);
    // Not below the bytes held.
    assert_eq!(a.set_send_buffer(100).unwrap(), 5000);
    run(&mut a, &mut b, ms(0), ms(1000));
    assert_eq!(read_all(&mut b), data);
    assert_eq!(a.set_send_buffer(100).unwrap(), 100);
}

#[test]
fn a_buffer_larger_than_the_window_field_sends_no_needless_updates() {
    // Without window scaling a 1 MiB buffer still offers at most 65535
    // bytes; reading a little must not announce a window that cannot grow.
    let big = Config {
        window_scaling: false,
        recv_buffer: 1 << 20,
        ..cfg()
    };
    let (mut a, mut b) = established(cfg(), big);
    a.send(&pattern(3000, 2)).unwrap();
    run(&mut a, &mut b, ms(0), ms(100));
    let mut buf = [0u8; 100];
    for _ in 0..10 {
        b.recv(&mut buf).unwrap();
        none(&mut b, ms(100));
    }
    // The buffer grown further changes nothing on the wire either.
    b.set_recv_buffer(2 << 20).unwrap();
    none(&mut b, ms(100));
}
