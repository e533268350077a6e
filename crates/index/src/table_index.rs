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
//! different fingerprint of the Arrow schema) makes the index rebuild itself
//! from the catalog (`lakewarden reindex` forces the same).
//!
//! Every Arrow column becomes one Tantivy field, typed by the Arrow type:
//! `Utf8` → raw string (exact terms: no tokenizer, so `=`, `IN` and prefixes are
//! term lookups), `Int64` → i64, `Timestamp(µs)` → date with microsecond
//! precision, `Boolean` → bool. All fields are indexed and stored; a null is an
//! absent value.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::datatypes::{DataType, Int64Type, SchemaRef, TimeUnit, TimestampMicrosecondType};
use lakewarden_catalog::{Snapshot, Table};
use sha2::{Digest, Sha256};
use tantivy::collector::DocSetCollector;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, RegexQuery, TermQuery};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions,
    Schema as TantivySchema, Value as _, STORED, STRING,
};
use tantivy::{DateTime, DocAddress, Index, IndexReader, IndexWriter, TantivyDocument, Term};

/// Memory budget of one index writer. Tantivy needs at least ~15 MB per thread.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

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
    columns: Vec<Column>,
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
            columns,
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
        let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in snapshot.table_entries(self.table) {
            for k in &f.keys {
                wanted.entry(k.clone()).or_default().push(f.path.clone());
            }
        }
        for files in wanted.values_mut() {
            files.sort();
        }
        let state = read_state(&self.index);
        let changed: Vec<String> = wanted
            .iter()
            .filter(|(k, files)| state.keys.get(*k) != Some(*files))
            .map(|(k, _)| k.clone())
            .collect();
        let gone: Vec<String> = state
            .keys
            .keys()
            .filter(|k| !wanted.contains_key(*k))
            .cloned()
            .collect();
        if changed.is_empty() && gone.is_empty() {
            return Ok(SyncStats::default());
        }
        let batches = snapshot
            .read_table_keys(self.table, Some(&changed))
            .await
            .map_err(|source| TableIndexError::Catalog {
                dir: self.dir.display().to_string(),
                source: Box::new(source),
            })?;
        let new_state = IndexState {
            schema_fingerprint: schema_fingerprint(&self.schema),
            keys: wanted,
        };
        let rows = self.replace(&changed, &gone, &batches, &new_state)?;
        Ok(SyncStats {
            keys_replaced: changed.len() as u64,
            keys_deleted: gone.len() as u64,
            rows_indexed: rows,
        })
    }

    /// Drops every document and re-syncs from the catalog.
    pub async fn rebuild(&mut self, snapshot: &Snapshot) -> Result<SyncStats, TableIndexError> {
        let writer = self.writer()?;
        writer
            .delete_all_documents()
            .map_err(|e| tantivy_err(&self.dir, e))?;
        let empty = IndexState {
            schema_fingerprint: schema_fingerprint(&self.schema),
            keys: BTreeMap::new(),
        };
        self.commit(writer, &empty)?;
        self.sync(snapshot).await
    }

    fn writer(&self) -> Result<IndexWriter, TableIndexError> {
        self.index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| tantivy_err(&self.dir, e))
    }

    fn commit(&self, mut writer: IndexWriter, state: &IndexState) -> Result<(), TableIndexError> {
        let payload = serde_json::to_string(state).unwrap_or_default();
        let mut prepared = writer
            .prepare_commit()
            .map_err(|e| tantivy_err(&self.dir, e))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(|e| tantivy_err(&self.dir, e))?;
        writer
            .wait_merging_threads()
            .map_err(|e| tantivy_err(&self.dir, e))?;
        self.reader.reload().map_err(|e| tantivy_err(&self.dir, e))
    }

    fn replace(
        &self,
        replace: &[String],
        delete: &[String],
        batches: &[RecordBatch],
        state: &IndexState,
    ) -> Result<u64, TableIndexError> {
        let writer = self.writer()?;
        for k in replace.iter().chain(delete) {
            writer.delete_term(Term::from_field_text(self.key_field, k));
        }
        let mut rows = 0u64;
        for batch in batches {
            let arrays: Vec<ArrayRef> =
                self.columns
                    .iter()
                    .map(|c| {
                        batch.column_by_name(&c.name).cloned().ok_or_else(|| {
                            TableIndexError::Tantivy {
                                dir: self.dir.display().to_string(),
                                message: format!("catalog rows lack column {}", c.name),
                            }
                        })
                    })
                    .collect::<Result<_, _>>()?;
            for row in 0..batch.num_rows() {
                let mut doc = TantivyDocument::new();
                for (c, a) in self.columns.iter().zip(&arrays) {
                    if a.is_null(row) {
                        continue;
                    }
                    match c.kind {
                        Kind::Str => doc.add_text(c.field, a.as_string::<i32>().value(row)),
                        Kind::I64 => doc.add_i64(c.field, a.as_primitive::<Int64Type>().value(row)),
                        Kind::Timestamp => doc.add_date(
                            c.field,
                            DateTime::from_timestamp_micros(
                                a.as_primitive::<TimestampMicrosecondType>().value(row),
                            ),
                        ),
                        Kind::Bool => doc.add_bool(c.field, a.as_boolean().value(row)),
                    }
                }
                writer
                    .add_document(doc)
                    .map_err(|e| tantivy_err(&self.dir, e))?;
                rows += 1;
            }
        }
        self.commit(writer, state)?;
        Ok(rows)
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
                let c = col(column)?;
                let pattern = format!("{}.*", regex_escape(prefix));
                Box::new(
                    RegexQuery::from_pattern(&pattern, c.field)
                        .map_err(|e| tantivy_err(&self.dir, e))?,
                )
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
        Literal::TimestampMicros(t) => {
            Term::from_field_date_for_search(field, DateTime::from_timestamp_micros(*t))
        }
        Literal::Bool(b) => Term::from_field_bool(field, *b),
    }
}

/// Escapes the characters tantivy's regex syntax gives meaning to.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        if "\\.+*?()|[]{}^$#&-~\"<>@".contains(ch) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
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
        .writer_with_num_threads(1, WRITER_MEMORY)
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
    h.update(b"lakewarden-table-index-v1\0");
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
    for f in schema.fields() {
        let name = f.name().clone();
        let (field, kind) = match f.data_type() {
            DataType::Utf8 => (builder.add_text_field(&name, STRING | STORED), Kind::Str),
            DataType::Int64 => (
                builder.add_i64_field(&name, NumericOptions::default().set_indexed().set_stored()),
                Kind::I64,
            ),
            DataType::Timestamp(TimeUnit::Microsecond, _) => (
                builder.add_date_field(
                    &name,
                    DateOptions::default()
                        .set_indexed()
                        .set_stored()
                        .set_precision(DateTimePrecision::Microseconds),
                ),
                Kind::Timestamp,
            ),
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
