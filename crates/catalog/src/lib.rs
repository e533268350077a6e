//! The persistent lakewarden catalog.
//!
//! - [`schema`]: the catalog tables ([`Table`]), their Arrow schemas and closed
//!   vocabularies — defined here and nowhere else.
//! - [`rows`]: typed rows ([`ScanRunRow`], [`DatasetRow`], [`ColumnRow`],
//!   [`ClassificationRow`]) and their Arrow conversions.
//! - [`Catalog`]: Parquet data files plus versioned JSON manifests, committed atomically
//!   with put-if-absent ([`Commit`]), read through [`Snapshot`]s.
//!
//! **Nothing outside this crate writes catalog files.**
//!
//! Invariants:
//! - one commit covers every table for a set of datasets: a reader never sees a
//!   dataset's findings without its `datasets` row, nor old and new rows of a dataset
//!   mixed; a writer killed at any point leaves the previous or the new generation;
//! - the catalog never stores a raw sensitive value (`evidence` is masked by the
//!   classifier; the catalog cannot check it).

pub mod batch;
mod catalog;
mod commit;
pub mod error;
mod grace;
pub mod manifest;
pub mod rows;
pub mod schema;

pub use catalog::{Catalog, Snapshot, VacuumStats, KEEP_MANIFESTS};
pub use commit::Commit;
pub use error::CatalogError;
pub use grace::{parse_duration, DEFAULT_VACUUM_GRACE};
pub use manifest::{FileEntry, Manifest};
pub use rows::{
    batch_to_rows, rows_to_batch, CatalogRow, ClassificationRow, ColumnRow, DatasetFileRow,
    DatasetRow, DatasetVersionRow, DateHistogramRow, FileEvidenceRow, LlmAnswerRow, ScanRunRow,
};
pub use schema::{
    AccessOperation, DatasetFormat, DatasetStatus, IngestFormat, LogFormat, Method, RunStatus,
    ScanMode, Sensitivity, Table, SCHEMA_VERSION,
};
