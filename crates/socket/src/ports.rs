//! Port bookkeeping: which (protocol, address, port) bindings exist, the
//! conflict rules of `bind`, and ephemeral port selection by RFC 6056
//! algorithm 4 (double-hash port selection).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::RangeInclusive;
use std::vec::Vec;

use strata_core::rand::RandomSource;
use strata_tcp::isn::SipHasher24;

/// The transport a binding belongs to: TCP and UDP ports are separate
/// spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    fn number(self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }
}

/// One socket's claim on a port, kept by the socket so that exactly what
/// was added is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) transport: Transport,
    pub(crate) addr: SocketAddrV4,
    /// Whether it blocks binds that ask for address reuse: a listening
    /// socket, or an open socket without `SO_REUSEADDR`. Connections the
    /// application closed (still finishing) and reuse-flagged sockets are
    /// weak.
    pub(crate) strong: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Count {
    total: u32,
    strong: u32,
}

impl Count {
    fn blocks(&self, reuse: bool) -> bool {
        if reuse {
            self.strong > 0
        } else {
            self.total > 0
        }
    }

    fn add(&mut self, strong: bool) {
        self.total = self.total.saturating_add(1);
        if strong {
            self.strong = self.strong.saturating_add(1);
        }
    }

    fn remove(&mut self, strong: bool) {
        self.total = self.total.saturating_sub(1);
        if strong {
            self.strong = self.strong.saturating_sub(1);
        }
    }
}

#[derive(Debug, Default)]
struct PortUse {
    wildcard: Count,
    /// Per specific address: a host has few, so this stays tiny.
    addrs: Vec<(Ipv4Addr, Count)>,
}

impl PortUse {
    fn is_empty(&self) -> bool {
        self.wildcard.total == 0 && self.addrs.is_empty()
    }

    fn count_mut(&mut self, ip: Ipv4Addr) -> &mut Count {
        if ip.is_unspecified() {
            return &mut self.wildcard;
        }
        let at = match self.addrs.iter().position(|(a, _)| *a == ip) {
            Some(i) => i,
            None => {
                self.addrs.push((ip, Count::default()));
                self.addrs.len() - 1
            }
        };
        match self.addrs.get_mut(at) {
            Some((_, c)) => c,
            // Unreachable: `at` indexes an element that exists.
            None => &mut self.wildcard,
        }
    }
}

/// Size of algorithm 4's table of per-destination counters (RFC 6056
/// §3.3.4 suggests a few thousand entries at most).
const TABLE_LEN: usize = 1024;

/// Bindings and the ephemeral port allocator.
#[derive(Debug)]
pub(crate) struct Ports {
    used: HashMap<(u8, u16), PortUse>,
    /// F(): where a destination's sequence of ports starts.
    offset_key: SipHasher24,
    /// G(): which counter a destination advances.
    index_key: SipHasher24,
    table: Vec<u32>,
    range: RangeInclusive<u16>,
}

fn tuple_bytes(transport: Transport, local: Ipv4Addr, remote: SocketAddrV4) -> [u8; 11] {
    let [a, b, c, d] = local.octets();
    let [e, f, g, h] = remote.ip().octets();
    let [p0, p1] = remote.port().to_be_bytes();
    [a, b, c, d, e, f, g, h, p0, p1, transport.number()]
}

impl Ports {
    pub(crate) fn new(range: RangeInclusive<u16>, rng: &mut dyn RandomSource) -> Self {
        let table = std::vec![0u32; TABLE_LEN];
        Ports {
            used: HashMap::new(),
            offset_key: SipHasher24::from_random(rng),
            index_key: SipHasher24::from_random(rng),
            table,
            range,
        }
    }

    /// Whether binding `ip:port` (the unspecified address covers every
    /// address) conflicts with the bindings there. With `reuse`, only
    /// strong bindings conflict.
    pub(crate) fn conflicts(
        &self,
        transport: Transport,
        ip: Ipv4Addr,
        port: u16,
        reuse: bool,
    ) -> bool {
        let Some(u) = self.used.get(&(transport.number(), port)) else {
            return false;
        };
        if u.wildcard.blocks(reuse) {
            return true;
        }
        if ip.is_unspecified() {
            u.addrs.iter().any(|(_, c)| c.blocks(reuse))
        } else {
            u.addrs.iter().any(|(a, c)| *a == ip && c.blocks(reuse))
        }
    }

    pub(crate) fn add(&mut self, b: Binding) {
        self.used
            .entry((b.transport.number(), b.addr.port()))
            .or_default()
            .count_mut(*b.addr.ip())
            .add(b.strong);
    }

    pub(crate) fn remove(&mut self, b: Binding) {
        let key = (b.transport.number(), b.addr.port());
        let Some(u) = self.used.get_mut(&key) else {
            return;
        };
        u.count_mut(*b.addr.ip()).remove(b.strong);
        u.addrs.retain(|(_, c)| c.total > 0);
        if u.is_empty() {
            self.used.remove(&key);
        }
    }

    /// An ephemeral port for a socket at `local` talking to `remote`
    /// (unspecified when not known yet), by RFC 6056 algorithm 4: a keyed
    /// hash of the destination picks where its sequence of ports starts
    /// and which of a table of counters advances it, so ports toward one
    /// destination do not repeat soon while an observer learns nothing
    /// about those used toward others. The counter also advances by a
    /// small random step after each choice (the idea of §3.3.5), so
    /// successive ports toward one destination are not consecutive.
    ///
    /// Only ports with no binding at all, and that `also_free` accepts,
    /// are chosen, so an ephemeral port never collides with a 4-tuple or a
    /// binding in use.
    pub(crate) fn ephemeral(
        &mut self,
        transport: Transport,
        local: Ipv4Addr,
        remote: SocketAddrV4,
        rng: &mut dyn RandomSource,
        also_free: impl Fn(u16) -> bool,
    ) -> Option<u16> {
        let min = u32::from(*self.range.start());
        let max = u32::from(*self.range.end());
        if max < min {
            return None;
        }
        let num = max - min + 1;
        let bytes = tuple_bytes(transport, local, remote);
        let offset = self.offset_key.hash(&bytes);
        let index = (self.index_key.hash(&bytes) % TABLE_LEN as u64) as usize;
        let counter = self.table.get_mut(index)?;
        for _ in 0..num {
            let port = min + ((offset.wrapping_add(u64::from(*counter))) % u64::from(num)) as u32;
            *counter = counter.wrapping_add(1);
            let Ok(port) = u16::try_from(port) else {
                continue;
            };
            if port != 0 && !self.used.contains_key(&(transport.number(), port)) && also_free(port)
            {
                *counter = counter.wrapping_add(rng.below(8) as u32);
                return Some(port);
            }
        }
        None
    }
}
