//! Loss recovery: fast retransmit and NewReno (RFC 5681, RFC 6582), SACK
//! both ways (RFC 2018, RFC 6675), limited transmit (RFC 3042) and
//! reassembly.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod connection_support;

use connection_support::*;
use strata_core::rand::{RandomSource, SplitMix64};
use strata_tcp::Connection;
use strata_tcp::congestion::Algorithm;
use strata_tcp::connection::Config;

const MSS: usize = 1448;

fn cfg(sack: bool) -> Config {
    Config {
        sack,
        congestion: Algorithm::NewReno,
        ack_delay: None,
        ..Config::default()
    }
}

/// A sends `n` full segments at once; returns them.
fn burst(a: &mut Connection, n: usize, seed: u64) -> Vec<Seg> {
    a.send(&pattern(n * MSS, seed)).unwrap();
    let segs = drain(a, ms(10));
    assert_eq!(segs.len(), n);
    segs
}

/// Delivers `segs` to B and the ACKs B sends back to A, one by one.
fn feed(a: &mut Connection, b: &mut Connection, segs: &[&Seg], now: u64) -> Vec<Seg> {
    let mut out = Vec::new();
    for s in segs {
        deliver(b, ms(now), s);
        for ack in drain(b, ms(now)) {
            deliver(a, ms(now), &ack);
        }
        out.extend(drain(a, ms(now)));
    }
    out
}

#[test]
fn newreno_fast_retransmit_and_recovery() {
    // RFC 5681 §3.2: "The TCP sender SHOULD use the 'fast retransmit'
    // algorithm ... [on] the arrival of 3 duplicate ACKs", setting
    // "ssthresh to no more than the value given in equation (4)" and
    // "cwnd to ssthresh plus 3*SMSS".
    let (mut a, mut b) = established(cfg(false), cfg(false));
    let segs = burst(&mut a, 10, 1);
    let rest: Vec<&Seg> = segs.iter().skip(2).collect();
    // Segment 1 arrives, segment 2 is lost, 3..10 arrive.
    let mut sent = feed(&mut a, &mut b, &[&segs[0]], 20);
    assert!(sent.iter().all(|s| s.repr.seq != segs[1].repr.seq));
    sent.extend(feed(&mut a, &mut b, &rest[..2], 20));
    // Two duplicates: limited transmit sends new data, no retransmission.
    assert_eq!(a.stats().fast_retransmits, 0);
    assert_eq!(a.stats().dup_acks, 2);
    assert!(sent.iter().all(|s| s.repr.seq != segs[1].repr.seq));
    let flight = u64::from(a.snd_nxt() - a.snd_una());
    let third = feed(&mut a, &mut b, &rest[2..3], 20);
    assert_eq!(a.stats().fast_retransmits, 1);
    assert_eq!(third[0].repr.seq, segs[1].repr.seq);
    assert_eq!(third[0].payload(), segs[1].payload());
    // Equation (4): ssthresh = max(FlightSize / 2, 2*SMSS).
    assert_eq!(a.ssthresh(), flight / 2);
    // cwnd = ssthresh + 3*SMSS while recovering.
    assert_eq!(a.cwnd(), flight / 2 + 3 * MSS as u64);
    // Each further duplicate inflates the window by one segment (RFC 6582
    // step 4).
    feed(&mut a, &mut b, &rest[3..], 20);
    assert_eq!(a.cwnd(), flight / 2 + 8 * MSS as u64);
    // The retransmission fills the hole: a full ACK ends recovery
    // (RFC 6582: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)).
    feed(&mut a, &mut b, &[&third[0]], 30);
    assert_eq!(a.snd_una(), a.snd_nxt());
    assert_eq!(a.cwnd(), 2 * MSS as u64);
    assert_eq!(read_all(&mut b), pattern(10 * MSS, 1));
    assert_eq!(a.stats().retransmissions, 1);
    assert_eq!(a.stats().timeouts, 0);
}

#[test]
fn newreno_partial_ack_retransmits_next_hole() {
    // RFC 6582 §3.2 step 5: on a partial ACK, "retransmit the first
    // unacknowledged segment".
    let (mut a, mut b) = established(cfg(false), cfg(false));
    let segs = burst(&mut a, 10, 2);
    // Segments 2 and 6 lost.
    let arrive: Vec<&Seg> = segs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1 && *i != 5)
        .map(|(_, s)| s)
        .collect();
    let out = feed(&mut a, &mut b, &arrive, 20);
    let rtx: Vec<&Seg> = out
        .iter()
        .filter(|s| s.repr.seq == segs[1].repr.seq)
        .collect();
    assert_eq!(rtx.len(), 1);
    // The retransmission of 2 produces a partial ACK (up to 6), and 6 goes
    // at once, without waiting for more duplicates or the timer.
    let out = feed(&mut a, &mut b, &[rtx[0]], 30);
    assert_eq!(out[0].repr.seq, segs[5].repr.seq);
    feed(&mut a, &mut b, &[&out[0]], 40);
    assert_eq!(a.stats().fast_retransmits, 1);
    assert_eq!(a.stats().timeouts, 0);
    assert_eq!(read_all(&mut b), pattern(10 * MSS, 2));
}

#[test]
fn receiver_reports_sack_blocks_most_recent_first() {
    // RFC 2018 §4: "The first SACK block ... MUST specify the contiguous
    // block of data containing the segment which triggered this ACK", and
    // the others repeat the most recently reported blocks.
    let (mut a, mut b) = established(cfg(true), cfg(true));
    let segs = burst(&mut a, 8, 3);
    let edge = |i: usize| segs[i].repr.seq;
    let end = |i: usize| segs[i].repr.seq + MSS as u32;
    deliver(&mut b, ms(20), &segs[1]);
    let ack = one(&mut b, ms(20));
    assert_eq!(ack.repr.options.sack.as_slice(), &[(edge(1), end(1))]);
    deliver(&mut b, ms(20), &segs[5]);
    let ack = one(&mut b, ms(20));
    assert_eq!(
        ack.repr.options.sack.as_slice(),
        &[(edge(5), end(5)), (edge(1), end(1))]
    );
    deliver(&mut b, ms(20), &segs[3]);
    let ack = one(&mut b, ms(20));
    assert_eq!(
        ack.repr.options.sack.as_slice(),
        &[(edge(3), end(3)), (edge(5), end(5)), (edge(1), end(1))]
    );
    // 3 and 4 merge; with timestamps at most 3 blocks fit.
    deliver(&mut b, ms(20), &segs[7]);
    deliver(&mut b, ms(20), &segs[4]);
    let acks = drain(&mut b, ms(20));
    let last = acks.last().unwrap();
    assert_eq!(
        last.repr.options.sack.as_slice(),
        &[(edge(3), end(5)), (edge(7), end(7)), (edge(1), end(1))]
    );
    assert_eq!(last.repr.ack, edge(0));
    // Filling the first hole drops the blocks it covers.
    deliver(&mut b, ms(20), &segs[0]);
    let ack = one(&mut b, ms(20));
    assert_eq!(ack.repr.ack, edge(2));
    assert_eq!(
        ack.repr.options.sack.as_slice(),
        &[(edge(3), end(5)), (edge(7), end(7))]
    );
}

#[test]
fn sack_recovery_retransmits_only_the_holes() {
    // RFC 6675: with a scoreboard, only octets not SACKed and deemed lost
    // are retransmitted (NextSeg rule 1).
    let (mut a, mut b) = established(cfg(true), cfg(true));
    let segs = burst(&mut a, 10, 4);
    let lost = [1usize, 4, 6];
    let arrive: Vec<&Seg> = segs
        .iter()
        .enumerate()
        .filter(|(i, _)| !lost.contains(i))
        .map(|(_, s)| s)
        .collect();
    let out = feed(&mut a, &mut b, &arrive, 20);
    let rtx: Vec<&Seg> = out
        .iter()
        .filter(|s| s.repr.seq < segs[9].repr.seq + MSS as u32)
        .collect();
    let rtx_seqs: Vec<u32> = rtx.iter().map(|s| s.repr.seq).collect();
    assert_eq!(rtx_seqs, lost.map(|i| segs[i].repr.seq));
    assert_eq!(a.stats().sack_recoveries, 1);
    assert_eq!(a.stats().fast_retransmits, 1);
    let rtx_owned: Vec<Seg> = rtx.into_iter().cloned().collect();
    let rtx_refs: Vec<&Seg> = rtx_owned.iter().collect();
    feed(&mut a, &mut b, &rtx_refs, 30);
    assert_eq!(read_all(&mut b), pattern(10 * MSS, 4));
    assert_eq!(a.stats().retransmissions, 3);
    assert_eq!(a.stats().timeouts, 0);
}

#[test]
fn limited_transmit_sends_new_data_on_first_duplicates() {
    // RFC 3042: "a TCP sender SHOULD send a new data segment in response to
    // each of the first two duplicate acknowledgments".
    // (A 20 ms path: RACK's reordering window, a quarter of the minimum
    // RTT, keeps the hole from counting as lost at once, RFC 8985 §6.2.)
    let (mut a, mut b) = established_with_rtt(cfg(true), 20);
    // Fill the initial window exactly, with more data queued.
    a.send(&pattern(20 * MSS, 5)).unwrap();
    let segs = drain(&mut a, ms(20));
    assert_eq!(segs.len(), 10);
    let one_dup = feed(&mut a, &mut b, &[&segs[1]], 30);
    assert_eq!(one_dup.len(), 1);
    assert_eq!(one_dup[0].repr.seq, segs[9].repr.seq + MSS as u32);
    let two_dup = feed(&mut a, &mut b, &[&segs[2]], 30);
    assert_eq!(two_dup.len(), 1);
    assert_eq!(two_dup[0].repr.seq, one_dup[0].repr.seq + MSS as u32);
}

#[test]
fn reassembly_with_many_gaps_in_random_order() {
    // Out-of-order segments are kept whatever their number; the stream
    // comes out whole, in order, exactly once.
    let big = Config {
        send_buffer: 1 << 20,
        recv_buffer: 1 << 20,
        ..cfg(true)
    };
    let (mut a, mut b) = established(big, big);
    let data = pattern(600 * MSS, 6);
    // Let the window open fully first, without losses.
    let mut segs = Vec::new();
    let mut offered = 0;
    let mut rng = SplitMix64::new(6);
    let mut now = 10;
    while segs.len() < 600 {
        offered += a.send(&data[offered..]).unwrap_or(0);
        let out = drain(&mut a, ms(now));
        if out.is_empty() {
            // ACK everything B has so the window opens.
            let mut batch = std::mem::take(&mut segs);
            // Shuffle and duplicate some.
            for i in (1..batch.len()).rev() {
                let j = rng.below(i as u64 + 1) as usize;
                batch.swap(i, j);
            }
            let dups: Vec<Seg> = batch.iter().step_by(7).cloned().collect();
            batch.extend(dups);
            for s in &batch {
                deliver(&mut b, ms(now), s);
            }
            assert!(b.out_of_order_ranges() <= batch.len());
            for ack in drain(&mut b, ms(now)) {
                deliver(&mut a, ms(now), &ack);
            }
            segs.clear();
            now += 10;
            if a.send_queue() == 0 && offered == data.len() {
                break;
            }
            continue;
        }
        segs.extend(out);
    }
    let got = read_all(&mut b);
    assert_eq!(got.len(), data.len());
    assert!(got == data);
    assert_eq!(b.out_of_order_ranges(), 0);
    assert!(b.stats().out_of_order > 100);
}

#[test]
fn newreno_restarts_the_timer_only_on_the_first_partial_ack() {
    // RFC 6582 §3.2 step 5: "For the first partial ACK that arrives during
    // fast recovery, also reset the retransmit timer" (the "Impatient"
    // variant of §4): with many losses in one window, the timeout then
    // takes over instead of one repair per round trip.
    let (mut a, mut b) = established(cfg(false), cfg(false));
    let segs = burst(&mut a, 10, 7);
    let lost = [1usize, 3, 5, 7];
    let arrive: Vec<&Seg> = segs
        .iter()
        .enumerate()
        .filter(|(i, _)| !lost.contains(i))
        .map(|(_, s)| s)
        .collect();
    let out = feed(&mut a, &mut b, &arrive, 20);
    assert_eq!(out[0].repr.seq, segs[1].repr.seq);
    // First partial ACK: the timer restarts from now.
    let out = feed(&mut a, &mut b, &[&out[0]], 100);
    assert_eq!(out[0].repr.seq, segs[3].repr.seq);
    let deadline = a.poll_timeout().unwrap();
    assert_eq!(deadline, ms(100) + a.rto());
    // Second partial ACK: the deadline stays.
    let out = feed(&mut a, &mut b, &[&out[0]], 150);
    assert_eq!(out[0].repr.seq, segs[5].repr.seq);
    assert_eq!(a.poll_timeout(), Some(deadline));
    // It expires: go-back-N from the first hole, in slow start.
    a.handle_timeout(deadline);
    let rtx = drain(&mut a, deadline);
    assert_eq!(rtx[0].repr.seq, segs[5].repr.seq);
    assert_eq!(a.stats().timeouts, 1);
}

/// A client and a server whose handshake took `rtt` (the client times it):
/// SYN at 0, SYN-ACK back at `rtt`, the final ACK at `rtt * 3 / 2`.
fn established_with_rtt(config: Config, rtt: u64) -> (Connection, Connection) {
    let mut a = client(config);
    let syn = one(&mut a, ms(0));
    let mut b = Connection::accept(ms(rtt / 2), B, A, &syn.repr, config, ISS_B).unwrap();
    let synack = one(&mut b, ms(rtt / 2));
    deliver(&mut a, ms(rtt), &synack);
    let ack = one(&mut a, ms(rtt));
    deliver(&mut b, ms(rtt * 3 / 2), &ack);
    assert_eq!(b.state(), strata_tcp::State::Established);
    events(&mut a);
    events(&mut b);
    (a, b)
}

/// Delivers `segs` to B at `at_b`, and B's answers to A at `at_a`; returns
/// what A sends then.
fn exchange(
    a: &mut Connection,
    b: &mut Connection,
    segs: &[&Seg],
    at_b: u64,
    at_a: u64,
) -> Vec<Seg> {
    let mut acks = Vec::new();
    for s in segs {
        deliver(b, ms(at_b), s);
        acks.extend(drain(b, ms(at_b)));
    }
    for ack in &acks {
        deliver(a, ms(at_a), ack);
    }
    drain(a, ms(at_a))
}

#[test]
fn lost_retransmission_is_repaired_by_rack_without_a_timeout() {
    // RFC 8985 §2: "if a packet has been delivered, then any packet that
    // was sent sufficiently earlier is lost"; §6.2 step 5: a segment sent
    // before RACK.xmit_ts is lost once "RACK.rtt + RACK.reo_wnd" has passed
    // since it was sent. Here the fast retransmission itself is dropped;
    // the new data sent just after it is SACKed, so it goes again then,
    // not after an RTO. (The reordering timer for a window not yet passed
    // is tested with the RACK module.)
    let (mut a, mut b) = established_with_rtt(cfg(true), 20);
    let data = pattern(40 * MSS, 8);
    a.send(&data).unwrap();
    let segs = drain(&mut a, ms(20));
    assert_eq!(segs.len(), 10);
    // Segment 1 is lost; the rest arrive at 30 and are SACKed back at 40.
    let arrive: Vec<&Seg> = segs
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 1)
        .map(|(_, s)| s)
        .collect();
    let out = exchange(&mut a, &mut b, &arrive, 30, 40);
    assert_eq!(a.stats().fast_retransmits, 1);
    let rtx_at = out
        .iter()
        .position(|s| s.repr.seq == segs[1].repr.seq)
        .unwrap();
    // The retransmission is dropped too; what A sent with it arrives.
    let rest: Vec<&Seg> = out
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != rtx_at)
        .map(|(_, s)| s)
        .collect();
    assert!(!rest.is_empty());
    let out = exchange(&mut a, &mut b, &rest, 50, 60);
    // Data sent after the retransmission was delivered 20 ms later, one
    // RACK.rtt: in recovery, with no reordering seen, the reordering
    // window is zero ("If RACK.reordering_seen is FALSE ... if in loss
    // recovery ... return 0", §6.2 step 4), so it goes again at once, long
    // before the RTO.
    assert!(a.rto() >= strata_core::time::Duration::from_secs(1));
    let again_at = out
        .iter()
        .position(|s| s.repr.seq == segs[1].repr.seq)
        .unwrap();
    let again = out[again_at].clone();
    assert_eq!(again.payload(), segs[1].payload());
    assert_eq!(a.stats().lost_retransmissions, 1);
    assert_eq!(a.stats().timeouts, 0);
    // Everything else flows without loss: no RTO ever fires.
    let mut pending: Vec<Seg> = out;
    let mut now = 70;
    while !pending.is_empty() {
        let refs: Vec<&Seg> = pending.iter().collect();
        pending = exchange(&mut a, &mut b, &refs, now, now + 10);
        now += 20;
    }
    assert_eq!(read_all(&mut b), data);
    assert_eq!(a.stats().timeouts, 0);
    assert_eq!(a.stats().lost_retransmissions, 1);
}

#[test]
fn duplicates_are_reported_with_dsack() {
    // RFC 2883 §4: "If the data packet contained duplicate data, then the
    // first SACK block must specify the contiguous sequence space of the
    // duplicate segment", and "if the D-SACK block reports a duplicate
    // contiguous sequence from a (possibly larger) block of data in the
    // receiver's data queue above the cumulative acknowledgement, then the
    // second SACK block in that SACK option should specify that (possibly
    // larger) block of data."
    let (mut a, mut b) = established(cfg(true), cfg(true));
    let segs = burst(&mut a, 4, 9);
    let edge = |i: usize| segs[i].repr.seq;
    let end = |i: usize| segs[i].repr.seq.wrapping_add(MSS as u32);
    deliver(&mut b, ms(20), &segs[0]);
    drain(&mut b, ms(20));
    // Below the cumulative ACK.
    deliver(&mut b, ms(21), &segs[0]);
    let ack = one(&mut b, ms(21));
    assert_eq!(ack.repr.ack, end(0));
    assert_eq!(ack.repr.options.sack.as_slice(), &[(edge(0), end(0))]);
    // The next ACK reports it no more.
    deliver(&mut b, ms(22), &segs[2]);
    let ack = one(&mut b, ms(22));
    assert_eq!(ack.repr.options.sack.as_slice(), &[(edge(2), end(2))]);
    deliver(&mut b, ms(22), &segs[3]);
    drain(&mut b, ms(22));
    // Above it, inside the held block 2..3.
    deliver(&mut b, ms(23), &segs[3]);
    let ack = one(&mut b, ms(23));
    assert_eq!(
        ack.repr.options.sack.as_slice(),
        &[(edge(3), end(3)), (edge(2), end(3))]
    );
    assert_eq!(b.stats().dsacks_sent, 2);
    // The sender recognises it (inside the second block).
    deliver(&mut a, ms(30), &ack);
    assert_eq!(a.stats().dsacks_received, 1);
}

#[test]
fn spurious_fast_retransmit_is_undone_by_eifel_detection() {
    // RFC 3522 §2: "the Eifel detection algorithm ... [uses] the TCP
    // Timestamps option": if the ACK for the retransmitted segment echoes
    // a timestamp older than the retransmission's, the original arrived
    // and the retransmission was spurious. RFC 4015 §3 then restores the
    // congestion state saved before the reduction.
    let (mut a, mut b) = established_with_rtt(cfg(true), 20);
    a.send(&pattern(20 * MSS, 10)).unwrap();
    let segs = drain(&mut a, ms(20));
    assert_eq!(segs.len(), 10);
    assert!(a.ssthresh() > 1 << 30);
    // Segment 1 is merely late: 0 and 2..9 come first.
    let early: Vec<&Seg> = segs
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 1)
        .map(|(_, s)| s)
        .collect();
    let out = exchange(&mut a, &mut b, &early, 30, 40);
    assert_eq!(a.stats().fast_retransmits, 1);
    let rtx = out
        .iter()
        .find(|s| s.repr.seq == segs[1].repr.seq)
        .unwrap()
        .clone();
    let reduced = a.ssthresh();
    assert!(reduced < 1 << 30);
    let others: Vec<&Seg> = out
        .iter()
        .filter(|s| s.repr.seq != segs[1].repr.seq)
        .collect();
    // The original arrives at 45; B's ACK echoes its TSval (sent at 20).
    let mut late = vec![&segs[1]];
    late.extend(others);
    exchange(&mut a, &mut b, &late, 45, 55);
    assert_eq!(a.stats().spurious_recoveries, 1);
    assert!(a.ssthresh() > 1 << 30, "ssthresh restored");
    // The needless retransmission arrives later: B reports it as a
    // duplicate (RFC 2883) and the sender counts it.
    exchange(&mut a, &mut b, &[&rtx], 50, 60);
    assert_eq!(b.stats().dsacks_sent, 1);
    assert_eq!(a.stats().dsacks_received, 1);
    assert_eq!(a.stats().timeouts, 0);
}

#[test]
fn hystart_conservative_slow_start_when_the_rtt_rises() {
    // RFC 9406 §4.2: once a round has N_RTT_SAMPLE (8) RTT samples, "if
    // currentRoundMinRTT >= (lastRoundMinRTT + RttThresh)" with RttThresh
    // = max(4 ms, min(lastRoundMinRTT / 8, 16 ms)), "exit slow start and
    // enter CSS", where cwnd grows by a quarter (CSS_GROWTH_DIVISOR 4) of
    // the slow-start increase; "if CSS_ROUNDS [5] rounds are complete,
    // enter congestion avoidance by setting the ssthresh to the current
    // cwnd".
    use strata_tcp::congestion::HyStartPhase;
    let big = Config {
        send_buffer: 4 << 20,
        recv_buffer: 4 << 20,
        ..cfg(true)
    };
    let (mut a, mut b) = established_with_rtt(big, 20);
    let data = pattern(3 << 20, 11);
    a.send(&data).unwrap();
    let mut t = 20;
    let mut segs = drain(&mut a, ms(t));
    // One round: everything in flight is acknowledged `rtt` later, and A
    // answers each ACK as it comes.
    let mut round = |a: &mut Connection, segs: &[Seg], t: &mut u64, rtt: u64| {
        let mut acks = Vec::new();
        for s in segs {
            deliver(&mut b, ms(*t + rtt / 2), s);
            acks.extend(drain(&mut b, ms(*t + rtt / 2)));
        }
        read_all(&mut b);
        let mut out = Vec::new();
        for ack in &acks {
            deliver(a, ms(*t + rtt), ack);
            out.extend(drain(a, ms(*t + rtt)));
        }
        *t += rtt;
        out
    };
    for _ in 0..3 {
        segs = round(&mut a, &segs, &mut t, 20);
        assert_eq!(a.hystart_phase(), HyStartPhase::SlowStart);
    }
    // 3 ms more: under the 4 ms threshold.
    segs = round(&mut a, &segs, &mut t, 23);
    assert_eq!(a.hystart_phase(), HyStartPhase::SlowStart);
    // A clear rise (20 -> 30 ms): CSS within the next two rounds (the ACK
    // that ends a round also gives the next round its first sample, so a
    // step change shows one round late).
    let mut rounds = 0;
    while a.hystart_phase() == HyStartPhase::SlowStart {
        segs = round(&mut a, &segs, &mut t, 30);
        rounds += 1;
        assert!(rounds <= 2, "no CSS after {rounds} rounds");
    }
    assert_eq!(a.hystart_phase(), HyStartPhase::Conservative);
    assert_eq!(a.stats().hystart_css_entries, 1);
    // A whole round of CSS: each ACK of one segment adds a quarter of the
    // slow-start increase.
    let css_start = a.cwnd();
    let n = segs.len() as u64;
    segs = round(&mut a, &segs, &mut t, 30);
    assert_eq!(a.hystart_phase(), HyStartPhase::Conservative);
    let per_ack = (a.cwnd() - css_start) / n;
    assert_eq!(per_ack, MSS as u64 / 4, "CSS grows by a quarter per ACK");
    // At most CSS_ROUNDS rounds of CSS, then congestion avoidance.
    let mut css_rounds = 1;
    while a.hystart_phase() == HyStartPhase::Conservative {
        segs = round(&mut a, &segs, &mut t, 30);
        css_rounds += 1;
        assert!(css_rounds <= 6, "CSS never ended");
    }
    assert!(css_rounds >= 4, "CSS ended after {css_rounds} rounds");
    assert_eq!(a.hystart_phase(), HyStartPhase::Done);
    assert_eq!(a.ssthresh(), a.cwnd());
    assert_eq!(a.stats().hystart_exits, 1);
    assert_eq!(a.stats().retransmissions, 0);
}

#[test]
fn tail_loss_is_probed_instead_of_waiting_for_the_rto() {
    // RFC 8985 §7: "TLP ... sends a probe segment to trigger a duplicate
    // ACK or SACK" when the tail of a flight is lost and no ACK would
    // otherwise come; the PTO is 2 * SRTT (§7.2), and "if a previously
    // unsent segment exists ... send that segment ... else retransmit the
    // highest-sequence segment sent so far" (§7.3). The SACK it draws lets
    // RACK find the rest of the tail lost, long before the RTO.
    let (mut a, mut b) = established_with_rtt(cfg(true), 20);
    let data = pattern(4 * MSS, 12);
    a.send(&data).unwrap();
    let segs = drain(&mut a, ms(20));
    assert_eq!(segs.len(), 4);
    // The first two arrive; the last two are lost.
    let out = exchange(&mut a, &mut b, &[&segs[0], &segs[1]], 30, 40);
    assert!(out.is_empty());
    let rto_at = ms(40) + a.rto();
    let pto = a.poll_timeout().unwrap();
    assert_eq!(pto, ms(40 + 2 * 20), "PTO = 2 * SRTT after the last ACK");
    assert!(pto < rto_at);
    a.handle_timeout(pto);
    let probe = one(&mut a, pto);
    assert_eq!(probe.repr.seq, segs[3].repr.seq, "the last segment again");
    assert_eq!(a.stats().tail_loss_probes, 1);
    // Its SACK comes back; RACK deems segment 2 lost (sent before the
    // delivered one, a reordering window ago) and repairs it.
    let mut pending = exchange(&mut a, &mut b, &[&probe], 90, 100);
    let mut now = 100;
    loop {
        if pending.is_empty() {
            let Some(t) = a.poll_timeout().filter(|t| *t < rto_at) else {
                break;
            };
            a.handle_timeout(t);
            now = now.max(t.total_millis());
            pending = drain(&mut a, t);
            continue;
        }
        let refs: Vec<&Seg> = pending.iter().collect();
        pending = exchange(&mut a, &mut b, &refs, now + 10, now + 20);
        now += 20;
    }
    let got = read_all(&mut b);
    assert!(got == data, "{} of {} bytes", got.len(), data.len());
    assert_eq!(a.snd_una(), a.snd_nxt());
    assert_eq!(a.stats().timeouts, 0);
    assert!(
        now < 200,
        "repaired by {now} ms, the RTO was due at {rto_at}"
    );
}

#[test]
fn late_original_after_a_fast_retransmit_times_the_path() {
    // With timestamps every ACK of new data is an RTT sample (RFC 7323
    // §4); when the original of a fast retransmission arrives after all,
    // the ACK echoes the original's TSval and its sample is the delay the
    // path really had. Only after a timeout does an older echo risk timing
    // the wait for the timer, and only then is it left out.
    let (mut a, mut b) = established(cfg(true), cfg(true));
    assert_eq!(a.srtt(), Some(strata_core::time::Duration::ZERO));
    let segs = burst(&mut a, 5, 2);
    // The first segment is held up on the path; the others arrive at 20 ms
    // and their SACKs make A retransmit it (three duplicates).
    let rest: Vec<&Seg> = segs.iter().skip(1).collect();
    let sent = feed(&mut a, &mut b, &rest, 20);
    assert!(sent.iter().any(|s| s.repr.seq == segs[0].repr.seq));
    assert_eq!(a.stats().fast_retransmits, 1);
    // The original arrives at 50 ms; its ACK, echoing the TSval of 10 ms,
    // reaches A at once: a 40 ms sample.
    feed(&mut a, &mut b, &[&segs[0]], 50);
    assert_eq!(a.snd_una(), a.snd_nxt());
    let srtt = a.srtt().unwrap();
    assert_eq!(srtt, strata_core::time::Duration::from_millis(5), "{srtt}");
}

#[test]
fn prr_spreads_the_reduction_over_the_round_trip() {
    // RFC 9937: while pipe is above ssthresh, ssthresh/RecoverFS of what
    // is delivered goes out (a half here, NewReno's β), so new data leaves
    // on every second duplicate ACK rather than after a silence of half
    // the window; once pipe is at or below ssthresh it grows back by what
    // was delivered, and recovery ends with ssthresh in flight.
    let (mut a, mut b) = established(cfg(true), cfg(true));
    let segs = burst(&mut a, 10, 9);
    a.send(&pattern(20 * MSS, 10)).unwrap();
    let mut per_ack = Vec::new();
    let mut sent = Vec::new();
    let mut rtx = Vec::new();
    for s in &segs[1..] {
        let out = feed(&mut a, &mut b, &[s], 20);
        let (again, fresh): (Vec<Seg>, Vec<Seg>) = out
            .into_iter()
            .partition(|o| o.repr.seq == segs[0].repr.seq);
        per_ack.push((again.len(), fresh.len()));
        sent.extend(fresh);
        rtx.extend(again);
    }
    // The handshake measured no RTT, so RACK's reordering window is zero
    // and the first SACK already starts recovery (the fast retransmit
    // goes whatever the count). Then half a segment per segment
    // delivered while pipe is above ssthresh (ACKs 2 to 6), one per
    // segment delivered once it is not (7 to 9).
    assert_eq!(
        per_ack,
        [
            (1, 0),
            (0, 0),
            (0, 0),
            (0, 1),
            (0, 0),
            (0, 0),
            (0, 1),
            (0, 1),
            (0, 1)
        ]
    );
    assert_eq!(a.stats().sack_recoveries, 1);
    // ssthresh is half of the ten segments outstanding.
    let ssthresh = 5 * MSS as u64;
    assert_eq!(a.ssthresh(), ssthresh);
    let refs: Vec<&Seg> = sent.iter().chain(&rtx).collect();
    feed(&mut a, &mut b, &refs, 30);
    assert_eq!(u64::from(a.snd_nxt().wrapping_sub(a.snd_una())), ssthresh);
    assert_eq!(a.cwnd(), ssthresh);
    assert_eq!(a.stats().timeouts, 0);
}

#[test]
fn sack_recovery_ends_with_cwnd_at_ssthresh() {
    // RFC 5681 §3.2 step 6 and RFC 9937: cwnd = ssthresh when the
    // recovery point is acknowledged, however little is in flight then.
    // RFC 6582's rule, min(ssthresh, FlightSize + SMSS), would leave one
    // segment and a slow start back up after every such recovery.
    let (mut a, mut b) = established(cfg(true), cfg(true));
    let segs = burst(&mut a, 10, 11);
    let arrive: Vec<&Seg> = segs[1..].iter().collect();
    let out = feed(&mut a, &mut b, &arrive, 20);
    // Only retransmissions: nothing new is queued.
    assert_eq!(out[0].repr.seq, segs[0].repr.seq);
    assert!(out.iter().all(|s| s.repr.seq <= segs[9].repr.seq));
    let ssthresh = 5 * MSS as u64;
    assert_eq!(a.ssthresh(), ssthresh);
    let refs: Vec<&Seg> = out.iter().collect();
    feed(&mut a, &mut b, &refs, 30);
    assert_eq!(a.snd_una(), a.snd_nxt());
    assert_eq!(a.cwnd(), ssthresh);
    a.send(&pattern(20 * MSS, 12)).unwrap();
    assert_eq!(drain(&mut a, ms(30)).len(), 5);
    assert_eq!(read_all(&mut b), pattern(10 * MSS, 11));
}
