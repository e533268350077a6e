//! Canonical URIs and principals, matching `lakewarden-lake`'s spelling:
//! `s3://bucket/key`, `abfss://container@account.dfs.core.windows.net/path`,
//! `file:///path`; percent-decoded, no trailing slash.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

fn decode(s: &str) -> Cow<'_, str> {
    if s.contains('%') {
        percent_decode_str(s).decode_utf8_lossy()
    } else {
        Cow::Borrowed(s)
    }
}

fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = decode(path);
    let path = path.trim_matches('/');
    let mut out = String::with_capacity(base.len() + 1 + path.len());
    out.push_str(base);
    if !path.is_empty() {
        out.push('/');
        out.push_str(path);
    }
    out
}

/// `s3://bucket/key` from a bucket and a (possibly percent-encoded) key;
/// `s3://bucket` when the key is empty.
pub fn s3_uri(bucket: &str, key: &str) -> String {
    let key = decode(key);
    let key = key.trim_matches('/');
    let mut out = String::with_capacity(5 + bucket.len() + 1 + key.len());
    out.push_str("s3://");
    out.push_str(bucket);
    // As `join` trims its base.
    while out.ends_with('/') {
        out.pop();
    }
    if !key.is_empty() {
        out.push('/');
        out.push_str(key);
    }
    out
}

/// `abfss://container@account.dfs.core.windows.net[/path]`.
fn abfss(container: &str, account: &str, path: &str) -> String {
    join(
        &format!("abfss://{container}@{account}.dfs.core.windows.net"),
        path,
    )
}

/// An Azure Storage URL (`https://ACCOUNT.blob.core.windows.net/CONTAINER/path?query`,
/// also `.dfs.`) → `abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/path`.
/// Query and fragment are dropped. Other URLs are returned without query.
pub fn azure_url_to_abfss(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let rest = no_query
        .strip_prefix("https://")
        .or_else(|| no_query.strip_prefix("http://"));
    if let Some(rest) = rest {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
        let account = host
            .strip_suffix(".blob.core.windows.net")
            .or_else(|| host.strip_suffix(".dfs.core.windows.net"));
        if let Some(account) = account {
            let path = path.trim_start_matches('/');
            let (container, path) = path.split_once('/').unwrap_or((path, ""));
            if !container.is_empty() {
                return abfss(&decode(container), account, path);
            }
        }
    }
    no_query.trim_end_matches('/').to_string()
}

/// Dataset identity of an OpenLineage `namespace` + `name`.
///
/// `s3://b` / `s3a://b` / `s3n://b` + `k` → `s3://b/k`; `file` → `file:///name`;
/// `abfss://`, `abfs://`, `wasbs://`, `wasb://` → `abfss://c@a.dfs.core.windows.net/name`;
/// other `scheme://authority` namespaces (`hdfs://nn:8020`, `gs://b`) are
/// joined with `/`; a namespace without `://` (`bigquery`) gives `ns:name`.
pub fn dataset_uri(namespace: &str, name: &str) -> String {
    let ns = namespace.trim();
    if ns == "file" || ns == "file:" || ns.starts_with("file://") {
        let base = ns
            .strip_prefix("file:")
            .unwrap_or("")
            .trim_start_matches('/');
        let path = join(&format!("/{base}"), name);
        return format!("file://{}", if path.is_empty() { "/" } else { &path });
    }
    if let Some((scheme, rest)) = ns.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.trim_end_matches('/');
        // A namespace may carry a path prefix (`s3://bucket/prefix`).
        let (authority, prefix) = authority.split_once('/').unwrap_or((authority, ""));
        let full_name = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{}", name.trim_start_matches('/'))
        };
        match scheme.as_str() {
            "s3" | "s3a" | "s3n" => return s3_uri(authority, &full_name),
            "abfss" | "abfs" | "wasbs" | "wasb" => {
                if let Some((container, host)) = authority.split_once('@') {
                    let host = host.to_ascii_lowercase();
                    let account = host.split('.').next().unwrap_or(&host);
                    return abfss(container, account, &full_name);
                }
            }
            "https" | "http" => {
                return azure_url_to_abfss(&join(&format!("{scheme}://{authority}"), &full_name))
            }
            _ => {}
        }
        return join(&format!("{scheme}://{authority}"), &full_name);
    }
    format!("{ns}:{}", decode(name))
}

/// `true` for namespaces naming a storage location (not a table catalog).
pub(crate) fn is_storage_namespace(namespace: &str) -> bool {
    let ns = namespace.trim().to_ascii_lowercase();
    ns == "file"
        || [
            "file:", "s3://", "s3a://", "s3n://", "abfss://", "abfs://", "wasbs://", "wasb://",
            "gs://", "hdfs://",
        ]
        .iter()
        .any(|p| ns.starts_with(p))
}

/// An AWS principal ARN → (principal, detail). An assumed-role session
/// `arn:aws:sts::123:assumed-role/R/S` resolves to `arn:aws:iam::123:role/R`
/// with detail `session=S`; anything else is returned unchanged.
pub fn resolve_aws_principal(arn: &str) -> (String, Option<String>) {
    // Every line of an S3 access log comes through here: no searcher set-up,
    // no formatting machinery.
    const ROLE: &str = ":assumed-role/";
    let at = arn
        .bytes()
        .enumerate()
        .filter(|&(_, b)| b == b':')
        .map(|(i, _)| i)
        .find(|&i| arn[i..].starts_with(ROLE));
    if let Some(at) = at {
        // head: arn:PARTITION:sts::ACCOUNT
        let (head, rest) = (&arn[..at], &arn[at + ROLE.len()..]);
        if let Some((role, session)) = rest.split_once('/') {
            let mut parts = head.split(':');
            if let (Some("arn"), Some(partition), Some("sts"), Some(_), Some(account), None) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) {
                let mut principal =
                    String::with_capacity(16 + partition.len() + account.len() + role.len());
                for p in ["arn:", partition, ":iam::", account, ":role/", role] {
                    principal.push_str(p);
                }
                let mut detail = String::with_capacity(8 + session.len());
                detail.push_str("session=");
                detail.push_str(session);
                return (principal, Some(detail));
            }
        }
    }
    (arn.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_uris() {
        let cases = [
            (
                "s3://corp-lake",
                "raw/customers",
                "s3://corp-lake/raw/customers",
            ),
            (
                "s3a://corp-lake/",
                "/raw/customers/",
                "s3://corp-lake/raw/customers",
            ),
            ("s3://b", "sales/region%3Deu", "s3://b/sales/region=eu"),
            ("s3://b/prefix", "t", "s3://b/prefix/t"),
            ("file", "/data/x y.csv", "file:///data/x y.csv"),
            ("file:///", "data/x", "file:///data/x"),
            (
                "abfss://lake@Corp.dfs.core.windows.net",
                "delta/c",
                "abfss://lake@corp.dfs.core.windows.net/delta/c",
            ),
            (
                "wasbs://lake@corp.blob.core.windows.net",
                "delta/c",
                "abfss://lake@corp.dfs.core.windows.net/delta/c",
            ),
            (
                "hdfs://nn:8020",
                "/warehouse/t",
                "hdfs://nn:8020/warehouse/t",
            ),
            ("bigquery", "p.d.t", "bigquery:p.d.t"),
        ];
        for (ns, name, want) in cases {
            assert_eq!(dataset_uri(ns, name), want, "{ns} + {name}");
        }
    }

    #[test]
    fn azure_urls() {
        assert_eq!(
            azure_url_to_abfss(
                "https://corp.blob.core.windows.net/lake/a%20b/c.parquet?timeout=30"
            ),
            "abfss://lake@corp.dfs.core.windows.net/a b/c.parquet"
        );
        assert_eq!(
            azure_url_to_abfss(
                "https://corp.blob.core.windows.net:443/lake?restype=container&comp=list"
            ),
            "abfss://lake@corp.dfs.core.windows.net"
        );
        assert_eq!(
            azure_url_to_abfss("https://corp.blob.core.windows.net/?comp=list"),
            "https://corp.blob.core.windows.net"
        );
    }

    #[test]
    fn principals() {
        assert_eq!(
            resolve_aws_principal("arn:aws:sts::123456789012:assumed-role/etl-role/job-42"),
            (
                "arn:aws:iam::123456789012:role/etl-role".to_string(),
                Some("session=job-42".to_string())
            )
        );
        assert_eq!(
            resolve_aws_principal("arn:aws:iam::123456789012:user/alice").0,
            "arn:aws:iam::123456789012:user/alice"
        );
        for unchanged in [
            "arn:aws:sts::123456789012:assumed-role/no-session",
            "arn:aws:sts:x:123456789012:extra:assumed-role/r/s",
            "arn:aws:iam::123456789012:assumed-role/r/s",
            "x:aws:sts::123456789012:assumed-role/r/s",
            "assumed-role/r/s",
        ] {
            assert_eq!(
                resolve_aws_principal(unchanged),
                (unchanged.to_string(), None)
            );
        }
        assert_eq!(
            resolve_aws_principal("arn:aws-cn:sts::1:assumed-role/r/s/t").1,
            Some("session=s/t".to_string())
        );
    }
}
