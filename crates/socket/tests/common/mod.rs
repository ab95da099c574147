//! A two-host harness: two socket tables whose transmits are parsed
//! (checksums verified) and handed to each other under a simulated clock.
#![allow(dead_code, clippy::type_complexity)]

use std::net::{Ipv4Addr, SocketAddrV4};

use strata_core::rand::{RandomSource, SplitMix64};
use strata_core::time::{Duration, Instant};
use strata_ipv4::Protocol;
use strata_socket::{Sockets, SocketsConfig, Transmit, UdpDelivery};
use strata_tcp::{Flags, Repr, Segment};
use strata_udp::Datagram;

pub const A_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
pub const B_IP: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// A TCP segment or UDP datagram that crossed (or was dropped).
#[derive(Clone, Debug)]
pub struct Seen {
    pub from: Side,
    pub transmit: Transmit,
    pub tcp: Option<Repr>,
    pub udp: Option<(u16, u16, usize)>,
}

/// A datagram that found no socket: what an ICMP port unreachable quotes.
#[derive(Clone, Copy, Debug)]
pub struct Unreachable {
    pub from: Side,
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
}

pub struct Net {
    pub a: Sockets,
    pub b: Sockets,
    pub now: Instant,
    /// Drop probability in per-mille, and the generator deciding.
    pub loss: u64,
    rng: SplitMix64,
    pub dropped: u64,
    pub delivered: u64,
    pub log_enabled: bool,
    pub log: Vec<Seen>,
    pub unreachable: Vec<Unreachable>,
    /// Every packet passes this; false drops it.
    pub filter: Option<Box<dyn FnMut(&Seen) -> bool>>,
    buf: Vec<u8>,
}

pub fn tables(ca: SocketsConfig, cb: SocketsConfig, seed: u64) -> (Sockets, Sockets) {
    let mut a = Sockets::new(ca, Box::new(SplitMix64::new(seed)));
    let mut b = Sockets::new(cb, Box::new(SplitMix64::new(seed ^ 0x5555)));
    a.set_addresses(&[A_IP]);
    b.set_addresses(&[B_IP]);
    (a, b)
}

impl Net {
    pub fn new(seed: u64) -> Self {
        Self::with_configs(SocketsConfig::default(), SocketsConfig::default(), seed)
    }

    pub fn with_configs(ca: SocketsConfig, cb: SocketsConfig, seed: u64) -> Self {
        let (a, b) = tables(ca, cb, seed);
        Net {
            a,
            b,
            now: Instant::ZERO,
            loss: 0,
            rng: SplitMix64::new(seed.wrapping_mul(31)),
            dropped: 0,
            delivered: 0,
            log_enabled: true,
            log: Vec::new(),
            unreachable: Vec::new(),
            filter: None,
            buf: vec![0u8; 65_600],
        }
    }

    pub fn side(&mut self, side: Side) -> &mut Sockets {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Moves everything `from` wants sent; returns how many packets.
    pub fn deliver(&mut self, from: Side) -> usize {
        let mut moved = 0;
        let now = self.now;
        loop {
            let (src_tab, dst_tab, dst_ip) = match from {
                Side::A => (&mut self.a, &mut self.b, B_IP),
                Side::B => (&mut self.b, &mut self.a, A_IP),
            };
            let Some(t) = src_tab.poll_transmit(now, &mut self.buf) else {
                break;
            };
            moved += 1;
            let bytes = &self.buf[..t.len];
            let mut seen = Seen {
                from,
                transmit: t,
                tcp: None,
                udp: None,
            };
            if t.protocol == Protocol::TCP {
                let seg = Segment::parse_verified(bytes, t.src, t.dst).expect("valid TCP");
                seen.tcp = Some(Repr::parse(&seg).expect("TCP repr"));
            } else {
                assert_eq!(t.protocol, Protocol::UDP);
                let d = Datagram::parse_verified(bytes, t.src, t.dst).expect("valid UDP");
                seen.udp = Some((d.src_port(), d.dst_port(), d.payload().len()));
                assert!(!t.dont_fragment);
            }
            let mut pass = t.dst == dst_ip || t.dst.is_broadcast();
            if let Some(f) = self.filter.as_mut() {
                pass &= f(&seen);
            }
            if pass && self.loss > 0 && self.rng.below(1000) < self.loss {
                pass = false;
            }
            if self.log_enabled {
                self.log.push(seen);
            }
            if !pass {
                self.dropped += 1;
                continue;
            }
            self.delivered += 1;
            let bytes = &self.buf[..t.len];
            if t.protocol == Protocol::TCP {
                let seg = Segment::parse_verified(bytes, t.src, t.dst).unwrap();
                dst_tab.handle_tcp(now, t.src, t.dst, &seg);
            } else {
                let d = Datagram::parse_verified(bytes, t.src, t.dst).unwrap();
                let r = dst_tab.handle_udp(now, t.src, t.dst, &d);
                if r == UdpDelivery::NoSocket {
                    self.unreachable.push(Unreachable {
                        from,
                        src: SocketAddrV4::new(t.src, d.src_port()),
                        dst: SocketAddrV4::new(t.dst, d.dst_port()),
                    });
                }
            }
        }
        moved
    }

    /// Carries packets both ways until both sides are quiet (no time
    /// passes).
    pub fn exchange(&mut self) {
        for _ in 0..1_000_000 {
            if self.deliver(Side::A) + self.deliver(Side::B) == 0 {
                return;
            }
        }
        panic!("exchange does not settle");
    }

    /// Runs both hosts for `d` of simulated time: exchanges, fires timers
    /// at their deadlines, exchanges again.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        for _ in 0..10_000_000 {
            self.exchange();
            let next = match (self.a.poll_at(), self.b.poll_at()) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            match next {
                Some(t) if t <= target => {
                    if t > self.now {
                        self.now = t;
                    }
                    self.a.handle_timeout(self.now);
                    self.b.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = target;
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
        self.exchange();
    }

    /// Advances in small steps until `cond` holds or `limit` passes.
    pub fn run_until(&mut self, limit: Duration, mut cond: impl FnMut(&mut Net) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            self.exchange();
            if cond(self) {
                return true;
            }
            if self.now >= end {
                return false;
            }
            self.advance(Duration::from_millis(10));
        }
    }

    /// TCP segments `from` sent with `flag` set.
    pub fn count_flag(&self, from: Side, flag: Flags) -> usize {
        self.log
            .iter()
            .filter(|s| s.from == from && s.tcp.is_some_and(|r| r.flags.contains(flag)))
            .count()
    }
}
