//! A 64 MiB TCP transfer between two whole hosts, byte-exact, over a link
//! that loses, duplicates, reorders and corrupts frames in both
//! directions (the fault injector wrapping each host's device).

mod host_common;

use std::io::{ErrorKind, Read, Write};

use host_common::{config, sa};
use strata::device::fault::FaultInjector;
use strata::device::memory;
use strata::iface::Interface;
use strata::net::{SimNet, TcpListener, TcpStream};
use strata_core::time::Duration;
use strata_sim::LinkConfig;

/// The byte at `offset` of the stream: a pattern with a long period, so a
/// misplaced segment cannot match by accident.
fn pattern(offset: u64) -> u8 {
    let x = offset.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x >> 56) as u8 ^ (offset >> 16) as u8
}

fn impaired() -> LinkConfig {
    LinkConfig::clean()
        .with_delay(Duration::from_millis(1))
        .with_bandwidth(1_000_000_000)
        .with_queue_limit(1024 * 1024)
        .with_loss(0.01)
        .with_duplication(0.01)
        .with_reordering(0.02, Duration::from_millis(2))
        .with_corruption(0.005)
}

#[test]
fn sixty_four_mib_byte_exact_under_loss_duplication_and_reordering() {
    const TOTAL: u64 = 64 * 1024 * 1024;
    let started = std::time::Instant::now();
    let (da, db) = memory::pair(1500);
    let da = FaultInjector::new(da, impaired(), 11);
    let db = FaultInjector::new(db, impaired(), 12);
    let net = SimNet::new();
    let a = net.add_host(Interface::new(config(1)).unwrap(), da);
    let b = net.add_host(Interface::new(config(2)).unwrap(), db);

    let listener = TcpListener::bind(&b, sa(2, 5001)).unwrap();
    let mut client = TcpStream::connect(&a, sa(2, 5001)).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    client.set_write_timeout(Some(Duration::from_millis(1)));
    server.set_read_timeout(Some(Duration::from_millis(1)));

    let mut chunk = vec![0u8; 64 * 1024];
    let mut buf = vec![0u8; 64 * 1024];
    let mut sent: u64 = 0;
    let mut received: u64 = 0;
    while received < TOTAL {
        if sent < TOTAL {
            let n = (TOTAL - sent).min(chunk.len() as u64) as usize;
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = pattern(sent + i as u64);
            }
            match client.write(&chunk[..n]) {
                Ok(k) => sent += k as u64,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("write at {sent}: {e}"),
            }
            if sent == TOTAL {
                client.shutdown(std::net::Shutdown::Write).unwrap();
            }
        }
        while received < TOTAL {
            match server.read(&mut buf) {
                Ok(0) => panic!("early EOF at {received}"),
                Ok(n) => {
                    for (i, b) in buf[..n].iter().enumerate() {
                        assert_eq!(
                            *b,
                            pattern(received + i as u64),
                            "byte {}",
                            received + i as u64
                        );
                    }
                    received += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("read at {received}: {e}"),
            }
        }
    }
    // The client's FIN follows the data.
    server.set_read_timeout(None);
    assert_eq!(server.read(&mut buf).unwrap(), 0);

    let sim_time = net.now();
    let a_stats = net.with_interface(&a, |i, _| i.stats().clone()).unwrap();
    let b_stats = net.with_interface(&b, |i, _| i.stats().clone()).unwrap();
    eprintln!(
        "64 MiB: {:?} wall clock, {sim_time} simulated; a sent {} frames, b dropped {} bad checksums",
        started.elapsed(),
        a_stats.tx_frames,
        b_stats.rx_drop_transport_checksum + b_stats.rx_drop_ipv4_checksum,
    );
    // The impairments really happened: corrupted frames were caught by the
    // checksums rather than delivered.
    assert!(
        b_stats.rx_drop_transport_checksum
            + b_stats.rx_drop_ipv4_checksum
            + b_stats.rx_drop_malformed_frame
            + b_stats.rx_drop_other_mac
            + b_stats.rx_drop_malformed_ipv4
            > 0
    );
    assert!(a_stats.tx_frames > (TOTAL / 1460));
    assert_eq!(b_stats.rx_frames, b_stats.rx_frames_accounted());
    assert_eq!(a_stats.rx_frames, a_stats.rx_frames_accounted());
}
