//! The catalog store: Parquet data files plus versioned manifests, committed atomically.
//!
//! ```text
//! <catalog>/
//!   _manifest/00000000000000000007.json   one per generation; the highest is current
//!   data/<table>/<generation>-<uuid>.parquet
//! ```
//!
//! A commit writes its new Parquet files (complete, and fsync'ed on local disks), then
//! creates manifest N+1 with put-if-absent (`PutMode::Create`). That put is the commit
//! point: a writer killed before it leaves only unreferenced files (invisible to readers,
//! removed by [`Catalog::vacuum`]); after it, the new generation is complete. When
//! another writer created N+1 first, the commit re-reads the newest manifest, re-applies
//! its change on top and retries (bounded), so several processes can write one catalog
//! without a coordinator. Within a process, commits are serialized by a mutex.
//!
//! All I/O goes through an `Arc<dyn ObjectStore>` and a prefix, so the same code serves
//! object-store catalogs ([`Catalog::open_with_store`]).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::compute::{concat_batches, sort_to_indices, take_record_batch};
use bytes::Bytes;
use chrono::Utc;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use url::Url;

use crate::batch::{batch_keys, conform_batch, filter_by_keys};
use crate::commit::Commit;
use crate::error::CatalogError;
use crate::manifest::{migrate, FileEntry, Manifest};
use crate::rows::{batch_to_rows, rows_to_batch, CatalogRow, DatasetRow};
use crate::schema::{DatasetStatus, Table};

const MANIFEST_DIR: &str = "_manifest";
const DATA_DIR: &str = "data";
/// Attempts of one commit against concurrent writers before giving up.
const MAX_COMMIT_ATTEMPTS: usize = 100;
/// Manifests [`Catalog::vacuum`] always keeps (with the files they reference).
pub const KEEP_MANIFESTS: usize = 10;
/// Largest file [`Catalog::compact`] writes, in rows (bigger tables get several
/// files); also what a compaction holds in memory at once.
const COMPACT_MAX_ROWS: usize = 262_144;

/// The persistent catalog. Cheap to clone; clones share one commit mutex.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    /// The URL the store is rooted at (`file:///` for local catalogs).
    store_url: Url,
    /// The catalog's prefix inside the store.
    root: Path,
    /// Display form of the catalog (`file:///abs/dir`, `s3://bucket/prefix`).
    location: String,
    /// The catalog directory, for local catalogs (fsync, staging clean-up, file URLs).
    local_dir: Option<PathBuf>,
    commit_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("location", &self.inner.location)
            .finish()
    }
}

/// What [`Catalog::vacuum`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VacuumStats {
    /// Old manifests deleted.
    pub manifests_deleted: usize,
    /// Data files no kept manifest references, deleted.
    pub data_files_deleted: usize,
    /// Partial uploads left by killed writers (local catalogs), deleted.
    pub staging_files_deleted: usize,
    /// Bytes freed by the data files deleted.
    pub bytes_deleted: u64,
}

impl Catalog {
    /// Opens (creating if missing) the catalog at a local path or `file://` URL: creates
    /// the directory and an empty generation-0 manifest, and migrates an older
    /// schema version (committed as a new generation).
    pub async fn open(location: &str) -> Result<Catalog, CatalogError> {
        let bad = |reason: String| CatalogError::InvalidLocation {
            location: location.to_string(),
            reason,
        };
        let dir: PathBuf = if let Some(rest) = location.strip_prefix("file://") {
            let url = Url::parse(location).map_err(|e| bad(e.to_string()))?;
            url.to_file_path()
                .map_err(|_| bad(format!("not a local file URL (path {rest})")))?
        } else if location.contains("://") {
            return Err(bad(
                "only local catalogs are supported by open(); use Catalog::open_with_store for object stores"
                    .into(),
            ));
        } else if location.is_empty() {
            return Err(bad("empty catalog location".into()));
        } else {
            PathBuf::from(location)
        };
        let dir = if dir.is_absolute() {
            dir
        } else {
            std::env::current_dir()
                .map_err(|e| bad(format!("current directory: {e}")))?
                .join(dir)
        };
        std::fs::create_dir_all(&dir).map_err(|e| bad(format!("cannot create directory: {e}")))?;
        let dir = std::fs::canonicalize(&dir).map_err(|e| bad(format!("canonicalize: {e}")))?;
        let root = Path::from_absolute_path(&dir).map_err(|e| bad(e.to_string()))?;
        let display = Url::from_directory_path(&dir)
            .map(|u| u.to_string().trim_end_matches('/').to_string())
            .map_err(|_| bad("not an absolute path".into()))?;
        let inner = Inner {
            store: Arc::new(LocalFileSystem::new()),
            store_url: Url::parse("file:///").expect("valid URL"),
            root,
            location: display,
            local_dir: Some(dir),
            commit_lock: tokio::sync::Mutex::new(()),
        };
        Catalog {
            inner: Arc::new(inner),
        }
        .init()
        .await
    }

    /// Opens (creating if missing) a catalog under `root` in `store`, which is rooted at
    /// `store_url` (e.g. `s3://bucket/`). The store must support `PutMode::Create`.
    pub async fn open_with_store(
        store: Arc<dyn ObjectStore>,
        store_url: Url,
        root: Path,
    ) -> Result<Catalog, CatalogError> {
        let location = format!(
            "{}{}",
            store_url
                .as_str()
                .strip_suffix('/')
                .unwrap_or(store_url.as_str()),
            if root.is_root() {
                String::new()
            } else {
                format!("/{root}")
            }
        );
        let inner = Inner {
            store,
            store_url,
            root,
            location,
            local_dir: None,
            commit_lock: tokio::sync::Mutex::new(()),
        };
        Catalog {
            inner: Arc::new(inner),
        }
        .init()
        .await
    }

    async fn init(self) -> Result<Catalog, CatalogError> {
        let inner = &self.inner;
        if inner.latest_generation().await?.is_none() {
            match inner.put_manifest(&Manifest::empty()).await {
                Ok(()) => tracing::debug!(catalog = %inner.location, "created empty catalog"),
                Err(PutError::AlreadyExists) => {} // another process created it meanwhile
                Err(PutError::Other(e)) => return Err(e),
            }
        }
        let raw = inner.read_latest_raw().await?;
        let mut migrated = raw.clone();
        if migrate(&mut migrated)? {
            tracing::info!(
                catalog = %inner.location,
                from = raw.schema_version,
                to = crate::SCHEMA_VERSION,
                "migrating catalog"
            );
            let _guard = inner.commit_lock.lock().await;
            Txn::new(inner).run(&Op::Migrate).await?;
        }
        Ok(self)
    }

    /// The catalog's location: `file:///abs/dir` for local catalogs.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The catalog folder of a local catalog (`None` on an object store). Derived
    /// state that is not part of the catalog (the Tantivy indexes) lives beside it.
    pub fn local_dir(&self) -> Option<&std::path::Path> {
        self.inner.local_dir.as_deref()
    }

    /// The URL the object store is rooted at (`file:///` for local catalogs): register
    /// [`Catalog::object_store`] under it with DataFusion.
    pub fn store_url(&self) -> Url {
        self.inner.store_url.clone()
    }

    /// The object store holding the catalog.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.inner.store)
    }

    /// The current state (the newest manifest).
    pub async fn snapshot(&self) -> Result<Snapshot, CatalogError> {
        let mut manifest = self.inner.read_latest_raw().await?;
        migrate(&mut manifest)?; // in memory: a concurrent older writer may lag behind
        Ok(Snapshot {
            inner: Arc::clone(&self.inner),
            manifest: Arc::new(manifest),
        })
    }

    /// Applies `change` atomically and returns the new generation (the current one when
    /// the change is empty). Retries against concurrent writers.
    pub async fn commit(&self, change: Commit) -> Result<u64, CatalogError> {
        change.check()?;
        if change.is_empty() {
            return Ok(self.inner.latest_generation().await?.unwrap_or(0));
        }
        let _guard = self.inner.commit_lock.lock().await;
        let generation = Txn::new(&self.inner).run(&Op::Change(&change)).await?;
        Ok(generation.expect("a non-empty change always commits"))
    }

    /// Merges the small files of every table having more than `max_files_per_table`
    /// files, in key order, into files sorted by key of up to 262,144 rows, in one
    /// commit; files already that big stay. Returns the new generation, or `None` when
    /// no table needed it.
    pub async fn compact(&self, max_files_per_table: usize) -> Result<Option<u64>, CatalogError> {
        let _guard = self.inner.commit_lock.lock().await;
        Txn::new(&self.inner)
            .run(&Op::Compact(max_files_per_table.max(1)))
            .await
    }

    /// Deletes what no reader can need any more: manifests older than the
    /// [`KEEP_MANIFESTS`] newest, and data files none of the kept manifests references
    /// (left by replaced generations or by writers killed before their commit) — in
    /// both cases only when last modified more than `grace` ago.
    ///
    /// `grace` must exceed the longest commit of any other process writing this catalog
    /// (a commit's files are unreferenced until its manifest exists) and the longest read
    /// of an old snapshot; an hour is a safe default. Commits of this process are
    /// excluded while vacuum runs.
    pub async fn vacuum(&self, grace: Duration) -> Result<VacuumStats, CatalogError> {
        let _guard = self.inner.commit_lock.lock().await;
        self.inner.vacuum(grace).await
    }
}

/// One generation of the catalog, as read by [`Catalog::snapshot`]. Reads through a
/// snapshot are consistent: they see exactly the files of its manifest.
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<Inner>,
    manifest: Arc<Manifest>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("location", &self.inner.location)
            .field("generation", &self.manifest.generation)
            .finish()
    }
}

impl Snapshot {
    /// The generation (manifest number).
    pub fn generation(&self) -> u64 {
        self.manifest.generation
    }

    /// The manifest itself.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The live files of a table, as URLs (`file:///abs/.lakewarden/data/…`), for
    /// DataFusion `ListingTableUrl::parse`.
    pub fn table_files(&self, t: Table) -> Vec<String> {
        self.manifest
            .files(t)
            .iter()
            .map(|f| self.inner.file_url(&f.path))
            .collect()
    }

    /// The live files of a table as paths inside [`Snapshot::object_store`] (which is
    /// rooted at [`Snapshot::store_url`]), with their sizes in bytes.
    pub fn table_objects(&self, t: Table) -> Vec<(Path, u64)> {
        self.manifest
            .files(t)
            .iter()
            .map(|f| (self.inner.object_path(&f.path), f.bytes))
            .collect()
    }

    /// The manifest entries of a table's live files.
    pub fn table_entries(&self, t: Table) -> &[FileEntry] {
        self.manifest.files(t)
    }

    /// Every key present in a table (every `dataset_uri` of `datasets`, every `run_id`
    /// of `scan_runs`), sorted: from the manifest where it lists a file's keys, else
    /// from the file's key column.
    pub async fn keys(&self, t: Table) -> Result<Vec<String>, CatalogError> {
        let mut keys: BTreeSet<String> = BTreeSet::new();
        for f in self.manifest.files(t) {
            keys.extend(self.inner.file_keys(t, f).await?);
        }
        Ok(keys.into_iter().collect())
    }

    /// The distinct keys one of the table's live files holds, sorted (see
    /// [`Snapshot::keys`]).
    pub async fn file_keys(&self, t: Table, f: &FileEntry) -> Result<Vec<String>, CatalogError> {
        self.inner.file_keys(t, f).await
    }

    /// Only `columns` of one of the table's live files ([`Snapshot::table_entries`]),
    /// as stored: a column added by a later schema version is absent from an older
    /// file's batches. For reading what a whole table holds one file at a time, a
    /// few columns wide.
    pub async fn read_file_columns(
        &self,
        f: &FileEntry,
        columns: &[&str],
    ) -> Result<Vec<RecordBatch>, CatalogError> {
        self.inner.read_columns(f, columns).await
    }

    /// The URL the object store is rooted at (`file:///` for local catalogs).
    pub fn store_url(&self) -> Url {
        self.inner.store_url.clone()
    }

    /// The object store holding the catalog.
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.inner.store)
    }

    /// All rows of a table (one or more batches per file, with the table's schema).
    pub async fn read_table(&self, t: Table) -> Result<Vec<RecordBatch>, CatalogError> {
        self.read_table_keys(t, None).await
    }

    /// The rows of a table whose key is in `keys` (all rows for `None`). Only files
    /// whose manifest entry may hold one of the keys (lists it, or has it in its key
    /// range) are read.
    pub async fn read_table_keys(
        &self,
        t: Table,
        keys: Option<&[String]>,
    ) -> Result<Vec<RecordBatch>, CatalogError> {
        let wanted: Option<BTreeSet<String>> = keys.map(|k| k.iter().cloned().collect());
        let mut out = Vec::new();
        for f in self.manifest.files(t) {
            if let Some(w) = &wanted {
                if !f.may_hold_any(w) {
                    continue;
                }
            }
            for b in self.inner.read_file(t, f).await? {
                let b = match &wanted {
                    Some(w) => filter_by_keys(t, &b, w, true)?,
                    None => b,
                };
                if b.num_rows() > 0 {
                    out.push(b);
                }
            }
        }
        Ok(out)
    }

    /// Typed rows of `T::TABLE` whose key is in `keys` (all rows for `None`).
    pub async fn read_rows<T: CatalogRow>(
        &self,
        keys: Option<&[String]>,
    ) -> Result<Vec<T>, CatalogError> {
        let mut rows = Vec::new();
        for b in self.read_table_keys(T::TABLE, keys).await? {
            rows.extend(batch_to_rows::<T>(&b)?);
        }
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------
// Storage

enum PutError {
    AlreadyExists,
    Other(CatalogError),
}

impl Inner {
    fn object_path(&self, rel: &str) -> Path {
        rel.split('/')
            .filter(|s| !s.is_empty())
            .fold(self.root.clone(), |p, seg| p.join(seg))
    }

    fn rel_path(&self, p: &Path) -> Option<String> {
        let parts: Vec<String> = p
            .prefix_match(&self.root)?
            .map(|part| part.as_ref().to_string())
            .collect();
        Some(parts.join("/"))
    }

    fn file_url(&self, rel: &str) -> String {
        if let Some(dir) = &self.local_dir {
            if let Ok(u) = Url::from_file_path(dir.join(rel)) {
                return u.to_string();
            }
        }
        match self.store_url.join(self.object_path(rel).as_ref()) {
            Ok(u) => u.to_string(),
            Err(_) => format!("{}/{rel}", self.location),
        }
    }

    /// How a catalog file is named in messages.
    fn display(&self, rel: &str) -> String {
        format!("{}/{rel}", self.location)
    }

    async fn list(&self, dir: &str) -> Result<Vec<ObjectMeta>, CatalogError> {
        let prefix = self.object_path(dir);
        self.store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| CatalogError::store("list", self.display(dir), e))
    }

    /// (generation, relative path) of every manifest, newest first.
    async fn list_manifests(&self) -> Result<Vec<(u64, ObjectMeta)>, CatalogError> {
        let mut out: Vec<(u64, ObjectMeta)> = self
            .list(MANIFEST_DIR)
            .await?
            .into_iter()
            .filter_map(|m| {
                let g = Manifest::parse_file_name(m.location.filename()?)?;
                Some((g, m))
            })
            .collect();
        out.sort_by_key(|b| std::cmp::Reverse(b.0));
        Ok(out)
    }

    async fn latest_generation(&self) -> Result<Option<u64>, CatalogError> {
        Ok(self.list_manifests().await?.first().map(|(g, _)| *g))
    }

    fn manifest_rel(generation: u64) -> String {
        format!("{MANIFEST_DIR}/{}", Manifest::file_name(generation))
    }

    async fn read_manifest(&self, generation: u64) -> Result<Manifest, CatalogError> {
        let rel = Self::manifest_rel(generation);
        let bytes = self.get(&rel).await?;
        let m = Manifest::from_json(&bytes, &self.display(&rel))?;
        if m.generation != generation {
            return Err(CatalogError::InvalidManifest {
                path: self.display(&rel),
                reason: format!("holds generation {}", m.generation),
            });
        }
        Ok(m)
    }

    /// The newest manifest, as stored (not migrated).
    async fn read_latest_raw(&self) -> Result<Manifest, CatalogError> {
        let Some(g) = self.latest_generation().await? else {
            return Err(CatalogError::InvalidLocation {
                location: self.location.clone(),
                reason: format!("no manifest under {MANIFEST_DIR}/ (not a lakewarden catalog)"),
            });
        };
        self.read_manifest(g).await
    }

    async fn get(&self, rel: &str) -> Result<Bytes, CatalogError> {
        let path = self.object_path(rel);
        let res = self
            .store
            .get(&path)
            .await
            .map_err(|e| CatalogError::store("read", self.display(rel), e))?;
        res.bytes()
            .await
            .map_err(|e| CatalogError::store("read", self.display(rel), e))
    }

    /// Creates the manifest of `m.generation` if no manifest of that generation exists.
    async fn put_manifest(&self, m: &Manifest) -> Result<(), PutError> {
        let rel = Self::manifest_rel(m.generation);
        let path = self.object_path(&rel);
        let opts = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&path, PutPayload::from(m.to_json()), opts)
            .await
        {
            Ok(_) => {
                if let Err(e) = self.sync_local(&rel).await {
                    // The manifest exists (the commit happened); only its durability
                    // against power loss is in doubt.
                    tracing::warn!("{e}");
                }
                Ok(())
            }
            Err(object_store::Error::AlreadyExists { .. }) => Err(PutError::AlreadyExists),
            Err(e) => Err(PutError::Other(CatalogError::store(
                "create",
                self.display(&rel),
                e,
            ))),
        }
    }

    /// fsync a local file and its directory (no-op for object stores, whose puts are
    /// durable once acknowledged).
    async fn sync_local(&self, rel: &str) -> Result<(), CatalogError> {
        let Some(dir) = &self.local_dir else {
            return Ok(());
        };
        let file = dir.join(rel);
        let shown = self.display(rel);
        tokio::task::spawn_blocking(move || {
            let io = |op, source| CatalogError::Io {
                op,
                path: shown.clone(),
                source,
            };
            std::fs::File::open(&file)
                .and_then(|f| f.sync_all())
                .map_err(|e| io("fsync", e))?;
            if let Some(parent) = file.parent() {
                std::fs::File::open(parent)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| io("fsync directory of", e))?;
            }
            Ok(())
        })
        .await
        .map_err(|e| CatalogError::Io {
            op: "fsync",
            path: self.display(rel),
            source: std::io::Error::other(e),
        })?
    }

    /// Writes `batch` (already conformed to `t`'s schema) as a new data file of
    /// `generation`; returns its manifest entry. The file is complete and durable when
    /// this returns.
    async fn write_file(
        &self,
        t: Table,
        generation: u64,
        batch: &RecordBatch,
    ) -> Result<FileEntry, CatalogError> {
        let rel = format!(
            "{DATA_DIR}/{}/{generation}-{}.parquet",
            t.name(),
            uuid::Uuid::new_v4().simple()
        );
        let shown = self.display(&rel);
        let buf = {
            let batch = batch.clone();
            let shown = shown.clone();
            tokio::task::spawn_blocking(move || encode_parquet(t, &batch, &shown))
                .await
                .map_err(|e| CatalogError::Io {
                    op: "encode",
                    path: self.display(&rel),
                    source: std::io::Error::other(e),
                })??
        };
        let bytes = buf.len() as u64;
        let keys: Vec<String> = batch_keys(t, batch)?.into_iter().collect();
        self.store
            .put_opts(
                &self.object_path(&rel),
                PutPayload::from(buf),
                PutOptions::from(PutMode::Create),
            )
            .await
            .map_err(|e| CatalogError::store("write", &shown, e))?;
        self.sync_local(&rel).await?;
        Ok(FileEntry::new(t, rel, batch.num_rows() as u64, bytes, keys))
    }

    /// The distinct keys a data file holds, sorted: from its manifest entry when it
    /// lists them, else from the file's key column alone.
    async fn file_keys(&self, t: Table, f: &FileEntry) -> Result<Vec<String>, CatalogError> {
        if let Some(keys) = f.listed_keys() {
            return Ok(keys.to_vec());
        }
        let mut keys = BTreeSet::new();
        for b in self.read_columns(f, &[t.key_column()]).await? {
            keys.extend(batch_keys(t, &b).map_err(|e| naming_file(e, &self.display(&f.path)))?);
        }
        Ok(keys.into_iter().collect())
    }

    /// Decodes only `columns` of a data file, as stored: a column the file's schema
    /// version lacks is absent from the batches (not filled with nulls).
    async fn read_columns(
        &self,
        f: &FileEntry,
        columns: &[&str],
    ) -> Result<Vec<RecordBatch>, CatalogError> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        self.decode(f, move |bytes, shown| {
            decode_parquet_columns(bytes, Some(&columns), shown)
        })
        .await
    }

    /// Fetches a data file and runs `decode` on it on the blocking pool; `decode`
    /// gets the bytes and how the file is named in messages.
    async fn decode(
        &self,
        f: &FileEntry,
        decode: impl FnOnce(Bytes, &str) -> Result<Vec<RecordBatch>, CatalogError> + Send + 'static,
    ) -> Result<Vec<RecordBatch>, CatalogError> {
        let bytes = self.get(&f.path).await?;
        let shown = self.display(&f.path);
        let decoded = {
            let shown = shown.clone();
            tokio::task::spawn_blocking(move || decode(bytes, &shown))
        };
        decoded.await.map_err(|e| CatalogError::Io {
            op: "decode",
            path: shown,
            source: std::io::Error::other(e),
        })?
    }

    /// Reads a data file, conformed to `t`'s current schema.
    async fn read_file(&self, t: Table, f: &FileEntry) -> Result<Vec<RecordBatch>, CatalogError> {
        self.decode(f, move |bytes, shown| decode_parquet(t, bytes, shown))
            .await
    }

    async fn read_file_concat(&self, t: Table, f: &FileEntry) -> Result<RecordBatch, CatalogError> {
        let batches = self.read_file(t, f).await?;
        concat_batches(&t.schema(), &batches).map_err(|e| CatalogError::arrow(t, e))
    }

    async fn delete(&self, rel: &str) -> Result<(), CatalogError> {
        match self.store.delete(&self.object_path(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(CatalogError::store("delete", self.display(rel), e)),
        }
    }

    async fn vacuum(&self, grace: Duration) -> Result<VacuumStats, CatalogError> {
        let mut stats = VacuumStats::default();
        let cutoff = Utc::now()
            - chrono::Duration::from_std(grace).unwrap_or_else(|_| chrono::Duration::days(36500));
        let manifests = self.list_manifests().await?;
        let (kept, old): (Vec<_>, Vec<_>) = manifests
            .into_iter()
            .enumerate()
            .partition(|(i, (_, meta))| *i < KEEP_MANIFESTS || meta.last_modified > cutoff);
        let mut referenced: BTreeSet<String> = BTreeSet::new();
        for (_, (generation, _)) in &kept {
            match self.read_manifest(*generation).await {
                Ok(m) => referenced.extend(m.all_paths().map(str::to_string)),
                // Deleted by a concurrent vacuum of another process: nothing to protect.
                Err(CatalogError::Store {
                    source: object_store::Error::NotFound { .. },
                    ..
                }) => {}
                Err(e) => return Err(e),
            }
        }
        // Manifests first: no remaining manifest ever points to a deleted file.
        for (_, (generation, _)) in old.iter().rev() {
            self.delete(&Self::manifest_rel(*generation)).await?;
            stats.manifests_deleted += 1;
        }
        for meta in self.list(DATA_DIR).await? {
            let Some(rel) = self.rel_path(&meta.location) else {
                continue;
            };
            if referenced.contains(&rel) || meta.last_modified > cutoff {
                continue;
            }
            self.delete(&rel).await?;
            stats.data_files_deleted += 1;
            stats.bytes_deleted += meta.size;
        }
        if let Some(dir) = self.local_dir.clone() {
            let cutoff = std::time::SystemTime::now()
                .checked_sub(grace)
                .unwrap_or(std::time::UNIX_EPOCH);
            stats.staging_files_deleted = tokio::task::spawn_blocking(move || {
                remove_staging_files(&dir.join(DATA_DIR), cutoff)
                    + remove_staging_files(&dir.join(MANIFEST_DIR), cutoff)
            })
            .await
            .unwrap_or(0);
        }
        tracing::info!(catalog = %self.location, ?stats, "vacuumed");
        Ok(stats)
    }
}

fn encode_parquet(t: Table, batch: &RecordBatch, shown: &str) -> Result<Vec<u8>, CatalogError> {
    let parquet_err = |source| CatalogError::Parquet {
        path: shown.to_string(),
        source,
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut writer =
        ArrowWriter::try_new(&mut buf, t.schema(), Some(props)).map_err(parquet_err)?;
    writer.write(batch).map_err(parquet_err)?;
    writer.close().map_err(parquet_err)?;
    Ok(buf)
}

/// Decodes a data file and conforms its batches to `t`'s current schema.
fn decode_parquet(t: Table, bytes: Bytes, shown: &str) -> Result<Vec<RecordBatch>, CatalogError> {
    decode_parquet_columns(bytes, None, shown)?
        .iter()
        .map(|b| conform_batch(t, b, false).map_err(|e| naming_file(e, shown)))
        .collect()
}

/// An invalid-batch error with the file it came from (`shown`) in its reason.
fn naming_file(e: CatalogError, shown: &str) -> CatalogError {
    match e {
        CatalogError::InvalidBatch { table, reason } => CatalogError::InvalidBatch {
            table,
            reason: format!("{shown}: {reason}"),
        },
        other => other,
    }
}

/// Decodes a data file, as stored: every column, or the named ones it has.
fn decode_parquet_columns(
    bytes: Bytes,
    columns: Option<&[String]>,
    shown: &str,
) -> Result<Vec<RecordBatch>, CatalogError> {
    let parquet_err = |source| CatalogError::Parquet {
        path: shown.to_string(),
        source,
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(parquet_err)?;
    let mask = match columns {
        Some(columns) => {
            ProjectionMask::columns(builder.parquet_schema(), columns.iter().map(String::as_str))
        }
        None => ProjectionMask::all(),
    };
    let reader = builder.with_projection(mask).build().map_err(parquet_err)?;
    reader
        .map(|b| b.map_err(|e| parquet_err(e.into())))
        .collect()
}

/// Removes `LocalFileSystem` partial uploads (`<name>#<n>`) older than `cutoff` under
/// `dir`; returns how many.
fn remove_staging_files(dir: &std::path::Path, cutoff: std::time::SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_dir() {
            n += remove_staging_files(&path, cutoff);
        } else if entry.file_name().to_string_lossy().contains('#')
            && meta.modified().is_ok_and(|m| m <= cutoff)
            && std::fs::remove_file(&path).is_ok()
        {
            n += 1;
        }
    }
    n
}

// ---------------------------------------------------------------------------------------
// Transactions

enum Op<'a> {
    Change(&'a Commit),
    Compact(usize),
    Migrate,
}

/// One optimistic transaction: build the next manifest from the newest one, try to
/// create it, on a lost race re-read and rebuild. Files written along the way are
/// remembered so that those the final manifest does not use are deleted.
struct Txn<'a> {
    inner: &'a Inner,
    /// Data files this transaction wrote (relative paths).
    written: Vec<String>,
    /// New rows of the change, written once: table → entry.
    new_files: HashMap<Table, FileEntry>,
    /// (table, source file) → the file rewritten without the change's keys.
    rewrites: HashMap<(Table, String), Option<FileEntry>>,
    /// (table, source files) → merged files (compaction, deleted-dataset rows).
    merged: HashMap<(Table, Vec<String>), Vec<FileEntry>>,
    /// The keys of each new file of the change (its manifest entry may not list them).
    new_keys: HashMap<Table, BTreeSet<String>>,
    /// (table, file) → the file's keys, for files whose entry lists none and which a
    /// change may touch: read once per transaction, whatever the retries.
    read_keys: HashMap<(Table, String), Arc<[String]>>,
}

impl<'a> Txn<'a> {
    fn new(inner: &'a Inner) -> Self {
        Txn {
            inner,
            written: Vec::new(),
            new_files: HashMap::new(),
            rewrites: HashMap::new(),
            merged: HashMap::new(),
            new_keys: HashMap::new(),
            read_keys: HashMap::new(),
        }
    }

    /// The keys of a live file: listed in its entry, or read from its key column
    /// (once per transaction).
    async fn keys_of(&mut self, t: Table, f: &FileEntry) -> Result<Arc<[String]>, CatalogError> {
        if let Some(keys) = f.listed_keys() {
            return Ok(keys.into());
        }
        let cache_key = (t, f.path.clone());
        if let Some(keys) = self.read_keys.get(&cache_key) {
            return Ok(Arc::clone(keys));
        }
        let keys: Arc<[String]> = self.inner.file_keys(t, f).await?.into();
        self.read_keys.insert(cache_key, Arc::clone(&keys));
        Ok(keys)
    }

    async fn run(mut self, op: &Op<'_>) -> Result<Option<u64>, CatalogError> {
        let mut ambiguous = false;
        let result = self.attempts(op, &mut ambiguous).await;
        // Delete files of this transaction that no manifest references. When the last
        // manifest put failed in an unknown way it may have succeeded: leave them to
        // vacuum.
        let keep: BTreeSet<String> = match &result {
            Ok(Some(m)) => m.all_paths().map(str::to_string).collect(),
            _ if ambiguous => self.written.iter().cloned().collect(),
            Ok(None) | Err(_) => BTreeSet::new(),
        };
        for rel in self.written.iter().filter(|p| !keep.contains(*p)) {
            if let Err(e) = self.inner.delete(rel).await {
                tracing::warn!("cleaning up after commit: {e}");
            }
        }
        result.map(|m| m.map(|m| m.generation))
    }

    async fn attempts(
        &mut self,
        op: &Op<'_>,
        ambiguous: &mut bool,
    ) -> Result<Option<Manifest>, CatalogError> {
        let mut raw = self.inner.read_latest_raw().await?;
        let mut base = raw.clone();
        migrate(&mut base)?;
        if let Op::Change(change) = op {
            self.write_new_rows(change, base.generation + 1).await?;
        }
        for attempt in 1..=MAX_COMMIT_ATTEMPTS {
            let Some(next) = self.build(op, &raw, &base).await? else {
                return Ok(None);
            };
            match self.inner.put_manifest(&next).await {
                Ok(()) => {
                    tracing::debug!(
                        catalog = %self.inner.location,
                        generation = next.generation,
                        attempt,
                        "committed"
                    );
                    return Ok(Some(next));
                }
                Err(PutError::AlreadyExists) => {
                    tracing::debug!(
                        catalog = %self.inner.location,
                        generation = next.generation,
                        attempt,
                        "lost the race for the next manifest; retrying"
                    );
                    backoff(attempt).await;
                    raw = self.inner.read_latest_raw().await?;
                    base = raw.clone();
                    migrate(&mut base)?;
                }
                Err(PutError::Other(e)) => {
                    *ambiguous = true;
                    return Err(e);
                }
            }
        }
        Err(CatalogError::CommitConflict {
            location: self.inner.location.clone(),
            attempts: MAX_COMMIT_ATTEMPTS,
        })
    }

    async fn write(
        &mut self,
        t: Table,
        generation: u64,
        batch: &RecordBatch,
    ) -> Result<FileEntry, CatalogError> {
        let entry = self.inner.write_file(t, generation, batch).await?;
        self.written.push(entry.path.clone());
        Ok(entry)
    }

    async fn write_new_rows(
        &mut self,
        change: &Commit,
        generation: u64,
    ) -> Result<(), CatalogError> {
        for (&t, ch) in &change.tables {
            if ch.rows() == 0 {
                continue;
            }
            let batch =
                concat_batches(&t.schema(), &ch.batches).map_err(|e| CatalogError::arrow(t, e))?;
            let entry = self.write(t, generation, &batch).await?;
            self.new_files.insert(t, entry);
            self.new_keys.insert(t, batch_keys(t, &batch)?);
        }
        Ok(())
    }

    fn next_of(base: &Manifest) -> Manifest {
        Manifest {
            format_version: crate::manifest::FORMAT_VERSION,
            schema_version: crate::SCHEMA_VERSION,
            generation: base.generation + 1,
            created_at: Utc::now(),
            tables: base.tables.clone(),
        }
    }

    /// The next manifest, from the newest one as stored (`raw`) and as migrated in
    /// memory (`base`); `None` when the operation has nothing to do.
    async fn build(
        &mut self,
        op: &Op<'_>,
        raw: &Manifest,
        base: &Manifest,
    ) -> Result<Option<Manifest>, CatalogError> {
        match op {
            Op::Change(change) => self.build_change(change, base).await.map(Some),
            Op::Compact(max) => self.build_compact(*max, base).await,
            Op::Migrate => {
                if base == raw {
                    return Ok(None); // another process migrated it meanwhile
                }
                Ok(Some(Self::next_of(base)))
            }
        }
    }

    async fn build_change(
        &mut self,
        change: &Commit,
        base: &Manifest,
    ) -> Result<Manifest, CatalogError> {
        let mut next = Self::next_of(base);
        let generation = next.generation;

        // Rows of datasets marked deleted, derived from their current rows in `base`.
        let deleted_entries = if change.deletions.is_empty() {
            Vec::new()
        } else {
            let keys: BTreeSet<String> = change.deletions.keys().cloned().collect();
            // Files that may hold them; the rows are filtered by key below.
            let sources: Vec<&FileEntry> = base
                .files(Table::Datasets)
                .iter()
                .filter(|f| f.may_hold_any(&keys))
                .collect();
            let cache_key = (
                Table::Datasets,
                sources.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
            );
            match self.merged.get(&cache_key) {
                Some(entries) => entries.clone(),
                None => {
                    let mut rows: Vec<DatasetRow> = Vec::new();
                    for f in &sources {
                        for b in self.inner.read_file(Table::Datasets, f).await? {
                            let b = filter_by_keys(Table::Datasets, &b, &keys, true)?;
                            rows.extend(batch_to_rows::<DatasetRow>(&b)?);
                        }
                    }
                    let now = Utc::now();
                    for r in &mut rows {
                        r.status = DatasetStatus::Deleted;
                        r.last_scan_run = change.deletions[&r.dataset_uri].clone();
                        r.scanned_at = now;
                        r.error = None;
                    }
                    let entries = if rows.is_empty() {
                        Vec::new()
                    } else {
                        vec![
                            self.write(Table::Datasets, generation, &rows_to_batch(&rows))
                                .await?,
                        ]
                    };
                    self.merged.insert(cache_key, entries.clone());
                    entries
                }
            }
        };

        for (&t, ch) in &change.tables {
            let old = next.tables.remove(t.name()).unwrap_or_default();
            let mut files = Vec::with_capacity(old.len() + 1);
            for f in old {
                if !f.may_hold_any(&ch.keys) {
                    files.push(f);
                    continue;
                }
                let file_keys = self.keys_of(t, &f).await?;
                let touched = file_keys.iter().filter(|k| ch.keys.contains(*k)).count();
                if touched == 0 {
                    files.push(f);
                } else if touched < file_keys.len() {
                    // Copy-on-write: the file also holds other keys.
                    let cache_key = (t, f.path.clone());
                    let rewritten = match self.rewrites.get(&cache_key) {
                        Some(r) => r.clone(),
                        None => {
                            let batch = self.inner.read_file_concat(t, &f).await?;
                            let rest = filter_by_keys(t, &batch, &ch.keys, false)?;
                            let r = if rest.num_rows() == 0 {
                                None
                            } else {
                                Some(self.write(t, generation, &rest).await?)
                            };
                            self.rewrites.insert(cache_key, r.clone());
                            r
                        }
                    };
                    files.extend(rewritten);
                }
                // else: every key of the file is replaced; drop it unread.
            }
            files.extend(self.new_files.get(&t).cloned());
            if t == Table::Datasets {
                files.extend(deleted_entries.iter().cloned());
            }
            next.tables.insert(t.name().to_string(), files);
        }

        // Invariant: no findings without their dataset's row, in the resulting state.
        let required: BTreeSet<String> = self
            .new_keys
            .iter()
            .filter(|(t, _)| t.requires_dataset_row())
            .flat_map(|(_, keys)| keys.iter().cloned())
            .collect();
        if let Some(k) = self.missing_dataset_row(&next, &required).await? {
            let t = self
                .new_keys
                .iter()
                .find(|(t, keys)| t.requires_dataset_row() && keys.contains(&k))
                .map(|(t, _)| *t)
                .expect("the key came from one of the new files");
            return Err(CatalogError::InvalidCommit(format!(
                "{t} rows for {k}, which has no datasets row"
            )));
        }
        Ok(next)
    }

    /// A key of `required` that no `datasets` file of `next` holds, if any. The
    /// change's own `datasets` rows are checked first, then the files that list
    /// keys; only files whose range holds a still-missing key have it read.
    async fn missing_dataset_row(
        &mut self,
        next: &Manifest,
        required: &BTreeSet<String>,
    ) -> Result<Option<String>, CatalogError> {
        let own = self.new_keys.get(&Table::Datasets);
        let mut missing: BTreeSet<String> = required
            .iter()
            .filter(|k| !own.is_some_and(|o| o.contains(*k)))
            .cloned()
            .collect();
        for f in next.files(Table::Datasets) {
            if missing.is_empty() {
                break;
            }
            if !f.may_hold_any(&missing) {
                continue;
            }
            for k in self.keys_of(Table::Datasets, f).await?.iter() {
                missing.remove(k);
            }
        }
        Ok(missing.into_iter().next())
    }

    /// Merges the table's small files (under half of [`COMPACT_MAX_ROWS`] rows) in
    /// key order into files of up to [`COMPACT_MAX_ROWS`] rows, one output file at a
    /// time — memory holds one output file's rows, not the table — for every table
    /// with more than `max` files. Full-size files stay as they are.
    async fn build_compact(
        &mut self,
        max: usize,
        base: &Manifest,
    ) -> Result<Option<Manifest>, CatalogError> {
        let mut next = Self::next_of(base);
        let mut changed = false;
        for &t in Table::ALL {
            let files = base.files(t);
            if files.len() <= max {
                continue;
            }
            let (full, mut small): (Vec<&FileEntry>, Vec<&FileEntry>) = files
                .iter()
                .partition(|f| f.rows as usize >= COMPACT_MAX_ROWS / 2);
            if small.len() < 2 {
                continue;
            }
            changed = true;
            // In key order, so that the merged files cover narrow key ranges.
            small.sort_by(|a, b| (&a.key_min, &a.path).cmp(&(&b.key_min, &b.path)));
            let cache_key = (t, small.iter().map(|f| f.path.clone()).collect::<Vec<_>>());
            let merged = match self.merged.get(&cache_key) {
                Some(m) => m.clone(),
                None => {
                    let mut out = Vec::new();
                    let mut chunk: Vec<RecordBatch> = Vec::new();
                    let mut rows = 0usize;
                    for f in &small {
                        if rows > 0 && rows + f.rows as usize > COMPACT_MAX_ROWS {
                            out.push(self.write_sorted(t, next.generation, &chunk).await?);
                            chunk.clear();
                            rows = 0;
                        }
                        chunk.extend(self.inner.read_file(t, f).await?);
                        rows += f.rows as usize;
                    }
                    if rows > 0 {
                        out.push(self.write_sorted(t, next.generation, &chunk).await?);
                    }
                    self.merged.insert(cache_key, out.clone());
                    out
                }
            };
            let kept = full.into_iter().cloned();
            next.tables
                .insert(t.name().to_string(), kept.chain(merged).collect());
        }
        Ok(changed.then_some(next))
    }

    /// Writes `batches` as one file, its rows sorted by key.
    async fn write_sorted(
        &mut self,
        t: Table,
        generation: u64,
        batches: &[RecordBatch],
    ) -> Result<FileEntry, CatalogError> {
        let all = concat_batches(&t.schema(), batches).map_err(|e| CatalogError::arrow(t, e))?;
        let key_col = all
            .column_by_name(t.key_column())
            .expect("conformed batches have the key column");
        let order = sort_to_indices(key_col, None, None).map_err(|e| CatalogError::arrow(t, e))?;
        let sorted = take_record_batch(&all, &order).map_err(|e| CatalogError::arrow(t, e))?;
        drop(all);
        self.write(t, generation, &sorted).await
    }
}

/// Randomised exponential backoff between commit attempts (1 ms … ~100 ms).
async fn backoff(attempt: usize) {
    let cap_ms = 1u64 << attempt.min(7) as u32; // 2, 4, … 128
    let jitter = (uuid::Uuid::new_v4().as_u128() % u128::from(cap_ms)) as u64;
    tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
}
