//! The values that cross the resolver's API: what to look up, what to
//! send, and what was found.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::string::String;
use std::vec::Vec;

use super::error::ResolveError;
use crate::wire::{Class, RecordType};

/// What a lookup asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LookupKind {
    /// The name's addresses: A and AAAA are asked together and the answer
    /// lists the IPv4 addresses first, then the IPv6 ones.
    Addresses,
    /// The records of one type (MX, TXT, SRV, ...), CNAMEs followed.
    Record(RecordType),
}

impl fmt::Display for LookupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupKind::Addresses => f.write_str("A or AAAA"),
            LookupKind::Record(rtype) => fmt::Display::fmt(rtype, f),
        }
    }
}

/// Names one lookup, from [`Resolver::lookup`](super::Resolver::lookup) to
/// its [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryHandle(pub(crate) u64);

impl QueryHandle {
    /// The number behind the handle (unique within one resolver).
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Names one TCP connection the resolver asked for. The caller opens a
/// connection to the [`Transmit::server`] the first time it sees the id,
/// writes the payload, feeds what it reads to
/// [`Resolver::handle_tcp`](super::Resolver::handle_tcp), and closes it when
/// [`Resolver::poll_close`](super::Resolver::poll_close) names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub(crate) u64);

impl StreamId {
    /// The number behind the id (unique within one resolver).
    #[must_use]
    pub fn get(self) -> u64 {
        self.0
    }
}

/// How a query travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One UDP datagram from `source_port`, a port the resolver drew at
    /// random from [`Config::source_ports`](super::Config::source_ports).
    /// The answer is expected on that port from the server's address and
    /// port.
    Udp {
        /// The local port to send from and listen on.
        source_port: u16,
    },
    /// A TCP connection to the server (RFC 7766); the payload is already
    /// framed with its 2-byte length.
    Tcp {
        /// Which connection: a new id means a new connection.
        stream: StreamId,
    },
}

/// A query to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The name server's address and port.
    pub server: SocketAddr,
    /// UDP from a given port, or a TCP stream.
    pub transport: Transport,
    /// The bytes: a DNS message (UDP) or its length and the message (TCP).
    pub payload: Vec<u8>,
}

/// The data of a record, decoded for the common types. Names are text
/// without a trailing dot (the root is `""`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// The canonical name of an alias.
    Cname(String),
    /// A name server.
    Ns(String),
    /// A pointer (reverse lookups).
    Ptr(String),
    /// A mail exchange.
    Mx {
        /// Lower is preferred.
        preference: u16,
        /// The exchange host.
        exchange: String,
    },
    /// Character strings.
    Txt(Vec<Vec<u8>>),
    /// A service location (RFC 2782).
    Srv {
        /// Lower is tried first.
        priority: u16,
        /// Relative weight among equal priorities.
        weight: u16,
        /// The service port.
        port: u16,
        /// The host.
        target: String,
    },
    /// The start of a zone of authority.
    Soa {
        /// The primary name server.
        mname: String,
        /// The responsible mailbox.
        rname: String,
        /// Zone serial.
        serial: u32,
        /// Refresh interval, seconds.
        refresh: u32,
        /// Retry interval, seconds.
        retry: u32,
        /// Expiry, seconds.
        expire: u32,
        /// Negative caching TTL (RFC 2308).
        minimum: u32,
    },
    /// Any other type: the RDATA as received.
    Other(Vec<u8>),
}

/// One resource record, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The owner name, without a trailing dot.
    pub name: String,
    /// The type.
    pub rtype: RecordType,
    /// The class.
    pub class: Class,
    /// Seconds it may still be cached: from the server, or what is left of
    /// it for an answer from the cache.
    pub ttl: u32,
    /// The data.
    pub data: RecordData,
}

/// Where an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The hosts table.
    Hosts,
    /// The cache: nothing was sent.
    Cache,
    /// At least one name server answered during this lookup.
    Network,
}

/// A successful lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The name that was found: the name as given or one of its search
    /// expansions, without a trailing dot.
    pub name: String,
    /// Where the CNAME chain from `name` ended (`name` itself without one).
    pub canonical_name: String,
    /// Addresses: for [`LookupKind::Addresses`] IPv4 then IPv6, for A or
    /// AAAA record lookups those; empty for other types.
    pub addresses: Vec<IpAddr>,
    /// The records found at the end of the chain (A then AAAA for
    /// addresses; records from the hosts table have TTL 0).
    pub records: Vec<Record>,
    /// Where it came from.
    pub source: Source,
}

/// A lookup finished. Every handle [`Resolver::lookup`] returned gets
/// exactly one, unless the lookup is cancelled.
///
/// [`Resolver::lookup`]: super::Resolver::lookup
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Which lookup.
    pub query: QueryHandle,
    /// Its outcome.
    pub result: Result<Answer, ResolveError>,
}

/// Counters, for monitoring and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Lookups accepted.
    pub lookups: u64,
    /// Queries queued for sending (UDP and TCP).
    pub queries_sent: u64,
    /// Of those, over TCP.
    pub tcp_queries: u64,
    /// Responses that matched an outstanding query and were used.
    pub responses_accepted: u64,
    /// Messages that matched no outstanding query (wrong ID, port, server or
    /// question; duplicates; answers to finished queries; unparseable
    /// bytes) and were dropped.
    pub ignored: u64,
    /// Of the ignored, those that did not parse as a DNS message although
    /// they carried an outstanding query's port and ID (or were too short
    /// to carry an ID). Datagrams are matched on port and ID before they
    /// are parsed.
    pub malformed: u64,
    /// Queries that went unanswered within their timeout.
    pub timeouts: u64,
    /// Truncated UDP answers, each followed by a query over TCP.
    pub truncated: u64,
    /// FORMERR answers to EDNS queries, each followed by a query without.
    pub edns_fallbacks: u64,
    /// Questions answered by the cache (positively or negatively).
    pub cache_hits: u64,
    /// Questions the cache could not answer.
    pub cache_misses: u64,
    /// Lookups answered by the hosts table.
    pub hosts_hits: u64,
    /// UDP queries failed at once by an ICMP port unreachable (see
    /// [`Resolver::handle_udp_unreachable`](super::Resolver::handle_udp_unreachable)).
    pub unreachable: u64,
}
