//! Shared set-up of the whole-host tests: hosts on 198.18.0.0/24 with MACs
//! 02:00:00:00:00:NN, joined by in-memory cables under a simulated clock.
#![allow(dead_code)]
// Test helpers: a failed expectation is a failed test. (clippy.toml allows
// these inside #[test] functions; the helpers are outside them.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::net::{Ipv4Addr, SocketAddrV4};

use strata::device::memory::{self, MemoryDevice};
use strata::iface::{Interface, InterfaceConfig};
use strata::net::{HostHandle, SimNet};
use strata_ethernet::MacAddress;

/// 198.18.0.`n`.
pub fn ip(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(198, 18, 0, n)
}

/// 198.18.0.`n`:`port`.
pub fn sa(n: u8, port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(ip(n), port)
}

/// 02:00:00:00:00:`n`.
pub fn mac(n: u8) -> MacAddress {
    MacAddress([0x02, 0, 0, 0, 0, n])
}

/// The configuration of host `n` (198.18.0.`n`/24).
pub fn config(n: u8) -> InterfaceConfig {
    let mut c = InterfaceConfig::new(mac(n), format!("198.18.0.{n}/24").parse().unwrap());
    c.seed = u64::from(n) * 0x9e37_79b9;
    c
}

/// Host `n` with the default configuration.
pub fn host(n: u8) -> Interface {
    Interface::new(config(n)).unwrap()
}

/// Two hosts, .1 and .2, on one in-memory cable with the given MTU.
pub fn pair_net(mtu: usize) -> (SimNet, HostHandle, HostHandle) {
    pair_net_with(config(1), config(2), mtu)
}

/// Two hosts built from the given configurations on one cable.
pub fn pair_net_with(
    a: InterfaceConfig,
    b: InterfaceConfig,
    mtu: usize,
) -> (SimNet, HostHandle, HostHandle) {
    let mut a = a;
    let mut b = b;
    a.mtu = mtu;
    b.mtu = mtu;
    let (da, db): (MemoryDevice, MemoryDevice) = memory::pair(mtu);
    let net = SimNet::new();
    let ha = net.add_host(Interface::new(a).unwrap(), da);
    let hb = net.add_host(Interface::new(b).unwrap(), db);
    (net, ha, hb)
}

use strata::device::Device;
use strata_core::time::{Duration, Instant};
use strata_ethernet::EtherType;
use strata_ipv4::{Protocol, Repr as Ipv4Repr};

/// An Ethernet frame around an IPv4 datagram with header `ip` and
/// `payload` (checksums computed).
pub fn ipv4_frame(src: MacAddress, dst: MacAddress, ip: &Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let hlen = ip.header_len();
    let mut f = vec![0u8; 14 + hlen + payload.len()];
    f[14 + hlen..].copy_from_slice(payload);
    ip.emit(&mut f[14..]).unwrap();
    strata_ethernet::Repr::new(src, dst, EtherType::IPV4)
        .emit(&mut f)
        .unwrap();
    f
}

/// A UDP datagram (header + payload, checksum done).
pub fn udp(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Vec<u8> {
    let repr = strata_udp::Repr {
        src_port: src.port(),
        dst_port: dst.port(),
        payload_len: payload.len(),
    };
    let mut d = vec![0u8; 8 + payload.len()];
    d[8..].copy_from_slice(payload);
    repr.emit(&mut d, *src.ip(), *dst.ip()).unwrap();
    d
}

/// A frame carrying a UDP datagram from a peer to host `to`.
pub fn udp_frame(
    from_mac: MacAddress,
    to_mac: MacAddress,
    src: SocketAddrV4,
    dst: SocketAddrV4,
    payload: &[u8],
) -> Vec<u8> {
    let d = udp(src, dst, payload);
    let ip = Ipv4Repr::new(*src.ip(), *dst.ip(), Protocol::UDP, d.len());
    ipv4_frame(from_mac, to_mac, &ip, &d)
}

/// A scripted neighbour on the far end of a cable: answers ARP requests
/// for its own address and keeps every other frame it receives.
pub struct Peer {
    pub dev: MemoryDevice,
    pub mac: MacAddress,
    pub ips: Vec<Ipv4Addr>,
    pub frames: Vec<Vec<u8>>,
    pub arp_requests: usize,
}

impl Peer {
    pub fn new(dev: MemoryDevice, mac: MacAddress, ip: Ipv4Addr) -> Self {
        Peer {
            dev,
            mac,
            ips: vec![ip],
            frames: Vec::new(),
            arp_requests: 0,
        }
    }

    /// Sends a raw frame.
    pub fn send(&mut self, now: Instant, frame: &[u8]) {
        self.dev
            .transmit(now, |buf| {
                buf[..frame.len()].copy_from_slice(frame);
                Some(frame.len())
            })
            .unwrap();
    }

    /// Takes every waiting frame: ARP requests for our addresses are
    /// answered, the rest kept in `frames`.
    pub fn pump(&mut self, now: Instant) {
        while let Some(frame) = self.dev.receive(now, |f| f.to_vec()) {
            let eth = strata_ethernet::Frame::parse(&frame[..]).unwrap();
            if eth.ethertype() == EtherType::ARP {
                let arp =
                    strata_arp::Repr::parse(&strata_arp::Packet::parse(eth.payload()).unwrap())
                        .unwrap();
                if arp.operation == strata_arp::Operation::REQUEST
                    && self.ips.contains(&arp.target_ip)
                {
                    self.arp_requests += 1;
                    let reply = strata_arp::Repr {
                        operation: strata_arp::Operation::REPLY,
                        sender_mac: self.mac,
                        sender_ip: arp.target_ip,
                        target_mac: arp.sender_mac,
                        target_ip: arp.sender_ip,
                    };
                    let mut f = vec![0u8; 60];
                    reply.emit(&mut f[14..]).unwrap();
                    strata_ethernet::Repr::new(self.mac, arp.sender_mac, EtherType::ARP)
                        .emit(&mut f)
                        .unwrap();
                    self.send(now, &f);
                    continue;
                }
            }
            self.frames.push(frame);
        }
    }

    /// The IPv4 datagrams received so far (Ethernet stripped), removed.
    pub fn take_ipv4(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        self.frames.retain(|f| {
            if f[12..14] == [0x08, 0x00] {
                out.push(f[14..].to_vec());
                false
            } else {
                true
            }
        });
        out
    }
}

/// Polls `iface` and `peer` every millisecond of simulated time for `ms`.
pub fn drive(
    iface: &mut Interface,
    dev: &mut MemoryDevice,
    peer: &mut Peer,
    now: &mut Instant,
    ms: u64,
) {
    for _ in 0..ms {
        iface.poll(*now, dev);
        peer.pump(*now);
        iface.poll(*now, dev);
        *now += Duration::from_millis(1);
    }
}

/// One host (`n`) facing a scripted peer (.9, MAC ..:09) on a cable.
pub fn host_and_peer(n: u8) -> (Interface, MemoryDevice, Peer) {
    let (d, p) = memory::pair(1500);
    (host(n), d, Peer::new(p, mac(9), ip(9)))
}
