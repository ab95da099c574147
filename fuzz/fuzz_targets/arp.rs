#![no_main]
//! ARP packets: parsing never panics, and a parsed packet's Repr re-emits
//! to a packet with the same Repr (and the same bytes, up to the hardware
//! type, which is normalised to Ethernet).

use strata_arp::{HardwareType, Packet, Repr};
use strata_core::buffer::PacketBuf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::parse(data) else {
        return;
    };
    let _ = (
        packet.hardware_type().name(),
        packet.protocol_type(),
        packet.operation().name(),
        packet.padding(),
    );
    let repr = Repr::parse(&packet).expect("a parsed packet has a Repr");
    let _ = (repr.is_gratuitous(), repr.is_probe(), repr.to_string());

    let mut out = [0u8; 28];
    repr.emit(&mut out).expect("28 bytes is enough");
    let again = Packet::parse(&out[..]).expect("emitted packet parses");
    assert_eq!(Repr::parse(&again).unwrap(), repr);
    assert_eq!(&out[2..], &packet.header_bytes()[2..]);
    if packet.hardware_type() == HardwareType::ETHERNET {
        assert_eq!(&out[..], packet.header_bytes());
    }

    let mut storage = [0u8; 28];
    let mut pkt = PacketBuf::new(&mut storage[..], 28).unwrap();
    repr.prepend(&mut pkt).expect("28 bytes of headroom is enough");
    assert_eq!(pkt.as_slice(), &out[..]);
});
