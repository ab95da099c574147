//! A zero-copy view of an IPv4 packet.

use core::fmt;
use core::net::Ipv4Addr;

use strata_core::checksum::update_u16;
use zerocopy::FromBytes;

use crate::error::ParseError;
use crate::header::{
    FLAG_DF, FLAG_MF, FLAG_RESERVED, FRAGMENT_OFFSET_MASK, HEADER_LEN, Header, ZERO_HEADER,
};
use crate::options::{OptionList, validate_header_options};
use crate::protocol::{Ecn, Protocol};

/// An IPv4 packet over a buffer `T`, validated once by [`Packet::parse`].
///
/// After parsing, the version is 4, the IHL covers at least 20 bytes and
/// lies within the buffer, the options are well formed, and the total
/// length covers the header and lies within the buffer. Bytes past the total
/// length (Ethernet padding of short frames) belong to no field: they are in
/// neither [`payload`](Packet::payload) nor
/// [`packet_bytes`](Packet::packet_bytes). Accessors never fail and never
/// re-check. The checksum is not verified by `parse`; call
/// [`verify_checksum`](Packet::verify_checksum) or use
/// [`parse_verified`](Packet::parse_verified).
#[derive(Clone)]
pub struct Packet<T> {
    buffer: T,
    /// Header length in bytes, 20..=60.
    header_len: usize,
    /// End of the payload: the total length, or for a quote the bytes present.
    end: usize,
}

/// Lengths `parse` checked.
struct Checked {
    header_len: usize,
    end: usize,
}

#[inline]
fn check(bytes: &[u8], quoted: bool) -> Result<Checked, ParseError> {
    let available = bytes.len();
    let Ok((header, _)) = Header::ref_from_prefix(bytes) else {
        return Err(ParseError::Truncated {
            needed: HEADER_LEN,
            available,
        });
    };
    let version = header.version_ihl >> 4;
    if version != 4 {
        return Err(ParseError::BadVersion { found: version });
    }
    let header_len = usize::from(header.version_ihl & 0x0f) * 4;
    if header_len < HEADER_LEN {
        return Err(ParseError::BadHeaderLength { header_len });
    }
    if header_len > available {
        return Err(ParseError::Truncated {
            needed: header_len,
            available,
        });
    }
    let total_len = header.total_len.get();
    let total = usize::from(total_len);
    if total < header_len {
        return Err(ParseError::BadTotalLength {
            total_len,
            header_len,
        });
    }
    let end = if total <= available {
        total
    } else if quoted {
        available
    } else {
        return Err(ParseError::Truncated {
            needed: total,
            available,
        });
    };
    if header_len > HEADER_LEN {
        let options = bytes.get(HEADER_LEN..header_len).unwrap_or_default();
        validate_header_options(options)?;
    }
    Ok(Checked { header_len, end })
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Validates the header and lengths of the packet at the start of
    /// `buffer`. Bytes past the total length are allowed (link padding).
    ///
    /// # Errors
    /// [`ParseError::Truncated`] if the buffer is shorter than 20 bytes, the
    /// IHL or the total length; [`ParseError::BadVersion`],
    /// [`ParseError::BadHeaderLength`] (IHL < 5),
    /// [`ParseError::BadTotalLength`] (shorter than the header),
    /// [`ParseError::BadOption`].
    #[inline]
    pub fn parse(buffer: T) -> Result<Self, ParseError> {
        let Checked { header_len, end } = check(buffer.as_ref(), false)?;
        Ok(Self {
            buffer,
            header_len,
            end,
        })
    }

    /// [`parse`](Packet::parse), then checks the header checksum.
    ///
    /// # Errors
    /// As `parse`, and [`ParseError::BadChecksum`].
    #[inline(always)]
    pub fn parse_verified(buffer: T) -> Result<Self, ParseError> {
        let packet = Self::parse(buffer)?;
        if !packet.verify_checksum() {
            return Err(ParseError::BadChecksum {
                found: packet.checksum(),
                computed: packet.compute_checksum(),
            });
        }
        Ok(packet)
    }

    /// Parses the original datagram an ICMP error message quotes.
    ///
    /// A quote is the original header and as much of its payload as the
    /// sender chose (at least 8 bytes, RFC 792; up to 576 bytes in all,
    /// RFC 1812), while its total length still describes the original. So
    /// unlike [`parse`](Packet::parse) the total length may exceed the
    /// buffer; [`payload`](Packet::payload) is then whatever was quoted and
    /// [`is_truncated`](Packet::is_truncated) is true. The header itself,
    /// options included, must be complete and well formed.
    ///
    /// # Errors
    /// As `parse`, except that a total length past the buffer is accepted.
    #[inline]
    pub fn parse_quoted(buffer: T) -> Result<Self, ParseError> {
        let Checked { header_len, end } = check(buffer.as_ref(), true)?;
        Ok(Self {
            buffer,
            header_len,
            end,
        })
    }

    #[inline]
    fn header(&self) -> &Header {
        match Header::ref_from_prefix(self.buffer.as_ref()) {
            Ok((header, _)) => header,
            Err(_) => &ZERO_HEADER,
        }
    }

    /// The version field; always 4.
    #[inline]
    #[must_use]
    pub fn version(&self) -> u8 {
        self.header().version_ihl >> 4
    }

    /// The IHL field: header length in 32-bit words, 5..=15.
    #[inline]
    #[must_use]
    pub fn ihl(&self) -> u8 {
        self.header().version_ihl & 0x0f
    }

    /// Header length in bytes, options included (20..=60).
    #[inline]
    #[must_use]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// Differentiated Services code point (RFC 2474), the high 6 bits of the
    /// old TOS byte.
    #[inline]
    #[must_use]
    pub fn dscp(&self) -> u8 {
        self.header().tos >> 2
    }

    /// ECN code point (RFC 3168), the low 2 bits of the old TOS byte.
    #[inline]
    #[must_use]
    pub fn ecn(&self) -> Ecn {
        Ecn::from_bits(self.header().tos)
    }

    /// The total length field: header plus payload, in bytes.
    #[inline]
    #[must_use]
    pub fn total_len(&self) -> u16 {
        self.header().total_len.get()
    }

    /// The identification field, shared by all fragments of a datagram.
    #[inline]
    #[must_use]
    pub fn identification(&self) -> u16 {
        self.header().identification.get()
    }

    /// The reserved flag bit (must be zero; RFC 3514's "evil bit").
    #[inline]
    #[must_use]
    pub fn reserved_flag(&self) -> bool {
        self.header().flags_fragment.get() & FLAG_RESERVED != 0
    }

    /// Don't Fragment.
    #[inline]
    #[must_use]
    pub fn dont_fragment(&self) -> bool {
        self.header().flags_fragment.get() & FLAG_DF != 0
    }

    /// More Fragments: another fragment of this datagram follows.
    #[inline]
    #[must_use]
    pub fn more_fragments(&self) -> bool {
        self.header().flags_fragment.get() & FLAG_MF != 0
    }

    /// Fragment offset in 8-byte units, as on the wire (13 bits).
    #[inline]
    #[must_use]
    pub fn fragment_offset(&self) -> u16 {
        self.header().flags_fragment.get() & FRAGMENT_OFFSET_MASK
    }

    /// Fragment offset in bytes from the start of the original payload
    /// (at most 65 528).
    #[inline]
    #[must_use]
    pub fn fragment_offset_bytes(&self) -> u16 {
        self.fragment_offset() << 3
    }

    /// Whether this is a fragment of a larger datagram (MF set or a non-zero
    /// offset).
    #[inline]
    #[must_use]
    pub fn is_fragment(&self) -> bool {
        self.header().flags_fragment.get() & (FLAG_MF | FRAGMENT_OFFSET_MASK) != 0
    }

    /// Time to live.
    #[inline]
    #[must_use]
    pub fn ttl(&self) -> u8 {
        self.header().ttl
    }

    /// The protocol of the payload.
    #[inline]
    #[must_use]
    pub fn protocol(&self) -> Protocol {
        Protocol(self.header().protocol)
    }

    /// The header checksum field as received.
    #[inline]
    #[must_use]
    pub fn checksum(&self) -> u16 {
        self.header().checksum.get()
    }

    /// Source address.
    #[inline]
    #[must_use]
    pub fn src(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.header().src)
    }

    /// Destination address.
    #[inline]
    #[must_use]
    pub fn dst(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.header().dst)
    }

    /// The header, options included.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(..self.header_len)
            .unwrap_or_default()
    }

    /// The raw option bytes, padding included (empty without options).
    #[inline]
    #[must_use]
    pub fn options_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(HEADER_LEN..self.header_len)
            .unwrap_or_default()
    }

    /// The options, validated by `parse`.
    #[inline]
    #[must_use]
    pub fn options(&self) -> OptionList<'_> {
        OptionList::new_unchecked(self.options_bytes())
    }

    /// The payload: from the end of the header to the total length (for a
    /// quote, to the end of what was quoted). Link padding is excluded.
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.header_len..self.end)
            .unwrap_or_default()
    }

    /// Header and payload, without link padding.
    #[inline]
    #[must_use]
    pub fn packet_bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(..self.end).unwrap_or_default()
    }

    /// Whether the payload is shorter than the total length says, which only
    /// [`parse_quoted`](Packet::parse_quoted) allows.
    #[inline]
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.end < usize::from(self.total_len())
    }

    /// Whether the header checksum verifies.
    #[inline(always)]
    #[must_use]
    pub fn verify_checksum(&self) -> bool {
        // A header that sums (checksum field included) to all ones verifies.
        self.header().sum(self.options_bytes()).fold() == 0xffff
    }

    /// The value the header checksum field should hold for this header,
    /// whatever it holds now: what [`fill_checksum`](Packet::fill_checksum)
    /// would write, without a writable buffer or a copy of the header. The
    /// header checksum covers the header alone, so this is exact for a
    /// [truncated](Packet::is_truncated) quote too.
    #[inline]
    #[must_use]
    pub fn compute_checksum(&self) -> u16 {
        let header = self.header();
        // Complementing the sum taken with the field in place gives a
        // checksum that still counts the field; changing the field from its
        // value to zero the incremental way (RFC 1624) takes it back out.
        update_u16(
            !header.sum(self.options_bytes()).fold(),
            header.checksum.get(),
            0,
        )
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Applies `f` to the fixed header, which parsing guaranteed is there.
    #[inline]
    fn with_header(&mut self, f: impl FnOnce(&mut Header)) {
        if let Ok((header, _)) = Header::mut_from_prefix(self.buffer.as_mut()) {
            f(header);
        }
    }

    #[inline]
    fn set_flag(&mut self, flag: u16, value: bool) {
        self.with_header(|h| {
            let word = h.flags_fragment.get();
            h.flags_fragment
                .set(if value { word | flag } else { word & !flag });
        });
    }

    /// Sets the DSCP (only the low 6 bits of `dscp` are used).
    #[inline]
    pub fn set_dscp(&mut self, dscp: u8) {
        self.with_header(|h| h.tos = (dscp << 2) | (h.tos & 0b11));
    }

    /// Sets the ECN code point.
    #[inline]
    pub fn set_ecn(&mut self, ecn: Ecn) {
        self.with_header(|h| h.tos = (h.tos & !0b11) | ecn.bits());
    }

    /// Sets the identification field.
    #[inline]
    pub fn set_identification(&mut self, identification: u16) {
        self.with_header(|h| h.identification.set(identification));
    }

    /// Sets the reserved flag bit.
    #[inline]
    pub fn set_reserved_flag(&mut self, value: bool) {
        self.set_flag(FLAG_RESERVED, value);
    }

    /// Sets Don't Fragment.
    #[inline]
    pub fn set_dont_fragment(&mut self, value: bool) {
        self.set_flag(FLAG_DF, value);
    }

    /// Sets More Fragments.
    #[inline]
    pub fn set_more_fragments(&mut self, value: bool) {
        self.set_flag(FLAG_MF, value);
    }

    /// Sets the fragment offset in 8-byte units (only the low 13 bits of
    /// `offset` are used).
    #[inline]
    pub fn set_fragment_offset(&mut self, offset: u16) {
        self.with_header(|h| {
            let flags = h.flags_fragment.get() & !FRAGMENT_OFFSET_MASK;
            h.flags_fragment
                .set(flags | (offset & FRAGMENT_OFFSET_MASK));
        });
    }

    /// Sets the time to live. The checksum is left alone; see
    /// [`decrement_ttl`](Packet::decrement_ttl) for the forwarding case.
    #[inline]
    pub fn set_ttl(&mut self, ttl: u8) {
        self.with_header(|h| h.ttl = ttl);
    }

    /// Sets the protocol field.
    #[inline]
    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.with_header(|h| h.protocol = protocol.0);
    }

    /// Sets the checksum field.
    #[inline]
    pub fn set_checksum(&mut self, checksum: u16) {
        self.with_header(|h| h.checksum.set(checksum));
    }

    /// Sets the source address.
    #[inline]
    pub fn set_src(&mut self, src: Ipv4Addr) {
        self.with_header(|h| h.src = src.octets());
    }

    /// Sets the destination address.
    #[inline]
    pub fn set_dst(&mut self, dst: Ipv4Addr) {
        self.with_header(|h| h.dst = dst.octets());
    }

    /// Decrements the TTL as a router forwarding the packet does, patching
    /// the checksum incrementally (RFC 1624) instead of recomputing it, and
    /// returns the new TTL. A TTL of 0 is left alone and gives `None`; a
    /// router must not forward a packet whose TTL reaches 0 (RFC 1812 §5.3.1).
    #[inline]
    pub fn decrement_ttl(&mut self) -> Option<u8> {
        let mut result = None;
        self.with_header(|h| {
            let Some(ttl) = h.ttl.checked_sub(1) else {
                return;
            };
            let old = u16::from_be_bytes([h.ttl, h.protocol]);
            let new = u16::from_be_bytes([ttl, h.protocol]);
            h.ttl = ttl;
            h.checksum.set(update_u16(h.checksum.get(), old, new));
            result = Some(ttl);
        });
        result
    }

    /// Recomputes and stores the header checksum.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = self.header().sum(self.options_bytes()).finish();
        self.set_checksum(c);
    }

    /// The payload, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.header_len, self.end);
        self.buffer.as_mut().get_mut(start..end).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]>> fmt::Debug for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("src", &self.src())
            .field("dst", &self.dst())
            .field("protocol", &self.protocol())
            .field("header_len", &self.header_len)
            .field("dscp", &self.dscp())
            .field("ecn", &self.ecn())
            .field("total_len", &self.total_len())
            .field("identification", &self.identification())
            .field("reserved_flag", &self.reserved_flag())
            .field("dont_fragment", &self.dont_fragment())
            .field("more_fragments", &self.more_fragments())
            .field("fragment_offset", &self.fragment_offset())
            .field("ttl", &self.ttl())
            .field("checksum", &self.checksum())
            .field("options", &self.options())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use proptest::prelude::*;

    use super::*;

    // IPv4 headers from the captures of the strata decode tests
    // (crates/strata/tests/data/edge.pcap), 198.18.0.1 -> 198.18.0.2.

    /// Frame 6: an echo request whose header checksum was spoiled on
    /// purpose; Wireshark says it should be 0x8eaf.
    const BAD_CHECKSUM: [u8; 33] = [
        0x45, 0x00, 0x00, 0x21, 0x20, 0x05, 0x40, 0x00, 0x40, 0x01, 0xdb, 0xfa, 0xc6, 0x12, 0x00,
        0x01, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0xbf, 0x2a, 0x02, 0x02, 0x00, 0x08, 0x62, 0x61,
        0x64, 0x69, 0x70,
    ];

    /// Frame 3's header (its 15 bytes of UDP not included): NOP, Record
    /// Route and Router Alert options.
    const WITH_OPTIONS: [u8; 32] = [
        0x48, 0xbb, 0x00, 0x2f, 0x20, 0x02, 0x40, 0x00, 0x40, 0x11, 0xee, 0xc9, 0xc6, 0x12, 0x00,
        0x01, 0xc6, 0x12, 0x00, 0x02, 0x01, 0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, 0x94, 0x04,
        0x00, 0x00,
    ];

    /// Frame 9 quotes this 40-byte packet's header and 8 bytes of TCP.
    const QUOTED: [u8; 28] = [
        0x45, 0x00, 0x00, 0x28, 0x20, 0x08, 0x40, 0x00, 0x40, 0x06, 0x8e, 0xa0, 0xc6, 0x12, 0x00,
        0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x46, 0x23, 0x28, 0x00, 0x01, 0x2f, 0xd1,
    ];

    #[test]
    fn compute_checksum_of_a_bad_header() {
        let p = Packet::parse(&BAD_CHECKSUM[..]).unwrap();
        assert!(!p.verify_checksum());
        assert_eq!(p.checksum(), 0xdbfa);
        assert_eq!(p.compute_checksum(), 0x8eaf);
        assert_eq!(
            Packet::parse_verified(&BAD_CHECKSUM[..]).unwrap_err(),
            ParseError::BadChecksum {
                found: 0xdbfa,
                computed: 0x8eaf
            }
        );
        // Writing it in makes the header verify.
        let mut fixed = BAD_CHECKSUM;
        fixed[10..12].copy_from_slice(&0x8eafu16.to_be_bytes());
        assert!(Packet::parse_verified(&fixed[..]).is_ok());
    }

    #[test]
    fn compute_checksum_covers_options() {
        let p = Packet::parse_quoted(&WITH_OPTIONS[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(p.header_len(), 32);
        assert_eq!(p.compute_checksum(), 0xeec9);
        // The Router Alert value changed: the right checksum changes with it.
        let mut changed = WITH_OPTIONS;
        changed[31] = 5;
        let p = Packet::parse_quoted(&changed[..]).unwrap();
        assert_eq!(p.checksum(), 0xeec9);
        let right = p.compute_checksum();
        assert_ne!(right, 0xeec9);
        changed[10..12].copy_from_slice(&right.to_be_bytes());
        assert!(
            Packet::parse_quoted(&changed[..])
                .unwrap()
                .verify_checksum()
        );
    }

    #[test]
    fn compute_checksum_of_a_truncated_quote() {
        let p = Packet::parse_quoted(&QUOTED[..]).unwrap();
        assert!(p.is_truncated());
        assert!(p.verify_checksum());
        assert_eq!(p.compute_checksum(), 0x8ea0);
        let mut zeroed = QUOTED;
        zeroed[10..12].fill(0);
        assert_eq!(
            Packet::parse_quoted(&zeroed[..])
                .unwrap()
                .compute_checksum(),
            0x8ea0
        );
    }

    proptest! {
        /// Whatever the field holds, the computed value is what
        /// `fill_checksum` writes.
        #[test]
        fn compute_checksum_is_what_fill_writes(
            mut header in proptest::collection::vec(any::<u8>(), 20..=20),
            field in any::<u16>(),
        ) {
            header[0] = 0x45;
            header[2..4].copy_from_slice(&20u16.to_be_bytes());
            header[10..12].copy_from_slice(&field.to_be_bytes());
            let computed = Packet::parse(&header[..]).unwrap().compute_checksum();
            let mut filled: Vec<u8> = header.clone();
            let mut p = Packet::parse(&mut filled[..]).unwrap();
            p.fill_checksum();
            prop_assert_eq!(p.checksum(), computed);
            prop_assert!(p.verify_checksum());
        }
    }
}
