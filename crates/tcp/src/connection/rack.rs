//! RACK (RFC 8985) time-based loss detection: "a segment is lost if a
//! segment sent sufficiently later has been delivered" (§2).
//!
//! For original transmissions, whose send times grow with the sequence
//! number, the segments RACK deems lost always form a prefix of the
//! outstanding data: [`Rack::detect_originals`] returns its end, which the
//! connection applies like any other "lost below" mark on the RFC 6675
//! scoreboard. A retransmission sits below HighRxt and NextSeg never
//! chooses it again, so every retransmission is also remembered with its
//! send time; once data sent after it is delivered and the reordering
//! window has passed, it is deemed lost and goes out again.
//!
//! The reordering window starts at zero in recovery (DupThresh-like
//! behaviour) until reordering is seen, then is a quarter of the minimum
//! RTT, widened by every round trip that brings a D-SACK (§6.2 step 4),
//! or the longest a segment that was not lost has been seen late, if that
//! is more; never more than SRTT. Under jitter as wide as the RTT a
//! quarter of the minimum RTT (which millisecond timestamps may measure
//! as zero) is far too little, and D-SACKs widen it only after the
//! needless retransmissions they report.
//!
//! Offsets are the connection's 64-bit send-side offsets. The lists grow
//! only when more is outstanding than ever before.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use strata_core::time::{Duration, Instant};

/// Recoveries a widened reordering window lasts without new evidence
/// (RFC 8985 §6.2 step 4's 16).
const REO_WND_PERSIST: u32 = 16;

/// One retransmission not yet known delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Rtx {
    start: u64,
    end: u64,
    at: Instant,
    /// Its place in the order of transmissions.
    n: u64,
    /// Its TSval, to tell whether an ACK echoes it or the original
    /// (RFC 8985 §6.2 step 2).
    tsval: Option<u32>,
    /// The TSval of the first retransmission of these octets: an echo
    /// older than it is the original's.
    first_tsval: Option<u32>,
}

/// The RACK state of one connection.
#[derive(Debug, Default)]
pub(crate) struct Rack {
    /// Original transmissions: (end offset, time, order), one per segment,
    /// ends increasing.
    sends: VecDeque<(u64, Instant, u64)>,
    /// Transmissions so far: the order of segments sent within one
    /// instant, which RFC 8985 breaks by sequence number instead. That
    /// would be wrong here, where a burst leaves at one instant and a
    /// retransmission may follow new data in it.
    count: u64,
    /// Retransmissions outstanding.
    rtx: Vec<Rtx>,
    /// Retransmitted ranges deemed lost again, waiting to be resent;
    /// disjoint, none SACKed.
    relost: Vec<(u64, u64)>,
    /// RACK.xmit_ts, and the order of that transmission: the most
    /// recently sent segment known delivered.
    xmit: Option<(Instant, u64)>,
    /// RACK.rtt: the RTT measured from that segment.
    rtt: Duration,
    /// RACK.min_RTT.
    min_rtt: Option<Duration>,
    /// RACK.reo_wnd_mult (RFC 8985 §6.2 step 4).
    reo_wnd_mult: u32,
    /// RACK.reo_wnd_persist: recoveries left before the multiplier resets.
    reo_wnd_persist: u32,
    /// RACK.dsack_round: SND.NXT when the multiplier last grew; one
    /// increase per round trip.
    dsack_round: Option<u64>,
    /// RACK.fack: the highest end of delivered data.
    fack: u64,
    /// The most a segment delivered out of order, never retransmitted, was
    /// late: how long after RACK would have deemed it lost with no
    /// reordering window it arrived all the same. Kept as long as the
    /// multiplier (`reo_wnd_persist`).
    reo_extent: Duration,
    /// Below this offset, sent before the last retransmission timeout,
    /// filled holes measure no lateness.
    unmeasured_below: u64,
    /// RACK.reordering_seen.
    pub(crate) reordering_seen: bool,
    /// Retransmissions RACK found lost.
    pub(crate) lost_retransmissions: u64,
}

impl Rack {
    pub(crate) fn new() -> Self {
        Self {
            sends: VecDeque::with_capacity(64),
            rtx: Vec::with_capacity(16),
            relost: Vec::with_capacity(4),
            reo_wnd_mult: 1,
            ..Self::default()
        }
    }

    /// Original data up to `end` left at `now`.
    pub(crate) fn on_send(&mut self, end: u64, now: Instant) {
        self.count += 1;
        self.sends.push_back((end, now, self.count));
    }

    /// `[start, end)` was sent again at `now`.
    pub(crate) fn on_retransmit(&mut self, start: u64, end: u64, now: Instant, tsval: Option<u32>) {
        if start >= end {
            return;
        }
        subtract(&mut self.relost, start, end);
        let first_tsval = self
            .rtx
            .iter()
            .find(|r| r.start < end && r.end > start)
            .map_or(tsval, |r| r.first_tsval);
        self.forget_rtx(start, end);
        self.count += 1;
        self.rtx.push(Rtx {
            start,
            end,
            at: now,
            n: self.count,
            tsval,
            first_tsval,
        });
    }

    /// A retransmission timeout: everything goes again from SND.UNA, so
    /// what RACK knew of earlier retransmissions no longer matters. What
    /// was sent so far may have gone several times, so an echo tells no
    /// more which copy filled a hole there.
    pub(crate) fn on_timeout(&mut self) {
        self.rtx.clear();
        self.relost.clear();
        if let Some(&(end, _, _)) = self.sends.back() {
            self.unmeasured_below = end;
        }
    }

    /// SND.UNA moved to `una`.
    pub(crate) fn advance(&mut self, una: u64) {
        let gone = self.sends.partition_point(|&(e, _, _)| e <= una);
        self.sends.drain(..gone);
        self.forget_rtx(0, una);
        subtract(&mut self.relost, 0, una);
    }

    /// An RTT sample (RACK.min_RTT follows every sample).
    pub(crate) fn on_rtt_sample(&mut self, rtt: Duration) {
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
    }

    /// `[start, end)` is known delivered (cumulatively acknowledged or
    /// SACKed) at `now`; `tsecr` is the ACK's timestamp echo. Updates
    /// RACK.xmit_ts and RACK.rtt (RFC 8985 §6.2 steps 1 and 2).
    ///
    /// With `newly`, the range was not known delivered before, so it also
    /// takes part in step 3: delivered below RACK.fack without having been
    /// retransmitted means the network reordered it.
    pub(crate) fn on_delivered(
        &mut self,
        now: Instant,
        start: u64,
        end: u64,
        tsecr: Option<u32>,
        newly: bool,
    ) {
        if start >= end {
            return;
        }
        // The original transmission of the highest octet.
        let i = self.sends.partition_point(|&(e, _, _)| e < end);
        let original = self.sends.get(i).copied();
        if newly && end < self.fack {
            let retransmitted = self.rtx.iter().any(|r| r.start < end && r.end > start);
            if !retransmitted {
                self.reordering_seen = true;
                // Reordered, not lost: had the window been shorter than
                // its lateness, it would have gone again for nothing. The
                // window takes the lateness (Linux, likewise, learns its
                // reordering degree from holes filled without a
                // retransmission; RFC 8985 §6.2 leaves the window's
                // adaptation to the implementation beyond its minimum).
                if let Some((_, at, _)) = original
                    && start >= self.unmeasured_below
                {
                    self.note_late(now.saturating_duration_since(at) - self.rtt);
                }
            }
        }
        self.fack = self.fack.max(end);
        subtract(&mut self.relost, start, end);
        if let Some((_, at, n)) = original {
            self.update(now, at, n);
        }
        // The common case, nothing retransmitted outstanding, skips the
        // scan below and its scratch array.
        if self.rtx.is_empty() {
            return;
        }
        // A retransmission in the range is the latest send of its octets,
        // unless the ACK shows the original arrived instead: it echoes an
        // older TSval, or it came sooner than any round trip could
        // (step 2's ambiguity rule).
        let min_rtt = self.min_rtt.unwrap_or(Duration::ZERO);
        let mut found = [None; 4];
        let mut n = 0;
        for r in &self.rtx {
            if r.end <= start || r.start >= end {
                continue;
            }
            let original = match (tsecr, r.tsval) {
                (Some(echo), Some(tsval)) => (echo.wrapping_sub(tsval) as i32) < 0,
                _ => now.saturating_duration_since(r.at) < min_rtt,
            };
            if !original && let Some(slot) = found.get_mut(n) {
                *slot = Some((r.at, r.n));
                n += 1;
            }
        }
        for (at, e) in found.into_iter().flatten() {
            self.update(now, at, e);
        }
        self.forget_rtx(start, end);
    }

    /// The cumulative acknowledgment filled the hole `[start, end)` at
    /// `now`, echoing `tsecr`. If that hole had been retransmitted and the
    /// echo is older than the retransmission, the original filled it
    /// (RFC 7323 §4.3 has the receiver echo the segment that fills a
    /// hole): it was late, not lost, and the window takes its lateness
    /// like that of any reordered segment. Without this, a window too
    /// small to let a late segment arrive before its retransmission never
    /// sees one arrive, and never grows but by D-SACKs, in steps of a
    /// quarter of a minimum RTT that millisecond timestamps may measure
    /// as zero. Only the cumulative ACK tells: a SACK echoes the last
    /// segment in order, older than anything above the hole.
    pub(crate) fn on_hole_filled(
        &mut self,
        now: Instant,
        start: u64,
        end: u64,
        tsecr: Option<u32>,
    ) {
        let Some(echo) = tsecr else {
            return;
        };
        // The common case, nothing retransmitted outstanding, costs two
        // comparisons.
        if self.rtx.is_empty() || start < self.unmeasured_below {
            return;
        }
        // Older than the first retransmission: neither it nor a later one
        // (that one may have arrived and its ACK been lost) filled it.
        let late_original = self.rtx.iter().any(|r| {
            r.start < end
                && r.end > start
                && r.first_tsval
                    .is_some_and(|tsval| (echo.wrapping_sub(tsval) as i32) < 0)
        });
        if !late_original {
            return;
        }
        let i = self.sends.partition_point(|&(e, _, _)| e <= start);
        if let Some(&(_, at, _)) = self.sends.get(i) {
            self.note_late(now.saturating_duration_since(at) - self.rtt);
        }
    }

    /// A segment not lost arrived `late` after RACK would have deemed it
    /// lost with no reordering window: the path reorders.
    fn note_late(&mut self, late: Duration) {
        self.reordering_seen = true;
        // Any lateness the window had to cover keeps it: reordering that
        // goes on but never beats its record must not let it lapse.
        if late > Duration::ZERO {
            self.reo_extent = self.reo_extent.max(late);
            self.reo_wnd_persist = REO_WND_PERSIST;
        }
    }

    fn update(&mut self, now: Instant, at: Instant, n: u64) {
        if self.xmit.is_none_or(|x| sent_after((at, n), x)) {
            self.xmit = Some((at, n));
            self.rtt = now.saturating_duration_since(at);
        }
    }

    /// A D-SACK arrived (RFC 8985 §6.2 step 4): "RACK.reo_wnd_mult += 1"
    /// once per round trip, kept for 16 recoveries. A duplicate delivery
    /// also means a retransmission was needless: reordering.
    pub(crate) fn on_dsack(&mut self, una: u64, nxt: u64) {
        self.reordering_seen = true;
        if self.dsack_round.is_none_or(|r| una >= r) {
            self.dsack_round = Some(nxt);
            self.reo_wnd_mult = self.reo_wnd_mult.saturating_add(1);
            self.reo_wnd_persist = REO_WND_PERSIST;
        }
    }

    /// A recovery ended: after 16 without a D-SACK or a newly measured
    /// lateness the window shrinks back.
    pub(crate) fn on_recovery_exit(&mut self) {
        if self.reo_wnd_persist > 0 {
            self.reo_wnd_persist -= 1;
            if self.reo_wnd_persist == 0 {
                self.reo_wnd_mult = 1;
                self.reo_extent = Duration::ZERO;
            }
        }
    }

    /// RACK.reo_wnd (RFC 8985 §6.2 step 4): zero in recovery while no
    /// reordering has been seen, else a quarter of the minimum RTT per
    /// multiple or the lateness measured, whichever is more, at most SRTT.
    /// A quarter of the minimum RTT alone is too little when reordering
    /// comes from jitter as wide as the RTT: a segment that skipped the
    /// queue makes everything sent just before it look lost.
    pub(crate) fn reo_wnd(&self, srtt: Option<Duration>, in_recovery: bool) -> Duration {
        if !self.reordering_seen && in_recovery {
            return Duration::ZERO;
        }
        let base = self.min_rtt.or(srtt).unwrap_or(Duration::ZERO);
        let wnd = Duration::from_micros(
            base.total_micros()
                .saturating_mul(u64::from(self.reo_wnd_mult))
                / 4,
        )
        .max(self.reo_extent);
        srtt.map_or(wnd, |s| wnd.min(s))
    }

    /// RFC 8985 §6.2 step 5 for the retransmissions: those sent before
    /// RACK.xmit_ts whose time is up are moved to the re-lost list.
    /// Returns when to look again, if some wait on the reordering window.
    pub(crate) fn detect(&mut self, now: Instant, reo_wnd: Duration) -> Option<Instant> {
        let xmit = self.xmit?;
        let mut next: Option<Instant> = None;
        let mut i = 0;
        while let Some(&r) = self.rtx.get(i) {
            if sent_after(xmit, (r.at, r.n)) {
                let deadline = r.at + self.rtt + reo_wnd;
                if deadline <= now {
                    self.rtx.swap_remove(i);
                    self.lost_retransmissions += 1;
                    insert(&mut self.relost, r.start, r.end);
                    continue;
                }
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
            i += 1;
        }
        next
    }

    /// RFC 8985 §6.2 step 5 for original transmissions above `lost_below`
    /// (below it they are lost already): the end of the prefix now deemed
    /// lost, if any, and when to look again for a segment sent before
    /// RACK.xmit_ts whose window has not passed.
    pub(crate) fn detect_originals(
        &self,
        now: Instant,
        reo_wnd: Duration,
        lost_below: u64,
    ) -> (Option<u64>, Option<Instant>) {
        let Some(xmit) = self.xmit else {
            return (None, None);
        };
        let mut lost = None;
        let first = self.sends.partition_point(|&(e, _, _)| e <= lost_below);
        for &(end, at, n) in self.sends.range(first..) {
            if !sent_after(xmit, (at, n)) {
                break;
            }
            let deadline = at + self.rtt + reo_wnd;
            if deadline > now {
                return (lost, Some(deadline));
            }
            lost = Some(end);
        }
        (lost, None)
    }

    /// The first re-lost range to send again.
    pub(crate) fn next_relost(&self) -> Option<(u64, u64)> {
        self.relost.first().copied()
    }

    /// Octets deemed lost again and not yet resent: out of the pipe.
    pub(crate) fn relost_bytes(&self) -> u64 {
        self.relost.iter().map(|&(s, e)| e - s).sum()
    }

    /// Drops the parts of watched retransmissions inside `[start, end)`.
    fn forget_rtx(&mut self, start: u64, end: u64) {
        let mut i = 0;
        while let Some(r) = self.rtx.get_mut(i) {
            if r.end <= start || r.start >= end {
                i += 1;
            } else if r.start >= start && r.end <= end {
                self.rtx.swap_remove(i);
            } else if r.start < start && r.end > end {
                // The range cuts it in two.
                let tail = Rtx { start: end, ..*r };
                r.end = start;
                self.rtx.push(tail);
                i += 1;
            } else if r.start < start {
                r.end = start;
                i += 1;
            } else {
                r.start = end;
                i += 1;
            }
        }
    }
}

/// RFC 8985's "sent after": later, or at the same time but later in the
/// order of transmissions.
fn sent_after(a: (Instant, u64), b: (Instant, u64)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 > b.1)
}

/// Removes `[start, end)` from a sorted list of disjoint ranges.
fn subtract(list: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    let mut i = 0;
    while let Some(&(s, e)) = list.get(i) {
        if e <= start || s >= end {
            i += 1;
        } else if s >= start && e <= end {
            list.remove(i);
        } else if s < start && e > end {
            if let Some(slot) = list.get_mut(i) {
                slot.1 = start;
            }
            list.insert(i + 1, (end, e));
            i += 2;
        } else if s < start {
            if let Some(slot) = list.get_mut(i) {
                slot.1 = start;
            }
            i += 1;
        } else {
            if let Some(slot) = list.get_mut(i) {
                slot.0 = end;
            }
            i += 1;
        }
    }
}

/// Adds `[start, end)` to a sorted list of disjoint ranges.
fn insert(list: &mut Vec<(u64, u64)>, start: u64, end: u64) {
    let first = list.partition_point(|&(_, e)| e < start);
    let last = list.partition_point(|&(s, _)| s <= end);
    let mut merged = (start, end);
    for &(s, e) in list.get(first..last).unwrap_or_default() {
        merged = (merged.0.min(s), merged.1.max(e));
    }
    if first < last {
        list.drain(first..last);
    }
    list.insert(first, merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn ranges() {
        let mut l = Vec::new();
        insert(&mut l, 10, 20);
        insert(&mut l, 30, 40);
        insert(&mut l, 20, 30);
        assert_eq!(l, [(10, 40)]);
        subtract(&mut l, 15, 25);
        assert_eq!(l, [(10, 15), (25, 40)]);
        subtract(&mut l, 0, 12);
        subtract(&mut l, 35, 100);
        assert_eq!(l, [(12, 15), (25, 35)]);
    }

    #[test]
    fn lost_retransmission_after_later_delivery() {
        // RFC 8985 §2: "if a packet has been delivered, then any packet
        // that was sent sufficiently earlier is lost".
        let mut r = Rack::new();
        r.on_rtt_sample(Duration::from_millis(20));
        r.on_send(1000, ms(0));
        r.on_send(5000, ms(1));
        r.on_retransmit(0, 1000, ms(20), None);
        r.on_send(6000, ms(20));
        assert_eq!(r.detect(ms(30), Duration::from_millis(5)), None);
        // Data sent with the retransmission but higher in sequence is
        // SACKed 20 ms later: the retransmission should have been too.
        r.on_delivered(ms(40), 5000, 6000, None, true);
        assert_eq!(r.rtt, Duration::from_millis(20));
        let wnd = r.reo_wnd(Some(Duration::from_millis(20)), false);
        assert_eq!(wnd, Duration::from_millis(5));
        // Not before RACK.rtt + reo_wnd has passed since it was sent.
        assert_eq!(r.detect(ms(40), wnd), Some(ms(45)));
        assert_eq!(r.next_relost(), None);
        assert_eq!(r.detect(ms(45), wnd), None);
        assert_eq!(r.next_relost(), Some((0, 1000)));
        assert_eq!(r.relost_bytes(), 1000);
        assert_eq!(r.lost_retransmissions, 1);
        r.on_retransmit(0, 1000, ms(46), None);
        assert_eq!(r.relost_bytes(), 0);
        r.advance(1000);
        assert!(r.rtx.is_empty());
    }

    #[test]
    fn reordered_original_widens_the_window_to_its_lateness() {
        let mut r = Rack::new();
        r.on_rtt_sample(Duration::from_millis(4));
        r.on_send(1000, ms(0));
        r.on_send(2000, ms(1));
        // The second segment skips the queue: delivered 5 ms after it left.
        r.on_delivered(ms(6), 1000, 2000, None, true);
        assert_eq!(r.rtt, Duration::from_millis(5));
        // A quarter of the minimum RTT is all the window there is...
        let srtt = Some(Duration::from_millis(20));
        assert_eq!(r.reo_wnd(srtt, false), Duration::from_millis(1));
        // ... but the first arrives at 18 ms, 13 ms after RACK.rtt would
        // have had it lost: the window learns that.
        r.on_delivered(ms(18), 0, 1000, None, true);
        assert!(r.reordering_seen);
        assert_eq!(r.reo_wnd(srtt, true), Duration::from_millis(13));
        // Never past SRTT.
        assert_eq!(
            r.reo_wnd(Some(Duration::from_millis(8)), true),
            Duration::from_millis(8)
        );
        // Sixteen recoveries without new evidence bring it back.
        for _ in 0..16 {
            r.on_recovery_exit();
        }
        assert_eq!(r.reo_wnd(srtt, true), Duration::from_millis(1));
    }

    #[test]
    fn original_filling_the_hole_after_its_retransmission_is_late() {
        let mut r = Rack::new();
        r.on_rtt_sample(Duration::from_millis(10));
        r.on_send(1000, ms(0));
        r.on_send(2000, ms(1));
        r.on_delivered(ms(11), 1000, 2000, None, true);
        r.on_retransmit(0, 1000, ms(12), Some(112));
        // The cumulative ACK echoes TSval 100, older than the first
        // retransmission's: the original filled the hole, 20 ms after RACK
        // deemed it lost.
        r.on_hole_filled(ms(30), 0, 1000, Some(100));
        let srtt = Some(Duration::from_millis(40));
        assert_eq!(r.reo_wnd(srtt, true), Duration::from_millis(20));
    }

    #[test]
    fn echo_of_an_earlier_retransmission_measures_nothing() {
        let mut r = Rack::new();
        r.on_rtt_sample(Duration::from_millis(10));
        r.on_send(1000, ms(0));
        r.on_send(2000, ms(1));
        r.on_delivered(ms(11), 1000, 2000, None, true);
        r.on_retransmit(0, 1000, ms(12), Some(112));
        r.on_retransmit(0, 1000, ms(40), Some(140));
        // The first retransmission filled the hole; the echo is older than
        // the second, not than the first.
        r.on_hole_filled(ms(45), 0, 1000, Some(112));
        assert!(!r.reordering_seen);
        let srtt = Some(Duration::from_millis(40));
        assert_eq!(r.reo_wnd(srtt, false), Duration::from_micros(2500));
        // After a timeout, nothing sent before it measures either.
        r.on_timeout();
        r.on_retransmit(0, 1000, ms(300), Some(400));
        r.on_hole_filled(ms(301), 0, 1000, Some(100));
        assert!(!r.reordering_seen);
        assert_eq!(r.reo_wnd(srtt, false), Duration::from_micros(2500));
    }

    #[test]
    fn echo_of_the_original_is_not_the_retransmission() {
        let mut r = Rack::new();
        r.on_rtt_sample(Duration::from_millis(20));
        r.on_send(2000, ms(0));
        r.on_retransmit(0, 1000, ms(30), Some(130));
        // The ACK echoes TSval 100, the original's: the original arrived,
        // so RACK.xmit_ts is the original's time.
        r.on_delivered(ms(31), 0, 1000, Some(100), true);
        assert_eq!(r.xmit.map(|x| x.0), Some(ms(0)));
    }
}
