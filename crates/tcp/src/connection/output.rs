//! Choosing and building the next segment: handshake segments, new data
//! under the send and congestion windows (with Nagle and sender SWS
//! avoidance), retransmissions (RFC 6675 NextSeg, NewReno, after a
//! timeout) at the pace RFC 9937 PRR sets in SACK recovery, zero-window
//! and keepalive probes, and ACKs.

use core::net::Ipv4Addr;

use strata_core::time::Instant;

use super::scoreboard::Hole;
use super::{Connection, Recovery, RecoveryKind, State};
use crate::wire::{Flags, HEADER_LEN, Options, Repr, Timestamps};

/// A segment [`Connection::poll_transmit`] wrote into the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Source IPv4 address for the pseudo-header and the IP header.
    pub src: Ipv4Addr,
    /// Destination IPv4 address.
    pub dst: Ipv4Addr,
    /// The header as written (ports, sequence numbers, flags, options).
    pub repr: Repr,
    /// Bytes written at the start of the buffer: header plus payload.
    pub len: usize,
}

/// What to send next from the send sequence space.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// Send-side offset of the first octet.
    start: u64,
    /// Octets of sequence space (payload, plus the FIN if it is covered).
    len: u64,
    /// Chosen as a retransmission of lost data (advances HighRxt).
    recovery: bool,
    /// RFC 6675 NextSeg rule 4: a rescue retransmission.
    rescue: bool,
}

impl Connection {
    /// Writes the next segment the connection wants sent into `buf` (TCP
    /// header, options, payload; checksum filled for the addresses in the
    /// returned [`Transmit`]) and returns its description, or `None` when
    /// there is nothing to send now. Call it until it returns `None`.
    ///
    /// `buf` bounds the segment: a payload is cut to fit, and nothing is
    /// sent when even the header (up to 60 bytes) does not fit.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if let Some(rst) = self.pending_rst {
            let len = rst.repr.header_len();
            rst.repr.emit(buf, rst.from, *rst.to.ip()).ok()?;
            self.pending_rst = None;
            self.stats.segments_sent += 1;
            return Some(Transmit {
                src: rst.from,
                dst: *rst.to.ip(),
                repr: rst.repr,
                len,
            });
        }
        let sent = match self.state {
            State::Closed | State::Listen => None,
            State::SynSent if self.syn_due => self.send_syn(now, buf, false),
            State::SynReceived if self.syn_due => self.send_syn(now, buf, true),
            State::SynSent => None,
            State::SynReceived | State::TimeWait => {
                if self.ack_now {
                    self.send_control(now, buf, self.snd_max)
                } else {
                    None
                }
            }
            _ => self.transmit_synchronized(now, buf),
        };
        // Also when nothing went out: data the windows hold back needs the
        // persist timer armed.
        self.update_timers(now);
        sent
    }

    fn transmit_synchronized(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        if self.probe_due {
            self.probe_due = false;
            if let Some(plan) = self.probe_plan() {
                self.stats.window_probes += 1;
                if let Some(t) = self.send_data(now, buf, plan) {
                    return Some(t);
                }
            }
        }
        if self.tlp_due {
            self.tlp_due = false;
            if let Some(plan) = self.probe_segment() {
                let rtx = plan.start < self.snd_max;
                if let Some(t) = self.send_data(now, buf, plan) {
                    self.stats.tail_loss_probes += 1;
                    self.tlp_out = Some((self.snd_max, rtx));
                    // RFC 8985 §7.3: after the probe, the RTO watches.
                    self.timers.cancel(super::timer::Timer::Probe);
                    return Some(t);
                }
            }
        }
        if let Some(plan) = self.plan(now)
            && let Some(t) = self.send_data(now, buf, plan)
        {
            return Some(t);
        }
        if self.ack_now {
            return self.send_control(now, buf, self.snd_max);
        }
        if self.keepalive_due {
            self.keepalive_due = false;
            self.stats.keepalive_probes += 1;
            // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data, so the peer
            // must answer with an ACK.
            return self.send_control(now, buf, self.snd_max.saturating_sub(1));
        }
        None
    }

    /// RFC 6675 pipe, or RFC 5681 FlightSize where that is what the
    /// algorithm in force counts.
    pub(super) fn flight(&self) -> u64 {
        match self.recovery {
            None if self.lost_below <= self.snd_una => self.snd_max - self.snd_una,
            Some(Recovery {
                kind: RecoveryKind::NewReno,
                ..
            }) => self.snd_max - self.snd_una,
            _ => self
                .scoreboard
                .pipe(
                    self.snd_una,
                    self.snd_max,
                    self.smss(),
                    self.lost_below,
                    self.high_rxt,
                )
                // Retransmissions RACK found lost have left the network.
                .saturating_sub(self.rack.relost_bytes()),
        }
    }

    /// The next data segment, if the windows and the sending rules allow.
    fn plan(&mut self, now: Instant) -> Option<Plan> {
        let smss = self.smss();
        let in_recovery = self.recovery.is_some() || self.lost_below > self.snd_una;
        let newreno = matches!(
            self.recovery,
            Some(Recovery {
                kind: RecoveryKind::NewReno,
                ..
            })
        );
        let cwnd = self.effective_cwnd();
        let mut flight = None;

        // Retransmissions RACK deemed lost (RFC 8985 §6.2) go first: they
        // are the oldest holes, below HighRxt, which NextSeg never revisits.
        if let Some((start, end)) = self.rack.next_relost() {
            let pipe = self.flight();
            flight = Some(pipe);
            let wnd_edge = self.snd_una + self.snd_wnd;
            if start < wnd_edge {
                let len = (end.min(wnd_edge) - start).min(smss);
                if newreno || pipe == 0 || len <= self.send_room(pipe, cwnd) {
                    return Some(Plan {
                        start,
                        len,
                        recovery: true,
                        rescue: false,
                    });
                }
                return None;
            }
        }

        // RFC 6675 NextSeg rule 1 (and NewReno's, and go-back-N after a
        // timeout): the first lost octets above HighRxt.
        if self.snd_una < self.snd_max && in_recovery {
            let pipe = self.flight();
            flight = Some(pipe);
            let lost = self
                .scoreboard
                .holes(self.snd_una, self.snd_max, smss, self.lost_below)
                .filter(|h| h.lost)
                .find(|h| h.end > self.high_rxt);
            // Never past the offered window; the persist timer probes a
            // closed one.
            let wnd_edge = self.snd_una + self.snd_wnd;
            if let Some(hole) = lost.filter(|h| h.start.max(self.high_rxt) < wnd_edge) {
                let start = hole.start.max(self.high_rxt);
                let len = (hole.end.min(wnd_edge) - start).min(smss);
                // NewReno retransmits regardless of the window (RFC 6582
                // steps 2 and 5); the others wait for cwnd - pipe.
                if newreno || pipe == 0 || len <= self.send_room(pipe, cwnd) {
                    return Some(Plan {
                        start,
                        len,
                        recovery: true,
                        rescue: false,
                    });
                }
                return None;
            }
        }

        // Rule 2: new data.
        let send_end = self.send_end();
        if self.snd_max < send_end {
            if self.config.slow_start_after_idle
                && self.snd_una == self.snd_max
                && now.saturating_duration_since(self.last_send_at) > self.rtt.rto()
            {
                self.cc.restart_after_idle(now);
                self.last_send_at = now;
            }
            let cwnd = self.effective_cwnd();
            let start = self.snd_max;
            let data_end = self.data_end();
            let avail = data_end.saturating_sub(start);
            let wnd_avail = (self.snd_una + self.snd_wnd).saturating_sub(start);
            let flight = flight.unwrap_or_else(|| self.flight());
            let mut allowance = cwnd;
            if self.recovery.is_none() && (1..=2).contains(&self.dup_acks) {
                // RFC 3042 limited transmit: one more segment per duplicate.
                allowance += u64::from(self.dup_acks) * smss;
            }
            let cwnd_avail = self.send_room(flight, allowance);
            let len = avail.min(smss).min(wnd_avail).min(cwnd_avail);
            let fin_now = self.fin_queued && start + len == data_end;
            if len == 0 {
                // A FIN alone takes no window; it waits only for cwnd.
                if fin_now && (cwnd_avail > 0 || flight == 0) {
                    return Some(Plan {
                        start,
                        len: 1,
                        recovery: false,
                        rescue: false,
                    });
                }
            } else if self.may_send(len, avail, cwnd_avail, fin_now) {
                return Some(Plan {
                    start,
                    len: len + u64::from(fin_now),
                    recovery: false,
                    rescue: false,
                });
            }
        }

        // Rules 3 and 4 of RFC 6675 NextSeg, once nothing new can be sent.
        let sack_recovery = match self.recovery {
            Some(Recovery {
                kind: RecoveryKind::Sack,
                point,
            }) => Some(point),
            _ => None,
        };
        if let Some(point) = sack_recovery
            && self.snd_max >= send_end
        {
            let pipe = flight.unwrap_or_else(|| self.flight());
            let wnd_edge = self.snd_una + self.snd_wnd;
            let highest_sacked = self.scoreboard.highest_sacked().unwrap_or(self.snd_una);
            let mut holes =
                self.scoreboard
                    .holes(self.snd_una, self.snd_max, smss, self.lost_below);
            // Rule 3: a hole above HighRxt not yet deemed lost, "less than
            // the highest octet covered by any received SACK" (rule 1.b).
            if let Some(hole) = holes.find(|h| h.end > self.high_rxt && h.start < highest_sacked) {
                let hole = Hole {
                    end: hole.end.min(highest_sacked),
                    ..hole
                };
                let start = hole.start.max(self.high_rxt);
                if start >= wnd_edge {
                    return None;
                }
                let len = (hole.end.min(wnd_edge) - start).min(smss);
                return (len <= self.send_room(pipe, cwnd)).then_some(Plan {
                    start,
                    len,
                    recovery: true,
                    rescue: false,
                });
            }
            // Rule 4: "if HighACK > RescueRxt (or RescueRxt is undefined),
            // then one segment of upto SMSS octets that MUST include the
            // highest outstanding unSACKed sequence number SHOULD be
            // returned, and RescueRxt set to RecoveryPoint. HighRxt MUST
            // NOT be updated." It keeps the ACK clock going when the tail
            // of the window is lost. Only for that tail, above every SACK:
            // a hole below one was sent again by rule 1 or 3 already.
            if self.rescue_rxt.is_none_or(|r| self.snd_una > r) && highest_sacked < self.snd_max {
                let end = self.snd_max.min(wnd_edge);
                let start = end.saturating_sub(smss).max(highest_sacked);
                if start < end && end - start <= self.send_room(pipe, cwnd) {
                    self.rescue_rxt = Some(point);
                    return Some(Plan {
                        start,
                        len: end - start,
                        recovery: false,
                        rescue: true,
                    });
                }
            }
        }
        None
    }

    /// Octets the congestion window lets out now with `pipe` in flight:
    /// PRR's count in SACK recovery (RFC 9937), else `cwnd - pipe`.
    fn send_room(&self, pipe: u64, cwnd: u64) -> u64 {
        if self.recovery_is(RecoveryKind::Sack) {
            self.prr.allowance(pipe, self.cc.ssthresh(), self.smss())
        } else {
            cwnd.saturating_sub(pipe)
        }
    }

    /// Nagle (RFC 9293 §3.7.4) and sender SWS avoidance (§3.8.6.2.1) for a
    /// segment of `len` new octets out of `avail` queued.
    fn may_send(&self, len: u64, avail: u64, cwnd_avail: u64, fin: bool) -> bool {
        let smss = self.smss();
        if len >= smss || self.force_send {
            return true;
        }
        let everything = len == avail;
        if !everything {
            if cwnd_avail == len {
                // Short only because of cwnd: wait for ACKs to open it.
                return false;
            }
            // Window-limited: send if it is at least half the largest
            // window the peer offered, else wait for the window or the
            // override timer.
            return len >= self.max_snd_wnd / 2;
        }
        // All queued data fits: Nagle holds it while data is unacknowledged,
        // except when closing.
        !(self.config.nagle && self.snd_una < self.snd_max && !fin)
    }

    /// RFC 8985 §7.3: "If a previously unsent segment exists AND the
    /// receive window allows, send that segment" (whatever cwnd says),
    /// "else retransmit the highest-sequence segment sent so far".
    fn probe_segment(&self) -> Option<Plan> {
        let smss = self.smss();
        let wnd_edge = self.snd_una + self.snd_wnd;
        let avail = self.data_end().saturating_sub(self.snd_max);
        if avail > 0 && self.snd_max < wnd_edge {
            let len = avail.min(smss).min(wnd_edge - self.snd_max);
            return Some(Plan {
                start: self.snd_max,
                len,
                recovery: false,
                rescue: false,
            });
        }
        if self.snd_una >= self.snd_max {
            return None;
        }
        let start = self.snd_max.saturating_sub(smss).max(self.snd_una);
        Some(Plan {
            start,
            len: self.snd_max - start,
            recovery: false,
            rescue: false,
        })
    }

    /// A zero-window probe: one octet past the window (or the FIN).
    fn probe_plan(&self) -> Option<Plan> {
        // The first unacknowledged octet if any, else the next new one.
        let start = self.snd_una;
        if start >= self.send_end() {
            return None;
        }
        Some(Plan {
            start,
            len: 1,
            recovery: false,
            rescue: false,
        })
    }

    /// Options for a segment of a synchronized connection: timestamps, and
    /// SACK blocks while out-of-order data is held.
    fn segment_options(&self, now: Instant) -> Options {
        let mut options = Options::new();
        if self.ts_ok {
            options.timestamps = Some(Timestamps {
                tsval: self.ts_now(now),
                tsecr: self.ts_recent,
            });
        }
        if self.sack_ok && (!self.assembler.is_empty() || self.dsack.is_some()) {
            let max = if self.ts_ok { 3 } else { 4 };
            let mut held = None;
            if let Some((dup, block)) = self.dsack {
                // RFC 2883 §4: the duplicate first, then the block holding
                // it, then the usual blocks without repeating that one.
                // The list is empty: these two always fit.
                let _ = options
                    .sack
                    .push((self.rcv_seq(dup.0), self.rcv_seq(dup.1)));
                if let Some((s, e)) = block {
                    let _ = options.sack.push((self.rcv_seq(s), self.rcv_seq(e)));
                    held = block;
                }
            }
            for (s, e) in self.assembler.sack_blocks(max) {
                if options.sack.len() >= max {
                    break;
                }
                if Some((s, e)) == held {
                    continue;
                }
                if !options.sack.push((self.rcv_seq(s), self.rcv_seq(e))) {
                    break;
                }
            }
        }
        options
    }

    /// A header with the connection's ports and the current ACK.
    pub(super) fn header(&self, seq: u64, flags: Flags) -> Repr {
        Repr {
            src_port: self.local.port(),
            dst_port: self.remote.port(),
            seq: self.snd_seq(seq),
            ack: if flags.contains(Flags::ACK) {
                self.rcv_seq(self.rcv_nxt)
            } else {
                0
            },
            flags,
            window: 0,
            urgent: 0,
            options: Options::new(),
            payload_len: 0,
        }
    }

    /// The window field to send, moving the advertised right edge only by
    /// steps receiver SWS avoidance allows (RFC 9293 §3.8.6.2.2) and never
    /// back.
    fn advertise(&mut self) -> u16 {
        let edge = self.window_edge();
        if edge >= self.rcv_adv + self.sws_threshold() {
            self.rcv_adv = edge;
        }
        let wnd = self.rcv_adv.saturating_sub(self.rcv_nxt) >> self.rcv_shift;
        u16::try_from(wnd).unwrap_or(u16::MAX)
    }

    /// Bookkeeping after any segment that carried our ACK.
    fn acked_out(&mut self) {
        if self.dsack.take().is_some() {
            self.stats.dsacks_sent += 1;
        }
        self.last_ack_sent = self.rcv_nxt;
        self.ack_now = false;
        self.delack_bytes = 0;
        self.timers.cancel(super::timer::Timer::DelayedAck);
    }

    fn finish(&mut self, repr: Repr, buf: &mut [u8]) -> Option<Transmit> {
        let src = *self.local.ip();
        let dst = *self.remote.ip();
        repr.emit(buf, src, dst).ok()?;
        self.stats.segments_sent += 1;
        Some(Transmit {
            src,
            dst,
            len: repr.header_len() + repr.payload_len,
            repr,
        })
    }

    /// SYN (active open) or SYN-ACK (passive or simultaneous open).
    fn send_syn(&mut self, now: Instant, buf: &mut [u8], ack: bool) -> Option<Transmit> {
        let flags = if ack {
            Flags::SYN | Flags::ACK
        } else {
            Flags::SYN
        };
        let mut repr = self.header(0, flags);
        let o = &mut repr.options;
        o.mss = Some(self.config.mss);
        if ack {
            // RFC 7323 and RFC 2018: answer only what the peer offered.
            o.window_scale = self.ws_ok.then_some(self.rcv_shift);
            o.sack_permitted = self.sack_ok;
            o.timestamps = self.ts_ok.then(|| Timestamps {
                tsval: self.ts_now(now),
                tsecr: self.ts_recent,
            });
        } else {
            o.window_scale = self
                .config
                .window_scaling
                .then(|| self.config.window_shift());
            o.sack_permitted = self.config.sack;
            o.timestamps = self.config.timestamps.then(|| Timestamps {
                tsval: self.ts_now(now),
                tsecr: 0,
            });
        }
        let window = self.syn_window();
        repr.window = u16::try_from(window).unwrap_or(u16::MAX);
        let sent = self.finish(repr, buf)?;
        self.syn_due = false;
        self.snd_max = self.snd_max.max(1);
        self.rtt_probe = (!self.syn_retransmitted).then_some((1, now));
        if ack {
            self.rcv_adv = self.rcv_adv.max(self.rcv_nxt + window);
            self.acked_out();
        }
        self.last_send_at = now;
        self.timers
            .set(super::timer::Timer::Retransmit, now + self.rtt.rto());
        Some(sent)
    }

    /// A segment without data: an ACK, a challenge ACK, a keepalive probe.
    fn send_control(&mut self, now: Instant, buf: &mut [u8], seq: u64) -> Option<Transmit> {
        let mut repr = self.header(seq, Flags::ACK);
        repr.options = self.segment_options(now);
        repr.window = self.advertise();
        let sent = self.finish(repr, buf)?;
        self.acked_out();
        Some(sent)
    }

    /// A segment from the send sequence space: data, FIN, or both.
    fn send_data(&mut self, now: Instant, buf: &mut [u8], plan: Plan) -> Option<Transmit> {
        let data_end = self.data_end();
        let options = self.segment_options(now);
        let header_len = HEADER_LEN + options.wire_len();
        let room = buf.len().checked_sub(header_len)? as u64;
        let base_mss = self.eff_mss();
        let max_payload = base_mss
            .saturating_sub(options.wire_len() as u64)
            .max(1)
            .min(room);
        let plan_end = plan.start + plan.len;
        let wanted = plan_end.min(data_end).saturating_sub(plan.start);
        let payload_len = wanted.min(max_payload);
        let fin = self.fin_queued && plan.start + payload_len == data_end && plan_end > data_end;
        if payload_len == 0 && !fin {
            return None;
        }
        let n = usize::try_from(payload_len).ok()?;
        let offset = usize::try_from(plan.start.checked_sub(self.send_start)?).ok()?;
        let payload = buf.get_mut(header_len..header_len + n)?;
        if self.send_buf.peek(offset, payload) != n {
            return None;
        }
        let mut flags = Flags::ACK;
        if fin {
            flags |= Flags::FIN;
        }
        if payload_len > 0 && plan.start + payload_len == data_end {
            flags |= Flags::PSH;
        }
        let mut repr = self.header(plan.start, flags);
        repr.options = options;
        repr.payload_len = n;
        repr.window = self.advertise();
        let sent = self.finish(repr, buf)?;

        let end = plan.start + payload_len + u64::from(fin);
        if plan.start < self.snd_max {
            self.stats.retransmissions += 1;
            self.stats.retransmitted_bytes += payload_len.min(self.snd_max - plan.start);
            if plan.recovery {
                self.high_rxt = self.high_rxt.max(end);
            }
            if plan.rescue {
                self.stats.rescue_retransmissions += 1;
            }
            let tsval = repr.options.timestamps.map(|t| t.tsval);
            if self.sack_ok {
                self.rack
                    .on_retransmit(plan.start, end.min(self.snd_max), now, tsval);
            }
            if let Some(u) = &mut self.undo
                && self.recovery.is_some()
            {
                u.retransmits += 1;
                if u.first_rtx.is_none() {
                    u.first_rtx = Some((tsval, plan.start));
                }
            }
            // Karn: a retransmitted segment's ACK times nothing.
            if self.rtt_probe.is_some_and(|(e, _)| e > plan.start) {
                self.rtt_probe = None;
            }
            // Only after a timeout: an echo older than a fast
            // retransmission belongs to an original that was late, not
            // lost, and its sample measures the path's real delay; kept
            // out, under reordering that retransmits often, SRTT would
            // stay at whatever the handshake measured.
            if let Some(ts) = repr.options.timestamps
                && self.recovery_is(RecoveryKind::Timeout)
            {
                self.rtx_mark = Some((ts.tsval, self.snd_max));
            }
        }
        if end > self.snd_max {
            if self.snd_una == self.snd_max {
                self.progress_at = now;
            }
            // RFC 8985 §7.2: the probe timeout restarts with new data.
            self.timers.cancel(super::timer::Timer::Probe);
            self.snd_max = end;
            if self.sack_ok {
                self.rack.on_send(end, now);
            }
            if !self.ts_ok && self.rtt_probe.is_none() {
                self.rtt_probe = Some((end, now));
            }
        }
        if self.recovery_is(RecoveryKind::Sack) {
            self.prr.on_send(payload_len + u64::from(fin));
        }
        self.stats.bytes_sent += payload_len;
        self.last_send_at = now;
        self.force_send = false;
        self.acked_out();
        Some(sent)
    }
}
