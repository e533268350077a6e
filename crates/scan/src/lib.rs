//! `lakewarden-scan`: one scan run, end to end.
//!
//! `discover → read → classify → commit`: datasets stream out of discovery
//! into a bounded number of concurrent reads; each reader feeds a classifier
//! running on the blocking pool (rayon inside); finished datasets are
//! committed to the catalog in groups, each group one atomic manifest swap.
//! A dataset is committed whole or not at all; a failing dataset is committed
//! as `status = 'error'` with its one-line reason and the scan goes on.
//!
//! Runs are incremental (`incremental.rs`): a dataset whose listing and
//! settings are unchanged since its last scan is skipped without a read, and
//! one that vanished from a completely listed root is marked deleted.
//!
//! Architecture Invariant: this crate wires the others together and owns the
//! run's bookkeeping (run ids, summary, exit status); it holds no detection
//! logic, no storage format and no SQL.

pub mod incremental;

use chrono::{DateTime, Utc};
use futures::StreamExt;
pub use incremental::{DatasetFilter, Shard};
use lakewarden_catalog::{
    Catalog, ClassificationRow, ColumnRow, Commit, DatasetFileRow, DatasetFormat, DatasetRow,
    DatasetStatus, DatasetVersionRow, DateHistogramRow, FileEvidenceRow, LlmAnswerRow,
    Method as CatalogMethod, RunStatus, ScanMode, ScanRunRow, Sensitivity, Snapshot,
};
use lakewarden_classify::{
    Classifier, ClassifierConfig, ColumnPartial, ColumnResult, FileColumn, Method,
};
use lakewarden_lake::{
    ChunkData, DatasetKind, DatasetRef, FileRead, Format, KnownFiles, LakeLocation, MemoryBudget,
    ReadOptions, Reader,
};
use lakewarden_llm::{
    Answer, Budget, CacheIdentity, CachedAnswer, ClientConfig, LlmClient, LlmSession, LlmStats,
    Policy,
};
use lakewarden_rules::{HyperscanMatcher, RuleSet};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Version of the JSON scan summary (`--summary-json`). 2: incremental
/// scans (`datasets_skipped`, `datasets_deleted`, `bytes_unchanged`, `shard`).
/// 3: the memory budget (`memory_limit_bytes`, `memory_reserved_peak_bytes`,
/// `memory_waits`).
pub const SUMMARY_SCHEMA_VERSION: u32 = 3;

/// `--memory-limit` when neither the flag nor the config file sets it.
pub const DEFAULT_MEMORY_LIMIT: u64 = 1 << 30;

#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub roots: Vec<String>,
    pub catalog: String,
    pub rules_dir: Option<PathBuf>,
    pub read: ReadOptions,
    pub classifier: ClassifierConfig,
    /// Datasets read at once.
    pub concurrency: usize,
    /// Bytes of data in flight across all reads of the run (the budget of
    /// `lakewarden_lake::budget`).
    pub memory_limit: u64,
    /// Requests in flight per S3 / Azure store (`None`: the lake crate's default).
    pub requests_per_store: Option<usize>,
    /// Sampled LLM checks of ambiguous columns (`--llm`); `None`: off.
    pub llm: Option<LlmConfig>,
    /// Only the datasets of this shard (`--shard K/N`); `None`: all.
    pub shard: Option<Shard>,
    /// Only the datasets these globs cover (estate config `include` / `exclude`).
    pub filter: DatasetFilter,
    /// Read every dataset even when it is unchanged since its last scan
    /// (`--rescan`; `--full` implies it).
    pub rescan_unchanged: bool,
    /// Root (as given in `roots`) → the AWS named profile its store uses
    /// (estate config `{ uri = "s3://…", profile = "…" }`).
    pub aws_profiles: BTreeMap<String, String>,
    /// Finish listing a root before reading any of it (a benchmark baseline:
    /// by default reads start while the listing goes on).
    pub no_overlap: bool,
    /// Catalog manifests and data files replaced longer ago than this are
    /// deleted when the run ends (`--vacuum-grace`; see
    /// `lakewarden_catalog::Catalog::vacuum`).
    pub vacuum_grace: Duration,
}

/// `--llm ENDPOINT` and its options.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub client: ClientConfig,
    pub budget: Budget,
    /// Send raw values instead of masked ones (`--llm-raw-samples`).
    pub raw_samples: bool,
    /// …even to an endpoint that is not a loopback address.
    pub allow_raw_remote: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("rules: {0}")]
    Rules(#[from] lakewarden_rules::RulesError),
    #[error("catalog: {0}")]
    Catalog(#[from] lakewarden_catalog::CatalogError),
    #[error("{0}")]
    Root(#[from] lakewarden_lake::LakeError),
    #[error("{0}")]
    Llm(#[from] lakewarden_llm::LlmError),
}

impl ScanError {
    /// Usage / configuration problems (exit code 2) vs fatal run errors (1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ScanError::Rules(_)
                | ScanError::Llm(_)
                | ScanError::Root(lakewarden_lake::LakeError::BadUri { .. })
        )
    }
}

/// Events for a progress display (the CLI draws them; tests ignore them).
pub trait Progress: Send + Sync {
    fn dataset_found(&self, _dataset_uri: &str, _bytes: u64) {}
    fn dataset_done(&self, _dataset_uri: &str, _bytes_read: u64, _status: &str) {}
    fn error(&self, _line: &str) {}
    /// A one-line note that is not a failure (e.g. the LLM endpoint was down).
    fn note(&self, _line: &str) {}
}

/// Progress that shows nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// The run summary printed at the end and written by `--summary-json`.
#[derive(Debug, Clone, Serialize)]
pub struct ScanSummary {
    pub schema_version: u32,
    pub run_id: String,
    pub status: String,
    pub mode: String,
    pub roots: Vec<String>,
    pub catalog: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub datasets_scanned: u64,
    /// Unchanged since their last scan (same listing, same settings): not read.
    pub datasets_skipped: u64,
    pub datasets_failed: u64,
    pub datasets_unsupported: u64,
    /// In the catalog, under a root this run listed completely, but gone.
    pub datasets_deleted: u64,
    /// Bytes of the skipped datasets (what a full re-scan would have looked at).
    pub bytes_unchanged: u64,
    /// Seconds from the start of each root's listing to its end, summed.
    pub listing_seconds: f64,
    /// Objects the listings showed (data files of the datasets found).
    pub objects_listed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub columns: u64,
    pub findings: u64,
    pub findings_by_entity: BTreeMap<String, u64>,
    pub rows_sampled: u64,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub memory_limit_bytes: u64,
    /// Most of the memory budget reserved at one time.
    pub memory_reserved_peak_bytes: u64,
    /// Reads that waited for room in the budget.
    pub memory_waits: u64,
    pub ruleset_fingerprint: String,
    /// One line per failed dataset or root.
    pub errors: Vec<String>,
    /// The LLM checks of this run (`--llm`), absent when off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmStats>,
    /// One line per thing worth knowing that is not a failure (an LLM
    /// endpoint down, its budget spent): the exit code stays 0.
    pub notes: Vec<String>,
}

impl ScanSummary {
    /// DESIGN.md exit codes: 0 all scanned, 3 some datasets failed.
    pub fn exit_code(&self) -> i32 {
        if self.datasets_failed > 0 || !self.errors.is_empty() {
            3
        } else {
            0
        }
    }
}

/// What one dataset produced, ready to commit.
struct Outcome {
    dataset: DatasetRow,
    columns: Vec<ColumnRow>,
    findings: Vec<ClassificationRow>,
    /// A Delta table's versions that time travel can still reach.
    versions: Vec<DatasetVersionRow>,
    /// Date columns' values per month (retention).
    date_months: Vec<DateHistogramRow>,
    /// Per file and column, the evidence of a dataset read file by file.
    evidence: Vec<FileEvidenceRow>,
    rows_sampled: u64,
}

impl Outcome {
    /// A dataset recorded without columns or findings (unsupported, failed).
    fn without_rows(dataset: DatasetRow) -> Self {
        Outcome {
            dataset,
            columns: vec![],
            findings: vec![],
            versions: vec![],
            date_months: vec![],
            evidence: vec![],
            rows_sampled: 0,
        }
    }
}

/// What became of one item of a root's discovery stream.
enum Found {
    /// Read and classified (or recorded as failed / unsupported), with the
    /// objects its listing showed.
    Scanned(Box<Outcome>, Vec<DatasetFileRow>),
    /// Unchanged since its last scan: not read, catalog rows kept.
    Skipped { dataset_uri: String, bytes: u64 },
    /// Outside what this run covers (another shard, an excluded path).
    Elsewhere,
    /// A listing error below the root (one line).
    ListingError(String),
}

/// Datasets per commit and the longest a finished dataset waits for one,
/// while commits are cheap.
const GROUP_COMMIT_DATASETS: usize = 64;
const GROUP_COMMIT_EVERY: Duration = Duration::from_secs(2);
/// After a commit that took `t`, the next waits at least this many times `t`.
const COMMIT_COST_FACTOR: u32 = 4;
/// Finished datasets held for one commit at most (their rows are in memory).
const GROUP_COMMIT_MAX_DATASETS: usize = 1024;

/// When the finished datasets are committed. Every commit writes a new
/// manifest listing each live catalog file with the datasets it holds, so a
/// commit costs more the more datasets the catalog knows: committing every
/// 64 datasets made the commits most of a scan of many small datasets, and
/// the manifest bytes written grow with the square of the estate. So the
/// pause after a commit grows with what it cost ([`COMMIT_COST_FACTOR`]):
/// commits take at most a fifth of the run, whatever the catalog's size,
/// and a killed scan loses at most that pause's datasets (read again next
/// run).
struct CommitPacing {
    last_end: Instant,
    last_cost: Duration,
}

impl CommitPacing {
    fn new() -> Self {
        CommitPacing {
            last_end: Instant::now(),
            last_cost: Duration::ZERO,
        }
    }

    fn due(&self, pending: usize) -> bool {
        if pending == 0 {
            return false;
        }
        if pending >= GROUP_COMMIT_MAX_DATASETS {
            return true;
        }
        let since = self.last_end.elapsed();
        since >= self.last_cost * COMMIT_COST_FACTOR
            && (pending >= GROUP_COMMIT_DATASETS || since >= GROUP_COMMIT_EVERY)
    }

    fn committed(&mut self, started: Instant) {
        self.last_end = Instant::now();
        self.last_cost = self.last_end - started;
    }
}

pub async fn run_scan(
    cfg: ScanConfig,
    progress: Arc<dyn Progress>,
) -> Result<ScanSummary, ScanError> {
    let started_at = Utc::now();
    let rules = Arc::new(RuleSet::load(cfg.rules_dir.as_deref())?);
    // The built-in rules compile (a test says so), so their Hyperscan
    // database is built when the first dataset needs it: a nightly re-scan
    // that finds nothing changed never pays for it. User rules are compiled
    // now, so a bad pattern stops the run before anything is written.
    let matcher = Arc::new(tokio::sync::OnceCell::new());
    if cfg.rules_dir.is_some() {
        let _ = matcher.set(Arc::new(compile_matcher(&rules)?));
    }
    let mut classifier_cfg = cfg.classifier.clone();
    let llm = match &cfg.llm {
        Some(l) => {
            let policy = Policy::load(cfg.rules_dir.as_deref())?;
            let raw =
                lakewarden_llm::raw_allowed(&l.client.endpoint, l.raw_samples, l.allow_raw_remote)?;
            lakewarden_llm::is_loopback(&l.client.endpoint)?;
            classifier_cfg.llm_sample_values = policy.sample_values;
            classifier_cfg.llm_raw_samples = raw;
            let client = LlmClient::new(&l.client).map_err(lakewarden_llm::LlmError::Config)?;
            Some(Arc::new(LlmSession::new(client, policy, l.budget)))
        }
        None => None,
    };
    let fingerprint = rules.fingerprint().to_string();
    let settings_fingerprint = incremental::settings_fingerprint(&cfg, &fingerprint);
    // Parse every root before anything is written: a bad URI is a usage error.
    let locations: Vec<LakeLocation> = cfg
        .roots
        .iter()
        .map(|r| LakeLocation::parse(r))
        .collect::<Result<_, _>>()?;
    // Open every store first too: missing credentials, a refused AssumeRole
    // or a failing credential_process stop the run before anything is
    // written, whichever root they concern.
    let mut stores = Vec::with_capacity(locations.len());
    for (root, loc) in cfg.roots.iter().zip(&locations) {
        let opts = lakewarden_lake::StoreOptions {
            aws_profile: cfg.aws_profiles.get(root).cloned(),
            max_requests: cfg.requests_per_store,
        };
        stores.push(lakewarden_lake::open_store_checked(loc, &opts).await?);
    }
    let catalog = Catalog::open(&cfg.catalog).await?;
    let snapshot = catalog.snapshot().await?;
    let state = Arc::new(incremental::State::load(&snapshot).await?);
    if let Some(session) = &llm {
        let cached = snapshot.read_rows::<LlmAnswerRow>(None).await?;
        session.load_cache(cached.into_iter().map(cached_answer));
    }
    let run_id = format!(
        "{}-{}",
        started_at.format("%Y%m%dT%H%M%SZ"),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mode = if cfg.read.full {
        ScanMode::Full
    } else {
        ScanMode::Sample
    };
    let mut run = ScanRunRow {
        run_id: run_id.clone(),
        started_at,
        finished_at: None,
        roots: locations.iter().map(|l| l.root_uri()).collect(),
        status: RunStatus::Running,
        mode,
        datasets_scanned: 0,
        datasets_skipped: 0,
        datasets_failed: 0,
        datasets_unsupported: 0,
        ruleset_fingerprint: fingerprint.clone(),
        lakewarden_version: env!("CARGO_PKG_VERSION").to_string(),
        datasets_deleted: 0,
        shard: cfg.shard.map(|s| s.to_string()),
    };
    let mut c = Commit::new();
    c.put_run(run.clone());
    catalog.commit(c).await?;

    let mut summary = ScanSummary {
        schema_version: SUMMARY_SCHEMA_VERSION,
        run_id: run_id.clone(),
        status: String::new(),
        mode: if cfg.read.full { "full" } else { "sample" }.into(),
        roots: run.roots.clone(),
        catalog: catalog.location().to_string(),
        started_at,
        finished_at: started_at,
        datasets_scanned: 0,
        datasets_skipped: 0,
        datasets_failed: 0,
        datasets_unsupported: 0,
        datasets_deleted: 0,
        bytes_unchanged: 0,
        listing_seconds: 0.0,
        objects_listed: 0,
        shard: cfg.shard.map(|s| s.to_string()),
        columns: 0,
        findings: 0,
        findings_by_entity: BTreeMap::new(),
        rows_sampled: 0,
        bytes_read: 0,
        bytes_total: 0,
        memory_limit_bytes: cfg.memory_limit,
        memory_reserved_peak_bytes: 0,
        memory_waits: 0,
        ruleset_fingerprint: fingerprint.clone(),
        errors: Vec::new(),
        llm: None,
        notes: Vec::new(),
    };

    let memory = MemoryBudget::new(cfg.memory_limit, cfg.concurrency);
    let ctx = Arc::new(RunContext {
        run_id: run_id.clone(),
        fingerprint: fingerprint.clone(),
        settings_fingerprint,
        rules: rules.clone(),
        matcher,
        classifier_cfg,
        classifier: tokio::sync::OnceCell::new(),
        read: ReadOptions {
            memory: memory.clone(),
            // The classifier looks at each column on its own.
            columns_apart: true,
            ..cfg.read.clone()
        },
        snapshot: snapshot.clone(),
        llm: llm.clone(),
    });
    let scope = Arc::new(incremental::Scope {
        shard: cfg.shard,
        filter: cfg.filter.clone(),
    });
    let mut roots_failed = 0usize;
    for (loc, store) in locations.iter().zip(stores) {
        let reader = Arc::new(Reader::new(store.clone()));
        let (tx, rx) = mpsc::channel(256);
        let loc_owned = Arc::new(loc.clone());
        let walk = tokio::spawn({
            let store = store.clone();
            let loc = loc_owned.clone();
            async move {
                let started = Instant::now();
                let r = lakewarden_lake::discover(store, &loc, tx).await;
                (r, started.elapsed())
            }
        });
        // Without overlap (benchmark baseline): the whole listing first.
        let rx = if cfg.no_overlap {
            let mut rx = rx;
            let mut all = Vec::new();
            while let Some(item) = rx.recv().await {
                all.push(item);
            }
            let (tx2, rx2) = mpsc::channel(all.len().max(1));
            for item in all {
                let _ = tx2.try_send(item);
            }
            rx2
        } else {
            rx
        };
        let progress2 = progress.clone();
        let skip_unchanged = !cfg.read.full && !cfg.rescan_unchanged;
        // --full and --rescan read every file again.
        let reuse_evidence = skip_unchanged;
        let scope = scope.clone();
        let objects = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut outcomes = tokio_stream_of(rx)
            .map(|found| {
                let ctx = ctx.clone();
                let reader = reader.clone();
                let loc = loc_owned.clone();
                let progress = progress2.clone();
                let state = state.clone();
                let scope = scope.clone();
                let objects = objects.clone();
                async move {
                    let ds = match found {
                        Ok(ds) => ds,
                        Err(e) => return Found::ListingError(e.to_string()),
                    };
                    if !scope.covers(&ds.dataset_uri, &ds.relative_path) {
                        return Found::Elsewhere;
                    }
                    progress.dataset_found(&ds.dataset_uri, ds.bytes());
                    objects.fetch_add(ds.files.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    let content = ds.content_fingerprint();
                    if skip_unchanged
                        && state.unchanged(&ds.dataset_uri, &content, &ctx.settings_fingerprint)
                    {
                        progress.dataset_done(&ds.dataset_uri, 0, "unchanged");
                        return Found::Skipped {
                            bytes: ds.bytes(),
                            dataset_uri: ds.dataset_uri,
                        };
                    }
                    let files = file_rows(&ctx.run_id, &loc, &ds);
                    let reuse = reuse_evidence
                        && state.evidence_reusable(&ds.dataset_uri, &ctx.settings_fingerprint);
                    let mut o = scan_dataset(&ctx, &reader, &loc, ds, reuse).await;
                    o.dataset.content_fingerprint = Some(content);
                    Found::Scanned(Box::new(o), files)
                }
            })
            .buffer_unordered(cfg.concurrency.max(1));
        // Finished datasets waiting for the next group commit.
        let mut pending: Vec<(Outcome, Vec<DatasetFileRow>)> = Vec::new();
        let mut pending_answers: Vec<LlmAnswerRow> = Vec::new();
        let mut pacing = CommitPacing::new();
        // What this root's listing showed, and whether it showed everything.
        // (State ids: a hash per dataset, not its URI.)
        let mut seen: HashSet<u64> = HashSet::new();
        let mut listing_complete = true;
        while let Some(item) = outcomes.next().await {
            match item {
                Found::Scanned(o, files) => {
                    let o = *o;
                    seen.insert(state.id(&o.dataset.dataset_uri));
                    let status = o.dataset.status;
                    progress.dataset_done(
                        &o.dataset.dataset_uri,
                        o.dataset.bytes_read as u64,
                        status.as_str(),
                    );
                    match status {
                        DatasetStatus::Ok => summary.datasets_scanned += 1,
                        DatasetStatus::Unsupported => summary.datasets_unsupported += 1,
                        _ => {
                            summary.datasets_failed += 1;
                            let line = o.dataset.error.clone().unwrap_or_default();
                            progress.error(&line);
                            summary.errors.push(line);
                        }
                    }
                    summary.columns += o.columns.len() as u64;
                    summary.findings += o.findings.len() as u64;
                    for f in &o.findings {
                        *summary
                            .findings_by_entity
                            .entry(f.entity.clone())
                            .or_default() += 1;
                    }
                    summary.rows_sampled += o.rows_sampled;
                    summary.bytes_read += o.dataset.bytes_read as u64;
                    summary.bytes_total += o.dataset.bytes as u64;
                    pending.push((o, files));
                    if let Some(session) = &llm {
                        pending_answers.extend(answer_rows(&run_id, session.take_new_answers()));
                    }
                }
                Found::Skipped { dataset_uri, bytes } => {
                    summary.datasets_skipped += 1;
                    summary.bytes_unchanged += bytes;
                    summary.bytes_total += bytes;
                    seen.insert(state.id(&dataset_uri));
                }
                Found::Elsewhere => {}
                Found::ListingError(line) => {
                    listing_complete = false;
                    progress.error(&line);
                    summary.errors.push(line);
                }
            }
            if pacing.due(pending.len()) {
                let started = Instant::now();
                let group = std::mem::take(&mut pending);
                let answers = std::mem::take(&mut pending_answers);
                catalog
                    .commit(group_commit(&snapshot, &state, group, answers).await?)
                    .await?;
                pacing.committed(started);
            }
        }
        if !pending.is_empty() {
            catalog
                .commit(group_commit(&snapshot, &state, pending, pending_answers).await?)
                .await?;
        }
        summary.objects_listed += objects.load(std::sync::atomic::Ordering::Relaxed);
        let walk = walk.await.map(|(r, took)| {
            summary.listing_seconds += took.as_secs_f64();
            r
        });
        match walk {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                roots_failed += 1;
                listing_complete = false;
                let line = e.to_string();
                progress.error(&line);
                summary.errors.push(line);
            }
            Err(e) => {
                listing_complete = false;
                summary
                    .errors
                    .push(format!("{}: discovery task failed: {e}", loc.root_uri()))
            }
        }
        let root_uri = loc.root_uri();
        let covers = |uri: &str, rel: &str| scope.covers(uri, rel);
        if listing_complete {
            let vanished = state.vanished(&snapshot, &root_uri, &seen, covers).await?;
            if !vanished.is_empty() {
                summary.datasets_deleted += vanished.len() as u64;
                let mut c = Commit::new();
                c.mark_deleted(vanished, &run_id);
                catalog.commit(c).await?;
            }
        } else if !state
            .vanished(&snapshot, &root_uri, &seen, covers)
            .await?
            .is_empty()
        {
            let note = format!(
                "{root_uri}: the listing was incomplete, so no dataset missing from it is marked deleted"
            );
            progress.note(&note);
            summary.notes.push(note);
        }
    }

    if let Some(session) = &llm {
        let (stats, notes) = session.report();
        for n in &notes {
            progress.note(n);
        }
        summary.llm = Some(stats);
        summary.notes.extend(notes);
    }
    summary.finished_at = Utc::now();
    let budget = memory.stats();
    summary.memory_reserved_peak_bytes = budget.peak_reserved;
    summary.memory_waits = budget.waits;
    let status = if roots_failed == locations.len() && !locations.is_empty() {
        RunStatus::Failed
    } else if summary.exit_code() != 0 {
        RunStatus::Partial
    } else {
        RunStatus::Ok
    };
    summary.status = status.as_str().to_string();
    run.finished_at = Some(summary.finished_at);
    run.status = status;
    run.datasets_scanned = summary.datasets_scanned as i64;
    run.datasets_skipped = summary.datasets_skipped as i64;
    run.datasets_deleted = summary.datasets_deleted as i64;
    run.datasets_failed = summary.datasets_failed as i64;
    run.datasets_unsupported = summary.datasets_unsupported as i64;
    let mut c = Commit::new();
    c.put_run(run);
    catalog.commit(c).await?;
    // Keep nightly commits from piling up small files, old manifests and
    // replaced data files.
    if let Err(e) = catalog.compact(64).await {
        tracing::warn!("catalog compaction skipped: {e}");
    }
    match catalog.vacuum(cfg.vacuum_grace).await {
        Ok(v) => tracing::info!(
            "catalog vacuum: {} manifests, {} data files ({} bytes) deleted",
            v.manifests_deleted,
            v.data_files_deleted,
            v.bytes_deleted
        ),
        Err(e) => tracing::warn!("catalog vacuum skipped: {e}"),
    }
    Ok(summary)
}

/// One commit for a group of finished datasets. Findings keep the run that
/// first saw them: looked up for this group's datasets only, in the catalog
/// as the run found it (so memory grows with the group, not the estate).
async fn group_commit(
    snapshot: &Snapshot,
    state: &incremental::State,
    group: Vec<(Outcome, Vec<DatasetFileRow>)>,
    answers: Vec<LlmAnswerRow>,
) -> Result<Commit, ScanError> {
    let earlier: Vec<String> = group
        .iter()
        .filter(|(o, _)| !o.findings.is_empty() && state.known(&o.dataset.dataset_uri))
        .map(|(o, _)| o.dataset.dataset_uri.clone())
        .collect();
    let mut first_seen: HashMap<(String, String, String), String> = HashMap::new();
    if !earlier.is_empty() {
        for r in snapshot
            .read_rows::<ClassificationRow>(Some(&earlier))
            .await?
        {
            first_seen.insert((r.dataset_uri, r.column_path, r.entity), r.first_seen_run);
        }
    }
    // The group's rows table by table, so that each table's rows become one
    // batch of the commit. A group holds one root's datasets, each listed
    // once; should one still come twice, its last outcome counts (as when
    // every dataset was a replace of its own), instead of the commit
    // refusing two `datasets` rows of one key.
    let mut once = HashSet::new();
    let mut group: Vec<_> = group
        .into_iter()
        .rev()
        .filter(|(o, _)| once.insert(o.dataset.dataset_uri.clone()))
        .collect();
    group.reverse();
    let mut datasets = Vec::with_capacity(group.len());
    let (mut columns, mut findings, mut all_files) = (Vec::new(), Vec::new(), Vec::new());
    let (mut versions, mut months, mut evidence) = (Vec::new(), Vec::new(), Vec::new());
    for (mut o, files) in group {
        for f in &mut o.findings {
            let key = (
                f.dataset_uri.clone(),
                f.column_path.clone(),
                f.entity.clone(),
            );
            if let Some(run) = first_seen.remove(&key) {
                f.first_seen_run = run;
            }
        }
        datasets.push(o.dataset);
        columns.extend(o.columns);
        findings.extend(o.findings);
        all_files.extend(files);
        versions.extend(o.versions);
        months.extend(o.date_months);
        evidence.extend(o.evidence);
    }
    let mut c = Commit::new();
    c.replace_datasets(datasets, columns, findings);
    c.put_dataset_files(all_files);
    c.put_dataset_versions(versions);
    c.put_date_histograms(months);
    c.put_file_evidence(evidence);
    c.put_llm_answers(answers);
    Ok(c)
}

fn tokio_stream_of<T: Send + 'static>(mut rx: mpsc::Receiver<T>) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Everything a dataset task needs from the run.
struct RunContext {
    run_id: String,
    fingerprint: String,
    settings_fingerprint: String,
    rules: Arc<RuleSet>,
    matcher: Arc<tokio::sync::OnceCell<Arc<HyperscanMatcher>>>,
    classifier_cfg: ClassifierConfig,
    /// Built on first use, from the three above.
    classifier: tokio::sync::OnceCell<Arc<Classifier<HyperscanMatcher>>>,
    read: ReadOptions,
    /// The catalog as the run found it: earlier per-file evidence.
    snapshot: Snapshot,
    llm: Option<Arc<LlmSession>>,
}

/// The rules' Hyperscan database, through the compiled-database cache.
fn compile_matcher(rules: &RuleSet) -> Result<HyperscanMatcher, lakewarden_rules::RulesError> {
    let cache = lakewarden_lake::cache_dir();
    HyperscanMatcher::compile_cached(rules, cache.as_deref())
}

impl RunContext {
    /// The run's classifier, compiling the rules database on first use (on
    /// the blocking pool: it takes a few hundred milliseconds).
    async fn classifier(
        &self,
    ) -> Result<Arc<Classifier<HyperscanMatcher>>, lakewarden_rules::RulesError> {
        self.classifier
            .get_or_try_init(|| async {
                let matcher = self
                    .matcher
                    .get_or_try_init(|| async {
                        let rules = self.rules.clone();
                        tokio::task::spawn_blocking(move || compile_matcher(&rules))
                            .await
                            .expect("the rules compile task does not panic")
                            .map(Arc::new)
                    })
                    .await?
                    .clone();
                Ok(Arc::new(Classifier::new(
                    self.rules.clone(),
                    matcher,
                    self.classifier_cfg.clone(),
                )))
            })
            .await
            .cloned()
    }
}

fn catalog_format(f: &Format) -> DatasetFormat {
    match f {
        Format::Parquet => DatasetFormat::Parquet,
        Format::Csv { .. } => DatasetFormat::Csv,
        Format::JsonLines { .. } => DatasetFormat::Jsonl,
        Format::Delta => DatasetFormat::Delta,
        Format::Unsupported { .. } => DatasetFormat::Unknown,
    }
}

async fn scan_dataset(
    ctx: &RunContext,
    reader: &Reader,
    loc: &LakeLocation,
    ds: DatasetRef,
    reuse_evidence: bool,
) -> Outcome {
    let span = tracing::info_span!("dataset", uri = %ds.dataset_uri);
    let _enter = span.enter();
    let mut row = DatasetRow {
        dataset_uri: ds.dataset_uri.clone(),
        root_uri: ds.root_uri.clone(),
        format: catalog_format(&ds.format),
        file_count: ds.files.len() as i64,
        row_count: None,
        rows_skipped: 0,
        bytes: ds.bytes() as i64,
        bytes_read: 0,
        version: None,
        last_modified: ds.last_modified(),
        last_scan_run: ctx.run_id.clone(),
        scanned_at: Utc::now(),
        status: DatasetStatus::Ok,
        error: None,
        notes: None,
        ruleset_fingerprint: ctx.fingerprint.clone(),
        content_fingerprint: None,
        settings_fingerprint: Some(ctx.settings_fingerprint.clone()),
    };
    if let Format::Unsupported { what } = &ds.format {
        row.status = DatasetStatus::Unsupported;
        row.notes = Some(format!("format {what} is not supported yet: not scanned"));
        return Outcome::without_rows(row);
    }
    let classifier = match ctx.classifier().await {
        Ok(c) => c,
        Err(e) => {
            row.status = DatasetStatus::Error;
            row.error = Some(format!("{}: rules: {e}", ds.dataset_uri));
            return Outcome::without_rows(row);
        }
    };
    // A sample of a multi-file Parquet dataset or a Delta table is taken
    // and classified file by file, and each file's evidence kept, so the
    // next scan reads only the files added since (`file_evidence`).
    let file_by_file = !ctx.read.full
        && match ds.format {
            Format::Parquet => ds.kind != DatasetKind::File,
            Format::Delta => true,
            _ => false,
        };
    let earlier = if file_by_file && reuse_evidence {
        match earlier_evidence(ctx, loc, &ds).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("{}: earlier file evidence not read ({e})", ds.dataset_uri);
                EarlierEvidence::default()
            }
        }
    } else {
        EarlierEvidence::default()
    };
    let read_opts = if file_by_file {
        ReadOptions {
            file_by_file: true,
            known_files: Some(Arc::new(earlier.known.clone())),
            ..ctx.read.clone()
        }
    } else {
        ctx.read.clone()
    };
    let (tx, mut rx) = mpsc::channel::<ChunkData>(4);
    let merger = classifier.clone();
    let classify = tokio::task::spawn_blocking(move || {
        let mut dc = classifier.dataset();
        let mut files: Vec<(FileRead, Vec<FileColumn>)> = Vec::new();
        while let Some(chunk) = rx.blocking_recv() {
            match chunk {
                ChunkData::Arrow(b) => dc.observe_batch(&b),
                ChunkData::Flat { columns, .. } => {
                    dc.observe_leaves(columns.into_iter().map(|c| (c.path, c.array)).collect())
                }
                ChunkData::FileEnd(f) => files.push((f, dc.take_file())),
            }
        }
        (dc.finish(), files)
    });
    let read = reader.read(loc, &ds, &read_opts, tx).await;
    let results = classify.await;
    let (mut report, (results, files_read)) = match (read, results) {
        (Ok(report), Ok(results)) => (report, results),
        (Err(e), _) => {
            row.status = DatasetStatus::Error;
            row.error = Some(e.to_string());
            return Outcome::without_rows(row);
        }
        (Ok(_), Err(e)) => {
            row.status = DatasetStatus::Error;
            row.error = Some(format!(
                "{}: internal error while classifying ({}); please report it",
                ds.dataset_uri,
                if e.is_panic() { "panic" } else { "cancelled" }
            ));
            return Outcome::without_rows(row);
        }
    };
    // Read file by file: the dataset's evidence is that of every live file,
    // those read now and those an earlier scan read (kept, merged in file
    // order with the new ones).
    let mut evidence = Vec::new();
    let mut rows_sampled_total = report.rows_sampled;
    let results = if report.file_by_file {
        let merged = merge_file_evidence(ctx, &ds, &mut report, earlier, files_read);
        rows_sampled_total = merged.rows_sampled;
        evidence = merged.rows;
        merger.finish_files(merged.files.iter().map(Vec::as_slice))
    } else {
        results
    };
    row.row_count = Some(report.row_count as i64);
    row.rows_skipped = report.rows_skipped as i64;
    row.bytes_read = report.bytes_read as i64;
    row.bytes = report.bytes_total as i64;
    row.file_count = report.file_count as i64;
    row.version = report.version;
    let mut notes = report.notes.clone();
    if !ctx.read.full && matches!(ds.format, Format::Csv { .. } | Format::JsonLines { .. }) {
        notes.push("text formats are read whole; only the sampled rows are classified".into());
    }
    if !notes.is_empty() {
        row.notes = Some(notes.join("; "));
    }
    let mut results = results;
    if let Some(session) = &ctx.llm {
        llm_review(session, &ctx.rules, &mut results).await;
    }
    let date_months = date_histogram_rows(
        ctx,
        &ds.dataset_uri,
        report.row_count,
        rows_sampled_total,
        &results,
    );
    let (columns, findings) = rows_of(ctx, &ds.dataset_uri, results);
    let versions = report
        .delta_versions
        .iter()
        .map(|v| DatasetVersionRow {
            dataset_uri: ds.dataset_uri.clone(),
            version: v.version,
            committed_at: v.committed_at,
            operation: v.operation.clone(),
            scanned: Some(v.version) == report.version,
            log_expires_at: v.log_expires_at,
            files_vacuumable_at: v.files_vacuumable_at,
            run_id: ctx.run_id.clone(),
        })
        .collect();
    Outcome {
        dataset: row,
        columns,
        findings,
        versions,
        date_months,
        evidence,
        rows_sampled: report.rows_sampled,
    }
}

/// What an earlier scan kept of a dataset's files: the files it read (as
/// the reader names them) and, per file, its evidence rows and partials.
#[derive(Default)]
struct EarlierEvidence {
    known: KnownFiles,
    /// Object path → its rows of `file_evidence`, and their partials.
    rows: HashMap<String, (Vec<FileEvidenceRow>, Vec<FileColumn>)>,
}

/// The `file_evidence` rows of one dataset, keyed by the listed objects
/// they describe (an object no longer listed has nothing to reuse).
async fn earlier_evidence(
    ctx: &RunContext,
    loc: &LakeLocation,
    ds: &DatasetRef,
) -> Result<EarlierEvidence, lakewarden_catalog::CatalogError> {
    let rows = ctx
        .snapshot
        .read_rows::<FileEvidenceRow>(Some(std::slice::from_ref(&ds.dataset_uri)))
        .await?;
    let mut by_uri: HashMap<String, Vec<FileEvidenceRow>> = HashMap::new();
    for r in rows {
        by_uri.entry(r.object_uri.clone()).or_default().push(r);
    }
    let mut out = EarlierEvidence::default();
    for f in &ds.files {
        let Some(rows) = by_uri.remove(&loc.uri_of(&f.path)) else {
            continue;
        };
        // A partial this version cannot read: the file is read again.
        let Ok(columns) = rows
            .iter()
            .map(|r| {
                Ok(FileColumn {
                    column_path: r.column_path.clone(),
                    data_type: r.data_type.clone(),
                    partial: ColumnPartial::from_json(&r.evidence)?,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
        else {
            continue;
        };
        let first = &rows[0];
        out.known.0.insert(
            f.path.to_string(),
            (first.size.max(0) as u64, first.e_tag.clone()),
        );
        out.rows.insert(f.path.to_string(), (rows, columns));
    }
    Ok(out)
}

/// Every live file's evidence, in file order, and the rows to keep.
struct MergedEvidence {
    files: Vec<Vec<FileColumn>>,
    rows: Vec<FileEvidenceRow>,
    /// Rows classified, over every file (read now or earlier).
    rows_sampled: u64,
}

/// Join the files read now with the live files an earlier scan read
/// (`report.files_kept`), adding the kept files' rows to the report's
/// counts and a note saying what was reused.
fn merge_file_evidence(
    ctx: &RunContext,
    ds: &DatasetRef,
    report: &mut lakewarden_lake::ReadReport,
    mut earlier: EarlierEvidence,
    read_now: Vec<(FileRead, Vec<FileColumn>)>,
) -> MergedEvidence {
    // (object path, evidence, rows to keep), sorted by path below.
    let mut all: Vec<(String, Vec<FileColumn>, Vec<FileEvidenceRow>)> = Vec::new();
    let mut rows_sampled = report.rows_sampled;
    let mut kept_files = 0u64;
    for path in &report.files_kept {
        let Some((rows, columns)) = earlier.rows.remove(path) else {
            continue;
        };
        report.row_count += rows[0].rows.max(0) as u64;
        rows_sampled += rows[0].rows_sampled.max(0) as u64;
        kept_files += 1;
        all.push((path.clone(), columns, rows));
    }
    for (f, columns) in read_now {
        let rows = columns
            .iter()
            .map(|c| FileEvidenceRow {
                dataset_uri: ds.dataset_uri.clone(),
                object_uri: f.object_uri.clone(),
                size: f.size as i64,
                e_tag: f.e_tag.clone(),
                rows: f.rows as i64,
                rows_sampled: f.rows_sampled as i64,
                column_path: c.column_path.clone(),
                data_type: c.data_type.clone(),
                evidence: c.partial.to_json(),
                run_id: ctx.run_id.clone(),
            })
            .collect();
        all.push((f.path, columns, rows));
    }
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if kept_files > 0 {
        report.notes.push(format!(
            "{} of {} files read; the evidence of the other {kept_files} (unchanged since an earlier scan) was reused",
            all.len() as u64 - kept_files,
            all.len()
        ));
    }
    let mut files = Vec::with_capacity(all.len());
    let mut rows = Vec::new();
    for (_, f, r) in all {
        files.push(f);
        rows.extend(r);
    }
    MergedEvidence {
        files,
        rows,
        rows_sampled,
    }
}

/// Neighbouring column names a prompt shows: the nearest few on each side.
const LLM_NEIGHBOURS: usize = 6;

/// Ask the model about the dataset's escalated columns (the policy picks
/// them; the session keeps to the budget and the cache) and apply its say.
async fn llm_review(session: &LlmSession, rules: &RuleSet, results: &mut [ColumnResult]) {
    let names: Vec<String> = results.iter().map(|r| r.column_path.clone()).collect();
    let mut facts = Vec::new();
    for (i, r) in results.iter_mut().enumerate() {
        let Some(mut f) = r.llm_facts.take() else {
            continue;
        };
        let mut near: Vec<usize> = (0..names.len()).filter(|&j| j != i).collect();
        near.sort_by_key(|&j| j.abs_diff(i));
        f.neighbours = near
            .into_iter()
            .take(LLM_NEIGHBOURS)
            .map(|j| names[j].clone())
            .collect();
        facts.push((i, f));
    }
    let reviews = futures::future::join_all(
        facts
            .iter()
            .map(|(i, f)| async move { (*i, session.review(f).await) }),
    )
    .await;
    for (i, review) in reviews {
        if let Some(review) = review {
            lakewarden_classify::score::apply_llm(rules, &mut results[i], &review);
        }
    }
}

/// Date columns' sampled values per month, scaled to the dataset's rows.
fn date_histogram_rows(
    ctx: &RunContext,
    uri: &str,
    row_count: u64,
    rows_sampled: u64,
    results: &[ColumnResult],
) -> Vec<DateHistogramRow> {
    use chrono::TimeZone;
    let scale = row_count as f64 / rows_sampled.max(1) as f64;
    let mut rows = Vec::new();
    for r in results {
        for &(m, n) in &r.date_months {
            let (year, month) = (m.div_euclid(12), m.rem_euclid(12) as u32 + 1);
            let Some(start) = Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single() else {
                continue;
            };
            rows.push(DateHistogramRow {
                dataset_uri: uri.to_string(),
                column_path: r.column_path.clone(),
                month: start,
                sampled_values: n as i64,
                estimated_rows: (n as f64 * scale).round() as i64,
                run_id: ctx.run_id.clone(),
            });
        }
    }
    rows
}

/// The objects a dataset's listing showed, as `dataset_files` rows.
fn file_rows(run_id: &str, loc: &LakeLocation, ds: &DatasetRef) -> Vec<DatasetFileRow> {
    ds.files
        .iter()
        .map(|f| DatasetFileRow {
            dataset_uri: ds.dataset_uri.clone(),
            object_uri: loc.uri_of(&f.path),
            size: f.size as i64,
            e_tag: f.e_tag.clone(),
            last_modified: Some(f.last_modified),
            run_id: run_id.to_string(),
        })
        .collect()
}

fn cached_answer(r: LlmAnswerRow) -> CachedAnswer {
    CachedAnswer {
        identity: CacheIdentity {
            column_fingerprint: r.column_fingerprint,
            sample_fingerprint: r.sample_fingerprint,
            model: r.model,
            prompt_version: r.prompt_version.max(0) as u32,
            prompt_hash: r.prompt_hash,
        },
        answer: Answer {
            entity: r.entity,
            confidence: r.confidence,
            reason: r.reason,
        },
        prompt_tokens: r.prompt_tokens.max(0) as u64,
        completion_tokens: r.completion_tokens.max(0) as u64,
        column_path: r.column_path,
    }
}

fn answer_rows(run_id: &str, answers: Vec<CachedAnswer>) -> Vec<LlmAnswerRow> {
    answers
        .into_iter()
        .map(|a| LlmAnswerRow {
            cache_key: a.identity.cache_key(),
            column_fingerprint: a.identity.column_fingerprint,
            sample_fingerprint: a.identity.sample_fingerprint,
            model: a.identity.model,
            prompt_version: a.identity.prompt_version as i64,
            prompt_hash: a.identity.prompt_hash,
            entity: a.answer.entity,
            confidence: a.answer.confidence.clamp(0.0, 1.0),
            reason: a.answer.reason,
            prompt_tokens: a.prompt_tokens as i64,
            completion_tokens: a.completion_tokens as i64,
            column_path: a.column_path,
            run_id: run_id.to_string(),
            answered_at: Utc::now(),
        })
        .collect()
}

fn catalog_method(m: Method) -> CatalogMethod {
    match m {
        Method::Pattern => CatalogMethod::Pattern,
        Method::Validator => CatalogMethod::Validator,
        Method::Dictionary => CatalogMethod::Dictionary,
        Method::Type => CatalogMethod::Type,
        Method::Llm => CatalogMethod::Llm,
    }
}

fn rows_of(
    ctx: &RunContext,
    uri: &str,
    results: Vec<ColumnResult>,
) -> (Vec<ColumnRow>, Vec<ClassificationRow>) {
    let mut columns = Vec::with_capacity(results.len());
    let mut findings = Vec::new();
    for r in results {
        for f in &r.findings {
            findings.push(ClassificationRow {
                dataset_uri: uri.to_string(),
                column_path: r.column_path.clone(),
                entity: f.entity.clone(),
                sensitivity: f.sensitivity.parse().unwrap_or(Sensitivity::Medium),
                confidence: f.confidence.clamp(0.0, 1.0),
                method: catalog_method(f.method),
                sampled_values: f.sampled_values as i64,
                matched_values: f.matched_values as i64,
                validated_values: f.validated_values as i64,
                evidence: f.evidence.join(" | "),
                explanation: f.explanation.to_string(),
                run_id: ctx.run_id.clone(),
                // An earlier run's, if it saw the finding (`group_commit`).
                first_seen_run: ctx.run_id.clone(),
                last_seen_run: ctx.run_id.clone(),
                ruleset_fingerprint: ctx.fingerprint.clone(),
            });
        }
        columns.push(ColumnRow {
            dataset_uri: uri.to_string(),
            column_path: r.column_path,
            data_type: r.data_type,
            null_fraction: r.null_fraction.clamp(0.0, 1.0),
            values_sampled: r.values_sampled as i64,
            run_id: ctx.run_id.clone(),
            considered: serde_json::to_string(&r.considered).ok(),
        });
    }
    (columns, findings)
}
