#![no_main]
//! TCP: parsing arbitrary bytes never panics; a parsed segment's Repr emits
//! a segment that verifies, parses to the same Repr and carries the same
//! payload; an arbitrary Repr either emits and parses back to itself or is
//! refused with an error.

use core::net::Ipv4Addr;

use arbitrary::{Arbitrary, Unstructured};
use strata_core::buffer::PacketBuf;
use strata_tcp::{EmitError, MAX_HEADER_LEN, Repr, Segment};

/// The first eight bytes are the pseudo-header's addresses.
fn addresses(data: &[u8]) -> (Ipv4Addr, Ipv4Addr, &[u8]) {
    let (head, rest) = data.split_at(data.len().min(8));
    let mut a = [0u8; 8];
    a[..head.len()].copy_from_slice(head);
    let src = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
    let dst = Ipv4Addr::new(a[4], a[5], a[6], a[7]);
    (src, dst, rest)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (src, dst, bytes) = addresses(data);

    if let Ok(segment) = Segment::parse(bytes) {
        assert!(segment.header_len() >= 20 && segment.header_len() <= bytes.len());
        assert_eq!(segment.header_bytes().len() + segment.payload().len(), bytes.len());
        let listed: usize = segment.options().map(|o| o.wire_len()).sum();
        assert!(listed <= segment.options_bytes().len());
        let verified = segment.verify_checksum(src, dst);
        assert_eq!(Segment::parse_verified(bytes, src, dst).is_ok(), verified);

        let repr = Repr::parse(&segment).expect("a parsed segment has a Repr");
        let header_len = repr.header_len();
        assert!(header_len <= MAX_HEADER_LEN, "options from the wire always fit");
        let mut buf = vec![0u8; header_len + repr.payload_len];
        buf[header_len..].copy_from_slice(segment.payload());
        repr.emit(&mut buf, src, dst).expect("room for the segment");
        let again = Segment::parse_verified(&buf[..], src, dst).expect("emitted segment verifies");
        assert_eq!(Repr::parse(&again).unwrap(), repr);
        assert_eq!(again.payload(), segment.payload());
        assert_eq!(again.segment_len(), segment.segment_len());
    }

    // Build from an arbitrary Repr (payload capped to keep runs fast).
    let mut u = Unstructured::new(bytes);
    if let Ok(mut repr) = Repr::arbitrary(&mut u) {
        repr.payload_len %= 2048;
        let payload = u.bytes(repr.payload_len.min(u.len())).unwrap_or_default();
        repr.payload_len = payload.len();
        let header_len = repr.header_len();
        let mut storage = vec![0u8; header_len + payload.len()];
        let mut pkt = PacketBuf::new(&mut storage[..], header_len).unwrap();
        pkt.append(payload.len()).unwrap().copy_from_slice(payload);
        match repr.prepend(&mut pkt, src, dst) {
            Ok(()) => {
                let segment = Segment::parse_verified(pkt.as_slice(), src, dst).expect("emitted segment verifies");
                assert_eq!(Repr::parse(&segment).unwrap(), repr);
                assert_eq!(segment.payload(), payload);
            }
            Err(EmitError::OptionsTooLong { .. }) => assert!(header_len > MAX_HEADER_LEN),
            Err(e) => panic!("unexpected emit error {e:?} for {repr:?}"),
        }
    }
});
