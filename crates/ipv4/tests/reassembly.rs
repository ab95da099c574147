//! Reassembly: real Linux fragments, every arrival order, round trips with
//! `fragment`, overlap and teardrop-style attacks, caps under a flood, and
//! timeouts.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use core::net::Ipv4Addr;
use std::collections::BTreeMap;

use proptest::prelude::*;
use strata_core::checksum::checksum;
use strata_core::time::{Duration, Instant};
use strata_ipv4::fragment::fragment;
use strata_ipv4::options::{Ipv4Option, Options};
use strata_ipv4::reassembly::{
    Reassembled, Reassembler, ReassemblyConfig, ReassemblyDrop, ReassemblyOutcome, TimedOut,
};
use strata_ipv4::{Packet, Protocol, Repr};

const SRC: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const DST: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

fn header(id: u16, payload_len: usize) -> Repr {
    let mut h = Repr::new(SRC, DST, Protocol::UDP, payload_len);
    h.identification = id;
    h
}

/// A fragment of the datagram `base` describes: `data` at byte `offset`.
fn frag(base: &Repr, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    assert_eq!(offset % 8, 0);
    let mut repr = *base;
    repr.fragment_offset = (offset / 8) as u16;
    repr.more_fragments = more;
    repr.payload_len = data.len();
    if offset != 0 {
        repr.options = Options::EMPTY;
    }
    let mut buf = vec![0u8; repr.total_len()];
    buf[repr.header_len()..].copy_from_slice(data);
    repr.emit(&mut buf).unwrap();
    buf
}

fn insert(r: &mut Reassembler, now: Instant, bytes: &[u8]) -> ReassemblyOutcome {
    let outcome = r.insert(now, &Packet::parse_verified(bytes).unwrap());
    let config = *r.config();
    assert!(r.memory() <= config.max_total);
    assert!(r.pending() <= config.max_pending);
    outcome
}

fn complete(outcome: ReassemblyOutcome) -> Reassembled {
    match outcome {
        ReassemblyOutcome::Complete(whole) => whole,
        other => panic!("expected a complete datagram, got {other:?}"),
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The IPv4 packets in a pcap file (Ethernet link type), read without a
/// pcap library: a 24-byte file header, then 16-byte record headers.
fn pcap_ipv4(file: &[u8]) -> Vec<Vec<u8>> {
    let magic = u32::from_le_bytes(file[..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => panic!("not a pcap file"),
    };
    let u32_at = |b: &[u8]| {
        let a: [u8; 4] = b.try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    assert_eq!(u32_at(&file[20..24]), 1, "Ethernet link type");
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let caplen = u32_at(&file[at + 8..at + 12]) as usize;
        let frame = &file[at + 16..at + 16 + caplen];
        at += 16 + caplen;
        if frame[12..14] == [0x08, 0x00] {
            packets.push(frame[14..].to_vec());
        }
    }
    packets
}

#[test]
fn linux_fragments_reassemble() {
    let packets = pcap_ipv4(include_bytes!("data/fragments.pcap"));
    assert_eq!(packets.len(), 17);
    for reverse in [false, true] {
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut done = Vec::new();
        let mut quote = None;
        let mut ordered: Vec<&Vec<u8>> = packets.iter().collect();
        if reverse {
            // Fragments of each datagram last first: reverse within runs of
            // the same identification.
            ordered.clear();
            for group in packets.chunk_by(|a, b| a[4..6] == b[4..6]) {
                ordered.extend(group.iter().rev());
            }
        }
        for bytes in ordered {
            let packet = Packet::parse_verified(&bytes[..]).unwrap();
            if !packet.is_fragment() {
                // Linux's port unreachable, quoting the reassembled UDP
                // datagram's header.
                assert_eq!(packet.protocol(), Protocol::ICMP);
                let quoted = Packet::parse_quoted(&packet.payload()[8..]).unwrap();
                quote = Some(Repr::parse(&quoted).unwrap());
                continue;
            }
            match r.insert(Instant::ZERO, &packet) {
                ReassemblyOutcome::Held => {}
                ReassemblyOutcome::Complete(whole) => done.push(whole),
                ReassemblyOutcome::Dropped(why) => panic!("{why}"),
            }
        }
        assert_eq!(r.pending(), 0);
        assert_eq!(r.memory(), 0);
        // Two echo requests and two replies of 3000 data bytes, one UDP
        // datagram of 5000.
        assert_eq!(done.len(), 5);
        for whole in &done[..4] {
            assert_eq!(whole.header.protocol, Protocol::ICMP);
            assert_eq!(whole.payload.len(), 8 + 3000);
            assert_eq!(
                checksum(&whole.payload),
                0,
                "ICMP checksum over the whole message"
            );
            assert!(!whole.header.more_fragments);
            assert_eq!(whole.header.fragment_offset, 0);
        }
        let udp = &done[4];
        assert_eq!(udp.header.protocol, Protocol::UDP);
        assert_eq!(udp.payload.len(), 5008);
        let data: Vec<u8> = (0..5000usize).map(|i| ((i * 7 + 3) & 0xff) as u8).collect();
        assert_eq!(&udp.payload[8..], &data[..]);
        assert_eq!(u16::from_be_bytes([udp.payload[4], udp.payload[5]]), 5008);
        // Linux reassembled the same datagram: its quote carries our header.
        assert_eq!(quote, Some(udp.header));
        // And the header rebuilds to 5028 bytes.
        let mut buf = vec![0u8; udp.header.total_len()];
        buf[udp.header.header_len()..].copy_from_slice(&udp.payload);
        udp.header.emit(&mut buf).unwrap();
        assert_eq!(buf.len(), 5028);
    }
}

#[test]
fn fragmenting_linux_datagrams_gives_linux_fragments() {
    // Reassemble each captured datagram, fragment it again for the veth's
    // MTU, and compare with what Linux sent, byte for byte.
    let packets = pcap_ipv4(include_bytes!("data/fragments.pcap"));
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let mut sent: Vec<&Vec<u8>> = Vec::new();
    let mut checked = 0;
    for bytes in &packets {
        let packet = Packet::parse_verified(&bytes[..]).unwrap();
        if !packet.is_fragment() {
            continue;
        }
        sent.push(bytes);
        if let ReassemblyOutcome::Complete(whole) = r.insert(Instant::ZERO, &packet) {
            let ours = fragments(&whole.header, &whole.payload, 1500);
            let theirs: Vec<Vec<u8>> = sent.drain(..).cloned().collect();
            assert_eq!(ours, theirs);
            checked += 1;
        }
    }
    assert_eq!(checked, 5);
}

#[test]
fn unfragmented_packet_passes_straight_through() {
    let h = header(1, 100);
    let bytes = frag(&h, 0, false, &pattern(100, 1));
    let whole = complete(insert(
        &mut Reassembler::new(ReassemblyConfig::default()),
        Instant::ZERO,
        &bytes,
    ));
    assert_eq!(whole.header, h);
    assert_eq!(whole.payload, pattern(100, 1));
}

#[test]
fn identical_duplicates_and_agreeing_overlaps_are_accepted() {
    let h = header(7, 64);
    let data = pattern(64, 9);
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let t = Instant::ZERO;
    assert_eq!(
        insert(&mut r, t, &frag(&h, 8, true, &data[8..24])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 8, true, &data[8..24])),
        ReassemblyOutcome::Held
    );
    // Teardrop shape: a fragment entirely inside another, agreeing.
    assert_eq!(
        insert(&mut r, t, &frag(&h, 16, true, &data[16..24])),
        ReassemblyOutcome::Held
    );
    // Overlapping both sides of the held range, agreeing.
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data[0..32])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 48, false, &data[48..])),
        ReassemblyOutcome::Held
    );
    let whole = complete(insert(&mut r, t, &frag(&h, 24, true, &data[24..56])));
    assert_eq!(whole.payload, data);
    assert_eq!(whole.header, h);
    assert_eq!((r.pending(), r.memory()), (0, 0));
}

#[test]
fn disagreeing_overlap_drops_the_datagram() {
    // RFC 5722-style: the second fragment rewrites bytes the first carried
    // (here, where a transport header's ports would be).
    let h = header(8, 48);
    let data = pattern(48, 3);
    let mut evil = data[8..24].to_vec();
    evil[0] ^= 0xff;
    let mut r = Reassembler::new(ReassemblyConfig::default());
    let t = Instant::ZERO;
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data[..16])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 8, true, &evil)),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Overlap { offset: 8, len: 16 })
    );
    assert!(ReassemblyDrop::Overlap { offset: 8, len: 16 }.dropped_datagram());
    assert_eq!((r.pending(), r.memory()), (0, 0));
    // The rest starts afresh and cannot complete without the first part.
    assert_eq!(
        insert(&mut r, t, &frag(&h, 16, false, &data[16..])),
        ReassemblyOutcome::Held
    );
    assert_eq!(r.pending(), 1);

    // A disagreeing fragment entirely inside a held one (teardrop shape).
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data[..32])),
        ReassemblyOutcome::Held
    );
    assert!(matches!(
        insert(&mut r, t, &frag(&h, 16, true, &[0u8; 8])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Overlap { offset: 16, len: 8 })
    ));
    assert_eq!((r.pending(), r.memory()), (0, 0));

    // Disagreement in the last byte of an overlap spanning two held ranges.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data[..8])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 16, true, &data[16..24])),
        ReassemblyOutcome::Held
    );
    let mut bad = data[..24].to_vec();
    bad[23] ^= 1;
    assert!(matches!(
        insert(&mut r, t, &frag(&h, 0, true, &bad)),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Overlap { .. })
    ));
    assert_eq!(r.pending(), 0);
}

#[test]
fn inconsistent_ends_drop_the_datagram() {
    let h = header(9, 64);
    let data = pattern(64, 5);
    let t = Instant::ZERO;
    // Two last fragments with different ends.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 32, false, &data[32..])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 32, false, &data[32..48])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Inconsistent { end: 64, found: 48 })
    );
    assert_eq!((r.pending(), r.memory()), (0, 0));
    // Data past the end a last fragment set.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 32, false, &data[32..])),
        ReassemblyOutcome::Held
    );
    assert!(matches!(
        insert(&mut r, t, &frag(&h, 64, true, &data[..8])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Inconsistent { end: 64, found: 72 })
    ));
    assert_eq!(r.pending(), 0);
    // A last fragment ending before data already held.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data)),
        ReassemblyOutcome::Held
    );
    assert!(matches!(
        insert(&mut r, t, &frag(&h, 40, false, &data[40..48])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::Inconsistent { end: 64, found: 48 })
    ));
    assert_eq!(r.pending(), 0);
    // The same last fragment twice is a harmless duplicate.
    let mut r = Reassembler::new(ReassemblyConfig::default());
    assert_eq!(
        insert(&mut r, t, &frag(&h, 32, false, &data[32..])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 32, false, &data[32..])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        complete(insert(&mut r, t, &frag(&h, 0, true, &data[..32]))).payload,
        data
    );
}

#[test]
fn tiny_and_malformed_fragments_are_dropped() {
    let h = header(10, 64);
    let t = Instant::ZERO;
    let mut r = Reassembler::new(ReassemblyConfig::default());
    // Not the last, yet empty or not a multiple of 8.
    for data in [&[][..], &[1u8; 7][..], &[1u8; 12][..]] {
        assert_eq!(
            insert(&mut r, t, &frag(&h, 8, true, data)),
            ReassemblyOutcome::Dropped(ReassemblyDrop::Malformed)
        );
    }
    assert_eq!((r.pending(), r.memory()), (0, 0));
    // An empty last fragment is legal: it only says where the end is.
    let data = pattern(16, 2);
    assert_eq!(
        insert(&mut r, t, &frag(&h, 16, false, &[])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 8, true, &data[8..])),
        ReassemblyOutcome::Held
    );
    let whole = complete(insert(&mut r, t, &frag(&h, 0, true, &data[..8])));
    assert_eq!(whole.payload, data);
    assert_eq!(whole.header.payload_len, 16);
    // Tiny 8-byte fragments all the way (the classic tiny-fragment attack
    // splits a TCP header this way): still consistent, so it reassembles.
    let data = pattern(40, 4);
    for (i, chunk) in data.chunks(8).enumerate().rev() {
        let outcome = insert(&mut r, t, &frag(&h, i * 8, i < 4, chunk));
        if i == 0 {
            assert_eq!(complete(outcome).payload, data);
        } else {
            assert_eq!(outcome, ReassemblyOutcome::Held);
        }
    }
}

#[test]
fn oversized_datagrams_are_dropped() {
    let t = Instant::ZERO;
    let h = header(11, 0);
    let mut r = Reassembler::new(ReassemblyConfig::default());
    // The last possible offset plus 16 bytes: 65528 + 16 + 20 > 65535.
    assert_eq!(
        insert(&mut r, t, &frag(&h, 65528, false, &[0; 16])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::TooBig)
    );
    assert_eq!(r.pending(), 0);
    // 65515 payload bytes with a 20-byte header just fit...
    assert_eq!(
        insert(&mut r, t, &frag(&h, 65512, false, &[0; 3])),
        ReassemblyOutcome::Held
    );
    // ...but not once the first fragment brings options.
    let mut with_options = h;
    with_options
        .options
        .push(&Ipv4Option::RouterAlert(0))
        .unwrap();
    assert_eq!(
        insert(&mut r, t, &frag(&with_options, 0, true, &[0; 8])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::TooBig)
    );
    assert_eq!((r.pending(), r.memory()), (0, 0));
    // A smaller configured limit.
    let mut r = Reassembler::new(ReassemblyConfig {
        max_datagram: 1500,
        ..ReassemblyConfig::default()
    });
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &[0; 1000])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t, &frag(&h, 1000, false, &[0; 496])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::TooBig)
    );
    assert_eq!(r.pending(), 0);
}

#[test]
fn timeouts_report_the_first_fragment() {
    let config = ReassemblyConfig::default();
    assert_eq!(config.timeout, Duration::from_secs(30));
    let mut r = Reassembler::new(config);
    let a = header(20, 64);
    let b = header(21, 64);
    let data = pattern(64, 1);
    let first = frag(&a, 0, true, &data[..32]);
    let t0 = Instant::from_millis(1000);
    let t1 = Instant::from_millis(2000);
    assert_eq!(insert(&mut r, t0, &first), ReassemblyOutcome::Held);
    assert_eq!(
        insert(&mut r, t1, &frag(&b, 32, false, &data[32..])),
        ReassemblyOutcome::Held
    );
    // A later fragment does not extend the deadline.
    assert_eq!(
        insert(&mut r, t1, &frag(&a, 40, true, &data[40..48])),
        ReassemblyOutcome::Held
    );
    assert_eq!(r.poll_timeout(), Some(t0 + config.timeout));
    assert!(
        r.handle_timeout(t0 + config.timeout - Duration::from_micros(1))
            .is_empty()
    );
    assert_eq!(r.pending(), 2);

    let expired = r.handle_timeout(t0 + config.timeout);
    let mut whole_first = a;
    whole_first.more_fragments = true;
    whole_first.payload_len = 32;
    assert_eq!(
        expired,
        vec![TimedOut {
            header: whole_first,
            first_fragment: Some(first.clone()),
        }]
    );
    assert_eq!(r.poll_timeout(), Some(t1 + config.timeout));
    let expired = r.handle_timeout(Instant::from_millis(1_000_000));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].first_fragment, None);
    assert_eq!(expired[0].header.identification, 21);
    assert_eq!(expired[0].header.fragment_offset, 4);
    assert_eq!((r.pending(), r.memory(), r.poll_timeout()), (0, 0, None));

    // The first fragment is rebuilt as it arrived even when earlier
    // fragments covered parts of it.
    let mut r = Reassembler::new(config);
    assert_eq!(
        insert(&mut r, t0, &frag(&a, 8, true, &data[8..16])),
        ReassemblyOutcome::Held
    );
    assert_eq!(
        insert(&mut r, t0, &frag(&a, 24, true, &data[24..40])),
        ReassemblyOutcome::Held
    );
    assert_eq!(insert(&mut r, t0, &first), ReassemblyOutcome::Held);
    let expired = r.handle_timeout(t0 + config.timeout);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].first_fragment.as_deref(), Some(&first[..]));
    assert_eq!(expired[0].header, whole_first);

    // A configurable timeout.
    let mut r = Reassembler::new(ReassemblyConfig {
        timeout: Duration::from_secs(60),
        ..config
    });
    assert_eq!(insert(&mut r, t0, &first), ReassemblyOutcome::Held);
    assert_eq!(r.poll_timeout(), Some(t0 + Duration::from_secs(60)));
    // A completed datagram leaves no timer behind.
    assert!(matches!(
        insert(&mut r, t1, &frag(&a, 32, false, &data[32..])),
        ReassemblyOutcome::Complete(_)
    ));
    assert_eq!(r.poll_timeout(), None);
}

#[test]
fn caps_refuse_new_fragments() {
    let t = Instant::ZERO;
    let config = ReassemblyConfig {
        max_pending: 3,
        max_per_source: 6000,
        max_total: 12_000,
        ..ReassemblyConfig::default()
    };
    let mut r = Reassembler::new(config);
    let data = [0u8; 1480];
    // Pending cap.
    for id in 0..3 {
        assert_eq!(
            insert(&mut r, t, &frag(&header(id, 0), 0, true, &data[..8])),
            ReassemblyOutcome::Held
        );
    }
    assert_eq!(
        insert(&mut r, t, &frag(&header(3, 0), 0, true, &data[..8])),
        ReassemblyOutcome::Dropped(ReassemblyDrop::PendingCap)
    );
    // But fragments of pending datagrams still get in.
    assert_eq!(
        insert(&mut r, t, &frag(&header(2, 0), 8, true, &data[..8])),
        ReassemblyOutcome::Held
    );
    let _ = r.handle_timeout(Instant::from_millis(1_000_000));
    assert_eq!(r.memory(), 0);

    // Per-source cap: one source fills its share...
    let mut outcomes = Vec::new();
    for i in 0..8 {
        outcomes.push(insert(
            &mut r,
            t,
            &frag(&header(0, 0), i * 1480, true, &data),
        ));
    }
    assert_eq!(
        outcomes[..3],
        [
            ReassemblyOutcome::Held,
            ReassemblyOutcome::Held,
            ReassemblyOutcome::Held
        ]
    );
    assert_eq!(
        outcomes[7],
        ReassemblyOutcome::Dropped(ReassemblyDrop::SourceCap)
    );
    assert!(!ReassemblyDrop::SourceCap.dropped_datagram());
    assert!(r.memory_of(SRC) <= 6000);
    // ...while another source is still served.
    let mut other = header(0, 0);
    other.src = Ipv4Addr::new(198, 18, 0, 9);
    assert_eq!(
        insert(&mut r, t, &frag(&other, 0, true, &data)),
        ReassemblyOutcome::Held
    );
    // A duplicate costs nothing, so it is accepted even at the cap.
    assert_eq!(
        insert(&mut r, t, &frag(&header(0, 0), 0, true, &data)),
        ReassemblyOutcome::Held
    );

    // Total cap: many sources, each under its own cap.
    let mut r = Reassembler::new(ReassemblyConfig {
        max_total: 12_000,
        ..ReassemblyConfig::default()
    });
    let mut outcomes = Vec::new();
    for s in 10..20 {
        let mut h = header(0, 0);
        h.src = Ipv4Addr::new(198, 18, 0, s);
        outcomes.push(insert(&mut r, t, &frag(&h, 0, true, &data)));
    }
    assert_eq!(outcomes[0], ReassemblyOutcome::Held);
    assert_eq!(
        outcomes[9],
        ReassemblyOutcome::Dropped(ReassemblyDrop::TotalCap)
    );
    let held = outcomes
        .iter()
        .filter(|o| **o == ReassemblyOutcome::Held)
        .count();
    assert!(r.memory() <= 12_000);
    assert_eq!(r.pending(), held);
    // Completing a datagram frees its memory for others.
    let mut h = header(0, 0);
    h.src = Ipv4Addr::new(198, 18, 0, 10);
    let before = r.memory();
    assert!(matches!(
        insert(&mut r, t, &frag(&h, 1480, false, &data[..8])),
        ReassemblyOutcome::Complete(_)
    ));
    assert!(r.memory() < before);
    let mut h = header(0, 0);
    h.src = Ipv4Addr::new(198, 18, 0, 19);
    assert_eq!(
        insert(&mut r, t, &frag(&h, 0, true, &data)),
        ReassemblyOutcome::Held
    );
}

/// A small xorshift, so the flood test needs no proptest shrinking.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Feeds `n` random fragments (a quarter from one hot source when `hot`)
/// and checks the caps after every one; returns how often each drop
/// reason came up.
fn flood(config: ReassemblyConfig, seed: u64, n: u32, hot: bool) -> BTreeMap<String, usize> {
    let mut r = Reassembler::new(config);
    let mut rng = Rng(seed);
    let mut now = Instant::ZERO;
    let mut buf = vec![0u8; 1500];
    let mut reasons = BTreeMap::<String, usize>::new();
    let mut expired = 0;
    for i in 0..n {
        now += Duration::from_micros(rng.below(2000));
        let mut h = header(rng.below(64) as u16, 0);
        let source = if hot && rng.below(4) == 0 {
            0
        } else {
            rng.below(16) as u8
        };
        h.src = Ipv4Addr::new(198, 18, source, 1);
        h.protocol = Protocol(rng.below(3) as u8 + 1);
        let offset = (rng.below(8192) as usize) * 8;
        let len = if rng.below(2) == 0 {
            rng.below(185) as usize * 8
        } else {
            rng.below(1480) as usize
        };
        let more = rng.below(4) != 0;
        let fill = rng.below(3) as u8;
        for (j, b) in buf[..len].iter_mut().enumerate() {
            *b = fill ^ (j as u8);
        }
        let bytes = frag(&h, offset, more, &buf[..len]);
        let name = match insert(&mut r, now, &bytes) {
            ReassemblyOutcome::Held => "Held".to_string(),
            ReassemblyOutcome::Complete(whole) => {
                assert_eq!(whole.payload.len(), whole.header.payload_len);
                "Complete".to_string()
            }
            ReassemblyOutcome::Dropped(d) => format!("{d:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_string(),
        };
        *reasons.entry(name).or_insert(0) += 1;
        assert!(r.memory() <= config.max_total, "at fragment {i}");
        assert!(r.memory_of(h.src) <= config.max_per_source);
        assert!(r.pending() <= config.max_pending);
        if i % 100 == 0 {
            expired += r.handle_timeout(now).len();
            assert!(r.poll_timeout().is_none_or(|at| at > now));
        }
    }
    // Nothing outlives the timeout, and the accounting returns to zero.
    expired += r.handle_timeout(now + config.timeout).len();
    assert!(expired > 0);
    assert_eq!((r.pending(), r.memory(), r.poll_timeout()), (0, 0, None));
    reasons
}

#[test]
fn flood_of_random_fragments_stays_within_caps() {
    let base = ReassemblyConfig::default();
    // Three floods of about 33k fragments, each bound by a different cap.
    let pending = flood(
        ReassemblyConfig {
            max_pending: 20,
            ..base
        },
        0x9e37_79b9_7f4a_7c15,
        33_334,
        false,
    );
    let per_source = flood(
        ReassemblyConfig {
            max_per_source: 16 * 1024,
            max_pending: 100_000,
            ..base
        },
        0x2545_f491_4f6c_dd1d,
        33_333,
        true,
    );
    let total = flood(
        ReassemblyConfig {
            max_total: 128 * 1024,
            max_pending: 100_000,
            ..base
        },
        0x1405_7b7e_f767_814f,
        33_333,
        false,
    );
    assert!(pending.contains_key("PendingCap"), "{pending:?}");
    assert!(per_source.contains_key("SourceCap"), "{per_source:?}");
    assert!(total.contains_key("TotalCap"), "{total:?}");
    let mut all = pending;
    for (k, v) in per_source.into_iter().chain(total) {
        *all.entry(k).or_insert(0) += v;
    }
    for reason in ["Held", "Overlap", "Inconsistent", "TooBig", "Malformed"] {
        assert!(all.contains_key(reason), "{reason} never happened: {all:?}");
    }
}

/// Options some of which are copied into later fragments.
fn options() -> impl Strategy<Value = Options> {
    proptest::collection::vec(0u8..5, 0..4).prop_map(|kinds| {
        let mut options = Options::EMPTY;
        let data = [198u8, 18, 0, 1];
        for k in kinds {
            let option = match k {
                0 => Ipv4Option::RouterAlert(0),
                1 => Ipv4Option::Security(&data),
                2 => Ipv4Option::Nop,
                3 => Ipv4Option::RecordRoute(strata_ipv4::options::Route {
                    pointer: 4,
                    data: &data,
                }),
                _ => Ipv4Option::LooseSourceRoute(strata_ipv4::options::Route {
                    pointer: 4,
                    data: &data,
                }),
            };
            let _ = options.push(&option);
        }
        options
    })
}

fn datagram() -> impl Strategy<Value = (Repr, Vec<u8>)> {
    (
        any::<u16>(),
        any::<u8>(),
        1usize..9000,
        options(),
        any::<u8>(),
    )
        .prop_map(|(id, protocol, len, options, seed)| {
            let mut h = header(id, len);
            h.protocol = Protocol(protocol);
            h.options = options;
            (h, pattern(len, seed))
        })
}

/// The fragment packets of a datagram for an MTU, via `fragment`.
fn fragments(h: &Repr, payload: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    fragment(h, payload, mtu)
        .unwrap()
        .map(|(repr, range)| {
            let mut buf = vec![0u8; repr.total_len()];
            buf[repr.header_len()..].copy_from_slice(&payload[range]);
            repr.emit(&mut buf).unwrap();
            assert!(buf.len() <= mtu);
            buf
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_arrival_order_gives_the_same_datagram(
        (h, payload) in datagram(),
        mtu in 68usize..1600,
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        seed in any::<u64>(),
    ) {
        let pieces = fragments(&h, &payload, mtu);
        // A permutation with some duplicates mixed in.
        let mut sequence: Vec<usize> = (0..pieces.len()).collect();
        for d in &dups {
            sequence.push(d.index(pieces.len()));
        }
        let mut rng = Rng(seed | 1);
        for i in (1..sequence.len()).rev() {
            sequence.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut done = 0;
        // Pieces seen since the last completion: a duplicate arriving after
        // it starts a new datagram.
        let mut seen = vec![false; pieces.len()];
        for i in sequence {
            seen[i] = true;
            let outcome = insert(&mut r, Instant::ZERO, &pieces[i]);
            if seen.iter().all(|&s| s) {
                let whole = complete(outcome);
                prop_assert_eq!(whole.header, h);
                prop_assert_eq!(&whole.payload, &payload);
                done += 1;
                seen.iter_mut().for_each(|s| *s = false);
            } else {
                prop_assert_eq!(outcome, ReassemblyOutcome::Held);
            }
        }
        prop_assert!(done >= 1);
    }

    #[test]
    fn agreeing_overlapping_pieces_reassemble(
        (h, payload) in datagram(),
        cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..20),
        seed in any::<u64>(),
    ) {
        // Random 8-aligned ranges, overlapping each other, plus a cover of
        // the whole so it can complete; in a random order.
        let units = payload.len().div_ceil(8);
        let mut ranges: Vec<(usize, usize)> = cuts
            .iter()
            .map(|(a, b)| {
                let a = a.index(units);
                let b = b.index(units);
                (a.min(b) * 8, ((a.max(b) + 1) * 8).min(payload.len()))
            })
            .collect();
        let mut at = 0;
        while at < payload.len() {
            let end = (at + 8 * (1 + (seed as usize + at) % 97)).min(payload.len());
            ranges.push((at, end));
            at = end;
        }
        let mut rng = Rng(seed | 1);
        for i in (1..ranges.len()).rev() {
            ranges.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut result = None;
        for (start, end) in ranges {
            let bytes = frag(&h, start, end != payload.len(), &payload[start..end]);
            match insert(&mut r, Instant::ZERO, &bytes) {
                ReassemblyOutcome::Complete(whole) => {
                    if result.is_none() {
                        result = Some(whole);
                    }
                }
                ReassemblyOutcome::Held => {}
                ReassemblyOutcome::Dropped(why) => prop_assert!(false, "{}", why),
            }
        }
        let whole = result.unwrap();
        prop_assert_eq!(whole.header, h);
        prop_assert_eq!(whole.payload, payload);
    }

    #[test]
    fn fragment_then_reassemble_round_trips(
        (h, payload) in datagram(),
        mtu in 68usize..9100,
    ) {
        let pieces = fragments(&h, &payload, mtu);
        let copied = strata_ipv4::fragment::copied_options(&h.options);
        let mut r = Reassembler::new(ReassemblyConfig::default());
        let mut expected_offset = 0;
        for (i, bytes) in pieces.iter().enumerate() {
            let packet = Packet::parse_verified(&bytes[..]).unwrap();
            let last = i + 1 == pieces.len();
            prop_assert_eq!(usize::from(packet.fragment_offset_bytes()), expected_offset);
            prop_assert_eq!(packet.more_fragments(), !last);
            prop_assert_eq!(packet.identification(), h.identification);
            if !last {
                prop_assert_eq!(packet.payload().len() % 8, 0);
            }
            let options = if i == 0 { h.options } else { copied };
            prop_assert_eq!(packet.options_bytes(), options.as_bytes());
            expected_offset += packet.payload().len();
            let outcome = r.insert(Instant::ZERO, &packet);
            if last {
                let whole = complete(outcome);
                prop_assert_eq!(whole.header, h);
                prop_assert_eq!(&whole.payload, &payload);
            } else {
                prop_assert_eq!(outcome, ReassemblyOutcome::Held);
            }
        }
        prop_assert_eq!(expected_offset, payload.len());
        prop_assert_eq!(pieces.len() == 1, h.total_len() <= mtu);
    }
}
