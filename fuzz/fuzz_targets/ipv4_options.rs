#![no_main]
//! The IPv4 options parser alone: never panics; what validates iterates
//! without surprises, copies into `Options` unchanged, and rebuilds option
//! by option into the same list.

use arbitrary::{Arbitrary, Unstructured};
use strata_ipv4::options::{Ipv4Option, OptionList, Options};

fn without_trailing_end(mut options: Vec<Ipv4Option<'_>>) -> Vec<Ipv4Option<'_>> {
    if options.last() == Some(&Ipv4Option::EndOfList) {
        options.pop();
    }
    options
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(list) = OptionList::parse(data) {
        let parsed: Vec<_> = list.iter().collect();
        let wire: usize = parsed.iter().map(|o| o.wire_len()).sum();
        assert!(wire <= data.len());
        if let Some(end) = parsed.iter().position(|o| *o == Ipv4Option::EndOfList) {
            assert_eq!(end + 1, parsed.len(), "nothing follows End of Option List");
        }

        if data.len() <= 40 {
            let owned = Options::new(data).expect("validated bytes fit");
            assert_eq!(&owned.as_bytes()[..data.len()], data);
            assert!(owned.as_bytes()[data.len()..].iter().all(|b| *b == 0));
            assert_eq!(owned.len() % 4, 0);

            let mut rebuilt = Options::EMPTY;
            for option in &parsed {
                rebuilt.push(option).expect("a parsed option pushes");
            }
            assert_eq!(
                without_trailing_end(rebuilt.iter().collect()),
                without_trailing_end(parsed.clone())
            );
        }
    }

    let mut u = Unstructured::new(data);
    if let Ok(options) = Options::arbitrary(&mut u) {
        let list = OptionList::parse(options.as_bytes()).expect("arbitrary options validate");
        assert_eq!(Options::new(list.as_bytes()).expect("fits"), options);
    }
});
