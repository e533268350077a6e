//! One file's evidence about a column, in the form the catalog keeps.
//!
//! A dataset made of many Parquet files (a folder of `part-*` files, hive
//! partitions, a Delta table) is classified file by file in sample mode:
//! each file's column evidence becomes a [`ColumnPartial`], and the
//! dataset's findings are decided on the merge of its files' partials, in
//! file order. The scanner keeps the partials in the catalog, so a later
//! scan reads only the files added since (a Delta commit, a new part file)
//! and merges them with the partials of the files it already knows; a file
//! that went away simply drops out of the merge. A fresh scan goes through
//! the same conversion and merge, so an incremental result is the one a
//! scan that had read the same files would give.
//!
//! Architecture Invariant: a partial holds counts, masked examples and at
//! most [`DISTINCT_FINGERPRINTS`] 16-bit fingerprints of a file's distinct
//! values (tens of thousands of values share each one: they can tell a
//! category from an identifier, never which value was seen) — no raw value,
//! and no full hash of one. Values kept raw for a language model
//! (`--llm-raw-samples`) live in a partial for the run only: its
//! serialised form ([`ColumnPartial::to_json`]) leaves them out.

use crate::column::{ColumnAccumulator, DateEvidence, FloatEvidence, PersonEvidence, DISTINCT_CAP};
use arrow::datatypes::DataType;
use lakewarden_rules::ValidatorKind;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Fingerprints of distinct values a partial keeps, at most: enough to
/// decide what distinct counts decide (a category has fewer than 50
/// values, `score.rs`; the LLM policy skips columns of fewer than 5).
pub const DISTINCT_FINGERPRINTS: usize = 64;

/// A column's evidence from one file (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ColumnPartial {
    pub values: u64,
    pub nulls: u64,
    #[serde(default)]
    pub capped_values: u64,
    #[serde(default)]
    pub expensive_checks: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entities: BTreeMap<String, EntityPartial>,
    #[serde(default)]
    pub person: PersonPartial,
    #[serde(default)]
    pub floats: FloatPartial,
    #[serde(default)]
    pub dates: DatePartial,
    /// Distinct values seen in the file (exact up to the classifier's cap).
    #[serde(default)]
    pub distinct: u64,
    /// 16-bit fingerprints of those values, sorted; only when there were at
    /// most [`DISTINCT_FINGERPRINTS`] of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprints: Option<Vec<u16>>,
    #[serde(default)]
    pub text_values: u64,
    #[serde(default)]
    pub text_chars: u64,
    /// Values a language model may be shown: masked, unless
    /// `llm_sample_raw` (then they live only as long as the run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub llm_sample: Vec<String>,
    /// `llm_sample` holds raw values (`--llm-raw-samples`): never serialised.
    #[serde(skip)]
    pub llm_sample_raw: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntityPartial {
    pub candidates: u64,
    pub validated: u64,
    pub whole: u64,
    pub validator_failures: u64,
    pub context_hits: u64,
    /// Pattern id → (matched values, validated values).
    pub patterns: BTreeMap<String, (u64, u64)>,
    /// Masked examples.
    pub examples: Vec<String>,
    /// The validator's name as rule files spell it.
    pub validator: Option<String>,
    pub best_score: f64,
    pub unchecked: u64,
    pub unchecked_whole: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonPartial {
    pub full_names: u64,
    pub single_names: u64,
    pub companies: u64,
    pub short_values: u64,
    #[serde(default)]
    pub short_seen: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FloatPartial {
    pub values: u64,
    pub in_lat_range: u64,
    pub in_lon_range: u64,
    pub fractional: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DatePartial {
    pub values: u64,
    pub plausible_birth: u64,
    pub min_year: Option<i32>,
    pub max_year: Option<i32>,
    /// `year * 12 + month - 1` → dates seen in that month.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub months: BTreeMap<i32, u64>,
    pub iso_text: u64,
}

/// A column of one file: where it sits, its type, its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct FileColumn {
    pub column_path: String,
    /// Arrow's rendering of the type (`Utf8`, `Int64`, `Struct(…)`…).
    pub data_type: String,
    pub partial: ColumnPartial,
}

impl ColumnPartial {
    /// The form the catalog keeps (raw LLM values left out).
    pub fn to_json(&self) -> String {
        let json = if self.llm_sample_raw {
            let masked_only = ColumnPartial {
                llm_sample: Vec::new(),
                ..self.clone()
            };
            serde_json::to_string(&masked_only)
        } else {
            serde_json::to_string(self)
        };
        json.expect("a partial is plain data")
    }

    pub fn from_json(s: &str) -> Result<ColumnPartial, serde_json::Error> {
        serde_json::from_str(s)
    }
}

/// A 16-bit fingerprint of a value hash (the hash is FxHash of the value:
/// mixed first, so that short values spread over all 65,536 fingerprints).
fn fingerprint(hash: u64) -> u16 {
    let mut z = hash.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z >> 48) as u16
}

/// Distinct values of a column: value hashes, exact up to [`DISTINCT_CAP`]
/// while reading; after partials were merged, what they allow to say (the
/// union of their fingerprints, and at least the largest file's count).
#[derive(Debug, Clone, Default)]
pub struct DistinctValues {
    hashes: FxHashSet<u64>,
    /// A lower bound from merged partials that kept no fingerprints.
    at_least: u64,
}

impl DistinctValues {
    pub fn insert(&mut self, hash: u64) {
        if self.hashes.len() < DISTINCT_CAP {
            self.hashes.insert(hash);
        }
    }

    /// No more values are taken (`insert` does nothing): callers need not
    /// hash them.
    pub fn is_full(&self) -> bool {
        self.hashes.len() >= DISTINCT_CAP
    }

    pub fn len(&self) -> usize {
        (self.hashes.len() as u64).max(self.at_least) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ColumnAccumulator {
    /// This column's evidence as a partial. `llm_sample_raw`: the LLM
    /// sample holds raw values (kept for this run, never serialised).
    pub fn to_partial(&self, llm_sample_raw: bool) -> FileColumn {
        let distinct = self.distinct.len() as u64;
        let fingerprints = (self.distinct.at_least == 0
            && self.distinct.hashes.len() <= DISTINCT_FINGERPRINTS)
            .then(|| {
                let mut f: Vec<u16> = self
                    .distinct
                    .hashes
                    .iter()
                    .map(|&h| fingerprint(h))
                    .collect();
                f.sort_unstable();
                f.dedup();
                f
            });
        let partial = ColumnPartial {
            values: self.values,
            nulls: self.nulls,
            capped_values: self.capped_values,
            expensive_checks: self.expensive_checks,
            entities: self
                .entities
                .iter()
                .map(|(k, e)| {
                    (
                        k.clone(),
                        EntityPartial {
                            candidates: e.candidates,
                            validated: e.validated,
                            whole: e.whole,
                            validator_failures: e.validator_failures,
                            context_hits: e.context_hits,
                            patterns: e.patterns.clone(),
                            examples: e.examples.clone(),
                            validator: e.validator.map(str::to_string),
                            best_score: e.best_score,
                            unchecked: e.unchecked,
                            unchecked_whole: e.unchecked_whole,
                        },
                    )
                })
                .collect(),
            person: PersonPartial {
                full_names: self.person.full_names,
                single_names: self.person.single_names,
                companies: self.person.companies,
                short_values: self.person.short_values,
                short_seen: self.person.short_seen,
            },
            floats: FloatPartial {
                values: self.floats.values,
                in_lat_range: self.floats.in_lat_range,
                in_lon_range: self.floats.in_lon_range,
                fractional: self.floats.fractional,
            },
            dates: DatePartial {
                values: self.dates.values,
                plausible_birth: self.dates.plausible_birth,
                min_year: self.dates.min_year,
                max_year: self.dates.max_year,
                months: self.dates.months.clone(),
                iso_text: self.dates.iso_text,
            },
            distinct,
            fingerprints,
            text_values: self.text_values,
            text_chars: self.text_chars,
            llm_sample: self.llm_sample.clone(),
            llm_sample_raw,
        };
        FileColumn {
            column_path: self.path.clone(),
            data_type: self.data_type.to_string(),
            partial,
        }
    }

    /// A column to merge partials into (the type as the partial spelt it;
    /// an unknown spelling reads as `Utf8`, which only changes the type
    /// shown, the evidence is the partial's).
    pub fn for_partials(column_path: &str, data_type: &str) -> ColumnAccumulator {
        let dt: DataType = data_type.parse().unwrap_or(DataType::Utf8);
        ColumnAccumulator::new(crate::path::segments(column_path), dt)
    }

    /// Add one file's partial. Sums for counts; the first examples and LLM
    /// values in file order up to the caps; the union of fingerprints for
    /// distinct values.
    pub fn absorb(
        &mut self,
        p: &ColumnPartial,
        max_examples: usize,
        llm_sample_values: usize,
        fingerprints: &mut Option<FxHashSet<u16>>,
    ) {
        self.values += p.values;
        self.nulls += p.nulls;
        self.capped_values += p.capped_values;
        self.expensive_checks += p.expensive_checks;
        for (entity, e) in &p.entities {
            let ev = self.entities.entry(entity.clone()).or_default();
            ev.candidates += e.candidates;
            ev.validated += e.validated;
            ev.whole += e.whole;
            ev.validator_failures += e.validator_failures;
            ev.context_hits += e.context_hits;
            for (id, (m, v)) in &e.patterns {
                let slot = ev.patterns.entry(id.clone()).or_default();
                slot.0 += m;
                slot.1 += v;
            }
            for x in &e.examples {
                if ev.examples.len() < max_examples && !ev.examples.contains(x) {
                    ev.examples.push(x.clone());
                }
            }
            if ev.validator.is_none() {
                ev.validator = e.validator.as_deref().and_then(|name| {
                    ValidatorKind::ALL
                        .iter()
                        .find(|v| v.as_str() == name)
                        .map(|v| v.as_str())
                });
            }
            ev.best_score = ev.best_score.max(e.best_score);
            ev.unchecked += e.unchecked;
            ev.unchecked_whole += e.unchecked_whole;
        }
        let person: &mut PersonEvidence = &mut self.person;
        person.full_names += p.person.full_names;
        person.single_names += p.person.single_names;
        person.companies += p.person.companies;
        person.short_values += p.person.short_values;
        person.short_seen += p.person.short_seen;
        let floats: &mut FloatEvidence = &mut self.floats;
        floats.values += p.floats.values;
        floats.in_lat_range += p.floats.in_lat_range;
        floats.in_lon_range += p.floats.in_lon_range;
        floats.fractional += p.floats.fractional;
        let dates: &mut DateEvidence = &mut self.dates;
        dates.values += p.dates.values;
        dates.plausible_birth += p.dates.plausible_birth;
        dates.min_year = min_opt(dates.min_year, p.dates.min_year);
        dates.max_year = max_opt(dates.max_year, p.dates.max_year);
        for (m, n) in &p.dates.months {
            *dates.months.entry(*m).or_default() += n;
        }
        dates.iso_text += p.dates.iso_text;
        self.text_values += p.text_values;
        self.text_chars += p.text_chars;
        for v in &p.llm_sample {
            if self.llm_sample.len() < llm_sample_values && !self.llm_sample.contains(v) {
                self.llm_sample.push(v.clone());
            }
        }
        // Distinct values: the union of fingerprints while every file kept
        // them; past that, at least the largest file's count.
        self.distinct.at_least = self.distinct.at_least.max(p.distinct);
        match (fingerprints.as_mut(), &p.fingerprints) {
            (Some(set), Some(f)) => set.extend(f.iter().copied()),
            _ => *fingerprints = None,
        }
        if let Some(set) = fingerprints {
            self.distinct.at_least = self.distinct.at_least.max(set.len() as u64);
        }
    }
}

fn min_opt(a: Option<i32>, b: Option<i32>) -> Option<i32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<i32>, b: Option<i32>) -> Option<i32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Merge files' columns (each file's in its own order, files in file
/// order) into one accumulator per column path, in order of first
/// appearance: what a dataset's findings are decided on.
pub fn merge_files<'a>(
    files: impl IntoIterator<Item = &'a [FileColumn]>,
    max_examples: usize,
    llm_sample_values: usize,
) -> Vec<ColumnAccumulator> {
    let mut columns: Vec<ColumnAccumulator> = Vec::new();
    let mut prints: Vec<Option<FxHashSet<u16>>> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for file in files {
        for c in file {
            let i = *index.entry(c.column_path.clone()).or_insert_with(|| {
                columns.push(ColumnAccumulator::for_partials(
                    &c.column_path,
                    &c.data_type,
                ));
                prints.push(Some(FxHashSet::default()));
                columns.len() - 1
            });
            columns[i].absorb(&c.partial, max_examples, llm_sample_values, &mut prints[i]);
        }
    }
    columns
}
