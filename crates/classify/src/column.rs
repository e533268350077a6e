//! Per-column evidence, accumulated batch by batch.

use crate::dict::{Dictionaries, NameShape};
use crate::partial::DistinctValues;
use arrow::datatypes::DataType;
use rustc_hash::FxHashSet;
use std::collections::BTreeMap;

/// What kind of values a leaf holds, as the detectors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    Text,
    Integer,
    Float,
    Date,
    Boolean,
    Binary,
    Other,
}

impl LeafKind {
    pub fn of(dt: &DataType) -> LeafKind {
        use DataType::*;
        match dt {
            Utf8 | LargeUtf8 | Utf8View => LeafKind::Text,
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => LeafKind::Integer,
            Decimal128(_, 0) | Decimal256(_, 0) => LeafKind::Integer,
            Float16 | Float32 | Float64 | Decimal128(_, _) | Decimal256(_, _) => LeafKind::Float,
            Date32 | Date64 | Timestamp(_, _) => LeafKind::Date,
            Boolean => LeafKind::Boolean,
            Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => LeafKind::Binary,
            _ => LeafKind::Other,
        }
    }
}

/// Evidence for one entity in one column.
#[derive(Debug, Default, Clone)]
pub struct EntityEvidence {
    /// Values with at least one pattern match for the entity.
    pub candidates: u64,
    /// Values with at least one match that passed the validator (or had none to pass).
    pub validated: u64,
    /// Values whose validated match covers (nearly) the whole value.
    pub whole: u64,
    /// Candidate matches the validator rejected.
    pub validator_failures: u64,
    /// Validated values with a context word of the entity in the same value.
    pub context_hits: u64,
    /// Per pattern id: (matched values, validated values).
    pub patterns: BTreeMap<String, (u64, u64)>,
    /// Masked examples, distinct, at most a few.
    pub examples: Vec<String>,
    pub validator: Option<&'static str>,
    pub best_score: f64,
    /// Candidate values whose expensive validator was not run (budget spent).
    pub unchecked: u64,
    /// …of which the match spans the whole value.
    pub unchecked_whole: u64,
}

#[derive(Debug, Default, Clone)]
pub struct PersonEvidence {
    pub full_names: u64,
    pub single_names: u64,
    pub companies: u64,
    /// Text values short enough to be a name that were looked up in the
    /// name dictionaries (at most [`NAME_SHAPE_CAP`]): what hit rates are
    /// rates of.
    pub short_values: u64,
    /// Every text value short enough to be a name, looked up or not: what
    /// the share of short values is measured with.
    pub short_seen: u64,
}

#[derive(Debug, Default, Clone)]
pub struct FloatEvidence {
    pub values: u64,
    pub in_lat_range: u64,
    pub in_lon_range: u64,
    pub fractional: u64,
}

impl FloatEvidence {
    pub fn observe(&mut self, v: f64) {
        self.values += 1;
        if (-90.0..=90.0).contains(&v) {
            self.in_lat_range += 1;
        }
        if (-180.0..=180.0).contains(&v) {
            self.in_lon_range += 1;
        }
        if v.fract() != 0.0 {
            self.fractional += 1;
        }
    }
}

/// A decimal number written out plainly (`48.85661`, `-3.7`, `12`), as CSV
/// files hold numbers; not `1e5`, `inf`, `NaN` or `1,5`.
pub fn plain_decimal(s: &str) -> Option<f64> {
    // Most text starts with something else than a digit, a sign or
    // whitespace: reject it without a look at the rest.
    match s.as_bytes().first() {
        None => return None,
        Some(&b)
            if b.is_ascii()
                && !b.is_ascii_digit()
                && !matches!(b, b'-' | b'+')
                && !char::from(b).is_whitespace() =>
        {
            return None
        }
        _ => {}
    }
    let s = s.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.len() <= 15
        && frac.len() <= 15
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && frac.is_empty());
    ok.then(|| s.parse().ok()).flatten()
}

#[derive(Debug, Default, Clone)]
pub struct DateEvidence {
    pub values: u64,
    /// Dates that make a plausible birth date (1900 ..= today, age ≤ 120).
    pub plausible_birth: u64,
    pub min_year: Option<i32>,
    pub max_year: Option<i32>,
    /// Sampled dates per calendar month (`year * 12 + month - 1`): typed
    /// dates and timestamps, and text values that start with an ISO date.
    pub months: BTreeMap<i32, u64>,
    /// Text values that started with an ISO date (`YYYY-MM-DD`).
    pub iso_text: u64,
}

impl DateEvidence {
    pub fn count_month(&mut self, year: i32, month: u32) {
        *self.months.entry(year * 12 + month as i32 - 1).or_default() += 1;
    }
}

/// Everything seen of one column.
#[derive(Debug, Clone)]
pub struct ColumnAccumulator {
    pub segments: Vec<String>,
    pub path: String,
    pub data_type: DataType,
    pub kind: LeafKind,
    pub values: u64,
    pub nulls: u64,
    /// Values cut to the per-value byte cap before matching.
    pub capped_values: u64,
    /// Expensive validator calls spent on this column.
    pub expensive_checks: u64,
    pub entities: BTreeMap<String, EntityEvidence>,
    pub person: PersonEvidence,
    pub floats: FloatEvidence,
    pub dates: DateEvidence,
    /// Distinct values seen (hashes, FxHash: counting, not security).
    pub distinct: DistinctValues,
    pub text_values: u64,
    /// Characters of the text values (for their average length).
    pub text_chars: u64,
    /// Values a language model may be shown (masked unless raw samples were
    /// asked for), distinct, at most `ClassifierConfig::llm_sample_values`.
    pub llm_sample: Vec<String>,
    pub llm_sample_seen: FxHashSet<u64>,
    /// Whether this column's next batch folds repeated values.
    pub repeats: RepeatPolicy,
}

/// When a text column's batch is worth folding repeated values (status
/// codes, countries, user agents, masked card numbers): each distinct value
/// is then joined, scanned and validated once, and its evidence counted once
/// per occurrence. Folding hashes and looks up every value (an estimated
/// few per cent of what scanning the batch costs), so a column whose
/// batches hardly repeat stops folding and tries again only every
/// [`REPEAT_RETRY_BATCHES`] batches.
#[derive(Debug, Default, Clone)]
pub struct RepeatPolicy {
    /// Batches to scan as they are before trying again.
    skip: u32,
}

/// Batches a column with few repeats is scanned as is before trying again.
pub const REPEAT_RETRY_BATCHES: u32 = 16;

impl RepeatPolicy {
    /// Fold the repeats of the batch about to be scanned?
    pub fn try_batch(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }

    /// A folded batch of `total` joined bytes held `repeated` bytes of
    /// repeats: under a tenth, stop folding for a while.
    pub fn saw_batch(&mut self, repeated: usize, total: usize) {
        if repeated * 10 < total {
            self.skip = REPEAT_RETRY_BATCHES;
        }
    }
}

/// Distinct values are tracked up to this many (enough to tell a category
/// column from an identifier column).
pub const DISTINCT_CAP: usize = 4_096;

/// Short text values per column checked against the name dictionaries.
pub const NAME_SHAPE_CAP: u64 = 4_096;

impl ColumnAccumulator {
    pub fn new(segments: Vec<String>, data_type: DataType) -> Self {
        ColumnAccumulator {
            path: crate::path::column_path(&segments),
            kind: LeafKind::of(&data_type),
            segments,
            data_type,
            values: 0,
            nulls: 0,
            capped_values: 0,
            expensive_checks: 0,
            entities: BTreeMap::new(),
            person: PersonEvidence::default(),
            floats: FloatEvidence::default(),
            dates: DateEvidence::default(),
            distinct: DistinctValues::default(),
            text_values: 0,
            text_chars: 0,
            llm_sample: Vec::new(),
            llm_sample_seen: FxHashSet::default(),
            repeats: RepeatPolicy::default(),
        }
    }

    pub fn name(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }

    pub fn non_null(&self) -> u64 {
        self.values - self.nulls
    }

    pub fn observe_name_shape(&mut self, dicts: &Dictionaries, value: &str) {
        // The PERSON decision needs a hit *rate*; a few thousand values give
        // it to ±2 %, and dictionary lookups are the costliest per-value step.
        if value.len() > 80 {
            return;
        }
        self.person.short_seen += 1;
        if self.person.short_values >= NAME_SHAPE_CAP {
            return;
        }
        self.person.short_values += 1;
        match dicts.name_shape(value) {
            NameShape::FullName => self.person.full_names += 1,
            NameShape::SingleName => self.person.single_names += 1,
            NameShape::Company => self.person.companies += 1,
            NameShape::NotName => {}
        }
    }
}
