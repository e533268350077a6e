//! Dataset discovery: walk a root folder by folder (never the whole estate in
//! memory) and decide what the datasets are.
//!
//! A dataset is one of:
//! * a folder holding `_delta_log/` → a Delta table;
//! * a folder with `key=value/` subfolders → a hive-partitioned dataset (the
//!   folder; partition keys become columns);
//! * a folder holding `part-*` files (Spark and friends) → one dataset of those files;
//! * any other file → a single-file dataset.
//!
//! Names starting with `_` or `.` are skipped, as Spark and Hive do, apart from
//! what a Delta table needs (its reader handles `_delta_log`).

use crate::error::LakeError;
use crate::format::{self, Format};
use crate::uri::{decode, LakeLocation};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use std::sync::Arc;
use tokio::sync::mpsc;

/// One object of a dataset, as listed.
#[derive(Debug, Clone)]
pub struct FileRef {
    pub path: Path,
    pub size: u64,
    pub last_modified: DateTime<Utc>,
    pub e_tag: Option<String>,
    /// Hive partition values from the path (`region=eu/year=2024`), outermost first.
    pub partition: Vec<(String, String)>,
}

impl FileRef {
    fn from_meta(meta: ObjectMeta, partition: Vec<(String, String)>) -> Self {
        FileRef {
            path: meta.location,
            size: meta.size,
            last_modified: meta.last_modified,
            e_tag: meta.e_tag,
            partition,
        }
    }

    pub fn name(&self) -> String {
        decode(self.path.filename().unwrap_or_default())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    File,
    Folder,
    Partitioned,
    Delta,
}

/// A dataset found under a root.
#[derive(Debug, Clone)]
pub struct DatasetRef {
    /// Canonical URI (DESIGN.md): the file, or the folder of a folder dataset.
    pub dataset_uri: String,
    pub root_uri: String,
    /// Path relative to the root; seeds deterministic sampling so the same data
    /// gives the same findings wherever it is stored.
    pub relative_path: String,
    pub key: Path,
    pub kind: DatasetKind,
    pub format: Format,
    /// Data files, sorted by path. For Delta, every visible data file in the
    /// folder (the reader asks the log which are live).
    pub files: Vec<FileRef>,
    /// Hive partition keys in path order.
    pub partition_keys: Vec<String>,
    /// A Delta table's commits in `_delta_log/` as listed (version, commit
    /// file, its modification time), oldest first: what time travel can
    /// still reach. The reader opens the table at the newest.
    pub delta_commits: Vec<DeltaCommitFile>,
}

/// One `_delta_log/NNNNNNNNNNNNNNNNNNNN.json` commit file as listed.
#[derive(Debug, Clone)]
pub struct DeltaCommitFile {
    pub version: u64,
    pub path: Path,
    pub last_modified: DateTime<Utc>,
}

impl DatasetRef {
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.files.iter().map(|f| f.last_modified).max()
    }

    /// A Delta table's newest commit version in the listing.
    pub fn delta_log_version(&self) -> Option<u64> {
        self.delta_commits.last().map(|c| c.version)
    }

    /// sha256 of what the listing showed: format, every object's path
    /// relative to the dataset, size, ETag and modification time, and a
    /// Delta table's newest log version. Equal fingerprints mean an
    /// incremental scan may skip the dataset; any change to an object (or a
    /// new Delta commit, even one that only removes files) changes it.
    pub fn content_fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"lakewarden-content-v1\n");
        h.update(format!("{:?}\n", self.format).as_bytes());
        if let Some(v) = self.delta_log_version() {
            h.update(format!("delta {v}\n").as_bytes());
        }
        let base = self.key.as_ref().len();
        for f in &self.files {
            let rel = f.path.as_ref().get(base..).unwrap_or(f.path.as_ref());
            h.update(
                format!(
                    "{rel}\t{}\t{}\t{}\n",
                    f.size,
                    f.e_tag.as_deref().unwrap_or("-"),
                    f.last_modified.timestamp_micros()
                )
                .as_bytes(),
            );
        }
        hex::encode(h.finalize())
    }
}

/// Walk `loc` and send every dataset found. Listing errors of a sub-folder are
/// sent as `Err` items and the walk goes on; an unreachable root is returned
/// as the error.
pub async fn discover(
    store: Arc<dyn ObjectStore>,
    loc: &LakeLocation,
    tx: mpsc::Sender<Result<DatasetRef, LakeError>>,
) -> Result<(), LakeError> {
    let walker = Walker { store, loc };
    // The root may be a single file.
    if !loc.prefix.as_ref().is_empty() {
        if let Ok(meta) = walker.store.head(&loc.prefix).await {
            let ds = walker.single_file(meta);
            let _ = tx.send(Ok(ds)).await;
            return Ok(());
        }
    }
    let mut stack = vec![loc.prefix.clone()];
    let mut first = true;
    while let Some(dir) = stack.pop() {
        let listing = match walker.store.list_with_delimiter(Some(&dir)).await {
            Ok(l) => l,
            Err(e) => {
                let err = LakeError::store(loc.uri_of(&dir), &e);
                if first {
                    return Err(err);
                }
                if tx.send(Err(err)).await.is_err() {
                    return Ok(());
                }
                continue;
            }
        };
        if first
            && matches!(loc.kind, crate::uri::StoreKind::Local)
            && listing.objects.is_empty()
            && listing.common_prefixes.is_empty()
        {
            // An empty folder is a valid (empty) root; a missing one is not.
            if let Ok(false) = tokio::fs::try_exists(format!("/{}", decode(dir.as_ref()))).await {
                return Err(LakeError::Store {
                    uri: loc.uri_of(&dir),
                    kind: crate::error::StoreErrorKind::NotFound,
                    detail: "no such file or folder".into(),
                });
            }
        }
        first = false;
        let mut found = walker.classify_folder(&dir, listing, &mut stack).await;
        for ds in found.drain(..) {
            if tx.send(ds).await.is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

struct Walker<'a> {
    store: Arc<dyn ObjectStore>,
    loc: &'a LakeLocation,
}

fn segment(p: &Path) -> String {
    decode(p.filename().unwrap_or_default())
}

impl Walker<'_> {
    fn dataset(
        &self,
        key: Path,
        kind: DatasetKind,
        format: Format,
        files: Vec<FileRef>,
    ) -> DatasetRef {
        DatasetRef {
            dataset_uri: self.loc.uri_of(&key),
            root_uri: self.loc.root_uri(),
            relative_path: self.loc.relative(&key),
            key,
            kind,
            format,
            files,
            partition_keys: vec![],
            delta_commits: vec![],
        }
    }

    fn single_file(&self, meta: ObjectMeta) -> DatasetRef {
        let format = format::from_name(&segment(&meta.location));
        let key = meta.location.clone();
        self.dataset(
            key,
            DatasetKind::File,
            format,
            vec![FileRef::from_meta(meta, vec![])],
        )
    }

    /// Decide what one folder holds; push sub-folders that need walking.
    async fn classify_folder(
        &self,
        dir: &Path,
        listing: object_store::ListResult,
        stack: &mut Vec<Path>,
    ) -> Vec<Result<DatasetRef, LakeError>> {
        let subdirs: Vec<Path> = listing.common_prefixes;
        let mut objects: Vec<ObjectMeta> = listing
            .objects
            .into_iter()
            .filter(|o| !format::is_hidden(&segment(&o.location)))
            .collect();
        objects.sort_by(|a, b| a.location.cmp(&b.location));

        if subdirs.iter().any(|d| segment(d) == "_delta_log") {
            return vec![self.folder_dataset(dir, DatasetKind::Delta).await];
        }
        let visible: Vec<&Path> = subdirs
            .iter()
            .filter(|d| !format::is_hidden(&segment(d)))
            .collect();
        if visible.iter().any(|d| segment(d) == "metadata")
            && visible.iter().any(|d| segment(d) == "data")
        {
            // Iceberg: recorded as unsupported so posture shows it was not scanned.
            let mut ds = self.folder_dataset(dir, DatasetKind::Folder).await;
            if let Ok(d) = &mut ds {
                d.format = Format::Unsupported {
                    what: "iceberg".into(),
                };
            }
            return vec![ds];
        }
        if visible
            .iter()
            .any(|d| format::partition_segment(&segment(d)).is_some())
        {
            return vec![self.folder_dataset(dir, DatasetKind::Partitioned).await];
        }

        let mut out = Vec::new();
        let part_format = objects
            .iter()
            .map(|o| segment(&o.location))
            .find(|n| n.starts_with("part-"))
            .map(|n| sniff_part_format(&n));
        let mut part_files = Vec::new();
        for meta in objects {
            let name = segment(&meta.location);
            let fmt = format::from_name(&name);
            match &part_format {
                Some(pf)
                    if name.starts_with("part-") || (pf.is_supported() && fmt.same_kind(pf)) =>
                {
                    part_files.push(FileRef::from_meta(meta, vec![]))
                }
                _ => out.push(Ok(self.single_file(meta))),
            }
        }
        if let Some(pf) = part_format {
            out.push(Ok(self.dataset(
                dir.clone(),
                DatasetKind::Folder,
                pf,
                part_files,
            )));
        }
        for d in visible.into_iter().rev() {
            stack.push(d.clone());
        }
        out
    }

    /// A folder dataset: every visible file below `dir` (recursively), with
    /// partition values parsed from `key=value` segments.
    async fn folder_dataset(&self, dir: &Path, kind: DatasetKind) -> Result<DatasetRef, LakeError> {
        let dir_depth = dir.parts().count();
        let metas: Vec<ObjectMeta> = self
            .store
            .list(Some(dir))
            .try_collect()
            .await
            .map_err(|e| LakeError::store(self.loc.uri_of(dir), &e))?;
        let mut files = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        let mut format: Option<Format> = None;
        let mut delta_commits: Vec<DeltaCommitFile> = Vec::new();
        for meta in metas {
            let rel: Vec<String> = meta
                .location
                .parts()
                .skip(dir_depth)
                .map(|p| decode(p.as_ref()))
                .collect();
            if kind == DatasetKind::Delta && rel.len() == 2 && rel[0] == "_delta_log" {
                if let Some(version) = delta_commit_version(&rel[1]) {
                    delta_commits.push(DeltaCommitFile {
                        version,
                        path: meta.location.clone(),
                        last_modified: meta.last_modified,
                    });
                }
            }
            if rel.iter().any(|s| format::is_hidden(s)) {
                continue;
            }
            let mut partition = Vec::new();
            for seg in &rel[..rel.len().saturating_sub(1)] {
                if let Some((k, v)) = format::partition_segment(seg) {
                    partition.push((k.to_string(), decode(v)));
                }
            }
            for (k, _) in &partition {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
            let fmt = match kind {
                DatasetKind::Delta => Format::Delta,
                _ => sniff_part_format(rel.last().map(String::as_str).unwrap_or_default()),
            };
            match &format {
                None if fmt.is_supported() => format = Some(fmt),
                Some(f) if !f.same_kind(&fmt) => continue,
                _ => {}
            }
            files.push(FileRef::from_meta(meta, partition));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let format = match kind {
            DatasetKind::Delta => Format::Delta,
            _ => format.unwrap_or(Format::Unsupported {
                what: "unknown".into(),
            }),
        };
        let mut ds = self.dataset(dir.clone(), kind, format, files);
        ds.partition_keys = keys;
        delta_commits.sort_by_key(|c| c.version);
        ds.delta_commits = delta_commits;
        Ok(ds)
    }
}

/// The version of a Delta commit file (`00000000000000000012.json`); `None`
/// for checkpoints, compacted logs, `_last_checkpoint` and the rest.
fn delta_commit_version(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".json")?;
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// Spark writes `part-00000` without an extension for text output; with an
/// extension the name decides.
fn sniff_part_format(name: &str) -> Format {
    format::from_name(name)
}
