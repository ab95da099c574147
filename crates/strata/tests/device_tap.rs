//! The TAP device against the Linux kernel, in a network namespace of its
//! own: the kernel ARPs for us, we answer, it pings us, we answer, and its
//! `ping` succeeds and its counters see our frames.
//!
//! Needs root and /dev/net/tun; skipped (with a message) otherwise. The
//! outer test makes the namespace `devices-tap-<pid>` and runs this test
//! binary's `tap_inner` inside it with `ip netns exec`; the namespace is
//! deleted whatever happens.
#![cfg(target_os = "linux")]
// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::Ipv4Addr;
use std::process::{Command, Output};
use std::time::{Duration, Instant as StdInstant};

use strata::device::tap::{TapDevice, TapOptions};
use strata::device::{Device, DeviceError};
use strata_core::time::Instant;

const INNER_ENV: &str = "STRATA_DEVICES_TAP_INNER";
const KERNEL_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 77, 1);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 77, 2);
const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x77, 0x02];

fn run(cmd: &[&str]) -> Output {
    Command::new(cmd[0])
        .args(&cmd[1..])
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn run_ok(cmd: &[&str]) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Deletes the namespace when the test ends, passed or failed.
struct Namespace(String);

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

#[test]
fn tap_device_in_a_network_namespace() {
    // Root: the effective uid, from /proc.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !root || !std::path::Path::new("/dev/net/tun").exists() {
        eprintln!("skipping the TAP test: it needs root and /dev/net/tun");
        return;
    }
    for (tool, arg) in [("ip", "-V"), ("ping", "-V"), ("sysctl", "--version")] {
        if Command::new(tool).arg(arg).output().is_err() {
            eprintln!("skipping the TAP test: no `{tool}` command");
            return;
        }
    }
    let name = format!("devices-tap-{}", std::process::id());
    let add = run(&["ip", "netns", "add", &name]);
    if !add.status.success() {
        eprintln!(
            "skipping the TAP test: cannot create a network namespace: {}",
            String::from_utf8_lossy(&add.stderr)
        );
        return;
    }
    let ns = Namespace(name);
    // No IPv6 chatter (router solicitations, MLD) on the TAP: the only
    // frames the kernel sends are the ones the test provokes.
    run_ok(&[
        "ip",
        "netns",
        "exec",
        &ns.0,
        "sysctl",
        "-qw",
        "net.ipv6.conf.all.disable_ipv6=1",
        "net.ipv6.conf.default.disable_ipv6=1",
    ]);
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(exe)
        .args([
            "--exact",
            "tap_inner",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INNER_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("--- inner test output ---\n{stdout}{stderr}");
    assert!(out.status.success(), "the test inside the namespace failed");
    assert!(stdout.contains("1 passed"), "the inner test did not run");
    assert!(
        stderr.contains("inner test done"),
        "the inner test skipped its body"
    );
}

/// The kernel side's counters of `dev`, from `ip -s -j link show`: (rx
/// packets, tx packets). The kernel's RX is what we wrote.
fn kernel_counters(dev: &str) -> (u64, u64) {
    let json = run_ok(&["ip", "-s", "-j", "link", "show", "dev", dev]);
    let v: strata::serde_json::Value = strata::serde_json::from_str(&json).unwrap();
    let stats = &v[0]["stats64"];
    (
        stats["rx"]["packets"].as_u64().unwrap(),
        stats["tx"]["packets"].as_u64().unwrap(),
    )
}

/// The next frame from `tap` that `pick` accepts, within `timeout`.
fn next_frame(
    tap: &mut TapDevice,
    timeout: Duration,
    pick: impl Fn(&[u8]) -> bool,
) -> Option<Vec<u8>> {
    let deadline = StdInstant::now() + timeout;
    loop {
        while let Some(frame) = tap.receive(Instant::ZERO, <[u8]>::to_vec) {
            if pick(&frame) {
                return Some(frame);
            }
            eprintln!("ignoring a frame: {:02x?}", &frame[..frame.len().min(42)]);
        }
        let left = deadline.saturating_duration_since(StdInstant::now());
        if left.is_zero() {
            return None;
        }
        tap.wait(Some(left)).unwrap();
    }
}

fn is_arp_request_for_us(f: &[u8]) -> bool {
    f.len() >= 42
        && f[12..14] == [0x08, 0x06]
        && f[20..22] == [0, 1]
        && f[28..32] == KERNEL_IP.octets()
        && f[38..42] == OUR_IP.octets()
}

fn is_echo_request_to_us(f: &[u8]) -> bool {
    f.len() >= 42
        && f[0..6] == OUR_MAC
        && f[12..14] == [0x08, 0x00]
        && f[23] == 1
        && f[26..30] == KERNEL_IP.octets()
        && f[30..34] == OUR_IP.octets()
        && f[34] == 8
}

#[test]
#[ignore = "runs inside the namespace made by tap_device_in_a_network_namespace"]
fn tap_inner() {
    if std::env::var_os(INNER_ENV).is_none() {
        eprintln!("tap_inner only runs inside the namespace of tap_device_in_a_network_namespace");
        return;
    }
    run_ok(&["ip", "link", "set", "lo", "up"]);

    // Bad names never reach the kernel; a name that is not a TAP is
    // refused by it.
    for bad in ["", "a/b", "sixteen-chars-xx"] {
        let e = TapDevice::open(bad).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{bad:?}: {e}");
    }
    assert!(TapDevice::open("lo").is_err());

    // Created: up, MTU read from the kernel.
    let mut tap = TapDevice::open("devtap0").unwrap();
    assert!(tap.created());
    assert_eq!(tap.name(), "devtap0");
    assert_eq!(tap.mtu(), 1500);
    assert_eq!(tap.max_frame_len(), 1514);
    assert!(tap.raw_fd() >= 0);
    let link = run_ok(&["ip", "-j", "link", "show", "dev", "devtap0"]);
    assert!(link.contains("\"UP\""), "{link}");
    // Held by us: a second open is refused (EBUSY).
    assert!(TapDevice::open("devtap0").is_err());
    run_ok(&[
        "ip",
        "addr",
        "add",
        &format!("{KERNEL_IP}/24"),
        "dev",
        "devtap0",
    ]);

    // Nothing waits yet: receive says None, wait times out.
    while tap.receive(Instant::ZERO, |_| ()).is_some() {}
    let t0 = StdInstant::now();
    assert!(!tap.wait(Some(Duration::from_millis(50))).unwrap());
    assert!(t0.elapsed() >= Duration::from_millis(50));

    let (rx_before, _) = kernel_counters("devtap0");
    let mut ping = Command::new("ping")
        .args(["-c", "1", "-W", "3", &OUR_IP.to_string()])
        .spawn()
        .unwrap();

    // The kernel asks who has our address.
    let request = next_frame(&mut tap, Duration::from_secs(3), is_arp_request_for_us)
        .expect("no ARP request from the kernel");
    let kernel_mac: [u8; 6] = request[22..28].try_into().unwrap();
    assert_eq!(request[0..6], [0xff; 6]);
    assert_eq!(request[6..12], kernel_mac);

    // We answer.
    let sent = tap.transmit(Instant::ZERO, |buf| {
        let frame = &mut buf[..60];
        frame.fill(0);
        frame[0..6].copy_from_slice(&kernel_mac);
        frame[6..12].copy_from_slice(&OUR_MAC);
        frame[12..14].copy_from_slice(&[0x08, 0x06]);
        frame[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 2]);
        frame[22..28].copy_from_slice(&OUR_MAC);
        frame[28..32].copy_from_slice(&OUR_IP.octets());
        frame[32..38].copy_from_slice(&kernel_mac);
        frame[38..42].copy_from_slice(&KERNEL_IP.octets());
        Some(60)
    });
    assert_eq!(sent, Ok(Some(60)));

    // The kernel learned our MAC and sends the echo request to it.
    let echo = next_frame(&mut tap, Duration::from_secs(3), is_echo_request_to_us)
        .expect("no echo request from the kernel");
    let neigh = run_ok(&["ip", "neigh", "show", &OUR_IP.to_string(), "dev", "devtap0"]);
    assert!(neigh.contains("02:00:00:00:77:02"), "{neigh}");

    // We answer that too: addresses swapped (the IPv4 checksum does not
    // change), type 0, ICMP checksum recomputed.
    let len = echo.len();
    let sent = tap.transmit(Instant::ZERO, |buf| {
        let frame = &mut buf[..len];
        frame.copy_from_slice(&echo);
        frame[0..6].copy_from_slice(&kernel_mac);
        frame[6..12].copy_from_slice(&OUR_MAC);
        frame[26..30].copy_from_slice(&OUR_IP.octets());
        frame[30..34].copy_from_slice(&KERNEL_IP.octets());
        let ip_len = usize::from(u16::from_be_bytes([frame[16], frame[17]]));
        let icmp = &mut frame[34..14 + ip_len];
        icmp[0] = 0;
        icmp[2..4].fill(0);
        let sum = strata_core::checksum::checksum(icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        Some(len)
    });
    assert_eq!(sent, Ok(Some(len)));

    // Linux's ping got its reply.
    let status = ping.wait().unwrap();
    assert!(status.success(), "ping failed: {status}");
    let (rx_after, tx_after) = kernel_counters("devtap0");
    assert!(
        rx_after >= rx_before + 2,
        "kernel RX {rx_before} -> {rx_after}"
    );
    assert!(tx_after >= 2);
    let stats = tap.stats();
    assert_eq!(stats.tx_frames, 2);
    assert_eq!(stats.tx_bytes, 60 + len as u64);
    assert!(stats.rx_frames >= 2);
    assert_eq!(stats.rx_errors, 0);

    // A frame longer than the buffer is refused before any write.
    assert_eq!(
        tap.transmit(Instant::ZERO, |_| Some(1515)),
        Err(DeviceError::FrameTooLong {
            len: 1515,
            max: 1514
        })
    );
    assert_eq!(tap.transmit(Instant::ZERO, |_| None), Ok(None));
    assert_eq!(tap.stats().tx_frames, 2);

    // Created, so gone when dropped.
    drop(tap);
    assert!(
        !run(&["ip", "link", "show", "dev", "devtap0"])
            .status
            .success()
    );

    // Attached to a persistent TAP: left in place, MTU set on request,
    // brought up only when asked.
    run_ok(&["ip", "tuntap", "add", "dev", "devtap1", "mode", "tap"]);
    let tap = TapDevice::open_with(
        "devtap1",
        TapOptions {
            mtu: Some(9000),
            bring_up: false,
        },
    )
    .unwrap();
    assert!(!tap.created());
    assert_eq!(tap.mtu(), 9000);
    assert_eq!(tap.max_frame_len(), 9014);
    let link = run_ok(&["ip", "-j", "link", "show", "dev", "devtap1"]);
    assert!(link.contains("\"mtu\":9000"), "{link}");
    assert!(!link.contains("\"UP\""), "{link}");
    drop(tap);
    run_ok(&["ip", "link", "show", "dev", "devtap1"]);
    run_ok(&["ip", "tuntap", "del", "dev", "devtap1", "mode", "tap"]);
    eprintln!("inner test done");
}
