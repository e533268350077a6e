//! `lakewarden-query`: a DataFusion session over the catalog, and named queries.
//!
//! Every catalog table is registered under its name as a Parquet
//! `ListingTable` over exactly the files the current manifest lists (so a
//! half-written commit is never visible), with the schema from
//! `lakewarden_catalog::Table::schema`. Named queries are `queries/*.sql`,
//! built into the binary; `--queries DIR` adds or overrides.
//!
//! The ingested tables `access_events`, `lineage_edges`, `models` and
//! `model_inputs` are [`indexed::IndexedTable`]s over their Tantivy indexes
//! (synced with the catalog when a session opens), with locations resolved to
//! catalog datasets at query time; `rtbf` answers a deletion request.
//!
//! Architecture Invariant: nothing here writes the catalog. Opening a session
//! may bring the derived Tantivy indexes up to date with it.

use arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use include_dir::{include_dir, Dir};
use lakewarden_catalog::{Snapshot, Table};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod indexed;
pub mod retention;
pub mod rtbf;

pub use retention::RetentionPolicies;
pub use rtbf::{rtbf, RtbfOptions, RtbfReport, SubjectArg, RTBF_SCHEMA_VERSION};

use lakewarden_catalog::Catalog;
use lakewarden_index::{sync_indexes, Aliases, LocationResolver, TableIndex, INDEXED_TABLES};

static BUILTIN_QUERIES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../queries");

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    DataFusion(String),
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("catalog: {0}")]
    Catalog(#[from] lakewarden_catalog::CatalogError),
}

impl From<datafusion::error::DataFusionError> for QueryError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        // Keep the first line: planner errors are long but quote only SQL text.
        QueryError::DataFusion(e.to_string().lines().next().unwrap_or_default().to_string())
    }
}

/// A DataFusion session with every catalog table of `snapshot` registered.
pub async fn session(snapshot: &Snapshot) -> Result<SessionContext, QueryError> {
    let ctx = SessionContext::new();
    for &table in Table::ALL {
        let schema = table.schema();
        let files = snapshot.table_files(table);
        if files.is_empty() {
            let empty = MemTable::try_new(schema.clone(), vec![vec![]])?;
            ctx.register_table(table.name(), Arc::new(empty))?;
            continue;
        }
        let urls = files
            .iter()
            .map(ListingTableUrl::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(schema);
        ctx.register_table(table.name(), Arc::new(ListingTable::try_new(config)?))?;
    }
    Ok(ctx)
}

/// How a session is opened over a catalog.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// `[aliases]` of the config: how logs and lineage spell lake locations.
    pub aliases: Aliases,
    /// Push SQL filters into the Tantivy indexes (off only to measure the gain).
    pub index_pushdown: bool,
    /// Registered as the `retention_policies` table.
    pub retention: RetentionPolicies,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            aliases: Aliases::default(),
            index_pushdown: true,
            retention: RetentionPolicies::load(None)
                .expect("built-in retention policies are valid"),
        }
    }
}

/// A session over the catalog's current snapshot, with the ingested tables
/// backed by their (freshly synced) Tantivy indexes. When an index cannot be
/// opened or synced (another process holds its writer), that table is read
/// from the catalog files instead — same rows, no pushdown — with a warning.
pub async fn open_session(
    catalog: &Catalog,
    opts: &SessionOptions,
) -> Result<(SessionContext, Snapshot), QueryError> {
    let snapshot = catalog.snapshot().await?;
    let ctx = session(&snapshot).await?;
    let resolver = Arc::new(LocationResolver::new(
        opts.aliases.clone(),
        snapshot.keys(Table::Datasets).await?,
    ));
    let policies = MemTable::try_new(
        RetentionPolicies::schema(),
        vec![vec![opts.retention.to_batch()]],
    )?;
    ctx.register_table("retention_policies", Arc::new(policies))?;
    let synced = sync_indexes(catalog, false).await;
    if let Err(e) = &synced {
        tracing::warn!("{e}; reading the ingested tables from the catalog files");
    }
    for table in INDEXED_TABLES {
        ctx.deregister_table(table.name())?;
        let index = match &synced {
            Ok(_) => TableIndex::open(&lakewarden_index::index_dir(catalog, table), table)
                .map_err(|e| tracing::warn!("{e}"))
                .ok(),
            Err(_) => None,
        };
        match index {
            Some(index) => {
                let provider = indexed::IndexedTable::new(
                    Arc::new(index),
                    Arc::clone(&resolver),
                    opts.index_pushdown,
                );
                ctx.register_table(table.name(), Arc::new(provider))?;
            }
            None => {
                let rows = snapshot.read_table(table).await?;
                let rows = indexed::resolve_all(table, &rows, &resolver)
                    .map_err(|e| QueryError::DataFusion(e.to_string()))?;
                let mem = MemTable::try_new(indexed::output_schema(table), vec![rows])?;
                ctx.register_table(table.name(), Arc::new(mem))?;
            }
        }
    }
    Ok((ctx, snapshot))
}

/// Built-in and user named queries: name → SQL text.
pub struct NamedQueries {
    queries: BTreeMap<String, (String, String)>,
}

impl NamedQueries {
    /// The built-in queries plus `*.sql` of `extra` (overriding by name).
    pub fn load(extra: Option<&Path>) -> Result<Self, QueryError> {
        let mut queries = BTreeMap::new();
        for f in BUILTIN_QUERIES.files() {
            if f.path().extension().is_some_and(|e| e == "sql") {
                let name = f
                    .path()
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let sql = f.contents_utf8().unwrap_or_default().to_string();
                queries.insert(name, (sql, "built-in".to_string()));
            }
        }
        if let Some(dir) = extra {
            let entries = std::fs::read_dir(dir).map_err(|e| QueryError::File {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            for entry in entries.flatten() {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "sql") {
                    let sql = std::fs::read_to_string(&p).map_err(|e| QueryError::File {
                        path: p.display().to_string(),
                        message: e.to_string(),
                    })?;
                    let name = p
                        .file_stem()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .to_string();
                    queries.insert(name, (sql, p.display().to_string()));
                }
            }
        }
        Ok(NamedQueries { queries })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.queries.get(name).map(|(s, _)| s.as_str())
    }

    /// (name, first comment line) of every query, for `--help`-like listings.
    pub fn list(&self) -> Vec<(String, String)> {
        self.queries
            .iter()
            .map(|(n, (sql, _))| {
                let about = sql
                    .lines()
                    .find_map(|l| l.strip_prefix("--"))
                    .unwrap_or("")
                    .trim()
                    .to_string();
                (n.clone(), about)
            })
            .collect()
    }

    /// `arg` is a named query, a path to an existing `.sql` file, or SQL.
    pub fn resolve(&self, arg: &str) -> Result<String, QueryError> {
        if let Some(sql) = self.get(arg) {
            return Ok(sql.to_string());
        }
        let p = PathBuf::from(arg);
        if arg.ends_with(".sql") || (p.is_file() && !arg.contains(char::is_whitespace)) {
            return std::fs::read_to_string(&p).map_err(|e| QueryError::File {
                path: arg.to_string(),
                message: e.to_string(),
            });
        }
        Ok(arg.to_string())
    }
}

/// Run SQL and collect the result.
pub async fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
    let df = ctx.sql(sql).await?;
    Ok(df.collect().await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// Render batches as a text table, CSV with a header, or a JSON array of objects.
pub fn render(batches: &[RecordBatch], format: OutputFormat) -> Result<String, QueryError> {
    let err = |e: arrow::error::ArrowError| QueryError::DataFusion(e.to_string());
    match format {
        OutputFormat::Table => Ok(arrow::util::pretty::pretty_format_batches(batches)
            .map_err(err)?
            .to_string()),
        OutputFormat::Csv => {
            let mut buf = Vec::new();
            {
                let mut w = arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut buf);
                for b in batches {
                    w.write(b).map_err(err)?;
                }
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        OutputFormat::Json => {
            let mut buf = Vec::new();
            {
                let mut w = arrow::json::ArrayWriter::new(&mut buf);
                for b in batches {
                    w.write(b).map_err(err)?;
                }
                w.finish().map_err(err)?;
            }
            let s = String::from_utf8_lossy(&buf).into_owned();
            Ok(if s.is_empty() { "[]".into() } else { s })
        }
    }
}
