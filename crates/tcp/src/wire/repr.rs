//! The owned, comparable form of a segment's header, and its builder.

use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_core::checksum::pseudo_header;
use zerocopy::FromBytes;

use super::segment::Header;
use super::{
    EmitError, Flags, HEADER_LEN, MAX_OPTIONS_LEN, Options, PROTOCOL, ParseError, Segment,
};

/// A TCP header in owned form. The data offset and checksum are derived
/// when emitting; reserved bits are always sent as zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number; carried as is, meaningful only with
    /// [`Flags::ACK`].
    pub ack: u32,
    /// Control bits.
    pub flags: Flags,
    /// Receive window, as sent (unscaled).
    pub window: u16,
    /// Urgent pointer; carried as is, meaningful only with [`Flags::URG`].
    pub urgent: u16,
    /// Options.
    pub options: Options,
    /// Bytes of payload after the header.
    pub payload_len: usize,
}

impl Repr {
    /// The header of a parsed segment, options collected.
    ///
    /// # Errors
    /// None today: a parsed view is always representable (its options were
    /// validated). The `Result` keeps the signature uniform across layers.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(segment: &Segment<T>) -> Result<Self, ParseError> {
        Ok(Self {
            src_port: segment.src_port(),
            dst_port: segment.dst_port(),
            seq: segment.seq(),
            ack: segment.ack(),
            flags: segment.flags(),
            window: segment.window(),
            urgent: segment.urgent(),
            options: segment.parse_options(),
            payload_len: segment.payload().len(),
        })
    }

    /// Bytes of header this repr writes, options and padding included.
    /// Above 60 only for options [`Repr::emit`] refuses as too long.
    #[inline]
    #[must_use]
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options.wire_len()
    }

    /// Sequence space the segment occupies: payload plus SYN and FIN.
    #[inline]
    #[must_use]
    pub fn segment_len(&self) -> usize {
        self.payload_len
            .saturating_add(usize::from(self.flags.contains(Flags::SYN)))
            .saturating_add(usize::from(self.flags.contains(Flags::FIN)))
    }

    /// Writes the header into `buf[..header_len]`, taking the payload to be
    /// already in `buf[header_len..header_len + payload_len]`, and fills the
    /// checksum for a segment from `src` to `dst` in one pass over header
    /// and payload. Bytes after the payload are left alone.
    ///
    /// # Errors
    /// [`EmitError::OptionsTooLong`], [`EmitError::SegmentTooLong`] past
    /// 65535 bytes, [`EmitError::BufferTooSmall`].
    #[inline]
    pub fn emit(&self, buf: &mut [u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<(), EmitError> {
        let options_len = self.options.wire_len();
        if options_len > MAX_OPTIONS_LEN {
            return Err(EmitError::OptionsTooLong { len: options_len });
        }
        let header_len = HEADER_LEN + options_len;
        let total = header_len.saturating_add(self.payload_len);
        let len = u16::try_from(total).map_err(|_| EmitError::SegmentTooLong { len: total })?;
        let available = buf.len();
        let segment = buf.get_mut(..total).ok_or(EmitError::BufferTooSmall {
            needed: total,
            available,
        })?;
        let (header, options) =
            Header::mut_from_prefix(segment).map_err(|_| EmitError::BufferTooSmall {
                needed: total,
                available,
            })?;
        header.src_port.set(self.src_port);
        header.dst_port.set(self.dst_port);
        header.seq.set(self.seq);
        header.ack.set(self.ack);
        // header_len is at most 60, so the data offset fits its 4 bits.
        let data_offset = (header_len / 4) as u16;
        header
            .offset_flags
            .set((data_offset << 12) | self.flags.bits());
        header.window.set(self.window);
        header.checksum.set(0);
        header.urgent.set(self.urgent);
        self.options.emit(options)?;

        let mut c = pseudo_header(src, dst, PROTOCOL, len);
        c.add_bytes(segment);
        if let Some(field) = segment.get_mut(16..18) {
            field.copy_from_slice(&c.finish().to_be_bytes());
        }
        Ok(())
    }

    /// Claims the header's bytes of headroom in front of `pkt`, whose
    /// contents are the payload, and emits the header there.
    ///
    /// # Errors
    /// [`EmitError::PayloadLengthMismatch`] if the contents are not
    /// `payload_len` bytes, [`EmitError::BufferTooSmall`] without enough
    /// headroom, and as [`Repr::emit`]. On error the packet is unchanged.
    #[inline]
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<(), EmitError> {
        if pkt.len() != self.payload_len {
            return Err(EmitError::PayloadLengthMismatch {
                expected: self.payload_len,
                actual: pkt.len(),
            });
        }
        let options_len = self.options.wire_len();
        if options_len > MAX_OPTIONS_LEN {
            return Err(EmitError::OptionsTooLong { len: options_len });
        }
        let header_len = HEADER_LEN + options_len;
        let total = header_len.saturating_add(self.payload_len);
        if total > usize::from(u16::MAX) {
            return Err(EmitError::SegmentTooLong { len: total });
        }
        pkt.prepend(header_len)
            .map_err(|e| EmitError::BufferTooSmall {
                needed: e.needed,
                available: e.available,
            })?;
        self.emit(pkt.as_mut_slice(), src, dst)
    }
}
