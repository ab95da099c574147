//! The zero-copy frame view.

use core::fmt;

use zerocopy::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{EmitError, EtherType, HEADER_LEN, MacAddress, ParseError, VLAN_TAG_LEN, VlanTag};

/// The fixed Ethernet II header as it sits on the wire.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) dst: MacAddress,
    pub(crate) src: MacAddress,
    pub(crate) ethertype: U16,
}

/// A VLAN tag after its TPID: the TCI, then the next type field.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Tag {
    pub(crate) tci: U16,
    pub(crate) ethertype: U16,
}

// Returned by accessors only if a buffer's `as_ref` shrank after parsing;
// keeps them panic-free without a second error path.
static NO_HEADER: Header = Header {
    dst: MacAddress::UNSPECIFIED,
    src: MacAddress::UNSPECIFIED,
    ethertype: U16::ZERO,
};
static NO_TAG: Tag = Tag {
    tci: U16::ZERO,
    ethertype: U16::ZERO,
};

/// Which VLAN tags a parsed frame has, which fixes every field's offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Tags {
    /// `dst src type`
    None = 0,
    /// `dst src 8100 tci type`
    Customer = 1,
    /// `dst src 88a8 tci type`
    Service = 2,
    /// `dst src 88a8 tci 8100 tci type`
    ServiceCustomer = 3,
}

impl Tags {
    #[inline]
    const fn header_len(self) -> usize {
        // Bit 0 of the discriminant is the C-tag, bit 1 the S-tag: one tag
        // length per bit, without a branch.
        let bits = self as usize;
        HEADER_LEN + VLAN_TAG_LEN * ((bits & 1) + (bits >> 1))
    }

    /// Offset of the C-tag's TCI.
    #[inline]
    const fn customer(self) -> Option<usize> {
        match self {
            Tags::Customer => Some(HEADER_LEN),
            Tags::ServiceCustomer => Some(HEADER_LEN + VLAN_TAG_LEN),
            Tags::None | Tags::Service => None,
        }
    }

    /// Offset of the S-tag's TCI.
    #[inline]
    const fn service(self) -> Option<usize> {
        match self {
            Tags::Service | Tags::ServiceCustomer => Some(HEADER_LEN),
            Tags::None | Tags::Customer => None,
        }
    }
}

/// An Ethernet II frame over a borrowed or owned buffer, validated once by
/// [`Frame::parse`].
///
/// Tags are understood in the two arrangements seen in practice: one
/// 802.1Q C-tag (TPID `0x8100`), and 802.1ad QinQ, an S-tag (`0x88a8`)
/// optionally followed by a C-tag. [`Frame::ethertype`] is the type field
/// after the last tag, and [`Frame::payload`] starts after it. Anything
/// else (a second `0x8100`, the pre-standard `0x9100`) is reported as the
/// EtherType and left in the payload, so nothing is lost.
///
/// The frame check sequence is not expected: Linux packet sockets, TAP
/// devices and pcap files from them strip it. Padding that brought a short
/// frame up to 60 bytes is part of the payload; the next layer's own length
/// field (IPv4 total length, say) tells where its data ends.
///
/// ```
/// use strata_ethernet::{EtherType, Frame, MacAddress};
/// // An ARP request from a Linux veth, as captured by tcpdump.
/// let bytes = [
///     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87, 0x08, 0x06,
///     0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x96, 0xd2, 0xff, 0x98, 0x70, 0x87,
///     0xc6, 0x12, 0x3c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x3c, 0x02,
/// ];
/// let frame = Frame::parse(&bytes[..])?;
/// assert!(frame.dst().is_broadcast());
/// assert_eq!(frame.src().to_string(), "96:d2:ff:98:70:87");
/// assert_eq!(frame.ethertype(), EtherType::ARP);
/// assert_eq!(frame.vlan(), None);
/// assert_eq!(frame.payload().len(), 28);
/// # Ok::<(), strata_ethernet::ParseError>(())
/// ```
#[derive(Clone)]
pub struct Frame<T> {
    buffer: T,
    tags: Tags,
    /// The type field after the last tag, read once by `parse` so that
    /// dispatching on it needs no second look at the tags.
    ethertype: EtherType,
    /// `tags.header_len()`, kept so that slicing off the header is one add.
    header_len: u8,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Checks that `buffer` holds an Ethernet header and every VLAN tag its
    /// type fields announce.
    ///
    /// # Errors
    /// [`ParseError::Truncated`] below 14 bytes,
    /// [`ParseError::TruncatedVlanTag`] if an announced tag is cut off.
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
        let ethertype = header.ethertype.get();
        // Untagged frames, nearly all of them, are settled by the two
        // comparisons; the tag walk stays out of their way.
        if ethertype != EtherType::QINQ.0 && ethertype != EtherType::VLAN.0 {
            return Ok(Self {
                buffer,
                tags: Tags::None,
                ethertype: EtherType(ethertype),
                header_len: HEADER_LEN as u8,
            });
        }
        let (tags, ethertype) = Self::walk_tags(ethertype, rest, available)?;
        Ok(Self {
            buffer,
            tags,
            ethertype: EtherType(ethertype),
            // At most 22.
            header_len: tags.header_len() as u8,
        })
    }

    /// The tags announced by a header whose type field is a TPID; `rest` is
    /// what follows the 14-byte header.
    #[inline(never)]
    fn walk_tags(
        mut ethertype: u16,
        mut rest: &[u8],
        available: usize,
    ) -> Result<(Tags, u16), ParseError> {
        let mut tags = Tags::None;
        if ethertype == EtherType::QINQ.0 {
            let Ok((tag, after)) = Tag::ref_from_prefix(rest) else {
                return Err(truncated_tag(HEADER_LEN, available));
            };
            ethertype = tag.ethertype.get();
            rest = after;
            tags = Tags::Service;
        }
        if ethertype == EtherType::VLAN.0 {
            let Ok((tag, _)) = Tag::ref_from_prefix(rest) else {
                return Err(truncated_tag(tags.header_len(), available));
            };
            ethertype = tag.ethertype.get();
            tags = match tags {
                Tags::Service => Tags::ServiceCustomer,
                _ => Tags::Customer,
            };
        }
        Ok((tags, ethertype))
    }

    #[inline]
    fn header(&self) -> &Header {
        Header::ref_from_prefix(self.buffer.as_ref()).map_or(&NO_HEADER, |(h, _)| h)
    }

    #[inline]
    fn tag_at(&self, offset: usize) -> &Tag {
        self.buffer
            .as_ref()
            .get(offset..)
            .and_then(|b| Tag::ref_from_prefix(b).ok())
            .map_or(&NO_TAG, |(t, _)| t)
    }

    /// Destination address.
    #[inline]
    #[must_use]
    pub fn dst(&self) -> MacAddress {
        self.header().dst
    }

    /// Source address.
    #[inline]
    #[must_use]
    pub fn src(&self) -> MacAddress {
        self.header().src
    }

    /// The protocol of the payload: the type field after the last VLAN tag.
    ///
    /// It may be an 802.3 length rather than a protocol; see
    /// [`Frame::is_length_field`].
    #[inline]
    #[must_use]
    pub fn ethertype(&self) -> EtherType {
        self.ethertype
    }

    /// The type field holds an IEEE 802.3 length (below `0x0600`), so the
    /// payload is LLC (spanning tree, NetBIOS...) rather than a protocol
    /// named by an EtherType.
    ///
    /// Such frames parse successfully rather than failing: they are valid
    /// Ethernet and appear in ordinary captures, and a dissector should show
    /// them, not flag them as malformed. A stack loses nothing either, since
    /// no length value equals an EtherType it dispatches on.
    #[inline]
    #[must_use]
    pub fn is_length_field(&self) -> bool {
        self.ethertype().is_length_field()
    }

    /// The 802.1Q customer tag (TPID `0x8100`), the one that says which
    /// VLAN the frame is on.
    #[inline]
    #[must_use]
    pub fn vlan(&self) -> Option<VlanTag> {
        self.tags
            .customer()
            .map(|at| VlanTag::from_tci(self.tag_at(at).tci.get()))
    }

    /// The 802.1ad service tag (TPID `0x88a8`) of a QinQ frame.
    #[inline]
    #[must_use]
    pub fn service_vlan(&self) -> Option<VlanTag> {
        self.tags
            .service()
            .map(|at| VlanTag::from_tci(self.tag_at(at).tci.get()))
    }

    /// Header length including tags: 14, 18 or 22.
    #[inline]
    #[must_use]
    pub fn header_len(&self) -> usize {
        usize::from(self.header_len)
    }

    /// The header bytes, tags included.
    #[inline]
    #[must_use]
    pub fn header_bytes(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(..self.header_len())
            .unwrap_or_default()
    }

    /// Everything after the header, padding included.
    #[inline]
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.header_len()..)
            .unwrap_or_default()
    }

    /// The underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    #[inline]
    fn header_mut(&mut self) -> Option<&mut Header> {
        Header::mut_from_prefix(self.buffer.as_mut())
            .ok()
            .map(|(h, _)| h)
    }

    #[inline]
    fn tag_mut(&mut self, offset: usize) -> Option<&mut Tag> {
        self.buffer
            .as_mut()
            .get_mut(offset..)
            .and_then(|b| Tag::mut_from_prefix(b).ok())
            .map(|(t, _)| t)
    }

    /// Sets the destination address.
    #[inline]
    pub fn set_dst(&mut self, mac: MacAddress) {
        if let Some(h) = self.header_mut() {
            h.dst = mac;
        }
    }

    /// Sets the source address.
    #[inline]
    pub fn set_src(&mut self, mac: MacAddress) {
        if let Some(h) = self.header_mut() {
            h.src = mac;
        }
    }

    /// Sets the type field after the last tag.
    ///
    /// # Errors
    /// [`EmitError::AmbiguousEtherType`] if the new value would make the
    /// frame parse with a different set of tags (a TPID right after the
    /// header or `0x8100` right after an S-tag); the frame is unchanged.
    pub fn set_ethertype(&mut self, ethertype: EtherType) -> Result<(), EmitError> {
        if is_ambiguous(self.tags, ethertype) {
            return Err(EmitError::AmbiguousEtherType { ethertype });
        }
        self.ethertype = ethertype;
        match self.tags {
            Tags::None => {
                if let Some(h) = self.header_mut() {
                    h.ethertype.set(ethertype.0);
                }
            }
            tags => {
                if let Some(t) = self.tag_mut(tags.header_len() - VLAN_TAG_LEN) {
                    t.ethertype.set(ethertype.0);
                }
            }
        }
        Ok(())
    }

    /// Rewrites the 802.1Q C-tag, as a bridge re-tagging a frame does.
    ///
    /// # Errors
    /// [`EmitError::NoSuchTag`] if the frame has no C-tag (inserting one
    /// would move the payload), [`EmitError::BadVlanPriority`] or
    /// [`EmitError::BadVlanId`] for a tag whose fields do not fit.
    pub fn set_vlan(&mut self, tag: VlanTag) -> Result<(), EmitError> {
        check_tag(tag)?;
        let at = self.tags.customer().ok_or(EmitError::NoSuchTag)?;
        if let Some(t) = self.tag_mut(at) {
            t.tci.set(tag.tci());
        }
        Ok(())
    }

    /// Rewrites the 802.1ad S-tag.
    ///
    /// # Errors
    /// As [`Frame::set_vlan`], for the S-tag.
    pub fn set_service_vlan(&mut self, tag: VlanTag) -> Result<(), EmitError> {
        check_tag(tag)?;
        let at = self.tags.service().ok_or(EmitError::NoSuchTag)?;
        if let Some(t) = self.tag_mut(at) {
            t.tci.set(tag.tci());
        }
        Ok(())
    }

    /// The payload, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let at = self.header_len();
        self.buffer.as_mut().get_mut(at..).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]>> fmt::Debug for Frame<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("dst", &self.dst())
            .field("src", &self.src())
            .field("service_vlan", &self.service_vlan())
            .field("vlan", &self.vlan())
            .field("ethertype", &self.ethertype())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

const fn truncated_tag(offset: usize, available: usize) -> ParseError {
    ParseError::TruncatedVlanTag {
        offset,
        needed: offset + VLAN_TAG_LEN,
        available,
    }
}

/// Whether a type field holding `ethertype` after `tags` would be taken by
/// [`Frame::parse`] for one more tag.
#[inline]
pub(crate) const fn is_ambiguous_after(
    service: bool,
    customer: bool,
    ethertype: EtherType,
) -> bool {
    match (service, customer) {
        (_, true) => false,
        (true, false) => ethertype.0 == EtherType::VLAN.0,
        (false, false) => ethertype.is_vlan_tpid(),
    }
}

const fn is_ambiguous(tags: Tags, ethertype: EtherType) -> bool {
    is_ambiguous_after(
        tags.service().is_some(),
        tags.customer().is_some(),
        ethertype,
    )
}

#[inline]
pub(crate) const fn check_tag(tag: VlanTag) -> Result<(), EmitError> {
    if tag.pcp > VlanTag::MAX_PCP {
        return Err(EmitError::BadVlanPriority { pcp: tag.pcp });
    }
    if tag.vid > VlanTag::MAX_VID {
        return Err(EmitError::BadVlanId { vid: tag.vid });
    }
    Ok(())
}
