//! The pcap writer: what it records reads back through `strata::capture`
//! and through tshark, with the right times, bytes and directions.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration as StdDuration, SystemTime};

use strata::capture::{CaptureReader, Format};
use strata::device::pcap::{PcapFormat, PcapOptions, PcapWriter};
use strata::device::{Device, DeviceError, memory};
use strata_core::time::Instant;

/// Real frames from a committed capture of Linux traffic.
fn real_frames() -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tcp-http.pcap");
    let mut reader = CaptureReader::open(path).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame() {
        frames.push(frame.unwrap().data);
    }
    assert!(frames.len() >= 8, "{} frames", frames.len());
    frames
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("strata-devices-{}-{name}", std::process::id()))
}

/// Sends `frames` alternately from each end of a pair whose end `a` is
/// recorded to `path`; frame `i` at `i` * 1.25 ms. Returns the times and
/// whether `a` sent each frame.
fn record(path: &Path, format: PcapFormat, frames: &[Vec<u8>]) -> Vec<(Instant, bool)> {
    let (a, mut b) = memory::pair(1500);
    let options = PcapOptions {
        format,
        epoch: SystemTime::UNIX_EPOCH + StdDuration::from_secs(1_700_000_000),
        interface_name: Some("strata-test".into()),
    };
    let file = std::fs::File::create(path).unwrap();
    let mut a = PcapWriter::with_options(a, file, options).unwrap();
    let mut log = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        let now = Instant::from_micros(i as u64 * 1250);
        let from_a = i % 2 == 0;
        let put = |buf: &mut [u8]| {
            buf[..frame.len()].copy_from_slice(frame);
            Some(frame.len())
        };
        if from_a {
            assert_eq!(a.transmit(now, put), Ok(Some(frame.len())));
            assert_eq!(b.receive(now, |f| f.to_vec()).as_ref(), Some(frame));
        } else {
            assert_eq!(b.transmit(now, put), Ok(Some(frame.len())));
            assert_eq!(a.receive(now, |f| f.to_vec()).as_ref(), Some(frame));
        }
        log.push((now, from_a));
    }
    // Nothing sent, nothing received: nothing recorded.
    assert_eq!(a.transmit(Instant::ZERO, |_| None), Ok(None));
    assert_eq!(a.receive(Instant::ZERO, |_| ()), None);
    assert_eq!(a.frames_written(), frames.len() as u64);
    assert_eq!(a.frames_lost(), 0);
    let (_device, file) = a.into_inner();
    file.unwrap().sync_all().unwrap();
    log
}

fn read_back(path: &Path, format: Format) -> Vec<(StdDuration, Vec<u8>)> {
    let mut reader = CaptureReader::open(path).unwrap();
    assert_eq!(reader.format(), format);
    let mut out = Vec::new();
    while let Some(frame) = reader.next_frame() {
        let frame = frame.unwrap();
        assert_eq!(frame.meta.link_type, 1);
        assert_eq!(frame.meta.orig_len as usize, frame.data.len());
        out.push((frame.meta.timestamp, frame.data));
    }
    out
}

fn round_trip(format: PcapFormat, expect: Format, name: &str) {
    let frames = real_frames();
    let path = temp_path(name);
    let log = record(&path, format, &frames);
    let back = read_back(&path, expect);
    assert_eq!(back.len(), frames.len());
    for ((ts, data), (frame, (now, _))) in back.iter().zip(frames.iter().zip(&log)) {
        assert_eq!(data, frame);
        assert_eq!(
            *ts,
            StdDuration::from_secs(1_700_000_000) + StdDuration::from_micros(now.total_micros())
        );
    }
    tshark_check(&path, &frames, &log, format == PcapFormat::PcapNg);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn pcap_round_trip() {
    round_trip(PcapFormat::Pcap, Format::Pcap, "round-trip.pcap");
}

#[test]
fn pcapng_round_trip() {
    round_trip(PcapFormat::PcapNg, Format::PcapNg, "round-trip.pcapng");
}

fn tshark_available() -> bool {
    Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// tshark reads every frame, with the right length and time, finds
/// nothing malformed, and (pcapng) sees each frame's direction.
fn tshark_check(path: &Path, frames: &[Vec<u8>], log: &[(Instant, bool)], directions: bool) {
    if !tshark_available() {
        eprintln!(
            "tshark is not installed: skipping the tshark check of {}",
            path.display()
        );
        return;
    }
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").arg("-r").arg(path).args([
        "-T",
        "fields",
        "-E",
        "separator=,",
        "-E",
        "aggregator=;",
        "-e",
        "frame.len",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.packet_flags_direction",
        "-e",
        "_ws.malformed",
        "-e",
        "_ws.expert.severity",
    ]);
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tshark failed: {stderr}");
    // Anything but the warning about running as root is a complaint about
    // the file.
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("could be dangerous"))
        .collect();
    assert!(complaints.is_empty(), "tshark complained: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), frames.len(), "{text}");
    for ((line, frame), (now, from_a)) in lines.iter().zip(frames).zip(log) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], frame.len().to_string(), "{line}");
        let epoch: f64 = fields[1].parse().unwrap();
        let want = 1_700_000_000.0 + now.total_micros() as f64 / 1e6;
        assert!((epoch - want).abs() < 1e-5, "{line}: want {want}");
        assert_eq!(fields[3], "", "malformed: {line}");
        // Expert infos of warning level (0x00600000) or worse would mean a
        // damaged frame (bad checksum, bad length).
        for severity in fields[4].split(';').filter(|s| !s.is_empty()) {
            let severity: u32 = severity.parse().unwrap();
            assert!(severity < 0x0060_0000, "expert warning: {line}");
        }
        if directions {
            // 1 = inbound, 2 = outbound, printed in hex.
            let dir = u32::from_str_radix(fields[2].trim_start_matches("0x"), 16).unwrap();
            assert_eq!(dir, if *from_a { 2 } else { 1 }, "{line}");
        } else {
            assert_eq!(fields[2], "", "{line}");
        }
    }
}

#[test]
fn flush_makes_frames_visible_mid_capture() {
    for (format, name) in [
        (PcapFormat::Pcap, "flush.pcap"),
        (PcapFormat::PcapNg, "flush.pcapng"),
    ] {
        let path = temp_path(name);
        let (a, mut b) = memory::pair(1500);
        let file = std::fs::File::create(&path).unwrap();
        let options = PcapOptions {
            format,
            ..PcapOptions::default()
        };
        let mut a = PcapWriter::with_options(a, file, options).unwrap();
        let send = |a: &mut PcapWriter<_, _>, n: u8| {
            a.transmit(Instant::from_millis(u64::from(n)), |buf: &mut [u8]| {
                buf[..60].fill(n);
                Some(60)
            })
            .unwrap();
        };
        send(&mut a, 1);
        send(&mut a, 2);
        a.flush().unwrap();
        let seen = read_back(
            &path,
            if format == PcapFormat::Pcap {
                Format::Pcap
            } else {
                Format::PcapNg
            },
        );
        assert_eq!(seen.len(), 2);
        // After a flush the capture goes on in the same file, with no
        // second file header.
        send(&mut a, 3);
        a.flush().unwrap();
        send(&mut a, 4);
        drop(a); // flushes
        let seen = read_back(
            &path,
            if format == PcapFormat::Pcap {
                Format::Pcap
            } else {
                Format::PcapNg
            },
        );
        let firsts: Vec<u8> = seen.iter().map(|(_, d)| d[0]).collect();
        assert_eq!(firsts, [1, 2, 3, 4]);
        let times: Vec<u128> = seen.iter().map(|(t, _)| t.as_millis()).collect();
        assert_eq!(times, [1, 2, 3, 4]);
        assert_eq!(b.receive(Instant::ZERO, |f| f[0]), Some(1));
        std::fs::remove_file(&path).unwrap();
    }
}

/// A file that accepts `room` bytes, then fails.
struct Full {
    room: usize,
    data: Vec<u8>,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        self.data.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_never_stop_the_device() {
    let (a, mut b) = memory::pair(1500);
    let full = Full {
        room: 100,
        data: Vec::new(),
    };
    let options = PcapOptions {
        format: PcapFormat::Pcap,
        ..PcapOptions::default()
    };
    let mut a = PcapWriter::with_options(a, full, options).unwrap();
    for n in 0..200u8 {
        // 200 frames of 1000 bytes overflow the 8 KiB buffer.
        let r = a.transmit(Instant::ZERO, |buf| {
            buf[..1000].fill(n);
            Some(1000)
        });
        assert_eq!(r, Ok(Some(1000)));
        assert_eq!(b.receive(Instant::ZERO, |f| f[0]), Some(n));
    }
    assert!(a.frames_lost() > 0);
    assert_eq!(a.frames_written() + a.frames_lost(), 200);
    assert_eq!(
        a.error().map(io::Error::kind),
        Some(io::ErrorKind::StorageFull)
    );
    assert_eq!(
        a.flush().map_err(|e| e.kind()),
        Err(io::ErrorKind::StorageFull)
    );
    let (_device, file) = a.into_inner();
    assert_eq!(
        file.map(|_| ()).map_err(|e| e.kind()),
        Err(io::ErrorKind::StorageFull)
    );
}

#[test]
fn busy_frames_are_not_recorded() {
    let (a, _b) = memory::pair_with(memory::MemoryConfig {
        mtu: 1500,
        queue_len: 1,
    });
    let options = PcapOptions {
        format: PcapFormat::Pcap,
        ..PcapOptions::default()
    };
    let mut a = PcapWriter::with_options(a, Vec::new(), options).unwrap();
    let frame = |buf: &mut [u8]| {
        buf[..60].fill(7);
        Some(60)
    };
    assert_eq!(a.transmit(Instant::ZERO, frame), Ok(Some(60)));
    assert_eq!(a.transmit(Instant::ZERO, frame), Err(DeviceError::Busy));
    assert_eq!(
        a.transmit(Instant::ZERO, |_| Some(5000)),
        Err(DeviceError::Busy)
    );
    assert_eq!(a.frames_written(), 1);
    assert_eq!(a.max_frame_len(), 1514);
    let (_d, file) = a.into_inner();
    assert_eq!(file.unwrap().len(), 24 + 16 + 60);
}
