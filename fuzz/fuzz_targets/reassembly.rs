#![no_main]
//! Reassembly: arbitrary sequences of fragments into a reassembler with
//! small caps never panic, never exceed a cap, and every completed datagram
//! is consistent (payload length = header length, offset 0, MF clear,
//! within the size limit); every timed-out first fragment parses.
//!
//! Fragments are mostly built from structured pieces (a few datagram keys,
//! small offsets so they overlap, bytes from a per-datagram pattern so
//! overlaps usually agree and datagrams complete) to reach deep states;
//! some are raw bytes.

use arbitrary::{Arbitrary, Unstructured};
use core::net::Ipv4Addr;
use strata_core::time::{Duration, Instant};
use strata_ipv4::options::Options;
use strata_ipv4::reassembly::{Reassembler, ReassemblyConfig, ReassemblyOutcome};
use strata_ipv4::{Packet, Protocol, Repr};

#[derive(Arbitrary, Debug)]
enum Step {
    Piece {
        key: u8,
        /// Offset in 8-byte units; small values overlap more.
        offset: u16,
        far: bool,
        /// Payload length in bytes.
        len: u16,
        more: bool,
        /// XOR into the pattern: 0 (most of the time) agrees with it.
        corrupt: u8,
        options: Option<Options>,
    },
    Raw(Vec<u8>),
    Advance(u16),
}

fn config(u: &mut Unstructured<'_>) -> arbitrary::Result<ReassemblyConfig> {
    Ok(ReassemblyConfig {
        timeout: Duration::from_millis(u.int_in_range(1..=5000)?),
        max_datagram: u.int_in_range(68..=70_000)?,
        max_per_source: u.int_in_range(0..=20_000)?,
        max_total: u.int_in_range(0..=40_000)?,
        max_pending: u.int_in_range(0..=8)?,
    })
}

fn piece(
    key: u8,
    offset: u16,
    far: bool,
    len: u16,
    more: bool,
    corrupt: u8,
    options: Option<Options>,
) -> Option<Vec<u8>> {
    let k = key % 6;
    let mut repr = Repr::new(
        Ipv4Addr::new(198, 18, 0, k % 3),
        Ipv4Addr::new(198, 18, 1, 1),
        Protocol(17),
        0,
    );
    repr.identification = u16::from(k);
    let units = if far { offset % 8192 } else { offset % 64 };
    repr.fragment_offset = units;
    repr.more_fragments = more;
    if let Some(options) = options {
        repr.options = options;
    }
    let len = usize::from(len % 1500);
    repr.payload_len = len;
    let start = usize::from(units) * 8;
    let mut buf = vec![0u8; repr.total_len()];
    for (i, b) in buf.get_mut(repr.header_len()..)?.iter_mut().enumerate() {
        let at = start + i;
        *b = (at as u8).wrapping_mul(13).wrapping_add(k) ^ corrupt;
    }
    repr.emit(&mut buf).ok()?;
    Some(buf)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(config) = config(&mut u) else { return };
    let mut r = Reassembler::new(config);
    let mut now = Instant::ZERO;
    let limit = config.max_datagram.min(65535);
    for _ in 0..512 {
        if u.is_empty() {
            break;
        }
        let Ok(step) = u.arbitrary::<Step>() else {
            break;
        };
        let bytes = match step {
            Step::Piece {
                key,
                offset,
                far,
                len,
                more,
                corrupt,
                options,
            } => {
                let corrupt = if corrupt < 224 { 0 } else { corrupt };
                match piece(key, offset, far, len, more, corrupt, options) {
                    Some(bytes) => bytes,
                    None => continue,
                }
            }
            Step::Raw(bytes) => bytes,
            Step::Advance(ms) => {
                now += Duration::from_millis(u64::from(ms));
                for expired in r.handle_timeout(now) {
                    if let Some(first) = expired.first_fragment {
                        let packet = Packet::parse(&first[..]).expect("first fragment parses");
                        assert_eq!(packet.fragment_offset(), 0);
                        assert!(packet.more_fragments());
                        assert_eq!(packet.packet_bytes().len(), first.len());
                    }
                }
                if let Some(at) = r.poll_timeout() {
                    assert!(at > now);
                }
                continue;
            }
        };
        let Ok(packet) = Packet::parse(&bytes[..]) else {
            continue;
        };
        let src = packet.src();
        match r.insert(now, &packet) {
            ReassemblyOutcome::Complete(whole) => {
                assert_eq!(whole.payload.len(), whole.header.payload_len);
                assert_eq!(whole.header.fragment_offset, 0);
                assert!(!whole.header.more_fragments);
                assert!(whole.header.total_len() <= limit);
            }
            ReassemblyOutcome::Held | ReassemblyOutcome::Dropped(_) => {}
        }
        assert!(r.memory() <= config.max_total);
        assert!(r.memory_of(src) <= config.max_per_source);
        assert!(r.pending() <= config.max_pending);
    }
    // Everything expires, and the accounting returns to zero.
    let _ = r.handle_timeout(now + config.timeout);
    assert_eq!((r.pending(), r.memory()), (0, 0));
});
