//! The retransmission timeout of RFC 6298.

use strata_core::time::Duration;

/// Clock granularity G: the host clock ticks in microseconds, but the
/// timestamps option (and so most samples) has millisecond resolution.
const GRANULARITY: Duration = Duration::from_millis(1);

/// SRTT, RTTVAR and the current (possibly backed-off) RTO.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RttEstimator {
    /// Microseconds; `None` before the first sample.
    srtt: Option<u64>,
    rttvar: u64,
    /// RTO before backoff.
    base: Duration,
    backoff: u32,
    min: Duration,
    max: Duration,
}

impl RttEstimator {
    /// Before any sample the RTO is `initial` (RFC 6298 §2.1: 1 second).
    pub(crate) fn new(initial: Duration, min: Duration, max: Duration) -> Self {
        Self {
            srtt: None,
            rttvar: 0,
            base: clamp(initial, min, max),
            backoff: 0,
            min,
            max,
        }
    }

    /// Folds in one measurement (RFC 6298 §2.2 and §2.3) and ends any
    /// backoff, since a valid sample says the path delivers again.
    pub(crate) fn sample(&mut self, rtt: Duration) {
        let r = rtt.total_micros();
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                // beta = 1/4, alpha = 1/8
                let delta = srtt.abs_diff(r);
                self.rttvar = self.rttvar - self.rttvar / 4 + delta / 4;
                self.srtt = Some(srtt - srtt / 8 + r / 8);
            }
        }
        let srtt = Duration::from_micros(self.srtt.unwrap_or(r));
        let var = Duration::from_micros(self.rttvar.saturating_mul(4));
        self.base = clamp(srtt + var.max(GRANULARITY), self.min, self.max);
        self.backoff = 0;
    }

    /// The timeout to arm now.
    pub(crate) fn rto(&self) -> Duration {
        let factor = 1u64.checked_shl(self.backoff).unwrap_or(u64::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// RFC 6298 §5.5: double the timeout after it expires.
    pub(crate) fn back_off(&mut self) {
        if self.rto() < self.max {
            self.backoff = self.backoff.saturating_add(1);
        }
    }

    /// RFC 6298 §5.7: after the SYN itself had to be retransmitted and no
    /// sample came of it, the data phase starts from 3 seconds.
    pub(crate) fn reset_after_syn_loss(&mut self) {
        if self.srtt.is_none() {
            self.base = clamp(Duration::from_secs(3), self.min, self.max);
        }
        self.backoff = 0;
    }

    /// The smoothed round-trip time, once measured.
    pub(crate) fn srtt(&self) -> Option<Duration> {
        self.srtt.map(Duration::from_micros)
    }
}

fn clamp(d: Duration, min: Duration, max: Duration) -> Duration {
    d.max(min).min(max.max(min))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est() -> RttEstimator {
        RttEstimator::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn first_sample_then_smoothing() {
        let mut e = est();
        assert_eq!(e.rto(), Duration::from_secs(1));
        e.sample(Duration::from_millis(100));
        // SRTT = 100, RTTVAR = 50, RTO = 100 + 200 = 300 ms
        assert_eq!(e.srtt(), Some(Duration::from_millis(100)));
        assert_eq!(e.rto(), Duration::from_millis(300));
        e.sample(Duration::from_millis(100));
        // RTTVAR = 3/4*50 + 0 = 37.5, SRTT = 100, RTO = 100 + 150
        assert_eq!(e.rto(), Duration::from_millis(250));
    }

    #[test]
    fn min_max_and_backoff() {
        let mut e = est();
        e.sample(Duration::from_millis(1));
        assert_eq!(e.rto(), Duration::from_millis(200));
        e.back_off();
        e.back_off();
        assert_eq!(e.rto(), Duration::from_millis(800));
        for _ in 0..100 {
            e.back_off();
        }
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(Duration::from_millis(1));
        assert_eq!(e.rto(), Duration::from_millis(200));
        let mut e = est();
        e.back_off();
        e.reset_after_syn_loss();
        assert_eq!(e.rto(), Duration::from_secs(3));
    }
}
