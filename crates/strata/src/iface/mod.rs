//! The host: one Ethernet interface with an IPv4 address, its routes, ARP
//! cache, fragment reassembler and sockets, moving frames between a
//! [`Device`] and the socket API.
//!
//! [`Interface::poll`] does one round of work:
//!
//! 1. **Receive** every frame the device holds. Ethernet frames addressed
//!    to this MAC or to broadcast (untagged) go on: ARP to the cache; IPv4
//!    whose header checksum verifies and whose destination is this host
//!    (its address, the subnet broadcast or 255.255.255.255) to the
//!    reassembler if it is a fragment, then by protocol: ICMP (echo
//!    requests answered, echo replies matched to [`Interface::ping`],
//!    errors parsed down to the quoted ports and handed to the sockets),
//!    TCP and UDP (checksum verified) to the sockets. A UDP datagram for a
//!    port nobody holds is answered with port unreachable, an unknown
//!    protocol with protocol unreachable, both rate-limited by a token
//!    bucket and never about broadcasts, fragments past the first or other
//!    ICMP errors. Then the datagrams this host sent itself (to its own
//!    address or 127.0.0.0/8) since the last poll are received the same
//!    way: those never reach the device or ARP (a queue bounded by
//!    [`InterfaceConfig::max_local_queue`] carries them from one poll to
//!    the next), and 127.0.0.0/8 arriving from the wire is dropped as a
//!    martian.
//! 2. **Timers**: ARP retries and expiry (a neighbour declared unreachable
//!    fails the sockets waiting for it), reassembly timeouts (answered with
//!    time exceeded, code 1, when the first fragment had arrived), socket
//!    timers.
//! 3. **Transmit** everything due: ARP requests and replies, datagrams the
//!    ARP cache releases once a neighbour resolves, ICMP the host
//!    generated, then every segment or datagram the sockets want to send.
//!    A socket's segment is written straight into the device's transmit
//!    buffer at offset 34, and the IPv4 (offset 14) and Ethernet (offset 0)
//!    headers in front of it: no copy. A datagram whose next hop is still
//!    being resolved is copied into the ARP queue instead; one larger than
//!    the MTU (Don't Fragment clear) is sent as fragments, each built in
//!    its own device buffer.
//!
//! [`Interface::poll_at`] says when the next timer is due, so a driver can
//! sleep (or jump a simulated clock) until then.
//!
//! # Example
//!
//! Two hosts on an in-memory cable: one pings the other.
//!
//! ```
//! use strata::device::memory;
//! use strata::iface::{Interface, InterfaceConfig};
//! use strata_core::time::{Duration, Instant};
//!
//! let (mut dev_a, mut dev_b) = memory::pair(1500);
//! let mut a = Interface::new(InterfaceConfig::new(
//!     "02:00:00:00:00:01".parse()?,
//!     "198.18.0.1/24".parse()?,
//! ))?;
//! let mut b = Interface::new(InterfaceConfig::new(
//!     "02:00:00:00:00:02".parse()?,
//!     "198.18.0.2/24".parse()?,
//! ))?;
//!
//! let mut now = Instant::ZERO;
//! a.ping(now, "198.18.0.2".parse()?, 7, 1, b"hello")?;
//! let reply = loop {
//!     a.poll(now, &mut dev_a);
//!     b.poll(now, &mut dev_b);
//!     if let Some(reply) = a.poll_ping() {
//!         break reply;
//!     }
//!     now += Duration::from_millis(1);
//! };
//! assert_eq!((reply.ident, reply.seq, reply.len), (7, 1, 5));
//! assert_eq!(b.stats().echo_replies_sent, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod icmp;
mod local;
mod observer;
mod ping;
mod probe;
mod stats;

use core::net::{Ipv4Addr, SocketAddrV4};
use std::collections::VecDeque;
use std::fmt;

use strata_arp::cache::{ArpCache, ArpEvent, ArpTransmit, CacheConfig, Resolution};
use strata_core::rand::{RandomSource, SplitMix64};
use strata_core::time::{Duration, Instant};
use strata_ethernet::{EtherType, Frame, MacAddress};
use strata_ipv4::icmpv4::{IcmpType, Message, Repr as IcmpRepr, TimeExceededCode, UnreachableCode};
use strata_ipv4::reassembly::{Reassembler, ReassemblyConfig, ReassemblyOutcome};
use strata_ipv4::route::{Ipv4Cidr, RoutingTable};
use strata_ipv4::{HEADER_LEN as IPV4_HEADER_LEN, Packet, Protocol, Repr as Ipv4Repr};
use strata_socket::{IcmpError, IcmpErrorKind, Sockets, SocketsConfig, TransmitPoll, UdpDelivery};

use crate::device::{Device, DeviceError};

pub use observer::{Direction, FrameRecord, Observer};
pub use ping::{PingError, PingReply, PingReplyKind};
pub use probe::AddressState;
pub use stats::InterfaceStats;

/// Ethernet header length (untagged).
const ETH_LEN: usize = strata_ethernet::HEADER_LEN;
/// Where a socket's transport header starts in a frame: Ethernet and an
/// option-less IPv4 header in front.
const TRANSPORT_OFFSET: usize = ETH_LEN + IPV4_HEADER_LEN;
/// Smallest MTU IPv4 allows (RFC 791: every host must handle 68).
const MIN_MTU: usize = 68;
/// Largest IPv4 datagram.
const MAX_DATAGRAM: usize = 65535;

/// How an [`Interface`] is set up.
///
/// [`InterfaceConfig::new`] fills every field but the MAC and the address
/// with defaults (MTU 1500, no gateway, the default ARP, reassembly and
/// socket settings, seed 0).
#[derive(Clone)]
pub struct InterfaceConfig {
    /// This interface's MAC address (unicast).
    pub mac: MacAddress,
    /// This interface's address and subnet, e.g. `198.18.0.2/24`; the
    /// subnet becomes the on-link route.
    pub address: Ipv4Cidr,
    /// The default gateway, which must be on the subnet.
    pub gateway: Option<Ipv4Addr>,
    /// The largest IPv4 datagram the link carries (the device's frames are
    /// 14 bytes longer).
    pub mtu: usize,
    /// ARP cache settings.
    pub arp: CacheConfig,
    /// Fragment reassembly settings.
    pub reassembly: ReassemblyConfig,
    /// Socket table settings.
    pub sockets: SocketsConfig,
    /// Seed of the random source for the sockets (ISN keys, ephemeral
    /// ports, DNS ids). Tests fix it; a host facing a real network should
    /// draw it from the operating system.
    pub seed: u64,
    /// DNS servers the resolver queries (handed to the socket table's
    /// resolver).
    pub dns_servers: Vec<Ipv4Addr>,
    /// ICMP errors the host may send in a burst (token bucket size).
    pub icmp_error_burst: u32,
    /// One more ICMP error token every this long.
    pub icmp_error_interval: Duration,
    /// Datagrams the interface's own output queue holds (ICMP it
    /// generated, datagrams waiting to be fragmented onto a busy device).
    pub max_output_queue: usize,
    /// Frames [`Interface::poll`] receives per call at most, so one busy
    /// device cannot starve the timers and transmit path.
    pub rx_budget: usize,
    /// Echo requests outstanding at most (and replies kept unread).
    pub max_pings: usize,
    /// How long an echo request waits for its reply before it is
    /// forgotten.
    pub ping_timeout: Duration,
    /// Datagrams addressed to this host itself (its own address or
    /// 127.0.0.0/8) waiting to be received (loopback); more are dropped
    /// and counted in [`InterfaceStats::tx_drop_local_queue_full`].
    pub max_local_queue: usize,
    /// Check the address is free before using it (RFC 5227 probes, about
    /// 5 s): until then the host neither sends nor accepts IPv4, and if
    /// another host turns out to use it the address is not used at all
    /// ([`Interface::address_state`], [`InterfaceStats::address_conflicts`]).
    /// Off by default: the address is used (and announced) at once.
    pub probe_address: bool,
}

impl InterfaceConfig {
    /// A configuration with defaults for everything but the addresses.
    #[must_use]
    pub fn new(mac: MacAddress, address: Ipv4Cidr) -> Self {
        Self {
            mac,
            address,
            gateway: None,
            mtu: 1500,
            arp: CacheConfig::default(),
            reassembly: ReassemblyConfig::default(),
            sockets: SocketsConfig::default(),
            seed: 0,
            dns_servers: Vec::new(),
            icmp_error_burst: 50,
            icmp_error_interval: Duration::from_millis(20),
            max_output_queue: 256,
            rx_budget: 4096,
            max_pings: 1024,
            ping_timeout: Duration::from_secs(30),
            max_local_queue: 256,
            probe_address: false,
        }
    }
}

impl fmt::Debug for InterfaceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterfaceConfig")
            .field("mac", &self.mac)
            .field("address", &self.address)
            .field("gateway", &self.gateway)
            .field("mtu", &self.mtu)
            .field("seed", &self.seed)
            .field("dns_servers", &self.dns_servers)
            .finish_non_exhaustive()
    }
}

/// Why an [`InterfaceConfig`] was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The MTU is below 68 (RFC 791) or above 65535.
    BadMtu {
        /// The MTU given.
        mtu: usize,
    },
    /// The MAC is multicast, broadcast or all zeros.
    BadMac {
        /// The MAC given.
        mac: MacAddress,
    },
    /// The address cannot name one host (unspecified, broadcast,
    /// multicast, loopback, a prefix longer than 32, or the network or
    /// broadcast address of its own subnet).
    BadAddress {
        /// The address given.
        address: Ipv4Cidr,
    },
    /// The gateway is not on the interface's subnet, or is its own address.
    GatewayNotOnLink {
        /// The gateway given.
        gateway: Ipv4Addr,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadMtu { mtu } => {
                write!(f, "MTU {mtu} is outside 68..=65535")
            }
            ConfigError::BadMac { mac } => write!(f, "MAC {mac} is not a unicast address"),
            ConfigError::BadAddress { address } => {
                write!(f, "address {address} does not name one host")
            }
            ConfigError::GatewayNotOnLink { gateway } => {
                write!(
                    f,
                    "gateway {gateway} is not a neighbour on the interface's subnet"
                )
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// What one [`Interface::poll`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollResult {
    /// Frames received from the device.
    pub received: usize,
    /// Frames handed to the device.
    pub transmitted: usize,
    /// Whether any timer fired.
    pub timers: bool,
    /// Whether the receive budget ran out with frames possibly left in the
    /// device: poll again at once.
    pub more: bool,
    /// Datagrams this host sent to itself (loopback) that were received.
    pub local: usize,
}

impl PollResult {
    /// Whether anything happened: a frame moved or a timer fired.
    #[must_use]
    pub fn did_something(&self) -> bool {
        self.received > 0 || self.transmitted > 0 || self.timers || self.local > 0
    }
}

/// A whole IPv4 datagram waiting for the device, with how many of its
/// fragments already went out.
#[derive(Debug)]
struct OutJob {
    dst_mac: MacAddress,
    datagram: Vec<u8>,
    sent_fragments: usize,
}

/// How an outgoing datagram leaves: to a MAC now, held by ARP, back into
/// this host (loopback), or not at all.
enum Egress {
    Mac(MacAddress),
    Queued,
    Local,
    Dropped,
}

/// What a transmit closure did, since a closure that sends nothing may
/// still have made progress (a datagram handed to ARP or to the output
/// queue).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Idle,
    Progress,
}

/// What [`Interface::socket_frame_in_place`] found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum InPlace {
    /// The sockets have nothing to send.
    Idle,
    /// A segment or datagram was taken (sent, queued or dropped).
    Handled,
    /// The next datagram does not fit the device's buffer.
    NeedsBuffer,
}

/// What one round of [`Interface::socket_frame`] came to.
enum SocketStep {
    /// A segment was handled (sent, queued or dropped): ask for the next.
    Again,
    /// The sockets have nothing more to send.
    Done,
    /// The device refused a frame: stop for now.
    DeviceFull,
}

/// The host: see the [module documentation](self).
pub struct Interface {
    mac: MacAddress,
    cidr: Ipv4Cidr,
    subnet_broadcast: Option<Ipv4Addr>,
    mtu: usize,
    routes: RoutingTable,
    arp: ArpCache,
    reassembler: Reassembler,
    sockets: Sockets,
    ident: u16,
    icmp_bucket: TokenBucket,
    out: VecDeque<OutJob>,
    max_output_queue: usize,
    rx_budget: usize,
    pinger: ping::Pinger,
    stats: InterfaceStats,
    observer: Option<Observer>,
    /// Where a socket datagram too large for the device's buffer is
    /// assembled before fragmentation (64 KiB + Ethernet header, allocated
    /// on first use).
    scratch: Vec<u8>,
    /// See [`Interface::burst_egress`]: set only inside one pass.
    burst_egress: Option<(Ipv4Addr, MacAddress)>,
    /// Something arrived or was queued that the transmit path may owe an
    /// answer to; `poll_at` reports "now" while set.
    owed: bool,
    /// Datagrams addressed to this host itself, received on the next poll
    /// (loopback): never handed to the device or ARP.
    local: VecDeque<Vec<u8>>,
    max_local_queue: usize,
    /// Emptied buffers of `local`, reused so a busy loopback conversation
    /// does not allocate per datagram.
    local_spare: Vec<Vec<u8>>,
    /// Whether the address may be used yet (see
    /// [`InterfaceConfig::probe_address`]).
    address_state: AddressState,
}

use icmp::TokenBucket;

impl fmt::Debug for Interface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interface")
            .field("mac", &self.mac)
            .field("address", &self.cidr)
            .field("mtu", &self.mtu)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn mask(prefix_len: u8) -> u32 {
    match prefix_len {
        0 => 0,
        p if p >= 32 => u32::MAX,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

impl Interface {
    /// Builds the host: checks the configuration, installs the on-link
    /// route (and the default route if a gateway is given), tells the ARP
    /// cache and the sockets the address (queueing a gratuitous ARP
    /// announcement) and the sockets the MTU.
    ///
    /// # Errors
    /// [`ConfigError`] for an MTU, MAC, address or gateway that cannot work.
    pub fn new(config: InterfaceConfig) -> Result<Self, ConfigError> {
        let InterfaceConfig {
            mac,
            address,
            gateway,
            mtu,
            arp,
            reassembly,
            mut sockets,
            seed,
            dns_servers,
            icmp_error_burst,
            icmp_error_interval,
            max_output_queue,
            rx_budget,
            max_pings,
            ping_timeout,
            max_local_queue,
            probe_address,
        } = config;
        if !(MIN_MTU..=MAX_DATAGRAM).contains(&mtu) {
            return Err(ConfigError::BadMtu { mtu });
        }
        if !mac.is_unicast() || mac.is_unspecified() {
            return Err(ConfigError::BadMac { mac });
        }
        let ip = address.address;
        if address.prefix_len > 32
            || ip.is_unspecified()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_loopback()
        {
            return Err(ConfigError::BadAddress { address });
        }
        let m = mask(address.prefix_len);
        let bits = u32::from(ip);
        let subnet_broadcast = if address.prefix_len <= 30 {
            // The network and broadcast addresses of a /30 or wider subnet
            // name no single host (a /31 and /32 have none, RFC 3021).
            if bits & !m == 0 || bits & !m == !m {
                return Err(ConfigError::BadAddress { address });
            }
            Some(Ipv4Addr::from(bits | !m))
        } else {
            None
        };
        if let Some(gw) = gateway
            && (u32::from(gw) & m != bits & m || gw == ip || Some(gw) == subnet_broadcast)
        {
            return Err(ConfigError::GatewayNotOnLink { gateway: gw });
        }
        let now = Instant::ZERO;
        let mut routes = RoutingTable::new();
        routes.add_on_link(address);
        if let Some(gw) = gateway {
            routes.set_default_gateway(gw);
        }
        let mut arp = ArpCache::new(arp, mac);
        if probe_address {
            // RFC 5227: wait a random time up to PROBE_WAIT first, so
            // hosts powered up together do not probe in step.
            let wait = Duration::from_micros(
                SplitMix64::new(seed ^ 0x5227).below(strata_arp::cache::PROBE_WAIT.total_micros()),
            );
            arp.probe_address(now, ip, wait);
        } else {
            arp.add_address(now, ip);
        }
        if !dns_servers.is_empty() {
            // The servers given here complete (or create) the resolver's
            // configuration; servers already listed there stay first.
            let resolver = sockets.resolver.get_or_insert_with(Default::default);
            for server in dns_servers {
                let addr = core::net::SocketAddr::V4(SocketAddrV4::new(server, 53));
                if !resolver.nameservers.contains(&addr) {
                    resolver.nameservers.push(addr);
                }
            }
        }
        let mut sockets = Sockets::new(sockets, Box::new(SplitMix64::new(seed)));
        if !probe_address {
            sockets.set_addresses(&[ip]);
        }
        if let Some(b) = subnet_broadcast {
            sockets.set_broadcast_addresses(&[b]);
        }
        sockets.set_mtu(mtu);
        Ok(Self {
            mac,
            cidr: address,
            subnet_broadcast,
            mtu,
            routes,
            arp,
            reassembler: Reassembler::new(reassembly),
            sockets,
            // Start the identification counter somewhere seed-dependent so
            // two hosts built alike do not send identical ids.
            ident: (seed as u16) ^ 0x5a5a,
            icmp_bucket: TokenBucket::new(icmp_error_burst, icmp_error_interval),
            out: VecDeque::new(),
            max_output_queue: max_output_queue.max(1),
            rx_budget: rx_budget.max(1),
            pinger: ping::Pinger::new(max_pings, ping_timeout),
            stats: InterfaceStats::default(),
            observer: None,
            scratch: Vec::new(),
            owed: true,
            burst_egress: None,
            local: VecDeque::new(),
            max_local_queue: max_local_queue.max(1),
            local_spare: Vec::new(),
            address_state: if probe_address {
                AddressState::Probing
            } else {
                AddressState::Usable
            },
        })
    }

    /// The socket API of this host.
    pub fn sockets(&mut self) -> &mut Sockets {
        &mut self.sockets
    }

    /// The socket table, read-only (readiness, addresses, diagnostics).
    #[must_use]
    pub fn sockets_ref(&self) -> &Sockets {
        &self.sockets
    }

    /// The routing table, to add routes.
    pub fn routes(&mut self) -> &mut RoutingTable {
        &mut self.routes
    }

    /// The ARP cache, for diagnostics.
    #[must_use]
    pub fn arp(&self) -> &ArpCache {
        &self.arp
    }

    /// The ARP cache, to add static entries.
    pub fn arp_mut(&mut self) -> &mut ArpCache {
        &mut self.arp
    }

    /// The reassembler, for diagnostics (memory held, datagrams pending).
    #[must_use]
    pub fn reassembler(&self) -> &Reassembler {
        &self.reassembler
    }

    /// This interface's MAC address.
    #[must_use]
    pub fn mac(&self) -> MacAddress {
        self.mac
    }

    /// This interface's address and subnet.
    #[must_use]
    pub fn address(&self) -> Ipv4Cidr {
        self.cidr
    }

    /// The MTU.
    #[must_use]
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> &InterfaceStats {
        &self.stats
    }

    /// Echo requests still waiting for an answer.
    #[must_use]
    pub fn pings_outstanding(&self) -> usize {
        self.pinger.outstanding()
    }

    /// Datagrams waiting in the interface's own output queue.
    #[must_use]
    pub fn output_queue_len(&self) -> usize {
        self.out.len()
    }

    /// Installs (or with `None` removes) a callback that sees every frame
    /// received and transmitted. Without one, the cost is one branch per
    /// frame.
    pub fn set_observer(&mut self, observer: Option<Observer>) {
        self.observer = observer;
    }

    /// The earliest time [`poll`](Self::poll) has work to do: the next ARP,
    /// reassembly or socket timer, or `now`-ish (`Instant::ZERO`) if
    /// something is already owed (an answer queued, a device that was
    /// busy, a datagram to itself waiting to be received). `None` when
    /// nothing is pending at all.
    #[must_use]
    pub fn poll_at(&self) -> Option<Instant> {
        if self.owed || !self.out.is_empty() || !self.local.is_empty() {
            return Some(Instant::ZERO);
        }
        [
            self.arp.poll_timeout(),
            self.reassembler.poll_timeout(),
            self.sockets.poll_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Sends an ICMP echo request to `dst` with the given identifier,
    /// sequence number and data; the answer comes out of
    /// [`poll_ping`](Self::poll_ping). The request goes out on the next
    /// [`poll`](Self::poll) (after ARP resolution if needed).
    ///
    /// # Errors
    /// [`PingError`] when there is no route, the table of outstanding
    /// requests is full, the payload is too long, or the neighbour is known
    /// to be unreachable.
    pub fn ping(
        &mut self,
        now: Instant,
        dst: Ipv4Addr,
        ident: u16,
        seq: u16,
        payload: &[u8],
    ) -> Result<(), PingError> {
        if payload.len() > MAX_DATAGRAM - IPV4_HEADER_LEN - icmp_header_len() {
            return Err(PingError::TooLong);
        }
        if self.address_state != AddressState::Usable
            || (self.routes.lookup(dst).is_none() && !self.is_broadcast(dst) && !self.is_local(dst))
        {
            return Err(PingError::NoRoute);
        }
        self.pinger.register(now, dst, ident, seq, payload)?;
        let ident_field = self.next_ident();
        let message = IcmpRepr::EchoRequest {
            identifier: ident,
            sequence: seq,
        };
        let Some(datagram) = icmp::build_icmp_datagram(
            self.cidr.address,
            dst,
            ident_field,
            Ipv4Repr::DEFAULT_TTL,
            &message,
            &[payload],
            MAX_DATAGRAM,
        ) else {
            self.pinger.unregister(ident, seq);
            return Err(PingError::TooLong);
        };
        let before = self.stats.clone();
        if !self.send_datagram(now, dst, datagram) {
            self.pinger.unregister(ident, seq);
            return Err(if self.stats.tx_drop_no_route > before.tx_drop_no_route {
                PingError::NoRoute
            } else if self.stats.tx_drop_neighbour_unreachable
                > before.tx_drop_neighbour_unreachable
            {
                PingError::HostUnreachable
            } else {
                PingError::NoBufferSpace
            });
        }
        Ok(())
    }

    /// The next answer to an echo request sent with [`ping`](Self::ping).
    pub fn poll_ping(&mut self) -> Option<PingReply> {
        self.pinger.poll()
    }

    /// One round of work: receive every waiting frame (up to the receive
    /// budget), run the timers that are due, transmit everything due. See
    /// the [module documentation](self).
    pub fn poll<D: Device>(&mut self, now: Instant, device: &mut D) -> PollResult {
        let mut result = PollResult::default();
        self.owed = false;
        while result.received < self.rx_budget {
            if device
                .receive(now, |frame| self.process_frame(now, frame))
                .is_none()
            {
                break;
            }
            result.received += 1;
        }
        result.more = result.received >= self.rx_budget;
        result.local = self.receive_local(now);
        result.timers = self.run_timers(now);
        self.transmit(now, device, &mut result);
        if result.more {
            self.owed = true;
        }
        result
    }

    // ---------------------------------------------------------------
    // Receive

    fn observe(&mut self, now: Instant, direction: Direction, frame: &[u8]) {
        if let Some(observer) = self.observer.as_mut() {
            observer(&FrameRecord {
                time: now,
                direction,
                frame,
            });
        }
    }

    fn is_broadcast(&self, ip: Ipv4Addr) -> bool {
        ip.is_broadcast() || Some(ip) == self.subnet_broadcast
    }

    fn process_frame(&mut self, now: Instant, frame: &[u8]) {
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += frame.len() as u64;
        if self.observer.is_some() {
            self.observe(now, Direction::Rx, frame);
        }
        let Ok(eth) = Frame::parse(frame) else {
            self.stats.rx_drop_malformed_frame += 1;
            return;
        };
        let dst = eth.dst();
        if dst != self.mac && !dst.is_broadcast() {
            self.stats.rx_drop_other_mac += 1;
            return;
        }
        if eth.vlan().is_some() || eth.service_vlan().is_some() {
            self.stats.rx_drop_vlan += 1;
            return;
        }
        match eth.ethertype() {
            EtherType::IPV4 => self.receive_ipv4(now, eth.payload()),
            EtherType::ARP => self.receive_arp(now, eth.payload()),
            _ => self.stats.rx_drop_ethertype += 1,
        }
    }

    fn receive_arp(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(repr) = strata_arp::Packet::parse(bytes).and_then(|p| strata_arp::Repr::parse(&p))
        else {
            self.stats.rx_drop_malformed_arp += 1;
            return;
        };
        self.stats.rx_arp += 1;
        self.arp.handle(now, &repr);
        self.owed = true;
    }

    fn receive_ipv4(&mut self, now: Instant, bytes: &[u8]) {
        let Ok(packet) = Packet::parse(bytes) else {
            self.stats.rx_drop_malformed_ipv4 += 1;
            return;
        };
        if !packet.verify_checksum() {
            self.stats.rx_drop_ipv4_checksum += 1;
            return;
        }
        let src = packet.src();
        let dst = packet.dst();
        let broadcast = self.is_broadcast(dst);
        if (dst != self.cidr.address && !broadcast) || self.address_state != AddressState::Usable {
            // 127.0.0.0/8 never comes from a wire (RFC 1122 §3.2.1.3).
            // Until its address is usable the host takes no IPv4 at all.
            if dst.is_loopback() {
                self.stats.rx_drop_martian += 1;
            } else {
                self.stats.rx_drop_other_ip += 1;
            }
            return;
        }
        if src.is_broadcast()
            || src.is_multicast()
            || src.is_loopback()
            || src.is_unspecified()
            || src == self.cidr.address
            || Some(src) == self.subnet_broadcast
        {
            self.stats.rx_drop_martian += 1;
            return;
        }
        self.stats.rx_ipv4 += 1;
        if packet.is_fragment() {
            self.stats.rx_fragments += 1;
            match self.reassembler.insert(now, &packet) {
                ReassemblyOutcome::Complete(whole) => {
                    self.stats.rx_reassembled += 1;
                    let header = whole.header;
                    let mut header_bytes = [0u8; strata_ipv4::MAX_HEADER_LEN];
                    let hlen = header.header_len();
                    let quoted = write_quote_header(&header, &mut header_bytes);
                    let info = Inbound {
                        src: header.src,
                        dst: header.dst,
                        protocol: header.protocol,
                        ttl: header.ttl,
                        broadcast,
                        header_bytes: header_bytes.get(..hlen).filter(|_| quoted).unwrap_or(&[]),
                    };
                    self.deliver(now, &info, &whole.payload);
                }
                ReassemblyOutcome::Held => {}
                ReassemblyOutcome::Dropped(_) => self.stats.rx_drop_reassembly += 1,
            }
            return;
        }
        let info = Inbound {
            src,
            dst,
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            broadcast,
            header_bytes: packet.header_bytes(),
        };
        self.deliver(now, &info, packet.payload());
    }

    fn deliver(&mut self, now: Instant, info: &Inbound<'_>, payload: &[u8]) {
        match info.protocol {
            Protocol::TCP => self.receive_tcp(now, info, payload),
            Protocol::UDP => self.receive_udp(now, info, payload),
            Protocol::ICMP => self.receive_icmp(now, info, payload),
            _ => {
                self.stats.rx_drop_protocol += 1;
                self.send_error(
                    now,
                    info,
                    payload,
                    IcmpRepr::DestinationUnreachable {
                        code: UnreachableCode::PROTOCOL,
                        next_hop_mtu: 0,
                    },
                );
            }
        }
    }

    fn receive_tcp(&mut self, now: Instant, info: &Inbound<'_>, payload: &[u8]) {
        if info.broadcast {
            self.stats.rx_drop_broadcast_tcp += 1;
            return;
        }
        let segment = match strata_tcp::Segment::parse(payload) {
            Ok(s) => s,
            Err(_) => {
                self.stats.rx_drop_malformed_transport += 1;
                return;
            }
        };
        if !segment.verify_checksum(info.src, info.dst) {
            self.stats.rx_drop_transport_checksum += 1;
            return;
        }
        self.stats.rx_tcp += 1;
        self.sockets.handle_tcp(now, info.src, info.dst, &segment);
        self.owed = true;
    }

    fn receive_udp(&mut self, now: Instant, info: &Inbound<'_>, payload: &[u8]) {
        let datagram = match strata_udp::Datagram::parse(payload) {
            Ok(d) => d,
            Err(_) => {
                self.stats.rx_drop_malformed_transport += 1;
                return;
            }
        };
        if !datagram.verify_checksum(info.src, info.dst) {
            self.stats.rx_drop_transport_checksum += 1;
            return;
        }
        match self.sockets.handle_udp(now, info.src, info.dst, &datagram) {
            UdpDelivery::Delivered => {
                self.stats.rx_udp += 1;
                self.owed = true;
            }
            UdpDelivery::QueueFull => self.stats.rx_drop_udp_queue_full += 1,
            UdpDelivery::NoSocket => {
                self.stats.rx_drop_udp_no_socket += 1;
                self.send_error(
                    now,
                    info,
                    payload,
                    IcmpRepr::DestinationUnreachable {
                        code: UnreachableCode::PORT,
                        next_hop_mtu: 0,
                    },
                );
            }
        }
    }

    fn receive_icmp(&mut self, now: Instant, info: &Inbound<'_>, payload: &[u8]) {
        let Ok(message) = Message::parse(payload) else {
            self.stats.rx_drop_malformed_transport += 1;
            return;
        };
        if !message.verify_checksum() {
            self.stats.rx_drop_transport_checksum += 1;
            return;
        }
        let Ok(repr) = IcmpRepr::parse(&message) else {
            self.stats.rx_drop_malformed_transport += 1;
            return;
        };
        self.stats.rx_icmp += 1;
        match repr {
            IcmpRepr::EchoRequest {
                identifier,
                sequence,
            } => {
                // Like Linux (icmp_echo_ignore_broadcasts), broadcast echo
                // requests go unanswered: they are an amplification tool.
                if info.broadcast {
                    self.stats.rx_drop_icmp_ignored += 1;
                    return;
                }
                let reply = IcmpRepr::EchoReply {
                    identifier,
                    sequence,
                };
                let ident = self.next_ident();
                // A request to 127.x.y.z (only ever local) is answered from
                // that address, as the pinger expects.
                let from = if info.dst.is_loopback() {
                    info.dst
                } else {
                    self.cidr.address
                };
                let Some(datagram) = icmp::build_icmp_datagram(
                    from,
                    info.src,
                    ident,
                    Ipv4Repr::DEFAULT_TTL,
                    &reply,
                    &[message.data()],
                    MAX_DATAGRAM,
                ) else {
                    self.stats.tx_drop_emit += 1;
                    return;
                };
                if self.send_datagram(now, info.src, datagram) {
                    self.stats.echo_replies_sent += 1;
                }
            }
            IcmpRepr::EchoReply {
                identifier,
                sequence,
            } => {
                if !self.pinger.reply(
                    now,
                    info.src,
                    identifier,
                    sequence,
                    info.ttl,
                    message.data(),
                ) {
                    self.stats.rx_drop_icmp_ignored += 1;
                }
            }
            _ if repr.icmp_type().is_error() => self.receive_icmp_error(now, info, &repr, &message),
            _ => self.stats.rx_drop_icmp_ignored += 1,
        }
    }

    fn receive_icmp_error(
        &mut self,
        now: Instant,
        info: &Inbound<'_>,
        repr: &IcmpRepr,
        message: &Message<&[u8]>,
    ) {
        let Ok(quoted) = message.quoted_packet() else {
            self.stats.rx_drop_icmp_ignored += 1;
            return;
        };
        // Only errors about datagrams this host sent concern it.
        if quoted.src() != self.cidr.address {
            self.stats.rx_drop_icmp_ignored += 1;
            return;
        }
        let kind = error_kind(repr);
        let inner = quoted.payload();
        let (local_port, remote_port, tcp_seq) = match quoted.protocol() {
            Protocol::UDP => match strata_udp::Datagram::parse_quoted(inner) {
                Ok(d) => (d.src_port(), d.dst_port(), None),
                Err(_) => {
                    self.stats.rx_drop_icmp_ignored += 1;
                    return;
                }
            },
            Protocol::TCP => match strata_tcp::Segment::parse_quoted(inner) {
                Ok(s) => (s.src_port(), s.dst_port(), Some(s.seq())),
                Err(_) => {
                    self.stats.rx_drop_icmp_ignored += 1;
                    return;
                }
            },
            Protocol::ICMP => {
                // An error about one of our echo requests: tell the pinger.
                let matched = Message::parse(inner).ok().is_some_and(|m| {
                    m.icmp_type() == IcmpType::ECHO_REQUEST
                        && self.pinger.error(
                            now,
                            info.src,
                            m.identifier(),
                            m.sequence(),
                            repr.icmp_type().0,
                            repr.code(),
                        )
                });
                if matched {
                    self.stats.rx_icmp_errors += 1;
                } else {
                    self.stats.rx_drop_icmp_ignored += 1;
                }
                return;
            }
            _ => {
                self.stats.rx_drop_icmp_ignored += 1;
                return;
            }
        };
        let error = IcmpError {
            kind,
            protocol: quoted.protocol().0,
            local: SocketAddrV4::new(quoted.src(), local_port),
            remote: SocketAddrV4::new(quoted.dst(), remote_port),
            tcp_seq,
        };
        self.stats.rx_icmp_errors += 1;
        self.sockets.handle_icmp_error(now, &error);
        self.owed = true;
    }

    /// Queues an ICMP error about a received datagram, if RFC 1122 allows
    /// one and the token bucket has a token.
    fn send_error(&mut self, now: Instant, info: &Inbound<'_>, payload: &[u8], message: IcmpRepr) {
        if !icmp::may_send_error(
            info.src,
            info.broadcast,
            info.dst,
            info.protocol,
            0,
            payload,
        ) {
            return;
        }
        if !self.icmp_bucket.take(now) {
            self.stats.icmp_rate_limited += 1;
            return;
        }
        let ident = self.next_ident();
        let Some(datagram) = icmp::build_error(
            self.cidr.address,
            info.src,
            ident,
            &message,
            info.header_bytes,
            payload,
        ) else {
            self.stats.tx_drop_emit += 1;
            return;
        };
        if self.send_datagram(now, info.src, datagram) {
            self.stats.icmp_errors_sent += 1;
        }
    }

    // ---------------------------------------------------------------
    // Timers

    fn run_timers(&mut self, now: Instant) -> bool {
        let mut fired = false;
        if self.arp.poll_timeout().is_some_and(|t| t <= now) {
            self.arp.handle_timeout(now);
            fired = true;
        }
        while let Some(event) = self.arp.poll_event() {
            if !matches!(event, ArpEvent::Unreachable { .. }) {
                self.address_event(&event);
            }
            if let ArpEvent::Unreachable { ip, dropped } = event {
                self.stats.tx_drop_neighbour_unreachable += dropped.len() as u64;
                self.sockets.neighbour_unreachable(now, ip);
                // The neighbour may be a gateway: the sockets match their
                // peer's address, so tell them each destination it was to
                // carry (at most the ARP queue's few packets).
                let mut told: Vec<Ipv4Addr> = Vec::new();
                for packet in &dropped {
                    let Some(&[a, b, c, d]) = packet.get(16..20) else {
                        continue;
                    };
                    let dst = Ipv4Addr::new(a, b, c, d);
                    if dst != ip && !told.contains(&dst) {
                        told.push(dst);
                        self.sockets.neighbour_unreachable(now, dst);
                    }
                }
                fired = true;
            }
        }
        if self.reassembler.poll_timeout().is_some_and(|t| t <= now) {
            fired = true;
            for timed_out in self.reassembler.handle_timeout(now) {
                self.stats.reassembly_timeouts += 1;
                let Some(first) = timed_out.first_fragment else {
                    continue;
                };
                let header = timed_out.header;
                let info = Inbound {
                    src: header.src,
                    dst: header.dst,
                    protocol: header.protocol,
                    ttl: header.ttl,
                    broadcast: self.is_broadcast(header.dst),
                    header_bytes: &first,
                };
                // The first fragment is quoted whole (header included):
                // its header said offset 0, so `may_send_error` is asked
                // with offset 0 and the payload after its header.
                let payload = first.get(header.header_len()..).unwrap_or(&[]);
                self.send_error(
                    now,
                    &Inbound {
                        header_bytes: first.get(..header.header_len()).unwrap_or(&[]),
                        ..info
                    },
                    payload,
                    IcmpRepr::TimeExceeded {
                        code: TimeExceededCode::FragmentReassembly,
                    },
                );
            }
        }
        if self.sockets.poll_at().is_some_and(|t| t <= now) {
            self.sockets.handle_timeout(now);
            fired = true;
        }
        fired
    }

    // ---------------------------------------------------------------
    // Transmit

    fn next_ident(&mut self) -> u16 {
        self.ident = self.ident.wrapping_add(1);
        self.ident
    }

    /// Routes a whole IPv4 datagram this host built (ICMP, a ping):
    /// resolves the next hop and queues it for the device, or hands it to
    /// the ARP queue. Returns whether it was queued somewhere.
    fn send_datagram(&mut self, now: Instant, dst: Ipv4Addr, datagram: Vec<u8>) -> bool {
        self.owed = true;
        match self.egress(now, dst) {
            Egress::Mac(dst_mac) => self.push_out(dst_mac, datagram),
            Egress::Queued => self.arp_enqueue(now, dst, datagram),
            Egress::Local => self.push_local(datagram),
            Egress::Dropped => false,
        }
    }

    fn push_out(&mut self, dst_mac: MacAddress, datagram: Vec<u8>) -> bool {
        if self.out.len() >= self.max_output_queue {
            self.stats.tx_drop_queue_full += 1;
            return false;
        }
        self.out.push_back(OutJob {
            dst_mac,
            datagram,
            sent_fragments: 0,
        });
        true
    }

    fn arp_enqueue(&mut self, now: Instant, dst: Ipv4Addr, datagram: Vec<u8>) -> bool {
        let Some(hop) = self.routes.lookup(dst) else {
            self.stats.tx_drop_no_route += 1;
            return false;
        };
        match self.arp.enqueue(now, hop.next_hop, datagram) {
            Ok(()) => {
                self.stats.tx_arp_queued += 1;
                true
            }
            Err(_) => {
                self.stats.tx_drop_arp_queue_full += 1;
                false
            }
        }
    }

    /// Where a datagram to `dst` goes now. Broadcasts need no ARP; this
    /// host's own addresses never reach the device.
    fn egress(&mut self, now: Instant, dst: Ipv4Addr) -> Egress {
        if self.is_local(dst) {
            return Egress::Local;
        }
        if self.is_broadcast(dst) {
            return Egress::Mac(MacAddress::BROADCAST);
        }
        let Some(hop) = self.routes.lookup(dst) else {
            self.stats.tx_drop_no_route += 1;
            return Egress::Dropped;
        };
        match self.arp.lookup(now, hop.next_hop) {
            Resolution::Resolved(mac) => Egress::Mac(mac),
            Resolution::Pending => Egress::Queued,
            Resolution::Unreachable => {
                self.stats.tx_drop_neighbour_unreachable += 1;
                Egress::Dropped
            }
        }
    }

    fn transmit<D: Device>(&mut self, now: Instant, device: &mut D, result: &mut PollResult) {
        // ARP first: its replies, requests and the datagrams it releases
        // precede anything new, so queued datagrams keep their order.
        loop {
            let mut step = Step::Idle;
            let sent = device.transmit(now, |buf| self.write_arp(now, buf, &mut step));
            if !self.account(now, device, sent, step, result) {
                break;
            }
        }
        if !self.drain_output(now, device, result) {
            self.owed = true;
            return;
        }
        if !self.transmit_sockets(now, device, result) {
            self.owed = true;
            return;
        }
        // Requests for next hops the sockets just asked about.
        loop {
            let mut step = Step::Idle;
            let sent = device.transmit(now, |buf| self.write_arp(now, buf, &mut step));
            if !self.account(now, device, sent, step, result) {
                break;
            }
        }
        if !self.drain_output(now, device, result) {
            self.owed = true;
        }
    }

    /// Books a transmit attempt; returns whether to keep going.
    fn account<D: Device>(
        &mut self,
        now: Instant,
        device: &D,
        sent: Result<Option<usize>, DeviceError>,
        step: Step,
        result: &mut PollResult,
    ) -> bool {
        let _ = (now, device);
        match sent {
            Ok(Some(len)) => {
                self.stats.tx_frames += 1;
                self.stats.tx_bytes += len as u64;
                result.transmitted += 1;
                true
            }
            Ok(None) => step == Step::Progress,
            Err(DeviceError::Busy) => {
                self.stats.tx_device_busy += 1;
                self.owed = true;
                false
            }
            Err(_) => {
                self.stats.tx_device_errors += 1;
                false
            }
        }
    }

    fn write_arp(&mut self, now: Instant, buf: &mut [u8], step: &mut Step) -> Option<usize> {
        let transmit = self.arp.poll_transmit(now)?;
        *step = Step::Progress;
        match transmit {
            ArpTransmit::Arp(repr) => {
                let dst = if repr.target_mac.is_unspecified() || repr.target_mac.is_broadcast() {
                    MacAddress::BROADCAST
                } else {
                    repr.target_mac
                };
                let len = ETH_LEN + strata_arp::PACKET_LEN;
                // Pad to the Ethernet minimum as a NIC would.
                let frame_len = len.max(strata_ethernet::MIN_FRAME_LEN);
                let frame = buf.get_mut(..frame_len)?;
                frame.fill(0);
                repr.emit(frame.get_mut(ETH_LEN..)?).ok()?;
                strata_ethernet::Repr::new(self.mac, dst, EtherType::ARP)
                    .emit(frame)
                    .ok()?;
                self.finish_frame(now, buf, frame_len)
            }
            ArpTransmit::Datagram { dst, packet, .. } => {
                if ETH_LEN + packet.len() <= buf.len() && packet.len() <= self.mtu {
                    let frame = buf.get_mut(..ETH_LEN + packet.len())?;
                    frame.get_mut(ETH_LEN..)?.copy_from_slice(&packet);
                    strata_ethernet::Repr::new(self.mac, dst, EtherType::IPV4)
                        .emit(frame)
                        .ok()?;
                    self.finish_frame(now, buf, ETH_LEN + packet.len())
                } else {
                    self.push_out(dst, packet);
                    None
                }
            }
        }
    }

    fn finish_frame(&mut self, now: Instant, buf: &[u8], len: usize) -> Option<usize> {
        if self.observer.is_some()
            && let Some(frame) = buf.get(..len)
        {
            self.observe(now, Direction::Tx, frame);
        }
        Some(len)
    }

    /// Sends the output queue (fragmenting as needed); false if the device
    /// filled up first.
    fn drain_output<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        result: &mut PollResult,
    ) -> bool {
        while let Some(mut job) = self.out.pop_front() {
            if !self.send_job(now, device, &mut job, result) {
                self.out.push_front(job);
                return false;
            }
        }
        true
    }

    /// Sends one queued datagram, or its remaining fragments; false if the
    /// device refused a frame (the job records how far it got).
    fn send_job<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        job: &mut OutJob,
        result: &mut PollResult,
    ) -> bool {
        if job.datagram.len() <= self.mtu {
            let sent = device.transmit(now, |buf| {
                let len = ETH_LEN + job.datagram.len();
                let frame = buf.get_mut(..len)?;
                frame.get_mut(ETH_LEN..)?.copy_from_slice(&job.datagram);
                strata_ethernet::Repr::new(self.mac, job.dst_mac, EtherType::IPV4)
                    .emit(frame)
                    .ok()?;
                self.finish_frame(now, buf, len)
            });
            return match sent {
                Err(DeviceError::Busy) => {
                    self.stats.tx_device_busy += 1;
                    false
                }
                other => {
                    if let Ok(Some(len)) = other {
                        self.stats.tx_frames += 1;
                        self.stats.tx_bytes += len as u64;
                        result.transmitted += 1;
                    } else if other.is_err() {
                        self.stats.tx_device_errors += 1;
                    }
                    true
                }
            };
        }
        let Ok(packet) = Packet::parse(&job.datagram[..]) else {
            self.stats.tx_drop_emit += 1;
            return true;
        };
        let Ok(header) = Ipv4Repr::parse(&packet) else {
            self.stats.tx_drop_emit += 1;
            return true;
        };
        if header.dont_fragment {
            self.stats.tx_drop_too_big += 1;
            return true;
        }
        let payload = packet.payload();
        let Ok(fragments) = strata_ipv4::fragment::fragment(&header, payload, self.mtu) else {
            self.stats.tx_drop_too_big += 1;
            return true;
        };
        for (index, (frag_header, range)) in fragments.enumerate() {
            if index < job.sent_fragments {
                continue;
            }
            let Some(part) = payload.get(range) else {
                self.stats.tx_drop_emit += 1;
                return true;
            };
            let mac = self.mac;
            let dst_mac = job.dst_mac;
            let observer = &mut self.observer;
            let mut built = false;
            let sent = device.transmit(now, |buf| {
                let hlen = frag_header.header_len();
                let len = ETH_LEN + hlen + part.len();
                let frame = buf.get_mut(..len)?;
                frame.get_mut(ETH_LEN + hlen..)?.copy_from_slice(part);
                frag_header.emit(frame.get_mut(ETH_LEN..)?).ok()?;
                strata_ethernet::Repr::new(mac, dst_mac, EtherType::IPV4)
                    .emit(frame)
                    .ok()?;
                built = true;
                if let Some(observer) = observer.as_mut() {
                    observer(&FrameRecord {
                        time: now,
                        direction: Direction::Tx,
                        frame,
                    });
                }
                Some(len)
            });
            match sent {
                Err(DeviceError::Busy) => {
                    self.stats.tx_device_busy += 1;
                    return false;
                }
                Err(_) => {
                    self.stats.tx_device_errors += 1;
                    return true;
                }
                Ok(Some(len)) => {
                    self.stats.tx_frames += 1;
                    self.stats.tx_fragments += 1;
                    self.stats.tx_bytes += len as u64;
                    result.transmitted += 1;
                }
                Ok(None) => {
                    if !built {
                        self.stats.tx_drop_emit += 1;
                        return true;
                    }
                }
            }
            job.sent_fragments = index + 1;
        }
        true
    }

    /// Sends what the sockets want sent; false if the device filled up.
    ///
    /// Each segment or datagram is written by the sockets straight into
    /// the device's transmit buffer at offset 34 and completed there
    /// ([`socket_frame_in_place`](Self::socket_frame_in_place)); only a
    /// datagram larger than that buffer (one to fragment) goes through
    /// the interface's own buffer ([`socket_frame`](Self::socket_frame)).
    fn transmit_sockets<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        result: &mut PollResult,
    ) -> bool {
        self.burst_egress = None;
        let sent = self.transmit_sockets_burst(now, device, result);
        self.burst_egress = None;
        sent
    }

    /// Where a socket's datagram goes, remembered for the rest of one
    /// `transmit_sockets` pass: a burst of segments to one destination
    /// asks the routing table and the ARP cache once. Nothing can change
    /// either in between (routes change only through `&mut self`, ARP
    /// state only as frames arrive or timers run, neither of which happens
    /// inside the pass), and the first lookup has marked the neighbour as
    /// in use.
    fn burst_egress(&mut self, now: Instant, dst: Ipv4Addr) -> Egress {
        if let Some((known, mac)) = self.burst_egress
            && known == dst
        {
            return Egress::Mac(mac);
        }
        let egress = self.egress(now, dst);
        if let Egress::Mac(mac) = egress {
            self.burst_egress = Some((dst, mac));
        }
        egress
    }

    fn transmit_sockets_burst<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        result: &mut PollResult,
    ) -> bool {
        loop {
            let mut step = InPlace::Idle;
            let sent = device.transmit(now, |buf| self.socket_frame_in_place(now, buf, &mut step));
            match sent {
                Ok(Some(len)) => {
                    self.stats.tx_frames += 1;
                    self.stats.tx_bytes += len as u64;
                    result.transmitted += 1;
                    continue;
                }
                Ok(None) => {}
                Err(DeviceError::Busy) => {
                    // Busy is reported before the closure runs: nothing was
                    // taken from the sockets.
                    self.stats.tx_device_busy += 1;
                    self.owed = true;
                    return false;
                }
                Err(_) => {
                    self.stats.tx_device_errors += 1;
                    return false;
                }
            }
            match step {
                InPlace::Idle => return true,
                InPlace::Handled => {}
                InPlace::NeedsBuffer => {
                    let mut scratch = core::mem::take(&mut self.scratch);
                    if scratch.len() < ETH_LEN + MAX_DATAGRAM {
                        scratch.resize(ETH_LEN + MAX_DATAGRAM, 0);
                    }
                    let outcome = self.socket_frame(now, device, &mut scratch, result);
                    self.scratch = scratch;
                    match outcome {
                        SocketStep::Again => {}
                        SocketStep::Done => return true,
                        SocketStep::DeviceFull => return false,
                    }
                }
            }
        }
    }

    /// Has the sockets write their next segment or datagram at offset 34 of
    /// the device's transmit buffer `buf` (cut to the interface MTU), then
    /// completes the frame in place: IPv4 header at 14, Ethernet at 0.
    /// Returns the frame length to send, or `None` when nothing is to be
    /// sent now: the sockets are idle or need a larger buffer (`step`
    /// says which), the next hop is being resolved (the datagram is copied
    /// into the ARP queue), or it cannot be routed (reported to the
    /// sockets).
    fn socket_frame_in_place(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        step: &mut InPlace,
    ) -> Option<usize> {
        let limit = buf.len().min(ETH_LEN + self.mtu);
        let Some(transport) = buf.get_mut(TRANSPORT_OFFSET..limit) else {
            *step = InPlace::NeedsBuffer;
            return None;
        };
        let t = match self.sockets.poll_transmit_into(now, transport) {
            TransmitPoll::Written(t) => t,
            TransmitPoll::NeedsBuffer(_) => {
                *step = InPlace::NeedsBuffer;
                return None;
            }
            TransmitPoll::Idle => {
                *step = InPlace::Idle;
                return None;
            }
        };
        *step = InPlace::Handled;
        self.stats.tx_in_place += 1;
        let mut header = Ipv4Repr::new(t.src, t.dst, t.protocol, t.len);
        header.ttl = t.ttl;
        header.dont_fragment = t.dont_fragment;
        header.identification = self.next_ident();
        let len = TRANSPORT_OFFSET + t.len;
        let Some(datagram) = buf.get_mut(ETH_LEN..len) else {
            self.stats.tx_drop_emit += 1;
            return None;
        };
        if header.emit(datagram).is_err() {
            self.stats.tx_drop_emit += 1;
            return None;
        }
        match self.burst_egress(now, t.dst) {
            Egress::Mac(dst_mac) => {
                let frame = buf.get_mut(..len)?;
                if strata_ethernet::Repr::new(self.mac, dst_mac, EtherType::IPV4)
                    .emit(frame)
                    .is_err()
                {
                    self.stats.tx_drop_emit += 1;
                    return None;
                }
                self.finish_frame(now, buf, len)
            }
            Egress::Queued => {
                let copy = buf
                    .get(ETH_LEN..len)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                self.arp_enqueue(now, t.dst, copy);
                None
            }
            Egress::Local => {
                self.push_local_slice(buf.get(ETH_LEN..len).unwrap_or_default());
                None
            }
            Egress::Dropped => {
                self.local_unreachable(now, &t, buf);
                None
            }
        }
    }

    /// Has the sockets write their next segment or datagram at offset 34 of
    /// the frame buffer, completes the frame in place (IPv4 header at 14,
    /// Ethernet at 0) and hands it to the device, or diverts it (ARP
    /// pending, fragmentation, no route).
    ///
    /// The frame is built in the interface's 64 KiB buffer, not the
    /// device's: this is the path for a datagram the sockets said does not
    /// fit the device's buffer (it must be fragmented). Everything else is
    /// written in place by
    /// [`socket_frame_in_place`](Self::socket_frame_in_place).
    fn socket_frame<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        scratch: &mut [u8],
        result: &mut PollResult,
    ) -> SocketStep {
        let Some(transport) = scratch.get_mut(TRANSPORT_OFFSET..) else {
            return SocketStep::Done;
        };
        let t = match self.sockets.poll_transmit_into(now, transport) {
            TransmitPoll::Written(t) => t,
            // Larger than an IPv4 datagram can be: cannot happen with a
            // 64 KiB buffer; nothing more to do this round.
            TransmitPoll::NeedsBuffer(_) | TransmitPoll::Idle => return SocketStep::Done,
        };
        self.stats.tx_via_scratch += 1;
        let mut header = Ipv4Repr::new(t.src, t.dst, t.protocol, t.len);
        header.ttl = t.ttl;
        header.dont_fragment = t.dont_fragment;
        header.identification = self.next_ident();
        let total = IPV4_HEADER_LEN + t.len;
        let Some(datagram) = scratch.get_mut(ETH_LEN..ETH_LEN + total) else {
            self.stats.tx_drop_emit += 1;
            return SocketStep::Again;
        };
        if header.emit(datagram).is_err() {
            self.stats.tx_drop_emit += 1;
            return SocketStep::Again;
        }
        match self.egress(now, t.dst) {
            Egress::Mac(dst_mac) => {
                if total > self.mtu {
                    if t.dont_fragment {
                        self.stats.tx_drop_too_big += 1;
                        let mtu = u16::try_from(self.mtu).unwrap_or(u16::MAX);
                        self.report_local_error(
                            now,
                            &t,
                            scratch,
                            IcmpErrorKind::FragmentationNeeded { mtu },
                        );
                        return SocketStep::Again;
                    }
                    let copy = scratch
                        .get(ETH_LEN..ETH_LEN + total)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default();
                    self.push_out(dst_mac, copy);
                    return if self.drain_output(now, device, result) {
                        SocketStep::Again
                    } else {
                        SocketStep::DeviceFull
                    };
                }
                let len = ETH_LEN + total;
                let Some(frame) = scratch.get_mut(..len) else {
                    return SocketStep::Again;
                };
                if strata_ethernet::Repr::new(self.mac, dst_mac, EtherType::IPV4)
                    .emit(frame)
                    .is_err()
                {
                    self.stats.tx_drop_emit += 1;
                    return SocketStep::Again;
                }
                let frame: &[u8] = frame;
                let sent = device.transmit(now, |buf| {
                    buf.get_mut(..len)?.copy_from_slice(frame);
                    Some(len)
                });
                match sent {
                    Ok(Some(len)) => {
                        self.stats.tx_frames += 1;
                        self.stats.tx_bytes += len as u64;
                        result.transmitted += 1;
                        if self.observer.is_some() {
                            self.observe(now, Direction::Tx, frame);
                        }
                        SocketStep::Again
                    }
                    Ok(None) => {
                        self.stats.tx_drop_emit += 1;
                        SocketStep::Again
                    }
                    Err(DeviceError::Busy) => {
                        // The sockets already handed the segment over: keep
                        // it for the next poll rather than lose it.
                        self.stats.tx_device_busy += 1;
                        self.owed = true;
                        let copy = frame.get(ETH_LEN..).map(<[u8]>::to_vec).unwrap_or_default();
                        self.push_out(dst_mac, copy);
                        SocketStep::DeviceFull
                    }
                    Err(_) => {
                        self.stats.tx_device_errors += 1;
                        SocketStep::DeviceFull
                    }
                }
            }
            Egress::Queued => {
                let copy = scratch
                    .get(ETH_LEN..ETH_LEN + total)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                self.arp_enqueue(now, t.dst, copy);
                SocketStep::Again
            }
            Egress::Local => {
                self.push_local_slice(scratch.get(ETH_LEN..ETH_LEN + total).unwrap_or_default());
                SocketStep::Again
            }
            Egress::Dropped => {
                self.local_unreachable(now, &t, scratch);
                SocketStep::Again
            }
        }
    }

    /// A datagram of the sockets' could not be routed or its next hop is
    /// known unreachable: tell the sockets, as an ICMP error would.
    fn local_unreachable(&mut self, now: Instant, t: &strata_socket::Transmit, frame: &[u8]) {
        let hop = self.routes.lookup(t.dst);
        let kind = if hop.is_none() {
            IcmpErrorKind::NetUnreachable
        } else {
            IcmpErrorKind::HostUnreachable
        };
        if let Some(hop) = hop {
            self.sockets.neighbour_unreachable(now, hop.next_hop);
        }
        self.report_local_error(now, t, frame, kind);
    }

    /// Tells the sockets about a datagram of theirs this host itself could
    /// not send, as if an ICMP error had come back for it.
    fn report_local_error(
        &mut self,
        now: Instant,
        t: &strata_socket::Transmit,
        buf: &[u8],
        kind: IcmpErrorKind,
    ) {
        let Some(ports) = buf.get(TRANSPORT_OFFSET..TRANSPORT_OFFSET + 8) else {
            return;
        };
        let (local_port, remote_port, tcp_seq) = match ports {
            [a, b, c, d, s0, s1, s2, s3] => (
                u16::from_be_bytes([*a, *b]),
                u16::from_be_bytes([*c, *d]),
                (t.protocol == Protocol::TCP).then(|| u32::from_be_bytes([*s0, *s1, *s2, *s3])),
            ),
            _ => return,
        };
        let error = IcmpError {
            kind,
            protocol: t.protocol.0,
            local: SocketAddrV4::new(t.src, local_port),
            remote: SocketAddrV4::new(t.dst, remote_port),
            tcp_seq,
        };
        self.sockets.handle_icmp_error(now, &error);
    }

    // ---------------------------------------------------------------
    // Diagnostics for tests and fuzzing

    /// Memory the interface's own queues and tables hold, roughly: the
    /// output queue, the reassembler, the ping table. (The sockets and ARP
    /// report their own.)
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.out.iter().map(|j| j.datagram.len()).sum::<usize>() + self.reassembler.memory()
    }
}

/// What the receive path knows about a datagram once its header was read
/// (or reassembled).
#[derive(Clone, Copy)]
struct Inbound<'a> {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: Protocol,
    ttl: u8,
    broadcast: bool,
    /// The header as received, for quoting in ICMP errors.
    header_bytes: &'a [u8],
}

const fn icmp_header_len() -> usize {
    strata_ipv4::icmpv4::HEADER_LEN
}

/// Writes a reassembled datagram's header (with its whole length) for
/// quoting; false if it could not be built.
fn write_quote_header(header: &Ipv4Repr, out: &mut [u8; strata_ipv4::MAX_HEADER_LEN]) -> bool {
    let hlen = header.header_len();
    // `emit` wants the payload present; write a header-only copy and then
    // restore the real total length and checksum.
    let short = Ipv4Repr {
        payload_len: 0,
        ..*header
    };
    let Some(slot) = out.get_mut(..hlen) else {
        return false;
    };
    if short.emit(slot).is_err() {
        return false;
    }
    let total = u16::try_from(header.total_len()).unwrap_or(u16::MAX);
    if let Some(field) = slot.get_mut(2..4) {
        field.copy_from_slice(&total.to_be_bytes());
    }
    if let Ok(mut p) = Packet::parse_quoted(&mut *slot) {
        p.fill_checksum();
    }
    true
}

/// What an ICMP error means to a socket.
fn error_kind(repr: &IcmpRepr) -> IcmpErrorKind {
    match *repr {
        IcmpRepr::DestinationUnreachable { code, next_hop_mtu } => match code {
            UnreachableCode::NET | UnreachableCode::NET_UNKNOWN | UnreachableCode::NET_TOS => {
                IcmpErrorKind::NetUnreachable
            }
            UnreachableCode::HOST
            | UnreachableCode::HOST_UNKNOWN
            | UnreachableCode::HOST_TOS
            | UnreachableCode::SOURCE_HOST_ISOLATED
            | UnreachableCode::SOURCE_ROUTE_FAILED => IcmpErrorKind::HostUnreachable,
            UnreachableCode::PROTOCOL => IcmpErrorKind::ProtocolUnreachable,
            UnreachableCode::PORT => IcmpErrorKind::PortUnreachable,
            UnreachableCode::FRAGMENTATION_NEEDED => {
                IcmpErrorKind::FragmentationNeeded { mtu: next_hop_mtu }
            }
            UnreachableCode::NET_PROHIBITED
            | UnreachableCode::HOST_PROHIBITED
            | UnreachableCode::ADMIN_PROHIBITED
            | UnreachableCode::HOST_PRECEDENCE_VIOLATION
            | UnreachableCode::PRECEDENCE_CUTOFF => IcmpErrorKind::AdminProhibited,
            UnreachableCode(other) => IcmpErrorKind::Other {
                icmp_type: IcmpType::DESTINATION_UNREACHABLE.0,
                code: other,
            },
        },
        IcmpRepr::TimeExceeded { .. } => IcmpErrorKind::TimeExceeded,
        other => IcmpErrorKind::Other {
            icmp_type: other.icmp_type().0,
            code: other.code(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(address: &str) -> InterfaceConfig {
        InterfaceConfig::new(MacAddress([0x02, 0, 0, 0, 0, 1]), address.parse().unwrap())
    }

    #[test]
    fn configurations_that_cannot_work_are_refused() {
        assert!(Interface::new(config("198.18.0.1/24")).is_ok());
        for bad in [
            "198.18.0.0/24",
            "198.18.0.255/24",
            "0.0.0.0/0",
            "127.0.0.1/8",
            "224.0.0.1/4",
        ] {
            assert!(
                matches!(
                    Interface::new(config(bad)),
                    Err(ConfigError::BadAddress { .. })
                ),
                "{bad}"
            );
        }
        // A /31 has no network or broadcast address (RFC 3021).
        assert!(Interface::new(config("198.18.0.0/31")).is_ok());

        let mut c = config("198.18.0.1/24");
        c.mtu = 67;
        assert_eq!(
            Interface::new(c).unwrap_err(),
            ConfigError::BadMtu { mtu: 67 }
        );

        let mut c = config("198.18.0.1/24");
        c.mac = MacAddress::BROADCAST;
        assert!(matches!(Interface::new(c), Err(ConfigError::BadMac { .. })));

        let mut c = config("198.18.0.1/24");
        c.gateway = Some(Ipv4Addr::new(198, 18, 1, 1));
        let err = Interface::new(c).unwrap_err();
        assert_eq!(
            err.to_string(),
            "gateway 198.18.1.1 is not a neighbour on the interface's subnet"
        );
    }

    #[test]
    fn a_fresh_interface_announces_itself_then_rests() {
        let mut host = Interface::new(config("198.18.0.1/24")).unwrap();
        let (mut dev, mut peer) = crate::device::memory::pair(1500);
        let mut now = Instant::ZERO;
        let mut announcements = 0;
        for _ in 0..20 {
            host.poll(now, &mut dev);
            while let Some(is_arp) = peer.receive(now, |f| f.get(12..14) == Some(&[0x08, 0x06][..]))
            {
                assert!(is_arp);
                announcements += 1;
            }
            match host.poll_at() {
                Some(t) => now = t.max(now + Duration::from_millis(1)),
                None => break,
            }
        }
        // RFC 5227 announcements, then nothing to do at all.
        assert!(announcements >= 1);
        assert_eq!(host.poll_at(), None);
        assert_eq!(host.stats().tx_frames, announcements);
    }
}
