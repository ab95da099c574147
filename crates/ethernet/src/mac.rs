//! 48-bit IEEE 802 MAC addresses.

use core::fmt;
use core::str::FromStr;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// A 48-bit MAC address, in wire order.
///
/// It derives the zerocopy traits so header structs can hold it directly and
/// reading one out of a frame is a 6-byte copy.
///
/// ```
/// use strata_ethernet::MacAddress;
/// let mac: MacAddress = "02:00:5e:10:00:02".parse()?;
/// assert!(mac.is_unicast() && mac.is_local());
/// assert_eq!(mac.to_string(), "02:00:5e:10:00:02");
/// assert!(MacAddress::BROADCAST.is_multicast());
/// # Ok::<(), strata_ethernet::ParseMacError>(())
/// ```
#[derive(
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
)]
#[repr(transparent)]
pub struct MacAddress(pub [u8; 6]);

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for MacAddress {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <[u8; 6]>::size_hint(depth)
    }
}

impl MacAddress {
    /// `ff:ff:ff:ff:ff:ff`, where ARP requests go.
    pub const BROADCAST: MacAddress = MacAddress([0xff; 6]);

    /// `00:00:00:00:00:00`, which ARP requests carry as the still-unknown
    /// target address.
    pub const UNSPECIFIED: MacAddress = MacAddress([0; 6]);

    /// Address from its six octets in wire order.
    #[inline]
    #[must_use]
    pub const fn new(octets: [u8; 6]) -> Self {
        Self(octets)
    }

    /// Address from a slice that must be exactly six bytes long.
    #[inline]
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 6]>::try_from(bytes).ok().map(Self)
    }

    /// The six octets in wire order.
    #[inline]
    #[must_use]
    pub const fn octets(self) -> [u8; 6] {
        self.0
    }

    /// All ones: every station on the segment receives it.
    #[inline]
    #[must_use]
    pub const fn is_broadcast(self) -> bool {
        matches!(self.0, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    }

    /// The I/G bit (least significant bit of the first octet) is set: a group
    /// address. Broadcast is a multicast address too.
    #[inline]
    #[must_use]
    pub const fn is_multicast(self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// An individual station's address (I/G bit clear).
    #[inline]
    #[must_use]
    pub const fn is_unicast(self) -> bool {
        !self.is_multicast()
    }

    /// The U/L bit (second least significant bit of the first octet) is set:
    /// locally administered rather than assigned by a vendor, as for random
    /// addresses of veth, TAP and virtual machines.
    #[inline]
    #[must_use]
    pub const fn is_local(self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// A vendor-assigned address (U/L bit clear).
    #[inline]
    #[must_use]
    pub const fn is_universal(self) -> bool {
        !self.is_local()
    }

    /// All zeros: not a valid station address, used as a placeholder.
    #[inline]
    #[must_use]
    pub const fn is_unspecified(self) -> bool {
        matches!(self.0, [0, 0, 0, 0, 0, 0])
    }
}

impl From<[u8; 6]> for MacAddress {
    #[inline]
    fn from(octets: [u8; 6]) -> Self {
        Self(octets)
    }
}

impl From<MacAddress> for [u8; 6] {
    #[inline]
    fn from(mac: MacAddress) -> Self {
        mac.0
    }
}

impl AsRef<[u8]> for MacAddress {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for MacAddress {
    /// Lowercase hex pairs separated by colons, the form Wireshark, tcpdump
    /// and `ip link` print, so output can be compared with theirs verbatim.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for MacAddress {
    // The derived form would print six decimal numbers, useless next to a
    // capture.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacAddress({self})")
    }
}

/// Why a string is not a MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseMacError {
    /// The text is not the 17 characters of six hex pairs and five separators.
    Length {
        /// Length of the text, in bytes.
        found: usize,
    },
    /// A character that should be a hex digit is not one.
    Digit {
        /// Byte offset of the character in the text.
        offset: usize,
    },
    /// A separator is neither `:` nor `-`, or differs from the first one.
    Separator {
        /// Byte offset of the separator in the text.
        offset: usize,
    },
}

impl fmt::Display for ParseMacError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseMacError::Length { found } => write!(
                f,
                "MAC address must be 17 characters (aa:bb:cc:dd:ee:ff), got {found}"
            ),
            ParseMacError::Digit { offset } => {
                write!(f, "MAC address has a non-hex digit at offset {offset}")
            }
            ParseMacError::Separator { offset } => write!(
                f,
                "MAC address separator at offset {offset} must be ':' or '-', used consistently"
            ),
        }
    }
}

impl core::error::Error for ParseMacError {}

/// Value of one ASCII hex digit, either case.
const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl FromStr for MacAddress {
    type Err = ParseMacError;

    /// Accepts six two-digit hex pairs in either case, separated all by `:`
    /// (Linux, Wireshark) or all by `-` (Windows, IEEE registry listings).
    /// Shortened forms such as `2:0:5e:...` are refused: they are rare in
    /// practice and accepting them would make typos parse.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.as_bytes();
        if text.len() != 17 {
            return Err(ParseMacError::Length { found: text.len() });
        }
        let separator = match text.get(2) {
            Some(&c @ (b':' | b'-')) => c,
            _ => return Err(ParseMacError::Separator { offset: 2 }),
        };
        let mut octets = [0u8; 6];
        for ((octet, group), at) in octets.iter_mut().zip(text.chunks(3)).zip((0..).step_by(3)) {
            let (hi, lo, rest) = match group {
                [hi, lo, rest @ ..] => (*hi, *lo, rest),
                _ => return Err(ParseMacError::Length { found: text.len() }),
            };
            let hi = hex_value(hi).ok_or(ParseMacError::Digit { offset: at })?;
            let lo = hex_value(lo).ok_or(ParseMacError::Digit { offset: at + 1 })?;
            match rest {
                [] => {}
                [c] if *c == separator => {}
                _ => return Err(ParseMacError::Separator { offset: at + 2 }),
            }
            *octet = (hi << 4) | lo;
        }
        Ok(MacAddress(octets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;

    #[test]
    fn classification() {
        let veth = MacAddress([0x96, 0xd2, 0xff, 0x98, 0x70, 0x87]);
        assert!(veth.is_unicast() && veth.is_local() && !veth.is_broadcast());
        let vendor = MacAddress([0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c]);
        assert!(vendor.is_unicast() && vendor.is_universal());
        let ipv4_mcast = MacAddress([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);
        assert!(ipv4_mcast.is_multicast() && !ipv4_mcast.is_broadcast());
        assert!(MacAddress::BROADCAST.is_broadcast() && MacAddress::BROADCAST.is_multicast());
        assert!(MacAddress::UNSPECIFIED.is_unspecified() && MacAddress::UNSPECIFIED.is_unicast());
    }

    #[test]
    fn display_is_lowercase_colon_separated() {
        let mac = MacAddress([0x7e, 0xc6, 0x81, 0x95, 0x17, 0xdc]);
        assert_eq!(mac.to_string(), "7e:c6:81:95:17:dc");
        assert_eq!(std::format!("{mac:?}"), "MacAddress(7e:c6:81:95:17:dc)");
        assert_eq!(MacAddress::BROADCAST.to_string(), "ff:ff:ff:ff:ff:ff");
    }

    #[test]
    fn parses_both_separators_and_cases() {
        let want = MacAddress([0x7e, 0xc6, 0x81, 0x95, 0x17, 0xdc]);
        assert_eq!("7e:c6:81:95:17:dc".parse(), Ok(want));
        assert_eq!("7E-C6-81-95-17-DC".parse(), Ok(want));
    }

    #[test]
    fn parse_errors_name_the_offset() {
        let e = |s: &str| s.parse::<MacAddress>().unwrap_err();
        assert_eq!(e(""), ParseMacError::Length { found: 0 });
        assert_eq!(e("7e:c6:81:95:17:dc:"), ParseMacError::Length { found: 18 });
        assert_eq!(e("7e:c6:81:95:17:dg"), ParseMacError::Digit { offset: 16 });
        assert_eq!(e("x7:c6:81:95:17:dc"), ParseMacError::Digit { offset: 0 });
        assert_eq!(
            e("7e:c6-81:95:17:dc"),
            ParseMacError::Separator { offset: 5 }
        );
        assert_eq!(
            e("7e.c6.81.95.17.dc"),
            ParseMacError::Separator { offset: 2 }
        );
        // Multi-byte UTF-8 of the right byte length is refused, not sliced.
        assert_eq!(e("7e:c6:81:95:17:é"), ParseMacError::Digit { offset: 15 });
        assert!(e("7e:c6:81:95:17:dg").to_string().contains("offset 16"));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(octets in any::<[u8; 6]>()) {
            let mac = MacAddress(octets);
            prop_assert_eq!(mac.to_string().parse::<MacAddress>(), Ok(mac));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<MacAddress>();
        }
    }
}
