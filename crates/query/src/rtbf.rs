//! Right to be forgotten: everything that must change for one data subject.
//!
//! 1. **Subjects** (`KIND=VALUE`) are normalised by the kind's normaliser
//!    (`rules/subjects.toml`: email case, phone → E.164, names NFC with case
//!    and diacritics folded, ids trimmed).
//! 2. **Where**: only candidate columns are read — columns the catalog
//!    classified as the kind's entity, and columns whose name matches the
//!    kind's patterns — of datasets whose last scan succeeded (column
//!    pruning, always). Values are normalised and compared row by row.
//!    **Predicate pushdown** ([`pushdown_filter`]) where the comparison is
//!    exact: when every subject that applies to a dataset's columns is of a
//!    kind with the `id` normaliser (trim, then exact; an integer column
//!    compares numbers) and every such column is a top-level field, the
//!    identifiers go to the reader as a [`IdFilter`], which skips Parquet row
//!    groups and Delta files whose statistics rule them out. Email, phone and
//!    name matching fold case, digits or diacritics first, so statistics
//!    cannot bound them: those datasets are read whole (their candidate
//!    columns). The report says, per dataset, whether the predicate was
//!    pushed down and what was read of what (`read.datasets`).
//! 3. **Expand** (`--expand`, one hop): in the subject's own rows, values of
//!    other candidate columns (a customer id beside the email, a second phone)
//!    become derived subjects and are searched for too; they are reported
//!    masked, with a keyed hash, never raw.
//! 4. **Downstream**: the transitive closure over `lineage_edges` from every
//!    dataset holding the subject, each dataset marked when every path to it
//!    masked the data on the way (kept in the list: an auditor decides), and
//!    flagged when it lies outside the scanned lake.
//! 5. **Models** trained on any affected dataset, **readers** of any affected
//!    dataset (successful reads; HEAD requests and denied attempts apart), and
//!    the **retention** policies that apply.
//!
//! 6. **Delta time travel**: the older versions of Delta tables still in
//!    their log (`dataset_versions`) are searched the same way (the newest
//!    [`TIME_TRAVEL_VERSIONS`] per table), so a subject deleted from the
//!    latest version but still readable with `VERSION AS OF` is reported,
//!    with the dates its log entry may be cleaned and its files vacuumed.
//!    The tables' commits whose recorded operation parameters (a DELETE
//!    predicate) spell an identifier are listed by version and operation —
//!    never the parameter text.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use chrono::{DateTime, Utc};
use datafusion::object_store::ObjectStore;
use datafusion::prelude::SessionContext;
use lakewarden_catalog::{
    ClassificationRow, ColumnRow, DatasetFormat, DatasetRow, DatasetStatus, DatasetVersionRow,
    Snapshot,
};
use lakewarden_lake::{
    discover, open_store, ChunkData, IdColumn, IdFilter, LakeLocation, Pushdown, ReadOptions,
    ReadReport, Reader,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::retention::{glob_match, Policy, RetentionPolicies};
use crate::QueryError;

/// Version of the JSON report (`lakewarden rtbf --format json`).
/// 2: `time_travel` and `log_mentions`.
/// 3: `read.datasets` (per dataset read: pushdown, files / row groups /
///    bytes read of the total).
pub const RTBF_SCHEMA_VERSION: u32 = 3;

/// Older versions of one Delta table searched per request (newest first).
pub const TIME_TRAVEL_VERSIONS: usize = 10;

static BUILTIN_SUBJECTS: &str = include_str!("../../../rules/subjects.toml");

/// How values of a kind are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalizer {
    Email,
    Phone,
    Name,
    Id,
}

impl Normalizer {
    fn name(self) -> &'static str {
        match self {
            Normalizer::Email => "email",
            Normalizer::Phone => "phone",
            Normalizer::Name => "name",
            Normalizer::Id => "id",
        }
    }

    /// True when `v` certainly does not normalise to `target` (a cheap test
    /// before an expensive normaliser: E.164 keeps a number's last digits, so
    /// a value whose last six digits differ cannot be the same phone).
    fn cannot_match(self, v: &str, target: &str) -> bool {
        match self {
            Normalizer::Phone => {
                let digits: Vec<u8> = v.bytes().filter(u8::is_ascii_digit).collect();
                let want: Vec<u8> = target.bytes().filter(u8::is_ascii_digit).collect();
                digits.len() < 6 || !want.ends_with(&digits[digits.len() - 6..])
            }
            _ => false,
        }
    }

    /// The comparable form of `v`, or `None` when it cannot hold an identifier
    /// of this kind (an unparsable phone number).
    pub fn apply(self, v: &str) -> Option<String> {
        let out = match self {
            Normalizer::Email => lakewarden_rules::normalize_email(v),
            Normalizer::Phone => lakewarden_rules::normalize_phone(v, None)?,
            Normalizer::Name => fold_name(v),
            Normalizer::Id => v.trim().to_string(),
        };
        (!out.is_empty()).then_some(out)
    }
}

/// NFC, diacritics removed, lower-cased, whitespace collapsed.
fn fold_name(v: &str) -> String {
    let stripped: String = v.nfd().filter(|c| !is_combining_mark(*c)).collect();
    let lowered: String = stripped.nfc().collect::<String>().to_lowercase();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One kind of subject identifier, from `rules/subjects.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct SubjectKind {
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub columns: Vec<String>,
    pub normalizer: Normalizer,
}

#[derive(Debug, Clone, Deserialize)]
struct SubjectsFile {
    kinds: BTreeMap<String, SubjectKind>,
}

/// The subject kinds known to `rtbf`.
#[derive(Debug, Clone)]
pub struct SubjectKinds {
    kinds: BTreeMap<String, SubjectKind>,
}

impl SubjectKinds {
    pub fn builtin() -> SubjectKinds {
        let f: SubjectsFile =
            toml::from_str(BUILTIN_SUBJECTS).expect("rules/subjects.toml is valid (tested)");
        SubjectKinds { kinds: f.kinds }
    }

    /// The kind of that name; an unknown name is a column name compared exactly.
    pub fn get(&self, name: &str) -> SubjectKind {
        self.kinds
            .get(name)
            .cloned()
            .unwrap_or_else(|| SubjectKind {
                entity: String::new(),
                columns: vec![name.to_string()],
                normalizer: Normalizer::Id,
            })
    }

    fn iter(&self) -> impl Iterator<Item = (&String, &SubjectKind)> {
        self.kinds.iter()
    }
}

/// A subject identifier as requested (`email=…`).
#[derive(Debug, Clone)]
pub struct SubjectArg {
    pub kind: String,
    pub value: String,
}

impl SubjectArg {
    /// Parses `KIND=VALUE`.
    pub fn parse(s: &str) -> Result<SubjectArg, String> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| "a subject is KIND=VALUE, e.g. email=jane@example.com".to_string())?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() || v.is_empty() {
            return Err("a subject is KIND=VALUE with both parts non-empty".into());
        }
        Ok(SubjectArg {
            kind: k.to_ascii_lowercase(),
            value: v.to_string(),
        })
    }
}

/// Options of one `rtbf` request.
#[derive(Debug, Clone, Default)]
pub struct RtbfOptions {
    pub expand: bool,
    /// Key of the hash shown for derived identifiers (`LAKEWARDEN_RTBF_KEY`).
    /// Without one, a random per-request key is used: hashes then only
    /// correlate within one report.
    pub hash_key: Option<String>,
    /// Read without predicate pushdown (`--no-pushdown`): the baseline the
    /// pushdown is checked and measured against.
    pub no_pushdown: bool,
}

/// The report. Field order and names are the documented JSON contract.
#[derive(Debug, Clone, Serialize)]
pub struct RtbfReport {
    pub schema_version: u32,
    pub generated_at: DateTime<Utc>,
    pub catalog_generation: u64,
    /// As the requester supplied them.
    pub subjects: Vec<SubjectOut>,
    /// Identifiers found in the subject's rows (`--expand`), masked.
    pub derived_identifiers: Vec<DerivedOut>,
    /// Every (dataset, column) holding a subject, with rows.
    pub occurrences: Vec<Occurrence>,
    /// Per dataset holding a subject: rows holding any subject.
    pub datasets: Vec<DatasetHit>,
    pub downstream: Vec<Downstream>,
    pub models: Vec<ModelHit>,
    pub readers: Vec<Reader_>,
    pub retention: Vec<RetentionHit>,
    /// Older Delta versions, still readable by time travel, holding a subject.
    pub time_travel: Vec<TimeTravelHit>,
    /// Delta commits whose recorded operation parameters spell an identifier.
    pub log_mentions: Vec<LogMention>,
    pub read: ReadStats,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeTravelHit {
    pub dataset_uri: String,
    pub version: i64,
    pub committed_at: Option<DateTime<Utc>>,
    /// Rows of that version holding any subject.
    pub rows: u64,
    /// Rows of the latest (scanned) version holding any subject: 0 when the
    /// subject was deleted but lives on in this version.
    pub rows_in_latest: u64,
    /// After this, a checkpoint may clean the version's log entry.
    pub log_expires_at: Option<DateTime<Utc>>,
    /// After this, VACUUM may delete files the version reads.
    pub files_vacuumable_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogMention {
    pub dataset_uri: String,
    pub version: i64,
    /// `commitInfo.operation` (DELETE, MERGE, …); the parameters are not shown.
    pub operation: Option<String>,
    /// Which subject it spells (`email`, …, or `derived:N`).
    pub subject: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubjectOut {
    pub kind: String,
    pub value: String,
    /// Whether the value could be normalised (an unparsable phone cannot match).
    pub searchable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DerivedOut {
    /// `derived:1`, `derived:2`, … — how occurrences refer to it.
    pub id: String,
    pub kind: String,
    pub masked: String,
    pub keyed_hash: String,
    /// Where it was found beside the subject.
    pub found_in: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Occurrence {
    pub dataset_uri: String,
    pub column_path: String,
    /// `email`, … for a requested subject; `derived:N` for a derived one.
    pub subject: String,
    pub derived: bool,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetHit {
    pub dataset_uri: String,
    pub format: String,
    /// Rows holding any (requested or derived) subject.
    pub rows: u64,
    pub row_count: Option<i64>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Downstream {
    pub dataset_uri: String,
    /// The affected dataset(s) it was derived from, nearest first.
    pub from: Vec<String>,
    pub depth: u32,
    /// Every lineage path to it masked the data on the way (column lineage).
    pub masked_on_every_path: bool,
    pub in_catalog: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelHit {
    pub model_uri: String,
    pub model_name: Option<String>,
    pub model_version: Option<String>,
    pub trained_on: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reader_ {
    pub principal: String,
    pub principal_detail: Option<String>,
    /// `read` (successful reads), `head` (metadata only) or `denied`.
    pub access: String,
    pub dataset_uri: String,
    pub events: i64,
    pub first_access: DateTime<Utc>,
    pub last_access: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionHit {
    pub dataset_uri: String,
    pub policy: String,
    pub max_age_days: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadStats {
    pub datasets_read: u64,
    pub columns_read: u64,
    pub bytes_read: u64,
    /// Total size of the datasets in the catalog (what a naive search reads).
    pub lake_bytes: u64,
    /// Every dataset (or older Delta version) read, in reading order.
    pub datasets: Vec<DatasetRead>,
}

/// What one read of a dataset fetched, of what it holds.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRead {
    pub dataset_uri: String,
    /// The older Delta version read (time travel); `None`: the scanned one.
    pub version: Option<i64>,
    pub format: String,
    /// Candidate columns asked for.
    pub columns: Vec<String>,
    /// `pushed_down` (identifiers pushed into the read), `not_pushed_down`
    /// (see `pushdown_reason`) or `disabled` (`--no-pushdown`).
    pub pushdown: String,
    /// Why the predicate was not pushed down.
    pub pushdown_reason: Option<String>,
    /// The identifiers were compared on these columns by the reader.
    pub pushdown_columns: Vec<String>,
    pub files_read: u64,
    pub files_total: u64,
    /// Parquet and Delta: row groups read and skipped (Delta: of the files
    /// opened; files skipped by the log's statistics are not opened).
    pub row_groups_read: Option<u64>,
    pub row_groups_skipped: Option<u64>,
    /// Rows handed to the comparison (a pushed-down read leaves out rows
    /// that cannot match: Parquet's row filter, Delta's scan filter).
    pub rows_read: u64,
    /// Footers and column chunks fetched (text formats: whole files).
    pub bytes_read: u64,
    pub bytes_total: u64,
}

/// A subject being searched: requested or derived.
#[derive(Debug, Clone)]
struct Needle {
    label: String,
    derived: bool,
    normalizer: Normalizer,
    normalized: String,
}

/// Answers a deletion request over the catalog `snapshot`, with `ctx` a
/// session over it ([`crate::open_session`]).
pub async fn rtbf(
    snapshot: &Snapshot,
    ctx: &SessionContext,
    subjects: &[SubjectArg],
    retention: &RetentionPolicies,
    opts: &RtbfOptions,
) -> Result<RtbfReport, QueryError> {
    let kinds = SubjectKinds::builtin();
    let datasets: Vec<DatasetRow> = snapshot.read_rows(None).await?;
    let columns: Vec<ColumnRow> = snapshot.read_rows(None).await?;
    let findings: Vec<ClassificationRow> = snapshot.read_rows(None).await?;
    let ok: BTreeMap<&str, &DatasetRow> = datasets
        .iter()
        .filter(|d| d.status == DatasetStatus::Ok)
        .map(|d| (d.dataset_uri.as_str(), d))
        .collect();

    let mut report = RtbfReport {
        schema_version: RTBF_SCHEMA_VERSION,
        generated_at: Utc::now(),
        catalog_generation: snapshot.generation(),
        subjects: Vec::new(),
        derived_identifiers: Vec::new(),
        occurrences: Vec::new(),
        datasets: Vec::new(),
        downstream: Vec::new(),
        models: Vec::new(),
        readers: Vec::new(),
        retention: Vec::new(),
        time_travel: Vec::new(),
        log_mentions: Vec::new(),
        read: ReadStats {
            lake_bytes: datasets.iter().map(|d| d.bytes.max(0) as u64).sum(),
            ..Default::default()
        },
        notes: Vec::new(),
    };

    // Candidate columns of every kind: (dataset, column_path) → kinds.
    let mut candidates: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let all_kinds: Vec<(String, SubjectKind)> = {
        let mut v: Vec<(String, SubjectKind)> =
            kinds.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
        for s in subjects {
            if !v.iter().any(|(k, _)| *k == s.kind) {
                v.push((s.kind.clone(), kinds.get(&s.kind)));
            }
        }
        v
    };
    for (name, kind) in &all_kinds {
        for f in &findings {
            if !kind.entity.is_empty()
                && f.entity == kind.entity
                && ok.contains_key(f.dataset_uri.as_str())
            {
                candidates
                    .entry((f.dataset_uri.clone(), f.column_path.clone()))
                    .or_default()
                    .insert(name.clone());
            }
        }
        for c in &columns {
            if ok.contains_key(c.dataset_uri.as_str())
                && kind.columns.iter().any(|p| name_matches(p, &c.column_path))
            {
                candidates
                    .entry((c.dataset_uri.clone(), c.column_path.clone()))
                    .or_default()
                    .insert(name.clone());
            }
        }
    }

    let mut needles = Vec::new();
    // What log commits are checked for: as supplied and as normalised.
    let mut spellings: Vec<(String, String)> = Vec::new();
    for s in subjects {
        let kind = kinds.get(&s.kind);
        let normalized = kind.normalizer.apply(&s.value);
        report.subjects.push(SubjectOut {
            kind: s.kind.clone(),
            value: s.value.clone(),
            searchable: normalized.is_some(),
        });
        match normalized {
            Some(n) => {
                spellings.push((s.kind.clone(), s.value.trim().to_lowercase()));
                spellings.push((s.kind.clone(), n.to_lowercase()));
                needles.push((
                    s.kind.clone(),
                    Needle {
                        label: s.kind.clone(),
                        derived: false,
                        normalizer: kind.normalizer,
                        normalized: n,
                    },
                ))
            }
            None => report.notes.push(format!(
                "{}: the value cannot be read as a {} identifier; not searched",
                s.kind, s.kind
            )),
        }
    }

    let lake = Searchable {
        ok: &ok,
        candidates: &candidates,
        no_pushdown: opts.no_pushdown,
    };
    // Pass 1: requested subjects. Pass 2 (--expand): derived ones.
    let mut hits = search(
        &lake,
        &needles,
        opts.expand,
        &kinds,
        &mut report.read,
        &mut report.notes,
    )
    .await?;
    let mut derived_by_kind: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (kind, value, found_in) in hits.derived.drain(..) {
        derived_by_kind
            .entry((kind, value))
            .or_default()
            .insert(found_in);
    }
    if opts.expand {
        let key = opts
            .hash_key
            .clone()
            .unwrap_or_else(|| uuid_like_key(snapshot.generation()));
        let mut derived_needles = Vec::new();
        for (i, ((kind_name, normalized), found_in)) in derived_by_kind.iter().enumerate() {
            // A requested identifier found again is not "derived".
            if needles
                .iter()
                .any(|(k, n)| *k == *kind_name && n.normalized == *normalized)
            {
                continue;
            }
            let kind = kinds.get(kind_name);
            let id = format!("derived:{}", i + 1);
            report.derived_identifiers.push(DerivedOut {
                id: id.clone(),
                kind: kind_name.clone(),
                masked: lakewarden_rules::mask(
                    if kind.entity.is_empty() {
                        "ID"
                    } else {
                        &kind.entity
                    },
                    normalized,
                ),
                keyed_hash: keyed_hash(&key, normalized),
                found_in: found_in.iter().cloned().collect(),
            });
            derived_needles.push((
                kind_name.clone(),
                Needle {
                    label: id,
                    derived: true,
                    normalizer: kind.normalizer,
                    normalized: normalized.clone(),
                },
            ));
        }
        for (_, n) in &derived_needles {
            spellings.push((n.label.clone(), n.normalized.to_lowercase()));
        }
        if !derived_needles.is_empty() {
            needles.extend(derived_needles.iter().cloned());
            let second = search(
                &lake,
                &derived_needles,
                false,
                &kinds,
                &mut report.read,
                &mut report.notes,
            )
            .await?;
            hits.merge(second);
        }
    }
    report.occurrences = hits.occurrences();
    for (uri, rows) in &hits.dataset_rows {
        let d = ok.get(uri.as_str());
        report.datasets.push(DatasetHit {
            dataset_uri: uri.clone(),
            format: d.map(|d| d.format.to_string()).unwrap_or_default(),
            rows: *rows,
            row_count: d.and_then(|d| d.row_count),
            version: d.and_then(|d| d.version),
        });
    }
    let affected: BTreeSet<String> = hits.dataset_rows.keys().cloned().collect();

    report.downstream = downstream(ctx, &affected).await?;
    let mut all: BTreeSet<String> = affected.clone();
    all.extend(report.downstream.iter().map(|d| d.dataset_uri.clone()));
    report.models = models(ctx, &all).await?;
    report.readers = readers(ctx, &all).await?;
    report.retention = retention_hits(retention, &all, &findings);
    let versions: Vec<DatasetVersionRow> = snapshot.read_rows(None).await?;
    report.time_travel = time_travel(
        &lake,
        &needles,
        &versions,
        &hits.dataset_rows,
        &mut report.read,
        &mut report.notes,
    )
    .await;
    report.log_mentions = log_mentions(&ok, &versions, &spellings).await;
    if affected.is_empty() && report.time_travel.is_empty() {
        report
            .notes
            .push("no dataset in the catalog holds the subject".into());
    }
    Ok(report)
}

/// What a search may read: the datasets whose last scan succeeded, their
/// candidate columns (dataset, column_path) → kinds, and whether reads may
/// push identifiers down.
struct Searchable<'a> {
    ok: &'a BTreeMap<&'a str, &'a DatasetRow>,
    candidates: &'a BTreeMap<(String, String), BTreeSet<String>>,
    no_pushdown: bool,
}

/// Searches the older versions of every Delta table with candidate columns
/// (newest first, at most [`TIME_TRAVEL_VERSIONS`] per table).
async fn time_travel(
    lake: &Searchable<'_>,
    needles: &[(String, Needle)],
    versions: &[DatasetVersionRow],
    latest_rows: &BTreeMap<String, u64>,
    stats: &mut ReadStats,
    notes: &mut Vec<String>,
) -> Vec<TimeTravelHit> {
    let mut out = Vec::new();
    for (uri, cols) in candidate_columns(lake.candidates, needles) {
        let Some(ds) = lake
            .ok
            .get(uri)
            .filter(|d| d.format == DatasetFormat::Delta)
        else {
            continue;
        };
        let mut older: Vec<&DatasetVersionRow> = versions
            .iter()
            .filter(|v| v.dataset_uri == uri && !v.scanned && Some(v.version) < ds.version)
            .collect();
        older.sort_by_key(|v| std::cmp::Reverse(v.version));
        if older.len() > TIME_TRAVEL_VERSIONS {
            notes.push(format!(
                "{uri}: {} older versions are reachable; the newest {TIME_TRAVEL_VERSIONS} were searched",
                older.len()
            ));
            older.truncate(TIME_TRAVEL_VERSIONS);
        }
        for v in older {
            let read =
                match read_dataset(ds, &cols, needles, Some(v.version), lake.no_pushdown, stats)
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        notes.push(format!("version {} not searched: {e}", v.version));
                        continue;
                    }
                };
            let m = match_rows(&read, &cols, needles);
            if m.rows_any.is_empty() {
                continue;
            }
            out.push(TimeTravelHit {
                dataset_uri: uri.to_string(),
                version: v.version,
                committed_at: v.committed_at,
                rows: m.rows_any.len() as u64,
                rows_in_latest: latest_rows.get(uri).copied().unwrap_or(0),
                log_expires_at: v.log_expires_at,
                files_vacuumable_at: v.files_vacuumable_at,
            });
        }
    }
    out
}

/// A Delta table's store and location (`None` in a map: it cannot be opened).
type TableStore = (Arc<dyn ObjectStore>, LakeLocation);

/// The commits of the catalog's Delta tables whose `operationParameters`
/// spell a subject (case-insensitively, as supplied or normalised). Only the
/// version and operation are reported.
async fn log_mentions(
    ok: &BTreeMap<&str, &DatasetRow>,
    versions: &[DatasetVersionRow],
    spellings: &[(String, String)],
) -> Vec<LogMention> {
    let spellings: Vec<&(String, String)> =
        spellings.iter().filter(|(_, s)| s.len() >= 4).collect();
    let mut out = Vec::new();
    if spellings.is_empty() {
        return out;
    }
    // One store per table, not per commit file.
    let mut stores: BTreeMap<&str, Option<TableStore>> = BTreeMap::new();
    for v in versions {
        if ok
            .get(v.dataset_uri.as_str())
            .is_none_or(|d| d.format != DatasetFormat::Delta)
        {
            continue;
        }
        let table = stores.entry(v.dataset_uri.as_str()).or_insert_with(|| {
            let loc = LakeLocation::parse(&v.dataset_uri).ok()?;
            Some((open_store(&loc).ok()?, loc))
        });
        let Some((store, loc)) = table else {
            continue;
        };
        let path = loc
            .prefix
            .clone()
            .join("_delta_log")
            .join(format!("{:020}.json", v.version));
        let Some(params) = lakewarden_lake::delta_commit_info(store.as_ref(), &path)
            .await
            .and_then(|ci| ci.get("operationParameters").cloned())
        else {
            continue;
        };
        let text = params.to_string().to_lowercase();
        let mut said: BTreeSet<&str> = BTreeSet::new();
        for (subject, spelled) in &spellings {
            if text.contains(spelled.as_str()) && said.insert(subject.as_str()) {
                out.push(LogMention {
                    dataset_uri: v.dataset_uri.clone(),
                    version: v.version,
                    operation: v.operation.clone(),
                    subject: subject.clone(),
                });
            }
        }
    }
    out
}

fn uuid_like_key(generation: u64) -> String {
    let mut h = Sha256::new();
    h.update(generation.to_le_bytes());
    h.update(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .to_le_bytes(),
    );
    h.update(std::process::id().to_le_bytes());
    hex::encode(h.finalize())
}

/// HMAC-SHA-256(key, value), hex, first 16 bytes.
fn keyed_hash(key: &str, value: &str) -> String {
    const B: usize = 64;
    let mut k = key.as_bytes().to_vec();
    if k.len() > B {
        k = Sha256::digest(&k).to_vec();
    }
    k.resize(B, 0);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(value.as_bytes())
        .finalize();
    let outer = Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize();
    hex::encode(&outer[..16])
}

/// `pattern` (with `*`) against the whole path or its last segment, ignoring case.
fn name_matches(pattern: &str, column_path: &str) -> bool {
    let p = pattern.to_lowercase();
    let path = column_path.to_lowercase();
    let last = path.rsplit('.').next().unwrap_or(&path).to_string();
    glob_match(&p, &path) || glob_match(&p, &last)
}

#[derive(Default)]
struct Hits {
    /// (dataset, column, subject label, derived) → rows.
    cells: BTreeMap<(String, String, String, bool), u64>,
    /// dataset → rows holding any subject.
    dataset_rows: BTreeMap<String, u64>,
    /// (kind, normalized value, "dataset :: column") found beside a subject.
    derived: Vec<(String, String, String)>,
}

impl Hits {
    fn merge(&mut self, other: Hits) {
        for (k, v) in other.cells {
            *self.cells.entry(k).or_default() += v;
        }
        for (k, v) in other.dataset_rows {
            // Rows of the two passes may overlap; the larger count is a lower
            // bound of the union.
            let e = self.dataset_rows.entry(k).or_default();
            *e = (*e).max(v);
        }
    }

    fn occurrences(&self) -> Vec<Occurrence> {
        self.cells
            .iter()
            .map(|((d, c, s, derived), rows)| Occurrence {
                dataset_uri: d.clone(),
                column_path: c.clone(),
                subject: s.clone(),
                derived: *derived,
                rows: *rows,
            })
            .collect()
    }
}

/// Reads the candidate columns of every candidate dataset and counts rows
/// holding a needle (each needle only in columns of its kind).
async fn search(
    lake: &Searchable<'_>,
    needles: &[(String, Needle)],
    collect_derived: bool,
    kinds: &SubjectKinds,
    stats: &mut ReadStats,
    notes: &mut Vec<String>,
) -> Result<Hits, QueryError> {
    let mut hits = Hits::default();
    for (uri, cols) in candidate_columns(lake.candidates, needles) {
        let Some(ds) = lake.ok.get(uri) else { continue };
        let read = match read_dataset(ds, &cols, needles, None, lake.no_pushdown, stats).await {
            Ok(r) => r,
            Err(e) => {
                // One unreadable dataset must not hide the others: say so.
                notes.push(format!("not searched: {e}"));
                continue;
            }
        };
        let Matched {
            cells,
            rows_any,
            rows_certain,
        } = match_rows(&read, &cols, needles);
        for ((col, label, derived), n) in cells {
            *hits
                .cells
                .entry((uri.to_string(), col, label, derived))
                .or_default() += n;
        }
        if rows_any.is_empty() {
            continue;
        }
        hits.dataset_rows
            .insert(uri.to_string(), rows_any.len() as u64);
        if collect_derived {
            // Other identifiers in the subject's own rows.
            for (col, values) in &read.values {
                let Some(ks) = cols.get(col.as_str()) else {
                    continue;
                };
                for kind_name in ks.iter() {
                    let kind = kinds.get(kind_name);
                    if kind.normalizer == Normalizer::Name {
                        continue; // a name identifies nobody on its own
                    }
                    for (row, v) in values {
                        if !rows_certain.contains(row) {
                            continue;
                        }
                        if let Some(nv) = kind
                            .normalizer
                            .apply(v)
                            .filter(|nv| plausible(kind.normalizer, nv))
                        {
                            hits.derived
                                .push((kind_name.clone(), nv, format!("{uri} :: {col}")));
                        }
                    }
                }
            }
        }
    }
    Ok(hits)
}

/// dataset → candidate column → its kinds, for the datasets with a column of
/// a kind some needle has.
fn candidate_columns<'a>(
    candidates: &'a BTreeMap<(String, String), BTreeSet<String>>,
    needles: &[(String, Needle)],
) -> BTreeMap<&'a str, BTreeMap<&'a str, &'a BTreeSet<String>>> {
    let wanted_kinds: BTreeSet<&str> = needles.iter().map(|(k, _)| k.as_str()).collect();
    let mut per_dataset: BTreeMap<&str, BTreeMap<&str, &BTreeSet<String>>> = BTreeMap::new();
    for ((d, _), ks) in candidates {
        if ks.iter().any(|k| wanted_kinds.contains(k.as_str())) {
            per_dataset.entry(d.as_str()).or_default();
        }
    }
    for ((d, c), ks) in candidates {
        if let Some(cols) = per_dataset.get_mut(d.as_str()) {
            cols.insert(c.as_str(), ks);
        }
    }
    per_dataset
}

/// What the needles matched in one dataset's candidate columns.
struct Matched {
    /// (column, needle label, derived) → rows.
    cells: Vec<((String, String, bool), u64)>,
    rows_any: BTreeSet<u64>,
    /// Rows that are the subject's for certain: matched on a strong
    /// identifier (not a name: namesakes) in a single-valued column (a list
    /// of emails names other people too). Only these feed --expand.
    rows_certain: BTreeSet<u64>,
}

/// Row-wise: which rows hold a needle, per column (each needle only in
/// columns of its kind).
fn match_rows(
    read: &ReadColumns,
    cols: &BTreeMap<&str, &BTreeSet<String>>,
    needles: &[(String, Needle)],
) -> Matched {
    let mut m = Matched {
        cells: Vec::new(),
        rows_any: BTreeSet::new(),
        rows_certain: BTreeSet::new(),
    };
    for (col, values) in &read.values {
        let Some(ks) = cols.get(col.as_str()) else {
            continue;
        };
        let single_valued = {
            let mut seen = BTreeSet::new();
            values.iter().all(|(r, _)| seen.insert(*r))
        };
        let integer_column = read.integer_columns.contains(col.as_str());
        for (kind, n) in needles {
            if !ks.contains(kind) {
                continue;
            }
            let mut rows: BTreeSet<u64> = BTreeSet::new();
            if n.normalizer == Normalizer::Id && integer_column {
                // An integer column holds a number, not the digits typed:
                // `00123` is 123 there (it cannot keep leading zeros), and
                // an identifier that is no number matches none of it.
                if let Ok(want) = n.normalized.parse::<i128>() {
                    rows.extend(
                        values
                            .iter()
                            .filter(|(_, v)| v.trim().parse::<i128>() == Ok(want))
                            .map(|(row, _)| *row),
                    );
                }
            } else {
                for (row, v) in values {
                    if n.normalizer.cannot_match(v, &n.normalized) {
                        continue;
                    }
                    if n.normalizer.apply(v).as_deref() == Some(n.normalized.as_str()) {
                        rows.insert(*row);
                    }
                }
            }
            if !rows.is_empty() {
                m.cells
                    .push(((col.clone(), n.label.clone(), n.derived), rows.len() as u64));
                if single_valued && n.normalizer != Normalizer::Name {
                    m.rows_certain.extend(rows.iter().copied());
                }
                m.rows_any.extend(rows);
            }
        }
    }
    m
}

/// A normalised value that can be an identifier of its kind (free text in a
/// column classified as email is not an email).
fn plausible(n: Normalizer, v: &str) -> bool {
    match n {
        Normalizer::Email => {
            v.len() <= 254 && !v.contains(char::is_whitespace) && v.split('@').count() == 2
        }
        Normalizer::Id => v.len() <= 128 && !v.contains(char::is_whitespace),
        Normalizer::Phone | Normalizer::Name => true,
    }
}

struct ReadColumns {
    /// column_path → (row, value as text).
    values: BTreeMap<String, Vec<(u64, String)>>,
    /// Columns of an integer type (in every file): an `id` subject is
    /// compared as a number.
    integer_columns: BTreeSet<String>,
    columns_found: u64,
    report: ReadReport,
}

/// The identifiers to push into a dataset's read, or why they cannot be:
/// every (column, subject) pair that [`match_rows`] will compare must be an
/// exact comparison (the `id` normaliser: trim, then equal) on a top-level
/// field. The reader then also refuses columns whose type it cannot bound.
fn pushdown_filter(
    cols: &BTreeMap<&str, &BTreeSet<String>>,
    needles: &[(String, Needle)],
) -> Result<IdFilter, String> {
    let mut by_column: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (col, kinds) in cols {
        for (kind, n) in needles {
            if !kinds.contains(kind) {
                continue;
            }
            if n.normalizer != Normalizer::Id {
                return Err(format!(
                    "{kind} values are compared after the {} normaliser, which statistics cannot bound",
                    n.normalizer.name()
                ));
            }
            let mut segments = lakewarden_classify::path::segments(col);
            if segments.len() != 1 {
                return Err(format!("candidate column {col} is nested"));
            }
            by_column
                .entry(segments.remove(0))
                .or_default()
                .insert(n.normalized.clone());
        }
    }
    if by_column.is_empty() {
        return Err("no subject applies to these columns".into());
    }
    Ok(IdFilter {
        columns: by_column
            .into_iter()
            .map(|(name, ids)| IdColumn { name, ids })
            .collect(),
    })
}

/// Reads the candidate columns `cols` of `ds` (at `delta_version`), with the
/// needles' identifiers pushed down where that is exact, and records what
/// was read in `stats`.
async fn read_dataset(
    ds: &DatasetRow,
    cols: &BTreeMap<&str, &BTreeSet<String>>,
    needles: &[(String, Needle)],
    delta_version: Option<i64>,
    no_pushdown: bool,
    stats: &mut ReadStats,
) -> Result<ReadColumns, QueryError> {
    let names: Vec<&str> = cols.keys().copied().collect();
    let (filter, refused) = if no_pushdown {
        (None, None)
    } else {
        match pushdown_filter(cols, needles) {
            Ok(f) => (Some(f), None),
            Err(why) => (None, Some(why)),
        }
    };
    let pushdown_columns: Vec<String> = filter
        .iter()
        .flat_map(|f| f.columns.iter().map(|c| c.name.clone()))
        .collect();
    let read = read_columns(ds, &names, delta_version, filter).await?;
    let r = &read.report;
    let (pushdown, reason) = match (&r.pushdown, refused) {
        _ if no_pushdown => ("disabled", None),
        (_, Some(why)) => ("not_pushed_down", Some(why)),
        (Pushdown::Applied, None) => ("pushed_down", None),
        (Pushdown::Refused(why), None) => ("not_pushed_down", Some(why.clone())),
        (Pushdown::NotAsked, None) => (
            "not_pushed_down",
            Some(format!("{} files carry no statistics", ds.format)),
        ),
    };
    let row_groups = matches!(ds.format, DatasetFormat::Parquet | DatasetFormat::Delta);
    stats.datasets_read += 1;
    stats.columns_read += read.columns_found;
    stats.bytes_read += r.bytes_read;
    stats.datasets.push(DatasetRead {
        dataset_uri: ds.dataset_uri.clone(),
        version: delta_version,
        format: ds.format.to_string(),
        columns: names.iter().map(|c| c.to_string()).collect(),
        pushdown: pushdown.to_string(),
        pushdown_reason: reason,
        pushdown_columns: if pushdown == "pushed_down" {
            pushdown_columns
        } else {
            Vec::new()
        },
        files_read: r.files_read,
        files_total: r.file_count,
        row_groups_read: row_groups.then_some(r.row_groups_read),
        row_groups_skipped: row_groups.then_some(r.row_groups_skipped),
        rows_read: r.rows_sampled,
        bytes_read: r.bytes_read,
        bytes_total: r.bytes_total,
    });
    Ok(read)
}

/// Reads `columns` of dataset `ds` in full, as text, with the row each value
/// belongs to (list elements share their row). With `id_filter`, the reader
/// may leave out rows that cannot match it.
async fn read_columns(
    ds: &DatasetRow,
    columns: &[&str],
    delta_version: Option<i64>,
    id_filter: Option<IdFilter>,
) -> Result<ReadColumns, QueryError> {
    let err = |m: String| QueryError::DataFusion(format!("{}: {m}", ds.dataset_uri));
    let loc = LakeLocation::parse(&ds.dataset_uri).map_err(|e| err(e.to_string()))?;
    let store = open_store(&loc).map_err(|e| err(e.to_string()))?;
    let (tx, mut rx) = mpsc::channel(16);
    discover(Arc::clone(&store), &loc, tx)
        .await
        .map_err(|e| err(e.to_string()))?;
    let mut found = None;
    while let Some(d) = rx.recv().await {
        if let Ok(d) = d {
            if d.dataset_uri == ds.dataset_uri {
                found = Some(d);
            }
        }
    }
    let Some(dref) = found else {
        return Err(err(
            "no longer found where the catalog says it is (re-scan?)".into(),
        ));
    };
    let wanted: BTreeSet<&str> = columns.iter().copied().collect();
    let reader = Reader::new(store);
    let (tx, mut rx) = mpsc::channel::<ChunkData>(4);
    // Column pruning: only the top-level fields holding a candidate column.
    let roots: BTreeSet<String> = columns
        .iter()
        .filter_map(|c| lakewarden_classify::path::segments(c).into_iter().next())
        .collect();
    let opts = ReadOptions {
        full: true,
        delta_version,
        columns: Some(roots.into_iter().collect()),
        id_filter,
        ..ReadOptions::default()
    };
    let read = async { reader.read(&loc, &dref, &opts, tx).await };
    let collect = async {
        let mut values: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
        // Integer in every file read; a column that is text somewhere (files
        // of one dataset can disagree) is compared as text.
        let mut integer_columns = BTreeSet::new();
        let mut text_columns = BTreeSet::new();
        let mut base = 0u64;
        while let Some(chunk) = rx.recv().await {
            let (rows, leaves) = leaves_of(chunk);
            for (path, array, row_of) in leaves {
                if !wanted.contains(path.as_str()) {
                    continue;
                }
                if array.data_type().is_integer() {
                    integer_columns.insert(path.clone());
                } else {
                    text_columns.insert(path.clone());
                }
                let Ok(text) = cast(&array, &DataType::Utf8) else {
                    continue;
                };
                let text = text.as_string::<i32>();
                let out = values.entry(path).or_default();
                for i in 0..text.len() {
                    if text.is_valid(i) {
                        let row = row_of.as_ref().map(|r| r[i] as u64).unwrap_or(i as u64);
                        out.push((base + row, text.value(i).to_string()));
                    }
                }
            }
            base += rows as u64;
        }
        integer_columns.retain(|c| !text_columns.contains(c));
        (values, integer_columns)
    };
    let (report, (values, integer_columns)) = tokio::join!(read, collect);
    let report = report.map_err(|e| err(e.to_string()))?;
    Ok(ReadColumns {
        columns_found: values.len() as u64,
        values,
        integer_columns,
        report,
    })
}

type Leaf = (String, ArrayRef, Option<Vec<u32>>);

/// A chunk's leaf columns with, where values do not align with rows, the row
/// of each value.
fn leaves_of(chunk: ChunkData) -> (usize, Vec<Leaf>) {
    match chunk {
        ChunkData::Flat { rows, columns } => (
            rows,
            columns
                .into_iter()
                .map(|c| {
                    (
                        lakewarden_classify::path::column_path(&c.path),
                        c.array,
                        Some(c.rows),
                    )
                })
                .collect(),
        ),
        ChunkData::Arrow(batch) => {
            let mut out = Vec::new();
            for (f, a) in batch.schema().fields().iter().zip(batch.columns()) {
                flatten_rows(vec![f.name().clone()], a, None, &mut out);
            }
            (batch.num_rows(), out)
        }
        // Only sent when reading file by file, which rtbf does not ask for.
        ChunkData::FileEnd(_) => (0, Vec::new()),
    }
}

fn flatten_rows(
    segments: Vec<String>,
    array: &ArrayRef,
    row_of: Option<Vec<u32>>,
    out: &mut Vec<Leaf>,
) {
    match array.data_type() {
        DataType::Struct(fields) => {
            let s = array.as_struct();
            for (i, f) in fields.iter().enumerate() {
                let mut p = segments.clone();
                p.push(f.name().clone());
                flatten_rows(p, s.column(i), row_of.clone(), out);
            }
        }
        DataType::List(_) | DataType::LargeList(_) => {
            let (values, offsets): (ArrayRef, Vec<usize>) = match array.data_type() {
                DataType::List(_) => {
                    let l = array.as_list::<i32>();
                    (
                        Arc::clone(l.values()),
                        l.value_offsets().iter().map(|o| *o as usize).collect(),
                    )
                }
                _ => {
                    let l = array.as_list::<i64>();
                    (
                        Arc::clone(l.values()),
                        l.value_offsets().iter().map(|o| *o as usize).collect(),
                    )
                }
            };
            let (start, end) = (offsets[0], offsets[offsets.len() - 1]);
            let mut rows = Vec::with_capacity(end - start);
            for i in 0..offsets.len() - 1 {
                let parent = row_of.as_ref().map(|r| r[i]).unwrap_or(i as u32);
                for _ in offsets[i]..offsets[i + 1] {
                    rows.push(parent);
                }
            }
            flatten_rows(segments, &values.slice(start, end - start), Some(rows), out);
        }
        _ => out.push((
            lakewarden_classify::path::column_path(&segments),
            Arc::clone(array),
            row_of,
        )),
    }
}

/// Datasets downstream of `affected` over lineage, breadth first.
async fn downstream(
    ctx: &SessionContext,
    affected: &BTreeSet<String>,
) -> Result<Vec<Downstream>, QueryError> {
    let batches = crate::run(
        ctx,
        "SELECT DISTINCT source_uri, target_uri, masked, target_in_catalog FROM lineage_edges",
    )
    .await?;
    // source → [(target, masked, in_catalog)]
    let mut edges: BTreeMap<String, Vec<(String, bool, bool)>> = BTreeMap::new();
    for b in &batches {
        let (s, t) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        let (m, c) = (b.column(2).as_boolean(), b.column(3).as_boolean());
        for i in 0..b.num_rows() {
            edges.entry(s.value(i).to_string()).or_default().push((
                t.value(i).to_string(),
                m.is_valid(i) && m.value(i),
                c.value(i),
            ));
        }
    }
    // dataset → (depth, from, masked on every path so far, in_catalog)
    let mut seen: BTreeMap<String, (u32, BTreeSet<String>, bool, bool)> = BTreeMap::new();
    let mut queue: VecDeque<(String, u32, bool)> =
        affected.iter().map(|a| (a.clone(), 0, false)).collect();
    while let Some((node, depth, masked_so_far)) = queue.pop_front() {
        for (target, masked, in_catalog) in edges.get(&node).into_iter().flatten() {
            if affected.contains(target) {
                continue;
            }
            let masked_path = masked_so_far || *masked;
            match seen.get_mut(target) {
                Some(e) => {
                    e.1.insert(node.clone());
                    // An unmasked path wins: revisit so its descendants learn it.
                    if e.2 && !masked_path {
                        e.2 = false;
                        queue.push_back((target.clone(), e.0, false));
                    }
                }
                None => {
                    seen.insert(
                        target.clone(),
                        (
                            depth + 1,
                            BTreeSet::from([node.clone()]),
                            masked_path,
                            *in_catalog,
                        ),
                    );
                    queue.push_back((target.clone(), depth + 1, masked_path));
                }
            }
        }
    }
    let mut out: Vec<Downstream> = seen
        .into_iter()
        .map(|(uri, (depth, from, masked, in_catalog))| Downstream {
            dataset_uri: uri,
            from: from.into_iter().collect(),
            depth,
            masked_on_every_path: masked,
            in_catalog,
        })
        .collect();
    out.sort_by(|a, b| {
        a.depth
            .cmp(&b.depth)
            .then_with(|| a.dataset_uri.cmp(&b.dataset_uri))
    });
    Ok(out)
}

fn sql_list(values: &BTreeSet<String>) -> String {
    values
        .iter()
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn models(ctx: &SessionContext, all: &BTreeSet<String>) -> Result<Vec<ModelHit>, QueryError> {
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT i.model_uri, i.dataset_uri, m.model_name, m.model_version \
         FROM model_inputs i LEFT JOIN models m ON m.model_uri = i.model_uri AND m.run_id = i.run_id \
         WHERE i.dataset_uri IN ({}) ORDER BY i.model_uri, i.dataset_uri",
        sql_list(all)
    );
    let mut by_model: BTreeMap<String, ModelHit> = BTreeMap::new();
    for b in crate::run(ctx, &sql).await? {
        let (m, d) = (
            b.column(0).as_string::<i32>(),
            b.column(1).as_string::<i32>(),
        );
        let (n, v) = (
            b.column(2).as_string::<i32>(),
            b.column(3).as_string::<i32>(),
        );
        for i in 0..b.num_rows() {
            let e = by_model
                .entry(m.value(i).to_string())
                .or_insert_with(|| ModelHit {
                    model_uri: m.value(i).to_string(),
                    model_name: n.is_valid(i).then(|| n.value(i).to_string()),
                    model_version: v.is_valid(i).then(|| v.value(i).to_string()),
                    trained_on: Vec::new(),
                });
            let d = d.value(i).to_string();
            if !e.trained_on.contains(&d) {
                e.trained_on.push(d);
            }
        }
    }
    Ok(by_model.into_values().collect())
}

async fn readers(ctx: &SessionContext, all: &BTreeSet<String>) -> Result<Vec<Reader_>, QueryError> {
    if all.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT principal, principal_detail, \
           CASE WHEN status IN (401, 403) OR error_code IN ('AccessDenied', 'AuthorizationFailure', 'AuthorizationPermissionMismatch') THEN 'denied' \
                WHEN operation = 'head' THEN 'head' ELSE 'read' END AS access, \
           dataset_uri, count(*) AS events, min(event_time) AS first_access, max(event_time) AS last_access \
         FROM access_events \
         WHERE dataset_uri IN ({}) AND operation IN ('read', 'head', 'copy') \
           AND (status IS NULL OR status < 400 OR status IN (401, 403)) \
         GROUP BY 1, 2, 3, 4 ORDER BY access DESC, last_access DESC, principal",
        sql_list(all)
    );
    let mut out = Vec::new();
    for b in crate::run(ctx, &sql).await? {
        let p = b.column(0).as_string::<i32>();
        let pd = b.column(1).as_string::<i32>();
        let a = b.column(2).as_string::<i32>();
        let d = b.column(3).as_string::<i32>();
        let n = b.column(4).as_primitive::<arrow::datatypes::Int64Type>();
        let f = b
            .column(5)
            .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
        let l = b
            .column(6)
            .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
        for i in 0..b.num_rows() {
            out.push(Reader_ {
                principal: p.value(i).to_string(),
                principal_detail: pd.is_valid(i).then(|| pd.value(i).to_string()),
                access: a.value(i).to_string(),
                dataset_uri: d.value(i).to_string(),
                events: n.value(i),
                first_access: DateTime::from_timestamp_micros(f.value(i)).unwrap_or_default(),
                last_access: DateTime::from_timestamp_micros(l.value(i)).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

fn retention_hits(
    policies: &RetentionPolicies,
    all: &BTreeSet<String>,
    findings: &[ClassificationRow],
) -> Vec<RetentionHit> {
    let mut out = Vec::new();
    for uri in all {
        let entities: BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.dataset_uri == *uri)
            .map(|f| f.entity.as_str())
            .collect();
        for p in policies.applicable(uri, &entities) {
            let Policy {
                name, max_age_days, ..
            } = p;
            out.push(RetentionHit {
                dataset_uri: uri.clone(),
                policy: name.clone(),
                max_age_days: *max_age_days,
                reason: p.reason(uri, &entities),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_subject_kinds_parse() {
        let k = SubjectKinds::builtin();
        assert_eq!(k.get("email").entity, "EMAIL_ADDRESS");
        assert_eq!(k.get("loyalty_no").columns, vec!["loyalty_no"]);
    }

    #[test]
    fn normalizers_fold_what_people_type_differently() {
        assert_eq!(
            Normalizer::Email.apply(" Jane.Doe@Example.COM ").as_deref(),
            Some("jane.doe@example.com")
        );
        assert_eq!(
            Normalizer::Phone.apply("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            Normalizer::Name.apply("  José   ÁLVAREZ ").as_deref(),
            Some("jose alvarez")
        );
        assert_eq!(Normalizer::Phone.apply("not a phone"), None);
    }

    #[test]
    fn column_patterns_match_path_or_last_segment() {
        assert!(name_matches("*email*", "customer.contact.email"));
        assert!(name_matches("customer.id", "customer.id"));
        assert!(name_matches("*_name", "patient_name"));
        assert!(!name_matches("*_name", "name"));
        assert!(!name_matches("email", "email_opt_in"));
    }

    fn needle(kind: &str, normalizer: Normalizer, normalized: &str) -> (String, Needle) {
        (
            kind.to_string(),
            Needle {
                label: kind.to_string(),
                derived: false,
                normalizer,
                normalized: normalized.to_string(),
            },
        )
    }

    #[test]
    fn only_exact_ids_on_top_level_columns_are_pushed_down() {
        let id_kind = BTreeSet::from(["customer_id".to_string()]);
        let email_kind = BTreeSet::from(["email".to_string()]);
        let ids = [
            needle("customer_id", Normalizer::Id, "C42"),
            needle("customer_id", Normalizer::Id, "C43"),
        ];
        // The e-mail column is read too, but no subject of its kind is asked.
        let cols = BTreeMap::from([("customer_id", &id_kind), ("email", &email_kind)]);
        let f = pushdown_filter(&cols, &ids).unwrap();
        assert_eq!(
            f.columns,
            vec![IdColumn {
                name: "customer_id".into(),
                ids: BTreeSet::from(["C42".to_string(), "C43".to_string()]),
            }]
        );
        // A normalised kind applies: nothing is pushed down.
        let mut with_email = ids.to_vec();
        with_email.push(needle("email", Normalizer::Email, "jane@example.com"));
        let why = pushdown_filter(&cols, &with_email).unwrap_err();
        assert!(why.contains("email normaliser"), "{why}");
        assert!(!why.contains("jane"), "no value in the reason: {why}");
        // A nested candidate column: nothing is pushed down.
        let nested = BTreeMap::from([("customer.id", &id_kind)]);
        let why = pushdown_filter(&nested, &ids).unwrap_err();
        assert!(why.contains("customer.id"), "{why}");
    }

    #[test]
    fn integer_columns_compare_ids_as_numbers_text_columns_as_text() {
        let kinds = BTreeSet::from(["customer_id".to_string()]);
        let cols = BTreeMap::from([("n", &kinds), ("t", &kinds)]);
        let read = ReadColumns {
            values: BTreeMap::from([
                (
                    "n".to_string(),
                    vec![(0, "123".to_string()), (1, "7".to_string())],
                ),
                (
                    "t".to_string(),
                    vec![(2, "00123".to_string()), (3, "123".to_string())],
                ),
            ]),
            integer_columns: BTreeSet::from(["n".to_string()]),
            columns_found: 2,
            report: ReadReport::default(),
        };
        let rows = |id: &str| {
            match_rows(&read, &cols, &[needle("customer_id", Normalizer::Id, id)])
                .rows_any
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(rows("00123"), vec![0, 2]);
        assert_eq!(rows("123"), vec![0, 3]);
        assert_eq!(rows("x123"), Vec::<u64>::new());
    }

    #[test]
    fn keyed_hash_is_hmac_sha256() {
        // RFC 4231 test case 2, truncated to 16 bytes.
        assert_eq!(
            keyed_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7"
        );
    }
}
