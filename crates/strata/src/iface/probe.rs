//! Whether the interface's address may be used yet: with
//! [`InterfaceConfig::probe_address`](super::InterfaceConfig::probe_address)
//! the ARP cache first checks that no other host has it (RFC 5227 §2.1).

use strata_arp::cache::ArpEvent;
use strata_ethernet::MacAddress;

use super::Interface;

/// Where the interface's address stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressState {
    /// In use: announced, answered for, the source of what the host sends.
    Usable,
    /// Being probed: the host neither sends nor accepts IPv4 yet (its
    /// sockets have no address, pings fail with `NoRoute`, datagrams to
    /// it are dropped as not ours).
    Probing,
    /// Another host answered the probes (or probed for it too): the
    /// address is never used by this interface. Configure another one.
    Conflict {
        /// The other host's hardware address.
        mac: MacAddress,
    },
}

impl Interface {
    /// Where the interface's address stands: usable at once unless
    /// [`InterfaceConfig::probe_address`](super::InterfaceConfig::probe_address)
    /// was set.
    #[must_use]
    pub fn address_state(&self) -> AddressState {
        self.address_state
    }

    /// Takes the ARP cache's verdict on the address being probed.
    pub(super) fn address_event(&mut self, event: &ArpEvent) {
        match *event {
            ArpEvent::AddressClaimed { ip } if ip == self.cidr.address => {
                self.address_state = AddressState::Usable;
                self.sockets.set_addresses(&[ip]);
                self.owed = true;
            }
            ArpEvent::ProbeConflict { ip, mac } if ip == self.cidr.address => {
                self.address_state = AddressState::Conflict { mac };
                self.stats.address_conflicts += 1;
            }
            _ => {}
        }
    }
}
