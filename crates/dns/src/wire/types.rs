//! Numbered fields: open enums that keep unknown values, and the header flags.

use core::fmt;

/// Declares an open enum: a newtype over the wire integer with associated
/// constants and a `name()` for the known values.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident($int:ty) {
            $( $(#[$cmeta:meta])* $konst:ident = $value:literal, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
        pub struct $name(pub $int);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name($value); )*

            /// The mnemonic of a known value (as dig and Wireshark print it),
            /// `None` for values this crate has no name for.
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }
        }

        impl From<$int> for $name {
            #[inline]
            fn from(value: $int) -> Self {
                $name(value)
            }
        }

        impl From<$name> for $int {
            #[inline]
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(text) => write!(f, "{}({})", text, self.0),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }
    };
}

open_enum! {
    /// A resource record TYPE or question QTYPE (IANA "Resource Record (RR)
    /// TYPEs"). Unknown values are kept; they print as `TYPE1234`
    /// (RFC 3597).
    RecordType(u16) {
        /// IPv4 host address (RFC 1035).
        A = 1, "A";
        /// Authoritative name server.
        NS = 2, "NS";
        /// Canonical name of an alias.
        CNAME = 5, "CNAME";
        /// Start of a zone of authority.
        SOA = 6, "SOA";
        /// Domain name pointer.
        PTR = 12, "PTR";
        /// Host information.
        HINFO = 13, "HINFO";
        /// Mail exchange.
        MX = 15, "MX";
        /// Text strings.
        TXT = 16, "TXT";
        /// IPv6 host address (RFC 3596).
        AAAA = 28, "AAAA";
        /// Service location (RFC 2782).
        SRV = 33, "SRV";
        /// Naming authority pointer (RFC 3403).
        NAPTR = 35, "NAPTR";
        /// EDNS(0) pseudo-record (RFC 6891).
        OPT = 41, "OPT";
        /// Delegation signer (RFC 4034).
        DS = 43, "DS";
        /// DNSSEC signature (RFC 4034).
        RRSIG = 46, "RRSIG";
        /// Next secure record (RFC 4034).
        NSEC = 47, "NSEC";
        /// DNSSEC public key (RFC 4034).
        DNSKEY = 48, "DNSKEY";
        /// Service binding (RFC 9460).
        SVCB = 64, "SVCB";
        /// HTTPS service binding (RFC 9460).
        HTTPS = 65, "HTTPS";
        /// Incremental zone transfer (question only).
        IXFR = 251, "IXFR";
        /// Full zone transfer (question only).
        AXFR = 252, "AXFR";
        /// Any record type (question only).
        ANY = 255, "ANY";
        /// Certification authority authorization (RFC 8659).
        CAA = 257, "CAA";
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(text) => f.write_str(text),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

open_enum! {
    /// A record CLASS or question QCLASS. On an OPT record the field holds
    /// the requestor's UDP payload size instead (RFC 6891).
    Class(u16) {
        /// The Internet.
        IN = 1, "IN";
        /// Chaos.
        CH = 3, "CH";
        /// Hesiod.
        HS = 4, "HS";
        /// "No class", used by dynamic update (RFC 2136).
        NONE = 254, "NONE";
        /// Any class (question only, and dynamic update).
        ANY = 255, "ANY";
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(text) => f.write_str(text),
            None => write!(f, "CLASS{}", self.0),
        }
    }
}

open_enum! {
    /// The 4-bit OPCODE of the header.
    Opcode(u8) {
        /// A standard query.
        QUERY = 0, "QUERY";
        /// An inverse query (obsolete).
        IQUERY = 1, "IQUERY";
        /// A server status request.
        STATUS = 2, "STATUS";
        /// Zone change notification (RFC 1996).
        NOTIFY = 4, "NOTIFY";
        /// Dynamic update (RFC 2136).
        UPDATE = 5, "UPDATE";
        /// DNS stateful operations (RFC 8490).
        DSO = 6, "DSO";
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(text) => f.write_str(text),
            None => write!(f, "OPCODE{}", self.0),
        }
    }
}

open_enum! {
    /// A response code. The header carries the low 4 bits; with EDNS(0) the
    /// OPT record carries 8 more, making a 12-bit value (RFC 6891 6.1.3).
    Rcode(u16) {
        /// No error.
        NOERROR = 0, "NOERROR";
        /// The server could not interpret the query.
        FORMERR = 1, "FORMERR";
        /// The server failed.
        SERVFAIL = 2, "SERVFAIL";
        /// The name does not exist.
        NXDOMAIN = 3, "NXDOMAIN";
        /// The server does not implement the request.
        NOTIMP = 4, "NOTIMP";
        /// The server refused.
        REFUSED = 5, "REFUSED";
        /// A name exists that should not (RFC 2136).
        YXDOMAIN = 6, "YXDOMAIN";
        /// An RRset exists that should not (RFC 2136).
        YXRRSET = 7, "YXRRSET";
        /// An RRset that should exist does not (RFC 2136).
        NXRRSET = 8, "NXRRSET";
        /// The server is not authoritative for the zone (RFC 2136).
        NOTAUTH = 9, "NOTAUTH";
        /// A name is not within the zone (RFC 2136).
        NOTZONE = 10, "NOTZONE";
        /// DSO-TYPE not implemented (RFC 8490).
        DSOTYPENI = 11, "DSOTYPENI";
        /// Bad OPT version (RFC 6891).
        BADVERS = 16, "BADVERS";
        /// Key not recognized (RFC 8945).
        BADKEY = 17, "BADKEY";
        /// Signature out of time window (RFC 8945).
        BADTIME = 18, "BADTIME";
        /// Bad TKEY mode (RFC 2930).
        BADMODE = 19, "BADMODE";
        /// Duplicate key name (RFC 2930).
        BADNAME = 20, "BADNAME";
        /// Algorithm not supported (RFC 2930).
        BADALG = 21, "BADALG";
        /// Bad truncation (RFC 8945).
        BADTRUNC = 22, "BADTRUNC";
        /// Bad or missing server cookie (RFC 7873).
        BADCOOKIE = 23, "BADCOOKIE";
    }
}

impl Rcode {
    /// The low 4 bits, which go in the header.
    #[inline]
    #[must_use]
    pub const fn low(self) -> u8 {
        (self.0 & 0x0f) as u8
    }

    /// Bits 4..12, which go in the OPT record's extended RCODE field.
    #[inline]
    #[must_use]
    pub const fn high(self) -> u8 {
        ((self.0 >> 4) & 0xff) as u8
    }

    /// Combines the header's 4 bits with the OPT record's 8 bits.
    #[inline]
    #[must_use]
    pub const fn from_parts(low: u8, high: u8) -> Rcode {
        Rcode(((high as u16) << 4) | (low as u16 & 0x0f))
    }
}

impl fmt::Display for Rcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(text) => f.write_str(text),
            None => write!(f, "RCODE{}", self.0),
        }
    }
}

open_enum! {
    /// An EDNS(0) option code (IANA "DNS EDNS0 Option Codes").
    OptionCode(u16) {
        /// Name server identifier (RFC 5001).
        NSID = 3, "NSID";
        /// Client subnet (RFC 7871).
        CLIENT_SUBNET = 8, "CLIENT_SUBNET";
        /// EDNS expire (RFC 7314).
        EXPIRE = 9, "EXPIRE";
        /// DNS cookie (RFC 7873).
        COOKIE = 10, "COOKIE";
        /// TCP keepalive (RFC 7828).
        TCP_KEEPALIVE = 11, "TCP_KEEPALIVE";
        /// Padding (RFC 7830).
        PADDING = 12, "PADDING";
        /// Extended DNS error (RFC 8914).
        EXTENDED_ERROR = 15, "EDE";
    }
}

/// Where a question or record sits in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Section {
    /// The question section.
    Question,
    /// The answer section.
    Answer,
    /// The authority section.
    Authority,
    /// The additional section.
    Additional,
}

impl Section {
    /// All four, in wire order.
    pub const ALL: [Section; 4] = [
        Section::Question,
        Section::Answer,
        Section::Authority,
        Section::Additional,
    ];

    /// Position in wire order (0 for the question section).
    #[inline]
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            Section::Question => 0,
            Section::Answer => 1,
            Section::Authority => 2,
            Section::Additional => 3,
        }
    }

    /// The lower-case name used in messages ("question", "answer", ...).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Section::Question => "question",
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        }
    }

    /// The heading Wireshark gives the section's tree.
    #[must_use]
    pub const fn wireshark_title(self) -> &'static str {
        match self {
            Section::Question => "Queries",
            Section::Answer => "Answers",
            Section::Authority => "Authoritative nameservers",
            Section::Additional => "Additional records",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The 16-bit flags word of the header: QR, OPCODE, AA, TC, RD, RA, Z, AD,
/// CD and the low 4 bits of RCODE.
///
/// Kept as the raw word so reserved bits survive a round trip; the `with_*`
/// methods build a word for a query or a response.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Flags(pub u16);

impl Flags {
    /// QR: the message is a response.
    pub const RESPONSE: u16 = 0x8000;
    /// AA: the answer comes from an authority for the name.
    pub const AUTHORITATIVE: u16 = 0x0400;
    /// TC: the message was truncated to fit the transport.
    pub const TRUNCATED: u16 = 0x0200;
    /// RD: the client asks for recursion.
    pub const RECURSION_DESIRED: u16 = 0x0100;
    /// RA: the server offers recursion.
    pub const RECURSION_AVAILABLE: u16 = 0x0080;
    /// Z: reserved, must be zero.
    pub const Z: u16 = 0x0040;
    /// AD: the data was authenticated by DNSSEC (RFC 4035).
    pub const AUTHENTIC_DATA: u16 = 0x0020;
    /// CD: the client disables DNSSEC checking (RFC 4035).
    pub const CHECKING_DISABLED: u16 = 0x0010;

    /// A standard query asking for recursion, as a stub resolver sends it.
    pub const QUERY: Flags = Flags(Self::RECURSION_DESIRED);

    #[inline]
    const fn bit(self, mask: u16) -> bool {
        self.0 & mask != 0
    }

    #[inline]
    const fn set(self, mask: u16, on: bool) -> Flags {
        if on {
            Flags(self.0 | mask)
        } else {
            Flags(self.0 & !mask)
        }
    }

    /// QR (Wireshark `dns.flags.response`).
    #[inline]
    #[must_use]
    pub const fn response(self) -> bool {
        self.bit(Self::RESPONSE)
    }

    /// OPCODE (`dns.flags.opcode`).
    #[inline]
    #[must_use]
    pub const fn opcode(self) -> Opcode {
        Opcode(((self.0 >> 11) & 0x0f) as u8)
    }

    /// AA (`dns.flags.authoritative`).
    #[inline]
    #[must_use]
    pub const fn authoritative(self) -> bool {
        self.bit(Self::AUTHORITATIVE)
    }

    /// TC (`dns.flags.truncated`).
    #[inline]
    #[must_use]
    pub const fn truncated(self) -> bool {
        self.bit(Self::TRUNCATED)
    }

    /// RD (`dns.flags.recdesired`).
    #[inline]
    #[must_use]
    pub const fn recursion_desired(self) -> bool {
        self.bit(Self::RECURSION_DESIRED)
    }

    /// RA (`dns.flags.recavail`).
    #[inline]
    #[must_use]
    pub const fn recursion_available(self) -> bool {
        self.bit(Self::RECURSION_AVAILABLE)
    }

    /// Z (`dns.flags.z`).
    #[inline]
    #[must_use]
    pub const fn z(self) -> bool {
        self.bit(Self::Z)
    }

    /// AD (`dns.flags.authenticated`).
    #[inline]
    #[must_use]
    pub const fn authentic_data(self) -> bool {
        self.bit(Self::AUTHENTIC_DATA)
    }

    /// CD (`dns.flags.checkdisable`).
    #[inline]
    #[must_use]
    pub const fn checking_disabled(self) -> bool {
        self.bit(Self::CHECKING_DISABLED)
    }

    /// The header's 4 RCODE bits (`dns.flags.rcode`); see
    /// [`Message::rcode`](crate::wire::Message::rcode) for the value
    /// extended by EDNS(0).
    #[inline]
    #[must_use]
    pub const fn rcode(self) -> Rcode {
        Rcode(self.0 & 0x000f)
    }

    /// Sets or clears QR.
    #[inline]
    #[must_use]
    pub const fn with_response(self, on: bool) -> Flags {
        self.set(Self::RESPONSE, on)
    }

    /// Replaces OPCODE (its low 4 bits).
    #[inline]
    #[must_use]
    pub const fn with_opcode(self, opcode: Opcode) -> Flags {
        Flags((self.0 & !0x7800) | (((opcode.0 as u16) & 0x0f) << 11))
    }

    /// Sets or clears AA.
    #[inline]
    #[must_use]
    pub const fn with_authoritative(self, on: bool) -> Flags {
        self.set(Self::AUTHORITATIVE, on)
    }

    /// Sets or clears TC.
    #[inline]
    #[must_use]
    pub const fn with_truncated(self, on: bool) -> Flags {
        self.set(Self::TRUNCATED, on)
    }

    /// Sets or clears RD.
    #[inline]
    #[must_use]
    pub const fn with_recursion_desired(self, on: bool) -> Flags {
        self.set(Self::RECURSION_DESIRED, on)
    }

    /// Sets or clears RA.
    #[inline]
    #[must_use]
    pub const fn with_recursion_available(self, on: bool) -> Flags {
        self.set(Self::RECURSION_AVAILABLE, on)
    }

    /// Sets or clears AD.
    #[inline]
    #[must_use]
    pub const fn with_authentic_data(self, on: bool) -> Flags {
        self.set(Self::AUTHENTIC_DATA, on)
    }

    /// Sets or clears CD.
    #[inline]
    #[must_use]
    pub const fn with_checking_disabled(self, on: bool) -> Flags {
        self.set(Self::CHECKING_DISABLED, on)
    }

    /// Replaces the header's RCODE bits with the low 4 bits of `rcode` (the
    /// rest belongs in the OPT record).
    #[inline]
    #[must_use]
    pub const fn with_rcode(self, rcode: Rcode) -> Flags {
        Flags((self.0 & !0x000f) | (rcode.0 & 0x000f))
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags(0x{:04x}: {}", self.0, self.opcode())?;
        for (mask, text) in [
            (Self::RESPONSE, "qr"),
            (Self::AUTHORITATIVE, "aa"),
            (Self::TRUNCATED, "tc"),
            (Self::RECURSION_DESIRED, "rd"),
            (Self::RECURSION_AVAILABLE, "ra"),
            (Self::Z, "z"),
            (Self::AUTHENTIC_DATA, "ad"),
            (Self::CHECKING_DISABLED, "cd"),
        ] {
            if self.bit(mask) {
                write!(f, " {text}")?;
            }
        }
        write!(f, " {})", self.rcode())
    }
}
