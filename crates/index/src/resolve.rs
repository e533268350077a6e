//! One identity per dataset: the URIs logs and lineage use → the catalog's
//! `dataset_uri`.
//!
//! Parsers already write canonical URIs (`s3://bucket/key`, `abfss://…`,
//! percent-decoded, no trailing slash). Two things remain, and both are done
//! at **query time** so that objects ingested before their dataset was scanned,
//! or before an alias was configured, still land on the right dataset:
//!
//! 1. **Aliases** (`[aliases]` in the config): a replica or a local mirror
//!    spelled differently, e.g. `"s3://corp-lake" = "file:///mnt/mirror/corp-lake"`.
//!    The longest matching prefix (at a `/` boundary) is rewritten.
//! 2. **Containment**: an object inside a dataset folder belongs to that
//!    dataset (`…/customers/part-0.parquet` → `…/customers`), found by walking
//!    the object's ancestors against the catalog's dataset set.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

/// Location prefixes as logs and lineage spell them → as the catalog does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    /// (from, to), longest `from` first.
    pairs: Vec<(String, String)>,
}

/// Problems with an `[aliases]` table.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct AliasError {
    pub file: String,
    pub reason: String,
}

impl Aliases {
    /// Aliases from (from, to) pairs of canonical URIs.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Aliases {
        let mut pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(f, t)| {
                (
                    f.trim_end_matches('/').to_string(),
                    t.trim_end_matches('/').to_string(),
                )
            })
            .filter(|(f, t)| !f.is_empty() && !t.is_empty() && f != t)
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        Aliases { pairs }
    }

    /// The `[aliases]` table of a TOML config (other tables are ignored).
    /// Either side may be any location spelling lakewarden accepts; a relative
    /// local path is taken relative to `base_dir` (the config file's folder).
    pub fn from_toml(text: &str, file: &str, base_dir: &Path) -> Result<Aliases, AliasError> {
        let err = |reason: String| AliasError {
            file: file.to_string(),
            reason,
        };
        let value: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| err(e.message().to_string()))?;
        let Some(aliases) = value.get("aliases") else {
            return Ok(Aliases::default());
        };
        let table = aliases
            .as_table()
            .ok_or_else(|| err("[aliases] must be a table of \"from\" = \"to\"".into()))?;
        let mut pairs = Vec::new();
        for (from, to) in table {
            let to = to
                .as_str()
                .ok_or_else(|| err(format!("[aliases] {from:?}: the value must be a string")))?;
            let canon = |s: &str| -> Result<String, AliasError> {
                let is_uri = s.contains("://");
                let spelled = if is_uri || Path::new(s).is_absolute() {
                    s.to_string()
                } else {
                    base_dir.join(s).display().to_string()
                };
                lakewarden_lake::canonical_uri(&spelled)
                    .map_err(|e| err(format!("[aliases] {from:?}: {e}")))
            };
            pairs.push((canon(from)?, canon(to)?));
        }
        Ok(Aliases::new(pairs))
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// `uri` with its longest aliased prefix rewritten.
    pub fn apply<'a>(&self, uri: &'a str) -> Cow<'a, str> {
        for (from, to) in &self.pairs {
            if let Some(rest) = strip_dir_prefix(uri, from) {
                return Cow::Owned(format!("{to}{rest}"));
            }
        }
        Cow::Borrowed(uri)
    }

    /// Every spelling that [`Aliases::apply`] maps onto `uri` or below it,
    /// `uri` itself included (for pushing a `dataset_uri` filter down to the
    /// logged `object_uri`).
    pub fn spellings(&self, uri: &str) -> Vec<String> {
        let mut out = vec![uri.to_string()];
        for (from, to) in &self.pairs {
            if let Some(rest) = strip_dir_prefix(uri, to) {
                out.push(format!("{from}{rest}"));
            }
        }
        out
    }
}

/// `uri` without `prefix` when `prefix` is `uri` or one of its folders
/// (`s3://b/data` is a prefix of `s3://b/data/x`, not of `s3://b/database`).
/// The rest keeps its leading `/`.
fn strip_dir_prefix<'a>(uri: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = uri.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Maps logged locations to catalog datasets.
#[derive(Debug, Clone, Default)]
pub struct LocationResolver {
    aliases: Aliases,
    datasets: BTreeSet<String>,
}

impl LocationResolver {
    pub fn new(aliases: Aliases, datasets: impl IntoIterator<Item = String>) -> Self {
        LocationResolver {
            aliases,
            datasets: datasets.into_iter().collect(),
        }
    }

    pub fn aliases(&self) -> &Aliases {
        &self.aliases
    }

    /// The catalog dataset holding `uri` (the dataset itself, or the dataset
    /// folder it lies in), after aliases.
    pub fn dataset_of(&self, uri: &str) -> Option<&str> {
        let aliased = self.aliases.apply(uri);
        let mut cur: &str = &aliased;
        let root_len = cur.find("://").map(|i| i + 3).unwrap_or(0);
        loop {
            if let Some(d) = self.datasets.get(cur) {
                return Some(d.as_str());
            }
            match cur.rfind('/') {
                Some(i) if i > root_len => cur = &cur[..i],
                _ => return None,
            }
        }
    }

    /// The dataset holding `uri` when the catalog knows it, else `uri` with
    /// aliases applied (a dataset outside the scanned lake).
    pub fn resolve(&self, uri: &str) -> String {
        match self.dataset_of(uri) {
            Some(d) => d.to_string(),
            None => self.aliases.apply(uri).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_rewrite_at_folder_boundaries_longest_first() {
        let a = Aliases::new([
            ("s3://corp".to_string(), "file:///m/corp".to_string()),
            ("s3://corp/raw".to_string(), "file:///r".to_string()),
        ]);
        assert_eq!(a.apply("s3://corp/x/y"), "file:///m/corp/x/y");
        assert_eq!(a.apply("s3://corp/raw/y"), "file:///r/y");
        assert_eq!(a.apply("s3://corporate/y"), "s3://corporate/y");
        assert_eq!(
            a.spellings("file:///r/t"),
            vec!["file:///r/t", "s3://corp/raw/t"]
        );
    }

    #[test]
    fn objects_resolve_to_the_dataset_folder_holding_them() {
        let r = LocationResolver::new(
            Aliases::new([("s3://corp".to_string(), "file:///lake".to_string())]),
            [
                "file:///lake/customers".to_string(),
                "file:///lake/orders.csv".to_string(),
            ],
        );
        assert_eq!(
            r.dataset_of("s3://corp/customers/region=eu/part-0.parquet"),
            Some("file:///lake/customers")
        );
        assert_eq!(
            r.dataset_of("s3://corp/orders.csv"),
            Some("file:///lake/orders.csv")
        );
        assert_eq!(r.dataset_of("s3://corp/customers_old/x"), None);
        assert_eq!(
            r.resolve("s3://corp/elsewhere/x"),
            "file:///lake/elsewhere/x"
        );
        assert_eq!(r.dataset_of("s3://other"), None);
    }

    #[test]
    fn toml_aliases_take_relative_paths_from_the_config_folder() {
        let a = Aliases::from_toml(
            "[aliases]\n\"s3://corp-lake/\" = \"demo-lake\"\n",
            "x.toml",
            Path::new("/etc/lw"),
        )
        .unwrap();
        assert_eq!(a.apply("s3://corp-lake/a"), "file:///etc/lw/demo-lake/a");
        let bad = Aliases::from_toml("[aliases]\nx = 3\n", "x.toml", Path::new("/"));
        assert!(bad
            .unwrap_err()
            .to_string()
            .starts_with("x.toml: [aliases]"));
    }
}
