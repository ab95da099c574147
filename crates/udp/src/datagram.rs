//! The zero-copy datagram view.

use core::net::Ipv4Addr;

use strata_core::checksum::{Checksum, pseudo_header};
use zerocopy::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{HEADER_LEN, PROTOCOL, ParseError};

/// The 8-byte UDP header as it lies on the wire.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) src_port: U16,
    pub(crate) dst_port: U16,
    pub(crate) length: U16,
    pub(crate) checksum: U16,
}

/// Stands in for the header if a buffer's `AsRef` ever returned fewer bytes
/// than `parse` saw, so accessors stay total without panicking.
static EMPTY: Header = Header {
    src_port: U16::ZERO,
    dst_port: U16::ZERO,
    length: U16::ZERO,
    checksum: U16::ZERO,
};

/// A UDP datagram over borrowed (or owned) bytes, validated by
/// [`Datagram::parse`] (or, for the start of a datagram that an ICMP error
/// quotes, by [`Datagram::parse_quoted`]).
///
/// The datagram is the first [`length`](Datagram::length) bytes of the
/// buffer; anything after that (link-layer padding, say) belongs to nobody
/// and is not part of [`payload`](Datagram::payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram<T> {
    buffer: T,
    /// The length field, checked to be at least `HEADER_LEN` and, unless
    /// the datagram is a quote, at most `buffer.len()`.
    len: u16,
    /// Where the datagram's bytes end in the buffer: `len`, or for a quote
    /// cut short, the end of the buffer. Always `HEADER_LEN..=len`.
    end: u16,
}

/// Checks the header and returns the length field; a length past the buffer
/// is refused unless the bytes are a `quote`.
#[inline]
fn check(bytes: &[u8], quote: bool) -> Result<u16, ParseError> {
    let available = bytes.len();
    let Ok((header, _)) = Header::ref_from_prefix(bytes) else {
        return Err(ParseError::Truncated {
            needed: HEADER_LEN,
            available,
        });
    };
    let len = header.length.get();
    if usize::from(len) < HEADER_LEN || (!quote && usize::from(len) > available) {
        return Err(ParseError::BadLength {
            length: len,
            available,
        });
    }
    Ok(len)
}

impl<T: AsRef<[u8]>> Datagram<T> {
    /// Checks that `buffer` starts with a UDP header whose length field fits
    /// the buffer. The checksum is not verified (see
    /// [`Datagram::parse_verified`]).
    ///
    /// # Errors
    /// [`ParseError::Truncated`] for fewer than 8 bytes,
    /// [`ParseError::BadLength`] when the length field is below 8 or larger
    /// than the buffer.
    #[inline]
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let len = check(buffer.as_ref(), false)?;
        Ok(Self {
            buffer,
            len,
            end: len,
        })
    }

    /// Parses the start of a datagram that an ICMP error message quotes.
    ///
    /// An ICMP error carries the offending datagram's IP header and at least
    /// the first 8 bytes after it (RFC 792), at most as much as fits in 576
    /// bytes (RFC 1812 §4.3.2.3): for UDP, the whole header but often not
    /// the whole payload, while the length field still describes the
    /// original. So unlike [`parse`](Datagram::parse) the length field may
    /// exceed the buffer; [`payload`](Datagram::payload) is then the part
    /// that was quoted and [`is_truncated`](Datagram::is_truncated) is true.
    ///
    /// A truncated datagram's checksum cannot be checked: the bytes it
    /// covers are not all here.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] for fewer than 8 bytes,
    /// [`ParseError::BadLength`] when the length field is below 8.
    #[inline]
    pub fn parse_quoted(buffer: T) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        let len = check(bytes, true)?;
        // `check` saw at least the header, and the buffer is the smaller of
        // the two only when it holds fewer than `len` (< 65536) bytes.
        let end = u16::try_from(bytes.len()).map_or(len, |available| available.min(len));
        Ok(Self { buffer, len, end })
    }

    /// [`Datagram::parse`], then [`Datagram::verify_checksum`] against the
    /// IPv4 addresses the datagram travelled between.
    ///
    /// # Errors
    /// As [`Datagram::parse`], and [`ParseError::BadChecksum`] when a
    /// checksum is present and wrong.
    #[inline]
    pub fn parse_verified(buffer: T, src: Ipv4Addr, dst: Ipv4Addr) -> Result<Self, ParseError> {
        let datagram = Self::parse(buffer)?;
        if datagram.verify_checksum(src, dst) {
            Ok(datagram)
        } else {
            Err(ParseError::BadChecksum {
                found: datagram.checksum(),
                computed: datagram.compute_checksum(src, dst),
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

    /// The length field: header plus payload, in bytes. For a
    /// [truncated](Datagram::is_truncated) quote, the original datagram's
    /// length, more than the bytes here.
    #[inline]
    #[must_use]
    pub fn length(&self) -> u16 {
        self.len
    }

    /// Whether the datagram is cut short: its length field says more bytes
    /// than there are, which only [`parse_quoted`](Datagram::parse_quoted)
    /// allows.
    #[inline]
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.end < self.len
    }

    /// The checksum field; zero means the sender computed none.
    #[inline]
    #[must_use]
    pub fn checksum(&self) -> u16 {
        self.header().checksum.get()
    }

    /// The datagram: header and payload, without trailing padding (for a
    /// truncated quote, the bytes that were quoted).
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(..usize::from(self.end))
            .unwrap_or_default()
    }

    /// The 8 header bytes.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(..HEADER_LEN).unwrap_or_default()
    }

    /// The payload: the bytes after the header up to the length field (for a
    /// truncated quote, up to the end of what was quoted).
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..usize::from(self.end))
            .unwrap_or_default()
    }

    /// Whether the checksum is absent (zero) or correct for a datagram sent
    /// from `src` to `dst`.
    ///
    /// One pass over the datagram: summing the bytes with the checksum
    /// field in place gives `0xffff` exactly when the field is right. A
    /// [truncated](Datagram::is_truncated) datagram with a checksum does not
    /// verify, since the bytes it covers are not all here.
    #[inline]
    #[must_use]
    pub fn verify_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        self.checksum() == 0 || (!self.is_truncated() && self.sum(src, dst).fold() == 0xffff)
    }

    /// The value the checksum field should hold for these bytes, whatever
    /// it holds now (never zero: a zero result is sent as `0xffff`).
    ///
    /// For a [truncated](Datagram::is_truncated) datagram the bytes that were
    /// not quoted are missing from the sum, so the result is not what the
    /// sender computed.
    #[must_use]
    pub fn compute_checksum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> u16 {
        // Subtracting the field (adding its complement) takes it out of the
        // sum without copying the datagram to zero it.
        let mut c = self.sum(src, dst);
        c.add_u16(!self.checksum());
        on_wire(c.finish())
    }

    #[inline]
    fn sum(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Checksum {
        let mut c = pseudo_header(src, dst, PROTOCOL, self.len);
        c.add_bytes(self.as_bytes());
        c
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Datagram<T> {
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
        let end = usize::from(self.end);
        self.buffer
            .as_mut()
            .get_mut(HEADER_LEN..end)
            .unwrap_or_default()
    }

    /// Computes and stores the checksum for a datagram from `src` to `dst`
    /// (over the bytes here: for a truncated quote that is not the
    /// original's checksum).
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv4Addr, dst: Ipv4Addr) {
        self.set_checksum(0);
        let value = on_wire(self.sum(src, dst).finish());
        self.set_checksum(value);
    }
}

/// A computed checksum of zero goes out as `0xffff`, because zero on the
/// wire means "no checksum" (RFC 768).
#[inline]
pub(crate) const fn on_wire(checksum: u16) -> u16 {
    if checksum == 0 { 0xffff } else { checksum }
}
