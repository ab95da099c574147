#![no_main]
//! UDP: parsing arbitrary bytes never panics; a parsed datagram's Repr
//! emits a datagram that verifies, parses to the same Repr and carries the
//! same payload; an arbitrary Repr emits and parses back to itself.

use core::net::Ipv4Addr;

use arbitrary::{Arbitrary, Unstructured};
use strata_core::buffer::PacketBuf;
use strata_udp::{Datagram, Repr};

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

    if let Ok(datagram) = Datagram::parse(bytes) {
        assert!(usize::from(datagram.length()) <= bytes.len());
        let verified = datagram.verify_checksum(src, dst);
        assert_eq!(Datagram::parse_verified(bytes, src, dst).is_ok(), verified);

        let repr = Repr::parse(&datagram).expect("a parsed datagram has a Repr");
        let mut buf = vec![0u8; repr.total_len()];
        buf[repr.header_len()..].copy_from_slice(datagram.payload());
        repr.emit(&mut buf, src, dst).expect("room for the datagram");
        let again = Datagram::parse_verified(&buf[..], src, dst).expect("emitted datagram verifies");
        assert_eq!(Repr::parse(&again).unwrap(), repr);
        assert_eq!(again.payload(), datagram.payload());
        // A non-zero checksum that verifies is the only one that does.
        if verified && datagram.checksum() != 0 {
            assert_eq!(&buf[..], datagram.as_bytes());
        }
    }

    // Build from an arbitrary Repr (payload capped to keep runs fast).
    let mut u = Unstructured::new(bytes);
    if let Ok(mut repr) = Repr::arbitrary(&mut u) {
        repr.payload_len %= 2048;
        let payload = u.bytes(repr.payload_len.min(u.len())).unwrap_or_default();
        repr.payload_len = payload.len();
        let mut storage = vec![0u8; 8 + payload.len()];
        let mut pkt = PacketBuf::new(&mut storage[..], 8).unwrap();
        pkt.append(payload.len()).unwrap().copy_from_slice(payload);
        repr.prepend(&mut pkt, src, dst).expect("exact headroom");
        let datagram = Datagram::parse_verified(pkt.as_slice(), src, dst).expect("emitted datagram verifies");
        assert_eq!(Repr::parse(&datagram).unwrap(), repr);
        assert_eq!(datagram.payload(), payload);
    }
});
