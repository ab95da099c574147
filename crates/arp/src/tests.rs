//! Packet and Repr tests against bytes captured from Linux.

use core::net::Ipv4Addr;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use strata_core::buffer::PacketBuf;
use strata_core::error::{Layer, LayerError};
use strata_ethernet::{EtherType, Frame};

use crate::*;

fn hex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn mac(s: &str) -> MacAddress {
    s.parse().unwrap()
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

// Whole frames captured with tcpdump on a veth pair between two Linux 6.x
// network namespaces: 198.18.60.1 resolving 198.18.60.2, and the
// gratuitous request Linux sends (net.ipv4.conf.*.arp_notify=1) when the
// interface of 198.18.60.2 changes its address to 02:00:5e:10:00:02.
const REQUEST_FRAME: &str = "ffffffffffff 96d2ff987087 0806
    0001 0800 06 04 0001 96d2ff987087 c6123c01 000000000000 c6123c02";
const REPLY_FRAME: &str = "96d2ff987087 7ec6819517dc 0806
    0001 0800 06 04 0002 7ec6819517dc c6123c02 96d2ff987087 c6123c01";
const NOTIFY_FRAME: &str = "ffffffffffff 02005e100002 0806
    0001 0800 06 04 0001 02005e100002 c6123c02 000000000000 c6123c02";

fn arp_bytes(frame: &str) -> Vec<u8> {
    hex(frame)[14..].to_vec()
}

#[test]
fn captured_request() {
    let frame = hex(REQUEST_FRAME);
    let eth = Frame::parse(&frame[..]).unwrap();
    assert_eq!(eth.ethertype(), EtherType::ARP);
    let arp = Packet::parse(eth.payload()).unwrap();
    assert_eq!(arp.hardware_type(), HardwareType::ETHERNET);
    assert_eq!(arp.protocol_type(), EtherType::IPV4);
    assert_eq!((arp.hardware_len(), arp.protocol_len()), (6, 4));
    assert_eq!(arp.operation(), Operation::REQUEST);
    assert_eq!(arp.sender_mac(), mac("96:d2:ff:98:70:87"));
    assert_eq!(arp.sender_ip(), ip(198, 18, 60, 1));
    assert_eq!(arp.target_mac(), MacAddress::UNSPECIFIED);
    assert_eq!(arp.target_ip(), ip(198, 18, 60, 2));
    assert_eq!(arp.header_bytes(), eth.payload());
    assert_eq!(arp.padding(), &[] as &[u8]);
    let repr = Repr::parse(&arp).unwrap();
    assert_eq!(
        repr,
        Repr::request(
            mac("96:d2:ff:98:70:87"),
            ip(198, 18, 60, 1),
            ip(198, 18, 60, 2)
        )
    );
    assert!(!repr.is_gratuitous() && !repr.is_probe());
}

#[test]
fn reply_to_captured_request_matches_captured_reply() {
    let request = Repr::parse(&Packet::parse(&arp_bytes(REQUEST_FRAME)[..]).unwrap()).unwrap();
    let reply = Repr::reply_to(&request, mac("7e:c6:81:95:17:dc"));
    let mut buf = [0u8; 28];
    reply.emit(&mut buf).unwrap();
    assert_eq!(buf[..], arp_bytes(REPLY_FRAME)[..]);
    assert_eq!(reply.to_string(), "198.18.60.2 is-at 7e:c6:81:95:17:dc");
}

#[test]
fn gratuitous_matches_linux_arp_notify() {
    let arp = Packet::parse(arp_bytes(NOTIFY_FRAME)).unwrap();
    let repr = Repr::parse(&arp).unwrap();
    assert!(repr.is_gratuitous());
    assert_eq!(
        repr,
        Repr::gratuitous(mac("02:00:5e:10:00:02"), ip(198, 18, 60, 2))
    );
    let mut buf = [0u8; 28];
    repr.emit(&mut buf).unwrap();
    assert_eq!(buf[..], arp.into_inner()[..]);
    // A gratuitous reply counts too; a probe's 0.0.0.0 == 0.0.0.0 does not.
    assert!(
        Repr {
            operation: Operation::REPLY,
            ..repr
        }
        .is_gratuitous()
    );
    let zero = Repr::gratuitous(mac("02:00:5e:10:00:02"), Ipv4Addr::UNSPECIFIED);
    assert!(!zero.is_gratuitous());
}

#[test]
fn rfc5227_probe() {
    let probe = Repr::probe(mac("02:00:5e:10:00:02"), ip(198, 18, 60, 9));
    assert!(probe.is_probe() && !probe.is_gratuitous());
    let mut buf = [0u8; 28];
    probe.emit(&mut buf).unwrap();
    assert_eq!(
        buf[..],
        hex("0001 0800 06 04 0001 02005e100002 00000000 000000000000 c6123c09")[..]
    );
    assert_eq!(probe.to_string(), "who-has 198.18.60.9 tell 0.0.0.0");
}

#[test]
fn padding_of_minimum_size_frame() {
    let mut frame = hex(REPLY_FRAME);
    frame.resize(60, 0);
    let eth = Frame::parse(&frame[..]).unwrap();
    let arp = Packet::parse(eth.payload()).unwrap();
    assert_eq!(arp.padding(), &[0u8; 18]);
    assert_eq!(arp.header_bytes().len(), 28);
    assert_eq!(arp.operation(), Operation::REPLY);
}

#[test]
fn ieee802_hardware_type_is_accepted_and_answered_as_ethernet() {
    let mut bytes = arp_bytes(REQUEST_FRAME);
    bytes[1] = 6;
    let arp = Packet::parse(&bytes[..]).unwrap();
    assert_eq!(arp.hardware_type(), HardwareType::IEEE802);
    let repr = Repr::parse(&arp).unwrap();
    let mut out = [0u8; 28];
    repr.emit(&mut out).unwrap();
    assert_eq!(out[..2], [0, 1]);
    assert_eq!(out[2..], bytes[2..]);
}

#[test]
fn other_formats_name_the_field() {
    let good = arp_bytes(REQUEST_FRAME);
    let cases: [(usize, u8, ParseError); 5] = [
        (
            1,
            24,
            ParseError::UnsupportedHardwareType {
                found: HardwareType::IEEE1394,
            },
        ),
        (
            0,
            1,
            ParseError::UnsupportedHardwareType {
                found: HardwareType(0x0101),
            },
        ),
        (
            2,
            0x86,
            ParseError::UnsupportedProtocolType {
                found: EtherType(0x8600),
            },
        ),
        (4, 16, ParseError::BadHardwareLength { found: 16 }),
        (5, 16, ParseError::BadProtocolLength { found: 16 }),
    ];
    for (at, value, want) in cases {
        let mut bytes = good.clone();
        bytes[at] = value;
        let err = Packet::parse(&bytes[..]).unwrap_err();
        assert_eq!(err, want);
        assert_eq!(err.layer(), Layer::Arp);
        assert!(err.offset().is_some());
        // The format is judged before the length.
        assert_eq!(Packet::parse(&bytes[..8]).unwrap_err(), want);
    }
    let err = ParseError::UnsupportedProtocolType {
        found: EtherType::IPV6,
    };
    assert_eq!(
        err.to_string(),
        "ARP protocol type 0x86dd at offset 2 is not IPv4 (0x0800)"
    );
    assert_eq!(err.offset(), Some(2));
}

#[test]
fn truncated_inputs() {
    let good = arp_bytes(REQUEST_FRAME);
    for len in 0..8 {
        assert_eq!(
            Packet::parse(&good[..len]).unwrap_err(),
            ParseError::Truncated {
                needed: 8,
                available: len
            }
        );
    }
    for len in 8..28 {
        let err = Packet::parse(&good[..len]).unwrap_err();
        assert_eq!(
            err,
            ParseError::Truncated {
                needed: 28,
                available: len
            }
        );
        assert_eq!(err.truncated().unwrap().needed, 28);
        assert_eq!(err.offset(), None);
    }
    assert!(Packet::parse(&good[..28]).is_ok());
}

#[test]
fn setters_rewrite_in_place() {
    // Turn the captured request into the captured reply, the way a host
    // that answers in the receive buffer would.
    let mut bytes = arp_bytes(REQUEST_FRAME);
    let mut arp = Packet::parse(&mut bytes[..]).unwrap();
    let request = Repr::parse(&arp).unwrap();
    arp.set_operation(Operation::REPLY);
    arp.set_target_mac(request.sender_mac);
    arp.set_target_ip(request.sender_ip);
    arp.set_sender_mac(mac("7e:c6:81:95:17:dc"));
    arp.set_sender_ip(request.target_ip);
    assert_eq!(bytes, arp_bytes(REPLY_FRAME));
}

#[test]
fn emit_and_prepend() {
    let repr = Repr::gratuitous(mac("02:00:5e:10:00:02"), ip(198, 18, 60, 2));
    let mut small = [0x55u8; 27];
    assert_eq!(
        repr.emit(&mut small),
        Err(EmitError::BufferTooSmall {
            needed: 28,
            available: 27
        })
    );
    assert_eq!(small, [0x55; 27]);

    // Emit leaves what follows the packet alone.
    let mut long = [0x55u8; 40];
    repr.emit(&mut long).unwrap();
    assert_eq!(long[28..], [0x55; 12]);

    let mut storage = [0u8; 42];
    let mut pkt = PacketBuf::new(&mut storage[..], 42).unwrap();
    repr.prepend(&mut pkt).unwrap();
    strata_ethernet::Repr::new(repr.sender_mac, MacAddress::BROADCAST, EtherType::ARP)
        .prepend(&mut pkt)
        .unwrap();
    assert_eq!(pkt.as_slice(), &hex(NOTIFY_FRAME)[..]);

    let mut storage = [0u8; 30];
    let mut pkt = PacketBuf::new(&mut storage[..], 20).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt),
        Err(EmitError::BufferTooSmall {
            needed: 28,
            available: 20
        })
    );
    assert_eq!(pkt.headroom(), 20);
}

#[test]
fn display_and_debug() {
    let repr = Repr {
        operation: Operation::RARP_REQUEST,
        ..Repr::probe(mac("02:00:5e:10:00:02"), ip(198, 18, 60, 9))
    };
    assert_eq!(
        repr.to_string(),
        "reverse request from 0.0.0.0 (02:00:5e:10:00:02) to 198.18.60.9 (00:00:00:00:00:00)"
    );
    let bytes = arp_bytes(REPLY_FRAME);
    let s = std::format!("{:?}", Packet::parse(&bytes[..]).unwrap());
    assert!(
        s.contains("Operation(2 reply)") && s.contains("198.18.60.2"),
        "{s}"
    );
}

prop_compose! {
    fn arb_repr()(
        operation in any::<u16>(),
        sender_mac in any::<[u8; 6]>(),
        sender_ip in any::<u32>(),
        target_mac in any::<[u8; 6]>(),
        target_ip in any::<u32>(),
    ) -> Repr {
        Repr {
            operation: Operation(operation),
            sender_mac: MacAddress(sender_mac),
            sender_ip: Ipv4Addr::from_bits(sender_ip),
            target_mac: MacAddress(target_mac),
            target_ip: Ipv4Addr::from_bits(target_ip),
        }
    }
}

proptest! {
    #[test]
    fn emit_parse_round_trip(repr in arb_repr(), padding in proptest::collection::vec(any::<u8>(), 0..20)) {
        let mut buf = vec![0u8; 28];
        buf.extend_from_slice(&padding);
        repr.emit(&mut buf).unwrap();
        let arp = Packet::parse(&buf[..]).unwrap();
        prop_assert_eq!(Repr::parse(&arp).unwrap(), repr);
        prop_assert_eq!(arp.padding(), &padding[..]);
    }

    #[test]
    fn reply_to_reply_is_original_request_reversed(repr in arb_repr(), a in any::<[u8; 6]>()) {
        let reply = Repr::reply_to(&repr, MacAddress(a));
        prop_assert_eq!(reply.target_mac, repr.sender_mac);
        prop_assert_eq!(reply.target_ip, repr.sender_ip);
        prop_assert_eq!(reply.sender_ip, repr.target_ip);
        prop_assert_eq!(Repr::reply_to(&reply, repr.sender_mac).sender_ip, repr.sender_ip);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(arp) = Packet::parse(&bytes[..]) {
            let repr = Repr::parse(&arp).unwrap();
            let _ = (std::format!("{arp:?}"), repr.to_string());
            let mut out = [0u8; 28];
            repr.emit(&mut out).unwrap();
            prop_assert_eq!(Repr::parse(&Packet::parse(&out[..]).unwrap()).unwrap(), repr);
        }
    }

    #[test]
    fn well_formed_prefix_always_parses(
        htype in prop_oneof![Just(1u16), Just(6)],
        rest in proptest::collection::vec(any::<u8>(), 22..40),
    ) {
        // Random bytes almost never carry a valid format prefix; supply it.
        let mut bytes = htype.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0x08, 0x00, 6, 4]);
        bytes.extend_from_slice(&rest);
        let arp = Packet::parse(&bytes[..]).unwrap();
        let mut out = [0u8; 28];
        Repr::parse(&arp).unwrap().emit(&mut out).unwrap();
        prop_assert_eq!(&out[2..], &bytes[2..28]);
    }
}
