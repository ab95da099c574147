//! The routing table: longest-prefix match against a brute-force model,
//! default routes, metric ties, on-link routes and removal.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use core::net::Ipv4Addr;

use proptest::prelude::*;
use strata_ipv4::route::{Ipv4Cidr, NextHop, Route, RouteError, RoutingTable};

fn cidr(s: &str) -> Ipv4Cidr {
    s.parse().unwrap()
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn via(dest: &str, gw: &str, metric: u32) -> Route {
    Route {
        destination: cidr(dest),
        gateway: Some(ip(gw)),
        source: None,
        metric,
    }
}

#[test]
fn empty_table_has_no_route() {
    let t = RoutingTable::new();
    assert_eq!(t.lookup(ip("198.18.0.1")), None);
    assert!(t.is_empty());
}

#[test]
fn default_route_catches_everything_else() {
    let mut t = RoutingTable::new();
    t.set_default_gateway(ip("198.18.0.1"));
    for dst in ["198.18.0.9", "198.19.255.255", "0.0.0.0", "255.255.255.255"] {
        let hop = t.lookup(ip(dst)).unwrap();
        assert_eq!(hop.next_hop, ip("198.18.0.1"));
        assert_eq!(hop.route.destination, Ipv4Cidr::DEFAULT);
    }
    // Setting it again replaces it rather than adding a second one.
    t.set_default_gateway(ip("198.18.0.254"));
    assert_eq!(t.len(), 1);
    assert_eq!(
        t.lookup(ip("198.19.1.1")).unwrap().next_hop,
        ip("198.18.0.254")
    );
    // Default routes added by hand are replaced too.
    t.add(via("0.0.0.0/0", "198.18.0.3", 5)).unwrap();
    assert_eq!(t.len(), 2);
    t.set_default_gateway(ip("198.18.0.4"));
    assert_eq!(t.len(), 1);
    assert_eq!(
        t.lookup(ip("198.19.1.1")).unwrap().next_hop,
        ip("198.18.0.4")
    );
    assert_eq!(
        t.remove(Ipv4Cidr::DEFAULT).unwrap().gateway,
        Some(ip("198.18.0.4"))
    );
    assert_eq!(t.lookup(ip("198.19.1.1")), None);
}

#[test]
fn on_link_route_uses_the_destination_and_the_interface_source() {
    let mut t = RoutingTable::new();
    t.add_on_link(cidr("198.18.5.2/24"));
    t.set_default_gateway(ip("198.18.5.1"));
    let hop = t.lookup(ip("198.18.5.77")).unwrap();
    assert_eq!(
        hop,
        NextHop {
            next_hop: ip("198.18.5.77"),
            source: Some(ip("198.18.5.2")),
            route: Route {
                destination: cidr("198.18.5.0/24"),
                gateway: None,
                source: Some(ip("198.18.5.2")),
                metric: 0,
            },
        }
    );
    // Off the subnet: the gateway.
    assert_eq!(
        t.lookup(ip("198.18.6.1")).unwrap().next_hop,
        ip("198.18.5.1")
    );
    // Adding it again replaces it (same prefix, new source).
    t.add_on_link(cidr("198.18.5.3/24"));
    assert_eq!(t.len(), 2);
    assert_eq!(
        t.lookup(ip("198.18.5.77")).unwrap().source,
        Some(ip("198.18.5.3"))
    );
    // A network address as the interface address gives no preferred source.
    t.add_on_link(cidr("198.19.0.0/16"));
    assert_eq!(t.lookup(ip("198.19.4.4")).unwrap().source, None);
    // The host bits do not matter for removal.
    assert!(t.remove_exact(cidr("198.18.5.200/24"), None).is_some());
    assert_eq!(
        t.lookup(ip("198.18.5.77")).unwrap().next_hop,
        ip("198.18.5.1")
    );
}

#[test]
fn longest_prefix_wins_over_metric() {
    let mut t = RoutingTable::new();
    t.add(via("198.18.0.0/15", "198.18.0.1", 0)).unwrap();
    t.add(via("198.18.4.0/22", "198.18.0.2", 100)).unwrap();
    t.add(via("198.18.4.128/25", "198.18.0.3", 1000)).unwrap();
    t.add(via("198.18.4.200/32", "198.18.0.4", 7)).unwrap();
    assert_eq!(
        t.lookup(ip("198.19.0.1")).unwrap().next_hop,
        ip("198.18.0.1")
    );
    assert_eq!(
        t.lookup(ip("198.18.5.1")).unwrap().next_hop,
        ip("198.18.0.2")
    );
    assert_eq!(
        t.lookup(ip("198.18.4.129")).unwrap().next_hop,
        ip("198.18.0.3")
    );
    assert_eq!(
        t.lookup(ip("198.18.4.200")).unwrap().next_hop,
        ip("198.18.0.4")
    );
    assert_eq!(
        t.lookup(ip("198.18.4.201")).unwrap().next_hop,
        ip("198.18.0.3")
    );
    assert_eq!(t.lookup(ip("198.20.0.0")), None);
}

#[test]
fn metric_then_insertion_order_breaks_ties() {
    let mut t = RoutingTable::new();
    t.add(via("198.18.0.0/16", "198.18.0.1", 20)).unwrap();
    t.add(via("198.18.0.0/16", "198.18.0.2", 10)).unwrap();
    t.add(via("198.18.0.0/16", "198.18.0.3", 10)).unwrap();
    // Lowest metric; of the two at 10, the earlier.
    assert_eq!(
        t.lookup(ip("198.18.1.1")).unwrap().next_hop,
        ip("198.18.0.2")
    );
    // remove takes the best one; the tie partner takes over.
    assert_eq!(
        t.remove(cidr("198.18.0.0/16")).unwrap().gateway,
        Some(ip("198.18.0.2"))
    );
    assert_eq!(
        t.lookup(ip("198.18.1.1")).unwrap().next_hop,
        ip("198.18.0.3")
    );
    assert_eq!(
        t.remove_exact(cidr("198.18.0.0/16"), Some(ip("198.18.0.3"))),
        Some(via("198.18.0.0/16", "198.18.0.3", 10))
    );
    assert_eq!(
        t.lookup(ip("198.18.1.1")).unwrap().next_hop,
        ip("198.18.0.1")
    );
    assert_eq!(t.len(), 1);
}

#[test]
fn duplicates_and_caps_are_refused() {
    let mut t = RoutingTable::with_max_routes(2);
    t.add(via("198.18.0.0/16", "198.18.0.1", 1)).unwrap();
    // Same destination (host bits ignored) and gateway, even with another metric.
    assert_eq!(
        t.add(via("198.18.3.3/16", "198.18.0.1", 9)),
        Err(RouteError::Duplicate {
            destination: cidr("198.18.0.0/16"),
            gateway: Some(ip("198.18.0.1")),
        })
    );
    t.add(via("198.18.0.0/16", "198.18.0.2", 1)).unwrap();
    assert_eq!(
        t.add(via("198.19.0.0/16", "198.18.0.2", 1)),
        Err(RouteError::TableFull { max_routes: 2 })
    );
    assert_eq!(t.iter().count(), 2);
    // Stored with host bits cleared.
    assert!(t.iter().all(|r| r.destination == cidr("198.18.0.0/16")));
    assert!(
        !RouteError::TableFull { max_routes: 2 }
            .to_string()
            .is_empty()
    );
    assert_eq!(t.remove(cidr("198.20.0.0/16")), None);
    assert_eq!(t.remove(cidr("198.18.0.0/17")), None);
}

/// What the table should answer, found by looking at every route.
#[derive(Default)]
struct Model {
    /// In insertion order.
    routes: Vec<Route>,
}

impl Model {
    fn add(&mut self, mut route: Route) -> Result<(), ()> {
        route.destination = route.destination.normalized();
        if self
            .routes
            .iter()
            .any(|r| r.destination == route.destination && r.gateway == route.gateway)
        {
            return Err(());
        }
        self.routes.push(route);
        Ok(())
    }

    fn remove(&mut self, destination: Ipv4Cidr) -> Option<Route> {
        let destination = destination.normalized();
        let best = self
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.destination == destination)
            .min_by_key(|(i, r)| (r.metric, *i))
            .map(|(i, _)| i)?;
        Some(self.routes.remove(best))
    }

    fn lookup(&self, dst: Ipv4Addr) -> Option<Route> {
        self.routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.destination.contains(dst))
            .min_by_key(|(i, r)| (core::cmp::Reverse(r.destination.prefix_len), r.metric, *i))
            .map(|(_, r)| *r)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Add(Route),
    Remove(Ipv4Cidr),
    Lookup(Ipv4Addr),
}

/// Addresses drawn near a few bases so prefixes nest and collide.
fn near() -> impl Strategy<Value = Ipv4Addr> {
    (0usize..4, any::<u32>(), 0u32..33).prop_map(|(base, noise, keep)| {
        let bases = [0xc612_0000u32, 0xc612_0400, 0xc613_ff00, 0x0a00_0000];
        // Keep the top `keep` bits of the base, randomise the rest.
        let mask = u32::MAX.checked_shl(32 - keep).unwrap_or(0);
        Ipv4Addr::from_bits((bases[base] & mask) | (noise & !mask))
    })
}

fn route() -> impl Strategy<Value = Route> {
    (near(), 0u8..=32, 0u8..4, 0u32..3, any::<bool>()).prop_map(
        |(address, prefix_len, gw, metric, source)| Route {
            destination: Ipv4Cidr::new(address, prefix_len).unwrap(),
            gateway: (gw > 0).then(|| Ipv4Addr::new(198, 18, 0, gw)),
            source: source.then_some(Ipv4Addr::new(198, 18, 0, 100)),
            metric,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => route().prop_map(Op::Add),
        1 => (near(), 0u8..=32).prop_map(|(a, p)| Op::Remove(Ipv4Cidr::new(a, p).unwrap())),
        1 => route().prop_map(|r| Op::Remove(r.destination)),
        4 => near().prop_map(Op::Lookup),
    ]
}

proptest! {
    #[test]
    fn lookup_matches_brute_force(ops in proptest::collection::vec(op(), 1..200)) {
        let mut table = RoutingTable::new();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Add(route) => {
                    prop_assert_eq!(table.add(route).is_ok(), model.add(route).is_ok());
                }
                Op::Remove(dest) => {
                    prop_assert_eq!(table.remove(dest), model.remove(dest));
                }
                Op::Lookup(dst) => {
                    let expected = model.lookup(dst).map(|route| NextHop {
                        next_hop: route.gateway.unwrap_or(dst),
                        source: route.source,
                        route,
                    });
                    prop_assert_eq!(table.lookup(dst), expected);
                }
            }
            prop_assert_eq!(table.len(), model.routes.len());
        }
        let mut listed: Vec<Route> = table.iter().copied().collect();
        let mut expected = model.routes.clone();
        let key = |r: &Route| (r.destination, r.gateway.map(Ipv4Addr::to_bits), r.metric);
        listed.sort_by_key(key);
        expected.sort_by_key(key);
        prop_assert_eq!(listed, expected);
    }

    #[test]
    fn cidr_display_parses_back(address in any::<u32>(), prefix_len in 0u8..=32) {
        let c = Ipv4Cidr::new(Ipv4Addr::from_bits(address), prefix_len).unwrap();
        prop_assert_eq!(c.to_string().parse::<Ipv4Cidr>(), Ok(c));
        prop_assert!(c.contains(c.network()));
        prop_assert!(c.contains(c.broadcast()));
        prop_assert!(c.contains(c.address));
        let size = 1u64 << (32 - u32::from(prefix_len));
        prop_assert_eq!(
            u64::from(c.broadcast().to_bits()) - u64::from(c.network().to_bits()) + 1,
            size
        );
    }
}
