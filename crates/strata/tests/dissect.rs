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
use std::time::Duration;

use serde_json::{Value, json};
use strata::capture::CaptureReader;
use strata::decode::{
    Dissection, FrameMeta, LINKTYPE_ETHERNET, dissect, dissect_frame, format_hex,
};
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

/// An ICMP time-exceeded frame from 198.18.0.2 to 198.18.0.1 quoting
/// `quote` (the original's IPv4 header and what follows it), with correct
/// outer checksums.
fn time_exceeded(quote: &[u8]) -> Vec<u8> {
    let mut f = frame("edge.pcap", 9);
    f.truncate(14 + 20 + 8);
    f.extend_from_slice(quote);
    let total = u16::try_from(f.len() - 14).unwrap();
    f[16..18].copy_from_slice(&total.to_be_bytes());
    fix_ip_checksum(&mut f);
    f[36..38].copy_from_slice(&[0, 0]);
    let c = checksum(&f[34..]);
    f[36..38].copy_from_slice(&c.to_be_bytes());
    f
}

/// A field's values as a list (strata's JSON writes a repeated field as an
/// array and a single one as a value).
fn values(j: &Value, field: &str) -> Vec<Value> {
    match j.get(field) {
        None => Vec::new(),
        Some(Value::Array(v)) => v.clone(),
        Some(v) => vec![v.clone()],
    }
}

#[test]
fn icmp_quotes_of_8_transport_bytes_show_ports() {
    // edge.pcap frame 9: time exceeded quoting 8 bytes of a SYN.
    let d = dissect(&frame("edge.pcap", 9));
    assert!(d.error.is_none(), "{:?}", d.error);
    let j = d.to_json();
    assert_eq!(j["tcp.srcport"], 40006);
    assert_eq!(j["tcp.dstport"], 9000);
    assert_eq!(j["tcp.seq"], 77777);
    for absent in [
        "tcp.seq_raw",
        "tcp.ack",
        "tcp.len",
        "tcp.flags",
        "data.data",
    ] {
        assert!(j.get(absent).is_none(), "{absent}");
    }
    let tree = d.tree();
    for expected in [
        "    Transmission Control Protocol, Src Port: 40006, Dst Port: 9000, Seq: 77777\n",
        "        Sequence Number: 77777\n",
        "        [Header cut short: 8 bytes present]\n",
    ] {
        assert!(tree.contains(expected), "missing {expected:?} in\n{tree}");
    }

    // Frame 10: fragmentation needed quoting 8 bytes of a 1480-byte datagram.
    let d = dissect(&frame("edge.pcap", 10));
    assert!(d.error.is_none(), "{:?}", d.error);
    let j = d.to_json();
    assert_eq!(
        (&j["udp.srcport"], &j["udp.dstport"], &j["udp.length"]),
        (&json!(40007), &json!(9000), &json!(1480))
    );
    assert_eq!(j["udp.checksum"], 0xa8c6);
    assert_eq!(j["udp.checksum.status"], "Unverified");
    assert!(j.get("udp.payload").is_none() && j.get("data.data").is_none());
    assert!(
        d.tree()
            .contains("        [Only 8 of 1480 bytes present]\n")
    );
}

#[test]
fn icmp_quote_of_a_tcp_header_cut_at_every_length() {
    // The SYN of tcp-http.pcap: 20 bytes of IPv4, 40 of TCP (MSS,
    // SACK-permitted, timestamps, NOP, window scale), no payload.
    let syn = syn();
    let (ip, tcp) = (&syn[14..34], &syn[34..74]);
    let option_ends = [24, 26, 36, 37, 40];
    for cut in 0..=tcp.len() {
        let mut quote = ip.to_vec();
        quote.extend_from_slice(&tcp[..cut]);
        let d = dissect(&time_exceeded(&quote));
        assert!(d.error.is_none(), "{cut}: {:?}", d.error);
        assert_eq!(layers(&d), ["eth", "ip", "icmp"], "{cut}");
        let j = d.to_json();
        if cut < 8 {
            // Not even the ports: the bytes are data, with the reason.
            assert!(j.get("tcp.srcport").is_none(), "{cut}");
            let expected: Vec<Value> = (cut > 0).then(|| json!(cut)).into_iter().collect();
            assert_eq!(values(&j, "data.len"), expected, "{cut}");
            continue;
        }
        assert_eq!(j["tcp.srcport"], 51032, "{cut}");
        assert_eq!(j["tcp.dstport"], 8000, "{cut}");
        assert_eq!(j["tcp.seq"], 1_790_713_988_u32, "{cut}");
        assert!(j.get("tcp.seq_raw").is_none(), "{cut}");
        assert_eq!(j.get("tcp.ack").is_some(), cut >= 12, "{cut}");
        assert_eq!(j.get("tcp.hdr_len").is_some(), cut >= 13, "{cut}");
        // The quoted IPv4 header says 60 bytes: no payload.
        assert_eq!(j.get("tcp.len"), (cut >= 13).then_some(&json!(0)), "{cut}");
        assert_eq!(j.get("tcp.flags.syn"), (cut >= 14).then_some(&json!(true)));
        assert_eq!(j.get("tcp.window_size_value").is_some(), cut >= 16, "{cut}");
        // Whole, the quote is the whole segment and its checksum verifies.
        let status = match cut {
            0..18 => None,
            18..40 => Some("Unverified"),
            _ => Some("Good"),
        };
        assert_eq!(
            j.get("tcp.checksum.status").and_then(Value::as_str),
            status,
            "{cut}"
        );
        assert_eq!(j.get("tcp.urgent_pointer").is_some(), cut >= 20, "{cut}");
        let whole_options = option_ends.iter().filter(|&&end| end <= cut).count();
        assert_eq!(values(&j, "tcp.option_kind").len(), whole_options, "{cut}");
        assert!(j.get("data.data").is_none(), "{cut}");
    }
}

#[test]
fn icmp_quote_of_a_udp_datagram_cut_at_every_length() {
    // udp.pcap frame 4 quotes all 19 bytes of `nobody home` to port 9001.
    let f = frame("udp.pcap", 4);
    let quote = &f[14 + 20 + 8..];
    assert_eq!(quote.len(), 20 + 19);
    for cut in 0..=19 {
        let d = dissect(&time_exceeded(&quote[..20 + cut]));
        assert!(d.error.is_none(), "{cut}: {:?}", d.error);
        let j = d.to_json();
        if cut < 8 {
            assert!(j.get("udp.srcport").is_none(), "{cut}");
            continue;
        }
        assert_eq!(
            (&j["udp.srcport"], &j["udp.dstport"]),
            (&json!(40001), &json!(9001))
        );
        assert_eq!(j["udp.length"], 19, "{cut}");
        let status = if cut == 19 { "Good" } else { "Unverified" };
        assert_eq!(j["udp.checksum.status"], status, "{cut}");
        let payload = format_hex(&b"nobody home"[..cut - 8]);
        if cut > 8 {
            assert_eq!(j["udp.payload"], payload, "{cut}");
            assert_eq!(j["data.data"], payload, "{cut}");
        } else {
            assert!(j.get("udp.payload").is_none());
        }
    }
}

/// `data` as the echo data of arp-icmp.pcap's first echo request, captured
/// at `time`.
fn echo_at(data: &[u8], time: Duration) -> Value {
    let mut f = frame("arp-icmp.pcap", 3);
    f.truncate(14 + 20 + 8);
    f.extend_from_slice(data);
    let total = u16::try_from(f.len() - 14).unwrap();
    f[16..18].copy_from_slice(&total.to_be_bytes());
    fix_ip_checksum(&mut f);
    let meta = FrameMeta {
        number: 1,
        timestamp: time,
        orig_len: u32::try_from(f.len()).unwrap(),
        link_type: LINKTYPE_ETHERNET,
    };
    let d = dissect_frame(&meta, &f);
    assert!(d.error.is_none(), "{:?}", d.error);
    d.to_json()
}

#[test]
fn ping_timestamp_in_echo_data() {
    // Linux ping (64-bit): a 16-byte little-endian timeval, then 0x10, 0x11…
    let reader = CaptureReader::open(common::data_dir().join("arp-icmp.pcap")).unwrap();
    let request = reader.map(Result::unwrap).nth(2).unwrap();
    let d = dissect_frame(&request.meta, &request.data);
    let j = d.to_json();
    assert_eq!(j["icmp.type"], 8);
    // Read as 32-bit seconds and microseconds: the low half of tv_sec, and
    // its high half (zero) as the microseconds.
    assert_eq!(j["icmp.data_time"], "2026-11-26 10:45:01.000000000 UTC");
    assert_eq!(j["data.len"], 48);
    assert!(
        d.tree()
            .contains("    [Timestamp from icmp data (relative): 0.318909000 seconds]\n")
    );
    // Without a capture time there is nothing to judge it by.
    let j = dissect(&request.data).to_json();
    assert!(j.get("icmp.data_time").is_none());
    assert_eq!(j["data.len"], 56);

    let t = Duration::new(1_700_000_000, 500_000_000);
    let be = |secs: u32, usecs: u32| [secs.to_be_bytes(), usecs.to_be_bytes()].concat();
    let le = |secs: u32, usecs: u32| [secs.to_le_bytes(), usecs.to_le_bytes()].concat();
    for (data, expected) in [
        // Big-endian, as BSD ping on a 32-bit host writes it.
        (
            be(1_700_000_000, 123_456),
            Some("2023-11-14 22:13:20.123456000 UTC"),
        ),
        // A second earlier than the capture, and a day less a second.
        (
            be(1_699_999_999, 999_999),
            Some("2023-11-14 22:13:19.999999000 UTC"),
        ),
        (
            be(1_700_000_000 - 86_399, 5),
            Some("2023-11-13 22:13:21.000005000 UTC"),
        ),
        (
            be(1_700_000_000 + 86_399, 5),
            Some("2023-11-15 22:13:19.000005000 UTC"),
        ),
        // A whole day away is too far.
        (be(1_700_000_000 - 86_400, 5), None),
        // Little-endian.
        (
            le(1_700_000_000, 5),
            Some("2023-11-14 22:13:20.000005000 UTC"),
        ),
        // A million microseconds is not a time.
        (le(1_699_999_995, 1_000_000), None),
        (b"abcdefgh".to_vec(), None),
    ] {
        let mut with_rest = data.clone();
        with_rest.extend_from_slice(b"rest");
        let j = echo_at(&with_rest, t);
        assert_eq!(j.get("icmp.data_time").and_then(Value::as_str), expected);
        let shown = if expected.is_some() {
            &b"rest"[..]
        } else {
            &with_rest[..]
        };
        assert_eq!(j["data.data"], format_hex(shown));
        // Exactly 8 bytes: a timestamp and no data after it.
        let j = echo_at(&data, t);
        assert_eq!(j.get("icmp.data_time").and_then(Value::as_str), expected);
        assert_eq!(j.get("data.data").is_none(), expected.is_some());
    }
    // Fewer than 8 bytes are only data.
    let j = echo_at(&le(1_700_000_000, 5)[..7], t);
    assert!(j.get("icmp.data_time").is_none());
    assert_eq!(j["data.len"], 7);
}

#[test]
fn rst_data_is_the_reset_cause() {
    // edge.pcap frame 8: every flag, RST among them, and 7 bytes of data.
    let f = frame("edge.pcap", 8);
    let d = dissect(&f);
    let j = d.to_json();
    assert_eq!(j["tcp.flags.reset"], true);
    assert_eq!(j["tcp.len"], 7);
    assert_eq!(j["tcp.reset_cause"], "urgent!");
    assert!(j.get("tcp.payload").is_none() && j.get("data.data").is_none());
    let tree = d.tree();
    assert!(tree.contains("    Reset cause: urgent!\n"), "{tree}");
    assert!(
        tree.contains("        [RST data (7 bytes): 757267656e7421]\n"),
        "{tree}"
    );

    // Read as ASCII up to a NUL; other bytes are U+FFFD. (The TCP checksum
    // goes bad; that is a value, not an error.)
    let data_at = f.len() - 7;
    for (data, cause) in [
        (&b"a\x01b\xffc!!"[..], "a\u{1}b\u{fffd}c!!"),
        (b"ab\0cdef", "ab"),
        (b"\0urgent", ""),
        (b"a\tb\nc\r!", "a\tb\nc\r!"),
    ] {
        let mut g = f.clone();
        g[data_at..].copy_from_slice(data);
        let d = dissect(&g);
        assert_eq!(d.to_json()["tcp.reset_cause"], cause);
        // One tree line, control characters escaped.
        let line = d
            .tree()
            .lines()
            .find(|l| l.contains("Reset cause"))
            .unwrap()
            .to_owned();
        assert!(!line.contains(['\t', '\r']), "{line:?}");
    }
    let mut g = f.clone();
    g[data_at..].copy_from_slice(b"a\tb\nc\r!");
    assert!(
        dissect(&g)
            .tree()
            .contains("    Reset cause: a\\tb\\nc\\r!\n")
    );
}
