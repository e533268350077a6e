//! The manifest: the list of live Parquet files of every table, one JSON file per
//! generation under `_manifest/`. The highest generation is the catalog's state.
//!
//! ```json
//! {"format_version":1,"schema_version":1,"generation":7,"created_at":"2025-…Z",
//!  "tables":{"datasets":[{"path":"data/datasets/7-<uuid>.parquet","rows":12,"bytes":4242,
//!                         "keys":["file:///…", …]}],
//!            "columns":[…], "classifications":[…], "scan_runs":[…]}}
//! ```
//!
//! Each file carries a summary of its key column (`dataset_uri`, `run_id` for
//! `scan_runs`, `ingested_from` for the ingested tables): how many distinct keys it
//! holds, the smallest and the largest, and — for a file of at most
//! [`LISTED_KEYS_MAX`] keys, or of a table whose keys are always listed
//! ([`Table::lists_keys`]) — the keys themselves, sorted. A commit knows from the
//! summary which files may hold the keys it replaces; only a file whose key range
//! meets them and that lists no keys has its key column read. So the manifest (read
//! and rewritten by every commit, held in memory by every snapshot) grows with the
//! number of files, which compaction bounds, not with the number of datasets: a
//! compacted file of 100,000 datasets costs two keys, not 100,000.
//! Paths are relative to the catalog root, `/`-separated.
//!
//! ## Versions and migration
//!
//! `format_version` is the layout of this JSON; `schema_version` the version of the table
//! schemas ([`crate::SCHEMA_VERSION`]). Opening a catalog whose manifest has an older
//! `schema_version` runs [`migrate`] and commits the result as a new generation; a newer
//! version is refused (an older lakewarden must not rewrite a newer catalog).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CatalogError;
use crate::schema::{Table, SCHEMA_VERSION};

/// Version of the manifest JSON layout. 2: files carry `key_count`, `key_min`,
/// `key_max`, and list their keys only up to [`LISTED_KEYS_MAX`] (a version-1 reader
/// would take an unlisted file for one holding no keys, hence the bump).
pub const FORMAT_VERSION: u32 = 2;

/// Files with more distinct keys than this list none in the manifest (see the module
/// docs); tables with [`Table::lists_keys`] list them all.
pub const LISTED_KEYS_MAX: usize = 64;

/// One generation of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub schema_version: u32,
    pub generation: u64,
    pub created_at: DateTime<Utc>,
    /// Table name → its live files. Tables unknown to this version are carried over
    /// untouched by commits.
    pub tables: BTreeMap<String, Vec<FileEntry>>,
}

/// A live Parquet file of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the catalog root: `data/<table>/<generation>-<uuid>.parquet`.
    pub path: String,
    /// Number of rows in the file.
    pub rows: u64,
    /// Size of the file in bytes (0 when unknown).
    #[serde(default)]
    pub bytes: u64,
    /// The distinct values of the table's key column in the file, sorted — when the
    /// file lists them ([`FileEntry::listed_keys`]); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// How many distinct keys the file holds.
    #[serde(default)]
    pub key_count: u64,
    /// The smallest key in the file (absent for a file without rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_min: Option<String>,
    /// The largest key in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_max: Option<String>,
}

impl FileEntry {
    /// The entry of a new file of `table` holding `keys` (distinct, sorted).
    pub fn new(table: Table, path: String, rows: u64, bytes: u64, keys: Vec<String>) -> Self {
        let mut e = FileEntry {
            path,
            rows,
            bytes,
            keys,
            key_count: 0,
            key_min: None,
            key_max: None,
        };
        e.summarise_keys();
        e.trim_keys(table);
        e
    }

    /// Sets the summary from the (complete, sorted) key list.
    fn summarise_keys(&mut self) {
        self.key_count = self.keys.len() as u64;
        self.key_min = self.keys.first().cloned();
        self.key_max = self.keys.last().cloned();
    }

    /// Drops the key list when the file holds too many keys to list (see the module
    /// docs).
    fn trim_keys(&mut self, table: Table) {
        if self.keys.len() > LISTED_KEYS_MAX && !table.lists_keys() {
            self.keys = Vec::new();
        }
    }

    /// The file's keys, when the manifest lists them; `None` when only the summary is
    /// kept (read the file's key column).
    pub fn listed_keys(&self) -> Option<&[String]> {
        (self.keys.len() as u64 == self.key_count).then_some(self.keys.as_slice())
    }

    /// False when the file certainly holds no row of `key`.
    pub fn may_hold(&self, key: &str) -> bool {
        match self.listed_keys() {
            Some(keys) => keys.binary_search_by(|k| k.as_str().cmp(key)).is_ok(),
            None => self.in_range(key),
        }
    }

    /// False when the file certainly holds no row of any of `keys`.
    pub fn may_hold_any(&self, keys: &std::collections::BTreeSet<String>) -> bool {
        match (self.listed_keys(), &self.key_min, &self.key_max) {
            (Some(listed), _, _) if listed.len() <= keys.len() => {
                listed.iter().any(|k| keys.contains(k))
            }
            (_, Some(min), Some(max)) => keys
                .range::<str, _>((
                    std::ops::Bound::Included(min.as_str()),
                    std::ops::Bound::Included(max.as_str()),
                ))
                .any(|k| self.may_hold(k)),
            _ => false,
        }
    }

    /// False when the file certainly holds no key starting with `prefix`.
    pub fn may_hold_prefix(&self, prefix: &str) -> bool {
        match (&self.key_min, &self.key_max) {
            // Every key with the prefix sorts at or after it; a key after the prefix
            // that does not start with it sorts after every key that does.
            (Some(min), Some(max)) => {
                max.as_str() >= prefix && (min.as_str() <= prefix || min.starts_with(prefix))
            }
            _ => false,
        }
    }

    fn in_range(&self, key: &str) -> bool {
        match (&self.key_min, &self.key_max) {
            (Some(min), Some(max)) => min.as_str() <= key && key <= max.as_str(),
            _ => false,
        }
    }
}

impl Manifest {
    /// The empty catalog: generation 0, every table present and empty.
    pub fn empty() -> Manifest {
        Manifest {
            format_version: FORMAT_VERSION,
            schema_version: SCHEMA_VERSION,
            generation: 0,
            created_at: Utc::now(),
            tables: Table::ALL
                .iter()
                .map(|t| (t.name().to_string(), Vec::new()))
                .collect(),
        }
    }

    /// The files of a table (empty if the table is absent).
    pub fn files(&self, table: Table) -> &[FileEntry] {
        self.tables
            .get(table.name())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every file the manifest references, over all tables.
    pub fn all_paths(&self) -> impl Iterator<Item = &str> {
        self.tables.values().flatten().map(|f| f.path.as_str())
    }

    /// The object name of a generation's manifest under `_manifest/`.
    pub fn file_name(generation: u64) -> String {
        format!("{generation:020}.json")
    }

    /// The generation of a manifest object name, if it is one.
    pub fn parse_file_name(name: &str) -> Option<u64> {
        let digits = name.strip_suffix(".json")?;
        if digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits.parse().ok()
        } else {
            None
        }
    }

    /// Parses a manifest and refuses versions newer than this build. `path` names the
    /// manifest in errors.
    pub fn from_json(bytes: &[u8], path: &str) -> Result<Manifest, CatalogError> {
        // Read the versions first, so that a newer layout is reported as such rather
        // than as a parse error.
        #[derive(Deserialize)]
        struct Versions {
            format_version: u32,
            #[serde(default)]
            schema_version: u32,
        }
        let invalid = |e: serde_json::Error| CatalogError::InvalidManifest {
            path: path.to_string(),
            reason: e.to_string(),
        };
        let v: Versions = serde_json::from_slice(bytes).map_err(invalid)?;
        if v.format_version > FORMAT_VERSION {
            return Err(CatalogError::UnsupportedVersion {
                path: path.to_string(),
                what: "format_version",
                found: v.format_version,
                supported: FORMAT_VERSION,
            });
        }
        if v.schema_version > SCHEMA_VERSION {
            return Err(CatalogError::UnsupportedVersion {
                path: path.to_string(),
                what: "schema_version",
                found: v.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        #[derive(Deserialize)]
        struct Raw {
            format_version: u32,
            #[serde(default)]
            schema_version: u32,
            generation: u64,
            created_at: DateTime<Utc>,
            #[serde(default)]
            tables: BTreeMap<String, Vec<FileEntry>>,
        }
        let mut raw: Raw = serde_json::from_slice(bytes).map_err(invalid)?;
        if raw.format_version < 2 {
            // Version 1 listed every file's keys and had no summary.
            raw.tables
                .values_mut()
                .flatten()
                .for_each(FileEntry::summarise_keys);
        }
        Ok(Manifest {
            format_version: raw.format_version,
            schema_version: raw.schema_version,
            generation: raw.generation,
            created_at: raw.created_at,
            tables: raw.tables,
        })
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest always serializes")
    }
}

/// Brings a manifest up to [`SCHEMA_VERSION`]: runs each migration step from its version
/// on, then adds every table this build knows and the manifest lacks, empty. Returns
/// whether anything changed (the caller then commits the result as a new generation).
///
/// A step that must rewrite data files (a column renamed, a type changed) would read
/// them here and return the new file list; adding a *nullable* column needs no rewrite
/// (readers fill absent nullable columns with nulls).
pub fn migrate(m: &mut Manifest) -> Result<bool, CatalogError> {
    let mut changed = false;
    while m.schema_version < SCHEMA_VERSION {
        match m.schema_version {
            // v0 → v1: catalogs written before the schema was versioned (development
            // builds). Their tables already had the v1 columns; any table they lack is
            // added below.
            0 => {}
            // v1 → v2: nullable columns for incremental scans (`datasets.content_
            // fingerprint` / `settings_fingerprint`, `scan_runs.datasets_deleted` /
            // `shard`) — readers fill them with nulls, no rewrite — and the
            // `dataset_files`, `dataset_versions` and `date_histograms` tables,
            // added empty below.
            1 => {}
            v => {
                return Err(CatalogError::InvalidManifest {
                    path: format!("generation {}", m.generation),
                    reason: format!("no migration from schema_version {v}"),
                })
            }
        }
        m.schema_version += 1;
        changed = true;
    }
    for t in Table::ALL {
        if !m.tables.contains_key(t.name()) {
            m.tables.insert(t.name().to_string(), Vec::new());
            changed = true;
        }
    }
    if m.format_version < FORMAT_VERSION {
        m.format_version = FORMAT_VERSION;
        for (name, files) in &mut m.tables {
            if let Some(t) = Table::from_name(name) {
                files.iter_mut().for_each(|f| f.trim_keys(t));
            }
        }
        changed = true;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(keys: &[&str]) -> FileEntry {
        let keys = keys.iter().map(|k| k.to_string()).collect();
        FileEntry::new(
            Table::Datasets,
            "data/datasets/x.parquet".into(),
            1,
            1,
            keys,
        )
    }

    #[test]
    fn a_prefix_meets_a_file_only_where_its_key_range_can_hold_it() {
        let f = entry(&["s3://b/lake/m", "s3://b/lake/q"]);
        for (prefix, may) in [
            ("s3://b/lake", true),   // both ends under it
            ("s3://b/lake/n", true), // inside the range
            ("s3://b/lake/m", true), // the first key itself
            ("s3://b/lake/q", true), // the last key, and keys after it with the prefix
            ("s3://b/lake/a", false),
            ("s3://b/lake/r", false),
            ("s3://b/other", false),
            ("s3://a", false),
        ] {
            assert_eq!(f.may_hold_prefix(prefix), may, "{prefix}");
        }
        assert!(!entry(&[]).may_hold_prefix("s3://b"));
    }
}
