//! What every strata layer shares.
//!
//! - [`checksum`]: the RFC 1071 Internet checksum, fast, with RFC 1624
//!   incremental update and the TCP/UDP pseudo-header sum;
//! - [`time`]: [`Instant`](time::Instant) and [`Duration`](time::Duration)
//!   in microseconds, so state machines run under a real or simulated clock;
//! - [`buffer`]: [`PacketBuf`](buffer::PacketBuf), a window over caller
//!   storage with headroom, so each layer prepends its header without a copy;
//! - [`error`]: the conventions the layer crates' error types follow.
//! - [`rand`]: [`RandomSource`](rand::RandomSource), randomness the caller
//!   supplies, and a seeded generator for deterministic tests.
//!
//! ```
//! use strata_core::{buffer::PacketBuf, checksum::checksum};
//!
//! let mut storage = [0u8; 64];
//! let mut pkt = PacketBuf::new(&mut storage[..], 20)?;
//! pkt.append(4)?.copy_from_slice(b"ping");
//! // A lower layer claims room for its header and checksums the whole thing.
//! pkt.prepend(2)?.fill(0);
//! let c = checksum(pkt.as_slice());
//! pkt.as_mut_slice()[..2].copy_from_slice(&c.to_be_bytes());
//! assert_eq!(checksum(pkt.as_slice()), 0);
//! # Ok::<(), strata_core::error::BufferTooSmall>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(feature = "std", test))]
extern crate std;

pub mod buffer;
pub mod checksum;
pub mod error;
pub mod rand;
pub mod time;

pub use core::net::Ipv4Addr;
