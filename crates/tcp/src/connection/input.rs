//! Segment arrival: RFC 9293 §3.10.7, with the RFC 5961 defences, RFC 7323
//! PAWS and timestamps, and the ACK-driven half of retransmission and
//! congestion control (RFC 5681, RFC 6582, RFC 6675).

use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::{Duration, Instant};

use super::prr::Prr;
use super::scoreboard::DUP_THRESH;
use super::timer::Timer;
use super::{
    Connection, Error, Event, PAWS_IDLE, Recovery, RecoveryKind, ResetReply, State, Undo,
    reset_reply,
};
use crate::congestion::HyStartPhase;
use crate::wire::{Flags, Repr};

/// Least time between two ACKs answering unacceptable segments that
/// occupy no sequence space (Linux's tcp_invalid_ratelimit default).
pub const INVALID_ACK_INTERVAL: Duration = Duration::from_millis(500);

/// Longest RTT sample believed from a timestamp echo: anything above is a
/// corrupt or forged TSecr.
const MAX_TS_RTT_MS: u32 = 10 * 60 * 1000;

impl Connection {
    pub(super) fn process(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        seg: &Repr,
        payload: &[u8],
    ) {
        match self.state {
            State::Closed => self.owe_reset(dst, SocketAddrV4::new(src, seg.src_port), seg),
            State::Listen => self.on_listen(now, src, dst, seg),
            State::SynSent => self.on_syn_sent(now, src, dst, seg, payload),
            _ => self.on_synchronized(now, src, dst, seg, payload),
        }
    }

    /// Queues the RFC 9293 reset for a segment with no place here.
    fn owe_reset(&mut self, from: Ipv4Addr, to: SocketAddrV4, seg: &Repr) {
        if let Some(repr) = reset_reply(seg) {
            self.pending_rst = Some(ResetReply { from, to, repr });
        }
    }

    /// RFC 9293 §3.10.7.2.
    fn on_listen(&mut self, now: Instant, src: Ipv4Addr, dst: Ipv4Addr, seg: &Repr) {
        let flags = seg.flags;
        if flags.contains(Flags::RST) {
            return;
        }
        if flags.contains(Flags::ACK) {
            self.owe_reset(dst, SocketAddrV4::new(src, seg.src_port), seg);
            return;
        }
        if !flags.contains(Flags::SYN) {
            self.stats.dropped += 1;
            return;
        }
        self.remote = SocketAddrV4::new(src, seg.src_port);
        if self.local.ip().is_unspecified() {
            self.local = SocketAddrV4::new(dst, self.local.port());
        }
        if let Some(isn) = &self.isn_source {
            let iss = isn.isn(now, self.local, self.remote);
            self.set_iss(iss);
        }
        // Data on the SYN is not acknowledged and so will come again.
        self.take_syn(now, seg);
        self.state = State::SynReceived;
        self.syn_due = true;
    }

    /// RFC 9293 §3.10.7.3.
    fn on_syn_sent(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        seg: &Repr,
        payload: &[u8],
    ) {
        let flags = seg.flags;
        let rst = flags.contains(Flags::RST);
        let mut ack_ok = false;
        if flags.contains(Flags::ACK) {
            let ack = self.snd_offset(seg.ack);
            // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
            // the RST bit is set, if so drop the segment and return)".
            if ack <= 0 || ack > self.snd_max as i64 {
                if !rst {
                    self.owe_reset(dst, SocketAddrV4::new(src, seg.src_port), seg);
                }
                self.stats.dropped += 1;
                return;
            }
            ack_ok = true;
        }
        if rst {
            // Acceptable only if it acknowledges our SYN (RFC 5961 §3.2
            // keeps RFC 793's rule here).
            if ack_ok {
                self.enter_closed(Some(Error::Refused));
            } else {
                self.stats.dropped += 1;
            }
            return;
        }
        if !flags.contains(Flags::SYN) {
            self.stats.dropped += 1;
            return;
        }
        self.take_syn(now, seg);
        if ack_ok {
            // Our SYN is acknowledged: ESTABLISHED, and ACK theirs.
            let ack = self.snd_offset(seg.ack).max(0) as u64;
            self.on_new_ack(now, ack, seg);
            self.enter_established(now);
            self.ack_now = true;
            self.process_text(now, 1, payload, flags.contains(Flags::FIN));
        } else {
            // Simultaneous open: "form a SYN,ACK segment ... and send it",
            // and wait in SYN-RECEIVED. Data on the SYN will come again.
            self.state = State::SynReceived;
            self.syn_due = true;
            self.timers.cancel(Timer::Retransmit);
            self.retries = 0;
        }
    }

    /// RFC 9293 §3.10.7.4: SYN-RECEIVED and every synchronized state.
    fn on_synchronized(
        &mut self,
        now: Instant,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        seg: &Repr,
        payload: &[u8],
    ) {
        let mut flags = seg.flags;
        let rst = flags.contains(Flags::RST);
        let mut seq = self.rcv_offset(seg.seq);
        // The peer's SYN again (its SYN-ACK retransmitted, or the SYN-ACK
        // of a simultaneous open): RFC 9293 trims the parts of a segment
        // outside the window, SYN included, and ACKs what was old.
        if flags.contains(Flags::SYN) && !rst && seq + 1 == self.rcv_nxt as i64 {
            flags.remove(Flags::SYN);
            seq += 1;
            if self.state == State::SynReceived && !flags.contains(Flags::ACK) {
                // Our SYN-ACK was lost: send it again.
                self.syn_due = true;
            } else {
                self.ack_now = true;
            }
        }
        let seg_len = payload.len() as i64
            + i64::from(flags.contains(Flags::SYN))
            + i64::from(flags.contains(Flags::FIN));

        // RFC 7323 §5.3 R1: PAWS, before the sequence number check.
        let mut stale_ack = false;
        if self.ts_ok && !rst {
            match seg.options.timestamps {
                // RFC 7323 §3.2: once negotiated, a segment without the
                // option is dropped.
                None => {
                    self.stats.dropped += 1;
                    return;
                }
                Some(ts) if (ts.tsval.wrapping_sub(self.ts_recent) as i32) < 0 => {
                    if now.saturating_duration_since(self.ts_recent_at) > PAWS_IDLE {
                        // TS.Recent went stale while idle: trust the clock
                        // of the segment instead (RFC 7323 §5.5).
                        self.ts_recent = ts.tsval;
                        self.ts_recent_at = now;
                    } else if self.disordered_ack(flags, seq, payload.len(), ts.tsval) {
                        // An ACK the path reordered behind a newer one: its
                        // SACK blocks are still true and may be the only
                        // report of what they cover.
                        stale_ack = true;
                    } else {
                        self.stats.paws_drops += 1;
                        self.ack_unacceptable(now, flags, seg_len);
                        return;
                    }
                }
                Some(_) => {}
            }
        }

        let wnd = self.recv_window();
        let acceptable = acceptable(seq, seg_len, self.rcv_nxt as i64, wnd as i64);

        // Second: the RST bit, with RFC 5961 §3.2's exact-match rule.
        if rst {
            self.on_reset(now, seq, wnd);
            return;
        }

        let mut text_ok = true;
        if !acceptable {
            // "If the RCV.WND is zero, no segments will be acceptable, but
            // special allowance should be made to accept valid ACKs".
            if wnd == 0 && seq == self.rcv_nxt as i64 {
                text_ok = false;
                self.ack_now = true;
            } else {
                self.stats.dropped += 1;
                // RFC 2883 §4: a segment wholly below RCV.NXT arrived
                // twice; "the first SACK block ... specify the contiguous
                // sequence space of the duplicate segment".
                let end = seq + payload.len() as i64;
                if self.sack_ok && !payload.is_empty() && seq > 0 && end <= self.rcv_nxt as i64 {
                    self.dsack = Some(((seq as u64, end as u64), None));
                }
                self.ack_unacceptable(now, flags, seg_len);
                return;
            }
        }

        // RFC 7323 §4.3: remember the timestamp to echo.
        if self.ts_ok
            && let Some(ts) = seg.options.timestamps
            && seq <= self.last_ack_sent as i64
            && (ts.tsval.wrapping_sub(self.ts_recent) as i32) >= 0
        {
            self.ts_recent = ts.tsval;
            self.ts_recent_at = now;
        }

        // The peer is alive: keepalive starts over.
        self.keepalive_sent = 0;
        self.timers.cancel(Timer::KeepAlive);

        // Fourth: the SYN bit.
        if flags.contains(Flags::SYN) {
            if self.state == State::SynReceived && self.passive {
                // "If the connection was initiated with a passive OPEN, then
                // return this connection to the LISTEN state and return."
                if self.from_listen {
                    self.return_to_listen(now);
                } else {
                    self.enter_closed(Some(Error::Reset));
                }
                return;
            }
            // RFC 5961 §4.2: whatever the sequence number, a challenge ACK.
            self.challenge_ack(now);
            return;
        }

        // Fifth: the ACK field.
        if !flags.contains(Flags::ACK) {
            self.stats.dropped += 1;
            return;
        }
        if self.state == State::SynReceived {
            let ack = self.snd_offset(seg.ack);
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED".
            if ack > self.snd_una as i64 && ack <= self.snd_max as i64 {
                self.enter_established(now);
            } else {
                // "<SEQ=SEG.ACK><CTL=RST>"
                self.owe_reset(dst, SocketAddrV4::new(src, seg.src_port), seg);
                self.stats.dropped += 1;
                return;
            }
        }
        if !self.process_ack(now, seg, seq, payload.len(), stale_ack) {
            return;
        }
        match self.state {
            State::FinWait1 if self.fin_acked() => self.state = State::FinWait2,
            State::Closing if self.fin_acked() => {
                self.enter_time_wait(now);
                return;
            }
            State::LastAck if self.fin_acked() => {
                self.enter_closed(None);
                return;
            }
            _ => {}
        }

        // Sixth: the URG bit. Urgent data is delivered inline; only the
        // pointer is kept (RFC 9293 §3.8.5, RFC 6093).
        if flags.contains(Flags::URG)
            && matches!(
                self.state,
                State::Established | State::FinWait1 | State::FinWait2
            )
        {
            let up = (seq + i64::from(seg.urgent)).max(0) as u64;
            self.rcv_up = Some(self.rcv_up.map_or(up, |old| old.max(up)));
        }

        // Seventh and eighth: the text and the FIN.
        if text_ok {
            self.process_text(now, seq, payload, flags.contains(Flags::FIN));
        }
    }

    /// Answer to an unacceptable segment (RFC 9293 §3.10.7.4: "an
    /// acknowledgment should be sent in reply"; RFC 7323 §5.3 R1 for PAWS),
    /// never for a reset. Segments that occupy no sequence space get at
    /// most one answer per [`INVALID_ACK_INTERVAL`]: two ends that disagree
    /// about the window would otherwise answer each other's ACKs forever
    /// (an ACK storm), and a blind attacker could make us reflect a flood
    /// (Linux's tcp_invalid_ratelimit). Data, SYN and FIN are always
    /// answered: a retransmission whose ACK was lost needs one.
    fn ack_unacceptable(&mut self, now: Instant, flags: Flags, seg_len: i64) {
        if flags.contains(Flags::RST) {
            return;
        }
        if seg_len == 0 {
            if self
                .last_invalid_ack
                .is_some_and(|at| now.saturating_duration_since(at) < INVALID_ACK_INTERVAL)
            {
                self.stats.invalid_acks_suppressed += 1;
                return;
            }
            self.last_invalid_ack = Some(now);
        }
        self.ack_now = true;
        if self.state == State::TimeWait && flags.contains(Flags::FIN) {
            // A retransmitted FIN: our ACK was lost. "Restart the 2 MSL
            // time-wait timeout."
            self.timers
                .set(Timer::TimeWait, now + self.config.time_wait);
        }
    }

    /// Room in the receive buffer from RCV.NXT on: what we accept, at
    /// least the window we advertised.
    pub(super) fn recv_window(&self) -> u64 {
        (self.rcv_read + self.recv_buf.capacity() as u64).saturating_sub(self.rcv_nxt)
    }

    /// RFC 9293 §3.10.7.4 second step with RFC 5961 §3.2.
    fn on_reset(&mut self, now: Instant, seq: i64, wnd: u64) {
        let nxt = self.rcv_nxt as i64;
        let in_window = seq >= nxt && seq < nxt + (wnd.max(1) as i64);
        if !in_window {
            self.stats.dropped += 1;
            return;
        }
        if seq != nxt {
            // In the window but not exactly RCV.NXT: maybe blind, so ask.
            self.challenge_ack(now);
            return;
        }
        match self.state {
            State::SynReceived if self.passive => {
                if self.from_listen {
                    self.return_to_listen(now);
                } else {
                    self.enter_closed(Some(Error::Reset));
                }
            }
            // Active open that met a simultaneous SYN: "connection refused".
            State::SynReceived => self.enter_closed(Some(Error::Refused)),
            State::TimeWait => self.enter_closed(None),
            _ => self.enter_closed(Some(Error::Reset)),
        }
    }

    /// Whether a segment PAWS would reject is an ACK the path merely
    /// reordered (Linux's tcp_disordered_ack does the same): no data, SYN
    /// or FIN that an old duplicate could smuggle in, the sequence number
    /// we expect, and a TSval behind TS.Recent by no more than an RTO's
    /// worth of millisecond ticks (a wrapped or forged one is further).
    /// Under jitter that reorders, a sender would otherwise drop a large
    /// share of the ACKs and with them SACK blocks that no later ACK
    /// repeats, then retransmit what had arrived.
    fn disordered_ack(&self, flags: Flags, seq: i64, payload_len: usize, tsval: u32) -> bool {
        let behind = u64::from(self.ts_recent.wrapping_sub(tsval));
        payload_len == 0
            && flags.contains(Flags::ACK)
            && !flags.intersects(Flags::SYN | Flags::FIN | Flags::RST)
            && seq == self.rcv_nxt as i64
            && behind <= self.rtt.rto().total_millis()
    }

    /// The ACK field in a synchronized state. Returns `false` when the
    /// segment must be dropped. A `stale` ACK (reordered behind a newer
    /// one) is used for its acknowledgment and SACK blocks, not for the
    /// window, which the newer ACK already set.
    fn process_ack(
        &mut self,
        now: Instant,
        seg: &Repr,
        seq: i64,
        payload_len: usize,
        stale: bool,
    ) -> bool {
        let ack = self.snd_offset(seg.ack);
        // RFC 5961 §5.2: acceptable only within
        // SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT.
        if ack > self.snd_max as i64 || ack < self.snd_una as i64 - self.max_snd_wnd as i64 {
            self.stats.dropped += 1;
            self.challenge_ack(now);
            return false;
        }
        let ack = ack.max(0) as u64;

        let mut sacked_new = 0;
        if self.sack_ok {
            let tsecr = seg.options.timestamps.map(|t| t.tsecr);
            let blocks = seg.options.sack.as_slice();
            // RFC 2883 §4: a first block below the cumulative ACK, or inside
            // the second block, reports a duplicate (D-SACK).
            if let Some(&(left, right)) = blocks.first() {
                let (l, r) = (self.snd_offset(left), self.snd_offset(right));
                let inside_second = blocks
                    .get(1)
                    .is_some_and(|&(l2, r2)| l >= self.snd_offset(l2) && r <= self.snd_offset(r2));
                if l < r && (r <= ack as i64 || inside_second) && l >= 0 {
                    self.on_dsack(l as u64, r as u64);
                }
            }
            for &(left, right) in blocks {
                let (l, r) = (self.snd_offset(left), self.snd_offset(right));
                if l > self.snd_una as i64 && l < r && r <= self.snd_max as i64 {
                    let new = self.scoreboard.insert(l as u64, r as u64);
                    sacked_new += new;
                    self.rack
                        .on_delivered(now, l as u64, r as u64, tsecr, new > 0);
                }
            }
        }

        let window = u64::from(seg.window) << self.snd_shift;
        self.delivered_now = sacked_new;
        let advanced = ack > self.snd_una;
        if advanced {
            self.on_new_ack(now, ack, seg);
        } else if ack == self.snd_una {
            self.on_same_ack(now, seg, payload_len, window, sacked_new);
        }

        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
        // updated ... if (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
        // SND.WL2 =< SEG.ACK))".
        if ack >= self.snd_una
            && !stale
            && (self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack))
        {
            let was_zero = self.snd_wnd == 0;
            self.snd_wnd = window;
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            if window > 0 {
                self.persist_backoff = 0;
                self.timers.cancel(Timer::Persist);
                if was_zero && self.snd_una < self.snd_max {
                    // What we sent into the closed window was dropped:
                    // send it again, without a congestion response.
                    self.lost_below = self.lost_below.max(self.snd_max);
                    self.high_rxt = self.snd_una;
                }
            }
        }
        self.probes_unanswered = 0;
        let lost_below = self.lost_below;
        self.rack_detect(now);
        if self.recovery_is(RecoveryKind::Sack) {
            // RFC 9937 SafeACK: SND.UNA advanced and nothing more was
            // found lost.
            let safe = advanced && self.lost_below == lost_below;
            self.prr.on_ack(self.delivered_now, safe);
        }
        self.delivered_now = 0;
        true
    }

    /// RFC 8985 §6.2 step 5 for retransmissions, and the reordering timer
    /// for those still inside the window.
    pub(super) fn rack_detect(&mut self, now: Instant) {
        if !self.sack_ok || self.snd_una >= self.snd_max {
            self.timers.cancel(Timer::Reorder);
            return;
        }
        self.scoreboard.by_count = !self.rack.reordering_seen;
        let reo_wnd = self.rack.reo_wnd(self.rtt.srtt(), self.recovery.is_some());
        let (lost, originals) = self.rack.detect_originals(now, reo_wnd, self.lost_below);
        let retransmits = self.rack.detect(now, reo_wnd);
        let next = match (originals, retransmits) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
            Some(at) => self.timers.set(Timer::Reorder, at),
            None => self.timers.cancel(Timer::Reorder),
        }
        self.stats.lost_retransmissions = self.rack.lost_retransmissions;
        if let Some(lost) = lost.map(|l| l.min(self.snd_max))
            && lost > self.lost_below.max(self.snd_una)
        {
            // Holes below `lost` were sent before data since delivered,
            // a reordering window ago: lost (RFC 8985 §6.2 step 5). The
            // first such detection starts recovery (§7.1: "the sender
            // enters fast recovery").
            self.lost_below = lost;
            if self.recovery.is_none() && self.snd_una >= self.recover && self.is_lost(self.snd_una)
            {
                self.enter_recovery(now, RecoveryKind::Sack);
            }
        }
    }

    /// A D-SACK for `[start, end)` (RFC 2883): the peer received it twice.
    fn on_dsack(&mut self, start: u64, end: u64) {
        self.stats.dsacks_received += 1;
        // RFC 8985 §7.4: a duplicate means the probe repaired nothing.
        if self
            .tlp_out
            .is_some_and(|(tlp_end, rtx)| rtx && end <= tlp_end)
        {
            self.tlp_out = None;
        }
        self.rack.on_dsack(self.snd_una, self.snd_max);
        self.scoreboard.by_count = false;
        // RFC 3708 §3: when every retransmission of the episode comes back
        // D-SACKed, none was needed.
        if let Some(u) = &mut self.undo
            && u.first_rtx.is_some_and(|(_, first)| start >= first)
            && start < u.point
        {
            u.dsacked += 1;
            if u.dsacked >= u.retransmits {
                self.undo_reduction();
            }
        }
        let _ = end;
    }

    /// The recovery proved spurious: restore the window it reduced (RFC
    /// 4015 §3 restores ssthresh and cwnd to their prior values, here the
    /// whole controller) and stop repairing.
    fn undo_reduction(&mut self) {
        let Some(u) = self.undo.take() else {
            return;
        };
        self.stats.spurious_recoveries += 1;
        self.cc = u.cc;
        if matches!(
            self.recovery,
            Some(Recovery {
                kind: RecoveryKind::Sack | RecoveryKind::NewReno,
                ..
            })
        ) {
            self.recovery = None;
            self.lost_below = self.snd_una;
            self.high_rxt = self.high_rxt.max(self.snd_una);
            self.rack.on_recovery_exit();
        }
        // A spurious retransmission means the network reorders.
        self.rack.reordering_seen = true;
        self.scoreboard.by_count = false;
    }

    /// SEG.ACK advanced SND.UNA.
    pub(super) fn on_new_ack(&mut self, now: Instant, ack: u64, seg: &Repr) {
        let acked = ack - self.snd_una;
        let syn_only = self.snd_una == 0 && ack == 1;
        let tsecr = seg.options.timestamps.map(|t| t.tsecr);
        if self.sack_ok {
            // Only the hole the ACK filled is newly delivered; what follows
            // up to it was SACKed before.
            let hole_end = self.scoreboard.first_sacked().unwrap_or(ack).min(ack);
            self.rack.on_hole_filled(now, self.snd_una, hole_end, tsecr);
            self.rack
                .on_delivered(now, self.snd_una, hole_end, tsecr, true);
            self.rack.on_delivered(now, hole_end, ack, tsecr, false);
            self.rack.advance(ack);
        }
        // RFC 8985 §7.4: the probe's episode ends once it is acknowledged;
        // a retransmitted probe that was not reported twice repaired a
        // loss, which calls for the congestion response of a fast recovery.
        if let Some((tlp_end, rtx)) = self.tlp_out
            && ack >= tlp_end
        {
            self.tlp_out = None;
            if rtx && self.recovery.is_none() {
                self.stats.tlp_repairs += 1;
                self.cc
                    .on_congestion_event(now, self.snd_max - self.snd_una);
                self.cc
                    .on_recovery_exit(now, self.snd_max.saturating_sub(ack));
            }
        }
        // The probe timeout restarts with every ACK of new data (§7.2).
        self.timers.cancel(Timer::Probe);
        // RFC 3522 §3.2 (Eifel detection): the first ACK for the first
        // retransmission echoes a timestamp older than it, so the original
        // arrived and the retransmission was not needed.
        if let Some(u) = &self.undo
            && let Some((Some(rtx_tsval), first)) = u.first_rtx
            && ack > first
        {
            let spurious = self.ts_ok
                && tsecr.is_some_and(|e| e != 0 && (e.wrapping_sub(rtx_tsval) as i32) < 0);
            if spurious {
                self.undo_reduction();
            } else if !self.sack_ok {
                self.undo = None;
            }
        }
        if self
            .undo
            .as_ref()
            .is_some_and(|u| u.expire.is_some_and(|e| ack > e))
        {
            self.undo = None;
        }
        self.snd_una = ack;
        let data_acked_to = ack.min(self.data_end());
        if data_acked_to > self.send_start {
            self.send_buf
                .discard(usize::try_from(data_acked_to - self.send_start).unwrap_or(usize::MAX));
            self.send_start = data_acked_to;
        }
        let was_sacked = self.scoreboard.advance(ack);
        self.delivered_now += acked.saturating_sub(was_sacked);
        self.high_rxt = self.high_rxt.max(ack);
        self.lost_below = self.lost_below.max(ack);

        let rtt_sample = self.take_rtt_sample(now, seg, ack);
        if self.recovery.is_none() && !syn_only {
            let before = self.cc.hystart_phase();
            let after = self.cc.hystart(ack, self.snd_max, rtt_sample);
            if after != before {
                match after {
                    HyStartPhase::Conservative => self.stats.hystart_css_entries += 1,
                    HyStartPhase::Done
                        if self.cc.ssthresh() < u64::from(u32::MAX)
                            && before == HyStartPhase::Conservative =>
                    {
                        self.stats.hystart_exits += 1;
                    }
                    _ => {}
                }
            }
        }
        let srtt = self.rtt.srtt();
        // Application-limited: everything was sent and the flight was well
        // under the window, so the window was not what held us back.
        let app_limited = self.snd_max >= self.send_end()
            && (self.snd_max - (self.snd_una - acked)) + self.smss() < self.effective_cwnd();
        self.retries = 0;
        self.progress_at = now;
        // RFC 6298 §5.3: restart the timer for the rest; but in NewReno
        // recovery only on the first partial ACK (RFC 6582 §3.2 step 5, the
        // "Impatient" variant of §4), so that a window with many losses
        // falls back on the timeout and slow start instead of repairing
        // one segment per round trip.
        let impatient = matches!(
            self.recovery,
            Some(Recovery {
                kind: RecoveryKind::NewReno,
                point,
            }) if ack < point && self.partial_acked
        );
        if !impatient {
            self.timers.cancel(Timer::Retransmit);
        }
        if self.timers.is_armed(Timer::UserTimeout) {
            self.timers.cancel(Timer::UserTimeout);
        }

        let smss = self.smss();
        let flight = self.snd_max - self.snd_una;
        // A recovery that ends without having retransmitted anything was
        // needless: the holes it saw filled by themselves (reordering).
        if self.recovery.is_some_and(|r| {
            ack >= r.point && matches!(r.kind, RecoveryKind::Sack | RecoveryKind::NewReno)
        }) && self.undo.as_ref().is_some_and(|u| u.retransmits == 0)
        {
            self.undo_reduction();
        }
        match self.recovery {
            Some(r) if ack >= r.point => {
                match r.kind {
                    // RFC 6582 §3.2 step 3 option 1 (the controller's
                    // rule): the window inflated by duplicate ACKs must not
                    // release a burst.
                    RecoveryKind::NewReno => self.cc.on_recovery_exit(now, flight),
                    // RFC 9937: PRR brought the flight to about ssthresh,
                    // where the window continues; deflating it to the
                    // flight would cost a slow start after every recovery
                    // whose retransmissions or ACKs were lost.
                    RecoveryKind::Sack => self.cc.end_recovery_at_ssthresh(now),
                    RecoveryKind::Timeout => self.cc.on_ack(now, acked, srtt, app_limited),
                }
                self.recovery = None;
                self.lost_below = self.snd_una;
                self.high_rxt = self.snd_una;
                self.rack.on_recovery_exit();
                // D-SACKs for the episode may follow for a round trip.
                if let Some(u) = &mut self.undo {
                    u.expire = Some(self.snd_max);
                }
            }
            Some(r) => match r.kind {
                RecoveryKind::NewReno => {
                    self.partial_acked = true;
                    // RFC 6582 §3.2 step 5: retransmit the next hole and
                    // deflate the window by what was acknowledged.
                    self.lost_below = self.lost_below.max((self.snd_una + smss).min(self.snd_max));
                    self.high_rxt = self.snd_una;
                    self.fr_cwnd = self.fr_cwnd.saturating_sub(acked);
                    if acked >= smss {
                        self.fr_cwnd += smss;
                    }
                    self.fr_cwnd = self.fr_cwnd.max(smss);
                }
                RecoveryKind::Sack => {}
                RecoveryKind::Timeout => self.cc.on_ack(now, acked, srtt, app_limited),
            },
            None => {
                if !syn_only {
                    self.cc.on_ack(now, acked, srtt, app_limited);
                }
            }
        }
        self.dup_acks = 0;

        if self.want_writable && self.send_buf.free() > 0 && self.state.can_send() {
            self.want_writable = false;
            self.events.push(Event::Writable);
        }
    }

    /// SEG.ACK = SND.UNA: perhaps a duplicate ACK (RFC 5681 §2, RFC 6675
    /// §2), which drives fast retransmit and limited transmit.
    fn on_same_ack(
        &mut self,
        now: Instant,
        seg: &Repr,
        payload_len: usize,
        window: u64,
        sacked_new: u64,
    ) {
        if self.snd_una >= self.snd_max {
            return;
        }
        let plain = payload_len == 0
            && !seg.flags.intersects(Flags::SYN | Flags::FIN)
            && window == self.snd_wnd;
        // RFC 6675 §2: with SACK, a duplicate is an ACK that SACKs new
        // data; a bare repeat only says a duplicate segment arrived.
        let dup = if self.sack_ok { sacked_new > 0 } else { plain };
        if !dup {
            return;
        }
        self.dup_acks = self.dup_acks.saturating_add(1);
        self.stats.dup_acks += 1;
        let smss = self.smss();
        match self.recovery {
            Some(Recovery {
                kind: RecoveryKind::NewReno,
                ..
            }) => {
                // RFC 6582 §3.2 step 4: inflate by one segment.
                self.fr_cwnd += smss;
            }
            Some(_) => {}
            None if self.snd_una >= self.recover => {
                if self.sack_ok {
                    // Once the path reorders, RACK's window decides, not
                    // the count (RFC 8985 §6.2 step 4).
                    let by_count =
                        !self.rack.reordering_seen && u64::from(self.dup_acks) >= DUP_THRESH;
                    if by_count || self.is_lost(self.snd_una) {
                        self.enter_recovery(now, RecoveryKind::Sack);
                    }
                } else if u64::from(self.dup_acks) >= DUP_THRESH {
                    self.enter_recovery(now, RecoveryKind::NewReno);
                }
            }
            None => {}
        }
    }

    /// RFC 6675 IsLost for the octet `seq`, by SACK information alone.
    fn is_lost(&self, seq: u64) -> bool {
        self.scoreboard
            .holes(self.snd_una, self.snd_max, self.smss(), self.lost_below)
            .find(|h| h.end > seq)
            .is_some_and(|h| h.start <= seq && h.lost)
    }

    /// Fast retransmit: RFC 6675 §5 steps 4.1–4.3 or RFC 6582 §3.2 step 2.
    fn enter_recovery(&mut self, now: Instant, kind: RecoveryKind) {
        let smss = self.smss();
        let flight = self.snd_max - self.snd_una;
        self.undo = Some(Undo {
            cc: self.cc.clone(),
            first_rtx: None,
            retransmits: 0,
            dsacked: 0,
            point: self.snd_max,
            expire: None,
        });
        self.cc.on_congestion_event(now, flight);
        if kind == RecoveryKind::NewReno {
            self.partial_acked = false;
            self.fr_cwnd = self.cc.ssthresh() + DUP_THRESH * smss;
        } else {
            self.stats.sack_recoveries += 1;
            let sacked_before = self
                .scoreboard
                .sacked_bytes()
                .saturating_sub(self.delivered_now);
            self.prr = Prr::start(flight, sacked_before);
        }
        self.stats.fast_retransmits += 1;
        self.recovery = Some(Recovery {
            kind,
            point: self.snd_max,
        });
        self.recover = self.snd_max;
        // The first segment goes again whatever the SACK rules say.
        self.high_rxt = self.snd_una;
        self.lost_below = self.lost_below.max((self.snd_una + smss).min(self.snd_max));
    }

    /// One RTT measurement, if this ACK yields a valid one: from the
    /// timestamp echo (RFC 7323 §4) or from the timed segment (Karn).
    fn take_rtt_sample(&mut self, now: Instant, seg: &Repr, ack: u64) -> Option<Duration> {
        let mut sample = None;
        if self.ts_ok {
            if let Some(ts) = seg.options.timestamps {
                let ms = self.ts_now(now).wrapping_sub(ts.tsecr);
                let stale = self
                    .rtx_mark
                    .is_some_and(|(tsval, _)| (ts.tsecr.wrapping_sub(tsval) as i32) < 0);
                if ts.tsecr != 0 && ms <= MAX_TS_RTT_MS && !stale {
                    sample = Some(Duration::from_millis(u64::from(ms)));
                }
            }
            if self.rtx_mark.is_some_and(|(_, sent)| ack > sent) {
                self.rtx_mark = None;
            }
            self.rtt_probe = None;
        } else if let Some((end, at)) = self.rtt_probe
            && ack >= end
        {
            sample = Some(now.saturating_duration_since(at));
            self.rtt_probe = None;
        }
        if let Some(rtt) = sample {
            self.rtt.sample(rtt);
            self.rack.on_rtt_sample(rtt);
        }
        sample
    }

    /// Seventh and eighth steps: segment text and FIN.
    pub(super) fn process_text(&mut self, now: Instant, seq: i64, payload: &[u8], fin: bool) {
        if !self.state.can_receive() {
            return;
        }
        let seg_end = seq + payload.len() as i64;
        let capacity_edge = (self.rcv_read + self.recv_buf.capacity() as u64) as i64;
        let mut limit = capacity_edge;
        if let Some(f) = self.rcv_fin {
            limit = limit.min(f as i64);
        }
        let start = seq.max(self.rcv_nxt as i64);
        let end = seg_end.min(limit);
        if start < end {
            if self.read_closed {
                // RFC 1122 §4.2.2.13: data nobody will read. Say so.
                self.abort();
                return;
            }
            if self.sack_ok && seq < start && seq >= 0 {
                // Partly old: the part below RCV.NXT is the duplicate.
                self.dsack = Some(((seq as u64, start as u64), None));
            }
            let skip = usize::try_from(start - seq).unwrap_or(usize::MAX);
            let n = usize::try_from(end - start).unwrap_or(0);
            let Some(data) = payload.get(skip..skip.saturating_add(n)) else {
                return;
            };
            let at = usize::try_from(start as u64 - self.rcv_read).unwrap_or(usize::MAX);
            self.recv_buf.write_at(at, data);
            self.stats.bytes_received += n as u64;
            if start as u64 == self.rcv_nxt {
                let had_gaps = !self.assembler.is_empty();
                let old = self.rcv_nxt;
                self.rcv_nxt = end as u64;
                while let Some(e) = self.assembler.pop_contiguous(self.rcv_nxt) {
                    self.rcv_nxt = self.rcv_nxt.max(e);
                }
                self.assembler.forget_below(self.rcv_nxt);
                self.recv_buf
                    .extend(usize::try_from(self.rcv_nxt - old).unwrap_or(usize::MAX));
                self.events.push(Event::Readable);
                if had_gaps {
                    // RFC 5681 §4.2: ACK at once when a gap fills.
                    self.ack_now = true;
                } else {
                    self.delay_ack(now, n as u64);
                }
            } else {
                if self.sack_ok
                    && let Some(block) = self.assembler.covering(start as u64, end as u64)
                {
                    // RFC 2883 §4: a duplicate above RCV.NXT; the second
                    // block names the held range around it.
                    self.dsack = Some(((start as u64, end as u64), Some(block)));
                }
                self.assembler.insert(start as u64, end as u64);
                self.stats.out_of_order += 1;
                // RFC 5681 §4.2: an out-of-order segment is ACKed at once.
                self.ack_now = true;
            }
        } else if !payload.is_empty() {
            // Nothing new (a duplicate) or no room: tell the peer where we are.
            self.ack_now = true;
        }
        if fin
            && seg_end <= capacity_edge
            && self.rcv_fin.is_none()
            && seg_end >= self.rcv_nxt as i64
        {
            self.rcv_fin = Some(seg_end as u64);
        }
        match self.rcv_fin {
            Some(f) if f == self.rcv_nxt => self.on_fin(now),
            Some(_) if fin => self.ack_now = true,
            _ => {}
        }
    }

    /// RFC 5681 §4.2 and RFC 9293 §3.8.6.3: ACK every second full-sized
    /// segment, else within the delay.
    fn delay_ack(&mut self, now: Instant, n: u64) {
        self.rcv_mss = self.rcv_mss.max(n).min(u64::from(self.config.mss));
        self.delack_bytes += n;
        match self.config.ack_delay {
            Some(delay) if self.delack_bytes < 2 * self.rcv_mss => {
                self.timers.ensure(Timer::DelayedAck, now + delay);
            }
            _ => self.ack_now = true,
        }
    }

    /// The peer's FIN is next in sequence: RFC 9293 eighth step.
    fn on_fin(&mut self, now: Instant) {
        self.rcv_nxt += 1;
        self.fin_received = true;
        self.ack_now = true;
        self.events.push(Event::Readable);
        self.events.push(Event::PeerClosed);
        match self.state {
            State::SynReceived | State::Established => self.state = State::CloseWait,
            State::FinWait1 => {
                if self.fin_acked() {
                    self.enter_time_wait(now);
                } else {
                    self.state = State::Closing;
                }
            }
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }
}

/// RFC 9293 §3.10.7.4, the four cases of the acceptability test.
fn acceptable(seq: i64, len: i64, nxt: i64, wnd: i64) -> bool {
    let inside = |s: i64| nxt <= s && s < nxt + wnd;
    match (len, wnd) {
        (0, 0) => seq == nxt,
        (0, _) => inside(seq),
        (_, 0) => false,
        _ => inside(seq) || inside(seq + len - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn acceptability_table() {
        // Zero-length segment, zero window: only exactly RCV.NXT.
        assert!(acceptable(100, 0, 100, 0));
        assert!(!acceptable(101, 0, 100, 0));
        // Zero-length, open window.
        assert!(acceptable(150, 0, 100, 100));
        assert!(!acceptable(200, 0, 100, 100));
        assert!(!acceptable(99, 0, 100, 100));
        // Data, zero window: never.
        assert!(!acceptable(100, 10, 100, 0));
        // Data overlapping either edge.
        assert!(acceptable(95, 10, 100, 100));
        assert!(acceptable(195, 10, 100, 100));
        assert!(!acceptable(90, 10, 100, 100));
        assert!(!acceptable(200, 10, 100, 100));
    }
}
