//! Numbered ICMPv4 fields: message types and the codes of the typed messages.

use core::fmt;

/// The ICMP type field (RFC 792 and IANA "ICMP Type Numbers").
///
/// An open enum: unknown types are preserved.
///
/// ```
/// use strata_ipv4::icmpv4::IcmpType;
/// assert_eq!(IcmpType(8), IcmpType::ECHO_REQUEST);
/// assert!(IcmpType::TIME_EXCEEDED.is_error());
/// assert_eq!(IcmpType(3).name(), Some("Destination Unreachable"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct IcmpType(pub u8);

impl IcmpType {
    /// Echo Reply.
    pub const ECHO_REPLY: IcmpType = IcmpType(0);
    /// Destination Unreachable.
    pub const DESTINATION_UNREACHABLE: IcmpType = IcmpType(3);
    /// Source Quench (deprecated by RFC 6633).
    pub const SOURCE_QUENCH: IcmpType = IcmpType(4);
    /// Redirect.
    pub const REDIRECT: IcmpType = IcmpType(5);
    /// Echo Request.
    pub const ECHO_REQUEST: IcmpType = IcmpType(8);
    /// Router Advertisement (RFC 1256).
    pub const ROUTER_ADVERTISEMENT: IcmpType = IcmpType(9);
    /// Router Solicitation (RFC 1256).
    pub const ROUTER_SOLICITATION: IcmpType = IcmpType(10);
    /// Time Exceeded.
    pub const TIME_EXCEEDED: IcmpType = IcmpType(11);
    /// Parameter Problem.
    pub const PARAMETER_PROBLEM: IcmpType = IcmpType(12);
    /// Timestamp.
    pub const TIMESTAMP: IcmpType = IcmpType(13);
    /// Timestamp Reply.
    pub const TIMESTAMP_REPLY: IcmpType = IcmpType(14);
    /// Information Request (deprecated by RFC 6918).
    pub const INFORMATION_REQUEST: IcmpType = IcmpType(15);
    /// Information Reply (deprecated by RFC 6918).
    pub const INFORMATION_REPLY: IcmpType = IcmpType(16);
    /// Address Mask Request (RFC 950, deprecated by RFC 6918).
    pub const ADDRESS_MASK_REQUEST: IcmpType = IcmpType(17);
    /// Address Mask Reply (RFC 950, deprecated by RFC 6918).
    pub const ADDRESS_MASK_REPLY: IcmpType = IcmpType(18);
    /// Extended Echo Request (RFC 8335).
    pub const EXTENDED_ECHO_REQUEST: IcmpType = IcmpType(42);
    /// Extended Echo Reply (RFC 8335).
    pub const EXTENDED_ECHO_REPLY: IcmpType = IcmpType(43);

    /// The type's name, if this crate knows it.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Echo Reply",
            3 => "Destination Unreachable",
            4 => "Source Quench",
            5 => "Redirect",
            8 => "Echo Request",
            9 => "Router Advertisement",
            10 => "Router Solicitation",
            11 => "Time Exceeded",
            12 => "Parameter Problem",
            13 => "Timestamp",
            14 => "Timestamp Reply",
            15 => "Information Request",
            16 => "Information Reply",
            17 => "Address Mask Request",
            18 => "Address Mask Reply",
            42 => "Extended Echo Request",
            43 => "Extended Echo Reply",
            _ => return None,
        })
    }

    /// Whether the message reports an error and so quotes the datagram that
    /// caused it (RFC 792, RFC 1812 §4.3.2.3).
    #[must_use]
    pub const fn is_error(self) -> bool {
        matches!(self.0, 3 | 4 | 5 | 11 | 12)
    }
}

impl From<u8> for IcmpType {
    fn from(value: u8) -> Self {
        IcmpType(value)
    }
}

impl fmt::Display for IcmpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "type {}", self.0),
        }
    }
}

/// The code of a Destination Unreachable message (RFC 792, RFC 1122, RFC
/// 1812).
///
/// An open enum: unknown codes are preserved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct UnreachableCode(pub u8);

impl UnreachableCode {
    /// Network unreachable.
    pub const NET: UnreachableCode = UnreachableCode(0);
    /// Host unreachable.
    pub const HOST: UnreachableCode = UnreachableCode(1);
    /// Protocol unreachable.
    pub const PROTOCOL: UnreachableCode = UnreachableCode(2);
    /// Port unreachable.
    pub const PORT: UnreachableCode = UnreachableCode(3);
    /// Fragmentation needed and Don't Fragment set; the message carries the
    /// next-hop MTU (RFC 1191).
    pub const FRAGMENTATION_NEEDED: UnreachableCode = UnreachableCode(4);
    /// Source route failed.
    pub const SOURCE_ROUTE_FAILED: UnreachableCode = UnreachableCode(5);
    /// Destination network unknown.
    pub const NET_UNKNOWN: UnreachableCode = UnreachableCode(6);
    /// Destination host unknown.
    pub const HOST_UNKNOWN: UnreachableCode = UnreachableCode(7);
    /// Source host isolated.
    pub const SOURCE_HOST_ISOLATED: UnreachableCode = UnreachableCode(8);
    /// Communication with the destination network administratively
    /// prohibited.
    pub const NET_PROHIBITED: UnreachableCode = UnreachableCode(9);
    /// Communication with the destination host administratively prohibited.
    pub const HOST_PROHIBITED: UnreachableCode = UnreachableCode(10);
    /// Network unreachable for the type of service.
    pub const NET_TOS: UnreachableCode = UnreachableCode(11);
    /// Host unreachable for the type of service.
    pub const HOST_TOS: UnreachableCode = UnreachableCode(12);
    /// Communication administratively prohibited (RFC 1812).
    pub const ADMIN_PROHIBITED: UnreachableCode = UnreachableCode(13);
    /// Host precedence violation (RFC 1812).
    pub const HOST_PRECEDENCE_VIOLATION: UnreachableCode = UnreachableCode(14);
    /// Precedence cutoff in effect (RFC 1812).
    pub const PRECEDENCE_CUTOFF: UnreachableCode = UnreachableCode(15);

    /// The code's name, if this crate knows it.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Network unreachable",
            1 => "Host unreachable",
            2 => "Protocol unreachable",
            3 => "Port unreachable",
            4 => "Fragmentation needed",
            5 => "Source route failed",
            6 => "Destination network unknown",
            7 => "Destination host unknown",
            8 => "Source host isolated",
            9 => "Network administratively prohibited",
            10 => "Host administratively prohibited",
            11 => "Network unreachable for TOS",
            12 => "Host unreachable for TOS",
            13 => "Communication administratively prohibited",
            14 => "Host precedence violation",
            15 => "Precedence cutoff in effect",
            _ => return None,
        })
    }
}

impl fmt::Display for UnreachableCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "code {}", self.0),
        }
    }
}

/// The code of a Time Exceeded message. RFC 792 defines only these two;
/// other codes decode as [`Repr::Other`](crate::icmpv4::Repr::Other).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[repr(u8)]
pub enum TimeExceededCode {
    /// Time to live exceeded in transit (traceroute's answer).
    TtlExceeded = 0,
    /// Fragment reassembly time exceeded.
    FragmentReassembly = 1,
}

impl TimeExceededCode {
    /// The code for `code`, if it is one of the two defined.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<TimeExceededCode> {
        match code {
            0 => Some(TimeExceededCode::TtlExceeded),
            1 => Some(TimeExceededCode::FragmentReassembly),
            _ => None,
        }
    }

    /// The code byte.
    #[must_use]
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The code's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            TimeExceededCode::TtlExceeded => "Time to live exceeded in transit",
            TimeExceededCode::FragmentReassembly => "Fragment reassembly time exceeded",
        }
    }
}

impl fmt::Display for TimeExceededCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
