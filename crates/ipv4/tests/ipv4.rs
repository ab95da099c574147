//! IPv4 views, options and builder against real packets and RFC vectors.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_core::checksum::checksum;
use strata_core::error::{Layer, LayerError};
use strata_ipv4::options::{
    Ipv4Option, OptionError, OptionKind, OptionList, Options, Route, Timestamp, TimestampEntry,
    TimestampFlag,
};
use strata_ipv4::{Ecn, EmitError, Packet, ParseError, Protocol, Repr};

const A: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const R: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const R2: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 2);

/// Rebuilds `bytes` from its `Repr` and payload, through both `emit` and
/// `prepend`, and checks the result is byte-for-byte the original.
fn assert_rebuilds(bytes: &[u8]) {
    let packet = Packet::parse(bytes).unwrap();
    let repr = Repr::parse(&packet).unwrap();
    assert_eq!(repr.header_len(), packet.header_len());

    let mut buf = vec![0u8; repr.total_len()];
    buf[repr.header_len()..].copy_from_slice(packet.payload());
    repr.emit(&mut buf).unwrap();
    assert_eq!(buf, packet.packet_bytes());

    let mut storage = vec![0u8; 60 + packet.payload().len()];
    let mut pkt = PacketBuf::new(&mut storage[..], 60).unwrap();
    pkt.append(packet.payload().len())
        .unwrap()
        .copy_from_slice(packet.payload());
    repr.prepend(&mut pkt).unwrap();
    assert_eq!(pkt.as_slice(), packet.packet_bytes());
}

#[test]
fn every_capture_parses_verifies_and_rebuilds() {
    for (name, bytes) in common::all() {
        let packet = Packet::parse_verified(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(packet.version(), 4, "{name}");
        assert_eq!(usize::from(packet.total_len()), bytes.len(), "{name}");
        assert!(!packet.reserved_flag(), "{name}");
        assert!(!packet.is_truncated(), "{name}");
        assert_rebuilds(&bytes);
    }
}

#[test]
fn echo_request_fields() {
    let bytes = common::echo_request();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.ihl(), 5);
    assert_eq!(p.header_len(), 20);
    assert_eq!(p.dscp(), 0);
    assert_eq!(p.ecn(), Ecn::NotEct);
    assert_eq!(p.total_len(), 84);
    assert_eq!(p.identification(), 0xe951);
    assert!(p.dont_fragment());
    assert!(!p.more_fragments());
    assert_eq!(p.fragment_offset(), 0);
    assert!(!p.is_fragment());
    assert_eq!(p.ttl(), 64);
    assert_eq!(p.protocol(), Protocol::ICMP);
    assert_eq!(p.checksum(), 0xc32f);
    assert_eq!(p.src(), A);
    assert_eq!(p.dst(), R);
    assert!(p.options_bytes().is_empty());
    assert_eq!(p.options().iter().count(), 0);
    assert_eq!(p.header_bytes(), &bytes[..20]);
    assert_eq!(p.payload(), &bytes[20..]);
    assert_eq!(p.payload()[0], 8, "ICMP echo request");
    assert_eq!(p.into_inner().len(), 84);

    let repr = Repr::parse(&Packet::parse(&bytes[..]).unwrap()).unwrap();
    assert_eq!(
        repr,
        Repr {
            identification: 0xe951,
            dont_fragment: true,
            ..Repr::new(A, R, Protocol::ICMP, 64)
        }
    );
}

#[test]
fn dscp_and_ecn() {
    let bytes = common::tos_request();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.dscp(), 46, "EF");
    assert_eq!(p.ecn(), Ecn::Ect1);
    let reply = common::tos_reply();
    let p = Packet::parse_verified(&reply[..]).unwrap();
    assert_eq!((p.dscp(), p.ecn()), (46, Ecn::Ect1));
}

#[test]
fn fragments_of_a_3000_byte_ping() {
    for frags in [
        [
            common::frag_req_0(),
            common::frag_req_1(),
            common::frag_req_2(),
        ],
        [
            common::frag_rep_0(),
            common::frag_rep_1(),
            common::frag_rep_2(),
        ],
    ] {
        let packets: Vec<_> = frags
            .iter()
            .map(|f| Packet::parse_verified(&f[..]).unwrap())
            .collect();
        let id = packets[0].identification();
        let expected = [(true, 0u16, 1480usize), (true, 185, 1480), (false, 370, 48)];
        let mut offset = 0usize;
        let mut whole = Vec::new();
        for (p, (mf, units, len)) in packets.iter().zip(expected) {
            assert_eq!(p.identification(), id);
            assert!(p.is_fragment());
            assert!(!p.dont_fragment());
            assert_eq!(p.more_fragments(), mf);
            assert_eq!(p.fragment_offset(), units);
            assert_eq!(usize::from(p.fragment_offset_bytes()), offset);
            assert_eq!(p.payload().len(), len);
            offset += len;
            whole.extend_from_slice(p.payload());
        }
        // The pieces put back together are the 8-byte ICMP header and the
        // 3000 bytes of echo data, and the ICMP checksum covers them all.
        assert_eq!(whole.len(), 3008);
        assert_eq!(checksum(&whole), 0);
    }
}

#[test]
fn record_route_request() {
    let bytes = common::rr_request();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.ihl(), 15);
    assert_eq!(p.header_len(), 60);
    assert_eq!(p.payload().len(), 64);
    let options: Vec<_> = p.options().iter().collect();
    assert_eq!(options.len(), 2);
    assert_eq!(options[0], Ipv4Option::Nop);
    let Ipv4Option::RecordRoute(route) = options[1] else {
        panic!("expected record route, got {:?}", options[1]);
    };
    assert_eq!(route.pointer, 8);
    assert_eq!(route.data.len(), 36);
    assert_eq!(route.addresses().len(), 9);
    assert_eq!(route.recorded().collect::<Vec<_>>(), [A]);
    assert!(!route.is_full());
    assert_eq!(options[1].kind(), OptionKind::RECORD_ROUTE);
    assert_eq!(options[1].wire_len(), 39);
    assert!(!OptionKind::RECORD_ROUTE.copied());
}

#[test]
fn record_route_reply_ends_with_end_of_list() {
    let bytes = common::rr_reply();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.ttl(), 63, "came through the router");
    let options: Vec<_> = p.options().iter().collect();
    assert_eq!(options.len(), 2);
    let Ipv4Option::RecordRoute(route) = options[0] else {
        panic!("expected record route, got {:?}", options[0]);
    };
    assert_eq!(route.pointer, 24);
    assert_eq!(route.recorded().collect::<Vec<_>>(), [A, R2, B, B, R]);
    assert_eq!(options[1], Ipv4Option::EndOfList);
}

#[test]
fn timestamp_option() {
    let bytes = common::ts_request();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    let options: Vec<_> = p.options().iter().collect();
    let [Ipv4Option::Timestamp(ts)] = options[..] else {
        panic!("expected one timestamp, got {options:?}");
    };
    assert_eq!(ts.flag, TimestampFlag::TIMESTAMPS_ONLY);
    assert_eq!(ts.overflow, 0);
    assert_eq!(ts.pointer, 9);
    let entries: Vec<_> = ts.entries().collect();
    assert_eq!(entries.len(), 9);
    assert_eq!(
        entries[0],
        TimestampEntry {
            address: None,
            timestamp: 36_974_128
        }
    );

    let bytes = common::ts_reply();
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    let Some(Ipv4Option::Timestamp(ts)) = p.options().iter().next() else {
        panic!("expected a timestamp");
    };
    assert_eq!(ts.pointer, 17, "three slots filled");
    let stamps: Vec<u32> = ts.entries().take(4).map(|e| e.timestamp).collect();
    assert_eq!(stamps, [36_974_128, 36_974_128, 36_974_128, 0]);
}

#[test]
fn link_padding_is_not_payload() {
    // A 34-byte datagram in a minimum-size Ethernet frame carries 12 bytes
    // of padding after it.
    let mut bytes = common::udp_closed();
    bytes.extend_from_slice(&[0; 12]);
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.total_len(), 34);
    assert_eq!(p.payload().len(), 14);
    assert_eq!(p.payload(), &common::udp_closed()[20..]);
    assert_eq!(p.packet_bytes().len(), 34);
    let repr = Repr::parse(&p).unwrap();
    assert_eq!(repr.payload_len, 14);
}

// RFC 791 Appendix A, example 1: the minimal datagram, one data byte.
#[test]
fn rfc791_example_1() {
    let repr = Repr {
        identification: 111,
        ttl: 123,
        ..Repr::new(A, B, Protocol::ICMP, 1)
    };
    let mut buf = [0u8; 21];
    buf[20] = 0xaa;
    repr.emit(&mut buf).unwrap();
    assert_eq!(&buf[..4], [0x45, 0x00, 0x00, 21]);
    assert_eq!(&buf[4..10], [0x00, 111, 0x00, 0x00, 123, 1]);
    let p = Packet::parse_verified(&buf[..]).unwrap();
    assert_eq!(p.payload(), [0xaa]);
    assert!(!p.is_fragment());
    assert_eq!(Repr::parse(&p).unwrap(), repr);
}

// RFC 791 Appendix A, example 2: a 452-byte datagram cut into fragments for
// a 280-byte MTU.
#[test]
fn rfc791_example_2() {
    let whole = Repr {
        identification: 111,
        ttl: 123,
        ..Repr::new(A, B, Protocol::TCP, 452)
    };
    assert_eq!(whole.total_len(), 472);
    let first = Repr {
        ttl: 119,
        more_fragments: true,
        payload_len: 256,
        ..whole
    };
    let second = Repr {
        ttl: 119,
        fragment_offset: 32,
        payload_len: 196,
        ..whole
    };
    for (repr, total, units, mf) in [(first, 276u16, 0u16, true), (second, 216, 32, false)] {
        let mut buf = vec![0u8; repr.total_len()];
        repr.emit(&mut buf).unwrap();
        let p = Packet::parse_verified(&buf[..]).unwrap();
        assert_eq!(p.total_len(), total);
        assert_eq!(p.fragment_offset(), units);
        assert_eq!(p.more_fragments(), mf);
        assert_eq!(p.identification(), 111);
        assert!(p.is_fragment());
        assert_eq!(Repr::parse(&p).unwrap(), repr);
    }
    assert_eq!(u32::from(second.fragment_offset) * 8, 256);
}

// RFC 791 Appendix A, example 3: options of lengths 3, 4, a NOP, 3, and an
// End of Option List filling three words (IHL 8).
#[test]
fn rfc791_example_3() {
    let raw = [
        0x0b, 3, 0xaa, //
        0x0b, 4, 0xbb, 0xcc, //
        0x01, //
        0x0c, 3, 0xdd, //
        0x00,
    ];
    let options = Options::new(&raw).unwrap();
    assert_eq!(options.len(), 12);
    let repr = Repr {
        identification: 111,
        ttl: 123,
        options,
        ..Repr::new(A, B, Protocol::TCP, 576 - 32)
    };
    assert_eq!(repr.header_len(), 32);
    let mut buf = vec![0u8; 576];
    repr.emit(&mut buf).unwrap();
    assert_eq!(buf[0], 0x48);
    assert_eq!(&buf[20..32], raw);
    let p = Packet::parse_verified(&buf[..]).unwrap();
    assert_eq!(p.total_len(), 576);
    let got: Vec<_> = p.options().iter().collect();
    assert_eq!(
        got,
        [
            Ipv4Option::Unknown {
                kind: OptionKind(0x0b),
                data: &[0xaa]
            },
            Ipv4Option::Unknown {
                kind: OptionKind(0x0b),
                data: &[0xbb, 0xcc]
            },
            Ipv4Option::Nop,
            Ipv4Option::Unknown {
                kind: OptionKind(0x0c),
                data: &[0xdd]
            },
            Ipv4Option::EndOfList,
        ]
    );
    assert_eq!(Repr::parse(&p).unwrap(), repr);
}

// The header checksum worked through on many pages about RFC 1071.
#[test]
fn rfc1071_header_checksum() {
    let mut header = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    // The total length (0x73) is longer than the header alone.
    let mut buf = header.to_vec();
    buf.resize(0x73, 0);
    let p = Packet::parse_verified(&buf[..]).unwrap();
    assert_eq!(p.checksum(), 0xb861);

    header[10] = 0;
    header[11] = 0;
    buf[..20].copy_from_slice(&header);
    let mut p = Packet::parse(&mut buf[..]).unwrap();
    assert!(!p.verify_checksum());
    p.fill_checksum();
    assert_eq!(p.checksum(), 0xb861);
    assert!(p.verify_checksum());
}

#[test]
fn bad_version() {
    let mut bytes = common::echo_request();
    bytes[0] = 0x65;
    assert_eq!(
        Packet::parse(&bytes[..]).unwrap_err(),
        ParseError::BadVersion { found: 6 }
    );
}

#[test]
fn bad_header_length() {
    let mut bytes = common::echo_request();
    for ihl in 0..5u8 {
        bytes[0] = 0x40 | ihl;
        assert_eq!(
            Packet::parse(&bytes[..]).unwrap_err(),
            ParseError::BadHeaderLength {
                header_len: usize::from(ihl) * 4
            }
        );
    }
    // IHL 15 but only 24 bytes.
    bytes[0] = 0x4f;
    assert_eq!(
        Packet::parse(&bytes[..24]).unwrap_err(),
        ParseError::Truncated {
            needed: 60,
            available: 24
        }
    );
}

#[test]
fn bad_total_length() {
    let mut bytes = common::echo_request();
    bytes[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(
        Packet::parse(&bytes[..]).unwrap_err(),
        ParseError::BadTotalLength {
            total_len: 19,
            header_len: 20
        }
    );
    bytes[2..4].copy_from_slice(&85u16.to_be_bytes());
    assert_eq!(
        Packet::parse(&bytes[..]).unwrap_err(),
        ParseError::Truncated {
            needed: 85,
            available: 84
        }
    );
    // A header with options whose total length stops inside them.
    let mut rr = common::rr_request();
    rr[2..4].copy_from_slice(&40u16.to_be_bytes());
    assert_eq!(
        Packet::parse(&rr[..]).unwrap_err(),
        ParseError::BadTotalLength {
            total_len: 40,
            header_len: 60
        }
    );
}

#[test]
fn truncated() {
    let bytes = common::echo_request();
    for len in 0..20 {
        assert_eq!(
            Packet::parse(&bytes[..len]).unwrap_err(),
            ParseError::Truncated {
                needed: 20,
                available: len
            }
        );
    }
    assert_eq!(
        Packet::parse(&bytes[..83]).unwrap_err(),
        ParseError::Truncated {
            needed: 84,
            available: 83
        }
    );
}

#[test]
fn bad_checksum() {
    let mut bytes = common::echo_request();
    bytes[8] = 63; // TTL changed in flight without a checksum update
    assert!(Packet::parse(&bytes[..]).is_ok(), "parse does not verify");
    let err = Packet::parse_verified(&bytes[..]).unwrap_err();
    let ParseError::BadChecksum { found, computed } = err else {
        panic!("expected a checksum error, got {err:?}");
    };
    assert_eq!(found, 0xc32f);
    bytes[10..12].copy_from_slice(&computed.to_be_bytes());
    assert!(Packet::parse_verified(&bytes[..]).is_ok());
    assert_eq!(err.layer(), Layer::Ipv4);
    assert_eq!(
        err.to_string(),
        "IPv4 header checksum is 0xc32f, should be 0xc42f"
    );
}

#[test]
fn bad_options_name_the_offset() {
    let base = common::rr_request();
    let cases: [(&[u8], ParseError); 5] = [
        // RR length byte 1 at header byte 21.
        (
            &[0x01, 0x07, 0x01],
            ParseError::BadOption(OptionError::BadLength {
                offset: 21,
                kind: OptionKind::RECORD_ROUTE,
                len: 1,
            }),
        ),
        // Length 41 runs past the 40-byte options area.
        (
            &[0x07, 41],
            ParseError::BadOption(OptionError::PastEnd {
                offset: 20,
                kind: OptionKind::RECORD_ROUTE,
                len: 41,
                available: 40,
            }),
        ),
        // Unknown option with length 0.
        (
            &[0x01, 0x01, 0x01, 0x99, 0x00],
            ParseError::BadOption(OptionError::BadLength {
                offset: 23,
                kind: OptionKind(0x99),
                len: 0,
            }),
        ),
        // Router alert must be exactly 4 bytes.
        (
            &[0x94, 0x03, 0x00, 0x01],
            ParseError::BadOption(OptionError::BadLength {
                offset: 20,
                kind: OptionKind::ROUTER_ALERT,
                len: 3,
            }),
        ),
        // Timestamp needs its pointer and flag bytes.
        (
            &[0x44, 0x03, 0x05, 0x00],
            ParseError::BadOption(OptionError::BadLength {
                offset: 20,
                kind: OptionKind::TIMESTAMP,
                len: 3,
            }),
        ),
    ];
    for (options, expected) in cases {
        let mut bytes = base.clone();
        bytes[20..60].fill(0);
        bytes[20..20 + options.len()].copy_from_slice(options);
        assert_eq!(
            Packet::parse(&bytes[..]).unwrap_err(),
            expected,
            "{options:x?}"
        );
    }
    // A type byte in the last position has no room for its length.
    let mut bytes = base.clone();
    bytes[20..59].fill(1);
    bytes[59] = 0x07;
    assert_eq!(
        Packet::parse(&bytes[..]).unwrap_err(),
        ParseError::BadOption(OptionError::MissingLength {
            offset: 59,
            kind: OptionKind::RECORD_ROUTE
        })
    );
    // Bytes after an End of Option List are padding, not options.
    let mut bytes = base.clone();
    bytes[20] = 0x00;
    bytes[21..60].fill(0xff);
    let p = Packet::parse(&bytes[..]).unwrap();
    assert_eq!(
        p.options().iter().collect::<Vec<_>>(),
        [Ipv4Option::EndOfList]
    );
    assert_eq!(p.options_bytes().len(), 40);
}

#[test]
fn router_alert_and_source_routes() {
    // IGMP's Router Alert, then a loose source route through two hops.
    let raw = [
        0x94, 0x04, 0x00, 0x00, //
        0x01, 0x83, 0x0b, 0x04, 198, 18, 1, 2, 198, 18, 2, 2,
    ];
    let list = OptionList::parse(&raw).unwrap();
    let got: Vec<_> = list.iter().collect();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], Ipv4Option::RouterAlert(0));
    assert_eq!(got[1], Ipv4Option::Nop);
    let Ipv4Option::LooseSourceRoute(route) = got[2] else {
        panic!("expected LSRR, got {:?}", got[2]);
    };
    assert_eq!(route.addresses().collect::<Vec<_>>(), [R, B]);
    assert_eq!(route.recorded().count(), 0);
    assert!(OptionKind::LOOSE_SOURCE_ROUTE.copied());

    let ssrr = [0x89, 0x07, 0x08, 198, 18, 1, 2];
    let got: Vec<_> = OptionList::parse(&ssrr).unwrap().iter().collect();
    let [Ipv4Option::StrictSourceRoute(route)] = got[..] else {
        panic!("expected SSRR, got {got:?}");
    };
    assert!(route.is_full());
    assert_eq!(route.recorded().collect::<Vec<_>>(), [R]);

    // RFC 1108 basic security option, kept with its data.
    let sec = [0x82, 0x04, 0xab, 0xcd];
    let got: Vec<_> = OptionList::parse(&sec).unwrap().iter().collect();
    assert_eq!(got, [Ipv4Option::Security(&[0xab, 0xcd])]);
}

#[test]
fn options_push_pads_and_round_trips() {
    let mut options = Options::EMPTY;
    options.push(&Ipv4Option::Nop).unwrap();
    let slots = [0u8; 36];
    options
        .push(&Ipv4Option::RecordRoute(Route {
            pointer: 4,
            data: &slots,
        }))
        .unwrap();
    assert_eq!(options.len(), 40);
    // Linux's `ping -R` options, byte for byte, apart from the first slot.
    let rr = common::rr_request();
    let mut expected = rr[20..60].to_vec();
    expected[3] = 4;
    expected[4..8].fill(0);
    assert_eq!(options.as_bytes(), expected);
    assert_eq!(
        options.push(&Ipv4Option::Nop),
        Err(OptionError::TooLong { len: 41 })
    );

    let mut options = Options::EMPTY;
    options
        .push(&Ipv4Option::Timestamp(Timestamp {
            pointer: 5,
            overflow: 2,
            flag: TimestampFlag::WITH_ADDRESSES,
            data: &[198, 18, 1, 1, 0, 0, 0, 7],
        }))
        .unwrap();
    options.push(&Ipv4Option::RouterAlert(1)).unwrap();
    assert_eq!(options.len(), 16);
    // An explicit End of Option List on a word boundary costs a word.
    options.push(&Ipv4Option::EndOfList).unwrap();
    assert_eq!(options.len(), 20);
    let got: Vec<_> = options.iter().collect();
    let Ipv4Option::Timestamp(ts) = got[0] else {
        panic!("expected timestamp");
    };
    assert_eq!((ts.overflow, ts.flag), (2, TimestampFlag::WITH_ADDRESSES));
    assert_eq!(
        ts.entries().collect::<Vec<_>>(),
        [TimestampEntry {
            address: Some(A),
            timestamp: 7
        }]
    );
    assert_eq!(got[1], Ipv4Option::RouterAlert(1));
    assert_eq!(got[2], Ipv4Option::EndOfList);

    // A route without its pointer byte is refused and changes nothing.
    let before = options;
    assert!(
        options
            .push(&Ipv4Option::Unknown {
                kind: OptionKind::RECORD_ROUTE,
                data: &[]
            })
            .is_err()
    );
    assert!(
        options
            .push(&Ipv4Option::Unknown {
                kind: OptionKind::NOP,
                data: &[1]
            })
            .is_err()
    );
    assert_eq!(options, before);

    // Padding on construction: 5 bytes become 8, and equal the pushed form.
    let mut pushed = Options::EMPTY;
    pushed.push(&Ipv4Option::RouterAlert(0)).unwrap();
    pushed.push(&Ipv4Option::Nop).unwrap();
    assert_eq!(Options::new(&[0x94, 4, 0, 0, 1]).unwrap(), pushed);
    assert_eq!(
        Options::new(&[1; 41]),
        Err(OptionError::TooLong { len: 41 })
    );
}

#[test]
fn repr_with_options_round_trips() {
    let mut options = Options::EMPTY;
    options.push(&Ipv4Option::RouterAlert(0)).unwrap();
    let repr = Repr {
        dscp: 48,
        ecn: Ecn::Ce,
        ttl: 1,
        options,
        ..Repr::new(A, Ipv4Addr::new(198, 19, 0, 22), Protocol::IGMP, 8)
    };
    assert_eq!(repr.header_len(), 24);
    let mut buf = [0u8; 32];
    repr.emit(&mut buf).unwrap();
    assert_eq!(buf[0], 0x46);
    assert_eq!(buf[1], (48 << 2) | 3);
    let p = Packet::parse_verified(&buf[..]).unwrap();
    assert_eq!(p.options_bytes(), [0x94, 0x04, 0x00, 0x00]);
    assert_eq!(Repr::parse(&p).unwrap(), repr);
}

#[test]
fn emit_errors() {
    let repr = Repr::new(A, B, Protocol::UDP, 10);
    let mut small = [0u8; 29];
    assert_eq!(
        repr.emit(&mut small),
        Err(EmitError::BufferTooSmall {
            needed: 30,
            available: 29
        })
    );
    let mut buf = [0u8; 30];
    assert_eq!(
        Repr { dscp: 64, ..repr }.emit(&mut buf),
        Err(EmitError::BadDscp { dscp: 64 })
    );
    assert_eq!(
        Repr {
            fragment_offset: 0x2000,
            ..repr
        }
        .emit(&mut buf),
        Err(EmitError::BadFragmentOffset {
            fragment_offset: 0x2000
        })
    );
    assert_eq!(
        Repr {
            payload_len: 65_516,
            ..repr
        }
        .emit(&mut buf),
        Err(EmitError::TooLong { total_len: 65_536 })
    );
    assert_eq!(buf, [0u8; 30], "errors write nothing");

    // Prepend wants exactly the payload, and enough headroom.
    let mut storage = [0u8; 64];
    let mut pkt = PacketBuf::new(&mut storage[..], 19).unwrap();
    pkt.append(10).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt),
        Err(EmitError::BufferTooSmall {
            needed: 20,
            available: 19
        })
    );
    pkt.append(1).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt),
        Err(EmitError::PayloadLengthMismatch {
            expected: 10,
            found: 11
        })
    );
    assert_eq!((pkt.headroom(), pkt.len()), (19, 11));
    // A larger buffer than needed is fine for emit: the rest is untouched.
    let mut big = [0xeeu8; 40];
    repr.emit(&mut big).unwrap();
    assert_eq!(&big[30..], [0xee; 10]);
    assert_eq!(
        Packet::parse_verified(&big[..]).unwrap().payload().len(),
        10
    );
}

#[test]
fn decrement_ttl_updates_checksum_incrementally() {
    for (name, mut bytes) in common::all() {
        let mut p = Packet::parse(&mut bytes[..]).unwrap();
        let ttl = p.ttl();
        assert_eq!(p.decrement_ttl(), Some(ttl - 1), "{name}");
        assert!(p.verify_checksum(), "{name}");
        let incremental = p.checksum();
        p.fill_checksum();
        assert_eq!(p.checksum(), incremental, "{name}");
    }
    let mut bytes = common::echo_request();
    let mut p = Packet::parse(&mut bytes[..]).unwrap();
    p.set_ttl(0);
    p.fill_checksum();
    assert_eq!(p.decrement_ttl(), None);
    assert_eq!(p.ttl(), 0);
    assert!(p.verify_checksum());
}

#[test]
fn setters() {
    let mut bytes = common::echo_request();
    let mut p = Packet::parse(&mut bytes[..]).unwrap();
    p.set_dscp(10);
    p.set_ecn(Ecn::Ect0);
    p.set_identification(0x1234);
    p.set_reserved_flag(true);
    p.set_dont_fragment(false);
    p.set_more_fragments(true);
    p.set_fragment_offset(0x1fff);
    p.set_ttl(9);
    p.set_protocol(Protocol::UDP);
    p.set_src(B);
    p.set_dst(A);
    p.payload_mut()[0] = 0xff;
    p.fill_checksum();
    assert_eq!(p.dscp(), 10);
    assert_eq!(p.ecn(), Ecn::Ect0);
    assert_eq!(p.identification(), 0x1234);
    assert!(p.reserved_flag());
    assert!(!p.dont_fragment());
    assert!(p.more_fragments());
    assert_eq!(p.fragment_offset(), 0x1fff);
    assert_eq!(p.fragment_offset_bytes(), 65_528);
    assert_eq!(p.ttl(), 9);
    assert_eq!(p.protocol(), Protocol::UDP);
    assert_eq!((p.src(), p.dst()), (B, A));
    assert_eq!(p.payload()[0], 0xff);
    let p = Packet::parse_verified(&bytes[..]).unwrap();
    assert_eq!(p.version(), 4);
    assert_eq!(p.total_len(), 84);
}

#[test]
fn quoted_header_may_claim_more_than_is_there() {
    // The first 28 bytes of a 1228-byte datagram: header and 8 bytes.
    let original = common::df_request();
    let quote = &original[..28];
    assert!(Packet::parse(quote).is_err());
    let p = Packet::parse_quoted(quote).unwrap();
    assert!(p.is_truncated());
    assert_eq!(p.total_len(), 1228);
    assert_eq!(p.payload().len(), 8);
    assert_eq!((p.src(), p.dst()), (A, B));
    assert!(p.verify_checksum());
    assert_eq!(Repr::parse(&p).unwrap().payload_len, 1208);
    // A quote still needs a whole, sane header.
    assert_eq!(
        Packet::parse_quoted(&original[..19]).unwrap_err(),
        ParseError::Truncated {
            needed: 20,
            available: 19
        }
    );
}

#[test]
fn names_and_display() {
    assert_eq!(Protocol::TCP.to_string(), "TCP");
    assert_eq!(Protocol(200).to_string(), "200");
    assert_eq!(Protocol::from(17), Protocol::UDP);
    assert_eq!(u8::from(Protocol::ICMP), 1);
    assert_eq!(Ecn::Ce.to_string(), "CE");
    assert_eq!(Ecn::from_bits(0b110), Ecn::Ect0);
    assert_eq!(OptionKind::ROUTER_ALERT.to_string(), "RTRALT");
    assert_eq!(OptionKind(0x44).class(), 2);
    assert_eq!(OptionKind(0x44).number(), 4);
    assert_eq!(
        ParseError::BadVersion { found: 6 }.to_string(),
        "IPv4 version field is 6, expected 4"
    );
    assert_eq!(
        ParseError::BadOption(OptionError::BadLength {
            offset: 21,
            kind: OptionKind::RECORD_ROUTE,
            len: 1
        })
        .to_string(),
        "IPv4 option RR at byte 21 has invalid length 1"
    );
    let p = common::echo_request();
    let dbg = format!("{:?}", Packet::parse(&p[..]).unwrap());
    assert!(dbg.contains("198.18.1.1"), "{dbg}");
}
