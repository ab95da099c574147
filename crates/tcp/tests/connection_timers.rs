//! Timers: retransmission (RFC 6298), SYN retries, persist (zero window),
//! keepalive, user timeout, delayed ACKs, TIME-WAIT.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_core::time::{Duration, Instant};
use strata_tcp::connection::{Config, KeepAlive};
use strata_tcp::{Connection, Error, Event, Flags, State};

fn cfg() -> Config {
    Config::default()
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn syn_retransmitted_with_backoff_then_gives_up() {
    // RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ('back off the
    // timer')"; RFC 6298 §2.1: the initial RTO is 1 second.
    let config = Config {
        syn_retries: 3,
        ..cfg()
    };
    let mut a = client(config);
    let syn = one(&mut a, ms(0));
    let mut t = ms(0);
    for expected in [1u64, 2, 4] {
        let due = a.poll_timeout().unwrap();
        assert_eq!(due, t + secs(expected));
        a.handle_timeout(due);
        t = due;
        let again = one(&mut a, t);
        assert_eq!(again.flags(), Flags::SYN);
        assert_eq!(again.repr.seq, syn.repr.seq);
    }
    let due = a.poll_timeout().unwrap();
    assert_eq!(due, t + secs(8));
    a.handle_timeout(due);
    assert_eq!(a.state(), State::Closed);
    assert_eq!(events(&mut a), [Event::TimedOut]);
    assert_eq!(a.send(b"x"), Err(Error::TimedOut));
}

#[test]
fn retransmission_timeout_and_backoff() {
    // RFC 6298 §5.4: "Retransmit the earliest segment that has not been
    // acknowledged by the TCP receiver." §5.5 back off, §5.6 restart.
    // (Without SACK: with it, a tail loss probe, RFC 8985 §7, would go
    // first.)
    let config = Config {
        min_rto: Duration::from_millis(200),
        sack: false,
        ..cfg()
    };
    let (mut a, mut b) = established(config, config);
    // One round trip of 100 ms to get an RTT sample.
    a.send(b"hello").unwrap();
    let d = one(&mut a, ms(0));
    deliver(&mut b, ms(100), &d);
    b.handle_timeout(ms(140)); // delayed ACK
    let ack = one(&mut b, ms(140));
    deliver(&mut a, ms(240), &ack);
    // The handshake at time 0 gave a first sample of 0: SRTT = 0, RTTVAR =
    // 0. Now 240 ms (the delayed ACK included): RTTVAR = 3/4 * 0 + 1/4 *
    // 240 = 60, SRTT = 7/8 * 0 + 1/8 * 240 = 30, RTO = 30 + 4 * 60 = 270.
    assert_eq!(a.srtt(), Some(Duration::from_millis(30)));
    assert_eq!(a.rto(), Duration::from_millis(270));

    a.send(b"lost").unwrap();
    let lost = one(&mut a, ms(1000));
    assert_eq!(a.poll_timeout(), Some(ms(1270)));
    a.handle_timeout(ms(1270));
    let rtx = one(&mut a, ms(1270));
    assert_eq!((rtx.repr.seq, rtx.payload()), (lost.repr.seq, &b"lost"[..]));
    assert_eq!(a.rto(), Duration::from_millis(540));
    assert_eq!(a.poll_timeout(), Some(ms(1270 + 540)));
    a.handle_timeout(ms(1810));
    let rtx2 = one(&mut a, ms(1810));
    assert_eq!(rtx2.repr.seq, lost.repr.seq);
    assert_eq!(a.poll_timeout(), Some(ms(1810 + 1080)));
    assert_eq!(a.stats().timeouts, 2);
    // The retransmission arrives; its ACK ends the backoff (the timestamp
    // echo is a valid sample).
    deliver(&mut b, ms(1900), &rtx2);
    b.handle_timeout(ms(1940));
    let ack = one(&mut b, ms(1940));
    deliver(&mut a, ms(2000), &ack);
    assert!(a.rto() < Duration::from_millis(540));
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn gives_up_after_max_retries() {
    let config = Config {
        max_retries: 2,
        min_rto: Duration::from_millis(200),
        ..cfg()
    };
    let (mut a, _b) = established(config, config);
    a.send(b"into the void").unwrap();
    drain(&mut a, ms(0));
    for _ in 0..2 {
        let due = a.poll_timeout().unwrap();
        a.handle_timeout(due);
        assert_eq!(drain(&mut a, due).len(), 1);
    }
    let due = a.poll_timeout().unwrap();
    a.handle_timeout(due);
    assert_eq!(a.state(), State::Closed);
    assert_eq!(events(&mut a), [Event::TimedOut]);
}

#[test]
fn delayed_ack_every_second_segment_or_timer() {
    // RFC 9293 §3.8.6.3: "an ACK SHOULD be generated for at least every
    // second full-sized segment", and the delay "MUST be less than 0.5
    // seconds".
    let (mut a, mut b) = established(cfg(), cfg());
    let data = pattern(3 * 1448, 1);
    a.send(&data).unwrap();
    let segs = drain(&mut a, ms(0));
    assert_eq!(segs.len(), 3);
    deliver(&mut b, ms(1), &segs[0]);
    none(&mut b, ms(1));
    assert_eq!(b.poll_timeout(), Some(ms(41)));
    deliver(&mut b, ms(2), &segs[1]);
    let ack = one(&mut b, ms(2));
    assert_eq!(ack.repr.ack, segs[1].repr.seq + 1448);
    deliver(&mut b, ms(3), &segs[2]);
    none(&mut b, ms(3));
    assert_eq!(b.poll_timeout(), Some(ms(43)));
    b.handle_timeout(ms(42));
    none(&mut b, ms(42));
    b.handle_timeout(ms(43));
    let ack = one(&mut b, ms(43));
    assert_eq!(ack.repr.ack, segs[2].repr.seq + 1448);

    // Without delayed ACKs, every segment is acknowledged at once.
    let quick = Config {
        ack_delay: None,
        ..cfg()
    };
    let (mut a, mut b) = established(cfg(), quick);
    a.send(b"x").unwrap();
    deliver(&mut b, ms(0), &one(&mut a, ms(0)));
    assert_eq!(one(&mut b, ms(0)).flags(), Flags::ACK);
}

#[test]
fn out_of_order_and_hole_filling_are_acked_at_once() {
    // RFC 5681 §4.2: "an immediate ACK when an out-of-order segment arrives
    // ... [and] when the incoming segment fills in all or part of a gap".
    let (mut a, mut b) = established(cfg(), cfg());
    a.send(&pattern(3 * 1448, 2)).unwrap();
    let segs = drain(&mut a, ms(0));
    deliver(&mut b, ms(1), &segs[1]);
    let dup = one(&mut b, ms(1));
    assert_eq!(dup.repr.ack, segs[0].repr.seq);
    // The SACK block names what arrived (RFC 2018 §4).
    assert_eq!(
        dup.repr.options.sack.as_slice(),
        &[(segs[1].repr.seq, segs[1].repr.seq + 1448)]
    );
    deliver(&mut b, ms(2), &segs[0]);
    let ack = one(&mut b, ms(2));
    assert_eq!(ack.repr.ack, segs[1].repr.seq + 1448);
    assert!(ack.repr.options.sack.is_empty());
}

#[test]
fn zero_window_and_persist_probes() {
    // RFC 9293 §3.8.6.1: "The sending TCP must be prepared to accept from
    // the user and send at least one octet of new data even if the send
    // window is zero ... [it] MUST regularly retransmit to the receiving
    // TCP", with exponential backoff.
    let small = Config {
        recv_buffer: 4000,
        ..cfg()
    };
    let (mut a, mut b) = established(cfg(), small);
    let data = pattern(10_000, 3);
    let mut sent = a.send(&data).unwrap();
    let mut now = ms(0);
    // B's application reads nothing: the window closes after 4000 bytes
    // (the last 1104 of them sent when the SWS override timer expires).
    while a.send_window() > 0 {
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
    assert_eq!(b.recv_queue(), 4000);
    assert_eq!(a.send_window(), 0);
    // The persist timer runs, not the retransmission timer.
    let first = a.poll_timeout().unwrap();
    let mut intervals = Vec::new();
    let mut last = now;
    for _ in 0..4 {
        let due = a.poll_timeout().unwrap();
        intervals.push(due - last);
        last = due;
        a.handle_timeout(due);
        let probe = one(&mut a, due);
        assert_eq!(probe.payload().len(), 1);
        deliver(&mut b, due, &probe);
        let answer = one(&mut b, due);
        assert_eq!(answer.repr.window, 0);
        deliver(&mut a, due, &answer);
        assert_eq!(a.state(), State::Established);
    }
    assert!(first > now);
    // Backoff: each interval at least the one before, doubling until the
    // ceiling.
    assert!(intervals.windows(2).all(|w| w[1] >= w[0]), "{intervals:?}");
    assert!(
        intervals[2] >= intervals[1].saturating_mul(2) || intervals[2] == Duration::from_secs(60)
    );
    assert!(a.stats().window_probes >= 4);

    // The application reads: a window update reopens the flow.
    now = last;
    let got = read_all(&mut b);
    assert_eq!(got.len(), 4000);
    let update = one(&mut b, now);
    assert!(update.repr.window > 0);
    deliver(&mut a, now, &update);
    let mut received = got;
    for _ in 0..100 {
        if sent < data.len() {
            sent += a.send(&data[sent..]).unwrap_or(0);
        }
        now += TEN_MS;
        a.handle_timeout(now);
        b.handle_timeout(now);
        pump(&mut a, &mut b, now);
        received.extend(read_all(&mut b));
    }
    assert!(received == data);
}

#[test]
fn keepalive_probes_then_timeout() {
    // RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6: keepalives "MUST default to no
    // less than two hours"; a probe is "SEG.SEQ = SND.NXT-1" with no data.
    let ka = KeepAlive {
        idle: secs(60),
        interval: secs(10),
        probes: 3,
    };
    let config = Config {
        keepalive: Some(ka),
        ..cfg()
    };
    let (mut a, mut b) = established(config, cfg());
    // The timer starts after the next segment or transmit.
    a.handle_timeout(ms(0));
    assert_eq!(a.poll_timeout(), Some(ms(60_000)));
    a.handle_timeout(ms(60_000));
    let probe = one(&mut a, ms(60_000));
    assert_eq!(probe.repr.seq, a.snd_nxt().wrapping_sub(1));
    assert_eq!(probe.payload().len(), 0);
    // The peer answers with an ACK (the probe is below its window).
    deliver(&mut b, ms(60_000), &probe);
    let answer = one(&mut b, ms(60_000));
    deliver(&mut a, ms(60_001), &answer);
    assert_eq!(a.stats().keepalive_probes, 1);
    // Answered: idle again.
    assert_eq!(a.poll_timeout(), Some(ms(120_001)));
    // Now the peer is gone: three unanswered probes, then give up.
    let mut t = ms(120_001);
    for _ in 0..3 {
        a.handle_timeout(t);
        one(&mut a, t);
        t = a.poll_timeout().unwrap();
    }
    a.handle_timeout(t);
    assert_eq!(a.state(), State::Closed);
    assert_eq!(events(&mut a), [Event::TimedOut]);
    assert_eq!(t, ms(120_001 + 30_000));
}

#[test]
fn user_timeout_aborts_unacknowledged_data() {
    // RFC 5482 / RFC 9293 §3.8.3: "if data is not successfully delivered
    // to the destination within the timeout period, the TCP will abort the
    // connection".
    let config = Config {
        user_timeout: Some(secs(5)),
        min_rto: Duration::from_millis(200),
        ..cfg()
    };
    let (mut a, _b) = established(config, config);
    a.send(b"nobody hears").unwrap();
    drain(&mut a, ms(1000));
    let mut now = ms(1000);
    while a.state() != State::Closed {
        now = a.poll_timeout().unwrap();
        a.handle_timeout(now);
        drain(&mut a, now);
    }
    assert_eq!(now, ms(6000));
    assert_eq!(events(&mut a), [Event::TimedOut]);
    assert!(a.stats().timeouts >= 3);
}

#[test]
fn time_wait_duration_is_configurable() {
    let config = Config {
        time_wait: secs(7),
        ..cfg()
    };
    let (mut a, mut b) = established(config, cfg());
    a.shutdown().unwrap();
    b.shutdown().unwrap();
    pump(&mut a, &mut b, ms(5));
    assert_eq!(a.state(), State::TimeWait);
    assert_eq!(a.poll_timeout(), Some(ms(7005)));
    a.handle_timeout(ms(7005));
    assert_eq!(a.state(), State::Closed);
}

#[test]
fn timers_are_idle_when_nothing_happens() {
    let (mut a, mut b) = established(cfg(), cfg());
    a.handle_timeout(ms(0));
    b.handle_timeout(ms(0));
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(b.poll_timeout(), None);
    let _ = Instant::ZERO;
    let _ = Connection::timestamp_clock(1, ms(1));
}

#[test]
fn zero_keepalive_intervals_are_refused() {
    let bad = Config {
        keepalive: Some(KeepAlive {
            idle: Duration::ZERO,
            interval: secs(1),
            probes: 1,
        }),
        ..cfg()
    };
    assert_eq!(bad.validate(), Err(Error::InvalidConfig));
    assert!(Connection::connect_with_iss(ms(0), A, B, bad, 1).is_err());
}
