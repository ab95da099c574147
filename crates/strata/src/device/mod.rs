//! Devices: where Ethernet frames leave the host and arrive at it.
//!
//! A [`Device`] moves whole Ethernet II frames (header and payload, no
//! frame check sequence). It is deliberately small so that the stack never
//! copies a frame on the way: [`Device::transmit`] lends the device's own
//! transmit buffer to a closure that builds the frame in place, and
//! [`Device::receive`] lends the received frame to a closure that parses it
//! where it lies.
//!
//! Provided devices:
//!
//! - [`memory::pair`]: two connected in-memory devices, two hosts in one
//!   process (one thread or two);
//! - [`pcap::PcapWriter`]: wraps any device and records every frame it
//!   receives and transmits in a pcap or pcapng file;
//! - [`fault::FaultInjector`]: wraps any device and impairs its traffic
//!   (loss, duplication, reordering, corruption, delay, bandwidth) as a
//!   seeded [`strata_sim::LinkConfig`] says;
//! - `tap::TapDevice` (Linux only): a TAP interface of the kernel, the one
//!   place in strata that makes system calls (and the one module allowed
//!   `unsafe`).
//!
//! Wrappers nest: `PcapWriter<FaultInjector<MemoryDevice>>` records what
//! the host sent before the impairments, `FaultInjector<PcapWriter<..>>`
//! records what actually went on the wire.
//!
//! # Example
//!
//! ```
//! use strata::device::{memory, Device, DeviceError};
//! use strata_core::time::Instant;
//!
//! let (mut a, mut b) = memory::pair(1500);
//! assert_eq!(a.max_frame_len(), 1514);
//!
//! // Build a (broadcast, EtherType 0x88b5) frame straight in the device's buffer.
//! let sent = a.transmit(Instant::ZERO, |buf| {
//!     buf[..6].fill(0xff);
//!     buf[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
//!     buf[12..14].copy_from_slice(&[0x88, 0xb5]);
//!     buf[14..60].fill(0x5a);
//!     Some(60)
//! });
//! assert_eq!(sent, Ok(Some(60)));
//!
//! // The other end reads it where it lies.
//! let ethertype = b.receive(Instant::ZERO, |frame| u16::from_be_bytes([frame[12], frame[13]]));
//! assert_eq!(ethertype, Some(0x88b5));
//! assert_eq!(b.receive(Instant::ZERO, |frame| frame.len()), None);
//!
//! // A closure that decides not to send sends nothing.
//! assert_eq!(a.transmit(Instant::ZERO, |_| None), Ok(None));
//! # let _: Option<DeviceError> = None;
//! ```

use std::fmt;
use std::io;

use strata_core::time::Instant;

pub mod fault;
pub mod memory;
pub mod pcap;
#[cfg(target_os = "linux")]
pub mod tap;

/// The length of an Ethernet II header without a VLAN tag: what
/// [`Device::max_frame_len`] adds to the MTU.
pub const ETHERNET_HEADER_LEN: usize = 14;

/// Something that sends and receives Ethernet frames.
///
/// Time is passed in (`now`), never read: wrappers that delay or record
/// frames use it, plain devices ignore it.
pub trait Device {
    /// Largest frame handed to transmit or returned by receive: Ethernet
    /// header + MTU (no FCS).
    fn max_frame_len(&self) -> usize;

    /// The next received frame, passed to `f` (borrowed from the device's
    /// buffer), or `None` if none waits (and `f` is not called).
    fn receive<R>(&mut self, now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R>;

    /// Lets `f` write one frame straight into the device's transmit buffer
    /// (`len = max_frame_len`); `f` returns the frame length, or `None` to
    /// send nothing.
    ///
    /// Returns `Ok(Some(len))` when the frame was taken, `Ok(None)` when
    /// `f` sent nothing.
    ///
    /// # Errors
    /// When the device cannot take a frame now ([`DeviceError::Busy`]: its
    /// queue is full, the stack retries later), `f` is not called, so the
    /// caller still holds whatever it meant to send. Other errors say the
    /// device is gone ([`DeviceError::Closed`]), the operating system
    /// refused the frame ([`DeviceError::Io`]) or `f` returned a length
    /// larger than the buffer ([`DeviceError::FrameTooLong`]; nothing is
    /// sent).
    fn transmit(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError>;

    /// When the device next has something to deliver on its own (a delayed
    /// frame in a fault injector); `None` for most devices. The caller
    /// should call [`receive`](Self::receive) or
    /// [`transmit`](Self::transmit) at or after that time. An instant in
    /// the past means "as soon as possible".
    fn poll_at(&self) -> Option<Instant> {
        None
    }
}

impl<D: Device + ?Sized> Device for &mut D {
    fn max_frame_len(&self) -> usize {
        (**self).max_frame_len()
    }

    fn receive<R>(&mut self, now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        (**self).receive(now, f)
    }

    fn transmit(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, DeviceError> {
        (**self).transmit(now, f)
    }

    fn poll_at(&self) -> Option<Instant> {
        (**self).poll_at()
    }
}

/// Why a device did not take a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceError {
    /// The device cannot take a frame now (its queue is full); try again
    /// later.
    Busy,
    /// The operating system reported an error.
    Io(io::ErrorKind),
    /// The other end is gone (the peer of a memory device was dropped, the
    /// TAP interface was deleted).
    Closed,
    /// The transmit closure returned a length larger than the buffer it
    /// was lent.
    FrameTooLong {
        /// The length the closure returned.
        len: usize,
        /// The buffer's length, [`Device::max_frame_len`].
        max: usize,
    },
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::Busy => f.write_str("device busy: its transmit queue is full"),
            DeviceError::Io(kind) => write!(f, "device I/O error: {kind}"),
            DeviceError::Closed => f.write_str("device closed"),
            DeviceError::FrameTooLong { len, max } => write!(
                f,
                "frame of {len} bytes is longer than the device's largest frame ({max} bytes)"
            ),
        }
    }
}

impl std::error::Error for DeviceError {}

impl From<io::Error> for DeviceError {
    fn from(e: io::Error) -> Self {
        DeviceError::Io(e.kind())
    }
}
