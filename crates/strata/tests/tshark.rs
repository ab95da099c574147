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
//!
//! DNS (`dns.pcap` from dnsmasq, `dns-edge.pcap` written by hand) is
//! compared field by field too. The only `dns.*` fields tshark shows there
//! that are not compared are those of `common::NOT_COMPARED`, which need
//! the conversation (which frame answered which); a live test checks that
//! nothing else is left out.

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
        "dns.length",
        "dns.id",
        "dns.flags",
        "dns.flags.authoritative",
        "dns.flags.authenticated",
        "dns.flags.rcode",
        "dns.count.queries",
        "dns.count.zones",
        "dns.count.prerequisites",
        "dns.count.updates",
        "dns.qry.name",
        "dns.qry.name.len",
        "dns.count.labels",
        "dns.qry.type",
        "dns.qry.class",
        "dns.resp.name",
        "dns.resp.class",
        "dns.resp.ttl",
        "dns.resp.len",
        "dns.a",
        "dns.aaaa",
        "dns.cname",
        "dns.ns",
        "dns.ptr.domain_name",
        "dns.mx.preference",
        "dns.mx.mail_exchange",
        "dns.txt",
        "dns.txt.length",
        "dns.srv.service",
        "dns.srv.proto",
        "dns.srv.name",
        "dns.srv.port",
        "dns.srv.target",
        "dns.soa.mname",
        "dns.soa.rname",
        "dns.soa.serial_number",
        "dns.soa.minimum_ttl",
        "dns.caa.flags",
        "dns.caa.flags.issuer_critical",
        "dns.caa.tag",
        "dns.caa.value",
        "dns.caa.issue",
        "dns.caa.issuewild",
        "dns.caa.iodef",
        "dns.caa.unknown",
        "dns.data",
        "dns.rr.udp_payload_size",
        "dns.resp.ext_rcode",
        "dns.resp.edns0_version",
        "dns.resp.z.do",
        "dns.opt",
        "dns.opt.code",
        "dns.opt.data",
        "dns.opt.cookie.client",
        "dns.opt.cookie.server",
        "dns.opt.padding",
        "dns.opt.client.addr4",
        "dns.opt.client.addr6",
        "dns.opt.client.addr",
        "dns.extraneous.data",
    ] {
        assert!(
            tally.compared.get(field).copied().unwrap_or(0) > 0,
            "{field} was never compared"
        );
    }
    // 20 + 12 + 12 + 4 + 2 + 2 + 13 frames, all of them again in
    // mixed.pcapng, 38 in dns.pcap and 15 in dns-edge.pcap.
    assert_eq!(tally.frames, 171);
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

/// The keys of every field tshark's full JSON output shows under `dns`
/// layers: containers (`…_tree`), subtree headings (keys without a dot)
/// and expert notes (`_ws.expert`) are not fields.
fn dns_keys(node: &serde_json::Value, in_dns: bool, keys: &mut BTreeSet<String>) {
    match node {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                if key == "_ws.expert" {
                    continue;
                }
                let dns = in_dns || key == "dns";
                if dns && key.starts_with("dns.") && !key.ends_with("_tree") {
                    keys.insert(key.clone());
                }
                dns_keys(value, dns, keys);
            }
        }
        serde_json::Value::Array(values) => {
            for v in values {
                dns_keys(v, in_dns, keys);
            }
        }
        _ => {}
    }
}

#[test]
fn every_dns_field_tshark_shows_is_compared_or_explained() {
    if !tshark_available() {
        println!("note: tshark is not on PATH; the check of the DNS field list is skipped");
        return;
    }
    let compared: BTreeSet<&str> = FIELDS.iter().copied().collect();
    let explained: BTreeSet<&str> = NOT_COMPARED.iter().map(|(f, _)| *f).collect();
    let mut seen = BTreeSet::new();
    for name in ["dns.pcap", "dns-edge.pcap"] {
        let mut cmd = std::process::Command::new("tshark");
        cmd.env("TZ", TSHARK_TZ)
            .arg("-r")
            .arg(data_dir().join(name))
            .args(["-T", "json", "--no-duplicate-keys"]);
        for pref in TSHARK_PREFS {
            cmd.args(["-o", pref]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        dns_keys(&json, false, &mut seen);
    }
    let unexplained: Vec<&String> = seen
        .iter()
        .filter(|k| !compared.contains(k.as_str()) && !explained.contains(k.as_str()))
        .collect();
    assert!(
        unexplained.is_empty(),
        "tshark shows DNS fields neither compared nor explained: {unexplained:?}"
    );
    // The explanations are for fields that occur.
    assert!(seen.contains("dns.response_to") && seen.contains("dns.time"));
}
