//! What can go wrong reading or writing a TCP segment.

use core::fmt;

use strata_core::error::{Layer, LayerError};

use super::options::OptionKind;

/// Why bytes are not a TCP segment.
///
/// Option offsets count from the first option byte (header byte 20).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the fixed header, or than the data offset says the
    /// header has.
    Truncated {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// The data offset is below 5 words, smaller than the fixed header.
    BadDataOffset {
        /// The data offset field, in 32-bit words.
        data_offset: u8,
    },
    /// The segment does not fit the pseudo-header's 16-bit length.
    TooLong {
        /// Bytes of segment.
        len: usize,
    },
    /// An option's length byte is below 2 or wrong for its kind (MSS 4,
    /// window scale 3, SACK-permitted 2, SACK 2 + 8n with n in 1..=4,
    /// timestamps 10).
    BadOptionLength {
        /// Where the option starts within the options.
        offset: usize,
        /// The option kind.
        kind: u8,
        /// The length byte.
        len: u8,
    },
    /// An option runs past the end of the options (its length byte is
    /// missing, or it claims more bytes than are left).
    TruncatedOption {
        /// Where the option starts within the options.
        offset: usize,
        /// The option kind.
        kind: u8,
        /// Bytes the option claims (2 if its length byte is missing).
        needed: usize,
        /// Bytes left from the option's start.
        available: usize,
    },
    /// More than the 40 bytes of options a header can carry.
    OptionsTooLong {
        /// Bytes of options.
        len: usize,
    },
    /// The checksum does not match.
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
                "TCP header truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::BadDataOffset { data_offset } => write!(
                f,
                "TCP data offset {data_offset} words is below the minimum of 5"
            ),
            ParseError::TooLong { len } => write!(
                f,
                "TCP segment of {len} bytes exceeds the 65535 the pseudo-header can describe"
            ),
            ParseError::BadOptionLength { offset, kind, len } => write!(
                f,
                "TCP option {} at option offset {offset} has invalid length {len}",
                OptionKind(kind)
            ),
            ParseError::TruncatedOption {
                offset,
                kind,
                needed,
                available,
            } => write!(
                f,
                "TCP option {} at option offset {offset} needs {needed} bytes, only {available} left",
                OptionKind(kind)
            ),
            ParseError::OptionsTooLong { len } => {
                write!(f, "TCP options of {len} bytes exceed the 40-byte maximum")
            }
            ParseError::BadChecksum { found, computed } => write!(
                f,
                "TCP checksum 0x{found:04x} is wrong (computed 0x{computed:04x})"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Tcp
    }
}

/// Why a [`Repr`](super::Repr) or [`Options`](super::Options) could not be
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The buffer cannot hold the header and the payload.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// The options take more than the 40 bytes a header can carry.
    OptionsTooLong {
        /// Bytes the options would take, padded to 4.
        len: usize,
    },
    /// Header plus payload exceed the 65535 bytes the pseudo-header can
    /// describe.
    SegmentTooLong {
        /// Header plus payload, in bytes.
        len: usize,
    },
    /// When prepending, the packet's current contents (the payload) differ
    /// in length from the repr's `payload_len`.
    PayloadLengthMismatch {
        /// The repr's `payload_len`.
        expected: usize,
        /// Bytes in the packet.
        actual: usize,
    },
    /// An option that cannot be kept as an unknown option: a kind this
    /// crate decodes (0–5, 8), or data too long for one option.
    InvalidOption {
        /// The option kind.
        kind: u8,
    },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "TCP segment needs {needed} bytes, buffer has {available}"
            ),
            EmitError::OptionsTooLong { len } => {
                write!(f, "TCP options need {len} bytes, more than the 40 allowed")
            }
            EmitError::SegmentTooLong { len } => write!(
                f,
                "TCP segment of {len} bytes exceeds the 65535 the pseudo-header can describe"
            ),
            EmitError::PayloadLengthMismatch { expected, actual } => write!(
                f,
                "TCP payload length is {expected} bytes but the packet holds {actual}"
            ),
            EmitError::InvalidOption { kind } => write!(
                f,
                "TCP option {} cannot be carried as raw option bytes",
                OptionKind(kind)
            ),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Tcp
    }
}
