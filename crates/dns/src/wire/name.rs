//! Domain names: the borrowed [`Name`] inside a message (compression
//! pointers and all), the owned fixed-capacity [`NameBuf`], and the scanner
//! that validates a name on the wire once.
//!
//! A name on the wire is a run of labels, each a length octet (0..=63)
//! followed by that many octets, ended by the zero-length root label or by a
//! two-octet compression pointer (top bits `11`) to an earlier position in
//! the message where the rest of the name continues (RFC 1035 4.1.4).
//!
//! The scanner accepts a pointer only if it points before the start of the
//! run of labels that contains it. Every jump therefore lands strictly
//! before the previous one, so a name is read in at most one pass over the
//! message, and loops are impossible by construction. Compressors only ever
//! point at names written earlier, so no real message is refused.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use super::error::NameError;

/// The longest name in wire form, length octets and root label included.
pub const MAX_NAME_LEN: usize = 255;

/// The longest label.
pub const MAX_LABEL_LEN: usize = 63;

/// At most this many pointers are followed when walking an already
/// validated name. Validation makes loops impossible; the bound only keeps
/// iteration finite if a buffer's `AsRef` were to return other bytes later.
const MAX_HOPS: u8 = 128;

/// Validates the name at `start` of `msg` and returns the offset just past
/// it in place (after its root label or its first pointer) and its length
/// in uncompressed wire form.
///
/// # Errors
/// Any [`NameError`] except the text-only ones.
#[inline]
pub(crate) fn scan(msg: &[u8], start: usize) -> Result<(usize, usize), NameError> {
    let mut pos = start;
    // Start of the run of labels being read; pointers must land before it.
    let mut segment = start;
    let mut total = 0usize;
    // Offset after the first pointer; 0 while no pointer was followed (a
    // pointer ends at offset 2 at least, so 0 is free as a marker).
    let mut end = 0usize;
    loop {
        let Some(&byte) = msg.get(pos) else {
            return Err(NameError::Truncated {
                offset: pos.min(msg.len()),
            });
        };
        if byte < 0x40 {
            let len = usize::from(byte);
            total += len + 1;
            if total > MAX_NAME_LEN {
                return Err(NameError::NameTooLong { offset: pos });
            }
            if len == 0 {
                let after = if end == 0 { pos + 1 } else { end };
                return Ok((after, total));
            }
            pos += len + 1;
        } else if byte >= 0xc0 {
            let Some(&low) = msg.get(pos + 1) else {
                return Err(NameError::Truncated { offset: pos + 1 });
            };
            let target = (u16::from(byte & 0x3f) << 8) | u16::from(low);
            let to = usize::from(target);
            if to > pos {
                return Err(NameError::ForwardPointer {
                    offset: pos,
                    target,
                });
            }
            if to >= segment {
                return Err(NameError::PointerLoop {
                    offset: pos,
                    target,
                });
            }
            if end == 0 {
                end = pos + 2;
            }
            segment = to;
            pos = to;
        } else {
            return Err(NameError::LabelTooLong {
                offset: pos,
                len: usize::from(byte),
            });
        }
    }
}

/// Skips the in-place part of a name already validated by [`scan`]: labels
/// up to the root label or the first pointer. Returns the offset after it.
#[inline]
pub(crate) fn skip(msg: &[u8], start: usize) -> usize {
    let mut pos = start;
    while let Some(&byte) = msg.get(pos) {
        if byte == 0 {
            return pos + 1;
        }
        if byte >= 0xc0 {
            return pos + 2;
        }
        pos += usize::from(byte) + 1;
    }
    pos
}

/// A domain name inside some bytes: a message (where it may continue
/// through compression pointers) or a [`NameBuf`].
///
/// Only a validated name can be made (by [`Name::parse`], by the message
/// view, or by [`NameBuf::as_name`]), so walking it cannot fail.
///
/// Equality is DNS equality: ASCII case is ignored (RFC 4343), and a name
/// compares equal to its text form:
///
/// ```
/// use strata_dns::wire::Name;
/// // "www" then a pointer back to "example.com" at offset 0.
/// let bytes = b"\x07example\x03com\x00\x03WWW\xc0\x00";
/// let (name, end) = Name::parse(bytes, 13)?;
/// assert_eq!(end, bytes.len());
/// assert_eq!(name, "www.example.com");
/// assert_eq!(name.to_string(), "WWW.example.com");
/// assert_eq!(name.labels().count(), 3);
/// # Ok::<(), strata_dns::wire::NameError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Name<'a> {
    msg: &'a [u8],
    start: usize,
    /// When non-zero, the name lies uncompressed in `msg[start..start +
    /// flat]` (names of a [`NameBuf`]): the builder copies it without a walk.
    flat: u16,
}

impl<'a> Name<'a> {
    /// A name known to be valid at `start` of `msg`.
    #[inline]
    pub(crate) const fn new_unchecked(msg: &'a [u8], start: usize) -> Self {
        Name {
            msg,
            start,
            flat: 0,
        }
    }

    /// The uncompressed wire form, if known to lie contiguous without a
    /// walk.
    #[inline]
    pub(crate) fn flat_wire(&self) -> Option<&'a [u8]> {
        if self.flat == 0 {
            return None;
        }
        self.msg
            .get(self.start..self.start + usize::from(self.flat))
    }

    /// The bytes the name lives in and where it starts.
    #[inline]
    pub(crate) const fn parts(&self) -> (&'a [u8], usize) {
        (self.msg, self.start)
    }

    /// Reads and validates the name at `offset` of `message`, following
    /// compression pointers. Returns the name and the offset just past its
    /// in-place part (where the next field starts).
    ///
    /// # Errors
    /// [`NameError`] for a name that runs past the end, a label type other
    /// than plain or pointer, a name over 255 octets, or a pointer that is
    /// not strictly backwards.
    #[inline]
    pub fn parse(message: &'a [u8], offset: usize) -> Result<(Name<'a>, usize), NameError> {
        let (end, _) = scan(message, offset)?;
        Ok((Name::new_unchecked(message, offset), end))
    }

    /// Where the name starts in the bytes it was read from.
    #[inline]
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.start
    }

    /// The labels, most specific first, without the root label.
    #[inline]
    #[must_use]
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            msg: self.msg,
            pos: self.start,
            hops: 0,
        }
    }

    /// Whether this is the root name `.`.
    #[inline]
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.labels().next().is_none()
    }

    /// How many labels, the root not counted (Wireshark `dns.count.labels`).
    #[must_use]
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// Length in uncompressed wire form, length octets and root included
    /// (1 for the root, 17 for `www.example.com`).
    #[must_use]
    pub fn wire_len(&self) -> usize {
        self.labels().map(|label| label.len() + 1).sum::<usize>() + 1
    }

    /// Compares two names label by label, ignoring ASCII case.
    #[must_use]
    pub fn eq_ignore_ascii_case(&self, other: &Name<'_>) -> bool {
        let mut mine = self.labels();
        let mut theirs = other.labels();
        loop {
            match (mine.next(), theirs.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
                _ => return false,
            }
        }
    }

    /// Whether this name is `parent` or lies below it (`www.example.com`
    /// is a subdomain of `example.com` and of `.`), ignoring ASCII case.
    #[must_use]
    pub fn is_subdomain_of(&self, parent: &Name<'_>) -> bool {
        let mine = self.label_count();
        let theirs = parent.label_count();
        let Some(skip) = mine.checked_sub(theirs) else {
            return false;
        };
        self.labels()
            .skip(skip)
            .zip(parent.labels())
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// Copies the name, uncompressed, into an owned [`NameBuf`].
    #[must_use]
    pub fn to_name_buf(&self) -> NameBuf {
        let mut buf = NameBuf::ROOT;
        let mut len = 0usize;
        for label in self.labels() {
            let end = len + 1 + label.len();
            // A validated name fits; the checks only keep this total.
            let Some(dst) = buf.bytes.get_mut(len..end) else {
                break;
            };
            if let Some((first, rest)) = dst.split_first_mut() {
                *first = label.len() as u8;
                rest.copy_from_slice(label);
            }
            len = end;
        }
        if let Some(root) = buf.bytes.get_mut(len) {
            *root = 0;
            buf.len = (len + 1) as u8;
        }
        buf
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_presentation(self.labels(), f)
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name(\"{self}\")")
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.eq_ignore_ascii_case(other)
    }
}

impl Eq for Name<'_> {}

impl Hash for Name<'_> {
    /// Hashes like the equal [`NameBuf`]: the lower-cased uncompressed
    /// wire form.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_name_buf().hash(state);
    }
}

impl PartialEq<str> for Name<'_> {
    /// Compares with a name in text form; text that is not a valid name is
    /// equal to nothing.
    fn eq(&self, other: &str) -> bool {
        NameBuf::from_str(other).is_ok_and(|text| self.eq_ignore_ascii_case(&text.as_name()))
    }
}

impl PartialEq<&str> for Name<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<NameBuf> for Name<'_> {
    fn eq(&self, other: &NameBuf) -> bool {
        self.eq_ignore_ascii_case(&other.as_name())
    }
}

/// The labels of a [`Name`], most specific first, root excluded.
#[derive(Clone, Debug)]
pub struct Labels<'a> {
    msg: &'a [u8],
    pos: usize,
    hops: u8,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let byte = *self.msg.get(self.pos)?;
            if byte >= 0xc0 {
                let low = *self.msg.get(self.pos + 1)?;
                if self.hops >= MAX_HOPS {
                    return None;
                }
                self.hops += 1;
                self.pos = (usize::from(byte & 0x3f) << 8) | usize::from(low);
                continue;
            }
            if byte == 0 || byte >= 0x40 {
                // Park past any real offset so the iterator stays finished.
                self.pos = usize::MAX;
                return None;
            }
            let start = self.pos + 1;
            let end = start + usize::from(byte);
            let label = self.msg.get(start..end)?;
            self.pos = end;
            return Some(label);
        }
    }
}

/// Writes labels in presentation form: dots between labels, `\.` and `\\`
/// for a dot or backslash inside a label, `\DDD` for bytes that are not
/// printable ASCII; the root alone is `.`.
fn write_presentation<'l>(
    labels: impl Iterator<Item = &'l [u8]>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let mut first = true;
    for label in labels {
        if !first {
            f.write_str(".")?;
        }
        first = false;
        let mut rest = label;
        while !rest.is_empty() {
            let plain = rest
                .iter()
                .position(|&b| !(0x21..=0x7e).contains(&b) || b == b'.' || b == b'\\')
                .unwrap_or(rest.len());
            let (run, tail) = rest.split_at(plain);
            if let Ok(text) = core::str::from_utf8(run) {
                f.write_str(text)?;
            }
            if let Some((&odd, tail)) = tail.split_first() {
                if odd == b'.' || odd == b'\\' {
                    write!(f, "\\{}", char::from(odd))?;
                } else {
                    write!(f, "\\{odd:03}")?;
                }
                rest = tail;
            } else {
                rest = tail;
            }
        }
    }
    if first {
        f.write_str(".")?;
    }
    Ok(())
}

/// An owned domain name in uncompressed wire form, in a fixed 255-byte
/// array: no heap, `Copy`-cheap to keep in a cache key.
///
/// `Eq` and `Hash` ignore ASCII case, so `NameBuf` works as a `HashMap`
/// key for a cache or for matching a response's question to a query.
///
/// ```
/// use strata_dns::wire::NameBuf;
/// let name: NameBuf = "www.Example.com.".parse()?;
/// assert_eq!(name.as_wire(), b"\x03www\x07Example\x03com\x00");
/// assert_eq!(name, "WWW.example.COM".parse::<NameBuf>()?);
/// assert_eq!(name.to_string(), "www.Example.com");
/// # Ok::<(), strata_dns::wire::NameError>(())
/// ```
#[derive(Clone)]
pub struct NameBuf {
    /// Bytes used in `bytes`; at least 1 (the root label).
    len: u8,
    bytes: [u8; MAX_NAME_LEN],
}

impl NameBuf {
    /// The root name `.`.
    pub const ROOT: NameBuf = NameBuf {
        len: 1,
        bytes: [0; MAX_NAME_LEN],
    };

    /// Takes a name in uncompressed wire form; `wire` must hold exactly
    /// the name (no pointers, ending with the root label).
    ///
    /// # Errors
    /// [`NameError`] if it is not such a name, including
    /// [`NameError::ForwardPointer`]/[`NameError::PointerLoop`] for a
    /// pointer and [`NameError::Truncated`] for bytes after the root.
    pub fn from_wire(wire: &[u8]) -> Result<NameBuf, NameError> {
        let (end, len) = scan(wire, 0)?;
        if end != len {
            // A pointer was followed: not standalone wire form.
            return Err(NameError::PointerLoop {
                offset: end.saturating_sub(2),
                target: 0,
            });
        }
        if end != wire.len() {
            return Err(NameError::Truncated { offset: end });
        }
        let mut buf = NameBuf::ROOT;
        if let (Some(dst), Ok(len)) = (buf.bytes.get_mut(..end), u8::try_from(end)) {
            dst.copy_from_slice(wire);
            buf.len = len;
        }
        Ok(buf)
    }

    /// Builds a name from its labels, most specific first, root excluded.
    ///
    /// # Errors
    /// [`NameError::EmptyLabel`], [`NameError::LabelTooLong`] or
    /// [`NameError::NameTooLong`], with `offset` the index of the label.
    pub fn from_labels<'l, I>(labels: I) -> Result<NameBuf, NameError>
    where
        I: IntoIterator<Item = &'l [u8]>,
    {
        let mut buf = NameBuf::ROOT;
        let mut len = 0usize;
        for (index, label) in labels.into_iter().enumerate() {
            if label.is_empty() {
                return Err(NameError::EmptyLabel { offset: index });
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong {
                    offset: index,
                    len: label.len(),
                });
            }
            let end = len + 1 + label.len();
            // Leave room for the root label.
            let Some(dst) = buf.bytes.get_mut(len..end).filter(|_| end < MAX_NAME_LEN) else {
                return Err(NameError::NameTooLong { offset: index });
            };
            if let Some((first, rest)) = dst.split_first_mut() {
                *first = label.len() as u8;
                rest.copy_from_slice(label);
            }
            len = end;
        }
        if let Some(root) = buf.bytes.get_mut(len) {
            *root = 0;
        }
        buf.len = (len + 1) as u8;
        Ok(buf)
    }

    /// The name in uncompressed wire form, root label included.
    #[inline]
    #[must_use]
    pub fn as_wire(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[0])
    }

    /// A borrowed [`Name`] over this buffer, for the builder and for
    /// comparisons.
    #[inline]
    #[must_use]
    pub fn as_name(&self) -> Name<'_> {
        Name {
            msg: self.as_wire(),
            start: 0,
            flat: u16::from(self.len),
        }
    }

    /// The labels, most specific first, root excluded.
    #[inline]
    #[must_use]
    pub fn labels(&self) -> Labels<'_> {
        self.as_name().labels()
    }

    /// Length in wire form (1 for the root).
    #[inline]
    #[must_use]
    pub fn wire_len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether this is the root name `.`.
    #[inline]
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.len == 1
    }

    /// Whether this name is `parent` or lies below it, ignoring ASCII case.
    #[must_use]
    pub fn is_subdomain_of(&self, parent: &Name<'_>) -> bool {
        self.as_name().is_subdomain_of(parent)
    }

    /// The name with ASCII letters lower-cased (the form to compare with
    /// `==` on bytes, or to print canonically).
    #[must_use]
    pub fn to_ascii_lowercase(&self) -> NameBuf {
        let mut out = self.clone();
        // Length octets are at most 63, below 'A', so lower-casing every
        // byte of the wire form only touches label contents.
        out.bytes.make_ascii_lowercase();
        out
    }
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf::ROOT
    }
}

impl PartialEq for NameBuf {
    fn eq(&self, other: &Self) -> bool {
        // Length octets (<= 63) are never ASCII letters, so a whole-buffer
        // case-insensitive comparison is a label-wise one.
        self.as_wire().eq_ignore_ascii_case(other.as_wire())
    }
}

impl Eq for NameBuf {}

impl Hash for NameBuf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut lower = [0u8; MAX_NAME_LEN];
        let len = usize::from(self.len);
        if let (Some(dst), Some(src)) = (lower.get_mut(..len), self.bytes.get(..len)) {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s.to_ascii_lowercase();
            }
            state.write(dst);
        }
    }
}

impl PartialEq<Name<'_>> for NameBuf {
    fn eq(&self, other: &Name<'_>) -> bool {
        self.as_name().eq_ignore_ascii_case(other)
    }
}

impl PartialEq<str> for NameBuf {
    fn eq(&self, other: &str) -> bool {
        self.as_name() == *other
    }
}

impl PartialEq<&str> for NameBuf {
    fn eq(&self, other: &&str) -> bool {
        self.as_name() == **other
    }
}

impl fmt::Display for NameBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_name(), f)
    }
}

impl fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameBuf(\"{self}\")")
    }
}

impl From<Name<'_>> for NameBuf {
    fn from(name: Name<'_>) -> Self {
        name.to_name_buf()
    }
}

impl TryFrom<&str> for NameBuf {
    type Error = NameError;

    fn try_from(text: &str) -> Result<Self, NameError> {
        text.parse()
    }
}

impl FromStr for NameBuf {
    type Err = NameError;

    /// Parses presentation form: labels separated by dots, an optional
    /// final dot, `\c` for a literal character and `\DDD` for a byte in
    /// decimal. `""` and `"."` are the root.
    fn from_str(text: &str) -> Result<Self, NameError> {
        let src = text.as_bytes();
        let mut buf = NameBuf::ROOT;
        if src.is_empty() || src == b"." {
            return Ok(buf);
        }
        // `len_at` is where the current label's length octet goes, `n` the
        // next free byte, `label_start` the text offset of the label.
        let mut len_at = 0usize;
        let mut n = 1usize;
        let mut label_len = 0usize;
        let mut label_start = 0usize;
        let mut i = 0usize;
        while let Some(&c) = src.get(i) {
            if c == b'.' {
                if label_len == 0 {
                    return Err(NameError::EmptyLabel { offset: i });
                }
                if let Some(slot) = buf.bytes.get_mut(len_at) {
                    *slot = label_len as u8;
                }
                len_at = n;
                n += 1;
                label_len = 0;
                i += 1;
                label_start = i;
                if n > MAX_NAME_LEN {
                    return Err(NameError::NameTooLong { offset: i });
                }
                continue;
            }
            let (byte, used) = if c == b'\\' {
                unescape(src, i)?
            } else {
                (c, 1)
            };
            if label_len == MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong {
                    offset: label_start,
                    len: label_len + 1,
                });
            }
            // The byte, then at least the root label, must fit.
            let Some(slot) = buf.bytes.get_mut(n).filter(|_| n + 1 < MAX_NAME_LEN) else {
                return Err(NameError::NameTooLong {
                    offset: label_start,
                });
            };
            *slot = byte;
            n += 1;
            label_len += 1;
            i += used;
        }
        if label_len > 0 {
            if let Some(slot) = buf.bytes.get_mut(len_at) {
                *slot = label_len as u8;
            }
            if let Some(slot) = buf.bytes.get_mut(n) {
                *slot = 0;
            }
            n += 1;
        } else {
            // A final dot: its reserved length octet becomes the root.
            if let Some(slot) = buf.bytes.get_mut(len_at) {
                *slot = 0;
            }
            n = len_at + 1;
        }
        buf.len = u8::try_from(n).map_err(|_| NameError::NameTooLong { offset: 0 })?;
        Ok(buf)
    }
}

/// Decodes the escape at `src[at]` (a backslash): returns the byte and how
/// many text bytes it used.
fn unescape(src: &[u8], at: usize) -> Result<(u8, usize), NameError> {
    let bad = NameError::BadEscape { offset: at };
    let Some(&first) = src.get(at + 1) else {
        return Err(bad);
    };
    if !first.is_ascii_digit() {
        return Ok((first, 2));
    }
    let digits = src.get(at + 1..at + 4).ok_or(bad)?;
    let mut value = 0u16;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(bad);
        }
        value = value * 10 + u16::from(d - b'0');
    }
    let byte = u8::try_from(value).map_err(|_| bad)?;
    Ok((byte, 4))
}
