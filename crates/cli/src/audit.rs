//! `ingest`, `reindex` and `rtbf`: who read it, what was built from it, what
//! must be deleted. Presentation only; the work is in `lakewarden-index` and
//! `lakewarden-query`.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use lakewarden_catalog::{Catalog, IngestFormat};
use lakewarden_index::{ingest, sync_indexes, Aliases, IngestOptions};
use lakewarden_query::{RetentionPolicies, RtbfOptions, RtbfReport, SessionOptions, SubjectArg};

use crate::config::LoadedConfig;
use crate::{CatalogArg, UsageError};

/// `--config FILE`: the lakewarden config (`[aliases]`, `[lineage]`).
#[derive(Args, Clone)]
pub struct ConfigArg {
    /// Config file (TOML): `[scan]` (roots, include / exclude globs, sampling,
    /// concurrency, shard), `[aliases]` ("s3://corp-lake" = "/mnt/mirror"),
    /// `[lineage] model_namespaces`, `[retention] policies`. Relative paths in
    /// it are relative to the file; unknown keys are errors.
    #[arg(long, env = "LAKEWARDEN_CONFIG")]
    pub config: Option<PathBuf>,
}

/// What the config file says (absent file: defaults).
pub struct Config {
    pub aliases: Aliases,
    pub model_namespaces: Vec<String>,
    pub retention: RetentionPolicies,
}

/// OpenLineage namespaces of model registries, unless the config says otherwise.
const DEFAULT_MODEL_NAMESPACES: [&str; 3] = ["mlflow://", "models:/", "model://"];

impl ConfigArg {
    /// The file as read and checked (every key known), if one was given.
    pub fn read(&self) -> Result<Option<LoadedConfig>> {
        match &self.config {
            Some(path) => Ok(Some(LoadedConfig::read(path).map_err(UsageError)?)),
            None => Ok(None),
        }
    }

    pub fn load(&self) -> Result<Config> {
        Self::config_of(self.read()?.as_ref())
    }

    /// What an already read file says (`None`: no file, defaults).
    pub fn config_of(loaded: Option<&LoadedConfig>) -> Result<Config> {
        let mut cfg = Config {
            aliases: Aliases::default(),
            model_namespaces: DEFAULT_MODEL_NAMESPACES.map(String::from).to_vec(),
            retention: RetentionPolicies::load(None)?,
        };
        let Some(loaded) = loaded else {
            return Ok(cfg);
        };
        cfg.aliases = Aliases::from_toml(&loaded.text, &loaded.shown, &loaded.base)
            .map_err(|e| UsageError(e.to_string()))?;
        if let Some(ns) = &loaded.file.lineage.model_namespaces {
            cfg.model_namespaces = ns.clone();
        }
        if let Some(file) = &loaded.file.retention.policies {
            cfg.retention = RetentionPolicies::load(Some(&loaded.resolve(file)))
                .map_err(|e| UsageError(e.to_string()))?;
        }
        Ok(cfg)
    }

    pub fn session_options(&self) -> Result<SessionOptions> {
        let cfg = self.load()?;
        Ok(SessionOptions {
            aliases: cfg.aliases,
            retention: cfg.retention,
            ..SessionOptions::default()
        })
    }
}

#[derive(Subcommand)]
pub enum IngestCommand {
    /// Access logs: S3 server access logs, CloudTrail, Azure Storage logs.
    AccessLogs(IngestLogsArgs),
    /// OpenLineage run events (JSON Lines).
    Lineage(IngestLineageArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    S3,
    Cloudtrail,
    Azure,
}

#[derive(Args)]
pub struct IngestLogsArgs {
    /// Files or folders: local paths, s3://…, az://…, abfss://….
    #[arg(required = true)]
    uris: Vec<String>,
    #[arg(long, value_enum)]
    format: LogFormatArg,
    #[command(flatten)]
    common: IngestCommon,
}

#[derive(Args)]
pub struct IngestLineageArgs {
    /// Files or folders of OpenLineage events.
    #[arg(required = true)]
    uris: Vec<String>,
    #[command(flatten)]
    common: IngestCommon,
}

#[derive(Args)]
pub struct IngestCommon {
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    config: ConfigArg,
    /// Parse files again even when unchanged since their last ingest.
    #[arg(long)]
    force: bool,
    /// Catalog manifests and data files replaced longer ago than this are
    /// deleted when the ingest ends [default: 1h; config: `[catalog]
    /// vacuum_grace`].
    #[arg(long, value_name = "DURATION")]
    vacuum_grace: Option<String>,
    /// Write the ingest summary as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

pub async fn ingest_cmd(cmd: IngestCommand) -> Result<u8> {
    let (uris, format, common) = match cmd {
        IngestCommand::AccessLogs(a) => {
            let f = match a.format {
                LogFormatArg::S3 => IngestFormat::S3,
                LogFormatArg::Cloudtrail => IngestFormat::CloudTrail,
                LogFormatArg::Azure => IngestFormat::Azure,
            };
            (a.uris, f, a.common)
        }
        IngestCommand::Lineage(a) => (a.uris, IngestFormat::OpenLineage, a.common),
    };
    let loaded = common.config.read()?;
    let cfg = ConfigArg::config_of(loaded.as_ref())?;
    let vacuum_grace = crate::config::vacuum_grace(common.vacuum_grace.as_deref(), loaded.as_ref())
        .map_err(UsageError)?;
    let catalog = Catalog::open(&common.catalog.catalog).await?;
    let opts = IngestOptions {
        format,
        model_namespaces: cfg.model_namespaces,
        force: common.force,
    };
    let summary = match ingest(&catalog, &uris, &opts).await {
        Ok(s) => s,
        Err(e) if e.is_usage() => return Err(UsageError(e.to_string()).into()),
        Err(e) => return Err(e.into()),
    };
    // Old manifests and replaced files do not pile up. (Ingest tables are not
    // compacted: the Tantivy indexes track which catalog files hold each
    // log file's rows, and a compaction would make them re-index everything.)
    if let Err(e) = catalog.vacuum(vacuum_grace).await {
        tracing::warn!("catalog vacuum skipped: {e}");
    }
    if let Some(path) = &common.summary_json {
        std::fs::write(path, serde_json::to_string_pretty(&summary)?)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    for f in summary.files.iter().filter(|f| f.status == "error") {
        eprintln!(
            "lakewarden: error: {}: {}",
            f.uri,
            f.error.as_deref().unwrap_or("failed")
        );
    }
    if !common.quiet {
        for f in summary.files.iter().filter(|f| f.malformed > 0) {
            for (line, reason) in &f.first_malformed {
                eprintln!("lakewarden: {}:{line}: malformed, skipped: {reason}", f.uri);
            }
            if f.malformed > f.first_malformed.len() as u64 {
                eprintln!(
                    "lakewarden: {}: {} malformed lines in all",
                    f.uri, f.malformed
                );
            }
        }
        println!(
            "ingest {}: {} files ingested, {} unchanged, {} failed; {} rows, {} malformed lines skipped",
            summary.format,
            summary.files_ingested,
            summary.files_unchanged,
            summary.files_failed,
            summary.rows,
            summary.malformed_lines
        );
        if let Some(e) = &summary.index_error {
            println!(
                "  index not updated ({e}); the next query or `lakewarden reindex` catches up"
            );
        }
    }
    Ok(if summary.files_failed > 0 { 3 } else { 0 })
}

#[derive(Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    catalog: CatalogArg,
}

/// Rebuilds every Tantivy index from the catalog.
pub async fn reindex_cmd(a: ReindexArgs) -> Result<u8> {
    let catalog = Catalog::open(&a.catalog.catalog).await?;
    for (table, s) in sync_indexes(&catalog, true).await? {
        println!("{table}: {} rows indexed", s.rows_indexed);
    }
    Ok(0)
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RtbfFormat {
    Table,
    Json,
}

#[derive(Args)]
pub struct RtbfArgs {
    /// KIND=VALUE: email=, phone=, name=, customer_id=, or any column=value
    /// (kinds are defined in rules/subjects.toml). Repeat for several.
    #[arg(long = "subject", required = true)]
    subjects: Vec<String>,
    /// Also search identifiers found in the subject's own rows (one hop).
    #[arg(long)]
    expand: bool,
    #[arg(long, value_enum, default_value_t = RtbfFormat::Table)]
    format: RtbfFormat,
    /// Read without predicate pushdown: the baseline that tests and
    /// `scripts/bench-rtbf.sh` compare the pushed-down reads with.
    #[arg(long, hide = true)]
    no_pushdown: bool,
    #[command(flatten)]
    catalog: CatalogArg,
    #[command(flatten)]
    config: ConfigArg,
}

pub async fn rtbf_cmd(a: RtbfArgs) -> Result<u8> {
    let subjects = a
        .subjects
        .iter()
        .map(|s| SubjectArg::parse(s).map_err(|e| UsageError(format!("--subject: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = a.config.session_options()?;
    let catalog = Catalog::open(&a.catalog.catalog).await?;
    let (ctx, snapshot) = lakewarden_query::open_session(&catalog, &opts).await?;
    let report = lakewarden_query::rtbf(
        &snapshot,
        &ctx,
        &subjects,
        &opts.retention,
        &RtbfOptions {
            expand: a.expand,
            hash_key: std::env::var("LAKEWARDEN_RTBF_KEY").ok(),
            no_pushdown: a.no_pushdown,
        },
    )
    .await?;
    match a.format {
        RtbfFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        RtbfFormat::Table => print_report(&report),
    }
    Ok(0)
}

fn print_report(r: &RtbfReport) {
    let subjects: Vec<String> = r
        .subjects
        .iter()
        .map(|s| format!("{}={}", s.kind, s.value))
        .collect();
    println!("Right-to-be-forgotten impact for {}", subjects.join(", "));
    println!(
        "  catalog generation {}, {} datasets read ({} columns, {} of {} bytes in the lake)",
        r.catalog_generation,
        r.read.datasets_read,
        r.read.columns_read,
        r.read.bytes_read,
        r.read.lake_bytes
    );
    let pushed: Vec<_> = r
        .read
        .datasets
        .iter()
        .filter(|d| d.pushdown == "pushed_down")
        .collect();
    if !pushed.is_empty() {
        let sum = |f: fn(&&lakewarden_query::rtbf::DatasetRead) -> u64| -> u64 {
            pushed.iter().map(f).sum()
        };
        println!(
            "  identifiers pushed down into {} of them: {} of {} row groups, {} of {} files, {} of {} bytes read",
            pushed.len(),
            sum(|d| d.row_groups_read.unwrap_or(0)),
            sum(|d| d.row_groups_read.unwrap_or(0) + d.row_groups_skipped.unwrap_or(0)),
            sum(|d| d.files_read),
            sum(|d| d.files_total),
            sum(|d| d.bytes_read),
            sum(|d| d.bytes_total),
        );
    }
    for d in &r.derived_identifiers {
        println!(
            "  derived {} ({}): {} hash {} — found in {}",
            d.id,
            d.kind,
            d.masked,
            d.keyed_hash,
            d.found_in.join(", ")
        );
    }
    println!("\nHolds the subject ({} datasets):", r.datasets.len());
    for d in &r.datasets {
        println!("  {}  [{}] {} rows", d.dataset_uri, d.format, d.rows);
        for o in r
            .occurrences
            .iter()
            .filter(|o| o.dataset_uri == d.dataset_uri)
        {
            println!(
                "      {:<32} {:<12} {} rows",
                o.column_path, o.subject, o.rows
            );
        }
    }
    println!(
        "\nOlder Delta versions still readable by time travel ({}):",
        r.time_travel.len()
    );
    let day = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "?".into())
    };
    for t in &r.time_travel {
        println!(
            "  {} version {} ({}): {} rows{} — log kept until {}, files vacuumable after {}",
            t.dataset_uri,
            t.version,
            day(t.committed_at),
            t.rows,
            if t.rows_in_latest == 0 {
                " [gone from the latest version]"
            } else {
                ""
            },
            day(t.log_expires_at),
            day(t.files_vacuumable_at),
        );
    }
    for m in &r.log_mentions {
        println!(
            "  {} version {}: its {} commit's parameters spell {} (not shown)",
            m.dataset_uri,
            m.version,
            m.operation.as_deref().unwrap_or("?"),
            m.subject
        );
    }
    println!("\nDownstream ({}):", r.downstream.len());
    for d in &r.downstream {
        let mut flags = Vec::new();
        if d.masked_on_every_path {
            flags.push("masked on the way");
        }
        if !d.in_catalog {
            flags.push("outside the scanned lake");
        }
        println!(
            "  {}{} (depth {}, from {})",
            d.dataset_uri,
            if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            },
            d.depth,
            d.from.join(", ")
        );
    }
    println!("\nModels trained on affected data ({}):", r.models.len());
    for m in &r.models {
        println!(
            "  {} {} — trained on {}",
            m.model_uri,
            m.model_version.as_deref().unwrap_or(""),
            m.trained_on.join(", ")
        );
    }
    println!("\nWho accessed affected data ({}):", r.readers.len());
    for a in &r.readers {
        println!(
            "  {:<6} {}{} {} events, {} .. {} on {}",
            a.access,
            a.principal,
            a.principal_detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            a.events,
            a.first_access.format("%Y-%m-%d"),
            a.last_access.format("%Y-%m-%d"),
            a.dataset_uri
        );
    }
    println!("\nRetention policies ({}):", r.retention.len());
    for p in &r.retention {
        println!(
            "  {} ({} days) on {}: {}",
            p.policy, p.max_age_days, p.dataset_uri, p.reason
        );
    }
    for n in &r.notes {
        println!("\nnote: {n}");
    }
}
