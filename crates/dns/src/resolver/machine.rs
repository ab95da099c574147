//! The resolver state machine.
//!
//! A *lookup* is what the caller asked for: a name and a kind. It walks the
//! search-list expansions of the name (*candidates*) one after the other;
//! for each candidate it asks one question per record type (A and AAAA
//! together for addresses, one type otherwise), each a *part*. A part
//! follows CNAMEs: through the cache first, then through the network one
//! *transaction* at a time. A transaction is one question put to the
//! servers: a series of *attempts* (one query each, fresh ID and source
//! port) over servers and rounds until one answer is accepted or the tries
//! run out. Every attempt stays valid until its transaction ends, so a late
//! answer to an earlier attempt is as good as an answer to the latest.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::string::String;
use std::vec::Vec;

use strata_core::rand::RandomSource;
use strata_core::time::{Duration, Instant};

use super::cache::Cache;
use super::codec::{self, Reply};
use super::config::Config;
use super::error::ResolveError;
use super::name;
use super::stream::{self, StreamBuf};
use super::timer::TimerTable;
use super::types::{
    Answer, Event, LookupKind, QueryHandle, Record, RecordData, Source, Stats, StreamId, Transmit,
    Transport,
};
use crate::wire::{Class, Opcode, Rcode, RecordType};

/// Why a question found nothing; turned into a [`ResolveError`] naming the
/// lookup's name when the lookup ends.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Failure {
    NxDomain,
    NoData,
    ServFail,
    Refused,
    Rcode(Rcode),
    TimedOut { tries: u32, waited: Duration },
    CnameLoop(String),
    CnameChainTooLong,
    NoServers,
}

impl Failure {
    /// NXDOMAIN and NODATA let the search list go on; anything else is a
    /// verdict on the servers, not on the name, and ends the lookup.
    fn continues_search(&self) -> bool {
        matches!(self, Failure::NxDomain | Failure::NoData)
    }

    fn into_error(self, name: String, kind: LookupKind, limit: u8) -> ResolveError {
        match self {
            Failure::NxDomain => ResolveError::NxDomain { name },
            Failure::NoData => ResolveError::NoData { name, kind },
            Failure::ServFail => ResolveError::ServFail { name },
            Failure::Refused => ResolveError::Refused { name },
            Failure::Rcode(rcode) => ResolveError::ServerError { name, rcode },
            Failure::TimedOut { tries, waited } => ResolveError::TimedOut {
                name,
                tries,
                waited,
            },
            Failure::CnameLoop(alias) => ResolveError::CnameLoop { name, alias },
            Failure::CnameChainTooLong => ResolveError::CnameChainTooLong { name, limit },
            Failure::NoServers => ResolveError::NoServers { name },
        }
    }
}

/// Cache slots: one per record type of a name, and one saying the name
/// does not exist at all (RFC 2308: NXDOMAIN covers every type).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Type(u16),
    NxDomain,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CacheKey {
    name: String,
    slot: Slot,
}

impl CacheKey {
    fn new(name: &str, slot: Slot) -> Self {
        CacheKey {
            name: name::key(name),
            slot,
        }
    }
}

#[derive(Clone, Debug)]
enum Cached {
    Records(Vec<Record>),
    Negative,
}

/// What the cache knows about a question.
enum CacheHit {
    Records(Vec<Record>),
    Alias(String),
    Failure(Failure),
}

#[derive(Debug, Clone, Copy)]
struct ServerState {
    /// Cleared when the server answers an EDNS query with FORMERR.
    edns: bool,
}

#[derive(Debug)]
struct Part {
    qtype: RecordType,
    /// Every name on the CNAME chain so far, the candidate first.
    chain: Vec<String>,
    outcome: Option<Result<Vec<Record>, Failure>>,
    tx: Option<u64>,
    network: bool,
}

impl Part {
    fn current_name(&self) -> &str {
        self.chain.last().map_or("", String::as_str)
    }
}

#[derive(Debug)]
struct Lookup {
    name: String,
    kind: LookupKind,
    candidates: Vec<String>,
    index: usize,
    parts: Vec<Part>,
    saw_nodata: bool,
}

#[derive(Debug)]
enum Via {
    Udp { port: u16 },
    Tcp { stream: u64, buf: StreamBuf },
}

#[derive(Debug)]
struct Attempt {
    seq: u32,
    id: u16,
    server: usize,
    addr: SocketAddr,
    edns: bool,
    via: Via,
}

#[derive(Debug)]
struct Tx {
    lookup: u64,
    part: usize,
    qname: String,
    qtype: RecordType,
    first_server: usize,
    /// Tries used up so far (timeouts and failures), over servers and rounds.
    tries: u32,
    tcp: bool,
    attempts: Vec<Attempt>,
    next_seq: u32,
    /// The attempt whose timer is running.
    current: Option<u32>,
    pending: Option<Transmit>,
    last_error: Option<Failure>,
    started: Instant,
}

/// What a transaction's end means for its part.
enum TxOutcome {
    Done(Result<Vec<Record>, Failure>),
    /// The answer stopped at an alias whose target it did not include: ask
    /// about the end of the chain.
    Follow,
}

/// A sans-IO stub resolver: names in, addresses (or records) out.
///
/// It never touches a socket or a clock. The caller drives it:
///
/// 1. [`lookup`](Resolver::lookup) starts a lookup and returns its handle;
/// 2. [`poll_transmit`](Resolver::poll_transmit) hands out the queries to
///    send (UDP from a given source port, or TCP on a given stream);
/// 3. [`handle_udp`](Resolver::handle_udp) and
///    [`handle_tcp`](Resolver::handle_tcp) take what came back;
/// 4. [`poll_timeout`](Resolver::poll_timeout) says when to call
///    [`handle_timeout`](Resolver::handle_timeout);
/// 5. [`poll_event`](Resolver::poll_event) yields one [`Event`] per lookup;
/// 6. [`poll_close`](Resolver::poll_close) names TCP streams to close.
///
/// Query IDs and source ports come from the caller's [`RandomSource`].
/// Answers are accepted only from the server a query went to, on the port
/// it went from, with its ID and its question; anything else is counted in
/// [`Stats::ignored`] and dropped.
#[derive(Debug)]
pub struct Resolver<R> {
    config: Config,
    rng: R,
    servers: Vec<ServerState>,
    rotor: usize,
    next_id: u64,
    lookups: BTreeMap<u64, Lookup>,
    txs: BTreeMap<u64, Tx>,
    /// Outstanding UDP attempts by (source port, query ID).
    udp: BTreeMap<(u16, u16), u64>,
    /// Outstanding TCP attempts by stream.
    tcp: BTreeMap<u64, u64>,
    timers: TimerTable<u64>,
    sends: VecDeque<u64>,
    events: VecDeque<Event>,
    closes: VecDeque<StreamId>,
    cache: Cache<CacheKey, Cached>,
    stats: Stats,
}

impl<R: RandomSource> Resolver<R> {
    /// A resolver with these settings, drawing query IDs and ports from
    /// `rng`.
    pub fn new(config: Config, rng: R) -> Self {
        let servers = std::vec![ServerState { edns: true }; config.nameservers.len()];
        let cache = Cache::new(config.cache_size);
        Resolver {
            config,
            rng,
            servers,
            rotor: 0,
            next_id: 1,
            lookups: BTreeMap::new(),
            txs: BTreeMap::new(),
            udp: BTreeMap::new(),
            tcp: BTreeMap::new(),
            timers: TimerTable::new(),
            sends: VecDeque::new(),
            events: VecDeque::new(),
            closes: VecDeque::new(),
            cache,
            stats: Stats::default(),
        }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Entries in the cache (expired ones may linger until noticed).
    #[must_use]
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Forgets everything cached.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// Lookups still waiting for the network.
    #[must_use]
    pub fn pending_lookups(&self) -> usize {
        self.lookups.len()
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    /// Starts looking up `name` (text, a trailing dot makes it absolute).
    ///
    /// The hosts table is consulted first (for addresses, A and AAAA), then
    /// the cache, then the name servers. The outcome arrives as an
    /// [`Event`] carrying the returned handle, possibly before this returns
    /// (a hosts or cache hit queues it at once).
    ///
    /// # Errors
    ///
    /// [`ResolveError::InvalidName`] if `name` cannot be a domain name, and
    /// [`ResolveError::TooManyLookups`] when
    /// [`Config::max_lookups`] lookups are pending or unpolled. In both
    /// cases no event follows.
    pub fn lookup(
        &mut self,
        now: Instant,
        name: &str,
        kind: LookupKind,
    ) -> Result<QueryHandle, ResolveError> {
        let parsed = name::parse(name).map_err(|error| ResolveError::InvalidName {
            name: String::from(name),
            error,
        })?;
        if self.lookups.len() + self.events.len() >= self.config.max_lookups {
            return Err(ResolveError::TooManyLookups {
                limit: self.config.max_lookups,
            });
        }
        let handle = self.fresh_id();
        self.stats.lookups += 1;
        let display = if parsed.text.is_empty() {
            String::from(".")
        } else {
            parsed.text.clone()
        };
        if let Some(answer) = self.hosts_answer(&parsed.text, kind) {
            self.stats.hosts_hits += 1;
            self.events.push_back(Event {
                query: QueryHandle(handle),
                result: Ok(answer),
            });
            return Ok(QueryHandle(handle));
        }
        let candidates = name::candidates(&parsed, self.config.ndots, &self.config.search);
        self.lookups.insert(
            handle,
            Lookup {
                name: display,
                kind,
                candidates,
                index: 0,
                parts: Vec::new(),
                saw_nodata: false,
            },
        );
        self.drive(now, handle);
        Ok(QueryHandle(handle))
    }

    /// Abandons a lookup: no event will follow, late answers are ignored.
    /// Returns whether it was still pending.
    pub fn cancel(&mut self, query: QueryHandle) -> bool {
        let Some(lookup) = self.lookups.remove(&query.0) else {
            return false;
        };
        for part in lookup.parts {
            if let Some(tx) = part.tx {
                self.drop_tx(tx);
            }
        }
        true
    }

    fn hosts_answer(&self, text: &str, kind: LookupKind) -> Option<Answer> {
        if text.is_empty() {
            return None;
        }
        let listed = self.config.hosts.lookup(text)?;
        let v4 = listed.iter().filter(|a| a.is_ipv4());
        let v6 = listed.iter().filter(|a| a.is_ipv6());
        let addresses: Vec<IpAddr> = match kind {
            LookupKind::Addresses => v4.chain(v6).copied().collect(),
            LookupKind::Record(RecordType::A) => v4.copied().collect(),
            LookupKind::Record(RecordType::AAAA) => v6.copied().collect(),
            LookupKind::Record(_) => Vec::new(),
        };
        if addresses.is_empty() {
            return None;
        }
        let records = addresses
            .iter()
            .map(|addr| {
                let (rtype, data) = match addr {
                    IpAddr::V4(a) => (RecordType::A, RecordData::A(*a)),
                    IpAddr::V6(a) => (RecordType::AAAA, RecordData::Aaaa(*a)),
                };
                Record {
                    name: String::from(text),
                    rtype,
                    class: Class::IN,
                    ttl: 0,
                    data,
                }
            })
            .collect();
        Some(Answer {
            name: String::from(text),
            canonical_name: String::from(text),
            addresses,
            records,
            source: Source::Hosts,
        })
    }

    /// Moves a lookup forward as far as it goes without the network:
    /// starts the next candidate's questions, and ends the lookup once a
    /// candidate is decided.
    fn drive(&mut self, now: Instant, handle: u64) {
        // Each turn either returns or moves to the next candidate, and the
        // candidates are finite.
        loop {
            let Some(lookup) = self.lookups.get_mut(&handle) else {
                return;
            };
            if lookup.parts.is_empty() {
                let Some(candidate) = lookup.candidates.get(lookup.index).cloned() else {
                    let failure = if lookup.saw_nodata {
                        Failure::NoData
                    } else {
                        Failure::NxDomain
                    };
                    self.finish_lookup(handle, Err(failure));
                    return;
                };
                let qtypes: &[RecordType] = match lookup.kind {
                    LookupKind::Addresses => &[RecordType::A, RecordType::AAAA],
                    LookupKind::Record(_) => &[],
                };
                let mut types: Vec<RecordType> = qtypes.to_vec();
                if let LookupKind::Record(rtype) = lookup.kind {
                    types.push(rtype);
                }
                lookup.parts = types
                    .into_iter()
                    .map(|qtype| Part {
                        qtype,
                        chain: std::vec![candidate.clone()],
                        outcome: None,
                        tx: None,
                        network: false,
                    })
                    .collect();
                let count = lookup.parts.len();
                for index in 0..count {
                    self.resolve_part(now, handle, index);
                }
            }
            let Some(lookup) = self.lookups.get_mut(&handle) else {
                return;
            };
            if lookup.parts.iter().any(|p| p.outcome.is_none()) {
                return;
            }
            match evaluate(lookup) {
                Verdict::Answer(answer) => {
                    self.finish_lookup(handle, Ok(answer));
                    return;
                }
                Verdict::Stop(failure) => {
                    self.finish_lookup(handle, Err(failure));
                    return;
                }
                Verdict::Next { nodata } => {
                    lookup.saw_nodata |= nodata;
                    lookup.index += 1;
                    lookup.parts.clear();
                }
            }
        }
    }

    fn finish_lookup(&mut self, handle: u64, result: Result<Answer, Failure>) {
        let Some(lookup) = self.lookups.remove(&handle) else {
            return;
        };
        for part in &lookup.parts {
            if let Some(tx) = part.tx {
                self.drop_tx(tx);
            }
        }
        let limit = self.config.max_cname_chain;
        let result = result.map_err(|f| f.into_error(lookup.name, lookup.kind, limit));
        self.events.push_back(Event {
            query: QueryHandle(handle),
            result,
        });
    }

    fn part_mut(&mut self, handle: u64, index: usize) -> Option<&mut Part> {
        self.lookups.get_mut(&handle)?.parts.get_mut(index)
    }

    /// Answers a part from the cache as far as the cache goes (following
    /// cached aliases), and asks the network for the rest.
    fn resolve_part(&mut self, now: Instant, handle: u64, index: usize) {
        // Every turn adds a name to the chain, and the chain is bounded.
        loop {
            let Some(part) = self.part_mut(handle, index) else {
                return;
            };
            let qtype = part.qtype;
            let qname = String::from(part.current_name());
            match self.ask_cache(now, &qname, qtype) {
                Some(CacheHit::Records(records)) => {
                    self.set_outcome(handle, index, Ok(records));
                    return;
                }
                Some(CacheHit::Failure(failure)) => {
                    self.set_outcome(handle, index, Err(failure));
                    return;
                }
                Some(CacheHit::Alias(target)) => {
                    if let Err(failure) = self.extend_chain(handle, index, target) {
                        self.set_outcome(handle, index, Err(failure));
                        return;
                    }
                }
                None => {
                    if self.config.nameservers.is_empty() {
                        self.set_outcome(handle, index, Err(Failure::NoServers));
                    } else {
                        self.start_tx(now, handle, index, qname, qtype);
                    }
                    return;
                }
            }
        }
    }

    fn set_outcome(&mut self, handle: u64, index: usize, outcome: Result<Vec<Record>, Failure>) {
        if let Some(part) = self.part_mut(handle, index) {
            part.outcome = Some(outcome);
            part.tx = None;
        }
    }

    /// Adds `target` to a part's CNAME chain, refusing loops and chains
    /// longer than the limit.
    fn extend_chain(&mut self, handle: u64, index: usize, target: String) -> Result<(), Failure> {
        let limit = usize::from(self.config.max_cname_chain);
        let part = self.part_mut(handle, index).ok_or(Failure::NoData)?;
        if part.chain.iter().any(|n| name::same(n, &target)) {
            return Err(Failure::CnameLoop(target));
        }
        if part.chain.len() > limit {
            return Err(Failure::CnameChainTooLong);
        }
        part.chain.push(target);
        Ok(())
    }

    fn ask_cache(&mut self, now: Instant, qname: &str, qtype: RecordType) -> Option<CacheHit> {
        let hit = self.cache_lookup(now, qname, qtype);
        if hit.is_some() {
            self.stats.cache_hits += 1;
        } else {
            self.stats.cache_misses += 1;
        }
        hit
    }

    fn cache_lookup(&mut self, now: Instant, qname: &str, qtype: RecordType) -> Option<CacheHit> {
        if self
            .cache
            .get(now, &CacheKey::new(qname, Slot::NxDomain))
            .is_some()
        {
            return Some(CacheHit::Failure(Failure::NxDomain));
        }
        if let Some((cached, left)) = self
            .cache
            .get(now, &CacheKey::new(qname, Slot::Type(qtype.0)))
        {
            return Some(match cached {
                Cached::Negative => CacheHit::Failure(Failure::NoData),
                Cached::Records(records) => CacheHit::Records(with_ttl(records, left)),
            });
        }
        if qtype == RecordType::CNAME {
            return None;
        }
        let key = CacheKey::new(qname, Slot::Type(RecordType::CNAME.0));
        match self.cache.get(now, &key) {
            Some((Cached::Records(records), _)) => records.iter().find_map(|r| match &r.data {
                RecordData::Cname(target) => Some(CacheHit::Alias(target.clone())),
                _ => None,
            }),
            _ => None,
        }
    }

    fn start_tx(
        &mut self,
        now: Instant,
        handle: u64,
        index: usize,
        qname: String,
        qtype: RecordType,
    ) {
        let count = self.servers.len().max(1);
        let first_server = if self.config.rotate {
            let first = self.rotor % count;
            self.rotor = self.rotor.wrapping_add(1);
            first
        } else {
            0
        };
        let txid = self.fresh_id();
        self.txs.insert(
            txid,
            Tx {
                lookup: handle,
                part: index,
                qname,
                qtype,
                first_server,
                tries: 0,
                tcp: false,
                attempts: Vec::new(),
                next_seq: 0,
                current: None,
                pending: None,
                last_error: None,
                started: now,
            },
        );
        if let Some(part) = self.part_mut(handle, index) {
            part.tx = Some(txid);
            part.network = true;
        }
        self.send_attempt(now, txid, None);
    }

    fn max_tries(&self) -> u32 {
        let servers = u32::try_from(self.servers.len()).unwrap_or(u32::MAX);
        servers.saturating_mul(u32::from(self.config.attempts.max(1)))
    }

    /// How long a try waits: the base timeout, doubled for each full round
    /// over the servers already made.
    fn try_timeout(&self, tries: u32) -> Duration {
        let servers = u32::try_from(self.servers.len().max(1)).unwrap_or(u32::MAX);
        let round = (tries / servers).min(16);
        self.config.timeout.saturating_mul(1u64 << round)
    }

    /// Draws a source port and query ID not already waiting for an answer.
    fn draw_port_and_id(&mut self) -> (u16, u16) {
        let (lo, hi) = self.config.source_ports;
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        let span = u64::from(hi - lo) + 1;
        let mut pick = (lo, 0);
        for _ in 0..16 {
            let offset = u16::try_from(self.rng.below(span)).unwrap_or(0);
            pick = (lo.saturating_add(offset), self.rng.next_u16());
            if !self.udp.contains_key(&pick) {
                break;
            }
        }
        pick
    }

    /// Sends the transaction's next query: to `server` if given (a retry
    /// at the same server over TCP or without EDNS), else to the server the
    /// try count points at.
    fn send_attempt(&mut self, now: Instant, txid: u64, server: Option<usize>) {
        let count = self.servers.len();
        let Some(tx) = self.txs.get(&txid) else {
            return;
        };
        let tries = tx.tries;
        let use_tcp = tx.tcp;
        let index = server.unwrap_or_else(|| {
            let step = usize::try_from(tries).unwrap_or(0);
            (tx.first_server.wrapping_add(step)) % count.max(1)
        });
        let timeout = self.try_timeout(tries);
        let (Some(&addr), Some(state)) = (
            self.config.nameservers.get(index),
            self.servers.get(index).copied(),
        ) else {
            // Cannot happen (the index is taken modulo the server count),
            // but a transaction must never be left without a timer.
            self.timers.set(txid, now + timeout);
            return;
        };
        let edns = self.config.edns && state.edns;
        let payload_size = edns.then_some(self.config.udp_payload_size);
        let (id, via, transport) = if use_tcp {
            let stream = self.fresh_id();
            let id = self.rng.next_u16();
            (
                id,
                Via::Tcp {
                    stream,
                    buf: StreamBuf::default(),
                },
                Transport::Tcp {
                    stream: StreamId(stream),
                },
            )
        } else {
            let (port, id) = self.draw_port_and_id();
            (id, Via::Udp { port }, Transport::Udp { source_port: port })
        };
        let Some(tx) = self.txs.get_mut(&txid) else {
            return;
        };
        let message = codec::build_query(id, &tx.qname, tx.qtype, payload_size);
        let payload = match (&via, message) {
            (Via::Tcp { .. }, Some(message)) => stream::frame(&message),
            (Via::Udp { .. }, message) => message,
            (_, None) => None,
        };
        let seq = tx.next_seq;
        tx.next_seq = tx.next_seq.wrapping_add(1);
        tx.current = Some(seq);
        match &via {
            Via::Udp { port } => {
                self.udp.insert((*port, id), txid);
            }
            Via::Tcp { stream, .. } => {
                self.tcp.insert(*stream, txid);
            }
        }
        tx.attempts.push(Attempt {
            seq,
            id,
            server: index,
            addr,
            edns,
            via,
        });
        // A query that could not be built is never sent; its timer still
        // runs, so the transaction moves on as if it had been lost.
        if let Some(payload) = payload {
            let queued = tx.pending.is_some();
            // A query not yet handed out is superseded by this one.
            tx.pending = Some(Transmit {
                server: addr,
                transport,
                payload,
            });
            if !queued {
                self.sends.push_back(txid);
            }
            self.stats.queries_sent += 1;
            if use_tcp {
                self.stats.tcp_queries += 1;
            }
        }
        self.timers.set(txid, now + timeout);
    }

    /// The next query to send, if any.
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit> {
        while let Some(txid) = self.sends.pop_front() {
            if let Some(transmit) = self.txs.get_mut(&txid).and_then(|tx| tx.pending.take()) {
                return Some(transmit);
            }
        }
        None
    }

    /// When [`handle_timeout`](Resolver::handle_timeout) is next due.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// Runs every timer due at `now`: unanswered queries move to the next
    /// server, or fail the question once all tries are spent.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(txid) = self.timers.pop_expired(now) {
            self.stats.timeouts += 1;
            let current = self.txs.get(&txid).and_then(|tx| tx.current);
            if let Some(seq) = current {
                self.drop_attempt_if_tcp(txid, seq);
            }
            self.next_try(now, txid);
        }
    }

    /// The next finished lookup.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// A TCP stream the resolver no longer needs; the caller closes it.
    /// Streams queue here until polled, so a caller using TCP drains this
    /// along with the events.
    pub fn poll_close(&mut self) -> Option<StreamId> {
        self.closes.pop_front()
    }

    /// Whether a query sent from local UDP `port` is still waiting for its
    /// answer (the caller may close the port once none is).
    #[must_use]
    pub fn wants_port(&self, port: u16) -> bool {
        self.udp
            .range((port, 0)..=(port, u16::MAX))
            .next()
            .is_some()
    }

    /// Takes a UDP datagram that arrived from `from` on local port
    /// `to_port`. It is used only if it answers an outstanding query sent to
    /// `from` from that port, with the same ID and question; otherwise it is
    /// counted in [`Stats::ignored`] and dropped.
    pub fn handle_udp(&mut self, now: Instant, from: SocketAddr, to_port: u16, bytes: &[u8]) {
        // The port and ID are checked before the message is parsed, so a
        // flood of forged datagrams costs a map lookup each.
        let Some(&[hi, lo]) = bytes.get(..2) else {
            self.stats.malformed += 1;
            self.stats.ignored += 1;
            return;
        };
        let Some(&txid) = self.udp.get(&(to_port, u16::from_be_bytes([hi, lo]))) else {
            self.stats.ignored += 1;
            return;
        };
        let Some(reply) = codec::parse_reply(bytes) else {
            self.stats.malformed += 1;
            self.stats.ignored += 1;
            return;
        };
        let Some(tx) = self.txs.get(&txid) else {
            self.stats.ignored += 1;
            return;
        };
        let found = tx.attempts.iter().find(|a| {
            a.id == reply.id
                && a.addr == from
                && matches!(a.via, Via::Udp { port } if port == to_port)
        });
        let Some(seq) = found.map(|a| a.seq) else {
            self.stats.ignored += 1;
            return;
        };
        if !answers(tx, &reply) {
            self.stats.ignored += 1;
            return;
        }
        let Some(attempt) = self.take_attempt(txid, seq) else {
            return;
        };
        self.on_reply(now, txid, attempt, &reply);
    }

    /// An ICMP port (or protocol) unreachable came back about a UDP query
    /// sent from local port `source_port` to `server`: nothing listens
    /// there, so that try fails now instead of waiting out its timeout.
    /// The question goes to the next server at once (or the same one in a
    /// later round, as after a timeout); when the tries are spent it fails
    /// with [`ResolveError::Refused`]. Returns whether an outstanding query
    /// matched (errors about anything else are ignored).
    ///
    /// The error quotes only the query's UDP header, so the match is on
    /// server and source port, not query ID: an off-path attacker who can
    /// guess the random source port can make a try fail early, as it could
    /// make it time out by dropping packets. Host and network unreachable
    /// are not reason enough (they may be passing, RFC 1122 §4.2.3.9):
    /// leave those to the timeout.
    pub fn handle_udp_unreachable(
        &mut self,
        now: Instant,
        server: SocketAddr,
        source_port: u16,
    ) -> bool {
        let txids: Vec<u64> = self
            .udp
            .range((source_port, 0)..=(source_port, u16::MAX))
            .map(|(_, txid)| *txid)
            .collect();
        let mut hits: Vec<(u64, u32)> = Vec::new();
        for txid in txids {
            let Some(tx) = self.txs.get(&txid) else {
                continue;
            };
            for a in &tx.attempts {
                if a.addr == server && matches!(a.via, Via::Udp { port } if port == source_port) {
                    hits.push((txid, a.seq));
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        for &(txid, seq) in &hits {
            if self.take_attempt(txid, seq).is_some() {
                self.stats.unreachable += 1;
                self.attempt_failed(now, txid, seq, Some(Failure::Refused));
            }
        }
        !hits.is_empty()
    }

    /// Takes bytes read from TCP `stream`, in pieces of any size. Once the
    /// length-prefixed message is complete it is checked like a UDP answer.
    pub fn handle_tcp(&mut self, now: Instant, stream: StreamId, bytes: &[u8]) {
        let Some(&txid) = self.tcp.get(&stream.0) else {
            self.stats.ignored += 1;
            return;
        };
        let Some(tx) = self.txs.get_mut(&txid) else {
            return;
        };
        let Some(attempt) = tx
            .attempts
            .iter_mut()
            .find(|a| matches!(a.via, Via::Tcp { stream: s, .. } if s == stream.0))
        else {
            return;
        };
        let Via::Tcp { buf, .. } = &mut attempt.via else {
            return;
        };
        let Some(message) = buf.push(bytes) else {
            return;
        };
        let (seq, id) = (attempt.seq, attempt.id);
        let reply = codec::parse_reply(&message);
        let usable = match &reply {
            Some(reply) => reply.id == id && answers(tx, reply),
            None => {
                self.stats.malformed += 1;
                false
            }
        };
        let Some(attempt) = self.take_attempt(txid, seq) else {
            return;
        };
        match reply {
            Some(reply) if usable => self.on_reply(now, txid, attempt, &reply),
            _ => {
                // The connection carried something other than our answer:
                // it is spent, so this try failed.
                self.stats.ignored += 1;
                self.attempt_failed(now, txid, seq, None);
            }
        }
    }

    /// The TCP `stream` closed or failed before its answer was complete.
    pub fn handle_tcp_close(&mut self, now: Instant, stream: StreamId) {
        let Some(&txid) = self.tcp.get(&stream.0) else {
            return;
        };
        let seq = self.txs.get(&txid).and_then(|tx| {
            tx.attempts
                .iter()
                .find(|a| matches!(a.via, Via::Tcp { stream: s, .. } if s == stream.0))
                .map(|a| a.seq)
        });
        if let Some(seq) = seq {
            self.take_attempt(txid, seq);
            self.attempt_failed(now, txid, seq, None);
        }
    }

    /// Removes an attempt from its transaction and the indexes; a TCP
    /// stream is handed back to the caller to close.
    fn take_attempt(&mut self, txid: u64, seq: u32) -> Option<Attempt> {
        let tx = self.txs.get_mut(&txid)?;
        let position = tx.attempts.iter().position(|a| a.seq == seq)?;
        let attempt = tx.attempts.remove(position);
        self.unindex(txid, &attempt);
        Some(attempt)
    }

    fn unindex(&mut self, txid: u64, attempt: &Attempt) {
        match attempt.via {
            Via::Udp { port } => {
                if self.udp.get(&(port, attempt.id)) == Some(&txid) {
                    self.udp.remove(&(port, attempt.id));
                }
            }
            Via::Tcp { stream, .. } => {
                if self.tcp.remove(&stream).is_some() {
                    self.closes.push_back(StreamId(stream));
                }
            }
        }
    }

    fn drop_attempt_if_tcp(&mut self, txid: u64, seq: u32) {
        let is_tcp = self.txs.get(&txid).is_some_and(|tx| {
            tx.attempts
                .iter()
                .any(|a| a.seq == seq && matches!(a.via, Via::Tcp { .. }))
        });
        if is_tcp {
            self.take_attempt(txid, seq);
        }
    }

    /// An attempt failed outright. Only the running attempt moves the
    /// transaction on; an older one failing just leaves its error behind.
    fn attempt_failed(&mut self, now: Instant, txid: u64, seq: u32, failure: Option<Failure>) {
        let Some(tx) = self.txs.get_mut(&txid) else {
            return;
        };
        if let Some(failure) = failure {
            tx.last_error = Some(failure);
        }
        if tx.current == Some(seq) {
            self.next_try(now, txid);
        }
    }

    /// Spends one try and sends the next, or ends the transaction.
    fn next_try(&mut self, now: Instant, txid: u64) {
        let max = self.max_tries();
        let Some(tx) = self.txs.get_mut(&txid) else {
            return;
        };
        tx.tries = tx.tries.saturating_add(1);
        tx.current = None;
        if tx.tries < max {
            self.send_attempt(now, txid, None);
            return;
        }
        let failure = tx.last_error.clone().unwrap_or(Failure::TimedOut {
            tries: tx.tries,
            waited: now.saturating_duration_since(tx.started),
        });
        self.end_tx(now, txid, TxOutcome::Done(Err(failure)), None);
    }

    /// Drops a transaction and everything it has outstanding.
    fn drop_tx(&mut self, txid: u64) -> Option<Tx> {
        let mut tx = self.txs.remove(&txid)?;
        self.timers.cancel(txid);
        if tx.pending.is_some() {
            self.sends.retain(|queued| *queued != txid);
        }
        for attempt in core::mem::take(&mut tx.attempts) {
            self.unindex(txid, &attempt);
        }
        Some(tx)
    }

    /// Ends a transaction; `chain` is the part's CNAME chain as the answer
    /// extended it.
    fn end_tx(&mut self, now: Instant, txid: u64, outcome: TxOutcome, chain: Option<Vec<String>>) {
        let Some(tx) = self.drop_tx(txid) else {
            return;
        };
        let (handle, index) = (tx.lookup, tx.part);
        if let Some(part) = self.part_mut(handle, index) {
            part.tx = None;
            if let Some(chain) = chain {
                part.chain = chain;
            }
        }
        match outcome {
            TxOutcome::Done(result) => self.set_outcome(handle, index, result),
            TxOutcome::Follow => self.resolve_part(now, handle, index),
        }
        self.drive(now, handle);
    }

    fn on_reply(&mut self, now: Instant, txid: u64, attempt: Attempt, reply: &Reply) {
        self.stats.responses_accepted += 1;
        let is_tcp = matches!(attempt.via, Via::Tcp { .. });
        if reply.truncated && !is_tcp {
            // The full answer needs a stream: ask the same server over TCP
            // (RFC 7766 section 5), and keep doing so for this question.
            self.stats.truncated += 1;
            if let Some(tx) = self.txs.get_mut(&txid) {
                tx.tcp = true;
            }
            self.send_attempt(now, txid, Some(attempt.server));
            return;
        }
        match reply.rcode {
            Rcode::NOERROR | Rcode::NXDOMAIN => {}
            Rcode::FORMERR if attempt.edns => {
                // An old server that does not know EDNS (RFC 6891 section
                // 7): ask it again without, and remember.
                self.stats.edns_fallbacks += 1;
                if let Some(state) = self.servers.get_mut(attempt.server) {
                    state.edns = false;
                }
                self.send_attempt(now, txid, Some(attempt.server));
                return;
            }
            rcode => {
                let failure = match rcode {
                    Rcode::SERVFAIL => Failure::ServFail,
                    Rcode::REFUSED => Failure::Refused,
                    other => Failure::Rcode(other),
                };
                self.attempt_failed(now, txid, attempt.seq, Some(failure));
                return;
            }
        }
        let Some(tx) = self.txs.get(&txid) else {
            return;
        };
        let qtype = tx.qtype;
        let chain = self
            .lookups
            .get(&tx.lookup)
            .and_then(|l| l.parts.get(tx.part))
            .map_or_else(|| std::vec![tx.qname.clone()], |p| p.chain.clone());
        let (outcome, chain) = self.interpret(now, chain, qtype, reply);
        self.end_tx(now, txid, outcome, Some(chain));
    }

    /// Reads an answer (NOERROR or NXDOMAIN) to `qname`/`qtype`: follows
    /// the CNAME chain inside it, caches what it learns, and says whether
    /// the question is settled.
    /// `chain` is the part's chain so far, ending with the name asked
    /// about; it comes back extended by the aliases the answer followed.
    fn interpret(
        &mut self,
        now: Instant,
        mut chain: Vec<String>,
        qtype: RecordType,
        reply: &Reply,
    ) -> (TxOutcome, Vec<String>) {
        let limit = usize::from(self.config.max_cname_chain);
        let mut owner = chain.last().cloned().unwrap_or_default();
        let mut followed = false;
        loop {
            let found: Vec<Record> = reply
                .answers
                .iter()
                .filter(|r| r.class == Class::IN && r.rtype == qtype && name::same(&r.name, &owner))
                .cloned()
                .collect();
            if !found.is_empty() {
                self.cache_records(now, &owner, qtype, &found);
                let capped = cap_ttls(found, self.config.max_ttl);
                return (TxOutcome::Done(Ok(capped)), chain);
            }
            let alias = reply.answers.iter().find(|r| {
                r.class == Class::IN && r.rtype == RecordType::CNAME && name::same(&r.name, &owner)
            });
            let Some(alias) = alias else {
                break;
            };
            let RecordData::Cname(target) = &alias.data else {
                break;
            };
            let target = target.clone();
            if name::check(&target).is_err() {
                // An alias we could not even ask about (and do not cache).
                return (TxOutcome::Done(Err(Failure::ServFail)), chain);
            }
            self.cache_records(now, &owner, RecordType::CNAME, core::slice::from_ref(alias));
            if chain.iter().any(|n| name::same(n, &target)) {
                return (TxOutcome::Done(Err(Failure::CnameLoop(target))), chain);
            }
            if chain.len() > limit {
                return (TxOutcome::Done(Err(Failure::CnameChainTooLong)), chain);
            }
            chain.push(target.clone());
            owner = target;
            followed = true;
        }
        if followed && reply.rcode == Rcode::NOERROR && reply.negative_ttl.is_none() {
            // The server gave the alias but not what it points to: ask.
            return (TxOutcome::Follow, chain);
        }
        let (failure, slot) = if reply.rcode == Rcode::NXDOMAIN {
            (Failure::NxDomain, Slot::NxDomain)
        } else {
            (Failure::NoData, Slot::Type(qtype.0))
        };
        // Without an SOA there is no TTL for the denial (RFC 2308 section
        // 5): it is not cached.
        if let Some(ttl) = reply.negative_ttl {
            let ttl = Duration::from_secs(u64::from(ttl)).min(self.config.max_negative_ttl);
            self.cache
                .insert(now, CacheKey::new(&owner, slot), Cached::Negative, ttl);
        }
        (TxOutcome::Done(Err(failure)), chain)
    }

    fn cache_records(&mut self, now: Instant, owner: &str, rtype: RecordType, records: &[Record]) {
        let Some(ttl) = records.iter().map(|r| r.ttl).min() else {
            return;
        };
        let ttl = Duration::from_secs(u64::from(ttl)).min(self.config.max_ttl);
        self.cache.remove(&CacheKey::new(owner, Slot::NxDomain));
        self.cache.insert(
            now,
            CacheKey::new(owner, Slot::Type(rtype.0)),
            Cached::Records(records.to_vec()),
            ttl,
        );
    }
}

/// Whether `reply` is a response to `tx`'s question (QR set, standard
/// query, the same name ignoring case, type and class).
fn answers(tx: &Tx, reply: &Reply) -> bool {
    reply.response
        && reply.opcode == Opcode::QUERY
        && reply
            .question
            .as_ref()
            .is_some_and(|(qname, qtype, qclass)| {
                *qtype == tx.qtype && *qclass == Class::IN && name::same(qname, &tx.qname)
            })
}

fn with_ttl(records: &[Record], left: Duration) -> Vec<Record> {
    let secs = u32::try_from(left.total_micros() / 1_000_000).unwrap_or(u32::MAX);
    records
        .iter()
        .map(|r| Record {
            ttl: secs,
            ..r.clone()
        })
        .collect()
}

fn cap_ttls(records: Vec<Record>, max: Duration) -> Vec<Record> {
    let max = u32::try_from(max.total_micros() / 1_000_000).unwrap_or(u32::MAX);
    records
        .into_iter()
        .map(|r| Record {
            ttl: r.ttl.min(max),
            ..r
        })
        .collect()
}

enum Verdict {
    Answer(Answer),
    Stop(Failure),
    Next { nodata: bool },
}

/// Decides a candidate once all its questions are settled.
fn evaluate(lookup: &Lookup) -> Verdict {
    let candidate = lookup
        .parts
        .first()
        .and_then(|p| p.chain.first())
        .cloned()
        .unwrap_or_default();
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let mut canonical = None;
    for part in &lookup.parts {
        match &part.outcome {
            Some(Ok(found)) => {
                if canonical.is_none() {
                    canonical = Some(String::from(part.current_name()));
                }
                records.extend(found.iter().cloned());
            }
            Some(Err(failure)) => failures.push(failure.clone()),
            None => {}
        }
    }
    if !records.is_empty() {
        let addresses = records
            .iter()
            .filter_map(|r| match r.data {
                RecordData::A(a) => Some(IpAddr::V4(a)),
                RecordData::Aaaa(a) => Some(IpAddr::V6(a)),
                _ => None,
            })
            .collect();
        let source = if lookup.parts.iter().any(|p| p.network) {
            Source::Network
        } else {
            Source::Cache
        };
        return Verdict::Answer(Answer {
            canonical_name: canonical.unwrap_or_else(|| candidate.clone()),
            name: candidate,
            addresses,
            records,
            source,
        });
    }
    if failures.contains(&Failure::NxDomain) {
        return Verdict::Next { nodata: false };
    }
    match failures.iter().find(|f| !f.continues_search()) {
        Some(failure) => Verdict::Stop(failure.clone()),
        None => Verdict::Next { nodata: true },
    }
}
