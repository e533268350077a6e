//! The `lakewarden` binary: parses arguments, wires the crates together and
//! prints. No logic of its own beyond presentation.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use lakewarden_catalog::{Catalog, ClassificationRow, ColumnRow, DatasetRow};
use lakewarden_classify::ClassifierConfig;
use lakewarden_lake::ReadOptions;
use lakewarden_query::{NamedQueries, OutputFormat};
use lakewarden_scan::{run_scan, Progress, ScanConfig};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

mod audit;
mod config;
mod llm_args;

#[derive(Parser)]
#[command(
    name = "lakewarden",
    version,
    about = "Find the sensitive data in a data lake, and answer for it",
    long_about = "Scans data lakes (Parquet, CSV, JSON Lines, Delta, hive partitions) for \
sensitive data, keeps what it found in a catalog, and answers SQL over it.\n\n\
Exit codes: 0 success; 1 fatal error (nothing committed); 2 usage or configuration \
error; 3 finished, but some datasets failed (the rest is committed)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan datasets and record what sensitive data they hold.
    Scan(Box<ScanArgs>),
    /// Run SQL, a named query or a .sql file over the catalog.
    Query(QueryArgs),
    /// Explain why a column was (or was not) classified.
    Explain(ExplainArgs),
    /// Ingest access logs or OpenLineage events into the catalog and its indexes.
    #[command(subcommand)]
    Ingest(audit::IngestCommand),
    /// Rebuild the Tantivy indexes from the catalog.
    Reindex(audit::ReindexArgs),
    /// Everything that must change for a data subject (right to be forgotten).
    Rtbf(audit::RtbfArgs),
}

#[derive(Args)]
pub(crate) struct CatalogArg {
    /// Catalog folder.
    #[arg(long, default_value = "./.lakewarden", env = "LAKEWARDEN_CATALOG")]
    pub(crate) catalog: String,
}

#[derive(Args)]
struct ScanArgs {
    /// Roots to scan: local paths, file://, s3://bucket/prefix, az://container/prefix,
    /// abfss://container@account.dfs.core.windows.net/prefix. Scanned together
    /// with the `[scan] roots` of --config.
    uris: Vec<String>,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    config: audit::ConfigArg,
    /// Extra rule files (add entities or override built-in ones by name).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Read and classify every row instead of a sample (also re-reads
    /// datasets that are unchanged since their last scan).
    #[arg(long)]
    full: bool,
    /// Re-read every dataset, even those unchanged since their last scan (by
    /// default a dataset with the same listing — keys, sizes, ETags,
    /// modification times, Delta version — and the same rules and settings
    /// is skipped).
    #[arg(long)]
    rescan: bool,
    /// Rows drawn per dataset in sample mode [default: 2000].
    #[arg(long)]
    sample_rows: Option<u64>,
    /// Validated values a column needs before an entity is reported [default: 2].
    #[arg(long)]
    min_hits: Option<u64>,
    /// Findings below this confidence (0..1) are not reported [default: 0.45].
    #[arg(long)]
    min_confidence: Option<f64>,
    /// Share of malformed CSV / JSON Lines rows above which a dataset fails
    /// [default: 0.10].
    #[arg(long)]
    max_bad_rows: Option<f64>,
    /// Bytes of one value that are matched (longer values are cut, and the
    /// finding says so) [default: 65536].
    #[arg(long)]
    max_value_bytes: Option<usize>,
    /// Datasets read at once [default: 4].
    #[arg(long)]
    concurrency: Option<usize>,
    /// Memory for data in flight (fetched Parquet chunks, decoded batches,
    /// read buffers) across all datasets read at once, e.g. 512MiB or 2GiB
    /// [default: 1GiB]. Reads wait for room; a Parquet row group bigger than
    /// one dataset's share is read a few columns at a time.
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,
    /// Requests in flight at once to each S3 / Azure root's store [default: 64].
    #[arg(long, value_name = "N")]
    requests_per_store: Option<usize>,
    /// Catalog manifests and data files replaced longer ago than this are
    /// deleted when the scan ends, e.g. 1h, 30m or 0 [default: 1h; config:
    /// `[catalog] vacuum_grace`]. It must exceed the longest query of an
    /// older catalog generation and the longest commit of any other writer.
    #[arg(long, value_name = "DURATION")]
    vacuum_grace: Option<String>,
    /// Scan one of N disjoint parts of the estate (K in 0..N, by a stable hash of
    /// the dataset URI), for splitting a nightly scan across scheduler jobs.
    #[arg(long, value_name = "K/N")]
    shard: Option<lakewarden_scan::Shard>,
    /// Write the run summary as JSON to this file (for schedulers).
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Finish listing before reading (benchmark baseline for the overlap).
    #[arg(long, hide = true)]
    no_overlap: bool,
    /// Fetch no text file ahead of the one being parsed (benchmark baseline).
    #[arg(long, hide = true)]
    no_prefetch: bool,
    #[command(flatten)]
    llm: llm_args::LlmArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    catalog: CatalogArg,
    /// Folder of extra named queries (*.sql).
    #[arg(long)]
    queries: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// A named query (e.g. posture), a path to a .sql file, or SQL text.
    /// `--list` shows the named queries.
    query: Option<String>,
    /// List the named queries.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    config: audit::ConfigArg,
    /// Read the index-backed tables without pushing filters into Tantivy
    /// (to measure what pushdown saves).
    #[arg(long, hide = true)]
    no_index_pushdown: bool,
}

#[derive(Args)]
struct ExplainArgs {
    /// Dataset URI or path as scanned.
    dataset: String,
    /// Column path (`customer.contact.email`).
    column: String,
    #[command(flatten)]
    catalog: CatalogArg,
}

/// glibc's allocator raises its mmap threshold each time a big buffer is
/// freed, after which freed row-group buffers stay in per-thread arenas
/// instead of going back to the system: in `--full` scans peak RSS grew with
/// the work done, 1.5-2x what was in use (`benches/README.md`). A fixed
/// threshold (which also stops the adjusting) returns every buffer of 1 MiB
/// or more on free; fewer arenas keep small-object slack down. glibc's own
/// settings (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_ARENA_MAX`) win when set.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called once, first
    // thing in main, before any other thread exists.
    unsafe {
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        }
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            libc::mallopt(libc::M_ARENA_MAX, (2 * cores) as libc::c_int);
        }
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("warn,buoyant_kernel=warn,deltalake_core=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lakewarden: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Scan(a) => scan(*a).await,
            Command::Query(a) => query(a).await,
            Command::Explain(a) => explain(a).await,
            Command::Ingest(a) => audit::ingest_cmd(a).await,
            Command::Reindex(a) => audit::reindex_cmd(a).await,
            Command::Rtbf(a) => audit::rtbf_cmd(a).await,
        }
    });
    match code {
        Ok(c) => ExitCode::from(c),
        Err(e) => {
            eprintln!("lakewarden: {e:#}");
            ExitCode::from(e.downcast_ref::<UsageError>().map(|_| 2).unwrap_or(1))
        }
    }
}

/// An error that is the user's to fix (exit code 2).
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::error::Error for UsageError {}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Progress on stderr: a bar on a terminal, plain lines otherwise.
struct CliProgress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    found: std::sync::atomic::AtomicU64,
    bytes: std::sync::atomic::AtomicU64,
}

impl Progress for CliProgress {
    fn dataset_found(&self, _uri: &str, _bytes: u64) {
        let n = self
            .found
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if let Some(b) = &self.bar {
            b.set_length(n);
        }
    }

    fn dataset_done(&self, uri: &str, bytes_read: u64, status: &str) {
        let total = self
            .bytes
            .fetch_add(bytes_read, std::sync::atomic::Ordering::Relaxed)
            + bytes_read;
        match &self.bar {
            Some(b) => {
                b.inc(1);
                b.set_message(format!("{} read", human_bytes(total)));
            }
            None if !self.quiet => eprintln!("lakewarden: {status:<11} {uri}"),
            None => {}
        }
    }

    fn error(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(format!("error: {line}")),
            None => eprintln!("lakewarden: error: {line}"),
        }
    }
}

fn human_bytes(b: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", U[i])
}

/// `lakewarden scan`'s settings: flags, else the config file's `[scan]`,
/// else the defaults. Checked before anything is read or written.
fn scan_config(a: &ScanArgs) -> Result<ScanConfig> {
    let loaded = a.config.read()?;
    let file = loaded.as_ref().map(|l| &l.file.scan);
    let mut roots = a.uris.clone();
    let mut rules = a.rules.clone();
    let (mut include, mut exclude) = (Vec::new(), Vec::new());
    let mut shard = a.shard;
    let mut aws_profiles = std::collections::BTreeMap::new();
    if let (Some(l), Some(f)) = (&loaded, file) {
        // Local roots in the file are relative to the file, like its other paths.
        for r in &f.roots {
            let uri = r.uri();
            let uri = if uri.contains("://") || Path::new(uri).is_absolute() {
                uri.to_string()
            } else {
                l.resolve(Path::new(uri)).display().to_string()
            };
            if let Some(p) = r.profile() {
                aws_profiles.insert(uri.clone(), p.to_string());
            }
            roots.push(uri);
        }
        include.clone_from(&f.include);
        exclude.clone_from(&f.exclude);
        if rules.is_none() {
            rules = f.rules.as_ref().map(|r| l.resolve(r));
        }
        if shard.is_none() {
            if let Some(s) = &f.shard {
                shard = Some(
                    s.parse()
                        .map_err(|e: String| UsageError(format!("{}: [scan] {e}", l.shown)))?,
                );
            }
        }
    }
    if roots.is_empty() {
        return Err(UsageError(
            "nothing to scan: give roots as arguments or as [scan] roots in --config".into(),
        )
        .into());
    }
    let defaults_read = ReadOptions::default();
    let concurrency = a
        .concurrency
        .or(file.and_then(|f| f.concurrency))
        .unwrap_or(4)
        .max(1);
    let memory_limit = match (&a.memory_limit, file.and_then(|f| f.memory_limit.as_ref())) {
        (Some(flag), _) => lakewarden_lake::parse_size(flag)
            .map_err(|e| UsageError(format!("--memory-limit: {e}")))?,
        (None, Some(text)) => lakewarden_lake::parse_size(text).map_err(|e| {
            UsageError(format!(
                "{}: [scan] memory_limit: {e}",
                loaded
                    .as_ref()
                    .map(|l| l.shown.as_str())
                    .unwrap_or("--config")
            ))
        })?,
        (None, None) => lakewarden_scan::DEFAULT_MEMORY_LIMIT,
    };
    let defaults_cls = ClassifierConfig::default();
    let min_confidence = a
        .min_confidence
        .or(file.and_then(|f| f.min_confidence))
        .unwrap_or(defaults_cls.min_confidence);
    let max_bad_rows = a
        .max_bad_rows
        .or(file.and_then(|f| f.max_bad_rows))
        .unwrap_or(defaults_read.max_bad_row_share);
    if !(0.0..=1.0).contains(&min_confidence) || !(0.0..=1.0).contains(&max_bad_rows) {
        return Err(UsageError(
            "--min-confidence and --max-bad-rows must be between 0 and 1".into(),
        )
        .into());
    }
    let shown = loaded
        .as_ref()
        .map(|l| l.shown.as_str())
        .unwrap_or("--config");
    let filter = lakewarden_scan::DatasetFilter::new(&include, &exclude)
        .map_err(|e| UsageError(format!("{shown}: [scan] {e}")))?;
    Ok(ScanConfig {
        roots,
        catalog: a.catalog.catalog.clone(),
        rules_dir: rules,
        read: ReadOptions {
            full: a.full || file.and_then(|f| f.full).unwrap_or(false),
            sample_rows: a
                .sample_rows
                .or(file.and_then(|f| f.sample_rows))
                .unwrap_or(defaults_read.sample_rows)
                .max(1),
            max_bad_row_share: max_bad_rows,
            prefetch_files: if a.no_prefetch {
                1
            } else {
                defaults_read.prefetch_files
            },
            ..defaults_read
        },
        classifier: ClassifierConfig {
            max_value_bytes: a
                .max_value_bytes
                .or(file.and_then(|f| f.max_value_bytes))
                .unwrap_or(defaults_cls.max_value_bytes)
                .max(64),
            min_confidence,
            min_hits: a
                .min_hits
                .or(file.and_then(|f| f.min_hits))
                .unwrap_or(defaults_cls.min_hits)
                .max(1),
            ..defaults_cls
        },
        concurrency,
        memory_limit,
        requests_per_store: a
            .requests_per_store
            .or(file.and_then(|f| f.requests_per_store))
            .map(|n| n.max(1)),
        llm: a.llm.config().map_err(UsageError)?,
        shard,
        filter,
        rescan_unchanged: a.rescan,
        aws_profiles,
        no_overlap: a.no_overlap,
        vacuum_grace: config::vacuum_grace(a.vacuum_grace.as_deref(), loaded.as_ref())
            .map_err(UsageError)?,
    })
}

async fn scan(a: ScanArgs) -> Result<u8> {
    let cfg = scan_config(&a)?;
    let bar = (std::io::stderr().is_terminal() && !a.quiet).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} datasets {pos}/{len} {wide_bar} {msg} eta {eta}",
            )
            .expect("static template"),
        );
        b
    });
    let progress = Arc::new(CliProgress {
        bar: bar.clone(),
        quiet: a.quiet,
        found: Default::default(),
        bytes: Default::default(),
    });
    let summary = match run_scan(cfg, progress).await {
        Ok(s) => s,
        Err(e) if e.is_usage() => return Err(UsageError(e.to_string()).into()),
        Err(e) => return Err(e.into()),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = &a.summary_json {
        let json = serde_json::to_string_pretty(&summary)?;
        std::fs::write(path, json).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !a.quiet {
        let secs = (summary.finished_at - summary.started_at).num_milliseconds() as f64 / 1000.0;
        println!(
            "scan {} ({}): {} datasets scanned, {} unchanged, {} failed, {} unsupported, {} deleted; {} columns, {} findings; {} of {} read in {secs:.1}s",
            summary.run_id,
            summary.status,
            summary.datasets_scanned,
            summary.datasets_skipped,
            summary.datasets_failed,
            summary.datasets_unsupported,
            summary.datasets_deleted,
            summary.columns,
            summary.findings,
            human_bytes(summary.bytes_read),
            human_bytes(summary.bytes_total),
        );
        for (entity, n) in &summary.findings_by_entity {
            println!("  {entity:<16} {n}");
        }
        for e in &summary.errors {
            println!("  error: {e}");
        }
    }
    llm_args::print_summary(&summary, a.quiet);
    if summary.status == "failed" {
        return Ok(1);
    }
    Ok(summary.exit_code() as u8)
}

async fn query(a: QueryArgs) -> Result<u8> {
    let named = NamedQueries::load(a.queries.as_deref()).map_err(|e| UsageError(e.to_string()))?;
    if a.list {
        for (name, about) in named.list() {
            println!("{name:<24} {about}");
        }
        return Ok(0);
    }
    let Some(q) = a.query else {
        return Err(UsageError(
            "give a query: a name (see --list), a .sql file or SQL text".into(),
        )
        .into());
    };
    let sql = named.resolve(&q).map_err(|e| UsageError(e.to_string()))?;
    let mut opts = a.config.session_options()?;
    opts.index_pushdown = !a.no_index_pushdown;
    let catalog = Catalog::open(&a.catalog.catalog).await?;
    let (ctx, _snapshot) = lakewarden_query::open_session(&catalog, &opts).await?;
    let batches = lakewarden_query::run(&ctx, &sql)
        .await
        .map_err(|e| UsageError(format!("query: {e}")))?;
    let format = match a.format {
        Format::Table => OutputFormat::Table,
        Format::Csv => OutputFormat::Csv,
        Format::Json => OutputFormat::Json,
    };
    print!("{}", lakewarden_query::render(&batches, format)?);
    if format == OutputFormat::Table {
        println!();
    }
    Ok(0)
}

async fn explain(a: ExplainArgs) -> Result<u8> {
    let uri = lakewarden_lake::canonical_uri(&a.dataset).map_err(|e| UsageError(e.to_string()))?;
    let catalog = Catalog::open(&a.catalog.catalog).await?;
    let snapshot = catalog.snapshot().await?;
    let keys = vec![uri.clone()];
    let datasets: Vec<DatasetRow> = snapshot.read_rows(Some(&keys)).await?;
    let Some(ds) = datasets.first() else {
        return Err(UsageError(format!("{uri}: not in the catalog (scan it first)")).into());
    };
    let columns: Vec<ColumnRow> = snapshot.read_rows(Some(&keys)).await?;
    let Some(col) = columns.iter().find(|c| c.column_path == a.column) else {
        let known: Vec<&str> = columns.iter().map(|c| c.column_path.as_str()).collect();
        return Err(UsageError(format!(
            "{uri}: no column {:?} (columns: {})",
            a.column,
            known.join(", ")
        ))
        .into());
    };
    let findings: Vec<ClassificationRow> = snapshot
        .read_rows::<ClassificationRow>(Some(&keys))
        .await?
        .into_iter()
        .filter(|f| f.column_path == a.column)
        .collect();
    println!("{uri} :: {}", col.column_path);
    println!(
        "  type {}, {} values looked at, {:.1}% null; dataset {} rows, status {}, scanned in run {}",
        col.data_type,
        col.values_sampled,
        col.null_fraction * 100.0,
        ds.row_count.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
        ds.status,
        col.run_id
    );
    if findings.is_empty() {
        println!("  findings: none");
    }
    for f in &findings {
        println!(
            "  FOUND {} ({}) confidence {:.2} by {}: {} of {} values validated, {} matched",
            f.entity,
            f.sensitivity,
            f.confidence,
            f.method,
            f.validated_values,
            f.sampled_values,
            f.matched_values
        );
        if !f.evidence.is_empty() {
            println!("    examples (masked): {}", f.evidence);
        }
        println!("    how: {}", f.explanation);
        println!(
            "    first seen in run {}, last seen in run {}",
            f.first_seen_run, f.last_seen_run
        );
    }
    if let Some(c) = &col.considered {
        let considered: Vec<serde_json::Value> = serde_json::from_str(c).unwrap_or_default();
        let rejected: Vec<&serde_json::Value> = considered
            .iter()
            .filter(|v| v["reported"] == false)
            .collect();
        if !rejected.is_empty() {
            println!("  considered and rejected:");
            for r in rejected {
                println!(
                    "    {} — {}",
                    r["entity"].as_str().unwrap_or("?"),
                    r["reason"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(0)
}
