//! IPv4 options (RFC 791 §3.1), parsed with nom.
//!
//! Options are kept as the raw bytes the header carries and decoded on
//! demand: [`OptionList`] borrows them (what [`Packet::options`] returns),
//! [`Options`] owns up to 40 of them without allocating (what
//! [`Repr`](crate::Repr) carries). Both are validated once when built, so
//! iterating over them cannot fail: every option has a length byte of at
//! least 2 that stays inside the options area, and the options whose layout
//! RFC 791 / RFC 2113 fix (routes, timestamp, router alert) are long enough
//! for it. Nothing here acts on an option; unknown options are kept with
//! their type byte and data so they survive a parse/emit round trip.
//!
//! An End of Option List ends the list: whatever follows it up to the end of
//! the header is padding and is neither parsed nor validated.
//!
//! [`Packet::options`]: crate::Packet::options

use core::fmt;
use core::net::Ipv4Addr;

use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16};

/// The most option bytes a header can carry (IHL 15 = 60 bytes, minus 20).
pub const MAX_OPTIONS_LEN: usize = 40;

/// The option type byte: copied flag, class and number (RFC 791 §3.1).
///
/// An open enum, so options this crate does not decode keep their type.
///
/// ```
/// use strata_ipv4::options::OptionKind;
/// let lsrr = OptionKind::LOOSE_SOURCE_ROUTE;
/// assert!(lsrr.copied());
/// assert_eq!((lsrr.class(), lsrr.number()), (0, 3));
/// assert_eq!(OptionKind(68).name(), Some("TS"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OptionKind(pub u8);

impl OptionKind {
    /// End of Option List.
    pub const END_OF_LIST: OptionKind = OptionKind(0);
    /// No Operation, used to align the option after it.
    pub const NOP: OptionKind = OptionKind(1);
    /// Record Route.
    pub const RECORD_ROUTE: OptionKind = OptionKind(7);
    /// Quick-Start (RFC 4782).
    pub const QUICK_START: OptionKind = OptionKind(25);
    /// Internet Timestamp.
    pub const TIMESTAMP: OptionKind = OptionKind(68);
    /// Traceroute (RFC 1393, historic).
    pub const TRACEROUTE: OptionKind = OptionKind(82);
    /// Security (RFC 791, redefined by RFC 1108).
    pub const SECURITY: OptionKind = OptionKind(130);
    /// Loose Source and Record Route.
    pub const LOOSE_SOURCE_ROUTE: OptionKind = OptionKind(131);
    /// Extended Security (RFC 1108).
    pub const EXTENDED_SECURITY: OptionKind = OptionKind(133);
    /// Commercial IP Security Option (CIPSO).
    pub const CIPSO: OptionKind = OptionKind(134);
    /// Stream Identifier (obsolete).
    pub const STREAM_ID: OptionKind = OptionKind(136);
    /// Strict Source and Record Route.
    pub const STRICT_SOURCE_ROUTE: OptionKind = OptionKind(137);
    /// Router Alert (RFC 2113).
    pub const ROUTER_ALERT: OptionKind = OptionKind(148);

    /// Whether fragmentation copies the option into every fragment.
    #[inline]
    #[must_use]
    pub const fn copied(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// The option class: 0 control, 2 debugging and measurement (1 and 3 are
    /// reserved).
    #[inline]
    #[must_use]
    pub const fn class(self) -> u8 {
        (self.0 >> 5) & 0b11
    }

    /// The option number within its class.
    #[inline]
    #[must_use]
    pub const fn number(self) -> u8 {
        self.0 & 0x1f
    }

    /// The IANA abbreviation for the option, if this crate knows it.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "EOOL",
            1 => "NOP",
            7 => "RR",
            25 => "QS",
            68 => "TS",
            82 => "TR",
            130 => "SEC",
            131 => "LSR",
            133 => "E-SEC",
            134 => "CIPSO",
            136 => "SID",
            137 => "SSR",
            148 => "RTRALT",
            _ => return None,
        })
    }
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why option bytes were rejected.
///
/// `offset` is where the offending option starts: from the IPv4 header start
/// when the error comes from [`Packet::parse`](crate::Packet::parse), from
/// the first option byte when it comes from [`OptionList::parse`] or
/// [`Options::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionError {
    /// A multi-byte option's type byte is the last byte, with no length byte.
    MissingLength {
        /// Where the option starts.
        offset: usize,
        /// The option type.
        kind: OptionKind,
    },
    /// The length byte is below 2, or below what the option's layout needs
    /// (3 for routes, 4 for the timestamp; the router alert is exactly 4).
    BadLength {
        /// Where the option starts.
        offset: usize,
        /// The option type.
        kind: OptionKind,
        /// The length byte.
        len: u8,
    },
    /// The length byte runs past the end of the options area.
    PastEnd {
        /// Where the option starts.
        offset: usize,
        /// The option type.
        kind: OptionKind,
        /// The length byte.
        len: u8,
        /// Bytes left in the options area from `offset`.
        available: usize,
    },
    /// More than [`MAX_OPTIONS_LEN`] bytes of options.
    TooLong {
        /// The length the options would have.
        len: usize,
    },
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OptionError::MissingLength { offset, kind } => {
                write!(f, "option {kind} at byte {offset} has no length byte")
            }
            OptionError::BadLength { offset, kind, len } => {
                write!(f, "option {kind} at byte {offset} has invalid length {len}")
            }
            OptionError::PastEnd {
                offset,
                kind,
                len,
                available,
            } => write!(
                f,
                "option {kind} at byte {offset} has length {len} but only {available} bytes remain"
            ),
            OptionError::TooLong { len } => write!(
                f,
                "options are {len} bytes long, more than the {MAX_OPTIONS_LEN} a header holds"
            ),
        }
    }
}

impl core::error::Error for OptionError {}

/// A route option's contents: Record Route, Loose or Strict Source Route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route<'a> {
    /// The pointer byte: 1-based offset within the option of the next slot
    /// to fill or use; 4 is the first slot.
    pub pointer: u8,
    /// The route data: 4-byte address slots.
    pub data: &'a [u8],
}

impl<'a> Route<'a> {
    /// Every address slot, recorded or not.
    #[must_use]
    pub fn addresses(&self) -> Addresses<'a> {
        Addresses(self.data.chunks_exact(4))
    }

    /// The slots before the pointer: addresses recorded (Record Route) or
    /// already visited (source routes).
    #[must_use]
    pub fn recorded(&self) -> Addresses<'a> {
        let used = usize::from(self.pointer.saturating_sub(4)).min(self.data.len());
        Addresses(self.data.get(..used).unwrap_or_default().chunks_exact(4))
    }

    /// Whether no slot is left after the pointer.
    #[must_use]
    pub fn is_full(&self) -> bool {
        usize::from(self.pointer) > self.data.len()
    }
}

/// Addresses stored in an option, in order.
#[derive(Clone, Debug)]
pub struct Addresses<'a>(core::slice::ChunksExact<'a, u8>);

impl Iterator for Addresses<'_> {
    type Item = Ipv4Addr;

    fn next(&mut self) -> Option<Ipv4Addr> {
        let chunk = self.0.next()?;
        <[u8; 4]>::try_from(chunk).ok().map(Ipv4Addr::from)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Addresses<'_> {}

/// The timestamp option's flag field (RFC 791): what each slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TimestampFlag(pub u8);

impl TimestampFlag {
    /// Slots are 4-byte timestamps.
    pub const TIMESTAMPS_ONLY: TimestampFlag = TimestampFlag(0);
    /// Slots are an address followed by its timestamp.
    pub const WITH_ADDRESSES: TimestampFlag = TimestampFlag(1);
    /// Slots are sender-chosen addresses, each followed by its timestamp.
    pub const PRESPECIFIED: TimestampFlag = TimestampFlag(3);

    /// Whether a slot is an address and a timestamp (8 bytes) rather than a
    /// timestamp alone.
    #[must_use]
    pub const fn has_addresses(self) -> bool {
        matches!(self.0, 1 | 3)
    }
}

/// The Internet Timestamp option's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp<'a> {
    /// 1-based offset within the option of the next slot; 5 is the first.
    pub pointer: u8,
    /// How many modules could not record a timestamp for lack of room
    /// (4 bits; emit keeps only the low 4).
    pub overflow: u8,
    /// What the slots hold (4 bits; emit keeps only the low 4).
    pub flag: TimestampFlag,
    /// The slots.
    pub data: &'a [u8],
}

impl<'a> Timestamp<'a> {
    /// Every slot, filled or not. Flags other than 1 and 3 are read as
    /// timestamps only.
    #[must_use]
    pub fn entries(&self) -> TimestampEntries<'a> {
        let size = if self.flag.has_addresses() { 8 } else { 4 };
        TimestampEntries {
            chunks: self.data.chunks_exact(size),
        }
    }
}

/// One timestamp slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampEntry {
    /// The address, for flags 1 and 3.
    pub address: Option<Ipv4Addr>,
    /// Milliseconds since midnight UT, or any value with the high bit set.
    pub timestamp: u32,
}

/// The slots of a [`Timestamp`] option.
#[derive(Clone, Debug)]
pub struct TimestampEntries<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for TimestampEntries<'_> {
    type Item = TimestampEntry;

    fn next(&mut self) -> Option<TimestampEntry> {
        let chunk = self.chunks.next()?;
        if let Ok(b) = <[u8; 8]>::try_from(chunk) {
            let [a0, a1, a2, a3, t0, t1, t2, t3] = b;
            return Some(TimestampEntry {
                address: Some(Ipv4Addr::new(a0, a1, a2, a3)),
                timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
            });
        }
        let b = <[u8; 4]>::try_from(chunk).ok()?;
        Some(TimestampEntry {
            address: None,
            timestamp: u32::from_be_bytes(b),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// One decoded option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv4Option<'a> {
    /// End of Option List (type 0): the rest of the header is padding.
    EndOfList,
    /// No Operation (type 1).
    Nop,
    /// Security (type 130); the bytes after the length byte.
    Security(&'a [u8]),
    /// Record Route (type 7).
    RecordRoute(Route<'a>),
    /// Loose Source and Record Route (type 131).
    LooseSourceRoute(Route<'a>),
    /// Strict Source and Record Route (type 137).
    StrictSourceRoute(Route<'a>),
    /// Internet Timestamp (type 68).
    Timestamp(Timestamp<'a>),
    /// Router Alert (type 148, RFC 2113); 0 asks routers to examine the
    /// packet.
    RouterAlert(u16),
    /// Any other option, kept raw.
    Unknown {
        /// The type byte, including the copied flag and class.
        kind: OptionKind,
        /// The bytes after the length byte.
        data: &'a [u8],
    },
}

impl Ipv4Option<'_> {
    /// The option's type byte.
    #[must_use]
    pub const fn kind(&self) -> OptionKind {
        match self {
            Ipv4Option::EndOfList => OptionKind::END_OF_LIST,
            Ipv4Option::Nop => OptionKind::NOP,
            Ipv4Option::Security(_) => OptionKind::SECURITY,
            Ipv4Option::RecordRoute(_) => OptionKind::RECORD_ROUTE,
            Ipv4Option::LooseSourceRoute(_) => OptionKind::LOOSE_SOURCE_ROUTE,
            Ipv4Option::StrictSourceRoute(_) => OptionKind::STRICT_SOURCE_ROUTE,
            Ipv4Option::Timestamp(_) => OptionKind::TIMESTAMP,
            Ipv4Option::RouterAlert(_) => OptionKind::ROUTER_ALERT,
            Ipv4Option::Unknown { kind, .. } => *kind,
        }
    }

    /// Bytes the option occupies on the wire, type byte included.
    #[must_use]
    pub const fn wire_len(&self) -> usize {
        match self {
            Ipv4Option::EndOfList | Ipv4Option::Nop => 1,
            Ipv4Option::RouterAlert(_) => 4,
            Ipv4Option::Security(data) | Ipv4Option::Unknown { data, .. } => 2 + data.len(),
            Ipv4Option::RecordRoute(r)
            | Ipv4Option::LooseSourceRoute(r)
            | Ipv4Option::StrictSourceRoute(r) => 3 + r.data.len(),
            Ipv4Option::Timestamp(t) => 4 + t.data.len(),
        }
    }

    /// Writes the option at the start of `out`, returning the bytes
    /// written, or `None` if it does not fit or its length byte would
    /// overflow.
    fn write(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.wire_len();
        let out = out.get_mut(..len)?;
        let len_byte = u8::try_from(len).ok()?;
        let (head, rest) = out.split_first_mut()?;
        *head = self.kind().0;
        match self {
            Ipv4Option::EndOfList | Ipv4Option::Nop => {}
            Ipv4Option::RouterAlert(value) => {
                let [hi, lo] = value.to_be_bytes();
                rest.copy_from_slice(&[len_byte, hi, lo]);
            }
            Ipv4Option::Security(data) | Ipv4Option::Unknown { data, .. } => {
                let (l, body) = rest.split_first_mut()?;
                *l = len_byte;
                body.copy_from_slice(data);
            }
            Ipv4Option::RecordRoute(r)
            | Ipv4Option::LooseSourceRoute(r)
            | Ipv4Option::StrictSourceRoute(r) => {
                let (fixed, body) = rest.split_at_mut_checked(2)?;
                fixed.copy_from_slice(&[len_byte, r.pointer]);
                body.copy_from_slice(r.data);
            }
            Ipv4Option::Timestamp(t) => {
                let (fixed, body) = rest.split_at_mut_checked(3)?;
                let of = (t.overflow << 4) | (t.flag.0 & 0x0f);
                fixed.copy_from_slice(&[len_byte, t.pointer, of]);
                body.copy_from_slice(t.data);
            }
        }
        Some(len)
    }
}

type NomResult<'a, O> = IResult<&'a [u8], O>;

fn route(body: &[u8]) -> NomResult<'_, Route<'_>> {
    let (data, pointer) = be_u8(body)?;
    Ok((&[], Route { pointer, data }))
}

fn timestamp(body: &[u8]) -> NomResult<'_, Timestamp<'_>> {
    let (rest, pointer) = be_u8(body)?;
    let (data, of) = be_u8(rest)?;
    Ok((
        &[],
        Timestamp {
            pointer,
            overflow: of >> 4,
            flag: TimestampFlag(of & 0x0f),
            data,
        },
    ))
}

fn router_alert(body: &[u8]) -> NomResult<'_, u16> {
    let (rest, value) = be_u16(body)?;
    if !rest.is_empty() {
        return Err(nom::Err::Error(nom::error::Error::new(
            rest,
            nom::error::ErrorKind::Eof,
        )));
    }
    Ok((rest, value))
}

/// Parses the option at the front of `input`, which starts at `offset`.
///
/// `input` must not be empty.
fn option(input: &[u8], offset: usize) -> Result<(&[u8], Ipv4Option<'_>), OptionError> {
    let past_end = |kind, len| OptionError::PastEnd {
        offset,
        kind,
        len,
        available: input.len(),
    };
    let (rest, kind) = be_u8::<_, nom::error::Error<&[u8]>>(input)
        .map_err(|_| past_end(OptionKind::END_OF_LIST, 0))?;
    let kind = OptionKind(kind);
    match kind {
        OptionKind::END_OF_LIST => return Ok((rest, Ipv4Option::EndOfList)),
        OptionKind::NOP => return Ok((rest, Ipv4Option::Nop)),
        _ => {}
    }
    let (rest, len) = be_u8::<_, nom::error::Error<&[u8]>>(rest)
        .map_err(|_| OptionError::MissingLength { offset, kind })?;
    let bad_len = OptionError::BadLength { offset, kind, len };
    let body_len = usize::from(len).checked_sub(2).ok_or(bad_len)?;
    let (rest, body) =
        take::<_, _, nom::error::Error<&[u8]>>(body_len)(rest).map_err(|_| past_end(kind, len))?;
    let decoded = match kind {
        OptionKind::RECORD_ROUTE => route(body).map(|(_, r)| Ipv4Option::RecordRoute(r)),
        OptionKind::LOOSE_SOURCE_ROUTE => route(body).map(|(_, r)| Ipv4Option::LooseSourceRoute(r)),
        OptionKind::STRICT_SOURCE_ROUTE => {
            route(body).map(|(_, r)| Ipv4Option::StrictSourceRoute(r))
        }
        OptionKind::TIMESTAMP => timestamp(body).map(|(_, t)| Ipv4Option::Timestamp(t)),
        OptionKind::ROUTER_ALERT => router_alert(body).map(|(_, v)| Ipv4Option::RouterAlert(v)),
        OptionKind::SECURITY => Ok(Ipv4Option::Security(body)),
        _ => Ok(Ipv4Option::Unknown { kind, data: body }),
    };
    decoded.map(|o| (rest, o)).map_err(|_| bad_len)
}

/// Checks every option up to the end of `bytes` or the first End of Option
/// List; `base` is added to error offsets.
fn validate(bytes: &[u8], base: usize) -> Result<(), OptionError> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let offset = base + (bytes.len() - rest.len());
        let (after, opt) = option(rest, offset)?;
        if opt == Ipv4Option::EndOfList {
            break;
        }
        rest = after;
    }
    Ok(())
}

/// Validates the options area of a header (bytes 20.. of it), reporting
/// offsets from the header start. Out of line: most packets carry none.
#[inline(never)]
pub(crate) fn validate_header_options(bytes: &[u8]) -> Result<(), OptionError> {
    validate(bytes, crate::header::HEADER_LEN)
}

/// Iterator over validated options; stops after an End of Option List.
#[derive(Clone, Debug)]
pub struct OptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Ipv4Option<'a>;

    #[inline]
    fn next(&mut self) -> Option<Ipv4Option<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        // Validation happened when the list was built; an error here cannot
        // occur, and ending the iteration is the safe answer if it did.
        match option(self.rest, 0) {
            Ok((rest, opt)) => {
                self.rest = if opt == Ipv4Option::EndOfList {
                    &[]
                } else {
                    rest
                };
                Some(opt)
            }
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

impl core::iter::FusedIterator for OptionIter<'_> {}

/// A validated, borrowed run of option bytes.
///
/// ```
/// use strata_ipv4::options::{Ipv4Option, OptionList};
/// // Router Alert as IGMP sends it, then padding.
/// let list = OptionList::parse(&[0x94, 0x04, 0x00, 0x00])?;
/// assert_eq!(list.iter().collect::<Vec<_>>(), [Ipv4Option::RouterAlert(0)]);
/// # Ok::<(), strata_ipv4::options::OptionError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OptionList<'a> {
    bytes: &'a [u8],
}

impl<'a> OptionList<'a> {
    /// Validates `bytes` as a list of options (any length; a header's
    /// options area is a multiple of 4 up to 40).
    ///
    /// # Errors
    /// [`OptionError`] for the first malformed option, with its offset
    /// within `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, OptionError> {
        validate(bytes, 0)?;
        Ok(Self { bytes })
    }

    /// Wraps bytes the caller already validated.
    #[inline]
    pub(crate) const fn new_unchecked(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The raw option bytes, padding included.
    #[inline]
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether there are no option bytes.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The decoded options, in order.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter { rest: self.bytes }
    }
}

impl<'a> IntoIterator for OptionList<'a> {
    type Item = Ipv4Option<'a>;
    type IntoIter = OptionIter<'a>;

    fn into_iter(self) -> OptionIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for OptionList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Up to 40 bytes of validated options, owned, without allocation.
///
/// The bytes are kept padded to a multiple of 4 with zeros (End of Option
/// List), exactly as a header carries them, so emitting a
/// [`Repr`](crate::Repr) and parsing it back gives equal options.
///
/// ```
/// use strata_ipv4::options::{Ipv4Option, Options};
/// let mut options = Options::EMPTY;
/// options.push(&Ipv4Option::RouterAlert(0))?;
/// options.push(&Ipv4Option::Nop)?;
/// assert_eq!(options.as_bytes(), [0x94, 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]);
/// assert_eq!(Options::new(&[0x94, 0x04, 0x00, 0x00, 0x01])?, options);
/// # Ok::<(), strata_ipv4::options::OptionError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Options {
    /// Bytes past `len` are always zero.
    bytes: [u8; MAX_OPTIONS_LEN],
    /// A multiple of 4.
    len: u8,
}

impl Options {
    /// No options.
    pub const EMPTY: Options = Options {
        bytes: [0; MAX_OPTIONS_LEN],
        len: 0,
    };

    /// Validates and copies `raw`, padding it with zeros to a multiple of 4.
    ///
    /// # Errors
    /// [`OptionError::TooLong`] past 40 bytes, or the first malformed option
    /// with its offset within `raw`.
    pub fn new(raw: &[u8]) -> Result<Options, OptionError> {
        let mut options = Options::EMPTY;
        let dst = options
            .bytes
            .get_mut(..raw.len())
            .ok_or(OptionError::TooLong { len: raw.len() })?;
        dst.copy_from_slice(raw);
        validate(raw, 0)?;
        options.len = padded_len(raw.len());
        Ok(options)
    }

    /// Copies options a parsed header carried (already validated, at most 40
    /// bytes and a multiple of 4).
    pub(crate) fn from_validated(raw: &[u8]) -> Options {
        let mut options = Options::EMPTY;
        if let Some(dst) = options.bytes.get_mut(..raw.len()) {
            dst.copy_from_slice(raw);
            options.len = padded_len(raw.len());
        }
        options
    }

    /// The option bytes as they go on the wire, padding included.
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Length on the wire, a multiple of 4.
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no options.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The options as a borrowed list.
    #[inline]
    #[must_use]
    pub fn as_list(&self) -> OptionList<'_> {
        OptionList::new_unchecked(self.as_bytes())
    }

    /// The decoded options, in order.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> OptionIter<'_> {
        self.as_list().iter()
    }

    /// Appends an option where the list ends (at its End of Option List, or
    /// after the last option), then re-pads. Anything after an End of Option
    /// List is discarded.
    ///
    /// # Errors
    /// [`OptionError::TooLong`] if the result would exceed 40 bytes, or the
    /// error validation reports if the option is malformed (a route without
    /// a pointer byte, a timestamp shorter than 4 bytes, data under an End of
    /// Option List or NOP type). On error the options are unchanged.
    pub fn push(&mut self, option: &Ipv4Option<'_>) -> Result<(), OptionError> {
        let end = self.content_len();
        let needed = end + option.wire_len();
        if needed > MAX_OPTIONS_LEN {
            return Err(OptionError::TooLong { len: needed });
        }
        if let Ipv4Option::Unknown { kind, .. } = option
            && matches!(*kind, OptionKind::END_OF_LIST | OptionKind::NOP)
        {
            return Err(OptionError::BadLength {
                offset: end,
                kind: *kind,
                len: u8::try_from(option.wire_len()).unwrap_or(u8::MAX),
            });
        }
        let mut next = *self;
        if let Some(tail) = next.bytes.get_mut(end..) {
            tail.fill(0);
        }
        let written = next
            .bytes
            .get_mut(end..)
            .and_then(|tail| option.write(tail))
            .ok_or(OptionError::TooLong { len: needed })?;
        let content = next.bytes.get(..end + written).unwrap_or_default();
        validate(content, 0)?;
        next.len = padded_len(end + written);
        *self = next;
        Ok(())
    }

    /// Bytes up to (not including) the End of Option List, or all of them.
    fn content_len(&self) -> usize {
        let mut len = 0;
        for opt in self.iter() {
            if opt == Ipv4Option::EndOfList {
                break;
            }
            len += opt.wire_len();
        }
        len
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::EMPTY
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Options {
    type Item = Ipv4Option<'a>;
    type IntoIter = OptionIter<'a>;

    fn into_iter(self) -> OptionIter<'a> {
        self.iter()
    }
}

/// Rounds up to a multiple of 4; `len` is at most 40 here.
const fn padded_len(len: usize) -> u8 {
    let padded = (len + 3) & !3;
    if padded > MAX_OPTIONS_LEN {
        MAX_OPTIONS_LEN as u8
    } else {
        padded as u8
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Options {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        // Build from typed options so every kind of option shows up, not
        // just the rare byte strings that happen to validate.
        let mut options = Options::EMPTY;
        let count = u.int_in_range(0..=6)?;
        for _ in 0..count {
            let data_len = u.int_in_range(0..=12)?;
            let data = u.bytes(data_len)?;
            let option = match u.int_in_range(0..=8)? {
                0 => Ipv4Option::Nop,
                1 => Ipv4Option::EndOfList,
                2 => Ipv4Option::RecordRoute(Route {
                    pointer: u.arbitrary()?,
                    data,
                }),
                3 => Ipv4Option::LooseSourceRoute(Route {
                    pointer: u.arbitrary()?,
                    data,
                }),
                4 => Ipv4Option::StrictSourceRoute(Route {
                    pointer: u.arbitrary()?,
                    data,
                }),
                5 => Ipv4Option::Timestamp(Timestamp {
                    pointer: u.arbitrary()?,
                    overflow: u.int_in_range(0..=15)?,
                    flag: TimestampFlag(u.int_in_range(0..=15)?),
                    data,
                }),
                6 => Ipv4Option::RouterAlert(u.arbitrary()?),
                7 => Ipv4Option::Security(data),
                _ => Ipv4Option::Unknown {
                    kind: OptionKind(u.int_in_range(2..=255)?),
                    data,
                },
            };
            if options.push(&option).is_err() {
                break;
            }
        }
        Ok(options)
    }
}
