//! The DNS layer of `strata decode` on the DNS captures and on damaged
//! copies of their frames: the tree, the JSON, errors that name the dns
//! layer and keep the layers below, DNS over TCP (several messages in a
//! segment, a message split across segments), and where DNS is not looked
//! for.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use serde_json::{Value, json};
use strata::capture::CaptureReader;
use strata::decode::{Dissection, FrameMeta, dissect, dissect_frame};
use strata_core::error::Layer;

/// Frame `n` (from 1) of a capture under tests/data.
fn frame(name: &str, n: usize) -> Vec<u8> {
    let reader = CaptureReader::open(common::data_dir().join(name)).unwrap();
    reader.map(|f| f.unwrap().data).nth(n - 1).unwrap()
}

fn layers(d: &Dissection) -> Vec<&str> {
    d.protocols.iter().map(|p| p.abbrev).collect()
}

/// Where the DNS message starts in an untagged IPv4/UDP frame.
const UDP_DNS: usize = 14 + 20 + 8;

/// The keys of the `dns.*` fields in a frame's JSON.
fn dns_keys(j: &Value) -> Vec<String> {
    j.as_object()
        .unwrap()
        .keys()
        .filter(|k| k.starts_with("dns."))
        .cloned()
        .collect()
}

/// The tree from the first line of `heading` on.
fn tree_from(d: &Dissection, heading: &str) -> String {
    let tree = d.tree();
    let at = tree
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} in\n{tree}"));
    tree[at..].to_owned()
}

#[test]
fn tree_of_a_dns_response() {
    // dns.pcap frame 2: dnsmasq's answer for www.example.com A, with the
    // zone's NS in the authority section and an OPT record.
    let d = dissect(&frame("dns.pcap", 2));
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "udp", "dns"]);
    let expected = "\
Domain Name System (response)
    Transaction ID: 0x6a34
    Flags: 0x8500 Standard query response, No error
        1... .... .... .... = Response: Set
        .000 0... .... .... = Opcode: Standard query (0)
        .... .1.. .... .... = Authoritative: Set
        .... ..0. .... .... = Truncated: Not set
        .... ...1 .... .... = Recursion desired: Set
        .... .... 0... .... = Recursion available: Not set
        .... .... .0.. .... = Z: Not set
        .... .... ..0. .... = Answer authenticated: Not set
        .... .... ...0 .... = Non-authenticated data: Not set
        .... .... .... 0000 = Reply code: No error (0)
    Questions: 1
    Answer RRs: 1
    Authority RRs: 1
    Additional RRs: 1
    Queries
        www.example.com: type A, class IN
            Name: www.example.com
            [Name Length: 15]
            [Label Count: 3]
            Type: A (1)
            Class: IN (0x0001)
    Answers
        www.example.com: type A, class IN, addr 198.18.0.10
            Name: www.example.com
            Type: A (1)
            Class: IN (0x0001)
            Time to live: 600 (10 minutes)
            Data length: 4
            Address: 198.18.0.10
    Authoritative nameservers
        example.com: type NS, class IN, ns ns1.example.com
            Name: example.com
            Type: NS (2)
            Class: IN (0x0001)
            Time to live: 600 (10 minutes)
            Data length: 17
            Name Server: ns1.example.com
    Additional records
        <Root>: type OPT
            Name: <Root>
            Type: OPT (41)
            UDP payload size: 1232
            Higher bits in extended RCODE: 0x00
            EDNS0 version: 0
            Z: 0x0000
                0... .... .... .... = DO bit: Not set
                .000 0000 0000 0000 = Reserved: 0x0000
            Data length: 0
";
    assert_eq!(tree_from(&d, "Domain Name System"), expected);
}

#[test]
fn tree_of_a_dns_query_with_a_cookie() {
    // dns.pcap frame 1: dig's query, AD set, a client cookie in EDNS(0).
    let d = dissect(&frame("dns.pcap", 1));
    let tree = tree_from(&d, "Domain Name System");
    let expected_flags = "\
Domain Name System (query)
    Transaction ID: 0x6a34
    Flags: 0x0120 Standard query
        0... .... .... .... = Response: Not set
        .000 0... .... .... = Opcode: Standard query (0)
        .... ..0. .... .... = Truncated: Not set
        .... ...1 .... .... = Recursion desired: Set
        .... .... .0.. .... = Z: Not set
        .... .... ..1. .... = AD bit: Set
        .... .... ...0 .... = Non-authenticated data: Not set
    Questions: 1
";
    assert!(tree.starts_with(expected_flags), "{tree}");
    assert!(
        tree.ends_with(
            "\
            Data length: 12
            Option: COOKIE
                Option Code: COOKIE (10)
                Option Length: 8
                Option Data: 25a791762601b115
                Client Cookie: 25a791762601b115
                Server Cookie: (empty)
"
        ),
        "{tree}"
    );
}

#[test]
fn json_of_a_query_and_its_answer() {
    let q = dissect(&frame("dns.pcap", 1)).to_json();
    assert_eq!(q["dns.id"], 0x6a34);
    assert_eq!(q["dns.flags"], 0x0120);
    assert_eq!(q["dns.flags.response"], false);
    assert_eq!(q["dns.flags.authenticated"], true);
    // Bits that only mean something in a response are not in a query.
    for absent in [
        "dns.flags.authoritative",
        "dns.flags.recavail",
        "dns.flags.rcode",
        "dns.resp.class",
        "dns.resp.ttl",
        "data.data",
    ] {
        assert!(q.get(absent).is_none(), "{absent}");
    }
    assert_eq!(q["dns.qry.name"], "www.example.com");
    assert_eq!(q["dns.qry.class"], 1);
    assert_eq!(q["dns.resp.name"], "<Root>");
    assert_eq!(q["dns.rr.udp_payload_size"], 1232);
    assert_eq!(q["dns.opt.cookie.client"], "25a791762601b115");
    assert_eq!(q["dns.opt.cookie.server"], "");
    assert!(q["udp.payload"].is_string());

    // dns.pcap frame 22: four A records, so their fields are arrays in
    // wire order, then the NS of the authority section.
    let a = dissect(&frame("dns.pcap", 22)).to_json();
    assert_eq!(
        a["dns.a"],
        json!(["198.18.0.21", "198.18.0.23", "198.18.0.22", "198.18.0.24"])
    );
    assert_eq!(a["dns.resp.type"], json!([1, 1, 1, 1, 2]));
    assert_eq!(a["dns.resp.ttl"], json!([600, 600, 600, 600, 600]));
    assert_eq!(a["dns.ns"], "ns1.example.com");
    assert_eq!(a["dns.flags.rcode"], 0);

    // dns.pcap frame 24: NXDOMAIN, the zone's SOA as the authority.
    let nx = dissect(&frame("dns.pcap", 24));
    let j = nx.to_json();
    assert_eq!(j["dns.flags.rcode"], 3);
    assert_eq!(j["dns.soa.rname"], "hostmaster.example.com");
    assert_eq!(j["dns.soa.serial_number"], 2_024_010_101);
    assert!(
        nx.tree()
            .contains("    Flags: 0x8503 Standard query response, Non-existent domain\n")
    );
    assert!(nx.tree().contains("Expire limit: 86400 (1 day)\n"));
}

#[test]
fn dns_over_tcp_has_the_length_prefix() {
    // dns.pcap frame 34: the 1009-byte answer that did not fit UDP.
    let d = dissect(&frame("dns.pcap", 34));
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "tcp", "dns"]);
    let j = d.to_json();
    assert_eq!(j["dns.length"], 1009);
    assert_eq!(j["dns.txt"].as_array().unwrap().len(), 8);
    assert_eq!(j["dns.txt.length"][1], 17);
    assert_eq!(j["dns.txt"][1], "\"second string 4\"");
    assert!(j["tcp.payload"].is_string());
    let tree = tree_from(&d, "Domain Name System");
    assert!(
        tree.starts_with(
            "Domain Name System (response)\n    Length: 1009\n    Transaction ID: 0xe26c\n"
        ),
        "{tree}"
    );
    assert!(tree.contains("            TXT: \"second string 4\"\n"));
}

#[test]
fn several_messages_in_one_segment_repeat_fields() {
    // dns-edge.pcap frame 13: two length-prefixed queries in one segment.
    let d = dissect(&frame("dns-edge.pcap", 13));
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "tcp", "dns", "dns"]);
    let j = d.to_json();
    assert_eq!(j["dns.length"], json!([33, 33]));
    assert_eq!(j["dns.id"], json!([0x0101, 0x0102]));
    assert_eq!(
        j["dns.qry.name"],
        json!(["one.example.com", "two.example.com"])
    );
}

#[test]
fn a_message_split_across_segments_is_marked_not_guessed() {
    // dns-edge.pcap frame 14: the length prefix promises 149 bytes; the
    // segment holds 49 of them and the rest never came.
    let d = dissect(&frame("dns-edge.pcap", 14));
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "tcp"]);
    let j = d.to_json();
    assert!(dns_keys(&j).is_empty(), "{j}");
    assert_eq!(j["tcp.len"], 51);
    let tree = d.tree();
    assert!(
        tree.ends_with(
            "    [TCP segment of a reassembled PDU]\n        \
             [DNS message of 149 bytes, 49 of them in this segment: not reassembled by strata]\n"
        ),
        "{tree}"
    );

    // A whole message followed by one byte of the next one's length.
    let mut f = frame("dns-edge.pcap", 13);
    let second = f.len() - 35;
    f.truncate(second + 1);
    let ip_len = u16::try_from(f.len() - 14).unwrap();
    f[16..18].copy_from_slice(&ip_len.to_be_bytes());
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "tcp", "dns"]);
    assert!(
        d.tree()
            .contains("[Half of a DNS length prefix: not reassembled by strata]\n")
    );
}

/// Recomputes the IPv4 header checksum of an untagged Ethernet frame.
fn fix_ip_checksum(f: &mut [u8]) {
    f[24..26].copy_from_slice(&[0, 0]);
    let c = strata_core::checksum::checksum(&f[14..34]);
    f[24..26].copy_from_slice(&c.to_be_bytes());
}

#[test]
fn malformed_dns_is_an_error_of_the_dns_layer() {
    // dns.pcap frame 2 claiming a second answer it does not have: the
    // records shift up a section, and the additional one is missing.
    let mut f = frame("dns.pcap", 2);
    f[UDP_DNS + 7] = 2; // ANCOUNT
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth", "ip", "udp"]);
    let e = d.error.clone().unwrap();
    assert_eq!(e.layer, Layer::Dns);
    assert_eq!(
        e.reason,
        "DNS additional entry 0 at offset 100 needs 101 bytes, message has 100"
    );
    let j = d.to_json();
    assert_eq!(j["error"], json!({"layer": "dns", "reason": e.reason}));
    assert_eq!(j["udp.dstport"], 44408);
    assert!(j["udp.payload"].is_string());
    assert!(dns_keys(&j).is_empty(), "{j}");
    assert!(
        d.tree()
            .ends_with(&format!("[Malformed dns layer: {}]\n", e.reason))
    );

    // A question name that points at itself.
    let mut f = frame("dns.pcap", 1);
    f[UDP_DNS + 12..UDP_DNS + 14].copy_from_slice(&[0xc0, 0x0c]);
    let e = dissect(&f).error.unwrap();
    assert_eq!(e.layer, Layer::Dns);
    assert!(
        e.reason.starts_with("DNS question entry 0: "),
        "{}",
        e.reason
    );

    // Fewer bytes than a header, on port 53 either way.
    let mut f = frame("dns.pcap", 1);
    f.truncate(UDP_DNS + 5);
    f[16..18].copy_from_slice(&(20u16 + 8 + 5).to_be_bytes());
    f[UDP_DNS - 4..UDP_DNS - 2].copy_from_slice(&(8u16 + 5).to_be_bytes());
    f[UDP_DNS - 2..UDP_DNS].copy_from_slice(&[0, 0]); // no UDP checksum
    fix_ip_checksum(&mut f);
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth", "ip", "udp"]);
    assert_eq!(
        d.error.unwrap().reason,
        "DNS header truncated: needed 12 bytes, got 5"
    );
}

#[test]
fn malformed_dns_over_tcp_and_in_an_icmp_quote() {
    // The second query of dns-edge.pcap frame 13 with a label length that
    // runs past its message.
    let mut f = frame("dns-edge.pcap", 13);
    let second_name = f.len() - 35 + 2 + 12;
    assert_eq!(f[second_name], 3);
    f[second_name] = 60;
    let d = dissect(&f);
    assert_eq!(layers(&d), ["eth", "ip", "tcp", "dns"]);
    let e = d.error.unwrap();
    assert_eq!(e.layer, Layer::Dns);
    assert!(e.reason.starts_with("DNS question entry 0"), "{}", e.reason);

    // dns-edge.pcap frame 15 quotes a DNS query; break its name the same way.
    let mut f = frame("dns-edge.pcap", 15);
    let quoted_name = f.len() - 33 + 12;
    assert_eq!(f[quoted_name], 3);
    f[quoted_name] = 60;
    let d = dissect(&f);
    let e = d.error.clone().unwrap();
    assert_eq!(e.layer, Layer::Dns);
    assert!(
        e.reason
            .starts_with("in the datagram quoted by ICMP: DNS question entry 0"),
        "{}",
        e.reason
    );
    assert_eq!(layers(&d), ["eth", "ip", "icmp"]);
}

#[test]
fn an_icmp_quote_of_a_whole_query_shows_it() {
    let d = dissect(&frame("dns-edge.pcap", 15));
    assert!(d.error.is_none());
    let j = d.to_json();
    assert_eq!(j["icmp.type"], 3);
    assert_eq!(j["dns.qry.name"], "one.example.com");
    assert!(j.get("dns.length").is_none());
    assert!(d.tree().contains("\n    Domain Name System (query)\n"));
}

#[test]
fn names_and_text_are_shown_as_wireshark_shows_them() {
    // dns-edge.pcap frame 1: the root; frame 6: a dot, a space and control
    // characters inside labels; frame 8: a one-letter name.
    let root = dissect(&frame("dns-edge.pcap", 1)).to_json();
    assert_eq!(root["dns.qry.name"], "<Root>");
    assert_eq!(root["dns.qry.name.len"], 6);
    assert_eq!(root["dns.count.labels"], 1);
    assert!(root.get("dns.flags.authenticated").is_none());

    let odd = dissect(&frame("dns-edge.pcap", 6));
    let j = odd.to_json();
    assert_eq!(
        j["dns.qry.name"],
        "a.b.my host.x\\001y.\\r\\a\\033.UPPER.example.com"
    );
    assert_eq!(j["dns.qry.name.len"], 37);
    assert_eq!(j["dns.count.labels"], 8);
    assert_eq!(j["dns.qry.class"], 0x1234);

    let x = dissect(&frame("dns-edge.pcap", 8)).to_json();
    assert_eq!(x["dns.qry.name"], "x");
    assert_eq!(x["dns.qry.name.len"], 0);
    assert_eq!(x["dns.count.labels"], 0);

    // Frame 5: TXT strings read as ASCII, cut at a NUL; the tree keeps
    // each on one line.
    let txt = dissect(&frame("dns-edge.pcap", 5));
    let j = txt.to_json();
    assert_eq!(
        j["dns.txt"],
        json!([
            "",
            "tab\there\nnl",
            "q\"b\\s",
            "caf\u{fffd}\u{fffd}",
            "\u{fffd}\u{1}end",
            "a",
            "\u{7f}"
        ])
    );
    assert_eq!(j["dns.a"], "10.0.0.1");
    let tree = txt.tree();
    assert!(
        tree.contains("            TXT: tab\\there\\nnl\n"),
        "{tree}"
    );
    assert!(tree.contains("            TXT: \\177\n"), "{tree}");
}

#[test]
fn edns_caa_srv_update_and_extraneous_bytes() {
    let j = dissect(&frame("dns-edge.pcap", 2)).to_json();
    assert_eq!(j["dns.rr.udp_payload_size"], 65535);
    assert_eq!(j["dns.resp.ext_rcode"], 1);
    assert_eq!(j["dns.resp.edns0_version"], 1);
    assert_eq!(j["dns.resp.z.do"], true);
    assert_eq!(j["dns.opt.code"], json!([3, 10, 12, 65001]));
    assert_eq!(j["dns.opt.data"][0], "");
    assert_eq!(j["dns.opt.padding"], "00000000");
    // The header's RCODE is 0: the extended bits are in the OPT record.
    assert_eq!(j["dns.flags.rcode"], 0);

    let j = dissect(&frame("dns-edge.pcap", 3)).to_json();
    assert_eq!(j["dns.opt.client.addr4"], "198.51.100.0");
    assert_eq!(j["dns.opt.client.addr6"], "2001:db8:abcd:ef00::");
    assert_eq!(j["dns.opt.client.addr"], "9998");

    let j = dissect(&frame("dns-edge.pcap", 9)).to_json();
    assert_eq!(j["dns.caa.iodef"], "mailto:ca@example.com");
    assert_eq!(j["dns.caa.issuewild"], ";");
    assert_eq!(j["dns.caa.unknown"], "v\\001\u{fffd}");
    assert_eq!(j["dns.caa.flags.issuer_critical"][0], true);
    assert_eq!(j["dns.srv.name"], "sub.example.com");
    assert_eq!(j["dns.srv.target"], "<Root>");
    // The SRV record's owner is in the srv fields, not dns.resp.name.
    assert_eq!(j["dns.resp.name"].as_array().unwrap().len(), 7);

    let update = dissect(&frame("dns-edge.pcap", 10));
    let j = update.to_json();
    assert_eq!(j["dns.count.zones"], 1);
    assert_eq!(j["dns.count.prerequisites"], 1);
    assert_eq!(j["dns.count.updates"], 2);
    assert!(j.get("dns.count.queries").is_none());
    assert_eq!(j["dns.resp.len"], json!([0, 0, 16]));
    assert!(j.get("dns.a").is_none());
    let tree = update.tree();
    for heading in ["\n    Zone\n", "\n    Prerequisites\n", "\n    Updates\n"] {
        assert!(tree.contains(heading), "{heading:?} in\n{tree}");
    }

    let extra = dissect(&frame("dns-edge.pcap", 12));
    let j = extra.to_json();
    assert_eq!(j["dns.extraneous.data"], "000102");
    assert_eq!(j["dns.extraneous.length"], 3);
    assert!(extra.tree().contains("    Extraneous Data (3 bytes)\n"));
}

#[test]
fn dns_is_looked_for_only_on_port_53_in_whole_datagrams() {
    // dns.pcap frame 1 sent to port 5300 instead: its payload is data.
    let mut f = frame("dns.pcap", 1);
    f[UDP_DNS - 6..UDP_DNS - 4].copy_from_slice(&5300u16.to_be_bytes());
    let d = dissect(&f);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["eth", "ip", "udp", "data"]);

    // The same frame cut by a snapshot length: the datagram is incomplete,
    // so it is not read as DNS.
    let reader = CaptureReader::open(common::data_dir().join("dns.pcap")).unwrap();
    let first = reader.into_iter().next().unwrap().unwrap();
    let meta = FrameMeta {
        orig_len: first.meta.orig_len,
        ..first.meta
    };
    let d = dissect_frame(&meta, &first.data[..70]);
    assert!(d.error.is_none());
    assert_eq!(layers(&d), ["frame", "eth", "ip", "udp", "data"]);
}
