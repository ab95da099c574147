//! DNS message parse and build, strata against hickory-proto and simple-dns
//! in the same criterion groups.
//!
//! Two messages, both captured from dnsmasq (crates/dns/tests/data):
//! - `4xA` (180 bytes): a question for many.example.com/A answered by four A
//!   records whose owner names are compression pointers, plus one NS record
//!   in the authority section;
//! - `txt_large` (1035 bytes): big.example.com/TXT over TCP, four TXT
//!   records of two strings each (204 and 15 octets), plus one NS record.
//!
//! Parse means: parse the message and walk every question and record,
//! reading every name label by label (summing label lengths) and every
//! RDATA (the address, the NS target's labels, every TXT string). hickory and
//! simple-dns parse eagerly into owned values; strata validates up front and
//! walks lazily, so its walk is inside the timed loop too.
//!
//! Build means: write the same message (header, question, answers, authority)
//! with name compression, from names prepared outside the loop (a `NameBuf`,
//! a hickory `Name`, a simple-dns `Name`), into a reused buffer for strata
//! and into the `Vec` each peer's API returns. Before timing, each built
//! message is checked to parse back (with strata) to the same records.

// Benchmarks are test code, not library code: a broken fixture should stop
// the run loudly, so unwrap and indexing are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use strata_dns::wire::{
    Builder, Class, Flags, Message, Name, NameBuf, RData, RecordType, Repr, Section, Txt,
};

const FOUR_A: &str =
    include_str!("../../crates/dns/tests/data/captures/22-many.example.com-1-r-udp.hex");
const TXT_LARGE: &str =
    include_str!("../../crates/dns/tests/data/captures/30-big.example.com-16-r-tcp.hex");

fn hex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------- parse

fn strata_name(name: Name<'_>) -> usize {
    name.labels().map(|l| l.len() + usize::from(l[0])).sum()
}

fn strata_parse(bytes: &[u8]) -> usize {
    let msg = Message::parse(bytes).unwrap();
    let mut acc = usize::from(msg.id()) + usize::from(msg.flags().0);
    for q in msg.questions() {
        acc += strata_name(q.name()) + usize::from(q.qtype().0) + usize::from(q.qclass().0);
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        for r in msg.records(section) {
            acc += strata_name(r.name()) + r.ttl() as usize + usize::from(r.class().0);
            acc += match r.data() {
                RData::A(a) => a.to_bits() as usize,
                RData::Ns(n) | RData::Cname(n) | RData::Ptr(n) => strata_name(n),
                RData::Txt(t) => t.strings().map(|s| s.len() + usize::from(s[0])).sum(),
                other => usize::from(other.rtype().0),
            };
        }
    }
    acc
}

fn hickory_name(name: &hickory_proto::rr::Name) -> usize {
    name.iter().map(|l| l.len() + usize::from(l[0])).sum()
}

fn hickory_parse(bytes: &[u8]) -> usize {
    use hickory_proto::rr::RData as H;
    let msg = hickory_proto::op::Message::from_vec(bytes).unwrap();
    let mut acc = usize::from(msg.metadata.id);
    for q in &msg.queries {
        acc += hickory_name(q.name()) + usize::from(u16::from(q.query_type()));
    }
    for r in msg
        .answers
        .iter()
        .chain(&msg.authorities)
        .chain(&msg.additionals)
    {
        acc += hickory_name(&r.name) + r.ttl as usize + usize::from(u16::from(r.dns_class));
        acc += match &r.data {
            H::A(a) => a.0.to_bits() as usize,
            H::NS(n) => hickory_name(&n.0),
            H::CNAME(n) => hickory_name(&n.0),
            H::TXT(t) => t.txt_data.iter().map(|s| s.len() + usize::from(s[0])).sum(),
            other => usize::from(u16::from(other.record_type())),
        };
    }
    acc
}

fn simple_name(name: &simple_dns::Name<'_>) -> usize {
    // Labels' bytes are private; `as_bytes` yields each label's bytes.
    name.as_bytes().map(|l| l.len() + usize::from(l[0])).sum()
}

fn simple_parse(bytes: &[u8]) -> usize {
    use simple_dns::rdata::RData as S;
    let msg = simple_dns::Packet::parse(bytes).unwrap();
    let mut acc = usize::from(msg.id());
    for q in &msg.questions {
        acc += simple_name(&q.qname);
    }
    for r in msg
        .answers
        .iter()
        .chain(&msg.name_servers)
        .chain(&msg.additional_records)
    {
        acc += simple_name(&r.name) + r.ttl as usize;
        acc += match &r.rdata {
            S::A(a) => a.address as usize,
            S::NS(n) => simple_name(&n.0),
            S::CNAME(n) => simple_name(&n.0),
            // The strings are private; the attribute iterator is the only way
            // to read them (it also splits each at '=').
            S::TXT(t) => t
                .iter_raw()
                .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len))
                .sum(),
            _ => 1,
        };
    }
    acc
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("dns_parse");
    for (label, text) in [("4xA", FOUR_A), ("txt_large", TXT_LARGE)] {
        let bytes = hex(text);
        // All three read the same message.
        assert!(strata_parse(&bytes) > 0 && hickory_parse(&bytes) > 0 && simple_parse(&bytes) > 0);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(BenchmarkId::new("strata", label), |b| {
            b.iter(|| strata_parse(black_box(&bytes)))
        });
        group.bench_function(BenchmarkId::new("hickory-proto", label), |b| {
            b.iter(|| hickory_parse(black_box(&bytes)))
        });
        group.bench_function(BenchmarkId::new("simple-dns", label), |b| {
            b.iter(|| simple_parse(black_box(&bytes)))
        });
    }
    group.finish();
}

// ---------------------------------------------------------------- build

/// What a built message holds, read back with strata, to check that the
/// three builders wrote the same thing.
fn summary(bytes: &[u8]) -> Repr {
    let mut repr = Repr::parse_bytes(bytes).unwrap();
    repr.flags = Flags::default();
    repr
}

/// The content of both messages: owner, TTL, and either addresses or TXT
/// strings; the authority NS is the same for both.
struct Content {
    owner: &'static str,
    qtype: RecordType,
    addrs: Vec<Ipv4Addr>,
    txts: Vec<Vec<Vec<u8>>>,
}

fn contents() -> [(&'static str, Content); 2] {
    let four_a = Content {
        owner: "many.example.com",
        qtype: RecordType::A,
        addrs: (21..25).map(|i| Ipv4Addr::new(198, 18, 0, i)).collect(),
        txts: vec![],
    };
    let long: Vec<u8> = (0..204).map(|i| b'a' + (i % 26) as u8).collect();
    let txt = Content {
        owner: "big.example.com",
        qtype: RecordType::TXT,
        addrs: vec![],
        txts: (0..4u8)
            .map(|i| {
                vec![
                    [&[b'0' + i][..], &long[1..]].concat(),
                    format!("second string {i}").into_bytes(),
                ]
            })
            .collect(),
    };
    [("4xA", four_a), ("txt_large", txt)]
}

const ID: u16 = 0x3852;
const TTL: u32 = 600;

fn strata_build(
    buf: &mut [u8],
    c: &Content,
    owner: &NameBuf,
    zone: &NameBuf,
    ns: &NameBuf,
) -> usize {
    let mut b = Builder::new(
        buf,
        ID,
        Flags::default()
            .with_response(true)
            .with_authoritative(true),
    )
    .unwrap();
    b.question(owner.as_name(), c.qtype, Class::IN).unwrap();
    for a in &c.addrs {
        b.answer(owner.as_name(), Class::IN, TTL, &RData::A(*a))
            .unwrap();
    }
    for strings in &c.txts {
        b.answer(
            owner.as_name(),
            Class::IN,
            TTL,
            &RData::Txt(Txt::from_strings(strings)),
        )
        .unwrap();
    }
    b.authority(zone.as_name(), Class::IN, TTL, &RData::Ns(ns.as_name()))
        .unwrap();
    b.finish().len()
}

fn hickory_build(
    c: &Content,
    owner: &hickory_proto::rr::Name,
    zone: &hickory_proto::rr::Name,
    ns: &hickory_proto::rr::Name,
) -> Vec<u8> {
    use hickory_proto::op::{Message, OpCode, Query};
    use hickory_proto::rr::rdata::{A, NS, TXT};
    use hickory_proto::rr::{RData as H, Record};
    let mut msg = Message::response(ID, OpCode::Query);
    msg.metadata.authoritative = true;
    let qtype = hickory_proto::rr::RecordType::from(c.qtype.0);
    msg.add_query(Query::query(owner.clone(), qtype));
    for a in &c.addrs {
        msg.add_answer(Record::from_rdata(owner.clone(), TTL, H::A(A(*a))));
    }
    for strings in &c.txts {
        let txt = TXT::from_bytes(strings.iter().map(Vec::as_slice).collect());
        msg.add_answer(Record::from_rdata(owner.clone(), TTL, H::TXT(txt)));
    }
    msg.add_authority(Record::from_rdata(zone.clone(), TTL, H::NS(NS(ns.clone()))));
    msg.to_vec().unwrap()
}

fn simple_build(
    c: &Content,
    owner: &simple_dns::Name<'static>,
    zone: &simple_dns::Name<'static>,
    ns: &simple_dns::Name<'static>,
) -> Vec<u8> {
    use simple_dns::rdata::{A, NS, RData as S, TXT};
    use simple_dns::{CLASS, CharacterString, Packet, PacketFlag, Question, ResourceRecord, TYPE};
    let mut msg = Packet::new_reply(ID);
    msg.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
    let qtype = if c.qtype == RecordType::A {
        TYPE::A
    } else {
        TYPE::TXT
    };
    msg.questions.push(Question::new(
        owner.clone(),
        qtype.into(),
        CLASS::IN.into(),
        false,
    ));
    for a in &c.addrs {
        let rdata = S::A(A {
            address: a.to_bits(),
        });
        msg.answers
            .push(ResourceRecord::new(owner.clone(), CLASS::IN, TTL, rdata));
    }
    for strings in &c.txts {
        let mut txt = TXT::new();
        for s in strings {
            txt.add_char_string(CharacterString::new(s).unwrap());
        }
        msg.answers.push(ResourceRecord::new(
            owner.clone(),
            CLASS::IN,
            TTL,
            S::TXT(txt),
        ));
    }
    msg.name_servers.push(ResourceRecord::new(
        zone.clone(),
        CLASS::IN,
        TTL,
        S::NS(NS(ns.clone())),
    ));
    msg.build_bytes_vec_compressed().unwrap()
}

fn build(cr: &mut Criterion) {
    let mut group = cr.benchmark_group("dns_build");
    let zone_text = "example.com";
    let ns_text = "ns1.example.com";
    for (label, c) in contents() {
        let (owner, zone, ns): (NameBuf, NameBuf, NameBuf) = (
            c.owner.parse().unwrap(),
            zone_text.parse().unwrap(),
            ns_text.parse().unwrap(),
        );
        let h = |t: &str| hickory_proto::rr::Name::from_ascii(format!("{t}.")).unwrap();
        let (h_owner, h_zone, h_ns) = (h(c.owner), h(zone_text), h(ns_text));
        let (s_owner, s_zone, s_ns) = (
            simple_dns::Name::new_unchecked(c.owner),
            simple_dns::Name::new_unchecked(zone_text),
            simple_dns::Name::new_unchecked(ns_text),
        );
        let mut buf = vec![0u8; 4096];

        // The three builders write the same records.
        let len = strata_build(&mut buf, &c, &owner, &zone, &ns);
        let ours = summary(&buf[..len]);
        assert_eq!(summary(&hickory_build(&c, &h_owner, &h_zone, &h_ns)), ours);
        assert_eq!(summary(&simple_build(&c, &s_owner, &s_zone, &s_ns)), ours);
        assert_eq!(ours.answers.len(), 4);

        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(BenchmarkId::new("strata", label), |b| {
            b.iter(|| strata_build(black_box(&mut buf), black_box(&c), &owner, &zone, &ns))
        });
        group.bench_function(BenchmarkId::new("hickory-proto", label), |b| {
            b.iter(|| hickory_build(black_box(&c), &h_owner, &h_zone, &h_ns))
        });
        group.bench_function(BenchmarkId::new("simple-dns", label), |b| {
            b.iter(|| simple_build(black_box(&c), &s_owner, &s_zone, &s_ns))
        });
    }
    group.finish();
}

criterion_group!(benches, parse, build);
criterion_main!(benches);
