//! Routing through a default gateway. The gateway is a small test router
//! (it is not an `Interface`: strata hosts do not forward): it answers ARP
//! for its two addresses, knows the two hosts' MACs statically (a scripted
//! ARP table), decrements the TTL and forwards between its two cables.
// The test router indexes its ports and unwraps: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod host_common;

use core::net::Ipv4Addr;
use std::io::{Read, Write};

use host_common::mac;
use strata::device::Device;
use strata::device::memory::{self, MemoryDevice};
use strata::iface::{Interface, InterfaceConfig};
use strata::net::{Node, SimNet, TcpListener, TcpStream};
use strata_core::time::{Duration, Instant};
use strata_ethernet::{EtherType, Frame, MacAddress};

struct Port {
    dev: MemoryDevice,
    mac: MacAddress,
    ip: Ipv4Addr,
    /// The one host on this side and its MAC (scripted, not learned).
    host: (Ipv4Addr, MacAddress),
}

struct Router {
    ports: Vec<Port>,
    forwarded: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Router {
    fn handle(&mut self, now: Instant, from: usize, frame: &[u8]) -> Option<(usize, Vec<u8>)> {
        let eth = Frame::parse(frame).ok()?;
        let port = &self.ports[from];
        match eth.ethertype() {
            EtherType::ARP => {
                let arp = strata_arp::Repr::parse(&strata_arp::Packet::parse(eth.payload()).ok()?)
                    .ok()?;
                if arp.operation != strata_arp::Operation::REQUEST || arp.target_ip != port.ip {
                    return None;
                }
                let reply = strata_arp::Repr::reply_to(&arp, port.mac);
                let mut out = vec![0u8; 60];
                reply.emit(&mut out[14..]).ok()?;
                strata_ethernet::Repr::new(port.mac, arp.sender_mac, EtherType::ARP)
                    .emit(&mut out)
                    .ok()?;
                Some((from, out))
            }
            EtherType::IPV4 => {
                let mut datagram = eth.payload().to_vec();
                let mut packet = strata_ipv4::Packet::parse(&mut datagram[..]).ok()?;
                let dst = packet.dst();
                let to = self.ports.iter().position(|p| p.host.0 == dst)?;
                if packet.decrement_ttl()? == 0 {
                    return None;
                }
                packet.fill_checksum();
                let len = usize::from(packet.total_len());
                let out_port = &self.ports[to];
                let mut out = vec![0u8; 14 + len];
                out[14..].copy_from_slice(&datagram[..len]);
                strata_ethernet::Repr::new(out_port.mac, out_port.host.1, EtherType::IPV4)
                    .emit(&mut out)
                    .ok()?;
                let _ = now;
                self.forwarded.set(self.forwarded.get() + 1);
                Some((to, out))
            }
            _ => None,
        }
    }
}

impl Node for Router {
    fn poll(&mut self, now: Instant) -> bool {
        let mut any = false;
        for i in 0..self.ports.len() {
            while let Some(frame) = self.ports[i].dev.receive(now, |f| f.to_vec()) {
                any = true;
                if let Some((to, out)) = self.handle(now, i, &frame) {
                    let _ = self.ports[to].dev.transmit(now, |buf| {
                        buf[..out.len()].copy_from_slice(&out);
                        Some(out.len())
                    });
                }
            }
        }
        any
    }

    fn poll_at(&self) -> Option<Instant> {
        None
    }
}

fn iface(n: u8, cidr: &str, gateway: &str) -> Interface {
    let mut c = InterfaceConfig::new(mac(n), cidr.parse().unwrap());
    c.gateway = Some(gateway.parse().unwrap());
    c.seed = u64::from(n);
    Interface::new(c).unwrap()
}

#[test]
fn tcp_and_ping_through_the_default_gateway() {
    let a_ip: Ipv4Addr = "198.18.0.1".parse().unwrap();
    let b_ip: Ipv4Addr = "198.18.1.2".parse().unwrap();
    let (a_dev, r0) = memory::pair(1500);
    let (b_dev, r1) = memory::pair(1500);
    let forwarded = std::rc::Rc::new(std::cell::Cell::new(0));
    let net = SimNet::new();
    let a = net.add_host(iface(1, "198.18.0.1/24", "198.18.0.254"), a_dev);
    let b = net.add_host(iface(2, "198.18.1.2/24", "198.18.1.254"), b_dev);
    net.add_node(Box::new(Router {
        ports: vec![
            Port {
                dev: r0,
                mac: mac(0xfe),
                ip: "198.18.0.254".parse().unwrap(),
                host: (a_ip, mac(1)),
            },
            Port {
                dev: r1,
                mac: mac(0xfd),
                ip: "198.18.1.254".parse().unwrap(),
                host: (b_ip, mac(2)),
            },
        ],
        forwarded: forwarded.clone(),
    }));

    let listener = TcpListener::bind(&b, "198.18.1.2:80".parse().unwrap()).unwrap();
    let mut client = TcpStream::connect(&a, "198.18.1.2:80".parse().unwrap()).unwrap();
    let (mut server, peer) = listener.accept().unwrap();
    assert_eq!(*peer.ip(), a_ip);
    client.write_all(b"through the router").unwrap();
    let mut buf = [0u8; 18];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"through the router");
    assert!(forwarded.get() >= 3);

    // Each host resolved only its gateway, never the far host.
    let a_arp: Vec<_> = net
        .with_interface(&a, |i, _| i.arp().entries().collect())
        .unwrap();
    assert_eq!(
        a_arp,
        vec![("198.18.0.254".parse().unwrap(), Some(mac(0xfe)))]
    );
    let b_arp: Vec<_> = net
        .with_interface(&b, |i, _| i.arp().entries().collect())
        .unwrap();
    assert_eq!(
        b_arp,
        vec![("198.18.1.254".parse().unwrap(), Some(mac(0xfd)))]
    );

    // Ping across: the reply lost one TTL at the router.
    net.with_interface(&a, |i, now| i.ping(now, b_ip, 9, 1, b"hop"))
        .unwrap()
        .unwrap();
    let mut reply = None;
    net.run_until(Duration::from_secs(1), |net| {
        reply = net.with_interface(&a, |i, _| i.poll_ping()).unwrap();
        reply.is_some()
    })
    .unwrap();
    let reply = reply.unwrap();
    assert_eq!(reply.from, b_ip);
    assert_eq!(reply.ttl, 63);
}

#[test]
fn no_route_without_a_gateway_is_network_unreachable() {
    let (a_dev, _other) = memory::pair(1500);
    let net = SimNet::new();
    let c = InterfaceConfig::new(mac(1), "198.18.0.1/24".parse().unwrap());
    let a = net.add_host(Interface::new(c).unwrap(), a_dev);
    let err = TcpStream::connect(&a, "198.18.1.2:80".parse().unwrap()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NetworkUnreachable, "{err}");
    let pinged = net
        .with_interface(&a, |i, now| {
            i.ping(now, "198.18.1.2".parse().unwrap(), 1, 1, b"")
        })
        .unwrap();
    assert_eq!(pinged, Err(strata::iface::PingError::NoRoute));
}

/// The gateway never answers ARP: when the cache gives up on it, a connect
/// to an address beyond it fails with HostUnreachable at once (the sockets
/// are told the destination of every packet ARP dropped, not only the
/// gateway's address), not at the next SYN retransmission.
#[test]
fn connect_through_a_silent_gateway_fails_when_arp_gives_up() {
    use strata_socket::{Error, SocketKind};
    let (mut dev, peer_dev) = memory::pair(1500);
    let mut c = InterfaceConfig::new(mac(1), "198.18.0.1/24".parse().unwrap());
    c.gateway = Some("198.18.0.254".parse().unwrap());
    c.arp.retry_interval = Duration::from_millis(500);
    c.arp.max_requests = 3;
    c.seed = 1;
    let mut host = Interface::new(c).unwrap();
    // The peer on the cable answers ARP for .9 only: the gateway is silent.
    let mut peer = host_common::Peer::new(peer_dev, mac(9), "198.18.0.9".parse().unwrap());
    let far = std::net::SocketAddrV4::new(Ipv4Addr::new(198, 19, 0, 5), 80);
    let mut now = Instant::ZERO;
    let fd = host.sockets().socket(SocketKind::Stream).unwrap();
    assert_eq!(host.sockets().connect(now, fd, far), Err(Error::InProgress));
    let mut failed_at = None;
    // ARP gives up after 3 requests 500 ms apart (~1.5 s); the SYN's own
    // retransmissions come at 1 s and 3 s.
    while now < Instant::ZERO + Duration::from_millis(2_500) {
        host.poll(now, &mut dev);
        peer.pump(now);
        if host.sockets().readiness(fd).unwrap().error {
            failed_at = Some(now);
            break;
        }
        now += Duration::from_millis(10);
    }
    let failed_at = failed_at.expect("the connect did not fail within 2.5 s");
    assert!(
        failed_at <= Instant::ZERO + Duration::from_millis(1_600),
        "failed only at {failed_at:?}"
    );
    assert_eq!(
        host.sockets().take_error(fd),
        Ok(Some(Error::HostUnreachable))
    );
    assert_eq!(peer.arp_requests, 0);
    assert!(host.stats().tx_drop_neighbour_unreachable >= 1);
}
