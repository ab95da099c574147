//! Impairing a device's traffic: [`FaultInjector`].
//!
//! `FaultInjector` wraps any [`Device`] and passes what the host transmits
//! through a [`strata_sim::Link`] before the wrapped device sees it: frames
//! are lost, duplicated, reordered, corrupted, delayed and paced to a
//! bandwidth as a [`LinkConfig`] says, every random choice drawn from a
//! seed, so a seed reproduces a run frame for frame. Received frames can
//! be impaired too, through a second link
//! ([`FaultInjector::with_receive_faults`]).
//!
//! The injector has no clock and no thread. A frame held back (delay,
//! bandwidth, reordering) is handed to the wrapped device by the first
//! [`transmit`](Device::transmit) or [`receive`](Device::receive) call
//! whose `now` is at or after the frame's time; [`poll_at`](Device::poll_at)
//! says when that is, so a host that sleeps until its `poll_at` (which
//! takes the device's into account) keeps the timing.
//!
//! A frame the link loses was still "sent" as far as the host can tell:
//! `transmit` returns `Ok(Some(len))` for it, as a real wire would.
//!
//! Memory is bounded: at most [`FaultInjector::max_held`] frames wait in
//! the transmit path (in flight on the link, or due but refused by the
//! wrapped device with [`DeviceError::Busy`]); beyond that, `transmit`
//! returns `Busy` itself. The receive path holds at most as many.
//!
//! ```
//! use strata::device::fault::FaultInjector;
//! use strata::device::{memory, Device};
//! use strata_core::time::{Duration, Instant};
//! use strata_sim::LinkConfig;
//!
//! let (a, mut b) = memory::pair(1500);
//! let link = LinkConfig::clean().with_delay(Duration::from_millis(10));
//! let mut a = FaultInjector::new(a, link, 7);
//!
//! let t0 = Instant::from_millis(100);
//! a.transmit(t0, |buf| { buf[..60].fill(1); Some(60) }).unwrap();
//! // Held for 10 ms: the peer sees nothing yet.
//! assert_eq!(b.receive(t0, |f| f.len()), None);
//! assert_eq!(a.poll_at(), Some(t0 + Duration::from_millis(10)));
//!
//! // Any call at or after the due time releases it.
//! assert_eq!(a.receive(t0 + Duration::from_millis(10), |f| f.len()), None);
//! assert_eq!(b.receive(t0 + Duration::from_millis(10), |f| f.len()), Some(60));
//! assert_eq!(a.poll_at(), None);
//! ```

use std::collections::VecDeque;

use strata_core::time::Instant;
use strata_sim::{Fate, Link, LinkConfig};

use super::{Device, DeviceError};

/// Buffers kept for reuse at most, so a burst does not pin its memory.
const POOL_MAX: usize = 256;

/// What the injector did besides what its links count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FaultStats {
    /// Transmit calls refused with [`DeviceError::Busy`] because too many
    /// frames were held.
    pub busy: u64,
    /// Times the wrapped device refused a due frame with
    /// [`DeviceError::Busy`] (the frame waits and is offered again).
    pub inner_busy: u64,
    /// Frames dropped because the wrapped device failed to take them with
    /// an error other than `Busy`.
    pub inner_errors: u64,
    /// The last such error.
    pub last_error: Option<DeviceError>,
}

/// A [`Device`] that impairs the traffic of the device it wraps; see the
/// [module documentation](self).
#[derive(Debug)]
pub struct FaultInjector<D> {
    inner: D,
    tx: Link,
    rx: Option<Link>,
    /// Due transmit frames the wrapped device refused (`Busy`), oldest
    /// first; offered again before anything else.
    tx_ready: VecDeque<Vec<u8>>,
    /// When a frame first waited in `tx_ready`: reported by `poll_at`.
    stalled_at: Option<Instant>,
    pool: Vec<Vec<u8>>,
    max_held: usize,
    seed: u64,
    stats: FaultStats,
}

/// The default bound on held frames in each direction: a few seconds of
/// a slow link's worth, a few MB of 1514-byte frames.
pub const DEFAULT_MAX_HELD: usize = 4096;

/// The receive link's seed, different from the transmit link's so the two
/// directions do not make the same choices.
fn receive_seed(seed: u64) -> u64 {
    seed ^ 0x9e37_79b9_7f4a_7c15
}

impl<D: Device> FaultInjector<D> {
    /// Wraps `inner`, impairing transmitted frames as `transmit` says,
    /// with random choices from `seed`. Received frames pass untouched.
    #[must_use]
    pub fn new(inner: D, transmit: LinkConfig, seed: u64) -> Self {
        Self {
            inner,
            tx: Link::new(transmit, seed),
            rx: None,
            tx_ready: VecDeque::new(),
            stalled_at: None,
            pool: Vec::new(),
            max_held: DEFAULT_MAX_HELD,
            seed,
            stats: FaultStats::default(),
        }
    }

    /// Impairs received frames too, as `receive` says (seeded from the
    /// same seed, with a different stream of choices).
    #[must_use]
    pub fn with_receive_faults(mut self, receive: LinkConfig) -> Self {
        self.rx = Some(Link::new(receive, receive_seed(self.seed)));
        self
    }

    /// Bounds the frames held in each direction (at least 1).
    #[must_use]
    pub fn with_max_held(mut self, frames: usize) -> Self {
        self.max_held = frames.max(1);
        self
    }

    /// The bound on held frames in each direction.
    #[must_use]
    pub fn max_held(&self) -> usize {
        self.max_held
    }

    /// Frames held in the transmit path: in flight on the link or waiting
    /// for the wrapped device.
    #[must_use]
    pub fn held(&self) -> usize {
        self.tx.in_flight() + self.tx_ready.len()
    }

    /// The transmit link, with its counters ([`Link::stats`]).
    #[must_use]
    pub fn transmit_link(&self) -> &Link {
        &self.tx
    }

    /// The receive link, if received frames are impaired.
    #[must_use]
    pub fn receive_link(&self) -> Option<&Link> {
        self.rx.as_ref()
    }

    /// Changes the transmit impairments from now on; frames in flight keep
    /// their fate.
    pub fn set_transmit_config(&mut self, config: LinkConfig) {
        self.tx.set_config(config);
    }

    /// Changes (or, with `None`, stops) the receive impairments. Frames
    /// held in the receive path are kept when changing and dropped when
    /// stopping.
    pub fn set_receive_config(&mut self, config: Option<LinkConfig>) {
        match (&mut self.rx, config) {
            (Some(link), Some(config)) => link.set_config(config),
            (None, Some(config)) => self.rx = Some(Link::new(config, receive_seed(self.seed))),
            (_, None) => self.rx = None,
        }
    }

    /// What the injector did besides what its links count.
    #[must_use]
    pub fn stats(&self) -> FaultStats {
        self.stats
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably. Frames sent through it directly skip
    /// the impairments.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// The wrapped device; held frames are dropped.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Hands every transmit frame due at `now` to the wrapped device, in
    /// order, until it is busy.
    ///
    /// # Errors
    /// The wrapped device's error other than `Busy` (that frame is
    /// dropped; later ones stay held).
    fn release(&mut self, now: Instant) -> Result<(), DeviceError> {
        loop {
            let Some(frame) = self.tx_ready.pop_front().or_else(|| self.tx.deliver(now)) else {
                self.stalled_at = None;
                return Ok(());
            };
            let len = frame.len();
            let result = self.inner.transmit(now, |buf| {
                if let Some(dst) = buf.get_mut(..len) {
                    dst.copy_from_slice(&frame);
                }
                // Longer than the buffer: the device says FrameTooLong.
                Some(len)
            });
            match result {
                Ok(_) => self.recycle(frame),
                Err(DeviceError::Busy) => {
                    self.stats.inner_busy += 1;
                    self.tx_ready.push_front(frame);
                    self.stalled_at.get_or_insert(now);
                    return Ok(());
                }
                Err(e @ DeviceError::FrameTooLong { .. }) => {
                    self.stats.inner_errors += 1;
                    self.stats.last_error = Some(e);
                    self.recycle(frame);
                }
                Err(e) => {
                    self.stats.inner_errors += 1;
                    self.stats.last_error = Some(e);
                    self.recycle(frame);
                    if self.tx_ready.is_empty() {
                        self.stalled_at = None;
                    }
                    return Err(e);
                }
            }
        }
    }

    fn recycle(&mut self, mut frame: Vec<u8>) {
        if self.pool.len() < POOL_MAX {
            frame.clear();
            self.pool.push(frame);
        }
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }
}

impl<D: Device> Device for FaultInjector<D> {
    fn max_frame_len(&self) -> usize {
        self.inner.max_frame_len()
    }

    fn receive<R>(&mut self, now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        // Counted in the stats; there is nobody to return the error to.
        let _ = self.release(now);
        let Some(link) = &mut self.rx else {
            return self.inner.receive(now, f);
        };
        // Move everything the wrapped device has into the receive link.
        while link.in_flight() < self.max_held {
            let mut buf = self.pool.pop().unwrap_or_default();
            let got = self.inner.receive(now, |frame| {
                buf.clear();
                buf.extend_from_slice(frame);
            });
            if got.is_none() {
                if self.pool.len() < POOL_MAX {
                    self.pool.push(buf);
                }
                break;
            }
            let _ = link.send(now, buf);
        }
        let frame = link.deliver(now)?;
        let r = f(&frame);
        self.recycle(frame);
        Some(r)
    }

    fn transmit(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError> {
        self.release(now)?;
        if self.held() >= self.max_held {
            self.stats.busy += 1;
            return Err(DeviceError::Busy);
        }
        let max = self.inner.max_frame_len();
        let mut buf = self.buffer();
        buf.resize(max, 0);
        let len = match f(&mut buf) {
            Some(len) if len <= max => len,
            other => {
                self.recycle(buf);
                return match other {
                    Some(len) => Err(DeviceError::FrameTooLong { len, max }),
                    None => Ok(None),
                };
            }
        };
        buf.truncate(len);
        match self.tx.send(now, buf) {
            // Zero delay: out at once.
            Fate::InFlight { .. } => self.release(now)?,
            Fate::Dropped(_) => {}
        }
        Ok(Some(len))
    }

    fn poll_at(&self) -> Option<Instant> {
        [
            self.inner.poll_at(),
            self.stalled_at,
            self.tx.next_delivery(),
            self.rx.as_ref().and_then(Link::next_delivery),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
