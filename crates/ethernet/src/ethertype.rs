//! The EtherType field: which protocol a frame carries.

use core::fmt;

/// An EtherType, kept as the raw 16-bit value so unknown protocols survive a
/// parse and re-emit unchanged.
///
/// Values below `0x0600` are not EtherTypes at all: in an IEEE 802.3 frame
/// the same two bytes hold the payload length (up to 1500; 1501–1535 are
/// undefined). [`EtherType::is_length_field`] tells the two apart.
///
/// ```
/// use strata_ethernet::EtherType;
/// assert_eq!(EtherType::from(0x0806), EtherType::ARP);
/// assert_eq!(EtherType::ARP.name(), Some("ARP"));
/// assert_eq!(EtherType(0x1234).to_string(), "0x1234");
/// assert!(EtherType(46).is_length_field());
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EtherType(pub u16);

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for EtherType {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u16::size_hint(depth)
    }
}

impl EtherType {
    /// Internet Protocol version 4 (RFC 894).
    pub const IPV4: EtherType = EtherType(0x0800);
    /// Address Resolution Protocol (RFC 826).
    pub const ARP: EtherType = EtherType(0x0806);
    /// Wake-on-LAN magic packet.
    pub const WAKE_ON_LAN: EtherType = EtherType(0x0842);
    /// Reverse ARP (RFC 903).
    pub const RARP: EtherType = EtherType(0x8035);
    /// IEEE 802.1Q customer VLAN tag (C-tag) follows.
    pub const VLAN: EtherType = EtherType(0x8100);
    /// Internet Protocol version 6 (RFC 2464).
    pub const IPV6: EtherType = EtherType(0x86dd);
    /// MPLS unicast (RFC 3032).
    pub const MPLS: EtherType = EtherType(0x8847);
    /// MPLS multicast (RFC 5332).
    pub const MPLS_MULTICAST: EtherType = EtherType(0x8848);
    /// PPP over Ethernet discovery stage (RFC 2516).
    pub const PPPOE_DISCOVERY: EtherType = EtherType(0x8863);
    /// PPP over Ethernet session stage (RFC 2516).
    pub const PPPOE_SESSION: EtherType = EtherType(0x8864);
    /// IEEE 802.1X port authentication (EAP over LAN).
    pub const EAPOL: EtherType = EtherType(0x888e);
    /// IEEE 802.1ad service VLAN tag (S-tag, "QinQ") follows.
    pub const QINQ: EtherType = EtherType(0x88a8);
    /// IEEE 802.1AB Link Layer Discovery Protocol.
    pub const LLDP: EtherType = EtherType(0x88cc);
    /// IEEE 802.1AE MAC security.
    pub const MACSEC: EtherType = EtherType(0x88e5);
    /// IEEE 1588 Precision Time Protocol over Ethernet.
    pub const PTP: EtherType = EtherType(0x88f7);

    /// The smallest value that is an EtherType rather than an 802.3 length.
    pub const MIN_ETHERTYPE: u16 = 0x0600;

    /// Short protocol name for the values above, `None` otherwise (including
    /// length fields).
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::IPV4 => "IPv4",
            Self::ARP => "ARP",
            Self::WAKE_ON_LAN => "Wake-on-LAN",
            Self::RARP => "RARP",
            Self::VLAN => "802.1Q VLAN",
            Self::IPV6 => "IPv6",
            Self::MPLS => "MPLS",
            Self::MPLS_MULTICAST => "MPLS multicast",
            Self::PPPOE_DISCOVERY => "PPPoE discovery",
            Self::PPPOE_SESSION => "PPPoE session",
            Self::EAPOL => "EAPOL",
            Self::QINQ => "802.1ad QinQ",
            Self::LLDP => "LLDP",
            Self::MACSEC => "MACsec",
            Self::PTP => "PTP",
            _ => return None,
        })
    }

    /// The value is an IEEE 802.3 length (or the undefined range just above
    /// it), not a protocol number: the payload is LLC (e.g. spanning tree),
    /// which no strata layer handles.
    #[inline]
    #[must_use]
    pub const fn is_length_field(self) -> bool {
        self.0 < Self::MIN_ETHERTYPE
    }

    /// A VLAN tag TPID that [`Frame::parse`](crate::Frame::parse) consumes
    /// as a tag rather than reporting as the frame's protocol.
    #[inline]
    #[must_use]
    pub const fn is_vlan_tpid(self) -> bool {
        self.0 == Self::VLAN.0 || self.0 == Self::QINQ.0
    }
}

impl From<u16> for EtherType {
    #[inline]
    fn from(value: u16) -> Self {
        EtherType(value)
    }
}

impl From<EtherType> for u16 {
    #[inline]
    fn from(value: EtherType) -> Self {
        value.0
    }
}

impl fmt::Display for EtherType {
    /// The protocol name when known, else the value in hex as captures show
    /// it (`0x88b5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{:#06x}", self.0),
        }
    }
}

impl fmt::Debug for EtherType {
    // Hex, because every table of EtherTypes is in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "EtherType({:#06x} {name})", self.0),
            None => write!(f, "EtherType({:#06x})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{format, string::ToString};

    #[test]
    fn names_and_formatting() {
        assert_eq!(EtherType::IPV4.name(), Some("IPv4"));
        assert_eq!(EtherType::IPV6.to_string(), "IPv6");
        assert_eq!(EtherType(0x88b5).name(), None);
        assert_eq!(EtherType(0x88b5).to_string(), "0x88b5");
        assert_eq!(format!("{:?}", EtherType::ARP), "EtherType(0x0806 ARP)");
        assert_eq!(format!("{:?}", EtherType(0x26)), "EtherType(0x0026)");
    }

    #[test]
    fn length_fields() {
        assert!(EtherType(0).is_length_field());
        assert!(EtherType(1500).is_length_field());
        assert!(EtherType(0x05ff).is_length_field());
        assert!(!EtherType(0x0600).is_length_field());
        assert!(!EtherType::IPV4.is_length_field());
        assert_eq!(EtherType(0x0026).name(), None);
    }

    #[test]
    fn conversions() {
        assert_eq!(u16::from(EtherType::QINQ), 0x88a8);
        assert_eq!(EtherType::from(0x8100), EtherType::VLAN);
        assert!(EtherType::VLAN.is_vlan_tpid() && EtherType::QINQ.is_vlan_tpid());
        assert!(!EtherType::IPV4.is_vlan_tpid());
    }
}
