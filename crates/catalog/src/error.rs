//! Errors of the catalog. Every message names the catalog file, manifest or table involved.

/// An error of the catalog.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The catalog location cannot be used.
    #[error("catalog {location}: {reason}")]
    InvalidLocation { location: String, reason: String },

    /// Object-store I/O on a catalog file failed.
    #[error("catalog file {path}: {op} failed: {source}")]
    Store {
        op: &'static str,
        path: String,
        #[source]
        source: object_store::Error,
    },

    /// Local file-system I/O (fsync, staging clean-up) on a catalog file failed.
    #[error("catalog file {path}: {op} failed: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },

    /// A Parquet data file could not be written or read.
    #[error("catalog data file {path}: {source}")]
    Parquet {
        path: String,
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// An Arrow operation on a table's rows failed.
    #[error("catalog table {table}: {source}")]
    Arrow {
        table: String,
        #[source]
        source: arrow::error::ArrowError,
    },

    /// A manifest is not valid JSON of the expected shape.
    #[error("catalog manifest {path}: {reason}")]
    InvalidManifest { path: String, reason: String },

    /// The catalog was written by a newer lakewarden.
    #[error("catalog manifest {path}: {what} {found} is newer than this lakewarden supports ({supported}); upgrade lakewarden")]
    UnsupportedVersion {
        path: String,
        what: &'static str,
        found: u32,
        supported: u32,
    },

    /// A batch does not fit its table (schema, nulls, vocabulary, ranges).
    #[error("catalog table {table}: {reason}")]
    InvalidBatch { table: String, reason: String },

    /// A commit would break a catalog invariant.
    #[error("catalog commit refused: {0}")]
    InvalidCommit(String),

    /// Other writers kept committing first; the change was not applied.
    #[error("catalog {location}: commit gave up after {attempts} attempts, other writers kept winning the race for the next manifest")]
    CommitConflict { location: String, attempts: usize },
}

impl CatalogError {
    pub(crate) fn store(
        op: &'static str,
        path: impl ToString,
        source: object_store::Error,
    ) -> Self {
        CatalogError::Store {
            op,
            path: path.to_string(),
            source,
        }
    }

    pub(crate) fn arrow(table: impl ToString, source: arrow::error::ArrowError) -> Self {
        CatalogError::Arrow {
            table: table.to_string(),
            source,
        }
    }
}
