//! Resolver conversations under simulated time. The tests play the name
//! servers: they read the resolver's queries with the codec and build the
//! answers with its builder.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use strata_core::rand::SplitMix64;
use strata_core::time::{Duration, Instant};
use strata_dns::resolver::{
    Answer, Config, Event, Hosts, LookupKind, QueryHandle, RecordData, ResolveError, Resolver,
    Source, Transmit, Transport,
};
use strata_dns::wire::{
    Builder, Class, Flags, Message, NameBuf, RData, Rcode, RecordType, Section, Soa,
};

const S1: &str = "198.18.0.1:53";
const S2: &str = "198.18.0.2:53";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

fn config(servers: &[&str]) -> Config {
    let mut config = Config::default();
    config.nameservers = servers.iter().map(|s| addr(s)).collect();
    config.timeout = Duration::from_secs(1);
    config.attempts = 2;
    config
}

/// A resolver, the simulated clock, and what it sent.
struct Sim {
    r: Resolver<SplitMix64>,
    now: Instant,
}

impl Sim {
    fn new(config: Config) -> Self {
        Sim {
            r: Resolver::new(config, SplitMix64::new(0x5eed)),
            now: Instant::ZERO,
        }
    }

    fn lookup(&mut self, name: &str, kind: LookupKind) -> QueryHandle {
        self.r.lookup(self.now, name, kind).unwrap()
    }

    fn sends(&mut self) -> Vec<Transmit> {
        let mut out = Vec::new();
        while let Some(t) = self.r.poll_transmit(self.now) {
            out.push(t);
        }
        out
    }

    fn one_send(&mut self) -> Transmit {
        let mut sends = self.sends();
        assert_eq!(sends.len(), 1, "expected one query, got {sends:?}");
        sends.pop().unwrap()
    }

    fn events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = self.r.poll_event() {
            out.push(e);
        }
        out
    }

    fn one_event(&mut self, query: QueryHandle) -> Result<Answer, ResolveError> {
        let mut events = self.events();
        assert_eq!(events.len(), 1, "expected one event, got {events:?}");
        let event = events.pop().unwrap();
        assert_eq!(event.query, query);
        event.result
    }

    /// Advances the clock to the next deadline and runs the timers.
    fn fire(&mut self) {
        let at = self.r.poll_timeout().expect("a timer is armed");
        assert!(at >= self.now);
        self.now = at;
        self.r.handle_timeout(self.now);
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.r.handle_timeout(self.now);
    }

    /// Delivers `reply` the way `query` went: a UDP datagram from the server
    /// to the query's source port, or the framed message on its stream.
    fn deliver(&mut self, query: &Transmit, reply: &[u8]) {
        match query.transport {
            Transport::Udp { source_port } => {
                self.r
                    .handle_udp(self.now, query.server, source_port, reply);
            }
            Transport::Tcp { stream } => {
                let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(reply);
                self.r.handle_tcp(self.now, stream, &framed);
            }
        }
    }
}

/// What a query asked.
struct Asked {
    id: u16,
    name: String,
    qtype: RecordType,
    edns: Option<u16>,
}

fn message_bytes(t: &Transmit) -> &[u8] {
    match t.transport {
        Transport::Udp { .. } => &t.payload,
        Transport::Tcp { .. } => {
            let len = u16::from_be_bytes([t.payload[0], t.payload[1]]) as usize;
            assert_eq!(len + 2, t.payload.len(), "TCP payload is length-prefixed");
            &t.payload[2..]
        }
    }
}

fn asked(t: &Transmit) -> Asked {
    let msg = Message::parse(message_bytes(t)).unwrap();
    assert!(!msg.is_response());
    assert!(msg.flags().recursion_desired());
    assert_eq!(msg.question_count(), 1);
    let q = msg.question().unwrap();
    assert_eq!(q.qclass(), Class::IN);
    Asked {
        id: msg.id(),
        name: q.name().to_string(),
        qtype: q.qtype(),
        edns: msg.edns().map(|e| e.udp_payload_size),
    }
}

fn name(text: &str) -> NameBuf {
    text.parse().unwrap()
}

/// Server-side records.
enum Rr {
    A(&'static str, u32, Ipv4Addr),
    Aaaa(&'static str, u32, Ipv6Addr),
    Cname(&'static str, u32, &'static str),
    Mx(&'static str, u32, u16, &'static str),
    /// Authority SOA: zone, TTL, MINIMUM.
    Soa(&'static str, u32, u32),
}

fn write(b: &mut Builder<'_>, rr: &Rr) {
    match *rr {
        Rr::A(owner, ttl, a) => {
            b.answer(name(owner).as_name(), Class::IN, ttl, &RData::A(a))
                .unwrap();
        }
        Rr::Aaaa(owner, ttl, a) => {
            b.answer(name(owner).as_name(), Class::IN, ttl, &RData::Aaaa(a))
                .unwrap();
        }
        Rr::Cname(owner, ttl, target) => {
            let target = name(target);
            b.answer(
                name(owner).as_name(),
                Class::IN,
                ttl,
                &RData::Cname(target.as_name()),
            )
            .unwrap();
        }
        Rr::Mx(owner, ttl, preference, exchange) => {
            let exchange = name(exchange);
            b.answer(
                name(owner).as_name(),
                Class::IN,
                ttl,
                &RData::Mx(strata_dns::wire::Mx {
                    preference,
                    exchange: exchange.as_name(),
                }),
            )
            .unwrap();
        }
        Rr::Soa(zone, ttl, minimum) => {
            let mname = name("ns.test");
            let rname = name("hostmaster.test");
            b.record(
                Section::Authority,
                name(zone).as_name(),
                Class::IN,
                ttl,
                &RData::Soa(Soa {
                    mname: mname.as_name(),
                    rname: rname.as_name(),
                    serial: 1,
                    refresh: 3600,
                    retry: 600,
                    expire: 86400,
                    minimum,
                }),
            )
            .unwrap();
        }
    }
}

/// A response to `query`: its ID and question, `rcode`, `records`.
fn respond_with(query: &Transmit, flags: Flags, records: &[Rr]) -> Vec<u8> {
    let msg = Message::parse(message_bytes(query)).unwrap();
    let q = msg.question().unwrap();
    let mut buf = vec![0u8; 4096];
    let mut b = Builder::new(&mut buf, msg.id(), flags).unwrap();
    b.question(q.name(), q.qtype(), q.qclass()).unwrap();
    for rr in records {
        write(&mut b, rr);
    }
    b.finish().to_vec()
}

fn ok_flags(rcode: Rcode) -> Flags {
    Flags::QUERY
        .with_response(true)
        .with_recursion_available(true)
        .with_rcode(rcode)
}

fn respond(query: &Transmit, rcode: Rcode, records: &[Rr]) -> Vec<u8> {
    respond_with(query, ok_flags(rcode), records)
}

/// Answers `query` with records filtered to the type it asked for.
fn answer_all(query: &Transmit, records: &[Rr]) -> Vec<u8> {
    let q = asked(query);
    let wanted: Vec<&Rr> = records
        .iter()
        .filter(|rr| match rr {
            Rr::A(..) => q.qtype == RecordType::A,
            Rr::Aaaa(..) => q.qtype == RecordType::AAAA,
            _ => true,
        })
        .collect();
    let msg = Message::parse(message_bytes(query)).unwrap();
    let qq = msg.question().unwrap();
    let mut buf = vec![0u8; 4096];
    let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
    b.question(qq.name(), qq.qtype(), qq.qclass()).unwrap();
    for rr in wanted {
        write(&mut b, rr);
    }
    b.finish().to_vec()
}

const A1: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const A2: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

#[test]
fn addresses_ask_a_and_aaaa_and_list_ipv4_first() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("www.example.com", LookupKind::Addresses);
    let sends = sim.sends();
    assert_eq!(sends.len(), 2);
    let (a, aaaa) = (&sends[0], &sends[1]);
    assert_eq!(asked(a).qtype, RecordType::A);
    assert_eq!(asked(aaaa).qtype, RecordType::AAAA);
    assert_eq!(asked(a).name, "www.example.com");
    // EDNS0 with a 1232-byte payload; fresh IDs and ports from the range.
    assert_eq!(asked(a).edns, Some(1232));
    assert_ne!(asked(a).id, asked(aaaa).id);
    for t in &sends {
        assert_eq!(t.server, addr(S1));
        let Transport::Udp { source_port } = t.transport else {
            panic!("UDP first")
        };
        assert!(source_port >= 49152);
        assert!(sim.r.wants_port(source_port));
    }
    let records = [
        Rr::A("www.example.com", 300, A1),
        Rr::A("www.example.com", 300, A2),
        Rr::Aaaa("www.example.com", 300, V6),
    ];
    // The AAAA answer arrives first; the order of the result does not care.
    sim.deliver(aaaa, &answer_all(aaaa, &records));
    assert!(sim.events().is_empty());
    sim.deliver(a, &answer_all(a, &records));
    let answer = sim.one_event(q).unwrap();
    assert_eq!(
        answer.addresses,
        vec![IpAddr::V4(A1), IpAddr::V4(A2), IpAddr::V6(V6)]
    );
    assert_eq!(answer.name, "www.example.com");
    assert_eq!(answer.canonical_name, "www.example.com");
    assert_eq!(answer.source, Source::Network);
    assert_eq!(answer.records.len(), 3);
    assert_eq!(answer.records[0].ttl, 300);
    assert_eq!(sim.r.poll_timeout(), None);
    assert_eq!(sim.r.pending_lookups(), 0);
    let Transport::Udp { source_port } = a.transport else {
        unreachable!()
    };
    assert!(!sim.r.wants_port(source_port));
    let stats = sim.r.stats();
    assert_eq!(
        (stats.queries_sent, stats.responses_accepted, stats.ignored),
        (2, 2, 0)
    );
}

#[test]
fn lost_answer_is_retried_then_succeeds() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("lost.test.", LookupKind::Record(RecordType::A));
    let first = sim.one_send();
    // The answer is lost. One second later the query goes out again, with a
    // new ID.
    assert_eq!(sim.r.poll_timeout(), Some(Instant::from_millis(1000)));
    sim.fire();
    let second = sim.one_send();
    assert_ne!(asked(&first).id, asked(&second).id);
    assert_eq!(second.server, addr(S1));
    sim.advance(Duration::from_millis(300));
    sim.deliver(
        &second,
        &respond(&second, Rcode::NOERROR, &[Rr::A("lost.test", 60, A1)]),
    );
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
    assert_eq!(sim.r.stats().timeouts, 1);
}

#[test]
fn late_answer_after_retry_wins_and_the_other_is_ignored() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("late.test.", LookupKind::Record(RecordType::A));
    let to_s1 = sim.one_send();
    sim.fire();
    let to_s2 = sim.one_send();
    assert_eq!(to_s2.server, addr(S2));
    // S1's answer arrives after the retry went to S2: it is still valid.
    sim.deliver(
        &to_s1,
        &respond(&to_s1, Rcode::NOERROR, &[Rr::A("late.test", 60, A1)]),
    );
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
    // S2's answer comes too late: ignored, no second event.
    sim.deliver(
        &to_s2,
        &respond(&to_s2, Rcode::NOERROR, &[Rr::A("late.test", 60, A2)]),
    );
    assert!(sim.events().is_empty());
    assert_eq!(sim.r.stats().ignored, 1);
    assert_eq!(sim.r.poll_timeout(), None);
}

#[test]
fn duplicated_answer_is_used_once() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("dup.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    let reply = respond(&t, Rcode::NOERROR, &[Rr::A("dup.test", 60, A1)]);
    sim.deliver(&t, &reply);
    sim.deliver(&t, &reply);
    assert!(sim.one_event(q).is_ok());
    assert_eq!(sim.r.stats().ignored, 1);
    assert_eq!(sim.r.stats().responses_accepted, 1);
}

#[test]
fn spoofed_answers_are_ignored_and_the_real_one_accepted() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("bank.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    let Transport::Udp { source_port } = t.transport else {
        unreachable!()
    };
    let evil = [Rr::A("bank.test", 86400, Ipv4Addr::new(203, 0, 113, 66))];
    let good = respond(&t, Rcode::NOERROR, &[Rr::A("bank.test", 60, A1)]);
    let now = sim.now;

    // Wrong ID.
    let mut wrong_id = respond(&t, Rcode::NOERROR, &evil);
    wrong_id[0] ^= 0x5a;
    sim.r.handle_udp(now, t.server, source_port, &wrong_id);
    // Wrong question name, right ID.
    let other = {
        let msg = Message::parse(&t.payload[..]).unwrap();
        let mut buf = vec![0u8; 512];
        let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
        b.question(name("bank.test.evil").as_name(), RecordType::A, Class::IN)
            .unwrap();
        b.finish().to_vec()
    };
    sim.r.handle_udp(now, t.server, source_port, &other);
    // Wrong question type, right ID.
    let wrong_type = {
        let msg = Message::parse(&t.payload[..]).unwrap();
        let mut buf = vec![0u8; 512];
        let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
        b.question(name("bank.test").as_name(), RecordType::AAAA, Class::IN)
            .unwrap();
        b.finish().to_vec()
    };
    sim.r.handle_udp(now, t.server, source_port, &wrong_type);
    let spoof = respond(&t, Rcode::NOERROR, &evil);
    // Wrong server address, wrong server port, wrong local port.
    sim.r
        .handle_udp(now, addr("198.18.0.99:53"), source_port, &spoof);
    sim.r
        .handle_udp(now, addr("198.18.0.1:5353"), source_port, &spoof);
    sim.r
        .handle_udp(now, t.server, source_port.wrapping_add(1), &spoof);
    // Not a response (QR clear).
    let not_response = respond_with(&t, Flags::QUERY, &evil);
    sim.r.handle_udp(now, t.server, source_port, &not_response);
    // Garbage, and a cut-off message with the right ID.
    sim.r.handle_udp(now, t.server, source_port, &[0xde, 0xad]);
    sim.r
        .handle_udp(now, t.server, source_port, &good[..good.len() - 1]);
    assert!(sim.events().is_empty());
    assert_eq!(sim.r.stats().ignored, 9);
    assert_eq!(sim.r.stats().malformed, 1);

    sim.deliver(&t, &good);
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
    // Nothing of the spoofed answers reached the cache.
    let q2 = sim.lookup("bank.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.one_event(q2).unwrap().addresses, vec![IpAddr::V4(A1)]);
}

#[test]
fn question_name_matches_ignoring_case() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("MiXeD.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert_eq!(asked(&t).name, "MiXeD.test");
    let msg = Message::parse(&t.payload[..]).unwrap();
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
    b.question(name("mixed.TEST").as_name(), RecordType::A, Class::IN)
        .unwrap();
    write(&mut b, &Rr::A("mixed.test", 5, A1));
    let reply = b.finish().to_vec();
    sim.deliver(&t, &reply);
    assert!(sim.one_event(q).is_ok());
}

#[test]
fn truncated_answer_goes_to_tcp_delivered_one_byte_at_a_time() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("big.test.", LookupKind::Record(RecordType::A));
    let udp = sim.one_send();
    let truncated = respond_with(&udp, ok_flags(Rcode::NOERROR).with_truncated(true), &[]);
    sim.deliver(&udp, &truncated);
    assert!(sim.events().is_empty());
    let tcp = sim.one_send();
    assert_eq!(tcp.server, addr(S1), "the same server, over TCP");
    let Transport::Tcp { stream } = tcp.transport else {
        panic!("expected TCP, got {:?}", tcp.transport)
    };
    assert_eq!(asked(&tcp).name, "big.test");
    let records: Vec<Rr> = (0..40)
        .map(|i| Rr::A("big.test", 60, Ipv4Addr::new(198, 18, 2, i)))
        .collect();
    let reply = respond(&tcp, Rcode::NOERROR, &records);
    let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&reply);
    for byte in &framed {
        assert!(sim.events().is_empty());
        sim.r
            .handle_tcp(sim.now, stream, std::slice::from_ref(byte));
    }
    let answer = sim.one_event(q).unwrap();
    assert_eq!(answer.addresses.len(), 40);
    assert_eq!(sim.r.poll_close(), Some(stream));
    assert_eq!(sim.r.poll_close(), None);
    let stats = sim.r.stats();
    assert_eq!((stats.truncated, stats.tcp_queries), (1, 1));
}

#[test]
fn tcp_connection_failure_moves_to_the_next_server() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("big.test.", LookupKind::Record(RecordType::A));
    let udp = sim.one_send();
    let truncated = respond_with(&udp, ok_flags(Rcode::NOERROR).with_truncated(true), &[]);
    sim.deliver(&udp, &truncated);
    let tcp = sim.one_send();
    let Transport::Tcp { stream } = tcp.transport else {
        panic!()
    };
    sim.r.handle_tcp_close(sim.now, stream);
    let next = sim.one_send();
    assert_eq!(next.server, addr(S2));
    assert!(
        matches!(next.transport, Transport::Tcp { .. }),
        "stays on TCP"
    );
    sim.deliver(
        &next,
        &respond(&next, Rcode::NOERROR, &[Rr::A("big.test", 60, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
}

#[test]
fn formerr_to_edns_is_retried_without_and_remembered() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("old.test.", LookupKind::Record(RecordType::A));
    let first = sim.one_send();
    assert_eq!(asked(&first).edns, Some(1232));
    // An old server: FORMERR, and no OPT in its answer.
    let formerr = respond(&first, Rcode::FORMERR, &[]);
    sim.deliver(&first, &formerr);
    let second = sim.one_send();
    assert_eq!(second.server, addr(S1));
    assert_eq!(asked(&second).edns, None);
    sim.deliver(
        &second,
        &respond(&second, Rcode::NOERROR, &[Rr::A("old.test", 60, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
    assert_eq!(sim.r.stats().edns_fallbacks, 1);
    // The server is remembered: the next question goes without EDNS.
    sim.lookup("other.test.", LookupKind::Record(RecordType::A));
    assert_eq!(asked(&sim.one_send()).edns, None);
}

#[test]
fn formerr_without_edns_is_a_server_error() {
    let mut cfg = config(&[S1]);
    cfg.edns = false;
    cfg.attempts = 1;
    let mut sim = Sim::new(cfg);
    let q = sim.lookup("x.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert_eq!(asked(&t).edns, None);
    sim.deliver(&t, &respond(&t, Rcode::FORMERR, &[]));
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::ServerError {
            name: "x.test".into(),
            rcode: Rcode::FORMERR
        }
    );
}

#[test]
fn servfail_from_the_first_server_moves_to_the_second_at_once() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("sf.test.", LookupKind::Record(RecordType::A));
    let t1 = sim.one_send();
    assert_eq!(t1.server, addr(S1));
    sim.deliver(&t1, &respond(&t1, Rcode::SERVFAIL, &[]));
    // No waiting for a timeout.
    let t2 = sim.one_send();
    assert_eq!(t2.server, addr(S2));
    assert_eq!(sim.now, Instant::ZERO);
    sim.deliver(
        &t2,
        &respond(&t2, Rcode::NOERROR, &[Rr::A("sf.test", 60, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
}

#[test]
fn servfail_and_refused_everywhere_are_reported() {
    for (rcode, expected) in [
        (
            Rcode::SERVFAIL,
            ResolveError::ServFail {
                name: "e.test".into(),
            },
        ),
        (
            Rcode::REFUSED,
            ResolveError::Refused {
                name: "e.test".into(),
            },
        ),
        (
            Rcode::NOTIMP,
            ResolveError::ServerError {
                name: "e.test".into(),
                rcode: Rcode::NOTIMP,
            },
        ),
    ] {
        let mut sim = Sim::new(config(&[S1, S2]));
        let q = sim.lookup("e.test", LookupKind::Record(RecordType::A));
        // Two servers, two rounds: four answers of the same error.
        for _ in 0..4 {
            let t = sim.one_send();
            sim.deliver(&t, &respond(&t, rcode, &[]));
        }
        assert!(sim.sends().is_empty());
        assert_eq!(sim.one_event(q).unwrap_err(), expected);
    }
}

#[test]
fn all_servers_timing_out_ends_at_the_right_time() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("void.test.", LookupKind::Addresses);
    // Round one: 1 s per server; round two: 2 s per server.
    let mut schedule = Vec::new();
    loop {
        for t in sim.sends() {
            schedule.push((sim.now.total_millis(), t.server, asked(&t).qtype));
        }
        if sim.r.poll_timeout().is_none() {
            break;
        }
        assert!(sim.events().is_empty(), "no event before the end");
        sim.fire();
    }
    let expected_times: Vec<u64> = schedule.iter().map(|s| s.0).collect();
    assert_eq!(
        expected_times,
        vec![0, 0, 1000, 1000, 2000, 2000, 4000, 4000]
    );
    assert_eq!(schedule[2].1, addr(S2));
    assert_eq!(schedule[4].1, addr(S1));
    assert_eq!(sim.now, Instant::from_millis(6000));
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::TimedOut {
            name: "void.test".into(),
            tries: 4,
            waited: Duration::from_secs(6)
        }
    );
    assert!(err.to_string().contains("void.test"));
    assert_eq!(sim.r.stats().timeouts, 8);
}

#[test]
fn rotate_spreads_questions_over_servers() {
    let mut cfg = config(&[S1, S2]);
    cfg.rotate = true;
    let mut sim = Sim::new(cfg);
    sim.lookup("a.test.", LookupKind::Record(RecordType::A));
    sim.lookup("b.test.", LookupKind::Record(RecordType::A));
    let sends = sim.sends();
    assert_eq!(sends[0].server, addr(S1));
    assert_eq!(sends[1].server, addr(S2));
}

#[test]
fn cname_chain_in_one_answer() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("www.chain.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    let reply = respond(
        &t,
        Rcode::NOERROR,
        &[
            Rr::Cname("www.chain.test", 300, "web.chain.test"),
            Rr::Cname("web.chain.test", 300, "host.cdn.test"),
            Rr::A("host.cdn.test", 60, A1),
            // Not on the chain: never used or cached.
            Rr::A("unrelated.test", 60, A2),
        ],
    );
    sim.deliver(&t, &reply);
    let answer = sim.one_event(q).unwrap();
    assert_eq!(answer.canonical_name, "host.cdn.test");
    assert_eq!(answer.addresses, vec![IpAddr::V4(A1)]);
    assert_eq!(answer.records[0].name, "host.cdn.test");
    // The chain is cached: a lookup of the middle alias sends nothing.
    let q2 = sim.lookup("WEB.chain.test.", LookupKind::Record(RecordType::A));
    let answer = sim.one_event(q2).unwrap();
    assert_eq!(answer.source, Source::Cache);
    assert_eq!(answer.canonical_name, "host.cdn.test");
    // What was not on the chain was not cached.
    sim.lookup("unrelated.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn cname_target_missing_from_the_answer_is_asked_for() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("alias.test.", LookupKind::Record(RecordType::MX));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(
            &t,
            Rcode::NOERROR,
            &[Rr::Cname("alias.test", 300, "real.other")],
        ),
    );
    let t2 = sim.one_send();
    assert_eq!(asked(&t2).name, "real.other");
    assert_eq!(asked(&t2).qtype, RecordType::MX);
    sim.deliver(
        &t2,
        &respond(
            &t2,
            Rcode::NOERROR,
            &[Rr::Mx("real.other", 300, 10, "mx.other")],
        ),
    );
    let answer = sim.one_event(q).unwrap();
    assert_eq!(answer.canonical_name, "real.other");
    assert!(answer.addresses.is_empty());
    assert_eq!(
        answer.records[0].data,
        RecordData::Mx {
            preference: 10,
            exchange: "mx.other".into()
        }
    );
}

#[test]
fn cname_loop_in_one_answer() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("a.loop.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(
            &t,
            Rcode::NOERROR,
            &[
                Rr::Cname("a.loop.test", 300, "b.loop.test"),
                Rr::Cname("b.loop.test", 300, "a.loop.test"),
            ],
        ),
    );
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::CnameLoop {
            name: "a.loop.test".into(),
            alias: "a.loop.test".into()
        }
    );
    // The cached aliases loop too: the cache walk stops as well.
    let q2 = sim.lookup("b.loop.test.", LookupKind::Record(RecordType::A));
    assert!(matches!(
        sim.one_event(q2),
        Err(ResolveError::CnameLoop { .. })
    ));
    assert!(sim.sends().is_empty());
}

#[test]
fn cname_loop_across_queries() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("x.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::Cname("x.test", 300, "y.test")]),
    );
    let t = sim.one_send();
    assert_eq!(asked(&t).name, "y.test");
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::Cname("y.test", 300, "X.test")]),
    );
    assert!(matches!(
        sim.one_event(q),
        Err(ResolveError::CnameLoop { .. })
    ));
    assert!(sim.sends().is_empty());
}

#[test]
fn cname_chain_too_long() {
    let mut cfg = config(&[S1]);
    cfg.max_cname_chain = 2;
    let mut sim = Sim::new(cfg);
    let q = sim.lookup("c0.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(
            &t,
            Rcode::NOERROR,
            &[
                Rr::Cname("c0.test", 300, "c1.test"),
                Rr::Cname("c1.test", 300, "c2.test"),
                Rr::Cname("c2.test", 300, "c3.test"),
                Rr::A("c3.test", 300, A1),
            ],
        ),
    );
    assert_eq!(
        sim.one_event(q).unwrap_err(),
        ResolveError::CnameChainTooLong {
            name: "c0.test".into(),
            limit: 2
        }
    );
}

#[test]
fn nxdomain_is_negatively_cached_for_the_soa_minimum() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("nope.test.", LookupKind::Addresses);
    let sends = sim.sends();
    assert_eq!(sends.len(), 2);
    for t in &sends {
        // SOA TTL 600, MINIMUM 60: the denial lives 60 s.
        sim.deliver(t, &respond(t, Rcode::NXDOMAIN, &[Rr::Soa("test", 600, 60)]));
    }
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::NxDomain {
            name: "nope.test".into()
        }
    );
    assert_eq!(err.to_string(), "nope.test: no such name (NXDOMAIN)");
    // A second lookup, any type, sends nothing.
    sim.advance(Duration::from_secs(59));
    let q2 = sim.lookup("NOPE.test.", LookupKind::Record(RecordType::MX));
    assert!(sim.sends().is_empty());
    assert!(matches!(
        sim.one_event(q2),
        Err(ResolveError::NxDomain { .. })
    ));
    assert!(sim.r.stats().cache_hits >= 1);
    // After the negative TTL, the servers are asked again.
    sim.advance(Duration::from_secs(1));
    sim.lookup("nope.test.", LookupKind::Record(RecordType::MX));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn nodata_is_cached_per_type_with_the_soa_ttl() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("v4only.test.", LookupKind::Record(RecordType::AAAA));
    let t = sim.one_send();
    // SOA TTL 30 below MINIMUM 300: the denial lives 30 s.
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::Soa("test", 30, 300)]),
    );
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::NoData {
            name: "v4only.test".into(),
            kind: LookupKind::Record(RecordType::AAAA)
        }
    );
    assert!(err.to_string().contains("no AAAA records"));
    let q2 = sim.lookup("v4only.test.", LookupKind::Record(RecordType::AAAA));
    assert!(sim.sends().is_empty());
    assert!(sim.one_event(q2).is_err());
    // Another type of the same name is not covered.
    let qa = sim.lookup("v4only.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::A("v4only.test", 300, A1)]),
    );
    assert!(sim.one_event(qa).is_ok());
    sim.advance(Duration::from_secs(30));
    sim.lookup("v4only.test.", LookupKind::Record(RecordType::AAAA));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn denial_without_soa_is_not_cached() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("nosoa.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(&t, &respond(&t, Rcode::NXDOMAIN, &[]));
    assert!(sim.one_event(q).is_err());
    sim.lookup("nosoa.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn addresses_with_only_ipv4_succeed() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("v4.test.", LookupKind::Addresses);
    let sends = sim.sends();
    sim.deliver(
        &sends[0],
        &respond(&sends[0], Rcode::NOERROR, &[Rr::A("v4.test", 60, A1)]),
    );
    sim.deliver(
        &sends[1],
        &respond(&sends[1], Rcode::NOERROR, &[Rr::Soa("test", 60, 60)]),
    );
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
}

#[test]
fn ttl_expiry_under_simulated_time() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("ttl.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::A("ttl.test", 30, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
    sim.advance(Duration::from_secs(29));
    let q = sim.lookup("ttl.test.", LookupKind::Record(RecordType::A));
    assert!(sim.sends().is_empty());
    let answer = sim.one_event(q).unwrap();
    assert_eq!(answer.source, Source::Cache);
    assert_eq!(answer.records[0].ttl, 1, "the TTL left, not the original");
    sim.advance(Duration::from_secs(1));
    sim.lookup("ttl.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn zero_ttl_is_used_but_not_cached() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("zero.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::A("zero.test", 0, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
    sim.lookup("zero.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn cache_is_bounded_and_evicts_the_soonest_expiring() {
    let mut cfg = config(&[S1]);
    cfg.cache_size = 2;
    let mut sim = Sim::new(cfg);
    for (host, ttl) in [("h1.test", 100u32), ("h2.test", 10), ("h3.test", 50)] {
        let q = sim.lookup(host, LookupKind::Record(RecordType::A));
        let t = sim.one_send();
        let reply = a_answer(&t, ttl);
        sim.deliver(&t, &reply);
        assert!(sim.one_event(q).is_ok());
        assert!(sim.r.cache_len() <= 2);
    }
    assert_eq!(sim.r.cache_len(), 2);
    // h2 (10 s) was evicted; h1 and h3 are answered from the cache.
    for host in ["h1.test", "h3.test"] {
        let q = sim.lookup(host, LookupKind::Record(RecordType::A));
        assert_eq!(sim.one_event(q).unwrap().source, Source::Cache);
    }
    sim.lookup("h2.test", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
    sim.r.clear_cache();
    assert_eq!(sim.r.cache_len(), 0);
}

#[test]
fn hosts_file_is_consulted_first() {
    let mut cfg = config(&[S1]);
    cfg.hosts = Hosts::parse(
        "# static\n198.18.5.5 printer printer.lan\n2001:db8::5 printer\n198.18.5.6 printer\n",
    )
    .unwrap();
    let mut sim = Sim::new(cfg);
    let q = sim.lookup("Printer.lan.", LookupKind::Addresses);
    let answer = sim.one_event(q).unwrap();
    assert_eq!(answer.source, Source::Hosts);
    assert_eq!(answer.addresses, vec![v4(198, 18, 5, 5)]);
    let q = sim.lookup("printer", LookupKind::Addresses);
    let answer = sim.one_event(q).unwrap();
    assert_eq!(
        answer.addresses,
        vec![
            v4(198, 18, 5, 5),
            v4(198, 18, 5, 6),
            "2001:db8::5".parse::<IpAddr>().unwrap()
        ]
    );
    let q = sim.lookup("printer", LookupKind::Record(RecordType::AAAA));
    assert_eq!(sim.one_event(q).unwrap().addresses.len(), 1);
    assert!(sim.sends().is_empty());
    assert_eq!(sim.r.stats().hosts_hits, 3);
    // Other types go to the servers.
    sim.lookup("printer", LookupKind::Record(RecordType::MX));
    assert_eq!(sim.sends().len(), 1);
}

/// An answer to `query` with one A record owned by the name it asked.
fn a_answer(query: &Transmit, ttl: u32) -> Vec<u8> {
    let msg = Message::parse(message_bytes(query)).unwrap();
    let q = msg.question().unwrap();
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
    b.question(q.name(), q.qtype(), q.qclass()).unwrap();
    b.answer(q.name(), Class::IN, ttl, &RData::A(A1)).unwrap();
    b.finish().to_vec()
}

/// Answers every pending query NXDOMAIN except one for `found`, and
/// returns the names asked, in order.
fn walk(sim: &mut Sim, found: &str) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        let sends = sim.sends();
        if sends.is_empty() {
            return names;
        }
        for t in sends {
            let a = asked(&t);
            let reply = if a.name.eq_ignore_ascii_case(found) {
                a_answer(&t, 60)
            } else {
                respond(&t, Rcode::NXDOMAIN, &[])
            };
            names.push(a.name);
            sim.deliver(&t, &reply);
        }
    }
}

#[test]
fn search_list_and_ndots_order() {
    let mut cfg = config(&[S1]);
    cfg.search = vec!["corp.test".into(), "test".into()];
    cfg.ndots = 2;
    let mut sim = Sim::new(cfg);

    // One dot, fewer than ndots: suffixes first, then as is.
    let q = sim.lookup("db.eu", LookupKind::Record(RecordType::A));
    let names = walk(&mut sim, "db.eu");
    assert_eq!(names, vec!["db.eu.corp.test", "db.eu.test", "db.eu"]);
    assert_eq!(sim.one_event(q).unwrap().name, "db.eu");

    // Found at the second suffix: the name as is is not tried.
    let q = sim.lookup("app", LookupKind::Record(RecordType::A));
    let names = walk(&mut sim, "app.test");
    assert_eq!(names, vec!["app.corp.test", "app.test"]);
    assert_eq!(sim.one_event(q).unwrap().name, "app.test");

    // Two dots: as is first.
    let q = sim.lookup("a.b.c", LookupKind::Record(RecordType::A));
    let names = walk(&mut sim, "a.b.c.test");
    assert_eq!(names, vec!["a.b.c", "a.b.c.corp.test", "a.b.c.test"]);
    assert!(sim.one_event(q).is_ok());

    // Trailing dot: only as is.
    let q = sim.lookup("app.", LookupKind::Record(RecordType::A));
    let names = walk(&mut sim, "nothing");
    assert_eq!(names, vec!["app"]);
    assert_eq!(
        sim.one_event(q).unwrap_err(),
        ResolveError::NxDomain { name: "app".into() }
    );

    // Nothing found anywhere: NXDOMAIN naming the name as given.
    let q = sim.lookup("ghost", LookupKind::Record(RecordType::A));
    walk(&mut sim, "nothing");
    assert_eq!(
        sim.one_event(q).unwrap_err(),
        ResolveError::NxDomain {
            name: "ghost".into()
        }
    );
}

#[test]
fn search_goes_on_after_nodata_and_reports_it() {
    let mut cfg = config(&[S1]);
    cfg.search = vec!["a.test".into()];
    let mut sim = Sim::new(cfg);
    let q = sim.lookup("svc", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert_eq!(asked(&t).name, "svc.a.test");
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::Soa("a.test", 60, 60)]),
    );
    let t = sim.one_send();
    assert_eq!(asked(&t).name, "svc");
    sim.deliver(&t, &respond(&t, Rcode::NXDOMAIN, &[]));
    assert!(matches!(sim.one_event(q), Err(ResolveError::NoData { .. })));
}

#[test]
fn search_stops_on_a_server_failure() {
    let mut cfg = config(&[S1]);
    cfg.search = vec!["a.test".into()];
    cfg.attempts = 1;
    let mut sim = Sim::new(cfg);
    let q = sim.lookup("svc", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert_eq!(asked(&t).name, "svc.a.test");
    sim.fire();
    assert!(sim.sends().is_empty(), "the name as is is not tried");
    assert!(matches!(
        sim.one_event(q),
        Err(ResolveError::TimedOut { .. })
    ));
}

#[test]
fn invalid_names_and_limits_fail_at_once() {
    let mut cfg = config(&[S1]);
    cfg.max_lookups = 2;
    let mut sim = Sim::new(cfg);
    let err = sim
        .r
        .lookup(sim.now, "a..b", LookupKind::Addresses)
        .unwrap_err();
    assert!(matches!(err, ResolveError::InvalidName { .. }));
    assert!(err.to_string().contains("a..b"));
    let long = "x".repeat(64);
    assert!(sim.r.lookup(sim.now, &long, LookupKind::Addresses).is_err());
    assert!(sim.r.lookup(sim.now, "", LookupKind::Addresses).is_err());
    sim.lookup("one.test", LookupKind::Addresses);
    sim.lookup("two.test", LookupKind::Addresses);
    let err = sim
        .r
        .lookup(sim.now, "three.test", LookupKind::Addresses)
        .unwrap_err();
    assert_eq!(err, ResolveError::TooManyLookups { limit: 2 });
    assert_eq!(err.name(), None);
    assert!(sim.events().is_empty());
}

#[test]
fn no_servers_is_an_error_event() {
    let mut sim = Sim::new(config(&[]));
    let q = sim.lookup("any.test", LookupKind::Addresses);
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::NoServers {
            name: "any.test".into()
        }
    );
    assert!(sim.sends().is_empty());
}

#[test]
fn cancelled_lookup_has_no_event_and_ignores_its_answer() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("gone.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert!(sim.r.cancel(q));
    assert!(!sim.r.cancel(q));
    sim.deliver(
        &t,
        &respond(&t, Rcode::NOERROR, &[Rr::A("gone.test", 60, A1)]),
    );
    assert!(sim.events().is_empty());
    assert_eq!(sim.r.poll_timeout(), None);
    assert_eq!(sim.r.stats().ignored, 1);
}

#[test]
fn error_messages_name_the_name() {
    let errors = [
        ResolveError::NxDomain {
            name: "n.test".into(),
        },
        ResolveError::NoData {
            name: "n.test".into(),
            kind: LookupKind::Addresses,
        },
        ResolveError::ServFail {
            name: "n.test".into(),
        },
        ResolveError::Refused {
            name: "n.test".into(),
        },
        ResolveError::TimedOut {
            name: "n.test".into(),
            tries: 4,
            waited: Duration::from_secs(6),
        },
        ResolveError::CnameLoop {
            name: "n.test".into(),
            alias: "m.test".into(),
        },
        ResolveError::NoServers {
            name: "n.test".into(),
        },
    ];
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for (err, text) in errors.iter().zip(&texts) {
        assert!(text.contains("n.test"), "{text}");
        assert_eq!(err.name(), Some("n.test"));
    }
    // Every kind reads differently.
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(
        texts[4],
        "n.test: no answer from any name server (4 queries over 6.000000s)"
    );
}

#[test]
fn cname_to_a_name_that_cannot_be_asked_is_a_server_failure() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("odd.test.", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    let msg = Message::parse(&t.payload[..]).unwrap();
    let qq = msg.question().unwrap();
    let weird = NameBuf::from_labels([&b"we ird"[..], &b"test"[..]]).unwrap();
    let mut buf = vec![0u8; 512];
    let mut b = Builder::new(&mut buf, msg.id(), ok_flags(Rcode::NOERROR)).unwrap();
    b.question(qq.name(), qq.qtype(), qq.qclass()).unwrap();
    b.answer(qq.name(), Class::IN, 60, &RData::Cname(weird.as_name()))
        .unwrap();
    let reply = b.finish().to_vec();
    sim.deliver(&t, &reply);
    assert_eq!(
        sim.one_event(q).unwrap_err(),
        ResolveError::ServFail {
            name: "odd.test".into()
        }
    );
    // Nothing was cached for it.
    sim.lookup("odd.test.", LookupKind::Record(RecordType::A));
    assert_eq!(sim.sends().len(), 1);
}

#[test]
fn wrong_message_on_a_tcp_stream_spends_the_try() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("big.test.", LookupKind::Record(RecordType::A));
    let udp = sim.one_send();
    let truncated = respond_with(&udp, ok_flags(Rcode::NOERROR).with_truncated(true), &[]);
    sim.deliver(&udp, &truncated);
    let tcp = sim.one_send();
    let Transport::Tcp { stream } = tcp.transport else {
        panic!()
    };
    let mut reply = respond(&tcp, Rcode::NOERROR, &[Rr::A("big.test", 60, A1)]);
    reply[0] ^= 0xff;
    sim.deliver(&tcp, &reply);
    assert!(sim.events().is_empty());
    assert_eq!(sim.r.poll_close(), Some(stream));
    let next = sim.one_send();
    assert_eq!(next.server, addr(S2));
    sim.deliver(
        &next,
        &respond(&next, Rcode::NOERROR, &[Rr::A("big.test", 60, A1)]),
    );
    assert!(sim.one_event(q).is_ok());
}

#[test]
fn resolv_conf_drives_the_resolver() {
    let conf = strata_dns::resolver::ResolvConf::parse(
        "nameserver 198.18.0.2\nnameserver 198.18.0.1\nsearch corp.test\noptions ndots:2 timeout:2 attempts:1\n",
    )
    .unwrap();
    let mut sim = Sim::new(Config::from(conf));
    let q = sim.lookup("db.eu", LookupKind::Record(RecordType::A));
    let t = sim.one_send();
    assert_eq!(t.server, addr(S2));
    assert_eq!(asked(&t).name, "db.eu.corp.test");
    assert_eq!(sim.r.poll_timeout(), Some(Instant::from_millis(2000)));
    sim.fire();
    let t = sim.one_send();
    assert_eq!(t.server, addr(S1));
    sim.fire();
    assert!(matches!(
        sim.one_event(q),
        Err(ResolveError::TimedOut { tries: 2, .. })
    ));
}

fn source_port(t: &Transmit) -> u16 {
    match t.transport {
        Transport::Udp { source_port } => source_port,
        Transport::Tcp { .. } => panic!("expected UDP"),
    }
}

#[test]
fn port_unreachable_moves_to_the_next_server_at_once() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("fast.test.", LookupKind::Record(RecordType::A));
    let first = sim.one_send();
    assert_eq!(first.server, addr(S1));
    // An error about another port, or from another server, is not ours.
    assert!(
        !sim.r
            .handle_udp_unreachable(sim.now, addr(S1), source_port(&first) ^ 1)
    );
    assert!(
        !sim.r
            .handle_udp_unreachable(sim.now, addr(S2), source_port(&first))
    );
    assert!(sim.sends().is_empty());
    // Nothing listens on S1: S2 is asked at once, no timeout waited.
    sim.advance(Duration::from_millis(5));
    assert!(
        sim.r
            .handle_udp_unreachable(sim.now, addr(S1), source_port(&first))
    );
    let second = sim.one_send();
    assert_eq!(second.server, addr(S2));
    assert!(!sim.r.wants_port(source_port(&first)));
    assert_eq!(
        sim.r.poll_timeout(),
        Some(Instant::from_millis(5) + Duration::from_secs(1))
    );
    sim.deliver(
        &second,
        &respond(&second, Rcode::NOERROR, &[Rr::A("fast.test", 60, A1)]),
    );
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
    let stats = sim.r.stats();
    assert_eq!((stats.unreachable, stats.timeouts), (1, 0));
}

#[test]
fn port_unreachable_from_every_try_is_refused_without_waiting() {
    let mut sim = Sim::new(config(&[S1]));
    let q = sim.lookup("nobody.test.", LookupKind::Record(RecordType::A));
    // One server, two attempts: each refused as soon as it is sent.
    for _ in 0..2 {
        let t = sim.one_send();
        assert!(
            sim.r
                .handle_udp_unreachable(sim.now, t.server, source_port(&t))
        );
    }
    assert!(sim.sends().is_empty());
    let err = sim.one_event(q).unwrap_err();
    assert_eq!(
        err,
        ResolveError::Refused {
            name: "nobody.test".into()
        }
    );
    assert_eq!(sim.now, Instant::ZERO);
    assert_eq!(sim.r.poll_timeout(), None);
    assert_eq!(sim.r.stats().unreachable, 2);
}

#[test]
fn port_unreachable_about_an_older_attempt_does_not_cut_the_current_one() {
    let mut sim = Sim::new(config(&[S1, S2]));
    let q = sim.lookup("slow.test.", LookupKind::Record(RecordType::A));
    let first = sim.one_send();
    sim.fire();
    let second = sim.one_send();
    assert_eq!(second.server, addr(S2));
    // A late error about the first try: that attempt is forgotten, but the
    // second keeps its timer.
    let deadline = sim.r.poll_timeout();
    assert!(
        sim.r
            .handle_udp_unreachable(sim.now, addr(S1), source_port(&first))
    );
    assert!(sim.sends().is_empty());
    assert_eq!(sim.r.poll_timeout(), deadline);
    sim.deliver(
        &second,
        &respond(&second, Rcode::NOERROR, &[Rr::A("slow.test", 60, A1)]),
    );
    assert_eq!(sim.one_event(q).unwrap().addresses, vec![IpAddr::V4(A1)]);
}
