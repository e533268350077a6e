//! `ingest`, the audit named queries and `rtbf`, end to end on the demo lake
//! and the log / lineage fixtures that go with it (fixtures/audit, mapped onto
//! the demo lake by fixtures/demo.toml).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{demo_lake, repo, run, scan, stderr, stdout, str_of};

fn config() -> String {
    repo().join("fixtures/demo.toml").display().to_string()
}

fn audit(p: &str) -> String {
    repo().join("fixtures/audit").join(p).display().to_string()
}

fn truth() -> Value {
    let t = std::fs::read_to_string(repo().join("fixtures/audit/truth.json")).unwrap();
    serde_json::from_str(&t).unwrap()
}

/// `lakewarden ingest KIND ARGS --summary-json`, returning the summary.
fn ingest(catalog: &Path, args: &[&str]) -> Value {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let summary = catalog.with_extension(format!("ingest-{n}.json"));
    let mut all = vec!["ingest"];
    all.extend_from_slice(args);
    let (c, s, cfg) = (
        catalog.to_str().unwrap(),
        summary.to_str().unwrap(),
        config(),
    );
    all.extend_from_slice(&["--catalog", c, "--config", &cfg, "--summary-json", s, "-q"]);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap()
}

/// The demo lake scanned and every fixture log ingested, once for all tests.
fn demo_catalog() -> &'static Path {
    static CATALOG: OnceLock<PathBuf> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let catalog = dir.join("catalog");
        let o = scan(&catalog, &[&demo_lake()], &[]);
        assert!(o.status.code() == Some(0), "{}", stderr(&o));
        let t = truth();
        let s3 = ingest(
            &catalog,
            &["access-logs", &audit("s3-access"), "--format", "s3"],
        );
        assert_eq!(s3["rows"], t["s3_access"]["events"]);
        assert_eq!(s3["malformed_lines"], t["s3_access"]["malformed"]);
        let ct = ingest(
            &catalog,
            &[
                "access-logs",
                &audit("cloudtrail"),
                "--format",
                "cloudtrail",
            ],
        );
        assert_eq!(ct["rows"], t["cloudtrail"]["events"]);
        let az = ingest(
            &catalog,
            &["access-logs", &audit("azure"), "--format", "azure"],
        );
        assert_eq!(az["rows"], t["azure"]["events"]);
        assert_eq!(az["malformed_lines"], t["azure"]["malformed"]);
        let ol = ingest(&catalog, &["lineage", &audit("openlineage")]);
        let ol_truth = &t["openlineage"];
        let expected = ol_truth["edges"].as_u64().unwrap()
            + ol_truth["models"].as_u64().unwrap()
            + ol_truth["model_inputs"].as_u64().unwrap();
        assert_eq!(ol["rows"].as_u64(), Some(expected));
        assert_eq!(ol["malformed_lines"], ol_truth["malformed"]);
        catalog
    })
}

fn query(sql: &str) -> Vec<Value> {
    let cfg = config();
    let o = run(&[
        "query",
        "--catalog",
        demo_catalog().to_str().unwrap(),
        "--config",
        &cfg,
        "--format",
        "json",
        sql,
    ]);
    assert!(o.status.success(), "query failed: {}\n{sql}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn lake(rel: &str) -> String {
    format!("file://{}/{rel}", demo_lake().display())
}

#[test]
fn reingesting_the_same_files_adds_nothing() {
    let catalog = demo_catalog();
    let before = query("SELECT count(*) AS n FROM access_events");
    let again = ingest(
        catalog,
        &["access-logs", &audit("s3-access"), "--format", "s3"],
    );
    assert_eq!(again["files_unchanged"], 2);
    assert_eq!(again["rows"], 0);
    assert_eq!(query("SELECT count(*) AS n FROM access_events"), before);
    // Every event id is unique: files never overlap.
    let d = query("SELECT count(DISTINCT event_id) AS d, count(*) AS n FROM access_events");
    assert_eq!(d[0]["d"], d[0]["n"]);
}

#[test]
fn objects_map_to_their_datasets_through_aliases() {
    let rows = query(
        "SELECT DISTINCT object_uri, dataset_uri FROM access_events \
         WHERE object_uri LIKE 's3://corp-lake/sales/%' OR object_uri LIKE '%other-team%'",
    );
    for r in &rows {
        let obj = str_of(r, "object_uri");
        if obj.contains("other-team") {
            assert!(r["dataset_uri"].is_null(), "{r}");
        } else {
            assert_eq!(str_of(r, "dataset_uri"), lake("sales"), "{r}");
        }
    }
    assert!(rows.len() >= 3);
    // Azure URLs and CloudTrail keys land on the same datasets.
    let az = query(
        "SELECT DISTINCT dataset_uri FROM access_events WHERE log_format = 'azure' ORDER BY 1",
    );
    let got: Vec<&str> = az.iter().map(|r| str_of(r, "dataset_uri")).collect();
    assert_eq!(
        got,
        vec![
            lake("crm/contacts_gb.csv"),
            lake("events/web_events.jsonl"),
            lake("nested/profiles.parquet")
        ]
    );
}

#[test]
fn who_read_sensitive_lists_successful_reads_only() {
    let rows = query("who_read_sensitive");
    let key = |r: &Value| {
        (
            str_of(r, "principal").to_string(),
            str_of(r, "principal_detail").to_string(),
            str_of(r, "dataset_uri").to_string(),
        )
    };
    let got: BTreeSet<_> = rows.iter().map(key).collect();
    let analyst = "arn:aws:iam::123456789012:role/analyst".to_string();
    let jane = "session=jane.doe@corp.example".to_string();
    assert!(got.contains(&(analyst.clone(), jane.clone(), lake("customers_us.parquet"))));
    assert!(got.contains(&(analyst.clone(), jane, lake("delta/customers_delta"))));
    assert!(got.contains(&(
        "fde5ba15-4355-4223-b811-cccccccccccc".into(),
        "dpo@corp.example".into(),
        lake("crm/contacts_gb.csv")
    )));
    // Denied attempts and HEAD requests are not reads.
    assert!(rows
        .iter()
        .all(|r| !str_of(r, "principal").ends_with("user/intern")));
    assert!(rows
        .iter()
        .all(|r| !str_of(r, "principal").starts_with("0b1c2d3e")));
    // misc/hashes.parquet holds no personal data (hashes are traps).
    assert!(rows
        .iter()
        .all(|r| str_of(r, "dataset_uri") != lake("misc/hashes.parquet")));
    let first = &rows[0];
    assert_eq!(str_of(first, "sensitivity"), "HIGH");
}

#[test]
fn unmasked_downstream_skips_masked_edges() {
    let rows = query("unmasked_downstream");
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                str_of(r, "source_uri").to_string(),
                str_of(r, "target_uri").to_string(),
                str_of(r, "masking").to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        (
            lake("customers_us.parquet"),
            lake("cleaned/customers"),
            "not masked",
        ),
        (
            lake("events/web_events.jsonl"),
            "s3://bi-warehouse/bi/sessions".into(),
            "unknown (no column lineage)",
        ),
        (
            lake("sales"),
            lake("spark_out"),
            "unknown (no column lineage)",
        ),
    ]
    .into_iter()
    .map(|(a, b, c)| (a, b, c.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn models_trained_on_pii_follow_one_hop_upstream() {
    let rows = query("models_trained_on_pii");
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                str_of(r, "model_uri").to_string(),
                str_of(r, "pii_uri").to_string(),
                str_of(r, "how").to_string(),
            )
        })
        .collect();
    let churn = "mlflow://models/churn".to_string();
    assert_eq!(
        got,
        [
            (churn.clone(), lake("spark_out"), "direct".to_string()),
            (churn, lake("sales"), "upstream".to_string()),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(str_of(&rows[0], "model_version"), "3");
}

#[test]
fn rtbf_impact_counts_downstream_models_and_readers() {
    let rows = query("rtbf_impact");
    let of = |uri: String| {
        rows.iter()
            .find(|r| str_of(r, "dataset_uri") == uri)
            .cloned()
    };
    let spark = of(lake("spark_out")).expect("spark_out holds names");
    assert_eq!(spark["models"], 1);
    assert_eq!(spark["readers"], 1);
    let crm = of(lake("crm/contacts_gb.csv")).unwrap();
    assert_eq!(crm["downstream"], 1);
    assert_eq!(crm["downstream_outside_lake"], 1);
    assert_eq!(
        crm["readers"], 2,
        "etl-spark and the DPO; the intern was denied"
    );
}

#[test]
fn retention_lists_datasets_past_their_policy() {
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    std::fs::create_dir_all(&lake_dir).unwrap();
    let old = lake_dir.join("cards.parquet");
    std::fs::copy(demo_lake().join("customers_us.parquet"), &old).unwrap();
    let fresh = lake_dir.join("fresh.parquet");
    std::fs::copy(demo_lake().join("customers_us.parquet"), &fresh).unwrap();
    let two_years = std::time::SystemTime::now() - std::time::Duration::from_secs(730 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_years)
        .unwrap();
    let catalog = dir.path().join("catalog");
    assert_eq!(scan(&catalog, &[&lake_dir], &[]).status.code(), Some(0));
    let o = run(&[
        "query",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        "retention",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(str_of(&rows[0], "dataset_uri").ends_with("/cards.parquet"));
    // The shortest policy that applies: card data, 13 months.
    assert_eq!(str_of(&rows[0], "policy"), "card-data-13-months");
    assert!(rows[0]["days_over"].as_i64().unwrap() >= 730 - 395 - 1);
}

fn rtbf(args: &[&str]) -> Value {
    let cfg = config();
    let mut all = vec![
        "rtbf",
        "--catalog",
        demo_catalog().to_str().unwrap(),
        "--config",
        &cfg,
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

#[test]
fn rtbf_finds_every_occurrence_of_a_subject_in_the_truth() {
    let demo_truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("fixtures/demo-lake.truth.json")).unwrap(),
    )
    .unwrap();
    let subject = &demo_truth["subjects"][1];
    assert_eq!(subject["name"], "Leonard Morley");
    // Spelled the way a requester might: other case, spaces in the phone.
    let email = format!(
        "email={}",
        subject["email"].as_str().unwrap().to_uppercase()
    );
    let phone = format!("phone={}", subject["phone_e164"].as_str().unwrap());
    let name = "name=  leonard   MORLEY ".to_string();
    let r = rtbf(&["--subject", &email, "--subject", &phone, "--subject", &name]);
    assert_eq!(r["schema_version"], 3);
    let got: BTreeSet<(String, String, String, u64)> = r["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                str_of(o, "dataset_uri").to_string(),
                str_of(o, "column_path").to_string(),
                str_of(o, "subject").to_string(),
                o["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, u64)> = subject["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                lake(str_of(o, "path")),
                str_of(o, "column_path").to_string(),
                str_of(o, "matched_on").to_string(),
                o["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Raw identifiers appear only as supplied.
    let text = r.to_string();
    assert!(
        !text.contains("lmorley80@gmail.com"),
        "normalised form leaked"
    );

    let down: Vec<&str> = r["downstream"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["dataset_uri"].as_str().unwrap())
        .collect();
    assert!(down.contains(&"s3://bi-warehouse/bi/sessions"), "{down:?}");
    let profiles_masked = r["downstream"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| str_of(d, "dataset_uri").ends_with("partner-exports/profiles_masked"))
        .expect("masked export listed");
    assert_eq!(profiles_masked["masked_on_every_path"], true);
    assert_eq!(profiles_masked["in_catalog"], false);
    let models: Vec<&str> = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model_uri"].as_str().unwrap())
        .collect();
    assert_eq!(models, vec!["mlflow://models/churn"]);
    let readers = r["readers"].as_array().unwrap();
    assert!(readers.iter().any(|a| str_of(a, "access") == "denied"
        && str_of(a, "principal").ends_with("user/intern")
        && str_of(a, "dataset_uri") == lake("crm/contacts_gb.csv")));
    assert!(readers
        .iter()
        .any(|a| str_of(a, "access") == "read"
            && str_of(a, "principal_detail") == "dpo@corp.example"));
    let policies: BTreeSet<&str> = r["retention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"].as_str().unwrap())
        .collect();
    assert!(policies.contains("contact-data-3-years"), "{policies:?}");
    assert!(r["read"]["bytes_read"].as_u64().unwrap() > 0);
}

#[test]
fn rtbf_expand_follows_ids_found_beside_the_subject_masked() {
    let demo_truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("fixtures/demo-lake.truth.json")).unwrap(),
    )
    .unwrap();
    let email = format!(
        "email={}",
        demo_truth["subjects"][1]["email"].as_str().unwrap()
    );
    let r = rtbf(&["--subject", &email, "--expand"]);
    let derived = r["derived_identifiers"].as_array().unwrap();
    assert!(!derived.is_empty());
    for d in derived {
        let masked = str_of(d, "masked");
        assert!(masked.contains('*'), "derived identifier not masked: {d}");
        assert_eq!(str_of(d, "keyed_hash").len(), 32);
    }
    assert!(r["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["derived"] == true));
}

#[test]
fn bad_ingest_input_fails_the_file_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("binary.log"), [0u8, 159, 146, 150, 255, 0, 1, 2]).unwrap();
    std::fs::copy(
        repo().join("fixtures/audit/s3-access/2024-05-01-access.log"),
        logs.join("good.log"),
    )
    .unwrap();
    let o = run(&[
        "ingest",
        "access-logs",
        logs.to_str().unwrap(),
        "--format",
        "s3",
        "--catalog",
        catalog.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("binary.log") && err.contains("not a s3 log"),
        "{err}"
    );
    assert!(stdout(&o).contains("1 files ingested"), "{}", stdout(&o));
    // A missing path is a usage error.
    let o = run(&[
        "ingest",
        "lineage",
        dir.path().join("nope").to_str().unwrap(),
        "--catalog",
        catalog.to_str().unwrap(),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stderr(&o).lines().count() == 1, "{}", stderr(&o));
}

#[test]
fn a_single_file_root_with_a_non_ascii_name_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    let file = demo_lake().join("misc/file with spaces ü.csv");
    let o = scan(&catalog, &[&file], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = crate::util::query(&catalog, "SELECT status FROM datasets");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(str_of(&rows[0], "status"), "ok");
}

/// A DELETE on a Delta table removes a person from the latest version, but
/// time travel still reads them: `rtbf` reports the older version (with its
/// retention dates) and the DELETE commit whose predicate spells the email,
/// without showing the predicate.
#[test]
fn rtbf_finds_a_subject_deleted_from_delta_but_reachable_by_time_travel() {
    use arrow::array::{Array, AsArray, BooleanArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("lake/customers_delta");
    std::fs::create_dir_all(table.join("_delta_log")).unwrap();
    let src = demo_lake().join("delta/customers_delta");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), table.join(e.file_name())).unwrap();
        }
    }
    for e in std::fs::read_dir(src.join("_delta_log")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), table.join("_delta_log").join(e.file_name())).unwrap();
    }
    // Version 2: DELETE one person's row (rewrite the file that holds it).
    let part = "part-00001-09088ef1-33ba-59c0-9f4a-a87962bf01fc-c000.snappy.parquet";
    let file = std::fs::File::open(table.join(part)).unwrap();
    let batches: Vec<_> = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(|b| b.unwrap())
        .collect();
    let email_col = batches[0].schema().index_of("email").unwrap();
    let email = batches[0]
        .column(email_col)
        .as_string::<i32>()
        .value(0)
        .to_string();
    let new_part = "part-00002-rtbf-delete-test-c000.snappy.parquet";
    let out = std::fs::File::create(table.join(new_part)).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(out, batches[0].schema(), None).unwrap();
    for b in &batches {
        let emails = b.column(email_col).as_string::<i32>();
        let keep: BooleanArray = (0..b.num_rows())
            .map(|i| Some(emails.is_null(i) || emails.value(i) != email))
            .collect();
        w.write(&arrow::compute::filter_record_batch(b, &keep).unwrap())
            .unwrap();
    }
    w.close().unwrap();
    let size = std::fs::metadata(table.join(new_part)).unwrap().len();
    let predicate = format!("email = '{email}'");
    let commit = [
        serde_json::json!({"commitInfo": {"timestamp": 1717333200000i64, "operation": "DELETE",
            "operationParameters": {"predicate": predicate}}}),
        serde_json::json!({"remove": {"path": part, "deletionTimestamp": 1717333200000i64,
            "dataChange": true}}),
        serde_json::json!({"add": {"path": new_part, "partitionValues": {}, "size": size,
            "modificationTime": 1717333200000i64, "dataChange": true}}),
    ]
    .iter()
    .map(|v| v.to_string() + "\n")
    .collect::<String>();
    std::fs::write(table.join("_delta_log/00000000000000000002.json"), commit).unwrap();

    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&dir.path().join("lake")], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let subject = format!("email={}", email.to_uppercase());
    let o = run(&[
        "rtbf",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        "--subject",
        &subject,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["schema_version"], 3);
    assert!(
        r["occurrences"].as_array().unwrap().is_empty(),
        "gone from the latest version: {r}"
    );
    let tt = r["time_travel"].as_array().unwrap();
    assert_eq!(tt.len(), 1, "{r}");
    assert_eq!(tt[0]["version"], 1);
    assert_eq!(tt[0]["rows"], 1);
    assert_eq!(tt[0]["rows_in_latest"], 0);
    assert!(tt[0]["files_vacuumable_at"].is_string(), "{r}");
    assert!(tt[0]["log_expires_at"].is_string(), "{r}");
    let lm = r["log_mentions"].as_array().unwrap();
    assert_eq!(lm.len(), 1, "{r}");
    assert_eq!(lm[0]["version"], 2);
    assert_eq!(lm[0]["operation"], "DELETE");
    assert_eq!(lm[0]["subject"], "email");
    assert!(
        !text.contains("predicate"),
        "the predicate is never shown: {text}"
    );
    // The table output says so too.
    let o = run(&[
        "rtbf",
        "--catalog",
        catalog.to_str().unwrap(),
        "--subject",
        &subject,
    ]);
    let table_out = stdout(&o);
    assert!(
        table_out.contains("version 1") && table_out.contains("gone from the latest version"),
        "{table_out}"
    );
}

/// A policy that names a date column counts the rows past it from the
/// scan's per-month counts: a file written today with old rows is caught.
#[test]
fn retention_counts_rows_past_a_policy_from_its_date_column() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("lake/events");
    std::fs::create_dir_all(&events).unwrap();
    let old = (chrono::Utc::now() - chrono::Duration::days(400)).format("%Y-%m-%dT%H:%M:%SZ");
    let new = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let mut lines = String::new();
    for i in 0..300 {
        let ts = if i < 120 {
            old.to_string()
        } else {
            new.to_string()
        };
        lines += &format!("{{\"ts\":\"{ts}\",\"page\":\"/p/{i}\"}}\n");
    }
    std::fs::write(events.join("clicks.jsonl"), lines).unwrap();
    let catalog = dir.path().join("catalog");
    let o = scan(&catalog, &[&dir.path().join("lake")], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = crate::util::query(&catalog, "retention");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(str_of(&rows[0], "policy"), "raw-events-90-days");
    assert_eq!(str_of(&rows[0], "measured_from"), "ts");
    assert_eq!(rows[0]["rows_past_policy"], 120, "{rows:?}");
    assert!(
        rows[0]["days_over"].as_i64().unwrap() < 0,
        "the file itself is new"
    );
}

/// Writes `batches` to `path`, one row group per batch; `stats` off leaves
/// `customer_id` without column statistics.
fn write_row_groups(path: &Path, batches: &[arrow::array::RecordBatch], stats: bool) {
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    let mut props = WriterProperties::builder();
    if !stats {
        props = props.set_column_statistics_enabled(
            parquet::schema::types::ColumnPath::from("customer_id"),
            EnabledStatistics::None,
        );
    }
    let file = std::fs::File::create(path).unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(file, batches[0].schema(), Some(props.build()))
            .unwrap();
    for b in batches {
        w.write(b).unwrap();
        w.flush().unwrap();
    }
    w.close().unwrap();
}

/// Customers with the id column `ids`, an e-mail column (a candidate of
/// another kind: read, but no subject of its kind is asked for) and a notes
/// column (no candidate: never read).
fn customer_batch(ids: arrow::array::ArrayRef, numbers: &[i64]) -> arrow::array::RecordBatch {
    use arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;
    let emails: Vec<String> = numbers
        .iter()
        .map(|i| format!("user{i}@example.com"))
        .collect();
    let notes: Vec<String> = numbers
        .iter()
        .map(|i| format!("account opened, reference {i}, nothing else to say"))
        .collect();
    arrow::array::RecordBatch::try_from_iter([
        ("customer_id", ids),
        ("email", Arc::new(StringArray::from(emails)) as ArrayRef),
        ("notes", Arc::new(StringArray::from(notes)) as ArrayRef),
    ])
    .unwrap()
}

/// `lakewarden rtbf --format json` over `catalog`, with `extra` flags.
fn rtbf_at(catalog: &Path, subject: &str, extra: &[&str]) -> Value {
    let subject = format!("customer_id={subject}");
    let mut args = vec![
        "rtbf",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        "--subject",
        &subject,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)))
}

/// The read of the dataset whose URI ends with `name`.
fn read_of<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["read"]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| str_of(d, "dataset_uri").ends_with(name))
        .unwrap_or_else(|| panic!("{name} not read: {}", r["read"]))
}

fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// Predicate pushdown of an exact id: a Parquet file of 20 row groups
/// sorted by a text `customer_id`, one sorted by an Int64 `customer_id`, one
/// without statistics on the column, and two Delta tables of 4 files, with
/// statistics in the log and without. With pushdown the same rows are found as with
/// `--no-pushdown` while strictly fewer row groups, files and bytes are read.
#[test]
fn rtbf_pushes_an_exact_id_down_and_finds_the_same_rows_as_without() {
    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    let text_ids = |range: std::ops::Range<i64>| -> (ArrayRef, Vec<i64>) {
        let v: Vec<i64> = range.collect();
        let a = StringArray::from(v.iter().map(|i| format!("{i:06}")).collect::<Vec<_>>());
        (Arc::new(a), v)
    };
    let int_ids = |range: std::ops::Range<i64>| -> (ArrayRef, Vec<i64>) {
        let v: Vec<i64> = range.collect();
        (Arc::new(Int64Array::from(v.clone())), v)
    };

    // Text ids 000000..009999, 500 per row group; the last group also holds
    // " 000421 " (padded: it trims to the subject, and sorts before "0").
    let mut groups = Vec::new();
    for g in 0..20 {
        let (a, v) = text_ids(g * 500..(g + 1) * 500);
        let a = if g == 19 {
            let mut s: Vec<String> = (0..v.len() - 1)
                .map(|i| {
                    a.as_any()
                        .downcast_ref::<StringArray>()
                        .unwrap()
                        .value(i)
                        .to_string()
                })
                .collect();
            s.push(" 000421 ".into());
            Arc::new(StringArray::from(s)) as ArrayRef
        } else {
            a
        };
        groups.push(customer_batch(a, &v));
    }
    write_row_groups(&lake.join("text_ids.parquet"), &groups, true);
    // Int64 ids 0..9999, 1,000 per row group.
    let groups: Vec<_> = (0..10)
        .map(|g| {
            let (a, v) = int_ids(g * 1000..(g + 1) * 1000);
            customer_batch(a, &v)
        })
        .collect();
    write_row_groups(&lake.join("int_ids.parquet"), &groups, true);
    // Text ids without column statistics: nothing can be skipped.
    let groups: Vec<_> = (0..5)
        .map(|g| {
            let (a, v) = text_ids(g * 200..(g + 1) * 200);
            customer_batch(a, &v)
        })
        .collect();
    write_row_groups(&lake.join("no_stats.parquet"), &groups, false);
    // Delta: 4 files of 1,000 Int64 ids each, min/max in the add actions
    // (`accounts`), or no statistics in the log at all (`accounts_no_stats`).
    let schema = serde_json::json!({"type": "struct", "fields": [
        {"name": "customer_id", "type": "long", "nullable": true, "metadata": {}},
        {"name": "email", "type": "string", "nullable": true, "metadata": {}},
        {"name": "notes", "type": "string", "nullable": true, "metadata": {}},
    ]});
    for (table, log_stats) in [("accounts", true), ("accounts_no_stats", false)] {
        std::fs::create_dir_all(lake.join("delta").join(table).join("_delta_log")).unwrap();
        let mut log = vec![
            serde_json::json!({"commitInfo": {"timestamp": 1717243200000i64, "operation": "WRITE"}}),
            serde_json::json!({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}),
            serde_json::json!({"metaData": {"id": "5f0c7e8e-0d44-4a4e-9a38-2a7e7c1b9d01",
            "format": {"provider": "parquet", "options": {}}, "schemaString": schema.to_string(),
            "partitionColumns": [], "configuration": {}, "createdTime": 1717243200000i64}}),
        ];
        for f in 0..4i64 {
            let (a, v) = int_ids(f * 1000..(f + 1) * 1000);
            let name = format!("part-0000{f}-rtbf-pushdown-c000.snappy.parquet");
            let path = lake.join("delta").join(table).join(&name);
            write_row_groups(&path, &[customer_batch(a, &v)], true);
            let mut add = serde_json::json!({"path": name, "partitionValues": {},
            "size": std::fs::metadata(&path).unwrap().len(), "modificationTime": 1717243200000i64,
            "dataChange": true});
            if log_stats {
                let stats = serde_json::json!({"numRecords": 1000,
                "minValues": {"customer_id": f * 1000}, "maxValues": {"customer_id": f * 1000 + 999},
                "nullCount": {"customer_id": 0}});
                add["stats"] = stats.to_string().into();
            }
            log.push(serde_json::json!({ "add": add }));
        }
        let log: String = log.iter().map(|v| v.to_string() + "\n").collect();
        std::fs::write(
            lake.join("delta")
                .join(table)
                .join("_delta_log/00000000000000000000.json"),
            log,
        )
        .unwrap();
    }

    let catalog = dir.path().join("c");
    let o = scan(&catalog, &[&lake], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let rows_by_dataset = |r: &Value| -> Vec<(String, u64)> {
        r["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let uri = str_of(d, "dataset_uri");
                (uri.rsplit('/').next().unwrap().to_string(), n(d, "rows"))
            })
            .collect()
    };

    // `000421`: the text columns hold it (twice in text_ids: once padded),
    // the Int64 columns hold the number 421.
    let pushed = rtbf_at(&catalog, "000421", &[]);
    let baseline = rtbf_at(&catalog, "000421", &["--no-pushdown"]);
    assert_eq!(pushed["schema_version"], 3);
    assert_eq!(
        rows_by_dataset(&pushed),
        vec![
            ("accounts".to_string(), 1),
            ("accounts_no_stats".to_string(), 1),
            ("int_ids.parquet".to_string(), 1),
            ("no_stats.parquet".to_string(), 1),
            ("text_ids.parquet".to_string(), 2),
        ],
        "{pushed}"
    );
    assert_eq!(pushed["occurrences"], baseline["occurrences"]);
    assert_eq!(pushed["datasets"], baseline["datasets"]);

    // The row filters hand only the rows that can match to the comparison.
    for (name, rows, all_rows) in [
        ("text_ids.parquet", 2, 10_000),
        ("int_ids.parquet", 1, 10_000),
        ("no_stats.parquet", 1, 1_000),
        ("accounts", 1, 4_000),
    ] {
        assert_eq!(n(read_of(&pushed, name), "rows_read"), rows, "{name}");
        assert_eq!(n(read_of(&baseline, name), "rows_read"), all_rows, "{name}");
    }
    for (name, groups_read, groups_total) in
        [("text_ids.parquet", 2, 20), ("int_ids.parquet", 1, 10)]
    {
        let (p, b) = (read_of(&pushed, name), read_of(&baseline, name));
        assert_eq!(p["pushdown"], "pushed_down", "{p}");
        assert_eq!(
            p["pushdown_columns"],
            serde_json::json!(["customer_id"]),
            "{p}"
        );
        assert_eq!(b["pushdown"], "disabled", "{b}");
        assert_eq!(n(p, "row_groups_read"), groups_read, "{p}");
        assert_eq!(
            n(p, "row_groups_read") + n(p, "row_groups_skipped"),
            groups_total
        );
        assert_eq!(n(b, "row_groups_read"), groups_total, "{b}");
        assert!(n(p, "bytes_read") < n(b, "bytes_read"), "{p} vs {b}");
    }
    // Without statistics on the column every row group is read, and the
    // subject is still found.
    let p = read_of(&pushed, "no_stats.parquet");
    assert_eq!(p["pushdown"], "pushed_down", "{p}");
    assert_eq!(
        (n(p, "row_groups_read"), n(p, "row_groups_skipped")),
        (5, 0),
        "{p}"
    );
    // Delta: the log's statistics skip 3 of the 4 files; without pushdown
    // only the candidate columns' chunks count as read (notes is not one).
    let (p, b) = (read_of(&pushed, "accounts"), read_of(&baseline, "accounts"));
    assert_eq!(p["pushdown"], "pushed_down", "{p}");
    assert_eq!((n(p, "files_read"), n(p, "files_total")), (1, 4), "{p}");
    assert_eq!(n(b, "files_read"), 4, "{b}");
    assert!(n(p, "bytes_read") < n(b, "bytes_read"), "{p} vs {b}");
    assert!(n(b, "bytes_read") < n(b, "bytes_total"), "{b}");
    // Without statistics in the log every file is opened, and the footers'
    // statistics still leave one row group.
    let (p, b) = (
        read_of(&pushed, "accounts_no_stats"),
        read_of(&baseline, "accounts_no_stats"),
    );
    assert_eq!(p["pushdown"], "pushed_down", "{p}");
    assert_eq!(n(p, "files_read"), 4, "{p}");
    assert_eq!(
        (n(p, "row_groups_read"), n(p, "row_groups_skipped")),
        (1, 3),
        "{p}"
    );
    assert_eq!(n(b, "row_groups_read"), 4, "{b}");
    assert!(n(p, "bytes_read") < n(b, "bytes_read"), "{p} vs {b}");
    assert!(
        n(&pushed["read"], "bytes_read") < n(&baseline["read"], "bytes_read"),
        "{} vs {}",
        pushed["read"],
        baseline["read"]
    );

    // `421`: only the Int64 columns hold it (text ids keep their zeros).
    let pushed = rtbf_at(&catalog, "421", &[]);
    let baseline = rtbf_at(&catalog, "421", &["--no-pushdown"]);
    assert_eq!(
        rows_by_dataset(&pushed),
        vec![
            ("accounts".to_string(), 1),
            ("accounts_no_stats".to_string(), 1),
            ("int_ids.parquet".to_string(), 1)
        ],
        "{pushed}"
    );
    assert_eq!(pushed["occurrences"], baseline["occurrences"]);
    assert_eq!(
        n(read_of(&pushed, "text_ids.parquet"), "row_groups_read"),
        1
    );

    // An e-mail is normalised before it is compared: never pushed down.
    let o = run(&[
        "rtbf",
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        "--subject",
        "email=User421@Example.com",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = read_of(&r, "int_ids.parquet");
    assert_eq!(d["pushdown"], "not_pushed_down", "{d}");
    assert!(
        str_of(d, "pushdown_reason").contains("email normaliser"),
        "{d}"
    );
    assert_eq!(rows_by_dataset(&r).len(), 5, "{r}");
}
