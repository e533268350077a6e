//! The memory budget of a run: bytes of data in flight (fetched Parquet
//! column chunks, decoded batches waiting for the classifier, text read
//! buffers), shared by every reader of the run whatever the store.
//!
//! A reader reserves what a unit of work will hold (a Parquet row group, or
//! a group of its columns; a text file's buffers; a Delta scan) before it
//! starts it and releases it when done, so the datasets read at once are
//! bounded by the budget as well as by the scan's concurrency. A reservation
//! larger than the whole budget is clamped to it: that unit runs alone
//! instead of never.
//!
//! Architecture Invariant: a reservation is held across the `await`s that
//! fetch and decode, and dropped before the next unit is reserved, so no
//! reader waits while holding what another waits for. ([`MemoryBudget::try_reserve`]
//! never waits: for a reader's own sub-budget, such as a prefetch window.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Permits are KiB: a u32 count of them covers 4 TiB.
const UNIT: u64 = 1024;

/// Shared by every reader of one run. `Default`: unlimited.
#[derive(Clone, Default)]
pub struct MemoryBudget {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    semaphore: Arc<Semaphore>,
    limit: u64,
    /// The part of the budget one dataset should stay within, so that the
    /// scan's concurrent datasets fit together: `limit / concurrency`.
    share: u64,
    reserved: AtomicU64,
    peak: AtomicU64,
    waits: AtomicU64,
}

impl std::fmt::Debug for MemoryBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            None => f.write_str("MemoryBudget(unlimited)"),
            Some(i) => write!(f, "MemoryBudget({} bytes, share {})", i.limit, i.share),
        }
    }
}

/// What a budget did during a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetStats {
    pub limit: Option<u64>,
    /// Most bytes reserved at one time.
    pub peak_reserved: u64,
    /// Reservations that had to wait for others to be released.
    pub waits: u64,
}

impl MemoryBudget {
    pub fn unlimited() -> Self {
        MemoryBudget::default()
    }

    /// A budget of `limit` bytes for `concurrency` datasets read at once.
    pub fn new(limit: u64, concurrency: usize) -> Self {
        let limit = limit.max(UNIT);
        let units = (limit / UNIT).min(u32::MAX as u64) as usize;
        MemoryBudget {
            inner: Some(Arc::new(Inner {
                semaphore: Arc::new(Semaphore::new(units)),
                limit,
                share: (limit / concurrency.max(1) as u64).max(UNIT),
                reserved: AtomicU64::new(0),
                peak: AtomicU64::new(0),
                waits: AtomicU64::new(0),
            })),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        self.inner.as_ref().map(|i| i.limit)
    }

    /// What one dataset should try to stay within (`None`: unlimited).
    pub fn share(&self) -> Option<u64> {
        self.inner.as_ref().map(|i| i.share)
    }

    /// Wait until `bytes` (clamped to the whole budget) are free, and hold
    /// them until the reservation is dropped.
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let Some(inner) = &self.inner else {
            return Reservation { held: None };
        };
        let units = inner.units_for(bytes);
        let permit = match inner.semaphore.clone().try_acquire_many_owned(units) {
            Ok(p) => p,
            Err(_) => {
                inner.waits.fetch_add(1, Ordering::Relaxed);
                inner
                    .semaphore
                    .clone()
                    .acquire_many_owned(units)
                    .await
                    .expect("the budget's semaphore is never closed")
            }
        };
        inner.held(permit, units)
    }

    /// `bytes` if they are free now, without waiting (`Some` always when
    /// unlimited). For work that is worth doing ahead only when there is room.
    pub fn try_reserve(&self, bytes: u64) -> Option<Reservation> {
        let Some(inner) = &self.inner else {
            return Some(Reservation { held: None });
        };
        let units = inner.units_for(bytes);
        let permit = inner.semaphore.clone().try_acquire_many_owned(units).ok()?;
        Some(inner.held(permit, units))
    }

    pub fn stats(&self) -> BudgetStats {
        match &self.inner {
            None => BudgetStats::default(),
            Some(i) => BudgetStats {
                limit: Some(i.limit),
                peak_reserved: i.peak.load(Ordering::Relaxed),
                waits: i.waits.load(Ordering::Relaxed),
            },
        }
    }
}

impl Inner {
    /// Permits for `bytes`, clamped to the whole budget.
    fn units_for(&self, bytes: u64) -> u32 {
        let bytes = bytes.clamp(UNIT, self.limit);
        bytes.div_ceil(UNIT).min(self.limit / UNIT).max(1) as u32
    }

    fn held(self: &Arc<Self>, permit: OwnedSemaphorePermit, units: u32) -> Reservation {
        let held = units as u64 * UNIT;
        let now = self.reserved.fetch_add(held, Ordering::Relaxed) + held;
        self.peak.fetch_max(now, Ordering::Relaxed);
        Reservation {
            held: Some((permit, self.clone(), held)),
        }
    }
}

/// Bytes of a [`MemoryBudget`], given back on drop.
pub struct Reservation {
    held: Option<(OwnedSemaphorePermit, Arc<Inner>, u64)>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some((_permit, inner, bytes)) = self.held.take() {
            inner.reserved.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

/// Parse a size such as `512MiB`, `2GiB`, `1.5 GB`, `800M` or `1048576`
/// (bytes). Binary and decimal units are both accepted; a bare `K`/`M`/`G`
/// is binary, as memory limits usually are.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a size (expected e.g. 512MiB or 2GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "{text:?}: unknown size unit {other:?} (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)"
            ))
        }
    };
    let bytes = n * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 {
        return Err(format!("{text:?} is not a positive size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_and_decimal_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("800M"), Ok(800 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("0MiB").is_err());
    }

    #[tokio::test]
    async fn reservations_wait_for_each_other_and_big_ones_are_clamped() {
        let b = MemoryBudget::new(10 * UNIT, 2);
        assert_eq!(b.share(), Some(5 * UNIT));
        let first = b.reserve(6 * UNIT).await;
        // A reservation bigger than the whole budget still gets it, alone.
        let waiter = {
            let b = b.clone();
            tokio::spawn(async move {
                let r = b.reserve(100 * UNIT).await;
                drop(r);
            })
        };
        for _ in 0..1000 {
            if b.stats().waits == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(b.stats().waits, 1, "must wait while 6 KiB are held");
        assert!(!waiter.is_finished());
        drop(first);
        waiter.await.unwrap();
        let s = b.stats();
        assert_eq!(s.limit, Some(10 * UNIT));
        assert_eq!(s.peak_reserved, 10 * UNIT);
        assert_eq!(s.waits, 1);
        // Unlimited budgets never wait and report nothing.
        let u = MemoryBudget::unlimited();
        let _r = u.reserve(u64::MAX).await;
        assert_eq!(u.stats(), BudgetStats::default());
    }
}
