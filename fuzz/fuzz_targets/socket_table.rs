#![no_main]
// Placeholder until its helper lands the real target.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
