#![no_main]
//! A whole host fed arbitrary input: raw frames, structurally valid frames
//! built from arbitrary Reprs with correct checksums (so they get past the
//! checks and reach ARP, reassembly, ICMP and the sockets), arbitrary
//! socket calls and clock advances. Asserts that nothing panics and that
//! every bounded collection stays under its cap.

use core::net::{Ipv4Addr, SocketAddrV4};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strata::device::memory::{self, MemoryDevice};
use strata::device::Device;
use strata::iface::{Interface, InterfaceConfig};
use strata_core::time::{Duration, Instant};
use strata_ethernet::{EtherType, MacAddress};
use strata_ipv4::{Protocol, Repr as Ipv4Repr};
use strata_socket::{Fd, SocketKind};

const OURS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
const OUR_MAC: MacAddress = MacAddress([0x02, 0, 0, 0, 0, 2]);
const MAX_SOCKETS: usize = 32;
const MAX_ARP: usize = 16;
const ARP_QUEUE: usize = 4;
const MAX_REASSEMBLY: usize = 64 * 1024;
const MAX_OUT: usize = 32;
const MAX_LOCAL: usize = 16;

/// This host as a destination: its own address, or 127.0.0.1.
fn me(lo: bool) -> Ipv4Addr {
    if lo { Ipv4Addr::LOCALHOST } else { OURS }
}

/// A neighbour on the subnet: 198.18.0.x with MAC 02:00:00:00:01:x.
fn neighbour(x: u8) -> (Ipv4Addr, MacAddress) {
    (Ipv4Addr::new(198, 18, 0, x), MacAddress([0x02, 0, 0, 0, 1, x]))
}

#[derive(Arbitrary, Debug)]
enum Dst {
    Us,
    /// 127.x.y.z from the wire: a martian.
    Loopback([u8; 3]),
    SubnetBroadcast,
    Broadcast,
    Other([u8; 4]),
}

#[derive(Arbitrary, Debug)]
enum Transport {
    Udp { src_port: u16, dst_port: u16, payload: Vec<u8> },
    Tcp { repr: strata_tcp::Repr, payload: Vec<u8> },
    Icmp { repr: strata_ipv4::icmpv4::Repr, data: Vec<u8> },
    /// An ICMP error quoting a datagram "we" sent, to reach the sockets.
    IcmpAbout { repr: strata_ipv4::icmpv4::Repr, tcp: bool, local_port: u16, remote_port: u16, seq: u32 },
    Raw { protocol: u8, payload: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
enum Op {
    /// Any bytes at all.
    RawFrame(Vec<u8>),
    /// A well-formed frame from neighbour `from`.
    Datagram {
        from: u8,
        dst: Dst,
        ttl: u8,
        transport: Transport,
        /// Cut into fragments of this many 8-byte units (None: whole).
        fragment: Option<(u8, u16, bool)>,
        broadcast_mac: bool,
    },
    Arp { repr: strata_arp::Repr, broadcast: bool },
    Advance(u16),
    AdvanceLong(u8),
    UdpBind(u16),
    TcpListen(u16),
    TcpConnect { to: u8, port: u16 },
    UdpSendTo { socket: u8, to: u8, port: u16, len: u16 },
    Send { socket: u8, len: u16 },
    Recv { socket: u8 },
    Accept { socket: u8 },
    Close { socket: u8 },
    Ping { to: u8, seq: u16, len: u16 },
    /// The host talking to itself (its own address, or 127.x.y.z with
    /// `lo`), through the loopback queue.
    TcpConnectSelf { port: u16, lo: bool },
    UdpSendToSelf { socket: u8, port: u16, len: u16, lo: bool },
    PingSelf { seq: u16, len: u16, lo: bool },
    /// Let the output drain (or not: the device queue then fills).
    Drain,
}

fn frame(src: MacAddress, dst: MacAddress, ethertype: EtherType, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + payload.len()];
    f[14..].copy_from_slice(payload);
    let _ = strata_ethernet::Repr::new(src, dst, ethertype).emit(&mut f);
    f
}

fn transport_bytes(t: &Transport, src: Ipv4Addr, dst: Ipv4Addr) -> (Protocol, Vec<u8>) {
    match t {
        Transport::Udp { src_port, dst_port, payload } => {
            let payload = &payload[..payload.len().min(9000)];
            let repr = strata_udp::Repr { src_port: *src_port, dst_port: *dst_port, payload_len: payload.len() };
            let mut d = vec![0u8; 8 + payload.len()];
            d[8..].copy_from_slice(payload);
            let _ = repr.emit(&mut d, src, dst);
            (Protocol::UDP, d)
        }
        Transport::Tcp { repr, payload } => {
            let payload = &payload[..payload.len().min(3000)];
            let repr = strata_tcp::Repr { payload_len: payload.len(), ..*repr };
            let hl = repr.header_len();
            let mut d = vec![0u8; hl + payload.len()];
            d[hl..].copy_from_slice(payload);
            if repr.emit(&mut d, src, dst).is_err() {
                d.clear();
            }
            (Protocol::TCP, d)
        }
        Transport::Icmp { repr, data } => {
            let data = &data[..data.len().min(2000)];
            let mut d = vec![0u8; 8 + data.len()];
            d[8..].copy_from_slice(data);
            let _ = repr.emit(&mut d);
            (Protocol::ICMP, d)
        }
        Transport::IcmpAbout { repr, tcp, local_port, remote_port, seq } => {
            let protocol = if *tcp { Protocol::TCP } else { Protocol::UDP };
            let mut quoted = vec![0u8; 28];
            let _ = Ipv4Repr::new(OURS, src, protocol, 8).emit(&mut quoted);
            quoted[20..22].copy_from_slice(&local_port.to_be_bytes());
            quoted[22..24].copy_from_slice(&remote_port.to_be_bytes());
            quoted[24..28].copy_from_slice(&seq.to_be_bytes());
            let mut d = vec![0u8; 8 + quoted.len()];
            d[8..].copy_from_slice(&quoted);
            let _ = repr.emit(&mut d);
            (Protocol::ICMP, d)
        }
        Transport::Raw { protocol, payload } => (Protocol(*protocol), payload.clone()),
    }
}

struct World {
    host: Interface,
    dev: MemoryDevice,
    peer: MemoryDevice,
    now: Instant,
    fds: Vec<Fd>,
}

impl World {
    fn inject(&mut self, f: &[u8]) {
        if f.len() > self.peer.max_frame_len() {
            return;
        }
        let _ = self.peer.transmit(self.now, |buf| {
            buf[..f.len()].copy_from_slice(f);
            Some(f.len())
        });
    }

    fn fd(&self, i: u8) -> Option<Fd> {
        if self.fds.is_empty() {
            None
        } else {
            Some(self.fds[usize::from(i) % self.fds.len()])
        }
    }

    fn check(&self) {
        let sockets = self.host.sockets_ref().len();
        assert!(sockets <= MAX_SOCKETS, "{sockets} sockets");
        let arp = self.host.arp().len();
        assert!(arp <= MAX_ARP + 1, "{arp} ARP entries");
        let queued = self.host.arp().queued_packets();
        assert!(queued <= (MAX_ARP + 1) * ARP_QUEUE, "{queued} datagrams in the ARP queue");
        let reasm = self.host.reassembler().memory();
        assert!(reasm <= MAX_REASSEMBLY, "{reasm} bytes in reassembly");
        let stats = self.host.stats();
        assert_eq!(stats.rx_frames, stats.rx_frames_accounted(), "{stats:?}");
        let out = self.host.output_queue_len();
        assert!(out <= MAX_OUT, "{out} datagrams in the output queue");
        let local = self.host.local_queue_len();
        assert!(local <= MAX_LOCAL, "{local} datagrams in the loopback queue");
    }
}

/// The operations, and whether the host probes its address first (RFC
/// 5227): then frames from the wire may end the probing in a conflict.
#[derive(Arbitrary, Debug)]
struct Input {
    probe: bool,
    ops: Vec<Op>,
}

fuzz_target!(|input: Input| {
    let Input { probe, ops } = input;
    let mut config = InterfaceConfig::new(OUR_MAC, "198.18.0.2/24".parse().unwrap());
    config.probe_address = probe;
    config.gateway = Some(Ipv4Addr::new(198, 18, 0, 1));
    config.sockets.max_sockets = MAX_SOCKETS;
    config.arp.max_entries = MAX_ARP;
    config.arp.queue_per_neighbour = ARP_QUEUE;
    config.reassembly.max_total = MAX_REASSEMBLY;
    config.reassembly.max_per_source = MAX_REASSEMBLY / 4;
    config.max_output_queue = MAX_OUT;
    config.max_local_queue = MAX_LOCAL;
    let Ok(host) = Interface::new(config) else { return };
    let (dev, peer) = memory::pair_with(memory::MemoryConfig { mtu: 1500, queue_len: 64 });
    let mut w = World { host, dev, peer, now: Instant::ZERO, fds: Vec::new() };

    for op in ops.into_iter().take(256) {
        match op {
            Op::RawFrame(bytes) => w.inject(&bytes),
            Op::Datagram { from, dst, ttl, transport, fragment, broadcast_mac } => {
                let (src, src_mac) = neighbour(from);
                let dst = match dst {
                    Dst::Us => OURS,
                    Dst::Loopback([a, b, c]) => Ipv4Addr::new(127, a, b, c),
                    Dst::SubnetBroadcast => Ipv4Addr::new(198, 18, 0, 255),
                    Dst::Broadcast => Ipv4Addr::BROADCAST,
                    Dst::Other(o) => Ipv4Addr::from(o),
                };
                let (protocol, payload) = transport_bytes(&transport, src, dst);
                let eth_dst = if broadcast_mac { MacAddress::BROADCAST } else { OUR_MAC };
                let mut ip = Ipv4Repr::new(src, dst, protocol, payload.len());
                ip.ttl = ttl;
                match fragment {
                    None => {
                        let mut d = vec![0u8; 20 + payload.len()];
                        d[20..].copy_from_slice(&payload);
                        if ip.emit(&mut d).is_ok() {
                            w.inject(&frame(src_mac, eth_dst, EtherType::IPV4, &d));
                        }
                    }
                    Some((units, id, last_only)) => {
                        let step = usize::from(units.max(1)) * 8;
                        ip.identification = id;
                        let mut offset = 0;
                        while offset < payload.len() {
                            let end = (offset + step).min(payload.len());
                            let mut f = ip;
                            f.fragment_offset = (offset / 8) as u16;
                            f.more_fragments = end < payload.len();
                            f.payload_len = end - offset;
                            let skip = last_only && f.more_fragments && offset == 0;
                            if !skip {
                                let mut d = vec![0u8; 20 + f.payload_len];
                                d[20..].copy_from_slice(&payload[offset..end]);
                                if f.emit(&mut d).is_ok() {
                                    w.inject(&frame(src_mac, eth_dst, EtherType::IPV4, &d));
                                }
                            }
                            offset = end;
                            w.host.poll(w.now, &mut w.dev);
                        }
                    }
                }
            }
            Op::Arp { repr, broadcast } => {
                let mut p = vec![0u8; 28];
                if repr.emit(&mut p).is_ok() {
                    let dst = if broadcast { MacAddress::BROADCAST } else { OUR_MAC };
                    w.inject(&frame(repr.sender_mac, dst, EtherType::ARP, &p));
                }
            }
            Op::Advance(ms) => w.now += Duration::from_millis(u64::from(ms)),
            Op::AdvanceLong(s) => w.now += Duration::from_secs(u64::from(s)),
            Op::UdpBind(port) => {
                let s = w.host.sockets();
                if let Ok(fd) = s.socket(SocketKind::Datagram) {
                    let _ = s.bind(fd, SocketAddrV4::new(OURS, port));
                    w.fds.push(fd);
                }
            }
            Op::TcpListen(port) => {
                let s = w.host.sockets();
                if let Ok(fd) = s.socket(SocketKind::Stream) {
                    let _ = s.bind(fd, SocketAddrV4::new(OURS, port));
                    let _ = s.listen(fd, 8);
                    w.fds.push(fd);
                }
            }
            Op::TcpConnect { to, port } => {
                let now = w.now;
                let s = w.host.sockets();
                if let Ok(fd) = s.socket(SocketKind::Stream) {
                    let _ = s.connect(now, fd, SocketAddrV4::new(neighbour(to).0, port));
                    w.fds.push(fd);
                }
            }
            Op::UdpSendTo { socket, to, port, len } => {
                if let Some(fd) = w.fd(socket) {
                    let data = vec![0x5a; usize::from(len) % 9000];
                    let now = w.now;
                    let _ = w.host.sockets().send_to(now, fd, &data, SocketAddrV4::new(neighbour(to).0, port));
                }
            }
            Op::Send { socket, len } => {
                if let Some(fd) = w.fd(socket) {
                    let data = vec![0xa5; usize::from(len) % 20_000];
                    let now = w.now;
                    let _ = w.host.sockets().send(now, fd, &data);
                }
            }
            Op::Recv { socket } => {
                if let Some(fd) = w.fd(socket) {
                    let mut buf = [0u8; 2048];
                    let _ = w.host.sockets().recv(fd, &mut buf);
                    let _ = w.host.sockets().recv_from(fd, &mut buf);
                }
            }
            Op::Accept { socket } => {
                if let Some(fd) = w.fd(socket) {
                    if let Ok((new, _)) = w.host.sockets().accept(fd) {
                        w.fds.push(new);
                    }
                }
            }
            Op::Close { socket } => {
                if let Some(fd) = w.fd(socket) {
                    let now = w.now;
                    let _ = w.host.sockets().close(now, fd);
                    w.fds.retain(|f| *f != fd);
                }
            }
            Op::Ping { to, seq, len } => {
                let now = w.now;
                let data = vec![0x11; usize::from(len) % 4000];
                let _ = w.host.ping(now, neighbour(to).0, 1, seq, &data);
            }
            Op::TcpConnectSelf { port, lo } => {
                let now = w.now;
                let s = w.host.sockets();
                if let Ok(fd) = s.socket(SocketKind::Stream) {
                    let _ = s.connect(now, fd, SocketAddrV4::new(me(lo), port));
                    w.fds.push(fd);
                }
            }
            Op::UdpSendToSelf { socket, port, len, lo } => {
                if let Some(fd) = w.fd(socket) {
                    let data = vec![0x3c; usize::from(len) % 9000];
                    let now = w.now;
                    let _ = w.host.sockets().send_to(now, fd, &data, SocketAddrV4::new(me(lo), port));
                }
            }
            Op::PingSelf { seq, len, lo } => {
                let now = w.now;
                let data = vec![0x22; usize::from(len) % 4000];
                let _ = w.host.ping(now, me(lo), 2, seq, &data);
            }
            Op::Drain => while w.peer.receive(w.now, |_| ()).is_some() {},
        }
        w.host.poll(w.now, &mut w.dev);
        w.check();
        let _ = w.host.poll_at();
        while let Some(_) = w.host.poll_ping() {}
    }
    // Let every timer run out: the host must come back to rest.
    for _ in 0..50 {
        w.now += Duration::from_secs(10);
        while w.peer.receive(w.now, |_| ()).is_some() {}
        w.host.poll(w.now, &mut w.dev);
        w.check();
    }
});
