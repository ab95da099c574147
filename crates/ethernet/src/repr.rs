//! The owned header description and its builder.

use strata_core::buffer::PacketBuf;
use zerocopy::FromBytes;

use crate::frame::{Header, Tag, check_tag, is_ambiguous_after};
use crate::{
    EmitError, EtherType, Frame, HEADER_LEN, MacAddress, ParseError, VLAN_TAG_LEN, VlanTag,
};

/// An Ethernet II header as plain values: what [`Frame::parse`] reads and
/// what [`Repr::emit`] writes.
///
/// The tags go on the wire S-tag first, then C-tag. Emitting is exact:
/// for any frame that parses, `Repr::parse` followed by `emit` reproduces
/// its header byte for byte.
///
/// ```
/// use strata_ethernet::{EtherType, Frame, MacAddress, Repr, VlanTag};
/// let src: MacAddress = "02:00:5e:10:00:01".parse()?;
/// let repr = Repr::new(src, MacAddress::BROADCAST, EtherType::ARP).with_vlan(VlanTag::new(100));
/// let mut buf = [0u8; 18 + 28];
/// repr.emit(&mut buf)?;
/// assert_eq!(&buf[12..18], &[0x81, 0x00, 0x00, 0x64, 0x08, 0x06]);
/// assert_eq!(Repr::parse(&Frame::parse(&buf[..])?)?, repr);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source address.
    pub src: MacAddress,
    /// Destination address.
    pub dst: MacAddress,
    /// 802.1Q customer tag (TPID `0x8100`), the one that names the VLAN.
    pub vlan: Option<VlanTag>,
    /// 802.1ad service tag (TPID `0x88a8`) of a QinQ frame; written before
    /// `vlan`.
    pub service_vlan: Option<VlanTag>,
    /// Protocol of the payload (the type field after the last tag).
    pub ethertype: EtherType,
}

impl Repr {
    /// An untagged header, the common case.
    #[inline]
    #[must_use]
    pub const fn new(src: MacAddress, dst: MacAddress, ethertype: EtherType) -> Self {
        Self {
            src,
            dst,
            vlan: None,
            service_vlan: None,
            ethertype,
        }
    }

    /// The same header with an 802.1Q C-tag.
    #[inline]
    #[must_use]
    pub const fn with_vlan(self, tag: VlanTag) -> Self {
        Self {
            vlan: Some(tag),
            ..self
        }
    }

    /// The same header with an 802.1ad S-tag.
    #[inline]
    #[must_use]
    pub const fn with_service_vlan(self, tag: VlanTag) -> Self {
        Self {
            service_vlan: Some(tag),
            ..self
        }
    }

    /// Reads the header of a parsed frame.
    ///
    /// # Errors
    /// None today: every parsed frame has a `Repr`. The `Result` keeps the
    /// signature uniform with the other layers.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(frame: &Frame<T>) -> Result<Self, ParseError> {
        Ok(Self {
            src: frame.src(),
            dst: frame.dst(),
            vlan: frame.vlan(),
            service_vlan: frame.service_vlan(),
            ethertype: frame.ethertype(),
        })
    }

    /// Bytes the header takes: 14, plus 4 per tag.
    #[inline]
    #[must_use]
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
            + if self.vlan.is_some() { VLAN_TAG_LEN } else { 0 }
            + if self.service_vlan.is_some() {
                VLAN_TAG_LEN
            } else {
                0
            }
    }

    /// Checks the values `emit` would refuse.
    ///
    /// # Errors
    /// [`EmitError::BadVlanPriority`], [`EmitError::BadVlanId`] for a tag
    /// that does not fit; [`EmitError::AmbiguousEtherType`] for an EtherType
    /// that would be read back as another tag.
    #[inline]
    pub const fn check(&self) -> Result<(), EmitError> {
        if let Some(tag) = self.service_vlan
            && let Err(e) = check_tag(tag)
        {
            return Err(e);
        }
        if let Some(tag) = self.vlan
            && let Err(e) = check_tag(tag)
        {
            return Err(e);
        }
        if is_ambiguous_after(
            self.service_vlan.is_some(),
            self.vlan.is_some(),
            self.ethertype,
        ) {
            return Err(EmitError::AmbiguousEtherType {
                ethertype: self.ethertype,
            });
        }
        Ok(())
    }

    /// Writes the header into `buf[..header_len()]`. Whatever follows in
    /// `buf` is the payload and is left untouched; Ethernet has no length or
    /// checksum to compute from it.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if `buf` is shorter than the header,
    /// or any error of [`Repr::check`]; `buf` is unchanged on error.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), EmitError> {
        self.check()?;
        let needed = self.header_len();
        let Some(header) = buf.get_mut(..needed) else {
            return Err(EmitError::BufferTooSmall {
                needed,
                available: buf.len(),
            });
        };
        self.write(header);
        Ok(())
    }

    /// Claims `header_len()` bytes of headroom in front of the packet's
    /// contents (the payload) and writes the header there.
    ///
    /// # Errors
    /// [`EmitError::BufferTooSmall`] if the headroom is short, or any error
    /// of [`Repr::check`]; the packet is unchanged on error.
    #[inline(always)]
    pub fn prepend<B: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        pkt: &mut PacketBuf<B>,
    ) -> Result<(), EmitError> {
        // Untagged frames, nearly all of them, skip the tag logic and are
        // written with one 14-byte copy.
        if self.vlan.is_none() && self.service_vlan.is_none() {
            if self.ethertype.is_vlan_tpid() {
                return Err(EmitError::AmbiguousEtherType {
                    ethertype: self.ethertype,
                });
            }
            let header = pkt.prepend(HEADER_LEN)?;
            if let Some(out) = header.first_chunk_mut::<HEADER_LEN>() {
                let [d0, d1, d2, d3, d4, d5] = self.dst.0;
                let [s0, s1, s2, s3, s4, s5] = self.src.0;
                let [t0, t1] = self.ethertype.0.to_be_bytes();
                *out = [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1];
            }
            return Ok(());
        }
        self.check()?;
        let header = pkt.prepend(self.header_len())?;
        self.write(header);
        Ok(())
    }

    /// Copies `payload` after the header into `buf` and returns the frame
    /// length, for callers that have the payload in a separate slice.
    ///
    /// # Errors
    /// As [`Repr::emit`], with `needed` counting the payload too.
    pub fn emit_with_payload(&self, buf: &mut [u8], payload: &[u8]) -> Result<usize, EmitError> {
        self.check()?;
        let total = self.header_len() + payload.len();
        let Some((header, rest)) = buf
            .get_mut(..total)
            .and_then(|b| b.split_at_mut_checked(self.header_len()))
        else {
            return Err(EmitError::BufferTooSmall {
                needed: total,
                available: buf.len(),
            });
        };
        rest.copy_from_slice(payload);
        self.write(header);
        Ok(total)
    }

    /// Writes a checked header into a slice of exactly `header_len()` bytes.
    ///
    /// Fields are stored straight into the output: assembling a header
    /// value on the stack and copying it out costs a store-forwarding
    /// stall that tripled the time of `emit`.
    #[inline]
    fn write(&self, out: &mut [u8]) {
        let outer_type = match (self.service_vlan, self.vlan) {
            (Some(_), _) => EtherType::QINQ,
            (None, Some(_)) => EtherType::VLAN,
            (None, None) => self.ethertype,
        };
        let Ok((header, mut rest)) = Header::mut_from_prefix(out) else {
            return;
        };
        header.dst = self.dst;
        header.src = self.src;
        header.ethertype.set(outer_type.0);
        if let Some(tag) = self.service_vlan {
            let next = if self.vlan.is_some() {
                EtherType::VLAN
            } else {
                self.ethertype
            };
            rest = write_tag(rest, tag, next);
        }
        if let Some(tag) = self.vlan {
            write_tag(rest, tag, self.ethertype);
        }
    }
}

/// Writes one tag at the front of `out` and returns what follows it.
#[inline]
fn write_tag(out: &mut [u8], tag: VlanTag, next: EtherType) -> &mut [u8] {
    match Tag::mut_from_prefix(out) {
        Ok((t, rest)) => {
            t.tci.set(tag.tci());
            t.ethertype.set(next.0);
            rest
        }
        Err(e) => e.into_src(),
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Repr {
    // A derived EtherType may be a TPID where emit would refuse it; such
    // values are swapped for IPv4 so every generated Repr emits.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let mut repr = Self {
            src: u.arbitrary()?,
            dst: u.arbitrary()?,
            vlan: u.arbitrary()?,
            service_vlan: u.arbitrary()?,
            ethertype: u.arbitrary()?,
        };
        if is_ambiguous_after(
            repr.service_vlan.is_some(),
            repr.vlan.is_some(),
            repr.ethertype,
        ) {
            repr.ethertype = EtherType::IPV4;
        }
        Ok(repr)
    }
}
