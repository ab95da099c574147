//! HyStart++ (RFC 9406): leaving the initial slow start before it
//! overshoots.
//!
//! Slow start doubles the window every round trip until a loss, so on a
//! path with a large buffer it ends by filling the buffer and losing up to
//! a window's worth of segments. HyStart++ watches the minimum RTT of each
//! round: once it rises by more than a threshold (the queue is building),
//! growth slows to a quarter (Conservative Slow Start, CSS) for up to five
//! rounds, after which slow start ends with `ssthresh = cwnd`. If the RTT
//! falls back below the baseline during CSS, the rise was a fluke and slow
//! start resumes.
//!
//! [`HyStart`] is the bookkeeping alone; the connection feeds it the
//! cumulative ACKs of the initial slow start with their RTT samples, and
//! applies the phase it returns to the congestion controller
//! ([`CongestionControl::set_slow_start_divisor`],
//! [`CongestionControl::exit_slow_start`]).
//!
//! [`CongestionControl::set_slow_start_divisor`]: super::CongestionControl::set_slow_start_divisor
//! [`CongestionControl::exit_slow_start`]: super::CongestionControl::exit_slow_start
//!
//! ```
//! use strata_core::time::Duration;
//! use strata_tcp::congestion::{HyStart, HyStartPhase};
//!
//! let mut h = HyStart::new();
//! let ms = Duration::from_millis;
//! // Round 1 (data up to 10 000 outstanding): eight samples of 20 ms.
//! for i in 1..=8 {
//!     assert_eq!(h.on_ack(i * 1000, 10_000, Some(ms(20))), HyStartPhase::SlowStart);
//! }
//! // Round 2: the minimum RTT rose to 24 ms, past 20 + max(4, 20/8) ms.
//! let mut phase = HyStartPhase::SlowStart;
//! for i in 0..8 {
//!     phase = h.on_ack(10_000 + i * 1000, 30_000, Some(ms(24)));
//! }
//! assert_eq!(phase, HyStartPhase::Conservative);
//! assert_eq!(HyStart::CSS_GROWTH_DIVISOR, 4);
//! ```

use strata_core::time::Duration;

/// Where HyStart++ stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HyStartPhase {
    /// Standard slow start, watching the RTT.
    SlowStart,
    /// Conservative Slow Start: growth divided by
    /// [`HyStart::CSS_GROWTH_DIVISOR`].
    Conservative,
    /// Finished: slow start ended (after `CSS_ROUNDS` of CSS, or a
    /// congestion event); the controller runs as usual from here.
    Done,
}

/// The RFC 9406 state of one connection's initial slow start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HyStart {
    phase: HyStartPhase,
    /// lastRoundMinRTT.
    last_round_min: Option<Duration>,
    /// currentRoundMinRTT.
    current_round_min: Option<Duration>,
    /// rttSampleCount.
    samples: u32,
    /// windowEnd: the round ends when this is acknowledged.
    window_end: Option<u64>,
    /// cssBaselineMinRtt.
    css_baseline: Option<Duration>,
    /// Rounds completed in CSS.
    css_rounds: u32,
}

impl Default for HyStart {
    fn default() -> Self {
        Self::new()
    }
}

impl HyStart {
    /// MIN_RTT_THRESH: the smallest RTT rise taken as a growing queue.
    pub const MIN_RTT_THRESH: Duration = Duration::from_millis(4);
    /// MAX_RTT_THRESH: the largest rise it waits for.
    pub const MAX_RTT_THRESH: Duration = Duration::from_millis(16);
    /// MIN_RTT_DIVISOR: the threshold is lastRoundMinRTT over this.
    pub const MIN_RTT_DIVISOR: u64 = 8;
    /// N_RTT_SAMPLE: samples a round needs before it is judged.
    pub const N_RTT_SAMPLE: u32 = 8;
    /// CSS_GROWTH_DIVISOR: CSS grows the window this many times slower.
    pub const CSS_GROWTH_DIVISOR: u32 = 4;
    /// CSS_ROUNDS: rounds of CSS before slow start ends for good.
    pub const CSS_ROUNDS: u32 = 5;

    /// At the start of slow start, before anything was sent.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            phase: HyStartPhase::SlowStart,
            last_round_min: None,
            current_round_min: None,
            samples: 0,
            window_end: None,
            css_baseline: None,
            css_rounds: 0,
        }
    }

    /// The current phase.
    #[must_use]
    pub fn phase(&self) -> HyStartPhase {
        self.phase
    }

    /// RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT /
    /// MIN_RTT_DIVISOR, MAX_RTT_THRESH)).
    #[must_use]
    pub fn rtt_thresh(last_round_min: Duration) -> Duration {
        let eighth = Duration::from_micros(last_round_min.total_micros() / Self::MIN_RTT_DIVISOR);
        eighth.min(Self::MAX_RTT_THRESH).max(Self::MIN_RTT_THRESH)
    }

    /// A cumulative ACK up to `ack` arrived while `snd_nxt` was the next
    /// sequence number to send (both as offsets in one monotonic sequence
    /// space), with an RTT sample if it gave one. Returns the phase to
    /// apply from now on.
    pub fn on_ack(&mut self, ack: u64, snd_nxt: u64, rtt: Option<Duration>) -> HyStartPhase {
        if self.phase == HyStartPhase::Done {
            return self.phase;
        }
        // "At the start of each round during standard slow start and CSS":
        // a round ends when the data outstanding at its start is
        // acknowledged.
        if self.window_end.is_none_or(|end| ack >= end) {
            self.last_round_min = self.current_round_min;
            self.current_round_min = None;
            self.samples = 0;
            self.window_end = Some(snd_nxt);
            if self.phase == HyStartPhase::Conservative {
                self.css_rounds += 1;
                // "If CSS_ROUNDS rounds are complete, enter congestion
                // avoidance by setting the ssthresh to the current cwnd."
                if self.css_rounds >= Self::CSS_ROUNDS {
                    self.phase = HyStartPhase::Done;
                    return self.phase;
                }
            }
        }
        let Some(rtt) = rtt else {
            return self.phase;
        };
        self.current_round_min = Some(self.current_round_min.map_or(rtt, |m| m.min(rtt)));
        self.samples = self.samples.saturating_add(1);
        if self.samples < Self::N_RTT_SAMPLE {
            return self.phase;
        }
        let Some(current) = self.current_round_min else {
            return self.phase;
        };
        match self.phase {
            HyStartPhase::SlowStart => {
                if let Some(last) = self.last_round_min
                    && current >= last + Self::rtt_thresh(last)
                {
                    self.css_baseline = Some(current);
                    self.css_rounds = 0;
                    self.phase = HyStartPhase::Conservative;
                }
            }
            HyStartPhase::Conservative => {
                // "If currentRoundMinRTT < cssBaselineMinRtt ... the exit
                // was spurious": back to slow start.
                if self.css_baseline.is_some_and(|base| current < base) {
                    self.css_baseline = None;
                    self.phase = HyStartPhase::SlowStart;
                }
            }
            HyStartPhase::Done => {}
        }
        self.phase
    }

    /// A loss or a timeout: the controller has set ssthresh itself, and
    /// HyStart++ is over (it runs in the initial slow start only).
    pub fn on_congestion(&mut self) {
        self.phase = HyStartPhase::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// One round: `n` ACKs with RTT `rtt` ms, the round covering data up to
    /// `*nxt`; returns the last phase.
    fn round(h: &mut HyStart, nxt: &mut u64, n: u64, rtt: u64) -> HyStartPhase {
        let start = *nxt;
        *nxt += n * 1000;
        let mut phase = h.phase();
        for i in 0..n {
            phase = h.on_ack(start + i * 1000, *nxt, Some(ms(rtt)));
        }
        phase
    }

    #[test]
    fn threshold_is_an_eighth_clamped_to_4_and_16_ms() {
        // RFC 9406 §4.2: "RttThresh = max(MIN_RTT_THRESH,
        // min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH))".
        assert_eq!(HyStart::rtt_thresh(ms(10)), ms(4));
        assert_eq!(HyStart::rtt_thresh(ms(80)), ms(10));
        assert_eq!(HyStart::rtt_thresh(ms(400)), ms(16));
        assert_eq!(
            (HyStart::MIN_RTT_THRESH, HyStart::MAX_RTT_THRESH),
            (ms(4), ms(16))
        );
        assert_eq!(HyStart::N_RTT_SAMPLE, 8);
        assert_eq!(HyStart::CSS_GROWTH_DIVISOR, 4);
        assert_eq!(HyStart::CSS_ROUNDS, 5);
    }

    #[test]
    fn rise_below_threshold_keeps_slow_start() {
        let mut h = HyStart::new();
        let mut nxt = 0;
        round(&mut h, &mut nxt, 8, 20);
        // 20 ms + 3 ms: under the 4 ms floor.
        assert_eq!(round(&mut h, &mut nxt, 16, 23), HyStartPhase::SlowStart);
        // 23 + 4 ms: exactly the threshold, "currentRoundMinRTT >=
        // lastRoundMinRTT + RttThresh".
        assert_eq!(round(&mut h, &mut nxt, 16, 27), HyStartPhase::Conservative);
    }

    #[test]
    fn fewer_than_n_rtt_sample_samples_decide_nothing() {
        let mut h = HyStart::new();
        let mut nxt = 0;
        round(&mut h, &mut nxt, 8, 20);
        assert_eq!(round(&mut h, &mut nxt, 7, 100), HyStartPhase::SlowStart);
    }

    #[test]
    fn css_lasts_five_rounds_then_slow_start_ends() {
        let mut h = HyStart::new();
        let mut nxt = 0;
        round(&mut h, &mut nxt, 8, 20);
        assert_eq!(round(&mut h, &mut nxt, 8, 30), HyStartPhase::Conservative);
        for _ in 0..4 {
            assert_eq!(round(&mut h, &mut nxt, 8, 31), HyStartPhase::Conservative);
        }
        // The fifth round of CSS completes at the first ACK of the next.
        assert_eq!(h.on_ack(nxt, nxt + 1000, Some(ms(31))), HyStartPhase::Done);
        assert_eq!(
            h.on_ack(nxt + 500, nxt + 1000, Some(ms(10))),
            HyStartPhase::Done
        );
    }

    #[test]
    fn rtt_back_below_the_baseline_resumes_slow_start() {
        let mut h = HyStart::new();
        let mut nxt = 0;
        round(&mut h, &mut nxt, 8, 20);
        assert_eq!(round(&mut h, &mut nxt, 8, 30), HyStartPhase::Conservative);
        assert_eq!(round(&mut h, &mut nxt, 8, 21), HyStartPhase::SlowStart);
    }

    #[test]
    fn congestion_ends_it() {
        let mut h = HyStart::new();
        h.on_congestion();
        assert_eq!(h.on_ack(0, 10, Some(ms(1))), HyStartPhase::Done);
    }
}
