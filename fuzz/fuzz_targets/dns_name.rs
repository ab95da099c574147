#![no_main]
//! Runs the name decompressor alone: the first two bytes pick an offset,
//! the rest is the message. Never panics; a name that parses is at most 255
//! octets, ends inside the message, and reads the same once copied out.

use strata_dns::wire::{Name, NameBuf};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((offset, message)) = data.split_first_chunk::<2>() else {
        return;
    };
    let offset = usize::from(u16::from_be_bytes(*offset));
    let Ok((name, end)) = Name::parse(message, offset) else {
        return;
    };
    assert!(end > offset && end <= message.len());
    assert!(name.wire_len() <= 255);
    let owned = name.to_name_buf();
    assert_eq!(owned.wire_len(), name.wire_len());
    assert!(name == owned);
    assert_eq!(
        NameBuf::from_wire(owned.as_wire()).ok().as_ref(),
        Some(&owned)
    );
    let text = name.to_string();
    let back: NameBuf = text.parse().expect("Display output parses");
    assert_eq!(back.as_wire(), owned.as_wire());
});
