//! Numbered fields of the IPv4 header: the protocol number and ECN.

use core::fmt;

/// The IPv4 protocol field (IANA "Assigned Internet Protocol Numbers").
///
/// An open enum: every value is representable, so a packet carrying a
/// protocol this crate has no name for is preserved, not rejected.
///
/// ```
/// use strata_ipv4::Protocol;
/// assert_eq!(Protocol(6), Protocol::TCP);
/// assert_eq!(Protocol::UDP.name(), Some("UDP"));
/// assert_eq!(Protocol(253).name(), None);
/// assert_eq!(format!("{}", Protocol(253)), "253");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Protocol(pub u8);

impl Protocol {
    /// IPv6 Hop-by-Hop Option (RFC 8200).
    pub const HOPOPT: Protocol = Protocol(0);
    /// Internet Control Message Protocol (RFC 792).
    pub const ICMP: Protocol = Protocol(1);
    /// Internet Group Management Protocol (RFC 1112, 2236, 3376).
    pub const IGMP: Protocol = Protocol(2);
    /// IPv4 encapsulated in IPv4 (RFC 2003).
    pub const IPIP: Protocol = Protocol(4);
    /// Transmission Control Protocol (RFC 9293).
    pub const TCP: Protocol = Protocol(6);
    /// User Datagram Protocol (RFC 768).
    pub const UDP: Protocol = Protocol(17);
    /// IPv6 encapsulated in IPv4 (RFC 2473, 4213).
    pub const IPV6: Protocol = Protocol(41);
    /// Routing header for IPv6.
    pub const IPV6_ROUTE: Protocol = Protocol(43);
    /// Fragment header for IPv6.
    pub const IPV6_FRAG: Protocol = Protocol(44);
    /// Generic Routing Encapsulation (RFC 2784).
    pub const GRE: Protocol = Protocol(47);
    /// Encapsulating Security Payload (RFC 4303).
    pub const ESP: Protocol = Protocol(50);
    /// Authentication Header (RFC 4302).
    pub const AH: Protocol = Protocol(51);
    /// ICMP for IPv6 (RFC 4443).
    pub const ICMPV6: Protocol = Protocol(58);
    /// No next header for IPv6.
    pub const IPV6_NONXT: Protocol = Protocol(59);
    /// Destination options for IPv6.
    pub const IPV6_OPTS: Protocol = Protocol(60);
    /// Open Shortest Path First (RFC 2328).
    pub const OSPF: Protocol = Protocol(89);
    /// Protocol Independent Multicast (RFC 7761).
    pub const PIM: Protocol = Protocol(103);
    /// Virtual Router Redundancy Protocol (RFC 5798).
    pub const VRRP: Protocol = Protocol(112);
    /// Layer Two Tunneling Protocol v3 (RFC 3931).
    pub const L2TP: Protocol = Protocol(115);
    /// Stream Control Transmission Protocol (RFC 9260).
    pub const SCTP: Protocol = Protocol(132);
    /// UDP-Lite (RFC 3828).
    pub const UDPLITE: Protocol = Protocol(136);
    /// MPLS in IP (RFC 4023).
    pub const MPLS_IN_IP: Protocol = Protocol(137);
    /// Ethernet in IP (RFC 8986 uses it for SRv6 L2 payloads).
    pub const ETHERNET: Protocol = Protocol(143);

    /// The IANA keyword for the protocol, if this crate knows it.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "HOPOPT",
            1 => "ICMP",
            2 => "IGMP",
            4 => "IPv4",
            6 => "TCP",
            17 => "UDP",
            41 => "IPv6",
            43 => "IPv6-Route",
            44 => "IPv6-Frag",
            47 => "GRE",
            50 => "ESP",
            51 => "AH",
            58 => "IPv6-ICMP",
            59 => "IPv6-NoNxt",
            60 => "IPv6-Opts",
            89 => "OSPF",
            103 => "PIM",
            112 => "VRRP",
            115 => "L2TP",
            132 => "SCTP",
            136 => "UDPLite",
            137 => "MPLS-in-IP",
            143 => "Ethernet",
            _ => return None,
        })
    }
}

impl From<u8> for Protocol {
    #[inline]
    fn from(value: u8) -> Self {
        Protocol(value)
    }
}

impl From<Protocol> for u8 {
    #[inline]
    fn from(value: Protocol) -> Self {
        value.0
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Explicit Congestion Notification, the low two bits of the old TOS byte
/// (RFC 3168 §5).
///
/// All four code points are defined, so this is a closed enum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[repr(u8)]
pub enum Ecn {
    /// Not ECN-capable transport.
    #[default]
    NotEct = 0b00,
    /// ECN-capable transport, codepoint ECT(1).
    Ect1 = 0b01,
    /// ECN-capable transport, codepoint ECT(0).
    Ect0 = 0b10,
    /// Congestion experienced.
    Ce = 0b11,
}

impl Ecn {
    /// The code point in the low two bits of `bits`; higher bits are ignored.
    #[inline]
    #[must_use]
    pub const fn from_bits(bits: u8) -> Ecn {
        match bits & 0b11 {
            0b00 => Ecn::NotEct,
            0b01 => Ecn::Ect1,
            0b10 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }

    /// The two-bit code point.
    #[inline]
    #[must_use]
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// The RFC 3168 name of the code point.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Ecn::NotEct => "Not-ECT",
            Ecn::Ect1 => "ECT(1)",
            Ecn::Ect0 => "ECT(0)",
            Ecn::Ce => "CE",
        }
    }
}

impl fmt::Display for Ecn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
