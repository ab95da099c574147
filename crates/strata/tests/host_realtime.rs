//! The real-time driver: a host on one thread driven by `RealtimeNet`
//! (waiting on its device's readiness under the wall clock), a second host
//! on another thread running a UDP echo service by hand.
// The echo thread is outside a #[test] function; a failure there fails the
// test through `join`.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod host_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use host_common::{config, sa};
use strata::device::memory::{self, MemoryDevice};
use strata::iface::Interface;
use strata::net::{RealtimeNet, UdpSocket};
use strata_core::time::{Duration, Instant};
use strata_socket::SocketKind;

/// Host .2 on its own thread: echoes UDP port 7 until told to stop.
fn echo_host(mut dev: MemoryDevice, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut host = Interface::new(config(2)).unwrap();
        let fd = host.sockets().socket(SocketKind::Datagram).unwrap();
        host.sockets().bind(fd, sa(2, 7)).unwrap();
        let start = std::time::Instant::now();
        let mut echoed = 0;
        let mut buf = [0u8; 2048];
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::from_micros(start.elapsed().as_micros() as u64);
            host.poll(now, &mut dev);
            while let Ok((n, from)) = host.sockets().recv_from(fd, &mut buf) {
                host.sockets().send_to(now, fd, &buf[..n], from).unwrap();
                echoed += 1;
            }
            host.poll(now, &mut dev);
            dev.wait(Some(std::time::Duration::from_millis(5)));
        }
        echoed
    })
}

#[test]
fn udp_echo_across_threads_in_real_time() {
    let (da, db) = memory::pair(1500);
    let stop = Arc::new(AtomicBool::new(false));
    let peer = echo_host(db, stop.clone());

    let net = RealtimeNet::new(Interface::new(config(1)).unwrap(), da);
    let host = net.host();
    let mut socket = UdpSocket::bind(&host, sa(1, 4000)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(5)));
    let started = std::time::Instant::now();
    for i in 0..20u8 {
        let msg = [i; 100];
        socket.send_to(&msg, sa(2, 7)).unwrap();
        let mut buf = [0u8; 200];
        let (n, from) = socket.recv_from(&mut buf).unwrap();
        assert_eq!(from, sa(2, 7));
        assert_eq!(&buf[..n], &msg[..]);
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    assert_eq!(peer.join().unwrap(), 20);
    // Readiness waits, not 100 ms polling ticks: 20 round trips are quick.
    assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    let stats = net.with_interface(|i, _| i.stats().clone());
    assert_eq!(stats.rx_udp, 20);
}
