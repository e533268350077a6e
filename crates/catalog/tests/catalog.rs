//! Tests of the catalog: round trips, re-scan replacement, crash consistency, concurrent
//! writers, migration, compaction, vacuum.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::{TimeZone, Utc};
use lakewarden_catalog::batch::conform_batch;
use lakewarden_catalog::{
    batch_to_rows, rows_to_batch, Catalog, CatalogError, ClassificationRow, ColumnRow, Commit,
    DatasetFileRow, DatasetFormat, DatasetRow, DatasetStatus, Method, RunStatus, ScanMode,
    ScanRunRow, Sensitivity, Table, SCHEMA_VERSION,
};
use std::sync::Arc;

fn ts(secs: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 123_000).unwrap()
}

fn dataset(uri: &str, run: &str) -> DatasetRow {
    DatasetRow {
        dataset_uri: uri.to_string(),
        root_uri: "file:///lake".to_string(),
        format: DatasetFormat::Parquet,
        file_count: 3,
        row_count: Some(1000),
        rows_skipped: 0,
        bytes: 123_456,
        bytes_read: 23_456,
        version: None,
        last_modified: Some(ts(-3600)),
        last_scan_run: run.to_string(),
        scanned_at: ts(10),
        status: DatasetStatus::Ok,
        error: None,
        notes: Some("hive partitions: dt".to_string()),
        ruleset_fingerprint: "fp1".to_string(),
        content_fingerprint: Some("c1".to_string()),
        settings_fingerprint: Some("s1".to_string()),
    }
}

fn column(uri: &str, path: &str, run: &str) -> ColumnRow {
    ColumnRow {
        dataset_uri: uri.to_string(),
        column_path: path.to_string(),
        data_type: "Utf8".to_string(),
        null_fraction: 0.25,
        values_sampled: 1000,
        run_id: run.to_string(),
        considered: None,
    }
}

fn finding(uri: &str, path: &str, entity: &str, run: &str) -> ClassificationRow {
    ClassificationRow {
        dataset_uri: uri.to_string(),
        column_path: path.to_string(),
        entity: entity.to_string(),
        sensitivity: Sensitivity::Medium,
        confidence: 0.93,
        method: Method::Validator,
        sampled_values: 1000,
        matched_values: 950,
        validated_values: 940,
        evidence: "j***@e******.com | a***@b****.org".to_string(),
        explanation: r#"{"rule":"email","score":0.93}"#.to_string(),
        run_id: run.to_string(),
        first_seen_run: "run-0".to_string(),
        last_seen_run: run.to_string(),
        ruleset_fingerprint: "fp1".to_string(),
    }
}

fn run(id: &str) -> ScanRunRow {
    ScanRunRow {
        run_id: id.to_string(),
        started_at: ts(0),
        finished_at: Some(ts(60)),
        roots: vec!["file:///lake".to_string(), "s3://bucket/raw".to_string()],
        status: RunStatus::Partial,
        mode: ScanMode::Sample,
        datasets_scanned: 2,
        datasets_skipped: 1,
        datasets_failed: 1,
        datasets_unsupported: 0,
        ruleset_fingerprint: "fp1".to_string(),
        lakewarden_version: "0.1.0".to_string(),
        datasets_deleted: 0,
        shard: Some("1/4".to_string()),
    }
}

fn uris(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Every file each manifest on disk references exists.
fn assert_manifests_complete(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("_manifest")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for files in m["tables"].as_object().unwrap().values() {
            for f in files.as_array().unwrap() {
                let rel = f["path"].as_str().unwrap();
                assert!(
                    dir.join(rel).exists(),
                    "{} references missing {rel}",
                    path.display()
                );
            }
        }
    }
}

fn data_files(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let data = dir.join("data");
    if let Ok(tables) = std::fs::read_dir(&data) {
        for t in tables {
            let t = t.unwrap();
            for f in std::fs::read_dir(t.path()).unwrap() {
                let f = f.unwrap();
                out.insert(format!(
                    "data/{}/{}",
                    t.file_name().to_string_lossy(),
                    f.file_name().to_string_lossy()
                ));
            }
        }
    }
    out
}

fn sorted<T: Clone, K: Ord>(mut v: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    v.sort_by_key(|x| key(x));
    v
}

#[tokio::test]
async fn schemas_and_vocabularies() {
    let names: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        [
            "scan_runs",
            "datasets",
            "columns",
            "classifications",
            "ingest_sources",
            "access_events",
            "lineage_edges",
            "models",
            "model_inputs",
            "llm_answers",
            "dataset_files",
            "dataset_versions",
            "date_histograms",
            "file_evidence"
        ]
    );
    for &t in Table::ALL {
        assert_eq!(Table::from_name(t.name()), Some(t));
        let schema = t.schema();
        assert!(schema.field_with_name(t.key_column()).is_ok());
        for (col, values) in t.vocabularies() {
            assert_eq!(
                schema.field_with_name(col).unwrap().data_type(),
                &DataType::Utf8
            );
            assert!(!values.is_empty());
        }
    }
    assert_eq!(Table::ScanRuns.key_column(), "run_id");
    assert_eq!(Table::Classifications.key_column(), "dataset_uri");
    let ts_type = Table::Datasets
        .schema()
        .field_with_name("scanned_at")
        .unwrap()
        .data_type()
        .clone();
    assert!(matches!(
        ts_type,
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some(ref tz)) if tz.as_ref() == "UTC"
    ));
    assert_eq!("name_hint".parse::<Method>().unwrap(), Method::NameHint);
    assert_eq!(Sensitivity::High.as_str(), "HIGH");
    assert!("bogus".parse::<DatasetStatus>().is_err());
    assert_eq!(
        DatasetFormat::VALUES,
        ["parquet", "csv", "jsonl", "delta", "unknown"]
    );
    assert_eq!(
        rows_to_batch::<DatasetRow>(&[]).schema(),
        Table::Datasets.schema()
    );
}

#[tokio::test]
async fn row_conversion_round_trip() {
    let runs = vec![
        run("r1"),
        ScanRunRow {
            finished_at: None,
            roots: vec![],
            ..run("r2")
        },
    ];
    let b = rows_to_batch(&runs);
    assert_eq!(b.schema(), Table::ScanRuns.schema());
    assert_eq!(batch_to_rows::<ScanRunRow>(&b).unwrap(), runs);

    let ds = vec![
        dataset("file:///lake/a", "r1"),
        DatasetRow {
            row_count: None,
            version: Some(7),
            last_modified: None,
            error: Some("bad footer".into()),
            notes: None,
            status: DatasetStatus::Error,
            format: DatasetFormat::Delta,
            ..dataset("file:///lake/b", "r1")
        },
    ];
    assert_eq!(
        batch_to_rows::<DatasetRow>(&rows_to_batch(&ds)).unwrap(),
        ds
    );
    let cols = vec![column("file:///lake/a", "customer.email", "r1")];
    assert_eq!(
        batch_to_rows::<ColumnRow>(&rows_to_batch(&cols)).unwrap(),
        cols
    );
    let f = vec![finding(
        "file:///lake/a",
        "customer.email",
        "EMAIL_ADDRESS",
        "r1",
    )];
    assert_eq!(
        batch_to_rows::<ClassificationRow>(&rows_to_batch(&f)).unwrap(),
        f
    );
}

#[test]
fn conform_fills_absent_nullable_columns_and_casts() {
    // A batch as an older writer might have produced it: no `notes`, Utf8View uri.
    let full = rows_to_batch(&[dataset("file:///lake/a", "r1")]);
    let schema = full.schema();
    let mut fields = Vec::new();
    let mut cols = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if f.name() == "notes" {
            continue;
        }
        if f.name() == "dataset_uri" {
            fields.push(Field::new("dataset_uri", DataType::Utf8View, false));
            cols.push(arrow::compute::cast(full.column(i), &DataType::Utf8View).unwrap());
        } else {
            fields.push(f.as_ref().clone());
            cols.push(full.column(i).clone());
        }
    }
    let old = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
    let b = conform_batch(Table::Datasets, &old, false).unwrap();
    assert_eq!(b.schema(), Table::Datasets.schema());
    let rows = batch_to_rows::<DatasetRow>(&b).unwrap();
    assert_eq!(rows[0].notes, None);
    assert_eq!(rows[0].dataset_uri, "file:///lake/a");
    // a required column missing is an error
    let no_uri = b.project(&[1, 2]).unwrap();
    assert!(conform_batch(Table::Datasets, &no_uri, false).is_err());
}

#[tokio::test]
async fn round_trip_commit_snapshot_read() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    assert!(cat.location().starts_with("file:///"));
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(snap.generation(), 0);
    for &t in Table::ALL {
        assert!(snap.read_table(t).await.unwrap().is_empty());
        assert!(snap.table_files(t).is_empty());
    }

    let a = "file:///lake/a";
    let b = "file:///lake/b b%/ü"; // odd characters survive
    let mut c = Commit::new();
    c.put_run(run("r1"));
    c.replace_datasets(
        vec![dataset(a, "r1"), dataset(b, "r1")],
        vec![
            column(a, "email", "r1"),
            column(a, "name", "r1"),
            column(b, "ssn", "r1"),
        ],
        vec![
            finding(a, "email", "EMAIL_ADDRESS", "r1"),
            finding(b, "ssn", "US_SSN", "r1"),
        ],
    );
    let g = cat.commit(c).await.unwrap();
    assert_eq!(g, 1);

    // Read back through a fresh instance (another process).
    let cat2 = Catalog::open(&format!("file://{}", tmp.path().display()))
        .await
        .unwrap();
    let snap = cat2.snapshot().await.unwrap();
    assert_eq!(snap.generation(), 1);
    assert_eq!(
        snap.read_rows::<ScanRunRow>(None).await.unwrap(),
        vec![run("r1")]
    );
    let ds = sorted(snap.read_rows::<DatasetRow>(None).await.unwrap(), |d| {
        d.dataset_uri.clone()
    });
    assert_eq!(ds, vec![dataset(a, "r1"), dataset(b, "r1")]);
    let only_b = snap
        .read_rows::<ClassificationRow>(Some(&uris(&[b])))
        .await
        .unwrap();
    assert_eq!(only_b, vec![finding(b, "ssn", "US_SSN", "r1")]);
    assert_eq!(snap.read_rows::<ColumnRow>(None).await.unwrap().len(), 3);
    assert_eq!(snap.keys(Table::Datasets).await.unwrap(), uris(&[a, b]));
    assert_eq!(snap.keys(Table::ScanRuns).await.unwrap(), uris(&["r1"]));
    for batch in snap.read_table(Table::Classifications).await.unwrap() {
        assert_eq!(batch.schema(), Table::Classifications.schema());
    }

    // Files: URLs of existing Parquet files; object paths inside the store.
    let files = snap.table_files(Table::Datasets);
    assert_eq!(files.len(), 1);
    let url = url::Url::parse(&files[0]).unwrap();
    assert_eq!(url.scheme(), "file");
    assert!(url.to_file_path().unwrap().exists());
    assert_eq!(snap.store_url().as_str(), "file:///");
    let (obj, size) = snap.table_objects(Table::Datasets).remove(0);
    use object_store::ObjectStoreExt;
    let meta = snap.object_store().head(&obj).await.unwrap();
    assert_eq!(meta.size, size);

    // The manifest on disk has the documented shape.
    let m: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("_manifest/00000000000000000001.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(m["format_version"], 2);
    assert_eq!(m["schema_version"], SCHEMA_VERSION);
    assert_eq!(m["generation"], 1);
    assert_eq!(m["tables"]["datasets"][0]["rows"], 2);
    assert_eq!(
        m["tables"]["datasets"][0]["keys"],
        serde_json::json!([a, b])
    );
    assert_eq!(m["tables"]["datasets"][0]["key_count"], 2);
    assert_eq!(m["tables"]["datasets"][0]["key_min"], a);
    assert_eq!(m["tables"]["datasets"][0]["key_max"], b);
    assert!(m["tables"]["datasets"][0]["path"]
        .as_str()
        .unwrap()
        .starts_with("data/datasets/1-"));

    // An empty commit changes nothing.
    assert_eq!(cat.commit(Commit::new()).await.unwrap(), 1);
}

#[tokio::test]
async fn rescan_replaces_one_dataset_only() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let (a, b) = ("file:///lake/a", "file:///lake/b");

    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "r1"), dataset(b, "r1")],
        vec![
            column(a, "email", "r1"),
            column(a, "phone", "r1"),
            column(b, "ssn", "r1"),
        ],
        vec![
            finding(a, "email", "EMAIL_ADDRESS", "r1"),
            finding(a, "phone", "PHONE_NUMBER", "r1"),
            finding(b, "ssn", "US_SSN", "r1"),
        ],
    );
    cat.commit(c).await.unwrap();
    let before = cat.snapshot().await.unwrap();
    let old_file = before.table_entries(Table::Classifications)[0].clone();
    assert_eq!(old_file.keys, uris(&[a, b]));

    // Re-scan A: one finding now, and the phone column is gone.
    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "r2")],
        vec![column(a, "email", "r2")],
        vec![finding(a, "email", "EMAIL_ADDRESS", "r2")],
    );
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();

    // B untouched, A only new rows.
    let f = sorted(
        snap.read_rows::<ClassificationRow>(None).await.unwrap(),
        |f| f.dataset_uri.clone(),
    );
    assert_eq!(
        f,
        vec![
            finding(a, "email", "EMAIL_ADDRESS", "r2"),
            finding(b, "ssn", "US_SSN", "r1")
        ]
    );
    let cols = sorted(snap.read_rows::<ColumnRow>(None).await.unwrap(), |c| {
        c.dataset_uri.clone()
    });
    assert_eq!(cols, vec![column(a, "email", "r2"), column(b, "ssn", "r1")]);
    let ds = sorted(snap.read_rows::<DatasetRow>(None).await.unwrap(), |d| {
        d.dataset_uri.clone()
    });
    assert_eq!(ds, vec![dataset(a, "r2"), dataset(b, "r1")]);

    // The A+B file was rewritten (copy-on-write) into a B-only file plus a new A file.
    let entries = snap.table_entries(Table::Classifications);
    assert!(entries.iter().all(|e| e.path != old_file.path));
    let mut keysets: Vec<Vec<String>> = entries.iter().map(|e| e.keys.clone()).collect();
    keysets.sort();
    assert_eq!(keysets, vec![uris(&[a]), uris(&[b])]);
    // The old snapshot still reads the old state (its files are still there).
    assert_eq!(
        before
            .read_rows::<ClassificationRow>(None)
            .await
            .unwrap()
            .len(),
        3
    );

    // Re-scanning A again with zero findings clears them; A-only files are dropped
    // without being rewritten.
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(a, "r3")], vec![], vec![]);
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    let f = snap.read_rows::<ClassificationRow>(None).await.unwrap();
    assert_eq!(f, vec![finding(b, "ssn", "US_SSN", "r1")]);
    assert_eq!(
        snap.read_rows::<ColumnRow>(Some(&uris(&[a])))
            .await
            .unwrap(),
        vec![]
    );
    assert_eq!(snap.keys(Table::Datasets).await.unwrap(), uris(&[a, b]));
    assert_manifests_complete(tmp.path());
}

#[tokio::test]
async fn mark_deleted_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let (a, b) = ("file:///lake/a", "file:///lake/b");
    let mut c = Commit::new();
    c.put_run(ScanRunRow {
        status: RunStatus::Running,
        finished_at: None,
        ..run("r1")
    });
    c.replace_datasets(
        vec![dataset(a, "r1"), dataset(b, "r1")],
        vec![column(a, "email", "r1"), column(b, "ssn", "r1")],
        vec![
            finding(a, "email", "EMAIL_ADDRESS", "r1"),
            finding(b, "ssn", "US_SSN", "r1"),
        ],
    );
    cat.commit(c).await.unwrap();

    let mut c = Commit::new();
    c.put_run(run("r2"));
    c.put_run(run("r1")); // replaces the running row
    c.mark_deleted(uris(&[a, "file:///never/seen"]), "r2");
    cat.commit(c).await.unwrap();

    let snap = cat.snapshot().await.unwrap();
    let runs = sorted(snap.read_rows::<ScanRunRow>(None).await.unwrap(), |r| {
        r.run_id.clone()
    });
    assert_eq!(runs, vec![run("r1"), run("r2")]);
    let ds = sorted(snap.read_rows::<DatasetRow>(None).await.unwrap(), |d| {
        d.dataset_uri.clone()
    });
    assert_eq!(ds.len(), 2, "an unknown dataset is not invented");
    assert_eq!(ds[0].dataset_uri, a);
    assert_eq!(ds[0].status, DatasetStatus::Deleted);
    assert_eq!(ds[0].last_scan_run, "r2");
    assert_eq!(ds[0].format, DatasetFormat::Parquet);
    assert_eq!(ds[1], dataset(b, "r1"));
    assert_eq!(
        snap.read_rows::<ClassificationRow>(None).await.unwrap(),
        vec![finding(b, "ssn", "US_SSN", "r1")]
    );
    assert_eq!(
        snap.read_rows::<ColumnRow>(None).await.unwrap(),
        vec![column(b, "ssn", "r1")]
    );

    // A later replace of the same dataset in the same commit wins over mark_deleted.
    let mut c = Commit::new();
    c.mark_deleted(uris(&[b]), "r3");
    c.replace_datasets(vec![dataset(b, "r3")], vec![], vec![]);
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    let rows = snap
        .read_rows::<DatasetRow>(Some(&uris(&[b])))
        .await
        .unwrap();
    assert_eq!(rows, vec![dataset(b, "r3")]);
}

fn file(dataset: &str, name: &str, run: &str) -> DatasetFileRow {
    DatasetFileRow {
        dataset_uri: dataset.to_string(),
        object_uri: format!("{dataset}/{name}"),
        size: 42,
        e_tag: Some("\"abc\"".to_string()),
        last_modified: Some(ts(5)),
        run_id: run.to_string(),
    }
}

#[tokio::test]
async fn dataset_files_go_and_come_with_their_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let (a, b) = ("file:///lake/a", "file:///lake/b");
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(a, "r1"), dataset(b, "r1")], vec![], vec![]);
    c.put_dataset_files(vec![
        file(a, "p0", "r1"),
        file(a, "p1", "r1"),
        file(b, "p0", "r1"),
    ]);
    cat.commit(c).await.unwrap();
    let files = |snap: lakewarden_catalog::Snapshot| async move {
        sorted(snap.read_rows::<DatasetFileRow>(None).await.unwrap(), |f| {
            f.object_uri.clone()
        })
    };
    assert_eq!(files(cat.snapshot().await.unwrap()).await.len(), 3);

    // A re-scan of `a` replaces its files; one without files clears them.
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(a, "r2")], vec![], vec![]);
    c.put_dataset_files(vec![file(a, "p2", "r2")]);
    cat.commit(c).await.unwrap();
    let got = files(cat.snapshot().await.unwrap()).await;
    assert_eq!(got, vec![file(a, "p2", "r2"), file(b, "p0", "r1")]);
    // Deleting `b` drops its files too.
    let mut c = Commit::new();
    c.mark_deleted(uris(&[b]), "r3");
    cat.commit(c).await.unwrap();
    assert_eq!(
        files(cat.snapshot().await.unwrap()).await,
        vec![file(a, "p2", "r2")]
    );
    // Files without their dataset row are refused.
    let mut c = Commit::new();
    c.put_dataset_files(vec![file("file:///lake/none", "p", "r4")]);
    assert!(cat.commit(c).await.is_err());
}

#[tokio::test]
async fn invalid_commits_are_refused_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let a = "file:///lake/a";

    // Findings without their dataset row, in one replace_datasets call.
    let mut c = Commit::new();
    c.replace_datasets(
        vec![],
        vec![],
        vec![finding(a, "email", "EMAIL_ADDRESS", "r1")],
    );
    let e = cat.commit(c).await.unwrap_err();
    assert!(matches!(e, CatalogError::InvalidCommit(_)), "{e}");
    assert!(e.to_string().contains(a), "{e}");

    // … or through the generic form, checked against the resulting manifest.
    let mut c = Commit::new();
    c.replace_batches(
        Table::Classifications,
        uris(&[a]),
        vec![rows_to_batch(&[finding(a, "email", "EMAIL_ADDRESS", "r1")])],
    );
    let e = cat.commit(c).await.unwrap_err();
    assert!(e.to_string().contains("no datasets row"), "{e}");

    // Out-of-vocabulary and out-of-range values.
    let mut bad = rows_to_batch(&[dataset(a, "r1")]);
    let idx = bad.schema().index_of("status").unwrap();
    let mut cols = bad.columns().to_vec();
    cols[idx] = Arc::new(StringArray::from(vec!["gone"]));
    bad = RecordBatch::try_new(bad.schema(), cols).unwrap();
    let mut c = Commit::new();
    c.replace_batches(Table::Datasets, uris(&[a]), vec![bad]);
    let e = cat.commit(c).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("\"gone\" is not one of ok|error|unsupported|deleted"),
        "{e}"
    );

    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "r1")],
        vec![],
        vec![ClassificationRow {
            confidence: 1.5,
            ..finding(a, "x", "US_SSN", "r1")
        }],
    );
    let e = cat.commit(c).await.unwrap_err();
    assert!(e.to_string().contains("outside 0..1"), "{e}");

    // An unknown column is refused.
    let b = rows_to_batch(&[dataset(a, "r1")]);
    let mut fields: Vec<Field> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new("raw_value", DataType::Utf8, true));
    let mut cols = b.columns().to_vec();
    cols.push(Arc::new(StringArray::from(vec![Some("x")])));
    let wide = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).unwrap();
    let mut c = Commit::new();
    c.replace_batches(Table::Datasets, vec![], vec![wide]);
    assert!(cat
        .commit(c)
        .await
        .unwrap_err()
        .to_string()
        .contains("unknown column raw_value"));

    assert_eq!(cat.snapshot().await.unwrap().generation(), 0);
    assert!(
        data_files(tmp.path()).is_empty(),
        "{:?}",
        data_files(tmp.path())
    );
}

#[tokio::test]
async fn killed_writer_leaves_invisible_files_that_vacuum_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Catalog::open(dir.to_str().unwrap()).await.unwrap();
    let a = "file:///lake/a";
    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "r1")],
        vec![],
        vec![finding(a, "e", "US_SSN", "r1")],
    );
    cat.commit(c).await.unwrap();
    let live = data_files(dir);

    // A writer that wrote its data files and died before creating manifest 2: simulate
    // with a second catalog directory's files copied in, plus a partial upload of the
    // manifest and of a data file (LocalFileSystem staging names).
    let other = tempfile::tempdir().unwrap();
    let cat_other = Catalog::open(other.path().to_str().unwrap()).await.unwrap();
    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "rX")],
        vec![],
        vec![finding(a, "e", "CREDIT_CARD", "rX")],
    );
    cat_other.commit(c).await.unwrap();
    let orphans = data_files(other.path());
    assert_eq!(orphans.len(), 2, "datasets + classifications (no columns)");
    for rel in orphans {
        let target = dir.join(rel.replace("/1-", "/2-"));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(other.path().join(&rel), target).unwrap();
    }
    std::fs::write(
        dir.join("_manifest/00000000000000000002.json#1"),
        b"{\"format_vers",
    )
    .unwrap();
    std::fs::write(dir.join("data/datasets/2-deadbeef.parquet#1"), b"PAR1").unwrap();
    assert!(data_files(dir).len() > live.len());

    // Readers see generation 1 only.
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(snap.generation(), 1);
    let f = snap.read_rows::<ClassificationRow>(None).await.unwrap();
    assert_eq!(f, vec![finding(a, "e", "US_SSN", "r1")]);

    // A grace period protects in-flight files; grace 0 removes them.
    let stats = cat.vacuum(Duration::from_secs(3600)).await.unwrap();
    assert_eq!(stats.data_files_deleted, 0);
    let stats = cat.vacuum(Duration::ZERO).await.unwrap();
    assert_eq!(stats.data_files_deleted, 2, "{stats:?}");
    assert_eq!(stats.staging_files_deleted, 2, "{stats:?}");
    assert_eq!(data_files(dir), live);
    assert!(!dir.join("_manifest/00000000000000000002.json#1").exists());

    // The next commit takes generation 2 normally.
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(a, "r2")], vec![], vec![]);
    assert_eq!(cat.commit(c).await.unwrap(), 2);
    assert!(cat
        .snapshot()
        .await
        .unwrap()
        .read_rows::<ClassificationRow>(None)
        .await
        .unwrap()
        .is_empty());
    assert_manifests_complete(dir);
}

#[tokio::test]
async fn vacuum_keeps_recent_manifests_and_their_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Catalog::open(dir.to_str().unwrap()).await.unwrap();
    let a = "file:///lake/a";
    for i in 0..15 {
        let r = format!("r{i}");
        let mut c = Commit::new();
        c.put_run(run(&r));
        c.replace_datasets(vec![dataset(a, &r)], vec![column(a, "c", &r)], vec![]);
        cat.commit(c).await.unwrap();
    }
    let stats = cat.vacuum(Duration::ZERO).await.unwrap();
    // Generations 0..=15 exist; the 10 newest (6..=15) are kept.
    assert_eq!(stats.manifests_deleted, 6);
    // Each commit replaced A's datasets and columns files; those of generations 1..=5
    // are referenced by no kept manifest.
    assert_eq!(stats.data_files_deleted, 10, "{stats:?}");
    assert!(stats.bytes_deleted > 0);
    assert_manifests_complete(dir);
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(snap.generation(), 15);
    assert_eq!(snap.read_rows::<ScanRunRow>(None).await.unwrap().len(), 15);
    assert_eq!(
        snap.read_rows::<DatasetRow>(None).await.unwrap(),
        vec![dataset(a, "r14")]
    );
    assert_eq!(
        cat.vacuum(Duration::ZERO).await.unwrap(),
        Default::default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_one_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let loc = tmp.path().to_str().unwrap().to_string();
    let (c1, c2) = tokio::join!(Catalog::open(&loc), Catalog::open(&loc));
    let (c1, c2) = (c1.unwrap(), c2.unwrap());
    let mut tasks = Vec::new();
    for w in 0..2 {
        for i in 0..20 {
            let cat = if w == 0 { c1.clone() } else { c2.clone() };
            tasks.push(tokio::spawn(async move {
                let uri = format!("file:///lake/w{w}/d{i:02}");
                let r = format!("run-w{w}-{i}");
                let mut c = Commit::new();
                c.put_run(run(&r));
                c.replace_datasets(
                    vec![dataset(&uri, &r)],
                    vec![column(&uri, "email", &r)],
                    vec![finding(&uri, "email", "EMAIL_ADDRESS", &r)],
                );
                cat.commit(c).await.unwrap()
            }));
        }
    }
    let mut generations = BTreeSet::new();
    for t in tasks {
        assert!(
            generations.insert(t.await.unwrap()),
            "two commits got one generation"
        );
    }
    assert_eq!(generations, (1..=40).collect());
    let snap = c1.snapshot().await.unwrap();
    assert_eq!(snap.generation(), 40);
    assert_eq!(snap.read_rows::<DatasetRow>(None).await.unwrap().len(), 40);
    assert_eq!(snap.read_rows::<ScanRunRow>(None).await.unwrap().len(), 40);
    let f = snap.read_rows::<ClassificationRow>(None).await.unwrap();
    assert_eq!(f.len(), 40);
    let keys: BTreeSet<_> = f.iter().map(|f| f.dataset_uri.clone()).collect();
    assert_eq!(keys.len(), 40);
    assert_manifests_complete(tmp.path());
    // Losers of a race delete the files they rewrote for nothing: only referenced or
    // superseded-by-generation files remain, and vacuum finds nothing unreferenced.
    let stats = c2.vacuum(Duration::ZERO).await.unwrap();
    assert_eq!(stats.data_files_deleted, 0, "{stats:?}");
}

#[tokio::test]
async fn migration_adds_missing_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cat = Catalog::open(dir.to_str().unwrap()).await.unwrap();
    let a = "file:///lake/a";
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(a, "r1")], vec![column(a, "x", "r1")], vec![]);
    cat.commit(c).await.unwrap();
    drop(cat);

    // Hand-made older manifest: schema_version 0, no `classifications` / `scan_runs`.
    let m1: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("_manifest/00000000000000000001.json")).unwrap(),
    )
    .unwrap();
    let old = serde_json::json!({
        "format_version": 1,
        "schema_version": 0,
        "generation": 2,
        "created_at": "2024-01-01T00:00:00Z",
        "tables": { "datasets": m1["tables"]["datasets"], "columns": m1["tables"]["columns"] }
    });
    std::fs::write(
        dir.join("_manifest/00000000000000000002.json"),
        old.to_string(),
    )
    .unwrap();

    let cat = Catalog::open(dir.to_str().unwrap()).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(
        snap.generation(),
        3,
        "the migration is committed as a new generation"
    );
    assert_eq!(snap.manifest().schema_version, SCHEMA_VERSION);
    for &t in Table::ALL {
        assert!(snap.manifest().tables.contains_key(t.name()), "{t}");
    }
    assert!(snap
        .read_table(Table::Classifications)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        snap.read_rows::<DatasetRow>(None).await.unwrap(),
        vec![dataset(a, "r1")]
    );
    // Reopening does not migrate again.
    let cat = Catalog::open(dir.to_str().unwrap()).await.unwrap();
    assert_eq!(cat.snapshot().await.unwrap().generation(), 3);

    // A catalog written by a newer lakewarden is refused, naming the manifest.
    let newer = serde_json::json!({
        "format_version": 1, "schema_version": SCHEMA_VERSION + 1, "generation": 4,
        "created_at": "2030-01-01T00:00:00Z", "tables": {}
    });
    std::fs::write(
        dir.join("_manifest/00000000000000000004.json"),
        newer.to_string(),
    )
    .unwrap();
    let e = Catalog::open(dir.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(e, CatalogError::UnsupportedVersion { .. }), "{e}");
    assert!(e.to_string().contains("00000000000000000004.json"), "{e}");
    assert!(cat.snapshot().await.is_err());
}

#[tokio::test]
async fn compact_merges_files_keeping_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    for i in 0..12 {
        let uri = format!("file:///lake/d{i:02}");
        let r = format!("r{i}");
        let mut c = Commit::new();
        c.put_run(run(&r));
        c.replace_datasets(
            vec![dataset(&uri, &r)],
            vec![column(&uri, "a", &r), column(&uri, "b", &r)],
            vec![finding(&uri, "a", "EMAIL_ADDRESS", &r)],
        );
        cat.commit(c).await.unwrap();
    }
    let before = cat.snapshot().await.unwrap();
    assert_eq!(before.table_files(Table::Columns).len(), 12);

    async fn all(
        s: &lakewarden_catalog::Snapshot,
    ) -> (
        Vec<ScanRunRow>,
        Vec<DatasetRow>,
        Vec<ColumnRow>,
        Vec<ClassificationRow>,
    ) {
        (
            sorted(s.read_rows(None).await.unwrap(), |r: &ScanRunRow| {
                r.run_id.clone()
            }),
            sorted(s.read_rows(None).await.unwrap(), |r: &DatasetRow| {
                r.dataset_uri.clone()
            }),
            sorted(s.read_rows(None).await.unwrap(), |r: &ColumnRow| {
                (r.dataset_uri.clone(), r.column_path.clone())
            }),
            sorted(s.read_rows(None).await.unwrap(), |r: &ClassificationRow| {
                r.dataset_uri.clone()
            }),
        )
    }

    assert_eq!(cat.compact(20).await.unwrap(), None);
    let g = cat.compact(4).await.unwrap().unwrap();
    let after = cat.snapshot().await.unwrap();
    assert_eq!(after.generation(), g);
    // Tables this test writes nothing to stay empty.
    for &t in Table::ALL
        .iter()
        .filter(|t| !before.table_files(**t).is_empty())
    {
        assert_eq!(after.table_files(t).len(), 1, "{t}");
        assert_eq!(after.table_entries(t)[0].keys.len(), 12, "{t}");
    }
    assert_eq!(all(&before).await, all(&after).await);
    // Compacted files are sorted by key.
    let b = &after.read_table(Table::Columns).await.unwrap()[0];
    let keys: Vec<&str> = b
        .column(0)
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(cat.compact(4).await.unwrap(), None);

    // A re-scan after compaction rewrites the merged file without the dataset.
    let uri = "file:///lake/d03";
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(uri, "rz")], vec![], vec![]);
    cat.commit(c).await.unwrap();
    let s = cat.snapshot().await.unwrap();
    assert_eq!(s.read_rows::<ColumnRow>(None).await.unwrap().len(), 22);
    assert_eq!(
        s.read_rows::<ClassificationRow>(Some(&uris(&[uri])))
            .await
            .unwrap()
            .len(),
        0
    );
    let removed = cat.vacuum(Duration::ZERO).await.unwrap();
    assert!(
        removed.data_files_deleted == 0,
        "files of 10 newest manifests are kept: {removed:?}"
    );
    assert_manifests_complete(tmp.path());
}

/// A file of more datasets than the manifest lists keys for keeps only the key
/// summary (count, min, max): the manifest does not grow with the datasets, and
/// replacing, adding, deleting and checking datasets still work by reading the
/// key column of the files whose range they fall in.
#[tokio::test]
async fn big_files_keep_a_key_summary_and_commits_still_replace_exactly() {
    use lakewarden_catalog::manifest::LISTED_KEYS_MAX;
    let tmp = tempfile::tempdir().unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let manifest_bytes = |g: u64| {
        std::fs::metadata(tmp.path().join(format!("_manifest/{g:020}.json")))
            .unwrap()
            .len()
    };
    let n = 4 * LISTED_KEYS_MAX;
    let uri = |i: usize| format!("file:///lake/d{i:04}");
    let commit_all = |n: usize, run: &'static str| {
        let mut c = Commit::new();
        c.replace_datasets(
            (0..n).map(|i| dataset(&uri(i), run)).collect(),
            (0..n).map(|i| column(&uri(i), "email", run)).collect(),
            (0..n)
                .map(|i| finding(&uri(i), "email", "EMAIL_ADDRESS", run))
                .collect(),
        );
        c
    };
    let small = cat.commit(commit_all(LISTED_KEYS_MAX, "r0")).await.unwrap();
    let big = cat.commit(commit_all(n, "r1")).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    for t in [Table::Datasets, Table::Columns, Table::Classifications] {
        let entries = snap.table_entries(t);
        assert_eq!(entries.len(), 1, "{t}");
        let e = &entries[0];
        assert_eq!(e.listed_keys(), None, "{t}");
        assert_eq!(e.key_count, n as u64);
        assert_eq!(e.key_min.as_deref(), Some(uri(0).as_str()));
        assert_eq!(e.key_max.as_deref(), Some(uri(n - 1).as_str()));
    }
    // Four times the datasets, a manifest no bigger than with the listed 64.
    assert!(
        manifest_bytes(big) <= manifest_bytes(small),
        "{} > {}",
        manifest_bytes(big),
        manifest_bytes(small)
    );
    assert_eq!(
        snap.keys(Table::Datasets).await.unwrap(),
        (0..n).map(uri).collect::<Vec<_>>()
    );
    let one = uri(100);
    assert_eq!(
        snap.read_rows::<ColumnRow>(Some(std::slice::from_ref(&one)))
            .await
            .unwrap(),
        vec![column(&one, "email", "r1")]
    );

    // A dataset inside the file's key range but not in the file: the file is kept.
    let big_file = snap.table_entries(Table::Classifications)[0].path.clone();
    let newcomer = format!("{}x", uri(100));
    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(&newcomer, "r2")],
        vec![],
        vec![finding(&newcomer, "email", "EMAIL_ADDRESS", "r2")],
    );
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    let paths: Vec<&str> = snap
        .table_entries(Table::Classifications)
        .iter()
        .map(|e| e.path.as_str())
        .collect();
    assert!(paths.contains(&big_file.as_str()), "{paths:?}");

    // Re-scanning one dataset of the big file rewrites it without that dataset.
    let mut c = Commit::new();
    c.replace_datasets(vec![dataset(&one, "r3")], vec![], vec![]);
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    let found = snap.read_rows::<ClassificationRow>(None).await.unwrap();
    assert_eq!(found.len(), n); // n - 1 old ones and the newcomer's
    assert!(found.iter().all(|f| f.dataset_uri != one));
    assert_eq!(
        snap.read_rows::<DatasetRow>(Some(std::slice::from_ref(&one)))
            .await
            .unwrap(),
        vec![dataset(&one, "r3")]
    );

    // Findings for a dataset whose row is only in the big file are accepted; for a
    // dataset in its range without a row, refused.
    let mut c = Commit::new();
    c.replace_batches(
        Table::Classifications,
        vec![uri(7)],
        vec![rows_to_batch(&[finding(&uri(7), "x", "US_SSN", "r4")])],
    );
    cat.commit(c).await.unwrap();
    let ghost = format!("{}x", uri(7));
    let mut c = Commit::new();
    c.replace_batches(
        Table::Classifications,
        vec![ghost.clone()],
        vec![rows_to_batch(&[finding(&ghost, "x", "US_SSN", "r4")])],
    );
    let e = cat.commit(c).await.unwrap_err();
    assert!(e.to_string().contains("no datasets row"), "{e}");
    assert!(e.to_string().contains(&ghost), "{e}");

    // Datasets marked deleted are found through the summary too.
    let mut c = Commit::new();
    c.mark_deleted(vec![uri(50)], "r5");
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    let d = snap
        .read_rows::<DatasetRow>(Some(&[uri(50)]))
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, DatasetStatus::Deleted);

    // Compaction merges the small files and keeps every row.
    let before = snap
        .read_rows::<ClassificationRow>(None)
        .await
        .unwrap()
        .len();
    cat.compact(1).await.unwrap().unwrap();
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(snap.table_entries(Table::Classifications).len(), 1);
    assert_eq!(
        snap.read_rows::<ClassificationRow>(None)
            .await
            .unwrap()
            .len(),
        before
    );

    // A version-1 manifest (every key listed, no summary) is migrated on open: the
    // long lists go, the summaries come from them.
    let g = snap.generation();
    let mut v1: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(format!("_manifest/{g:020}.json"))).unwrap(),
    )
    .unwrap();
    v1["format_version"] = 1.into();
    v1["generation"] = (g + 1).into();
    for &t in Table::ALL {
        for (i, e) in snap.table_entries(t).iter().enumerate() {
            let keys = snap.file_keys(t, e).await.unwrap();
            let entry = v1["tables"][t.name()][i].as_object_mut().unwrap();
            entry.retain(|k, _| !k.starts_with("key_"));
            entry.insert("keys".into(), keys.into());
        }
    }
    std::fs::write(
        tmp.path().join(format!("_manifest/{:020}.json", g + 1)),
        v1.to_string(),
    )
    .unwrap();
    let cat = Catalog::open(tmp.path().to_str().unwrap()).await.unwrap();
    let migrated = cat.snapshot().await.unwrap();
    assert_eq!(migrated.generation(), g + 2);
    assert_eq!(migrated.manifest().format_version, 2);
    let e = &migrated.table_entries(Table::Classifications)[0];
    // n datasets, less the re-scanned one and the deleted one, plus the newcomer.
    assert_eq!((e.listed_keys(), e.key_count), (None, n as u64 - 1));
    assert_eq!(
        migrated.keys(Table::Datasets).await.unwrap(),
        snap.keys(Table::Datasets).await.unwrap()
    );
    assert_manifests_complete(tmp.path());
}

#[tokio::test]
async fn open_rejects_remote_urls_and_accepts_relative_paths() {
    let e = Catalog::open("s3://bucket/lw").await.unwrap_err();
    assert!(e.to_string().contains("s3://bucket/lw"), "{e}");
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("x/y/.lakewarden");
    let cat = Catalog::open(nested.to_str().unwrap()).await.unwrap();
    assert!(nested.join("_manifest/00000000000000000000.json").exists());
    assert!(
        cat.location().ends_with("/x/y/.lakewarden"),
        "{}",
        cat.location()
    );
}

#[tokio::test]
async fn in_memory_object_store_catalog() {
    let store = Arc::new(object_store::memory::InMemory::new());
    let cat = Catalog::open_with_store(
        store,
        url::Url::parse("memory:///").unwrap(),
        object_store::path::Path::from("cats/lw"),
    )
    .await
    .unwrap();
    assert_eq!(cat.location(), "memory:///cats/lw");
    let a = "s3://bucket/a";
    let mut c = Commit::new();
    c.replace_datasets(
        vec![dataset(a, "r1")],
        vec![],
        vec![finding(a, "x", "US_SSN", "r1")],
    );
    cat.commit(c).await.unwrap();
    let snap = cat.snapshot().await.unwrap();
    assert_eq!(
        snap.read_rows::<ClassificationRow>(None)
            .await
            .unwrap()
            .len(),
        1
    );
    let files = snap.table_files(Table::Datasets);
    assert!(
        files[0].starts_with("memory:///cats/lw/data/datasets/1-"),
        "{files:?}"
    );
    let (p, _) = snap.table_objects(Table::Datasets).remove(0);
    assert!(p.as_ref().starts_with("cats/lw/data/datasets/"));
}

#[test]
fn timestamp_column_is_utc_micro() {
    let f = Table::ScanRuns.schema();
    let field = f.field_with_name("started_at").unwrap();
    assert_eq!(
        field.data_type(),
        &lakewarden_catalog::schema::timestamp_type()
    );
    let b = rows_to_batch(&[run("r")]);
    let col = b.column_by_name("started_at").unwrap();
    assert!(!col.is_null(0));
}

#[tokio::test]
async fn llm_answers_round_trip_and_replace_by_cache_key() {
    use lakewarden_catalog::LlmAnswerRow;
    let answer = |key: &str, entity: &str| LlmAnswerRow {
        cache_key: key.into(),
        column_fingerprint: "c".repeat(64),
        sample_fingerprint: "s".repeat(64),
        model: "qwen".into(),
        prompt_version: 1,
        prompt_hash: "0123456789abcdef".into(),
        entity: entity.into(),
        confidence: 0.7,
        reason: "names in Cyrillic".into(),
        prompt_tokens: 380,
        completion_tokens: 40,
        column_path: "full_name".into(),
        run_id: "r1".into(),
        answered_at: chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000).unwrap(),
    };
    let rows = vec![answer("k1", "PERSON"), answer("k2", "NONE")];
    let b = rows_to_batch(&rows);
    assert_eq!(b.schema(), Table::LlmAnswers.schema());
    assert_eq!(batch_to_rows::<LlmAnswerRow>(&b).unwrap(), rows);

    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(dir.path().to_str().unwrap()).await.unwrap();
    let mut c = Commit::new();
    c.put_llm_answers(rows);
    cat.commit(c).await.unwrap();
    let mut c = Commit::new();
    c.put_llm_answers(vec![answer("k2", "MEDICAL_CODE")]);
    cat.commit(c).await.unwrap();
    let got = sorted(
        cat.snapshot()
            .await
            .unwrap()
            .read_rows::<LlmAnswerRow>(None)
            .await
            .unwrap(),
        |r| r.cache_key.clone(),
    );
    let entities: Vec<_> = got
        .iter()
        .map(|r| (r.cache_key.as_str(), r.entity.as_str()))
        .collect();
    assert_eq!(entities, [("k1", "PERSON"), ("k2", "MEDICAL_CODE")]);
}
