//! Typed rows of the catalog tables and their conversion to and from Arrow.
//!
//! The Arrow schemas are defined in [`crate::schema`]; these structs mirror them field
//! for field (timestamps as `DateTime<Utc>`, vocabulary columns as their enums).

use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, ListArray,
    ListBuilder, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampMicrosecondType};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CatalogError;
use crate::schema::{
    timestamp_type, utf8_list_type, DatasetFormat, DatasetStatus, Method, RunStatus, ScanMode,
    Sensitivity, Table,
};

/// A typed row of a catalog table.
pub trait CatalogRow: Sized + Clone + Send + Sync + 'static {
    /// The table this row belongs to.
    const TABLE: Table;
    /// The value of the table's key column ([`Table::key_column`]).
    fn key(&self) -> &str;
    /// Rows → one batch with exactly `Self::TABLE.schema()`.
    fn to_batch(rows: &[Self]) -> RecordBatch;
    /// A batch (of the table's schema, or a compatible one) → rows.
    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>, CatalogError>;
}

/// Rows → one `RecordBatch` with the table's schema.
pub fn rows_to_batch<T: CatalogRow>(rows: &[T]) -> RecordBatch {
    T::to_batch(rows)
}

/// A `RecordBatch` of a table → typed rows. Fails (naming table, column and row) on a
/// missing required column, an unexpected null or a value outside a vocabulary.
pub fn batch_to_rows<T: CatalogRow>(batch: &RecordBatch) -> Result<Vec<T>, CatalogError> {
    T::from_batch(batch)
}

/// A row of `scan_runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRunRow {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub roots: Vec<String>,
    pub status: RunStatus,
    pub mode: ScanMode,
    pub datasets_scanned: i64,
    pub datasets_skipped: i64,
    pub datasets_failed: i64,
    pub datasets_unsupported: i64,
    pub ruleset_fingerprint: String,
    pub lakewarden_version: String,
    /// Datasets this run marked deleted (0 for runs written before v2).
    pub datasets_deleted: i64,
    /// `K/N` when the run covered one shard of the estate.
    pub shard: Option<String>,
}

/// A row of `datasets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub dataset_uri: String,
    pub root_uri: String,
    pub format: DatasetFormat,
    pub file_count: i64,
    pub row_count: Option<i64>,
    pub rows_skipped: i64,
    pub bytes: i64,
    pub bytes_read: i64,
    pub version: Option<i64>,
    pub last_modified: Option<DateTime<Utc>>,
    pub last_scan_run: String,
    pub scanned_at: DateTime<Utc>,
    pub status: DatasetStatus,
    pub error: Option<String>,
    pub notes: Option<String>,
    pub ruleset_fingerprint: String,
    /// What the listing showed when the dataset was last read (see the schema).
    pub content_fingerprint: Option<String>,
    /// What decided its findings: ruleset, sampling and classifier settings.
    pub settings_fingerprint: Option<String>,
}

/// A row of `dataset_files`: one object a dataset's latest scan listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFileRow {
    pub dataset_uri: String,
    pub object_uri: String,
    pub size: i64,
    pub e_tag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub run_id: String,
}

/// A row of `dataset_versions`: a Delta version time travel can still reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetVersionRow {
    pub dataset_uri: String,
    pub version: i64,
    pub committed_at: Option<DateTime<Utc>>,
    pub operation: Option<String>,
    pub scanned: bool,
    pub log_expires_at: Option<DateTime<Utc>>,
    pub files_vacuumable_at: Option<DateTime<Utc>>,
    pub run_id: String,
}

/// A row of `date_histograms`: one month of one date column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateHistogramRow {
    pub dataset_uri: String,
    pub column_path: String,
    pub month: DateTime<Utc>,
    pub sampled_values: i64,
    pub estimated_rows: i64,
    pub run_id: String,
}

/// A row of `file_evidence`: one column's evidence from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEvidenceRow {
    pub dataset_uri: String,
    pub object_uri: String,
    pub size: i64,
    pub e_tag: Option<String>,
    pub rows: i64,
    pub rows_sampled: i64,
    pub column_path: String,
    pub data_type: String,
    /// The classifier's partial as JSON (never a value).
    pub evidence: String,
    pub run_id: String,
}

/// A row of `columns`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnRow {
    pub dataset_uri: String,
    pub column_path: String,
    pub data_type: String,
    pub null_fraction: f64,
    pub values_sampled: i64,
    pub run_id: String,
    /// JSON list of the entities considered for this column and the verdict
    /// on each (what `lakewarden explain` prints). Masked; never raw values.
    pub considered: Option<String>,
}

/// A row of `llm_answers`: a cached model verdict on one column (never a value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmAnswerRow {
    pub cache_key: String,
    pub column_fingerprint: String,
    pub sample_fingerprint: String,
    pub model: String,
    pub prompt_version: i64,
    pub prompt_hash: String,
    pub entity: String,
    pub confidence: f64,
    pub reason: String,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub column_path: String,
    pub run_id: String,
    pub answered_at: DateTime<Utc>,
}

/// A row of `classifications`. `evidence` is masked — never raw values (the classifier
/// guarantees it; the catalog cannot check it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationRow {
    pub dataset_uri: String,
    pub column_path: String,
    pub entity: String,
    pub sensitivity: Sensitivity,
    pub confidence: f64,
    pub method: Method,
    pub sampled_values: i64,
    pub matched_values: i64,
    pub validated_values: i64,
    pub evidence: String,
    pub explanation: String,
    pub run_id: String,
    pub first_seen_run: String,
    pub last_seen_run: String,
    pub ruleset_fingerprint: String,
}

// ---------------------------------------------------------------------------------------
// Building arrays

fn s<'a, T: 'a>(rows: &'a [T], f: impl Fn(&'a T) -> &'a str) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
}
fn s_opt<'a, T: 'a>(rows: &'a [T], f: impl Fn(&'a T) -> Option<&'a str>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<StringArray>())
}
fn i<T>(rows: &[T], f: impl Fn(&T) -> i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(rows.iter().map(f)))
}
fn i_opt<T>(rows: &[T], f: impl Fn(&T) -> Option<i64>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<Int64Array>())
}
fn b_opt<T>(rows: &[T], f: impl Fn(&T) -> Option<bool>) -> ArrayRef {
    Arc::new(rows.iter().map(f).collect::<BooleanArray>())
}
fn f<T>(rows: &[T], g: impl Fn(&T) -> f64) -> ArrayRef {
    Arc::new(Float64Array::from_iter_values(rows.iter().map(g)))
}
fn t<T>(rows: &[T], f: impl Fn(&T) -> DateTime<Utc>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| f(r).timestamp_micros()))
            .with_timezone("UTC"),
    )
}
fn t_opt<T>(rows: &[T], f: impl Fn(&T) -> Option<DateTime<Utc>>) -> ArrayRef {
    Arc::new(
        rows.iter()
            .map(|r| f(r).map(|d| d.timestamp_micros()))
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}
fn list<T>(rows: &[T], f: impl Fn(&T) -> &[String]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for r in rows {
        for v in f(r) {
            b.values().append_value(v);
        }
        b.append(true);
    }
    Arc::new(b.finish())
}

fn batch(table: Table, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(table.schema(), columns)
        .unwrap_or_else(|e| panic!("row conversion of {table} does not match its schema: {e}"))
}

// ---------------------------------------------------------------------------------------
// Reading arrays

/// Typed access to the columns of a batch of `table`, casting compatible types and
/// filling absent nullable columns with nulls (files written by older schema versions).
struct Cols<'a> {
    table: Table,
    batch: &'a RecordBatch,
}

impl<'a> Cols<'a> {
    fn new(table: Table, batch: &'a RecordBatch) -> Self {
        Cols { table, batch }
    }

    fn err(&self, reason: String) -> CatalogError {
        CatalogError::InvalidBatch {
            table: self.table.name().to_string(),
            reason,
        }
    }

    fn get(&self, name: &str, ty: &DataType) -> Result<ArrayRef, CatalogError> {
        match self.batch.column_by_name(name) {
            Some(c) if c.data_type() == ty => Ok(Arc::clone(c)),
            Some(c) => cast(c, ty).map_err(|e| {
                self.err(format!(
                    "column {name}: cannot read {} as {ty}: {e}",
                    c.data_type()
                ))
            }),
            None => {
                let schema = self.table.schema();
                match schema.field_with_name(name) {
                    Ok(f) if f.is_nullable() => Ok(new_null_array(ty, self.batch.num_rows())),
                    _ => Err(self.err(format!("missing column {name}"))),
                }
            }
        }
    }

    fn bool(&self, name: &'static str) -> Result<Col<BooleanArray>, CatalogError> {
        let a = self.get(name, &DataType::Boolean)?;
        Ok(Col::new(self, name, a.as_boolean().clone()))
    }

    fn str(&self, name: &'static str) -> Result<Col<StringArray>, CatalogError> {
        let a = self.get(name, &DataType::Utf8)?;
        Ok(Col::new(self, name, a.as_string::<i32>().clone()))
    }
    fn i64(&self, name: &'static str) -> Result<Col<Int64Array>, CatalogError> {
        let a = self.get(name, &DataType::Int64)?;
        Ok(Col::new(self, name, a.as_primitive::<Int64Type>().clone()))
    }
    fn f64(&self, name: &'static str) -> Result<Col<Float64Array>, CatalogError> {
        let a = self.get(name, &DataType::Float64)?;
        Ok(Col::new(
            self,
            name,
            a.as_primitive::<Float64Type>().clone(),
        ))
    }
    fn ts(&self, name: &'static str) -> Result<Col<TimestampMicrosecondArray>, CatalogError> {
        let a = self.get(name, &timestamp_type())?;
        Ok(Col::new(
            self,
            name,
            a.as_primitive::<TimestampMicrosecondType>().clone(),
        ))
    }
    fn list(&self, name: &'static str) -> Result<Col<ListArray>, CatalogError> {
        let a = self.get(name, &utf8_list_type())?;
        Ok(Col::new(self, name, a.as_list::<i32>().clone()))
    }
}

struct Col<A> {
    table: Table,
    name: &'static str,
    array: A,
}

impl<A: Array> Col<A> {
    fn new(cols: &Cols<'_>, name: &'static str, array: A) -> Self {
        Col {
            table: cols.table,
            name,
            array,
        }
    }
    fn err(&self, row: usize, reason: &str) -> CatalogError {
        CatalogError::InvalidBatch {
            table: self.table.name().to_string(),
            reason: format!("column {} row {row}: {reason}", self.name),
        }
    }
    fn present(&self, row: usize) -> Result<(), CatalogError> {
        if self.array.is_null(row) {
            Err(self.err(row, "unexpected null"))
        } else {
            Ok(())
        }
    }
}

impl Col<StringArray> {
    fn req(&self, row: usize) -> Result<String, CatalogError> {
        self.present(row)?;
        Ok(self.array.value(row).to_string())
    }
    fn opt(&self, row: usize) -> Option<String> {
        (!self.array.is_null(row)).then(|| self.array.value(row).to_string())
    }
    fn vocab<V: std::str::FromStr<Err = crate::schema::UnknownValue>>(
        &self,
        row: usize,
    ) -> Result<V, CatalogError> {
        self.present(row)?;
        self.array
            .value(row)
            .parse()
            .map_err(|e: crate::schema::UnknownValue| self.err(row, &e.to_string()))
    }
}

impl Col<BooleanArray> {
    fn opt(&self, row: usize) -> Option<bool> {
        (!self.array.is_null(row)).then(|| self.array.value(row))
    }
}

impl Col<Int64Array> {
    fn req(&self, row: usize) -> Result<i64, CatalogError> {
        self.present(row)?;
        Ok(self.array.value(row))
    }
    fn opt(&self, row: usize) -> Option<i64> {
        (!self.array.is_null(row)).then(|| self.array.value(row))
    }
}

impl Col<Float64Array> {
    fn req(&self, row: usize) -> Result<f64, CatalogError> {
        self.present(row)?;
        Ok(self.array.value(row))
    }
}

impl Col<TimestampMicrosecondArray> {
    fn conv(&self, row: usize) -> Result<DateTime<Utc>, CatalogError> {
        DateTime::<Utc>::from_timestamp_micros(self.array.value(row))
            .ok_or_else(|| self.err(row, "timestamp out of range"))
    }
    fn req(&self, row: usize) -> Result<DateTime<Utc>, CatalogError> {
        self.present(row)?;
        self.conv(row)
    }
    fn opt(&self, row: usize) -> Result<Option<DateTime<Utc>>, CatalogError> {
        if self.array.is_null(row) {
            Ok(None)
        } else {
            self.conv(row).map(Some)
        }
    }
}

impl Col<ListArray> {
    fn req(&self, row: usize) -> Result<Vec<String>, CatalogError> {
        self.present(row)?;
        let values = self.array.value(row);
        let values = values.as_string::<i32>();
        Ok(values
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    }
}

// ---------------------------------------------------------------------------------------
// The four tables

impl CatalogRow for ScanRunRow {
    const TABLE: Table = Table::ScanRuns;

    fn key(&self) -> &str {
        &self.run_id
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.run_id),
                t(rows, |r| r.started_at),
                t_opt(rows, |r| r.finished_at),
                list(rows, |r| &r.roots),
                s(rows, |r| r.status.as_str()),
                s(rows, |r| r.mode.as_str()),
                i(rows, |r| r.datasets_scanned),
                i(rows, |r| r.datasets_skipped),
                i(rows, |r| r.datasets_failed),
                i(rows, |r| r.datasets_unsupported),
                s(rows, |r| &r.ruleset_fingerprint),
                s(rows, |r| &r.lakewarden_version),
                i_opt(rows, |r| Some(r.datasets_deleted)),
                s_opt(rows, |r| r.shard.as_deref()),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let run_id = c.str("run_id")?;
        let started_at = c.ts("started_at")?;
        let finished_at = c.ts("finished_at")?;
        let roots = c.list("roots")?;
        let status = c.str("status")?;
        let mode = c.str("mode")?;
        let scanned = c.i64("datasets_scanned")?;
        let skipped = c.i64("datasets_skipped")?;
        let failed = c.i64("datasets_failed")?;
        let unsupported = c.i64("datasets_unsupported")?;
        let fingerprint = c.str("ruleset_fingerprint")?;
        let version = c.str("lakewarden_version")?;
        let deleted = c.i64("datasets_deleted")?;
        let shard = c.str("shard")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(ScanRunRow {
                    run_id: run_id.req(i)?,
                    started_at: started_at.req(i)?,
                    finished_at: finished_at.opt(i)?,
                    roots: roots.req(i)?,
                    status: status.vocab(i)?,
                    mode: mode.vocab(i)?,
                    datasets_scanned: scanned.req(i)?,
                    datasets_skipped: skipped.req(i)?,
                    datasets_failed: failed.req(i)?,
                    datasets_unsupported: unsupported.req(i)?,
                    ruleset_fingerprint: fingerprint.req(i)?,
                    lakewarden_version: version.req(i)?,
                    datasets_deleted: deleted.opt(i).unwrap_or(0),
                    shard: shard.opt(i),
                })
            })
            .collect()
    }
}

impl CatalogRow for DatasetRow {
    const TABLE: Table = Table::Datasets;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.root_uri),
                s(rows, |r| r.format.as_str()),
                i(rows, |r| r.file_count),
                i_opt(rows, |r| r.row_count),
                i(rows, |r| r.rows_skipped),
                i(rows, |r| r.bytes),
                i(rows, |r| r.bytes_read),
                i_opt(rows, |r| r.version),
                t_opt(rows, |r| r.last_modified),
                s(rows, |r| &r.last_scan_run),
                t(rows, |r| r.scanned_at),
                s(rows, |r| r.status.as_str()),
                s_opt(rows, |r| r.error.as_deref()),
                s_opt(rows, |r| r.notes.as_deref()),
                s(rows, |r| &r.ruleset_fingerprint),
                s_opt(rows, |r| r.content_fingerprint.as_deref()),
                s_opt(rows, |r| r.settings_fingerprint.as_deref()),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let root_uri = c.str("root_uri")?;
        let format = c.str("format")?;
        let file_count = c.i64("file_count")?;
        let row_count = c.i64("row_count")?;
        let rows_skipped = c.i64("rows_skipped")?;
        let bytes = c.i64("bytes")?;
        let bytes_read = c.i64("bytes_read")?;
        let version = c.i64("version")?;
        let last_modified = c.ts("last_modified")?;
        let last_scan_run = c.str("last_scan_run")?;
        let scanned_at = c.ts("scanned_at")?;
        let status = c.str("status")?;
        let error = c.str("error")?;
        let notes = c.str("notes")?;
        let fingerprint = c.str("ruleset_fingerprint")?;
        let content_fp = c.str("content_fingerprint")?;
        let settings_fp = c.str("settings_fingerprint")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(DatasetRow {
                    dataset_uri: dataset_uri.req(i)?,
                    root_uri: root_uri.req(i)?,
                    format: format.vocab(i)?,
                    file_count: file_count.req(i)?,
                    row_count: row_count.opt(i),
                    rows_skipped: rows_skipped.req(i)?,
                    bytes: bytes.req(i)?,
                    bytes_read: bytes_read.req(i)?,
                    version: version.opt(i),
                    last_modified: last_modified.opt(i)?,
                    last_scan_run: last_scan_run.req(i)?,
                    scanned_at: scanned_at.req(i)?,
                    status: status.vocab(i)?,
                    error: error.opt(i),
                    notes: notes.opt(i),
                    ruleset_fingerprint: fingerprint.req(i)?,
                    content_fingerprint: content_fp.opt(i),
                    settings_fingerprint: settings_fp.opt(i),
                })
            })
            .collect()
    }
}

impl CatalogRow for DatasetFileRow {
    const TABLE: Table = Table::DatasetFiles;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.object_uri),
                i(rows, |r| r.size),
                s_opt(rows, |r| r.e_tag.as_deref()),
                t_opt(rows, |r| r.last_modified),
                s(rows, |r| &r.run_id),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let object_uri = c.str("object_uri")?;
        let size = c.i64("size")?;
        let e_tag = c.str("e_tag")?;
        let last_modified = c.ts("last_modified")?;
        let run_id = c.str("run_id")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(DatasetFileRow {
                    dataset_uri: dataset_uri.req(i)?,
                    object_uri: object_uri.req(i)?,
                    size: size.req(i)?,
                    e_tag: e_tag.opt(i),
                    last_modified: last_modified.opt(i)?,
                    run_id: run_id.req(i)?,
                })
            })
            .collect()
    }
}

impl CatalogRow for DatasetVersionRow {
    const TABLE: Table = Table::DatasetVersions;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                i(rows, |r| r.version),
                t_opt(rows, |r| r.committed_at),
                s_opt(rows, |r| r.operation.as_deref()),
                b_opt(rows, |r| Some(r.scanned)),
                t_opt(rows, |r| r.log_expires_at),
                t_opt(rows, |r| r.files_vacuumable_at),
                s(rows, |r| &r.run_id),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let version = c.i64("version")?;
        let committed_at = c.ts("committed_at")?;
        let operation = c.str("operation")?;
        let scanned = c.bool("scanned")?;
        let log_expires_at = c.ts("log_expires_at")?;
        let files_vacuumable_at = c.ts("files_vacuumable_at")?;
        let run_id = c.str("run_id")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(DatasetVersionRow {
                    dataset_uri: dataset_uri.req(i)?,
                    version: version.req(i)?,
                    committed_at: committed_at.opt(i)?,
                    operation: operation.opt(i),
                    scanned: scanned.opt(i).unwrap_or(false),
                    log_expires_at: log_expires_at.opt(i)?,
                    files_vacuumable_at: files_vacuumable_at.opt(i)?,
                    run_id: run_id.req(i)?,
                })
            })
            .collect()
    }
}

impl CatalogRow for DateHistogramRow {
    const TABLE: Table = Table::DateHistograms;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.column_path),
                t(rows, |r| r.month),
                i(rows, |r| r.sampled_values),
                i(rows, |r| r.estimated_rows),
                s(rows, |r| &r.run_id),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let column_path = c.str("column_path")?;
        let month = c.ts("month")?;
        let sampled = c.i64("sampled_values")?;
        let estimated = c.i64("estimated_rows")?;
        let run_id = c.str("run_id")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(DateHistogramRow {
                    dataset_uri: dataset_uri.req(i)?,
                    column_path: column_path.req(i)?,
                    month: month.req(i)?,
                    sampled_values: sampled.req(i)?,
                    estimated_rows: estimated.req(i)?,
                    run_id: run_id.req(i)?,
                })
            })
            .collect()
    }
}

impl CatalogRow for FileEvidenceRow {
    const TABLE: Table = Table::FileEvidence;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.object_uri),
                i(rows, |r| r.size),
                s_opt(rows, |r| r.e_tag.as_deref()),
                i(rows, |r| r.rows),
                i(rows, |r| r.rows_sampled),
                s(rows, |r| &r.column_path),
                s(rows, |r| &r.data_type),
                s(rows, |r| &r.evidence),
                s(rows, |r| &r.run_id),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let object_uri = c.str("object_uri")?;
        let size = c.i64("size")?;
        let e_tag = c.str("e_tag")?;
        let rows = c.i64("rows")?;
        let rows_sampled = c.i64("rows_sampled")?;
        let column_path = c.str("column_path")?;
        let data_type = c.str("data_type")?;
        let evidence = c.str("evidence")?;
        let run_id = c.str("run_id")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(FileEvidenceRow {
                    dataset_uri: dataset_uri.req(i)?,
                    object_uri: object_uri.req(i)?,
                    size: size.req(i)?,
                    e_tag: e_tag.opt(i),
                    rows: rows.req(i)?,
                    rows_sampled: rows_sampled.req(i)?,
                    column_path: column_path.req(i)?,
                    data_type: data_type.req(i)?,
                    evidence: evidence.req(i)?,
                    run_id: run_id.req(i)?,
                })
            })
            .collect()
    }
}

impl CatalogRow for ColumnRow {
    const TABLE: Table = Table::Columns;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.column_path),
                s(rows, |r| &r.data_type),
                f(rows, |r| r.null_fraction),
                i(rows, |r| r.values_sampled),
                s(rows, |r| &r.run_id),
                s_opt(rows, |r| r.considered.as_deref()),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let considered = c.str("considered")?;
        let dataset_uri = c.str("dataset_uri")?;
        let column_path = c.str("column_path")?;
        let data_type = c.str("data_type")?;
        let null_fraction = c.f64("null_fraction")?;
        let values_sampled = c.i64("values_sampled")?;
        let run_id = c.str("run_id")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(ColumnRow {
                    dataset_uri: dataset_uri.req(i)?,
                    column_path: column_path.req(i)?,
                    data_type: data_type.req(i)?,
                    null_fraction: null_fraction.req(i)?,
                    values_sampled: values_sampled.req(i)?,
                    run_id: run_id.req(i)?,
                    considered: considered.opt(i),
                })
            })
            .collect()
    }
}

impl CatalogRow for ClassificationRow {
    const TABLE: Table = Table::Classifications;

    fn key(&self) -> &str {
        &self.dataset_uri
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.dataset_uri),
                s(rows, |r| &r.column_path),
                s(rows, |r| &r.entity),
                s(rows, |r| r.sensitivity.as_str()),
                f(rows, |r| r.confidence),
                s(rows, |r| r.method.as_str()),
                i(rows, |r| r.sampled_values),
                i(rows, |r| r.matched_values),
                i(rows, |r| r.validated_values),
                s(rows, |r| &r.evidence),
                s(rows, |r| &r.explanation),
                s(rows, |r| &r.run_id),
                s(rows, |r| &r.first_seen_run),
                s(rows, |r| &r.last_seen_run),
                s(rows, |r| &r.ruleset_fingerprint),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let dataset_uri = c.str("dataset_uri")?;
        let column_path = c.str("column_path")?;
        let entity = c.str("entity")?;
        let sensitivity = c.str("sensitivity")?;
        let confidence = c.f64("confidence")?;
        let method = c.str("method")?;
        let sampled = c.i64("sampled_values")?;
        let matched = c.i64("matched_values")?;
        let validated = c.i64("validated_values")?;
        let evidence = c.str("evidence")?;
        let explanation = c.str("explanation")?;
        let run_id = c.str("run_id")?;
        let first_seen = c.str("first_seen_run")?;
        let last_seen = c.str("last_seen_run")?;
        let fingerprint = c.str("ruleset_fingerprint")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(ClassificationRow {
                    dataset_uri: dataset_uri.req(i)?,
                    column_path: column_path.req(i)?,
                    entity: entity.req(i)?,
                    sensitivity: sensitivity.vocab(i)?,
                    confidence: confidence.req(i)?,
                    method: method.vocab(i)?,
                    sampled_values: sampled.req(i)?,
                    matched_values: matched.req(i)?,
                    validated_values: validated.req(i)?,
                    evidence: evidence.req(i)?,
                    explanation: explanation.req(i)?,
                    run_id: run_id.req(i)?,
                    first_seen_run: first_seen.req(i)?,
                    last_seen_run: last_seen.req(i)?,
                    ruleset_fingerprint: fingerprint.req(i)?,
                })
            })
            .collect()
    }
}

impl CatalogRow for LlmAnswerRow {
    const TABLE: Table = Table::LlmAnswers;

    fn key(&self) -> &str {
        &self.cache_key
    }

    fn to_batch(rows: &[Self]) -> RecordBatch {
        batch(
            Self::TABLE,
            vec![
                s(rows, |r| &r.cache_key),
                s(rows, |r| &r.column_fingerprint),
                s(rows, |r| &r.sample_fingerprint),
                s(rows, |r| &r.model),
                i(rows, |r| r.prompt_version),
                s(rows, |r| &r.prompt_hash),
                s(rows, |r| &r.entity),
                f(rows, |r| r.confidence),
                s(rows, |r| &r.reason),
                i(rows, |r| r.prompt_tokens),
                i(rows, |r| r.completion_tokens),
                s(rows, |r| &r.column_path),
                s(rows, |r| &r.run_id),
                t(rows, |r| r.answered_at),
            ],
        )
    }

    fn from_batch(b: &RecordBatch) -> Result<Vec<Self>, CatalogError> {
        let c = Cols::new(Self::TABLE, b);
        let cache_key = c.str("cache_key")?;
        let column_fingerprint = c.str("column_fingerprint")?;
        let sample_fingerprint = c.str("sample_fingerprint")?;
        let model = c.str("model")?;
        let prompt_version = c.i64("prompt_version")?;
        let prompt_hash = c.str("prompt_hash")?;
        let entity = c.str("entity")?;
        let confidence = c.f64("confidence")?;
        let reason = c.str("reason")?;
        let prompt_tokens = c.i64("prompt_tokens")?;
        let completion_tokens = c.i64("completion_tokens")?;
        let column_path = c.str("column_path")?;
        let run_id = c.str("run_id")?;
        let answered_at = c.ts("answered_at")?;
        (0..b.num_rows())
            .map(|i| {
                Ok(LlmAnswerRow {
                    cache_key: cache_key.req(i)?,
                    column_fingerprint: column_fingerprint.req(i)?,
                    sample_fingerprint: sample_fingerprint.req(i)?,
                    model: model.req(i)?,
                    prompt_version: prompt_version.req(i)?,
                    prompt_hash: prompt_hash.req(i)?,
                    entity: entity.req(i)?,
                    confidence: confidence.req(i)?,
                    reason: reason.req(i)?,
                    prompt_tokens: prompt_tokens.req(i)?,
                    completion_tokens: completion_tokens.req(i)?,
                    column_path: column_path.req(i)?,
                    run_id: run_id.req(i)?,
                    answered_at: answered_at.req(i)?,
                })
            })
            .collect()
    }
}
