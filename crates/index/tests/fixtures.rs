//! The shared fixtures under `fixtures/logs/` and `fixtures/lineage/` parse
//! as documented in `fixtures/logs/README.md`.

use std::path::{Path, PathBuf};

use lakewarden_index::{
    open_maybe_gzip, parse_azure_storage_log, parse_cloudtrail, parse_openlineage,
    parse_s3_access_log, AccessEvent, Operation, ParseReport,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn counts(r: &ParseReport) -> (u64, u64, u64, u64) {
    (r.lines, r.events, r.skipped, r.malformed)
}

#[test]
fn s3_fixtures() {
    let mut events: Vec<AccessEvent> = Vec::new();
    let mut reports = Vec::new();
    for f in files("logs/s3") {
        let r = parse_s3_access_log(open_maybe_gzip(&f).unwrap(), "fixture", &mut |e| {
            events.push(e)
        });
        reports.push(counts(&r));
    }
    assert_eq!(reports, vec![(11, 9, 0, 2), (4, 3, 0, 0)]);
    assert!(events.iter().any(
        |e| e.principal == "arn:aws:iam::123456789012:role/etl-spark"
            && e.object_uri == "s3://corp-lake/raw/customers/region=eu/part-00000.parquet"
            && e.operation == Operation::Read
    ));
}

#[test]
fn cloudtrail_fixture() {
    let [f] = &files("logs/cloudtrail")[..] else {
        panic!("expected one CloudTrail fixture")
    };
    let mut events: Vec<AccessEvent> = Vec::new();
    let r = parse_cloudtrail(open_maybe_gzip(f).unwrap(), "fixture", &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(counts(&r), (13, 10, 3, 0));
    let assumed = events
        .iter()
        .find(|e| e.principal_detail.as_deref() == Some("session=airflow-task-17"))
        .unwrap();
    assert_eq!(
        assumed.principal,
        "arn:aws:iam::123456789012:role/service/data-pipeline"
    );
}

#[test]
fn azure_fixture() {
    let [f] = &files("logs/azure")[..] else {
        panic!("expected one Azure fixture")
    };
    let mut events: Vec<AccessEvent> = Vec::new();
    let r = parse_azure_storage_log(open_maybe_gzip(f).unwrap(), "fixture", &mut |e| {
        events.push(e)
    });
    assert_eq!(counts(&r), (12, 9, 1, 2));
    assert!(events.iter().all(|e| e
        .object_uri
        .starts_with("abfss://lake@corplake.dfs.core.windows.net")
        || e.operation == Operation::Other));
}

#[test]
fn lineage_fixture_is_a_dag_to_models() {
    let f = fixtures().join("lineage/events.jsonl");
    let b = parse_openlineage(
        open_maybe_gzip(&f).unwrap(),
        "fixture",
        &["mlflow://", "models:/"],
    );
    assert_eq!(b.report.malformed, 0);
    let edge = |s: &str, t: &str| {
        b.edges.iter().any(|e| {
            e.source_uri == format!("s3://corp-lake/{s}")
                && e.target_uri == format!("s3://corp-lake/{t}")
        })
    };
    assert!(edge("raw/customers", "cleaned/customers"));
    assert!(edge("cleaned/customers", "features/customers"));
    assert_eq!(b.models.len(), 2);
    assert!(b
        .model_inputs
        .iter()
        .any(|m| m.dataset_uri == "s3://corp-lake/features/customers"
            && m.model_uri == "mlflow://mlflow.corp.example/churn-classifier/3"));
}
