//! Initial sequence numbers (RFC 6528) and the keyed hash behind them.
//!
//! An ISN must be hard to guess for an off-path attacker (who could
//! otherwise inject segments or reset connections) yet must not repeat
//! quickly for the same connection 4-tuple (so old duplicates from a
//! previous incarnation fall outside the window). RFC 6528 §3 gets both
//! from
//!
//! ```text
//! ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
//! ```
//!
//! where `M` is a clock ticking every 4 microseconds and `F` a keyed
//! pseudo-random function. Here `F` is [SipHash-2-4](SipHasher24)
//! (Aumasson and Bernstein, 2012), a short-input PRF, under a 128-bit key
//! the caller draws from its random source once.
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddrV4};
//! use strata_core::{rand::SplitMix64, time::Instant};
//! use strata_tcp::isn::IsnGenerator;
//!
//! let isns = IsnGenerator::from_random(&mut SplitMix64::new(7));
//! let local = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 1), 80);
//! let remote = SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, 2), 40_000);
//! let a = isns.isn(Instant::from_micros(1_000), local, remote);
//! let b = isns.isn(Instant::from_micros(1_400), local, remote);
//! assert_eq!(b.wrapping_sub(a), 100); // 400 µs later: 100 ticks of 4 µs
//! ```

use core::fmt;
use core::net::SocketAddrV4;

use strata_core::rand::RandomSource;
use strata_core::time::Instant;

/// SipHash-2-4 under a fixed 128-bit key: two compression rounds per 8-byte
/// word, four finalization rounds, 64-bit output.
///
/// The key stays private: `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct SipHasher24 {
    k0: u64,
    k1: u64,
}

/// The SipHash state, four 64-bit words.
struct State([u64; 4]);

impl State {
    #[inline(always)]
    fn round(&mut self) {
        let [v0, v1, v2, v3] = &mut self.0;
        *v0 = v0.wrapping_add(*v1);
        *v1 = v1.rotate_left(13) ^ *v0;
        *v0 = v0.rotate_left(32);
        *v2 = v2.wrapping_add(*v3);
        *v3 = v3.rotate_left(16) ^ *v2;
        *v0 = v0.wrapping_add(*v3);
        *v3 = v3.rotate_left(21) ^ *v0;
        *v2 = v2.wrapping_add(*v1);
        *v1 = v1.rotate_left(17) ^ *v2;
        *v2 = v2.rotate_left(32);
    }

    #[inline(always)]
    fn absorb(&mut self, word: u64) {
        self.0[3] ^= word;
        self.round();
        self.round();
        self.0[0] ^= word;
    }
}

impl SipHasher24 {
    /// A hasher keyed with `key` (read as two little-endian 64-bit words, as
    /// the reference implementation does).
    #[must_use]
    pub const fn new(key: [u8; 16]) -> Self {
        let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = key;
        SipHasher24 {
            k0: u64::from_le_bytes([a, b, c, d, e, f, g, h]),
            k1: u64::from_le_bytes([i, j, k, l, m, n, o, p]),
        }
    }

    /// A hasher with a key drawn from `rng`.
    #[must_use]
    pub fn from_random<R: RandomSource + ?Sized>(rng: &mut R) -> Self {
        let mut key = [0u8; 16];
        rng.fill(&mut key);
        SipHasher24::new(key)
    }

    /// SipHash-2-4 of `data`.
    #[must_use]
    pub fn hash(&self, data: &[u8]) -> u64 {
        let mut state = State([
            self.k0 ^ 0x736f_6d65_7073_6575,
            self.k1 ^ 0x646f_7261_6e64_6f6d,
            self.k0 ^ 0x6c79_6765_6e65_7261,
            self.k1 ^ 0x7465_6462_7974_6573,
        ]);
        let (words, tail) = data.as_chunks::<8>();
        for word in words {
            state.absorb(u64::from_le_bytes(*word));
        }
        // The last word: the leftover bytes, little-endian, and the length
        // modulo 256 in the top byte.
        let mut last = (data.len() as u64 & 0xff) << 56;
        for (i, byte) in tail.iter().enumerate() {
            last |= u64::from(*byte) << (8 * i);
        }
        state.absorb(last);
        state.0[2] ^= 0xff;
        for _ in 0..4 {
            state.round();
        }
        let [v0, v1, v2, v3] = state.0;
        v0 ^ v1 ^ v2 ^ v3
    }
}

impl fmt::Debug for SipHasher24 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SipHasher24 { key: <secret> }")
    }
}

/// The 12 bytes that name a connection, local side first.
pub(crate) fn four_tuple_bytes(local: SocketAddrV4, remote: SocketAddrV4) -> [u8; 12] {
    let [a, b, c, d] = local.ip().octets();
    let [e, f, g, h] = remote.ip().octets();
    let [lp0, lp1] = local.port().to_be_bytes();
    let [rp0, rp1] = remote.port().to_be_bytes();
    [a, b, c, d, lp0, lp1, e, f, g, h, rp0, rp1]
}

/// RFC 6528 initial sequence number generator.
///
/// Holds only the secret key, so one generator serves every connection of a
/// host. `Debug` does not print the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsnGenerator {
    hasher: SipHasher24,
}

impl IsnGenerator {
    /// A generator keyed with `key`, which must be secret and random.
    #[must_use]
    pub const fn new(key: [u8; 16]) -> Self {
        IsnGenerator {
            hasher: SipHasher24::new(key),
        }
    }

    /// A generator with a key drawn from `rng`.
    #[must_use]
    pub fn from_random<R: RandomSource + ?Sized>(rng: &mut R) -> Self {
        IsnGenerator {
            hasher: SipHasher24::from_random(rng),
        }
    }

    /// The ISN for a connection from `local` to `remote` opened at `now`:
    /// `M + F`, with `M` the 4 µs clock (wrapping every 4.77 hours) and `F`
    /// the low 32 bits of SipHash-2-4 over the 4-tuple.
    #[must_use]
    pub fn isn(&self, now: Instant, local: SocketAddrV4, remote: SocketAddrV4) -> u32 {
        let clock = (now.total_micros() / 4) as u32;
        let offset = self.hasher.hash(&four_tuple_bytes(local, remote)) as u32;
        clock.wrapping_add(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;
    use proptest::prelude::*;
    use strata_core::rand::SplitMix64;

    fn reference_key() -> [u8; 16] {
        core::array::from_fn(|i| i as u8)
    }

    #[test]
    fn siphash_paper_vector() {
        // Appendix A of the SipHash paper: key 00..0f, message 00..0e.
        let message: [u8; 15] = core::array::from_fn(|i| i as u8);
        let h = SipHasher24::new(reference_key()).hash(&message);
        assert_eq!(h, 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn siphash_reference_vectors() {
        // From the reference implementation's vectors (key 00..0f, message
        // 00..(n-1)), output as little-endian bytes.
        let cases: [(usize, [u8; 8]); 6] = [
            (0, [0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72]),
            (1, [0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74]),
            (7, [0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab]),
            (8, [0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93]),
            (15, [0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1]),
            (63, [0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95]),
        ];
        let hasher = SipHasher24::new(reference_key());
        for (len, expected) in cases {
            let message: std::vec::Vec<u8> = (0..len as u8).collect();
            assert_eq!(
                hasher.hash(&message).to_le_bytes(),
                expected,
                "length {len}"
            );
        }
    }

    proptest! {
        #[test]
        fn siphash_matches_std(key in any::<[u8; 16]>(), data in proptest::collection::vec(any::<u8>(), 0..100)) {
            #[allow(deprecated)]
            let mut std_hasher = {
                let k0 = u64::from_le_bytes(key[..8].try_into().unwrap());
                let k1 = u64::from_le_bytes(key[8..].try_into().unwrap());
                core::hash::SipHasher::new_with_keys(k0, k1)
            };
            core::hash::Hasher::write(&mut std_hasher, &data);
            prop_assert_eq!(SipHasher24::new(key).hash(&data), core::hash::Hasher::finish(&std_hasher));
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let g = IsnGenerator::new(reference_key());
        let shown = std::format!("{g:?}");
        assert!(shown.contains("secret"));
        assert!(!shown.contains("k0"));
    }

    fn addr(last: u8, port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::new(198, 18, 0, last), port)
    }

    #[test]
    fn isn_differs_per_four_tuple() {
        let g = IsnGenerator::from_random(&mut SplitMix64::new(1));
        let now = Instant::from_millis(5);
        let base = g.isn(now, addr(1, 80), addr(2, 40_000));
        let variants = [
            g.isn(now, addr(1, 80), addr(2, 40_001)),
            g.isn(now, addr(1, 81), addr(2, 40_000)),
            g.isn(now, addr(3, 80), addr(2, 40_000)),
            g.isn(now, addr(1, 80), addr(3, 40_000)),
            // Swapping the sides is a different connection.
            g.isn(now, addr(2, 40_000), addr(1, 80)),
        ];
        for v in variants {
            assert_ne!(v, base);
        }
        // Same tuple, same time: same ISN.
        assert_eq!(g.isn(now, addr(1, 80), addr(2, 40_000)), base);
        // A different key gives a different ISN.
        let other = IsnGenerator::from_random(&mut SplitMix64::new(2));
        assert_ne!(other.isn(now, addr(1, 80), addr(2, 40_000)), base);
    }

    #[test]
    fn isn_advances_with_the_4us_clock() {
        let g = IsnGenerator::new(reference_key());
        let (l, r) = (addr(1, 80), addr(2, 40_000));
        let t0 = Instant::from_micros(1_000_000);
        let base = g.isn(t0, l, r);
        assert_eq!(g.isn(Instant::from_micros(1_000_003), l, r), base);
        assert_eq!(g.isn(Instant::from_micros(1_000_004), l, r), base + 1);
        assert_eq!(
            g.isn(Instant::from_micros(2_000_000), l, r),
            base.wrapping_add(250_000)
        );
        // The clock wraps after 2^32 ticks (about 4.77 hours).
        let wrap = Instant::from_micros(1_000_000 + 4 * (1u64 << 32));
        assert_eq!(g.isn(wrap, l, r), base);
    }

    #[test]
    fn isn_offsets_look_uniform() {
        // Top bits of F over many ports should hit every bucket.
        let g = IsnGenerator::from_random(&mut SplitMix64::new(3));
        let mut buckets = [0u32; 16];
        for port in 0..4096u16 {
            let isn = g.isn(Instant::ZERO, addr(1, 80), addr(2, port));
            buckets[(isn >> 28) as usize] += 1;
        }
        assert!(
            buckets.iter().all(|&n| (160..=352).contains(&n)),
            "{buckets:?}"
        );
    }
}
