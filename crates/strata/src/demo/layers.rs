//! The story of encapsulation for one frame: on the way down each layer
//! adds its header in front of what the layer above handed it; on the way
//! up each layer checks and strips its own header and hands the rest up.
//!
//! [`Encapsulation::of`] takes an Ethernet frame carrying IPv4 and TCP or
//! UDP, measures each header with the strata wire crates, and names the
//! header fields with [`crate::decode`] (the Wireshark names and texts that
//! `strata decode` prints), keeping a compact selection per layer.
//!
//! ```
//! use strata::demo::layers::Encapsulation;
//!
//! // A UDP datagram with 4 bytes of data, 198.18.0.1:5000 -> 198.18.0.2:53.
//! let frame: Vec<u8> = [
//!     &[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00][..],
//!     &[0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0xd3, 0x18, 198, 18, 0, 1, 198, 18, 0, 2],
//!     &[0x13, 0x88, 0, 53, 0, 12, 0, 0, b'p', b'i', b'n', b'g'],
//! ]
//! .concat();
//! let story = Encapsulation::of(&frame)?;
//! assert_eq!(story.payload, b"ping");
//! let names: Vec<_> = story.headers.iter().map(|h| (h.title, h.len)).collect();
//! assert_eq!(names, [("Ethernet", 14), ("IPv4", 20), ("UDP", 8)]);
//! let down = story.down();
//! assert!(down.contains("application data (4 bytes)"));
//! assert!(down.contains("UDP header added (8 bytes"));
//! assert!(story.up().contains("Ethernet header stripped (14 bytes"));
//! # Ok::<(), strata::demo::layers::LayersError>(())
//! ```

use std::fmt::{self, Write as _};

use strata_ethernet::{EtherType, Frame};
use strata_ipv4::{Packet, Protocol as IpProtocol};
use strata_tcp::Segment;
use strata_udp::Datagram;

use crate::decode::{self, Field};

/// Why a frame has no encapsulation story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayersError {
    /// The frame is not Ethernet/IPv4/TCP or UDP (an ARP frame, a
    /// fragment, another protocol).
    NotTransport,
    /// A layer did not parse; the decoder's explanation.
    Malformed(String),
}

impl fmt::Display for LayersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayersError::NotTransport => {
                f.write_str("the frame does not carry TCP or UDP over IPv4")
            }
            LayersError::Malformed(reason) => write!(f, "the frame does not parse: {reason}"),
        }
    }
}

impl std::error::Error for LayersError {}

/// One protocol header of the frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Wireshark's abbreviation (`eth`, `ip`, `tcp`, `udp`).
    pub abbrev: &'static str,
    /// The layer's name as the story says it (`Ethernet`, `IPv4`, `TCP`,
    /// `UDP`).
    pub title: &'static str,
    /// Header length in bytes (options included).
    pub len: usize,
    /// The header's fields, compactly: `Source Port: 49152` and so on.
    pub fields: Vec<String>,
}

/// A frame taken apart layer by layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encapsulation {
    /// The headers, outermost (Ethernet) first.
    pub headers: Vec<Header>,
    /// The application data the transport carried.
    pub payload: Vec<u8>,
    /// Bytes after the IPv4 packet: Ethernet padding up to 60 bytes.
    pub padding: usize,
}

/// The fields each layer shows, by Wireshark name.
const SHOWN: [(&str, &[&str]); 4] = [
    ("eth", &["eth.dst", "eth.src", "eth.type"]),
    (
        "ip",
        &[
            "ip.version",
            "ip.hdr_len",
            "ip.len",
            "ip.id",
            "ip.flags",
            "ip.ttl",
            "ip.proto",
            "ip.checksum",
            "ip.src",
            "ip.dst",
        ],
    ),
    (
        "tcp",
        &[
            "tcp.srcport",
            "tcp.dstport",
            "tcp.seq_raw",
            "tcp.ack_raw",
            "tcp.hdr_len",
            "tcp.flags",
            "tcp.window_size_value",
            "tcp.checksum",
        ],
    ),
    (
        "udp",
        &["udp.srcport", "udp.dstport", "udp.length", "udp.checksum"],
    ),
];

/// A field's tree text without a bit-pattern prefix (`0100 .... = `).
fn compact(field: &Field) -> String {
    let text = field.text.as_str();
    let bits = text
        .split_once(" = ")
        .filter(|(prefix, _)| prefix.chars().all(|c| matches!(c, '0' | '1' | '.' | ' ')));
    match bits {
        Some((_, rest)) => rest.to_string(),
        None => text.to_string(),
    }
}

fn fields_of(protocol: &decode::Protocol) -> Vec<String> {
    let wanted = SHOWN
        .iter()
        .find(|(abbrev, _)| *abbrev == protocol.abbrev)
        .map_or(&[][..], |(_, names)| *names);
    let mut out: Vec<String> = wanted
        .iter()
        .filter_map(|name| {
            protocol
                .fields
                .iter()
                .find(|f| f.name == Some(*name))
                .map(compact)
        })
        .collect();
    // TCP options are a heading line in the tree (`Options: (12 bytes), ...`).
    if let Some(options) = protocol
        .fields
        .iter()
        .find(|f| f.name.is_none() && f.text.starts_with("Options:"))
    {
        out.push(options.text.clone());
    }
    out
}

impl Encapsulation {
    /// Takes an Ethernet frame carrying IPv4 and TCP or UDP apart.
    ///
    /// # Errors
    /// [`LayersError::NotTransport`] for any other frame,
    /// [`LayersError::Malformed`] when a layer does not parse.
    pub fn of(frame: &[u8]) -> Result<Encapsulation, LayersError> {
        let malformed = |e: &dyn fmt::Display| LayersError::Malformed(e.to_string());
        let eth = Frame::parse(frame).map_err(|e| malformed(&e))?;
        if eth.ethertype() != EtherType::IPV4 || eth.vlan().is_some() {
            return Err(LayersError::NotTransport);
        }
        let ip = Packet::parse(eth.payload()).map_err(|e| malformed(&e))?;
        if ip.is_fragment() {
            return Err(LayersError::NotTransport);
        }
        let padding = eth.payload().len().saturating_sub(ip.packet_bytes().len());
        let (title, transport_len, payload) = match ip.protocol() {
            IpProtocol::TCP => {
                let tcp = Segment::parse(ip.payload()).map_err(|e| malformed(&e))?;
                ("TCP", tcp.header_len(), tcp.payload().to_vec())
            }
            IpProtocol::UDP => {
                let udp = Datagram::parse(ip.payload()).map_err(|e| malformed(&e))?;
                ("UDP", 8, udp.payload().to_vec())
            }
            _ => return Err(LayersError::NotTransport),
        };
        let dissection = decode::dissect(frame);
        if let Some(error) = &dissection.error {
            // DNS inside a transport payload may fail; the headers are fine.
            if matches!(error.layer.name(), "eth" | "ip" | "tcp" | "udp") {
                return Err(LayersError::Malformed(error.to_string()));
            }
        }
        let find = |abbrev: &str| {
            dissection
                .protocols
                .iter()
                .find(|p| p.abbrev == abbrev)
                .map(fields_of)
                .unwrap_or_default()
        };
        let transport_abbrev = if title == "TCP" { "tcp" } else { "udp" };
        let headers = vec![
            Header {
                abbrev: "eth",
                title: "Ethernet",
                len: eth.header_len(),
                fields: find("eth"),
            },
            Header {
                abbrev: "ip",
                title: "IPv4",
                len: ip.header_len(),
                fields: find("ip"),
            },
            Header {
                abbrev: transport_abbrev,
                title,
                len: transport_len,
                fields: find(transport_abbrev),
            },
        ];
        Ok(Encapsulation {
            headers,
            payload,
            padding,
        })
    }

    /// Length of the whole frame (headers, payload and padding).
    #[must_use]
    pub fn frame_len(&self) -> usize {
        self.headers.iter().map(|h| h.len).sum::<usize>() + self.payload.len() + self.padding
    }

    /// The way down, one step per layer: application data, then the
    /// transport, IPv4 and Ethernet headers added in turn, with the size of
    /// the unit each produces.
    #[must_use]
    pub fn down(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  application data ({} bytes): {}",
            self.payload.len(),
            preview(&self.payload)
        );
        let mut size = self.payload.len();
        for header in self.headers.iter().rev() {
            size += header.len;
            let unit = match header.abbrev {
                "tcp" => "segment",
                "udp" => "datagram",
                "ip" => "packet",
                _ => "frame",
            };
            let _ = writeln!(
                out,
                "  -> {} header added ({} bytes) => {unit} of {size} bytes",
                header.title, header.len
            );
            wrap_fields(&mut out, &header.fields);
        }
        if self.padding > 0 {
            let _ = writeln!(
                out,
                "  -> {} bytes of padding to Ethernet's 60-byte minimum",
                self.padding
            );
        }
        out
    }

    /// The way up: each layer checks and strips its header and hands the
    /// rest to the layer its header names.
    #[must_use]
    pub fn up(&self) -> String {
        let mut out = String::new();
        let mut size = self.frame_len();
        let _ = writeln!(out, "  frame of {size} bytes arrives");
        let mut next_titles = self
            .headers
            .iter()
            .skip(1)
            .map(|h| h.title)
            .chain(core::iter::once("the socket"));
        for header in &self.headers {
            size = size.saturating_sub(header.len);
            if header.abbrev == "eth" {
                size = size.saturating_sub(self.padding);
            }
            let next = next_titles.next().unwrap_or("the socket");
            let check = match header.abbrev {
                "eth" => "destination MAC is ours",
                "ip" => "header checksum verified, destination address is ours",
                _ => "checksum verified, a socket owns the port",
            };
            let _ = writeln!(
                out,
                "  <- {} header stripped ({} bytes): {check}; {size} bytes go up to {next}",
                header.title, header.len
            );
            wrap_fields(&mut out, &header.fields);
        }
        let _ = writeln!(
            out,
            "  application data ({} bytes): {}",
            self.payload.len(),
            preview(&self.payload)
        );
        out
    }
}

/// Writes a header's fields on indented lines of about 100 columns,
/// separated by ` | `, never splitting a field.
fn wrap_fields(out: &mut String, fields: &[String]) {
    const INDENT: &str = "       ";
    const WIDTH: usize = 100;
    let mut line = String::new();
    for field in fields {
        if !line.is_empty() && INDENT.len() + line.len() + 3 + field.len() > WIDTH {
            let _ = writeln!(out, "{INDENT}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(" | ");
        }
        line.push_str(field);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{INDENT}{line}");
    }
}

/// The first bytes of a payload as text, escaped, for one line.
fn preview(payload: &[u8]) -> String {
    const MAX: usize = 48;
    let mut out = String::from("\"");
    for &byte in payload.iter().take(MAX) {
        match byte {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
    }
    out.push('"');
    if payload.len() > MAX {
        out.push_str("...");
    }
    out
}
