//! The authoritative responder: our own resolver against it in memory, the
//! header bits and error codes, EDNS(0) and truncation, and its answers
//! compared with what dnsmasq answered to the same queries (the captures in
//! tests/data, made by tests/data/make-captures.sh).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod wire_support;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use strata_core::rand::SplitMix64;
use strata_core::time::Instant;
use strata_dns::resolver::{
    Answer, Config, LookupKind, RecordData, ResolveError, Resolver, Transport,
};
use strata_dns::server::{Responder, StreamReader, Zone, ZoneError, frame_tcp};
use strata_dns::wire::{
    Builder, Class, Edns, Flags, Message, NameBuf, Opcode, RData, RDataRepr, Rcode, RecordRepr,
    RecordType, Repr,
};
use wire_support::capture;

const ZONE: &str = "\
$ORIGIN example.test.
$TTL 300
@        3600 IN SOA ns1 hostmaster 7 3600 600 86400 60 ; the apex
@        3600 NS   ns1
@             MX   10 mail
@             TXT  \"v=spf1 -all\" \"semi;colon \\\"quoted\\\"\"
ns1           A    198.18.0.53
mail          A    198.18.0.25
server        A    198.18.0.2
              AAAA 2001:db8::2
www           CNAME alias1
alias1        CNAME alias2.example.test.
alias2        CNAME server
outside       CNAME www.elsewhere.test.
loop1         CNAME loop2
loop2         CNAME loop1
a.b.deep      A    198.18.0.9
_http._tcp    SRV  10 5 80 server
";

fn zone() -> Zone {
    Zone::parse(ZONE).unwrap()
}

fn query(name: &str, qtype: RecordType, edns: Option<Edns<'_>>) -> Vec<u8> {
    let qname: NameBuf = name.parse().unwrap();
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 0x1234, Flags::QUERY).unwrap();
    b.question(qname.as_name(), qtype, Class::IN).unwrap();
    if let Some(edns) = edns {
        b.edns(&edns).unwrap();
    }
    b.finish().to_vec()
}

fn ask(r: &Responder, name: &str, qtype: RecordType) -> Repr {
    let mut out = [0u8; 4096];
    let len = r
        .respond(&query(name, qtype, None), &mut out, 4096)
        .unwrap();
    Repr::parse_bytes(&out[..len]).unwrap()
}

fn data(repr: &Repr) -> Vec<RDataRepr> {
    repr.answers.iter().map(|r| r.data.clone()).collect()
}

fn n(text: &str) -> NameBuf {
    text.parse().unwrap()
}

// ---------------------------------------------------------------- zone text

#[test]
fn zone_text_reads_every_type() {
    let z = zone();
    assert_eq!(z.origin(), &n("example.test"));
    assert_eq!(z.len(), 16);
    let apex = z.records(&n("example.test").as_name()).unwrap();
    let txt = apex.iter().find(|r| r.rtype() == RecordType::TXT).unwrap();
    assert_eq!(
        txt.data,
        RDataRepr::Txt(vec![
            b"v=spf1 -all".to_vec(),
            b"semi;colon \"quoted\"".to_vec()
        ])
    );
    assert_eq!(txt.ttl, 300, "$TTL applies");
    let server = z.records(&n("SERVER.example.test").as_name()).unwrap();
    assert_eq!(server.len(), 2, "blank owner repeats the previous one");
    assert!(
        z.exists(&n("b.deep.example.test").as_name()),
        "empty non-terminal"
    );
    assert!(!z.exists(&n("nope.example.test").as_name()));
}

#[test]
fn zone_text_errors_name_the_line() {
    let cases = [
        ("server A 198.18.0.1\n", 1, "no $ORIGIN"),
        (
            "$ORIGIN x.test.\nserver A 198.18.0.1\n",
            2,
            "the first record must be the SOA",
        ),
        ("$ORIGIN x.test.\n@ SOA a b 1 2 3 4\n", 2, "SOA needs"),
        (
            "$ORIGIN x.test.\n@ SOA a b 1 2 3 4 5\nh A 300.1.1.1\n",
            3,
            "bad IPv4",
        ),
        (
            "$ORIGIN x.test.\n@ SOA a b 1 2 3 4 5\nh TXT \"open\n",
            3,
            "unterminated",
        ),
        (
            "$ORIGIN x.test.\n@ SOA a b 1 2 3 4 5\nh A 198.18.0.1\nh CNAME x.test.\n",
            4,
            "CNAME",
        ),
        (
            "$ORIGIN x.test.\n@ SOA a b 1 2 3 4 5\nh.other. A 198.18.0.1\n",
            3,
            "outside",
        ),
        (
            "$ORIGIN x.test.\n@ SOA a b 1 2 3 4 5\nh HINFO a b\n",
            3,
            "unsupported",
        ),
    ];
    for (text, line, reason) in cases {
        match Zone::parse(text) {
            Err(ZoneError::Syntax { line: l, reason: r }) => {
                assert_eq!(l, line, "{text:?}");
                assert!(r.contains(reason), "{text:?}: {r}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn zone_limit_and_conflicts() {
    let mut z = zone();
    z.set_limit(z.len());
    assert_eq!(
        z.add_a("more.example.test", 1, Ipv4Addr::new(198, 18, 0, 1)),
        Err(ZoneError::Full)
    );
    let mut z = zone();
    assert_eq!(
        z.add(
            n("www.example.test"),
            1,
            RDataRepr::A(Ipv4Addr::new(198, 18, 0, 1))
        ),
        Err(ZoneError::CnameConflict)
    );
    assert_eq!(
        z.add_a("www.elsewhere.test", 1, Ipv4Addr::new(198, 18, 0, 1)),
        Err(ZoneError::OutsideZone)
    );
}

// ---------------------------------------------------------------- answers

#[test]
fn a_record_is_authoritative_with_id_and_rd_echoed() {
    let r = Responder::new(zone());
    let resp = ask(&r, "server.example.test", RecordType::A);
    assert_eq!(resp.id, 0x1234);
    assert!(resp.flags.response() && resp.flags.authoritative() && resp.flags.recursion_desired());
    assert!(!resp.flags.truncated() && !resp.flags.recursion_available());
    assert_eq!(resp.rcode(), Rcode::NOERROR);
    assert_eq!(data(&resp), [RDataRepr::A(Ipv4Addr::new(198, 18, 0, 2))]);
    assert_eq!(resp.answers[0].ttl, 300);
    assert!(resp.authorities.is_empty() && resp.additionals.is_empty());
}

#[test]
fn cname_chain_is_chased_within_the_zone() {
    let r = Responder::new(zone());
    let resp = ask(&r, "www.example.test", RecordType::A);
    assert_eq!(resp.rcode(), Rcode::NOERROR);
    assert_eq!(
        data(&resp),
        [
            RDataRepr::Cname(n("alias1.example.test")),
            RDataRepr::Cname(n("alias2.example.test")),
            RDataRepr::Cname(n("server.example.test")),
            RDataRepr::A(Ipv4Addr::new(198, 18, 0, 2)),
        ]
    );
    let owners: Vec<String> = resp.answers.iter().map(|a| a.name.to_string()).collect();
    assert_eq!(owners[3], "server.example.test");
    // Asking for the CNAME itself does not chase.
    let resp = ask(&r, "www.example.test", RecordType::CNAME);
    assert_eq!(data(&resp), [RDataRepr::Cname(n("alias1.example.test"))]);
    // A target outside the zone ends the chase with NOERROR.
    let resp = ask(&r, "outside.example.test", RecordType::A);
    assert_eq!((resp.rcode(), resp.answers.len()), (Rcode::NOERROR, 1));
    // A loop ends too.
    let resp = ask(&r, "loop1.example.test", RecordType::A);
    assert_eq!(resp.answers.len(), 2);
}

#[test]
fn nxdomain_and_nodata_carry_the_soa_with_the_negative_ttl() {
    let r = Responder::new(zone());
    for (name, qtype, rcode) in [
        ("nope.example.test", RecordType::A, Rcode::NXDOMAIN),
        ("server.example.test", RecordType::MX, Rcode::NOERROR),
        ("deep.example.test", RecordType::A, Rcode::NOERROR), // empty non-terminal
    ] {
        let resp = ask(&r, name, qtype);
        assert_eq!(resp.rcode(), rcode, "{name}");
        assert!(resp.flags.authoritative());
        assert!(resp.answers.is_empty());
        assert_eq!(resp.authorities.len(), 1);
        let soa = &resp.authorities[0];
        assert_eq!(soa.name, n("example.test"));
        assert_eq!(soa.rtype(), RecordType::SOA);
        assert_eq!(soa.ttl, 60, "min(SOA TTL, MINIMUM), RFC 2308");
    }
    assert_eq!(r.stats().nxdomain, 1);
}

#[test]
fn mx_ns_srv_bring_target_addresses() {
    let r = Responder::new(zone());
    let resp = ask(&r, "example.test", RecordType::MX);
    assert_eq!(resp.additionals.len(), 1);
    assert_eq!(
        resp.additionals[0].data,
        RDataRepr::A(Ipv4Addr::new(198, 18, 0, 25))
    );
    let resp = ask(&r, "_http._tcp.example.test", RecordType::SRV);
    assert_eq!(resp.additionals.len(), 2, "A and AAAA of server");
    let resp = ask(&r, "example.test", RecordType::ANY);
    assert_eq!(resp.answers.len(), 4, "SOA, NS, MX, TXT");
}

#[test]
fn error_codes() {
    let r = Responder::new(zone());
    let mut out = [0u8; 512];
    // Outside the zone.
    let resp = ask(&r, "www.elsewhere.test", RecordType::A);
    assert_eq!(resp.rcode(), Rcode::REFUSED);
    assert!(!resp.flags.authoritative());
    assert_eq!(resp.questions.len(), 1);
    // Zone transfer.
    assert_eq!(
        ask(&r, "example.test", RecordType::AXFR).rcode(),
        Rcode::REFUSED
    );
    // Another opcode (UPDATE).
    let mut q = query("server.example.test", RecordType::A, None);
    q[2] = (q[2] & 0x87) | (5 << 3);
    let len = r.respond(&q, &mut out, 512).unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    assert_eq!((msg.rcode(), msg.opcode()), (Rcode::NOTIMP, Opcode::UPDATE));
    // A question cut short: FORMERR, id kept.
    let q = query("server.example.test", RecordType::A, None);
    let len = r.respond(&q[..q.len() - 2], &mut out, 512).unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    assert_eq!((msg.rcode(), msg.id()), (Rcode::FORMERR, 0x1234));
    // Two questions: FORMERR.
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 9, Flags::QUERY).unwrap();
    b.question(n("a.example.test").as_name(), RecordType::A, Class::IN)
        .unwrap();
    b.question(n("b.example.test").as_name(), RecordType::A, Class::IN)
        .unwrap();
    let q = b.finish().to_vec();
    let len = r.respond(&q, &mut out, 512).unwrap();
    assert_eq!(Message::parse(&out[..len]).unwrap().rcode(), Rcode::FORMERR);
    // Class CH: REFUSED.
    let mut b = Builder::new(&mut buf, 9, Flags::QUERY).unwrap();
    b.question(n("server.example.test").as_name(), RecordType::A, Class::CH)
        .unwrap();
    let q = b.finish().to_vec();
    let len = r.respond(&q, &mut out, 512).unwrap();
    assert_eq!(Message::parse(&out[..len]).unwrap().rcode(), Rcode::REFUSED);
    // Nothing to answer: too short, or a response.
    assert!(r.respond(&[1, 2, 3], &mut out, 512).is_err());
    let resp_bytes = &out[..len].to_vec();
    assert!(r.respond(resp_bytes, &mut out, 512).is_err());
    assert!(
        r.respond(
            &query("server.example.test", RecordType::A, None),
            &mut [0u8; 8],
            512
        )
        .is_err()
    );
}

#[test]
fn edns_is_echoed_with_do_and_badvers() {
    let r = Responder::new(zone()).with_udp_payload_size(1400);
    let mut out = [0u8; 4096];
    let mut edns = Edns::new(4096);
    edns.flags = Edns::DO;
    let len = r
        .respond(
            &query("server.example.test", RecordType::A, Some(edns)),
            &mut out,
            4096,
        )
        .unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    let e = msg.edns().unwrap();
    assert_eq!(
        (e.udp_payload_size, e.version, e.dnssec_ok()),
        (1400, 0, true)
    );
    // No OPT in the query: none in the response.
    let len = r
        .respond(
            &query("server.example.test", RecordType::A, None),
            &mut out,
            4096,
        )
        .unwrap();
    assert!(Message::parse(&out[..len]).unwrap().edns().is_none());
    // Version 1: BADVERS (extended RCODE 16).
    let mut edns = Edns::new(1232);
    edns.version = 1;
    let len = r
        .respond(
            &query("server.example.test", RecordType::A, Some(edns)),
            &mut out,
            4096,
        )
        .unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    assert_eq!(msg.rcode(), Rcode::BADVERS);
    assert_eq!(msg.answer_count(), 0);
}

/// A zone whose TXT answer for big.example.test is about 1,700 bytes.
fn big_zone() -> Zone {
    let mut z = zone();
    for i in 0..8 {
        let strings = vec![vec![b'a' + i; 200]];
        z.add(n("big.example.test"), 300, RDataRepr::Txt(strings))
            .unwrap();
    }
    z
}

#[test]
fn truncation_follows_the_advertised_size_and_max_udp() {
    let r = Responder::new(big_zone());
    let mut out = [0u8; 65_535];
    // No EDNS: 512 bytes at most, TC, question only.
    let q = query("big.example.test", RecordType::TXT, None);
    let len = r.respond(&q, &mut out, 65_535).unwrap();
    assert!(len <= 512);
    let msg = Message::parse(&out[..len]).unwrap();
    assert!(msg.flags().truncated() && msg.flags().authoritative());
    assert_eq!((msg.question_count(), msg.answer_count()), (1, 0));
    // EDNS 4096: fits whole.
    let q = query("big.example.test", RecordType::TXT, Some(Edns::new(4096)));
    let len = r.respond(&q, &mut out, 65_535).unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    assert!(!msg.flags().truncated());
    assert_eq!(msg.answer_count(), 8);
    assert!(msg.edns().is_some());
    // ... but not when the caller can only send 1,232 bytes.
    let len = r.respond(&q, &mut out, 1232).unwrap();
    assert!(len <= 1232);
    let msg = Message::parse(&out[..len]).unwrap();
    assert!(msg.flags().truncated());
    assert!(msg.edns().is_some(), "the OPT record survives truncation");
    // Nor into a short buffer.
    let len = r.respond(&q, &mut out[..700], 65_535).unwrap();
    assert!(len <= 700 && Message::parse(&out[..len]).unwrap().flags().truncated());
    // EDNS sizes below 512 count as 512.
    let q = query("server.example.test", RecordType::A, Some(Edns::new(100)));
    let len = r.respond(&q, &mut out, 65_535).unwrap();
    assert_eq!(Message::parse(&out[..len]).unwrap().answer_count(), 1);
    // TCP: all of it, framed.
    let q = query("big.example.test", RecordType::TXT, None);
    let len = r.respond_tcp(&q, &mut out).unwrap();
    assert_eq!(usize::from(u16::from_be_bytes([out[0], out[1]])), len - 2);
    let msg = Message::parse(&out[2..len]).unwrap();
    assert!(!msg.flags().truncated());
    assert_eq!(msg.answer_count(), 8);
    assert!(len > 1600);
    assert_eq!(r.stats().truncated, 3);
}

#[test]
fn owner_keeps_the_queriers_case_and_compresses() {
    let r = Responder::new(zone());
    let q = query("SeRvEr.ExAmPlE.TeSt", RecordType::A, None);
    let mut out = [0u8; 512];
    let len = r.respond(&q, &mut out, 512).unwrap();
    let msg = Message::parse(&out[..len]).unwrap();
    let answer = msg.answers().next().unwrap();
    assert_eq!(answer.name().to_string(), "SeRvEr.ExAmPlE.TeSt");
    // 12 header + 25 question + 2 pointer + 10 fixed + 4 address.
    assert_eq!(len, 12 + 25 + 2 + 10 + 4);
}

#[test]
fn stream_reader_and_framing() {
    let mut reader = StreamReader::new();
    let mut framed = [0u8; 64];
    let a = frame_tcp(b"hello", &mut framed).unwrap();
    let mut stream = framed[..a].to_vec();
    let b = frame_tcp(b"world!", &mut framed).unwrap();
    stream.extend_from_slice(&framed[..b]);
    for byte in &stream {
        assert!(reader.push(&[*byte]));
    }
    assert_eq!(reader.next_message().unwrap(), b"hello");
    assert_eq!(reader.next_message().unwrap(), b"world!");
    assert_eq!(reader.next_message(), None);
    assert_eq!(reader.pending(), 0);
    assert!(!reader.push(&vec![0u8; StreamReader::CAPACITY + 1]));
    assert!(frame_tcp(b"hello", &mut [0u8; 6]).is_none());
}

// ------------------------------------------------- our resolver against it

/// Runs the resolver against the responder in memory until `lookup` ends;
/// returns the outcome and whether any query went over TCP.
fn resolve(
    r: &Responder,
    name: &str,
    kind: LookupKind,
    edns: bool,
) -> (Result<Answer, ResolveError>, bool) {
    let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 18, 0, 2)), 53);
    let mut config = Config::with_nameservers(&[server.ip()]);
    config.edns = edns;
    let mut resolver = Resolver::new(config, SplitMix64::new(11));
    let now = Instant::ZERO;
    let handle = resolver.lookup(now, name, kind).unwrap();
    let mut streams: HashMap<u64, StreamReader> = HashMap::new();
    let mut used_tcp = false;
    let mut out = vec![0u8; 65_537];
    for _ in 0..100 {
        if let Some(event) = resolver.poll_event() {
            assert_eq!(event.query, handle);
            return (event.result, used_tcp);
        }
        let t = resolver
            .poll_transmit(now)
            .expect("the resolver has something to send");
        assert_eq!(t.server, server);
        match t.transport {
            Transport::Udp { source_port } => {
                let len = r.respond(&t.payload, &mut out, 1232).unwrap();
                resolver.handle_udp(now, server, source_port, &out[..len]);
            }
            Transport::Tcp { stream } => {
                used_tcp = true;
                let reader = streams.entry(stream.get()).or_default();
                assert!(reader.push(&t.payload));
                let q = reader.next_message().unwrap();
                let len = r.respond_tcp(&q, &mut out).unwrap();
                // Deliver in two pieces, as a stream may.
                resolver.handle_tcp(now, stream, &out[..3]);
                resolver.handle_tcp(now, stream, &out[3..len]);
            }
        }
    }
    panic!("no answer");
}

#[test]
fn resolver_gets_an_address() {
    let r = Responder::new(zone());
    for edns in [true, false] {
        let (result, tcp) = resolve(&r, "server.example.test", LookupKind::Addresses, edns);
        let answer = result.unwrap();
        assert!(!tcp);
        assert_eq!(
            answer.addresses,
            [
                IpAddr::V4(Ipv4Addr::new(198, 18, 0, 2)),
                "2001:db8::2".parse().unwrap()
            ]
        );
    }
}

#[test]
fn resolver_follows_the_cname_chain() {
    let r = Responder::new(zone());
    let (result, _) = resolve(
        &r,
        "www.example.test",
        LookupKind::Record(RecordType::A),
        true,
    );
    let answer = result.unwrap();
    assert_eq!(answer.canonical_name, "server.example.test");
    assert_eq!(answer.addresses, [IpAddr::V4(Ipv4Addr::new(198, 18, 0, 2))]);
}

#[test]
fn resolver_sees_nxdomain_and_nodata() {
    let r = Responder::new(zone());
    let (result, _) = resolve(&r, "nope.example.test", LookupKind::Addresses, true);
    assert!(
        matches!(result, Err(ResolveError::NxDomain { .. })),
        "{result:?}"
    );
    let (result, _) = resolve(
        &r,
        "server.example.test",
        LookupKind::Record(RecordType::MX),
        true,
    );
    assert!(
        matches!(result, Err(ResolveError::NoData { .. })),
        "{result:?}"
    );
    let (result, _) = resolve(&r, "www.elsewhere.test", LookupKind::Addresses, true);
    assert!(
        matches!(result, Err(ResolveError::Refused { .. })),
        "{result:?}"
    );
}

#[test]
fn resolver_retries_a_truncated_answer_over_tcp() {
    let r = Responder::new(big_zone());
    let (result, tcp) = resolve(
        &r,
        "big.example.test",
        LookupKind::Record(RecordType::TXT),
        true,
    );
    assert!(tcp, "TC must send the resolver to TCP");
    let answer = result.unwrap();
    assert_eq!(answer.records.len(), 8);
    assert!(
        answer
            .records
            .iter()
            .all(|rec| matches!(&rec.data, RecordData::Txt(s) if s[0].len() == 200))
    );
}

// ------------------------------------------------------ compared with dnsmasq

/// The zone dnsmasq served in make-captures.sh, as our zone text; the
/// records dnsmasq was given as raw bytes (CAA, TYPE65280) and the long TXT
/// strings are taken from its answers. dnsmasq answered www/AAAA with
/// NODATA although it was given an IPv6 address for it (its authoritative
/// mode serves only the addresses inside --auth-zone's 198.18.0.0/24), so
/// the zone has no AAAA.
fn dnsmasq_zone() -> Zone {
    let mut z = Zone::parse(
        "$ORIGIN example.com.\n\
         $TTL 600\n\
         @ 600 SOA ns1 hostmaster 2024010101 3600 600 86400 600\n\
         @ NS ns1\n\
         ns1 A 198.18.0.1\n\
         www A 198.18.0.10\n\
         many A 198.18.0.21\n\
         many A 198.18.0.22\n\
         many A 198.18.0.23\n\
         many A 198.18.0.24\n\
         alias CNAME www\n\
         @ MX 10 mail\n\
         mail A 198.18.0.25\n\
         @ TXT \"v=spf1 -all\" \"hello \\\"quoted\\\" world\"\n\
         _http._tcp SRV 10 5 80 www\n",
    )
    .unwrap();
    for prefix in ["18-", "20-", "30-"] {
        let reply = Repr::parse_bytes(&capture(prefix)).unwrap();
        for record in reply.answers {
            z.add(record.name, record.ttl, record.data).unwrap();
        }
    }
    z
}

/// An answer section as a sorted list, order and case aside.
fn answer_set(records: &[RecordRepr]) -> Vec<String> {
    let mut set: Vec<String> = records
        .iter()
        .map(|r| format!("{} {} {:?}", r.name.to_ascii_lowercase(), r.ttl, r.data))
        .collect();
    set.sort();
    set
}

#[test]
fn answers_match_dnsmasq() {
    let r = Responder::new(dnsmasq_zone());
    let pairs = [
        ("01-", "02-"),
        ("03-", "04-"),
        ("05-", "06-"),
        ("07-", "08-"),
        ("09-", "10-"),
        ("11-", "12-"),
        ("13-", "14-"),
        ("15-", "16-"),
        ("17-", "18-"),
        ("19-", "20-"),
        ("21-", "22-"),
        ("23-", "24-"),
    ];
    for (q, a) in pairs {
        let query = capture(q);
        let theirs = Repr::parse_bytes(&capture(a)).unwrap();
        let mut out = [0u8; 1232];
        let len = r.respond(&query, &mut out, 1232).unwrap();
        let ours = Repr::parse_bytes(&out[..len]).unwrap();
        assert_eq!(ours.id, theirs.id, "{a}");
        assert_eq!(ours.questions, theirs.questions, "{a}");
        assert_eq!(ours.rcode(), theirs.rcode(), "{a}");
        for (what, mine, dnsmasq) in [
            ("QR", ours.flags.response(), theirs.flags.response()),
            (
                "AA",
                ours.flags.authoritative(),
                theirs.flags.authoritative(),
            ),
            ("TC", ours.flags.truncated(), theirs.flags.truncated()),
            (
                "RD",
                ours.flags.recursion_desired(),
                theirs.flags.recursion_desired(),
            ),
            (
                "RA",
                ours.flags.recursion_available(),
                theirs.flags.recursion_available(),
            ),
        ] {
            assert_eq!(mine, dnsmasq, "{a}: {what}");
        }
        assert_eq!(
            answer_set(&ours.answers),
            answer_set(&theirs.answers),
            "{a}"
        );
        // Negative answers: the same SOA with the same TTL. (dnsmasq also
        // puts the zone's NS in the authority section of positive answers;
        // we leave it out, as RFC 2181 allows.)
        if ours.answers.is_empty() {
            assert_eq!(
                answer_set(&ours.authorities),
                answer_set(&theirs.authorities),
                "{a}"
            );
        }
        // OPT in the response exactly when the query had one.
        let asked = Message::parse(&query[..]).unwrap().edns().is_some();
        assert_eq!(ours.edns().is_some(), asked, "{a}");
        assert_eq!(ours.edns().is_some(), theirs.edns().is_some(), "{a}");
    }
}

#[test]
fn truncation_matches_dnsmasq_and_tcp_gets_the_whole_answer() {
    let r = Responder::new(dnsmasq_zone());
    let theirs_udp = Repr::parse_bytes(&capture("28-")).unwrap();
    let mut out = [0u8; 1232];
    let len = r.respond(&capture("27-"), &mut out, 1232).unwrap();
    let ours_udp = Repr::parse_bytes(&out[..len]).unwrap();
    assert!(theirs_udp.flags.truncated() && ours_udp.flags.truncated());
    assert_eq!(ours_udp.rcode(), theirs_udp.rcode());

    let theirs_tcp = Repr::parse_bytes(&capture("30-")).unwrap();
    let mut out = vec![0u8; 65_537];
    let len = r.respond_tcp(&capture("29-"), &mut out).unwrap();
    let ours_tcp = Repr::parse_bytes(&out[2..len]).unwrap();
    assert!(!ours_tcp.flags.truncated());
    assert_eq!(
        answer_set(&ours_tcp.answers),
        answer_set(&theirs_tcp.answers)
    );
    assert_eq!(ours_tcp.id, theirs_tcp.id);
}

#[test]
fn other_zones_are_refused_where_dnsmasq_answers_its_second_zone() {
    // dnsmasq also served 198.18.0.0/24's reverse zone; ours is example.com only.
    let r = Responder::new(dnsmasq_zone());
    let mut out = [0u8; 1232];
    let len = r.respond(&capture("25-"), &mut out, 1232).unwrap();
    assert_eq!(Message::parse(&out[..len]).unwrap().rcode(), Rcode::REFUSED);
}

#[test]
fn parse_never_panics_on_garbage() {
    let r = Responder::new(zone());
    let mut out = [0u8; 512];
    let base = query("server.example.test", RecordType::A, Some(Edns::new(1232)));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..5000 {
        let mut q = base.clone();
        for _ in 0..4 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % q.len();
            q[i] = (seed >> 17) as u8;
        }
        q.truncate(12 + (seed as usize % q.len()));
        if let Ok(len) = r.respond(&q, &mut out, 512) {
            assert!(Message::parse(&out[..len]).is_ok());
        }
    }
    let _ = RData::A(Ipv4Addr::LOCALHOST);
}
