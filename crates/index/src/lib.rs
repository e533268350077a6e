//! `lakewarden-index`: who touched what, and what was derived from what.
//!
//! This crate owns the parsers behind `lakewarden ingest`:
//!
//! - [`parse_s3_access_log`] — S3 server access logs (space-separated, quoted
//!   and bracketed fields, hand-written splitter, no regex per line);
//! - [`parse_cloudtrail`] — CloudTrail `{"Records":[…]}` files, S3 data events
//!   only, records streamed one at a time;
//! - [`parse_azure_storage_log`] — Azure `StorageBlobLogs` diagnostic-settings
//!   JSON Lines;
//! - [`parse_openlineage`] — OpenLineage 2-0-2 run events (JSON Lines) →
//!   dataset-to-dataset [`LineageEdge`]s, [`ModelRecord`]s and [`ModelInput`]s;
//! - [`open_maybe_gzip`] — every log format may arrive gzip-compressed.
//!
//! All access-log parsers produce the same normalised [`AccessEvent`], with a
//! closed [`Operation`] vocabulary and canonical object URIs (`s3://bucket/key`,
//! `abfss://container@account.dfs.core.windows.net/path`; percent-decoded, no
//! trailing slash — the same spelling `lakewarden-lake` uses for datasets).
//! Event ids are stable: re-ingesting a file yields the same ids, so the index
//! can recognise them.
//!
//! A malformed line or record is counted in the [`ParseReport`] (with its line
//! or record number and a reason) and skipped; it is never fatal.
//!
//! **Architecture Invariant:** parsers never log or return raw lines. Error
//! reasons describe the shape of the problem ("expected 18+ fields, found 7",
//! "invalid JSON (syntax) at column 12") and never quote input, because keys,
//! user agents and query strings can carry personal data. Foreign error
//! messages (serde_json) are reduced to their category and position.
//!
//! Beyond the parsers:
//!
//! - [`ingest()`] — files under local / S3 / Azure URIs → catalog rows (the
//!   system of record, keyed by the file they came from; unchanged files are
//!   skipped by content hash) → Tantivy;
//! - [`TableIndex`] — a catalog table mirrored in a Tantivy index, searched with
//!   typed [`Predicate`]s (no SQL here: the `query` crate translates SQL filters
//!   into predicates), synced from the catalog and rebuildable from it;
//! - [`LocationResolver`] — one identity per dataset: object URIs and lineage
//!   names mapped to the catalog's `dataset_uri` through the `[aliases]` map.

mod azure;
mod cloudtrail;
mod event;
mod gz;
pub mod ingest;
mod lineage;
mod resolve;
mod s3;
pub mod table_index;
mod uri;

pub use azure::parse_azure_storage_log;
pub use cloudtrail::parse_cloudtrail;
pub use event::{AccessEvent, LogFormat, Operation, ParseReport, MAX_REPORTED_MALFORMED};
pub use gz::{maybe_gzip_bytes, open_maybe_gzip};
pub use ingest::{index_dir, ingest, sync_indexes, IngestOptions, IngestSummary, INDEXED_TABLES};
pub use lineage::{parse_openlineage, LineageBatch, LineageEdge, ModelInput, ModelRecord};
pub use resolve::{AliasError, Aliases, LocationResolver};
pub use s3::parse_s3_access_log;
pub use table_index::{
    IndexUpdate, Literal, Predicate, SearchStats, SyncStats, TableIndex, TableIndexError,
};
pub use uri::{azure_url_to_abfss, dataset_uri, resolve_aws_principal, s3_uri};

/// Errors of this crate. Messages never quote log content.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{source_name}: read failed: {error}")]
    Io {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{source_name}: {reason}")]
    Format { source_name: String, reason: String },
}
