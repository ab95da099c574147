//! The zero-copy message view.

use zerocopy::network_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::HEADER_LEN;
use super::error::{NameError, ParseError};
use super::name::{Name, scan, skip};
use super::rdata::{self, Edns, Invalid, RData};
use super::types::{Class, Flags, Opcode, Rcode, RecordType, Section};

/// The 12-byte header as it lies on the wire.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) id: U16,
    pub(crate) flags: U16,
    pub(crate) counts: [U16; 4],
}

/// TYPE, CLASS, TTL and RDLENGTH, after a record's owner name.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct RecordFixed {
    pub(crate) rtype: U16,
    pub(crate) class: U16,
    pub(crate) ttl: U32,
    pub(crate) rdlen: U16,
}

/// Length of [`RecordFixed`].
pub(crate) const RECORD_FIXED_LEN: usize = 10;

/// QTYPE and QCLASS, after a question's name.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct QuestionFixed {
    pub(crate) qtype: U16,
    pub(crate) qclass: U16,
}

/// A DNS message over borrowed (or owned) bytes, validated by
/// [`Message::parse`].
///
/// Parsing walks every question and record once and checks every name
/// (compression pointers included), every length and the RDATA of every
/// type it knows. It stores only where each section starts; the iterators
/// ([`questions`](Message::questions), [`answers`](Message::answers), ...)
/// walk the bytes again lazily and cannot fail. Nothing is copied or
/// allocated.
///
/// Bytes after the last record (padding some transports add) are not part
/// of the message: see [`Message::len`].
#[derive(Clone, Copy, Debug)]
pub struct Message<T> {
    buffer: T,
    counts: [u16; 4],
    answer_at: usize,
    authority_at: usize,
    additional_at: usize,
    end: usize,
    /// Offset of the first OPT record in the additional section.
    opt_at: Option<usize>,
}

impl<T: AsRef<[u8]>> Message<T> {
    /// Checks that `buffer` starts with a complete, well-formed DNS message.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] for fewer than 12 bytes;
    /// [`ParseError::RecordTruncated`] when the counts promise more than the
    /// bytes hold; [`ParseError::BadName`] for a malformed name (pointer
    /// loop, forward pointer, label or name too long);
    /// [`ParseError::BadRData`] for RDATA that does not fit its type.
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let msg = buffer.as_ref();
        let Ok((header, _)) = Header::ref_from_prefix(msg) else {
            return Err(ParseError::Truncated {
                needed: HEADER_LEN,
                available: msg.len(),
            });
        };
        let counts = header.counts.map(U16::get);
        let [qd, an, ns, ar] = counts;
        let mut pos = HEADER_LEN;
        for index in 0..qd {
            pos = check_question(msg, pos, index)?;
        }
        let answer_at = pos;
        for index in 0..an {
            pos = check_record(msg, pos, Section::Answer, index)?.0;
        }
        let authority_at = pos;
        for index in 0..ns {
            pos = check_record(msg, pos, Section::Authority, index)?.0;
        }
        let additional_at = pos;
        let mut opt_at = None;
        for index in 0..ar {
            let (next, rtype) = check_record(msg, pos, Section::Additional, index)?;
            if rtype == RecordType::OPT && opt_at.is_none() {
                opt_at = Some(pos);
            }
            pos = next;
        }
        Ok(Message {
            buffer,
            counts,
            answer_at,
            authority_at,
            additional_at,
            end: pos,
            opt_at,
        })
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    #[inline]
    fn header_u16(&self, at: usize) -> u16 {
        match self.bytes().get(at..at + 2) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }

    /// The message ID (Wireshark `dns.id`).
    #[inline]
    #[must_use]
    pub fn id(&self) -> u16 {
        self.header_u16(0)
    }

    /// The flags word (`dns.flags`).
    #[inline]
    #[must_use]
    pub fn flags(&self) -> Flags {
        Flags(self.header_u16(2))
    }

    /// OPCODE.
    #[inline]
    #[must_use]
    pub fn opcode(&self) -> Opcode {
        self.flags().opcode()
    }

    /// Whether QR is set.
    #[inline]
    #[must_use]
    pub fn is_response(&self) -> bool {
        self.flags().response()
    }

    /// The response code: the header's 4 bits, extended to 12 by the OPT
    /// record when there is one (RFC 6891 6.1.3).
    #[inline]
    #[must_use]
    pub fn rcode(&self) -> Rcode {
        let low = self.flags().rcode().low();
        let high = self.edns().map_or(0, |edns| edns.extended_rcode);
        Rcode::from_parts(low, high)
    }

    /// The count of entries in a section, as the header states it (and
    /// parsing verified).
    #[inline]
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

    /// QDCOUNT (`dns.count.queries`).
    #[inline]
    #[must_use]
    pub fn question_count(&self) -> u16 {
        self.count(Section::Question)
    }

    /// ANCOUNT (`dns.count.answers`).
    #[inline]
    #[must_use]
    pub fn answer_count(&self) -> u16 {
        self.count(Section::Answer)
    }

    /// NSCOUNT (`dns.count.auth_rr`).
    #[inline]
    #[must_use]
    pub fn authority_count(&self) -> u16 {
        self.count(Section::Authority)
    }

    /// ARCOUNT (`dns.count.add_rr`).
    #[inline]
    #[must_use]
    pub fn additional_count(&self) -> u16 {
        self.count(Section::Additional)
    }

    /// The questions.
    #[inline]
    #[must_use]
    pub fn questions(&self) -> Questions<'_> {
        Questions {
            msg: self.bytes(),
            pos: HEADER_LEN,
            index: 0,
            count: self.count(Section::Question),
        }
    }

    /// The first question, the only one in practice.
    #[inline]
    #[must_use]
    pub fn question(&self) -> Option<Question<'_>> {
        self.questions().next()
    }

    /// The records of one section; empty for [`Section::Question`] (use
    /// [`Message::questions`]).
    #[inline]
    #[must_use]
    pub fn records(&self, section: Section) -> Records<'_> {
        let (pos, count) = match section {
            Section::Question => (self.answer_at, 0),
            Section::Answer => (self.answer_at, self.answer_count()),
            Section::Authority => (self.authority_at, self.authority_count()),
            Section::Additional => (self.additional_at, self.additional_count()),
        };
        Records {
            msg: self.bytes(),
            pos,
            section,
            index: 0,
            count,
        }
    }

    /// The answer section.
    #[inline]
    #[must_use]
    pub fn answers(&self) -> Records<'_> {
        self.records(Section::Answer)
    }

    /// The authority section.
    #[inline]
    #[must_use]
    pub fn authorities(&self) -> Records<'_> {
        self.records(Section::Authority)
    }

    /// The additional section (the OPT record included).
    #[inline]
    #[must_use]
    pub fn additionals(&self) -> Records<'_> {
        self.records(Section::Additional)
    }

    /// The OPT record of the additional section (the first, should there be
    /// several), if any.
    #[must_use]
    pub fn opt(&self) -> Option<Record<'_>> {
        let at = self.opt_at?;
        read_record(self.bytes(), at, Section::Additional, 0).map(|(record, _)| record)
    }

    /// EDNS(0) information from the OPT record, if any.
    #[must_use]
    pub fn edns(&self) -> Option<Edns<'_>> {
        self.opt()?.edns()
    }

    /// Length of the message: the offset just past its last record.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.end
    }

    /// Always false: a message has at least a header.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The message's bytes, without anything the buffer holds after it.
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes().get(..self.end).unwrap_or(&[])
    }

    /// The header's 12 bytes.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.bytes().get(..HEADER_LEN).unwrap_or(&[])
    }

    /// Bytes after the last record, which are not part of the message.
    #[inline]
    #[must_use]
    pub fn trailing(&self) -> &[u8] {
        self.bytes().get(self.end..).unwrap_or(&[])
    }

    /// The buffer back.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Message<T> {
    /// Overwrites the ID.
    #[inline]
    pub fn set_id(&mut self, id: u16) {
        if let Some(field) = self.buffer.as_mut().get_mut(0..2) {
            field.copy_from_slice(&id.to_be_bytes());
        }
    }

    /// Overwrites the flags word (to set TC on a message cut short, say).
    #[inline]
    pub fn set_flags(&mut self, flags: Flags) {
        if let Some(field) = self.buffer.as_mut().get_mut(2..4) {
            field.copy_from_slice(&flags.0.to_be_bytes());
        }
    }
}

/// Maps a name error of an owner name: running off the end means the entry
/// (and so the message) is truncated.
#[inline]
fn owner_name_error(
    msg: &[u8],
    section: Section,
    index: u16,
    start: usize,
    error: NameError,
) -> ParseError {
    match error {
        NameError::Truncated { offset } => ParseError::RecordTruncated {
            section,
            index,
            offset: start,
            needed: offset + 1,
            available: msg.len(),
        },
        error => ParseError::BadName {
            section,
            index,
            error,
        },
    }
}

/// Validates the question at `pos`; returns the offset after it.
#[inline]
fn check_question(msg: &[u8], pos: usize, index: u16) -> Result<usize, ParseError> {
    let (after, _) =
        scan(msg, pos).map_err(|e| owner_name_error(msg, Section::Question, index, pos, e))?;
    let end = after + 4;
    if end > msg.len() {
        return Err(ParseError::RecordTruncated {
            section: Section::Question,
            index,
            offset: pos,
            needed: end,
            available: msg.len(),
        });
    }
    Ok(end)
}

/// Validates the record at `pos`; returns the offset after it and its TYPE.
#[inline]
fn check_record(
    msg: &[u8],
    pos: usize,
    section: Section,
    index: u16,
) -> Result<(usize, RecordType), ParseError> {
    let (after, _) = scan(msg, pos).map_err(|e| owner_name_error(msg, section, index, pos, e))?;
    let truncated = |needed| ParseError::RecordTruncated {
        section,
        index,
        offset: pos,
        needed,
        available: msg.len(),
    };
    let Some(Ok((fixed, _))) = msg.get(after..).map(RecordFixed::ref_from_prefix) else {
        return Err(truncated(after + RECORD_FIXED_LEN));
    };
    let rtype = RecordType(fixed.rtype.get());
    let class = Class(fixed.class.get());
    let start = after + RECORD_FIXED_LEN;
    let end = start + usize::from(fixed.rdlen.get());
    if end > msg.len() {
        return Err(truncated(end));
    }
    match rdata::check(msg, rtype, class, start, end) {
        Ok(()) => Ok((end, rtype)),
        Err(Invalid::Name(error)) => Err(ParseError::BadName {
            section,
            index,
            error,
        }),
        Err(Invalid::RData(error)) => Err(ParseError::BadRData {
            section,
            index,
            rtype,
            offset: start,
            error,
        }),
    }
}

/// A question of a parsed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Question<'a> {
    name: Name<'a>,
    qtype: RecordType,
    qclass: Class,
    index: u16,
    end: usize,
}

impl<'a> Question<'a> {
    /// QNAME (`dns.qry.name`).
    #[inline]
    #[must_use]
    pub fn name(&self) -> Name<'a> {
        self.name
    }

    /// QTYPE (`dns.qry.type`).
    #[inline]
    #[must_use]
    pub fn qtype(&self) -> RecordType {
        self.qtype
    }

    /// QCLASS (`dns.qry.class`).
    #[inline]
    #[must_use]
    pub fn qclass(&self) -> Class {
        self.qclass
    }

    /// Index within the question section.
    #[inline]
    #[must_use]
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Where the question starts in the message.
    #[inline]
    #[must_use]
    pub fn offset(&self) -> usize {
        self.name.offset()
    }

    /// Its length on the wire.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.end - self.name.offset()
    }

    /// Always false: a question has at least a name and two fields.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The questions of a parsed message.
#[derive(Clone, Debug)]
pub struct Questions<'a> {
    msg: &'a [u8],
    pos: usize,
    index: u16,
    count: u16,
}

impl<'a> Iterator for Questions<'a> {
    type Item = Question<'a>;

    #[inline]
    fn next(&mut self) -> Option<Question<'a>> {
        if self.index >= self.count {
            return None;
        }
        let after = skip(self.msg, self.pos);
        let (fixed, _) = QuestionFixed::ref_from_prefix(self.msg.get(after..)?).ok()?;
        let question = Question {
            name: Name::new_unchecked(self.msg, self.pos),
            qtype: RecordType(fixed.qtype.get()),
            qclass: Class(fixed.qclass.get()),
            index: self.index,
            end: after + 4,
        };
        self.pos = after + 4;
        self.index += 1;
        Some(question)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::from(self.count - self.index.min(self.count));
        (0, Some(left))
    }
}

/// A resource record of a parsed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    msg: &'a [u8],
    name: Name<'a>,
    rtype: RecordType,
    class: Class,
    ttl: u32,
    section: Section,
    index: u16,
    rdata_at: usize,
    rdata_end: usize,
}

/// Reads the (validated) record at `pos`.
#[inline]
fn read_record(
    msg: &[u8],
    pos: usize,
    section: Section,
    index: u16,
) -> Option<(Record<'_>, usize)> {
    let after = skip(msg, pos);
    let (fixed, _) = RecordFixed::ref_from_prefix(msg.get(after..)?).ok()?;
    let rdata_at = after + RECORD_FIXED_LEN;
    let rdata_end = rdata_at + usize::from(fixed.rdlen.get());
    let record = Record {
        msg,
        name: Name::new_unchecked(msg, pos),
        rtype: RecordType(fixed.rtype.get()),
        class: Class(fixed.class.get()),
        ttl: fixed.ttl.get(),
        section,
        index,
        rdata_at,
        rdata_end,
    };
    Some((record, rdata_end))
}

impl<'a> Record<'a> {
    /// The owner name (`dns.resp.name`).
    #[inline]
    #[must_use]
    pub fn name(&self) -> Name<'a> {
        self.name
    }

    /// TYPE (`dns.resp.type`).
    #[inline]
    #[must_use]
    pub fn rtype(&self) -> RecordType {
        self.rtype
    }

    /// CLASS (`dns.resp.class`); for OPT, the UDP payload size.
    #[inline]
    #[must_use]
    pub fn class(&self) -> Class {
        self.class
    }

    /// TTL in seconds (`dns.resp.ttl`); for OPT, the EDNS fields.
    #[inline]
    #[must_use]
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// The RDATA, typed where this crate knows the TYPE.
    #[inline]
    #[must_use]
    pub fn data(&self) -> RData<'a> {
        rdata::read(
            self.msg,
            self.rtype,
            self.class,
            self.rdata_at,
            self.rdata_end,
        )
    }

    /// The raw RDATA (`dns.resp.len` is its length). Names in it may be
    /// compression pointers into the message.
    #[inline]
    #[must_use]
    pub fn rdata(&self) -> &'a [u8] {
        self.msg.get(self.rdata_at..self.rdata_end).unwrap_or(&[])
    }

    /// EDNS(0) information, if this is an OPT record.
    #[must_use]
    pub fn edns(&self) -> Option<Edns<'a>> {
        match self.data() {
            RData::Opt(options) => Some(Edns::from_fields(self.class, self.ttl, options)),
            _ => None,
        }
    }

    /// The section the record is in.
    #[inline]
    #[must_use]
    pub fn section(&self) -> Section {
        self.section
    }

    /// Index within its section.
    #[inline]
    #[must_use]
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Where the record starts in the message.
    #[inline]
    #[must_use]
    pub fn offset(&self) -> usize {
        self.name.offset()
    }

    /// Where its RDATA starts in the message.
    #[inline]
    #[must_use]
    pub fn rdata_offset(&self) -> usize {
        self.rdata_at
    }

    /// Its length on the wire.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.rdata_end - self.name.offset()
    }

    /// Always false: a record has at least a name and its fixed fields.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// The records of one section of a parsed message.
#[derive(Clone, Debug)]
pub struct Records<'a> {
    msg: &'a [u8],
    pos: usize,
    section: Section,
    index: u16,
    count: u16,
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    #[inline]
    fn next(&mut self) -> Option<Record<'a>> {
        if self.index >= self.count {
            return None;
        }
        let (record, next) = read_record(self.msg, self.pos, self.section, self.index)?;
        self.pos = next;
        self.index += 1;
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::from(self.count - self.index.min(self.count));
        (0, Some(left))
    }
}
