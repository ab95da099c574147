//! The zero-copy segment view.

use core::net::Ipv4Addr;

use strata_core::checksum::{Checksum, pseudo_header};
use zerocopy::network_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::options::{self, Options, OptionsIter};
use super::{Flags, HEADER_LEN, PROTOCOL, ParseError};

/// The fixed 20-byte TCP header as it lies on the wire (RFC 9293 §3.1).
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) src_port: U16,
    pub(crate) dst_port: U16,
    pub(crate) seq: U32,
    pub(crate) ack: U32,
    /// Data offset (4 bits), reserved (3 bits), then the nine flags.
    pub(crate) offset_flags: U16,
    pub(crate) window: U16,
    pub(crate) checksum: U16,
    pub(crate) urgent: U16,
}

/// Stands in for the header if a buffer's `AsRef` ever returned fewer bytes
/// than `parse` saw, so accessors stay total without panicking.
static EMPTY: Header = Header {
    src_port: U16::ZERO,
    dst_port: U16::ZERO,
    seq: U32::ZERO,
    ack: U32::ZERO,
    offset_flags: U16::ZERO,
    window: U16::ZERO,
    checksum: U16::ZERO,
    urgent: U16::ZERO,
};

/// A TCP segment over borrowed (or owned) bytes, validated by
/// [`Segment::parse`]: the data offset fits the buffer and the options are
/// well formed, so accessors cannot fail and [`Segment::options`] yields
/// every option without error.
///
/// TCP has no length field: the segment is the whole buffer, as delimited
/// by the IP layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<T> {
    buffer: T,
    /// Header length in bytes, checked to lie in `20..=60` and within the
    /// buffer.
    header_len: u8,
}

impl<T: AsRef<[u8]>> Segment<T> {
    /// Checks the fixed header, the data offset and every option's length.
    /// The checksum is not verified (see [`Segment::parse_verified`]).
    ///
    /// # Errors
    /// [`ParseError::Truncated`] if the buffer is shorter than the fixed
    /// header or than the data offset says; [`ParseError::BadDataOffset`]
    /// below 5 words; [`ParseError::TooLong`] past 65535 bytes;
    /// [`ParseError::BadOptionLength`] / [`ParseError::TruncatedOption`] for
    /// malformed options.
    #[inline]
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        let available = bytes.len();
        let Ok((header, rest)) = Header::ref_from_prefix(bytes) else {
            return Err(ParseError::Truncated {
                needed: HEADER_LEN,
                available,
            });
        };
        let data_offset = (header.offset_flags.get() >> 12) as u8;
        if data_offset < 5 {
            return Err(ParseError::BadDataOffset { data_offset });
        }
        let header_len = data_offset * 4;
        let Some(options) = rest.get(..usize::from(header_len) - HEADER_LEN) else {
            return Err(ParseError::Truncated {
                needed: usize::from(header_len),
                available,
            });
        };
        if available > usize::from(u16::MAX) {
            return Err(ParseError::TooLong { len: available });
        }
        options::validate(options)?;
        Ok(Self { buffer, header_len })
    }

    /// Parses the start of a segment that an ICMP error message quotes.
    ///
    /// An ICMP error carries the offending datagram's IP header and at least
    /// the first 8 bytes after it (RFC 792): for TCP, the ports and the
    /// sequence number, which is what a sender needs to find the connection
    /// and check that the error is not forged (RFC 5927). Routers following
    /// RFC 1812 quote more, often the whole header. The result is a
    /// [`QuotedSegment`], whose fields past the quote are `None`.
    ///
    /// What is quoted must still be well formed: a data offset below 5
    /// words, or an option whose length is wrong for its kind or runs past
    /// the header the data offset describes, is an error. An option the
    /// quote cuts short is not; it and the options after it are left out.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] for fewer than 8 bytes;
    /// [`ParseError::TooLong`] past 65535 bytes;
    /// [`ParseError::BadDataOffset`], [`ParseError::BadOptionLength`],
    /// [`ParseError::TruncatedOption`] as for [`Segment::parse`].
    #[inline]
    pub fn parse_quoted(buffer: T) -> Result<QuotedSegment<T>, ParseError> {
        QuotedSegment::new(buffer)
    }

    /// [`Segment::parse`], then [`Segment::verify_checksum`] against the
    /// IPv4 addresses the segment travelled between.
    ///
    /// # Errors
    /// As [`Segment::parse`], and [`ParseError::BadChecksum`].
    #[inline(always)]
    pub fn parse_verified(buffer: T, src: Ipv4Addr, dst: Ipv4Addr) -> Result<Self, ParseError> {
        let segment = Self::parse(buffer)?;
        if segment.verify_checksum(src, dst) {
            Ok(segment)
        } else {
            Err(ParseError::BadChecksum {
                found: segment.checksum(),
                computed: segment.compute_checksum(src, dst),
            })
        }
    }

    #[inline]
    fn header(&self) -> &Header {
        Header::ref_from_prefix(self.buffer.as_ref()).map_or(&EMPTY, |(h, _)| h)
    }

    /// Source port.
    #[inline]
    #[must_use]
    pub fn src_port(&self) -> u16 {
        self.header().src_port.get()
    }

    /// Destination port.
    #[inline]
    #[must_use]
    pub fn dst_port(&self) -> u16 {
        self.header().dst_port.get()
    }

    /// Sequence number.
    #[inline]
    #[must_use]
    pub fn seq(&self) -> u32 {
        self.header().seq.get()
    }

    /// Acknowledgment number, meaningful only when [`Flags::ACK`] is set.
    #[inline]
    #[must_use]
    pub fn ack(&self) -> u32 {
        self.header().ack.get()
    }

    /// Data offset: the header length in 32-bit words (5..=15).
    #[inline]
    #[must_use]
    pub fn data_offset(&self) -> u8 {
        self.header_len / 4
    }

    /// Header length in bytes, options included (20..=60).
    #[inline]
    #[must_use]
    pub fn header_len(&self) -> usize {
        usize::from(self.header_len)
    }

    /// The three reserved bits between the data offset and the AE flag;
    /// senders must set them to zero, receivers ignore them.
    #[inline]
    #[must_use]
    pub fn reserved(&self) -> u8 {
        ((self.header().offset_flags.get() >> 9) & 0x7) as u8
    }

    /// The control bits.
    #[inline]
    #[must_use]
    pub fn flags(&self) -> Flags {
        Flags::from_bits_truncate(self.header().offset_flags.get())
    }

    /// Receive window, not yet scaled.
    #[inline]
    #[must_use]
    pub fn window(&self) -> u16 {
        self.header().window.get()
    }

    /// The checksum field.
    #[inline]
    #[must_use]
    pub fn checksum(&self) -> u16 {
        self.header().checksum.get()
    }

    /// Urgent pointer, meaningful only when [`Flags::URG`] is set.
    #[inline]
    #[must_use]
    pub fn urgent(&self) -> u16 {
        self.header().urgent.get()
    }

    /// The header, options included.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(..self.header_len())
            .unwrap_or_default()
    }

    /// The options area (between the fixed header and the payload), padding
    /// included.
    #[inline]
    #[must_use]
    pub fn options_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..self.header_len())
            .unwrap_or_default()
    }

    /// The options one by one; validated by `parse`, so this never fails.
    #[inline]
    #[must_use]
    pub fn options(&self) -> OptionsIter<'_> {
        OptionsIter::new_validated(self.options_bytes())
    }

    /// The options collected into their owned form.
    #[must_use]
    pub fn parse_options(&self) -> Options {
        Options::from_validated(self.options())
    }

    /// The payload: everything after the header.
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.header_len()..)
            .unwrap_or_default()
    }

    /// The whole segment.
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Sequence space the segment occupies: payload bytes, plus one each
    /// for SYN and FIN.
    #[inline]
    #[must_use]
    pub fn segment_len(&self) -> usize {
        let flags = self.flags();
        self.payload().len()
            + usize::from(flags.contains(Flags::SYN))
            + usize::from(flags.contains(Flags::FIN))
    }

    /// Whether the checksum is right for a segment sent from `src` to
    /// `dst`.
    ///
    /// One pass over the segment with the checksum field in place: the sum
    /// comes to `0xffff` exactly when the field is right.
    #[inline]
    #[must_use]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.sum(src, dst).fold() == 0xffff
    }

    /// The value the checksum field should hold for these bytes, whatever
    /// it holds now.
    #[must_use]
    pub fn compute_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> u16 {
        // Adding the field's complement takes it out of the sum without
        // copying the segment to zero it.
        let mut c = self.sum(src, dst);
        c.add_u16(!self.checksum());
        c.finish()
    }

    #[inline(always)]
    fn sum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Checksum {
        let bytes = self.buffer.as_ref();
        // `parse` bounded the length to 16 bits.
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        let mut c = pseudo_header(src, dst, PROTOCOL, len);
        c.add_bytes(bytes);
        c
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Segment<T> {
    #[inline]
    fn header_mut(&mut self) -> Option<&mut Header> {
        Header::mut_from_prefix(self.buffer.as_mut())
            .ok()
            .map(|(h, _)| h)
    }

    /// Sets the source port (the checksum is not updated).
    #[inline]
    pub fn set_src_port(&mut self, port: u16) {
        if let Some(h) = self.header_mut() {
            h.src_port.set(port);
        }
    }

    /// Sets the destination port (the checksum is not updated).
    #[inline]
    pub fn set_dst_port(&mut self, port: u16) {
        if let Some(h) = self.header_mut() {
            h.dst_port.set(port);
        }
    }

    /// Sets the sequence number (the checksum is not updated).
    #[inline]
    pub fn set_seq(&mut self, seq: u32) {
        if let Some(h) = self.header_mut() {
            h.seq.set(seq);
        }
    }

    /// Sets the acknowledgment number (the checksum is not updated).
    #[inline]
    pub fn set_ack(&mut self, ack: u32) {
        if let Some(h) = self.header_mut() {
            h.ack.set(ack);
        }
    }

    /// Sets the control bits, keeping data offset and reserved bits (the
    /// checksum is not updated).
    #[inline]
    pub fn set_flags(&mut self, flags: Flags) {
        if let Some(h) = self.header_mut() {
            let word = h.offset_flags.get();
            h.offset_flags
                .set((word & !Flags::ALL.bits()) | flags.bits());
        }
    }

    /// Sets the receive window (the checksum is not updated).
    #[inline]
    pub fn set_window(&mut self, window: u16) {
        if let Some(h) = self.header_mut() {
            h.window.set(window);
        }
    }

    /// Sets the urgent pointer (the checksum is not updated).
    #[inline]
    pub fn set_urgent(&mut self, urgent: u16) {
        if let Some(h) = self.header_mut() {
            h.urgent.set(urgent);
        }
    }

    /// Sets the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        if let Some(h) = self.header_mut() {
            h.checksum.set(checksum);
        }
    }

    /// The payload, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        self.buffer.as_mut().get_mut(start..).unwrap_or_default()
    }

    /// Computes and stores the checksum for a segment from `src` to `dst`.
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let value = self.sum(src, dst).finish();
        self.set_checksum(value);
    }
}

/// The bytes an ICMP error quotes at least: ports and sequence number.
pub const QUOTED_MIN_LEN: usize = 8;

/// The start of a TCP segment as an ICMP error quotes it: at least the
/// ports and the sequence number, and as much of the rest of the header as
/// was quoted. Made by [`Segment::parse_quoted`].
///
/// Fields the quote does not reach are `None`. When the whole header is
/// there, [`QuotedSegment::segment`] gives the full [`Segment`] view (whose
/// payload is then whatever part of the payload was quoted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotedSegment<T> {
    buffer: T,
    /// Bytes of the option area that hold complete, valid options: up to
    /// the first option the quote cut short, or all of the options quoted.
    options_len: u8,
}

impl<T: AsRef<[u8]>> QuotedSegment<T> {
    fn new(buffer: T) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        let available = bytes.len();
        if available < QUOTED_MIN_LEN {
            return Err(ParseError::Truncated {
                needed: QUOTED_MIN_LEN,
                available,
            });
        }
        if available > usize::from(u16::MAX) {
            return Err(ParseError::TooLong { len: available });
        }
        // The data offset is the high nibble of byte 12.
        let Some(&offset_byte) = bytes.get(12) else {
            return Ok(Self {
                buffer,
                options_len: 0,
            });
        };
        let data_offset = offset_byte >> 4;
        if data_offset < 5 {
            return Err(ParseError::BadDataOffset { data_offset });
        }
        let full = usize::from(data_offset) * 4 - HEADER_LEN;
        let present = bytes
            .get(HEADER_LEN..)
            .map_or(&[][..], |rest| rest.get(..full).unwrap_or(rest));
        let options_len = match options::validate(present) {
            Ok(()) => present.len(),
            // Cut by the quote, not malformed: the option would have fit the
            // header. (An option whose length byte is missing reports 2
            // bytes needed; with the area cut short, that is the cut too.)
            Err(ParseError::TruncatedOption { offset, needed, .. })
                if present.len() < full && offset + needed <= full =>
            {
                offset
            }
            Err(ParseError::TruncatedOption {
                offset,
                kind,
                needed,
                ..
            }) => {
                return Err(ParseError::TruncatedOption {
                    offset,
                    kind,
                    needed,
                    available: full - offset,
                });
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            buffer,
            // At most 40 bytes of options.
            options_len: u8::try_from(options_len).unwrap_or(u8::MAX),
        })
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    #[inline]
    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.bytes().get(at..at + 2)?.try_into().ok()?;
        Some(u16::from_be_bytes(b))
    }

    #[inline]
    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes().get(at..at + 4)?.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    /// Source port.
    #[inline]
    #[must_use]
    pub fn src_port(&self) -> u16 {
        // `parse_quoted` checked the first 8 bytes are here.
        self.u16_at(0).unwrap_or(0)
    }

    /// Destination port.
    #[inline]
    #[must_use]
    pub fn dst_port(&self) -> u16 {
        self.u16_at(2).unwrap_or(0)
    }

    /// Sequence number: which of the sender's bytes the segment carried.
    #[inline]
    #[must_use]
    pub fn seq(&self) -> u32 {
        self.u32_at(4).unwrap_or(0)
    }

    /// Acknowledgment number, if quoted.
    #[inline]
    #[must_use]
    pub fn ack(&self) -> Option<u32> {
        self.u32_at(8)
    }

    /// Data offset in 32-bit words (5..=15), if quoted.
    #[inline]
    #[must_use]
    pub fn data_offset(&self) -> Option<u8> {
        self.bytes().get(12).map(|b| b >> 4)
    }

    /// Header length in bytes, options included (20..=60), if the data
    /// offset is quoted; the header itself may not all be.
    #[inline]
    #[must_use]
    pub fn header_len(&self) -> Option<usize> {
        self.data_offset().map(|words| usize::from(words) * 4)
    }

    /// The three reserved bits, if quoted.
    #[inline]
    #[must_use]
    pub fn reserved(&self) -> Option<u8> {
        self.u16_at(12).map(|word| ((word >> 9) & 0x7) as u8)
    }

    /// The control bits, if quoted.
    #[inline]
    #[must_use]
    pub fn flags(&self) -> Option<Flags> {
        self.u16_at(12).map(Flags::from_bits_truncate)
    }

    /// Receive window, not yet scaled, if quoted.
    #[inline]
    #[must_use]
    pub fn window(&self) -> Option<u16> {
        self.u16_at(14)
    }

    /// The checksum field, if quoted. A quote seldom holds the whole
    /// segment, so there is nothing here to verify it with.
    #[inline]
    #[must_use]
    pub fn checksum(&self) -> Option<u16> {
        self.u16_at(16)
    }

    /// Urgent pointer, if quoted.
    #[inline]
    #[must_use]
    pub fn urgent(&self) -> Option<u16> {
        self.u16_at(18)
    }

    /// Whether the whole header, options included, was quoted.
    #[inline]
    #[must_use]
    pub fn is_header_complete(&self) -> bool {
        self.header_len()
            .is_some_and(|len| len <= self.bytes().len())
    }

    /// The header bytes quoted: all of the header, or as much as the quote
    /// holds.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        let bytes = self.bytes();
        match self.header_len() {
            Some(len) => bytes.get(..len).unwrap_or(bytes),
            None => bytes,
        }
    }

    /// The options the quote holds whole, one by one; an option the quote
    /// cuts short, and any after it, are left out.
    #[inline]
    #[must_use]
    pub fn options(&self) -> OptionsIter<'_> {
        let end = HEADER_LEN + usize::from(self.options_len);
        OptionsIter::new_validated(self.bytes().get(HEADER_LEN..end).unwrap_or_default())
    }

    /// The payload bytes quoted after a complete header (often none).
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        match self.header_len() {
            Some(len) => self.bytes().get(len..).unwrap_or_default(),
            None => &[],
        }
    }

    /// Everything quoted.
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// The full view, when the whole header was quoted.
    #[inline]
    #[must_use]
    pub fn segment(&self) -> Option<Segment<&[u8]>> {
        let header_len = u8::try_from(self.header_len()?).ok()?;
        // `parse_quoted` validated a complete header's options the way
        // `parse` does.
        self.is_header_complete().then(|| Segment {
            buffer: self.bytes(),
            header_len,
        })
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}
