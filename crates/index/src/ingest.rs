//! `lakewarden ingest`: log and lineage files → catalog rows → Tantivy.
//!
//! For every file under the given URIs (local paths, `s3://`, `az://`,
//! `abfss://`; names starting with `_` or `.` skipped, gzip sniffed), in path
//! order:
//!
//! 1. fetch it and hash it (SHA-256 of the stored bytes). A file whose
//!    `ingest_sources` row has the same hash is **unchanged** and skipped, so
//!    re-ingesting a folder adds nothing; a changed file (a log appended to)
//!    is parsed again and replaces its earlier rows;
//! 2. parse it on the blocking pool (malformed lines counted with their line
//!    numbers, never fatal);
//! 3. commit its rows keyed by `ingested_from` (the file's canonical URI)
//!    together with its `ingest_sources` row — several files per commit, each
//!    commit atomic, so a killed ingest leaves whole files or nothing;
//! 4. meanwhile, hand its rows (in memory) to the Tantivy index of their
//!    table as soon as they are parsed ([`IndexUpdate::add`]: indexed in the
//!    background while the next file is fetched and parsed), and after each
//!    commit record which catalog files hold them
//!    ([`IndexUpdate::committed`]) — the index never reads back what it was
//!    given. When the catalog moved on between a commit and that record
//!    (another writer), what was added is rolled back instead;
//! 5. after the last commit, finish the index updates (anything the catalog
//!    holds that they were not given, e.g. rows another process committed, is
//!    read from the catalog) and bring the other indexes up to date: one
//!    Tantivy commit per index. An index that cannot be updated (another
//!    process holds its writer) is reported, not fatal: the catalog holds
//!    everything and the next query or `lakewarden reindex` catches up.
//!
//! A file is read into memory whole (log objects are written in pieces of
//! kilobytes to a few tens of megabytes by S3, CloudTrail and Azure); events
//! stream from the parser into Arrow builders.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder, TimestampMicrosecondBuilder,
};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use lakewarden_catalog::{Catalog, Commit, IngestFormat, Snapshot, Table};
use lakewarden_lake::{open_store, LakeLocation};
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::gz::maybe_gzip_bytes;
use crate::table_index::{IndexUpdate, SyncStats, TableIndex, TableIndexError};
use crate::{
    parse_azure_storage_log, parse_cloudtrail, parse_openlineage, parse_s3_access_log, AccessEvent,
    LineageBatch, ParseReport,
};

/// Version of the JSON ingest summary.
pub const INGEST_SUMMARY_SCHEMA_VERSION: u32 = 1;

/// Files committed together (each commit is one manifest swap).
const FILES_PER_COMMIT: usize = 64;
/// Rows after which a commit is made regardless of the file count.
const ROWS_PER_COMMIT: usize = 500_000;

/// The tables mirrored in Tantivy.
pub const INDEXED_TABLES: [Table; 4] = [
    Table::AccessEvents,
    Table::LineageEdges,
    Table::Models,
    Table::ModelInputs,
];

/// What to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub format: IngestFormat,
    /// Namespace prefixes whose OpenLineage outputs are models (`mlflow://`, …).
    pub model_namespaces: Vec<String>,
    /// Parse files again even when their hash is unchanged.
    pub force: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    pub uri: String,
    /// `ingested`, `unchanged` or `error`.
    pub status: &'static str,
    pub lines: u64,
    pub events: u64,
    pub malformed: u64,
    /// (line, reason) of the first malformed lines; reasons never quote content.
    pub first_malformed: Vec<(u64, String)>,
    /// Why the file could not be read, or where reading stopped.
    pub error: Option<String>,
}

/// The result of one `lakewarden ingest`.
#[derive(Debug, Clone, Serialize)]
pub struct IngestSummary {
    pub schema_version: u32,
    pub format: String,
    pub files_ingested: u64,
    pub files_unchanged: u64,
    pub files_failed: u64,
    pub rows: u64,
    pub malformed_lines: u64,
    pub files: Vec<FileOutcome>,
    /// Table → what the index sync did (absent when indexing failed: see `index_error`).
    pub index: BTreeMap<String, IndexSyncSummary>,
    pub index_error: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct IndexSyncSummary {
    pub keys_replaced: u64,
    pub keys_deleted: u64,
    pub rows_indexed: u64,
}

impl From<SyncStats> for IndexSyncSummary {
    fn from(s: SyncStats) -> Self {
        IndexSyncSummary {
            keys_replaced: s.keys_replaced,
            keys_deleted: s.keys_deleted,
            rows_indexed: s.rows_indexed,
        }
    }
}

/// Errors that stop an ingest as a whole (a bad file only fails itself).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Location(#[from] lakewarden_lake::LakeError),
    #[error("{uri}: listing failed: {message}")]
    List { uri: String, message: String },
    #[error("catalog: {0}")]
    Catalog(#[from] lakewarden_catalog::CatalogError),
}

impl IngestError {
    /// Usage / configuration problems (exit code 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            IngestError::Location(lakewarden_lake::LakeError::BadUri { .. })
        )
    }
}

/// A file to ingest: its store, key and canonical URI.
struct LogObject {
    store: Arc<dyn ObjectStore>,
    key: object_store::path::Path,
    uri: String,
}

/// Ingests every file under `uris` into `catalog`, then syncs the indexes.
pub async fn ingest(
    catalog: &Catalog,
    uris: &[String],
    opts: &IngestOptions,
) -> Result<IngestSummary, IngestError> {
    let mut objects = Vec::new();
    for uri in uris {
        objects.extend(list_objects(uri).await?);
    }
    let known = ingested_hashes(&catalog.snapshot().await?).await?;
    let mut summary = IngestSummary {
        schema_version: INGEST_SUMMARY_SCHEMA_VERSION,
        format: opts.format.as_str().to_string(),
        files_ingested: 0,
        files_unchanged: 0,
        files_failed: 0,
        rows: 0,
        malformed_lines: 0,
        files: Vec::new(),
        index: BTreeMap::new(),
        index_error: None,
    };
    let mut pending = Pending::default();
    let mut live = LiveIndexes::new(catalog);
    for obj in objects {
        let bytes = match obj.store.get(&obj.key).await {
            Ok(r) => r.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => {
                summary.files_failed += 1;
                summary.files.push(FileOutcome::failed(
                    &obj.uri,
                    format!("read failed: {}", store_error_kind(&e)),
                ));
                continue;
            }
        };
        let sha = hex::encode(Sha256::digest(&bytes));
        if !opts.force && known.get(&obj.uri) == Some(&sha) {
            summary.files_unchanged += 1;
            summary.files.push(FileOutcome {
                uri: obj.uri,
                status: "unchanged",
                lines: 0,
                events: 0,
                malformed: 0,
                first_malformed: Vec::new(),
                error: None,
            });
            continue;
        }
        let size = bytes.len() as i64;
        let parsed = {
            let opts = opts.clone();
            let uri = obj.uri.clone();
            tokio::task::spawn_blocking(move || parse_file(bytes, &uri, &opts)).await
        };
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => {
                summary.files_failed += 1;
                summary
                    .files
                    .push(FileOutcome::failed(&obj.uri, format!("parser failed: {e}")));
                continue;
            }
        };
        let (tables, report, fatal) = parsed;
        if let Some(reason) = fatal {
            // Not a file of this format at all: nothing is committed for it.
            summary.files_failed += 1;
            summary.files.push(FileOutcome::failed(&obj.uri, reason));
            continue;
        }
        let rows: usize = tables.iter().map(|(_, b)| b.num_rows()).sum();
        live.add(&obj.uri, &tables).await;
        let source = source_row(&obj.uri, opts.format, &sha, size, &report);
        pending.add(PendingFile {
            uri: obj.uri.clone(),
            tables,
            source,
        });
        summary.files_ingested += 1;
        summary.rows += rows as u64;
        summary.malformed_lines += report.malformed;
        summary.files.push(FileOutcome {
            uri: obj.uri,
            status: "ingested",
            lines: report.lines,
            events: rows as u64,
            malformed: report.malformed,
            first_malformed: report.first_malformed.clone(),
            error: report.read_error.clone(),
        });
        if pending.files.len() >= FILES_PER_COMMIT || pending.rows() >= ROWS_PER_COMMIT {
            pending.commit(catalog, &mut live).await?;
        }
    }
    pending.commit(catalog, &mut live).await?;
    match live.finish(catalog).await {
        Ok(stats) => {
            summary.index = stats
                .into_iter()
                .map(|(t, s)| (t.name().to_string(), s.into()))
                .collect()
        }
        // The catalog holds everything; the next query or `reindex` catches up.
        Err(e) => summary.index_error = Some(e.to_string()),
    }
    Ok(summary)
}

/// A parsed file waiting for its commit.
struct PendingFile {
    uri: String,
    /// Its rows per table (tables it has no rows in included: their rows for
    /// this file are replaced by none).
    tables: Vec<(Table, RecordBatch)>,
    /// Its `ingest_sources` row.
    source: RecordBatch,
}

/// The files of the next commit.
#[derive(Default)]
struct Pending {
    files: Vec<PendingFile>,
}

impl Pending {
    fn add(&mut self, file: PendingFile) {
        // The same file listed twice (overlapping URIs): the last parse wins.
        self.files.retain(|f| f.uri != file.uri);
        self.files.push(file);
    }

    fn rows(&self) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.tables)
            .map(|(_, b)| b.num_rows())
            .sum()
    }

    /// Commits the pending files (one catalog commit: each table's rows
    /// replaced for all their keys at once), then tells the live indexes
    /// which catalog files hold the rows they were given.
    async fn commit(
        &mut self,
        catalog: &Catalog,
        live: &mut LiveIndexes,
    ) -> Result<(), IngestError> {
        let files = std::mem::take(&mut self.files);
        if files.is_empty() {
            return Ok(());
        }
        let uris: Vec<String> = files.iter().map(|f| f.uri.clone()).collect();
        let mut per_table: BTreeMap<Table, Vec<(String, RecordBatch)>> = BTreeMap::new();
        let mut sources = Vec::with_capacity(files.len());
        for f in files {
            for (table, batch) in f.tables {
                per_table
                    .entry(table)
                    .or_default()
                    .push((f.uri.clone(), batch));
            }
            sources.push(f.source);
        }
        let mut change = Commit::new();
        for (&table, rows) in &per_table {
            let batches = rows.iter().map(|(_, b)| b.clone()).collect();
            change.replace_batches(table, uris.clone(), batches);
        }
        change.replace_batches(Table::IngestSources, uris, sources);
        let generation = catalog.commit(change).await?;
        let keys = per_table
            .into_iter()
            .map(|(t, rows)| (t, rows.into_iter().map(|(k, _)| k).collect()))
            .collect();
        live.committed(catalog, generation, keys).await;
        Ok(())
    }
}

/// The index updates of one ingest, opened on the first file with rows for
/// their table, fed every parsed file's rows and told about every commit.
struct LiveIndexes {
    dirs: BTreeMap<Table, PathBuf>,
    /// Table → its open update, or why it could not be opened or fed (then
    /// [`LiveIndexes::finish`] syncs that index from the catalog instead).
    updates: BTreeMap<Table, Result<IndexUpdate, String>>,
}

impl LiveIndexes {
    fn new(catalog: &Catalog) -> Self {
        LiveIndexes {
            dirs: INDEXED_TABLES
                .iter()
                .map(|&t| (t, index_dir(catalog, t)))
                .collect(),
            updates: BTreeMap::new(),
        }
    }

    /// Hands a parsed file's rows (keyed by `uri`) to the indexes of their
    /// tables; they are indexed in the background.
    async fn add(&mut self, uri: &str, tables: &[(Table, RecordBatch)]) {
        for (table, batch) in tables {
            let Some(dir) = self.dirs.get(table) else {
                continue; // not an indexed table
            };
            let update = self.updates.entry(*table).or_insert_with(|| {
                TableIndex::open(dir, *table)
                    .and_then(|index| index.update())
                    .map_err(|e| e.to_string())
            });
            let Ok(up) = update else {
                continue;
            };
            if let Err(e) = up.add(vec![uri.to_string()], vec![batch.clone()]).await {
                tracing::warn!("{e}; the index will be synced from the catalog");
                *update = Err(e.to_string());
            }
        }
    }

    /// Records, for the keys a commit of `generation` wrote (table → keys),
    /// the catalog files now holding them. When the catalog moved on
    /// meanwhile (another writer), the files cannot be known for sure: what
    /// was added is rolled back and [`LiveIndexes::finish`] reads from the
    /// catalog instead.
    async fn committed(
        &mut self,
        catalog: &Catalog,
        generation: u64,
        keys: BTreeMap<Table, Vec<String>>,
    ) {
        let snapshot = catalog
            .snapshot()
            .await
            .ok()
            .filter(|s| s.generation() == generation);
        let Some(snapshot) = snapshot else {
            tracing::debug!(
                generation,
                "catalog moved on after the commit; rolling the indexes back"
            );
            for update in self.updates.values_mut() {
                if let Ok(up) = update {
                    if let Err(e) = up.rollback().await {
                        *update = Err(e.to_string());
                    }
                }
            }
            return;
        };
        for (table, keys) in keys {
            let Some(Ok(up)) = self.updates.get_mut(&table) else {
                continue;
            };
            // Every key of this commit holds exactly the rows it was given. The
            // manifest lists every key of an ingested table's files
            // (`Table::lists_keys`).
            debug_assert!(table.lists_keys());
            let mut files: BTreeMap<String, Vec<String>> =
                keys.into_iter().map(|k| (k, Vec::new())).collect();
            for entry in snapshot.table_entries(table) {
                for k in &entry.keys {
                    if let Some(f) = files.get_mut(k) {
                        f.push(entry.path.clone());
                    }
                }
            }
            up.committed(files);
        }
    }

    /// Finishes the open updates and syncs every other index with the
    /// catalog's current snapshot.
    async fn finish(
        self,
        catalog: &Catalog,
    ) -> Result<BTreeMap<Table, SyncStats>, TableIndexError> {
        let snapshot = current_snapshot(catalog).await?;
        let mut updates = self.updates;
        let mut out = BTreeMap::new();
        let mut first_error = None;
        for table in INDEXED_TABLES {
            let stats = match updates.remove(&table) {
                Some(Ok(update)) => update.finish(&snapshot).await,
                // Opening or feeding it failed: try once more, from the catalog.
                _ => match TableIndex::open(&self.dirs[&table], table) {
                    Ok(mut index) => index.sync(&snapshot).await,
                    Err(e) => Err(e),
                },
            };
            match stats {
                Ok(s) => {
                    out.insert(table, s);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

impl FileOutcome {
    fn failed(uri: &str, error: String) -> FileOutcome {
        FileOutcome {
            uri: uri.to_string(),
            status: "error",
            lines: 0,
            events: 0,
            malformed: 0,
            first_malformed: Vec::new(),
            error: Some(error),
        }
    }
}

/// Where the Tantivy index of `table` lives: `<catalog>/index/<table>` for a
/// local catalog; for a catalog on an object store, a local cache folder keyed
/// by the catalog's location (the index is derived and rebuilt on demand).
pub fn index_dir(catalog: &Catalog, table: Table) -> PathBuf {
    let base = match catalog.local_dir() {
        Some(dir) => dir.join("index"),
        None => {
            let cache = lakewarden_lake::cache_dir()
                .unwrap_or_else(|| std::env::temp_dir().join("lakewarden"));
            let key = hex::encode(Sha256::digest(catalog.location().as_bytes()));
            cache.join("index").join(&key[..16])
        }
    };
    base.join(table.name())
}

/// The catalog's current snapshot, its error as the index reports it.
async fn current_snapshot(catalog: &Catalog) -> Result<Snapshot, TableIndexError> {
    catalog
        .snapshot()
        .await
        .map_err(|source| TableIndexError::Catalog {
            dir: catalog.location().to_string(),
            source: Box::new(source),
        })
}

/// Opens every index and syncs it with the catalog's current snapshot
/// (`rebuild`: drop and rebuild from the catalog). Returns what each did.
pub async fn sync_indexes(
    catalog: &Catalog,
    rebuild: bool,
) -> Result<BTreeMap<Table, SyncStats>, TableIndexError> {
    let snapshot = current_snapshot(catalog).await?;
    let mut out = BTreeMap::new();
    for table in INDEXED_TABLES {
        let mut index = TableIndex::open(&index_dir(catalog, table), table)?;
        let stats = if rebuild {
            index.rebuild(&snapshot).await?
        } else {
            index.sync(&snapshot).await?
        };
        out.insert(table, stats);
    }
    Ok(out)
}

/// The files under `uri` (or `uri` itself when it is one object), sorted.
async fn list_objects(uri: &str) -> Result<Vec<LogObject>, IngestError> {
    let loc = LakeLocation::parse(uri)?;
    let store = open_store(&loc)?;
    if let Ok(meta) = store.head(&loc.prefix).await {
        return Ok(vec![LogObject {
            uri: loc.uri_of(&meta.location),
            key: meta.location,
            store,
        }]);
    }
    let prefix = (!loc.prefix.as_ref().is_empty()).then_some(&loc.prefix);
    let metas: Vec<object_store::ObjectMeta> =
        store
            .list(prefix)
            .try_collect()
            .await
            .map_err(|e| IngestError::List {
                uri: uri.to_string(),
                message: store_error_kind(&e),
            })?;
    let mut out: Vec<LogObject> = metas
        .into_iter()
        .filter(|m| {
            // Spark/Hive convention, as for scans: `_SUCCESS`, `.crc`, `_tmp/`.
            !loc.relative(&m.location)
                .split('/')
                .any(|seg| seg.starts_with('_') || seg.starts_with('.'))
        })
        .map(|m| LogObject {
            uri: loc.uri_of(&m.location),
            key: m.location,
            store: Arc::clone(&store),
        })
        .collect();
    out.sort_by(|a, b| a.uri.cmp(&b.uri));
    if out.is_empty() {
        return Err(IngestError::List {
            uri: uri.to_string(),
            message: "no such file or folder, or it holds no files".to_string(),
        });
    }
    Ok(out)
}

/// An object-store error reduced to its kind (messages can carry URLs with
/// signatures or keys with personal data).
fn store_error_kind(e: &object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => "not found (deleted after listing?)".into(),
        object_store::Error::PermissionDenied { .. } => "permission denied".into(),
        object_store::Error::Unauthenticated { .. } => "unauthenticated".into(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect(),
    }
}

/// `ingested_from` → `content_sha256` of every file ingested so far.
async fn ingested_hashes(
    snapshot: &Snapshot,
) -> Result<BTreeMap<String, String>, lakewarden_catalog::CatalogError> {
    use arrow::array::AsArray;
    let mut out = BTreeMap::new();
    for b in snapshot.read_table(Table::IngestSources).await? {
        let (Some(uri), Some(sha)) = (
            b.column_by_name("ingested_from"),
            b.column_by_name("content_sha256"),
        ) else {
            continue;
        };
        let (uri, sha) = (uri.as_string::<i32>(), sha.as_string::<i32>());
        for i in 0..b.num_rows() {
            out.insert(uri.value(i).to_string(), sha.value(i).to_string());
        }
    }
    Ok(out)
}

type ParsedFile = (Vec<(Table, RecordBatch)>, ParseReport, Option<String>);

/// Parses one file: the rows per table, the report, and a reason when the file
/// is not of the format at all (then nothing of it is committed).
fn parse_file(bytes: bytes::Bytes, uri: &str, opts: &IngestOptions) -> ParsedFile {
    let reader = maybe_gzip_bytes(bytes);
    let mut events = AccessEventBuilder::new(uri);
    let report = match opts.format {
        IngestFormat::S3 => parse_s3_access_log(reader, uri, &mut |e| events.push(&e)),
        IngestFormat::Azure => parse_azure_storage_log(reader, uri, &mut |e| events.push(&e)),
        IngestFormat::CloudTrail => match parse_cloudtrail(reader, uri, &mut |e| events.push(&e)) {
            Ok(r) => r,
            Err(e) => return (Vec::new(), ParseReport::default(), Some(e.to_string())),
        },
        IngestFormat::OpenLineage => {
            let ns: Vec<&str> = opts.model_namespaces.iter().map(String::as_str).collect();
            let lineage = parse_openlineage(reader, uri, &ns);
            let report = lineage.report.clone();
            return (lineage_batches(&lineage, uri), report, None);
        }
    };
    // A file in which no line parsed is almost certainly another format.
    if report.events == 0 && report.malformed > 0 && report.skipped == 0 {
        let reason = format!(
            "not a {} log: all {} non-blank lines malformed (first: line {}: {})",
            opts.format,
            report.malformed,
            report.first_malformed.first().map(|m| m.0).unwrap_or(0),
            report
                .first_malformed
                .first()
                .map(|m| m.1.as_str())
                .unwrap_or("")
        );
        return (Vec::new(), report, Some(reason));
    }
    (vec![(Table::AccessEvents, events.finish())], report, None)
}

fn micros(t: &DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn source_row(
    uri: &str,
    format: IngestFormat,
    sha: &str,
    bytes: i64,
    report: &ParseReport,
) -> RecordBatch {
    let problems = (report.malformed > 0 || report.read_error.is_some()).then(|| {
        serde_json::json!({
            "first_malformed": report.first_malformed,
            "read_error": report.read_error,
        })
        .to_string()
    });
    let now = Utc::now().timestamp_micros();
    let cols: Vec<ArrayRef> = vec![
        str_array([Some(uri)]),
        str_array([Some(format.as_str())]),
        str_array([Some(sha)]),
        i64_array([Some(bytes)]),
        i64_array([Some(report.lines as i64)]),
        i64_array([Some(report.events as i64)]),
        i64_array([Some(report.skipped as i64)]),
        i64_array([Some(report.malformed as i64)]),
        str_array([problems.as_deref()]),
        ts_array([Some(now)]),
    ];
    RecordBatch::try_new(Table::IngestSources.schema(), cols)
        .expect("ingest_sources row matches its schema")
}

fn lineage_batches(l: &LineageBatch, uri: &str) -> Vec<(Table, RecordBatch)> {
    let n = l.edges.len();
    let edges: Vec<ArrayRef> = vec![
        str_array(l.edges.iter().map(|e| Some(e.source_uri.as_str()))),
        str_array(l.edges.iter().map(|e| Some(e.target_uri.as_str()))),
        str_array(l.edges.iter().map(|e| Some(e.job_namespace.as_str()))),
        str_array(l.edges.iter().map(|e| Some(e.job_name.as_str()))),
        str_array(l.edges.iter().map(|e| Some(e.run_id.as_str()))),
        ts_array(l.edges.iter().map(|e| Some(micros(&e.event_time)))),
        {
            let mut b = BooleanBuilder::with_capacity(n);
            for e in &l.edges {
                b.append_option(e.masked);
            }
            Arc::new(b.finish())
        },
        str_array(std::iter::repeat_n(Some(uri), n)),
    ];
    let m = l.models.len();
    let models: Vec<ArrayRef> = vec![
        str_array(l.models.iter().map(|x| Some(x.model_uri.as_str()))),
        str_array(l.models.iter().map(|x| Some(x.model_name.as_str()))),
        str_array(l.models.iter().map(|x| x.model_version.as_deref())),
        str_array(l.models.iter().map(|x| Some(x.run_id.as_str()))),
        ts_array(l.models.iter().map(|x| Some(micros(&x.event_time)))),
        str_array(std::iter::repeat_n(Some(uri), m)),
    ];
    let k = l.model_inputs.len();
    let inputs: Vec<ArrayRef> = vec![
        str_array(l.model_inputs.iter().map(|x| Some(x.model_uri.as_str()))),
        str_array(l.model_inputs.iter().map(|x| Some(x.dataset_uri.as_str()))),
        str_array(l.model_inputs.iter().map(|x| Some(x.run_id.as_str()))),
        str_array(std::iter::repeat_n(Some(uri), k)),
    ];
    let batch = |t: Table, cols| {
        RecordBatch::try_new(t.schema(), cols).expect("lineage rows match their schema")
    };
    vec![
        (Table::LineageEdges, batch(Table::LineageEdges, edges)),
        (Table::Models, batch(Table::Models, models)),
        (Table::ModelInputs, batch(Table::ModelInputs, inputs)),
    ]
}

fn str_array<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut b = StringBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn i64_array(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = Int64Builder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

fn ts_array(values: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    let mut b = TimestampMicrosecondBuilder::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish().with_timezone("UTC"))
}

/// Access events streamed into the columns of `access_events`.
struct AccessEventBuilder {
    uri: String,
    event_id: StringBuilder,
    event_time: TimestampMicrosecondBuilder,
    principal: StringBuilder,
    principal_detail: StringBuilder,
    operation: StringBuilder,
    api_operation: StringBuilder,
    object_uri: StringBuilder,
    bytes: Int64Builder,
    source_ip: StringBuilder,
    status: Int64Builder,
    error_code: StringBuilder,
    log_format: StringBuilder,
    user_agent: StringBuilder,
    request_id: StringBuilder,
    rows: usize,
}

impl AccessEventBuilder {
    fn new(uri: &str) -> Self {
        AccessEventBuilder {
            uri: uri.to_string(),
            event_id: StringBuilder::new(),
            event_time: TimestampMicrosecondBuilder::new(),
            principal: StringBuilder::new(),
            principal_detail: StringBuilder::new(),
            operation: StringBuilder::new(),
            api_operation: StringBuilder::new(),
            object_uri: StringBuilder::new(),
            bytes: Int64Builder::new(),
            source_ip: StringBuilder::new(),
            status: Int64Builder::new(),
            error_code: StringBuilder::new(),
            log_format: StringBuilder::new(),
            user_agent: StringBuilder::new(),
            request_id: StringBuilder::new(),
            rows: 0,
        }
    }

    fn push(&mut self, e: &AccessEvent) {
        self.event_id.append_value(&e.event_id);
        self.event_time.append_value(micros(&e.event_time));
        self.principal.append_value(&e.principal);
        self.principal_detail
            .append_option(e.principal_detail.as_deref());
        self.operation.append_value(e.operation.as_str());
        self.api_operation.append_value(&e.api_operation);
        self.object_uri.append_value(&e.object_uri);
        self.bytes.append_option(e.bytes);
        self.source_ip.append_option(e.source_ip.as_deref());
        self.status.append_option(e.status.map(i64::from));
        self.error_code.append_option(e.error_code.as_deref());
        self.log_format.append_value(e.log_format.as_str());
        self.user_agent.append_option(e.user_agent.as_deref());
        self.request_id.append_option(e.request_id.as_deref());
        self.rows += 1;
    }

    fn finish(mut self) -> RecordBatch {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.event_id.finish()),
            Arc::new(self.event_time.finish().with_timezone("UTC")),
            Arc::new(self.principal.finish()),
            Arc::new(self.principal_detail.finish()),
            Arc::new(self.operation.finish()),
            Arc::new(self.api_operation.finish()),
            Arc::new(self.object_uri.finish()),
            Arc::new(self.bytes.finish()),
            Arc::new(self.source_ip.finish()),
            Arc::new(self.status.finish()),
            Arc::new(self.error_code.finish()),
            Arc::new(self.log_format.finish()),
            Arc::new(self.user_agent.finish()),
            Arc::new(self.request_id.finish()),
            str_array(std::iter::repeat_n(Some(self.uri.as_str()), self.rows)),
        ];
        RecordBatch::try_new(Table::AccessEvents.schema(), cols)
            .expect("access event columns match access_events")
    }
}
