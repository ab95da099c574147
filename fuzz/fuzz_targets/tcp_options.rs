#![no_main]
//! TCP options alone: the validation loop and the nom grammar agree;
//! parsed options re-emit and re-parse equal, and each option re-emitted
//! on its own reads back the same.

use strata_tcp::{MAX_OPTIONS_LEN, Options, OptionsIter, ParseError};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let parsed = Options::parse(data);
    if data.len() > MAX_OPTIONS_LEN {
        assert_eq!(parsed, Err(ParseError::OptionsTooLong { len: data.len() }));
    }
    let iter = OptionsIter::new(data);
    if data.len() <= MAX_OPTIONS_LEN {
        assert_eq!(parsed.is_ok(), iter.is_ok());
    }
    if let Err(e) = &iter {
        // The error points at an option inside the area.
        match *e {
            ParseError::BadOptionLength { offset, .. } | ParseError::TruncatedOption { offset, .. } => {
                assert!(offset < data.len())
            }
            other => panic!("unexpected option error {other:?}"),
        }
    }

    if let Ok(iter) = iter {
        let mut consumed = 0;
        for option in iter {
            let mut one = [0u8; 256];
            let len = option.emit(&mut one).expect("a parsed option re-emits");
            assert_eq!(len, option.wire_len());
            assert_eq!(&data[consumed..consumed + len], &one[..len], "same bytes");
            assert_eq!(OptionsIter::new(&one[..len]).unwrap().next(), Some(option));
            consumed += len;
        }
        assert!(consumed <= data.len());
    }

    if let Ok(options) = parsed {
        let mut buf = [0u8; MAX_OPTIONS_LEN];
        let len = options.emit(&mut buf).expect("options from the wire fit");
        assert_eq!(len, options.wire_len());
        assert_eq!(len % 4, 0);
        assert_eq!(Options::parse(&buf[..len]), Ok(options));
    }
});
