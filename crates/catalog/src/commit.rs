//! A change to the catalog, applied atomically by [`crate::Catalog::commit`].

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::RecordBatch;

use crate::batch::{batch_keys, conform_batch, duplicate_key, filter_by_keys, validate_batch};
use crate::error::CatalogError;
use crate::rows::{
    rows_to_batch, CatalogRow, ClassificationRow, ColumnRow, DatasetFileRow, DatasetRow,
    DatasetVersionRow, DateHistogramRow, FileEvidenceRow, LlmAnswerRow, ScanRunRow,
};
use crate::schema::Table;

/// A set of replacements: for each table, "all rows of these keys are replaced by these
/// rows" (possibly none). A commit is applied as one manifest swap: readers see all of it
/// or none of it.
///
/// Calls are applied in order: a later call for the same table and key replaces what an
/// earlier call of the same commit put there. Invalid input (a batch that does not fit
/// its table, findings without their dataset row) is reported by
/// [`crate::Catalog::commit`], which then commits nothing.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub(crate) tables: BTreeMap<Table, TableChange>,
    /// dataset_uri → run_id of the datasets to mark `deleted` (resolved against the
    /// manifest the commit is applied to).
    pub(crate) deletions: BTreeMap<String, String>,
    pub(crate) errors: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct TableChange {
    /// Every key whose rows this commit replaces.
    pub(crate) keys: BTreeSet<String>,
    /// The new rows (conformed to the table schema and validated).
    pub(crate) batches: Vec<RecordBatch>,
}

impl TableChange {
    pub(crate) fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

impl Commit {
    /// An empty commit.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when the commit changes nothing.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.deletions.is_empty() && self.errors.is_empty()
    }

    /// Errors recorded while the commit was built, and tables holding one row per key
    /// given two rows of a key.
    pub(crate) fn check(&self) -> Result<(), CatalogError> {
        if !self.errors.is_empty() {
            return Err(CatalogError::InvalidCommit(self.errors.join("; ")));
        }
        for (&t, ch) in &self.tables {
            if t.one_row_per_key() {
                if let Some(k) = duplicate_key(t, &ch.batches)? {
                    return Err(CatalogError::InvalidCommit(format!(
                        "{t}: several rows for {} {k}",
                        t.key_column()
                    )));
                }
            }
        }
        Ok(())
    }

    /// The datasets this commit replaces, marks deleted or otherwise touches.
    pub fn dataset_uris(&self) -> BTreeSet<String> {
        self.tables
            .iter()
            .filter(|(t, _)| t.is_dataset_keyed())
            .flat_map(|(_, c)| c.keys.iter().cloned())
            .collect()
    }

    /// Replaces everything the catalog holds about these datasets in `datasets`,
    /// `columns` and `classifications`: the affected datasets are every `dataset_uri` of
    /// the three lists, and each must have a row in `datasets`. A dataset with no
    /// columns / classifications here has its old ones cleared, and so are its
    /// `dataset_files` and `dataset_versions` rows (give the new ones with
    /// [`Commit::put_dataset_files`] / [`Commit::put_dataset_versions`]).
    pub fn replace_datasets(
        &mut self,
        datasets: Vec<DatasetRow>,
        columns: Vec<ColumnRow>,
        classifications: Vec<ClassificationRow>,
    ) {
        let with_row: BTreeSet<&str> = datasets.iter().map(|d| d.dataset_uri.as_str()).collect();
        let orphan = columns
            .iter()
            .map(|c| c.dataset_uri.as_str())
            .chain(classifications.iter().map(|c| c.dataset_uri.as_str()))
            .find(|u| !with_row.contains(u));
        if let Some(uri) = orphan {
            self.errors.push(format!(
                "replace_datasets: findings for {uri} without its datasets row"
            ));
            return;
        }
        let keys: Vec<String> = with_row.iter().map(|s| s.to_string()).collect();
        self.replace_batches(
            Table::Datasets,
            keys.clone(),
            vec![rows_to_batch(&datasets)],
        );
        self.replace_batches(Table::Columns, keys.clone(), vec![rows_to_batch(&columns)]);
        self.replace_batches(
            Table::Classifications,
            keys.clone(),
            vec![rows_to_batch(&classifications)],
        );
        for t in [
            Table::DatasetFiles,
            Table::DatasetVersions,
            Table::DateHistograms,
            Table::FileEvidence,
        ] {
            self.replace_batches(t, keys.clone(), Vec::new());
        }
    }

    /// Sets the objects a dataset's scan listed (after [`Commit::replace_datasets`]
    /// of the same datasets in this commit, which clears the old ones).
    pub fn put_dataset_files(&mut self, files: Vec<DatasetFileRow>) {
        self.put_dataset_rows(files);
    }

    /// Sets a Delta table's reachable versions (after [`Commit::replace_datasets`]).
    pub fn put_dataset_versions(&mut self, versions: Vec<DatasetVersionRow>) {
        self.put_dataset_rows(versions);
    }

    /// Sets a dataset's date-column histograms (after [`Commit::replace_datasets`]).
    pub fn put_date_histograms(&mut self, months: Vec<DateHistogramRow>) {
        self.put_dataset_rows(months);
    }

    /// Sets the per-file evidence of datasets read file by file (after
    /// [`Commit::replace_datasets`]).
    pub fn put_file_evidence(&mut self, rows: Vec<FileEvidenceRow>) {
        self.put_dataset_rows(rows);
    }

    /// Rows of a dataset-keyed table, replacing those of their datasets.
    fn put_dataset_rows<T: CatalogRow>(&mut self, rows: Vec<T>) {
        if rows.is_empty() {
            return;
        }
        let keys: Vec<String> = rows
            .iter()
            .map(|r| r.key().to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        self.replace_batches(T::TABLE, keys, vec![rows_to_batch(&rows)]);
    }

    /// Inserts or replaces a scan run (by `run_id`).
    pub fn put_run(&mut self, run: ScanRunRow) {
        let key = run.run_id.clone();
        self.replace_batches(
            Table::ScanRuns,
            vec![key],
            vec![rows_to_batch(std::slice::from_ref(&run))],
        );
    }

    /// Inserts or replaces cached LLM answers (by `cache_key`).
    pub fn put_llm_answers(&mut self, answers: Vec<LlmAnswerRow>) {
        if answers.is_empty() {
            return;
        }
        let keys = answers.iter().map(|a| a.cache_key.clone()).collect();
        self.replace_batches(Table::LlmAnswers, keys, vec![rows_to_batch(&answers)]);
    }

    /// Marks datasets as gone: their `datasets` row (if the catalog has one when the
    /// commit is applied) gets `status = deleted`, `last_scan_run = run_id`,
    /// `scanned_at = now`, no `error`; their rows in every other dataset-keyed table are
    /// dropped.
    pub fn mark_deleted(&mut self, dataset_uris: Vec<String>, run_id: &str) {
        let keys: Vec<String> = dataset_uris
            .into_iter()
            .filter(|u| !u.is_empty())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if keys.is_empty() {
            return;
        }
        for &t in Table::ALL.iter().filter(|t| t.is_dataset_keyed()) {
            self.replace_batches(t, keys.clone(), Vec::new());
        }
        for k in keys {
            self.deletions.insert(k, run_id.to_string());
        }
    }

    /// The generic form: all rows of `keys` (plus any key present in `batches`) in
    /// `table` are replaced by the rows of `batches`. Batches are conformed to the
    /// table's schema (compatible types are cast) and validated (vocabularies, ranges).
    pub fn replace_batches(&mut self, table: Table, keys: Vec<String>, batches: Vec<RecordBatch>) {
        let mut all_keys: BTreeSet<String> = keys.into_iter().collect();
        let mut ok_batches = Vec::with_capacity(batches.len());
        for b in &batches {
            let checked = conform_batch(table, b, true).and_then(|b| {
                validate_batch(table, &b)?;
                Ok(b)
            });
            let checked = checked.and_then(|b| Ok((batch_keys(table, &b)?, b)));
            match checked {
                Ok((keys, b)) => {
                    all_keys.extend(keys);
                    if b.num_rows() > 0 {
                        ok_batches.push(b);
                    }
                }
                Err(e) => self.errors.push(e.to_string()),
            }
        }
        if all_keys.is_empty() {
            return;
        }
        let change = self.tables.entry(table).or_default();
        // Earlier rows of the same keys in this commit are superseded. (Only
        // looked for when a key is given again: a commit built dataset by
        // dataset would otherwise filter its earlier rows once per dataset.)
        if all_keys.iter().any(|k| change.keys.contains(k)) {
            let mut kept = Vec::with_capacity(change.batches.len());
            for b in change.batches.drain(..) {
                match filter_by_keys(table, &b, &all_keys, false) {
                    Ok(b) if b.num_rows() > 0 => kept.push(b),
                    Ok(_) => {}
                    Err(e) => self.errors.push(e.to_string()),
                }
            }
            change.batches = kept;
        }
        change.batches.extend(ok_batches);
        if table == Table::Datasets {
            for k in &all_keys {
                self.deletions.remove(k);
            }
        }
        change.keys.extend(all_keys);
    }
}
