//! Sending and receiving rules: Nagle, silly window syndrome avoidance on
//! both sides, window updates, buffer limits and the application calls.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_tcp::connection::Config;
use strata_tcp::{Error, Event, Flags, State};

fn cfg() -> Config {
    Config::default()
}

#[test]
fn nagle_holds_small_segments_while_data_is_unacknowledged() {
    // RFC 9293 §3.7.4: "if there is unacknowledged data ..., then the
    // sending TCP endpoint buffers all user data ... until the outstanding
    // data has been acknowledged or until the TCP endpoint can send a
    // full-sized segment".
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(b"a").unwrap();
    let first = one(&mut a, ms(0));
    assert_eq!(first.payload(), b"a");
    a.send(b"b").unwrap();
    a.send(b"c").unwrap();
    none(&mut a, ms(1));
    deliver(&mut b, ms(10), &first);
    b.handle_timeout(ms(50));
    let ack = one(&mut b, ms(50));
    deliver(&mut a, ms(60), &ack);
    let coalesced = one(&mut a, ms(60));
    assert_eq!(coalesced.payload(), b"bc");
    // A full-sized segment is never held.
    a.send(&pattern(3000, 1)).unwrap();
    let segs = drain(&mut a, ms(61));
    // Two full segments; the 104-byte rest waits for "bc"'s ACK.
    assert_eq!(segs.len(), 2);
    assert!(segs.iter().all(|s| s.payload().len() == a.send_mss()));
}

#[test]
fn nodelay_sends_at_once() {
    let nodelay = Config {
        nagle: false,
        ..cfg()
    };
    let (mut a, _b) = established(nodelay, cfg());
    for (i, chunk) in [&b"a"[..], b"b", b"c"].into_iter().enumerate() {
        a.send(chunk).unwrap();
        let seg = one(&mut a, ms(i as u64));
        assert_eq!(seg.payload(), chunk);
        assert!(seg.has(Flags::PSH));
    }
}

#[test]
fn sender_sws_waits_for_a_useful_window() {
    // RFC 9293 §3.8.6.2.1: send only if a full segment fits, or all queued
    // data, or "at least a fraction Fs of the maximum window", or when the
    // override timeout expires.
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(b"x").unwrap();
    deliver(&mut b, ms(0), &one(&mut a, ms(0)));
    b.handle_timeout(ms(40));
    let ack = one(&mut b, ms(40));
    // Pretend B's window shrank to 300 bytes (B's real one is 64 KiB).
    let small = ack.edit(|r| r.window = 150); // scaled by 2: 300 bytes
    deliver(&mut a, ms(41), &small);
    assert_eq!(a.send_window(), 300);
    a.send(&pattern(5000, 2)).unwrap();
    none(&mut a, ms(41));
    // The override (persist) timer lets 300 bytes go.
    let due = a.poll_timeout().unwrap();
    a.handle_timeout(due);
    let seg = one(&mut a, due);
    assert_eq!(seg.payload().len(), 300);
    // A window of half the maximum is enough at once.
    deliver(&mut b, due, &seg);
    let later = due + strata_core::time::Duration::from_millis(40);
    b.handle_timeout(later);
    let ack = one(&mut b, later);
    let half = ack.edit(|r| r.window = 16384); // 32 KiB
    deliver(&mut a, later, &half);
    let sent: usize = drain(&mut a, later).iter().map(|s| s.payload().len()).sum();
    // Three full segments at once; Nagle holds the 356-byte tail until they
    // are acknowledged.
    assert_eq!(sent, 3 * 1448);
}

#[test]
fn receiver_sws_does_not_advertise_tiny_windows() {
    // RFC 9293 §3.8.6.2.2: keep RCV.NXT + RCV.WND fixed until "RCV.BUFF -
    // RCV.USER - RCV.WND >= min(Fr * RCV.BUFF, Eff.snd.MSS)".
    let small = Config {
        recv_buffer: 8192,
        ..cfg()
    };
    let (mut a, mut b) = established(cfg(), small);
    a.send(&pattern(8192, 3)).unwrap();
    let mut now = ms(0);
    while b.recv_queue() < 8192 {
        pump(&mut a, &mut b, now);
        now = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap();
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    pump(&mut a, &mut b, now);
    assert_eq!(a.send_window(), 0);
    // Reading 100 bytes frees too little to announce.
    let mut buf = [0u8; 100];
    assert_eq!(b.recv(&mut buf), Ok(100));
    none(&mut b, now);
    // Reading a full MSS worth is enough: a window update goes out.
    let mut buf = [0u8; 1400];
    assert_eq!(b.recv(&mut buf), Ok(1400));
    let update = one(&mut b, now);
    assert_eq!(update.flags(), Flags::ACK);
    assert_eq!(u32::from(update.repr.window), 1500);
}

#[test]
fn send_buffer_limits_and_writable_event() {
    let tiny = Config {
        send_buffer: 1000,
        ..cfg()
    };
    let (mut a, mut b) = established(tiny, cfg());
    assert_eq!(a.send(&[7u8; 2000]), Ok(1000));
    assert_eq!(a.send(&[7u8; 10]), Err(Error::WouldBlock));
    assert_eq!(a.send(&[]), Ok(0));
    pump(&mut a, &mut b, ms(0));
    b.handle_timeout(ms(40));
    pump(&mut a, &mut b, ms(40));
    assert_eq!(events(&mut a), [Event::Writable]);
    assert_eq!(a.send_capacity(), 1000);
}

#[test]
fn recv_would_block_then_end_of_stream() {
    let (mut a, mut b) = established(cfg(), cfg());
    let mut buf = [0u8; 16];
    assert_eq!(b.recv(&mut buf), Err(Error::WouldBlock));
    a.send(b"last words").unwrap();
    a.shutdown().unwrap();
    pump(&mut a, &mut b, ms(0));
    assert_eq!(b.recv(&mut buf), Ok(10));
    assert_eq!(&buf[..10], b"last words");
    assert_eq!(b.recv(&mut buf), Ok(0));
    assert_eq!(b.recv(&mut buf), Ok(0));
    assert_eq!(b.state(), State::CloseWait);
    // Still allowed to send on the other half.
    assert_eq!(b.send(b"reply"), Ok(5));
}

#[test]
fn data_queued_before_the_handshake_completes() {
    // RFC 9293 §3.10.2, SEND in SYN-SENT: "Queue the data for transmission
    // after entering ESTABLISHED state."
    let mut a = client(cfg());
    assert_eq!(a.send(b"early"), Ok(5));
    let syn = one(&mut a, ms(0));
    assert_eq!(syn.payload(), b"");
    let mut b = strata_tcp::Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    deliver(&mut a, ms(1), &one(&mut b, ms(0)));
    let seg = one(&mut a, ms(1));
    assert_eq!(seg.payload(), b"early");
    assert!(seg.has(Flags::ACK));
    deliver(&mut b, ms(2), &seg);
    assert_eq!(b.state(), State::Established);
    assert_eq!(read_all(&mut b), b"early");
}

#[test]
fn shutdown_before_established_sends_fin_after_handshake() {
    let mut a = client(cfg());
    let syn = one(&mut a, ms(0));
    let mut b = strata_tcp::Connection::accept(ms(0), B, A, &syn.repr, cfg(), ISS_B).unwrap();
    let synack = one(&mut b, ms(0));
    b.send(b"bye").unwrap();
    b.shutdown().unwrap();
    assert_eq!(b.state(), State::SynReceived);
    deliver(&mut a, ms(1), &synack);
    deliver(&mut b, ms(2), &one(&mut a, ms(1)));
    assert_eq!(b.state(), State::FinWait1);
    let fin = one(&mut b, ms(2));
    assert_eq!(fin.payload(), b"bye");
    assert!(fin.has(Flags::FIN));
    // SYN-SENT close just forgets the connection.
    let mut c = client(cfg());
    c.shutdown().unwrap();
    assert_eq!(c.state(), State::Closed);
    none(&mut c, ms(0));
}
