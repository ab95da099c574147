//! NewReno: RFC 5681 with RFC 3465 byte counting and RFC 6582 recovery exit.

use strata_core::time::Instant;

use super::{Ack, CongestionControl, InitialWindow, Reno};

/// RFC 5681 congestion control.
///
/// - Slow start (`cwnd < ssthresh`): `cwnd += min(acked, L)` per ACK, with
///   RFC 3465's limit `L = 2·SMSS` (one SMSS in the slow start after a
///   timeout), so delayed ACKs do not halve the growth rate: the window
///   doubles per round trip.
/// - Congestion avoidance: byte counting per round trip (RFC 3465 §2.1):
///   acknowledged bytes accumulate, and each time they reach `cwnd` the
///   window grows by one SMSS. Exactly one segment per RTT, however the
///   receiver spaces its ACKs.
/// - Loss: `ssthresh = max(FlightSize / 2, 2·SMSS)` (RFC 5681 eq. 4) and
///   `cwnd = ssthresh`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReno {
    reno: Reno,
    /// RFC 3465 `bytes_acked` in congestion avoidance.
    bytes_acked: u32,
}

impl NewReno {
    /// NewReno in its initial state: `cwnd` the initial window for `smss`,
    /// `ssthresh` unbounded.
    #[must_use]
    pub fn new(smss: u16, initial_window: InitialWindow) -> Self {
        NewReno {
            reno: Reno::new(smss, initial_window),
            bytes_acked: 0,
        }
    }

    fn congestion_avoidance(&mut self, acked: u32) {
        self.bytes_acked = self.bytes_acked.saturating_add(acked);
        if self.bytes_acked >= self.reno.cwnd {
            self.bytes_acked -= self.reno.cwnd;
            // A stretch ACK worth more than a window still earns one segment.
            self.bytes_acked = self.bytes_acked.min(self.reno.cwnd);
            self.reno.cwnd = self.reno.cwnd.saturating_add(self.reno.smss);
        }
    }
}

impl CongestionControl for NewReno {
    #[inline]
    fn cwnd(&self) -> u32 {
        self.reno.cwnd
    }

    #[inline]
    fn ssthresh(&self) -> u32 {
        self.reno.ssthresh
    }

    #[inline]
    fn smss(&self) -> u16 {
        self.reno.smss16()
    }

    fn on_ack(&mut self, _now: Instant, ack: &Ack) {
        self.reno.timed_out = false;
        if ack.app_limited || ack.newly_acked == 0 {
            return;
        }
        let mut acked = ack.newly_acked;
        if self.reno.cwnd < self.reno.ssthresh {
            acked = self.reno.slow_start(acked);
        }
        if acked > 0 {
            self.congestion_avoidance(acked);
        }
    }

    fn on_congestion_event(&mut self, _now: Instant, flight_size: u32) {
        self.reno.enter_recovery(flight_size / 2);
        self.bytes_acked = 0;
    }

    fn on_recovery_exit(&mut self, _now: Instant, flight_size: u32) {
        self.reno.exit_recovery(flight_size);
        self.bytes_acked = 0;
    }

    fn on_retransmission_timeout(&mut self, _now: Instant, flight_size: u32) {
        self.reno.timeout(flight_size / 2);
        self.bytes_acked = 0;
    }

    fn on_idle_restart(&mut self, _now: Instant) {
        self.reno.idle_restart();
    }

    fn set_slow_start_divisor(&mut self, divisor: u32) {
        self.reno.ss_divisor = divisor.max(1);
    }

    fn exit_slow_start(&mut self) {
        self.reno.exit_slow_start();
    }

    fn set_mss(&mut self, smss: u16) {
        self.reno.set_mss(smss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strata_core::time::Duration;

    const SMSS: u32 = 1000;

    fn ack(bytes: u32) -> Ack {
        Ack {
            newly_acked: bytes,
            srtt: Some(Duration::from_millis(50)),
            app_limited: false,
        }
    }

    /// One round trip in which every segment of the window is acknowledged,
    /// one ACK per `per_ack` segments.
    fn round_trip(cc: &mut NewReno, per_ack: u32) {
        let window = cc.cwnd();
        let mut left = window;
        while left > 0 {
            let n = left.min(per_ack * SMSS);
            cc.on_ack(Instant::ZERO, &ack(n));
            left -= n;
        }
    }

    fn reno() -> NewReno {
        NewReno::new(SMSS as u16, InitialWindow::Rfc6928)
    }

    #[test]
    fn slow_start_doubles_per_rtt() {
        let mut cc = reno();
        assert_eq!(cc.cwnd(), 10 * SMSS);
        let mut expected = 10 * SMSS;
        for _ in 0..5 {
            round_trip(&mut cc, 1);
            expected *= 2;
            assert_eq!(cc.cwnd(), expected);
        }
    }

    #[test]
    fn slow_start_doubles_with_delayed_acks_thanks_to_l2() {
        let mut cc = reno();
        round_trip(&mut cc, 2);
        assert_eq!(cc.cwnd(), 20 * SMSS);
        round_trip(&mut cc, 2);
        assert_eq!(cc.cwnd(), 40 * SMSS);
        // A stretch ACK of four segments is capped at 2·SMSS.
        cc.on_ack(Instant::ZERO, &ack(4 * SMSS));
        assert_eq!(cc.cwnd(), 42 * SMSS);
    }

    #[test]
    fn slow_start_stops_at_ssthresh_and_leftover_counts_for_ca() {
        let mut cc = reno();
        cc.on_congestion_event(Instant::ZERO, 30 * SMSS);
        cc.on_recovery_exit(Instant::ZERO, 0);
        assert_eq!(cc.cwnd(), 2 * SMSS);
        assert_eq!(cc.ssthresh(), 15 * SMSS);
        let mut cwnds = std::vec::Vec::new();
        for _ in 0..6 {
            round_trip(&mut cc, 1);
            cwnds.push(cc.cwnd() / SMSS);
        }
        // 2 → 4 → 8 → 15 (capped) → 16 → 17 → 18 in congestion avoidance.
        assert_eq!(cwnds, [4, 8, 15, 16, 17, 18]);
        assert!(!cc.in_slow_start());
    }

    #[test]
    fn congestion_avoidance_grows_one_segment_per_rtt() {
        let mut cc = reno();
        cc.on_congestion_event(Instant::ZERO, 40 * SMSS);
        assert_eq!(cc.cwnd(), 20 * SMSS);
        assert_eq!(cc.ssthresh(), 20 * SMSS);
        for rtt in 1..=20 {
            round_trip(&mut cc, 1);
            assert_eq!(cc.cwnd(), (20 + rtt) * SMSS);
        }
        // Same with delayed ACKs, and with odd-sized ACKs.
        for rtt in 1..=5 {
            round_trip(&mut cc, 2);
            assert_eq!(cc.cwnd(), (40 + rtt) * SMSS);
        }
        let before = cc.cwnd();
        let mut acked = 0;
        while acked < before {
            cc.on_ack(Instant::ZERO, &ack(777));
            acked += 777;
        }
        assert_eq!(cc.cwnd(), before + SMSS);
    }

    #[test]
    fn loss_halves_flight_size_with_floor() {
        let mut cc = reno();
        round_trip(&mut cc, 1);
        cc.on_congestion_event(Instant::ZERO, 20 * SMSS);
        assert_eq!((cc.ssthresh(), cc.cwnd()), (10 * SMSS, 10 * SMSS));
        cc.on_congestion_event(Instant::ZERO, 3 * SMSS);
        assert_eq!((cc.ssthresh(), cc.cwnd()), (2 * SMSS, 2 * SMSS));
        cc.on_congestion_event(Instant::ZERO, 0);
        assert_eq!(cc.ssthresh(), 2 * SMSS);
    }

    #[test]
    fn recovery_exit_deflates_without_burst() {
        let mut cc = reno();
        cc.on_congestion_event(Instant::ZERO, 40 * SMSS);
        // Plenty still in flight: cwnd = ssthresh.
        cc.on_recovery_exit(Instant::ZERO, 30 * SMSS);
        assert_eq!(cc.cwnd(), 20 * SMSS);
        // Little in flight: FlightSize + SMSS.
        cc.on_congestion_event(Instant::ZERO, 40 * SMSS);
        cc.on_recovery_exit(Instant::ZERO, 3 * SMSS);
        assert_eq!(cc.cwnd(), 4 * SMSS);
        cc.on_congestion_event(Instant::ZERO, 40 * SMSS);
        cc.on_recovery_exit(Instant::ZERO, 0);
        assert_eq!(cc.cwnd(), 2 * SMSS);
    }

    #[test]
    fn rto_sets_loss_window_and_holds_ssthresh_when_repeated() {
        let mut cc = reno();
        cc.on_retransmission_timeout(Instant::ZERO, 10 * SMSS);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (SMSS, 5 * SMSS));
        // Backed-off timer fires again: flight size is now one segment, but
        // ssthresh stays.
        cc.on_retransmission_timeout(Instant::ZERO, SMSS);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (SMSS, 5 * SMSS));
        // Slow start after an RTO counts at most one SMSS per ACK.
        cc.on_ack(Instant::ZERO, &ack(2 * SMSS));
        assert_eq!(cc.cwnd(), 2 * SMSS);
        // New data was acknowledged: the next timeout lowers ssthresh again.
        cc.on_retransmission_timeout(Instant::ZERO, 2 * SMSS);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (SMSS, 2 * SMSS));
    }

    #[test]
    fn app_limited_does_not_grow() {
        let mut cc = reno();
        let limited = Ack {
            app_limited: true,
            ..ack(5 * SMSS)
        };
        cc.on_ack(Instant::ZERO, &limited);
        assert_eq!(cc.cwnd(), 10 * SMSS);
        cc.on_congestion_event(Instant::ZERO, 20 * SMSS);
        for _ in 0..100 {
            cc.on_ack(Instant::ZERO, &limited);
        }
        assert_eq!(cc.cwnd(), 10 * SMSS);
    }

    #[test]
    fn idle_restart_uses_restart_window() {
        let mut cc = reno();
        round_trip(&mut cc, 1);
        assert_eq!(cc.cwnd(), 20 * SMSS);
        cc.on_idle_restart(Instant::ZERO);
        assert_eq!(cc.cwnd(), 10 * SMSS);
        cc.on_retransmission_timeout(Instant::ZERO, 10 * SMSS);
        cc.on_idle_restart(Instant::ZERO);
        assert_eq!(cc.cwnd(), SMSS);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let mut cc = reno();
        for _ in 0..100 {
            cc.on_ack(Instant::ZERO, &ack(u32::MAX));
        }
        cc.on_congestion_event(Instant::ZERO, u32::MAX);
        for _ in 0..10_000 {
            cc.on_ack(Instant::ZERO, &ack(u32::MAX));
        }
        assert!(cc.cwnd() >= u32::MAX / 2);
    }
}
