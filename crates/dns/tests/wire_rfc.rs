//! Examples from the RFCs, and name text handling.

// Test helpers outside #[test] functions may unwrap and index too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::net::Ipv4Addr;

use strata_dns::wire::{
    Builder, Class, Edns, EdnsOption, Flags, Message, Name, NameBuf, Opcode, OptionCode, Options,
    RData, RDataRepr, Rcode, RecordType, Repr, Section,
};

/// RFC 1035 4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA at 40 (FOO then a
/// pointer to 20), ARPA at 64 (a pointer to 26), the root at 92.
#[test]
fn rfc1035_compression_example() {
    let mut msg = vec![0u8; 100];
    msg[20..32].copy_from_slice(b"\x01F\x03ISI\x04ARPA\x00");
    msg[40..46].copy_from_slice(b"\x03FOO\xc0\x14");
    msg[64..66].copy_from_slice(&[0xc0, 26]);
    msg[92] = 0;

    let (f, end) = Name::parse(&msg, 20).unwrap();
    assert_eq!((f.to_string().as_str(), end), ("F.ISI.ARPA", 32));
    let (foo, end) = Name::parse(&msg, 40).unwrap();
    assert_eq!((foo.to_string().as_str(), end), ("FOO.F.ISI.ARPA", 46));
    assert_eq!(
        foo.labels().collect::<Vec<_>>(),
        [&b"FOO"[..], b"F", b"ISI", b"ARPA"]
    );
    let (arpa, end) = Name::parse(&msg, 64).unwrap();
    assert_eq!((arpa.to_string().as_str(), end), ("ARPA", 66));
    let (root, end) = Name::parse(&msg, 92).unwrap();
    assert!(root.is_root());
    assert_eq!((root.to_string().as_str(), end), (".", 93));

    assert!(foo.is_subdomain_of(&f));
    assert!(foo.is_subdomain_of(&arpa));
    assert!(foo.is_subdomain_of(&root));
    assert!(!f.is_subdomain_of(&foo));
    assert_eq!(foo, "foo.f.isi.arpa.");
    assert_ne!(foo, "foo.f.isi");
    assert_eq!(foo.wire_len(), 16);
}

/// RFC 6891 6.1.3: the 12-bit RCODE is the OPT record's 8 bits over the
/// header's 4 (BADVERS = 16 has header RCODE 0).
#[test]
fn rfc6891_extended_rcode_and_flags() {
    let mut buf = [0u8; 128];
    let mut b = Builder::new(
        &mut buf,
        7,
        Flags::default()
            .with_response(true)
            .with_rcode(Rcode::BADVERS),
    )
    .unwrap();
    let cookie = [1, 2, 3, 4, 5, 6, 7, 8];
    let owned = [strata_dns::wire::EdnsOptionRepr {
        code: OptionCode::COOKIE,
        data: cookie.to_vec(),
    }];
    b.edns(&Edns {
        udp_payload_size: 4096,
        extended_rcode: Rcode::BADVERS.high(),
        version: 0,
        flags: Edns::DO,
        options: Options::from_owned(&owned),
    })
    .unwrap();
    let bytes = b.finish().to_vec();
    // Header RCODE 0, OPT: root, type 41, class 4096, ttl 0x01_00_8000.
    assert_eq!(bytes[3] & 0x0f, 0);
    assert_eq!(
        &bytes[12..23],
        &[0, 0, 41, 0x10, 0x00, 0x01, 0x00, 0x80, 0x00, 0, 12]
    );
    let msg = Message::parse(&bytes[..]).unwrap();
    assert_eq!(msg.flags().rcode(), Rcode::NOERROR);
    assert_eq!(msg.rcode(), Rcode::BADVERS);
    assert_eq!(msg.rcode().name(), Some("BADVERS"));
    let edns = msg.edns().unwrap();
    assert!(edns.dnssec_ok());
    assert_eq!(edns.udp_payload_size, 4096);
    assert_eq!(
        edns.options.iter().collect::<Vec<_>>(),
        [EdnsOption {
            code: OptionCode::COOKIE,
            data: &cookie
        }]
    );
    let repr = Repr::parse(&msg);
    assert_eq!(repr.rcode(), Rcode::BADVERS);
    assert_eq!(repr.edns(), Some(edns));
    assert_eq!(Rcode::from_parts(3, 0), Rcode::NXDOMAIN);
    assert_eq!(Rcode(0xabc).low(), 0xc);
    assert_eq!(Rcode(0xabc).high(), 0xab);
}

/// RFC 3597 5: `a.example. CLASS32 TYPE731 \# 6 abcdef012345` stays raw and
/// is written back unchanged.
#[test]
fn rfc3597_unknown_type_and_class() {
    let name: NameBuf = "a.example".parse().unwrap();
    let data = [0xab, 0xcd, 0xef, 0x01, 0x23, 0x45];
    let mut buf = [0u8; 64];
    let mut b = Builder::new(&mut buf, 1, Flags::default()).unwrap();
    b.answer(
        name.as_name(),
        Class(32),
        0,
        &RData::Unknown {
            rtype: RecordType(731),
            data: &data,
        },
    )
    .unwrap();
    let bytes = b.finish().to_vec();
    let msg = Message::parse(&bytes[..]).unwrap();
    let r = msg.answers().next().unwrap();
    assert_eq!(r.class().to_string(), "CLASS32");
    assert_eq!(r.rtype().to_string(), "TYPE731");
    assert_eq!(
        r.data(),
        RData::Unknown {
            rtype: RecordType(731),
            data: &data
        }
    );
    assert_eq!(r.rdata(), &data);
    assert_eq!(Repr::parse(&msg).to_vec().unwrap(), bytes);
}

/// Dynamic update (RFC 2136): empty RDATA in class ANY or NONE is not an
/// A record of the wrong size.
#[test]
fn rfc2136_empty_rdata() {
    let zone: NameBuf = "example.com".parse().unwrap();
    let mut buf = [0u8; 128];
    let mut b = Builder::new(&mut buf, 1, Flags::default().with_opcode(Opcode::UPDATE)).unwrap();
    b.question(zone.as_name(), RecordType::SOA, Class::IN)
        .unwrap();
    b.answer(
        zone.as_name(),
        Class::ANY,
        0,
        &RData::Unknown {
            rtype: RecordType::A,
            data: &[],
        },
    )
    .unwrap();
    b.authority(
        zone.as_name(),
        Class::NONE,
        0,
        &RData::A(Ipv4Addr::new(198, 18, 0, 1)),
    )
    .unwrap();
    let bytes = b.finish().to_vec();
    let msg = Message::parse(&bytes[..]).unwrap();
    assert_eq!(msg.opcode(), Opcode::UPDATE);
    assert_eq!(msg.opcode().to_string(), "UPDATE");
    assert_eq!(
        msg.answers().next().unwrap().data(),
        RData::Unknown {
            rtype: RecordType::A,
            data: &[]
        }
    );
    assert_eq!(
        msg.authorities().next().unwrap().data(),
        RData::A(Ipv4Addr::new(198, 18, 0, 1))
    );
    let repr = Repr::parse(&msg);
    assert_eq!(Repr::parse_bytes(&repr.to_vec().unwrap()).unwrap(), repr);
}

#[test]
fn presentation_form_escapes() {
    let name = NameBuf::from_labels([&b"a.b"[..], b"c\\d", b"sp ace", b"\x00\xff", b"ok"]).unwrap();
    let text = name.to_string();
    assert_eq!(text, r"a\.b.c\\d.sp\032ace.\000\255.ok");
    let back: NameBuf = text.parse().unwrap();
    assert_eq!(back.as_wire(), name.as_wire());
    assert_eq!(back.labels().count(), 5);
    // `\c` for any character.
    let n: NameBuf = r"\w\w\w.x".parse().unwrap();
    assert_eq!(n.as_wire(), b"\x03www\x01x\x00");
    assert_eq!(NameBuf::ROOT.to_string(), ".");
    assert_eq!("".parse::<NameBuf>().unwrap(), NameBuf::ROOT);
    assert_eq!(".".parse::<NameBuf>().unwrap(), NameBuf::ROOT);
    assert!(NameBuf::ROOT.is_root());
    assert_eq!(format!("{:?}", n), "NameBuf(\"www.x\")");
}

#[test]
fn namebuf_is_a_case_insensitive_map_key() {
    let mut cache: HashMap<NameBuf, u32> = HashMap::new();
    cache.insert("WWW.Example.COM".parse().unwrap(), 1);
    cache.insert("mail.example.com".parse().unwrap(), 2);
    assert_eq!(cache.get(&"www.example.com.".parse().unwrap()), Some(&1));
    assert_eq!(cache.get(&"MAIL.EXAMPLE.COM".parse().unwrap()), Some(&2));
    assert_eq!(cache.get(&"example.com".parse().unwrap()), None);
    // Keys made from names inside a message find the same entries.
    let resp = [
        0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 3, b'w', b'W', b'w', 7, b'e', b'x', b'a', b'm',
        b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0, 1, 0, 1,
    ];
    let msg = Message::parse(&resp[..]).unwrap();
    let key = msg.question().unwrap().name().to_name_buf();
    assert_eq!(cache.get(&key), Some(&1));
    assert_eq!(
        key.to_ascii_lowercase().as_wire(),
        b"\x03www\x07example\x03com\x00"
    );
    // Hash of a borrowed name matches the owned one's.
    use std::hash::{BuildHasher, RandomState};
    let state = RandomState::new();
    let q = msg.question().unwrap().name();
    assert_eq!(state.hash_one(q), state.hash_one(&key));
    assert_eq!(
        state.hash_one(&key),
        state.hash_one(NameBuf::from(q).to_ascii_lowercase())
    );
}

#[test]
fn open_enums_name_known_values_and_keep_unknown_ones() {
    assert_eq!(RecordType::AAAA.name(), Some("AAAA"));
    assert_eq!(RecordType(28), RecordType::AAAA);
    assert_eq!(RecordType(9999).name(), None);
    assert_eq!(format!("{:?}", RecordType::MX), "MX(15)");
    assert_eq!(format!("{:?}", RecordType(9999)), "RecordType(9999)");
    assert_eq!(Class::IN.to_string(), "IN");
    assert_eq!(Opcode(9).to_string(), "OPCODE9");
    assert_eq!(Rcode(3841).to_string(), "RCODE3841");
    assert_eq!(OptionCode(10).name(), Some("COOKIE"));
    assert_eq!(u16::from(RecordType::CAA), 257);
    assert_eq!(
        Section::Authority.wireshark_title(),
        "Authoritative nameservers"
    );
    assert_eq!(Section::ALL.map(Section::index), [0, 1, 2, 3]);
}

#[test]
fn flags_word() {
    let f = Flags(0x8580);
    assert!(f.response() && f.authoritative() && f.recursion_desired() && f.recursion_available());
    assert!(!f.truncated() && !f.z() && !f.authentic_data() && !f.checking_disabled());
    assert_eq!(f.opcode(), Opcode::QUERY);
    let g = Flags::default()
        .with_response(true)
        .with_opcode(Opcode::NOTIFY)
        .with_authoritative(true)
        .with_truncated(true)
        .with_recursion_desired(true)
        .with_recursion_available(true)
        .with_authentic_data(true)
        .with_checking_disabled(true)
        .with_rcode(Rcode::REFUSED);
    assert_eq!(
        g.0,
        0x8000 | (4 << 11) | 0x0400 | 0x0200 | 0x0100 | 0x0080 | 0x0020 | 0x0010 | 5
    );
    assert_eq!(g.opcode(), Opcode::NOTIFY);
    assert_eq!(g.rcode(), Rcode::REFUSED);
    assert!(!g.with_truncated(false).truncated());
    assert_eq!(
        format!("{:?}", Flags(0x8180)),
        "Flags(0x8180: QUERY qr rd ra NOERROR)"
    );
}

#[test]
fn owned_rdata_converts_both_ways() {
    let mx = RDataRepr::Mx(strata_dns::wire::Mx {
        preference: 5,
        exchange: "mx.example".parse().unwrap(),
    });
    assert_eq!(mx.rtype(), RecordType::MX);
    assert_eq!(RDataRepr::from(&mx.as_rdata()), mx);
    assert_eq!(mx.wire_len(), 2 + 12);
    let txt = RDataRepr::Txt(vec![b"one".to_vec(), vec![], b"three".to_vec()]);
    let RData::Txt(view) = txt.as_rdata() else {
        panic!()
    };
    assert_eq!(view.wire_len(), 4 + 1 + 6);
    let wire = strata_dns::wire::Txt::from_wire(b"\x03one\x00\x05three").unwrap();
    assert_eq!(view, wire);
    assert_eq!(format!("{wire:?}"), r#"["one", "", "three"]"#);
}
