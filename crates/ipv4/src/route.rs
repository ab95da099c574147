//! IPv4 prefixes and a routing table with longest-prefix match.
//!
//! The table is a binary trie over destination bits: a lookup walks at most
//! 32 edges from the root whatever the number of routes, remembering the
//! deepest node that holds a route. Each node keeps its routes sorted by
//! metric, so the best of one prefix is always the first.
//!
//! ```
//! use core::net::Ipv4Addr;
//! use strata_ipv4::route::{Ipv4Cidr, Route, RoutingTable};
//!
//! let mut table = RoutingTable::new();
//! table.add_on_link("198.18.0.2/24".parse()?);
//! table.set_default_gateway(Ipv4Addr::new(198, 18, 0, 1));
//! table.add(Route {
//!     destination: "198.19.0.0/16".parse()?,
//!     gateway: Some(Ipv4Addr::new(198, 18, 0, 254)),
//!     source: None,
//!     metric: 10,
//! })?;
//!
//! // On the link: the destination itself is the next hop.
//! let hop = table.lookup(Ipv4Addr::new(198, 18, 0, 77)).ok_or("no route")?;
//! assert_eq!(hop.next_hop, Ipv4Addr::new(198, 18, 0, 77));
//! assert_eq!(hop.source, Some(Ipv4Addr::new(198, 18, 0, 2)));
//! // The /16 beats the default route.
//! let hop = table.lookup(Ipv4Addr::new(198, 19, 3, 4)).ok_or("no route")?;
//! assert_eq!(hop.next_hop, Ipv4Addr::new(198, 18, 0, 254));
//! // Everything else goes to the default gateway.
//! let hop = table.lookup(Ipv4Addr::new(198, 18, 9, 9)).ok_or("no route")?;
//! assert_eq!(hop.next_hop, Ipv4Addr::new(198, 18, 0, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv4Addr;
use core::str::FromStr;

/// An IPv4 address with a prefix length, as in `198.18.0.2/24`.
///
/// The address keeps its host bits (an interface address and its subnet
/// are one value); [`network`](Ipv4Cidr::network) clears them. The fields
/// are public, so a value built by hand may carry a prefix length above 32:
/// the methods then treat it as 32 and [`RoutingTable::add`] refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Cidr {
    /// The address, host bits included.
    pub address: Ipv4Addr,
    /// Number of leading network bits, 0..=32.
    pub prefix_len: u8,
}

/// Why a prefix was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CidrError {
    /// The prefix length is above 32.
    PrefixTooLong {
        /// The prefix length given.
        prefix_len: u8,
    },
    /// The text has no `/` between address and prefix length.
    MissingPrefix,
    /// The text before the `/` is not a dotted-quad IPv4 address.
    BadAddress,
    /// The text after the `/` is not a decimal number.
    BadPrefix,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CidrError::PrefixTooLong { prefix_len } => {
                write!(f, "IPv4 prefix length {prefix_len} is above 32")
            }
            CidrError::MissingPrefix => f.write_str("IPv4 prefix has no '/' before its length"),
            CidrError::BadAddress => f.write_str("IPv4 prefix address is not a dotted quad"),
            CidrError::BadPrefix => f.write_str("IPv4 prefix length is not a decimal number"),
        }
    }
}

impl core::error::Error for CidrError {}

/// The netmask of a prefix length, clamped to 32.
const fn mask(prefix_len: u8) -> u32 {
    let len = if prefix_len > 32 { 32 } else { prefix_len };
    match u32::MAX.checked_shl(32 - len as u32) {
        Some(mask) => mask,
        None => 0,
    }
}

impl Ipv4Cidr {
    /// The prefix `address/prefix_len`.
    ///
    /// # Errors
    /// [`CidrError::PrefixTooLong`] above 32.
    pub const fn new(address: Ipv4Addr, prefix_len: u8) -> Result<Ipv4Cidr, CidrError> {
        if prefix_len > 32 {
            return Err(CidrError::PrefixTooLong { prefix_len });
        }
        Ok(Ipv4Cidr {
            address,
            prefix_len,
        })
    }

    /// The whole address space, `0.0.0.0/0`: the destination of a default
    /// route.
    pub const DEFAULT: Ipv4Cidr = Ipv4Cidr {
        address: Ipv4Addr::UNSPECIFIED,
        prefix_len: 0,
    };

    /// The netmask, e.g. 255.255.255.0 for a /24.
    #[must_use]
    pub const fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(mask(self.prefix_len))
    }

    /// The network address: host bits cleared.
    #[must_use]
    pub const fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.address.to_bits() & mask(self.prefix_len))
    }

    /// The directed broadcast address: host bits set. For a /31 or /32 it is
    /// simply the highest address of the prefix (RFC 3021 links have no
    /// broadcast address; callers decide).
    #[must_use]
    pub const fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from_bits(self.address.to_bits() | !mask(self.prefix_len))
    }

    /// The same prefix with the host bits cleared.
    #[must_use]
    pub const fn normalized(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            address: self.network(),
            prefix_len: if self.prefix_len > 32 {
                32
            } else {
                self.prefix_len
            },
        }
    }

    /// Whether `ip` lies within the prefix.
    #[must_use]
    pub const fn contains(&self, ip: Ipv4Addr) -> bool {
        let m = mask(self.prefix_len);
        ip.to_bits() & m == self.address.to_bits() & m
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = s.split_once('/').ok_or(CidrError::MissingPrefix)?;
        let address: Ipv4Addr = address.parse().map_err(|_| CidrError::BadAddress)?;
        // `u8::from_str` accepts a leading '+'; a prefix length does not.
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::BadPrefix);
        }
        let prefix_len: u8 = match prefix.parse() {
            Ok(len) => len,
            // All digits but past 255: certainly too long.
            Err(_) => {
                return Err(CidrError::PrefixTooLong {
                    prefix_len: u8::MAX,
                });
            }
        };
        Ipv4Cidr::new(address, prefix_len)
    }
}

/// One entry of the routing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Route {
    /// Destinations this route covers.
    pub destination: Ipv4Cidr,
    /// The router to hand packets to; `None` for an on-link route, whose
    /// destinations are reached directly.
    pub gateway: Option<Ipv4Addr>,
    /// Preferred source address for packets using this route.
    pub source: Option<Ipv4Addr>,
    /// Preference among routes of equal prefix length: lower wins.
    pub metric: u32,
}

/// Where a lookup says a datagram goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NextHop {
    /// The neighbour to resolve with ARP: the route's gateway, or the
    /// destination itself for an on-link route.
    pub next_hop: Ipv4Addr,
    /// The route's preferred source address.
    pub source: Option<Ipv4Addr>,
    /// The route chosen.
    pub route: Route,
}

/// Why a route was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteError {
    /// A route with the same destination and gateway exists.
    Duplicate {
        /// The destination, host bits cleared.
        destination: Ipv4Cidr,
        /// The gateway.
        gateway: Option<Ipv4Addr>,
    },
    /// The destination's prefix length is above 32.
    BadPrefix {
        /// The prefix length given.
        prefix_len: u8,
    },
    /// The table holds its maximum number of routes.
    TableFull {
        /// The maximum.
        max_routes: usize,
    },
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RouteError::Duplicate {
                destination,
                gateway: Some(gw),
            } => write!(f, "a route to {destination} via {gw} already exists"),
            RouteError::Duplicate {
                destination,
                gateway: None,
            } => write!(f, "an on-link route to {destination} already exists"),
            RouteError::BadPrefix { prefix_len } => {
                write!(f, "route prefix length {prefix_len} is above 32")
            }
            RouteError::TableFull { max_routes } => {
                write!(f, "routing table is full ({max_routes} routes)")
            }
        }
    }
}

impl core::error::Error for RouteError {}

/// Routes up to which lookups scan a flat list instead of the trie.
const SMALL_TABLE: usize = 8;

/// No child: index 0 is the root, which is nobody's child.
const NONE: u32 = 0;

#[derive(Clone, Debug, Default)]
struct Node {
    /// Children for a next bit of 0 and of 1.
    children: [u32; 2],
    /// Routes whose prefix ends here, by ascending metric; equal metrics
    /// keep the order they were added in.
    routes: Vec<Route>,
}

impl Node {
    fn child(&self, bit: bool) -> u32 {
        let [zero, one] = self.children;
        if bit { one } else { zero }
    }

    fn set_child(&mut self, bit: bool, index: u32) {
        let [zero, one] = &mut self.children;
        if bit {
            *one = index;
        } else {
            *zero = index;
        }
    }

    fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.children == [NONE, NONE]
    }
}

/// Bit `depth` (0 = most significant) of `address`.
const fn bit(address: u32, depth: u8) -> bool {
    (address >> (31 - depth as u32)) & 1 == 1
}

/// A routing table: longest-prefix match, then lowest metric.
///
/// Lookups cost at most 32 trie steps, independent of the number of
/// routes. Routes with the same prefix and metric are tried in the order
/// they were added (the first one wins). Routes added with
/// [`add`](RoutingTable::add) are capped (see
/// [`with_max_routes`](RoutingTable::with_max_routes)); the interface's own
/// routes ([`add_on_link`](RoutingTable::add_on_link),
/// [`set_default_gateway`](RoutingTable::set_default_gateway)) are
/// configuration and always fit.
#[derive(Clone, Debug)]
pub struct RoutingTable {
    /// The trie; `nodes[0]` is the root (prefix length 0).
    nodes: Vec<Node>,
    /// While the table holds at most [`SMALL_TABLE`] routes (a host's
    /// usual subnet and default route): every route, longest prefix first,
    /// each prefix's routes in the trie's order, so the first one that
    /// contains an address is the one the trie would pick. A scan of a few
    /// routes in one array beats up to 32 dependent trie steps; empty once
    /// the table grows past that.
    small: Vec<Route>,
    /// Indexes of unused nodes, reused before the arena grows.
    free: Vec<u32>,
    len: usize,
    max_routes: usize,
}

impl Default for RoutingTable {
    fn default() -> Self {
        RoutingTable::new()
    }
}

impl RoutingTable {
    /// Routes [`add`](RoutingTable::add) accepts unless told otherwise.
    pub const DEFAULT_MAX_ROUTES: usize = 4096;

    /// An empty table holding up to [`DEFAULT_MAX_ROUTES`](Self::DEFAULT_MAX_ROUTES).
    #[must_use]
    pub fn new() -> Self {
        RoutingTable::with_max_routes(Self::DEFAULT_MAX_ROUTES)
    }

    /// An empty table whose [`add`](RoutingTable::add) refuses routes past
    /// `max_routes`.
    #[must_use]
    pub fn with_max_routes(max_routes: usize) -> Self {
        RoutingTable {
            nodes: alloc::vec![Node::default()],
            small: Vec::new(),
            free: Vec::new(),
            len: 0,
            max_routes,
        }
    }

    /// Number of routes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no routes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a route. Its destination is stored with the host bits cleared.
    ///
    /// # Errors
    /// [`RouteError::Duplicate`] if a route with the same destination and
    /// gateway exists, [`RouteError::BadPrefix`] for a prefix length above
    /// 32, [`RouteError::TableFull`] at the cap.
    pub fn add(&mut self, route: Route) -> Result<(), RouteError> {
        let prefix_len = route.destination.prefix_len;
        if prefix_len > 32 {
            return Err(RouteError::BadPrefix { prefix_len });
        }
        if self.len >= self.max_routes {
            return Err(RouteError::TableFull {
                max_routes: self.max_routes,
            });
        }
        self.insert(route)
    }

    /// Adds the route to an interface's own subnet: on-link (no gateway),
    /// metric 0, and `cidr.address` as the preferred source unless it is the
    /// network address itself. Replaces an earlier on-link route to the same
    /// prefix.
    pub fn add_on_link(&mut self, cidr: Ipv4Cidr) {
        let destination = cidr.normalized();
        let source = (cidr.address != destination.address).then_some(cidr.address);
        let route = Route {
            destination,
            gateway: None,
            source,
            metric: 0,
        };
        let _ = self.remove_exact(destination, None);
        // Cannot be a duplicate after the removal.
        let _ = self.insert(route);
    }

    /// Makes `gw` the only default route (`0.0.0.0/0`, metric 0), replacing
    /// any default routes there were.
    pub fn set_default_gateway(&mut self, gw: Ipv4Addr) {
        while self.remove(Ipv4Cidr::DEFAULT).is_some() {}
        let _ = self.insert(Route {
            destination: Ipv4Cidr::DEFAULT,
            gateway: Some(gw),
            source: None,
            metric: 0,
        });
    }

    fn alloc_node(&mut self) -> u32 {
        if let Some(index) = self.free.pop() {
            return index;
        }
        let index = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node::default());
        index
    }

    fn node(&self, index: u32) -> Option<&Node> {
        self.nodes.get(index as usize)
    }

    fn node_mut(&mut self, index: u32) -> Option<&mut Node> {
        self.nodes.get_mut(index as usize)
    }

    fn insert(&mut self, mut route: Route) -> Result<(), RouteError> {
        route.destination = route.destination.normalized();
        let destination = route.destination;
        let address = destination.address.to_bits();
        let mut index = 0u32;
        for depth in 0..destination.prefix_len {
            let b = bit(address, depth);
            let child = self.node(index).map_or(NONE, |n| n.child(b));
            index = if child == NONE {
                let new = self.alloc_node();
                if let Some(node) = self.node_mut(index) {
                    node.set_child(b, new);
                }
                new
            } else {
                child
            };
        }
        let node = self.node_mut(index).ok_or(RouteError::TableFull {
            max_routes: usize::MAX,
        })?;
        if node.routes.iter().any(|r| r.gateway == route.gateway) {
            return Err(RouteError::Duplicate {
                destination,
                gateway: route.gateway,
            });
        }
        // After every route of lower or equal metric: ties keep insertion order.
        let at = node.routes.partition_point(|r| r.metric <= route.metric);
        node.routes.insert(at, route);
        self.len += 1;
        self.rebuild_small();
        Ok(())
    }

    /// Refreshes the flat list after a change (see `small`).
    fn rebuild_small(&mut self) {
        self.small.clear();
        if self.len > SMALL_TABLE {
            return;
        }
        self.small
            .extend(self.nodes.iter().flat_map(|n| n.routes.iter().copied()));
        // Stable: routes of one prefix share a node and keep its order;
        // routes of equal length but other prefixes never both match.
        self.small
            .sort_by_key(|r| core::cmp::Reverse(r.destination.prefix_len));
    }

    /// The trie path to `destination`'s node: node indexes from the root,
    /// or None if the node does not exist.
    fn path(&self, destination: Ipv4Cidr) -> Option<Vec<u32>> {
        let destination = destination.normalized();
        let address = destination.address.to_bits();
        let mut path = Vec::with_capacity(usize::from(destination.prefix_len) + 1);
        let mut index = 0u32;
        path.push(index);
        for depth in 0..destination.prefix_len {
            index = self.node(index)?.child(bit(address, depth));
            if index == NONE {
                return None;
            }
            path.push(index);
        }
        Some(path)
    }

    /// Removes the route `pick` selects among those of `destination`, then
    /// frees the nodes left empty.
    fn remove_with(
        &mut self,
        destination: Ipv4Cidr,
        pick: impl Fn(&Route) -> bool,
    ) -> Option<Route> {
        if destination.prefix_len > 32 {
            return None;
        }
        let address = destination.network().to_bits();
        let path = self.path(destination)?;
        let last = *path.last()?;
        let node = self.node_mut(last)?;
        let at = node.routes.iter().position(pick)?;
        let route = node.routes.remove(at);
        self.len -= 1;
        // Prune from the leaf up; the root (depth 0) always stays.
        for depth in (1..path.len()).rev() {
            let (Some(&index), Some(&parent)) = (path.get(depth), path.get(depth - 1)) else {
                break;
            };
            if !self.node(index).is_some_and(Node::is_empty) {
                break;
            }
            let b = bit(address, u8::try_from(depth - 1).unwrap_or(0));
            if let Some(p) = self.node_mut(parent) {
                p.set_child(b, NONE);
            }
            if let Some(n) = self.node_mut(index) {
                *n = Node::default();
            }
            self.free.push(index);
        }
        self.rebuild_small();
        Some(route)
    }

    /// Removes the best (lowest-metric, earliest-added) route to
    /// `destination` (host bits ignored) and returns it.
    pub fn remove(&mut self, destination: Ipv4Cidr) -> Option<Route> {
        self.remove_with(destination, |_| true)
    }

    /// Removes the route to `destination` through `gateway` (`None`: the
    /// on-link one) and returns it.
    pub fn remove_exact(
        &mut self,
        destination: Ipv4Cidr,
        gateway: Option<Ipv4Addr>,
    ) -> Option<Route> {
        self.remove_with(destination, |r| r.gateway == gateway)
    }

    /// The route for `dst`: the longest prefix containing it, and among
    /// those the lowest metric. At most 32 trie steps.
    #[must_use]
    pub fn lookup(&self, dst: Ipv4Addr) -> Option<NextHop> {
        if self.len <= SMALL_TABLE {
            let route = *self.small.iter().find(|r| r.destination.contains(dst))?;
            return Some(NextHop {
                next_hop: route.gateway.unwrap_or(dst),
                source: route.source,
                route,
            });
        }
        self.lookup_trie(dst)
    }

    fn lookup_trie(&self, dst: Ipv4Addr) -> Option<NextHop> {
        let address = dst.to_bits();
        let mut node = self.nodes.first()?;
        let mut best = node.routes.first();
        for depth in 0..32 {
            let child = node.child(bit(address, depth));
            if child == NONE {
                break;
            }
            node = self.node(child)?;
            if let Some(route) = node.routes.first() {
                best = Some(route);
            }
        }
        let route = *best?;
        Some(NextHop {
            next_hop: route.gateway.unwrap_or(dst),
            source: route.source,
            route,
        })
    }

    /// Every route, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.nodes.iter().flat_map(|n| n.routes.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_parse_display_and_arithmetic() {
        let c = cidr("198.18.0.2/24");
        assert_eq!(c.address, Ipv4Addr::new(198, 18, 0, 2));
        assert_eq!(c.prefix_len, 24);
        assert_eq!(c.to_string(), "198.18.0.2/24");
        assert_eq!(c.network(), Ipv4Addr::new(198, 18, 0, 0));
        assert_eq!(c.broadcast(), Ipv4Addr::new(198, 18, 0, 255));
        assert_eq!(c.netmask(), Ipv4Addr::new(255, 255, 255, 0));
        assert!(c.contains(Ipv4Addr::new(198, 18, 0, 200)));
        assert!(!c.contains(Ipv4Addr::new(198, 18, 1, 0)));
        let all = cidr("0.0.0.0/0");
        assert_eq!(all.network(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(all.broadcast(), Ipv4Addr::BROADCAST);
        assert!(all.contains(Ipv4Addr::new(198, 19, 255, 255)));
        let host = cidr("198.19.1.1/32");
        assert_eq!(host.network(), host.address);
        assert_eq!(host.broadcast(), host.address);
        assert!(host.contains(host.address));
        assert!(!host.contains(Ipv4Addr::new(198, 19, 1, 2)));
        let p31 = cidr("198.18.0.1/31");
        assert_eq!(p31.network(), Ipv4Addr::new(198, 18, 0, 0));
        assert_eq!(p31.broadcast(), Ipv4Addr::new(198, 18, 0, 1));
    }

    #[test]
    fn cidr_errors() {
        assert_eq!(
            "198.18.0.2/33".parse::<Ipv4Cidr>(),
            Err(CidrError::PrefixTooLong { prefix_len: 33 })
        );
        assert_eq!(
            "198.18.0.2/999".parse::<Ipv4Cidr>(),
            Err(CidrError::PrefixTooLong { prefix_len: 255 })
        );
        assert_eq!(
            "198.18.0.2".parse::<Ipv4Cidr>(),
            Err(CidrError::MissingPrefix)
        );
        assert_eq!(
            "198.18.0/24".parse::<Ipv4Cidr>(),
            Err(CidrError::BadAddress)
        );
        assert_eq!("198.18.0.2/".parse::<Ipv4Cidr>(), Err(CidrError::BadPrefix));
        assert_eq!(
            "198.18.0.2/+8".parse::<Ipv4Cidr>(),
            Err(CidrError::BadPrefix)
        );
        assert_eq!(
            "198.18.0.2/2a".parse::<Ipv4Cidr>(),
            Err(CidrError::BadPrefix)
        );
        assert_eq!(
            Ipv4Cidr::new(Ipv4Addr::UNSPECIFIED, 40),
            Err(CidrError::PrefixTooLong { prefix_len: 40 })
        );
        // Built by hand past 32: treated as a host route, never a panic.
        let bad = Ipv4Cidr {
            address: Ipv4Addr::new(198, 18, 0, 1),
            prefix_len: 200,
        };
        assert_eq!(bad.network(), bad.address);
        assert_eq!(
            RoutingTable::new().add(Route {
                destination: bad,
                gateway: None,
                source: None,
                metric: 0
            }),
            Err(RouteError::BadPrefix { prefix_len: 200 })
        );
        assert!(!CidrError::BadAddress.to_string().is_empty());
    }

    #[test]
    fn remove_prunes_and_reuses_nodes() {
        let mut t = RoutingTable::new();
        for i in 0..50u8 {
            t.add(Route {
                destination: Ipv4Cidr::new(Ipv4Addr::new(198, 18, i, 0), 24).unwrap(),
                gateway: Some(Ipv4Addr::new(198, 19, 0, 1)),
                source: None,
                metric: 0,
            })
            .unwrap();
        }
        let grown = t.nodes.len();
        for _ in 0..10 {
            for i in 0..50u8 {
                assert!(
                    t.remove(Ipv4Cidr::new(Ipv4Addr::new(198, 18, i, 0), 24).unwrap())
                        .is_some()
                );
            }
            assert!(t.is_empty());
            assert!(t.nodes.iter().all(Node::is_empty));
            for i in 0..50u8 {
                t.add(Route {
                    destination: Ipv4Cidr::new(Ipv4Addr::new(198, 18, i, 0), 24).unwrap(),
                    gateway: None,
                    source: None,
                    metric: 0,
                })
                .unwrap();
            }
        }
        assert_eq!(t.nodes.len(), grown);
    }
}
