//! Parse and emit errors.

use core::fmt;

use strata_core::error::{BufferTooSmall, Layer, LayerError, Truncated};
use strata_ethernet::EtherType;

use crate::HardwareType;

/// Why bytes are not an Ethernet/IPv4 ARP packet.
///
/// The four format fields are checked before the length, so a packet for
/// another link or protocol is reported as such even when it is also
/// shorter than 28 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than the 8 fixed bytes, or than the 28 bytes an
    /// Ethernet/IPv4 packet takes.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// Hardware type (offset 0) is neither Ethernet (1) nor IEEE 802 (6).
    UnsupportedHardwareType {
        /// The value found.
        found: HardwareType,
    },
    /// Protocol type (offset 2) is not IPv4 (`0x0800`).
    UnsupportedProtocolType {
        /// The value found.
        found: EtherType,
    },
    /// Hardware address length (offset 4) is not 6.
    BadHardwareLength {
        /// The value found.
        found: u8,
    },
    /// Protocol address length (offset 5) is not 4.
    BadProtocolLength {
        /// The value found.
        found: u8,
    },
}

impl ParseError {
    /// Offset within the packet of the field that was wrong, `None` for a
    /// truncation.
    #[must_use]
    pub const fn offset(self) -> Option<usize> {
        match self {
            ParseError::Truncated { .. } => None,
            ParseError::UnsupportedHardwareType { .. } => Some(0),
            ParseError::UnsupportedProtocolType { .. } => Some(2),
            ParseError::BadHardwareLength { .. } => Some(4),
            ParseError::BadProtocolLength { .. } => Some(5),
        }
    }

    /// The shortfall as the shared [`Truncated`] shape, if that is the error.
    #[must_use]
    pub const fn truncated(self) -> Option<Truncated> {
        match self {
            ParseError::Truncated { needed, available } => Some(Truncated { needed, available }),
            _ => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "ARP packet truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::UnsupportedHardwareType { found } => write!(
                f,
                "ARP hardware type {} at offset 0 is not Ethernet (1)",
                found.0
            ),
            ParseError::UnsupportedProtocolType { found } => write!(
                f,
                "ARP protocol type {:#06x} at offset 2 is not IPv4 (0x0800)",
                found.0
            ),
            ParseError::BadHardwareLength { found } => write!(
                f,
                "ARP hardware address length {found} at offset 4 is not 6"
            ),
            ParseError::BadProtocolLength { found } => write!(
                f,
                "ARP protocol address length {found} at offset 5 is not 4"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Arp
    }
}

/// Why a [`Repr`](crate::Repr) could not be written. Every `Repr` value is
/// valid, so only room can be short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The buffer (or the headroom of a
    /// [`PacketBuf`](strata_core::buffer::PacketBuf)) is shorter than 28
    /// bytes.
    BufferTooSmall {
        /// Bytes needed (28).
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small for the ARP packet: needed {needed} bytes, have {available}"
            ),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Arp
    }
}

impl From<BufferTooSmall> for EmitError {
    fn from(e: BufferTooSmall) -> Self {
        EmitError::BufferTooSmall {
            needed: e.needed,
            available: e.available,
        }
    }
}
