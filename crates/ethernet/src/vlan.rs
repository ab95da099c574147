//! IEEE 802.1Q tag control information.

use core::fmt;

/// The tag control information (TCI) of an 802.1Q C-tag or 802.1ad S-tag:
/// priority, drop eligibility and VLAN ID.
///
/// The fields are public so a tag can be written as a literal; values out of
/// range (`pcp > 7`, `vid > 4095`) are refused by
/// [`Repr::emit`](crate::Repr::emit) rather than silently masked, because a
/// masked VLAN ID would put the frame on a different VLAN.
///
/// ```
/// use strata_ethernet::VlanTag;
/// let tag = VlanTag::from_tci(0xa064);
/// assert_eq!((tag.pcp, tag.dei, tag.vid), (5, false, 100));
/// assert_eq!(tag.tci(), 0xa064);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// Priority code point (IEEE 802.1p class of service), 0–7.
    pub pcp: u8,
    /// Drop eligible indicator (formerly CFI): may be dropped first under
    /// congestion.
    pub dei: bool,
    /// VLAN identifier, 0–4095. 0 means "priority tag only, no VLAN" and
    /// 4095 is reserved; both are carried as is.
    pub vid: u16,
}

impl VlanTag {
    /// The largest VLAN ID the 12-bit field holds.
    pub const MAX_VID: u16 = 0x0fff;
    /// The largest priority code point the 3-bit field holds.
    pub const MAX_PCP: u8 = 7;

    /// A tag for VLAN `vid` with default priority and DEI clear.
    #[inline]
    #[must_use]
    pub const fn new(vid: u16) -> Self {
        Self {
            pcp: 0,
            dei: false,
            vid,
        }
    }

    /// The same tag with priority `pcp`.
    #[inline]
    #[must_use]
    pub const fn with_pcp(self, pcp: u8) -> Self {
        Self { pcp, ..self }
    }

    /// Splits a TCI as it appears on the wire. Every 16-bit value is a valid
    /// TCI, so this cannot fail and `from_tci(x).tci() == x`.
    #[inline]
    #[must_use]
    pub const fn from_tci(tci: u16) -> Self {
        Self {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & Self::MAX_VID,
        }
    }

    /// The TCI for the wire. Out-of-range fields are masked here; use
    /// [`VlanTag::is_valid`] (as `emit` does) to refuse them instead.
    #[inline]
    #[must_use]
    pub const fn tci(self) -> u16 {
        (((self.pcp & Self::MAX_PCP) as u16) << 13)
            | if self.dei { 0x1000 } else { 0 }
            | (self.vid & Self::MAX_VID)
    }

    /// Every field fits its bit width.
    #[inline]
    #[must_use]
    pub const fn is_valid(self) -> bool {
        self.pcp <= Self::MAX_PCP && self.vid <= Self::MAX_VID
    }
}

impl fmt::Display for VlanTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vlan {} pri {}", self.vid, self.pcp)?;
        if self.dei {
            f.write_str(" dei")?;
        }
        Ok(())
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for VlanTag {
    // Built from a TCI so every generated tag is one the wire can carry.
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self::from_tci(u16::arbitrary(u)?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u16::size_hint(depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;

    #[test]
    fn fields() {
        let tag = VlanTag::from_tci(0xf001);
        assert_eq!(
            tag,
            VlanTag {
                pcp: 7,
                dei: true,
                vid: 1
            }
        );
        assert_eq!(tag.to_string(), "vlan 1 pri 7 dei");
        assert_eq!(VlanTag::new(100).with_pcp(3).tci(), 0x6064);
        assert!(!VlanTag::new(4096).is_valid());
        assert!(!VlanTag::new(1).with_pcp(8).is_valid());
        assert!(VlanTag::new(4095).with_pcp(7).is_valid());
    }

    proptest! {
        #[test]
        fn tci_round_trip(tci in any::<u16>()) {
            let tag = VlanTag::from_tci(tci);
            prop_assert!(tag.is_valid());
            prop_assert_eq!(tag.tci(), tci);
        }
    }
}
