//! A Parquet `AsyncFileReader` pinned to the object version the listing saw.
//!
//! A Parquet file is read in several ranged requests (footer, then row
//! groups). If the object is overwritten in between, those ranges would come
//! from two versions — a classification of mixed data, or a confusing
//! "corrupt file". Every ranged response here is checked against the listed
//! size and ETag (quotes and weak prefixes aside, as stores disagree on
//! them), and so is the object's current state when a request fails (a
//! range past the end of a shorter replacement); a mismatch fails the read
//! with [`ObjectChanged`], which the reader
//! reports as "changed between listing and reading". The check uses the
//! response's own metadata, so it works the same on every store, local disk
//! included, with no conditional-request support needed from the server.

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use std::ops::Range;
use std::sync::Arc;

/// Bytes read from the end of a file in the first request: most footers fit,
/// which saves a round trip per file on object stores.
const FOOTER_PREFETCH: usize = 64 * 1024;
/// Ranges closer than this are fetched in one request.
const COALESCE: u64 = 1024 * 1024;

/// The object changed between listing and reading (as a parquet error's
/// source, so callers can tell it from a corrupt file).
#[derive(Debug)]
pub struct ObjectChanged;

impl std::fmt::Display for ObjectChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("changed between listing and reading")
    }
}

impl std::error::Error for ObjectChanged {}

/// True when `e` is (or wraps) [`ObjectChanged`].
pub fn is_changed(e: &ParquetError) -> bool {
    matches!(e, ParquetError::External(inner) if inner.is::<ObjectChanged>())
}

#[derive(Clone)]
pub struct PinnedParquetReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    e_tag: Option<String>,
}

impl PinnedParquetReader {
    pub fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64, e_tag: Option<String>) -> Self {
        PinnedParquetReader {
            store,
            path,
            size,
            e_tag,
        }
    }

    fn fetch(&self, range: Range<u64>) -> BoxFuture<'static, Result<Bytes>> {
        let store = self.store.clone();
        let path = self.path.clone();
        let size = self.size;
        let e_tag = self.e_tag.clone();
        async move {
            let opts = GetOptions {
                range: Some(GetRange::Bounded(range)),
                ..Default::default()
            };
            let changed = |s: u64, t: Option<&str>| {
                s != size || !crate::read::same_e_tag(e_tag.as_deref(), t)
            };
            let got = match store.get_opts(&path, opts).await {
                Ok(got) => got,
                Err(e) => {
                    // A range past the end (416) or a similar refusal often
                    // means the object was replaced by a shorter one: ask.
                    if let Ok(meta) = store.head(&path).await {
                        if changed(meta.size, meta.e_tag.as_deref()) {
                            return Err(ParquetError::External(Box::new(ObjectChanged)));
                        }
                    }
                    return Err(ParquetError::External(Box::new(e)));
                }
            };
            if changed(got.meta.size, got.meta.e_tag.as_deref()) {
                return Err(ParquetError::External(Box::new(ObjectChanged)));
            }
            got.bytes()
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        }
        .boxed()
    }
}

impl AsyncFileReader for PinnedParquetReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        self.fetch(range)
    }

    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        async move { object_store::coalesce_ranges(&ranges, |r| self.fetch(r), COALESCE).await }
            .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_metadata_options(options.map(|o| o.metadata_options().clone()))
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
