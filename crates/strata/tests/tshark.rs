//! `strata decode --format json` against Wireshark, field by field, on real
//! Linux captures (see `tests/data/make-captures.sh`).
//!
//! The stored references (`*.tshark.json`) make the comparison run without
//! tshark; when tshark is installed, it is also run live on the same
//! captures. How values are normalised for comparison is documented on
//! `common::norm_tshark` and `common::norm_strata`. Every field in
//! `common::FIELDS` is compared in every frame: nothing is left out. IPv4
//! fragments: the references are made with `ip.defragment:FALSE`, the
//! setting that matches a decoder without reassembly (a first fragment's
//! ICMP header is dissected with its checksum unverified, later fragments
//! are data), so fragment frames are compared like any other.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::*;

fn check(name: &str, tshark_json: &str, tally: &mut Tally) -> Vec<String> {
    let ours = decode_json(&data_dir().join(name));
    let theirs = tshark_layers(tshark_json);
    compare(name, &ours, &theirs, tally)
}

fn report(tally: &Tally) {
    let total: usize = tally.compared.values().sum();
    println!(
        "compared {total} field values in {} frames ({} distinct fields)",
        tally.frames,
        tally.compared.len()
    );
}

#[test]
fn decode_matches_stored_tshark_output() {
    let mut tally = Tally::default();
    let mut diffs = Vec::new();
    for name in CAPTURES {
        let reference = data_dir().join(format!("{name}.tshark.json"));
        let json = std::fs::read_to_string(&reference).unwrap();
        diffs.extend(check(name, &json, &mut tally));
    }
    report(&tally);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    // The comparison must actually cover the stack, not pass vacuously.
    for field in [
        "eth.src",
        "eth.padding",
        "ieee8021ad.id",
        "vlan.id",
        "vlan.dei",
        "arp.opcode",
        "ip.src",
        "ip.frag_offset",
        "ip.opt.type",
        "ip.opt.len",
        "icmp.checksum.status",
        "icmp.mtu",
        "icmp.data_time",
        "udp.length",
        "udp.checksum",
        "udp.payload",
        "tcp.seq",
        "tcp.ack",
        "tcp.flags",
        "tcp.options.mss_val",
        "tcp.options.sack_perm",
        "tcp.options.sack_le",
        "tcp.options.sack_re",
        "tcp.flags.res",
        "tcp.flags.ae",
        "tcp.options.timestamp.tsval",
        "tcp.payload",
        "tcp.reset_cause",
        "data.data",
    ] {
        assert!(
            tally.compared.get(field).copied().unwrap_or(0) > 0,
            "{field} was never compared"
        );
    }
    // 20 + 12 + 12 + 4 + 2 + 2 + 13 frames, and all of them again in
    // mixed.pcapng.
    assert_eq!(tally.frames, 118);
}

#[test]
fn stored_references_cover_only_compared_fields() {
    let fields: BTreeSet<&str> = FIELDS.iter().copied().collect();
    for name in CAPTURES {
        let json = std::fs::read_to_string(data_dir().join(format!("{name}.tshark.json"))).unwrap();
        for layers in tshark_layers(&json) {
            for key in layers.keys() {
                assert!(
                    fields.contains(key.as_str()),
                    "{name}: {key} is not compared"
                );
            }
        }
    }
}

#[test]
fn frames_that_quote_a_datagram_repeat_fields_as_arrays() {
    let frames = decode_json(&data_dir().join("udp.pcap"));
    let unreachable = &frames[3];
    assert_eq!(unreachable["icmp.type"], 3);
    assert_eq!(
        unreachable["ip.src"],
        serde_json::json!(["198.18.0.2", "198.18.0.1"])
    );
    assert_eq!(unreachable["udp.dstport"], 9001);
}

#[test]
fn decode_matches_live_tshark() {
    if !tshark_available() {
        println!(
            "note: tshark is not on PATH; the live comparison is skipped (the stored one ran)"
        );
        return;
    }
    let mut tally = Tally::default();
    let mut diffs = Vec::new();
    for name in CAPTURES {
        let json = tshark_json(&data_dir().join(name));
        diffs.extend(check(name, &json, &mut tally));
    }
    report(&tally);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
