//! The builder: compression, section order, running out of room.

// Test helpers outside #[test] functions may unwrap and index too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod wire_support;

use std::net::Ipv4Addr;

use strata_dns::wire::{
    Builder, COMPRESSION_ENTRIES, Caa, Class, EmitError, Flags, Message, Mx, NameBuf, RData,
    RecordType, Repr, Section, Soa, Srv, Txt,
};

fn n(text: &str) -> NameBuf {
    text.parse().unwrap()
}

fn a(last: u8) -> RData<'static> {
    RData::A(Ipv4Addr::new(198, 18, 0, last))
}

#[test]
fn query_bytes_are_exact() {
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf, 0x1a2b, Flags::QUERY).unwrap();
    b.question(n("www.example.com").as_name(), RecordType::A, Class::IN)
        .unwrap();
    assert_eq!(b.count(Section::Question), 1);
    assert_eq!(
        b.finish(),
        &wire_support::hex("1a2b01000001000000000000 03777777076578616d706c6503636f6d00 00010001")
            [..]
    );
}

#[test]
fn owner_names_point_to_the_question() {
    let name = n("many.example.com");
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 1, Flags::QUERY.with_response(true)).unwrap();
    b.question(name.as_name(), RecordType::A, Class::IN)
        .unwrap();
    for i in 21..25 {
        b.answer(name.as_name(), Class::IN, 600, &a(i)).unwrap();
    }
    let bytes = b.finish().to_vec();
    // Each answer: pointer 0xc00c + 10 fixed + 4.
    assert_eq!(bytes.len(), 12 + 18 + 4 + 4 * 16);
    for i in 0..4 {
        let at = 34 + 16 * i;
        assert_eq!(&bytes[at..at + 2], &[0xc0, 0x0c]);
    }
    // Byte for byte what dnsmasq sent for the same answer (its authority
    // section aside, which dnsmasq does not compress).
    let captured = wire_support::capture("22-");
    let mut ours = Repr::parse_bytes(&captured).unwrap();
    ours.authorities.clear();
    let mut expected = captured[..bytes.len()].to_vec();
    expected[8..10].copy_from_slice(&[0, 0]);
    assert_eq!(ours.to_vec().unwrap(), expected);
}

#[test]
fn suffixes_are_shared_and_case_is_kept() {
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.question(n("www.example.com").as_name(), RecordType::MX, Class::IN)
        .unwrap();
    b.answer(
        n("www.example.com").as_name(),
        Class::IN,
        1,
        &RData::Mx(Mx {
            preference: 1,
            exchange: n("mail.example.com").as_name(),
        }),
    )
    .unwrap();
    b.answer(n("WWW.example.com").as_name(), Class::IN, 1, &a(1))
        .unwrap();
    let bytes = b.finish().to_vec();
    // MX exchange: "mail" then a pointer to "example.com" at 16.
    let mx_rdata = 12 + 17 + 4 + 2 + 10;
    assert_eq!(&bytes[mx_rdata..mx_rdata + 2], &[0, 1]);
    assert_eq!(&bytes[mx_rdata + 2..mx_rdata + 9], b"\x04mail\xc0\x10");
    // The upper-case owner keeps its case: its own label, then a pointer.
    let owner = mx_rdata + 9;
    assert_eq!(&bytes[owner..owner + 6], b"\x03WWW\xc0\x10");
    let msg = Message::parse(&bytes[..]).unwrap();
    let names: Vec<String> = msg.answers().map(|r| r.name().to_string()).collect();
    assert_eq!(names, ["www.example.com", "WWW.example.com"]);
}

#[test]
fn pointer_to_a_name_that_itself_ends_in_a_pointer() {
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.question(n("example.com").as_name(), RecordType::NS, Class::IN)
        .unwrap();
    b.answer(
        n("example.com").as_name(),
        Class::IN,
        1,
        &RData::Ns(n("ns1.example.com").as_name()),
    )
    .unwrap();
    b.additional(n("ns1.example.com").as_name(), Class::IN, 1, &a(1))
        .unwrap();
    let bytes = b.finish().to_vec();
    let glue = bytes.len() - 16;
    // The glue's owner points at "ns1" inside the NS RDATA.
    assert_eq!(
        &bytes[glue..glue + 2],
        &[0xc0, (12 + 13 + 4 + 2 + 10) as u8]
    );
    let msg = Message::parse(&bytes[..]).unwrap();
    assert_eq!(msg.additionals().next().unwrap().name(), "ns1.example.com");
}

#[test]
fn srv_target_and_unknown_rdata_are_not_compressed() {
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.question(n("www.example.com").as_name(), RecordType::SRV, Class::IN)
        .unwrap();
    b.answer(
        n("_h._tcp.example.com").as_name(),
        Class::IN,
        1,
        &RData::Srv(Srv {
            priority: 1,
            weight: 2,
            port: 3,
            target: n("www.example.com").as_name(),
        }),
    )
    .unwrap();
    let bytes = b.finish().to_vec();
    assert!(bytes.ends_with(b"\x00\x01\x00\x02\x00\x03\x03www\x07example\x03com\x00"));
}

#[test]
fn every_typed_rdata_round_trips() {
    let names = [n("a.example"), n("b.example"), n("c.example")];
    let strings = [b"one".to_vec(), vec![0u8; 255], vec![]];
    let soa = Soa {
        mname: names[0].as_name(),
        rname: names[1].as_name(),
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
    };
    let data = [
        a(1),
        RData::Aaaa("2001:db8::1".parse().unwrap()),
        RData::Cname(names[0].as_name()),
        RData::Ns(names[1].as_name()),
        RData::Ptr(names[2].as_name()),
        RData::Mx(Mx {
            preference: 10,
            exchange: names[0].as_name(),
        }),
        RData::Txt(Txt::from_strings(&strings)),
        RData::Soa(soa),
        RData::Srv(Srv {
            priority: 1,
            weight: 2,
            port: 3,
            target: names[2].as_name(),
        }),
        RData::Caa(Caa {
            flags: 0x80,
            tag: b"issue",
            value: b"ca.example",
        }),
        RData::Unknown {
            rtype: RecordType(999),
            data: b"raw",
        },
    ];
    let mut buf = [0u8; 2048];
    let mut b = Builder::new(&mut buf, 9, Flags::default()).unwrap();
    for d in &data {
        b.answer(names[2].as_name(), Class::IN, 77, d).unwrap();
    }
    let bytes = b.finish().to_vec();
    let msg = Message::parse(&bytes[..]).unwrap();
    let got: Vec<_> = msg.answers().map(|r| r.data()).collect();
    assert_eq!(got, data);
    for (r, d) in msg.answers().zip(&data) {
        assert_eq!(r.rtype(), d.rtype());
        assert_eq!(r.ttl(), 77);
    }
}

#[test]
fn sections_go_in_order() {
    let name = n("x.example");
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.authority(name.as_name(), Class::IN, 1, &a(1)).unwrap();
    assert_eq!(
        b.answer(name.as_name(), Class::IN, 1, &a(2)),
        Err(EmitError::SectionOrder {
            section: Section::Answer,
            current: Section::Authority
        })
    );
    assert_eq!(
        b.question(name.as_name(), RecordType::A, Class::IN),
        Err(EmitError::SectionOrder {
            section: Section::Question,
            current: Section::Authority
        })
    );
    assert!(matches!(
        b.record(Section::Question, name.as_name(), Class::IN, 1, &a(1)),
        Err(EmitError::SectionOrder { .. })
    ));
    b.additional(name.as_name(), Class::IN, 1, &a(3)).unwrap();
    let msg = Message::parse(b.finish() as &[u8]).unwrap();
    assert_eq!(
        (
            msg.answer_count(),
            msg.authority_count(),
            msg.additional_count()
        ),
        (0, 1, 1)
    );
}

#[test]
fn out_of_room_leaves_the_message_as_it_was() {
    let name = n("www.example.com");
    assert_eq!(
        Builder::new(&mut [0u8; 11], 1, Flags::default()).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 12,
            available: 11
        }
    );
    let mut buf = [0u8; 12 + 21 + 16 + 8];
    let mut b = Builder::new(&mut buf, 1, Flags::QUERY.with_response(true)).unwrap();
    b.question(name.as_name(), RecordType::A, Class::IN)
        .unwrap();
    b.answer(name.as_name(), Class::IN, 1, &a(1)).unwrap();
    let before = b.as_bytes().to_vec();
    let e = b.answer(name.as_name(), Class::IN, 1, &a(2)).unwrap_err();
    // Writing stopped after the owner's pointer: the fixed fields need 10.
    assert_eq!(
        e,
        EmitError::BufferTooSmall {
            needed: 61,
            available: 57
        }
    );
    assert_eq!(b.as_bytes(), &before[..]);
    assert_eq!(b.count(Section::Answer), 1);
    // A server would now set TC and send what fits.
    b.set_flags(b.flags().with_truncated(true));
    let msg = Message::parse(b.finish() as &[u8]).unwrap();
    assert!(msg.flags().truncated());
    assert_eq!(msg.answer_count(), 1);
    // A failed name must not be remembered for compression.
    let mut buf = [0u8; 40];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    assert!(
        b.question(
            n("a-rather-long-label-here.example.com").as_name(),
            RecordType::A,
            Class::IN
        )
        .is_err()
    );
    b.question(n("b.example.com").as_name(), RecordType::A, Class::IN)
        .unwrap();
    let bytes = b.finish().to_vec();
    assert_eq!(&bytes[12..], b"\x01b\x07example\x03com\x00\x00\x01\x00\x01");
}

#[test]
fn limits() {
    let name = n("x");
    let mut buf = vec![0u8; 70_000];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    let long = vec![0u8; 256];
    let strings = [long.clone()];
    assert_eq!(
        b.answer(
            name.as_name(),
            Class::IN,
            1,
            &RData::Txt(Txt::from_strings(&strings))
        ),
        Err(EmitError::TooLong {
            field: "TXT string",
            len: 256,
            max: 255
        })
    );
    assert!(matches!(
        b.answer(
            name.as_name(),
            Class::IN,
            1,
            &RData::Caa(Caa {
                flags: 0,
                tag: &long,
                value: b""
            })
        ),
        Err(EmitError::TooLong {
            field: "CAA tag",
            ..
        })
    ));
    let huge = vec![0u8; 65_536];
    assert!(matches!(
        b.answer(
            name.as_name(),
            Class::IN,
            1,
            &RData::Unknown {
                rtype: RecordType(99),
                data: &huge
            }
        ),
        Err(EmitError::TooLong {
            field: "RDATA",
            len: 65_536,
            ..
        })
    ));
    assert_eq!(b.len(), 12);
    assert!(
        EmitError::TooLong {
            field: "RDATA",
            len: 1,
            max: 0
        }
        .to_string()
        .contains("RDATA")
    );
}

#[test]
fn names_beyond_the_pointer_range_are_written_in_full() {
    let filler = vec![7u8; 20_000];
    let name = n("far.example");
    let mut buf = vec![0u8; 30_000];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.answer(
        n("pad").as_name(),
        Class::IN,
        1,
        &RData::Unknown {
            rtype: RecordType(99),
            data: &filler,
        },
    )
    .unwrap();
    b.answer(name.as_name(), Class::IN, 1, &a(1)).unwrap();
    b.answer(name.as_name(), Class::IN, 1, &a(2)).unwrap();
    let bytes = b.finish().to_vec();
    let msg = Message::parse(&bytes[..]).unwrap();
    let owners: Vec<_> = msg
        .answers()
        .map(|r| (r.name().to_string(), r.len()))
        .collect();
    assert_eq!(owners[1], ("far.example".to_string(), 13 + 14));
    assert_eq!(owners[2], ("far.example".to_string(), 13 + 14));
}

#[test]
fn a_full_compression_table_still_builds_correct_messages() {
    let names: Vec<NameBuf> = (0..COMPRESSION_ENTRIES * 2)
        .map(|i| n(&format!("host{i}.zone{}.example", i % 3)))
        .collect();
    let mut buf = vec![0u8; 8192];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    for (i, name) in names.iter().enumerate() {
        b.answer(
            name.as_name(),
            Class::IN,
            1,
            &RData::Cname(names[(i + 7) % names.len()].as_name()),
        )
        .unwrap();
    }
    let bytes = b.finish().to_vec();
    let msg = Message::parse(&bytes[..]).unwrap();
    for (r, (i, name)) in msg.answers().zip(names.iter().enumerate()) {
        assert_eq!(r.name(), *name);
        assert_eq!(
            r.data(),
            RData::Cname(names[(i + 7) % names.len()].as_name())
        );
    }
    let repr = Repr::parse(&msg);
    assert_eq!(Repr::parse_bytes(&repr.to_vec().unwrap()).unwrap(), repr);
}

#[test]
fn names_from_another_message_are_copied_and_compressed() {
    let captured = wire_support::capture("06-");
    let msg = Message::parse(&captured[..]).unwrap();
    let mut buf = [0u8; 512];
    let mut b = Builder::new(&mut buf, msg.id(), msg.flags()).unwrap();
    for q in msg.questions() {
        b.question(q.name(), q.qtype(), q.qclass()).unwrap();
    }
    for r in msg.answers() {
        b.answer(r.name(), r.class(), r.ttl(), &r.data()).unwrap();
    }
    let bytes = b.finish().to_vec();
    let copy = Message::parse(&bytes[..]).unwrap();
    assert_eq!(
        copy.answers().map(|r| r.data()).collect::<Vec<_>>().len(),
        2
    );
    let originals: Vec<_> = msg
        .answers()
        .map(|r| (r.name().to_name_buf(), r.ttl()))
        .collect();
    let copies: Vec<_> = copy
        .answers()
        .map(|r| (r.name().to_name_buf(), r.ttl()))
        .collect();
    assert_eq!(originals, copies);
}

#[test]
fn in_place_edits_of_a_parsed_message() {
    let mut bytes = wire_support::capture("02-");
    let mut msg = Message::parse(&mut bytes[..]).unwrap();
    msg.set_id(0xffff);
    msg.set_flags(msg.flags().with_truncated(true));
    assert_eq!(msg.id(), 0xffff);
    assert!(msg.flags().truncated());
    assert!(msg.trailing().is_empty());
    assert_eq!(msg.header_bytes().len(), 12);
    assert_eq!(msg.as_bytes().len(), msg.len());
}
