//! The TCP wire format: the [`Segment`] view, its owned [`Repr`], the
//! control [`Flags`] and the [`options`]; and [`QuotedSegment`], the start
//! of a segment as an ICMP error quotes it.
//!
//! Panic contract: nothing here panics on any input. [`Segment::parse`]
//! checks the data offset against the buffer and every option's length
//! once; accessors read through the checked header afterwards.

mod error;
mod flags;
pub mod options;
mod repr;
mod segment;
#[cfg(test)]
mod tests;

pub use error::{EmitError, ParseError};
pub use flags::Flags;
pub use options::{
    MAX_OPTIONS_LEN, OptionKind, Options, OptionsIter, SackBlocks, TcpOption, Timestamps,
    UnknownOptions,
};
pub use repr::Repr;
pub use segment::{QUOTED_MIN_LEN, QuotedSegment, Segment};

/// Length of the fixed TCP header, without options.
pub const HEADER_LEN: usize = 20;

/// Longest header: data offset 15 words.
pub const MAX_HEADER_LEN: usize = 60;

/// IP protocol number of TCP, as the pseudo-header carries it.
pub const PROTOCOL: u8 = 6;
