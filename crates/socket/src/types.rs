//! The small values that cross the socket API.

use core::fmt;
use core::net::{Ipv4Addr, SocketAddrV4};

use strata_core::time::Duration;
use strata_ipv4::Protocol;

/// A socket descriptor. Descriptors are small numbers starting at 3 (as a
/// process's first socket usually is); the lowest free one is handed out
/// first, and a number is reused only after its socket was closed.
/// Internally every reference to a socket also carries a generation, so a
/// stale timer or queue entry never reaches the socket that reused a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fd(pub(crate) u32);

impl Fd {
    /// The number behind the descriptor.
    #[must_use]
    pub const fn as_raw(self) -> u32 {
        self.0
    }

    /// A descriptor from its number (calls on a number that names no
    /// socket fail with [`Error::BadDescriptor`](crate::Error::BadDescriptor)).
    #[must_use]
    pub const fn from_raw(raw: u32) -> Self {
        Fd(raw)
    }
}

impl fmt::Display for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd {}", self.0)
    }
}

/// What [`Sockets::socket`](crate::Sockets::socket) makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SocketKind {
    /// A TCP socket (`SOCK_STREAM`).
    Stream,
    /// A UDP socket (`SOCK_DGRAM`).
    Datagram,
}

/// Which direction [`Sockets::shutdown`](crate::Sockets::shutdown) closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Shutdown {
    /// No more receiving: `recv` reports end of stream.
    Read,
    /// No more sending: TCP sends its FIN after the queued data.
    Write,
    /// Both.
    Both,
}

/// A socket option ([`Sockets::set_option`](crate::Sockets::set_option)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SocketOption {
    /// `TCP_NODELAY`: `true` turns Nagle's algorithm off.
    NoDelay(bool),
    /// `SO_KEEPALIVE` with `TCP_KEEPIDLE`: probe after this much silence;
    /// `None` turns probing off.
    KeepAlive(Option<Duration>),
    /// `SO_SNDBUF`: TCP send buffer bytes; for UDP, bytes the send queue
    /// may hold.
    SendBuffer(usize),
    /// `SO_RCVBUF`: TCP receive buffer bytes (the largest window); for UDP,
    /// bytes the receive queue may hold.
    RecvBuffer(usize),
    /// `IP_TTL`: the time to live of outgoing packets (1..=255).
    Ttl(u8),
    /// `SO_BROADCAST`: allow datagrams to broadcast addresses.
    Broadcast(bool),
    /// `SO_REUSEADDR`: allow binding a port that connections which were
    /// closed (lingering in FIN-WAIT or TIME-WAIT) still hold, or that
    /// other non-listening sockets with this option hold.
    ReuseAddr(bool),
    /// `SO_LINGER`: `Some(Duration::ZERO)` makes `close` reset the
    /// connection at once; other values keep the graceful background
    /// close (the API never blocks).
    Linger(Option<Duration>),
}

/// The options a socket carries ([`Sockets::options`](crate::Sockets::options)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketOptions {
    /// See [`SocketOption::NoDelay`].
    pub no_delay: bool,
    /// See [`SocketOption::KeepAlive`].
    pub keepalive: Option<Duration>,
    /// See [`SocketOption::SendBuffer`].
    pub send_buffer: usize,
    /// See [`SocketOption::RecvBuffer`].
    pub recv_buffer: usize,
    /// See [`SocketOption::Ttl`].
    pub ttl: u8,
    /// See [`SocketOption::Broadcast`].
    pub broadcast: bool,
    /// See [`SocketOption::ReuseAddr`].
    pub reuse_addr: bool,
    /// See [`SocketOption::Linger`].
    pub linger: Option<Duration>,
}

/// What a poll loop may do with a socket now (level-triggered, like
/// `poll(2)`'s `POLLIN`, `POLLOUT`, `POLLERR`, `POLLHUP`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Readiness {
    /// `recv`/`recv_from`/`accept` will not block: data, end of stream, a
    /// pending error, or a connection to accept.
    pub readable: bool,
    /// `send` will not block: a connected stream with room in its send
    /// buffer (a non-blocking connect completed), or a datagram socket
    /// with room in its send queue.
    pub writable: bool,
    /// An error is pending: [`Sockets::take_error`](crate::Sockets::take_error)
    /// returns it.
    pub error: bool,
    /// Both directions are finished: the connection is closed, or the peer
    /// sent its FIN and our sending side is shut down too.
    pub hangup: bool,
}

/// A transport segment or datagram [`Sockets::poll_transmit`](crate::Sockets::poll_transmit)
/// wrote at the start of the caller's buffer, with what the IPv4 layer
/// needs to send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// [`Protocol::TCP`] or [`Protocol::UDP`].
    pub protocol: Protocol,
    /// Bytes written: transport header plus payload, checksum filled.
    pub len: usize,
    /// The time to live to send with.
    pub ttl: u8,
    /// Set DF: TCP does path MTU discovery (RFC 1191); UDP datagrams may be
    /// fragmented.
    pub dont_fragment: bool,
}

/// What [`Sockets::poll_transmit_into`](crate::Sockets::poll_transmit_into)
/// did with the buffer it was lent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransmitPoll {
    /// A segment or datagram was written at the start of the buffer.
    Written(Transmit),
    /// The next datagram needs a buffer of this many bytes (transport
    /// header plus payload); it stays queued, first in line, until a call
    /// lends a buffer that large.
    NeedsBuffer(usize),
    /// Nothing is due.
    Idle,
}

/// An ICMP error quoting one of our packets, as the IPv4 layer decoded it
/// ([`Sockets::handle_icmp_error`](crate::Sockets::handle_icmp_error)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IcmpError {
    /// What the error says.
    pub kind: IcmpErrorKind,
    /// The quoted packet's protocol (6 for TCP, 17 for UDP).
    pub protocol: u8,
    /// Our end of the quoted packet (its source address and port).
    pub local: SocketAddrV4,
    /// The far end (its destination address and port).
    pub remote: SocketAddrV4,
    /// For TCP, the quoted sequence number: the error is ignored unless it
    /// falls in the connection's unacknowledged range (RFC 5927).
    pub tcp_seq: Option<u32>,
}

/// The ICMP errors a socket may care about (RFC 792, RFC 1122 §4.2.3.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum IcmpErrorKind {
    /// Destination unreachable, code 0 (and 6, 9, 11).
    NetUnreachable,
    /// Destination unreachable, code 1 (and 7, 10, 12).
    HostUnreachable,
    /// Destination unreachable, code 2.
    ProtocolUnreachable,
    /// Destination unreachable, code 3.
    PortUnreachable,
    /// Destination unreachable, code 4: the next hop's MTU (RFC 1191).
    FragmentationNeeded {
        /// The next-hop MTU the router reported (0 if it did not).
        mtu: u16,
    },
    /// Time exceeded (TTL or reassembly).
    TimeExceeded,
    /// Destination unreachable, code 13: administratively prohibited.
    AdminProhibited,
    /// Anything else.
    Other {
        /// ICMP type.
        icmp_type: u8,
        /// ICMP code.
        code: u8,
    },
}

/// What became of a datagram handed to
/// [`Sockets::handle_udp`](crate::Sockets::handle_udp).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UdpDelivery {
    /// Queued for a socket (or taken by the resolver).
    Delivered,
    /// No socket takes datagrams for that address and port: the host
    /// answers with ICMP port unreachable (unless the datagram was
    /// broadcast).
    NoSocket,
    /// The socket's receive queue is full: dropped and counted.
    QueueFull,
}

/// A name lookup started by [`Sockets::resolve`](crate::Sockets::resolve).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lookup(pub(crate) u64);

impl Lookup {
    /// The number behind the handle.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// Counters of the socket table: what it was asked to do and how much work
/// that cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Sockets `poll_transmit` looked at (entries taken off the queue of
    /// sockets that may transmit). With flat per-packet cost this grows
    /// with traffic, not with the number of sockets.
    pub sockets_visited: u64,
    /// Sockets whose timers `handle_timeout` ran.
    pub timers_fired: u64,
    /// Stale timer entries thrown away (lazy invalidation).
    pub stale_timers: u64,
    /// TCP segments handed to `handle_tcp`.
    pub tcp_segments_in: u64,
    /// UDP datagrams handed to `handle_udp`.
    pub udp_datagrams_in: u64,
    /// Resets sent for segments that found no socket.
    pub resets_sent: u64,
    /// Resets not sent because their queue was full.
    pub resets_dropped: u64,
    /// Datagrams dropped because a receive queue was full.
    pub udp_recv_dropped: u64,
    /// Datagrams for which no socket was found.
    pub udp_no_socket: u64,
    /// Datagrams not sent (no source address, buffer too small).
    pub udp_send_dropped: u64,
    /// ICMP errors that reached a socket.
    pub icmp_errors: u64,
    /// ICMP errors that matched no socket or were out of window.
    pub icmp_ignored: u64,
    /// Connections finished in the background and removed.
    pub reaped: u64,
    /// Connections accepted.
    pub accepted: u64,
}

/// One row of [`Sockets::sockets`](crate::Sockets::sockets), like a line of
/// `netstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketInfo {
    /// The descriptor; `None` for a connection closed by the application
    /// and finishing in the background, or one the resolver opened.
    pub fd: Option<Fd>,
    /// Stream or datagram.
    pub kind: SocketKind,
    /// Own address and port (unspecified before binding).
    pub local: SocketAddrV4,
    /// The peer, once connected.
    pub peer: Option<SocketAddrV4>,
    /// The TCP state (LISTEN for a listening socket); `None` for UDP.
    pub state: Option<strata_tcp::connection::State>,
}
