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

/// Every row of `table`'s index, sorted by the key then `event_id` / the
/// first column, rendered as text.
fn index_rows(
    catalog: &lakewarden_catalog::Catalog,
    table: lakewarden_catalog::Table,
) -> Vec<String> {
    use arrow::array::Array;
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let index =
        lakewarden_index::TableIndex::open(&lakewarden_index::index_dir(catalog, table), table)
            .unwrap();
    let (batch, stats) = index.search(&[], None).unwrap();
    assert_eq!(stats.docs_read, batch.num_rows() as u64);
    let opts = FormatOptions::default().with_null("NULL");
    let formatters: Vec<ArrayFormatter> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref() as &dyn Array, &opts).unwrap())
        .collect();
    let mut rows: Vec<String> = (0..batch.num_rows())
        .map(|r| {
            formatters
                .iter()
                .map(|f| f.value(r).to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    rows.sort();
    rows
}

/// `lakewarden ingest` hands the rows it commits to the index from memory;
/// the index it builds must be the one a rebuild from the catalog builds, and
/// re-ingesting (forced) must replace documents, not add them.
#[tokio::test]
async fn ingest_indexes_what_a_rebuild_from_the_catalog_indexes() {
    use lakewarden_catalog::{Catalog, IngestFormat, Table};
    use lakewarden_index::{ingest, sync_indexes, IngestOptions};
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("cat").to_str().unwrap())
        .await
        .unwrap();
    let audit = fixtures().join("audit");
    let run = |format, sub: &str, force| {
        let catalog = catalog.clone();
        let path = audit.join(sub).display().to_string();
        async move {
            let opts = IngestOptions {
                format,
                model_namespaces: vec!["mlflow://".to_string()],
                force,
            };
            let summary = ingest(&catalog, &[path], &opts).await.unwrap();
            assert!(summary.index_error.is_none(), "{:?}", summary.index_error);
            summary
        }
    };
    let s3 = run(IngestFormat::S3, "s3-access", false).await;
    assert_eq!(s3.index["access_events"].rows_indexed, s3.rows);
    assert_eq!(s3.index["access_events"].keys_replaced, s3.files_ingested);
    // A second format into the same index: the S3 documents stay as they are.
    let azure = run(IngestFormat::Azure, "azure", false).await;
    assert_eq!(azure.index["access_events"].rows_indexed, azure.rows);
    run(IngestFormat::OpenLineage, "openlineage", false).await;
    let tables = [
        Table::AccessEvents,
        Table::LineageEdges,
        Table::Models,
        Table::ModelInputs,
    ];
    let built: Vec<Vec<String>> = tables.iter().map(|&t| index_rows(&catalog, t)).collect();
    assert_eq!(built[0].len() as u64, s3.rows + azure.rows);
    assert!(!built[1].is_empty() && !built[2].is_empty());

    // Forced re-ingest: every file parsed and replaced again, same documents.
    let again = run(IngestFormat::S3, "s3-access", true).await;
    assert_eq!(again.files_ingested, s3.files_ingested);
    assert_eq!(index_rows(&catalog, Table::AccessEvents), built[0]);

    let rebuilt = sync_indexes(&catalog, true).await.unwrap();
    assert_eq!(
        rebuilt[&Table::AccessEvents].rows_indexed,
        s3.rows + azure.rows
    );
    for (t, want) in tables.iter().zip(&built) {
        assert_eq!(&index_rows(&catalog, *t), want, "{t}");
    }

    // Rows handed to an update but never matched to catalog files, or rolled
    // back, are not trusted: finishing reads those keys from the catalog.
    let snapshot = catalog.snapshot().await.unwrap();
    let keys = snapshot.keys(Table::AccessEvents).await.unwrap();
    let one_row = snapshot.read_table(Table::AccessEvents).await.unwrap()[0].slice(0, 1);
    let index = lakewarden_index::TableIndex::open(
        &lakewarden_index::index_dir(&catalog, Table::AccessEvents),
        Table::AccessEvents,
    )
    .unwrap();
    let mut update = index.update().unwrap();
    update
        .add(keys.clone(), vec![one_row.clone()])
        .await
        .unwrap();
    let stats = update.finish(&snapshot).await.unwrap();
    assert_eq!(stats.keys_replaced, keys.len() as u64);
    assert_eq!(index_rows(&catalog, Table::AccessEvents), built[0]);
    let mut update = index.update().unwrap();
    update.add(keys, vec![one_row]).await.unwrap();
    update.rollback().await.unwrap();
    let stats = update.finish(&snapshot).await.unwrap();
    assert_eq!(stats, lakewarden_index::SyncStats::default());
    assert_eq!(index_rows(&catalog, Table::AccessEvents), built[0]);
}

/// Searches over times and numbers are exact: to the microsecond (a term
/// index of dates would only hold seconds), nulls never match.
#[tokio::test]
async fn time_and_number_searches_are_exact() {
    use std::ops::Bound;

    use lakewarden_catalog::{Catalog, IngestFormat, Table};
    use lakewarden_index::{ingest, IngestOptions, Literal, Predicate, TableIndex};
    let dir = tempfile::tempdir().unwrap();
    let template: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(fixtures().join("audit/azure/storage-read.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    // (time, status, response size or none)
    let records = [
        ("2024-05-04T08:00:00.1000000Z", 200, Some(10)),
        ("2024-05-04T08:00:00.1000010Z", 200, Some(11)),
        ("2024-05-04T08:00:00.2000000Z", 404, None),
    ];
    let mut lines = String::new();
    for (i, (time, status, size)) in records.iter().enumerate() {
        let mut r = template.clone();
        r["time"] = (*time).into();
        r["statusCode"] = (*status).into();
        r["correlationId"] = format!("c{i}").into();
        match size {
            Some(s) => r["properties"]["responseBodySize"] = (*s).into(),
            None => {
                r["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("responseBodySize");
            }
        }
        lines.push_str(&r.to_string());
        lines.push('\n');
    }
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("PT1H.json"), lines).unwrap();
    let catalog = Catalog::open(dir.path().join("cat").to_str().unwrap())
        .await
        .unwrap();
    let opts = IngestOptions {
        format: IngestFormat::Azure,
        model_namespaces: vec![],
        force: false,
    };
    let summary = ingest(&catalog, &[logs.display().to_string()], &opts)
        .await
        .unwrap();
    assert_eq!(summary.rows, 3);
    let index = TableIndex::open(
        &lakewarden_index::index_dir(&catalog, Table::AccessEvents),
        Table::AccessEvents,
    )
    .unwrap();
    let micros = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    };
    let t = |i: usize| Literal::TimestampMicros(micros(records[i].0));
    let count = |p: Predicate| {
        assert!(index.supports(&p), "{p:?}");
        index.search(&[p], None).unwrap().0.num_rows()
    };
    let time_range = |lower, upper| Predicate::Range {
        column: "event_time".into(),
        lower,
        upper,
    };
    assert_eq!(
        count(time_range(Bound::Included(t(1)), Bound::Unbounded)),
        2
    );
    assert_eq!(
        count(time_range(Bound::Excluded(t(0)), Bound::Unbounded)),
        2
    );
    assert_eq!(
        count(time_range(Bound::Unbounded, Bound::Excluded(t(1)))),
        1
    );
    assert_eq!(
        count(time_range(Bound::Included(t(0)), Bound::Included(t(1)))),
        2
    );
    let is = |column: &str, values: Vec<Literal>| Predicate::In {
        column: column.into(),
        values,
    };
    assert_eq!(count(is("event_time", vec![t(1)])), 1);
    assert_eq!(count(is("event_time", vec![t(0), t(2)])), 2);
    assert_eq!(count(is("bytes", vec![Literal::I64(11)])), 1);
    assert_eq!(count(is("status", vec![Literal::I64(404)])), 1);
    let bytes_at_least = |n| Predicate::Range {
        column: "bytes".into(),
        lower: Bound::Included(Literal::I64(n)),
        upper: Bound::Unbounded,
    };
    // The record without a size is not "at least 0 bytes".
    assert_eq!(count(bytes_at_least(0)), 2);
    assert_eq!(count(bytes_at_least(11)), 1);
}

/// An ingest whose index cannot be updated (another writer holds it) commits
/// to the catalog all the same and reports the index; the next sync catches
/// the index up from the catalog — as after an ingest killed between its last
/// catalog commit and its index commit.
#[tokio::test]
async fn an_index_left_behind_catches_up_from_the_catalog() {
    use lakewarden_catalog::{Catalog, IngestFormat, Table};
    use lakewarden_index::{ingest, sync_indexes, IngestOptions, TableIndex};
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path().join("cat").to_str().unwrap())
        .await
        .unwrap();
    let path = fixtures().join("audit/s3-access").display().to_string();
    let opts = IngestOptions {
        format: IngestFormat::S3,
        model_namespaces: vec![],
        force: false,
    };
    let index_path = lakewarden_index::index_dir(&catalog, Table::AccessEvents);
    let index = TableIndex::open(&index_path, Table::AccessEvents).unwrap();
    let held = index.update().unwrap();
    let summary = ingest(&catalog, std::slice::from_ref(&path), &opts)
        .await
        .unwrap();
    assert!(summary.rows > 0);
    assert!(summary.index_error.is_some(), "the writer was held");
    // Dropped unfinished: nothing of it is visible.
    drop(held);
    assert!(index_rows(&catalog, Table::AccessEvents).is_empty());

    let synced = sync_indexes(&catalog, false).await.unwrap();
    assert_eq!(synced[&Table::AccessEvents].rows_indexed, summary.rows);
    let caught_up = index_rows(&catalog, Table::AccessEvents);
    assert_eq!(caught_up.len() as u64, summary.rows);
    sync_indexes(&catalog, true).await.unwrap();
    assert_eq!(index_rows(&catalog, Table::AccessEvents), caught_up);
}
