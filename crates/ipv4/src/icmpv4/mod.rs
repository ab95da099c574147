//! ICMPv4 (RFC 792): the message view, typed decoding and the builder.
//!
//! [`Message`] is a zero-copy view over the IPv4 payload; [`Repr`] decodes
//! its header into echo, destination unreachable, time exceeded, or a raw
//! [`Repr::Other`] for every other type. Error messages quote the datagram
//! that caused them; [`Message::quoted_packet`] parses that quote as an IPv4
//! header so the original addresses, protocol and ports can be read.
//!
//! ```
//! use strata_ipv4::icmpv4::{Message, Repr, UnreachableCode};
//! use strata_ipv4::Protocol;
//!
//! // A port unreachable Linux sent for a UDP datagram to a closed port.
//! let bytes = [
//!     0x03, 0x03, 0x66, 0x9b, 0x00, 0x00, 0x00, 0x00, // ICMP header
//!     0x45, 0x00, 0x00, 0x22, 0x74, 0xfd, 0x40, 0x00, 0x40, 0x11, // quoted IPv4
//!     0x37, 0xa6, 0xc6, 0x12, 0x01, 0x01, 0xc6, 0x12, 0x01, 0x02,
//!     0x9d, 0x20, 0x27, 0x0f, 0x00, 0x0e, 0x8e, 0x47, // quoted UDP header
//!     0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, // quoted UDP payload
//! ];
//! let message = Message::parse_verified(&bytes[..])?;
//! assert_eq!(
//!     Repr::parse(&message)?,
//!     Repr::DestinationUnreachable { code: UnreachableCode::PORT, next_hop_mtu: 0 }
//! );
//! let original = message.quoted_packet()?;
//! assert_eq!(original.protocol(), Protocol::UDP);
//! let ports = &original.payload()[..4];
//! assert_eq!(u16::from_be_bytes([ports[2], ports[3]]), 9999);
//!
//! // Build an echo request around data already in place.
//! let mut buf = [0u8; 8 + 4];
//! buf[8..].copy_from_slice(b"ping");
//! Repr::EchoRequest { identifier: 7, sequence: 1 }.emit(&mut buf)?;
//! assert!(Message::parse(&buf[..])?.verify_checksum());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod message;
mod repr;
mod types;

pub use error::{EmitError, ParseError};
pub use message::{HEADER_LEN, Message};
pub use repr::Repr;
pub use types::{IcmpType, TimeExceededCode, UnreachableCode};
