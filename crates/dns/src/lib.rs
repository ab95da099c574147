//! DNS for strata: a zero-copy message codec ([`wire`]), a sans-IO stub
//! resolver ([`resolver`]) and a small sans-IO authoritative server
//! ([`server`]).
//!
//! The codec parses a message once, validating every name, pointer and
//! length, and then hands out borrowed questions and records; the builder
//! writes into the caller's buffer and compresses names. Neither allocates.
//!
//! The server side is a [`server::Zone`] (records built in code or read
//! from a small master-file subset) and a [`server::Responder`] that
//! answers queries from it: authoritative answers, CNAME chains inside the
//! zone, NXDOMAIN and NODATA with the SOA, REFUSED outside the zone,
//! EDNS(0), and TC when an answer outgrows UDP, with TCP framing helpers.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_dns::wire::{Builder, Class, Flags, Message, NameBuf, RData, RecordType};
//!
//! // Build a query for www.example.com/A into a stack buffer.
//! let qname: NameBuf = "www.example.com".parse()?;
//! let mut buf = [0u8; 512];
//! let mut query = Builder::new(&mut buf, 0x6a34, Flags::QUERY)?;
//! query.question(qname.as_name(), RecordType::A, Class::IN)?;
//! let query = query.finish();
//! assert_eq!(query.len(), 12 + 17 + 4);
//!
//! // The answer dnsmasq sent back (captured on a veth pair, see
//! // tests/data/make-captures.sh): the question echoed, an A record whose
//! // owner name is a compression pointer (0xc00c) to the question's name,
//! // an NS record in the authority section, and an OPT record.
//! let response = [
//!     0x6a, 0x34, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, // header
//!     0x03, b'w', b'w', b'w', 0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
//!     0x03, b'c', b'o', b'm', 0x00, 0x00, 0x01, 0x00, 0x01, // question
//!     0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x04,
//!     198, 18, 0, 10, // answer: A, TTL 600
//!     0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0x03, b'c', b'o', b'm', 0x00,
//!     0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x02, 0x58, 0x00, 0x11,
//!     0x03, b'n', b's', b'1', 0x07, b'e', b'x', b'a', b'm', b'p', b'l', b'e',
//!     0x03, b'c', b'o', b'm', 0x00, // authority: NS
//!     0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // OPT, 1232
//! ];
//! let msg = Message::parse(&response[..])?;
//! assert!(msg.is_response() && msg.flags().authoritative());
//! assert_eq!(msg.id(), 0x6a34);
//! let question = msg.question().ok_or("no question")?;
//! assert_eq!(question.name(), qname);
//! let answer = msg.answers().next().ok_or("no answer")?;
//! assert_eq!(answer.name().to_string(), "www.example.com");
//! assert_eq!((answer.ttl(), answer.data()), (600, RData::A(Ipv4Addr::new(198, 18, 0, 10))));
//! let ns = msg.authorities().next().ok_or("no authority")?;
//! assert!(matches!(ns.data(), RData::Ns(host) if host == "ns1.example.com"));
//! assert_eq!(msg.edns().map(|e| e.udp_payload_size), Some(1232));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod resolver;
pub mod server;
pub mod wire;
