//! Ethernet II framing for strata: MAC addresses, EtherTypes, IEEE 802.1Q
//! and 802.1ad VLAN tags, a zero-copy frame view and a header builder.
//!
//! - [`Frame`] validates a buffer once in [`Frame::parse`]; its accessors
//!   then read fields in place and cannot fail or panic.
//! - [`Repr`] is the header as plain values. [`Repr::emit`] writes it into
//!   a buffer that already holds the payload after `header_len()` bytes;
//!   [`Repr::prepend`] writes it into the headroom of a
//!   [`PacketBuf`](strata_core::buffer::PacketBuf), so a frame is built
//!   bottom-up without moving the payload.
//! - [`MacAddress`] and [`EtherType`] are small `Copy` values;
//!   `EtherType` is an open set so unknown protocols round-trip.
//!
//! No frame check sequence is read or written: Linux packet sockets and TAP
//! devices deliver and accept frames without it.
//!
//! # Panics
//! Nothing in this crate panics, on any input: parsing checks every length
//! once, and accessors fall back to zeros if a buffer type were to report a
//! shorter slice after parsing than during it.
//!
//! # Example
//!
//! ```
//! use strata_core::buffer::PacketBuf;
//! use strata_ethernet::{EtherType, Frame, MacAddress, Repr};
//!
//! // The start of an ICMP echo request between two Linux network namespaces.
//! let captured = [
//!     0x7e, 0xc6, 0x81, 0x95, 0x17, 0xdc, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87, 0x08, 0x00,
//!     0x45, 0x00, 0x00, 0x54, 0xea, 0xbf, 0x40, 0x00, 0x40, 0x01, 0x4b, 0xc1,
//! ];
//! let frame = Frame::parse(&captured[..])?;
//! assert_eq!(frame.dst().to_string(), "7e:c6:81:95:17:dc");
//! assert_eq!(frame.ethertype(), EtherType::IPV4);
//! assert_eq!(frame.payload()[0], 0x45);
//!
//! // Answer it: swap the addresses and prepend the header to a payload.
//! let repr = Repr::parse(&frame)?;
//! let reply = Repr::new(repr.dst, repr.src, EtherType::IPV4);
//! let mut storage = [0u8; 64];
//! let mut pkt = PacketBuf::new(&mut storage[..], 14)?;
//! pkt.append(4)?.copy_from_slice(&[0x45, 0x00, 0x00, 0x54]);
//! reply.prepend(&mut pkt)?;
//! let built = Frame::parse(pkt.as_slice())?;
//! assert_eq!(built.src(), "7e:c6:81:95:17:dc".parse::<MacAddress>()?);
//! assert_eq!(built.payload(), &[0x45, 0x00, 0x00, 0x54]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod error;
mod ethertype;
mod frame;
mod mac;
mod repr;
mod vlan;

pub use error::{EmitError, ParseError};
pub use ethertype::EtherType;
pub use frame::Frame;
pub use mac::{MacAddress, ParseMacError};
pub use repr::Repr;
pub use vlan::VlanTag;

/// Length of an untagged Ethernet II header: two addresses and a type.
pub const HEADER_LEN: usize = 14;

/// Length each VLAN tag adds: TPID and TCI.
pub const VLAN_TAG_LEN: usize = 4;

/// Shortest frame on the wire without FCS (64 bytes minus the 4-byte FCS).
/// Hardware pads shorter frames; a device writing to real media without
/// that help must pad to this length itself.
pub const MIN_FRAME_LEN: usize = 60;

/// Default maximum payload of an untagged frame (the Ethernet MTU).
pub const MTU: usize = 1500;

#[cfg(test)]
mod tests;
