//! What can go wrong parsing or building an IPv4 header.

use core::fmt;

use strata_core::error::{BufferTooSmall, Layer, LayerError, Truncated};

use crate::options::OptionError;

/// Why bytes were not accepted as an IPv4 packet.
///
/// Offsets count from the first byte of the IPv4 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The buffer ends before the fixed header, the header the IHL field
    /// announces, or the datagram the total length field announces.
    Truncated {
        /// Bytes the packet needed.
        needed: usize,
        /// Bytes the buffer had.
        available: usize,
    },
    /// The version field is not 4.
    BadVersion {
        /// The version found.
        found: u8,
    },
    /// The IHL field announces a header shorter than the fixed 20 bytes.
    BadHeaderLength {
        /// The header length the IHL field gives, in bytes.
        header_len: usize,
    },
    /// The total length field is shorter than the header itself.
    BadTotalLength {
        /// The total length field.
        total_len: u16,
        /// The header length from the IHL field, in bytes.
        header_len: usize,
    },
    /// The header checksum does not verify.
    BadChecksum {
        /// The checksum field as received.
        found: u16,
        /// The checksum the header should carry.
        computed: u16,
    },
    /// An option is malformed; its offset counts from the IPv4 header start.
    BadOption(OptionError),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "IPv4 packet truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::BadVersion { found } => {
                write!(f, "IPv4 version field is {found}, expected 4")
            }
            ParseError::BadHeaderLength { header_len } => write!(
                f,
                "IPv4 header length field gives {header_len} bytes, less than the minimum 20"
            ),
            ParseError::BadTotalLength {
                total_len,
                header_len,
            } => write!(
                f,
                "IPv4 total length field {total_len} is shorter than the {header_len}-byte header"
            ),
            ParseError::BadChecksum { found, computed } => write!(
                f,
                "IPv4 header checksum is {found:#06x}, should be {computed:#06x}"
            ),
            ParseError::BadOption(e) => write!(f, "IPv4 {e}"),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Ipv4
    }
}

impl From<Truncated> for ParseError {
    fn from(t: Truncated) -> Self {
        ParseError::Truncated {
            needed: t.needed,
            available: t.available,
        }
    }
}

impl From<OptionError> for ParseError {
    fn from(e: OptionError) -> Self {
        ParseError::BadOption(e)
    }
}

/// Why a [`Repr`](crate::Repr) could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The caller's buffer cannot hold the header and payload.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The DSCP does not fit its 6 bits.
    BadDscp {
        /// The value given.
        dscp: u8,
    },
    /// The fragment offset does not fit its 13 bits (it counts 8-byte units).
    BadFragmentOffset {
        /// The value given.
        fragment_offset: u16,
    },
    /// Header plus payload exceed the 65 535 bytes the total length field can
    /// express.
    TooLong {
        /// Header plus payload, in bytes.
        total_len: usize,
    },
    /// [`Repr::prepend`](crate::Repr::prepend) found contents whose length
    /// is not the repr's payload length.
    PayloadLengthMismatch {
        /// `payload_len` in the repr.
        expected: usize,
        /// Bytes in the packet buffer.
        found: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "IPv4 buffer too small: needed {needed} bytes, have {available}"
            ),
            EmitError::BadDscp { dscp } => {
                write!(f, "IPv4 DSCP {dscp} does not fit in 6 bits")
            }
            EmitError::BadFragmentOffset { fragment_offset } => write!(
                f,
                "IPv4 fragment offset {fragment_offset} does not fit in 13 bits"
            ),
            EmitError::TooLong { total_len } => write!(
                f,
                "IPv4 total length {total_len} exceeds the 65535-byte maximum"
            ),
            EmitError::PayloadLengthMismatch { expected, found } => write!(
                f,
                "IPv4 payload length is {expected} bytes but the buffer holds {found}"
            ),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Ipv4
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
