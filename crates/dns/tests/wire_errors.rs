//! Every way a message can be refused, with the section, index and offset
//! the error reports.

// Test helpers outside #[test] functions may unwrap and index too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use strata_core::error::{Layer, LayerError};
use strata_dns::wire::{
    Message, Name, NameBuf, NameError, ParseError, RDataError, RecordType, Section,
};

/// A header with these counts.
fn header(qd: u16, an: u16, ns: u16, ar: u16) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x81, 0x80];
    for c in [qd, an, ns, ar] {
        m.extend_from_slice(&c.to_be_bytes());
    }
    m
}

/// `www.example.com` A IN as the question (17 + 4 bytes at offset 12).
fn with_question(an: u16) -> Vec<u8> {
    let mut m = header(1, an, 0, 0);
    m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    m
}

/// Appends a record owned by the question's name (pointer 0xc00c).
fn push_record(m: &mut Vec<u8>, rtype: u16, class: u16, rdata: &[u8]) {
    m.extend_from_slice(&[0xc0, 0x0c]);
    m.extend_from_slice(&rtype.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&300u32.to_be_bytes());
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
}

fn err(bytes: &[u8]) -> ParseError {
    Message::parse(bytes).expect_err("should not parse")
}

#[test]
fn short_header() {
    let e = err(&[0; 11]);
    assert_eq!(
        e,
        ParseError::Truncated {
            needed: 12,
            available: 11
        }
    );
    assert_eq!(e.section(), None);
    assert!(e.to_string().contains("header"));
    assert_eq!(e.layer(), Layer::Dns);
    let e = err(&[]);
    assert_eq!(
        e,
        ParseError::Truncated {
            needed: 12,
            available: 0
        }
    );
}

#[test]
fn counts_larger_than_the_message() {
    // One question promised, none there.
    assert_eq!(
        err(&header(1, 0, 0, 0)),
        ParseError::RecordTruncated {
            section: Section::Question,
            index: 0,
            offset: 12,
            needed: 13,
            available: 12
        }
    );
    // Question name there but QTYPE/QCLASS cut.
    let mut m = with_question(0);
    m.truncate(m.len() - 1);
    assert_eq!(
        err(&m),
        ParseError::RecordTruncated {
            section: Section::Question,
            index: 0,
            offset: 12,
            needed: 33,
            available: 32
        }
    );
    // Two answers promised, one there.
    let mut m = with_question(2);
    push_record(&mut m, 1, 1, &[198, 18, 0, 1]);
    let e = err(&m);
    assert_eq!(
        e,
        ParseError::RecordTruncated {
            section: Section::Answer,
            index: 1,
            offset: m.len(),
            needed: m.len() + 1,
            available: m.len()
        }
    );
    assert_eq!(e.section(), Some(Section::Answer));
    assert_eq!(e.index(), Some(1));
    assert!(e.to_string().contains("answer entry 1"), "{e}");
    // Additional and authority counts too.
    for (ns, ar, section) in [(1, 0, Section::Authority), (0, 1, Section::Additional)] {
        let mut m = with_question(0);
        m[8..10].copy_from_slice(&u16::to_be_bytes(ns));
        m[10..12].copy_from_slice(&u16::to_be_bytes(ar));
        assert_eq!(err(&m).section(), Some(section));
    }
}

#[test]
fn record_fixed_fields_cut() {
    let mut m = with_question(1);
    push_record(&mut m, 1, 1, &[198, 18, 0, 1]);
    let full = m.len();
    // Cut inside TYPE..RDLENGTH.
    m.truncate(33 + 2 + 5);
    assert_eq!(
        err(&m),
        ParseError::RecordTruncated {
            section: Section::Answer,
            index: 0,
            offset: 33,
            needed: 33 + 2 + 10,
            available: 40
        }
    );
    // RDLENGTH past the end ("truncated rdata").
    let mut m = with_question(1);
    push_record(&mut m, 1, 1, &[198, 18, 0, 1]);
    m.truncate(full - 1);
    assert_eq!(
        err(&m),
        ParseError::RecordTruncated {
            section: Section::Answer,
            index: 0,
            offset: 33,
            needed: full,
            available: full - 1
        }
    );
}

#[test]
fn pointer_loops() {
    // A pointer to itself.
    let mut m = header(1, 0, 0, 0);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    assert_eq!(
        err(&m),
        ParseError::BadName {
            section: Section::Question,
            index: 0,
            error: NameError::PointerLoop {
                offset: 12,
                target: 12
            }
        }
    );
    // A label, then a pointer back to the label: a.a.a.a...
    let mut m = header(1, 0, 0, 0);
    m.extend_from_slice(&[1, b'a', 0xc0, 0x0c, 0, 1, 0, 1]);
    assert_eq!(
        err(&m),
        ParseError::BadName {
            section: Section::Question,
            index: 0,
            error: NameError::PointerLoop {
                offset: 14,
                target: 12
            }
        }
    );
    // Two names pointing at each other: the second jumps back into the
    // first, whose own pointer then aims past the jump target.
    let mut msg = vec![0u8; 12];
    msg.extend_from_slice(&[1, b'a', 0xc0, 0x10, 1, b'b', 0xc0, 0x0c]);
    assert_eq!(
        Name::parse(&msg, 16).unwrap_err(),
        NameError::ForwardPointer {
            offset: 14,
            target: 16
        }
    );
    // Pointing into the middle of the same name, after a jump.
    let mut msg = vec![0u8; 12];
    msg.extend_from_slice(&[1, b'a', 1, b'b', 0xc0, 0x0e, 1, b'c', 0xc0, 0x0c]);
    assert_eq!(
        Name::parse(&msg, 18).unwrap_err(),
        NameError::PointerLoop {
            offset: 16,
            target: 14
        }
    );
}

#[test]
fn forward_pointer() {
    let mut m = header(1, 0, 0, 0);
    m.extend_from_slice(&[0xc0, 0x20, 0, 1, 0, 1]);
    m.resize(0x30, 0);
    let e = err(&m);
    assert_eq!(
        e,
        ParseError::BadName {
            section: Section::Question,
            index: 0,
            error: NameError::ForwardPointer {
                offset: 12,
                target: 0x20
            }
        }
    );
    assert_eq!(e.offset(), 12);
    assert!(e.to_string().contains("forward"), "{e}");
}

#[test]
fn pointer_cut_in_half() {
    let mut m = header(1, 0, 0, 0);
    m.push(0xc0);
    assert!(matches!(
        err(&m),
        ParseError::RecordTruncated {
            section: Section::Question,
            ..
        }
    ));
    assert_eq!(
        Name::parse(&m, 12).unwrap_err(),
        NameError::Truncated { offset: 13 }
    );
}

#[test]
fn label_over_63() {
    for byte in [0x40u8, 0x7f, 0x80, 0xbf] {
        let mut m = header(1, 0, 0, 0);
        m.push(byte);
        m.extend_from_slice(&[b'x'; 0xc0]);
        assert_eq!(
            err(&m),
            ParseError::BadName {
                section: Section::Question,
                index: 0,
                error: NameError::LabelTooLong {
                    offset: 12,
                    len: usize::from(byte)
                }
            }
        );
    }
    // Text labels too.
    let long = "x".repeat(64);
    assert_eq!(
        long.parse::<NameBuf>().unwrap_err(),
        NameError::LabelTooLong { offset: 0, len: 64 }
    );
    assert!("x".repeat(63).parse::<NameBuf>().is_ok());
    assert_eq!(
        NameBuf::from_labels([&[b'y'; 64][..]]).unwrap_err(),
        NameError::LabelTooLong { offset: 0, len: 64 }
    );
}

/// A name of `labels` labels of 63 `x` and one of `last` octets.
fn long_name(labels: usize, last: usize) -> Vec<u8> {
    let mut n = Vec::new();
    for _ in 0..labels {
        n.push(63);
        n.extend_from_slice(&[b'x'; 63]);
    }
    if last > 0 {
        n.push(last as u8);
        n.extend(std::iter::repeat_n(b'y', last));
    }
    n.push(0);
    n
}

#[test]
fn name_over_255() {
    // 3 * 64 + 62 + 1 = 255: the longest name.
    let ok = long_name(3, 61);
    assert_eq!(ok.len(), 255);
    let (name, end) = Name::parse(&ok, 0).unwrap();
    assert_eq!((name.wire_len(), end), (255, 255));
    assert_eq!(NameBuf::from_wire(&ok).unwrap().wire_len(), 255);
    // One more octet.
    let bad = long_name(3, 62);
    assert_eq!(bad.len(), 256);
    assert_eq!(
        Name::parse(&bad, 0).unwrap_err(),
        NameError::NameTooLong { offset: 255 }
    );
    let mut m = header(1, 0, 0, 0);
    m.extend_from_slice(&bad);
    m.extend_from_slice(&[0, 1, 0, 1]);
    assert!(matches!(
        err(&m),
        ParseError::BadName {
            error: NameError::NameTooLong { .. },
            ..
        }
    ));
    // Too long only once a pointer is followed: 191 octets at 0, then a
    // 63-octet label pointing there (64 + 191 = 255: fine) ...
    let mut msg = long_name(2, 61);
    assert_eq!(msg.len(), 191);
    msg.push(63);
    msg.extend_from_slice(&[b'z'; 63]);
    msg.extend_from_slice(&[0xc0, 0x00]);
    let (name, end) = Name::parse(&msg, 191).unwrap();
    assert_eq!((name.wire_len(), end), (255, msg.len()));
    // ... and with one more label in front, over.
    msg.extend_from_slice(&[1, b'a', 0xc0, 191]);
    let at = msg.len() - 4;
    assert!(matches!(
        Name::parse(&msg, at).unwrap_err(),
        NameError::NameTooLong { .. }
    ));
    // Text.
    let text = [
        "x".repeat(63),
        "x".repeat(63),
        "x".repeat(63),
        "y".repeat(62),
    ]
    .join(".");
    assert!(matches!(
        text.parse::<NameBuf>().unwrap_err(),
        NameError::NameTooLong { .. }
    ));
    let text = [
        "x".repeat(63),
        "x".repeat(63),
        "x".repeat(63),
        "y".repeat(61),
    ]
    .join(".");
    assert_eq!(text.parse::<NameBuf>().unwrap().wire_len(), 255);
}

#[test]
fn name_running_off_the_end() {
    let mut m = header(1, 0, 0, 0);
    m.extend_from_slice(b"\x03www\x07exa");
    assert!(matches!(
        err(&m),
        ParseError::RecordTruncated {
            section: Section::Question,
            index: 0,
            offset: 12,
            ..
        }
    ));
}

fn rdata_err(rtype: u16, class: u16, rdata: &[u8]) -> ParseError {
    let mut m = with_question(1);
    push_record(&mut m, rtype, class, rdata);
    err(&m)
}

#[test]
fn rdata_of_the_wrong_size() {
    assert_eq!(
        rdata_err(1, 1, &[198, 18, 0]),
        ParseError::BadRData {
            section: Section::Answer,
            index: 0,
            rtype: RecordType::A,
            offset: 45,
            error: RDataError::BadLength {
                expected: 4,
                found: 3
            }
        }
    );
    assert!(matches!(
        rdata_err(28, 1, &[0; 15]),
        ParseError::BadRData {
            error: RDataError::BadLength {
                expected: 16,
                found: 15
            },
            ..
        }
    ));
    // A in another class is not an IPv4 address: kept raw.
    let mut m = with_question(1);
    push_record(&mut m, 1, 3, &[1, 2, 3]);
    assert!(Message::parse(&m[..]).is_ok());
}

#[test]
fn rdata_fields_cut_or_left_over() {
    // MX with only one byte.
    assert_eq!(
        rdata_err(15, 1, &[0]),
        ParseError::BadRData {
            section: Section::Answer,
            index: 0,
            rtype: RecordType::MX,
            offset: 45,
            error: RDataError::Truncated { offset: 45 }
        }
    );
    // SRV without a target.
    assert!(matches!(
        rdata_err(33, 1, &[0, 1, 0, 2, 0, 80]),
        ParseError::BadRData {
            error: RDataError::Truncated { .. },
            ..
        } | ParseError::BadName { .. }
    ));
    // CNAME with a byte after its name.
    assert_eq!(
        rdata_err(5, 1, b"\x01a\x00!"),
        ParseError::BadRData {
            section: Section::Answer,
            index: 0,
            rtype: RecordType::CNAME,
            offset: 45,
            error: RDataError::TrailingBytes { offset: 48 }
        }
    );
    // CNAME whose name runs past RDLENGTH into the next record.
    let mut m = with_question(2);
    push_record(&mut m, 5, 1, b"\x01a");
    push_record(&mut m, 1, 1, &[0, 0, 0, 0]);
    m[47] = 0; // the byte after the RDATA is the next owner's first byte
    assert!(matches!(
        Message::parse(&m[..]),
        Err(ParseError::BadRData {
            error: RDataError::Truncated { offset: 45 },
            ..
        })
    ));
    // SOA missing its last counter.
    assert!(matches!(
        rdata_err(6, 1, &[&b"\x00\x00"[..], &[0; 19]].concat()),
        ParseError::BadRData {
            rtype: RecordType::SOA,
            error: RDataError::Truncated { .. },
            ..
        }
    ));
    // SOA with one byte too many.
    assert!(matches!(
        rdata_err(6, 1, &[&b"\x00\x00"[..], &[0; 21]].concat()),
        ParseError::BadRData {
            rtype: RecordType::SOA,
            error: RDataError::TrailingBytes { .. },
            ..
        }
    ));
    // TXT string longer than what is left.
    assert_eq!(
        rdata_err(16, 1, b"\x03abc\x05ab"),
        ParseError::BadRData {
            section: Section::Answer,
            index: 0,
            rtype: RecordType::TXT,
            offset: 45,
            error: RDataError::Truncated { offset: 49 }
        }
    );
    // CAA tag longer than the RDATA.
    assert!(matches!(
        rdata_err(257, 1, b"\x00\x09issue"),
        ParseError::BadRData {
            rtype: RecordType::CAA,
            error: RDataError::Truncated { .. },
            ..
        }
    ));
    assert!(matches!(
        rdata_err(257, 1, b"\x00"),
        ParseError::BadRData {
            rtype: RecordType::CAA,
            ..
        }
    ));
}

#[test]
fn opt_option_overrun() {
    let mut m = header(0, 0, 0, 1);
    m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 8, 1, 2]);
    let e = err(&m);
    assert_eq!(
        e,
        ParseError::BadRData {
            section: Section::Additional,
            index: 0,
            rtype: RecordType::OPT,
            offset: 23,
            error: RDataError::Truncated { offset: 23 }
        }
    );
    assert!(e.to_string().contains("additional record 0 (OPT)"), "{e}");
}

#[test]
fn bad_name_inside_rdata() {
    // NS whose target is a forward pointer.
    let mut m = with_question(1);
    push_record(&mut m, 2, 1, &[0xc0, 0x7f]);
    assert_eq!(
        err(&m),
        ParseError::BadName {
            section: Section::Answer,
            index: 0,
            error: NameError::ForwardPointer {
                offset: 45,
                target: 0x7f
            }
        }
    );
    // MX exchange with a bad label type, in the authority section.
    let mut m = header(1, 0, 1, 0);
    m.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    push_record(&mut m, 15, 1, &[0, 10, 0x80, 0]);
    assert_eq!(
        err(&m),
        ParseError::BadName {
            section: Section::Authority,
            index: 0,
            error: NameError::LabelTooLong {
                offset: 47,
                len: 0x80
            }
        }
    );
}

#[test]
fn text_name_errors() {
    assert_eq!(
        "a..b".parse::<NameBuf>().unwrap_err(),
        NameError::EmptyLabel { offset: 2 }
    );
    assert_eq!(
        ".a".parse::<NameBuf>().unwrap_err(),
        NameError::EmptyLabel { offset: 0 }
    );
    assert_eq!(
        "a\\".parse::<NameBuf>().unwrap_err(),
        NameError::BadEscape { offset: 1 }
    );
    assert_eq!(
        "a\\25".parse::<NameBuf>().unwrap_err(),
        NameError::BadEscape { offset: 1 }
    );
    assert_eq!(
        "a\\256".parse::<NameBuf>().unwrap_err(),
        NameError::BadEscape { offset: 1 }
    );
    assert_eq!(
        "a\\2x5".parse::<NameBuf>().unwrap_err(),
        NameError::BadEscape { offset: 1 }
    );
    assert_eq!(
        NameBuf::from_labels([&b"a"[..], b""]).unwrap_err(),
        NameError::EmptyLabel { offset: 1 }
    );
    // Wire form that is not standalone.
    assert!(NameBuf::from_wire(b"\x01a\xc0\x00").is_err());
    assert!(NameBuf::from_wire(b"\x01a\x00extra").is_err());
    assert!(NameBuf::from_wire(b"\x01a").is_err());
}

#[test]
fn errors_are_small_copy_values_naming_the_layer() {
    fn is_layer_error<E: LayerError + std::error::Error + Copy>(_: E) {}
    let e = err(&[0; 3]);
    is_layer_error(e);
    is_layer_error(NameError::EmptyLabel { offset: 0 });
    is_layer_error(strata_dns::wire::EmitError::TooManyEntries {
        section: Section::Answer,
    });
    assert!(std::mem::size_of::<ParseError>() <= 48);
    assert_eq!(NameError::BadEscape { offset: 3 }.layer(), Layer::Dns);
}
