#![no_main]
//! The TCP connection state machine under arbitrary conversations: the
//! input opens a connection (active or passive, with arbitrary options)
//! and then plays a sequence of segments from a scripted peer (arbitrary
//! headers, sequence and acknowledgment numbers often near the window
//! edges, payloads cut from the peer's stream), application calls and time
//! passing. Nothing may panic, SND.UNA must never pass SND.NXT, every
//! segment written must verify, and what the application reads must be a
//! prefix of the peer's stream. The driver is shared with `cargo test -p
//! strata-tcp`.

#[path = "../../crates/tcp/tests/connection_ops.rs"]
mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    driver::run(data);
});
