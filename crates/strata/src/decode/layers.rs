//! The per-layer dissectors: each parses its header with the layer crate's
//! view, records the fields, and hands the payload to the next layer.

use core::net::Ipv4Addr;
use std::time::Duration;

use strata_arp::Packet as ArpPacket;
use strata_ethernet::{EtherType, Frame, VlanTag};
use strata_ipv4::icmpv4::{IcmpType, Message, TimeExceededCode, UnreachableCode};
use strata_ipv4::{Ipv4Option, Packet, Protocol as IpProtocol};
use strata_tcp::wire::QuotedSegment;
use strata_tcp::{Flags, Segment, TcpOption};
use strata_udp::Datagram;

use super::dns;
use super::util::{bits, format_epoch, format_hex, format_utc, hex_preview, set};
use super::{Dissection, Field, FrameMeta, Protocol, Value};

/// Hex bytes a tree line shows before eliding the rest.
const PREVIEW: usize = 32;

/// The `frame` pseudo-layer: what the capture file says about the frame.
pub(super) fn frame(meta: &FrameMeta, data: &[u8]) -> Protocol {
    let cap_len = data.len();
    let len = meta.orig_len;
    Protocol {
        abbrev: "frame",
        summary: format!(
            "Frame {}: {len} bytes on wire ({} bits), {cap_len} bytes captured ({} bits)",
            meta.number,
            u64::from(len) * 8,
            cap_len * 8
        ),
        fields: vec![
            Field::new(
                "frame.time_epoch",
                Value::Text(format_epoch(meta.timestamp)),
                format!("Arrival Time: {}", format_utc(meta.timestamp)),
            ),
            Field::uint("frame.number", "Frame Number", meta.number),
            Field::new(
                "frame.len",
                Value::Uint(u64::from(len)),
                format!("Frame Length: {len} bytes"),
            ),
            Field::new(
                "frame.cap_len",
                Value::Uint(cap_len as u64),
                format!("Capture Length: {cap_len} bytes"),
            ),
        ]
        .into_iter()
        .chain((cap_len < len as usize).then(|| {
            Field::note(format!(
                "[Packet size limited during capture: {cap_len} of {len} bytes]"
            ))
        }))
        .collect(),
    }
}

/// Bytes no strata layer dissects, with an optional note saying why.
pub(super) fn data(d: &mut Dissection, bytes: &[u8], note: Option<String>) {
    if let Some(p) = data_protocol(bytes, note) {
        d.protocols.push(p);
    }
}

fn data_protocol(bytes: &[u8], note: Option<String>) -> Option<Protocol> {
    if bytes.is_empty() {
        return None;
    }
    let mut fields: Vec<Field> = note.into_iter().map(Field::note).collect();
    fields.push(Field::new(
        "data.data",
        Value::Bytes(bytes.to_vec()),
        format!("Data: {}", hex_preview(bytes, PREVIEW)),
    ));
    fields.push(Field::new(
        "data.len",
        Value::Uint(bytes.len() as u64),
        format!("[Length: {}]", bytes.len()),
    ));
    Some(Protocol {
        abbrev: "data",
        summary: format!("Data ({} bytes)", bytes.len()),
        fields,
    })
}

fn ethertype_text(t: EtherType) -> String {
    match t.name() {
        Some(name) => format!("{name} ({:#06x})", t.0),
        None => format!("{:#06x}", t.0),
    }
}

/// What the capture says about a frame that the layers need.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Capture {
    /// The capture kept fewer bytes than the frame had.
    pub(super) snapped: bool,
    /// When the frame was captured, if known: ICMP echo data is checked
    /// against it for a sender's timestamp.
    pub(super) time: Option<Duration>,
}

/// Ethernet II, its VLAN tags, and whatever the EtherType names.
pub(super) fn ethernet(d: &mut Dissection, bytes: &[u8], cap: Capture) {
    let frame = match Frame::parse(bytes) {
        Ok(frame) => frame,
        Err(e) => return d.fail(e),
    };
    let (dst, src) = (frame.dst(), frame.src());
    // The type field right after the addresses: a TPID when tagged.
    let outer_type = match (frame.service_vlan(), frame.vlan()) {
        (Some(_), _) => EtherType::QINQ,
        (None, Some(_)) => EtherType::VLAN,
        (None, None) => frame.ethertype(),
    };
    let mut fields = vec![
        Field::text("eth.dst", "Destination", dst),
        Field::text("eth.src", "Source", src),
    ];
    if outer_type.is_length_field() {
        fields.push(Field::uint("eth.len", "Length", outer_type.0));
    } else {
        fields.push(Field::new(
            "eth.type",
            Value::Uint(u64::from(outer_type.0)),
            format!("Type: {}", ethertype_text(outer_type)),
        ));
    }
    let eth_index = d.protocols.len();
    d.protocols.push(Protocol {
        abbrev: "eth",
        summary: format!("Ethernet II, Src: {src}, Dst: {dst}"),
        fields,
    });

    // Each tag is followed by the type field that says what comes next.
    match (frame.service_vlan(), frame.vlan()) {
        (Some(s), Some(c)) => {
            d.protocols.push(service_tag(s, EtherType::VLAN));
            d.protocols.push(vlan(c, frame.ethertype()));
        }
        (Some(s), None) => d.protocols.push(service_tag(s, frame.ethertype())),
        (None, Some(c)) => d.protocols.push(vlan(c, frame.ethertype())),
        (None, None) => {}
    }

    let payload = frame.payload();
    let ethertype = frame.ethertype();
    let used = if ethertype.is_length_field() {
        data(
            d,
            payload,
            Some("[IEEE 802.3 length field: LLC payload not dissected by strata]".into()),
        );
        None
    } else if ethertype == EtherType::ARP {
        arp(d, payload)
    } else if ethertype == EtherType::IPV4 {
        ipv4(d, payload, cap)
    } else {
        data(
            d,
            payload,
            Some(format!(
                "[EtherType {} is not dissected by strata]",
                ethertype_text(ethertype)
            )),
        );
        None
    };
    // What the network layer left over is link padding (short frames are
    // padded to 60 bytes), shown under Ethernet as Wireshark does.
    if let Some(padding) = used
        .and_then(|n| payload.get(n..))
        .filter(|p| !p.is_empty())
        && let Some(eth) = d.protocols.get_mut(eth_index)
    {
        eth.fields.push(Field::new(
            "eth.padding",
            Value::Bytes(padding.to_vec()),
            format!("Padding: {}", hex_preview(padding, PREVIEW)),
        ));
    }
}

fn vlan(tag: VlanTag, next: EtherType) -> Protocol {
    let tci = u64::from(tag.tci());
    Protocol {
        abbrev: "vlan",
        summary: format!(
            "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
            tag.pcp,
            u8::from(tag.dei),
            tag.vid
        ),
        fields: vec![
            Field::new(
                "vlan.priority",
                Value::Uint(u64::from(tag.pcp)),
                format!("{}Priority: {}", bits(tci, 0xe000, 16), tag.pcp),
            ),
            Field::new(
                "vlan.dei",
                Value::Bool(tag.dei),
                format!("{}DEI: {}", bits(tci, 0x1000, 16), set(tag.dei)),
            ),
            Field::new(
                "vlan.id",
                Value::Uint(u64::from(tag.vid)),
                format!("{}ID: {}", bits(tci, 0x0fff, 16), tag.vid),
            ),
            Field::new(
                "vlan.etype",
                Value::Uint(u64::from(next.0)),
                format!("Type: {}", ethertype_text(next)),
            ),
        ],
    }
}

/// An 802.1ad service tag (QinQ's outer tag), under Wireshark's
/// `ieee8021ad` names; it has no type field of its own there, so the type
/// after it is a tree line only.
fn service_tag(tag: VlanTag, next: EtherType) -> Protocol {
    let tci = u64::from(tag.tci());
    Protocol {
        abbrev: "ieee8021ad",
        summary: format!("IEEE 802.1ad, ID: {}", tag.vid),
        fields: vec![
            Field::new(
                "ieee8021ad.priority",
                Value::Uint(u64::from(tag.pcp)),
                format!("{}Priority: {}", bits(tci, 0xe000, 16), tag.pcp),
            ),
            Field::new(
                "ieee8021ad.dei",
                Value::Bool(tag.dei),
                format!("{}DEI: {}", bits(tci, 0x1000, 16), set(tag.dei)),
            ),
            Field::new(
                "ieee8021ad.id",
                Value::Uint(u64::from(tag.vid)),
                format!("{}ID: {}", bits(tci, 0x0fff, 16), tag.vid),
            ),
            Field::note(format!("Type: {}", ethertype_text(next))),
        ],
    }
}

/// ARP; returns the bytes the packet used, so the rest is padding.
fn arp(d: &mut Dissection, bytes: &[u8]) -> Option<usize> {
    let packet = match ArpPacket::parse(bytes) {
        Ok(p) => p,
        Err(e) => {
            d.fail(e);
            return None;
        }
    };
    let op = packet.operation();
    let hw = packet.hardware_type();
    let proto = packet.protocol_type();
    d.protocols.push(Protocol {
        abbrev: "arp",
        summary: format!("Address Resolution Protocol ({op})"),
        fields: vec![
            Field::new(
                "arp.hw.type",
                Value::Uint(u64::from(hw.0)),
                format!("Hardware type: {hw} ({})", hw.0),
            ),
            Field::new(
                "arp.proto.type",
                Value::Uint(u64::from(proto.0)),
                format!("Protocol type: {}", ethertype_text(proto)),
            ),
            Field::uint("arp.hw.size", "Hardware size", packet.hardware_len()),
            Field::uint("arp.proto.size", "Protocol size", packet.protocol_len()),
            Field::new(
                "arp.opcode",
                Value::Uint(u64::from(op.0)),
                format!("Opcode: {op} ({})", op.0),
            ),
            Field::text("arp.src.hw_mac", "Sender MAC address", packet.sender_mac()),
            Field::text(
                "arp.src.proto_ipv4",
                "Sender IP address",
                packet.sender_ip(),
            ),
            Field::text("arp.dst.hw_mac", "Target MAC address", packet.target_mac()),
            Field::text(
                "arp.dst.proto_ipv4",
                "Target IP address",
                packet.target_ip(),
            ),
        ],
    });
    Some(packet.header_bytes().len())
}

/// How far a checksum could be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Good,
    Bad {
        computed: u16,
    },
    /// Not all the bytes it covers are here (a fragment, a quote).
    Unverified,
    /// UDP's zero: the sender computed none.
    NotPresent,
}

/// `X.checksum` and, under it, `X.checksum.status` as Wireshark names them.
fn checksum(
    name: &'static str,
    status_name: &'static str,
    label: &str,
    value: u16,
    status: Status,
) -> Field {
    let (note, word) = match status {
        Status::Good => ("[correct]".to_owned(), "Good"),
        Status::Bad { computed } => (format!("[incorrect, should be {computed:#06x}]"), "Bad"),
        Status::Unverified => ("[unverified]".to_owned(), "Unverified"),
        Status::NotPresent => ("[zero-value ignored]".to_owned(), "Not present"),
    };
    Field::new(
        name,
        Value::Uint(u64::from(value)),
        format!("{label}: {value:#06x} {note}"),
    )
    .with_children(vec![Field::new(
        status_name,
        Value::Text(word.to_owned()),
        format!("[{label} Status: {word}]"),
    )])
}

/// Where a datagram's bytes came from, which decides what can be checked.
#[derive(Clone, Copy, Debug)]
struct Ctx {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    /// The whole transport message is here, so its checksum can be checked.
    complete: bool,
    /// The transport message may be cut short (by fragmentation, by the
    /// quoting ICMP error, by the capture's snapshot length): its header is
    /// read the way a quote is, and one that does not parse even so is
    /// shown as data, not as an error.
    lenient: bool,
    /// Inside an ICMP error's quote: do not look for a quote within.
    quoted: bool,
    /// The transport message's length as the IP header gives it (total
    /// length less header length), however much of it is here.
    len: usize,
    /// When the frame was captured, if known.
    time: Option<Duration>,
}

/// `partial`: the packet came from `parse_quoted` (an ICMP quote, or a frame
/// the capture cut short), so its payload may be incomplete.
fn ipv4_protocol(packet: &Packet<&[u8]>, partial: bool) -> Protocol {
    let status = if packet.verify_checksum() {
        Status::Good
    } else {
        Status::Bad {
            computed: packet.compute_checksum(),
        }
    };
    let dscp = packet.dscp();
    let ecn = packet.ecn();
    let ds = (dscp << 2) | ecn.bits();
    let (rb, df, mf) = (
        packet.reserved_flag(),
        packet.dont_fragment(),
        packet.more_fragments(),
    );
    let flags = (u8::from(rb) << 2) | (u8::from(df) << 1) | u8::from(mf);
    let flag_names: Vec<&str> = [
        (rb, "Reserved"),
        (df, "Don't fragment"),
        (mf, "More fragments"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    let flags_text = if flag_names.is_empty() {
        format!("Flags: {flags:#x}")
    } else {
        format!("Flags: {flags:#x}, {}", flag_names.join(", "))
    };
    let id = packet.identification();
    let proto = packet.protocol();
    let off = packet.fragment_offset();
    let hl = packet.header_len();
    let mut fields = vec![
        Field::new(
            "ip.version",
            Value::Uint(u64::from(packet.version())),
            format!(
                "{}Version: {}",
                bits(u64::from(packet.version()) << 4, 0xf0, 8),
                packet.version()
            ),
        ),
        Field::new(
            "ip.hdr_len",
            Value::Uint(hl as u64),
            format!(
                "{}Header Length: {hl} bytes ({})",
                bits(u64::from(packet.ihl()), 0x0f, 8),
                packet.ihl()
            ),
        ),
        Field::new(
            "ip.dsfield",
            Value::Uint(u64::from(ds)),
            format!("Differentiated Services Field: {ds:#04x} (DSCP: {dscp}, ECN: {ecn})"),
        )
        .with_children(vec![
            Field::new(
                "ip.dsfield.dscp",
                Value::Uint(u64::from(dscp)),
                format!(
                    "{}Differentiated Services Codepoint: {dscp}",
                    bits(u64::from(ds), 0xfc, 8)
                ),
            ),
            Field::new(
                "ip.dsfield.ecn",
                Value::Uint(u64::from(ecn.bits())),
                format!(
                    "{}Explicit Congestion Notification: {ecn} ({})",
                    bits(u64::from(ds), 0x03, 8),
                    ecn.bits()
                ),
            ),
        ]),
        Field::uint("ip.len", "Total Length", packet.total_len()),
        Field::new(
            "ip.id",
            Value::Uint(u64::from(id)),
            format!("Identification: {id:#06x} ({id})"),
        ),
        Field::new("ip.flags", Value::Uint(u64::from(flags)), flags_text).with_children(vec![
            Field::new(
                "ip.flags.rb",
                Value::Bool(rb),
                format!(
                    "{}Reserved bit: {}",
                    bits(u64::from(flags) << 5, 0x80, 8),
                    set(rb)
                ),
            ),
            Field::new(
                "ip.flags.df",
                Value::Bool(df),
                format!(
                    "{}Don't fragment: {}",
                    bits(u64::from(flags) << 5, 0x40, 8),
                    set(df)
                ),
            ),
            Field::new(
                "ip.flags.mf",
                Value::Bool(mf),
                format!(
                    "{}More fragments: {}",
                    bits(u64::from(flags) << 5, 0x20, 8),
                    set(mf)
                ),
            ),
        ]),
        Field::new(
            "ip.frag_offset",
            Value::Uint(u64::from(off)),
            format!(
                "Fragment Offset: {off} ({} bytes)",
                packet.fragment_offset_bytes()
            ),
        ),
        Field::uint("ip.ttl", "Time to Live", packet.ttl()),
        Field::new(
            "ip.proto",
            Value::Uint(u64::from(proto.0)),
            match proto.name() {
                Some(name) => format!("Protocol: {name} ({})", proto.0),
                None => format!("Protocol: {}", proto.0),
            },
        ),
        checksum(
            "ip.checksum",
            "ip.checksum.status",
            "Header Checksum",
            packet.checksum(),
            status,
        ),
        Field::text("ip.src", "Source Address", packet.src()),
        Field::text("ip.dst", "Destination Address", packet.dst()),
    ];
    let options: Vec<Field> = packet.options().iter().map(|o| ipv4_option(&o)).collect();
    if !options.is_empty() {
        let n = packet.options_bytes().len();
        fields.push(Field::note(format!("Options: ({n} bytes)")).with_children(options));
    }
    if partial && packet.is_truncated() {
        fields.push(Field::note(format!(
            "[Only {} of {} bytes present]",
            packet.packet_bytes().len(),
            packet.total_len()
        )));
    }
    Protocol {
        abbrev: "ip",
        summary: format!(
            "Internet Protocol Version 4, Src: {}, Dst: {}",
            packet.src(),
            packet.dst()
        ),
        fields,
    }
}

fn ipv4_option(option: &Ipv4Option<'_>) -> Field {
    let kind = option.kind();
    let len = option.wire_len();
    let mut children = vec![Field::uint("ip.opt.type", "Type", kind.0)];
    if !matches!(option, Ipv4Option::EndOfList | Ipv4Option::Nop) {
        children.push(Field::uint("ip.opt.len", "Length", len as u64));
    }
    Field::note(format!("IP Option - {kind} ({len} bytes)")).with_children(children)
}

/// IPv4 and its payload; returns the bytes the packet used (its total
/// length), so the rest of the frame is padding.
///
/// A frame the capture cut short (`snapped`) is read like an ICMP quote:
/// the total length may run past the captured bytes, and what the cut
/// leaves incomplete above is data, not an error.
fn ipv4(d: &mut Dissection, bytes: &[u8], cap: Capture) -> Option<usize> {
    let snapped = cap.snapped;
    let parsed = if snapped {
        Packet::parse_quoted(bytes)
    } else {
        Packet::parse(bytes)
    };
    let packet = match parsed {
        Ok(p) => p,
        Err(e) => {
            d.fail(e);
            return None;
        }
    };
    d.protocols.push(ipv4_protocol(&packet, snapped));
    let whole = !packet.is_fragment() && !packet.is_truncated();
    let ctx = Ctx {
        src: packet.src(),
        dst: packet.dst(),
        complete: whole,
        lenient: !whole,
        quoted: false,
        len: ip_payload_len(&packet),
        time: cap.time,
    };
    if packet.fragment_offset() != 0 {
        data(
            d,
            packet.payload(),
            Some(format!(
                "[Fragment of a {} datagram at offset {} (ID {:#06x}): not reassembled]",
                packet.protocol(),
                packet.fragment_offset_bytes(),
                packet.identification()
            )),
        );
    } else {
        transport(d, packet.protocol(), packet.payload(), ctx);
    }
    Some(packet.packet_bytes().len())
}

/// The bytes of payload the IP header describes, present or not.
fn ip_payload_len(packet: &Packet<&[u8]>) -> usize {
    usize::from(packet.total_len()).saturating_sub(packet.header_len())
}

fn transport(d: &mut Dissection, proto: IpProtocol, payload: &[u8], ctx: Ctx) {
    if proto == IpProtocol::ICMP {
        icmp(d, payload, ctx);
    } else if proto == IpProtocol::UDP {
        udp(d, payload, ctx);
    } else if proto == IpProtocol::TCP {
        tcp(d, payload, ctx);
    } else {
        data(
            d,
            payload,
            Some(format!("[IP protocol {proto} is not dissected by strata]")),
        );
    }
}

/// A header cut short by fragmentation or quoting: shown as data with the
/// parser's reason, not as an error.
fn partial<E: core::fmt::Display>(d: &mut Dissection, what: &str, bytes: &[u8], e: E) {
    data(
        d,
        bytes,
        Some(format!("[Incomplete {what} header ({e}): not dissected]")),
    );
}

fn icmp(d: &mut Dissection, bytes: &[u8], ctx: Ctx) {
    let msg = match Message::parse(bytes) {
        Ok(m) => m,
        Err(e) if ctx.lenient => return partial(d, "ICMP", bytes, e),
        Err(e) => return d.fail(e),
    };
    let status = if !ctx.complete {
        Status::Unverified
    } else if msg.verify_checksum() {
        Status::Good
    } else {
        let computed = match Message::parse_verified(bytes) {
            Err(strata_ipv4::icmpv4::ParseError::BadChecksum { computed, .. }) => computed,
            _ => msg.checksum(),
        };
        Status::Bad { computed }
    };
    let ty = msg.icmp_type();
    let code = msg.code();
    let code_name = if ty == IcmpType::DESTINATION_UNREACHABLE {
        UnreachableCode(code).name()
    } else if ty == IcmpType::TIME_EXCEEDED {
        TimeExceededCode::from_code(code).map(TimeExceededCode::name)
    } else {
        None
    };
    let mut fields = vec![
        Field::new(
            "icmp.type",
            Value::Uint(u64::from(ty.0)),
            format!("Type: {} ({ty})", ty.0),
        ),
        Field::new(
            "icmp.code",
            Value::Uint(u64::from(code)),
            match code_name {
                Some(name) => format!("Code: {code} ({name})"),
                None => format!("Code: {code}"),
            },
        ),
        checksum(
            "icmp.checksum",
            "icmp.checksum.status",
            "Checksum",
            msg.checksum(),
            status,
        ),
    ];
    // Identifier and sequence number: echo, timestamp, information and
    // address mask messages (types 0, 8 and 13 to 18).
    if matches!(ty.0, 0 | 8 | 13..=18) {
        let (id, seq) = (msg.identifier(), msg.sequence());
        fields.push(Field::new(
            "icmp.ident",
            Value::Uint(u64::from(id)),
            format!("Identifier (BE): {id} ({id:#06x})"),
        ));
        fields.push(Field::new(
            "icmp.seq",
            Value::Uint(u64::from(seq)),
            format!("Sequence Number (BE): {seq} ({seq:#06x})"),
        ));
    } else if ty == IcmpType::DESTINATION_UNREACHABLE
        && code == UnreachableCode::FRAGMENTATION_NEEDED.0
    {
        fields.push(Field::uint(
            "icmp.mtu",
            "MTU of next hop",
            msg.next_hop_mtu(),
        ));
    } else if ty == IcmpType::REDIRECT {
        fields.push(Field::text(
            "icmp.redir_gw",
            "Gateway Address",
            msg.gateway(),
        ));
    } else if ty == IcmpType::PARAMETER_PROBLEM {
        fields.push(Field::uint("icmp.pointer", "Pointer", msg.pointer()));
    }

    let data_bytes = msg.data();
    let echo_time = if ty == IcmpType::ECHO_REQUEST || ty == IcmpType::ECHO_REPLY {
        ctx.time
            .and_then(|frame| echo_timestamp(data_bytes, frame).map(|sent| (sent, frame)))
    } else {
        None
    };
    if let Some((sent, frame)) = echo_time {
        let sent_text = format_utc(sent);
        fields.push(Field::new(
            "icmp.data_time",
            Value::Text(sent_text.clone()),
            format!("Timestamp from icmp data: {sent_text}"),
        ));
        fields.push(Field::note(format!(
            "[Timestamp from icmp data (relative): {} seconds]",
            signed_seconds(frame, sent)
        )));
    }

    let index = d.protocols.len();
    d.protocols.push(Protocol {
        abbrev: "icmp",
        summary: "Internet Control Message Protocol".to_owned(),
        fields,
    });
    if ty.is_error() && !ctx.quoted {
        // The quote is dissected in a scratch dissection whose layers are
        // then nested under the ICMP layer, as analysers show them.
        let mut inner = Dissection::default();
        quoted_ipv4(&mut inner, msg.data(), ctx.time);
        if let Some(icmp) = d.protocols.get_mut(index) {
            icmp.fields.extend(inner.protocols.into_iter().map(nest));
        }
        if let Some(e) = inner.error {
            d.error = Some(super::DissectError {
                layer: e.layer,
                reason: format!("in the datagram quoted by ICMP: {}", e.reason),
            });
        }
    } else if echo_time.is_some() {
        data(
            d,
            data_bytes.get(ECHO_TIMESTAMP_LEN..).unwrap_or_default(),
            None,
        );
    } else {
        data(d, data_bytes, None);
    }
}

/// Bytes of echo data read as a timestamp.
const ECHO_TIMESTAMP_LEN: usize = 8;

/// The sender's timestamp at the start of ICMP echo data, if it looks like
/// one: Wireshark's guess, made the same way so the fields agree.
///
/// ping programs put the time of sending at the start of the echo data, in
/// the sender's own format; there is no standard. The guess reads the first
/// 8 bytes as 32-bit seconds and 32-bit microseconds, big-endian first,
/// then little-endian, and takes the first reading whose microseconds are
/// below a million and whose seconds lie within a day of the capture time
/// (`frame`). On a 64-bit Linux, where ping writes a 16-byte little-endian
/// `timeval`, that reads the low half of the seconds and takes the high half
/// (zero until 2106) as microseconds: the time comes out to the second, and
/// the real microseconds stay in the data that follows.
fn echo_timestamp(data: &[u8], frame: Duration) -> Option<Duration> {
    let head = data.get(..ECHO_TIMESTAMP_LEN)?;
    let (secs, usecs) = head.split_at_checked(4)?;
    let (secs, usecs): ([u8; 4], [u8; 4]) = (secs.try_into().ok()?, usecs.try_into().ok()?);
    let frame_secs = i64::try_from(frame.as_secs()).ok()?;
    [
        (u32::from_be_bytes(secs), u32::from_be_bytes(usecs)),
        (u32::from_le_bytes(secs), u32::from_le_bytes(usecs)),
    ]
    .into_iter()
    .find(|&(secs, usecs)| {
        usecs < 1_000_000 && (i64::from(secs) - frame_secs).unsigned_abs() < 86_400
    })
    .map(|(secs, usecs)| Duration::new(u64::from(secs), usecs * 1000))
}

/// `later - earlier` in seconds with nine decimals, negative if `later` is
/// the earlier one.
fn signed_seconds(later: Duration, earlier: Duration) -> String {
    let (sign, d) = match later.checked_sub(earlier) {
        Some(d) => ("", d),
        None => ("-", earlier.saturating_sub(later)),
    };
    format!("{sign}{}.{:09}", d.as_secs(), d.subsec_nanos())
}

/// A protocol shown as a subtree of another one's fields.
fn nest(p: Protocol) -> Field {
    Field::note(p.summary).with_children(p.fields)
}

fn quoted_ipv4(d: &mut Dissection, bytes: &[u8], time: Option<Duration>) {
    let packet = match Packet::parse_quoted(bytes) {
        Ok(p) => p,
        Err(e) => return d.fail(e),
    };
    d.protocols.push(ipv4_protocol(&packet, true));
    let ctx = Ctx {
        src: packet.src(),
        dst: packet.dst(),
        complete: !packet.is_truncated() && !packet.is_fragment(),
        lenient: true,
        quoted: true,
        len: ip_payload_len(&packet),
        time,
    };
    if packet.fragment_offset() == 0 {
        transport(d, packet.protocol(), packet.payload(), ctx);
    } else {
        data(d, packet.payload(), None);
    }
}

fn udp(d: &mut Dissection, bytes: &[u8], ctx: Ctx) {
    // Where the datagram may be cut short, its length field may run past the
    // bytes here, as in a quote.
    let parsed = if ctx.lenient {
        Datagram::parse_quoted(bytes)
    } else {
        Datagram::parse(bytes)
    };
    let datagram = match parsed {
        Ok(u) => u,
        Err(e) if ctx.lenient => return partial(d, "UDP", bytes, e),
        Err(e) => return d.fail(e),
    };
    let status = if datagram.checksum() == 0 {
        Status::NotPresent
    } else if !ctx.complete || datagram.is_truncated() {
        Status::Unverified
    } else if datagram.verify_checksum(ctx.src, ctx.dst) {
        Status::Good
    } else {
        Status::Bad {
            computed: datagram.compute_checksum(ctx.src, ctx.dst),
        }
    };
    let (sport, dport) = (datagram.src_port(), datagram.dst_port());
    let payload = datagram.payload();
    let mut fields = vec![
        Field::uint("udp.srcport", "Source Port", sport),
        Field::uint("udp.dstport", "Destination Port", dport),
        Field::uint("udp.length", "Length", datagram.length()),
        checksum(
            "udp.checksum",
            "udp.checksum.status",
            "Checksum",
            datagram.checksum(),
            status,
        ),
    ];
    if !payload.is_empty() {
        fields.push(Field::new(
            "udp.payload",
            Value::Bytes(payload.to_vec()),
            format!("UDP payload ({} bytes)", payload.len()),
        ));
    }
    if datagram.is_truncated() {
        fields.push(Field::note(format!(
            "[Only {} of {} bytes present]",
            datagram.as_bytes().len(),
            datagram.length()
        )));
    }
    d.protocols.push(Protocol {
        abbrev: "udp",
        summary: format!("User Datagram Protocol, Src Port: {sport}, Dst Port: {dport}"),
        fields,
    });
    // DNS on its port, in either direction, when the whole datagram is
    // here (a quote or a snapshot length may have cut it).
    if (sport == dns::PORT || dport == dns::PORT) && !payload.is_empty() && !datagram.is_truncated()
    {
        dns::udp(d, payload);
    } else {
        data(d, payload, None);
    }
}

/// The TCP flag bits Wireshark shows, highest first, with their names.
const TCP_FLAG_LINES: [(&str, u16, &str); 9] = [
    ("tcp.flags.ae", 0x100, "Accurate ECN"),
    ("tcp.flags.cwr", 0x080, "Congestion Window Reduced"),
    ("tcp.flags.ece", 0x040, "ECN-Echo"),
    ("tcp.flags.urg", 0x020, "Urgent"),
    ("tcp.flags.ack", 0x010, "Acknowledgment"),
    ("tcp.flags.push", 0x008, "Push"),
    ("tcp.flags.reset", 0x004, "Reset"),
    ("tcp.flags.syn", 0x002, "Syn"),
    ("tcp.flags.fin", 0x001, "Fin"),
];

fn tcp(d: &mut Dissection, bytes: &[u8], ctx: Ctx) {
    if ctx.lenient {
        // Maybe cut short: read as a quote, in full if the header is whole.
        let quoted = match Segment::parse_quoted(bytes) {
            Ok(q) => q,
            Err(e) => return partial(d, "TCP", bytes, e),
        };
        match quoted.segment() {
            Some(segment) => tcp_segment(d, &segment, ctx),
            None => tcp_quoted(d, &quoted, ctx),
        }
        return;
    }
    match Segment::parse(bytes) {
        Ok(segment) => tcp_segment(d, &segment, ctx),
        Err(e) => d.fail(e),
    }
}

/// The flags word as Wireshark's `tcp.flags` reads it, with a line per bit.
///
/// Wireshark's tcp.flags is the 12 bits after the data offset: three
/// reserved bits, then AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN.
fn tcp_flags(reserved: u8, flags: Flags) -> Field {
    let reserved = u16::from(reserved);
    let raw_flags = (reserved << 9) | flags.bits();
    let names: Vec<&str> = flags.names().collect();
    let mut flag_lines = vec![Field::new(
        "tcp.flags.res",
        Value::Bool(reserved != 0),
        format!(
            "{}Reserved: {}",
            bits(u64::from(raw_flags), 0xe00, 12),
            set(reserved != 0)
        ),
    )];
    for (name, bit, label) in TCP_FLAG_LINES {
        let on = raw_flags & bit != 0;
        flag_lines.push(Field::new(
            name,
            Value::Bool(on),
            format!(
                "{}{label}: {}",
                bits(u64::from(raw_flags), u64::from(bit), 12),
                set(on)
            ),
        ));
    }
    Field::new(
        "tcp.flags",
        Value::Uint(u64::from(raw_flags)),
        if names.is_empty() {
            format!("Flags: {raw_flags:#05x}")
        } else {
            format!("Flags: {raw_flags:#05x} ({})", names.join(", "))
        },
    )
    .with_children(flag_lines)
}

/// `tcp.hdr_len`, from the data offset.
fn tcp_header_len(data_offset: u8) -> Field {
    let hl = usize::from(data_offset) * 4;
    Field::new(
        "tcp.hdr_len",
        Value::Uint(hl as u64),
        format!("Header Length: {hl} bytes ({data_offset})"),
    )
}

/// The options a header carries, under one line that counts their bytes.
fn tcp_options<'a>(
    options: impl Iterator<Item = TcpOption<'a>> + Clone,
    area_len: usize,
) -> Option<Field> {
    let fields: Vec<Field> = options.clone().map(|o| tcp_option(&o)).collect();
    if fields.is_empty() {
        return None;
    }
    let summary: Vec<String> = options.map(|o| o.kind().to_string()).collect();
    Some(
        Field::note(format!(
            "Options: ({area_len} bytes), {}",
            summary.join(", ")
        ))
        .with_children(fields),
    )
}

/// The data a RST carries as text, the way Wireshark shows it: RFC 1122
/// (§4.2.2.12) lets a RST carry data and suggests text explaining the
/// reset, with no standard for it. Read as ASCII up to the first NUL;
/// bytes past 0x7f become U+FFFD.
fn reset_cause(payload: &[u8]) -> String {
    payload
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| {
            if b.is_ascii() {
                char::from(b)
            } else {
                char::REPLACEMENT_CHARACTER
            }
        })
        .collect()
}

/// A TCP header that is all here (its payload may not be).
///
/// Inside an ICMP error's quote, Wireshark shows the sequence number as
/// `tcp.seq` alone, without `tcp.seq_raw`; strata does the same there.
fn tcp_segment(d: &mut Dissection, segment: &Segment<&[u8]>, ctx: Ctx) {
    let status = if !ctx.complete {
        Status::Unverified
    } else if segment.verify_checksum(ctx.src, ctx.dst) {
        Status::Good
    } else {
        Status::Bad {
            computed: segment.compute_checksum(ctx.src, ctx.dst),
        }
    };
    let flags = segment.flags();
    let (sport, dport, seq, ack) = (
        segment.src_port(),
        segment.dst_port(),
        segment.seq(),
        segment.ack(),
    );
    let hl = segment.header_len();
    let payload = segment.payload();
    // From the IP header, so a segment cut short counts what it carried.
    let len = ctx.len.saturating_sub(hl);
    let mut fields = vec![
        Field::uint("tcp.srcport", "Source Port", sport),
        Field::uint("tcp.dstport", "Destination Port", dport),
        Field::new(
            "tcp.len",
            Value::Uint(len as u64),
            format!("[TCP Segment Len: {len}]"),
        ),
        // Wireshark's tcp.seq and tcp.ack are relative to the first in the
        // conversation unless told otherwise; strata does not follow
        // conversations, so they are the raw values.
        Field::uint("tcp.seq", "Sequence Number", seq),
    ];
    if !ctx.quoted {
        fields.push(Field::uint("tcp.seq_raw", "Sequence Number (raw)", seq));
    }
    fields.extend([
        Field::uint("tcp.ack", "Acknowledgment Number", ack),
        Field::uint("tcp.ack_raw", "Acknowledgment number (raw)", ack),
        tcp_header_len(segment.data_offset()),
        tcp_flags(segment.reserved(), flags),
        Field::uint("tcp.window_size_value", "Window", segment.window()),
        checksum(
            "tcp.checksum",
            "tcp.checksum.status",
            "Checksum",
            segment.checksum(),
            status,
        ),
        Field::uint("tcp.urgent_pointer", "Urgent Pointer", segment.urgent()),
    ]);
    fields.extend(tcp_options(
        segment.options(),
        segment.options_bytes().len(),
    ));
    if !payload.is_empty() {
        if flags.contains(Flags::RST) {
            let cause = reset_cause(payload);
            // The tree keeps one line per field: control characters in the
            // text are shown escaped there (the JSON value keeps them).
            let mut line = String::from("Reset cause: ");
            for c in cause.chars() {
                if c.is_control() {
                    line.extend(c.escape_default());
                } else {
                    line.push(c);
                }
            }
            fields.push(
                Field::new("tcp.reset_cause", Value::Text(cause), line).with_children(vec![
                    Field::note(format!(
                        "[RST data ({} bytes): {}]",
                        payload.len(),
                        hex_preview(payload, PREVIEW)
                    )),
                ]),
            );
        } else {
            fields.push(Field::new(
                "tcp.payload",
                Value::Bytes(payload.to_vec()),
                format!(
                    "TCP payload ({} bytes): {}",
                    payload.len(),
                    hex_preview(payload, PREVIEW)
                ),
            ));
        }
    }
    if payload.len() < len {
        fields.push(Field::note(format!(
            "[Only {} of {len} payload bytes present]",
            payload.len()
        )));
    }
    let mut summary =
        format!("Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}, Seq: {seq}");
    if flags.contains(Flags::ACK) {
        summary.push_str(&format!(", Ack: {ack}"));
    }
    summary.push_str(&format!(", Len: {len}"));
    let index = d.protocols.len();
    d.protocols.push(Protocol {
        abbrev: "tcp",
        summary,
        fields,
    });
    // DNS on its port, in either direction, when the segment's payload is
    // all here; a message that continues in a later segment is marked on
    // the TCP layer.
    if (sport == dns::PORT || dport == dns::PORT)
        && !payload.is_empty()
        && payload.len() == len
        && !flags.contains(Flags::RST)
        && !ctx.quoted
        && let Some(note) = dns::tcp(d, payload)
        && let Some(tcp) = d.protocols.get_mut(index)
    {
        tcp.fields.push(note);
    }
}

/// A TCP header cut short, as an ICMP error may quote it (or a snapshot
/// length cut it): at least the ports and the sequence number, the other
/// fields as far as they go.
fn tcp_quoted(d: &mut Dissection, quoted: &QuotedSegment<&[u8]>, ctx: Ctx) {
    let (sport, dport, seq) = (quoted.src_port(), quoted.dst_port(), quoted.seq());
    let mut fields = vec![
        Field::uint("tcp.srcport", "Source Port", sport),
        Field::uint("tcp.dstport", "Destination Port", dport),
    ];
    if let Some(hl) = quoted.header_len() {
        let len = ctx.len.saturating_sub(hl);
        fields.push(Field::new(
            "tcp.len",
            Value::Uint(len as u64),
            format!("[TCP Segment Len: {len}]"),
        ));
    }
    fields.push(Field::uint("tcp.seq", "Sequence Number", seq));
    if !ctx.quoted {
        fields.push(Field::uint("tcp.seq_raw", "Sequence Number (raw)", seq));
    }
    if let Some(ack) = quoted.ack() {
        fields.push(Field::uint("tcp.ack", "Acknowledgment Number", ack));
        fields.push(Field::uint(
            "tcp.ack_raw",
            "Acknowledgment number (raw)",
            ack,
        ));
    }
    fields.extend(quoted.data_offset().map(tcp_header_len));
    if let (Some(reserved), Some(flags)) = (quoted.reserved(), quoted.flags()) {
        fields.push(tcp_flags(reserved, flags));
    }
    if let Some(window) = quoted.window() {
        fields.push(Field::uint("tcp.window_size_value", "Window", window));
    }
    if let Some(value) = quoted.checksum() {
        fields.push(checksum(
            "tcp.checksum",
            "tcp.checksum.status",
            "Checksum",
            value,
            Status::Unverified,
        ));
    }
    if let Some(urgent) = quoted.urgent() {
        fields.push(Field::uint("tcp.urgent_pointer", "Urgent Pointer", urgent));
    }
    if let Some(hl) = quoted.header_len() {
        fields.extend(tcp_options(
            quoted.options(),
            hl.saturating_sub(strata_tcp::HEADER_LEN),
        ));
    }
    let present = quoted.as_bytes().len();
    fields.push(Field::note(match quoted.header_len() {
        Some(hl) => format!("[Header cut short: {present} of {hl} bytes present]"),
        None => format!("[Header cut short: {present} bytes present]"),
    }));
    d.protocols.push(Protocol {
        abbrev: "tcp",
        summary: format!(
            "Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}, Seq: {seq}"
        ),
        fields,
    });
}

fn tcp_option(option: &TcpOption<'_>) -> Field {
    let kind = option.kind();
    let len = option.wire_len();
    let kind_name = match kind.0 {
        0 => "End of Option List",
        1 => "No-Operation",
        2 => "Maximum Segment Size",
        3 => "Window Scale",
        4 => "SACK Permitted",
        5 => "SACK",
        8 => "Time Stamp Option",
        _ => "Unknown",
    };
    let mut children = vec![Field::new(
        "tcp.option_kind",
        Value::Uint(u64::from(kind.0)),
        format!("Kind: {kind_name} ({})", kind.0),
    )];
    if !matches!(option, TcpOption::EndOfList | TcpOption::Nop) {
        children.push(Field::uint("tcp.option_len", "Length", len as u64));
    }
    let title = match option {
        TcpOption::EndOfList => "TCP Option - End of Option List (EOL)".to_owned(),
        TcpOption::Nop => "TCP Option - No-Operation (NOP)".to_owned(),
        TcpOption::Mss(mss) => {
            children.push(Field::uint("tcp.options.mss_val", "MSS Value", *mss));
            format!("TCP Option - Maximum segment size: {mss} bytes")
        }
        TcpOption::WindowScale(shift) => {
            children.push(Field::uint(
                "tcp.options.wscale.shift",
                "Shift count",
                *shift,
            ));
            let multiplier = 1u64.checked_shl(u32::from(*shift)).unwrap_or(0);
            format!("TCP Option - Window scale: {shift} (multiply by {multiplier})")
        }
        TcpOption::SackPermitted => {
            children.push(Field::new(
                "tcp.options.sack_perm",
                Value::Bool(true),
                "TCP SACK Permitted Option: True",
            ));
            "TCP Option - SACK permitted".to_owned()
        }
        TcpOption::Sack(blocks) => {
            for (left, right) in blocks.as_slice() {
                children.push(Field::uint("tcp.options.sack_le", "left edge (raw)", *left));
                children.push(Field::uint(
                    "tcp.options.sack_re",
                    "right edge (raw)",
                    *right,
                ));
            }
            let edges: Vec<String> = blocks
                .as_slice()
                .iter()
                .map(|(l, r)| format!("{l}-{r}"))
                .collect();
            format!("TCP Option - SACK {}", edges.join(" "))
        }
        TcpOption::Timestamps(ts) => {
            children.push(Field::uint(
                "tcp.options.timestamp.tsval",
                "Timestamp value",
                ts.tsval,
            ));
            children.push(Field::uint(
                "tcp.options.timestamp.tsecr",
                "Timestamp echo reply",
                ts.tsecr,
            ));
            format!(
                "TCP Option - Timestamps: TSval {}, TSecr {}",
                ts.tsval, ts.tsecr
            )
        }
        TcpOption::Unknown { kind, data } => {
            children.push(Field::note(format!("Data: {}", format_hex(data))));
            format!("TCP Option - Unknown kind {kind} ({len} bytes)")
        }
    };
    Field::note(title).with_children(children)
}
