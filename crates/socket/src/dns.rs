//! Name resolution: literals and the hosts table first, then the sans-IO
//! [`Resolver`] of strata-dns run over the table's own UDP (its queries
//! leave from the ports it draws) and, for truncated answers, over
//! internal TCP connections.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::string::String;
use std::vec::Vec;

use strata_core::rand::RandomSource;
use strata_core::time::{Duration, Instant};
use strata_dns::resolver::{
    Answer, Config as ResolverConfig, LookupKind, QueryHandle, ResolveError, Resolver, Source,
    StreamId, Transport as DnsTransport,
};
use strata_ipv4::Protocol;
use strata_tcp::connection::{Connection, Error as TcpError, State};
use strata_tcp::isn::SipHasher24;

use crate::Sockets;
use crate::error::Error;
use crate::net::emit_udp;
use crate::ports::{Binding, Transport};
use crate::table::{Handle, Owner, Proto, Socket, slot_socket_mut};
use crate::types::{IcmpError, IcmpErrorKind, Lookup, SocketKind, Transmit, TransmitPoll};

/// The resolver's randomness (query IDs, source ports): SipHash-2-4 in
/// counter mode under a key drawn from the table's source, so the resolver
/// owns its generator while its numbers stay unpredictable.
#[derive(Clone, Debug)]
pub(crate) struct KeyedRng {
    key: SipHasher24,
    counter: u64,
}

impl RandomSource for KeyedRng {
    fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        self.key.hash(&self.counter.to_le_bytes())
    }
}

/// Lookups in flight or unpolled without a resolver configured.
const DEFAULT_MAX_LOOKUPS: usize = 256;

/// The resolver and the lookups of the socket API.
#[derive(Debug)]
pub(crate) struct Dns {
    resolver: Option<Resolver<KeyedRng>>,
    rng_key: SipHasher24,
    max: usize,
    next_lookup: u64,
    /// Resolver query -> (lookup id, name as asked).
    pending: HashMap<QueryHandle, (u64, String)>,
    pending_ids: HashMap<u64, QueryHandle>,
    done: HashMap<u64, Result<Answer, ResolveError>>,
    /// Stream number -> (the resolver's id, the connection).
    streams: HashMap<u64, (StreamId, Handle)>,
    /// Query bytes a stream's connection has not taken yet.
    stream_out: HashMap<u64, Vec<u8>>,
    /// A UDP query that did not fit the buffer `poll_transmit_into` was
    /// lent: (source port, server, source address, query), sent first next
    /// time.
    pub(crate) held: Option<(u16, SocketAddrV4, Ipv4Addr, Vec<u8>)>,
    now: Instant,
}

impl Dns {
    pub(crate) fn new(config: Option<ResolverConfig>, rng: &mut dyn RandomSource) -> Self {
        let rng_key = SipHasher24::from_random(rng);
        let max = config
            .as_ref()
            .map_or(DEFAULT_MAX_LOOKUPS, |c| c.max_lookups.max(1));
        let resolver = config.map(|c| {
            Resolver::new(
                c,
                KeyedRng {
                    key: rng_key.clone(),
                    counter: 0,
                },
            )
        });
        Dns {
            resolver,
            rng_key,
            max,
            next_lookup: 1,
            pending: HashMap::new(),
            pending_ids: HashMap::new(),
            done: HashMap::new(),
            streams: HashMap::new(),
            stream_out: HashMap::new(),
            held: None,
            now: Instant::ZERO,
        }
    }

    /// Whether the resolver waits for an answer on UDP `port`.
    pub(crate) fn wants_port(&self, port: u16) -> bool {
        self.resolver.as_ref().is_some_and(|r| r.wants_port(port))
    }

    /// Whether a datagram from `from` to `port` is for the resolver: it
    /// waits on that port and `from` is one of its servers.
    pub(crate) fn takes(&self, port: u16, from: SocketAddrV4) -> bool {
        self.resolver.as_ref().is_some_and(|r| {
            r.wants_port(port) && r.config().nameservers.contains(&SocketAddr::V4(from))
        })
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.resolver.as_ref().and_then(Resolver::poll_timeout)
    }

    /// A stream's connection was removed from the table.
    pub(crate) fn forget_stream(&mut self, stream: u64, h: Handle) {
        if self.streams.get(&stream).is_some_and(|(_, x)| *x == h) {
            self.streams.remove(&stream);
            self.stream_out.remove(&stream);
        }
    }

    fn room(&self) -> bool {
        self.pending.len() + self.done.len() < self.max
    }
}

impl Sockets {
    /// Sets the name servers (port 53), starting a resolver with default
    /// settings if none was configured. Lookups in flight fail with a
    /// timeout; the cache is emptied.
    pub fn set_nameservers(&mut self, servers: &[Ipv4Addr]) {
        let ips: Vec<IpAddr> = servers.iter().map(|ip| IpAddr::V4(*ip)).collect();
        let config = match self.dns.resolver.as_ref() {
            Some(r) => {
                let mut c = r.config().clone();
                c.nameservers = ips.iter().map(|ip| SocketAddr::new(*ip, 53)).collect();
                c
            }
            None => ResolverConfig::with_nameservers(&ips),
        };
        let rng = KeyedRng {
            key: self.dns.rng_key.clone(),
            counter: self.rng.next_u64(),
        };
        self.dns.max = config.max_lookups.max(1);
        self.dns.resolver = Some(Resolver::new(config, rng));
        for (_, (id, name)) in self.dns.pending.drain() {
            self.dns.done.insert(
                id,
                Err(ResolveError::TimedOut {
                    name,
                    tries: 0,
                    waited: Duration::ZERO,
                }),
            );
        }
        self.dns.pending_ids.clear();
        let streams: Vec<Handle> = self.dns.streams.drain().map(|(_, (_, h))| h).collect();
        self.dns.stream_out.clear();
        for h in streams {
            self.close_dns_stream(h);
        }
    }

    /// Starts resolving `name` to IPv4 addresses: an address literal or a
    /// name in the hosts table is answered at once (still through
    /// [`Sockets::poll_resolve`]); other names go to the resolver, whose
    /// queries leave through [`Sockets::poll_transmit`].
    ///
    /// # Errors
    /// [`Error::NoBufferSpace`] when too many lookups are unpolled;
    /// [`Error::Resolve`] when the name is invalid or no resolver is
    /// configured.
    pub fn resolve(&mut self, now: Instant, name: &str) -> Result<Lookup, Error> {
        self.resolve_records(now, name, LookupKind::Addresses)
    }

    /// Starts a lookup of any kind (`LookupKind::Record(RecordType::MX)`
    /// ...), for [`Sockets::poll_resolve_answer`]. The hosts table answers
    /// only address lookups.
    ///
    /// # Errors
    /// As [`Sockets::resolve`].
    pub fn resolve_records(
        &mut self,
        now: Instant,
        name: &str,
        kind: LookupKind,
    ) -> Result<Lookup, Error> {
        self.dns.now = now;
        if !self.dns.room() {
            return Err(Error::NoBufferSpace);
        }
        let id = self.dns.next_lookup;
        self.dns.next_lookup = id.wrapping_add(1);
        if kind == LookupKind::Addresses {
            let local = if let Ok(ip) = name.parse::<Ipv4Addr>() {
                Some(std::vec![IpAddr::V4(ip)])
            } else {
                self.config
                    .hosts
                    .lookup(name)
                    .map(|a| {
                        a.iter()
                            .filter(|ip| ip.is_ipv4())
                            .copied()
                            .collect::<Vec<_>>()
                    })
                    .filter(|a| !a.is_empty())
            };
            if let Some(addresses) = local {
                let plain = String::from(name.trim_end_matches('.'));
                self.dns.done.insert(
                    id,
                    Ok(Answer {
                        name: plain.clone(),
                        canonical_name: plain,
                        addresses,
                        records: Vec::new(),
                        source: Source::Hosts,
                    }),
                );
                return Ok(Lookup(id));
            }
        }
        let Some(resolver) = self.dns.resolver.as_mut() else {
            return Err(Error::Resolve(ResolveError::NoServers {
                name: String::from(name),
            }));
        };
        let query = resolver.lookup(now, name, kind)?;
        self.dns.pending.insert(query, (id, String::from(name)));
        self.dns.pending_ids.insert(id, query);
        self.drain_dns();
        Ok(Lookup(id))
    }

    /// The outcome of [`Sockets::resolve`]: `None` while pending, then the
    /// IPv4 addresses once (the handle is spent).
    pub fn poll_resolve(&mut self, lookup: Lookup) -> Option<Result<Vec<Ipv4Addr>, Error>> {
        let answer = self.poll_resolve_answer(lookup)?;
        Some(answer.and_then(|a| {
            let v4: Vec<Ipv4Addr> = a
                .addresses
                .iter()
                .filter_map(|ip| match ip {
                    IpAddr::V4(v4) => Some(*v4),
                    IpAddr::V6(_) => None,
                })
                .collect();
            if v4.is_empty() {
                Err(Error::Resolve(ResolveError::NoData {
                    name: a.name,
                    kind: LookupKind::Addresses,
                }))
            } else {
                Ok(v4)
            }
        }))
    }

    /// The whole answer of a lookup (records, canonical name, source):
    /// `None` while pending. An unknown or spent handle gives
    /// [`Error::InvalidInput`].
    pub fn poll_resolve_answer(&mut self, lookup: Lookup) -> Option<Result<Answer, Error>> {
        self.drain_dns();
        if let Some(result) = self.dns.done.remove(&lookup.0) {
            return Some(result.map_err(Error::Resolve));
        }
        if self.dns.pending_ids.contains_key(&lookup.0) {
            return None;
        }
        Some(Err(Error::InvalidInput))
    }

    /// Abandons a lookup; its handle is spent.
    pub fn cancel_resolve(&mut self, lookup: Lookup) {
        self.dns.done.remove(&lookup.0);
        if let Some(q) = self.dns.pending_ids.remove(&lookup.0) {
            self.dns.pending.remove(&q);
            if let Some(r) = self.dns.resolver.as_mut() {
                r.cancel(q);
            }
        }
    }

    /// The resolver's counters, if one runs.
    #[must_use]
    pub fn resolver_stats(&self) -> Option<strata_dns::resolver::Stats> {
        self.dns.resolver.as_ref().map(Resolver::stats)
    }

    /// Moves finished lookups to `done` and closes streams the resolver
    /// is finished with.
    fn drain_dns(&mut self) {
        let Some(resolver) = self.dns.resolver.as_mut() else {
            return;
        };
        let mut closes = Vec::new();
        while let Some(event) = resolver.poll_event() {
            if let Some((id, _)) = self.dns.pending.remove(&event.query) {
                self.dns.pending_ids.remove(&id);
                self.dns.done.insert(id, event.result);
            }
        }
        while let Some(stream) = resolver.poll_close() {
            closes.push(stream);
        }
        for stream in closes {
            self.dns.stream_out.remove(&stream.get());
            if let Some((_, h)) = self.dns.streams.remove(&stream.get()) {
                self.close_dns_stream(h);
            }
        }
    }

    /// Closes a resolver connection gracefully; it finishes as an orphan.
    fn close_dns_stream(&mut self, h: Handle) {
        let deadline = self.orphan_deadline(self.dns.now);
        if let Some(s) = self.sock_mut(h) {
            s.owner = Owner::Orphan { deadline };
            if let Proto::Tcp(c) = &mut s.proto {
                let _ = c.close();
            }
        }
        self.refresh_binding(h);
        self.touch(h);
    }

    pub(crate) fn dns_udp(&mut self, now: Instant, from: SocketAddrV4, port: u16, payload: &[u8]) {
        self.dns.now = now;
        if let Some(r) = self.dns.resolver.as_mut() {
            r.handle_udp(now, SocketAddr::V4(from), port, payload);
        }
        self.drain_dns();
    }

    /// An ICMP error about a UDP datagram: if it says nothing listens
    /// where one of the resolver's queries went (port or protocol
    /// unreachable), that try fails now. Returns whether it concerned the
    /// resolver.
    pub(crate) fn dns_icmp(&mut self, now: Instant, error: &IcmpError) -> bool {
        if !matches!(
            error.kind,
            IcmpErrorKind::PortUnreachable | IcmpErrorKind::ProtocolUnreachable
        ) || !self.dns.wants_port(error.local.port())
        {
            return false;
        }
        self.dns.now = now;
        let Some(r) = self.dns.resolver.as_mut() else {
            return false;
        };
        let hit = r.handle_udp_unreachable(now, SocketAddr::V4(error.remote), error.local.port());
        if hit {
            self.stats.icmp_errors += 1;
            self.drain_dns();
        }
        hit
    }

    pub(crate) fn dns_timeout(&mut self, now: Instant) {
        self.dns.now = now;
        let Some(r) = self.dns.resolver.as_mut() else {
            return;
        };
        if r.poll_timeout().is_some_and(|t| t <= now) {
            r.handle_timeout(now);
            self.drain_dns();
        }
    }

    /// The resolver's next query: a UDP datagram written into `buf`, or a
    /// TCP stream's bytes handed to its connection (which then transmits
    /// like any other).
    pub(crate) fn poll_dns(
        &mut self,
        now: Instant,
        buf: &mut [u8],
        drop_oversized: bool,
    ) -> TransmitPoll {
        self.dns.now = now;
        if let Some((source_port, server, src, payload)) = self.dns.held.take() {
            match self.dns_datagram(buf, source_port, server, src, payload, drop_oversized) {
                TransmitPoll::Idle => {}
                other => return other,
            }
        }
        loop {
            let Some(t) = self
                .dns
                .resolver
                .as_mut()
                .and_then(|r| r.poll_transmit(now))
            else {
                return TransmitPoll::Idle;
            };
            match t.transport {
                DnsTransport::Udp { source_port } => {
                    let (SocketAddr::V4(server), Some(src)) =
                        (t.server, self.addresses.first().copied())
                    else {
                        self.stats.udp_send_dropped += 1;
                        continue;
                    };
                    match self.dns_datagram(
                        buf,
                        source_port,
                        server,
                        src,
                        t.payload,
                        drop_oversized,
                    ) {
                        TransmitPoll::Idle => {}
                        other => return other,
                    }
                }
                DnsTransport::Tcp { stream } => self.dns_tcp_send(now, stream, t.server, t.payload),
            }
        }
    }

    /// Writes one UDP query into `buf`; one that does not fit is dropped
    /// (`Idle`) or held for a larger buffer (`NeedsBuffer`).
    fn dns_datagram(
        &mut self,
        buf: &mut [u8],
        source_port: u16,
        server: SocketAddrV4,
        src: Ipv4Addr,
        payload: Vec<u8>,
        drop_oversized: bool,
    ) -> TransmitPoll {
        let needed = strata_udp::HEADER_LEN + payload.len();
        if needed > buf.len() && !drop_oversized {
            self.dns.held = Some((source_port, server, src, payload));
            return TransmitPoll::NeedsBuffer(needed);
        }
        match emit_udp(buf, source_port, &payload, src, server) {
            Some(len) => TransmitPoll::Written(Transmit {
                src,
                dst: *server.ip(),
                protocol: Protocol::UDP,
                len,
                ttl: self.config.default_ttl,
                dont_fragment: false,
            }),
            None => {
                self.stats.udp_send_dropped += 1;
                TransmitPoll::Idle
            }
        }
    }

    fn dns_tcp_send(
        &mut self,
        now: Instant,
        stream: StreamId,
        server: SocketAddr,
        payload: Vec<u8>,
    ) {
        let id = stream.get();
        if let Some(&(_, h)) = self.dns.streams.get(&id) {
            self.dns
                .stream_out
                .entry(id)
                .or_default()
                .extend_from_slice(&payload);
            self.pump_dns_stream(now, h, id);
            self.touch(h);
            return;
        }
        match self.open_dns_stream(now, id, server) {
            Ok(h) => {
                self.dns.streams.insert(id, (stream, h));
                self.dns.stream_out.insert(id, payload);
                self.pump_dns_stream(now, h, id);
                self.touch(h);
            }
            Err(_) => {
                if let Some(r) = self.dns.resolver.as_mut() {
                    r.handle_tcp_close(now, stream);
                }
                self.drain_dns();
            }
        }
    }

    fn open_dns_stream(
        &mut self,
        now: Instant,
        id: u64,
        server: SocketAddr,
    ) -> Result<Handle, Error> {
        let SocketAddr::V4(server) = server else {
            return Err(Error::NetworkUnreachable);
        };
        let src = self
            .addresses
            .first()
            .copied()
            .ok_or(Error::NetworkUnreachable)?;
        if !self.has_room() {
            return Err(Error::TooManyOpenFiles);
        }
        let port = self.pick_ephemeral(Transport::Tcp, src, server)?;
        let local = SocketAddrV4::new(src, port);
        let opts = self.default_options(SocketKind::Stream);
        let conn = Connection::connect(now, local, server, self.conn_config(&opts), &self.isn)
            .map_err(|_| Error::InvalidInput)?;
        let mut socket = Socket::new(SocketKind::Stream, Owner::Resolver(id), opts);
        socket.local = local;
        socket.peer = Some(server);
        socket.proto = Proto::Tcp(std::boxed::Box::new(conn));
        socket.connecting = true;
        let h = self.insert(socket)?;
        self.set_binding(
            h,
            Some(Binding {
                transport: Transport::Tcp,
                addr: local,
                strong: true,
            }),
        );
        self.enter_conn(h, local, server);
        self.connecting.insert(h);
        Ok(h)
    }

    /// Moves bytes between a resolver stream's connection and the
    /// resolver: pending query bytes out, answer bytes in; tells the
    /// resolver when the connection ends.
    pub(crate) fn pump_dns_stream(&mut self, now: Instant, h: Handle, id: u64) {
        self.dns.now = now;
        let Some((stream, _)) = self.dns.streams.get(&id).copied() else {
            return;
        };
        let Some(Proto::Tcp(c)) = slot_socket_mut(&mut self.slots, h).map(|s| &mut s.proto) else {
            return;
        };
        if let Some(out) = self.dns.stream_out.get_mut(&id)
            && !out.is_empty()
            && let Ok(n) = c.send(out)
        {
            out.drain(..n.min(out.len()));
        }
        let mut got = Vec::new();
        let mut ended = false;
        let mut tmp = [0u8; 2048];
        loop {
            match c.recv(&mut tmp) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => got.extend_from_slice(tmp.get(..n).unwrap_or_default()),
                Err(TcpError::WouldBlock) => break,
                Err(_) => {
                    ended = true;
                    break;
                }
            }
        }
        if c.state() == State::Closed {
            ended = true;
        }
        if let Some(r) = self.dns.resolver.as_mut() {
            if !got.is_empty() {
                r.handle_tcp(now, stream, &got);
            }
            if ended {
                r.handle_tcp_close(now, stream);
            }
        }
        if ended {
            self.dns.streams.remove(&id);
            self.dns.stream_out.remove(&id);
            self.close_dns_stream(h);
        }
        self.drain_dns();
    }
}
