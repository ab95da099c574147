//! IPv4 (RFC 791) and ICMPv4 (RFC 792) wire formats for strata.
//!
//! - [`Packet`]: a zero-copy view over a buffer holding an IPv4 packet,
//!   validated once by [`Packet::parse`] so its accessors cannot fail;
//!   checksum verification is explicit ([`Packet::verify_checksum`],
//!   [`Packet::parse_verified`]), and [`Packet::parse_quoted`] reads the
//!   truncated datagram an ICMP error quotes;
//! - [`options`]: the header options, parsed with nom into
//!   [`Ipv4Option`]s, and [`Options`], an owned allocation-free copy;
//! - [`Repr`]: the header as a plain value, built into a buffer with
//!   [`Repr::emit`] or in front of a payload with [`Repr::prepend`];
//! - [`icmpv4`]: the same for ICMP messages.
//!
//! The wire format allocates nothing, never panics and uses no `unsafe`.
//! Three host-side pieces sit on top of it and allocate (through `alloc`,
//! every collection bounded):
//! - [`route`]: [`Ipv4Cidr`](route::Ipv4Cidr) prefixes and a
//!   [`RoutingTable`](route::RoutingTable) with longest-prefix match in at
//!   most 32 trie steps;
//! - [`reassembly`]: a [`Reassembler`](reassembly::Reassembler) that
//!   rebuilds fragmented datagrams (RFC 791, RFC 815) within memory caps and
//!   a timeout, dropping datagrams whose overlapping fragments disagree;
//! - [`fragment`](mod@fragment): splitting a datagram for an MTU without
//!   copying it.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_core::buffer::PacketBuf;
//! use strata_ipv4::{Ecn, Packet, Protocol, Repr};
//!
//! // An echo request Linux sent with `ping -Q 0xb9 -s 8`.
//! let bytes = [
//!     0x45, 0xb9, 0x00, 0x24, 0xec, 0x99, 0x40, 0x00, 0x40, 0x01, 0xbf, 0x5e,
//!     0xc6, 0x12, 0x01, 0x01, 0xc6, 0x12, 0x01, 0x02, // IPv4 header
//!     0x08, 0x00, 0xc5, 0x07, 0x26, 0xe7, 0x00, 0x01, // ICMP header
//!     0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, // echo data
//! ];
//! let packet = Packet::parse_verified(&bytes[..])?;
//! assert_eq!(packet.src(), Ipv4Addr::new(198, 18, 1, 1));
//! assert_eq!(packet.protocol(), Protocol::ICMP);
//! assert_eq!((packet.dscp(), packet.ecn()), (46, Ecn::Ect1));
//! assert!(packet.dont_fragment());
//! assert_eq!(packet.payload().len(), 16);
//!
//! // The same header, rebuilt in front of the payload without copying it.
//! let repr = Repr::parse(&packet)?;
//! let mut storage = [0u8; 64];
//! let mut pkt = PacketBuf::new(&mut storage[..], 20)?;
//! pkt.append(16)?.copy_from_slice(packet.payload());
//! repr.prepend(&mut pkt)?;
//! assert_eq!(pkt.as_slice(), &bytes[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

// Tests, and the code the `arbitrary` derives generate, use std.
#[cfg(any(test, feature = "arbitrary"))]
extern crate std;

extern crate alloc;

mod error;
pub mod fragment;
mod header;
pub mod icmpv4;
pub mod options;
mod packet;
mod protocol;
pub mod reassembly;
mod repr;
pub mod route;

pub use error::{EmitError, ParseError};
pub use header::{HEADER_LEN, MAX_HEADER_LEN};
pub use options::{Ipv4Option, OptionError, Options};
pub use packet::Packet;
pub use protocol::{Ecn, Protocol};
pub use repr::Repr;
