//! Open enums for the numbered ARP fields.

use core::fmt;

/// The ARP opcode, kept raw so unknown operations survive a round trip.
///
/// ```
/// use strata_arp::Operation;
/// assert_eq!(Operation::from(2), Operation::REPLY);
/// assert_eq!(Operation::REPLY.name(), Some("reply"));
/// assert_eq!(Operation(77).to_string(), "77");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Operation(pub u16);

impl Operation {
    /// "Who has this protocol address?" (RFC 826).
    pub const REQUEST: Operation = Operation(1);
    /// "This protocol address is at this hardware address" (RFC 826).
    pub const REPLY: Operation = Operation(2);
    /// RARP: "which protocol address is mine?" (RFC 903).
    pub const RARP_REQUEST: Operation = Operation(3);
    /// RARP answer (RFC 903).
    pub const RARP_REPLY: Operation = Operation(4);
    /// Inverse ARP request, hardware to protocol address (RFC 2390).
    pub const INARP_REQUEST: Operation = Operation(8);
    /// Inverse ARP reply (RFC 2390).
    pub const INARP_REPLY: Operation = Operation(9);
    /// ARP negative acknowledgement (RFC 1577, ATM).
    pub const NAK: Operation = Operation(10);

    /// The name Wireshark gives the opcode, `None` for unassigned values.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::REQUEST => "request",
            Self::REPLY => "reply",
            Self::RARP_REQUEST => "reverse request",
            Self::RARP_REPLY => "reverse reply",
            Self::INARP_REQUEST => "inverse request",
            Self::INARP_REPLY => "inverse reply",
            Self::NAK => "NAK",
            _ => return None,
        })
    }
}

impl From<u16> for Operation {
    #[inline]
    fn from(value: u16) -> Self {
        Operation(value)
    }
}

impl From<Operation> for u16 {
    #[inline]
    fn from(value: Operation) -> Self {
        value.0
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Operation({} {name})", self.0),
            None => write!(f, "Operation({})", self.0),
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Operation {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u16::size_hint(depth)
    }
}

/// The ARP hardware type (IANA "Hardware Types" registry), kept raw.
///
/// ```
/// use strata_arp::HardwareType;
/// assert_eq!(HardwareType::ETHERNET.name(), Some("Ethernet"));
/// assert_eq!(HardwareType(32).to_string(), "InfiniBand");
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HardwareType(pub u16);

impl HardwareType {
    /// Ethernet (10 Mb and every speed since).
    pub const ETHERNET: HardwareType = HardwareType(1);
    /// IEEE 802 networks; Linux accepts it on Ethernet devices too.
    pub const IEEE802: HardwareType = HardwareType(6);
    /// ARCNET.
    pub const ARCNET: HardwareType = HardwareType(7);
    /// Frame Relay.
    pub const FRAME_RELAY: HardwareType = HardwareType(15);
    /// Asynchronous Transfer Mode.
    pub const ATM: HardwareType = HardwareType(16);
    /// Fibre Channel.
    pub const FIBRE_CHANNEL: HardwareType = HardwareType(18);
    /// IEEE 1394 (FireWire), RFC 2734.
    pub const IEEE1394: HardwareType = HardwareType(24);
    /// InfiniBand, RFC 4391.
    pub const INFINIBAND: HardwareType = HardwareType(32);

    /// Short name for the values above, `None` otherwise.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::ETHERNET => "Ethernet",
            Self::IEEE802 => "IEEE 802",
            Self::ARCNET => "ARCNET",
            Self::FRAME_RELAY => "Frame Relay",
            Self::ATM => "ATM",
            Self::FIBRE_CHANNEL => "Fibre Channel",
            Self::IEEE1394 => "IEEE 1394",
            Self::INFINIBAND => "InfiniBand",
            _ => return None,
        })
    }
}

impl From<u16> for HardwareType {
    #[inline]
    fn from(value: u16) -> Self {
        HardwareType(value)
    }
}

impl From<HardwareType> for u16 {
    #[inline]
    fn from(value: HardwareType) -> Self {
        value.0
    }
}

impl fmt::Display for HardwareType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for HardwareType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "HardwareType({} {name})", self.0),
            None => write!(f, "HardwareType({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{format, string::ToString};

    #[test]
    fn names() {
        assert_eq!(Operation::REQUEST.to_string(), "request");
        assert_eq!(Operation::RARP_REPLY.name(), Some("reverse reply"));
        assert_eq!(Operation(0).name(), None);
        assert_eq!(format!("{:?}", Operation::REPLY), "Operation(2 reply)");
        assert_eq!(format!("{:?}", Operation(300)), "Operation(300)");
        assert_eq!(u16::from(Operation::INARP_REQUEST), 8);
        assert_eq!(HardwareType::from(6), HardwareType::IEEE802);
        assert_eq!(HardwareType(999).to_string(), "999");
        assert_eq!(
            format!("{:?}", HardwareType::ETHERNET),
            "HardwareType(1 Ethernet)"
        );
    }
}
