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
