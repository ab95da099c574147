//! The owned, comparable form of a datagram's header, and its builder.

use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_core::checksum::pseudo_header;
use zerocopy::FromBytes;

use crate::datagram::{Header, on_wire};
use crate::{Datagram, EmitError, HEADER_LEN, PROTOCOL, ParseError};

/// Largest payload the 16-bit length field can describe.
pub const MAX_PAYLOAD_LEN: usize = u16::MAX as usize - HEADER_LEN;

/// A UDP header in owned form: what a sender decides, not what the wire
/// derives from it (length and checksum are computed when emitting).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Bytes of payload after the header.
    pub payload_len: usize,
}

impl Repr {
    /// The header of a parsed datagram. The payload length comes from the
    /// length field, so a [truncated](Datagram::is_truncated) quote gives
    /// the original datagram's.
    ///
    /// # Errors
    /// None today: a parsed view is always representable. The `Result` keeps
    /// the signature uniform with the other layers.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(datagram: &Datagram<T>) -> Result<Self, ParseError> {
        Ok(Self {
            src_port: datagram.src_port(),
            dst_port: datagram.dst_port(),
            // Parsing checked that the length field covers the header.
            payload_len: usize::from(datagram.length()).saturating_sub(HEADER_LEN),
        })
    }

    /// Bytes of header this repr writes (always 8).
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Header plus payload.
    #[inline]
    #[must_use]
    pub const fn total_len(&self) -> usize {
        HEADER_LEN.saturating_add(self.payload_len)
    }

    /// Writes the header into `buf[..8]`, taking the payload to be already in
    /// `buf[8..8 + payload_len]`, and fills the checksum for a datagram from
    /// `src` to `dst`. Bytes after the payload are left alone.
    ///
    /// # Errors
    /// [`EmitError::PayloadTooLong`] past [`MAX_PAYLOAD_LEN`],
    /// [`EmitError::BufferTooSmall`] if `buf` cannot hold header and payload.
    #[inline]
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<(), EmitError> {
        let (datagram, len) = self.emit_header(buf)?;
        let mut c = pseudo_header(src, dst, PROTOCOL, len);
        c.add_bytes(datagram);
        let value = on_wire(c.finish());
        if let Some(field) = datagram.get_mut(6..8) {
            field.copy_from_slice(&value.to_be_bytes());
        }
        Ok(())
    }

    /// As [`Repr::emit`] but leaves the checksum zero ("none", which RFC 768
    /// allows over IPv4), skipping the pass over the payload.
    ///
    /// # Errors
    /// As [`Repr::emit`].
    #[inline]
    pub fn emit_without_checksum(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        self.emit_header(buf).map(|_| ())
    }

    /// Claims 8 bytes of headroom in front of `pkt`, whose contents are the
    /// payload, and emits the header there with its checksum.
    ///
    /// # Errors
    /// [`EmitError::PayloadLengthMismatch`] if the contents are not
    /// `payload_len` bytes, [`EmitError::BufferTooSmall`] without 8 bytes of
    /// headroom, [`EmitError::PayloadTooLong`] past [`MAX_PAYLOAD_LEN`]. On
    /// error the packet is unchanged.
    #[inline]
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<(), EmitError> {
        self.claim(pkt)?;
        self.emit(pkt.as_mut_slice(), src, dst)
    }

    /// As [`Repr::prepend`] with a zero checksum.
    ///
    /// # Errors
    /// As [`Repr::prepend`].
    #[inline]
    pub fn prepend_without_checksum<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
    ) -> Result<(), EmitError> {
        self.claim(pkt)?;
        self.emit_without_checksum(pkt.as_mut_slice())
    }

    /// Checks everything that could fail before touching the packet, so a
    /// failed prepend leaves it as it was.
    fn claim<B: AsRef<[u8]> + AsMut<[u8]>>(&self, pkt: &mut PacketBuf<B>) -> Result<(), EmitError> {
        if pkt.len() != self.payload_len {
            return Err(EmitError::PayloadLengthMismatch {
                expected: self.payload_len,
                actual: pkt.len(),
            });
        }
        if self.payload_len > MAX_PAYLOAD_LEN {
            return Err(EmitError::PayloadTooLong {
                payload_len: self.payload_len,
            });
        }
        pkt.prepend(HEADER_LEN)
            .map(|_| ())
            .map_err(|e| EmitError::BufferTooSmall {
                needed: e.needed,
                available: e.available,
            })
    }

    /// Writes the header with a zero checksum; returns the datagram's bytes
    /// and its length.
    #[inline]
    fn emit_header<'b>(&self, buf: &'b mut [u8]) -> Result<(&'b mut [u8], u16), EmitError> {
        let len = u16::try_from(self.total_len()).map_err(|_| EmitError::PayloadTooLong {
            payload_len: self.payload_len,
        })?;
        let available = buf.len();
        let datagram = buf
            .get_mut(..usize::from(len))
            .ok_or(EmitError::BufferTooSmall {
                needed: usize::from(len),
                available,
            })?;
        if let Ok((header, _)) = Header::mut_from_prefix(datagram) {
            header.src_port.set(self.src_port);
            header.dst_port.set(self.dst_port);
            header.length.set(len);
            header.checksum.set(0);
        }
        Ok((datagram, len))
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Repr {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            src_port: u.arbitrary()?,
            dst_port: u.arbitrary()?,
            // Only lengths the 16-bit length field can carry.
            payload_len: u.int_in_range(0..=MAX_PAYLOAD_LEN)?,
        })
    }
}
