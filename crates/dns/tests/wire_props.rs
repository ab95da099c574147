//! Property tests: build then parse gives back what was built; parsing
//! arbitrary or damaged bytes never panics, and whatever parses round-trips.

// Test helpers outside #[test] functions may unwrap and index too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod wire_support;

use std::hash::{BuildHasher, RandomState};
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use strata_dns::wire::{
    Builder, Caa, Class, EdnsOptionRepr, EmitError, Flags, Message, Mx, Name, NameBuf, OptionCode,
    QuestionRepr, RDataRepr, RecordRepr, RecordType, Repr, Section, Soa, Srv,
};

fn label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(vec![&b"www"[..], b"example", b"com", b"mail", b"WWW", b"ns1", b"_tcp"])
            .prop_map(<[u8]>::to_vec),
        2 => prop::collection::vec(any::<u8>(), 1..=12),
        1 => prop::collection::vec(any::<u8>(), 60..=63),
    ]
}

fn name() -> impl Strategy<Value = NameBuf> {
    // Four 63-octet labels exceed 255 octets: such draws are not names.
    prop::collection::vec(label(), 0..=4).prop_filter_map("name longer than 255 octets", |labels| {
        NameBuf::from_labels(labels.iter().map(Vec::as_slice)).ok()
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

/// Types that get typed RDATA, which `Unknown` must avoid.
const TYPED: [u16; 11] = [1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 257];

/// RDATA with a CLASS under which it reads back as the same variant.
fn rdata_and_class() -> impl Strategy<Value = (RDataRepr, Class)> {
    let any_class = prop_oneof![Just(Class::IN), Just(Class::CH), Just(Class(4242))];
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| (RDataRepr::A(Ipv4Addr::from(o)), Class::IN)),
        any::<[u8; 16]>().prop_map(|o| (RDataRepr::Aaaa(Ipv6Addr::from(o)), Class::IN)),
        (name(), any_class.clone()).prop_map(|(n, c)| (RDataRepr::Cname(n), c)),
        (name(), any_class.clone()).prop_map(|(n, c)| (RDataRepr::Ns(n), c)),
        (name(), any_class.clone()).prop_map(|(n, c)| (RDataRepr::Ptr(n), c)),
        (any::<u16>(), name(), any_class.clone()).prop_map(|(preference, exchange, c)| (
            RDataRepr::Mx(Mx {
                preference,
                exchange
            }),
            c
        )),
        (prop::collection::vec(bytes(255), 0..4), any_class.clone())
            .prop_map(|(s, c)| (RDataRepr::Txt(s), c)),
        (name(), name(), any::<[u32; 5]>(), any_class.clone()).prop_map(|(mname, rname, v, c)| {
            let soa = Soa {
                mname,
                rname,
                serial: v[0],
                refresh: v[1],
                retry: v[2],
                expire: v[3],
                minimum: v[4],
            };
            (RDataRepr::Soa(Box::new(soa)), c)
        }),
        (any::<[u16; 3]>(), name(), any_class.clone()).prop_map(|(v, target, c)| {
            (
                RDataRepr::Srv(Srv {
                    priority: v[0],
                    weight: v[1],
                    port: v[2],
                    target,
                }),
                c,
            )
        }),
        (any::<u8>(), bytes(20), bytes(40), any_class)
            .prop_map(|(flags, tag, value, c)| (RDataRepr::Caa(Caa { flags, tag, value }), c)),
        (
            prop::collection::vec((any::<u16>(), bytes(30)), 0..3),
            any::<u16>()
        )
            .prop_map(|(o, c)| {
                let options = o
                    .into_iter()
                    .map(|(code, data)| EdnsOptionRepr {
                        code: OptionCode(code),
                        data,
                    })
                    .collect();
                (RDataRepr::Opt(options), Class(c))
            }),
        (
            any::<u16>().prop_filter("typed", |t| !TYPED.contains(t)),
            bytes(40),
            any::<u16>()
        )
            .prop_map(|(t, data, c)| (
                RDataRepr::Unknown {
                    rtype: RecordType(t),
                    data
                },
                Class(c)
            )),
        // A and AAAA outside class IN are raw.
        bytes(8).prop_map(|data| (
            RDataRepr::Unknown {
                rtype: RecordType::A,
                data
            },
            Class::CH
        )),
        // Dynamic update: empty RDATA in class ANY.
        Just((
            RDataRepr::Unknown {
                rtype: RecordType::MX,
                data: vec![]
            },
            Class::ANY
        )),
    ]
}

fn record() -> impl Strategy<Value = RecordRepr> {
    (name(), rdata_and_class(), any::<u32>()).prop_map(|(name, (data, class), ttl)| RecordRepr {
        name,
        class,
        ttl,
        data,
    })
}

fn question() -> impl Strategy<Value = QuestionRepr> {
    (name(), any::<u16>(), any::<u16>()).prop_map(|(name, t, c)| QuestionRepr {
        name,
        qtype: RecordType(t),
        qclass: Class(c),
    })
}

fn repr() -> impl Strategy<Value = Repr> {
    (
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(question(), 0..3),
        prop::collection::vec(record(), 0..6),
        prop::collection::vec(record(), 0..4),
        prop::collection::vec(record(), 0..4),
    )
        .prop_map(
            |(id, flags, questions, answers, authorities, additionals)| Repr {
                id,
                flags: Flags(flags),
                questions,
                answers,
                authorities,
                additionals,
            },
        )
}

/// Parses, walks everything, and checks the owned round trip.
fn parse_and_round_trip(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let _ = (msg.rcode(), msg.edns(), msg.trailing());
    for q in msg.questions() {
        let _ = q.name().to_string();
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        for r in msg.records(section) {
            let _ = format!("{} {:?} {:?}", r.name(), r.data(), r.edns());
            assert!(r.name().wire_len() <= 255);
        }
    }
    let repr = Repr::parse(&msg);
    let built = repr.to_vec().expect("a parsed message can be rebuilt");
    let again = Repr::parse_bytes(&built).expect("a rebuilt message parses");
    assert_eq!(again, repr);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn emit_then_parse_is_identity(repr in repr()) {
        let mut buf = vec![0u8; repr.buffer_len()];
        let len = repr.emit(&mut buf).unwrap();
        prop_assert!(len <= repr.buffer_len());
        let msg = Message::parse(&buf[..len]).unwrap();
        prop_assert_eq!(msg.len(), len);
        prop_assert_eq!(usize::from(msg.answer_count()), repr.answers.len());
        prop_assert_eq!(Repr::parse(&msg), repr);
    }

    #[test]
    fn short_buffers_fail_cleanly(repr in repr(), cut in 0usize..400) {
        let full = repr.to_vec().unwrap();
        let size = cut.min(full.len().saturating_sub(1));
        let mut buf = vec![0u8; size];
        match repr.emit(&mut buf) {
            Err(EmitError::BufferTooSmall { available, .. }) => prop_assert_eq!(available, size),
            other => prop_assert!(false, "{:?} for {} < {}", other, size, full.len()),
        }
        // A builder stopped by a full buffer still holds a valid message.
        if size >= 12 {
            let mut b = Builder::new(&mut buf, repr.id, repr.flags).unwrap();
            for q in &repr.questions {
                if b.question(q.name.as_name(), q.qtype, q.qclass).is_err() { break; }
            }
            for r in &repr.answers {
                if b.answer(r.name.as_name(), r.class, r.ttl, &r.data.as_rdata()).is_err() { break; }
            }
            let partial = b.finish();
            prop_assert!(Message::parse(&*partial).is_ok());
        }
    }

    #[test]
    fn random_bytes_never_panic(data in bytes(300)) {
        parse_and_round_trip(&data);
    }

    #[test]
    fn random_bodies_behind_a_plausible_header(counts in any::<[u8; 4]>(), body in bytes(300)) {
        let mut data = vec![0xab, 0xcd, 0x81, 0x80];
        for c in counts {
            data.extend_from_slice(&[0, c % 5]);
        }
        data.extend_from_slice(&body);
        parse_and_round_trip(&data);
    }

    #[test]
    fn damaged_captures_never_panic(
        which in 0usize..30,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..5),
        cut in any::<prop::sample::Index>(),
        do_cut in any::<bool>(),
    ) {
        let all = wire_support::captures();
        let mut data = all[which % all.len()].1.clone();
        for (at, byte) in flips {
            let i = at.index(data.len());
            data[i] = byte;
        }
        if do_cut {
            data.truncate(cut.index(data.len() + 1));
        }
        parse_and_round_trip(&data);
    }

    #[test]
    fn name_decompression_never_panics(data in bytes(200), offset in 0usize..220) {
        if let Ok((name, end)) = Name::parse(&data, offset) {
            prop_assert!(end <= data.len());
            prop_assert!(end > offset);
            prop_assert!(name.wire_len() <= 255);
            let owned = name.to_name_buf();
            prop_assert_eq!(owned.wire_len(), name.wire_len());
            prop_assert_eq!(owned.labels().count(), name.labels().count());
            prop_assert!(name == owned);
        }
    }

    #[test]
    fn text_form_round_trips(name in name()) {
        let text = name.to_string();
        let back: NameBuf = text.parse().unwrap();
        prop_assert_eq!(back.as_wire(), name.as_wire());
        prop_assert!(name.as_name() == text.as_str());
    }

    #[test]
    fn equality_and_hash_ignore_case(name in name(), flips in any::<u64>()) {
        let mut wire = name.as_wire().to_vec();
        for (i, b) in wire.iter_mut().enumerate() {
            if b.is_ascii_alphabetic() && flips >> (i % 64) & 1 == 1 {
                *b ^= 0x20;
            }
        }
        let other = NameBuf::from_wire(&wire).unwrap();
        prop_assert_eq!(&other, &name);
        let state = RandomState::new();
        prop_assert_eq!(state.hash_one(&other), state.hash_one(&name));
        prop_assert!(other.as_name().eq_ignore_ascii_case(&name.as_name()));
    }
}
