//! Ingest and index-query benchmarks, each against a baseline from the same run.
//!
//! ```text
//! audit_bench [--lines N] [--dir DIR] [--no-query]
//! ```
//!
//! 1. Generates N S3 server-access-log lines (default 1,000,000) from a seed,
//!    spread over gzip files of 100k lines (as S3 delivers many small objects).
//! 2. Baseline: gzip-decode the files and count lines.
//! 3. Parse only: `parse_s3_access_log` over the same files (one thread).
//! 4. Ingest: `lakewarden_index::ingest` — parse, Arrow, Parquet commit to a
//!    fresh catalog, Tantivy sync — the whole `lakewarden ingest`.
//! 5. A selective `access_events` query (one principal, ~0.1 % of events) with
//!    index pushdown, and the same query with pushdown disabled.
//!
//! Prints, per phase, lines per wall-clock second and lines per CPU-second
//! (user + system time of the whole process over the phase, from
//! `/proc/self/stat`: every thread counts — tokio workers, the blocking pool,
//! Tantivy's indexing and merge threads — so "per CPU-second" is "per core"
//! measured honestly), and the ratios against the line count. `--no-query`
//! stops after the ingest (for profiling it alone). Nothing is asserted about
//! time.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use lakewarden_benches::Rng;
use lakewarden_catalog::{Catalog, IngestFormat};
use lakewarden_index::{ingest, maybe_gzip_bytes, parse_s3_access_log, IngestOptions};
use lakewarden_query::{open_session, run, SessionOptions};

const LINES_PER_FILE: usize = 100_000;

/// User + system CPU seconds of this process so far, all threads (fields 14
/// and 15 of `/proc/self/stat`, in clock ticks of 1/100 s, the Linux
/// `USER_HZ`); 0 where there is no procfs.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3, so fields 14 and 15 are at 11 and 12.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Wall-clock and CPU seconds of one phase.
struct Phase {
    wall: f64,
    cpu: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Phase) {
    let (t, c) = (Instant::now(), cpu_seconds());
    let out = f();
    let phase = Phase {
        wall: t.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - c,
    };
    (out, phase)
}
const RARE_PRINCIPAL: &str = "arn:aws:iam::123456789012:user/auditor";

fn line(rng: &mut Rng, i: usize) -> String {
    let roles = [
        "etl-spark",
        "analyst",
        "ml-training",
        "bi-refresh",
        "backup",
    ];
    let principal = if i % 1000 == 7 {
        RARE_PRINCIPAL.to_string()
    } else {
        format!(
            "arn:aws:sts::123456789012:assumed-role/{}/session-{}",
            rng.pick(&roles),
            rng.below(50)
        )
    };
    let key = format!(
        "datasets/{}/part-{:05}.parquet",
        rng.pick(&["customers", "orders", "events", "payments", "tickets"]),
        rng.below(2000)
    );
    let (h, m, s) = (i / 3600 % 24, i / 60 % 60, i % 60);
    let op = if rng.chance(0.9) {
        "REST.GET.OBJECT"
    } else {
        "REST.HEAD.OBJECT"
    };
    format!(
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be corp-lake \
         [0{}/May/2024:{h:02}:{m:02}:{s:02} +0000] 192.0.2.{} {principal} {:016X} {op} {key} \
         \"GET /{key} HTTP/1.1\" 200 - {} {} 12 10 \"-\" \"aws-sdk-java/1.12.261 Linux/5.10\" - \
         hostid= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader corp-lake.s3.eu-west-1.amazonaws.com TLSv1.2 - -",
        1 + i / 86_400 % 9,
        rng.below(250),
        rng.next_u64(),
        rng.range(100, 1_000_000),
        rng.range(100, 1_000_000),
    )
}

fn generate(dir: &PathBuf, lines: usize) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(42);
    let mut files = Vec::new();
    let mut i = 0;
    while i < lines {
        let path = dir.join(format!("access-{:04}.log.gz", files.len()));
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path)?,
            flate2::Compression::fast(),
        );
        for _ in 0..LINES_PER_FILE.min(lines - i) {
            writeln!(gz, "{}", line(&mut rng, i))?;
            i += 1;
        }
        gz.finish()?;
        files.push(path);
    }
    Ok(files)
}

fn main() -> Result<()> {
    let mut lines = 1_000_000usize;
    let mut dir = std::env::temp_dir().join("lakewarden-audit-bench");
    let mut query = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--lines" => lines = args.next().context("--lines N")?.parse()?,
            "--dir" => dir = PathBuf::from(args.next().context("--dir DIR")?),
            "--no-query" => query = false,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let logs = dir.join("logs");
    let files = generate(&logs, lines)?;
    let blobs: Vec<bytes::Bytes> = files
        .iter()
        .map(|f| std::fs::read(f).map(bytes::Bytes::from))
        .collect::<std::io::Result<_>>()?;

    let (counted, count) = timed(|| {
        blobs
            .iter()
            .map(|b| maybe_gzip_bytes(b.clone()).lines().count() as u64)
            .sum::<u64>()
    });

    let (parsed, parse) = timed(|| {
        blobs
            .iter()
            .map(|b| parse_s3_access_log(maybe_gzip_bytes(b.clone()), "bench", &mut |_| {}).events)
            .sum::<u64>()
    });
    assert_eq!(parsed, counted, "every generated line parses");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let catalog_dir = dir.join("catalog");
    let catalog = rt.block_on(Catalog::open(catalog_dir.to_str().unwrap()))?;
    let (summary, ingest_phase) = timed(|| {
        rt.block_on(ingest(
            &catalog,
            &[logs.display().to_string()],
            &IngestOptions {
                format: IngestFormat::S3,
                model_namespaces: vec![],
                force: false,
            },
        ))
    });
    let summary = summary?;
    assert_eq!(summary.rows, counted);
    anyhow::ensure!(summary.index_error.is_none(), "{:?}", summary.index_error);

    let per = |s: f64| counted as f64 / s;
    println!("lines                      {counted}");
    println!("phase                       lines/s (wall)  lines/CPU-s  time vs count (wall)");
    for (name, p) in [
        ("gzip line count (baseline)", &count),
        ("parse only", &parse),
        ("ingest: parse+commit+index", &ingest_phase),
    ] {
        println!(
            "{name:<27} {:>14.0} {:>12.0} {:>10.2}x",
            per(p.wall),
            per(p.cpu),
            p.wall / count.wall
        );
    }
    println!(
        "ingest: {:.2} s wall, {:.2} s CPU ({:.2} cores busy on average)",
        ingest_phase.wall,
        ingest_phase.cpu,
        ingest_phase.cpu / ingest_phase.wall
    );
    if !query {
        return Ok(());
    }

    let sql = format!(
        "SELECT count(*) AS n, max(event_time) AS last FROM access_events WHERE principal = '{RARE_PRINCIPAL}'"
    );
    let (pushdown_s, scan_all_s, rows) = rt.block_on(async {
        let mut times = Vec::new();
        let mut rows = 0;
        for pushdown in [true, false] {
            let opts = SessionOptions {
                index_pushdown: pushdown,
                ..SessionOptions::default()
            };
            let (ctx, _) = open_session(&catalog, &opts).await?;
            let t = Instant::now();
            let b = run(&ctx, &sql).await?;
            times.push(t.elapsed().as_secs_f64());
            rows = b.iter().map(|b| b.num_rows()).sum::<usize>();
        }
        Ok::<_, anyhow::Error>((times[0], times[1], rows))
    })?;
    anyhow::ensure!(rows == 1);
    println!(
        "selective query (0.1%): pushdown {:.3}s, no pushdown {:.3}s, ratio {:.1}x",
        pushdown_s,
        scan_all_s,
        scan_all_s / pushdown_s
    );
    Ok(())
}
