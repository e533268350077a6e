//! A catalog table mirrored in a Tantivy index, so selective questions ("what
//! did this principal read", "who touched objects under this prefix last
//! week") read a few documents instead of every event.
//!
//! The index is **derived**: the catalog's Parquet files are the system of
//! record, and [`TableIndex::sync`] brings an index up to date with a catalog
//! snapshot by replacing the rows of every `ingested_from` key whose files
//! changed (or deleting keys that are gone). The list of (key → catalog files)
//! the index reflects is stored as the Tantivy commit payload, so index
//! contents and that list change in one atomic commit. A schema change (a
//! different fingerprint of the Arrow schema and of the index layout) makes
//! the index rebuild itself from the catalog (`lakewarden reindex` forces the
//! same).
//!
//! A writer that already holds the rows it just committed to the catalog
//! (`lakewarden ingest`) hands them over through an [`IndexUpdate`] instead
//! of having them read back from the Parquet files: the update records which
//! catalog files hold those rows, so [`IndexUpdate::finish`] reads from the
//! catalog only what it was not given (rows another process committed
//! meanwhile) and commits once.
//!
//! Every Arrow column becomes one Tantivy field, typed by the Arrow type:
//! `Utf8` → raw string (exact terms: no tokenizer, so `=`, `IN` and prefixes are
//! term lookups and term ranges), `Int64` → i64 and `Timestamp(µs)` → date
//! with microsecond precision, both as columns (fast fields: ranges and
//! equality scan the column, exact to the microsecond — an inverted index of
//! dates only holds seconds), `Boolean` → bool term. All fields are
//! searchable and stored; a null is an absent value. Nothing is scored (searches collect document
//! sets), so no field keeps norms. Documents are indexed straight from the
//! Arrow arrays (a [`Document`] borrowing the batch's values), without copying
//! every value into a `TantivyDocument` first. The term dictionaries are
//! Tantivy's sorted-string tables (the `quickwit` feature) rather than FSTs:
//! event ids and request ids are unique, high-entropy terms, for which an FST
//! costs several times the CPU of the rest of the indexing.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, BooleanBuilder, Int64Array, Int64Builder, RecordBatch,
    StringArray, StringBuilder, TimestampMicrosecondArray, TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Int64Type, SchemaRef, TimeUnit, TimestampMicrosecondType};
use lakewarden_catalog::{Snapshot, Table};
use sha2::{Digest, Sha256};
use tantivy::collector::DocSetCollector;
use tantivy::indexer::UserOperation;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Document, Field, IndexRecordOption, NumericOptions,
    Schema as TantivySchema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DateTime, DocAddress, Index, IndexReader, IndexWriter, TantivyDocument, Term};

/// Memory budget of one index writer (one indexing thread). Tantivy writes a
/// segment each time the budget fills; fewer, larger segments mean less
/// merging later. Tantivy needs at least ~15 MB per thread.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// Documents handed to the indexing thread in one message.
const DOCS_PER_SEND: usize = 1024;

/// Tantivy's smallest writer budget (for writers that commit only a payload).
const MIN_WRITER_MEMORY: usize = 15_000_000;

/// Part of the schema fingerprint: bumped when the Tantivy layout of the same
/// Arrow schema changes (field options, term dictionary format), so an index
/// written by an older lakewarden is rebuilt rather than misread.
const LAYOUT_VERSION: &str = "lakewarden-table-index-v2";

/// Errors of the index. Messages name the index folder, never row content.
#[derive(Debug, thiserror::Error)]
pub enum TableIndexError {
    #[error("index {dir}: {message}")]
    Tantivy { dir: String, message: String },
    #[error("index {dir}: {source}")]
    Catalog {
        dir: String,
        #[source]
        source: Box<lakewarden_catalog::CatalogError>,
    },
    #[error("index {dir}: column {column} has type {data_type}, which the index cannot hold")]
    UnsupportedType {
        dir: String,
        column: String,
        data_type: String,
    },
}

/// A typed literal of a [`Predicate`].
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    I64(i64),
    /// Microseconds since the Unix epoch, UTC.
    TimestampMicros(i64),
    Bool(bool),
}

/// A condition on one column that the index answers exactly. Predicates of a
/// search are ANDed.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// The column equals one of the values (`=`, `IN`).
    In {
        column: String,
        values: Vec<Literal>,
    },
    /// A string column starts with the prefix.
    Prefix { column: String, prefix: String },
    /// The column lies within the bounds (numbers and timestamps).
    Range {
        column: String,
        lower: Bound<Literal>,
        upper: Bound<Literal>,
    },
    /// Any of the inner predicates holds (each a conjunction).
    Any(Vec<Vec<Predicate>>),
}

/// What one search read, to show (and test) that predicates were pushed down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Documents in the index.
    pub docs_total: u64,
    /// Documents the search matched and loaded.
    pub docs_read: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    I64,
    Timestamp,
    Bool,
}

struct Column {
    name: String,
    field: Field,
    kind: Kind,
}

/// The commit payload: what the index reflects.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct IndexState {
    schema_fingerprint: String,
    /// `ingested_from` key → the catalog files holding its rows (sorted).
    keys: BTreeMap<String, Vec<String>>,
}

/// One catalog table's Tantivy index.
pub struct TableIndex {
    table: Table,
    dir: PathBuf,
    schema: SchemaRef,
    index: Index,
    reader: IndexReader,
    columns: Arc<[Column]>,
    key_field: Field,
}

/// What a [`TableIndex::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    pub keys_replaced: u64,
    pub keys_deleted: u64,
    pub rows_indexed: u64,
}

impl TableIndex {
    /// Opens the index of `table` in `dir`, creating it when absent. An index of
    /// another schema (an older lakewarden) is discarded and recreated empty; the
    /// next [`TableIndex::sync`] rebuilds it from the catalog.
    pub fn open(dir: &Path, table: Table) -> Result<TableIndex, TableIndexError> {
        let schema = table.schema();
        let (tantivy_schema, columns) = tantivy_schema(dir, &schema)?;
        let key_column = table.key_column();
        let key_field = columns
            .iter()
            .find(|c| c.name == key_column)
            .map(|c| c.field)
            .ok_or_else(|| TableIndexError::Tantivy {
                dir: dir.display().to_string(),
                message: format!("table {table} has no column {key_column}"),
            })?;
        let fingerprint = schema_fingerprint(&schema);
        let terr = |e: tantivy::TantivyError| tantivy_err(dir, e);
        std::fs::create_dir_all(dir).map_err(|e| TableIndexError::Tantivy {
            dir: dir.display().to_string(),
            message: e.to_string(),
        })?;
        let existing = Index::open_in_dir(dir).ok();
        let index = match existing {
            Some(index) if read_state(&index).schema_fingerprint == fingerprint => index,
            Some(_) => {
                // Another schema: start over (rebuilt from the catalog on sync).
                tracing::info!("index {}: schema changed, rebuilding", dir.display());
                std::fs::remove_dir_all(dir)
                    .and_then(|_| std::fs::create_dir_all(dir))
                    .map_err(|e| TableIndexError::Tantivy {
                        dir: dir.display().to_string(),
                        message: e.to_string(),
                    })?;
                create(dir, tantivy_schema, &fingerprint)?
            }
            None => create(dir, tantivy_schema, &fingerprint)?,
        };
        let reader = index.reader().map_err(terr)?;
        Ok(TableIndex {
            table,
            dir: dir.to_path_buf(),
            schema,
            index,
            reader,
            columns: columns.into(),
            key_field,
        })
    }

    pub fn table(&self) -> Table {
        self.table
    }

    /// The Arrow schema of the rows a search returns (the catalog table's).
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    /// Documents in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Brings the index up to date with `snapshot`: keys whose catalog files
    /// changed are replaced by the rows those files hold now, keys no longer in
    /// the catalog are deleted. One Tantivy commit; nothing happens when the
    /// index is current. Fails when another process holds the index writer.
    pub async fn sync(&mut self, snapshot: &Snapshot) -> Result<SyncStats, TableIndexError> {
        let (changed, gone) = diff(&read_state(&self.index), &wanted_keys(snapshot, self.table));
        if changed.is_empty() && gone.is_empty() {
            return Ok(SyncStats::default());
        }
        self.update()?.finish(snapshot).await
    }

    /// Drops every document and re-syncs from the catalog, in one commit.
    pub async fn rebuild(&mut self, snapshot: &Snapshot) -> Result<SyncStats, TableIndexError> {
        let mut update = self.update()?;
        update.clear().await?;
        update.finish(snapshot).await
    }

    /// Starts an update: takes the index writer (fails when another process
    /// holds it). Nothing is visible until [`IndexUpdate::finish`]; an update
    /// dropped unfinished changes nothing.
    pub fn update(&self) -> Result<IndexUpdate, TableIndexError> {
        let writer = self
            .index
            .writer_with_num_threads::<ArrowRow>(1, WRITER_MEMORY)
            .map_err(|e| tantivy_err(&self.dir, e))?;
        let mut base = read_state(&self.index);
        base.schema_fingerprint = schema_fingerprint(&self.schema);
        Ok(IndexUpdate {
            table: self.table,
            dir: self.dir.clone(),
            columns: Arc::clone(&self.columns),
            key_field: self.key_field,
            writer: Slot::Idle(Box::new(writer)),
            reader: self.reader.clone(),
            state: base.clone(),
            base,
            stats: SyncStats::default(),
            unconfirmed: BTreeSet::new(),
            touched: false,
        })
    }

    /// The rows matching every predicate (all rows without predicates), as one
    /// batch of [`TableIndex::schema`], with what the search read.
    pub fn search(
        &self,
        predicates: &[Predicate],
        limit: Option<usize>,
    ) -> Result<(RecordBatch, SearchStats), TableIndexError> {
        let searcher = self.reader.searcher();
        let query = self.query(predicates)?;
        let mut docs: Vec<DocAddress> = searcher
            .search(query.as_ref(), &DocSetCollector)
            .map_err(|e| tantivy_err(&self.dir, e))?
            .into_iter()
            .collect();
        // Deterministic order: index order.
        docs.sort();
        if let Some(limit) = limit {
            docs.truncate(limit);
        }
        let mut builders: Vec<ColumnBuilder> = self
            .columns
            .iter()
            .map(|c| ColumnBuilder::new(c.kind, docs.len()))
            .collect();
        for addr in &docs {
            let doc: TantivyDocument =
                searcher.doc(*addr).map_err(|e| tantivy_err(&self.dir, e))?;
            for (c, b) in self.columns.iter().zip(builders.iter_mut()) {
                b.push(doc.get_first(c.field));
            }
        }
        let arrays: Vec<ArrayRef> = builders.into_iter().map(ColumnBuilder::finish).collect();
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(|e| {
            TableIndexError::Tantivy {
                dir: self.dir.display().to_string(),
                message: format!("building rows: {e}"),
            }
        })?;
        let stats = SearchStats {
            docs_total: searcher.num_docs(),
            docs_read: docs.len() as u64,
        };
        Ok((batch, stats))
    }

    /// Whether the index can answer `p` exactly (known column, matching type).
    pub fn supports(&self, p: &Predicate) -> bool {
        let kind = |name: &str| self.columns.iter().find(|c| c.name == name).map(|c| c.kind);
        match p {
            Predicate::In { column, values } => {
                kind(column).is_some_and(|k| values.iter().all(|v| literal_fits(k, v)))
            }
            Predicate::Prefix { column, .. } => kind(column) == Some(Kind::Str),
            Predicate::Range {
                column,
                lower,
                upper,
            } => kind(column).is_some_and(|k| {
                matches!(k, Kind::I64 | Kind::Timestamp)
                    && [lower, upper].iter().all(|b| match b {
                        Bound::Included(v) | Bound::Excluded(v) => literal_fits(k, v),
                        Bound::Unbounded => true,
                    })
            }),
            Predicate::Any(alternatives) => alternatives
                .iter()
                .all(|conj| conj.iter().all(|p| self.supports(p))),
        }
    }

    fn query(&self, predicates: &[Predicate]) -> Result<Box<dyn Query>, TableIndexError> {
        if predicates.is_empty() {
            return Ok(Box::new(AllQuery));
        }
        let clauses = predicates
            .iter()
            .map(|p| Ok((Occur::Must, self.predicate_query(p)?)))
            .collect::<Result<Vec<_>, TableIndexError>>()?;
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn predicate_query(&self, p: &Predicate) -> Result<Box<dyn Query>, TableIndexError> {
        let unsupported = || TableIndexError::Tantivy {
            dir: self.dir.display().to_string(),
            message: format!("predicate not supported by the index: {p:?}"),
        };
        if !self.supports(p) {
            return Err(unsupported());
        }
        let col = |name: &str| {
            self.columns
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(unsupported)
        };
        Ok(match p {
            Predicate::In { column, values } => {
                let c = col(column)?;
                let terms: Vec<(Occur, Box<dyn Query>)> = values
                    .iter()
                    .map(|v| {
                        let q: Box<dyn Query> =
                            Box::new(TermQuery::new(term(c.field, v), IndexRecordOption::Basic));
                        (Occur::Should, q)
                    })
                    .collect();
                Box::new(BooleanQuery::new(terms))
            }
            Predicate::Prefix { column, prefix } => {
                // Terms sort by their bytes: the terms starting with `prefix`
                // are those from `prefix` (included) to its successor
                // (excluded), which need not be UTF-8.
                let c = col(column)?;
                let lower = Term::from_field_text(c.field, prefix);
                let upper = match prefix_successor(prefix.as_bytes()) {
                    Some(next) => {
                        let mut t = Term::from_field_text(c.field, "");
                        t.set_bytes(&next);
                        Bound::Excluded(t)
                    }
                    None => Bound::Unbounded,
                };
                Box::new(RangeQuery::new(Bound::Included(lower), upper))
            }
            Predicate::Range {
                column,
                lower,
                upper,
            } => {
                let c = col(column)?;
                let b = |bound: &Bound<Literal>| match bound {
                    Bound::Included(v) => Bound::Included(term(c.field, v)),
                    Bound::Excluded(v) => Bound::Excluded(term(c.field, v)),
                    Bound::Unbounded => Bound::Unbounded,
                };
                if matches!((lower, upper), (Bound::Unbounded, Bound::Unbounded)) {
                    Box::new(AllQuery)
                } else {
                    Box::new(RangeQuery::new(b(lower), b(upper)))
                }
            }
            Predicate::Any(alternatives) => {
                let clauses = alternatives
                    .iter()
                    .map(|conj| Ok((Occur::Should, self.query(conj)?)))
                    .collect::<Result<Vec<_>, TableIndexError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
        })
    }
}

/// An open update of one index (see [`TableIndex::update`]): rows added key
/// by key (indexed in the background while the caller goes on), the catalog
/// files holding them recorded once the catalog commit that wrote them is
/// done, then [`IndexUpdate::finish`] catches up with the catalog and commits
/// documents and state together.
pub struct IndexUpdate {
    table: Table,
    dir: PathBuf,
    columns: Arc<[Column]>,
    key_field: Field,
    writer: Slot,
    reader: IndexReader,
    /// What the index reflected when the update started (its last commit).
    base: IndexState,
    /// What the index will reflect once committed.
    state: IndexState,
    stats: SyncStats,
    /// Keys added but not yet matched to catalog files by
    /// [`IndexUpdate::committed`]: [`IndexUpdate::finish`] re-reads them.
    unconfirmed: BTreeSet<String>,
    /// Whether anything was deleted or added since the last commit.
    touched: bool,
}

/// The index writer, or the blocking task indexing with it.
enum Slot {
    Idle(Box<Writer>),
    /// The task gives the writer back with the rows it added.
    Busy(tokio::task::JoinHandle<(Box<Writer>, Result<u64, TableIndexError>)>),
    Lost,
}

type Writer = IndexWriter<ArrowRow>;

impl IndexUpdate {
    /// The table of the index.
    pub fn table(&self) -> Table {
        self.table
    }

    /// The writer, once the indexing task in flight (if any) is done; its
    /// error, if it failed.
    async fn writer(&mut self) -> Result<&mut IndexWriter<ArrowRow>, TableIndexError> {
        if let Slot::Busy(_) = self.writer {
            let Slot::Busy(task) = std::mem::replace(&mut self.writer, Slot::Lost) else {
                unreachable!("checked above");
            };
            let (writer, added) = task.await.map_err(|e| TableIndexError::Tantivy {
                dir: self.dir.display().to_string(),
                message: format!("indexing task failed: {e}"),
            })?;
            self.writer = Slot::Idle(writer);
            self.stats.rows_indexed += added?;
        }
        match &mut self.writer {
            Slot::Idle(w) => Ok(w),
            _ => Err(lost_writer(&self.dir)),
        }
    }

    /// Deletes every document (a rebuild).
    async fn clear(&mut self) -> Result<(), TableIndexError> {
        let dir = self.dir.clone();
        self.writer()
            .await?
            .delete_all_documents()
            .map_err(|e| tantivy_err(&dir, e))?;
        self.state.keys.clear();
        self.touched = true;
        Ok(())
    }

    /// Replaces the documents of `keys` by the rows of `batches` — rows about
    /// to be committed to the catalog, or just committed. Indexing runs in
    /// the background (on the blocking pool): this returns once the previous
    /// call's indexing is done. Nothing is visible before
    /// [`IndexUpdate::finish`], and `finish` indexes from the catalog every
    /// key whose catalog files were not recorded by
    /// [`IndexUpdate::committed`].
    pub async fn add(
        &mut self,
        keys: Vec<String>,
        batches: Vec<RecordBatch>,
    ) -> Result<(), TableIndexError> {
        self.unconfirmed.extend(keys.iter().cloned());
        self.index_rows(keys, batches).await
    }

    /// Deletes the documents of `keys` and adds the rows of `batches`, in
    /// the background.
    async fn index_rows(
        &mut self,
        keys: Vec<String>,
        batches: Vec<RecordBatch>,
    ) -> Result<(), TableIndexError> {
        if keys.is_empty() && batches.is_empty() {
            return Ok(());
        }
        self.writer().await?;
        let Slot::Idle(writer) = std::mem::replace(&mut self.writer, Slot::Lost) else {
            return Err(lost_writer(&self.dir));
        };
        self.touched = true;
        let columns = Arc::clone(&self.columns);
        let (key_field, dir) = (self.key_field, self.dir.clone());
        self.writer = Slot::Busy(tokio::task::spawn_blocking(move || {
            let added = add_rows(&writer, &columns, key_field, &keys, &batches, &dir);
            (writer, added)
        }));
        Ok(())
    }

    /// Records that the catalog now holds the rows last [`IndexUpdate::add`]ed
    /// for each key of `files` in those files (key → catalog files; none: the
    /// key has no rows), as of a committed generation.
    pub fn committed(&mut self, files: BTreeMap<String, Vec<String>>) {
        for (key, mut f) in files {
            self.unconfirmed.remove(&key);
            if f.is_empty() {
                self.state.keys.remove(&key);
            } else {
                f.sort();
                self.state.keys.insert(key, f);
            }
            self.stats.keys_replaced += 1;
        }
    }

    /// Discards everything added since the update started (when the rows
    /// added cannot be matched to catalog files, e.g. another process
    /// committed in between): [`IndexUpdate::finish`] then reads from the
    /// catalog whatever the index lacks.
    pub async fn rollback(&mut self) -> Result<(), TableIndexError> {
        let dir = self.dir.clone();
        self.writer().await?;
        let Slot::Idle(mut writer) = std::mem::replace(&mut self.writer, Slot::Lost) else {
            return Err(lost_writer(&dir));
        };
        let (writer, rolled_back) = tokio::task::spawn_blocking(move || {
            let r = writer.rollback().map_err(|e| tantivy_err(&dir, e));
            (writer, r)
        })
        .await
        .map_err(|e| TableIndexError::Tantivy {
            dir: self.dir.display().to_string(),
            message: format!("rollback task failed: {e}"),
        })?;
        rolled_back?;
        self.writer = Slot::Idle(writer);
        self.state = self.base.clone();
        self.stats = SyncStats::default();
        self.unconfirmed.clear();
        self.touched = false;
        Ok(())
    }

    /// Brings the index up to date with `snapshot` — keys whose catalog files
    /// differ from what the index (with this update's recorded rows) reflects
    /// are read from the catalog and replaced, keys gone from the catalog are
    /// deleted — and commits, when anything changed. Returns what the whole
    /// update did.
    pub async fn finish(mut self, snapshot: &Snapshot) -> Result<SyncStats, TableIndexError> {
        self.writer().await?;
        let wanted = wanted_keys(snapshot, self.table);
        // Rows added for keys never matched to catalog files are not trusted.
        let unconfirmed = std::mem::take(&mut self.unconfirmed);
        for k in &unconfirmed {
            self.state.keys.remove(k);
        }
        let (changed, gone) = diff(&self.state, &wanted);
        let batches = if changed.is_empty() {
            Vec::new()
        } else {
            snapshot
                .read_table_keys(self.table, Some(&changed))
                .await
                .map_err(|source| TableIndexError::Catalog {
                    dir: self.dir.display().to_string(),
                    source: Box::new(source),
                })?
        };
        let mut keys: BTreeSet<String> = unconfirmed;
        keys.extend(changed.iter().cloned());
        keys.extend(gone.iter().cloned());
        self.index_rows(keys.into_iter().collect(), batches).await?;
        self.writer().await?;
        self.stats.keys_replaced += changed.len() as u64;
        self.stats.keys_deleted += gone.len() as u64;
        if !self.touched {
            return Ok(self.stats);
        }
        self.state.keys = wanted;
        let payload = serde_json::to_string(&self.state).unwrap_or_default();
        let (dir, reader, stats) = (self.dir.clone(), self.reader.clone(), self.stats);
        let Slot::Idle(writer) = std::mem::replace(&mut self.writer, Slot::Lost) else {
            return Err(lost_writer(&dir));
        };
        tokio::task::spawn_blocking(move || commit(*writer, &payload, &reader, &dir))
            .await
            .map_err(|e| TableIndexError::Tantivy {
                dir: self.dir.display().to_string(),
                message: format!("commit task failed: {e}"),
            })??;
        Ok(stats)
    }
}

/// Commits with `payload` as the commit payload, waits for merges, reloads
/// `reader`.
fn commit(
    mut writer: IndexWriter<ArrowRow>,
    payload: &str,
    reader: &IndexReader,
    dir: &Path,
) -> Result<(), TableIndexError> {
    let mut prepared = writer.prepare_commit().map_err(|e| tantivy_err(dir, e))?;
    prepared.set_payload(payload);
    prepared.commit().map_err(|e| tantivy_err(dir, e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| tantivy_err(dir, e))?;
    reader.reload().map_err(|e| tantivy_err(dir, e))
}

fn lost_writer(dir: &Path) -> TableIndexError {
    TableIndexError::Tantivy {
        dir: dir.display().to_string(),
        message: "the index writer was lost by a failed indexing task".to_string(),
    }
}

/// Deletes the documents of `keys`, then adds every row of `batches`.
fn add_rows(
    writer: &IndexWriter<ArrowRow>,
    columns: &[Column],
    key_field: Field,
    keys: &[String],
    batches: &[RecordBatch],
    dir: &Path,
) -> Result<u64, TableIndexError> {
    for k in keys {
        writer.delete_term(Term::from_field_text(key_field, k));
    }
    let mut rows = 0u64;
    for batch in batches {
        let cells = Arc::new(BatchCells::new(columns, batch, dir)?);
        // One message to the indexing thread per group of documents: a
        // message per document costs a thread wake-up per document.
        let n = batch.num_rows();
        for start in (0..n).step_by(DOCS_PER_SEND) {
            let group: Vec<UserOperation<ArrowRow>> = (start..n.min(start + DOCS_PER_SEND))
                .map(|row| {
                    UserOperation::Add(ArrowRow {
                        cells: Arc::clone(&cells),
                        row,
                    })
                })
                .collect();
            writer.run(group).map_err(|e| tantivy_err(dir, e))?;
        }
        rows += n as u64;
    }
    Ok(rows)
}

/// `ingested_from` key → the catalog files holding its rows (sorted), in
/// `snapshot`: from the manifest alone, which lists every key of the ingested
/// tables' files (`Table::lists_keys`).
fn wanted_keys(snapshot: &Snapshot, table: Table) -> BTreeMap<String, Vec<String>> {
    debug_assert!(table.lists_keys());
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in snapshot.table_entries(table) {
        for k in &f.keys {
            wanted.entry(k.clone()).or_default().push(f.path.clone());
        }
    }
    for files in wanted.values_mut() {
        files.sort();
    }
    wanted
}

/// The keys whose files differ between `state` and `wanted`, and the keys
/// `wanted` no longer has.
fn diff(state: &IndexState, wanted: &BTreeMap<String, Vec<String>>) -> (Vec<String>, Vec<String>) {
    let changed = wanted
        .iter()
        .filter(|(k, files)| state.keys.get(*k) != Some(*files))
        .map(|(k, _)| k.clone())
        .collect();
    let gone = state
        .keys
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    (changed, gone)
}

/// The columns of one batch, typed once, in field order.
struct BatchCells {
    cells: Vec<(Field, Cells)>,
}

enum Cells {
    Str(StringArray),
    I64(Int64Array),
    Timestamp(TimestampMicrosecondArray),
    Bool(BooleanArray),
}

impl BatchCells {
    fn new(columns: &[Column], batch: &RecordBatch, dir: &Path) -> Result<Self, TableIndexError> {
        let mut cells = Vec::with_capacity(columns.len());
        for c in columns {
            let a = batch
                .column_by_name(&c.name)
                .ok_or_else(|| TableIndexError::Tantivy {
                    dir: dir.display().to_string(),
                    message: format!("catalog rows lack column {}", c.name),
                })?;
            let wrong_type = || TableIndexError::Tantivy {
                dir: dir.display().to_string(),
                message: format!("catalog column {} has type {}", c.name, a.data_type()),
            };
            let typed = match c.kind {
                Kind::Str => Cells::Str(a.as_string_opt::<i32>().ok_or_else(wrong_type)?.clone()),
                Kind::I64 => Cells::I64(
                    a.as_primitive_opt::<Int64Type>()
                        .ok_or_else(wrong_type)?
                        .clone(),
                ),
                Kind::Timestamp => Cells::Timestamp(
                    a.as_primitive_opt::<TimestampMicrosecondType>()
                        .ok_or_else(wrong_type)?
                        .clone(),
                ),
                Kind::Bool => Cells::Bool(a.as_boolean_opt().ok_or_else(wrong_type)?.clone()),
            };
            cells.push((c.field, typed));
        }
        Ok(BatchCells { cells })
    }
}

/// One row of a batch as a Tantivy document: its values are read from the
/// Arrow arrays where they are (no copy into a `TantivyDocument`).
struct ArrowRow {
    cells: Arc<BatchCells>,
    row: usize,
}

/// A value of an [`ArrowRow`].
#[derive(Debug, Clone)]
enum Cell<'a> {
    Str(&'a str),
    I64(i64),
    Date(DateTime),
    Bool(bool),
}

impl<'a> Value<'a> for Cell<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            Cell::Str(s) => ReferenceValueLeaf::Str(s),
            Cell::I64(v) => ReferenceValueLeaf::I64(v),
            Cell::Date(d) => ReferenceValueLeaf::Date(d),
            Cell::Bool(b) => ReferenceValueLeaf::Bool(b),
        })
    }
}

impl Document for ArrowRow {
    type Value<'a> = Cell<'a>;
    type FieldsValuesIter<'a> = ArrowRowValues<'a>;

    fn iter_fields_and_values(&self) -> ArrowRowValues<'_> {
        ArrowRowValues {
            cells: self.cells.cells.iter(),
            row: self.row,
        }
    }
}

/// The non-null values of an [`ArrowRow`], in field order.
struct ArrowRowValues<'a> {
    cells: std::slice::Iter<'a, (Field, Cells)>,
    row: usize,
}

impl<'a> Iterator for ArrowRowValues<'a> {
    type Item = (Field, Cell<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let row = self.row;
        for (field, cells) in self.cells.by_ref() {
            let cell = match cells {
                Cells::Str(a) => a.is_valid(row).then(|| Cell::Str(a.value(row))),
                Cells::I64(a) => a.is_valid(row).then(|| Cell::I64(a.value(row))),
                Cells::Timestamp(a) => a
                    .is_valid(row)
                    .then(|| Cell::Date(DateTime::from_timestamp_micros(a.value(row)))),
                Cells::Bool(a) => a.is_valid(row).then(|| Cell::Bool(a.value(row))),
            };
            if let Some(cell) = cell {
                return Some((*field, cell));
            }
        }
        None
    }
}

fn literal_fits(kind: Kind, v: &Literal) -> bool {
    matches!(
        (kind, v),
        (Kind::Str, Literal::Str(_))
            | (Kind::I64, Literal::I64(_))
            | (Kind::Timestamp, Literal::TimestampMicros(_))
            | (Kind::Bool, Literal::Bool(_))
    )
}

fn term(field: Field, v: &Literal) -> Term {
    match v {
        Literal::Str(s) => Term::from_field_text(field, s),
        Literal::I64(i) => Term::from_field_i64(field, *i),
        // Full precision: times are fast fields, compared to the microsecond.
        Literal::TimestampMicros(t) => {
            Term::from_field_date(field, DateTime::from_timestamp_micros(*t))
        }
        Literal::Bool(b) => Term::from_field_bool(field, *b),
    }
}

/// The smallest byte string greater than every string starting with
/// `prefix`: the prefix with its last byte below 0xFF incremented and what
/// follows dropped; `None` when there is none (empty, or all 0xFF).
fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let keep = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut next = prefix[..=keep].to_vec();
    next[keep] += 1;
    Some(next)
}

fn tantivy_err(dir: &Path, e: tantivy::TantivyError) -> TableIndexError {
    TableIndexError::Tantivy {
        dir: dir.display().to_string(),
        message: e.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

fn create(dir: &Path, schema: TantivySchema, fingerprint: &str) -> Result<Index, TableIndexError> {
    let index = Index::create_in_dir(dir, schema).map_err(|e| tantivy_err(dir, e))?;
    // Record the fingerprint at once, so an empty index is recognised as current.
    let mut writer: IndexWriter = index
        .writer_with_num_threads(1, MIN_WRITER_MEMORY)
        .map_err(|e| tantivy_err(dir, e))?;
    let state = IndexState {
        schema_fingerprint: fingerprint.to_string(),
        keys: BTreeMap::new(),
    };
    let mut prepared = writer.prepare_commit().map_err(|e| tantivy_err(dir, e))?;
    prepared.set_payload(&serde_json::to_string(&state).unwrap_or_default());
    prepared.commit().map_err(|e| tantivy_err(dir, e))?;
    writer
        .wait_merging_threads()
        .map_err(|e| tantivy_err(dir, e))?;
    Ok(index)
}

fn read_state(index: &Index) -> IndexState {
    index
        .load_metas()
        .ok()
        .and_then(|m| m.payload)
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default()
}

fn schema_fingerprint(schema: &SchemaRef) -> String {
    let mut h = Sha256::new();
    h.update(LAYOUT_VERSION.as_bytes());
    h.update([0]);
    for f in schema.fields() {
        h.update(f.name().as_bytes());
        h.update([0]);
        h.update(f.data_type().to_string().as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn tantivy_schema(
    dir: &Path,
    schema: &SchemaRef,
) -> Result<(TantivySchema, Vec<Column>), TableIndexError> {
    let mut builder = TantivySchema::builder();
    let mut columns = Vec::with_capacity(schema.fields().len());
    // Exact terms (the raw tokenizer), documents only (no frequencies or
    // positions), no norms (nothing is scored).
    let string = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        )
        .set_stored();
    for f in schema.fields() {
        let name = f.name().clone();
        let (field, kind) = match f.data_type() {
            DataType::Utf8 => (builder.add_text_field(&name, string.clone()), Kind::Str),
            // Numbers and times are columns (Tantivy fast fields), not
            // terms: ranges scan the column, `=` / `IN` are one-value ranges,
            // both exact to the microsecond. Mostly-unique values (byte
            // counts, times) would each cost a term in the term dictionary.
            DataType::Int64 => (
                builder.add_i64_field(&name, NumericOptions::default().set_fast().set_stored()),
                Kind::I64,
            ),
            DataType::Timestamp(TimeUnit::Microsecond, _) => (
                builder.add_date_field(
                    &name,
                    DateOptions::default()
                        .set_fast()
                        .set_stored()
                        .set_precision(DateTimePrecision::Microseconds),
                ),
                Kind::Timestamp,
            ),
            // Two values: a term each (Tantivy's fast-field ranges take no
            // booleans).
            DataType::Boolean => (
                builder.add_bool_field(&name, NumericOptions::default().set_indexed().set_stored()),
                Kind::Bool,
            ),
            other => {
                return Err(TableIndexError::UnsupportedType {
                    dir: dir.display().to_string(),
                    column: name,
                    data_type: other.to_string(),
                })
            }
        };
        columns.push(Column { name, field, kind });
    }
    Ok((builder.build(), columns))
}

enum ColumnBuilder {
    Str(StringBuilder),
    I64(Int64Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Bool(BooleanBuilder),
}

impl ColumnBuilder {
    fn new(kind: Kind, capacity: usize) -> ColumnBuilder {
        match kind {
            Kind::Str => ColumnBuilder::Str(StringBuilder::with_capacity(capacity, capacity * 16)),
            Kind::I64 => ColumnBuilder::I64(Int64Builder::with_capacity(capacity)),
            Kind::Timestamp => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity))
            }
            Kind::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
        }
    }

    fn push(&mut self, v: Option<tantivy::schema::document::CompactDocValue<'_>>) {
        match self {
            ColumnBuilder::Str(b) => b.append_option(v.and_then(|v| v.as_str())),
            ColumnBuilder::I64(b) => b.append_option(v.and_then(|v| v.as_i64())),
            ColumnBuilder::Timestamp(b) => b.append_option(
                v.and_then(|v| v.as_datetime())
                    .map(|d| d.into_timestamp_micros()),
            ),
            ColumnBuilder::Bool(b) => b.append_option(v.and_then(|v| v.as_bool())),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Str(mut b) => Arc::new(b.finish()),
            ColumnBuilder::I64(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(mut b) => Arc::new(b.finish().with_timezone("UTC")),
            ColumnBuilder::Bool(mut b) => Arc::new(b.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successors() {
        assert_eq!(prefix_successor(b"s3://a/"), Some(b"s3://a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff"), None);
        assert_eq!(prefix_successor(b""), None);
    }
}
