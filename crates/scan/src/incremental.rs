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
//! Memory: the remembered state is one small entry per dataset of the
//! catalog (URI, two fingerprints, status: ~250 bytes), not per object.

use crate::ScanConfig;
use lakewarden_catalog::{DatasetRow, DatasetStatus, Snapshot};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// What the catalog holds about one dataset, as far as skipping goes.
#[derive(Debug, Clone)]
struct Remembered {
    content: Option<String>,
    settings: Option<String>,
    status: DatasetStatus,
}

/// The catalog's datasets as an incremental scan sees them.
#[derive(Debug, Default)]
pub struct State {
    by_uri: HashMap<String, Remembered>,
}

impl State {
    pub async fn load(snapshot: &Snapshot) -> Result<State, lakewarden_catalog::CatalogError> {
        let rows: Vec<DatasetRow> = snapshot.read_rows(None).await?;
        Ok(State {
            by_uri: rows
                .into_iter()
                .map(|r| {
                    (
                        r.dataset_uri,
                        Remembered {
                            content: r.content_fingerprint,
                            settings: r.settings_fingerprint,
                            status: r.status,
                        },
                    )
                })
                .collect(),
        })
    }

    /// True when the dataset's last scan saw the same content under the same
    /// settings and ended in a state worth keeping.
    pub fn unchanged(&self, dataset_uri: &str, content: &str, settings: &str) -> bool {
        self.by_uri.get(dataset_uri).is_some_and(|r| {
            matches!(r.status, DatasetStatus::Ok | DatasetStatus::Unsupported)
                && r.content.as_deref() == Some(content)
                && r.settings.as_deref() == Some(settings)
        })
    }

    /// True when the per-file evidence the dataset's last scan kept
    /// (`file_evidence`) may be merged with this run's: that scan ended ok
    /// under the same settings (ruleset, sampling, classifier).
    pub fn evidence_reusable(&self, dataset_uri: &str, settings: &str) -> bool {
        self.by_uri.get(dataset_uri).is_some_and(|r| {
            r.status == DatasetStatus::Ok && r.settings.as_deref() == Some(settings)
        })
    }

    /// True when the catalog holds a row for the dataset (its findings may
    /// have been seen by an earlier run).
    pub fn known(&self, dataset_uri: &str) -> bool {
        self.by_uri.contains_key(dataset_uri)
    }

    /// Datasets the catalog holds under `root_uri` (and in `shard`) that this
    /// run's listing of the root did not show, and that are not already
    /// marked deleted. Sorted.
    pub fn vanished(
        &self,
        root_uri: &str,
        seen: &HashSet<String>,
        covers: impl Fn(&str, &str) -> bool,
    ) -> Vec<String> {
        let mut out: Vec<String> = self
            .by_uri
            .iter()
            .filter(|(uri, r)| {
                r.status != DatasetStatus::Deleted
                    && relative_to_root(uri, root_uri).is_some_and(|rel| covers(uri, rel))
                    && !seen.contains(*uri)
            })
            .map(|(uri, _)| uri.clone())
            .collect();
        out.sort();
        out
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
        State {
            by_uri: rows
                .iter()
                .map(|(u, c, s, st)| {
                    (
                        u.to_string(),
                        Remembered {
                            content: Some(c.to_string()),
                            settings: Some(s.to_string()),
                            status: *st,
                        },
                    )
                })
                .collect(),
        }
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
        let seen: HashSet<String> = ["file:///l/a.csv".to_string()].into();
        let all = |_: &str, _: &str| true;
        assert_eq!(
            s.vanished("file:///l", &seen, all),
            ["file:///l", "file:///l/sub/b.csv"]
        );
        assert_eq!(
            s.vanished("file:///l/sub", &seen, all),
            ["file:///l/sub/b.csv"]
        );
        assert!(s.vanished("file:///lake", &seen, all).is_empty());
        // Outside what the run covers: not deleted.
        let filter = DatasetFilter::new(&[], &["sub/**".into()]).unwrap();
        assert_eq!(
            s.vanished("file:///l", &seen, |_, rel| filter.covers(rel)),
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
