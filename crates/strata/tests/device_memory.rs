//! The in-memory device pair: order, bounds, buffer recycling, threads.

// Helpers outside #[test] functions fail the test the same way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration as StdDuration;

use strata::device::memory::{self, MemoryConfig};
use strata::device::{Device, DeviceError};
use strata_core::time::Instant;

const NOW: Instant = Instant::ZERO;

/// A frame of `len` bytes whose first 8 carry `n`.
fn numbered(n: u64, len: usize) -> impl FnOnce(&mut [u8]) -> Option<usize> {
    move |buf| {
        buf[..8].copy_from_slice(&n.to_be_bytes());
        buf[8..len].fill(n as u8);
        Some(len)
    }
}

fn number(frame: &[u8]) -> u64 {
    u64::from_be_bytes(frame[..8].try_into().unwrap())
}

#[test]
fn frames_arrive_in_order_with_their_lengths() {
    let (mut a, mut b) = memory::pair(1500);
    for n in 0..100u64 {
        let len = 60 + n as usize * 10;
        assert_eq!(a.transmit(NOW, numbered(n, len)), Ok(Some(len)));
    }
    for n in 0..100u64 {
        let (got, len, body_ok) = b
            .receive(NOW, |f| {
                (number(f), f.len(), f[8..].iter().all(|&x| x == n as u8))
            })
            .unwrap();
        assert_eq!((got, len), (n, 60 + n as usize * 10));
        assert!(body_ok);
    }
    assert_eq!(b.receive(NOW, |_| ()), None);
    let s = a.stats();
    assert_eq!(s.tx_frames, 100);
    assert_eq!(s.tx_bytes, (0..100).map(|n| 60 + n * 10).sum::<u64>());
    assert_eq!(b.stats().rx_frames, 100);
    assert_eq!(b.stats().rx_bytes, s.tx_bytes);
}

#[test]
fn both_directions_are_independent() {
    let (mut a, mut b) = memory::pair(1500);
    a.transmit(NOW, numbered(1, 60)).unwrap();
    b.transmit(NOW, numbered(2, 60)).unwrap();
    assert_eq!(a.rx_pending(), 1);
    assert_eq!(a.tx_pending(), 1);
    assert_eq!(a.receive(NOW, number), Some(2));
    assert_eq!(b.receive(NOW, number), Some(1));
    assert_eq!(a.receive(NOW, number), None);
    assert_eq!(b.receive(NOW, number), None);
}

#[test]
fn full_queue_is_busy_and_does_not_call_the_closure() {
    let (mut a, mut b) = memory::pair_with(MemoryConfig {
        mtu: 1500,
        queue_len: 8,
    });
    for n in 0..8 {
        assert_eq!(a.transmit(NOW, numbered(n, 64)), Ok(Some(64)));
    }
    for _ in 0..3 {
        let mut called = false;
        let r = a.transmit(NOW, |_| {
            called = true;
            Some(64)
        });
        assert_eq!(r, Err(DeviceError::Busy));
        assert!(!called);
    }
    assert_eq!(a.stats().tx_busy, 3);
    assert_eq!(a.stats().tx_frames, 8);
    // One out, one in.
    assert_eq!(b.receive(NOW, number), Some(0));
    assert_eq!(a.transmit(NOW, numbered(8, 64)), Ok(Some(64)));
    assert_eq!(a.transmit(NOW, numbered(9, 64)), Err(DeviceError::Busy));
    let got: Vec<u64> = std::iter::from_fn(|| b.receive(NOW, number)).collect();
    assert_eq!(got, (1..=8).collect::<Vec<_>>());
}

#[test]
fn buffers_are_recycled_in_steady_state() {
    let (mut a, mut b) = memory::pair_with(MemoryConfig {
        mtu: 9000,
        queue_len: 16,
    });
    // Bursts of up to the queue length, drained each time.
    for round in 0..1000u64 {
        let burst = 1 + round % 16;
        for n in 0..burst {
            a.transmit(NOW, numbered(n, 9014)).unwrap();
        }
        for n in 0..burst {
            assert_eq!(b.receive(NOW, number), Some(n));
        }
    }
    // At most the queue plus the two buffers the ends hold, however many
    // frames went through.
    let allocations = a.stats().allocations;
    assert!(allocations <= 18, "{allocations} allocations");
    assert_eq!(
        a.stats().tx_frames,
        (0..1000u64).map(|r| 1 + r % 16).sum::<u64>()
    );
    // And one frame at a time needs two buffers at most.
    let (mut c, mut d) = memory::pair(1500);
    for n in 0..10_000 {
        c.transmit(NOW, numbered(n, 100)).unwrap();
        assert_eq!(d.receive(NOW, number), Some(n));
    }
    assert!(c.stats().allocations <= 2, "{:?}", c.stats());
}

#[test]
fn closure_may_send_nothing_or_too_much() {
    let (mut a, mut b) = memory::pair(100);
    assert_eq!(a.max_frame_len(), 114);
    assert_eq!(
        a.transmit(NOW, |buf| {
            assert_eq!(buf.len(), 114);
            None
        }),
        Ok(None)
    );
    assert_eq!(
        a.transmit(NOW, |_| Some(115)),
        Err(DeviceError::FrameTooLong { len: 115, max: 114 })
    );
    assert_eq!(a.transmit(NOW, |_| Some(114)), Ok(Some(114)));
    assert_eq!(b.receive(NOW, <[u8]>::len), Some(114));
    assert_eq!(b.receive(NOW, <[u8]>::len), None);
    assert_eq!(a.stats().tx_frames, 1);
}

#[test]
fn dropping_one_end_closes_the_other() {
    let (mut a, mut b) = memory::pair(1500);
    a.transmit(NOW, numbered(7, 60)).unwrap();
    assert!(!b.peer_closed());
    drop(a);
    assert!(b.peer_closed());
    // What was already sent can still be read.
    assert_eq!(b.receive(NOW, number), Some(7));
    assert_eq!(b.transmit(NOW, numbered(1, 60)), Err(DeviceError::Closed));
    assert!(!b.wait(Some(StdDuration::from_millis(1))));
}

#[test]
fn two_threads_pass_100k_frames_each_way() {
    const FRAMES: u64 = 100_000;
    let (a, b) = memory::pair_with(MemoryConfig {
        mtu: 1500,
        queue_len: 64,
    });

    /// Sends FRAMES numbered frames and receives FRAMES from the peer,
    /// checking their order; waits (with a timeout, in case of a bug)
    /// when neither is possible.
    fn run(mut dev: memory::MemoryDevice) -> memory::MemoryStats {
        let mut sent = 0u64;
        let mut received = 0u64;
        while sent < FRAMES || received < FRAMES {
            let mut progress = false;
            while sent < FRAMES {
                let len = 60 + (sent % 1400) as usize;
                match dev.transmit(NOW, numbered(sent, len)) {
                    Ok(Some(_)) => {
                        sent += 1;
                        progress = true;
                    }
                    Err(DeviceError::Busy) => break,
                    other => panic!("transmit: {other:?}"),
                }
            }
            while let Some((n, len)) = dev.receive(NOW, |f| (number(f), f.len())) {
                assert_eq!(n, received);
                assert_eq!(len, 60 + (received % 1400) as usize);
                received += 1;
                progress = true;
            }
            if !progress {
                dev.wait(Some(StdDuration::from_millis(1)));
            }
        }
        dev.stats()
    }

    let ta = std::thread::spawn(move || run(a));
    let tb = std::thread::spawn(move || run(b));
    let sa = ta.join().unwrap();
    let sb = tb.join().unwrap();
    for s in [sa, sb] {
        assert_eq!(s.tx_frames, FRAMES);
        assert_eq!(s.rx_frames, FRAMES);
        // Buffers are recycled across threads too.
        assert!(s.allocations <= 66, "{s:?}");
    }
    assert_eq!(sa.tx_bytes, sb.rx_bytes);
    assert_eq!(sb.tx_bytes, sa.rx_bytes);
}

#[test]
fn wait_wakes_on_arrival_from_another_thread() {
    let (mut a, b) = memory::pair(1500);
    let waiter = std::thread::spawn(move || {
        let woke = b.wait(Some(StdDuration::from_secs(10)));
        (woke, b)
    });
    std::thread::sleep(StdDuration::from_millis(20));
    a.transmit(NOW, numbered(5, 60)).unwrap();
    let (woke, mut b) = waiter.join().unwrap();
    assert!(woke);
    assert_eq!(b.receive(NOW, number), Some(5));
    // Timeout without traffic.
    let t0 = std::time::Instant::now();
    assert!(!b.wait(Some(StdDuration::from_millis(30))));
    assert!(t0.elapsed() >= StdDuration::from_millis(30));
}

#[test]
fn wait_wakes_when_the_peer_is_dropped() {
    let (a, b) = memory::pair(1500);
    let waiter = std::thread::spawn(move || b.wait(None));
    std::thread::sleep(StdDuration::from_millis(20));
    drop(a);
    assert!(!waiter.join().unwrap());
}

#[test]
fn works_through_a_mutable_reference() {
    fn send_one<D: Device>(mut d: D) -> Result<Option<usize>, DeviceError> {
        d.transmit(NOW, |buf| {
            buf[..60].fill(1);
            Some(60)
        })
    }
    let (mut a, mut b) = memory::pair(1500);
    assert_eq!(send_one(&mut a), Ok(Some(60)));
    assert_eq!(send_one(&mut a), Ok(Some(60)));
    assert_eq!(Device::poll_at(&&mut b), None);
    assert_eq!(b.rx_pending(), 2);
}
