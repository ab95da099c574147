//! A small sans-IO authoritative name server: a [`Zone`] of records and a
//! [`Responder`] that turns query bytes into response bytes.
//!
//! The responder never touches a socket: the caller reads a datagram (or a
//! length-prefixed message from a TCP stream, see [`StreamReader`]), calls
//! [`Responder::respond`] (UDP) or [`Responder::respond_tcp`] (TCP), and
//! sends what it wrote.
//!
//! What it answers (RFC 1034 4.3.2, simplified to one zone without
//! delegations or wildcards):
//!
//! - a name in the zone with records of the asked type: those records,
//!   authoritative (AA), NOERROR; `ANY` gets every record of the name;
//! - a name with a CNAME (and another type asked): the CNAME, and the chase
//!   continues at its target while the target lies in the zone (at most
//!   [`MAX_CNAME_CHAIN`] links; a loop stops there). The RCODE is that of the
//!   last name of the chain (RFC 6604);
//! - a name that exists without the asked type (NODATA) or does not exist
//!   (NXDOMAIN; a name with only descendants is an "empty non-terminal" and
//!   exists): the zone's SOA in the authority section, with the TTL of
//!   RFC 2308 (the smaller of the SOA's TTL and its MINIMUM);
//! - MX, NS and SRV answers bring the A and AAAA records of their targets in
//!   the zone as additional records;
//! - a name outside the zone, or a class other than IN/ANY: REFUSED; an
//!   opcode other than QUERY: NOTIMP; a zone transfer (AXFR/IXFR): REFUSED;
//!   a message that does not parse, or does not hold exactly one question:
//!   FORMERR; EDNS version above 0: BADVERS (RFC 6891 6.1.3).
//!
//! EDNS(0): when the query carries an OPT record the response carries one
//! too, advertising the responder's own UDP limit, with the DO bit copied
//! (RFC 3225). A UDP response is at most 512 bytes without EDNS, otherwise
//! the querier's advertised size (at least 512), and never more than the
//! `max_udp` the caller passes. When the answer records do not all fit, the
//! response carries the question only, with TC set, and the querier asks
//! again over TCP (RFC 2181 9, RFC 7766); authority and additional records
//! that do not fit are left out without TC.
//!
//! ```
//! use strata_dns::server::{Responder, Zone};
//! use strata_dns::wire::{Builder, Class, Flags, Message, NameBuf, RData, Rcode, RecordType};
//! use core::net::Ipv4Addr;
//!
//! let zone = Zone::parse(
//!     "$ORIGIN example.test.\n\
//!      @      3600 SOA ns1 hostmaster 1 3600 600 86400 300\n\
//!      @      3600 NS  ns1\n\
//!      ns1    3600 A   198.18.0.2\n\
//!      server  300 A   198.18.0.2\n\
//!      www     300 CNAME server\n",
//! )?;
//! let responder = Responder::new(zone);
//!
//! let qname: NameBuf = "www.example.test".parse()?;
//! let mut buf = [0u8; 512];
//! let mut q = Builder::new(&mut buf, 0x4242, Flags::QUERY)?;
//! q.question(qname.as_name(), RecordType::A, Class::IN)?;
//! let query = q.finish().to_vec();
//!
//! let mut out = [0u8; 512];
//! let len = responder.respond(&query, &mut out, 1232)?;
//! let msg = Message::parse(&out[..len])?;
//! assert!(msg.is_response() && msg.flags().authoritative());
//! assert_eq!(msg.rcode(), Rcode::NOERROR);
//! let data: Vec<_> = msg.answers().map(|r| r.data()).collect();
//! assert!(matches!(data[0], RData::Cname(target) if target == "server.example.test"));
//! assert_eq!(data[1], RData::A(Ipv4Addr::new(198, 18, 0, 2)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::collections::{HashMap, HashSet};
use std::string::String;
use std::vec::Vec;

use crate::wire::{
    Builder, Class, Edns, EmitError, Flags, HEADER_LEN, MAX_UDP_LEN, Message, Mx, Name, NameBuf,
    NameError, Opcode, RData, RDataRepr, Rcode, RecordRepr, RecordType, Section, Soa, Srv,
};

/// CNAME links followed within the zone for one question.
pub const MAX_CNAME_CHAIN: usize = 8;

/// Records a zone holds at most unless told otherwise ([`Zone::set_limit`]).
pub const DEFAULT_MAX_RECORDS: usize = 65_536;

/// The UDP payload size the responder advertises in its OPT record unless
/// told otherwise ([`Responder::with_udp_payload_size`]).
pub const DEFAULT_UDP_PAYLOAD: u16 = 1232;

/// Length of an OPT record without options: root name, TYPE, CLASS, TTL,
/// RDLENGTH.
const OPT_LEN: usize = 11;

/// Why a record could not be added to a zone, or a zone text not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneError {
    /// A name is not valid.
    Name(NameError),
    /// The record's owner lies outside the zone's origin.
    OutsideZone,
    /// A CNAME would share its name with other data, or another record
    /// would join a CNAME (RFC 1034 3.6.2).
    CnameConflict,
    /// The zone holds its limit of records.
    Full,
    /// An OPT record, or a record type the zone does not serve.
    UnsupportedType,
    /// A line of zone text does not read; `line` counts from 1.
    Syntax {
        /// The line.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoneError::Name(e) => write!(f, "invalid name: {e}"),
            ZoneError::OutsideZone => f.write_str("record owner lies outside the zone"),
            ZoneError::CnameConflict => {
                f.write_str("a CNAME cannot share its name with other data")
            }
            ZoneError::Full => f.write_str("the zone holds its limit of records"),
            ZoneError::UnsupportedType => f.write_str("record type not served by the zone"),
            ZoneError::Syntax { line, reason } => write!(f, "zone text line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ZoneError {}

impl From<NameError> for ZoneError {
    fn from(e: NameError) -> Self {
        ZoneError::Name(e)
    }
}

/// The records of one zone, keyed by owner name (case-insensitive).
///
/// Every zone has an SOA at its origin (given to [`Zone::new`]). Names that
/// lie between the origin and an owner name ("empty non-terminals") exist
/// without data, as RFC 8020 wants.
#[derive(Clone, Debug)]
pub struct Zone {
    origin: NameBuf,
    soa: RecordRepr,
    records: HashMap<NameBuf, Vec<RecordRepr>>,
    /// Every name at or above an owner name, up to the origin.
    existing: HashSet<NameBuf>,
    len: usize,
    max_records: usize,
}

impl Zone {
    /// A zone at `origin` holding only its SOA record.
    #[must_use]
    pub fn new(origin: NameBuf, ttl: u32, soa: Soa<NameBuf>) -> Zone {
        let soa = RecordRepr {
            name: origin.clone(),
            class: Class::IN,
            ttl,
            data: RDataRepr::Soa(Box::new(soa)),
        };
        let mut records = HashMap::new();
        records.insert(origin.clone(), vec![soa.clone()]);
        let mut existing = HashSet::new();
        existing.insert(origin.clone());
        Zone {
            origin,
            soa,
            records,
            existing,
            len: 1,
            max_records: DEFAULT_MAX_RECORDS,
        }
    }

    /// Caps the number of records (the SOA included).
    pub fn set_limit(&mut self, max_records: usize) {
        self.max_records = max_records;
    }

    /// The zone's apex.
    #[must_use]
    pub fn origin(&self) -> &NameBuf {
        &self.origin
    }

    /// The SOA record.
    #[must_use]
    pub fn soa(&self) -> &RecordRepr {
        &self.soa
    }

    /// Records held, the SOA included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a zone always holds its SOA.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Adds a record in class IN.
    ///
    /// # Errors
    /// [`ZoneError::OutsideZone`], [`ZoneError::CnameConflict`],
    /// [`ZoneError::Full`], [`ZoneError::UnsupportedType`] (OPT, or a second
    /// SOA).
    pub fn add(&mut self, name: NameBuf, ttl: u32, data: RDataRepr) -> Result<(), ZoneError> {
        if !name.is_subdomain_of(&self.origin.as_name()) {
            return Err(ZoneError::OutsideZone);
        }
        if matches!(data, RDataRepr::Opt(_) | RDataRepr::Soa(_)) {
            return Err(ZoneError::UnsupportedType);
        }
        if self.len >= self.max_records {
            return Err(ZoneError::Full);
        }
        let is_cname = matches!(data, RDataRepr::Cname(_));
        if let Some(existing) = self.records.get(&name) {
            let has_cname = existing.iter().any(|r| r.rtype() == RecordType::CNAME);
            if (is_cname && !existing.is_empty()) || has_cname {
                return Err(ZoneError::CnameConflict);
            }
        }
        // Mark the name and every ancestor up to the origin as existing.
        let mut current = name.clone();
        while current != self.origin && self.existing.insert(current.clone()) {
            current = NameBuf::from_labels(current.labels().skip(1))?;
        }
        let record = RecordRepr {
            name: name.clone(),
            class: Class::IN,
            ttl,
            data,
        };
        let entry = self.records.entry(name).or_default();
        if !entry.contains(&record) {
            entry.push(record);
            self.len += 1;
        }
        Ok(())
    }

    /// Adds an A record; `name` is absolute text (`"server.example.test"`).
    ///
    /// # Errors
    /// As [`Zone::add`], and [`ZoneError::Name`].
    pub fn add_a(&mut self, name: &str, ttl: u32, addr: Ipv4Addr) -> Result<(), ZoneError> {
        self.add(name.parse()?, ttl, RDataRepr::A(addr))
    }

    /// The records of `name` (all types), if the name has any.
    #[must_use]
    pub fn records(&self, name: &Name<'_>) -> Option<&[RecordRepr]> {
        self.records.get(&name.to_name_buf()).map(Vec::as_slice)
    }

    /// Whether `name` exists in the zone (has records or descendants).
    #[must_use]
    pub fn exists(&self, name: &Name<'_>) -> bool {
        self.existing.contains(&name.to_name_buf())
    }

    /// Whether `name` is the origin or lies below it.
    #[must_use]
    pub fn contains(&self, name: &Name<'_>) -> bool {
        name.is_subdomain_of(&self.origin.as_name())
    }

    /// Reads a zone from a small subset of the RFC 1035 master file format.
    ///
    /// One record per line: `owner [ttl] [IN] TYPE rdata`. `$ORIGIN name`
    /// sets the origin (it must come first), `$TTL n` the default TTL; `@`
    /// is the origin; names without a final dot are relative to the origin;
    /// a blank owner repeats the previous one (the line starts with
    /// whitespace); `;` starts a comment. The first record must be the SOA at
    /// the origin (`SOA mname rname serial refresh retry expire minimum`, on
    /// one line). Types: A, AAAA, CNAME, NS, PTR, MX (`pref host`), TXT (one
    /// or more quoted or bare strings, `\"` and `\\` escapes), SRV
    /// (`prio weight port target`).
    ///
    /// # Errors
    /// [`ZoneError::Syntax`] naming the line, or the errors of
    /// [`Zone::add`].
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let mut origin: Option<NameBuf> = None;
        let mut default_ttl = 3600u32;
        let mut zone: Option<Zone> = None;
        let mut last_owner: Option<NameBuf> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let syntax = |reason| ZoneError::Syntax { line, reason };
            let content = strip_comment(raw);
            if content.trim().is_empty() {
                continue;
            }
            let tokens = tokenize(content).ok_or(syntax("unterminated quoted string"))?;
            let mut tokens = tokens.iter().map(String::as_str);
            let blank_owner = content.starts_with([' ', '\t']);
            let directive = content.split_whitespace().next().filter(|_| !blank_owner);
            let argument = content.split_whitespace().nth(1);
            if directive.is_some_and(|d| d.eq_ignore_ascii_case("$ORIGIN")) {
                let value = argument.ok_or(syntax("$ORIGIN needs a name"))?;
                if zone.is_some() {
                    return Err(syntax("$ORIGIN after the first record"));
                }
                origin = Some(value.parse()?);
                continue;
            }
            if directive.is_some_and(|d| d.eq_ignore_ascii_case("$TTL")) {
                let value = argument.ok_or(syntax("$TTL needs a number"))?;
                default_ttl = value.parse().map_err(|_| syntax("bad $TTL"))?;
                continue;
            }
            let Some(base) = origin.as_ref() else {
                return Err(syntax("no $ORIGIN before the first record"));
            };
            let owner = if blank_owner {
                last_owner.clone().ok_or(syntax("no previous owner"))?
            } else {
                let text = tokens.next().ok_or(syntax("missing owner"))?;
                absolute(text, base)?
            };
            last_owner = Some(owner.clone());
            let mut ttl = default_ttl;
            let mut token = tokens.next().ok_or(syntax("missing type"))?;
            if let Ok(value) = token.parse::<u32>() {
                ttl = value;
                token = tokens.next().ok_or(syntax("missing type"))?;
            }
            if token.eq_ignore_ascii_case("IN") {
                token = tokens.next().ok_or(syntax("missing type"))?;
            }
            let rtype = token.to_ascii_uppercase();
            let rest: Vec<&str> = tokens.collect();
            if rtype == "SOA" {
                if zone.is_some() {
                    return Err(syntax("a second SOA"));
                }
                if owner != *base {
                    return Err(syntax("the SOA must be at the origin"));
                }
                let [mname, rname, serial, refresh, retry, expire, minimum] = rest.as_slice()
                else {
                    return Err(syntax(
                        "SOA needs mname rname serial refresh retry expire minimum",
                    ));
                };
                let number = |t: &str| t.parse::<u32>().map_err(|_| syntax("bad SOA number"));
                let soa = Soa {
                    mname: absolute(mname, base)?,
                    rname: absolute(rname, base)?,
                    serial: number(serial)?,
                    refresh: number(refresh)?,
                    retry: number(retry)?,
                    expire: number(expire)?,
                    minimum: number(minimum)?,
                };
                zone = Some(Zone::new(base.clone(), ttl, soa));
                continue;
            }
            let Some(z) = zone.as_mut() else {
                return Err(syntax("the first record must be the SOA"));
            };
            let data = rdata_from_text(&rtype, &rest, base).map_err(syntax)?;
            z.add(owner, ttl, data).map_err(|e| match e {
                ZoneError::Syntax { .. } | ZoneError::Name(_) => e,
                _ => ZoneError::Syntax {
                    line,
                    reason: match e {
                        ZoneError::OutsideZone => "owner outside the zone",
                        ZoneError::CnameConflict => "CNAME and other data",
                        ZoneError::Full => "zone full",
                        _ => "record type not served",
                    },
                },
            })?;
        }
        zone.ok_or(ZoneError::Syntax {
            line: 0,
            reason: "no SOA record",
        })
    }
}

/// The text before a `;` that is not inside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => return line.get(..i).unwrap_or(""),
            _ => {}
        }
    }
    line
}

/// Splits on whitespace, keeping quoted strings (unescaped) as one token.
fn tokenize(line: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut token = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => token.push(chars.next()?),
                    '"' => {
                        closed = true;
                        break;
                    }
                    _ => token.push(c),
                }
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        tokens.push(token);
    }
    Some(tokens)
}

/// A name from zone text: `@` is the origin, a final dot means absolute,
/// anything else is relative to the origin.
fn absolute(text: &str, origin: &NameBuf) -> Result<NameBuf, ZoneError> {
    if text == "@" {
        return Ok(origin.clone());
    }
    if text.ends_with('.') {
        return Ok(text.parse()?);
    }
    if origin.is_root() {
        return Ok(text.parse()?);
    }
    Ok(format!("{text}.{origin}").parse()?)
}

fn rdata_from_text(
    rtype: &str,
    rest: &[&str],
    origin: &NameBuf,
) -> Result<RDataRepr, &'static str> {
    let name = |t: &str| absolute(t, origin).map_err(|_| "bad name");
    match (rtype, rest) {
        ("A", [addr]) => addr
            .parse::<Ipv4Addr>()
            .map(RDataRepr::A)
            .map_err(|_| "bad IPv4 address"),
        ("AAAA", [addr]) => addr
            .parse::<Ipv6Addr>()
            .map(RDataRepr::Aaaa)
            .map_err(|_| "bad IPv6 address"),
        ("CNAME", [target]) => Ok(RDataRepr::Cname(name(target)?)),
        ("NS", [target]) => Ok(RDataRepr::Ns(name(target)?)),
        ("PTR", [target]) => Ok(RDataRepr::Ptr(name(target)?)),
        ("MX", [preference, exchange]) => Ok(RDataRepr::Mx(Mx {
            preference: preference.parse().map_err(|_| "bad MX preference")?,
            exchange: name(exchange)?,
        })),
        ("SRV", [priority, weight, port, target]) => Ok(RDataRepr::Srv(Srv {
            priority: priority.parse().map_err(|_| "bad SRV priority")?,
            weight: weight.parse().map_err(|_| "bad SRV weight")?,
            port: port.parse().map_err(|_| "bad SRV port")?,
            target: name(target)?,
        })),
        ("TXT", strings) if !strings.is_empty() => {
            if strings.iter().any(|s| s.len() > 255) {
                return Err("TXT string over 255 octets");
            }
            Ok(RDataRepr::Txt(
                strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
            ))
        }
        ("A" | "AAAA" | "CNAME" | "NS" | "PTR" | "MX" | "SRV" | "TXT", _) => {
            Err("wrong number of fields for the type")
        }
        _ => Err("unsupported record type"),
    }
}

/// Why no response was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RespondError {
    /// Fewer than 12 bytes: not even a header to answer.
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// The message is a response (QR set); answering it could start a loop.
    NotAQuery,
    /// The output buffer cannot hold even the header and question.
    BufferTooSmall {
        /// Bytes needed at least.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for RespondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RespondError::TooShort { len } => {
                write!(f, "message of {len} bytes is shorter than a DNS header")
            }
            RespondError::NotAQuery => f.write_str("message is a response, not a query"),
            RespondError::BufferTooSmall { needed, available } => write!(
                f,
                "response buffer too small: {needed} bytes needed, {available} available"
            ),
        }
    }
}

impl std::error::Error for RespondError {}

/// What the responder decided for one query, before writing it.
struct Plan<'z> {
    rcode: Rcode,
    authoritative: bool,
    answers: Vec<&'z RecordRepr>,
    authority: Vec<(&'z RecordRepr, u32)>,
    additional: Vec<&'z RecordRepr>,
}

impl Plan<'_> {
    fn error(rcode: Rcode) -> Self {
        Plan {
            rcode,
            authoritative: false,
            answers: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
        }
    }
}

/// The query's EDNS(0) information that the response depends on.
#[derive(Clone, Copy)]
struct QueryEdns {
    payload: u16,
    version: u8,
    dnssec_ok: bool,
}

/// Counters of what the responder answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponderStats {
    /// Responses written.
    pub responses: u64,
    /// Of which NXDOMAIN.
    pub nxdomain: u64,
    /// Of which REFUSED.
    pub refused: u64,
    /// Of which truncated (TC).
    pub truncated: u64,
}

/// Answers queries from one [`Zone`].
#[derive(Clone, Debug)]
pub struct Responder {
    zone: Zone,
    udp_payload_size: u16,
    stats: core::cell::Cell<ResponderStats>,
}

impl Responder {
    /// A responder for `zone`, advertising [`DEFAULT_UDP_PAYLOAD`].
    #[must_use]
    pub fn new(zone: Zone) -> Responder {
        Responder {
            zone,
            udp_payload_size: DEFAULT_UDP_PAYLOAD,
            stats: core::cell::Cell::new(ResponderStats::default()),
        }
    }

    /// Advertises `size` (at least 512) as the responder's UDP payload size.
    #[must_use]
    pub fn with_udp_payload_size(mut self, size: u16) -> Responder {
        self.udp_payload_size = size.max(512);
        self
    }

    /// The zone served.
    #[must_use]
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The zone served, to add records while serving.
    pub fn zone_mut(&mut self) -> &mut Zone {
        &mut self.zone
    }

    /// What has been answered so far.
    #[must_use]
    pub fn stats(&self) -> ResponderStats {
        self.stats.get()
    }

    /// Answers a query received over UDP, writing the response into `out`;
    /// returns its length.
    ///
    /// The response is at most 512 bytes for a query without EDNS(0), else
    /// the querier's advertised size, and in any case at most `max_udp` (the
    /// largest datagram the caller can send) and `out.len()`. An answer that
    /// does not fit is sent as the question alone with TC set.
    ///
    /// # Errors
    /// [`RespondError`] when nothing should be sent: a message too short to
    /// have a header, a response, or an `out` too small for the header and
    /// question.
    pub fn respond(
        &self,
        query: &[u8],
        out: &mut [u8],
        max_udp: usize,
    ) -> Result<usize, RespondError> {
        self.answer(query, out, Some(max_udp))
    }

    /// Answers a query received over TCP: `query` is the message without
    /// its length prefix; `out` receives the 2-byte length and the full
    /// response (up to 65,535 bytes and `out.len() - 2`). Returns the bytes
    /// written, prefix included.
    ///
    /// # Errors
    /// As [`Responder::respond`].
    pub fn respond_tcp(&self, query: &[u8], out: &mut [u8]) -> Result<usize, RespondError> {
        let available = out.len();
        let Some((prefix, body)) = out.split_at_mut_checked(2) else {
            return Err(RespondError::BufferTooSmall {
                needed: 2 + HEADER_LEN,
                available,
            });
        };
        let len = self.answer(query, body, None)?;
        let Ok(len16) = u16::try_from(len) else {
            // answer() never writes more than 65,535 bytes for TCP.
            return Err(RespondError::BufferTooSmall {
                needed: len,
                available: usize::from(u16::MAX),
            });
        };
        prefix.copy_from_slice(&len16.to_be_bytes());
        Ok(len + 2)
    }

    fn answer(
        &self,
        query: &[u8],
        out: &mut [u8],
        max_udp: Option<usize>,
    ) -> Result<usize, RespondError> {
        let (Some(&[id0, id1]), Some(&[f0, f1])) = (query.get(0..2), query.get(2..4)) else {
            return Err(RespondError::TooShort { len: query.len() });
        };
        if query.len() < HEADER_LEN {
            return Err(RespondError::TooShort { len: query.len() });
        }
        let id = u16::from_be_bytes([id0, id1]);
        let qflags = Flags(u16::from_be_bytes([f0, f1]));
        if qflags.response() {
            return Err(RespondError::NotAQuery);
        }
        // The flags every response carries: QR, the opcode and RD echoed.
        let base = Flags(0)
            .with_response(true)
            .with_opcode(qflags.opcode())
            .with_recursion_desired(qflags.recursion_desired());
        let parsed = Message::parse(query);
        let Ok(msg) = parsed else {
            return self.bare(out, id, base, Rcode::FORMERR);
        };
        if qflags.opcode() != Opcode::QUERY {
            return self.bare(out, id, base, Rcode::NOTIMP);
        }
        let question = match (msg.question_count(), msg.question()) {
            (1, Some(q)) => q,
            _ => return self.bare(out, id, base, Rcode::FORMERR),
        };
        let edns = msg.edns().map(|e| QueryEdns {
            payload: e.udp_payload_size,
            version: e.version,
            dnssec_ok: e.dnssec_ok(),
        });
        let limit = match max_udp {
            Some(max) => {
                let wanted = match edns {
                    Some(e) => usize::from(e.payload).max(MAX_UDP_LEN),
                    None => MAX_UDP_LEN,
                };
                wanted.min(max)
            }
            None => usize::from(u16::MAX),
        }
        .min(out.len());
        let plan = match edns {
            Some(e) if e.version > 0 => Plan::error(Rcode::BADVERS),
            _ => self.plan(&question.name(), question.qtype(), question.qclass()),
        };
        self.write(
            out,
            limit,
            id,
            base,
            &question.name(),
            question.qtype(),
            question.qclass(),
            edns,
            &plan,
        )
    }

    /// Decides the answer to one question.
    fn plan<'z>(&'z self, qname: &Name<'_>, qtype: RecordType, qclass: Class) -> Plan<'z> {
        if qclass != Class::IN && qclass != Class::ANY {
            return Plan::error(Rcode::REFUSED);
        }
        if !self.zone.contains(qname) || qtype == RecordType::AXFR || qtype == RecordType::IXFR {
            return Plan::error(Rcode::REFUSED);
        }
        let mut plan = Plan::error(Rcode::NOERROR);
        plan.authoritative = true;
        let mut current = qname.to_name_buf();
        let mut links = 0usize;
        loop {
            let records = self.zone.records.get(&current);
            let matching: Vec<&RecordRepr> = records
                .map(|rs| {
                    rs.iter()
                        .filter(|r| qtype == RecordType::ANY || r.rtype() == qtype)
                        .collect()
                })
                .unwrap_or_default();
            if !matching.is_empty() {
                plan.answers.extend(matching);
                break;
            }
            let cname = records.and_then(|rs| rs.iter().find(|r| r.rtype() == RecordType::CNAME));
            if let Some(record) = cname {
                plan.answers.push(record);
                let RDataRepr::Cname(target) = &record.data else {
                    break;
                };
                links += 1;
                // A target outside the zone is the querier's to chase.
                if links >= MAX_CNAME_CHAIN || !self.zone.contains(&target.as_name()) {
                    return plan;
                }
                if plan.answers.iter().any(|r| r.name == *target) {
                    // A loop: what was found so far is the answer.
                    return plan;
                }
                current = target.clone();
                continue;
            }
            // No data of the type: NODATA if the name exists, else NXDOMAIN.
            if !self.zone.existing.contains(&current) {
                plan.rcode = Rcode::NXDOMAIN;
            }
            let soa_ttl = match &self.zone.soa.data {
                RDataRepr::Soa(soa) => self.zone.soa.ttl.min(soa.minimum),
                _ => self.zone.soa.ttl,
            };
            plan.authority.push((&self.zone.soa, soa_ttl));
            break;
        }
        // Addresses of the hosts named by MX, NS and SRV answers.
        let mut targets: Vec<&NameBuf> = Vec::new();
        for record in &plan.answers {
            match &record.data {
                RDataRepr::Mx(mx) => targets.push(&mx.exchange),
                RDataRepr::Ns(ns) => targets.push(ns),
                RDataRepr::Srv(srv) => targets.push(&srv.target),
                _ => {}
            }
        }
        for target in targets {
            if let Some(records) = self.zone.records.get(target) {
                plan.additional.extend(
                    records
                        .iter()
                        .filter(|r| matches!(r.rtype(), RecordType::A | RecordType::AAAA)),
                );
            }
        }
        plan
    }

    /// A response with the header only (and the question, if one parsed):
    /// for errors where the query itself is in doubt.
    fn bare(
        &self,
        out: &mut [u8],
        id: u16,
        base: Flags,
        rcode: Rcode,
    ) -> Result<usize, RespondError> {
        let available = out.len();
        let builder = Builder::new(out, id, base.with_rcode(rcode)).map_err(|_| {
            RespondError::BufferTooSmall {
                needed: HEADER_LEN,
                available,
            }
        })?;
        let len = builder.finish().len();
        self.count(rcode, false);
        Ok(len)
    }

    fn count(&self, rcode: Rcode, truncated: bool) {
        let mut stats = self.stats.get();
        stats.responses += 1;
        stats.nxdomain += u64::from(rcode == Rcode::NXDOMAIN);
        stats.refused += u64::from(rcode == Rcode::REFUSED);
        stats.truncated += u64::from(truncated);
        self.stats.set(stats);
    }

    /// Writes the planned response within `limit` bytes of `out`.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        out: &mut [u8],
        limit: usize,
        id: u16,
        base: Flags,
        qname: &Name<'_>,
        qtype: RecordType,
        qclass: Class,
        edns: Option<QueryEdns>,
        plan: &Plan<'_>,
    ) -> Result<usize, RespondError> {
        let flags = base
            .with_authoritative(plan.authoritative)
            .with_rcode(Rcode(plan.rcode.low().into()));
        let opt_len = if edns.is_some() { OPT_LEN } else { 0 };
        let too_small = RespondError::BufferTooSmall {
            needed: HEADER_LEN + qname.wire_len() + 4 + opt_len,
            available: limit,
        };
        // First pass, without room for the OPT record: how many records of
        // each section fit. Then the real pass writes those and the OPT.
        let records_room = limit.checked_sub(opt_len).ok_or(too_small)?;
        let budget = out.get_mut(..records_room).ok_or(too_small)?;
        let fits = layout(budget, id, flags, qname, qtype, qclass, plan).ok_or(too_small)?;
        let truncated = fits.answers < plan.answers.len();
        let flags = flags.with_truncated(truncated);
        let fits = if truncated { Fits::default() } else { fits };
        let region = out.get_mut(..limit).ok_or(too_small)?;
        let edns_out = edns.map(|e| Edns {
            udp_payload_size: self.udp_payload_size,
            extended_rcode: plan.rcode.high(),
            version: 0,
            flags: if e.dnssec_ok { Edns::DO } else { 0 },
            options: crate::wire::Options::EMPTY,
        });
        let len = write_exact(
            region,
            id,
            flags,
            qname,
            qtype,
            qclass,
            plan,
            fits,
            edns_out.as_ref(),
        )
        .ok_or(too_small)?;
        self.count(plan.rcode, truncated);
        Ok(len)
    }
}

/// How many records of each section are written.
#[derive(Clone, Copy, Debug, Default)]
struct Fits {
    answers: usize,
    authority: usize,
    additional: usize,
}

/// Writes header, question and as many records as fit (a section stops at
/// its first record that does not fit, and the sections after it are
/// left out); returns how many were written. `None` if the question alone
/// does not fit.
#[allow(clippy::too_many_arguments)]
fn layout(
    buf: &mut [u8],
    id: u16,
    flags: Flags,
    qname: &Name<'_>,
    qtype: RecordType,
    qclass: Class,
    plan: &Plan<'_>,
) -> Option<Fits> {
    let mut b = Builder::new(buf, id, flags).ok()?;
    b.question(*qname, qtype, qclass).ok()?;
    let mut fits = Fits::default();
    let first_owner = qname.to_name_buf();
    for record in &plan.answers {
        if add(
            &mut b,
            Section::Answer,
            record,
            record.ttl,
            &first_owner,
            qname,
        )
        .is_err()
        {
            return Some(fits);
        }
        fits.answers += 1;
    }
    for (record, ttl) in &plan.authority {
        if add(
            &mut b,
            Section::Authority,
            record,
            *ttl,
            &first_owner,
            qname,
        )
        .is_err()
        {
            return Some(fits);
        }
        fits.authority += 1;
    }
    for record in &plan.additional {
        if add(
            &mut b,
            Section::Additional,
            record,
            record.ttl,
            &first_owner,
            qname,
        )
        .is_err()
        {
            return Some(fits);
        }
        fits.additional += 1;
    }
    Some(fits)
}

/// Writes exactly the records `fits` says, then the OPT record.
#[allow(clippy::too_many_arguments)]
fn write_exact(
    buf: &mut [u8],
    id: u16,
    flags: Flags,
    qname: &Name<'_>,
    qtype: RecordType,
    qclass: Class,
    plan: &Plan<'_>,
    fits: Fits,
    edns: Option<&Edns<'_>>,
) -> Option<usize> {
    let mut b = Builder::new(buf, id, flags).ok()?;
    b.question(*qname, qtype, qclass).ok()?;
    let first_owner = qname.to_name_buf();
    for record in plan.answers.iter().take(fits.answers) {
        add(
            &mut b,
            Section::Answer,
            record,
            record.ttl,
            &first_owner,
            qname,
        )
        .ok()?;
    }
    for (record, ttl) in plan.authority.iter().take(fits.authority) {
        add(
            &mut b,
            Section::Authority,
            record,
            *ttl,
            &first_owner,
            qname,
        )
        .ok()?;
    }
    for record in plan.additional.iter().take(fits.additional) {
        add(
            &mut b,
            Section::Additional,
            record,
            record.ttl,
            &first_owner,
            qname,
        )
        .ok()?;
    }
    if let Some(edns) = edns {
        b.edns(edns).ok()?;
    }
    Some(b.finish().len())
}

/// Adds one record; an owner equal to the question's name is written as
/// the question spelled it, so it compresses to a pointer and keeps the
/// querier's case (RFC 4343, "0x20" randomisation).
fn add(
    b: &mut Builder<'_>,
    section: Section,
    record: &RecordRepr,
    ttl: u32,
    qname_buf: &NameBuf,
    qname: &Name<'_>,
) -> Result<(), EmitError> {
    let owner = if record.name == *qname_buf {
        *qname
    } else {
        record.name.as_name()
    };
    let data: RData<'_> = record.data.as_rdata();
    b.record(section, owner, record.class, ttl, &data)
}

/// Collects length-prefixed DNS messages from a TCP byte stream
/// (RFC 1035 4.2.2, RFC 7766 8), for a server reading queries: bytes go in
/// as they arrive, whole messages come out. Holds at most
/// [`StreamReader::CAPACITY`] bytes.
///
/// ```
/// use strata_dns::server::StreamReader;
///
/// let mut reader = StreamReader::new();
/// assert!(reader.push(&[0, 3, b'a']));
/// assert_eq!(reader.next_message(), None);
/// assert!(reader.push(&[b'b', b'c', 0, 1]));
/// assert_eq!(reader.next_message().as_deref(), Some(&b"abc"[..]));
/// assert_eq!(reader.next_message(), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct StreamReader {
    buf: Vec<u8>,
}

impl StreamReader {
    /// Bytes held at most: two largest messages with their prefixes.
    pub const CAPACITY: usize = 2 * (2 + 65_535);

    /// An empty reader.
    #[must_use]
    pub fn new() -> StreamReader {
        StreamReader::default()
    }

    /// Appends bytes read from the stream. Returns false, keeping nothing
    /// of `bytes`, when the reader would then hold more than
    /// [`StreamReader::CAPACITY`] bytes: take messages out first.
    pub fn push(&mut self, bytes: &[u8]) -> bool {
        if self.buf.len() + bytes.len() > Self::CAPACITY {
            return false;
        }
        self.buf.extend_from_slice(bytes);
        true
    }

    /// The next complete message, without its length prefix.
    pub fn next_message(&mut self) -> Option<Vec<u8>> {
        let &[hi, lo] = self.buf.get(..2)? else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        let message = self.buf.get(2..2 + len)?.to_vec();
        self.buf.drain(..2 + len);
        Some(message)
    }

    /// Bytes held that do not yet form a message.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// Writes `message` with its 2-byte length prefix into `out`, for a TCP
/// stream; returns the bytes written. `None` if `out` is too short or the
/// message longer than 65,535 bytes.
#[must_use]
pub fn frame_tcp(message: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = u16::try_from(message.len()).ok()?;
    let (prefix, rest) = out.split_at_mut_checked(2)?;
    prefix.copy_from_slice(&len.to_be_bytes());
    rest.get_mut(..message.len())?.copy_from_slice(message);
    Some(message.len() + 2)
}
