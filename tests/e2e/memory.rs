//! The memory budget (`--memory-limit`, `[scan] memory_limit`): a budget far
//! below the demo lake's row groups gives exactly the findings of an
//! unbounded one (row groups are then read a few columns at a time), the
//! budget is never over-reserved, and a bad size is a usage error.

use crate::util::*;
use std::collections::BTreeSet;
use std::path::Path;

fn findings(catalog: &Path) -> BTreeSet<String> {
    query(
        catalog,
        "SELECT dataset_uri, column_path, entity, confidence, sampled_values, matched_values, \
         evidence FROM classifications",
    )
    .iter()
    .map(|r| r.to_string())
    .collect()
}

fn summary_of(dir: &Path, name: &str, extra: &[&str]) -> (std::path::PathBuf, serde_json::Value) {
    let catalog = dir.join(name);
    let summary = dir.join(format!("{name}.json"));
    let mut args = vec!["--summary-json", summary.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = scan(&catalog, &[&demo_lake()], &args);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let s = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    (catalog, s)
}

#[test]
fn a_tight_memory_budget_changes_how_data_is_read_not_what_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (roomy, roomy_summary) = summary_of(dir.path(), "roomy", &["--full"]);
    let limit = 64 * 1024u64;
    let (tight, s) = summary_of(
        dir.path(),
        "tight",
        &["--full", "--memory-limit", "64KiB", "--concurrency", "4"],
    );
    assert_eq!(s["schema_version"], 3);
    assert_eq!(s["memory_limit_bytes"].as_u64(), Some(limit));
    let peak = s["memory_reserved_peak_bytes"].as_u64().unwrap();
    assert!(peak > 0 && peak <= limit, "peak reserved {peak} of {limit}");
    assert_eq!(roomy_summary["memory_limit_bytes"].as_u64(), Some(1 << 30));
    let found = findings(&tight);
    assert!(
        found.len() > 50,
        "the demo lake has findings: {}",
        found.len()
    );
    assert_eq!(found, findings(&roomy));
    assert_eq!(
        query(&tight, "SELECT SUM(row_count) AS n FROM datasets"),
        query(&roomy, "SELECT SUM(row_count) AS n FROM datasets")
    );
    // The demo lake's Parquet row groups do not fit 16 KiB (64 KiB over 4
    // datasets): they were read a few columns at a time, and the datasets say so.
    let split = query(
        &tight,
        "SELECT dataset_uri FROM datasets WHERE notes LIKE '%a few columns at a time%'",
    );
    assert!(!split.is_empty(), "no dataset was read by column groups");
    assert!(query(
        &roomy,
        "SELECT dataset_uri FROM datasets WHERE notes LIKE '%a few columns at a time%'"
    )
    .is_empty());
}

#[test]
fn a_bad_memory_limit_is_a_usage_error_naming_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&demo_lake()], &["--memory-limit", "lots"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--memory-limit"), "{}", stderr(&o));
    let estate = dir.path().join("estate.toml");
    std::fs::write(&estate, "[scan]\nmemory_limit = \"5 parsecs\"\n").unwrap();
    let o = scan(
        &catalog,
        &[&demo_lake()],
        &["--config", estate.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("estate.toml") && err.contains("memory_limit"),
        "{err}"
    );
    assert!(
        !catalog.exists(),
        "nothing is written before the config is valid"
    );
}
