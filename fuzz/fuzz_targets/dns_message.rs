#![no_main]
//! Parses arbitrary bytes as a DNS message: never panics; whatever parses is
//! walked in full, converted to the owned form, rebuilt (with compression),
//! parsed again, and must come back equal. The same bytes, read as an
//! arbitrary owned message, must emit and parse back to it.

use arbitrary::{Arbitrary, Unstructured};
use strata_dns::wire::{Message, Repr, Section};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(repr) = Repr::arbitrary(&mut Unstructured::new(data)) {
        let bytes = repr.to_vec().expect("an arbitrary Repr emits");
        let again = Repr::parse_bytes(&bytes).expect("an emitted Repr parses");
        assert_eq!(again, repr);
    }
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let _ = (
        msg.id(),
        msg.flags(),
        msg.rcode(),
        msg.edns(),
        msg.trailing(),
    );
    for q in msg.questions() {
        let _ = (
            q.name().to_string(),
            q.name().wire_len(),
            q.qtype(),
            q.qclass(),
        );
    }
    for section in [Section::Answer, Section::Authority, Section::Additional] {
        for r in msg.records(section) {
            assert!(r.name().wire_len() <= 255);
            let _ = format!("{} {:?} {:?}", r.name(), r.data(), r.edns());
        }
    }
    let repr = Repr::parse(&msg);
    let mut buf = vec![0u8; repr.buffer_len()];
    let len = repr
        .emit(&mut buf)
        .expect("a parsed message can be rebuilt");
    let rebuilt = Message::parse(&buf[..len]).expect("a rebuilt message parses");
    assert_eq!(Repr::parse(&rebuilt), repr);
});
