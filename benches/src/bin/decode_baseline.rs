//! Plain DataFusion decode baseline for `scripts/bench-scan.sh`: `SELECT *`
//! over each dataset folder of the bench lake (the same Parquet files and
//! columns lakewarden's full scan reads), counting rows and string bytes, and
//! nothing else. Whatever lakewarden does beyond this (classification,
//! catalog) is what the ratio scan-full / decode shows.
//!
//! ```text
//! decode_baseline DATASET_DIR...
//! ```
//!
//! Datasets are read one after the other, each with DataFusion's default
//! `target_partitions` (= cores). Prints one summary line:
//! `decode rows=N string_bytes=N seconds=S mb_per_s=R`.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;

fn string_bytes(col: &dyn Array) -> u64 {
    match col.data_type() {
        DataType::Utf8 => {
            let a = col.as_string::<i32>();
            let o = a.value_offsets();
            (o[o.len() - 1] - o[0]) as u64
        }
        DataType::LargeUtf8 => {
            let a = col.as_string::<i64>();
            let o = a.value_offsets();
            (o[o.len() - 1] - o[0]) as u64
        }
        DataType::Utf8View => {
            let a = col.as_string_view();
            (0..a.len())
                .filter(|&i| a.is_valid(i))
                .map(|i| (a.views()[i] as u32) as u64)
                .sum()
        }
        DataType::Dictionary(_, _) => 0,
        _ => 0,
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        bail!("usage: decode_baseline DATASET_DIR...");
    }
    let ctx = SessionContext::new();
    let t0 = Instant::now();
    let (mut rows, mut bytes) = (0u64, 0u64);
    for (i, dir) in dirs.iter().enumerate() {
        let name = format!("t{i}");
        ctx.register_parquet(&name, dir, ParquetReadOptions::default())
            .await
            .with_context(|| format!("register {dir}"))?;
        let mut stream = ctx
            .sql(&format!("SELECT * FROM {name}"))
            .await?
            .execute_stream()
            .await?;
        let (mut r, mut b) = (0u64, 0u64);
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            r += batch.num_rows() as u64;
            b += batch
                .columns()
                .iter()
                .map(|c| string_bytes(c.as_ref()))
                .sum::<u64>();
        }
        eprintln!(
            "decode_baseline: {dir}: {r} rows, {:.1} MB of strings",
            b as f64 / 1e6
        );
        rows += r;
        bytes += b;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "decode rows={rows} string_bytes={bytes} seconds={secs:.3} mb_per_s={:.1}",
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
