//! What can go wrong reading or writing a DNS message.
//!
//! Every error is a small `Copy` value that says where (section, index of
//! the question or record within it, byte offset from the start of the
//! message) and what.

use core::fmt;

use strata_core::error::{Layer, LayerError};

use super::types::{RecordType, Section};

/// Why a domain name could not be read (from the wire or from text) or
/// built.
///
/// For wire names `offset` counts bytes from the start of the message; for
/// names parsed from text it counts bytes into the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name runs past the end of the message (or the string ends inside
    /// an escape).
    Truncated {
        /// Where the missing byte should have been.
        offset: usize,
    },
    /// A label longer than 63 octets. On the wire this is a length byte in
    /// `0x40..=0xbf`, whose top bits select the extended (RFC 6891) or
    /// reserved label types that no one uses.
    LabelTooLong {
        /// Where the label starts.
        offset: usize,
        /// The length it claims (for wire names, the whole length byte).
        len: usize,
    },
    /// The name is longer than 255 octets in wire form (RFC 1035 2.3.4).
    NameTooLong {
        /// Where the label that crossed the limit starts.
        offset: usize,
    },
    /// A compression pointer to a position after its own: only names
    /// already seen may be pointed to (RFC 1035 4.1.4).
    ForwardPointer {
        /// Where the pointer is.
        offset: usize,
        /// Where it points.
        target: u16,
    },
    /// A compression pointer to itself or back into the part of the name
    /// being read, which could go round for ever.
    PointerLoop {
        /// Where the pointer is.
        offset: usize,
        /// Where it points.
        target: u16,
    },
    /// Text only: an empty label (`a..b`, or a leading dot).
    EmptyLabel {
        /// Where the empty label is.
        offset: usize,
    },
    /// Text only: a backslash not followed by a character or by three
    /// decimal digits up to 255.
    BadEscape {
        /// Where the backslash is.
        offset: usize,
    },
}

impl NameError {
    /// The byte offset the error refers to.
    #[must_use]
    pub const fn offset(&self) -> usize {
        match *self {
            NameError::Truncated { offset }
            | NameError::LabelTooLong { offset, .. }
            | NameError::NameTooLong { offset }
            | NameError::ForwardPointer { offset, .. }
            | NameError::PointerLoop { offset, .. }
            | NameError::EmptyLabel { offset }
            | NameError::BadEscape { offset } => offset,
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            NameError::Truncated { offset } => {
                write!(f, "name truncated at offset {offset}")
            }
            NameError::LabelTooLong { offset, len } => write!(
                f,
                "label at offset {offset} is {len} octets long, over the 63-octet limit"
            ),
            NameError::NameTooLong { offset } => {
                write!(f, "name exceeds 255 octets at the label at offset {offset}")
            }
            NameError::ForwardPointer { offset, target } => write!(
                f,
                "compression pointer at offset {offset} points forward to {target}"
            ),
            NameError::PointerLoop { offset, target } => write!(
                f,
                "compression pointer at offset {offset} points back into its own name at {target} (loop)"
            ),
            NameError::EmptyLabel { offset } => {
                write!(f, "empty label at offset {offset}")
            }
            NameError::BadEscape { offset } => {
                write!(f, "bad escape at offset {offset}")
            }
        }
    }
}

impl core::error::Error for NameError {}

impl LayerError for NameError {
    fn layer(&self) -> Layer {
        Layer::Dns
    }
}

/// Why the RDATA of a record does not match its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RDataError {
    /// A fixed-size RDATA (A: 4, AAAA: 16) of the wrong size.
    BadLength {
        /// The size the type requires.
        expected: u16,
        /// RDLENGTH.
        found: u16,
    },
    /// A field, string or option runs past RDLENGTH.
    Truncated {
        /// Where the field starts.
        offset: usize,
    },
    /// Bytes left over after the last field the type defines.
    TrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
    },
}

impl fmt::Display for RDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RDataError::BadLength { expected, found } => {
                write!(f, "RDLENGTH is {found}, the type needs {expected}")
            }
            RDataError::Truncated { offset } => {
                write!(f, "field at offset {offset} runs past RDLENGTH")
            }
            RDataError::TrailingBytes { offset } => {
                write!(
                    f,
                    "unexpected bytes after the last field at offset {offset}"
                )
            }
        }
    }
}

impl core::error::Error for RDataError {}

impl LayerError for RDataError {
    fn layer(&self) -> Layer {
        Layer::Dns
    }
}

/// Why bytes are not a DNS message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the 12-byte header.
    Truncated {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// A question or record runs past the end of the message: the header
    /// counts more entries than there are, or RDLENGTH is too large.
    RecordTruncated {
        /// The section being read.
        section: Section,
        /// Index of the entry within its section.
        index: u16,
        /// Where the entry starts.
        offset: usize,
        /// Bytes (from the start of the message) the entry needs.
        needed: usize,
        /// Bytes the message has.
        available: usize,
    },
    /// A name (an owner name, a question name or a name inside RDATA) is
    /// malformed.
    BadName {
        /// The section being read.
        section: Section,
        /// Index of the entry within its section.
        index: u16,
        /// What is wrong, and where.
        error: NameError,
    },
    /// The RDATA does not match the record's type.
    BadRData {
        /// The section being read.
        section: Section,
        /// Index of the record within its section.
        index: u16,
        /// The record's TYPE.
        rtype: RecordType,
        /// Where the RDATA starts.
        offset: usize,
        /// What is wrong.
        error: RDataError,
    },
}

impl ParseError {
    /// The section the error is in (`None` for a short header).
    #[must_use]
    pub const fn section(&self) -> Option<Section> {
        match *self {
            ParseError::Truncated { .. } => None,
            ParseError::RecordTruncated { section, .. }
            | ParseError::BadName { section, .. }
            | ParseError::BadRData { section, .. } => Some(section),
        }
    }

    /// Index of the failing entry within its section.
    #[must_use]
    pub const fn index(&self) -> Option<u16> {
        match *self {
            ParseError::Truncated { .. } => None,
            ParseError::RecordTruncated { index, .. }
            | ParseError::BadName { index, .. }
            | ParseError::BadRData { index, .. } => Some(index),
        }
    }

    /// The byte offset, from the start of the message, nearest to the fault.
    #[must_use]
    pub const fn offset(&self) -> usize {
        match *self {
            ParseError::Truncated { available, .. } => available,
            ParseError::RecordTruncated { offset, .. } => offset,
            ParseError::BadName { error, .. } => error.offset(),
            ParseError::BadRData { offset, error, .. } => match error {
                RDataError::BadLength { .. } => offset,
                RDataError::Truncated { offset } | RDataError::TrailingBytes { offset } => offset,
            },
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "DNS header truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::RecordTruncated {
                section,
                index,
                offset,
                needed,
                available,
            } => write!(
                f,
                "DNS {section} entry {index} at offset {offset} needs {needed} bytes, message has {available}"
            ),
            ParseError::BadName {
                section,
                index,
                error,
            } => write!(f, "DNS {section} entry {index}: {error}"),
            ParseError::BadRData {
                section,
                index,
                rtype,
                offset,
                error,
            } => write!(
                f,
                "DNS {section} record {index} ({rtype}) RDATA at offset {offset}: {error}"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        Layer::Dns
    }
}

/// Why a message could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// The caller's buffer cannot hold the entry being added. The builder
    /// is left as it was before the call, so the caller can stop here and
    /// set TC.
    BufferTooSmall {
        /// Bytes the message needed when writing stopped (a lower bound:
        /// the rest of the entry was not measured).
        needed: usize,
        /// Bytes the buffer has.
        available: usize,
    },
    /// An entry for a section that comes before one already written:
    /// sections go question, answer, authority, additional.
    SectionOrder {
        /// The section asked for.
        section: Section,
        /// The section already being written.
        current: Section,
    },
    /// More than 65535 entries in one section.
    TooManyEntries {
        /// The full section.
        section: Section,
    },
    /// A value longer than its length field allows: RDATA over 65535
    /// octets, a TXT string or CAA tag over 255, an EDNS option over 65535.
    TooLong {
        /// What was too long ("RDATA", "TXT string", "CAA tag", "EDNS option").
        field: &'static str,
        /// Its length.
        len: usize,
        /// The most the field allows.
        max: usize,
    },
    /// A name given as text is not a valid name.
    BadName(NameError),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "DNS message needs {needed} bytes, buffer has {available}"
            ),
            EmitError::SectionOrder { section, current } => write!(
                f,
                "cannot add to the DNS {section} section after the {current} section"
            ),
            EmitError::TooManyEntries { section } => {
                write!(f, "DNS {section} section is full (65535 entries)")
            }
            EmitError::TooLong { field, len, max } => {
                write!(f, "DNS {field} of {len} octets exceeds {max}")
            }
            EmitError::BadName(error) => write!(f, "bad DNS name: {error}"),
        }
    }
}

impl From<NameError> for EmitError {
    fn from(error: NameError) -> Self {
        EmitError::BadName(error)
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        Layer::Dns
    }
}
