//! CUBIC (RFC 9438) in integer arithmetic.
//!
//! The RFC counts windows in segments and time in seconds with real-valued
//! constants. Here windows are bytes, time is microseconds, and the
//! constants are exact fractions: `C = 0.4 = 2/5` segments per second cubed,
//! `β_cubic = 0.7 = 7/10`, and `α_cubic = 3(1 − β)/(1 + β) = 9/17`. So
//!
//! - `K = ∛((W_max − cwnd_epoch)/C)` seconds becomes
//!   `∛((W_max − cwnd_epoch) · 5·10¹⁸ / (2·SMSS))` microseconds, with
//!   [`integer_cbrt`] on a `u128`;
//! - `W_cubic(t) = C·(t − K)³ + W_max` segments becomes
//!   `W_max ± 2·|t − K|³·SMSS / (5·10¹⁸)` bytes.

use strata_core::time::{Duration, Instant};

use super::{Ack, CongestionControl, InitialWindow, Reno};

/// `β_cubic`, the multiplicative decrease factor, as a fraction.
const BETA_NUM: u32 = 7;
const BETA_DEN: u32 = 10;
/// `(1 + β_cubic) / 2`, the extra reduction of `W_max` by fast convergence.
const FAST_CONVERGENCE_NUM: u32 = 17;
const FAST_CONVERGENCE_DEN: u32 = 20;
/// `α_cubic = 9/17`, and `1 = 17/17` once `W_est` reached `cwnd_prior`.
const ALPHA_NUM: u64 = 9;
const ALPHA_ONE: u64 = 17;
const ALPHA_DEN: u64 = 17;
/// `C = 2/5` in microseconds: `C·d³` seconds³ is `2·d³ / (5·10¹⁸)` for `d`
/// in microseconds.
const C_NUM: u128 = 2;
const C_DEN: u128 = 5_000_000_000_000_000_000;
/// `|t − K|` is clamped here (about 71 minutes) so the cube cannot
/// overflow; the window saturates long before.
const MAX_CUBIC_SPAN_MICROS: u64 = u32::MAX as u64;

/// The floor of the cube root of `n`, exactly, in integer arithmetic.
///
/// Computes the root three bits of `n` at a time from the top (the digit by
/// digit method, as for square roots), so it is exact for every input:
/// `integer_cbrt(n)³ ≤ n < (integer_cbrt(n) + 1)³`.
///
/// ```
/// use strata_tcp::congestion::integer_cbrt;
/// assert_eq!(integer_cbrt(27), 3);
/// assert_eq!(integer_cbrt(26), 2);
/// assert_eq!(integer_cbrt(75_000_000_000_000_000_000), 4_217_163);
/// ```
#[must_use]
pub const fn integer_cbrt(n: u128) -> u64 {
    let mut rest = n;
    let mut root: u128 = 0;
    // 43 groups of three bits cover 129 bits; the top group has two.
    let mut shift: i32 = 126;
    while shift >= 0 {
        root <<= 1;
        // (2r + 1)³ − (2r)³ = 3·2r·(2r + 1) + 1, in units of the group.
        let step = 3 * root * (root + 1) + 1;
        if (rest >> shift) >= step {
            rest -= step << shift;
            root += 1;
        }
        shift -= 3;
    }
    // The root of a u128 is below 2^43.
    root as u64
}

/// `W_cubic(t)` in bytes for a curve with plateau `origin` (bytes) reached at
/// `k` microseconds, `t` microseconds into the epoch.
fn w_cubic(origin: u32, k: u64, t: u64, smss: u32) -> u32 {
    let (span, above) = if t >= k {
        (t - k, true)
    } else {
        (k - t, false)
    };
    let span = u128::from(span.min(MAX_CUBIC_SPAN_MICROS));
    let delta = span * span * span * C_NUM * u128::from(smss) / C_DEN;
    let delta = u32::try_from(delta).unwrap_or(u32::MAX);
    if above {
        origin.saturating_add(delta)
    } else {
        origin.saturating_sub(delta)
    }
}

/// `K` in microseconds: how long the curve takes from `cwnd_epoch` back up
/// to `w_max`.
fn cubic_k(w_max: u32, cwnd_epoch: u32, smss: u32) -> u64 {
    let gap = u128::from(w_max.saturating_sub(cwnd_epoch));
    integer_cbrt(gap * C_DEN / (C_NUM * u128::from(smss.max(1))))
}

fn beta(window: u32) -> u32 {
    let reduced = u64::from(window) * u64::from(BETA_NUM) / u64::from(BETA_DEN);
    u32::try_from(reduced).unwrap_or(u32::MAX)
}

/// One congestion avoidance stage: the curve and the Reno estimate since the
/// stage began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Epoch {
    /// When the stage began; pushed later while the sender is app-limited, so
    /// that time does not count.
    start: Instant,
    /// `K` in microseconds.
    k: u64,
    /// The window the curve levels off at (`W_max` of the RFC's figure).
    origin: u32,
    /// `W_est`, the window Reno would have by now (RFC 9438 §4.3), in bytes.
    w_est: u32,
    /// Remainder of the `W_est` increase, in units of `1 / (17·cwnd)` bytes.
    est_remainder: u64,
    /// Remainder of the cubic increase, in units of `1 / cwnd` bytes.
    cwnd_remainder: u64,
}

/// RFC 9438 CUBIC congestion control.
///
/// - Slow start is Reno's (RFC 5681 with RFC 3465 byte counting, L = 2·SMSS).
/// - On loss: `ssthresh = max(FlightSize·β_cubic, 2·SMSS)` with
///   `β_cubic = 0.7`, `cwnd = ssthresh`; `W_max` remembers the window at the
///   loss, lowered to `cwnd·(1 + β)/2` by fast convergence (§4.7) when the
///   loss came before the previous `W_max` was regained.
/// - In congestion avoidance, each ACK moves `cwnd` towards
///   `W_cubic(t + RTT)` (clamped to `[cwnd, 1.5·cwnd]`), which is concave
///   below `W_max` (fast, then slowing as it nears the old maximum at
///   `t = K`) and convex beyond it (probing for more). `t` counts from the
///   first ACK of the stage.
/// - When Reno would have a larger window (`W_cubic(t) < W_est`, §4.3), as on
///   short or slow paths, `cwnd` follows `W_est`, which grows by `α_cubic`
///   segments per RTT, and by one once it has reached `cwnd_prior`.
/// - After a timeout (§4.8), `cwnd` is one SMSS, `ssthresh` is reduced by
///   `β_cubic`, and the next congestion avoidance stage starts with `K = 0`
///   and `W_max` equal to its starting window.
/// - ACKs marked [`Ack::app_limited`] neither grow the window nor advance
///   the curve's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cubic {
    reno: Reno,
    fast_convergence: bool,
    /// `W_max` in bytes.
    w_max: u32,
    /// `cwnd` at the last reduction, for the `α_cubic` switch.
    cwnd_prior: u32,
    epoch: Option<Epoch>,
    /// The next stage is the first after a timeout.
    after_timeout: bool,
    /// Latest smoothed RTT reported.
    srtt: Duration,
    /// When the previous ACK arrived, to measure app-limited spans.
    last_ack: Option<Instant>,
}

impl Cubic {
    /// CUBIC in its initial state (fast convergence on): `cwnd` the initial
    /// window for `smss`, `ssthresh` unbounded.
    #[must_use]
    pub fn new(smss: u16, initial_window: InitialWindow) -> Self {
        Cubic {
            reno: Reno::new(smss, initial_window),
            fast_convergence: true,
            w_max: 0,
            cwnd_prior: 0,
            epoch: None,
            after_timeout: false,
            srtt: Duration::ZERO,
            last_ack: None,
        }
    }

    /// Turns fast convergence (RFC 9438 §4.7) on or off.
    #[must_use]
    pub fn with_fast_convergence(mut self, enabled: bool) -> Self {
        self.fast_convergence = enabled;
        self
    }

    /// `W_max` in bytes: the window before the last reduction, as adjusted by
    /// fast convergence (0 before any loss).
    #[must_use]
    pub fn w_max(&self) -> u32 {
        self.w_max
    }

    /// `K` of the current congestion avoidance stage, or `None` outside one
    /// (in slow start, in recovery, or before its first ACK).
    #[must_use]
    pub fn k(&self) -> Option<Duration> {
        self.epoch.map(|e| Duration::from_micros(e.k))
    }

    /// `W_est` of the current congestion avoidance stage, in bytes.
    #[must_use]
    pub fn w_est(&self) -> Option<u32> {
        self.epoch.map(|e| e.w_est)
    }

    fn new_epoch(&mut self, now: Instant) -> Epoch {
        let cwnd = self.reno.cwnd;
        if self.after_timeout {
            self.after_timeout = false;
            self.w_max = cwnd;
        }
        let (origin, k) = if self.w_max > cwnd {
            (self.w_max, cubic_k(self.w_max, cwnd, self.reno.smss))
        } else {
            (cwnd, 0)
        };
        Epoch {
            start: now,
            k,
            origin,
            w_est: cwnd,
            est_remainder: 0,
            cwnd_remainder: 0,
        }
    }

    fn congestion_avoidance(&mut self, now: Instant, acked: u32) {
        let epoch = match self.epoch {
            Some(epoch) => epoch,
            None => self.new_epoch(now),
        };
        let mut epoch = epoch;
        let smss = self.reno.smss;
        let cwnd = self.reno.cwnd.max(1);
        let t = now.saturating_duration_since(epoch.start).total_micros();
        let w_now = w_cubic(epoch.origin, epoch.k, t, smss);
        let ahead = t.saturating_add(self.srtt.total_micros());
        let target = w_cubic(epoch.origin, epoch.k, ahead, smss)
            .min(cwnd.saturating_add(cwnd / 2))
            .max(cwnd);

        // Reno-friendly estimate: α·SMSS·acked/cwnd bytes.
        let alpha = if epoch.w_est >= self.cwnd_prior {
            ALPHA_ONE
        } else {
            ALPHA_NUM
        };
        let denominator = ALPHA_DEN * u64::from(cwnd);
        epoch.est_remainder = epoch
            .est_remainder
            .saturating_add(alpha * u64::from(smss) * u64::from(acked));
        let est_increase = epoch.est_remainder / denominator;
        epoch.est_remainder %= denominator;
        epoch.w_est = epoch
            .w_est
            .saturating_add(u32::try_from(est_increase).unwrap_or(u32::MAX));

        if w_now < epoch.w_est {
            // Reno-friendly region.
            self.reno.cwnd = cwnd.max(epoch.w_est);
            epoch.cwnd_remainder = 0;
        } else {
            // Concave or convex region: (target − cwnd)/cwnd per SMSS acked.
            epoch.cwnd_remainder = epoch
                .cwnd_remainder
                .saturating_add(u64::from(target - cwnd) * u64::from(acked));
            let increase = epoch.cwnd_remainder / u64::from(cwnd);
            epoch.cwnd_remainder %= u64::from(cwnd);
            self.reno.cwnd = cwnd.saturating_add(u32::try_from(increase).unwrap_or(u32::MAX));
        }
        self.epoch = Some(epoch);
    }

    /// Bookkeeping common to every reduction: remember the window and end
    /// the stage.
    fn remember_window(&mut self) {
        let cwnd = self.reno.cwnd;
        self.w_max = if self.fast_convergence && cwnd < self.w_max {
            let reduced =
                u64::from(cwnd) * u64::from(FAST_CONVERGENCE_NUM) / u64::from(FAST_CONVERGENCE_DEN);
            u32::try_from(reduced).unwrap_or(u32::MAX)
        } else {
            cwnd
        };
        self.cwnd_prior = cwnd;
        self.epoch = None;
    }
}

impl CongestionControl for Cubic {
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

    fn on_ack(&mut self, now: Instant, ack: &Ack) {
        self.reno.timed_out = false;
        let previous = self.last_ack.replace(now);
        if let Some(srtt) = ack.srtt {
            self.srtt = srtt;
        }
        if ack.app_limited {
            // Freeze the curve: the time since the last ACK does not count.
            if let (Some(epoch), Some(previous)) = (self.epoch.as_mut(), previous) {
                epoch.start += now.saturating_duration_since(previous);
            }
            return;
        }
        let mut acked = ack.newly_acked;
        if acked == 0 {
            return;
        }
        if self.reno.cwnd < self.reno.ssthresh {
            acked = self.reno.slow_start(acked);
        }
        if acked > 0 {
            self.congestion_avoidance(now, acked);
        }
    }

    fn on_congestion_event(&mut self, _now: Instant, flight_size: u32) {
        self.remember_window();
        self.after_timeout = false;
        self.reno.enter_recovery(beta(flight_size));
    }

    fn on_recovery_exit(&mut self, _now: Instant, flight_size: u32) {
        self.reno.exit_recovery(flight_size);
    }

    fn on_retransmission_timeout(&mut self, _now: Instant, flight_size: u32) {
        if !self.reno.timed_out {
            self.remember_window();
        }
        self.epoch = None;
        self.after_timeout = true;
        self.reno.timeout(beta(flight_size));
    }

    fn on_idle_restart(&mut self, _now: Instant) {
        self.reno.idle_restart();
        self.epoch = None;
    }

    fn set_slow_start_divisor(&mut self, divisor: u32) {
        self.reno.ss_divisor = divisor.max(1);
    }

    fn exit_slow_start(&mut self) {
        self.reno.exit_slow_start();
    }

    fn set_mss(&mut self, smss: u16) {
        if u32::from(smss.max(1)) != self.reno.smss {
            // K and the curve's slope are in segments: start a new stage.
            self.epoch = None;
        }
        self.reno.set_mss(smss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SMSS: u32 = 1000;

    fn cubic() -> Cubic {
        Cubic::new(SMSS as u16, InitialWindow::Rfc6928)
    }

    #[test]
    fn cbrt_of_perfect_cubes_and_neighbours() {
        for n in (0u128..3000).chain([
            1 << 20,
            (1 << 21) - 1,
            1 << 30,
            1 << 40,
            (1 << 42) + 12_345,
            (1 << 42) * 3 / 2,
        ]) {
            let cube = n * n * n;
            assert_eq!(u128::from(integer_cbrt(cube)), n, "cbrt({cube})");
            if n > 0 {
                assert_eq!(u128::from(integer_cbrt(cube - 1)), n - 1);
            }
            if n > 0 {
                assert_eq!(u128::from(integer_cbrt(cube + 1)), n);
            }
        }
        // The largest cube that fits, and the top of the range.
        let top = u128::from(integer_cbrt(u128::MAX));
        assert!(top.checked_pow(3).is_some());
        assert!((top + 1).checked_pow(3).is_none());
    }

    proptest! {
        #[test]
        fn cbrt_is_floor_and_monotone(n in any::<u128>(), m in any::<u128>()) {
            let r = u128::from(integer_cbrt(n));
            prop_assert!(r * r * r <= n);
            prop_assert!((r + 1).checked_pow(3).is_none_or(|c| c > n));
            let (lo, hi) = if n <= m { (n, m) } else { (m, n) };
            prop_assert!(integer_cbrt(lo) <= integer_cbrt(hi));
        }
    }

    /// The RFC's real-valued curve, in segments, for comparison.
    fn w_cubic_rfc(w_max: f64, k: f64, t: f64) -> f64 {
        0.4 * (t - k).powi(3) + w_max
    }

    fn ack(bytes: u32, rtt_ms: u64) -> Ack {
        Ack {
            newly_acked: bytes,
            srtt: Some(Duration::from_millis(rtt_ms)),
            app_limited: false,
        }
    }

    /// One round trip of per-segment ACKs spread evenly over `rtt_ms`.
    fn round_trip(cc: &mut Cubic, now: &mut Instant, rtt_ms: u64) {
        let segments = u64::from(cc.cwnd() / SMSS).max(1);
        let spacing = rtt_ms * 1000 / segments;
        for _ in 0..segments {
            *now += Duration::from_micros(spacing);
            cc.on_ack(*now, &ack(SMSS, rtt_ms));
        }
    }

    /// A controller whose window reached `w_max` segments and then saw a
    /// loss with a full window in flight, recovery ended with the window
    /// still full: the start of a congestion avoidance stage.
    fn after_loss_at(w_max: u32) -> (Cubic, Instant) {
        let mut cc = cubic();
        cc.reno.cwnd = w_max * SMSS;
        let now = Instant::from_millis(1000);
        cc.on_congestion_event(now, w_max * SMSS);
        cc.on_recovery_exit(now, w_max * SMSS);
        (cc, now)
    }

    #[test]
    fn reduction_by_beta() {
        let (cc, _) = after_loss_at(100);
        assert_eq!(cc.ssthresh(), 70 * SMSS);
        assert_eq!(cc.cwnd(), 70 * SMSS);
        assert_eq!(cc.w_max(), 100 * SMSS);
        let mut small = cubic();
        small.on_congestion_event(Instant::ZERO, 2 * SMSS);
        assert_eq!((small.ssthresh(), small.cwnd()), (2 * SMSS, 2 * SMSS));
    }

    #[test]
    fn k_matches_hand_computation() {
        // K = ∛(W_max·(1 − β)/C) = ∛(100·0.3/0.4) = ∛75 = 4.2171633 s.
        let (mut cc, now) = after_loss_at(100);
        assert_eq!(cc.k(), None);
        cc.on_ack(now, &ack(SMSS, 100));
        let k = cc.k().unwrap().total_micros();
        assert!(k.abs_diff(4_217_163) <= 1, "K = {k} µs");
        // W_max = 1000 segments: ∛750 = 9.0856030 s.
        let (mut cc, now) = after_loss_at(1000);
        cc.on_ack(now, &ack(SMSS, 100));
        let k = cc.k().unwrap().total_micros();
        assert!(k.abs_diff(9_085_603) <= 1, "K = {k} µs");
    }

    #[test]
    fn window_follows_the_cubic_curve() {
        // Large BDP: W_max = 1000 segments, RTT 100 ms. The cubic region
        // dominates; cwnd tracks W_cubic(t) from the concave side through
        // the plateau at t = K and into the convex side.
        let rtt = 100;
        let (mut cc, mut now) = after_loss_at(1000);
        let start = now;
        let k = 750f64.cbrt();
        let mut checked = 0;
        let mut last_second = 0;
        while now.saturating_duration_since(start) < Duration::from_secs(14) {
            round_trip(&mut cc, &mut now, rtt);
            let t_micros = now.saturating_duration_since(start).total_micros();
            let second = t_micros / 1_000_000;
            if second > last_second {
                last_second = second;
                let t = t_micros as f64 / 1e6;
                let expected = w_cubic_rfc(1000.0, k, t);
                let got = f64::from(cc.cwnd()) / f64::from(SMSS);
                // cwnd aims one RTT ahead, and the epoch started at the
                // first ACK rather than at the loss: allow 2 %.
                assert!(
                    (got - expected).abs() <= expected * 0.02,
                    "t = {t:.2} s: cwnd {got:.1} segments, W_cubic {expected:.1}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 13);
        // W_cubic(14 s) = 0.4·(14 − 9.09)³ + 1000 ≈ 1047 segments.
        assert!(cc.cwnd() > 1040 * SMSS);
    }

    #[test]
    fn plateau_near_w_max_is_flat() {
        let rtt = 100;
        let (mut cc, mut now) = after_loss_at(1000);
        let start = now;
        // Run to just before K = 9.09 s.
        while now.saturating_duration_since(start) < Duration::from_millis(8800) {
            round_trip(&mut cc, &mut now, rtt);
        }
        let before = cc.cwnd();
        round_trip(&mut cc, &mut now, rtt);
        let growth = cc.cwnd() - before;
        assert!(growth < SMSS, "grew {growth} bytes in one RTT near W_max");
        assert!(cc.cwnd().abs_diff(1000 * SMSS) < 5 * SMSS);
    }

    #[test]
    fn reno_friendly_region_dominates_at_small_bdp() {
        // W_max = 20 segments, RTT 1 ms: the cubic curve needs K = 2.47 s to
        // regain W_max, Reno gains α_cubic ≈ 0.53 segments per millisecond.
        let rtt = 1;
        let (mut cc, mut now) = after_loss_at(20);
        let start = now;
        let mut rtts = 0;
        while cc.cwnd() < 20 * SMSS {
            round_trip(&mut cc, &mut now, rtt);
            rtts += 1;
        }
        // From 14 to 20 segments at 9/17 segment per RTT: about 11.3 RTTs.
        assert!((11..=13).contains(&rtts), "{rtts} RTTs to regain W_max");
        for _ in 0..50 {
            round_trip(&mut cc, &mut now, rtt);
        }
        // Past cwnd_prior, α = 1: one segment per RTT.
        let got = cc.cwnd() / SMSS;
        assert!((68..=71).contains(&got), "cwnd {got} segments");
        let t = now.saturating_duration_since(start).total_micros() as f64 / 1e6;
        let cubic_only = w_cubic_rfc(20.0, 15f64.cbrt(), t);
        assert!(f64::from(got) > 3.0 * cubic_only);
        assert_eq!(cc.w_est(), Some(cc.cwnd()));
    }

    #[test]
    fn fast_convergence_lowers_w_max() {
        let (mut cc, now) = after_loss_at(100);
        // A second loss before W_max was regained, at 80 segments.
        cc.reno.cwnd = 80 * SMSS;
        cc.on_congestion_event(now, 80 * SMSS);
        assert_eq!(cc.w_max(), 68 * SMSS);
        assert_eq!(cc.ssthresh(), 56 * SMSS);

        let (cc, now) = after_loss_at(100);
        let mut cc = cc.with_fast_convergence(false);
        cc.reno.cwnd = 80 * SMSS;
        cc.on_congestion_event(now, 80 * SMSS);
        assert_eq!(cc.w_max(), 80 * SMSS);

        // A loss above the old W_max just records the new one.
        let (mut cc, now) = after_loss_at(100);
        cc.reno.cwnd = 120 * SMSS;
        cc.on_congestion_event(now, 120 * SMSS);
        assert_eq!(cc.w_max(), 120 * SMSS);
    }

    #[test]
    fn timeout_restarts_with_k_zero() {
        let (mut cc, mut now) = after_loss_at(100);
        round_trip(&mut cc, &mut now, 100);
        cc.on_retransmission_timeout(now, 40 * SMSS);
        assert_eq!(cc.cwnd(), SMSS);
        assert_eq!(cc.ssthresh(), 28 * SMSS);
        // Repeated timeout holds ssthresh.
        cc.on_retransmission_timeout(now, SMSS);
        assert_eq!(cc.ssthresh(), 28 * SMSS);
        // Slow start (one SMSS per ACK after a timeout) up to ssthresh.
        while cc.in_slow_start() {
            round_trip(&mut cc, &mut now, 100);
        }
        assert_eq!(cc.k(), Some(Duration::ZERO));
        assert_eq!(cc.w_max(), 28 * SMSS);
        let w_est = cc.w_est().unwrap();
        assert!(w_est >= 28 * SMSS);
        // From here the window only grows.
        let mut last = cc.cwnd();
        for _ in 0..20 {
            round_trip(&mut cc, &mut now, 100);
            assert!(cc.cwnd() >= last);
            last = cc.cwnd();
        }
        assert!(last > 28 * SMSS);
    }

    #[test]
    fn app_limited_freezes_the_curve() {
        let rtt = 100;
        let (mut a, mut now_a) = after_loss_at(1000);
        let (mut b, mut now_b) = after_loss_at(1000);
        for _ in 0..20 {
            round_trip(&mut a, &mut now_a, rtt);
            round_trip(&mut b, &mut now_b, rtt);
        }
        // b sits app-limited for ten seconds, ACKs still arriving.
        let frozen = b.cwnd();
        for _ in 0..100 {
            now_b += Duration::from_millis(rtt);
            let limited = Ack {
                app_limited: true,
                ..ack(SMSS, rtt)
            };
            b.on_ack(now_b, &limited);
        }
        assert_eq!(b.cwnd(), frozen);
        // Then both continue: same trajectory, as if the pause never was.
        for _ in 0..30 {
            round_trip(&mut a, &mut now_a, rtt);
            round_trip(&mut b, &mut now_b, rtt);
            assert!(a.cwnd().abs_diff(b.cwnd()) <= SMSS);
        }
    }

    #[test]
    fn slow_start_then_convex_growth_without_loss() {
        let mut cc = cubic();
        let mut now = Instant::ZERO;
        round_trip(&mut cc, &mut now, 50);
        assert_eq!(cc.cwnd(), 20 * SMSS);
        assert!(cc.in_slow_start());
        assert_eq!(cc.k(), None);
    }

    #[test]
    fn idle_restart_and_mss_change_end_the_stage() {
        let (mut cc, mut now) = after_loss_at(100);
        round_trip(&mut cc, &mut now, 100);
        assert!(cc.k().is_some());
        cc.on_idle_restart(now);
        assert_eq!(cc.cwnd(), 10 * SMSS);
        assert_eq!(cc.k(), None);
        round_trip(&mut cc, &mut now, 100);
        cc.set_mss(1000);
        assert!(cc.k().is_none() || cc.in_slow_start());
        cc.set_mss(500);
        assert_eq!(cc.k(), None);
    }

    #[test]
    fn extreme_values_saturate() {
        let mut cc = cubic();
        cc.reno.cwnd = u32::MAX - 10;
        cc.on_congestion_event(Instant::ZERO, u32::MAX);
        cc.on_recovery_exit(Instant::ZERO, u32::MAX);
        let mut now = Instant::ZERO;
        for i in 0..1000u64 {
            now += Duration::from_secs(i * 1000);
            cc.on_ack(now, &ack(u32::MAX, 1_000_000));
        }
        assert!(cc.cwnd() > u32::MAX / 2);
        assert_eq!(w_cubic(10, 0, u64::MAX, 65535), u32::MAX);
        assert_eq!(w_cubic(10, u64::MAX, 0, 65535), 0);
    }
}
