//! Internet checksum throughput.
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for size in [64usize, 1460, 1500, 65536] {
        let data: Vec<u8> = (0..size).map(|i| (i * 7 + 3) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("strata", size), &data, |b, d| {
            b.iter(|| strata_core::checksum::checksum(black_box(d)))
        });
    }
    group.finish();
}

criterion_group!(benches, checksum);
criterion_main!(benches);
