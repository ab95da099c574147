//! The dissector on hand-corrupted real frames: errors name the layer and
//! keep the layers below; bad checksums, unknown protocols and fragments
//! are data, not errors. Also the tree output, line by line.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::Ipv4Addr;

use serde_json::{Value, json};
use strata::capture::CaptureReader;
use strata::decode::{Dissection, dissect, dissect_frame};
use strata_core::checksum::checksum;
use strata_core::error::Layer;

/// Frame `n` (from 1) of a capture under tests/data.
fn frame(name: &str, n: usize) -> Vec<u8> {
    let reader = CaptureReader::open(common::data_dir().join(name)).unwrap();
    reader.map(|f| f.unwrap().data).nth(n - 1).unwrap()
}

/// Recomputes the IPv4 header checksum of an untagged Ethernet frame.
fn fix_ip_checksum(f: &mut [u8]) {
    let ihl = usize::from(f[14] & 0x0f) * 4;
    f[24..26].copy_from_slice(&[0, 0]);
    let c = checksum(&f[14..14 + ihl]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
}

fn layers(d: &Dissection) -> Vec<&str> {
    d.protocols.iter().map(|p| p.abbrev).collect()
}

/// The SYN that opens tcp-http.pcap: Ethernet, IPv4 (20 bytes), TCP with
/// 20 bytes of options.
fn syn() -> Vec<u8> {
    let f = frame("tcp-http.pcap", 1);
    assert_eq!(f.len(), 74);
    assert_eq!(f[14 + 9], 6);
    f
}

#[test]
fn truncated_tcp_header_is_an_error_of_the_tcp_layer() {
    // Keep 12 bytes of TCP and make IPv4 say so, so that only TCP is short.
    let mut f = syn();
    f.truncate(14 + 20 + 12);
    f[16..18].copy_from_slice(&32u16.to_be_bytes());
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth", "ip"]);
    let e = d.error.clone().unwrap();
    assert_eq!(e.layer, Layer::Tcp);
    assert_eq!(e.reason, "TCP header truncated: needed 20 bytes, got 12");
    let j = d.to_json();
    assert_eq!(j["ip.src"], "198.18.0.1");
    assert_eq!(j["ip.checksum.status"], "Good");
    assert_eq!(j["error"], json!({"layer": "tcp", "reason": e.reason}));
    assert!(j.get("tcp.srcport").is_none());
    assert!(
        d.tree()
            .ends_with("[Malformed tcp layer: TCP header truncated: needed 20 bytes, got 12]\n")
    );
}

#[test]
fn tcp_options_cut_by_the_segment_end_are_an_error() {
    // The data offset promises 40 bytes of header; only 30 are there.
    let mut f = syn();
    f.truncate(14 + 20 + 30);
    f[16..18].copy_from_slice(&50u16.to_be_bytes());
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth", "ip"]);
    let e = d.error.unwrap();
    assert_eq!(e.layer, Layer::Tcp);
    assert_eq!(e.reason, "TCP header truncated: needed 40 bytes, got 30");
}

#[test]
fn bad_ipv4_ihl_is_an_error_of_the_ip_layer() {
    let mut f = syn();
    f[14] = 0x44; // IHL 4: a 16-byte header
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth"]);
    let e = d.error.clone().unwrap();
    assert_eq!(e.layer, Layer::Ipv4);
    assert_eq!(
        e.reason,
        "IPv4 header length field gives 16 bytes, less than the minimum 20"
    );
    let j = d.to_json();
    assert_eq!(j["eth.type"], 0x0800);
    assert_eq!(j["error"]["layer"], "ip");
    assert!(j.get("ip.src").is_none());
}

#[test]
fn bad_checksums_are_values_not_errors() {
    let mut f = syn();
    f[24] ^= 0xff; // IPv4 header checksum
    f[14 + 20 + 16] ^= 0x01; // TCP checksum
    let d = dissect(&f);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "tcp"]);
    let j = d.to_json();
    assert_eq!(j["ip.checksum.status"], "Bad");
    assert_eq!(j["tcp.checksum.status"], "Bad");
    let tree = d.tree();
    let good_ip = u16::from_be_bytes([f[24] ^ 0xff, f[25]]);
    assert!(
        tree.contains(&format!(
            "Header Checksum: {:#06x} [incorrect, should be {good_ip:#06x}]",
            j["ip.checksum"].as_u64().unwrap()
        )),
        "{tree}"
    );
    assert!(tree.contains("[Header Checksum Status: Bad]"));
    assert!(tree.contains("[Checksum Status: Bad]"));
}

#[test]
fn unknown_ethertype_and_ip_protocol_are_data() {
    let mut f = syn();
    f[12..14].copy_from_slice(&[0x88, 0xb5]); // IEEE local experimental
    let d = dissect(&f);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "data"]);
    assert_eq!(d.to_json()["data.len"], 60);
    assert!(
        d.tree()
            .contains("[EtherType 0x88b5 is not dissected by strata]")
    );

    let mut f = syn();
    f[14 + 9] = 253; // experimental protocol number
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "data"]);
    assert_eq!(d.to_json()["ip.proto"], 253);
    assert!(
        d.tree()
            .contains("[IP protocol 253 is not dissected by strata]")
    );
}

#[test]
fn fragments_first_dissected_unverified_later_ones_data() {
    // arp-icmp.pcap frames 9-11: a 3000-byte echo request in three fragments.
    let first = dissect(&frame("arp-icmp.pcap", 9));
    assert!(first.error.is_none());
    assert_eq!(layers(&first), ["eth", "ip", "icmp", "data"]);
    let j = first.to_json();
    assert_eq!(j["ip.flags.mf"], true);
    assert_eq!(j["icmp.checksum.status"], "Unverified");

    for n in [10, 11] {
        let later = dissect(&frame("arp-icmp.pcap", n));
        assert!(later.error.is_none());
        assert_eq!(layers(&later), ["eth", "ip", "data"]);
        let j = later.to_json();
        assert!(j["ip.frag_offset"].as_u64().unwrap() > 0);
        assert!(j.get("icmp.type").is_none());
        assert!(
            later
                .tree()
                .contains("[Fragment of a ICMP datagram at offset")
        );
    }
}

#[test]
fn ethernet_padding_is_shown_under_ethernet() {
    // The ARP request of arp-icmp.pcap, padded to the 60-byte minimum.
    let mut f = frame("arp-icmp.pcap", 1);
    assert_eq!(f.len(), 42);
    f.resize(60, 0);
    let d = dissect(&f);
    assert!(d.error.is_none());
    let j = d.to_json();
    assert_eq!(j["eth.padding"], "0".repeat(36));
    assert_eq!(j["arp.opcode"], 1);
}

#[test]
fn error_inside_a_quote_names_the_quote() {
    // udp.pcap frame 4 quotes the datagram that hit a closed port; break
    // the quoted IPv4 header's version.
    let mut f = frame("udp.pcap", 4);
    let quoted_ip = 14 + 20 + 8;
    assert_eq!(f[quoted_ip], 0x45);
    f[quoted_ip] = 0x65;
    let d = dissect(&f);
    let e = d.error.clone().unwrap();
    assert_eq!(e.layer, Layer::Ipv4);
    assert_eq!(
        e.reason,
        "in the datagram quoted by ICMP: IPv4 version field is 6, expected 4"
    );
    assert_eq!(layers(&d), ["eth", "ip", "icmp"]);
}

#[test]
fn short_frames_fail_at_ethernet() {
    for len in 0..14 {
        let d = dissect(&[0u8; 14][..len]);
        assert!(d.protocols.is_empty());
        assert_eq!(d.error.unwrap().layer, Layer::Ethernet);
    }
}

#[test]
fn tree_of_a_syn() {
    let reader = CaptureReader::open(common::data_dir().join("tcp-http.pcap")).unwrap();
    let first = reader.into_iter().next().unwrap().unwrap();
    let tree = dissect_frame(&first.meta, &first.data).tree();
    let j = dissect(&first.data).to_json();
    let seq = j["tcp.seq_raw"].as_u64().unwrap();
    let sport = j["tcp.srcport"].as_u64().unwrap();
    let lines: Vec<&str> = tree.lines().collect();
    // Layer headings at the margin, in order.
    let headings: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with(' '))
        .collect();
    assert_eq!(
        headings,
        [
            "Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)",
            "Ethernet II, Src: 02:00:5e:12:00:01, Dst: 02:00:5e:12:00:02",
            "Internet Protocol Version 4, Src: 198.18.0.1, Dst: 198.18.0.2",
            &format!(
                "Transmission Control Protocol, Src Port: {sport}, Dst Port: 8000, Seq: {seq}, Len: 0"
            ),
        ]
    );
    for expected in [
        "    Arrival Time: 2026-11-26 ",
        "    Type: IPv4 (0x0800)",
        "    .... 0101 = Header Length: 20 bytes (5)",
        "    Flags: 0x2, Don't fragment",
        "        .1.. .... = Don't fragment: Set",
        "    Time to Live: 64",
        "    Protocol: TCP (6)",
        "        [Header Checksum Status: Good]",
        "    Destination Port: 8000",
        "    Header Length: 40 bytes (10)",
        "    Flags: 0x002 (SYN)",
        "        .... .... ..1. = Syn: Set",
        "        .... ...0 .... = Acknowledgment: Not set",
        "    Window: 64240",
        "    Options: (20 bytes), MSS, SACK_PERM, TS, NOP, WS",
        "        TCP Option - Maximum segment size: 1460 bytes",
        "            MSS Value: 1460",
        "        TCP Option - SACK permitted",
        "        TCP Option - Window scale: 10 (multiply by 1024)",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(expected)),
            "missing {expected:?} in\n{tree}"
        );
    }
    assert!(tree.contains("Checksum: 0x") && tree.contains(" [correct]"));
}

#[test]
fn tree_nests_the_quoted_datagram() {
    let tree = dissect(&frame("udp.pcap", 4)).tree();
    for expected in [
        "Internet Control Message Protocol\n",
        "    Type: 3 (Destination Unreachable)\n",
        "    Code: 3 (Port unreachable)\n",
        "    Internet Protocol Version 4, Src: 198.18.0.1, Dst: 198.18.0.2\n",
        "        Protocol: UDP (17)\n",
        "    User Datagram Protocol, Src Port: 40001, Dst Port: 9001\n",
        "            [Checksum Status: Good]\n",
        "    Data (11 bytes)\n",
        "        Data: 6e6f626f647920686f6d65\n",
    ] {
        assert!(tree.contains(expected), "missing {expected:?} in\n{tree}");
    }
}

#[test]
fn vlan_tag_fields() {
    let d = dissect(&frame("vlan.pcap", 1));
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "vlan", "ip", "icmp", "data"]);
    let j = d.to_json();
    assert_eq!(j["eth.type"], 0x8100);
    assert_eq!(
        (j["vlan.id"].clone(), j["vlan.priority"].clone()),
        (json!(100), json!(5))
    );
    assert_eq!(j["vlan.etype"], 0x0800);
    assert!(
        d.tree()
            .contains("802.1Q Virtual LAN, PRI: 5, DEI: 0, ID: 100\n")
    );
}

#[test]
fn json_keeps_wire_order_and_types() {
    let d = dissect(&syn());
    let Value::Object(map) = d.to_json() else {
        panic!()
    };
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    assert_eq!(&keys[..3], ["eth.dst", "eth.src", "eth.type"]);
    assert!(
        keys.iter().position(|k| *k == "ip.src") < keys.iter().position(|k| *k == "tcp.srcport")
    );
    assert!(map["tcp.flags.syn"].is_boolean());
    assert!(map["tcp.checksum"].is_u64());
    assert_eq!(map["tcp.option_kind"], json!([2, 4, 8, 1, 3]));
    assert_eq!(map["ip.dst"], Ipv4Addr::new(198, 18, 0, 2).to_string());
}
