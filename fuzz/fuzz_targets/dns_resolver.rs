#![no_main]
//! The DNS resolver state machine under arbitrary conversations: the input
//! is a sequence of operations (lookups, answers built from the queries the
//! resolver sent with arbitrary flags, codes and records, raw bytes over UDP
//! and TCP, streams cut into pieces or closed, time passing, cancellations).
//! It must never panic, never report a lookup twice or one it does not
//! know, never use a misdirected answer, and end every lookup once time
//! runs out. The driver is shared with `cargo test -p strata-dns`.

#[path = "../../crates/dns/tests/resolver_ops.rs"]
mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    driver::run(data);
});
