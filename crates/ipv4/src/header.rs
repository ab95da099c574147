//! The fixed 20-byte IPv4 header as a zerocopy struct.

use strata_core::checksum::Checksum;
use zerocopy::network_endian::U16;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// Length of the fixed header, without options.
pub const HEADER_LEN: usize = 20;

/// Longest header the 4-bit IHL field can describe (15 words).
pub const MAX_HEADER_LEN: usize = 60;

/// Flag bits in the flags/fragment offset word.
pub(crate) const FLAG_RESERVED: u16 = 0x8000;
pub(crate) const FLAG_DF: u16 = 0x4000;
pub(crate) const FLAG_MF: u16 = 0x2000;
pub(crate) const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

/// RFC 791 §3.1, field by field; multi-byte fields are big-endian.
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) version_ihl: u8,
    /// DSCP in the high six bits, ECN in the low two.
    pub(crate) tos: u8,
    pub(crate) total_len: U16,
    pub(crate) identification: U16,
    pub(crate) flags_fragment: U16,
    pub(crate) ttl: u8,
    pub(crate) protocol: u8,
    pub(crate) checksum: U16,
    pub(crate) src: [u8; 4],
    pub(crate) dst: [u8; 4],
}

/// What accessors fall back to if a buffer ever stopped holding a header,
/// which parsing rules out; it keeps accessors free of panics.
pub(crate) static ZERO_HEADER: Header = Header {
    version_ihl: 0,
    tos: 0,
    total_len: U16::ZERO,
    identification: U16::ZERO,
    flags_fragment: U16::ZERO,
    ttl: 0,
    protocol: 0,
    checksum: U16::ZERO,
    src: [0; 4],
    dst: [0; 4],
};

const _: () = assert!(core::mem::size_of::<Header>() == HEADER_LEN);

impl Header {
    /// The ones'-complement sum of the fixed header and `options`.
    ///
    /// The fixed part has a constant length, so the word loop unrolls into a
    /// handful of adds; the generic slice sum is only paid for options.
    #[inline(always)]
    pub(crate) fn sum(&self, options: &[u8]) -> Checksum {
        let mut c = Checksum::new();
        for word in self.as_bytes().chunks_exact(4) {
            if let Ok(word) = <[u8; 4]>::try_from(word) {
                c.add_u32(u32::from_be_bytes(word));
            }
        }
        if !options.is_empty() {
            c.add_bytes(options);
        }
        c
    }
}
