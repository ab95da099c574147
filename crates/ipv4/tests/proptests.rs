//! Properties: parse(emit(repr)) == repr, emitted checksums verify, and no
//! input makes a parser panic.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use core::net::Ipv4Addr;

use proptest::prelude::*;
use strata_core::buffer::PacketBuf;
use strata_ipv4::icmpv4::{self, IcmpType, TimeExceededCode, UnreachableCode};
use strata_ipv4::options::{
    Ipv4Option, OptionKind, OptionList, Options, Route, Timestamp, TimestampFlag,
};
use strata_ipv4::{Ecn, Packet, Protocol, Repr};

/// An option to push, with owned data.
#[derive(Clone, Debug)]
enum Opt {
    Nop,
    End,
    Route(u8, u8, Vec<u8>),
    Timestamp(u8, u8, u8, Vec<u8>),
    RouterAlert(u16),
    Security(Vec<u8>),
    Unknown(u8, Vec<u8>),
}

fn opt() -> impl Strategy<Value = Opt> {
    let data = || proptest::collection::vec(any::<u8>(), 0..16);
    prop_oneof![
        Just(Opt::Nop),
        Just(Opt::End),
        (0u8..3, any::<u8>(), data()).prop_map(|(k, p, d)| Opt::Route(k, p, d)),
        (any::<u8>(), 0u8..16, 0u8..16, data()).prop_map(|(p, o, f, d)| Opt::Timestamp(p, o, f, d)),
        any::<u16>().prop_map(Opt::RouterAlert),
        data().prop_map(Opt::Security),
        (2u8..=255, data()).prop_map(|(k, d)| Opt::Unknown(k, d)),
    ]
}

fn options() -> impl Strategy<Value = Options> {
    proptest::collection::vec(opt(), 0..6).prop_map(|opts| {
        let mut options = Options::EMPTY;
        for o in &opts {
            let option = match o {
                Opt::Nop => Ipv4Option::Nop,
                Opt::End => Ipv4Option::EndOfList,
                Opt::Route(k, pointer, data) => {
                    let route = Route {
                        pointer: *pointer,
                        data,
                    };
                    match k {
                        0 => Ipv4Option::RecordRoute(route),
                        1 => Ipv4Option::LooseSourceRoute(route),
                        _ => Ipv4Option::StrictSourceRoute(route),
                    }
                }
                Opt::Timestamp(pointer, overflow, flag, data) => Ipv4Option::Timestamp(Timestamp {
                    pointer: *pointer,
                    overflow: *overflow,
                    flag: TimestampFlag(*flag),
                    data,
                }),
                Opt::RouterAlert(v) => Ipv4Option::RouterAlert(*v),
                Opt::Security(data) => Ipv4Option::Security(data),
                Opt::Unknown(kind, data) => Ipv4Option::Unknown {
                    kind: OptionKind(*kind),
                    data,
                },
            };
            // Options that do not fit or do not validate are skipped.
            let before = options;
            if options.push(&option).is_err() {
                assert_eq!(options, before);
            }
        }
        options
    })
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

fn repr() -> impl Strategy<Value = Repr> {
    (
        (addr(), addr(), any::<u8>(), any::<u8>(), 0u8..64, 0u8..4),
        (
            any::<u16>(),
            any::<bool>(),
            any::<bool>(),
            0u16..0x2000,
            0usize..300,
            options(),
        ),
    )
        .prop_map(
            |(
                (src, dst, protocol, ttl, dscp, ecn),
                (
                    identification,
                    dont_fragment,
                    more_fragments,
                    fragment_offset,
                    payload_len,
                    options,
                ),
            )| Repr {
                src,
                dst,
                protocol: Protocol(protocol),
                ttl,
                dscp,
                ecn: Ecn::from_bits(ecn),
                identification,
                dont_fragment,
                more_fragments,
                fragment_offset,
                payload_len,
                options,
            },
        )
}

fn icmp_repr() -> impl Strategy<Value = icmpv4::Repr> {
    prop_oneof![
        (any::<u16>(), any::<u16>()).prop_map(|(identifier, sequence)| {
            icmpv4::Repr::EchoRequest {
                identifier,
                sequence,
            }
        }),
        (any::<u16>(), any::<u16>()).prop_map(|(identifier, sequence)| {
            icmpv4::Repr::EchoReply {
                identifier,
                sequence,
            }
        }),
        (any::<u8>(), any::<u16>()).prop_map(|(code, next_hop_mtu)| {
            icmpv4::Repr::DestinationUnreachable {
                code: UnreachableCode(code),
                next_hop_mtu,
            }
        }),
        any::<bool>().prop_map(|reassembly| icmpv4::Repr::TimeExceeded {
            code: if reassembly {
                TimeExceededCode::FragmentReassembly
            } else {
                TimeExceededCode::TtlExceeded
            }
        }),
        (any::<u8>(), any::<u8>(), any::<[u8; 4]>())
            .prop_map(|(t, code, rest)| icmpv4::Repr::from_fields(IcmpType(t), code, rest)),
    ]
}

/// A real packet with a few bytes overwritten.
fn mutated_capture() -> impl Strategy<Value = Vec<u8>> {
    let captures = common::all();
    let n = captures.len();
    (
        0..n,
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(which, edits, cut)| {
            let mut bytes = captures[which].1.clone();
            for (at, value) in edits {
                // Bias edits toward the header, where the checks are.
                let span = bytes.len().min(64);
                bytes[at.index(span)] = value;
            }
            let keep = cut.index(bytes.len() + 1);
            if keep % 3 == 0 {
                bytes.truncate(keep);
            }
            bytes
        })
}

/// Everything a caller can do with a parsed packet, to shake out panics.
fn exercise(p: &Packet<&[u8]>) {
    let _ = (p.version(), p.ihl(), p.dscp(), p.ecn(), p.total_len());
    let _ = (p.identification(), p.reserved_flag(), p.dont_fragment());
    let _ = (
        p.more_fragments(),
        p.fragment_offset_bytes(),
        p.is_fragment(),
    );
    let _ = (p.ttl(), p.protocol(), p.checksum(), p.src(), p.dst());
    let _ = (
        p.header_bytes(),
        p.payload(),
        p.packet_bytes(),
        p.is_truncated(),
    );
    let _ = p.verify_checksum();
    for option in p.options() {
        let _ = (option.kind(), option.wire_len());
        match option {
            Ipv4Option::RecordRoute(r)
            | Ipv4Option::LooseSourceRoute(r)
            | Ipv4Option::StrictSourceRoute(r) => {
                let _ = (r.addresses().count(), r.recorded().count(), r.is_full());
            }
            Ipv4Option::Timestamp(t) => {
                let _ = t.entries().count();
            }
            _ => {}
        }
    }
    let _ = format!("{p:?}");
}

/// Emits `repr` with `payload` and returns the bytes.
fn build(repr: &Repr, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; repr.header_len()];
    buf.extend_from_slice(payload);
    repr.emit(&mut buf).unwrap();
    buf
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ipv4_round_trip(repr in repr(), fill in any::<u8>()) {
        let payload = vec![fill; repr.payload_len];
        let bytes = build(&repr, &payload);
        let packet = Packet::parse_verified(&bytes[..]).unwrap();
        prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        prop_assert_eq!(packet.payload(), &payload[..]);
        prop_assert_eq!(packet.options_bytes(), repr.options.as_bytes());

        // prepend writes the same bytes.
        let mut storage = vec![0u8; 60 + payload.len()];
        let mut pkt = PacketBuf::new(&mut storage[..], 60).unwrap();
        pkt.append(payload.len()).unwrap().copy_from_slice(&payload);
        repr.prepend(&mut pkt).unwrap();
        prop_assert_eq!(pkt.as_slice(), &bytes[..]);
    }

    #[test]
    fn options_round_trip(options in options()) {
        prop_assert_eq!(options.len() % 4, 0);
        prop_assert!(options.len() <= 40);
        let list = OptionList::parse(options.as_bytes()).unwrap();
        prop_assert_eq!(Options::new(list.as_bytes()).unwrap(), options);
        let wire: usize = list.iter().map(|o| o.wire_len()).sum();
        prop_assert!(wire <= options.len());
    }

    #[test]
    fn decrement_ttl_matches_recompute(repr in repr()) {
        let mut bytes = build(&repr, &vec![0; repr.payload_len]);
        let mut p = Packet::parse(&mut bytes[..]).unwrap();
        let result = p.decrement_ttl();
        prop_assert_eq!(result, repr.ttl.checked_sub(1));
        prop_assert!(p.verify_checksum());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        for p in [Packet::parse(&bytes[..]), Packet::parse_quoted(&bytes[..])].into_iter().flatten() {
            exercise(&p);
            let repr = Repr::parse(&p).unwrap();
            if !p.is_truncated() {
                let rebuilt = build(&repr, p.payload());
                let again = Packet::parse_verified(&rebuilt[..]).unwrap();
                prop_assert_eq!(Repr::parse(&again).unwrap(), repr);
            }
        }
        let _ = Packet::parse_verified(&bytes[..]);
        if let Ok(list) = OptionList::parse(&bytes) {
            let _ = list.iter().count();
            if bytes.len() <= 40 {
                let owned = Options::new(&bytes).unwrap();
                prop_assert_eq!(&owned.as_bytes()[..bytes.len()], &bytes[..]);
            }
        }
        if let Ok(m) = icmpv4::Message::parse(&bytes[..]) {
            let repr = icmpv4::Repr::parse(&m).unwrap();
            let _ = (m.verify_checksum(), m.identifier(), m.sequence(), m.pointer(), m.gateway());
            if let Ok(q) = m.quoted_packet() {
                exercise(&q);
            }
            let mut rebuilt = bytes.clone();
            repr.emit(&mut rebuilt).unwrap();
            let again = icmpv4::Message::parse_verified(&rebuilt[..]).unwrap();
            prop_assert_eq!(icmpv4::Repr::parse(&again).unwrap(), repr);
        }
    }

    #[test]
    fn mutated_captures_never_panic(bytes in mutated_capture()) {
        if let Ok(p) = Packet::parse(&bytes[..]) {
            exercise(&p);
            let repr = Repr::parse(&p).unwrap();
            let rebuilt = build(&repr, p.payload());
            prop_assert_eq!(Repr::parse(&Packet::parse(&rebuilt[..]).unwrap()).unwrap(), repr);
            // With the reserved flag clear and a valid checksum the rebuilt
            // header is the original.
            if p.verify_checksum() && !p.reserved_flag() {
                prop_assert_eq!(&rebuilt[..], p.packet_bytes());
            }
        }
        if let Ok(p) = Packet::parse_quoted(&bytes[..]) {
            exercise(&p);
        }
    }

    #[test]
    fn icmp_round_trip(repr in icmp_repr(), data in proptest::collection::vec(any::<u8>(), 0..100)) {
        let mut buf = vec![0u8; 8];
        buf.extend_from_slice(&data);
        repr.emit(&mut buf).unwrap();
        let m = icmpv4::Message::parse_verified(&buf[..]).unwrap();
        prop_assert_eq!(icmpv4::Repr::parse(&m).unwrap(), repr);
        prop_assert_eq!(m.data(), &data[..]);
        prop_assert_eq!(
            icmpv4::Repr::from_fields(repr.icmp_type(), repr.code(), repr.rest_of_header()),
            repr
        );
    }
}
