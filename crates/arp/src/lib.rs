//! ARP (RFC 826) for IPv4 over Ethernet: a zero-copy packet view, and a
//! plain [`Repr`] with builders for requests, replies, RFC 5227 probes and
//! announcements.
//!
//! The [`cache`] module holds the other half of ARP: [`cache::ArpCache`],
//! the sans-IO neighbour cache a host runs (resolution with per-neighbour
//! retries, bounded queues of waiting datagrams, expiry and refresh,
//! answers and RFC 5227 announcements for our own addresses, conflict and
//! unreachability events). It needs `alloc`; with the default `std` feature
//! its table is a hash map, without it a B-tree.
//!
//! Only the Ethernet/IPv4 format is parsed (hardware type 1, or 6 as Linux
//! also accepts; protocol type `0x0800`; address lengths 6 and 4). Anything
//! else is a [`ParseError`] that names the offending field and its value;
//! see [`Packet`] for why.
//!
//! # Panics
//! Nothing in this crate panics, on any input.
//!
//! # Example
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_arp::{Packet, Repr};
//! use strata_core::buffer::PacketBuf;
//! use strata_ethernet::{EtherType, Frame, MacAddress};
//!
//! // A request from a Linux host, as captured on a veth by tcpdump.
//! let frame = [
//!     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87, 0x08, 0x06,
//!     0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87,
//!     0xc6, 0x12, 0x3c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x3c, 0x02,
//! ];
//! let eth = Frame::parse(&frame[..])?;
//! assert_eq!(eth.ethertype(), EtherType::ARP);
//! let request = Repr::parse(&Packet::parse(eth.payload())?)?;
//! assert_eq!(request.to_string(), "who-has 198.18.60.2 tell 198.18.60.1");
//!
//! // We own 198.18.60.2: answer, building the frame bottom-up in place.
//! let ours: MacAddress = "7e:c6:81:95:17:dc".parse()?;
//! let reply = Repr::reply_to(&request, ours);
//! let mut storage = [0u8; 42];
//! let mut pkt = PacketBuf::new(&mut storage[..], 42)?;
//! reply.prepend(&mut pkt)?;
//! strata_ethernet::Repr::new(ours, request.sender_mac, EtherType::ARP).prepend(&mut pkt)?;
//! let sent = Frame::parse(pkt.as_slice())?;
//! let answer = Packet::parse(sent.payload())?;
//! assert_eq!(answer.target_ip(), Ipv4Addr::new(198, 18, 60, 1));
//! assert_eq!(answer.sender_mac(), ours);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod cache;
mod error;
mod fields;
mod packet;
mod repr;

pub use error::{EmitError, ParseError};
pub use fields::{HardwareType, Operation};
pub use packet::Packet;
pub use repr::Repr;
pub use strata_ethernet::MacAddress;

/// Length of an Ethernet/IPv4 ARP packet: 8 fixed bytes plus two 6-byte
/// hardware and two 4-byte protocol addresses.
pub const PACKET_LEN: usize = 28;

#[cfg(test)]
mod tests;
