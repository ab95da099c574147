//! The `strata` binary: output formats, and clean failures (a message and a
//! non-zero exit, never a panic) on files that are not good captures.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use common::{data_dir, run};

/// A scratch file unique to this test process and `name`.
fn scratch(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-cli-test-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails the test if the binary panicked or exited zero; returns stderr.
fn clean_failure(out: &Output) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.starts_with("strata: "), "unexpected stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line of explanation: {err}");
    err
}

#[test]
fn tree_is_the_default_format() {
    let path = data_dir().join("tcp-rst.pcap");
    let out = run(&["decode", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Frame 1: 74 bytes on wire (592 bits), 74 bytes captured (592 bits)\n")
    );
    assert!(
        text.contains("\n\nFrame 2: 54 bytes on wire (432 bits), 54 bytes captured (432 bits)\n")
    );
    assert!(text.contains("    Flags: 0x014 (RST, ACK)\n"));
    assert!(text.contains("        .... .... .1.. = Reset: Set\n"));
    let explicit = run(&["decode", path.to_str().unwrap(), "--format", "tree"]);
    assert_eq!(explicit.stdout, text.as_bytes());
}

#[test]
fn json_is_one_object_per_line() {
    let frames = common::decode_json(&data_dir().join("mixed.pcapng"));
    assert_eq!(frames.len(), 53);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f["frame.number"], i + 1);
        assert!(f.get("error").is_none(), "frame {}: {f}", i + 1);
    }
}

#[test]
fn pcap_and_pcapng_of_the_same_traffic_agree() {
    let a = common::decode_json(&data_dir().join("tcp-http.pcap"));
    let b = common::decode_json(&data_dir().join("tcp-http.pcapng"));
    assert_eq!(a, b);
}

#[test]
fn missing_file() {
    let out = run(&["decode", "/nonexistent/strata/capture.pcap"]);
    let err = clean_failure(&out);
    assert!(
        err.contains("cannot read /nonexistent/strata/capture.pcap"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn directory_instead_of_a_file() {
    let out = run(&["decode", data_dir().to_str().unwrap()]);
    let err = clean_failure(&out);
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn not_a_capture() {
    let path = scratch("notes.txt", b"hello, this is text\n");
    let err = clean_failure(&run(&["decode", path.to_str().unwrap()]));
    assert!(
        err.contains("is not a pcap or pcapng capture (starts with 68656c6c)"),
        "{err}"
    );

    let path = scratch("empty.pcap", b"");
    let err = clean_failure(&run(&["decode", path.to_str().unwrap()]));
    assert!(
        err.contains("is empty, not a pcap or pcapng capture"),
        "{err}"
    );

    let path = scratch("short.pcap", &[0xd4, 0xc3]);
    let err = clean_failure(&run(&["decode", path.to_str().unwrap()]));
    assert!(
        err.contains("is not a pcap or pcapng capture (starts with d4c3)"),
        "{err}"
    );
}

#[test]
fn truncated_file_header() {
    let pcap = fs::read(data_dir().join("udp.pcap")).unwrap();
    let path = scratch("header-cut.pcap", &pcap[..10]);
    let err = clean_failure(&run(&["decode", path.to_str().unwrap()]));
    assert!(err.contains("is truncated"), "{err}");
}

#[test]
fn truncated_capture_prints_the_frames_before_the_cut() {
    for (name, cut) in [
        ("udp.pcap", 24 + 16 + 46 + 16 + 20),
        ("tcp-http.pcapng", 1000),
    ] {
        let bytes = fs::read(data_dir().join(name)).unwrap();
        let path = scratch(&format!("cut-{name}"), &bytes[..cut]);
        let out = run(&["decode", path.to_str().unwrap(), "--format", "json"]);
        let err = clean_failure(&out);
        assert!(err.contains("is truncated"), "{name}: {err}");
        let printed = String::from_utf8(out.stdout).unwrap();
        assert!(
            !printed.is_empty(),
            "{name}: frames before the cut are printed"
        );
        for line in printed.lines() {
            serde_json::from_str::<serde_json::Value>(line).unwrap();
        }
    }
}

#[test]
fn malformed_pcapng_block() {
    let mut bytes = fs::read(data_dir().join("tcp-http.pcapng")).unwrap();
    // The section header's length, repeated at its end, no longer matches.
    let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    bytes[shb_len - 4] ^= 0x40;
    let path = scratch("bad-block.pcapng", &bytes);
    let err = clean_failure(&run(&["decode", path.to_str().unwrap()]));
    assert!(err.contains("is malformed"), "{err}");
}

#[test]
fn usage_errors() {
    let out = run(&["decode", "x.pcap", "--format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid value 'xml'"));
    let out = run(&["decode"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<FILE>"));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("decode"));
    let out = run(&["--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("decode"));
}
