//! Deterministic sampling: which rows of a dataset are looked at in sample
//! mode. The choice depends only on the dataset's path relative to its root,
//! its data version and the row's position, so the same data gives the same
//! sample on disk, S3 or Azure and on every re-run.

use arrow::array::BooleanArray;
use sha2::{Digest, Sha256};

/// Seed for one dataset.
pub fn dataset_seed(relative_path: &str, version: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(relative_path.as_bytes());
    h.update([0]);
    h.update(version.as_bytes());
    let d = h.finalize();
    u64::from_le_bytes(d[..8].try_into().expect("sha256 has 32 bytes"))
}

/// A well-mixed 64-bit hash (splitmix64 finaliser).
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Bernoulli row selection at `rate` (0..=1) for rows `first_row..first_row+len`
/// of the stream identified by `stream_seed`. `None` means "keep every row".
pub fn row_mask(stream_seed: u64, first_row: u64, len: usize, rate: f64) -> Option<BooleanArray> {
    if rate >= 1.0 {
        return None;
    }
    let threshold = (rate.max(0.0) * u64::MAX as f64) as u64;
    Some(
        (0..len as u64)
            .map(|i| Some(mix(stream_seed ^ mix(first_row + i)) < threshold))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_deterministic_and_close_to_rate() {
        let s = dataset_seed("sales/region=eu", "v3");
        let a = row_mask(s, 0, 100_000, 0.1).unwrap();
        let b = row_mask(s, 0, 100_000, 0.1).unwrap();
        assert_eq!(a, b);
        let kept = a.true_count();
        assert!((9_000..11_000).contains(&kept), "{kept}");
        assert!(row_mask(s, 0, 10, 1.0).is_none());
        assert_ne!(dataset_seed("a", "1"), dataset_seed("a", "2"));
    }
}

/// Row-by-row form of [`row_mask`] for readers that decide before decoding.
#[derive(Debug, Clone, Copy)]
pub struct RowSampler {
    seed: u64,
    threshold: u64,
    all: bool,
}

impl RowSampler {
    pub fn new(seed: u64, rate: f64) -> Self {
        RowSampler {
            seed,
            threshold: (rate.clamp(0.0, 1.0) * u64::MAX as f64) as u64,
            all: rate >= 1.0,
        }
    }

    pub fn keep_all() -> Self {
        Self::new(0, 1.0)
    }

    pub fn keep(&self, row: u64) -> bool {
        self.all || mix(self.seed ^ mix(row)) < self.threshold
    }

    pub fn is_all(&self) -> bool {
        self.all
    }
}

/// Rate that draws about `target` rows out of `total`.
pub fn rate_for(target: Option<u64>, total: u64) -> f64 {
    match target {
        None => 1.0,
        Some(t) if total <= t => 1.0,
        Some(t) => t as f64 / total as f64,
    }
}

/// Text readers' sampler: rows drawn like [`RowSampler`], at a rate raised
/// for files with mostly-null columns, so that each column's sample holds
/// about as many **non-null** values as a full column's would — what the
/// sparse guarantee of `classify::score` counts. Parquet gets the same from
/// its footer's null counts; a CSV or JSON Lines file has no footer, so the
/// shares are learnt while reading.
///
/// Every row has one hash `h` (seed and row number). A row is kept when
/// `h < rate × boost`, where `boost` is the inverse of the smallest
/// non-null share of any column seen so far (columns never seen set are
/// ignored), at most `max_boost`. The boost is computed from the rows
/// *before* the row being decided, so a row's own values never decide
/// whether it is kept: every row is kept with the same probability (after
/// the first few rows), null fractions stay unbiased, and the sample
/// depends only on the seed and the file (deterministic). Shares are
/// learnt from the rows with `h < rate × max_boost` — the only ones that
/// can ever be kept — so a reader looks inside (decodes, parses) only those
/// ([`NonNullSampler::may_keep`]).
#[derive(Debug, Clone)]
pub struct NonNullSampler {
    rows: RowSampler,
    rate: f64,
    max_boost: f64,
    /// Rows with `h < rate × max_boost`, and per column how many of them
    /// had a value.
    candidates: u64,
    non_null: Vec<u64>,
}

impl NonNullSampler {
    pub fn new(seed: u64, rate: f64, max_boost: f64) -> Self {
        NonNullSampler {
            rows: RowSampler::new(seed, rate),
            rate: rate.clamp(0.0, 1.0),
            max_boost: max_boost.max(1.0),
            candidates: 0,
            non_null: Vec::new(),
        }
    }

    fn hash(&self, row: u64) -> f64 {
        mix(self.rows.seed ^ mix(row)) as f64 / u64::MAX as f64
    }

    /// Whether `row` can be kept at all; `false` means the reader may skip
    /// it without looking at its values.
    pub fn may_keep(&self, row: u64) -> bool {
        self.rows.is_all() || self.hash(row) < self.rate * self.max_boost
    }

    /// The current rate multiplier: 1 / the sparsest column's non-null share.
    pub fn boost(&self) -> f64 {
        let sparsest = self.non_null.iter().filter(|&&n| n > 0).min();
        match sparsest {
            Some(&n) => (self.candidates as f64 / n as f64).clamp(1.0, self.max_boost),
            None => 1.0,
        }
    }

    /// Decide for `row`, given the indices of its non-null columns.
    pub fn keep(&mut self, row: u64, non_null: impl IntoIterator<Item = usize>) -> bool {
        if self.rows.is_all() {
            return true;
        }
        let h = self.hash(row);
        if h >= self.rate * self.max_boost {
            return false;
        }
        let keep = h < self.rate * self.boost();
        self.candidates += 1;
        for c in non_null {
            if c >= self.non_null.len() {
                self.non_null.resize(c + 1, 0);
            }
            self.non_null[c] += 1;
        }
        keep
    }
}

#[cfg(test)]
mod non_null_tests {
    use super::*;

    /// A file of `n` rows: column 0 always set, column 1 set in every
    /// `every`-th row. Returns (rows kept, kept rows with column 1 set).
    fn draw(n: u64, every: u64, rate: f64) -> (u64, u64) {
        let mut s = NonNullSampler::new(7, rate, 10.0);
        let (mut rows, mut sparse) = (0, 0);
        for r in 0..n {
            let cols: Vec<usize> = if r % every == 0 { vec![0, 1] } else { vec![0] };
            if s.may_keep(r) && s.keep(r, cols) {
                rows += 1;
                sparse += (r % every == 0) as u64;
            }
        }
        (rows, sparse)
    }

    #[test]
    fn a_mostly_null_column_gets_as_many_values_as_a_full_one() {
        // 100,000 rows, base sample 2,000; the sparse column is 95 % null:
        // row-sized sampling would give it ~100 values, the boost (capped
        // at 10x) ~1,000.
        let (rows, sparse) = draw(100_000, 20, 0.02);
        assert!((850..1_150).contains(&sparse), "{sparse}");
        // Every row is equally likely: the sample's null share is the file's.
        let null_share = 1.0 - sparse as f64 / rows as f64;
        assert!((0.94..0.96).contains(&null_share), "{null_share}");
        assert_eq!(draw(100_000, 20, 0.02), (rows, sparse), "deterministic");
        // A 50 %-null column needs only 2x.
        let (rows, sparse) = draw(100_000, 2, 0.02);
        assert!((1_800..2_200).contains(&sparse), "{sparse}");
        assert!(rows < 4_400, "{rows}");
    }

    #[test]
    fn full_columns_are_sampled_as_before() {
        let (rows, _) = draw(100_000, 1, 0.02);
        assert!((1_800..2_200).contains(&rows), "{rows}");
        let mut all = NonNullSampler::new(7, 1.0, 10.0);
        assert!((0..100).all(|r| all.may_keep(r) && all.keep(r, [0])));
    }
}
