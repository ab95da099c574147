//! Congestion control: how much unacknowledged data a connection may have in
//! flight.
//!
//! A [`CongestionControl`] implementation owns two numbers, the congestion
//! window (`cwnd`) and the slow-start threshold (`ssthresh`), both in bytes,
//! and changes them when the connection reports events: new data
//! acknowledged, a loss detected by duplicate ACKs or SACK, the end of fast
//! recovery, a retransmission timeout, a restart after idle. Two algorithms
//! are provided:
//!
//! - [`NewReno`]: RFC 5681 slow start and congestion avoidance with
//!   appropriate byte counting (RFC 3465), the RFC 6582 window on leaving
//!   recovery;
//! - [`Cubic`]: RFC 9438, the window a cubic function of the time since the
//!   last reduction, with the Reno-friendly region and fast convergence. It
//!   uses integer arithmetic only (see [`integer_cbrt`]).
//!
//! [`Controller`] wraps either behind one type, chosen at run time by
//! [`Algorithm`], so a connection holds one without boxing. [`HyStart`] is
//! RFC 9406 HyStart++, which the connection runs in the initial slow start
//! of both (through [`CongestionControl::set_slow_start_divisor`] and
//! [`CongestionControl::exit_slow_start`]).
//!
//! # Division of labour with the connection
//!
//! The controller does not see segments. The connection decides what an
//! event is and tells the controller:
//!
//! - every cumulative ACK that acknowledges new data **outside** fast
//!   recovery goes to [`on_ack`](CongestionControl::on_ack);
//! - entering fast retransmit / fast recovery (third duplicate ACK, or the
//!   RFC 6675 loss rule) is [`on_congestion_event`](CongestionControl::on_congestion_event).
//!   Afterwards `cwnd() == ssthresh()`. A connection following RFC 6582 adds
//!   its own inflation on top (3·SMSS, plus SMSS per further duplicate ACK,
//!   deflated by partial ACKs); one following RFC 6675 compares its `pipe`
//!   against `cwnd()` directly. Either way that bookkeeping belongs to the
//!   connection, and ACKs during recovery are not reported to `on_ack`;
//! - the ACK that ends recovery (acknowledges the recovery point) is
//!   [`on_recovery_exit`](CongestionControl::on_recovery_exit);
//! - a retransmission timeout is
//!   [`on_retransmission_timeout`](CongestionControl::on_retransmission_timeout);
//!   it also abandons any fast recovery in progress, without a separate
//!   `on_recovery_exit`;
//! - before sending after an idle period longer than the RTO,
//!   [`on_idle_restart`](CongestionControl::on_idle_restart).
//!
//! ```
//! use strata_core::time::{Duration, Instant};
//! use strata_tcp::congestion::{Ack, Algorithm, CongestionControl, Config, Controller};
//!
//! let mut cc = Controller::new(Config { algorithm: Algorithm::NewReno, smss: 1000, ..Config::default() });
//! assert_eq!(cc.cwnd(), 10_000); // RFC 6928: ten segments of 1000 bytes
//! let ack = Ack { newly_acked: 1000, srtt: Some(Duration::from_millis(20)), app_limited: false };
//! cc.on_ack(Instant::ZERO, &ack);
//! assert_eq!(cc.cwnd(), 11_000); // slow start: one SMSS per SMSS acknowledged
//! cc.on_congestion_event(Instant::ZERO, 11_000);
//! assert_eq!((cc.ssthresh(), cc.cwnd()), (5_500, 5_500));
//! ```

mod cubic;
mod hystart;
mod newreno;

pub use cubic::{Cubic, integer_cbrt};
pub use hystart::{HyStart, HyStartPhase};
pub use newreno::NewReno;

use strata_core::time::{Duration, Instant};

/// What the connection learnt from one cumulative ACK of new data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    /// Bytes newly acknowledged by this ACK (the advance of SND.UNA, SYN and
    /// FIN not counted).
    pub newly_acked: u32,
    /// The connection's smoothed round-trip time (RFC 6298 SRTT), once it has
    /// a sample. CUBIC aims its window one RTT ahead; NewReno ignores it.
    pub srtt: Option<Duration>,
    /// The sender was not limited by the congestion window during the round
    /// trip this ACK closes: it had less than `cwnd` in flight because the
    /// application gave it nothing more to send (or the peer's receive
    /// window held it back). The window then does not grow, since the
    /// network never showed it could carry it (RFC 7661; RFC 9438 on
    /// application-limited flows).
    pub app_limited: bool,
}

/// A congestion control algorithm, driven by the connection's events.
///
/// All windows and thresholds are in bytes. Implementations never panic
/// and saturate rather than overflow.
pub trait CongestionControl: core::fmt::Debug {
    /// The congestion window: the most data the sender may have in flight,
    /// outside recovery.
    fn cwnd(&self) -> u32;

    /// The slow-start threshold. Arbitrarily high (`u32::MAX`) until the
    /// first congestion event.
    fn ssthresh(&self) -> u32;

    /// The sender maximum segment size the windows are counted in.
    fn smss(&self) -> u16;

    /// `cwnd < ssthresh`: the window grows by what is acknowledged rather
    /// than by about one segment per round trip.
    fn in_slow_start(&self) -> bool {
        self.cwnd() < self.ssthresh()
    }

    /// A cumulative ACK acknowledged new data outside fast recovery: grow the
    /// window (slow start or congestion avoidance). Also ends the "already
    /// timed out" state that keeps a repeated RTO from lowering `ssthresh`
    /// again.
    fn on_ack(&mut self, now: Instant, ack: &Ack);

    /// Loss detected by duplicate ACKs or SACK (fast retransmit): lower
    /// `ssthresh` and set `cwnd` to it. `flight_size` is the data outstanding
    /// when the loss was detected (SND.MAX − SND.UNA, RFC 5681 eq. 4).
    /// Call once per recovery episode, not per duplicate ACK.
    fn on_congestion_event(&mut self, now: Instant, flight_size: u32);

    /// A full ACK ended fast recovery: `cwnd` becomes
    /// `min(ssthresh, max(flight_size, SMSS) + SMSS)` (RFC 6582 §3.2 step 3,
    /// option 1, which avoids a burst), `flight_size` being the data still
    /// outstanding after that ACK.
    fn on_recovery_exit(&mut self, now: Instant, flight_size: u32);

    /// The retransmission timer expired: `cwnd` becomes the loss window of
    /// one SMSS and `ssthresh` is lowered from `flight_size` (the data
    /// outstanding before the timeout) — unless the previous event was
    /// already a timeout with no new data acknowledged since, in which case
    /// `ssthresh` is held (RFC 5681 §3.1, after eq. 4).
    fn on_retransmission_timeout(&mut self, now: Instant, flight_size: u32);

    /// The connection is about to send after being idle for longer than one
    /// RTO: `cwnd` shrinks to the restart window `min(IW, cwnd)` (RFC 5681
    /// §4.1), because its old value no longer reflects the path.
    fn on_idle_restart(&mut self, now: Instant);

    /// The sender MSS changed (learnt in the handshake, or from path MTU
    /// discovery). Before the first ACK or loss the initial window is
    /// recomputed for the new size; afterwards the byte windows are kept.
    fn set_mss(&mut self, smss: u16);

    /// Slow start grows `cwnd` by the usual increase divided by `divisor`
    /// (at least 1): HyStart++'s Conservative Slow Start uses
    /// [`HyStart::CSS_GROWTH_DIVISOR`] (RFC 9406 §4.2). The default does
    /// nothing, for controllers without HyStart++.
    fn set_slow_start_divisor(&mut self, divisor: u32) {
        let _ = divisor;
    }

    /// Ends slow start without a congestion event: `ssthresh = cwnd`
    /// (HyStart++ after CSS_ROUNDS of CSS, RFC 9406 §4.2). CUBIC then
    /// starts its curve at the current window (RFC 9438 §4.10). The
    /// default does nothing.
    fn exit_slow_start(&mut self) {}
}

/// Which algorithm a [`Controller`] runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RFC 5681 / RFC 6582 NewReno.
    NewReno,
    /// RFC 9438 CUBIC, the default of Linux, Windows and macOS.
    #[default]
    Cubic,
}

/// How large the window is before anything has been acknowledged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum InitialWindow {
    /// RFC 6928: `min(10·SMSS, max(2·SMSS, 14600))` bytes.
    #[default]
    Rfc6928,
    /// RFC 3390: `min(4·SMSS, max(2·SMSS, 4380))` bytes.
    Rfc3390,
    /// A fixed number of segments (at least one).
    Segments(u16),
}

impl InitialWindow {
    /// The initial window in bytes for a sender MSS of `smss`.
    #[must_use]
    pub fn bytes(self, smss: u16) -> u32 {
        let smss = u32::from(smss.max(1));
        match self {
            InitialWindow::Rfc6928 => (10 * smss).min((2 * smss).max(14_600)),
            InitialWindow::Rfc3390 => (4 * smss).min((2 * smss).max(4_380)),
            InitialWindow::Segments(n) => u32::from(n.max(1)).saturating_mul(smss),
        }
    }
}

/// Everything needed to build a [`Controller`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The sender MSS to start with (see [`CongestionControl::set_mss`]).
    pub smss: u16,
    /// The initial window.
    pub initial_window: InitialWindow,
    /// CUBIC fast convergence (RFC 9438 §4.7): release bandwidth sooner to
    /// a newer flow. Ignored by NewReno.
    pub fast_convergence: bool,
}

impl Default for Config {
    /// CUBIC with fast convergence, RFC 6928 initial window, and the RFC 9293
    /// default MSS of 536 bytes until the handshake says otherwise.
    fn default() -> Self {
        Config {
            algorithm: Algorithm::Cubic,
            smss: 536,
            initial_window: InitialWindow::Rfc6928,
            fast_convergence: true,
        }
    }
}

/// One of the provided algorithms, chosen at run time, held by value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Controller {
    /// NewReno.
    NewReno(NewReno),
    /// CUBIC.
    Cubic(Cubic),
}

impl Controller {
    /// A controller in its initial state for `config`.
    #[must_use]
    pub fn new(config: Config) -> Self {
        match config.algorithm {
            Algorithm::NewReno => {
                Controller::NewReno(NewReno::new(config.smss, config.initial_window))
            }
            Algorithm::Cubic => Controller::Cubic(
                Cubic::new(config.smss, config.initial_window)
                    .with_fast_convergence(config.fast_convergence),
            ),
        }
    }

    /// Which algorithm this is.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Controller::NewReno(_) => Algorithm::NewReno,
            Controller::Cubic(_) => Algorithm::Cubic,
        }
    }

    fn inner(&self) -> &dyn CongestionControl {
        match self {
            Controller::NewReno(c) => c,
            Controller::Cubic(c) => c,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn CongestionControl {
        match self {
            Controller::NewReno(c) => c,
            Controller::Cubic(c) => c,
        }
    }
}

impl Default for Controller {
    fn default() -> Self {
        Controller::new(Config::default())
    }
}

impl CongestionControl for Controller {
    #[inline]
    fn cwnd(&self) -> u32 {
        self.inner().cwnd()
    }
    #[inline]
    fn ssthresh(&self) -> u32 {
        self.inner().ssthresh()
    }
    #[inline]
    fn smss(&self) -> u16 {
        self.inner().smss()
    }
    fn on_ack(&mut self, now: Instant, ack: &Ack) {
        self.inner_mut().on_ack(now, ack);
    }
    fn on_congestion_event(&mut self, now: Instant, flight_size: u32) {
        self.inner_mut().on_congestion_event(now, flight_size);
    }
    fn on_recovery_exit(&mut self, now: Instant, flight_size: u32) {
        self.inner_mut().on_recovery_exit(now, flight_size);
    }
    fn on_retransmission_timeout(&mut self, now: Instant, flight_size: u32) {
        self.inner_mut().on_retransmission_timeout(now, flight_size);
    }
    fn on_idle_restart(&mut self, now: Instant) {
        self.inner_mut().on_idle_restart(now);
    }
    fn set_mss(&mut self, smss: u16) {
        self.inner_mut().set_mss(smss);
    }
    fn set_slow_start_divisor(&mut self, divisor: u32) {
        self.inner_mut().set_slow_start_divisor(divisor);
    }
    fn exit_slow_start(&mut self) {
        self.inner_mut().exit_slow_start();
    }
}

/// Slow-start and timeout bookkeeping shared by both algorithms: RFC 5681
/// slow start with RFC 3465 byte counting, the RFC 6582 recovery exit, the
/// RTO loss window and the idle restart window.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reno {
    smss: u32,
    initial_window: InitialWindow,
    cwnd: u32,
    ssthresh: u32,
    /// Nothing has happened yet: `set_mss` may recompute the initial window.
    fresh: bool,
    /// The last event was a timeout and nothing new was acknowledged since.
    timed_out: bool,
    /// In the slow start that follows a timeout, RFC 3465 §2.3 limits the
    /// byte-counting increase to one SMSS per ACK.
    slow_start_after_rto: bool,
    /// Slow-start growth is divided by this (HyStart++ CSS: 4).
    ss_divisor: u32,
}

impl Reno {
    fn new(smss: u16, initial_window: InitialWindow) -> Self {
        Reno {
            smss: u32::from(smss.max(1)),
            initial_window,
            cwnd: initial_window.bytes(smss),
            ssthresh: u32::MAX,
            fresh: true,
            timed_out: false,
            slow_start_after_rto: false,
            ss_divisor: 1,
        }
    }

    fn smss16(&self) -> u16 {
        u16::try_from(self.smss).unwrap_or(u16::MAX)
    }

    fn min_ssthresh(&self) -> u32 {
        self.smss.saturating_mul(2)
    }

    /// Slow start for `acked` bytes; returns how many of them were not used
    /// because `cwnd` reached `ssthresh` (they count towards congestion
    /// avoidance).
    fn slow_start(&mut self, acked: u32) -> u32 {
        self.fresh = false;
        let limit = if self.slow_start_after_rto {
            self.smss
        } else {
            self.smss.saturating_mul(2)
        };
        let room = self.ssthresh.saturating_sub(self.cwnd);
        let increase = acked.min(limit) / self.ss_divisor.max(1);
        if increase < room {
            self.cwnd = self.cwnd.saturating_add(increase);
            0
        } else {
            self.cwnd = self.ssthresh;
            self.slow_start_after_rto = false;
            acked.saturating_sub(room)
        }
    }

    fn exit_slow_start(&mut self) {
        self.fresh = false;
        self.ss_divisor = 1;
        if self.cwnd < self.ssthresh {
            self.ssthresh = self.cwnd.max(self.min_ssthresh());
        }
    }

    fn set_ssthresh_from(&mut self, reduced: u32) {
        self.ssthresh = reduced.max(self.min_ssthresh());
    }

    fn enter_recovery(&mut self, ssthresh: u32) {
        self.fresh = false;
        self.ss_divisor = 1;
        self.timed_out = false;
        self.slow_start_after_rto = false;
        self.set_ssthresh_from(ssthresh);
        self.cwnd = self.ssthresh;
    }

    fn exit_recovery(&mut self, flight_size: u32) {
        let deflated = flight_size.max(self.smss).saturating_add(self.smss);
        self.cwnd = self.ssthresh.min(deflated);
    }

    /// Applies a timeout; `ssthresh` is the candidate new threshold, used
    /// only on the first timeout in a row.
    fn timeout(&mut self, ssthresh: u32) {
        self.fresh = false;
        self.ss_divisor = 1;
        if !self.timed_out {
            self.set_ssthresh_from(ssthresh);
        }
        self.timed_out = true;
        self.slow_start_after_rto = true;
        self.cwnd = self.smss;
    }

    fn idle_restart(&mut self) {
        let restart = self.initial_window.bytes(self.smss16());
        self.cwnd = self.cwnd.min(restart);
    }

    fn set_mss(&mut self, smss: u16) {
        self.smss = u32::from(smss.max(1));
        if self.fresh {
            self.cwnd = self.initial_window.bytes(smss);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_windows() {
        assert_eq!(InitialWindow::Rfc6928.bytes(1460), 14_600);
        assert_eq!(InitialWindow::Rfc6928.bytes(536), 5_360);
        assert_eq!(InitialWindow::Rfc6928.bytes(8960), 17_920);
        assert_eq!(InitialWindow::Rfc6928.bytes(1000), 10_000);
        assert_eq!(InitialWindow::Rfc3390.bytes(1460), 4_380);
        assert_eq!(InitialWindow::Rfc3390.bytes(536), 2_144);
        assert_eq!(InitialWindow::Rfc3390.bytes(4000), 8_000);
        assert_eq!(InitialWindow::Segments(3).bytes(1000), 3_000);
        assert_eq!(InitialWindow::Segments(0).bytes(1000), 1_000);
        assert_eq!(InitialWindow::Rfc6928.bytes(0), 10);
    }

    #[test]
    fn controller_dispatches() {
        let mut cc = Controller::new(Config {
            algorithm: Algorithm::NewReno,
            smss: 1460,
            ..Config::default()
        });
        assert_eq!(cc.algorithm(), Algorithm::NewReno);
        assert_eq!(cc.smss(), 1460);
        assert_eq!(cc.cwnd(), 14_600);
        assert!(cc.in_slow_start());
        cc.on_retransmission_timeout(Instant::ZERO, 14_600);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (1460, 7300));

        let cc = Controller::default();
        assert_eq!(cc.algorithm(), Algorithm::Cubic);
        assert_eq!(cc.cwnd(), 5360);
        assert_eq!(cc.ssthresh(), u32::MAX);
    }

    #[test]
    fn set_mss_before_anything_recomputes_iw() {
        for algorithm in [Algorithm::NewReno, Algorithm::Cubic] {
            let mut cc = Controller::new(Config {
                algorithm,
                ..Config::default()
            });
            cc.set_mss(1460);
            assert_eq!(cc.cwnd(), 14_600);
            let ack = Ack {
                newly_acked: 1460,
                srtt: None,
                app_limited: false,
            };
            cc.on_ack(Instant::ZERO, &ack);
            assert_eq!(cc.cwnd(), 16_060);
            cc.set_mss(1000);
            assert_eq!(cc.cwnd(), 16_060);
            assert_eq!(cc.smss(), 1000);
        }
    }
}
