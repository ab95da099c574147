//! The socket table and the socket API of strata, sans-IO.
//!
//! [`Sockets`] holds every socket's control block (own address and port,
//! descriptor, peer, protocol state, buffers) and offers the BSD calls on
//! descriptors: [`socket`](Sockets::socket), [`bind`](Sockets::bind),
//! [`listen`](Sockets::listen), [`accept`](Sockets::accept) (a new
//! descriptor per connection), non-blocking [`connect`](Sockets::connect),
//! [`send`](Sockets::send)/[`recv`](Sockets::recv),
//! [`send_to`](Sockets::send_to)/[`recv_from`](Sockets::recv_from),
//! [`shutdown`](Sockets::shutdown), [`close`](Sockets::close), options,
//! [`readiness`](Sockets::readiness) and [`take_error`](Sockets::take_error)
//! for poll loops, and name resolution ([`resolve`](Sockets::resolve)).
//! Errors are the BSD ones ([`Error::errno_name`]).
//!
//! Like the state machines underneath (`strata_tcp`'s `Connection` and
//! `Listener`, `strata_dns`'s `Resolver`) it never reads a clock or touches
//! a device: the host hands it parsed segments and datagrams
//! ([`handle_tcp`](Sockets::handle_tcp), [`handle_udp`](Sockets::handle_udp),
//! [`handle_icmp_error`](Sockets::handle_icmp_error)), takes what to send
//! from [`poll_transmit`](Sockets::poll_transmit), and runs
//! [`handle_timeout`](Sockets::handle_timeout) when
//! [`poll_at`](Sockets::poll_at) says.
//!
//! # Cost
//!
//! Demultiplexing is a hash lookup on the 4-tuple, then on the listening
//! (address, port), then on (0.0.0.0, port). `poll_transmit` visits only
//! sockets queued as possibly having output (after input, a timer or an
//! application call), and `handle_timeout` only sockets whose deadline came,
//! from a binary heap keyed by each state machine's `poll_timeout` (stale
//! entries are dropped when they surface). So a segment in and its ACK out
//! cost the same with one socket or ten thousand
//! ([`Stats::sockets_visited`] counts the work).
//!
//! # Live settings
//!
//! `TCP_NODELAY`, keepalive and the buffer sizes change on a live
//! connection at once (keepalive restarts its timer from
//! [`Sockets::last_now`], or from the time given to
//! [`Sockets::set_option_at`]); the settings a listener gives the
//! connections it accepts are fixed once it listens. "Fragmentation needed" lowers the send MSS of
//! the connection it concerns and of later connections to that
//! destination ([`Sockets::path_mtu`]). Two UDP sockets never share an
//! exact (address, port), even with `SO_REUSEADDR`.
//!
//! # Example
//!
//! Two tables, a client and a server, with the segments carried between
//! them by hand.
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddrV4};
//! use strata_core::{rand::SplitMix64, time::Instant};
//! use strata_ipv4::Protocol;
//! use strata_socket::{Error, SocketKind, Sockets, SocketsConfig};
//! use strata_tcp::Segment;
//!
//! let (a_ip, b_ip) = (Ipv4Addr::new(198, 18, 0, 1), Ipv4Addr::new(198, 18, 0, 2));
//! let mut a = Sockets::new(SocketsConfig::default(), Box::new(SplitMix64::new(1)));
//! let mut b = Sockets::new(SocketsConfig::default(), Box::new(SplitMix64::new(2)));
//! a.set_addresses(&[a_ip]);
//! b.set_addresses(&[b_ip]);
//! let now = Instant::ZERO;
//!
//! // Server: socket, bind, listen.
//! let server = b.socket(SocketKind::Stream)?;
//! b.bind(server, SocketAddrV4::new(b_ip, 80))?;
//! b.listen(server, 16)?;
//! // Client: a non-blocking connect.
//! let client = a.socket(SocketKind::Stream)?;
//! assert_eq!(a.connect(now, client, SocketAddrV4::new(b_ip, 80)), Err(Error::InProgress));
//!
//! // Moves every segment `from` wants sent to `to`; says whether any moved.
//! fn carry_one(from: &mut Sockets, to: &mut Sockets, now: Instant) -> bool {
//!     let mut buf = [0u8; 1500];
//!     let mut moved = false;
//!     while let Some(t) = from.poll_transmit(now, &mut buf) {
//!         assert_eq!(t.protocol, Protocol::TCP);
//!         let segment = Segment::parse_verified(&buf[..t.len], t.src, t.dst).expect("valid");
//!         to.handle_tcp(now, t.src, t.dst, &segment);
//!         moved = true;
//!     }
//!     moved
//! }
//! let carry = |a: &mut Sockets, b: &mut Sockets| -> Result<(), Error> {
//!     while carry_one(a, b, now) | carry_one(b, a, now) {}
//!     Ok(())
//! };
//! carry(&mut a, &mut b)?;
//! assert!(a.readiness(client)?.writable);
//!
//! // The listening socket hands out a new descriptor for the connection.
//! let (conn, peer) = b.accept(server)?;
//! assert_ne!(conn, server);
//! assert_eq!(peer, a.local_addr(client)?);
//! a.send(now, client, b"hello")?;
//! carry(&mut a, &mut b)?;
//! let mut got = [0u8; 16];
//! let n = b.recv(conn, &mut got)?;
//! assert_eq!(&got[..n], b"hello");
//!
//! // Close both ends; the FIN exchange runs on.
//! a.close(now, client)?;
//! carry(&mut a, &mut b)?;
//! assert_eq!(b.recv(conn, &mut got), Ok(0)); // end of stream
//! b.close(now, conn)?;
//! carry(&mut a, &mut b)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod api;
mod config;
mod dns;
mod error;
mod net;
mod ports;
mod table;
mod types;

pub use api::MAX_UDP_PAYLOAD;
pub use config::SocketsConfig;
pub use error::Error;
pub use table::Sockets;
pub use types::{
    Fd, IcmpError, IcmpErrorKind, Lookup, Readiness, Shutdown, SocketInfo, SocketKind,
    SocketOption, SocketOptions, Stats, Transmit, TransmitPoll, UdpDelivery,
};

/// The resolver's types, for [`Sockets::resolve_records`] and
/// [`Sockets::poll_resolve_answer`].
pub use strata_dns::resolver::{Answer, LookupKind, ResolveError};
