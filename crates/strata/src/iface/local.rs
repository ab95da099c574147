//! Local delivery (loopback): datagrams this host addresses to itself.
//!
//! A datagram to the interface's own address or to 127.0.0.0/8 never
//! reaches the device or the ARP cache. The transmit path copies it into a
//! bounded queue ([`InterfaceConfig::max_local_queue`](super::InterfaceConfig::max_local_queue)),
//! and the next [`Interface::poll`] receives it as if it had come in, minus
//! the checks that only make sense for a wire (the source is our own
//! address, or the destination a loopback one). While the queue holds
//! anything, [`Interface::poll_at`] says "now".
//!
//! Each poll receives only the datagrams queued before it began: an answer
//! to one of them (an echo reply, a SYN-ACK) waits for the next poll, so a
//! conversation with itself cannot keep one poll busy forever.

use core::net::Ipv4Addr;

use strata_core::time::Instant;
use strata_ipv4::Packet;

use super::{Inbound, Interface};

/// Emptied loopback buffers kept for reuse at most.
const SPARE_BUFFERS: usize = 32;

impl Interface {
    /// Datagrams this host sent itself that wait in the loopback queue for
    /// the next [`poll`](Interface::poll).
    #[must_use]
    pub fn local_queue_len(&self) -> usize {
        self.local.len()
    }

    /// Whether `ip` names this host itself: its own address, or any of
    /// 127.0.0.0/8.
    pub(super) fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip == self.cidr.address || ip.is_loopback()
    }

    /// Queues a whole datagram (IPv4 header first) for local delivery;
    /// false if the queue is full (the datagram is dropped and counted).
    pub(super) fn push_local(&mut self, datagram: Vec<u8>) -> bool {
        if self.local.len() >= self.max_local_queue {
            self.stats.tx_drop_local_queue_full += 1;
            return false;
        }
        self.stats.tx_local += 1;
        self.local.push_back(datagram);
        true
    }

    /// [`push_local`](Self::push_local) for a datagram still in a transmit
    /// buffer: copied into a recycled buffer.
    pub(super) fn push_local_slice(&mut self, datagram: &[u8]) -> bool {
        if self.local.len() >= self.max_local_queue {
            self.stats.tx_drop_local_queue_full += 1;
            return false;
        }
        let mut copy = self.local_spare.pop().unwrap_or_default();
        copy.clear();
        copy.extend_from_slice(datagram);
        self.push_local(copy)
    }

    /// Receives the datagrams that were waiting in the loopback queue when
    /// called; returns how many.
    pub(super) fn receive_local(&mut self, now: Instant) -> usize {
        let waiting = self.local.len();
        for _ in 0..waiting {
            let Some(datagram) = self.local.pop_front() else {
                break;
            };
            self.deliver_local(now, &datagram);
            if self.local_spare.len() < SPARE_BUFFERS {
                self.local_spare.push(datagram);
            }
        }
        waiting
    }

    /// Hands one looped-back datagram to the protocols. This host built it,
    /// so it is whole (never fragmented: it did not cross a link) and its
    /// checksums are right; only the header is read again.
    fn deliver_local(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = Packet::parse(bytes) else {
            self.stats.tx_drop_emit += 1;
            return;
        };
        self.stats.rx_local += 1;
        let info = Inbound {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            broadcast: false,
            header_bytes: packet.header_bytes(),
        };
        self.deliver(now, &info, packet.payload());
    }
}
