//! Incremental scans: what the catalog remembers of each dataset, and the
//! decisions made from it — skip an unchanged dataset, mark a vanished one
//! deleted — plus what a run covers: `--shard K/N` and the include /
//! exclude globs of the estate config.
//!
//! A dataset is skipped when both fingerprints of its `datasets` row match
//! this run's: the **content** fingerprint (what the listing shows: object
//! keys, sizes, ETags, modification times, a Delta table's newest log
//! version; [`lakewarden_lake::DatasetRef::content_fingerprint`]) and the
//! **settings** fingerprint ([`settings_fingerprint`]: ruleset, sampling and
//! classifier settings, LLM model, lakewarden and catalog schema versions).
//! Only datasets whose last scan ended `ok` or `unsupported` are skipped; a
//! failed one is tried again every run. `--full` skips nothing.
//!
//! A dataset is marked deleted only when a root's listing completed without
//! a single listing error, the dataset lies under that root, in this run's
//! shard and inside its include / exclude globs, and the listing did not
//! show it: a flaky or partly denied listing never deletes anything, and
//! neither does a narrower run.
//!
//! Memory: the remembered state is one entry of ~50 bytes per dataset of
//! the catalog — hashes of its URI and of its two fingerprints, and its
//! status — loaded a catalog file at a time, three columns wide; the URIs
//! themselves are read again, a file at a time, only to find the vanished
//! ones. A hash collision could at worst skip a dataset whose URI and both
//! fingerprints collide with another's (64-bit keyed SipHash: negligible).

use crate::ScanConfig;
use arrow::array::{Array, AsArray, RecordBatch};
use lakewarden_catalog::{CatalogError, DatasetStatus, Snapshot, Table};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

/// What the catalog holds about one dataset, as far as skipping goes.
#[derive(Debug, Clone, Copy)]
struct Remembered {
    content: Option<u64>,
    settings: Option<u64>,
    status: DatasetStatus,
}

/// The catalog's datasets as an incremental scan sees them.
#[derive(Debug, Default)]
pub struct State {
    hasher: RandomState,
    by_id: HashMap<u64, Remembered>,
}

impl State {
    pub async fn load(snapshot: &Snapshot) -> Result<State, CatalogError> {
        const COLUMNS: [&str; 4] = [
            "dataset_uri",
            "content_fingerprint",
            "settings_fingerprint",
            "status",
        ];
        let mut state = State::default();
        for f in snapshot.table_entries(Table::Datasets) {
            for b in snapshot.read_file_columns(f, &COLUMNS).await? {
                state
                    .remember(&b)
                    .map_err(|reason| CatalogError::InvalidBatch {
                        table: Table::Datasets.to_string(),
                        reason: format!("{}: {reason}", f.path),
                    })?;
            }
        }
        Ok(state)
    }

    /// Adds the datasets of a (projected) `datasets` batch.
    fn remember(&mut self, b: &RecordBatch) -> Result<(), String> {
        let text = |name: &str| {
            b.column_by_name(name)
                .and_then(|c| c.as_string_opt::<i32>())
        };
        let uris = text("dataset_uri").ok_or("no dataset_uri column")?;
        let status = text("status").ok_or("no status column")?;
        let (content, settings) = (text("content_fingerprint"), text("settings_fingerprint"));
        let fingerprint = |col: Option<&arrow::array::StringArray>, i: usize| {
            col.filter(|c| c.is_valid(i))
                .map(|c| self.hasher.hash_one(c.value(i)))
        };
        let mut rows = Vec::with_capacity(b.num_rows());
        for i in 0..b.num_rows() {
            let status: DatasetStatus = status
                .value(i)
                .parse()
                .map_err(|e| format!("row {i}: {e}"))?;
            rows.push((
                self.id(uris.value(i)),
                Remembered {
                    content: fingerprint(content, i),
                    settings: fingerprint(settings, i),
                    status,
                },
            ));
        }
        self.by_id.extend(rows);
        Ok(())
    }

    /// The key a dataset is remembered under (and [`State::vanished`]'s `seen`
    /// holds).
    pub fn id(&self, dataset_uri: &str) -> u64 {
        self.hasher.hash_one(dataset_uri)
    }

    fn get(&self, dataset_uri: &str) -> Option<&Remembered> {
        self.by_id.get(&self.id(dataset_uri))
    }

    fn same(&self, remembered: Option<u64>, now: &str) -> bool {
        remembered == Some(self.hasher.hash_one(now))
    }

    /// True when the dataset's last scan saw the same content under the same
    /// settings and ended in a state worth keeping.
    pub fn unchanged(&self, dataset_uri: &str, content: &str, settings: &str) -> bool {
        self.get(dataset_uri).is_some_and(|r| {
            matches!(r.status, DatasetStatus::Ok | DatasetStatus::Unsupported)
                && self.same(r.content, content)
                && self.same(r.settings, settings)
        })
    }

    /// True when the per-file evidence the dataset's last scan kept
    /// (`file_evidence`) may be merged with this run's: that scan ended ok
    /// under the same settings (ruleset, sampling, classifier).
    pub fn evidence_reusable(&self, dataset_uri: &str, settings: &str) -> bool {
        self.get(dataset_uri)
            .is_some_and(|r| r.status == DatasetStatus::Ok && self.same(r.settings, settings))
    }

    /// True when the catalog holds a row for the dataset (its findings may
    /// have been seen by an earlier run).
    pub fn known(&self, dataset_uri: &str) -> bool {
        self.get(dataset_uri).is_some()
    }

    /// Datasets of `snapshot` (the one this state was loaded from) under
    /// `root_uri` that this run's listing of the root did not show (`seen`:
    /// [`State::id`]s), that `covers` and that are not already marked
    /// deleted. Sorted. Reads the `datasets` URIs a file at a time, of the
    /// files whose key range meets the root.
    pub async fn vanished(
        &self,
        snapshot: &Snapshot,
        root_uri: &str,
        seen: &HashSet<u64>,
        covers: impl Fn(&str, &str) -> bool,
    ) -> Result<Vec<String>, CatalogError> {
        let mut out = Vec::new();
        for f in snapshot.table_entries(Table::Datasets) {
            if !f.may_hold_prefix(root_uri.trim_end_matches('/')) {
                continue;
            }
            let uris = snapshot.file_keys(Table::Datasets, f).await?;
            out.extend(self.vanished_among(uris, root_uri, seen, &covers));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    fn vanished_among(
        &self,
        uris: Vec<String>,
        root_uri: &str,
        seen: &HashSet<u64>,
        covers: &impl Fn(&str, &str) -> bool,
    ) -> Vec<String> {
        uris.into_iter()
            .filter(|uri| {
                let id = self.id(uri);
                self.by_id
                    .get(&id)
                    .is_some_and(|r| r.status != DatasetStatus::Deleted)
                    && relative_to_root(uri, root_uri).is_some_and(|rel| covers(uri, rel))
                    && !seen.contains(&id)
            })
            .collect()
    }
}

/// `uri`'s path below the root (`""` for the root itself); `None` when it
/// is not under the root.
fn relative_to_root<'a>(uri: &'a str, root_uri: &str) -> Option<&'a str> {
    let root = root_uri.trim_end_matches('/');
    let rest = uri.strip_prefix(root)?;
    if rest.is_empty() {
        return Some("");
    }
    rest.strip_prefix('/')
}

/// Which datasets a run covers besides its roots: `include` globs (none:
/// all) minus `exclude` globs, matched against the dataset's path relative
/// to its root (`crm/contacts.csv`, `sales` for a partitioned folder). `*`
/// and `?` stay within one path segment, `**` spans any number of them.
#[derive(Debug, Clone, Default)]
pub struct DatasetFilter {
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
}

impl DatasetFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<DatasetFilter, String> {
        let compile = |list: &[String], what: &str| -> Result<Vec<glob::Pattern>, String> {
            list.iter()
                .map(|g| glob::Pattern::new(g).map_err(|e| format!("{what} glob {g:?}: {e}")))
                .collect()
        };
        Ok(DatasetFilter {
            include: compile(include, "include")?,
            exclude: compile(exclude, "exclude")?,
        })
    }

    pub fn covers(&self, relative_path: &str) -> bool {
        let opts = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let rel = relative_path.trim_matches('/');
        (self.include.is_empty() || self.include.iter().any(|p| p.matches_with(rel, opts)))
            && !self.exclude.iter().any(|p| p.matches_with(rel, opts))
    }
}

/// What a run covers besides its roots: one shard, inside the globs. The
/// same test decides what is scanned and what may be marked deleted.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub shard: Option<Shard>,
    pub filter: DatasetFilter,
}

impl Scope {
    /// `relative_path`: the dataset's path below the root being scanned.
    pub fn covers(&self, dataset_uri: &str, relative_path: &str) -> bool {
        self.shard.is_none_or(|s| s.contains(dataset_uri)) && self.filter.covers(relative_path)
    }
}

/// sha256 of everything besides the data that decides a dataset's findings.
/// A change of any of these re-scans every dataset.
/// How samples are drawn (bumped when the same settings would sample other
/// rows): 2 draws a multi-file dataset's sample file by file.
const SAMPLING_SCHEME: u32 = 2;

pub fn settings_fingerprint(cfg: &ScanConfig, ruleset_fingerprint: &str) -> String {
    let r = &cfg.read;
    let c = &cfg.classifier;
    let llm = match &cfg.llm {
        Some(l) => format!(
            "{} model={} raw={}",
            l.client.endpoint,
            l.client.model.as_deref().unwrap_or("-"),
            l.raw_samples
        ),
        None => "off".into(),
    };
    let text = format!(
        "lakewarden {}\ncatalog schema {}\nruleset {ruleset_fingerprint}\n\
         full {} sample_rows {} batch_size {} max_bad_row_share {}\n\
         max_value_bytes {} min_confidence {} min_hits {} max_examples {}\nllm {llm}\n\
         sampling {SAMPLING_SCHEME}\n",
        env!("CARGO_PKG_VERSION"),
        lakewarden_catalog::SCHEMA_VERSION,
        r.full,
        r.sample_rows,
        r.batch_size,
        r.max_bad_row_share,
        c.max_value_bytes,
        c.min_confidence,
        c.min_hits,
        c.max_examples,
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// One of `n` disjoint parts of the estate (`--shard K/N`, `K` in `0..N`):
/// the datasets whose URI hashes to `k` modulo `n`. Stable across runs and
/// machines, so each scheduler job always covers the same datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    pub fn contains(&self, dataset_uri: &str) -> bool {
        let d = Sha256::digest(dataset_uri.as_bytes());
        let h = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
        h % self.n == self.k
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected K/N with 0 <= K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: u64 = k.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || k >= n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(rows: &[(&str, &str, &str, DatasetStatus)]) -> State {
        let batch = lakewarden_catalog::rows_to_batch(
            &rows
                .iter()
                .map(|(u, c, s, st)| lakewarden_catalog::DatasetRow {
                    dataset_uri: u.to_string(),
                    content_fingerprint: Some(c.to_string()),
                    settings_fingerprint: Some(s.to_string()),
                    status: *st,
                    ..dataset_row()
                })
                .collect::<Vec<_>>(),
        );
        let mut state = State::default();
        state.remember(&batch).unwrap();
        state
    }

    fn dataset_row() -> lakewarden_catalog::DatasetRow {
        lakewarden_catalog::DatasetRow {
            dataset_uri: String::new(),
            root_uri: "file:///l".to_string(),
            format: lakewarden_catalog::DatasetFormat::Csv,
            file_count: 1,
            row_count: Some(1),
            rows_skipped: 0,
            bytes: 1,
            bytes_read: 1,
            version: None,
            last_modified: None,
            last_scan_run: "r1".to_string(),
            scanned_at: chrono::Utc::now(),
            status: DatasetStatus::Ok,
            error: None,
            notes: None,
            ruleset_fingerprint: "fp".to_string(),
            content_fingerprint: None,
            settings_fingerprint: None,
        }
    }

    fn vanished(
        s: &State,
        root: &str,
        seen: &[&str],
        covers: impl Fn(&str, &str) -> bool,
    ) -> Vec<String> {
        let all = [
            "file:///l/a.csv",
            "file:///l/sub/b.csv",
            "file:///l/gone.csv",
            "file:///lake2/x.csv",
            "file:///l",
            "file:///l/new.csv",
        ];
        let seen: HashSet<u64> = seen.iter().map(|u| s.id(u)).collect();
        let mut v = s.vanished_among(
            all.iter().map(|u| u.to_string()).collect(),
            root,
            &seen,
            &covers,
        );
        v.sort();
        v
    }

    #[test]
    fn only_ok_or_unsupported_datasets_with_both_fingerprints_equal_are_skipped() {
        let s = state(&[
            ("file:///l/a.csv", "c", "s", DatasetStatus::Ok),
            ("file:///l/b.csv", "c", "s", DatasetStatus::Error),
            ("file:///l/c.avro", "c", "s", DatasetStatus::Unsupported),
        ]);
        assert!(s.unchanged("file:///l/a.csv", "c", "s"));
        assert!(!s.unchanged("file:///l/a.csv", "c2", "s"));
        assert!(!s.unchanged("file:///l/a.csv", "c", "s2"));
        assert!(
            !s.unchanged("file:///l/b.csv", "c", "s"),
            "failed: try again"
        );
        assert!(s.unchanged("file:///l/c.avro", "c", "s"));
        assert!(!s.unchanged("file:///l/new.csv", "c", "s"));
    }

    #[test]
    fn vanished_datasets_are_those_under_the_root_not_seen_and_not_deleted() {
        let s = state(&[
            ("file:///l/a.csv", "c", "s", DatasetStatus::Ok),
            ("file:///l/sub/b.csv", "c", "s", DatasetStatus::Error),
            ("file:///l/gone.csv", "c", "s", DatasetStatus::Deleted),
            ("file:///lake2/x.csv", "c", "s", DatasetStatus::Ok),
            ("file:///l", "c", "s", DatasetStatus::Ok),
        ]);
        let seen = ["file:///l/a.csv"];
        let all = |_: &str, _: &str| true;
        // new.csv is not in the state: not the catalog's, not marked deleted.
        assert_eq!(
            vanished(&s, "file:///l", &seen, all),
            ["file:///l", "file:///l/sub/b.csv"]
        );
        assert_eq!(
            vanished(&s, "file:///l/sub", &seen, all),
            ["file:///l/sub/b.csv"]
        );
        assert!(vanished(&s, "file:///lake", &seen, all).is_empty());
        // Outside what the run covers: not deleted.
        let filter = DatasetFilter::new(&[], &["sub/**".into()]).unwrap();
        assert_eq!(
            vanished(&s, "file:///l", &seen, |_, rel| filter.covers(rel)),
            ["file:///l"]
        );
    }

    #[test]
    fn include_and_exclude_globs_match_paths_relative_to_the_root() {
        let f = DatasetFilter::new(&["crm/**".into(), "*.parquet".into()], &["**/tmp_*".into()])
            .unwrap();
        assert!(f.covers("crm/contacts.csv"));
        assert!(f.covers("crm/eu/contacts.csv"));
        assert!(f.covers("customers.parquet"));
        assert!(
            !f.covers("nested/profiles.parquet"),
            "* stays in one segment"
        );
        assert!(!f.covers("crm/tmp_load.csv"));
        assert!(!f.covers("sales"));
        assert!(DatasetFilter::default().covers("anything/at/all"));
        assert!(DatasetFilter::new(&["[".into()], &[]).is_err());
    }

    #[test]
    fn shards_split_the_estate_into_disjoint_parts() {
        let n = 4;
        let shards: Vec<Shard> = (0..n).map(|k| Shard { k, n }).collect();
        for i in 0..200 {
            let uri = format!("s3://lake/t{i}");
            assert_eq!(shards.iter().filter(|s| s.contains(&uri)).count(), 1);
        }
        // Roughly even.
        for s in &shards {
            let c = (0..400)
                .filter(|i| s.contains(&format!("s3://lake/t{i}")))
                .count();
            assert!((60..=140).contains(&c), "{s}: {c}");
        }
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { k: 1, n: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
