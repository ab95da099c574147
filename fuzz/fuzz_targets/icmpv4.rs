#![no_main]
//! ICMPv4: parsing arbitrary bytes never panics; a message rebuilt from its
//! `Repr` and data parses back to the same `Repr` and verifies; an arbitrary
//! `Repr` survives emit and parse.

use arbitrary::{Arbitrary, Unstructured};
use strata_ipv4::icmpv4::{Message, Repr};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::parse(data) {
        let _ = (message.icmp_type(), message.code(), message.identifier());
        let _ = (message.sequence(), message.next_hop_mtu(), message.pointer());
        let _ = (message.gateway(), message.header_bytes(), message.data());
        if let Ok(quoted) = message.quoted_packet() {
            let _ = (quoted.src(), quoted.dst(), quoted.protocol(), quoted.payload());
            let _ = quoted.options().iter().count();
        }
        let repr = Repr::parse(&message).expect("every header decodes");
        assert_eq!(
            (repr.icmp_type(), repr.code(), repr.rest_of_header()),
            (message.icmp_type(), message.code(), message.rest_of_header()),
            "decoding loses nothing"
        );
        let mut buf = data.to_vec();
        repr.emit(&mut buf).expect("a parsed Repr emits");
        let again = Message::parse_verified(&buf[..]).expect("emitted bytes parse and verify");
        assert_eq!(Repr::parse(&again).expect("Repr"), repr);
        assert_eq!(again.data(), message.data());
        if message.verify_checksum() {
            // 0x0000 and 0xffff are the same checksum in ones' complement.
            let differs = buf[..] != *data;
            assert!(!differs || (buf[2..4] != data[2..4] && buf[4..] == data[4..]));
        }
    }
    let _ = Message::parse_verified(data);

    let mut u = Unstructured::new(data);
    if let (Ok(repr), Ok(len)) = (Repr::arbitrary(&mut u), u.int_in_range(0usize..=64)) {
        let mut buf = vec![0u8; 8 + len];
        repr.emit(&mut buf).expect("an arbitrary Repr emits");
        let message = Message::parse_verified(&buf[..]).expect("emitted bytes verify");
        assert_eq!(Repr::parse(&message).expect("Repr"), repr);
    }
});
