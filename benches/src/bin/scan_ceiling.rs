//! The full-scan ceiling of `scripts/bench-scan.sh`, measured on the bench
//! lake itself: decode every string column of every row group, join each
//! column batch's values with `\n` and scan it once with the built-in rules'
//! Hyperscan database — what lakewarden `--full` cannot do without, and
//! nothing else (no validation, no evidence, no catalog).
//!
//! ```text
//! scan_ceiling [--threads N] DATASET_DIR...
//! ```
//!
//! Row groups (`part-*.parquet` under each folder) are the units of work,
//! largest first, on `--threads` threads (default: the cores), each thread
//! with its own scratch; batches of 8,192 rows, as lakewarden reads them.
//! Prints one line:
//!
//! `ceiling string_bytes=N matches=N threads=N seconds=S mb_per_s=R
//!  cpu_seconds=S cpu_mb_per_s=R scan_cpu_seconds=S scan_mb_per_s=R
//!  decode_cpu_seconds=S`
//!
//! * `mb_per_s`: string bytes / wall time, end to end (decode + join + scan
//!   on all threads).
//! * `cpu_mb_per_s`: string bytes / (process CPU time / threads): the same
//!   end-to-end ceiling as `threads` otherwise idle cores would give it. On
//!   a machine shared with other work this is the steadier figure (waiting
//!   for a core is not counted); compare it with a scan's CPU time alike.
//! * `scan_mb_per_s`: only the CPU time inside `Matcher::scan` (summed over
//!   threads, divided by their count): the joined-batch matcher ceiling on
//!   these cores and this data.

use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use lakewarden_benches::{parquet_files, JoinedBatch};
use lakewarden_rules::{HyperscanMatcher, Matcher, RuleSet};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// One row group of one file.
struct Unit {
    path: PathBuf,
    row_group: usize,
    bytes: i64,
}

#[derive(Default)]
struct Totals {
    string_bytes: u64,
    matches: u64,
    scan: Duration,
    decode: Duration,
}

fn units(dirs: &[String]) -> Result<Vec<Unit>> {
    let mut out = Vec::new();
    for dir in dirs {
        for path in parquet_files(dir)? {
            let b = ParquetRecordBatchReaderBuilder::try_new(
                File::open(&path).with_context(|| format!("open {}", path.display()))?,
            )?;
            for (i, rg) in b.metadata().row_groups().iter().enumerate() {
                out.push(Unit {
                    path: path.clone(),
                    row_group: i,
                    bytes: rg.total_byte_size(),
                });
            }
        }
    }
    out.sort_by_key(|u| std::cmp::Reverse(u.bytes));
    Ok(out)
}

/// CPU time (user + system) of the whole process so far.
fn process_cpu() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time of the calling thread (time waiting for a core on a shared
/// machine is not counted, unlike a wall-clock `Instant`).
fn thread_cpu() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn run_unit(
    m: &HyperscanMatcher,
    scratch: &mut <HyperscanMatcher as Matcher>::Scratch,
    u: &Unit,
    t: &mut Totals,
) -> Result<()> {
    let mut reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&u.path)?)?
        .with_batch_size(8_192)
        .with_row_groups(vec![u.row_group])
        .build()?;
    loop {
        let t0 = thread_cpu();
        let Some(batch) = reader.next() else { break };
        let batch = batch?;
        t.decode += thread_cpu().saturating_sub(t0);
        for col in batch.columns() {
            if col.data_type() != &DataType::Utf8 {
                continue;
            }
            let values: Vec<&str> = col.as_string::<i32>().iter().flatten().collect();
            let joined = JoinedBatch::new(&values);
            t.string_bytes += (joined.buf.len() - values.len()) as u64;
            let t1 = thread_cpu();
            m.scan(scratch, &joined.buf, &mut |_, _, _| t.matches += 1)?;
            t.scan += thread_cpu().saturating_sub(t1);
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut dirs = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--threads" => threads = it.next().context("--threads N")?.parse()?,
            _ => dirs.push(a),
        }
    }
    if dirs.is_empty() {
        bail!("usage: scan_ceiling [--threads N] DATASET_DIR...");
    }
    let rules = RuleSet::builtin().context("built-in rules")?;
    let m = HyperscanMatcher::compile(&rules).context("hyperscan compile")?;
    let units = units(&dirs)?;
    let next = AtomicUsize::new(0);
    let totals = Mutex::new(Totals::default());
    let t0 = Instant::now();
    let cpu0 = process_cpu();
    std::thread::scope(|s| -> Result<()> {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    let mut scratch = m.new_scratch()?;
                    let mut t = Totals::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(u) = units.get(i) else { break };
                        run_unit(&m, &mut scratch, u, &mut t).with_context(|| {
                            format!("{} row group {}", u.path.display(), u.row_group)
                        })?;
                    }
                    let mut all = totals.lock().expect("no panics while held");
                    all.string_bytes += t.string_bytes;
                    all.matches += t.matches;
                    all.scan += t.scan;
                    all.decode += t.decode;
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked")?;
        }
        Ok(())
    })?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu = process_cpu().saturating_sub(cpu0).as_secs_f64();
    let t = totals.into_inner().expect("no panics while held");
    let mb = t.string_bytes as f64 / 1e6;
    let n = threads.max(1) as f64;
    let scan_cpu = t.scan.as_secs_f64();
    println!(
        "ceiling string_bytes={} matches={} threads={threads} seconds={secs:.3} mb_per_s={:.1} \
         cpu_seconds={cpu:.3} cpu_mb_per_s={:.1} scan_cpu_seconds={scan_cpu:.3} scan_mb_per_s={:.1} \
         decode_cpu_seconds={:.3}",
        t.string_bytes,
        t.matches,
        mb / secs,
        mb / (cpu / n),
        mb / (scan_cpu / n),
        t.decode.as_secs_f64(),
    );
    Ok(())
}
