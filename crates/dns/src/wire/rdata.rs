//! Record data: the typed view [`RData`] of the RDATA field, its parts, and
//! EDNS(0).
//!
//! A record's RDATA is interpreted when this crate knows its TYPE in its
//! CLASS (see [`RData`]); everything else stays raw bytes and is written back
//! unchanged (RFC 3597). RDATA is validated once when the message is parsed,
//! so reading it afterwards cannot fail.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use nom::Parser;
use nom::multi::length_data;
use nom::number::complete::{be_u8, be_u16};

use super::error::{NameError, RDataError};
use super::name::{Name, scan};
use super::repr::EdnsOptionRepr;
use super::types::{Class, OptionCode, RecordType};

/// The data of a resource record.
///
/// Typed variants are used for A and AAAA in class IN (and NONE, for dynamic
/// update), for CNAME, NS, PTR, MX, TXT, SOA, SRV and CAA in any class, and
/// for OPT always. An empty RDATA in class ANY or NONE (dynamic update's
/// "delete" and "exists" forms) and every other TYPE is
/// [`RData::Unknown`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RData<'a> {
    /// An IPv4 address (Wireshark `dns.a`).
    A(Ipv4Addr),
    /// An IPv6 address (`dns.aaaa`).
    Aaaa(Ipv6Addr),
    /// The canonical name of an alias (`dns.cname`).
    Cname(Name<'a>),
    /// An authoritative name server (`dns.ns`).
    Ns(Name<'a>),
    /// A domain name pointer (`dns.ptr.domain_name`).
    Ptr(Name<'a>),
    /// A mail exchange.
    Mx(Mx<Name<'a>>),
    /// One or more character strings (`dns.txt`).
    Txt(Txt<'a>),
    /// Start of authority.
    Soa(Soa<Name<'a>>),
    /// A service location.
    Srv(Srv<Name<'a>>),
    /// Certification authority authorization.
    Caa(Caa<&'a [u8]>),
    /// The options of an OPT pseudo-record; the rest of EDNS(0) lives in the
    /// record's CLASS and TTL fields (see [`Edns`]).
    Opt(Options<'a>),
    /// Any other TYPE, as raw bytes.
    Unknown {
        /// The record's TYPE.
        rtype: RecordType,
        /// The RDATA.
        data: &'a [u8],
    },
}

impl RData<'_> {
    /// The TYPE this data belongs to.
    #[must_use]
    pub const fn rtype(&self) -> RecordType {
        match self {
            RData::A(_) => RecordType::A,
            RData::Aaaa(_) => RecordType::AAAA,
            RData::Cname(_) => RecordType::CNAME,
            RData::Ns(_) => RecordType::NS,
            RData::Ptr(_) => RecordType::PTR,
            RData::Mx(_) => RecordType::MX,
            RData::Txt(_) => RecordType::TXT,
            RData::Soa(_) => RecordType::SOA,
            RData::Srv(_) => RecordType::SRV,
            RData::Caa(_) => RecordType::CAA,
            RData::Opt(_) => RecordType::OPT,
            RData::Unknown { rtype, .. } => *rtype,
        }
    }
}

/// MX data (RFC 1035 3.3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mx<N> {
    /// Lower is preferred (`dns.mx.preference`).
    pub preference: u16,
    /// The mail host (`dns.mx.mail_exchange`).
    pub exchange: N,
}

/// SOA data (RFC 1035 3.3.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Soa<N> {
    /// The primary name server (`dns.soa.mname`).
    pub mname: N,
    /// The administrator's mailbox (`dns.soa.rname`).
    pub rname: N,
    /// Zone version (`dns.soa.serial_number`).
    pub serial: u32,
    /// Seconds between secondary refreshes (`dns.soa.refresh_interval`).
    pub refresh: u32,
    /// Seconds before a failed refresh is retried (`dns.soa.retry_interval`).
    pub retry: u32,
    /// Seconds after which a secondary stops answering (`dns.soa.expire_limit`).
    pub expire: u32,
    /// TTL of negative answers (RFC 2308) (`dns.soa.minimum_ttl`).
    pub minimum: u32,
}

/// SRV data (RFC 2782).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Srv<N> {
    /// Lower is tried first (`dns.srv.priority`).
    pub priority: u16,
    /// Relative weight among equal priorities (`dns.srv.weight`).
    pub weight: u16,
    /// The service's port (`dns.srv.port`).
    pub port: u16,
    /// The host (`dns.srv.target`); written uncompressed as RFC 2782 asks.
    pub target: N,
}

/// CAA data (RFC 8659).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Caa<B> {
    /// Flags; bit 0x80 is "issuer critical" (`dns.caa.flags`).
    pub flags: u8,
    /// The property tag, such as `issue` (`dns.caa.tag`).
    pub tag: B,
    /// The property value (`dns.caa.value`).
    pub value: B,
}

impl<B> Caa<B> {
    /// Whether the issuer-critical flag is set.
    #[must_use]
    pub fn critical(&self) -> bool {
        self.flags & 0x80 != 0
    }
}

/// TXT data: one or more character strings, each up to 255 octets.
///
/// Either a view of the wire bytes or of owned strings (from a
/// [`RDataRepr`](crate::wire::RDataRepr)); both read the same.
#[derive(Clone, Copy)]
pub struct Txt<'a>(TxtInner<'a>);

#[derive(Clone, Copy)]
enum TxtInner<'a> {
    Wire(&'a [u8]),
    Strings(&'a [Vec<u8>]),
}

impl<'a> Txt<'a> {
    /// TXT data in wire form: a sequence of length-prefixed strings.
    ///
    /// # Errors
    /// [`RDataError::Truncated`] if a string runs past the end (`offset`
    /// counts from the start of `wire`).
    pub fn from_wire(wire: &'a [u8]) -> Result<Txt<'a>, RDataError> {
        check_strings(wire, 0)?;
        Ok(Txt(TxtInner::Wire(wire)))
    }

    /// TXT data from owned strings. Strings over 255 octets are refused
    /// when the record is built.
    #[must_use]
    pub const fn from_strings(strings: &'a [Vec<u8>]) -> Txt<'a> {
        Txt(TxtInner::Strings(strings))
    }

    /// The strings, in order.
    #[must_use]
    pub fn strings(&self) -> TxtStrings<'a> {
        TxtStrings(match self.0 {
            TxtInner::Wire(wire) => StringsInner::Wire(wire),
            TxtInner::Strings(strings) => StringsInner::Owned(strings.iter()),
        })
    }

    /// Length in wire form (each string plus its length octet).
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.strings().map(|s| s.len() + 1).sum()
    }
}

impl PartialEq for Txt<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.strings().eq(other.strings())
    }
}

impl Eq for Txt<'_> {}

impl fmt::Debug for Txt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.strings().map(Escaped)).finish()
    }
}

/// Debug-prints bytes as a quoted string with non-printable bytes escaped.
struct Escaped<'a>(&'a [u8]);

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.0.escape_ascii())
    }
}

/// The strings of a [`Txt`].
#[derive(Clone, Debug)]
pub struct TxtStrings<'a>(StringsInner<'a>);

#[derive(Clone, Debug)]
enum StringsInner<'a> {
    Wire(&'a [u8]),
    Owned(core::slice::Iter<'a, Vec<u8>>),
}

impl<'a> Iterator for TxtStrings<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            StringsInner::Wire(rest) => {
                let (tail, string) = length_data(be_u8::<&[u8], ()>).parse(*rest).ok()?;
                *rest = tail;
                Some(string)
            }
            StringsInner::Owned(iter) => iter.next().map(Vec::as_slice),
        }
    }
}

/// Checks that `wire` is a sequence of length-prefixed strings; `base` is
/// the offset of `wire` in the message, for the error.
fn check_strings(wire: &[u8], base: usize) -> Result<(), RDataError> {
    let mut rest = wire;
    while !rest.is_empty() {
        let offset = base + (wire.len() - rest.len());
        let Ok((tail, _)) = length_data(be_u8::<&[u8], ()>).parse(rest) else {
            return Err(RDataError::Truncated { offset });
        };
        rest = tail;
    }
    Ok(())
}

/// The options of an OPT record: a sequence of (code, length, data).
#[derive(Clone, Copy)]
pub struct Options<'a>(OptionsInner<'a>);

#[derive(Clone, Copy)]
enum OptionsInner<'a> {
    Wire(&'a [u8]),
    Owned(&'a [EdnsOptionRepr]),
}

impl<'a> Options<'a> {
    /// No options.
    pub const EMPTY: Options<'static> = Options(OptionsInner::Wire(&[]));

    /// Options in wire form.
    ///
    /// # Errors
    /// [`RDataError::Truncated`] if an option runs past the end (`offset`
    /// counts from the start of `wire`).
    pub fn from_wire(wire: &'a [u8]) -> Result<Options<'a>, RDataError> {
        check_options(wire, 0)?;
        Ok(Options(OptionsInner::Wire(wire)))
    }

    /// Options from owned values. Data over 65535 octets is refused when
    /// the record is built.
    #[must_use]
    pub const fn from_owned(options: &'a [EdnsOptionRepr]) -> Options<'a> {
        Options(OptionsInner::Owned(options))
    }

    /// The options, in order.
    #[must_use]
    pub fn iter(&self) -> OptionsIter<'a> {
        OptionsIter(match self.0 {
            OptionsInner::Wire(wire) => OptionsIterInner::Wire(wire),
            OptionsInner::Owned(options) => OptionsIterInner::Owned(options.iter()),
        })
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Length in wire form.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.iter().map(|o| o.data.len() + 4).sum()
    }
}

impl<'a> IntoIterator for Options<'a> {
    type Item = EdnsOption<'a>;
    type IntoIter = OptionsIter<'a>;

    fn into_iter(self) -> OptionsIter<'a> {
        self.iter()
    }
}

impl PartialEq for Options<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Options<'_> {}

impl fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One EDNS(0) option (Wireshark `dns.opt.code`, `dns.opt.len`,
/// `dns.opt.data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EdnsOption<'a> {
    /// OPTION-CODE.
    pub code: OptionCode,
    /// OPTION-DATA.
    pub data: &'a [u8],
}

/// Iterator over [`Options`].
#[derive(Clone, Debug)]
pub struct OptionsIter<'a>(OptionsIterInner<'a>);

#[derive(Clone, Debug)]
enum OptionsIterInner<'a> {
    Wire(&'a [u8]),
    Owned(core::slice::Iter<'a, EdnsOptionRepr>),
}

impl<'a> Iterator for OptionsIter<'a> {
    type Item = EdnsOption<'a>;

    #[inline]
    fn next(&mut self) -> Option<EdnsOption<'a>> {
        match &mut self.0 {
            OptionsIterInner::Wire(rest) => {
                let (tail, (code, data)) = (be_u16::<&[u8], ()>, length_data(be_u16))
                    .parse(*rest)
                    .ok()?;
                *rest = tail;
                Some(EdnsOption {
                    code: OptionCode(code),
                    data,
                })
            }
            OptionsIterInner::Owned(iter) => iter.next().map(|o| EdnsOption {
                code: o.code,
                data: &o.data,
            }),
        }
    }
}

fn check_options(wire: &[u8], base: usize) -> Result<(), RDataError> {
    let mut rest = wire;
    while !rest.is_empty() {
        let offset = base + (wire.len() - rest.len());
        let Ok((tail, _)) = (be_u16::<&[u8], ()>, length_data(be_u16)).parse(rest) else {
            return Err(RDataError::Truncated { offset });
        };
        rest = tail;
    }
    Ok(())
}

/// EDNS(0) information carried by an OPT pseudo-record (RFC 6891 6.1):
/// CLASS is the UDP payload size, TTL holds the extended RCODE, the version
/// and the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edns<'a> {
    /// Largest UDP payload the sender can reassemble
    /// (`dns.rr.udp_payload_size`).
    pub udp_payload_size: u16,
    /// Upper 8 bits of the 12-bit RCODE (`dns.resp.ext_rcode`).
    pub extended_rcode: u8,
    /// EDNS version, 0 today (`dns.resp.edns0_version`).
    pub version: u8,
    /// Flags; [`Edns::DO`] is the only one defined (`dns.resp.z`).
    pub flags: u16,
    /// The options.
    pub options: Options<'a>,
}

impl<'a> Edns<'a> {
    /// The "DNSSEC answer OK" flag (RFC 3225).
    pub const DO: u16 = 0x8000;

    /// Version 0 with the given payload size, no flags, no options.
    #[must_use]
    pub const fn new(udp_payload_size: u16) -> Edns<'static> {
        Edns {
            udp_payload_size,
            extended_rcode: 0,
            version: 0,
            flags: 0,
            options: Options::EMPTY,
        }
    }

    /// Reads the fields out of an OPT record's CLASS and TTL.
    #[must_use]
    pub const fn from_fields(class: Class, ttl: u32, options: Options<'a>) -> Edns<'a> {
        Edns {
            udp_payload_size: class.0,
            extended_rcode: (ttl >> 24) as u8,
            version: (ttl >> 16) as u8,
            flags: ttl as u16,
            options,
        }
    }

    /// The CLASS field of the OPT record.
    #[must_use]
    pub const fn class(&self) -> Class {
        Class(self.udp_payload_size)
    }

    /// The TTL field of the OPT record.
    #[must_use]
    pub const fn ttl(&self) -> u32 {
        ((self.extended_rcode as u32) << 24) | ((self.version as u32) << 16) | self.flags as u32
    }

    /// Whether DO is set (`dns.resp.z.do`).
    #[must_use]
    pub const fn dnssec_ok(&self) -> bool {
        self.flags & Self::DO != 0
    }
}

/// Whether RDATA of this TYPE in this CLASS gets a typed variant.
#[inline]
pub(crate) fn is_typed(rtype: RecordType, class: Class, rdlen: usize) -> bool {
    match rtype {
        RecordType::OPT => true,
        _ if rdlen == 0 && (class == Class::ANY || class == Class::NONE) => false,
        RecordType::A | RecordType::AAAA => class == Class::IN || class == Class::NONE,
        RecordType::CNAME
        | RecordType::NS
        | RecordType::PTR
        | RecordType::MX
        | RecordType::TXT
        | RecordType::SOA
        | RecordType::SRV
        | RecordType::CAA => true,
        _ => false,
    }
}

/// Why RDATA failed validation.
pub(crate) enum Invalid {
    Name(NameError),
    RData(RDataError),
}

impl From<NameError> for Invalid {
    fn from(error: NameError) -> Self {
        Invalid::Name(error)
    }
}

impl From<RDataError> for Invalid {
    fn from(error: RDataError) -> Self {
        Invalid::RData(error)
    }
}

/// Validates a name inside RDATA `[.., end)` at `pos`; returns the offset
/// after it.
#[inline]
fn check_name(msg: &[u8], pos: usize, end: usize) -> Result<usize, Invalid> {
    let (after, _) = scan(msg, pos)?;
    if after > end {
        return Err(RDataError::Truncated { offset: pos }.into());
    }
    Ok(after)
}

/// Requires `pos == end`.
#[inline]
fn check_end(pos: usize, end: usize) -> Result<(), Invalid> {
    if pos < end {
        return Err(RDataError::TrailingBytes { offset: pos }.into());
    }
    if pos > end {
        return Err(RDataError::Truncated { offset: end }.into());
    }
    Ok(())
}

/// Validates the RDATA at `msg[start..end]` for its TYPE and CLASS, so that
/// [`read`] cannot fail afterwards. `msg` is the whole message (names may
/// point anywhere before themselves) and `end <= msg.len()`.
pub(crate) fn check(
    msg: &[u8],
    rtype: RecordType,
    class: Class,
    start: usize,
    end: usize,
) -> Result<(), Invalid> {
    let rdlen = end - start;
    if !is_typed(rtype, class, rdlen) {
        return Ok(());
    }
    let fixed = |expected: u16| {
        if rdlen == usize::from(expected) {
            Ok(())
        } else {
            Err(Invalid::RData(RDataError::BadLength {
                expected,
                found: u16::try_from(rdlen).unwrap_or(u16::MAX),
            }))
        }
    };
    match rtype {
        RecordType::A => fixed(4),
        RecordType::AAAA => fixed(16),
        RecordType::CNAME | RecordType::NS | RecordType::PTR => {
            check_end(check_name(msg, start, end)?, end)
        }
        RecordType::MX => {
            let pos = start + 2;
            if pos > end {
                return Err(RDataError::Truncated { offset: start }.into());
            }
            check_end(check_name(msg, pos, end)?, end)
        }
        RecordType::SRV => {
            let pos = start + 6;
            if pos > end {
                return Err(RDataError::Truncated { offset: start }.into());
            }
            check_end(check_name(msg, pos, end)?, end)
        }
        RecordType::SOA => {
            let pos = check_name(msg, start, end)?;
            let pos = check_name(msg, pos, end)?;
            if pos + 20 > end {
                return Err(RDataError::Truncated { offset: pos }.into());
            }
            check_end(pos + 20, end)
        }
        RecordType::TXT => Ok(check_strings(rdata(msg, start, end), start)?),
        RecordType::OPT => Ok(check_options(rdata(msg, start, end), start)?),
        RecordType::CAA => {
            let data = rdata(msg, start, end);
            let Some(&tag_len) = data.get(1) else {
                return Err(RDataError::Truncated { offset: start }.into());
            };
            if 2 + usize::from(tag_len) > rdlen {
                return Err(RDataError::Truncated { offset: start + 1 }.into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[inline]
fn rdata(msg: &[u8], start: usize, end: usize) -> &[u8] {
    msg.get(start..end).unwrap_or(&[])
}

#[inline]
fn u16_at(msg: &[u8], at: usize) -> u16 {
    match msg.get(at..at + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

#[inline]
fn u32_at(msg: &[u8], at: usize) -> u32 {
    match msg.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

/// Reads RDATA validated by [`check`].
#[inline]
pub(crate) fn read<'a>(
    msg: &'a [u8],
    rtype: RecordType,
    class: Class,
    start: usize,
    end: usize,
) -> RData<'a> {
    let data = rdata(msg, start, end);
    if !is_typed(rtype, class, data.len()) {
        return RData::Unknown { rtype, data };
    }
    let name_at = |at: usize| Name::new_unchecked(msg, at);
    match rtype {
        RecordType::A => match <[u8; 4]>::try_from(data) {
            Ok(octets) => RData::A(Ipv4Addr::from(octets)),
            Err(_) => RData::Unknown { rtype, data },
        },
        RecordType::AAAA => match <[u8; 16]>::try_from(data) {
            Ok(octets) => RData::Aaaa(Ipv6Addr::from(octets)),
            Err(_) => RData::Unknown { rtype, data },
        },
        RecordType::CNAME => RData::Cname(name_at(start)),
        RecordType::NS => RData::Ns(name_at(start)),
        RecordType::PTR => RData::Ptr(name_at(start)),
        RecordType::MX => RData::Mx(Mx {
            preference: u16_at(msg, start),
            exchange: name_at(start + 2),
        }),
        RecordType::SRV => RData::Srv(Srv {
            priority: u16_at(msg, start),
            weight: u16_at(msg, start + 2),
            port: u16_at(msg, start + 4),
            target: name_at(start + 6),
        }),
        RecordType::SOA => {
            let rname = super::name::skip(msg, start);
            let fixed = super::name::skip(msg, rname);
            RData::Soa(Soa {
                mname: name_at(start),
                rname: name_at(rname),
                serial: u32_at(msg, fixed),
                refresh: u32_at(msg, fixed + 4),
                retry: u32_at(msg, fixed + 8),
                expire: u32_at(msg, fixed + 12),
                minimum: u32_at(msg, fixed + 16),
            })
        }
        RecordType::TXT => RData::Txt(Txt(TxtInner::Wire(data))),
        RecordType::OPT => RData::Opt(Options(OptionsInner::Wire(data))),
        RecordType::CAA => {
            let (flags, tag_len, rest) = match data {
                [flags, tag_len, rest @ ..] => (*flags, usize::from(*tag_len), rest),
                _ => (0, 0, data),
            };
            let (tag, value) = rest.split_at_checked(tag_len).unwrap_or((&[], rest));
            RData::Caa(Caa { flags, tag, value })
        }
        _ => RData::Unknown { rtype, data },
    }
}
