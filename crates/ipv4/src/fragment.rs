//! Splitting a datagram into fragments that fit an MTU (RFC 791 §3.2).
//!
//! [`fragment`] does not copy anything: it yields each fragment's header
//! and the range of the payload it carries, so the caller writes the
//! fragments one by one straight into its device buffers.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_ipv4::fragment::fragment;
//! use strata_ipv4::{Packet, Protocol, Repr};
//!
//! let payload = [0xabu8; 3000];
//! let header = Repr::new(
//!     Ipv4Addr::new(198, 18, 0, 1),
//!     Ipv4Addr::new(198, 18, 0, 2),
//!     Protocol::UDP,
//!     payload.len(),
//! );
//! let mut frame = [0u8; 1500];
//! let mut offsets = Vec::new();
//! for (repr, range) in fragment(&header, &payload, 1500)? {
//!     let len = repr.total_len();
//!     frame[repr.header_len()..len].copy_from_slice(&payload[range]);
//!     repr.emit(&mut frame[..len])?;
//!     let packet = Packet::parse_verified(&frame[..len])?;
//!     offsets.push((packet.fragment_offset_bytes(), packet.more_fragments(), len));
//! }
//! // Like Linux: 1480 payload bytes per full fragment.
//! assert_eq!(offsets, [(0, true, 1500), (1480, true, 1500), (2960, false, 60)]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use core::ops::Range;

use crate::header::HEADER_LEN;
use crate::options::Options;
use crate::repr::Repr;

/// Why a datagram could not be fragmented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FragmentError {
    /// The datagram exceeds the MTU and has Don't Fragment set: the sender
    /// learns of it through ICMP fragmentation needed (RFC 1191).
    DontFragment,
    /// The MTU leaves no room for 8 payload bytes after a fragment header
    /// (RFC 791 requires every link to carry 68 bytes).
    MtuTooSmall,
    /// `payload` is not `header.payload_len` bytes long.
    PayloadLengthMismatch {
        /// `header.payload_len`.
        expected: usize,
        /// The payload's length.
        found: usize,
    },
    /// The payload reaches past the last offset a fragment can carry
    /// (65528 bytes from the start of the original datagram).
    TooLong {
        /// Where the payload ends, counted from the original datagram's
        /// first payload byte.
        end: usize,
    },
}

impl fmt::Display for FragmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FragmentError::DontFragment => {
                f.write_str("datagram with Don't Fragment set exceeds the MTU")
            }
            FragmentError::MtuTooSmall => {
                f.write_str("MTU leaves no room for 8 payload bytes after a fragment header")
            }
            FragmentError::PayloadLengthMismatch { expected, found } => write!(
                f,
                "header says the payload has {expected} bytes, but it has {found}"
            ),
            FragmentError::TooLong { end } => write!(
                f,
                "payload ends {end} bytes into the datagram, past the last fragment offset"
            ),
        }
    }
}

impl core::error::Error for FragmentError {}

/// The options a fragment after the first carries: those with the copied
/// flag set (RFC 791 §3.1), in their original order.
#[must_use]
pub fn copied_options(options: &Options) -> Options {
    let mut copied = Options::EMPTY;
    for option in options.iter() {
        if option.kind().copied() {
            // A subset of options that fitted always fits.
            let _ = copied.push(&option);
        }
    }
    copied
}

/// The fragments of one datagram: each one's header and the range of the
/// payload it carries, in offset order.
#[derive(Clone, Debug)]
pub struct Fragments<'a> {
    payload: &'a [u8],
    first: Repr,
    later_options: Options,
    /// Payload bytes per fragment: the first, and the others.
    first_chunk: usize,
    later_chunk: usize,
    /// The next range starts here; past the end when done.
    next: usize,
    done: bool,
}

impl<'a> Fragments<'a> {
    /// The payload the ranges index into.
    #[must_use]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

impl Iterator for Fragments<'_> {
    type Item = (Repr, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let start = self.next;
        let mut repr = self.first;
        let chunk = if start == 0 {
            self.first_chunk
        } else {
            repr.options = self.later_options;
            self.later_chunk
        };
        let remaining = self.payload.len().saturating_sub(start);
        let len = chunk.min(remaining);
        let end = start + len;
        let last = end >= self.payload.len();
        // A fragment of a fragment keeps the original's More Fragments on
        // its last piece.
        repr.more_fragments = !last || self.first.more_fragments;
        // Checked by `fragment`: the offset fits 13 bits.
        let offset_bytes = usize::from(self.first.fragment_offset) * 8 + start;
        repr.fragment_offset = u16::try_from(offset_bytes / 8).unwrap_or(u16::MAX);
        repr.payload_len = len;
        self.next = end;
        self.done = last;
        Some((repr, start..end))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            return (0, Some(0));
        }
        let remaining = self.payload.len().saturating_sub(self.next);
        let n = if self.next == 0 {
            let rest = remaining.saturating_sub(self.first_chunk);
            1 + rest.div_ceil(self.later_chunk.max(1))
        } else {
            remaining.div_ceil(self.later_chunk.max(1)).max(1)
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for Fragments<'_> {}
impl core::iter::FusedIterator for Fragments<'_> {}

/// Splits the datagram `header` + `payload` into fragments of at most
/// `mtu` bytes each, headers included.
///
/// A datagram that fits comes back as a single fragment with its header
/// unchanged. Otherwise every fragment but the last carries a multiple of
/// 8 payload bytes and More Fragments; the first keeps all options, the
/// others only those with the copied flag ([`copied_options`]). A fragment
/// may itself be fragmented again: offsets continue from its own, and its
/// More Fragments flag stays on the last piece. The identification is the
/// header's; the caller picks it (RFC 6864).
///
/// # Errors
/// [`FragmentError::DontFragment`] if the datagram does not fit and Don't
/// Fragment is set; [`FragmentError::MtuTooSmall`] if a fragment could not
/// carry 8 payload bytes; [`FragmentError::PayloadLengthMismatch`] if
/// `payload.len() != header.payload_len`; [`FragmentError::TooLong`] if an
/// offset would not fit the header.
pub fn fragment<'a>(
    header: &Repr,
    payload: &'a [u8],
    mtu: usize,
) -> Result<Fragments<'a>, FragmentError> {
    if payload.len() != header.payload_len {
        return Err(FragmentError::PayloadLengthMismatch {
            expected: header.payload_len,
            found: payload.len(),
        });
    }
    let base = usize::from(header.fragment_offset) * 8;
    let end = base + payload.len();
    if end > usize::from(u16::MAX) {
        return Err(FragmentError::TooLong { end });
    }
    let total_len = header.total_len();
    if total_len <= mtu {
        return Ok(Fragments {
            payload,
            first: *header,
            later_options: header.options,
            first_chunk: payload.len(),
            later_chunk: payload.len(),
            next: 0,
            done: false,
        });
    }
    if header.dont_fragment {
        return Err(FragmentError::DontFragment);
    }
    let later_options = copied_options(&header.options);
    let first_hlen = header.header_len();
    let later_hlen = HEADER_LEN + later_options.len();
    let first_chunk = mtu.saturating_sub(first_hlen) & !7;
    let later_chunk = mtu.saturating_sub(later_hlen) & !7;
    if first_chunk == 0 {
        return Err(FragmentError::MtuTooSmall);
    }
    if later_chunk == 0 {
        return Err(FragmentError::MtuTooSmall);
    }
    Ok(Fragments {
        payload,
        first: *header,
        later_options,
        first_chunk,
        later_chunk,
        next: 0,
        done: false,
    })
}
