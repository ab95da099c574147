//! Reading captures: the committed files read completely and agree with
//! each other, and damaged files (random bytes flipped, cut anywhere) give
//! frames or a `CaptureError`, never a panic.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::time::Duration;

use strata::capture::{CaptureError, CaptureReader, CapturedFrame, Format};
use strata::decode::{LINKTYPE_ETHERNET, dissect_frame};

fn read_all(path: &std::path::Path) -> Result<Vec<CapturedFrame>, CaptureError> {
    CaptureReader::open(path)?.collect()
}

#[test]
fn committed_captures_read_completely() {
    for name in common::CAPTURES {
        let path = common::data_dir().join(name);
        let reader = CaptureReader::open(&path).unwrap();
        let expected = if name.ends_with(".pcapng") {
            Format::PcapNg
        } else {
            Format::Pcap
        };
        assert_eq!(reader.format(), expected);
        let frames: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert!(!frames.is_empty());
        for (i, f) in frames.iter().enumerate() {
            assert_eq!(f.meta.number, i as u64 + 1);
            assert_eq!(f.meta.link_type, LINKTYPE_ETHERNET);
            assert_eq!(f.meta.orig_len as usize, f.data.len());
            // Captured on 2026-11-26, in the hour the script ran.
            assert!(f.meta.timestamp > Duration::from_secs(1_795_600_000));
            assert!(f.meta.timestamp < Duration::from_secs(1_795_800_000));
        }
    }
}

#[test]
fn pcapng_merge_keeps_every_frame_and_time() {
    let mut separate = Vec::new();
    for name in [
        "arp-icmp.pcap",
        "tcp-http.pcap",
        "udp.pcap",
        "tcp-rst.pcap",
        "vlan.pcap",
        "edge.pcap",
    ] {
        separate.extend(read_all(&common::data_dir().join(name)).unwrap());
    }
    let mixed = read_all(&common::data_dir().join("mixed.pcapng")).unwrap();
    assert_eq!(mixed.len(), separate.len());
    for (m, s) in mixed.iter().zip(&separate) {
        // pcapng's if_tsresol scaling gives back the pcap's microseconds.
        assert_eq!((m.meta.timestamp, &m.data), (s.meta.timestamp, &s.data));
    }
}

/// xorshift64*: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn damaged_captures_never_panic() {
    let dir = std::env::temp_dir().join(format!("strata-capture-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut ok, mut failed) = (0, 0);
    for name in [
        "udp.pcap",
        "tcp-rst.pcap",
        "vlan.pcap",
        "tcp-http.pcap",
        "tcp-http.pcapng",
    ] {
        let original = fs::read(common::data_dir().join(name)).unwrap();
        for round in 0..150 {
            let mut bytes = original.clone();
            // Flip a few bytes, favouring the headers where lengths live.
            for _ in 0..1 + rng.below(4) {
                let at = if rng.below(2) == 0 {
                    rng.below(bytes.len().min(64))
                } else {
                    rng.below(bytes.len())
                };
                bytes[at] ^= 1 << rng.below(8);
            }
            if round % 3 == 0 {
                bytes.truncate(rng.below(bytes.len() + 1));
            }
            let path = dir.join(name);
            fs::write(&path, &bytes).unwrap();
            match CaptureReader::open(&path) {
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    failed += 1;
                }
                Ok(reader) => {
                    for frame in reader {
                        match frame {
                            Ok(f) => {
                                let d = dissect_frame(&f.meta, &f.data);
                                let _ = (d.to_json(), d.tree());
                                ok += 1;
                            }
                            Err(e) => {
                                assert!(e.to_string().contains(&*path.to_string_lossy()));
                                failed += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    println!("damaged captures: {ok} frames dissected, {failed} clean errors");
    assert!(ok > 0 && failed > 0);
}

/// A big-endian, nanosecond pcap with a 60-byte snapshot length, written by
/// hand: the record's original length exceeds the snapshot length, which
/// must read (pcap-file's own packet API refuses it) and dissect as far as
/// the bytes go.
#[test]
fn snapped_big_endian_nanosecond_pcap() {
    let syn = read_all(&common::data_dir().join("tcp-http.pcap")).unwrap()[0]
        .data
        .clone();
    assert_eq!(syn.len(), 74);
    let mut file = Vec::new();
    file.extend(0xa1b2_3c4d_u32.to_be_bytes());
    file.extend(2u16.to_be_bytes());
    file.extend(4u16.to_be_bytes());
    file.extend(0i32.to_be_bytes());
    file.extend(0u32.to_be_bytes());
    file.extend(60u32.to_be_bytes());
    file.extend(1u32.to_be_bytes());
    file.extend(1_800_000_000u32.to_be_bytes());
    file.extend(123_456_789u32.to_be_bytes());
    file.extend(60u32.to_be_bytes());
    file.extend(74u32.to_be_bytes());
    file.extend(&syn[..60]);
    let dir = std::env::temp_dir().join(format!("strata-capture-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("snapped.pcap");
    fs::write(&path, &file).unwrap();

    let frames = read_all(&path).unwrap();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!((f.meta.orig_len, f.data.len()), (74, 60));
    assert_eq!(f.meta.timestamp, Duration::new(1_800_000_000, 123_456_789));

    let d = dissect_frame(&f.meta, &f.data);
    assert!(d.error.is_none(), "{:?}", d.error);
    let j = d.to_json();
    assert_eq!(j["frame.time_epoch"], "1800000000.123456789");
    assert_eq!(
        (j["frame.len"].clone(), j["frame.cap_len"].clone()),
        (74.into(), 60.into())
    );
    assert_eq!(j["ip.len"], 60);
    assert_eq!(j["ip.checksum.status"], "Good");
    // 26 of the SYN's 40 header bytes: the fixed header and the two options
    // that end by then (MSS, SACK-permitted); the timestamps are cut.
    assert_eq!(j["tcp.srcport"], 51032);
    assert_eq!(j["tcp.hdr_len"], 40);
    assert_eq!(j["tcp.len"], 0);
    assert_eq!(j["tcp.flags.syn"], true);
    assert_eq!(j["tcp.checksum.status"], "Unverified");
    assert_eq!(j["tcp.option_kind"], serde_json::json!([2, 4]));
    assert!(j.get("data.len").is_none());
    let tree = d.tree();
    assert!(
        tree.contains("    [Packet size limited during capture: 60 of 74 bytes]\n"),
        "{tree}"
    );
    assert!(
        tree.contains("    [Only 46 of 60 bytes present]\n"),
        "{tree}"
    );
    assert!(
        tree.contains("    [Header cut short: 26 of 40 bytes present]\n"),
        "{tree}"
    );

    // And as Wireshark reads the same file.
    if common::tshark_available() {
        let mut tally = common::Tally::default();
        let theirs = common::tshark_layers(&common::tshark_json(&path));
        let diffs = common::compare("snapped.pcap", &[j], &theirs, &mut tally);
        assert!(diffs.is_empty(), "{}", diffs.join("\n"));
        assert!(tally.compared["tcp.options.mss_val"] > 0);
    }
}
