//! The message builder: writes a message into a caller's buffer, section by
//! section, compressing names.
//!
//! Compression (RFC 1035 4.1.4): every name written in a compressible
//! position (owner names, question names, and names in the RDATA of the RFC
//! 1035 types CNAME, NS, PTR, MX, SOA) is looked up, longest suffix first,
//! among the names and name suffixes already written; the longest match is
//! replaced by a pointer. Matching is exact (byte for byte, case included),
//! so the name a reader decompresses is the name that was given. The table
//! of known suffixes has a fixed size ([`COMPRESSION_ENTRIES`]); once it is
//! full, later names are still compressed against it but not added to it.

use super::HEADER_LEN;
use super::error::EmitError;
use super::message::{Header, RECORD_FIXED_LEN};
use super::name::{MAX_NAME_LEN, Name};
use super::rdata::{Edns, RData};
use super::types::{Class, Flags, RecordType, Section};

/// How many name suffixes the builder remembers for compression.
pub const COMPRESSION_ENTRIES: usize = 32;

/// Pointers hold 14 bits: names starting at or beyond this offset cannot be
/// pointed to.
const POINTER_LIMIT: usize = 0x4000;

/// Suffixes already written: where each starts and a key that rules most
/// non-matches out without walking the buffer.
#[derive(Clone, Debug)]
struct Table {
    keys: [u64; COMPRESSION_ENTRIES],
    offsets: [u16; COMPRESSION_ENTRIES],
    len: usize,
}

/// The key of a suffix: its first 8 wire bytes (length octet first) mixed
/// with its length, so two suffixes with different keys differ.
#[inline]
fn key(suffix: &[u8]) -> u64 {
    let first = match suffix.first_chunk::<8>() {
        Some(chunk) => u64::from_le_bytes(*chunk),
        // Short tails ("com"): assembled by shifts, not a call to memcpy.
        None => suffix
            .iter()
            .zip((0..64).step_by(8))
            .fold(0u64, |acc, (&b, shift)| acc | (u64::from(b) << shift)),
    };
    first ^ ((suffix.len() as u64) << 56)
}

impl Table {
    const fn new() -> Self {
        Table {
            keys: [0; COMPRESSION_ENTRIES],
            offsets: [0; COMPRESSION_ENTRIES],
            len: 0,
        }
    }

    #[inline]
    fn add(&mut self, offset: usize, key: u64) {
        if offset >= POINTER_LIMIT {
            return;
        }
        if let (Some(k), Some(o)) = (self.keys.get_mut(self.len), self.offsets.get_mut(self.len)) {
            *k = key;
            *o = offset as u16;
            self.len += 1;
        }
    }

    /// Where in `buf` a name equal to `suffix` was written, if anywhere.
    #[inline]
    fn find(&self, buf: &[u8], suffix: &[u8]) -> Option<u16> {
        let wanted = key(suffix);
        let keys = self.keys.get(..self.len)?;
        keys.iter()
            .zip(&self.offsets)
            .filter(|(k, _)| **k == wanted)
            .map(|(_, o)| *o)
            .find(|&o| written_equals(buf, usize::from(o), suffix))
    }
}

/// Slice equality for short slices (names), eight bytes at a time and
/// inline, cheaper than a call to `memcmp` for the 10 to 30 bytes of a
/// typical name.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (a8.remainder(), b8.remainder());
    a8.zip(b8).all(|(x, y)| {
        let x = x.first_chunk::<8>().copied().unwrap_or_default();
        let y = y.first_chunk::<8>().copied().unwrap_or_default();
        u64::from_ne_bytes(x) == u64::from_ne_bytes(y)
    }) && ra.iter().zip(rb).all(|(x, y)| x == y)
}

/// Whether the name written at `at` of `buf` (pointers allowed) is exactly
/// the uncompressed `wire`.
fn written_equals(buf: &[u8], mut at: usize, wire: &[u8]) -> bool {
    // Usually the earlier name was written out in full: one comparison.
    if buf
        .get(at..at + wire.len())
        .is_some_and(|written| bytes_eq(written, wire))
    {
        return true;
    }
    let mut w = 0usize;
    // A name has at most 127 labels plus pointers between them; the builder
    // writes only backward pointers, but stay finite whatever the buffer.
    for _ in 0..256 {
        let Some(&byte) = buf.get(at) else {
            return false;
        };
        if byte >= 0xc0 {
            let Some(&low) = buf.get(at + 1) else {
                return false;
            };
            at = (usize::from(byte & 0x3f) << 8) | usize::from(low);
            continue;
        }
        if wire.get(w) != Some(&byte) {
            return false;
        }
        if byte == 0 {
            return true;
        }
        let len = usize::from(byte);
        if buf.get(at + 1..at + 1 + len) != wire.get(w + 1..w + 1 + len) {
            return false;
        }
        at += len + 1;
        w += len + 1;
    }
    false
}

/// Writes a DNS message into a caller's buffer.
///
/// Entries go in wire order: questions, then answers, authority and
/// additional records; the header counts are kept up to date as entries are
/// added. When an entry does not fit, the call fails with
/// [`EmitError::BufferTooSmall`] and the builder is left as it was, so a
/// server can stop there and set TC.
///
/// ```
/// use strata_dns::wire::{Builder, Class, Flags, Message, NameBuf, RData, RecordType};
/// use core::net::Ipv4Addr;
///
/// let name: NameBuf = "www.example.com".parse()?;
/// let mut buf = [0u8; 512];
/// let mut b = Builder::new(&mut buf, 0x1234, Flags::QUERY.with_response(true))?;
/// b.question(name.as_name(), RecordType::A, Class::IN)?;
/// b.answer(name.as_name(), Class::IN, 300, &RData::A(Ipv4Addr::new(198, 18, 0, 7)))?;
/// let bytes = b.finish();
/// // The answer's owner name is a 2-byte pointer to the question's.
/// assert_eq!(bytes.len(), 12 + 17 + 4 + 2 + 10 + 4);
/// let msg = Message::parse(&*bytes)?;
/// assert_eq!(msg.answers().next().map(|r| r.data()), Some(RData::A(Ipv4Addr::new(198, 18, 0, 7))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Builder<'b> {
    buf: &'b mut [u8],
    len: usize,
    section: Section,
    counts: [u16; 4],
    table: Table,
}

impl<'b> Builder<'b> {
    /// Starts a message with this ID and flags and no entries.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than the 12-byte
    /// header.
    pub fn new(buf: &'b mut [u8], id: u16, flags: Flags) -> Result<Self, EmitError> {
        let available = buf.len();
        let Some(header) = buf.get_mut(..HEADER_LEN) else {
            return Err(EmitError::BufferTooSmall {
                needed: HEADER_LEN,
                available,
            });
        };
        header.fill(0);
        let mut builder = Builder {
            buf,
            len: HEADER_LEN,
            section: Section::Question,
            counts: [0; 4],
            table: Table::new(),
        };
        builder.set_id(id);
        builder.set_flags(flags);
        Ok(builder)
    }

    /// Overwrites the ID.
    pub fn set_id(&mut self, id: u16) {
        if let Some(field) = self.buf.get_mut(0..2) {
            field.copy_from_slice(&id.to_be_bytes());
        }
    }

    /// Overwrites the flags word (RCODE's upper bits go in
    /// [`Edns::extended_rcode`]).
    pub fn set_flags(&mut self, flags: Flags) {
        if let Some(field) = self.buf.get_mut(2..4) {
            field.copy_from_slice(&flags.0.to_be_bytes());
        }
    }

    /// The flags word as written.
    #[must_use]
    pub fn flags(&self) -> Flags {
        match self.buf.get(2..4) {
            Some(&[a, b]) => Flags(u16::from_be_bytes([a, b])),
            _ => Flags(0),
        }
    }

    /// Entries written to a section so far.
    #[must_use]
    pub fn count(&self, section: Section) -> u16 {
        let [qd, an, ns, ar] = self.counts;
        match section {
            Section::Question => qd,
            Section::Answer => an,
            Section::Authority => ns,
            Section::Additional => ar,
        }
    }

    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: the header is written from the start.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The message as written so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Ends the message; returns it (the written prefix of the buffer).
    pub fn finish(self) -> &'b mut [u8] {
        let len = self.len;
        let buf = self.buf;
        let available = buf.len();
        let (message, _) = buf.split_at_mut(len.min(available));
        message
    }

    /// Adds a question.
    ///
    /// # Errors
    /// [`EmitError::SectionOrder`] after a record was added,
    /// [`EmitError::TooManyEntries`], [`EmitError::BufferTooSmall`].
    pub fn question(
        &mut self,
        name: Name<'_>,
        qtype: RecordType,
        qclass: Class,
    ) -> Result<(), EmitError> {
        self.entry(Section::Question, |b| {
            b.name(name, true)?;
            let [t0, t1] = qtype.0.to_be_bytes();
            let [c0, c1] = qclass.0.to_be_bytes();
            b.put(&[t0, t1, c0, c1])
        })
    }

    /// Adds a record to `section` (answer, authority or additional).
    ///
    /// The TYPE is `data`'s ([`RData::rtype`]). Names inside CNAME, NS, PTR,
    /// MX and SOA data are compressed; SRV targets and unknown RDATA are
    /// written as given.
    ///
    /// # Errors
    /// [`EmitError::SectionOrder`] for the question section or a section
    /// before the current one, [`EmitError::TooManyEntries`],
    /// [`EmitError::TooLong`] for RDATA or a part of it over its limit,
    /// [`EmitError::BufferTooSmall`].
    pub fn record(
        &mut self,
        section: Section,
        name: Name<'_>,
        class: Class,
        ttl: u32,
        data: &RData<'_>,
    ) -> Result<(), EmitError> {
        if section == Section::Question {
            return Err(EmitError::SectionOrder {
                section,
                current: self.section,
            });
        }
        self.entry(section, |b| {
            b.name(name, true)?;
            let [t0, t1] = data.rtype().0.to_be_bytes();
            let [c0, c1] = class.0.to_be_bytes();
            let [l0, l1, l2, l3] = ttl.to_be_bytes();
            b.put(&[t0, t1, c0, c1, l0, l1, l2, l3, 0, 0])?;
            let rdlen_at = b.len - 2;
            let start = b.len;
            b.rdata(data)?;
            let rdlen = b.len - start;
            let Ok(rdlen) = u16::try_from(rdlen) else {
                return Err(EmitError::TooLong {
                    field: "RDATA",
                    len: rdlen,
                    max: usize::from(u16::MAX),
                });
            };
            if let Some(field) = b.buf.get_mut(rdlen_at..rdlen_at + 2) {
                field.copy_from_slice(&rdlen.to_be_bytes());
            }
            Ok(())
        })
    }

    /// Adds an answer record.
    ///
    /// # Errors
    /// As [`Builder::record`].
    pub fn answer(
        &mut self,
        name: Name<'_>,
        class: Class,
        ttl: u32,
        data: &RData<'_>,
    ) -> Result<(), EmitError> {
        self.record(Section::Answer, name, class, ttl, data)
    }

    /// Adds an authority record.
    ///
    /// # Errors
    /// As [`Builder::record`].
    pub fn authority(
        &mut self,
        name: Name<'_>,
        class: Class,
        ttl: u32,
        data: &RData<'_>,
    ) -> Result<(), EmitError> {
        self.record(Section::Authority, name, class, ttl, data)
    }

    /// Adds an additional record.
    ///
    /// # Errors
    /// As [`Builder::record`].
    pub fn additional(
        &mut self,
        name: Name<'_>,
        class: Class,
        ttl: u32,
        data: &RData<'_>,
    ) -> Result<(), EmitError> {
        self.record(Section::Additional, name, class, ttl, data)
    }

    /// Adds the OPT pseudo-record for EDNS(0) to the additional section
    /// (owner: the root).
    ///
    /// # Errors
    /// As [`Builder::record`].
    pub fn edns(&mut self, edns: &Edns<'_>) -> Result<(), EmitError> {
        self.record(
            Section::Additional,
            Name::new_unchecked(&[0], 0),
            edns.class(),
            edns.ttl(),
            &RData::Opt(edns.options),
        )
    }

    /// Runs `write` for one entry of `section`; on failure restores the
    /// builder, on success counts the entry.
    fn entry(
        &mut self,
        section: Section,
        write: impl FnOnce(&mut Self) -> Result<(), EmitError>,
    ) -> Result<(), EmitError> {
        if section < self.section {
            return Err(EmitError::SectionOrder {
                section,
                current: self.section,
            });
        }
        let count = self.count(section);
        let Some(count) = count.checked_add(1) else {
            return Err(EmitError::TooManyEntries { section });
        };
        let (len, table_len) = (self.len, self.table.len);
        if let Err(error) = write(self) {
            self.len = len;
            self.table.len = table_len;
            return Err(error);
        }
        self.section = section;
        let index = section.index();
        if let Some(slot) = self.counts.get_mut(index) {
            *slot = count;
        }
        let at = 4 + 2 * index;
        if let Some(field) = self.buf.get_mut(at..at + 2) {
            field.copy_from_slice(&count.to_be_bytes());
        }
        Ok(())
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let end = self.len + bytes.len();
        let available = self.buf.len();
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            return Err(EmitError::BufferTooSmall {
                needed: end,
                available,
            });
        };
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    #[inline]
    fn put_u16(&mut self, value: u16) -> Result<(), EmitError> {
        self.put(&value.to_be_bytes())
    }

    /// Writes a name, compressed against (and recorded in) the table when
    /// `compress` is set.
    #[inline]
    fn name(&mut self, name: Name<'_>, compress: bool) -> Result<(), EmitError> {
        match contiguous(name) {
            Some(wire) => self.name_wire(wire, compress),
            None => self.name_copied(name, compress),
        }
    }

    /// [`Builder::name`] for a name that continues through pointers in its
    /// own message: copied out first.
    #[cold]
    fn name_copied(&mut self, name: Name<'_>, compress: bool) -> Result<(), EmitError> {
        let mut copy = [0u8; MAX_NAME_LEN];
        let mut len = 0usize;
        for label in name.labels() {
            let end = len + 1 + label.len();
            let Some(dst) = copy.get_mut(len..end) else {
                break;
            };
            if let Some((first, rest)) = dst.split_first_mut() {
                *first = label.len() as u8;
                rest.copy_from_slice(label);
            }
            len = end;
        }
        // The root label is the zero already there.
        self.name_wire(copy.get(..=len).unwrap_or(&[0]), compress)
    }

    /// Writes a name given in uncompressed wire form.
    #[inline]
    fn name_wire(&mut self, wire: &[u8], compress: bool) -> Result<(), EmitError> {
        if !compress {
            return self.put(wire);
        }
        // Try the whole name, then each shorter suffix; the root alone is
        // one byte, never worth a pointer.
        if self.table.len > 0 {
            let mut at = 0usize;
            while let Some(&len) = wire.get(at) {
                if len == 0 {
                    break;
                }
                let suffix = wire.get(at..).unwrap_or(&[]);
                if let Some(target) = self.table.find(&*self.buf, suffix) {
                    let prefix = wire.get(..at).unwrap_or(&[]);
                    let base = self.len;
                    self.put(prefix)?;
                    self.put_u16(0xc000 | target)?;
                    self.remember(base, prefix, wire);
                    return Ok(());
                }
                at += usize::from(len) + 1;
            }
        }
        let base = self.len;
        self.put(wire)?;
        self.remember(base, wire, wire);
        Ok(())
    }

    /// Records the suffixes that start within `written` (a prefix of
    /// `wire` now at `base`).
    #[inline]
    fn remember(&mut self, base: usize, written: &[u8], wire: &[u8]) {
        let mut at = 0usize;
        while let Some(&len) = written.get(at) {
            if len == 0 {
                break;
            }
            self.table
                .add(base + at, key(wire.get(at..).unwrap_or(&[])));
            at += usize::from(len) + 1;
        }
    }

    fn rdata(&mut self, data: &RData<'_>) -> Result<(), EmitError> {
        match data {
            RData::A(addr) => self.put(&addr.octets()),
            RData::Aaaa(addr) => self.put(&addr.octets()),
            RData::Cname(name) | RData::Ns(name) | RData::Ptr(name) => self.name(*name, true),
            RData::Mx(mx) => {
                self.put_u16(mx.preference)?;
                self.name(mx.exchange, true)
            }
            RData::Soa(soa) => {
                self.name(soa.mname, true)?;
                self.name(soa.rname, true)?;
                for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                    self.put(&value.to_be_bytes())?;
                }
                Ok(())
            }
            RData::Srv(srv) => {
                self.put_u16(srv.priority)?;
                self.put_u16(srv.weight)?;
                self.put_u16(srv.port)?;
                self.name(srv.target, false)
            }
            RData::Txt(txt) => {
                for string in txt.strings() {
                    let Ok(len) = u8::try_from(string.len()) else {
                        return Err(EmitError::TooLong {
                            field: "TXT string",
                            len: string.len(),
                            max: 255,
                        });
                    };
                    self.put(&[len])?;
                    self.put(string)?;
                }
                Ok(())
            }
            RData::Caa(caa) => {
                let Ok(tag_len) = u8::try_from(caa.tag.len()) else {
                    return Err(EmitError::TooLong {
                        field: "CAA tag",
                        len: caa.tag.len(),
                        max: 255,
                    });
                };
                self.put(&[caa.flags, tag_len])?;
                self.put(caa.tag)?;
                self.put(caa.value)
            }
            RData::Opt(options) => {
                for option in options.iter() {
                    let Ok(len) = u16::try_from(option.data.len()) else {
                        return Err(EmitError::TooLong {
                            field: "EDNS option",
                            len: option.data.len(),
                            max: usize::from(u16::MAX),
                        });
                    };
                    self.put_u16(option.code.0)?;
                    self.put_u16(len)?;
                    self.put(option.data)?;
                }
                Ok(())
            }
            RData::Unknown { data, .. } => self.put(data),
        }
    }
}

/// The name in uncompressed wire form when it lies contiguous in its bytes
/// (a [`NameBuf`](crate::wire::NameBuf), or a message name without
/// pointers).
#[inline]
fn contiguous(name: Name<'_>) -> Option<&[u8]> {
    if let Some(wire) = name.flat_wire() {
        return Some(wire);
    }
    let (msg, start) = name.parts();
    let mut pos = start;
    while let Some(&byte) = msg.get(pos) {
        if byte == 0 {
            return msg.get(start..=pos);
        }
        if byte >= 0x40 {
            return None;
        }
        pos += usize::from(byte) + 1;
    }
    None
}

/// Header and fixed-field sizes, kept next to the code that writes them.
const _: () = assert!(HEADER_LEN == core::mem::size_of::<Header>());
const _: () = assert!(RECORD_FIXED_LEN == 10);
