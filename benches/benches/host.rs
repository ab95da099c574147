//! Whole hosts: Ethernet, ARP, IPv4, TCP and the socket table together,
//! strata next to smoltcp 0.14 in the same groups.
//!
//! - `host_bulk/<impl>/<mtu>`: one TCP connection moving a stream from one
//!   application to another, in bytes per second of payload, at MTU 1500
//!   and 9000. strata: two `Interface`s over the in-memory device pair.
//!   smoltcp: two TCP sockets in one `Interface` over its `phy::Loopback`
//!   (its own loopback test set-up), with the device's MTU set to ours and
//!   full checksum computation and verification (the loopback device skips
//!   checksums by default; strata never does).
//! - `host_bulk/floor/<mtu>`: not a stack: the four copies and two
//!   checksum passes every byte of such a transfer costs in any stack
//!   with full checksums and a copying socket API (see [`Floor`]), so the
//!   best any ratio in the group could be.
//! - `host_rx/<impl>/<connections>`: one small data segment arriving at a
//!   host that holds 1, 1,000 or 10,000 established connections (all idle
//!   but the one written to), and everything it triggers: the timed part
//!   is the receiving host's `poll` with that one frame waiting (Ethernet,
//!   IPv4, TCP checksum, demultiplexing, the connection's receive path and
//!   the ACK written to the device). The sender's side, the receiving
//!   application's read and the ACK's arrival run untimed.
//! - memory per idle established connection: not a timing. A counting
//!   global allocator measures the bytes allocated while 1,000 more
//!   connections are opened between two hosts (after a warm-up so device
//!   queues and pools are at their steady size); printed, and written to
//!   `<target>/criterion/host_memory.txt`.
//!
//! Simulated time: both stacks are sans-IO, the clock advances one
//! microsecond per round and jumps to the next timer when nothing moves.

// Benchmarks are test code, not library code: a broken fixture should stop
// the run loudly, so unwrap and indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

// ---------------------------------------------------------------------------
// Counting allocator: off (one relaxed load per call) except while memory is
// measured, so the timing benches pay next to nothing for it.

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is bookkeeping only.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated by `f` and still live when it returns (only allocations
/// made while counting is on are counted; frees of older blocks during `f`
/// would make the figure smaller, so `f` should only build).
fn live_bytes_during<T>(f: impl FnOnce() -> T) -> (T, isize) {
    LIVE.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let out = f();
    COUNTING.store(false, Ordering::SeqCst);
    (out, LIVE.load(Ordering::SeqCst))
}

// ---------------------------------------------------------------------------
// Shared parameters.

/// Payload bytes moved per iteration of `host_bulk`.
const BULK_CHUNK: usize = 4 << 20;
/// Send and receive buffer of each end of the bulk connection (both stacks).
const BULK_BUFFER: usize = 256 << 10;
/// Send and receive buffer of each connection in `host_rx` (small, so
/// 10,000 connections on each of two hosts fit comfortably in memory).
const RX_BUFFER: usize = 4 << 10;
/// Payload of the one data segment per iteration in `host_rx`.
const RX_PAYLOAD: usize = 64;
/// Connections opened for the memory figure.
const MEMORY_CONNECTIONS: usize = 1_000;
/// Send and receive buffers for the memory figure: strata's defaults.
const MEMORY_BUFFER: usize = 64 << 10;

const A_OCTETS: [u8; 4] = [198, 18, 0, 1];
const B_OCTETS: [u8; 4] = [198, 18, 0, 2];
const SERVER_PORT: u16 = 80;
/// First local port of the client's connections in `host_rx` and memory.
const FIRST_PORT: u16 = 20_000;

/// The bytes streamed in `host_bulk`.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

// ---------------------------------------------------------------------------
// The byte floor.

/// What any stack with a byte-stream socket API, full checksums and no
/// device offload must do to each byte of a bulk transfer, with no
/// protocol work at all: the sender's application copies it into the send
/// buffer, the stack copies it into a frame and sums it, the receiver sums
/// it and copies it into the receive buffer, and its application copies it
/// out. `host_bulk/floor/<mtu>` times exactly that, per segment of the
/// MTU's payload, over buffers the size the stacks use: no stack in the
/// group can beat it, which bounds any ratio between them.
struct Floor {
    mss: usize,
    data: Vec<u8>,
    send_ring: Vec<u8>,
    frame: Vec<u8>,
    recv_ring: Vec<u8>,
    sink: Vec<u8>,
}

impl Floor {
    fn new(mtu: usize) -> Self {
        Floor {
            // IPv4 and TCP headers with timestamps: what both stacks carry.
            mss: mtu - 52,
            data: pattern(1 << 20),
            send_ring: vec![0; BULK_BUFFER],
            frame: vec![0; mtu + 14],
            recv_ring: vec![0; BULK_BUFFER],
            sink: vec![0; 1 << 20],
        }
    }

    fn transfer(&mut self, bytes: usize) -> u16 {
        let mut moved = 0;
        let mut folded = 0u16;
        while moved < bytes {
            // A buffer's worth at a time, as the stacks' windows allow.
            let batch = BULK_BUFFER.min(bytes - moved);
            let at = moved % (self.data.len() - BULK_BUFFER);
            self.send_ring[..batch].copy_from_slice(&self.data[at..at + batch]);
            for start in (0..batch).step_by(self.mss) {
                let len = self.mss.min(batch - start);
                let payload = &mut self.frame[66..66 + len];
                payload.copy_from_slice(&self.send_ring[start..start + len]);
                let tx = strata_core::checksum::checksum(payload);
                let rx = strata_core::checksum::checksum(payload);
                self.recv_ring[start..start + len].copy_from_slice(payload);
                folded ^= tx ^ rx;
            }
            self.sink[..batch].copy_from_slice(&self.recv_ring[..batch]);
            black_box(&self.sink);
            moved += batch;
        }
        folded
    }
}

// ---------------------------------------------------------------------------
// smoltcp.

mod smol {
    use super::*;
    use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
    use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Loopback, Medium};
    use smoltcp::socket::tcp;
    use smoltcp::time::{Duration, Instant};
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

    const ETHERNET_HEADER: usize = 14;

    fn ip(octets: [u8; 4]) -> IpAddress {
        IpAddress::v4(octets[0], octets[1], octets[2], octets[3])
    }

    fn iface(mac_last: u8, addr: [u8; 4], device: &mut impl Device) -> Interface {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress([
            0x02, 0, 0, 0, 0, mac_last,
        ])));
        config.random_seed = u64::from(mac_last);
        let mut iface = Interface::new(config, device, Instant::ZERO);
        iface.update_ip_addrs(|addrs| addrs.push(IpCidr::new(ip(addr), 24)).unwrap());
        iface
    }

    fn socket(buffer: usize) -> tcp::Socket<'static> {
        tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; buffer]),
            tcp::SocketBuffer::new(vec![0; buffer]),
        )
    }

    /// smoltcp's loopback device with our MTU and full checksum work.
    pub struct SizedLoopback {
        inner: Loopback,
        mtu: usize,
    }

    impl Device for SizedLoopback {
        type RxToken<'a>
            = <Loopback as Device>::RxToken<'a>
        where
            Self: 'a;
        type TxToken<'a>
            = <Loopback as Device>::TxToken<'a>
        where
            Self: 'a;

        fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
            self.inner.receive(now)
        }

        fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
            self.inner.transmit(now)
        }

        fn capabilities(&self) -> DeviceCapabilities {
            let mut caps = self.inner.capabilities();
            // For Ethernet, smoltcp's "MTU" is the frame without FCS.
            caps.max_transmission_unit = self.mtu + ETHERNET_HEADER;
            caps.checksum = ChecksumCapabilities::default();
            caps
        }
    }

    /// One end of a point-to-point link: frames the host sent wait in `tx`
    /// until [`carry`] moves them to the other end's `rx`. Buffers are
    /// recycled, so the bench measures the stack and not the allocator.
    pub struct Port {
        rx: VecDeque<(Vec<u8>, usize)>,
        spent: Vec<Vec<u8>>,
        tx: VecDeque<(Vec<u8>, usize)>,
        pool: Vec<Vec<u8>>,
        mtu: usize,
    }

    impl Port {
        pub fn new(mtu: usize) -> Self {
            Port {
                rx: VecDeque::new(),
                spent: Vec::new(),
                tx: VecDeque::new(),
                pool: Vec::new(),
                mtu,
            }
        }

        /// Frames waiting to be carried to the other end.
        pub fn sent(&self) -> usize {
            self.tx.len()
        }
    }

    /// Moves every frame `from` sent to `to`, and the buffers `to` has
    /// finished with back to `from`'s pool.
    pub fn carry(from: &mut Port, to: &mut Port) {
        to.rx.extend(from.tx.drain(..));
        from.pool.append(&mut to.spent);
    }

    pub struct PortRx<'a> {
        rx: &'a mut VecDeque<(Vec<u8>, usize)>,
        spent: &'a mut Vec<Vec<u8>>,
    }

    impl phy::RxToken for PortRx<'_> {
        fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
            let (buf, len) = self.rx.pop_front().unwrap();
            let r = f(&buf[..len]);
            self.spent.push(buf);
            r
        }
    }

    pub struct PortTx<'a> {
        tx: &'a mut VecDeque<(Vec<u8>, usize)>,
        pool: &'a mut Vec<Vec<u8>>,
        frame: usize,
    }

    impl phy::TxToken for PortTx<'_> {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
            let mut buf = self.pool.pop().unwrap_or_else(|| vec![0; self.frame]);
            let r = f(&mut buf[..len]);
            self.tx.push_back((buf, len));
            r
        }
    }

    impl Device for Port {
        type RxToken<'a>
            = PortRx<'a>
        where
            Self: 'a;
        type TxToken<'a>
            = PortTx<'a>
        where
            Self: 'a;

        fn receive(&mut self, _now: Instant) -> Option<(PortRx<'_>, PortTx<'_>)> {
            if self.rx.is_empty() {
                return None;
            }
            let frame = self.mtu + ETHERNET_HEADER;
            Some((
                PortRx {
                    rx: &mut self.rx,
                    spent: &mut self.spent,
                },
                PortTx {
                    tx: &mut self.tx,
                    pool: &mut self.pool,
                    frame,
                },
            ))
        }

        fn transmit(&mut self, _now: Instant) -> Option<PortTx<'_>> {
            let frame = self.mtu + ETHERNET_HEADER;
            Some(PortTx {
                tx: &mut self.tx,
                pool: &mut self.pool,
                frame,
            })
        }

        fn capabilities(&self) -> DeviceCapabilities {
            let mut caps = DeviceCapabilities::default();
            caps.medium = Medium::Ethernet;
            caps.max_transmission_unit = self.mtu + ETHERNET_HEADER;
            caps
        }
    }

    // -- host_bulk --------------------------------------------------------

    /// Two sockets in one interface over the loopback device.
    pub struct Bulk {
        iface: Interface,
        device: SizedLoopback,
        sockets: SocketSet<'static>,
        client: SocketHandle,
        server: SocketHandle,
        now: Instant,
        data: Vec<u8>,
        sink: Vec<u8>,
    }

    impl Bulk {
        pub fn new(mtu: usize) -> Self {
            let mut device = SizedLoopback {
                inner: Loopback::new(Medium::Ethernet),
                mtu,
            };
            let mut iface = iface(1, A_OCTETS, &mut device);
            let mut sockets = SocketSet::new(vec![]);
            let mut server = socket(BULK_BUFFER);
            server.listen(SERVER_PORT).unwrap();
            let server = sockets.add(server);
            let mut client = socket(BULK_BUFFER);
            client
                .connect(iface.context(), (ip(A_OCTETS), SERVER_PORT), FIRST_PORT)
                .unwrap();
            client.set_nagle_enabled(false);
            let client = sockets.add(client);
            let mut bulk = Bulk {
                iface,
                device,
                sockets,
                client,
                server,
                now: Instant::ZERO,
                data: pattern(1 << 20),
                sink: vec![0; 1 << 20],
            };
            for _ in 0..100 {
                bulk.round();
                if bulk.established() {
                    return bulk;
                }
            }
            panic!("smoltcp loopback connection not established");
        }

        fn established(&mut self) -> bool {
            self.sockets.get::<tcp::Socket>(self.client).state() == tcp::State::Established
                && self.sockets.get::<tcp::Socket>(self.server).state() == tcp::State::Established
        }

        /// One poll; the clock moves on a microsecond, or to the next timer
        /// when nothing happened.
        fn round(&mut self) -> PollResult {
            let r = self
                .iface
                .poll(self.now, &mut self.device, &mut self.sockets);
            self.now += Duration::from_micros(1);
            r
        }

        /// Streams `bytes` from the client to the server.
        pub fn transfer(&mut self, bytes: usize) {
            let mut read = 0;
            let mut idle = 0;
            while read < bytes {
                let client = self.sockets.get_mut::<tcp::Socket>(self.client);
                while client.can_send() {
                    if client.send_slice(&self.data).unwrap() == 0 {
                        break;
                    }
                }
                let polled = self.round();
                let server = self.sockets.get_mut::<tcp::Socket>(self.server);
                let mut got = 0;
                while let Ok(n) = server.recv_slice(&mut self.sink) {
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                read += got;
                if got == 0 && polled == PollResult::None {
                    idle += 1;
                    assert!(idle < 1_000, "smoltcp loopback stream stalled");
                    if let Some(d) = self.iface.poll_delay(self.now, &self.sockets) {
                        self.now += d;
                    }
                } else {
                    idle = 0;
                }
            }
        }
    }

    // -- host_rx ----------------------------------------------------------

    /// Two interfaces over a [`Port`] pair, `n` established connections
    /// from A to B; B, the host measured, holds `n` sockets in its set.
    pub struct Many {
        a: Interface,
        b: Interface,
        a_port: Port,
        b_port: Port,
        a_sockets: SocketSet<'static>,
        b_sockets: SocketSet<'static>,
        a_handles: Vec<SocketHandle>,
        now: Instant,
        /// The connection written to (A's socket, B's socket).
        active: (SocketHandle, SocketHandle),
        /// The delayed-ACK setting of B's sockets.
        server_ack_delay: Option<Duration>,
        payload: Vec<u8>,
        sink: Vec<u8>,
    }

    impl Many {
        /// Two hosts with no connections yet (A: 198.18.0.1, B: 198.18.0.2).
        pub fn hosts(mtu: usize) -> Self {
            let mut a_port = Port::new(mtu);
            let mut b_port = Port::new(mtu);
            let a = iface(1, A_OCTETS, &mut a_port);
            let b = iface(2, B_OCTETS, &mut b_port);
            let handle = SocketHandle::default();
            Many {
                a,
                b,
                a_port,
                b_port,
                a_sockets: SocketSet::new(vec![]),
                b_sockets: SocketSet::new(vec![]),
                a_handles: Vec::new(),
                now: Instant::ZERO,
                active: (handle, handle),
                server_ack_delay: None,
                payload: pattern(RX_PAYLOAD),
                sink: vec![0; 1 << 16],
            }
        }

        /// Both hosts poll once, frames carried both ways.
        fn exchange(&mut self) {
            self.a.poll(self.now, &mut self.a_port, &mut self.a_sockets);
            carry(&mut self.a_port, &mut self.b_port);
            self.b.poll(self.now, &mut self.b_port, &mut self.b_sockets);
            carry(&mut self.b_port, &mut self.a_port);
            self.a.poll(self.now, &mut self.a_port, &mut self.a_sockets);
            self.now += Duration::from_micros(1);
        }

        /// Opens `n` more connections, `batch` at a time, each end with
        /// `buffer` bytes of send and receive buffer; returns when all are
        /// established.
        pub fn open(&mut self, n: usize, batch: usize, buffer: usize) {
            let mut opened = 0;
            while opened < n {
                let count = batch.min(n - opened);
                let mut fresh = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut server = socket(buffer);
                    server.set_ack_delay(self.server_ack_delay);
                    server.listen(SERVER_PORT).unwrap();
                    self.b_sockets.add(server);
                    let port = FIRST_PORT + self.a_handles.len() as u16;
                    let mut client = socket(buffer);
                    client.set_nagle_enabled(false);
                    client
                        .connect(self.a.context(), (ip(B_OCTETS), SERVER_PORT), port)
                        .unwrap();
                    let h = self.a_sockets.add(client);
                    self.a_handles.push(h);
                    fresh.push(h);
                }
                opened += count;
                let mut rounds = 0;
                while !fresh.iter().all(|&h| {
                    self.a_sockets.get::<tcp::Socket>(h).state() == tcp::State::Established
                }) {
                    self.exchange();
                    rounds += 1;
                    if rounds % 16 == 0 {
                        // ARP or SYN retransmission timers.
                        self.now += Duration::from_millis(100);
                    }
                    assert!(rounds < 10_000, "smoltcp connections not established");
                }
            }
            // Let the last ACKs of the handshakes land.
            for _ in 0..4 {
                self.exchange();
            }
            let established = self
                .b_sockets
                .iter()
                .filter(|(_, s)| match s {
                    smoltcp::socket::Socket::Tcp(t) => t.state() == tcp::State::Established,
                    #[allow(unreachable_patterns)]
                    _ => false,
                })
                .count();
            assert_eq!(established, self.a_handles.len());
        }

        /// `host_bulk/smoltcp_pair`: one connection between two interfaces
        /// over the recycling [`Port`] pair, as strata's bench runs (the
        /// loopback set-up shares one interface and allocates per frame).
        pub fn bulk(mtu: usize) -> Self {
            let mut many = Many::hosts(mtu);
            // smoltcp's default delayed ACK, as in the loopback bench.
            many.server_ack_delay = Some(Duration::from_millis(10));
            many.open(1, 1, BULK_BUFFER);
            let b = many.b_sockets.iter().map(|(h, _)| h).next().unwrap();
            many.active = (many.a_handles[0], b);
            many.payload = pattern(1 << 20);
            many.sink = vec![0; 1 << 20];
            many
        }

        /// Streams `bytes` over the active connection, each host polled
        /// once per round.
        pub fn transfer(&mut self, bytes: usize) {
            let (client, server) = self.active;
            let mut read = 0;
            let mut idle = 0;
            while read < bytes {
                let c = self.a_sockets.get_mut::<tcp::Socket>(client);
                while c.can_send() {
                    if c.send_slice(&self.payload).unwrap() == 0 {
                        break;
                    }
                }
                let a = self.a.poll(self.now, &mut self.a_port, &mut self.a_sockets);
                carry(&mut self.a_port, &mut self.b_port);
                let b = self.b.poll(self.now, &mut self.b_port, &mut self.b_sockets);
                carry(&mut self.b_port, &mut self.a_port);
                let s = self.b_sockets.get_mut::<tcp::Socket>(server);
                let mut got = 0;
                while let Ok(n) = s.recv_slice(&mut self.sink) {
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                read += got;
                self.now += Duration::from_micros(1);
                if got == 0 && a == PollResult::None && b == PollResult::None {
                    idle += 1;
                    assert!(idle < 1_000, "smoltcp pair stream stalled");
                    let next = [
                        self.a.poll_delay(self.now, &self.a_sockets),
                        self.b.poll_delay(self.now, &self.b_sockets),
                    ]
                    .into_iter()
                    .flatten()
                    .min();
                    if let Some(d) = next {
                        self.now += d;
                    }
                } else {
                    idle = 0;
                }
            }
        }

        /// `n` established connections; the one in the middle is written
        /// to (smoltcp finds a segment's socket by scanning its set in
        /// order, so the middle is its average case).
        pub fn new(n: usize) -> Self {
            let mut many = Many::hosts(1500);
            many.open(n, 256, RX_BUFFER);
            let a = many.a_handles[n / 2];
            let port = FIRST_PORT + (n / 2) as u16;
            let b = many
                .b_sockets
                .iter()
                .find_map(|(h, s)| match s {
                    smoltcp::socket::Socket::Tcp(t)
                        if t.remote_endpoint().map(|e| e.port) == Some(port) =>
                    {
                        Some(h)
                    }
                    _ => None,
                })
                .unwrap();
            many.active = (a, b);
            // Check the plumbing once: one frame in, one ACK out.
            many.stage();
            assert_eq!(many.b_port.rx.len(), 1, "one data frame waits at B");
            many.receive();
            assert_eq!(many.b_port.sent(), 1, "B answers with one ACK");
            many.finish();
            many
        }

        /// Untimed: A's application writes one small segment and A sends
        /// it; it waits in B's receive queue.
        pub fn stage(&mut self) {
            self.now += Duration::from_micros(1);
            let sent = self
                .a_sockets
                .get_mut::<tcp::Socket>(self.active.0)
                .send_slice(&self.payload)
                .unwrap();
            assert_eq!(sent, RX_PAYLOAD);
            self.a.poll(self.now, &mut self.a_port, &mut self.a_sockets);
            carry(&mut self.a_port, &mut self.b_port);
        }

        /// Timed: B takes the frame in and answers.
        pub fn receive(&mut self) {
            self.b.poll(self.now, &mut self.b_port, &mut self.b_sockets);
        }

        /// Untimed: B's application reads, the ACK reaches A.
        pub fn finish(&mut self) {
            let n = self
                .b_sockets
                .get_mut::<tcp::Socket>(self.active.1)
                .recv_slice(&mut self.sink)
                .unwrap();
            assert_eq!(n, RX_PAYLOAD);
            carry(&mut self.b_port, &mut self.a_port);
            self.a.poll(self.now, &mut self.a_port, &mut self.a_sockets);
        }
    }

    /// Bytes per established connection end (socket, buffers, its slot in
    /// the set), measured over `MEMORY_CONNECTIONS` connections.
    pub fn memory_per_connection() -> f64 {
        let mut many = Many::hosts(1500);
        many.open(16, 16, MEMORY_BUFFER);
        let ((), bytes) = live_bytes_during(|| many.open(MEMORY_CONNECTIONS, 16, MEMORY_BUFFER));
        black_box(&many);
        bytes as f64 / (2 * MEMORY_CONNECTIONS) as f64
    }
}

// ---------------------------------------------------------------------------
// strata.

mod ours {
    use super::*;
    use core::net::{Ipv4Addr, SocketAddrV4};
    use strata::device::memory::{self, MemoryDevice};
    use strata::iface::{Interface, InterfaceConfig};
    use strata_core::time::{Duration, Instant};
    use strata_ethernet::MacAddress;
    use strata_ipv4::route::Ipv4Cidr;
    use strata_socket::{Error, Fd, SocketKind, SocketOption};
    use strata_tcp::State;
    use strata_tcp::connection::Config;

    fn host(mac_last: u8, addr: [u8; 4], mtu: usize, tcp: Config) -> Interface {
        let mut config = InterfaceConfig::new(
            MacAddress::new([0x02, 0, 0, 0, 0, mac_last]),
            Ipv4Cidr::new(Ipv4Addr::from(addr), 24).unwrap(),
        );
        config.mtu = mtu;
        config.seed = u64::from(mac_last);
        config.sockets.tcp = Config {
            // The MSS follows the MTU, as the socket layer's default does.
            mss: u16::MAX,
            ..tcp
        };
        Interface::new(config).unwrap()
    }

    fn server_addr() -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(B_OCTETS), SERVER_PORT)
    }

    /// Two hosts on the in-memory pair, A (198.18.0.1) the client and B
    /// (198.18.0.2) the server, B listening on port 80.
    pub struct Hosts {
        a: Interface,
        b: Interface,
        a_dev: MemoryDevice,
        b_dev: MemoryDevice,
        listener: Fd,
        now: Instant,
        /// Established connections: (A's descriptor, B's descriptor).
        conns: Vec<(Fd, Fd)>,
    }

    impl Hosts {
        pub fn new(mtu: usize, tcp: Config, backlog: usize) -> Self {
            let (a_dev, b_dev) = memory::pair(mtu);
            let a = host(1, A_OCTETS, mtu, tcp);
            let mut b = host(2, B_OCTETS, mtu, tcp);
            let s = b.sockets();
            let listener = s.socket(SocketKind::Stream).unwrap();
            s.bind(listener, server_addr()).unwrap();
            s.listen(listener, backlog).unwrap();
            Hosts {
                a,
                b,
                a_dev,
                b_dev,
                listener,
                now: Instant::ZERO,
                conns: Vec::new(),
            }
        }

        /// Both hosts poll once; whether anything happened.
        fn exchange(&mut self) -> bool {
            let a = self.a.poll(self.now, &mut self.a_dev);
            let b = self.b.poll(self.now, &mut self.b_dev);
            a.did_something() || b.did_something()
        }

        /// Jumps the clock to the next timer of either host.
        fn jump(&mut self) {
            let next = [self.a.poll_at(), self.b.poll_at()]
                .into_iter()
                .flatten()
                .min();
            if let Some(t) = next
                && t > self.now
            {
                self.now = t;
            }
        }

        /// Opens `n` more connections, `batch` at a time; returns when all
        /// are established and accepted.
        pub fn open(&mut self, n: usize, batch: usize) {
            let mut opened = 0;
            while opened < n {
                let count = batch.min(n - opened);
                let mut fresh = Vec::with_capacity(count);
                for _ in 0..count {
                    let s = self.a.sockets();
                    let fd = s.socket(SocketKind::Stream).unwrap();
                    s.set_option(fd, SocketOption::NoDelay(true)).unwrap();
                    match s.connect(self.now, fd, server_addr()) {
                        Err(Error::InProgress) | Ok(()) => {}
                        Err(e) => panic!("connect: {e}"),
                    }
                    fresh.push(fd);
                }
                opened += count;
                let mut accepted = Vec::with_capacity(count);
                let mut rounds = 0;
                while accepted.len() < count
                    || !fresh
                        .iter()
                        .all(|&fd| self.a.sockets_ref().tcp_state(fd) == Ok(State::Established))
                {
                    if !self.exchange() {
                        self.jump();
                    }
                    self.now += Duration::from_micros(1);
                    while let Ok((fd, peer)) = self.b.sockets().accept(self.listener) {
                        accepted.push((fd, peer));
                    }
                    rounds += 1;
                    assert!(rounds < 100_000, "strata connections not established");
                }
                for (b_fd, peer) in accepted {
                    let a_fd = *fresh
                        .iter()
                        .find(|&&fd| self.a.sockets_ref().local_addr(fd) == Ok(peer))
                        .unwrap();
                    self.conns.push((a_fd, b_fd));
                }
            }
            // Let the last ACKs land.
            for _ in 0..4 {
                self.exchange();
                self.now += Duration::from_micros(1);
            }
        }
    }

    // -- host_bulk --------------------------------------------------------

    pub struct Bulk {
        hosts: Hosts,
        data: Vec<u8>,
        sink: Vec<u8>,
    }

    impl Bulk {
        pub fn new(mtu: usize) -> Self {
            let tcp = Config {
                send_buffer: BULK_BUFFER,
                recv_buffer: BULK_BUFFER,
                ..Config::default()
            };
            let mut hosts = Hosts::new(mtu, tcp, 1);
            hosts.open(1, 1);
            Bulk {
                hosts,
                data: pattern(1 << 20),
                sink: vec![0; 1 << 20],
            }
        }

        /// Streams `bytes` from A's application to B's.
        pub fn transfer(&mut self, bytes: usize) {
            let (client, server) = self.hosts.conns[0];
            let h = &mut self.hosts;
            let mut read = 0;
            let mut idle = 0;
            while read < bytes {
                loop {
                    match h.a.sockets().send(h.now, client, &self.data) {
                        Ok(0) | Err(Error::WouldBlock) => break,
                        Ok(_) => {}
                        Err(e) => panic!("send: {e}"),
                    }
                }
                let polled = h.exchange();
                let mut got = 0;
                loop {
                    match h.b.sockets().recv(server, &mut self.sink) {
                        Ok(0) | Err(Error::WouldBlock) => break,
                        Ok(n) => got += n,
                        Err(e) => panic!("recv: {e}"),
                    }
                }
                read += got;
                h.now += Duration::from_micros(1);
                if got == 0 && !polled {
                    idle += 1;
                    assert!(idle < 1_000, "strata stream stalled");
                    h.jump();
                } else {
                    idle = 0;
                }
            }
        }

        pub fn retransmissions(&self) -> u64 {
            let (client, _) = self.hosts.conns[0];
            self.hosts
                .a
                .sockets_ref()
                .tcp_stats(client)
                .unwrap()
                .retransmissions
        }
    }

    // -- host_rx ----------------------------------------------------------

    pub struct Many {
        hosts: Hosts,
        active: (Fd, Fd),
        payload: Vec<u8>,
        sink: Vec<u8>,
    }

    impl Many {
        pub fn new(n: usize) -> Self {
            let tcp = Config {
                send_buffer: RX_BUFFER,
                recv_buffer: RX_BUFFER,
                // The ACK is part of what the segment triggers.
                ack_delay: None,
                ..Config::default()
            };
            let mut hosts = Hosts::new(1500, tcp, 1024);
            hosts.open(n, 256);
            assert_eq!(hosts.conns.len(), n);
            let active = hosts.conns[n / 2];
            let mut many = Many {
                hosts,
                active,
                payload: pattern(RX_PAYLOAD),
                sink: vec![0; 1 << 16],
            };
            // Check the plumbing once: one frame in, one ACK out.
            many.stage();
            let before = many.hosts.b.stats().clone();
            let r = many.receive_checked();
            assert_eq!(r.received, 1, "one data frame waits at B");
            assert_eq!(r.transmitted, 1, "B answers with one ACK");
            assert_eq!(many.hosts.b.stats().rx_tcp, before.rx_tcp + 1);
            many.finish();
            many
        }

        /// Untimed: A's application writes one small segment and A sends
        /// it; it waits in B's device.
        pub fn stage(&mut self) {
            let h = &mut self.hosts;
            h.now += Duration::from_micros(1);
            let sent =
                h.a.sockets()
                    .send(h.now, self.active.0, &self.payload)
                    .unwrap();
            assert_eq!(sent, RX_PAYLOAD);
            let r = h.a.poll(h.now, &mut h.a_dev);
            debug_assert_eq!(r.transmitted, 1);
        }

        fn receive_checked(&mut self) -> strata::iface::PollResult {
            let h = &mut self.hosts;
            h.b.poll(h.now, &mut h.b_dev)
        }

        /// Timed: B takes the frame in and answers.
        pub fn receive(&mut self) {
            black_box(self.receive_checked());
        }

        /// Untimed: B's application reads, the ACK reaches A.
        pub fn finish(&mut self) {
            let h = &mut self.hosts;
            let n = h.b.sockets().recv(self.active.1, &mut self.sink).unwrap();
            assert_eq!(n, RX_PAYLOAD);
            h.a.poll(h.now, &mut h.a_dev);
        }
    }

    /// Bytes per established connection end, measured over
    /// `MEMORY_CONNECTIONS` connections with the default TCP settings.
    pub fn memory_per_connection() -> f64 {
        let tcp = Config {
            send_buffer: MEMORY_BUFFER,
            recv_buffer: MEMORY_BUFFER,
            ..Config::default()
        };
        let mut hosts = Hosts::new(1500, tcp, 1024);
        hosts.open(16, 16);
        let ((), bytes) = live_bytes_during(|| hosts.open(MEMORY_CONNECTIONS, 16));
        black_box(&hosts);
        bytes as f64 / (2 * MEMORY_CONNECTIONS) as f64
    }
}

// ---------------------------------------------------------------------------
// The benches.

fn bulk(c: &mut Criterion) {
    let mut group = c.benchmark_group("host_bulk");
    group.throughput(Throughput::Bytes(BULK_CHUNK as u64));
    for mtu in [1500usize, 9000] {
        // Set-ups are made on first use, so a filtered-out bench costs
        // nothing (criterion calls the closure only for matching names).
        let mut ours: Option<ours::Bulk> = None;
        group.bench_function(BenchmarkId::new("strata", mtu), |b| {
            let bulk = ours.get_or_insert_with(|| {
                let mut bulk = ours::Bulk::new(mtu);
                // Past slow start before measuring.
                bulk.transfer(BULK_CHUNK);
                bulk
            });
            b.iter(|| bulk.transfer(black_box(BULK_CHUNK)));
        });
        if let Some(bulk) = ours.take() {
            assert_eq!(bulk.retransmissions(), 0, "a lossless link retransmitted");
        }

        let mut smol: Option<smol::Bulk> = None;
        group.bench_function(BenchmarkId::new("smoltcp", mtu), |b| {
            let bulk = smol.get_or_insert_with(|| {
                let mut bulk = smol::Bulk::new(mtu);
                bulk.transfer(BULK_CHUNK);
                bulk
            });
            b.iter(|| bulk.transfer(black_box(BULK_CHUNK)));
        });
        drop(smol);

        let mut floor: Option<Floor> = None;
        group.bench_function(BenchmarkId::new("floor", mtu), |b| {
            let floor = floor.get_or_insert_with(|| Floor::new(mtu));
            b.iter(|| floor.transfer(black_box(BULK_CHUNK)));
        });
        drop(floor);

        let mut pair: Option<smol::Many> = None;
        group.bench_function(BenchmarkId::new("smoltcp_pair", mtu), |b| {
            let bulk = pair.get_or_insert_with(|| {
                let mut bulk = smol::Many::bulk(mtu);
                bulk.transfer(BULK_CHUNK);
                bulk
            });
            b.iter(|| bulk.transfer(black_box(BULK_CHUNK)));
        });
    }
    group.finish();
}

/// A host set-up for `host_rx`: one data segment staged, taken in, and
/// cleaned up after.
trait Receiver {
    /// Untimed: the peer sends one data segment; it waits at the host.
    fn stage(&mut self);
    /// Timed: the host takes the segment in and answers it.
    fn receive(&mut self);
    /// Untimed: the application reads; the answer reaches the peer.
    fn finish(&mut self);
}

impl Receiver for ours::Many {
    fn stage(&mut self) {
        ours::Many::stage(self);
    }
    fn receive(&mut self) {
        ours::Many::receive(self);
    }
    fn finish(&mut self) {
        ours::Many::finish(self);
    }
}

impl Receiver for smol::Many {
    fn stage(&mut self) {
        smol::Many::stage(self);
    }
    fn receive(&mut self) {
        smol::Many::receive(self);
    }
    fn finish(&mut self) {
        smol::Many::finish(self);
    }
}

/// The time `iters` receives took, everything around them untimed.
fn time_receive(iters: u64, host: &mut impl Receiver) -> std::time::Duration {
    let mut timed = std::time::Duration::ZERO;
    for _ in 0..iters {
        host.stage();
        let start = std::time::Instant::now();
        host.receive();
        timed += start.elapsed();
        host.finish();
    }
    timed
}

fn per_packet(c: &mut Criterion) {
    let mut group = c.benchmark_group("host_rx");
    group.throughput(Throughput::Elements(1));
    for n in [1usize, 1_000, 10_000] {
        let mut ours: Option<ours::Many> = None;
        group.bench_function(BenchmarkId::new("strata", n), |b| {
            let many = ours.get_or_insert_with(|| ours::Many::new(n));
            b.iter_custom(|iters| time_receive(iters, many));
        });
        drop(ours);

        let mut smol: Option<smol::Many> = None;
        group.bench_function(BenchmarkId::new("smoltcp", n), |b| {
            let many = smol.get_or_insert_with(|| smol::Many::new(n));
            b.iter_custom(|iters| time_receive(iters, many));
        });
    }
    group.finish();
}

/// Criterion's positional arguments are name filters; the memory figure is
/// computed when there is none or one matches `host_memory`.
fn memory_wanted() -> bool {
    const VALUED: &[&str] = &[
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--profile-time",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--output-format",
        "--color",
        "--plotting-backend",
        "--format",
        "--logfile",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut filters = Vec::new();
    let mut skip = false;
    for arg in &args {
        if skip {
            skip = false;
        } else if VALUED.contains(&arg.as_str()) {
            skip = true;
        } else if !arg.starts_with('-') {
            filters.push(arg.clone());
        }
    }
    filters.is_empty() || filters.iter().any(|f| "host_memory".contains(f.as_str()))
}

fn memory(_c: &mut Criterion) {
    if !memory_wanted() {
        return;
    }
    let ours = ours::memory_per_connection();
    let smol = smol::memory_per_connection();
    let mut report = String::new();
    writeln!(
        report,
        "host_memory: bytes per idle established connection end, {MEMORY_CONNECTIONS} connections, \
         {} KiB send + {} KiB receive buffer",
        MEMORY_BUFFER >> 10,
        MEMORY_BUFFER >> 10
    )
    .unwrap();
    let buffers = (2 * MEMORY_BUFFER) as f64;
    writeln!(
        report,
        "  strata:  {ours:.0} bytes ({:.0} beyond the buffers; a strata_tcp::Connection is {} bytes)",
        ours - buffers,
        std::mem::size_of::<strata_tcp::Connection>()
    )
    .unwrap();
    writeln!(
        report,
        "  smoltcp: {smol:.0} bytes ({:.0} beyond the buffers; a tcp::Socket is {} bytes)",
        smol - buffers,
        std::mem::size_of::<smoltcp::socket::tcp::Socket<'static>>()
    )
    .unwrap();
    print!("{report}");
    // <target>/release/deps/host-<hash> -> <target>/criterion/
    if let Some(target) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|p| p.to_path_buf()))
    {
        let dir = target.join("criterion");
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join("host_memory.txt"), &report);
        }
    }
}

criterion_group!(benches, memory, bulk, per_packet);
criterion_main!(benches);
