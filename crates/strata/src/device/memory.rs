//! Two connected in-memory devices: two hosts in one process.
//!
//! [`pair`] returns two [`MemoryDevice`]s joined like the two ends of a
//! cable: what one transmits, the other receives, in order. Each direction
//! is a bounded FIFO queue; a full queue makes
//! [`transmit`](Device::transmit) return [`DeviceError::Busy`] without
//! calling the closure, as a real NIC with a full ring does.
//!
//! Frame buffers are recycled: a buffer travels from the sender to the
//! receiver, and when the receiver is done with the frame it goes back to
//! a free list that the sender draws from. Once as many buffers exist as
//! the traffic needs (at most the queue length plus two per direction), no
//! frame allocates. [`MemoryStats::allocations`] counts the buffers made.
//!
//! The ends are `Send`: each may live on its own thread. Each direction is
//! a `Mutex`-protected queue taken once per frame in the common case (the
//! sender remembers how much room it saw, so it only re-checks the queue
//! when that runs out). [`MemoryDevice::wait`] blocks a thread until a
//! frame arrives, for callers that have nothing else to do.
//!
//! ```
//! use strata::device::{memory, Device, DeviceError};
//! use strata_core::time::Instant;
//!
//! let (mut a, mut b) = memory::pair_with(memory::MemoryConfig { mtu: 1500, queue_len: 2 });
//! let now = Instant::ZERO;
//! let frame = |n: u8| move |buf: &mut [u8]| { buf[..60].fill(n); Some(60) };
//! assert_eq!(a.transmit(now, frame(1)), Ok(Some(60)));
//! assert_eq!(a.transmit(now, frame(2)), Ok(Some(60)));
//! // The queue holds two frames: the third is refused, the closure not called.
//! assert_eq!(a.transmit(now, |_| unreachable!()), Err(DeviceError::Busy));
//!
//! assert_eq!(b.receive(now, |f| f[0]), Some(1));
//! assert_eq!(a.transmit(now, frame(3)), Ok(Some(60)));
//! assert_eq!(b.receive(now, |f| f[0]), Some(2));
//! assert_eq!(b.receive(now, |f| f[0]), Some(3));
//! assert_eq!(b.receive(now, |f| f[0]), None);
//! assert_eq!(a.stats().tx_frames, 3);
//! assert_eq!(a.stats().tx_busy, 1);
//! assert_eq!(b.stats().rx_bytes, 180);
//!
//! drop(a);
//! assert_eq!(b.transmit(now, frame(4)), Err(DeviceError::Closed));
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use strata_core::time::Instant;

use super::{Device, DeviceError, ETHERNET_HEADER_LEN};

/// How a [`pair`] is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryConfig {
    /// The MTU: the largest IP datagram a frame carries. Frames are up to
    /// `mtu + 14` bytes.
    pub mtu: usize,
    /// How many frames each direction holds before the sender sees
    /// [`DeviceError::Busy`]. At least 1 (0 is read as 1).
    pub queue_len: usize,
}

impl MemoryConfig {
    /// The default queue length: enough for a few windows of full-size
    /// segments in flight at once, small enough that a stalled receiver
    /// holds at most a few MB (1514-byte frames).
    pub const DEFAULT_QUEUE_LEN: usize = 1024;
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            mtu: 1500,
            queue_len: Self::DEFAULT_QUEUE_LEN,
        }
    }
}

/// Counters of one end of a pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemoryStats {
    /// Frames transmitted (queued for the peer).
    pub tx_frames: u64,
    /// Bytes transmitted.
    pub tx_bytes: u64,
    /// Transmit calls refused with [`DeviceError::Busy`].
    pub tx_busy: u64,
    /// Frames received.
    pub rx_frames: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Frame buffers this end allocated for transmitting. Stops growing
    /// once the traffic is steady.
    pub allocations: u64,
}

/// A frame in a queue: a recycled buffer of `max_frame_len` bytes and how
/// many of them the frame uses.
struct Slot {
    buf: Box<[u8]>,
    len: usize,
}

/// One direction of the pair.
struct Lane {
    frames: VecDeque<Slot>,
    /// Buffers the receiver is done with, for the sender to reuse.
    free: Vec<Box<[u8]>>,
    capacity: usize,
    /// Threads blocked in [`MemoryDevice::wait`] on this lane, so the
    /// sender only pays for a wake-up when someone sleeps.
    waiters: usize,
    /// Set when either end is dropped.
    closed: bool,
}

/// A lane with the condition variable its receiver waits on.
struct Shared {
    lane: Mutex<Lane>,
    arrived: Condvar,
}

impl Shared {
    fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Shared {
            lane: Mutex::new(Lane {
                frames: VecDeque::with_capacity(capacity),
                free: Vec::new(),
                capacity,
                waiters: 0,
                closed: false,
            }),
            arrived: Condvar::new(),
        })
    }

    /// The lane, even if a thread panicked while holding it: the queue's
    /// invariants hold between any two statements that touch it, so a
    /// poisoned lock guards consistent data.
    fn lock(&self) -> MutexGuard<'_, Lane> {
        self.lane.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One end of an in-memory link; see the [module documentation](self).
pub struct MemoryDevice {
    /// Frames this end sends (the peer's `rx`).
    tx: Arc<Shared>,
    /// Frames this end receives (the peer's `tx`).
    rx: Arc<Shared>,
    max_frame_len: usize,
    /// The buffer the next transmitted frame is built in.
    tx_buf: Option<Box<[u8]>>,
    /// Free slots known to be in `tx` at the last look: only this end adds
    /// frames there, so the real number can only be larger.
    tx_credit: usize,
    /// The buffer of the last received frame, returned to the free list on
    /// the next receive (so returning it costs no extra lock).
    rx_done: Option<Box<[u8]>>,
    stats: MemoryStats,
}

impl fmt::Debug for MemoryDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryDevice")
            .field("max_frame_len", &self.max_frame_len)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Two connected devices for frames of up to `mtu + 14` bytes, with the
/// default queue length ([`MemoryConfig::DEFAULT_QUEUE_LEN`]) each way.
#[must_use]
pub fn pair(mtu: usize) -> (MemoryDevice, MemoryDevice) {
    pair_with(MemoryConfig {
        mtu,
        ..MemoryConfig::default()
    })
}

/// Two connected devices built as `config` says.
#[must_use]
pub fn pair_with(config: MemoryConfig) -> (MemoryDevice, MemoryDevice) {
    let capacity = config.queue_len.max(1);
    let max_frame_len = config.mtu.saturating_add(ETHERNET_HEADER_LEN);
    let ab = Shared::new(capacity);
    let ba = Shared::new(capacity);
    let end = |tx: &Arc<Shared>, rx: &Arc<Shared>| MemoryDevice {
        tx: Arc::clone(tx),
        rx: Arc::clone(rx),
        max_frame_len,
        tx_buf: None,
        tx_credit: 0,
        rx_done: None,
        stats: MemoryStats::default(),
    };
    (end(&ab, &ba), end(&ba, &ab))
}

impl MemoryDevice {
    /// This end's counters.
    #[must_use]
    pub fn stats(&self) -> MemoryStats {
        self.stats
    }

    /// Frames waiting to be received by this end.
    #[must_use]
    pub fn rx_pending(&self) -> usize {
        self.rx.lock().frames.len()
    }

    /// Frames this end sent that the peer has not received yet.
    #[must_use]
    pub fn tx_pending(&self) -> usize {
        self.tx.lock().frames.len()
    }

    /// Whether the other end has been dropped.
    #[must_use]
    pub fn peer_closed(&self) -> bool {
        self.tx.lock().closed
    }

    /// Blocks the calling thread until a frame waits to be received, the
    /// peer is dropped, or `timeout` passes (`None`: no limit). Returns
    /// whether a frame waits.
    ///
    /// Only useful when the two ends live on different threads: on one
    /// thread nothing can arrive while this one sleeps.
    pub fn wait(&self, timeout: Option<std::time::Duration>) -> bool {
        let deadline = timeout.and_then(|t| std::time::Instant::now().checked_add(t));
        let mut lane = self.rx.lock();
        lane.waiters += 1;
        while lane.frames.is_empty() && !lane.closed {
            lane = match deadline {
                None => self
                    .rx
                    .arrived
                    .wait(lane)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    self.rx
                        .arrived
                        .wait_timeout(lane, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
        lane.waiters -= 1;
        !lane.frames.is_empty()
    }
}

impl Drop for MemoryDevice {
    fn drop(&mut self) {
        // Mark both directions closed and wake a peer blocked in `wait`
        // so it sees the link is gone.
        for shared in [&self.tx, &self.rx] {
            let mut lane = shared.lock();
            lane.closed = true;
            if lane.waiters > 0 {
                shared.arrived.notify_all();
            }
        }
    }
}

impl Device for MemoryDevice {
    fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    fn receive<R>(&mut self, _now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let slot = {
            let mut lane = self.rx.lock();
            if let Some(done) = self.rx_done.take() {
                // Bounded by the buffers in circulation: at most the queue
                // length plus the two held by the ends.
                if lane.free.len() <= lane.capacity {
                    lane.free.push(done);
                }
            }
            lane.frames.pop_front()?
        };
        let frame = slot.buf.get(..slot.len).unwrap_or(&[]);
        let r = f(frame);
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += slot.len as u64;
        self.rx_done = Some(slot.buf);
        Some(r)
    }

    fn transmit(
        &mut self,
        _now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError> {
        if self.tx_credit == 0 || self.tx_buf.is_none() {
            let mut lane = self.tx.lock();
            if lane.closed {
                return Err(DeviceError::Closed);
            }
            self.tx_credit = lane.capacity.saturating_sub(lane.frames.len());
            if self.tx_buf.is_none() {
                self.tx_buf = lane.free.pop();
            }
        }
        if self.tx_credit == 0 {
            self.stats.tx_busy += 1;
            return Err(DeviceError::Busy);
        }
        let max = self.max_frame_len;
        let mut buf = match self.tx_buf.take() {
            Some(buf) => buf,
            None => {
                self.stats.allocations += 1;
                vec![0; max].into_boxed_slice()
            }
        };
        let len = match f(&mut buf) {
            Some(len) if len <= max => len,
            other => {
                self.tx_buf = Some(buf);
                return match other {
                    Some(len) => Err(DeviceError::FrameTooLong { len, max }),
                    None => Ok(None),
                };
            }
        };
        let mut lane = self.tx.lock();
        if lane.closed {
            self.tx_buf = Some(buf);
            return Err(DeviceError::Closed);
        }
        lane.frames.push_back(Slot { buf, len });
        self.tx_buf = lane.free.pop();
        if lane.waiters > 0 {
            self.tx.arrived.notify_one();
        }
        drop(lane);
        self.tx_credit -= 1;
        self.stats.tx_frames += 1;
        self.stats.tx_bytes += len as u64;
        Ok(Some(len))
    }
}
