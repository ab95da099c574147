//! Dissection of one captured frame into a layer-by-layer tree of named
//! fields, in the manner of a packet analyser.
//!
//! [`dissect`] walks a frame down the stack (Ethernet with 802.1Q/802.1ad
//! tags → ARP or IPv4 → ICMPv4, UDP or TCP → DNS on port 53) using the
//! strata wire crates' views, and records every header field under the
//! name Wireshark's display filters use (`ip.ttl`, `tcp.options.mss_val`,
//! `dns.qry.name`, …). The result, a [`Dissection`], renders as a readable
//! tree ([`Dissection::write_tree`]) or as one JSON object
//! ([`Dissection::to_json`]).
//!
//! What the decoder does with the unexpected:
//!
//! - A layer that fails to parse stops the dissection there: the layers
//!   below it are kept and [`Dissection::error`] names the failing layer and
//!   the reason, as the layer crate's `ParseError` puts it.
//! - An EtherType or IP protocol strata has no dissector for, and the
//!   payload of a non-first IPv4 fragment (there is no reassembly here), is
//!   shown as a `data` layer, not as an error.
//! - A wrong checksum is a field value (`ip.checksum.status` = `"Bad"`), not
//!   an error: the packet is still well formed.
//! - An ICMP error message's quoted datagram is dissected too (IPv4 header
//!   and the UDP or TCP header, as far as it is quoted: the 8 bytes RFC 792
//!   guarantees give the ports, and TCP's sequence number), so fields such
//!   as `ip.src` then occur twice, as in Wireshark. A transport header cut
//!   short by a quote, a fragment or a snapshot length shows what is there;
//!   checksums over bytes that are missing are unverified.
//! - DNS is read over UDP and TCP port 53, in either direction, when the
//!   datagram or segment is all there; over TCP, each segment is read on
//!   its own (several length-prefixed messages are several `dns` layers,
//!   and a message that continues in a later segment is marked on the TCP
//!   layer as a segment of a reassembled PDU: there is no stream
//!   reassembly). Names, counts and text are shown exactly as Wireshark
//!   shows them, quirks included (`<Root>`, its escapes, its label count).
//! - Where Wireshark guesses, strata guesses the same way, so that the
//!   fields agree: a ping timestamp at the start of ICMP echo data
//!   (`icmp.data_time`, judged against the capture time, so only for
//!   frames from a capture), and the data of a RST shown as text
//!   (`tcp.reset_cause`, RFC 1122 §4.2.2.12) rather than as payload.
//!
//! ```
//! use strata::decode::dissect;
//!
//! // An ICMP echo request to 198.18.0.2, as Linux put it on a veth.
//! let frame = [
//!     0x02, 0x00, 0x5e, 0x12, 0x00, 0x02, 0x02, 0x00, 0x5e, 0x12, 0x00, 0x01, 0x08, 0x00,
//!     0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01, 0x9c, 0x85,
//!     0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02,
//!     0x08, 0x00, 0xf7, 0xfd, 0x00, 0x01, 0x00, 0x01,
//! ];
//! let d = dissect(&frame);
//! assert!(d.error.is_none());
//! let names: Vec<_> = d.protocols.iter().map(|p| p.abbrev).collect();
//! assert_eq!(names, ["eth", "ip", "icmp"]);
//! let json = d.to_json();
//! assert_eq!(json["ip.src"], "198.18.0.1");
//! assert_eq!(json["ip.checksum.status"], "Good");
//! assert_eq!(json["icmp.seq"], 1);
//! ```

mod dns;
mod json;
mod layers;
mod tree;
mod util;

use core::fmt;
use std::time::Duration;

use strata_core::error::{Layer, LayerError};

pub use util::{format_hex, format_utc};

/// The value of one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number: ports, lengths, identifiers, checksums, type codes.
    Uint(u64),
    /// A single-bit flag.
    Bool(bool),
    /// Text, where Wireshark prints text: addresses, times, checksum status.
    Text(String),
    /// Raw bytes (payloads); JSON shows them as lowercase hex without
    /// separators, as tshark does.
    Bytes(Vec<u8>),
    /// A line of the tree that carries no value of its own (a heading, a
    /// note); never part of the JSON.
    None,
}

/// One line of a protocol's tree, with the field it shows, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The Wireshark display-filter name (`ip.ttl`), the key in JSON.
    /// `None` for lines that only the tree shows.
    pub name: Option<&'static str>,
    /// The value the JSON carries.
    pub value: Value,
    /// The line as the tree prints it (`Time to Live: 64`).
    pub text: String,
    /// Lines shown indented under this one: flag bits, option details, a
    /// quoted datagram's headers.
    pub children: Vec<Field>,
}

impl Field {
    /// A field with a name, a value and the tree line that shows it.
    #[must_use]
    pub fn new(name: &'static str, value: Value, text: impl Into<String>) -> Self {
        Self {
            name: Some(name),
            value,
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// A numeric field shown as `Label: value`.
    #[must_use]
    pub fn uint(name: &'static str, label: &str, value: impl Into<u64>) -> Self {
        let value = value.into();
        Self::new(name, Value::Uint(value), format!("{label}: {value}"))
    }

    /// A text field shown as `Label: value`.
    #[must_use]
    pub fn text(name: &'static str, label: &str, value: impl fmt::Display) -> Self {
        let value = value.to_string();
        let text = format!("{label}: {value}");
        Self::new(name, Value::Text(value), text)
    }

    /// A tree-only line: no name, no value.
    #[must_use]
    pub fn note(text: impl Into<String>) -> Self {
        Self {
            name: None,
            value: Value::None,
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// The same field with `children` shown under it.
    #[must_use]
    pub fn with_children(mut self, children: Vec<Field>) -> Self {
        self.children = children;
        self
    }
}

/// One protocol layer of a frame: its heading and its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Protocol {
    /// Wireshark's abbreviation of the protocol: `frame`, `eth`,
    /// `ieee8021ad` (a QinQ service tag), `vlan`, `arp`, `ip`, `icmp`, `udp`,
    /// `tcp`, `dns`, or `data` for bytes no strata layer dissects.
    pub abbrev: &'static str,
    /// The heading line (`Internet Protocol Version 4, Src: …, Dst: …`).
    pub summary: String,
    /// The fields, in wire order.
    pub fields: Vec<Field>,
}

/// Why dissection stopped at some layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DissectError {
    /// The layer whose parser refused the bytes.
    pub layer: Layer,
    /// The parser's explanation (its error's `Display`).
    pub reason: String,
}

impl DissectError {
    /// The error a layer crate reported.
    #[must_use]
    pub fn from_layer<E: LayerError>(error: E) -> Self {
        Self {
            layer: error.layer(),
            reason: error.to_string(),
        }
    }
}

impl fmt::Display for DissectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.layer, self.reason)
    }
}

impl std::error::Error for DissectError {}

/// The dissection of one frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dissection {
    /// The layers that parsed, outermost first.
    pub protocols: Vec<Protocol>,
    /// Set when a layer failed to parse; the layers before it are in
    /// `protocols`.
    pub error: Option<DissectError>,
}

/// What a capture file says about a frame besides its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMeta {
    /// Position in the capture, from 1.
    pub number: u64,
    /// Capture time since the Unix epoch.
    pub timestamp: Duration,
    /// Length of the frame on the wire; more than the captured bytes when
    /// the capture was cut short by a snapshot length.
    pub orig_len: u32,
    /// The capture's link type (LINKTYPE_* number); only Ethernet (1) is
    /// dissected further.
    pub link_type: u32,
}

/// LINKTYPE_ETHERNET, the only link type strata dissects.
pub const LINKTYPE_ETHERNET: u32 = 1;

/// Dissects an Ethernet frame (without FCS), with no capture metadata.
#[must_use]
pub fn dissect(frame: &[u8]) -> Dissection {
    let mut d = Dissection::default();
    layers::ethernet(&mut d, frame, layers::Capture::default());
    d
}

/// Dissects a frame read from a capture: a `frame` layer with the capture
/// metadata, then the frame's own layers.
///
/// When the capture kept fewer bytes than the frame had (a snapshot
/// length), IPv4 is read leniently, as an ICMP quote is: its total length
/// may exceed the captured bytes, checksums over the missing bytes are
/// unverified, and a transport header the cut left incomplete is data.
#[must_use]
pub fn dissect_frame(meta: &FrameMeta, data: &[u8]) -> Dissection {
    let mut d = Dissection::default();
    d.protocols.push(layers::frame(meta, data));
    if meta.link_type == LINKTYPE_ETHERNET {
        let cap = layers::Capture {
            snapped: data.len() < meta.orig_len as usize,
            time: Some(meta.timestamp),
        };
        layers::ethernet(&mut d, data, cap);
    } else {
        layers::data(
            &mut d,
            data,
            Some(format!(
                "[Link type {} is not dissected by strata]",
                meta.link_type
            )),
        );
    }
    d
}

impl Dissection {
    /// Records the error of the layer that failed.
    fn fail<E: LayerError>(&mut self, error: E) {
        self.error = Some(DissectError::from_layer(error));
    }
}
