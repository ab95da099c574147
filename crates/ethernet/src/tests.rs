//! Frame and Repr tests against captured and tshark-checked bytes.

use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use strata_core::buffer::PacketBuf;
use strata_core::error::{Layer, LayerError};

use crate::*;

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

// Captured with tcpdump on a veth pair between two Linux 6.x network
// namespaces (198.18.60.1 pings 198.18.60.2).
const ARP_REQUEST: &str = "ffffffffffff 96d2ff987087 0806
    0001 0800 0604 0001 96d2ff987087 c6123c01 000000000000 c6123c02";
const ARP_REPLY: &str = "96d2ff987087 7ec6819517dc 0806
    0001 0800 0604 0002 7ec6819517dc c6123c02 96d2ff987087 c6123c01";
const ICMP_REQUEST: &str = "7ec6819517dc 96d2ff987087 0800
    4500 0054 eabf 4000 4001 4bc1 c612 3c01 c612 3c02 0800 cff1 29f7 0001
    1f07 086b 0000 0000 0dd1 0a00 0000 0000 1011 1213 1415 1617 1819 1a1b
    1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637";
// The ICMP request with a C-tag (pcp 5, vid 100) inserted, and with an
// S-tag (vid 200) plus C-tag (pcp 7, DEI, vid 300); tshark 4.x dissects
// both as written in the tests below.
const ICMP_TAGGED: &str = "7ec6819517dc 96d2ff987087 8100 a064 0800
    4500 0054 eabf 4000 4001 4bc1 c612 3c01 c612 3c02 0800 cff1 29f7 0001
    1f07 086b 0000 0000 0dd1 0a00 0000 0000 1011 1213 1415 1617 1819 1a1b
    1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637";
const ICMP_QINQ: &str = "7ec6819517dc 96d2ff987087 88a8 00c8 8100 f12c 0800
    4500 0054 eabf 4000 4001 4bc1 c612 3c01 c612 3c02 0800 cff1 29f7 0001
    1f07 086b 0000 0000 0dd1 0a00 0000 0000 1011 1213 1415 1617 1819 1a1b
    1c1d 1e1f 2021 2223 2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637";
// An IEEE 802.3 spanning-tree configuration BPDU (length 38, LLC 42 42 03),
// padded to 60 bytes; tshark shows "IEEE 802.3 Ethernet, Length: 38".
const STP_BPDU: &str = "0180c2000000 02005e100003 0026 424203
    0000 00 00 00 8000 02005e100003 00000000 8000 02005e100003 8001 0000 1400 0200 0f00
    0000000000000000";

fn mac(s: &str) -> MacAddress {
    s.parse().unwrap()
}

#[test]
fn captured_arp_request() {
    let bytes = hex(ARP_REQUEST);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.dst(), MacAddress::BROADCAST);
    assert_eq!(frame.src(), mac("96:d2:ff:98:70:87"));
    assert_eq!(frame.ethertype(), EtherType::ARP);
    assert!(!frame.is_length_field());
    assert_eq!((frame.vlan(), frame.service_vlan()), (None, None));
    assert_eq!(frame.header_len(), 14);
    assert_eq!(frame.header_bytes(), &bytes[..14]);
    assert_eq!(frame.payload(), &bytes[14..]);
    assert_eq!(frame.into_inner().len(), 42);
}

#[test]
fn captured_arp_reply_and_icmp() {
    let bytes = hex(ARP_REPLY);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.dst(), mac("96:d2:ff:98:70:87"));
    assert_eq!(frame.src(), mac("7e:c6:81:95:17:dc"));
    assert_eq!(frame.ethertype(), EtherType::ARP);

    let bytes = hex(ICMP_REQUEST);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.ethertype(), EtherType::IPV4);
    assert_eq!(frame.payload().len(), 84);
    assert_eq!(frame.payload()[..2], [0x45, 0x00]);
}

#[test]
fn single_tag() {
    let bytes = hex(ICMP_TAGGED);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.ethertype(), EtherType::IPV4);
    assert_eq!(
        frame.vlan(),
        Some(VlanTag {
            pcp: 5,
            dei: false,
            vid: 100
        })
    );
    assert_eq!(frame.service_vlan(), None);
    assert_eq!(frame.header_len(), 18);
    assert_eq!(frame.payload(), &hex(ICMP_REQUEST)[14..]);
}

#[test]
fn qinq_tags() {
    let bytes = hex(ICMP_QINQ);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.service_vlan(), Some(VlanTag::new(200)));
    assert_eq!(
        frame.vlan(),
        Some(VlanTag {
            pcp: 7,
            dei: true,
            vid: 300
        })
    );
    assert_eq!(frame.ethertype(), EtherType::IPV4);
    assert_eq!(frame.header_len(), 22);
    assert_eq!(frame.payload(), &hex(ICMP_REQUEST)[14..]);
}

#[test]
fn service_tag_alone() {
    // 802.1ad S-tag directly followed by IPv4, as on a provider port.
    let bytes = hex("020000000001 020000000002 88a8 0005 0800 45");
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.service_vlan(), Some(VlanTag::new(5)));
    assert_eq!(frame.vlan(), None);
    assert_eq!(frame.ethertype(), EtherType::IPV4);
    assert_eq!(frame.payload(), &[0x45]);
}

#[test]
fn unusual_stacks_stay_in_the_payload() {
    // Two C-tags: the second is not consumed, it is reported as the type.
    let bytes = hex("020000000001 020000000002 8100 0001 8100 0002 0800");
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.vlan(), Some(VlanTag::new(1)));
    assert_eq!(frame.ethertype(), EtherType::VLAN);
    assert_eq!(frame.payload(), &[0x00, 0x02, 0x08, 0x00]);
    // C-tag then S-tag: likewise.
    let bytes = hex("020000000001 020000000002 8100 0001 88a8 0002 0800");
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(frame.service_vlan(), None);
    assert_eq!(frame.ethertype(), EtherType::QINQ);
    // The pre-standard 0x9100 TPID is not a tag here.
    let bytes = hex("020000000001 020000000002 9100 0001 0800");
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert_eq!((frame.vlan(), frame.ethertype()), (None, EtherType(0x9100)));
}

#[test]
fn ieee_802_3_length_field() {
    let bytes = hex(STP_BPDU);
    assert_eq!(bytes.len(), 60);
    let frame = Frame::parse(&bytes[..]).unwrap();
    assert!(frame.is_length_field());
    assert_eq!(frame.ethertype(), EtherType(38));
    assert_eq!(frame.ethertype().name(), None);
    assert_eq!(frame.dst(), mac("01:80:c2:00:00:00"));
    assert!(frame.dst().is_multicast());
    assert_eq!(frame.payload()[..3], [0x42, 0x42, 0x03]);
    let repr = Repr::parse(&frame).unwrap();
    let mut out = bytes.clone();
    out[..14].fill(0);
    repr.emit(&mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn truncated_inputs() {
    for len in 0..14 {
        let bytes = vec![0u8; len];
        assert_eq!(
            Frame::parse(&bytes[..]).unwrap_err(),
            ParseError::Truncated {
                needed: 14,
                available: len
            }
        );
    }
    // Exactly a header: empty payload.
    let arp = hex(ARP_REQUEST);
    assert_eq!(Frame::parse(&arp[..14]).unwrap().payload(), &[] as &[u8]);

    let tagged = hex(ICMP_TAGGED);
    for len in 14..18 {
        let err = Frame::parse(&tagged[..len]).unwrap_err();
        assert_eq!(
            err,
            ParseError::TruncatedVlanTag {
                offset: 14,
                needed: 18,
                available: len
            }
        );
        assert_eq!(err.layer(), Layer::Vlan);
    }
    assert!(Frame::parse(&tagged[..18]).is_ok());

    let qinq = hex(ICMP_QINQ);
    for (len, offset) in [(17, 14), (18, 18), (21, 18)] {
        assert_eq!(
            Frame::parse(&qinq[..len]).unwrap_err(),
            ParseError::TruncatedVlanTag {
                offset,
                needed: offset + 4,
                available: len
            }
        );
    }
    assert_eq!(Frame::parse(&qinq[..22]).unwrap().header_len(), 22);
}

#[test]
fn error_messages_name_the_field() {
    let e = ParseError::Truncated {
        needed: 14,
        available: 3,
    };
    assert_eq!(
        std::format!("{e}"),
        "Ethernet header truncated: needed 14 bytes, got 3"
    );
    assert_eq!(e.layer(), Layer::Ethernet);
    assert_eq!(e.truncated().needed, 14);
    let e = EmitError::AmbiguousEtherType {
        ethertype: EtherType::VLAN,
    };
    assert!(std::format!("{e}").contains("0x8100"));
    assert_eq!(
        std::format!("{}", EmitError::BadVlanId { vid: 5000 }),
        "VLAN ID 5000 does not fit in 12 bits"
    );
}

#[test]
fn repr_emits_captured_bytes() {
    for text in [ARP_REQUEST, ARP_REPLY, ICMP_REQUEST, ICMP_TAGGED, ICMP_QINQ] {
        let bytes = hex(text);
        let frame = Frame::parse(&bytes[..]).unwrap();
        let repr = Repr::parse(&frame).unwrap();
        assert_eq!(repr.header_len(), frame.header_len());
        let mut out = bytes.clone();
        out[..repr.header_len()].fill(0xaa);
        repr.emit(&mut out).unwrap();
        assert_eq!(out, bytes);
    }
}

#[test]
fn builder_matches_capture() {
    let repr = Repr::new(
        mac("96:d2:ff:98:70:87"),
        mac("7e:c6:81:95:17:dc"),
        EtherType::IPV4,
    )
    .with_vlan(VlanTag::new(300).with_pcp(7))
    .with_service_vlan(VlanTag::new(200));
    let tagged = Repr {
        vlan: Some(VlanTag {
            dei: true,
            ..repr.vlan.unwrap()
        }),
        ..repr
    };
    let want = hex(ICMP_QINQ);
    let mut out = vec![0u8; want.len()];
    let len = tagged.emit_with_payload(&mut out, &want[22..]).unwrap();
    assert_eq!(len, want.len());
    assert_eq!(out, want);
}

#[test]
fn prepend_into_headroom() {
    let want = hex(ICMP_TAGGED);
    let repr = Repr::parse(&Frame::parse(&want[..]).unwrap()).unwrap();
    let mut storage = [0u8; 200];
    let mut pkt = PacketBuf::new(&mut storage[..], 40).unwrap();
    pkt.append(want.len() - 18)
        .unwrap()
        .copy_from_slice(&want[18..]);
    repr.prepend(&mut pkt).unwrap();
    assert_eq!(pkt.as_slice(), &want[..]);
    assert_eq!(pkt.headroom(), 22);

    // Not enough headroom: error, packet unchanged.
    let mut storage = [0u8; 64];
    let mut pkt = PacketBuf::new(&mut storage[..], 17).unwrap();
    pkt.append(3).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 18,
            available: 17
        }
    );
    assert_eq!((pkt.headroom(), pkt.len()), (17, 3));
}

#[test]
fn emit_refuses_bad_values() {
    let base = Repr::new(MacAddress([2; 6]), MacAddress([4; 6]), EtherType::IPV4);
    let mut buf = [0x55u8; 30];
    let cases = [
        (
            base.with_vlan(VlanTag::new(4096)),
            EmitError::BadVlanId { vid: 4096 },
        ),
        (
            base.with_service_vlan(VlanTag::new(1).with_pcp(8)),
            EmitError::BadVlanPriority { pcp: 8 },
        ),
        (
            Repr {
                ethertype: EtherType::VLAN,
                ..base
            },
            EmitError::AmbiguousEtherType {
                ethertype: EtherType::VLAN,
            },
        ),
        (
            Repr {
                ethertype: EtherType::QINQ,
                ..base
            },
            EmitError::AmbiguousEtherType {
                ethertype: EtherType::QINQ,
            },
        ),
        (
            Repr {
                ethertype: EtherType::VLAN,
                ..base
            }
            .with_service_vlan(VlanTag::new(1)),
            EmitError::AmbiguousEtherType {
                ethertype: EtherType::VLAN,
            },
        ),
    ];
    for (repr, err) in cases {
        assert_eq!(repr.emit(&mut buf), Err(err));
        assert_eq!(buf, [0x55; 30], "buffer must be untouched on error");
    }
    // After a C-tag any type is unambiguous, and QinQ after an S-tag is too.
    assert!(
        Repr {
            ethertype: EtherType::VLAN,
            ..base
        }
        .with_vlan(VlanTag::new(1))
        .emit(&mut buf)
        .is_ok()
    );
    assert!(
        Repr {
            ethertype: EtherType::QINQ,
            ..base
        }
        .with_service_vlan(VlanTag::new(1))
        .emit(&mut buf)
        .is_ok()
    );
    assert_eq!(
        base.emit(&mut buf[..13]),
        Err(EmitError::BufferTooSmall {
            needed: 14,
            available: 13
        })
    );
    assert_eq!(
        base.emit_with_payload(&mut buf, &[0; 20]),
        Err(EmitError::BufferTooSmall {
            needed: 34,
            available: 30
        })
    );
}

#[test]
fn setters_rewrite_in_place() {
    let mut bytes = hex(ICMP_QINQ);
    let mut frame = Frame::parse(&mut bytes[..]).unwrap();
    frame.set_dst(MacAddress::BROADCAST);
    frame.set_src(mac("02:00:00:00:00:09"));
    frame.set_vlan(VlanTag::new(42)).unwrap();
    frame.set_service_vlan(VlanTag::new(7).with_pcp(1)).unwrap();
    frame.set_ethertype(EtherType::IPV6).unwrap();
    assert_eq!(
        frame.set_vlan(VlanTag::new(5000)),
        Err(EmitError::BadVlanId { vid: 5000 })
    );
    frame.payload_mut()[0] = 0x60;
    let repr = Repr::parse(&frame).unwrap();
    assert_eq!(
        repr,
        Repr::new(
            mac("02:00:00:00:00:09"),
            MacAddress::BROADCAST,
            EtherType::IPV6
        )
        .with_vlan(VlanTag::new(42))
        .with_service_vlan(VlanTag::new(7).with_pcp(1))
    );
    let again = Frame::parse(&bytes[..]).unwrap();
    assert_eq!(Repr::parse(&again).unwrap(), repr);
    assert_eq!(again.payload()[0], 0x60);

    let mut bytes = hex(ICMP_REQUEST);
    let mut frame = Frame::parse(&mut bytes[..]).unwrap();
    assert_eq!(frame.set_vlan(VlanTag::new(1)), Err(EmitError::NoSuchTag));
    assert_eq!(
        frame.set_service_vlan(VlanTag::new(1)),
        Err(EmitError::NoSuchTag)
    );
    assert_eq!(
        frame.set_ethertype(EtherType::VLAN),
        Err(EmitError::AmbiguousEtherType {
            ethertype: EtherType::VLAN
        })
    );
    assert_eq!(frame.ethertype(), EtherType::IPV4);
}

#[test]
fn debug_shows_fields() {
    let bytes = hex(ICMP_TAGGED);
    let s = std::format!("{:?}", Frame::parse(&bytes[..]).unwrap());
    assert!(
        s.contains("7e:c6:81:95:17:dc") && s.contains("vid: 100") && s.contains("IPv4"),
        "{s}"
    );
}

fn arb_tag() -> impl Strategy<Value = VlanTag> {
    any::<u16>().prop_map(VlanTag::from_tci)
}

prop_compose! {
    fn arb_repr()(
        src in any::<[u8; 6]>(),
        dst in any::<[u8; 6]>(),
        vlan in proptest::option::of(arb_tag()),
        service_vlan in proptest::option::of(arb_tag()),
        ethertype in any::<u16>(),
    ) -> Repr {
        Repr { src: MacAddress(src), dst: MacAddress(dst), vlan, service_vlan, ethertype: EtherType(ethertype) }
    }
}

proptest! {
    #[test]
    fn emit_parse_round_trip(repr in arb_repr(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut buf = vec![0u8; repr.header_len() + payload.len()];
        buf[repr.header_len()..].copy_from_slice(&payload);
        match repr.emit(&mut buf) {
            Ok(()) => {
                let frame = Frame::parse(&buf[..]).unwrap();
                prop_assert_eq!(Repr::parse(&frame).unwrap(), repr);
                prop_assert_eq!(frame.payload(), &payload[..]);
                prop_assert_eq!(frame.header_len(), repr.header_len());
            }
            Err(EmitError::AmbiguousEtherType { ethertype }) => {
                prop_assert!(ethertype.is_vlan_tpid() && repr.vlan.is_none());
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn prepend_equals_emit(repr in arb_repr(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assume!(repr.check().is_ok());
        let mut emitted = vec![0u8; repr.header_len() + payload.len()];
        repr.emit_with_payload(&mut emitted, &payload).unwrap();
        let mut storage = vec![0u8; 22 + payload.len()];
        let mut pkt = PacketBuf::new(&mut storage[..], 22).unwrap();
        pkt.append(payload.len()).unwrap().copy_from_slice(&payload);
        repr.prepend(&mut pkt).unwrap();
        prop_assert_eq!(pkt.as_slice(), &emitted[..]);
    }

    #[test]
    fn random_bytes_never_panic_and_reemit_exactly(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(frame) = Frame::parse(&bytes[..]) {
            let repr = Repr::parse(&frame).unwrap();
            let _ = (frame.is_length_field(), frame.ethertype().name(), std::format!("{frame:?}"));
            prop_assert_eq!(frame.header_bytes().len() + frame.payload().len(), bytes.len());
            let mut out = vec![0u8; bytes.len()];
            out[repr.header_len()..].copy_from_slice(frame.payload());
            repr.emit(&mut out).unwrap();
            prop_assert_eq!(out, bytes);
        }
    }

    #[test]
    fn tag_heavy_bytes_never_panic(
        tpids in proptest::collection::vec(prop_oneof![Just(0x8100u16), Just(0x88a8), any::<u16>()], 1..4),
        tail in proptest::collection::vec(any::<u8>(), 0..6),
    ) {
        // Random bytes rarely contain a TPID; build prefixes that do.
        let mut bytes = vec![2u8; 12];
        for t in tpids {
            bytes.extend_from_slice(&t.to_be_bytes());
            bytes.extend_from_slice(&[0x0f, 0xff]);
        }
        bytes.truncate(bytes.len() - 2);
        bytes.extend_from_slice(&tail);
        if let Ok(frame) = Frame::parse(&bytes[..]) {
            let repr = Repr::parse(&frame).unwrap();
            let mut out = bytes.clone();
            repr.emit(&mut out).unwrap();
            prop_assert_eq!(out, bytes);
        }
    }
}
