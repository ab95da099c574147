//! Shared by the integration tests: running the `strata` binary, and the
//! field-by-field comparison of `strata decode --format json` with tshark.
#![allow(dead_code)]
// Each test binary uses its own part.
// Test helpers: a failed expectation is a failed test. (clippy.toml allows
// these inside #[test] functions; the helpers are outside them.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The captures under `tests/data`, each with a stored `.tshark.json`.
pub const CAPTURES: &[&str] = &[
    "arp-icmp.pcap",
    "tcp-http.pcap",
    "tcp-http.pcapng",
    "udp.pcap",
    "tcp-rst.pcap",
    "vlan.pcap",
    "edge.pcap",
    "mixed.pcapng",
    "dns.pcap",
    "dns-edge.pcap",
];

/// The fields compared, exactly those `make-captures.sh` asks tshark for
/// (`FIELDS` there); `stored_references_cover_only_compared_fields` keeps
/// the two lists in step.
pub const FIELDS: &[&str] = &[
    "frame.number",
    "frame.len",
    "frame.cap_len",
    "frame.time_epoch",
    "eth.src",
    "eth.dst",
    "eth.type",
    "eth.padding",
    "ieee8021ad.priority",
    "ieee8021ad.dei",
    "ieee8021ad.id",
    "ieee8021ad.svid",
    "vlan.priority",
    "vlan.dei",
    "vlan.id",
    "vlan.etype",
    "arp.hw.type",
    "arp.proto.type",
    "arp.hw.size",
    "arp.proto.size",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield.dscp",
    "ip.dsfield.ecn",
    "ip.len",
    "ip.id",
    "ip.flags",
    "ip.flags.rb",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.checksum",
    "ip.checksum.status",
    "ip.src",
    "ip.dst",
    "ip.opt.type",
    "ip.opt.len",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.checksum.status",
    "icmp.ident",
    "icmp.seq",
    "icmp.data_time",
    "icmp.mtu",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "udp.checksum.status",
    "udp.payload",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq",
    "tcp.seq_raw",
    "tcp.ack",
    "tcp.ack_raw",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.flags.res",
    "tcp.flags.ae",
    "tcp.flags.cwr",
    "tcp.flags.ece",
    "tcp.flags.urg",
    "tcp.flags.ack",
    "tcp.flags.push",
    "tcp.flags.reset",
    "tcp.flags.syn",
    "tcp.flags.fin",
    "tcp.window_size_value",
    "tcp.checksum",
    "tcp.checksum.status",
    "tcp.urgent_pointer",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.sack_perm",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "tcp.option_kind",
    "tcp.option_len",
    "tcp.len",
    "tcp.payload",
    "tcp.reset_cause",
    "dns.length",
    "dns.id",
    "dns.flags",
    "dns.flags.response",
    "dns.flags.opcode",
    "dns.flags.authoritative",
    "dns.flags.truncated",
    "dns.flags.recdesired",
    "dns.flags.recavail",
    "dns.flags.z",
    "dns.flags.authenticated",
    "dns.flags.checkdisable",
    "dns.flags.rcode",
    "dns.count.queries",
    "dns.count.zones",
    "dns.count.answers",
    "dns.count.prerequisites",
    "dns.count.auth_rr",
    "dns.count.updates",
    "dns.count.add_rr",
    "dns.qry.name",
    "dns.qry.name.len",
    "dns.count.labels",
    "dns.qry.type",
    "dns.qry.class",
    "dns.resp.name",
    "dns.resp.type",
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
    "dns.srv.priority",
    "dns.srv.weight",
    "dns.srv.port",
    "dns.srv.target",
    "dns.soa.mname",
    "dns.soa.rname",
    "dns.soa.serial_number",
    "dns.soa.refresh_interval",
    "dns.soa.retry_interval",
    "dns.soa.expire_limit",
    "dns.soa.minimum_ttl",
    "dns.caa.flags",
    "dns.caa.flags.issuer_critical",
    "dns.caa.tag_length",
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
    "dns.resp.z",
    "dns.resp.z.do",
    "dns.resp.z.reserved",
    "dns.opt",
    "dns.opt.code",
    "dns.opt.len",
    "dns.opt.data",
    "dns.opt.cookie.client",
    "dns.opt.cookie.server",
    "dns.opt.padding",
    "dns.opt.client.family",
    "dns.opt.client.netmask",
    "dns.opt.client.scope",
    "dns.opt.client.addr4",
    "dns.opt.client.addr6",
    "dns.opt.client.addr",
    "dns.extraneous.data",
    "dns.extraneous.length",
    "data.data",
    "data.len",
];

/// Fields tshark shows in the DNS captures that are deliberately not
/// compared, each with the reason. Checked against live tshark by
/// `every_dns_field_tshark_shows_is_compared_or_explained`; containers
/// (`…_tree`) and expert notes (under `_ws.expert`) are not fields.
pub const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "dns.response_to",
        "the frame of the matching query: needs the conversation across frames; \
         strata dissects each frame on its own",
    ),
    (
        "dns.response_in",
        "the frame of the matching response: needs the conversation across frames",
    ),
    (
        "dns.time",
        "time since the matching query: needs the conversation across frames",
    ),
    (
        "dns.unsolicited",
        "a response whose query was not seen: needs the conversation across frames",
    ),
    (
        "dns.retransmission",
        "a query or response seen before: needs the conversation across frames",
    ),
    (
        "dns.retransmit_request_in",
        "the first copy of a repeated query: needs the conversation across frames",
    ),
    (
        "dns.retransmit_response_in",
        "the first copy of a repeated response: needs the conversation across frames",
    ),
];

/// tshark preferences for the reference output: Wireshark 4.0's defaults,
/// except that checksums are verified (so the status fields compare), IPv4
/// is not reassembled (strata dissects each frame on its own), and sequence
/// numbers are absolute (so `tcp.seq`, `tcp.ack` and SACK edges are the raw
/// values). tshark prints times in the local time zone, so it runs with
/// [`TSHARK_TZ`].
pub const TSHARK_PREFS: &[&str] = &[
    "ip.check_checksum:TRUE",
    "udp.check_checksum:TRUE",
    "tcp.check_checksum:TRUE",
    "ip.defragment:FALSE",
    "tcp.analyze_sequence_numbers:FALSE",
    "tcp.relative_sequence_numbers:FALSE",
];

/// The time zone tshark runs in, live and for the stored references.
pub const TSHARK_TZ: &str = "UTC";

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

/// Runs `strata` with `args`; never inherits the terminal.
pub fn run(args: &[&str]) -> Output {
    strata()
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the strata binary runs")
}

/// Whether tshark is on PATH, for the live comparisons.
pub fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// tshark's `-T json` output for `file`, made the way the stored references
/// are (`make-captures.sh`): [`TSHARK_PREFS`], [`FIELDS`], [`TSHARK_TZ`].
pub fn tshark_json(file: &Path) -> String {
    let mut cmd = Command::new("tshark");
    cmd.env("TZ", TSHARK_TZ)
        .arg("-r")
        .arg(file)
        .args(["-T", "json"]);
    for pref in TSHARK_PREFS {
        cmd.args(["-o", pref]);
    }
    for field in FIELDS {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `strata decode FILE --format json`, one object per frame.
pub fn decode_json(file: &Path) -> Vec<Value> {
    let out = run(&["decode", file.to_str().unwrap(), "--format", "json"]);
    assert!(
        out.status.success(),
        "strata decode {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON object"))
        .collect()
}

/// The `layers` object of each frame in tshark's `-T json` output.
pub fn tshark_layers(json: &str) -> Vec<serde_json::Map<String, Value>> {
    let frames: Vec<Value> = serde_json::from_str(json).expect("tshark output is JSON");
    frames
        .into_iter()
        .map(|f| match &f["_source"]["layers"] {
            Value::Object(m) => m.clone(),
            other => panic!("no layers in tshark frame: {other}"),
        })
        .collect()
}

/// tshark's values for a field, normalised (see [`norm_tshark`]).
fn tshark_values(field: &str, layers: &serde_json::Map<String, Value>) -> Vec<String> {
    match layers.get(field) {
        None => Vec::new(),
        Some(Value::Array(values)) => {
            let mut values: Vec<String> = values
                .iter()
                .map(|v| norm_tshark(field, v.as_str().expect("tshark values are strings")))
                .collect();
            if field == "tcp.option_kind" {
                while values.len() >= 2 && values.iter().rev().take(2).all(|v| v == "0") {
                    values.pop();
                }
            }
            values
        }
        Some(other) => panic!("tshark value of {field} is not an array: {other}"),
    }
}

/// Fields whose values are text from the packet (names, strings), compared
/// as they are.
pub const TEXT_FIELDS: &[&str] = &[
    "tcp.reset_cause",
    "dns.qry.name",
    "dns.resp.name",
    "dns.cname",
    "dns.ns",
    "dns.ptr.domain_name",
    "dns.mx.mail_exchange",
    "dns.txt",
    "dns.srv.service",
    "dns.srv.proto",
    "dns.srv.name",
    "dns.srv.target",
    "dns.soa.mname",
    "dns.soa.rname",
    "dns.caa.tag",
    "dns.caa.value",
    "dns.caa.issue",
    "dns.caa.issuewild",
    "dns.caa.iodef",
    "dns.caa.unknown",
];

/// How a tshark `-e` string is made comparable:
/// - `0x…` (checksums, ip.id, eth.type, flags in hex) → the number in
///   decimal;
/// - `tcp.options.sack_perm` is a field without a value whose `-e` output
///   is the option's bytes (`0402`): its presence → `1`;
/// - `icmp.data_time`, an absolute time tshark writes as
///   `Nov 26, 2026 10:45:01.000000000 UTC`, → strata's
///   `2026-11-26 10:45:01.000000000 UTC` (same instant, same digits);
/// - `<MISSING>`, what tshark's `-e` prints for a byte field of length
///   zero (an empty `dns.opt.data` or `dns.opt.cookie.server`), → the
///   empty string, strata's hex of no bytes;
/// - everything else (decimal numbers, `1`/`0` booleans, addresses, hex
///   byte strings, `frame.time_epoch`, checksum status codes) is kept, and
///   so is the text of [`TEXT_FIELDS`], to which the rules above never
///   apply (a TXT string may well start with `0x`).
///
/// And one list-level rule, in [`tshark_values`]: Wireshark lists every
/// zero byte after a TCP End-of-Option-List as one more EOL
/// (`tcp.option_kind` `…, 0, 0, 0, 0`), where strata shows one EOL followed
/// by padding; trailing repeated EOLs are collapsed to one.
pub fn norm_tshark(field: &str, s: &str) -> String {
    if TEXT_FIELDS.contains(&field) {
        return s.to_owned();
    }
    if field == "tcp.options.sack_perm" {
        return "1".into();
    }
    if field == "icmp.data_time" {
        return iso_time(s).unwrap_or_else(|| panic!("bad time {s:?} in {field}"));
    }
    if s == "<MISSING>" {
        return String::new();
    }
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16)
            .unwrap_or_else(|_| panic!("bad hex {s} in {field}"))
            .to_string(),
        None => s.to_owned(),
    }
}

/// `Mon DD, YYYY hh:mm:ss.fffffffff ZONE` → `YYYY-MM-DD hh:mm:ss.fffffffff ZONE`.
fn iso_time(s: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut words = s.split(' ');
    let name = words.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? + 1;
    let day: u32 = words.next()?.strip_suffix(',')?.trim().parse().ok()?;
    let year: u32 = words.next()?.parse().ok()?;
    let rest: Vec<&str> = words.collect();
    Some(format!("{year:04}-{month:02}-{day:02} {}", rest.join(" ")))
}

/// How strata's JSON value is made comparable:
/// - numbers → decimal; booleans → `1`/`0` (tshark's boolean output);
/// - `*.checksum.status` words → Wireshark's numeric codes (Bad 0, Good 1,
///   Unverified 2, Not present 3), which is what `-e` prints;
/// - strings (addresses, hex bytes, the epoch time) are kept.
pub fn norm_strata(field: &str, v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        Value::String(s) if field.ends_with(".checksum.status") => match s.as_str() {
            "Bad" => "0",
            "Good" => "1",
            "Unverified" => "2",
            "Not present" => "3",
            other => panic!("unknown checksum status {other}"),
        }
        .into(),
        Value::String(s) => s.clone(),
        other => panic!("unexpected JSON value for {field}: {other}"),
    }
}

fn strata_values(field: &str, frame: &Value) -> Vec<String> {
    match frame.get(field) {
        None => Vec::new(),
        Some(Value::Array(values)) => values.iter().map(|v| norm_strata(field, v)).collect(),
        Some(v) => vec![norm_strata(field, v)],
    }
}

/// What one comparison covered.
#[derive(Debug, Default)]
pub struct Tally {
    pub frames: usize,
    /// Field values compared and equal, per field.
    pub compared: BTreeMap<&'static str, usize>,
}

/// Compares strata's frames with tshark's, field by field; returns every
/// difference as a readable line (empty when they agree).
pub fn compare(
    name: &str,
    ours: &[Value],
    tshark: &[serde_json::Map<String, Value>],
    tally: &mut Tally,
) -> Vec<String> {
    let mut diffs = Vec::new();
    if ours.len() != tshark.len() {
        diffs.push(format!(
            "{name}: strata decoded {} frames, tshark {}",
            ours.len(),
            tshark.len()
        ));
    }
    for (i, (frame, layers)) in ours.iter().zip(tshark).enumerate() {
        tally.frames += 1;
        if let Some(e) = frame.get("error") {
            diffs.push(format!("{name} frame {}: unexpected error {e}", i + 1));
        }
        for &field in FIELDS {
            let theirs = tshark_values(field, layers);
            let mine = strata_values(field, frame);
            if mine == theirs {
                if !mine.is_empty() {
                    *tally.compared.entry(field).or_default() += 1;
                }
            } else {
                diffs.push(format!(
                    "{name} frame {}: {field}: strata {mine:?}, tshark {theirs:?}",
                    i + 1
                ));
            }
        }
    }
    diffs
}
