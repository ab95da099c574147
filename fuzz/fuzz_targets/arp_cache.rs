#![no_main]
//! The ARP neighbour cache under arbitrary sequences of received packets,
//! lookups, queued datagrams, timeouts with a clock that only moves
//! forward, transmits drained or not, addresses and static entries added
//! and removed, and arbitrary (tiny, zero-interval) configurations. It must
//! never panic; the table never exceeds `max_entries`, no queue its cap;
//! every datagram accepted is transmitted once, reported dropped once, or
//! still held, and once time runs out nothing is held. The driver is shared
//! with `cargo test -p strata-arp --test cache_ops`.

#[path = "../../crates/arp/tests/cache_ops.rs"]
mod driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = driver::run(data);
});
