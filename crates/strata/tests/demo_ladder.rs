//! The ladder diagram from a real capture (tests/data/tcp-http.pcapng: a
//! curl GET to a Python HTTP server on a veth pair), and from edited copies
//! of it with a retransmission and a lost segment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use strata::capture::CaptureReader;
use strata::demo::ladder::{Direction, Ladder, LinkFrame};

fn frames() -> Vec<(u64, Vec<u8>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tcp-http.pcapng");
    CaptureReader::open(path)
        .unwrap()
        .map(|f| {
            let f = f.unwrap();
            (f.meta.timestamp.as_micros() as u64, f.data)
        })
        .collect()
}

fn ladder(frames: &[(u64, Vec<u8>)], dropped: &[usize]) -> Ladder {
    Ladder::from_frames(frames.iter().enumerate().map(|(i, (t, d))| LinkFrame {
        time_us: *t,
        data: d,
        dropped: dropped.contains(&i),
    }))
    .unwrap()
}

/// Checks that every element opened is closed in order (a small XML
/// well-formedness check: tags balance, attributes quoted, no stray `<`
/// or `&` in text), and counts elements by name and class.
fn check_xml(svg: &str) -> Vec<(String, Option<String>)> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "stray > in text: {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&lt;", "&gt;", "&amp;", "&quot;"]
                    .iter()
                    .any(|e| entity.starts_with(e)),
                "bad entity in {text:?}"
            );
        }
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_whitespace().next().unwrap().to_string();
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "unquoted attribute in <{tag}>"
        );
        let class = tag
            .split("class=\"")
            .nth(1)
            .map(|c| c.split('"').next().unwrap().to_string());
        elements.push((name.clone(), class));
        if !self_closing {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert!(rest.trim().is_empty());
    elements
}

fn segment_lines(elements: &[(String, Option<String>)]) -> Vec<&str> {
    elements
        .iter()
        .filter(|(name, class)| {
            name == "line" && class.as_deref().is_some_and(|c| c.starts_with("segment"))
        })
        .map(|(_, class)| class.as_deref().unwrap())
        .collect()
}

#[test]
fn capture_gives_relative_numbers_like_wireshark() {
    let frames = frames();
    let l = ladder(&frames, &[]);
    assert_eq!(l.a.to_string(), "198.18.0.1:51032");
    assert_eq!(l.b.to_string(), "198.18.0.2:8000");
    assert_eq!(
        l.segments.len(),
        frames.len(),
        "every frame of the capture is this connection"
    );
    let s = &l.segments;
    // Handshake.
    assert_eq!(s[0].direction, Direction::AtoB);
    assert!(
        s[0].label().starts_with("SYN seq=0 win="),
        "{}",
        s[0].label()
    );
    assert!(
        s[1].label().starts_with("SYN, ACK seq=0 ack=1 win="),
        "{}",
        s[1].label()
    );
    assert_eq!(s[1].direction, Direction::BtoA);
    assert!(
        s[2].label().starts_with("ACK seq=1 ack=1 win="),
        "{}",
        s[2].label()
    );
    // The request: 88 bytes from seq 1 (frame 4 of the capture).
    assert_eq!(
        s[3].label(),
        format!("PSH, ACK seq=1 ack=1 len=88 win={}", s[3].window)
    );
    // The server's reply starts at its relative seq 1 and acks 89.
    let reply = s
        .iter()
        .find(|x| x.direction == Direction::BtoA && x.len > 0)
        .unwrap();
    assert_eq!((reply.seq, reply.ack), (1, 89));
    // Nothing is retransmitted or lost in this capture.
    assert_eq!((l.retransmissions(), l.dropped()), (0, 0));
    // The close: a FIN each way.
    assert_eq!(
        s.iter()
            .filter(|x| x.flags.contains(strata_tcp::Flags::FIN))
            .count(),
        2
    );
    // Times are non-decreasing.
    assert!(s.windows(2).all(|w| w[0].time_us <= w[1].time_us));
}

#[test]
fn svg_is_balanced_with_one_arrow_and_label_per_segment() {
    let frames = frames();
    let l = ladder(&frames, &[]);
    let svg = l.to_svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    let elements = check_xml(&svg);
    assert_eq!(segment_lines(&elements).len(), l.segments.len());
    let labels = elements
        .iter()
        .filter(|(n, c)| n == "text" && c.as_deref() == Some("label"))
        .count();
    assert_eq!(labels, l.segments.len());
    for seg in &l.segments {
        assert!(svg.contains(&seg.label()), "{}", seg.label());
    }
    assert!(svg.contains("A 198.18.0.1:51032") && svg.contains("B 198.18.0.2:8000"));
    assert!(!svg.contains("retransmission") && !svg.contains("class=\"drop\""));
}

#[test]
fn retransmission_and_loss_are_marked() {
    let mut frames = frames();
    // The request (index 3) is lost, then sent again 200 ms later.
    let mut again = frames[3].clone();
    again.0 += 200_000;
    frames.insert(4, again);
    let l = ladder(&frames, &[3]);
    assert_eq!(l.segments.len(), frames.len());
    assert!(l.segments[3].dropped && !l.segments[3].retransmission);
    assert!(l.segments[4].retransmission && !l.segments[4].dropped);
    assert_eq!((l.retransmissions(), l.dropped()), (1, 1));
    let svg = l.to_svg();
    let elements = check_xml(&svg);
    let lines = segment_lines(&elements);
    assert_eq!(lines.len(), frames.len());
    assert_eq!(
        lines
            .iter()
            .filter(|c| c.contains("retransmission"))
            .count(),
        1
    );
    assert_eq!(lines.iter().filter(|c| c.contains("dropped")).count(), 1);
    let crosses = elements
        .iter()
        .filter(|(n, c)| n == "path" && c.as_deref() == Some("drop"))
        .count();
    assert_eq!(crosses, 1);
    assert!(svg.contains("[retransmission] PSH, ACK seq=1 ack=1 len=88"));
    assert!(svg.contains("(lost)"));
    assert!(svg.contains("stroke=\"#c0392b\""));
    // A pure ACK repeated is not a retransmission (it carries no sequence space).
    let mut frames = self::frames();
    let ack = frames[2].clone();
    frames.insert(3, ack);
    assert_eq!(ladder(&frames, &[]).retransmissions(), 0);
}

#[test]
fn other_traffic_is_skipped() {
    let mut frames = frames();
    // An ARP frame and a truncated frame in between change nothing.
    frames.insert(1, (0, vec![0xff; 42]));
    frames.insert(2, (0, vec![0x02; 10]));
    let l = ladder(&frames, &[]);
    assert_eq!(l.segments.len(), frames.len() - 2);
    assert!(Ladder::from_frames(std::iter::empty()).is_none());
}

/// With tshark installed: relative seq and ack, length and the scaled
/// window, as Wireshark computes them, for every segment. (The recorded
/// tcp-http.pcapng.tshark.json was made with relative numbers off.)
#[test]
fn windows_match_tshark_when_installed() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tcp-http.pcapng");
    let Ok(out) = std::process::Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args([
            "-T",
            "fields",
            "-e",
            "tcp.seq",
            "-e",
            "tcp.ack",
            "-e",
            "tcp.len",
            "-e",
            "tcp.window_size",
        ])
        .output()
    else {
        eprintln!("tshark not installed: skipped");
        return;
    };
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let l = ladder(&frames(), &[]);
    let rows: Vec<Vec<u32>> = text
        .lines()
        .map(|line| line.split('\t').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), l.segments.len());
    for (row, seg) in rows.iter().zip(&l.segments) {
        assert_eq!(row[0], seg.seq);
        assert_eq!(row[2], seg.len);
        assert_eq!(row[3], seg.window, "{}", seg.label());
        if seg.flags.contains(strata_tcp::Flags::ACK) {
            assert_eq!(row[1], seg.ack);
        }
    }
}
