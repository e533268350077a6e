//! `lakewarden-lake`: where data lives and how it is read.
//!
//! URIs and their canonical `dataset_uri` form ([`uri`]), the store seam
//! ([`store`]; AWS named profiles in [`aws_profile`]), dataset discovery
//! ([`discover`]) and reading datasets as bounded streams of Arrow batches
//! ([`read`]), sampled deterministically ([`sample`]).
//!
//! Architecture Invariant: this crate knows nothing of classification or the
//! catalog; its errors never quote cell values.

pub mod aws_profile;
pub mod budget;
pub mod discover;
pub mod error;
pub mod format;
mod pinned;
pub mod pushdown;
pub mod read;
pub mod sample;
pub mod store;
mod text;
pub mod uri;

pub use budget::{parse_size, BudgetStats, MemoryBudget};
pub use discover::{discover, DatasetKind, DatasetRef, DeltaCommitFile, FileRef};
pub use error::{LakeError, StoreErrorKind};
pub use format::Format;
pub use pushdown::{IdColumn, IdFilter, Pushdown};
pub use read::{
    delta_commit_info, ChunkData, DeltaVersion, FileRead, FlatColumn, KnownFiles, ReadOptions,
    ReadReport, Reader,
};
pub use store::{open_store, open_store_checked, open_store_with, StoreOptions};
pub use uri::{canonical_uri, LakeLocation};

/// Where lakewarden keeps what it can rebuild (compiled rule databases,
/// Tantivy indexes of catalogs on object stores): `$LAKEWARDEN_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/lakewarden`, else `~/.cache/lakewarden`; `None`
/// without any of them.
pub fn cache_dir() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    if let Some(dir) = std::env::var_os("LAKEWARDEN_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("lakewarden"))
}
