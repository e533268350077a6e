//! The store seam: turn a [`LakeLocation`] into an `ObjectStore`. Everything
//! above this module speaks `object_store` only, so S3 and Azure plug in here
//! without touching discovery or reading.

use crate::error::LakeError;
use crate::uri::{LakeLocation, StoreKind};
use object_store::local::LocalFileSystem;
use object_store::ObjectStore;
use std::sync::Arc;

/// Open the store that holds `loc`.
pub fn open_store(loc: &LakeLocation) -> Result<Arc<dyn ObjectStore>, LakeError> {
    match &loc.kind {
        StoreKind::Local => Ok(Arc::new(LocalFileSystem::new())),
        StoreKind::S3 { .. } | StoreKind::Azure { .. } => Err(LakeError::BadUri {
            uri: loc.root_uri(),
            reason:
                "object-store roots (s3://, az://, abfss://) are not supported by this build yet"
                    .into(),
        }),
    }
}
