//! The connection's side of congestion control: the [`Controller`] of the
//! `congestion` module, spoken to in the connection's units (64-bit octet
//! counts) so conversions live in one place.

use strata_core::time::{Duration, Instant};

use crate::congestion::{
    Ack, Algorithm, Config as CcConfig, CongestionControl, Controller, InitialWindow,
};

#[derive(Clone, Debug)]
pub(crate) struct Cc {
    inner: Controller,
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
        }
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
        self.inner.on_congestion_event(now, to_u32(flight));
    }

    /// The recovery point was acknowledged; `flight` is what remains.
    pub(crate) fn on_recovery_exit(&mut self, now: Instant, flight: u64) {
        self.inner.on_recovery_exit(now, to_u32(flight));
    }

    /// The retransmission timer expired with `flight` outstanding.
    pub(crate) fn on_rto(&mut self, now: Instant, flight: u64) {
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
