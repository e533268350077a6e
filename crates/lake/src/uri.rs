//! Parsing user-supplied roots into a store plus a key prefix, and writing the
//! canonical `dataset_uri` (the join key of everything, see DESIGN.md).
//!
//! Canonical forms: `file:///abs/path`, `s3://bucket/key`,
//! `abfss://container@account.dfs.core.windows.net/path`; paths are
//! percent-decoded and carry no trailing slash.

use crate::error::LakeError;
use object_store::path::Path;
use percent_encoding::percent_decode_str;

/// Which kind of store a root lives on. Only `Local` is wired up by the
/// foundation; the others are parsed so that the canonical URI is right from
/// the start and the store seam (`store.rs`) can grow into them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    Local,
    S3 { bucket: String },
    Azure { account: String, container: String },
}

/// A parsed root: where the store is and which key prefix inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakeLocation {
    pub kind: StoreKind,
    /// Key prefix inside the store (for `Local`, the absolute path without the leading `/`).
    pub prefix: Path,
}

impl LakeLocation {
    /// Parse a root as given on the command line.
    pub fn parse(input: &str) -> Result<Self, LakeError> {
        let bad = |reason: &str| LakeError::BadUri {
            uri: input.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = input.strip_prefix("file://") {
            if !rest.starts_with('/') {
                return Err(bad(
                    "file:// URIs must hold an absolute path (file:///abs/path)",
                ));
            }
            let decoded = percent_decode_str(rest)
                .decode_utf8()
                .map_err(|_| bad("path is not valid UTF-8 after percent-decoding"))?;
            return Self::local(std::path::Path::new(decoded.as_ref()), input);
        }
        if let Some(rest) = input.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("missing bucket name"));
            }
            return Ok(LakeLocation {
                kind: StoreKind::S3 {
                    bucket: bucket.to_string(),
                },
                prefix: decoded_path(&decode(key)),
            });
        }
        if let Some(rest) = input.strip_prefix("az://") {
            // az://container/path: the account comes from the environment.
            let (container, key) = rest.split_once('/').unwrap_or((rest, ""));
            let account = std::env::var("AZURE_STORAGE_ACCOUNT_NAME")
                .or_else(|_| std::env::var("AZURE_STORAGE_ACCOUNT"))
                .unwrap_or_else(|_| "devstoreaccount1".to_string());
            return Ok(LakeLocation {
                kind: StoreKind::Azure {
                    account,
                    container: container.to_string(),
                },
                prefix: decoded_path(&decode(key)),
            });
        }
        if let Some(rest) = input.strip_prefix("abfss://") {
            let (authority, key) = rest.split_once('/').unwrap_or((rest, ""));
            let (container, host) = authority.split_once('@').ok_or_else(|| {
                bad("expected abfss://container@account.dfs.core.windows.net/path")
            })?;
            let account = host.split('.').next().unwrap_or_default().to_string();
            return Ok(LakeLocation {
                kind: StoreKind::Azure {
                    account,
                    container: container.to_string(),
                },
                prefix: decoded_path(&decode(key)),
            });
        }
        if let Some(rest) = input
            .strip_prefix("https://")
            .filter(|r| r.contains(".blob.core.windows.net/"))
        {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let account = host.split('.').next().unwrap_or_default().to_string();
            let (container, key) = path.split_once('/').unwrap_or((path, ""));
            return Ok(LakeLocation {
                kind: StoreKind::Azure {
                    account,
                    container: container.to_string(),
                },
                prefix: decoded_path(&decode(key)),
            });
        }
        if input.contains("://") {
            return Err(bad(
                "unsupported scheme (use a local path, file://, s3://, az:// or abfss://)",
            ));
        }
        Self::local(std::path::Path::new(input), input)
    }

    fn local(path: &std::path::Path, input: &str) -> Result<Self, LakeError> {
        let abs = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| LakeError::BadUri {
                    uri: input.to_string(),
                    reason: format!("cannot resolve relative path: {e}"),
                })?
                .join(path)
        };
        let abs = normalize_dots(&abs);
        let s = abs.to_str().ok_or_else(|| LakeError::BadUri {
            uri: input.to_string(),
            reason: "path is not valid UTF-8".into(),
        })?;
        Ok(LakeLocation {
            kind: StoreKind::Local,
            prefix: decoded_path(s),
        })
    }

    /// The canonical URI of a key in this location's store.
    pub fn uri_of(&self, key: &Path) -> String {
        let decoded = decode(key.as_ref());
        match &self.kind {
            StoreKind::Local => format!("file:///{decoded}"),
            StoreKind::S3 { bucket } => format!("s3://{bucket}/{decoded}"),
            StoreKind::Azure { account, container } => {
                format!("abfss://{container}@{account}.dfs.core.windows.net/{decoded}")
            }
        }
        .trim_end_matches('/')
        .to_string()
    }

    /// The canonical URI of the root itself.
    pub fn root_uri(&self) -> String {
        self.uri_of(&self.prefix)
    }

    /// A URL DataFusion / Delta can use to reach `key` in this store.
    pub fn url_of(&self, key: &Path) -> url::Url {
        let raw = match &self.kind {
            StoreKind::Local => format!("file:///{}", key.as_ref()),
            StoreKind::S3 { bucket } => format!("s3://{bucket}/{}", key.as_ref()),
            StoreKind::Azure { account, container } => {
                format!(
                    "abfss://{container}@{account}.dfs.core.windows.net/{}",
                    key.as_ref()
                )
            }
        };
        url::Url::parse(&raw).expect("store URLs built from parsed parts are valid")
    }

    /// The path of `key` relative to this location's prefix (`""` for the prefix itself).
    pub fn relative(&self, key: &Path) -> String {
        let k = decode(key.as_ref());
        let p = decode(self.prefix.as_ref());
        if p.is_empty() {
            return k;
        }
        k.strip_prefix(&p)
            .map(|r| r.trim_start_matches('/').to_string())
            .unwrap_or(k)
    }
}

/// Remove `.` and resolve `..` lexically (the path may not exist yet).
fn normalize_dots(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Build an object-store path from a decoded key, segment by segment so that
/// characters such as spaces or `%` survive the round trip.
///
/// `Path::parse` first: it keeps non-ASCII characters as they are, which is
/// how the stores' listings spell keys (`PathPart::from` would percent-encode
/// `ü`, and a local `head` of that spelling finds no file). Segments `parse`
/// refuses (`.`, `..`, or containing characters it reserves) fall back to the
/// encoding form.
fn decoded_path(key: &str) -> Path {
    let segments: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
    Path::parse(segments.join("/"))
        .unwrap_or_else(|_| Path::from_iter(segments.iter().map(|s| s.to_string())))
}

/// Percent-decode an object-store path as shown to users.
pub fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Canonicalise any supported spelling of a dataset location (used for
/// `explain` and later for log/lineage identities).
pub fn canonical_uri(input: &str) -> Result<String, LakeError> {
    Ok(LakeLocation::parse(input)?.root_uri())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_file_uris() {
        let l = LakeLocation::parse("/tmp/lake/a b/ü.csv").unwrap();
        assert_eq!(l.root_uri(), "file:///tmp/lake/a b/ü.csv");
        let l = LakeLocation::parse("file:///tmp/lake/a%20b/").unwrap();
        assert_eq!(l.root_uri(), "file:///tmp/lake/a b");
        let l = LakeLocation::parse("/tmp/x/../lake/./d").unwrap();
        assert_eq!(l.root_uri(), "file:///tmp/lake/d");
    }

    #[test]
    fn azure_spellings_agree() {
        let a = canonical_uri("abfss://lake@corp.dfs.core.windows.net/delta/customers/").unwrap();
        let b = canonical_uri("https://corp.blob.core.windows.net/lake/delta/customers").unwrap();
        assert_eq!(a, "abfss://lake@corp.dfs.core.windows.net/delta/customers");
        assert_eq!(a, b);
    }

    #[test]
    fn s3_keys_are_decoded() {
        assert_eq!(
            canonical_uri("s3://b/sales/region%3Deu/x.parquet").unwrap(),
            "s3://b/sales/region=eu/x.parquet"
        );
    }

    #[test]
    fn relative_paths_inside_root() {
        let l = LakeLocation::parse("/data/lake").unwrap();
        let k = Path::from_iter(["data", "lake", "sales", "region=eu", "p.parquet"]);
        assert_eq!(l.relative(&k), "sales/region=eu/p.parquet");
        assert!(LakeLocation::parse("gs2://x").is_err());
    }
}
