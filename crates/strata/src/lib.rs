//! strata's integration crate and the library behind the `strata` command.
//!
//! strata is a userspace TCP/IP stack built as one crate per layer
//! (`strata-ethernet`, `strata-arp`, `strata-ipv4`, `strata-udp`,
//! `strata-tcp`, `strata-dns`, and the socket table `strata-socket`). This
//! crate puts them together into a host and a command line:
//!
//! - [`iface`]: the [`Interface`](iface::Interface), a host: MAC and IPv4
//!   configuration, routes, the ARP cache, fragment reassembly, ICMP and the
//!   socket table, driven by `poll(now, device)` and `poll_at()`;
//! - [`device`]: the [`Device`](device::Device) trait the host sends and
//!   receives Ethernet frames through, and the devices: an in-memory pair,
//!   a pcap writer and a fault injector that wrap any device, and a Linux
//!   TAP interface;
//! - [`net`]: blocking sockets shaped like `std::net` (`TcpStream`,
//!   `TcpListener`, `UdpSocket`) over hosts driven by a simulated clock
//!   ([`net::SimNet`]) or the real one ([`net::RealtimeNet`]);
//! - [`demo`]: `strata demo`, two hosts on an in-memory link telling the
//!   story of a name lookup, a TCP connection, an HTTP exchange and a close;
//! - [`cmd`]: `strata ping`, `resolve`, `fetch` and `serve` over a TAP
//!   device;
//! - [`decode`]: dissection of a captured frame, layer by layer, into named
//!   fields (Wireshark's display-filter names), printed as a tree or as
//!   JSON: what `strata decode` shows;
//! - [`capture`]: reading pcap and pcapng files frame by frame.
//!
//! The [`net`] module documentation shows two hosts talking TCP through
//! blocking sockets; the example below takes one frame apart.
//!
//! # Example
//!
//! ```
//! use strata::decode::dissect;
//!
//! // An ARP request from 198.18.0.1 for 198.18.0.2, as captured on a veth.
//! let frame = [
//!     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01, 0x08, 0x06,
//!     0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01,
//!     0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
//! ];
//! let dissection = dissect(&frame);
//! assert!(dissection.error.is_none());
//!
//! let json = dissection.to_json();
//! assert_eq!(json["eth.dst"], "ff:ff:ff:ff:ff:ff");
//! assert_eq!(json["arp.opcode"], 1);
//! assert_eq!(json["arp.dst.proto_ipv4"], "198.18.0.2");
//!
//! let tree = dissection.tree();
//! assert!(tree.starts_with("Ethernet II, Src: 02:00:5e:12:00:01, Dst: ff:ff:ff:ff:ff:ff\n"));
//! assert!(tree.contains("\nAddress Resolution Protocol (request)\n"));
//! assert!(tree.contains("    Target IP address: 198.18.0.2\n"));
//!
//! // Cut the frame inside the ARP packet: Ethernet still dissects, and the
//! // error names the layer that failed.
//! let cut = dissect(&frame[..30]);
//! assert_eq!(cut.protocols.len(), 1);
//! let error = cut.error.expect("ARP is cut short");
//! assert_eq!(error.layer.name(), "arp");
//! ```
// `deny`, not `forbid`: the TAP device (`device::tap`, Linux) needs ioctl(2)
// and poll(2), and is the one module that allows `unsafe`.
#![deny(unsafe_code)]

pub mod capture;
pub mod cmd;
pub mod decode;
pub mod demo;
pub mod device;
pub mod iface;
pub mod net;

/// The JSON library whose [`Value`](serde_json::Value)
/// [`Dissection::to_json`](decode::Dissection::to_json) returns, re-exported
/// so callers use the same version.
pub use serde_json;
