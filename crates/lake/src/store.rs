//! The store seam: turn a [`LakeLocation`] into an `ObjectStore`. Everything
//! above this module speaks `object_store` only, so S3 and Azure plug in here
//! without touching discovery or reading (Delta tables get the very same
//! store, see `read.rs`).
//!
//! Configuration comes from the environment, as the object_store builders
//! read it:
//!
//! * S3 (`s3://bucket/…`): `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
//!   (`AWS_SESSION_TOKEN`), or web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` +
//!   `AWS_ROLE_ARN`), container credentials
//!   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`), the instance
//!   metadata service when `AWS_METADATA_ENDPOINT` is set, or
//!   `AWS_SKIP_SIGNATURE=true` for public buckets. `AWS_ENDPOINT` /
//!   `AWS_ENDPOINT_URL` for S3-compatible servers, `AWS_ALLOW_HTTP=true` for
//!   plain HTTP, `AWS_REGION` (default `us-east-1`).
//! * Azure (`abfss://container@account.dfs.core.windows.net/…`, `az://…`,
//!   `https://account.blob.core.windows.net/…`): the account and container come
//!   from the URI; `AZURE_STORAGE_ACCOUNT_KEY`, a SAS
//!   (`AZURE_STORAGE_SAS_KEY`), a bearer token, a service principal
//!   (`AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` + `AZURE_TENANT_ID`), workload
//!   identity (`AZURE_FEDERATED_TOKEN_FILE`), `AZURE_USE_AZURE_CLI=true`,
//!   managed identity when `AZURE_MSI_ENDPOINT` is set, or
//!   `AZURE_SKIP_SIGNATURE=true`. `AZURE_STORAGE_USE_EMULATOR=true` talks to
//!   Azurite at `AZURITE_BLOB_STORAGE_URL` (default `http://127.0.0.1:10000`)
//!   with the well-known dev key unless a key is given.
//!
//! Without any credential source the store is not opened: the scan stops
//! with one line naming the URI, instead of waiting on a metadata endpoint
//! that is not there.
//!
//! Every remote request has a connect timeout, a request timeout and a
//! bounded number of retries with exponential backoff (object_store retries
//! 5xx, throttling and connection errors; it never retries 4xx).

use crate::error::LakeError;
use crate::uri::{LakeLocation, StoreKind};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::local::LocalFileSystem;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, RetryConfig};
use std::sync::Arc;
use std::time::Duration;

/// Retries per request (after the first try).
pub const MAX_RETRIES: usize = 5;
/// No retry starts later than this after the first try of a request.
pub const RETRY_TIMEOUT: Duration = Duration::from_secs(60);
/// Default connect timeout (override with `AWS_CONNECT_TIMEOUT` /
/// `AZURE_CONNECT_TIMEOUT`, e.g. `10s`).
pub const CONNECT_TIMEOUT: &str = "5s";
/// Default timeout of one request, body included (override with
/// `AWS_TIMEOUT` / `AZURE_TIMEOUT`).
pub const REQUEST_TIMEOUT: &str = "120s";

/// Open the store that holds `loc`. For S3 the store's root is the bucket,
/// for Azure the container, for local files `/`.
pub fn open_store(loc: &LakeLocation) -> Result<Arc<dyn ObjectStore>, LakeError> {
    match &loc.kind {
        StoreKind::Local => Ok(Arc::new(LocalFileSystem::new())),
        StoreKind::S3 { bucket } => open_s3(loc, bucket),
        StoreKind::Azure { account, container } => open_azure(loc, account, container),
    }
}

fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: MAX_RETRIES,
        retry_timeout: RETRY_TIMEOUT,
    }
}

fn config_error(loc: &LakeLocation, what: &str, e: impl std::fmt::Display) -> LakeError {
    LakeError::BadUri {
        uri: loc.root_uri(),
        reason: format!(
            "cannot configure the {what} client: {}",
            crate::error::sanitize(&e.to_string())
        ),
    }
}

fn open_s3(loc: &LakeLocation, bucket: &str) -> Result<Arc<dyn ObjectStore>, LakeError> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let has = |b: &AmazonS3Builder, k: AmazonS3ConfigKey| b.get_config_value(&k).is_some();
    let credentials = has(&b, AmazonS3ConfigKey::AccessKeyId)
        || has(&b, AmazonS3ConfigKey::SecretAccessKey)
        || (has(&b, AmazonS3ConfigKey::WebIdentityTokenFile)
            && has(&b, AmazonS3ConfigKey::RoleArn))
        || has(&b, AmazonS3ConfigKey::ContainerCredentialsRelativeUri)
        || has(&b, AmazonS3ConfigKey::ContainerCredentialsFullUri)
        || has(&b, AmazonS3ConfigKey::MetadataEndpoint)
        || truthy(b.get_config_value(&AmazonS3ConfigKey::SkipSignature));
    if !credentials {
        return Err(LakeError::BadUri {
            uri: loc.root_uri(),
            reason: "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                     (or web identity / container credentials, AWS_METADATA_ENDPOINT, \
                     or AWS_SKIP_SIGNATURE=true for a public bucket)"
                .into(),
        });
    }
    if b.get_config_value(&AmazonS3ConfigKey::Region).is_none() {
        // AWS_DEFAULT_REGION is what the AWS CLI reads when AWS_REGION is unset.
        let region = b
            .get_config_value(&AmazonS3ConfigKey::DefaultRegion)
            .unwrap_or_else(|| "us-east-1".to_string());
        b = b.with_region(region);
    }
    for (key, default) in [
        (ClientConfigKey::ConnectTimeout, CONNECT_TIMEOUT),
        (ClientConfigKey::Timeout, REQUEST_TIMEOUT),
    ] {
        if b.get_config_value(&AmazonS3ConfigKey::Client(key))
            .is_none()
        {
            b = b.with_config(AmazonS3ConfigKey::Client(key), default);
        }
    }
    let store = b
        .with_retry(retry_config())
        .build()
        .map_err(|e| config_error(loc, "S3", e))?;
    Ok(Arc::new(store))
}

fn open_azure(
    loc: &LakeLocation,
    account: &str,
    container: &str,
) -> Result<Arc<dyn ObjectStore>, LakeError> {
    let mut b = MicrosoftAzureBuilder::from_env()
        .with_account(account)
        .with_container_name(container);
    let has = |b: &MicrosoftAzureBuilder, k: AzureConfigKey| b.get_config_value(&k).is_some();
    let emulator = truthy(b.get_config_value(&AzureConfigKey::UseEmulator));
    let credentials = emulator
        || has(&b, AzureConfigKey::AccessKey)
        || has(&b, AzureConfigKey::SasKey)
        || has(&b, AzureConfigKey::Token)
        || (has(&b, AzureConfigKey::ClientId)
            && has(&b, AzureConfigKey::AuthorityId)
            && (has(&b, AzureConfigKey::ClientSecret)
                || has(&b, AzureConfigKey::FederatedTokenFile)))
        || has(&b, AzureConfigKey::MsiEndpoint)
        || truthy(b.get_config_value(&AzureConfigKey::UseAzureCli))
        || truthy(b.get_config_value(&AzureConfigKey::SkipSignature));
    if !credentials {
        return Err(LakeError::BadUri {
            uri: loc.root_uri(),
            reason: "no Azure credentials: set AZURE_STORAGE_ACCOUNT_KEY \
                     (or AZURE_STORAGE_SAS_KEY, a service principal, AZURE_MSI_ENDPOINT, \
                     AZURE_USE_AZURE_CLI=true, or AZURE_STORAGE_USE_EMULATOR=true for Azurite)"
                .into(),
        });
    }
    for (key, default) in [
        (ClientConfigKey::ConnectTimeout, CONNECT_TIMEOUT),
        (ClientConfigKey::Timeout, REQUEST_TIMEOUT),
    ] {
        if b.get_config_value(&AzureConfigKey::Client(key)).is_none() {
            b = b.with_config(AzureConfigKey::Client(key), default);
        }
    }
    let store = b
        .with_retry(retry_config())
        .build()
        .map_err(|e| config_error(loc, "Azure", e))?;
    Ok(Arc::new(store))
}

fn truthy(v: Option<String>) -> bool {
    matches!(
        v.as_deref()
            .map(str::trim)
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("true" | "1" | "yes" | "on")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthy_values() {
        assert!(truthy(Some("TRUE".into())));
        assert!(truthy(Some(" 1".into())));
        assert!(!truthy(Some("false".into())));
        assert!(!truthy(None));
    }

    #[test]
    fn local_roots_open_without_configuration() {
        let loc = LakeLocation::parse("/tmp").unwrap();
        assert!(open_store(&loc).is_ok());
    }
}
