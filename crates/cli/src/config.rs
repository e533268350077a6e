//! The lakewarden config file (`--config FILE`, or `LAKEWARDEN_CONFIG`): one
//! TOML file for the nightly estate scan (`[scan]`) and for ingest, query and
//! rtbf (`[aliases]`, `[lineage]`, `[retention]`). Every key is known: a
//! misspelt one is a configuration error (exit 2) naming the file, before
//! anything is scanned or written.
//!
//! ```toml
//! [scan]
//! roots = [
//!   "abfss://lake@corplake.dfs.core.windows.net/events",
//!   { uri = "s3://corp-lake/raw", profile = "lake-reader" },   # AWS named profile
//! ]
//! exclude = ["**/_archive/**", "tmp/**"]   # paths relative to each root
//! include = []                             # none: everything not excluded
//! sample_rows = 2000
//! min_hits = 2
//! min_confidence = 0.45
//! max_bad_rows = 0.10
//! max_value_bytes = 65536
//! concurrency = 4
//! memory_limit = "1GiB"                    # data in flight, all datasets together
//! requests_per_store = 64                  # S3 / Azure requests in flight per root
//! full = false
//! shard = "0/4"
//! rules = "rules/"                         # relative to this file
//!
//! [catalog]
//! vacuum_grace = "1h"   # replaced catalog files older than this are deleted after a run
//! ```
//!
//! Command-line flags override the file; roots given on the command line
//! are scanned together with the file's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file. Unknown sections and keys are refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub scan: ScanSection,
    /// Location → location it is known as in the catalog. Read by
    /// `lakewarden_index::Aliases` from the text; typed here so that its
    /// shape is checked with the rest.
    #[serde(default)]
    #[allow(dead_code)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub lineage: LineageSection,
    #[serde(default)]
    pub retention: RetentionSection,
    #[serde(default)]
    pub catalog: CatalogSection,
}

/// `[catalog]`: upkeep of the catalog itself, by scans and ingests alike.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    /// How long replaced manifests and data files are kept after a run
    /// ("1h", "30m", "0"; `lakewarden_catalog::parse_duration`).
    pub vacuum_grace: Option<String>,
}

/// `[scan]`: what a plain `lakewarden scan --config FILE` does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    #[serde(default)]
    pub roots: Vec<Root>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub rules: Option<PathBuf>,
    pub full: Option<bool>,
    pub sample_rows: Option<u64>,
    pub min_hits: Option<u64>,
    pub min_confidence: Option<f64>,
    pub max_bad_rows: Option<f64>,
    pub max_value_bytes: Option<usize>,
    pub concurrency: Option<usize>,
    /// A size such as "1GiB" or "512MB" (see `lakewarden_lake::parse_size`).
    pub memory_limit: Option<String>,
    pub requests_per_store: Option<usize>,
    pub shard: Option<String>,
}

/// A root: its URI, or a table with the URI and the AWS named profile its
/// store uses (`~/.aws/config`; wins over credentials in the environment).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Root {
    Uri(String),
    WithProfile(RootWithProfile),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootWithProfile {
    pub uri: String,
    pub profile: Option<String>,
}

impl Root {
    pub fn uri(&self) -> &str {
        match self {
            Root::Uri(u) => u,
            Root::WithProfile(r) => &r.uri,
        }
    }

    pub fn profile(&self) -> Option<&str> {
        match self {
            Root::Uri(_) => None,
            Root::WithProfile(r) => r.profile.as_deref(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageSection {
    pub model_namespaces: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// A retention policy file replacing the built-in `rules/retention.toml`.
    pub policies: Option<PathBuf>,
}

/// A config file as read: its text (other parsers read their sections from
/// it), the typed model and the folder relative paths resolve against.
pub struct LoadedConfig {
    pub shown: String,
    pub text: String,
    pub file: ConfigFile,
    pub base: PathBuf,
}

/// The vacuum grace of a scan or ingest: the `--vacuum-grace` flag, else
/// `[catalog] vacuum_grace` of the config, else the default (an hour).
pub fn vacuum_grace(
    flag: Option<&str>,
    loaded: Option<&LoadedConfig>,
) -> Result<std::time::Duration, String> {
    if let Some(text) = flag {
        return lakewarden_catalog::parse_duration(text)
            .map_err(|e| format!("--vacuum-grace: {e}"));
    }
    match loaded.and_then(|l| l.file.catalog.vacuum_grace.as_deref().map(|t| (l, t))) {
        Some((l, text)) => lakewarden_catalog::parse_duration(text)
            .map_err(|e| format!("{}: [catalog] vacuum_grace: {e}", l.shown)),
        None => Ok(lakewarden_catalog::DEFAULT_VACUUM_GRACE),
    }
}

impl LoadedConfig {
    pub fn read(path: &Path) -> Result<LoadedConfig, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{shown}: cannot read config: {e}"))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" (line {})", text[..s.start].matches('\n').count() + 1))
                .unwrap_or_default();
            format!("{shown}{at}: {}", e.message().trim())
        })?;
        let base = path
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        Ok(LoadedConfig {
            shown,
            text,
            file,
            base,
        })
    }

    /// A path from the file, relative to the file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<LoadedConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("estate.toml");
        std::fs::write(&p, text).unwrap();
        LoadedConfig::read(&p)
    }

    #[test]
    fn a_full_estate_config_parses() {
        let c = load(
            "[scan]\nroots = [\"s3://corp-lake/raw\"]\nexclude = [\"tmp/**\"]\nsample_rows = 5000\n\
             concurrency = 8\nshard = \"1/4\"\n[aliases]\n\"s3://a\" = \"/mnt/a\"\n\
             [lineage]\nmodel_namespaces = [\"mlflow://\"]\n",
        )
        .unwrap();
        assert_eq!(c.file.scan.roots, [Root::Uri("s3://corp-lake/raw".into())]);
        assert_eq!(c.file.scan.sample_rows, Some(5000));
        assert_eq!(c.file.scan.shard.as_deref(), Some("1/4"));
        assert_eq!(c.file.aliases["s3://a"], "/mnt/a");
    }

    #[test]
    fn roots_may_name_an_aws_profile() {
        let c = load(
            "[scan]\nroots = [\"/lake\", { uri = \"s3://corp/raw\", profile = \"reader\" }]\n",
        )
        .unwrap();
        let r = &c.file.scan.roots;
        assert_eq!((r[0].uri(), r[0].profile()), ("/lake", None));
        assert_eq!(
            (r[1].uri(), r[1].profile()),
            ("s3://corp/raw", Some("reader"))
        );
        assert!(load("[scan]\nroots = [{ uri = \"s3://x\", profil = \"r\" }]\n").is_err());
    }

    #[test]
    fn unknown_keys_are_refused_with_file_and_line() {
        let e = load("[scan]\nroots = []\nsample_row = 5\n").err().unwrap();
        assert!(e.contains("estate.toml (line 3)"), "{e}");
        assert!(e.contains("sample_row"), "{e}");
        let e = load("[scna]\n").err().unwrap();
        assert!(e.contains("scna"), "{e}");
        let e = load("[scan]\nconcurrency = \"many\"\n").err().unwrap();
        assert!(e.contains("line 2"), "{e}");
    }
}
