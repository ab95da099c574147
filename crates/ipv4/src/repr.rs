//! An owned, comparable description of an IPv4 header, and its builder.

use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_core::checksum::Checksum;

use crate::error::{EmitError, ParseError};
use crate::header::{FLAG_DF, FLAG_MF, FRAGMENT_OFFSET_MASK, HEADER_LEN};
use crate::options::Options;
use crate::packet::Packet;
use crate::protocol::{Ecn, Protocol};

/// The fields of an IPv4 header, owned; what a packet is built from.
///
/// Derived fields are not stored: the version is always 4, the IHL follows
/// from the options, the total length is `header_len() + payload_len`, and
/// the checksum is computed by [`emit`](Repr::emit). The reserved flag is
/// always emitted as zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: Protocol,
    /// Time to live.
    pub ttl: u8,
    /// Differentiated Services code point, 0..=63.
    pub dscp: u8,
    /// ECN code point.
    pub ecn: Ecn,
    /// Identification, shared by the fragments of a datagram.
    pub identification: u16,
    /// Don't Fragment.
    pub dont_fragment: bool,
    /// More Fragments.
    pub more_fragments: bool,
    /// Fragment offset in 8-byte units, 0..=8191.
    pub fragment_offset: u16,
    /// Payload length in bytes.
    pub payload_len: usize,
    /// Options, already padded to a multiple of 4 bytes.
    pub options: Options,
}

impl Repr {
    /// TTL a host uses when it has no reason to pick another (Linux's
    /// default, the IANA-recommended 64).
    pub const DEFAULT_TTL: u8 = 64;

    /// A header for an unfragmented datagram with no options, TTL 64, best
    /// effort service, identification 0 and Don't Fragment clear.
    #[must_use]
    pub const fn new(src: Ipv4Addr, dst: Ipv4Addr, protocol: Protocol, payload_len: usize) -> Repr {
        Repr {
            src,
            dst,
            protocol,
            ttl: Self::DEFAULT_TTL,
            dscp: 0,
            ecn: Ecn::NotEct,
            identification: 0,
            dont_fragment: false,
            more_fragments: false,
            fragment_offset: 0,
            payload_len,
            options: Options::EMPTY,
        }
    }

    /// Reads the header fields of a parsed packet. `payload_len` is the
    /// total length minus the header length, so for a
    /// [quote](Packet::parse_quoted) it describes the original datagram.
    ///
    /// # Errors
    /// None today: `Packet::parse` has validated everything a `Repr` holds.
    /// The `Result` keeps the signature the other layers share.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr, ParseError> {
        Ok(Repr {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            dscp: packet.dscp(),
            ecn: packet.ecn(),
            identification: packet.identification(),
            dont_fragment: packet.dont_fragment(),
            more_fragments: packet.more_fragments(),
            fragment_offset: packet.fragment_offset(),
            payload_len: usize::from(packet.total_len()).saturating_sub(packet.header_len()),
            options: Options::from_validated(packet.options_bytes()),
        })
    }

    /// Header length in bytes, options included.
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Header plus payload, in bytes.
    #[inline]
    #[must_use]
    pub const fn total_len(&self) -> usize {
        self.header_len() + self.payload_len
    }

    /// Checks the fields that have no room on the wire for larger values.
    fn check(&self) -> Result<u16, EmitError> {
        if self.dscp > 0x3f {
            return Err(EmitError::BadDscp { dscp: self.dscp });
        }
        if self.fragment_offset > FRAGMENT_OFFSET_MASK {
            return Err(EmitError::BadFragmentOffset {
                fragment_offset: self.fragment_offset,
            });
        }
        let total_len = self.total_len();
        u16::try_from(total_len).map_err(|_| EmitError::TooLong { total_len })
    }

    /// Writes the header into `header`, which is exactly `header_len()`
    /// bytes; `total_len` was checked.
    #[inline]
    fn write_header(&self, header: &mut [u8], total_len: u16) {
        let mut flags = self.fragment_offset & FRAGMENT_OFFSET_MASK;
        if self.dont_fragment {
            flags |= FLAG_DF;
        }
        if self.more_fragments {
            flags |= FLAG_MF;
        }
        // IHL 5..=15: options are at most 40 bytes and a multiple of 4.
        let version_ihl = 0x40 | ((self.header_len() / 4) as u8 & 0x0f);
        let tos = (self.dscp << 2) | self.ecn.bits();
        // The header as 32-bit words, summed and stored from the same
        // values: summing the bytes of a just-written header would stall on
        // store forwarding (narrow stores, wide reloads).
        let w0 = u32::from_be_bytes([version_ihl, tos, 0, 0]) | u32::from(total_len);
        let w1 = (u32::from(self.identification) << 16) | u32::from(flags);
        let src = u32::from(self.src);
        let dst = u32::from(self.dst);
        let mut sum = Checksum::new();
        sum.add_u32(w0);
        sum.add_u32(w1);
        sum.add_u16((u16::from(self.ttl) << 8) | u16::from(self.protocol.0));
        sum.add_u32(src);
        sum.add_u32(dst);
        if let Some((head, options)) = header.split_first_chunk_mut::<HEADER_LEN>() {
            if !self.options.is_empty() {
                sum.add_checksum(copy_options(self.options.as_bytes(), options));
            }
            let w2 =
                u32::from_be_bytes([self.ttl, self.protocol.0, 0, 0]) | u32::from(sum.finish());
            let [a0, a1, a2, a3] = w0.to_be_bytes();
            let [b0, b1, b2, b3] = w1.to_be_bytes();
            let [c0, c1, c2, c3] = w2.to_be_bytes();
            let [s0, s1, s2, s3] = src.to_be_bytes();
            let [d0, d1, d2, d3] = dst.to_be_bytes();
            *head = [
                a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, s0, s1, s2, s3, d0, d1, d2, d3,
            ];
        }
    }

    /// Writes the header into `buf`, whose bytes after `header_len()` hold
    /// the payload (at least `payload_len` of them; any beyond are left
    /// alone), and computes the header checksum.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than
    /// `total_len()`; [`EmitError::BadDscp`],
    /// [`EmitError::BadFragmentOffset`], [`EmitError::TooLong`] for values
    /// the header cannot carry.
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        let total_len = self.check()?;
        let available = buf.len();
        let needed = usize::from(total_len);
        let header = buf
            .get_mut(..self.header_len())
            .filter(|_| available >= needed)
            .ok_or(EmitError::BufferTooSmall { needed, available })?;
        self.write_header(header, total_len);
        Ok(())
    }

    /// Claims `header_len()` bytes of headroom in front of the payload in
    /// `pkt` and writes the header there.
    ///
    /// # Errors
    /// [`EmitError::PayloadLengthMismatch`] unless `pkt` holds exactly
    /// `payload_len` bytes; [`EmitError::BufferTooSmall`] if the headroom is
    /// short; the value errors of [`emit`](Repr::emit). On error `pkt` is
    /// unchanged.
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
    ) -> Result<(), EmitError> {
        let total_len = self.check()?;
        if pkt.len() != self.payload_len {
            return Err(EmitError::PayloadLengthMismatch {
                expected: self.payload_len,
                found: pkt.len(),
            });
        }
        let header = pkt.prepend(self.header_len())?;
        self.write_header(header, total_len);
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Repr {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let options: Options = u.arbitrary()?;
        let max_payload = usize::from(u16::MAX) - HEADER_LEN - options.len();
        Ok(Repr {
            src: Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?),
            dst: Ipv4Addr::from(u.arbitrary::<[u8; 4]>()?),
            protocol: u.arbitrary()?,
            ttl: u.arbitrary()?,
            dscp: u.int_in_range(0..=0x3f)?,
            ecn: u.arbitrary()?,
            identification: u.arbitrary()?,
            dont_fragment: u.arbitrary()?,
            more_fragments: u.arbitrary()?,
            fragment_offset: u.int_in_range(0..=FRAGMENT_OFFSET_MASK)?,
            payload_len: u.int_in_range(0..=max_payload)?,
            options,
        })
    }
}

/// Copies the options (padded to whole words) behind the fixed header and
/// returns their sum; out of line, as most packets carry none.
#[inline(never)]
fn copy_options(options: &[u8], out: &mut [u8]) -> Checksum {
    if let Some(out) = out.get_mut(..options.len()) {
        out.copy_from_slice(options);
    }
    let mut sum = Checksum::new();
    sum.add_bytes(options);
    sum
}
