use core::net::Ipv4Addr;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use strata_core::buffer::PacketBuf;
use strata_core::checksum::{Checksum, checksum};
use strata_core::error::{Layer, LayerError};

use crate::*;

const A: Ipv4Addr = Ipv4Addr::new(198, 18, 6, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 18, 6, 2);

// Captured on a veth pair between two network namespaces (offloads off, so
// Linux computed the checksums), 198.18.6.1 -> 198.18.6.2.

/// `printf hello | socat - UDP4-SENDTO:198.18.6.2:5353,sourceport=40000`:
/// an odd payload length.
const LINUX_HELLO: [u8; 13] = [
    0x9c, 0x40, 0x14, 0xe9, 0x00, 0x0d, 0x72, 0xb0, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
];

/// `strata!!` from port 40001: an even payload length.
const LINUX_EVEN: [u8; 16] = [
    0x9c, 0x41, 0x14, 0xe9, 0x00, 0x10, 0x3b, 0x23, 0x73, 0x74, 0x72, 0x61, 0x74, 0x61, 0x21, 0x21,
];

/// `no checksum` from port 40002, sent from a socket with SO_NO_CHECK.
const LINUX_NO_CHECKSUM: [u8; 19] = [
    0x9c, 0x42, 0x14, 0xe9, 0x00, 0x13, 0x00, 0x00, 0x6e, 0x6f, 0x20, 0x63, 0x68, 0x65, 0x63, 0x6b,
    0x73, 0x75, 0x6d,
];

fn reference_checksum(src: Ipv4Addr, dst: Ipv4Addr, datagram: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&[0, 17]);
    bytes.extend_from_slice(&(datagram.len() as u16).to_be_bytes());
    bytes.extend_from_slice(datagram);
    checksum(&bytes)
}

#[test]
fn linux_odd_payload() {
    let d = Datagram::parse_verified(&LINUX_HELLO[..], A, B).unwrap();
    assert_eq!(d.src_port(), 40000);
    assert_eq!(d.dst_port(), 5353);
    assert_eq!(d.length(), 13);
    assert_eq!(d.checksum(), 0x72b0);
    assert_eq!(d.payload(), b"hello");
    assert_eq!(d.header_bytes(), &LINUX_HELLO[..8]);
    assert_eq!(d.as_bytes(), &LINUX_HELLO[..]);
    assert_eq!(d.compute_checksum(A, B), 0x72b0);
    assert_eq!(reference_checksum(A, B, &LINUX_HELLO), 0);
}

#[test]
fn linux_even_payload() {
    let d = Datagram::parse_verified(&LINUX_EVEN[..], A, B).unwrap();
    assert_eq!((d.src_port(), d.dst_port()), (40001, 5353));
    assert_eq!(d.payload(), b"strata!!");
    assert_eq!(d.compute_checksum(A, B), 0x3b23);
}

#[test]
fn linux_zero_checksum_means_none() {
    let d = Datagram::parse_verified(&LINUX_NO_CHECKSUM[..], A, B).unwrap();
    assert_eq!(d.checksum(), 0);
    assert_eq!(d.payload(), b"no checksum");
    // Zero is valid whatever the addresses.
    assert!(d.verify_checksum(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST));
    // And a real checksum can be filled in afterwards.
    let mut owned = LINUX_NO_CHECKSUM;
    let mut d = Datagram::parse(&mut owned[..]).unwrap();
    d.fill_checksum(A, B);
    assert_ne!(d.checksum(), 0);
    assert!(d.verify_checksum(A, B));
    assert_eq!(reference_checksum(A, B, d.as_bytes()), 0);
}

#[test]
fn wrong_addresses_fail_verification() {
    let err = Datagram::parse_verified(&LINUX_HELLO[..], B, A);
    // Swapping addresses does not change a ones'-complement sum.
    assert!(err.is_ok());
    let other = Ipv4Addr::new(198, 18, 6, 3);
    let err = Datagram::parse_verified(&LINUX_HELLO[..], A, other).unwrap_err();
    let computed = Datagram::parse(&LINUX_HELLO[..])
        .unwrap()
        .compute_checksum(A, other);
    assert_eq!(
        err,
        ParseError::BadChecksum {
            found: 0x72b0,
            computed
        }
    );
    assert_eq!(err.layer(), Layer::Udp);
}

#[test]
fn corrupted_payload_fails_verification() {
    let mut bytes = LINUX_EVEN;
    bytes[10] ^= 0x01;
    let d = Datagram::parse(&bytes[..]).unwrap();
    assert!(!d.verify_checksum(A, B));
    let computed = d.compute_checksum(A, B);
    assert_eq!(
        Datagram::parse_verified(&bytes[..], A, B).unwrap_err(),
        ParseError::BadChecksum {
            found: 0x3b23,
            computed
        }
    );
    bytes[6..8].copy_from_slice(&computed.to_be_bytes());
    assert!(Datagram::parse_verified(&bytes[..], A, B).is_ok());
}

#[test]
fn computed_zero_is_sent_as_ffff() {
    // Pick a payload word that makes the sum of everything else 0xffff, so
    // the computed checksum is zero and must go out as 0xffff.
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        payload_len: 2,
    };
    let mut buf = [0u8; 10];
    repr.emit_without_checksum(&mut buf).unwrap();
    let mut c = strata_core::checksum::pseudo_header(A, B, PROTOCOL, 10);
    c.add_bytes(&buf);
    let word = !c.fold();
    buf[8..10].copy_from_slice(&word.to_be_bytes());
    let mut check = Checksum::new();
    check.add_checksum(c);
    check.add_u16(word);
    assert_eq!(check.finish(), 0);

    repr.emit(&mut buf, A, B).unwrap();
    assert_eq!(&buf[6..8], &[0xff, 0xff]);
    let d = Datagram::parse_verified(&buf[..], A, B).unwrap();
    assert_eq!(d.compute_checksum(A, B), 0xffff);
    let mut copy = buf;
    Datagram::parse(&mut copy[..]).unwrap().fill_checksum(A, B);
    assert_eq!(copy, buf);
}

#[test]
fn bytes_past_length_are_not_payload() {
    let mut padded = LINUX_HELLO.to_vec();
    padded.extend_from_slice(&[0; 17]);
    let d = Datagram::parse_verified(&padded[..], A, B).unwrap();
    assert_eq!(d.payload(), b"hello");
    assert_eq!(d.as_bytes().len(), 13);
    let mut d = Datagram::parse(&mut padded[..]).unwrap();
    assert_eq!(d.payload_mut().len(), 5);
    d.fill_checksum(A, B);
    assert_eq!(d.checksum(), 0x72b0);
}

#[test]
fn truncated_and_bad_lengths() {
    assert_eq!(
        Datagram::parse(&LINUX_HELLO[..7]).unwrap_err(),
        ParseError::Truncated {
            needed: 8,
            available: 7
        }
    );
    assert_eq!(
        Datagram::parse(&[][..]).unwrap_err(),
        ParseError::Truncated {
            needed: 8,
            available: 0
        }
    );
    assert_eq!(
        Datagram::parse(&LINUX_HELLO[..12]).unwrap_err(),
        ParseError::BadLength {
            length: 13,
            available: 12
        }
    );
    let mut short = LINUX_HELLO;
    short[4..6].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(
        Datagram::parse(&short[..]).unwrap_err(),
        ParseError::BadLength {
            length: 7,
            available: 13
        }
    );
    // A header alone is a valid, empty datagram.
    let mut empty = [0u8; 8];
    empty[4..6].copy_from_slice(&8u16.to_be_bytes());
    assert_eq!(Datagram::parse(&empty[..]).unwrap().payload(), b"");
}

#[test]
fn error_messages_name_the_field() {
    let text = std::format!(
        "{}",
        ParseError::BadLength {
            length: 3,
            available: 20
        }
    );
    assert!(text.contains("length field 3"), "{text}");
    let text = std::format!(
        "{}",
        ParseError::BadLength {
            length: 30,
            available: 20
        }
    );
    assert!(text.contains("exceeds the 20 bytes"), "{text}");
    let text = std::format!(
        "{}",
        ParseError::BadChecksum {
            found: 1,
            computed: 2
        }
    );
    assert!(text.contains("checksum 0x0001"), "{text}");
    let text = std::format!("{}", EmitError::PayloadTooLong { payload_len: 70000 });
    assert!(text.contains("70000"), "{text}");
}

#[test]
fn emit_reproduces_linux_bytes() {
    for bytes in [&LINUX_HELLO[..], &LINUX_EVEN[..]] {
        let d = Datagram::parse(bytes).unwrap();
        let repr = Repr::parse(&d).unwrap();
        let mut buf = vec![0u8; bytes.len()];
        buf[8..].copy_from_slice(d.payload());
        repr.emit(&mut buf, A, B).unwrap();
        assert_eq!(buf, bytes);
    }
    let d = Datagram::parse(&LINUX_NO_CHECKSUM[..]).unwrap();
    let repr = Repr::parse(&d).unwrap();
    let mut buf = LINUX_NO_CHECKSUM;
    buf[..8].fill(0xaa);
    repr.emit_without_checksum(&mut buf).unwrap();
    assert_eq!(buf, LINUX_NO_CHECKSUM);
}

#[test]
fn emit_errors() {
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        payload_len: 10,
    };
    let mut buf = [0u8; 17];
    assert_eq!(
        repr.emit(&mut buf, A, B).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 18,
            available: 17
        }
    );
    let huge = Repr {
        payload_len: MAX_PAYLOAD_LEN + 1,
        ..repr
    };
    assert_eq!(
        huge.emit(&mut buf, A, B).unwrap_err(),
        EmitError::PayloadTooLong {
            payload_len: MAX_PAYLOAD_LEN + 1
        }
    );
    let absurd = Repr {
        payload_len: usize::MAX,
        ..repr
    };
    assert!(absurd.emit(&mut buf, A, B).is_err());

    // Emit leaves bytes after the datagram alone.
    let mut big = [0x55u8; 40];
    repr.emit(&mut big, A, B).unwrap();
    assert_eq!(&big[18..], &[0x55; 22]);
    assert!(Datagram::parse_verified(&big[..], A, B).is_ok());
}

#[test]
fn prepend_checks_before_touching() {
    let repr = Repr {
        src_port: 7,
        dst_port: 9,
        payload_len: 3,
    };
    let mut storage = [0u8; 16];
    let mut pkt = PacketBuf::new(&mut storage[..], 4).unwrap();
    pkt.append(3).unwrap().copy_from_slice(b"abc");
    assert_eq!(
        repr.prepend(&mut pkt, A, B).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 8,
            available: 4
        }
    );
    assert_eq!((pkt.headroom(), pkt.len()), (4, 3));
    let wrong = Repr {
        payload_len: 4,
        ..repr
    };
    assert_eq!(
        wrong.prepend(&mut pkt, A, B).unwrap_err(),
        EmitError::PayloadLengthMismatch {
            expected: 4,
            actual: 3
        }
    );

    let mut storage = [0u8; 16];
    let mut pkt = PacketBuf::new(&mut storage[..], 8).unwrap();
    pkt.append(3).unwrap().copy_from_slice(b"abc");
    repr.prepend_without_checksum(&mut pkt).unwrap();
    let d = Datagram::parse(pkt.as_slice()).unwrap();
    assert_eq!(d.checksum(), 0);
    assert_eq!(d.payload(), b"abc");
    assert_eq!(Repr::parse(&d).unwrap(), repr);
}

#[test]
fn setters() {
    let mut bytes = LINUX_HELLO;
    let mut d = Datagram::parse(&mut bytes[..]).unwrap();
    d.set_src_port(1);
    d.set_dst_port(2);
    d.payload_mut().copy_from_slice(b"world");
    d.fill_checksum(A, B);
    let d = Datagram::parse_verified(&bytes[..], A, B).unwrap();
    assert_eq!((d.src_port(), d.dst_port()), (1, 2));
    assert_eq!(d.payload(), b"world");
    assert_eq!(reference_checksum(A, B, &bytes), 0);
}

// Datagrams quoted by ICMP errors, from the captures of the strata decode
// tests (crates/strata/tests/data), 198.18.0.1 -> 198.18.0.2.

/// `udp.pcap` frame 4: Linux's port unreachable quotes the whole datagram,
/// `nobody home` from port 40001 to 9001.
const QUOTED_WHOLE: [u8; 19] = [
    0x9c, 0x41, 0x23, 0x29, 0x00, 0x13, 0x8a, 0x07, 0x6e, 0x6f, 0x62, 0x6f, 0x64, 0x79, 0x20, 0x68,
    0x6f, 0x6d, 0x65,
];

/// `edge.pcap` frame 10: a fragmentation-needed error quoting only the 8
/// header bytes of a 1480-byte datagram from port 40007 to 9000, as RFC 792
/// allows.
const QUOTED_HEADER: [u8; 8] = [0x9c, 0x47, 0x23, 0x28, 0x05, 0xc8, 0xa8, 0xc6];

const QA: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
const QB: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);

#[test]
fn quoted_header_only() {
    let d = Datagram::parse_quoted(&QUOTED_HEADER[..]).unwrap();
    assert_eq!((d.src_port(), d.dst_port()), (40007, 9000));
    assert_eq!(d.length(), 1480);
    assert_eq!(d.checksum(), 0xa8c6);
    assert!(d.is_truncated());
    assert_eq!(d.payload(), b"");
    assert_eq!(d.as_bytes(), &QUOTED_HEADER[..]);
    assert_eq!(d.header_bytes(), &QUOTED_HEADER[..]);
    // The checksum covers 1472 bytes that are not here.
    assert!(!d.verify_checksum(QA, QB));
    // The repr describes the original datagram.
    assert_eq!(
        Repr::parse(&d).unwrap(),
        Repr {
            src_port: 40007,
            dst_port: 9000,
            payload_len: 1472
        }
    );
    // A plain parse refuses it.
    assert_eq!(
        Datagram::parse(&QUOTED_HEADER[..]).unwrap_err(),
        ParseError::BadLength {
            length: 1480,
            available: 8
        }
    );
}

#[test]
fn quoted_whole_datagram_is_a_datagram() {
    let quoted = Datagram::parse_quoted(&QUOTED_WHOLE[..]).unwrap();
    let parsed = Datagram::parse_verified(&QUOTED_WHOLE[..], QA, QB).unwrap();
    assert_eq!(quoted, parsed);
    assert!(!quoted.is_truncated());
    assert!(quoted.verify_checksum(QA, QB));
    assert_eq!(quoted.payload(), b"nobody home");
    // Bytes after the length field are not the datagram's, quoted or not.
    let mut padded = QUOTED_WHOLE.to_vec();
    padded.extend_from_slice(&[0xee; 5]);
    let d = Datagram::parse_quoted(&padded[..]).unwrap();
    assert_eq!(d.payload(), b"nobody home");
    assert!(!d.is_truncated());
}

#[test]
fn quoted_cut_at_every_length() {
    for cut in 0..=QUOTED_WHOLE.len() {
        let bytes = &QUOTED_WHOLE[..cut];
        match Datagram::parse_quoted(bytes) {
            Err(e) => {
                assert!(cut < HEADER_LEN, "{cut}: {e}");
                assert_eq!(
                    e,
                    ParseError::Truncated {
                        needed: 8,
                        available: cut
                    }
                );
            }
            Ok(d) => {
                assert!(cut >= HEADER_LEN);
                assert_eq!((d.src_port(), d.dst_port()), (40001, 9001));
                assert_eq!(d.length(), 19);
                assert_eq!(d.checksum(), 0x8a07);
                assert_eq!(d.payload(), &b"nobody home"[..cut - 8]);
                assert_eq!(d.as_bytes(), bytes);
                assert_eq!(d.is_truncated(), cut < 19);
                assert_eq!(d.verify_checksum(QA, QB), cut == 19);
                assert_eq!(Repr::parse(&d).unwrap().payload_len, 11);
                // Only the whole datagram also parses the strict way.
                assert_eq!(Datagram::parse(bytes).is_ok(), cut == 19);
            }
        }
    }
}

#[test]
fn quoted_length_below_header_is_refused() {
    let mut bad = QUOTED_HEADER;
    bad[4..6].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(
        Datagram::parse_quoted(&bad[..]).unwrap_err(),
        ParseError::BadLength {
            length: 7,
            available: 8
        }
    );
}

#[test]
fn quoted_zero_checksum_is_absent_even_when_cut() {
    let mut none = QUOTED_HEADER;
    none[6..8].fill(0);
    let d = Datagram::parse_quoted(&none[..]).unwrap();
    assert!(d.is_truncated());
    assert!(d.verify_checksum(QA, QB));
}

#[test]
fn quoted_setters_and_payload_stay_within_the_quote() {
    let mut owned = QUOTED_WHOLE;
    let mut d = Datagram::parse_quoted(&mut owned[..12]).unwrap();
    assert!(d.is_truncated());
    assert_eq!(d.payload_mut(), b"nobo");
    d.set_dst_port(9002);
    assert_eq!(d.dst_port(), 9002);
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from_bits)
}

proptest! {
    #[test]
    fn round_trip(
        src_port in any::<u16>(),
        dst_port in any::<u16>(),
        payload in proptest::collection::vec(any::<u8>(), 0..600),
        src in addr(),
        dst in addr(),
    ) {
        let repr = Repr { src_port, dst_port, payload_len: payload.len() };
        let mut storage = vec![0u8; 8 + payload.len() + 8];
        let mut pkt = PacketBuf::new(&mut storage[..], 8).unwrap();
        pkt.append(payload.len()).unwrap().copy_from_slice(&payload);
        repr.prepend(&mut pkt, src, dst).unwrap();
        let d = Datagram::parse_verified(pkt.as_slice(), src, dst).unwrap();
        prop_assert_eq!(Repr::parse(&d).unwrap(), repr);
        prop_assert_eq!(d.payload(), &payload[..]);
        prop_assert_ne!(d.checksum(), 0);
        prop_assert_eq!(reference_checksum(src, dst, d.as_bytes()), 0);
        prop_assert_eq!(d.compute_checksum(src, dst), d.checksum());
    }

    #[test]
    fn any_bit_flip_is_caught(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        bit in any::<prop::sample::Index>(),
    ) {
        let repr = Repr { src_port: 5353, dst_port: 5353, payload_len: payload.len() };
        let mut buf = vec![0u8; 8 + payload.len()];
        buf[8..].copy_from_slice(&payload);
        repr.emit(&mut buf, A, B).unwrap();
        let at = bit.index(buf.len() * 8);
        buf[at / 8] ^= 1 << (at % 8);
        // A flip in the length field may make the datagram unparseable; one
        // in the checksum field may zero it (no checksum); anything else
        // must fail verification.
        if let Ok(d) = Datagram::parse(&buf[..])
            && d.checksum() != 0
            && d.length() as usize == buf.len()
        {
            prop_assert!(!d.verify_checksum(A, B));
        }
    }

    #[test]
    fn quoted_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), src in addr(), dst in addr()) {
        match Datagram::parse_quoted(&bytes[..]) {
            Ok(d) => {
                prop_assert!(bytes.len() >= 8 && d.length() >= 8);
                let present = bytes.len().min(d.length() as usize);
                prop_assert_eq!(d.as_bytes(), &bytes[..present]);
                prop_assert_eq!(d.payload().len() + 8, present);
                prop_assert_eq!(d.is_truncated(), (d.length() as usize) > bytes.len());
                // Whatever parses the strict way parses the same quoted.
                if let Ok(strict) = Datagram::parse(&bytes[..]) {
                    prop_assert_eq!(strict, d);
                } else {
                    prop_assert!(d.is_truncated());
                }
                let _ = (d.verify_checksum(src, dst), d.compute_checksum(src, dst));
                prop_assert_eq!(Repr::parse(&d).unwrap().total_len(), d.length() as usize);
            }
            Err(_) => prop_assert!(Datagram::parse(&bytes[..]).is_err()),
        }
    }

    #[test]
    fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), src in addr(), dst in addr()) {
        if let Ok(d) = Datagram::parse(&bytes[..]) {
            prop_assert!(d.length() as usize <= bytes.len());
            prop_assert_eq!(d.payload().len() + 8, d.length() as usize);
            let ok = d.verify_checksum(src, dst);
            prop_assert_eq!(Datagram::parse_verified(&bytes[..], src, dst).is_ok(), ok);
            let repr = Repr::parse(&d).unwrap();
            let mut buf = vec![0u8; repr.total_len()];
            buf[8..].copy_from_slice(d.payload());
            repr.emit(&mut buf, src, dst).unwrap();
            prop_assert_eq!(Repr::parse(&Datagram::parse_verified(&buf[..], src, dst).unwrap()).unwrap(), repr);
        }
    }
}
