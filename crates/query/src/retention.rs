//! Retention policies (`rules/retention.toml`, data not code) and the
//! `retention_policies` table they become in every session, so `retention.sql`
//! can join them with what the scan found.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Deserialize;

use crate::QueryError;

static BUILTIN_RETENTION: &str = include_str!("../../../rules/retention.toml");

/// One policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    /// Applies to datasets holding a column classified as this entity.
    #[serde(default)]
    pub entity: Option<String>,
    /// Applies to datasets whose URI matches (`*` = any run of characters).
    #[serde(default)]
    pub dataset: Option<String>,
    pub max_age_days: i64,
    /// Measure the age of rows from this date column (`*` = any run of
    /// characters, matched against `column_path`): rows older than
    /// `max_age_days` are counted from the scan's date histograms, so a
    /// table appended daily is caught although its files are new.
    #[serde(default)]
    pub date_column: Option<String>,
    #[serde(default)]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct RetentionFile {
    #[serde(default)]
    policy: Vec<Policy>,
}

/// The policies in force.
#[derive(Debug, Clone, Default)]
pub struct RetentionPolicies {
    pub policies: Vec<Policy>,
}

impl RetentionPolicies {
    /// The built-in policies, or those of `file` instead when given.
    pub fn load(file: Option<&Path>) -> Result<RetentionPolicies, QueryError> {
        let (text, name) = match file {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|e| QueryError::File {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?,
                p.display().to_string(),
            ),
            None => (BUILTIN_RETENTION.to_string(), "rules/retention.toml".into()),
        };
        let f: RetentionFile = toml::from_str(&text).map_err(|e| QueryError::File {
            path: name.clone(),
            message: e.message().to_string(),
        })?;
        for p in &f.policy {
            if p.entity.is_none() && p.dataset.is_none() {
                return Err(QueryError::File {
                    path: name,
                    message: format!("policy {:?} needs an entity or a dataset pattern", p.name),
                });
            }
            if p.max_age_days < 0 {
                return Err(QueryError::File {
                    path: name,
                    message: format!("policy {:?}: max_age_days must not be negative", p.name),
                });
            }
        }
        Ok(RetentionPolicies { policies: f.policy })
    }

    /// Policies applying to a dataset with these entities, shortest first.
    pub fn applicable<'a>(
        &'a self,
        dataset_uri: &str,
        entities: &BTreeSet<&str>,
    ) -> Vec<&'a Policy> {
        let mut out: Vec<&Policy> = self
            .policies
            .iter()
            .filter(|p| p.applies(dataset_uri, entities))
            .collect();
        out.sort_by_key(|p| p.max_age_days);
        out
    }

    /// The policies as a table: `name, entity, dataset_pattern, max_age_days,
    /// why, date_column_pattern`. The patterns are SQL LIKE patterns (`*` → `%`).
    pub fn to_batch(&self) -> RecordBatch {
        let p = &self.policies;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(
                p.iter().map(|p| p.name.clone()),
            )),
            Arc::new(StringArray::from_iter(p.iter().map(|p| p.entity.clone()))),
            Arc::new(StringArray::from_iter(
                p.iter().map(|p| p.dataset.as_deref().map(like_pattern)),
            )),
            Arc::new(Int64Array::from_iter_values(
                p.iter().map(|p| p.max_age_days),
            )),
            Arc::new(StringArray::from_iter(p.iter().map(|p| p.why.clone()))),
            Arc::new(StringArray::from_iter(
                p.iter().map(|p| p.date_column.as_deref().map(like_pattern)),
            )),
        ];
        RecordBatch::try_new(Self::schema(), cols).expect("policy columns match their schema")
    }

    pub fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8, false),
            Field::new("entity", DataType::Utf8, true),
            Field::new("dataset_pattern", DataType::Utf8, true),
            Field::new("max_age_days", DataType::Int64, false),
            Field::new("why", DataType::Utf8, true),
            Field::new("date_column_pattern", DataType::Utf8, true),
        ]))
    }
}

/// A policy glob (`*` = any run of characters) as a SQL LIKE pattern.
fn like_pattern(glob: &str) -> String {
    glob.replace('%', "\\%")
        .replace('_', "\\_")
        .replace('*', "%")
}

impl Policy {
    fn applies(&self, dataset_uri: &str, entities: &BTreeSet<&str>) -> bool {
        let by_entity = self.entity.as_deref().map(|e| entities.contains(e));
        let by_dataset = self.dataset.as_deref().map(|d| glob(d, dataset_uri));
        match (by_entity, by_dataset) {
            (Some(a), Some(b)) => a && b,
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => false,
        }
    }

    /// Why it applies, in words.
    pub fn reason(&self, dataset_uri: &str, entities: &BTreeSet<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(e) = self.entity.as_deref().filter(|e| entities.contains(e)) {
            parts.push(format!("holds {e}"));
        }
        if let Some(d) = self.dataset.as_deref().filter(|d| glob(d, dataset_uri)) {
            parts.push(format!("matches {d}"));
        }
        parts.join(" and ")
    }
}

/// `*` matches any run of characters (including `/`).
fn glob(p: &str, s: &str) -> bool {
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if s.len() < first.len() + last.len() || !s.starts_with(first) || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Shared with `rtbf` (column-name patterns use the same syntax).
pub(crate) fn glob_match(p: &str, s: &str) -> bool {
    glob(p, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policies_load_and_apply() {
        let p = RetentionPolicies::load(None).unwrap();
        let ents: BTreeSet<&str> = ["EMAIL_ADDRESS", "CREDIT_CARD"].into_iter().collect();
        let names: Vec<&str> = p
            .applicable("file:///x/sales", &ents)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, vec!["card-data-13-months", "contact-data-3-years"]);
        let none: BTreeSet<&str> = BTreeSet::new();
        assert_eq!(p.applicable("file:///l/events/web.jsonl", &none).len(), 1);
        assert_eq!(p.to_batch().num_rows(), p.policies.len());
    }

    #[test]
    fn glob_anchors_both_ends() {
        assert!(glob("*/events/*", "file:///l/events/a.jsonl"));
        assert!(!glob("*/events/*", "file:///l/events"));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXbY"));
    }
}
