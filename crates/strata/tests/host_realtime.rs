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

/// Yields its frames one per poll round (a frame, then "nothing", then the
/// next), taking 3 ms of real time per frame, and records the time the
/// interface passed with each.
struct Stutter {
    frames: std::collections::VecDeque<Vec<u8>>,
    give: bool,
    seen: std::rc::Rc<std::cell::RefCell<Vec<Instant>>>,
}

impl strata::device::Device for Stutter {
    fn max_frame_len(&self) -> usize {
        1514
    }

    fn receive<R>(&mut self, now: Instant, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if !self.give {
            self.give = true;
            return None;
        }
        let frame = self.frames.pop_front()?;
        self.give = false;
        std::thread::sleep(std::time::Duration::from_millis(3));
        self.seen.borrow_mut().push(now);
        Some(f(&frame))
    }

    fn transmit(
        &mut self,
        _now: Instant,
        f: impl FnOnce(&mut [u8]) -> Option<usize>,
    ) -> Result<Option<usize>, strata::device::DeviceError> {
        let mut buf = [0u8; 1514];
        Ok(f(&mut buf))
    }
}

impl strata::net::Wait for Stutter {
    fn wait(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        std::thread::sleep(timeout.map_or(std::time::Duration::from_millis(1), |t| {
            t.min(std::time::Duration::from_millis(1))
        }));
        Ok(())
    }
}

/// Frames received in later rounds of one busy driver step are polled
/// with the time they really arrive, not the time the step began (a ping
/// reply's receive time, hence its RTT, read too early before).
#[test]
fn each_poll_round_reads_the_clock() {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    // Frames for us of an unknown EtherType: received and dropped.
    let mut frame = vec![0u8; 60];
    frame[..6].copy_from_slice(&host_common::mac(1).0);
    frame[6..12].copy_from_slice(&host_common::mac(2).0);
    frame[12..14].copy_from_slice(&[0x88, 0xb5]);
    let device = Stutter {
        frames: (0..5).map(|_| frame.clone()).collect(),
        give: true,
        seen: seen.clone(),
    };
    let net = RealtimeNet::new(Interface::new(config(1)).unwrap(), device);
    net.run_for(std::time::Duration::from_millis(40)).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 5);
    for pair in seen.windows(2) {
        // 3 ms passed between two receptions.
        assert!(
            pair[1] >= pair[0] + Duration::from_millis(3),
            "receive times {seen:?}"
        );
    }
    assert_eq!(net.with_interface(|i, _| i.stats().rx_frames), 5);
}
