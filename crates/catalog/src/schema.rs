//! The catalog tables: names, Arrow schemas, key columns and closed vocabularies.
//!
//! **This module is the one place where a catalog table's schema is defined.** Every
//! other crate (the scanner, the query layer, the CLI) takes the schemas from here.
//!
//! Conventions, for every table:
//! - timestamps are `Timestamp(Microsecond, Some("UTC"))`;
//! - counts are `Int64` and are counts, never values;
//! - `confidence` and `null_fraction` are `Float64` in `0.0..=1.0`;
//! - columns holding a closed vocabulary are `Utf8` and may only hold the values listed
//!   in [`Table::vocabularies`] (checked on every commit);
//! - the *key column* ([`Table::key_column`]) identifies the unit a commit replaces: a
//!   commit replaces *all* rows of a key at once (see [`crate::Commit`]).
//!
//! **Invariant (not checkable here):** no table ever holds a raw sensitive value. In
//! particular `classifications.evidence` holds *masked* examples only
//! (`j***@e******.com`, `***-**-6789`) or keyed hashes; the classifier guarantees this,
//! the catalog stores whatever string it is given.
//!
//! Adding a table later (`access_events`, `lineage_edges`, `models`, `model_inputs`,
//! `dataset_files`, …): add a variant, its name, schema, key column and vocabularies, and
//! append it to [`Table::ALL`]. Catalogs written before it existed get the table added
//! empty on open (see [`crate::manifest`]); bump [`SCHEMA_VERSION`] when an existing
//! table's columns change and write the migration step there.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::{Deserialize, Serialize};

/// Version of the catalog's table schemas, recorded in every manifest. Opening a
/// catalog with an older version migrates it; a newer version is refused.
pub const SCHEMA_VERSION: u32 = 2;

/// A catalog table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Table {
    /// One row per scan run (key: `run_id`).
    ScanRuns,
    /// One row per dataset, its latest scan outcome (key: `dataset_uri`).
    Datasets,
    /// One row per column of a dataset, from its latest scan (key: `dataset_uri`).
    Columns,
    /// One row per (column, entity) finding of a dataset's latest scan (key: `dataset_uri`).
    Classifications,
    /// One row per ingested log / lineage file (key: `ingested_from`).
    IngestSources,
    /// One row per access to an object, from access logs (key: `ingested_from`).
    AccessEvents,
    /// One row per dataset → dataset edge of an OpenLineage run (key: `ingested_from`).
    LineageEdges,
    /// One row per model an OpenLineage run produced (key: `ingested_from`).
    Models,
    /// One row per (model, input dataset) of a run (key: `ingested_from`).
    ModelInputs,
    /// The LLM answer cache: one row per answered question (key: `cache_key`).
    LlmAnswers,
    /// One row per object a dataset's latest scan saw: the state an incremental
    /// scan compares a new listing with (key: `dataset_uri`).
    DatasetFiles,
    /// One row per version of a Delta table that time travel can still reach,
    /// with its retention (key: `dataset_uri`).
    DatasetVersions,
    /// Per date column of a dataset, its values per calendar month (key:
    /// `dataset_uri`): how many rows a retention policy would drop.
    DateHistograms,
    /// Per file and column of a dataset read file by file, the evidence that
    /// file gave (key: `dataset_uri`): what lets a later scan read only the
    /// files added since and merge.
    FileEvidence,
}

impl Table {
    /// Every table, in a stable order.
    pub const ALL: &'static [Table] = &[
        Table::ScanRuns,
        Table::Datasets,
        Table::Columns,
        Table::Classifications,
        Table::IngestSources,
        Table::AccessEvents,
        Table::LineageEdges,
        Table::Models,
        Table::ModelInputs,
        Table::LlmAnswers,
        Table::DatasetFiles,
        Table::DatasetVersions,
        Table::DateHistograms,
        Table::FileEvidence,
    ];

    /// The SQL-visible table name (also its folder under `data/` and its manifest key).
    pub fn name(self) -> &'static str {
        match self {
            Table::ScanRuns => "scan_runs",
            Table::Datasets => "datasets",
            Table::Columns => "columns",
            Table::Classifications => "classifications",
            Table::IngestSources => "ingest_sources",
            Table::AccessEvents => "access_events",
            Table::LineageEdges => "lineage_edges",
            Table::Models => "models",
            Table::ModelInputs => "model_inputs",
            Table::LlmAnswers => "llm_answers",
            Table::DatasetFiles => "dataset_files",
            Table::DatasetVersions => "dataset_versions",
            Table::DateHistograms => "date_histograms",
            Table::FileEvidence => "file_evidence",
        }
    }

    /// The table of that name, if any.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }

    /// The column whose value a commit replaces as a unit: `run_id` for `scan_runs`,
    /// `dataset_uri` for the dataset-keyed tables, `ingested_from` (the log or lineage
    /// file the rows came from) for the ingested tables, so re-ingesting a file
    /// replaces exactly its rows.
    pub fn key_column(self) -> &'static str {
        match self {
            Table::ScanRuns => "run_id",
            Table::Datasets
            | Table::Columns
            | Table::Classifications
            | Table::DatasetFiles
            | Table::DatasetVersions
            | Table::DateHistograms
            | Table::FileEvidence => "dataset_uri",
            Table::IngestSources
            | Table::AccessEvents
            | Table::LineageEdges
            | Table::Models
            | Table::ModelInputs => "ingested_from",
            Table::LlmAnswers => "cache_key",
        }
    }

    /// True for tables keyed by `dataset_uri`, which a dataset replacement
    /// ([`crate::Commit::replace_datasets`]) rewrites together.
    pub fn is_dataset_keyed(self) -> bool {
        self.key_column() == "dataset_uri"
    }

    /// True for tables whose manifest entries list every key of every file (see
    /// [`crate::manifest`]): the ingested tables, whose Tantivy indexes follow
    /// which catalog files hold each ingested file's rows from the manifest alone.
    /// Their keys are log files, not datasets.
    pub fn lists_keys(self) -> bool {
        self.key_column() == "ingested_from"
    }

    /// True for tables whose rows must not exist without the dataset's `datasets` row
    /// (checked on commit against the resulting manifest).
    pub fn requires_dataset_row(self) -> bool {
        matches!(
            self,
            Table::Columns
                | Table::Classifications
                | Table::DatasetFiles
                | Table::DatasetVersions
                | Table::DateHistograms
                | Table::FileEvidence
        )
    }

    /// True for tables holding at most one row per key (`scan_runs`, `datasets`);
    /// checked on commit.
    pub fn one_row_per_key(self) -> bool {
        matches!(
            self,
            Table::ScanRuns | Table::Datasets | Table::IngestSources | Table::LlmAnswers
        )
    }

    /// True for the tables `lakewarden ingest` fills (they are also indexed in Tantivy).
    pub fn is_ingested(self) -> bool {
        self.key_column() == "ingested_from"
    }

    /// The table's Arrow schema (the one definition; cheap to call, cached).
    pub fn schema(self) -> SchemaRef {
        static SCHEMAS: OnceLock<Vec<(Table, SchemaRef)>> = OnceLock::new();
        let all = SCHEMAS.get_or_init(|| {
            Table::ALL
                .iter()
                .map(|&t| (t, Arc::new(build_schema(t))))
                .collect()
        });
        all.iter()
            .find(|(t, _)| *t == self)
            .map(|(_, s)| Arc::clone(s))
            .expect("every Table is in Table::ALL")
    }

    /// Closed vocabularies of this table: `(column, allowed values)`. Commits holding
    /// any other value (or a null in a non-null vocabulary column) are refused.
    pub fn vocabularies(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Table::ScanRuns => &[("status", RunStatus::VALUES), ("mode", ScanMode::VALUES)],
            Table::Datasets => &[
                ("format", DatasetFormat::VALUES),
                ("status", DatasetStatus::VALUES),
            ],
            Table::Columns => &[],
            Table::Classifications => &[
                ("sensitivity", Sensitivity::VALUES),
                ("method", Method::VALUES),
            ],
            Table::IngestSources => &[("format", IngestFormat::VALUES)],
            Table::AccessEvents => &[
                ("operation", AccessOperation::VALUES),
                ("log_format", LogFormat::VALUES),
            ],
            Table::LineageEdges | Table::Models | Table::ModelInputs => &[],
            Table::LlmAnswers
            | Table::DatasetFiles
            | Table::DatasetVersions
            | Table::DateHistograms
            | Table::FileEvidence => &[],
        }
    }

    /// `Float64` columns whose values must lie in `0.0..=1.0`.
    pub fn unit_interval_columns(self) -> &'static [&'static str] {
        match self {
            Table::Columns => &["null_fraction"],
            Table::Classifications => &["confidence"],
            Table::LlmAnswers => &["confidence"],
            _ => &[],
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `Timestamp(Microsecond, Some("UTC"))`, the type of every catalog timestamp.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// `List<Utf8>` with the conventional `item` element field.
pub fn utf8_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}
fn utf8_null(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}
fn i64(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}
fn i64_null(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}
fn bool_null(name: &str) -> Field {
    Field::new(name, DataType::Boolean, true)
}
fn f64(name: &str) -> Field {
    Field::new(name, DataType::Float64, false)
}
fn ts(name: &str) -> Field {
    Field::new(name, timestamp_type(), false)
}
fn ts_null(name: &str) -> Field {
    Field::new(name, timestamp_type(), true)
}

fn build_schema(t: Table) -> Schema {
    let fields = match t {
        // scan_runs — one row per `lakewarden scan` invocation.
        //   status: RunStatus (running | ok | partial | failed)
        //   mode:   ScanMode (sample | full)
        Table::ScanRuns => vec![
            utf8("run_id"),
            ts("started_at"),
            ts_null("finished_at"), // null while running
            Field::new("roots", utf8_list_type(), false),
            utf8("status"),
            utf8("mode"),
            i64("datasets_scanned"),
            i64("datasets_skipped"), // unchanged since the last run (incremental)
            i64("datasets_failed"),
            i64("datasets_unsupported"),
            utf8("ruleset_fingerprint"),
            utf8("lakewarden_version"),
            // v2: datasets marked deleted by this run (null in runs before v2)
            i64_null("datasets_deleted"),
            // v2: `K/N` when the run covered one shard of the estate (--shard)
            utf8_null("shard"),
        ],
        // datasets — one row per dataset, its latest scan.
        //   format: DatasetFormat (parquet | csv | jsonl | delta | unknown)
        //   status: DatasetStatus (ok | error | unsupported | deleted)
        Table::Datasets => vec![
            utf8("dataset_uri"), // canonical dataset URI (see DESIGN.md)
            utf8("root_uri"),    // the scan root it was discovered under
            utf8("format"),
            i64("file_count"),
            i64_null("row_count"), // null when unknown (error, unsupported)
            i64("rows_skipped"),   // unreadable / malformed rows skipped
            i64("bytes"),          // total size of the dataset's files
            i64("bytes_read"),     // bytes actually read by the scan (sampling)
            i64_null("version"),   // Delta table version; null for other formats
            ts_null("last_modified"),
            utf8("last_scan_run"),
            ts("scanned_at"),
            utf8("status"),
            utf8_null("error"), // the reason, when status = error | unsupported
            utf8_null("notes"),
            utf8("ruleset_fingerprint"),
            // v2, incremental scans: sha256 of what the listing showed (object
            // keys, sizes, ETags, modification times; a Delta table's latest log
            // version) and of what decides the findings (ruleset, sampling and
            // classifier settings, lakewarden version). A scan skips a dataset
            // whose two fingerprints are both unchanged. Null before v2.
            utf8_null("content_fingerprint"),
            utf8_null("settings_fingerprint"),
        ],
        // columns — one row per column (leaf or nested path) of a dataset.
        Table::Columns => vec![
            utf8("dataset_uri"),
            utf8("column_path"), // dot-separated, SQL-quoted segments (DESIGN.md)
            utf8("data_type"),   // Arrow data type, as displayed by Arrow
            f64("null_fraction"), // 0..1 over the sampled values
            i64("values_sampled"),
            utf8("run_id"),
            utf8_null("considered"), // JSON: entities considered and the verdict on each
        ],
        // classifications — one row per (dataset, column, entity) finding.
        //   sensitivity: Sensitivity (HIGH | MEDIUM | LOW)
        //   method:      Method (pattern | validator | dictionary | name_hint | type | llm)
        //   evidence:    masked examples joined with " | " — NEVER raw values
        //   explanation: JSON text (scores, rules and thresholds behind the decision)
        Table::Classifications => vec![
            utf8("dataset_uri"),
            utf8("column_path"),
            utf8("entity"), // entity name, Presidio-compatible (shared/ENTITIES.md)
            utf8("sensitivity"),
            f64("confidence"),
            utf8("method"),
            i64("sampled_values"),
            i64("matched_values"),
            i64("validated_values"),
            utf8("evidence"),
            utf8("explanation"),
            utf8("run_id"),
            utf8("first_seen_run"),
            utf8("last_seen_run"),
            utf8("ruleset_fingerprint"),
        ],
        // ingest_sources — one row per ingested log / lineage file.
        //   format: IngestFormat (s3 | cloudtrail | azure | openlineage)
        //   content_sha256: of the file as stored (compressed); an unchanged file is
        //   not ingested again.
        //   problems: JSON {"first_malformed":[[line, reason]…],"read_error":…} —
        //   reasons describe shapes, never content.
        Table::IngestSources => vec![
            utf8("ingested_from"), // canonical URI of the file
            utf8("format"),
            utf8("content_sha256"),
            i64("bytes"),
            i64("lines"),     // lines (CloudTrail: records) read
            i64("events"),    // rows produced
            i64("skipped"),   // well-formed records deliberately ignored
            i64("malformed"), // lines counted as malformed and skipped
            utf8_null("problems"),
            ts("ingested_at"),
        ],
        // access_events — one row per access, normalised across log formats.
        //   operation:  AccessOperation (read | write | delete | list | head | copy | other)
        //   log_format: LogFormat (s3 | cloudtrail | azure)
        //   object_uri: canonical URI as logged; SQL adds `dataset_uri` (the catalog
        //   dataset holding the object, through [aliases]) at query time.
        Table::AccessEvents => vec![
            utf8("event_id"), // stable: re-ingesting yields the same id
            ts("event_time"),
            utf8("principal"), // role / user ARN, Azure object id, or `anonymous`
            utf8_null("principal_detail"), // assumed-role session name, UPN, app id
            utf8("operation"),
            utf8("api_operation"), // REST.GET.OBJECT, GetObject, GetBlob, …
            utf8("object_uri"),
            i64_null("bytes"),
            utf8_null("source_ip"),
            i64_null("status"), // HTTP status
            utf8_null("error_code"),
            utf8("log_format"),
            utf8_null("user_agent"),
            utf8_null("request_id"),
            utf8("ingested_from"),
        ],
        // lineage_edges — dataset → dataset, every input × output of a run.
        //   masked: from column lineage; true when every field derived from the
        //   source is masked, false when some is not, null without column lineage.
        Table::LineageEdges => vec![
            utf8("source_uri"),
            utf8("target_uri"),
            utf8("job_namespace"),
            utf8("job_name"),
            utf8("run_id"),
            ts("event_time"),
            bool_null("masked"),
            utf8("ingested_from"),
        ],
        // models — model artifacts produced by a run.
        Table::Models => vec![
            utf8("model_uri"),
            utf8("model_name"),
            utf8_null("model_version"),
            utf8("run_id"),
            ts("event_time"),
            utf8("ingested_from"),
        ],
        // model_inputs — the datasets a model was trained on.
        Table::ModelInputs => vec![
            utf8("model_uri"),
            utf8("dataset_uri"),
            utf8("run_id"),
            utf8("ingested_from"),
        ],
        // llm_answers — the cache of sampled LLM checks (issue 7): what a model
        // answered about a column, so an unchanged column is never asked again.
        // A row holds the verdict only: the masked sample itself is not kept.
        //   cache_key: sha256 of (column_fingerprint, sample_fingerprint, model,
        //              prompt_version + prompt_hash) — the key a re-scan looks up
        //   entity:    an entity name, or NONE when the model saw none
        Table::LlmAnswers => vec![
            utf8("cache_key"),
            utf8("column_fingerprint"), // sha256 of column path, data type, neighbours
            utf8("sample_fingerprint"), // sha256 of the masked sample sent
            utf8("model"),
            i64("prompt_version"),
            utf8("prompt_hash"), // sha256 prefix of the system prompt (lists the entities)
            utf8("entity"),
            f64("confidence"), // clamped to 0..1
            utf8("reason"),    // the model's short reason (about masked values)
            i64("prompt_tokens"),
            i64("completion_tokens"),
            utf8("column_path"), // the column first asked about (informative)
            utf8("run_id"),
            ts("answered_at"),
        ],
        // dataset_files — the objects a dataset's latest scan listed (for Delta,
        // the data files in the folder; the log decides which are live). What an
        // incremental scan saw, readable by auditors: "which files did it read".
        Table::DatasetFiles => vec![
            utf8("dataset_uri"),
            utf8("object_uri"), // canonical URI of the object
            i64("size"),
            utf8_null("e_tag"),
            ts_null("last_modified"),
            utf8("run_id"),
        ],
        // dataset_versions — the versions of a Delta table still in its log,
        // i.e. what time travel can read: PII deleted from the latest version
        // may live on in these until their retention ends.
        //   operation: commitInfo.operation (WRITE, DELETE, MERGE, …), never
        //   its parameters (a DELETE predicate can spell the value deleted)
        Table::DatasetVersions => vec![
            utf8("dataset_uri"),
            i64("version"),
            ts_null("committed_at"),
            utf8_null("operation"),
            bool_null("scanned"),      // the version this scan read (the latest)
            ts_null("log_expires_at"), // + delta.logRetentionDuration
            ts_null("files_vacuumable_at"), // next commit + delta.deletedFileRetentionDuration
            utf8("run_id"),
        ],
        // date_histograms — for each date column of a dataset (typed, or text
        // of ISO dates; never a DATE_OF_BIRTH column), its sampled values per
        // calendar month and the rows that stands for (scaled by the
        // dataset's rows / rows sampled). Counts only: no value is kept.
        Table::DateHistograms => vec![
            utf8("dataset_uri"),
            utf8("column_path"),
            ts("month"), // first instant of the month, UTC
            i64("sampled_values"),
            i64("estimated_rows"),
            utf8("run_id"),
        ],
        // file_evidence — for a dataset read file by file (a multi-file
        // Parquet dataset or a Delta table, in sample mode), one row per
        // (file, column): the evidence that file's sample gave about the
        // column, as the classifier's partial (JSON: counts, masked
        // examples, at most 64 16-bit fingerprints of distinct values —
        // never a value; see `lakewarden_classify::partial`). A later scan
        // reads only the files not listed here and merges. The file's own
        // figures repeat on each of its rows.
        Table::FileEvidence => vec![
            utf8("dataset_uri"),
            utf8("object_uri"), // canonical URI of the file
            i64("size"),
            utf8_null("e_tag"),
            i64("rows"),         // rows in the file
            i64("rows_sampled"), // rows of it classified
            utf8("column_path"),
            utf8("data_type"),
            utf8("evidence"), // the partial, JSON
            utf8("run_id"),   // the run that read the file
        ],
    };
    Schema::new(fields)
}

/// Error of parsing a vocabulary value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    /// The vocabulary (`RunStatus`, `Method`, …).
    pub vocabulary: &'static str,
    /// The value that is not in it.
    pub value: String,
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} value {:?}", self.vocabulary, self.value)
    }
}

impl std::error::Error for UnknownValue {}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $s:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $s)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];
            /// Every value as stored in the catalog.
            pub const VALUES: &'static [&'static str] = &[ $( $s, )+ ];

            /// The value as stored in the catalog.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s, )+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $( $s => Ok($name::$variant), )+
                    _ => Err(UnknownValue { vocabulary: stringify!($name), value: s.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// `scan_runs.status`.
    RunStatus {
        /// The run has started and not finished (or died without finishing).
        Running => "running",
        /// Every dataset was scanned or skipped as unchanged.
        Ok => "ok",
        /// The run finished, but some datasets failed (exit code 3).
        Partial => "partial",
        /// The run failed as a whole (exit code 1).
        Failed => "failed",
    }
}

vocabulary! {
    /// `scan_runs.mode`.
    ScanMode {
        /// Values were sampled from each column.
        Sample => "sample",
        /// Every value was read (`--full`).
        Full => "full",
    }
}

vocabulary! {
    /// `datasets.format`.
    DatasetFormat {
        /// Apache Parquet file(s).
        Parquet => "parquet",
        /// CSV / delimited text file(s).
        Csv => "csv",
        /// JSON Lines file(s).
        Jsonl => "jsonl",
        /// A Delta Lake table (a folder with `_delta_log/`).
        Delta => "delta",
        /// Not recognised (status is then `unsupported`).
        Unknown => "unknown",
    }
}

vocabulary! {
    /// `datasets.status`.
    DatasetStatus {
        /// Scanned; `columns` / `classifications` hold its findings.
        Ok => "ok",
        /// Reading failed; `error` says why. Findings of earlier scans are cleared.
        Error => "error",
        /// Found but not a format lakewarden reads; `error` says what it is.
        Unsupported => "unsupported",
        /// Was in the catalog but no longer exists at its URI; findings cleared.
        Deleted => "deleted",
    }
}

vocabulary! {
    /// `classifications.sensitivity`.
    Sensitivity {
        /// Direct identifiers and secrets (SSN, card numbers, credentials, …).
        High => "HIGH",
        /// Contact data and quasi-identifiers (email, phone, address, …).
        Medium => "MEDIUM",
        /// Weakly identifying data (city, country, gender, …).
        Low => "LOW",
    }
}

vocabulary! {
    /// `classifications.method`: what the decision mainly rests on.
    Method {
        /// Values matched the entity's regular-expression pattern(s) (Hyperscan).
        Pattern => "pattern",
        /// Pattern matches that also passed a checksum/structure validator
        /// (Luhn, IBAN mod-97, SSN ranges, NHS mod-11, …).
        Validator => "validator",
        /// Values found in a dictionary / word list (first names, cities, …).
        Dictionary => "dictionary",
        /// The column name alone (`email`, `ssn`, …) suggested the entity.
        NameHint => "name_hint",
        /// The column's data type (e.g. a date of birth as a date type, binary blobs).
        Type => "type",
        /// A (masked) sample was confirmed by an LLM check.
        Llm => "llm",
    }
}

vocabulary! {
    /// `ingest_sources.format`: which parser read the file.
    IngestFormat {
        /// AWS S3 server access logs.
        S3 => "s3",
        /// CloudTrail log files (S3 data events).
        CloudTrail => "cloudtrail",
        /// Azure Storage logs (StorageBlobLogs JSON lines).
        Azure => "azure",
        /// OpenLineage run events (JSON Lines).
        OpenLineage => "openlineage",
    }
}

vocabulary! {
    /// `access_events.operation`: what an access did.
    AccessOperation {
        /// Object content was read (GET).
        Read => "read",
        /// An object was created or overwritten.
        Write => "write",
        /// An object was deleted.
        Delete => "delete",
        /// A listing.
        List => "list",
        /// Metadata only (HEAD).
        Head => "head",
        /// A server-side copy.
        Copy => "copy",
        /// Anything else (ACLs, tagging, …).
        Other => "other",
    }
}

vocabulary! {
    /// `access_events.log_format`.
    LogFormat {
        /// AWS S3 server access logs.
        S3 => "s3",
        /// AWS CloudTrail data events.
        CloudTrail => "cloudtrail",
        /// Azure Storage logs.
        Azure => "azure",
    }
}
