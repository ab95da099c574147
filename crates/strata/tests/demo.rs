//! `strata demo` run in-process: the response arrives intact, the story
//! tells the four socket steps and the layers, the capture reads back with
//! strata's capture reader with every checksum right (and through tshark
//! when it is installed), and over a lossy link the exchange recovers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::Command;

use strata::capture::CaptureReader;
use strata::demo::{
    CLIENT_IP, DemoConfig, DemoOutcome, SERVER_IP, Side, http_request, http_response, run,
};
use strata_ethernet::{EtherType, Frame};
use strata_ipv4::{Packet, Protocol};
use strata_tcp::{Flags, Segment};
use strata_udp::Datagram;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn lossy(seed: u64) -> DemoConfig {
    DemoConfig {
        loss: 0.1,
        seed,
        ..DemoConfig::default()
    }
}

/// Checks the layers of one frame; returns (is TCP, is UDP).
fn check_frame(frame: &[u8]) -> (bool, bool) {
    let eth = Frame::parse(frame).unwrap();
    if eth.ethertype() == EtherType::ARP {
        return (false, false);
    }
    assert_eq!(eth.ethertype(), EtherType::IPV4);
    let ip = Packet::parse_verified(eth.payload()).expect("IPv4 header checksum");
    let (src, dst) = (ip.src(), ip.dst());
    assert!([src, dst].contains(&CLIENT_IP) && [src, dst].contains(&SERVER_IP));
    match ip.protocol() {
        Protocol::TCP => {
            let seg = Segment::parse(ip.payload()).unwrap();
            assert!(seg.verify_checksum(src, dst), "TCP checksum");
            (true, false)
        }
        Protocol::UDP => {
            let udp = Datagram::parse(ip.payload()).unwrap();
            assert!(udp.verify_checksum(src, dst), "UDP checksum");
            (false, true)
        }
        other => panic!("unexpected protocol {other:?}"),
    }
}

fn assert_complete(outcome: &DemoOutcome) {
    assert_eq!(outcome.response, http_response(), "response intact");
    assert_eq!(outcome.request, http_request(), "request intact");
    assert_eq!(outcome.resolved, [SERVER_IP]);
    let story = &outcome.story;
    let steps = [
        "Step 1: create",
        "Step 2: connect",
        "Step 3: exchange",
        "Step 4: close",
    ];
    let mut at = 0;
    for step in steps {
        let found = story[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} missing or out of order"));
        at += found;
    }
    for line in [
        "[client] resolve(\"server.example.test\")",
        "[client] server.example.test -> 198.18.0.2",
        "[client] socket(STREAM) -> fd",
        "[client] connect(fd",
        "EINPROGRESS",
        "is writable: connected (ESTABLISHED)",
        "the listening socket hands out a new socket",
        "[client] close(fd",
        "[server] recv(fd",
        "-> 0: the client closed its side",
        "ARP who-has 198.18.0.2? tell 198.18.0.1",
        "ARP 198.18.0.2 is-at 02:00:00:00:00:02",
        "DNS query",
        "DNS response",
        "TCP SYN seq=0",
        "TCP SYN, ACK seq=0 ack=1",
        "The first data segment going down the client's stack:",
        "application data (92 bytes)",
        "TCP header added (32 bytes) => segment of 124 bytes",
        "IPv4 header added (20 bytes) => packet of 144 bytes",
        "Ethernet header added (14 bytes) => frame of 158 bytes",
        "... and coming up the server's stack:",
        "Ethernet header stripped (14 bytes)",
        "IPv4 header stripped (20 bytes)",
        "TCP header stripped (32 bytes)",
        "intact",
    ] {
        assert!(
            story.contains(line),
            "{line:?} missing from the story:\n{story}"
        );
    }
    // The handshake and the close in the ladder.
    let ladder = outcome.ladder.as_ref().unwrap();
    assert_eq!(ladder.a.ip(), &CLIENT_IP);
    assert_eq!(ladder.b.port(), 80);
    assert_eq!(ladder.segments[0].flags, Flags::SYN);
    let fins: Vec<_> = ladder
        .segments
        .iter()
        .filter(|s| s.flags.contains(Flags::FIN) && !s.dropped)
        .map(|s| s.direction)
        .collect();
    assert!(fins.len() >= 2, "a FIN each way");
    // Every frame on the link is well formed with right checksums.
    for record in &outcome.frames {
        check_frame(&record.frame);
    }
}

#[test]
fn clean_link_tells_the_whole_story() {
    let outcome = run(&DemoConfig::default(), None).unwrap();
    assert_complete(&outcome);
    assert_eq!(outcome.frames_lost, 0);
    assert_eq!(outcome.tcp_retransmissions, 0);
    assert!(!outcome.story.contains("LOST"));
    // Handshake, request, three response segments, the close.
    let ladder = outcome.ladder.as_ref().unwrap();
    let labels: Vec<String> = ladder.segments.iter().map(|s| s.label()).collect();
    assert!(labels[2].starts_with("ACK seq=1 ack=1 "), "{labels:?}");
    assert!(
        labels[3].starts_with("PSH, ACK seq=1 ack=1 len=92 "),
        "{labels:?}"
    );
    let data: u32 = ladder
        .segments
        .iter()
        .filter(|s| s.direction == strata::demo::ladder::Direction::BtoA)
        .map(|s| s.len)
        .sum();
    assert_eq!(data as usize, http_response().len());
    // Same seed, same run.
    let again = run(&DemoConfig::default(), None).unwrap();
    assert_eq!(again.story, outcome.story);
}

#[test]
fn pcap_reads_back_with_valid_checksums() {
    let path = temp("clean.pcapng");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let outcome = run(&DemoConfig::default(), Some(&mut file)).unwrap();
    drop(file);
    assert_complete(&outcome);
    let frames: Vec<_> = CaptureReader::open(&path)
        .unwrap()
        .map(|f| f.unwrap())
        .collect();
    // The client's end sees what it sent and what reached it: everything.
    assert_eq!(frames.len(), outcome.frames.len());
    let (mut tcp, mut udp) = (0, 0);
    for f in &frames {
        assert_eq!(f.meta.link_type, 1);
        let (t, u) = check_frame(&f.data);
        tcp += usize::from(t);
        udp += usize::from(u);
    }
    assert_eq!(tcp, outcome.ladder.as_ref().unwrap().segments.len());
    assert_eq!(udp, 4, "two DNS queries (A, AAAA) and their answers");
    // Times increase.
    assert!(
        frames
            .windows(2)
            .all(|w| w[0].meta.timestamp <= w[1].meta.timestamp)
    );
    tshark_agrees(&path, frames.len());
}

/// When tshark is installed: it reads the file, finds no malformed packet
/// and no bad checksum, and sees the HTTP exchange.
fn tshark_agrees(path: &std::path::Path, frames: usize) {
    let Ok(out) = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "ip.checksum.status",
            "-e",
            "tcp.checksum.status",
            "-e",
            "udp.checksum.status",
            "-e",
            "_ws.malformed",
            "-e",
            "_ws.col.Protocol",
        ])
        .output()
    else {
        eprintln!("tshark not installed: skipped");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), frames);
    let mut http = 0;
    for line in &lines {
        let cols: Vec<&str> = line.split('\t').collect();
        for status in &cols[1..4] {
            assert!(status.is_empty() || *status == "1", "bad checksum: {line}");
        }
        assert!(cols[4].is_empty(), "malformed: {line}");
        http += usize::from(cols[5] == "HTTP");
    }
    assert_eq!(http, 2, "the GET and the response");
}

#[test]
fn lossy_link_recovers() {
    let mut lost = 0;
    let mut retransmissions = 0;
    for seed in [2, 5, 8, 11] {
        let outcome = run(&lossy(seed), None).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_complete(&outcome);
        lost += outcome.frames_lost;
        retransmissions += outcome.tcp_retransmissions;
        if outcome.frames_lost > 0 {
            assert!(outcome.story.contains("LOST by the link"));
            assert!(outcome.story.contains("recovery:"));
        }
        // The ladder agrees with the frames: every lost TCP frame is drawn as lost.
        let ladder = outcome.ladder.as_ref().unwrap();
        let svg = ladder.to_svg();
        assert_eq!(svg.matches("class=\"drop\"").count(), ladder.dropped());
        assert_eq!(
            svg.matches("<line class=\"segment").count(),
            ladder.segments.len()
        );
        // Every lost TCP segment that carried data was sent again.
        for (i, s) in ladder.segments.iter().enumerate() {
            if s.dropped && s.len > 0 {
                assert!(
                    ladder.segments[i + 1..]
                        .iter()
                        .any(|r| r.retransmission && r.direction == s.direction && r.seq <= s.seq),
                    "seed {seed}: segment {i} lost and not sent again"
                );
            }
        }
    }
    assert!(lost > 0, "10% loss over four runs lost nothing");
    assert!(
        retransmissions > 0,
        "no TCP retransmission over four lossy runs"
    );
}

#[test]
fn lossy_pcap_is_still_valid() {
    let mut buf: Vec<u8> = Vec::new();
    let outcome = run(&lossy(8), Some(&mut buf)).unwrap();
    assert_complete(&outcome);
    let path = temp("lossy.pcapng");
    std::fs::write(&path, &buf).unwrap();
    let frames: Vec<_> = CaptureReader::open(&path)
        .unwrap()
        .map(|f| f.unwrap())
        .collect();
    // What the client sent (lost or not) and what reached it.
    let expected = outcome
        .frames
        .iter()
        .filter(|r| r.from == Side::Client || !r.dropped)
        .count();
    assert_eq!(frames.len(), expected);
    for f in &frames {
        check_frame(&f.data);
    }
}

#[test]
fn cli_writes_capture_and_ladder() {
    let pcap = temp("cli.pcapng");
    let svg = temp("cli.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["demo", "--loss", "0.1", "--seed", "5", "--pcap"])
        .arg(&pcap)
        .arg("--ladder")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Step 4: close"));
    assert!(stdout.contains("sequence diagram written to"));
    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.starts_with("<svg") && drawing.trim_end().ends_with("</svg>"));
    assert!(drawing.contains("SYN seq=0"));
    assert!(CaptureReader::open(&pcap).unwrap().count() > 10);
    let bad = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["demo", "--loss", "1.5"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn dead_link_fails_with_the_story_so_far() {
    let config = DemoConfig {
        loss: 1.0,
        ..DemoConfig::default()
    };
    match run(&config, None) {
        Err(strata::demo::DemoError::Incomplete { cause, story }) => {
            assert!(cause.to_string().contains("resolve"), "{cause}");
            assert!(story.contains("Step 1: create"));
            assert!(story.contains("LOST by the link"));
            assert!(!story.contains("Step 2: connect"));
        }
        other => panic!("expected an incomplete run, got {other:?}"),
    }
}
