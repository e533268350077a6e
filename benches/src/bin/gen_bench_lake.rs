//! Generate the deterministic Parquet bench lake for `scripts/bench-scan.sh`.
//!
//! ```text
//! gen_bench_lake --out DIR [--mb 512] [--seed N] [--datasets 8]
//!                [--rows-per-group 131072] [--groups-per-file 2] [--threads N]
//!                [--clustered-ids]
//! ```
//!
//! `--clustered-ids` makes `customer_id` of the customer tables a sequential
//! `C000000000`-style id instead of a UUID: ids clustered by file and row
//! group, as in a table appended in id order, so that an exact id search can
//! skip row groups by their statistics (`scripts/bench-rtbf.sh`). Without
//! it the output is unchanged.
//!
//! Layout (each dataset is a folder of `part-*.parquet` files, which
//! lakewarden's discovery takes as one dataset):
//!
//! ```text
//! DIR/data/customers_0/part-00000.parquet   (row groups of 128k rows, snappy)
//! DIR/data/events_0/...  payments_0/  tickets_0/  customers_1/ ... tickets_1/
//! DIR/manifest.txt                          (key=value: rows, string_bytes, ...)
//! ```
//!
//! Four table shapes (customer records, event logs, payments, support tickets)
//! with string columns of PII-ish values and free text; datasets `*_0` are one
//! half of the lake, `*_1` the other. Each dataset gets files until its share
//! of `--mb` (on-disk megabytes, 10^6) is reached. The lake is written to
//! `DIR.tmp` and renamed to `DIR` when complete, so an existing `DIR` is a
//! finished lake. Output depends only on the arguments (not on `--threads`).

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use arrow::array::{ArrayRef, Float64Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use lakewarden_benches::Gen;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

#[derive(Clone, Copy)]
enum Col {
    /// Row number (Int64).
    Id,
    /// Float64 amount.
    Amount,
    /// A string column: generator and share of nulls.
    Str(fn(&mut Gen) -> String, f64),
}

fn masked_or_full_card(g: &mut Gen) -> String {
    if g.rng.chance(0.1) {
        g.card_number()
    } else {
        format!("**** **** **** {:04}", g.rng.below(10_000))
    }
}

fn ticket_body(g: &mut Gen) -> String {
    g.text(20, 120, 0.25)
}

fn subject(g: &mut Gen) -> String {
    g.text(3, 8, 0.0)
}

fn reference(g: &mut Gen) -> String {
    g.text(2, 10, 0.05)
}

const TABLES: &[(&str, &[(&str, Col)])] = &[
    (
        "customers",
        &[
            ("id", Col::Id),
            ("customer_id", Col::Str(Gen::uuid, 0.0)),
            ("full_name", Col::Str(Gen::person_name, 0.0)),
            ("email", Col::Str(Gen::email, 0.02)),
            ("phone", Col::Str(Gen::phone, 0.1)),
            ("street_address", Col::Str(Gen::street_address, 0.05)),
            ("city", Col::Str(Gen::city, 0.05)),
            ("postcode", Col::Str(Gen::postcode, 0.05)),
            ("date_of_birth", Col::Str(Gen::date, 0.2)),
            ("status", Col::Str(Gen::status, 0.0)),
            ("notes", Col::Str(Gen::note, 0.5)),
            ("created_at", Col::Str(Gen::timestamp, 0.0)),
        ],
    ),
    (
        "events",
        &[
            ("id", Col::Id),
            ("event_id", Col::Str(Gen::uuid, 0.0)),
            ("ts", Col::Str(Gen::timestamp, 0.0)),
            ("client_ip", Col::Str(Gen::ipv4, 0.0)),
            ("url", Col::Str(Gen::url, 0.0)),
            ("user_agent", Col::Str(Gen::user_agent, 0.1)),
            ("log_line", Col::Str(Gen::log_line, 0.0)),
            ("session_hash", Col::Str(Gen::sha256, 0.0)),
            ("payload", Col::Str(Gen::json_payload, 0.3)),
        ],
    ),
    (
        "payments",
        &[
            ("id", Col::Id),
            ("payment_id", Col::Str(Gen::uuid, 0.0)),
            ("customer_email", Col::Str(Gen::email, 0.0)),
            ("card_number", Col::Str(masked_or_full_card, 0.0)),
            ("iban", Col::Str(Gen::iban, 0.3)),
            ("amount", Col::Amount),
            ("currency", Col::Str(Gen::currency, 0.0)),
            ("merchant", Col::Str(Gen::merchant, 0.0)),
            ("sku", Col::Str(Gen::sku, 0.0)),
            ("reference", Col::Str(reference, 0.2)),
            ("paid_at", Col::Str(Gen::timestamp, 0.0)),
        ],
    ),
    (
        "tickets",
        &[
            ("id", Col::Id),
            ("ticket_id", Col::Str(Gen::uuid, 0.0)),
            ("created_at", Col::Str(Gen::timestamp, 0.0)),
            ("requester_name", Col::Str(Gen::person_name, 0.0)),
            ("requester_email", Col::Str(Gen::email, 0.0)),
            ("subject", Col::Str(subject, 0.0)),
            ("body", Col::Str(ticket_body, 0.0)),
            ("tags", Col::Str(Gen::tags, 0.1)),
            ("agent_name", Col::Str(Gen::person_name, 0.2)),
        ],
    ),
];

struct Args {
    out: PathBuf,
    mb: u64,
    seed: u64,
    datasets: usize,
    rows_per_group: usize,
    groups_per_file: usize,
    threads: usize,
    clustered_ids: bool,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        out: PathBuf::new(),
        mb: 512,
        seed: 42,
        datasets: 8,
        rows_per_group: 131_072,
        groups_per_file: 2,
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        clustered_ids: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => a.out = PathBuf::from(val()?),
            "--mb" => a.mb = val()?.parse()?,
            "--seed" => a.seed = val()?.parse()?,
            "--datasets" => a.datasets = val()?.parse()?,
            "--rows-per-group" => a.rows_per_group = val()?.parse()?,
            "--groups-per-file" => a.groups_per_file = val()?.parse()?,
            "--threads" => a.threads = val()?.parse::<usize>()?.max(1),
            "--clustered-ids" => a.clustered_ids = true,
            other => bail!("unknown argument {other}"),
        }
    }
    if a.out.as_os_str().is_empty() {
        bail!("usage: gen_bench_lake --out DIR [--mb 512] [--seed N] [--datasets 8] ...");
    }
    if a.datasets == 0 || a.datasets % TABLES.len() != 0 {
        bail!("--datasets must be a positive multiple of {}", TABLES.len());
    }
    Ok(a)
}

fn schema(cols: &[(&str, Col)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(name, c)| match c {
                Col::Id => Field::new(*name, DataType::Int64, false),
                Col::Amount => Field::new(*name, DataType::Float64, false),
                Col::Str(_, nulls) => Field::new(*name, DataType::Utf8, *nulls > 0.0),
            })
            .collect::<Vec<_>>(),
    ))
}

/// One batch of `n` rows; returns it with its string bytes. With
/// `clustered_ids`, `customer_id` is `C` and the zero-padded row number.
fn batch(
    g: &mut Gen,
    schema: &SchemaRef,
    cols: &[(&str, Col)],
    first_id: i64,
    n: usize,
    clustered_ids: bool,
) -> Result<(RecordBatch, u64)> {
    let mut string_bytes = 0u64;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for (name, c) in cols {
        if clustered_ids && *name == "customer_id" {
            let mut b = StringBuilder::with_capacity(n, n * 10);
            for i in 0..n as i64 {
                let v = format!("C{:09}", first_id + i);
                string_bytes += v.len() as u64;
                b.append_value(v);
            }
            arrays.push(Arc::new(b.finish()));
            continue;
        }
        match c {
            Col::Id => {
                let mut b = Int64Builder::with_capacity(n);
                for i in 0..n as i64 {
                    b.append_value(first_id + i);
                }
                arrays.push(Arc::new(b.finish()));
            }
            Col::Amount => {
                let mut b = Float64Builder::with_capacity(n);
                for _ in 0..n {
                    b.append_value(g.rng.below(10_000_000) as f64 / 100.0);
                }
                arrays.push(Arc::new(b.finish()));
            }
            Col::Str(f, nulls) => {
                let mut b = StringBuilder::with_capacity(n, n * 32);
                for _ in 0..n {
                    if *nulls > 0.0 && g.rng.chance(*nulls) {
                        b.append_null();
                    } else {
                        let v = f(g);
                        string_bytes += v.len() as u64;
                        b.append_value(v);
                    }
                }
                arrays.push(Arc::new(b.finish()));
            }
        }
    }
    Ok((RecordBatch::try_new(schema.clone(), arrays)?, string_bytes))
}

#[derive(Default, Clone, Copy)]
struct Stats {
    rows: u64,
    string_bytes: u64,
    disk_bytes: u64,
    files: u64,
    row_groups: u64,
}

fn gen_dataset(a: &Args, root: &Path, index: usize, budget: u64) -> Result<(String, Stats)> {
    let (table, cols) = TABLES[index % TABLES.len()];
    let name = format!("{table}_{}", index / TABLES.len());
    let dir = root.join(&name);
    fs::create_dir_all(&dir)?;
    let schema = schema(cols);
    let mut g = Gen::new(a.seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(a.rows_per_group))
        .build();
    let mut st = Stats::default();
    let rows_per_file = a.rows_per_group * a.groups_per_file;
    const CHUNK: usize = 8192;
    while st.disk_bytes < budget {
        let path = dir.join(format!("part-{:05}.parquet", st.files));
        let file = File::create(&path).with_context(|| format!("create {}", path.display()))?;
        let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props.clone()))?;
        let mut written = 0usize;
        while written < rows_per_file {
            let n = CHUNK.min(rows_per_file - written);
            let (b, sb) = batch(&mut g, &schema, cols, st.rows as i64, n, a.clustered_ids)?;
            w.write(&b)?;
            written += n;
            st.rows += n as u64;
            st.string_bytes += sb;
        }
        let meta = w.close()?;
        st.row_groups += meta.num_row_groups() as u64;
        st.files += 1;
        st.disk_bytes += fs::metadata(&path)?.len();
    }
    Ok((name, st))
}

fn main() -> Result<()> {
    let a = parse_args()?;
    if a.out.exists() {
        println!("{} exists: nothing to do", a.out.display());
        return Ok(());
    }
    let tmp = a.out.with_extension("tmp");
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    let data = tmp.join("data");
    fs::create_dir_all(&data)?;
    let t0 = Instant::now();
    let budget = (a.mb * 1_000_000).div_ceil(a.datasets as u64);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, String, Stats)>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<anyhow::Error>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..a.threads.min(a.datasets) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.datasets {
                    break;
                }
                match gen_dataset(&a, &data, i, budget) {
                    Ok((name, st)) => {
                        eprintln!(
                            "gen_bench_lake: {name}: {} rows, {} files, {:.1} MB on disk, {:.1} MB of strings",
                            st.rows,
                            st.files,
                            st.disk_bytes as f64 / 1e6,
                            st.string_bytes as f64 / 1e6
                        );
                        results.lock().unwrap().push((i, name, st));
                    }
                    Err(e) => errors.lock().unwrap().push(e),
                }
            });
        }
    });
    if let Some(e) = errors.into_inner().unwrap().pop() {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    let mut total = Stats::default();
    let mut half = Stats::default();
    let mut lines = Vec::new();
    for (i, name, st) in &results {
        for t in [&mut total]
            .into_iter()
            .chain((*i < TABLES.len()).then_some(&mut half))
        {
            t.rows += st.rows;
            t.string_bytes += st.string_bytes;
            t.disk_bytes += st.disk_bytes;
            t.files += st.files;
            t.row_groups += st.row_groups;
        }
        lines.push(format!(
            "dataset.{name}=rows:{},string_bytes:{},disk_bytes:{},files:{}",
            st.rows, st.string_bytes, st.disk_bytes, st.files
        ));
    }
    let mut m = format!(
        "seed={}\nmb={}\ndatasets={}\nrows_per_group={}\ngroups_per_file={}\n\
         {}rows={}\nstring_bytes={}\ndisk_bytes={}\nfiles={}\nrow_groups={}\n\
         half_rows={}\nhalf_string_bytes={}\nhalf_disk_bytes={}\n",
        a.seed,
        a.mb,
        a.datasets,
        a.rows_per_group,
        a.groups_per_file,
        if a.clustered_ids {
            "clustered_ids=true\n"
        } else {
            ""
        },
        total.rows,
        total.string_bytes,
        total.disk_bytes,
        total.files,
        total.row_groups,
        half.rows,
        half.string_bytes,
        half.disk_bytes
    );
    m.push_str(&lines.join("\n"));
    m.push('\n');
    fs::write(tmp.join("manifest.txt"), m)?;
    fs::rename(&tmp, &a.out)?;
    println!(
        "gen_bench_lake: {} rows, {} files, {} row groups, {:.1} MB on disk, {:.1} MB of strings in {:.1}s -> {}",
        total.rows,
        total.files,
        total.row_groups,
        total.disk_bytes as f64 / 1e6,
        total.string_bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64(),
        a.out.display()
    );
    Ok(())
}
