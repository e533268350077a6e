//! One error type for the crate. Every message names the object it is about and
//! never quotes cell values: messages from Arrow, Parquet, DataFusion or Delta
//! go through [`sanitize`] first, because their cast/parse errors can embed the
//! offending value.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    /// The URI given by the user cannot be understood.
    #[error("{uri}: {reason}")]
    BadUri { uri: String, reason: String },
    /// Listing or fetching an object failed (missing, permission, network).
    #[error("{uri}: {kind}: {detail}")]
    Store {
        uri: String,
        kind: StoreErrorKind,
        detail: String,
    },
    /// The object was read but its bytes are not what its format promises.
    #[error("{uri}: {detail}")]
    Corrupt { uri: String, detail: String },
    /// An AWS named profile cannot give credentials (not found, a bad
    /// setting, AssumeRole or credential_process failed). Never carries a
    /// secret or a credential process's output.
    #[error("AWS profile {profile}: {reason}")]
    AwsProfile { profile: String, reason: String },
    /// Too many malformed rows in a CSV / JSON Lines file.
    #[error("{uri}: {bad} of {total} rows malformed (above the {limit_pct}% limit); first at line {first_line}")]
    TooManyBadRows {
        uri: String,
        bad: u64,
        total: u64,
        limit_pct: f64,
        first_line: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    NotFound,
    PermissionDenied,
    Changed,
    Other,
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::PermissionDenied => "access denied",
            StoreErrorKind::Changed => "object changed while reading",
            StoreErrorKind::Other => "storage error",
        })
    }
}

impl LakeError {
    pub fn store(uri: impl Into<String>, err: &object_store::Error) -> Self {
        let kind = match err {
            object_store::Error::NotFound { .. } => StoreErrorKind::NotFound,
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => StoreErrorKind::PermissionDenied,
            object_store::Error::Precondition { .. } | object_store::Error::NotModified { .. } => {
                StoreErrorKind::Changed
            }
            // Listing errors arrive as `Generic` with the HTTP status inside.
            other => classify_generic(&other.to_string()),
        };
        LakeError::Store {
            uri: uri.into(),
            kind,
            detail: sanitize(&err.to_string()),
        }
    }

    pub fn corrupt(uri: impl Into<String>, detail: impl AsRef<str>) -> Self {
        LakeError::Corrupt {
            uri: uri.into(),
            detail: sanitize(detail.as_ref()),
        }
    }

    /// True when the error is about a vanished object (listed, then gone).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            LakeError::Store {
                kind: StoreErrorKind::NotFound,
                ..
            }
        )
    }
}

fn classify_generic(message: &str) -> StoreErrorKind {
    let has = |needles: &[&str]| needles.iter().any(|n| message.contains(n));
    if has(&[
        "404",
        "NoSuchBucket",
        "ContainerNotFound",
        "NoSuchKey",
        "BlobNotFound",
    ]) {
        StoreErrorKind::NotFound
    } else if has(&[
        "403",
        "401",
        "AccessDenied",
        "AuthorizationFailure",
        "AuthenticationFailed",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    ]) {
        StoreErrorKind::PermissionDenied
    } else {
        StoreErrorKind::Other
    }
}

/// Make a foreign error message safe for the catalog and logs: quoted
/// fragments (where Arrow and DataFusion put cell values) are replaced, the
/// message is flattened to one line and capped in length.
pub fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(300));
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                // Skip to the matching quote; if none, drop the rest.
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == c {
                        closed = true;
                        break;
                    }
                }
                out.push_str("<value>");
                if !closed {
                    break;
                }
            }
            '\n' | '\r' | '\t' => out.push(' '),
            _ => out.push(c),
        }
    }
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > 240 {
        let cut: String = collapsed.chars().take(240).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_removes_quoted_values_and_newlines() {
        let msg =
            "Cast error: Cannot cast string 'jane@example.com' to value of Int64 type\nat line 3";
        let s = sanitize(msg);
        assert!(!s.contains("jane"));
        assert!(s.contains("<value>"));
        assert!(!s.contains('\n'));
    }

    #[test]
    fn sanitize_handles_unclosed_quotes() {
        assert_eq!(sanitize("bad \"123-45-6789"), "bad <value>");
    }
}
