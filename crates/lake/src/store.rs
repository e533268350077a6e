//! The store seam: turn a [`LakeLocation`] into an `ObjectStore`. Everything
//! above this module speaks `object_store` only, so S3 and Azure plug in here
//! without touching discovery or reading (Delta tables get the very same
//! store, see `read.rs`).
//!
//! Configuration comes from the environment, as the object_store builders
//! read it, and for S3 also from the AWS shared config and credentials files:
//!
//! * S3 (`s3://bucket/…`): credentials from the environment first, exactly
//!   as object_store reads them: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
//!   (`AWS_SESSION_TOKEN`), or web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` +
//!   `AWS_ROLE_ARN`), container credentials
//!   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`), the instance
//!   metadata service when `AWS_METADATA_ENDPOINT` is set, or
//!   `AWS_SKIP_SIGNATURE=true` for public buckets. Without any of these, a
//!   named profile of the shared files (`~/.aws/config`,
//!   `~/.aws/credentials`, or `AWS_CONFIG_FILE` /
//!   `AWS_SHARED_CREDENTIALS_FILE`): `AWS_PROFILE` (an unknown name is an
//!   error), else `[default]` when the files define credentials for it. A
//!   profile chosen through [`StoreOptions::aws_profile`] wins over the
//!   environment's credentials, like the AWS CLI's `--profile`. A profile
//!   gives static keys, a `credential_process`, or a role assumed through
//!   STS from a `source_profile` chain or `credential_source = Environment`
//!   (see [`crate::aws_profile`]); assumed-role and process credentials are
//!   cached and fetched again 5 minutes before they expire. The region is
//!   `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`,
//!   else `us-east-1`. `AWS_ENDPOINT` / `AWS_ENDPOINT_URL` (or the
//!   profile's `endpoint_url`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`)
//!   for S3-compatible servers, `AWS_ALLOW_HTTP=true` for plain HTTP (STS
//!   included). STS is asked at `AWS_ENDPOINT_URL_STS`, else at that
//!   endpoint override (moto serves both on one port), else at
//!   `https://sts.{region}.amazonaws.com`.
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
//! that is not there. So does a profile that cannot be used (unknown name,
//! a `source_profile` cycle, an SSO profile, …), naming the profile too.
//! Failures while fetching a profile's credentials (AssumeRole refused, the
//! credential process failing) stop a scan up front too: the scan opens its
//! stores with [`open_store_checked`], which fetches them once. Later
//! refreshes that fail surface on the request they were for.
//!
//! Every remote request has a connect timeout, a request timeout and a
//! bounded number of retries with exponential backoff (object_store retries
//! 5xx, throttling and connection errors; it never retries 4xx). An STS
//! AssumeRole is tried up to 3 times on the same kinds of failure, with a
//! 5 s connect and a 30 s request timeout.

use crate::aws_profile::provider::ProfileProvider;
use crate::aws_profile::sts::{StsEndpoint, STS_CONNECT_TIMEOUT, STS_TIMEOUT};
use crate::aws_profile::{profile_from_env, BaseCredentials, ProfileFiles, ResolvedProfile};
use crate::error::LakeError;
use crate::uri::{LakeLocation, StoreKind};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, AwsCredential, AwsCredentialProvider};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::local::LocalFileSystem;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectStore, RetryConfig, StaticCredentialProvider,
};
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

/// What a caller can choose per root, on top of the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// The AWS named profile for an `s3://` root. Given here, it wins over
    /// credentials in the environment (as the AWS CLI's `--profile` does);
    /// `None`: `AWS_PROFILE`, else `[default]`, only when the environment
    /// holds no credentials.
    pub aws_profile: Option<String>,
    /// Requests in flight to an S3 or Azure store at once (object_store's
    /// `LimitStore`); `None`: [`DEFAULT_REQUESTS_PER_STORE`]. Local disk is
    /// not limited.
    pub max_requests: Option<usize>,
}

/// Requests in flight per remote store when the caller does not say: enough
/// to keep a scan's reads, prefetches and listing busy, few enough that a
/// nightly job does not hammer a bucket.
pub const DEFAULT_REQUESTS_PER_STORE: usize = 64;

/// Open the store that holds `loc`, configured from the environment alone
/// ([`open_store_with`] and default [`StoreOptions`]). For S3 the store's
/// root is the bucket, for Azure the container, for local files `/`.
pub fn open_store(loc: &LakeLocation) -> Result<Arc<dyn ObjectStore>, LakeError> {
    open_store_with(loc, &StoreOptions::default())
}

/// Open the store that holds `loc` with per-root choices (`opts`).
pub fn open_store_with(
    loc: &LakeLocation,
    opts: &StoreOptions,
) -> Result<Arc<dyn ObjectStore>, LakeError> {
    open_store_parts(loc, opts).map(|(store, _)| store)
}

/// [`open_store_with`], then fetch the credentials of an AWS profile that
/// must be fetched (STS `AssumeRole`, `credential_process`) once, so that a
/// refused role or a failing process is a configuration error (one line
/// naming the profile and the URI) before anything is read or written,
/// not a failure at the first request. The store keeps what was fetched.
pub async fn open_store_checked(
    loc: &LakeLocation,
    opts: &StoreOptions,
) -> Result<Arc<dyn ObjectStore>, LakeError> {
    let (store, fetched) = open_store_parts(loc, opts)?;
    if let Some(provider) = fetched {
        provider
            .get_credential()
            .await
            .map_err(|e| LakeError::BadUri {
                uri: loc.root_uri(),
                reason: match e {
                    object_store::Error::Generic { source, .. } => source.to_string(),
                    other => crate::error::sanitize(&other.to_string()),
                },
            })?;
    }
    Ok(store)
}

/// The store, and the credential provider of an AWS profile whose
/// credentials are fetched (not static keys), if any.
fn open_store_parts(
    loc: &LakeLocation,
    opts: &StoreOptions,
) -> Result<(Arc<dyn ObjectStore>, Option<AwsCredentialProvider>), LakeError> {
    let (remote, fetched) = match &loc.kind {
        StoreKind::Local => return Ok((Arc::new(LocalFileSystem::new()), None)),
        StoreKind::S3 { bucket } => open_s3(loc, bucket, opts)?,
        StoreKind::Azure { account, container } => (open_azure(loc, account, container)?, None),
    };
    let limit = opts
        .max_requests
        .unwrap_or(DEFAULT_REQUESTS_PER_STORE)
        .max(1);
    Ok((
        Arc::new(object_store::limit::LimitStore::new(remote, limit)),
        fetched,
    ))
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

fn open_s3(
    loc: &LakeLocation,
    bucket: &str,
    opts: &StoreOptions,
) -> Result<(Arc<dyn ObjectStore>, Option<AwsCredentialProvider>), LakeError> {
    let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let has = |b: &AmazonS3Builder, k: AmazonS3ConfigKey| b.get_config_value(&k).is_some();
    let env_credentials = has(&b, AmazonS3ConfigKey::AccessKeyId)
        || has(&b, AmazonS3ConfigKey::SecretAccessKey)
        || (has(&b, AmazonS3ConfigKey::WebIdentityTokenFile)
            && has(&b, AmazonS3ConfigKey::RoleArn))
        || has(&b, AmazonS3ConfigKey::ContainerCredentialsRelativeUri)
        || has(&b, AmazonS3ConfigKey::ContainerCredentialsFullUri)
        || has(&b, AmazonS3ConfigKey::MetadataEndpoint)
        || truthy(b.get_config_value(&AmazonS3ConfigKey::SkipSignature));
    let profile = s3_profile(loc, opts, env_credentials)?;
    if !env_credentials && profile.is_none() {
        return Err(LakeError::BadUri {
            uri: loc.root_uri(),
            reason: "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, \
                     or a profile of ~/.aws/credentials / ~/.aws/config (AWS_PROFILE, or a \
                     [default] profile; AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE move the \
                     files), or web identity / container credentials, AWS_METADATA_ENDPOINT, \
                     or AWS_SKIP_SIGNATURE=true for a public bucket"
                .into(),
        });
    }
    if b.get_config_value(&AmazonS3ConfigKey::Region).is_none() {
        // AWS_DEFAULT_REGION is what the AWS CLI reads when AWS_REGION is unset.
        let region = b
            .get_config_value(&AmazonS3ConfigKey::DefaultRegion)
            .or_else(|| profile.as_ref().and_then(|p| p.region.clone()))
            .unwrap_or_else(|| "us-east-1".to_string());
        b = b.with_region(region);
    }
    let mut fetched = None;
    if let Some(p) = profile {
        let ignore = p.ignore_endpoint_url
            || truthy(std::env::var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").ok());
        if !ignore
            && !has(&b, AmazonS3ConfigKey::Endpoint)
            && !has(&b, AmazonS3ConfigKey::S3Endpoint)
        {
            if let Some(url) = &p.endpoint_url {
                b = b.with_endpoint(url);
            }
        }
        let (credentials, is_fetched) = profile_credentials(loc, &b, p)?;
        if is_fetched {
            fetched = Some(credentials.clone());
        }
        b = b.with_credentials(credentials);
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
    Ok((Arc::new(store), fetched))
}

/// The profile that gives this S3 root its credentials, if any: the one in
/// `opts`; else, without credentials in the environment, `AWS_PROFILE` or
/// (when the files give it credentials) `[default]`.
fn s3_profile(
    loc: &LakeLocation,
    opts: &StoreOptions,
    env_credentials: bool,
) -> Result<Option<ResolvedProfile>, LakeError> {
    let Some((name, named)) = choose_profile(
        opts.aws_profile.as_deref(),
        profile_from_env,
        env_credentials,
    ) else {
        return Ok(None);
    };
    let bad = |e: LakeError| LakeError::BadUri {
        uri: loc.root_uri(),
        reason: e.to_string(),
    };
    let files = ProfileFiles::load(&name).map_err(bad)?;
    if !named && !files.defines_credentials(&name) {
        return Ok(None);
    }
    files.resolve(&name).map(Some).map_err(bad)
}

/// Which profile to read, and whether it was named (an unknown named
/// profile is an error; an absent or credential-less `[default]` is not):
/// the caller's choice wins over everything; credentials in the environment
/// win over `AWS_PROFILE` (as in the AWS CLI); then `AWS_PROFILE`; then
/// `default`.
fn choose_profile(
    chosen: Option<&str>,
    env_profile: impl FnOnce() -> Option<String>,
    env_credentials: bool,
) -> Option<(String, bool)> {
    match chosen {
        Some(p) => Some((p.to_string(), true)),
        None if env_credentials => None,
        None => Some(match env_profile() {
            Some(p) => (p, true),
            None => ("default".to_string(), false),
        }),
    }
}

/// The credential provider of a resolved profile, and whether it fetches
/// (STS, a process) rather than holds static keys; `b` already holds the
/// region and endpoint.
fn profile_credentials(
    loc: &LakeLocation,
    b: &AmazonS3Builder,
    p: ResolvedProfile,
) -> Result<(AwsCredentialProvider, bool), LakeError> {
    if let (
        true,
        BaseCredentials::Static {
            key_id,
            secret_key,
            token,
            ..
        },
    ) = (p.roles.is_empty(), &p.base)
    {
        let fixed = StaticCredentialProvider::new(AwsCredential {
            key_id: key_id.clone(),
            secret_key: secret_key.clone(),
            token: token.clone(),
        });
        return Ok((Arc::new(fixed), false));
    }
    let bad = |reason: String| LakeError::BadUri {
        uri: loc.root_uri(),
        reason: format!("AWS profile {}: {reason}", p.name),
    };
    let region = b
        .get_config_value(&AmazonS3ConfigKey::Region)
        .unwrap_or_else(|| "us-east-1".to_string());
    let sts = match b
        .get_config_value(&AmazonS3ConfigKey::StsEndpoint)
        .or_else(|| b.get_config_value(&AmazonS3ConfigKey::Endpoint))
    {
        Some(u) => StsEndpoint {
            url: url::Url::parse(&u)
                .map_err(|e| bad(format!("the STS endpoint is not a URL: {e}")))?,
            region,
        },
        None => StsEndpoint::regional(&region),
    };
    let http = if p.roles.is_empty() {
        None
    } else {
        let allow_http =
            truthy(b.get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp)));
        if sts.url.scheme() != "https" && !allow_http {
            return Err(bad(format!(
                "the STS endpoint {} is not HTTPS: set AWS_ALLOW_HTTP=true to allow it",
                sts.url
            )));
        }
        Some(
            reqwest::Client::builder()
                .connect_timeout(STS_CONNECT_TIMEOUT)
                .timeout(STS_TIMEOUT)
                .build()
                .map_err(|e| config_error(loc, "STS", e))?,
        )
    };
    Ok((Arc::new(ProfileProvider::new(p, sts, http)), true))
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
    fn profile_choice_precedence() {
        let env = || Some("from-env".to_string());
        let none = || None;
        // The caller's profile beats keys in the environment.
        assert_eq!(
            choose_profile(Some("mine"), env, true),
            Some(("mine".into(), true))
        );
        // Keys in the environment beat AWS_PROFILE and [default].
        assert_eq!(choose_profile(None, env, true), None);
        assert_eq!(
            choose_profile(None, env, false),
            Some(("from-env".into(), true))
        );
        assert_eq!(
            choose_profile(None, none, false),
            Some(("default".into(), false))
        );
    }

    #[test]
    fn local_roots_open_without_configuration() {
        let loc = LakeLocation::parse("/tmp").unwrap();
        assert!(open_store(&loc).is_ok());
    }
}
