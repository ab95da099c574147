//! TCP options: MSS (RFC 9293), window scale and timestamps (RFC 7323),
//! SACK-permitted and SACK (RFC 2018), and any other kind kept as raw bytes.
//!
//! Three forms, for three jobs:
//! - [`validate`]: a plain loop over the (at most 40) bytes, run once by
//!   [`Segment::parse`](super::Segment::parse), that rejects malformed lists
//!   with the offset of the bad option;
//! - [`OptionsIter`]: the nom grammar decoding one [`TcpOption`] at a time
//!   from bytes already validated, so iteration cannot fail;
//! - [`Options`]: an owned, fixed-size summary for a [`Repr`](super::Repr),
//!   built only when asked and written back in Linux's order.

use core::fmt;

use nom::Parser;
use nom::bytes::complete::take;
use nom::combinator::all_consuming;
use nom::multi::fold_many_m_n;
use nom::number::complete::{be_u8, be_u16, be_u32};

use super::{EmitError, ParseError};

/// Most bytes of options a header can carry (data offset 15 words).
pub const MAX_OPTIONS_LEN: usize = 40;

/// An option kind number. Unknown kinds are kept, not rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct OptionKind(pub u8);

impl OptionKind {
    /// End of option list: the rest of the options area is padding.
    pub const EOL: OptionKind = OptionKind(0);
    /// No-operation, used to align the next option.
    pub const NOP: OptionKind = OptionKind(1);
    /// Maximum segment size (RFC 9293).
    pub const MSS: OptionKind = OptionKind(2);
    /// Window scale shift count (RFC 7323).
    pub const WINDOW_SCALE: OptionKind = OptionKind(3);
    /// Selective acknowledgments are permitted (RFC 2018).
    pub const SACK_PERMITTED: OptionKind = OptionKind(4);
    /// Selective acknowledgment blocks (RFC 2018).
    pub const SACK: OptionKind = OptionKind(5);
    /// Timestamps (RFC 7323).
    pub const TIMESTAMPS: OptionKind = OptionKind(8);

    /// The abbreviation Wireshark uses in its summary line, for the kinds
    /// this crate decodes.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("EOL"),
            1 => Some("NOP"),
            2 => Some("MSS"),
            3 => Some("WS"),
            4 => Some("SACK_PERM"),
            5 => Some("SACK"),
            8 => Some("TS"),
            _ => None,
        }
    }

    /// The one length a known kind must have; `None` for EOL and NOP (one
    /// byte, no length field), SACK (variable) and unknown kinds.
    #[must_use]
    pub const fn fixed_len(self) -> Option<u8> {
        match self.0 {
            2 => Some(4),
            3 => Some(3),
            4 => Some(2),
            8 => Some(10),
            _ => None,
        }
    }

    /// Whether this crate decodes the kind (so it is never kept as raw
    /// bytes in [`UnknownOptions`]).
    #[must_use]
    pub const fn is_known(self) -> bool {
        matches!(self.0, 0..=5 | 8)
    }
}

impl fmt::Display for OptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "kind {}", self.0),
        }
    }
}

/// Whether `len` is a valid length byte for an option of `kind` (which has
/// a length byte, i.e. is neither EOL nor NOP).
#[inline]
const fn length_ok(kind: u8, len: u8) -> bool {
    match kind {
        2 => len == 4,
        3 => len == 3,
        4 => len == 2,
        // One to four blocks of two sequence numbers.
        5 => len >= 10 && len <= 34 && (len - 2).is_multiple_of(8),
        8 => len == 10,
        _ => len >= 2,
    }
}

/// Checks an options area: every option's length byte is present, at least
/// 2, right for its kind and within the area. Bytes after an EOL are
/// padding and not looked at.
///
/// Offsets in errors count from the start of `options`.
///
/// # Errors
/// [`ParseError::BadOptionLength`] or [`ParseError::TruncatedOption`] for
/// the first bad option.
#[inline]
pub fn validate(options: &[u8]) -> Result<(), ParseError> {
    // NOP, NOP, timestamps: the options of nearly every segment after the
    // handshake, settled by one comparison.
    if options.is_empty() || options.len() == 12 && options.starts_with(&[1, 1, 8, 10]) {
        return Ok(());
    }
    validate_walk(options)
}

/// The option-by-option walk of [`validate`], kept out of line so the
/// common cases above inline into `Segment::parse` without it.
#[inline(never)]
fn validate_walk(options: &[u8]) -> Result<(), ParseError> {
    let mut at = 0;
    while let Some(&kind) = options.get(at) {
        match kind {
            0 => return Ok(()),
            1 => {
                at += 1;
                continue;
            }
            _ => {}
        }
        let available = options.len() - at;
        let Some(&len) = options.get(at + 1) else {
            return Err(ParseError::TruncatedOption {
                offset: at,
                kind,
                needed: 2,
                available,
            });
        };
        if !length_ok(kind, len) {
            return Err(ParseError::BadOptionLength {
                offset: at,
                kind,
                len,
            });
        }
        if usize::from(len) > available {
            return Err(ParseError::TruncatedOption {
                offset: at,
                kind,
                needed: usize::from(len),
                available,
            });
        }
        at += usize::from(len);
    }
    Ok(())
}

/// The two values of a timestamps option (RFC 7323 §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Timestamps {
    /// The sender's timestamp clock.
    pub tsval: u32,
    /// The most recent TSval received, echoed back (zero on a SYN).
    pub tsecr: u32,
}

/// Up to four SACK blocks (RFC 2018 §3), each `(left edge, right edge)`:
/// the first sequence number of a received run and the one after its end.
#[derive(Clone, Copy, Default)]
pub struct SackBlocks {
    blocks: [(u32, u32); SackBlocks::MAX],
    len: u8,
}

impl SackBlocks {
    /// Most blocks one option can carry in 40 bytes of options.
    pub const MAX: usize = 4;

    /// No blocks.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            blocks: [(0, 0); Self::MAX],
            len: 0,
        }
    }

    /// The blocks of `blocks`, or `None` if there are more than four.
    #[must_use]
    pub fn from_slice(blocks: &[(u32, u32)]) -> Option<Self> {
        let mut out = Self::new();
        for block in blocks {
            if !out.push(*block) {
                return None;
            }
        }
        Some(out)
    }

    /// Appends a block; returns `false` (and changes nothing) when four are
    /// already held.
    #[must_use = "a fifth block is not stored"]
    pub fn push(&mut self, block: (u32, u32)) -> bool {
        match self.blocks.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = block;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Removes every block.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// The blocks, in the order they were sent.
    #[must_use]
    pub fn as_slice(&self) -> &[(u32, u32)] {
        self.blocks.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Number of blocks.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are no blocks.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the SACK option takes on the wire (kind, length, blocks).
    fn option_len(&self) -> usize {
        2 + 8 * self.len()
    }
}

impl PartialEq for SackBlocks {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SackBlocks {}

impl fmt::Debug for SackBlocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for SackBlocks {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut out = Self::new();
        for _ in 0..u.int_in_range(0..=Self::MAX)? {
            let _ = out.push(u.arbitrary()?);
        }
        Ok(out)
    }
}

/// Options of kinds this crate does not decode, kept byte for byte (kind,
/// length, data) in the order they came, so they can be sent on unchanged.
#[derive(Clone, Copy)]
pub struct UnknownOptions {
    bytes: [u8; MAX_OPTIONS_LEN],
    len: u8,
}

impl UnknownOptions {
    /// None.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bytes: [0; MAX_OPTIONS_LEN],
            len: 0,
        }
    }

    /// Appends an option of `kind` carrying `data`.
    ///
    /// # Errors
    /// [`EmitError::InvalidOption`] for a kind this crate decodes (those
    /// belong in their [`Options`] fields) or data longer than 253 bytes;
    /// [`EmitError::OptionsTooLong`] when the 40 bytes would overflow.
    pub fn push(&mut self, kind: u8, data: &[u8]) -> Result<(), EmitError> {
        let option_len = u8::try_from(data.len() + 2)
            .ok()
            .filter(|_| !OptionKind(kind).is_known())
            .ok_or(EmitError::InvalidOption { kind })?;
        let start = usize::from(self.len);
        let end = start + usize::from(option_len);
        let Some(slot) = self.bytes.get_mut(start..end) else {
            return Err(EmitError::OptionsTooLong { len: end });
        };
        let (head, body) = slot.split_at_mut(2);
        head.copy_from_slice(&[kind, option_len]);
        body.copy_from_slice(data);
        self.len += option_len;
        Ok(())
    }

    /// Removes every option.
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// The raw options, back to back.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The options one by one, each a [`TcpOption::Unknown`].
    #[must_use]
    pub fn iter(&self) -> OptionsIter<'_> {
        // Only `push` writes here, and it writes well-formed options.
        OptionsIter::new_validated(self.as_bytes())
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for UnknownOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for UnknownOptions {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for UnknownOptions {}

impl fmt::Debug for UnknownOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for UnknownOptions {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut out = Self::new();
        for _ in 0..u.int_in_range(0..=4u8)? {
            let kind = u.int_in_range(9..=255u8)?;
            let len = u.int_in_range(0..=8usize)?;
            let data = u.bytes(len)?;
            let _ = out.push(kind, data);
        }
        Ok(out)
    }
}

/// One option as it appears on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of option list (kind 0).
    EndOfList,
    /// No-operation (kind 1).
    Nop,
    /// Maximum segment size (kind 2).
    Mss(u16),
    /// Window scale shift count (kind 3), as sent; RFC 7323 caps its use
    /// at 14 but the wire value is kept.
    WindowScale(u8),
    /// SACK permitted (kind 4).
    SackPermitted,
    /// SACK blocks (kind 5).
    Sack(SackBlocks),
    /// Timestamps (kind 8).
    Timestamps(Timestamps),
    /// Any other kind, with its data (the bytes after kind and length).
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option's data.
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// The option's kind number.
    #[must_use]
    pub const fn kind(&self) -> OptionKind {
        match self {
            TcpOption::EndOfList => OptionKind::EOL,
            TcpOption::Nop => OptionKind::NOP,
            TcpOption::Mss(_) => OptionKind::MSS,
            TcpOption::WindowScale(_) => OptionKind::WINDOW_SCALE,
            TcpOption::SackPermitted => OptionKind::SACK_PERMITTED,
            TcpOption::Sack(_) => OptionKind::SACK,
            TcpOption::Timestamps(_) => OptionKind::TIMESTAMPS,
            TcpOption::Unknown { kind, .. } => OptionKind(*kind),
        }
    }

    /// Bytes the option takes on the wire.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(blocks) => blocks.option_len(),
            TcpOption::Timestamps(_) => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buf`; returns its length.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than
    /// [`TcpOption::wire_len`]; [`EmitError::InvalidOption`] for a SACK
    /// without blocks or an unknown option of a known kind or with more
    /// than 253 bytes of data.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::new(buf);
        match *self {
            TcpOption::EndOfList => w.put([0])?,
            TcpOption::Nop => w.put([1])?,
            TcpOption::Mss(mss) => w.mss(mss)?,
            TcpOption::WindowScale(shift) => w.window_scale(shift)?,
            TcpOption::SackPermitted => w.put([4, 2])?,
            TcpOption::Sack(blocks) => {
                if blocks.is_empty() {
                    return Err(EmitError::InvalidOption { kind: 5 });
                }
                w.sack(&blocks)?;
            }
            TcpOption::Timestamps(ts) => w.timestamps(ts)?,
            TcpOption::Unknown { kind, data } => {
                let len = u8::try_from(data.len() + 2)
                    .ok()
                    .filter(|_| !OptionKind(kind).is_known())
                    .ok_or(EmitError::InvalidOption { kind })?;
                w.put([kind, len])?;
                w.put_slice(data)?;
            }
        }
        Ok(w.pos)
    }
}

/// Where nom's grammar failed: with a position-aware reason once the
/// option's offset is known, or nom's own failure inside a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrammarError {
    Option(ParseError),
    Nom,
}

impl<I> nom::error::ParseError<I> for GrammarError {
    fn from_error_kind(_input: I, _kind: nom::error::ErrorKind) -> Self {
        GrammarError::Nom
    }

    fn append(_input: I, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type GResult<'a, O> = nom::IResult<&'a [u8], O, GrammarError>;

fn fail(error: ParseError) -> nom::Err<GrammarError> {
    nom::Err::Failure(GrammarError::Option(error))
}

/// The grammar of one option, which starts `offset` bytes into the
/// options area: `kind` alone for EOL and NOP, else `kind len data`.
pub(crate) fn option(offset: usize, input: &[u8]) -> GResult<'_, TcpOption<'_>> {
    let available = input.len();
    let (rest, kind) = be_u8(input)?;
    match kind {
        0 => return Ok((rest, TcpOption::EndOfList)),
        1 => return Ok((rest, TcpOption::Nop)),
        _ => {}
    }
    let (rest, len) = be_u8::<_, GrammarError>(rest).map_err(|_| {
        fail(ParseError::TruncatedOption {
            offset,
            kind,
            needed: 2,
            available,
        })
    })?;
    if !length_ok(kind, len) {
        return Err(fail(ParseError::BadOptionLength { offset, kind, len }));
    }
    let (rest, data) = take::<_, _, GrammarError>(usize::from(len) - 2)(rest).map_err(|_| {
        fail(ParseError::TruncatedOption {
            offset,
            kind,
            needed: usize::from(len),
            available,
        })
    })?;
    let (_, decoded) = all_consuming(|d| option_data(kind, d)).parse(data)?;
    Ok((rest, decoded))
}

/// The data of an option whose length is already known to suit its kind.
fn option_data(kind: u8, data: &[u8]) -> GResult<'_, TcpOption<'_>> {
    match OptionKind(kind) {
        OptionKind::MSS => be_u16.map(TcpOption::Mss).parse(data),
        OptionKind::WINDOW_SCALE => be_u8.map(TcpOption::WindowScale).parse(data),
        OptionKind::SACK_PERMITTED => Ok((data, TcpOption::SackPermitted)),
        OptionKind::SACK => fold_many_m_n(
            1,
            SackBlocks::MAX,
            (be_u32, be_u32),
            SackBlocks::new,
            |mut blocks, block| {
                // At most MAX blocks arrive, so every push succeeds.
                let _ = blocks.push(block);
                blocks
            },
        )
        .map(TcpOption::Sack)
        .parse(data),
        OptionKind::TIMESTAMPS => (be_u32, be_u32)
            .map(|(tsval, tsecr)| TcpOption::Timestamps(Timestamps { tsval, tsecr }))
            .parse(data),
        _ => Ok((&[][..], TcpOption::Unknown { kind, data })),
    }
}

/// The options of a segment, one at a time, over bytes that were validated
/// when the segment was parsed, so iteration cannot fail.
///
/// Yields [`TcpOption::Nop`] and [`TcpOption::EndOfList`] too (a dissector
/// shows them); ends after EOL, whose trailing padding is not options.
#[derive(Clone, Debug)]
pub struct OptionsIter<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> OptionsIter<'a> {
    /// Validates `options` (an options area, without the fixed header) and
    /// iterates over it.
    ///
    /// # Errors
    /// As [`validate`].
    pub fn new(options: &'a [u8]) -> Result<Self, ParseError> {
        validate(options)?;
        Ok(Self::new_validated(options))
    }

    /// For bytes [`validate`] accepted.
    #[inline]
    pub(crate) const fn new_validated(options: &'a [u8]) -> Self {
        Self {
            rest: options,
            offset: 0,
        }
    }

    /// Offset of the next option within the options area.
    #[must_use]
    pub fn offset(&self) -> usize {
        self.offset
    }
}

impl<'a> Iterator for OptionsIter<'a> {
    type Item = TcpOption<'a>;

    fn next(&mut self) -> Option<TcpOption<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        match option(self.offset, self.rest) {
            Ok((rest, opt)) => {
                self.offset += self.rest.len() - rest.len();
                self.rest = if opt == TcpOption::EndOfList {
                    &[]
                } else {
                    rest
                };
                Some(opt)
            }
            // Unreachable for validated bytes; stop rather than loop.
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

impl core::iter::FusedIterator for OptionsIter<'_> {}

/// The options of a segment in owned form, for a [`Repr`](super::Repr).
///
/// When a kind appears more than once on the wire the last one wins.
/// NOP and EOL are layout, not content, and are not kept; [`Options::emit`]
/// lays the options out again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Options {
    /// Maximum segment size (SYN only).
    pub mss: Option<u16>,
    /// Window scale shift count (SYN only).
    pub window_scale: Option<u8>,
    /// SACK permitted (SYN only).
    pub sack_permitted: bool,
    /// SACK blocks; empty means no SACK option.
    pub sack: SackBlocks,
    /// Timestamps.
    pub timestamps: Option<Timestamps>,
    /// Options of other kinds, kept as they came.
    pub unknown: UnknownOptions,
}

impl Options {
    /// No options.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            mss: None,
            window_scale: None,
            sack_permitted: false,
            sack: SackBlocks::new(),
            timestamps: None,
            unknown: UnknownOptions::new(),
        }
    }

    /// Validates an options area (without the fixed header) and collects it.
    ///
    /// # Errors
    /// [`ParseError::OptionsTooLong`] past 40 bytes, else as [`validate`].
    pub fn parse(options: &[u8]) -> Result<Self, ParseError> {
        if options.len() > MAX_OPTIONS_LEN {
            return Err(ParseError::OptionsTooLong { len: options.len() });
        }
        Ok(Self::from_validated(OptionsIter::new(options)?))
    }

    /// Collects options from validated bytes of at most 40 bytes, whose
    /// unknown options therefore always fit.
    pub(crate) fn from_validated(iter: OptionsIter<'_>) -> Self {
        // NOP, NOP, timestamps: the options of nearly every segment after
        // the handshake, worth recognising without the grammar.
        if let Ok([1, 1, 8, 10, a, b, c, d, e, f, g, h]) = <[u8; 12]>::try_from(iter.rest) {
            return Self {
                timestamps: Some(Timestamps {
                    tsval: u32::from_be_bytes([a, b, c, d]),
                    tsecr: u32::from_be_bytes([e, f, g, h]),
                }),
                ..Self::new()
            };
        }
        let mut out = Self::new();
        for opt in iter {
            match opt {
                TcpOption::EndOfList | TcpOption::Nop => {}
                TcpOption::Mss(mss) => out.mss = Some(mss),
                TcpOption::WindowScale(shift) => out.window_scale = Some(shift),
                TcpOption::SackPermitted => out.sack_permitted = true,
                TcpOption::Sack(blocks) => out.sack = blocks,
                TcpOption::Timestamps(ts) => out.timestamps = Some(ts),
                TcpOption::Unknown { kind, data } => {
                    let _ = out.unknown.push(kind, data);
                }
            }
        }
        out
    }

    /// Whether there are no options.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mss.is_none()
            && self.window_scale.is_none()
            && !self.sack_permitted
            && self.sack.is_empty()
            && self.timestamps.is_none()
            && self.unknown.is_empty()
    }

    /// Bytes before padding, with or without the NOPs that align each
    /// option the way Linux does.
    fn unpadded_len(&self, aligned: bool) -> usize {
        let nops = |n: usize| if aligned { n } else { 0 };
        let mut len = 0;
        if self.mss.is_some() {
            len += 4;
        }
        if self.timestamps.is_some() {
            len += 10 + if self.sack_permitted { 2 } else { nops(2) };
        }
        if self.window_scale.is_some() {
            len += 3 + nops(1);
        }
        if self.sack_permitted && self.timestamps.is_none() {
            len += 2 + nops(2);
        }
        if !self.sack.is_empty() {
            len += self.sack.option_len() + nops(2);
        }
        len + self.unknown.as_bytes().len()
    }

    /// The layout `emit` uses: aligned if that fits in 40 bytes, else packed
    /// (which fits whenever the options came off the wire). Returns the
    /// padded length, which may exceed 40, and whether NOPs align.
    fn layout(&self) -> (usize, bool) {
        let aligned = self.unpadded_len(true).next_multiple_of(4);
        if aligned <= MAX_OPTIONS_LEN {
            (aligned, true)
        } else {
            (self.unpadded_len(false).next_multiple_of(4), false)
        }
    }

    /// Bytes [`Options::emit`] writes, padding included: a multiple of 4.
    /// More than 40 means `emit` will refuse them.
    #[inline]
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.layout().0
    }

    /// Writes the options at the start of `buf`, padded with EOL to a
    /// multiple of 4; returns the length.
    ///
    /// Order and alignment follow Linux (MSS; SACK-permitted with
    /// timestamps; NOP, window scale; NOPs before a lone SACK-permitted,
    /// timestamps or SACK), then unknown options as they came. If NOPs
    /// would push past 40 bytes the options are packed without them.
    ///
    /// # Errors
    /// [`EmitError::OptionsTooLong`], [`EmitError::BufferTooSmall`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let (len, aligned) = self.layout();
        if len > MAX_OPTIONS_LEN {
            return Err(EmitError::OptionsTooLong { len });
        }
        let available = buf.len();
        let area = buf.get_mut(..len).ok_or(EmitError::BufferTooSmall {
            needed: len,
            available,
        })?;
        let mut w = Writer::new(area);
        if let Some(mss) = self.mss {
            w.mss(mss)?;
        }
        if let Some(ts) = self.timestamps {
            if self.sack_permitted {
                w.put([4, 2])?;
            } else if aligned {
                w.put([1, 1])?;
            }
            w.timestamps(ts)?;
        }
        if let Some(shift) = self.window_scale {
            if aligned {
                w.put([1])?;
            }
            w.window_scale(shift)?;
        }
        if self.sack_permitted && self.timestamps.is_none() {
            if aligned {
                w.put([1, 1])?;
            }
            w.put([4, 2])?;
        }
        if !self.sack.is_empty() {
            if aligned {
                w.put([1, 1])?;
            }
            w.sack(&self.sack)?;
        }
        if !self.unknown.is_empty() {
            w.put_slice(self.unknown.as_bytes())?;
        }
        w.pad();
        Ok(len)
    }
}

/// Writes options left to right without indexing, failing rather than
/// panicking when the area is too short.
struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Writes a fixed-size piece: a constant-length copy the compiler
    /// turns into a few stores.
    #[inline]
    fn put<const N: usize>(&mut self, bytes: [u8; N]) -> Result<(), EmitError> {
        let available = self.buf.len();
        match self
            .buf
            .get_mut(self.pos..)
            .and_then(|rest| rest.first_chunk_mut::<N>())
        {
            Some(dst) => {
                *dst = bytes;
                self.pos += N;
                Ok(())
            }
            None => Err(EmitError::BufferTooSmall {
                needed: self.pos + N,
                available,
            }),
        }
    }

    fn put_slice(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let end = self.pos + bytes.len();
        let available = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EmitError::BufferTooSmall {
                needed: end,
                available,
            })?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    #[inline]
    fn mss(&mut self, mss: u16) -> Result<(), EmitError> {
        let [hi, lo] = mss.to_be_bytes();
        self.put([2, 4, hi, lo])
    }

    #[inline]
    fn window_scale(&mut self, shift: u8) -> Result<(), EmitError> {
        self.put([3, 3, shift])
    }

    #[inline]
    fn timestamps(&mut self, ts: Timestamps) -> Result<(), EmitError> {
        let [a, b, c, d] = ts.tsval.to_be_bytes();
        let [e, f, g, h] = ts.tsecr.to_be_bytes();
        self.put([8, 10, a, b, c, d, e, f, g, h])
    }

    fn sack(&mut self, blocks: &SackBlocks) -> Result<(), EmitError> {
        // At most 4 blocks: 34 bytes, well within u8.
        let len = u8::try_from(blocks.option_len()).unwrap_or(u8::MAX);
        self.put([5, len])?;
        for &(left, right) in blocks.as_slice() {
            let [a, b, c, d] = left.to_be_bytes();
            let [e, f, g, h] = right.to_be_bytes();
            self.put([a, b, c, d, e, f, g, h])?;
        }
        Ok(())
    }

    /// Fills the rest with EOL (zero) bytes.
    fn pad(&mut self) {
        if let Some(rest) = self.buf.get_mut(self.pos..) {
            rest.fill(0);
        }
        self.pos = self.buf.len();
    }
}
