//! TCP (RFC 9293) for strata.
//!
//! The wire format ([`wire`], re-exported here) is a
//! zero-copy [`Segment`] view, an owned [`Repr`] that writes header, options
//! and checksum, the control [`Flags`], and options (MSS, window scale and
//! timestamps of RFC 7323, SACK of RFC 2018, unknown kinds kept as bytes).
//!
//! [`Segment::parse`] validates the header and every option once, so
//! accessors and the [`Segment::options`] iterator cannot fail; the options
//! are collected into an owned [`Options`] only when asked. Checksums are
//! verified only when asked, in one pass over pseudo-header and segment.
//!
//! [`connection`] is the RFC 9293 state machine, sans-IO: a [`Connection`]
//! takes segments and the time, hands out segments to send, and moves
//! application bytes through its send and receive buffers, with
//! retransmission, SACK loss recovery and congestion control
//! ([`congestion`]) inside; its module documentation has an example.
//! [`listener`] is the passive side: a [`Listener`] with a SYN queue and an
//! accept queue that hands out one [`Connection`] per completed handshake,
//! answering with SYN cookies ([`cookie`]) when the SYN queue is full.
//! Initial sequence numbers follow RFC 6528 ([`isn`]).
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_core::buffer::PacketBuf;
//! use strata_tcp::{Flags, Repr, Segment, TcpOption, Timestamps};
//!
//! let client = Ipv4Addr::new(198, 18, 6, 1);
//! let server = Ipv4Addr::new(198, 18, 6, 2);
//! // A SYN as Linux sent it: MSS, SACK-permitted, timestamps, NOP, window scale.
//! let syn = [
//!     0xa0, 0x28, 0x1f, 0x90, 0x14, 0xd3, 0x1a, 0x67, 0x00, 0x00, 0x00, 0x00,
//!     0xa0, 0x02, 0xfa, 0xf0, 0xfe, 0x59, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
//!     0x04, 0x02, 0x08, 0x0a, 0xf1, 0x84, 0xd6, 0x12, 0x00, 0x00, 0x00, 0x00,
//!     0x01, 0x03, 0x03, 0x0a,
//! ];
//! let segment = Segment::parse_verified(&syn[..], client, server)?;
//! assert_eq!((segment.src_port(), segment.dst_port()), (41000, 8080));
//! assert_eq!(segment.flags(), Flags::SYN);
//! assert_eq!(segment.flags().to_string(), "[SYN]");
//! assert_eq!(segment.options().next(), Some(TcpOption::Mss(1460)));
//! let repr = Repr::parse(&segment)?;
//! assert_eq!(repr.options.window_scale, Some(10));
//!
//! // The server's answer: payload (none) first, header prepended in front.
//! let mut answer = Repr {
//!     src_port: 8080,
//!     dst_port: 41000,
//!     seq: 439_278_957,
//!     ack: segment.seq().wrapping_add(1),
//!     flags: Flags::SYN | Flags::ACK,
//!     window: 65160,
//!     ..repr
//! };
//! answer.options.timestamps = Some(Timestamps { tsval: 2_131_687_906, tsecr: 4_052_014_610 });
//! let mut storage = [0u8; 128];
//! let mut pkt = PacketBuf::new(&mut storage[..], 64)?;
//! answer.prepend(&mut pkt, server, client)?;
//! let reply = Segment::parse_verified(pkt.as_slice(), server, client)?;
//! assert_eq!(reply.flags().to_string(), "[SYN, ACK]");
//! assert_eq!(Repr::parse(&reply)?, answer);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

// The derived `Arbitrary` impls need std, as does the test harness.
#[cfg(any(test, feature = "arbitrary"))]
extern crate std;

// The connection's buffers and range lists, allocated once per connection.
extern crate alloc;

pub mod congestion;
pub mod connection;
pub mod cookie;
pub mod isn;
pub mod listener;
pub mod wire;

pub use connection::{Config, Connection, Error, Event, State, Stats, Transmit};
pub use listener::{Listener, ListenerConfig};
pub use wire::{
    EmitError, Flags, HEADER_LEN, MAX_HEADER_LEN, MAX_OPTIONS_LEN, OptionKind, Options,
    OptionsIter, PROTOCOL, ParseError, Repr, SackBlocks, Segment, TcpOption, Timestamps,
    UnknownOptions,
};
