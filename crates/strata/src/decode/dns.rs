//! DNS (RFC 1035) over UDP and TCP port 53, under Wireshark's `dns.*` names.
//!
//! The message is parsed once by `strata_dns::wire::Message` (which checks
//! every name, count and RDATA length); this module only reads the view and
//! records what Wireshark shows, the way Wireshark shows it:
//!
//! - Names are the labels joined by dots, escaped as Wireshark escapes them
//!   (C escapes for control characters, `\ooo` for other ASCII controls, a
//!   replacement character for bytes that are not UTF-8; a dot or backslash
//!   inside a label is shown as it is), and the root is `<Root>`. The query's
//!   `dns.qry.name.len` and `dns.count.labels` are counted on that text the
//!   way Wireshark counts them: its length in bytes and its dots plus one,
//!   both 0 for a one-character name, 6 and 1 for `<Root>`.
//! - Text (TXT strings, CAA tags and values) is read as ASCII: each byte
//!   from 0x80 up is a replacement character, and a string ends at a NUL.
//! - A query's flags leave out the bits that only mean something in a
//!   response (AA, RA, RCODE; AD unless it is set), and a dynamic update
//!   (opcode 5) names its counts zones, prerequisites and updates.
//! - An SRV record's owner is shown split into service, protocol and name
//!   rather than as `dns.resp.name`; an OPT record shows the EDNS(0) fields
//!   its CLASS and TTL hold instead of `dns.resp.class` and `dns.resp.ttl`.
//! - Empty RDATA adds no type fields. A and AAAA are read in any class.
//!   Option-specific fields are shown for the client subnet, cookie and
//!   padding options; every option also has `dns.opt.code`, `dns.opt.len`
//!   and `dns.opt.data`. RDATA of a type strata has no view for is
//!   `dns.data` (Wireshark dissects more types: DNSSEC, NAPTR, SVCB, …).
//! - Bytes after the message are `dns.extraneous.data`.
//!
//! Over TCP each message has a 2-byte length prefix (RFC 1035 §4.2.2),
//! shown as `dns.length`; a segment may hold several messages. strata reads
//! each segment on its own, without reassembling the stream: a message the
//! segment holds only the start of is marked on the TCP layer as a segment
//! of a reassembled PDU (Wireshark's words), and a segment that continues a
//! message from an earlier one is read as if it started a message, which
//! then almost always fails as a DNS error: without the stream, the two
//! cannot be told apart.

use core::fmt::Write as _;
use core::net::{Ipv4Addr, Ipv6Addr};

use strata_dns::wire::{
    Caa, Class, EdnsOption, Flags, Message, Name, OptionCode, Question, RData, Record, RecordType,
    Section,
};

use super::util::{bits, hex_preview, set};
use super::{Dissection, Field, Protocol, Value};

/// The port DNS is recognised on, over UDP and TCP.
pub(super) const PORT: u16 = 53;

/// Hex bytes a tree line shows before eliding the rest.
const PREVIEW: usize = 32;

/// Opcode 5: dynamic update (RFC 2136), whose sections are named
/// differently.
const OPCODE_UPDATE: u8 = 5;

/// A DNS message carried by UDP: the whole datagram payload.
pub(super) fn udp(d: &mut Dissection, payload: &[u8]) {
    match Message::parse(payload) {
        Ok(msg) => d.protocols.push(message(&msg, None)),
        Err(e) => d.fail(e),
    }
}

/// DNS messages carried by one TCP segment, each after its 2-byte length.
///
/// Returns a note for the TCP layer when the segment ends inside a message
/// (its length prefix promises more than is here).
pub(super) fn tcp(d: &mut Dissection, payload: &[u8]) -> Option<Field> {
    let mut rest = payload;
    while !rest.is_empty() {
        let Some((prefix, body)) = rest.split_first_chunk::<2>() else {
            return Some(split_note(None, rest.len()));
        };
        let len = u16::from_be_bytes(*prefix);
        let Some((bytes, after)) = body.split_at_checked(usize::from(len)) else {
            return Some(split_note(Some(len), body.len()));
        };
        match Message::parse(bytes) {
            Ok(msg) => d.protocols.push(message(&msg, Some(len))),
            Err(e) => {
                d.fail(e);
                return None;
            }
        }
        rest = after;
    }
    None
}

/// The tree note for a DNS message that continues past this segment.
fn split_note(len: Option<u16>, here: usize) -> Field {
    let detail = match len {
        Some(len) => format!(
            "[DNS message of {len} bytes, {here} of them in this segment: not reassembled by strata]"
        ),
        None => "[Half of a DNS length prefix: not reassembled by strata]".to_owned(),
    };
    Field::note("[TCP segment of a reassembled PDU]").with_children(vec![Field::note(detail)])
}

/// The `dns` layer of one message; `tcp_len` is the length prefix it had
/// over TCP.
fn message(msg: &Message<&[u8]>, tcp_len: Option<u16>) -> Protocol {
    let flags = msg.flags();
    let update = flags.opcode().0 == OPCODE_UPDATE;
    let mut fields = Vec::new();
    if let Some(len) = tcp_len {
        fields.push(Field::uint("dns.length", "Length", len));
    }
    let id = msg.id();
    fields.push(Field::new(
        "dns.id",
        Value::Uint(u64::from(id)),
        format!("Transaction ID: {id:#06x}"),
    ));
    fields.push(flags_field(flags));
    let counts: [(&'static str, &str, u16); 4] = if update {
        [
            ("dns.count.zones", "Zones", msg.question_count()),
            (
                "dns.count.prerequisites",
                "Prerequisites",
                msg.answer_count(),
            ),
            ("dns.count.updates", "Updates", msg.authority_count()),
            ("dns.count.add_rr", "Additional RRs", msg.additional_count()),
        ]
    } else {
        [
            ("dns.count.queries", "Questions", msg.question_count()),
            ("dns.count.answers", "Answer RRs", msg.answer_count()),
            ("dns.count.auth_rr", "Authority RRs", msg.authority_count()),
            ("dns.count.add_rr", "Additional RRs", msg.additional_count()),
        ]
    };
    fields.extend(
        counts
            .into_iter()
            .map(|(name, label, n)| Field::uint(name, label, n)),
    );

    let questions: Vec<Field> = msg.questions().map(|q| question(&q)).collect();
    if !questions.is_empty() {
        let title = if update { "Zone" } else { "Queries" };
        fields.push(Field::note(title).with_children(questions));
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        let records: Vec<Field> = msg.records(section).map(|r| record(&r)).collect();
        if records.is_empty() {
            continue;
        }
        let title = match section {
            Section::Answer if update => "Prerequisites",
            Section::Authority if update => "Updates",
            other => other.wireshark_title(),
        };
        fields.push(Field::note(title).with_children(records));
    }

    let trailing = msg.trailing();
    if !trailing.is_empty() {
        fields.push(
            Field::note(format!("Extraneous Data ({} bytes)", trailing.len())).with_children(vec![
                Field::new(
                    "dns.extraneous.data",
                    Value::Bytes(trailing.to_vec()),
                    format!("Extraneous Data Bytes: {}", hex_preview(trailing, PREVIEW)),
                ),
                Field::new(
                    "dns.extraneous.length",
                    Value::Uint(trailing.len() as u64),
                    format!("[Extraneous Data Length: {}]", trailing.len()),
                ),
            ]),
        );
    }

    let kind = if flags.response() {
        "response"
    } else {
        "query"
    };
    Protocol {
        abbrev: "dns",
        summary: format!("Domain Name System ({kind})"),
        fields,
    }
}

/// What an opcode is for, as the flags line describes it.
fn opcode_text(opcode: u8) -> &'static str {
    match opcode {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        6 => "DNS stateful operation",
        _ => "Unknown operation",
    }
}

/// What a response code means (IANA's descriptions, RFC 1035 and after).
fn rcode_text(rcode: u16) -> &'static str {
    match rcode {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "Non-existent domain",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists when it should not",
        7 => "RR set exists when it should not",
        8 => "RR set that should exist does not",
        9 => "Not authoritative",
        10 => "Name not contained in zone",
        11 => "DSO-TYPE not implemented",
        _ => "Unknown error",
    }
}

/// `dns.flags` and its bits. A query leaves out AA, RA and RCODE, and
/// shows AD only when it is set, as Wireshark does.
fn flags_field(flags: Flags) -> Field {
    let raw = flags.0;
    let word = u64::from(raw);
    let response = flags.response();
    let opcode = flags.opcode().0;
    let rcode = flags.rcode().0;
    let bit = |name: &'static str, label: &str, mask: u16| {
        let on = raw & mask != 0;
        Field::new(
            name,
            Value::Bool(on),
            format!("{}{label}: {}", bits(word, u64::from(mask), 16), set(on)),
        )
    };
    let mut lines = vec![
        bit("dns.flags.response", "Response", Flags::RESPONSE),
        Field::new(
            "dns.flags.opcode",
            Value::Uint(u64::from(opcode)),
            format!(
                "{}Opcode: {} ({opcode})",
                bits(word, 0x7800, 16),
                opcode_text(opcode)
            ),
        ),
    ];
    if response {
        lines.push(bit(
            "dns.flags.authoritative",
            "Authoritative",
            Flags::AUTHORITATIVE,
        ));
    }
    lines.push(bit("dns.flags.truncated", "Truncated", Flags::TRUNCATED));
    lines.push(bit(
        "dns.flags.recdesired",
        "Recursion desired",
        Flags::RECURSION_DESIRED,
    ));
    if response {
        lines.push(bit(
            "dns.flags.recavail",
            "Recursion available",
            Flags::RECURSION_AVAILABLE,
        ));
    }
    lines.push(bit("dns.flags.z", "Z", Flags::Z));
    if response {
        lines.push(bit(
            "dns.flags.authenticated",
            "Answer authenticated",
            Flags::AUTHENTIC_DATA,
        ));
    } else if flags.authentic_data() {
        lines.push(bit(
            "dns.flags.authenticated",
            "AD bit",
            Flags::AUTHENTIC_DATA,
        ));
    }
    lines.push(bit(
        "dns.flags.checkdisable",
        "Non-authenticated data",
        Flags::CHECKING_DISABLED,
    ));
    if response {
        lines.push(Field::new(
            "dns.flags.rcode",
            Value::Uint(u64::from(rcode)),
            format!(
                "{}Reply code: {} ({rcode})",
                bits(word, 0x000f, 16),
                rcode_text(rcode)
            ),
        ));
    }
    let mut text = format!("Flags: {raw:#06x} {}", opcode_text(opcode));
    if response {
        let _ = write!(text, " response, {}", rcode_text(rcode));
    }
    Field::new("dns.flags", Value::Uint(word), text).with_children(lines)
}

/// A name as Wireshark shows it, with the counts its query line derives.
struct ShownName {
    /// The text (`www.example.com`, `<Root>`).
    text: String,
    /// Bytes of the unescaped text: what `dns.qry.name.len` counts.
    len: usize,
    /// Dots in the unescaped text, dots inside labels included.
    dots: usize,
}

/// The label bytes joined by dots, escaped for display; `<Root>` for the
/// root.
fn shown_name(name: &Name<'_>) -> ShownName {
    let mut raw = Vec::with_capacity(64);
    for label in name.labels() {
        if !raw.is_empty() {
            raw.push(b'.');
        }
        raw.extend_from_slice(label);
    }
    if raw.is_empty() {
        const ROOT: &str = "<Root>";
        return ShownName {
            text: ROOT.to_owned(),
            len: ROOT.len(),
            dots: 0,
        };
    }
    ShownName {
        text: escape_text(&raw),
        len: raw.len(),
        dots: raw.iter().filter(|&&b| b == b'.').count(),
    }
}

/// The name's display text alone.
fn name_text(name: &Name<'_>) -> String {
    shown_name(name).text
}

/// Bytes as display text, the way Wireshark escapes a string for showing:
/// UTF-8 is kept, each maximal run of bytes that is not UTF-8 becomes one
/// replacement character, ASCII control characters become C escapes
/// (`\t`, `\n`, …) or `\ooo` in octal, other control characters `\uXXXX`.
/// Quotes, backslashes and spaces stay as they are.
fn escape_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x0c' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\x0b' => out.push_str("\\v"),
                c if c.is_ascii_control() => {
                    let _ = write!(out, "\\{:03o}", u32::from(c));
                }
                c if c.is_control() => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out
}

/// Bytes read as ASCII text: each byte from 0x80 up becomes a replacement
/// character; NULs are kept (see [`ascii_text`] for where they end text).
fn ascii_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii() {
            out.push(b);
        } else {
            let mut buf = [0; 4];
            out.extend_from_slice(char::REPLACEMENT_CHARACTER.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// A character string as text: ASCII up to the first NUL, each byte from
/// 0x80 up a replacement character.
fn ascii_text(bytes: &[u8]) -> String {
    bytes
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

/// `Type: A (1)`.
fn type_text(rtype: RecordType) -> String {
    format!("{rtype} ({})", rtype.0)
}

/// `Class: IN (0x0001)`.
fn class_field(name: &'static str, class: Class) -> Field {
    Field::new(
        name,
        Value::Uint(u64::from(class.0)),
        format!("Class: {class} ({:#06x})", class.0),
    )
}

fn question(q: &Question<'_>) -> Field {
    let shown = shown_name(&q.name());
    // Wireshark reports a one-character name as 0 long with 0 labels.
    let (len, labels) = if shown.len > 1 {
        (shown.len, shown.dots + 1)
    } else {
        (0, 0)
    };
    let (qtype, qclass) = (q.qtype(), q.qclass());
    Field::note(format!("{}: type {qtype}, class {qclass}", shown.text)).with_children(vec![
        Field::new(
            "dns.qry.name",
            Value::Text(shown.text.clone()),
            format!("Name: {}", shown.text),
        ),
        Field::new(
            "dns.qry.name.len",
            Value::Uint(len as u64),
            format!("[Name Length: {len}]"),
        ),
        Field::new(
            "dns.count.labels",
            Value::Uint(labels as u64),
            format!("[Label Count: {labels}]"),
        ),
        Field::new(
            "dns.qry.type",
            Value::Uint(u64::from(qtype.0)),
            format!("Type: {}", type_text(qtype)),
        ),
        class_field("dns.qry.class", qclass),
    ])
}

/// A text field whose tree line shows the text escaped onto one line.
fn text_field(name: &'static str, label: &str, text: String) -> Field {
    let line = format!("{label}: {}", escape_text(text.as_bytes()));
    Field::new(name, Value::Text(text), line)
}

/// A name field (`dns.cname`, `dns.ns`, …).
fn name_field(name: &'static str, label: &str, value: &Name<'_>) -> Field {
    Field::text(name, label, name_text(value))
}

fn record(r: &Record<'_>) -> Field {
    let owner = name_text(&r.name());
    let rtype = r.rtype();
    let rdata = r.rdata();
    let len_field = Field::uint("dns.resp.len", "Data length", rdata.len() as u64);
    let type_field = Field::new(
        "dns.resp.type",
        Value::Uint(u64::from(rtype.0)),
        format!("Type: {}", type_text(rtype)),
    );

    if let (RData::Opt(_), Some(edns)) = (r.data(), r.edns()) {
        let z = u64::from(edns.flags);
        let mut fields = vec![
            Field::text("dns.resp.name", "Name", &owner),
            type_field,
            Field::uint(
                "dns.rr.udp_payload_size",
                "UDP payload size",
                edns.udp_payload_size,
            ),
            Field::new(
                "dns.resp.ext_rcode",
                Value::Uint(u64::from(edns.extended_rcode)),
                format!(
                    "Higher bits in extended RCODE: {:#04x}",
                    edns.extended_rcode
                ),
            ),
            Field::uint("dns.resp.edns0_version", "EDNS0 version", edns.version),
            Field::new("dns.resp.z", Value::Uint(z), format!("Z: {z:#06x}")).with_children(vec![
                Field::new(
                    "dns.resp.z.do",
                    Value::Bool(edns.dnssec_ok()),
                    format!("{}DO bit: {}", bits(z, 0x8000, 16), set(edns.dnssec_ok())),
                ),
                Field::new(
                    "dns.resp.z.reserved",
                    Value::Uint(z & 0x7fff),
                    format!("{}Reserved: {:#06x}", bits(z, 0x7fff, 16), z & 0x7fff),
                ),
            ]),
            len_field,
        ];
        fields.extend(edns.options.iter().map(|o| edns_option(&o)));
        return Field::note(format!("{owner}: type {rtype}")).with_children(fields);
    }

    let class = r.class();
    let mut fields = Vec::with_capacity(12);
    if rtype == RecordType::SRV {
        // _service._proto.name: the first two labels, and the rest.
        let mut parts = owner.splitn(3, '.');
        for (name, label) in [
            ("dns.srv.service", "Service"),
            ("dns.srv.proto", "Protocol"),
            ("dns.srv.name", "Name"),
        ] {
            if let Some(part) = parts.next() {
                fields.push(Field::text(name, label, part));
            }
        }
    } else {
        fields.push(Field::text("dns.resp.name", "Name", &owner));
    }
    fields.push(type_field);
    fields.push(class_field("dns.resp.class", class));
    fields.push(seconds_field("dns.resp.ttl", "Time to live", r.ttl()));
    fields.push(len_field);
    let mut heading = format!("{owner}: type {rtype}, class {class}");
    // Empty RDATA (dynamic update's deletions, say) has nothing to show.
    if !rdata.is_empty() {
        rdata_fields(r, &mut fields, &mut heading);
    }
    Field::note(heading).with_children(fields)
}

/// The RDATA's own fields, and what the record's heading adds for them.
fn rdata_fields(r: &Record<'_>, fields: &mut Vec<Field>, heading: &mut String) {
    let rdata = r.rdata();
    match r.data() {
        RData::A(addr) => a_field(addr, fields, heading),
        RData::Aaaa(addr) => aaaa_field(addr, fields, heading),
        RData::Cname(name) => {
            let _ = write!(heading, ", cname {}", name_text(&name));
            fields.push(name_field("dns.cname", "CNAME", &name));
        }
        RData::Ns(name) => {
            let _ = write!(heading, ", ns {}", name_text(&name));
            fields.push(name_field("dns.ns", "Name Server", &name));
        }
        RData::Ptr(name) => {
            let _ = write!(heading, ", {}", name_text(&name));
            fields.push(name_field("dns.ptr.domain_name", "Domain Name", &name));
        }
        RData::Mx(mx) => {
            let exchange = name_text(&mx.exchange);
            let _ = write!(heading, ", preference {}, mx {exchange}", mx.preference);
            fields.push(Field::uint(
                "dns.mx.preference",
                "Preference",
                mx.preference,
            ));
            fields.push(Field::text(
                "dns.mx.mail_exchange",
                "Mail Exchange",
                exchange,
            ));
        }
        RData::Txt(txt) => {
            for string in txt.strings() {
                fields.push(Field::uint(
                    "dns.txt.length",
                    "TXT Length",
                    string.len() as u64,
                ));
                fields.push(text_field("dns.txt", "TXT", ascii_text(string)));
            }
        }
        RData::Soa(soa) => {
            let mname = name_text(&soa.mname);
            let _ = write!(heading, ", mname {mname}");
            fields.push(Field::text("dns.soa.mname", "Primary name server", mname));
            fields.push(name_field(
                "dns.soa.rname",
                "Responsible authority's mailbox",
                &soa.rname,
            ));
            fields.push(Field::uint(
                "dns.soa.serial_number",
                "Serial Number",
                soa.serial,
            ));
            for (name, label, secs) in [
                ("dns.soa.refresh_interval", "Refresh Interval", soa.refresh),
                ("dns.soa.retry_interval", "Retry Interval", soa.retry),
                ("dns.soa.expire_limit", "Expire limit", soa.expire),
                ("dns.soa.minimum_ttl", "Minimum TTL", soa.minimum),
            ] {
                fields.push(seconds_field(name, label, secs));
            }
        }
        RData::Srv(srv) => {
            let target = name_text(&srv.target);
            let _ = write!(
                heading,
                ", priority {}, weight {}, port {}, target {target}",
                srv.priority, srv.weight, srv.port
            );
            fields.push(Field::uint("dns.srv.priority", "Priority", srv.priority));
            fields.push(Field::uint("dns.srv.weight", "Weight", srv.weight));
            fields.push(Field::uint("dns.srv.port", "Port", srv.port));
            fields.push(Field::text("dns.srv.target", "Target", target));
        }
        RData::Caa(caa) => caa_fields(&caa, rdata.len(), fields),
        // Read only for an OPT record, which `record` handled.
        RData::Opt(_) => {}
        RData::Unknown { rtype, data } => {
            // A and AAAA outside class IN: Wireshark reads the address all
            // the same.
            if let (RecordType::A, Ok(octets)) = (rtype, <[u8; 4]>::try_from(data)) {
                return a_field(Ipv4Addr::from(octets), fields, heading);
            }
            if let (RecordType::AAAA, Ok(octets)) = (rtype, <[u8; 16]>::try_from(data)) {
                return aaaa_field(Ipv6Addr::from(octets), fields, heading);
            }
            fields.push(Field::note(format!(
                "[RDATA of type {rtype} is not dissected by strata]"
            )));
            fields.push(Field::new(
                "dns.data",
                Value::Bytes(data.to_vec()),
                format!("Data: {}", hex_preview(data, PREVIEW)),
            ));
        }
    }
}

fn a_field(addr: Ipv4Addr, fields: &mut Vec<Field>, heading: &mut String) {
    let _ = write!(heading, ", addr {addr}");
    fields.push(Field::text("dns.a", "Address", addr));
}

fn aaaa_field(addr: Ipv6Addr, fields: &mut Vec<Field>, heading: &mut String) {
    let _ = write!(heading, ", addr {addr}");
    fields.push(Field::text("dns.aaaa", "AAAA Address", addr));
}

/// Whether the C string `a` equals `b` in its first `n` bytes, as
/// `strncmp(a, b, n) == 0` decides (a NUL ends either).
fn c_prefix_eq(a: &[u8], b: &[u8], n: usize) -> bool {
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return false;
        }
        if x == 0 {
            return true;
        }
    }
    true
}

/// CAA (RFC 8659): the flags, then the property under the field its tag
/// names, with the tag and value under it.
///
/// Wireshark picks the field by comparing the tag with `issue`,
/// `issuewild` and `iodef` over the tag's own length (so a tag that is a
/// prefix of one of them counts as it), and shows the value as ASCII text
/// cut to the value's length in bytes after the conversion; strata does the
/// same, so the fields agree.
fn caa_fields(caa: &Caa<&[u8]>, rdlen: usize, fields: &mut Vec<Field>) {
    let flags = u64::from(caa.flags);
    fields.push(
        Field::new(
            "dns.caa.flags",
            Value::Uint(flags),
            format!("CAA Flags: {flags:#04x}"),
        )
        .with_children(vec![Field::new(
            "dns.caa.flags.issuer_critical",
            Value::Bool(caa.critical()),
            format!(
                "{}Issuer Critical: {}",
                bits(flags, 0x80, 8),
                set(caa.critical())
            ),
        )]),
    );
    let tag = ascii_text(caa.tag);
    let tag_len = caa.tag.len();
    let value_len = rdlen.saturating_sub(tag_len + 2);
    let converted = ascii_bytes(caa.value);
    let value = escape_text(converted.get(..value_len).unwrap_or(&converted));
    let (name, label) = [
        ("issue", "dns.caa.issue", "Issue"),
        ("issuewild", "dns.caa.issuewild", "Issue Wildcard"),
        ("iodef", "dns.caa.iodef", "Report URL"),
    ]
    .into_iter()
    .find(|(known, _, _)| c_prefix_eq(tag.as_bytes(), known.as_bytes(), tag_len))
    .map_or(("dns.caa.unknown", "Unknown tag"), |(_, name, label)| {
        (name, label)
    });
    fields.push(Field::text(name, label, &value).with_children(vec![
        Field::uint("dns.caa.tag_length", "Tag length", tag_len as u64),
        text_field("dns.caa.tag", "Tag", tag),
        Field::text("dns.caa.value", "Value", value),
    ]));
}

/// One EDNS(0) option: code, length and data, and the parts of the options
/// strata reads further.
fn edns_option(option: &EdnsOption<'_>) -> Field {
    let code = option.code;
    let data = option.data;
    let code_name = code.name().unwrap_or("Unknown");
    let mut fields = vec![
        Field::new(
            "dns.opt.code",
            Value::Uint(u64::from(code.0)),
            format!("Option Code: {code_name} ({})", code.0),
        ),
        Field::uint("dns.opt.len", "Option Length", data.len() as u64),
        bytes_field("dns.opt.data", "Option Data", data),
    ];
    if code == OptionCode::COOKIE {
        // RFC 7873: an 8-byte client cookie, then the server's, if any.
        if let Some((client, server)) = data.split_at_checked(8) {
            fields.push(bytes_field(
                "dns.opt.cookie.client",
                "Client Cookie",
                client,
            ));
            fields.push(bytes_field(
                "dns.opt.cookie.server",
                "Server Cookie",
                server,
            ));
        }
    } else if code == OptionCode::PADDING {
        fields.push(bytes_field("dns.opt.padding", "Padding", data));
    } else if code == OptionCode::CLIENT_SUBNET {
        client_subnet(data, &mut fields);
    }
    let heading = match code.name() {
        Some(name) => format!("Option: {name}"),
        None => format!("Option: Unknown ({})", code.0),
    };
    // Wireshark's dns.opt marks each option; it has no value of its own.
    Field::new("dns.opt", Value::Bool(true), heading).with_children(fields)
}

/// A byte field; the tree says `(empty)` for no bytes.
fn bytes_field(name: &'static str, label: &str, bytes: &[u8]) -> Field {
    let shown = if bytes.is_empty() {
        "(empty)".to_owned()
    } else {
        hex_preview(bytes, PREVIEW)
    };
    Field::new(
        name,
        Value::Bytes(bytes.to_vec()),
        format!("{label}: {shown}"),
    )
}

/// A number of seconds with its reading in days, hours, minutes and
/// seconds, for TTLs and SOA timers: `600 (10 minutes)`.
fn seconds_field(name: &'static str, label: &str, secs: u32) -> Field {
    let mut parts = Vec::with_capacity(4);
    let mut rest = secs;
    for (unit, size) in [
        ("day", 86_400),
        ("hour", 3_600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            let plural = if n == 1 { "" } else { "s" };
            parts.push(format!("{n} {unit}{plural}"));
        }
    }
    let reading = if parts.is_empty() {
        "0 seconds".to_owned()
    } else {
        parts.join(", ")
    };
    Field::new(
        name,
        Value::Uint(u64::from(secs)),
        format!("{label}: {secs} ({reading})"),
    )
}

/// The client subnet option (RFC 7871): family, source and scope prefix
/// lengths, and the address, shown as a whole address padded with zeros.
fn client_subnet(data: &[u8], fields: &mut Vec<Field>) {
    let Some(([f0, f1, source, scope], addr)) = data.split_first_chunk::<4>().map(|(h, a)| (*h, a))
    else {
        return;
    };
    let family = u16::from_be_bytes([f0, f1]);
    fields.push(Field::uint("dns.opt.client.family", "Family", family));
    fields.push(Field::uint(
        "dns.opt.client.netmask",
        "Source Netmask",
        source,
    ));
    fields.push(Field::uint("dns.opt.client.scope", "Scope Netmask", scope));
    let mut padded = [0u8; 16];
    for (dst, src) in padded.iter_mut().zip(addr) {
        *dst = *src;
    }
    match family {
        1 => {
            let [a, b, c, d, ..] = padded;
            fields.push(Field::text(
                "dns.opt.client.addr4",
                "Client Subnet",
                Ipv4Addr::new(a, b, c, d),
            ));
        }
        2 => fields.push(Field::text(
            "dns.opt.client.addr6",
            "Client Subnet",
            Ipv6Addr::from(padded),
        )),
        _ => fields.push(bytes_field("dns.opt.client.addr", "Client Subnet", addr)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_wireshark_shows_names() {
        assert_eq!(escape_text(b"www.example.com"), "www.example.com");
        assert_eq!(escape_text(b"t\tn\nd\x7fq\""), "t\\tn\\nd\\177q\"");
        assert_eq!(escape_text(b"x\x01y\x00"), "x\\001y\\000");
        assert_eq!(escape_text(b"back\\slash sp"), "back\\slash sp");
        assert_eq!(escape_text("café".as_bytes()), "café");
        assert_eq!(escape_text(b"\xff\xfe"), "\u{fffd}\u{fffd}");
        assert_eq!(escape_text(b"\xe2\x82z"), "\u{fffd}z");
        assert_eq!(escape_text(b"\xc2\x85"), "\\u0085");
    }

    #[test]
    fn ascii_text_ends_at_nul_and_replaces_high_bytes() {
        assert_eq!(ascii_text(b"a\0b"), "a");
        assert_eq!(ascii_text(b"caf\xc3\xa9"), "caf\u{fffd}\u{fffd}");
        assert_eq!(ascii_text(b"\x7f\t"), "\x7f\t");
    }

    #[test]
    fn seconds_read_as_durations() {
        let text = |secs| seconds_field("dns.resp.ttl", "Time to live", secs).text;
        assert_eq!(text(600), "Time to live: 600 (10 minutes)");
        assert_eq!(text(0), "Time to live: 0 (0 seconds)");
        assert_eq!(
            text(90_061),
            "Time to live: 90061 (1 day, 1 hour, 1 minute, 1 second)"
        );
        assert_eq!(text(518_400), "Time to live: 518400 (6 days)");
    }

    #[test]
    fn c_prefix_comparison() {
        assert!(c_prefix_eq(b"iss", b"issue", 3));
        assert!(c_prefix_eq(b"issue", b"issue", 5));
        assert!(!c_prefix_eq(b"issuewild", b"issue", 9));
        assert!(c_prefix_eq(b"", b"issue", 0));
        assert!(!c_prefix_eq(b"tbs", b"issue", 3));
    }
}
