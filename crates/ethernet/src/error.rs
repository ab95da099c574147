//! Parse and emit errors.

use core::fmt;

use strata_core::error::{BufferTooSmall, Layer, LayerError, Truncated};

use crate::EtherType;

/// Why bytes are not an Ethernet II frame.
///
/// Only length can be wrong: every 14-byte header is a syntactically valid
/// frame. In particular a type field below `0x0600` (an IEEE 802.3 length)
/// is not an error; see [`Frame::is_length_field`](crate::Frame::is_length_field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than the 14-byte Ethernet header.
    Truncated {
        /// Bytes the header needs (14).
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// The type field announced a VLAN tag (TPID `0x8100` or `0x88a8`) but
    /// the frame ends before the 4-byte tag does.
    TruncatedVlanTag {
        /// Offset of the tag's TCI within the frame.
        offset: usize,
        /// Frame length the tag needs.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
}

impl ParseError {
    /// The shortfall as the shared [`Truncated`] shape.
    #[must_use]
    pub const fn truncated(self) -> Truncated {
        match self {
            ParseError::Truncated { needed, available }
            | ParseError::TruncatedVlanTag {
                needed, available, ..
            } => Truncated { needed, available },
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseError::Truncated { needed, available } => write!(
                f,
                "Ethernet header truncated: needed {needed} bytes, got {available}"
            ),
            ParseError::TruncatedVlanTag {
                offset,
                needed,
                available,
            } => write!(
                f,
                "VLAN tag at offset {offset} truncated: frame needs {needed} bytes, got {available}"
            ),
        }
    }
}

impl core::error::Error for ParseError {}

impl LayerError for ParseError {
    fn layer(&self) -> Layer {
        match self {
            ParseError::Truncated { .. } => Layer::Ethernet,
            ParseError::TruncatedVlanTag { .. } => Layer::Vlan,
        }
    }
}

/// Why a [`Repr`](crate::Repr) could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The buffer cannot hold the header (or the [`PacketBuf`] lacks the
    /// headroom).
    ///
    /// [`PacketBuf`]: strata_core::buffer::PacketBuf
    BufferTooSmall {
        /// Bytes the header needs.
        needed: usize,
        /// Bytes there were.
        available: usize,
    },
    /// A VLAN tag's priority does not fit its 3 bits.
    BadVlanPriority {
        /// The priority given.
        pcp: u8,
    },
    /// A VLAN ID does not fit its 12 bits.
    BadVlanId {
        /// The VLAN ID given.
        vid: u16,
    },
    /// The EtherType is a VLAN TPID in a position where a parser would read
    /// it as one more tag, so the frame would not parse back to the same
    /// `Repr`. Put the tag in `vlan`/`service_vlan` instead.
    AmbiguousEtherType {
        /// The EtherType given.
        ethertype: EtherType,
    },
    /// [`Frame::set_vlan`](crate::Frame::set_vlan) or
    /// [`Frame::set_service_vlan`](crate::Frame::set_service_vlan) on a frame
    /// that has no such tag: adding one would move the payload.
    NoSuchTag,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EmitError::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small for the Ethernet header: needed {needed} bytes, have {available}"
            ),
            EmitError::BadVlanPriority { pcp } => {
                write!(f, "VLAN priority {pcp} does not fit in 3 bits")
            }
            EmitError::BadVlanId { vid } => write!(f, "VLAN ID {vid} does not fit in 12 bits"),
            EmitError::AmbiguousEtherType { ethertype } => write!(
                f,
                "EtherType {:#06x} would be read back as a VLAN tag; set the tag instead",
                ethertype.0
            ),
            EmitError::NoSuchTag => f.write_str("the frame has no VLAN tag to rewrite"),
        }
    }
}

impl core::error::Error for EmitError {}

impl LayerError for EmitError {
    fn layer(&self) -> Layer {
        match self {
            EmitError::BufferTooSmall { .. } | EmitError::AmbiguousEtherType { .. } => {
                Layer::Ethernet
            }
            EmitError::BadVlanPriority { .. }
            | EmitError::BadVlanId { .. }
            | EmitError::NoSuchTag => Layer::Vlan,
        }
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
