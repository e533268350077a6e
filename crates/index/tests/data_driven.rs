//! Data-driven parser tests: every `tests/data/<format>/<case>.<ext>` is
//! parsed and compared with `<case>.expected.json`. Run with
//! `UPDATE_EXPECT=1` to rewrite the expected files, then review the diff.

use std::path::{Path, PathBuf};

use lakewarden_index::{
    open_maybe_gzip, parse_azure_storage_log, parse_cloudtrail, parse_openlineage,
    parse_s3_access_log, AccessEvent,
};
use serde_json::{json, Value};

const MODEL_NAMESPACES: &[&str] = &["mlflow://", "models:/"];

fn data_dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format)
}

fn cases(format: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir(format))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no cases for {format}");
    v
}

fn expected_path(input: &Path) -> PathBuf {
    let name = input.file_name().unwrap().to_string_lossy();
    let stem = name.split('.').next().unwrap();
    input.with_file_name(format!("{stem}.expected.json"))
}

/// Source names are relative so event ids do not depend on the checkout.
fn source_name(input: &Path) -> String {
    let p = input.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
    p.to_string_lossy().replace('\\', "/")
}

fn check_all(format: &str, parse: impl Fn(&Path, &str) -> Value) {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for input in cases(format) {
        let actual = parse(&input, &source_name(&input));
        // Invariant: reports never quote input. Every case marks its
        // malformed lines with "leak".
        let report = actual
            .get("report")
            .map(Value::to_string)
            .unwrap_or_default();
        let error = actual
            .get("error")
            .map(Value::to_string)
            .unwrap_or_default();
        assert!(
            !report.contains("leak") && !error.contains("leak"),
            "{}: raw input in report: {report}{error}",
            input.display()
        );
        let text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        let exp = expected_path(&input);
        if update {
            std::fs::write(&exp, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&exp) {
            Ok(want) if want == text => {}
            Ok(_) => failures.push(format!("{} differs", exp.display())),
            Err(_) => failures.push(format!("{} missing", exp.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run with UPDATE_EXPECT=1 to rewrite, then review the diff)",
        failures.join("\n")
    );
}

fn events_json(report: impl serde::Serialize, events: Vec<AccessEvent>) -> Value {
    json!({ "report": report, "events": events })
}

#[test]
fn s3_access_logs() {
    check_all("s3", |path, source| {
        let mut events = Vec::new();
        let report = parse_s3_access_log(open_maybe_gzip(path).unwrap(), source, &mut |e| {
            events.push(e)
        });
        events_json(report, events)
    });
}

#[test]
fn cloudtrail_logs() {
    check_all("cloudtrail", |path, source| {
        let mut events = Vec::new();
        match parse_cloudtrail(open_maybe_gzip(path).unwrap(), source, &mut |e| {
            events.push(e)
        }) {
            Ok(report) => events_json(report, events),
            Err(e) => json!({ "error": e.to_string(), "events_before_error": events }),
        }
    });
}

#[test]
fn azure_storage_logs() {
    check_all("azure", |path, source| {
        let mut events = Vec::new();
        let report = parse_azure_storage_log(open_maybe_gzip(path).unwrap(), source, &mut |e| {
            events.push(e)
        });
        events_json(report, events)
    });
}

#[test]
fn openlineage_events() {
    check_all("lineage", |path, source| {
        let batch = parse_openlineage(open_maybe_gzip(path).unwrap(), source, MODEL_NAMESPACES);
        serde_json::to_value(batch).unwrap()
    });
}

#[test]
fn event_ids_are_stable_across_sources() {
    let path = data_dir("s3").join("basic.log");
    let ids = |source: &str| {
        let mut ids = Vec::new();
        parse_s3_access_log(open_maybe_gzip(&path).unwrap(), source, &mut |e| {
            ids.push(e.event_id)
        });
        ids
    };
    let a = ids("a");
    assert!(!a.is_empty());
    assert_eq!(a, ids("b"));
    let unique: std::collections::HashSet<_> = a.iter().collect();
    assert_eq!(unique.len(), a.len());
}
