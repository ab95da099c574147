//! ICMPv4 messages against real packets and hand-built vectors.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use core::net::Ipv4Addr;

use strata_core::buffer::PacketBuf;
use strata_core::error::{Layer, LayerError};
use strata_ipv4::icmpv4::{
    EmitError, IcmpType, Message, ParseError, Repr, TimeExceededCode, UnreachableCode,
};
use strata_ipv4::{Packet, Protocol};

const A: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 1);
const R: Ipv4Addr = Ipv4Addr::new(198, 18, 1, 2);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 2, 2);

/// The ICMP message inside a captured IPv4 packet.
fn icmp_of(ip: &[u8]) -> Vec<u8> {
    let p = Packet::parse_verified(ip).unwrap();
    assert_eq!(p.protocol(), Protocol::ICMP);
    p.payload().to_vec()
}

/// Rebuilds a message from its `Repr` and data, via `emit` and `prepend`.
fn assert_rebuilds(bytes: &[u8]) {
    let message = Message::parse_verified(bytes).unwrap();
    let repr = Repr::parse(&message).unwrap();
    let mut buf = bytes.to_vec();
    buf[..8].fill(0);
    repr.emit(&mut buf).unwrap();
    assert_eq!(buf, bytes);

    let mut storage = vec![0u8; 8 + message.data().len()];
    let mut pkt = PacketBuf::new(&mut storage[..], 8).unwrap();
    pkt.append(message.data().len())
        .unwrap()
        .copy_from_slice(message.data());
    repr.prepend(&mut pkt).unwrap();
    assert_eq!(pkt.as_slice(), bytes);
}

#[test]
fn every_captured_icmp_message_verifies_and_rebuilds() {
    for (name, ip) in common::all() {
        let p = Packet::parse(&ip[..]).unwrap();
        if p.protocol() != Protocol::ICMP || p.is_fragment() {
            continue;
        }
        let bytes = p.payload();
        assert!(Message::parse_verified(bytes).is_ok(), "{name}");
        assert_rebuilds(bytes);
    }
}

#[test]
fn ping_request_and_reply() {
    let request = icmp_of(&common::echo_request());
    let m = Message::parse_verified(&request[..]).unwrap();
    assert_eq!(m.icmp_type(), IcmpType::ECHO_REQUEST);
    assert_eq!(m.code(), 0);
    assert_eq!(m.checksum(), 0xecc9);
    assert_eq!(m.identifier(), 0x23cf);
    assert_eq!(m.sequence(), 1);
    assert_eq!(m.data().len(), 56);
    assert_eq!(m.payload(), m.data());
    assert_eq!(&m.data()[16..20], [0x10, 0x11, 0x12, 0x13]);
    assert_eq!(m.header_bytes(), &request[..8]);
    let request_repr = Repr::parse(&m).unwrap();
    assert_eq!(
        request_repr,
        Repr::EchoRequest {
            identifier: 0x23cf,
            sequence: 1
        }
    );

    let reply = icmp_of(&common::echo_reply());
    let m = Message::parse_verified(&reply[..]).unwrap();
    assert_eq!(
        Repr::parse(&m).unwrap(),
        Repr::EchoReply {
            identifier: 0x23cf,
            sequence: 1
        }
    );
    assert_eq!(m.data(), &request[8..], "reply echoes the data");
    assert!(!m.icmp_type().is_error());
}

#[test]
fn time_exceeded_quotes_the_expired_datagram() {
    let bytes = icmp_of(&common::time_exceeded());
    let m = Message::parse_verified(&bytes[..]).unwrap();
    assert_eq!(m.icmp_type(), IcmpType::TIME_EXCEEDED);
    assert!(m.icmp_type().is_error());
    assert_eq!(
        Repr::parse(&m).unwrap(),
        Repr::TimeExceeded {
            code: TimeExceededCode::TtlExceeded
        }
    );
    let quoted = m.quoted_packet().unwrap();
    assert_eq!((quoted.src(), quoted.dst()), (A, B));
    assert_eq!(quoted.ttl(), 1);
    assert_eq!(quoted.protocol(), Protocol::ICMP);
    assert!(!quoted.is_truncated(), "Linux quoted all 84 bytes");
    // The quote is the datagram that expired, byte for byte.
    assert_eq!(quoted.packet_bytes(), &common::ttl1_request()[..]);
    let inner = Message::parse(&quoted.payload()[..8]).unwrap();
    assert_eq!(inner.icmp_type(), IcmpType::ECHO_REQUEST);
    assert_eq!(inner.identifier(), 0x2508);
}

#[test]
fn fragmentation_needed_carries_the_next_hop_mtu() {
    let bytes = icmp_of(&common::frag_needed());
    let m = Message::parse_verified(&bytes[..]).unwrap();
    assert_eq!(m.next_hop_mtu(), 1000);
    assert_eq!(
        Repr::parse(&m).unwrap(),
        Repr::DestinationUnreachable {
            code: UnreachableCode::FRAGMENTATION_NEEDED,
            next_hop_mtu: 1000
        }
    );
    // RFC 1812: the error fits in 576 bytes, so the 1228-byte datagram is
    // cut short and its total length no longer matches the quote.
    assert_eq!(m.data().len(), 548);
    assert!(Packet::parse(m.data()).is_err());
    let quoted = m.quoted_packet().unwrap();
    assert!(quoted.is_truncated());
    assert_eq!(quoted.total_len(), 1228);
    assert!(quoted.dont_fragment());
    assert_eq!((quoted.src(), quoted.dst()), (A, B));
    assert_eq!(quoted.payload().len(), 528);
}

#[test]
fn fragmentation_needed_vector() {
    // Built by hand as RFC 1191 lays it out: unused word zero, MTU in the
    // low half, then the quoted header and the first 8 bytes of its payload.
    let udp = common::udp_closed();
    let original = Packet::parse(&udp[..]).unwrap();
    let mut quote = original.header_bytes().to_vec();
    quote.extend_from_slice(&original.payload()[..8]);
    let mut buf = vec![0u8; 8];
    buf.extend_from_slice(&quote);
    let repr = Repr::DestinationUnreachable {
        code: UnreachableCode::FRAGMENTATION_NEEDED,
        next_hop_mtu: 1492,
    };
    repr.emit(&mut buf).unwrap();
    assert_eq!(&buf[..2], [3, 4]);
    assert_eq!(&buf[4..8], [0, 0, 0x05, 0xd4]);
    let m = Message::parse_verified(&buf[..]).unwrap();
    assert_eq!(Repr::parse(&m).unwrap(), repr);
    let q = m.quoted_packet().unwrap();
    assert_eq!(q.payload().len(), 8, "the UDP header, ports included");
    assert!(q.is_truncated(), "its 6 data bytes were not quoted");
    assert_eq!(q.total_len(), 34);
}

#[test]
fn port_unreachable_from_linux() {
    let bytes = icmp_of(&common::port_unreachable());
    let m = Message::parse_verified(&bytes[..]).unwrap();
    assert_eq!(
        Repr::parse(&m).unwrap(),
        Repr::DestinationUnreachable {
            code: UnreachableCode::PORT,
            next_hop_mtu: 0
        }
    );
    let quoted = m.quoted_packet().unwrap();
    assert_eq!(quoted.protocol(), Protocol::UDP);
    assert_eq!((quoted.src(), quoted.dst()), (A, R));
    let udp = quoted.payload();
    let src_port = u16::from_be_bytes([udp[0], udp[1]]);
    let dst_port = u16::from_be_bytes([udp[2], udp[3]]);
    assert_eq!((src_port, dst_port), (40224, 9999));
    assert_eq!(&udp[8..], b"hello\n");
}

#[test]
fn other_types_are_preserved() {
    // Redirect (type 5, code 1) to a gateway.
    let mut buf = [0u8; 8 + 28];
    buf[8..].copy_from_slice(&common::udp_closed()[..28]);
    let redirect = Repr::from_fields(IcmpType::REDIRECT, 1, [198, 18, 1, 2]);
    assert_eq!(
        redirect,
        Repr::Other {
            icmp_type: IcmpType::REDIRECT,
            code: 1,
            rest_of_header: [198, 18, 1, 2]
        }
    );
    redirect.emit(&mut buf).unwrap();
    let m = Message::parse_verified(&buf[..]).unwrap();
    assert_eq!(m.gateway(), R);
    assert_eq!(Repr::parse(&m).unwrap(), redirect);

    // Parameter problem pointing at byte 20.
    let pp = Repr::from_fields(IcmpType::PARAMETER_PROBLEM, 0, [20, 0, 0, 0]);
    pp.emit(&mut buf).unwrap();
    let m = Message::parse_verified(&buf[..]).unwrap();
    assert_eq!(m.pointer(), 20);
    assert_eq!(Repr::parse(&m).unwrap(), pp);

    // Headers the typed variants cannot hold exactly stay raw.
    for (t, code, rest) in [
        (IcmpType::ECHO_REQUEST, 1, [0, 1, 0, 2]),
        (IcmpType::ECHO_REPLY, 9, [0, 0, 0, 0]),
        (IcmpType::TIME_EXCEEDED, 2, [0, 0, 0, 0]),
        (IcmpType::TIME_EXCEEDED, 0, [0, 0, 0, 1]),
        (IcmpType::DESTINATION_UNREACHABLE, 3, [0, 17, 0, 0]), // RFC 4884 length
        (IcmpType(200), 0, [1, 2, 3, 4]),
    ] {
        let repr = Repr::from_fields(t, code, rest);
        assert_eq!(
            repr,
            Repr::Other {
                icmp_type: t,
                code,
                rest_of_header: rest
            }
        );
        assert_eq!(
            (repr.icmp_type(), repr.code(), repr.rest_of_header()),
            (t, code, rest)
        );
    }
    assert_eq!(
        Repr::from_fields(IcmpType::TIME_EXCEEDED, 1, [0; 4]),
        Repr::TimeExceeded {
            code: TimeExceededCode::FragmentReassembly
        }
    );
}

#[test]
fn errors() {
    assert_eq!(
        Message::parse(&[8u8, 0, 0][..]).unwrap_err(),
        ParseError::Truncated {
            needed: 8,
            available: 3
        }
    );
    let mut bytes = icmp_of(&common::echo_request());
    bytes[10] ^= 1;
    let err = Message::parse_verified(&bytes[..]).unwrap_err();
    let ParseError::BadChecksum { found, computed } = err else {
        panic!("expected a checksum error, got {err:?}");
    };
    assert_eq!(found, 0xecc9);
    bytes[2..4].copy_from_slice(&computed.to_be_bytes());
    assert!(Message::parse_verified(&bytes[..]).is_ok());
    assert_eq!(err.layer(), Layer::Icmpv4);

    let mut small = [0u8; 7];
    assert_eq!(
        Repr::EchoReply {
            identifier: 1,
            sequence: 2
        }
        .emit(&mut small),
        Err(EmitError::BufferTooSmall {
            needed: 8,
            available: 7
        })
    );
    let mut storage = [0u8; 16];
    let mut pkt = PacketBuf::new(&mut storage[..], 7).unwrap();
    assert!(
        Repr::TimeExceeded {
            code: TimeExceededCode::TtlExceeded
        }
        .prepend(&mut pkt)
        .is_err()
    );
    assert_eq!(pkt.headroom(), 7);

    // A quote that is not IPv4 is an IPv4 error.
    let mut buf = [0u8; 8 + 20];
    Repr::DestinationUnreachable {
        code: UnreachableCode::HOST,
        next_hop_mtu: 0,
    }
    .emit(&mut buf)
    .unwrap();
    let m = Message::parse(&buf[..]).unwrap();
    assert_eq!(
        m.quoted_packet().unwrap_err(),
        strata_ipv4::ParseError::BadVersion { found: 0 }
    );
}

#[test]
fn setters_and_odd_lengths() {
    // An odd-length message: the checksum pads with a zero byte.
    let mut buf = [0u8; 8 + 5];
    buf[8..].copy_from_slice(b"strat");
    let mut m = Message::parse(&mut buf[..]).unwrap();
    m.set_icmp_type(IcmpType::ECHO_REPLY);
    m.set_code(0);
    m.set_identifier(0xbeef);
    m.set_sequence(7);
    m.data_mut()[0] = b'S';
    m.fill_checksum();
    assert!(m.verify_checksum());
    assert_eq!(
        Repr::parse(&m).unwrap(),
        Repr::EchoReply {
            identifier: 0xbeef,
            sequence: 7
        }
    );
    m.set_rest_of_header([1, 2, 3, 4]);
    m.set_checksum(0);
    assert_eq!(m.rest_of_header(), [1, 2, 3, 4]);
    assert_eq!(m.checksum(), 0);
    assert_eq!(&m.into_inner()[8..], b"Strat");
}

#[test]
fn names() {
    assert_eq!(IcmpType::ECHO_REQUEST.to_string(), "Echo Request");
    assert_eq!(IcmpType(99).to_string(), "type 99");
    assert_eq!(IcmpType(99).name(), None);
    assert_eq!(UnreachableCode::PORT.to_string(), "Port unreachable");
    assert_eq!(UnreachableCode(4).name(), Some("Fragmentation needed"));
    assert_eq!(UnreachableCode(40).to_string(), "code 40");
    assert_eq!(
        TimeExceededCode::FragmentReassembly.to_string(),
        "Fragment reassembly time exceeded"
    );
    assert_eq!(TimeExceededCode::from_code(2), None);
}
