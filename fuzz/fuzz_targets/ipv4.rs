#![no_main]
//! IPv4: parsing arbitrary bytes never panics; a parsed header rebuilt from
//! its `Repr` parses back to the same `Repr` with its options preserved; an
//! arbitrary `Repr` survives emit and parse.

use arbitrary::{Arbitrary, Unstructured};
use strata_ipv4::options::Ipv4Option;
use strata_ipv4::{Packet, Repr};

fn check_parsed(packet: &Packet<&[u8]>) {
    // Every accessor, so a panic anywhere shows up.
    let _ = (packet.version(), packet.ihl(), packet.dscp(), packet.ecn());
    let _ = (packet.identification(), packet.reserved_flag(), packet.dont_fragment());
    let _ = (packet.more_fragments(), packet.fragment_offset_bytes(), packet.is_fragment());
    let _ = (packet.ttl(), packet.protocol(), packet.src(), packet.dst());
    let _ = (packet.header_bytes(), packet.packet_bytes(), packet.verify_checksum());
    let mut wire = 0;
    for option in packet.options() {
        wire += option.wire_len();
        match option {
            Ipv4Option::RecordRoute(r)
            | Ipv4Option::LooseSourceRoute(r)
            | Ipv4Option::StrictSourceRoute(r) => {
                let _ = (r.addresses().count(), r.recorded().count(), r.is_full());
            }
            Ipv4Option::Timestamp(t) => {
                let _ = t.entries().count();
            }
            _ => {}
        }
    }
    assert!(wire <= packet.options_bytes().len());

    let repr = Repr::parse(packet).expect("a parsed packet has a Repr");
    assert_eq!(repr.options.as_bytes(), packet.options_bytes(), "options preserved");
    assert_eq!(repr.header_len(), packet.header_len());
    if packet.is_truncated() {
        return;
    }
    let mut buf = vec![0u8; repr.total_len()];
    buf[repr.header_len()..].copy_from_slice(packet.payload());
    repr.emit(&mut buf).expect("a parsed Repr emits");
    let again = Packet::parse_verified(&buf[..]).expect("emitted bytes parse and verify");
    assert_eq!(Repr::parse(&again).expect("Repr"), repr);
    assert_eq!(again.payload(), packet.payload());
    assert_eq!(again.options_bytes(), packet.options_bytes());
    if packet.verify_checksum() && !packet.reserved_flag() {
        assert_eq!(&buf[..], packet.packet_bytes(), "rebuilt header differs");
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = Packet::parse(data) {
        check_parsed(&packet);
    }
    if let Ok(packet) = Packet::parse_quoted(data) {
        check_parsed(&packet);
    }
    let _ = Packet::parse_verified(data);

    let mut u = Unstructured::new(data);
    if let Ok(mut repr) = Repr::arbitrary(&mut u) {
        // Keep buffers small; any length up to the maximum is equally valid.
        repr.payload_len %= 2048;
        let mut buf = vec![0u8; repr.total_len()];
        repr.emit(&mut buf).expect("an arbitrary Repr emits");
        let packet = Packet::parse_verified(&buf[..]).expect("emitted bytes parse and verify");
        assert_eq!(Repr::parse(&packet).expect("Repr"), repr);
    }
});
