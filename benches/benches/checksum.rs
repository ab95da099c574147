//! Internet checksum (RFC 1071) throughput: strata against smoltcp and
//! etherparse over the same bytes.
//!
//! Sizes: 64 (a small frame), 1460 (a full TCP payload on a 1500-byte MTU
//! path), 1500 (a full IPv4 packet) and 65536 (a TSO/GRO super-segment).

// Benchmarks are test code, not library code: a broken fixture should stop
// the run loudly, so unwrap and indexing are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// The checksum value of `data` (the complemented folded sum), as it goes
/// on the wire.
fn strata(data: &[u8]) -> u16 {
    strata_core::checksum::checksum(data)
}

/// smoltcp keeps its checksum kernel (`wire::ip::checksum::data`) in a
/// crate-private module. `Icmpv4Packet::verify_checksum` is the thinnest
/// public wrapper around it: the kernel over the whole buffer and one
/// comparison.
fn smoltcp(data: &[u8]) -> bool {
    smoltcp::wire::Icmpv4Packet::new_unchecked(data).verify_checksum()
}

/// etherparse exposes its kernel as `checksum::Sum16BitWords`.
fn etherparse(data: &[u8]) -> u16 {
    etherparse::checksum::Sum16BitWords::new()
        .add_slice(data)
        .ones_complement()
        .to_be()
}

fn checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for size in [64usize, 1460, 1500, 65536] {
        let mut data: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        // All three must compute the same function: check the values agree,
        // then make the data sum to zero so smoltcp's verify says `true`.
        let value = strata(&data);
        assert_eq!(etherparse(&data), value);
        assert_eq!(smoltcp(&data), value == 0);
        fix_to_zero(&mut data);
        assert_eq!(strata(&data), 0);
        assert!(smoltcp(&data));
        assert_eq!(etherparse(&data), 0);

        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("strata", size), &data, |b, d| {
            b.iter(|| strata(black_box(d)))
        });
        group.bench_with_input(BenchmarkId::new("smoltcp", size), &data, |b, d| {
            b.iter(|| smoltcp(black_box(d)))
        });
        group.bench_with_input(BenchmarkId::new("etherparse", size), &data, |b, d| {
            b.iter(|| etherparse(black_box(d)))
        });
    }
    group.finish();
}

/// Stores the checksum of the data (computed with bytes 2..4 zeroed) in
/// bytes 2..4, as an ICMP sender would, so the whole buffer sums to zero.
fn fix_to_zero(data: &mut [u8]) {
    data[2..4].fill(0);
    let c = strata(data);
    data[2..4].copy_from_slice(&c.to_be_bytes());
}

criterion_group!(benches, checksum);
criterion_main!(benches);
