#![no_main]
//! Ethernet frames: parsing never panics, and a parsed header re-emits to
//! exactly the input bytes, through both `emit` and `prepend`.

use strata_core::buffer::PacketBuf;
use strata_ethernet::{Frame, Repr};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(frame) = Frame::parse(data) else {
        return;
    };
    // Every accessor must be callable on any parsed frame.
    let _ = (
        frame.dst().is_multicast(),
        frame.src().is_local(),
        frame.ethertype().name(),
        frame.is_length_field(),
        frame.vlan(),
        frame.service_vlan(),
        frame.header_bytes(),
    );
    let repr = Repr::parse(&frame).expect("a parsed frame has a Repr");
    assert_eq!(repr.header_len(), frame.header_len());
    let payload = frame.payload();

    // emit into header room followed by the payload.
    let mut out = vec![0u8; repr.header_len() + payload.len()];
    out[repr.header_len()..].copy_from_slice(payload);
    repr.emit(&mut out).expect("a parsed Repr emits");
    let again = Frame::parse(&out[..]).expect("emitted frame parses");
    assert_eq!(Repr::parse(&again).unwrap(), repr);
    assert_eq!(again.payload(), payload);
    // The Ethernet header is fully described by its Repr.
    assert_eq!(&out[..], data);

    // prepend in front of the payload in a buffer with headroom.
    let mut storage = vec![0u8; 22 + payload.len()];
    let mut pkt = PacketBuf::new(&mut storage[..], 22).unwrap();
    pkt.append(payload.len()).unwrap().copy_from_slice(payload);
    repr.prepend(&mut pkt).expect("a parsed Repr prepends");
    assert_eq!(pkt.as_slice(), data);
});
