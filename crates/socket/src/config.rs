//! What the socket table is told at creation.

use core::ops::RangeInclusive;

use strata_core::time::Duration;
use strata_dns::resolver::{Config as ResolverConfig, Hosts};
use strata_tcp::connection::Config as TcpConfig;
use strata_tcp::listener::ListenerConfig;

/// Settings of a [`Sockets`](crate::Sockets) table. `Default` is a
/// conventional host: the TCP crate's defaults (the MSS following the MTU), 64-datagram UDP queues, the
/// IANA ephemeral range, TTL 64, 65,536 sockets, no resolver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SocketsConfig {
    /// Connection settings for new stream sockets (options set on a socket
    /// change its copy). Its `mss` is a cap: a connection advertises the
    /// interface MTU less 40 (RFC 9293 §3.7.1), or this if lower. The
    /// default leaves it uncapped (`u16::MAX`), as a host derives its MSS
    /// from the device it sends on.
    pub tcp: TcpConfig,
    /// Listener settings for `listen` (the backlog argument sets
    /// `accept_backlog`; the connection settings come from the listening
    /// socket's options).
    pub listener: ListenerConfig,
    /// Datagrams a UDP socket's receive queue holds; more are dropped and
    /// counted.
    pub udp_recv_queue: usize,
    /// Datagrams a UDP socket's send queue holds; `send_to` reports
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) beyond.
    pub udp_send_queue: usize,
    /// The ports ephemeral binds draw from (RFC 6056 recommends
    /// 1024..=65535; IANA's range is the default).
    pub ephemeral_ports: RangeInclusive<u16>,
    /// The time to live of outgoing packets unless a socket sets its own.
    pub default_ttl: u8,
    /// Sockets at most, counting accepted connections, connections closed
    /// by the application but still finishing in the background, and the
    /// resolver's TCP connections.
    pub max_sockets: usize,
    /// A connection closed by the application is aborted if it has not
    /// finished this long after (Linux's `tcp_fin_timeout` plays this role
    /// for FIN-WAIT-2), so a silent peer cannot hold it forever.
    pub orphan_timeout: Duration,
    /// Resets for segments that found no socket, waiting for
    /// `poll_transmit`, at most; more are dropped (this also bounds what a
    /// flood of strays can make the host send).
    pub reset_queue: usize,
    /// The DNS resolver (name servers, timeouts, cache); `None` resolves
    /// only from [`SocketsConfig::hosts`] and address literals.
    pub resolver: Option<ResolverConfig>,
    /// Names answered before any server is asked (the `/etc/hosts` of this
    /// host).
    pub hosts: Hosts,
}

impl Default for SocketsConfig {
    fn default() -> Self {
        SocketsConfig {
            tcp: TcpConfig {
                mss: u16::MAX,
                ..TcpConfig::default()
            },
            listener: ListenerConfig::default(),
            udp_recv_queue: 64,
            udp_send_queue: 64,
            ephemeral_ports: 49_152..=65_535,
            default_ttl: 64,
            max_sockets: 65_536,
            orphan_timeout: Duration::from_secs(60),
            reset_queue: 64,
            resolver: None,
            hosts: Hosts::new(),
        }
    }
}
