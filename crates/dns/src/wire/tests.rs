//! Unit tests of the codec internals; end-to-end tests live in
//! `crates/dns/tests/`.

use super::name::{scan, skip};
use super::rdata::is_typed;
use super::{Class, NameError, RecordType};

#[test]
fn scan_reports_the_in_place_end_and_the_full_length() {
    // "example.com" at 0, "www" + pointer at 13.
    let msg = b"\x07example\x03com\x00\x03www\xc0\x00";
    assert_eq!(scan(msg, 0), Ok((13, 13)));
    assert_eq!(scan(msg, 13), Ok((19, 17)));
    assert_eq!(skip(msg, 0), 13);
    assert_eq!(skip(msg, 13), 19);
    // A pointer straight away.
    assert_eq!(scan(msg, 17), Ok((19, 13)));
    // The root alone.
    assert_eq!(scan(msg, 12), Ok((13, 1)));
}

#[test]
fn scan_refuses_each_kind_of_bad_name() {
    assert_eq!(scan(b"", 0), Err(NameError::Truncated { offset: 0 }));
    assert_eq!(scan(b"\x03ab", 0), Err(NameError::Truncated { offset: 3 }));
    assert_eq!(scan(b"\x03abc", 0), Err(NameError::Truncated { offset: 4 }));
    assert_eq!(
        scan(b"\x41", 0),
        Err(NameError::LabelTooLong {
            offset: 0,
            len: 0x41
        })
    );
    assert_eq!(
        scan(b"\xc0\x05\x00\x00\x00\x00", 0),
        Err(NameError::ForwardPointer {
            offset: 0,
            target: 5
        })
    );
    assert_eq!(
        scan(b"\x00\xc0\x01", 1),
        Err(NameError::PointerLoop {
            offset: 1,
            target: 1
        })
    );
    // Landing inside the run just read is a loop even though it is behind.
    assert_eq!(
        scan(b"\x01a\x01b\xc0\x02", 0),
        Err(NameError::PointerLoop {
            offset: 4,
            target: 2
        })
    );
}

#[test]
fn typed_rdata_depends_on_class_and_emptiness() {
    assert!(is_typed(RecordType::A, Class::IN, 4));
    assert!(!is_typed(RecordType::A, Class::CH, 4));
    assert!(is_typed(RecordType::A, Class::NONE, 4));
    assert!(!is_typed(RecordType::A, Class::ANY, 0));
    assert!(is_typed(RecordType::MX, Class(77), 3));
    assert!(!is_typed(RecordType::MX, Class::NONE, 0));
    assert!(is_typed(RecordType::OPT, Class::ANY, 0));
    assert!(is_typed(RecordType::TXT, Class::IN, 0));
    assert!(!is_typed(RecordType::HINFO, Class::IN, 10));
}
