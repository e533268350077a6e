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
