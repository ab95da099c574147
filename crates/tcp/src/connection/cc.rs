//! The connection's side of congestion control: the [`Controller`] of the
//! `congestion` module, spoken to in the connection's units (64-bit octet
//! counts) so conversions live in one place.

use strata_core::time::{Duration, Instant};

use crate::congestion::{
    Ack, Algorithm, Config as CcConfig, CongestionControl, Controller, HyStart, HyStartPhase,
    InitialWindow,
};

#[derive(Clone, Debug)]
pub(crate) struct Cc {
    inner: Controller,
    /// RFC 9406, for the initial slow start of both algorithms.
    hystart: HyStart,
}

fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Cc {
    pub(crate) fn new(algorithm: Algorithm, smss: u64, initial_window: InitialWindow) -> Self {
        Self {
            inner: Controller::new(CcConfig {
                algorithm,
                smss: u16::try_from(smss).unwrap_or(u16::MAX),
                initial_window,
                fast_convergence: true,
            }),
            hystart: HyStart::new(),
        }
    }

    /// A cumulative ACK up to `ack` outside recovery, `nxt` being SND.NXT,
    /// with the RTT sample it gave: HyStart++ rounds and RTT watch while
    /// the initial slow start lasts.
    pub(crate) fn hystart(&mut self, ack: u64, nxt: u64, rtt: Option<Duration>) -> HyStartPhase {
        let before = self.hystart.phase();
        if before == HyStartPhase::Done {
            return before;
        }
        if !self.inner.in_slow_start() {
            self.hystart.on_congestion();
            return HyStartPhase::Done;
        }
        let after = self.hystart.on_ack(ack, nxt, rtt);
        if after != before {
            match after {
                HyStartPhase::Conservative => self
                    .inner
                    .set_slow_start_divisor(HyStart::CSS_GROWTH_DIVISOR),
                HyStartPhase::SlowStart => self.inner.set_slow_start_divisor(1),
                HyStartPhase::Done => self.inner.exit_slow_start(),
            }
        }
        after
    }

    /// Where HyStart++ stands.
    pub(crate) fn hystart_phase(&self) -> HyStartPhase {
        self.hystart.phase()
    }

    pub(crate) fn cwnd(&self) -> u64 {
        u64::from(self.inner.cwnd())
    }

    pub(crate) fn ssthresh(&self) -> u64 {
        u64::from(self.inner.ssthresh())
    }

    /// New data was acknowledged outside fast recovery.
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        acked: u64,
        srtt: Option<Duration>,
        app_limited: bool,
    ) {
        let ack = Ack {
            newly_acked: to_u32(acked),
            srtt,
            app_limited,
        };
        self.inner.on_ack(now, &ack);
    }

    /// Loss detected by duplicate ACKs or SACK.
    pub(crate) fn on_congestion_event(&mut self, now: Instant, flight: u64) {
        self.hystart.on_congestion();
        self.inner.on_congestion_event(now, to_u32(flight));
    }

    /// The recovery point was acknowledged; `flight` is what remains.
    pub(crate) fn on_recovery_exit(&mut self, now: Instant, flight: u64) {
        self.inner.on_recovery_exit(now, to_u32(flight));
    }

    /// SACK recovery ended with PRR (RFC 9937): `cwnd = ssthresh`.
    pub(crate) fn end_recovery_at_ssthresh(&mut self, now: Instant) {
        // The controller's exit rule is min(ssthresh, flight + SMSS): a
        // flight of ssthresh makes it ssthresh.
        let ssthresh = self.inner.ssthresh();
        self.inner.on_recovery_exit(now, ssthresh);
    }

    /// The retransmission timer expired with `flight` outstanding.
    pub(crate) fn on_rto(&mut self, now: Instant, flight: u64) {
        self.hystart.on_congestion();
        self.inner.on_retransmission_timeout(now, to_u32(flight));
    }

    /// About to send after idling longer than an RTO.
    pub(crate) fn restart_after_idle(&mut self, now: Instant) {
        self.inner.on_idle_restart(now);
    }

    /// The segment size is known (handshake done).
    pub(crate) fn set_smss(&mut self, smss: u64) {
        self.inner.set_mss(u16::try_from(smss).unwrap_or(u16::MAX));
    }
}
