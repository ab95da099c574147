//! The owned, comparable form of a segment's header, and its builder.

use core::net::Ipv4Addr;

use super::{
    EmitError, Flags, HEADER_LEN, MAX_OPTIONS_LEN, Options, PROTOCOL, ParseError, Segment,
};
use strata_core::buffer::PacketBuf;
use strata_core::checksum::{Checksum, pseudo_header};

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
        let shape = self.options_shape()?;
        let header_len = HEADER_LEN + shape.len();
        let total = header_len.saturating_add(self.payload_len);
        let len = u16::try_from(total).map_err(|_| EmitError::SegmentTooLong { len: total })?;
        let available = buf.len();
        let segment = buf.get_mut(..total).ok_or(EmitError::BufferTooSmall {
            needed: total,
            available,
        })?;
        self.write(segment, shape, header_len, len, src, dst)
    }

    /// How the options will be laid out, decided once per emit: the two
    /// common cases (none, timestamps alone) are written and summed from
    /// registers, the rest through [`Options::emit`].
    #[inline]
    fn options_shape(&self) -> Result<Shape, EmitError> {
        let o = &self.options;
        let only_ts = o.mss.is_none()
            && o.window_scale.is_none()
            && !o.sack_permitted
            && o.sack.is_empty()
            && o.unknown.is_empty();
        if only_ts {
            return Ok(match o.timestamps {
                None => Shape::None,
                Some(ts) => Shape::Timestamps(ts.tsval, ts.tsecr),
            });
        }
        let len = o.wire_len();
        if len > MAX_OPTIONS_LEN {
            return Err(EmitError::OptionsTooLong { len });
        }
        Ok(Shape::Other(len))
    }

    /// Writes header and options into `segment` (header room of
    /// `header_len` bytes, then the payload) and fills the checksum. The
    /// header's share of the sum comes from the field values rather than
    /// from re-reading the bytes just stored: one wide load spanning
    /// several narrow stores cannot be store-forwarded and stalls.
    #[inline(always)]
    fn write(
        &self,
        segment: &mut [u8],
        shape: Shape,
        header_len: usize,
        len: u16,
        src: Ipv4Addr,
        dst: Ipv4Addr,
    ) -> Result<(), EmitError> {
        let available = segment.len();
        let too_small = EmitError::BufferTooSmall {
            needed: header_len,
            available,
        };
        let (head, payload) = segment.split_at_mut_checked(header_len).ok_or(too_small)?;
        let (header, options) = head
            .split_first_chunk_mut::<HEADER_LEN>()
            .ok_or(too_small)?;
        // header_len is at most 60, so the data offset fits its 4 bits.
        let offset_flags = (((header_len / 4) as u16) << 12) | self.flags.bits();
        // The header as five 32-bit words; the same values are summed and
        // stored, so nothing is read back from the bytes just written.
        let ports = (u32::from(self.src_port) << 16) | u32::from(self.dst_port);
        let offset_window = (u32::from(offset_flags) << 16) | u32::from(self.window);
        // Stored first, checksum field zero, so these values need not stay
        // live in registers across the payload sum.
        let [p0, p1, p2, p3] = ports.to_be_bytes();
        let [s0, s1, s2, s3] = self.seq.to_be_bytes();
        let [a0, a1, a2, a3] = self.ack.to_be_bytes();
        let [o0, o1, o2, o3] = offset_window.to_be_bytes();
        let [u0, u1] = self.urgent.to_be_bytes();
        *header = [
            p0, p1, p2, p3, s0, s1, s2, s3, a0, a1, a2, a3, o0, o1, o2, o3, 0, 0, u0, u1,
        ];
        let mut c = pseudo_header(src, dst, PROTOCOL, len);
        c.add_u32(ports);
        c.add_u32(self.seq);
        c.add_u32(self.ack);
        c.add_u32(offset_window);
        c.add_u16(self.urgent);
        match shape {
            Shape::None => {}
            Shape::Timestamps(tsval, tsecr) => {
                // NOP, NOP, kind 8, length 10: what `Options::emit` writes
                // for timestamps alone.
                const NOP_NOP_TS: u32 = 0x0101_080a;
                if let Some(area) = options.first_chunk_mut::<12>() {
                    let [a0, a1, a2, a3] = NOP_NOP_TS.to_be_bytes();
                    let [v0, v1, v2, v3] = tsval.to_be_bytes();
                    let [e0, e1, e2, e3] = tsecr.to_be_bytes();
                    *area = [a0, a1, a2, a3, v0, v1, v2, v3, e0, e1, e2, e3];
                }
                c.add_u32(NOP_NOP_TS);
                c.add_u32(tsval);
                c.add_u32(tsecr);
            }
            Shape::Other(_) => c.add_checksum(self.emit_other_options(options)?),
        }
        c.add_bytes(payload);
        let [_, _, _, _, _, _, _, _, _, _, _, _, _, _, _, _, c0, c1, _, _] = header;
        [*c0, *c1] = c.finish().to_be_bytes();
        Ok(())
    }

    /// Writes options other than the two common shapes and returns their
    /// sum; out of line, as they ride only on SYNs and SACKs.
    #[inline(never)]
    fn emit_other_options(&self, options: &mut [u8]) -> Result<Checksum, EmitError> {
        self.options.emit(options)?;
        let mut c = Checksum::new();
        c.add_bytes(options);
        Ok(c)
    }

    /// Claims the header's bytes of headroom in front of `pkt`, whose
    /// contents are the payload, and emits the header there.
    ///
    /// # Errors
    /// [`EmitError::PayloadLengthMismatch`] if the contents are not
    /// `payload_len` bytes, [`EmitError::BufferTooSmall`] without enough
    /// headroom, and as [`Repr::emit`]. On error the packet is unchanged.
    #[inline(always)]
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
        let shape = self.options_shape()?;
        let header_len = HEADER_LEN + shape.len();
        let total = header_len.saturating_add(self.payload_len);
        let Ok(len) = u16::try_from(total) else {
            return Err(EmitError::SegmentTooLong { len: total });
        };
        pkt.prepend(header_len)
            .map_err(|e| EmitError::BufferTooSmall {
                needed: e.needed,
                available: e.available,
            })?;
        // The contents are now the header room followed by the payload.
        self.write(pkt.as_mut_slice(), shape, header_len, len, src, dst)
    }
}

/// The options' layout, decided once per emit.
#[derive(Clone, Copy)]
enum Shape {
    /// No options.
    None,
    /// Timestamps alone (TSval, TSecr), NOP-aligned.
    Timestamps(u32, u32),
    /// Anything else, of this many bytes, written by `Options::emit`.
    Other(usize),
}

impl Shape {
    /// Bytes of options, padding included.
    #[inline]
    const fn len(self) -> usize {
        match self {
            Shape::None => 0,
            Shape::Timestamps(..) => 12,
            Shape::Other(len) => len,
        }
    }
}
