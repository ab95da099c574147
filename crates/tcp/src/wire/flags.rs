//! The control bits.

use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub};

/// The nine TCP control bits: the eight of RFC 9293 plus AE (RFC 3168's
/// former NS bit, now AccECN's), the low bit of the reserved nibble.
///
/// Only the low nine bits are ever set, so a `Flags` always fits the header.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flags(u16);

impl Flags {
    /// No more data from the sender.
    pub const FIN: Flags = Flags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x002);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x004);
    /// Push the data to the application.
    pub const PSH: Flags = Flags(0x008);
    /// The acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x010);
    /// The urgent pointer is significant.
    pub const URG: Flags = Flags(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: Flags = Flags(0x040);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: Flags = Flags(0x080);
    /// Accurate ECN (formerly the ECN nonce sum, NS).
    pub const AE: Flags = Flags(0x100);
    /// No flags.
    pub const EMPTY: Flags = Flags(0);
    /// Every bit a `Flags` can hold.
    pub const ALL: Flags = Flags(0x1ff);

    /// Names in bit order, lowest first, as Wireshark lists them.
    const NAMES: [(Flags, &'static str); 9] = [
        (Flags::FIN, "FIN"),
        (Flags::SYN, "SYN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::ACK, "ACK"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
        (Flags::AE, "AE"),
    ];

    /// The flags among the low nine bits of `bits`; higher bits (the data
    /// offset and reserved bits of the same header word) are dropped.
    #[inline]
    #[must_use]
    pub const fn from_bits_truncate(bits: u16) -> Flags {
        Flags(bits & Flags::ALL.0)
    }

    /// `bits` as flags, or `None` if a bit above the ninth is set.
    #[inline]
    #[must_use]
    pub const fn from_bits(bits: u16) -> Option<Flags> {
        if bits & !Flags::ALL.0 == 0 {
            Some(Flags(bits))
        } else {
            None
        }
    }

    /// The bits as they sit in the low nine bits of header bytes 12–13.
    #[inline]
    #[must_use]
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether every flag in `other` is set.
    #[inline]
    #[must_use]
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any flag in `other` is set.
    #[inline]
    #[must_use]
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no flag is set.
    #[inline]
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Sets the flags in `other`.
    #[inline]
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Clears the flags in `other`.
    #[inline]
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }

    /// Sets or clears the flags in `other`.
    #[inline]
    pub fn set(&mut self, other: Flags, value: bool) {
        if value {
            self.insert(other);
        } else {
            self.remove(other);
        }
    }

    /// The set flags' names, lowest bit first (`"SYN"`, `"ACK"`, ...).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

/// Wireshark's summary style: `[SYN, ACK]`, or `[<None>]` when empty.
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("[<None>]");
        }
        f.write_str("[")?;
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags(0x{:03x} {})", self.0, self)
    }
}

impl BitOr for Flags {
    type Output = Flags;
    #[inline]
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl BitOrAssign for Flags {
    #[inline]
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Flags {
    type Output = Flags;
    #[inline]
    fn bitand(self, rhs: Flags) -> Flags {
        Flags(self.0 & rhs.0)
    }
}

impl BitAndAssign for Flags {
    #[inline]
    fn bitand_assign(&mut self, rhs: Flags) {
        self.0 &= rhs.0;
    }
}

impl Sub for Flags {
    type Output = Flags;
    #[inline]
    fn sub(self, rhs: Flags) -> Flags {
        Flags(self.0 & !rhs.0)
    }
}

impl Not for Flags {
    type Output = Flags;
    /// The complement within the nine flag bits.
    #[inline]
    fn not(self) -> Flags {
        Flags(!self.0 & Flags::ALL.0)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for Flags {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Flags::from_bits_truncate(u.arbitrary()?))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        <u16 as arbitrary::Arbitrary>::size_hint(depth)
    }
}
