//! Drives a resolver with an arbitrary sequence of operations (lookups,
//! answers built from the queries it sent with arbitrary flags, codes and
//! records, raw bytes over UDP and TCP, cut streams, time passing,
//! cancellations) and checks its invariants:
//!
//! - nothing panics;
//! - every event names a lookup that is pending: never an unknown,
//!   cancelled or already finished one, so no lookup gets two events;
//! - a successful address lookup has addresses, any success has records;
//! - a reply from the wrong server, port or local port is never used;
//! - once time runs past every deadline, every lookup has had its event and
//!   the resolver holds nothing.
//!
//! The fuzz target `dns_resolver` mounts this file as a module
//! (`#[path = ...] mod driver;`), so the same driver runs under libFuzzer
//! there and over seeded random inputs in `cargo test` here.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use arbitrary::{Arbitrary, Unstructured};
use strata_core::rand::SplitMix64;
use strata_core::time::{Duration, Instant};
use strata_dns::resolver::{Config, Hosts, LookupKind, QueryHandle, Resolver, Transmit, Transport};
use strata_dns::wire::{
    Builder, Class, Edns, Flags, Message, Mx, NameBuf, RData, Rcode, RecordType, Section, Soa,
};

/// Names lookups and records draw from: short, search-list, absolute,
/// aliases of each other, and one from the hosts table.
const NAMES: [&str; 10] = [
    "a.test",
    "b.test",
    "www.example.com",
    "x",
    "x.corp",
    "x.test",
    "mail.test.",
    "cdn.test",
    "printer",
    "A.TEST",
];

const SERVERS: [&str; 2] = ["198.18.0.1:53", "198.18.0.2:53"];

#[derive(Arbitrary, Debug)]
enum Kind {
    Addresses,
    A,
    Aaaa,
    Mx,
    Txt,
    Cname,
}

#[derive(Arbitrary, Debug)]
enum Data {
    A([u8; 4]),
    Aaaa([u8; 16]),
    Cname(u8),
    Mx(u16, u8),
    Txt(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Rr {
    /// Below 128: the question's name; otherwise a name from `NAMES`.
    owner: u8,
    ttl: u32,
    data: Data,
}

/// How a reply is made. Most bytes make a proper reply, so that random
/// inputs reach deep states; a few spoil it in one way.
#[derive(Arbitrary, Debug)]
struct ReplySpec {
    /// Below 160: a proper reply. Otherwise, by `shape % 8`: 0 wrong ID,
    /// 1 QR clear, 2 question in other case (still proper), 3 another name,
    /// 4 another type, 5 no question, 6 extra header flags, 7 AA set.
    shape: u8,
    /// Mostly NOERROR, then NXDOMAIN, SERVFAIL, FORMERR, REFUSED, others;
    /// the top two bits both set add TC.
    rcode: u8,
    answers: Vec<Rr>,
    /// An authority SOA: TTL and MINIMUM.
    soa: Option<(u32, u32)>,
    /// An OPT record carrying these upper RCODE bits.
    edns: Option<u8>,
    extra: u16,
}

impl ReplySpec {
    fn rcode(&self) -> Rcode {
        match self.rcode & 0x3f {
            0..=39 => Rcode::NOERROR,
            40..=49 => Rcode::NXDOMAIN,
            50..=53 => Rcode::SERVFAIL,
            54..=55 => Rcode::FORMERR,
            56..=57 => Rcode::REFUSED,
            other => Rcode(u16::from(other % 16)),
        }
    }

    fn spoil(&self) -> Option<u8> {
        (self.shape >= 160).then_some(self.shape % 8)
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Lookup {
        name: u8,
        kind: Kind,
    },
    /// Answers the `to`-th query sent (modulo), over its own transport.
    Reply {
        to: u8,
        spec: ReplySpec,
    },
    /// A reply delivered from the wrong address, port or local port.
    Misdirected {
        to: u8,
        how: u8,
        spec: ReplySpec,
    },
    /// A TCP reply cut into pieces of `piece` bytes (at least one).
    TcpPieces {
        to: u8,
        piece: u8,
        spec: ReplySpec,
    },
    RawUdp {
        to: u8,
        bytes: Vec<u8>,
    },
    RawTcp {
        to: u8,
        bytes: Vec<u8>,
    },
    TcpClose {
        to: u8,
    },
    Advance {
        millis: u16,
    },
    FireTimer,
    Cancel {
        which: u8,
    },
    /// An ICMP port unreachable about the `to`-th query (if it went over
    /// UDP); with `wrong`, about another server or source port.
    Unreachable {
        to: u8,
        wrong: u8,
    },
}

struct Driver {
    r: Resolver<SplitMix64>,
    now: Instant,
    sent: Vec<Transmit>,
    pending: BTreeSet<QueryHandle>,
    handles: Vec<(QueryHandle, bool)>,
}

fn pick<T>(items: &[T], index: u8) -> Option<&T> {
    if items.is_empty() {
        return None;
    }
    items.get(usize::from(index) % items.len())
}

/// Mostly one of the last few items (the queries still waiting), at
/// times any.
fn pick_recent<T>(items: &[T], index: u8) -> Option<&T> {
    if index >= 192 {
        return pick(items, index);
    }
    let window = items.len().min(4);
    let back = usize::from(index) % window.max(1);
    items.len().checked_sub(1 + back).and_then(|i| items.get(i))
}

fn name_buf(index: u8) -> NameBuf {
    let text = pick(&NAMES, index).copied().unwrap_or("a.test");
    text.parse().unwrap_or_default()
}

fn kind_of(kind: &Kind) -> LookupKind {
    match kind {
        Kind::Addresses => LookupKind::Addresses,
        Kind::A => LookupKind::Record(RecordType::A),
        Kind::Aaaa => LookupKind::Record(RecordType::AAAA),
        Kind::Mx => LookupKind::Record(RecordType::MX),
        Kind::Txt => LookupKind::Record(RecordType::TXT),
        Kind::Cname => LookupKind::Record(RecordType::CNAME),
    }
}

fn message_of(t: &Transmit) -> &[u8] {
    match t.transport {
        Transport::Udp { .. } => &t.payload,
        Transport::Tcp { .. } => t.payload.get(2..).unwrap_or(&[]),
    }
}

/// Builds a reply to `query` as `spec` says; `None` if the query does not
/// parse (it always should) or nothing fits.
fn build_reply(query: &Transmit, spec: &ReplySpec) -> Option<Vec<u8>> {
    let msg = Message::parse(message_of(query)).ok()?;
    let q = msg.question()?;
    let asked = q.name().to_name_buf();
    let spoil = spec.spoil();
    let mut flags = Flags::QUERY
        .with_response(spoil != Some(1))
        .with_recursion_available(true)
        .with_truncated(spec.rcode >= 0xc0)
        .with_authoritative(spoil == Some(7))
        .with_rcode(spec.rcode());
    if spoil == Some(6) {
        flags = Flags(flags.0 | (spec.extra & 0x7ff0));
    }
    let id = if spoil == Some(0) {
        msg.id() ^ spec.extra.max(1)
    } else {
        msg.id()
    };
    let mut buf = vec![0u8; 4096];
    let mut b = Builder::new(&mut buf, id, flags).ok()?;
    let upper = asked.to_string().to_ascii_uppercase();
    let upper: NameBuf = upper.parse().unwrap_or_else(|_| asked.clone());
    match spoil {
        Some(2) => b.question(upper.as_name(), q.qtype(), q.qclass()).ok()?,
        Some(3) => b
            .question(name_buf(spec.rcode).as_name(), q.qtype(), q.qclass())
            .ok()?,
        Some(4) => b
            .question(asked.as_name(), RecordType(q.qtype().0 ^ 1), q.qclass())
            .ok()?,
        Some(5) => {}
        _ => b.question(asked.as_name(), q.qtype(), q.qclass()).ok()?,
    }
    for rr in spec.answers.iter().take(24) {
        let owner = if rr.owner < 128 {
            asked.clone()
        } else {
            name_buf(rr.owner)
        };
        let target = match rr.data {
            Data::Cname(t) | Data::Mx(_, t) => name_buf(t),
            _ => NameBuf::default(),
        };
        let txt;
        let data = match &rr.data {
            Data::A(a) => RData::A((*a).into()),
            Data::Aaaa(a) => RData::Aaaa((*a).into()),
            Data::Cname(_) => RData::Cname(target.as_name()),
            Data::Mx(preference, _) => RData::Mx(Mx {
                preference: *preference,
                exchange: target.as_name(),
            }),
            Data::Txt(bytes) => {
                let mut wire = Vec::with_capacity(bytes.len().min(255) + 1);
                let len = bytes.len().min(255);
                wire.push(u8::try_from(len).unwrap_or(255));
                wire.extend_from_slice(bytes.get(..len).unwrap_or(&[]));
                txt = wire;
                match strata_dns::wire::Txt::from_wire(&txt) {
                    Ok(t) => RData::Txt(t),
                    Err(_) => continue,
                }
            }
        };
        // A record that does not fit is left out.
        let _ = b.answer(owner.as_name(), Class::IN, rr.ttl, &data);
    }
    if let Some((ttl, minimum)) = spec.soa {
        let mname = name_buf(1);
        let soa = RData::Soa(Soa {
            mname: mname.as_name(),
            rname: mname.as_name(),
            serial: 1,
            refresh: 1,
            retry: 1,
            expire: 1,
            minimum,
        });
        let zone: NameBuf = "test".parse().unwrap_or_default();
        let _ = b.record(Section::Authority, zone.as_name(), Class::IN, ttl, &soa);
    }
    if let Some(high) = spec.edns {
        let mut edns = Edns::new(1232);
        edns.extended_rcode = high;
        let _ = b.edns(&edns);
    }
    Some(b.finish().to_vec())
}

fn frame(message: &[u8]) -> Vec<u8> {
    let len = u16::try_from(message.len()).unwrap_or(u16::MAX);
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(message);
    out
}

impl Driver {
    fn new() -> Self {
        let mut config = Config::default();
        config.nameservers = SERVERS.iter().filter_map(|s| s.parse().ok()).collect();
        config.search = vec!["corp".into(), "test".into()];
        config.ndots = 1;
        config.timeout = Duration::from_millis(500);
        config.attempts = 2;
        config.cache_size = 4;
        config.max_lookups = 8;
        config.max_cname_chain = 3;
        config.hosts = Hosts::parse_lossy("198.18.9.9 printer\n2001:db8::9 printer\n");
        Driver {
            r: Resolver::new(config, SplitMix64::new(0xf022)),
            now: Instant::ZERO,
            sent: Vec::new(),
            pending: BTreeSet::new(),
            handles: Vec::new(),
        }
    }

    fn collect(&mut self) {
        while let Some(t) = self.r.poll_transmit(self.now) {
            if let Transport::Udp { source_port } = t.transport {
                assert!(source_port >= 49152, "port from the ephemeral range");
            }
            assert!(SERVERS.iter().any(|s| s.parse() == Ok(t.server)));
            if self.sent.len() >= 64 {
                self.sent.remove(0);
            }
            self.sent.push(t);
        }
        while self.r.poll_close().is_some() {}
        while let Some(event) = self.r.poll_event() {
            assert!(
                self.pending.remove(&event.query),
                "event for a lookup that is not pending: {event:?}"
            );
            if let Ok(answer) = &event.result {
                assert!(!answer.records.is_empty(), "a success has records");
                let kind = self
                    .handles
                    .iter()
                    .find(|(h, _)| *h == event.query)
                    .map(|(_, addresses)| *addresses);
                if kind == Some(true) {
                    assert!(!answer.addresses.is_empty(), "addresses found");
                }
            }
        }
        let stats = self.r.stats();
        assert!(stats.responses_accepted <= stats.queries_sent);
        assert!(stats.malformed <= stats.ignored);
    }

    fn deliver(&mut self, to: &Transmit, from: SocketAddr, port_delta: u16, bytes: &[u8]) {
        match to.transport {
            Transport::Udp { source_port } => {
                self.r
                    .handle_udp(self.now, from, source_port.wrapping_add(port_delta), bytes);
            }
            Transport::Tcp { stream } => self.r.handle_tcp(self.now, stream, &frame(bytes)),
        }
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Lookup { name, kind } => {
                let text = pick(&NAMES, *name).copied().unwrap_or("a.test");
                let kind = kind_of(kind);
                if let Ok(handle) = self.r.lookup(self.now, text, kind) {
                    assert!(self.pending.insert(handle), "handles are unique");
                    if self.handles.len() >= 64 {
                        self.handles.remove(0);
                    }
                    self.handles.push((handle, kind == LookupKind::Addresses));
                }
            }
            Op::Reply { to, spec } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Some(reply) = build_reply(&t, spec)
                {
                    self.deliver(&t, t.server, 0, &reply);
                }
            }
            Op::Misdirected { to, how, spec } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Some(reply) = build_reply(&t, spec)
                {
                    let (from, delta) = match how % 3 {
                        0 => (SocketAddr::new(IpAddr::from([198, 18, 0, 66]), 53), 0),
                        1 => (SocketAddr::new(t.server.ip(), 5353), 0),
                        _ => (t.server, 1),
                    };
                    if matches!(t.transport, Transport::Udp { .. }) {
                        let ignored = self.r.stats().ignored;
                        self.deliver(&t, from, delta, &reply);
                        assert_eq!(
                            self.r.stats().ignored,
                            ignored + 1,
                            "misdirected reply used"
                        );
                    }
                }
            }
            Op::TcpPieces { to, piece, spec } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Transport::Tcp { stream } = t.transport
                    && let Some(reply) = build_reply(&t, spec)
                {
                    for chunk in frame(&reply).chunks(usize::from(*piece).max(1)) {
                        self.r.handle_tcp(self.now, stream, chunk);
                    }
                }
            }
            Op::RawUdp { to, bytes } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned() {
                    let mut bytes = bytes.clone();
                    // Give the bytes the query's ID half the time.
                    if let (Some(id), Some(head)) = (t.payload.get(..2), bytes.get_mut(..2))
                        && head.first().is_some_and(|b| b & 1 == 0)
                    {
                        head.copy_from_slice(id);
                    }
                    if let Transport::Udp { source_port } = t.transport {
                        self.r.handle_udp(self.now, t.server, source_port, &bytes);
                    }
                }
            }
            Op::RawTcp { to, bytes } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Transport::Tcp { stream } = t.transport
                {
                    self.r.handle_tcp(self.now, stream, bytes);
                }
            }
            Op::TcpClose { to } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Transport::Tcp { stream } = t.transport
                {
                    self.r.handle_tcp_close(self.now, stream);
                }
            }
            Op::Advance { millis } => {
                self.now += Duration::from_millis(u64::from(*millis));
                self.r.handle_timeout(self.now);
            }
            Op::FireTimer => {
                if let Some(at) = self.r.poll_timeout() {
                    self.now = self.now.max(at);
                    self.r.handle_timeout(self.now);
                }
            }
            Op::Unreachable { to, wrong } => {
                if let Some(t) = pick_recent(&self.sent, *to).cloned()
                    && let Transport::Udp { source_port } = t.transport
                {
                    let (server, port) = match wrong % 4 {
                        1 => (
                            SocketAddr::new(IpAddr::from([198, 18, 0, 66]), 53),
                            source_port,
                        ),
                        2 => (t.server, source_port.wrapping_add(1)),
                        _ => (t.server, source_port),
                    };
                    let waiting = self.r.wants_port(port);
                    let hit = self.r.handle_udp_unreachable(self.now, server, port);
                    assert!(!hit || waiting, "an error matched a port nobody waits on");
                    if server != t.server {
                        assert!(!hit, "an error from another server was used");
                    }
                }
            }
            Op::Cancel { which } => {
                if let Some((handle, _)) = pick(&self.handles, *which).copied() {
                    let was_pending = self.pending.contains(&handle);
                    assert_eq!(self.r.cancel(handle), was_pending);
                    self.pending.remove(&handle);
                }
            }
        }
        self.collect();
    }

    /// Lets time run out: every lookup must end.
    fn finish(&mut self) {
        self.collect();
        for _ in 0..10_000 {
            let Some(at) = self.r.poll_timeout() else {
                break;
            };
            assert!(
                !self.pending.is_empty() || self.r.pending_lookups() > 0,
                "a timer with nothing pending"
            );
            self.now = self.now.max(at);
            self.r.handle_timeout(self.now);
            self.collect();
        }
        assert_eq!(self.r.poll_timeout(), None, "timers keep firing");
        assert!(
            self.pending.is_empty(),
            "lookups without an event: {:?}",
            self.pending
        );
        assert_eq!(self.r.pending_lookups(), 0);
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut driver = Driver::new();
    for _ in 0..64 {
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        driver.step(&op);
    }
    driver.finish();
}

#[cfg(test)]
mod seeded {
    use strata_core::rand::RandomSource;

    /// Seeded random inputs: what the fuzzer does, briefly, in `cargo test`.
    #[test]
    fn random_operation_sequences_keep_the_invariants() {
        let mut rng = strata_core::rand::SplitMix64::new(2026);
        for _ in 0..3000 {
            let len = usize::try_from(rng.below(4096)).unwrap_or(0);
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            super::run(&data);
        }
    }
}
