use core::net::Ipv4Addr;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;
use strata_core::buffer::PacketBuf;
use strata_core::checksum::checksum;
use strata_core::error::{Layer, LayerError};

use super::options::{GrammarError, option, validate};
use super::*;

const CLIENT: Ipv4Addr = Ipv4Addr::new(198, 18, 6, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(198, 18, 6, 2);

// Captured on a veth pair between two network namespaces (198.18.6.1 and
// 198.18.6.2, offloads off so Linux computed the checksums) with socat:
// a connection to port 8080 that sends one request and closes, then a
// connection attempt to closed port 9999.

/// client SYN: MSS 1460, SACK_PERM, TS, NOP, WS 10.
const LINUX_SYN: [u8; 40] = [
    0xa0, 0x28, 0x1f, 0x90, 0x14, 0xd3, 0x1a, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
    0xfe, 0x59, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xf1, 0x84, 0xd6, 0x12,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
];

/// server SYN-ACK with the same options.
const LINUX_SYN_ACK: [u8; 40] = [
    0x1f, 0x90, 0xa0, 0x28, 0x1a, 0x2e, 0xdd, 0x6d, 0x14, 0xd3, 0x1a, 0x68, 0xa0, 0x12, 0xfe, 0x88,
    0x8a, 0x23, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x7f, 0x0e, 0xf9, 0xe2,
    0xf1, 0x84, 0xd6, 0x12, 0x01, 0x03, 0x03, 0x0a,
];

/// client ACK completing the handshake: NOP, NOP, TS.
const LINUX_ACK: [u8; 32] = [
    0xa0, 0x28, 0x1f, 0x90, 0x14, 0xd3, 0x1a, 0x68, 0x1a, 0x2e, 0xdd, 0x6e, 0x80, 0x10, 0x00, 0x3f,
    0xb7, 0x3c, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xf1, 0x84, 0xd6, 0x12, 0x7f, 0x0e, 0xf9, 0xe2,
];

/// client data: `GET / HTTP/1.0\r\n\r\n` with PSH, ACK.
const LINUX_DATA: [u8; 50] = [
    0xa0, 0x28, 0x1f, 0x90, 0x14, 0xd3, 0x1a, 0x68, 0x1a, 0x2e, 0xdd, 0x6e, 0x80, 0x18, 0x00, 0x3f,
    0xd8, 0x82, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xf1, 0x84, 0xd6, 0x12, 0x7f, 0x0e, 0xf9, 0xe2,
    0x47, 0x45, 0x54, 0x20, 0x2f, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x30, 0x0d, 0x0a,
    0x0d, 0x0a,
];

/// client FIN, ACK.
const LINUX_FIN: [u8; 32] = [
    0xa0, 0x28, 0x1f, 0x90, 0x14, 0xd3, 0x1a, 0x7a, 0x1a, 0x2e, 0xdd, 0x6e, 0x80, 0x11, 0x00, 0x3f,
    0xb7, 0x29, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xf1, 0x84, 0xd6, 0x12, 0x7f, 0x0e, 0xf9, 0xe2,
];

/// client SYN to closed port 9999.
const LINUX_SYN_CLOSED: [u8; 40] = [
    0xa0, 0x29, 0x27, 0x0f, 0xcb, 0x7b, 0xb7, 0x69, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
    0x6a, 0x63, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x2f, 0x24, 0xd1, 0x3e,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
];

/// the RST, ACK Linux answered it with: no options, window 0.
const LINUX_RST: [u8; 20] = [
    0x27, 0x0f, 0xa0, 0x29, 0x00, 0x00, 0x00, 0x00, 0xcb, 0x7b, 0xb7, 0x6a, 0x50, 0x14, 0x00, 0x00,
    0xcd, 0x89, 0x00, 0x00,
];

fn reference_checksum(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> u16 {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&[0, 6]);
    bytes.extend_from_slice(&(segment.len() as u16).to_be_bytes());
    bytes.extend_from_slice(segment);
    checksum(&bytes)
}

/// Re-emits a parsed segment from its Repr and payload.
fn rebuild(segment: &Segment<&[u8]>, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
    let repr = Repr::parse(segment).unwrap();
    let header_len = repr.header_len();
    let mut buf = vec![0u8; header_len + repr.payload_len];
    buf[header_len..].copy_from_slice(segment.payload());
    repr.emit(&mut buf, src, dst).unwrap();
    buf
}

const LINUX_SYN_TS: Timestamps = Timestamps {
    tsval: 4_052_014_610,
    tsecr: 0,
};

#[test]
fn linux_syn() {
    let s = Segment::parse_verified(&LINUX_SYN[..], CLIENT, SERVER).unwrap();
    assert_eq!((s.src_port(), s.dst_port()), (41000, 8080));
    assert_eq!(s.seq(), 349_379_175);
    assert_eq!(s.ack(), 0);
    assert_eq!(s.data_offset(), 10);
    assert_eq!(s.header_len(), 40);
    assert_eq!(s.reserved(), 0);
    assert_eq!(s.flags(), Flags::SYN);
    assert_eq!(s.window(), 64240);
    assert_eq!(s.checksum(), 0xfe59);
    assert_eq!(s.urgent(), 0);
    assert_eq!(s.payload(), b"");
    assert_eq!(s.segment_len(), 1);
    assert_eq!(s.options_bytes(), &LINUX_SYN[20..]);
    assert_eq!(s.header_bytes(), &LINUX_SYN[..]);
    let opts: Vec<_> = s.options().collect();
    assert_eq!(
        opts,
        [
            TcpOption::Mss(1460),
            TcpOption::SackPermitted,
            TcpOption::Timestamps(LINUX_SYN_TS),
            TcpOption::Nop,
            TcpOption::WindowScale(10),
        ]
    );
    assert_eq!(
        s.parse_options(),
        Options {
            mss: Some(1460),
            window_scale: Some(10),
            sack_permitted: true,
            timestamps: Some(LINUX_SYN_TS),
            ..Options::new()
        }
    );
    assert_eq!(s.compute_checksum(CLIENT, SERVER), 0xfe59);
    assert_eq!(reference_checksum(CLIENT, SERVER, &LINUX_SYN), 0);
}

#[test]
fn linux_syn_ack() {
    let s = Segment::parse_verified(&LINUX_SYN_ACK[..], SERVER, CLIENT).unwrap();
    assert_eq!((s.src_port(), s.dst_port()), (8080, 41000));
    assert_eq!(s.seq(), 439_278_957);
    assert_eq!(s.ack(), 349_379_176);
    assert_eq!(s.flags(), Flags::SYN | Flags::ACK);
    assert_eq!(s.flags().to_string(), "[SYN, ACK]");
    assert_eq!(s.window(), 65160);
    let o = s.parse_options();
    assert_eq!(o.mss, Some(1460));
    assert_eq!(o.window_scale, Some(10));
    assert!(o.sack_permitted);
    assert_eq!(
        o.timestamps,
        Some(Timestamps {
            tsval: 2_131_687_906,
            tsecr: 4_052_014_610
        })
    );
    assert_eq!(s.segment_len(), 1);
}

#[test]
fn linux_ack_and_data() {
    let ack = Segment::parse_verified(&LINUX_ACK[..], CLIENT, SERVER).unwrap();
    assert_eq!(ack.flags(), Flags::ACK);
    assert_eq!(ack.window(), 63);
    assert_eq!(ack.segment_len(), 0);
    assert_eq!(
        ack.options().collect::<Vec<_>>(),
        [
            TcpOption::Nop,
            TcpOption::Nop,
            TcpOption::Timestamps(Timestamps {
                tsval: 4_052_014_610,
                tsecr: 2_131_687_906
            })
        ]
    );

    assert_eq!(
        ack.parse_options(),
        Options {
            timestamps: Some(Timestamps {
                tsval: 4_052_014_610,
                tsecr: 2_131_687_906
            }),
            ..Options::new()
        }
    );

    let data = Segment::parse_verified(&LINUX_DATA[..], CLIENT, SERVER).unwrap();
    assert_eq!(data.flags(), Flags::PSH | Flags::ACK);
    assert_eq!(data.flags().to_string(), "[PSH, ACK]");
    assert_eq!(data.seq(), 349_379_176);
    assert_eq!(data.ack(), 439_278_958);
    assert_eq!(data.header_len(), 32);
    assert_eq!(data.payload(), b"GET / HTTP/1.0\r\n\r\n");
    assert_eq!(data.segment_len(), 18);
    assert_eq!(data.as_bytes(), &LINUX_DATA[..]);
}

#[test]
fn linux_fin_and_rst() {
    let fin = Segment::parse_verified(&LINUX_FIN[..], CLIENT, SERVER).unwrap();
    assert_eq!(fin.flags(), Flags::FIN | Flags::ACK);
    assert_eq!(fin.flags().to_string(), "[FIN, ACK]");
    assert_eq!(fin.seq(), 349_379_194);
    assert_eq!(fin.segment_len(), 1);

    Segment::parse_verified(&LINUX_SYN_CLOSED[..], CLIENT, SERVER).unwrap();
    let rst = Segment::parse_verified(&LINUX_RST[..], SERVER, CLIENT).unwrap();
    assert_eq!((rst.src_port(), rst.dst_port()), (9999, 41001));
    assert_eq!(rst.flags(), Flags::RST | Flags::ACK);
    assert_eq!(rst.flags().to_string(), "[RST, ACK]");
    assert_eq!(rst.seq(), 0);
    // The RST acknowledges the SYN it refuses.
    let syn = Segment::parse(&LINUX_SYN_CLOSED[..]).unwrap();
    assert_eq!(rst.ack(), syn.seq().wrapping_add(1));
    assert_eq!(rst.window(), 0);
    assert_eq!(rst.data_offset(), 5);
    assert_eq!(rst.options_bytes(), b"");
    assert_eq!(rst.options().next(), None);
    assert!(rst.parse_options().is_empty());
    assert_eq!(rst.segment_len(), 0);
}

#[test]
fn emit_reproduces_linux_bytes() {
    // Options are laid out in Linux's order and alignment, so every
    // captured segment comes back byte for byte.
    for (bytes, src, dst) in [
        (&LINUX_SYN[..], CLIENT, SERVER),
        (&LINUX_SYN_ACK[..], SERVER, CLIENT),
        (&LINUX_ACK[..], CLIENT, SERVER),
        (&LINUX_DATA[..], CLIENT, SERVER),
        (&LINUX_FIN[..], CLIENT, SERVER),
        (&LINUX_SYN_CLOSED[..], CLIENT, SERVER),
        (&LINUX_RST[..], SERVER, CLIENT),
    ] {
        let s = Segment::parse(bytes).unwrap();
        assert_eq!(rebuild(&s, src, dst), bytes);
    }
}

#[test]
fn prepend_builds_linux_data_segment() {
    let repr = Repr::parse(&Segment::parse(&LINUX_DATA[..]).unwrap()).unwrap();
    let mut storage = [0u8; 128];
    let mut pkt = PacketBuf::new(&mut storage[..], 60).unwrap();
    pkt.append(18)
        .unwrap()
        .copy_from_slice(b"GET / HTTP/1.0\r\n\r\n");
    repr.prepend(&mut pkt, CLIENT, SERVER).unwrap();
    assert_eq!(pkt.as_slice(), &LINUX_DATA[..]);
    assert_eq!(pkt.headroom(), 60 - 32);
}

#[test]
fn checksum_mismatch() {
    let mut bytes = LINUX_DATA;
    bytes[40] ^= 0x20;
    let s = Segment::parse(&bytes[..]).unwrap();
    assert!(!s.verify_checksum(CLIENT, SERVER));
    let computed = s.compute_checksum(CLIENT, SERVER);
    let err = Segment::parse_verified(&bytes[..], CLIENT, SERVER).unwrap_err();
    assert_eq!(
        err,
        ParseError::BadChecksum {
            found: 0xd882,
            computed
        }
    );
    assert_eq!(err.layer(), Layer::Tcp);
    assert!(err.to_string().contains("checksum 0xd882"));

    let mut s = Segment::parse(&mut bytes[..]).unwrap();
    s.fill_checksum(CLIENT, SERVER);
    assert_eq!(s.checksum(), computed);
    assert_eq!(reference_checksum(CLIENT, SERVER, &bytes), 0);
    // Another destination address changes the pseudo-header.
    assert!(
        !Segment::parse(&LINUX_DATA[..])
            .unwrap()
            .verify_checksum(CLIENT, Ipv4Addr::new(198, 18, 6, 3))
    );
}

#[test]
fn setters_then_fill_checksum() {
    let mut bytes = LINUX_DATA;
    let mut s = Segment::parse(&mut bytes[..]).unwrap();
    s.set_src_port(1);
    s.set_dst_port(2);
    s.set_seq(3);
    s.set_ack(4);
    s.set_flags(Flags::URG | Flags::ACK | Flags::AE);
    s.set_window(5);
    s.set_urgent(6);
    s.payload_mut()[..3].copy_from_slice(b"PUT");
    s.fill_checksum(CLIENT, SERVER);
    let s = Segment::parse_verified(&bytes[..], CLIENT, SERVER).unwrap();
    assert_eq!((s.src_port(), s.dst_port(), s.seq(), s.ack()), (1, 2, 3, 4));
    assert_eq!(s.flags(), Flags::URG | Flags::ACK | Flags::AE);
    assert_eq!(s.data_offset(), 8);
    assert_eq!((s.window(), s.urgent()), (5, 6));
    assert!(s.payload().starts_with(b"PUT /"));
    assert_eq!(reference_checksum(CLIENT, SERVER, &bytes), 0);
}

#[test]
fn reserved_bits_and_ae() {
    let mut bytes = LINUX_RST;
    // Data offset 5, reserved 0b101, AE, then RST and ACK.
    bytes[12] = 0x5b;
    let s = Segment::parse(&bytes[..]).unwrap();
    assert_eq!(s.reserved(), 0b101);
    assert_eq!(s.flags(), Flags::AE | Flags::RST | Flags::ACK);
    assert_eq!(s.flags().to_string(), "[RST, ACK, AE]");
    assert_eq!(s.data_offset(), 5);
    // The Repr does not carry reserved bits: they go out as zero.
    let out = rebuild(&s, SERVER, CLIENT);
    let again = Segment::parse(&out[..]).unwrap();
    assert_eq!(again.reserved(), 0);
    assert_eq!(again.flags(), s.flags());
    // Setting flags keeps the reserved bits and the data offset.
    let mut s = Segment::parse(&mut bytes[..]).unwrap();
    s.set_flags(Flags::SYN);
    assert_eq!((s.reserved(), s.data_offset()), (0b101, 5));
}

#[test]
fn truncated_and_bad_data_offset() {
    assert_eq!(
        Segment::parse(&LINUX_RST[..19]).unwrap_err(),
        ParseError::Truncated {
            needed: 20,
            available: 19
        }
    );
    assert_eq!(
        Segment::parse(&[][..]).unwrap_err(),
        ParseError::Truncated {
            needed: 20,
            available: 0
        }
    );
    // The SYN's header is 40 bytes; cut inside the options.
    assert_eq!(
        Segment::parse(&LINUX_SYN[..36]).unwrap_err(),
        ParseError::Truncated {
            needed: 40,
            available: 36
        }
    );
    for data_offset in 0..5u8 {
        let mut bytes = LINUX_RST;
        bytes[12] = (data_offset << 4) | (bytes[12] & 0x0f);
        let err = Segment::parse(&bytes[..]).unwrap_err();
        assert_eq!(err, ParseError::BadDataOffset { data_offset });
        assert!(err.to_string().contains("data offset"));
    }
    let mut bytes = LINUX_RST;
    bytes[12] = 0xf0;
    assert_eq!(
        Segment::parse(&bytes[..]).unwrap_err(),
        ParseError::Truncated {
            needed: 60,
            available: 20
        }
    );
    let huge = vec![0x50u8; 65536];
    assert_eq!(
        Segment::parse(&huge[..]).unwrap_err(),
        ParseError::TooLong { len: 65536 }
    );
    let mut biggest = vec![0u8; 65535];
    biggest[12] = 0x50;
    assert!(Segment::parse(&biggest[..]).is_ok());
}

/// A 20-byte header (zeros, ports aside) followed by `options`, padded to
/// whole words with EOL, data offset set accordingly.
fn with_options(options: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    bytes[..4].copy_from_slice(&[0x30, 0x39, 0x00, 0x50]);
    bytes.extend_from_slice(options);
    while !bytes.len().is_multiple_of(4) {
        bytes.push(0);
    }
    bytes[12] = ((bytes.len() / 4) as u8) << 4;
    bytes[13] = Flags::ACK.bits() as u8;
    bytes
}

#[test]
fn bad_option_lengths() {
    let cases: &[(&[u8], ParseError)] = &[
        // MSS must be 4 long.
        (
            &[2, 5, 0, 0, 0],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 2,
                len: 5,
            },
        ),
        // Window scale must be 3 long; offset counts the NOP before it.
        (
            &[1, 3, 4, 0, 0],
            ParseError::BadOptionLength {
                offset: 1,
                kind: 3,
                len: 4,
            },
        ),
        // SACK-permitted must be 2 long.
        (
            &[4, 3, 0],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 4,
                len: 3,
            },
        ),
        // Timestamps must be 10 long.
        (
            &[1, 1, 8, 8, 0, 0, 0, 0, 0, 0],
            ParseError::BadOptionLength {
                offset: 2,
                kind: 8,
                len: 8,
            },
        ),
        // SACK without blocks, and with a partial block.
        (
            &[5, 2],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 5,
                len: 2,
            },
        ),
        (
            &[5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 5,
                len: 11,
            },
        ),
        // Five SACK blocks cannot be carried (and would not fit).
        (
            &[5, 42],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 5,
                len: 42,
            },
        ),
        // Lengths below 2 would never advance.
        (
            &[30, 0],
            ParseError::BadOptionLength {
                offset: 0,
                kind: 30,
                len: 0,
            },
        ),
        (
            &[2, 4, 5, 180, 30, 1],
            ParseError::BadOptionLength {
                offset: 4,
                kind: 30,
                len: 1,
            },
        ),
        // An unknown option running past the options area.
        (
            &[1, 30, 10, 0, 0, 0, 0, 0],
            ParseError::TruncatedOption {
                offset: 1,
                kind: 30,
                needed: 10,
                available: 7,
            },
        ),
        // MSS with its length byte cut off by the end of the header.
        (
            &[1, 1, 1, 2],
            ParseError::TruncatedOption {
                offset: 3,
                kind: 2,
                needed: 2,
                available: 1,
            },
        ),
    ];
    for (options, expected) in cases {
        // Pad with NOPs so the header padding does not change the error.
        let mut padded = options.to_vec();
        if let ParseError::TruncatedOption { .. } = expected {
            assert_eq!(padded.len() % 4, 0, "{options:?}");
        } else {
            while !padded.len().is_multiple_of(4) {
                padded.push(1);
            }
        }
        let bytes = with_options(&padded);
        assert_eq!(
            Segment::parse(&bytes[..]).unwrap_err(),
            *expected,
            "{options:?}"
        );
        assert_eq!(validate(&padded).unwrap_err(), *expected);
        assert_eq!(nom_validate(&padded).unwrap_err(), *expected);
        assert_eq!(Options::parse(&padded).unwrap_err(), *expected);
        assert!(OptionsIter::new(&padded).is_err());
        assert!(expected.to_string().contains("option"));
    }
}

#[test]
fn eol_ends_the_list_and_padding_is_ignored() {
    // MSS, EOL, then bytes that would be malformed if read as options.
    let bytes = with_options(&[2, 4, 0x05, 0xb4, 0, 2, 9, 9]);
    let s = Segment::parse(&bytes[..]).unwrap();
    assert_eq!(
        s.options().collect::<Vec<_>>(),
        [TcpOption::Mss(1460), TcpOption::EndOfList]
    );
    assert_eq!(s.parse_options().mss, Some(1460));
    let mut it = s.options();
    it.next();
    assert_eq!(it.offset(), 4);
}

#[test]
fn unknown_options_are_kept() {
    // Kind 30 (multipath TCP) with 4 data bytes, and kind 253 (experimental)
    // with none, around an MSS.
    let opts = [30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xb4, 253, 2];
    let bytes = with_options(&opts);
    let s = Segment::parse(&bytes[..]).unwrap();
    assert_eq!(
        s.options().collect::<Vec<_>>(),
        [
            TcpOption::Unknown {
                kind: 30,
                data: &[1, 2, 3, 4]
            },
            TcpOption::Mss(1460),
            TcpOption::Unknown {
                kind: 253,
                data: &[]
            },
        ]
    );
    let o = s.parse_options();
    assert_eq!(o.unknown.as_bytes(), &[30, 6, 1, 2, 3, 4, 253, 2]);
    assert_eq!(o.unknown.iter().count(), 2);
    // Known options first, then the unknown ones as they came.
    let mut buf = [0u8; 40];
    let n = o.emit(&mut buf).unwrap();
    assert_eq!(&buf[..n], &[2, 4, 0x05, 0xb4, 30, 6, 1, 2, 3, 4, 253, 2]);
    assert_eq!(Options::parse(&buf[..n]).unwrap(), o);
}

/// RFC 2018 §5, case 3: the 2nd, 4th, 6th and 8th of eight 500-byte
/// segments (starting at 5000) are lost; each later arrival is answered
/// with an ACK for 5500 and SACK blocks, the most recent first.
#[test]
fn sack_blocks_rfc2018_case3() {
    let expected: [&[(u32, u32)]; 3] = [
        &[(6000, 6500)],
        &[(7000, 7500), (6000, 6500)],
        &[(8000, 8500), (7000, 7500), (6000, 6500)],
    ];
    for blocks in expected {
        // NOP, NOP, SACK, as Linux aligns it.
        let mut opts = vec![1, 1, 5, 2 + 8 * blocks.len() as u8];
        for (l, r) in blocks {
            opts.extend_from_slice(&l.to_be_bytes());
            opts.extend_from_slice(&r.to_be_bytes());
        }
        let mut bytes = with_options(&opts);
        bytes[8..12].copy_from_slice(&5500u32.to_be_bytes());
        let mut s = Segment::parse(&mut bytes[..]).unwrap();
        s.fill_checksum(SERVER, CLIENT);
        let s = Segment::parse_verified(&bytes[..], SERVER, CLIENT).unwrap();
        assert_eq!(s.ack(), 5500);
        let sack = SackBlocks::from_slice(blocks).unwrap();
        assert_eq!(
            s.options().collect::<Vec<_>>(),
            [TcpOption::Nop, TcpOption::Nop, TcpOption::Sack(sack)]
        );
        assert_eq!(s.parse_options().sack.as_slice(), blocks);
        assert_eq!(rebuild(&s, SERVER, CLIENT), bytes);
    }
}

#[test]
fn four_sack_blocks_and_sack_with_timestamps() {
    let blocks = [(1, 2), (3, 4), (5, 6), (7, 8)];
    let options = Options {
        sack: SackBlocks::from_slice(&blocks).unwrap(),
        ..Options::new()
    };
    assert_eq!(options.wire_len(), 36);
    let mut buf = [0u8; 40];
    let n = options.emit(&mut buf).unwrap();
    assert_eq!(&buf[..4], &[1, 1, 5, 34]);
    assert_eq!(Options::parse(&buf[..n]).unwrap(), options);
    assert!(SackBlocks::from_slice(&[(0, 0); 5]).is_none());
    let mut full = SackBlocks::from_slice(&blocks).unwrap();
    assert!(!full.push((9, 10)));
    assert_eq!(full.len(), 4);
    full.clear();
    assert!(full.is_empty());

    // Timestamps plus three blocks: exactly 40 bytes, as Linux sends it.
    let options = Options {
        sack: SackBlocks::from_slice(&blocks[..3]).unwrap(),
        timestamps: Some(Timestamps { tsval: 1, tsecr: 2 }),
        ..Options::new()
    };
    let n = options.emit(&mut buf).unwrap();
    assert_eq!(n, 40);
    assert_eq!(&buf[..4], &[1, 1, 8, 10]);
    assert_eq!(&buf[12..16], &[1, 1, 5, 26]);
    assert_eq!(Options::parse(&buf).unwrap(), options);
}

#[test]
fn options_layout() {
    let emit = |o: &Options| {
        let mut buf = [0xaau8; 40];
        let n = o.emit(&mut buf).unwrap();
        assert_eq!(n, o.wire_len());
        assert_eq!(n % 4, 0);
        assert_eq!(Options::parse(&buf[..n]).unwrap(), *o);
        buf[..n].to_vec()
    };
    assert_eq!(emit(&Options::new()), b"");
    assert!(Options::new().is_empty());
    let ts = Timestamps {
        tsval: 0x0102_0304,
        tsecr: 0x0506_0708,
    };
    assert_eq!(
        emit(&Options {
            timestamps: Some(ts),
            ..Options::new()
        }),
        [1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8]
    );
    // A SYN without timestamps: MSS, NOP WS, NOP NOP SACK_PERM.
    assert_eq!(
        emit(&Options {
            mss: Some(536),
            window_scale: Some(7),
            sack_permitted: true,
            ..Options::new()
        }),
        [2, 4, 2, 24, 1, 3, 3, 7, 1, 1, 4, 2]
    );
    // An unaligned unknown option is padded with EOL.
    let mut unknown = UnknownOptions::new();
    unknown.push(77, &[9]).unwrap();
    assert_eq!(
        emit(&Options {
            unknown,
            ..Options::new()
        }),
        [77, 3, 9, 0]
    );
}

#[test]
fn options_packed_when_alignment_overflows() {
    // SACK_PERM (2) + WS (3) + four SACK blocks (34) = 39 bytes on the wire,
    // but 44 with Linux's alignment NOPs: emit packs them instead.
    let raw = {
        let mut v = vec![4, 2, 3, 3, 14, 5, 34];
        for i in 0..8u32 {
            v.extend_from_slice(&(i * 1000).to_be_bytes());
        }
        v.push(0);
        v
    };
    assert_eq!(raw.len(), 40);
    let o = Options::parse(&raw).unwrap();
    assert_eq!(o.sack.len(), 4);
    assert_eq!(o.wire_len(), 40);
    let mut buf = [0u8; 40];
    o.emit(&mut buf).unwrap();
    assert_eq!(Options::parse(&buf).unwrap(), o);

    // Too much even packed.
    let too_much = Options {
        mss: Some(1),
        timestamps: Some(Timestamps::default()),
        ..o
    };
    assert!(too_much.wire_len() > 40);
    assert_eq!(
        too_much.emit(&mut buf).unwrap_err(),
        EmitError::OptionsTooLong { len: 56 }
    );
    let repr = Repr {
        src_port: 1,
        dst_port: 2,
        seq: 0,
        ack: 0,
        flags: Flags::ACK,
        window: 0,
        urgent: 0,
        options: too_much,
        payload_len: 0,
    };
    let mut seg = [0u8; 100];
    assert_eq!(
        repr.emit(&mut seg, CLIENT, SERVER).unwrap_err(),
        EmitError::OptionsTooLong { len: 56 }
    );
    assert_eq!(
        Options::parse(&[1; 44]).unwrap_err(),
        ParseError::OptionsTooLong { len: 44 }
    );
}

#[test]
fn duplicate_options_last_wins() {
    let o = Options::parse(&[2, 4, 0, 1, 2, 4, 0, 2, 3, 3, 1, 3, 3, 2]).unwrap();
    assert_eq!(o.mss, Some(2));
    assert_eq!(o.window_scale, Some(2));
}

#[test]
fn unknown_option_rules() {
    let mut u = UnknownOptions::new();
    for kind in [0, 1, 2, 3, 4, 5, 8] {
        assert_eq!(
            u.push(kind, &[]).unwrap_err(),
            EmitError::InvalidOption { kind }
        );
    }
    assert_eq!(
        u.push(99, &[0; 254]).unwrap_err(),
        EmitError::InvalidOption { kind: 99 }
    );
    u.push(99, &[0; 30]).unwrap();
    assert_eq!(
        u.push(100, &[0; 7]).unwrap_err(),
        EmitError::OptionsTooLong { len: 41 }
    );
    u.push(100, &[0; 6]).unwrap();
    assert_eq!(u.as_bytes().len(), 40);
    u.clear();
    assert!(u.is_empty());
}

#[test]
fn single_option_emit() {
    let mut buf = [0u8; 40];
    let cases: &[(TcpOption<'_>, &[u8])] = &[
        (TcpOption::EndOfList, &[0]),
        (TcpOption::Nop, &[1]),
        (TcpOption::Mss(1460), &[2, 4, 5, 180]),
        (TcpOption::WindowScale(7), &[3, 3, 7]),
        (TcpOption::SackPermitted, &[4, 2]),
        (
            TcpOption::Timestamps(Timestamps { tsval: 1, tsecr: 2 }),
            &[8, 10, 0, 0, 0, 1, 0, 0, 0, 2],
        ),
        (
            TcpOption::Sack(SackBlocks::from_slice(&[(1, 2)]).unwrap()),
            &[5, 10, 0, 0, 0, 1, 0, 0, 0, 2],
        ),
        (
            TcpOption::Unknown {
                kind: 6,
                data: &[1, 2, 3, 4],
            },
            &[6, 6, 1, 2, 3, 4],
        ),
    ];
    for (opt, wire) in cases {
        let n = opt.emit(&mut buf).unwrap();
        assert_eq!(&buf[..n], *wire);
        assert_eq!(opt.wire_len(), n);
        assert_eq!(OptionsIter::new(&buf[..n]).unwrap().next(), Some(*opt));
        assert!(opt.emit(&mut buf[..n - 1]).is_err());
    }
    assert_eq!(
        TcpOption::Sack(SackBlocks::new())
            .emit(&mut buf)
            .unwrap_err(),
        EmitError::InvalidOption { kind: 5 }
    );
    assert_eq!(
        TcpOption::Unknown {
            kind: 2,
            data: &[0, 0]
        }
        .emit(&mut buf)
        .unwrap_err(),
        EmitError::InvalidOption { kind: 2 }
    );
}

#[test]
fn option_kind_names() {
    assert_eq!(OptionKind::MSS.name(), Some("MSS"));
    assert_eq!(OptionKind::SACK_PERMITTED.to_string(), "SACK_PERM");
    assert_eq!(OptionKind(30).to_string(), "kind 30");
    assert_eq!(OptionKind::TIMESTAMPS.fixed_len(), Some(10));
    assert_eq!(OptionKind::SACK.fixed_len(), None);
    assert!(OptionKind::SACK.is_known() && !OptionKind(6).is_known());
    assert_eq!(TcpOption::Mss(1).kind(), OptionKind::MSS);
}

#[test]
fn flags_behave() {
    assert_eq!(Flags::EMPTY.to_string(), "[<None>]");
    assert_eq!(
        Flags::ALL.to_string(),
        "[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE]"
    );
    let mut f = Flags::SYN | Flags::ACK;
    assert!(f.contains(Flags::SYN) && f.contains(Flags::SYN | Flags::ACK));
    assert!(!f.contains(Flags::SYN | Flags::FIN));
    assert!(f.intersects(Flags::SYN | Flags::FIN));
    f.remove(Flags::SYN);
    assert_eq!(f, Flags::ACK);
    f.insert(Flags::FIN);
    f.set(Flags::ACK, false);
    assert_eq!(f, Flags::FIN);
    assert_eq!(Flags::from_bits(0x200), None);
    assert_eq!(Flags::from_bits(0x012), Some(Flags::SYN | Flags::ACK));
    assert_eq!(Flags::from_bits_truncate(0xa012).bits(), 0x012);
    assert_eq!(!Flags::ALL, Flags::EMPTY);
    assert_eq!((Flags::ALL - Flags::AE).bits(), 0xff);
    assert_eq!(Flags::ALL & Flags::ECE, Flags::ECE);
    assert_eq!(std::format!("{:?}", Flags::SYN), "Flags(0x002 [SYN])");
    assert_eq!(Flags::ALL.names().count(), 9);
}

#[test]
fn emit_errors_and_prepend_leaves_packet_alone() {
    let repr = Repr::parse(&Segment::parse(&LINUX_DATA[..]).unwrap()).unwrap();
    let mut small = [0u8; 49];
    assert_eq!(
        repr.emit(&mut small, CLIENT, SERVER).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 50,
            available: 49
        }
    );
    let too_long = Repr {
        payload_len: 65535 - 31,
        ..repr
    };
    assert_eq!(
        too_long.emit(&mut small, CLIENT, SERVER).unwrap_err(),
        EmitError::SegmentTooLong { len: 65536 }
    );
    let absurd = Repr {
        payload_len: usize::MAX,
        ..repr
    };
    assert!(absurd.emit(&mut small, CLIENT, SERVER).is_err());

    let mut storage = [0u8; 64];
    let mut pkt = PacketBuf::new(&mut storage[..], 31).unwrap();
    pkt.append(18).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt, CLIENT, SERVER).unwrap_err(),
        EmitError::BufferTooSmall {
            needed: 32,
            available: 31
        }
    );
    assert_eq!((pkt.headroom(), pkt.len()), (31, 18));
    pkt.append(1).unwrap();
    assert_eq!(
        repr.prepend(&mut pkt, CLIENT, SERVER).unwrap_err(),
        EmitError::PayloadLengthMismatch {
            expected: 18,
            actual: 19
        }
    );
    assert_eq!((pkt.headroom(), pkt.len()), (31, 19));

    // Bytes past the payload are left alone.
    let mut big = [0x55u8; 80];
    big[32..50].copy_from_slice(&LINUX_DATA[32..]);
    repr.emit(&mut big, CLIENT, SERVER).unwrap();
    assert_eq!(&big[..50], &LINUX_DATA[..]);
    assert!(big[50..].iter().all(|b| *b == 0x55));
}

#[test]
fn full_size_segment() {
    // What a 1514-byte Ethernet frame carries: 32-byte header, 1448 bytes.
    let mut repr = Repr::parse(&Segment::parse(&LINUX_DATA[..]).unwrap()).unwrap();
    repr.payload_len = 1448;
    let mut buf = vec![0u8; 1480];
    for (i, b) in buf[32..].iter_mut().enumerate() {
        *b = (i * 7) as u8;
    }
    repr.emit(&mut buf, CLIENT, SERVER).unwrap();
    let s = Segment::parse_verified(&buf[..], CLIENT, SERVER).unwrap();
    assert_eq!(s.payload().len(), 1448);
    assert_eq!(Repr::parse(&s).unwrap(), repr);
    assert_eq!(reference_checksum(CLIENT, SERVER, &buf), 0);
}

#[test]
fn error_display() {
    let cases = [
        (
            ParseError::TruncatedOption {
                offset: 3,
                kind: 2,
                needed: 2,
                available: 1,
            }
            .to_string(),
            "TCP option MSS at option offset 3 needs 2 bytes, only 1 left",
        ),
        (
            ParseError::BadOptionLength {
                offset: 0,
                kind: 8,
                len: 9,
            }
            .to_string(),
            "TCP option TS at option offset 0 has invalid length 9",
        ),
        (
            EmitError::OptionsTooLong { len: 44 }.to_string(),
            "TCP options need 44 bytes, more than the 40 allowed",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    assert_eq!(EmitError::InvalidOption { kind: 5 }.layer(), Layer::Tcp);
}

/// The nom grammar run over a whole options area, for comparison with the
/// hand-written validation loop.
fn nom_validate(bytes: &[u8]) -> Result<(), ParseError> {
    let mut rest = bytes;
    while !rest.is_empty() {
        match option(bytes.len() - rest.len(), rest) {
            Ok((_, TcpOption::EndOfList)) => return Ok(()),
            Ok((r, _)) => rest = r,
            Err(nom::Err::Failure(GrammarError::Option(e))) => return Err(e),
            Err(e) => panic!("grammar failed without a reason: {e:?}"),
        }
    }
    Ok(())
}

// Segments as ICMP errors quote them. From the captures of the strata decode
// tests (crates/strata/tests/data), 198.18.0.1 -> 198.18.0.2.

/// `edge.pcap` frame 9: a time-exceeded error quoting the first 8 bytes of
/// a SYN from port 40006 to 9000, sequence number 77777 (RFC 792's minimum).
const QUOTED_8: [u8; 8] = [0x9c, 0x46, 0x23, 0x28, 0x00, 0x01, 0x2f, 0xd1];

/// `tcp-rst.pcap` frame 1: a Linux SYN (MSS, SACK-permitted, timestamps,
/// NOP, window scale), all 40 bytes of it, as an RFC 1812 router quotes it.
const QUOTED_SYN: [u8; 40] = [
    0xe9, 0x80, 0x27, 0x0f, 0x75, 0x6d, 0xb0, 0x05, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
    0xaa, 0xd8, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xd8, 0x65, 0x07, 0xa3,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
];

#[test]
fn quoted_ports_and_sequence_number() {
    let q = Segment::parse_quoted(&QUOTED_8[..]).unwrap();
    assert_eq!((q.src_port(), q.dst_port(), q.seq()), (40006, 9000, 77777));
    assert_eq!(q.ack(), None);
    assert_eq!(q.data_offset(), None);
    assert_eq!(q.header_len(), None);
    assert_eq!(q.reserved(), None);
    assert_eq!(q.flags(), None);
    assert_eq!(q.window(), None);
    assert_eq!(q.checksum(), None);
    assert_eq!(q.urgent(), None);
    assert!(!q.is_header_complete());
    assert_eq!(q.options().count(), 0);
    assert_eq!(q.payload(), b"");
    assert_eq!(q.header_bytes(), &QUOTED_8[..]);
    assert_eq!(q.as_bytes(), &QUOTED_8[..]);
    assert!(q.segment().is_none());
    assert_eq!(q.into_inner(), &QUOTED_8[..]);
    // The strict parse wants the whole fixed header.
    assert_eq!(
        Segment::parse(&QUOTED_8[..]).unwrap_err(),
        ParseError::Truncated {
            needed: 20,
            available: 8
        }
    );
}

#[test]
fn quoted_syn_cut_at_every_length() {
    let whole = Segment::parse(&QUOTED_SYN[..]).unwrap();
    let all: Vec<TcpOption<'_>> = whole.options().collect();
    assert_eq!(all.len(), 5);
    for cut in 0..=QUOTED_SYN.len() {
        let bytes = &QUOTED_SYN[..cut];
        let q = match Segment::parse_quoted(bytes) {
            Ok(q) => q,
            Err(e) => {
                assert!(cut < QUOTED_MIN_LEN, "{cut}: {e}");
                assert_eq!(
                    e,
                    ParseError::Truncated {
                        needed: 8,
                        available: cut
                    }
                );
                continue;
            }
        };
        assert_eq!(
            (q.src_port(), q.dst_port(), q.seq()),
            (59776, 9999, 1_970_122_757),
            "{cut}"
        );
        assert_eq!(q.ack(), (cut >= 12).then_some(0));
        assert_eq!(q.data_offset(), (cut >= 13).then_some(10));
        assert_eq!(q.header_len(), (cut >= 13).then_some(40));
        assert_eq!(q.flags(), (cut >= 14).then_some(Flags::SYN));
        assert_eq!(q.reserved(), (cut >= 14).then_some(0));
        assert_eq!(q.window(), (cut >= 16).then_some(64240));
        assert_eq!(q.checksum(), (cut >= 18).then_some(0xaad8));
        assert_eq!(q.urgent(), (cut >= 20).then_some(0));
        // MSS ends at 24, SACK-permitted at 26, timestamps at 36, NOP at
        // 37, window scale at 40: only whole options are offered.
        let whole_options = [24, 26, 36, 37, 40]
            .iter()
            .filter(|&&end| end <= cut)
            .count();
        let quoted: Vec<TcpOption<'_>> = q.options().collect();
        assert_eq!(quoted[..], all[..whole_options], "{cut}");
        assert_eq!(q.is_header_complete(), cut == 40);
        assert_eq!(q.header_bytes(), bytes);
        assert_eq!(q.payload(), b"");
        assert_eq!(q.segment(), (cut == 40).then_some(whole));
    }
}

#[test]
fn quoted_header_with_payload_gives_the_segment() {
    // LINUX_DATA's header and 5 of its 18 payload bytes.
    let q = Segment::parse_quoted(&LINUX_DATA[..37]).unwrap();
    assert!(q.is_header_complete());
    assert_eq!(q.payload(), b"GET /");
    assert_eq!(q.header_bytes(), &LINUX_DATA[..32]);
    let s = q.segment().unwrap();
    assert_eq!(s.payload(), b"GET /");
    assert_eq!(s.flags(), Flags::PSH | Flags::ACK);
    assert_eq!(s.options().count(), 3);
    // What `parse` reads from the same bytes.
    assert_eq!(s, Segment::parse(&LINUX_DATA[..37]).unwrap());
}

#[test]
fn quoted_linux_segments_cut_anywhere() {
    for whole in [
        &LINUX_SYN[..],
        &LINUX_SYN_ACK[..],
        &LINUX_ACK[..],
        &LINUX_DATA[..],
        &LINUX_FIN[..],
        &LINUX_RST[..],
    ] {
        let s = Segment::parse(whole).unwrap();
        for cut in QUOTED_MIN_LEN..=whole.len() {
            let q = Segment::parse_quoted(&whole[..cut]).unwrap();
            assert_eq!(q.src_port(), s.src_port());
            assert_eq!(q.seq(), s.seq());
            assert_eq!(q.ack().unwrap_or(s.ack()), s.ack());
            assert_eq!(q.flags().unwrap_or(s.flags()), s.flags());
            assert_eq!(q.window().unwrap_or(s.window()), s.window());
            assert_eq!(q.checksum().unwrap_or(s.checksum()), s.checksum());
            assert!(s.options().zip(q.options()).all(|(a, b)| a == b));
            assert_eq!(q.is_header_complete(), cut >= s.header_len());
            if let Some(quoted) = q.segment() {
                assert_eq!(quoted, Segment::parse(&whole[..cut]).unwrap());
            }
        }
    }
}

#[test]
fn quoted_malformations_are_errors() {
    // A data offset below 5 words.
    let mut bad = QUOTED_SYN;
    bad[12] = 0x40;
    assert_eq!(
        Segment::parse_quoted(&bad[..13]).unwrap_err(),
        ParseError::BadDataOffset { data_offset: 4 }
    );
    // A wrong length for its kind, though the option itself is cut: MSS
    // of length 5.
    let mut bad = QUOTED_SYN;
    bad[21] = 5;
    assert_eq!(
        Segment::parse_quoted(&bad[..22]).unwrap_err(),
        ParseError::BadOptionLength {
            offset: 0,
            kind: 2,
            len: 5
        }
    );
    // An option that would run past the header the data offset describes:
    // timestamps at option offset 6 with 28 bytes of header (8 of options).
    let mut bad = QUOTED_SYN;
    bad[12] = 0x70;
    let err = Segment::parse_quoted(&bad[..30]).unwrap_err();
    assert_eq!(
        err,
        ParseError::TruncatedOption {
            offset: 6,
            kind: 8,
            needed: 10,
            available: 2
        }
    );
    // The same header quoted whole is refused by `parse` alike.
    assert!(matches!(
        Segment::parse(&bad[..28]).unwrap_err(),
        ParseError::TruncatedOption { offset: 6, .. }
    ));
    // A quote is bounded like a segment.
    let huge = vec![0u8; 65536];
    assert_eq!(
        Segment::parse_quoted(&huge[..]).unwrap_err(),
        ParseError::TooLong { len: 65536 }
    );
}

#[test]
fn quoted_options_after_eol_are_padding() {
    // EOL and then bytes that would be a timestamps option cut by the
    // quote: padding, not an option.
    let mut bytes = with_options(&[1, 0, 8, 10, 0, 0]);
    bytes.truncate(24);
    let q = Segment::parse_quoted(&bytes[..]).unwrap();
    assert_eq!(q.header_len(), Some(28));
    assert!(!q.is_header_complete());
    let options: Vec<TcpOption<'_>> = q.options().collect();
    assert_eq!(options, [TcpOption::Nop, TcpOption::EndOfList]);
}

/// Bytes that look like option lists often enough to reach every branch.
fn option_bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 8, 10, 18, 26, 34]),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(byte, 0..=40)
}

fn addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from_bits)
}

fn options_strategy() -> impl Strategy<Value = Options> {
    (
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u8>()),
        any::<bool>(),
        proptest::collection::vec(any::<(u32, u32)>(), 0..=4),
        proptest::option::of(any::<(u32, u32)>()),
        proptest::collection::vec(
            (9u8..=255, proptest::collection::vec(any::<u8>(), 0..6)),
            0..3,
        ),
    )
        .prop_map(|(mss, window_scale, sack_permitted, sack, ts, unknown)| {
            let mut options = Options {
                mss,
                window_scale,
                sack_permitted,
                sack: SackBlocks::from_slice(&sack).unwrap(),
                timestamps: ts.map(|(tsval, tsecr)| Timestamps { tsval, tsecr }),
                unknown: UnknownOptions::new(),
            };
            for (kind, data) in unknown {
                options.unknown.push(kind, &data).unwrap();
            }
            options
        })
}

fn repr_strategy() -> impl Strategy<Value = Repr> {
    (
        any::<(u16, u16, u32, u32)>(),
        0u16..0x200,
        any::<(u16, u16)>(),
        options_strategy(),
        0usize..1500,
    )
        .prop_map(
            |((src_port, dst_port, seq, ack), flags, (window, urgent), options, payload_len)| {
                Repr {
                    src_port,
                    dst_port,
                    seq,
                    ack,
                    flags: Flags::from_bits_truncate(flags),
                    window,
                    urgent,
                    options,
                    payload_len,
                }
            },
        )
}

proptest! {
    #[test]
    fn validation_loop_agrees_with_nom(bytes in option_bytes()) {
        prop_assert_eq!(validate(&bytes), nom_validate(&bytes));
    }

    #[test]
    fn parsed_options_reemit_equal(bytes in option_bytes()) {
        if let Ok(options) = Options::parse(&bytes) {
            let mut buf = [0u8; 40];
            let n = options.emit(&mut buf).unwrap();
            prop_assert_eq!(n, options.wire_len());
            prop_assert_eq!(Options::parse(&buf[..n]).unwrap(), options);
            // Each option re-emitted alone reads back the same.
            for opt in OptionsIter::new(&bytes).unwrap() {
                let mut one = [0u8; 40];
                let len = opt.emit(&mut one).unwrap();
                prop_assert_eq!(OptionsIter::new(&one[..len]).unwrap().next(), Some(opt));
            }
        }
    }

    #[test]
    fn timestamps_fast_path_matches_grammar(tsval in any::<u32>(), tsecr in any::<u32>()) {
        // Exactly NOP, NOP, TS takes the shortcut; with trailing NOPs the
        // same options go through the grammar.
        let mut short = vec![1, 1, 8, 10];
        short.extend_from_slice(&tsval.to_be_bytes());
        short.extend_from_slice(&tsecr.to_be_bytes());
        let mut long = short.clone();
        long.extend_from_slice(&[1, 1, 1, 1]);
        let fast = Options::parse(&short).unwrap();
        prop_assert_eq!(fast, Options::parse(&long).unwrap());
        prop_assert_eq!(fast.timestamps, Some(Timestamps { tsval, tsecr }));
    }

    #[test]
    fn repr_round_trip(repr in repr_strategy(), src in addr(), dst in addr(), fill in any::<u8>()) {
        let header_len = repr.header_len();
        if header_len > MAX_HEADER_LEN {
            let mut buf = vec![0u8; 2000];
            let err = repr.emit(&mut buf, src, dst).unwrap_err();
            prop_assert!(matches!(err, EmitError::OptionsTooLong { .. }), "{:?}", err);
            return Ok(());
        }
        let mut storage = vec![0u8; 60 + repr.payload_len];
        let mut pkt = PacketBuf::new(&mut storage[..], 60).unwrap();
        pkt.append(repr.payload_len).unwrap().fill(fill);
        repr.prepend(&mut pkt, src, dst).unwrap();
        let s = Segment::parse_verified(pkt.as_slice(), src, dst).unwrap();
        prop_assert_eq!(s.header_len(), header_len);
        prop_assert_eq!(Repr::parse(&s).unwrap(), repr);
        prop_assert!(s.payload().iter().all(|b| *b == fill));
        prop_assert_eq!(s.segment_len(), repr.segment_len());
        prop_assert_eq!(reference_checksum(src, dst, s.as_bytes()), 0);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100), src in addr(), dst in addr()) {
        if let Ok(s) = Segment::parse(&bytes[..]) {
            prop_assert!(s.header_len() >= 20 && s.header_len() <= bytes.len());
            prop_assert_eq!(s.header_bytes().len() + s.payload().len(), bytes.len());
            let _ = s.options().count();
            let ok = s.verify_checksum(src, dst);
            prop_assert_eq!(Segment::parse_verified(&bytes[..], src, dst).is_ok(), ok);
            let rebuilt = rebuild(&s, src, dst);
            let again = Segment::parse_verified(&rebuilt[..], src, dst).unwrap();
            prop_assert_eq!(Repr::parse(&again).unwrap(), Repr::parse(&s).unwrap());
            prop_assert_eq!(again.payload(), s.payload());
        }
    }

    #[test]
    fn quoted_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let strict = Segment::parse(&bytes[..]);
        match Segment::parse_quoted(&bytes[..]) {
            Ok(q) => {
                prop_assert!(bytes.len() >= QUOTED_MIN_LEN);
                let _ = (q.ack(), q.flags(), q.reserved(), q.window(), q.checksum(), q.urgent());
                let _ = q.options().count();
                prop_assert_eq!(q.header_bytes().len() + q.payload().len() <= bytes.len(), true);
                // Wherever the strict parse succeeds, the quoted one agrees.
                match (&strict, q.segment()) {
                    (Ok(s), Some(from_quote)) => prop_assert_eq!(*s, from_quote),
                    (Ok(_), None) => prop_assert!(false, "parse accepted, quote incomplete"),
                    (Err(_), Some(_)) => prop_assert!(false, "parse refused a complete quote"),
                    (Err(_), None) => {}
                }
            }
            // What a quote may not be, a segment may not be either.
            Err(_) => prop_assert!(strict.is_err()),
        }
    }

    #[test]
    fn quoted_prefixes_of_segments_parse(
        options in option_bytes(),
        payload in proptest::collection::vec(any::<u8>(), 0..20),
        word in any::<u16>(),
    ) {
        let mut bytes = with_options(&options);
        bytes[12..14].copy_from_slice(&word.to_be_bytes());
        bytes.extend_from_slice(&payload);
        if let Ok(s) = Segment::parse(&bytes[..]) {
            let all: Vec<TcpOption<'_>> = s.options().collect();
            for cut in QUOTED_MIN_LEN..=bytes.len() {
                let q = Segment::parse_quoted(&bytes[..cut]).unwrap();
                let quoted: Vec<TcpOption<'_>> = q.options().collect();
                prop_assert!(quoted.len() <= all.len());
                prop_assert_eq!(&quoted[..], &all[..quoted.len()]);
                prop_assert_eq!(q.flags().unwrap_or(s.flags()), s.flags());
            }
        }
    }

    #[test]
    fn structured_segments_never_panic(
        options in option_bytes(),
        payload in proptest::collection::vec(any::<u8>(), 0..20),
        word in any::<u16>(),
    ) {
        let mut bytes = with_options(&options);
        bytes[12..14].copy_from_slice(&word.to_be_bytes());
        bytes.extend_from_slice(&payload);
        if let Ok(s) = Segment::parse(&bytes[..]) {
            let rebuilt = rebuild(&s, CLIENT, SERVER);
            let again = Segment::parse(&rebuilt[..]).unwrap();
            prop_assert_eq!(Repr::parse(&again).unwrap(), Repr::parse(&s).unwrap());
        }
    }
}
