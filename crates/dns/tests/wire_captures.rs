//! Messages captured from dnsmasq (see tests/data/make-captures.sh): every
//! one parses, reads as dig showed it, and survives a round trip through
//! the owned form and the builder.

// Test helpers outside #[test] functions may unwrap and index too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod wire_support;

use std::net::{Ipv4Addr, Ipv6Addr};

use strata_dns::wire::{
    Class, Message, Name, NameBuf, Opcode, RData, RDataRepr, Rcode, RecordType, Repr, Section,
};
use wire_support::{capture, captures};

fn name(text: &str) -> NameBuf {
    text.parse().unwrap()
}

/// Touches every field of every entry, the way a dissector would.
fn walk(msg: &Message<&[u8]>) -> usize {
    let mut seen = 0;
    let _ = (msg.id(), msg.flags(), msg.rcode(), msg.opcode(), msg.edns());
    for q in msg.questions() {
        seen += q.name().to_string().len() + usize::from(q.qtype().0) + q.len();
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        for r in msg.records(section) {
            assert_eq!(r.section(), section);
            seen += r.name().labels().count() + r.rdata().len() + r.len();
            seen += format!("{:?} {}", r.data(), r.name()).len();
        }
    }
    seen
}

#[test]
fn every_capture_parses_walks_and_round_trips() {
    let all = captures();
    assert!(all.len() >= 30, "captures missing: {}", all.len());
    for (file, bytes) in &all {
        let msg = Message::parse(&bytes[..]).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(msg.len(), bytes.len(), "{file}: trailing bytes");
        assert!(walk(&msg) > 0);
        let is_response = file.contains("-r-");
        assert_eq!(msg.is_response(), is_response, "{file}");
        assert_eq!(msg.opcode(), Opcode::QUERY);

        let repr = Repr::parse(&msg);
        let built = repr.to_vec().unwrap();
        assert!(built.len() <= repr.buffer_len());
        let again = Repr::parse_bytes(&built).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(again, repr, "{file}");
        // We compress at least as well as dnsmasq does.
        assert!(
            built.len() <= bytes.len(),
            "{file}: {} > {}",
            built.len(),
            bytes.len()
        );
    }
}

#[test]
fn queries_echo_their_question_and_ask_for_edns() {
    let q = capture("01-");
    let msg = Message::parse(&q[..]).unwrap();
    assert_eq!(msg.question_count(), 1);
    let question = msg.question().unwrap();
    assert_eq!(question.name(), "www.example.com");
    assert_eq!(question.qtype(), RecordType::A);
    assert_eq!(question.qclass(), Class::IN);
    assert!(msg.flags().recursion_desired());
    let edns = msg.edns().unwrap();
    assert_eq!(edns.udp_payload_size, 1232);
    assert_eq!(edns.version, 0);
    // dig sends a COOKIE option.
    let options: Vec<_> = edns.options.iter().collect();
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].code.name(), Some("COOKIE"));
    assert_eq!(options[0].data.len(), 8);
}

#[test]
fn a_answer_with_authority_and_opt() {
    let bytes = capture("02-");
    let msg = Message::parse(&bytes[..]).unwrap();
    assert!(msg.flags().authoritative());
    assert!(!msg.flags().recursion_available());
    assert_eq!(msg.rcode(), Rcode::NOERROR);
    assert_eq!(
        (
            msg.answer_count(),
            msg.authority_count(),
            msg.additional_count()
        ),
        (1, 1, 1)
    );
    let a = msg.answers().next().unwrap();
    assert_eq!(a.name(), "www.example.com");
    assert_eq!(
        a.name().offset(),
        12 + 17 + 4,
        "owner is the pointer after the question"
    );
    assert_eq!(a.rtype(), RecordType::A);
    assert_eq!(a.ttl(), 600);
    assert_eq!(a.data(), RData::A(Ipv4Addr::new(198, 18, 0, 10)));
    let ns = msg.authorities().next().unwrap();
    assert_eq!(ns.name(), "example.com");
    match ns.data() {
        RData::Ns(target) => assert_eq!(target, "ns1.example.com"),
        other => panic!("{other:?}"),
    }
    let opt = msg.opt().unwrap();
    assert!(opt.name().is_root());
    assert_eq!(opt.edns().unwrap().udp_payload_size, 1232);
}

#[test]
fn aaaa_nodata_has_soa_authority() {
    // dnsmasq in auth mode answers AAAA for a name with A only... except
    // this one has both: check whichever it sent.
    let bytes = capture("04-");
    let msg = Message::parse(&bytes[..]).unwrap();
    for r in msg.answers() {
        assert_eq!(
            r.data(),
            RData::Aaaa("2001:db8::10".parse::<Ipv6Addr>().unwrap())
        );
    }
    for r in msg.authorities() {
        assert!(matches!(r.data(), RData::Soa(_) | RData::Ns(_)));
    }
}

#[test]
fn cname_chain() {
    let bytes = capture("06-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let answers: Vec<_> = msg.answers().collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0].name(), "alias.example.com");
    let RData::Cname(target) = answers[0].data() else {
        panic!("{:?}", answers[0].data())
    };
    assert_eq!(target, "www.example.com");
    // The A record's owner is a pointer into the CNAME's RDATA.
    assert_eq!(answers[1].name(), target);
    assert_eq!(answers[1].data(), RData::A(Ipv4Addr::new(198, 18, 0, 10)));
}

#[test]
fn mx() {
    let bytes = capture("08-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let RData::Mx(mx) = msg.answers().next().unwrap().data() else {
        panic!()
    };
    assert_eq!(mx.preference, 10);
    assert_eq!(mx.exchange, "mail.example.com");
}

#[test]
fn txt_with_several_strings() {
    let bytes = capture("10-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let RData::Txt(txt) = msg.answers().next().unwrap().data() else {
        panic!()
    };
    let strings: Vec<_> = txt.strings().collect();
    assert_eq!(strings.len(), 2);
    assert_eq!(strings[0], b"v=spf1 -all");
    assert!(strings[1].starts_with(b"hello"));
}

#[test]
fn srv() {
    let bytes = capture("12-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let answer = msg.answers().next().unwrap();
    assert_eq!(answer.name(), "_http._tcp.example.com");
    let RData::Srv(srv) = answer.data() else {
        panic!()
    };
    assert_eq!((srv.priority, srv.weight, srv.port), (10, 5, 80));
    assert_eq!(srv.target, "www.example.com");
}

#[test]
fn soa() {
    let bytes = capture("14-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let RData::Soa(soa) = msg.answers().next().unwrap().data() else {
        panic!()
    };
    assert_eq!(soa.mname, "ns1.example.com");
    assert_eq!(soa.rname, "hostmaster.example.com");
    assert_eq!((soa.refresh, soa.retry, soa.expire), (3600, 600, 86400));
}

#[test]
fn caa() {
    let bytes = capture("18-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let RData::Caa(caa) = msg.answers().next().unwrap().data() else {
        panic!()
    };
    assert_eq!(caa.flags, 0);
    assert!(!caa.critical());
    assert_eq!(caa.tag, b"issue");
    assert_eq!(caa.value, b"ca.example.net");
}

#[test]
fn unknown_type_is_kept_raw() {
    let bytes = capture("20-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let answer = msg.answers().next().unwrap();
    assert_eq!(answer.rtype(), RecordType(65280));
    assert_eq!(answer.rtype().to_string(), "TYPE65280");
    assert_eq!(
        answer.data(),
        RData::Unknown {
            rtype: RecordType(65280),
            data: &[0xde, 0xad, 0xbe, 0xef, 0x00]
        }
    );
    let repr = Repr::parse(&msg);
    assert_eq!(
        repr.answers[0].data,
        RDataRepr::Unknown {
            rtype: RecordType(65280),
            data: vec![0xde, 0xad, 0xbe, 0xef, 0x00]
        }
    );
}

#[test]
fn four_a_records_compressed() {
    let bytes = capture("22-");
    let msg = Message::parse(&bytes[..]).unwrap();
    assert!(msg.edns().is_none(), "asked with +noedns");
    let addrs: Vec<_> = msg
        .answers()
        .map(|r| {
            assert_eq!(r.name(), "many.example.com");
            match r.data() {
                RData::A(a) => a,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    assert_eq!(addrs.len(), 4);
    let mut octets: Vec<_> = addrs.iter().map(|a| a.octets()[3]).collect();
    octets.sort_unstable();
    assert_eq!(octets, [21, 22, 23, 24]);
}

#[test]
fn nxdomain() {
    let bytes = capture("24-");
    let msg = Message::parse(&bytes[..]).unwrap();
    assert_eq!(msg.rcode(), Rcode::NXDOMAIN);
    assert_eq!(msg.rcode().to_string(), "NXDOMAIN");
    assert_eq!(msg.answer_count(), 0);
    let soa = msg.authorities().next().unwrap();
    assert_eq!(soa.rtype(), RecordType::SOA);
    assert!(msg.question().unwrap().name().is_subdomain_of(&soa.name()));
}

#[test]
fn ptr() {
    let bytes = capture("26-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let q = msg.question().unwrap();
    assert_eq!(q.name(), "10.0.18.198.in-addr.arpa");
    let RData::Ptr(target) = msg.answers().next().unwrap().data() else {
        panic!()
    };
    assert_eq!(target, "www.example.com");
}

#[test]
fn truncated_udp_answer_then_tcp() {
    let udp = capture("28-");
    let msg = Message::parse(&udp[..]).unwrap();
    assert!(msg.flags().truncated());
    assert!(udp.len() <= 512);
    let tcp = capture("30-");
    let full = Message::parse(&tcp[..]).unwrap();
    assert!(!full.flags().truncated());
    assert!(tcp.len() > 512);
    assert_eq!(full.answer_count(), 4);
    for r in full.answers() {
        let RData::Txt(txt) = r.data() else { panic!() };
        let strings: Vec<_> = txt.strings().collect();
        assert_eq!(strings.len(), 2);
        assert!(strings[0].len() > 200);
    }
    // The question over TCP is the same as over UDP.
    let (q_udp, q_tcp) = (capture("27-"), capture("29-"));
    let q_udp = Message::parse(&q_udp[..]).unwrap();
    let q_tcp = Message::parse(&q_tcp[..]).unwrap();
    assert_eq!(
        q_udp.question().unwrap().name(),
        q_tcp.question().unwrap().name()
    );
}

#[test]
fn names_from_captures_convert_and_compare() {
    let bytes = capture("06-");
    let msg = Message::parse(&bytes[..]).unwrap();
    let owner: Name<'_> = msg.answers().nth(1).unwrap().name();
    let buf = owner.to_name_buf();
    assert_eq!(buf, name("WWW.EXAMPLE.COM"));
    assert_eq!(buf.as_wire(), b"\x03www\x07example\x03com\x00");
    assert_eq!(owner.wire_len(), buf.wire_len());
    assert_eq!(owner.label_count(), 3);
}
