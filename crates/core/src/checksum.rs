//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! The ones'-complement sum is independent of byte order (RFC 1071 §2(B)):
//! summing 16-bit words in the machine's native order and swapping the
//! folded result once gives the same answer as summing big-endian words.
//! The kernels below exploit that to read wide native-endian words and never
//! touch a byte at a time. They add 32-bit words into 64-bit lanes, which
//! cannot overflow for any packet shorter than 2^32 words, so carries are
//! folded only once at the end.
//!
//! With the `std` feature the widest kernel the CPU supports (AVX-512,
//! AVX2, SSE4.1 or the baseline) is picked at run time; without it the
//! kernel is the one the compile-time target features allow.

use core::net::Ipv4Addr;

/// A running ones'-complement sum over 16-bit big-endian words.
///
/// Feed it slices with [`Checksum::add_bytes`] and whole fields with
/// [`Checksum::add_u16`] / [`Checksum::add_u32`]; [`Checksum::finish`] gives
/// the value that goes on the wire. Only the last slice may have an odd
/// length: an odd slice is padded with a zero byte (RFC 1071), which would
/// misalign anything added after it.
///
/// ```
/// use strata_core::checksum::Checksum;
/// // The example of RFC 1071 §3.
/// let mut c = Checksum::new();
/// c.add_bytes(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
/// assert_eq!(c.fold(), 0xddf2);
/// assert_eq!(c.finish(), !0xddf2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    /// Sum of native-order 16/32-bit words, folded only by `fold`, so a
    /// pseudo-header plus a segment costs one fold, not one per piece.
    sum: u64,
}

impl Checksum {
    /// An empty sum.
    #[must_use]
    pub const fn new() -> Self {
        Self { sum: 0 }
    }

    #[inline]
    const fn add_native(&mut self, value: u64) {
        // End-around carry keeps the sum right however much is added.
        let (sum, carry) = self.sum.overflowing_add(value);
        self.sum = sum + carry as u64;
    }

    /// Adds a byte slice as a sequence of big-endian 16-bit words.
    #[inline(always)]
    pub fn add_bytes(&mut self, data: &[u8]) {
        self.add_native(sum_native(data));
    }

    /// Adds one 16-bit field.
    #[inline]
    pub const fn add_u16(&mut self, value: u16) {
        self.add_native(u16::from_ne_bytes(value.to_be_bytes()) as u64);
    }

    /// Adds one 32-bit field (two 16-bit words).
    #[inline]
    pub const fn add_u32(&mut self, value: u32) {
        self.add_native(u32::from_ne_bytes(value.to_be_bytes()) as u64);
    }

    /// Adds an IPv4 address (two 16-bit words).
    #[inline]
    pub const fn add_ipv4(&mut self, addr: Ipv4Addr) {
        self.add_native(u32::from_ne_bytes(addr.octets()) as u64);
    }

    /// Combines another running sum into this one.
    #[inline]
    pub const fn add_checksum(&mut self, other: Checksum) {
        self.add_native(other.sum);
    }

    /// The folded 16-bit ones'-complement sum, not yet complemented.
    ///
    /// A received header whose checksum field was included verifies when this
    /// is `0xffff`.
    #[inline]
    #[must_use]
    pub const fn fold(self) -> u16 {
        u16::from_be(fold64(self.sum))
    }

    /// The checksum field value: the complement of the folded sum.
    #[inline]
    #[must_use]
    pub const fn finish(self) -> u16 {
        !self.fold()
    }
}

/// The checksum of `data`: complement of its ones'-complement sum.
///
/// ```
/// // An IPv4 header whose checksum field is already filled in sums to zero.
/// let header = [
///     0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
///     0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
/// ];
/// assert_eq!(strata_core::checksum::checksum(&header), 0);
/// ```
#[inline]
#[must_use]
pub fn checksum(data: &[u8]) -> u16 {
    !sum_be(data)
}

/// The folded ones'-complement sum of `data` as big-endian words.
#[inline]
#[must_use]
pub fn sum_be(data: &[u8]) -> u16 {
    u16::from_be(fold64(sum_native(data)))
}

/// Sum of an IPv4 pseudo-header (RFC 793 §3.1, RFC 768) for TCP and UDP.
///
/// `length` is the transport header plus payload, in bytes.
#[inline]
#[must_use]
pub fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> Checksum {
    let mut c = Checksum::new();
    c.add_ipv4(src);
    c.add_ipv4(dst);
    c.add_u16(u16::from(protocol));
    c.add_u16(length);
    c
}

/// Updates a checksum field after a 16-bit word of the covered data changed
/// from `old` to `new` (RFC 1624 eqn. 3: `HC' = ~(~HC + ~m + m')`).
///
/// Unlike RFC 1141's eqn. 2 this never produces `0x0000` from a header
/// whose sum is not zero.
///
/// ```
/// use strata_core::checksum::{checksum, update_u16};
/// let mut header = [0x45u8, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
///                   0x00, 0x00, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02];
/// let c = checksum(&header);
/// header[10..12].copy_from_slice(&c.to_be_bytes());
/// // Decrement the TTL the way a router does.
/// let old = u16::from_be_bytes([header[8], header[9]]);
/// header[8] -= 1;
/// let new = u16::from_be_bytes([header[8], header[9]]);
/// let updated = update_u16(c, old, new);
/// header[10..12].copy_from_slice(&updated.to_be_bytes());
/// assert_eq!(checksum(&header), 0);
/// ```
#[inline]
#[must_use]
pub const fn update_u16(checksum: u16, old: u16, new: u16) -> u16 {
    let sum = (!checksum) as u64 + (!old) as u64 + new as u64;
    !fold64(sum)
}

/// Updates a checksum field after a 32-bit field (an address, a sequence
/// number) changed, as two RFC 1624 word updates.
#[inline]
#[must_use]
pub const fn update_u32(checksum: u16, old: u32, new: u32) -> u16 {
    let sum = (!checksum) as u64
        + (!(old >> 16) & 0xffff) as u64
        + (!old & 0xffff) as u64
        + (new >> 16) as u64
        + (new & 0xffff) as u64;
    !fold64(sum)
}

#[inline]
const fn fold64(sum: u64) -> u16 {
    // Two end-around-carry additions: 64 bits to 32, 32 to 16. After a
    // carry out the low half is at most 2^n - 2, so adding it cannot carry.
    let (s, carry) = (sum as u32).overflowing_add((sum >> 32) as u32);
    let s = s + carry as u32;
    let (s, carry) = (s as u16).overflowing_add((s >> 16) as u16);
    s + carry as u16
}

/// Ones'-complement sum of native-endian 16-bit words, unfolded.
#[inline(always)]
fn sum_native(data: &[u8]) -> u64 {
    // Short headers (IPv4, UDP, TCP without payload) are the common case and
    // do not pay for dispatch.
    if data.len() <= 64 {
        return sum_native_small(data);
    }
    sum_native_wide(data)
}

/// Ones'-complement addition on 64 bits (add, then add the carry back).
///
/// A 64-bit ones'-complement sum folds to the right 16-bit one because
/// 2^16 - 1 divides 2^64 - 1.
#[inline(always)]
const fn adc(a: u64, b: u64) -> u64 {
    let (sum, carry) = a.overflowing_add(b);
    sum + carry as u64
}

/// Eight bytes per step split into two 32-bit halves summed in separate
/// 64-bit accumulators: two short independent add chains and no carry
/// handling (they cannot overflow below 2^32 words), so a header-sized
/// slice pays for no vector setup or reduction.
///
/// Always inlined: for a fixed-size header the length is a constant and
/// the whole sum becomes a few straight-line adds.
#[inline(always)]
fn sum_native_small(data: &[u8]) -> u64 {
    let (mut lo, mut hi) = (0u64, 0u64);
    let (words, rest) = data.as_chunks::<8>();
    for w in words {
        let w = u64::from_ne_bytes(*w);
        lo += w & 0xffff_ffff;
        hi += w >> 32;
    }
    if rest.is_empty() {
        return adc(lo, hi);
    }
    // A slice of at least 8 bytes ends its 1 to 7 leftover bytes with one
    // load of its last 8 bytes, shifted to drop those already summed: no
    // loop and no byte-by-byte assembly. The leftovers start a multiple of
    // 8 bytes into the slice, and the shift moves them to the start of the
    // word, so every byte keeps the parity of its offset (the half of its
    // 16-bit word it belongs in).
    if let Some(last) = data.last_chunk::<8>() {
        let drop = 8 * (8 - rest.len() as u32);
        let last = u64::from_ne_bytes(*last);
        let tail = if cfg!(target_endian = "little") {
            last >> drop
        } else {
            last << drop
        };
        return adc(adc(lo, hi), tail);
    }
    let (half, rest) = rest.as_chunks::<4>();
    for w in half {
        lo += u64::from(u32::from_ne_bytes(*w));
    }
    adc(lo, hi + tail_native(rest))
}

/// The last 0–3 bytes, padded with zeros to a whole 16-bit word.
#[inline]
fn tail_native(rest: &[u8]) -> u64 {
    // A slice pattern, not a copy loop: LLVM turns a loop of one to three
    // byte copies into a call to memcpy, and the 32-bit load of the
    // bytes it stored then stalls on store forwarding.
    let padded = match *rest {
        [a, b, c, ..] => [a, b, c, 0],
        [a, b] => [a, b, 0, 0],
        [a] => [a, 0, 0, 0],
        [] => return 0,
    };
    u64::from(u32::from_ne_bytes(padded))
}

#[cfg(feature = "std")]
#[multiversion::multiversion(targets("x86_64+avx2+avx+sse4.1"))]
fn sum_native_wide(data: &[u8]) -> u64 {
    if multiversion::target::target_cfg_f!(target_feature = "avx2") {
        sum_halves(data)
    } else {
        sum_words(data)
    }
}

#[cfg(not(feature = "std"))]
fn sum_native_wide(data: &[u8]) -> u64 {
    if cfg!(target_feature = "avx2") {
        sum_halves(data)
    } else {
        sum_words(data)
    }
}

/// 32-bit words into sixteen 64-bit lanes over 64-byte blocks.
///
/// With only SSE2 (the x86-64 baseline) or NEON, LLVM vectorises this into
/// zero-extending unpacks and 64-bit adds; measured the fastest form there.
#[inline(always)]
fn sum_words(data: &[u8]) -> u64 {
    let mut lanes = [0u64; 16];
    let (blocks, rest) = data.as_chunks::<64>();
    for block in blocks {
        let (words, _) = block.as_chunks::<4>();
        for (lane, word) in lanes.iter_mut().zip(words) {
            *lane += u64::from(u32::from_ne_bytes(*word));
        }
    }
    adc(lanes.iter().sum::<u64>(), sum_native_small(rest))
}

/// Low and high 16-bit halves of 32-bit words summed in separate 32-bit
/// lanes: with AVX2 that is one and, one shift and two adds per 32 bytes,
/// no shuffles, about 1.4x the throughput of [`sum_words`].
///
/// A 32-bit lane overflows after 65 537 additions of `0xffff`, so lanes
/// are flushed into the 64-bit total every 64 KiB (1024 blocks).
#[inline(always)]
fn sum_halves(data: &[u8]) -> u64 {
    const FLUSH_BLOCKS: usize = 1024;
    let (blocks, rest) = data.as_chunks::<64>();
    let mut total = 0u64;
    for run in blocks.chunks(FLUSH_BLOCKS) {
        let mut lo = [0u32; 16];
        let mut hi = [0u32; 16];
        for block in run {
            // Indexing a [_; 16] with i < 16 and a [u8; 64] with 4i + 3 < 64
            // is checked at compile time, and this is the form LLVM's SLP
            // vectoriser recognises; the iterator form stays scalar.
            #[allow(clippy::indexing_slicing)]
            for i in 0..16 {
                let w = u32::from_ne_bytes([
                    block[4 * i],
                    block[4 * i + 1],
                    block[4 * i + 2],
                    block[4 * i + 3],
                ]);
                lo[i] += w & 0xffff;
                hi[i] += w >> 16;
            }
        }
        total += lo
            .iter()
            .chain(hi.iter())
            .map(|&x| u64::from(x))
            .sum::<u64>();
    }
    adc(total, sum_native_small(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    /// The plain RFC 1071 definition, one big-endian word at a time.
    fn reference(data: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        for pair in data.chunks(2) {
            let hi = u32::from(pair[0]) << 8;
            let lo = pair.get(1).map_or(0, |b| u32::from(*b));
            sum += hi | lo;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum_be(&data), 0xddf2);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum_be(&[0xab]), 0xab00);
        assert_eq!(sum_be(&[0x01, 0x02, 0x03]), 0x0102 + 0x0300);
    }

    #[test]
    fn empty_is_zero() {
        assert_eq!(sum_be(&[]), 0);
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn all_ones_does_not_overflow() {
        let data = vec![0xffu8; 65536 * 3 + 7];
        assert_eq!(sum_be(&data), reference(&data));
    }

    #[test]
    fn pseudo_header_matches_bytes() {
        let src = Ipv4Addr::new(198, 18, 0, 1);
        let dst = Ipv4Addr::new(198, 18, 0, 2);
        let bytes = [198, 18, 0, 1, 198, 18, 0, 2, 0, 6, 0x05, 0xdc];
        assert_eq!(pseudo_header(src, dst, 6, 1500).fold(), sum_be(&bytes));
    }

    #[test]
    fn rfc1624_example() {
        // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 -> m' = 0x3285 gives 0x0000.
        assert_eq!(update_u16(0xdd2f, 0x5555, 0x3285), 0x0000);
    }

    proptest! {
        #[test]
        fn matches_reference(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            prop_assert_eq!(sum_be(&data), reference(&data));
        }

        #[test]
        fn split_sums_combine(data in proptest::collection::vec(any::<u8>(), 0..400), cut in 0usize..200) {
            let cut = (cut * 2).min(data.len() & !1);
            let mut c = Checksum::new();
            c.add_bytes(&data[..cut]);
            c.add_bytes(&data[cut..]);
            prop_assert_eq!(c.fold(), reference(&data));
        }

        #[test]
        fn incremental_update_matches_recompute(
            mut data in proptest::collection::vec(any::<u8>(), 2..200),
            word in 0usize..100,
            new in any::<u16>(),
        ) {
            let len = data.len() & !1;
            let at = (word * 2) % len;
            let before = checksum(&data);
            let old = u16::from_be_bytes([data[at], data[at + 1]]);
            data[at..at + 2].copy_from_slice(&new.to_be_bytes());
            let after = checksum(&data);
            let updated = update_u16(before, old, new);
            // 0x0000 and 0xffff are the same number in ones' complement.
            prop_assert!(updated == after || (updated ^ after) == 0xffff && (after == 0 || after == 0xffff));
        }

        #[test]
        fn update_u32_matches_recompute(mut data in proptest::collection::vec(any::<u8>(), 4..64), new in any::<u32>()) {
            let before = checksum(&data);
            let old = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            data[..4].copy_from_slice(&new.to_be_bytes());
            let after = checksum(&data);
            let updated = update_u32(before, old, new);
            prop_assert!(updated == after || (updated ^ after) == 0xffff && (after == 0 || after == 0xffff));
        }
    }
}
