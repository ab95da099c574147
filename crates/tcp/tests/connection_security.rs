//! Blind injection defences (RFC 5961) and PAWS (RFC 7323).

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_core::time::Duration;
use strata_tcp::connection::Config;
use strata_tcp::{Flags, Options, Repr, State, Timestamps};

fn cfg() -> Config {
    Config::default()
}

/// A segment from B's address to A with the given fields; timestamps as
/// B would send them unless `ts` says otherwise.
fn forged(seq: u32, ack: u32, flags: Flags, ts: Option<Timestamps>, payload: &[u8]) -> Seg {
    let mut options = Options::new();
    options.timestamps = ts;
    build(
        B_IP,
        A_IP,
        Repr {
            src_port: B.port(),
            dst_port: A.port(),
            seq,
            ack,
            flags,
            window: 1000,
            urgent: 0,
            options,
            payload_len: 0,
        },
        payload,
    )
}

/// The timestamps B's last segment to A carried, advanced by `ahead`.
fn b_ts(b_last: &Seg, ahead: u32) -> Option<Timestamps> {
    b_last.repr.options.timestamps.map(|t| Timestamps {
        tsval: t.tsval.wrapping_add(ahead),
        tsecr: t.tsecr,
    })
}

/// An established pair and the last segment B sent A.
fn setup() -> (strata_tcp::Connection, strata_tcp::Connection, Seg) {
    let (mut a, mut b) = established(cfg(), cfg());
    b.send(b"hi").unwrap();
    let last = one(&mut b, ms(1));
    deliver(&mut a, ms(1), &last);
    read_all(&mut a);
    drain(&mut a, ms(100));
    (a, b, last)
}

#[test]
fn in_window_reset_draws_challenge_ack() {
    // RFC 5961 §3.2: "If the RST bit is set and the sequence number does not
    // exactly match the next expected sequence value, yet is within the
    // current receive window, TCP endpoints MUST send an acknowledgment
    // (challenge ACK): <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>".
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    deliver(
        &mut a,
        ms(200),
        &forged(nxt + 100, 0, Flags::RST, None, &[]),
    );
    assert_eq!(a.state(), State::Established);
    let challenge = one(&mut a, ms(200));
    assert_eq!(challenge.flags(), Flags::ACK);
    assert_eq!((challenge.repr.seq, challenge.repr.ack), (a.snd_nxt(), nxt));
    assert_eq!(a.stats().challenge_acks, 1);
    // "If the RST bit is set and the sequence number is outside the current
    // receive window, silently drop the segment."
    deliver(
        &mut a,
        ms(201),
        &forged(nxt + 1_000_000, 0, Flags::RST, None, &[]),
    );
    deliver(
        &mut a,
        ms(201),
        &forged(nxt.wrapping_sub(1), 0, Flags::RST, None, &[]),
    );
    none(&mut a, ms(201));
    assert_eq!(a.state(), State::Established);
    // Exactly RCV.NXT resets.
    let _ = last;
    deliver(&mut a, ms(202), &forged(nxt, 0, Flags::RST, None, &[]));
    assert_eq!(a.state(), State::Closed);
}

#[test]
fn syn_in_synchronized_state_draws_challenge_ack() {
    // RFC 5961 §4.2: "If the SYN bit is set, irrespective of the sequence
    // number, TCP MUST send an ACK (also referred to as challenge ACK) to
    // the remote peer".
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    for seq in [nxt, nxt + 500, nxt.wrapping_add(0x4000_0000)] {
        deliver(
            &mut a,
            ms(300),
            &forged(seq, 0, Flags::SYN, b_ts(&last, 10), &[]),
        );
        assert_eq!(a.state(), State::Established);
        let challenge = drain(&mut a, ms(300));
        // Out-of-window SYNs get the ACK of the sequence check; either way
        // exactly one ACK and no reset.
        assert_eq!(challenge.len(), 1);
        assert_eq!(challenge[0].flags(), Flags::ACK);
        assert_eq!(challenge[0].repr.ack, nxt);
    }
    assert!(a.stats().challenge_acks >= 2);
}

#[test]
fn data_with_unacceptable_ack_is_dropped() {
    // RFC 5961 §5.2: "the ACK value is considered acceptable only if it is
    // in the range of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All
    // incoming segments whose ACK value doesn't satisfy the above condition
    // MUST be discarded and an ACK sent back."
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    let una = a.snd_una();
    for ack in [una.wrapping_sub(200_000), a.snd_nxt().wrapping_add(1)] {
        let injected = forged(nxt, ack, Flags::ACK, b_ts(&last, 10), b"evil");
        deliver(&mut a, ms(300), &injected);
        assert_eq!(read_all(&mut a), b"");
        assert_eq!(a.rcv_nxt(), nxt);
        let reply = one(&mut a, ms(300));
        assert_eq!(reply.flags(), Flags::ACK);
    }
    // An acceptable ACK with the same data is taken.
    deliver(
        &mut a,
        ms(301),
        &forged(nxt, una, Flags::ACK, b_ts(&last, 10), b"good"),
    );
    assert_eq!(read_all(&mut a), b"good");
}

#[test]
fn challenge_acks_are_rate_limited() {
    // RFC 5961 §7: "An implementation SHOULD include an ACK throttling
    // mechanism".
    let config = Config {
        challenge_ack_limit: 3,
        ..cfg()
    };
    let (mut a, mut b) = established(config, cfg());
    b.send(b"x").unwrap();
    deliver(&mut a, ms(1), &one(&mut b, ms(1)));
    drain(&mut a, ms(50));
    let nxt = a.rcv_nxt();
    let mut acks = 0;
    for i in 0..10 {
        deliver(
            &mut a,
            ms(100),
            &forged(nxt + 10 + i, 0, Flags::RST, None, &[]),
        );
        acks += drain(&mut a, ms(100)).len();
    }
    assert_eq!(acks, 3);
    assert_eq!(a.stats().challenge_acks_suppressed, 7);
    // A second later the budget is back.
    deliver(
        &mut a,
        ms(1100),
        &forged(nxt + 10, 0, Flags::RST, None, &[]),
    );
    assert_eq!(drain(&mut a, ms(1100)).len(), 1);
}

#[test]
fn paws_drops_old_timestamps() {
    // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving
    // segment, SEG.TSval < TS.Recent, TS.Recent is valid ..., then treat the
    // arriving segment as not acceptable: Send an acknowledgment in reply
    // as specified in [RFC793] page 69 and drop the segment."
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    let una = a.snd_una();
    let old = b_ts(&last, 0).map(|t| Timestamps {
        tsval: t.tsval.wrapping_sub(1000),
        tsecr: t.tsecr,
    });
    deliver(
        &mut a,
        ms(400),
        &forged(nxt, una, Flags::ACK, old, b"stale"),
    );
    assert_eq!(read_all(&mut a), b"");
    assert_eq!(a.stats().paws_drops, 1);
    let ack = one(&mut a, ms(400));
    assert_eq!(ack.repr.ack, nxt);
    // A fresh timestamp is accepted.
    deliver(
        &mut a,
        ms(401),
        &forged(nxt, una, Flags::ACK, b_ts(&last, 5), b"fresh"),
    );
    assert_eq!(read_all(&mut a), b"fresh");
    // RFC 7323 §3.2: once negotiated, "a TCP SHOULD silently drop" a
    // non-RST segment without the option.
    let nxt = a.rcv_nxt();
    deliver(
        &mut a,
        ms(402),
        &forged(nxt, una, Flags::ACK, None, b"bare"),
    );
    assert_eq!(read_all(&mut a), b"");
    // A reset is not subject to PAWS.
    deliver(&mut a, ms(403), &forged(nxt, 0, Flags::RST, old, &[]));
    assert_eq!(a.state(), State::Closed);
}

#[test]
fn paws_trusts_again_after_24_days_idle() {
    // RFC 7323 §5.5: "If the connection has been idle more than 24 days,
    // ... TS.Recent ... is invalid".
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    let una = a.snd_una();
    let old = b_ts(&last, 0).map(|t| Timestamps {
        tsval: t.tsval.wrapping_sub(1000),
        tsecr: t.tsecr,
    });
    let later = ms(1) + Duration::from_secs(25 * 24 * 3600);
    deliver(&mut a, later, &forged(nxt, una, Flags::ACK, old, b"late"));
    assert_eq!(read_all(&mut a), b"late");
}

#[test]
fn old_duplicates_are_acked_not_delivered() {
    // RFC 9293 §3.10.7.4: "If a segment is not acceptable, an acknowledgment
    // should be sent in reply (unless the RST bit is set ...)".
    let (mut a, _b, last) = setup();
    deliver(&mut a, ms(500), &last);
    assert_eq!(read_all(&mut a), b"");
    let ack = one(&mut a, ms(500));
    assert_eq!(ack.repr.ack, a.rcv_nxt());
}

#[test]
fn acks_for_unacceptable_empty_segments_are_rate_limited() {
    // RFC 9293 §3.10.7.4: "If an incoming segment is not acceptable, an
    // acknowledgment should be sent in reply"; RFC 7323 §5.3 R1 likewise
    // for a PAWS failure. Two ends that disagree about the window would
    // then ACK each other's ACKs forever, so, as Linux does
    // (tcp_invalid_ratelimit), empty segments get at most one answer per
    // 500 ms; data is always answered.
    use strata_tcp::connection::INVALID_ACK_INTERVAL;
    assert_eq!(INVALID_ACK_INTERVAL, Duration::from_millis(500));
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    let una = a.snd_una();
    let far = nxt.wrapping_add(1 << 30);
    let ts = b_ts(&last, 1);
    // Out of window: answered once, then not within 500 ms.
    deliver(&mut a, ms(200), &forged(far, una, Flags::ACK, ts, &[]));
    assert_eq!(one(&mut a, ms(200)).repr.ack, nxt);
    for t in [201, 300, 600] {
        deliver(&mut a, ms(t), &forged(far, una, Flags::ACK, ts, &[]));
        none(&mut a, ms(t));
    }
    // PAWS failures share the limit (an ACK far behind: one just behind
    // is taken as reordered, see below).
    let old = b_ts(&last, 0).map(|t| Timestamps {
        tsval: t.tsval.wrapping_sub(100_000),
        tsecr: t.tsecr,
    });
    deliver(&mut a, ms(650), &forged(nxt, una, Flags::ACK, old, &[]));
    none(&mut a, ms(650));
    assert_eq!(a.stats().invalid_acks_suppressed, 4);
    // A data segment out of window is answered regardless: it may be a
    // retransmission whose ACK was lost.
    deliver(
        &mut a,
        ms(660),
        &forged(nxt.wrapping_sub(5), una, Flags::ACK, ts, b"old!!"),
    );
    assert_eq!(one(&mut a, ms(660)).repr.ack, nxt);
    // 500 ms after the last answer to an empty one, the next is answered.
    deliver(&mut a, ms(700), &forged(far, una, Flags::ACK, ts, &[]));
    assert_eq!(one(&mut a, ms(700)).repr.ack, nxt);
    assert_eq!(a.stats().invalid_acks_suppressed, 4);
}

#[test]
fn pure_ack_reordered_behind_a_newer_one_passes_paws() {
    // RFC 7323 §5.3 R1 would drop an ACK whose TSval is behind TS.Recent;
    // a path with jitter reorders ACKs all the time, and dropping them
    // loses SACK blocks no later ACK repeats. As Linux does
    // (tcp_disordered_ack), a pure ACK at RCV.NXT at most an RTO's worth
    // of ticks behind is used, except for its window, which the newer ACK
    // set; anything else behind TS.Recent is still dropped.
    let (mut a, _b, last) = setup();
    let nxt = a.rcv_nxt();
    a.send(&[7u8; 2920]).unwrap();
    let sent = drain(&mut a, ms(200));
    assert_eq!(sent.len(), 2);
    let window = a.send_window();
    let una = a.snd_una();
    let first_end = una.wrapping_add(sent[0].payload().len() as u32);
    // TS.Recent moves on with a newer, pure ACK acknowledging nothing.
    let shift = a.window_shifts().0;
    let newer = forged(nxt, una, Flags::ACK, b_ts(&last, 50), &[]).edit(|r| {
        r.window = (window >> shift) as u16;
    });
    deliver(&mut a, ms(205), &newer);
    assert_eq!(a.snd_una(), una);
    // An older ACK, 10 ms behind, acknowledges the first segment.
    let behind = b_ts(&last, 40);
    deliver(
        &mut a,
        ms(206),
        &forged(nxt, first_end, Flags::ACK, behind, &[]),
    );
    assert_eq!(a.stats().paws_drops, 0);
    assert_eq!(a.snd_una(), first_end);
    assert_eq!(a.send_window(), window, "a reordered ACK's window is stale");
    none(&mut a, ms(206));
    // Far behind (more than the RTO in milliseconds), it is dropped.
    let far = b_ts(&last, 0).map(|t| Timestamps {
        tsval: t.tsval.wrapping_sub(100_000),
        tsecr: t.tsecr,
    });
    let end = una.wrapping_add(2920);
    deliver(&mut a, ms(207), &forged(nxt, end, Flags::ACK, far, &[]));
    assert_eq!(a.stats().paws_drops, 1);
    assert_eq!(a.snd_una(), first_end);
    // So is data just behind: PAWS protects the stream.
    deliver(
        &mut a,
        ms(208),
        &forged(nxt, end, Flags::ACK, behind, b"old"),
    );
    assert_eq!(a.stats().paws_drops, 2);
    assert_eq!(read_all(&mut a), b"");
    assert_eq!(a.snd_una(), first_end);
}
