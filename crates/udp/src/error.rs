//! What can go wrong reading or writing a UDP datagram.

use core::fmt;

use strata_core::error::{Layer, LayerError};

/// Why bytes are not a UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the 8-byte header.
    Truncated {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// The length field is below the header size or claims more bytes than
    /// were received.
    BadLength {
        /// The length field.
        length: u16,
        /// Bytes that were there.
        available: usize,
    },
    /// The checksum is present (non-zero) and does not match.
    BadChecksum {
        /// The checksum field.
        found: u16,
        /// What the field should hold for these bytes and addresses.
        computed: u16,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "UDP header truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::BadLength { length, available } => {
                if usize::from(length) < crate::HEADER_LEN {
                    write!(
                        f,
                        "UDP length field {length} is shorter than the 8-byte header"
                    )
                } else {
                    write!(
                        f,
                        "UDP length field {length} exceeds the {available} bytes received"
                    )
                }
            }
            ParseError::BadChecksum { found, computed } => write!(
                f,
                "UDP checksum 0x{found:04x} is wrong (computed 0x{computed:04x})"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Udp
    }
}

/// Why a [`Repr`](crate::Repr) could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The buffer cannot hold the header and the payload.
    BufferTooSmall {
        /// Bytes the datagram needs.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// Header plus payload do not fit the 16-bit length field.
    PayloadTooLong {
        /// The payload length asked for.
        payload_len: usize,
    },
    /// When prepending, the packet's current contents (the payload) differ
    /// in length from the repr's `payload_len`.
    PayloadLengthMismatch {
        /// The repr's `payload_len`.
        expected: usize,
        /// Bytes in the packet.
        actual: usize,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "UDP datagram needs {needed} bytes, buffer has {available}"
            ),
            EmitError::PayloadTooLong { payload_len } => write!(
                f,
                "UDP payload of {payload_len} bytes does not fit the 16-bit length field"
            ),
            EmitError::PayloadLengthMismatch { expected, actual } => write!(
                f,
                "UDP payload length is {expected} bytes but the packet holds {actual}"
            ),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Udp
    }
}
