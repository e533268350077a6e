//! Reading a dataset as a stream of Arrow batches, in sample or full mode.
//!
//! * Parquet: the parquet crate's async reader over `object_store` (ranged
//!   reads: footer, then only the row groups the sample needs; the footer is
//!   read with explicit ranges from the listed size, which Azurite needs).
//! * CSV / JSON Lines: the tolerant streaming readers of `text.rs`.
//! * Delta: the live files of the latest version from the log, read as
//!   Parquet like the above when the scan reads file by file (sample mode)
//!   and the files are plain Parquet; else the `deltalake` crate's
//!   DataFusion table provider (the version is recorded either way).
//!
//! Batches go to a bounded channel, so memory stays at a few batches per
//! dataset whatever its size.

use crate::budget::{MemoryBudget, Reservation};
use crate::discover::{DatasetRef, FileRef};
use crate::error::LakeError;
use crate::format::Format;
use crate::pinned::PinnedParquetReader;
use crate::pushdown::{IdFilter, Pushdown, ScanFigures};
use crate::sample::{dataset_seed, mix, rate_for, row_mask};
use crate::text::{self, TextOptions};
use crate::uri::LakeLocation;
use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::{DateTime, Utc};
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::async_reader::ParquetRecordBatchStreamBuilder;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A flattened leaf column (JSON Lines). `path` has one segment per field;
/// list elements add none.
#[derive(Debug, Clone)]
pub struct FlatColumn {
    pub path: Vec<String>,
    pub array: ArrayRef,
    /// For each value of `array`, the record (0-based, within the chunk) it
    /// came from: several values share a record when it held a list, and a
    /// record missing the field has none.
    pub rows: Vec<u32>,
}

/// What a reader hands to the classifier.
#[derive(Debug, Clone)]
pub enum ChunkData {
    /// An Arrow batch, possibly with nested struct / list columns.
    Arrow(RecordBatch),
    /// Already-flattened leaves of `rows` records.
    Flat {
        rows: usize,
        columns: Vec<FlatColumn>,
    },
    /// The end of one file's batches (only when reading file by file,
    /// [`ReadOptions::file_by_file`]).
    FileEnd(FileRead),
}

/// One file read file by file: which object, and what it held.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRead {
    /// The object's path in the store (as [`FileRef::path`] spells it).
    pub path: String,
    /// Its canonical URI.
    pub object_uri: String,
    pub size: u64,
    pub e_tag: Option<String>,
    pub last_modified: DateTime<Utc>,
    /// Rows in the file (its footer).
    pub rows: u64,
    /// Rows of it handed to the consumer.
    pub rows_sampled: u64,
}

/// Files whose evidence the caller already holds from an earlier read:
/// object path → (size, ETag). A file is known when all three match.
#[derive(Debug, Clone, Default)]
pub struct KnownFiles(pub std::collections::HashMap<String, (u64, Option<String>)>);

impl KnownFiles {
    pub fn holds(&self, f: &FileRef) -> bool {
        self.0.get(f.path.as_ref()).is_some_and(|(size, e_tag)| {
            *size == f.size && same_e_tag(e_tag.as_deref(), f.e_tag.as_deref())
        })
    }
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Read every row (`--full`) instead of a sample.
    pub full: bool,
    /// Rows drawn per dataset in sample mode.
    pub sample_rows: u64,
    pub batch_size: usize,
    /// Share of malformed CSV / JSON rows above which the dataset fails.
    pub max_bad_row_share: f64,
    /// Read a Delta table at this version (time travel) instead of the latest.
    pub delta_version: Option<i64>,
    /// Read only these top-level fields (Parquet and Delta: column pruning;
    /// text formats are read whole anyway). `None`: every field. Partition
    /// columns are always added.
    pub columns: Option<Vec<String>>,
    /// The run's memory budget (default: unlimited). Every read reserves
    /// what it holds before it fetches (see `budget.rs`).
    pub memory: MemoryBudget,
    /// The consumer looks at each column on its own (the classifier does;
    /// rtbf, which needs whole rows, does not), so a big Parquet row group
    /// may be read a few columns at a time to stay within the budget.
    pub columns_apart: bool,
    /// Small text files fetched ahead of the one being parsed (1: none
    /// ahead; a benchmark baseline).
    pub prefetch_files: usize,
    /// Rows the caller wants (an exact identifier search): Parquet row
    /// groups and Delta files that cannot hold one are skipped. A hint, not
    /// a filter: rows outside it may still come (`pushdown.rs`).
    pub id_filter: Option<IdFilter>,
    /// Read a multi-file Parquet dataset or a Delta table file by file:
    /// each file's sample depends on that file alone, and its batches are
    /// followed by [`ChunkData::FileEnd`], so the consumer can keep each
    /// file's evidence apart. A Delta table is then read through the
    /// Parquet reader (footers, sampled row groups) when its files can be
    /// read as plain Parquet (no deletion vectors, no column mapping);
    /// [`ReadReport::file_by_file`] says whether it was.
    pub file_by_file: bool,
    /// File by file: files not to read at all (the caller holds their
    /// evidence); each one still live is listed in
    /// [`ReadReport::files_kept`].
    pub known_files: Option<Arc<KnownFiles>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            full: false,
            sample_rows: 2_000,
            batch_size: 8_192,
            max_bad_row_share: 0.10,
            delta_version: None,
            columns: None,
            memory: MemoryBudget::unlimited(),
            columns_apart: false,
            prefetch_files: TEXT_PREFETCH_FILES,
            id_filter: None,
            file_by_file: false,
            known_files: None,
        }
    }
}

/// Facts about one dataset read.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// Rows in the dataset (exact: footers, full text reads or the Delta
    /// scan; a Delta scan with an `id_filter` counts the rows it returned).
    pub row_count: u64,
    /// Rows handed to the classifier.
    pub rows_sampled: u64,
    /// Malformed rows skipped (CSV / JSON Lines).
    pub rows_skipped: u64,
    pub file_count: u64,
    pub bytes_total: u64,
    /// Bytes fetched: footers and the column chunks read (Parquet, Delta),
    /// whole files (text formats).
    pub bytes_read: u64,
    /// Files whose data was read (Parquet: a file whose every row group was
    /// skipped had only its footer read; Delta: files the scan opened).
    pub files_read: u64,
    /// Row groups read and skipped by `id_filter` (Delta: of opened files).
    pub row_groups_read: u64,
    pub row_groups_skipped: u64,
    /// Whether `id_filter` was pushed down.
    pub pushdown: Pushdown,
    /// Delta table version scanned.
    pub version: Option<i64>,
    /// A Delta table's versions still in its log (time travel can reach
    /// them), oldest first.
    pub delta_versions: Vec<DeltaVersion>,
    pub notes: Vec<String>,
    /// The dataset was read file by file (every file read was followed by
    /// [`ChunkData::FileEnd`]); `row_count`, `rows_sampled` and the byte
    /// counts then cover the files read, not `files_kept`.
    pub file_by_file: bool,
    /// File by file: live files left unread because the caller knew them
    /// (`ReadOptions::known_files`), as object paths.
    pub files_kept: Vec<String>,
}

/// A Delta table version that time travel can still reach, and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct DeltaVersion {
    pub version: i64,
    /// The commit's own timestamp (`commitInfo.timestamp`), else its log
    /// file's modification time.
    pub committed_at: Option<DateTime<Utc>>,
    /// `commitInfo.operation` (WRITE, DELETE, MERGE, …) — never its
    /// parameters, which can spell values (a DELETE predicate).
    pub operation: Option<String>,
    /// After this, a checkpoint may clean the version's log entry
    /// (`delta.logRetentionDuration`, default 30 days).
    pub log_expires_at: Option<DateTime<Utc>>,
    /// After this, VACUUM may delete files this version still reads: the next
    /// commit (which may have removed some) plus
    /// `delta.deletedFileRetentionDuration` (default 7 days). `None` for the
    /// latest version.
    pub files_vacuumable_at: Option<DateTime<Utc>>,
}

/// Commits whose `commitInfo` is read for its operation and timestamp (the
/// newest ones; older versions get their log file's time and no operation).
const DELTA_HISTORY_READS: usize = 100;

/// Reads datasets of one store.
pub struct Reader {
    store: Arc<dyn ObjectStore>,
    ctx: SessionContext,
}

impl Reader {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Reader {
            store,
            ctx: SessionContext::new(),
        }
    }

    /// Read `ds`, sending batches to `tx`. Returns when the dataset is read
    /// or the receiver is gone.
    pub async fn read(
        &self,
        loc: &LakeLocation,
        ds: &DatasetRef,
        opts: &ReadOptions,
        tx: mpsc::Sender<ChunkData>,
    ) -> Result<ReadReport, LakeError> {
        let mut report = ReadReport {
            file_count: ds.files.len() as u64,
            bytes_total: ds.bytes(),
            ..Default::default()
        };
        match &ds.format {
            Format::Parquet => self.read_parquet(loc, ds, opts, &tx, &mut report).await?,
            Format::Csv { .. } | Format::JsonLines { .. } => {
                self.read_text(loc, ds, opts, &tx, &mut report).await?
            }
            Format::Delta => self.read_delta(loc, ds, opts, &tx, &mut report).await?,
            Format::Unsupported { what } => {
                return Err(LakeError::corrupt(
                    &ds.dataset_uri,
                    format!("format {what} is not supported"),
                ))
            }
        }
        Ok(report)
    }

    async fn read_parquet(
        &self,
        loc: &LakeLocation,
        ds: &DatasetRef,
        opts: &ReadOptions,
        tx: &mpsc::Sender<ChunkData>,
        report: &mut ReadReport,
    ) -> Result<(), LakeError> {
        let seed = dataset_seed(&ds.relative_path, &version_tag(ds));
        let parts: Vec<ParquetPart> = ds
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| ParquetPart {
                file: f.clone(),
                // File by file, a file's sample depends on the file alone
                // (its evidence is kept and merged with later files').
                seed: if opts.file_by_file {
                    file_seed(ds, &f.path)
                } else {
                    seed ^ mix(i as u64)
                },
                delta: None,
            })
            .collect();
        report.file_by_file = opts.file_by_file;
        self.read_parquet_parts(loc, &parts, ds.bytes().max(1), opts, tx, report)
            .await
    }

    /// Read Parquet files one after another (a sample of each, sized by its
    /// share of `total_bytes`, or all of it), skipping those the caller
    /// already knows (`opts.known_files`); file by file, each file's batches
    /// are followed by [`ChunkData::FileEnd`].
    async fn read_parquet_parts(
        &self,
        loc: &LakeLocation,
        parts: &[ParquetPart],
        total_bytes: u64,
        opts: &ReadOptions,
        tx: &mpsc::Sender<ChunkData>,
        report: &mut ReadReport,
    ) -> Result<(), LakeError> {
        for part in parts {
            let file = &part.file;
            if opts.file_by_file {
                if let Some(known) = &opts.known_files {
                    if known.holds(file) {
                        report.files_kept.push(file.path.to_string());
                        continue;
                    }
                }
            }
            let uri = loc.uri_of(&file.path);
            // Every range is checked against the listed size and ETag: a file
            // overwritten mid-read fails instead of mixing two versions.
            let reader = PinnedParquetReader::new(
                self.store.clone(),
                file.path.clone(),
                file.size,
                file.e_tag.clone(),
            );
            let mut reader = reader;
            let meta = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
                .await
                .map_err(|e| parquet_error(&uri, e))?;
            let md = meta.metadata().clone();
            let file_rows: u64 = md.file_metadata().num_rows().max(0) as u64;
            report.row_count += file_rows;
            let rows_sampled_before = report.rows_sampled;
            let n_groups = md.num_row_groups();
            let data_bytes: u64 = (0..n_groups)
                .map(|i| md.row_group(i).compressed_size().max(0) as u64)
                .sum();
            let footer_bytes = file.size.saturating_sub(data_bytes);
            // This file's share of the sample, by size, raised so that its
            // sparsest column still yields about that many non-null values.
            let boost = null_boost(&md);
            let quota = (!opts.full).then(|| {
                ((opts.sample_rows as f64 * file.size as f64 / total_bytes as f64 * boost).ceil()
                    as u64)
                    .max(1)
            });
            if boost > 1.0 && !opts.full {
                report.notes.push(format!(
                    "{}: sample raised {boost:.1}x for columns that are mostly null",
                    file.name()
                ));
            }
            let mut groups = choose_row_groups(
                part.seed,
                (0..n_groups).map(|i| md.row_group(i).num_rows().max(0) as u64),
                quota,
            );
            // A row filter is not `Clone`: each stream below gets its own.
            let mut row_filtered = None;
            if let Some(filter) = &opts.id_filter {
                let schema = meta.schema();
                let descr = md.file_metadata().schema_descr();
                let pruned =
                    crate::pushdown::parquet_row_groups(filter, schema, &md, &file.partition)
                        .and_then(|keep| {
                            // Checked once here; rebuilt per stream.
                            crate::pushdown::parquet_row_filter(
                                filter,
                                schema,
                                descr,
                                &file.partition,
                            )?;
                            Ok(keep)
                        });
                match pruned {
                    Ok(keep) => {
                        let before = groups.len();
                        groups.retain(|&g| keep[g]);
                        report.row_groups_skipped += (before - groups.len()) as u64;
                        report.pushdown.merge(Pushdown::Applied);
                        row_filtered = Some(filter);
                    }
                    Err(why) => report.pushdown.merge(Pushdown::Refused(why)),
                }
            }
            report.row_groups_read += groups.len() as u64;
            report.files_read += u64::from(!groups.is_empty());
            let rows_in_groups: u64 = groups
                .iter()
                .map(|&i| md.row_group(i).num_rows() as u64)
                .sum();
            report.bytes_read += footer_bytes
                + groups
                    .iter()
                    .map(|&i| md.row_group(i).compressed_size().max(0) as u64)
                    .sum::<u64>();
            let rate = rate_for(quota, rows_in_groups);
            let roots: Vec<usize> = match &opts.columns {
                Some(names) => {
                    // Pruned: only the wanted columns' chunks are fetched.
                    let chunk_bytes: u64 = groups
                        .iter()
                        .map(|&g| {
                            let rg = md.row_group(g);
                            rg.columns()
                                .iter()
                                .filter(|c| {
                                    c.column_path()
                                        .parts()
                                        .first()
                                        .is_some_and(|root| names.iter().any(|n| n == root))
                                })
                                .map(|c| c.compressed_size().max(0) as u64)
                                .sum::<u64>()
                        })
                        .sum();
                    report.bytes_read -= groups
                        .iter()
                        .map(|&i| md.row_group(i).compressed_size().max(0) as u64)
                        .sum::<u64>();
                    report.bytes_read += chunk_bytes;
                    meta.schema()
                        .fields()
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| names.iter().any(|n| n == f.name()))
                        .map(|(i, _)| i)
                        .collect()
                }
                None => (0..meta.schema().fields().len()).collect(),
            };
            let file_seed = part.seed ^ mix(1);
            // Partition values (hive folders, or a Delta file's from the
            // log) and a Delta table's columns this file lacks: added once
            // per row, to the first unit of each row group.
            let complete = |batch: RecordBatch| -> Result<RecordBatch, LakeError> {
                match &part.delta {
                    Some(d) => d.conform(&uri, batch),
                    None => add_partition_columns(&uri, batch, file),
                }
            };
            // Row groups one at a time, each under a reservation of the run's
            // memory budget; a row group too big for one dataset's share is
            // read a few columns at a time when the consumer allows it.
            let mut group_first_row = 0u64;
            let mut split = false;
            for &g in &groups {
                let units = read_units(&md, g, &roots, opts);
                split |= units.len() > 1;
                for (unit_idx, unit) in units.iter().enumerate() {
                    let _held = opts.memory.reserve(unit.bytes).await;
                    let mask = parquet::arrow::ProjectionMask::roots(
                        md.file_metadata().schema_descr(),
                        unit.roots.iter().copied(),
                    );
                    let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(
                        reader.clone(),
                        meta.clone(),
                    )
                    .with_projection(mask)
                    .with_row_groups(vec![g])
                    .with_batch_size(opts.batch_size);
                    // The row filter needs whole rows: only on a row group read
                    // in one unit (an id filter is a hint, rows may pass anyway).
                    let row_filter = match row_filtered {
                        Some(filter) if units.len() == 1 => crate::pushdown::parquet_row_filter(
                            filter,
                            meta.schema(),
                            md.file_metadata().schema_descr(),
                            &file.partition,
                        )
                        .ok()
                        .flatten(),
                        _ => None,
                    };
                    let builder = match row_filter {
                        Some(f) => builder.with_row_filter(f),
                        None => builder,
                    };
                    let mut stream = builder.build().map_err(|e| parquet_error(&uri, e))?;
                    let mut row = group_first_row;
                    while let Some(batch) = stream.next().await {
                        let batch = batch.map_err(|e| parquet_error(&uri, e))?;
                        let len = batch.num_rows();
                        let batch = sample_batch(&uri, batch, file_seed, row, rate)?;
                        row += len as u64;
                        // Rows (and partition values) once per row group.
                        let batch = if unit_idx == 0 {
                            report.rows_sampled += batch.num_rows() as u64;
                            complete(batch)?
                        } else {
                            batch
                        };
                        if tx.send(ChunkData::Arrow(batch)).await.is_err() {
                            return Ok(());
                        }
                    }
                    // The unit's batches waiting in the channel are part of
                    // what it reserved: release it once the classifier has
                    // taken them all, not when the last one was sent.
                    if tx.reserve_many(tx.max_capacity()).await.is_err() {
                        return Ok(());
                    }
                }
                group_first_row += md.row_group(g).num_rows().max(0) as u64;
            }
            if split {
                report.notes.push(format!(
                    "{}: row groups larger than the memory budget's share were read a few columns at a time",
                    file.name()
                ));
            }
            if groups.is_empty() && report.rows_sampled == rows_sampled_before {
                // Zero-row file (or none of its rows sampled): still tell the
                // classifier which columns exist.
                let schema = meta.schema().clone();
                let batch = complete(RecordBatch::new_empty(schema))?;
                if tx.send(ChunkData::Arrow(batch)).await.is_err() {
                    return Ok(());
                }
            }
            if opts.file_by_file {
                let end = ChunkData::FileEnd(FileRead {
                    path: file.path.to_string(),
                    object_uri: uri.clone(),
                    size: file.size,
                    e_tag: file.e_tag.clone(),
                    last_modified: file.last_modified,
                    rows: file_rows,
                    rows_sampled: report.rows_sampled - rows_sampled_before,
                });
                if tx.send(end).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    async fn read_text(
        &self,
        loc: &LakeLocation,
        ds: &DatasetRef,
        opts: &ReadOptions,
        tx: &mpsc::Sender<ChunkData>,
        report: &mut ReadReport,
    ) -> Result<(), LakeError> {
        let seed = dataset_seed(&ds.relative_path, &version_tag(ds));
        let total_bytes = ds.bytes().max(1);
        // Small files are fetched a few ahead of the parser: on an object
        // store each costs a round trip more than its parsing. `buffered`
        // hands them over in file order, so findings never depend on which
        // response came first.
        //
        // The dataset reserves its working set once, before any fetch: the
        // parse of one file (its buffer and batches in flight, estimated from
        // the size) plus a window for bodies fetched ahead, which are taken
        // from that window only when it has room (never waiting).
        let expansion = match &ds.format {
            Format::Csv { compression, .. } | Format::JsonLines { compression }
                if *compression != crate::format::Compression::None =>
            {
                5
            }
            _ => 1,
        };
        let parse = ds
            .files
            .iter()
            .map(|f| f.size.saturating_mul(2 * expansion))
            .max()
            .unwrap_or(0)
            .min(TEXT_READ_RESERVATION);
        let small: u64 = ds
            .files
            .iter()
            .filter(|f| f.size <= TEXT_PREFETCH_MAX_BYTES)
            .map(|f| f.size.saturating_mul(2))
            .sum();
        let window_bytes = small.min(TEXT_PREFETCH_WINDOW);
        let _held = opts.memory.reserve(parse + window_bytes).await;
        let window = MemoryBudget::new(window_bytes, 1);
        let mut opened = futures::stream::iter(ds.files.iter())
            .map(|file| self.prefetch_text(loc, file, &window, window_bytes))
            .buffered(opts.prefetch_files.max(1));
        let mut file_idx = 0usize;
        while let Some(prefetched) = opened.next().await {
            let file = &ds.files[file_idx];
            file_idx += 1;
            let file_idx = file_idx - 1;
            let uri = loc.uri_of(&file.path);
            if file.size == 0 {
                report.notes.push(format!("{}: empty file", file.name()));
                continue;
            }
            let raw: Box<dyn std::io::Read + Send> = match prefetched? {
                Prefetched::Body(bytes, _in_window) => Box::new(std::io::Cursor::new(bytes)),
                Prefetched::NotYet => {
                    let got = self.get_unchanged(&uri, file).await?;
                    let stream = got.into_stream().map(|r| r.map_err(std::io::Error::other));
                    let async_read = tokio_util::io::StreamReader::new(stream);
                    Box::new(tokio_util::io::SyncIoBridge::new(async_read))
                }
            };
            let (compression, delimiter_hint, is_csv) = match &ds.format {
                Format::Csv {
                    compression,
                    delimiter_hint,
                } => (*compression, *delimiter_hint, true),
                Format::JsonLines { compression } => (*compression, None, false),
                _ => unreachable!("read_text is called for text formats only"),
            };
            let text_opts = TextOptions {
                batch_size: opts.batch_size,
                max_bad_share: opts.max_bad_row_share,
                delimiter_hint: delimiter_hint
                    .or_else(|| crate::format::from_name(&file.name()).delimiter_hint()),
                sample_rows: (!opts.full).then(|| {
                    ((opts.sample_rows as f64 * file.size as f64 / total_bytes as f64).ceil()
                        as u64)
                        .max(1)
                }),
                seed: seed ^ mix(file_idx as u64 + 1),
                size_hint: file.size,
                compression,
            };
            let tx2 = tx.clone();
            let partition_file = file.clone();
            let uri2 = uri.clone();
            let stats = tokio::task::spawn_blocking(move || {
                let mut emit = |chunk: ChunkData, _first_row: u64| -> bool {
                    let chunk = match chunk {
                        ChunkData::Arrow(b) if !partition_file.partition.is_empty() => {
                            match add_partition_columns(&uri2, b, &partition_file) {
                                Ok(b) => ChunkData::Arrow(b),
                                Err(_) => return false,
                            }
                        }
                        ChunkData::Flat { rows, mut columns } => {
                            add_flat_partition_columns(rows, &mut columns, &partition_file);
                            ChunkData::Flat { rows, columns }
                        }
                        other => other,
                    };
                    tx2.blocking_send(chunk).is_ok()
                };
                if is_csv {
                    text::read_csv(&uri2, raw, &text_opts, &mut emit)
                } else {
                    text::read_json_lines(&uri2, raw, &text_opts, &mut emit)
                }
            })
            .await
            .map_err(|e| LakeError::corrupt(&uri, format!("reader task failed: {e}")))??;
            report.row_count += stats.rows;
            report.rows_sampled += stats.rows_sampled;
            report.rows_skipped += stats.bad_rows;
            report.bytes_read += file.size;
            report.files_read += 1;
            if stats.bad_rows > 0 {
                report.notes.push(format!(
                    "{}: skipped {} malformed rows (first at line {})",
                    file.name(),
                    stats.bad_rows,
                    stats.first_bad_line
                ));
            }
            for n in stats.notes {
                report.notes.push(format!("{}: {n}", file.name()));
            }
        }
        Ok(())
    }

    /// GET `file`, refusing a body whose size or ETag is not the listed one.
    async fn get_unchanged(
        &self,
        uri: &str,
        file: &FileRef,
    ) -> Result<object_store::GetResult, LakeError> {
        let got = self
            .store
            .get(&file.path)
            .await
            .map_err(|e| LakeError::store(uri, &e))?;
        if got.meta.size != file.size
            || !same_e_tag(file.e_tag.as_deref(), got.meta.e_tag.as_deref())
        {
            return Err(LakeError::Store {
                uri: uri.to_string(),
                kind: crate::error::StoreErrorKind::Changed,
                detail: "changed between listing and reading".into(),
            });
        }
        Ok(got)
    }

    /// A small text file's whole body, fetched ahead when the dataset's
    /// prefetch window has room for it right now (never waiting: files are
    /// consumed in order, so a later one must not wait for an earlier one's
    /// room); anything else is fetched when its turn comes.
    async fn prefetch_text(
        &self,
        loc: &LakeLocation,
        file: &FileRef,
        window: &MemoryBudget,
        window_bytes: u64,
    ) -> Result<Prefetched, LakeError> {
        // The body, and as much again for the rows parsed from it.
        let need = file.size.saturating_mul(2);
        if file.size == 0 || file.size > TEXT_PREFETCH_MAX_BYTES || need > window_bytes {
            return Ok(Prefetched::NotYet);
        }
        let Some(held) = window.try_reserve(need) else {
            return Ok(Prefetched::NotYet);
        };
        let uri = loc.uri_of(&file.path);
        let got = self.get_unchanged(&uri, file).await?;
        let bytes = got.bytes().await.map_err(|e| LakeError::store(&uri, &e))?;
        Ok(Prefetched::Body(bytes, held))
    }

    async fn read_delta(
        &self,
        loc: &LakeLocation,
        ds: &DatasetRef,
        opts: &ReadOptions,
        tx: &mpsc::Sender<ChunkData>,
        report: &mut ReadReport,
    ) -> Result<(), LakeError> {
        let uri = &ds.dataset_uri;
        let mut url = loc.url_of(&ds.key);
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        let table = open_delta_table(loc, &self.store, url.clone(), opts.delta_version)
            .await
            .map_err(|e| LakeError::corrupt(uri, format!("cannot read the Delta log: {e}")))?;
        let version = table.version();
        report.version = version.map(|v| v as i64);
        report.delta_versions = self.delta_versions(ds, &table, report.version).await;
        // Live files as paths relative to the table folder (the log's `add`
        // paths, percent-decoded), compared with the listed keys relative to
        // the same folder: the same on every store.
        let snapshot = table
            .snapshot()
            .map_err(|e| LakeError::corrupt(uri, format!("cannot list Delta files: {e}")))?;
        let live: std::collections::HashMap<String, LiveDeltaFile> = snapshot
            .log_data()
            .into_iter()
            .map(|f| {
                (
                    table_relative(&url, &f.path()),
                    LiveDeltaFile {
                        partition: f.partition_values_map(),
                        deletion_vector: f.deletion_vector_descriptor().is_some(),
                    },
                )
            })
            .collect();
        let table_depth = ds.key.parts().count();
        let relative = |f: &FileRef| -> String {
            let rel: Vec<String> = f
                .path
                .parts()
                .skip(table_depth)
                .map(|p| crate::uri::decode(p.as_ref()))
                .collect();
            rel.join("/")
        };
        let live_files: Vec<&FileRef> = ds
            .files
            .iter()
            .filter(|f| live.contains_key(&relative(f)))
            .collect();
        report.file_count = live.len() as u64;
        report.bytes_total = live_files.iter().map(|f| f.size).sum();
        if opts.file_by_file {
            let plain = plain_parquet(snapshot, &live, live_files.len());
            match plain {
                Ok(schema) => {
                    let seed_of = |f: &FileRef| file_seed(ds, &f.path);
                    let parts: Vec<ParquetPart> = live_files
                        .iter()
                        .map(|f| {
                            let mut partition: Vec<(String, Option<String>)> = live
                                .get(&relative(f))
                                .map(|l| l.partition.clone().into_iter().collect())
                                .unwrap_or_default();
                            partition.sort();
                            ParquetPart {
                                file: (*f).clone(),
                                seed: seed_of(f),
                                delta: Some(DeltaPart {
                                    schema: schema.clone(),
                                    partition,
                                }),
                            }
                        })
                        .collect();
                    report.file_by_file = true;
                    return self
                        .read_parquet_parts(
                            loc,
                            &parts,
                            report.bytes_total.max(1),
                            opts,
                            tx,
                            report,
                        )
                        .await;
                }
                Err(why) => report.notes.push(format!(
                    "read through the Delta scan, not file by file: {why}"
                )),
            }
        }
        // DataFusion reads up to `target_partitions` files at once, a row
        // group each; a file's size bounds its row groups.
        let partitions = self.ctx.state().config().target_partitions().max(1) as u64;
        let largest = live_files.iter().map(|f| f.size).max().unwrap_or(0);
        let _held = opts
            .memory
            .reserve(largest.saturating_mul(partitions * 2))
            .await;
        table
            .update_datafusion_session(&self.ctx.state())
            .map_err(|e| LakeError::corrupt(uri, format!("cannot prepare the Delta scan: {e}")))?;
        let provider = table
            .table_provider()
            .await
            .map_err(|e| LakeError::corrupt(uri, format!("cannot open the Delta table: {e}")))?;
        let mut df = self
            .ctx
            .read_table(provider)
            .map_err(|e| LakeError::corrupt(uri, format!("cannot plan the Delta scan: {e}")))?;
        if let Some(names) = &opts.columns {
            let present: Vec<String> = df
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .filter(|n| names.contains(n))
                .collect();
            let present: Vec<&str> = present.iter().map(String::as_str).collect();
            df = df
                .select_columns(&present)
                .map_err(|e| LakeError::corrupt(uri, format!("cannot plan the Delta scan: {e}")))?;
        }
        if let Some(filter) = &opts.id_filter {
            let pushed = match filter.predicate(df.schema().as_arrow(), &[]) {
                Ok(predicate) => {
                    df = df.filter(predicate).map_err(|_| {
                        LakeError::corrupt(uri, "cannot plan the Delta scan with the id filter")
                    })?;
                    Pushdown::Applied
                }
                Err(why) => Pushdown::Refused(why),
            };
            report.pushdown = pushed;
        }
        // With an id filter, DataFusion's messages can spell its literals
        // (identifiers, some derived and never shown raw): left out.
        let filtered = report.pushdown == Pushdown::Applied;
        let detail = |what: &str, e: datafusion::error::DataFusionError| {
            if filtered {
                format!("{what} (with the id filter)")
            } else {
                format!("{what}: {e}")
            }
        };
        let plan = df
            .create_physical_plan()
            .await
            .map_err(|e| LakeError::corrupt(uri, detail("cannot plan the Delta scan", e)))?;
        let mut stream =
            datafusion::physical_plan::execute_stream(Arc::clone(&plan), self.ctx.task_ctx())
                .map_err(|e| LakeError::corrupt(uri, detail("cannot scan the Delta table", e)))?;
        // What the scan fetched, from its Parquet metrics (log reads apart).
        let record = |report: &mut ReadReport| {
            let fetched = ScanFigures::of(&plan);
            report.bytes_read = fetched.bytes;
            report.files_read = fetched.files;
            report.row_groups_read = fetched.row_groups_read;
            report.row_groups_skipped = fetched.row_groups_skipped;
        };
        // Row count first from the log's statistics when the sample needs a rate.
        let seed = dataset_seed(&ds.relative_path, &version.unwrap_or(0).to_string());
        let est_rows = estimate_rows(report.bytes_total);
        let rate = if opts.full {
            1.0
        } else {
            rate_for(Some(opts.sample_rows), est_rows)
        };
        let mut row = 0u64;
        while let Some(batch) = stream.next().await {
            let batch =
                batch.map_err(|e| LakeError::corrupt(uri, detail("Delta scan failed", e)))?;
            let len = batch.num_rows();
            report.row_count += len as u64;
            let batch = sample_batch(uri, batch, seed, row, rate)?;
            row += len as u64;
            report.rows_sampled += batch.num_rows() as u64;
            if tx.send(ChunkData::Arrow(batch)).await.is_err() {
                record(report);
                return Ok(());
            }
        }
        record(report);
        Ok(())
    }
}

impl Reader {
    /// The versions of `ds`'s log up to `latest`, with their retention.
    async fn delta_versions(
        &self,
        ds: &DatasetRef,
        table: &deltalake::DeltaTable,
        latest: Option<i64>,
    ) -> Vec<DeltaVersion> {
        use deltalake::table::config::TablePropertiesExt;
        let (log_retention, file_retention) = match table.snapshot() {
            Ok(s) => {
                let p = s.table_config();
                (
                    p.log_retention_duration(),
                    p.deleted_file_retention_duration(),
                )
            }
            Err(_) => return Vec::new(),
        };
        let chrono_of = |d: std::time::Duration| chrono::Duration::from_std(d).ok();
        let (log_retention, file_retention) = (chrono_of(log_retention), chrono_of(file_retention));
        let commits: Vec<&crate::discover::DeltaCommitFile> = ds
            .delta_commits
            .iter()
            .filter(|c| latest.is_none_or(|l| c.version as i64 <= l))
            .collect();
        let first_read = commits.len().saturating_sub(DELTA_HISTORY_READS);
        let infos = futures::future::join_all(
            commits[first_read..]
                .iter()
                .map(|c| commit_info(self.store.as_ref(), &c.path)),
        )
        .await;
        let mut out: Vec<DeltaVersion> = commits
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (ts, op) = i
                    .checked_sub(first_read)
                    .and_then(|j| infos[j].clone())
                    .unwrap_or((None, None));
                let committed_at = ts.or(Some(c.last_modified));
                DeltaVersion {
                    version: c.version as i64,
                    committed_at,
                    operation: op,
                    log_expires_at: committed_at.zip(log_retention).map(|(t, d)| t + d),
                    files_vacuumable_at: None,
                }
            })
            .collect();
        for i in 0..out.len().saturating_sub(1) {
            out[i].files_vacuumable_at = out[i + 1]
                .committed_at
                .zip(file_retention)
                .map(|(t, d)| t + d);
        }
        out
    }
}

/// The `commitInfo` action of one Delta commit file (`_delta_log/N.json`),
/// if it has one. A failed read or an odd file gives none: commit
/// information is worth reporting, never a reason to fail.
pub async fn delta_commit_info(
    store: &dyn ObjectStore,
    path: &object_store::path::Path,
) -> Option<serde_json::Value> {
    let bytes = store.get(path).await.ok()?.bytes().await.ok()?;
    bytes.split(|b| *b == b'\n').find_map(|line| {
        serde_json::from_slice::<serde_json::Value>(line)
            .ok()?
            .get_mut("commitInfo")
            .map(serde_json::Value::take)
    })
}

/// The `commitInfo` timestamp and operation of one commit file.
async fn commit_info(
    store: &dyn ObjectStore,
    path: &object_store::path::Path,
) -> Option<(Option<DateTime<Utc>>, Option<String>)> {
    let ci = delta_commit_info(store, path).await?;
    let ts = ci
        .get("inCommitTimestamp")
        .or(ci.get("timestamp"))
        .and_then(|t| t.as_i64())
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    // An operation is a short upper-case word; anything else is not kept (it
    // could be free text).
    let op = ci
        .get("operation")
        .and_then(|o| o.as_str())
        .filter(|o| {
            o.len() <= 40
                && o.chars()
                    .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '_')
        })
        .map(str::to_string);
    Some((ts, op))
}

/// Open a Delta table on `store` (the one `store::open_store` built, so the
/// log and the data files are read with the same credentials, endpoint,
/// retries and timeouts as everything else). `table_url` ends with `/`.
async fn open_delta_table(
    loc: &LakeLocation,
    store: &Arc<dyn ObjectStore>,
    table_url: url::Url,
    version: Option<i64>,
) -> Result<deltalake::DeltaTable, deltalake::DeltaTableError> {
    register_delta_handlers();
    let version = version.map(|v| v.max(0) as deltalake::kernel::Version);
    match (&loc.kind, version) {
        // delta-rs builds its own local store (file URLs map to paths).
        (crate::uri::StoreKind::Local, None) => deltalake::open_table(table_url).await,
        (crate::uri::StoreKind::Local, Some(v)) => {
            deltalake::open_table_with_version(table_url, v).await
        }
        (_, v) => {
            let mut b = deltalake::DeltaTableBuilder::from_url(table_url.clone())?
                .with_storage_backend(store.clone(), table_url);
            if let Some(v) = v {
                b = b.with_version(v);
            }
            b.load().await
        }
    }
}

/// delta-rs finds log stores by URL scheme in a registry its S3 / Azure
/// crates fill in. The `deltalake` crate does that from a constructor at
/// load time; doing it explicitly (once) does not depend on the linker
/// keeping those constructors.
fn register_delta_handlers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        deltalake::aws::register_handlers(None);
        deltalake::azure::register_handlers(None);
    });
}

/// A Delta `add` path (percent-decoded; relative, or an absolute URL inside
/// the table) as a path relative to the table folder `table_url`.
fn table_relative(table_url: &url::Url, path: &str) -> String {
    if path.contains("://") {
        let root = crate::uri::decode(table_url.as_str());
        if let Some(rel) = path.strip_prefix(root.as_str()) {
            return rel.trim_start_matches('/').to_string();
        }
    }
    path.trim_start_matches('/').to_string()
}

/// Whether the ETag seen when listing still holds when reading. Stores do
/// not quote ETags alike in listings and in GET headers (Azurite's listing
/// has `0x8D…`, its GET `"0x8D…"`), so quotes and the weak prefix are ignored.
pub(crate) fn same_e_tag(listed: Option<&str>, got: Option<&str>) -> bool {
    let norm = |t: &str| {
        t.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    match (listed, got) {
        (Some(a), Some(b)) => norm(a) == norm(b),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

/// The most a sample is raised for mostly-null columns: a column 90 % null
/// still gets the full number of non-null values; sparser ones get fewer
/// (and the finding's `sampled_values` says how many).
pub(crate) const MAX_NULL_BOOST: f64 = 10.0;

/// How much more than `--sample-rows` a file's sample must draw so that its
/// sparsest column — by the footer's null counts; all-null columns aside,
/// they hold nothing — yields as many non-null values as a full column would
/// (the sampling guarantee is about non-null values). 1.0 without statistics.
/// Text files fetched ahead of the one being parsed, and the largest size
/// fetched whole that way (bigger files are streamed when their turn comes).
pub const TEXT_PREFETCH_FILES: usize = 8;
const TEXT_PREFETCH_MAX_BYTES: u64 = 4 << 20;
/// The most a text dataset holds in bodies fetched ahead.
const TEXT_PREFETCH_WINDOW: u64 = 32 << 20;

/// A text file as [`Reader::prefetch_text`] left it.
enum Prefetched {
    /// The whole body, with its room in the dataset's prefetch window.
    Body(bytes::Bytes, Reservation),
    NotYet,
}

/// The most a CSV / JSON Lines file read reserves: a 256 KiB buffer and a
/// few batches of rows.
const TEXT_READ_RESERVATION: u64 = 48 << 20;

/// Decoded batches of one read that can be alive at once: the channel to
/// the classifier holds 4, plus the one being decoded and the one being
/// classified, which the classifier copies once more (its values joined
/// for matching) and holds matches for.
const BATCHES_IN_FLIGHT: u64 = 8;

/// A live file of a Delta table, as its log says.
struct LiveDeltaFile {
    partition: std::collections::HashMap<String, Option<String>>,
    deletion_vector: bool,
}

/// The table's Arrow schema when its live files can be read as plain
/// Parquet files (every one listed, no deletion vector to apply, no column
/// mapping renaming physical columns); else why not.
fn plain_parquet(
    snapshot: &deltalake::table::state::DeltaTableState,
    live: &std::collections::HashMap<String, LiveDeltaFile>,
    listed: usize,
) -> Result<arrow::datatypes::SchemaRef, String> {
    use deltalake::kernel::engine::arrow_conversion::TryIntoArrow;
    let mapping = snapshot
        .table_config()
        .column_mapping_mode
        .map(|m| format!("{m:?}"));
    if mapping.as_deref().is_some_and(|m| m != "None") {
        return Err("the table maps column names".into());
    }
    if live.values().any(|f| f.deletion_vector) {
        return Err("some files have deletion vectors".into());
    }
    if listed != live.len() {
        return Err("some live files are not in the table's folder".into());
    }
    let schema: Schema = snapshot
        .schema()
        .as_ref()
        .try_into_arrow()
        .map_err(|e| format!("its schema has no Arrow form ({e})"))?;
    Ok(Arc::new(schema))
}

/// One Parquet file of a dataset to read, with its sampling seed and, for
/// a Delta table read as Parquet, what the log says of it.
struct ParquetPart {
    file: FileRef,
    seed: u64,
    delta: Option<DeltaPart>,
}

/// A Delta data file as the table sees it: its partition values from the
/// log, and the table's columns (which a file written before a column was
/// added lacks: they read as nulls, as Delta readers show them).
struct DeltaPart {
    schema: arrow::datatypes::SchemaRef,
    /// (column, value as the log spells it; `None`: null), in table order.
    partition: Vec<(String, Option<String>)>,
}

impl DeltaPart {
    /// The batch with the table's columns in the table's order: partition
    /// values typed as the schema says (text when the log's spelling does
    /// not parse), missing columns as nulls.
    fn conform(&self, uri: &str, batch: RecordBatch) -> Result<RecordBatch, LakeError> {
        let rows = batch.num_rows();
        let mut fields = Vec::with_capacity(self.schema.fields().len());
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        let own = batch.schema();
        for f in self.schema.fields() {
            if let Some((_, v)) = self.partition.iter().find(|(k, _)| k == f.name()) {
                let text: ArrayRef = Arc::new(StringArray::from(vec![v.as_deref(); rows]));
                let typed = arrow::compute::cast(&text, f.data_type())
                    .ok()
                    .filter(|a| a.null_count() == text.null_count());
                match typed {
                    Some(a) => {
                        fields.push(Arc::new(Field::new(f.name(), f.data_type().clone(), true)));
                        cols.push(a);
                    }
                    None => {
                        fields.push(Arc::new(Field::new(f.name(), DataType::Utf8, true)));
                        cols.push(text);
                    }
                }
            } else if let Ok(i) = own.index_of(f.name()) {
                fields.push(Arc::new(own.field(i).clone()));
                cols.push(batch.column(i).clone());
            } else {
                fields.push(Arc::new(Field::new(f.name(), f.data_type().clone(), true)));
                cols.push(arrow::array::new_null_array(f.data_type(), rows));
            }
        }
        // A column the file has and the table does not (not written by a
        // Delta writer): kept, so nothing read goes unclassified.
        for (f, c) in own.fields().iter().zip(batch.columns()) {
            if self.schema.index_of(f.name()).is_err() {
                fields.push(f.clone());
                cols.push(c.clone());
            }
        }
        RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
            .map_err(|e| LakeError::corrupt(uri, format!("cannot add the table's columns: {e}")))
    }
}

/// The sampling seed of one file read file by file: its dataset's path and
/// its own below the dataset, nothing else (not its index, not the other
/// files, not the store), so the same file is sampled alike whenever and
/// wherever it is read.
fn file_seed(ds: &DatasetRef, path: &object_store::path::Path) -> u64 {
    let below: Vec<String> = match path.prefix_match(&ds.key) {
        Some(parts) => parts.map(|p| crate::uri::decode(p.as_ref())).collect(),
        None => vec![crate::uri::decode(path.as_ref())],
    };
    dataset_seed(&ds.relative_path, &format!("file:{}", below.join("/")))
}

/// One fetch-and-decode of a row group: some of its top-level columns, and
/// the bytes it holds while running (fetched chunks + decoded batches).
#[derive(Debug, Clone, PartialEq)]
struct ReadUnit {
    roots: Vec<usize>,
    bytes: u64,
}

/// How to read row group `g`: all `roots` at once, or, when that exceeds the
/// memory budget's share of one dataset and the consumer looks at columns
/// apart, groups of columns that each fit (a column bigger than the share
/// alone). The bound is then about one column chunk per dataset.
fn read_units(
    md: &parquet::file::metadata::ParquetMetaData,
    g: usize,
    roots: &[usize],
    opts: &ReadOptions,
) -> Vec<ReadUnit> {
    let rg = md.row_group(g);
    let rows = rg.num_rows().max(1) as u64;
    let batch_rows = (opts.batch_size as u64).min(rows);
    let descr = md.file_metadata().schema_descr();
    let cost = |root: usize| -> u64 {
        rg.columns()
            .iter()
            .enumerate()
            .filter(|(leaf, _)| descr.get_column_root_idx(*leaf) == root)
            .map(|(_, c)| {
                let fetched = c.compressed_size().max(0) as u64;
                let decoded = c.uncompressed_size().max(0) as u64 * batch_rows / rows;
                fetched + BATCHES_IN_FLIGHT * decoded
            })
            .sum()
    };
    let costs: Vec<u64> = roots.iter().map(|&r| cost(r)).collect();
    let whole = ReadUnit {
        roots: roots.to_vec(),
        bytes: costs.iter().sum(),
    };
    let share = match opts.memory.share() {
        Some(share) if opts.columns_apart && whole.bytes > share && roots.len() > 1 => share,
        _ => return vec![whole],
    };
    let mut units: Vec<ReadUnit> = Vec::new();
    for (&root, &c) in roots.iter().zip(&costs) {
        match units.last_mut() {
            Some(u) if u.bytes + c <= share => {
                u.roots.push(root);
                u.bytes += c;
            }
            _ => units.push(ReadUnit {
                roots: vec![root],
                bytes: c,
            }),
        }
    }
    units
}

fn null_boost(md: &parquet::file::metadata::ParquetMetaData) -> f64 {
    let n_cols = md.file_metadata().schema_descr().num_columns();
    let mut worst_non_null = 1.0f64;
    for c in 0..n_cols {
        let (mut nulls, mut values) = (0u64, 0u64);
        let mut known = true;
        for rg in md.row_groups() {
            let col = rg.column(c);
            match col.statistics().and_then(|s| s.null_count_opt()) {
                Some(n) => {
                    nulls += n;
                    values += col.num_values().max(0) as u64;
                }
                None => known = false,
            }
        }
        if !known || values == 0 || nulls >= values {
            continue;
        }
        worst_non_null = worst_non_null.min((values - nulls) as f64 / values as f64);
    }
    (1.0 / worst_non_null).clamp(1.0, MAX_NULL_BOOST)
}

/// Rough row estimate from compressed bytes, for sampling rates only.
fn estimate_rows(bytes: u64) -> u64 {
    (bytes / 40).max(1)
}

/// The data-version part of the sampling seed: Delta version, else the
/// files' sizes (stable across stores, unlike mtimes and ETags).
fn version_tag(ds: &DatasetRef) -> String {
    let sizes: u64 = ds.files.iter().map(|f| f.size).sum();
    format!("{}:{sizes}", ds.files.len())
}

/// Pick row groups in a seeded order until their rows reach `quota`
/// (`None`: all). Returned in file order.
fn choose_row_groups(seed: u64, rows: impl Iterator<Item = u64>, quota: Option<u64>) -> Vec<usize> {
    let rows: Vec<u64> = rows.collect();
    let Some(quota) = quota else {
        return (0..rows.len()).collect();
    };
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| mix(seed ^ mix(i as u64)));
    let mut chosen = Vec::new();
    let mut got = 0u64;
    for i in order {
        if got >= quota {
            break;
        }
        chosen.push(i);
        got += rows[i];
    }
    chosen.sort_unstable();
    chosen
}

fn sample_batch(
    uri: &str,
    batch: RecordBatch,
    seed: u64,
    first_row: u64,
    rate: f64,
) -> Result<RecordBatch, LakeError> {
    match row_mask(seed, first_row, batch.num_rows(), rate) {
        None => Ok(batch),
        Some(mask) => arrow::compute::filter_record_batch(&batch, &mask)
            .map_err(|e| LakeError::corrupt(uri, format!("sampling failed: {e}"))),
    }
}

/// Hive partition values become Utf8 columns (unless the file has a column of that name).
fn add_partition_columns(
    uri: &str,
    batch: RecordBatch,
    file: &FileRef,
) -> Result<RecordBatch, LakeError> {
    if file.partition.is_empty() {
        return Ok(batch);
    }
    let schema = batch.schema();
    let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    for (k, v) in &file.partition {
        if schema.field_with_name(k).is_ok() {
            continue;
        }
        fields.push(Arc::new(Field::new(k, DataType::Utf8, true)));
        cols.push(Arc::new(StringArray::from(vec![
            v.as_str();
            batch.num_rows()
        ])));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
        .map_err(|e| LakeError::corrupt(uri, format!("cannot add partition columns: {e}")))
}

/// The same for flattened JSON records: one value per record.
fn add_flat_partition_columns(rows: usize, columns: &mut Vec<FlatColumn>, file: &FileRef) {
    for (k, v) in &file.partition {
        if columns.iter().any(|c| c.path.len() == 1 && &c.path[0] == k) {
            continue;
        }
        columns.push(FlatColumn {
            path: vec![k.clone()],
            array: Arc::new(StringArray::from(vec![v.as_str(); rows])),
            rows: (0..rows as u32).collect(),
        });
    }
}

fn parquet_error(uri: &str, e: parquet::errors::ParquetError) -> LakeError {
    use parquet::errors::ParquetError as P;
    if crate::pinned::is_changed(&e) {
        return LakeError::Store {
            uri: uri.to_string(),
            kind: crate::error::StoreErrorKind::Changed,
            detail: "changed between listing and reading".into(),
        };
    }
    if let P::External(inner) = &e {
        if let Some(store_err) = inner.downcast_ref::<object_store::Error>() {
            return LakeError::store(uri, store_err);
        }
    }
    let detail = match &e {
        P::EOF(_) => "truncated or corrupt Parquet file (unexpected end of file)".to_string(),
        P::General(m) if m.contains("magic") || m.contains("footer") => {
            format!("not a valid Parquet file ({})", crate::error::sanitize(m))
        }
        other => format!("corrupt Parquet file: {other}"),
    };
    LakeError::corrupt(uri, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_tags_compare_without_quotes() {
        assert!(same_e_tag(Some("0x8DD"), Some("\"0x8DD\"")));
        assert!(same_e_tag(Some("W/\"abc\""), Some("\"abc\"")));
        assert!(!same_e_tag(Some("\"abc\""), Some("\"abd\"")));
        assert!(!same_e_tag(Some("abc"), None));
        assert!(same_e_tag(None, Some("abc")));
    }

    #[test]
    fn delta_add_paths_relative_to_the_table() {
        let url = url::Url::parse("s3://b/lake/t/").unwrap();
        assert_eq!(table_relative(&url, "part-0.parquet"), "part-0.parquet");
        assert_eq!(
            table_relative(&url, "s3://b/lake/t/x=1/p.parquet"),
            "x=1/p.parquet"
        );
    }

    #[test]
    fn row_group_choice_is_deterministic_and_meets_quota() {
        let a = choose_row_groups(7, [100u64; 50].into_iter(), Some(450));
        let b = choose_row_groups(7, [100u64; 50].into_iter(), Some(450));
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            choose_row_groups(7, [10u64; 3].into_iter(), None),
            vec![0, 1, 2]
        );
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::discover::{discover, DatasetKind};

    async fn datasets(loc: &LakeLocation, store: Arc<dyn ObjectStore>) -> Vec<DatasetRef> {
        let (tx, mut rx) = mpsc::channel(16);
        discover(store, loc, tx).await.unwrap();
        let mut out = Vec::new();
        while let Some(d) = rx.recv().await {
            out.push(d.unwrap());
        }
        out.sort_by(|a, b| a.dataset_uri.cmp(&b.dataset_uri));
        out
    }

    #[tokio::test]
    async fn part_files_fetched_ahead_arrive_in_file_order_under_any_budget() {
        // 40 parts of a Spark-style folder, each row numbered: whatever the
        // fetch order, the classifier must see part-00000's rows first.
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("events");
        std::fs::create_dir(&folder).unwrap();
        for p in 0..40 {
            let mut body = String::from("n,email\n");
            for r in 0..25 {
                body.push_str(&format!("{},u{r}@example.com\n", p * 25 + r));
            }
            std::fs::write(folder.join(format!("part-{p:05}.csv")), body).unwrap();
        }
        let loc = LakeLocation::parse(dir.path().to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store.clone()).await;
        assert_eq!(ds.len(), 1);
        for memory in [
            MemoryBudget::unlimited(),
            MemoryBudget::new(1 << 20, 4),
            MemoryBudget::new(1, 1),
        ] {
            let opts = ReadOptions {
                full: true,
                memory,
                ..Default::default()
            };
            let (tx, mut rx) = mpsc::channel(4);
            let reader = Reader::new(store.clone());
            let collect = tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some(chunk) = rx.recv().await {
                    let ChunkData::Arrow(b) = chunk else {
                        panic!("CSV gives Arrow batches")
                    };
                    let col = b.column_by_name("n").unwrap();
                    let col = arrow::compute::cast(col, &DataType::Int64).unwrap();
                    let ints = col
                        .as_any()
                        .downcast_ref::<arrow::array::Int64Array>()
                        .unwrap();
                    seen.extend(ints.iter().flatten());
                }
                seen
            });
            let report = reader.read(&loc, &ds[0], &opts, tx).await.unwrap();
            let seen = collect.await.unwrap();
            assert_eq!(report.row_count, 1000);
            assert_eq!(seen, (0..1000).collect::<Vec<i64>>());
        }
    }

    #[tokio::test]
    async fn a_file_that_vanishes_after_listing_fails_its_dataset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "email\nx@example.com\n").unwrap();
        let loc = LakeLocation::parse(dir.path().to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store.clone()).await;
        assert_eq!(ds.len(), 1);
        std::fs::remove_file(dir.path().join("a.csv")).unwrap();
        let (tx, _rx) = mpsc::channel(4);
        let err = Reader::new(store)
            .read(&loc, &ds[0], &ReadOptions::default(), tx)
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(err.to_string().contains("a.csv"), "{err}");
    }

    #[tokio::test]
    async fn a_parquet_file_overwritten_after_listing_is_not_read_as_mixed_versions() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.parquet");
        let write = |rows: usize| {
            let emails: Vec<String> = (0..rows).map(|i| format!("u{i}@example.com")).collect();
            let batch = RecordBatch::try_from_iter([(
                "email",
                Arc::new(StringArray::from(emails)) as ArrayRef,
            )])
            .unwrap();
            let mut w = parquet::arrow::ArrowWriter::try_new(
                std::fs::File::create(&file).unwrap(),
                batch.schema(),
                None,
            )
            .unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        };
        write(10);
        let loc = LakeLocation::parse(dir.path().to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store.clone()).await;
        let (tx, mut rx) = mpsc::channel(4);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let report = Reader::new(store.clone())
            .read(&loc, &ds[0], &ReadOptions::default(), tx)
            .await
            .unwrap();
        drain.await.unwrap();
        assert_eq!(report.row_count, 10);
        write(20);
        let (tx, _rx) = mpsc::channel(4);
        let err = Reader::new(store)
            .read(&loc, &ds[0], &ReadOptions::default(), tx)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("changed between listing and reading"),
            "{err}"
        );
        assert!(err.to_string().contains("a.parquet"), "{err}");
    }

    #[tokio::test]
    async fn a_mostly_null_column_raises_the_parquet_sample() {
        let dir = tempfile::tempdir().unwrap();
        let rows = 40_000usize;
        // `notes` is 90 % null: 2,000 sampled rows would hold ~200 values.
        let notes: Vec<Option<String>> = (0..rows)
            .map(|i| (i % 10 == 0).then(|| format!("note {i}")))
            .collect();
        let ids: Vec<String> = (0..rows).map(|i| format!("id-{i}")).collect();
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("notes", Arc::new(StringArray::from(notes)) as ArrayRef),
        ])
        .unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(
            std::fs::File::create(dir.path().join("t.parquet")).unwrap(),
            batch.schema(),
            None,
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let loc = LakeLocation::parse(dir.path().to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store.clone()).await;
        let (tx, mut rx) = mpsc::channel(4);
        let count = tokio::spawn(async move {
            let mut non_null = 0usize;
            while let Some(ChunkData::Arrow(b)) = rx.recv().await {
                let c = b.column_by_name("notes").unwrap();
                non_null += c.len() - c.null_count();
            }
            non_null
        });
        let report = Reader::new(store)
            .read(&loc, &ds[0], &ReadOptions::default(), tx)
            .await
            .unwrap();
        let non_null = count.await.unwrap();
        assert!(non_null >= 1_800, "{non_null} non-null notes sampled");
        assert!(report.rows_sampled < rows as u64, "still a sample");
        assert!(
            report.notes.iter().any(|n| n.contains("mostly null")),
            "{:?}",
            report.notes
        );
    }

    #[tokio::test]
    async fn hive_partition_keys_are_columns_of_json_lines_too() {
        let dir = tempfile::tempdir().unwrap();
        for day in ["2024-05-30", "2024-05-31"] {
            let part = dir.path().join("clicks").join(format!("day={day}"));
            std::fs::create_dir_all(&part).unwrap();
            std::fs::write(
                part.join("e.jsonl"),
                "{\"ip\":\"81.2.69.160\"}\n{\"ip\":\"81.2.69.161\"}\n",
            )
            .unwrap();
        }
        let loc = LakeLocation::parse(dir.path().to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store.clone()).await;
        assert_eq!(ds.len(), 1, "one partitioned dataset");
        let (tx, mut rx) = mpsc::channel(4);
        let days = tokio::spawn(async move {
            let mut days = Vec::new();
            while let Some(chunk) = rx.recv().await {
                let ChunkData::Flat { rows, columns } = chunk else {
                    panic!("JSON Lines give flat chunks");
                };
                let day = columns
                    .iter()
                    .find(|c| c.path == ["day"])
                    .expect("day column");
                assert_eq!(day.rows.len(), rows);
                let a = day.array.as_any().downcast_ref::<StringArray>().unwrap();
                days.extend(a.iter().map(|v| v.unwrap().to_string()));
            }
            days.sort();
            days
        });
        Reader::new(store)
            .read(&loc, &ds[0], &ReadOptions::default(), tx)
            .await
            .unwrap();
        assert_eq!(
            days.await.unwrap(),
            ["2024-05-30", "2024-05-30", "2024-05-31", "2024-05-31"]
        );
    }

    #[tokio::test]
    async fn discovery_groups_partitions_parts_and_skips_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        for f in [
            "sales/region=eu/year=2024/part-0.csv",
            "sales/region=us/year=2024/part-0.csv",
            "sales/_SUCCESS",
            "spark/part-00000.csv",
            "spark/part-00001.csv",
            "spark/.part-00000.csv.crc",
            "_tmp/x.csv",
            ".hidden/y.csv",
            "single.jsonl",
            "notes.xlsx",
        ] {
            let path = p.join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "a\n1\n").unwrap();
        }
        let loc = LakeLocation::parse(p.to_str().unwrap()).unwrap();
        let store = crate::open_store(&loc).unwrap();
        let ds = datasets(&loc, store).await;
        let names: Vec<(String, DatasetKind, usize)> = ds
            .iter()
            .map(|d| (d.relative_path.clone(), d.kind, d.files.len()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("notes.xlsx".to_string(), DatasetKind::File, 1),
                ("sales".to_string(), DatasetKind::Partitioned, 2),
                ("single.jsonl".to_string(), DatasetKind::File, 1),
                ("spark".to_string(), DatasetKind::Folder, 2),
            ]
        );
        let sales = &ds[1];
        assert_eq!(sales.partition_keys, vec!["region", "year"]);
        assert_eq!(
            sales.files[0].partition,
            vec![
                ("region".into(), "eu".into()),
                ("year".into(), "2024".into())
            ]
        );
        assert!(!ds[0].format.is_supported());
    }
}
