//! UDP (RFC 768) for strata: a zero-copy [`Datagram`] view and an owned
//! [`Repr`] that writes the header and the IPv4 pseudo-header checksum.
//!
//! [`Datagram::parse`] checks the header and the length field once, so every
//! accessor afterwards is a plain read. Checksums are verified only when
//! asked ([`Datagram::verify_checksum`], [`Datagram::parse_verified`]),
//! because the caller knows whether the NIC already did it. A zero checksum
//! means the sender computed none, which is valid over IPv4.
//! [`Datagram::parse_quoted`] reads the start of a datagram an ICMP error
//! quotes, whose length field describes more bytes than were quoted.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_core::buffer::PacketBuf;
//! use strata_udp::{Datagram, Repr};
//!
//! let src = Ipv4Addr::new(198, 18, 6, 1);
//! let dst = Ipv4Addr::new(198, 18, 6, 2);
//! // "hello" from port 40000 to 5353, as Linux sent it.
//! let bytes = [
//!     0x9c, 0x40, 0x14, 0xe9, 0x00, 0x0d, 0x72, 0xb0, b'h', b'e', b'l', b'l', b'o',
//! ];
//! let datagram = Datagram::parse_verified(&bytes[..], src, dst)?;
//! assert_eq!((datagram.src_port(), datagram.dst_port()), (40000, 5353));
//! assert_eq!(datagram.payload(), b"hello");
//!
//! // Build the same datagram: payload first, header prepended in front.
//! let repr = Repr::parse(&datagram)?;
//! let mut storage = [0u8; 64];
//! let mut pkt = PacketBuf::new(&mut storage[..], 20)?;
//! pkt.append(5)?.copy_from_slice(b"hello");
//! repr.prepend(&mut pkt, src, dst)?;
//! assert_eq!(pkt.as_slice(), &bytes[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

#[cfg(test)]
extern crate std;

mod datagram;
mod error;
mod repr;
#[cfg(test)]
mod tests;

pub use datagram::Datagram;
pub use error::{EmitError, ParseError};
pub use repr::{MAX_PAYLOAD_LEN, Repr};

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// IP protocol number of UDP, as the pseudo-header carries it.
pub const PROTOCOL: u8 = 17;
