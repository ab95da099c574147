#![no_main]
//! The TCP listener under arbitrary traffic: SYNs, ACKs, resets and data
//! from a pool of peers (often with exactly the numbers the listener
//! expects, so handshakes and cookies complete), arbitrary headers from
//! arbitrary addresses, arbitrary bytes parsed as segments, genuine
//! clients, time passing, timers, `accept` and `close`. Nothing may panic,
//! the SYN, accept and reply queues must stay within their bounds, every
//! segment written must verify, and `accept` may only return connections
//! whose handshake completed. The driver is shared with `cargo test -p
//! strata-tcp`.

#[path = "../../crates/tcp/tests/listener_ops.rs"]
mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    driver::run(data);
});
