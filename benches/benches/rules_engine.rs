//! Rules-engine throughput on the built-in rule set (criterion).
//!
//! Three ways of matching the same bytes, reported as `Throughput::Bytes` of
//! value bytes (separators not counted):
//!
//! * `hyperscan/per_value`: `HyperscanMatcher::scan` once per value;
//! * `hyperscan/joined`: values joined with `\n` in batches of 8192, one scan
//!   per batch, match offsets mapped back to values with a binary search (what
//!   the classifier does);
//! * `regex/joined`: `RegexMatcher` (the `regex` crate, pattern by pattern) on
//!   the same joined batches: the baseline the others are compared with.
//!
//! One iteration scans a 4 MB slice of the deterministic mixed corpus
//! (`sample_size(10)`, flat sampling) so the whole bench stays well under two
//! minutes; `rules_throughput` (a plain binary) scans the full >= 50 MB corpus
//! once per engine and prints the ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lakewarden_benches::{
    corpus, joined_batches, scan_joined_all, scan_per_value, value_bytes, BATCH_VALUES,
};
use lakewarden_rules::{HyperscanMatcher, Matcher, RegexMatcher, RuleSet};

const SEED: u64 = 0x1A4E_3A2D;
const SLICE_BYTES: usize = 4 << 20;

fn rules_engine(c: &mut Criterion) {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let hs = HyperscanMatcher::compile(&rules).expect("hyperscan compiles the built-in rules");
    let re = RegexMatcher::compile(&rules).expect("regex compiles the built-in rules");
    let values = corpus(SEED, SLICE_BYTES);
    let bytes = value_bytes(&values) as u64;
    let batches = joined_batches(&values, BATCH_VALUES);

    let mut g = c.benchmark_group("rules_engine");
    g.throughput(Throughput::Bytes(bytes))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));

    let mut hs_scratch = hs.new_scratch().expect("scratch");
    g.bench_function("hyperscan/per_value", |b| {
        b.iter(|| black_box(scan_per_value(&hs, &mut hs_scratch, black_box(&values), 0).unwrap()))
    });
    g.bench_function("hyperscan/joined", |b| {
        b.iter(|| {
            black_box(
                scan_joined_all(&hs, &mut hs_scratch, black_box(&batches), BATCH_VALUES).unwrap(),
            )
        })
    });
    #[allow(clippy::let_unit_value)] // RegexMatcher's scratch is `()`; kept for symmetry
    let mut re_scratch = re.new_scratch().expect("scratch");
    g.bench_function("regex/joined", |b| {
        b.iter(|| {
            black_box(
                scan_joined_all(&re, &mut re_scratch, black_box(&batches), BATCH_VALUES).unwrap(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, rules_engine);
criterion_main!(benches);
