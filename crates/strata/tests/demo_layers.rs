//! The encapsulation story of real frames (tests/data/tcp-http.pcapng and
//! udp.pcap, captured from Linux on a veth pair).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use strata::capture::CaptureReader;
use strata::demo::layers::{Encapsulation, LayersError};

fn frames(file: &str) -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    CaptureReader::open(path)
        .unwrap()
        .map(|f| f.unwrap().data)
        .collect()
}

#[test]
fn tcp_data_segment_down_and_up() {
    let frames = frames("tcp-http.pcapng");
    let frame = &frames[3]; // the GET request, 154 bytes
    let story = Encapsulation::of(frame).unwrap();
    assert_eq!(story.payload.len(), 88);
    assert!(story.payload.starts_with(b"GET /hello.txt HTTP/1.1\r\n"));
    let sizes: Vec<_> = story.headers.iter().map(|h| (h.title, h.len)).collect();
    assert_eq!(sizes, [("Ethernet", 14), ("IPv4", 20), ("TCP", 32)]);
    assert_eq!(story.frame_len(), frame.len());

    let down = story.down();
    let lines: Vec<&str> = down.lines().collect();
    assert!(lines[0].starts_with("  application data (88 bytes): \"GET /hello.txt HTTP/1.1\\r\\n"));
    // Innermost header first on the way down, with the growing unit size.
    let added: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("header added"))
        .collect();
    assert_eq!(added.len(), 3);
    assert!(added[0].contains("TCP header added (32 bytes) => segment of 120 bytes"));
    assert!(added[1].contains("IPv4 header added (20 bytes) => packet of 140 bytes"));
    assert!(added[2].contains("Ethernet header added (14 bytes) => frame of 154 bytes"));
    // Field names and values from the decoder.
    for field in [
        "Source Port: 51032",
        "Destination Port: 8000",
        "Sequence Number (raw): 1790713989",
        "Flags: 0x018 (PSH, ACK)",
        "Checksum: 0x7e25 [correct]",
        "Options: (12 bytes), NOP, NOP, TS",
        "Time to Live: 64",
        "Protocol: TCP (6)",
        "Header Length: 20 bytes (5)",
        "Source Address: 198.18.0.1",
        "Destination: 02:00:5e:12:00:02",
        "Type: IPv4 (0x0800)",
    ] {
        assert!(down.contains(field), "{field} missing from\n{down}");
    }

    let up = story.up();
    let stripped: Vec<&str> = up.lines().filter(|l| l.contains("stripped")).collect();
    assert_eq!(stripped.len(), 3);
    assert!(
        stripped[0].contains("Ethernet header stripped (14 bytes)")
            && stripped[0].contains("140 bytes go up to IPv4")
    );
    assert!(
        stripped[1].contains("IPv4 header stripped (20 bytes)")
            && stripped[1].contains("120 bytes go up to TCP")
    );
    assert!(
        stripped[2].contains("TCP header stripped (32 bytes)")
            && stripped[2].contains("88 bytes go up to the socket")
    );
    assert!(
        up.lines()
            .last()
            .unwrap()
            .contains("application data (88 bytes)")
    );
}

#[test]
fn padded_handshake_segment_and_udp() {
    let tcp = frames("tcp-http.pcapng");
    let syn = Encapsulation::of(&tcp[0]).unwrap();
    assert!(syn.payload.is_empty());
    assert!(syn.down().contains("application data (0 bytes)"));
    let udp = frames("udp.pcap");
    let mut seen = 0;
    for frame in &udp {
        match Encapsulation::of(frame) {
            Ok(story) => {
                seen += 1;
                assert_eq!(story.headers[2].title, "UDP");
                assert_eq!(story.headers[2].len, 8);
                assert_eq!(story.frame_len(), frame.len());
                assert!(
                    story
                        .down()
                        .contains("UDP header added (8 bytes) => datagram of")
                );
                assert!(
                    story.headers[2]
                        .fields
                        .iter()
                        .any(|f| f.starts_with("Length: "))
                );
            }
            Err(LayersError::NotTransport) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert!(seen > 0);
}

#[test]
fn non_transport_frames_are_refused() {
    let arp = frames("arp-icmp.pcap");
    assert_eq!(Encapsulation::of(&arp[0]), Err(LayersError::NotTransport));
    assert!(matches!(
        Encapsulation::of(&frames("tcp-http.pcapng")[3][..30]),
        Err(LayersError::Malformed(_))
    ));
}
