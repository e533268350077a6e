//! What each built-in pattern costs the Hyperscan scan, on the bench lake.
//!
//! ```text
//! pattern_cost [--mb 32] [--rounds 3] DATASET_DIR...
//! ```
//!
//! Reads the first `--mb` of string bytes (columns joined with `\n` per batch
//! of 8,192, as lakewarden scans them) from the first file of each folder,
//! then, on one thread: scans it with the database of every built-in pattern
//! (flags as `HyperscanMatcher` compiles them), and once more per pattern
//! with a database of every pattern *but* that one. Prints per pattern its
//! raw reports (every end Hyperscan reports, before any reduction) and the
//! share of the full database's scan time that leaving it out saves, best
//! of `--rounds` — the patterns to look at when the matcher is the
//! bottleneck. Ratios only; the absolute times move with the machine.

use std::fs::File;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use hyperscan::{BlockDatabase, Builder, Matching, Patterns};
use lakewarden_benches::{parquet_files, JoinedBatch};
use lakewarden_rules::{HyperscanMatcher, RuleSet};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn corpus(dirs: &[String], mb: usize) -> Result<Vec<Vec<u8>>> {
    let per_dir = mb * 1_000_000 / dirs.len().max(1);
    let mut out = Vec::new();
    for dir in dirs {
        let files = parquet_files(dir)?;
        let Some(path) = files.first() else { continue };
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?
            .with_batch_size(8_192)
            .build()?;
        let mut taken = 0;
        for batch in reader {
            let batch = batch?;
            for col in batch.columns() {
                if col.data_type() != &DataType::Utf8 {
                    continue;
                }
                let values: Vec<&str> = col.as_string::<i32>().iter().flatten().collect();
                let joined = JoinedBatch::new(&values);
                taken += joined.buf.len();
                out.push(joined.buf);
            }
            if taken >= per_dir {
                break;
            }
        }
    }
    Ok(out)
}

fn database(rules: &RuleSet, skip: Option<u32>) -> Result<BlockDatabase> {
    let patterns: Patterns = rules
        .patterns()
        .filter(|(id, _, _)| Some(*id) != skip)
        .map(|(id, _, p)| HyperscanMatcher::pattern(id, p))
        .collect();
    Ok(patterns.build()?)
}

/// Best-of-`rounds` scan time of the corpus, and the reports per pattern id.
fn measure(
    db: &BlockDatabase,
    corpus: &[Vec<u8>],
    rounds: usize,
    n: usize,
) -> Result<(Duration, Vec<u64>)> {
    let scratch = db.alloc_scratch()?;
    let mut best = Duration::MAX;
    let mut reports = vec![0u64; n];
    for round in 0..rounds.max(1) {
        let t0 = Instant::now();
        for buf in corpus {
            db.scan(buf.as_slice(), &scratch, |id, _, _, _| {
                if round == 0 {
                    reports[id as usize] += 1;
                }
                Matching::Continue
            })?;
        }
        best = best.min(t0.elapsed());
    }
    Ok((best, reports))
}

fn main() -> Result<()> {
    let mut mb = 32usize;
    let mut rounds = 3usize;
    let mut dirs = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mb" => mb = it.next().context("--mb N")?.parse()?,
            "--rounds" => rounds = it.next().context("--rounds N")?.parse()?,
            _ => dirs.push(a),
        }
    }
    if dirs.is_empty() {
        bail!("usage: pattern_cost [--mb N] [--rounds N] DATASET_DIR...");
    }
    let rules = RuleSet::builtin().context("built-in rules")?;
    let n = rules.pattern_count();
    let corpus = corpus(&dirs, mb)?;
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let all = database(&rules, None)?;
    let (full, reports) = measure(&all, &corpus, rounds, n)?;
    println!(
        "all {n} patterns: {:.1} MB in {:.3} s = {:.1} MB/s, {} reports",
        bytes as f64 / 1e6,
        full.as_secs_f64(),
        bytes as f64 / 1e6 / full.as_secs_f64(),
        reports.iter().sum::<u64>()
    );
    let mut rows = Vec::new();
    for (id, entity, p) in rules.patterns() {
        let db = database(&rules, Some(id))?;
        let (without, _) = measure(&db, &corpus, rounds, n)?;
        let saved = 1.0 - without.as_secs_f64() / full.as_secs_f64();
        rows.push((
            saved,
            format!("{}/{}", entity.entity, p.id),
            reports[id as usize],
            p.track_start,
        ));
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("{:>7}  {:>10}  {:>5}  pattern", "saved", "reports", "som");
    for (saved, name, reports, som) in rows {
        println!(
            "{:>6.1}%  {reports:>10}  {:>5}  {name}",
            saved * 100.0,
            if som { "yes" } else { "no" }
        );
    }
    Ok(())
}
