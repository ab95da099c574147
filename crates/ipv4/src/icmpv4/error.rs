//! What can go wrong parsing or building an ICMPv4 message.

use core::fmt;

use strata_core::error::{BufferTooSmall, Layer, LayerError};

/// Why bytes were not accepted as an ICMPv4 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Shorter than the 8-byte ICMP header.
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// The checksum over the whole message does not verify.
    BadChecksum {
        /// The checksum field as received.
        found: u16,
        /// The checksum the message should carry.
        computed: u16,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "ICMP message truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::BadChecksum { found, computed } => write!(
                f,
                "ICMP checksum is {found:#06x}, should be {computed:#06x}"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Icmpv4
    }
}

/// Why an ICMPv4 [`Repr`](super::Repr) could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The buffer cannot hold the 8-byte header.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "ICMP buffer too small: needed {needed} bytes, have {available}"
            ),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Icmpv4
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
