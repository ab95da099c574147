//! How one direction of a link behaves: [`LinkConfig`] and the burst-loss
//! model [`GilbertElliott`].
//!
//! A configuration is plain data. Builder methods never fail: values outside
//! their meaningful range are clamped (probabilities to `0.0..=1.0`, with NaN
//! read as `0.0`), and the one value that has no physical meaning, a
//! bandwidth of zero bits per second, means "unlimited". That keeps
//! configurations produced by fuzzers and property tests usable as they are.

use strata_core::time::Duration;

/// The largest number of bits one corruption event may flip.
pub const MAX_CORRUPT_BITS: u8 = 64;

/// One direction of a simulated link.
///
/// Impairments apply in the order a real path applies them:
///
/// 1. **MTU**: a packet longer than the MTU is dropped on entry.
/// 2. **Bottleneck**: with a bandwidth set, packets wait in a FIFO queue and
///    leave one after the other, each taking `len * 8 / bandwidth` seconds to
///    serialize. If the bytes still waiting (including the unsent rest of the
///    packet being serialized) plus the new packet exceed the queue limit, the
///    new packet is dropped (tail drop).
/// 3. **Loss**: independent loss and the optional Gilbert-Elliott burst loss
///    act on the wire, after serialization: a lost packet still used its
///    share of the bottleneck.
/// 4. **Delay**: propagation delay plus a uniform jitter in
///    `0..=jitter`. Jitter never reorders: a packet never arrives before one
///    sent earlier on the same link, unless that one was picked for
///    reordering, or unless the jitter was set with
///    [`with_reordering_jitter`](LinkConfig::with_reordering_jitter), which
///    draws every packet's delay on its own the way Linux netem does.
/// 5. **Reordering**: a packet picked with the reorder probability is held
///    back by an extra delay, so packets sent after it can overtake it. A
///    packet picked with the [early](LinkConfig::with_early) probability
///    skips delay and jitter instead and overtakes those sent before it.
/// 6. **Corruption**: 1 to `corrupt_bits` distinct bits, anywhere in the
///    packet, are flipped.
/// 7. **Duplication**: a second, identical copy arrives right after the
///    original.
///
/// The default is [`LinkConfig::clean`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkConfig {
    delay: Duration,
    jitter: Duration,
    jitter_reorders: bool,
    bandwidth: Option<u64>,
    queue_limit: Option<usize>,
    mtu: Option<usize>,
    loss: f64,
    burst_loss: Option<GilbertElliott>,
    duplicate: f64,
    reorder: f64,
    reorder_delay: Duration,
    early: f64,
    corrupt: f64,
    corrupt_bits: u8,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self::clean()
    }
}

/// Reads a probability: NaN means never, anything else is clamped.
pub(crate) fn sanitize_probability(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

impl LinkConfig {
    /// A perfect link: no delay, unlimited bandwidth, no impairment.
    /// Packets sent at `t` arrive at `t`, in order.
    #[must_use]
    pub const fn clean() -> Self {
        Self {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            jitter_reorders: false,
            bandwidth: None,
            queue_limit: None,
            mtu: None,
            loss: 0.0,
            burst_loss: None,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::ZERO,
            early: 0.0,
            corrupt: 0.0,
            corrupt_bits: 1,
        }
    }

    /// A clean link that loses each packet independently with probability
    /// `p`.
    #[must_use]
    pub fn lossy(p: f64) -> Self {
        Self::clean().with_loss(p)
    }

    /// A local network: 50 µs one-way delay, 1 Gbit/s, a 256 KiB queue.
    #[must_use]
    pub fn lan() -> Self {
        Self::clean()
            .with_delay(Duration::from_micros(50))
            .with_bandwidth(1_000_000_000)
            .with_queue_limit(256 * 1024)
    }

    /// A wide-area path: 20 ms one-way delay with 1 ms of jitter, a
    /// 100 Mbit/s bottleneck with a 512 KiB queue (about two
    /// bandwidth-delay products).
    #[must_use]
    pub fn wan() -> Self {
        Self::clean()
            .with_delay(Duration::from_millis(20))
            .with_jitter(Duration::from_millis(1))
            .with_bandwidth(100_000_000)
            .with_queue_limit(512 * 1024)
    }

    /// A path that does everything wrong, for robustness tests: 10 ms delay
    /// with 2 ms jitter, 5% loss, 2% duplication, 5% reordering by an extra
    /// 5 ms, 1% corruption.
    #[must_use]
    pub fn hostile() -> Self {
        Self::clean()
            .with_delay(Duration::from_millis(10))
            .with_jitter(Duration::from_millis(2))
            .with_loss(0.05)
            .with_duplication(0.02)
            .with_reordering(0.05, Duration::from_millis(5))
            .with_corruption(0.01)
    }

    /// Sets the one-way propagation delay every packet incurs.
    #[must_use]
    pub const fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Sets the jitter: each packet's delay grows by a uniformly drawn
    /// `0..=jitter`, without ever overtaking the packet sent before it.
    #[must_use]
    pub const fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self.jitter_reorders = false;
        self
    }

    /// Sets a jitter that reorders: each packet's delay grows by a
    /// uniformly drawn `0..=jitter` of its own, so a packet sent less than
    /// `jitter` after another may arrive first. That is Linux netem's
    /// `delay D J` without a rate (there, D plus or minus J: set the delay
    /// to D - J and this to 2 J), a model of paths that spread packets
    /// over several routes or radio retries.
    #[must_use]
    pub const fn with_reordering_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self.jitter_reorders = true;
        self
    }

    /// Sets the bottleneck bandwidth in bits per second. `0` means
    /// unlimited (no serialization delay and no queue), because a link that
    /// never finishes sending anything is not a useful model.
    #[must_use]
    pub const fn with_bandwidth(mut self, bits_per_second: u64) -> Self {
        self.bandwidth = if bits_per_second == 0 {
            None
        } else {
            Some(bits_per_second)
        };
        self
    }

    /// Bounds the bottleneck queue to `bytes` waiting to be serialized;
    /// packets that do not fit are dropped. Without a bandwidth there is no
    /// queue and this has no effect. A packet longer than the limit never
    /// fits. Unbounded by default.
    #[must_use]
    pub const fn with_queue_limit(mut self, bytes: usize) -> Self {
        self.queue_limit = Some(bytes);
        self
    }

    /// Removes the queue limit.
    #[must_use]
    pub const fn with_unbounded_queue(mut self) -> Self {
        self.queue_limit = None;
        self
    }

    /// Drops every packet longer than `bytes` (counted in
    /// [`LinkStats::dropped_mtu`](crate::LinkStats::dropped_mtu)). No limit by
    /// default.
    #[must_use]
    pub const fn with_mtu(mut self, bytes: usize) -> Self {
        self.mtu = Some(bytes);
        self
    }

    /// Loses each packet independently with probability `p`.
    #[must_use]
    pub fn with_loss(mut self, p: f64) -> Self {
        self.loss = sanitize_probability(p);
        self
    }

    /// Adds Gilbert-Elliott burst loss on top of the independent loss: a
    /// packet is lost if either model loses it.
    #[must_use]
    pub fn with_burst_loss(mut self, model: GilbertElliott) -> Self {
        self.burst_loss = Some(model.sanitized());
        self
    }

    /// Duplicates each delivered packet with probability `p`.
    #[must_use]
    pub fn with_duplication(mut self, p: f64) -> Self {
        self.duplicate = sanitize_probability(p);
        self
    }

    /// Holds back each packet with probability `p` by `extra` on top of its
    /// normal delay, so that later packets overtake it when they are sent
    /// less than `extra` after it.
    #[must_use]
    pub fn with_reordering(mut self, p: f64, extra: Duration) -> Self {
        self.reorder = sanitize_probability(p);
        self.reorder_delay = extra;
        self
    }

    /// Sends each packet with probability `p` without the propagation
    /// delay and jitter, so that it overtakes packets sent before it: Linux
    /// netem's `reorder p`, which sends that share of packets at once and
    /// delays the rest.
    #[must_use]
    pub fn with_early(mut self, p: f64) -> Self {
        self.early = sanitize_probability(p);
        self
    }

    /// Corrupts each delivered packet with probability `p` (see
    /// [`with_corrupt_bits`](Self::with_corrupt_bits) for how much).
    #[must_use]
    pub fn with_corruption(mut self, p: f64) -> Self {
        self.corrupt = sanitize_probability(p);
        self
    }

    /// A corrupted packet gets between 1 and `max` distinct bits flipped
    /// (uniformly; clamped to `1..=64` and to the packet's size). The
    /// default, 1, is always caught by the Internet checksum; with more bits
    /// some patterns cancel out in a ones' complement sum and slip through,
    /// as they do on real links.
    #[must_use]
    pub fn with_corrupt_bits(mut self, max: u8) -> Self {
        self.corrupt_bits = max.clamp(1, MAX_CORRUPT_BITS);
        self
    }

    /// The one-way propagation delay.
    #[must_use]
    pub const fn delay(&self) -> Duration {
        self.delay
    }

    /// The largest extra delay jitter adds.
    #[must_use]
    pub const fn jitter(&self) -> Duration {
        self.jitter
    }

    /// Whether jitter may reorder packets (see
    /// [`with_reordering_jitter`](Self::with_reordering_jitter)).
    #[must_use]
    pub const fn jitter_reorders(&self) -> bool {
        self.jitter_reorders
    }

    /// The bottleneck bandwidth in bits per second, `None` if unlimited.
    #[must_use]
    pub const fn bandwidth(&self) -> Option<u64> {
        self.bandwidth
    }

    /// The queue limit in bytes, `None` if unbounded.
    #[must_use]
    pub const fn queue_limit(&self) -> Option<usize> {
        self.queue_limit
    }

    /// The largest packet the link carries, `None` if unlimited.
    #[must_use]
    pub const fn mtu(&self) -> Option<usize> {
        self.mtu
    }

    /// The independent loss probability.
    #[must_use]
    pub const fn loss(&self) -> f64 {
        self.loss
    }

    /// The burst-loss model, if any.
    #[must_use]
    pub const fn burst_loss(&self) -> Option<GilbertElliott> {
        self.burst_loss
    }

    /// The duplication probability.
    #[must_use]
    pub const fn duplication(&self) -> f64 {
        self.duplicate
    }

    /// The reordering probability.
    #[must_use]
    pub const fn reordering(&self) -> f64 {
        self.reorder
    }

    /// The extra delay of a reordered packet.
    #[must_use]
    pub const fn reorder_delay(&self) -> Duration {
        self.reorder_delay
    }

    /// The probability of sending a packet without delay (see
    /// [`with_early`](Self::with_early)).
    #[must_use]
    pub const fn early(&self) -> f64 {
        self.early
    }

    /// The corruption probability.
    #[must_use]
    pub const fn corruption(&self) -> f64 {
        self.corrupt
    }

    /// The most bits a corruption flips.
    #[must_use]
    pub const fn corrupt_bits(&self) -> u8 {
        self.corrupt_bits
    }

    /// The expected fraction of packets lost on the wire (independent and
    /// burst loss combined, in the long run), ignoring queue and MTU drops.
    #[must_use]
    pub fn expected_loss(&self) -> f64 {
        let burst = self.burst_loss.map_or(0.0, |m| m.mean_loss());
        1.0 - (1.0 - self.loss) * (1.0 - burst)
    }
}

/// The Gilbert-Elliott two-state loss model: bursts of loss instead of
/// independent drops.
///
/// The channel is either *good* or *bad*. Before each packet it moves from
/// good to bad with probability `enter_bad` and from bad to good with
/// probability `leave_bad`; the packet is then lost with the current state's
/// loss probability. Bad periods last `1 / leave_bad` packets on average.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GilbertElliott {
    /// Probability of moving from good to bad before a packet.
    pub enter_bad: f64,
    /// Probability of moving from bad to good before a packet.
    pub leave_bad: f64,
    /// Loss probability while good.
    pub loss_good: f64,
    /// Loss probability while bad.
    pub loss_bad: f64,
}

impl GilbertElliott {
    /// The Gilbert model: nothing is lost while good, everything while bad.
    #[must_use]
    pub fn new(enter_bad: f64, leave_bad: f64) -> Self {
        Self {
            enter_bad,
            leave_bad,
            loss_good: 0.0,
            loss_bad: 1.0,
        }
        .sanitized()
    }

    /// Sets each state's loss probability.
    #[must_use]
    pub fn with_state_loss(mut self, loss_good: f64, loss_bad: f64) -> Self {
        self.loss_good = loss_good;
        self.loss_bad = loss_bad;
        self.sanitized()
    }

    /// The long-run fraction of packets lost. Both transition probabilities
    /// zero means the channel stays good forever.
    #[must_use]
    pub fn mean_loss(&self) -> f64 {
        let m = self.sanitized();
        let total = m.enter_bad + m.leave_bad;
        if total <= 0.0 {
            return m.loss_good;
        }
        let bad = m.enter_bad / total;
        bad * m.loss_bad + (1.0 - bad) * m.loss_good
    }

    pub(crate) fn sanitized(self) -> Self {
        Self {
            enter_bad: sanitize_probability(self.enter_bad),
            leave_bad: sanitize_probability(self.leave_bad),
            loss_good: sanitize_probability(self.loss_good),
            loss_bad: sanitize_probability(self.loss_bad),
        }
    }
}

#[cfg(feature = "arbitrary")]
mod fuzzing {
    use super::{GilbertElliott, LinkConfig};
    use arbitrary::{Arbitrary, Result, Unstructured};
    use strata_core::time::Duration;

    /// A probability with 16 bits of resolution that hits 0 and 1 exactly.
    fn probability(u: &mut Unstructured<'_>) -> Result<f64> {
        Ok(f64::from(u16::arbitrary(u)?) / f64::from(u16::MAX))
    }

    /// Up to about 67 seconds, so fuzzed conversations still make progress
    /// within a bounded number of timer firings.
    fn duration(u: &mut Unstructured<'_>) -> Result<Duration> {
        Ok(Duration::from_micros(u64::from(u32::arbitrary(u)? >> 6)))
    }

    impl<'a> Arbitrary<'a> for GilbertElliott {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(GilbertElliott::new(probability(u)?, probability(u)?)
                .with_state_loss(probability(u)?, probability(u)?))
        }
    }

    impl<'a> Arbitrary<'a> for LinkConfig {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut c = LinkConfig::clean()
                .with_delay(duration(u)?)
                .with_jitter(duration(u)?)
                .with_loss(probability(u)?)
                .with_duplication(probability(u)?)
                .with_reordering(probability(u)?, duration(u)?)
                .with_corruption(probability(u)?)
                .with_corrupt_bits(u8::arbitrary(u)?);
            if bool::arbitrary(u)? {
                // At least 1 kbit/s: slower links only make runs longer.
                c = c.with_bandwidth(u64::from(u32::arbitrary(u)?).saturating_mul(64).max(1000));
            }
            if bool::arbitrary(u)? {
                c = c.with_queue_limit(usize::from(u16::arbitrary(u)?) * 16);
            }
            if bool::arbitrary(u)? {
                c = c.with_mtu(usize::from(u16::arbitrary(u)?));
            }
            if bool::arbitrary(u)? {
                c = c.with_burst_loss(GilbertElliott::arbitrary(u)?);
            }
            if bool::arbitrary(u)? {
                c = c.with_reordering_jitter(c.jitter());
            }
            if bool::arbitrary(u)? {
                c = c.with_early(probability(u)?);
            }
            Ok(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_clamped() {
        let c = LinkConfig::clean()
            .with_loss(f64::NAN)
            .with_duplication(2.0)
            .with_reordering(-1.0, Duration::ZERO)
            .with_corruption(f64::INFINITY);
        assert_eq!(c.loss(), 0.0);
        assert_eq!(c.duplication(), 1.0);
        assert_eq!(c.reordering(), 0.0);
        assert_eq!(c.corruption(), 1.0);
    }

    #[test]
    fn zero_bandwidth_is_unlimited() {
        let c = LinkConfig::clean().with_bandwidth(1000).with_bandwidth(0);
        assert_eq!(c.bandwidth(), None);
    }

    #[test]
    fn corrupt_bits_are_clamped() {
        assert_eq!(LinkConfig::clean().with_corrupt_bits(0).corrupt_bits(), 1);
        assert_eq!(
            LinkConfig::clean().with_corrupt_bits(200).corrupt_bits(),
            64
        );
    }

    #[test]
    fn gilbert_elliott_mean_loss() {
        let m = GilbertElliott::new(0.01, 0.09);
        assert!((m.mean_loss() - 0.1).abs() < 1e-12);
        assert_eq!(GilbertElliott::new(0.0, 0.0).mean_loss(), 0.0);
        let c = LinkConfig::lossy(0.5).with_burst_loss(m);
        assert!((c.expected_loss() - 0.55).abs() < 1e-12);
    }

    #[test]
    fn presets_are_distinct() {
        assert_eq!(LinkConfig::default(), LinkConfig::clean());
        assert_ne!(LinkConfig::lan(), LinkConfig::wan());
        assert_eq!(LinkConfig::lossy(0.25).loss(), 0.25);
        assert!(LinkConfig::hostile().corruption() > 0.0);
    }
}
